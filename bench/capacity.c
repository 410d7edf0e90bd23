/*
 * NAME
 *	capacity - capacity cascade lookups: mq vs SQLite vs PostgreSQL
 * SYNOPSIS
 *	capacity [DIR]
 * DESCRIPTION
 *	Writes ROWS capacity rows (60% (localip, domain), 25% (empty,
 *	domain), 15% (localip, empty), one (empty, empty); each limit -1
 *	with probability 0.4) and ROWS/10 capacity_rules (80% exact, 10%
 *	substr, 10% fnmatch; 30% for one localip) into a store and into an
 *	SQLite file in DIR, then resolves the same pseudo-random
 *	(localip, domain) pairs, half of them pairs that have a row, half
 *	a known localip with a known domain:
 *	  mq      store_lookup_capacity through a lookup set, one read
 *	          transaction (the set built once, as an MTA keeps it)
 *	  SQLite  one prepared statement returning the cascade's rows in
 *	          level order (exact rules by index, the others by
 *	          instr()/GLOB), merged column by column in C, inside one
 *	          read transaction: SQLite's best case
 *	  PostgreSQL  the same statement over loopback, prepared, when
 *	          $MQ_TEST_PG_URL is set (temporary tables)
 *	A second measurement asks domains that appear in no row and no
 *	exact rule, which makes mq walk the non-exact rules.
 *
 *	DIR: argv[1], $MQ_BENCH_DIR, else a new directory in /tmp.
 *	ROWS: $MQ_BENCH_ROWS (10000); lookups: $MQ_BENCH_LOOKUPS (2000000)
 *	for mq, at most 400000 for SQLite and 20000 for PostgreSQL.
 * DIAGNOSTICS
 *	Exit 0 after printing the figures; 1 when a step fails or the
 *	sides disagree: the first 2000 pairs of each pool are compared
 *	column by column (value, level, id), and every run's sum of the
 *	limits must equal mq's over the same pairs.
 */
#include <libpq-fe.h>
#include <sqlite3.h>
#include <string.h>
#include <unistd.h>

#include "store/store.h"

#define PROG "capacity"
#include "bench/bench.h"

#define POOL		65536	/* distinct pairs asked, cycled */
#define VERIFY		2000	/* pairs compared column by column */
#define SQLITE_MAX	400000
#define PG_MAX		20000
#define NAME		48

struct pair {
	char ip[NAME], dom[NAME];
};

struct bench {
	char dir[4096], mq_path[4200], sql_path[4200];
	bool made_dir;
	uint64_t rows, rules, lookups;
	unsigned nip, ndom;
	struct pair *known, *unknown;	/* POOL each */
};

/* The SQL cascade: rows of every level in order; ?1 localip, ?2 domain. */
#define COLS "c.domain_maxmessages, c.domain_maxconnects, " \
	"c.domain_maxconnections, c.ip_maxmessages, c.ip_maxconnects, " \
	"c.ip_maxconnections, c.connection_maxmessages, " \
	"c.connection_maxidletime, c.secure"
#define LEVEL(n, cond) "SELECT * FROM (SELECT " #n " AS lvl, 0 AS prio, " \
	"c.id, " COLS " FROM capacity c WHERE " cond " ORDER BY c.id LIMIT 1) AS s"
#define RULES(cond) "SELECT CASE WHEN r.localip = '' THEN 4 ELSE 3 END, " \
	"r.priority, r.id, " COLS " FROM capacity_rules r JOIN capacity c " \
	"ON c.id = r.capacity WHERE $2 <> '' AND (r.localip = '' OR " \
	"($1 <> '' AND r.localip = $1)) AND " cond
#define CASCADE(substr, fnmatch) "SELECT * FROM (" \
	LEVEL(1, "$1 <> '' AND $2 <> '' AND c.localip = $1 AND c.domain = $2") \
	" UNION ALL " LEVEL(2, "$2 <> '' AND c.localip = '' AND c.domain = $2") \
	" UNION ALL " RULES("r.type = 'exact' AND r.domain = $2") \
	" UNION ALL " RULES("r.type = 'substr' AND " substr) \
	" UNION ALL " RULES("r.type = 'fnmatch' AND " fnmatch) \
	" UNION ALL " LEVEL(5, "$1 <> '' AND c.localip = $1 AND c.domain = ''") \
	" UNION ALL " LEVEL(6, "c.localip = '' AND c.domain = ''") \
	") AS lv ORDER BY 1, 2, 3"

