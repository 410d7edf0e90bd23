/*
 * NAME
 *	pattern.c - exact, substr, fnmatch and regex patterns, compiled once
 * SYNOPSIS
 *	#include "store/pattern.h"
 * DESCRIPTION
 *	A set keeps its patterns in the order added.  Exact patterns are
 *	chained in a hash table by their (folded) bytes, each chain in
 *	ascending index order; the other types are listed in ascending
 *	index order and indexed by a matcher (match.h), whose candidates
 *	for a subject pattern_set_next tries in index order up to the
 *	first exact hit.  pattern_set_next_reference tries every one of
 *	them instead: the same answer, slower, for the tests and for a
 *	subject with more candidates than the scratch holds.
 * DIAGNOSTICS
 *	See pattern.h: refused patterns are reported through the set's
 *	report function and skipped.
 */
#define PCRE2_CODE_UNIT_WIDTH 8

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fnmatch.h>
#include <pcre2.h>

#include "store/match.h"
#include "store/store.h"

#define REPORT_MAX	512	/* bytes of one report line */
#define SHOWN_MAX	80	/* bytes of a pattern shown in a report */
#define PATTERN_CANDIDATES_MAX	256	/* candidates of one subject */
#define PATTERN_CACHED_MAX	1024	/* bytes of a subject cached */

struct pattern {
	int64_t id;
	enum pattern_type type;
	char *text;		/* NUL-terminated copy */
	size_t len;
	pcre2_code *re;		/* PATTERN_REGEX */
	bool glob;		/* fnmatch with no '[' or '\\': glob_match */
};

struct pattern_set {
	const char *table;
	unsigned flags;
	pattern_report_fn report;
	void *arg;
	struct pattern *p;
	int n, cap, skipped;
	uint32_t *bucket;	/* exact: first index + 1 of the chain, 0 */
	int *chain;		/* exact: next index in the chain, -1 */
	uint32_t nbucket;	/* a power of two */
	int *other;		/* indexes of non-exact patterns, ascending */
	int nother;
	struct matcher *matcher;	/* candidates among other */
	uint64_t serial;		/* names the set in scratch caches */
	bool finished;
};

/*
 * The candidates of the last subject, kept for the calls of one walk
 * (pattern_set_next from 0, then from each match + 1), with each
 * candidate's verdict once known: -1 not tried, 0 no, 1 yes.
 */
struct pattern_scratch {
	pcre2_match_data *md;
	uint64_t serial;	/* the set cached; 0: none */
	size_t len;
	uint32_t hash;		/* hash_bytes of the subject */
	int ncand;		/* -1: too many, walk every pattern */
	int cand[PATTERN_CANDIDATES_MAX];
	int8_t verdict[PATTERN_CANDIDATES_MAX];
	char subject[PATTERN_CACHED_MAX];
};

static _Atomic uint64_t set_serials;

static const char *const type_names[] = {
	[PATTERN_EXACT] = "exact", [PATTERN_SUBSTR] = "substr",
	[PATTERN_FNMATCH] = "fnmatch", [PATTERN_REGEX] = "regex",
};

bool pattern_type_parse(const char *s, size_t len, enum pattern_type dflt,
			enum pattern_type *out)
{
	if (len == 0) {
		*out = dflt;
		return true;
	}
	for (int t = 0; t <= PATTERN_REGEX; t++)
		if (strlen(type_names[t]) == len &&
		    store_ascii_caseeq(type_names[t], s, len)) {
			*out = (enum pattern_type)t;
			return true;
		}
	return false;
}

const char *pattern_type_name(enum pattern_type t)
{
	return t <= PATTERN_REGEX ? type_names[t] : "?";
}

struct pattern_set *pattern_set_new(const char *table, unsigned flags,
				    pattern_report_fn report, void *arg)
{
	struct pattern_set *set = calloc(1, sizeof(*set));

	if (!set)
		return NULL;
	set->table = table;
	set->flags = flags;
	set->report = report;
	set->arg = arg;
	return set;
}

/* report_bad - one line naming table, id, pattern and reason. */
static void report_bad(struct pattern_set *set, int64_t id, const char *type,
		       size_t typelen, const char *p, size_t len,
		       const char *why)
{
	char shown[SHOWN_MAX + 4], line[REPORT_MAX];
	size_t n = len < SHOWN_MAX ? len : SHOWN_MAX;

	for (size_t i = 0; i < n; i++)
		shown[i] = (unsigned char)p[i] < 0x20 ? '?' : p[i];
	strcpy(shown + n, len > n ? "..." : "");
	set->skipped++;
	if (!set->report)
		return;
	snprintf(line, sizeof(line), "%s id %lld: %.*s pattern \"%s\" "
		 "skipped: %s", set->table, (long long)id,
		 (int)(typelen > 16 ? 16 : typelen), type, shown, why);
	set->report(set->arg, line);
}

