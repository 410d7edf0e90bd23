/*
 * NAME
 *	diff.c - the difference between the store and a table's wanted rows
 * SYNOPSIS
 *	#include "store/store.h"
 *
 *	rc = store_diff_new(txn, &d);
 *	rc = store_diff_lists(txn, d, roots, nroots, &created, &dropped);
 *	rc = store_diff_table(txn, d, "capacity", next_row, source, &counts);
 *	rc = store_diff_apply(st, d, 0, &seq);		(apply.c)
 *	store_diff_free(d);
 * DESCRIPTION
 *	For loaders that hold the complete wanted contents of tables (SQL
 *	sync): under a read transaction, each source row is compared with
 *	the stored row and only what differs is kept: rows to insert, to
 *	replace, to delete.  Equal rows cost nothing, so an unchanged
 *	source leaves an empty difference and nobody takes the write lock.
 *
 *	Keyed tables (diff_keyed.c): the source rows, in any order, are
 *	sorted by key and merged with a cursor over the table; stored keys
 *	the cursor passes without a source row are deletions.
 *
 *	Tables without a key (the _slog tables) compare as multisets: a
 *	hash of every stored row is kept (24 bytes a row); each source row
 *	consumes one equal stored row or becomes an insertion; stored rows
 *	left unconsumed are deletions.
 *
 *	Every row that enters the difference is checked here (types,
 *	lengths, NOT NULL, a positive auto-increment id), so applying it
 *	meets no bad data.
 * DIAGNOSTICS
 *	STORE_BADDATA with store_errmsg() naming table, row key and column
 *	when a source row does not fit; a source's own failure code is
 *	returned unchanged (its message is the source's).
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "store/diff_int.h"

#define DIFF_BLOCK	(1u << 18)	/* bytes of a table's first block */
#define DIFF_BLOCK_BIG	(1u << 21)	/* of the next ones: a huge page */

/* One stored row of a multiset diff: its hash and its row number. */
struct slot {
	uint64_t hash;
	int64_t rowid;		/* 0: empty slot */
	bool used;
};

/* hash_bytes - FNV-1a over n bytes into *h */
static void hash_bytes(uint64_t *h, const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		*h = (*h ^ b[i]) * 0x100000001b3ULL;
}

/* hash_value - a value's kind and contents into *h */
static void hash_value(uint64_t *h, const struct store_value *v)
{
	uint8_t kind = (uint8_t)v->kind;

	hash_bytes(h, &kind, 1);
	if (v->kind == SV_INT)
		hash_bytes(h, &v->i, sizeof(v->i));
	else if (v->kind == SV_TEXT) {
		hash_bytes(h, &v->len, sizeof(v->len));
		hash_bytes(h, v->s, v->len);
	}
}

/* store_row_hash - see store.h */
uint64_t store_row_hash(const struct reg_table *t, const struct store_row *row)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (int i = 0; i < t->ncols; i++)
		hash_value(&h, &row->col[i]);
	for (int i = 0; i < row->nextra; i++) {
		hash_bytes(&h, row->extra[i].name, row->extra[i].namelen);
		hash_value(&h, &row->extra[i].v);
	}
	return h;
}

/* store_row_equal - see store.h */
bool store_row_equal(const struct reg_table *t, const struct store_row *a,
		     const struct store_row *b)
{
	if (a->nextra != b->nextra)
		return false;
	for (int i = 0; i < t->ncols; i++)
		if (!store_value_equal(&a->col[i], &b->col[i]))
			return false;
	for (int i = 0; i < a->nextra; i++)
		if (a->extra[i].namelen != b->extra[i].namelen ||
		    memcmp(a->extra[i].name, b->extra[i].name,
			   a->extra[i].namelen) ||
		    !store_value_equal(&a->extra[i].v, &b->extra[i].v))
			return false;
	return true;
}

