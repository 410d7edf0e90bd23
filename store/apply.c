/*
 * NAME
 *	apply.c - apply a store difference in short write transactions
 * SYNOPSIS
 *	#include "store/store.h"
 *
 *	rc = store_diff_apply(st, d, 0, &seq);
 * DESCRIPTION
 *	A difference (diff.c) is applied in order: the lists to create,
 *	the changes of each table, the lists to drop.  One write
 *	transaction takes as much of it as holds the write lock for about
 *	APPLY_LOCK_MS, its commit included (the time the last commit took
 *	is taken off the next one's share, so a slow disk means smaller
 *	transactions), or batch changes when the caller gives a batch.  An
 *	address table's inserts put their index entries after its rows, in
 *	the index's order; the rows get the part of the share they took
 *	against those in the transaction before.  A small difference is
 *	one transaction; between two transactions of a large one the lock
 *	is left free for APPLY_PAUSE_US when a writer of any process
 *	waits for it (wait.c), as LMDB's mutex does not queue them; when
 *	none does, the next transaction begins at once.  The lists to
 *	drop are dropped in the last transaction: a drop is the one
 *	change that cannot be undone.
 *
 *	Each transaction first compares the store's uuid, epoch and
 *	sequence with the snapshot the difference was computed on (then
 *	with what its own last transaction left).  While they agree,
 *	nobody else wrote and the changes are applied as they are.  Once
 *	they differ, every change is checked against the row it was
 *	computed from: it is applied only if the stored row is still that
 *	row (or still absent), and otherwise left as the other writer
 *	made it and counted as skipped: that writer came after the
 *	snapshot, so its write is the later one.  A list is created only
 *	if still missing and dropped only if it still has the secret the
 *	difference saw.
 *
 *	When a transaction fails, the ones already committed are undone
 *	the same way (each change reverted only if the stored row is still
 *	what it wrote), so the store is as it was, but for a _slog row
 *	that comes back with a new row number.
 * DIAGNOSTICS
 *	The failure's code, with store_errmsg() saying what failed and, if
 *	the undo failed too, that the store holds part of the difference.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "store/diff_int.h"
#include "store/tagrec_int.h"

#define APPLY_LOCK_MS	30	/* the write lock held at a time: the aim */
#define APPLY_MIN_MS	5	/* the least share of a transaction's body */
#define APPLY_COMMIT_MS	10	/* a commit's time, until one was measured */
/* The lock left free between two: a woken waiter on a busy machine may
 * take a few milliseconds to run, and would find it taken again. */
#define APPLY_PAUSE_US	5000
#define APPLY_CLOCK_EVERY 16	/* changes between two looks at the clock */

/* A place in a difference: a table and one of its changes. */
struct pos {
	size_t table, change;
};

/*
 * The index entries of a run's inserts, one buffer per bucket, each
 *	entry copied in while its row is at hand: put in the index's order
 *	they are then read in sequence, not from all over the difference
 *	(those reads missed the cache: a third of the index's time).  An
 *	entry is keylen(2) addrlen(2) key addr.  Kept from one run to the
 *	next, freed when the walk ends.
 */
struct staged {
	uint8_t *p;
	size_t len, cap;
};

/* One walk over a difference, forward or undoing, one transaction a run. */
struct run {
	struct store_diff *d;
	bool undo;
	size_t batch;		/* changes per transaction at most; 0: any */
	struct pos end;		/* where the walk ends */
	struct pos from, to;	/* a run: where it started, where it stopped */
	bool first, finished;	/* a run: the first one, the last one */
	bool moved;		/* another writer wrote since the snapshot */
	struct store_meta expect;	/* the store as the last run left it */
	struct timespec start;
	long share_ms;		/* this run's body may take that long */
	long body_ms;		/* it took that long */
	size_t n;		/* changes in this run */
	long rows_pm;		/* of a run, an address table's rows' part */
	struct staged *stage;	/* index entries, IDX_OTHER + 1 buckets */
};

/* pos_before - does a come before b? */
static bool pos_before(struct pos a, struct pos b)
{
	return a.table < b.table || (a.table == b.table && a.change < b.change);
}

/* us_since - microseconds from t0 until now */
static long us_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000000 +
		(t.tv_nsec - t0->tv_nsec) / 1000;
}

/* ms_since - milliseconds from t0 until now */
static long ms_since(const struct timespec *t0)
{
	return us_since(t0) / 1000;
}

