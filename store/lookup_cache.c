/*
 * NAME
 *	lookup_cache.c - one shared lookup set per store version
 * SYNOPSIS
 *	#include "store/store.h"
 *
 *	store_lookups_acquire(&txn, report, arg, &set);	  a new reference
 *	store_lookups_renew(&txn, &held);		  keep or swap
 *	store_lookups_release(set);
 * DESCRIPTION
 *	Building a lookup set costs milliseconds per 10,000 capacity rows,
 *	so an open store keeps the newest one it built (st->lookups, under
 *	st->lookups_lock) and hands it to every thread whose snapshot it
 *	fits; the first thread that needs a newer version builds it (from
 *	the newest, sharing the parts whose tables did not change) while
 *	the others that need it wait on the lock, instead of each building
 *	its own.  In the background mode (lookup_builder.c: mq serve) a
 *	reader never builds once a set exists: it takes the newest set
 *	even when its snapshot is newer, and the builder thread swaps the
 *	next set in when it is complete.
 *
 *	A set counts its holders (an atomic count: releasing takes no
 *	lock); the store holds one reference to its newest set, so a set
 *	lives until it is both replaced and let go by every thread.  Only
 *	a set whose count is zero is freed, and the newest set's count
 *	never drops to zero while the store holds it, so acquiring under
 *	the lock never meets a set being freed.
 * DIAGNOSTICS
 *	See lookup.h: STORE_INTERNAL when out of memory, read failures.
 */
#include <stdatomic.h>

#include "store/lookup_internal.h"

void store_lookups_release(const struct lookup_set *ls)
{
	struct lookup_set *s = (struct lookup_set *)ls;

	if (s && atomic_fetch_sub_explicit(&s->refs, 1,
					   memory_order_acq_rel) == 1)
		lookup_set_free(s);
}

/* snapshot_older - is (version, epoch) older than ls's? */
static bool snapshot_older(const struct lookup_set *ls, uint64_t version,
			   uint64_t epoch)
{
	return epoch < ls->epoch ||
		(epoch == ls->epoch && version < ls->version);
}

/*
 * fits_newest - (lookups_lock held) does the newest set fit *txn?  A
 *	read snapshot older than it is renewed first.
 */
static enum store_rc fits_newest(struct store *st, struct store_txn **txn,
				 bool *fits)
{
	const struct lookup_set *ls = st->lookups;
	uint64_t version, epoch;
	enum store_rc rc = lookup_version(*txn, &version, &epoch);

	*fits = false;
	if (rc || !ls)
		return rc;
	if (snapshot_older(ls, version, epoch)) {
		store_read_end(*txn);
		if ((rc = store_read_begin(st, txn)) ||
		    (rc = lookup_version(*txn, &version, &epoch)))
			return rc;
	}
	*fits = version == ls->version && epoch == ls->epoch;
	return STORE_OK;
}

/*
 * newest_build - (lookups_lock held) build the set of *txn and make it
 *	the newest; *old receives the one it replaces, for the caller to
 *	release once the lock is given back.
 */
static enum store_rc newest_build(struct store_txn *txn,
				  pattern_report_fn report, void *arg,
				  struct lookup_set **old)
{
	struct lookup_set *ls;
	enum store_rc rc = lookup_set_update(txn, txn->st->lookups, report,
					     arg, &ls, NULL);

	if (rc)
		return rc;
	lookup_set_hold(ls);		/* the store's own reference */
	*old = txn->st->lookups;
	txn->st->lookups = ls;
	return STORE_OK;
}

/* own_set - a write transaction's set: never shared, freed on release. */
static enum store_rc own_set(struct store_txn *txn, pattern_report_fn report,
			     void *arg, const struct lookup_set **out)
{
	struct lookup_set *ls;
	enum store_rc rc = lookup_set_build(txn, report, arg, &ls);

	if (rc == STORE_OK) {
		lookup_set_hold(ls);
		*out = ls;
	}
	return rc;
}

