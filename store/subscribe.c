/*
 * NAME
 *	subscribe.c - subscribe, unsubscribe, issub and list a list's addresses
 * SYNOPSIS
 *	#include "store/store.h"
 *
 *	rc = store_sub(txn, "list", SUB_MAIN, true, req, n, &counts, &bad);
 *	rc = store_issub(txn, "list", SUB_MAIN, addr, len, &hash);
 * DESCRIPTION
 *	ezmlm-idx 7's subscriber database semantics over the address tables
 *	(hash, address, domain; keyed by the address as store_fold_key()
 *	makes it: variants in case are rows of their own, lying together)
 *	and their _slog tables.  As ezmlm-idx, issub and unsub compare
 *	ASCII-case-insensitively: issub finds any variant, unsub removes
 *	every one (a slog row each, with the address as stored); mq's sub
 *	adds nothing when a variant is there.  A bulk call is one pass
 *	that resolves the tables once, encodes each row into one buffer
 *	and numbers the slog rows itself, so a million addresses cost one put and one slog
 *	append each, in the caller's transaction, plus their two change
 *	records unless those overflow the change log (internal.h), and
 *	their entries in the table's index by hash (addr_index.c).
 * DIAGNOSTICS
 *	STORE_BADDATA names the address and what is wrong with it;
 *	STORE_NOTFOUND names a list that does not exist.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/mlist_int.h"

#define SUB_ROW_MAX	(64 + SUB_ADDR_MAX + SUB_DOMAIN_MAX)
#define SLOG_ROW_MAX	(64 + 2 * SUB_ADDR_MAX + 32)

static const char *const suffixes[] = {
	[SUB_MAIN] = "", [SUB_DIGEST] = "_digest", [SUB_ALLOW] = "_allow",
	[SUB_DENY] = "_deny", [SUB_MOD] = "_mod",
};

const char *sub_table_suffix(enum sub_table which)
{
	return (unsigned)which < sizeof(suffixes) / sizeof(suffixes[0])
		? suffixes[which] : "";
}

enum store_rc sub_resolve(struct store_txn *txn, const char *root,
				 enum sub_table which, struct sub_tables *st)
{
	enum store_rc rc;

	if (snprintf(st->name, sizeof(st->name), "%s%s", root,
		     sub_table_suffix(which)) >= (int)sizeof(st->name) ||
	    snprintf(st->slog, sizeof(st->slog), "%s_slog", st->name)
	    >= (int)sizeof(st->slog))
		return store_fail(txn->st, STORE_NOTFOUND, "no such list: "
				  "%.64s", root);
	rc = table_resolve(txn, st->name, &st->t, &st->dbi);
	if (rc == STORE_NOTFOUND)
		return store_fail(txn->st, rc, "no such list: %s", root);
	if (rc == STORE_OK)
		rc = table_resolve(txn, st->slog, &st->ts, &st->slog_dbi);
	if (rc == STORE_OK)
		rc = idx_of(txn, st->t, &st->dbi, &st->x);
	return rc;
}

/* The state of one store_sub call. */
struct sub_run {
	struct store_txn *txn;
	struct sub_tables tb;
	bool add;
	struct key_tail tail;	/* of the table, then of its index */
	char now[20];		/* the slog's tai, one for the whole call */
	int64_t next_id;	/* the next slog row number; 0: none taken */
	struct tcur slog;	/* at the slog's end, once next_id is taken */
	struct sub_item *items;	/* one per request, sorted (item_cmp) */
	uint8_t *arena;		/* their keys, in input order */
	size_t arena_used;
	bool *changed;		/* by request index: write a slog row */
	struct gone { uint8_t *p; size_t len, cap; } gone; /* removed rows */
	/* added addresses by hash, for the index (stream_add), each
	 * sized for all of its hash's requests (item_make) */
	struct idx_stream { uint8_t *p; size_t len, cap; }
		streams[SUB_HASH_LIMIT + 1];
	bool log;		/* write change records (internal.h) */
	uint8_t buf[SUB_ROW_MAX > SLOG_ROW_MAX ? SUB_ROW_MAX : SLOG_ROW_MAX];
};