/* spent - has this run had its share?  Every run makes some progress. */
static bool spent(const struct run *r)
{
	if (r->n == 0)
		return false;
	if (r->batch && r->n >= r->batch)
		return true;
	return r->n % APPLY_CLOCK_EVERY == 0 &&
		ms_since(&r->start) >= r->share_ms;
}

/* check_moved - did anyone else write since the snapshot?  Sticky. */
static enum store_rc check_moved(struct store_txn *t, struct run *r)
{
	struct store_meta m;
	enum store_rc rc = store_meta_get(t, &m);

	if (rc == STORE_OK && (memcmp(m.uuid, r->expect.uuid, sizeof(m.uuid))
			       || m.epoch != r->expect.epoch ||
			       m.seq != r->expect.seq))
		r->moved = true;
	return rc;
}

/* A change as one step: what the store must hold, what to write. */
struct step {
	bool any;		/* nothing to check: a new row number */
	const uint8_t *want;	/* the row it must hold; NULL: none */
	size_t wantlen;
	const uint8_t *put;	/* the row to write; NULL: delete */
	size_t putlen;
};

/* step_of - a change forward, or its undoing. */
static struct step step_of(const struct diff_table *dt, const struct change *c,
			   bool undo)
{
	struct step s = { 0 };
	const uint8_t *old = change_old(dt, c), *new = change_new(dt, c);
	bool keyless = dt->t->nkey == 0;

	if (!undo) {
		s.any = keyless && c->kind == CH_INSERT;
		s.want = c->kind == CH_INSERT ? NULL : old;
		s.wantlen = c->oldlen;
		s.put = c->kind == CH_DELETE ? NULL : new;
		s.putlen = c->newlen;
	} else {
		s.any = keyless && c->kind == CH_DELETE;
		s.want = c->kind == CH_DELETE ? NULL : new;
		s.wantlen = c->newlen;
		s.put = c->kind == CH_INSERT ? NULL : old;
		s.putlen = c->oldlen;
	}
	return s;
}

/* holds - is the row under the cursor (present or not) what s wants? */
static bool holds(const struct step *s, bool present, const MDB_val *cur)
{
	if (!s->want)
		return !present;
	return present && cur->mv_size == s->wantlen &&
		memcmp(cur->mv_data, s->want, s->wantlen) == 0;
}

/* write_row - put s's row; a new row number goes into key */
static enum store_rc write_row(struct store_txn *t, const struct diff_table *dt,
			       struct tcur *c, const struct step *s,
			       uint8_t *key)
{
	struct store_row row;
	MDB_val k, d;
	enum store_rc rc;
	int mrc;

	if (!row_decode(dt->t, s->put, s->putlen, &row))
		return store_fail(t->st, STORE_INTERNAL, "%s: a row of the "
				  "difference does not decode", dt->name);
	if ((rc = store_put_row(t, dt->name, &row)) || !s->any)
		return rc;
	/* A new row number is above every stored one (store_next_id). */
	if ((mrc = tcur_get(c, &k, &d, MDB_LAST)) || k.mv_size != 8)
		return store_mdb_rc(t->st, mrc ? mrc : MDB_CORRUPTED, dt->name);
	memcpy(key, k.mv_data, 8);
	return STORE_OK;
}

/*
 * The table a run writes, resolved once per transaction: its rows, its
 * index by hash (address tables), the greatest key of its database,
 * and the index entries of the rows it inserted (stage: the run's).
 */
struct target {
	const struct reg_table *tb;
	struct tdb db, x;
	bool indexed, auto_id, tagged;	/* tagged: a tag record kept */
	struct key_tail tail, xtail;	/* of the rows, of the index */
	struct staged *stage;		/* IDX_OTHER + 1 buckets */
	size_t n;			/* entries staged */
	struct change_table log;	/* its name in change records */
};

/* target_open - resolve dt's table in t; STORE_NOTFOUND: it is gone */
static enum store_rc target_open(struct store_txn *t,
				 const struct diff_table *dt,
				 struct target *g)
{
	enum store_rc rc = table_resolve(t, dt->name, &g->tb, &g->db);

	if (rc)
		return rc;
	g->indexed = reg_list_addresses(g->tb);
	g->tagged = tag_table(g->tb);
	g->auto_id = g->tb->nkey == 1 &&
		(g->tb->cols[g->tb->key[0]].flags & REG_AUTO);
	change_table_of(dt->name, &g->log);
	if (g->indexed && (rc = idx_of(t, g->tb, &g->db, &g->x)))
		return rc;
	return key_tail_load(t, &g->db, dt->name, &g->tail);
}

