/*
 * NAME
 *	write_row.c - the SQL part of a batch's row changes: set, del, add
 * SYNOPSIS
 *	#include "sql-compat/write_int.h"
 * DESCRIPTION
 *	mq set's semantics in SQL: with the whole key given the row is
 *	updated (the columns given) when SQL has it, else inserted, SQL
 *	allocating a missing auto-increment id and applying its defaults;
 *	the complete row is then read back in the same transaction, so
 *	the store gets exactly what SQL holds.  A keyless (_slog) row
 *	cannot be read back: it is completed with the registry defaults
 *	here and both get the same values.  A delete runs with the same
 *	conditions in SQL and in the store.  An add inserts unless the
 *	key is there (the dialect's INSERT that ignores a duplicate key)
 *	and, when asked, checks that the present row agrees.
 *
 *	Identifiers are quoted, every value is bound.  A row is named by
 *	its exact values, as the store names it (where_cols).
 * DIAGNOSTICS
 *	write_fail(): the server's message, or the table and column.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sql-compat/write_int.h"

/* write_table - see write_int.h */
enum result_kind write_table(struct sql_write *w, const struct wchange *c,
			     struct wtable **out)
{
	struct wtable *wt;
	char err[SQL_SYNC_ERR_MAX];
	int k;

	for (size_t i = 0; i < w->ntabs; i++)
		if (!strcmp(w->tabs[i].tn.name, c->name)) {
			*out = &w->tabs[i];
			return RESULT_OK;
		}
	if (!(wt = realloc(w->tabs, (w->ntabs + 1) * sizeof(*wt))))
		return write_fail(w, RESULT_INTERNAL, "out of memory");
	w->tabs = wt;
	wt = &w->tabs[w->ntabs];
	snprintf(wt->tn.name, sizeof(wt->tn.name), "%s", c->name);
	wt->tn.t = c->t;
	if ((k = sync_columns(w->conn, &wt->tn, w->flags, &wt->cols, err,
			      sizeof(err))))
		return write_fail(w, (enum result_kind)k, "%s", err);
	w->ntabs++;
	*out = wt;
	return RESULT_OK;
}

/* cols_of - how SQL holds the columns of table name, when asked already */
static const struct sync_cols *cols_of(const struct sql_write *w,
				       const char *name)
{
	for (size_t i = 0; i < w->ntabs; i++)
		if (!strcmp(w->tabs[i].tn.name, name))
			return &w->tabs[i].cols;
	return NULL;
}

/* utf8_ok - the values, valid UTF-8 where the engine wants it */
static enum result_kind utf8_ok(struct sql_write *w, const struct wchange *c,
				const struct store_assign *a, int na)
{
	struct sync_name tn = { .t = c->t };
	struct store_row row;
	char err[SQL_SYNC_ERR_MAX];

	memset(&row, 0, sizeof(row));
	snprintf(tn.name, sizeof(tn.name), "%s", c->name);
	for (int i = 0; i < na; i++)
		row.col[a[i].col] = a[i].v;
	if (sync_row_utf8(&tn, w->conn->driver->engine, &row, err,
			  sizeof(err)))
		return write_fail(w, RESULT_BADDATA, "%s", err);
	return RESULT_OK;
}

/* write_defaults - see write_int.h */
enum result_kind write_defaults(struct sql_write *w, struct wchange *c)
{
	const struct reg_table *t = c->t;
	int n = c->na;

	if (!(c->full = calloc(REG_MAX_COLS, sizeof(*c->full))))
		return write_fail(w, RESULT_INTERNAL, "out of memory");
	write_now(c->now);
	memcpy(c->full, c->a, (size_t)c->na * sizeof(*c->a));
	for (int col = 0; col < t->ncols; col++) {
		const char *d = t->cols[col].dflt;
		bool given = false;

		for (int i = 0; i < c->na; i++)
			given = given || c->a[i].col == col;
		if (given || !d)
			continue;
		c->full[n].col = col;
		if (t->cols[col].type == REG_INT)
			c->full[n].v = (struct store_value){
				.kind = SV_INT, .i = strtoll(d, NULL, 10) };
		else {
			if (t->cols[col].type == REG_TIME && !strcmp(d, "now"))
				d = c->now;
			c->full[n].v = (struct store_value){
				.kind = SV_TEXT, .s = d, .len = strlen(d) };
		}
		n++;
	}
	c->nfull = n;
	return RESULT_OK;
}

