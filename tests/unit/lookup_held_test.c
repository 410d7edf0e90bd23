/*
 * NAME
 *	lookup_held_test - the suppressions and pool_ips parts against the scan
 * SYNOPSIS
 *	lookup_held_test	(MQ_HELD_ROWS=N: suppressions rows, default 20000)
 * DESCRIPTION
 *	Writes random suppressions (addresses and domains from a small
 *	alphabet, so that keys repeat; "" and '*' wildcards, both set,
 *	mixed case, expiry past, future or none), pool_ips and paused rows
 *	naming pools, then asks random lookups twice: through a full set,
 *	which holds the suppressions and pools parts, and through a
 *	single-shot set (lookup_set_build_for), which reads the rows in
 *	one pass.  Every answer must be the same: found or not, and the
 *	same row (suppressed, paused), the same rows in the same order
 *	(pool).  Last, the index must answer a suppressed lookup faster
 *	than the scan by a wide margin (10 times; it is O(1) against
 *	O(rows)), a bound a loaded machine still meets.
 * DIAGNOSTICS
 *	TAP lines through check.h; exit status of check_done().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lookup_util.h"

#define ASKS		4000
#define NOW		1800000000	/* the lookups' clock */
#define TIMED_ASKS	200

static const char *const locals[] = { "ann", "Bob", "carol", "dave", "eve" };
static const char *const domains[] = { "a.example", "B.example", "c.test",
				       "d.test", "e.org", "f.org" };
static const char *const ips[] = { "192.0.2.1", "192.0.2.2", "192.0.2.3",
				   "198.51.100.7", "2001:db8::1" };

/* pick - one of n strings */
#define PICK(a) ((a)[rand() % (int)(sizeof(a) / sizeof((a)[0]))])

/* pool_name - pool i's name */
static void pool_name(char *out, size_t len, int i)
{
	snprintf(out, len, "%s%d", i % 2 ? "P" : "p", i % 7);
}

/* The key spaces: rows draw from the first half, lookups from all of it. */
static int naddr = 1000, ndom = 100;

/* domain - a random domain of the first 1/half of the space */
static void domain(char *out, size_t len, int half)
{
	snprintf(out, len, "d%d.%s", rand() % (ndom * 2 / half), PICK(domains));
}

/* address - a random address in 1/half of the space */
static void address(char *out, size_t len, int half)
{
	int n = snprintf(out, len, "%s%d@", PICK(locals),
			 rand() % (naddr * 2 / half));

	domain(out + n, len - (size_t)n, half);
}

/* One set of assignments for store_set. */
struct assign {
	struct store_assign a[8];
	int n;
	char text[4][128];
};

static void put_text(struct assign *a, int col, int slot, const char *s)
{
	snprintf(a->text[slot], sizeof(a->text[slot]), "%s", s);
	a->a[a->n++] = (struct store_assign){ col, { .kind = SV_TEXT,
		.s = a->text[slot], .len = strlen(a->text[slot]) } };
}

/* supp_row - one random suppressions row */
static enum store_rc supp_row(struct store_txn *txn, int i)
{
	static const char *const expires[] = { "2020-01-01 00:00:00",
		"2030-01-01 00:00:00" };
	struct assign a = { .n = 0 };
	char addr[128];
	int shape = rand() % 6;

	(void)i;
	address(addr, sizeof(addr), 2);
	if (shape <= 1)		/* an address */
		put_text(&a, 1, 0, addr);
	if (shape == 2)		/* a domain */
		put_text(&a, 2, 1, strchr(addr, '@') + 1);
	if (shape == 3) {	/* both, the domain maybe another */
		put_text(&a, 1, 0, addr);
		domain(a.text[3], sizeof(a.text[3]), 2);
		put_text(&a, 2, 1, rand() % 2 ? a.text[3] : strchr(addr, '@') + 1);
	}
	if (shape == 4) {	/* '*' address, a domain */
		put_text(&a, 1, 0, "*");
		domain(a.text[3], sizeof(a.text[3]), 2);
		put_text(&a, 2, 1, a.text[3]);
	}
	/* shape 5: wildcards only, never matches */
	if (rand() % 3 == 0)
		put_text(&a, 6, 2, expires[rand() % 2]);
	return store_set(txn, "suppressions", a.a, a.n, NULL);
}

