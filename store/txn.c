/*
 * NAME
 *	txn.c - write transactions, the change log and auto-increment ids
 * DESCRIPTION
 *	store_write() runs a transaction body, grows the map and runs it
 *	again when the body or the commit meets a full map, and bumps the
 *	sequence only when the body changed something.  Each change is one
 *	record in the "changes" database under (sequence, index), written
 *	in the same transaction as the change itself; the oldest records
 *	beyond changes-keep are pruned in that transaction too.
 *
 *	A change record is
 *		op(1) namelen(1) keylen(2, big-endian) name key row
 *	where row is the encoded row for a put and absent otherwise.  A
 *	transaction with more changes than changes-keep leaves only its
 *	overflow record (internal.h) instead: pruning would have cut it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/internal.h"

/* at_max - has the map reached store-max-size (or more, see store.c)? */
static bool at_max(struct store *st, uint64_t *mapsize)
{
	MDB_envinfo info;

	mdb_env_info(st->env, &info);
	*mapsize = info.me_mapsize;
	return info.me_mapsize >= st->opt.max_size;
}

enum store_rc store_map_full(struct store *st, const char *what)
{
	uint64_t size;

	if (at_max(st, &size))
		return store_fail(st, STORE_FULL, "%s: store is full: the "
				  "write needs more than store-max-size (%llu "
				  "bytes) allows; nothing was written", st->path,
				  (unsigned long long)st->opt.max_size);
	/* store_write grows the map and runs the body again */
	return store_fail(st, STORE_FULL, "%s: %s: map of %llu bytes full",
			  st->path, what, (unsigned long long)size);
}

static enum store_rc grow_map(struct store *st)
{
	uint64_t size;

	if (at_max(st, &size))
		return store_map_full(st, "grow map");
	size *= 2;
	if (size > st->opt.max_size)
		size = st->opt.max_size;
	return store_mdb_rc(st, mdb_env_set_mapsize(st->env, size),
			    "grow map");
}

/* prune_changes - drop the oldest change records beyond changes-keep. */
static enum store_rc prune_changes(struct store_txn *t)
{
	MDB_stat ms;
	MDB_cursor *c;
	MDB_val k, d;
	uint64_t excess;
	int rc = mdb_stat(t->txn, t->st->changes, &ms);

	if (rc || ms.ms_entries <= t->st->opt.changes_keep)
		return store_mdb_rc(t->st, rc, DB_CHANGES);
	excess = ms.ms_entries - t->st->opt.changes_keep;
	rc = mdb_cursor_open(t->txn, t->st->changes, &c);
	if (rc)
		return store_mdb_rc(t->st, rc, DB_CHANGES);
	while (rc == 0 && excess-- > 0) {
		rc = mdb_cursor_get(c, &k, &d, MDB_FIRST);
		if (rc == 0)
			rc = mdb_cursor_del(c, 0);
	}
	mdb_cursor_close(c);
	return store_mdb_rc(t->st, rc, DB_CHANGES);
}

void meta_table_seq_key(int i, char *buf, size_t size)
{
	snprintf(buf, size, "%s:%s", META_MAILERQ_SEQ, reg_mailerq[i]->name);
}

/* put_table_seqs - each MailerQ table t changed records t->seq. */
static int put_table_seqs(struct store_txn *t)
{
	char key[64];
	int rc = 0;

	for (int i = 0; rc == 0 && i < REG_MAILERQ_MAX; i++)
		if (t->mailerq_tables & (1u << i)) {
			meta_table_seq_key(i, key, sizeof(key));
			rc = store_meta_put_u64(t, key, t->seq);
		}
	return rc;
}

