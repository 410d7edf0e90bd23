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
 *	transactions (store_diff_apply): lists SQL has are created, a
 *	list whose main table T is gone is dropped (T without T_slog
 *	fails the load: the list stays as stored, with its secret key);
 *	an unchanged database writes nothing.
 *
 *	sql_sync_to() first creates missing tables and columns
 *	(sql_schema_repair, dropping nothing), then, in ONE SQL
 *	transaction, inserts, updates and deletes rows until SQL equals
 *	one read snapshot of the store; tables of lists the store does
 *	not have are dropped (after the commit on MySQL, whose DDL is not
 *	transactional).
 *
 *	Every other write of mq, SQL first or the store alone, is a
 *	struct sql_write batch (below).
 *
 *	Text from SQL becomes a store value through store_value_parse()
 *	with the registry column (times first in mq's form: UTC, any
 *	fraction or offset, unix seconds in an integer column).  A row
 *	with a value that does not fit never fails the sync: it is
 *	refused, named by table, row key and column in res->refusals,
 *	and left as it is on both sides (the store keeps its row of that
 *	key, SQL its row).
 * DIAGNOSTICS
 *	Each function returns an enum result_kind (RESULT_TRYAGAIN when
 *	the server is unreachable or went away, RESULT_BADDATA for data
 *	or schema SQL refuses or mq cannot hold, RESULT_INTERNAL for
 *	the store), with a one-line message without password in res->err.
 *	On failure the target is exactly as it was.
 */
#ifndef MQ_SQL_SYNC_H
#define MQ_SQL_SYNC_H

#include "sql-compat/schema.h"
#include "store/store.h"

#define SQL_SYNC_ERR_MAX 1024

/* Flags of the sync operations. */
#define SQL_SYNC_KEEP_EXTRA 0x01	/* database-validate false: extra
					 * SQL columns are carried along, a
					 * missing non-key column is read
					 * as its default (res->defaulted) */
#define SQL_SYNC_FULL 0x02		/* from: compare every row, even when
					 * the quick check (sync_quick.c)
					 * finds SQL and the store unchanged */

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
	char dropped[SQL_SYNC_ERR_MAX];	/* the lists dropped, by name,
					 * space-separated (" ..." when
					 * more do not fit) */
	uint64_t seq;			/* from: the store's sequence after */
	unsigned refused;		/* SQL rows mq cannot hold, left as
					 * they are on both sides */
	char refusals[SQL_SYNC_ERR_MAX];	/* one line each (table, row
						 * key, column), "..." when
						 * more do not fit */
	char defaulted[SQL_SYNC_ERR_MAX];	/* SQL_SYNC_KEEP_EXTRA: the
						 * missing columns read as
						 * their default, "table.column"
						 * space-separated */
	bool unchanged;			/* from: the quick check found SQL
					 * and the store as the last sync
					 * left them: nothing read */
	unsigned odd_addresses;		/* list addresses kept as SQL has
					 * them though mq would refuse them */
	char odd_address[SQL_SYNC_ERR_MAX];	/* the first, with why */
	char err[SQL_SYNC_ERR_MAX];
};

enum result_kind sql_sync_from(struct sql_conn *conn, struct store *st,
			       unsigned flags, struct sql_sync_result *res);

/*
 * sql_sync_read, sql_sync_apply - sql_sync_from in its two halves, for
 *	a caller that reads on one thread and writes on another (mq
 *	serve: the load reads off its single writer, which applies).
 *	read streams SQL's rows and leaves the difference in *diff (under
 *	a store read transaction: no write lock); apply writes it and
 *	frees it.  res->tables and the counts come from read, res->seq
 *	from apply.
 */
enum result_kind sql_sync_read(struct sql_conn *conn, struct store *st,
			       unsigned flags, struct sql_sync_result *res,
			       struct store_diff **diff);
enum result_kind sql_sync_apply(struct store *st, struct store_diff *diff,
				struct sql_sync_result *res);
enum result_kind sql_sync_to(struct sql_conn *conn, struct store *st, unsigned flags,
		    struct sql_sync_result *res);
void	sql_sync_result_free(struct sql_sync_result *res);

/* ---------------------------------------------------------------- */
/* the write path (write.c, write_row.c, write_sub.c, write_list.c)  */
/* ---------------------------------------------------------------- */

