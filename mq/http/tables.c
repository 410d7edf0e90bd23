/*
 * NAME
 *	http_tables.c - /v1/tables: list tables, read, write and delete rows
 * SYNOPSIS
 *	GET    /v1/tables
 *	GET    /v1/tables/NAME[?COL=VALUE...][&secrets=1]
 *	POST   /v1/tables/NAME	  {"COL": value, ...} or [{...}, ...]
 *	DELETE /v1/tables/NAME?COL=VALUE...	or ?all=1
 * DESCRIPTION
 *	Query parameters naming columns are equality filters (a value \N
 *	matches NULL; an empty value is the empty text).  A secret column
 *	(dkim_keys.privatekey) is in the rows only for a request with the
 *	www-token; asking for it (secrets=1, or a filter on it) without the
 *	token is refused.  POST and DELETE need the token.
 *
 *	POST has mq set's semantics and takes the one write path
 *	(table_set_batch: all rows of a POST in one batch, all or none,
 *	SQL first when database-address is set); every row is checked
 *	before anything is written.  The answer holds the rows as stored (read
 *	back), 201 when one of them is new, else 200.  See docs/http.md.
 * DIAGNOSTICS
 *	404 an unknown table or no row to delete, 400 naming the parameter,
 *	column, row or value that is wrong, 401 no token, 503 SQL
 *	unreachable, 500 a store failure.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include "mq/http/http.h"
#include "mq/http/rows.h"
#include "mq/ops/ops.h"
#include "mq/ops/shapes.h"
#include "mq/ops/table_write.h"

#define MAX_POST_ROWS	10000	/* rows of one POST */

/* The query parameters of GET and DELETE. */
struct query {
	struct store_filter f[REG_MAX_COLS];
	int n;
	bool all;		/* DELETE ?all=1 */
	bool secrets;		/* asked for a secret column */
};

/* flag_param - a reserved parameter that must be 1; false: answered. */
static bool flag_param(struct http_req *r, const char *name, const char *key,
		       const char *value, bool *flag)
{
	if (strcmp(value, "1") != 0) {
		http_reply_error(r, 400, "%s: parameter %s takes the value 1, "
				 "not '%s'", name, key, value);
		return false;
	}
	*flag = true;
	return true;
}

/* filter_param - COL=VALUE as a filter of t; false: answered. */
static bool filter_param(struct http_req *r, const char *name,
			 const struct reg_table *t, int col, const char *value,
			 struct query *q)
{
	const struct reg_column *c = &t->cols[col];
	struct store_filter *f = &q->f[q->n];
	char err[512];

	if (q->n == REG_MAX_COLS) {
		http_reply_error(r, 400, "%s: more than %d filters", name,
				 REG_MAX_COLS);
		return false;
	}
	f->col = col;
	if (strcmp(value, "\\N") == 0)
		f->v = (struct store_value){ .kind = SV_NULL };
	else if (store_value_parse(t, name, c, value, strlen(value), &f->v,
				   err, sizeof(err))) {
		http_reply_error(r, 400, "%s: parameter %s: %s", name, c->name,
				 err);
		return false;
	}
	if (c->flags & REG_SECRET)
		q->secrets = true;
	q->n++;
	return true;
}

/* parse_query - the filters (and all= for DELETE); false: answered. */
static bool parse_query(struct http_req *r, const char *name,
			const struct reg_table *t, bool deleting,
			struct query *q)
{
	memset(q, 0, sizeof(*q));
	for (int i = 0; i < r->nquery; i++) {
		const struct http_param *kv = &r->query[i];
		int col = reg_column_index(t, kv->key);
		bool ok;

		if (col >= 0)
			ok = filter_param(r, name, t, col, kv->value, q);
		else if (deleting && strcmp(kv->key, "all") == 0)
			ok = flag_param(r, name, kv->key, kv->value, &q->all);
		else if (!deleting && strcmp(kv->key, "secrets") == 0)
			ok = flag_param(r, name, kv->key, kv->value,
					&q->secrets);
		else {
			http_reply_error(r, 400, "%s: no column '%s' (GET "
					 "/v1/tables lists the columns)", name,
					 kv->key);
			ok = false;
		}
		if (!ok)
			return false;
	}
	return true;
}

/* tables_list - GET /v1/tables */
static void tables_list(struct http_req *r)
{
	struct store_txn *txn;
	json_t *a = NULL;
	enum store_rc rc = store_read_begin(r->st, &txn);

	if (rc == STORE_OK)
		a = ops_tables_json(txn, &rc);
	store_read_end(txn);
	if (rc)
		http_reply_store(r, rc);
	else
		http_reply_json(r, a ? 200 : 500, a);
}

