/*
 * NAME
 *	lookup_capacity.c - the capacity cascade, resolved when a set is built
 * SYNOPSIS
 *	#include "store/store.h"
 *
 *	store_lookup_capacity(&ctx, localip, domain, &limits);
 * DESCRIPTION
 *	The cascade (DESIGN.md section 5) takes each limit column from the
 *	first of these levels that does not say -1:
 *		1. the (localip, domain) row
 *		2. the ('', domain) row
 *		3. capacity_rules matching domain with this localip,
 *		   by priority then id
 *		4. capacity_rules matching domain with an empty localip
 *		5. the (localip, '') row
 *		6. the ('', '') row
 *		7. CAPACITY_DEFAULT
 *	Several rows with the same (localip, domain): the lowest id wins.
 *	An empty domain skips levels 2-4; an empty localip skips 3 and 5.
 *
 *	Building a set resolves levels 2-4 once per domain that appears in
 *	a capacity row or an exact rule (with one variant per localip that
 *	has a rule matching it), levels 5-7 once per localip, and the
 *	whole cascade for every (localip, domain) row.  A lookup of such a
 *	pair is one probe and a copy; any other pair merges at most three
 *	precomputed parts, plus a walk of the non-exact rules when its
 *	domain is unknown.
 * DIAGNOSTICS
 *	A rule whose capacity row does not exist, or whose pattern does
 *	not compile, is reported and skipped.
 */
#include <stdlib.h>
#include <string.h>

#include "store/lookup_internal.h"

static const char *const limit_names[CAP_NLIMITS] = {
	"domain_maxmessages", "domain_maxconnects", "domain_maxconnections",
	"ip_maxmessages", "ip_maxconnects", "ip_maxconnections",
	"connection_maxmessages", "connection_maxidletime", "secure",
};

static const char *const level_names[] = {
	[CAPLVL_IP_DOMAIN] = "localip+domain", [CAPLVL_DOMAIN] = "domain",
	[CAPLVL_RULE_IP] = "rule+localip", [CAPLVL_RULE] = "rule",
	[CAPLVL_IP] = "localip", [CAPLVL_ANY] = "any",
	[CAPLVL_DEFAULT] = "default",
};

const char *capacity_limit_name(enum capacity_limit l)
{
	return l < CAP_NLIMITS ? limit_names[l] : "?";
}

const char *capacity_level_name(enum capacity_level l)
{
	return l <= CAPLVL_DEFAULT ? level_names[l] : "?";
}

/* A capacity row as the build needs it. */
struct cap_row {
	int64_t id;
	const char *ip, *dom;
	size_t iplen, domlen;
	int64_t lim[CAP_NLIMITS];
};

/* A capacity_rules row before it is ordered and compiled. */
struct rule_row {
	int64_t id, capacity, priority;
	const char *ip, *pattern, *type;
	size_t iplen, patlen, typelen;
};

struct cap_build {
	struct lookup_set *ls;
	struct cap_row *row;
	struct rule_row *rrow;
	size_t nrow, caprow, nrrow, caprrow;
	int first_limit;		/* column of domain_maxmessages */
	struct shash domrow;		/* domain -> ('', domain) row */
	int *match;			/* rules matching one domain */
	uint32_t capvariant;
	struct pattern_scratch *sc;
	bool nomem;
};

/* unresolved - a part with every limit at -1. */
static void unresolved(struct capacity_limits *p)
{
	for (int i = 0; i < CAP_NLIMITS; i++) {
		p->limit[i] = -1;
		p->from_id[i] = 0;
		p->level[i] = CAPLVL_DEFAULT;
	}
}

/* merge - fill the columns of out still at -1 from src. */
static inline void merge(struct capacity_limits *out,
			 const struct capacity_limits *src)
{
	for (int i = 0; i < CAP_NLIMITS; i++)
		if (out->limit[i] == -1 && src->limit[i] != -1) {
			out->limit[i] = src->limit[i];
			out->from_id[i] = src->from_id[i];
			out->level[i] = src->level[i];
		}
}

/* finish - what is still -1 takes the default. */
static inline void finish(struct capacity_limits *out)
{
	for (int i = 0; i < CAP_NLIMITS; i++)
		if (out->limit[i] == -1) {
			out->limit[i] = CAPACITY_DEFAULT;
			out->from_id[i] = 0;
			out->level[i] = CAPLVL_DEFAULT;
		}
}

