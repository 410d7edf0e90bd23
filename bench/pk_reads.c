/*
 * NAME
 *	pk_reads - point reads by primary key: mq store vs SQLite
 * SYNOPSIS
 *	pk_reads [DIR [ROWS [LOOKUPS]]]
 * DESCRIPTION
 *	Writes ROWS rows of the MailerQ table "capacity" (ids 1..ROWS; text,
 *	-1, 0, NULL and limits mixed) into a store and into an SQLite file
 *	with the same columns, in DIR, reopens both (the store read-only, as
 *	an MTA links it; SQLite with mmap and a page cache holding the whole
 *	file) and reads LOOKUPS pseudo-random ids, the same sequence for
 *	both, touching every column: (a) store_get_by_key inside one read
 *	transaction vs (b) a prepared SELECT * ... WHERE id=? inside one
 *	BEGIN..COMMIT, SQLite's best case; then (c) one store read
 *	transaction per lookup vs (d) the same SELECT in autocommit.
 *
 *	DIR: $MQ_BENCH_DIR, else a new directory under $TMPDIR or /tmp.
 *	ROWS, LOOKUPS: $MQ_BENCH_ROWS, $MQ_BENCH_LOOKUPS, else 1000000 and
 *	2000000.  $MQ_BENCH_SQLITE_JOURNAL: "wal" (default) or "delete".
 *	The files are removed at exit unless $MQ_BENCH_KEEP is set.
 * DIAGNOSTICS
 *	Exit 0 after printing the figures, 64 on bad usage, 1 when a step
 *	fails or the sides disagree: a sample of rows is compared column by
 *	column with the values written, and the sums of what each run read
 *	must be equal for mq and SQLite.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store/store.h"

#define PROG		"pk_reads"
#include "bench/bench.h"
#define TABLE		"capacity"
#define DEF_ROWS	1000000
#define DEF_LOOKUPS	2000000
#define LOAD_BATCH	10000	/* rows per store_write */
#define VERIFY_SAMPLE	2000	/* random ids compared column by column */
#define ID_SEED		0x6d71ULL	/* lookup sequence */
#define VERIFY_SEED	0x7665ULL	/* verification sample */
#define TEXT_MAX	48
#define MAX_COUNT	(1ULL << 32)	/* rows, lookups at most */

struct bench {
	char dir[4096];
	char mq_path[4200];
	char sql_path[4200];
	int made_dir;		/* dir was created here: remove it */
	uint64_t rows;
	uint64_t lookups;
	const char *journal;	/* SQLite journal_mode */
	const struct reg_table *t;
	int64_t *ids;		/* the lookup sequence */
};

/* One generated row: the values and the text they point to. */
struct gen_row {
	struct store_value v[REG_MAX_COLS];
	char text[REG_MAX_COLS][TEXT_MAX];
};

/* A timed run: what it read and how long it took. */
struct run_result {
	double secs;
	uint64_t sum;
	uint64_t misses;
};

/* die - print "pk_reads: message" and exit 1. */
/* Generating rows. */

/* gen_int - an integer column: NULL, -1, 0 or a limit, by hash h. */
static void gen_int(uint64_t h, struct store_value *v)
{
	switch (h % 10) {
	case 0: case 1:
		v->kind = SV_NULL;
		break;
	case 2: case 3:
		v->kind = SV_INT, v->i = -1;
		break;
	case 4:
		v->kind = SV_INT, v->i = 0;
		break;
	default:
		v->kind = SV_INT, v->i = (int64_t)(1 + (h >> 8) % 1000);
	}
}

/* gen_localip - NULL, empty, IPv4 or IPv6 text; returns -1 for NULL. */
static int gen_localip(uint64_t h, char *buf, size_t size)
{
	switch (h % 4) {
	case 0:
		return -1;
	case 1:
		return 0;
	case 2:
		return snprintf(buf, size, "10.%u.%u.%u",
				(unsigned)(h >> 8 & 255), (unsigned)(h >> 16 & 255),
				(unsigned)(h >> 24 & 255));
	default:
		return snprintf(buf, size, "2001:db8::%x",
				(unsigned)(h >> 8 & 0xffff));
	}
}

