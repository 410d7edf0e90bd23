/*
 * NAME
 *	ops.h - the operations mq's command line and HTTP API share
 * SYNOPSIS
 *	#include "mq/ops/ops.h"
 * DESCRIPTION
 *	mq/cli/ and mq/http/ are two faces over mq/ops/: a face parses its
 *	input, calls an operation and presents the result.  An operation
 *	never prints and never exits; it returns an enum result_kind
 *	(store/store.h) and leaves a one-line message (table, column, row,
 *	file named; no password) for the face: the command line prints it
 *	after "mq: ", the API answers {"error": message}.  Exit statuses
 *	are made only in mq/cli/, HTTP status codes only in mq/http/.
 *
 *	The message goes to the calling thread's sink: ops_capture()
 *	points it at a buffer (an HTTP answer, a log line); without one
 *	it is printed to stderr as "mq: message" (a command's own run).
 */
#ifndef MQ_OPS_H
#define MQ_OPS_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "sql-compat/sync.h"
#include "store/store.h"

/* ops_error - the operation's message, into this thread's sink. */
void	ops_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * ops_capture - until ops_capture_end, this thread's ops_error lines go
 *	into buf (the last one wins) instead of stderr.
 */
void	ops_capture(char *buf, size_t len);
void	ops_capture_end(void);

/* ops_store_fail - report the store's last error; its result kind. */
enum result_kind ops_store_fail(struct store *st, enum store_rc rc);

/*
 * ops_sql_acquire, ops_sql_release - the way an operation gets its
 *	connection to the configured database-address, and gives it back
 *	with the result kind its SQL work ended with:
 *
 *	    if ((kind = ops_sql_acquire(&conn)) != RESULT_OK)
 *		    return kind;		(already reported)
 *	    kind = ... statements on conn ...;
 *	    ops_sql_release(conn, kind);
 *
 *	In mq serve (after ops_sql_session_start) the connection is the
 *	process's one session's (sql_session_get): reused by the loads and
 *	writes that come while it is open, and while the server is marked
 *	down acquire fails at once with RESULT_TRYAGAIN, "database
 *	unreachable (retrying in N s): ..." .  Release with
 *	RESULT_TRYAGAIN closes the connection and marks the server down;
 *	give it back outside any transaction.  In a command (no session)
 *	acquire is ops_sql_connect(NULL, ...) and release sql_close().
 *	Acquire's failures are ops_sql_connect's.
 */
enum result_kind ops_sql_acquire(struct sql_conn **conn);
void	ops_sql_release(struct sql_conn *conn, enum result_kind kind);

/*
 * ops_sql_session_start - from now on ops_sql_acquire() takes its
 *	connections from one session for the configured database-address,
 *	closed after database-idle seconds unused.  Call it before the
 *	threads that acquire start.  RESULT_OK, or after reporting:
 *	RESULT_CONFIG (no database-address), RESULT_BADDATA (bad address),
 *	RESULT_INTERNAL (no memory).
 * ops_sql_session_idle - close the session's connection once it has been
 *	unused for database-idle seconds; mq serve calls it from a timer
 *	(every second or so: a check costs one mutex).
 * ops_sql_session_stop - close and free the session, after the threads
 *	that acquire have stopped; acquire connects per call again.
 */
enum result_kind ops_sql_session_start(void);
void	ops_sql_session_idle(void);
void	ops_sql_session_stop(void);

/*
 * ops_sql_connect - a new connection to address (NULL: the configured
 *	database-address), for sql_close(); an operation on the
 *	configured database uses ops_sql_acquire() instead.  RESULT_OK, or
 *	after reporting: RESULT_CONFIG (none configured), RESULT_BADDATA
 *	(bad address, refused credentials), RESULT_TRYAGAIN (unreachable,
 *	or a SQLite file missing where must_exist: what only reads).
 */
enum result_kind ops_sql_connect(const char *address, bool must_exist,
				 struct sql_conn **conn);

/* ops_sync_flags - the sql_sync_* flags of the configuration. */
unsigned ops_sync_flags(void);

/*
 * ops_sync_print - "TABLE: N inserted, N updated, N deleted" for each
 *	table that changed, then one summary line, each through line();
 *	then, as a warning, the lists dropped, by name.
 */
void	ops_sync_print(const struct sql_sync_result *res, const char *what,
		       void (*line)(void *ctx, bool warning, const char *text),
		       void *ctx);

/*
 * ops_log_contains - does the text value v contain pat (plen bytes) as
 *	SQL's LIKE '%pat%' finds it: '_' any one byte, ASCII letters in
 *	either case?  The search of mq log and of the API's log.
 */
bool	ops_log_contains(const struct store_value *v, const char *pat,
			 size_t plen);

/*
 * ops_json_value - a store value as jansson holds it (integer, string,
 *	null) for the faces that print JSON; NULL for a text that is not
 *	UTF-8 (or no memory), which the caller reports.
 */
json_t *ops_json_value(const struct store_value *v);

#endif
