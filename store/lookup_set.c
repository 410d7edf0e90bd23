/*
 * NAME
 *	lookup_set.c - build, check and free a lookup set
 * SYNOPSIS
 *	#include "store/store.h"
 * DESCRIPTION
 *	lookup_set_build reads the MailerQ tables the lookups precompute
 *	from one snapshot and hands each part to its builder: capacity
 *	(lookup_capacity.c), patterns and orders (here and in
 *	lookup_match.c).  Each part is a set of its own (a part set,
 *	reference-counted) stamped with the last sequence that changed
 *	one of its tables (the per-table sequences txn.c records); a
 *	composed set copies its parts' fields and holds them, so
 *	lookup_set_update shares with the next version every part whose
 *	tables did not move.  Also the small tools those builders share:
 *	an arena for copied strings and an ASCII-folding string hash.
 * DIAGNOSTICS
 *	Skipped rows are reported through the caller's report function,
 *	one line each, naming table and id.
 */
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
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

bool shash_put(struct lookup_set *ls, struct shash *h, const char *a,
	       size_t alen, const char *b, size_t blen, uint32_t val,
	       uint32_t *have)
{
	uint32_t hv = key_hash(a, alen, b, blen), i;
	size_t klen = b ? alen + 1 + blen : alen;
	char *key;

	for (i = hv & h->mask; h->e[i].key; i = (i + 1) & h->mask)
		if (h->e[i].hash == hv && key_equal(&h->e[i], a, alen, b, blen)) {
			*have = h->e[i].val;
			return true;
		}
	if (h->n + 1 > h->mask / 2 + 1 || !(key = arena_copy(ls, a, klen)))
		return false;
	if (b)
		memcpy(key + alen + 1, b, blen);
	store_ascii_fold(key, key, klen);
	h->e[i] = (struct shash_entry){ key, hv, (uint32_t)klen, val };
	h->n++;
	*have = val;
	return true;
}

