/*
 * NAME
 *	replica.c - what a replica does to its store: apply its primary's
 *	transactions, install its snapshots, start an epoch
 * SYNOPSIS
 *	#include "store/store.h"
 *
 *	store_apply_changes(st, seq, next, arg);
 *	store_snapshot_install(st, path);
 *	store_epoch_start(st, &epoch);
 * DESCRIPTION
 *	A transaction of the primary is applied through the same put and
 *	delete paths as any write (indexes kept, records logged) and
 *	committed under the primary's sequence (WRITE_AT), so the
 *	replica's log and sequence are the primary's and a transaction
 *	already applied is skipped.
 *
 *	A snapshot is installed INTO the live file, never renamed over
 *	it: LMDB's lock file (reader table, transaction ids) belongs to
 *	the data file every process has open, and a data file swapped
 *	under it would leave those processes reading a file the lock
 *	file does not describe.  Copied database by database in key order
 *	(MDB_APPEND), in one write transaction, readers see either the
 *	old contents or the new ones.
 * DIAGNOSTICS
 *	Store codes; STORE_BADDATA for a record that cannot be applied,
 *	STORE_CORRUPT for a snapshot that does not open.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/internal.h"

/* apply_one - one record of a primary's transaction. */
static enum store_rc apply_one(struct store_txn *t,
			       const struct store_change *c)
{
	switch (c->op) {
	case STORE_CHANGE_PUT:
		return store_put_encoded(t, c->table, c->key, c->keylen,
					 c->row, c->rowlen);
	case STORE_CHANGE_DEL:
		return store_del_key(t, c->table, c->key, c->keylen);
	case STORE_CHANGE_LIST_CREATE:
		if (c->rowlen < 1)
			break;
		return store_list_create(t, c->table, c->row + 1,
					 c->rowlen - 1);
	case STORE_CHANGE_LIST_DROP:
		return store_list_drop(t, c->table);
	case STORE_CHANGE_OVERFLOW:
		break;
	}
	return store_fail(t->st, STORE_BADDATA, "change %llu.%u: a record "
			  "that cannot be applied", (unsigned long long)c->seq,
			  c->index);
}

struct apply {
	store_change_iter next;
	void *arg;
};

/*
 * next_seq - move t to the primary's transaction s of a group: its
 *	records are logged under s from index 0, as the primary logged
 *	them, and the overflow limit counts per transaction again.
 */
static enum store_rc next_seq(struct store_txn *t, uint64_t s)
{
	if (s < t->seq)
		return store_fail(t->st, STORE_BADDATA, "transaction %llu "
				  "after %llu: out of order",
				  (unsigned long long)s,
				  (unsigned long long)t->seq);
	if (s > t->seq) {
		t->seq = s;
		t->nchanges = 0;
	}
	return STORE_OK;
}

static enum store_rc apply_body(struct store_txn *t, void *arg)
{
	struct apply *a = arg;
	struct store_change c;
	uint64_t last = t->seq, applied;
	enum store_rc rc;
	int more;

	if ((rc = store_mdb_rc(t->st, store_meta_get_u64(t, "seq", &applied),
			       "meta")))
		return rc;
	t->seq = applied;
	for (bool first = true; rc == STORE_OK &&
	     (more = a->next(a->arg, first, &c)) != 0; first = false) {
		if (more < 0)
			return store_fail(t->st, STORE_BADDATA, "transaction "
					  "%llu: a malformed record",
					  (unsigned long long)last);
		if (c.seq == 0)
			c.seq = last;
		if (c.seq <= applied)
			continue;	/* applied before this group */
		if (c.seq > last)
			return store_fail(t->st, STORE_BADDATA, "transaction "
					  "%llu in a group that ends at %llu",
					  (unsigned long long)c.seq,
					  (unsigned long long)last);
		if (!(rc = next_seq(t, c.seq)))
			rc = apply_one(t, &c);
	}
	if (rc == STORE_OK)
		t->seq = last;
	return rc;
}

enum store_rc store_apply_changes(struct store *st, uint64_t seq,
				  store_change_iter next, void *arg)
{
	struct apply a = { next, arg };

	if (seq == 0 || seq >= INT64_MAX)
		return store_fail(st, STORE_BADDATA, "sequence %llu out of "
				  "range", (unsigned long long)seq);
	return store_write_mode(st, WRITE_AT, seq, apply_body, &a, NULL);
}

