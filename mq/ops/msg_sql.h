/*
 * NAME
 *	msg_sql.h - mq cookie and mq mlog when SQL is authoritative; status
 * DESCRIPTION
 *	With a database-address set, mq's own writes go to SQL first
 *	(DESIGN.md section 7).  A cookie or a message log entry is only
 *	ever inserted, never updated: the first row per key stays in SQL
 *	as in the store, as ezmlm-idx's INSERT that ignores duplicates.
 *	The status view's JSON is shared by mq status and the HTTP API.
 */
#ifndef MQ_MSG_SQL_H
#define MQ_MSG_SQL_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "sql-compat/sql.h"
#include "store/mlist.h"

/*
 * msg_sql_insert_text - "INSERT INTO table (cols) VALUES (?, ...)" into b;
 *	with ignore_dup, in the engine's words for "unless the key exists".
 */
void msg_sql_insert_text(struct sql_buf *b, enum sql_engine e,
			 const char *table, const char *const *cols, size_t n,
			 bool ignore_dup);

/* msg_sql_value - a store value as a bound SQL parameter. */
struct sql_value msg_sql_value(const struct store_value *v);

/* msg_sql_fail - report an SQL failure on table; the result kind. */
int msg_sql_fail(struct sql_conn *conn, const char *table, enum sql_rc rc);

/* msg_sql_now - the current UTC time as a time column's text. */
void msg_sql_now(char out[32]);

/*
 * msg_sql_insert - INSERT one row of n columns into table unless a row
 *	with its key exists; *inserted says which.  Returns 0, or a result
 *	status after reporting (75 when the server is unreachable).
 */
int msg_sql_insert(struct sql_conn *conn, const char *table,
		   const char *const *cols, const struct sql_value *vals,
		   size_t n, bool *inserted);

/*
 * msg_sql_cookie - the cookie SQL holds for msgnum in table: 0 with out
 *	set, 1 when there is none, or a result kind after reporting.
 */
int msg_sql_cookie(struct sql_conn *conn, const char *table, int64_t msgnum,
		   char out[MLIST_COOKIE_LEN + 1]);

/*
 * msg_cookie_through_sql - mq cookie with SQL authoritative: compute the
 *	cookie (key from the store) into out, insert it into SQL unless the
 *	message has one; a different one there is refused (65).  A new row
 *	is then put into the store.  Returns 0 or the result kind, reported.
 */
int msg_cookie_through_sql(struct store *st, const struct mlist_cookie_req *req,
			   char out[MLIST_COOKIE_LEN + 1]);

/*
 * msg_mlog_through_sql - mq mlog with SQL authoritative: insert the entry
 *	unless SQL has its (listno, msgnum, done) already (*already), then
 *	put a new one into the store.  Returns 0 or the result kind.
 */
int msg_mlog_through_sql(struct store *st, const struct mlist_mlog_req *r,
			 bool *already);

/*
 * msg_status_json - the rows of mlist_status_collect as mq status --json
 *	shows them (cmd_mlog.c; also GET /v1/lists/T/status): an array of
 *	objects, times as stored, delays in seconds or null.  NULL when out
 *	of memory.
 */
json_t *msg_status_json(const struct mlist_status *rows, size_t n);

#endif