/* diff_grown - see diff_int.h */
void *diff_grown(void *p, size_t *cap, size_t used, size_t need, size_t size)
{
	size_t n = *cap ? *cap : 64;
	void *q;

	if (used + need <= *cap)
		return p;
	while (n < used + need)
		n *= 2;
	if (!(q = realloc(p, n * size)))
		return NULL;
	*cap = n;
	return q;
}

/*
 * block_new - a block for at least n bytes after head.  A table's first
 *	is small; the next ones (a big table: a first load's rows fill tens
 *	of megabytes) are whole huge pages, aligned and marked for the
 *	kernel's transparent huge pages, as faulting in 4 kB pages one by
 *	one cost more than the copying that touches them.
 */
static struct block *block_new(struct block *head, size_t n)
{
	size_t size = sizeof(struct block) + n, unit = DIFF_BLOCK_BIG;
	struct block *b;
	void *p;

	if (!head) {
		size = size > DIFF_BLOCK ? size : DIFF_BLOCK;
		p = malloc(size);
	} else {
		size = (size + unit - 1) / unit * unit;
		if (posix_memalign(&p, unit, size))
			p = NULL;
		else	/* a hint: without it, small pages */
			madvise(p, size, MADV_HUGEPAGE);
	}
	if (!(b = p))
		return NULL;
	*b = (struct block){ .next = head, .cap = size - sizeof(*b) };
	return b;
}

/* diff_take - see diff_int.h */
uint8_t *diff_take(struct block **head, size_t n)
{
	struct block *b = *head;

	if (!b || b->cap - b->len < n) {
		if (!(b = block_new(*head, n)))
			return NULL;
		*head = b;
	}
	b->len += n;
	return b->b + b->len - n;
}

/* diff_blocks_free - see diff_int.h */
void	diff_blocks_free(struct block **head)
{
	while (*head) {
		struct block *next = (*head)->next;

		free(*head);
		*head = next;
	}
}

/* diff_blocks_move - see diff_int.h */
void	diff_blocks_move(struct block **to, struct block **from)
{
	struct block **end = from;

	if (!*from)
		return;
	while ((*end)->next)
		end = &(*end)->next;
	(*end)->next = *to;
	*to = *from;
	*from = NULL;
}

/* diff_encode - see diff_int.h */
enum store_rc diff_encode(struct table_diff *x, const struct store_row *row)
{
	size_t n = row_size(x->dt->t, row);
	void *tmp;

	if (!GROW(x->enc, &x->enccap, 0, n))
		return store_fail(x->t->st, STORE_INTERNAL, "out of memory");
	row_encode(x->dt->t, row, x->enc);
	x->cur = x->enc;
	x->curlen = n;
	x->cur_held = false;
	return STORE_OK;
}

/* add - a change whose bytes lie at at */
static enum store_rc add(struct table_diff *x, enum change_kind kind,
			 uint8_t *at, size_t keylen, size_t oldlen,
			 size_t newlen)
{
	struct diff_table *dt = x->dt;
	void *tmp;

	if (!GROW(dt->ch, &dt->chcap, dt->n, 1))
		return store_fail(x->t->st, STORE_INTERNAL, "out of memory");
	dt->ch[dt->n] = (struct change){ .at = at, .nth = dt->n,
		.kind = kind, .keylen = (uint16_t)keylen,
		.oldlen = (uint32_t)oldlen, .newlen = (uint32_t)newlen };
	dt->n++;
	return STORE_OK;
}

/* diff_change_at - see diff_int.h */
enum store_rc diff_change_at(struct table_diff *x, uint8_t *at,
			     size_t keylen, size_t newlen)
{
	return add(x, CH_INSERT, at, keylen, 0, newlen);
}

/* diff_change_add - see diff_int.h */
enum store_rc diff_change_add(struct table_diff *x, enum change_kind kind,
				const void *key, size_t keylen,
				const void *old, size_t oldlen,
				const void *new, size_t newlen)
{
	uint8_t *at = diff_take(&x->dt->bytes, keylen + oldlen + newlen);
	enum store_rc rc = at ? add(x, kind, at, keylen, oldlen, newlen)
		: store_fail(x->t->st, STORE_INTERNAL, "out of memory");

	if (rc)
		return rc;
	if (key)
		memcpy(at, key, keylen);
	else
		memset(at, 0, keylen);
	if (oldlen)
		memcpy(at + keylen, old, oldlen);
	if (newlen)
		memcpy(at + keylen + oldlen, new, newlen);
	return STORE_OK;
}

