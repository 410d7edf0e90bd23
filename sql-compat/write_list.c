/*
 * NAME
 *	write_list.c - the SQL part of list create, list drop and imported rows
 * SYNOPSIS
 *	#include "sql-compat/write_int.h"
 * DESCRIPTION
 *	A list in SQL is its tables (schema.c renders them); T and T_slog
 *	make it one (sql_schema_lists).  Creating a list creates the
 *	tables SQL lacks and is refused when SQL has T already; dropping
 *	it drops its tables.  A drop followed by a create of the same list
 *	in one batch (mq import --replace) empties the tables instead:
 *	rows, not DDL, so it is undone with the transaction everywhere.
 *
 *	On an engine whose DDL commits the open transaction (MySQL) the
 *	new tables are made before the transaction and dropped again when
 *	it fails; dropped tables go after the commit.  Elsewhere the DDL
 *	is part of the transaction.
 *
 *	Imported rows go in through one prepared INSERT per table, every
 *	value bound.
 * DIAGNOSTICS
 *	write_fail(): the list and the server's reason.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sql-compat/write_int.h"

#define LIST_T	1u	/* bit of T itself among reg_list's tables */

/* The tables of one list SQL has: bit i for reg_list[i]. */
struct have {
	const char *root;
	uint32_t bits;
};

/* have_table - sql_list_tables' callback: one of the list's tables? */
static int have_table(void *ctx, const char *table)
{
	struct have *h = ctx;
	char root[REG_NAME_MAX];
	const struct reg_table *t = reg_list_split(table, root, sizeof(root));

	for (int i = 0; t && reg_list[i]; i++)
		if (reg_list[i] == t && !strcmp(root, h->root))
			h->bits |= 1u << i;
	return 0;
}

/* tables_of - which of root's tables SQL has, into *bits */
static enum result_kind tables_of(struct sql_write *w, const char *root,
				  uint32_t *bits)
{
	struct have h = { root, 0 };
	enum sql_rc rc = sql_list_tables(w->conn, have_table, &h);

	*bits = h.bits;
	return rc ? write_sql_fail(w, rc) : RESULT_OK;
}

/* table_ddl - run DROP TABLE (drop) or CREATE TABLE of root's table i */
static enum sql_rc table_ddl(struct sql_conn *conn, const char *root, int i,
			     bool drop)
{
	char name[SQL_TABLE_NAME_MAX];
	struct sql_buf b = SQL_BUF_INIT;
	enum sql_rc rc;

	snprintf(name, sizeof(name), "%s%s", root, reg_list[i]->name);
	if (drop)
		sql_schema_drop_table(&b, conn->driver->engine, name);
	else
		sql_schema_create(&b, conn->driver->engine, name, reg_list[i]);
	rc = b.oom ? SQL_INTERNAL : sql_exec_script(conn, b.p, NULL, NULL);
	sql_buf_free(&b);
	return rc;
}

/* tables_ddl - DROP (drop) or CREATE the tables of root in bits */
static enum result_kind tables_ddl(struct sql_write *w, const char *root,
				   uint32_t bits, bool drop, uint32_t *done)
{
	enum sql_rc rc = SQL_OK;

	for (int i = 0; reg_list[i] && rc == SQL_OK; i++)
		if (bits & (1u << i) && (rc = table_ddl(w->conn, root, i,
							drop)) == SQL_OK &&
		    done)
			*done |= 1u << i;
	return rc ? write_sql_fail(w, rc) : RESULT_OK;
}

/* root_ok - a name the store takes as a list (store/list.c's rules) */
static enum result_kind root_ok(struct sql_write *w, const char *root)
{
	const char *clash = reg_root_clash(root);

	if (strlen(root) >= REG_NAME_MAX - 16)
		return write_fail(w, RESULT_BADDATA, "list name too long");
	if (clash)
		return write_fail(w, RESULT_BADDATA, "list %s: its tables "
				  "would clash with %s%s", root,
				  clash[0] == '_' ? "another list's " : "",
				  clash);
	if (!reg_root_valid(root))
		return write_fail(w, RESULT_BADDATA, "list %s: a list name is "
				  "a lower-case letter, then lower-case "
				  "letters, digits and '_'", root);
	return RESULT_OK;
}