/* text - a text value of len bytes at s. */
static struct store_value text(const char *s, size_t len)
{
	return (struct store_value){ .kind = SV_TEXT, .s = s, .len = len };
}

/* slog_append - one _slog row for a change of addr. */
static enum store_rc slog_append(struct sub_run *run, const char *addr,
				 size_t len, const struct sub_request *r)
{
	struct store_row row;
	uint8_t key[8];
	char edir = run->add ? '+' : '-', etype = r->etype ? r->etype : ' ';
	MDB_val k = { sizeof(key), key }, d;
	int mrc;
	enum store_rc rc;

	/* Ask the store once, then number on; store_sub records the
	 * highest number used when it ends. */
	if (run->next_id == 0 &&
	    (rc = store_next_id(run->txn, run->tb.slog, &run->tb.slog_dbi, 0,
				&run->next_id)))
		return rc;
	if (!run->slog.c &&
	    (mrc = tcur_open(run->txn->txn, &run->tb.slog_dbi, &run->slog)))
		return store_mdb_rc(run->txn->st, mrc, run->tb.slog);
	row.nextra = 0;
	row.col[REG_SLOG_TAI] = text(run->now, strlen(run->now));
	row.col[REG_SLOG_ADDRESS] = text(addr, len);
	row.col[REG_SLOG_FROMLINE] = text(r->fromline ? r->fromline : "",
				   r->fromline ? r->fromlen : 0);
	row.col[REG_SLOG_EDIR] = text(&edir, 1);
	row.col[REG_SLOG_ETYPE] = text(&etype, 1);
	d = (MDB_val){ row_size(run->tb.ts, &row), run->buf };
	row_encode(run->tb.ts, &row, run->buf);
	key_encode_int(run->next_id++, key);
	if ((mrc = tcur_put(&run->slog, &k, &d, MDB_APPEND)))
		return store_mdb_rc(run->txn->st, mrc, run->tb.slog);
	return run->log ? store_change(run->txn, CHANGE_PUT, run->tb.slog,
				       key, sizeof(key), run->buf, d.mv_size)
		: STORE_OK;
}

/* stored_hash - the hash column of an encoded address row, or -1. */
static int stored_hash(const struct reg_table *t, const MDB_val *d)
{
	struct store_row row;

	if (!row_decode(t, d->mv_data, d->mv_size, &row) ||
	    row.col[REG_ADDR_HASH].kind != SV_INT)
		return -1;
	return (int)row.col[REG_ADDR_HASH].i;
}

/*
 * One request made ready, in 16 bytes (a million of them are sorted):
 * its key (store_fold_key, whose first len + 1 bytes are the prefix of
 * every variant) in the run's arena, which also gives back the address
 * as stored (store_unfold_key).
 */
struct sub_item {
	uint64_t key;		/* offset of its key in the arena */
	uint32_t index;		/* in the caller's array */
	uint16_t klen;		/* of its key */
	uint8_t len;		/* of the address */
	uint8_t hash;		/* sub_add: the hash to write */
};
_Static_assert(SUB_ADDR_MAX <= UINT8_MAX && SUB_HASH_LIMIT <= UINT8_MAX &&
	       STORE_FOLD_KEY_MAX(SUB_ADDR_MAX) <= UINT16_MAX,
	       "a sub_item's fields hold an address's sizes and hash");

/* key_of - the item's key */
static const uint8_t *key_of(const struct sub_run *run,
			     const struct sub_item *it)
{
	return run->arena + it->key;
}

