/*
 * NAME
 *	list_sql.c - subscribe and unsubscribe with SQL authoritative
 * SYNOPSIS
 *	#include "mq/ops/list_sql.h"
 *
 *	ex = list_sub_through_sql(st, "list", SUB_MAIN, true, req, n,
 *				  &counts, &bad, err, sizeof(err));
 * DESCRIPTION
 *	SQL decides, as store_sub() decides in the store: the addresses
 *	SQL holds are read first (those named by the requests, or the
 *	whole table for a bulk run), compared with ASCII case folded, and
 *	each request is then an insert, a delete or nothing, with
 *	ezmlm-idx's rules on special hashes.  The table changes and one
 *	_slog row per change (one tai for the call, etype as requested)
 *	are one SQL transaction; after it commits the same rows go into
 *	the store in one write transaction, so a sync from SQL finds
 *	nothing to do.  Identifiers are quoted, every value is bound.
 * DIAGNOSTICS
 *	SQL unreachable: exit 75 and nothing written anywhere.  A store
 *	failure after the commit says that SQL has the change and that
 *	mq sync --from-sql repairs the store.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mq/config.h"
#include "mq/ops/ops.h"
#include "mq/ops/list_sql.h"
#include "mq/ops/msg_sql.h"

#define IN_BATCH	256	/* up to this many requests: look up by name */

/* Columns of an address table and of a _slog table (store/registry.c). */
enum { A_HASH, A_ADDRESS, A_DOMAIN, A_NCOLS };
enum { S_TAI, S_ADDRESS, S_FROMLINE, S_EDIR, S_ETYPE, S_NCOLS };

static const char *const addr_cols[A_NCOLS] = { "hash", "address",
						"domain" };
static const char *const slog_cols[S_NCOLS] = { "tai", "address",
						"fromline", "edir", "etype" };

/* One address SQL holds, or that this run inserted. */
struct present {
	const char *addr;	/* NULL: a free slot */
	size_t len;
	int hash;
	bool owned, gone;	/* addr malloc'ed; deleted in this run */
};

/* The addresses present, by their ASCII-folded form (open addressing). */
struct present_set {
	struct present *e;
	size_t mask, used;
};

/* One request, checked and normalized. */
struct item {
	const char *addr;	/* as stored: sub_address() */
	size_t len;
	int hash;
	char dom[SUB_DOMAIN_MAX + 1];
	bool changed;
};

/* The state of one sub or unsub run. */
struct sub_sql {
	struct sql_conn *conn;
	enum sql_engine e;
	char table[REG_NAME_MAX + 16], slog[REG_NAME_MAX + 24];
	char tai[32];
	bool add;
	const struct sub_request *r;
	struct item *it;
	size_t n;
	char *arena;
	struct present_set ps;
	struct sql_stmt *ins, *del, *log;
};

/* lower - an ASCII letter lower-cased, any other byte as it is. */
static unsigned char lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c + ('a' - 'A')) : c;
}

/* fold_hash - FNV-1a of the bytes with ASCII case folded. */
static size_t fold_hash(const char *s, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < len; i++)
		h = (h ^ lower((unsigned char)s[i])) * 0x100000001b3ULL;
	return (size_t)h;
}

/* fold_eq - equal with ASCII case folded? */
static bool fold_eq(const char *a, size_t alen, const char *b, size_t blen)
{
	if (alen != blen)
		return false;
	for (size_t i = 0; i < alen; i++)
		if (lower((unsigned char)a[i]) != lower((unsigned char)b[i]))
			return false;
	return true;
}

/* set_put - place p in a table with a free slot. */
static void set_put(struct present_set *s, const struct present *p)
{
	size_t i = fold_hash(p->addr, p->len) & s->mask;

	while (s->e[i].addr)
		i = (i + 1) & s->mask;
	s->e[i] = *p;
	s->used++;
}

