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
 * ops_sql_connect - connect to address (NULL: the configured
 *	database-address).  RESULT_OK, or after reporting: RESULT_CONFIG
 *	(none configured), RESULT_BADDATA (bad address, refused
 *	credentials), RESULT_TRYAGAIN (unreachable).
 */
enum result_kind ops_sql_connect(const char *address, struct sql_conn **conn);

/* ops_sync_flags - the sql_sync_* flags of the configuration. */
unsigned ops_sync_flags(void);

/*
 * ops_sync_print - "TABLE: N inserted, N updated, N deleted" for each
 *	table that changed, then one summary line, each through line().
 */
void	ops_sync_print(const struct sql_sync_result *res, const char *what,
		       void (*line)(void *ctx, const char *text), void *ctx);

/*
 * ops_log_contains - does the text value v contain pat (plen bytes) as
 *	SQL's LIKE '%pat%' finds it: '_' any one byte, ASCII letters in
 *	either case?  The search of mq log and of the API's log.
 */
bool	ops_log_contains(const struct store_value *v, const char *pat,
			 size_t plen);

#endif