/*
 * where_cols - " WHERE c = ? AND d IS NULL ..." for the conditions, each
 *	naming its row exactly (sync_where_eq); p takes up to 2 * nf values.
 */
static void where_cols(struct sql_buf *b, const struct sql_write *w,
		       const struct reg_table *t, const struct store_filter *f,
		       int nf, struct sql_value *p, size_t *np)
{
	const struct sql_driver *d = w->conn->driver;

	for (int i = 0; i < nf; i++) {
		const struct reg_column *c = &t->cols[f[i].col];
		size_t n;

		sql_buf_add(b, i ? " AND " : " WHERE ");
		if (f[i].v.kind == SV_NULL) {
			sql_buf_ident(b, d->engine, c->name);
			sql_buf_add(b, " IS NULL");
			continue;
		}
		n = sync_where_eq(b, d, c);
		while (n--)
			p[(*np)++] = sync_param(&f[i].v);
	}
}

/* key_of - the key columns among a as filters; false: not all given */
static bool key_of(const struct reg_table *t, const struct store_assign *a,
		   int na, struct store_filter *k)
{
	for (int i = 0; i < t->nkey; i++) {
		int j = 0;

		while (j < na && a[j].col != t->key[i])
			j++;
		if (j == na)
			return false;
		k[i] = (struct store_filter){ a[j].col, a[j].v };
	}
	return t->nkey > 0;
}

/* run - one statement of b; *affected (may be NULL) its count */
static enum result_kind run(struct sql_write *w, const struct sql_buf *b,
			    const struct sql_value *p, size_t np,
			    uint64_t *affected)
{
	enum sql_rc rc;

	if (b->oom)
		return write_fail(w, RESULT_INTERNAL, "out of memory");
	rc = sql_exec(w->conn, b->p, p, np, NULL, affected);
	return rc ? write_sql_fail(w, rc) : RESULT_OK;
}

/* select_row - "SELECT the registry's and the extra columns FROM t" */
static void select_row(struct sql_buf *b, enum sql_engine e,
		       const struct wtable *wt)
{
	const struct reg_table *t = wt->tn.t;

	for (int i = 0; i < t->ncols; i++) {
		sql_buf_add(b, i ? ", " : "SELECT ");
		sql_buf_ident(b, e, t->cols[i].name);
	}
	for (int i = 0; i < wt->cols.nextra; i++) {
		sql_buf_add(b, ", ");
		sql_buf_ident(b, e, wt->cols.extra[i]);
	}
	sql_buf_add(b, " FROM ");
	sql_buf_ident(b, e, wt->tn.name);
}

/* row_exists - does SQL have a row with key k? */
static enum result_kind row_exists(struct sql_write *w, struct wchange *c,
				   const struct store_filter *k, bool *exists)
{
	struct sql_buf b = SQL_BUF_INIT;
	struct sql_value p[2 * REG_MAX_KEY];
	int64_t one;
	size_t np = 0;
	enum sql_rc rc;

	sql_buf_add(&b, "SELECT 1 FROM ");
	sql_buf_ident(&b, w->conn->driver->engine, c->name);
	where_cols(&b, w, c->t, k, c->t->nkey, p, &np);
	rc = b.oom ? SQL_INTERNAL : sql_exec_int(w->conn, b.p, p, np, &one);
	sql_buf_free(&b);
	*exists = rc == SQL_OK;
	return rc && rc != SQL_END ? write_sql_fail(w, rc) : RESULT_OK;
}

