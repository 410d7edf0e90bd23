/*
 * NAME
 *	changes.c - reading the change log: records after a sequence
 * SYNOPSIS
 *	#include "store/store.h"
 *
 *	store_changes_oldest(txn, &oldest);
 *	store_changes_after(txn, since, each_change, arg);
 * DESCRIPTION
 *	txn.c writes the log (its record format is described there); this
 *	file is its only reader for everyone outside store/: replication
 *	and the change feed ask for the records after the sequence they
 *	stand at.  The log's first record says how far back it reaches:
 *	records of one sequence are pruned oldest first, so a first record
 *	with an index above 0 belongs to a sequence cut short, and an
 *	overflow record stands for a sequence whose changes were never
 *	kept.  Neither can be replayed.
 * DIAGNOSTICS
 *	STORE_NOTFOUND when the log no longer reaches back to the sequence
 *	asked for; STORE_CORRUPT for a malformed record; read failures.
 */
#include <stdio.h>
#include <string.h>

#include "store/internal.h"

#define CHANGE_KEY_LEN	12	/* sequence (8), index (4, big-endian) */
#define CHANGE_HEAD_LEN	4	/* op, namelen, keylen (2, big-endian) */

/* change_known - is op one of the log's operations? */
static bool change_known(uint8_t op)
{
	switch (op) {
	case CHANGE_PUT:
	case CHANGE_DEL:
	case CHANGE_LIST_CREATE:
	case CHANGE_LIST_DROP:
	case CHANGE_OVERFLOW:
		return true;
	}
	return false;
}

/* change_decode - see internal.h; the layout is txn.c's. */
bool change_decode(const MDB_val *k, const MDB_val *d, struct store_change *c)
{
	const uint8_t *p = d->mv_data, *kp = k->mv_data;
	size_t namelen, keylen;

	if (k->mv_size != CHANGE_KEY_LEN || d->mv_size < CHANGE_HEAD_LEN ||
	    !change_known(p[0]))
		return false;
	namelen = p[1];
	keylen = ((size_t)p[2] << 8) | p[3];
	if (CHANGE_HEAD_LEN + namelen + keylen > d->mv_size)
		return false;
	if (p[0] == CHANGE_OVERFLOW && d->mv_size != CHANGE_HEAD_LEN)
		return false;
	c->seq = (uint64_t)key_decode_int(kp);
	c->index = (uint32_t)kp[8] << 24 | (uint32_t)kp[9] << 16 |
		   (uint32_t)kp[10] << 8 | kp[11];
	c->op = (enum store_change_op)p[0];
	memcpy(c->table, p + CHANGE_HEAD_LEN, namelen);
	c->table[namelen] = 0;
	c->key = p + CHANGE_HEAD_LEN + namelen;
	c->keylen = keylen;
	c->row = c->key + keylen;
	c->rowlen = d->mv_size - CHANGE_HEAD_LEN - namelen - keylen;
	return true;
}

/*
 * log_reach - the oldest sequence the log holds whole (see store.h),
 *	and whether the log starts with an overflow record.
 */
static enum store_rc log_reach(struct store_txn *t, MDB_cursor *c,
			       uint64_t *oldest, bool *overflow)
{
	struct store_change first;
	MDB_val k, d;
	int mrc = mdb_cursor_get(c, &k, &d, MDB_FIRST);

	*overflow = false;
	if (mrc == MDB_NOTFOUND) {
		mrc = store_meta_get_u64(t, "seq", oldest);
		(*oldest)++;
		return store_mdb_rc(t->st, mrc, "meta");
	}
	if (mrc)
		return store_mdb_rc(t->st, mrc, DB_CHANGES);
	if (!change_decode(&k, &d, &first))
		return store_fail(t->st, STORE_CORRUPT, "change log: a bad "
				  "record");
	*overflow = first.op == STORE_CHANGE_OVERFLOW;
	*oldest = first.seq + (*overflow || first.index > 0);
	return STORE_OK;
}

enum store_rc store_changes_oldest(struct store_txn *txn, uint64_t *oldest)
{
	MDB_cursor *c;
	bool overflow;
	enum store_rc rc;
	int mrc = mdb_cursor_open(txn->txn, txn->st->changes, &c);

	if (mrc)
		return store_mdb_rc(txn->st, mrc, DB_CHANGES);
	rc = log_reach(txn, c, oldest, &overflow);
	mdb_cursor_close(c);
	return rc;
}

/* walk_from - pass the records from key (seq, index) on to fn, in order. */
static enum store_rc walk_from(struct store_txn *t, MDB_cursor *c,
			       uint64_t seq, uint32_t index,
			       store_change_fn fn, void *arg)
{
	uint8_t kbuf[CHANGE_KEY_LEN] = { 0 };
	MDB_val k = { sizeof(kbuf), kbuf }, d;
	struct store_change ch;
	int mrc;

	key_encode_int((int64_t)seq, kbuf);
	kbuf[8] = (uint8_t)(index >> 24);
	kbuf[9] = (uint8_t)(index >> 16);
	kbuf[10] = (uint8_t)(index >> 8);
	kbuf[11] = (uint8_t)index;
	for (mrc = mdb_cursor_get(c, &k, &d, MDB_SET_RANGE); mrc == 0;
	     mrc = mdb_cursor_get(c, &k, &d, MDB_NEXT)) {
		if (!change_decode(&k, &d, &ch))
			return store_fail(t->st, STORE_CORRUPT, "change log: "
					  "a bad record");
		if (fn(&ch, arg))
			return STORE_OK;
	}
	return mrc == MDB_NOTFOUND ? STORE_OK
		: store_mdb_rc(t->st, mrc, DB_CHANGES);
}

