/*
 * NAME
 *	dkim - dkim(from) lookups over mixed patterns: mq store vs SQLite
 * SYNOPSIS
 *	dkim [DIR [PATTERNS [LOOKUPS]]]
 * DESCRIPTION
 *	Writes PATTERNS dkim_patterns rows (one key per 4 patterns, every
 *	tenth key expired, priorities mixed, some patterns upper case;
 *	address patterns and domain patterns) into a store and into an
 *	SQLite file with the same columns, and asks both for the keys of
 *	LOOKUPS from addresses, the same sequence for both, from two
 *	pools: mixed (an exact pattern's address, another address of a
 *	pattern domain, an address of an exact domain pattern, or one
 *	matching nothing) and unknown domain (a domain no pattern names,
 *	which a lookup that walks its patterns pays most for).
 *
 *	Both sides match as dkim.h says: every pattern against the from
 *	domain, patterns holding '@' also against the whole address.  mq:
 *	store_lookup_dkim on a dkim_set.  SQLite: one prepared statement
 *	that joins keys and patterns, filters expiry, and orders by
 *	priority then id, in one read transaction (its best case): exact
 *	by = COLLATE NOCASE, substr by instr() on lower(), fnmatch by GLOB
 *	on lower() (the patterns use only '*' and '?', where GLOB and
 *	fnmatch(3) agree), regex by a user function running PCRE2 with
 *	mq's options, each pattern compiled once.  Each lookup's ordered
 *	key ids must be equal on both sides.
 *
 *	Round 1 has exact, substr and fnmatch patterns; round 2 makes a
 *	tenth of them regex.
 *
 *	DIR: $MQ_BENCH_DIR, else a new directory under $TMPDIR or /tmp.
 *	PATTERNS, LOOKUPS: $MQ_BENCH_ROWS, $MQ_BENCH_LOOKUPS, else 1000 and
 *	100000; SQLite runs a tenth of the lookups (at least 100).
 * DIAGNOSTICS
 *	Exit 0 after printing the figures, 64 on bad usage, 1 when a step
 *	fails or the two sides give different keys for any lookup.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <sqlite3.h>

#include "store/store.h"

#define PROG		"dkim"
#include "bench/bench.h"
#define DEF_PATTERNS	1000
#define DEF_LOOKUPS	100000
#define MAX_COUNT	10000000ULL
#define SEED		0x646b696dULL
#define NOW_TEXT	"2026-06-01 12:00:00"
#define NOW_UNIX	1780315200
#define TEXT_MAX	96
#define RE_CACHE	4096	/* regexes the SQLite side keeps compiled */

/*
 * The SQLite side's REGEXP: PCRE2 with mq's options, each pattern text
 * compiled once (a table keyed by the text), as a fair peer would.
 */
struct re_cache {
	char *text[RE_CACHE];
	pcre2_code *re[RE_CACHE];
	pcre2_match_data *md;
};

struct bench {
	char dir[4096], mq_path[4200], sql_path[4200];
	int made_dir;
	uint64_t patterns, lookups, sql_lookups, keys, domains;
	struct store *st;
	sqlite3 *db;
	sqlite3_stmt *q;
	struct re_cache re;
	uint64_t *mq_hash;	/* per lookup: the ordered key ids, hashed */
};

/* pattern_text - pattern j of a round (regex: round 2 only). */
static const char *pattern_text(const struct bench *b, uint64_t j, bool regex,
				char type[16], char out[TEXT_MAX])
{
	uint64_t d = j % b->domains;

	switch (j % 10) {
	case 0: case 1: case 2:
		strcpy(type, "exact");
		snprintf(out, TEXT_MAX, "u%" PRIu64 "@d%" PRIu64 ".example", j, d);
		break;
	case 3:
		strcpy(type, "exact");
		snprintf(out, TEXT_MAX, "m%" PRIu64 ".example", d);
		break;
	case 4: case 5: case 6:
		strcpy(type, "substr");
		snprintf(out, TEXT_MAX, "@d%" PRIu64 ".example", d);
		break;
	case 9:
		if (regex) {
			strcpy(type, "regex");
			snprintf(out, TEXT_MAX, "^u[0-9]+@d%" PRIu64
				 "\\.example$", d);
			break;
		}
		/* fall through */
	default:
		strcpy(type, "fnmatch");
		snprintf(out, TEXT_MAX, "*@d%" PRIu64 ".exam?le", d);
	}
	if (j % 7 == 0)		/* folding must hold */
		for (char *p = out; *p; p++)
			*p = (char)toupper((unsigned char)*p);
	return out;
}

