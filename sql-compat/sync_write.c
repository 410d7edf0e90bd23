/*
 * NAME
 *	sync_write.c - mq set / mq del with SQL authoritative
 * SYNOPSIS
 *	#include "sql-compat/sync.h"
 *
 *	ex = sql_write_set(conn, st, "capacity", cols, n, &id, err, len);
 *	ex = sql_write_del(conn, st, "capacity", filters, n, &n, err, len);
 * DESCRIPTION
 *	The row is written to SQL first, in one SQL transaction: an
 *	update when the whole key is given and the row exists, else an
 *	insert in which SQL allocates a missing auto-increment id and
 *	applies its defaults.  The complete row is read back in the same
 *	transaction; after the commit that row is put into the store, so
 *	the store holds exactly what SQL holds.  Keyless (_slog) rows
 *	cannot be read back by key: the store gets the same assignments.
 *	A delete runs in SQL, then with the same conditions in the store.
 * DIAGNOSTICS
 *	When SQL fails nothing changed anywhere (exit 75 when the server
 *	is unreachable).  When the store fails after SQL committed, the
 *	message says so and that mq sync --from-sql repairs it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sql-compat/sync_int.h"

struct wctx {
	struct sql_conn *conn;
	enum sql_engine engine;
	struct sync_name tn;
	struct sync_cols cols;
	char *err;
	size_t errlen;
};

/* fail - the connection's failure into the caller's message */
static int fail(struct wctx *w, enum sql_rc rc)
{
	return sync_sql_fail(w->conn, rc, w->err, w->errlen);
}

/* where_cols - " WHERE c = ? AND d IS NULL ..." for the conditions. */
static void where_cols(struct sql_buf *b, struct wctx *w,
		       const struct sql_write_col *f, int nf,
		       struct sql_value *p, size_t *np)
{
	for (int i = 0; i < nf; i++) {
		const struct reg_column *c = &w->tn.t->cols[f[i].col];
		bool lower = (c->flags & REG_FOLD) &&
			w->engine != SQL_ENGINE_MYSQL;

		sql_buf_add(b, i ? " AND " : " WHERE ");
		sql_buf_add(b, lower ? "lower(" : "");
		sql_buf_ident(b, w->engine, c->name);
		if (f[i].v.kind == SV_NULL) {
			sql_buf_add(b, " IS NULL");
			continue;
		}
		sql_buf_add(b, lower ? ") = lower(?)" : " = ?");
		p[(*np)++] = sync_param(&f[i].v);
	}
}

/* query - run a statement; with rows wanted, the first row's columns. */
static enum sql_rc query(struct wctx *w, const struct sql_buf *b,
			 const struct sql_value *p, size_t np,
			 struct sql_rows **rows, const struct sql_value **v,
			 size_t *n)
{
	enum sql_rc rc;

	if (b->oom)
		return SQL_INTERNAL;
	rc = sql_exec(w->conn, b->p, p, np, rows, NULL);
	if (rc == SQL_OK && rows)
		rc = sql_rows_next(w->conn, *rows, v, n);
	return rc;
}

/* key_filters - the key columns among a as conditions; false: not all. */
static bool key_filters(const struct reg_table *t,
			const struct sql_write_col *a,
			int na, struct sql_write_col *k)
{
	for (int i = 0; i < t->nkey; i++) {
		int j;

		for (j = 0; j < na && a[j].col != t->key[i]; j++)
			;
		if (j == na)
			return false;
		k[i] = a[j];
	}
	return t->nkey > 0;
}

/* row_exists - does SQL have a row with this key? */
static enum sql_rc row_exists(struct wctx *w, const struct sql_write_col *k,
			      bool *exists)
{
	struct sql_buf b = SQL_BUF_INIT;
	struct sql_value p[REG_MAX_KEY];
	struct sql_rows *rows = NULL;
	const struct sql_value *v;
	size_t np = 0, n;
	enum sql_rc rc;

	sql_buf_add(&b, "SELECT 1 FROM ");
	sql_buf_ident(&b, w->engine, w->tn.name);
	where_cols(&b, w, k, w->tn.t->nkey, p, &np);
	rc = query(w, &b, p, np, &rows, &v, &n);
	sql_rows_free(w->conn, rows);
	sql_buf_free(&b);
	*exists = rc == SQL_OK;
	return rc == SQL_END ? SQL_OK : rc;
}