/* set_add - remember one present address; false without memory. */
static bool set_add(struct present_set *s, const struct present *p)
{
	if (2 * (s->used + 1) > s->mask + 1) {
		struct present_set g = { NULL, s->mask ? 2 * s->mask + 1 : 63,
					 0 };

		if (!(g.e = calloc(g.mask + 1, sizeof(*g.e))))
			return false;
		for (size_t i = 0; s->e && i <= s->mask; i++)
			if (s->e[i].addr)
				set_put(&g, &s->e[i]);
		free(s->e);
		*s = g;
	}
	set_put(s, p);
	return true;
}

/* set_next - the next live entry for addr after slot *pos (start ~0). */
static struct present *set_next(struct present_set *s, const char *addr,
				size_t len, size_t *pos)
{
	size_t i = *pos == ~(size_t)0 ? fold_hash(addr, len) & s->mask
		: (*pos + 1) & s->mask;

	for (; s->e && s->e[i].addr; i = (i + 1) & s->mask)
		if (!s->e[i].gone && fold_eq(s->e[i].addr, s->e[i].len, addr,
					     len)) {
			*pos = i;
			return &s->e[i];
		}
	return NULL;
}

/* set_free - the table and the addresses it owns. */
static void set_free(struct present_set *s)
{
	for (size_t i = 0; s->e && i <= s->mask; i++)
		if (s->e[i].owned)
			free((char *)s->e[i].addr);
	free(s->e);
}

/* check_request - request i made an item, as store_sub checks it. */
static int check_request(struct sub_sql *x, size_t i, char *err,
			 size_t errlen)
{
	const struct sub_request *r = &x->r[i];
	struct item *it = &x->it[i];
	char *addr = x->arena;

	if (r->len > SUB_ADDR_MAX) {
		snprintf(err, errlen, "%.40s...: address longer than %d bytes",
			 r->addr, SUB_ADDR_MAX);
		return RESULT_BADDATA;
	}
	if (sub_address(r->addr, r->len, addr, &it->len, err, errlen))
		return RESULT_BADDATA;
	if (r->hash < -1 || r->hash > SUB_HASH_LIMIT ||
	    (r->fromline && (r->fromlen > SUB_ADDR_MAX ||
			     memchr(r->fromline, 0, r->fromlen)))) {
		snprintf(err, errlen, "%s: hash not 0..%d, or a from line "
			 "longer than %d bytes or with a NUL byte", addr,
			 SUB_HASH_LIMIT, SUB_ADDR_MAX);
		return RESULT_BADDATA;
	}
	it->addr = addr;
	it->hash = r->hash >= 0 ? r->hash : (int)sub_hash(addr, it->len);
	sub_domain(addr, it->len, it->dom);
	x->arena += it->len + 1;
	return 0;
}

/* select_present - "SELECT hash, address FROM T" [for the requests]. */
static void select_present(struct sql_buf *b, const struct sub_sql *x,
			   bool all)
{
	bool fn = x->e != SQL_ENGINE_MYSQL;	/* MySQL: the collation */

	sql_buf_add(b, "SELECT ");
	sql_buf_ident(b, x->e, "hash");
	sql_buf_add(b, ", ");
	sql_buf_ident(b, x->e, "address");
	sql_buf_add(b, " FROM ");
	sql_buf_ident(b, x->e, x->table);
	if (all)
		return;
	sql_buf_add(b, " WHERE %s", fn ? "lower(" : "");
	sql_buf_ident(b, x->e, "address");
	sql_buf_add(b, "%s IN (", fn ? ")" : "");
	for (size_t i = 0; i < x->n; i++)
		sql_buf_add(b, "%s%s", i ? ", " : "", fn ? "lower(?)" : "?");
	sql_buf_add(b, ")");
}

