/*
 * NAME
 *	apply.c - make a table equal to a given set of rows, as a minimal diff
 * SYNOPSIS
 *	#include "store/store.h"
 *
 *	rc = store_apply_table(txn, "capacity", next_row, source, &counts);
 *	rc = store_apply_lists(txn, roots, nroots, &created, &dropped);
 * DESCRIPTION
 *	For loaders that hold the complete wanted contents of a table (SQL
 *	sync, import): inside the caller's write transaction, rows that
 *	are new are inserted, rows that differ are replaced, rows that the
 *	source lacks are deleted, and rows that are equal are not touched,
 *	so an unchanged source appends no change record and the sequence
 *	does not move.
 *
 *	Keyed tables: each source row is a point read of its key (any
 *	order works; key order is the fast one).  Only the encoded keys
 *	seen are kept in memory (sorted afterwards unless they came
 *	sorted), then one cursor pass deletes the rows not seen.
 *
 *	Tables without a key (the _slog tables) compare as multisets: a
 *	hash of every stored row is kept (16 bytes a row); each source row
 *	consumes one equal stored row or is inserted with a new row
 *	number; stored rows left unconsumed are deleted.
 * DIAGNOSTICS
 *	STORE_BADDATA with store_errmsg() naming table, column and the
 *	row's key when a source row does not fit; a source's own failure
 *	code is returned unchanged (its message is the source's).
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/internal.h"

#define LIST_KEY_BYTES	32	/* the random secret of a discovered list */

/* The encoded keys a keyed apply has seen, in one growing buffer. */
struct keyset {
	uint8_t *buf;		/* [len:2 big-endian][bytes] ... */
	size_t len, cap;
	size_t *off;
	size_t n, offcap;
	bool sorted;
};

/* One stored row of a multiset apply: its hash and its row number. */
struct slot {
	uint64_t hash;
	int64_t rowid;		/* 0: empty slot */
	bool used;
};

/* hash_bytes - FNV-1a over n bytes into *h */
static void hash_bytes(uint64_t *h, const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		*h = (*h ^ b[i]) * 0x100000001b3ULL;
}

/* hash_value - a value's kind and contents into *h */
static void hash_value(uint64_t *h, const struct store_value *v)
{
	uint8_t kind = (uint8_t)v->kind;

	hash_bytes(h, &kind, 1);
	if (v->kind == SV_INT)
		hash_bytes(h, &v->i, sizeof(v->i));
	else if (v->kind == SV_TEXT) {
		hash_bytes(h, &v->len, sizeof(v->len));
		hash_bytes(h, v->s, v->len);
	}
}

uint64_t store_row_hash(const struct reg_table *t, const struct store_row *row)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (int i = 0; i < t->ncols; i++)
		hash_value(&h, &row->col[i]);
	for (int i = 0; i < row->nextra; i++) {
		hash_bytes(&h, row->extra[i].name, row->extra[i].namelen);
		hash_value(&h, &row->extra[i].v);
	}
	return h;
}

/* store_row_equal - see store.h */
bool store_row_equal(const struct reg_table *t, const struct store_row *a,
		     const struct store_row *b)
{
	if (a->nextra != b->nextra)
		return false;
	for (int i = 0; i < t->ncols; i++)
		if (!value_equal(&a->col[i], &b->col[i]))
			return false;
	for (int i = 0; i < a->nextra; i++)
		if (a->extra[i].namelen != b->extra[i].namelen ||
		    memcmp(a->extra[i].name, b->extra[i].name,
			   a->extra[i].namelen) ||
		    !value_equal(&a->extra[i].v, &b->extra[i].v))
			return false;
	return true;
}

/* key_cmp - LMDB's default order: bytes, then the shorter first. */
static int key_cmp(const uint8_t *a, size_t alen, const uint8_t *b,
		   size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);

	if (c)
		return c;
	return alen < blen ? -1 : alen > blen;
}

static const uint8_t *keyset_at(const struct keyset *ks, size_t i, size_t *len)
{
	const uint8_t *p = ks->buf + ks->off[i];

	*len = (size_t)p[0] << 8 | p[1];
	return p + 2;
}