/* new_list - may c create its list?  The tables SQL has into *bits */
static enum result_kind new_list(struct sql_write *w, struct wchange *c,
				 uint32_t *bits)
{
	enum result_kind r = root_ok(w, c->name);

	if (!r)
		r = tables_of(w, c->name, bits);
	if (!r && (*bits & ~c->created & LIST_T) &&
	    !write_list_op(w, c, W_LIST_DROP, c->name, false)) {
		c->out.exists = true;
		r = write_fail(w, RESULT_BADDATA, "list %s exists already",
			       c->name);
	}
	return r;
}

/* empty_tables - DELETE every row of root's tables in bits */
static enum result_kind empty_tables(struct sql_write *w, const char *root,
				     uint32_t bits)
{
	struct sql_buf b = SQL_BUF_INIT;
	enum sql_rc rc = SQL_OK;

	for (int i = 0; reg_list[i] && rc == SQL_OK; i++) {
		char name[SQL_TABLE_NAME_MAX];

		if (!(bits & (1u << i)))
			continue;
		snprintf(name, sizeof(name), "%s%s", root, reg_list[i]->name);
		sql_buf_reset(&b);
		sql_buf_add(&b, "DELETE FROM ");
		sql_buf_ident(&b, w->conn->driver->engine, name);
		rc = b.oom ? SQL_INTERNAL
			: sql_exec(w->conn, b.p, NULL, 0, NULL, NULL);
	}
	sql_buf_free(&b);
	return rc ? write_sql_fail(w, rc) : RESULT_OK;
}

/* all_tables - the bits of every table of a list */
static uint32_t all_tables(void)
{
	uint32_t bits = 0;

	for (int i = 0; reg_list[i]; i++)
		bits |= 1u << i;
	return bits;
}

/* write_sql_list_create - see write_int.h */
enum result_kind write_sql_list_create(struct sql_write *w,
				       struct wchange *c)
{
	uint32_t bits;
	enum result_kind r = new_list(w, c, &bits);

	if (r)
		return r;
	c->emptied = write_list_op(w, c, W_LIST_DROP, c->name, false);
	if (c->emptied && (r = empty_tables(w, c->name, bits & ~c->created)))
		return r;
	return w->conn->driver->ddl_commits ? RESULT_OK
		: tables_ddl(w, c->name, all_tables() & ~bits, false, NULL);
}

/* write_sql_list_drop - see write_int.h */
enum result_kind write_sql_list_drop(struct sql_write *w, struct wchange *c)
{
	uint32_t bits;
	enum result_kind r = tables_of(w, c->name, &bits);

	c->out.n = !r && (bits & LIST_T);
	if (r || w->conn->driver->ddl_commits ||
	    write_list_op(w, c, W_LIST_CREATE, c->name, true))
		return r;
	return tables_ddl(w, c->name, bits, true, NULL);
}

/* write_ddl_before - see write_int.h */
enum result_kind write_ddl_before(struct sql_write *w)
{
	enum result_kind r = RESULT_OK;
	uint32_t bits;

	if (!w->conn->driver->ddl_commits)
		return RESULT_OK;
	for (size_t i = 0; i < w->n && !r; i++) {
		struct wchange *c = &w->c[i];

		w->cur = i;
		if (c->kind == W_LIST_CREATE && !(r = new_list(w, c, &bits)))
			r = tables_ddl(w, c->name, all_tables() & ~bits,
				       false, &c->created);
	}
	if (r)
		write_ddl_undo(w);
	return r;
}

/* write_ddl_undo - see write_int.h */
void	write_ddl_undo(struct sql_write *w)
{
	for (size_t i = 0; i < w->n; i++)
		for (int k = 0; reg_list[k]; k++)
			if (w->c[i].created & (1u << k))
				table_ddl(w->conn, w->c[i].name, k, true);
}

/* write_ddl_after - see write_int.h */
enum result_kind write_ddl_after(struct sql_write *w)
{
	enum result_kind r = RESULT_OK;

	if (!w->conn->driver->ddl_commits)
		return RESULT_OK;
	for (size_t i = 0; i < w->n && !r; i++) {
		struct wchange *c = &w->c[i];

		w->cur = i;
		if (c->kind == W_LIST_DROP &&
		    !write_list_op(w, c, W_LIST_CREATE, c->name, true))
			r = tables_ddl(w, c->name, all_tables(), true, NULL);
	}
	if (r)
		snprintf(w->err + strlen(w->err), sizeof(w->err) -
			 strlen(w->err), " (the other changes are in SQL: mq "
			 "sync --from-sql makes the store equal)");
	return r;
}