/* describe_key - "col=value, ..." of a row's key, for messages. */
static void describe_key(const struct reg_table *tb,
			 const struct store_row *row, char *out, size_t len)
{
	size_t n = 0;

	out[0] = 0;
	for (int k = 0; k < tb->nkey && n < len; k++) {
		const struct store_value *v = &row->col[tb->key[k]];
		const char *col = tb->cols[tb->key[k]].name;

		if (v->kind == SV_INT)
			n += (size_t)snprintf(out + n, len - n, "%s%s=%lld",
					      k ? ", " : "", col,
					      (long long)v->i);
		else
			n += (size_t)snprintf(out + n, len - n, "%s%s=%.*s",
					      k ? ", " : "", col,
					      (int)(v->kind == SV_TEXT &&
						    v->len < 80 ? v->len : 0),
					      v->s ? v->s : "");
	}
}

/* row_refused - a source row's failure, naming its table and key. */
static enum store_rc row_refused(struct table_diff *x, enum store_rc rc,
				 const struct store_row *row, const char *why)
{
	char msg[STORE_ERR_MAX], key[200];

	snprintf(msg, sizeof(msg), "%s", why);
	if (x->dt->t->nkey == 0)
		return store_fail(x->t->st, rc, "%s: %s", x->dt->name, msg);
	describe_key(x->dt->t, row, key, sizeof(key));
	return store_fail(x->t->st, rc, "%s: row %s: %s", x->dt->name, key,
			  msg);
}

/* row_fits - may row be written?  The checks of a put, done up front. */
static enum store_rc row_fits(struct table_diff *x, const struct store_row *row)
{
	const struct reg_table *tb = x->dt->t;
	const struct store_value *id = &row->col[tb->key[0]];
	enum store_rc rc;

	/* Auto-increment ids are positive; the allocator relies on it. */
	if (tb->nkey == 1 && (tb->cols[tb->key[0]].flags & REG_AUTO) &&
	    id->kind == SV_INT && id->i <= 0) {
		char why[200];

		snprintf(why, sizeof(why), "%s.%s: an id must be positive",
			 x->dt->name, tb->cols[tb->key[0]].name);
		return row_refused(x, STORE_BADDATA, row, why);
	}
	if ((rc = row_check(x->t->st, x->dt->name, tb, row)))
		return row_refused(x, rc, row, store_errbuf());
	return STORE_OK;
}

/* current_row - the current source row decoded, pointing into it */
static enum store_rc current_row(struct table_diff *x, struct store_row *row)
{
	if (row_decode(x->dt->t, x->cur, x->curlen, row))
		return STORE_OK;
	return store_fail(x->t->st, STORE_INTERNAL, "%s: a source row does "
			  "not decode", x->dt->name);
}

/* diff_same_row - see diff_int.h */
enum store_rc diff_same_row(struct table_diff *x, const MDB_val *d, bool *same)
{
	struct store_row old, row;
	enum store_rc rc;

	*same = d->mv_size == x->curlen &&
		memcmp(d->mv_data, x->cur, x->curlen) == 0;
	if (*same)
		return STORE_OK;
	/* A row written before a column was appended encodes shorter. */
	if (!row_decode(x->dt->t, d->mv_data, d->mv_size, &old))
		return table_corrupt_row(x->t->st, x->dt->name);
	if ((rc = current_row(x, &row)))
		return rc;
	*same = store_row_equal(x->dt->t, &old, &row);
	return STORE_OK;
}

