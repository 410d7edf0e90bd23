/*
 * NAME
 *	lists - subscribe, list and split a big list: mq store vs SQLite
 * SYNOPSIS
 *	lists [DIR]
 * DESCRIPTION
 *	Makes ROWS distinct addresses (mixed case, 10 top-level domains,
 *	two receipt addresses of hash 98) and, in the same run:
 *
 *	subscribe  mq: store_sub() of all of them in one transaction, as
 *		   "mq sub T -" does (the heap readied by store_sub_warm
 *		   first, its thread faulting it in beside the write, on the
 *		   clock; a table row and a slog row each, and
 *		   their two change records unless, as with more than
 *		   500,000 addresses, they overflow the change log: see
 *		   docs/lists.md); SQLite: one transaction of INSERTs into an
 *		   ezmlm-idx address table (hash, address primary key,
 *		   domain, plus the hash index of ezmlm-idx's MySQL tables)
 *		   and its slog table, with prepared statements.  Also, as
 *		   the last line, a process "MQ_BIN sub T -" with the
 *		   addresses one a line in a file on its stdin (all of them
 *		   with their own hash), into a store of its own whose list
 *		   is created first, off the clock; the clock covers the
 *		   whole process, reading and checking the input included.
 *	list	   mq: store_sub_each() 0..52 then the receipts, as "mq list
 *		   T"; SQLite: ezmlm-idx's putsubs, "SELECT address ...
 *		   WHERE hash BETWEEN 0 AND 52", then hash 98.
 *	split	   12 sublists over 0..52 (T_name entries, no msgnum
 *		   window); mq: 12 processes "MQ_BIN list list --sublist sI
 *		   --msgnum 1", one after the other, as ezmlm's 12 sublists
 *		   would run them, the store path given in $MQ_STORE_PATH;
 *		   the clock covers their spawns, the reading of their
 *		   output from a pipe, and their exits.  Also, as a second
 *		   line, the same 12 listings as store_split_each() calls
 *		   in one read transaction of this process.  SQLite: 12
 *		   hash-range SELECTs (each followed by the receipts').
 *
 *	Both sides hand each address to the same consumer, which does
 *	what "mq list" does with it: append it and a newline to an output
 *	buffer (here one big enough for the whole listing, touched before
 *	the clock starts); the mq processes' output is read into that
 *	buffer.  After the clock stops, the lines of each listing are
 *	counted and checksummed (a sum of FNV-1a hashes, order-free); the
 *	sides must agree, and the 12 sublists must partition the list.
 *	DIR: argv[1], $MQ_BENCH_DIR, else a new directory under $TMPDIR
 *	or /tmp.  ROWS: $MQ_BENCH_ROWS (default 1000000).  MQ_BIN: $MQ_BIN,
 *	else the mq of this build (this program is B/bench/lists, mq is
 *	B/mq).  Files are removed at exit unless $MQ_BENCH_KEEP is set.
 * DIAGNOSTICS
 *	Exit 0 after printing the figures and "ratio" lines ("split12" is
 *	the 12 processes, "split12 in one process" the calls), 1 when a
 *	step fails, mq is missing or a "mq list" run fails (naming the
 *	sublist and its exit status), or the sides disagree, 64 on bad
 *	usage.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store/store.h"

#define PROG		"lists"
#include "bench/bench.h"
#include "bench/spawn.h"
#define DEF_ROWS	1000000
#define MAX_ROWS	(50ULL * 1000 * 1000)
#define SUBLISTS	12
#define ROOT		"list"
#define ADDR_MAX	64

struct bench {
	char dir[4096], mq_path[4200], sql_path[4200], mq_bin[4200];
	int made_dir;
	uint64_t rows;
	char *text;		/* the addresses, ADDR_MAX bytes each */
	struct sub_request *req;
};

/* A count and an order-free checksum of the addresses seen. */
struct tally {
	uint64_t n, sum;
};

/* tally_add - count one address and add its FNV-1a hash. */
static void tally_add(struct tally *t, const char *s, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 0x100000001b3ULL;
	t->n++;
	t->sum += h;
}

/* The listings of one side: lines, as "mq list" writes them. */
struct sink {
	char *buf;
	size_t n, cap;
	size_t end[SUBLISTS + 1];	/* where listing i ends */
};

