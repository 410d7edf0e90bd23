/*
 * NAME
 *	lookup_set.c - build, check and free a lookup set
 * SYNOPSIS
 *	#include "store/store.h"
 * DESCRIPTION
 *	lookup_set_build reads the MailerQ tables the lookups precompute
 *	from one snapshot and hands each part to its builder: capacity
 *	(lookup_capacity.c), patterns and orders (here and in
 *	lookup_match.c).  Also the small tools those builders share: an
 *	arena for copied strings and an ASCII-folding string hash.
 * DIAGNOSTICS
 *	Skipped rows are reported through the caller's report function,
 *	one line each, naming table and id.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/lookup_internal.h"

#define ARENA_BLOCK	(64 * 1024)

char *arena_copy(struct lookup_set *ls, const char *s, size_t len)
{
	struct arena_block *b = ls->arena;
	char *p;

	if (!b || b->cap - b->used < len + 1) {
		size_t cap = len + 1 > ARENA_BLOCK ? len + 1 : ARENA_BLOCK;
		b = malloc(sizeof(*b) + cap);
		if (!b)
			return NULL;
		b->used = 0;
		b->cap = cap;
		b->next = ls->arena;
		ls->arena = b;
	}
	p = b->data + b->used;
	memcpy(p, s, len);
	p[len] = '\0';
	b->used += len + 1;
	return p;
}

void lookup_report(struct lookup_set *ls, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	ls->skipped++;
	if (!ls->report)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	ls->report(ls->arg, line);
}

/* shash_hash - FNV-1a of s, ASCII-folded. */
uint32_t shash_hash(const char *s, size_t len)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < len; i++)
		h = (h ^ store_ascii_lower((unsigned char)s[i])) * 16777619u;
	/* FNV's multiply carries low bits up, never down: the tables index
	 * by the low bits, and keys sharing a suffix (d1.example,
	 * d2.example...) clustered.  A final mix (murmur3's) spreads them. */
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	return h ^ (h >> 16);
}

/* shash_hash2 - the hash of the pair (a, b) from theirs. */
uint32_t shash_hash2(uint32_t ha, uint32_t hb)
{
	uint32_t h = ha * 0x9e3779b1u ^ hb;

	return h ^ (h >> 15);
}

/* key_hash - the hash shash_find_hashed expects for (a) or (a, b). */
static uint32_t key_hash(const char *a, size_t alen, const char *b,
			 size_t blen)
{
	uint32_t ha = shash_hash(a, alen);

	return b ? shash_hash2(ha, shash_hash(b, blen)) : ha;
}

/* text_fold_equal - same length, same bytes but for ASCII case. */
bool text_fold_equal(const char *a, size_t alen, const char *b, size_t blen)
{
	return alen == blen && store_ascii_caseeq(a, b, alen);
}

/* shash_init - room for expect keys at a load of at most one half. */
bool shash_init(struct shash *h, uint32_t expect)
{
	uint32_t size = 16;

	while (size < expect * 2)
		size *= 2;
	h->e = calloc(size, sizeof(*h->e));
	h->mask = size - 1;
	h->n = 0;
	return h->e != NULL;
}

void shash_free(struct shash *h)
{
	free(h->e);
	h->e = NULL;
}

/* part_equal - stored (lower-cased) key bytes k equal s, folded? */
static inline bool part_equal(const char *k, const char *s, size_t len)
{
	/* Lookups usually come lower-cased already: one memcmp. */
	return memcmp(k, s, len) == 0 || text_fold_equal(k, len, s, len);
}

/* key_equal - does entry e hold key (a) or (a NUL b)? */
static bool key_equal(const struct shash_entry *e, const char *a, size_t alen,
		      const char *b, size_t blen)
{
	size_t klen = b ? alen + 1 + blen : alen;

	if (e->klen != klen || !part_equal(e->key, a, alen))
		return false;
	return !b || (e->key[alen] == '\0' &&
		      part_equal(e->key + alen + 1, b, blen));
}

int64_t shash_find_hashed(const struct shash *h, uint32_t hv, const char *a,
			  size_t alen, const char *b, size_t blen)
{
	for (uint32_t i = hv & h->mask;; i = (i + 1) & h->mask) {
		const struct shash_entry *e = &h->e[i];
		if (!e->key)
			return -1;
		if (e->hash == hv && key_equal(e, a, alen, b, blen))
			return e->val;
	}
}

