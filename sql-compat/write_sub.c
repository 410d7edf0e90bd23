/*
 * NAME
 *	write_sub.c - the SQL part of subscribe and unsubscribe
 * SYNOPSIS
 *	#include "sql-compat/write_int.h"
 * DESCRIPTION
 *	SQL decides, as store_sub() decides in the store: the addresses
 *	SQL holds are read first (those named by the requests, or the
 *	whole table for a bulk run), compared with ASCII case folded, and
 *	each request is then an insert, a delete of every variant in case
 *	or nothing, with ezmlm-idx's rules on special hashes.  The changes
 *	and one _slog row per row changed (its address as stored; one tai
 *	for the change, etype as requested) go
 *	into the batch's transaction; after the commit write_store_sub()
 *	puts the same rows into the store, so a sync from SQL finds
 *	nothing to do.
 * DIAGNOSTICS
 *	A bad request fails the batch before SQL is touched, out.failed
 *	its index.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sql-compat/write_int.h"

#define IN_BATCH	256	/* up to this many requests: look up by name */

/* Columns of an address table and of a _slog table (store/registry.c). */
enum { A_HASH, A_ADDRESS, A_DOMAIN, A_NCOLS };
enum { S_TAI, S_ADDRESS, S_FROMLINE, S_EDIR, S_ETYPE, S_NCOLS };

/* One address SQL holds, or that this run inserted. */
struct present {
	const char *addr;	/* NULL: a free slot */
	size_t	len;
	int	hash;
	bool	owned, gone;	/* addr malloc'ed; deleted in this run */
};

/* The addresses present, by their ASCII-folded form (open addressing). */
struct present_set {
	struct present *e;
	size_t	mask, used;
};

/* The state of one change's SQL part. */
struct sub_sql {
	struct sql_write *w;
	struct wchange *c;
	enum sql_engine e;
	char	table[SQL_TABLE_NAME_MAX], slog[SQL_TABLE_NAME_MAX];
	struct present_set ps;
	struct sql_stmt *ins, *del, *log;
	unsigned ins_absent, log_absent;	/* write_prepare_insert's */
	struct sync_cols logcols;	/* how the slog table holds tai */
};

/* fold_hash - FNV-1a of the bytes with ASCII case folded */
static size_t fold_hash(const char *s, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (uint64_t)store_ascii_lower((unsigned char)s[i])) *
			0x100000001b3ULL;
	return (size_t)h;
}

/* fold_eq - equal with ASCII case folded? */
static bool fold_eq(const char *a, size_t alen, const char *b, size_t blen)
{
	return alen == blen && store_ascii_caseeq(a, b, alen);
}

/* set_put - place p in a table with a free slot */
static void set_put(struct present_set *s, const struct present *p)
{
	size_t i = fold_hash(p->addr, p->len) & s->mask;

	while (s->e[i].addr)
		i = (i + 1) & s->mask;
	s->e[i] = *p;
	s->used++;
}

/* set_add - remember one present address; false without memory */
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

/* set_next - the next live entry for addr after slot *pos (start ~0) */
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

/* set_free - the table and the addresses it owns */
static void set_free(struct present_set *s)
{
	for (size_t i = 0; s->e && i <= s->mask; i++)
		if (s->e[i].owned)
			free((char *)s->e[i].addr);
	free(s->e);
}

/* check_one - request i into item i (address as stored at *arena) */
static enum result_kind check_one(struct sql_write *w, struct wchange *c,
				  size_t i, char **arena)
{
	const struct sub_request *r = &c->req[i];
	struct witem *it = &c->items[i];
	char err[512];

	if (r->len > SUB_ADDR_MAX)
		snprintf(err, sizeof(err), "%.40s...: address longer than %d "
			 "bytes", r->addr, SUB_ADDR_MAX);
	else if (sub_address(r->addr, r->len, *arena, &it->len, err,
			     sizeof(err)) == STORE_OK) {
		if (r->hash >= -1 && r->hash <= SUB_HASH_LIMIT &&
		    (!r->fromline || (r->fromlen <= SUB_ADDR_MAX &&
				      !memchr(r->fromline, 0, r->fromlen)))) {
			it->addr = *arena;
			it->hash = r->hash >= 0 ? r->hash
				: (int)sub_hash(it->addr, it->len);
			sub_domain(it->addr, it->len, it->dom);
			*arena += it->len + 1;
			return RESULT_OK;
		}
		snprintf(err, sizeof(err), "%s: hash not 0..%d, or a from "
			 "line longer than %d bytes or with a NUL byte",
			 *arena, SUB_HASH_LIMIT, SUB_ADDR_MAX);
	}
	c->out.failed = i;
	return write_fail(w, RESULT_BADDATA, "%s", err);
}

