/*
 * NAME
 *	msg_sql.c - insert-only writes of cookies and message log entries
 *	to an authoritative SQL database
 * DESCRIPTION
 *	"Insert unless the key exists" in each engine's words: SQLite
 *	INSERT OR IGNORE, PostgreSQL ON CONFLICT DO NOTHING, MySQL INSERT
 *	IGNORE; the count of rows inserted says whether the row is new.
 *	Identifiers are quoted, every value is bound.  After SQL accepted
 *	a new row, the same row (same tai) goes into the store; a row SQL
 *	had already is left to the next sync from SQL.
 * DIAGNOSTICS
 *	One line naming the table and the server's reason; the result kind
 *	of sql_rc_kind().
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "mq/config.h"
#include "mq/ops/ops.h"
#include "mq/ops/msg_sql.h"

/* msg_sql_fail - see msg_sql.h */
int msg_sql_fail(struct sql_conn *conn, const char *table, enum sql_rc rc)
{
	ops_error("%s: %s", table, sql_errmsg(conn));
	return sql_rc_kind(rc);
}

/* msg_sql_insert_text - see msg_sql.h */
void msg_sql_insert_text(struct sql_buf *b, enum sql_engine e,
			 const char *table, const char *const *cols, size_t n,
			 bool ignore_dup)
{
	sql_buf_add(b, "%s", !ignore_dup ? "INSERT INTO "
		    : e == SQL_ENGINE_SQLITE ? "INSERT OR IGNORE INTO "
		    : e == SQL_ENGINE_MYSQL ? "INSERT IGNORE INTO "
		    : "INSERT INTO ");
	sql_buf_ident(b, e, table);
	for (size_t i = 0; i < n; i++) {
		sql_buf_add(b, "%s", i ? ", " : " (");
		sql_buf_ident(b, e, cols[i]);
	}
	sql_buf_add(b, ") VALUES (");
	for (size_t i = 0; i < n; i++)
		sql_buf_add(b, "%s?", i ? ", " : "");
	sql_buf_add(b, ")%s", ignore_dup && e == SQL_ENGINE_PGSQL ?
		    " ON CONFLICT DO NOTHING" : "");
}

int msg_sql_insert(struct sql_conn *conn, const char *table,
		   const char *const *cols, const struct sql_value *vals,
		   size_t n, bool *inserted)
{
	struct sql_buf b = SQL_BUF_INIT;
	uint64_t affected = 0;
	enum sql_rc rc;

	msg_sql_insert_text(&b, sql_conn_engine(conn), table, cols, n, true);
	if (b.oom) {
		sql_buf_free(&b);
		ops_error("%s: out of memory", table);
		return RESULT_INTERNAL;
	}
	rc = sql_exec(conn, b.p, vals, n, NULL, &affected);
	sql_buf_free(&b);
	if (rc)
		return msg_sql_fail(conn, table, rc);
	*inserted = affected > 0;
	return 0;
}

int msg_sql_cookie(struct sql_conn *conn, const char *table, int64_t msgnum,
		   char out[MLIST_COOKIE_LEN + 1])
{
	enum sql_engine e = sql_conn_engine(conn);
	struct sql_value key = { .type = SQL_INT, .i = msgnum };
	struct sql_buf b = SQL_BUF_INIT;
	const struct sql_value *cols;
	struct sql_rows *rows = NULL;
	size_t ncols, n;
	enum sql_rc rc;
	int ex = 1;

	sql_buf_add(&b, "SELECT cookie FROM ");
	sql_buf_ident(&b, e, table);
	sql_buf_add(&b, " WHERE msgnum = ?");
	rc = b.oom ? SQL_BADDATA : sql_exec(conn, b.p, &key, 1, &rows, NULL);
	sql_buf_free(&b);
	if (rc)
		return msg_sql_fail(conn, table, rc);
	if ((rc = sql_rows_next(conn, rows, &cols, &ncols)) == SQL_OK &&
	    ncols == 1 && cols[0].type == SQL_TEXT) {
		n = cols[0].len < MLIST_COOKIE_LEN ? cols[0].len
			: MLIST_COOKIE_LEN;
		memcpy(out, cols[0].p, n);
		out[n] = 0;
		ex = 0;
	} else if (rc != SQL_OK && rc != SQL_END)
		ex = msg_sql_fail(conn, table, rc);
	sql_rows_free(conn, rows);
	return ex;
}

/* msg_sql_now - see msg_sql.h */
void msg_sql_now(char out[32])
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%d %H:%M:%S", &tm);
}

/* cookie_compute - out from the list's key, read from the store. */
static int cookie_compute(struct store *st, const struct mlist_cookie_req *req,
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
	return rc ? ops_store_fail(st, rc) : 0;
}