/* sink_fn - a sub_addr_fn that appends the address as a line. */
static int sink_fn(const char *addr, size_t len, int hash, void *arg)
{
	struct sink *o = arg;

	(void)hash;
	if (o->n + len + 1 > o->cap)
		die("listing larger than its buffer");
	memcpy(o->buf + o->n, addr, len);
	o->n += len;
	o->buf[o->n++] = '\n';
	return 0;
}

/*
 * sink_open - room for the list and its split, its pages touched (as
 *	"mq list" reuses one buffer, the clock must not see them faulted
 *	in; filled with '\n', as a zero fill may become a calloc).
 */
static void sink_open(struct sink *o, uint64_t rows)
{
	o->cap = (2 * rows + 64) * (ADDR_MAX + 1);
	o->buf = malloc(o->cap);
	if (!o->buf)
		die("out of memory");
	memset(o->buf, '\n', o->cap);
	o->n = 0;
}

/* sink_tally - count and checksum the lines of buf[from, to). */
static void sink_tally(const struct sink *o, size_t from, size_t to,
		       struct tally *t)
{
	for (size_t i = from; i < to;) {
		const char *nl = memchr(o->buf + i, '\n', to - i);

		tally_add(t, o->buf + i, (size_t)(nl - (o->buf + i)));
		i = (size_t)(nl - o->buf) + 1;
	}
}

/* sink_read - append what fd gives until end of file, as whole lines. */
static void sink_read(struct sink *o, int fd, const char *name)
{
	size_t from = o->n;
	ssize_t r;

	for (;;) {
		if (o->n == o->cap)
			die("sublist %s: listing larger than its buffer", name);
		r = read(fd, o->buf + o->n, o->cap - o->n);
		if (r == 0)
			break;
		if (r < 0 && errno != EINTR)
			die("sublist %s: read: %s", name, strerror(errno));
		o->n += r > 0 ? (size_t)r : 0;
	}
	if (o->n > from && o->buf[o->n - 1] != '\n')
		die("sublist %s: output ends without a newline", name);
}

/* sink_split - the 12 sublists' tallies; the list's comes first. */
static void sink_split(const struct sink *o, struct tally *split)
{
	for (int i = 0; i < SUBLISTS; i++)
		sink_tally(o, o->end[i], o->end[i + 1], &split[i]);
}

/* make_addresses - ROWS distinct addresses; the last two are receipts. */
static void make_addresses(struct bench *b)
{
	static const char *const tld[] = { "com", "org", "NET", "edu", "de",
					   "jp", "fr", "co.uk", "Home", "info" };

	b->text = malloc(b->rows * ADDR_MAX);
	b->req = calloc(b->rows, sizeof(*b->req));
	if (!b->text || !b->req)
		die("out of memory");
	for (uint64_t i = 0; i < b->rows; i++) {
		char *s = b->text + i * ADDR_MAX;
		uint64_t r = mix64(i);
		int n = snprintf(s, ADDR_MAX, "%s%" PRIu64 ".%x@Host%u.example.%s",
				 i % 7 ? "user" : "User", i, (unsigned)(r & 0xfff),
				 (unsigned)(r >> 20) % 5000, tld[(r >> 40) % 10]);

		b->req[i] = (struct sub_request){ .addr = s, .len = (size_t)n,
						  .hash = -1, .etype = 'm' };
		if (i + 2 >= b->rows && b->rows > 2)
			b->req[i].hash = SUB_HASH_RECEIPT;
	}
}

struct sub_job {
	struct bench *b;
	struct sub_counts c;
};

/* sub_fn - create the list and subscribe every address. */
static enum store_rc sub_fn(struct store_txn *txn, void *arg)
{
	struct sub_job *j = arg;
	enum store_rc rc = store_list_create(txn, ROOT, (const uint8_t *)"k",
					     1);

	if (rc == STORE_OK)
		rc = store_sub(txn, ROOT, SUB_MAIN, true, j->b->req,
			       j->b->rows, &j->c, NULL);
	return rc;
}

/* split_lo - the first hash of sublist i of SUBLISTS over 0..52. */
static int split_lo(int i)
{
	return i * (SUB_HASH_MAX + 1) / SUBLISTS;
}

/* split_fn - the 12 T_name entries over 0..52. */
static enum store_rc split_fn(struct store_txn *txn, void *arg)
{
	enum store_rc rc = STORE_OK;