/* addr_row - encode the item's table row into run->buf; its size. */
static size_t addr_row(struct sub_run *run, const struct sub_item *it)
{
	char dom[SUB_DOMAIN_MAX + 1], addr[SUB_ADDR_MAX];
	const uint8_t *key = key_of(run, it);
	struct store_row row;

	store_unfold_key(addr, key, it->len, it->klen);
	row.nextra = 0;
	row.col[REG_ADDR_HASH] = (struct store_value){ .kind = SV_INT,
						.i = it->hash };
	row.col[REG_ADDR_ADDRESS] = text(addr, it->len);
	/* the key's folded address gives the same (folded) domain */
	row.col[REG_ADDR_DOMAIN] = text(dom, sub_domain((const char *)key,
							it->len, dom));
	row_encode(run->tb.t, &row, run->buf);
	return row_size(run->tb.t, &row);
}

/* stream_bytes - what stream_add takes for it */
static size_t stream_bytes(const struct sub_item *it)
{
	return 2 + it->klen;
}

/*
 * streams_alloc - each hash's stream, of the size its requests could
 *	fill (from the heap: freed after its writing, its memory takes
 *	the next dirty pages, not fresh memory).
 */
static bool streams_alloc(struct sub_run *run)
{
	for (int h = 0; h <= SUB_HASH_LIMIT; h++) {
		struct idx_stream *s = &run->streams[h];

		if (s->cap && !(s->p = malloc(s->cap)))
			return false;
	}
	return true;
}

/*
 * stream_add - note an added address for the index, in the stream of
 *	its hash: [key length, 2 bytes][key] (which gives the address
 *	back: store_unfold_key).
 *	The additions come in key order, so each stream is in index order,
 *	and writing them out hash by hash appends to a bulk-loaded index.
 *	Copied now, while the item is in the cache: reading the items back
 *	in hash order would miss it on every one.
 */
static bool stream_add(struct sub_run *run, const struct sub_item *it)
{
	struct idx_stream *s = &run->streams[it->hash];

	if (s->len + stream_bytes(it) > s->cap)
		return false;
	s->p[s->len++] = (uint8_t)(it->klen >> 8);
	s->p[s->len++] = (uint8_t)it->klen;
	memcpy(s->p + s->len, key_of(run, it), it->klen);
	s->len += it->klen;
	return true;
}

/* sub_add - insert addr unless present (in any case). */
static enum store_rc sub_add(struct sub_run *run, struct sub_item *it,
			     const struct sub_request *r,
			     struct sub_counts *counts)
{
	MDB_val k = { it->len + 1, (void *)key_of(run, it) }, d;
	int mrc;

	/* A variant there?  Loading in key order, most sort after them all. */
	mrc = tdb_first_with(run->txn->txn, &run->tb.dbi, &run->tail, &k,
			     k.mv_size, &k, &d);
	if (mrc == 0)
		mrc = MDB_KEYEXIST;
	else if (mrc == MDB_NOTFOUND) {
		k = (MDB_val){ it->klen, (void *)key_of(run, it) };
		d = (MDB_val){ addr_row(run, it), run->buf };
		mrc = tail_put(run->txn, &run->tb.dbi, &run->tail, &k, &d,
			       MDB_NOOVERWRITE);
	}
	if (mrc == MDB_KEYEXIST) {
		/* d now holds the present row. */
		if (r->hash < 0 && stored_hash(run->tb.t, &d) > SUB_HASH_MAX)
			counts->blocked++;
		else
			counts->unchanged++;
		return STORE_OK;
	}
	if (mrc)
		return store_mdb_rc(run->txn->st, mrc, run->tb.name);
	if (!stream_add(run, it))
		return store_fail(run->txn->st, STORE_INTERNAL,
				  "table %s: index stream overrun", run->tb.name);
	run->changed[it->index] = true;
	counts->changed++;
	return STORE_OK;
}

/*
 * gone_add - note a removed row for its change record and slog row:
 *	[request index][key length, 2 bytes][key][address length][address],
 *	in key order as the removals come.
 */
