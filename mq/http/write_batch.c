/*
 * NAME
 *	write_batch.c - a handler's batch through mq serve's writer
 * SYNOPSIS
 *	#include "mq/http/http.h"
 *
 *	http_write_batch(r, &op->w, batch);	(op->w.done set before)
 *	http_reply_batch(r, w, batch);		(in done, when w->status)
 * DESCRIPTION
 *	Every API write is a batch of the one write path (mq/ops/write.h).
 *	Without a database-address its store part is a body the writer
 *	commits together with other requests' bodies; with one it is a job
 *	of its own, SQL first.  The answer of a failure is the batch's
 *	own message and kind ("row 5: ..."), or the writer's.
 * DIAGNOSTICS
 *	The status code comes from the result kind (http_result_code).
 */
#include "mq/http/http.h"
#include "mq/ops/write.h"

void	http_write_batch(struct http_req *r, struct http_write *w,
			 struct sql_write *batch)
{
	if (ops_write_grouped())
		w->body = sql_write_body;
	else
		w->work = ops_write_work;
	w->arg = batch;
	http_write_submit(r, w);
}

void	http_reply_batch(struct http_req *r, const struct http_write *w,
			 const struct sql_write *batch)
{
	const char *msg;
	enum result_kind k = ops_write_failed(batch, w->body != NULL,
					      w->status, w->err, &msg);

	http_reply_result(r, k, msg);
}