/* row_part - the limits of row r as a part of level lvl. */
static void row_part(const int64_t lim[CAP_NLIMITS], int64_t id,
		     enum capacity_level lvl, struct capacity_limits *p)
{
	for (int i = 0; i < CAP_NLIMITS; i++) {
		p->limit[i] = lim[i];
		p->from_id[i] = id;
		p->level[i] = (uint8_t)lvl;
	}
}

static int add_cap_row(const struct store_row *r, void *arg)
{
	struct cap_build *b = arg;
	struct cap_row *c;

	if (b->nrow == b->caprow) {
		size_t cap = b->caprow ? b->caprow * 2 : 256;
		struct cap_row *n = realloc(b->row, cap * sizeof(*n));
		if (!n)
			goto nomem;
		b->row = n;
		b->caprow = cap;
	}
	c = &b->row[b->nrow];
	c->id = row_int(r, 0);
	c->ip = row_text(r, 2, &c->iplen);
	c->dom = row_text(r, 3, &c->domlen);
	if (!(c->ip = arena_copy(b->ls, c->ip, c->iplen)) ||
	    !(c->dom = arena_copy(b->ls, c->dom, c->domlen)))
		goto nomem;
	for (int i = 0; i < CAP_NLIMITS; i++)
		c->lim[i] = row_int(r, b->first_limit + i);
	b->nrow++;
	return 0;
nomem:
	b->nomem = true;
	return 1;
}

static int add_rule_row(const struct store_row *r, void *arg)
{
	struct cap_build *b = arg;
	struct rule_row *u;

	if (b->nrrow == b->caprrow) {
		size_t cap = b->caprrow ? b->caprrow * 2 : 64;
		struct rule_row *n = realloc(b->rrow, cap * sizeof(*n));
		if (!n)
			goto nomem;
		b->rrow = n;
		b->caprrow = cap;
	}
	u = &b->rrow[b->nrrow];
	u->id = row_int(r, 0);
	if (r->col[3].kind != SV_TEXT) {
		lookup_report(b->ls, "capacity_rules id %lld: pattern is "
			      "NULL: skipped", (long long)u->id);
		return 0;
	}
	u->capacity = row_int(r, 1);
	u->priority = row_int(r, 5);
	u->ip = row_text(r, 2, &u->iplen);
	if (text_is_any(u->ip, u->iplen))
		u->iplen = 0;		/* '*': the rule applies to any localip */
	u->pattern = row_text(r, 3, &u->patlen);
	u->type = row_text(r, 4, &u->typelen);
	if (!(u->ip = arena_copy(b->ls, u->ip, u->iplen)) ||
	    !(u->pattern = arena_copy(b->ls, u->pattern, u->patlen)) ||
	    !(u->type = arena_copy(b->ls, u->type, u->typelen)))
		goto nomem;
	b->nrrow++;
	return 0;
nomem:
	b->nomem = true;
	return 1;
}

static int rule_order(const void *pa, const void *pb)
{
	const struct rule_row *a = pa, *b = pb;

	if (a->priority != b->priority)
		return a->priority < b->priority ? -1 : 1;
	return (a->id > b->id) - (a->id < b->id);
}

