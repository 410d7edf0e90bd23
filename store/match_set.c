/*
 * NAME
 *	match_set.c - the candidates of a subject among a set's patterns
 * SYNOPSIS
 *	#include "store/match.h"
 * DESCRIPTION
 *	matcher_build takes each pattern's required literal (match.h),
 *	folds it, and sorts (kind, literal, index), so that patterns with
 *	the same literal share one entry whose index list is ascending.
 *	Prefix and suffix literals go into one open-addressing table,
 *	with the sorted list of their distinct lengths per kind; a lookup
 *	hashes the subject's prefix (suffix) incrementally and probes at
 *	each of those lengths.  Inner literals go into the automaton of
 *	match_ac.c.  Candidates are kept sorted and unique as they come.
 * DIAGNOSTICS
 *	matcher_build returns NULL when out of memory.
 */
#include <stdlib.h>
#include <string.h>

#include "store/match.h"
#include "store/store.h"

#define FNV_PRIME	16777619u
#define SEED_PREFIX	2166136261u
#define SEED_SUFFIX	(SEED_PREFIX ^ 0x5bd1e995u)

enum { K_PREFIX, K_SUFFIX, K_ANY, K_NONE };

/* One pattern's literal while building. */
struct rec {
	const char *key;	/* folded, in the matcher's key store */
	uint32_t klen;
	uint8_t kind;
	bool fn;		/* fnmatch: sees the subject up to a NUL */
	int32_t pat;
};

/* A prefix or suffix literal and its patterns. */
struct keyed {
	const char *key;	/* NULL: empty slot */
	uint32_t klen, hash;
	int32_t first, count;	/* into list */
	uint8_t kind;
};

/* An inner literal's pattern. */
struct lit_pat {
	int32_t pat;
	bool fn;
};

struct matcher {
	struct keyed *slot;
	uint32_t mask;
	uint32_t *len[2];	/* distinct prefix, suffix lengths, ascending */
	int nlen[2];
	int32_t *list;		/* pattern indexes of the keyed literals */
	struct ac *ac;
	int32_t *lit_first;	/* inner literal -> first in litpat, +1 end */
	struct lit_pat *litpat;
	int32_t *always;	/* patterns without a literal */
	int nalways;
	char *keys;
	size_t bytes;
};

static uint32_t fnv(uint32_t h, unsigned char c)
{
	return (h ^ (uint32_t)store_ascii_lower(c)) * FNV_PRIME;
}

/* key_hash - the hash a lookup computes for a keyed literal. */
static uint32_t key_hash(const char *k, uint32_t len, int kind)
{
	uint32_t h = kind == K_PREFIX ? SEED_PREFIX : SEED_SUFFIX;

	for (uint32_t i = 0; i < len; i++)
		h = fnv(h, (unsigned char)k[kind == K_PREFIX ? i : len - 1 - i]);
	return h;
}

static int rec_order(const void *pa, const void *pb)
{
	const struct rec *a = pa, *b = pb;
	int c;

	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	if (a->klen != b->klen)
		return a->klen < b->klen ? -1 : 1;
	if ((c = memcmp(a->key, b->key, a->klen)))
		return c;
	return (a->pat > b->pat) - (a->pat < b->pat);
}

/* literal_of - pattern p's literal as a record, its key folded into *kp. */
static void literal_of(const struct match_pat *p, char **kp, struct rec *r)
{
	struct match_literal lit;

	if (p->type == PATTERN_SUBSTR) {
		lit.s = p->text;
		lit.len = p->len;
		lit.where = p->len ? LIT_ANY : LIT_NONE;
	} else if (p->type == PATTERN_FNMATCH)
		match_literal_fnmatch(p->text, p->len, &lit);
	else
		match_literal_regex(p->text, p->len, p->fold, &lit);
	*r = (struct rec){ .key = *kp, .klen = (uint32_t)lit.len,
			   .fn = p->type == PATTERN_FNMATCH, .pat = p->index };
	r->kind = lit.where == LIT_PREFIX ? K_PREFIX
		: lit.where == LIT_SUFFIX ? K_SUFFIX
		: lit.where == LIT_ANY ? K_ANY : K_NONE;
	if (r->kind == K_NONE)
		r->klen = 0;
	store_ascii_fold(*kp, lit.s, r->klen);
	*kp += r->klen;
}

