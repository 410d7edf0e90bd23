/*
 * NAME
 *	table_write.c - the one write path of mq set / mq del and the API
 * SYNOPSIS
 *	struct table_set_row row = { assigns, n, 0 };
 *	ex = table_write_set(st, "capacity", &row, 1);
 *	ex = table_write_del(st, "capacity", filters, nf, &deleted);
 * DESCRIPTION
 *	Without a database-address, the rows are written to the store in
 *	one write transaction: all of them or none.
 *
 *	With database-address set, SQL is authoritative: each row is
 *	written to SQL first, then to the store (sql_write_set/_del, which
 *	read the row back from SQL so both hold the same values).  One
 *	connection serves all rows of a call, but each row is its own SQL
 *	transaction: a failure at row k leaves rows 1..k-1 written (the
 *	message says so).  A single row is all or nothing.
 * DIAGNOSTICS
 *	Both return a result kind after reporting one line through
 *	ops_error: bad data (or SQL refusing the address, credentials or
 *	schema), internal (a store failure), try again (SQL unreachable
 *	or locked).
 */
#include <stdio.h>

#include "mq/config.h"
#include "mq/ops/ops.h"
#include "mq/ops/table_write.h"

/* table_set_body - every row in one store transaction (may run again) */
enum store_rc table_set_body(struct store_txn *txn, void *arg)
{
	struct table_set_job *s = arg;
	enum store_rc rc = STORE_OK;

	for (size_t i = 0; i < s->n && rc == STORE_OK; i++) {
		s->rows[i].id = 0;
		s->failed = i;
		rc = store_set(txn, s->table, s->rows[i].a, s->rows[i].n,
			       &s->rows[i].id);
	}
	return rc;
}

/* to_sql_cols - assignments or filters as the write-through's columns. */
static void to_sql_cols(const struct store_assign *a, int n,
			struct sql_write_col *out)
{
	for (int i = 0; i < n; i++)
		out[i] = (struct sql_write_col){ a[i].col, a[i].v };
}

/* set_through_sql - SQL first, row by row, on one connection. */
static int set_through_sql(struct store *st, const char *table,
			   struct table_set_row *rows, size_t n)
{
	struct sql_write_col c[REG_MAX_COLS];
	struct sql_conn *conn;
	char err[SQL_SYNC_ERR_MAX];
	int ex = ops_sql_acquire(&conn);

	for (size_t i = 0; !ex && i < n; i++) {
		to_sql_cols(rows[i].a, rows[i].n, c);
		ex = sql_write_set(conn, st, ops_sync_flags(), table, c, rows[i].n,
				   &rows[i].id, err, sizeof(err));
		if (ex && n == 1)
			ops_error("%s", err);
		else if (ex && i == 0)
			ops_error("row 1: %s (no row was written)", err);
		else if (ex)
			ops_error("row %zu: %s (rows 1-%zu were written)",
				  i + 1, err, i);
	}
	ops_sql_release(conn, ex);
	return ex;
}

enum result_kind table_write_set(struct store *st, const char *table,
			struct table_set_row *rows, size_t n)
{
	struct table_set_job s = { table, rows, n, 0 };
	enum store_rc rc;
	const char *msg;

	if (mq_conf.database_address[0])
		return set_through_sql(st, table, rows, n);
	if ((rc = store_write(st, table_set_body, &s, NULL)) == STORE_OK)
		return 0;
	if (n == 1)
		return ops_store_fail(st, rc);
	msg = store_errmsg(st);
	ops_error("row %zu: %s (no row was written)", s.failed + 1,
		  *msg ? msg : store_strerror(rc));
	return store_rc_kind(rc);
}

/* table_del_body - the delete in one store transaction (may run again) */
enum store_rc table_del_body(struct store_txn *txn, void *arg)
{
	struct table_del_job *d = arg;

	d->deleted = 0;
	return store_del(txn, d->table, d->f, d->n, &d->deleted);
}

/* del_through_sql - the delete when SQL is authoritative. */
static int del_through_sql(struct store *st, struct table_del_job *d)
{
	struct sql_write_col c[REG_MAX_COLS];
	struct sql_conn *conn;
	char err[SQL_SYNC_ERR_MAX];
	int ex = ops_sql_acquire(&conn);

	if (ex)
		return ex;
	for (int i = 0; i < d->n; i++)
		c[i] = (struct sql_write_col){ d->f[i].col, d->f[i].v };
	ex = sql_write_del(conn, st, ops_sync_flags(), d->table, c, d->n,
			   &d->deleted, err, sizeof(err));
	if (ex)
		ops_error("%s", err);
	ops_sql_release(conn, ex);
	return ex;
}

enum result_kind table_write_del(struct store *st, const char *table,
			const struct store_filter *f, int nf,
			uint64_t *deleted)
{
	struct table_del_job d = { table, f, nf, 0 };
	enum store_rc rc;
	int ex = 0;

	if (nf > REG_MAX_COLS) {
		ops_error("%s: more than %d conditions", table, REG_MAX_COLS);
		return RESULT_BADDATA;
	}
	if (mq_conf.database_address[0])
		ex = del_through_sql(st, &d);
	else if ((rc = store_write(st, table_del_body, &d, NULL)))
		ex = ops_store_fail(st, rc);
	*deleted = d.deleted;
	return ex;
}
