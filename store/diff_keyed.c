/*
 * NAME
 *	diff_keyed.c - the difference of a keyed table: the source rows
 *	sorted by key, merged with the stored rows
 * SYNOPSIS
 *	#include "store/diff_int.h"
 *
 *	rc = diff_keyed(&x, next_row, source);		(from diff.c)
 * DESCRIPTION
 *	The source rows may come in any order: SQL is read without ORDER
 *	BY, as sorting in the server costs more than the read itself.
 *	Each row is encoded with its key into one buffer; unless they
 *	came in key order already, the buffer is sorted by key (rows of
 *	one key as they came; diff_sort.c).  Then the rows are merged
 *	with a cursor over the stored table: a stored key the cursor
 *	passes without a source row is a deletion, a source row without
 *	a stored one an insertion, and a row stored under the same key
 *	is compared as encoded bytes (decoded only when the bytes
 *	differ: a row written before a column was appended encodes
 *	shorter).
 *
 *	A key that comes twice (a list keeps one row per address whatever
 *	its case) is looked up again, and the table's changes are then
 *	sorted by key, the last source row of a key winning.
 *
 *	Memory: every source row of the table, encoded (about 70 bytes a
 *	list address), until the table is compared; then the changes.
 */
#include <stdlib.h>
#include <string.h>

#include "store/diff_int.h"

/* The source rows of the table, encoded. */
struct source_rows {
	struct block *bytes;
	struct sort_entry *e;
	size_t n, ecap;
	bool in_order;		/* each key after the one before */
};

/*
 * hold - keep a source row, its key and the row encoded straight into
 *	the buffer, for the sort
 */
static enum store_rc hold(struct table_diff *x, struct source_rows *s,
			  const uint8_t *key, size_t keylen,
			  const struct store_row *row)
{
	struct held h;
	size_t n = row_size(x->dt->t, row);
	uint8_t *p = diff_take(&s->bytes, sizeof(h) + keylen + n);
	uint8_t *pk, *prow;
	void *tmp;

	if (!p || !GROW(s->e, &s->ecap, s->n, 1))
		return store_fail(x->t->st, STORE_INTERNAL, "out of memory");
	if (s->n && s->in_order) {
		struct held last = held_at(s->e[s->n - 1].p, &pk, &prow);

		s->in_order = diff_key_cmp(pk, last.keylen, key, keylen) < 0;
	}
	memset(&h, 0, sizeof(h));	/* its padding too: it is copied */
	h.keylen = (uint16_t)keylen;
	h.rowlen = (uint32_t)n;
	memcpy(p, &h, sizeof(h));
	memcpy(p + sizeof(h), key, keylen);
	row_encode(x->dt->t, row, p + sizeof(h) + keylen);
	s->e[s->n] = sort_entry_make(p, s->n);
	s->n++;
	return STORE_OK;
}

/* collect - every source row, keyed and encoded, into s */
static enum store_rc collect(struct table_diff *x, struct source_rows *s,
			     store_row_source next, void *arg)
{
	const struct reg_table *tb = x->dt->t;
	struct store_value kv[REG_MAX_KEY];
	uint8_t key[STORE_KEY_MAX + 1];
	char why[STORE_ERR_MAX];
	struct store_row row;
	size_t keylen;
	enum store_rc rc;

	while ((rc = next(arg, &row)) == STORE_OK) {
		for (int i = 0; i < tb->nkey; i++)
			kv[i] = row.col[tb->key[i]];
		if ((rc = key_encode(tb, kv, key, &keylen, why, sizeof(why))))
			return store_fail(x->t->st, rc, "%s: %s", x->dt->name,
					  why);
		if ((rc = hold(x, s, key, keylen, &row)))
			return rc;
	}
	return rc == STORE_NOTFOUND ? STORE_OK : rc;
}

/* The cursor side of a keyed merge. */
struct merge {
	struct tcur c;
	bool open;		/* c is open: the table is stored */
	MDB_val k, d;
	bool end;
	const uint8_t *pos;	/* the last source key merged */
	size_t poslen;
	bool started;
};

/* merge_next - move the cursor on; its end is not a failure. */
static enum store_rc merge_next(struct table_diff *x, struct merge *m,
				MDB_cursor_op op)
{
	int mrc = m->open ? tcur_get(&m->c, &m->k, &m->d, op) : MDB_NOTFOUND;

	m->end = mrc != 0;
	if (mrc && mrc != MDB_NOTFOUND)
		return store_mdb_rc(x->t->st, mrc, x->dt->name);
	return STORE_OK;
}

/* pass_until - stored rows before key (all: key NULL) are deletions. */
static enum store_rc pass_until(struct table_diff *x, struct merge *m,
				const uint8_t *key, size_t keylen)
{
	enum store_rc rc = STORE_OK;

	while (rc == STORE_OK && !m->end &&
	       (!key || diff_key_cmp(m->k.mv_data, m->k.mv_size, key,
				     keylen) < 0)) {
		rc = diff_change_add(x, CH_DELETE, m->k.mv_data, m->k.mv_size,
				     m->d.mv_data, m->d.mv_size, NULL, 0);
		if (rc == STORE_OK)
			rc = merge_next(x, m, MDB_NEXT);
	}
	return rc;
}

/* in_order - a source key after every one before it: merge. */
static enum store_rc in_order(struct table_diff *x, struct merge *m,
			      const uint8_t *key, size_t keylen)
{
	enum store_rc rc = pass_until(x, m, key, keylen);
	bool same = false;

	m->pos = key;
	m->poslen = keylen;
	m->started = true;
	if (rc || m->end ||
	    diff_key_cmp(m->k.mv_data, m->k.mv_size, key, keylen))
		return rc ? rc : diff_put_change(x, key, keylen, NULL);
	if ((rc = diff_same_row(x, &m->d, &same)) == STORE_OK && !same)
		rc = diff_put_change(x, key, keylen, &m->d);
	return rc ? rc : merge_next(x, m, MDB_NEXT);
}

