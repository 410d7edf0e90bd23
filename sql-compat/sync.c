/*
 * NAME
 *	sync.c - mq sync --from-sql: make the store equal to SQL
 * SYNOPSIS
 *	#include "sql-compat/sync.h"
 *
 *	ex = sql_sync_from(conn, st, flags, &res);
 * DESCRIPTION
 *	Inside one read-only SQL transaction (one snapshot of every
 *	table), the catalog is read first (lists, then every table's
 *	columns), so a missing table or column fails before the store is
 *	touched, and the catalog and the rows are of the same moment.
 *	Then, under one store read transaction, each table is selected
 *	as the engine keeps it (no ORDER BY: sorting in the server costs
 *	more than the read) into store_diff_table(), which sorts the
 *	rows by key and keeps only what differs; nobody waits for the
 *	store's write lock meanwhile.  The SQL transaction
 *	ends, and store_diff_apply() writes the difference, if there is
 *	one, in short write transactions.  Also the helpers the other
 *	sync files share (sync_int.h).
 * DIAGNOSTICS
 *	See sync.h.  A failure of SQL in the middle leaves the store
 *	untouched: nothing is written before every table was read; a
 *	failure while applying undoes what was applied.
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

/* sync_lists_sql - see sync_int.h */
enum sql_rc sync_lists_sql(struct sql_conn *conn, const char *const *roots,
			   size_t n, char ***sqlroots,
			   struct sql_sync_result *res)
{
	enum sql_rc rc = sql_schema_lists(conn, sqlroots);

	for (size_t j = 0; !rc && j < n; j++) {
		bool found = false;

		for (size_t i = 0; (*sqlroots)[i] && !found; i++)
			found = strcmp(roots[j], (*sqlroots)[i]) == 0;
		res->lists_created += !found;
	}
	return rc;
}

/* sync_note_dropped - see sync_int.h */
void	sync_note_dropped(struct sql_sync_result *res, const char *root)
{
	size_t n = strlen(res->dropped);

	if (n + strlen(root) + 3 < sizeof(res->dropped))
		snprintf(res->dropped + n, sizeof(res->dropped) - n, "%s%s",
			 n ? " " : "", root);
	else if (n + 5 < sizeof(res->dropped) && !strstr(res->dropped, "..."))
		snprintf(res->dropped + n, sizeof(res->dropped) - n, " ...");
}

/* note_defaulted - the columns of tn read as their default, into res */
static void note_defaulted(struct sql_sync_result *res,
			   const struct sync_name *tn,
			   const struct sync_cols *cols)
{
	for (int i = 0; cols->absent && i < tn->t->ncols; i++) {
		size_t n = strlen(res->defaulted);

		if (!sync_col_absent(cols, i) ||
		    sql_schema_optional_column(tn->t, i))
			continue;
		if (n + strlen(tn->name) + strlen(tn->t->cols[i].name) + 7 <
		    sizeof(res->defaulted))
			snprintf(res->defaulted + n, sizeof(res->defaulted) - n,
				 "%s%s.%s", n ? " " : "", tn->name,
				 tn->t->cols[i].name);
		else if (!strstr(res->defaulted, "..."))
			snprintf(res->defaulted + n, sizeof(res->defaulted) - n,
				 " ...");
	}
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
	return rc == STORE_NOTFOUND ? RESULT_BADDATA : store_rc_kind(rc);
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
	enum sql_engine engine;
	bool keep_extra, too_many;
};