/* pool_rows - pool_ips and paused rows naming the pools */
static enum store_rc pool_rows(struct store_txn *txn)
{
	enum store_rc rc = STORE_OK;
	char name[32], target[160];

	for (int i = 0; rc == STORE_OK && i < 60; i++) {
		struct assign a = { .n = 0 };

		pool_name(name, sizeof(name), rand());
		put_text(&a, 0, 0, name);
		put_text(&a, 1, 1, PICK(ips));
		rc = store_set(txn, "pool_ips", a.a, a.n, NULL);
	}
	for (int i = 0; rc == STORE_OK && i < 40; i++) {
		struct assign a = { .n = 0 };

		pool_name(name, sizeof(name), rand());
		snprintf(target, sizeof(target), "pool:%s", name);
		put_text(&a, 1, 0, i % 4 ? target : PICK(ips));
		domain(a.text[3], sizeof(a.text[3]), 2);
		put_text(&a, 2, 1, rand() % 2 ? a.text[3] : "");
		rc = store_set(txn, "paused", a.a, a.n, NULL);
	}
	return rc;
}

/* fill - the random rows, one transaction */
static enum store_rc fill(struct store_txn *txn, void *arg)
{
	int rows = *(int *)arg;
	enum store_rc rc = pool_rows(txn);

	for (int i = 0; rc == STORE_OK && i < rows; i++)
		rc = supp_row(txn, i);
	return rc;
}

/* The rows of a pool lookup, as their localips joined. */
static int pool_ip(const struct store_row *r, void *arg)
{
	char *out = arg;
	size_t n = strlen(out);

	snprintf(out + n, 512 - n, "%.*s,", (int)r->col[1].len, r->col[1].s);
	return 0;
}

/* id_of - the answer of a one-row lookup: its id, 0 none, -1 failure */
static int64_t id_of(enum store_rc rc, const struct store_row *r)
{
	return rc == STORE_OK ? r->col[0].i : rc == STORE_NOTFOUND ? 0 : -1;
}

/* random_rcpt - a recipient, in another case sometimes, or a bare domain */
static void random_rcpt(char *out, size_t len)
{
	address(out, len, 1);
	if (rand() % 5 == 0)
		memmove(out, strchr(out, '@') + 1, strlen(strchr(out, '@')));
	if (rand() % 4 == 0)
		for (char *p = out; *p; p++)
			*p = (char)(rand() % 2 ? store_ascii_lower((unsigned char)*p)
				    : (*p >= 'a' && *p <= 'z' ? *p - 32 : *p));
}

/* compare - ASKS random lookups, full set against single-shot set */
static void compare(struct lookup_ctx *full, struct lookup_ctx *scan)
{
	int diff_supp = 0, diff_pause = 0, diff_pool = 0, found = 0;

	for (int i = 0; i < ASKS; i++) {
		struct store_row a, b;
		char rcpt[160], name[32], pa[512] = "", pb[512] = "";
		const char *ip = PICK(ips);
		char dom[64];
		int64_t x;

		random_rcpt(rcpt, sizeof(rcpt));
		domain(dom, sizeof(dom), 2);
		x = id_of(store_lookup_suppressed(full, rcpt, &a), &a);
		diff_supp += x != id_of(store_lookup_suppressed(scan, rcpt, &b), &b);
		found += x > 0;
		x = id_of(store_lookup_paused(full, ip, dom, "", "", &a), &a);
		diff_pause += x != id_of(store_lookup_paused(scan, ip, dom, "", "",
							    &b), &b);
		pool_name(name, sizeof(name), rand());
		x = store_lookup_pool(full, name, pool_ip, pa);
		diff_pool += x != store_lookup_pool(scan, name, pool_ip, pb) ||
			     strcmp(pa, pb);
	}
	CHECK(diff_supp == 0, "suppressed: %d of %d answers differ from the scan",
	      diff_supp, ASKS);
	CHECK(found > ASKS / 10 && found < ASKS, "suppressed: %d found, some not",
	      found);
	CHECK(diff_pause == 0, "paused with pools: %d answers differ", diff_pause);
	CHECK(diff_pool == 0, "pool: %d answers differ", diff_pool);
}