/* present_row - one selected row into the set. */
static enum sql_rc present_row(struct sub_sql *x, const struct sql_value *v,
			       size_t nv)
{
	struct present p = { .owned = true };
	char *a;

	if (nv != 2 || v[1].type != SQL_TEXT || v[0].type == SQL_NULL)
		return sql_conn_fail(x->conn, SQL_BADDATA, x->table,
				     "hash or address is NULL");
	p.hash = v[0].type == SQL_INT ? (int)v[0].i : atoi(v[0].p);
	p.len = v[1].len;
	if (!(a = malloc(p.len + 1)))
		return SQL_INTERNAL;
	memcpy(a, v[1].p, p.len);
	a[p.len] = 0;
	p.addr = a;
	if (set_add(&x->ps, &p))
		return SQL_OK;
	free(a);
	return SQL_INTERNAL;
}

/* load_present - what SQL holds of the requests' addresses. */
static enum sql_rc load_present(struct sub_sql *x)
{
	struct sql_buf b = SQL_BUF_INIT;
	struct sql_value *p = NULL;
	struct sql_rows *rows = NULL;
	const struct sql_value *v;
	bool all = x->n > IN_BATCH;
	size_t nv;
	enum sql_rc rc = SQL_OK;

	if (!all && !(p = calloc(x->n + 1, sizeof(*p))))
		return SQL_INTERNAL;
	for (size_t i = 0; !all && i < x->n; i++)
		p[i] = (struct sql_value){ SQL_TEXT, 0, x->it[i].addr,
					   x->it[i].len };
	select_present(&b, x, all);
	rc = b.oom ? SQL_INTERNAL
		: sql_exec(x->conn, b.p, p, all ? 0 : x->n, &rows, NULL);
	while (rc == SQL_OK &&
	       (rc = sql_rows_next(x->conn, rows, &v, &nv)) == SQL_OK)
		rc = present_row(x, v, nv);
	sql_rows_free(x->conn, rows);
	sql_buf_free(&b);
	free(p);
	return rc == SQL_END ? SQL_OK : rc;
}

/* prepare - the INSERT and DELETE of the table and the slog INSERT. */
static enum sql_rc prepare(struct sub_sql *x)
{
	struct sql_buf b = SQL_BUF_INIT;
	enum sql_rc rc;

	msg_sql_insert_text(&b, x->e, x->table, addr_cols, A_NCOLS, false);
	rc = b.oom ? SQL_INTERNAL : sql_prepare(x->conn, b.p, A_NCOLS,
						 &x->ins);
	sql_buf_reset(&b);
	sql_buf_add(&b, "DELETE FROM ");
	sql_buf_ident(&b, x->e, x->table);
	sql_buf_add(&b, " WHERE ");
	sql_buf_ident(&b, x->e, "address");
	sql_buf_add(&b, " = ?");
	if (rc == SQL_OK)
		rc = b.oom ? SQL_INTERNAL : sql_prepare(x->conn, b.p, 1,
							 &x->del);
	sql_buf_reset(&b);
	msg_sql_insert_text(&b, x->e, x->slog, slog_cols, S_NCOLS, false);
	if (rc == SQL_OK)
		rc = b.oom ? SQL_INTERNAL : sql_prepare(x->conn, b.p, S_NCOLS,
							 &x->log);
	sql_buf_free(&b);
	return rc;
}

/* text - a bound text parameter. */
static struct sql_value text(const char *s, size_t len)
{
	return (struct sql_value){ SQL_TEXT, 0, s, len };
}

/* sub_one - request i against what SQL holds: insert or leave it. */
static enum sql_rc sub_one(struct sub_sql *x, size_t i, struct sub_counts *c)
{
	struct item *it = &x->it[i];
	size_t pos = ~(size_t)0;
	struct present *p = set_next(&x->ps, it->addr, it->len, &pos);
	struct sql_value v[A_NCOLS] = {
		{ SQL_INT, it->hash, NULL, 0 }, text(it->addr, it->len),
		text(it->dom, strlen(it->dom)) };

	if (p && x->r[i].hash < 0 && p->hash > SUB_HASH_MAX) {
		c->blocked++;
		return SQL_OK;
	}
	if (p) {
		c->unchanged++;
		return SQL_OK;
	}
	if (!set_add(&x->ps, &(struct present){ it->addr, it->len, it->hash,
						false, false }))
		return SQL_INTERNAL;
	it->changed = true;
	c->changed++;
	return sql_stmt_exec(x->conn, x->ins, v, NULL);
}

