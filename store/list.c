/*
 * NAME
 *	list.c - ezmlm list roots: create, drop, enumerate
 * DESCRIPTION
 *	The "lists" database maps each list root T to its record: a format
 *	byte, the list's id and its secret key (the bytes of ezmlm's
 *	DIR/key, from which the cookies are derived: imported, or made
 *	here at random when a list is created without one).  A list's rows
 *	lie in the databases every list shares, under its id (tdb.c): a
 *	create writes the record, a drop deletes the id's key range of
 *	each, both in the caller's one transaction.
 */
#include <stdio.h>
#include <string.h>
#include <sodium.h>

#include "store/internal.h"
#include "store/tagrec_int.h"

/*
 * Format 0x02 (store format 3): the format byte, the list's id (4 bytes
 * big-endian: the prefix of its rows in the shared databases, tdb.c),
 * the key.  A change record of a create keeps format 0x01 (the byte and
 * the key): the ids are each store's own, a replica numbers its lists
 * itself.
 */
#define LIST_FORMAT	LIST_RECORD_ID
#define CHANGE_FORMAT	LIST_RECORD_KEY
#define LIST_ID_MAX	UINT32_MAX

/* list_kind - the index of t in reg_list (every list table is one). */
static int list_kind(const struct reg_table *t)
{
	int i;

	for (i = 0; reg_list[i] && reg_list[i] != t; i++)
		;
	return i;
}

void list_tdb(const struct store *st, const struct reg_table *t, uint32_t id,
	      struct tdb *db)
{
	db->dbi = st->list_t[list_kind(t)];
	tdb_list_id(db->pfx, id);
	db->pfxlen = LIST_ID_LEN;
}

enum store_rc idx_of(struct store_txn *txn, const struct reg_table *t,
		     const struct tdb *table, struct tdb *x)
{
	if (!reg_list_addresses(t))
		return store_fail(txn->st, STORE_INTERNAL, "%s: no index by "
				  "hash", t->name);
	*x = *table;
	x->dbi = txn->st->list_x[list_kind(t)];
	return STORE_OK;
}

/* list_get - the record of list root; STORE_NOTFOUND naming it. */
static enum store_rc list_get(struct store_txn *t, const char *root,
			      MDB_val *d)
{
	MDB_val k = { strlen(root), (void *)root };
	int mrc = k.mv_size && k.mv_size < REG_NAME_MAX
		? mdb_get(t->txn, t->st->lists, &k, d) : MDB_NOTFOUND;

	if (mrc == MDB_NOTFOUND)
		return store_fail(t->st, STORE_NOTFOUND, "no such list: %.64s",
				  root);
	if (mrc)
		return store_mdb_rc(t->st, mrc, DB_LISTS);
	if (d->mv_size < 1 + LIST_ID_LEN ||
	    ((uint8_t *)d->mv_data)[0] != LIST_FORMAT)
		return store_fail(t->st, STORE_CORRUPT, "list %s: bad record",
				  root);
	return STORE_OK;
}

enum store_rc list_id(struct store_txn *t, const char *root, uint32_t *id)
{
	MDB_val d = { 0, NULL };
	enum store_rc rc = list_get(t, root, &d);
	const uint8_t *p;

	if (rc)
		return rc;
	p = (const uint8_t *)d.mv_data + 1;
	*id = 0;
	for (int i = 0; i < LIST_ID_LEN; i++)
		*id = *id << 8 | p[i];
	return STORE_OK;
}

/*
 * list_new_id - the next list id.  Ids are never given twice, so rows a
 *	crash could have left under a dropped list's id are never read as
 *	another list's.  The one hard limit on lists: LIST_ID_MAX creates.
 */
static enum store_rc list_new_id(struct store_txn *t, const char *root,
				 uint32_t *id)
{
	uint64_t last = 0;
	int mrc = store_meta_get_u64(t, META_LIST_ID, &last);

	if (mrc && mrc != MDB_NOTFOUND)
		return store_mdb_rc(t->st, mrc, DB_META);
	/* Not STORE_FULL: store_write would grow the map and retry. */
	if (last >= LIST_ID_MAX)
		return store_fail(t->st, STORE_BADDATA, "list %s: no list id "
				  "left: this store has given all %u "
				  "(docs/store.md, Limits)", root,
				  (unsigned)LIST_ID_MAX);
	*id = (uint32_t)last + 1;
	return store_mdb_rc(t->st, store_meta_put_u64(t, META_LIST_ID, *id),
			    DB_META);
}

static enum store_rc root_check(struct store *st, const char *root)
{
	const char *clash;

	if (strlen(root) >= REG_NAME_MAX - 16)
		return store_fail(st, STORE_BADDATA, "list name too long");
	if ((clash = reg_root_clash(root)))
		return store_fail(st, STORE_BADDATA, "list %s: its tables "
				  "would clash with %s%s", root,
				  clash[0] == '_' ? "another list's " : "",
				  clash);
	if (!reg_root_valid(root))
		return store_fail(st, STORE_BADDATA, "list %s: a list name "
				  "is a lower-case letter, then lower-case "
				  "letters, digits and '_'", root);
	return STORE_OK;
}

/*
 * list_record - the change record of a list's creation: the format
 *	byte, then the key given or, for none, a random one made here (the
 *	one place a list's secret is made).
 */
static enum store_rc list_record(struct store *st, const char *root,
				 const uint8_t *key, size_t keylen,
				 uint8_t rec[1 + STORE_LIST_KEY_MAX],
				 size_t *reclen)
{
	if (keylen > STORE_LIST_KEY_MAX)
		return store_fail(st, STORE_BADDATA, "list %s: key longer "
				  "than %d bytes", root, STORE_LIST_KEY_MAX);
	rec[0] = CHANGE_FORMAT;
	if (!key) {
		keylen = STORE_LIST_KEY_LEN;
		randombytes_buf(rec + 1, keylen);
	} else if (keylen)
		memcpy(rec + 1, key, keylen);
	*reclen = 1 + keylen;
	return STORE_OK;
}