/* compile_regex - PCRE2 code for p, JIT-compiled when possible. */
static pcre2_code *compile_regex(const struct pattern_set *set,
				 const char *p, size_t len, char *why,
				 size_t whylen)
{
	uint32_t opts = PCRE2_UTF | PCRE2_MATCH_INVALID_UTF;
	PCRE2_SIZE off;
	int err;
	pcre2_code *re;

	if (set->flags & PATTERN_FOLD)
		opts |= PCRE2_CASELESS;
	re = pcre2_compile((PCRE2_SPTR)p, len, opts, &err, &off, NULL);
	if (!re) {
		char msg[256];
		pcre2_get_error_message(err, (PCRE2_UCHAR *)msg, sizeof(msg));
		snprintf(why, whylen, "%s at offset %zu", msg, (size_t)off);
		return NULL;
	}
	/* Without JIT support the interpreter runs: slower, same answers. */
	pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
	return re;
}

enum pattern_rc pattern_set_add(struct pattern_set *set, int64_t id,
				const char *type, size_t typelen,
				enum pattern_type dflt, const char *p,
				size_t len)
{
	struct pattern pat = { .id = id, .len = len };
	char why[320];

	if (set->finished)
		return PATTERN_NOMEM;
	if (!pattern_type_parse(type, typelen, dflt, &pat.type)) {
		report_bad(set, id, type, typelen, p, len, "unknown type "
			   "(exact, substr, fnmatch or regex)");
		return PATTERN_BAD;
	}
	if (memchr(p, '\0', len)) {
		report_bad(set, id, type, typelen, p, len, "NUL byte");
		return PATTERN_BAD;
	}
	if (pat.type == PATTERN_REGEX &&
	    !(pat.re = compile_regex(set, p, len, why, sizeof(why)))) {
		report_bad(set, id, type, typelen, p, len, why);
		return PATTERN_BAD;
	}
	if (set->n == set->cap) {
		int cap = set->cap ? set->cap * 2 : 16;
		struct pattern *np = realloc(set->p, (size_t)cap * sizeof(*np));
		if (!np)
			goto nomem;
		set->p = np;
		set->cap = cap;
	}
	if (!(pat.text = malloc(len + 1)))
		goto nomem;
	memcpy(pat.text, p, len);
	pat.text[len] = '\0';
	if (pat.type == PATTERN_SUBSTR && (set->flags & PATTERN_FOLD))
		store_ascii_fold(pat.text, p, len);
	pat.glob = pat.type == PATTERN_FNMATCH && !memchr(p, '[', len) &&
		   !memchr(p, '\\', len);
	set->p[set->n++] = pat;
	return PATTERN_OK;
nomem:
	pcre2_code_free(pat.re);
	return PATTERN_NOMEM;
}

/* hash_bytes - FNV-1a of s, folded when the set folds. */
static uint32_t hash_bytes(const struct pattern_set *set, const char *s,
			   size_t len)
{
	uint32_t h = 2166136261u;
	bool fold = set->flags & PATTERN_FOLD;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		h = (h ^ (fold ? store_ascii_lower(c) : c)) * 16777619u;
	}
	return h;
}

/* build_matcher - the prefilter over the non-exact patterns. */
static bool build_matcher(struct pattern_set *set)
{
	struct match_pat *mp = malloc(((size_t)set->nother + 1) *
				      sizeof(*mp));

	if (!mp)
		return false;
	for (int k = 0; k < set->nother; k++) {
		const struct pattern *p = &set->p[set->other[k]];
		mp[k] = (struct match_pat){ set->other[k], p->type, p->text,
					    p->len, set->flags & PATTERN_FOLD };
	}
	set->matcher = matcher_build(mp, set->nother);
	free(mp);
	return set->matcher != NULL;
}

enum pattern_rc pattern_set_finish(struct pattern_set *set)
{
	uint32_t nb = 16;