/* unsub_one - request i: delete every row SQL holds for it, or none. */
static enum sql_rc unsub_one(struct sub_sql *x, size_t i,
			     struct sub_counts *c)
{
	struct item *it = &x->it[i];
	int want = x->r[i].hash;
	size_t pos = ~(size_t)0;
	struct present *p = set_next(&x->ps, it->addr, it->len, &pos);
	enum sql_rc rc = SQL_OK;

	if (!p || (want >= 0 ? p->hash != want : p->hash > SUB_HASH_MAX)) {
		c->unchanged++;
		return SQL_OK;
	}
	for (; p && rc == SQL_OK; p = set_next(&x->ps, it->addr, it->len,
					       &pos)) {
		struct sql_value v = text(p->addr, p->len);

		p->gone = true;
		rc = sql_stmt_exec(x->conn, x->del, &v, NULL);
	}
	it->changed = true;
	c->changed++;
	return rc;
}

/* slog_values - the slog row of item i (edir and etype point at ch). */
static void slog_values(const struct sub_sql *x, size_t i, char ch[2],
			struct store_value out[S_NCOLS])
{
	const struct sub_request *r = &x->r[i];

	ch[0] = x->add ? '+' : '-';
	ch[1] = r->etype ? r->etype : ' ';
	out[S_TAI] = (struct store_value){ SV_TEXT, 0, x->tai,
					   strlen(x->tai) };
	out[S_ADDRESS] = (struct store_value){ SV_TEXT, 0, x->it[i].addr,
					       x->it[i].len };
	out[S_FROMLINE] = (struct store_value){ SV_TEXT, 0,
		r->fromline ? r->fromline : "", r->fromline ? r->fromlen : 0 };
	out[S_EDIR] = (struct store_value){ SV_TEXT, 0, &ch[0], 1 };
	out[S_ETYPE] = (struct store_value){ SV_TEXT, 0, &ch[1], 1 };
}

/* write_sql - the changes and their slog rows, in the open transaction. */
static enum sql_rc write_sql(struct sub_sql *x, struct sub_counts *c)
{
	enum sql_rc rc = load_present(x);

	if (rc == SQL_OK)
		rc = prepare(x);
	for (size_t i = 0; rc == SQL_OK && i < x->n; i++)
		rc = x->add ? sub_one(x, i, c) : unsub_one(x, i, c);
	for (size_t i = 0; rc == SQL_OK && i < x->n; i++) {
		struct store_value sv[S_NCOLS];
		struct sql_value v[S_NCOLS];
		char ch[2];

		if (!x->it[i].changed)
			continue;
		slog_values(x, i, ch, sv);
		for (int k = 0; k < S_NCOLS; k++)
			v[k] = msg_sql_value(&sv[k]);
		rc = sql_stmt_exec(x->conn, x->log, v, NULL);
	}
	return rc;
}

/* store_fn - the same rows into the store: table change, then slog. */
static enum store_rc store_fn(struct store_txn *txn, void *arg)
{
	struct sub_sql *x = arg;
	enum store_rc rc = STORE_OK;

	for (size_t i = 0; rc == STORE_OK && i < x->n; i++) {
		const struct item *it = &x->it[i];
		struct store_row row = { .nextra = 0 };
		struct store_filter f = { A_ADDRESS, { SV_TEXT, 0, it->addr,
						       it->len } };

		if (!it->changed)
			continue;
		row.col[A_HASH] = (struct store_value){ SV_INT, it->hash,
							NULL, 0 };
		row.col[A_ADDRESS] = f.v;
		row.col[A_DOMAIN] = (struct store_value){ SV_TEXT, 0, it->dom,
							  strlen(it->dom) };
		rc = x->add ? store_put_row(txn, x->table, &row)
			: store_del(txn, x->table, &f, 1, NULL);
	}
	for (size_t i = 0; rc == STORE_OK && i < x->n; i++) {
		struct store_value sv[S_NCOLS];
		struct store_assign a[S_NCOLS];
		char ch[2];

		if (!x->it[i].changed)
			continue;
		slog_values(x, i, ch, sv);
		for (int k = 0; k < S_NCOLS; k++)
			a[k] = (struct store_assign){ k, sv[k] };
		rc = store_set(txn, x->slog, a, S_NCOLS, NULL);
	}
	return rc;
}