/* update - "UPDATE t SET given = ? WHERE key" */
static enum sql_rc update(struct wctx *w, const struct sql_write_col *a,
			  int na, const struct sql_write_col *k)
{
	struct sql_buf b = SQL_BUF_INIT;
	struct sql_value p[2 * REG_MAX_COLS];
	size_t np = 0;
	enum sql_rc rc;

	sql_buf_add(&b, "UPDATE ");
	sql_buf_ident(&b, w->engine, w->tn.name);
	for (int i = 0; i < na; i++) {
		sql_buf_add(&b, np ? ", " : " SET ");
		sql_buf_ident(&b, w->engine, w->tn.t->cols[a[i].col].name);
		sql_buf_add(&b, " = ?");
		p[np++] = sync_param(&a[i].v);
	}
	where_cols(&b, w, k, w->tn.t->nkey, p, &np);
	rc = query(w, &b, p, np, NULL, NULL, NULL);
	sql_buf_free(&b);
	return rc;
}

/* new_id - the id SQL allocated in the INSERT just run. */
static enum sql_rc new_id(struct wctx *w, struct sql_rows **rows,
			  int64_t *id)
{
	static const char *const q[] = {
		[SQL_ENGINE_SQLITE] = "SELECT last_insert_rowid()",
		[SQL_ENGINE_MYSQL] = "SELECT LAST_INSERT_ID()",
	};
	const struct sql_value *v;
	size_t n;
	enum sql_rc rc = SQL_OK;

	if (!*rows)
		rc = sql_exec(w->conn, q[w->engine], NULL, 0, rows, NULL);
	if (rc == SQL_OK)
		rc = sql_rows_next(w->conn, *rows, &v, &n);
	if (rc == SQL_OK && (n != 1 || v[0].type != SQL_TEXT))
		rc = sql_conn_fail(w->conn, SQL_INTERNAL, "insert",
				   "no id returned");
	if (rc == SQL_OK)
		*id = strtoll(v[0].p, NULL, 10);
	return rc == SQL_END ? SQL_INTERNAL : rc;
}

/* insert - "INSERT INTO t (given) VALUES (?)"; *id the allocated id. */
static enum sql_rc insert(struct wctx *w, const struct sql_write_col *a,
			  int na, bool want_id, int64_t *id)
{
	const struct reg_table *t = w->tn.t;
	struct sql_buf b = SQL_BUF_INIT;
	struct sql_value p[REG_MAX_COLS];
	struct sql_rows *rows = NULL;
	enum sql_rc rc;

	sql_buf_add(&b, "INSERT INTO ");
	sql_buf_ident(&b, w->engine, w->tn.name);
	for (int i = 0; i < na; i++) {
		sql_buf_add(&b, i ? ", " : " (");
		sql_buf_ident(&b, w->engine, t->cols[a[i].col].name);
		p[i] = sync_param(&a[i].v);
	}
	sql_buf_add(&b, na ? ") VALUES (" : w->engine == SQL_ENGINE_MYSQL
		    ? " () VALUES (" : " DEFAULT VALUES");
	for (int i = 0; i < na; i++)
		sql_buf_add(&b, i ? ", ?" : "?");
	sql_buf_add(&b, na || w->engine == SQL_ENGINE_MYSQL ? ")" : "");
	if (want_id && w->engine == SQL_ENGINE_PGSQL) {
		sql_buf_add(&b, " RETURNING ");
		sql_buf_ident(&b, w->engine, t->cols[t->key[0]].name);
	}
	rc = b.oom ? SQL_INTERNAL : sql_exec(w->conn, b.p, p, (size_t)na,
		want_id && w->engine == SQL_ENGINE_PGSQL ? &rows : NULL, NULL);
	if (rc == SQL_OK && want_id)
		rc = new_id(w, &rows, id);
	sql_rows_free(w->conn, rows);
	sql_buf_free(&b);
	return rc;
}

struct put_row {
	const char *table;
	const struct store_row *row;
	const struct store_assign *a;
	int na;
};

/* put_fn - the store's write: the row SQL holds, or the assignments */
static enum store_rc put_fn(struct store_txn *txn, void *arg)
{
	struct put_row *p = arg;

	if (p->row)
		return store_put_row(txn, p->table, p->row);
	return store_set(txn, p->table, p->a, p->na, NULL);
}

/* store_after - the store's part, once SQL has committed. */
static int store_after(struct store *st, struct wctx *w,
		       struct put_row *p)
{
	enum store_rc rc = store_write(st, put_fn, p, NULL);

	if (!rc)
		return 0;
	snprintf(w->err, w->errlen, "SQL has the change but the store "
		 "failed (mq sync --from-sql repairs it): %s",
		 store_errmsg(st));
	return RESULT_INTERNAL;
}

/*
 * row_own - copy the texts of row into one new block (*mem, to free),
 *	so the row outlives the SQL result (MySQL cannot commit while a
 *	result is open).
 */
