/*
 * NAME
 *	checktag - a sublist's message check: mq vs ezmlm-idx's SQL on SQLite
 * SYNOPSIS
 *	checktag [DIR]
 * DESCRIPTION
 *	Stores the cookies of ROWS messages (msgnum 1..ROWS, computed as
 *	ezmlm-idx does) and a message log where every even message is done
 *	(arrival and processed at list number 1), in a store and in an
 *	SQLite file with ezmlm-idx's T_cookie and T_mlog tables.  Then
 *	checks LOOKUPS pseudo-random messages as a sublist does before
 *	sending (seed 5.8): mq's tagger (mlist_checktag with its list
 *	resolved once: one read of the message's tag record a check) in
 *	one read transaction against ezmlm-idx's two prepared queries of
 *	sub_sql_checktag
 *	(SELECT ... FROM T_mlog WHERE listno=? AND msgnum=? AND done > 0,
 *	SELECT msgnum FROM T_cookie WHERE msgnum=? AND cookie=?) in one
 *	SQLite transaction.  Each side's rate is printed by the wall clock
 *	and per CPU second of its thread (the figure that holds on a busy
 *	host), with both ratios.  Also times computing cookies.
 *
 *	DIR: $MQ_BENCH_DIR, else a new directory under /tmp.  ROWS,
 *	LOOKUPS: $MQ_BENCH_ROWS (default 200000), $MQ_BENCH_LOOKUPS
 *	(default 1000000).  Files are removed at exit.
 * DIAGNOSTICS
 *	Exit 1 when a step fails or the sides disagree: both must accept
 *	exactly the odd messages.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store/store.h"

#define PROG		"checktag"
#include "bench/bench.h"

#define DEF_ROWS	200000
#define DEF_LOOKUPS	1000000
#define BATCH		10000
#define SEED		0x636bULL
#define KEY		"bench key, 32 bytes long, fixed"

struct bench {
	char dir[4096], mq[4200], sql[4200], lock[4300];
	bool made_dir;		/* dir was made here: remove it at the end */
	int64_t rows, lookups;
	char (*cookie)[MLIST_COOKIE_LEN + 1];	/* by msgnum - 1 */
};

static int64_t env_count(const char *name, int64_t dflt)
{
	const char *s = getenv(name);
	char *end;
	long long v;

	if (!s || !*s)
		return dflt;
	v = strtoll(s, &end, 10);
	if (*end || v < 1 || v > (1LL << 32))
		die("%s: not a count: '%s'", name, s);
	return v;
}

struct load {
	struct bench *b;
	int64_t from, to;
};

/* load_fn - cookies and log of messages from..to-1; the first makes T. */
static enum store_rc load_fn(struct store_txn *txn, void *arg)
{
	struct load *l = arg;
	char out[MLIST_COOKIE_LEN + 1];
	enum store_rc rc;
	bool flag;

	if (l->from == 1 && (rc = store_list_create(txn, "t",
			(const uint8_t *)KEY, strlen(KEY))))
		return rc;
	for (int64_t m = l->from; m < l->to; m++) {
		struct mlist_cookie_req c = { "t", false, m, "sender@example.org",
					      'm', 0, 0 };
		struct mlist_mlog_req a = { "t", false, m, 1, 0, 10, NULL };
		struct mlist_mlog_req p = { "t", false, m, 1, 1, 10, NULL };

		if ((rc = mlist_cookie_make(txn, &c, out, &flag)) ||
		    (m % 2 == 0 && ((rc = mlist_mlog_add(txn, &a, &flag)) ||
				    (rc = mlist_mlog_add(txn, &p, &flag)))))
			return rc;
		if (strcmp(out, l->b->cookie[m - 1]))
			return STORE_INTERNAL;
	}
	return STORE_OK;
}

static void load_mq(struct bench *b, struct store *st)
{
	for (int64_t m = 1; m <= b->rows; m += BATCH) {
		struct load l = { b, m, m + BATCH > b->rows + 1 ? b->rows + 1
				  : m + BATCH };
		enum store_rc rc = store_write(st, load_fn, &l, NULL);

		if (rc)
			die("store load: %s: %s", store_strerror(rc),
			    store_errmsg(st));
	}
}

static void sql_exec(sqlite3 *db, const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
		die("sqlite: %s: %s", sql, err ? err : "?");
}