/* note_column - sql_list_columns callback: registry column or extra */
static int note_column(void *ctx, const struct sql_column_info *ci)
{
	struct col_names *c = ctx;
	int i = reg_column_index(c->t, ci->name);
	const char *id;

	c->ncols++;
	if (i >= 0) {
		c->have[i] = true;
		sync_col_form(c->out, i, c->engine, &c->t->cols[i], ci->type);
		return 0;
	}
	id = sql_schema_surrogate(c->engine, c->t);
	if (!c->keep_extra || (id && strcmp(id, ci->name) == 0))
		return 0;	/* mq's id is SQL's alone */
	if (c->out->nextra == STORE_MAX_EXTRA ||
	    strlen(ci->name) >= REG_NAME_MAX) {
		c->too_many = true;
		return 1;
	}
	snprintf(c->out->extra[c->out->nextra++], REG_NAME_MAX, "%s",
		 ci->name);
	return 0;
}

/*
 * absent_table - why the catalog lists no column of table name: no
 *	right to see it (sql_table_denied) or no table.  An exit status.
 */
static int absent_table(struct sql_conn *conn, const char *name, char *err,
			size_t errlen)
{
	enum sql_rc rc = sql_table_denied(conn, name);

	if (rc != SQL_OK)
		return sync_sql_fail(conn, rc, err, errlen);
	snprintf(err, errlen, "sql: table %s is missing (mq repair-database "
		 "creates it)", name);
	return RESULT_BADDATA;
}

/* key_column - is column i part of t's primary key? */
static bool key_column(const struct reg_table *t, int i)
{
	for (int k = 0; k < t->nkey; k++)
		if (t->key[k] == i)
			return true;
	return false;
}

/* sync_columns - see sync_int.h */
int	sync_columns(struct sql_conn *conn, const struct sync_name *tn,
		     unsigned flags, struct sync_cols *cols, char *err,
		     size_t errlen)
{
	struct col_names c = { .t = tn->t, .out = cols,
			       .engine = sql_conn_engine(conn),
			       .keep_extra = flags & SQL_SYNC_KEEP_EXTRA };
	enum sql_rc rc;

	memset(cols, 0, sizeof(*cols));
	if ((rc = sql_list_columns(conn, tn->name, note_column, &c)))
		return sync_sql_fail(conn, rc, err, errlen);
	if (c.ncols == 0 && (sql_schema_optional_table(tn->t) ||
			     (tn->t->family != REG_LIST &&
			      (flags & SYNC_LISTS_ONLY)))) {
		cols->no_table = true;
		return 0;
	}
	if (c.ncols == 0)
		return absent_table(conn, tn->name, err, errlen);
	if (c.too_many) {
		snprintf(err, errlen, "sql: table %s: more than %d extra "
			 "columns, or one with a name of %d bytes or more",
			 tn->name, STORE_MAX_EXTRA, REG_NAME_MAX);
		return RESULT_BADDATA;
	}
	for (int i = 0; i < tn->t->ncols; i++)
		if (!c.have[i] && (sql_schema_optional_column(tn->t, i) ||
				   (c.keep_extra && !key_column(tn->t, i))))
			cols->absent |= 1u << i;
		else if (!c.have[i]) {
			snprintf(err, errlen, "sql: table %s: column %s is "
				 "missing (mq repair-database adds it)",
				 tn->name, tn->t->cols[i].name);
			return RESULT_BADDATA;
		}
	cols->nsel = tn->t->ncols + cols->nextra;
	return 0;
}

/* sync_where_eq - see sync_int.h */
size_t	sync_where_eq(struct sql_buf *b, const struct sql_driver *d,
		      const struct reg_column *c)
{
	sql_buf_ident(b, d->engine, c->name);
	sql_buf_add(b, " = ?");
	if (c->type == REG_INT || !d->fold_collation)
		return 1;
	sql_buf_add(b, " AND BINARY ");
	sql_buf_ident(b, d->engine, c->name);
	sql_buf_add(b, " = ?");
	return 2;
}

