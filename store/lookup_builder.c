/*
 * NAME
 *	lookup_builder.c - a thread that keeps the store's lookup set
 *	current, off the lookup path
 * SYNOPSIS
 *	#include "store/store.h"
 *
 *	store_lookups_builder_start(st, report, arg);	   mq serve
 *	...
 *	store_lookups_stats(st, &stats);
 *	store_lookups_builder_stop(st);
 * DESCRIPTION
 *	With a builder, readers never build (lookup_cache.c's background
 *	mode): they answer from the newest complete set, and this thread
 *	builds the next one after every commit and swaps it in.  It wakes
 *	on the store file's watch (watch.c), so a commit by this process,
 *	by another one (mq set, an MTA linking libmq.a) or by replication
 *	starts a build within microseconds; without a watch it looks
 *	every POLL_MS.  A build shares the parts whose tables did not
 *	change (lookup_set_update): a write to paused rebuilds nothing, a
 *	write to capacity rebuilds the capacity part only, and that for
 *	the domains the write touched (lookup_capinc.c).
 *
 *	The thread runs as SCHED_BATCH: a wake-up does not preempt the
 *	lookup threads, which keep their tail latency while it builds.
 *
 *	Staleness: a lookup may answer from the set before the newest
 *	commit for as long as the builder needs to build the parts that
 *	commit changed, plus one such build when a second commit lands
 *	during the first.  Rows the lookups read from the snapshot
 *	(paused, errors, delegates, mtanames) are never stale.
 * DIAGNOSTICS
 *	store_lookups_builder_start: STORE_INTERNAL when the thread or
 *	its pipe cannot be made, or the first build's failure.  A later
 *	build that fails is counted (lookup_stats.failures) and retried
 *	on the next wake-up; the readers keep the set they have.
 */
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store/lookup_internal.h"

#define POLL_MS		20	/* without a watch: look this often */
#define WATCH_POLL_MS	1000	/* with one: a missed wake-up's bound */
#define SETTLE_MS	2	/* a commit's last write to its visibility */
#define SETTLE_TRIES	5

struct lookup_builder {
	struct store *st;
	pthread_t thread;
	int watch_fd;		/* store_watch_open, or -1 */
	int stop[2];		/* a pipe: written to stop the thread */
	pattern_report_fn report;
	void *arg;
	_Atomic uint64_t sets, failures, last_us, max_us, max_cpu_us;
	_Atomic uint64_t part_builds[LOOKUP_PARTS];
	_Atomic uint64_t part_cpu_us[LOOKUP_PARTS];
	_Atomic uint64_t capacity_incremental;
};

uint64_t lookup_now_us(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000;
}

void lookup_builder_count(struct store *st, const struct lookup_set *ls,
			  unsigned built, uint64_t us, uint64_t cpu_us)
{
	struct lookup_builder *b = st->lookup_builder;

	if (!b)
		return;
	atomic_fetch_add(&b->sets, 1);
	for (int p = 0; p < LOOKUP_PARTS; p++)
		if (built & (1u << p)) {
			atomic_fetch_add(&b->part_builds[p], 1);
			atomic_fetch_add(&b->part_cpu_us[p],
					 ls->part[p]->build_cpu_us);
		}
	if ((built & (1u << LOOKUP_PART_CAPACITY)) &&
	    lookup_set_incremental(ls, LOOKUP_PART_CAPACITY))
		atomic_fetch_add(&b->capacity_incremental, 1);
	atomic_store(&b->last_us, us);
	if (us > atomic_load(&b->max_us))
		atomic_store(&b->max_us, us);
	if (cpu_us > atomic_load(&b->max_cpu_us))
		atomic_store(&b->max_cpu_us, cpu_us);
}

/*
 * refresh - build the set of the newest snapshot; false: nothing moved.
 *	*damaged: a read of the map faulted (the file was cut short): the
 *	store answers STORE_DAMAGED from now on, and the builder stops.
 */
static bool refresh(struct lookup_builder *b, bool *damaged)
{
	unsigned built = 0;
	bool moved = false;
	enum store_rc rc = store_lookups_refresh_moved(b->st, b->report,
						       b->arg, true, &built,
						       &moved);

	if (rc)
		atomic_fetch_add(&b->failures, 1);
	*damaged = rc == STORE_DAMAGED;
	return moved;
}

/* stopping - is the stop pipe readable within ms? */
static bool stopping(struct lookup_builder *b, int ms)
{
	struct pollfd p = { .fd = b->stop[0], .events = POLLIN };

	return poll(&p, 1, ms) > 0;
}

