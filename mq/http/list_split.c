/*
 * NAME
 *	http_list_split.c - /v1/lists/T/split: the sublist split table
 * SYNOPSIS
 *	GET    /v1/lists/T/split[?digest=1]		mq split list T --json
 *	POST   /v1/lists/T/split {"name": "sub1", "domain": "edu",
 *		"hash_lo": 0, "hash_hi": 52, "msgnum_lo": 0,
 *		"msgnum_hi": N, "notuse": false, "digest": false}
 *							mq split add
 *	DELETE /v1/lists/T/split?listno=N[&digest=1]	mq split del
 *	GET    /v1/lists/T/split/check[?digest=1]	mq split check
 * DESCRIPTION
 *	The entries of T_name (T_digest_name) with mq split's checks
 *	(mq/ops/split_entry.h).  check answers 200 with the gaps listed,
 *	an empty list when every hash is covered.  Adding and deleting are
 *	batches of the one write path, run on the writer thread
 *	(http_write_batch): with a database-address set SQL first.
 * DIAGNOSTICS
 *	400 naming the field or parameter; 404 for an unknown listno.
 */
#include <stdlib.h>
#include <string.h>

#include "mq/http/lists.h"
#include "mq/ops/split_entry.h"

/* json_value - a stored value as JSON: integer, string or null */
static json_t *json_value(const struct store_value *v)
{
	json_t *j = NULL;

	if (v->kind == SV_INT)
		j = json_integer((json_int_t)v->i);
	else if (v->kind == SV_TEXT)
		j = json_stringn(v->s, v->len);
	return j ? j : json_null();
}

struct entries {
	const struct reg_table *t;
	json_t *a;
};

/* entry_row - store_scan's callback: one entry as an object */
static int entry_row(const struct store_row *row, void *arg)
{
	struct entries *e = arg;
	json_t *o = json_object();

	for (int i = 0; o && i < e->t->ncols; i++)
		json_object_set_new(o, e->t->cols[i].name,
				    json_value(&row->col[i]));
	return json_array_append_new(e->a, o) != 0;
}

/* split_get - GET: every entry */
static void split_get(struct http_req *r, const char *table)
{
	struct entries e = { NULL, json_array() };
	struct store_txn *txn;
	enum store_rc rc = store_read_begin(r->st, &txn);

	if (rc == STORE_OK) {
		rc = store_table_find(txn, table, &e.t);
		if (rc == STORE_OK)
			rc = store_scan(txn, table, NULL, 0, entry_row, &e);
		store_read_end(txn);
	}
	if (rc) {
		json_decref(e.a);
		http_reply_store(r, rc);
	} else
		http_reply_json(r, 200, e.a);
}

/* gap_one - store_split_gaps's callback: one gap as an object */
static int gap_one(const struct split_gap *g, void *arg)
{
	return json_array_append_new(arg, json_pack(
		"{s:s,s:i,s:i,s:I,s:I}", "domain", g->domain, "hash_lo",
		g->hash_lo, "hash_hi", g->hash_hi, "msgnum_lo",
		(json_int_t)g->msgnum_lo, "msgnum_hi",
		(json_int_t)g->msgnum_hi)) != 0;
}

/* split_check - GET split/check: the hashes no active entry covers */
static void split_check(struct http_req *r, const char *root, bool digest,
			const char *table)
{
	json_t *gaps = json_array();
	struct store_txn *txn;
	uint64_t entries = 0;
	enum store_rc rc = store_read_begin(r->st, &txn);

	if (rc == STORE_OK) {
		rc = store_split_gaps(txn, root, digest, gap_one, gaps,
				      &entries);
		store_read_end(txn);
	}
	if (rc) {
		json_decref(gaps);
		http_reply_store(r, rc);
		return;
	}
	http_reply_json(r, 200, json_pack("{s:s,s:I,s:o}", "table", table,
					  "entries", (json_int_t)entries,
					  "gaps", gaps));
}