/*
 * subject - the from address of lookup i; of the unknown pool: a domain
 *	that no pattern names, which every pattern of round 1 walked.
 */
static void subject(const struct bench *b, uint64_t i, bool unknown,
		    char out[TEXT_MAX])
{
	uint64_t r = mix64(SEED + i), j = (r >> 8) % b->patterns;

	if (unknown) {
		snprintf(out, TEXT_MAX, "user%" PRIu64 "@mail%" PRIu64
			 ".other%" PRIu64 ".test", r % 1000, (r >> 12) % 1000,
			 (r >> 24) % 100);
		return;
	}
	switch (r % 5) {
	case 4:
		snprintf(out, TEXT_MAX, "anyone@m%" PRIu64 ".example",
			 (r >> 20) % b->domains);
		break;
	case 0: case 1:
		j -= j % 10;	/* an exact pattern's address */
		snprintf(out, TEXT_MAX, "u%" PRIu64 "@d%" PRIu64 ".example", j,
			 j % b->domains);
		break;
	case 2:
		snprintf(out, TEXT_MAX, "someone%" PRIu64 "@d%" PRIu64
			 ".example", r % 1000, (r >> 20) % b->domains);
		break;
	default:
		snprintf(out, TEXT_MAX, "nobody@nowhere%" PRIu64 ".test",
			 r % 100);
	}
}

/* key_priority - key k's priority: mixed, with ties. */
static int64_t key_priority(uint64_t k)
{
	return (int64_t)((k * 37) % 11);
}

/* key_expired - every tenth key has expired. */
static bool key_expired(uint64_t k)
{
	return k % 10 == 0;
}

/* A round's data for the store writer. */
struct load {
	const struct bench *b;
	bool regex;
};

/* tv, iv - text and integer values. */
static struct store_value tv(const char *s)
{
	return (struct store_value){ .kind = SV_TEXT, .s = s,
				     .len = strlen(s) };
}

static struct store_value iv(int64_t i)
{
	return (struct store_value){ .kind = SV_INT, .i = i };
}

/* load_store - replace dkim_keys and dkim_patterns by a round's rows. */
static enum store_rc load_store(struct store_txn *txn, void *arg)
{
	const struct load *l = arg;
	const struct bench *b = l->b;
	char type[16], text[TEXT_MAX], sel[32];
	enum store_rc rc = store_del(txn, "dkim_keys", NULL, 0, NULL);

	if (!rc)
		rc = store_del(txn, "dkim_patterns", NULL, 0, NULL);
	for (uint64_t k = 1; !rc && k <= b->keys; k++) {
		snprintf(sel, sizeof(sel), "s%" PRIu64, k);
		struct store_assign a[6] = {
			{ 0, iv((int64_t)k) }, { 1, tv("example") },
			{ 3, tv("-----BEGIN PRIVATE KEY-----") },
			{ 7, iv(key_priority(k)) }, { 2, tv(sel) },
			{ 5, tv("2020-01-01 00:00:00") },
		};

		rc = store_set(txn, "dkim_keys", a, key_expired(k) ? 6 : 5,
			       NULL);
	}
	for (uint64_t j = 0; !rc && j < b->patterns; j++) {
		pattern_text(b, j, l->regex, type, text);
		struct store_assign a[4] = {
			{ 0, iv((int64_t)j + 1) },
			{ 1, iv((int64_t)(1 + j % b->keys)) },
			{ 2, tv(type) }, { 3, tv(text) },
		};

		rc = store_set(txn, "dkim_patterns", a, 4, NULL);
	}
	return rc;
}

/* sql_exec - run SQL or die. */
static void sql_exec(sqlite3 *db, const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
		die("sqlite: %s: %s", sql, err ? err : "?");
}

