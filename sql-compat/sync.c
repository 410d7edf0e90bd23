/*
 * NAME
 *	sync.c - mq sync --from-sql: make the store equal to SQL
 * SYNOPSIS
 *	#include "sql-compat/sync.h"
 *
 *	ex = sql_sync_from(conn, st, flags, &res);
 * DESCRIPTION
 *	The catalog is read first (lists, then every table's columns), so
 *	a missing table or column fails before the store is touched.
 *	Then, inside one read-only SQL transaction (one snapshot of every
 *	table) and one LMDB write transaction, each table is
 *	selected in key order and streamed into store_apply_table(): the
 *	rows are never all in memory.  Also the helpers the other sync
 *	files share (sync_int.h).
 * DIAGNOSTICS
 *	See sync.h.  A failure of SQL in the middle aborts the LMDB
 *	transaction: the store stays as it was.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sql-compat/sync_int.h"

/* sync_names - see sync_int.h */
struct sync_name *sync_names(const char *const *roots, size_t nroots,
			     size_t *n)
{
	size_t nm = 0, nl = 0, k = 0;
	struct sync_name *a;

	while (reg_mailerq[nm])
		nm++;
	while (reg_list[nl])
		nl++;
	*n = nm + nroots * nl;
	if (!(a = calloc(*n ? *n : 1, sizeof(*a))))
		return NULL;
	for (size_t i = 0; i < nm; i++, k++) {
		snprintf(a[k].name, sizeof(a[k].name), "%s",
			 reg_mailerq[i]->name);
		a[k].t = reg_mailerq[i];
	}
	for (size_t r = 0; r < nroots; r++)
		for (size_t i = 0; i < nl; i++, k++) {
			snprintf(a[k].name, sizeof(a[k].name), "%s%s",
				 roots[r], reg_list[i]->name);
			a[k].t = reg_list[i];
		}
	return a;
}

/* sync_sql_fail - see sync_int.h */
int	sync_sql_fail(struct sql_conn *conn, enum sql_rc rc, char *err,
		      size_t errlen)
{
	snprintf(err, errlen, "%s", *sql_errmsg(conn) ? sql_errmsg(conn)
		 : sql_strerror(rc));
	return sql_rc_kind(rc);
}

/* sync_store_fail - see sync_int.h */
int	sync_store_fail(struct store *st, enum store_rc rc, char *err,
			size_t errlen)
{
	snprintf(err, errlen, "%s", *store_errmsg(st) ? store_errmsg(st)
		 : store_strerror(rc));
	return rc == STORE_BADDATA || rc == STORE_NOTFOUND ||
		rc == STORE_EXISTS || rc == STORE_CORRUPT
		? RESULT_BADDATA : RESULT_INTERNAL;
}

/* sync_param - see sync_int.h */
struct sql_value sync_param(const struct store_value *v)
{
	struct sql_value p = { .type = SQL_NULL };

	if (v->kind == SV_INT) {
		p.type = SQL_INT;
		p.i = v->i;
	} else if (v->kind == SV_TEXT) {
		p.type = SQL_TEXT;
		p.p = v->len ? v->s : "";
		p.len = v->len;
	}
	return p;
}

/* The columns SQL lists for one table. */
struct col_names {
	const struct reg_table *t;
	bool have[REG_MAX_COLS];
	int ncols;
	struct sync_cols *out;
	bool keep_extra, too_many;
};

/* note_column - sql_list_columns callback: registry column or extra */
static int note_column(void *ctx, const struct sql_column_info *ci)
{
	struct col_names *c = ctx;
	int i = reg_column_index(c->t, ci->name);

	c->ncols++;
	if (i >= 0) {
		c->have[i] = true;
		return 0;
	}
	if (!c->keep_extra)
		return 0;
	if (c->out->nextra == STORE_MAX_EXTRA ||
	    strlen(ci->name) >= REG_NAME_MAX) {
		c->too_many = true;
		return 1;
	}
	snprintf(c->out->extra[c->out->nextra++], REG_NAME_MAX, "%s",
		 ci->name);
	return 0;
}

/* sync_columns - see sync_int.h */
int	sync_columns(struct sql_conn *conn, const struct sync_name *tn,
		     unsigned flags, struct sync_cols *cols, char *err,
		     size_t errlen)
{
	struct col_names c = { .t = tn->t, .out = cols,
			       .keep_extra = flags & SQL_SYNC_KEEP_EXTRA };
	enum sql_rc rc;

	memset(cols, 0, sizeof(*cols));
	if ((rc = sql_list_columns(conn, tn->name, note_column, &c)))
		return sync_sql_fail(conn, rc, err, errlen);
	if (c.ncols == 0) {
		snprintf(err, errlen, "sql: table %s is missing (mq "
			 "repair-database creates it)", tn->name);
		return RESULT_BADDATA;
	}
	if (c.too_many) {
		snprintf(err, errlen, "sql: table %s: more than %d extra "
			 "columns, or one with a name of %d bytes or more",
			 tn->name, STORE_MAX_EXTRA, REG_NAME_MAX);
		return RESULT_BADDATA;
	}
	for (int i = 0; i < tn->t->ncols; i++)
		if (!c.have[i]) {
			snprintf(err, errlen, "sql: table %s: column %s is "
				 "missing (mq repair-database adds it)",
				 tn->name, tn->t->cols[i].name);
			return RESULT_BADDATA;
		}
	cols->nsel = tn->t->ncols + cols->nextra;
	return 0;
}