/* int_field - a numeric field of the entry; false: answered 400 */
static bool int_field(struct http_req *r, struct split_add *s,
		      const struct split_int_field *f, json_t *v)
{
	json_int_t i = json_integer_value(v);

	if (!json_is_integer(v) || i < f->lo || i > f->hi) {
		http_reply_error(r, 400, "%s: not an integer in %lld..%lld",
				 f->field, (long long)f->lo, (long long)f->hi);
		return false;
	}
	split_assign_int(s, f->col, i);
	return true;
}

/* add_field - one field of a POST body; false: answered 400 */
static bool add_field(struct http_req *r, struct split_add *s,
		      const char *key, json_t *v)
{
	char err[256];

	for (int k = 0; k < SPLIT_INT_FIELDS; k++)
		if (!strcmp(key, split_int_fields[k].field))
			return int_field(r, s, &split_int_fields[k], v);
	if (!strcmp(key, "notuse") && (json_is_boolean(v) ||
				       json_is_integer(v))) {
		split_assign_int(s, REG_SPLIT_NOTUSE, json_is_true(v) ||
				 json_integer_value(v) != 0);
		return true;
	}
	if (!strcmp(key, "domain") && json_is_string(v)) {
		if (split_assign_domain(s, json_string_value(v), err,
					sizeof(err)))
			return true;
		http_reply_error(r, 400, "domain: %s", err);
		return false;
	}
	if (!strcmp(key, "name") || !strcmp(key, "digest"))
		return true;	/* taken by split_post */
	http_reply_error(r, 400, "%s: %s", key, !strcmp(key, "notuse") ||
			 !strcmp(key, "domain") ? "wrong type" :
			 "unknown field (name, domain, hash_lo, hash_hi, "
			 "msgnum_lo, msgnum_hi, notuse, digest)");
	return false;
}

/* add_entry - the fields of a POST body into s; false: answered 400 */
static bool add_entry(struct http_req *r, json_t *body, struct split_add *s)
{
	json_t *name = json_object_get(body, "name"), *v;
	const char *key;

	if (!json_is_string(name) || !json_string_length(name) ||
	    json_string_length(name) > SUB_ADDR_MAX) {
		http_reply_error(r, 400, "name: the sublist's name, a string "
				 "of 1 to %d bytes", SUB_ADDR_MAX);
		return false;
	}
	s->a[s->na++] = (struct store_assign){ REG_SPLIT_NAME, {
		.kind = SV_TEXT, .s = json_string_value(name),
		.len = json_string_length(name) } };
	json_object_foreach(body, key, v)
		if (!add_field(r, s, key, v))
			return false;
	if (split_bounds_bad(s) >= 0) {
		http_reply_error(r, 400, "%s: above %s",
				 split_bounds_bad(s) == REG_SPLIT_HASH_LO ? "hash_lo" :
				 "msgnum_lo", split_bounds_bad(s) == REG_SPLIT_HASH_LO
				 ? "hash_hi" : "msgnum_hi");
		return false;
	}
	return true;
}

/* A split add on its way through the writer. */
struct add_op {
	struct http_write w;	/* first: done() is handed &op->w */
	struct sql_write *batch;
	struct split_add s;
	json_t *body;		/* owns the name s points into */
};

/* add_op_free - the op, its batch and the body its name points into */
static void add_op_free(struct add_op *op)
{
	sql_write_free(op->batch);
	json_decref(op->body);
	free(op);
}

/* add_done - on the worker: answer POST split */
static void add_done(struct http_req *r, struct http_write *w)
{
	struct add_op *op = (struct add_op *)w;

	if (w->status)
		http_reply_batch(r, w, op->batch);
	else
		http_reply_json(r, 201, json_pack(
			"{s:s,s:I}", "table", op->s.table, "listno",
			(json_int_t)sql_write_out(op->batch, 0)->id));
	add_op_free(op);
}