static pcre2_code *cached_regex(struct re_cache *c, const char *text)
{
	uint64_t h = 1469598103934665603ULL;

	for (const char *p = text; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	for (uint64_t i = h % RE_CACHE;; i = (i + 1) % RE_CACHE) {
		PCRE2_SIZE off;
		int err;

		if (c->text[i] && strcmp(c->text[i], text) == 0)
			return c->re[i];
		if (c->text[i])
			continue;
		c->re[i] = pcre2_compile((PCRE2_SPTR)text, PCRE2_ZERO_TERMINATED,
					 PCRE2_UTF | PCRE2_MATCH_INVALID_UTF |
					 PCRE2_CASELESS, &err, &off, NULL);
		if (!c->re[i] || !(c->text[i] = strdup(text)))
			die("regexp: %s does not compile", text);
		pcre2_jit_compile(c->re[i], PCRE2_JIT_COMPLETE);
		return c->re[i];
	}
}

/* sql_regexp - regexp(pattern, subject): 1 when PCRE2 finds a match. */
static void sql_regexp(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	struct re_cache *c = sqlite3_user_data(ctx);
	const char *p = (const char *)sqlite3_value_text(argv[0]);
	const char *s = (const char *)sqlite3_value_text(argv[1]);

	(void)argc;
	if (!p || !s) {
		sqlite3_result_null(ctx);
		return;
	}
	sqlite3_result_int(ctx, pcre2_match(cached_regex(c, p), (PCRE2_SPTR)s,
					    strlen(s), 0, 0, c->md, NULL) >= 0);
}

/* load_sqlite - the keys, and the patterns of a round, into SQLite. */
static void load_sqlite(struct bench *b, bool regex)
{
	sqlite3_stmt *k, *p;
	char type[16], text[TEXT_MAX];

	sql_exec(b->db, "BEGIN; DELETE FROM dkim_keys; DELETE FROM "
		 "dkim_patterns");
	if (sqlite3_prepare_v2(b->db, "INSERT INTO dkim_keys VALUES (?,?,?)",
			       -1, &k, NULL) ||
	    sqlite3_prepare_v2(b->db, "INSERT INTO dkim_patterns VALUES "
			       "(?,?,?,?)", -1, &p, NULL))
		die("sqlite: prepare: %s", sqlite3_errmsg(b->db));
	for (uint64_t i = 1; i <= b->keys; i++) {
		sqlite3_bind_int64(k, 1, (int64_t)i);
		sqlite3_bind_int64(k, 2, key_priority(i));
		if (key_expired(i))
			sqlite3_bind_text(k, 3, "2020-01-01 00:00:00", -1,
					  SQLITE_STATIC);
		else
			sqlite3_bind_null(k, 3);
		if (sqlite3_step(k) != SQLITE_DONE)
			die("sqlite: insert: %s", sqlite3_errmsg(b->db));
		sqlite3_reset(k);
	}
	for (uint64_t j = 0; j < b->patterns; j++) {
		pattern_text(b, j, regex, type, text);
		sqlite3_bind_int64(p, 1, (int64_t)j + 1);
		sqlite3_bind_int64(p, 2, (int64_t)(1 + j % b->keys));
		sqlite3_bind_text(p, 3, type, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(p, 4, text, -1, SQLITE_TRANSIENT);
		if (sqlite3_step(p) != SQLITE_DONE)
			die("sqlite: insert: %s", sqlite3_errmsg(b->db));
		sqlite3_reset(p);
	}
	sqlite3_finalize(k);
	sqlite3_finalize(p);
	sql_exec(b->db, "COMMIT");
}

/*
 * MATCH(s) - pattern p matches subject s by its type, as mq's types do
 *	(SQLite's NOCASE, lower() and GLOB fold ASCII only, like mq).
 */
#define MATCH(s) \
	"((p.type = 'exact' AND p.sign = " s " COLLATE NOCASE) OR " \
	"(p.type = 'substr' AND instr(lower(" s "), lower(p.sign)) > 0) OR " \
	"(p.type = 'fnmatch' AND lower(" s ") GLOB lower(p.sign)) OR " \
	"(p.type = 'regex' AND regexp(p.sign, " s ")))"

/* open_sqlite - the SQLite file, its tables, REGEXP and the query. */
static void open_sqlite(struct bench *b)
{
	if (sqlite3_open(b->sql_path, &b->db) != SQLITE_OK)
		die("sqlite: %s: %s", b->sql_path, sqlite3_errmsg(b->db));
	sql_exec(b->db, "PRAGMA journal_mode=wal; "
		 "CREATE TABLE dkim_keys (id INTEGER PRIMARY KEY, priority "
		 "INTEGER, expire TEXT); CREATE TABLE dkim_patterns (id "
		 "INTEGER PRIMARY KEY, dkim_key INTEGER, type TEXT, sign TEXT)");
	if (!(b->re.md = pcre2_match_data_create(1, NULL)) ||
	    sqlite3_create_function(b->db, "regexp", 2, SQLITE_UTF8 |
				    SQLITE_DETERMINISTIC, &b->re, sql_regexp,
				    NULL, NULL))
		die("sqlite: regexp: %s", sqlite3_errmsg(b->db));
	/* The domain (?3) for every pattern, the address (?1) for '@'. */
	if (sqlite3_prepare_v2(b->db,
		"SELECT k.id FROM dkim_keys k JOIN dkim_patterns p "
		"ON p.dkim_key = k.id "
		"WHERE (k.expire IS NULL OR k.expire > ?2) AND (" MATCH("?3")
		" OR (instr(p.sign, '@') > 0 AND " MATCH("?1") ")) "
		"GROUP BY k.id ORDER BY k.priority, k.id LIMIT 64", -1, &b->q,
		NULL))
		die("sqlite: prepare: %s", sqlite3_errmsg(b->db));
}

/* hash_id - fold one key id, in order, into a lookup's hash. */
static uint64_t hash_id(uint64_t h, int64_t id)
{
	return mix64(h ^ (uint64_t)id) + 1;
}

/* fold_row - store_lookup_dkim callback: hash the key id. */
static int fold_row(const struct store_row *row, void *arg)
{
	uint64_t *h = arg;

	*h = hash_id(*h, row->col[DKIM_COL_ID].i);
	return 0;
}

/* One pool's figures. */
struct figures {
	double mq, mq_cpu, sqlite, build_ms;
	uint64_t found;
	size_t bytes;
};

/* run_mq - a pool's lookups through a dkim_set, their hashes kept. */
static void run_mq(struct bench *b, bool unknown, struct figures *f)
{
	struct store_txn *txn;
	struct dkim_set *ds;
	struct lookup_ctx c = { .now = NOW_UNIX };
	char from[TEXT_MAX];
	double t0, c0;

	if (store_read_begin(b->st, &txn))
		die("store: %s", store_errmsg(b->st));
	c.txn = txn;
	if (!(c.scratch = pattern_scratch_new()))
		die("out of memory");
	t0 = now();
	if (dkim_set_build(txn, NULL, NULL, &ds))
		die("dkim_set_build: %s", store_errmsg(b->st));
	f->build_ms = (now() - t0) * 1000;
	f->bytes = dkim_set_bytes(ds);
	f->found = 0;
	c0 = cpu_now();
	t0 = now();
	for (uint64_t i = 0; i < b->lookups; i++) {
		uint64_t h = 0;
		enum store_rc rc;

		subject(b, i, unknown, from);
		rc = store_lookup_dkim(ds, &c, from, fold_row, &h);
		if (rc != STORE_OK && rc != STORE_NOTFOUND)
			die("lookup %s: %s", from, store_errmsg(b->st));
		f->found += rc == STORE_OK;
		b->mq_hash[i] = h;
	}
	f->mq = (double)b->lookups / (now() - t0);
	f->mq_cpu = (double)b->lookups / (cpu_now() - c0);
	dkim_set_free(ds);
	pattern_scratch_free(c.scratch);
	store_read_end(txn);
}

/* run_sqlite - the pool's first sql_lookups; each must equal mq's. */
static void run_sqlite(struct bench *b, bool unknown, struct figures *f)
{
	char from[TEXT_MAX];
	double t0;

	sql_exec(b->db, "BEGIN");
	t0 = now();
	for (uint64_t i = 0; i < b->sql_lookups; i++) {
		const char *at;
		uint64_t h = 0;
		int rc;

		subject(b, i, unknown, from);
		at = strrchr(from, '@');
		sqlite3_bind_text(b->q, 1, from, -1, SQLITE_STATIC);
		sqlite3_bind_text(b->q, 2, NOW_TEXT, -1, SQLITE_STATIC);
		sqlite3_bind_text(b->q, 3, at ? at + 1 : from, -1,
				  SQLITE_STATIC);
		while ((rc = sqlite3_step(b->q)) == SQLITE_ROW)
			h = hash_id(h, sqlite3_column_int64(b->q, 0));
		if (rc != SQLITE_DONE)
			die("sqlite: %s", sqlite3_errmsg(b->db));
		sqlite3_reset(b->q);
		if (h != b->mq_hash[i])
			die("lookup %" PRIu64 " (%s): mq and SQLite give "
			    "different keys", i, from);
	}
	f->sqlite = (double)b->sql_lookups / (now() - t0);
	sql_exec(b->db, "COMMIT");
}

/* round - load a round's rows on both sides and measure both pools. */
static void round_(struct bench *b, bool regex, const char *what)
{
	struct load l = { b, regex };
	struct figures mixed, unknown;

	if (store_write(b->st, load_store, &l, NULL))
		die("store: %s", store_errmsg(b->st));
	load_sqlite(b, regex);
	run_mq(b, false, &mixed);
	run_sqlite(b, false, &mixed);
	run_mq(b, true, &unknown);
	run_sqlite(b, true, &unknown);
	printf(PROG ": %s (set built in %.1f ms, %zu bytes)\n", what,
	       mixed.build_ms, mixed.bytes);
	printf(PROG ":   %-16s mq %10.0f lookups/s (%.0f per CPU second)  "
	       "SQLite %9.0f lookups/s  ratio %.1fx  (%" PRIu64 " of %"
	       PRIu64 " found keys)\n", "mixed from", mixed.mq, mixed.mq_cpu,
	       mixed.sqlite, mixed.mq / mixed.sqlite, mixed.found,
	       b->lookups);
	printf(PROG ":   %-16s mq %10.0f lookups/s (%.0f per CPU second)  "
	       "SQLite %9.0f lookups/s  ratio %.1fx\n", "unknown domain",
	       unknown.mq, unknown.mq_cpu, unknown.sqlite,
	       unknown.mq / unknown.sqlite);
}

/* count_arg - a count from argv or the environment, or dflt. */
static uint64_t count_arg(const char *env, const char *arg, uint64_t dflt,
			  const char *what)
{
	const char *s = arg ? arg : getenv(env);
	char *end;
	unsigned long long v;

	if (!s || !*s)
		return dflt;
	v = strtoull(s, &end, 10);
	if (*end || v == 0 || v > MAX_COUNT) {
		fprintf(stderr, PROG ": %s: not a count in 1..%llu: %s\n",
			what, MAX_COUNT, s);
		exit(64);
	}
	return v;
}

/* setup - arguments, directory, store, hash array. */
static void setup(struct bench *b, int argc, char **argv)
{
	const char *d = argc > 1 ? argv[1] : getenv("MQ_BENCH_DIR");
	char err[512];

	if (argc > 4) {
		fprintf(stderr, "usage: " PROG " [DIR [PATTERNS [LOOKUPS]]]\n");
		exit(64);
	}
	b->patterns = count_arg("MQ_BENCH_ROWS", argc > 2 ? argv[2] : NULL,
				DEF_PATTERNS, "patterns");
	b->lookups = count_arg("MQ_BENCH_LOOKUPS", argc > 3 ? argv[3] : NULL,
			       DEF_LOOKUPS, "lookups");
	b->sql_lookups = b->lookups / 10 < 100 ? b->lookups : b->lookups / 10;
	b->keys = b->patterns / 4 ? b->patterns / 4 : 1;
	b->domains = b->patterns / 8 ? b->patterns / 8 : 1;
	if (d && *d)
		snprintf(b->dir, sizeof(b->dir), "%s", d);
	else {
		snprintf(b->dir, sizeof(b->dir), "%s/mq-dkim.XXXXXX",
			 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
		if (!mkdtemp(b->dir))
			die("mkdtemp %s", b->dir);
		b->made_dir = 1;
	}
	snprintf(b->mq_path, sizeof(b->mq_path), "%s/dkim.mdb", b->dir);
	snprintf(b->sql_path, sizeof(b->sql_path), "%s/dkim.sqlite", b->dir);
	if (store_open(b->mq_path, 0, NULL, &b->st, err, sizeof(err)))
		die("%s", err);
	if (!(b->mq_hash = calloc(b->lookups, sizeof(*b->mq_hash))))
		die("out of memory");
}

/* cleanup - close both sides, remove their files. */
static void cleanup(struct bench *b)
{
	static const char *const suffix[] = { "", "-lock", "-wal", "-shm" };
	char path[4300];

	sqlite3_finalize(b->q);
	sqlite3_close(b->db);
	for (int i = 0; i < RE_CACHE; i++) {
		free(b->re.text[i]);
		pcre2_code_free(b->re.re[i]);
	}
	pcre2_match_data_free(b->re.md);
	store_close(b->st);
	free(b->mq_hash);
	for (size_t i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
		snprintf(path, sizeof(path), "%s%s", b->mq_path, suffix[i]);
		unlink(path);
		snprintf(path, sizeof(path), "%s%s", b->sql_path, suffix[i]);
		unlink(path);
	}
	if (b->made_dir)
		rmdir(b->dir);
}

int main(int argc, char **argv)
{
	static struct bench b;

	setup(&b, argc, argv);
	printf(PROG ": patterns=%" PRIu64 " keys=%" PRIu64 " lookups=%"
	       PRIu64 " (sqlite %" PRIu64 "; every one of its answers "
	       "equals mq's)\n", b.patterns, b.keys, b.lookups,
	       b.sql_lookups);
	open_sqlite(&b);
	round_(&b, false, "round 1: exact, substr, fnmatch");
	round_(&b, true, "round 2: a tenth of the patterns regex");
	cleanup(&b);
	return 0;
}