/* entry_add - stage the index entry of a row insert_new put */
static enum store_rc entry_add(struct store_txn *t, struct target *g,
			       int64_t hash, const uint8_t *key,
			       size_t keylen, const struct store_value *addr)
{
	struct staged *b = &g->stage[idx_bucket(hash)];
	size_t need = 4 + keylen + addr->len;
	uint8_t *p;

	if (b->cap - b->len < need) {
		size_t cap = b->cap ? 2 * b->cap : 4096;

		while (cap - b->len < need)
			cap *= 2;
		if (!(p = realloc(b->p, cap)))
			return store_fail(t->st, STORE_INTERNAL,
					  "out of memory");
		b->p = p;
		b->cap = cap;
	}
	p = b->p + b->len;
	p[0] = (uint8_t)(keylen >> 8);
	p[1] = (uint8_t)keylen;
	p[2] = (uint8_t)(addr->len >> 8);
	p[3] = (uint8_t)addr->len;
	memcpy(p + 4, key, keylen);
	memcpy(p + 4 + keylen, addr->s, addr->len);
	b->len += need;
	g->n++;
	return STORE_OK;
}

/* stage_clear - forget the entries staged by a run that failed */
static void stage_clear(struct target *g)
{
	for (int h = 0; h <= IDX_OTHER; h++)
		g->stage[h].len = 0;
	g->n = 0;
}

/*
 * entries_put - the index entries of the run's inserts, bucket by
 *	bucket: the rows came in key order, so each bucket's entries do
 *	too, and they go into the index in its own order (appended while
 *	they sort after its last key), not scattered over its buckets.
 *	A later run of a load puts each bucket's entries before the next
 *	bucket's: one cursor takes them all, and LMDB finds the place of
 *	each in the page of the one before, without a descent.
 */
static enum store_rc entries_put(struct store_txn *t, const char *name,
				 struct target *g)
{
	enum store_rc rc;

	if (g->n == 0)
		return STORE_OK;
	rc = key_tail_load(t, &g->x, name, &g->xtail);
	if (rc == STORE_OK && key_tail_keep(t, &g->x, &g->xtail))
		rc = store_fail(t->st, STORE_INTERNAL, "%s: no cursor for its "
				"index", name);
	for (int h = 0; h <= IDX_OTHER; h++) {
		struct staged *b = &g->stage[h];

		for (size_t at = 0; rc == STORE_OK && at < b->len; ) {
			const uint8_t *p = b->p + at;
			size_t keylen = (size_t)p[0] << 8 | p[1];
			size_t addrlen = (size_t)p[2] << 8 | p[3];

			rc = idx_add(t, &g->x, name, &g->xtail, h, p + 4,
				     keylen, (const char *)p + 4 + keylen,
				     addrlen);
			at += 4 + keylen + addrlen;
		}
		b->len = 0;
	}
	key_tail_drop(&g->xtail);
	g->n = 0;
	return rc;
}

/*
 * insert_new - a keyed row the store did not hold at the snapshot,
 *	nobody having written since: the difference's bytes are put as
 *	they are (checked when the difference was made), appended when
 *	the key sorts after the database's last one, with the index
 *	entry, the auto-increment counter and the change record that
 *	store_put_row would write.
 */
static enum store_rc insert_new(struct store_txn *t,
				const struct diff_table *dt, struct target *g,
				const struct change *ch)
{
	const uint8_t *key = change_key(dt, ch), *new = change_new(dt, ch);
	MDB_val k = { ch->keylen, (void *)key }, d = { ch->newlen, (void *)new };
	const struct store_value *id, *addr;
	struct store_row row;
	enum store_rc rc = STORE_OK;
	int mrc;

	if ((g->indexed || g->auto_id || g->tagged) &&
	    !row_decode(g->tb, new, ch->newlen, &row))
		return store_fail(t->st, STORE_INTERNAL, "%s: a row of the "
				  "difference does not decode", dt->name);
	id = g->auto_id ? &row.col[g->tb->key[0]] : NULL;
	if (id && id->kind == SV_INT && id->i > 0)
		rc = store_next_id(t, dt->name, &g->db, id->i, NULL);
	addr = g->indexed ? &row.col[REG_ADDR_ADDRESS] : NULL;
	if (rc == STORE_OK && addr)
		rc = entry_add(t, g, row.col[REG_ADDR_HASH].i, key,
			       ch->keylen, addr);
	if (rc == STORE_OK && g->tagged)
		rc = tag_on_put(t, g->tb, dt->name, &g->db, key, ch->keylen,
				&row);
	if (rc)
		return rc;
	if ((mrc = tail_put(t, &g->db, &g->tail, &k, &d, 0)))
		return store_mdb_rc(t->st, mrc, dt->name);
	return store_change_to(t, CHANGE_PUT, &g->log, key, ch->keylen, new,
			       ch->newlen);
}

