/*
 * NAME
 *	tdb.c - a table's rows within a database: its key prefix, applied once
 * SYNOPSIS
 *	struct tdb db;		(from table_resolve)
 *	tdb_get(txn, &db, &k, &d);  tcur_get(&cur, &k, &d, MDB_NEXT);
 * DESCRIPTION
 *	A MailerQ table has a database of its own; a list's tables share
 *	one database per table kind ("l:" + suffix, its index by hash
 *	"y:" + suffix), where every key starts with the list's id: 4 bytes
 *	big-endian (docs/store.md, Databases in the file).  These calls
 *	are LMDB's, with the prefix added to every key given and taken off
 *	every key returned, so the code above reads a list's table as if
 *	it had a database of its own: a cursor never leaves the prefix
 *	(MDB_NOTFOUND at its edge), MDB_FIRST and MDB_LAST are the
 *	prefix's first and last keys.  A returned key points into the map
 *	as LMDB's does.  With no prefix (a MailerQ table) they are LMDB's
 *	calls unchanged.
 */
#include <string.h>

#include "store/internal.h"

void tdb_list_id(uint8_t out[LIST_ID_LEN], uint32_t id)
{
	for (int i = LIST_ID_LEN - 1; i >= 0; i--, id >>= 8)
		out[i] = (uint8_t)id;
}

/* prefixed - pfx + k into buf (1 + STORE_KEY_MAX + LIST_ID_LEN bytes). */
static bool prefixed(const struct tdb *db, const MDB_val *k, uint8_t *buf,
		     MDB_val *out)
{
	if (k->mv_size + db->pfxlen > STORE_KEY_MAX)
		return false;
	memcpy(buf, db->pfx, db->pfxlen);
	memcpy(buf + db->pfxlen, k->mv_data, k->mv_size);
	*out = (MDB_val){ db->pfxlen + k->mv_size, buf };
	return true;
}

/* strip - a key read under the prefix loses it; outside it, NOTFOUND. */
static int strip(const struct tdb *db, int rc, MDB_val *k)
{
	if (rc || db->pfxlen == 0)
		return rc;
	if (k->mv_size < db->pfxlen ||
	    memcmp(k->mv_data, db->pfx, db->pfxlen) != 0)
		return MDB_NOTFOUND;
	k->mv_data = (uint8_t *)k->mv_data + db->pfxlen;
	k->mv_size -= db->pfxlen;
	return 0;
}

int tdb_get(MDB_txn *txn, const struct tdb *db, const MDB_val *k, MDB_val *d)
{
	uint8_t buf[TDB_KEY_BUF];
	MDB_val pk;

	if (!prefixed(db, k, buf, &pk))
		return MDB_NOTFOUND;
	return mdb_get(txn, db->dbi, &pk, d);
}

/*
 * tdb_put - MDB_APPEND means "after every key of the table"; in a shared
 *	database a later list's keys may follow, so an append LMDB refuses
 *	is put in place instead.
 */
/*
 * append_refused - an MDB_APPEND refused in a database of many lists
 *	(another list's keys lie after k): put k as any other key.
 */
static bool append_refused(int rc, unsigned flags, const struct tdb *db)
{
	return rc == MDB_KEYEXIST && (flags & MDB_APPEND) && db->pfxlen;
}

int tdb_put(MDB_txn *txn, const struct tdb *db, const MDB_val *k, MDB_val *d,
	    unsigned flags)
{
	uint8_t buf[TDB_KEY_BUF];
	MDB_val pk;
	int rc;

	if (!prefixed(db, k, buf, &pk))
		return MDB_BAD_VALSIZE;
	rc = mdb_put(txn, db->dbi, &pk, d, flags);
	if (append_refused(rc, flags, db))
		rc = mdb_put(txn, db->dbi, &pk, d, flags & ~MDB_APPEND);
	return rc;
}

int tdb_del(MDB_txn *txn, const struct tdb *db, const MDB_val *k)
{
	uint8_t buf[TDB_KEY_BUF];
	MDB_val pk;

	if (!prefixed(db, k, buf, &pk))
		return MDB_NOTFOUND;
	return mdb_del(txn, db->dbi, &pk, NULL);
}

int tcur_open(MDB_txn *txn, const struct tdb *db, struct tcur *c)
{
	c->db = *db;
	return mdb_cursor_open(txn, db->dbi, &c->c);
}