/* update - "UPDATE t SET given = ? WHERE key" */
static enum result_kind update(struct sql_write *w, struct wchange *c,
			       const struct store_filter *k)
{
	struct sql_buf b = SQL_BUF_INIT;
	struct sql_value p[REG_MAX_COLS + 2 * REG_MAX_KEY];
	enum sql_engine e = w->conn->driver->engine;
	enum result_kind r = utf8_ok(w, c, c->a, c->na);
	size_t np = 0;

	if (r)
		return r;
	sql_buf_add(&b, "UPDATE ");
	sql_buf_ident(&b, e, c->name);
	for (int i = 0; i < c->na; i++) {
		sql_buf_add(&b, np ? ", " : " SET ");
		sql_buf_ident(&b, e, c->t->cols[c->a[i].col].name);
		sql_buf_add(&b, " = ?");
		p[np++] = sync_param_col(cols_of(w, c->name), c->a[i].col,
					 &c->a[i].v);
	}
	where_cols(&b, w, c->t, k, c->t->nkey, p, &np);
	r = run(w, &b, p, np, NULL);
	sql_buf_free(&b);
	return r;
}

/*
 * insert_text - "INSERT INTO t (cols) VALUES (?, ...)", with new_only
 *	the dialect's INSERT that skips a row whose key exists
 */
static void insert_text(struct sql_buf *b, const struct sql_write *w,
			const struct wchange *c, const struct store_assign *a,
			int na, bool new_only, struct sql_value *p)
{
	const struct sql_driver *d = w->conn->driver;

	sql_buf_add(b, "%s ", new_only ? d->insert_new : "INSERT INTO");
	sql_buf_ident(b, d->engine, c->name);
	for (int i = 0; i < na; i++) {
		sql_buf_add(b, i ? ", " : " (");
		sql_buf_ident(b, d->engine, c->t->cols[a[i].col].name);
		p[i] = sync_param_col(cols_of(w, c->name), a[i].col, &a[i].v);
	}
	if (na == 0)
		sql_buf_add(b, "%s", d->insert_defaults);
	for (int i = 0; i < na; i++)
		sql_buf_add(b, i ? ", ?" : ") VALUES (?");
	/* a keyless table has no key to conflict on */
	new_only = new_only && c->t->nkey;
	sql_buf_add(b, "%s%s", na ? ")" : "", new_only ? d->insert_new_end
		    : "");
	if (new_only && d->insert_new_noop) {
		const char *k = c->t->cols[c->t->key[0]].name;

		sql_buf_add(b, " ");
		sql_buf_ident(b, d->engine, k);
		sql_buf_add(b, " = ");
		sql_buf_ident(b, d->engine, k);
	}
}

/* insert - the row of the assignments; *id the id SQL allocated */
static enum result_kind insert(struct sql_write *w, struct wchange *c,
			       const struct store_assign *a, int na,
			       int64_t *id)
{
	struct sql_buf b = SQL_BUF_INIT;
	struct sql_value p[REG_MAX_COLS];
	const struct reg_table *t = c->t;
	enum result_kind r = utf8_ok(w, c, a, na);
	enum sql_rc rc;

	if (r)
		return r;
	insert_text(&b, w, c, a, na, false, p);
	if (!id)
		r = run(w, &b, p, (size_t)na, NULL);
	else if (b.oom)
		r = write_fail(w, RESULT_INTERNAL, "out of memory");
	else if ((rc = sql_insert_id(w->conn, b.p, p, (size_t)na,
				     t->cols[t->key[0]].name, id)))
		r = write_sql_fail(w, rc);
	sql_buf_free(&b);
	return r;
}

/*
 * row_own - copy the texts of row into one new block (*mem), so the
 *	row outlives the SQL result (MySQL cannot go on while one is open)
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

/* read_back - c's row with key k as SQL holds it, into c->row */
static enum result_kind read_back(struct sql_write *w, struct wchange *c,
				  struct wtable *wt,
				  const struct store_filter *k)
{
	struct sql_buf b = SQL_BUF_INIT;
	struct sql_value p[2 * REG_MAX_KEY];
	const struct sql_value *v;
	struct sql_rows *rows = NULL;
	char err[SQL_SYNC_ERR_MAX];
	struct sync_rowbuf buf;
	size_t np = 0, n;
	enum result_kind r = RESULT_OK;
	enum sql_rc rc;
	int parsed;

	select_row(&b, w->conn->driver->engine, wt);
	where_cols(&b, w, c->t, k, c->t->nkey, p, &np);
	rc = b.oom ? SQL_INTERNAL : sql_exec(w->conn, b.p, p, np, &rows, NULL);
	if (rc == SQL_OK)
		rc = sql_rows_next(w->conn, rows, &v, &n);
	sql_buf_free(&b);
	if (!(c->row = malloc(sizeof(*c->row))))
		r = write_fail(w, RESULT_INTERNAL, "out of memory");
	else if (rc == SQL_END)
		r = write_fail(w, RESULT_INTERNAL, "%s: the row written is "
			       "not there to read back", c->name);
	else if (rc)
		r = write_sql_fail(w, rc);
	else if ((parsed = sync_row_parse(&wt->tn, &wt->cols, v, n, c->row,
					  &buf, err, sizeof(err))))
		r = write_fail(w, parsed == SYNC_ROW_REFUSED ? RESULT_BADDATA
			       : (enum result_kind)parsed, "%s", err);
	else if (!row_own(c->t, c->row, &c->mem))
		r = write_fail(w, RESULT_INTERNAL, "out of memory");
	sql_rows_free(w->conn, rows);
	return r;
}

