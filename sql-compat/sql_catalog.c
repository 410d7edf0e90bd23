/*
 * NAME
 *	sql_catalog.c - table and column listings shared by the drivers
 * SYNOPSIS
 *	#include "sql-compat/sql.h"
 *
 *	rc = sql_catalog_tables(conn, query, cb, ctx);
 *	rc = sql_catalog_columns(conn, query, table, cb, ctx);
 * DESCRIPTION
 *	Each driver knows which catalog query answers for its engine;
 *	running it and turning rows into callbacks is the same work for
 *	all three, so it lives here, on top of sql_exec().
 *
 *	A tables query returns one column, the table name.  A columns
 *	query takes the table name as its one parameter and returns
 *	name, type, nullable, default, primary key, where nullable and
 *	primary key are "1"/"0" (or "t"/"f", "YES"/"NO").
 * DIAGNOSTICS
 *	Failures of the query are returned as sql_exec() reports them.
 */
#include <string.h>
#include <strings.h>

#include "sql-compat/sql.h"

/* catalog_text - the NUL-terminated text of a result column, or NULL */
static const char *catalog_text(const struct sql_value *v)
{
	return v->type == SQL_NULL ? NULL : v->p;
}

/* catalog_true - is a catalog flag set ("1", "t", "true", "YES")? */
static bool catalog_true(const struct sql_value *v)
{
	const char *s = catalog_text(v);

	return s && (strcmp(s, "1") == 0 || strcasecmp(s, "t") == 0
		     || strcasecmp(s, "true") == 0 || strcasecmp(s, "yes") == 0);
}

/* sql_catalog_tables - see above */
enum sql_rc sql_catalog_tables(struct sql_conn *conn, const char *query,
			       sql_table_cb cb, void *ctx)
{
	const struct sql_value *cols;
	struct sql_rows *rows;
	size_t	ncols;
	enum sql_rc rc;

	if ((rc = sql_exec(conn, query, NULL, 0, &rows, NULL)) != SQL_OK)
		return rc;
	while ((rc = sql_rows_next(conn, rows, &cols, &ncols)) == SQL_OK)
		if (ncols >= 1 && cols[0].type != SQL_NULL
		    && cb(ctx, cols[0].p) != 0)
			break;
	sql_rows_free(conn, rows);
	return rc == SQL_END ? SQL_OK : rc;
}

/* sql_catalog_columns - see above */
enum sql_rc sql_catalog_columns(struct sql_conn *conn, const char *query,
				const char *table, sql_column_cb cb, void *ctx)
{
	struct sql_value param = {SQL_TEXT, 0, table, strlen(table)};
	const struct sql_value *c;
	struct sql_column_info info;
	struct sql_rows *rows;
	size_t	ncols;
	enum sql_rc rc;

	if ((rc = sql_exec(conn, query, &param, 1, &rows, NULL)) != SQL_OK)
		return rc;
	while ((rc = sql_rows_next(conn, rows, &c, &ncols)) == SQL_OK) {
		if (ncols < 5 || c[0].type == SQL_NULL)
			continue;
		info.name = c[0].p;
		info.type = catalog_text(&c[1]) ? c[1].p : "";
		info.nullable = catalog_true(&c[2]);
		info.default_value = catalog_text(&c[3]);
		info.primary_key = catalog_true(&c[4]);
		if (cb(ctx, &info) != 0)
			break;
	}
	sql_rows_free(conn, rows);
	return rc == SQL_END ? SQL_OK : rc;
}
