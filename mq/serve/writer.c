/*
 * NAME
 *	writer.c - mq serve's single writer thread
 * SYNOPSIS
 *	#include "mq/serve/writer.h"
 * DESCRIPTION
 *	One thread takes the queued write jobs.  The store bodies found
 *	queued together run in one write transaction, so a burst of API
 *	writes costs one disk flush instead of one each (group commit).  A
 *	body that fails aborts the batch; the rest is tried again without
 *	it, and it runs alone afterwards, for its own answer.  A job with
 *	work instead of a body (a write-through to SQL, a load) runs alone,
 *	in queue order.  Each finished job is handed back through its
 *	finished() callback, on this thread.
 *
 *	After a commit, and before its jobs are answered, the writer makes
 *	the store's lookup set current (store_lookups_refresh: only the
 *	parts whose tables changed are built), so an API client reads its
 *	own write; lookups never wait for that build.
 *
 *	Only one thread writes, so the writer also owns the order: jobs
 *	commit in the order they were submitted, and the answers are those
 *	of a serial run (see run_batch).
 * DIAGNOSTICS
 *	See writer.h.
 */
#include <assert.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "mq/log.h"
#include "mq/ops/ops.h"
#include "mq/serve/writer.h"

#define BATCH_MAX	256	/* bodies in one transaction at most */

static struct {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct write_job *head, **tail;
	struct store *st;
	bool running, stop;
} q = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.wake = PTHREAD_COND_INITIALIZER,
};

/* set_err - the job's reason, into the submitter's buffer */
static void set_err(struct write_job *job, const char *text)
{
	if (job->err && job->errlen)
		snprintf(job->err, job->errlen, "%s", text);
}

/* log_nospace - a write refused for lack of room is the operator's to fix */
static void log_nospace(enum result_kind k, const char *msg)
{
	if (k == RESULT_NOSPACE)
		log_error("write failed: %s", msg);
}

/*
 * lookups_current - the lookup set of what just committed, before the
 *	writes are answered: a client that wrote and then looks up reads
 *	its write.  Lookups meanwhile answer from the previous set; the
 *	builder thread (store/lookup_builder.c) finds this one current.
 */
static void lookups_current(void)
{
	unsigned built;

	if (store_lookups_refresh(q.st, NULL, NULL, &built))
		log_warning("lookups: the set was not rebuilt: %s",
			    store_errmsg(q.st));
}

/* run_work - a job that is not a store body, alone */
static void run_work(struct write_job *job)
{
	char line[1024] = "";

	if (!job->err) {	/* its messages go to the log's stderr */
		job->status = job->work(q.st, job->arg);
		lookups_current();
		return;
	}
	ops_capture(line, sizeof(line));
	job->status = job->work(q.st, job->arg);
	ops_capture_end();
	lookups_current();
	if (job->status && !line[0])
		snprintf(line, sizeof(line), "the write failed (%s)",
			 result_kind_name((enum result_kind)job->status));
	log_nospace((enum result_kind)job->status, line);
	set_err(job, job->status ? line : "");
}

/* run_alone - one body in a transaction of its own */
static void run_alone(struct write_job *job)
{
	enum store_rc rc = store_write(q.st, job->body, job->arg, NULL);

	if (rc == STORE_OK)
		lookups_current();
	job->status = (int)rc;
	set_err(job, !rc ? "" : *store_errmsg(q.st) ? store_errmsg(q.st)
		: store_strerror(rc));
	log_nospace(store_rc_kind(rc), store_errmsg(q.st));
}

struct batch {
	struct write_job *job[BATCH_MAX];
	int n;
	int failed;		/* index of the body that failed, or -1 */
};

/* batch_body - every body of the batch in one transaction */
static enum store_rc batch_body(struct store_txn *txn, void *arg)
{
	struct batch *b = arg;

	b->failed = -1;
	for (int i = 0; i < b->n; i++) {
		enum store_rc rc = b->job[i]->body(txn, b->job[i]->arg);

		if (rc) {
			b->failed = i;
			return rc;
		}
	}
	return STORE_OK;
}

/* drop_from - take the i-th job out of the batch */
static struct write_job *drop_from(struct batch *b, int i)
{
	struct write_job *job = b->job[i];