void tcur_close(struct tcur *c)
{
	mdb_cursor_close(c->c);
}

/* after_prefix - the first key past the prefix; false: none (all 0xff). */
static bool after_prefix(const struct tdb *db, uint8_t *buf)
{
	memcpy(buf, db->pfx, db->pfxlen);
	for (int i = db->pfxlen - 1; i >= 0; i--)
		if (++buf[i] != 0)
			return true;
	return false;
}

/* last - the prefix's greatest key: step back from the first one past it. */
static int last(struct tcur *c, MDB_val *k, MDB_val *d)
{
	uint8_t buf[LIST_ID_LEN];
	MDB_val next = { c->db.pfxlen, buf };
	int rc = MDB_NOTFOUND;

	if (after_prefix(&c->db, buf))
		rc = mdb_cursor_get(c->c, &next, d, MDB_SET_RANGE);
	if (rc == MDB_NOTFOUND)
		return mdb_cursor_get(c->c, k, d, MDB_LAST);
	return rc ? rc : mdb_cursor_get(c->c, k, d, MDB_PREV);
}

int tcur_get(struct tcur *c, MDB_val *k, MDB_val *d, MDB_cursor_op op)
{
	const struct tdb *db = &c->db;
	MDB_val pk;
	int rc;

	if (db->pfxlen == 0)
		return mdb_cursor_get(c->c, k, d, op);
	switch (op) {
	case MDB_FIRST:
		pk = (MDB_val){ db->pfxlen, (void *)db->pfx };
		rc = mdb_cursor_get(c->c, &pk, d, MDB_SET_RANGE);
		*k = pk;
		break;
	case MDB_LAST:
		rc = last(c, k, d);
		break;
	case MDB_SET: case MDB_SET_KEY: case MDB_SET_RANGE:
		if (!prefixed(db, k, c->kbuf, &pk))
			return MDB_NOTFOUND;
		rc = mdb_cursor_get(c->c, &pk, d, op);
		/* MDB_SET leaves the key alone: it is the one given. */
		if (rc == 0 && op == MDB_SET)
			return 0;
		*k = pk;
		break;
	default:
		rc = mdb_cursor_get(c->c, k, d, op);
	}
	return strip(db, rc, k);
}

int tcur_put(struct tcur *c, const MDB_val *k, MDB_val *d, unsigned flags)
{
	MDB_val pk;
	int rc;

	if (!prefixed(&c->db, k, c->kbuf, &pk))
		return MDB_BAD_VALSIZE;
	rc = mdb_cursor_put(c->c, &pk, d, flags);
	if (append_refused(rc, flags, &c->db))
		rc = mdb_cursor_put(c->c, &pk, d, flags & ~MDB_APPEND);
	return rc;
}