/* wait_commit - wait for a commit (or the time bound); false: stop. */
static bool wait_commit(struct lookup_builder *b)
{
	struct pollfd p[2] = { { .fd = b->stop[0], .events = POLLIN },
			       { .fd = b->watch_fd, .events = POLLIN } };
	int n = b->watch_fd >= 0 ? 2 : 1;
	int r = poll(p, (nfds_t)n, b->watch_fd >= 0 ? WATCH_POLL_MS : POLL_MS);

	if (r < 0 && errno != EINTR)
		return false;
	if (p[0].revents)
		return false;
	if (n == 2 && p[1].revents)
		store_watch_drain(b->watch_fd);
	return true;
}

/*
 * builder_run - refresh after every wake-up.  The watch fires on a
 *	commit's writes, a little before a new read transaction sees the
 *	commit (LMDB publishes it after its meta page is written): a
 *	wake-up that finds nothing new looks again a few times, SETTLE_MS
 *	apart.
 */
static void *builder_run(void *arg)
{
	struct lookup_builder *b = arg;
	bool damaged = false;
	struct sched_param batch = { 0 };

	/* A build is batch work: waking, it waits for its turn instead of
	 * preempting a lookup thread (same share of the CPU, so a writer
	 * waiting for the build lock it holds is not starved).  Refused,
	 * the thread builds as it is. */
	pthread_setschedparam(pthread_self(), SCHED_BATCH, &batch);
	while (!damaged && wait_commit(b))
		for (int i = 0; !refresh(b, &damaged) && !damaged &&
		     i < SETTLE_TRIES; i++)
			if (stopping(b, SETTLE_MS))
				return NULL;
	return NULL;
}

/* builder_free - close what start opened. */
static void builder_free(struct lookup_builder *b)
{
	if (b->watch_fd >= 0)
		close(b->watch_fd);
	close(b->stop[0]);
	close(b->stop[1]);
	free(b);
}

enum store_rc store_lookups_builder_start(struct store *st,
					  pattern_report_fn report, void *arg)
{
	struct lookup_builder *b;
	unsigned built;
	enum store_rc rc;

	if (st->lookup_builder)
		return STORE_OK;
	if (!(b = calloc(1, sizeof(*b))) || pipe(b->stop)) {
		free(b);
		return store_fail(st, STORE_INTERNAL, "lookup builder: %s",
				  strerror(errno));
	}
	*b = (struct lookup_builder){ .st = st, .stop = { b->stop[0],
		b->stop[1] }, .report = report, .arg = arg,
		.watch_fd = store_watch_open(st) };
	/* The first set before any reader: from here on they never build. */
	st->lookup_builder = b;
	if (!(rc = store_lookups_refresh(st, report, arg, &built)) &&
	    (errno = pthread_create(&b->thread, NULL, builder_run, b)))
		rc = store_fail(st, STORE_INTERNAL, "lookup builder: %s",
				strerror(errno));
	if (rc) {
		st->lookup_builder = NULL;
		builder_free(b);
		return rc;
	}
	store_lookups_background(st, true);
	return STORE_OK;
}

void store_lookups_builder_stop(struct store *st)
{
	struct lookup_builder *b = st->lookup_builder;

	if (!b)
		return;
	if (write(b->stop[1], "", 1) != 1)
		pthread_cancel(b->thread);	/* cannot happen: a fresh pipe */
	pthread_join(b->thread, NULL);
	store_lookups_background(st, false);
	st->lookup_builder = NULL;
	builder_free(b);
}

void store_lookups_background(struct store *st, bool on)
{
	pthread_mutex_lock(&st->lookups_lock);
	st->lookups_background = on;
	pthread_mutex_unlock(&st->lookups_lock);
}

void store_lookups_stats(const struct store *st, struct lookup_stats *out)
{
	const struct lookup_builder *b = st->lookup_builder;

	*out = (struct lookup_stats){ 0 };
	if (!b)
		return;
	out->running = true;
	out->sets = atomic_load(&b->sets);
	out->failures = atomic_load(&b->failures);
	out->last_build_us = atomic_load(&b->last_us);
	out->max_build_us = atomic_load(&b->max_us);
	out->max_build_cpu_us = atomic_load(&b->max_cpu_us);
	for (int p = 0; p < LOOKUP_PARTS; p++) {
		out->part_builds[p] = atomic_load(&b->part_builds[p]);
		out->part_cpu_us[p] = atomic_load(&b->part_cpu_us[p]);
	}
	out->capacity_incremental = atomic_load(&b->capacity_incremental);
}