/*
 * gen_text - a text or time column of row id into v, its bytes in buf:
 *	capacity's columns each have their own mix, NULL and "" included.
 */
static void gen_text(const struct reg_column *c, int64_t id, uint64_t h,
		     char *buf, struct store_value *v)
{
	int n;

	if (c->type == REG_TIME)
		n = h % 2 ? -1 : snprintf(buf, TEXT_MAX,
				"2024-01-%02u 12:00:00", (unsigned)(1 + h % 28));
	else if (strcmp(c->name, "name") == 0)
		n = snprintf(buf, TEXT_MAX, "capacity-%" PRId64, id);
	else if (strcmp(c->name, "localip") == 0)
		n = gen_localip(h, buf, TEXT_MAX);
	else if (strcmp(c->name, "domain") == 0)
		n = h % 5 == 0 ? -1 : h % 5 == 1 ? 0 : snprintf(buf, TEXT_MAX,
				"d%" PRId64 ".example.com", id);
	else
		n = h % 2 ? -1 : snprintf(buf, TEXT_MAX, "t%" PRId64, id);
	if (n < 0)
		v->kind = SV_NULL;
	else
		v->kind = SV_TEXT, v->s = buf, v->len = (size_t)n;
}

/*
 * gen_row - the row with primary key id, every registry column set.  A
 *	value the registry refuses (NOT NULL, length) fails the load.
 */
static void gen_row(const struct reg_table *t, int64_t id, struct gen_row *g)
{
	int i;

	for (i = 0; i < t->ncols; i++) {
		const struct reg_column *c = &t->cols[i];
		uint64_t h = mix64((uint64_t)id * 64 + (uint64_t)i);
		struct store_value *v = &g->v[i];

		memset(v, 0, sizeof(*v));
		if (c->flags & REG_PK)
			v->kind = SV_INT, v->i = id;
		else if (c->type == REG_INT)
			gen_int(h, v);
		else
			gen_text(c, id, h, g->text[i], v);
	}
}

/* Comparing and touching values. */

/* value_equal - same kind and same integer or bytes. */
static int value_equal(const struct store_value *a, const struct store_value *b)
{
	if (a->kind != b->kind)
		return 0;
	if (a->kind == SV_INT)
		return a->i == b->i;
	if (a->kind == SV_TEXT)
		return a->len == b->len && memcmp(a->s, b->s, a->len) == 0;
	return 1;
}

/* value_format - a value for a message: NULL, the integer or 'text'. */
static const char *value_format(const struct store_value *v, char *buf,
				size_t size)
{
	if (v->kind == SV_INT)
		snprintf(buf, size, "%" PRId64, v->i);
	else if (v->kind == SV_TEXT)
		snprintf(buf, size, "'%.*s'", (int)(v->len < 64 ? v->len : 64),
			 v->s);
	else
		snprintf(buf, size, "NULL");
	return buf;
}

/*
 * value_touch - a number that depends on the value, so that reading it
 *	cannot be optimised away: the integer, or the text length plus its
 *	first byte, or 1 for NULL.  The same for both sides.
 */
static inline uint64_t value_touch(const struct store_value *v)
{
	switch (v->kind) {
	case SV_INT:
		return (uint64_t)v->i;
	case SV_TEXT:
		return v->len + (v->len ? (unsigned char)v->s[0] : 0);
	default:
		return 1;
	}
}

/* sqlite_value - column i of the current row of stmt as a store value. */
static inline void sqlite_value(sqlite3_stmt *stmt, int i,
				struct store_value *v)
{
	switch (sqlite3_column_type(stmt, i)) {
	case SQLITE_NULL:
		v->kind = SV_NULL;
		break;
	case SQLITE_INTEGER:
		v->kind = SV_INT, v->i = sqlite3_column_int64(stmt, i);
		break;
	default:
		v->kind = SV_TEXT;
		v->s = (const char *)sqlite3_column_text(stmt, i);
		v->len = (size_t)sqlite3_column_bytes(stmt, i);
	}
}

/* Filling the store. */