static bool gone_add(struct sub_run *run, size_t index, const MDB_val *k,
		     const struct store_value *addr)
{
	struct gone *g = &run->gone;
	size_t need = sizeof(index) + 3 + k->mv_size + addr->len;

	if (g->len + need > g->cap) {
		size_t cap = g->cap ? 2 * g->cap : 4096;
		uint8_t *p;

		while (cap < g->len + need)
			cap *= 2;
		if (!(p = realloc(g->p, cap)))
			return false;
		g->p = p;
		g->cap = cap;
	}
	memcpy(g->p + g->len, &index, sizeof(index));
	g->len += sizeof(index);
	g->p[g->len++] = (uint8_t)(k->mv_size >> 8);
	g->p[g->len++] = (uint8_t)k->mv_size;
	memcpy(g->p + g->len, k->mv_data, k->mv_size);
	g->len += k->mv_size;
	g->p[g->len++] = (uint8_t)addr->len;
	memcpy(g->p + g->len, addr->s, addr->len);
	g->len += addr->len;
	return true;
}

/* One removed row, read back from the run's record of them. */
struct gone_row {
	size_t index;
	MDB_val key;
	const char *addr;
	size_t len;
};

/* gone_at - the removed row at offset at; the offset after it. */
static size_t gone_at(const struct gone *g, size_t at, struct gone_row *out)
{
	const uint8_t *p = g->p + at;

	memcpy(&out->index, p, sizeof(out->index));
	p += sizeof(out->index);
	out->key = (MDB_val){ (size_t)p[0] << 8 | p[1], (void *)(p + 2) };
	p += 2 + out->key.mv_size;
	out->len = *p++;
	out->addr = (const char *)p;
	return (size_t)(p + out->len - g->p);
}

/*
 * remove_variant - delete the row (k, d) when its hash allows it: a
 *	blocked address (hash above 52) only by its own hash.  *removed
 *	says whether it went (k then points at a copy of its key).
 */
static enum store_rc remove_variant(struct sub_run *run,
				    const struct sub_item *it,
				    const struct sub_request *r, MDB_val *k,
				    const MDB_val *d, bool *removed)
{
	uint8_t key[STORE_KEY_MAX];
	struct store_row row;
	int mrc, hash;

	if (!row_decode(run->tb.t, d->mv_data, d->mv_size, &row) ||
	    row.col[REG_ADDR_HASH].kind != SV_INT ||
	    row.col[REG_ADDR_ADDRESS].kind != SV_TEXT ||
	    k->mv_size > sizeof(key))
		return table_corrupt_row(run->txn->st, run->tb.name);
	hash = (int)row.col[REG_ADDR_HASH].i;
	*removed = false;
	if (r->hash >= 0 ? hash != r->hash : hash > SUB_HASH_MAX)
		return STORE_OK;
	if (!gone_add(run, it->index, k, &row.col[REG_ADDR_ADDRESS]))
		return store_fail(run->txn->st, STORE_INTERNAL,
				  "out of memory");
	memcpy(key, k->mv_data, k->mv_size);	/* the delete moves the map */
	*k = (MDB_val){ k->mv_size, key };
	if ((mrc = tdb_del(run->txn->txn, &run->tb.dbi, k)))
		return store_mdb_rc(run->txn->st, mrc, run->tb.name);
	*removed = true;
	return idx_remove(run->txn, &run->tb.x, run->tb.name, hash,
			  k->mv_data, k->mv_size);
}

/*
 * sub_remove - delete every variant of addr whose hash allows it, one
 *	after the other: each search starts after the rows kept.
 */
static enum store_rc sub_remove(struct sub_run *run, const struct sub_item *it,
				const struct sub_request *r,
				struct sub_counts *counts)
{
	uint8_t from[STORE_KEY_MAX + 1];
	MDB_val f = { it->len + 1, from }, k, d;
	size_t before = run->gone.len;
	enum store_rc rc = STORE_OK;
	bool removed = false;
	int mrc;

