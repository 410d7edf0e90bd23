/*
 * NAME
 *	lookup_capinc_test - incremental capacity parts answer as full builds
 * SYNOPSIS
 *	lookup_capinc_test [STEPS [SEED]]
 * DESCRIPTION
 *	Writes random capacity rows and capacity_rules to a scratch store,
 *	then STEPS times (default 300) makes one to three random writes:
 *	a row's limits, its localip or domain, a row added or deleted, a
 *	rule's pattern, type, priority, localip or capacity row, a rule
 *	added or deleted, now and then a row without a domain (which
 *	needs a full build).  After each step the set built over the last
 *	one (lookup_set_update, incremental where it can be) and a set
 *	built whole (lookup_set_build) must give the same capacity answer,
 *	value, level and id of every column, for every localip and every
 *	domain of the pool, known or not, in other case too, twice (the
 *	second time from what the first resolved).  Every tenth step a set
 *	built for each pair alone (lookup_set_build_for, as mq lookup
 *	does) must answer it as the full build too.  Most steps must have
 *	been incremental and some not, or the test proved nothing.
 *
 *	SEED (default 1) and SEED + 1 pick the two sequences run, each from
 *	an empty store; a third (SEED + 2, STEPS / 3 steps, 60 at least)
 *	runs with the store keeping one change record, where a step of two
 *	or three writes must fall back to a full build (the log no longer
 *	reaches back) and still answer alike.  A failure names seed, step
 *	and pair.
 * DIAGNOSTICS
 *	TAP lines through check.h; exit status of check_done().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lookup_util.h"

#define MAX_IDS 4096

static const char *const ips[] = { "", "10.0.0.1", "10.0.0.2", "10.0.0.3" };
static const char *const ask_ips[] = { "", "10.0.0.1", "10.0.0.2", "10.0.0.3",
				       "10.0.0.9", "10.0.0.1 " };
static const char *const domains[] = {
	"d0.example", "d1.example", "d2.example", "d3.example", "d4.example",
	"d5.example", "d6.example", "d7.example", "d8.example", "d9.example",
	"d10.example", "d11.example", "d12.example", "d13.example",
	"a.sub.example", "B.Sub.Example", "x.y.z", "mail.example.org",
	"caf\xc3\xa9.example",
};
static const char *const ask_extra[] = {
	"q.sub.example", "zz.example", "D3.EXAMPLE", "nothing", "SUB",
	"d1", "x.sub.example.org", "CAF\xc3\xa9.EXAMPLE", "",
};
static const char *const patterns[] = {
	"d3.example", "D5.example", "*.sub.example", "d1*", "*example",
	"sub", "3.ex", "^d[0-9]\\.example$", "SUB", "(", "*.y.z",
	"mail.example.*", "caf\xc3\xa9*", "x.y.z", "d7.example",
};
static const char *const types[] = { "exact", "fnmatch", "substr", "regex",
				     "", "FNMATCH" };
static const char *const rule_ips[] = { "", "*", "10.0.0.1", "10.0.0.2" };

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

static unsigned long long rng_state;

static unsigned rnd(unsigned n)
{
	rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (unsigned)(rng_state >> 33) % n;
}

/* The ids alive in each table. */
struct ids {
	int64_t id[MAX_IDS];
	int n;
	int64_t next;
};

static struct ids rows, rules;

static void ids_remove(struct ids *s, int i)
{
	s->id[i] = s->id[--s->n];
}

/* limit - a random limit value: mostly -1, NULL now and then. */
static void limit(char *buf, size_t len, const char *name)
{
	unsigned r = rnd(10);

	if (r < 5)
		snprintf(buf, len, "%s=-1", name);
	else if (r == 5)
		snprintf(buf, len, "%s=\\N", name);
	else
		snprintf(buf, len, "%s=%u", name, rnd(100));
}

/* write_row_at - row id: all columns (whole) or some limits. */
static enum store_rc write_row_at(struct tstore *ts, int64_t id, bool whole,
				  bool nodomain)
{
	char buf[CAP_NLIMITS + 3][96];
	struct trow t = { .table = "capacity" };

	snprintf(buf[t.n++], sizeof(buf[0]), "id=%lld", (long long)id);
	if (whole) {
		snprintf(buf[t.n++], sizeof(buf[0]), "localip=%s",
			 ips[rnd(N(ips))]);
		snprintf(buf[t.n++], sizeof(buf[0]), "domain=%s",
			 nodomain ? "" : domains[rnd(N(domains))]);
	}
	for (int i = 0; i < CAP_NLIMITS; i++)
		if (whole || rnd(3) == 0)
			limit(buf[t.n++], sizeof(buf[0]),
			      capacity_limit_name(i));
	for (int i = 0; i < t.n; i++)
		t.pair[i] = buf[i];
	return tstore_set(ts, &t);
}