struct load_arg {
	const struct reg_table *t;
	int64_t first;		/* first id of this batch */
	int64_t n;		/* rows in this batch */
};

/* load_batch - store_write body: put rows first..first+n-1 (rerunnable). */
static enum store_rc load_batch(struct store_txn *txn, void *arg)
{
	const struct load_arg *la = arg;
	struct store_row row;
	struct gen_row g;
	enum store_rc rc;
	int64_t id;
	int i;

	for (id = la->first; id < la->first + la->n; id++) {
		gen_row(la->t, id, &g);
		memset(&row, 0, sizeof(row));
		for (i = 0; i < la->t->ncols; i++)
			row.col[i] = g.v[i];
		if ((rc = store_put_row(txn, TABLE, &row)) != STORE_OK)
			return rc;
	}
	return STORE_OK;
}

/* load_store - create the store file with rows 1..rows. */
static void load_store(const struct bench *b)
{
	struct store_options opt = { 0 };
	struct store *st;
	struct load_arg la = { .t = b->t };
	char err[512] = "";
	enum store_rc rc;
	uint64_t done;

	rc = store_open(b->mq_path, 0, &opt, &st, err, sizeof(err));
	if (rc != STORE_OK)
		die("store_open: %s: %s", store_strerror(rc), err);
	for (done = 0; done < b->rows; done += (uint64_t)la.n) {
		la.first = (int64_t)done + 1;
		la.n = (int64_t)(b->rows - done < LOAD_BATCH ?
				 b->rows - done : LOAD_BATCH);
		if ((rc = store_write(st, load_batch, &la, NULL)) != STORE_OK)
			die("store_write: %s: %s", store_strerror(rc),
			    store_errmsg(st));
	}
	store_close(st);
}

/* Filling the SQLite file. */

/* sql_exec - run sql on db or die. */
static void sql_exec(sqlite3 *db, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		die("sqlite: %s: %s", sql, msg ? msg : sqlite3_errmsg(db));
}

/* sql_prepare - prepare sql on db or die. */
static sqlite3_stmt *sql_prepare(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *stmt;

	if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) != SQLITE_OK)
		die("sqlite: prepare %s: %s", sql, sqlite3_errmsg(db));
	return stmt;
}

/* sql_open - open (or create) the SQLite file or die. */
static sqlite3 *sql_open(const char *path)
{
	sqlite3 *db;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE
			    | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK)
		die("sqlite: open %s: %s", path, sqlite3_errmsg(db));
	return db;
}

/* sql_schema - CREATE TABLE and INSERT for t, in registry column order. */
static void sql_schema(const struct reg_table *t, char *create, char *insert,
		       size_t size)
{
	size_t c = 0, n = 0;
	int i;

	c += (size_t)snprintf(create, size, "CREATE TABLE %s (", t->name);
	n += (size_t)snprintf(insert, size, "INSERT INTO %s VALUES (", t->name);
	for (i = 0; i < t->ncols; i++) {
		const struct reg_column *col = &t->cols[i];

		c += (size_t)snprintf(create + c, size - c, "%s%s %s",
			i ? ", " : "", col->name, (col->flags & REG_PK) ? "INTEGER PRIMARY KEY"
			: col->type == REG_INT ? "INTEGER" : "TEXT");
		n += (size_t)snprintf(insert + n, size - n, "%s?", i ? ", " : "");
	}
	snprintf(create + c, size - c, ")");
	snprintf(insert + n, size - n, ")");
}

/* sql_insert_row - bind the generated row to ins and step it. */
static void sql_insert_row(sqlite3 *db, sqlite3_stmt *ins,
			   const struct reg_table *t, const struct gen_row *g)
{
	int i;

	for (i = 0; i < t->ncols; i++) {
		const struct store_value *v = &g->v[i];

		if (v->kind == SV_INT)
			sqlite3_bind_int64(ins, i + 1, v->i);
		else if (v->kind == SV_TEXT)
			sqlite3_bind_text(ins, i + 1, v->s, (int)v->len,
					  SQLITE_STATIC);
		else
			sqlite3_bind_null(ins, i + 1);
	}
	if (sqlite3_step(ins) != SQLITE_DONE)
		die("sqlite: insert: %s", sqlite3_errmsg(db));
	sqlite3_reset(ins);
}