/* change_run - one change (or its undoing); CS_SKIPPED when it is stale */
static enum store_rc change_run(struct store_txn *t, struct run *r,
				const struct diff_table *dt,
				struct target *g, struct tcur *c,
				struct change *ch)
{
	struct step s = step_of(dt, ch, r->undo);
	bool check = (r->moved || r->undo) && !s.any;
	MDB_val k = { ch->keylen, change_key(dt, ch) }, cur;
	int mrc = MDB_NOTFOUND;

	if (!check && !r->undo && ch->kind == CH_INSERT && dt->t->nkey) {
		ch->state = CS_DONE;
		return insert_new(t, dt, g, ch);
	}
	key_tail_drop(&g->tail);	/* tail_put is no longer its one writer */
	if (check || !s.put)
		mrc = tcur_get(c, &k, &cur, MDB_SET_KEY);
	if (mrc && mrc != MDB_NOTFOUND)
		return store_mdb_rc(t->st, mrc, dt->name);
	ch->state = CS_SKIPPED;
	if ((check && !holds(&s, mrc == 0, &cur)) || (!s.put && mrc))
		return STORE_OK;
	ch->state = CS_DONE;
	if (!s.put)
		return store_del_current(t, dt->t, dt->name, c, &k);
	return write_row(t, dt, c, &s, change_key(dt, ch));
}

/* table_gone - a table that another writer dropped: nothing to do there */
static void table_gone(struct run *r, struct diff_table *dt)
{
	for (; r->to.change < dt->n; r->to.change++)
		dt->ch[r->to.change].state = CS_SKIPPED;
}

/* rows_run - the changes of one table, to end or till the run's share */
static enum store_rc rows_run(struct store_txn *t, struct run *r,
			      struct diff_table *dt, struct target *g,
			      struct tcur *c, size_t end)
{
	enum store_rc rc = STORE_OK;

	if (key_tail_keep(t, &g->db, &g->tail))
		rc = store_fail(t->st, STORE_INTERNAL, "%s: no cursor for its "
				"rows", dt->name);
	while (rc == STORE_OK && r->to.change < end && !spent(r)) {
		rc = change_run(t, r, dt, g, c, &dt->ch[r->to.change]);
		r->to.change += rc == STORE_OK;
		r->n++;
	}
	key_tail_drop(&g->tail);
	return rc;
}

/*
 * rows_share - an address table's index entries follow its rows in the
 *	same transaction: the rows get the part of the run's share that
 *	they took of the two in the walk's last run.
 */
static long rows_share(const struct run *r)
{
	long ms = r->share_ms * r->rows_pm / 1000;

	return ms > APPLY_MIN_MS ? ms : APPLY_MIN_MS;
}

/* learn - how long a run's rows took against its index entries */
static void learn(struct run *r, long rows_us, long idx_us)
{
	long pm;

	if (rows_us + idx_us < 1000)	/* too short to tell */
		return;
	pm = rows_us * 1000 / (rows_us + idx_us);
	r->rows_pm = pm < 100 ? 100 : pm > 900 ? 900 : pm;
}

/*
 * table_run - this run's share of the changes of one table.  Its
 *	inserts are appended through a cursor kept at the table's end
 *	until a change of another kind writes the table (change_run).
 */
static enum store_rc table_run(struct store_txn *t, struct run *r)
{
	struct diff_table *dt = &r->d->tables[r->to.table];
	size_t end = r->to.table == r->end.table ? r->end.change : dt->n;
	struct target g = { .stage = r->stage };
	struct tcur c;
	enum store_rc rc = target_open(t, dt, &g);
	int mrc;