/* add_op_new - an op owning body; NULL: answered 500 (body freed) */
static struct add_op *add_op_new(struct http_req *r, json_t *body)
{
	struct add_op *op = calloc(1, sizeof(*op));

	if (!op) {
		json_decref(body);
		http_reply_error(r, 500, "out of memory");
		return NULL;
	}
	op->body = body;
	op->w.done = add_done;
	return op;
}

/* add_submit - the checked entry through the writer; false: answered */
static bool add_submit(struct http_req *r, struct add_op *op)
{
	if (!(op->batch = split_add_batch(r->st, &op->s))) {
		http_reply_error(r, 500, "out of memory");
		return false;
	}
	http_write_batch(r, &op->w, op->batch);
	return true;
}

/* split_post - POST: add an entry */
static void split_post(struct http_req *r, const char *root)
{
	struct add_op *op;
	json_t *body, *digest;

	if (!http_require_token(r) || !(body = http_body_json(r, false)) ||
	    !(op = add_op_new(r, body)))
		return;
	digest = json_object_get(body, "digest");
	if (digest && !json_is_boolean(digest))
		http_reply_error(r, 400, "digest: not true or false");
	else if (add_entry(r, body, &op->s)) {
		split_table_name(op->s.table, sizeof(op->s.table), root,
				 json_is_true(digest) ||
				 http_list_flag(r, "digest"));
		if (add_submit(r, op))
			return;
	}
	add_op_free(op);
}

/* A split del on its way through the writer. */
struct del_op {
	struct http_write w;	/* first: done() is handed &op->w */
	struct sql_write *batch;
	struct split_del d;
};

/* del_done - on the worker: answer DELETE split */
static void del_done(struct http_req *r, struct http_write *w)
{
	struct del_op *op = (struct del_op *)w;
	uint64_t n = sql_write_out(op->batch, 0)->n;

	if (w->status)
		http_reply_batch(r, w, op->batch);
	else if (n == 0)
		http_reply_error(r, 404, "%s: no entry with listno %lld",
				 op->d.table, (long long)op->d.f.v.i);
	else
		http_reply_json(r, 200, json_pack("{s:I}", "removed",
						  (json_int_t)n));
	sql_write_free(op->batch);
	free(op);
}

/* split_delete - DELETE ?listno=N: remove an entry */
static void split_delete(struct http_req *r, const char *table)
{
	int64_t listno;
	struct del_op *op;

	if (!http_require_token(r) ||
	    !http_list_int(r, "listno", 1, INT64_MAX, 0, &listno))
		return;
	if (listno == 0) {
		http_reply_error(r, 400, "listno: missing (?listno=N)");
		return;
	}
	if (!(op = calloc(1, sizeof(*op)))) {
		http_reply_error(r, 500, "out of memory");
		return;
	}
	op->d.f = (struct store_filter){ REG_SPLIT_LISTNO, { .kind = SV_INT,
						     .i = listno } };
	snprintf(op->d.table, sizeof(op->d.table), "%s", table);
	if (!(op->batch = split_del_batch(r->st, &op->d))) {
		free(op);
		http_reply_error(r, 500, "out of memory");
		return;
	}
	op->w.done = del_done;
	http_write_batch(r, &op->w, op->batch);
}

void	http_list_split(struct http_req *r, const char *root)
{
	char table[REG_NAME_MAX + 16];
	bool digest = http_list_flag(r, "digest");

	split_table_name(table, sizeof(table), root, digest);
	if (r->nseg == 3 && r->method == HTTP_GET)
		split_check(r, root, digest, table);
	else if (r->nseg == 3)
		http_method_not_allowed(r, "GET");
	else if (r->method == HTTP_GET)
		split_get(r, table);
	else if (r->method == HTTP_POST)
		split_post(r, root);
	else if (r->method == HTTP_DELETE)
		split_delete(r, table);
	else
		http_method_not_allowed(r, "GET, POST, DELETE");
}
