/*
 * NAME
 *	sync.h - make the store equal to SQL, or SQL equal to the store
 * SYNOPSIS
 *	#include "sql-compat/sync.h"
 * DESCRIPTION
 *	sql_sync_from() reads, in ONE SQL snapshot, the catalog and every
 *	MailerQ table and the tables of every list found in SQL (a table T
 *	with its T_slog), computes the minimal difference under a store
 *	read transaction (store_diff_table) and applies it in short write
 *	transactions (store_diff_apply): lists SQL has are created, lists
 *	it lacks are dropped; an unchanged database writes nothing.
 *
 *	sql_sync_to() first creates missing tables and columns
 *	(sql_schema_repair, dropping nothing), then, in ONE SQL
 *	transaction, inserts, updates and deletes rows until SQL equals
 *	one read snapshot of the store; tables of lists the store does
 *	not have are dropped (after the commit on MySQL, whose DDL is not
 *	transactional).
 *
 *	The row write-through of mq set / mq del (SQL first, then the
 *	store) is sql_write_set() / sql_write_del().
 *
 *	Text from SQL becomes a store value through store_value_parse()
 *	with the registry column; a value that does not fit fails the
 *	whole sync naming table, column and row key.
 * DIAGNOSTICS
 *	Each function returns an enum result_kind (RESULT_TRYAGAIN when
 *	the server is unreachable or went away, RESULT_BADDATA for data
 *	or schema SQL refuses or mq cannot hold, RESULT_INTERNAL for
 *	the store), with a one-line message without password in res->err.
 *	On failure the target is exactly as it was.
 */
#ifndef MQ_SQL_SYNC_H
#define MQ_SQL_SYNC_H

#include "sql-compat/sql.h"
#include "store/store.h"

#define SQL_SYNC_ERR_MAX 1024

/* Flags of the sync operations. */
#define SQL_SYNC_KEEP_EXTRA 0x01	/* database-validate false: extra
					 * SQL columns are carried along */

/* What a sync did to one table. */
struct sql_sync_table {
	char name[SQL_TABLE_NAME_MAX];
	struct store_apply_counts n;
};

struct sql_sync_result {
	struct sql_sync_table *tables;	/* every table synced; free it with
					 * sql_sync_result_free() */
	size_t ntables;
	unsigned lists_created, lists_dropped;
	uint64_t seq;			/* from: the store's sequence after */
	char err[SQL_SYNC_ERR_MAX];
};

enum result_kind sql_sync_from(struct sql_conn *conn, struct store *st, unsigned flags,
		      struct sql_sync_result *res);
enum result_kind sql_sync_to(struct sql_conn *conn, struct store *st, unsigned flags,
		    struct sql_sync_result *res);
void	sql_sync_result_free(struct sql_sync_result *res);

/* One column := value of a write-through. */
struct sql_write_col {
	int col;			/* registry column */
	struct store_value v;
};

/*
 * sql_write_set - mq set with SQL authoritative: in one SQL transaction
 *	update the row with the whole key given (only the columns given)
 *	or insert it (SQL allocating an auto-increment id left out), read
 *	the complete row back, commit, then put that row into the store.
 *	*id_out gets an allocated id (0: none).
 */
enum result_kind sql_write_set(struct sql_conn *conn, struct store *st,
		      unsigned flags, const char *table,
		      const struct sql_write_col *a, int na, int64_t *id_out,
		      char *err, size_t errlen);

/*
 * sql_write_del - mq del with SQL authoritative: delete the rows whose
 *	columns equal the values given (all rows with na 0) in SQL, then
 *	the same in the store.  *n_out counts the rows SQL deleted.
 */
enum result_kind sql_write_del(struct sql_conn *conn, struct store *st,
		      unsigned flags, const char *table,
		      const struct sql_write_col *f, int nf, uint64_t *n_out,
		      char *err, size_t errlen);

#endif