/* sync_select - see sync_int.h */
void	sync_select(struct sql_buf *b, enum sql_engine engine,
		    const struct sync_name *tn, const struct sync_cols *cols)
{
	const struct reg_table *t = tn->t;

	sql_buf_add(b, "SELECT ");
	for (int i = 0; i < t->ncols; i++) {
		sql_buf_add(b, i ? ", " : "");
		if (sync_col_absent(cols, i))
			sql_buf_add(b, "NULL");
		else
			sql_buf_ident(b, engine, t->cols[i].name);
	}
	for (int i = 0; i < cols->nextra; i++) {
		sql_buf_add(b, ", ");
		sql_buf_ident(b, engine, cols->extra[i]);
	}
	sql_buf_add(b, " FROM ");
	sql_buf_ident(b, engine, tn->name);
}

/*
 * shown_length - how much of a text value a message shows: 80 bytes
 *	at most, cut before a UTF-8 character, never inside one
 */
static int shown_length(const char *p, size_t len)
{
	size_t n = len > 80 ? 80 : len;

	while (n > 0 && n < len && ((unsigned char)p[n] & 0xc0) == 0x80)
		n--;
	return (int)n;
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
				      shown_length(x->p, x->len) : 2,
				      x->type == SQL_TEXT ? x->p : "\\N");
	}
}

/*
 * default_value - the value of a column SQL lacks under database-validate
 *	false: its registry default, NULL when it has none or is "now"
 *	(a time that would differ at each load).
 */
static struct store_value default_value(const struct reg_table *t, int i)
{
	const struct reg_column *c = &t->cols[i];
	struct store_value v = { .kind = SV_NULL };
	char msg[256];

	if (c->dflt && !(c->type == REG_TIME && !strcmp(c->dflt, "now")) &&
	    store_value_parse(t, NULL, c, c->dflt, strlen(c->dflt), &v, msg,
			      sizeof(msg)) != STORE_OK)
		v = (struct store_value){ .kind = SV_NULL };
	return v;
}

/*
 * absent_value - the value of an absent column: an optional one (sql.h)
 *	is an address table's domain, computed from the address by the
 *	store's rule, into cols->domain; another, its default.
 */
static void absent_value(const struct reg_table *t, struct sync_cols *cols,
			 int i, struct store_row *row)
{
	const struct store_value *a = &row->col[REG_ADDR_ADDRESS];
	size_t n = 0;

	if (!sql_schema_optional_column(t, i)) {
		row->col[i] = default_value(t, i);
		return;
	}
	if (i == REG_ADDR_DOMAIN && a->kind == SV_TEXT && reg_list_addresses(t))
		n = sub_domain(a->s, a->len, cols->domain);
	row->col[i] = (struct store_value){ .kind = SV_TEXT,
					    .s = cols->domain, .len = n };
	cols->domain[n] = 0;
}

/*
 * value_parse - SQL value v of column i into the store's form: a time
 *	as mq writes it (buf), else the text as read.  0 or a store code
 *	with msg set.
 */
static enum store_rc value_parse(const struct reg_table *t,
				 const struct sync_cols *cols, int i,
				 const struct sql_value *v,
				 struct store_value *out,
				 struct sync_rowbuf *buf, char *msg,
				 size_t len)
{
	const char *p = v->p;
	size_t n = v->len;

	if (v->type == SQL_NULL) {
		*out = (struct store_value){ .kind = SV_NULL };
		return STORE_OK;
	}
	if (t->cols[i].type == REG_TIME &&
	    sync_time_canon(v->p, v->len, cols->prec[i], buf->time[i], &n))
		p = buf->time[i];
	return store_value_parse(t, NULL, &t->cols[i], p, n, out, msg, len);
}