static const char sqlite_cascade[] =
	CASCADE("instr($2, r.domain) > 0", "$2 GLOB r.domain");
static const char pg_cascade[] =
	CASCADE("strpos($2, r.domain) > 0",
		"$2 LIKE replace(r.domain, '*', '%')");

static const char create_sql[] =
	"CREATE %sTABLE capacity (id INTEGER PRIMARY KEY, localip TEXT, "
	"domain TEXT, domain_maxmessages BIGINT, domain_maxconnects BIGINT, "
	"domain_maxconnections BIGINT, ip_maxmessages BIGINT, "
	"ip_maxconnects BIGINT, ip_maxconnections BIGINT, "
	"connection_maxmessages BIGINT, connection_maxidletime BIGINT, "
	"secure BIGINT);"
	"CREATE %sTABLE capacity_rules (id INTEGER PRIMARY KEY, "
	"capacity BIGINT, localip TEXT, domain TEXT, type TEXT, "
	"priority BIGINT);"
	"CREATE INDEX capacity_ld ON capacity (localip, domain, id);"
	"CREATE INDEX rules_domain ON capacity_rules (domain);"
	"CREATE INDEX rules_type ON capacity_rules (type, domain);";

/* Generating the data, the same for every side. */

static void ip_name(unsigned i, char *out)
{
	snprintf(out, NAME, "10.%u.%u.%u", 1 + i / 65536, (i / 256) % 256,
		 i % 256);
}

static void dom_name(unsigned i, char *out)
{
	snprintf(out, NAME, "d%u.example", i);
}

/* gen_row - capacity row id (1-based) into r; kind as DESCRIPTION. */
static void gen_row(const struct bench *b, uint64_t id, struct store_row *r,
		    char ip[NAME], char dom[NAME])
{
	uint64_t h = mix64(id * 7919);
	unsigned kind = (unsigned)(h % 100);

	ip[0] = dom[0] = '\0';
	if (id > 1 && (kind < 60 || kind >= 85))
		ip_name((unsigned)(mix64(h) % b->nip), ip);
	if (id > 1 && kind < 85)
		dom_name((unsigned)(mix64(h + 1) % b->ndom), dom);
	memset(r, 0, sizeof(*r));
	r->col[0] = (struct store_value){ .kind = SV_INT, .i = (int64_t)id };
	r->col[2] = (struct store_value){ .kind = SV_TEXT, .s = ip,
					  .len = strlen(ip) };
	r->col[3] = (struct store_value){ .kind = SV_TEXT, .s = dom,
					  .len = strlen(dom) };
	for (int i = 0; i < CAP_NLIMITS; i++) {
		uint64_t v = mix64(h + 2 + (uint64_t)i);
		r->col[4 + i] = (struct store_value){ .kind = SV_INT,
			.i = v % 10 < 4 ? -1 : (int64_t)(v / 10 % 1000) };
	}
}

static const char *const rule_types[] = { "exact", "substr", "fnmatch" };

/* gen_rule - capacity_rules row n (1-based) into r. */
static void gen_rule(const struct bench *b, uint64_t n, struct store_row *r,
		     char ip[NAME], char pat[NAME])
{
	uint64_t h = mix64(n * 104729 + 17);
	unsigned kind = (unsigned)(h % 10), d = (unsigned)(mix64(h) % b->ndom);
	int t = kind < 8 ? 0 : kind == 8 ? 1 : 2;

	ip[0] = '\0';
	if (mix64(h + 1) % 10 < 3)
		ip_name((unsigned)(mix64(h + 2) % b->nip), ip);
	if (t == 0)
		dom_name(d, pat);
	else if (t == 1)
		snprintf(pat, NAME, "d%u.", d % 100);
	else
		snprintf(pat, NAME, "d%u*.example", d % 100);
	memset(r, 0, sizeof(*r));
	r->col[0] = (struct store_value){ .kind = SV_INT, .i = (int64_t)n };
	r->col[1] = (struct store_value){ .kind = SV_INT,
		.i = (int64_t)(1 + mix64(h + 3) % b->rows) };
	r->col[2] = (struct store_value){ .kind = SV_TEXT, .s = ip,
					  .len = strlen(ip) };
	r->col[3] = (struct store_value){ .kind = SV_TEXT, .s = pat,
					  .len = strlen(pat) };
	r->col[4] = (struct store_value){ .kind = SV_TEXT, .s = rule_types[t],
					  .len = strlen(rule_types[t]) };
	r->col[5] = (struct store_value){ .kind = SV_INT,
		.i = (int64_t)(mix64(h + 4) % 5) };
}

