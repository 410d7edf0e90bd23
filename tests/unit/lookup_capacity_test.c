/*
 * NAME
 *	lookup_capacity_test - the capacity cascade, table-driven and random
 * SYNOPSIS
 *	lookup_capacity_test [CASES]
 * DESCRIPTION
 *	Runs the cases of CASES (default tests/unit/capacity_cases.txt,
 *	format at its top) against a scratch store: rows and rules are
 *	written with store_set, each ask goes through a lookup set and
 *	store_lookup_capacity and must give the case's value, level and
 *	id for every column.  Each ask is also compared with a plain walk
 *	of the six levels over the case's rows (no precomputation), and
 *	so are thousands of random asks over random rows and rules.
 *	Finally a write to capacity must make the set stale and a write
 *	to a list table must not.
 *
 *	Run from the repository root, as tests/run.sh does.
 * DIAGNOSTICS
 *	TAP lines through check.h; exit status of check_done().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lookup_util.h"

#define MAX_ROWS 512
#define MAX_RULES 128
#define TEXT 64

static const char *const col_alias[CAP_NLIMITS] = {
	"dmsg", "dcon", "dconn", "imsg", "icon", "iconn", "cmsg", "cidle",
	"secure",
};
static const char *const level_alias[] = {
	"ipdom", "dom", "ruleip", "rule", "ip", "any", "default",
};

struct crow {
	int64_t id;
	char ip[TEXT], dom[TEXT];
	int64_t lim[CAP_NLIMITS];	/* NULL stored as 0 */
	bool null[CAP_NLIMITS];
};

struct crule {
	int64_t id, capacity, priority;
	char ip[TEXT], type[16], pattern[TEXT];
	bool null_pattern;		/* written as \\N */
};

/* The rows and rules of the running case, as written. */
struct model {
	struct crow row[MAX_ROWS];
	struct crule rule[MAX_RULES];
	int nrow, nrule;
};

static const char *dash(const char *s)
{
	return strcmp(s, "-") == 0 ? "" : s;
}

/* write_cap_row - one capacity row through store_set. */
static enum store_rc write_cap_row(struct tstore *ts, const struct crow *r)
{
	char buf[CAP_NLIMITS + 3][96];
	struct trow t = { .table = "capacity", .n = CAP_NLIMITS + 3 };

	snprintf(buf[0], sizeof(buf[0]), "id=%lld", (long long)r->id);
	snprintf(buf[1], sizeof(buf[1]), "localip=%s", r->ip);
	snprintf(buf[2], sizeof(buf[2]), "domain=%s", r->dom);
	for (int i = 0; i < CAP_NLIMITS; i++) {
		if (r->null[i])
			snprintf(buf[i + 3], sizeof(buf[0]), "%s=\\N",
				 capacity_limit_name(i));
		else
			snprintf(buf[i + 3], sizeof(buf[0]), "%s=%lld",
				 capacity_limit_name(i), (long long)r->lim[i]);
	}
	for (int i = 0; i < t.n; i++)
		t.pair[i] = buf[i];
	return tstore_set(ts, &t);
}

static enum store_rc write_rule(struct tstore *ts, const struct crule *u)
{
	char buf[6][96];
	struct trow t = { .table = "capacity_rules", .n = 6 };

	snprintf(buf[0], sizeof(buf[0]), "id=%lld", (long long)u->id);
	snprintf(buf[1], sizeof(buf[1]), "capacity=%lld",
		 (long long)u->capacity);
	snprintf(buf[2], sizeof(buf[2]), "localip=%s", u->ip);
	snprintf(buf[3], sizeof(buf[3]), "type=%s", u->type);
	snprintf(buf[4], sizeof(buf[4]), "priority=%lld",
		 (long long)u->priority);
	snprintf(buf[5], sizeof(buf[5]), "domain=%s",
		 u->null_pattern ? "\\N" : u->pattern);
	for (int i = 0; i < t.n; i++)
		t.pair[i] = buf[i];
	return tstore_set(ts, &t);
}

