/*
 * NAME
 *	lmdb_floor.h - LMDB alone appending what a store file holds
 * SYNOPSIS
 *	#include "bench/lmdb_floor.h"
 *
 *	secs = lmdb_floor(src, dst, &entries);
 * DESCRIPTION
 *	The floor under any apply into the store's format: every entry of
 *	every database of the closed store file src (a first load's rows,
 *	index entries and change records, and the little else a new store
 *	holds) is appended, in each database's key order, into a new file
 *	dst by LMDB alone, in write transactions of about the 30 ms mq's
 *	apply holds the lock for, each committed with LMDB's fsync.  No
 *	SQL, no checks, no encoding, no sort: what is left is the work of
 *	LMDB's pages.  The seconds are wall time from dst's first
 *	transaction to its last commit; *entries counts the entries.
 *
 *	src must not be open in this process: a second environment on one
 *	file would drop the first one's locks when closed (lmdb.h, CAVEATS).
 * DIAGNOSTICS
 *	die() when LMDB fails.
 */
#ifndef MQ_BENCH_LMDB_FLOOR_H
#define MQ_BENCH_LMDB_FLOOR_H

#include <lmdb.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define FLOOR_TXN_MS	30	/* mq's apply: APPLY_LOCK_MS */
#define FLOOR_MAX_DBS	8192	/* as many as a store may hold */

static void floor_check(int rc, const char *what)
{
	if (rc)
		die("lmdb floor: %s: %s", what, mdb_strerror(rc));
}

static double floor_ms(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) * 1e3 +
		(double)(t.tv_nsec - t0->tv_nsec) / 1e6;
}

static MDB_env *floor_env(const char *path, unsigned flags, size_t map)
{
	MDB_env *env;

	floor_check(mdb_env_create(&env), "create");
	floor_check(mdb_env_set_maxdbs(env, FLOOR_MAX_DBS), "maxdbs");
	if (map)
		floor_check(mdb_env_set_mapsize(env, map), "mapsize");
	floor_check(mdb_env_open(env, path, MDB_NOSUBDIR | flags, 0600),
		    path);
	return env;
}

/* floor_out - the destination's transaction, begun again every 30 ms */
struct floor_out {
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;		/* the database being appended to */
	MDB_cursor *cur;	/* at its end, or NULL */
	struct timespec t0;
	uint64_t puts;
};

static void floor_begin(struct floor_out *o)
{
	floor_check(mdb_txn_begin(o->env, NULL, 0, &o->txn), "begin");
	clock_gettime(CLOCK_MONOTONIC, &o->t0);
}

/* floor_tick - commit and begin again once the transaction had its time */
static void floor_tick(struct floor_out *o)
{
	if (++o->puts % 256 || floor_ms(&o->t0) < FLOOR_TXN_MS)
		return;
	floor_check(mdb_txn_commit(o->txn), "commit");	/* frees o->cur */
	floor_begin(o);
	floor_check(mdb_cursor_open(o->txn, o->dbi, &o->cur), "cursor");
}

/* floor_db - append every entry of src's database name to o */
static void floor_db(MDB_txn *src, const MDB_val *name, struct floor_out *o)
{
	char cname[512];
	MDB_dbi from;
	MDB_cursor *in;
	MDB_val k, d;
	unsigned flags, put;
	int rc;

	snprintf(cname, sizeof(cname), "%.*s", (int)name->mv_size,
		 (const char *)name->mv_data);
	floor_check(mdb_dbi_open(src, cname, 0, &from), cname);
	floor_check(mdb_dbi_flags(src, from, &flags), cname);
	floor_check(mdb_dbi_open(o->txn, cname, flags | MDB_CREATE, &o->dbi),
		    cname);
	floor_check(mdb_cursor_open(o->txn, o->dbi, &o->cur), cname);
	put = flags & MDB_DUPSORT ? MDB_APPENDDUP : MDB_APPEND;
	floor_check(mdb_cursor_open(src, from, &in), cname);
	for (rc = mdb_cursor_get(in, &k, &d, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(in, &k, &d, MDB_NEXT)) {
		floor_check(mdb_cursor_put(o->cur, &k, &d, put), cname);
		floor_tick(o);
	}
	if (rc != MDB_NOTFOUND)
		floor_check(rc, cname);
	mdb_cursor_close(in);
	mdb_cursor_close(o->cur);
}

static double lmdb_floor(const char *src_path, const char *dst_path,
			 uint64_t *entries)
{
	struct stat sb;
	MDB_env *src;
	MDB_txn *rd;
	MDB_dbi main_db;
	MDB_cursor *names;
	MDB_val k, d;
	struct floor_out o = { 0 };
	struct timespec t0;
	int rc;

	if (stat(src_path, &sb))
		die("lmdb floor: %s: cannot stat", src_path);
	src = floor_env(src_path, MDB_RDONLY, 0);
	unlink(dst_path);
	o.env = floor_env(dst_path, 0, (size_t)sb.st_size * 2 + (64 << 20));
	floor_check(mdb_txn_begin(src, NULL, MDB_RDONLY, &rd), "read");
	floor_check(mdb_dbi_open(rd, NULL, 0, &main_db), "main");
	floor_check(mdb_cursor_open(rd, main_db, &names), "main");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	floor_begin(&o);
	for (rc = mdb_cursor_get(names, &k, &d, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(names, &k, &d, MDB_NEXT))
		floor_db(rd, &k, &o);
	floor_check(mdb_txn_commit(o.txn), "commit");
	double secs = floor_ms(&t0) / 1e3;

	mdb_cursor_close(names);
	mdb_txn_abort(rd);
	mdb_env_close(src);
	mdb_env_close(o.env);
	*entries = o.puts;
	return secs;
}

#endif
