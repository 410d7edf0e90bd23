/*
 * NAME
 *	store_util.h - what the store's unit tests share: the sequence,
 *	a source of large capacity rows
 * DESCRIPTION
 *	Included by the store's unit tests (grep for it: the list is not
 *	kept here); static inline functions only, so that a test may
 *	leave one unused.
 */
#ifndef MQ_STORE_UTIL_H
#define MQ_STORE_UTIL_H

#include <stdint.h>
#include <string.h>

#include "store/store.h"

/* seq_of - the store's sequence, read in a transaction of its own */
static inline uint64_t seq_of(struct store *st)
{
	struct store_txn *t;
	struct store_meta m = { 0 };

	store_read_begin(st, &t);
	store_meta_get(t, &m);
	store_read_end(t);
	return m.seq;
}

/* A source of n capacity rows, each with a name of len bytes. */
struct big_source {
	const struct reg_table *t;
	char *name;
	size_t len;
	int next, n;
};

/* next_big - the source's next row (store_diff_table's source) */
static inline enum store_rc next_big(void *arg, struct store_row *row)
{
	struct big_source *b = arg;

	if (b->next == b->n)
		return STORE_NOTFOUND;
	memset(row, 0, sizeof(*row));
	row->col[0] = (struct store_value){ .kind = SV_INT, .i = ++b->next };
	row->col[reg_column_index(b->t, "name")] = (struct store_value){
		.kind = SV_TEXT, .s = b->name, .len = b->len };
	return STORE_OK;
}

#endif
