/*
 * NAME
 *	sublist.c - the sublist split of seed 5.4: who sends to which address
 * SYNOPSIS
 *	#include "store/store.h"
 *
 *	rc = store_split_each(txn, "list", false, "sub1", 1234, fn, arg,
 *			      &listno);
 *	rc = store_split_gaps(txn, "list", false, gap_fn, arg, &entries);
 * DESCRIPTION
 *	T_name (T_digest_name) holds the entries: listno, name, notuse,
 *	msgnum_lo, msgnum_hi, hash_lo, hash_hi, domain.  The table is small,
 *	so it is read whole; then the address table's index by hash gives
 *	a sublist's addresses, reading only the hashes the sublist takes.
 *
 *	The domain an address belongs to is computed from the address
 *	(sub_domain), not read from its domain column: ezmlm-idx 7 inserts
 *	rows without that column, and its rows must split like mq's.
 * DIAGNOSTICS
 *	STORE_NOTFOUND when the list does not exist or the sublist has no
 *	entry active for the message.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/mlist_int.h"

#define SPLIT_ENTRIES_MAX 4096	/* rows of T_name read at most */

struct split_entry {
	int64_t listno, msgnum_lo, msgnum_hi;
	int hash_lo, hash_hi;
	bool notuse;
	uint32_t domain;	/* domain_pack() of the domain column */
	char name[SUB_ADDR_MAX + 1];
};

struct split_table {
	struct split_entry *e;
	size_t n;
	bool too_many;
};

/*
 * domain_pack - a domain column value (at most 3 bytes) as one number:
 *	the bytes, ASCII lower-cased, and the length in the top byte, so
 *	"" is 0 and no two values collide.
 */
static uint32_t domain_pack(const char *s, size_t len)
{
	/* a longer value (only a damaged file holds one) keeps a length
	 * no address's domain has, so it matches none */
	uint32_t v = (uint32_t)(len < 255 ? len : 255) << 24;

	for (size_t i = 0; i < len && i < SUB_DOMAIN_MAX; i++) {
		uint32_t c = (uint32_t)store_ascii_lower((unsigned char)s[i]);

		v |= c << (16 - 8 * i);
	}
	return v;
}

/* domain_unpack - the text of a domain_pack() value, its first bytes. */
static void domain_unpack(uint32_t v, char out[SUB_DOMAIN_MAX + 1])
{
	size_t len = v >> 24;

	if (len > SUB_DOMAIN_MAX)
		len = SUB_DOMAIN_MAX;
	for (size_t i = 0; i < len; i++)
		out[i] = (char)(v >> (16 - 8 * i));
	out[len] = 0;
}

/* int_or - the integer v holds, or dflt for NULL. */
static int64_t int_or(const struct store_value *v, int64_t dflt)
{
	return v->kind == SV_INT ? v->i : dflt;
}

/* load_entry - one row of T_name into the table. */
static int load_entry(const struct store_row *row, void *arg)
{
	struct split_table *tab = arg;
	struct split_entry *e;
	const struct store_value *name = &row->col[REG_SPLIT_NAME];
	const struct store_value *dom = &row->col[REG_SPLIT_DOMAIN];

	if (tab->n == SPLIT_ENTRIES_MAX) {
		tab->too_many = true;
		return 1;
	}
	e = &tab->e[tab->n++];
	e->listno = int_or(&row->col[REG_SPLIT_LISTNO], 0);
	e->notuse = int_or(&row->col[REG_SPLIT_NOTUSE], 0) != 0;
	e->msgnum_lo = int_or(&row->col[REG_SPLIT_MSGNUM_LO], 0);
	e->msgnum_hi = int_or(&row->col[REG_SPLIT_MSGNUM_HI], SPLIT_MSGNUM_MAX);
	e->hash_lo = (int)int_or(&row->col[REG_SPLIT_HASH_LO], 0);
	e->hash_hi = (int)int_or(&row->col[REG_SPLIT_HASH_HI], SUB_HASH_MAX);
	e->domain = dom->kind == SV_TEXT ? domain_pack(dom->s, dom->len) : 0;
	snprintf(e->name, sizeof(e->name), "%.*s",
		 name->kind == SV_TEXT ? (int)name->len : 0,
		 name->kind == SV_TEXT ? name->s : "");
	return 0;
}