/* list_put - the lists record of root: its id, then rec's key. */
static enum store_rc list_put(struct store_txn *t, const char *root,
			      uint32_t id, const uint8_t *rec, size_t reclen)
{
	uint8_t out[1 + LIST_ID_LEN + STORE_LIST_KEY_MAX];
	MDB_val k = { strlen(root), (void *)root };
	MDB_val d = { LIST_ID_LEN + reclen, out };
	int mrc;

	out[0] = LIST_FORMAT;
	tdb_list_id(out + 1, id);
	memcpy(out + 1 + LIST_ID_LEN, rec + 1, reclen - 1);
	mrc = mdb_put(t->txn, t->st->lists, &k, &d, MDB_NOOVERWRITE);
	if (mrc == MDB_KEYEXIST)
		return store_fail(t->st, STORE_EXISTS, "list %s exists "
				  "already", root);
	return mrc ? store_mdb_rc(t->st, mrc, DB_LISTS) : STORE_OK;
}

enum store_rc store_list_create(struct store_txn *t, const char *root,
				const uint8_t *key, size_t keylen)
{
	uint8_t rec[1 + STORE_LIST_KEY_MAX];
	MDB_val k = { strlen(root), (void *)root }, d;
	size_t reclen = 0;
	uint32_t id = 0;
	enum store_rc rc = root_check(t->st, root);

	if (rc || (rc = list_record(t->st, root, key, keylen, rec, &reclen)))
		return rc;
	if (mdb_get(t->txn, t->st->lists, &k, &d) == 0)
		return store_fail(t->st, STORE_EXISTS, "list %s exists "
				  "already", root);
	if ((rc = list_new_id(t, root, &id)) ||
	    (rc = list_put(t, root, id, rec, reclen)))
		return rc;
	return store_change(t, CHANGE_LIST_CREATE, root, NULL, 0, rec,
			    reclen);
}

/* forget_ids - a list created again later starts its ids at 1. */
static enum store_rc forget_ids(struct store_txn *t, const char *root)
{
	char name[REG_NAME_MAX + 16];

	for (int i = 0; reg_list[i]; i++) {
		snprintf(name, sizeof(name), "auto:%s%s", root,
			 reg_list[i]->name);
		MDB_val k = { strlen(name), name };
		int rc = mdb_del(t->txn, t->st->meta, &k, NULL);
		if (rc && rc != MDB_NOTFOUND)
			return store_mdb_rc(t->st, rc, "meta");
	}
	return STORE_OK;
}

/* list_clear - delete every row of list id, its index entries, records. */
static enum store_rc list_clear(struct store_txn *t, const char *root,
				uint32_t id)
{
	struct tdb db, x;
	enum store_rc rc;
	int mrc;

	for (int i = 0; reg_list[i]; i++) {
		list_tdb(t->st, reg_list[i], id, &db);
		if ((mrc = tdb_clear(t->txn, &db)))
			return store_mdb_rc(t->st, mrc, root);
		if (!reg_list_addresses(reg_list[i]))
			continue;
		if ((rc = idx_of(t, reg_list[i], &db, &x)))
			return rc;
		if ((mrc = tdb_clear(t->txn, &x)))
			return store_mdb_rc(t->st, mrc, root);
	}
	return tag_clear(t, id);
}

enum store_rc store_list_drop(struct store_txn *t, const char *root)
{
	MDB_val k = { strlen(root), (void *)root };
	uint32_t id = 0;
	enum store_rc rc = list_id(t, root, &id);
	int mrc;

	if (rc || (rc = list_clear(t, root, id)))
		return rc;
	if ((mrc = mdb_del(t->txn, t->st->lists, &k, NULL)))
		return store_mdb_rc(t->st, mrc, DB_LISTS);
	if ((rc = forget_ids(t, root)))
		return rc;
	return store_change(t, CHANGE_LIST_DROP, root, NULL, 0, NULL, 0);
}

enum store_rc store_list_each(struct store_txn *t,
			      int (*fn)(const char *root, void *arg),
			      void *arg)
{
	char root[REG_NAME_MAX];
	MDB_cursor *c;
	MDB_val k, d;
	int mrc = mdb_cursor_open(t->txn, t->st->lists, &c);

	if (mrc)
		return store_mdb_rc(t->st, mrc, DB_LISTS);
	for (mrc = mdb_cursor_get(c, &k, &d, MDB_FIRST); mrc == 0;
	     mrc = mdb_cursor_get(c, &k, &d, MDB_NEXT)) {
		if (k.mv_size >= sizeof(root))
			continue;
		memcpy(root, k.mv_data, k.mv_size);
		root[k.mv_size] = 0;
		if (fn(root, arg))
			break;
	}
	mdb_cursor_close(c);
	return mrc == 0 || mrc == MDB_NOTFOUND ? STORE_OK
		: store_mdb_rc(t->st, mrc, DB_LISTS);
}

enum store_rc store_list_key(struct store_txn *t, const char *root,
			     const uint8_t **key, size_t *keylen)
{
	MDB_val d;
	enum store_rc rc = list_get(t, root, &d);

	if (rc)
		return rc;
	*key = (const uint8_t *)d.mv_data + 1 + LIST_ID_LEN;
	*keylen = d.mv_size - 1 - LIST_ID_LEN;
	return STORE_OK;
}
