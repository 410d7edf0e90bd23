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
 *	Building a set resolves levels 5-7 once per localip and indexes
 *	every domain that appears in a capacity row or an exact rule, and
 *	every (localip, domain) row; it matches no pattern, so its cost
 *	does not grow with rows times rules.  The first lookup of a known
 *	domain resolves its levels 2-4 (with one variant per localip that
 *	has a rule matching it) and the first lookup of a known pair its
 *	whole cascade; both are kept in the set (published with an atomic
 *	store, lock-free: two threads that race both compute the same
 *	answer and one is kept).  Later lookups of such a pair are one
 *	probe and a copy; any other pair merges at most three parts, plus
 *	a walk of the non-exact rules when its domain is unknown.
 * DIAGNOSTICS
 *	A rule whose capacity row does not exist, or whose pattern does
 *	not compile, is reported and skipped.
 */
#include <stdatomic.h>
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

struct cap_build {
	struct lookup_set *ls;
	struct cap_row *row;
	struct rule_row *rrow;
	size_t nrow, caprow, nrrow, caprrow;
	int first_limit;		/* column of domain_maxmessages */
	const struct cap_filter *filter;	/* NULL: every row */
	const struct cap_delta *delta;		/* NULL: a build of its own */
	int64_t *ref;			/* filter, delta: ids the rules name */
	uint32_t nkept;			/* rows inside the filter */
	bool nomem;
};

/*
 * filter_keeps - does the build take a row or rule with this localip
 *	(and domain, NULL for a rule)?  A single-shot build takes what
 *	may apply to its pair, an incremental one the rows of its domains.
 */
static bool filter_keeps(const struct cap_build *b, const char *ip,
			 size_t iplen, const char *dom, size_t domlen)
{
	const struct cap_filter *f = b->filter;

	if (b->delta)
		return !dom || (domlen && shash_find(b->delta->dirty, dom,
						      domlen, NULL, 0) >= 0);
	return !f || ((!iplen || text_fold_equal(ip, iplen, f->ip, f->iplen)) &&
		      (!dom || !domlen ||
		       text_fold_equal(dom, domlen, f->dom, f->domlen)));
}

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

static int id_order(const void *pa, const void *pb)
{
	int64_t a = *(const int64_t *)pa, b = *(const int64_t *)pb;

	return (a > b) - (a < b);
}

/* named_by_rule - filter: does a kept rule name capacity row id? */
static bool named_by_rule(const struct cap_build *b, int64_t id)
{
	return bsearch(&id, b->ref, b->nrrow, sizeof(*b->ref), id_order);
}

/* rule_refs - filter: the capacity ids the kept rules name, sorted. */
static bool rule_refs(struct cap_build *b)
{
	if (!(b->ref = malloc((b->nrrow + 1) * sizeof(*b->ref))))
		return false;
	for (size_t i = 0; i < b->nrrow; i++)
		b->ref[i] = b->rrow[i].capacity;
	qsort(b->ref, b->nrrow, sizeof(*b->ref), id_order);
	return true;
}