/* keyset_add - remember a key; note when keys stop coming in order */
static enum store_rc keyset_add(struct store *st, struct keyset *ks,
				const uint8_t *key, size_t len)
{
	size_t plen;
	const uint8_t *prev;

	if (ks->len + len + 2 > ks->cap) {
		size_t cap = ks->cap ? ks->cap * 2 : 1 << 16;
		uint8_t *b = realloc(ks->buf, cap + len + 2);

		if (!b)
			return store_fail(st, STORE_INTERNAL, "out of memory");
		ks->buf = b;
		ks->cap = cap + len + 2;
	}
	if (ks->n == ks->offcap) {
		size_t cap = ks->offcap ? ks->offcap * 2 : 4096;
		size_t *o = realloc(ks->off, cap * sizeof(*o));

		if (!o)
			return store_fail(st, STORE_INTERNAL, "out of memory");
		ks->off = o;
		ks->offcap = cap;
	}
	if (ks->n) {
		prev = keyset_at(ks, ks->n - 1, &plen);
		if (key_cmp(prev, plen, key, len) >= 0)
			ks->sorted = false;
	}
	ks->off[ks->n++] = ks->len;
	ks->buf[ks->len] = (uint8_t)(len >> 8);
	ks->buf[ks->len + 1] = (uint8_t)len;
	memcpy(ks->buf + ks->len + 2, key, len);
	ks->len += len + 2;
	return STORE_OK;
}

static const uint8_t *sort_base;

/* off_cmp - qsort order of two keys of the keyset being sorted */
static int off_cmp(const void *a, const void *b)
{
	const uint8_t *x = sort_base + *(const size_t *)a;
	const uint8_t *y = sort_base + *(const size_t *)b;

	return key_cmp(x + 2, (size_t)x[0] << 8 | x[1], y + 2,
		       (size_t)y[0] << 8 | y[1]);
}

/* keyset_sort - the keys in LMDB order, unless they came so */
static void keyset_sort(struct keyset *ks)
{
	if (ks->sorted)
		return;
	sort_base = ks->buf;
	qsort(ks->off, ks->n, sizeof(*ks->off), off_cmp);
	ks->sorted = true;
}

/* sweep_unseen - delete every stored row whose key the source lacked. */
static enum store_rc sweep_unseen(struct store_txn *t,
				  const struct reg_table *tb, const char *name,
				  MDB_dbi dbi, struct keyset *ks,
				  uint64_t *deleted)
{
	enum store_rc rc = STORE_OK;
	size_t i = 0, len;
	MDB_cursor *c;
	MDB_val k, d;
	int mrc;

	keyset_sort(ks);
	if ((mrc = mdb_cursor_open(t->txn, dbi, &c)))
		return store_mdb_rc(t->st, mrc, name);
	mrc = mdb_cursor_get(c, &k, &d, MDB_FIRST);
	while (mrc == 0 && rc == STORE_OK) {
		int cmp = 1;

		while (i < ks->n) {
			const uint8_t *key = keyset_at(ks, i, &len);

			cmp = key_cmp(key, len, k.mv_data, k.mv_size);
			if (cmp >= 0)
				break;
			i++;
		}
		if (cmp != 0) {
			rc = store_del_current(t, tb, name, c, &k);
			(*deleted)++;
		}
		mrc = mdb_cursor_get(c, &k, &d, MDB_NEXT);
	}
	mdb_cursor_close(c);
	if (rc == STORE_OK && mrc && mrc != MDB_NOTFOUND)
		rc = store_mdb_rc(t->st, mrc, name);
	return rc;
}

/* describe_key - "col=value, ..." of a row's key, for messages. */
static void describe_key(const struct reg_table *tb,
			 const struct store_row *row, char *out, size_t len)
{
	size_t n = 0;

	out[0] = 0;
	for (int k = 0; k < tb->nkey && n < len; k++) {
		const struct store_value *v = &row->col[tb->key[k]];
		const char *col = tb->cols[tb->key[k]].name;

		if (v->kind == SV_INT)
			n += (size_t)snprintf(out + n, len - n, "%s%s=%lld",
					      k ? ", " : "", col,
					      (long long)v->i);
		else
			n += (size_t)snprintf(out + n, len - n, "%s%s=%.*s",
					      k ? ", " : "", col,
					      (int)(v->kind == SV_TEXT &&
						    v->len < 80 ? v->len : 0),
					      v->s ? v->s : "");
	}
}

/* put_checked - write a source row; a refusal names the row's key. */
static enum store_rc put_checked(struct store_txn *t,
				 const struct reg_table *tb, const char *name,
				 const struct store_row *row)
{
	char msg[STORE_ERR_MAX], key[200];
	const struct store_value *id = &row->col[tb->key[0]];
	enum store_rc rc;

	/* Auto-increment ids are positive; the allocator relies on it. */
	if (tb->nkey == 1 && (tb->cols[tb->key[0]].flags & REG_AUTO) &&
	    id->kind == SV_INT && id->i <= 0)
		rc = store_fail(t->st, STORE_BADDATA, "%s.%s: an id must be "
				"positive", name, tb->cols[tb->key[0]].name);
	else
		rc = store_put_row(t, name, row);
	if (rc != STORE_BADDATA || tb->nkey == 0)
		return rc;
	snprintf(msg, sizeof(msg), "%s", store_errbuf());
	describe_key(tb, row, key, sizeof(key));
	return store_fail(t->st, rc, "%s: row %s: %s", name, key, msg);
}