/*
 * rules_bytes - the memory of the rules' patterns compiled as a lookup
 *	set compiles them (pattern.h: exact index, prefilter, regexes).
 */
static size_t rules_bytes(const struct bench *b)
{
	struct pattern_set *set = pattern_set_new("capacity_rules",
						  PATTERN_FOLD, NULL, NULL);
	struct store_row r;
	char ip[NAME], pat[NAME];
	size_t bytes;

	if (!set)
		die("out of memory");
	for (uint64_t n = 1; n <= b->rules; n++) {
		gen_rule(b, n, &r, ip, pat);
		if (pattern_set_add(set, (int64_t)n, r.col[4].s, r.col[4].len,
				    PATTERN_EXACT, pat, strlen(pat)))
			die("rule %llu does not compile", (unsigned long long)n);
	}
	if (pattern_set_finish(set))
		die("out of memory");
	bytes = pattern_set_bytes(set);
	pattern_set_free(set);
	return bytes;
}

/* make_pools - the pairs asked: known domains, then unknown ones. */
static void make_pools(struct bench *b)
{
	struct store_row r;
	char ip[NAME], dom[NAME];

	b->known = calloc(POOL, sizeof(*b->known));
	b->unknown = calloc(POOL, sizeof(*b->unknown));
	if (!b->known || !b->unknown)
		die("out of memory");
	for (unsigned i = 0; i < POOL; i++) {
		uint64_t h = mix64(0xa5a5 + i);
		struct pair *p = &b->known[i];
		if (h % 2) {
			gen_row(b, 1 + mix64(h) % b->rows, &r, ip, dom);
			snprintf(p->ip, NAME, "%s", ip);
			snprintf(p->dom, NAME, "%s", dom);
		} else {
			ip_name((unsigned)(mix64(h) % b->nip), p->ip);
			dom_name((unsigned)(mix64(h + 1) % b->ndom), p->dom);
		}
		ip_name((unsigned)(mix64(h + 2) % b->nip), b->unknown[i].ip);
		snprintf(b->unknown[i].dom, NAME, "d%u.other%u.example",
			 (unsigned)(mix64(h + 3) % 200), i);
	}
}

/* The store side. */

static enum store_rc load_store(struct store_txn *txn, void *arg)
{
	struct bench *b = arg;
	struct store_row r;
	char ip[NAME], dom[NAME];
	enum store_rc rc = STORE_OK;

	for (uint64_t id = 1; rc == STORE_OK && id <= b->rows; id++) {
		gen_row(b, id, &r, ip, dom);
		rc = store_put_row(txn, "capacity", &r);
	}
	for (uint64_t n = 1; rc == STORE_OK && n <= b->rules; n++) {
		gen_rule(b, n, &r, ip, dom);
		rc = store_put_row(txn, "capacity_rules", &r);
	}
	return rc;
}

static void report(void *arg, const char *line)
{
	(void)arg;
	die("unexpected report: %s", line);
}

/* An open side of the benchmark: mq's store and set. */
struct mq_side {
	struct store *st;
	struct lookup_set *set;
	struct lookup_ctx c;
};

static void mq_open(struct bench *b, struct mq_side *m)
{
	char err[512];
	struct store *w;
	double t0;

	if (store_open(b->mq_path, 0, NULL, &w, err, sizeof(err)))
		die("%s", err);
	if (store_write(w, load_store, b, NULL))
		die("load: %s", store_errmsg(w));
	store_close(w);
	if (store_open(b->mq_path, STORE_RDONLY, NULL, &m->st, err,
		       sizeof(err)))
		die("%s", err);
	if (store_read_begin(m->st, &m->c.txn) ||
	    !(m->c.scratch = pattern_scratch_new()))
		die("read: %s", store_errmsg(m->st));
	t0 = now();
	if (lookup_set_build(m->c.txn, report, NULL, &m->set))
		die("lookup set: %s", store_errmsg(m->st));
	m->c.set = m->set;
	printf("mq lookup set built in %.3f s\n", now() - t0);
}