/* write_sub_check - see write_int.h */
enum result_kind write_sub_check(struct sql_write *w, struct wchange *c)
{
	enum result_kind r = RESULT_OK;
	size_t bytes = SUB_ADDR_MAX + 1;
	char *arena;

	for (size_t i = 0; i < c->nreq; i++)
		bytes += (c->req[i].len > SUB_ADDR_MAX ? 0 : c->req[i].len) +
			1;
	c->items = calloc(c->nreq ? c->nreq : 1, sizeof(*c->items));
	c->mem = arena = malloc(bytes);
	if (!c->items || !arena)
		return write_fail(w, RESULT_INTERNAL, "out of memory");
	for (size_t i = 0; i < c->nreq && !r; i++)
		r = check_one(w, c, i, &arena);
	return r;
}

/* select_present - "SELECT hash, address FROM T" [for the requests] */
static void select_present(struct sql_buf *b, const struct sub_sql *x,
			   bool all)
{
	bool fn = !x->w->conn->driver->fold_collation;

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
	for (size_t i = 0; i < x->c->nreq; i++)
		sql_buf_add(b, "%s%s", i ? ", " : "", fn ? "lower(?)" : "?");
	sql_buf_add(b, ")");
}

/* present_row - one selected row into the set */
static enum sql_rc present_row(struct sub_sql *x, const struct sql_value *v,
			       size_t nv)
{
	struct present p = { .owned = true };
	char *a;

	if (nv != 2 || v[1].type != SQL_TEXT || v[0].type == SQL_NULL)
		return sql_conn_fail(x->w->conn, SQL_BADDATA, x->table,
				     "hash or address is NULL");
	p.hash = atoi(v[0].p);
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

/* load_present - what SQL holds of the requests' addresses */
static enum sql_rc load_present(struct sub_sql *x)
{
	struct sql_conn *conn = x->w->conn;
	struct sql_buf b = SQL_BUF_INIT;
	struct sql_value *p = NULL;
	struct sql_rows *rows = NULL;
	const struct sql_value *v;
	size_t n = x->c->nreq, nv;
	bool all = n > IN_BATCH;
	enum sql_rc rc = SQL_OK;

	if (!all && !(p = calloc(n + 1, sizeof(*p))))
		return SQL_INTERNAL;
	for (size_t i = 0; !all && i < n; i++)
		p[i] = (struct sql_value){ SQL_TEXT, 0, x->c->items[i].addr,
					   x->c->items[i].len };
	select_present(&b, x, all);
	rc = b.oom ? SQL_INTERNAL
		: sql_exec(conn, b.p, p, all ? 0 : n, &rows, NULL);
	while (rc == SQL_OK &&
	       (rc = sql_rows_next(conn, rows, &v, &nv)) == SQL_OK)
		rc = present_row(x, v, nv);
	sql_rows_free(conn, rows);
	sql_buf_free(&b);
	free(p);
	return rc == SQL_END ? SQL_OK : rc;
}

/*
 * log_columns - how SQL's slog table holds its columns (ezmlm's SQLite
 *	tai is INTEGER seconds).  A catalog that cannot be read leaves
 *	mq's own forms: the INSERT then says what is wrong.
 */
static void log_columns(struct sub_sql *x, const struct reg_table *slog)
{
	struct sync_name tn = { .t = slog };
	char err[SQL_SYNC_ERR_MAX];

	snprintf(tn.name, sizeof(tn.name), "%s", x->slog);
	if (sync_columns(x->w->conn, &tn, 0, &x->logcols, err, sizeof(err)))
		memset(&x->logcols, 0, sizeof(x->logcols));
}

/* prepare - the INSERT and DELETE of the table and the slog INSERT */
static enum sql_rc prepare(struct sub_sql *x)
{
	struct sql_buf b = SQL_BUF_INIT;
	char root[REG_NAME_MAX];
	const struct reg_table *slog = reg_list_split(x->slog, root,
						      sizeof(root));
	size_t n;
	enum sql_rc rc = write_prepare_insert(x->w->conn, x->table, x->c->t,
					      &x->ins_absent, &x->ins);

	if (rc == SQL_OK)
		rc = write_prepare_insert(x->w->conn, x->slog, slog,
					  &x->log_absent, &x->log);
	if (rc == SQL_OK)
		log_columns(x, slog);
	sql_buf_add(&b, "DELETE FROM ");
	sql_buf_ident(&b, x->e, x->table);
	sql_buf_add(&b, " WHERE ");
	n = sync_where_eq(&b, x->w->conn->driver,
			  &x->c->t->cols[A_ADDRESS]);
	if (rc == SQL_OK)
		rc = b.oom ? SQL_INTERNAL : sql_prepare(x->w->conn, b.p, n,
							 &x->del);
	sql_buf_free(&b);
	return rc;
}

/* text - a bound text parameter */
static struct sql_value text(const char *s, size_t len)
{
	return (struct sql_value){ SQL_TEXT, 0, s, len };
}

/* sub_one - request i against what SQL holds: insert or leave it */
static enum sql_rc sub_one(struct sub_sql *x, size_t i)
{
	struct witem *it = &x->c->items[i];
	struct sub_counts *n = &x->c->out.counts;
	size_t pos = ~(size_t)0;
	struct present *p = set_next(&x->ps, it->addr, it->len, &pos);
	struct sql_value v[A_NCOLS] = {
		{ SQL_INT, it->hash, NULL, 0 }, text(it->addr, it->len),
		text(it->dom, strlen(it->dom)) };

	if (p && x->c->req[i].hash < 0 && p->hash > SUB_HASH_MAX) {
		n->blocked++;
		return SQL_OK;
	}
	if (p) {
		n->unchanged++;
		return SQL_OK;
	}
	if (!set_add(&x->ps, &(struct present){ it->addr, it->len, it->hash,
						false, false }))
		return SQL_INTERNAL;
	it->changed = true;
	n->changed++;
	write_present(v, x->c->t, x->ins_absent);
	return sql_stmt_exec(x->w->conn, x->ins, v, NULL);
}

/* gone_add - note a removed row's address, as stored, for its slog row */
static bool gone_add(struct witem *it, const char *addr, size_t len)
{
	char *p = realloc(it->gone, it->gone_len + len + 1);

	if (!p)
		return false;
	memcpy(p + it->gone_len, addr, len);
	p[it->gone_len + len] = 0;
	it->gone = p;
	it->gone_len += len + 1;
	return true;
}

/*
 * unsub_one - request i: delete every variant SQL holds of it whose hash
 *	allows it (a blocked one only by its own hash), each noted as
 *	stored for its slog row.
 */
static enum sql_rc unsub_one(struct sub_sql *x, size_t i)
{
	struct witem *it = &x->c->items[i];
	struct sub_counts *n = &x->c->out.counts;
	int want = x->c->req[i].hash;
	size_t pos = ~(size_t)0;
	struct present *p;
	enum sql_rc rc = SQL_OK;

	while (rc == SQL_OK &&
	       (p = set_next(&x->ps, it->addr, it->len, &pos))) {
		struct sql_value v[2] = { text(p->addr, p->len),
					  text(p->addr, p->len) };

		if (p->gone || (want >= 0 ? p->hash != want
				: p->hash > SUB_HASH_MAX))
			continue;
		p->gone = true;
		if (!gone_add(it, p->addr, p->len))
			return SQL_INTERNAL;
		rc = sql_stmt_exec(x->w->conn, x->del, v, NULL);
	}
	if (it->gone_len == 0) {
		n->unchanged++;
		return rc;
	}
	it->changed = true;
	n->changed++;
	return rc;
}

/*
 * logged_next - the address of item i's next slog row after prev (NULL:
 *	the first); NULL after the last.  An added address has one; an
 *	unsubscribe one per row removed, with its address as stored.
 */
static const char *logged_next(const struct wchange *c, size_t i,
			       const char *prev, size_t *len)
{
	const struct witem *it = &c->items[i];
	const char *next;

	if (c->add) {
		*len = it->len;
		return prev ? NULL : it->addr;
	}
	next = prev ? prev + *len + 1 : it->gone;
	if (!next || next >= it->gone + it->gone_len)
		return NULL;
	*len = strlen(next);
	return next;
}

/* slog_values - a slog row of item i for addr (edir, etype point at ch) */
static void slog_values(const struct wchange *c, size_t i, const char *addr,
			size_t len, char ch[2], struct store_value out[S_NCOLS])
{
	const struct sub_request *r = &c->req[i];

	ch[0] = c->add ? '+' : '-';
	ch[1] = r->etype ? r->etype : ' ';
	out[S_TAI] = (struct store_value){ SV_TEXT, 0, c->now,
					   strlen(c->now) };
	out[S_ADDRESS] = (struct store_value){ SV_TEXT, 0, addr, len };
	out[S_FROMLINE] = (struct store_value){ SV_TEXT, 0,
		r->fromline ? r->fromline : "", r->fromline ? r->fromlen : 0 };
	out[S_EDIR] = (struct store_value){ SV_TEXT, 0, &ch[0], 1 };
	out[S_ETYPE] = (struct store_value){ SV_TEXT, 0, &ch[1], 1 };
}

/* sub_rows - the changes and their slog rows, in the open transaction */
static enum sql_rc sub_rows(struct sub_sql *x)
{
	struct wchange *c = x->c;
	enum sql_rc rc = load_present(x);

	if (rc == SQL_OK)
		rc = prepare(x);
	for (size_t i = 0; rc == SQL_OK && i < c->nreq; i++)
		rc = c->add ? sub_one(x, i) : unsub_one(x, i);
	for (size_t i = 0; rc == SQL_OK && i < c->nreq; i++) {
		struct store_value sv[S_NCOLS];
		struct sql_value v[S_NCOLS];
		const char *a = NULL;
		size_t len = 0;
		char ch[2];

		while (rc == SQL_OK && c->items[i].changed &&
		       (a = logged_next(c, i, a, &len))) {
			slog_values(c, i, a, len, ch, sv);
			for (int k = 0; k < S_NCOLS; k++)
				v[k] = sync_param_col(&x->logcols, k, &sv[k]);
			rc = sql_stmt_exec(x->w->conn, x->log, v, NULL);
		}
	}
	return rc;
}

/* write_sql_sub - see write_int.h */
enum result_kind write_sql_sub(struct sql_write *w, struct wchange *c)
{
	struct sub_sql x = { .w = w, .c = c, .e = w->conn->driver->engine };
	enum sql_rc rc;

	c->out.counts = (struct sub_counts){ 0 };
	snprintf(x.table, sizeof(x.table), "%.*s%s", REG_NAME_MAX, c->name,
		 sub_table_suffix(c->which));
	snprintf(x.slog, sizeof(x.slog), "%.*s%s_slog", REG_NAME_MAX,
		 c->name, sub_table_suffix(c->which));
	write_now(c->now);
	rc = sub_rows(&x);
	sql_stmt_free(w->conn, x.ins);
	sql_stmt_free(w->conn, x.del);
	sql_stmt_free(w->conn, x.log);
	set_free(&x.ps);
	return rc ? write_sql_fail(w, rc) : RESULT_OK;
}

/* store_item - item i's row into the store, or the rows SQL removed out */
static enum store_rc store_item(struct store_txn *txn, const char *table,
				const struct wchange *c, size_t i)
{
	const struct witem *it = &c->items[i];
	struct store_row row = { .nextra = 0 };
	struct store_filter f = { A_ADDRESS, { SV_TEXT, 0, it->addr,
					       it->len } };
	enum store_rc rc = STORE_OK;
	const char *a = NULL;

	while (!c->add && rc == STORE_OK &&
	       (a = logged_next(c, i, a, &f.v.len))) {
		f.v.s = a;
		rc = store_del(txn, table, &f, 1, NULL);
	}
	if (!c->add)
		return rc;
	row.col[A_HASH] = (struct store_value){ SV_INT, it->hash, NULL, 0 };
	row.col[A_ADDRESS] = f.v;
	row.col[A_DOMAIN] = (struct store_value){ SV_TEXT, 0, it->dom,
						  strlen(it->dom) };
	return store_put_row(txn, table, &row);
}

/* write_store_sub - see write_int.h: table changes, then slog rows */
enum store_rc write_store_sub(struct store_txn *txn, struct wchange *c)
{
	char table[SQL_TABLE_NAME_MAX], slog[SQL_TABLE_NAME_MAX];
	enum store_rc rc = STORE_OK;

	snprintf(table, sizeof(table), "%.*s%s", REG_NAME_MAX, c->name,
		 sub_table_suffix(c->which));
	snprintf(slog, sizeof(slog), "%.*s%s_slog", REG_NAME_MAX, c->name,
		 sub_table_suffix(c->which));
	for (size_t i = 0; rc == STORE_OK && i < c->nreq; i++)
		if (c->items[i].changed)
			rc = store_item(txn, table, c, i);
	for (size_t i = 0; rc == STORE_OK && i < c->nreq; i++) {
		struct store_value sv[S_NCOLS];
		struct store_assign a[S_NCOLS];
		const char *addr = NULL;
		size_t len = 0;
		char ch[2];

		while (rc == STORE_OK && c->items[i].changed &&
		       (addr = logged_next(c, i, addr, &len))) {
			slog_values(c, i, addr, len, ch, sv);
			for (int k = 0; k < S_NCOLS; k++)
				a[k] = (struct store_assign){ k, sv[k] };
			rc = store_set(txn, slog, a, S_NCOLS, NULL);
		}
	}
	return rc;
}