	if (rc == STORE_NOTFOUND && (r->moved || r->undo))
		table_gone(r, dt);
	else if (rc)
		return rc;
	else if ((mrc = tcur_open(t->txn, &g.db, &c)))
		return store_mdb_rc(t->st, mrc, dt->name);
	else {
		long share = r->share_ms, rows_us;
		struct timespec t0;
		size_t staged;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		if (g.indexed)
			r->share_ms = rows_share(r);
		rc = rows_run(t, r, dt, &g, &c, end);
		tcur_close(&c);
		r->share_ms = share;
		rows_us = us_since(&t0);
		staged = g.n;
		if (rc == STORE_OK)
			rc = entries_put(t, dt->name, &g);
		else
			stage_clear(&g);
		if (rc == STORE_OK && staged)
			learn(r, rows_us, us_since(&t0) - rows_us);
	}
	if (rc == STORE_OK && r->to.change == dt->n) {
		r->to.table++;
		r->to.change = 0;
	}
	return rc;
}

/* secret_is - does list l still have the secret the difference holds? */
static enum store_rc secret_is(struct store_txn *t, const struct diff_list *l,
			       bool *same)
{
	const uint8_t *secret;
	size_t len;
	enum store_rc rc = store_list_key(t, l->root, &secret, &len);

	*same = rc == STORE_OK && len == l->secretlen &&
		memcmp(secret, l->secret, len) == 0;
	return rc == STORE_NOTFOUND ? STORE_OK : rc;
}

/*
 * secret_keep - the secret store_list_create made for l, so that an undo
 *	drops the list only while it is still the one this apply made
 */
static enum store_rc secret_keep(struct store_txn *t, struct diff_list *l,
				 const uint8_t *secret, size_t len)
{
	uint8_t *copy = malloc(len ? len : 1);

	if (!copy)
		return store_fail(t->st, STORE_INTERNAL, "out of memory");
	memcpy(copy, secret, len);
	if (l->secret)
		sodium_memzero(l->secret, l->secretlen);
	free(l->secret);
	l->secret = copy;
	l->secretlen = len;
	return STORE_OK;
}

/* lists_create - the first run: create the lists still missing */
static enum store_rc lists_create(struct store_txn *t, struct run *r)
{
	const uint8_t *secret;
	size_t len;
	enum store_rc rc = STORE_OK;

	for (size_t i = 0; rc == STORE_OK && i < r->d->nlists; i++) {
		struct diff_list *l = &r->d->lists[i];

		if (l->drop)
			continue;
		l->state = CS_SKIPPED;
		if (r->moved && (rc = store_list_key(t, l->root, &secret,
						     &len)) != STORE_NOTFOUND)
			continue;
		l->state = CS_DONE;
		if ((rc = store_list_create(t, l->root, NULL, 0)) == STORE_OK &&
		    (rc = store_list_key(t, l->root, &secret, &len)) == STORE_OK)
			rc = secret_keep(t, l, secret, len);
	}
	return rc;
}

/*
 * lists_finish - the last run: drop the lists SQL lacks, or, undoing,
 *	the lists the walk created (if still as it made them).
 */
static enum store_rc lists_finish(struct store_txn *t, struct run *r)
{
	enum store_rc rc = STORE_OK;

	for (size_t i = 0; rc == STORE_OK && i < r->d->nlists; i++) {
		struct diff_list *l = &r->d->lists[i];
		bool same = true;

		if (l->drop == r->undo || (r->undo && l->state != CS_DONE))
			continue;
		if ((r->moved || r->undo) && (rc = secret_is(t, l, &same)))
			break;
		l->state = same ? CS_DONE : CS_SKIPPED;
		if (same)
			rc = store_list_drop(t, l->root);
	}
	return rc;
}

/* run_body - the store_write body: one run's share of the walk */
static enum store_rc run_body(struct store_txn *t, void *arg)
{
	struct run *r = arg;
	enum store_rc rc = check_moved(t, r);

	clock_gettime(CLOCK_MONOTONIC, &r->start);
	r->to = r->from;
	r->n = 0;
	r->finished = false;
	if (rc == STORE_OK && r->first && !r->undo)
		rc = lists_create(t, r);
	/* A table left unfinished had the run's time: the run ends. */
	for (bool more = true; rc == STORE_OK && more &&
	     pos_before(r->to, r->end) && !spent(r); ) {
		size_t table = r->to.table;

		rc = table_run(t, r);
		more = r->to.table != table;
	}
	if (rc == STORE_OK && !pos_before(r->to, r->end)) {
		r->finished = true;
		rc = lists_finish(t, r);
		/* the store is the source's copy only if nobody else wrote */
		if (rc == STORE_OK && !r->undo && !r->moved && *r->d->mark)
			rc = diff_mark_put(t, r->d->mark, t->seq);
	}
	r->body_ms = ms_since(&r->start);
	return rc;
}

