/*
 * NAME
 *	writer.h - mq serve's single writer: every write, in one order
 * SYNOPSIS
 *	#include "mq/serve/writer.h"
 *
 *	writer_start(st);
 *	writer_submit(&job);		(any thread; finished() answers)
 *	writer_call(&job);		(any thread but the writer's: waits)
 *	writer_stop();
 * DESCRIPTION
 *	One thread runs the write jobs (mq/ops/write_job.h) of the serve
 *	process in the order they were submitted: API writes, loads from
 *	SQL, DKIM statuses, the ips rows.  Store bodies found queued
 *	together commit in one write transaction (group commit); a job
 *	with work instead of a body runs alone.
 * DIAGNOSTICS
 *	writer_start returns RESULT_OK, or RESULT_INTERNAL after logging
 *	that the thread could not start.  A job submitted while no writer
 *	runs finishes at once with RESULT_INTERNAL.
 */
#ifndef MQ_SERVE_WRITER_H
#define MQ_SERVE_WRITER_H

#include "mq/ops/write_job.h"

/* writer_start - start the writer thread on st. */
enum result_kind writer_start(struct store *st);

/* writer_submit - queue job; its finished() runs on the writer thread. */
void	writer_submit(struct write_job *job);

/*
 * writer_call - run job through the writer and wait for it; returns its
 *	status.  job->finished and job->ctx are the writer's; never call
 *	it from the writer's own thread (a job waiting for itself).
 */
int	writer_call(struct write_job *job);

/* writer_stop - run what is queued, then end the thread. */
void	writer_stop(void);

#endif
