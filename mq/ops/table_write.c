/*
 * NAME
 *	table_write.c - mq set, mq del and the API's rows, as batches
 * SYNOPSIS
 *	struct table_set_row row = { assigns, n, 0 };
 *	kind = table_write_set(st, "capacity", &row, 1);
 *	kind = table_write_del(st, "capacity", filters, nf, &deleted);
 * DESCRIPTION
 *	Each call is one batch of the write path (write.h): the rows of a
 *	call are written all or none, whether SQL is authoritative (one
 *	SQL transaction, then one store transaction) or not (one store
 *	transaction).
 * DIAGNOSTICS
 *	Both return a result kind after reporting one line through
 *	ops_error: bad data (or SQL refusing the address, credentials or
 *	schema), internal (a store failure), try again (SQL unreachable
 *	or locked).
 */
#include "mq/ops/ops.h"
#include "mq/ops/table_write.h"
#include "mq/ops/write.h"

struct sql_write *table_set_batch(struct store *st, const char *table,
				  const struct table_set_row *rows, size_t n)
{
	struct sql_write *w = ops_write_new(st);

	for (size_t i = 0; w && i < n; i++)
		sql_write_set(w, table, rows[i].a, rows[i].n);
	return w;
}

struct sql_write *table_del_batch(struct store *st, const char *table,
				  const struct store_filter *f, int nf)
{
	struct sql_write *w = ops_write_new(st);

	if (w)
		sql_write_del(w, table, f, nf);
	return w;
}

enum result_kind table_write_set(struct store *st, const char *table,
				 struct table_set_row *rows, size_t n)
{
	struct sql_write *w = table_set_batch(st, table, rows, n);
	enum result_kind k = w ? ops_write(w) : RESULT_INTERNAL;

	for (size_t i = 0; !k && i < n; i++)
		rows[i].id = sql_write_out(w, (int)i)->id;
	sql_write_free(w);
	return k;
}

enum result_kind table_write_del(struct store *st, const char *table,
				 const struct store_filter *f, int nf,
				 uint64_t *deleted)
{
	struct sql_write *w = table_del_batch(st, table, f, nf);
	enum result_kind k = w ? ops_write(w) : RESULT_INTERNAL;

	*deleted = k ? 0 : sql_write_out(w, 0)->n;
	sql_write_free(w);
	return k;
}
