/*
 * NAME
 *	lookup_held.c - the suppressions and pool_ips parts of a lookup set
 * SYNOPSIS
 *	#include "store/lookup_internal.h"
 * DESCRIPTION
 *	A suppression list may hold millions of rows, and every paused or
 *	errors lookup asks which pools a local IP is in: reading those
 *	tables row by row at each lookup costs their size.  These parts,
 *	built off the lookup path like the others (lookup_set.c), index
 *	them once per change of their table:
 *
 *	suppressions: each row under its address when that is not "any"
 *	(empty or '*'), else under its domain when that is not "any"
 *	(a row of wildcards only never matches).  A row that matches
 *	recipient A has address A, or an "any" address and domain D of A,
 *	so its position is under A or D: the lookup reads the rows of both
 *	keys by id, in id order, and judges each exactly as the scan does
 *	(lookup_rows.c), expiry included.
 *
 *	pool_ips: each row under its name and under its localip, which
 *	the lookups compare byte for byte (the keys are folded in the hash
 *	tables, so the candidates of a key are checked exactly).
 *
 *	The key texts are copied into the set's arena; a lookup costs two
 *	hash probes and a point read per candidate row.
 * DIAGNOSTICS
 *	STORE_INTERNAL when out of memory while building.
 */
#include <stdlib.h>
#include <string.h>

#include "store/lookup_internal.h"

#define SUPP_ADDRESS	1	/* suppressions columns (registry.c) */
#define SUPP_DOMAIN	2
#define POOL_NAME	0	/* pool_ips columns */
#define POOL_LOCALIP	1
#define NO_KEY		UINT32_MAX

/* What a build collects: per row its key in each index. */
struct held_build {
	struct lookup_set *ls;
	struct held_rows *h;
	bool supp, nomem;
	uint32_t cap;
	uint32_t *ka, *kb;	/* row position -> key in by_a, by_b */
};

/* key_of - the key number of text in idx, added when new; NO_KEY: none */
static uint32_t key_of(struct held_build *b, struct text_index *idx,
		       const char *s, size_t len)
{
	uint32_t k;

	if (!shash_put(b->ls, &idx->keys, s, len, NULL, 0, idx->nkeys, &k)) {
		b->nomem = true;
		return NO_KEY;
	}
	if (k == idx->nkeys)
		idx->nkeys++;
	return k;
}

/* resize - *p to cap elements of size elem; false without memory */
static bool resize(void *p, size_t elem, uint32_t cap)
{
	void **pp = p, *q = realloc(*pp, (size_t)cap * elem);

	if (q)
		*pp = q;
	return q != NULL;
}

/* grow - room for one more row in every array of the build */
static bool grow(struct held_build *b)
{
	struct held_rows *h = b->h;
	uint32_t cap = b->cap ? b->cap * 2 : 64;

	if (h->n < b->cap)
		return true;
	if (!resize(&b->ka, sizeof(*b->ka), cap) ||
	    !resize(&b->kb, sizeof(*b->kb), cap))
		return false;
	if (b->supp ? !resize(&h->id, sizeof(*h->id), cap)
	    : !resize(&h->name, sizeof(*h->name), cap) ||
	      !resize(&h->ip, sizeof(*h->ip), cap) ||
	      !resize(&h->namelen, sizeof(*h->namelen), cap) ||
	      !resize(&h->iplen, sizeof(*h->iplen), cap))
		return false;
	b->cap = cap;
	return true;
}

/* add_supp - one suppressions row: under its address, else its domain */
static void add_supp(struct held_build *b, const struct store_row *r,
		     uint32_t i)
{
	size_t alen, dlen;
	const char *a = row_text(r, SUPP_ADDRESS, &alen);
	const char *d = row_text(r, SUPP_DOMAIN, &dlen);

	b->h->id[i] = row_int(r, 0);
	b->ka[i] = b->kb[i] = NO_KEY;
	if (!text_is_any(a, alen))
		b->ka[i] = key_of(b, &b->h->by_a, a, alen);
	else if (!text_is_any(d, dlen))
		b->kb[i] = key_of(b, &b->h->by_b, d, dlen);
}

/* add_pool_ip - one pool_ips row: its key copied, under both columns */
static void add_pool_ip(struct held_build *b, const struct store_row *r,
			uint32_t i)
{
	struct held_rows *h = b->h;
	const char *n = row_text(r, POOL_NAME, &h->namelen[i]);
	const char *ip = row_text(r, POOL_LOCALIP, &h->iplen[i]);

	h->name[i] = arena_copy(b->ls, n, h->namelen[i]);
	h->ip[i] = arena_copy(b->ls, ip, h->iplen[i]);
	if (!h->name[i] || !h->ip[i]) {
		b->nomem = true;
		return;
	}
	b->ka[i] = key_of(b, &h->by_a, n, h->namelen[i]);
	b->kb[i] = key_of(b, &h->by_b, ip, h->iplen[i]);
}

/* add_row - store_scan callback: one row into the build */
static int add_row(const struct store_row *r, void *arg)
{
	struct held_build *b = arg;

	if (!grow(b)) {
		b->nomem = true;
		return 1;
	}
	if (b->supp)
		add_supp(b, r, b->h->n);
	else
		add_pool_ip(b, r, b->h->n);
	b->h->n++;
	return b->nomem;
}