/* first_row - the lowest-id row with exactly (ip, dom), or NULL. */
static const struct crow *first_row(const struct model *m, const char *ip,
				    const char *dom)
{
	const struct crow *best = NULL;

	for (int i = 0; i < m->nrow; i++) {
		const struct crow *r = &m->row[i];
		if (!strcasecmp(r->ip, ip) && !strcasecmp(r->dom, dom) &&
		    (!best || r->id < best->id))
			best = r;
	}
	return best;
}

static void take(struct capacity_limits *out, const int64_t lim[], int64_t id,
		 enum capacity_level lvl)
{
	for (int i = 0; i < CAP_NLIMITS; i++)
		if (out->limit[i] == -1 && lim[i] != -1) {
			out->limit[i] = lim[i];
			out->from_id[i] = id;
			out->level[i] = (uint8_t)lvl;
		}
}

/* rule_applies - a compiled rule for this localip kind matching dom. */
static bool rule_applies(const struct model *m, const struct crule *u,
			 const char *dom, struct pattern_scratch *sc)
{
	struct pattern_set *set = pattern_set_new("t", PATTERN_FOLD, NULL,
						  NULL);
	bool ok = false, cap = false;

	for (int i = 0; i < m->nrow; i++)
		cap |= m->row[i].id == u->capacity;
	cap &= !u->null_pattern;	/* reported and skipped */
	if (cap && pattern_set_add(set, u->id, u->type, strlen(u->type),
				   PATTERN_EXACT, u->pattern,
				   strlen(u->pattern)) == PATTERN_OK) {
		pattern_set_finish(set);
		ok = pattern_set_match(set, 0, dom, strlen(dom), sc);
	}
	pattern_set_free(set);
	return ok;
}

static int rule_cmp(const void *pa, const void *pb)
{
	const struct crule *a = pa, *b = pb;

	if (a->priority != b->priority)
		return a->priority < b->priority ? -1 : 1;
	return (a->id > b->id) - (a->id < b->id);
}

/* walk_rules - merge the rules for localip ip (or any: "") on dom. */
static void walk_rules(const struct model *m, const char *ip, const char *dom,
		       struct pattern_scratch *sc, struct capacity_limits *out)
{
	struct crule sorted[MAX_RULES];

	memcpy(sorted, m->rule, sizeof(*sorted) * (size_t)m->nrule);
	qsort(sorted, (size_t)m->nrule, sizeof(*sorted), rule_cmp);
	for (int i = 0; i < m->nrule; i++) {
		const struct crule *u = &sorted[i];
		const char *uip = strcmp(u->ip, "*") ? u->ip : "";
		if (strcasecmp(uip, ip) || !rule_applies(m, u, dom, sc))
			continue;
		for (int k = 0; k < m->nrow; k++)
			if (m->row[k].id == u->capacity)
				take(out, m->row[k].lim, u->id,
				     *ip ? CAPLVL_RULE_IP : CAPLVL_RULE);
	}
}

/* reference - the cascade walked level by level over the model. */
static void reference(const struct model *m, const char *ip, const char *dom,
		      struct pattern_scratch *sc, struct capacity_limits *out)
{
	const struct crow *r;

	for (int i = 0; i < CAP_NLIMITS; i++)
		out->limit[i] = -1;
	if (*ip && *dom && (r = first_row(m, ip, dom)))
		take(out, r->lim, r->id, CAPLVL_IP_DOMAIN);
	if (*dom && (r = first_row(m, "", dom)))
		take(out, r->lim, r->id, CAPLVL_DOMAIN);
	if (*dom && *ip)
		walk_rules(m, ip, dom, sc, out);
	if (*dom)
		walk_rules(m, "", dom, sc, out);
	if (*ip && (r = first_row(m, ip, "")))
		take(out, r->lim, r->id, CAPLVL_IP);
	if ((r = first_row(m, "", "")))
		take(out, r->lim, r->id, CAPLVL_ANY);
	for (int i = 0; i < CAP_NLIMITS; i++)
		if (out->limit[i] == -1) {
			out->limit[i] = CAPACITY_DEFAULT;
			out->from_id[i] = 0;
			out->level[i] = CAPLVL_DEFAULT;
		}
}