	memcpy(from, key_of(run, it), f.mv_size);
	while (rc == STORE_OK &&
	       (mrc = tdb_first_with(run->txn->txn, &run->tb.dbi, NULL, &f,
				     it->len + 1, &k, &d)) == 0) {
		rc = remove_variant(run, it, r, &k, &d, &removed);
		if (rc || removed)
			continue;
		/* Kept: search on just after it (its key and a NUL). */
		if (k.mv_size >= sizeof(from))
			break;
		memcpy(from, k.mv_data, k.mv_size);
		from[k.mv_size] = 0;
		f.mv_size = k.mv_size + 1;
	}
	if (rc == STORE_OK && mrc != MDB_NOTFOUND && mrc != 0)
		rc = store_mdb_rc(run->txn->st, mrc, run->tb.name);
	if (rc)
		return rc;
	if (run->gone.len == before) {
		counts->unchanged++;
		return STORE_OK;
	}
	run->changed[it->index] = true;
	counts->changed++;
	return STORE_OK;
}

/* item_make - check and normalize request i into its item. */
static enum store_rc item_make(struct sub_run *run,
			       const struct sub_request *r, size_t i)
{
	struct sub_item *it = &run->items[i];
	struct store *st = run->txn->st;
	char addr[SUB_ADDR_MAX + 1];
	size_t len;

	if (r->len > SUB_ADDR_MAX)
		return store_fail(st, STORE_BADDATA, "%.40s...: address "
				  "longer than %d bytes", r->addr,
				  SUB_ADDR_MAX);
	if (sub_address(r->addr, r->len, addr, &len, store_errbuf(),
			STORE_ERR_MAX))
		return STORE_BADDATA;
	if (r->hash < -1 || r->hash > SUB_HASH_LIMIT)
		return store_fail(st, STORE_BADDATA, "%s: hash %d is not "
				  "0..%d", addr, r->hash, SUB_HASH_LIMIT);
	if (r->fromline && (r->fromlen > SUB_ADDR_MAX ||
			    memchr(r->fromline, 0, r->fromlen)))
		return store_fail(st, STORE_BADDATA, "%s: from line longer "
				  "than %d bytes or with a NUL byte", addr,
				  SUB_ADDR_MAX);
	it->index = (uint32_t)i;
	it->len = (uint8_t)len;
	it->key = run->arena_used;
	it->klen = (uint16_t)store_fold_key(run->arena + it->key, addr, len);
	run->arena_used += it->klen;
	if (run->add) {
		it->hash = (uint8_t)(r->hash >= 0 ? r->hash
				     : (int)sub_hash(addr, len));
		run->streams[it->hash].cap += stream_bytes(it);
	}
	return STORE_OK;
}

/*
 * item_cmp - the order of the variants' prefixes (the table's key order
 *	but for the variants of one address), then input order: of the
 *	variants in one call the first given is the one sub adds.
 */
static int item_cmp(const void *a, const void *b, void *arena)
{
	const struct sub_item *x = a, *y = b;
	const uint8_t *base = arena;
	/* A prefix ends in the key's only NUL: one byte past the shorter
	 * address tells two prefixes apart. */
	int c = memcmp(base + x->key, base + y->key,
		       (x->len < y->len ? x->len : y->len) + 1U);

	if (c)
		return c;
	return x->index < y->index ? -1 : x->index > y->index;
}

/*
 * log_changes - the change records of the table changes, in key order,
 *	unless the log overflows (internal.h): then none at all.  They are
 *	written after the table changes, so that a bulk load lays the
 *	table's pages out contiguously in the file (a later scan of it
 *	faults fewer pages in).
 */