/* The columns of one table SQL has, for write_prepare_insert. */
struct have_cols {
	const struct reg_table *t;
	unsigned have;
};

/* note_have - sql_list_columns callback: a registry column SQL has */
static int note_have(void *ctx, const struct sql_column_info *ci)
{
	struct have_cols *h = ctx;
	int i = reg_column_index(h->t, ci->name);

	if (i >= 0)
		h->have |= 1u << i;
	return 0;
}

/* absent_columns - the optional columns of t table lacks, into *absent */
static enum sql_rc absent_columns(struct sql_conn *conn, const char *table,
				  const struct reg_table *t, unsigned *absent)
{
	struct have_cols h = { t, 0 };
	enum sql_rc rc = SQL_OK;
	bool optional = false;

	*absent = 0;
	for (int i = 0; i < t->ncols; i++)
		optional = optional || sql_schema_optional_column(t, i);
	if (optional)	/* only then is the catalog asked */
		rc = sql_list_columns(conn, table, note_have, &h);
	for (int i = 0; optional && h.have && i < t->ncols; i++)
		if (!(h.have >> i & 1u) && sql_schema_optional_column(t, i))
			*absent |= 1u << i;
	return rc;
}

/* write_present - see write_int.h */
void	write_present(struct sql_value *v, const struct reg_table *t,
		      unsigned absent)
{
	int n = 0;

	for (int i = 0; absent && i < t->ncols; i++)
		if (!(absent >> i & 1u))
			v[n++] = v[i];
}

/* write_prepare_insert - see write_int.h */
enum sql_rc write_prepare_insert(struct sql_conn *conn, const char *table,
				 const struct reg_table *t, unsigned *absent,
				 struct sql_stmt **out)
{
	enum sql_engine e = conn->driver->engine;
	struct sql_buf b = SQL_BUF_INIT;
	enum sql_rc rc = absent_columns(conn, table, t, absent);
	size_t n = 0;

	sql_buf_add(&b, "INSERT INTO ");
	sql_buf_ident(&b, e, table);
	for (int i = 0; i < t->ncols; i++) {
		if (*absent >> i & 1u)
			continue;
		sql_buf_add(&b, n++ ? ", " : " (");
		sql_buf_ident(&b, e, t->cols[i].name);
	}
	for (size_t i = 0; i < n; i++)
		sql_buf_add(&b, i ? ", ?" : ") VALUES (?");
	sql_buf_add(&b, ")");
	if (rc == SQL_OK)
		rc = b.oom ? SQL_INTERNAL : sql_prepare(conn, b.p, n, out);
	sql_buf_free(&b);
	return rc;
}

/* The copy of one imported table into SQL. */
struct copy {
	struct sql_conn *conn;
	const struct reg_table *t;
	struct sql_stmt *ins;
	unsigned absent;	/* write_prepare_insert's */
	enum sql_rc rc;
	const struct sync_cols *cols;	/* how SQL holds the columns */
};

/* copy_row - store_row_fn: insert one row; non-zero stops */
static int copy_row(const struct store_row *row, void *arg)
{
	struct copy *x = arg;
	struct sql_value v[REG_MAX_COLS];

	for (int i = 0; i < x->t->ncols; i++)
		v[i] = sync_param_col(x->cols, i, &row->col[i]);
	write_present(v, x->t, x->absent);
	x->rc = sql_stmt_exec(x->conn, x->ins, v, NULL);
	return x->rc != SQL_OK;
}

/* write_sql_rows - see write_int.h */
enum result_kind write_sql_rows(struct sql_write *w, struct wchange *c)
{
	struct copy x = { w->conn, c->t, NULL, 0, SQL_OK, NULL };
	enum store_rc src = STORE_OK;
	struct wtable *wt;
	enum result_kind r = write_table(w, c, &wt);

	if (r)
		return r;
	x.cols = &wt->cols;
	x.rc = write_prepare_insert(w->conn, c->name, c->t, &x.absent, &x.ins);
	if (x.rc == SQL_OK)
		src = c->each(c->each_arg, copy_row, &x);
	sql_stmt_free(w->conn, x.ins);
	if (x.rc)
		return write_sql_fail(w, x.rc);
	if (src)
		return write_fail(w, store_rc_kind(src), "%s: the rows to "
				  "import: %s", c->name, store_strerror(src));
	return RESULT_OK;
}
