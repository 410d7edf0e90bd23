/*
 * NAME
 *	list.c - ezmlm list roots: create, drop, enumerate
 * DESCRIPTION
 *	The "lists" database maps each list root T to its record: a format
 *	byte and the list's secret key (the bytes of ezmlm's DIR/key, from
 *	which the cookies are derived: imported, or made here at random
 *	when a list is created without one).  A list's tables, and the
 *	indexes by hash of its address tables, exist exactly while its
 *	record does.
 */
#include <stdio.h>
#include <string.h>
#include <sodium.h>

#include "store/internal.h"

#define LIST_FORMAT	0x01

static enum store_rc list_table_dbi(struct store_txn *t, const char *root,
				    const struct reg_table *tb, MDB_dbi *dbi)
{
	char dbname[REG_NAME_MAX + 8];

	snprintf(dbname, sizeof(dbname), DB_TABLE_PREFIX "%s%s", root,
		 tb->name);
	return store_dbi(t, dbname, true, dbi);
}

/* list_index_dbi - an address table's index by hash (addr_index.c). */
static enum store_rc list_index_dbi(struct store_txn *t, const char *root,
				    const struct reg_table *tb, MDB_dbi *dbi)
{
	char name[REG_NAME_MAX + 8];

	if (!reg_list_addresses(tb))
		return STORE_OK;
	snprintf(name, sizeof(name), "%s%s", root, tb->name);
	return idx_open(t, name, true, dbi);
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
 * list_record - the lists database's record of a list: the format byte,
 *	then the key given or, for none, a random one made here (the one
 *	place a list's secret is made).
 */
static enum store_rc list_record(struct store *st, const char *root,
				 const uint8_t *key, size_t keylen,
				 uint8_t rec[1 + STORE_LIST_KEY_MAX],
				 size_t *reclen)
{
	if (keylen > STORE_LIST_KEY_MAX)
		return store_fail(st, STORE_BADDATA, "list %s: key longer "
				  "than %d bytes", root, STORE_LIST_KEY_MAX);
	rec[0] = LIST_FORMAT;
	if (!key) {
		keylen = STORE_LIST_KEY_LEN;
		randombytes_buf(rec + 1, keylen);
	} else if (keylen)
		memcpy(rec + 1, key, keylen);
	*reclen = 1 + keylen;
	return STORE_OK;
}

enum store_rc store_list_create(struct store_txn *t, const char *root,
				const uint8_t *key, size_t keylen)
{
	uint8_t rec[1 + STORE_LIST_KEY_MAX];
	MDB_val k = { strlen(root), (void *)root }, d = { 0, rec };
	MDB_dbi dbi;
	enum store_rc rc = root_check(t->st, root);
	int mrc;

	if (rc || (rc = list_record(t->st, root, key, keylen, rec,
				    &d.mv_size)))
		return rc;
	mrc = mdb_put(t->txn, t->st->lists, &k, &d, MDB_NOOVERWRITE);
	if (mrc == MDB_KEYEXIST)
		return store_fail(t->st, STORE_EXISTS, "list %s exists "
				  "already", root);
	if (mrc)
		return store_mdb_rc(t->st, mrc, DB_LISTS);
	for (int i = 0; reg_list[i]; i++)
		if ((rc = list_table_dbi(t, root, reg_list[i], &dbi)) ||
		    (rc = list_index_dbi(t, root, reg_list[i], &dbi)))
			return rc;
	return store_change(t, CHANGE_LIST_CREATE, root, NULL, 0, rec,
			    d.mv_size);
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

enum store_rc store_list_drop(struct store_txn *t, const char *root)
{
	MDB_val k = { strlen(root), (void *)root };
	MDB_dbi dbi;
	enum store_rc rc;
	int mrc;

	if (k.mv_size == 0 || k.mv_size >= REG_NAME_MAX)
		return store_fail(t->st, STORE_NOTFOUND, "no such list");
	mrc = mdb_del(t->txn, t->st->lists, &k, NULL);
	if (mrc == MDB_NOTFOUND)
		return store_fail(t->st, STORE_NOTFOUND, "no such list: %s",
				  root);
	if (mrc)
		return store_mdb_rc(t->st, mrc, DB_LISTS);
	/* Emptied, not deleted: LMDB closes a deleted database's handle
	 * even when the transaction aborts. */
	for (int i = 0; reg_list[i]; i++) {
		if ((rc = list_table_dbi(t, root, reg_list[i], &dbi)))
			return rc;
		if ((mrc = mdb_drop(t->txn, dbi, 0)))
			return store_mdb_rc(t->st, mrc, root);
		if (!reg_list_addresses(reg_list[i]))
			continue;
		if ((rc = list_index_dbi(t, root, reg_list[i], &dbi)))
			return rc;
		if ((mrc = mdb_drop(t->txn, dbi, 0)))
			return store_mdb_rc(t->st, mrc, root);
	}
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
	MDB_val k = { strlen(root), (void *)root }, d;
	int mrc = mdb_get(t->txn, t->st->lists, &k, &d);

	if (mrc == MDB_NOTFOUND)
		return store_fail(t->st, STORE_NOTFOUND, "no such list: %s",
				  root);
	if (mrc)
		return store_mdb_rc(t->st, mrc, DB_LISTS);
	if (d.mv_size < 1 || ((uint8_t *)d.mv_data)[0] != LIST_FORMAT)
		return store_fail(t->st, STORE_CORRUPT, "list %s: bad record",
				  root);
	*key = (const uint8_t *)d.mv_data + 1;
	*keylen = d.mv_size - 1;
	return STORE_OK;
}