/* finish - record the new sequence and commit; nothing changed: abort. */
static enum store_rc finish(struct store_txn *t, enum write_mode mode,
			    uint64_t *seq_out)
{
	enum store_rc rc = STORE_OK;

	if (t->nchanges == 0 && mode == WRITE_NEXT) {
		mdb_txn_abort(t->txn);
		store_dbi_forget_pending(t->st, false);
		if (seq_out)
			*seq_out = t->seq - 1;
		return STORE_OK;
	}
	if (mode != WRITE_RAW)
		rc = store_mdb_rc(t->st, store_meta_put_u64(t, "seq", t->seq),
				  "meta");
	/* Lookup sets are rebuilt only when this moves (lookup.h). */
	if (rc == STORE_OK && t->mailerq_changed)
		rc = store_mdb_rc(t->st, store_meta_put_u64(t,
				  META_MAILERQ_SEQ, t->seq), "meta");
	/* ... and each part only when one of its tables moved. */
	if (rc == STORE_OK && t->mailerq_changed)
		rc = store_mdb_rc(t->st, put_table_seqs(t), "meta");
	if (rc == STORE_OK && mode != WRITE_RAW)
		rc = prune_changes(t);
	if (rc) {
		mdb_txn_abort(t->txn);
		store_dbi_forget_pending(t->st, false);
		return rc;
	}
	rc = store_mdb_rc(t->st, mdb_txn_commit(t->txn), "commit");
	store_dbi_forget_pending(t->st, rc == STORE_OK);
	if (rc == STORE_OK && seq_out)
		*seq_out = t->seq;
	return rc;
}

/*
 * run_once - one try of a write transaction; at: the sequence to write
 *	under (WRITE_AT), skipped when the store stands there already.
 */
static enum store_rc run_once(struct store *st, enum write_mode mode,
			      uint64_t at, store_write_fn fn, void *arg,
			      uint64_t *seq_out)
{
	struct store_txn t;
	enum store_rc rc;
	uint64_t seq;

	if ((rc = store_txn_begin(st, true, &t)))
		return rc;
	rc = store_mdb_rc(st, store_meta_get_u64(&t, "seq", &seq), "meta");
	t.seq = mode == WRITE_AT ? at : seq + 1;
	if (rc == STORE_OK && mode == WRITE_AT && at <= seq) {
		mdb_txn_abort(t.txn);	/* applied already: idempotent */
		if (seq_out)
			*seq_out = seq;
		return STORE_OK;
	}
	if (rc == STORE_OK)
		rc = fn(&t, arg);
	if (rc == STORE_OK)
		rc = finish(&t, mode, seq_out);
	else {
		mdb_txn_abort(t.txn);
		store_dbi_forget_pending(st, false);
	}
	store_txn_free_scratch(&t);
	return rc;
}

enum store_rc store_write_mode(struct store *st, enum write_mode mode,
			       uint64_t at, store_write_fn fn, void *arg,
			       uint64_t *seq_out)
{
	enum store_rc rc;

	if (st->flags & STORE_RDONLY)
		return store_fail(st, STORE_READONLY, "%s: opened read-only",
				  st->path);
	while ((rc = run_once(st, mode, at, fn, arg, seq_out)) == STORE_FULL)
		if ((rc = grow_map(st)))
			return store_write_outcome(st, rc);
	return store_write_outcome(st, rc);
}

enum store_rc store_write(struct store *st, store_write_fn fn, void *arg,
			  uint64_t *seq_out)
{
	return store_write_mode(st, WRITE_NEXT, 0, fn, arg, seq_out);
}

/* overflowed - has this transaction given up logging its changes? */
static bool overflowed(const struct store_txn *t)
{
	return t->nchanges > t->st->opt.changes_keep;
}

/*
 * log_overflow - empty the log (every record in it is beyond
 *	changes-keep now) and leave the overflow record of this sequence.
 */
static enum store_rc log_overflow(struct store_txn *t)
{
	static const uint8_t rec[4] = { CHANGE_OVERFLOW, 0, 0, 0 };
	uint8_t kbuf[12] = { 0 };
	MDB_val k = { sizeof(kbuf), kbuf }, d = { sizeof(rec), (void *)rec };
	int rc = mdb_drop(t->txn, t->st->changes, 0);

	key_encode_int((int64_t)t->seq, kbuf);
	if (rc == 0)
		rc = mdb_put(t->txn, t->st->changes, &k, &d, 0);
	return store_mdb_rc(t->st, rc, DB_CHANGES);
}

enum store_rc store_change_expect(struct store_txn *t, uint64_t n, bool *log)
{
	uint64_t keep = t->st->opt.changes_keep;
	enum store_rc rc;

	*log = !overflowed(t);
	/* nchanges counts to UINT32_MAX: a larger keep never overflows. */
	if (!*log || keep >= UINT32_MAX || t->nchanges + n <= keep)
		return STORE_OK;
	if ((rc = log_overflow(t)))
		return rc;
	t->nchanges = (uint32_t)keep + 1;
	*log = false;
	return STORE_OK;
}

void change_table_of(const char *table, struct change_table *ct)
{
	ct->name = table;
	ct->namelen = strlen(table);
	ct->mailerq = reg_mailerq_index(table);
}

