/*
 * NAME
 *	pg_copy.h - PostgreSQL's COPY text format, read (pg_copy.c)
 * DESCRIPTION
 *	Private to sql-compat/sql_pgsql.c, which reads a table with COPY
 *	TO STDOUT, and to the tests of the format.
 */
#ifndef MQ_SQL_PG_COPY_H
#define MQ_SQL_PG_COPY_H

#include <stddef.h>
#include <sys/types.h>

#include "sql-compat/sql.h"

/*
 * pg_copy_fields - split one line of COPY's text format (len bytes, its
 *	newline included or not, followed by one more byte of room) into
 *	at most max values, decoding its escapes in place: each value
 *	points into line and is followed by a NUL; \N alone is SQL_NULL.
 *	Returns the number of values, or -1 when the line has more than
 *	max, ends inside an escape, or holds a NUL byte (as it is or
 *	escaped).
 */
ssize_t	pg_copy_fields(char *line, size_t len, struct sql_value *v,
		       size_t max);

#endif
