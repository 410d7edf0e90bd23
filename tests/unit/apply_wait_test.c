/*
 * apply_wait_test - a large store_diff_apply leaves the write lock free
 * between its transactions when a writer waits for it, and only then:
 *
 * - a load of ROWS capacity rows in transactions of BATCH changes, with
 *   no other writer: no pause at all;
 * - the same while a thread of the process, then a child process with
 *   its own handle, waits for the write lock: it gets in after at most
 *   WAIT_MAX of the apply's transactions (one, two if it came just after
 *   the apply looked, one more for a waiter that a busy machine woke
 *   late);
 * - the same while a thread, then a child process, says it waits for
 *   ANNOUNCE_MS (as a waiter that a busy machine is slow to wake): the
 *   apply pauses, and no more once it stopped saying so;
 * - store_writer_waits while a writer holds the lock: it sees a thread
 *   that waits, then a child process that waits, and nobody once the
 *   thread got in or the child was killed (SIGKILL) while waiting.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "store/internal.h"
#include "tests/unit/check.h"
#include "tests/unit/store_util.h"

#define ROWS	10000		/* capacity rows of a load */
#define BATCH	64		/* changes a transaction: 157 of them */
#define WAIT_MAX 3		/* the apply's transactions a waiter sees */
#define NAME_LEN 32
#define ANNOUNCE_MS 100	/* a waiter says it waits that long */

static char dir[] = "/tmp/mq-apply-wait-test-XXXXXX";
static char path[256];
static char name[NAME_LEN];

/* us_now - the monotonic clock in microseconds */
static long us_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

/* nap_ms - sleep ms milliseconds */
static void nap_ms(long ms)
{
	struct timespec ts = { ms / 1000, ms % 1000 * 1000000 };

	nanosleep(&ts, NULL);
}

/* A load of ROWS new capacity rows, applied in a thread of its own. */
struct load {
	struct store *st;
	struct store_diff *d;
	struct store_apply_counts n;	/* the difference points into it */
	uint64_t seq;			/* the store's before the apply */
	enum store_rc rc;
	pthread_t thread;
};

/* load_new - the difference of an empty capacity table and ROWS rows */
static bool load_new(struct store *st, struct load *l)
{
	struct big_source b = { reg_mailerq_find("capacity"), name, NAME_LEN,
				0, ROWS };
	struct store_txn *txn;
	enum store_rc rc;

	memset(l, 0, sizeof(*l));
	l->st = st;
	l->seq = seq_of(st);
	if (store_read_begin(st, &txn))
		return false;
	rc = store_diff_new(txn, &l->d);
	if (rc == STORE_OK)
		rc = store_diff_table(txn, l->d, "capacity", next_big, &b,
				      &l->n);
	store_read_end(txn);
	return rc == STORE_OK;
}

static void *load_apply(void *arg)
{
	struct load *l = arg;

	l->rc = store_diff_apply(l->st, l->d, BATCH, NULL);
	return NULL;
}

/* load_start - begin the apply in its thread; back once it committed 3 */
static void load_start(struct load *l)
{
	pthread_create(&l->thread, NULL, load_apply, l);
	while (seq_of(l->st) < l->seq + 3)
		nap_ms(1);
}

/* load_end - wait for the apply; true if it applied every row */
static bool load_end(struct load *l)
{
	pthread_join(l->thread, NULL);
	store_diff_free(l->d);
	return l->rc == STORE_OK && l->n.inserted == ROWS;
}

/* What a waiter saw: the apply's commits while it waited, and the time. */
struct waited {
	uint64_t seq0;		/* the sequence as it began to wait */
	uint64_t passed;
	long us;
};

/* seen_fn - the waiter's write transaction: what committed before it */
static enum store_rc seen_fn(struct store_txn *txn, void *arg)
{
	struct waited *w = arg;
	struct store_meta m;
	enum store_rc rc = store_meta_get(txn, &m);

	w->passed = m.seq - w->seq0;
	return rc;
}

/* wait_write - a write transaction, timed from its request */
static enum store_rc wait_write(struct store *st, struct waited *w)
{
	enum store_rc rc;