/* write_rule_at - rule id, every column random. */
static enum store_rc write_rule_at(struct tstore *ts, int64_t id)
{
	char buf[6][96];
	struct trow t = { .table = "capacity_rules", .n = 6 };

	snprintf(buf[0], sizeof(buf[0]), "id=%lld", (long long)id);
	snprintf(buf[1], sizeof(buf[1]), "capacity=%lld",
		 (long long)(1 + rnd((unsigned)rows.next + 3)));
	snprintf(buf[2], sizeof(buf[2]), "localip=%s",
		 rule_ips[rnd(N(rule_ips))]);
	snprintf(buf[3], sizeof(buf[3]), "type=%s", types[rnd(N(types))]);
	snprintf(buf[4], sizeof(buf[4]), "priority=%u", rnd(4));
	snprintf(buf[5], sizeof(buf[5]), "domain=%s",
		 rnd(20) ? patterns[rnd(N(patterns))] : "\\N");
	for (int i = 0; i < t.n; i++)
		t.pair[i] = buf[i];
	return tstore_set(ts, &t);
}

struct del {
	const char *table;
	int64_t id;
};

static enum store_rc del_body(struct store_txn *txn, void *arg)
{
	const struct del *d = arg;
	struct store_filter f = { 0, { .kind = SV_INT, .i = d->id } };
	uint64_t n;

	return store_del(txn, d->table, &f, 1, &n);
}

static enum store_rc delete_id(struct tstore *ts, const char *table,
			       struct ids *s, int i)
{
	struct del d = { table, s->id[i] };

	ids_remove(s, i);
	tstore_release(ts);
	return store_write(ts->st, del_body, &d, NULL);
}

/* one_write - a random write; *nodomain: a row without a domain. */
static enum store_rc one_write(struct tstore *ts, bool *nodomain)
{
	unsigned r = rnd(100);

	if (r < 35 && rows.n)
		return write_row_at(ts, rows.id[rnd((unsigned)rows.n)], false,
				    false);
	if (r < 45 && rows.n)
		return write_row_at(ts, rows.id[rnd((unsigned)rows.n)], true,
				    false);
	if (r < 53 && rows.n > 10)
		return delete_id(ts, "capacity", &rows,
				 (int)rnd((unsigned)rows.n));
	if (r < 62 && rows.n < MAX_IDS) {
		rows.id[rows.n++] = ++rows.next;
		return write_row_at(ts, rows.next, true, false);
	}
	if (r < 76 && rules.n)
		return write_rule_at(ts, rules.id[rnd((unsigned)rules.n)]);
	if (r < 82 && rules.n > 5)
		return delete_id(ts, "capacity_rules", &rules,
				 (int)rnd((unsigned)rules.n));
	if (r < 95 && rules.n < MAX_IDS) {
		rules.id[rules.n++] = ++rules.next;
		return write_rule_at(ts, rules.next);
	}
	*nodomain = true;
	rows.id[rows.n++] = ++rows.next;
	return write_row_at(ts, rows.next, true, true);
}

/* same_limits - are a and b the same answer, column by column? */
static bool same_limits(const struct capacity_limits *a,
			const struct capacity_limits *b)
{
	for (int i = 0; i < CAP_NLIMITS; i++)
		if (a->limit[i] != b->limit[i] ||
		    a->from_id[i] != b->from_id[i] ||
		    a->level[i] != b->level[i])
			return false;
	return true;
}

