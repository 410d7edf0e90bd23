/*
 * NAME
 *	table_write.h - writing rows of any table: mq set, mq del, the API
 * SYNOPSIS
 *	#include "mq/ops/table_write.h"
 */
#ifndef MQ_OPS_TABLE_WRITE_H
#define MQ_OPS_TABLE_WRITE_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

/* One row of table_write_set: its assignments; id gets an allocated id. */
struct table_set_row {
	const struct store_assign *a;
	int n;			/* REG_MAX_COLS at most */
	int64_t id;		/* 0: none allocated */
};

/*
 * table_write_set - mq set's semantics for n rows (table_write.c): with
 *	the whole key given update the given columns or insert, else
 *	insert allocating the auto id.  One store transaction for all rows;
 *	with database-address set, SQL first, row by row.  Returns RESULT_OK or a
 *	result kind after reporting through ops_error.
 */
enum result_kind table_write_set(struct store *st, const char *table,
		    struct table_set_row *rows, size_t n);

/*
 * table_write_del - delete the rows matching all nf filters (none: every
 *	row); *deleted counts them.  SQL first when database-address is
 *	set.  RESULT_OK (also when none matched) or the failure's kind.
 */
enum result_kind table_write_del(struct store *st, const char *table,
		    const struct store_filter *f, int nf, uint64_t *deleted);

/*
 * The store bodies of table_write_set and table_write_del without SQL,
 * for a caller running its own write transaction (mq serve's writer
 * thread commits several requests' bodies together).  Re-runnable.
 */
struct table_set_job {
	const char *table;
	struct table_set_row *rows;
	size_t n;
	size_t failed;		/* out: the row whose store_set failed */
};
enum store_rc table_set_body(struct store_txn *txn, void *job);

struct table_del_job {
	const char *table;
	const struct store_filter *f;
	int n;
	uint64_t deleted;	/* out */
};
enum store_rc table_del_body(struct store_txn *txn, void *job);

#endif
