/*
 * NAME
 *	pg_columns.h - every column of a PostgreSQL schema, read once
 *	(pg_columns.c)
 * DESCRIPTION
 *	Private to sql-compat/sql_pgsql.c, which keeps them for the length
 *	of a read snapshot.
 */
#ifndef MQ_SQL_PG_COLUMNS_H
#define MQ_SQL_PG_COLUMNS_H

#include "sql-compat/sql.h"

struct pg_columns;

/*
 * pg_columns_read - run query, whose rows are a table's name and then
 *	a column as a columns query of sql_catalog.c gives it (name, type,
 *	nullable, default, primary key: PostgreSQL's "YES"/"NO", "t"/"f"),
 *	in the tables' column order; *out keeps them for pg_columns_each.
 *	Failures as sql_exec's; SQL_INTERNAL without memory.
 */
enum sql_rc pg_columns_read(struct sql_conn *conn, const char *query,
			    struct pg_columns **out);

/* pg_columns_each - cb for each column of table, in order (none: OK) */
enum sql_rc pg_columns_each(const struct pg_columns *c, const char *table,
			    sql_column_cb cb, void *ctx);

/* pg_columns_free - release what pg_columns_read kept (NULL: nothing) */
void	pg_columns_free(struct pg_columns *c);

#endif