static sqlite3_stmt *prepare(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *s;

	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		die("sqlite: %s: %s", sql, sqlite3_errmsg(db));
	return s;
}

static void step_done(sqlite3 *db, sqlite3_stmt *s)
{
	if (sqlite3_step(s) != SQLITE_DONE)
		die("sqlite: %s", sqlite3_errmsg(db));
	sqlite3_reset(s);
}

static sqlite3 *load_sql(struct bench *b)
{
	sqlite3 *db;
	sqlite3_stmt *ck, *ml;

	if (sqlite3_open(b->sql, &db) != SQLITE_OK)
		die("sqlite open %s", b->sql);
	sql_exec(db, "PRAGMA journal_mode=wal; PRAGMA mmap_size=1073741824;"
		 "CREATE TABLE t_cookie (msgnum INTEGER PRIMARY KEY, tai "
		 "TIMESTAMP DEFAULT CURRENT_TIMESTAMP, cookie CHAR(20) NOT NULL,"
		 " chunk INTEGER NOT NULL DEFAULT 0, bodysize INTEGER NOT NULL "
		 "DEFAULT 0);"
		 "CREATE TABLE t_mlog (msgnum INTEGER NOT NULL, listno INTEGER "
		 "NOT NULL, tai TIMESTAMP DEFAULT CURRENT_TIMESTAMP, subs "
		 "INTEGER NOT NULL DEFAULT 0, done INTEGER NOT NULL DEFAULT 0, "
		 "PRIMARY KEY (listno, msgnum, done)); BEGIN");
	ck = prepare(db, "INSERT INTO t_cookie (msgnum, cookie) VALUES (?, ?)");
	ml = prepare(db, "INSERT INTO t_mlog (msgnum, listno, subs, done) "
		     "VALUES (?, 1, 10, ?)");
	for (int64_t m = 1; m <= b->rows; m++) {
		sqlite3_bind_int64(ck, 1, m);
		sqlite3_bind_text(ck, 2, b->cookie[m - 1], MLIST_COOKIE_LEN,
				  SQLITE_STATIC);
		step_done(db, ck);
		for (int done = 0; m % 2 == 0 && done < 2; done++) {
			sqlite3_bind_int64(ml, 1, m);
			sqlite3_bind_int(ml, 2, done);
			step_done(db, ml);
		}
	}
	sql_exec(db, "COMMIT");
	sqlite3_finalize(ck);
	sqlite3_finalize(ml);
	return db;
}

/* The time a side took: wall clock, and CPU of its thread. */
struct took {
	double wall, cpu;
};

/* run_mq - accepted messages among the lookups, and the time taken. */
static int64_t run_mq(struct bench *b, struct store *st, struct took *t)
{
	struct mlist_tagger *g;
	struct store_txn *txn;
	int64_t ok = 0;
	double t0 = now(), c0 = cpu_now();

	if (store_read_begin(st, &txn) ||
	    mlist_tagger_open(txn, "t", false, &g))
		die("read: %s", store_errmsg(st));
	for (int64_t i = 0; i < b->lookups; i++) {
		int64_t m = random_id(SEED, (uint64_t)i, (uint64_t)b->rows);
		enum mlist_tag r;

		if (mlist_tagger_check(g, m, b->cookie[m - 1], 1, &r))
			die("checktag: %s", store_errmsg(st));
		ok += r == MLIST_TAG_OK;
	}
	mlist_tagger_close(g);
	store_read_end(txn);
	*t = (struct took){ now() - t0, cpu_now() - c0 };
	return ok;
}

/* row_found - run a prepared query once: did it return a row? */
static bool row_found(sqlite3 *db, sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);

	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		die("sqlite: %s", sqlite3_errmsg(db));
	sqlite3_reset(s);
	return rc == SQLITE_ROW;
}