bool shash_add(struct lookup_set *ls, struct shash *h, const char *a,
	       size_t alen, const char *b, size_t blen, uint32_t val)
{
	uint32_t have;

	return shash_put(ls, h, a, alen, b, blen, val, &have);
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

/* The tables each part is built from (lookup.h), NULL-terminated. */
static const char *const part_tables[LOOKUP_PARTS][5] = {
	[LOOKUP_PART_CAPACITY] = { "capacity", "capacity_rules" },
	[LOOKUP_PART_LOCALS] = { "locals" },
	[LOOKUP_PART_FLOOD] = { "flood_responses" },
	[LOOKUP_PART_DNS] = { "dns" },
	[LOOKUP_PART_MATCH] = { "response_patterns",
				"response_patterns_actions",
				"rewrite_triggers", "rewrite_actions" },
	[LOOKUP_PART_SUPPRESSIONS] = { "suppressions" },
	[LOOKUP_PART_POOLS] = { "pool_ips" },
};

static const char *const part_names[LOOKUP_PARTS] = {
	"capacity", "locals", "flood", "dns", "match", "suppressions", "pools",
};

const char *lookup_part_name(enum lookup_part p)
{
	return p < LOOKUP_PARTS ? part_names[p] : "?";
}

/* table_seq - the last sequence that changed MailerQ table index i. */
static int table_seq(struct store_txn *txn, int i, uint64_t *seq)
{
	char key[64];
	int rc;

	meta_table_seq_key(i, key, sizeof(key));
	rc = store_meta_get_u64(txn, key, seq);
	if (rc == MDB_NOTFOUND) {
		*seq = 0;
		rc = 0;
	}
	return rc;
}

/*
 * part_versions - each part's version: the last sequence that changed
 *	one of its tables.  When the newest MailerQ change recorded no
 *	table (a writer older than these records), every part takes the
 *	MailerQ sequence: all are rebuilt.
 */
static enum store_rc part_versions(struct store_txn *txn, uint64_t version,
				   uint64_t pv[LOOKUP_PARTS])
{
	uint64_t seq, newest = 0;
	int rc = 0;

	for (int p = 0; p < LOOKUP_PARTS; p++)
		pv[p] = 0;
	for (int i = 0; rc == 0 && reg_mailerq[i]; i++) {
		if ((rc = table_seq(txn, i, &seq)))
			break;
		newest = seq > newest ? seq : newest;
		for (int p = 0; p < LOOKUP_PARTS; p++)
			for (int t = 0; part_tables[p][t]; t++)
				if (strcmp(part_tables[p][t],
					   reg_mailerq[i]->name) == 0 &&
				    seq > pv[p])
					pv[p] = seq;
	}
	for (int p = 0; rc == 0 && newest != version && p < LOOKUP_PARTS; p++)
		pv[p] = version;
	return store_mdb_rc(txn->st, rc, "meta");
}

/*
 * build_part - part p of txn's snapshot into ls, a part set; prev: the
 *	same part of an older set, for a build of what changed since.
 */
static enum store_rc build_part(struct lookup_set *ls, struct store_txn *txn,
				enum lookup_part p, const struct cap_filter *f,
				const struct lookup_set *prev)
{
	switch (p) {
	case LOOKUP_PART_CAPACITY:
		return f ? capacity_build(ls, txn, f, NULL)
			 : capacity_update(ls, txn, prev);
	case LOOKUP_PART_LOCALS:
		return build_id_set(ls, txn, "locals", "type", "address",
				    &ls->locals);
	case LOOKUP_PART_FLOOD:
		return build_id_set(ls, txn, "flood_responses", "type",
				    "pattern", &ls->flood);
	case LOOKUP_PART_DNS:
		return build_dns(ls, txn);
	case LOOKUP_PART_SUPPRESSIONS:
	case LOOKUP_PART_POOLS:
		return held_build(ls, txn, p == LOOKUP_PART_SUPPRESSIONS);
	default:
		return match_build(ls, txn);
	}
}

/* part_new - a part set holding part p of txn's snapshot, one reference. */
static enum store_rc part_new(struct store_txn *txn, enum lookup_part p,
			      const struct cap_filter *f,
			      const struct lookup_set *whole,
			      const struct lookup_set *prev,
			      struct lookup_set **out)
{
	struct lookup_set *ls = calloc(1, sizeof(*ls));
	uint64_t cpu0 = lookup_now_us(CLOCK_THREAD_CPUTIME_ID);
	enum store_rc rc;

	*out = NULL;
	if (!ls)
		return store_fail(txn->st, STORE_INTERNAL, "out of memory");
	atomic_init(&ls->refs, 1);	/* the caller's */
	ls->report = whole->report;
	ls->arg = whole->arg;
	ls->version = whole->version;
	ls->epoch = whole->epoch;
	ls->part_version[p] = whole->part_version[p];
	if ((rc = build_part(ls, txn, p, f, prev))) {
		lookup_set_free(ls);
		return rc;
	}
	ls->build_cpu_us = lookup_now_us(CLOCK_THREAD_CPUTIME_ID) - cpu0;
	*out = ls;
	return STORE_OK;
}

/*
 * Where each part's fields lie in struct lookup_set: from its first field
 * up to the next part's first (lookup_internal.h keeps them so), which
 * lets take_part share any part, fields added later included, in one copy.
 */
#define PART_AT(field) offsetof(struct lookup_set, field)
static const size_t part_start[LOOKUP_PARTS + 1] = {
	[LOOKUP_PART_CAPACITY] = PART_AT(any),
	[LOOKUP_PART_LOCALS] = PART_AT(locals),
	[LOOKUP_PART_FLOOD] = PART_AT(flood),
	[LOOKUP_PART_DNS] = PART_AT(dns),
	[LOOKUP_PART_MATCH] = PART_AT(response),
	[LOOKUP_PART_SUPPRESSIONS] = PART_AT(supp),
	[LOOKUP_PART_POOLS] = PART_AT(pools),
	[LOOKUP_PARTS] = sizeof(struct lookup_set),
};
_Static_assert(PART_AT(arena) < PART_AT(any) &&
	       PART_AT(any) < PART_AT(locals) &&
	       PART_AT(locals) < PART_AT(flood) &&
	       PART_AT(flood) < PART_AT(dns) &&
	       PART_AT(dns) < PART_AT(response) &&
	       PART_AT(response) < PART_AT(supp) &&
	       PART_AT(supp) < PART_AT(pools),
	       "struct lookup_set: the parts' fields in enum lookup_part's order, "
	       "after the set's own");

/* take_part - ls shares part p of part set src: its fields, a reference. */
static void take_part(struct lookup_set *ls, enum lookup_part p,
		      struct lookup_set *src)
{
	size_t at = part_start[p];

	lookup_set_hold(src);
	ls->part[p] = src;
	ls->part_version[p] = src->part_version[p];
	ls->skipped += src->skipped;
	memcpy((char *)ls + at, (const char *)src + at, part_start[p + 1] - at);
}

/* same_store - may a set of ls's version build on part p of base? */
static bool same_store(const struct lookup_set *ls,
		       const struct lookup_set *base, enum lookup_part p)
{
	return base && base->part[p] && base->epoch == ls->epoch;
}

/* reusable - may a set of ls's version share part p of base? */
static bool reusable(const struct lookup_set *ls, const struct lookup_set *base,
		     enum lookup_part p)
{
	return same_store(ls, base, p) &&
	       base->part_version[p] == ls->part_version[p];
}

/* What compose builds: which parts, capacity for which pair. */
struct wanted {
	unsigned parts;			/* 1 << part each */
	const struct cap_filter *filter;	/* NULL: every row */
};

/*
 * compose - the set of txn's snapshot with the parts w asks for:
 *	base's where their tables did not change, the others built.
 */
static enum store_rc compose(struct store_txn *txn,
			     const struct lookup_set *base,
			     const struct wanted *w, pattern_report_fn report,
			     void *arg, struct lookup_set **out,
			     unsigned *built)
{
	struct lookup_set *ls = calloc(1, sizeof(*ls)), *part;
	enum store_rc rc;

	*out = NULL;
	if (built)
		*built = 0;
	if (!ls)
		return store_fail(txn->st, STORE_INTERNAL, "out of memory");
	ls->report = report;
	ls->arg = arg;
	rc = lookup_version(txn, &ls->version, &ls->epoch);
	if (rc == STORE_OK)
		rc = part_versions(txn, ls->version, ls->part_version);
	for (int p = 0; rc == STORE_OK && p < LOOKUP_PARTS; p++) {
		if (!(w->parts & (1u << p)))
			continue;
		if (reusable(ls, base, p)) {
			take_part(ls, p, base->part[p]);
			continue;
		}
		if ((rc = part_new(txn, p, w->filter, ls,
				   same_store(ls, base, p) ? base->part[p]
							   : NULL, &part)))
			break;
		take_part(ls, p, part);
		store_lookups_release(part);	/* ls holds it now */
		if (built)
			*built |= 1u << p;
	}
	if (rc) {
		lookup_set_free(ls);
		return rc;
	}
	*out = ls;
	return STORE_OK;
}

enum store_rc lookup_set_update(struct store_txn *txn,
				const struct lookup_set *base,
				pattern_report_fn report, void *arg,
				struct lookup_set **out, unsigned *built)
{
	const struct wanted all = { (1u << LOOKUP_PARTS) - 1, NULL };

	return compose(txn, base, &all, report, arg, out, built);
}

enum store_rc lookup_set_build(struct store_txn *txn,
			       pattern_report_fn report, void *arg,
			       struct lookup_set **out)
{
	return lookup_set_update(txn, NULL, report, arg, out, NULL);
}

/* kind_part - the part a lookup kind reads, or -1 (it reads rows). */
static int kind_part(enum lookup_kind_id k)
{
	switch (k) {
	case LOOKUP_CAPACITY:
		return LOOKUP_PART_CAPACITY;
	case LOOKUP_FLOOD:
		return LOOKUP_PART_FLOOD;
	case LOOKUP_LOCAL:
		return LOOKUP_PART_LOCALS;
	case LOOKUP_DNS:
		return LOOKUP_PART_DNS;
	case LOOKUP_RESPONSE:
	case LOOKUP_REWRITE:
		return LOOKUP_PART_MATCH;
	default:
		return -1;
	}
}

enum store_rc lookup_set_build_for(struct store_txn *txn,
				   const struct lookup_request *q,
				   pattern_report_fn report, void *arg,
				   struct lookup_set **out)
{
	int p = kind_part(q->kind->id);
	struct cap_filter f = { 0 };
	struct wanted w = { p < 0 ? 0 : 1u << p, NULL };

	if (p == LOOKUP_PART_CAPACITY) {
		f = (struct cap_filter){ q->args[0], q->args[1],
					 strlen(q->args[0]),
					 strlen(q->args[1]) };
		w.filter = &f;
	}
	return compose(txn, NULL, &w, report, arg, out, NULL);
}

/* composed - does ls hold part sets (rather than its own parts)? */
static bool composed(const struct lookup_set *ls)
{
	for (int p = 0; p < LOOKUP_PARTS; p++)
		if (ls->part[p])
			return true;
	return false;
}

void lookup_set_free(struct lookup_set *ls)
{
	if (!ls)
		return;
	if (composed(ls)) {
		for (int p = 0; p < LOOKUP_PARTS; p++)
			store_lookups_release(ls->part[p]);
		free(ls);
		return;
	}
	capacity_free(ls);
	pattern_set_free(ls->locals);
	pattern_set_free(ls->flood);
	pattern_set_free(ls->response);
	pattern_groups_free(ls->rewrite);
	free(ls->dns);
	free(ls->response_info);
	free(ls->rewrite_info);
	free(ls->response_action);
	free(ls->rewrite_action);
	held_free(&ls->supp);
	held_free(&ls->pools);
	while (ls->arena) {
		struct arena_block *next = ls->arena->next;
		free(ls->arena);
		ls->arena = next;
	}
	free(ls);
}

void lookup_set_hold(struct lookup_set *ls)
{
	atomic_fetch_add_explicit(&ls->refs, 1, memory_order_relaxed);
}

const void *lookup_set_part(const struct lookup_set *ls, enum lookup_part p)
{
	return p < LOOKUP_PARTS ? ls->part[p] : NULL;
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

bool lookup_set_incremental(const struct lookup_set *ls, enum lookup_part p)
{
	return p == LOOKUP_PART_CAPACITY && ls->cap_base;
}
