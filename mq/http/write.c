/*
 * NAME
 *	write.c - API writes handed to mq serve's writer and answered back
 * SYNOPSIS
 *	http_write_submit(r, w);	(from a handler, see http.h)
 * DESCRIPTION
 *	A handler's struct http_write becomes a write job
 *	(mq/ops/write_job.h) for the submit function mq serve gave
 *	http_start: the serve process's one writer, which also runs its
 *	loads, so every write of the process takes one queue.  When the
 *	job has run, its finished() (on the writer's thread) activates an
 *	event on the request's worker, and the handler's done() answers
 *	there (libevent's pthread locking makes the activation safe).
 *
 *	The writer may outlive a worker that gave up draining; http_stop
 *	therefore waits (http_write_idle) until no job of the API is left
 *	with the writer before the workers' event bases are freed.
 * DIAGNOSTICS
 *	A write the writer gave no answer for is answered 500.
 */
#include <pthread.h>
#include <stdio.h>

#include <event2/event.h>

#include "mq/http/server.h"

static struct {
	write_submit_fn submit;
	pthread_mutex_t lock;
	pthread_cond_t idle;
	int pending;		/* jobs with the writer, not finished */
} writes = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.idle = PTHREAD_COND_INITIALIZER,
};

/* write_answer - on r's worker: the write is done, let the handler answer */
static void write_answer(evutil_socket_t fd, short what, void *arg)
{
	struct http_write *w = arg;
	struct http_req *r = w->r;

	(void)fd;
	(void)what;
	event_free(w->ev);
	w->ev = NULL;
	w->done(r, w);
	if (!r->code)
		http_reply_error(r, 500, "%s: the write gave no answer",
				 r->path);
	http_req_done(r);
}

/* write_finished - on the writer's thread: wake the request's worker */
static void write_finished(struct write_job *job)
{
	struct http_write *w = job->ctx;

	w->status = job->status;
	/* from here on w belongs to the worker, which may free it */
	event_active(w->ev, EV_TIMEOUT, 0);
	pthread_mutex_lock(&writes.lock);
	if (--writes.pending == 0)
		pthread_cond_broadcast(&writes.idle);
	pthread_mutex_unlock(&writes.lock);
}

void	http_write_submit(struct http_req *r, struct http_write *w)
{
	w->r = r;
	w->status = 0;
	w->err[0] = 0;
	w->ev = event_new(r->w->base, -1, 0, write_answer, w);
	if (!w->ev) {
		w->status = RESULT_INTERNAL;
		snprintf(w->err, sizeof(w->err), "out of memory");
		w->done(r, w);
		return;
	}
	w->job = (struct write_job){ .body = w->body, .work = w->work,
				     .arg = w->arg, .finished = write_finished,
				     .ctx = w, .err = w->err,
				     .errlen = sizeof(w->err) };
	r->later = true;
	pthread_mutex_lock(&writes.lock);
	writes.pending++;
	pthread_mutex_unlock(&writes.lock);
	writes.submit(&w->job);
}

void	http_write_use(write_submit_fn submit)
{
	writes.submit = submit;
}

void	http_write_idle(void)
{
	pthread_mutex_lock(&writes.lock);
	while (writes.pending > 0)
		pthread_cond_wait(&writes.idle, &writes.lock);
	pthread_mutex_unlock(&writes.lock);
}
