/*
 * NAME
 *	addr_index.c - the address tables' index by hash, and listing by it
 * SYNOPSIS
 *	#include "store/store.h"
 *
 *	rc = store_sub_each(txn, "list", SUB_MAIN, 0, 52, true, fn, arg);
 * DESCRIPTION
 *	Every address table of a list (T, T_digest, T_allow, T_deny,
 *	T_mod) has an index holding one entry per row (in the database
 *	"y:" + its suffix, under the list's id: tdb.c): the key is one
 *	byte, the row's hash (255 for a hash outside 0..254), then the
 *	row's key (store_fold_key: the address folded, a NUL, its case
 *	mask); the data is the address as stored, or nothing when it has
 *	no capital (its key is then the address and a NUL), as most
 *	addresses do.  ezmlm reads a list by hash: the whole list is
 *	hashes 0..52, a sublist some of them.  Over the index a listing
 *	touches only the entries of the hashes it gives, and those entries
 *	are half the size of the table's rows: a process listing one of 12
 *	sublists maps in a twelfth of what a table scan would.
 *
 *	Whoever changes an address table changes its index in the same
 *	transaction: store_sub (subscribe.c, in bulk), the row writes of
 *	write.c (idx_on_put, idx_on_del: store_set, store_del, sync's
 *	apply, import), store_list_create and store_list_drop (list.c).
 *	mq verify checks that index and table agree (file.c).  A store of
 *	format 1 had no index; opening it for writing builds them
 *	(idx_build, from layout_upgrade).
 */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "store/internal.h"
#include "store/mlist_int.h"

uint8_t idx_bucket(int64_t hash)
{
	return hash >= 0 && hash < IDX_OTHER ? (uint8_t)hash : IDX_OTHER;
}

/* idx_key - an entry's key into out (1 + STORE_KEY_MAX bytes); its size. */
static size_t idx_key(uint8_t *out, int64_t hash, const uint8_t *key,
		      size_t keylen)
{
	out[0] = idx_bucket(hash);
	memcpy(out + 1, key, keylen);
	return 1 + keylen;
}

enum store_rc idx_add(struct store_txn *t, const struct tdb *x,
		      const char *table, struct key_tail *tail, int64_t hash,
		      const uint8_t *key, size_t keylen, const char *addr,
		      size_t addrlen)
{
	uint8_t k[1 + STORE_KEY_MAX];
	MDB_val kv = { idx_key(k, hash, key, keylen), k };
	MDB_val d = { 0, NULL };
	int mrc;

	if (addrlen + 1 != keylen || memcmp(addr, key, addrlen) != 0)
		d = (MDB_val){ addrlen, (void *)addr };
	mrc = tail ? tail_put(t, x, tail, &kv, &d, 0)
		: tdb_put(t->txn, x, &kv, &d, 0);
	return mrc ? store_mdb_rc(t->st, mrc, table) : STORE_OK;
}

enum store_rc idx_remove(struct store_txn *t, const struct tdb *x,
			 const char *table, int64_t hash, const uint8_t *key,
			 size_t keylen)
{
	uint8_t k[1 + STORE_KEY_MAX];
	MDB_val kv = { idx_key(k, hash, key, keylen), k };
	int mrc = tdb_del(t->txn, x, &kv);

	if (mrc == MDB_NOTFOUND)
		return store_fail(t->st, STORE_CORRUPT, "table %s: a row is "
				  "missing from its index by hash", table);
	return mrc ? store_mdb_rc(t->st, mrc, table) : STORE_OK;
}

/* row_hash_addr - the hash and address of an encoded address row. */
static bool row_hash_addr(const struct reg_table *tb, const MDB_val *d,
			  int64_t *hash, struct store_value *addr)
{
	struct store_row row;

	if (!row_decode(tb, d->mv_data, d->mv_size, &row) ||
	    row.col[REG_ADDR_HASH].kind != SV_INT ||
	    row.col[REG_ADDR_ADDRESS].kind != SV_TEXT)
		return false;
	*hash = row.col[REG_ADDR_HASH].i;
	*addr = row.col[REG_ADDR_ADDRESS];
	return true;
}

