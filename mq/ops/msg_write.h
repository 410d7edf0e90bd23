/*
 * NAME
 *	msg_write.h - a list's messages: cookies and the message log
 * SYNOPSIS
 *	#include "mq/ops/msg_write.h"
 * DESCRIPTION
 *	mq cookie and mq mlog (and the API) write through the one write
 *	path (write.h): with a database-address set SQL first.  A cookie
 *	or a message log entry is only ever inserted, never updated: the
 *	first row per key stays, in SQL as in the store, as ezmlm-idx's
 *	INSERT that ignores duplicates.  A row SQL had already is left to
 *	the next sync from SQL.  The status view's JSON is shared by mq
 *	status and the HTTP API.
 */
#ifndef MQ_OPS_MSG_WRITE_H
#define MQ_OPS_MSG_WRITE_H

#include <stdbool.h>

#include <jansson.h>

#include "store/store.h"

/*
 * msg_cookie - compute the cookie of req under the list's key into out
 *	and keep it in T_cookie unless the message has one: the same one
 *	is fine, another is RESULT_BADDATA (the first one stays).  Returns
 *	RESULT_OK or the failure's kind, reported.
 */
enum result_kind msg_cookie(struct store *st,
			    const struct mlist_cookie_req *req,
			    char out[MLIST_COOKIE_LEN + 1]);

/*
 * msg_mlog - log the entry unless its (listno, msgnum, done) is there
 *	(*already).  Returns RESULT_OK or the failure's kind, reported.
 */
enum result_kind msg_mlog(struct store *st, const struct mlist_mlog_req *r,
			  bool *already);

/*
 * msg_status_read - mlist_status_collect with each message's mlog codes
 *	read in its vocabulary, the seed's or ezmlm-idx 7's
 *	(msg_status.c says how they are told apart).
 */
enum store_rc msg_status_read(struct store_txn *txn, const char *root,
			      bool digest, size_t nmsg,
			      struct mlist_status **out, size_t *nout);

/*
 * msg_status_interpret - the status columns of rows (ordered by message,
 *	as mlist_status_collect orders them) from their raw codes
 */
void	msg_status_interpret(struct mlist_status *rows, size_t n, bool digest);

/*
 * msg_status_json - the rows of mlist_status_collect as mq status --json
 *	shows them (cmd_mlog.c; also GET /v1/lists/T/status): an array of
 *	objects, times as stored, delays in seconds or null.  NULL when out
 *	of memory.
 */
json_t *msg_status_json(const struct mlist_status *rows, size_t n);

#endif
