/*
 * NAME
 *	changes.c - the change feed: reading the log, showing its records
 * SYNOPSIS
 *	#include "mq/ops/changes.h"
 * DESCRIPTION
 *	See changes.h.  A read never holds its transaction while the
 *	caller writes to a client or a pipe: it stops after a budget of
 *	bytes, remembers the next record's (sequence, index) and resumes
 *	there under a new transaction, so a slow reader neither pins old
 *	pages of the file nor makes the feed buffer a whole transaction.
 * DIAGNOSTICS
 *	See changes.h.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "mq/ops/changes.h"
#include "mq/ops/ops.h"

/* One changes_read under way. */
struct reading {
	struct store_txn *txn;
	const struct changes_filter *f;
	struct changes_pos *pos;
	size_t budget, used;
	changes_fn fn;
	void *arg;
	bool more;		/* stopped by the budget */
	enum store_rc rc;	/* a record that did not decode */
};

int	changes_recheck_ms(unsigned attempt)
{
	static const int delay[] = { 1, 10, 100, 1000 };

	return attempt < sizeof(delay) / sizeof(delay[0]) ? delay[attempt]
		: -1;
}

enum result_kind changes_since_parse(const char *text, uint64_t *since)
{
	char *end;

	errno = 0;
	if (!text || *text < '0' || *text > '9' ||
	    (*since = strtoull(text, &end, 10), errno) || *end ||
	    *since > INT64_MAX) {
		ops_error("since: expected a sequence number, not '%.64s'",
			  text ? text : "");
		return RESULT_BADDATA;
	}
	return RESULT_OK;
}

enum result_kind changes_filter_add(struct changes_filter *f,
				    const char *name)
{
	char root[REG_NAME_MAX];
	size_t len = strlen(name);

	if (len == 0 || len >= REG_NAME_MAX || (!reg_mailerq_find(name) &&
	    !reg_list_split(name, root, sizeof(root)))) {
		ops_error("no table or list '%.64s' (see 'mq tables')", name);
		return RESULT_BADDATA;
	}
	if (f->n == CHANGES_TABLES_MAX) {
		ops_error("more than %d tables asked for", CHANGES_TABLES_MAX);
		return RESULT_BADDATA;
	}
	memcpy(f->table[f->n++], name, len + 1);
	return RESULT_OK;
}

/* filter_pass - does f let c through?  An overflow always passes. */
static bool filter_pass(const struct changes_filter *f,
			const struct store_change *c)
{
	if (f->n == 0 || c->op == STORE_CHANGE_OVERFLOW)
		return true;
	for (int i = 0; i < f->n; i++)
		if (strcmp(f->table[i], c->table) == 0)
			return true;
	return false;
}

/* op_name - the feed's name of an operation */
static const char *op_name(enum store_change_op op)
{
	switch (op) {
	case STORE_CHANGE_PUT:
		return "put";
	case STORE_CHANGE_DEL:
		return "del";
	case STORE_CHANGE_LIST_CREATE:
		return "list-create";
	case STORE_CHANGE_LIST_DROP:
		return "list-drop";
	case STORE_CHANGE_OVERFLOW:
		break;
	}
	return "overflow";
}

/*
 * view_row - the key and, for a put, the row with the columns shown:
 *	every one but the secret ones.  The one place that decides it.
 */
static enum store_rc view_row(struct store_txn *txn,
			      const struct store_change *c,
			      struct change_view *v, struct store_row *row)
{
	enum store_rc rc = store_change_key(txn, c, &v->t, v->key, &v->nkey);

	for (int i = 0; rc == STORE_OK && i < v->nkey; i++)
		v->key_name[i] = v->t->nkey ? v->t->cols[v->t->key[i]].name
			: "rowid";
	if (rc != STORE_OK || c->op != STORE_CHANGE_PUT)
		return rc;
	if ((rc = store_change_row(txn, c, &v->t, row)) != STORE_OK)
		return rc;
	v->row = row;
	for (int i = 0; i < v->t->ncols; i++)
		if (!(v->t->cols[i].flags & REG_SECRET))
			v->col[v->ncol++] = i;
	return STORE_OK;
}

/*
 * read_one - a store_change_fn: show c, or stop when the budget is used.
 *	A put or del of a table this mq does not know (a newer one wrote
 *	it) shows without key and row.
 */
static int read_one(const struct store_change *c, void *arg)
{
	struct reading *rd = arg;
	struct change_view v = { .seq = c->seq, .op = op_name(c->op),
				 .table = c->table };
	struct store_row row;
	enum store_rc rc = STORE_OK;

	*rd->pos = (struct changes_pos){ c->seq, c->index };
	if (rd->used >= rd->budget) {
		rd->more = true;
		return 1;
	}
	if (filter_pass(rd->f, c)) {
		if (c->op == STORE_CHANGE_PUT || c->op == STORE_CHANGE_DEL)
			rc = view_row(rd->txn, c, &v, &row);
		if (rc == STORE_NOTFOUND)
			v = (struct change_view){ .seq = c->seq,
				.op = op_name(c->op), .table = c->table };
		else if (rc != STORE_OK) {
			rd->rc = rc;
			return 1;
		}
		rd->used += rd->fn(&v, rd->arg);
	}
	rd->pos->index = c->index + 1;
	return 0;
}