/* file_open - a store file read-only, without a lock file. */
static enum store_rc file_open(struct store *st, const char *path,
			       MDB_env **env)
{
	int rc = mdb_env_create(env);

	if (rc == 0)
		rc = mdb_env_set_maxdbs(*env, STORE_MAX_DBS);
	if (rc == 0)
		rc = mdb_env_open(*env, path, MDB_NOSUBDIR | MDB_RDONLY |
				  MDB_NOLOCK, 0600);
	if (rc == 0)
		return STORE_OK;
	mdb_env_close(*env);
	*env = NULL;
	return store_fail(st, STORE_CORRUPT, "%s: cannot open the snapshot: "
			  "%s", path, mdb_strerror(rc));
}

/* meta_u64 - a u64 of a meta database, read with LMDB alone. */
static int meta_u64(MDB_txn *txn, MDB_dbi meta, const char *name,
		    uint64_t *v)
{
	MDB_val k = { strlen(name), (void *)name }, d;
	int rc = mdb_get(txn, meta, &k, &d);

	if (rc == 0 && d.mv_size != sizeof(*v))
		rc = MDB_CORRUPTED;
	if (rc == 0)
		memcpy(v, d.mv_data, sizeof(*v));
	return rc;
}

enum store_rc store_file_meta(const char *path, struct store_meta *m)
{
	MDB_env *env;
	MDB_txn *txn = NULL;
	MDB_dbi meta;
	MDB_val k = { 4, "uuid" }, d;
	enum store_rc rc = file_open(NULL, path, &env);
	int mrc;

	if (rc)
		return rc;
	mrc = mdb_txn_begin(env, NULL, MDB_RDONLY, &txn);
	if (mrc == 0)
		mrc = mdb_dbi_open(txn, DB_META, 0, &meta);
	if (mrc == 0)
		mrc = mdb_get(txn, meta, &k, &d);
	if (mrc == 0 && d.mv_size != sizeof(m->uuid))
		mrc = MDB_CORRUPTED;
	if (mrc == 0) {
		memcpy(m->uuid, d.mv_data, sizeof(m->uuid));
		mrc = meta_u64(txn, meta, "epoch", &m->epoch);
	}
	if (mrc == 0)
		mrc = meta_u64(txn, meta, "seq", &m->seq);
	if (mrc == 0)
		mrc = meta_u64(txn, meta, "format", &m->format);
	if (txn)
		mdb_txn_abort(txn);
	mdb_env_close(env);
	return mrc ? store_fail(NULL, STORE_CORRUPT, "%s: no store meta: %s",
				path, mdb_strerror(mrc)) : STORE_OK;
}

/* The snapshot being installed: its file, read in one transaction. */
struct install {
	MDB_txn *src;
	MDB_dbi src_main;
};

