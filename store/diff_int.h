/*
 * NAME
 *	diff_int.h - a store difference as diff.c finds it and apply.c
 *	applies it
 * DESCRIPTION
 *	A difference is a list of list creations and drops plus, per table
 *	that differs, its changes: each names a key, the row the store held
 *	when the difference was computed (old) and the row wanted (new),
 *	both in the store's own encoding, copied out of the map: the read
 *	transaction they came from ends before anything is applied.  The
 *	old row is what apply.c compares with before touching a row that
 *	another writer may have changed since; the new row is what it
 *	compares with when it undoes a change.  Private to store/diff.c
 *	and store/apply.c.
 */
#ifndef MQ_STORE_DIFF_INT_H
#define MQ_STORE_DIFF_INT_H

#include <string.h>

#include "store/internal.h"


/* What a change does; CH_NOOP only lives until the table is finished. */
enum change_kind { CH_INSERT = 1, CH_UPDATE, CH_DELETE, CH_NOOP };

/* What applying did with a change (or a list entry). */
enum change_state { CS_PENDING = 0, CS_DONE, CS_SKIPPED };

/*
 * Bytes that never move once written (a realloc of a large difference
 * would copy it again and again): blocks, each a malloc of its own.
 */
struct block {
	struct block *next;
	size_t len, cap;
	uint8_t b[];
};

/* diff_take - n bytes at the end of *head's blocks; NULL: no memory. */
uint8_t *diff_take(struct block **head, size_t n);

/* diff_blocks_free - release every block of *head */
void	diff_blocks_free(struct block **head);

/* diff_blocks_move - the blocks of *from become *to's */
void	diff_blocks_move(struct block **to, struct block **from);

/*
 * One change: key, old row and new row lie one after the other at at
 * in the table's blocks.  An insert into a table without a key has 8
 * key bytes that apply.c fills with the row number it got.  nth: the
 * change's place in the order the changes were found.
 */
struct change {
	uint8_t *at;
	size_t nth;
	uint32_t oldlen, newlen;
	uint16_t keylen;
	uint8_t kind;		/* enum change_kind */
	uint8_t state;		/* enum change_state */
};

/* The changes of one table. */
struct diff_table {
	char name[REG_NAME_MAX];
	const struct reg_table *t;
	struct block *bytes;
	struct change *ch;
	size_t n, chcap;
	struct store_apply_counts *counts;	/* the caller's */
};

/* A list to create (with the secret made for it) or to drop. */
struct diff_list {
	char root[REG_NAME_MAX];
	bool drop;
	uint8_t state;		/* enum change_state */
	uint8_t *secret;	/* create: made now; drop: what the store had */
	size_t secretlen;
};

struct store_diff {
	struct store *st;
	struct store_meta seen;		/* the snapshot it was computed on */
	struct diff_list *lists;
	size_t nlists, listcap;
	size_t last_created;		/* diff.c: the list creating() found */
	unsigned *created, *dropped;	/* the caller's */
	struct diff_table *tables;	/* only tables with changes */
	size_t ntables, tablecap;
	char mark[STORE_MARK_MAX];	/* store_diff_mark's, or "" */
};

/*
 * diff_mark_put - record d's mark with the store's state as t leaves it,
 *	committing sequence seq (diff_mark.c).
 */
enum store_rc diff_mark_put(struct store_txn *t, const char *mark,
			    uint64_t seq);

/*
 * diff_mark_only - an empty difference's mark, in a transaction of its
 *	own, unless it is current already or another writer wrote since
 *	the snapshot (diff_mark.c).
 */
enum store_rc diff_mark_only(struct store *st, const struct store_diff *d);

/* The work of one table's diff (diff.c, diff_keyed.c). */
struct table_diff {
	struct store_txn *t;
	struct diff_table *dt;
	struct tdb dbi;
	bool stored;		/* false: a list to create, nothing stored */
	const uint8_t *cur;	/* the source row being compared, encoded */
	size_t curlen;
	uint8_t *enc;		/* a source row encoded by diff_encode */
	size_t enccap;
	bool disorder;		/* a key came twice: changes to sort */
	bool cur_held;		/* cur follows its key in the source's
				 * blocks: an insert may point at them */
	bool held_used;		/* an insert points into them */
};