/* table_resolve - the registry entry of NAME; false: answered 404. */
static bool table_resolve(struct http_req *r, const char *name,
			  const struct reg_table **t)
{
	struct store_txn *txn;
	enum store_rc rc = store_read_begin(r->st, &txn);

	if (rc == STORE_OK)
		rc = store_table_find(txn, name, t);
	store_read_end(txn);
	if (rc == STORE_NOTFOUND)
		http_reply_error(r, 404, "no table '%s' (GET /v1/tables lists "
				 "them)", name);
	else if (rc)
		http_reply_store(r, rc);
	return rc == STORE_OK;
}

/* What a scan writes its rows with. */
/* not_utf8 - the answer when a stored text cannot be JSON */
static void not_utf8(struct http_req *r, const char *name)
{
	http_json_abandon(r);
	http_reply_error(r, 500, "%s: a stored text value is not UTF-8, which "
			 "JSON cannot hold ('mq dump %s' shows it)", name,
			 name);
}

/* table_get - GET /v1/tables/NAME: the rows matching the filters */
static void table_get(struct http_req *r, const char *name,
		      const struct reg_table *t)
{
	struct http_json_rows p = { http_json_begin(r), t, r->token_ok, 0,
				    false };
	struct store_txn *txn;
	enum store_rc rc;
	struct query q;

	if (!parse_query(r, name, t, false, &q))
		return;
	if (q.secrets && !http_require_token(r))
		return;
	evbuffer_add(p.out, "[", 1);
	rc = store_read_begin(r->st, &txn);
	if (rc == STORE_OK)
		rc = store_scan(txn, name, q.f, q.n, http_json_rows_put, &p);
	store_read_end(txn);
	if (p.bad)
		not_utf8(r, name);
	else if (rc) {
		http_json_abandon(r);
		http_reply_store(r, rc);
	} else {
		evbuffer_add(p.out, "]", 1);
		http_json_send(r, 200);
	}
}

/* json_to_value - member iter of a posted row as a value of column c. */
static bool json_to_value(struct http_req *r, const char *where,
			  const char *name, const struct reg_table *t,
			  const struct reg_column *c,
			  json_t *obj, void *iter, struct store_value *v)
{
	json_t *j = json_object_iter_value(iter);
	char err[512], num[24];

	if (json_is_null(j)) {
		*v = (struct store_value){ .kind = SV_NULL };
		return true;
	}
	if (json_is_integer(j) && c->type == REG_INT) {
		*v = (struct store_value){ .kind = SV_INT,
					   .i = json_integer_value(j) };
		return true;
	}
	if (json_is_integer(j)) {	/* into a text column: as its digits */
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
			 json_integer_value(j));
		json_object_iter_set_new(obj, iter, json_string(num));
		j = json_object_iter_value(iter);
	}
	if (!json_is_string(j)) {
		http_reply_error(r, 400, "%s%s.%s: expected a string, an "
				 "integer or null", where, name, c->name);
		return false;
	}
	if (store_value_parse(t, name, c, json_string_value(j),
			      json_string_length(j), v, err, sizeof(err))) {
		http_reply_error(r, 400, "%s%s", where, err);
		return false;
	}
	return true;
}

/* parse_row - a posted object into assignments a; false: answered. */
static bool parse_row(struct http_req *r, const char *name,
		      const struct reg_table *t, json_t *obj, const char *where,
		      struct store_assign *a, struct table_set_row *row)
{
	*row = (struct table_set_row){ .a = a };
	if (!json_is_object(obj) || json_object_size(obj) == 0 ||
	    json_object_size(obj) > REG_MAX_COLS) {
		http_reply_error(r, 400, "%sbody: expected an object of 1 to "
				 "%d columns of %s", where, REG_MAX_COLS, name);
		return false;
	}
	for (void *it = json_object_iter(obj); it;
	     it = json_object_iter_next(obj, it)) {
		const char *key = json_object_iter_key(it);
		int col = reg_column_index(t, key);

		if (col < 0) {
			http_reply_error(r, 400, "%s%s: no column '%s'", where,
					 name, key);
			return false;
		}
		a[row->n].col = col;
		if (!json_to_value(r, where, name, t, &t->cols[col], obj, it,
				   &a[row->n].v))
			return false;
		row->n++;
	}
	return true;
}

/* row_key - the key of a written row; false when it has none. */
static bool row_key(const struct reg_table *t, const struct table_set_row *row,
		    struct store_value key[REG_MAX_KEY])
{
	if (t->nkey == 0)
		return false;
	for (int k = 0; k < t->nkey; k++) {
		int col = t->key[k], i = 0;

		while (i < row->n && row->a[i].col != col)
			i++;
		if (i < row->n)
			key[k] = row->a[i].v;
		else if ((t->cols[col].flags & REG_AUTO) && row->id)
			key[k] = (struct store_value){ .kind = SV_INT,
						       .i = row->id };
		else
			return false;
	}
	return true;
}