static enum store_rc log_changes(struct sub_run *run, size_t n,
				 uint64_t changed)
{
	struct gone_row g;
	enum store_rc rc = store_change_expect(run->txn, 2 * changed,
					       &run->log);

	for (size_t i = 0; rc == STORE_OK && run->log && run->add && i < n;
	     i++) {
		const struct sub_item *it = &run->items[i];

		if (run->changed[it->index])
			rc = store_change(run->txn, CHANGE_PUT, run->tb.name,
					  key_of(run, it), it->klen, run->buf,
					  addr_row(run, it));
	}
	for (size_t at = 0; rc == STORE_OK && run->log && at < run->gone.len;) {
		at = gone_at(&run->gone, at, &g);
		rc = store_change(run->txn, CHANGE_DEL, run->tb.name,
				  g.key.mv_data, g.key.mv_size, NULL, 0);
	}
	return rc;
}

/*
 * tail_kept - the tail of db, with a cursor kept at its end: sub_add and
 *	index_added are each the only writer of their database meanwhile.
 */
static enum store_rc tail_kept(struct sub_run *run, const struct tdb *db)
{
	enum store_rc rc = key_tail_load(run->txn, db, run->tb.name,
					 &run->tail);
	int mrc = rc ? 0 : key_tail_keep(run->txn, db, &run->tail);

	return mrc ? store_mdb_rc(run->txn->st, mrc, run->tb.name) : rc;
}

/* index_added - the streams into the index, hash by hash. */
static enum store_rc index_added(struct sub_run *run)
{
	enum store_rc rc = tail_kept(run, &run->tb.x);
	char addr[SUB_ADDR_MAX];

	for (int h = 0; h <= SUB_HASH_LIMIT; h++) {
		struct idx_stream *s = &run->streams[h];

		for (size_t at = 0; rc == STORE_OK && at < s->len;) {
			size_t klen = (size_t)s->p[at] << 8 | s->p[at + 1];
			const uint8_t *key = s->p + at + 2;
			/* the folded address holds no NUL: the first ends it */
			size_t len = strlen((const char *)key);

			if (klen > len + 1)	/* a capital: not the key's */
				store_unfold_key(addr, key, len, klen);
			rc = idx_add(run->txn, &run->tb.x, run->tb.name,
				     &run->tail, h, key, klen, klen > len + 1
				     ? addr : (const char *)key, len);
			at += 2 + klen;
		}
		free(s->p);	/* now: the next dirty pages may reuse it */
		*s = (struct idx_stream){ 0 };
	}
	key_tail_drop(&run->tail);
	return rc;
}

/*
 * slog_added - a slog row for each address added, in input order: the
 *	stored form made again from the request (item_make took it), as
 *	the requests are read in order and the sorted items are not.
 */
static enum store_rc slog_added(struct sub_run *run,
				const struct sub_request *r, size_t n)
{
	char addr[SUB_ADDR_MAX + 1];
	enum store_rc rc = STORE_OK;
	size_t len;

	for (size_t i = 0; rc == STORE_OK && i < n; i++)
		if (run->changed[i] &&
		    !(rc = sub_address(r[i].addr, r[i].len, addr, &len,
				       store_errbuf(), STORE_ERR_MAX)))
			rc = slog_append(run, addr, len, &r[i]);
	return rc;
}

/* gone_cmp - removed rows by request, then in the order removed */
static int gone_cmp(const void *a, const void *b)
{
	const size_t *x = a, *y = b;

	return x[0] != y[0] ? (x[0] < y[0] ? -1 : 1)
		: (x[1] > y[1]) - (x[1] < y[1]);
}

/*
 * slog_removed - a slog row for each row removed, with its address as
 *	stored, in input order (a request's variants in key order).
 */
static enum store_rc slog_removed(struct sub_run *run,
				  const struct sub_request *r)
{
	size_t n = 0, (*order)[2];
	struct gone_row g;
	enum store_rc rc = STORE_OK;

	for (size_t at = 0; at < run->gone.len; n++)
		at = gone_at(&run->gone, at, &g);
	if (!(order = malloc((n ? n : 1) * sizeof(*order))))
		return store_fail(run->txn->st, STORE_INTERNAL,
				  "out of memory");
	for (size_t at = 0, i = 0; i < n; i++) {
		order[i][1] = at;
		at = gone_at(&run->gone, at, &g);
		order[i][0] = g.index;
	}
	qsort(order, n, sizeof(*order), gone_cmp);
	for (size_t i = 0; rc == STORE_OK && i < n; i++) {
		gone_at(&run->gone, order[i][1], &g);
		rc = slog_append(run, g.addr, g.len, &r[g.index]);
	}
	free(order);
	return rc;
}