/* sync_select - see sync_int.h */
void	sync_select(struct sql_buf *b, enum sql_engine engine,
		    const struct sync_name *tn, const struct sync_cols *cols)
{
	const struct reg_table *t = tn->t;

	sql_buf_add(b, "SELECT ");
	for (int i = 0; i < t->ncols; i++) {
		sql_buf_add(b, i ? ", " : "");
		sql_buf_ident(b, engine, t->cols[i].name);
	}
	for (int i = 0; i < cols->nextra; i++) {
		sql_buf_add(b, ", ");
		sql_buf_ident(b, engine, cols->extra[i]);
	}
	sql_buf_add(b, " FROM ");
	sql_buf_ident(b, engine, tn->name);
	for (int k = 0; k < t->nkey; k++) {
		sql_buf_add(b, k ? ", " : " ORDER BY ");
		sql_buf_ident(b, engine, t->cols[t->key[k]].name);
	}
}

/* key_text - "col=value, ..." of a SQL row's key, for messages. */
static void key_text(const struct reg_table *t, const struct sql_value *v,
		     char *out, size_t len)
{
	size_t n = 0;

	out[0] = 0;
	if (t->nkey == 0)
		snprintf(out, len, "(no key)");
	for (int k = 0; k < t->nkey && n < len; k++) {
		const struct sql_value *x = &v[t->key[k]];

		n += (size_t)snprintf(out + n, len - n, "%s%s=%.*s",
				      k ? ", " : "", t->cols[t->key[k]].name,
				      x->type == SQL_TEXT ?
				      (int)(x->len > 80 ? 80 : x->len) : 2,
				      x->type == SQL_TEXT ? x->p : "\\N");
	}
}

/* sync_row_parse - see sync_int.h */
int	sync_row_parse(const struct sync_name *tn, const struct sync_cols *cols,
		       const struct sql_value *v, size_t n,
		       struct store_row *row, char *err, size_t errlen)
{
	const struct reg_table *t = tn->t;
	char msg[512], key[256];

	if (n != (size_t)cols->nsel) {
		snprintf(err, errlen, "sql: table %s: %zu columns in a row, "
			 "%d selected", tn->name, n, cols->nsel);
		return RESULT_INTERNAL;
	}
	for (int i = 0; i < t->ncols; i++) {
		if (v[i].type == SQL_NULL) {
			row->col[i] = (struct store_value){ .kind = SV_NULL };
			continue;
		}
		if (store_value_parse(t, &t->cols[i], v[i].p, v[i].len,
				      &row->col[i], msg, sizeof(msg))) {
			key_text(t, v, key, sizeof(key));
			snprintf(err, errlen, "sql: table %s: row %s: column "
				 "%s: %s", tn->name, key, t->cols[i].name, msg);
			return RESULT_BADDATA;
		}
	}
	row->nextra = cols->nextra;
	for (int j = 0; j < cols->nextra; j++) {
		const struct sql_value *x = &v[t->ncols + j];

		row->extra[j].name = cols->extra[j];
		row->extra[j].namelen = strlen(cols->extra[j]);
		row->extra[j].v = x->type == SQL_NULL
			? (struct store_value){ .kind = SV_NULL }
			: (struct store_value){ .kind = SV_TEXT, .s = x->p,
						.len = x->len };
	}
	return 0;
}

/* The state of one --from-sql, shared by the write body and the source. */
struct from {
	struct sql_conn *conn;
	const struct sync_name *names;
	const struct sync_cols *cols;
	size_t nnames, cur;
	const char *const *roots;
	size_t nroots;
	struct sql_rows *rows;
	struct sql_sync_result *res;
	int fail;		/* exit status of a failure of SQL or data */
};

/* next_sql_row - the store_row_source reading the current table. */
static enum store_rc next_sql_row(void *arg, struct store_row *row)
{
	struct from *f = arg;
	const struct sql_value *v;
	size_t n;
	enum sql_rc rc = sql_rows_next(f->conn, f->rows, &v, &n);

	if (rc == SQL_END)
		return STORE_NOTFOUND;
	if (rc) {
		f->fail = sync_sql_fail(f->conn, rc, f->res->err,
					sizeof(f->res->err));
		return STORE_IO;
	}
	if ((f->fail = sync_row_parse(&f->names[f->cur], &f->cols[f->cur], v,
				      n, row, f->res->err,
				      sizeof(f->res->err))))
		return STORE_BADDATA;
	return STORE_OK;
}