/* same_key - do records a and b share kind and literal? */
static bool same_key(const struct rec *a, const struct rec *b)
{
	return a->kind == b->kind && a->klen == b->klen &&
	       memcmp(a->key, b->key, a->klen) == 0;
}

/* add_keyed - the group g[0..n), listed from first, into the table. */
static void add_keyed(struct matcher *m, const struct rec *g, int n,
		      int32_t first)
{
	int kind = g->kind;
	uint32_t h = key_hash(g->key, g->klen, kind), i = h & m->mask;
	int *nl = &m->nlen[kind];

	while (m->slot[i].key)
		i = (i + 1) & m->mask;
	m->slot[i] = (struct keyed){ g->key, g->klen, h, first, n,
				     (uint8_t)kind };
	if (*nl == 0 || m->len[kind][*nl - 1] != g->klen)
		m->len[kind][(*nl)++] = g->klen;
}

/* index_groups - the sorted records into table, automaton and list. */
static bool index_groups(struct matcher *m, const struct rec *r, int n)
{
	int32_t nlist = 0, nlit = 0, nlp = 0;

	for (int i = 0, j; i < n; i = j) {
		for (j = i + 1; j < n && same_key(&r[i], &r[j]); j++)
			;
		for (int k = i; k < j; k++) {
			if (r[k].kind == K_NONE)
				m->always[m->nalways++] = r[k].pat;
			else if (r[k].kind == K_ANY)
				m->litpat[nlp++] = (struct lit_pat){
					r[k].pat, r[k].fn };
			else
				m->list[nlist++] = r[k].pat;
		}
		if (r[i].kind == K_ANY) {
			if (!ac_add(m->ac, r[i].key, r[i].klen, nlit))
				return false;
			m->lit_first[++nlit] = nlp;
		} else if (r[i].kind != K_NONE)
			add_keyed(m, &r[i], j - i, nlist - (j - i));
	}
	return ac_finish(m->ac);
}

/* alloc_parts - the arrays for n patterns; false: no memory. */
static bool alloc_parts(struct matcher *m, int n, size_t keybytes)
{
	uint32_t nb = 16;
	size_t cnt = (size_t)n + 1;

	while (nb < 2 * cnt)
		nb *= 2;
	m->mask = nb - 1;
	m->slot = calloc(nb, sizeof(*m->slot));
	m->len[0] = malloc(cnt * sizeof(uint32_t));
	m->len[1] = malloc(cnt * sizeof(uint32_t));
	m->list = malloc(cnt * sizeof(*m->list));
	m->lit_first = calloc(cnt + 1, sizeof(*m->lit_first));
	m->litpat = malloc(cnt * sizeof(*m->litpat));
	m->always = malloc(cnt * sizeof(*m->always));
	m->keys = malloc(keybytes + 1);
	m->ac = ac_new();
	m->bytes = sizeof(*m) + nb * sizeof(*m->slot) +
		   cnt * (2 * sizeof(uint32_t) + 2 * sizeof(int32_t) +
			  sizeof(*m->litpat) + sizeof(*m->always)) +
		   keybytes + 1;
	return m->slot && m->len[0] && m->len[1] && m->list &&
	       m->lit_first && m->litpat && m->always && m->keys && m->ac;
}

struct matcher *matcher_build(const struct match_pat *pats, int n)
{
	struct matcher *m = calloc(1, sizeof(*m));
	struct rec *r = malloc(((size_t)n + 1) * sizeof(*r));
	size_t keybytes = 0;
	char *kp;

