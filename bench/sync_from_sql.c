/*
 * NAME
 *	sync_from_sql - mq sync --from-sql of a big list vs the engine's client
 * SYNOPSIS
 *	sync_from_sql [DIR [ROWS]]
 * DESCRIPTION
 *	For each engine it can reach (SQLite always, in DIR; PostgreSQL at
 *	$MQ_TEST_PG_URL; MariaDB at $MQ_TEST_MYSQL_URL, each in a new
 *	database of its own that is dropped at the end), fills the list
 *	table "bench" with ROWS subscribers (the engine generates them:
 *	generate_series, seq_1_to_N, a recursive CTE), then times
 *
 *	  mq: sql_sync_from() into an empty store: every MailerQ table and
 *	      the 16 tables of the list read, converted and written in one
 *	      LMDB transaction (what mq sync --from-sql does);
 *	  peer: the engine's own command-line client reading the same rows
 *	      and throwing them away: psql \copy (select ...) to /dev/null,
 *	      mariadb -e "select ..." > /dev/null, sqlite3 "select ..." >
 *	      /dev/null;
 *
 *	and prints both and their ratio.  An engine without its URL is
 *	reported as not measured.  Then a second sync of the unchanged
 *	database is timed: it must write nothing (SQLite: its quick check,
 *	docs/sync.md, must find the file unchanged), and a third with
 *	SQL_SYNC_FULL, which compares every row as MQ_SYNC_FULL=1 does.
 *	Last, on SQLite and PostgreSQL, the table's rows are written
 *	again in random order (ORDER BY random(), into the table
 *	emptied: a heap after many updates and deletes, where the rows
 *	no longer come in runs of the store's order) and the full
 *	compare of the unchanged rows is timed once more: the sort of
 *	the rows is then most of its cost.  Then, the store closed, LMDB
 *	alone appends every entry the load wrote into a new file
 *	(lmdb_floor.h): the floor under any apply into this format, beside
 *	the client's read.
 *
 *	Wall times on a loaded machine measure the queue for a CPU as
 *	much as the work, so each side's CPU seconds are printed too:
 *	mq's process (getrusage: for SQLite the engine runs in it), the
 *	client's (its rusage as a child), and, for PostgreSQL and MariaDB
 *	on this host, the server's during the read (/proc/PID/stat: for
 *	PostgreSQL the postmaster, its live children and those it reaped,
 *	so the client's backend counts after it exits; for MariaDB its one
 *	process).  The CPU ratio compares mq + server with client +
 *	server.
 *
 *	DIR: argv[1], $MQ_BENCH_DIR, else /tmp.  ROWS: argv[2],
 *	$MQ_BENCH_ROWS, else 1000000.
 * DIAGNOSTICS
 *	Exit 0 after printing; 1 when a step fails or the sides disagree:
 *	the store must hold ROWS rows of the list, the client must count
 *	ROWS rows, the sync must report ROWS inserted, and the second sync
 *	must change nothing.
 */
#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "sql-compat/sync.h"
#include "store/mlist.h"
#include "store/store.h"
#include "tests/lib/own_database.h"

#define PROG		"sync_from_sql"
#include "bench/bench.h"
#include "bench/lmdb_floor.h"
#define DEF_ROWS	1000000
#define LIST		"bench"

struct engine {
	const char *label;	/* "sqlite" */
	const char *env;	/* its URL variable, NULL: SQLite in DIR */
	const char *client;	/* the peer's name */
};

static const struct engine engines[] = {
	{ "sqlite", NULL, "sqlite3" },
	{ "postgresql", "MQ_TEST_PG_URL", "psql \\copy" },
	{ "mariadb", "MQ_TEST_MYSQL_URL", "mariadb -e" },
};

static char dir[4096];
static uint64_t rows;

/* connect_url - a connection, or die saying why (password redacted). */
static struct sql_conn *connect_addr(const struct sql_address *a)
{
	struct sql_conn *c;
	char err[1024];

	if (sql_connect(a, &c, err, sizeof(err)))
		die("%s", err);
	return c;
}