/* from_table - stream one SQL table into the store. */
static enum store_rc from_table(struct store_txn *txn, struct from *f)
{
	struct sql_buf b = SQL_BUF_INIT;
	const struct sync_name *tn = &f->names[f->cur];
	enum store_rc src;
	enum sql_rc rc;

	sync_select(&b, sql_conn_engine(f->conn), tn, &f->cols[f->cur]);
	if (b.oom) {
		sql_buf_free(&b);
		return STORE_INTERNAL;
	}
	rc = sql_exec(f->conn, b.p, NULL, 0, &f->rows, NULL);
	sql_buf_free(&b);
	if (rc) {
		f->fail = sync_sql_fail(f->conn, rc, f->res->err,
					sizeof(f->res->err));
		return STORE_IO;
	}
	src = store_apply_table(txn, tn->name, next_sql_row, f,
				&f->res->tables[f->cur].n);
	sql_rows_free(f->conn, f->rows);
	f->rows = NULL;
	return src;
}

/* from_fn - the LMDB write transaction: lists, then every table */
static enum store_rc from_fn(struct store_txn *txn, void *arg)
{
	struct from *f = arg;
	enum store_rc rc;

	f->fail = 0;
	rc = store_apply_lists(txn, f->roots, f->nroots,
			       &f->res->lists_created, &f->res->lists_dropped);
	for (f->cur = 0; rc == STORE_OK && f->cur < f->nnames; f->cur++)
		rc = from_table(txn, f);
	return rc;
}

/* from_prepare - lists and columns from the catalog, before any write. */
static int from_prepare(struct from *f, char ***roots, unsigned flags,
			struct sync_cols **cols, struct sync_name **names)
{
	struct sql_sync_result *res = f->res;
	enum sql_rc rc = sql_schema_lists(f->conn, roots);
	int ex = 0;

	if (rc)
		return sync_sql_fail(f->conn, rc, res->err, sizeof(res->err));
	while ((*roots)[f->nroots])
		f->nroots++;
	f->roots = (const char *const *)*roots;
	*names = sync_names(f->roots, f->nroots, &f->nnames);
	*cols = calloc(f->nnames ? f->nnames : 1, sizeof(**cols));
	res->tables = calloc(f->nnames ? f->nnames : 1, sizeof(*res->tables));
	if (!*names || !*cols || !res->tables) {
		snprintf(res->err, sizeof(res->err), "out of memory");
		return RESULT_INTERNAL;
	}
	res->ntables = f->nnames;
	for (size_t i = 0; i < f->nnames && !ex; i++) {
		memcpy(res->tables[i].name, (*names)[i].name,
		       sizeof(res->tables[i].name));
		ex = sync_columns(f->conn, &(*names)[i], flags, &(*cols)[i],
				  res->err, sizeof(res->err));
	}
	f->names = *names;
	f->cols = *cols;
	return ex;
}

/*
 * one_snapshot - every table read from one snapshot: PostgreSQL's READ
 *	COMMITTED would take one per statement (MariaDB's REPEATABLE READ
 *	and SQLite's read transaction already keep one).
 */
static enum sql_rc one_snapshot(struct sql_conn *conn)
{
	if (sql_conn_engine(conn) != SQL_ENGINE_PGSQL)
		return SQL_OK;
	return sql_exec(conn, "SET TRANSACTION ISOLATION LEVEL REPEATABLE "
			"READ, READ ONLY", NULL, 0, NULL, NULL);
}

/* sql_sync_from - see sync.h */
enum result_kind sql_sync_from(struct sql_conn *conn, struct store *st, unsigned flags,
		      struct sql_sync_result *res)
{
	struct from f = { .conn = conn, .res = res };
	struct sync_name *names = NULL;
	struct sync_cols *cols = NULL;
	char **roots = NULL;
	enum store_rc src;
	enum sql_rc rc;
	int ex;

	memset(res, 0, sizeof(*res));
	ex = from_prepare(&f, &roots, flags, &cols, &names);
	if (!ex && ((rc = sql_begin(conn)) || (rc = one_snapshot(conn)))) {
		ex = sync_sql_fail(conn, rc, res->err, sizeof(res->err));
		sql_rollback(conn);
	} else if (!ex) {
		src = store_write(st, from_fn, &f, &res->seq);
		if (src && f.fail)
			ex = f.fail;
		else if (src)
			ex = sync_store_fail(st, src, res->err,
					     sizeof(res->err));
		/* Only read: the end of the transaction decides nothing. */
		sql_rollback(conn);
	}
	sql_schema_lists_free(roots);
	free(names);
	free(cols);
	return ex;
}

/* sql_sync_result_free - release what a sync result holds */
void	sql_sync_result_free(struct sql_sync_result *res)
{
	free(res->tables);
	res->tables = NULL;
	res->ntables = 0;
}