/* split_load - every entry of T_name (T_digest_name); free tab->e. */
static enum store_rc split_load(struct store_txn *txn, const char *root,
				bool digest, struct split_table *tab)
{
	char name[REG_NAME_MAX + 16];
	enum store_rc rc;

	memset(tab, 0, sizeof(*tab));
	(void)mlist_table_name(name, sizeof(name), root, digest,
			       REG_SPLIT_SUFFIX);	/* a cut name: no list */
	tab->e = malloc(SPLIT_ENTRIES_MAX * sizeof(*tab->e));
	if (!tab->e)
		return store_fail(txn->st, STORE_INTERNAL, "out of memory");
	rc = store_scan(txn, name, NULL, 0, load_entry, tab);
	if (rc == STORE_NOTFOUND)
		rc = store_fail(txn->st, rc, "no such list: %s", root);
	else if (rc == STORE_OK && tab->too_many)
		rc = store_fail(txn->st, STORE_BADDATA, "%s: more than %d "
				"entries", name, SPLIT_ENTRIES_MAX);
	return rc;
}

/* Hash bitmask of the range lo..hi, clipped to 0..52. */
static uint64_t hash_mask(int lo, int hi)
{
	uint64_t m = 0;

	if (lo < 0)
		lo = 0;
	for (int h = lo; h <= hi && h <= SUB_HASH_MAX; h++)
		m |= 1ull << h;
	return m;
}

/* active - is entry e active for message msgnum? */
static bool active(const struct split_entry *e, int64_t msgnum)
{
	return !e->notuse && e->msgnum_lo <= msgnum && msgnum <= e->msgnum_hi;
}

/* What one sublist takes for one message. */
struct split_rule {
	uint32_t *domains;	/* domains with an active entry, sorted */
	uint64_t *mask;		/* the sublist's hashes in each of them */
	size_t ndomains;
	uint64_t rest;		/* its hashes of every other domain */
	sub_addr_fn fn;
	void *arg;
};

/* cmp_u32 - qsort/bsearch order of packed domains. */
static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * rule_build - the rule of sublist name for msgnum from the table;
 *	false when the sublist has no active entry.
 */
static bool rule_build(const struct split_table *tab, const char *name,
		       int64_t msgnum, struct split_rule *r, int64_t *listno)
{
	bool mine = false;

	r->ndomains = 0;
	r->rest = 0;
	for (size_t i = 0; i < tab->n; i++) {
		const struct split_entry *e = &tab->e[i];

		if (!active(e, msgnum))
			continue;
		if (e->domain)
			r->domains[r->ndomains++] = e->domain;
		if (strcmp(e->name, name) != 0)
			continue;
		if (!mine || e->listno < *listno)
			*listno = e->listno;
		mine = true;
	}
	qsort(r->domains, r->ndomains, sizeof(uint32_t), cmp_u32);
	size_t u = 0;
	for (size_t i = 0; i < r->ndomains; i++)
		if (u == 0 || r->domains[u - 1] != r->domains[i])
			r->domains[u++] = r->domains[i];
	r->ndomains = u;
	memset(r->mask, 0, u * sizeof(uint64_t));
	for (size_t i = 0; i < tab->n; i++) {
		const struct split_entry *e = &tab->e[i];
		uint64_t m = hash_mask(e->hash_lo, e->hash_hi);

		if (!active(e, msgnum) || strcmp(e->name, name) != 0)
			continue;
		if (!e->domain) {
			r->rest |= m;
			continue;
		}
		uint32_t *d = bsearch(&e->domain, r->domains, u,
				      sizeof(uint32_t), cmp_u32);
		r->mask[d - r->domains] |= m;
	}
	return mine;
}

/* split_want - does the rule give this address (hash 0..52) to the sublist? */
static bool split_want(const char *addr, size_t len, int64_t hash, void *arg)
{
	const struct split_rule *r = arg;
	char dom[SUB_DOMAIN_MAX + 1];
	uint64_t m = r->rest;

	if (r->ndomains) {
		uint32_t key = domain_pack(dom, sub_domain(addr, len, dom));
		uint32_t *d = bsearch(&key, r->domains, r->ndomains,
				      sizeof(uint32_t), cmp_u32);
		if (d)
			m = r->mask[d - r->domains];
	}
	return (m >> hash) & 1;
}