/* diff_key_cmp - LMDB's default order: bytes, then the shorter first. */
static inline int diff_key_cmp(const void *a, size_t alen, const void *b,
			       size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);

	if (c)
		return c;
	return alen < blen ? -1 : alen > blen;
}

/*
 * diff_grown - p with room for used + need elements of size (doubling);
 *	NULL without memory.  GROW: into p itself, false without memory
 *	(the caller declares void *tmp).
 */
void *diff_grown(void *p, size_t *cap, size_t used, size_t need,
		 size_t size);
#define GROW(p, cap, used, need) \
	((tmp = diff_grown((p), (cap), (used), (need), sizeof(*(p)))) \
	 ? ((p) = tmp, true) : false)

/* diff_encode - row, encoded, becomes the current source row. */
enum store_rc diff_encode(struct table_diff *x, const struct store_row *row);

/* diff_change_add - append a change; old or new NULL: none. */
enum store_rc diff_change_add(struct table_diff *x, enum change_kind kind,
			      const void *key, size_t keylen,
			      const void *old, size_t oldlen,
			      const void *new, size_t newlen);

/*
 * diff_change_at - append an insert whose key and new row lie one after
 *	the other at at already, in blocks that will be the table's.
 */
enum store_rc diff_change_at(struct table_diff *x, uint8_t *at,
			     size_t keylen, size_t newlen);

/* diff_same_row - is the stored row d equal to the current source row? */
enum store_rc diff_same_row(struct table_diff *x, const MDB_val *d,
			    bool *same);

/*
 * diff_put_change - the current source row differs from d (NULL:
 *	nothing stored): checked as a put would check it, then an insert
 *	or an update.
 */
enum store_rc diff_put_change(struct table_diff *x, const uint8_t *key,
			      size_t keylen, const MDB_val *d);

/* A source row held for the sort: header, key bytes, row bytes. */
struct held {
	uint16_t keylen;
	uint32_t rowlen;
};

/* held_at - the header of the row held at p, its key and its row */
static inline struct held held_at(uint8_t *p, uint8_t **key, uint8_t **row)
{
	struct held h;

	memcpy(&h, p, sizeof(h));
	*key = p + sizeof(h);
	*row = *key + h.keylen;
	return h;
}

/*
 * One sort entry: the key's first 16 bytes (big-endian, in two), the
 * row held and its place among the source rows.  Sixteen bytes, not
 * eight: the addresses of a list often share their first eight
 * ("user1234"), and each tie costs a comparison of the whole keys.
 */
struct sort_entry {
	uint64_t head, head2;
	uint8_t *p;
	size_t nth;
};

/* sort_entry_make - the entry of the nth source row, held at p */
struct sort_entry sort_entry_make(uint8_t *p, size_t nth);

/*
 * diff_sort - e by key (diff_key_cmp), entries of one key by nth
 *	(diff_sort.c); false without memory, e then as it was or in
 *	another order of the same entries.
 */
bool	diff_sort(struct sort_entry *e, size_t n);

/* diff_keyed - the changes of a keyed table (diff_keyed.c). */
enum store_rc diff_keyed(struct table_diff *x, store_row_source next,
			 void *arg);

/* change_key, change_old, change_new - a change's bytes */
static inline uint8_t *change_key(const struct diff_table *dt,
				  const struct change *c)
{
	(void)dt;
	return c->at;
}

static inline const uint8_t *change_old(const struct diff_table *dt,
					const struct change *c)
{
	(void)dt;
	return c->at + c->keylen;
}

static inline const uint8_t *change_new(const struct diff_table *dt,
					const struct change *c)
{
	(void)dt;
	return c->at + c->keylen + c->oldlen;
}

#endif
