/*
 * NAME
 *	pg_copy.c - one line of PostgreSQL's COPY text format into values
 * SYNOPSIS
 *	#include "sql-compat/pg_copy.h"
 *
 *	n = pg_copy_fields(line, len, values, max);
 * DESCRIPTION
 *	COPY ... TO STDOUT in text format sends a row as one line: the
 *	values separated by tabs, NULL written \N, and inside a value a
 *	backslash, tab, newline, carriage return, backspace, form feed
 *	and vertical tab written \\, \t, \n, \r, \b, \f and \v; every
 *	other byte is itself, in the client encoding.  The text of a value
 *	is the one a SELECT returns (the type's output function, under
 *	the session's DateStyle and time zone), so a value read by COPY
 *	is the value read by a SELECT.
 *
 *	COPY FROM also takes a backslash followed by one to three octal
 *	digits, or by x and one or two hex digits, and any other byte
 *	after a backslash as itself: read here the same way, so a line
 *	means what PostgreSQL itself would read it as.
 *
 *	Decoding only ever shortens a value, so it is written over the
 *	line itself, and the tab (or newline) after it becomes its NUL.
 *	A line with no backslash and no NUL byte (most: no NULL, nothing
 *	escaped) has nothing to decode: it is cut at its tabs by memchr.
 */
#include <stdbool.h>
#include <string.h>

#include "sql-compat/pg_copy.h"

/*
 * escape - the byte the escape at *p (after its backslash) stands for;
 *	*p moves past it.  p < end.
 */
static unsigned char escape(char **p, const char *end)
{
	static const char from[] = "btnvfr", to[] = "\b\t\n\v\f\r";
	const char *k;
	char *s = *p;
	unsigned v = 0;
	int d;

	if (*s >= '0' && *s <= '7') {
		for (int i = 0; i < 3 && s < end && *s >= '0' && *s <= '7'; i++)
			v = v << 3 | (unsigned)(*s++ - '0');
		*p = s;
		return (unsigned char)v;
	}
	if (*s == 'x' && s + 1 < end && sql_hex_digit((unsigned char)s[1]) >= 0) {
		s++;
		for (int i = 0; i < 2 && s < end && (d = sql_hex_digit((unsigned char)*s)) >= 0;
		     i++, s++)
			v = v << 4 | (unsigned)d;
		*p = s;
		return (unsigned char)v;
	}
	*p = s + 1;
	k = strchr(from, *s);
	return (unsigned char)(k && *s ? to[k - from] : *s);
}

/*
 * field - decode the value at *p up to the next tab or end, in place;
 *	*p moves to the tab or end.  false when it ends inside an escape
 *	or holds a NUL byte, as it is or escaped.
 */
static bool field(char **p, const char *end, struct sql_value *v)
{
	char *s = *p, *o = *p;

	if (end - s >= 2 && s[0] == '\\' && s[1] == 'N' &&
	    (end - s == 2 || s[2] == '\t')) {
		*v = (struct sql_value){ .type = SQL_NULL };
		*p = s + 2;
		return true;
	}
	while (s < end && *s != '\t') {
		if (*s != '\\') {
			if (!(*o++ = *s++))	/* never sent: not text */
				return false;
			continue;
		}
		if (++s == end || !(*o++ = (char)escape(&s, end)))
			return false;
	}
	*v = (struct sql_value){ .type = SQL_TEXT, .p = *p,
				 .len = (size_t)(o - *p) };
	*p = s;
	*o = 0;		/* over the tab at s at most: s was noted */
	return true;
}

/*
 * plain_fields - the values of a line without a backslash or a NUL byte
 *	(most lines): each ends at the next tab, found by memchr, and
 *	nothing is decoded
 */
static ssize_t plain_fields(char *p, char *end, struct sql_value *v,
			    size_t max)
{
	size_t n = 0;

	for (;;) {
		char *t = memchr(p, '\t', (size_t)(end - p));

		if (n == max)
			return -1;
		t = t ? t : end;
		v[n++] = (struct sql_value){ .type = SQL_TEXT, .p = p,
					     .len = (size_t)(t - p) };
		*t = 0;		/* the tab, or the byte after the line */
		if (t == end)
			return (ssize_t)n;
		p = t + 1;
	}
}

/* pg_copy_fields - see pg_copy.h */
ssize_t	pg_copy_fields(char *line, size_t len, struct sql_value *v,
		       size_t max)
{
	char *end = line + len;
	char *p = line;
	size_t n = 0;

	if (len && end[-1] == '\n')
		end--;
	if (!memchr(line, '\\', (size_t)(end - line)) &&
	    !memchr(line, 0, (size_t)(end - line)))
		return plain_fields(line, end, v, max);
	for (;;) {
		if (n == max || !field(&p, end, &v[n]))
			return -1;
		n++;
		if (p >= end)
			return (ssize_t)n;
		p++;		/* the tab */
	}
}