/* sync_row_parse - see sync_int.h */
int	sync_row_parse(const struct sync_name *tn, struct sync_cols *cols,
		       const struct sql_value *v, size_t n,
		       struct store_row *row, struct sync_rowbuf *buf,
		       char *err, size_t errlen)
{
	const struct reg_table *t = tn->t;
	char msg[512], key[256];
	int bad = -1;

	if (n != (size_t)cols->nsel) {
		snprintf(err, errlen, "sql: table %s: %zu columns in a row, "
			 "%d selected", tn->name, n, cols->nsel);
		return RESULT_INTERNAL;
	}
	buf->key_ok = true;
	for (int i = t->ncols - 1; i >= 0; i--) {
		if (sync_col_absent(cols, i)) {
			row->col[i] = (struct store_value){ .kind = SV_NULL };
			continue;
		}
		if (value_parse(t, cols, i, &v[i], &row->col[i], buf, msg,
				sizeof(msg)) == STORE_OK)
			continue;
		bad = i;
		for (int k = 0; k < t->nkey; k++)
			buf->key_ok &= t->key[k] != i;
	}
	for (int i = 0; cols->absent && i < t->ncols; i++)
		if (sync_col_absent(cols, i))
			absent_value(t, cols, i, row);
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
	if (bad < 0)
		return 0;
	value_parse(t, cols, bad, &v[bad], &row->col[bad], buf, msg,
		    sizeof(msg));
	key_text(t, v, key, sizeof(key));
	snprintf(err, errlen, "sql: table %s: row %s: column %s: %s",
		 tn->name, key, t->cols[bad].name, msg);
	return SYNC_ROW_REFUSED;
}

/* The state of one --from-sql, shared by the diff and the row source. */
struct from {
	struct sql_conn *conn;
	const struct sync_name *names;
	struct sync_cols *cols;
	size_t nnames, cur;
	const char *const *roots;
	size_t nroots;
	struct sql_rows *rows;
	struct sql_sync_result *res;
	struct store_txn *txn;
	struct sync_rowbuf buf;
	int fail;		/* result kind of a failure of SQL or data */
};

/*
 * refused_row - a row SQL has that mq cannot hold: the store's row of
 *	that key stands in for it (so it stays), or, without one, the
 *	row is left out.  true when row holds the store's row.
 */
static bool refused_row(struct from *f, struct store_row *row)
{
	const struct sync_name *tn = &f->names[f->cur];
	struct store_value key[REG_MAX_KEY];

	sync_note_refused(f->res, f->res->err);
	f->res->err[0] = 0;
	if (tn->t->nkey == 0 || !f->buf.key_ok)
		return false;
	for (int k = 0; k < tn->t->nkey; k++)
		key[k] = row->col[tn->t->key[k]];
	return store_get_by_key(f->txn, tn->t, tn->name, key, row) == STORE_OK;
}

/* next_sql_row - the store_row_source reading the current table. */
static enum store_rc next_sql_row(void *arg, struct store_row *row)
{
	struct from *f = arg;
	const struct sql_value *v;
	size_t n;
	enum sql_rc rc;

	for (;;) {
		if ((rc = sql_rows_next(f->conn, f->rows, &v, &n)) == SQL_END)
			return STORE_NOTFOUND;
		if (rc) {
			f->fail = sync_sql_fail(f->conn, rc, f->res->err,
						sizeof(f->res->err));
			return STORE_IO;
		}
		f->fail = sync_row_parse(&f->names[f->cur], &f->cols[f->cur],
					 v, n, row, &f->buf, f->res->err,
					 sizeof(f->res->err));
		if (!f->fail && reg_list_addresses(f->names[f->cur].t))
			sync_note_address(f->res, f->names[f->cur].name, row);
		if (f->fail != SYNC_ROW_REFUSED)
			return f->fail ? STORE_BADDATA : STORE_OK;
		f->fail = 0;
		if (refused_row(f, row))
			return STORE_OK;
	}
}

/* no_rows - the store_row_source of an absent table */
static enum store_rc no_rows(void *arg, struct store_row *row)
{
	(void)arg;
	(void)row;
	return STORE_NOTFOUND;
}

/* from_table - stream one SQL table into the difference. */
static enum store_rc from_table(struct store_txn *txn, struct store_diff *d,
				struct from *f)
{
	struct sql_buf b = SQL_BUF_INIT;
	const struct sync_name *tn = &f->names[f->cur];
	enum store_rc src;
	enum sql_rc rc;