/* any_new - will one of the rows be inserted (not updated)? */
static bool any_new(struct http_req *r, const char *name,
		    const struct reg_table *t, struct table_set_row *rows,
		    size_t n)
{
	struct store_value key[REG_MAX_KEY];
	struct store_row row;
	struct store_txn *txn;
	bool fresh = false;

	if (store_read_begin(r->st, &txn) != STORE_OK)
		return false;
	for (size_t i = 0; i < n && !fresh; i++)
		fresh = !row_key(t, &rows[i], key) ||
			store_get_by_key(txn, t, name, key, &row) != STORE_OK;
	store_read_end(txn);
	return fresh;
}

/* put_stored - a written row as stored now, or as given without a key */
static bool put_stored(struct evbuffer *out, struct store_txn *txn,
		       const char *name, const struct reg_table *t,
		       const struct table_set_row *sr)
{
	struct store_value key[REG_MAX_KEY];
	struct store_row row;

	if (txn && row_key(t, sr, key) &&
	    store_get_by_key(txn, t, name, key, &row) == STORE_OK)
		return http_json_row(out, t, &row, true);
	return http_json_assigns(out, t, sr->a, sr->n, true);
}

/* reply_stored - answer a POST with its rows read back */
static void reply_stored(struct http_req *r, const char *name,
			 const struct reg_table *t, struct table_set_row *rows,
			 size_t n, bool many, int code)
{
	struct evbuffer *out = http_json_begin(r);
	struct store_txn *txn;
	bool ok = true;

	if (store_read_begin(r->st, &txn) != STORE_OK)
		txn = NULL;
	if (many)
		evbuffer_add(out, "[", 1);
	for (size_t i = 0; i < n && ok; i++) {
		if (i)
			evbuffer_add(out, ",", 1);
		ok = put_stored(out, txn, name, t, &rows[i]);
	}
	store_read_end(txn);
	if (!ok)
		not_utf8(r, name);
	else {
		if (many)
			evbuffer_add(out, "]", 1);
		http_json_send(r, code);
	}
}

/* A POST's rows on their way through the writer thread. */
struct set_op {
	struct http_write w;
	struct sql_write *batch;
	const char *table;
	const struct reg_table *t;
	struct table_set_row *rows;
	size_t n;
	json_t *body;			/* the values point into it */
	struct store_assign *a;
	bool many;
	int code;			/* 201 when a row is new, else 200 */
};

/* set_op_free - the op with the body its values point into */
static void set_op_free(struct set_op *op)
{
	sql_write_free(op->batch);
	json_decref(op->body);
	free(op->a);
	free(op->rows);
	free(op);
}

/* set_done - back on the worker: answer with the rows as stored */
static void set_done(struct http_req *r, struct http_write *w)
{
	struct set_op *op = (struct set_op *)w;

	if (w->status)
		http_reply_batch(r, w, op->batch);
	else {
		for (size_t i = 0; i < op->n; i++)
			op->rows[i].id = sql_write_out(op->batch, (int)i)->id;
		reply_stored(r, op->table, op->t, op->rows, op->n, op->many,
			     op->code);
	}
	set_op_free(op);
}

/* rows_check - table_set_check; false when it answered r already */
static bool rows_check(struct http_req *r, const char *name,
		       struct table_set_row *rows, size_t n)
{
	char err[512] = "";
	enum result_kind k;

	ops_capture(err, sizeof(err));
	k = table_set_check(r->st, name, rows, n);
	ops_capture_end();
	if (k)
		http_reply_result(r, k, err);
	return k == RESULT_OK;
}

/* set_op_new - parse every row of body; NULL when answered already */
static struct set_op *set_op_new(struct http_req *r, const char *name,
				 const struct reg_table *t, json_t *body)
{
	struct set_op *op = calloc(1, sizeof(*op));
	size_t n = json_is_array(body) ? json_array_size(body) : 1;
	char where[32] = "";
	bool ok;

	if (op) {
		op->a = calloc(n, REG_MAX_COLS * sizeof(*op->a));
		op->rows = calloc(n, sizeof(*op->rows));
		op->body = json_incref(body);
	}
	ok = op && op->a && op->rows;
	if (!ok)
		http_reply_error(r, 500, "%s: out of memory", name);
	for (size_t i = 0; ok && i < n; i++) {
		json_t *obj = json_is_array(body) ? json_array_get(body, i)
			: body;

		if (json_is_array(body))
			snprintf(where, sizeof(where), "row %zu: ", i + 1);
		ok = parse_row(r, name, t, obj, where,
			       op->a + i * REG_MAX_COLS, &op->rows[i]);
		if (ok)		/* mq set --hash */
			op->rows[i].force_hash =
				http_query(r, "force_hash") != NULL;
	}
	if (ok && !rows_check(r, name, op->rows, n))
		ok = false;
	else if (ok && !(op->batch = table_set_batch(r->st, name, op->rows,
						      n))) {
		http_reply_error(r, 500, "%s: out of memory", name);
		ok = false;
	}
	if (!ok && op) {
		set_op_free(op);
		return NULL;
	}
	op->table = name;
	op->t = t;
	op->n = n;
	op->many = json_is_array(body);
	return op;
}