static bool row_own(const struct reg_table *t, struct store_row *row,
		    char **mem)
{
	size_t bytes = 1;
	char *p;

	for (int i = 0; i < t->ncols; i++)
		bytes += row->col[i].kind == SV_TEXT ? row->col[i].len : 0;
	for (int i = 0; i < row->nextra; i++)
		bytes += row->extra[i].namelen + (row->extra[i].v.kind ==
						  SV_TEXT ? row->extra[i].v.len
						  : 0);
	if (!(*mem = p = malloc(bytes)))
		return false;
	for (int i = 0; i < t->ncols; i++)
		if (row->col[i].kind == SV_TEXT) {
			memcpy(p, row->col[i].s, row->col[i].len);
			row->col[i].s = p;
			p += row->col[i].len;
		}
	for (int i = 0; i < row->nextra; i++) {
		struct store_extra *x = &row->extra[i];

		memcpy(p, x->name, x->namelen);
		x->name = p;
		p += x->namelen;
		if (x->v.kind == SV_TEXT) {
			memcpy(p, x->v.s, x->v.len);
			x->v.s = p;
			p += x->v.len;
		}
	}
	return true;
}

/* read_back - the complete row with key k, as SQL holds it, copied. */
static int read_back(struct wctx *w, const struct sql_write_col *k,
		     char **mem, struct store_row *row)
{
	struct sql_buf b = SQL_BUF_INIT;
	struct sql_value p[REG_MAX_KEY];
	const struct sql_value *v;
	struct sql_rows *rows = NULL;
	size_t np = 0, n;
	enum sql_rc rc;
	int ex;

	sync_select(&b, w->engine, &w->tn, &w->cols);
	if (!b.oom) {	/* the SELECT ends in ORDER BY: cut it off */
		char *o = strstr(b.p, " ORDER BY ");
		if (o)
			*o = 0, b.len = (size_t)(o - b.p);
	}
	where_cols(&b, w, k, w->tn.t->nkey, p, &np);
	rc = query(w, &b, p, np, &rows, &v, &n);
	sql_buf_free(&b);
	if (rc == SQL_END)
		rc = sql_conn_fail(w->conn, SQL_INTERNAL, "read back",
				   "the row written is not there");
	ex = rc ? fail(w, rc) : sync_row_parse(&w->tn, &w->cols, v, n, row,
					       w->err, w->errlen);
	if (!ex && !row_own(w->tn.t, row, mem)) {
		snprintf(w->err, w->errlen, "out of memory");
		ex = RESULT_INTERNAL;
	}
	sql_rows_free(w->conn, rows);
	return ex;
}

/* write_sql - the SQL part of a set; a keyed row is read back into row. */
static int write_sql(struct wctx *w, const struct sql_write_col *a, int na,
		     int64_t *id, char **mem, struct store_row *row)
{
	const struct reg_table *t = w->tn.t;
	struct sql_write_col k[REG_MAX_KEY];
	bool all_key = key_filters(t, a, na, k), exists = false;
	bool autoid = t->nkey == 1 && (t->cols[t->key[0]].flags & REG_AUTO);
	enum sql_rc rc = SQL_OK;
	int ex;

	if (t->nkey && !all_key && !autoid) {
		snprintf(w->err, w->errlen, "%s: give the key column%s",
			 w->tn.name, t->nkey > 1 ? "s" : "");
		return RESULT_BADDATA;
	}
	if (all_key)
		rc = row_exists(w, k, &exists);
	if (!rc && exists)
		rc = na > t->nkey ? update(w, a, na, k) : SQL_OK;
	else if (!rc && autoid && !all_key &&
		 (ex = sync_pg_sequence(w->conn, &w->tn, w->err, w->errlen)))
		return ex;
	if (!rc && !exists)
		rc = insert(w, a, na, autoid && !all_key, id);
	if (rc)
		return fail(w, rc);
	if (t->nkey == 0)
		return 0;
	if (!all_key) {
		k[0] = (struct sql_write_col){ t->key[0],
			{ .kind = SV_INT, .i = *id } };
	}
	ex = read_back(w, k, mem, row);
	return ex;
}

/* wctx_init - the table's registry entry and SQL columns */
static int wctx_init(struct wctx *w, struct sql_conn *conn, struct store *st,
		     const char *table, unsigned flags, char *err,
		     size_t errlen)
{
	struct store_txn *txn;
	enum store_rc rc;

	*w = (struct wctx){ .conn = conn, .engine = sql_conn_engine(conn),
			    .err = err, .errlen = errlen };
	snprintf(w->tn.name, sizeof(w->tn.name), "%s", table);
	if ((rc = store_read_begin(st, &txn)))
		return sync_store_fail(st, rc, err, errlen);
	rc = store_table_find(txn, table, &w->tn.t);
	store_read_end(txn);
	if (rc)
		return sync_store_fail(st, rc, err, errlen);
	return sync_columns(conn, &w->tn, flags, &w->cols, err, errlen);
}