	if (f->cols[f->cur].no_table)	/* absent: the store's rows go */
		return store_diff_table(txn, d, tn->name, no_rows, NULL,
					&f->res->tables[f->cur].n);
	sync_select(&b, sql_conn_engine(f->conn), tn, &f->cols[f->cur]);
	if (b.oom) {
		sql_buf_free(&b);
		return STORE_INTERNAL;
	}
	rc = sql_read_all(f->conn, b.p, &f->rows);
	sql_buf_free(&b);
	if (rc) {
		f->fail = sync_sql_fail(f->conn, rc, f->res->err,
					sizeof(f->res->err));
		return STORE_IO;
	}
	f->txn = txn;
	src = store_diff_table(txn, d, tn->name, next_sql_row, f,
			       &f->res->tables[f->cur].n);
	sql_rows_free(f->conn, f->rows);
	f->rows = NULL;
	return src;
}

/*
 * from_diff - under the store read transaction txn, the difference
 *	between the store and SQL: lists, then every table.  The store's
 *	sequence at that snapshot goes into res->seq.
 */
static enum store_rc from_diff(struct store_txn *txn, struct from *f,
			       struct store_diff **d)
{
	struct sql_sync_result *res = f->res;
	struct store_meta m = { .seq = 0 };
	enum store_rc rc;

	f->fail = 0;
	if ((rc = store_meta_get(txn, &m)) == STORE_OK &&
	    (rc = store_diff_new(txn, d)) == STORE_OK)
		rc = store_diff_lists(txn, *d, f->roots, f->nroots,
				      &res->lists_created,
				      &res->lists_dropped);
	res->seq = m.seq;
	for (f->cur = 0; rc == STORE_OK && f->cur < f->nnames; f->cur++)
		rc = from_table(txn, *d, f);
	return rc;
}

/* count_column - sql_list_columns callback: one more column */
static int count_column(void *ctx, const struct sql_column_info *ci)
{
	(void)ci;
	(*(int *)ctx)++;
	return 0;
}

/*
 * store_list_check - list root of the store, which SQL does not name a
 *	list (no T + T_slog): only a missing main table T drops a list.
 *	While T is there, a missing T_slog fails the load and the list
 *	stays as the store has it, its secret key (which SQL has no
 *	column for) with it.  A list to drop is named in res.
 */
static int store_list_check(const char *root, void *arg)
{
	struct from *f = arg;
	struct sql_sync_result *res = f->res;
	enum sql_rc rc;
	int ncols = 0;

	for (size_t i = 0; i < f->nroots; i++)
		if (strcmp(f->roots[i], root) == 0)
			return 0;
	if ((rc = sql_list_columns(f->conn, root, count_column, &ncols))) {
		f->fail = sync_sql_fail(f->conn, rc, res->err,
					sizeof(res->err));
		return 1;
	}
	if (ncols == 0) {
		sync_note_dropped(res, root);
		return 0;
	}
	snprintf(res->err, sizeof(res->err), "sql: table %s_slog is missing "
		 "while table %s is there: list %s stays as the store has it, "
		 "and nothing is loaded until %s_slog is back (mq "
		 "repair-database does not see the list without it)", root,
		 root, root, root);
	f->fail = RESULT_BADDATA;
	return 1;
}

/* from_prepare - lists and columns from the catalog, in the snapshot. */
static int from_prepare(struct from *f, struct store *st,
			struct store_txn *txn, char ***roots, unsigned flags,
			struct sync_cols **cols, struct sync_name **names)
{
	struct sql_sync_result *res = f->res;
	enum sql_rc rc = sql_schema_lists(f->conn, roots);
	enum store_rc src;
	int ex = 0;

	bool lists_only = false;