/* diff_put_change - see diff_int.h */
enum store_rc diff_put_change(struct table_diff *x, const uint8_t *key,
			      size_t keylen, const MDB_val *d)
{
	struct store_row row;
	enum store_rc rc = current_row(x, &row);

	if (rc == STORE_OK)
		rc = row_fits(x, &row);
	if (rc)
		return rc;
	if (!d && x->cur_held && key + keylen == x->cur) {
		x->held_used = true;
		return diff_change_at(x, (uint8_t *)key, keylen, x->curlen);
	}
	if (!d)
		return diff_change_add(x, CH_INSERT, key, keylen, NULL, 0,
				       x->cur, x->curlen);
	return diff_change_add(x, CH_UPDATE, key, keylen, d->mv_data,
			       d->mv_size, x->cur, x->curlen);
}

/* slots_fill - hash every stored row of a keyless table into slots. */
static enum store_rc slots_fill(struct table_diff *x, struct slot **out,
				size_t *mask)
{
	struct store_row row;
	uint64_t entries = 0;
	struct tcur c;
	MDB_val k, d;
	size_t cap = 16;
	int mrc = x->stored ? tdb_count(x->t->txn, &x->dbi, &entries) : 0;

	if (mrc)
		return store_mdb_rc(x->t->st, mrc, x->dt->name);
	while (cap < entries * 2)
		cap *= 2;
	if (!(*out = calloc(cap, sizeof(**out))))
		return store_fail(x->t->st, STORE_INTERNAL, "out of memory");
	*mask = cap - 1;
	if (!x->stored)
		return STORE_OK;
	if ((mrc = tcur_open(x->t->txn, &x->dbi, &c)))
		return store_mdb_rc(x->t->st, mrc, x->dt->name);
	for (mrc = tcur_get(&c, &k, &d, MDB_FIRST); mrc == 0;
	     mrc = tcur_get(&c, &k, &d, MDB_NEXT)) {
		if (k.mv_size != 8 || !row_decode(x->dt->t, d.mv_data,
						  d.mv_size, &row))
			break;
		uint64_t h = store_row_hash(x->dt->t, &row);
		size_t i = h & *mask;

		while ((*out)[i].rowid)
			i = (i + 1) & *mask;
		(*out)[i] = (struct slot){ h, key_decode_int(k.mv_data),
					   false };
	}
	tcur_close(&c);
	if (mrc == 0)
		return table_corrupt_row(x->t->st, x->dt->name);
	return mrc == MDB_NOTFOUND ? STORE_OK
		: store_mdb_rc(x->t->st, mrc, x->dt->name);
}

/* slot_get - the stored row of a slot. */
static enum store_rc slot_get(struct table_diff *x, const struct slot *s,
			      uint8_t key[8], MDB_val *d)
{
	MDB_val k = { 8, key };

	key_encode_int(s->rowid, key);
	if (tdb_get(x->t->txn, &x->dbi, &k, d))
		return table_corrupt_row(x->t->st, x->dt->name);
	return STORE_OK;
}

/* slot_consume - mark a stored row equal to row as kept, if any. */
static enum store_rc slot_consume(struct table_diff *x, struct slot *slots,
				  size_t mask, const struct store_row *row,
				  bool *found)
{
	uint64_t h = store_row_hash(x->dt->t, row);
	uint8_t key[8];
	MDB_val d;
	enum store_rc rc;

	*found = false;
	for (size_t i = h & mask; slots[i].rowid; i = (i + 1) & mask) {
		if (slots[i].used || slots[i].hash != h)
			continue;
		if ((rc = slot_get(x, &slots[i], key, &d)) ||
		    (rc = diff_same_row(x, &d, found)))
			return rc;
		if (*found) {
			slots[i].used = true;
			break;
		}
	}
	return STORE_OK;
}

/* slots_unused - the stored rows no source row matched: deletions. */
static enum store_rc slots_unused(struct table_diff *x,
				  const struct slot *slots, size_t mask)
{
	uint8_t key[8];
	MDB_val d;
	enum store_rc rc = STORE_OK;

	for (size_t i = 0; i <= mask && rc == STORE_OK; i++)
		if (slots[i].rowid && !slots[i].used &&
		    (rc = slot_get(x, &slots[i], key, &d)) == STORE_OK)
			rc = diff_change_add(x, CH_DELETE, key, 8, d.mv_data,
					d.mv_size, NULL, 0);
	return rc;
}