	w->seq0 = seq_of(st);
	w->us = us_now();
	rc = store_write(st, seen_fn, w, NULL);
	w->us = us_now() - w->us;
	return rc;
}

/* rm_store - remove the store's files */
static void rm_store(void)
{
	char lock[300];

	unlink(path);
	snprintf(lock, sizeof(lock), "%s-lock", path);
	unlink(lock);
}

/* store_new - a new store at path; NULL: failed */
static struct store *store_new(void)
{
	struct store *st = NULL;
	char err[512] = "";

	rm_store();
	CHECK(store_open(path, 0, NULL, &st, err, sizeof(err)) == STORE_OK,
	      "store opens: %s", err);
	return st;
}

/* A load with nobody else writing: no pause. */
static void alone(void)
{
	struct store *st = store_new();
	struct load l;
	long us = us_now();

	if (!st || !load_new(st, &l))
		return;
	load_apply(&l);
	us = us_now() - us;
	CHECK(load_end(&l) && seq_of(st) - l.seq >= ROWS / BATCH,
	      "a load alone: %d rows in %llu transactions", ROWS,
	      (unsigned long long)(seq_of(st) - l.seq));
	CHECK(st->pauses == 0, "with no writer waiting it pauses %lu "
	      "times, not once (%ld ms)", st->pauses, us / 1000);
	store_close(st);
}

/* A thread that waits while a load applies. */
static void thread_waits(void)
{
	struct store *st = store_new();
	struct waited w = { 0 };
	struct load l;
	enum store_rc rc;

	if (!st || !load_new(st, &l))
		return;
	load_start(&l);
	rc = wait_write(st, &w);
	CHECK(load_end(&l), "a load while a thread waits: applied");
	CHECK(rc == STORE_OK && w.passed <= WAIT_MAX,
	      "the thread got in after %llu of the load's transactions "
	      "(%ld ms; at most %d), the load paused %lu times",
	      (unsigned long long)w.passed, w.us / 1000, WAIT_MAX,
	      st->pauses);
	store_close(st);
}

/* child_waits_run - the child: its own handle, a write while st loads */
static void child_waits_run(int in, int out)
{
	struct store *st = NULL;
	struct waited w = { 0 };
	uint64_t start;
	char err[512];

	if (store_open(path, 0, NULL, &st, err, sizeof(err)) ||
	    write(out, "r", 1) != 1 ||
	    read(in, &start, sizeof(start)) != sizeof(start))
		_exit(1);
	while (seq_of(st) < start + 3)
		nap_ms(1);
	if (wait_write(st, &w) != STORE_OK ||
	    write(out, &w, sizeof(w)) != sizeof(w))
		_exit(1);
	_exit(0);
}

/* A child process that waits while a load applies. */
static void child_waits(void)
{
	struct store *st = store_new();
	struct waited w = { 0 };
	struct load l;
	int to[2], from[2], status = -1;
	char ready = 0;
	bool got;
	pid_t pid;

	if (!st || !load_new(st, &l) || pipe(to) || pipe(from))
		return;
	if ((pid = fork()) == 0)
		child_waits_run(to[0], from[1]);
	got = read(from[0], &ready, 1) == 1 &&
		write(to[1], &l.seq, sizeof(l.seq)) == sizeof(l.seq);
	if (got)
		load_start(&l);
	got = got && read(from[0], &w, sizeof(w)) == sizeof(w);
	CHECK(load_end(&l), "a load while a child process waits: applied");
	waitpid(pid, &status, 0);
	CHECK(got && status == 0 && w.passed <= WAIT_MAX,
	      "the child got in after %llu of the load's transactions "
	      "(%ld ms; at most %d), the load paused %lu times",
	      (unsigned long long)w.passed, w.us / 1000, WAIT_MAX,
	      st->pauses);
	for (int i = 0; i < 2; i++) {
		close(to[i]);
		close(from[i]);
	}
	store_close(st);
}