	(void)arg;
	for (int i = 0; rc == STORE_OK && i < SUBLISTS; i++) {
		char name[16];
		struct store_assign a[3] = {
			{ 1, { .kind = SV_TEXT, .s = name } },
			{ 5, { .kind = SV_INT, .i = split_lo(i) } },
			{ 6, { .kind = SV_INT, .i = split_lo(i + 1) - 1 } },
		};

		a[0].v.len = (size_t)snprintf(name, sizeof(name), "s%d", i);
		rc = store_set(txn, ROOT "_name", a, 3, NULL);
	}
	return rc;
}

/* mq_load - subscribe every address and write the 12 T_name entries. */
static double mq_load(struct bench *b)
{
	struct sub_job j = { .b = b };
	struct store *st;
	char err[512];
	double t0, t;
	enum store_rc rc;

	if (store_open(b->mq_path, 0, NULL, &st, err, sizeof(err)))
		die("%s", err);
	t0 = now();
	rc = store_sub_reserve(st, b->rows);
	store_sub_warm(b->rows);
	if (rc == STORE_OK)
		rc = store_write(st, sub_fn, &j, NULL);
	t = now() - t0;
	store_sub_warm_end();
	if (rc || j.c.changed != b->rows)
		die("subscribe: %s (%" PRIu64 " subscribed)", store_errmsg(st),
		    j.c.changed);
	if (store_write(st, split_fn, NULL, NULL))
		die("split entries: %s", store_errmsg(st));
	store_close(st);
	return t;
}

/*
 * mq_read - the list, then the 12 sublists by store_split_each(), in
 *	one read transaction; their times in t[0] and t[1].
 */
static void mq_read(struct bench *b, struct sink *o, double t[2])
{
	struct store_txn *txn;
	struct store *st;
	char err[512];
	double t0;
	enum store_rc rc;

	/* Reopened read-only, as a separate "mq list" process would. */
	if (store_open(b->mq_path, STORE_RDONLY, NULL, &st, err, sizeof(err)) ||
	    store_read_begin(st, &txn))
		die("reopen: %s", err);
	t0 = now();
	rc = store_sub_each(txn, ROOT, SUB_MAIN, 0, SUB_HASH_MAX, true,
			    sink_fn, o);
	t[0] = now() - t0;
	o->end[0] = o->n;
	t0 = now();
	for (int i = 0; rc == STORE_OK && i < SUBLISTS; i++) {
		char name[16];

		snprintf(name, sizeof(name), "s%d", i);
		rc = store_split_each(txn, ROOT, false, name, 1, sink_fn,
				      o, NULL);
		o->end[i + 1] = o->n;
	}
	t[1] = now() - t0;
	if (rc)
		die("list: %s", store_errmsg(st));
	store_read_end(txn);
	store_close(st);
}

/*
 * mq_list_sublist - run "MQ_BIN list list --sublist sI --msgnum 1" with
 *	its stdout on a pipe, read it into o, and reap it.
 */
static void mq_list_sublist(struct bench *b, int i, struct sink *o)
{
	char name[16], what[48];
	char *argv[] = { b->mq_bin, "list", ROOT, "--sublist", name,
			 "--msgnum", "1", NULL };
	pid_t pid;
	int fd;

	snprintf(name, sizeof(name), "s%d", i);
	snprintf(what, sizeof(what), "sublist %s: mq list", name);
	fd = spawn_stdout(argv, &pid, what);
	sink_read(o, fd, name);
	close(fd);
	spawn_wait(pid, what);
}

/* mq_split_processes - the 12 sublists as 12 "mq list" runs; the time. */
static double mq_split_processes(struct bench *b, struct sink *o)
{
	double t0 = now();

	for (int i = 0; i < SUBLISTS; i++) {
		mq_list_sublist(b, i, o);
		o->end[i + 1] = o->n;
	}
	return now() - t0;
}

/* remove_store - a store file and its lock file. */
static void remove_store(const char *path)
{
	char p[4300];

	unlink(path);
	snprintf(p, sizeof(p), "%s-lock", path);
	unlink(p);
}

/* store_rows - the rows of the list table of the store at path. */
static void store_rows(const char *path, uint64_t *n)
{
	struct store_txn *txn;
	struct store *st;
	char err[512];

	if (store_open(path, STORE_RDONLY, NULL, &st, err, sizeof(err)) ||
	    store_read_begin(st, &txn))
		die("%s: %s", path, err);
	if (store_count(txn, ROOT, n))
		die("%s: %s", path, store_errmsg(st));
	store_read_end(txn);
	store_close(st);
}