static void exec_or_die(struct sql_conn *c, const char *sql)
{
	if (sql_exec(c, sql, NULL, 0, NULL, NULL))
		die("%s", sql_errmsg(c));
}

/* Rows in one INSERT of fill(): a statement of about 40 kB. */
#define FILL_BATCH	1000

/*
 * fill - the list's tables, and ROWS subscribers, each with its own
 * ezmlm hash (sub_hash, as ezmlm-idx writes it: a row with another
 * hash is an odd address that a sync names and counts, which real
 * lists do not pay for), inserted FILL_BATCH rows a statement in one
 * transaction.
 */
static void fill(struct sql_conn *c)
{
	const char *roots[] = { LIST, NULL };
	static char sql[FILL_BATCH * 64 + 128];
	char addr[48];

	if (sql_schema_repair(c, roots, 0, NULL, NULL))
		die("repair: %s", sql_errmsg(c));
	if (sql_begin(c))
		die("begin: %s", sql_errmsg(c));
	for (uint64_t g = 1; g <= rows; ) {
		size_t n = (size_t)snprintf(sql, sizeof(sql), "INSERT INTO "
					    LIST " (hash, address, domain) "
					    "VALUES ");

		for (int k = 0; k < FILL_BATCH && g <= rows; k++, g++) {
			int len = snprintf(addr, sizeof(addr), "user%" PRIu64
					   "@example.org", g);

			n += (size_t)snprintf(sql + n, sizeof(sql) - n,
					      "%s(%u, '%s', 'org')",
					      k ? ", " : "",
					      sub_hash(addr, (size_t)len), addr);
		}
		exec_or_die(c, sql);
	}
	if (sql_commit(c))
		die("commit: %s", sql_errmsg(c));
}

/* client_cmd - the peer's command line; count: print the row count. */
static void client_cmd(const struct sql_address *a, enum sql_engine en,
		       bool count, char *cmd, size_t len)
{
	const char *sel = count ? "select count(*) from " LIST
		: "select hash, address, domain from " LIST;

	if (en == SQL_ENGINE_SQLITE)
		snprintf(cmd, len, "sqlite3 '%s' '%s'%s", a->path, sel,
			 count ? "" : " > /dev/null");
	else if (en == SQL_ENGINE_PGSQL && count)
		snprintf(cmd, len, "psql -X -A -t -h %s -p %u -U %s -d %s "
			 "-c '%s'", a->host, a->port, a->user, a->database,
			 sel);
	else if (en == SQL_ENGINE_PGSQL)
		snprintf(cmd, len, "psql -X -q -h %s -p %u -U %s -d %s -c "
			 "\"\\\\copy (%s) to '/dev/null'\"", a->host, a->port,
			 a->user, a->database, sel);
	else
		snprintf(cmd, len, "mariadb --no-defaults -N -B -h %s -P %u "
			 "-u %s %s -e '%s'%s", a->host, a->port, a->user,
			 a->database, sel, count ? "" : " > /dev/null");
}

/* What a step cost: wall seconds, and CPU seconds of each side. */
struct cost {
	double wall, own, server;	/* own: mq, or the client */
};

