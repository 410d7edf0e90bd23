/*
 * NAME
 *	pg_columns.c - every column of a PostgreSQL schema, read once
 * SYNOPSIS
 *	#include "sql-compat/pg_columns.h"
 *
 *	rc = pg_columns_read(conn, query, &cols);
 *	rc = pg_columns_each(cols, "capacity", cb, ctx);
 *	pg_columns_free(cols);
 * DESCRIPTION
 *	sync --from-sql lists the columns of every table it reads (36 for
 *	one list, 16 more for each other) inside one REPEATABLE READ
 *	snapshot, in which the catalog does not change.  One query of the
 *	whole schema's columns serves them all: a query a table cost the
 *	server 2 to 4 ms of CPU each (information_schema's views planned
 *	and run again every time), more than reading a list of 100,000
 *	subscribers.  The columns are kept sorted by table, each table's
 *	in their order, and found by binary search.
 */
#include <stdlib.h>
#include <string.h>

#include "sql-compat/pg_columns.h"

/* One column of one table, as the catalog query gave it. */
struct pg_col {
	char   *table, *name, *type, *dflt;
	bool	nullable, pk;
	size_t	nth;		/* its place in the query's rows */
};

struct pg_columns {
	struct pg_col *c;
	size_t	n, cap;
};

/* text_dup - a copy of a column's text, NULL for SQL NULL; *oom set */
static char *text_dup(const struct sql_value *v, bool *oom)
{
	char   *s;

	if (v->type == SQL_NULL)
		return NULL;
	if ((s = strndup(v->p, v->len)) == NULL)
		*oom = true;
	return s;
}

/* col_add - keep one row of the query; false without memory */
static bool col_add(struct pg_columns *c, const struct sql_value *v)
{
	struct pg_col *x;
	bool	oom = false;

	if (c->n == c->cap) {
		size_t	cap = c->cap ? c->cap * 2 : 256;

		if ((x = realloc(c->c, cap * sizeof(*x))) == NULL)
			return false;
		c->c = x;
		c->cap = cap;
	}
	x = &c->c[c->n];
	*x = (struct pg_col) {
		.table = text_dup(&v[0], &oom), .name = text_dup(&v[1], &oom),
		.type = text_dup(&v[2], &oom), .dflt = text_dup(&v[4], &oom),
		.nullable = v[3].type == SQL_TEXT && strcmp(v[3].p, "YES") == 0,
		.pk = v[5].type == SQL_TEXT && strcmp(v[5].p, "t") == 0,
		.nth = c->n,
	};
	c->n++;
	return !oom && x->table && x->name;
}

/* col_cmp - qsort order: by table, then as the query gave them */
static int col_cmp(const void *a, const void *b)
{
	const struct pg_col *x = a, *y = b;
	int	d = strcmp(x->table, y->table);

	return d ? d : x->nth < y->nth ? -1 : x->nth > y->nth;
}

/* pg_columns_read - see pg_columns.h */
enum sql_rc pg_columns_read(struct sql_conn *conn, const char *query,
			    struct pg_columns **out)
{
	struct pg_columns *c = calloc(1, sizeof(*c));
	const struct sql_value *v;
	struct sql_rows *rows;
	size_t	n;
	enum sql_rc rc;

	*out = NULL;
	if (c == NULL)
		return sql_conn_fail(conn, SQL_INTERNAL, "catalog", "out of memory");
	if ((rc = sql_exec(conn, query, NULL, 0, &rows, NULL)) != SQL_OK) {
		free(c);
		return rc;
	}
	while ((rc = sql_rows_next(conn, rows, &v, &n)) == SQL_OK)
		if (n >= 6 && v[0].type == SQL_TEXT && v[1].type == SQL_TEXT &&
		    !col_add(c, v)) {
			rc = sql_conn_fail(conn, SQL_INTERNAL, "catalog",
					   "out of memory");
			break;
		}
	sql_rows_free(conn, rows);
	if (rc != SQL_END) {
		pg_columns_free(c);
		return rc;
	}
	qsort(c->c, c->n, sizeof(*c->c), col_cmp);
	*out = c;
	return SQL_OK;
}

/* pg_columns_each - see pg_columns.h */
enum sql_rc pg_columns_each(const struct pg_columns *c, const char *table,
			    sql_column_cb cb, void *ctx)
{
	size_t	lo = 0, hi = c->n;
	struct sql_column_info info;

	while (lo < hi) {		/* the first column of table */
		size_t	mid = lo + (hi - lo) / 2;

		if (strcmp(c->c[mid].table, table) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < c->n && strcmp(c->c[lo].table, table) == 0; lo++) {
		const struct pg_col *x = &c->c[lo];

		info = (struct sql_column_info) { .name = x->name,
			.type = x->type ? x->type : "", .nullable = x->nullable,
			.primary_key = x->pk, .default_value = x->dflt };
		if (cb(ctx, &info) != 0)
			break;
	}
	return SQL_OK;
}

/* pg_columns_free - see pg_columns.h */
void	pg_columns_free(struct pg_columns *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->n; i++) {
		free(c->c[i].table);
		free(c->c[i].name);
		free(c->c[i].type);
		free(c->c[i].dflt);
	}
	free(c->c);
	free(c);
}