/*
 * changes_from - the records from (seq, index) on, once the log is known
 *	to reach back to seq: a reader standing after seq - 1, or inside seq.
 */
static enum store_rc changes_from(struct store_txn *txn, uint64_t seq,
				  uint32_t index, store_change_fn fn, void *arg)
{
	uint64_t oldest;
	bool overflow;
	MDB_cursor *c;
	enum store_rc rc;
	int mrc = mdb_cursor_open(txn->txn, txn->st->changes, &c);

	if (mrc)
		return store_mdb_rc(txn->st, mrc, DB_CHANGES);
	rc = log_reach(txn, c, &oldest, &overflow);
	/* An overflow above seq is the answer itself: "start again". */
	if (rc == STORE_OK && seq < oldest && !overflow)
		rc = store_fail(txn->st, STORE_NOTFOUND, "change log: the "
				"changes after sequence %llu are no longer "
				"kept (the oldest kept whole is %llu)",
				(unsigned long long)(seq - 1),
				(unsigned long long)oldest);
	if (rc == STORE_OK && seq <= INT64_MAX)
		rc = walk_from(txn, c, seq, index, fn, arg);
	mdb_cursor_close(c);
	return rc;
}

enum store_rc store_changes_after(struct store_txn *txn, uint64_t seq,
				  store_change_fn fn, void *arg)
{
	if (seq == UINT64_MAX)
		return STORE_OK;
	return changes_from(txn, seq + 1, 0, fn, arg);
}

enum store_rc store_changes_resume(struct store_txn *txn, uint64_t seq,
				   uint32_t index, store_change_fn fn,
				   void *arg)
{
	if (seq == 0)
		return store_changes_after(txn, 0, fn, arg);
	return changes_from(txn, seq, index, fn, arg);
}

/* change_table - the registry entry of a put's or del's table, or NULL. */
static const struct reg_table *change_table(const struct store_change *c)
{
	char root[REG_NAME_MAX];
	const struct reg_table *t = reg_mailerq_find(c->table);

	return t ? t : reg_list_split(c->table, root, sizeof(root));
}

enum store_rc store_change_row(struct store_txn *txn,
			       const struct store_change *c,
			       const struct reg_table **t,
			       struct store_row *row)
{
	if (c->op != STORE_CHANGE_PUT)
		return store_fail(txn->st, STORE_BADDATA, "change %llu.%u: "
				  "not a put: it holds no row",
				  (unsigned long long)c->seq, c->index);
	if (!(*t = change_table(c)))
		return store_fail(txn->st, STORE_NOTFOUND, "change %llu.%u: "
				  "no table %s", (unsigned long long)c->seq,
				  c->index, c->table);
	if (!row_decode(*t, c->row, c->rowlen, row))
		return store_fail(txn->st, STORE_CORRUPT, "change %llu.%u: "
				  "the row of %s does not decode",
				  (unsigned long long)c->seq, c->index,
				  c->table);
	return STORE_OK;
}

/*
 * key_take - the key column c's value from the encoded key at *p (n
 *	bytes left): an integer is 8 bytes, a text the rest (row.c).
 */
static bool key_take(const struct reg_column *c, const uint8_t **p,
		     size_t *n, struct store_value *v)
{
	if (c->type == REG_INT) {
		if (*n < 8)
			return false;
		*v = (struct store_value){ .kind = SV_INT,
					   .i = key_decode_int(*p) };
		*p += 8;
		*n -= 8;
		return true;
	}
	*v = (struct store_value){ .kind = SV_TEXT, .s = (const char *)*p,
				   .len = *n };
	/* A list address's key: its folded form is what comes before the
	 * NUL (ascii.c); the case mask after it is not shown. */
	if ((c->flags & REG_FOLD) && memchr(*p, 0, *n))
		v->len = (size_t)((const uint8_t *)memchr(*p, 0, *n) - *p);
	*p += *n;
	*n = 0;
	return v->len > 0;
}

enum store_rc store_change_key(struct store_txn *txn,
			       const struct store_change *c,
			       const struct reg_table **t,
			       struct store_value key[REG_MAX_KEY], int *nkey)
{
	static const struct reg_column rowno = { "", REG_INT, 0, 0, NULL };
	const uint8_t *p = c->key;
	size_t n = c->keylen;
	bool ok = true;

	if (c->op != STORE_CHANGE_PUT && c->op != STORE_CHANGE_DEL)
		return store_fail(txn->st, STORE_BADDATA, "change %llu.%u: "
				  "not a put or del: it names no row",
				  (unsigned long long)c->seq, c->index);
	if (!(*t = change_table(c)))
		return store_fail(txn->st, STORE_NOTFOUND, "change %llu.%u: "
				  "no table %s", (unsigned long long)c->seq,
				  c->index, c->table);
	*nkey = (*t)->nkey ? (*t)->nkey : 1;
	for (int i = 0; ok && i < *nkey; i++)
		ok = key_take((*t)->nkey ? &(*t)->cols[(*t)->key[i]] : &rowno,
			      &p, &n, &key[i]);
	if (!ok || n != 0)
		return store_fail(txn->st, STORE_CORRUPT, "change %llu.%u: "
				  "the key of %s does not decode",
				  (unsigned long long)c->seq, c->index,
				  c->table);
	return STORE_OK;
}