/* run_quiet - run argv (stdin from in) to its end; die unless it exits 0. */
static void run_quiet(char *const argv[], const char *in, const char *what)
{
	pid_t pid;

	spawn_stdin(argv, in, &pid, what);
	spawn_wait(pid, what);
}

/*
 * mq_sub_stdin - "mq sub T -" of every address, one a line in a file on
 *	its stdin, into a store of its own (the list created first, off
 *	the clock); the time of the subscribe.  Checks that every address
 *	was subscribed.
 */
static double mq_sub_stdin(struct bench *b)
{
	char path[4300], in[4300];
	char *create[] = { b->mq_bin, "list-create", ROOT, NULL };
	char *sub[] = { b->mq_bin, "sub", ROOT, "-", NULL };
	uint64_t n = 0;
	double t0, t;
	FILE *f;

	snprintf(path, sizeof(path), "%s/stdin.mdb", b->dir);
	snprintf(in, sizeof(in), "%s/addresses.txt", b->dir);
	if (!(f = fopen(in, "w")))
		die("%s: %s", in, strerror(errno));
	for (uint64_t i = 0; i < b->rows; i++)
		fprintf(f, "%.*s\n", (int)b->req[i].len, b->req[i].addr);
	if (fclose(f))
		die("%s: %s", in, strerror(errno));
	if (setenv("MQ_STORE_PATH", path, 1))
		die("setenv: %s", strerror(errno));
	run_quiet(create, "/dev/null", "mq list-create");
	t0 = now();
	run_quiet(sub, in, "mq sub " ROOT " -");
	t = now() - t0;
	if (setenv("MQ_STORE_PATH", b->mq_path, 1))
		die("setenv: %s", strerror(errno));
	store_rows(path, &n);
	if (n != b->rows)
		die("mq sub " ROOT " -: %" PRIu64 " of %" PRIu64 " addresses "
		    "subscribed", n, b->rows);
	if (!getenv("MQ_BENCH_KEEP")) {
		remove_store(path);
		unlink(in);
	}
	return t;
}

/*
 * run_mq - the mq side: its tallies of the list, of the split by 12
 *	processes and of the split in this process; the times of
 *	subscribe, list, split by processes, split in this process, and
 *	"mq sub T -" from a file.
 */
static void run_mq(struct bench *b, struct tally *list, struct tally *split,
		   struct tally *split_in, double t[5])
{
	struct sink o;
	double tr[2];

	t[0] = mq_load(b);
	sink_open(&o, b->rows);
	mq_read(b, &o, tr);
	t[1] = tr[0];
	t[3] = tr[1];
	sink_tally(&o, 0, o.end[0], list);
	sink_split(&o, split_in);
	o.n = o.end[0];
	t[2] = mq_split_processes(b, &o);
	sink_split(&o, split);
	free(o.buf);
	t[4] = mq_sub_stdin(b);
}

/* sql_exec - run SQL without results, or die. */
static void sql_exec(sqlite3 *db, const char *q)
{
	char *err = NULL;

	if (sqlite3_exec(db, q, NULL, NULL, &err) != SQLITE_OK)
		die("sqlite: %s: %s", q, err ? err : "?");
}

/* sql_prep - a prepared statement, or die. */
static sqlite3_stmt *sql_prep(sqlite3 *db, const char *q)
{
	sqlite3_stmt *s;

	if (sqlite3_prepare_v2(db, q, -1, &s, NULL) != SQLITE_OK)
		die("sqlite: %s: %s", q, sqlite3_errmsg(db));
	return s;
}

/* sql_step_done - run a statement without results, or die. */
static void sql_step_done(sqlite3 *db, sqlite3_stmt *s)
{
	if (sqlite3_step(s) != SQLITE_DONE)
		die("sqlite: %s", sqlite3_errmsg(db));
	sqlite3_reset(s);
}