/* split_out - give an address of the sublist to the caller. */
static int split_out(const char *addr, size_t len, int hash, void *arg)
{
	const struct split_rule *r = arg;

	return r->fn(addr, len, hash, r->arg);
}

/* rule_hashes - the hashes the rule can give: its own, then receipts. */
static void rule_hashes(const struct split_rule *r, struct sub_scan *sc)
{
	sc->mask[0] = r->rest;
	for (size_t i = 0; i < r->ndomains; i++)
		sc->mask[0] |= r->mask[i];
	scan_mask_range(sc, SUB_HASH_RECEIPT, SUB_HASH_RECEIPT);
}

enum store_rc store_split_each_after(struct store_txn *txn, const char *root,
				     bool digest, const char *name,
				     int64_t msgnum,
				     const struct sub_place *after,
				     sub_addr_fn fn, void *arg,
				     int64_t *listno)
{
	struct split_table tab;
	struct split_rule r = { .fn = fn, .arg = arg };
	int64_t lowest = 0;
	enum store_rc rc = split_load(txn, root, digest, &tab);

	r.domains = malloc(SPLIT_ENTRIES_MAX * sizeof(*r.domains));
	r.mask = malloc(SPLIT_ENTRIES_MAX * sizeof(*r.mask));
	if (rc == STORE_OK && (!r.domains || !r.mask))
		rc = store_fail(txn->st, STORE_INTERNAL, "out of memory");
	if (rc == STORE_OK && !rule_build(&tab, name, msgnum, &r, &lowest))
		rc = store_fail(txn->st, STORE_NOTFOUND, "%s: sublist %s has "
				"no entry active for message %lld", root, name,
				(long long)msgnum);
	if (rc == STORE_OK && listno)
		*listno = lowest;
	if (rc == STORE_OK && fn) {
		struct sub_scan sc = { .want = split_want, .fn = split_out,
				       .arg = &r, .after = after };

		rule_hashes(&r, &sc);
		rc = sub_scan(txn, root, digest ? SUB_DIGEST : SUB_MAIN, &sc);
	}
	free(r.domains);
	free(r.mask);
	free(tab.e);
	return rc;
}

enum store_rc store_split_each(struct store_txn *txn, const char *root,
			       bool digest, const char *name, int64_t msgnum,
			       sub_addr_fn fn, void *arg, int64_t *listno)
{
	return store_split_each_after(txn, root, digest, name, msgnum, NULL,
				      fn, arg, listno);
}

enum store_rc store_split_listno(struct store_txn *txn, const char *root,
				 bool digest, const char *name,
				 int64_t msgnum, int64_t *listno)
{
	return store_split_each(txn, root, digest, name, msgnum, NULL, NULL,
				listno);
}

/* The gaps found so far, merged over consecutive message ranges. */
struct gap_list {
	struct split_gap *g;
	size_t n, cap;
};

/* gap_add - record a gap, extending an equal one of the messages before. */
static bool gap_add(struct gap_list *l, uint32_t domain, int lo, int hi,
		    int64_t m_lo, int64_t m_hi)
{
	struct split_gap g = { .hash_lo = lo, .hash_hi = hi,
			       .msgnum_lo = m_lo, .msgnum_hi = m_hi };

	domain_unpack(domain, g.domain);
	for (size_t i = 0; i < l->n; i++) {
		struct split_gap *o = &l->g[i];

		if (o->hash_lo == lo && o->hash_hi == hi &&
		    o->msgnum_hi + 1 == m_lo && !strcmp(o->domain, g.domain)) {
			o->msgnum_hi = m_hi;
			return true;
		}
	}
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		void *p = realloc(l->g, cap * sizeof(*l->g));

		if (!p)
			return false;
		l->g = p;
		l->cap = cap;
	}
	l->g[l->n++] = g;
	return true;
}

