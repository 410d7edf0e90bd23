/*
 * NAME
 *	sqlite_copy_test - the unlocked copy of a shared SQLite file is one
 *	committed state of it, however writers go at it
 * DESCRIPTION
 *	A file of some megabytes with a counter (table a, near the start)
 *	and a table b (at the end) that every writer transaction counts
 *	up and grows by one row: a copy that mixed two states shows in
 *	the counter and b's rows disagreeing (or in quick_check).
 *	- quiet: one copy, read once, holds everything committed.
 *	- writers: a thread commits in bursts (back to back, then a pause)
 *	  while copies are taken again and again: every copy has equal
 *	  counts, never fewer than the one before, and passes quick_check;
 *	  some copy met a commit and was read again, and some copy read
 *	  again was then accepted without the lock.
 *	- left journals: a journal that PERSIST or TRUNCATE mode leaves
 *	  after a commit does not make the copy read again.
 *	- dead writer: a process that spilled uncommitted rows into the
 *	  file and died leaves a hot journal; the copy is the file as it
 *	  was before that transaction.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sql-compat/sqlite_int.h"
#include "tests/unit/check.h"

#define FILLER_ROWS 60000	/* about 8 MB: a copy takes milliseconds */
#define COPIES 20
#define RETRY_SECONDS 20	/* copies go on until one met a commit */

static char path[256];
static atomic_bool stop;

/* exec - run sql on db; SQLite's result code */
static int exec(sqlite3 *db, const char *sql)
{
	return sqlite3_exec(db, sql, NULL, NULL, NULL);
}