/* sql_insert - one address and its slog row, as ezmlm-idx's subscribe. */
static void sql_insert(sqlite3 *db, sqlite3_stmt *ins, sqlite3_stmt *log,
		       const struct sub_request *r)
{
	char addr[SUB_ADDR_MAX + 1], dom[SUB_DOMAIN_MAX + 1], err[256];
	size_t len;

	if (sub_address(r->addr, r->len, addr, &len, err, sizeof(err)))
		die("%s", err);
	sqlite3_bind_int(ins, 1, r->hash >= 0 ? r->hash
			 : (int)sub_hash(addr, len));
	sqlite3_bind_text(ins, 2, addr, (int)len, SQLITE_STATIC);
	sqlite3_bind_text(ins, 3, dom, (int)sub_domain(addr, len, dom),
			  SQLITE_STATIC);
	sql_step_done(db, ins);
	sqlite3_bind_text(log, 1, addr, (int)len, SQLITE_STATIC);
	sql_step_done(db, log);
}

/* sql_select - list the addresses with a hash in lo..hi. */
static void sql_select(sqlite3 *db, sqlite3_stmt *s, int lo, int hi,
		       struct sink *o)
{
	int rc;

	sqlite3_bind_int(s, 1, lo);
	sqlite3_bind_int(s, 2, hi);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		sink_fn((const char *)sqlite3_column_text(s, 0),
			(size_t)sqlite3_column_bytes(s, 0), 0, o);
	if (rc != SQLITE_DONE)
		die("sqlite: %s", sqlite3_errmsg(db));
	sqlite3_reset(s);
}

/* run_sqlite - the SQLite side; its tallies and times. */
static void run_sqlite(struct bench *b, struct tally *list,
		       struct tally *split, double t[3])
{
	sqlite3 *db;
	sqlite3_stmt *ins, *log, *sel;
	struct sink o;
	double t0;

	if (sqlite3_open(b->sql_path, &db) != SQLITE_OK)
		die("sqlite: %s", b->sql_path);
	sql_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
		 "CREATE TABLE list (hash INT4 NOT NULL, address VARCHAR(255)"
		 " NOT NULL PRIMARY KEY, domain CHAR(3) NOT NULL DEFAULT '');"
		 "CREATE INDEX list_h ON list (hash);"
		 "CREATE TABLE list_slog (tai INTEGER, address VARCHAR(255) "
		 "NOT NULL, fromline VARCHAR(255) NOT NULL, edir CHAR NOT NULL,"
		 " etype CHAR NOT NULL)");
	ins = sql_prep(db, "INSERT INTO list (hash, address, domain) "
		       "VALUES (?, ?, ?)");
	log = sql_prep(db, "INSERT INTO list_slog (tai, address, fromline, "
		       "edir, etype) VALUES (strftime('%s','now'), ?, '', '+',"
		       " 'm')");
	t0 = now();
	sql_exec(db, "BEGIN");
	for (uint64_t i = 0; i < b->rows; i++)
		sql_insert(db, ins, log, &b->req[i]);
	sql_exec(db, "COMMIT");
	t[0] = now() - t0;
	sel = sql_prep(db, "SELECT address FROM list WHERE hash BETWEEN ? "
		       "AND ?");
	sink_open(&o, b->rows);
	t0 = now();
	sql_select(db, sel, 0, SUB_HASH_MAX, &o);
	sql_select(db, sel, SUB_HASH_RECEIPT, SUB_HASH_RECEIPT, &o);
	t[1] = now() - t0;
	o.end[0] = o.n;
	t0 = now();
	for (int i = 0; i < SUBLISTS; i++) {
		sql_select(db, sel, split_lo(i), split_lo(i + 1) - 1, &o);
		sql_select(db, sel, SUB_HASH_RECEIPT, SUB_HASH_RECEIPT, &o);
		o.end[i + 1] = o.n;
	}
	t[2] = now() - t0;
	sink_tally(&o, 0, o.end[0], list);
	sink_split(&o, split);
	free(o.buf);
	sqlite3_finalize(ins);
	sqlite3_finalize(log);
	sqlite3_finalize(sel);
	sqlite3_close(db);
}

