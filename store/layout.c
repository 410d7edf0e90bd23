/*
 * NAME
 *	layout.c - the databases every list shares, and the upgrade to them
 * DESCRIPTION
 *	Store format 3 keeps the rows of every list in one database per
 *	list table kind ("l:" + suffix: "l:" for T, "l:_digest", ...) and
 *	the indexes by hash in one per address table kind ("y:" + suffix),
 *	each key prefixed with the list's id (tdb.c, list.c): a list costs
 *	rows, not databases, and a store holds 26 list databases whatever
 *	its number of lists.
 *
 *	Formats 1 and 2 gave each list 21 databases of its own ("t:" +
 *	table, and "x:" + address table for its index in format 2).  The
 *	first writing open moves them (layout_upgrade), in the one
 *	transaction that also sets the format: a store is of the old
 *	format or of the new one, whatever stops the process.
 *
 *	Format 4 keys a list address by store_fold_key() (ascii.c: the
 *	folded address, a NUL, its case mask) where format 3 keyed it by
 *	the folded address alone, so that variants in case are rows of
 *	their own.  The same first writing open rekeys every address
 *	table and rebuilds its index (layout_rekey), after the move of an
 *	older store.  Format 3 held one row per folded address, so the
 *	new keys cannot collide; and as a NUL sorts before every other
 *	byte, they come in the order of the old ones.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/internal.h"

enum store_rc layout_open(struct store_txn *t, bool create)
{
	char name[REG_NAME_MAX + 8];
	enum store_rc rc = STORE_OK;

	for (int i = 0; reg_list[i] && rc == STORE_OK; i++) {
		snprintf(name, sizeof(name), DB_LIST_PREFIX "%s",
			 reg_list[i]->name);
		rc = store_dbi(t, name, create, &t->st->list_t[i]);
		if (rc || !reg_list_addresses(reg_list[i]))
			continue;
		snprintf(name, sizeof(name), DB_LIST_INDEX "%s",
			 reg_list[i]->name);
		rc = store_dbi(t, name, create, &t->st->list_x[i]);
	}
	return rc;
}

/*
 * move_db - every entry of the old database name into db (under its
 *	prefix), then delete name.  A missing one had nothing.
 */
static enum store_rc move_db(struct store_txn *t, const char *name,
			     const struct tdb *db)
{
	MDB_cursor *c;
	MDB_dbi old;
	MDB_val k, d;
	int mrc = mdb_dbi_open(t->txn, name, 0, &old);

	if (mrc == MDB_NOTFOUND)
		return STORE_OK;
	if (mrc || (mrc = mdb_cursor_open(t->txn, old, &c)))
		return store_mdb_rc(t->st, mrc, name);
	for (mrc = mdb_cursor_get(c, &k, &d, MDB_FIRST); mrc == 0;
	     mrc = mdb_cursor_get(c, &k, &d, MDB_NEXT))
		if ((mrc = tdb_put(t->txn, db, &k, &d, MDB_APPEND)))
			break;
	mdb_cursor_close(c);
	if (mrc == MDB_NOTFOUND)
		mrc = mdb_drop(t->txn, old, 1);
	return mrc ? store_mdb_rc(t->st, mrc, name) : STORE_OK;
}

/* move_list - list root's databases under id; its record gets the id. */
static enum store_rc move_list(struct store_txn *t, const char *root,
			       uint32_t id, uint64_t format)
{
	char name[REG_NAME_MAX + 8];
	struct tdb db, x;
	enum store_rc rc = STORE_OK;

	for (int i = 0; reg_list[i] && rc == STORE_OK; i++) {
		list_tdb(t->st, reg_list[i], id, &db);
		snprintf(name, sizeof(name), DB_TABLE_PREFIX "%s%s", root,
			 reg_list[i]->name);
		rc = move_db(t, name, &db);
		if (rc || !reg_list_addresses(reg_list[i]) || format < 2)
			continue;
		if ((rc = idx_of(t, reg_list[i], &db, &x)))
			break;
		snprintf(name, sizeof(name), DB_INDEX_PREFIX "%s%s", root,
			 reg_list[i]->name);
		rc = move_db(t, name, &x);
	}
	return rc;
}