/* announce_run - the child: say it waits from "g" until "s" */
static void announce_run(int in, int out)
{
	struct store *st = NULL;
	char err[512], c;

	if (store_open(path, 0, NULL, &st, err, sizeof(err)) ||
	    write(out, "r", 1) != 1 || read(in, &c, 1) != 1)
		_exit(1);
	store_wait_begin(st);
	if (write(out, "w", 1) != 1 || read(in, &c, 1) != 1)
		_exit(1);
	store_wait_end(st);
	_exit(0);
}

/*
 * announced - a load while this thread (child: a child process) says it
 *	waits for ANNOUNCE_MS: the load pauses, and at most once more
 *	after it stopped saying so
 */
static void announced(bool child)
{
	struct store *st = store_new();
	struct load l;
	int to[2], from[2];
	unsigned long during, after;
	char c = 0;
	pid_t pid = -1;
	bool ok;

	if (!st || !load_new(st, &l) || pipe(to) || pipe(from))
		return;
	if (child && (pid = fork()) == 0)
		announce_run(to[0], from[1]);
	ok = !child || read(from[0], &c, 1) == 1;
	load_start(&l);
	if (child)
		ok = ok && write(to[1], "g", 1) == 1 &&
			read(from[0], &c, 1) == 1;
	else
		store_wait_begin(st);
	nap_ms(ANNOUNCE_MS);
	if (child)
		ok = ok && write(to[1], "s", 1) == 1 &&
			waitpid(pid, NULL, 0) == pid;
	else
		store_wait_end(st);
	during = __atomic_load_n(&st->pauses, __ATOMIC_RELAXED);
	CHECK(load_end(&l), "a load while %s says it waits: applied",
	      child ? "a child process" : "a thread");
	after = st->pauses;
	CHECK(ok && during > 0 && after - during <= 1, "it paused %lu "
	      "times in about %d ms, %lu after (one may have begun)", during,
	      ANNOUNCE_MS, after - during);
	for (int i = 0; i < 2; i++) {
		close(to[i]);
		close(from[i]);
	}
	store_close(st);
}

/* seen_within - does store_writer_waits answer want within 5 s? */
static bool seen_within(struct store *st, bool want)
{
	for (int i = 0; i < 5000; i++, nap_ms(1))
		if (store_writer_waits(st) == want)
			return true;
	return false;
}

static void *wait_thread(void *arg)
{
	struct waited w;

	wait_write(arg, &w);
	return NULL;
}

/* waiters_seen - a thread, then a child killed while it waits */
static void waiters_seen(void)
{
	struct store *st = store_new();
	struct holder h = { .st = st, .m = PTHREAD_MUTEX_INITIALIZER,
			    .c = PTHREAD_COND_INITIALIZER };
	pthread_t waiter;
	int go[2];
	pid_t pid;
	char c = 0;

	if (!st || pipe(go))
		return;
	CHECK(!store_writer_waits(st), "nobody waits at first");
	hold(&h);
	CHECK(!store_writer_waits(st), "a writer that holds the lock does "
	      "not wait");
	pthread_create(&waiter, NULL, wait_thread, st);
	CHECK(seen_within(st, true), "a thread that waits is seen");
	let_go(&h);
	pthread_join(waiter, NULL);
	CHECK(!store_writer_waits(st), "once it got in, nobody waits");

	if ((pid = fork()) == 0) {	/* no thread runs but this one */
		struct store *mine = NULL;
		struct waited w;
		char err[512];

		if (read(go[0], &c, 1) != 1 ||
		    store_open(path, 0, NULL, &mine, err, sizeof(err)))
			_exit(1);
		wait_write(mine, &w);
		_exit(0);
	}
	hold(&h);
	CHECK(write(go[1], "g", 1) == 1 && seen_within(st, true),
	      "a child process that waits is seen");
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	CHECK(!store_writer_waits(st), "killed while it waited, it leaves "
	      "nobody waiting");
	let_go(&h);
	close(go[0]);
	close(go[1]);
	store_close(st);
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof(path), "%s/mq.mdb", dir);
	memset(name, 'n', sizeof(name));
	alone();
	thread_waits();
	child_waits();
	announced(false);
	announced(true);
	waiters_seen();
	rm_store();
	rmdir(dir);
	return check_done();
}