/* load_sqlite - create the SQLite file with the same rows, one transaction. */
static void load_sqlite(const struct bench *b)
{
	char create[2048], insert[2048], pragma[64];
	struct gen_row g;
	sqlite3_stmt *ins;
	sqlite3 *db = sql_open(b->sql_path);
	uint64_t id;

	snprintf(pragma, sizeof(pragma), "PRAGMA journal_mode=%s", b->journal);
	sql_exec(db, pragma);
	sql_schema(b->t, create, insert, sizeof(create));
	sql_exec(db, create);
	ins = sql_prepare(db, insert);
	sql_exec(db, "BEGIN");
	for (id = 1; id <= b->rows; id++) {
		gen_row(b->t, (int64_t)id, &g);
		sql_insert_row(db, ins, b->t, &g);
	}
	sql_exec(db, "COMMIT");
	sqlite3_finalize(ins);
	sqlite3_close(db);
}

/* sql_open_reader - reopen the file for reading, mmap and cache sized to it. */
static sqlite3 *sql_open_reader(const char *path, sqlite3_int64 *mmap_out)
{
	sqlite3 *db = sql_open(path);
	sqlite3_stmt *q;

	sql_exec(db, "PRAGMA mmap_size=4294967296");
	sql_exec(db, "PRAGMA cache_size=-1048576");
	q = sql_prepare(db, "PRAGMA mmap_size");
	*mmap_out = sqlite3_step(q) == SQLITE_ROW ?
		sqlite3_column_int64(q, 0) : -1;
	sqlite3_finalize(q);
	return db;
}

/* Reading. */

/* mq_get - point read of id; the row is valid until txn ends. */
static inline enum store_rc mq_get(struct store_txn *txn,
				   const struct reg_table *t, int64_t id,
				   struct store_row *row)
{
	struct store_value key = { .kind = SV_INT, .i = id };

	return store_get_by_key(txn, t, TABLE, &key, row);
}

/* mq_touch - value_touch summed over every column of row. */
static inline uint64_t mq_touch(const struct reg_table *t,
				const struct store_row *row)
{
	uint64_t sum = 0;
	int i;

	for (i = 0; i < t->ncols; i++)
		sum += value_touch(&row->col[i]);
	return sum;
}

/* sql_get - bind id and step: SQLITE_ROW, SQLITE_DONE (absent) or error. */
static inline int sql_get(sqlite3_stmt *sel, int64_t id)
{
	sqlite3_bind_int64(sel, 1, id);
	return sqlite3_step(sel);
}

/* sql_touch - value_touch summed over every column of the current row. */
static inline uint64_t sql_touch(sqlite3_stmt *sel, int ncols)
{
	struct store_value v;
	uint64_t sum = 0;
	int i;

	for (i = 0; i < ncols; i++) {
		sqlite_value(sel, i, &v);
		sum += value_touch(&v);
	}
	return sum;
}

/*
 * run_mq - read ids[0..n-1] through the store: (a) all in one read
 *	transaction, or (c) with one transaction per lookup.
 */
static struct run_result run_mq(struct store *st, const struct bench *b,
				const int64_t *ids, uint64_t n, int one_txn)
{
	struct store_row row;
	struct run_result r = { 0 };
	struct store_txn *txn = NULL;
	double t0 = now();
	uint64_t i;

	for (i = 0; i < n; i++) {
		if (txn == NULL && store_read_begin(st, &txn) != STORE_OK)
			die("store_read_begin: %s", store_errmsg(st));
		if (mq_get(txn, b->t, ids[i], &row) == STORE_OK)
			r.sum += mq_touch(b->t, &row);
		else
			r.misses++;
		if (!one_txn) {
			store_read_end(txn);
			txn = NULL;
		}
	}
	if (txn)
		store_read_end(txn);
	r.secs = now() - t0;
	return r;
}

/*
 * run_sqlite - read ids[0..n-1] with the prepared SELECT: (b) inside one
 *	BEGIN..COMMIT, or (d) in autocommit.
 */