enum store_rc idx_on_put(struct store_txn *t, const struct reg_table *tb,
			 const char *name, const struct tdb *db,
			 const uint8_t *key, size_t keylen,
			 const struct store_row *row)
{
	MDB_val k = { keylen, (void *)key }, d;
	char addr[STORE_KEY_MAX];
	struct store_value old;
	int64_t oldhash;
	struct tdb x;
	enum store_rc rc;
	int mrc;

	if (!reg_list_addresses(tb))
		return STORE_OK;
	/* The row's text may lie in a dirty page, which a put may spill. */
	if (row->col[REG_ADDR_ADDRESS].len > sizeof(addr))
		return store_fail(t->st, STORE_BADDATA, "%s: address longer "
				  "than %zu bytes", name, sizeof(addr));
	memcpy(addr, row->col[REG_ADDR_ADDRESS].s, row->col[REG_ADDR_ADDRESS].len);
	if ((rc = idx_of(t, tb, db, &x)))
		return rc;
	mrc = tdb_get(t->txn, db, &k, &d);
	if (mrc == 0 && !row_hash_addr(tb, &d, &oldhash, &old))
		return table_corrupt_row(t->st, name);
	if (mrc == 0)
		rc = idx_remove(t, &x, name, oldhash, key, keylen);
	else if (mrc != MDB_NOTFOUND)
		rc = store_mdb_rc(t->st, mrc, name);
	if (rc)
		return rc;
	return idx_add(t, &x, name, NULL, row->col[REG_ADDR_HASH].i, key,
		       keylen, addr, row->col[REG_ADDR_ADDRESS].len);
}

enum store_rc idx_on_del(struct store_txn *t, const struct reg_table *tb,
			 const char *name, const struct tdb *db,
			 const MDB_val *k, const MDB_val *d)
{
	struct store_value addr;
	int64_t hash;
	struct tdb x;
	enum store_rc rc;

	if (!reg_list_addresses(tb))
		return STORE_OK;
	if (!row_hash_addr(tb, d, &hash, &addr))
		return table_corrupt_row(t->st, name);
	if ((rc = idx_of(t, tb, db, &x)))
		return rc;
	return idx_remove(t, &x, name, hash, k->mv_data, k->mv_size);
}

enum store_rc idx_build(struct store_txn *t, const char *name)
{
	const struct reg_table *tb;
	struct store_value addr;
	int64_t hash;
	struct tdb db, x;
	struct tcur c;
	MDB_val k, d;
	enum store_rc rc = table_resolve(t, name, &tb, &db);
	int mrc;

	if (rc == STORE_OK)
		rc = idx_of(t, tb, &db, &x);
	if (rc)
		return rc;
	if ((mrc = tcur_open(t->txn, &db, &c)))
		return store_mdb_rc(t->st, mrc, name);
	for (mrc = tcur_get(&c, &k, &d, MDB_FIRST);
	     mrc == 0 && rc == STORE_OK;
	     mrc = tcur_get(&c, &k, &d, MDB_NEXT)) {
		if (!row_hash_addr(tb, &d, &hash, &addr))
			rc = table_corrupt_row(t->st, name);
		else
			rc = idx_add(t, &x, name, NULL, hash, k.mv_data,
				     k.mv_size, addr.s, addr.len);
	}
	tcur_close(&c);
	if (rc == STORE_OK && mrc != MDB_NOTFOUND)
		rc = store_mdb_rc(t->st, mrc, name);
	return rc;
}

/* ---- Listing ---- */

#define SCAN_AHEAD	(2u << 20)	/* bytes a scan maps in ahead */

/* Where a scan reads in the map, and how far it has mapped ahead. */
struct ahead {
	uintptr_t page, end;
	uintptr_t psize;
};

/*
 * map_ahead - when a scan moves on to the next page of the file and
 *	nears the end of what it mapped in, map the next SCAN_AHEAD bytes
 *	in with one madvise: a cold map otherwise takes a page fault every
 *	16 pages, and a bulk-loaded index lies contiguously in the file.
 *	A scan that jumps about the file maps nothing ahead, nor does one
 *	that stays in its first page (a small list among many, whose
 *	neighbours' pages it would map in for nothing).  Only a hint:
 *	its errors (an old kernel, the end of the file) are ignored.
 */
static void map_ahead(struct ahead *a, const void *at)
{
	uintptr_t page = (uintptr_t)at & ~(a->psize - 1);

	if (page == a->page)
		return;
	if (page + a->psize > a->end && a->page &&
	    page > a->page && page - a->page <= 4 * a->psize) {
		(void)madvise((void *)page, SCAN_AHEAD, MADV_POPULATE_READ);
		a->end = page + SCAN_AHEAD;
	}
	a->page = page;
}