	memmove(&b->job[i], &b->job[i + 1],
		(size_t)(b->n - i - 1) * sizeof(*b->job));
	b->n--;
	return job;
}

/* committed - a job of a batch that committed: status ok */
static void committed(struct write_job *job)
{
	job->status = 0;
	set_err(job, "");
	job->finished(job);
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
	struct write_job *failed[BATCH_MAX];
	int nfailed = 0;

	while (b->n > 1) {
		if (store_write(q.st, batch_body, b, NULL) == STORE_OK) {
			lookups_current();
			for (int i = 0; i < b->n; i++)
				committed(b->job[i]);
			b->n = 0;
			break;
		}
		if (b->failed < 0)	/* the commit itself failed */
			break;
		failed[nfailed++] = drop_from(b, b->failed);
	}
	for (int i = 0; i < b->n; i++) {
		run_alone(b->job[i]);
		b->job[i]->finished(b->job[i]);
	}
	for (int i = 0; i < nfailed; i++) {
		run_alone(failed[i]);
		failed[i]->finished(failed[i]);
	}
}

/* take_batch - the leading bodies of the queue, or one work job */
static struct write_job *take_batch(struct batch *b)
{
	struct write_job *job = q.head;

	b->n = 0;
	if (job && !job->body) {
		q.head = job->next;
		return job;
	}
	while (q.head && q.head->body && b->n < BATCH_MAX) {
		b->job[b->n++] = q.head;
		q.head = q.head->next;
	}
	return NULL;
}

/* writer_run - the writer thread: until stopped with nothing queued */
static void *writer_run(void *arg)
{
	static struct batch b;
	struct write_job *work;

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
			work->finished(work);
		} else
			run_batch(&b);
		pthread_mutex_lock(&q.lock);
	}
	pthread_mutex_unlock(&q.lock);
	return NULL;
}

void	writer_submit(struct write_job *job)
{
	job->next = NULL;
	job->status = 0;
	set_err(job, "");
	pthread_mutex_lock(&q.lock);
	if (!q.running || q.stop) {
		pthread_mutex_unlock(&q.lock);
		job->status = RESULT_INTERNAL;
		set_err(job, "the writer is not running");
		job->finished(job);
		return;
	}
	*q.tail = job;
	q.tail = &job->next;
	pthread_cond_signal(&q.wake);
	pthread_mutex_unlock(&q.lock);
}

/* One writer_call waiting for its job. */
struct call {
	pthread_mutex_t lock;
	pthread_cond_t done_cond;
	bool done;
};

/* call_finished - on the writer thread: wake the caller */
static void call_finished(struct write_job *job)
{
	struct call *c = job->ctx;

	pthread_mutex_lock(&c->lock);
	c->done = true;
	pthread_cond_signal(&c->done_cond);
	pthread_mutex_unlock(&c->lock);
}

int	writer_call(struct write_job *job)
{
	struct call c = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER,
			  false };

	assert(!q.running || !pthread_equal(pthread_self(), q.thread));
	job->finished = call_finished;
	job->ctx = &c;
	writer_submit(job);
	pthread_mutex_lock(&c.lock);
	while (!c.done)
		pthread_cond_wait(&c.done_cond, &c.lock);
	pthread_mutex_unlock(&c.lock);
	pthread_cond_destroy(&c.done_cond);
	pthread_mutex_destroy(&c.lock);
	return job->status;
}

enum result_kind writer_start(struct store *st)
{
	q.st = st;
	q.head = NULL;
	q.tail = &q.head;
	q.stop = false;
	pthread_mutex_lock(&q.lock);
	q.running = pthread_create(&q.thread, NULL, writer_run, NULL) == 0;
	pthread_mutex_unlock(&q.lock);
	if (!q.running) {
		log_error("serve: cannot start the writer thread");
		return RESULT_INTERNAL;
	}
	return RESULT_OK;
}

void	writer_stop(void)
{
	if (!q.running)
		return;
	pthread_mutex_lock(&q.lock);
	q.stop = true;
	pthread_cond_signal(&q.wake);
	pthread_mutex_unlock(&q.lock);
	pthread_join(q.thread, NULL);
	pthread_mutex_lock(&q.lock);
	q.running = false;
	pthread_mutex_unlock(&q.lock);
}