/* sum_limits - what a run adds up, to compare the sides. */
static uint64_t sum_limits(const struct capacity_limits *l)
{
	uint64_t s = 0;

	for (int i = 0; i < CAP_NLIMITS; i++)
		s = s * 31 + (uint64_t)l->limit[i];
	return s;
}

static double mq_run(struct mq_side *m, const struct pair *pool, uint64_t n,
		     uint64_t *sum, double *cpu)
{
	struct capacity_limits l;
	double t0 = now(), c0 = cpu_now();

	*sum = 0;
	for (uint64_t i = 0; i < n; i++) {
		const struct pair *p = &pool[i % POOL];
		store_lookup_capacity(&m->c, p->ip, p->dom, &l);
		*sum += sum_limits(&l);
	}
	*cpu = cpu_now() - c0;
	return now() - t0;
}

/* The SQL sides: rows in level order merged into limits. */

/* merge_level - fold one cascade row into l (levels 1-6 as CAPLVL). */
static void merge_level(struct capacity_limits *l, int64_t lvl, int64_t id,
			const int64_t v[CAP_NLIMITS], const bool null[])
{
	for (int i = 0; i < CAP_NLIMITS; i++) {
		int64_t x = null[i] ? 0 : v[i];
		if (l->limit[i] != -1 || x == -1)
			continue;
		l->limit[i] = x;
		l->from_id[i] = id;
		l->level[i] = (uint8_t)(lvl - 1);
	}
}

static void limits_start(struct capacity_limits *l)
{
	for (int i = 0; i < CAP_NLIMITS; i++)
		l->limit[i] = -1;
}

static void limits_end(struct capacity_limits *l)
{
	for (int i = 0; i < CAP_NLIMITS; i++)
		if (l->limit[i] == -1) {
			l->limit[i] = CAPACITY_DEFAULT;
			l->from_id[i] = 0;
			l->level[i] = CAPLVL_DEFAULT;
		}
}

static void sql_exec(sqlite3 *db, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		die("sqlite: %s: %s", sql, msg ? msg : sqlite3_errmsg(db));
}

/* sqlite_bind_row - bind the values of r to stmt, in column order. */
static void sqlite_bind_row(sqlite3_stmt *s, const struct store_row *r,
			    const int *cols, int n)
{
	for (int i = 0; i < n; i++) {
		const struct store_value *v = &r->col[cols[i]];
		if (v->kind == SV_INT)
			sqlite3_bind_int64(s, i + 1, v->i);
		else
			sqlite3_bind_text(s, i + 1, v->s, (int)v->len,
					  SQLITE_STATIC);
	}
}

static sqlite3 *sqlite_load(struct bench *b)
{
	static const int cap_cols[] = { 0, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 };
	static const int rule_cols[] = { 0, 1, 2, 3, 4, 5 };
	char create[2048], ip[NAME], dom[NAME];
	struct store_row r;
	sqlite3_stmt *ic, *ir;
	sqlite3 *db;

	if (sqlite3_open(b->sql_path, &db) != SQLITE_OK)
		die("sqlite: open %s", b->sql_path);
	snprintf(create, sizeof(create), create_sql, "", "");
	sql_exec(db, create);
	sql_exec(db, "BEGIN");
	if (sqlite3_prepare_v2(db, "INSERT INTO capacity VALUES (?,?,?,?,?,?,"
			       "?,?,?,?,?,?)", -1, &ic, NULL) ||
	    sqlite3_prepare_v2(db, "INSERT INTO capacity_rules VALUES "
			       "(?,?,?,?,?,?)", -1, &ir, NULL))
		die("sqlite: %s", sqlite3_errmsg(db));
	for (uint64_t id = 1; id <= b->rows; id++) {
		gen_row(b, id, &r, ip, dom);
		sqlite_bind_row(ic, &r, cap_cols, 12);
		if (sqlite3_step(ic) != SQLITE_DONE || sqlite3_reset(ic))
			die("sqlite: insert: %s", sqlite3_errmsg(db));
	}
	for (uint64_t n = 1; n <= b->rules; n++) {
		gen_rule(b, n, &r, ip, dom);
		sqlite_bind_row(ir, &r, rule_cols, 6);
		if (sqlite3_step(ir) != SQLITE_DONE || sqlite3_reset(ir))
			die("sqlite: insert: %s", sqlite3_errmsg(db));
	}
	sqlite3_finalize(ic);
	sqlite3_finalize(ir);
	sql_exec(db, "COMMIT");
	sql_exec(db, "ANALYZE");
	return db;
}