/* apply_keyed - the diff of a table with a key: point reads, then a sweep */
static enum store_rc apply_keyed(struct store_txn *t,
				 const struct reg_table *tb, const char *name,
				 MDB_dbi dbi, store_row_source next, void *arg,
				 struct store_apply_counts *n)
{
	struct keyset ks = { .sorted = true };
	struct store_value kv[REG_MAX_KEY];
	uint8_t key[STORE_KEY_MAX + 1];
	struct store_row row, old;
	MDB_val k = { 0, key }, d;
	char why[STORE_ERR_MAX];
	enum store_rc rc;
	int mrc;

	while ((rc = next(arg, &row)) == STORE_OK) {
		for (int i = 0; i < tb->nkey; i++)
			kv[i] = row.col[tb->key[i]];
		if ((rc = key_encode(tb, kv, key, &k.mv_size, why,
				     sizeof(why)))) {
			rc = store_fail(t->st, rc, "%s: %s", name, why);
			break;
		}
		mrc = mdb_get(t->txn, dbi, &k, &d);
		if (mrc && mrc != MDB_NOTFOUND) {
			rc = store_mdb_rc(t->st, mrc, name);
			break;
		}
		if (mrc == 0 && !row_decode(tb, d.mv_data, d.mv_size, &old)) {
			rc = table_corrupt_row(t->st, name);
			break;
		}
		if (mrc == 0 && store_row_equal(tb, &old, &row))
			rc = STORE_OK;
		else if ((rc = put_checked(t, tb, name, &row)) == STORE_OK)
			(*(mrc == 0 ? &n->updated : &n->inserted))++;
		if (rc || (rc = keyset_add(t->st, &ks, key, k.mv_size)))
			break;
	}
	if (rc == STORE_NOTFOUND)
		rc = sweep_unseen(t, tb, name, dbi, &ks, &n->deleted);
	free(ks.buf);
	free(ks.off);
	return rc;
}

/* slots_fill - hash every stored row of a keyless table into slots. */
static enum store_rc slots_fill(struct store_txn *t, const struct reg_table *tb,
				const char *name, MDB_dbi dbi,
				struct slot **out, size_t *mask)
{
	struct store_row row;
	MDB_stat ms;
	MDB_cursor *c;
	MDB_val k, d;
	size_t cap = 16;
	int mrc = mdb_stat(t->txn, dbi, &ms);

	if (mrc)
		return store_mdb_rc(t->st, mrc, name);
	while (cap < ms.ms_entries * 2)
		cap *= 2;
	if (!(*out = calloc(cap, sizeof(**out))))
		return store_fail(t->st, STORE_INTERNAL, "out of memory");
	*mask = cap - 1;
	if ((mrc = mdb_cursor_open(t->txn, dbi, &c)))
		return store_mdb_rc(t->st, mrc, name);
	for (mrc = mdb_cursor_get(c, &k, &d, MDB_FIRST); mrc == 0;
	     mrc = mdb_cursor_get(c, &k, &d, MDB_NEXT)) {
		if (k.mv_size != 8 || !row_decode(tb, d.mv_data, d.mv_size,
						  &row)) {
			mdb_cursor_close(c);
			return table_corrupt_row(t->st, name);
		}
		uint64_t h = store_row_hash(tb, &row);
		size_t i = h & *mask;

		while ((*out)[i].rowid)
			i = (i + 1) & *mask;
		(*out)[i] = (struct slot){ h, key_decode_int(k.mv_data),
					   false };
	}
	mdb_cursor_close(c);
	return mrc == MDB_NOTFOUND ? STORE_OK : store_mdb_rc(t->st, mrc, name);
}

/* slot_consume - mark a stored row equal to row as kept; false: none. */
static enum store_rc slot_consume(struct store_txn *t,
				  const struct reg_table *tb, const char *name,
				  MDB_dbi dbi, struct slot *slots, size_t mask,
				  const struct store_row *row, bool *found)
{
	uint64_t h = store_row_hash(tb, row);
	uint8_t key[8];
	struct store_row old;
	MDB_val k = { 8, key }, d;

	*found = false;
	for (size_t i = h & mask; slots[i].rowid; i = (i + 1) & mask) {
		if (slots[i].used || slots[i].hash != h)
			continue;
		key_encode_int(slots[i].rowid, key);
		if (mdb_get(t->txn, dbi, &k, &d) ||
		    !row_decode(tb, d.mv_data, d.mv_size, &old))
			return table_corrupt_row(t->st, name);
		if (store_row_equal(tb, &old, row)) {
			slots[i].used = true;
			*found = true;
			break;
		}
	}
	return STORE_OK;
}