/* setup - rows, directory and file names from argv and environment. */
static void setup(struct bench *b, int argc, char **argv)
{
	const char *d = argc > 1 ? argv[1] : getenv("MQ_BENCH_DIR");
	const char *r = getenv("MQ_BENCH_ROWS");
	const char *tmp = getenv("TMPDIR");

	b->rows = r ? strtoull(r, NULL, 10) : DEF_ROWS;
	if (b->rows < 3 || b->rows > MAX_ROWS) {
		fprintf(stderr, PROG ": MQ_BENCH_ROWS: 3..%llu\n", MAX_ROWS);
		exit(64);
	}
	spawn_mq_path(b->mq_bin, sizeof(b->mq_bin));
	if (d)
		snprintf(b->dir, sizeof(b->dir), "%s", d);
	else {
		snprintf(b->dir, sizeof(b->dir), "%s/mq-bench-lists.XXXXXX",
			 tmp ? tmp : "/tmp");
		if (!mkdtemp(b->dir))
			die("mkdtemp %s", b->dir);
		b->made_dir = 1;
	}
	snprintf(b->mq_path, sizeof(b->mq_path), "%s/lists.mdb", b->dir);
	snprintf(b->sql_path, sizeof(b->sql_path), "%s/lists.sqlite", b->dir);
	unlink(b->mq_path);
	unlink(b->sql_path);
	/* The "mq list" runs read the store path from the environment. */
	if (setenv("MQ_STORE_PATH", b->mq_path, 1))
		die("setenv: %s", strerror(errno));
}

/* cleanup - remove the files unless $MQ_BENCH_KEEP is set. */
static void cleanup(struct bench *b)
{
	char p[4300];

	if (getenv("MQ_BENCH_KEEP"))
		return;
	remove_store(b->mq_path);
	unlink(b->sql_path);
	snprintf(p, sizeof(p), "%s-wal", b->sql_path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", b->sql_path);
	unlink(p);
	if (b->made_dir)
		rmdir(b->dir);
}

/* check_split - each side's sublists partition its list, receipts in all. */
static void check_split(const char *side, const struct tally *list,
			const struct tally *split, uint64_t receipts)
{
	struct tally u = { 0, 0 };

	for (int i = 0; i < SUBLISTS; i++) {
		u.n += split[i].n;
		u.sum += split[i].sum;
	}
	if (u.n != list->n + (SUBLISTS - 1) * receipts)
		die("%s: the sublists hold %" PRIu64 " addresses, the list %"
		    PRIu64, side, u.n, list->n);
}

/* check_sublists - mq's 12 sublists (how: as read) equal SQLite's. */
static void check_sublists(const char *how, const struct tally *ms,
			   const struct tally *ss)
{
	for (int i = 0; i < SUBLISTS; i++)
		if (ms[i].n != ss[i].n || ms[i].sum != ss[i].sum)
			die("sublist s%d %s: mq %" PRIu64 ", SQLite %" PRIu64
			    " (or checksums differ)", i, how, ms[i].n,
			    ss[i].n);
}

/* print_ratio - one figure of both sides and their ratio. */
static void print_ratio(const char *what, double mq, double sql)
{
	printf("%-9s mq %.3f s   sqlite %.3f s   ratio sqlite/mq %.1f\n",
	       what, mq, sql, mq > 0 ? sql / mq : 0);
}

int main(int argc, char **argv)
{
	struct bench b = { .rows = 0 };
	struct tally ml = { 0, 0 }, sl = { 0, 0 };
	struct tally mp[SUBLISTS] = { { 0, 0 } }, mi[SUBLISTS] = { { 0, 0 } };
	struct tally ss[SUBLISTS] = { { 0, 0 } };
	static const char *const what[3] = { "subscribe", "list", "split12" };
	double tm[5], ts[3];

	if (argc > 2) {
		fprintf(stderr, "usage: " PROG " [DIR]\n");
		return 64;
	}
	setup(&b, argc, argv);
	make_addresses(&b);
	run_mq(&b, &ml, mp, mi, tm);
	run_sqlite(&b, &sl, ss, ts);
	if (ml.n != b.rows || ml.n != sl.n || ml.sum != sl.sum)
		die("list: mq %" PRIu64 " addresses, SQLite %" PRIu64
		    " (or checksums differ)", ml.n, sl.n);
	check_sublists("by mq list --sublist", mp, ss);
	check_sublists("in one process", mi, ss);
	check_split("mq", &ml, mp, 2);
	check_split("SQLite", &sl, ss, 2);
	printf("rows %" PRIu64 " (mq file %.1f MiB, SQLite file %.1f MiB)\n",
	       b.rows, file_mib(b.mq_path), file_mib(b.sql_path));
	for (int i = 0; i < 3; i++)
		print_ratio(what[i], tm[i], ts[i]);
	print_ratio("split12 in one process", tm[3], ts[2]);
	print_ratio("subscribe from stdin (mq sub T -)", tm[4], ts[0]);
	cleanup(&b);
	free(b.text);
	free(b.req);
	return 0;
}