/*
 * struct sql_write - ONE write of mq, whoever asks for it (mq set, sub,
 *	import, split, list-create, every API write): a batch of changes.
 *	sql_write_run() runs it with SQL authoritative (conn given) as ONE
 *	SQL transaction, commits, then applies what SQL decided in ONE
 *	store transaction; without conn it is one store transaction.
 *	All of it or nothing: when SQL fails nothing changed anywhere.
 *
 *	The changes refer to their inputs (assignments, filters, requests,
 *	rows) without copying them: keep those until sql_write_free().
 *	Each adder returns the change's index (the batch's row number
 *	minus one) for sql_write_out().
 */
struct sql_write;

/* What one change did, once the batch ran. */
struct sql_write_out {
	int64_t	id;			/* set: the auto id allocated, 0: none */
	uint64_t n;			/* del: rows deleted; add: 1 inserted,
					 * 0 present; list drop: 1 dropped */
	struct sub_counts counts;	/* sub and unsub */
	size_t	failed;			/* sub: the request refused, else
					 * SIZE_MAX */
	bool	exists;			/* list create: refused, it exists */
};

/*
 * sql_write_rows_fn - call fn for every row a table of an imported list
 *	gets (store_scan's contract: non-zero from fn stops); it is called
 *	once for SQL and once for the store (again if the store's body
 *	runs again).
 */
typedef enum store_rc (*sql_write_rows_fn)(void *arg, store_row_fn fn,
					   void *fnarg);

/*
 * sql_write_new - an empty batch for st; flags SQL_SYNC_KEEP_EXTRA
 *	(database-validate false) carries SQL's extra columns along.
 *	NULL without memory.
 */
struct sql_write *sql_write_new(struct store *st, unsigned flags);
void	sql_write_free(struct sql_write *w);

/*
 * sql_write_set - mq set: with the whole key given, update the columns
 *	given or insert; else insert allocating the auto id.  SQL holds
 *	the row's defaults; the store gets the row as SQL holds it.
 */
int	sql_write_set(struct sql_write *w, const char *table,
		      const struct store_assign *a, int na);
/* sql_write_del - delete the rows matching all filters (none: all). */
int	sql_write_del(struct sql_write *w, const char *table,
		      const struct store_filter *f, int nf);
/*
 * sql_write_add - insert the row unless one with its key exists (the
 *	first stays: cookies, the message log).  With same >= 0 a present
 *	row whose column same differs refuses the batch, the message
 *	"TABLE: conflict".
 */
int	sql_write_add(struct sql_write *w, const char *table,
		      const struct store_assign *a, int na, int same,
		      const char *conflict);
/*
 * sql_write_sub - store_sub()'s subscribe (add) or unsubscribe of n
 *	requests to list root's table which, each change with its _slog
 *	row; with SQL authoritative SQL decides what is present.
 */
int	sql_write_sub(struct sql_write *w, const char *root,
		      enum sub_table which, bool add,
		      const struct sub_request *r, size_t n);
/*
 * sql_write_list_create - list root and its tables, with key as its
 *	secret; key NULL: store_list_create makes one.
 */
int	sql_write_list_create(struct sql_write *w, const char *root,
			      const uint8_t *key, size_t keylen);
/* sql_write_list_drop - list root with every row of its tables. */
int	sql_write_list_drop(struct sql_write *w, const char *root);
/*
 * sql_write_rows - put the rows each() gives into table (of a list
 *	created earlier in the batch): mq import with SQL authoritative.
 */
int	sql_write_rows(struct sql_write *w, const char *table,
		       sql_write_rows_fn each, void *arg);

/*
 * sql_write_run - run the batch: SQL first when conn is given.  Returns
 *	RESULT_OK or the failure's kind with sql_write_errmsg() naming the
 *	table, column and, in a batch of several, the change ("row 5:
 *	...").  When the store fails after SQL committed, the message says
 *	so and that mq sync --from-sql repairs it.  Run a batch once.
 */
enum result_kind sql_write_run(struct sql_write *w, struct sql_conn *conn);

/*
 * sql_write_body - the batch's store part without SQL, as a
 *	store_write_fn for a caller that commits several bodies in one
 *	transaction (mq serve's writer).  It may run more than once; on
 *	failure sql_write_kind/errmsg say why.
 */
enum store_rc sql_write_body(struct store_txn *txn, void *w);

/* sql_write_kind, sql_write_errmsg - the outcome of the last run. */
enum result_kind sql_write_kind(const struct sql_write *w);
const char *sql_write_errmsg(const struct sql_write *w);

/* sql_write_out - what change i did; NULL when there is no change i. */
const struct sql_write_out *sql_write_out(const struct sql_write *w,
					  int i);

/* sql_write_count - the changes of the batch. */
size_t	sql_write_count(const struct sql_write *w);

#endif