/* sqlite_lookup - the cascade of one pair through the prepared q. */
static void sqlite_lookup(sqlite3_stmt *q, const struct pair *p,
			  struct capacity_limits *l)
{
	int64_t v[CAP_NLIMITS];
	bool null[CAP_NLIMITS];

	limits_start(l);
	sqlite3_bind_text(q, 1, p->ip, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, p->dom, -1, SQLITE_STATIC);
	while (sqlite3_step(q) == SQLITE_ROW) {
		for (int i = 0; i < CAP_NLIMITS; i++) {
			null[i] = sqlite3_column_type(q, 3 + i) == SQLITE_NULL;
			v[i] = sqlite3_column_int64(q, 3 + i);
		}
		merge_level(l, sqlite3_column_int64(q, 0),
			    sqlite3_column_int64(q, 2), v, null);
	}
	sqlite3_reset(q);
	limits_end(l);
}

static double sqlite_run(sqlite3_stmt *q, const struct pair *pool, uint64_t n,
			 uint64_t *sum)
{
	struct capacity_limits l;
	double t0 = now();

	*sum = 0;
	for (uint64_t i = 0; i < n; i++) {
		sqlite_lookup(q, &pool[i % POOL], &l);
		*sum += sum_limits(&l);
	}
	return now() - t0;
}

/* PostgreSQL, when $MQ_TEST_PG_URL is set. */

static void pg_ok(PGconn *pg, PGresult *res, const char *what)
{
	ExecStatusType s = PQresultStatus(res);

	if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK)
		die("postgresql: %s: %s", what, PQerrorMessage(pg));
	PQclear(res);
}

/* pg_insert - one row of r's columns cols through prepared name. */
static void pg_insert(PGconn *pg, const char *name, const struct store_row *r,
		      const int *cols, int n)
{
	char buf[16][NAME];
	const char *vals[16];

	for (int i = 0; i < n; i++) {
		const struct store_value *v = &r->col[cols[i]];
		if (v->kind == SV_INT)
			snprintf(buf[i], NAME, "%lld", (long long)v->i);
		else
			snprintf(buf[i], NAME, "%.*s", (int)v->len, v->s);
		vals[i] = buf[i];
	}
	pg_ok(pg, PQexecPrepared(pg, name, n, vals, NULL, NULL, 0), "insert");
}

static PGconn *pg_load(struct bench *b, const char *url)
{
	static const int cap_cols[] = { 0, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 };
	static const int rule_cols[] = { 0, 1, 2, 3, 4, 5 };
	PGconn *pg = PQconnectdb(url);
	char create[2048], ip[NAME], dom[NAME];
	struct store_row r;

	if (PQstatus(pg) != CONNECTION_OK)
		die("postgresql: connect: %s", PQerrorMessage(pg));
	snprintf(create, sizeof(create), create_sql, "TEMP ", "TEMP ");
	pg_ok(pg, PQexec(pg, create), "create");
	pg_ok(pg, PQprepare(pg, "ic", "INSERT INTO capacity VALUES ($1,$2,$3,"
			    "$4,$5,$6,$7,$8,$9,$10,$11,$12)", 12, NULL),
	      "prepare");
	pg_ok(pg, PQprepare(pg, "ir", "INSERT INTO capacity_rules VALUES "
			    "($1,$2,$3,$4,$5,$6)", 6, NULL), "prepare");
	pg_ok(pg, PQexec(pg, "BEGIN"), "begin");
	for (uint64_t id = 1; id <= b->rows; id++) {
		gen_row(b, id, &r, ip, dom);
		pg_insert(pg, "ic", &r, cap_cols, 12);
	}
	for (uint64_t n = 1; n <= b->rules; n++) {
		gen_rule(b, n, &r, ip, dom);
		pg_insert(pg, "ir", &r, rule_cols, 6);
	}
	pg_ok(pg, PQexec(pg, "COMMIT"), "commit");
	pg_ok(pg, PQexec(pg, "ANALYZE capacity; ANALYZE capacity_rules"),
	      "analyze");
	pg_ok(pg, PQprepare(pg, "cascade", pg_cascade, 2, NULL), "prepare");
	return pg;
}