/*
 * sub_apply - the table changes in key order (B-tree pages fill and are
 *	touched in sequence: a bulk load is several times faster and the
 *	table stays compact), their change records, then the slog rows in
 *	input order.
 */
static enum store_rc sub_apply(struct sub_run *run,
			       const struct sub_request *r, size_t n,
			       struct sub_counts *counts)
{
	enum store_rc rc = STORE_OK;

	qsort_r(run->items, n, sizeof(*run->items), item_cmp, run->arena);
	if (run->add)
		rc = tail_kept(run, &run->tb.dbi);
	for (size_t i = 0; rc == STORE_OK && i < n; i++) {
		struct sub_item *it = &run->items[i];

		rc = run->add ? sub_add(run, it, &r[it->index], counts)
			: sub_remove(run, it, &r[it->index], counts);
	}
	key_tail_drop(&run->tail);
	if (rc == STORE_OK && run->add)
		rc = index_added(run);
	if (rc == STORE_OK)
		rc = log_changes(run, n, counts->changed);
	/* Done with the items: the slog's dirty pages may take their room. */
	free(run->items);
	free(run->arena);
	run->items = NULL;
	run->arena = NULL;
	if (rc == STORE_OK)
		rc = run->add ? slog_added(run, r, n) : slog_removed(run, r);
	if (run->slog.c)
		tcur_close(&run->slog);
	if (rc == STORE_OK && run->next_id > 1)
		rc = store_next_id(run->txn, run->tb.slog, &run->tb.slog_dbi,
				   run->next_id - 1, NULL);
	return rc;
}

/* arena_size - room for every address's key. */
static size_t arena_size(const struct sub_request *r, size_t n)
{
	size_t total = 1;

	for (size_t i = 0; i < n; i++)
		total += r[i].len > SUB_ADDR_MAX ? 0
			: STORE_FOLD_KEY_MAX(r[i].len);
	return total;
}

enum store_rc store_sub(struct store_txn *txn, const char *root,
			enum sub_table which, bool add,
			const struct sub_request *r, size_t n,
			struct sub_counts *counts, size_t *failed)
{
	struct sub_counts dummy;
	struct sub_run *run;
	time_t now = time(NULL);
	struct tm tm;
	enum store_rc rc;
	size_t i = 0;

	if (!counts)
		counts = &dummy;
	memset(counts, 0, sizeof(*counts));
	if (n > UINT32_MAX)
		return store_fail(txn->st, STORE_BADDATA, "%zu addresses in "
				  "one call: at most %u", n, UINT32_MAX);
	run = calloc(1, sizeof(*run));
	if (run) {
		run->txn = txn;
		run->items = store_bulk_alloc(n * sizeof(*run->items));
		run->changed = calloc(n ? n : 1, sizeof(*run->changed));
		run->arena = store_bulk_alloc(arena_size(r, n));
	}
	if (!run || !run->items || !run->changed || !run->arena)
		rc = store_fail(txn->st, STORE_INTERNAL, "out of memory");
	else
		rc = sub_resolve(txn, root, which, &run->tb);
	if (run)
		run->add = add;
	for (; rc == STORE_OK && i < n; i++)
		rc = item_make(run, &r[i], i);
	if (rc == STORE_BADDATA && failed)
		*failed = i - 1;
	if (rc == STORE_OK && !streams_alloc(run))
		rc = store_fail(txn->st, STORE_INTERNAL, "out of memory");
	if (rc == STORE_OK) {
		gmtime_r(&now, &tm);
		strftime(run->now, sizeof(run->now), "%Y-%m-%d %H:%M:%S", &tm);
		rc = sub_apply(run, r, n, counts);
	}
	if (run) {
		free(run->items);
		free(run->changed);
		free(run->arena);
		free(run->gone.p);
		for (int h = 0; h <= SUB_HASH_LIMIT; h++)
			free(run->streams[h].p);
	}
	free(run);
	return rc;
}