int64_t shash_find(const struct shash *h, const char *a, size_t alen,
		   const char *b, size_t blen)
{
	return shash_find_hashed(h, key_hash(a, alen, b, blen), a, alen, b,
				 blen);
}

bool shash_add(struct lookup_set *ls, struct shash *h, const char *a,
	       size_t alen, const char *b, size_t blen, uint32_t val)
{
	uint32_t hv = key_hash(a, alen, b, blen), i;
	size_t klen = b ? alen + 1 + blen : alen;
	char *key;

	for (i = hv & h->mask; h->e[i].key; i = (i + 1) & h->mask)
		if (h->e[i].hash == hv && key_equal(&h->e[i], a, alen, b, blen))
			return true;
	if (h->n + 1 > h->mask / 2 + 1 || !(key = arena_copy(ls, a, klen)))
		return false;
	if (b)
		memcpy(key + alen + 1, b, blen);
	store_ascii_fold(key, key, klen);
	h->e[i] = (struct shash_entry){ key, hv, (uint32_t)klen, val };
	h->n++;
	return true;
}

/* row_text - text column col of r ("" for NULL or a non-text value). */
const char *row_text(const struct store_row *r, int col, size_t *len)
{
	if (r->col[col].kind != SV_TEXT) {
		*len = 0;
		return "";
	}
	*len = r->col[col].len;
	return r->col[col].s;
}

/* row_int - integer column col of r (0 for NULL, as the seed says). */
int64_t row_int(const struct store_row *r, int col)
{
	return r->col[col].kind == SV_INT ? r->col[col].i : 0;
}

/* A pattern table loaded in id order into one set. */
struct id_patterns {
	struct lookup_set *ls;
	struct pattern_set *set;
	const char *table;
	int type_col, pattern_col;
	enum pattern_type dflt;
	bool nomem;
};

static int add_id_pattern(const struct store_row *r, void *arg)
{
	struct id_patterns *ip = arg;
	size_t tlen, plen;
	const char *type = row_text(r, ip->type_col, &tlen);
	const char *p = row_text(r, ip->pattern_col, &plen);

	if (r->col[ip->pattern_col].kind != SV_TEXT) {
		lookup_report(ip->ls, "%s id %lld: pattern is NULL: skipped",
			      ip->table, (long long)row_int(r, 0));
		return 0;
	}
	switch (pattern_set_add(ip->set, row_int(r, 0), type, tlen, ip->dflt,
				p, plen)) {
	case PATTERN_OK:
		return 0;
	case PATTERN_BAD:
		ip->ls->skipped++;
		return 0;
	default:
		ip->nomem = true;
		return 1;
	}
}

/* build_id_set - the patterns of table in id order, folded. */
static enum store_rc build_id_set(struct lookup_set *ls, struct store_txn *txn,
				  const char *table, const char *type_col,
				  const char *pattern_col,
				  struct pattern_set **out)
{
	const struct reg_table *t = reg_mailerq_find(table);
	struct id_patterns ip = { ls, NULL, table,
		reg_column_index(t, type_col), reg_column_index(t, pattern_col),
		PATTERN_EXACT, false };
	enum store_rc rc;

	pattern_type_parse(t->cols[ip.type_col].dflt,
			   strlen(t->cols[ip.type_col].dflt), PATTERN_EXACT,
			   &ip.dflt);
	ip.set = *out = pattern_set_new(table, PATTERN_FOLD, ls->report,
					ls->arg);
	if (!ip.set)
		return store_fail(txn->st, STORE_INTERNAL, "out of memory");
	rc = store_scan(txn, table, NULL, 0, add_id_pattern, &ip);
	if (rc == STORE_OK && (ip.nomem || pattern_set_finish(ip.set)))
		rc = store_fail(txn->st, STORE_INTERNAL, "out of memory");
	return rc;
}

/* Collecting dns rows. */
struct dns_collect {
	struct lookup_set *ls;
	uint32_t cap;
	bool nomem;
};