static void pg_lookup(PGconn *pg, const struct pair *p,
		      struct capacity_limits *l)
{
	const char *vals[2] = { p->ip, p->dom };
	PGresult *res = PQexecPrepared(pg, "cascade", 2, vals, NULL, NULL, 0);
	int64_t v[CAP_NLIMITS];
	bool null[CAP_NLIMITS];

	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		die("postgresql: cascade: %s", PQerrorMessage(pg));
	limits_start(l);
	for (int row = 0; row < PQntuples(res); row++) {
		for (int i = 0; i < CAP_NLIMITS; i++) {
			null[i] = PQgetisnull(res, row, 3 + i);
			v[i] = atoll(PQgetvalue(res, row, 3 + i));
		}
		merge_level(l, atoll(PQgetvalue(res, row, 0)),
			    atoll(PQgetvalue(res, row, 2)), v, null);
	}
	PQclear(res);
	limits_end(l);
}

static double pg_run(PGconn *pg, const struct pair *pool, uint64_t n,
		     uint64_t *sum)
{
	struct capacity_limits l;
	double t0 = now();

	*sum = 0;
	for (uint64_t i = 0; i < n; i++) {
		pg_lookup(pg, &pool[i % POOL], &l);
		*sum += sum_limits(&l);
	}
	return now() - t0;
}

/* Comparing the sides. */

static void same_or_die(const char *peer, const struct pair *p,
			const struct capacity_limits *a,
			const struct capacity_limits *b)
{
	for (int i = 0; i < CAP_NLIMITS; i++)
		if (a->limit[i] != b->limit[i] || a->level[i] != b->level[i] ||
		    a->from_id[i] != b->from_id[i])
			die("mq and %s disagree on (%s, %s) %s: mq %lld (%s %lld)"
			    ", %s %lld (%s %lld)", peer, p->ip, p->dom,
			    capacity_limit_name(i), (long long)a->limit[i],
			    capacity_level_name(a->level[i]),
			    (long long)a->from_id[i], peer,
			    (long long)b->limit[i],
			    capacity_level_name(b->level[i]),
			    (long long)b->from_id[i]);
}

/* One figure per side for one pool of pairs. */
struct figures {
	const char *what;
	double mq, sqlite, pg;	/* lookups/s; pg 0: not measured */
	double mq_cpu;		/* mq lookups per CPU second of its thread */
};

static void print_figures(const struct figures *f)
{
	printf("%-8s mq:         %12.0f lookups/s (%.0f per CPU second)\n",
	       f->what, f->mq, f->mq_cpu);
	printf("%-8s SQLite:     %12.0f lookups/s (prepared statement, one "
	       "read transaction)\n", f->what, f->sqlite);
	if (f->pg > 0)
		printf("%-8s PostgreSQL: %12.0f lookups/s (prepared, loopback)"
		       "\n", f->what, f->pg);
	else
		printf("%-8s PostgreSQL: not measured ($MQ_TEST_PG_URL not "
		       "set)\n", f->what);
	printf("%-8s ratio mq/SQLite: %.1fx\n", f->what, f->mq / f->sqlite);
	if (f->pg > 0)
		printf("%-8s ratio mq/PostgreSQL: %.1fx\n", f->what,
		       f->mq / f->pg);
}