/* group - the positions of idx's keys, each key's in read order */
static bool group(struct text_index *idx, const uint32_t *key, uint32_t n)
{
	uint32_t *fill;

	idx->start = calloc((size_t)idx->nkeys + 1, sizeof(*idx->start));
	idx->pos = malloc(((size_t)n + 1) * sizeof(*idx->pos));
	fill = calloc((size_t)idx->nkeys + 1, sizeof(*fill));
	if (!idx->start || !idx->pos || !fill) {
		free(fill);
		return false;
	}
	for (uint32_t i = 0; i < n; i++)
		if (key[i] != NO_KEY)
			idx->start[key[i] + 1]++;
	for (uint32_t k = 0; k < idx->nkeys; k++)
		idx->start[k + 1] += idx->start[k];
	for (uint32_t i = 0; i < n; i++)
		if (key[i] != NO_KEY)
			idx->pos[idx->start[key[i]] + fill[key[i]]++] = i;
	free(fill);
	return true;
}

enum store_rc held_build(struct lookup_set *ls, struct store_txn *txn,
			 bool supp)
{
	struct held_rows *h = supp ? &ls->supp : &ls->pools;
	struct held_build b = { ls, h, supp, false, 0, NULL, NULL };
	const char *table = supp ? "suppressions" : "pool_ips";
	uint64_t rows = 0;
	enum store_rc rc = store_count(txn, table, &rows);

	if (rc == STORE_OK && (rows > UINT32_MAX / 4 ||
			       !shash_init(&h->by_a.keys, (uint32_t)rows + 1) ||
			       !shash_init(&h->by_b.keys, (uint32_t)rows + 1)))
		b.nomem = true;
	if (rc == STORE_OK && !b.nomem)
		rc = store_scan(txn, table, NULL, 0, add_row, &b);
	if (rc == STORE_OK && !b.nomem &&
	    (!group(&h->by_a, b.ka, h->n) || !group(&h->by_b, b.kb, h->n)))
		b.nomem = true;
	free(b.ka);
	free(b.kb);
	if (rc == STORE_OK && b.nomem)
		rc = store_fail(txn->st, STORE_INTERNAL, "out of memory");
	h->built = rc == STORE_OK;
	return rc;
}

/* index_free - what a text_index allocated (its keys are in the arena) */
static void index_free(struct text_index *idx)
{
	shash_free(&idx->keys);
	free(idx->start);
	free(idx->pos);
}

void	held_free(struct held_rows *h)
{
	index_free(&h->by_a);
	index_free(&h->by_b);
	free(h->id);
	free(h->name);
	free(h->ip);
	free(h->namelen);
	free(h->iplen);
}

/* range - the positions under text in idx: *from .. *to (empty: equal) */
static void range(const struct text_index *idx, const char *text,
		  uint32_t *from, uint32_t *to)
{
	int64_t k = shash_find(&idx->keys, text, strlen(text), NULL, 0);

	*from = *to = 0;
	if (k >= 0) {
		*from = idx->start[k];
		*to = idx->start[k + 1];
	}
}

enum store_rc held_suppressions(const struct lookup_ctx *c, const char *addr,
				const char *dom, store_row_fn fn, void *arg)
{
	const struct held_rows *h = &c->set->supp;
	const uint32_t *pos_a = h->by_a.pos, *pos_b = h->by_b.pos;
	struct store_value key = { .kind = SV_INT };
	struct key_walk w;
	uint32_t a, a_end, b, b_end;

	key_walk_start(&w, c, "suppressions", fn, arg);
	range(&h->by_a, addr, &a, &a_end);
	range(&h->by_b, dom, &b, &b_end);
	/* positions are in id order within a key: merge the two */
	while (a < a_end || b < b_end) {
		bool take_a = b == b_end ||
			      (a < a_end && pos_a[a] < pos_b[b]);
		uint32_t i = take_a ? pos_a[a++] : pos_b[b++];

		key.i = h->id[i];
		if (!key_walk_read(&w, &key))
			break;
	}
	return w.rc;	/* no row is not an error here: see wild_lookup */
}

enum store_rc held_pool_ips(const struct lookup_ctx *c, bool by_name,
			    const char *text, store_row_fn fn, void *arg)
{
	const struct held_rows *h = &c->set->pools;
	const struct text_index *idx = by_name ? &h->by_a : &h->by_b;
	struct key_walk w;
	size_t len = strlen(text);
	uint32_t from, to;

	key_walk_start(&w, c, "pool_ips", fn, arg);
	range(idx, text, &from, &to);
	for (; from < to; from++) {
		uint32_t i = idx->pos[from];
		const char *s = by_name ? h->name[i] : h->ip[i];
		struct store_value key[2] = {
			{ .kind = SV_TEXT, .s = h->name[i], .len = h->namelen[i] },
			{ .kind = SV_TEXT, .s = h->ip[i], .len = h->iplen[i] } };

		if ((by_name ? h->namelen[i] : h->iplen[i]) != len ||
		    memcmp(s, text, len))
			continue;
		if (!key_walk_read(&w, key))
			break;
	}
	return key_walk_end(&w);
}