static struct run_result run_sqlite(sqlite3 *db, sqlite3_stmt *sel,
				    const struct bench *b, const int64_t *ids,
				    uint64_t n, int one_txn)
{
	struct run_result r = { 0 };
	double t0 = now();
	uint64_t i;
	int rc;

	if (one_txn)
		sql_exec(db, "BEGIN");
	for (i = 0; i < n; i++) {
		if ((rc = sql_get(sel, ids[i])) == SQLITE_ROW)
			r.sum += sql_touch(sel, b->t->ncols);
		else if (rc == SQLITE_DONE)
			r.misses++;
		else
			die("sqlite: select: %s", sqlite3_errmsg(db));
		sqlite3_reset(sel);
	}
	if (one_txn)
		sql_exec(db, "COMMIT");
	r.secs = now() - t0;
	return r;
}

/* Verifying. */

/* verify_col - die unless what (mq or sqlite) read the generated value. */
static void verify_col(const char *what, const struct reg_table *t, int64_t id,
		       int i, const struct store_value *got,
		       const struct store_value *want)
{
	char g[96], w[96];

	if (!value_equal(got, want))
		die("verify: %s: %s id=%" PRId64 " column %s: read %s, wrote %s",
		    what, t->name, id, t->cols[i].name,
		    value_format(got, g, sizeof(g)),
		    value_format(want, w, sizeof(w)));
}

/* verify_id - both sides return the generated row id (or both none). */
static void verify_id(struct store_txn *txn, sqlite3 *db, sqlite3_stmt *sel,
		      const struct bench *b, int64_t id, int present)
{
	struct store_row row;
	struct store_value v;
	struct gen_row g;
	enum store_rc rc = mq_get(txn, b->t, id, &row);
	int src = sql_get(sel, id), i;

	if (rc != (present ? STORE_OK : STORE_NOTFOUND))
		die("verify: mq: id=%" PRId64 ": %s", id, store_strerror(rc));
	if (src != (present ? SQLITE_ROW : SQLITE_DONE))
		die("verify: sqlite: id=%" PRId64 ": %s", id, sqlite3_errmsg(db));
	if (present) {
		gen_row(b->t, id, &g);
		for (i = 0; i < b->t->ncols; i++) {
			verify_col("mq", b->t, id, i, &row.col[i], &g.v[i]);
			sqlite_value(sel, i, &v);
			verify_col("sqlite", b->t, id, i, &v, &g.v[i]);
		}
	}
	sqlite3_reset(sel);
}

/* verify_sample - compare a sample of rows, the ends and two absent ids. */
static void verify_sample(struct store *st, sqlite3 *db, sqlite3_stmt *sel,
			  const struct bench *b)
{
	struct store_txn *txn;
	uint64_t n;

	if (store_read_begin(st, &txn) != STORE_OK)
		die("store_read_begin: %s", store_errmsg(st));
	verify_id(txn, db, sel, b, 0, 0);
	verify_id(txn, db, sel, b, (int64_t)b->rows + 1, 0);
	verify_id(txn, db, sel, b, 1, 1);
	verify_id(txn, db, sel, b, (int64_t)b->rows, 1);
	for (n = 0; n < VERIFY_SAMPLE; n++)
		verify_id(txn, db, sel, b, random_id(VERIFY_SEED, n, b->rows), 1);
	store_read_end(txn);
}

/* check_pair - the two runs read the same ids: same sums, no misses. */
static void check_pair(const char *what, const struct run_result *mq,
		       const struct run_result *sql)
{
	if (mq->misses || sql->misses)
		die("%s: ids not found: mq %" PRIu64 ", sqlite %" PRIu64,
		    what, mq->misses, sql->misses);
	if (mq->sum != sql->sum)
		die("%s: checksums differ: mq %" PRIu64 ", sqlite %" PRIu64,
		    what, mq->sum, sql->sum);
}

/*
 * read_all - read every row once on both sides, untimed: no timed run
 *	then pays for first touching a map, and the sums of the two sides
 *	check every row.
 */