	while (nb < (uint32_t)set->n * 2)
		nb *= 2;
	set->bucket = calloc(nb, sizeof(*set->bucket));
	set->chain = malloc(((size_t)set->n + 1) * sizeof(*set->chain));
	set->other = malloc(((size_t)set->n + 1) * sizeof(*set->other));
	if (!set->bucket || !set->chain || !set->other)
		return PATTERN_NOMEM;
	set->nbucket = nb;
	/* Backwards, so that each chain comes out in ascending order. */
	for (int i = set->n - 1; i >= 0; i--) {
		struct pattern *p = &set->p[i];
		uint32_t b;

		if (p->type != PATTERN_EXACT)
			continue;
		b = hash_bytes(set, p->text, p->len) & (nb - 1);
		set->chain[i] = (int)set->bucket[b] - 1;
		set->bucket[b] = (uint32_t)i + 1;
	}
	for (int i = 0; i < set->n; i++)
		if (set->p[i].type != PATTERN_EXACT)
			set->other[set->nother++] = i;
	if (!build_matcher(set))
		return PATTERN_NOMEM;
	set->serial = ++set_serials;
	set->finished = true;
	return PATTERN_OK;
}

void pattern_set_free(struct pattern_set *set)
{
	if (!set)
		return;
	for (int i = 0; i < set->n; i++) {
		free(set->p[i].text);
		pcre2_code_free(set->p[i].re);
	}
	free(set->p);
	free(set->bucket);
	free(set->chain);
	free(set->other);
	matcher_free(set->matcher);
	free(set);
}

int pattern_set_count(const struct pattern_set *set)
{
	return set->n;
}

int pattern_set_skipped(const struct pattern_set *set)
{
	return set->skipped;
}

int64_t pattern_set_id(const struct pattern_set *set, int i)
{
	return set->p[i].id;
}

enum pattern_type pattern_set_type(const struct pattern_set *set, int i)
{
	return set->p[i].type;
}

struct pattern_scratch *pattern_scratch_new(void)
{
	struct pattern_scratch *sc = calloc(1, sizeof(*sc));

	if (!sc)
		return NULL;
	/* Only "did it match" is asked: one pair of offsets is enough. */
	sc->md = pcre2_match_data_create(1, NULL);
	if (!sc->md) {
		free(sc);
		return NULL;
	}
	return sc;
}

void pattern_scratch_free(struct pattern_scratch *sc)
{
	if (!sc)
		return;
	pcre2_match_data_free(sc->md);
	free(sc);
}

/* bytes_equal - a == b over len bytes, ASCII-folded when fold. */
static bool bytes_equal(const char *a, const char *b, size_t len, bool fold)
{
	return fold ? store_ascii_caseeq(a, b, len)
		: memcmp(a, b, len) == 0;
}

/*
 * contains - does s hold p as a substring?  When folding, p is stored
 *	lower-cased (pattern_set_add), so only s needs lowering.
 */
static bool contains(const char *s, size_t len, const char *p, size_t plen,
		     bool fold)
{
	unsigned char first;

	if (!fold)
		return memmem(s, len, p, plen) != NULL;
	if (plen == 0)
		return true;
	first = (unsigned char)p[0];
	for (size_t i = 0; i + plen <= len; i++)
		if (store_ascii_lower((unsigned char)s[i]) == first &&
		    store_ascii_caseeq(s + i + 1, p + 1, plen - 1))
			return true;
	return false;
}

bool pattern_set_match(const struct pattern_set *set, int i, const char *s,
		       size_t len, struct pattern_scratch *sc)
{
	const struct pattern *p = &set->p[i];
	bool fold = set->flags & PATTERN_FOLD;

	switch (p->type) {
	case PATTERN_EXACT:
		return len == p->len && bytes_equal(s, p->text, len, fold);
	case PATTERN_SUBSTR:
		return contains(s, len, p->text, p->len, fold);
	case PATTERN_FNMATCH:
		return fnmatch(p->text, s, fold ? FNM_CASEFOLD : 0) == 0;
	case PATTERN_REGEX:
		return pcre2_match(p->re, (PCRE2_SPTR)s, len, 0, 0, sc->md,
				   NULL) >= 0;
	}
	return false;
}

/*
 * glob_match - fnmatch(3) of a pattern of literal bytes, '*' and '?'
 *	only, as the C locale without flags (or FNM_CASEFOLD) reads it:
 *	'?' is one byte, '*' any bytes; s[0..len) holds no NUL.  The
 *	usual backtracking to the last '*' (pattern times subject at worst).
 */
static bool glob_match(const char *p, size_t plen, const char *s, size_t len,
		       bool fold)
{
	size_t pi = 0, si = 0, star = SIZE_MAX, mark = 0;

	while (si < len) {
		if (pi < plen && p[pi] == '*') {
			star = pi++;
			mark = si;
		} else if (pi < plen && (p[pi] == '?' || p[pi] == s[si] ||
			   (fold && store_ascii_lower((unsigned char)p[pi]) ==
			    store_ascii_lower((unsigned char)s[si])))) {
			pi++;
			si++;
		} else if (star != SIZE_MAX) {
			pi = star + 1;
			si = ++mark;
		} else
			return false;
	}
	while (pi < plen && p[pi] == '*')
		pi++;
	return pi == plen;
}