static int64_t run_sql(struct bench *b, sqlite3 *db, struct took *t)
{
	sqlite3_stmt *done = prepare(db, "SELECT listno FROM t_mlog WHERE "
				     "listno=? AND msgnum=? AND done > 0");
	sqlite3_stmt *ck = prepare(db, "SELECT msgnum FROM t_cookie WHERE "
				   "msgnum=? AND cookie=?");
	int64_t ok = 0;
	double t0 = now(), c0 = cpu_now();

	sql_exec(db, "BEGIN");
	for (int64_t i = 0; i < b->lookups; i++) {
		int64_t m = random_id(SEED, (uint64_t)i, (uint64_t)b->rows);

		sqlite3_bind_int64(done, 1, 1);
		sqlite3_bind_int64(done, 2, m);
		if (row_found(db, done))
			continue;
		sqlite3_bind_int64(ck, 1, m);
		sqlite3_bind_text(ck, 2, b->cookie[m - 1], MLIST_COOKIE_LEN,
				  SQLITE_STATIC);
		ok += row_found(db, ck);
	}
	sql_exec(db, "COMMIT");
	*t = (struct took){ now() - t0, cpu_now() - c0 };
	sqlite3_finalize(done);
	sqlite3_finalize(ck);
	return ok;
}

static void setup(struct bench *b, int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : getenv("MQ_BENCH_DIR");

	b->rows = env_count("MQ_BENCH_ROWS", DEF_ROWS);
	b->lookups = env_count("MQ_BENCH_LOOKUPS", DEF_LOOKUPS);
	if (dir && *dir)
		snprintf(b->dir, sizeof(b->dir), "%s", dir);
	else if (!mkdtemp(strcpy(b->dir, "/tmp/mq-bench-checktag-XXXXXX")))
		die("mkdtemp");
	else
		b->made_dir = true;
	snprintf(b->mq, sizeof(b->mq), "%s/checktag.mdb", b->dir);
	snprintf(b->lock, sizeof(b->lock), "%s-lock", b->mq);
	snprintf(b->sql, sizeof(b->sql), "%s/checktag.sqlite", b->dir);
	unlink(b->mq);
	unlink(b->sql);
	if (!(b->cookie = calloc((size_t)b->rows, sizeof(*b->cookie))))
		die("out of memory");
}

/* compute_cookies - every message's cookie; returns cookies per second. */
static double compute_cookies(struct bench *b)
{
	double t0 = now();

	for (int64_t m = 1; m <= b->rows; m++)
		mlist_cookie_compute(b->cookie[m - 1], (const uint8_t *)KEY,
				     strlen(KEY), m, "sender@example.org", 'm');
	return (double)b->rows / (now() - t0);
}

int main(int argc, char **argv)
{
	struct bench b;
	struct store *st;
	sqlite3 *db;
	char err[512];
	struct took t_mq, t_sql;
	double rate;
	int64_t ok_mq, ok_sql, want;

	setup(&b, argc, argv);
	rate = compute_cookies(&b);
	if (store_open(b.mq, 0, NULL, &st, err, sizeof(err)))
		die("%s", err);
	load_mq(&b, st);
	db = load_sql(&b);
	ok_mq = run_mq(&b, st, &t_mq);
	ok_sql = run_sql(&b, db, &t_sql);
	want = 0;
	for (int64_t i = 0; i < b.lookups; i++)
		want += random_id(SEED, (uint64_t)i, (uint64_t)b.rows) % 2;
	printf("checktag: %" PRId64 " messages, %" PRId64 " checks, %" PRId64
	       " accepted\n", b.rows, b.lookups, want);
	printf("cookies computed: %.0f/s\n", rate);
	printf("mq tagger, one read transaction: %.0f checks/s (%.0f per CPU "
	       "second)\n", (double)b.lookups / t_mq.wall,
	       (double)b.lookups / t_mq.cpu);
	printf("SQLite, ezmlm-idx's two prepared SELECTs in one transaction: "
	       "%.0f checks/s (%.0f per CPU second)\n",
	       (double)b.lookups / t_sql.wall, (double)b.lookups / t_sql.cpu);
	printf("ratio mq/SQLite: %.2f (per CPU second: %.2f)\n",
	       t_sql.wall / t_mq.wall, t_sql.cpu / t_mq.cpu);
	store_close(st);
	sqlite3_close(db);
	unlink(b.mq);
	unlink(b.lock);
	unlink(b.sql);
	if (b.made_dir)
		rmdir(b.dir);
	if (ok_mq != want || ok_sql != want)
		die("sides disagree: mq accepted %" PRId64 ", SQLite %" PRId64
		    ", expected %" PRId64, ok_mq, ok_sql, want);
	free(b.cookie);
	return 0;
}