/* write_rows - check every row, hand them to the writer, answer later */
static void write_rows(struct http_req *r, const char *name,
		       const struct reg_table *t, json_t *body)
{
	struct set_op *op = set_op_new(r, name, t, body);

	if (!op)
		return;
	op->code = any_new(r, name, t, op->rows, op->n) ? 201 : 200;
	op->w.done = set_done;
	http_write_batch(r, &op->w, op->batch);
}

/* table_post - POST /v1/tables/NAME: one row or an array of rows */
static void table_post(struct http_req *r, const char *name,
		       const struct reg_table *t)
{
	json_t *body;
	size_t n;

	if (!http_require_token(r) || !(body = http_body_json(r, true)))
		return;
	n = json_is_array(body) ? json_array_size(body) : 1;
	if (n == 0 || n > MAX_POST_ROWS)
		http_reply_error(r, 400, "body: an array of 1 to %d rows of %s "
				 "(this one has %zu)", MAX_POST_ROWS, name, n);
	else
		write_rows(r, name, t, body);
	json_decref(body);
}

/* A DELETE on its way through the writer thread. */
struct del_op {
	struct http_write w;
	struct sql_write *batch;
	const char *table;
	struct store_filter f[REG_MAX_COLS];
};

/* del_done - back on the worker: how many went */
static void del_done(struct http_req *r, struct http_write *w)
{
	struct del_op *op = (struct del_op *)w;
	uint64_t n = sql_write_out(op->batch, 0)->n;

	if (w->status)
		http_reply_batch(r, w, op->batch);
	else if (n == 0)
		http_reply_error(r, 404, "%s: no row matches", op->table);
	else
		http_reply_json(r, 200, json_pack("{s:I}", "deleted",
						  (json_int_t)n));
	sql_write_free(op->batch);
	free(op);
}

/* table_delete - DELETE /v1/tables/NAME?filters or ?all=1 */
static void table_delete(struct http_req *r, const char *name,
			 const struct reg_table *t)
{
	struct del_op *op;
	struct query q;

	if (!http_require_token(r) || !parse_query(r, name, t, true, &q))
		return;
	if (q.n == 0 && !q.all) {
		http_reply_error(r, 400, "%s: give the rows to delete as "
				 "COLUMN=VALUE query parameters, or all=1 for "
				 "every row", name);
		return;
	}
	if (q.n && q.all) {
		http_reply_error(r, 400, "%s: all=1 deletes every row and "
				 "takes no filters", name);
		return;
	}
	if (!(op = calloc(1, sizeof(*op)))) {
		http_reply_error(r, 500, "%s: out of memory", name);
		return;
	}
	memcpy(op->f, q.f, (size_t)q.n * sizeof(q.f[0]));
	op->table = name;
	if (!(op->batch = table_del_batch(r->st, name, op->f, q.n))) {
		free(op);
		http_reply_error(r, 500, "%s: out of memory", name);
		return;
	}
	op->w.done = del_done;
	http_write_batch(r, &op->w, op->batch);
}

void	http_tables_handle(struct http_req *r)
{
	const struct reg_table *t;
	const char *name = r->nseg ? r->seg[0] : NULL;
	bool get = r->method == HTTP_GET || r->method == HTTP_HEAD;

	if (r->nseg > 1)
		http_reply_error(r, 404, "%s: no such API endpoint", r->path);
	else if (!name && get)
		tables_list(r);
	else if (!name)
		http_method_not_allowed(r, "GET, HEAD");
	else if (!get && r->method != HTTP_POST &&
		 r->method != HTTP_DELETE)
		http_method_not_allowed(r, "GET, HEAD, POST, DELETE");
	else if (!table_resolve(r, name, &t))
		return;
	else if (get)
		table_get(r, name, t);
	else if (r->method == HTTP_POST)
		table_post(r, name, t);
	else
		table_delete(r, name, t);
}