/* seconds - what TIMED_ASKS suppressed lookups through c take */
static double seconds(struct lookup_ctx *c)
{
	struct timespec t0, t1;
	struct store_row r;
	char rcpt[160];

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < TIMED_ASKS; i++) {
		random_rcpt(rcpt, sizeof(rcpt));
		store_lookup_suppressed(c, rcpt, &r);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0.tv_sec) +
	       (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
}

/* known_row - a row written alone is found, case folded; gone when cleared */
static void known_row(struct tstore *ts)
{
	char pair[] = "address=Known@Example.NET";
	struct trow r = { "suppressions", { pair }, 1 };
	struct store_row row;

	CHECK(tstore_set(ts, &r) == STORE_OK && tstore_ready(ts) == STORE_OK &&
	      store_lookup_suppressed(&ts->c, "known@example.net", &row) ==
	      STORE_OK, "a suppression written is found, ASCII case folded");
	CHECK(tstore_clear(ts) == STORE_OK && tstore_ready(ts) == STORE_OK &&
	      store_lookup_suppressed(&ts->c, "known@example.net", &row) ==
	      STORE_NOTFOUND, "and not found once the table is empty");
}

int main(void)
{
	const char *env = getenv("MQ_HELD_ROWS");
	int rows = env ? atoi(env) : 20000;
	struct lookup_request q = { .kind = lookup_kind_find("suppressed") };
	struct lookup_set *single = NULL;
	struct lookup_ctx scan;
	struct tstore ts;
	double t_full, t_scan;

	srand(12345);
	naddr = rows / 4 + 1;
	ndom = rows / 16 + 1;
	if (!CHECK(tstore_open(&ts), "scratch store opened") ||
	    !CHECK(store_write(ts.st, fill, &rows, NULL) == STORE_OK,
		   "%d suppressions, pools and pauses written", rows) ||
	    !CHECK(tstore_ready(&ts) == STORE_OK, "the full set built"))
		return check_done();
	ts.c.now = NOW;
	q.args[0] = "x@y";
	CHECK(lookup_set_build_for(ts.txn, &q, NULL, NULL, &single) == STORE_OK,
	      "a single-shot set built");
	scan = ts.c;
	scan.set = single;
	CHECK(lookup_set_part(ts.set, LOOKUP_PART_SUPPRESSIONS) != NULL &&
	      lookup_set_part(ts.set, LOOKUP_PART_POOLS) != NULL,
	      "the full set holds the suppressions and pools parts");
	CHECK(lookup_set_part(single, LOOKUP_PART_SUPPRESSIONS) == NULL,
	      "the single-shot set does not: it scans");
	compare(&ts.c, &scan);
	t_full = seconds(&ts.c);
	t_scan = seconds(&scan);
	CHECK(t_full * 10 < t_scan, "%d suppressed lookups of %d rows: %.4f s "
	      "indexed, %.4f s scanning", TIMED_ASKS, rows, t_full, t_scan);
	printf("# suppressed, %d rows: %.1f us a lookup indexed, %.1f us "
	       "scanning\n", rows, t_full * 1e6 / TIMED_ASKS,
	       t_scan * 1e6 / TIMED_ASKS);
	lookup_set_free(single);
	known_row(&ts);
	tstore_close(&ts);
	return check_done();
}