	for (int i = 0; i < n; i++)
		keybytes += pats[i].len;
	if (!m || !r || !alloc_parts(m, n, keybytes))
		goto fail;
	kp = m->keys;
	for (int i = 0; i < n; i++)
		literal_of(&pats[i], &kp, &r[i]);
	if (n)
		qsort(r, (size_t)n, sizeof(*r), rec_order);
	if (!index_groups(m, r, n))
		goto fail;
	m->bytes += ac_bytes(m->ac);
	free(r);
	return m;
fail:
	free(r);
	matcher_free(m);
	return NULL;
}

void matcher_free(struct matcher *m)
{
	if (!m)
		return;
	free(m->slot);
	free(m->len[0]);
	free(m->len[1]);
	free(m->list);
	free(m->lit_first);
	free(m->litpat);
	free(m->always);
	free(m->keys);
	ac_free(m->ac);
	free(m);
}

size_t matcher_bytes(const struct matcher *m)
{
	return m->bytes;
}

/* The candidates found so far: sorted, unique, at most max. */
struct cands {
	int *out;
	int n, max;
	bool over;
	size_t flen;			/* bytes before the first NUL */
	const struct matcher *m;
};

static void insert(struct cands *c, int idx)
{
	int lo = 0, hi = c->n;

	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;
		if (c->out[mid] < idx)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < c->n && c->out[lo] == idx)
		return;
	if (c->n == c->max) {
		c->over = true;
		return;
	}
	memmove(c->out + lo + 1, c->out + lo,
		(size_t)(c->n - lo) * sizeof(*c->out));
	c->out[lo] = idx;
	c->n++;
}

/* probe - the patterns of the keyed literal (kind, s[0..k)), if any. */
static void probe(struct cands *c, int kind, uint32_t h, const char *s,
		  uint32_t k)
{
	const struct matcher *m = c->m;

	for (uint32_t i = h & m->mask; m->slot[i].key; i = (i + 1) & m->mask) {
		const struct keyed *e = &m->slot[i];
		if (e->hash != h || e->kind != kind || e->klen != k ||
		    !store_ascii_caseeq(e->key, s, k))
			continue;
		for (int32_t j = 0; j < e->count; j++)
			insert(c, m->list[e->first + j]);
		return;
	}
}

/* probe_ends - the prefix and suffix literals s[0..flen) ends with. */
static void probe_ends(struct cands *c, const char *s)
{
	const struct matcher *m = c->m;
	uint32_t h = SEED_PREFIX, k = 0;
	size_t flen = c->flen;

	for (int j = 0; j < m->nlen[K_PREFIX] && m->len[K_PREFIX][j] <= flen;
	     j++) {
		for (; k < m->len[K_PREFIX][j]; k++)
			h = fnv(h, (unsigned char)s[k]);
		probe(c, K_PREFIX, h, s, k);
	}
	h = SEED_SUFFIX;
	k = 0;
	for (int j = 0; j < m->nlen[K_SUFFIX] && m->len[K_SUFFIX][j] <= flen;
	     j++) {
		for (; k < m->len[K_SUFFIX][j]; k++)
			h = fnv(h, (unsigned char)s[flen - 1 - k]);
		probe(c, K_SUFFIX, h, s + flen - k, k);
	}
}

/* inner_hit - ac_scan callback: the patterns of inner literal lit. */
static void inner_hit(void *arg, int32_t lit, size_t end)
{
	struct cands *c = arg;
	const struct matcher *m = c->m;

	for (int32_t j = m->lit_first[lit]; j < m->lit_first[lit + 1]; j++)
		if (!m->litpat[j].fn || end <= c->flen)
			insert(c, m->litpat[j].pat);
}

int matcher_candidates(const struct matcher *m, const char *s, size_t len,
		       int *out, int max)
{
	struct cands c = { out, 0, max, false, strnlen(s, len), m };

	probe_ends(&c, s);
	ac_scan(m->ac, s, len, inner_hit, &c);
	for (int i = 0; i < m->nalways; i++)
		insert(&c, m->always[i]);
	return c.over ? -1 : c.n;
}