/* rusage_cpu - user + system seconds of who (RUSAGE_SELF, _CHILDREN) */
static double rusage_cpu(int who)
{
	struct rusage ru;

	getrusage(who, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
		(double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/*
 * proc_stat - of process pid, its parent and its CPU seconds (with
 *	those of the children it reaped when reaped is set); false when
 *	it is gone.
 */
static bool proc_stat(long pid, bool reaped, long *ppid, double *cpu)
{
	char path[64], buf[1024], *p;
	unsigned long long ut, st, cut, cst;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if (!(f = fopen(path, "r")))
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	/* after the name in parentheses, which may hold anything */
	if (!(p = strrchr(buf, ')')) ||
	    sscanf(p + 2, "%*c %ld %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu "
		   "%llu %llu %llu", ppid, &ut, &st, &cut, &cst) != 5)
		return false;
	*cpu = (double)(ut + st + (reaped ? cut + cst : 0)) /
		(double)sysconf(_SC_CLK_TCK);
	return true;
}

/*
 * server_cpu - CPU seconds of the server process pid so far, with its
 *	live and reaped children (PostgreSQL's backends); 0 without one.
 */
static double server_cpu(long pid)
{
	double sum = 0, cpu;
	struct dirent *e;
	long ppid;
	DIR *d;

	if (pid <= 0 || !proc_stat(pid, true, &ppid, &sum))
		return 0;
	if (!(d = opendir("/proc")))
		return sum;
	while ((e = readdir(d)))
		if (e->d_name[0] > '0' && e->d_name[0] <= '9' &&
		    proc_stat(atol(e->d_name), false, &ppid, &cpu) &&
		    ppid == pid)
			sum += cpu;
	closedir(d);
	return sum;
}

/* server_pid - the server's process on this host; 0 when not found. */
static long server_pid(struct sql_conn *c, enum sql_engine en)
{
	const struct sql_value *v;
	struct sql_rows *r;
	char path[4096] = "";
	int64_t backend;
	double cpu;
	long ppid = 0, pid = 0;
	size_t n;
	FILE *f;

	if (en == SQL_ENGINE_PGSQL &&
	    sql_exec_int(c, "SELECT pg_backend_pid()", NULL, 0, &backend) ==
	    SQL_OK && proc_stat((long)backend, false, &ppid, &cpu))
		return ppid;
	if (en != SQL_ENGINE_MYSQL ||
	    sql_exec(c, "SELECT @@pid_file", NULL, 0, &r, NULL))
		return 0;
	if (sql_rows_next(c, r, &v, &n) == SQL_OK && n == 1 &&
	    v[0].type == SQL_TEXT && v[0].len < sizeof(path))
		memcpy(path, v[0].p, v[0].len + 1);
	sql_rows_free(c, r);
	if (*path && (f = fopen(path, "r"))) {
		if (fscanf(f, "%ld", &pid) != 1)
			pid = 0;
		fclose(f);
	}
	return pid;
}

/* cost_start, cost_end - what happened between the two, in *c. */
static void cost_start(struct cost *c, int who, long server)
{
	c->wall = now();
	c->own = rusage_cpu(who);
	c->server = server_cpu(server);
}

static void cost_end(struct cost *c, int who, long server)
{
	c->wall = now() - c->wall;
	c->own = rusage_cpu(who) - c->own;
	c->server = server_cpu(server) - c->server;
}

/* run_client - the peer's cost in *c; *counted its row count. */
static void run_client(const struct sql_address *a, enum sql_engine en,
		       long server, struct cost *c, uint64_t *counted)
{
	char cmd[2048];
	double done;
	FILE *p;

	/* The password goes through the environment, never argv. */
	if (a->password) {
		setenv("PGPASSWORD", a->password, 1);
		setenv("MYSQL_PWD", a->password, 1);
	}
	client_cmd(a, en, false, cmd, sizeof(cmd));
	cost_start(c, RUSAGE_CHILDREN, server);
	if (system(cmd) != 0)
		die("%s: failed", cmd);
	done = now();
	usleep(100000);		/* the client's backend ends after it */
	cost_end(c, RUSAGE_CHILDREN, server);
	c->wall -= now() - done;
	client_cmd(a, en, true, cmd, sizeof(cmd));
	if (!(p = popen(cmd, "r")) || fscanf(p, "%" SCNu64, counted) != 1)
		die("%s: no count", cmd);
	pclose(p);
}

/* store_rows - the list's rows in the store. */
static uint64_t store_rows(struct store *st)
{
	struct store_txn *t;
	uint64_t n = 0;

	if (store_read_begin(st, &t) || store_count(t, LIST, &n))
		die("count: %s", store_errmsg(st));
	store_read_end(t);
	return n;
}

static uint64_t inserted(const struct sql_sync_result *r)
{
	for (size_t i = 0; i < r->ntables; i++)
		if (strcmp(r->tables[i].name, LIST) == 0)
			return r->tables[i].n.inserted;
	return 0;
}

static uint64_t changes(const struct sql_sync_result *r)
{
	uint64_t n = 0;

	for (size_t i = 0; i < r->ntables; i++)
		n += r->tables[i].n.inserted + r->tables[i].n.updated +
			r->tables[i].n.deleted;
	return n;
}

/* print_cost - one line of figures: wall, own CPU, server's CPU */
static void print_cost(const char *label, const char *what,
		       const struct cost *c, long server)
{
	printf("%-10s %s: %.3f s (%.0f rows/s), CPU %.2f s", label, what,
	       c->wall, (double)rows / c->wall, c->own);
	if (server)
		printf(" + server %.2f s", c->server);
	printf("\n");
}

/* print_ratio - the ratios of mq's cost to the client's, wall and CPU */
static void print_ratio(const char *label, const char *what,
			const struct cost *mq, const struct cost *peer)
{
	printf("%-10s ratio %s / client read: wall %.2f, CPU %.2f\n", label,
	       what, mq->wall / peer->wall,
	       (mq->own + mq->server) / (peer->own + peer->server));
}

/*
 * again_cost - a sync of the unchanged database (flags: SQL_SYNC_FULL
 *	for the full compare), which must change nothing; SQLite's quick
 *	check must find it unchanged.
 */
static void again_cost(const struct engine *e, struct sql_conn *c,
		       struct store *st, long server, unsigned flags,
		       struct cost *cost)
{
	struct sql_sync_result res;

	cost_start(cost, RUSAGE_SELF, server);
	if (sql_sync_from(c, st, flags, &res) || changes(&res))
		die("%s: the unchanged database changed something", e->label);
	cost_end(cost, RUSAGE_SELF, server);
	if (!flags && !e->env && !res.unchanged)
		die("%s: the quick check did not find the file unchanged",
		    e->label);
	if (flags && res.unchanged)
		die("%s: SQL_SYNC_FULL took the quick check", e->label);
	sql_sync_result_free(&res);
}

/*
 * shuffle - the list's rows written again in random order, which the
 *	engine reads them back in: SQLite's rowids, PostgreSQL's heap.
 *	Not MariaDB: a million inserts in random order into its address
 *	index took minutes in the benchmark's 32 MB buffer pool, and the
 *	sort this measures is the same whatever engine sent the rows.
 */
static void shuffle(struct sql_conn *c, enum sql_engine en)
{
	exec_or_die(c, "CREATE TABLE " LIST "_shuffle AS SELECT * FROM "
		    LIST);
	exec_or_die(c, en == SQL_ENGINE_SQLITE ? "DELETE FROM " LIST
		    : "TRUNCATE TABLE " LIST);
	exec_or_die(c, "INSERT INTO " LIST " SELECT * FROM " LIST "_shuffle "
		    "ORDER BY random()");
	exec_or_die(c, "DROP TABLE " LIST "_shuffle");
}

/*
 * print_floor - LMDB alone appending what the load wrote (path: closed),
 *	beside the client's read: no apply into this format can go below.
 */
static void print_floor(const char *label, const char *path,
		  const struct cost *peer)
{
	char dst[4300];
	struct cost c;
	uint64_t entries;

	snprintf(dst, sizeof(dst), "%s.floor", path);
	cost_start(&c, RUSAGE_SELF, 0);
	c.wall = lmdb_floor(path, dst, &entries);
	c.own = rusage_cpu(RUSAGE_SELF) - c.own;
	c.server = 0;
	printf("%-10s LMDB alone appending the load's %" PRIu64 " entries "
	       "(rows, index, log; 30 ms transactions): %.3f s, CPU %.2f s\n",
	       label, entries, c.wall, c.own);
	print_ratio(label, "LMDB floor", &c, peer);
	unlink(dst);
	strcat(dst, "-lock");
	unlink(dst);
}

/* measure - one engine: load, time both sides, check they agree. */
static void measure(const struct engine *e, const struct sql_address *a)
{
	struct sql_sync_result res;
	struct store *st;
	struct sql_conn *c = connect_addr(a);
	enum sql_engine en = sql_conn_engine(c);
	long server = server_pid(c, en);
	char path[4200], err[1024], what[128];
	struct cost first, again, full, shuffled, peer;
	uint64_t counted = 0;

	fill(c);
	snprintf(path, sizeof(path), "%s/%s.mdb", dir, e->label);
	unlink(path);
	if (store_open(path, 0, NULL, &st, err, sizeof(err)))
		die("%s", err);
	cost_start(&first, RUSAGE_SELF, server);
	if (sql_sync_from(c, st, 0, &res))
		die("%s: sync: %s", e->label, res.err);
	cost_end(&first, RUSAGE_SELF, server);
	if (inserted(&res) != rows || store_rows(st) != rows)
		die("%s: the store holds %" PRIu64 " rows, the sync says %"
		    PRIu64 ", want %" PRIu64, e->label, store_rows(st),
		    inserted(&res), rows);
	sql_sync_result_free(&res);
	again_cost(e, c, st, server, 0, &again);
	again_cost(e, c, st, server, SQL_SYNC_FULL, &full);
	run_client(a, en, server, &peer, &counted);
	if (counted != rows)
		die("%s: the client counts %" PRIu64 " rows, want %" PRIu64,
		    e->label, counted, rows);
	snprintf(what, sizeof(what), "mq sync --from-sql, %" PRIu64
		 " list rows", rows);
	print_cost(e->label, what, &first, server);
	print_cost(e->label, "mq sync --from-sql unchanged again", &again,
		   server);
	print_cost(e->label, "the same, full compare (SQL_SYNC_FULL)", &full,
		   server);
	snprintf(what, sizeof(what), "%s reading the same rows", e->client);
	print_cost(e->label, what, &peer, server);
	print_ratio(e->label, "mq first load", &first, &peer);
	print_ratio(e->label, "mq unchanged", &again, &peer);
	print_ratio(e->label, "mq unchanged, full", &full, &peer);
	fflush(stdout);
	if (en != SQL_ENGINE_MYSQL) {
		shuffle(c, en);
		again_cost(e, c, st, server, SQL_SYNC_FULL, &shuffled);
		print_cost(e->label, "the same, rows in random order",
			   &shuffled, server);
		print_ratio(e->label, "mq unchanged, random order", &shuffled,
			    &peer);
	}
	store_close(st);
	print_floor(e->label, path, &peer);
	unlink(path);
	strcat(path, "-lock");
	unlink(path);
	sql_close(c);
}

int main(int argc, char **argv)
{
	const char *d = argc > 1 ? argv[1] : getenv("MQ_BENCH_DIR");
	const char *r = argc > 2 ? argv[2] : getenv("MQ_BENCH_ROWS");
	char name[64], sqlite_url[4200];
	struct sql_address *a;

	snprintf(dir, sizeof(dir), "%s", d && *d ? d : "/tmp");
	rows = r && *r ? strtoull(r, NULL, 10) : DEF_ROWS;
	if (rows == 0 || rows > 100000000)
		die("ROWS must be 1..100000000");
	for (size_t i = 0; i < sizeof(engines) / sizeof(engines[0]); i++) {
		const struct engine *e = &engines[i];
		const char *url = e->env ? getenv(e->env) : NULL;
		char err[1024];

		if (e->env && (!url || !*url)) {
			printf("%-10s not measured: $%s is not set\n",
			       e->label, e->env);
			continue;
		}
		if (!e->env) {
			snprintf(sqlite_url, sizeof(sqlite_url),
				 "sqlite://%s/bench-%ld.sqlite", dir,
				 (long)getpid());
			if (sql_address_parse(sqlite_url, &a, err,
					      sizeof(err)))
				die("%s", err);
		} else
			if (!(a = own_database(url, "mqbench", name,
					       sizeof(name), err, sizeof(err))))
				die("%s", err);
		measure(e, a);
		if (e->env)
			drop_database(url, name);
		else
			unlink(a->path);
		sql_address_free(a);
	}
	return 0;
}