/* settle - a committed run: take what it skipped off the counts */
static void settle(struct run *r)
{
	struct store_diff *d = r->d;

	for (struct pos p = r->from; pos_before(p, r->to); ) {
		struct diff_table *dt = &d->tables[p.table];
		const struct change *c = &dt->ch[p.change];

		if (c->state == CS_SKIPPED) {
			dt->counts->skipped++;
			(*(c->kind == CH_INSERT ? &dt->counts->inserted
			   : c->kind == CH_UPDATE ? &dt->counts->updated
			   : &dt->counts->deleted))--;
		}
		if (++p.change == dt->n)
			p = (struct pos){ p.table + 1, 0 };
	}
	for (size_t i = 0; i < d->nlists; i++) {
		const struct diff_list *l = &d->lists[i];

		if (l->state == CS_SKIPPED && (l->drop ? r->finished : r->first))
			(*(l->drop ? d->dropped : d->created))--;
	}
}

/*
 * pause_for_writers - leave the write lock to the writers that wait for
 *	it, if any: a writer that comes after the look waits for one more
 *	transaction.
 */
static void pause_for_writers(struct store *st)
{
	struct timespec ts = { 0, APPLY_PAUSE_US * 1000L };

	if (!store_writer_waits(st))
		return;
	__atomic_add_fetch(&st->pauses, 1, __ATOMIC_RELAXED);
	nanosleep(&ts, NULL);
}

/* share - a body's time: the lock's time less what the last commit took */
static long share(long commit_ms)
{
	long ms = APPLY_LOCK_MS - commit_ms;

	return ms < APPLY_MIN_MS ? APPLY_MIN_MS : ms;
}

/* walk_runs - run r, one transaction at a time, to its end */
static enum store_rc walk_runs(struct store *st, struct run *r, uint64_t *seq)
{
	struct timespec t0;
	long commit_ms = APPLY_COMMIT_MS;
	enum store_rc rc = STORE_OK;

	r->first = true;
	r->from = (struct pos){ 0, 0 };
	for (;;) {
		r->share_ms = share(commit_ms);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		rc = store_write(st, run_body, r, seq);
		if (rc)
			return rc;
		commit_ms = ms_since(&t0) - r->body_ms;
		if (!r->undo)
			settle(r);
		if (!r->moved)
			r->expect.seq = *seq;
		if (r->finished)
			return STORE_OK;
		r->first = false;
		r->from = r->to;
		pause_for_writers(st);
	}
}

/* walk - run r to its end with its index entries' buffers; *seq: the last */
static enum store_rc walk(struct store *st, struct run *r, uint64_t *seq)
{
	struct staged stage[IDX_OTHER + 1] = { { 0 } };
	enum store_rc rc;

	r->stage = stage;
	r->rows_pm = 500;
	rc = walk_runs(st, r, seq);
	for (int h = 0; h <= IDX_OTHER; h++)
		free(stage[h].p);
	r->stage = NULL;
	return rc;
}

/* undo - revert the runs of fwd that committed; the failure stays why */
static enum store_rc undo(struct store *st, const struct run *fwd,
			  enum store_rc why)
{
	char msg[STORE_ERR_MAX];
	struct run r = { .d = fwd->d, .undo = true, .batch = fwd->batch,
			 .end = fwd->from, .expect = fwd->expect };
	uint64_t seq;
	enum store_rc rc;

	snprintf(msg, sizeof(msg), "%s", store_errmsg(st));
	if (fwd->first)		/* nothing committed */
		return store_fail(st, why, "%s", msg);
	if ((rc = walk(st, &r, &seq)) == STORE_OK)
		return store_fail(st, why, "%s (the part already applied was "
				  "undone)", msg);
	return store_fail(st, why, "%s; undoing the part already applied "
			  "failed too (%s): the store holds part of the "
			  "difference until the next sync", msg,
			  store_errmsg(st));
}

/* store_diff_apply - see store.h */
enum store_rc store_diff_apply(struct store *st, struct store_diff *d,
			       size_t batch, uint64_t *seq_out)
{
	struct run r = { .d = d, .batch = batch, .expect = d->seen,
			 .end = { d->ntables, 0 } };
	uint64_t seq = d->seen.seq;
	enum store_rc rc;

	if (store_diff_empty(d)) {
		if (seq_out)
			*seq_out = seq;
		return diff_mark_only(st, d);
	}
	rc = walk(st, &r, &seq);

	if (rc)
		return undo(st, &r, rc);
	if (seq_out)
		*seq_out = seq;
	return STORE_OK;
}
