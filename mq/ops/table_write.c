/*
 * NAME
 *	table_write.c - mq set, mq del and the API's rows, as batches
 * SYNOPSIS
 *	struct table_set_row row = { .a = assigns, .n = n };
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
#include "mq/ops/list_write.h"
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

/* special_name - what a special hash (53..99) means */
static const char *special_name(int64_t h)
{
	return h == SUB_HASH_SUBLIST ? "a sublist's address"
		: h == SUB_HASH_RECEIPT ? "the return-receipt address"
		: "a blocked address";
}

/*
 * hash_check - the hash column given for address a: its own hash, or
 *	a special one when forced.  A value outside 0..99 is left to the
 *	store, which names the range.
 */
static enum result_kind hash_check(const char *where, const char *table,
				   const struct store_value *h, bool forced,
				   const char *a, size_t alen, unsigned own)
{
	if (h->kind != SV_INT || h->i < 0 || h->i > SUB_HASH_LIMIT ||
	    h->i == own || (forced && h->i > SUB_HASH_MAX))
		return RESULT_OK;
	if (h->i > SUB_HASH_MAX)
		ops_error("%s%s.hash: %lld is a special hash (%s): give it "
			  "with --hash (in the API ?force_hash=1), or leave it "
			  "out for %.*s's own (%u)", where, table,
			  (long long)h->i, special_name(h->i), (int)alen, a,
			  own);
	else
		ops_error("%s%s.hash: %lld is not %.*s's hash (%u)", where,
			  table, (long long)h->i, (int)alen, a, own);
	return RESULT_BADDATA;
}

/* exists - is there a row of table with this address (its key)? */
static bool exists(struct store_txn *txn, const char *table,
		   const struct store_value *addr)
{
	struct store_row row;

	return store_get_by_key(txn, NULL, table, addr, &row) == STORE_OK;
}

/*
 * list_row_check - a row of a list's address table as it will be
 *	written, into row->own: the address parsed (what people paste
 *	reduced to it), the domain computed, the hash checked or, for a
 *	new row without one, computed.  A row without a text address is
 *	left to the store to refuse.
 */
static enum result_kind list_row_check(struct store_txn *txn,
				       const char *table,
				       struct table_set_row *row,
				       const char *where)
{
	const struct store_value *av = assigned(row, REG_ADDR_ADDRESS);
	const struct store_value *h = assigned(row, REG_ADDR_HASH);
	const struct store_value *d = assigned(row, REG_ADDR_DOMAIN);
	struct store_assign own[REG_ADDR_NCOLS];
	char err[256], dom[SUB_DOMAIN_MAX + 1];
	const char *a;
	size_t alen, dlen;
	unsigned hash;
	int n = 0;

	if (!av || av->kind != SV_TEXT)
		return RESULT_OK;
	if (!list_address(av->s, av->len, true, &a, &alen, err, sizeof(err))) {
		ops_error("%s%s.%s", where, table, err);
		return RESULT_BADDATA;
	}
	hash = sub_hash(a, alen);
	dlen = sub_domain(a, alen, dom);
	if (d && d->kind == SV_TEXT &&
	    (d->len != dlen || memcmp(d->s, dom, dlen))) {
		ops_error("%s%s.domain: '%.*s' is not %.*s's domain column "
			  "('%s')", where, table,
			  (int)(d->len > 8 ? 8 : d->len),
			  d->s, (int)alen, a, dom);
		return RESULT_BADDATA;
	}
	if (h && hash_check(where, table, h, row->force_hash, a, alen, hash))
		return RESULT_BADDATA;
	own[n++] = (struct store_assign){ REG_ADDR_ADDRESS,
		{ .kind = SV_TEXT, .s = a, .len = alen } };
	if (h)
		own[n++] = (struct store_assign){ REG_ADDR_HASH, *h };
	else if (!exists(txn, table, &own[0].v))
		own[n++] = (struct store_assign){ REG_ADDR_HASH,
			{ .kind = SV_INT, .i = hash } };
	memcpy(row->domain, dom, sizeof(dom));
	own[n++] = (struct store_assign){ REG_ADDR_DOMAIN,
		{ .kind = SV_TEXT, .s = row->domain, .len = dlen } };
	memcpy(row->own, own, sizeof(own));
	row->a = row->own;
	row->n = n;
	return RESULT_OK;
}

enum result_kind table_set_check(struct store *st, const char *table,
				 struct table_set_row *rows, size_t n)
{
	const struct reg_table *t = NULL;
	struct store_txn *txn;
	enum result_kind k = RESULT_OK;
	enum store_rc rc;
	char where[32] = "";
	bool dkim = !strcmp(table, "dkim_keys");

	if ((rc = store_read_begin(st, &txn)))
		return ops_store_fail(st, rc);
	if (!dkim && (store_table_find(txn, table, &t) ||
		      !reg_list_addresses(t)))
		t = NULL;
	for (size_t i = 0; !k && (dkim || t) && i < n; i++) {
		if (n > 1)
			snprintf(where, sizeof(where), "row %zu: ", i + 1);
		k = dkim ? dkim_row_check(txn, &rows[i], where)
			: list_row_check(txn, table, &rows[i], where);
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