static int add_dns(const struct store_row *r, void *arg)
{
	struct dns_collect *dc = arg;
	struct lookup_set *ls = dc->ls;
	struct dns_entry e;

	if (ls->ndns == dc->cap) {
		uint32_t cap = dc->cap ? dc->cap * 2 : 64;
		struct dns_entry *n = realloc(ls->dns, cap * sizeof(*n));
		if (!n)
			goto nomem;
		ls->dns = n;
		dc->cap = cap;
	}
	e.domain = row_text(r, 1, &e.len);
	e.priority = row_int(r, 3);
	e.id = row_int(r, 0);
	if (!(e.domain = arena_copy(ls, e.domain, e.len)))
		goto nomem;
	ls->dns[ls->ndns++] = e;
	return 0;
nomem:
	dc->nomem = true;
	return 1;
}

/* dns_compare - by domain (ASCII-folded), then priority, then id. */
int dns_compare(const void *pa, const void *pb)
{
	const struct dns_entry *a = pa, *b = pb;
	size_t n = a->len < b->len ? a->len : b->len;

	for (size_t i = 0; i < n; i++) {
		int d = store_ascii_lower((unsigned char)a->domain[i]) -
			store_ascii_lower((unsigned char)b->domain[i]);
		if (d)
			return d;
	}
	if (a->len != b->len)
		return a->len < b->len ? -1 : 1;
	if (a->priority != b->priority)
		return a->priority < b->priority ? -1 : 1;
	return (a->id > b->id) - (a->id < b->id);
}

static enum store_rc build_dns(struct lookup_set *ls, struct store_txn *txn)
{
	struct dns_collect dc = { ls, 0, false };
	enum store_rc rc = store_scan(txn, "dns", NULL, 0, add_dns, &dc);

	if (rc == STORE_OK && dc.nomem)
		rc = store_fail(txn->st, STORE_INTERNAL, "out of memory");
	if (rc == STORE_OK && ls->ndns)
		qsort(ls->dns, ls->ndns, sizeof(*ls->dns), dns_compare);
	return rc;
}

/* lookup_version - the MailerQ sequence and epoch txn sees. */
enum store_rc lookup_version(struct store_txn *txn, uint64_t *version,
			     uint64_t *epoch)
{
	int rc = store_meta_get_u64(txn, META_MAILERQ_SEQ, version);

	if (rc == MDB_NOTFOUND) {
		*version = 0;
		rc = 0;
	}
	if (rc == 0)
		rc = store_meta_get_u64(txn, "epoch", epoch);
	return store_mdb_rc(txn->st, rc, "meta");
}

enum store_rc lookup_set_build(struct store_txn *txn,
			       pattern_report_fn report, void *arg,
			       struct lookup_set **out)
{
	struct lookup_set *ls = calloc(1, sizeof(*ls));
	enum store_rc rc;

	*out = NULL;
	if (!ls)
		return store_fail(txn->st, STORE_INTERNAL, "out of memory");
	ls->report = report;
	ls->arg = arg;
	rc = lookup_version(txn, &ls->version, &ls->epoch);
	if (rc == STORE_OK)
		rc = capacity_build(ls, txn);
	if (rc == STORE_OK)
		rc = build_id_set(ls, txn, "locals", "type", "address",
				  &ls->locals);
	if (rc == STORE_OK)
		rc = build_id_set(ls, txn, "flood_responses", "type", "pattern",
				  &ls->flood);
	if (rc == STORE_OK)
		rc = build_dns(ls, txn);
	if (rc == STORE_OK)
		rc = match_build(ls, txn);
	if (rc) {
		lookup_set_free(ls);
		return rc;
	}
	*out = ls;
	return STORE_OK;
}

void lookup_set_free(struct lookup_set *ls)
{
	if (!ls)
		return;
	capacity_free(ls);
	pattern_set_free(ls->locals);
	pattern_set_free(ls->flood);
	pattern_set_free(ls->response);
	pattern_set_free(ls->rewrite);
	free(ls->dns);
	free(ls->response_info);
	free(ls->rewrite_info);
	free(ls->response_action);
	free(ls->rewrite_action);
	while (ls->arena) {
		struct arena_block *next = ls->arena->next;
		free(ls->arena);
		ls->arena = next;
	}
	free(ls);
}

enum store_rc lookup_set_current(const struct lookup_set *ls,
				 struct store_txn *txn, bool *current)
{
	uint64_t version, epoch;
	enum store_rc rc = lookup_version(txn, &version, &epoch);

	*current = rc == STORE_OK && version == ls->version &&
		   epoch == ls->epoch;
	return rc;
}

int lookup_set_skipped(const struct lookup_set *ls)
{
	return ls->skipped;
}
