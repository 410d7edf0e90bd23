/*
 * NAME
 *	msg_write.c - mq cookie and mq mlog through the one write path
 * DESCRIPTION
 *	Each is one "add" of the write path (sql_write_add): inserted
 *	unless a row with the key is there.  A cookie is computed here from
 *	the list's key (read from the store) and must agree with a cookie
 *	the message has already.
 * DIAGNOSTICS
 *	One line through ops_error naming the table; the result kind.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "mq/ops/msg_write.h"
#include "mq/ops/ops.h"
#include "mq/ops/write.h"

/* cookie_compute - out from the list's key, read from the store */
static enum result_kind cookie_compute(struct store *st,
				       const struct mlist_cookie_req *req,
				       char out[MLIST_COOKIE_LEN + 1])
{
	struct store_txn *txn;
	const uint8_t *key;
	size_t keylen;
	enum store_rc rc = store_read_begin(st, &txn);

	if (rc == STORE_OK) {
		rc = store_list_key(txn, req->root, &key, &keylen);
		if (rc == STORE_OK)
			mlist_cookie_compute(out, key, keylen, req->msgnum,
					     req->sender, req->action);
		store_read_end(txn);
	}
	return rc ? ops_store_fail(st, rc) : RESULT_OK;
}

/* col - the column called name of the list table called table */
static int col(const char *table, const char *name)
{
	char root[REG_NAME_MAX];
	const struct reg_table *t = reg_list_split(table, root, sizeof(root));

	return t ? reg_column_index(t, name) : -1;
}

/* int_value - an integer as a value */
static struct store_value int_value(int64_t i)
{
	return (struct store_value){ .kind = SV_INT, .i = i };
}

/* add_run - one add at once; *added: the row was new */
static enum result_kind add_run(struct store *st, const char *table,
				const struct store_assign *a, int na, int same,
				const char *conflict, bool *added)
{
	struct sql_write *w = ops_write_new(st);
	enum result_kind k = RESULT_INTERNAL;

	if (w) {
		sql_write_add(w, table, a, na, same, conflict);
		k = ops_write(w);
		*added = !k && sql_write_out(w, 0)->n;
	}
	sql_write_free(w);
	return k;
}

enum result_kind msg_cookie(struct store *st,
			    const struct mlist_cookie_req *req,
			    char out[MLIST_COOKIE_LEN + 1])
{
	char table[REG_NAME_MAX + 16], conflict[160];
	enum result_kind k = cookie_compute(st, req, out);
	bool added;

	if (k)
		return k;
	mlist_table_name(table, sizeof(table), req->root, req->digest,
			 "_cookie");
	snprintf(conflict, sizeof(conflict), "message %" PRId64 " has another "
		 "cookie already (another sender?); the first one stays",
		 req->msgnum);
	struct store_assign a[] = {
		{ col(table, "msgnum"), int_value(req->msgnum) },
		{ col(table, "cookie"), { .kind = SV_TEXT, .s = out,
					  .len = MLIST_COOKIE_LEN } },
		{ col(table, "chunk"), int_value(req->chunk) },
		{ col(table, "bodysize"), int_value(req->bodysize) },
	};
	return add_run(st, table, a, 4, a[1].col, conflict, &added);
}

enum result_kind msg_mlog(struct store *st, const struct mlist_mlog_req *r,
			  bool *already)
{
	char table[REG_NAME_MAX + 16], root[REG_NAME_MAX], err[512];
	const struct reg_table *t = NULL;
	struct store_value tai = { .kind = SV_NULL };
	bool added = false;
	enum result_kind k;

	if (!mlist_table_name(table, sizeof(table), r->root, r->digest,
			      "_mlog"))
		t = reg_list_split(table, root, sizeof(root));
	if (!t) {
		ops_error("%s: not a list name", r->root);
		return RESULT_BADDATA;
	}
	/* checked before SQL has it, so the store cannot refuse it after */
	if (r->tai && store_value_parse(t, table,
					&t->cols[col(table, "tai")], r->tai,
					strlen(r->tai), &tai, err,
					sizeof(err))) {
		ops_error("--tai: %s", err);
		return RESULT_BADDATA;
	}
	struct store_assign a[] = {
		{ col(table, "msgnum"), int_value(r->msgnum) },
		{ col(table, "listno"), int_value(r->listno) },
		{ col(table, "subs"), int_value(r->subs) },
		{ col(table, "done"), int_value(r->done) },
		{ col(table, "tai"), tai },
	};
	k = add_run(st, table, a, r->tai ? 5 : 4, -1, NULL, &added);
	*already = !added;
	return k;
}