static void read_all(struct store *st, sqlite3 *db, sqlite3_stmt *sel,
		     const struct bench *b)
{
	int64_t *seq = malloc(b->rows * sizeof(*seq));
	struct run_result mq, sql;
	uint64_t i;

	if (seq == NULL)
		die("malloc: %s", strerror(errno));
	for (i = 0; i < b->rows; i++)
		seq[i] = (int64_t)i + 1;
	mq = run_mq(st, b, seq, b->rows, 1);
	sql = run_sqlite(db, sel, b, seq, b->rows, 1);
	check_pair("every row", &mq, &sql);
	free(seq);
}

/* Setup and report. */

/* size_arg - a positive count from argv, else env, else dflt. */
static uint64_t size_arg(int argc, char **argv, int i, const char *env,
			 uint64_t dflt)
{
	const char *what = i < argc ? (i == 2 ? "ROWS" : "LOOKUPS") : env;
	const char *s = i < argc ? argv[i] : getenv(env);
	char *end;
	unsigned long long v;

	if (s == NULL || *s == 0)
		return dflt;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v == 0 || v > MAX_COUNT || *s == '-') {
		fprintf(stderr, PROG ": %s: not a count in 1..%llu: %s\n", what,
			(unsigned long long)MAX_COUNT, s);
		exit(64);
	}
	return v;
}