/* slots_delete_unused - delete the stored rows no source row matched */
static enum store_rc slots_delete_unused(struct store_txn *t, const char *name,
					 MDB_dbi dbi, const struct slot *slots,
					 size_t mask, uint64_t *deleted)
{
	uint8_t key[8];
	MDB_val k = { 8, key };
	enum store_rc rc = STORE_OK;

	for (size_t i = 0; i <= mask && rc == STORE_OK; i++) {
		if (!slots[i].rowid || slots[i].used)
			continue;
		key_encode_int(slots[i].rowid, key);
		int mrc = mdb_del(t->txn, dbi, &k, NULL);
		if (mrc)
			return store_mdb_rc(t->st, mrc, name);
		rc = store_change(t, CHANGE_DEL, name, key, 8, NULL, 0);
		(*deleted)++;
	}
	return rc;
}

/* apply_multiset - the diff of a keyless table, as multisets of rows */
static enum store_rc apply_multiset(struct store_txn *t,
				    const struct reg_table *tb,
				    const char *name, MDB_dbi dbi,
				    store_row_source next, void *arg,
				    struct store_apply_counts *n)
{
	struct slot *slots = NULL;
	struct store_row row;
	size_t mask = 0;
	bool found;
	enum store_rc rc = slots_fill(t, tb, name, dbi, &slots, &mask);

	while (rc == STORE_OK && (rc = next(arg, &row)) == STORE_OK) {
		rc = slot_consume(t, tb, name, dbi, slots, mask, &row, &found);
		if (rc == STORE_OK && !found &&
		    (rc = put_checked(t, tb, name, &row)) == STORE_OK)
			n->inserted++;
	}
	if (rc == STORE_NOTFOUND)
		rc = slots_delete_unused(t, name, dbi, slots, mask,
					 &n->deleted);
	free(slots);
	return rc;
}

/* store_apply_table - see store.h */
enum store_rc store_apply_table(struct store_txn *t, const char *name,
				store_row_source next, void *arg,
				struct store_apply_counts *counts)
{
	const struct reg_table *tb;
	MDB_dbi dbi;
	enum store_rc rc;

	memset(counts, 0, sizeof(*counts));
	if (!t->write)
		return store_fail(t->st, STORE_READONLY, "%s: apply needs a "
				  "write transaction", name);
	if ((rc = table_resolve(t, name, &tb, &dbi)))
		return rc;
	if (tb->nkey == 0)
		return apply_multiset(t, tb, name, dbi, next, arg, counts);
	return apply_keyed(t, tb, name, dbi, next, arg, counts);
}

struct root_list {
	char (*roots)[REG_NAME_MAX];
	size_t n, cap;
	bool oom;
};

/* collect_root - store_list_each callback: copy a root */
static int collect_root(const char *root, void *arg)
{
	struct root_list *l = arg;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		void *p = realloc(l->roots, cap * sizeof(*l->roots));

		if (!p) {
			l->oom = true;
			return 1;
		}
		l->roots = p;
		l->cap = cap;
	}
	snprintf(l->roots[l->n++], REG_NAME_MAX, "%s", root);
	return 0;
}

/* root_wanted - is root among roots? */
static bool root_wanted(const char *root, const char *const *roots, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(roots[i], root) == 0)
			return true;
	return false;
}

/* store_apply_lists - see store.h */
enum store_rc store_apply_lists(struct store_txn *t, const char *const *roots,
				size_t n, unsigned *created, unsigned *dropped)
{
	struct root_list have = { 0 };
	uint8_t key[LIST_KEY_BYTES];
	const uint8_t *k;
	size_t klen;
	enum store_rc rc = store_list_each(t, collect_root, &have);

	*created = *dropped = 0;
	if (rc == STORE_OK && have.oom)
		rc = store_fail(t->st, STORE_INTERNAL, "out of memory");
	for (size_t i = 0; rc == STORE_OK && i < have.n; i++)
		if (!root_wanted(have.roots[i], roots, n)) {
			rc = store_list_drop(t, have.roots[i]);
			(*dropped)++;
		}
	for (size_t i = 0; rc == STORE_OK && i < n; i++) {
		rc = store_list_key(t, roots[i], &k, &klen);
		if (rc != STORE_NOTFOUND)
			continue;
		randombytes_buf(key, sizeof(key));
		rc = store_list_create(t, roots[i], key, sizeof(key));
		sodium_memzero(key, sizeof(key));
		(*created)++;
	}
	free(have.roots);
	return rc;
}