static bool same(const struct capacity_limits *a,
		 const struct capacity_limits *b)
{
	for (int i = 0; i < CAP_NLIMITS; i++)
		if (a->limit[i] != b->limit[i] ||
		    a->from_id[i] != b->from_id[i] || a->level[i] != b->level[i])
			return false;
	return true;
}

/* parse_expect - "V:LEVEL:ID" into column i of want. */
static bool parse_expect(const char *s, struct capacity_limits *want, int i)
{
	char lvl[16];
	long long v, id;

	if (sscanf(s, "%lld:%15[a-z]:%lld", &v, lvl, &id) != 3)
		return false;
	for (int l = 0; l <= CAPLVL_DEFAULT; l++)
		if (!strcmp(level_alias[l], lvl)) {
			want->limit[i] = v;
			want->level[i] = (uint8_t)l;
			want->from_id[i] = id;
			return true;
		}
	return false;
}

/* parse_want - the EXPECT tokens of an ask line. */
static bool parse_want(char **tok, int n, struct capacity_limits *want)
{
	for (int t = 0; t < n; t++) {
		char *eq = strchr(tok[t], '=');
		bool ok = false;
		if (!eq)
			return false;
		*eq = '\0';
		for (int i = 0; i < CAP_NLIMITS; i++)
			if (!strcmp(tok[t], "all") ||
			    !strcmp(tok[t], col_alias[i]))
				ok = parse_expect(eq + 1, want, i);
		if (!ok)
			return false;
	}
	return true;
}

static void describe(const struct capacity_limits *l, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (int i = 0; i < CAP_NLIMITS && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, " %s=%lld:%s:%lld",
			col_alias[i], (long long)l->limit[i],
			level_alias[l->level[i]], (long long)l->from_id[i]);
}

/* ask - one ask line: expected, reference and lookup agree. */
static void ask(struct tstore *ts, struct model *m, unsigned line, char **tok,
		int n)
{
	const char *ip = dash(tok[1]), *dom = dash(tok[2]);
	struct capacity_limits want = { 0 }, got, ref;
	char g[512], w[512];
	enum store_rc rc = tstore_ready(ts);

	if (!CHECK(rc == STORE_OK, "line %u: lookup set built", line))
		return;
	if (!CHECK(parse_want(tok + 3, n - 3, &want), "line %u: expectation "
		   "parses", line))
		return;
	rc = store_lookup_capacity(&ts->c, ip, dom, &got);
	reference(m, ip, dom, ts->c.scratch, &ref);
	describe(&got, g, sizeof(g));
	describe(&want, w, sizeof(w));
	if (!CHECK(rc == STORE_OK && same(&got, &want), "line %u: capacity(%s, "
		   "%s)", line, tok[1], tok[2]))
		printf("# want%s\n# got %s\n", w, g);
	CHECK(same(&got, &ref), "line %u: agrees with the level walk", line);
}