/* count - the one integer sql gives on db, -1 on error */
static long long count(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	long long n = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* quick_ok - does db pass quick_check? */
static bool quick_ok(sqlite3 *db)
{
	sqlite3_stmt *st;
	bool	ok = false;

	if (sqlite3_prepare_v2(db, "PRAGMA quick_check", -1, &st, NULL) != SQLITE_OK)
		return false;
	if (sqlite3_step(st) == SQLITE_ROW)
		ok = strcmp((const char *) sqlite3_column_text(st, 0), "ok") == 0;
	sqlite3_finalize(st);
	return ok;
}

/* open_file - a connection of the test's own to the file */
static sqlite3 *open_file(void)
{
	sqlite3 *db = NULL;

	if (sqlite3_open(path, &db) != SQLITE_OK) {
		sqlite3_close(db);
		return NULL;
	}
	sqlite3_busy_timeout(db, 30000);
	return db;
}

/*
 * make_file - a counter in table a (its page near the start of the
 * file), a filler table, and table b whose rows go to the end: a copy
 * that a commit overlaps can hold one change and not the other
 */
static bool make_file(void)
{
	sqlite3 *db = open_file();
	char	sql[500];
	bool	ok;

	snprintf(sql, sizeof(sql), "CREATE TABLE a (n); CREATE TABLE filler (t);"
		 "CREATE TABLE b (x); INSERT INTO a VALUES (0); WITH RECURSIVE "
		 "n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %d) "
		 "INSERT INTO filler SELECT printf('%%0120d', i) FROM n", FILLER_ROWS);
	ok = db && exec(db, sql) == SQLITE_OK;
	sqlite3_close(db);
	return ok;
}

/* commit_pair - a counted up and a row into b, in one transaction */
static bool commit_pair(sqlite3 *db)
{
	return exec(db, "BEGIN IMMEDIATE; UPDATE a SET n = n + 1;"
		    "INSERT INTO b VALUES (1); COMMIT") == SQLITE_OK;
}

/* writer - commits in bursts until stop: 40 back to back, then a pause */
static void *writer(void *arg)
{
	sqlite3 *db = open_file();
	struct timespec pause = { 0, 150 * 1000000 };
	long	*commits = arg;

	if (db)		/* the lock is tested, not the disk */
		exec(db, "PRAGMA synchronous = OFF");
	while (db && !atomic_load(&stop)) {
		for (int i = 0; i < 40; i++)
			*commits += commit_pair(db);
		nanosleep(&pause, NULL);
	}
	sqlite3_close(db);
	return NULL;
}

/* copy - a copy of the file through conn into a new in-memory database */
/* The memory under the copy that copy() made last. */
static struct sqlite_copy held;

static sqlite3 *copy(struct sql_conn *conn, int *tries, bool *locked)
{
	sqlite3 *mem = NULL;

	if (sqlite3_open(":memory:", &mem) != SQLITE_OK ||
	    sqlite_copy_file(conn, mem, tries, locked, &held) != SQL_OK) {
		sqlite3_close(mem);
		return NULL;
	}
	return mem;
}

/* copy_close - close a copy, then release its memory */
static void copy_close(sqlite3 *mem)
{
	sqlite3_close(mem);
	sqlite_copy_release(&held);
}

/* test_quiet - without writers one copy is read */
static void test_quiet(struct sql_conn *conn)
{
	int	tries = 0;
	bool	locked = true;
	sqlite3 *mem = copy(conn, &tries, &locked);

	CHECK(mem != NULL, "quiet: a copy (%s)", sql_errmsg(conn));
	CHECK(tries == 1 && !locked, "quiet: read once, unlocked (%d)", tries);
	CHECK(count(mem, "SELECT count(*) FROM filler") == FILLER_ROWS,
	      "quiet: the copy holds every row");
	copy_close(mem);
}

/* seconds_since - seconds from t0 until now, on the monotonic clock */
static double seconds_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) +
	       (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

/*
 * test_writers - every copy one state, while a thread commits pairs.
 *	Whether a copy meets a commit is up to the scheduler: after
 *	COPIES copies it goes on until a copy was read again and one
 *	read again was accepted unlocked, for at most RETRY_SECONDS.
 */
static void test_writers(struct sql_conn *conn)
{
	long long prev = 0, na, nb;
	int	tries, retried = 0, retried_ok = 0, mixed = 0, copies = 0;
	bool	locked;
	long	commits = 0;
	pthread_t th;
	struct timespec t0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	atomic_store(&stop, false);
	if (!CHECK(pthread_create(&th, NULL, writer, &commits) == 0, "writer thread"))
		return;
	while (copies < COPIES || ((!retried || !retried_ok) &&
				    seconds_since(&t0) < RETRY_SECONDS)) {
		sqlite3 *mem = copy(conn, &tries, &locked);

		if (mem == NULL)
			break;
		copies++;
		na = count(mem, "SELECT n FROM a");
		nb = count(mem, "SELECT count(*) FROM b");
		mixed += na != nb || na < prev || !quick_ok(mem);
		prev = na;
		retried += tries > 1;
		retried_ok += tries > 1 && !locked;
		copy_close(mem);
	}
	atomic_store(&stop, true);
	pthread_join(th, NULL);
	printf("# %d copies, %ld commits; %d read again, %d of them then "
	       "accepted unlocked\n", copies, commits, retried, retried_ok);
	CHECK(copies >= COPIES, "writers: every copy taken (%s)",
	      sql_errmsg(conn));
	CHECK(mixed == 0, "writers: each copy is one state of the file "
	      "(a's counter and b's rows agree, never fewer, quick_check ok): %d not", mixed);
	CHECK(commits > 0, "writers: the writer committed (%ld)", commits);
	CHECK(retried > 0, "writers: a copy that met a commit was read again (%d)",
	      retried);
	CHECK(retried_ok > 0, "writers: a copy read again was accepted without "
	      "the lock (%d)", retried_ok);
}

/*
 * die_mid_commit - a process that writes 20,000 rows into b with a cache
 * of a few pages (so pages spill into the file) and dies uncommitted
 */
static bool die_mid_commit(void)
{
	pid_t	pid = fork();
	int	status;

	if (pid == 0) {
		sqlite3 *db = open_file();

		if (db && exec(db, "PRAGMA cache_size = 5; BEGIN IMMEDIATE;"
			       "UPDATE a SET n = n + 20000; WITH RECURSIVE n(i) AS "
			       "(SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000) "
			       "INSERT INTO b SELECT printf('%0200d', i) FROM n")
		    == SQLITE_OK)
			_exit(0);
		_exit(1);
	}
	return pid > 0 && waitpid(pid, &status, 0) == pid &&
		WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* test_dead_writer - a hot journal is rolled back, not copied */
static void test_dead_writer(struct sql_conn *conn)
{
	char	journal[300];
	sqlite3 *db = open_file(), *mem;
	long long before = db ? count(db, "SELECT count(*) FROM b") : -1;
	int	tries;
	bool	locked;

	sqlite3_close(db);
	snprintf(journal, sizeof(journal), "%s-journal", path);
	if (!CHECK(die_mid_commit(), "dead writer: spilled and died") ||
	    !CHECK(access(journal, F_OK) == 0, "dead writer: left a hot journal"))
		return;
	mem = copy(conn, &tries, &locked);
	CHECK(mem != NULL, "dead writer: a copy (%s)", sql_errmsg(conn));
	CHECK(mem && count(mem, "SELECT n FROM a") == before &&
	      count(mem, "SELECT count(*) FROM b") == before && quick_ok(mem),
	      "dead writer: the copy is the file before its transaction (%lld rows)",
	      before);
	copy_close(mem);
}

/*
 * test_left_journals - the journal that a commit in PERSIST mode leaves
 * (its header zeroed) or in TRUNCATE mode (empty) is no writer at work:
 * the copy is read once
 */
static void test_left_journals(struct sql_conn *conn)
{
	static const char *const modes[] = { "PERSIST", "TRUNCATE" };
	char	sql[200], journal[300];
	int	tries = 0;
	bool	locked = true;

	snprintf(journal, sizeof(journal), "%s-journal", path);
	for (size_t i = 0; i < sizeof(modes) / sizeof(*modes); i++) {
		sqlite3 *db = open_file(), *mem;

		snprintf(sql, sizeof(sql), "PRAGMA journal_mode = %s", modes[i]);
		CHECK(db && exec(db, sql) == SQLITE_OK && commit_pair(db) &&
		      access(journal, F_OK) == 0, "%s: a commit leaves a journal",
		      modes[i]);
		mem = copy(conn, &tries, &locked);
		CHECK(mem && tries == 1 && !locked, "%s: the copy is read once, "
		      "unlocked (%d)", modes[i], tries);
		copy_close(mem);
		exec(db, "PRAGMA journal_mode = DELETE");
		sqlite3_close(db);
	}
}

int	main(void)
{
	char	dir[] = "/tmp/sqlite_copy_test.XXXXXX", url[300], err[SQL_ERRMSG_SIZE];
	struct sql_address *a = NULL;
	struct sql_conn *conn = NULL;

	if (!CHECK(mkdtemp(dir) != NULL, "temporary directory"))
		return check_done();
	snprintf(path, sizeof(path), "%s/shared.db", dir);
	snprintf(url, sizeof(url), "sqlite://%s?busy_timeout=30000", path);
	if (CHECK(make_file(), "a file of %d filler rows", FILLER_ROWS) &&
	    CHECK(sql_address_parse(url, &a, err, sizeof(err)) == SQL_OK &&
		  sql_connect(a, &conn, err, sizeof(err)) == SQL_OK,
		  "connect (%s)", err)) {
		test_quiet(conn);
		test_writers(conn);
		test_left_journals(conn);
		test_dead_writer(conn);
	}
	sql_close(conn);
	sql_address_free(a);
	snprintf(url, sizeof(url), "rm -rf '%s'", dir);
	CHECK(system(url) == 0, "remove %s", dir);
	return check_done();
}