/* diff_multiset - the diff of a keyless table, as multisets of rows */
static enum store_rc diff_multiset(struct table_diff *x,
				   store_row_source next, void *arg)
{
	struct slot *slots = NULL;
	struct store_row row;
	size_t mask = 0;
	bool found;
	enum store_rc rc = slots_fill(x, &slots, &mask);

	while (rc == STORE_OK && (rc = next(arg, &row)) == STORE_OK) {
		if ((rc = diff_encode(x, &row)) == STORE_OK)
			rc = slot_consume(x, slots, mask, &row, &found);
		if (rc == STORE_OK && !found)
			rc = diff_put_change(x, NULL, 8, NULL);
	}
	if (rc == STORE_NOTFOUND)
		rc = slots_unused(x, slots, mask);
	free(slots);
	return rc;
}

/*
 * creating - is root among the lists d creates?  The tables of a list
 *	come one after the other: the last answer is tried first.
 */
static bool creating(struct store_diff *d, const char *root)
{
	size_t n = d->nlists, i = d->last_created;

	if (i < n && !d->lists[i].drop && strcmp(d->lists[i].root, root) == 0)
		return true;
	for (i = 0; i < n; i++)
		if (!d->lists[i].drop && strcmp(d->lists[i].root, root) == 0) {
			d->last_created = i;
			return true;
		}
	return false;
}

/* table_open - the table to diff: stored, or of a list d creates. */
static enum store_rc table_open(struct store_txn *t, struct store_diff *d,
				const char *name, struct table_diff *x,
				const struct reg_table **tb)
{
	char root[REG_NAME_MAX];
	enum store_rc rc = table_resolve(t, name, tb, &x->dbi);

	x->stored = rc == STORE_OK;
	if (rc != STORE_NOTFOUND)
		return rc;
	*tb = reg_list_split(name, root, sizeof(root));
	return *tb && creating(d, root) ? STORE_OK : rc;
}

/* count - what the changes of a finished table do. */
static void count(const struct diff_table *dt, struct store_apply_counts *n)
{
	for (size_t i = 0; i < dt->n; i++)
		(*(dt->ch[i].kind == CH_INSERT ? &n->inserted
		   : dt->ch[i].kind == CH_UPDATE ? &n->updated
		   : &n->deleted))++;
}

/* table_free - release one table's changes */
static void table_free(struct diff_table *dt)
{
	diff_blocks_free(&dt->bytes);
	free(dt->ch);
}

/* store_diff_table - see store.h */
enum store_rc store_diff_table(struct store_txn *t, struct store_diff *d,
			       const char *name, store_row_source next,
			       void *arg, struct store_apply_counts *counts)
{
	struct table_diff x = { .t = t };
	const struct reg_table *tb;
	struct diff_table *dt;
	enum store_rc rc;
	void *tmp;

	memset(counts, 0, sizeof(*counts));
	if (strlen(name) >= REG_NAME_MAX)
		return store_fail(t->st, STORE_NOTFOUND, "no such table: "
				  "%.64s...", name);
	if ((rc = table_open(t, d, name, &x, &tb)))
		return rc;
	if (!GROW(d->tables, &d->tablecap, d->ntables, 1))
		return store_fail(t->st, STORE_INTERNAL, "out of memory");
	x.dt = dt = &d->tables[d->ntables];
	*dt = (struct diff_table){ .t = tb, .counts = counts };
	snprintf(dt->name, sizeof(dt->name), "%s", name);
	rc = tb->nkey ? diff_keyed(&x, next, arg) : diff_multiset(&x, next, arg);
	free(x.enc);
	if (rc == STORE_OK && dt->n) {
		count(dt, counts);
		d->ntables++;
	} else
		table_free(dt);
	return rc;
}