static int add_cap_row(const struct store_row *r, void *arg)
{
	struct cap_build *b = arg;
	struct cap_row *c;
	const char *ip, *dom;
	size_t iplen, domlen;

	ip = row_text(r, CAP_COL_IP, &iplen);
	dom = row_text(r, CAP_COL_DOMAIN, &domlen);
	if (!filter_keeps(b, ip, iplen, dom, domlen) &&
	    !named_by_rule(b, row_int(r, 0)))
		return 0;	/* a single-shot set needs it for nothing */

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
	c->ip = ip;
	c->iplen = iplen;
	c->dom = dom;
	c->domlen = domlen;
	c->skip = !filter_keeps(b, ip, iplen, dom, domlen);
	if (c->skip)
		c->iplen = c->domlen = 0;	/* not copied, never indexed */
	else
		b->nkept++;
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
	if (r->col[RULE_COL_PATTERN].kind != SV_TEXT) {
		lookup_report(b->ls, "capacity_rules id %lld: pattern is "
			      "NULL: skipped", (long long)u->id);
		return 0;
	}
	u->capacity = row_int(r, RULE_COL_CAPACITY);
	u->priority = row_int(r, RULE_COL_PRIORITY);
	u->ip = row_text(r, RULE_COL_IP, &u->iplen);
	if (text_is_any(u->ip, u->iplen))
		u->iplen = 0;		/* '*': the rule applies to any localip */
	if (!filter_keeps(b, u->ip, u->iplen, NULL, 0))
		return 0;	/* another localip's rule */
	u->pattern = row_text(r, RULE_COL_PATTERN, &u->patlen);
	u->type = row_text(r, RULE_COL_TYPE, &u->typelen);
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

const struct cap_row *cap_row_find(const struct cap_row *row, size_t n,
				   int64_t id)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (row[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && row[lo].id == id ? &row[lo] : NULL;
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
		const struct cap_row *c = cap_row_find(b->row, b->nrow,
						       u->capacity);
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
 * domain_variants - fill d from the nm rules in match (indexes, in
 *	order) that match a domain whose ('', domain) part is top: the
 *	base (rules for any localip) and one variant per localip.
 */
static void domain_variants(const struct lookup_set *ls,
			    const struct capacity_limits *top,
			    const int *match, int nm, struct dom_rules *d)
{
	d->base = *top;
	for (int k = 0; k < nm; k++)
		if (!ls->rule[match[k]].iplen)
			merge(&d->base, &ls->rule[match[k]].part);
	d->nvariant = 0;
	for (int k = 0; k < nm; k++) {
		const struct rule_info *rk = &ls->rule[match[k]];
		struct dom_variant *v;
		bool seen = false;

		for (int j = 0; j < k && !seen; j++) {
			const struct rule_info *rj = &ls->rule[match[j]];
			seen = text_fold_equal(rj->localip, rj->iplen,
					       rk->localip, rk->iplen);
		}
		if (!rk->iplen || seen)
			continue;
		v = &d->variant[d->nvariant++];
		*v = (struct dom_variant){ rk->localip, rk->iplen, *top };
		for (int j = k; j < nm; j++) {
			const struct rule_info *rj = &ls->rule[match[j]];
			if (text_fold_equal(rj->localip, rj->iplen,
					    rk->localip, rk->iplen))
				merge(&v->part, &rj->part);
		}
		merge(&v->part, &d->base);
	}
}

/*
 * matching_rules - the indexes of the rules matching dom, in order,
 *	into match (room for every rule); their count.  The set's
 *	prefilter (store/match.h) names the candidates.
 */
static int matching_rules(const struct lookup_set *ls,
			  struct pattern_scratch *sc, const char *dom,
			  size_t len, int *match)
{
	int nm = 0;

	for (int i = pattern_set_next(ls->rules, 0, dom, len, sc); i >= 0;
	     i = pattern_set_next(ls->rules, i + 1, dom, len, sc))
		match[nm++] = i;
	return nm;
}

/*
 * resolve_domain - levels 2-4 of a known domain: top merged with the
 *	rules for any localip, and one variant per localip that has a
 *	rule matching it.  NULL when out of memory.
 */
static struct dom_rules *resolve_domain(const struct lookup_set *ls,
					struct pattern_scratch *sc,
					const struct capacity_limits *top,
					const char *dom, size_t len)
{
	int *match = malloc(((size_t)pattern_set_count(ls->rules) + 1) *
			    sizeof(*match));
	struct dom_rules *d = NULL;
	int nm = 0;

	if (!match)
		return NULL;
	nm = matching_rules(ls, sc, dom, len, match);
	if ((d = malloc(sizeof(*d) + (size_t)nm * sizeof(d->variant[0]))))
		domain_variants(ls, top, match, nm, d);
	free(match);
	return d;
}

/*
 * domain_rules - the resolved levels 2-4 of known domain d, resolved
 *	now when no lookup did yet; NULL when out of memory.
 */
static const struct dom_rules *domain_rules(const struct lookup_set *ls,
					    struct pattern_scratch *sc,
					    struct dom_info *d,
					    const char *dom, size_t len)
{
	struct dom_rules *r = atomic_load_explicit(&d->rules,
						   memory_order_acquire);
	struct dom_rules *none = NULL;

	if (r || !(r = resolve_domain(ls, sc, &d->top, dom, len)))
		return r;
	if (atomic_compare_exchange_strong_explicit(&d->rules, &none, r,
						    memory_order_acq_rel,
						    memory_order_acquire))
		return r;
	free(r);		/* another thread was first: keep its */
	return none;
}

/* domain_part - the part of resolved domain r for localip ip. */
static const struct capacity_limits *domain_part(const struct dom_rules *r,
						 const char *ip, size_t iplen)
{
	for (uint32_t i = 0; iplen && i < r->nvariant; i++)
		if (text_fold_equal(r->variant[i].localip,
				    r->variant[i].iplen, ip, iplen))
			return &r->variant[i].part;
	return &r->base;
}

/*
 * resolve_rest - levels 2 to 6 for key k into out: from the known
 *	domain's resolved part, walking the rules for an unknown domain
 *	(or a known one when memory ran out).
 */
static void resolve_rest(const struct lookup_set *ls,
			 struct pattern_scratch *sc, const struct cap_key *k,
			 struct capacity_limits *out)
{
	const char *ip = k->ip, *dom = k->dom;
	size_t iplen = k->iplen, domlen = k->domlen;
	const struct dom_rules *r = NULL;
	int64_t v;

	if (domlen && (v = shash_find_hashed(&ls->dom, k->hdom, dom, domlen,
					     NULL, 0)) >= 0) {
		struct dom_info *d = &ls->dom_val[v];
		if (!(r = domain_rules(ls, sc, d, dom, domlen)))
			merge(out, &d->top);
	}
	if (r)
		merge(out, domain_part(r, ip, iplen));
	else if (domlen) {
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

/*
 * add_domain - index dom unless known, with its ('', domain) row when
 *	row is not NULL; false: out of memory.
 */
static bool add_domain(struct cap_build *b, const char *dom, size_t len,
		       const struct cap_row *row)
{
	struct lookup_set *ls = b->ls;
	uint32_t n = ls->dom.n, have;

	if (!shash_put(ls, &ls->dom, dom, len, NULL, 0, n, &have))
		return false;
	if (have != n)
		return true;	/* known already */
	if (row)
		row_part(row->lim, row->id, CAPLVL_DOMAIN, &ls->dom_val[n].top);
	else
		unresolved(&ls->dom_val[n].top);
	return true;
}

/* build_ip_levels - the ('', '') part and each localip's. */
static bool build_ip_levels(struct cap_build *b)
{
	struct lookup_set *ls = b->ls;
	uint32_t nr = b->nkept;

	if (!shash_init(&ls->ip, nr) ||
	    !(ls->ip_val = calloc(nr + 1, sizeof(*ls->ip_val))))
		return false;
	unresolved(&ls->any);
	for (size_t i = 0; i < b->nrow; i++)
		if (!b->row[i].skip && !b->row[i].iplen && !b->row[i].domlen) {
			row_part(b->row[i].lim, b->row[i].id, CAPLVL_ANY,
				 &ls->any);
			break;
		}
	for (size_t i = 0; i < b->nrow; i++) {
		const struct cap_row *c = &b->row[i];
		uint32_t n = ls->ip.n, have;
		if (!c->iplen || c->domlen)
			continue;
		if (!shash_put(ls, &ls->ip, c->ip, c->iplen, NULL, 0, n, &have))
			return false;
		if (have != n)
			continue;
		row_part(c->lim, c->id, CAPLVL_IP, &ls->ip_val[n]);
		merge(&ls->ip_val[n], &ls->any);
	}
	return true;
}

/* add_dirty - an incremental build: each of its domains is its own. */
static bool add_dirty(struct cap_build *b)
{
	const struct shash *d = b->delta->dirty;

	for (uint32_t i = 0; i <= d->mask; i++)
		if (d->e[i].key &&
		    !add_domain(b, d->e[i].key, d->e[i].klen, NULL))
			return false;
	return true;
}

/*
 * build_levels - the ('', ''), localip and domain parts; an
 *	incremental build shares its base's ('', '') and localip parts.
 */
static bool build_levels(struct cap_build *b)
{
	struct lookup_set *ls = b->ls;
	const struct lookup_set *base = b->delta ? b->delta->base : NULL;
	uint32_t nr = b->nkept, nrules = (uint32_t)b->nrrow;
	uint32_t ndirty = b->delta ? b->delta->dirty->n : 0;

	if (!shash_init(&ls->dom, nr + nrules + ndirty) ||
	    !shash_init(&ls->full, nr) ||
	    !(ls->dom_val = calloc(nr + nrules + ndirty + 1,
				   sizeof(*ls->dom_val))) ||
	    !(ls->pair_val = calloc(nr + 1, sizeof(*ls->pair_val))) ||
	    !(ls->pair_memo = calloc(nr + 1, sizeof(*ls->pair_memo))))
		return false;
	if (base) {
		ls->any = base->any;
		ls->ip = base->ip;
		ls->ip_val = base->ip_val;
	} else if (!build_ip_levels(b))
		return false;
	for (size_t i = 0; i < b->nrow; i++) {
		const struct cap_row *c = &b->row[i];
		if (!c->skip && !c->iplen && c->domlen &&
		    !add_domain(b, c->dom, c->domlen, c))
			return false;
	}
	for (size_t i = 0; i < b->nrow; i++)
		if (b->row[i].domlen &&
		    !add_domain(b, b->row[i].dom, b->row[i].domlen, NULL))
			return false;
	return !b->delta || add_dirty(b);
}

/* build_exact_rule_domains - the domains exact rules name are known too. */
static bool build_exact_rule_domains(struct cap_build *b)
{
	for (size_t i = 0; i < b->nrrow; i++) {
		const struct rule_row *u = &b->rrow[i];
		enum pattern_type t;
		if (u->patlen &&
		    filter_keeps(b, NULL, 0, u->pattern, u->patlen) &&
		    pattern_type_parse(u->type, u->typelen, PATTERN_EXACT, &t) &&
		    t == PATTERN_EXACT &&
		    !add_domain(b, u->pattern, u->patlen, NULL))
			return false;
	}
	return true;
}

/* build_pairs - index every (localip, domain) row; resolved on lookup. */
static bool build_pairs(struct cap_build *b)
{
	struct lookup_set *ls = b->ls;

	for (size_t i = 0; i < b->nrow; i++) {
		const struct cap_row *c = &b->row[i];
		uint32_t n = ls->full.n, have;

		if (!c->iplen || !c->domlen)
			continue;
		if (!shash_put(ls, &ls->full, c->ip, c->iplen, c->dom,
			       c->domlen, n, &have))
			return false;
		if (have == n)
			row_part(c->lim, c->id, CAPLVL_IP_DOMAIN,
				 &ls->pair_val[n]);
	}
	return true;
}

/* share_rules - an incremental build without rule changes: its base's. */
static void share_rules(struct lookup_set *ls, const struct lookup_set *base)
{
	ls->rules = base->rules;
	ls->rule = base->rule;
	ls->skipped += base->skipped;
}

/* keep_rows - a full build keeps its rows and rules for the next ones. */
static void keep_rows(struct lookup_set *ls, struct cap_build *b)
{
	ls->cap_row = b->row;
	ls->ncap_row = (uint32_t)b->nrow;
	ls->cap_rule = b->rrow;
	ls->ncap_rule = (uint32_t)b->nrrow;
	b->row = NULL;
	b->rrow = NULL;
}

enum store_rc capacity_build(struct lookup_set *ls, struct store_txn *txn,
			     const struct cap_filter *filter,
			     const struct cap_delta *delta)
{
	struct cap_build b = { .ls = ls, .filter = filter, .delta = delta };
	bool rules = !delta || delta->rules;
	enum store_rc rc = STORE_OK;

	if (delta) {
		lookup_set_hold(delta->base);
		ls->cap_base = delta->base;
		ls->own_rules = rules;
	}
	b.first_limit = reg_column_index(reg_mailerq_find("capacity"),
					 limit_names[0]);
	if (rules)
		rc = store_scan(txn, "capacity_rules", NULL, 0, add_rule_row,
				&b);
	if (rc == STORE_OK && filter &&
	    !rules_for_domain(b.rrow, &b.nrrow, filter->dom, filter->domlen))
		b.nomem = true;
	if (rc == STORE_OK && (filter || delta) && !rule_refs(&b))
		b.nomem = true;
	if (rc == STORE_OK && !b.nomem)
		rc = store_scan(txn, "capacity", NULL, 0, add_cap_row, &b);
	if (rc == STORE_OK && b.nomem)
		rc = store_fail(txn->st, STORE_INTERNAL, "out of memory");
	if (rc == STORE_OK && rules)
		rc = compile_rules(&b, txn->st);
	else if (rc == STORE_OK)
		share_rules(ls, delta->base);
	if (rc == STORE_OK && (!build_levels(&b) ||
			       !build_exact_rule_domains(&b) ||
			       !build_pairs(&b)))
		rc = store_fail(txn->st, STORE_INTERNAL, "out of memory");
	if (rc == STORE_OK && !filter && !delta)
		keep_rows(ls, &b);
	free(b.ref);
	free(b.row);
	free(b.rrow);
	return rc;
}

/* let_go_of_base - an incremental part lets go of what its base owns. */
static void let_go_of_base(struct lookup_set *ls)
{
	if (!ls->own_rules) {
		ls->rules = NULL;
		ls->rule = NULL;
	}
	ls->ip = (struct shash){ 0 };
	ls->ip_val = NULL;
	store_lookups_release(ls->cap_base);
	ls->cap_base = NULL;
}

void capacity_free(struct lookup_set *ls)
{
	if (ls->cap_base)
		let_go_of_base(ls);
	for (uint32_t i = 0; ls->dom_val && i < ls->dom.n; i++)
		free(atomic_load_explicit(&ls->dom_val[i].rules,
					  memory_order_relaxed));
	shash_free(&ls->full);
	shash_free(&ls->dom);
	shash_free(&ls->ip);
	free(ls->pair_val);
	free(ls->pair_memo);
	free(ls->ip_val);
	free(ls->dom_val);
	free(ls->rule);
	free(ls->cap_row);
	free(ls->cap_rule);
	pattern_set_free(ls->rules);
}

/*
 * pair_limits - the whole cascade of known pair v: kept from the first
 *	lookup that resolved it, else resolved now and kept.
 */
static void pair_limits(const struct lookup_set *ls,
			struct pattern_scratch *sc, const struct cap_key *k,
			int64_t v, struct capacity_limits *out)
{
	struct pair_memo *p = &ls->pair_memo[v];
	int state = PAIR_UNRESOLVED;

	if (atomic_load_explicit(&p->state, memory_order_acquire) ==
	    PAIR_RESOLVED) {
		*out = p->resolved;
		return;
	}
	*out = ls->pair_val[v];
	resolve_rest(ls, sc, k, out);
	finish(out);
	if (atomic_compare_exchange_strong_explicit(&p->state, &state,
						    PAIR_WRITING,
						    memory_order_acquire,
						    memory_order_relaxed)) {
		p->resolved = *out;
		atomic_store_explicit(&p->state, PAIR_RESOLVED,
				      memory_order_release);
	}
}

/*
 * capacity_view - the part that answers for k's domain: an incremental
 *	part for the domains it resolved again and those no build knows
 *	(its rules are the current ones), its base for the others.
 */
static const struct lookup_set *capacity_view(const struct lookup_set *ls,
					      const struct cap_key *k)
{
	const struct lookup_set *base = ls->cap_base;

	if (base && k->domlen &&
	    shash_find_hashed(&ls->dom, k->hdom, k->dom, k->domlen, NULL,
			      0) < 0 &&
	    shash_find_hashed(&base->dom, k->hdom, k->dom, k->domlen, NULL,
			      0) >= 0)
		return base;
	return ls;
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
	ls = capacity_view(ls, &k);
	if (iplen && domlen &&
	    (v = shash_find_hashed(&ls->full, shash_hash2(k.hip, k.hdom),
				   localip, iplen, domain, domlen)) >= 0) {
		pair_limits(ls, c->scratch, &k, v, out);
		return STORE_OK;
	}
	unresolved(out);
	resolve_rest(ls, c->scratch, &k, out);
	finish(out);
	return STORE_OK;
}