/* record_id - the lists record of root rewritten with its id. */
static enum store_rc record_id(struct store_txn *t, const char *root,
			       uint32_t id)
{
	uint8_t rec[1 + LIST_ID_LEN + STORE_LIST_KEY_MAX];
	MDB_val k = { strlen(root), (void *)root }, d;
	int mrc = mdb_get(t->txn, t->st->lists, &k, &d);

	if (mrc)
		return store_mdb_rc(t->st, mrc, DB_LISTS);
	if (d.mv_size < 1 || d.mv_size > 1 + STORE_LIST_KEY_MAX ||
	    ((uint8_t *)d.mv_data)[0] != LIST_RECORD_KEY)
		return store_fail(t->st, STORE_CORRUPT, "list %s: bad record",
				  root);
	rec[0] = LIST_RECORD_ID;
	tdb_list_id(rec + 1, id);
	memcpy(rec + 1 + LIST_ID_LEN, (uint8_t *)d.mv_data + 1,
	       d.mv_size - 1);
	d = (MDB_val){ d.mv_size + LIST_ID_LEN, rec };
	mrc = mdb_put(t->txn, t->st->lists, &k, &d, 0);
	return mrc ? store_mdb_rc(t->st, mrc, DB_LISTS) : STORE_OK;
}

/* index_list - a format 1 list: build its indexes (format 2's upgrade). */
static enum store_rc index_list(struct store_txn *t, const char *root)
{
	char name[REG_NAME_MAX + 8];
	enum store_rc rc = STORE_OK;

	for (int i = 0; reg_list[i] && rc == STORE_OK; i++) {
		if (!reg_list_addresses(reg_list[i]))
			continue;
		snprintf(name, sizeof(name), "%s%s", root, reg_list[i]->name);
		rc = idx_build(t, name);
	}
	return rc;
}

/* The roots of the lists database, copied: the upgrade rewrites it. */
struct roots {
	char (*root)[REG_NAME_MAX];
	size_t n, cap;
	bool oom;
};

static int root_add(const char *root, void *arg)
{
	struct roots *r = arg;

	if (r->n == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 64;
		void *p = realloc(r->root, cap * sizeof(*r->root));

		if (!p)
			return r->oom = true;
		r->root = p;
		r->cap = cap;
	}
	snprintf(r->root[r->n++], REG_NAME_MAX, "%s", root);
	return 0;
}

enum store_rc layout_upgrade(struct store_txn *t, uint64_t format)
{
	struct roots r = { 0 };
	enum store_rc rc = store_list_each(t, root_add, &r);
	uint32_t id = 0;

	if (rc == STORE_OK && r.oom)
		rc = store_fail(t->st, STORE_INTERNAL, "out of memory");
	for (size_t i = 0; rc == STORE_OK && i < r.n; i++) {
		rc = move_list(t, r.root[i], ++id, format);
		if (rc == STORE_OK)
			rc = record_id(t, r.root[i], id);
		if (rc == STORE_OK && format < 2)
			rc = index_list(t, r.root[i]);
	}
	free(r.root);
	if (rc == STORE_OK)
		rc = store_mdb_rc(t->st, store_meta_put_u64(t, META_LIST_ID, id),
				  DB_META);
	return rc;
}

/* The rows of one address table, read out before it is rekeyed. */
struct saved {
	uint8_t *p;
	size_t len, cap;
};

static bool save_row(struct saved *sv, const MDB_val *d)
{
	size_t need = sizeof(d->mv_size) + d->mv_size;

	if (sv->len + need > sv->cap) {
		size_t cap = sv->cap ? 2 * sv->cap : 1 << 16;
		uint8_t *p;

		while (cap < sv->len + need)
			cap *= 2;
		if (!(p = realloc(sv->p, cap)))
			return false;
		sv->p = p;
		sv->cap = cap;
	}
	memcpy(sv->p + sv->len, &d->mv_size, sizeof(d->mv_size));
	memcpy(sv->p + sv->len + sizeof(d->mv_size), d->mv_data, d->mv_size);
	sv->len += need;
	return true;
}

