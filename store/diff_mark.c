/*
 * NAME
 *	diff_mark.c - what a sync last made the store equal to
 * SYNOPSIS
 *	#include "store/store.h"
 *
 *	store_diff_mark(d, "sqlite 2049:1234 ...");
 *	rc = store_diff_apply(st, d, 0, &seq);	(apply.c records it)
 *	...
 *	if (store_mark_current(txn, "sqlite 2049:1234 ...")) nothing to do
 * DESCRIPTION
 *	A loader whose source can say that it has not changed (the
 *	identity of an SQLite file: inode, size, change counter, times)
 *	gives that identity to the difference as a mark.  The apply
 *	records the mark in the meta database ("sync-mark") in its last
 *	write transaction, or, when nothing differed, in a transaction of
 *	its own, but only when no other writer wrote since the
 *	difference's snapshot (then the store is the source's copy).
 *	Beside the caller's mark it records the store's own state as that
 *	transaction leaves it: the data file's device and inode, and the
 *	format, uuid, epoch and sequence of its meta.
 *
 *	The mark is current when the store holds the same caller's mark
 *	AND the same state.  Every write to a table moves the sequence (a
 *	replica's apply writes its primary's), an epoch started or a
 *	snapshot installed rewrites uuid, epoch and sequence (and the
 *	meta, this record with it), and a store put back from a backup or
 *	another instance's copy is another file.  The record is local: it
 *	is no change record, so replicas never get it, and a snapshot
 *	that carries it carries the file identity of its primary, which
 *	no other file has.  (LMDB's transaction id would say more, but
 *	every writable open of the store commits one.)
 * DIAGNOSTICS
 *	A store failure while recording: the code, store_errmsg() says.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "store/diff_int.h"

#define META_SYNC_MARK	"sync-mark"

/*
 * state_of - the caller's mark, then the store's state as transaction
 *	t leaves it with sequence seq, into out; false when it does not
 *	fit or the file cannot be seen.
 */
static bool state_of(struct store_txn *t, const char *mark, uint64_t seq,
		     char *out, size_t len)
{
	struct store_meta m;
	struct stat sb;
	char	uuid[37];
	mdb_filehandle_t fd;
	int	n;

	if (mdb_env_get_fd(t->st->env, &fd) != 0 || fstat(fd, &sb) != 0 ||
	    store_meta_get(t, &m) != STORE_OK)
		return false;
	store_uuid_format(m.uuid, uuid);
	n = snprintf(out, len, "%s\nstore %ju:%ju format %" PRIu64 " uuid %s "
		     "epoch %" PRIu64 " seq %" PRIu64, mark,
		     (uintmax_t)sb.st_dev, (uintmax_t)sb.st_ino, m.format, uuid,
		     m.epoch, seq);
	return n > 0 && (size_t)n < len;
}

/* store_diff_mark - see store.h */
void	store_diff_mark(struct store_diff *d, const char *mark)
{
	if (strlen(mark) < sizeof(d->mark))
		snprintf(d->mark, sizeof(d->mark), "%s", mark);
}

/* store_mark_current - see store.h */
bool	store_mark_current(struct store_txn *t, const char *mark)
{
	char	want[STORE_MARK_MAX + 256];
	MDB_val k = { strlen(META_SYNC_MARK), META_SYNC_MARK }, v;
	struct store_meta m;

	if (!*mark || store_meta_get(t, &m) != STORE_OK ||
	    !state_of(t, mark, m.seq, want, sizeof(want)) ||
	    mdb_get(t->txn, t->st->meta, &k, &v) != 0)
		return false;
	return v.mv_size == strlen(want) && memcmp(v.mv_data, want,
						   v.mv_size) == 0;
}

/* diff_mark_put - see diff_int.h */
enum store_rc diff_mark_put(struct store_txn *t, const char *mark,
			    uint64_t seq)
{
	char	state[STORE_MARK_MAX + 256];
	MDB_val k = { strlen(META_SYNC_MARK), META_SYNC_MARK }, v;

	if (!state_of(t, mark, seq, state, sizeof(state)))
		return STORE_OK;	/* no mark: the next sync compares */
	v = (MDB_val){ strlen(state), state };
	return store_mdb_rc(t->st, mdb_put(t->txn, t->st->meta, &k, &v, 0),
			    DB_META);
}

/* mark_body - the mark alone, unless another writer wrote meanwhile */
static enum store_rc mark_body(struct store_txn *t, void *arg)
{
	const struct store_diff *d = arg;
	struct store_meta m;
	enum store_rc rc = store_meta_get(t, &m);

	if (rc || memcmp(m.uuid, d->seen.uuid, sizeof(m.uuid)) ||
	    m.epoch != d->seen.epoch || m.seq != d->seen.seq)
		return rc;
	return diff_mark_put(t, d->mark, m.seq);
}

/* diff_mark_only - see diff_int.h */
enum store_rc diff_mark_only(struct store *st, const struct store_diff *d)
{
	struct store_txn *t;
	bool	current;
	enum store_rc rc;

	if (!*d->mark)
		return STORE_OK;
	if ((rc = store_read_begin(st, &t)))
		return rc;
	current = store_mark_current(t, d->mark);
	store_read_end(t);
	if (current)
		return STORE_OK;
	return store_write_mode(st, WRITE_RAW, 0, mark_body, (void *)d, NULL);
}