/* seek_key - where a scan of bucket h starts: after "after" if in it. */
static size_t seek_key(uint8_t *out, int h, const struct sub_place *after)
{
	size_t n = 1;

	out[0] = (uint8_t)h;
	if (after && after->hash == h) {
		size_t len = after->len < SUB_ADDR_MAX ? after->len
			: SUB_ADDR_MAX;

		n += store_fold_key(out + n, after->addr, len);
	}
	return n;
}

/* scan_bucket - give the wanted addresses of hash h; non-zero: stop. */
static int scan_bucket(struct tcur *c, int h, const struct sub_scan *sc,
		       struct ahead *ahead, int *mrc)
{
	uint8_t seek[1 + STORE_FOLD_KEY_MAX(SUB_ADDR_MAX)];
	MDB_val k = { seek_key(seek, h, sc->after), seek }, d;
	size_t seeklen = k.mv_size;

	*mrc = tcur_get(c, &k, &d, MDB_SET_RANGE);
	if (*mrc == 0 && seeklen > 1 && k.mv_size == seeklen &&
	    memcmp(k.mv_data, seek, seeklen) == 0)
		*mrc = tcur_get(c, &k, &d, MDB_NEXT);
	for (; *mrc == 0 && k.mv_size > 2 && *(uint8_t *)k.mv_data == h;
	     *mrc = tcur_get(c, &k, &d, MDB_NEXT)) {
		const char *a = d.mv_size ? d.mv_data
			: (const char *)k.mv_data + 1;
		size_t len = d.mv_size ? d.mv_size : k.mv_size - 2;

		map_ahead(ahead, k.mv_data);
		if (sc->want && h <= SUB_HASH_MAX &&
		    !sc->want(a, len, h, sc->arg))
			continue;
		if (sc->fn(a, len, h, sc->arg))
			return 1;
	}
	if (*mrc == MDB_NOTFOUND)
		*mrc = 0;
	return 0;
}

enum store_rc sub_scan(struct store_txn *txn, const char *root,
		       enum sub_table which, const struct sub_scan *sc)
{
	struct ahead ahead = { .psize = (uintptr_t)sysconf(_SC_PAGESIZE) };
	struct sub_tables tb;
	struct tcur c;
	int mrc = 0, stop = 0;
	enum store_rc rc = sub_resolve(txn, root, which, &tb);

	if (rc)
		return rc;
	if ((mrc = tcur_open(txn->txn, &tb.x, &c)))
		return store_mdb_rc(txn->st, mrc, tb.name);
	for (int h = sc->after && sc->after->hash > 0 ? sc->after->hash : 0;
	     h < SUB_SCAN_HASHES && !stop && mrc == 0; h++)
		if ((sc->mask[h / 64] >> (h % 64)) & 1)
			stop = scan_bucket(&c, h, sc, &ahead, &mrc);
	tcur_close(&c);
	return mrc ? store_mdb_rc(txn->st, mrc, tb.name) : STORE_OK;
}

/* scan_mask_range - add the hashes lo..hi (within 0..127) to a scan. */
void scan_mask_range(struct sub_scan *sc, int lo, int hi)
{
	for (int h = lo < 0 ? 0 : lo; h <= hi && h < SUB_SCAN_HASHES; h++)
		sc->mask[h / 64] |= 1ULL << (h % 64);
}

enum store_rc store_sub_each_after(struct store_txn *txn, const char *root,
				   enum sub_table which, int lo, int hi,
				   bool receipts,
				   const struct sub_place *after,
				   sub_addr_fn fn, void *arg)
{
	struct sub_scan sc = { .fn = fn, .arg = arg, .after = after };

	scan_mask_range(&sc, lo, hi);
	if (receipts && hi < SUB_HASH_RECEIPT)
		scan_mask_range(&sc, SUB_HASH_RECEIPT, SUB_HASH_RECEIPT);
	return sub_scan(txn, root, which, &sc);
}

enum store_rc store_sub_each(struct store_txn *txn, const char *root,
			     enum sub_table which, int lo, int hi,
			     bool receipts, sub_addr_fn fn, void *arg)
{
	return store_sub_each_after(txn, root, which, lo, hi, receipts, NULL,
				    fn, arg);
}