/* missing_key - the batch fails: the key (which is not automatic) */
static enum result_kind missing_key(struct sql_write *w,
				    const struct wchange *c)
{
	char cols[128] = "";
	const struct reg_table *t = c->t;

	for (int k = 0; k < t->nkey; k++)
		snprintf(cols + strlen(cols), sizeof(cols) - strlen(cols),
			 "%s%s", k ? ", " : "", t->cols[t->key[k]].name);
	return write_fail(w, RESULT_BADDATA, "%s: give the key column%s %s",
			  c->name, t->nkey > 1 ? "s" : "", cols);
}

/*
 * key_twin - r, the insert of key k refused; where SQL's collation
 *	ignores case and holds the key in another case (sync_key_twin),
 *	the batch fails naming both keys, not with the server's message
 */
static enum result_kind key_twin(struct sql_write *w, const struct wchange *c,
				 const struct store_filter *k,
				 enum result_kind r)
{
	struct store_value kv[REG_MAX_KEY];
	struct sync_name tn = { .t = c->t };
	struct sync_twin tw;
	char err[SQL_SYNC_ERR_MAX];

	if (r != RESULT_BADDATA)
		return r;
	for (int i = 0; i < c->t->nkey; i++)
		kv[i] = k[i].v;
	snprintf(tn.name, sizeof(tn.name), "%s", c->name);
	if (sync_key_twin(w->conn, &tn, kv, &tw) || !tw.found)
		return r;
	sync_twin_message(&tn, kv, &tw, err, sizeof(err));
	return write_fail(w, RESULT_BADDATA, "%s", err);
}

/*
 * upsert - update the row with key k or insert it; without the whole key
 *	SQL allocates the id (c->out.id), which becomes k
 */
static enum result_kind upsert(struct sql_write *w, struct wchange *c,
			       struct store_filter *k, bool all_key)
{
	const struct reg_table *t = c->t;
	bool exists = false;
	enum result_kind r = all_key ? row_exists(w, c, k, &exists)
		: RESULT_OK;
	enum sql_rc rc;

	if (r || (exists && c->na == t->nkey))
		return r;
	if (exists)
		return update(w, c, k);
	if (all_key)
		return key_twin(w, c, k, insert(w, c, c->a, c->na, NULL));
	if ((rc = sql_serial_reset(w->conn, c->name,
				   t->cols[t->key[0]].name)))
		return write_sql_fail(w, rc);
	if ((r = insert(w, c, c->a, c->na, &c->out.id)))
		return r;
	k[0] = (struct store_filter){ t->key[0], { .kind = SV_INT,
						   .i = c->out.id } };
	return RESULT_OK;
}

/* write_sql_set - see write_int.h */
enum result_kind write_sql_set(struct sql_write *w, struct wchange *c)
{
	const struct reg_table *t = c->t;
	struct store_filter k[REG_MAX_KEY];
	bool all_key = key_of(t, c->a, c->na, k);
	bool autoid = t->nkey == 1 && (t->cols[t->key[0]].flags & REG_AUTO);
	struct wtable *wt;
	enum result_kind r = write_table(w, c, &wt);

	if (r)
		return r;
	if (t->nkey == 0)
		return (r = write_defaults(w, c)) ? r
			: insert(w, c, c->full, c->nfull, NULL);
	if (!all_key && !autoid)
		return missing_key(w, c);
	if ((r = upsert(w, c, k, all_key)))
		return r;
	return read_back(w, c, wt, k);
}