/* bench_dir - DIR from argv or $MQ_BENCH_DIR, else a new temp dir. */
static void bench_dir(struct bench *b, int argc, char **argv)
{
	const char *d = argc > 1 ? argv[1] : getenv("MQ_BENCH_DIR");
	const char *tmp = getenv("TMPDIR");

	if (d && *d) {
		snprintf(b->dir, sizeof(b->dir), "%s", d);
		return;
	}
	snprintf(b->dir, sizeof(b->dir), "%s/mq-pk_reads.XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	if (mkdtemp(b->dir) == NULL)
		die("mkdtemp %s: %s", b->dir, strerror(errno));
	b->made_dir = 1;
}

static const struct bench *cleanup_bench;	/* for bench_cleanup */

/* bench_cleanup - atexit: remove the files written (and a dir made here). */
static void bench_cleanup(void)
{
	const struct bench *b = cleanup_bench;
	static const char *const suffix[] = {
		"", "-lock", "-journal", "-wal", "-shm",
	};
	char path[4300];
	size_t i;

	if (b == NULL || getenv("MQ_BENCH_KEEP"))
		return;
	for (i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
		snprintf(path, sizeof(path), "%s%s", b->mq_path, suffix[i]);
		unlink(path);
		snprintf(path, sizeof(path), "%s%s", b->sql_path, suffix[i]);
		unlink(path);
	}
	if (b->made_dir)
		rmdir(b->dir);
}

/* bench_setup - parse arguments and environment, make the id sequence. */
static void bench_setup(struct bench *b, int argc, char **argv)
{
	const char *j = getenv("MQ_BENCH_SQLITE_JOURNAL");
	uint64_t n;

	if (argc > 4 || (argc > 1 && argv[1][0] == '-')) {
		fprintf(stderr, "usage: " PROG " [DIR [ROWS [LOOKUPS]]]\n");
		exit(64);
	}
	b->rows = size_arg(argc, argv, 2, "MQ_BENCH_ROWS", DEF_ROWS);
	b->lookups = size_arg(argc, argv, 3, "MQ_BENCH_LOOKUPS", DEF_LOOKUPS);
	b->journal = j && *j ? j : "wal";
	if (strcmp(b->journal, "wal") && strcmp(b->journal, "delete")) {
		fprintf(stderr, PROG ": MQ_BENCH_SQLITE_JOURNAL: wal or delete, "
			"not %s\n", b->journal);
		exit(64);
	}
	if ((b->t = reg_mailerq_find(TABLE)) == NULL)
		die("registry: no table %s", TABLE);
	if (b->t->nkey != 1 || b->t->cols[b->t->key[0]].type != REG_INT)
		die("registry: %s: primary key is not one integer", TABLE);
	bench_dir(b, argc, argv);
	snprintf(b->mq_path, sizeof(b->mq_path), "%s/pk_reads.mdb", b->dir);
	snprintf(b->sql_path, sizeof(b->sql_path), "%s/pk_reads.sqlite", b->dir);
	cleanup_bench = b;
	atexit(bench_cleanup);
	if ((b->ids = malloc(b->lookups * sizeof(*b->ids))) == NULL)
		die("malloc: %s", strerror(errno));
	for (n = 0; n < b->lookups; n++)
		b->ids[n] = random_id(ID_SEED, n, b->rows);
}

/* file_mib - size of path in MiB, 0 if it cannot be stat'ed. */
/* print_pair - the two rates of a pair and their ratio. */
static void print_pair(const struct bench *b, const char *mq_label,
		       const struct run_result *mq, const char *sql_label,
		       const struct run_result *sql)
{
	double mq_rate = (double)b->lookups / mq->secs;
	double sql_rate = (double)b->lookups / sql->secs;

	printf(PROG ": %-22s %.0f lookups/s\n", mq_label, mq_rate);
	printf(PROG ": %-22s %.0f lookups/s\n", sql_label, sql_rate);
	printf(PROG ": %-22s %.2fx\n", "ratio mq/sqlite", mq_rate / sql_rate);
}

/* load_both - fill both files and say how long it took. */
static void load_both(const struct bench *b)
{
	double t0 = now(), t1;

	load_store(b);
	t1 = now();
	load_sqlite(b);
	printf(PROG ": load mq %.2fs (%.1f MiB), sqlite %.2fs (%.1f MiB, "
	       "journal=%s)\n", t1 - t0, file_mib(b->mq_path), now() - t1,
	       file_mib(b->sql_path), b->journal);
	fflush(stdout);
}

/* measure - the four timed runs, checked pair by pair, then printed. */
static void measure(struct store *st, sqlite3 *db, sqlite3_stmt *sel,
		    const struct bench *b)
{
	struct run_result a, bb, c, d;

	a = run_mq(st, b, b->ids, b->lookups, 1);
	bb = run_sqlite(db, sel, b, b->ids, b->lookups, 1);
	check_pair("one transaction", &a, &bb);
	print_pair(b, "mq store_get_by_key", &a, "sqlite prepared", &bb);
	fflush(stdout);
	c = run_mq(st, b, b->ids, b->lookups, 0);
	d = run_sqlite(db, sel, b, b->ids, b->lookups, 0);
	check_pair("transaction per lookup", &c, &d);
	if (c.sum != a.sum)
		die("checksums differ between runs: %" PRIu64 ", %" PRIu64,
		    a.sum, c.sum);
	print_pair(b, "mq txn per lookup", &c, "sqlite autocommit", &d);
}

int main(int argc, char **argv)
{
	struct store_options opt = { 0 };
	struct bench b = { 0 };
	struct store *st;
	sqlite3_stmt *sel;
	sqlite3 *db;
	sqlite3_int64 mmap_size;
	char err[512] = "", sql[128];
	enum store_rc rc;

	bench_setup(&b, argc, argv);
	printf(PROG ": rows=%" PRIu64 " lookups=%" PRIu64 "\n", b.rows, b.lookups);
	fflush(stdout);
	load_both(&b);
	if ((rc = store_open(b.mq_path, STORE_RDONLY, &opt, &st, err,
			     sizeof(err))) != STORE_OK)
		die("store_open: %s: %s", store_strerror(rc), err);
	db = sql_open_reader(b.sql_path, &mmap_size);
	snprintf(sql, sizeof(sql), "SELECT * FROM %s WHERE id=?", TABLE);
	sel = sql_prepare(db, sql);
	printf(PROG ": sqlite %s, mmap_size=%lld, cache_size=1GiB\n",
	       sqlite3_libversion(), (long long)mmap_size);
	verify_sample(st, db, sel, &b);
	read_all(st, db, sel, &b);
	printf(PROG ": verified %d rows and 2 absent ids column by column, "
	       "all rows by checksum\n", VERIFY_SAMPLE + 2);
	fflush(stdout);
	measure(st, db, sel, &b);
	sqlite3_finalize(sel);
	sqlite3_close(db);
	store_close(st);
	free(b.ids);
	return 0;
}