enum store_rc store_change(struct store_txn *t, enum change_op op,
			   const char *table, const void *key, size_t keylen,
			   const void *row, size_t rowlen)
{
	struct change_table ct;

	change_table_of(table, &ct);
	return store_change_to(t, op, &ct, key, keylen, row, rowlen);
}

enum store_rc store_change_to(struct store_txn *t, enum change_op op,
			      const struct change_table *ct, const void *key,
			      size_t keylen, const void *row, size_t rowlen)
{
	uint8_t kbuf[12];
	MDB_val k = { sizeof(kbuf), kbuf }, d;
	int rc;

	if (t->nchanges == UINT32_MAX)
		return store_fail(t->st, STORE_BADDATA, "more than %u changes "
				  "in one transaction", UINT32_MAX);
	if (ct->mailerq >= 0) {
		t->mailerq_changed = true;
		t->mailerq_tables |= 1u << ct->mailerq;
	}
	if (t->nchanges >= t->st->opt.changes_keep) {
		enum store_rc orc = overflowed(t) ? STORE_OK : log_overflow(t);

		t->nchanges++;
		return orc;
	}
	key_encode_int((int64_t)t->seq, kbuf);
	for (int i = 0; i < 4; i++)
		kbuf[8 + i] = (uint8_t)(t->nchanges >> (24 - 8 * i));
	d.mv_size = 4 + ct->namelen + keylen + rowlen;
	rc = t->log ? 0 : mdb_cursor_open(t->txn, t->st->changes, &t->log);
	if (rc == 0)
		rc = mdb_cursor_put(t->log, &k, &d, MDB_APPEND | MDB_RESERVE);
	if (rc)
		return store_mdb_rc(t->st, rc, DB_CHANGES);
	uint8_t *p = d.mv_data;
	*p++ = (uint8_t)op;
	*p++ = (uint8_t)ct->namelen;
	*p++ = (uint8_t)(keylen >> 8);
	*p++ = (uint8_t)keylen;
	memcpy(p, ct->name, ct->namelen);
	if (keylen)
		memcpy(p + ct->namelen, key, keylen);
	if (rowlen)
		memcpy(p + ct->namelen + keylen, row, rowlen);
	t->nchanges++;
	return STORE_OK;
}

/*
 * store_next_id - allocate the next auto-increment value of table (one
 *	more than both the highest ever allocated and the highest key
 *	present), or, with at_least > 0, just make sure no later
 *	allocation returns at_least or less.  Ids are never reused, as in
 *	PostgreSQL sequences and SQLite's AUTOINCREMENT: the counter keeps
 *	its value when the rows above it are deleted.  Past INT64_MAX
 *	there is no id to give: STORE_BADDATA naming the table.
 */
enum store_rc store_next_id(struct store_txn *t, const char *table,
			    const struct tdb *db, int64_t at_least,
			    int64_t *out)
{
	char name[REG_NAME_MAX + 8];
	uint64_t counter = 0;
	int64_t last = 0;
	struct tcur c;
	MDB_val k, d;
	int rc;

	snprintf(name, sizeof(name), "auto:%s", table);
	rc = store_meta_get_u64(t, name, &counter);
	if (rc && rc != MDB_NOTFOUND)
		return store_mdb_rc(t->st, rc, "meta");
	if (at_least > 0) {
		if ((uint64_t)at_least <= counter)
			return STORE_OK;
		return store_mdb_rc(t->st, store_meta_put_u64(t, name,
				    (uint64_t)at_least), "meta");
	}
	rc = tcur_open(t->txn, db, &c);
	if (rc)
		return store_mdb_rc(t->st, rc, table);
	rc = tcur_get(&c, &k, &d, MDB_LAST);
	if (rc == 0 && k.mv_size >= 8)
		last = key_decode_int(k.mv_data);
	tcur_close(&c);
	if ((uint64_t)last > counter && last > 0)
		counter = (uint64_t)last;
	/* Not STORE_FULL: store_write would grow the map and retry. */
	if (counter >= INT64_MAX)
		return store_fail(t->st, STORE_BADDATA, "auto-increment for "
				  "%s exhausted at %lld", table,
				  (long long)INT64_MAX);
	*out = (int64_t)counter + 1;
	return store_mdb_rc(t->st, store_meta_put_u64(t, name, counter + 1),
			    "meta");
}