/* write_sql_del - see write_int.h */
enum result_kind write_sql_del(struct sql_write *w, struct wchange *c)
{
	struct sql_buf b = SQL_BUF_INIT;
	struct sql_value p[2 * REG_MAX_COLS];
	size_t np = 0;
	enum result_kind r;

	if (c->nf > REG_MAX_COLS)
		return write_fail(w, RESULT_BADDATA, "%s: more than %d "
				  "conditions", c->name, REG_MAX_COLS);
	sql_buf_add(&b, "DELETE FROM ");
	sql_buf_ident(&b, w->conn->driver->engine, c->name);
	where_cols(&b, w, c->t, c->f, c->nf, p, &np);
	r = run(w, &b, p, np, &c->out.n);
	sql_buf_free(&b);
	return r;
}

/* same_text - value v in the text form SQL gives it back */
static void same_text(const struct store_value *v, char *buf, size_t len,
		      const char **s, size_t *n)
{
	if (v->kind == SV_INT) {
		*n = (size_t)snprintf(buf, len, "%" PRId64, v->i);
		*s = buf;
	} else {
		*s = v->kind == SV_TEXT ? v->s : "";
		*n = v->kind == SV_TEXT ? v->len : 0;
	}
}

/* agrees - does SQL's present row have c's value in column same? */
static enum result_kind agrees(struct sql_write *w, struct wchange *c,
			       bool *ok)
{
	struct sql_buf b = SQL_BUF_INIT;
	struct store_filter k[REG_MAX_KEY];
	struct sql_value p[2 * REG_MAX_KEY];
	struct sql_rows *rows = NULL;
	const struct sql_value *v;
	const char *want = "";
	char num[24];
	size_t np = 0, n, wlen = 0;
	enum sql_rc rc;

	key_of(c->t, c->full, c->nfull, k);
	for (int i = 0; i < c->nfull; i++)
		if (c->full[i].col == c->same)
			same_text(&c->full[i].v, num, sizeof(num), &want,
				  &wlen);
	sql_buf_add(&b, "SELECT ");
	sql_buf_ident(&b, w->conn->driver->engine,
		      c->t->cols[c->same].name);
	sql_buf_add(&b, " FROM ");
	sql_buf_ident(&b, w->conn->driver->engine, c->name);
	where_cols(&b, w, c->t, k, c->t->nkey, p, &np);
	rc = b.oom ? SQL_INTERNAL : sql_exec(w->conn, b.p, p, np, &rows, NULL);
	if (rc == SQL_OK)
		rc = sql_rows_next(w->conn, rows, &v, &n);
	*ok = rc == SQL_OK && n == 1 && v[0].type == SQL_TEXT &&
		v[0].len == wlen && !memcmp(v[0].p, want, wlen);
	while (rc == SQL_OK)	/* the rest, so the connection is free */
		rc = sql_rows_next(w->conn, rows, &v, &n);
	sql_rows_free(w->conn, rows);
	sql_buf_free(&b);
	return rc == SQL_END ? RESULT_OK : write_sql_fail(w, rc);
}

/* write_sql_add - see write_int.h */
enum result_kind write_sql_add(struct sql_write *w, struct wchange *c)
{
	struct sql_buf b = SQL_BUF_INIT;
	struct sql_value p[REG_MAX_COLS];
	struct wtable *wt;
	enum result_kind r = write_table(w, c, &wt);
	bool ok = true;

	if (!r)
		r = write_defaults(w, c);
	if (!r)
		r = utf8_ok(w, c, c->full, c->nfull);
	if (r)
		return r;
	insert_text(&b, w, c, c->full, c->nfull, true, p);
	r = run(w, &b, p, (size_t)c->nfull, &c->out.n);
	sql_buf_free(&b);
	c->skip = !r && c->out.n == 0;
	if (!r && c->skip && c->same >= 0)
		r = agrees(w, c, &ok);
	if (!r && !ok)
		r = write_fail(w, RESULT_BADDATA, "%s: %s", c->name,
			       c->conflict);
	return r;
}
