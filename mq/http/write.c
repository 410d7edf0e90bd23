/*
 * NAME
 *	http_write.c - mq serve's writer thread: API writes off the loop
 * SYNOPSIS
 *	http_write_submit(r, w);	(from a handler, see http.h)
 * DESCRIPTION
 *	One thread takes the queued writes.  The store bodies found queued
 *	together run in one write transaction, so a burst of API writes
 *	costs one disk flush instead of one each (group commit).  A body
 *	that fails aborts the batch; the rest is tried again without it,
 *	and it runs alone afterwards, for its own answer.  A write with
 *	work instead of a body (a write-through to SQL) runs alone, in
 *	queue order.
 *	Each finished write is handed back to its worker through an event
 *	activated from here (libevent's pthread locking makes that safe).
 *
 *	Only one thread writes, so the writer also owns the order: batches
 *	commit in the order they were submitted, and the answers are those
 *	of a serial run (see run_batch).
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <event2/event.h>

#include "mq/config.h"
#include "mq/ops/ops.h"
#include "mq/http/server.h"
#include "mq/log.h"

#define BATCH_MAX	256	/* writes in one transaction at most */

static struct {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct http_write *head, **tail;
	struct store *st;
	bool running, stop;
} q = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.wake = PTHREAD_COND_INITIALIZER,
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

/* hand_back - from the writer: wake the worker that owns w's request */
static void hand_back(struct http_write *w)
{
	event_active(w->ev, EV_TIMEOUT, 0);
}

/* run_work - a write that is not a store body, alone */
static void run_work(struct http_write *w)
{
	ops_capture(w->err, sizeof(w->err));
	w->status = w->work(q.st, w->arg);
	ops_capture_end();
	if (w->status && !w->err[0])
		snprintf(w->err, sizeof(w->err), "the write failed (exit "
			 "status %d)", w->status);
}

/* run_alone - one body in a transaction of its own */
static void run_alone(struct http_write *w)
{
	enum store_rc rc = store_write(q.st, w->body, w->arg, NULL);

	w->status = (int)rc;
	if (rc)
		snprintf(w->err, sizeof(w->err), "%s", *store_errmsg(q.st)
			 ? store_errmsg(q.st) : store_strerror(rc));
}

struct batch {
	struct http_write *w[BATCH_MAX];
	int n;
	int failed;		/* index of the body that failed, or -1 */
};

/* batch_body - every body of the batch in one transaction */
static enum store_rc batch_body(struct store_txn *txn, void *arg)
{
	struct batch *b = arg;

	b->failed = -1;
	for (int i = 0; i < b->n; i++) {
		enum store_rc rc = b->w[i]->body(txn, b->w[i]->arg);

		if (rc) {
			b->failed = i;
			return rc;
		}
	}
	return STORE_OK;
}

/* drop_from - take the i-th write out of the batch */
static struct http_write *drop_from(struct batch *b, int i)
{
	struct http_write *w = b->w[i];

	memmove(&b->w[i], &b->w[i + 1], (size_t)(b->n - i - 1) * sizeof(*b->w));
	b->n--;
	return w;
}

/*
 * run_batch - commit the batch; a failing body is taken out and the
 *	rest tried again.  The failed ones run alone afterwards, in their
 *	order, for their own answers: every answer is then that of a serial
 *	run in which, within a batch, the failing writes come last (two
 *	creates of one list: the first submitted wins).
 */
static void run_batch(struct batch *b)
{
	struct http_write *failed[BATCH_MAX];
	int nfailed = 0;

	while (b->n > 1) {
		if (store_write(q.st, batch_body, b, NULL) == STORE_OK) {
			for (int i = 0; i < b->n; i++)
				hand_back(b->w[i]);
			b->n = 0;
			break;
		}
		if (b->failed < 0)	/* the commit itself failed */
			break;
		failed[nfailed++] = drop_from(b, b->failed);
	}
	for (int i = 0; i < b->n; i++) {
		run_alone(b->w[i]);
		hand_back(b->w[i]);
	}
	for (int i = 0; i < nfailed; i++) {
		run_alone(failed[i]);
		hand_back(failed[i]);
	}
}

/* take_batch - the leading bodies of the queue, or one work item */
static struct http_write *take_batch(struct batch *b)
{
	struct http_write *w = q.head;

	b->n = 0;
	if (w && !w->body) {
		q.head = w->next;
		return w;
	}
	while (q.head && q.head->body && b->n < BATCH_MAX) {
		b->w[b->n++] = q.head;
		q.head = q.head->next;
	}
	return NULL;
}

/* writer_run - the writer thread: until stopped with nothing queued */
static void *writer_run(void *arg)
{
	static struct batch b;
	struct http_write *work;

	(void)arg;
	pthread_mutex_lock(&q.lock);
	for (;;) {
		while (!q.head && !q.stop)
			pthread_cond_wait(&q.wake, &q.lock);
		if (!q.head)
			break;
		work = take_batch(&b);
		if (!q.head)
			q.tail = &q.head;
		pthread_mutex_unlock(&q.lock);
		if (work) {
			run_work(work);
			hand_back(work);
		} else
			run_batch(&b);
		pthread_mutex_lock(&q.lock);
	}
	pthread_mutex_unlock(&q.lock);
	return NULL;
}

void	http_write_submit(struct http_req *r, struct http_write *w)
{
	w->r = r;
	w->next = NULL;
	w->status = 0;
	w->err[0] = 0;
	w->ev = event_new(r->w->base, -1, 0, write_answer, w);
	if (!w->ev) {
		w->status = RESULT_INTERNAL;
		snprintf(w->err, sizeof(w->err), "out of memory");
		w->done(r, w);
		return;
	}
	r->later = true;
	pthread_mutex_lock(&q.lock);
	*q.tail = w;
	q.tail = &w->next;
	pthread_cond_signal(&q.wake);
	pthread_mutex_unlock(&q.lock);
}

int	http_writer_start(struct store *st)
{
	q.st = st;
	q.head = NULL;
	q.tail = &q.head;
	q.stop = false;
	if (pthread_create(&q.thread, NULL, writer_run, NULL) != 0) {
		log_error("http: cannot start the writer thread");
		return RESULT_INTERNAL;
	}
	q.running = true;
	return 0;
}

void	http_writer_stop(void)
{
	if (!q.running)
		return;
	pthread_mutex_lock(&q.lock);
	q.stop = true;
	pthread_cond_signal(&q.wake);
	pthread_mutex_unlock(&q.lock);
	pthread_join(q.thread, NULL);
	q.running = false;
}