/* run_line - one line of the cases file. */
static void run_line(struct tstore *ts, struct model *m, unsigned line,
		     char **tok, int n)
{
	if (!strcmp(tok[0], "case")) {
		m->nrow = m->nrule = 0;
		CHECK(tstore_clear(ts) == STORE_OK, "line %u: tables emptied",
		      line);
	} else if (!strcmp(tok[0], "row") && n == 4 + CAP_NLIMITS &&
		   m->nrow < MAX_ROWS) {
		struct crow *r = &m->row[m->nrow++];
		r->id = atoll(tok[1]);
		snprintf(r->ip, TEXT, "%s", dash(tok[2]));
		snprintf(r->dom, TEXT, "%s", dash(tok[3]));
		for (int i = 0; i < CAP_NLIMITS; i++) {
			r->null[i] = !strcmp(tok[4 + i], "N");
			r->lim[i] = r->null[i] ? 0 : atoll(tok[4 + i]);
		}
		CHECK(write_cap_row(ts, r) == STORE_OK, "line %u: row written",
		      line);
	} else if (!strcmp(tok[0], "rule") && n == 7 && m->nrule < MAX_RULES) {
		struct crule *u = &m->rule[m->nrule++];
		*u = (struct crule){ atoll(tok[1]), atoll(tok[2]),
				     atoll(tok[5]), "", "", "", false };
		snprintf(u->ip, TEXT, "%s", dash(tok[3]));
		snprintf(u->type, sizeof(u->type), "%s", dash(tok[4]));
		snprintf(u->pattern, TEXT, "%s", dash(tok[6]));
		u->null_pattern = !strcmp(tok[6], "\\N");
		CHECK(write_rule(ts, u) == STORE_OK, "line %u: rule written",
		      line);
	} else if (!strcmp(tok[0], "ask") && n >= 4) {
		ask(ts, m, line, tok, n);
	} else if (!strcmp(tok[0], "report") && n >= 2) {
		char want[256] = "";
		for (int i = 1; i < n; i++)
			snprintf(want + strlen(want), sizeof(want) - strlen(want),
				 "%s%s", i > 1 ? " " : "", tok[i]);
		CHECK(tstore_ready(ts) == STORE_OK && strstr(ts->reports, want),
		      "line %u: reported: %s", line, want);
	} else
		CHECK(0, "line %u: unknown or malformed line '%s'", line, tok[0]);
}

static int run_cases(struct tstore *ts, struct model *m, const char *path)
{
	FILE *fp = fopen(path, "r");
	char buf[2048], *tok[64], *save;
	unsigned line = 0;
	int asks = 0;

	if (!CHECK(fp != NULL, "open %s", path))
		return 0;
	while (fgets(buf, sizeof(buf), fp)) {
		int n = 0;
		line++;
		for (char *t = strtok_r(buf, " \t\n", &save); t && n < 64;
		     t = strtok_r(NULL, " \t\n", &save))
			tok[n++] = t;
		if (n == 0 || tok[0][0] == '#')
			continue;
		asks += !strcmp(tok[0], "ask");
		run_line(ts, m, line, tok, n);
	}
	fclose(fp);
	return asks;
}


/* rnd - a small deterministic generator (xorshift64). */
static uint64_t rnd_state = 0x9e3779b97f4a7c15ull;
static unsigned rnd(unsigned n)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return (unsigned)(rnd_state % n);
}

static const char *const r_ips[] = { "", "10.0.0.1", "10.0.0.2", "10.0.0.3" };
static const char *const r_doms[] = { "", "d0.example", "d1.example",
	"d2.example", "d3.example", "d6.example", "d7.example" };
static const char *const r_asks[] = { "", "d0.example", "D1.EXAMPLE",
	"d2.example", "d3.example", "d4.example", "d6.example", "d7.example",
	"d8.example", "x.example", "d1.other" };
static const char *const r_types[] = { "exact", "substr", "fnmatch", "regex" };
static const char *const r_patterns[][3] = {
	{ "d0.example", "d4.example", "d7.example" },
	{ "d1", ".example", "other" },
	{ "d[0-4].*", "*.other", "d?.example" },
	{ "^d[5-9]\\.", "example$", "^x\\." },
};

