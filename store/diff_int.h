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

#include "store/internal.h"


/* What a change does; CH_NOOP only lives until the table is finished. */
enum change_kind { CH_INSERT = 1, CH_UPDATE, CH_DELETE, CH_NOOP };

/* What applying did with a change (or a list entry). */
enum change_state { CS_PENDING = 0, CS_DONE, CS_SKIPPED };

/*
 * One change: key, old row and new row lie one after the other at off
 * in the table's bytes.  An insert into a table without a key has 8
 * key bytes that apply.c fills with the row number it got.
 */
struct change {
	size_t off;
	uint32_t oldlen, newlen;
	uint16_t keylen;
	uint8_t kind;		/* enum change_kind */
	uint8_t state;		/* enum change_state */
};

/* The changes of one table. */
struct diff_table {
	char name[REG_NAME_MAX];
	const struct reg_table *t;
	uint8_t *bytes;
	size_t len, cap;
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
};

/* change_key, change_old, change_new - a change's bytes */
static inline uint8_t *change_key(const struct diff_table *dt,
				  const struct change *c)
{
	return dt->bytes + c->off;
}

static inline const uint8_t *change_old(const struct diff_table *dt,
					const struct change *c)
{
	return dt->bytes + c->off + c->keylen;
}

static inline const uint8_t *change_new(const struct diff_table *dt,
					const struct change *c)
{
	return dt->bytes + c->off + c->keylen + c->oldlen;
}

#endif
