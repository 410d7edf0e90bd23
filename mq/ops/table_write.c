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
#include <string.h>

#include "mq/ops/dkim_key.h"
#include "mq/ops/ops.h"
#include "mq/ops/table_write.h"
#include "mq/ops/write.h"

/* assigned - the value row assigns to column col; NULL when none. */
static const struct store_value *assigned(const struct table_set_row *row,
					  int col)
{
	for (int i = 0; i < row->n; i++)
		if (row->a[i].col == col)
			return &row->a[i].v;
	return NULL;
}

/* text_of - a value's text; NULL and a missing value read as "". */
static const char *text_of(const struct store_value *v, size_t *len)
{
	*len = v && v->kind == SV_TEXT ? v->len : 0;
	return *len ? v->s : "";
}

/*
 * dkim_row_check - dkim_key_check of the privatekey and algorithm the
 *	row will hold: those assigned, else the stored row's (an update
 *	by id), else the defaults.  A row changing neither is not read.
 */
static enum result_kind dkim_row_check(struct store_txn *txn,
				       const struct table_set_row *row,
				       const char *where)
{
	const struct store_value *pk = assigned(row, DKIM_COL_PRIVATEKEY);
	const struct store_value *alg = assigned(row, DKIM_COL_ALGORITHM);
	const struct store_value *id = assigned(row, DKIM_COL_ID);
	char why[DKIM_WHY_MAX];
	struct store_row old;
	const char *pem, *a;
	size_t pemlen, alen;
	EVP_PKEY *key;

	if (!pk && !alg)
		return RESULT_OK;
	if (id && id->kind == SV_INT && (!pk || !alg) &&
	    store_get_by_key(txn, NULL, "dkim_keys", id, &old) == STORE_OK) {
		pk = pk ? pk : &old.col[DKIM_COL_PRIVATEKEY];
		alg = alg ? alg : &old.col[DKIM_COL_ALGORITHM];
	}
	pem = text_of(pk, &pemlen);
	a = text_of(alg, &alen);
	if (dkim_key_check(pem, pemlen, a, alen, &key, why, sizeof(why)) < 0) {
		ops_error("%sdkim_keys: %s", where, why);
		return RESULT_BADDATA;
	}
	EVP_PKEY_free(key);
	return RESULT_OK;
}

enum result_kind table_set_check(struct store *st, const char *table,
				 const struct table_set_row *rows, size_t n)
{
	struct store_txn *txn;
	enum result_kind k = RESULT_OK;
	enum store_rc rc;
	char where[32] = "";

	if (strcmp(table, "dkim_keys"))
		return RESULT_OK;
	if ((rc = store_read_begin(st, &txn)))
		return ops_store_fail(st, rc);
	for (size_t i = 0; !k && i < n; i++) {
		if (n > 1)
			snprintf(where, sizeof(where), "row %zu: ", i + 1);
		k = dkim_row_check(txn, &rows[i], where);
	}
	store_read_end(txn);
	return k;
}

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
	enum result_kind k = table_set_check(st, table, rows, n);
	struct sql_write *w = k ? NULL : table_set_batch(st, table, rows, n);

	if (!k)
		k = w ? ops_write(w) : RESULT_INTERNAL;
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
