/*
 * NAME
 *	sql_buf.c - statement text: a growing buffer and quoted identifiers
 * SYNOPSIS
 *	#include "sql-compat/sql.h"
 *
 *	struct sql_buf b = SQL_BUF_INIT;
 *	sql_buf_add(&b, "SELECT * FROM ");
 *	sql_buf_ident(&b, SQL_ENGINE_PGSQL, "capacity");
 * DESCRIPTION
 *	Only identifiers (table and column names) and fixed SQL text go
 *	into a statement; values are always bound parameters.  Every
 *	identifier is quoted for its engine, even though the registry
 *	only has plain ones, so a name is never read as SQL.
 * DIAGNOSTICS
 *	An allocation failure sets b->oom; appends then do nothing.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sql-compat/sql.h"

/* sql_buf_reserve - room for n more bytes and a NUL; false on failure */
static bool sql_buf_reserve(struct sql_buf *b, size_t n)
{
	size_t	cap;
	char   *p;

	if (b->oom)
		return false;
	if (b->len + n + 1 <= b->cap)
		return true;
	cap = b->cap ? b->cap : 256;
	while (cap < b->len + n + 1)
		cap *= 2;
	if ((p = realloc(b->p, cap)) == NULL) {
		b->oom = true;
		return false;
	}
	b->p = p;
	b->cap = cap;
	return true;
}

/* sql_buf_add - see sql.h */
void	sql_buf_add(struct sql_buf *b, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !sql_buf_reserve(b, (size_t) n))
		return;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	b->len += (size_t) n;
}

/* sql_buf_ident - see sql.h; the quote character inside is doubled */
void	sql_buf_ident(struct sql_buf *b, enum sql_engine engine,
		      const char *name)
{
	char	q = engine == SQL_ENGINE_MYSQL ? '`' : '"';
	size_t	n = strlen(name), extra = 2;

	for (const char *s = name; *s; s++)
		extra += *s == q;
	if (!sql_buf_reserve(b, n + extra))
		return;
	b->p[b->len++] = q;
	for (const char *s = name; *s; s++) {
		if (*s == q)
			b->p[b->len++] = q;
		b->p[b->len++] = *s;
	}
	b->p[b->len++] = q;
	b->p[b->len] = 0;
}

/* sql_buf_reset - see sql.h */
void	sql_buf_reset(struct sql_buf *b)
{
	b->len = 0;
	if (b->p)
		b->p[0] = 0;
}

/* sql_buf_free - see sql.h */
void	sql_buf_free(struct sql_buf *b)
{
	free(b->p);
	*b = (struct sql_buf) SQL_BUF_INIT;
}
