/*
 * NAME
 *	split_entry.h - one entry of a list's split table, checked and written
 * SYNOPSIS
 *	#include "mq/ops/split_entry.h"
 * DESCRIPTION
 *	Shared by mq split (mq/cli/cmd_split.c) and the HTTP API's
 *	/v1/lists/T/split (mq/http/list_split.c), so an entry is checked
 *	and written the same way whichever way it comes in (defined in
 *	split.c).
 */
#ifndef MQ_SPLIT_ENTRY_H
#define MQ_SPLIT_ENTRY_H

#include <stdbool.h>
#include <stdint.h>

#include "sql-compat/sync.h"
#include "store/store.h"

#define SPLIT_ASSIGNS	8

/* A new entry: its table and column values; listno once written. */
struct split_add {
	char table[REG_NAME_MAX + 16];
	struct store_assign a[SPLIT_ASSIGNS];
	int na;
	char domain[SUB_DOMAIN_MAX + 1];	/* the domain, lower-cased */
	int64_t listno;
};

/* The numeric columns of an entry: option, JSON field, column, range. */
struct split_int_field {
	const char *opt, *field;
	int col;
	int64_t lo, hi;
};
extern const struct split_int_field split_int_fields[];
#define SPLIT_INT_FIELDS 4

/* split_table_name - "T_name" or "T_digest_name" into out. */
void	split_table_name(char *out, size_t len, const char *root,
			 bool digest);

/* split_assign_int - add col := v to the new entry. */
void	split_assign_int(struct split_add *s, int col, int64_t v);

/* split_assign_text - add col := v (a C string, kept by the caller). */
void	split_assign_text(struct split_add *s, int col, const char *v);

/*
 * split_assign_domain - check d (1..3 bytes, no '.', '@', space or
 *	control byte), keep it lower-cased in s and assign it; else false
 *	with the reason in err.
 */
bool	split_assign_domain(struct split_add *s, const char *d, char *err,
			    size_t errlen);

/*
 * split_bounds_bad - the column of a low bound above its high bound
 *	(REG_SPLIT_HASH_LO or REG_SPLIT_MSGNUM_LO), or -1 when both ranges are in order.
 */
int	split_bounds_bad(const struct split_add *s);


/* One entry to delete, by listno; n counts the rows deleted. */
struct split_del {
	char table[REG_NAME_MAX + 16];
	struct store_filter f;
	uint64_t n;
};

/*
 * split_add_batch - a batch inserting entry s (T_name's listno allocated:
 *	sql_write_out(w, 0)->id); split_del_batch - a batch deleting entry
 *	d (sql_write_out(w, 0)->n counts it).  Both write SQL first with a
 *	database-address set.  s and d must live as long as the batch.
 *	NULL: reported.
 */
struct sql_write *split_add_batch(struct store *st, const struct split_add *s);
struct sql_write *split_del_batch(struct store *st, const struct split_del *d);

/*
 * split_add, split_del - the batches run at once: s->listno is the new
 *	entry's, d->n counts the entries deleted.  RESULT_OK, or the kind
 *	after reporting (bad data for a list root that is not there).
 */
enum result_kind split_add(struct store *st, const char *root,
			   struct split_add *s);
enum result_kind split_del(struct store *st, const char *root,
			   struct split_del *d);

#endif
