/*
 * NAME
 *	table_write.h - writing rows of any table: mq set, mq del, the API
 * SYNOPSIS
 *	#include "mq/ops/table_write.h"
 * DESCRIPTION
 *	Rows are set and deleted through the one write path (write.h):
 *	all rows of a call in one batch, all of them or none, with a
 *	database-address SQL first.
 */
#ifndef MQ_OPS_TABLE_WRITE_H
#define MQ_OPS_TABLE_WRITE_H

#include <stddef.h>
#include <stdint.h>

#include "sql-compat/sync.h"
#include "store/store.h"

/*
 * One row of table_write_set: its assignments; id gets an allocated id.
 *	A row of a list's address table is rewritten by table_set_check
 *	into own (a then points there): the address as parsed, its hash
 *	and domain computed.
 */
struct table_set_row {
	const struct store_assign *a;
	int n;			/* REG_MAX_COLS at most */
	int64_t id;		/* 0: none allocated */
	bool force_hash;	/* a special hash given is meant (--hash) */
	struct store_assign own[REG_ADDR_NCOLS];
	char domain[SUB_DOMAIN_MAX + 1];
};

/*
 * table_set_batch - a batch of mq set's semantics for n rows: with the
 *	whole key given update the given columns or insert, else insert
 *	allocating the auto id (sql_write_out(w, i)->id for row i).  The
 *	rows must live as long as the batch.  NULL: reported.
 */
struct sql_write *table_set_batch(struct store *st, const char *table,
				  const struct table_set_row *rows, size_t n);

/*
 * table_del_batch - a batch deleting the rows matching all nf filters
 *	(none: every row); sql_write_out(w, 0)->n counts them.  NULL:
 *	reported.
 */
struct sql_write *table_del_batch(struct store *st, const char *table,
				  const struct store_filter *f, int nf);

/*
 * table_set_check - what a table's rows must be beyond their columns'
 *	types, checked before a batch is made: a dkim_keys row's
 *	privatekey and algorithm pass dkim_key_check (dkim_key.h); a row
 *	of a list's address table (T, T_digest, ...) has an address
 *	addr_parse takes (reduced to it), the domain column computed, and
 *	a hash column that is the address's own hash (computed when left
 *	out of a new row; an existing row keeps its own) or, with
 *	force_hash, a special one (53..99).  Such rows are rewritten
 *	(see struct table_set_row).  RESULT_OK, or RESULT_BADDATA after
 *	reporting ("row N: " naming the row of several) through
 *	ops_error, never with key bytes.
 */
enum result_kind table_set_check(struct store *st, const char *table,
				 struct table_set_row *rows, size_t n);

/*
 * table_write_set - table_set_check, then table_set_batch run at once; each row's id filled
 *	in.  RESULT_OK or the failure's kind after reporting through
 *	ops_error ("row N: ..." naming the row of several).
 */
enum result_kind table_write_set(struct store *st, const char *table,
				 struct table_set_row *rows, size_t n);

/*
 * table_write_del - table_del_batch run at once; *deleted counts the
 *	rows.  RESULT_OK (also when none matched) or the failure's kind.
 */
enum result_kind table_write_del(struct store *st, const char *table,
				 const struct store_filter *f, int nf,
				 uint64_t *deleted);

#endif
