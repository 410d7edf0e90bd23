/*
 * NAME
 *	lookup_fresh_test - lookup sets kept current off the lookup path
 * DESCRIPTION
 *	On a scratch store: a write to paused rebuilds no part and a write
 *	to capacity only the capacity part (the others are the same part
 *	sets, shared); in the background mode a reader whose snapshot is
 *	newer than the newest set gets that set at once (it never builds)
 *	until store_lookups_refresh swaps the next one in; with the builder
 *	thread, a write by another handle on the store is seen by the
 *	lookups within 100 ms (the best of three tries, for a loaded
 *	machine); a reader keeps answering while a refresh builds (6,000
 *	rows and 600 fnmatch rules); and the single-shot set of
 *	lookup_set_build_for answers every capacity question as the whole
 *	set does.
 * DIAGNOSTICS
 *	TAP lines through check.h.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <time.h>

#include "tests/unit/lookup_util.h"

#define BIG_ROWS	6000
#define BIG_RULES	600

/* now_ms - a monotonic clock in milliseconds. */
static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* put - one row of col=val text pairs into an open write transaction. */
static enum store_rc put(struct store_txn *txn, const char *table,
			 const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static enum store_rc put(struct store_txn *txn, const char *table,
			 const char *fmt, ...)
{
	char text[512], *save = NULL;
	struct trow r = { .table = table };
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	for (char *w = strtok_r(text, " ", &save); w && r.n < REG_MAX_COLS;
	     w = strtok_r(NULL, " ", &save))
		r.pair[r.n++] = w;
	return set_row(txn, &r);
}

/* ip_of - the localip of big row i: '' for one in five, else two ips. */
static const char *ip_of(int i)
{
	return i % 5 == 0 ? "" : i % 2 ? "192.0.2.1" : "192.0.2.2";
}

/*
 * big_rows - BIG_ROWS capacity rows (d<i>.example), a localip row, an
 *	('', '') row and BIG_RULES fnmatch rules, a third for one localip.
 */
static enum store_rc big_rows(struct store_txn *txn, void *arg)
{
	enum store_rc rc = STORE_OK;

	(void)arg;
	for (int i = 0; rc == STORE_OK && i < BIG_ROWS; i++)
		rc = put(txn, "capacity", "id=%d localip=%s domain=d%d.example "
			 "domain_maxconnections=%d domain_maxmessages=-1 "
			 "ip_maxmessages=%d", i + 1, ip_of(i), i, i % 50 + 1,
			 i % 3 ? -1 : i);
	if (rc == STORE_OK)
		rc = put(txn, "capacity", "id=%d localip=192.0.2.1 domain= "
			 "ip_maxmessages=77 ip_maxconnects=-1", BIG_ROWS + 1);
	if (rc == STORE_OK)
		rc = put(txn, "capacity", "id=%d localip= domain= "
			 "ip_maxconnects=88", BIG_ROWS + 2);
	for (int i = 0; rc == STORE_OK && i < BIG_RULES; i++)
		rc = put(txn, "capacity_rules", "id=%d capacity=%d localip=%s "
			 "domain=*%d.example type=fnmatch priority=%d", i + 1,
			 i * 7 % BIG_ROWS + 1, i % 3 ? "" : "192.0.2.2", i % 40,
			 i % 7);
	return rc;
}

/* put_one - one row given as text, in a write of its own. */
static enum store_rc put_one(struct tstore *ts, const char *table,
			     const char *row)
{
	struct trow r = { .table = table };
	char text[256], *save = NULL;

	snprintf(text, sizeof(text), "%s", row);
	for (char *w = strtok_r(text, " ", &save); w && r.n < REG_MAX_COLS;
	     w = strtok_r(NULL, " ", &save))
		r.pair[r.n++] = w;
	return tstore_set(ts, &r);
}

/* shared_set - the store's set for a new read transaction (held). */
static const struct lookup_set *shared_set(struct store *st,
					   struct store_txn **txn)
{
	const struct lookup_set *ls = NULL;

	if (store_read_begin(st, txn) == STORE_OK)
		store_lookups_acquire(txn, NULL, NULL, &ls);
	return ls;
}

/* limit_of - one capacity limit answered with set ls. */
static int64_t limit_of(const struct lookup_set *ls, struct store_txn *txn,
			struct pattern_scratch *sc, const char *ip,
			const char *dom, enum capacity_limit l)
{
	struct lookup_ctx c = { .set = ls, .txn = txn, .scratch = sc };
	struct capacity_limits lim;

	return store_lookup_capacity(&c, ip, dom, &lim) ? -2 : lim.limit[l];
}

/* test_parts - which writes rebuild which parts. */
static void test_parts(struct tstore *ts)
{
	const struct lookup_set *a, *b, *c;
	struct store_txn *ta = NULL, *tb = NULL, *tc = NULL;
	unsigned built = 0;
	enum store_rc rc;

	CHECK(tstore_clear(ts) == STORE_OK, "the tables start empty");
	put_one(ts, "capacity", "id=1 localip=192.0.2.1 domain=a.example "
		"domain_maxmessages=5");
	put_one(ts, "locals", "id=1 type=exact address=x@a.example");
	rc = store_lookups_refresh(ts->st, NULL, NULL, &built);
	CHECK(rc == STORE_OK && built == (1u << LOOKUP_PARTS) - 1,
	      "the first refresh builds every part (%#x)", built);
	a = shared_set(ts->st, &ta);
	CHECK(put_one(ts, "paused", "id=1 localip=192.0.2.1 target=a.example "
		      "tag=") == STORE_OK &&
	      store_lookups_refresh(ts->st, NULL, NULL, &built) == STORE_OK,
	      "a paused row written, the set refreshed");
	CHECK(built == 0, "a paused write builds no part (%#x)", built);
	b = shared_set(ts->st, &tb);
	CHECK(a && b && b != a, "a new set for the new version");
	for (int p = 0; a && b && p < LOOKUP_PARTS; p++)
		CHECK(lookup_set_part(a, p) == lookup_set_part(b, p),
		      "the %s part is shared", lookup_part_name(p));
	rc = put_one(ts, "capacity", "id=1 domain_maxmessages=6");
	if (rc == STORE_OK)
		rc = store_lookups_refresh(ts->st, NULL, NULL, &built);
	CHECK(rc == STORE_OK && built == 1u << LOOKUP_PART_CAPACITY,
	      "a capacity write builds the capacity part only (%#x)", built);
	c = shared_set(ts->st, &tc);
	CHECK(c && b && lookup_set_part(c, LOOKUP_PART_CAPACITY) !=
	      lookup_set_part(b, LOOKUP_PART_CAPACITY) &&
	      lookup_set_part(c, LOOKUP_PART_LOCALS) ==
	      lookup_set_part(b, LOOKUP_PART_LOCALS), "a new capacity part, "
	      "the locals part shared");
	CHECK(c && limit_of(c, tc, ts->c.scratch, "192.0.2.1", "a.example",
			    CAP_DOMAIN_MAXMESSAGES) == 6 &&
	      limit_of(b, tb, ts->c.scratch, "192.0.2.1", "a.example",
		       CAP_DOMAIN_MAXMESSAGES) == 5,
	      "the new set answers the write, the held old one its version");
	store_lookups_release(a);
	store_lookups_release(b);
	store_lookups_release(c);
	store_read_end(ta);
	store_read_end(tb);
	store_read_end(tc);
}

/* test_background - a reader never builds; the refresh swaps. */
static void test_background(struct tstore *ts)
{
	const struct lookup_set *before, *stale, *fresh = NULL;
	struct store_txn *t1 = NULL, *t2 = NULL, *t3 = NULL;
	unsigned built;

	store_lookups_background(ts->st, true);
	before = shared_set(ts->st, &t1);
	put_one(ts, "capacity", "id=1 domain_maxmessages=7");
	stale = shared_set(ts->st, &t2);
	CHECK(stale && stale == before, "after a write a reader gets the "
	      "newest set as it is: it did not build");
	CHECK(limit_of(stale, t2, ts->c.scratch, "192.0.2.1", "a.example",
		       CAP_DOMAIN_MAXMESSAGES) == 6, "and answers from it");
	CHECK(store_lookups_refresh(ts->st, NULL, NULL, &built) == STORE_OK &&
	      (fresh = shared_set(ts->st, &t3)) && fresh != stale &&
	      limit_of(fresh, t3, ts->c.scratch, "192.0.2.1", "a.example",
		       CAP_DOMAIN_MAXMESSAGES) == 7,
	      "after the refresh, the next reader gets the write");
	store_lookups_background(ts->st, false);
	store_lookups_release(before);
	store_lookups_release(stale);
	store_lookups_release(fresh);
	store_read_end(t1);
	store_read_end(t2);
	store_read_end(t3);
}

/* A refresh running on a thread of its own. */
struct refresher {
	struct store *st;
	atomic_bool building;
	double ms;
};

static void *refresh_run(void *arg)
{
	struct refresher *r = arg;
	unsigned built;
	double t0 = now_ms();

	store_lookups_refresh(r->st, NULL, NULL, &built);
	r->ms = now_ms() - t0;
	atomic_store(&r->building, false);
	return NULL;
}

/* test_no_block - lookups go on while a big set is built. */
static void test_no_block(struct tstore *ts)
{
	struct refresher r = { .st = ts->st };
	pthread_t th;
	int during = 0;
	double worst = 0;

	store_lookups_background(ts->st, true);
	CHECK(store_write(ts->st, big_rows, NULL, NULL) == STORE_OK,
	      "%d capacity rows and %d fnmatch rules written", BIG_ROWS,
	      BIG_RULES);
	atomic_store(&r.building, true);
	if (!CHECK(pthread_create(&th, NULL, refresh_run, &r) == 0,
		   "a refresh runs on a thread"))
		return;
	while (atomic_load(&r.building)) {
		struct store_txn *txn = NULL;
		double t0 = now_ms();
		const struct lookup_set *ls = shared_set(ts->st, &txn);

		limit_of(ls, txn, ts->c.scratch, "192.0.2.1", "a.example",
			 CAP_DOMAIN_MAXMESSAGES);
		store_lookups_release(ls);
		store_read_end(txn);
		if (atomic_load(&r.building)) {
			during++;
			worst = now_ms() - t0 > worst ? now_ms() - t0 : worst;
		}
	}
	pthread_join(th, NULL);
	CHECK(during > 0, "%d lookups answered while the build ran "
	      "(%.1f ms; the slowest lookup %.2f ms)", during, r.ms, worst);
	store_lookups_background(ts->st, false);
}

/* test_builder - a write by another handle is seen within 100 ms. */
static void test_builder(struct tstore *ts)
{
	struct store *other;
	char err[256];
	double best = 1e9;

	if (!CHECK(store_lookups_builder_start(ts->st, NULL, NULL) ==
		   STORE_OK, "the builder thread starts") ||
	    !CHECK(store_open(ts->path, 0, NULL, &other, err, sizeof(err)) ==
		   STORE_OK, "a second handle on the store"))
		return;
	for (int try = 0; try < 3 && best > 100; try++) {
		struct trow r = { .table = "capacity", .n = 2 };
		char id[32] = "id=1", v[64];
		double t0, seen = -1;

		snprintf(v, sizeof(v), "domain_maxmessages=%d", 100 + try);
		r.pair[0] = id;
		r.pair[1] = v;
		t0 = now_ms();
		if (store_write(other, write_row, &r, NULL))
			break;
		while (seen < 0 && now_ms() - t0 < 2000) {
			struct store_txn *txn = NULL;
			const struct lookup_set *ls = shared_set(ts->st, &txn);
			if (limit_of(ls, txn, ts->c.scratch, "192.0.2.1",
				     "a.example", CAP_DOMAIN_MAXMESSAGES) ==
			    100 + try)
				seen = now_ms() - t0;
			store_lookups_release(ls);
			store_read_end(txn);
		}
		if (seen >= 0 && seen < best)
			best = seen;
	}
	CHECK(best <= 100, "a write is seen by the lookups within 100 ms "
	      "(%.1f ms, the best of up to three)", best);
	store_close(other);
	store_lookups_builder_stop(ts->st);
}

/* test_single_shot - lookup_set_build_for answers as the whole set. */
static void test_single_shot(struct tstore *ts)
{
	static const char *const ips[] = { "", "192.0.2.1", "192.0.2.2",
					   "192.0.2.9" };
	const struct lookup_set *whole;
	struct store_txn *txn;
	int asked = 0, same = 0;

	if (!CHECK(tstore_ready(ts) == STORE_OK, "the whole set builds"))
		return;
	whole = ts->set;
	txn = ts->txn;
	for (int d = -1; d < 120; d++)
		for (int i = 0; i < 4; i++) {
			char dom[64];
			struct lookup_request q = {
				.kind = &lookup_kinds[LOOKUP_CAPACITY] };
			struct capacity_limits a, b;
			struct lookup_ctx c = { .txn = txn,
						.scratch = ts->c.scratch };
			struct lookup_set *one = NULL;

			if (d < 0)
				dom[0] = '\0';	/* levels 2-4 skipped */
			else
				snprintf(dom, sizeof(dom), d % 3 ? "d%d.example"
					 : "x.y%d.example", d * 37);
			q.args[0] = ips[i];
			q.args[1] = dom;
			if (lookup_set_build_for(txn, &q, NULL, NULL, &one))
				continue;
			c.set = whole;
			store_lookup_capacity(&c, ips[i], dom, &a);
			c.set = one;
			store_lookup_capacity(&c, ips[i], dom, &b);
			asked++;
			same += !memcmp(&a, &b, sizeof(a));
			lookup_set_free(one);
		}
	CHECK(asked == 121 * 4 && same == asked, "the single-shot set answers "
	      "%d of %d pairs as the whole set", same, asked);
	tstore_release(ts);
}

int main(void)
{
	struct tstore ts;

	if (!CHECK(tstore_open(&ts), "scratch store opened"))
		return check_done();
	test_parts(&ts);
	test_background(&ts);
	test_builder(&ts);
	test_no_block(&ts);
	test_single_shot(&ts);
	tstore_close(&ts);
	return check_done();
}