/*
 * again - a key the merge has passed (it came twice): a point read.
 *	Its change, even "no change", is recorded, to supersede what the
 *	merge noted for that key (dedupe).
 */
static enum store_rc again(struct table_diff *x, const uint8_t *key,
			   size_t keylen)
{
	MDB_val k = { keylen, (void *)key }, d;
	int mrc = x->stored ? tdb_get(x->t->txn, &x->dbi, &k, &d)
		: MDB_NOTFOUND;
	enum store_rc rc;
	bool same;

	x->disorder = true;
	if (mrc == MDB_NOTFOUND)
		return diff_put_change(x, key, keylen, NULL);
	if (mrc)
		return store_mdb_rc(x->t->st, mrc, x->dt->name);
	if ((rc = diff_same_row(x, &d, &same)) || !same)
		return rc ? rc : diff_put_change(x, key, keylen, &d);
	return diff_change_add(x, CH_NOOP, key, keylen, NULL, 0, NULL, 0);
}

/* change_cmp - qsort_r order: by key, then as they came (by offset). */
static int change_cmp(const void *a, const void *b, void *arg)
{
	const struct diff_table *dt = arg;
	const struct change *x = a, *y = b;
	int c = diff_key_cmp(change_key(dt, x), x->keylen, change_key(dt, y),
			     y->keylen);

	if (c)
		return c;
	return x->nth < y->nth ? -1 : x->nth > y->nth;
}

/* dedupe - changes in key order, the last of each key kept, no no-ops. */
static void dedupe(struct diff_table *dt)
{
	size_t o = 0;

	qsort_r(dt->ch, dt->n, sizeof(*dt->ch), change_cmp, dt);
	for (size_t i = 0; i < dt->n; i++) {
		const struct change *c = &dt->ch[i];

		if (i + 1 < dt->n &&
		    diff_key_cmp(change_key(dt, c), c->keylen,
				 change_key(dt, &dt->ch[i + 1]),
				 dt->ch[i + 1].keylen) == 0)
			continue;
		if (c->kind != CH_NOOP)
			dt->ch[o++] = *c;
	}
	dt->n = o;
}

/*
 * Source rows ahead whose bytes merge_rows asks for, both cache lines
 * a row held (some 70 bytes) may span: rows that came in random order
 * lie anywhere in 70 MB of blocks once sorted, and the wait for each
 * one's bytes was most of the merge (a prefetch never faults).
 */
#define MERGE_AHEAD	16

/* merge_rows - the sorted source rows against the stored table */
static enum store_rc merge_rows(struct table_diff *x, struct merge *m,
				const struct source_rows *s)
{
	enum store_rc rc = merge_next(x, m, MDB_FIRST);

	for (size_t i = 0; rc == STORE_OK && i < s->n; i++) {
		uint8_t *key, *row;
		struct held h;

		if (i + MERGE_AHEAD < s->n) {
			__builtin_prefetch(s->e[i + MERGE_AHEAD].p);
			__builtin_prefetch(s->e[i + MERGE_AHEAD].p + 64);
		}
		h = held_at(s->e[i].p, &key, &row);

		x->cur = row;
		x->curlen = h.rowlen;
		x->cur_held = true;
		if (m->started &&
		    diff_key_cmp(key, h.keylen, m->pos, m->poslen) <= 0)
			rc = again(x, key, h.keylen);
		else
			rc = in_order(x, m, key, h.keylen);
	}
	return rc ? rc : pass_until(x, m, NULL, 0);
}

/* fit - the changes' array, sized for every source row, to its changes */
static void fit(struct diff_table *dt)
{
	struct change *ch;

	if (dt->n && dt->n < dt->chcap / 2 &&
	    (ch = realloc(dt->ch, dt->n * sizeof(*ch)))) {
		dt->ch = ch;
		dt->chcap = dt->n;
	}
}

/* diff_keyed - see diff_int.h */
enum store_rc diff_keyed(struct table_diff *x, store_row_source next,
			 void *arg)
{
	struct source_rows s = { .in_order = true };
	struct merge m = { .end = true };
	enum store_rc rc = collect(x, &s, next, arg);
	void *tmp;
	int mrc;

	if (rc == STORE_OK && !s.in_order && !diff_sort(s.e, s.n))
		rc = store_fail(x->t->st, STORE_INTERNAL, "out of memory");
	/* a change a source row at most (and the deletions): one array,
	 * not copied again and again as it grows */
	if (rc == STORE_OK && s.n &&
	    !GROW(x->dt->ch, &x->dt->chcap, x->dt->n, s.n))
		rc = store_fail(x->t->st, STORE_INTERNAL, "out of memory");
	if (rc == STORE_OK && x->stored &&
	    (mrc = tcur_open(x->t->txn, &x->dbi, &m.c)))
		rc = store_mdb_rc(x->t->st, mrc, x->dt->name);
	m.open = rc == STORE_OK && x->stored;
	if (rc == STORE_OK)
		rc = merge_rows(x, &m, &s);
	if (m.open)
		tcur_close(&m.c);
	if (x->held_used)	/* inserts point into them */
		diff_blocks_move(&x->dt->bytes, &s.bytes);
	diff_blocks_free(&s.bytes);
	free(s.e);
	if (rc == STORE_OK && x->disorder)
		dedupe(x->dt);
	fit(x->dt);
	return rc;
}