/* list_present - does the store have the table?  0 or exit, reported. */
static int list_present(struct store *st, const char *table,
			const char *root)
{
	const struct reg_table *t;
	struct store_txn *txn;
	enum store_rc rc = store_read_begin(st, &txn);

	if (rc == STORE_OK) {
		rc = store_table_find(txn, table, &t);
		store_read_end(txn);
	}
	if (rc == STORE_NOTFOUND) {
		ops_error("no such list: %s", root);
		return RESULT_BADDATA;
	}
	return rc ? ops_store_fail(st, rc) : 0;
}

/* sub_sql_free - everything a run holds; the connection closed. */
static void sub_sql_free(struct sub_sql *x, char *arena)
{
	sql_stmt_free(x->conn, x->ins);
	sql_stmt_free(x->conn, x->del);
	sql_stmt_free(x->conn, x->log);
	sql_close(x->conn);
	set_free(&x->ps);
	free(x->it);
	free(arena);
}

/* store_after - the store's part once SQL committed. */
static int store_after(struct store *st, struct sub_sql *x,
		       const struct sub_counts *c)
{
	enum store_rc rc = c->changed > 1000
		? store_sub_reserve(st, c->changed) : STORE_OK;

	if (rc == STORE_OK)
		rc = store_write(st, store_fn, x, NULL);
	if (rc == STORE_OK)
		return 0;
	ops_error("%s: SQL has the change but the store failed (mq sync "
		  "--from-sql repairs it): %s", x->table, store_errmsg(st));
	return RESULT_INTERNAL;
}

/* list_sub_through_sql - see list_sql.h */
int list_sub_through_sql(struct store *st, const char *root,
			 enum sub_table which, bool add,
			 const struct sub_request *r, size_t n,
			 struct sub_counts *counts, size_t *failed,
			 char *err, size_t errlen)
{
	struct sub_sql x = { .add = add, .r = r, .n = n };
	size_t bytes = 1;
	char *arena;
	enum sql_rc rc;
	int ex;

	memset(counts, 0, sizeof(*counts));
	snprintf(x.table, sizeof(x.table), "%s%s", root,
		 sub_table_suffix(which));
	snprintf(x.slog, sizeof(x.slog), "%s_slog", x.table);
	for (size_t i = 0; i < n; i++)
		bytes += (r[i].len > SUB_ADDR_MAX ? 0 : r[i].len) + 1;
	x.it = calloc(n ? n : 1, sizeof(*x.it));
	x.arena = arena = malloc(bytes + SUB_ADDR_MAX + 1);
	ex = !x.it || !arena ? RESULT_INTERNAL : list_present(st, x.table, root);
	for (size_t i = 0; !ex && i < n; i++)
		if ((ex = check_request(&x, i, err, errlen)))
			*failed = i;
	if (!ex)
		ex = ops_sql_connect(NULL, &x.conn);
	if (ex) {
		sub_sql_free(&x, arena);
		return ex;
	}
	x.e = sql_conn_engine(x.conn);
	msg_sql_now(x.tai);
	rc = sql_begin(x.conn);
	if (rc == SQL_OK)
		rc = write_sql(&x, counts);
	if (rc == SQL_OK)
		rc = sql_commit(x.conn);
	if (rc) {
		ex = msg_sql_fail(x.conn, x.table, rc);
		sql_rollback(x.conn);
	} else
		ex = store_after(st, &x, counts);
	sub_sql_free(&x, arena);
	return ex;
}