/* measure - every side over one pool; die when they disagree. */
static void measure(struct bench *b, struct mq_side *m, sqlite3_stmt *q,
		    PGconn *pg, const struct pair *pool, struct figures *f)
{
	uint64_t n_sql = b->lookups < SQLITE_MAX ? b->lookups : SQLITE_MAX;
	uint64_t n_pg = b->lookups < PG_MAX ? b->lookups : PG_MAX;
	uint64_t s_mq, s_other, s_check;
	double cpu;
	struct capacity_limits a, c;

	for (unsigned i = 0; i < VERIFY; i++) {
		store_lookup_capacity(&m->c, pool[i].ip, pool[i].dom, &a);
		sqlite_lookup(q, &pool[i], &c);
		same_or_die("SQLite", &pool[i], &a, &c);
		if (pg && i < VERIFY / 4) {
			pg_lookup(pg, &pool[i], &c);
			same_or_die("PostgreSQL", &pool[i], &a, &c);
		}
	}
	f->mq = (double)b->lookups / mq_run(m, pool, b->lookups, &s_mq, &cpu);
	f->mq_cpu = (double)b->lookups / cpu;
	f->sqlite = (double)n_sql / sqlite_run(q, pool, n_sql, &s_other);
	mq_run(m, pool, n_sql, &s_check, &cpu);
	if (s_check != s_other)
		die("%s: SQLite's sum differs from mq's", f->what);
	if (pg) {
		f->pg = (double)n_pg / pg_run(pg, pool, n_pg, &s_other);
		mq_run(m, pool, n_pg, &s_check, &cpu);
		if (s_check != s_other)
			die("%s: PostgreSQL's sum differs from mq's", f->what);
	}
}

static uint64_t env_count(const char *name, uint64_t dflt)
{
	const char *s = getenv(name);
	char *end;
	unsigned long long v;

	if (!s || !*s)
		return dflt;
	v = strtoull(s, &end, 10);
	if (*end || v == 0 || v > (1ULL << 32))
		die("%s: not a count: %s", name, s);
	return v;
}

/* cleanup - remove the files (and the directory made here). */
static void cleanup(struct bench *b)
{
	char lock[4300];

	snprintf(lock, sizeof(lock), "%s-lock", b->mq_path);
	unlink(b->mq_path);
	unlink(lock);
	unlink(b->sql_path);
	if (b->made_dir)
		rmdir(b->dir);
}

static void setup(struct bench *b, int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : getenv("MQ_BENCH_DIR");

	if (dir && *dir)
		snprintf(b->dir, sizeof(b->dir), "%s", dir);
	else if (!mkdtemp(strcpy(b->dir, "/tmp/mq-bench-capacity-XXXXXX")))
		die("mkdtemp failed");
	else
		b->made_dir = true;
	snprintf(b->mq_path, sizeof(b->mq_path), "%s/capacity.mdb", b->dir);
	snprintf(b->sql_path, sizeof(b->sql_path), "%s/capacity.sqlite",
		 b->dir);
	unlink(b->mq_path);
	unlink(b->sql_path);
	b->rows = env_count("MQ_BENCH_ROWS", 10000);
	b->lookups = env_count("MQ_BENCH_LOOKUPS", 2000000);
	b->rules = b->rows / 10 ? b->rows / 10 : 1;
	b->nip = b->rows / 100 ? (unsigned)(b->rows / 100) : 1;
	b->ndom = b->rows / 4 ? (unsigned)(b->rows / 4) : 1;
	make_pools(b);
}

int main(int argc, char **argv)
{
	static struct bench b;
	struct mq_side m = { 0 };
	struct figures known = { .what = "known" }, unknown = { .what = "unknown" };
	const char *url = getenv("MQ_TEST_PG_URL");
	sqlite3_stmt *q;
	sqlite3 *db;
	PGconn *pg = NULL;

	setup(&b, argc, argv);
	printf("capacity: %llu rows (40%% of limits -1), %llu rules, %llu "
	       "lookups\n", (unsigned long long)b.rows,
	       (unsigned long long)b.rules, (unsigned long long)b.lookups);
	mq_open(&b, &m);
	db = sqlite_load(&b);
	if (sqlite3_prepare_v2(db, sqlite_cascade, -1, &q, NULL))
		die("sqlite: prepare: %s", sqlite3_errmsg(db));
	sql_exec(db, "BEGIN");
	if (url && *url)
		pg = pg_load(&b, url);
	measure(&b, &m, q, pg, b.known, &known);
	measure(&b, &m, q, pg, b.unknown, &unknown);
	print_figures(&known);
	print_figures(&unknown);
	printf("rules    compiled patterns: %zu bytes for %llu rules\n",
	       rules_bytes(&b), (unsigned long long)b.rules);
	sql_exec(db, "COMMIT");
	sqlite3_finalize(q);
	sqlite3_close(db);
	if (pg)
		PQfinish(pg);
	lookup_set_free(m.set);
	pattern_scratch_free(m.c.scratch);
	store_read_end(m.c.txn);
	store_close(m.st);
	cleanup(&b);
	free(b.known);
	free(b.unknown);
	return 0;
}