/* find_row - the capacity row with that id (rows are in id order). */
static const struct cap_row *find_row(const struct cap_build *b, int64_t id)
{
	size_t lo = 0, hi = b->nrow;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (b->row[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < b->nrow && b->row[lo].id == id ? &b->row[lo] : NULL;
}

/* compile_rules - order the rules and compile their domain patterns. */
static enum store_rc compile_rules(struct cap_build *b, struct store *st)
{
	struct lookup_set *ls = b->ls;

	if (b->nrrow)
		qsort(b->rrow, b->nrrow, sizeof(*b->rrow), rule_order);
	ls->rules = pattern_set_new("capacity_rules", PATTERN_FOLD,
				    ls->report, ls->arg);
	ls->rule = calloc(b->nrrow + 1, sizeof(*ls->rule));
	if (!ls->rules || !ls->rule)
		return store_fail(st, STORE_INTERNAL, "out of memory");
	for (size_t i = 0; i < b->nrrow; i++) {
		const struct rule_row *u = &b->rrow[i];
		const struct cap_row *c = find_row(b, u->capacity);
		int n = pattern_set_count(ls->rules);
		enum pattern_rc prc;

		if (!c) {
			lookup_report(ls, "capacity_rules id %lld: capacity "
				      "row %lld does not exist: skipped",
				      (long long)u->id, (long long)u->capacity);
			continue;
		}
		prc = pattern_set_add(ls->rules, u->id, u->type, u->typelen,
				      PATTERN_EXACT, u->pattern, u->patlen);
		if (prc == PATTERN_BAD)
			ls->skipped++;
		if (prc == PATTERN_NOMEM)
			return store_fail(st, STORE_INTERNAL, "out of memory");
		if (prc != PATTERN_OK)
			continue;
		ls->rule[n].localip = u->ip;
		ls->rule[n].iplen = u->iplen;
		row_part(c->lim, u->id, u->iplen ? CAPLVL_RULE_IP : CAPLVL_RULE,
			 &ls->rule[n].part);
	}
	if (pattern_set_finish(ls->rules))
		return store_fail(st, STORE_INTERNAL, "out of memory");
	return STORE_OK;
}

/* merge_rules - merge the rules matching domain of one kind, in order. */
static void merge_rules(const struct lookup_set *ls, struct pattern_scratch *sc,
			const char *ip, size_t iplen, const char *dom,
			size_t domlen, struct capacity_limits *out)
{
	for (int i = pattern_set_next(ls->rules, 0, dom, domlen, sc); i >= 0;
	     i = pattern_set_next(ls->rules, i + 1, dom, domlen, sc)) {
		const struct rule_info *r = &ls->rule[i];
		if (text_fold_equal(r->localip, r->iplen, ip, iplen))
			merge(out, &r->part);
	}
}

/* The arguments of one capacity lookup, with their hashes. */
struct cap_key {
	const char *ip, *dom;
	size_t iplen, domlen;
	uint32_t hip, hdom;
};

static void cap_key(struct cap_key *k, const char *ip, size_t iplen,
		    const char *dom, size_t domlen)
{
	*k = (struct cap_key){ ip, dom, iplen, domlen, shash_hash(ip, iplen),
			       shash_hash(dom, domlen) };
}

/*
 * resolve_rest - levels 2 to 6 for key k into out: from the
 *	precomputed parts, walking the rules only for an unknown domain.
 */
static void resolve_rest(const struct lookup_set *ls,
			 struct pattern_scratch *sc, const struct cap_key *k,
			 struct capacity_limits *out)
{
	const char *ip = k->ip, *dom = k->dom;
	size_t iplen = k->iplen, domlen = k->domlen;
	int64_t v;

	if (domlen && (v = shash_find_hashed(&ls->dom, k->hdom, dom, domlen,
					     NULL, 0)) >= 0) {
		const struct dom_info *d = &ls->dom_val[v];
		const struct capacity_limits *part = &d->base;

		for (uint32_t i = 0; iplen && i < d->nvariant; i++) {
			const struct dom_variant *dv =
				&ls->variant[d->first_variant + i];
			if (text_fold_equal(dv->localip, dv->iplen, ip, iplen)) {
				part = &dv->part;
				break;
			}
		}
		merge(out, part);
	} else if (domlen) {
		if (iplen)
			merge_rules(ls, sc, ip, iplen, dom, domlen, out);
		merge_rules(ls, sc, "", 0, dom, domlen, out);
	}
	if (iplen && (v = shash_find_hashed(&ls->ip, k->hip, ip, iplen, NULL,
					    0)) >= 0)
		merge(out, &ls->ip_val[v]);
	else
		merge(out, &ls->any);
}

/* push_variant - room for one more domain variant; NULL: no memory. */
static struct dom_variant *push_variant(struct cap_build *b)
{
	struct lookup_set *ls = b->ls;

	if (ls->nvariant == b->capvariant) {
		uint32_t cap = b->capvariant ? b->capvariant * 2 : 64;
		struct dom_variant *n = realloc(ls->variant, cap * sizeof(*n));
		if (!n)
			return NULL;
		ls->variant = n;
		b->capvariant = cap;
	}
	return &ls->variant[ls->nvariant++];
}

/* resolve_domain - levels 2-4 of a known domain, with its variants. */
static bool resolve_domain(struct cap_build *b, const char *dom, size_t len,
			   struct dom_info *d)
{
	struct lookup_set *ls = b->ls;
	int64_t r = shash_find(&b->domrow, dom, len, NULL, 0);
	int nm = 0;
	struct capacity_limits top;

	unresolved(&top);
	if (r >= 0)
		row_part(b->row[r].lim, b->row[r].id, CAPLVL_DOMAIN, &top);
	for (int i = pattern_set_next(ls->rules, 0, dom, len, b->sc); i >= 0;
	     i = pattern_set_next(ls->rules, i + 1, dom, len, b->sc))
		b->match[nm++] = i;
	d->base = top;
	for (int k = 0; k < nm; k++)
		if (!ls->rule[b->match[k]].iplen)
			merge(&d->base, &ls->rule[b->match[k]].part);
	d->first_variant = ls->nvariant;
	d->nvariant = 0;
	for (int k = 0; k < nm; k++) {
		const struct rule_info *rk = &ls->rule[b->match[k]];
		struct dom_variant *v;
		bool seen = false;

		for (int j = 0; j < k && !seen; j++) {
			const struct rule_info *rj = &ls->rule[b->match[j]];
			seen = text_fold_equal(rj->localip, rj->iplen,
					       rk->localip, rk->iplen);
		}
		if (!rk->iplen || seen)
			continue;
		if (!(v = push_variant(b)))
			return false;
		*v = (struct dom_variant){ rk->localip, rk->iplen, top };
		for (int j = k; j < nm; j++) {
			const struct rule_info *rj = &ls->rule[b->match[j]];
			if (text_fold_equal(rj->localip, rj->iplen,
					    rk->localip, rk->iplen))
				merge(&v->part, &rj->part);
		}
		merge(&v->part, &d->base);
		d->nvariant++;
	}
	return true;
}

/* add_domain - precompute dom unless known; false: out of memory. */
static bool add_domain(struct cap_build *b, const char *dom, size_t len)
{
	struct lookup_set *ls = b->ls;
	uint32_t n = ls->dom.n;

	if (shash_find(&ls->dom, dom, len, NULL, 0) >= 0)
		return true;
	return shash_add(ls, &ls->dom, dom, len, NULL, 0, n) &&
	       resolve_domain(b, dom, len, &ls->dom_val[n]);
}

/* build_levels - the ('', ''), localip and domain parts, then pairs. */
static bool build_levels(struct cap_build *b)
{
	struct lookup_set *ls = b->ls;
	uint32_t nr = (uint32_t)b->nrow, nrules = (uint32_t)b->nrrow;
	bool have_any = false;

	if (!shash_init(&ls->ip, nr) || !shash_init(&ls->dom, nr + nrules) ||
	    !shash_init(&ls->full, nr) || !shash_init(&b->domrow, nr) ||
	    !(ls->ip_val = calloc(nr + 1, sizeof(*ls->ip_val))) ||
	    !(ls->dom_val = calloc(nr + nrules + 1, sizeof(*ls->dom_val))) ||
	    !(ls->full_val = calloc(nr + 1, sizeof(*ls->full_val))) ||
	    !(b->match = calloc(nrules + 1, sizeof(*b->match))))
		return false;
	unresolved(&ls->any);
	for (size_t i = 0; i < b->nrow; i++) {
		const struct cap_row *c = &b->row[i];
		if (!c->iplen && !c->domlen && !have_any) {
			row_part(c->lim, c->id, CAPLVL_ANY, &ls->any);
			have_any = true;
		}
		if (!c->iplen && c->domlen &&
		    !shash_add(ls, &b->domrow, c->dom, c->domlen, NULL, 0,
			       (uint32_t)i))
			return false;
	}
	for (size_t i = 0; i < b->nrow; i++) {
		const struct cap_row *c = &b->row[i];
		uint32_t n = ls->ip.n;
		if (!c->iplen || c->domlen ||
		    shash_find(&ls->ip, c->ip, c->iplen, NULL, 0) >= 0)
			continue;
		if (!shash_add(ls, &ls->ip, c->ip, c->iplen, NULL, 0, n))
			return false;
		row_part(c->lim, c->id, CAPLVL_IP, &ls->ip_val[n]);
		merge(&ls->ip_val[n], &ls->any);
	}
	for (size_t i = 0; i < b->nrow; i++)
		if (b->row[i].domlen &&
		    !add_domain(b, b->row[i].dom, b->row[i].domlen))
			return false;
	return true;
}

/* build_exact_rule_domains - the domains exact rules name are known too. */
static bool build_exact_rule_domains(struct cap_build *b)
{
	for (size_t i = 0; i < b->nrrow; i++) {
		const struct rule_row *u = &b->rrow[i];
		enum pattern_type t;
		if (u->patlen &&
		    pattern_type_parse(u->type, u->typelen, PATTERN_EXACT, &t) &&
		    t == PATTERN_EXACT && !add_domain(b, u->pattern, u->patlen))
			return false;
	}
	return true;
}

/* build_pairs - the whole cascade of every (localip, domain) row. */
static bool build_pairs(struct cap_build *b)
{
	struct lookup_set *ls = b->ls;

	for (size_t i = 0; i < b->nrow; i++) {
		const struct cap_row *c = &b->row[i];
		uint32_t n = ls->full.n;
		struct capacity_limits *out = &ls->full_val[n];
		struct cap_key k;

		if (!c->iplen || !c->domlen ||
		    shash_find(&ls->full, c->ip, c->iplen, c->dom,
			       c->domlen) >= 0)
			continue;
		if (!shash_add(ls, &ls->full, c->ip, c->iplen, c->dom,
			       c->domlen, n))
			return false;
		row_part(c->lim, c->id, CAPLVL_IP_DOMAIN, out);
		cap_key(&k, c->ip, c->iplen, c->dom, c->domlen);
		resolve_rest(ls, b->sc, &k, out);
		finish(out);
	}
	return true;
}

enum store_rc capacity_build(struct lookup_set *ls, struct store_txn *txn)
{
	struct cap_build b = { .ls = ls };
	enum store_rc rc;

	b.first_limit = reg_column_index(reg_mailerq_find("capacity"),
					 limit_names[0]);
	rc = store_scan(txn, "capacity", NULL, 0, add_cap_row, &b);
	if (rc == STORE_OK)
		rc = store_scan(txn, "capacity_rules", NULL, 0, add_rule_row,
				&b);
	if (rc == STORE_OK && b.nomem)
		rc = store_fail(txn->st, STORE_INTERNAL, "out of memory");
	if (rc == STORE_OK)
		rc = compile_rules(&b, txn->st);
	if (rc == STORE_OK && (!(b.sc = pattern_scratch_new()) ||
			       !build_levels(&b) ||
			       !build_exact_rule_domains(&b) ||
			       !build_pairs(&b)))
		rc = store_fail(txn->st, STORE_INTERNAL, "out of memory");
	pattern_scratch_free(b.sc);
	shash_free(&b.domrow);
	free(b.match);
	free(b.row);
	free(b.rrow);
	return rc;
}

void capacity_free(struct lookup_set *ls)
{
	shash_free(&ls->full);
	shash_free(&ls->dom);
	shash_free(&ls->ip);
	free(ls->full_val);
	free(ls->ip_val);
	free(ls->dom_val);
	free(ls->variant);
	free(ls->rule);
	pattern_set_free(ls->rules);
}

enum store_rc store_lookup_capacity(const struct lookup_ctx *c,
				    const char *localip, const char *domain,
				    struct capacity_limits *out)
{
	const struct lookup_set *ls = c->set;
	size_t iplen = strlen(localip), domlen = strlen(domain);
	struct cap_key k;
	int64_t v;

	if (iplen > REG_KEY_TEXT_MAX || domlen > REG_KEY_TEXT_MAX)
		return store_fail(c->txn->st, STORE_BADDATA, "capacity lookup: "
				  "localip or domain longer than %d bytes",
				  REG_KEY_TEXT_MAX);
	cap_key(&k, localip, iplen, domain, domlen);
	if (iplen && domlen &&
	    (v = shash_find_hashed(&ls->full, shash_hash2(k.hip, k.hdom),
				   localip, iplen, domain, domlen)) >= 0) {
		*out = ls->full_val[v];
		return STORE_OK;
	}
	unresolved(out);
	resolve_rest(ls, c->scratch, &k, out);
	finish(out);
	return STORE_OK;
}