	if (rc || (rc = sql_schema_lists_only(f->conn, &lists_only)))
		return sync_sql_fail(f->conn, rc, res->err, sizeof(res->err));
	if (lists_only)
		flags |= SYNC_LISTS_ONLY;
	while ((*roots)[f->nroots])
		f->nroots++;
	f->roots = (const char *const *)*roots;
	f->fail = 0;
	if ((src = store_list_each(txn, store_list_check, f)) || f->fail)
		return f->fail ? f->fail : sync_store_fail(st, src, res->err,
							   sizeof(res->err));
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
		note_defaulted(res, &(*names)[i], &(*cols)[i]);
	}
	f->names = *names;
	f->cols = *cols;
	return ex;
}

/*
 * from_read - inside one SQL snapshot: the catalog (lists, columns),
 *	then the difference of every table.  The transaction only reads:
 *	it is rolled back, before anything is written to the store.
 */
static int from_read(struct sql_conn *conn, struct store *st, unsigned flags,
		     struct from *f, struct store_diff **d)
{
	struct sql_sync_result *res = f->res;
	struct sync_name *names = NULL;
	struct sync_cols *cols = NULL;
	struct store_txn *txn;
	char **roots = NULL, mark[STORE_MARK_MAX];
	enum store_rc src;
	enum sql_rc rc;
	int ex;

	/* The store's snapshot first: a list a writer makes or drops (SQL,
	 * then the store) meanwhile is then seen by SQL no earlier than by
	 * the store, and never dropped or made again by this load. */
	if ((src = store_read_begin(st, &txn)))
		return sync_store_fail(st, src, res->err, sizeof(res->err));
	if ((rc = sql_begin_snapshot(conn)))
		ex = sync_sql_fail(conn, rc, res->err, sizeof(res->err));
	else if (!(ex = from_prepare(f, st, txn, &roots, flags, &cols,
				     &names)) &&
		 (src = from_diff(txn, f, d)))
		ex = f->fail ? f->fail : sync_store_fail(st, src, res->err,
							 sizeof(res->err));
	else if (!ex && sync_mark(conn, flags, res, mark))
		store_diff_mark(*d, mark);	/* the copy's state, read */
	store_read_end(txn);
	sql_rollback(conn);
	sql_schema_lists_free(roots);
	free(names);
	free(cols);
	return ex;
}

/* sql_sync_read, sql_sync_apply, sql_sync_from - see sync.h */
enum result_kind sql_sync_read(struct sql_conn *conn, struct store *st,
			       unsigned flags, struct sql_sync_result *res,
			       struct store_diff **diff)
{
	struct from f = { .conn = conn, .res = res };
	int ex;

	memset(res, 0, sizeof(*res));
	*diff = NULL;
	if (sync_quick_unchanged(conn, st, flags, res))
		return RESULT_OK;
	ex = from_read(conn, st, flags, &f, diff);
	if (ex) {
		store_diff_free(*diff);
		*diff = NULL;
	}
	return ex;
}

enum result_kind sql_sync_apply(struct store *st, struct store_diff *diff,
				struct sql_sync_result *res)
{
	enum store_rc src = STORE_OK;

	if (diff)	/* else the quick check found nothing to do */
		src = store_diff_apply(st, diff, 0, &res->seq);
	store_diff_free(diff);
	return src ? sync_store_fail(st, src, res->err, sizeof(res->err))
		: RESULT_OK;
}

enum result_kind sql_sync_from(struct sql_conn *conn, struct store *st,
			       unsigned flags, struct sql_sync_result *res)
{
	struct store_diff *d;
	enum result_kind k = sql_sync_read(conn, st, flags, res, &d);

	return k ? k : sql_sync_apply(st, d, res);
}

/* sql_sync_result_free - release what a sync result holds */
void	sql_sync_result_free(struct sql_sync_result *res)
{
	free(res->tables);
	res->tables = NULL;
	res->ntables = 0;
}
