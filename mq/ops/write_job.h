/*
 * NAME
 *	write_job.h - one write as mq serve's single writer runs it
 * SYNOPSIS
 *	#include "mq/ops/write_job.h"
 *
 *	struct write_job job = { .work = fn, .arg = arg,
 *				 .finished = fn, .ctx = ctx,
 *				 .err = buf, .errlen = sizeof(buf) };
 *	submit(&job);
 * DESCRIPTION
 *	Every write of the serve process (API writes, reloads from SQL,
 *	DKIM statuses, the ips rows) is a write job handed to one writer
 *	(mq/serve/writer.c), so their order is defined in one place.  The
 *	shape lives here, beside the operations the jobs run, because the
 *	HTTP server fills jobs but may not include mq/serve/: mq serve
 *	hands it the writer's submit function (a write_submit_fn) instead.
 *
 *	body	a store_write body (store/store.h).  Bodies queued
 *		together run in one write transaction (group commit); a
 *		failing one is run again alone, so it never costs another
 *		its write.
 *		Like every store_write body it may run more than once.
 *	work	when body is NULL: a function run alone on the writer's
 *		thread (an SQL write-through, a load), returning an enum
 *		result_kind; its ops_error lines are captured into err
 *		(with err NULL they go to stderr, beside the log).
 *	finished  called once, on the writer's thread, when the job ran
 *		(or could not be run); status and err are then set.  It
 *		must be short: hand the answer to the submitter's own
 *		thread (an event, a condition variable) and return.
 *
 *	The submitter owns the job and its err buffer until finished has
 *	been called; the writer never frees either.
 */
#ifndef MQ_WRITE_JOB_H
#define MQ_WRITE_JOB_H

#include <stddef.h>

#include "store/store.h"

struct write_job {
	store_write_fn body;
	int (*work)(struct store *st, void *arg);
	void *arg;
	void (*finished)(struct write_job *job);
	void *ctx;		/* the submitter's, for finished */
	int status;		/* out: body's enum store_rc, work's kind */
	char *err;		/* out: the reason when status != 0 */
	size_t errlen;
	struct write_job *next;	/* the writer's own */
};

/* write_submit_fn - queue job for the writer; see above. */
typedef void (*write_submit_fn)(struct write_job *job);

#endif