/* random_model - rows and rules drawn at random, written to the store. */
static bool random_model(struct tstore *ts, struct model *m)
{
	static const int64_t vals[] = { -1, -1, -1, -1, 0, 1, 2, 3, 4, 5 };
	bool ok = tstore_clear(ts) == STORE_OK;

	m->nrow = 40;
	m->nrule = 16;
	for (int i = 0; i < m->nrow; i++) {
		struct crow *r = &m->row[i];
		r->id = i + 1;
		snprintf(r->ip, TEXT, "%s", r_ips[rnd(4)]);
		snprintf(r->dom, TEXT, "%s", r_doms[rnd(7)]);
		for (int k = 0; k < CAP_NLIMITS; k++) {
			r->null[k] = rnd(12) == 0;
			r->lim[k] = r->null[k] ? 0 : vals[rnd(10)];
		}
		ok &= write_cap_row(ts, r) == STORE_OK;
	}
	for (int i = 0; i < m->nrule; i++) {
		struct crule *u = &m->rule[i];
		int t = (int)rnd(4);
		*u = (struct crule){ .id = 100 + i, .capacity = 1 + rnd(44),
				     .priority = rnd(3) };
		snprintf(u->ip, TEXT, "%s", rnd(3) ? "" : r_ips[1 + rnd(3)]);
		snprintf(u->type, sizeof(u->type), "%s", r_types[t]);
		snprintf(u->pattern, TEXT, "%s", r_patterns[t][rnd(3)]);
		ok &= write_rule(ts, u) == STORE_OK;
	}
	return ok;
}

/* random_cases - precomputed lookups agree with the level walk. */
static void random_cases(struct tstore *ts, struct model *m)
{
	for (int round = 0; round < 8; round++) {
		int asked = 0, bad = 0;
		bool ok = random_model(ts, m) && tstore_ready(ts) == STORE_OK;

		for (int i = 0; ok && i < 4; i++)
			for (int d = 0; d < 11; d++) {
				struct capacity_limits got, ref;
				char g[512], w[512];
				store_lookup_capacity(&ts->c, r_ips[i],
						      r_asks[d], &got);
				reference(m, r_ips[i], r_asks[d],
					  ts->c.scratch, &ref);
				asked++;
				if (same(&got, &ref))
					continue;
				if (bad++ == 0) {
					describe(&got, g, sizeof(g));
					describe(&ref, w, sizeof(w));
					printf("# (%s, %s)\n# walk%s\n# got %s\n",
					       r_ips[i], r_asks[d], w, g);
				}
			}
		CHECK(ok && bad == 0 && asked == 44, "random data %d: %d asks "
		      "agree with the level walk (%d differ)", round, asked,
		      bad);
	}
}

static enum store_rc make_list(struct store_txn *txn, void *arg)
{
	(void)arg;
	return store_list_create(txn, "stalelist", (const uint8_t *)"k", 1);
}

/* staleness - a capacity write makes a set stale, a list write not. */
static void staleness(struct tstore *ts)
{
	struct crow r = { .id = 9999, .ip = "", .dom = "stale.example" };
	struct lookup_set *old;
	struct store_txn *txn;
	bool current = false;

	CHECK(tstore_ready(ts) == STORE_OK && lookup_set_current(ts->set,
	      ts->txn, &current) == STORE_OK && current,
	      "a fresh set is current");
	old = ts->set;
	ts->set = NULL;
	CHECK(store_write(ts->st, make_list, NULL, NULL) == STORE_OK &&
	      store_read_begin(ts->st, &txn) == STORE_OK &&
	      lookup_set_current(old, txn, &current) == STORE_OK && current,
	      "a list write leaves the set current");
	store_read_end(txn);
	tstore_release(ts);
	CHECK(write_cap_row(ts, &r) == STORE_OK &&
	      store_read_begin(ts->st, &txn) == STORE_OK &&
	      lookup_set_current(old, txn, &current) == STORE_OK && !current,
	      "a capacity write makes the set stale");
	store_read_end(txn);
	lookup_set_free(old);
}

int main(int argc, char **argv)
{
	static struct model m;
	struct tstore ts;
	int asks;

	if (!CHECK(tstore_open(&ts), "scratch store opened"))
		return check_done();
	asks = run_cases(&ts, &m, argc > 1 ? argv[1]
				  : "tests/unit/capacity_cases.txt");
	CHECK(asks >= 40, "%d asks run", asks);
	random_cases(&ts, &m);
	staleness(&ts);
	tstore_close(&ts);
	return check_done();
}