/* verify - pattern_set_match, with glob_match for the simple fnmatch. */
static bool verify(const struct pattern_set *set, int i, const char *s,
		   size_t len, struct pattern_scratch *sc)
{
	const struct pattern *p = &set->p[i];

	if (p->glob)
		return glob_match(p->text, p->len, s, strnlen(s, len),
				  set->flags & PATTERN_FOLD);
	return pattern_set_match(set, i, s, len, sc);
}

/*
 * first_exact - the lowest exact index >= from equal to s, or -1; h is
 *	hash_bytes of s.
 */
static int first_exact(const struct pattern_set *set, int from,
		       const char *s, size_t len, uint32_t h)
{
	uint32_t b = h & (set->nbucket - 1);
	bool fold = set->flags & PATTERN_FOLD;

	for (int i = (int)set->bucket[b] - 1; i >= 0; i = set->chain[i]) {
		const struct pattern *p = &set->p[i];
		if (i >= from && p->len == len &&
		    bytes_equal(s, p->text, len, fold))
			return i;
	}
	return -1;
}

/* first_other - the lowest non-exact index in [from, exact) matching s. */
static int first_other(const struct pattern_set *set, int from, int exact,
		       const char *s, size_t len, struct pattern_scratch *sc)
{
	int lo = 0, hi = set->nother;

	/* Binary search for the first non-exact pattern at or after from. */
	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;
		if (set->other[mid] < from)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (int k = lo; k < set->nother; k++) {
		int i = set->other[k];
		if (exact >= 0 && i > exact)
			break;
		if (pattern_set_match(set, i, s, len, sc))
			return i;
	}
	return -1;
}

int pattern_set_next_reference(const struct pattern_set *set, int from,
			       const char *s, size_t len,
			       struct pattern_scratch *sc)
{
	int exact = set->finished && set->n ?
		    first_exact(set, from, s, len, hash_bytes(set, s, len)) : -1;
	int other = first_other(set, from, exact, s, len, sc);

	return other >= 0 ? other : exact;
}

/*
 * candidates - the set's candidates for s, and its hash, in sc unless
 *	already there.
 */
static void candidates(const struct pattern_set *set, const char *s,
		       size_t len, struct pattern_scratch *sc)
{
	if (sc->serial == set->serial && sc->len == len &&
	    memcmp(sc->subject, s, len) == 0)
		return;
	sc->ncand = matcher_candidates(set->matcher, s, len, sc->cand,
				       PATTERN_CANDIDATES_MAX);
	sc->hash = hash_bytes(set, s, len);
	memset(sc->verdict, -1, sizeof(sc->verdict));
	sc->serial = 0;
	if (len <= PATTERN_CACHED_MAX) {
		memcpy(sc->subject, s, len);
		sc->len = len;
		sc->serial = set->serial;
	}
}

int pattern_set_next(const struct pattern_set *set, int from, const char *s,
		     size_t len, struct pattern_scratch *sc)
{
	int exact, lo = 0, hi;

	if (!set->finished)
		return pattern_set_next_reference(set, from, s, len, sc);
	candidates(set, s, len, sc);
	exact = set->n ? first_exact(set, from, s, len, sc->hash) : -1;
	if (sc->ncand < 0) {
		int other = first_other(set, from, exact, s, len, sc);
		return other >= 0 ? other : exact;
	}
	hi = sc->ncand;
	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;
		if (sc->cand[mid] < from)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (int k = lo; k < sc->ncand; k++) {
		int i = sc->cand[k];
		if (exact >= 0 && i > exact)
			break;
		if (sc->verdict[k] < 0)
			sc->verdict[k] = verify(set, i, s, len, sc);
		if (sc->verdict[k])
			return i;
	}
	return exact;
}

size_t pattern_set_bytes(const struct pattern_set *set)
{
	size_t b = sizeof(*set) + (size_t)set->cap * sizeof(*set->p) +
		   ((size_t)set->nbucket + 2 * ((size_t)set->n + 1)) *
		   sizeof(int);

	for (int i = 0; i < set->n; i++) {
		b += set->p[i].len + 1;
		if (set->p[i].re) {
			size_t sz = 0, jit = 0;
			pcre2_pattern_info(set->p[i].re, PCRE2_INFO_SIZE, &sz);
			pcre2_pattern_info(set->p[i].re, PCRE2_INFO_JITSIZE,
					   &jit);
			b += sz + jit;
		}
	}
	return b + (set->matcher ? matcher_bytes(set->matcher) : 0);
}