/* db_names - the names of the databases of txn (main: its main db). */
static enum store_rc db_names(struct store *st, MDB_txn *txn, MDB_dbi main,
			      char ***names, size_t *n)
{
	MDB_cursor *c;
	MDB_val k, d;
	size_t cap = 0;
	int rc = mdb_cursor_open(txn, main, &c);

	*names = NULL;
	*n = 0;
	for (rc = rc ? rc : mdb_cursor_get(c, &k, &d, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(c, &k, &d, MDB_NEXT)) {
		if (k.mv_size == 0 || k.mv_size > REG_NAME_MAX + 8)
			continue;
		if (*n == cap) {
			char **more = realloc(*names, (cap = cap ? 2 * cap : 64)
					      * sizeof(**names));
			if (!more) {
				rc = ENOMEM;
				break;
			}
			*names = more;
		}
		if (!((*names)[*n] = strndup(k.mv_data, k.mv_size))) {
			rc = ENOMEM;
			break;
		}
		(*n)++;
	}
	if (c)
		mdb_cursor_close(c);
	return rc == MDB_NOTFOUND ? STORE_OK : store_mdb_rc(st, rc, "main");
}

static void names_free(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* copy_db - replace database name of t with the snapshot's. */
static enum store_rc copy_db(struct store_txn *t, struct install *in,
			     const char *name)
{
	MDB_dbi from, to;
	MDB_cursor *c;
	MDB_val k, d;
	enum store_rc rc = store_dbi(t, name, true, &to);
	int mrc;

	if (rc)
		return rc;
	if ((mrc = mdb_drop(t->txn, to, 0)) ||
	    (mrc = mdb_dbi_open(in->src, name, 0, &from)) ||
	    (mrc = mdb_cursor_open(in->src, from, &c)))
		return store_mdb_rc(t->st, mrc, name);
	for (mrc = mdb_cursor_get(c, &k, &d, MDB_FIRST); mrc == 0;
	     mrc = mdb_cursor_get(c, &k, &d, MDB_NEXT))
		if ((mrc = mdb_put(t->txn, to, &k, &d, MDB_APPEND)))
			break;
	mdb_cursor_close(c);
	return mrc == MDB_NOTFOUND ? STORE_OK : store_mdb_rc(t->st, mrc, name);
}

/*
 * empty_missing - empty the databases the snapshot lacks (emptied, not
 *	deleted, as store_list_drop does: a deleted handle is closed for
 *	the process even when the transaction aborts).
 */
static enum store_rc empty_missing(struct store_txn *t, struct install *in)
{
	MDB_dbi main, dbi;
	MDB_val k, d;
	char **names;
	size_t n;
	enum store_rc rc;
	int mrc = mdb_dbi_open(t->txn, NULL, 0, &main);

	if (mrc)
		return store_mdb_rc(t->st, mrc, "main");
	if ((rc = db_names(t->st, t->txn, main, &names, &n)))
		return rc;
	for (size_t i = 0; rc == STORE_OK && i < n; i++) {
		k.mv_size = strlen(names[i]);
		k.mv_data = names[i];
		if (mdb_get(in->src, in->src_main, &k, &d) == 0)
			continue;
		rc = store_dbi(t, names[i], false, &dbi);
		if (rc == STORE_OK && (mrc = mdb_drop(t->txn, dbi, 0)))
			rc = store_mdb_rc(t->st, mrc, names[i]);
	}
	names_free(names, n);
	return rc;
}

/*
 * install_body - the snapshot's databases replace the store's.  One of
 *	an older format (a primary running an older mq) is upgraded in the
 *	same transaction, as the first writing open of that file would be:
 *	without it this process would go on with the old format's data
 *	(no tag records) until it reopened the file.
 */
static enum store_rc install_body(struct store_txn *t, void *arg)
{
	struct install *in = arg;
	char **names;
	size_t n;
	uint64_t format = 0;
	enum store_rc rc = empty_missing(t, in);

	if (rc || (rc = db_names(t->st, in->src, in->src_main, &names, &n)))
		return rc;
	for (size_t i = 0; rc == STORE_OK && i < n; i++)
		rc = copy_db(t, in, names[i]);
	names_free(names, n);
	if (rc == STORE_OK &&
	    (rc = store_mdb_rc(t->st, store_meta_get_u64(t, "format",
							 &format), DB_META)))
		return rc;
	return rc ? rc : store_format_upgrade(t, format);
}

/*
 * forget_lookups - the lookup set of this process was built from the
 *	old contents, whose version numbers the snapshot's may repeat.
 */
static void forget_lookups(struct store *st)
{
	struct lookup_set *old;

	pthread_mutex_lock(&st->lookups_lock);
	old = st->lookups;
	st->lookups = NULL;
	pthread_mutex_unlock(&st->lookups_lock);
	store_lookups_release(old);
}

enum store_rc store_snapshot_install(struct store *st, const char *path)
{
	struct install in = { 0 };
	MDB_env *env;
	enum store_rc rc = file_open(st, path, &env);
	int mrc;

	if (rc)
		return rc;
	mrc = mdb_txn_begin(env, NULL, MDB_RDONLY, &in.src);
	if (mrc == 0)
		mrc = mdb_dbi_open(in.src, NULL, 0, &in.src_main);
	rc = mrc ? store_fail(st, STORE_CORRUPT, "%s: %s", path,
			      mdb_strerror(mrc))
		: store_write_mode(st, WRITE_RAW, 0, install_body, &in, NULL);
	if (in.src)
		mdb_txn_abort(in.src);
	mdb_env_close(env);
	if (rc == STORE_OK)
		forget_lookups(st);
	return rc;
}

static enum store_rc epoch_body(struct store_txn *t, void *arg)
{
	uint64_t *epoch = arg;
	int mrc = store_meta_get_u64(t, "epoch", epoch);

	if (mrc == 0)
		mrc = store_meta_put_u64(t, "epoch", ++*epoch);
	return store_mdb_rc(t->st, mrc, "meta");
}

enum store_rc store_epoch_start(struct store *st, uint64_t *epoch_out)
{
	uint64_t epoch = 0;
	enum store_rc rc = store_write_mode(st, WRITE_RAW, 0, epoch_body,
					    &epoch, NULL);

	if (rc == STORE_OK && epoch_out)
		*epoch_out = epoch;
	return rc;
}