/* issub_at - the first row of a variant of addr in tb, or STORE_NOTFOUND. */
static enum store_rc issub_at(struct store_txn *txn,
			      const struct sub_tables *tb, const char *addr,
			      size_t len, struct store_row *row)
{
	uint8_t key[SUB_ADDR_MAX + 1];
	MDB_val k, d;
	int mrc;

	if (len == 0 || len > SUB_ADDR_MAX || memchr(addr, 0, len))
		return STORE_NOTFOUND;
	k = (MDB_val){ store_fold_prefix(key, addr, len), key };
	mrc = tdb_first_with(txn->txn, &tb->dbi, NULL, &k, k.mv_size, &k,
			     &d);
	if (mrc == MDB_NOTFOUND)
		return STORE_NOTFOUND;
	if (mrc)
		return store_mdb_rc(txn->st, mrc, tb->name);
	if (!row_decode(tb->t, d.mv_data, d.mv_size, row) ||
	    row->col[REG_ADDR_HASH].kind != SV_INT)
		return table_corrupt_row(txn->st, tb->name);
	return STORE_OK;
}

static bool normal_hash(const struct store_row *row)
{
	return row->col[REG_ADDR_HASH].i <= SUB_HASH_MAX;
}

enum store_rc store_issub(struct store_txn *txn, const char *root,
			  enum sub_table which, const char *addr, size_t len,
			  int *hash, struct store_value *stored)
{
	struct sub_tables tb;
	struct store_row row, dom;
	const char *at = len ? memrchr(addr, '@', len) : NULL;
	enum store_rc rc = sub_resolve(txn, root, which, &tb);

	if (rc)
		return rc;
	rc = issub_at(txn, &tb, addr, len, &row);
	if (rc && rc != STORE_NOTFOUND)
		return rc;
	/* Not a member by its own entry: its domain's "@domain" may be. */
	if ((rc || !normal_hash(&row)) && at && at > addr &&
	    issub_at(txn, &tb, at, len - (size_t)(at - addr), &dom) ==
	    STORE_OK && normal_hash(&dom)) {
		row = dom;
		rc = STORE_OK;
	}
	if (rc)
		return store_fail(txn->st, STORE_NOTFOUND, "%.*s: not in %s",
				  (int)(len > SUB_ADDR_MAX ? SUB_ADDR_MAX : len),
				  addr, tb.name);
	*hash = (int)row.col[REG_ADDR_HASH].i;
	if (stored)
		*stored = row.col[REG_ADDR_ADDRESS];
	return STORE_OK;
}

/* Bytes a subscribed address may take: row, slog row, change records. */
#define SUB_BYTES_EACH	512

enum store_rc store_sub_reserve(struct store *st, size_t n)
{
	MDB_envinfo info;
	MDB_stat ms;
	uint64_t need, size;

	if (mdb_env_info(st->env, &info) || mdb_env_stat(st->env, &ms))
		return store_fail(st, STORE_INTERNAL, "%s: no environment "
				  "info", st->path);
	need = (uint64_t)(info.me_last_pgno + 1) * ms.ms_psize +
		(uint64_t)n * SUB_BYTES_EACH;
	for (size = info.me_mapsize; size < need; size *= 2)
		;
	if (size > st->opt.max_size)
		size = st->opt.max_size;
	if (size <= info.me_mapsize)
		return STORE_OK;
	return store_mdb_rc(st, mdb_env_set_mapsize(st->env, size),
			    "grow map");
}