/*
 * with_defaults - a keyless row cannot be read back: complete it with
 *	the registry defaults here, so SQL and the store get equal rows.
 */
static int with_defaults(const struct reg_table *t,
			 const struct sql_write_col *a, int na,
			 struct sql_write_col *out, char now[32])
{
	time_t tt = time(NULL);
	struct tm tm;
	int n = na;

	gmtime_r(&tt, &tm);
	strftime(now, 32, "%Y-%m-%d %H:%M:%S", &tm);
	memcpy(out, a, (size_t)na * sizeof(*a));
	for (int c = 0; c < t->ncols; c++) {
		const char *d = t->cols[c].dflt;
		bool given = false;

		for (int i = 0; i < na; i++)
			given = given || a[i].col == c;
		if (given || !d)
			continue;
		out[n].col = c;
		if (t->cols[c].type == REG_INT)
			out[n].v = (struct store_value){ .kind = SV_INT,
							 .i = strtoll(d, NULL,
								      10) };
		else {
			if (t->cols[c].type == REG_TIME && !strcmp(d, "now"))
				d = now;
			out[n].v = (struct store_value){ .kind = SV_TEXT,
							 .s = d,
							 .len = strlen(d) };
		}
		n++;
	}
	return n;
}

/* sql_write_set - see sync.h */
enum result_kind sql_write_set(struct sql_conn *conn, struct store *st,
		      unsigned flags, const char *table,
		      const struct sql_write_col *a, int na, int64_t *id_out,
		      char *err, size_t errlen)
{
	struct store_assign sa[REG_MAX_COLS];
	struct sql_write_col full[REG_MAX_COLS];
	char now[32], *mem = NULL;
	struct store_row row;
	struct put_row p = { table, NULL, sa, na };
	struct wctx w;
	enum sql_rc rc;
	int ex = wctx_init(&w, conn, st, table, flags, err,
			   errlen);

	*id_out = 0;
	if (ex)
		return ex;
	if (w.tn.t->nkey == 0) {
		na = with_defaults(w.tn.t, a, na, full, now);
		a = full;
	}
	if ((rc = sql_begin(conn)))
		return fail(&w, rc);
	ex = write_sql(&w, a, na, id_out, &mem, &row);
	if (!ex && (rc = sql_commit(conn)))
		ex = fail(&w, rc);
	if (ex) {
		free(mem);
		sql_rollback(conn);
		return ex;
	}
	for (int i = 0; i < na; i++)
		sa[i] = (struct store_assign){ a[i].col, a[i].v };
	if (w.tn.t->nkey)
		p.row = &row;
	ex = store_after(st, &w, &p);
	free(mem);
	return ex;
}

struct del_rows {
	const char *table;
	struct store_filter f[REG_MAX_COLS];
	int nf;
};

/* del_fn - the store's delete with the same conditions */
static enum store_rc del_fn(struct store_txn *txn, void *arg)
{
	struct del_rows *d = arg;

	return store_del(txn, d->table, d->f, d->nf, NULL);
}

/* sql_write_del - see sync.h */
enum result_kind sql_write_del(struct sql_conn *conn, struct store *st,
		      unsigned flags, const char *table,
		      const struct sql_write_col *f, int nf, uint64_t *n_out,
		      char *err, size_t errlen)
{
	struct sql_buf b = SQL_BUF_INIT;
	struct sql_value p[REG_MAX_COLS];
	struct del_rows d = { .table = table, .nf = nf };
	struct wctx w;
	enum store_rc src;
	enum sql_rc rc;
	size_t np = 0;
	int ex = wctx_init(&w, conn, st, table, flags, err,
			   errlen);

	*n_out = 0;
	if (ex)
		return ex;
	sql_buf_add(&b, "DELETE FROM ");
	sql_buf_ident(&b, w.engine, table);
	where_cols(&b, &w, f, nf, p, &np);
	rc = b.oom ? SQL_INTERNAL : sql_begin(conn);
	if (!rc)
		rc = sql_exec(conn, b.p, p, np, NULL, n_out);
	if (!rc)
		rc = sql_commit(conn);
	sql_buf_free(&b);
	if (rc) {
		sql_rollback(conn);
		return fail(&w, rc);
	}
	for (int i = 0; i < nf; i++)
		d.f[i] = (struct store_filter){ f[i].col, f[i].v };
	if ((src = store_write(st, del_fn, &d, NULL))) {
		snprintf(err, errlen, "SQL has the change but the store "
			 "failed (mq sync --from-sql repairs it): %s",
			 store_errmsg(st));
		return RESULT_INTERNAL;
	}
	return 0;
}