/* compare_one - inc and full on (ip, dom); false (and why) if they differ. */
static bool compare_one(struct lookup_ctx *inc, struct lookup_ctx *full,
			const char *ip, const char *dom, int step)
{
	struct capacity_limits a, b;

	if (store_lookup_capacity(inc, ip, dom, &a) ||
	    store_lookup_capacity(full, ip, dom, &b))
		return CHECK(false, "step %d: lookup (%s, %s) failed", step,
			     ip, dom);
	if (same_limits(&a, &b))
		return true;
	for (int i = 0; i < CAP_NLIMITS; i++)
		if (a.limit[i] != b.limit[i] || a.from_id[i] != b.from_id[i] ||
		    a.level[i] != b.level[i])
			printf("# step %d (%s, %s) %s: incremental %lld "
			       "(%s %lld), full %lld (%s %lld)\n", step, ip, dom,
			       capacity_limit_name(i), (long long)a.limit[i],
			       capacity_level_name(a.level[i]),
			       (long long)a.from_id[i], (long long)b.limit[i],
			       capacity_level_name(b.level[i]),
			       (long long)b.from_id[i]);
	return false;
}

/* compare - every pair asked of both sets, twice; the pairs that differ. */
static int compare(struct lookup_ctx *inc, struct lookup_ctx *full, int step)
{
	int bad = 0;

	for (int pass = 0; pass < 2; pass++)
		for (int i = 0; i < N(ask_ips); i++) {
			for (int d = 0; d < N(domains); d++)
				bad += !compare_one(inc, full, ask_ips[i],
						    domains[d], step);
			for (int d = 0; d < N(ask_extra); d++)
				bad += !compare_one(inc, full, ask_ips[i],
						    ask_extra[d], step);
		}
	return bad;
}

/* single_shot - (ip, dom) asked of a set built for it alone, into out. */
static enum store_rc single_shot(struct store_txn *txn,
				 struct pattern_scratch *sc, const char *ip,
				 const char *dom, struct capacity_limits *out)
{
	struct lookup_request q = { .kind = &lookup_kinds[LOOKUP_CAPACITY],
				    .args = { ip, dom } };
	struct lookup_set *one;
	enum store_rc rc = lookup_set_build_for(txn, &q, NULL, NULL, &one);

	if (rc == STORE_OK) {
		struct lookup_ctx c = { .txn = txn, .set = one, .scratch = sc };
		rc = store_lookup_capacity(&c, ip, dom, out);
		lookup_set_free(one);
	}
	return rc;
}

/* compare_single - every pair asked of sets built for it and of full. */
static int compare_single(struct lookup_ctx *full, int step)
{
	int bad = 0;

	for (int i = 0; i < N(ask_ips); i++)
		for (int d = 0; d < N(domains) + N(ask_extra); d++) {
			const char *dom = d < N(domains) ? domains[d]
				: ask_extra[d - N(domains)];
			struct capacity_limits a, b;
			bool same = !single_shot(full->txn, full->scratch,
						 ask_ips[i], dom, &a) &&
				    !store_lookup_capacity(full, ask_ips[i],
							   dom, &b) &&
				    same_limits(&a, &b);
			if (!same)
				printf("# step %d (%s, %s): the single-shot "
				       "set differs\n", step, ask_ips[i], dom);
			bad += !same;
		}
	return bad;
}

/* seed_store - the rows and rules the steps start from. */
static bool seed_store(struct tstore *ts)
{
	for (int i = 0; i < 60; i++) {
		rows.id[rows.n++] = ++rows.next;
		if (write_row_at(ts, rows.next, true, i == 0 || i == 1))
			return false;
	}
	for (int i = 0; i < 20; i++) {
		rules.id[rules.n++] = ++rules.next;
		if (write_rule_at(ts, rules.next))
			return false;
	}
	return true;
}

/* What the steps of one sequence showed. */
struct tally {
	int incremental;	/* steps whose capacity part was incremental */
	int nodomain;		/* steps that wrote a row without a domain */
	int single_bad;		/* pairs a single-shot set answered otherwise */
	int past_log;		/* incremental steps with more writes than
				 * the change log keeps */
};

/* one_step - writes, then the set over prev against a full build. */
static int one_step(struct tstore *ts, int step, uint64_t keep,
		    struct lookup_set **prev, struct tally *t)
{
	int writes = 1 + (int)rnd(3), bad;
	bool nodomain = false, inc_built;
	struct lookup_set *inc, *full;
	struct store_txn *txn;