struct put_op {
	const char *table;
	struct store_assign a[5];
};

static enum store_rc put_fn(struct store_txn *txn, void *arg)
{
	struct put_op *p = arg;

	return store_set(txn, p->table, p->a, 5, NULL);
}

/* msg_sql_value - see msg_sql.h */
struct sql_value msg_sql_value(const struct store_value *v)
{
	if (v->kind == SV_INT)
		return (struct sql_value){ SQL_INT, v->i, NULL, 0 };
	return (struct sql_value){ SQL_TEXT, 0, v->s, v->len };
}

/*
 * insert_through_sql - insert the row p (5 columns) into SQL unless its
 *	key is there, then, when it was new, into the store.
 */
static int insert_through_sql(struct store *st, struct sql_conn *conn,
			      struct put_op *p, const char *const cols[5],
			      bool *inserted)
{
	struct sql_value v[5];
	enum store_rc rc;
	int ex;

	for (int i = 0; i < 5; i++)
		v[i] = msg_sql_value(&p->a[i].v);
	if ((ex = msg_sql_insert(conn, p->table, cols, v, 5, inserted)))
		return ex;
	if (*inserted && (rc = store_write(st, put_fn, p, NULL)))
		return ops_store_fail(st, rc);
	return 0;
}

int msg_cookie_through_sql(struct store *st, const struct mlist_cookie_req *req,
			   char out[MLIST_COOKIE_LEN + 1])
{
	static const char *const cols[5] = { "msgnum", "tai", "cookie",
					     "chunk", "bodysize" };
	char table[REG_NAME_MAX + 16], tai[32], stored[MLIST_COOKIE_LEN + 1];
	struct sql_conn *conn;
	bool inserted = false;
	int ex;

	if ((ex = cookie_compute(st, req, out)))
		return ex;
	mlist_table_name(table, sizeof(table), req->root, req->digest,
			 "_cookie");
	msg_sql_now(tai);
	struct put_op p = { table, {
		{ 0, { SV_INT, req->msgnum, NULL, 0 } },
		{ 1, { SV_TEXT, 0, tai, strlen(tai) } },
		{ MLIST_COOKIE_COL, { SV_TEXT, 0, out, MLIST_COOKIE_LEN } },
		{ 3, { SV_INT, req->chunk, NULL, 0 } },
		{ 4, { SV_INT, req->bodysize, NULL, 0 } } } };
	if ((ex = ops_sql_connect(NULL, &conn)))
		return ex;
	ex = insert_through_sql(st, conn, &p, cols, &inserted);
	if (!ex && !inserted &&
	    (ex = msg_sql_cookie(conn, table, req->msgnum, stored)) == 0 &&
	    strcmp(stored, out) != 0) {
		ops_error("%s: message %" PRId64 " has another cookie already "
			  "(another sender?); the first one stays", table,
			  req->msgnum);
		ex = RESULT_BADDATA;
	}
	sql_close(conn);
	return ex == 1 ? RESULT_INTERNAL : ex;
}

int msg_mlog_through_sql(struct store *st, const struct mlist_mlog_req *r,
			 bool *already)
{
	static const char *const cols[5] = { "msgnum", "listno", "tai",
					     "subs", "done" };
	char table[REG_NAME_MAX + 16], tai[32];
	const struct reg_table *t;
	struct store_txn *txn;
	struct sql_conn *conn;
	bool inserted = false;
	enum store_rc rc;
	int ex;

	if (mlist_table_name(table, sizeof(table), r->root, r->digest,
			     "_mlog")) {
		ops_error("list name too long");
		return RESULT_BADDATA;
	}
	if ((rc = store_read_begin(st, &txn)) == STORE_OK) {
		rc = store_table_find(txn, table, &t);
		store_read_end(txn);
	}
	if (rc)
		return ops_store_fail(st, rc);
	if (r->tai)
		snprintf(tai, sizeof(tai), "%s", r->tai);
	else
		msg_sql_now(tai);
	struct put_op p = { table, {
		{ 0, { SV_INT, r->msgnum, NULL, 0 } },
		{ 1, { SV_INT, r->listno, NULL, 0 } },
		{ 2, { SV_TEXT, 0, tai, strlen(tai) } },
		{ 3, { SV_INT, r->subs, NULL, 0 } },
		{ 4, { SV_INT, r->done, NULL, 0 } } } };
	if ((ex = ops_sql_connect(NULL, &conn)))
		return ex;
	ex = insert_through_sql(st, conn, &p, cols, &inserted);
	sql_close(conn);
	*already = !inserted;
	return ex;
}