/* read_rows - every row of db into sv, then db emptied. */
static enum store_rc read_rows(struct store_txn *t, const char *name,
			       const struct tdb *db, struct saved *sv)
{
	struct tcur c;
	MDB_val k, d;
	int mrc = tcur_open(t->txn, db, &c);

	if (mrc)
		return store_mdb_rc(t->st, mrc, name);
	for (mrc = tcur_get(&c, &k, &d, MDB_FIRST); mrc == 0;
	     mrc = tcur_get(&c, &k, &d, MDB_NEXT))
		if (!save_row(sv, &d)) {
			tcur_close(&c);
			return store_fail(t->st, STORE_INTERNAL,
					  "out of memory");
		}
	tcur_close(&c);
	if (mrc == MDB_NOTFOUND)
		mrc = tdb_clear(t->txn, db);
	return mrc ? store_mdb_rc(t->st, mrc, name) : STORE_OK;
}

/* put_rekeyed - the saved rows back into db, each under its new key. */
static enum store_rc put_rekeyed(struct store_txn *t, const char *name,
				 const struct reg_table *tb,
				 const struct tdb *db, const struct saved *sv)
{
	uint8_t key[STORE_KEY_MAX];
	struct store_row row;
	size_t klen;
	int mrc = 0;

	for (size_t at = 0; mrc == 0 && at < sv->len;) {
		MDB_val d = { 0, NULL }, k = { 0, key };
		char err[STORE_ERR_MAX];

		memcpy(&d.mv_size, sv->p + at, sizeof(d.mv_size));
		d.mv_data = sv->p + at + sizeof(d.mv_size);
		at += sizeof(d.mv_size) + d.mv_size;
		if (!row_decode(tb, d.mv_data, d.mv_size, &row) ||
		    key_encode(tb, &row.col[REG_ADDR_ADDRESS], key, &klen,
			       err, sizeof(err)))
			return store_fail(t->st, STORE_CORRUPT, "table %s: a "
					  "row has no address the store can "
					  "key", name);
		k.mv_size = klen;
		mrc = tdb_put(t->txn, db, &k, &d, MDB_APPEND);
	}
	return mrc ? store_mdb_rc(t->st, mrc, name) : STORE_OK;
}

/* rekey_table - address table tb of list root (id): format 4's keys. */
static enum store_rc rekey_table(struct store_txn *t, const char *root,
				 uint32_t id, const struct reg_table *tb)
{
	char name[REG_NAME_MAX + 8];
	struct saved sv = { 0 };
	struct tdb db, x;
	enum store_rc rc;
	int mrc;

	snprintf(name, sizeof(name), "%s%s", root, tb->name);
	list_tdb(t->st, tb, id, &db);
	rc = read_rows(t, name, &db, &sv);
	if (rc == STORE_OK)
		rc = put_rekeyed(t, name, tb, &db, &sv);
	free(sv.p);
	if (rc == STORE_OK)
		rc = idx_of(t, tb, &db, &x);
	if (rc == STORE_OK && (mrc = tdb_clear(t->txn, &x)))
		rc = store_mdb_rc(t->st, mrc, name);
	return rc ? rc : idx_build(t, name);
}

enum store_rc layout_rekey(struct store_txn *t)
{
	struct roots r = { 0 };
	enum store_rc rc = store_list_each(t, root_add, &r);
	uint32_t id;

	if (rc == STORE_OK && r.oom)
		rc = store_fail(t->st, STORE_INTERNAL, "out of memory");
	for (size_t i = 0; rc == STORE_OK && i < r.n; i++) {
		rc = list_id(t, r.root[i], &id);
		for (int j = 0; rc == STORE_OK && reg_list[j]; j++)
			if (reg_list_addresses(reg_list[j]))
				rc = rekey_table(t, r.root[i], id,
						 reg_list[j]);
	}
	free(r.root);
	return rc;
}