/* reach_fail - the log does not reach back: say how far it does */
static enum result_kind reach_fail(struct store_txn *txn, uint64_t from,
				   uint64_t *oldest)
{
	if (store_changes_oldest(txn, oldest) != STORE_OK)
		*oldest = 0;
	ops_error("the changes after sequence %" PRIu64 " are no longer "
		  "kept: the oldest sequence available is %" PRIu64 "; "
		  "resync from a dump", from, *oldest);
	return RESULT_NOTFOUND;
}

enum result_kind changes_read(struct store *st, struct changes_pos *pos,
			      const struct changes_filter *f, size_t budget,
			      changes_fn fn, void *arg, bool *more,
			      uint64_t *oldest)
{
	struct reading rd = { .f = f, .pos = pos, .budget = budget,
			      .fn = fn, .arg = arg };
	enum store_rc rc = store_read_begin(st, &rd.txn);
	enum result_kind kind = RESULT_OK;

	if (rc != STORE_OK)
		return ops_store_fail(st, rc);
	rc = store_changes_resume(rd.txn, pos->seq, pos->index, read_one, &rd);
	if (rc == STORE_OK)
		rc = rd.rc;
	/* the next sequence once this one is read to its end */
	if (rc == STORE_OK && !rd.more && pos->index > 0)
		*pos = (struct changes_pos){ pos->seq + 1, 0 };
	if (rc == STORE_NOTFOUND)
		kind = reach_fail(rd.txn, pos->seq - 1, oldest);
	else if (rc != STORE_OK)
		kind = ops_store_fail(st, rc);
	store_read_end(rd.txn);
	*more = rd.more;
	return kind;
}

/* stop_first - a store_change_fn that only proves the log reaches */
static int stop_first(const struct store_change *c, void *arg)
{
	(void)c;
	(void)arg;
	return 1;
}

enum result_kind changes_start(struct store *st, const uint64_t *since,
			       struct changes_pos *pos, uint64_t *oldest)
{
	struct store_meta m;
	struct store_txn *txn;
	enum store_rc rc = store_read_begin(st, &txn);
	enum result_kind kind = RESULT_OK;

	if (rc != STORE_OK)
		return ops_store_fail(st, rc);
	if (!since) {
		rc = store_meta_get(txn, &m);
		*pos = (struct changes_pos){ m.seq + 1, 0 };
	} else {
		rc = store_changes_after(txn, *since, stop_first, NULL);
		*pos = (struct changes_pos){ *since + 1, 0 };
	}
	if (rc == STORE_NOTFOUND && since)
		kind = reach_fail(txn, *since, oldest);
	else if (rc != STORE_OK)
		kind = ops_store_fail(st, rc);
	store_read_end(txn);
	return kind;
}

/* json_key - {column: value} of the key; NULL: a text not UTF-8 */
static json_t *json_key(const struct change_view *v)
{
	json_t *o = json_object();
	bool ok = o != NULL;

	for (int i = 0; ok && i < v->nkey; i++)
		ok = json_object_set_new(o, v->key_name[i],
					 ops_json_value(&v->key[i])) == 0;
	if (!ok)
		json_decref(o);
	return ok ? o : NULL;
}

/* json_row - the columns shown and the extras; NULL: not UTF-8 */
static json_t *json_row(const struct change_view *v)
{
	const struct store_row *row = v->row;
	json_t *o = json_object();
	bool ok = o != NULL;

	for (int i = 0; ok && i < v->ncol; i++)
		ok = json_object_set_new(o, v->t->cols[v->col[i]].name,
					 ops_json_value(&row->col[v->col[i]])) == 0;
	for (int i = 0; ok && i < row->nextra; i++)
		ok = json_object_setn_new(o, row->extra[i].name,
					  row->extra[i].namelen,
					  ops_json_value(&row->extra[i].v)) == 0;
	if (!ok)
		json_decref(o);
	return ok ? o : NULL;
}

/* json_record - the record's object; false when a text is not UTF-8 */
static bool json_record(json_t *o, const struct change_view *v)
{
	json_t *key = v->t ? json_key(v) : NULL;
	json_t *row = v->row ? json_row(v) : NULL;

	if ((v->t && !key) || (v->row && !row)) {
		json_decref(key);
		json_decref(row);
		return false;
	}
	if (key)
		json_object_set_new(o, "key", key);
	if (row)
		json_object_set_new(o, "row", row);
	if (!strcmp(v->op, "overflow"))
		json_object_set_new(o, "error", json_string(
			"this transaction's changes were not kept: resync "
			"from a dump"));
	return true;
}

char	*changes_json(const struct change_view *v)
{
	json_t *o = json_pack("{s:I,s:s}", "seq", (json_int_t)v->seq,
			      "op", v->op);
	json_t *table = json_string(v->table);
	char *s = NULL, *line;
	size_t len;

	if (!o)
		return NULL;
	/* a list table's name is the root's bytes: not always UTF-8 */
	json_object_set_new(o, "table", table ? table : json_null());
	if (!json_record(o, v))
		json_object_set_new(o, "error", json_string(
			"key and row not shown: a text is not UTF-8"));
	s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (!s)
		return NULL;
	len = strlen(s);
	line = realloc(s, len + 2);
	if (!line) {
		free(s);
		return NULL;
	}
	memcpy(line + len, "\n", 2);
	return line;
}