struct root_list {
	char (*roots)[REG_NAME_MAX];
	size_t n, cap;
	bool oom;
};

/* collect_root - store_list_each callback: copy a root */
static int collect_root(const char *root, void *arg)
{
	struct root_list *l = arg;
	void *tmp;

	if (!GROW(l->roots, &l->cap, l->n, 1)) {
		l->oom = true;
		return 1;
	}
	snprintf(l->roots[l->n++], REG_NAME_MAX, "%s", root);
	return 0;
}

/* root_wanted - is root among roots? */
static bool root_wanted(const char *root, const char *const *roots, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(roots[i], root) == 0)
			return true;
	return false;
}

/*
 * list_add - a list to create (its secret made by store_list_create) or
 *	to drop (its secret kept, to create it again if the apply undoes)
 */
static enum store_rc list_add(struct store_txn *t, struct store_diff *d,
			      const char *root, bool drop,
			      const uint8_t *secret, size_t secretlen)
{
	struct diff_list *l;
	void *tmp;

	if (!GROW(d->lists, &d->listcap, d->nlists, 1))
		return store_fail(t->st, STORE_INTERNAL, "out of memory");
	l = &d->lists[d->nlists];
	*l = (struct diff_list){ .drop = drop };
	snprintf(l->root, sizeof(l->root), "%s", root);
	d->nlists++;
	if (!drop)
		return STORE_OK;
	if (!(l->secret = malloc(secretlen ? secretlen : 1)))
		return store_fail(t->st, STORE_INTERNAL, "out of memory");
	memcpy(l->secret, secret, secretlen);
	l->secretlen = secretlen;
	return STORE_OK;
}

/* store_diff_lists - see store.h */
enum store_rc store_diff_lists(struct store_txn *t, struct store_diff *d,
			       const char *const *roots, size_t n,
			       unsigned *created, unsigned *dropped)
{
	struct root_list have = { 0 };
	const uint8_t *secret;
	size_t len;
	enum store_rc rc = store_list_each(t, collect_root, &have);

	*created = *dropped = 0;
	d->created = created;
	d->dropped = dropped;
	if (rc == STORE_OK && have.oom)
		rc = store_fail(t->st, STORE_INTERNAL, "out of memory");
	for (size_t i = 0; rc == STORE_OK && i < have.n; i++)
		if (!root_wanted(have.roots[i], roots, n) &&
		    (rc = store_list_key(t, have.roots[i], &secret, &len)) ==
		    STORE_OK &&
		    (rc = list_add(t, d, have.roots[i], true, secret, len)) ==
		    STORE_OK)
			(*dropped)++;
	for (size_t i = 0; rc == STORE_OK && i < n; i++) {
		rc = store_list_key(t, roots[i], &secret, &len);
		if (rc == STORE_NOTFOUND &&
		    (rc = list_add(t, d, roots[i], false, NULL, 0)) ==
		    STORE_OK)
			(*created)++;
	}
	free(have.roots);
	return rc;
}

/* store_diff_new - see store.h */
enum store_rc store_diff_new(struct store_txn *t, struct store_diff **out)
{
	struct store_diff *d = calloc(1, sizeof(*d));
	enum store_rc rc;

	*out = NULL;
	if (!d)
		return store_fail(t->st, STORE_INTERNAL, "out of memory");
	d->st = t->st;
	if ((rc = store_meta_get(t, &d->seen))) {
		free(d);
		return rc;
	}
	*out = d;
	return STORE_OK;
}

/* store_diff_empty - see store.h */
bool store_diff_empty(const struct store_diff *d)
{
	return d->nlists == 0 && d->ntables == 0;
}

/* store_diff_free - see store.h */
void store_diff_free(struct store_diff *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->ntables; i++)
		table_free(&d->tables[i]);
	for (size_t i = 0; i < d->nlists; i++) {
		sodium_memzero(d->lists[i].secret, d->lists[i].secretlen);
		free(d->lists[i].secret);
	}
	free(d->tables);
	free(d->lists);
	free(d);
}