	for (int w = 0; w < writes; w++)
		if (one_write(ts, &nodomain))
			return -1;
	t->nodomain += nodomain;
	if (store_read_begin(ts->st, &txn) ||
	    lookup_set_update(txn, *prev, NULL, NULL, &inc, NULL) ||
	    lookup_set_build(txn, NULL, NULL, &full))
		return -1;
	inc_built = lookup_set_incremental(inc, LOOKUP_PART_CAPACITY);
	t->incremental += inc_built;
	t->past_log += inc_built && keep && (uint64_t)writes > keep;
	bad = compare(&(struct lookup_ctx){ .txn = txn, .set = inc,
					    .scratch = ts->c.scratch },
		      &(struct lookup_ctx){ .txn = txn, .set = full,
					    .scratch = ts->c.scratch },
		      step) > 0;
	if (step % 10 == 0)
		t->single_bad += compare_single(
			&(struct lookup_ctx){ .txn = txn, .set = full,
					      .scratch = ts->c.scratch }, step);
	lookup_set_free(*prev);
	lookup_set_free(full);
	*prev = inc;
	store_read_end(txn);
	return bad;
}

/*
 * run_steps - the steps: after each, the set over the last one against
 *	a full build (and every tenth step the single-shot sets too); the
 *	steps that differ, or -1.  keep: the store's changes-keep, 0 for
 *	the default.
 */
static int run_steps(struct tstore *ts, int steps, uint64_t keep,
		     struct tally *t)
{
	struct lookup_set *prev = NULL;
	struct store_txn *txn;
	int bad = 0;

	if (store_read_begin(ts->st, &txn) ||
	    lookup_set_build(txn, NULL, NULL, &prev))
		return -1;
	store_read_end(txn);
	for (int step = 0; step < steps && bad >= 0 && bad < 5; step++) {
		int r = one_step(ts, step, keep, &prev, t);
		bad = r < 0 ? -1 : bad + r;
	}
	lookup_set_free(prev);
	return bad;
}

/* run_seed - one sequence from a cleared store: its checks. */
static void run_seed(struct tstore *ts, int steps, unsigned long long seed,
		     uint64_t keep)
{
	struct tally t = { 0 };
	int bad;

	rng_state = seed;
	rows = (struct ids){ .n = 0 };
	rules = (struct ids){ .n = 0 };
	if (!CHECK(tstore_clear(ts) == STORE_OK, "seed %llu: store cleared",
		   seed) ||
	    !CHECK(seed_store(ts), "seed %llu: rows and rules written", seed) ||
	    !CHECK(tstore_ready(ts) == STORE_OK &&
		   !lookup_set_incremental(ts->set, LOOKUP_PART_CAPACITY),
		   "seed %llu: a first set is a full build", seed))
		return;
	bad = run_steps(ts, steps, keep, &t);
	CHECK(bad == 0, "seed %llu, %d steps: the incremental set answers as "
	      "the full build (%d steps differ)", seed, steps, bad);
	CHECK(t.single_bad == 0, "seed %llu: every tenth step, sets built for "
	      "one pair (mq lookup) answer as the full build (%d differ)",
	      seed, t.single_bad);
	if (keep) {
		CHECK(t.past_log == 0 && t.incremental > 0, "seed %llu: with "
		      "%llu change records kept, a step of more writes is a "
		      "full build (%d were not; %d incremental)", seed,
		      (unsigned long long)keep, t.past_log, t.incremental);
		return;
	}
	CHECK(t.incremental > steps / 2, "seed %llu: %d of %d steps built "
	      "incrementally", seed, t.incremental, steps);
	CHECK(t.nodomain > 0 && t.incremental < steps, "seed %llu: %d steps "
	      "wrote a row without a domain: %d full builds", seed,
	      t.nodomain, steps - t.incremental);
}

/* reopen_keeping - the scratch store again, keeping keep change records. */
static bool reopen_keeping(struct tstore *ts, uint64_t keep)
{
	struct store_options opt = { .changes_keep = keep };
	char err[256];

	tstore_release(ts);
	store_close(ts->st);
	return store_open(ts->path, 0, &opt, &ts->st, err, sizeof(err)) ==
	       STORE_OK;
}

int main(int argc, char **argv)
{
	struct tstore ts;
	int steps = argc > 1 ? atoi(argv[1]) : 300;
	unsigned long long seed = argc > 2 ? strtoull(argv[2], NULL, 10) : 1;

	if (!CHECK(tstore_open(&ts), "scratch store opens"))
		return check_done();
	run_seed(&ts, steps, seed, 0);
	run_seed(&ts, steps, seed + 1, 0);
	if (CHECK(reopen_keeping(&ts, 1), "the store reopens keeping one "
		  "change record"))
		run_seed(&ts, steps / 3 > 60 ? steps / 3 : 60, seed + 2, 1);
	tstore_close(&ts);
	return check_done();
}