/* mask_gaps - each run of hashes 0..52 missing from mask, as gaps. */
static bool mask_gaps(struct gap_list *l, uint32_t domain, uint64_t mask,
		      int64_t m_lo, int64_t m_hi)
{
	for (int h = 0; h <= SUB_HASH_MAX; h++) {
		int lo = h;

		if ((mask >> h) & 1)
			continue;
		while (h < SUB_HASH_MAX && !((mask >> (h + 1)) & 1))
			h++;
		if (!gap_add(l, domain, lo, h, m_lo, m_hi))
			return false;
	}
	return true;
}

/* interval_gaps - the gaps while the active set is that of msgnum m_lo. */
static bool interval_gaps(const struct split_table *tab, struct gap_list *l,
			  int64_t m_lo, int64_t m_hi)
{
	uint32_t done[SPLIT_ENTRIES_MAX];
	size_t ndone = 0;
	uint64_t rest = 0;

	for (size_t i = 0; i < tab->n; i++)
		if (active(&tab->e[i], m_lo) && !tab->e[i].domain)
			rest |= hash_mask(tab->e[i].hash_lo, tab->e[i].hash_hi);
	if (!mask_gaps(l, 0, rest, m_lo, m_hi))
		return false;
	for (size_t i = 0; i < tab->n; i++) {
		uint32_t d = tab->e[i].domain;
		uint64_t m = 0;
		size_t k;

		if (!d || !active(&tab->e[i], m_lo))
			continue;
		for (k = 0; k < ndone && done[k] != d; k++)
			;
		if (k < ndone)
			continue;
		done[ndone++] = d;
		for (size_t j = i; j < tab->n; j++)
			if (tab->e[j].domain == d && active(&tab->e[j], m_lo))
				m |= hash_mask(tab->e[j].hash_lo,
					       tab->e[j].hash_hi);
		if (!mask_gaps(l, d, m, m_lo, m_hi))
			return false;
	}
	return true;
}

/* cmp_i64 - qsort order of message numbers. */
static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * change_points - the message numbers in 0..SPLIT_MSGNUM_MAX at which
 *	the set of active entries may change, sorted, 0 first.
 */
static size_t change_points(const struct split_table *tab, int64_t *p)
{
	size_t n = 0, u = 0;

	p[n++] = 0;
	for (size_t i = 0; i < tab->n; i++) {
		const struct split_entry *e = &tab->e[i];

		if (e->notuse)
			continue;
		if (e->msgnum_lo > 0 && e->msgnum_lo <= SPLIT_MSGNUM_MAX)
			p[n++] = e->msgnum_lo;
		if (e->msgnum_hi >= 0 && e->msgnum_hi < SPLIT_MSGNUM_MAX)
			p[n++] = e->msgnum_hi + 1;
	}
	qsort(p, n, sizeof(*p), cmp_i64);
	for (size_t i = 0; i < n; i++)
		if (u == 0 || p[u - 1] != p[i])
			p[u++] = p[i];
	return u;
}

enum store_rc store_split_gaps(struct store_txn *txn, const char *root,
			       bool digest,
			       int (*fn)(const struct split_gap *g, void *arg),
			       void *arg, uint64_t *entries)
{
	struct split_table tab;
	struct gap_list gaps = { 0 };
	int64_t *points = NULL;
	size_t np = 0;
	enum store_rc rc = split_load(txn, root, digest, &tab);

	if (rc == STORE_OK && entries)
		*entries = tab.n;
	if (rc == STORE_OK && tab.n &&
	    !(points = malloc((2 * tab.n + 1) * sizeof(*points))))
		rc = store_fail(txn->st, STORE_INTERNAL, "out of memory");
	if (rc == STORE_OK && tab.n)
		np = change_points(&tab, points);
	for (size_t i = 0; rc == STORE_OK && i < np; i++) {
		int64_t hi = i + 1 < np ? points[i + 1] - 1 : SPLIT_MSGNUM_MAX;

		if (!interval_gaps(&tab, &gaps, points[i], hi))
			rc = store_fail(txn->st, STORE_INTERNAL,
					"out of memory");
	}
	for (size_t i = 0; rc == STORE_OK && i < gaps.n; i++)
		if (fn(&gaps.g[i], arg))
			break;
	free(gaps.g);
	free(points);
	free(tab.e);
	return rc;
}