enum store_rc store_lookups_acquire(struct store_txn **txn,
				    pattern_report_fn report, void *arg,
				    const struct lookup_set **out)
{
	struct store *st = (*txn)->st;
	struct lookup_set *old = NULL;
	bool fits;
	enum store_rc rc;

	*out = NULL;
	if ((*txn)->write)
		return own_set(*txn, report, arg, out);
	pthread_mutex_lock(&st->lookups_lock);
	rc = fits_newest(st, txn, &fits);
	/* The builder brings the next set: the newest answers meanwhile. */
	if (rc == STORE_OK && !fits && !(st->lookups_background &&
					 st->lookups))
		rc = newest_build(*txn, report, arg, &old);
	if (rc == STORE_OK) {
		lookup_set_hold(st->lookups);
		*out = st->lookups;
	}
	pthread_mutex_unlock(&st->lookups_lock);
	store_lookups_release(old);
	return rc;
}

enum store_rc store_lookups_renew(struct store_txn **txn,
				  const struct lookup_set **held)
{
	const struct lookup_set *fresh;
	bool current = false;
	enum store_rc rc;

	if (*held && (rc = lookup_set_current(*held, *txn, &current)))
		return rc;
	if (current)
		return STORE_OK;
	if ((rc = store_lookups_acquire(txn, NULL, NULL, &fresh)))
		return rc;
	store_lookups_release(*held);
	*held = fresh;
	return STORE_OK;
}

/* swap_in - ls becomes the newest set unless a reader built a newer one. */
static void swap_in(struct store *st, struct lookup_set *ls)
{
	struct lookup_set *old;

	lookup_set_hold(ls);		/* the store's own reference */
	pthread_mutex_lock(&st->lookups_lock);
	old = st->lookups;
	if (old && (old->epoch > ls->epoch || (old->epoch == ls->epoch &&
					       old->version > ls->version)))
		old = ls;		/* a reader built a newer one */
	else
		st->lookups = ls;
	pthread_mutex_unlock(&st->lookups_lock);
	store_lookups_release(old);
}

enum store_rc store_lookups_refresh(struct store *st, pattern_report_fn report,
				    void *arg, unsigned *built)
{
	bool moved;

	return store_lookups_refresh_moved(st, report, arg, false, built,
					   &moved);
}

enum store_rc store_lookups_refresh_moved(struct store *st,
					  pattern_report_fn report, void *arg,
					  bool guarded, unsigned *built,
					  bool *moved)
{
	struct store_guard g;
	struct store_txn *txn;
	struct lookup_set *base, *ls = NULL;
	bool current = false;
	uint64_t t0 = lookup_now_us(CLOCK_MONOTONIC);
	uint64_t cpu0 = lookup_now_us(CLOCK_THREAD_CPUTIME_ID);
	enum store_rc rc;

	*built = 0;
	*moved = false;
	/* The writer and the builder thread may both come for one commit:
	 * the second finds the set current. */
	pthread_mutex_lock(&st->lookups_build_lock);
	if (guarded && store_guard_set(&g)) {
		/* a read of the map faulted: what the build held is
		 * abandoned (docs/store.md), the lock given back */
		pthread_mutex_unlock(&st->lookups_build_lock);
		return store_guard_fault(st, &g);
	}
	if (guarded)
		store_guard_arm(&g);
	if ((rc = store_read_begin(st, &txn))) {
		if (guarded)
			store_guard_disarm();
		pthread_mutex_unlock(&st->lookups_build_lock);
		return rc;
	}
	pthread_mutex_lock(&st->lookups_lock);
	if ((base = st->lookups))
		lookup_set_hold(base);
	pthread_mutex_unlock(&st->lookups_lock);
	if (base)
		rc = lookup_set_current(base, txn, &current);
	*moved = rc == STORE_OK && !current;
	if (*moved)
		rc = lookup_set_update(txn, base, report, arg, &ls, built);
	store_read_end(txn);
	if (guarded)
		store_guard_disarm();
	store_lookups_release(base);
	if (ls) {
		/* counted while still ours: once swapped in, the store's
		 * is the only reference, and an install may drop it */
		lookup_builder_count(st, ls, *built,
				     lookup_now_us(CLOCK_MONOTONIC) - t0,
				     lookup_now_us(CLOCK_THREAD_CPUTIME_ID) -
				     cpu0);
		swap_in(st, ls);
	}
	pthread_mutex_unlock(&st->lookups_build_lock);
	return rc;
}