int tdb_count(MDB_txn *txn, const struct tdb *db, uint64_t *n)
{
	struct tcur c;
	MDB_stat ms;
	MDB_val k, d;
	int rc;

	*n = 0;
	if (db->pfxlen == 0) {
		rc = mdb_stat(txn, db->dbi, &ms);
		*n = rc ? 0 : ms.ms_entries;
		return rc;
	}
	if ((rc = tcur_open(txn, db, &c)))
		return rc;
	for (rc = tcur_get(&c, &k, &d, MDB_FIRST); rc == 0;
	     rc = tcur_get(&c, &k, &d, MDB_NEXT))
		++*n;
	tcur_close(&c);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

int tdb_clear(MDB_txn *txn, const struct tdb *db)
{
	struct tcur c;
	MDB_val k, d;
	int rc;

	if (db->pfxlen == 0)
		return mdb_drop(txn, db->dbi, 0);
	if ((rc = tcur_open(txn, db, &c)))
		return rc;
	/* After a delete, MDB_NEXT gives the key that moved under it. */
	for (rc = tcur_get(&c, &k, &d, MDB_FIRST); rc == 0;
	     rc = tcur_get(&c, &k, &d, MDB_NEXT))
		if ((rc = mdb_cursor_del(c.c, 0)))
			break;
	tcur_close(&c);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

enum store_rc key_tail_load(struct store_txn *t, const struct tdb *db,
			    const char *name, struct key_tail *tail)
{
	MDB_cursor *c;
	MDB_val k, d;
	int mrc = mdb_cursor_open(t->txn, db->dbi, &c);

	if (mrc)
		return store_mdb_rc(t->st, mrc, name);
	/* The database's last key, whoever's: an append goes after it. */
	mrc = mdb_cursor_get(c, &k, &d, MDB_LAST);
	tail->empty = mrc == MDB_NOTFOUND;
	tail->len = 0;
	tail->c = NULL;
	if (mrc == 0 && k.mv_size <= sizeof(tail->key)) {
		memcpy(tail->key, k.mv_data, k.mv_size);
		tail->len = k.mv_size;
	}
	mdb_cursor_close(c);
	return mrc == 0 || mrc == MDB_NOTFOUND ? STORE_OK
		: store_mdb_rc(t->st, mrc, name);
}

int key_tail_keep(struct store_txn *t, const struct tdb *db,
		  struct key_tail *tail)
{
	MDB_val k, d;
	int mrc = mdb_cursor_open(t->txn, db->dbi, &tail->c);

	if (mrc) {
		tail->c = NULL;
		return mrc;
	}
	mrc = mdb_cursor_get(tail->c, &k, &d, MDB_LAST);
	tail->moved = false;
	return mrc == MDB_NOTFOUND ? 0 : mrc;
}

void key_tail_drop(struct key_tail *tail)
{
	if (tail->c)
		mdb_cursor_close(tail->c);
	tail->c = NULL;
}

/* tail_append - an append through the kept cursor, at the end again */
static int tail_append(struct key_tail *tail, MDB_val *pk, MDB_val *d)
{
	MDB_val k, v;
	int mrc = 0;

	if (tail->moved) {
		mrc = mdb_cursor_get(tail->c, &k, &v, MDB_LAST);
		tail->moved = false;
	}
	return mrc && mrc != MDB_NOTFOUND ? mrc
		: mdb_cursor_put(tail->c, pk, d, MDB_APPEND);
}

/* after_tail - does k sort after every key of the database? */
static bool after_tail(const struct key_tail *tail, const MDB_val *k)
{
	size_t n = k->mv_size < tail->len ? k->mv_size : tail->len;
	int c;

	if (tail->empty)
		return true;
	c = memcmp(k->mv_data, tail->key, n);
	return c > 0 || (c == 0 && k->mv_size > tail->len);
}

int tail_put(struct store_txn *t, const struct tdb *db, struct key_tail *tail,
	     const MDB_val *k, MDB_val *d, unsigned flags)
{
	uint8_t buf[TDB_KEY_BUF];
	MDB_val pk;
	bool append;
	int mrc;

	if (!prefixed(db, k, buf, &pk))
		return MDB_BAD_VALSIZE;
	append = after_tail(tail, &pk);
	if (append && tail->c)
		mrc = tail_append(tail, &pk, d);
	else if (tail->c)	/* LMDB looks in the cursor's page first */
		mrc = mdb_cursor_put(tail->c, &pk, d, flags);
	else
		mrc = mdb_put(t->txn, db->dbi, &pk, d,
			      append ? MDB_APPEND : flags);
	if (tail->c && !append)
		tail->moved = true;
	if (mrc == 0 && append) {
		memcpy(tail->key, pk.mv_data, pk.mv_size);
		tail->len = pk.mv_size;
		tail->empty = false;
	}
	return mrc;
}

int tdb_first_with(MDB_txn *txn, const struct tdb *db,
		   const struct key_tail *tail, const MDB_val *from,
		   size_t plen, MDB_val *k, MDB_val *d)
{
	uint8_t buf[TDB_KEY_BUF];
	MDB_cursor *c;
	MDB_val pk;
	int rc;

	if (!prefixed(db, from, buf, &pk) || (tail && after_tail(tail, &pk)))
		return MDB_NOTFOUND;
	plen += db->pfxlen;
	if ((rc = mdb_cursor_open(txn, db->dbi, &c)))
		return rc;
	*k = pk;
	rc = mdb_cursor_get(c, k, d, MDB_SET_RANGE);
	mdb_cursor_close(c);
	if (rc == 0 && (k->mv_size < plen ||
			memcmp(k->mv_data, buf, plen) != 0))
		rc = MDB_NOTFOUND;
	return strip(db, rc, k);
}
