/*
 * NAME
 *	pg_copy.c - fuzz target: a line of PostgreSQL's COPY text format
 * SYNOPSIS
 *	tests/fuzz/run.sh pg_copy SECONDS [LIBFUZZER-FLAG...]
 *	build/fuzz/pg_copy [LIBFUZZER-FLAG...] [CORPUS-DIR... | INPUT...]
 * DESCRIPTION
 *	Input: one line as COPY TO STDOUT may send it (any bytes: a server
 *	that misbehaves, or a stream cut short), in a buffer of exactly its
 *	length plus the one byte of room pg_copy_fields() asks for.
 *
 *	pg_copy_fields() must refuse it or split it without touching
 *	outside the buffer; each value lies inside it, holds no NUL and is
 *	followed by one.  Written again in COPY's own escapes (\\, \t, \n,
 *	\r, \N for NULL), the values must read back the same.
 */
#include <stdlib.h>
#include <string.h>

#include "sql-compat/pg_copy.h"
#include "tests/fuzz/fuzz_util.h"

#define MAXV	16

/* encode - the values as COPY writes them: one line, into out */
static size_t encode(const struct sql_value *v, size_t n, char *out)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		if (i)
			out[o++] = '\t';
		if (v[i].type == SQL_NULL) {
			memcpy(out + o, "\\N", 2);
			o += 2;
			continue;
		}
		for (size_t k = 0; k < v[i].len; k++) {
			char c = v[i].p[k];
			const char *e = c == '\\' ? "\\\\" : c == '\t' ? "\\t"
				: c == '\n' ? "\\n" : c == '\r' ? "\\r" : NULL;

			if (e) {
				memcpy(out + o, e, 2);
				o += 2;
			} else
				out[o++] = c;
		}
	}
	out[o++] = '\n';
	return o;
}

/* check_values - inside the line, NUL after, none inside */
static void check_values(const char *line, size_t size,
			 const struct sql_value *v, ssize_t n)
{
	for (ssize_t i = 0; i < n; i++) {
		if (v[i].type == SQL_NULL)
			continue;
		if (v[i].type != SQL_TEXT || v[i].p < line ||
		    v[i].p + v[i].len > line + size)
			fuzz_fail("value %zd outside the line", i);
		if (v[i].p[v[i].len] != 0 || memchr(v[i].p, 0, v[i].len))
			fuzz_fail("value %zd: its NUL", i);
	}
}

/* same - two splits of a line agree, byte for byte */
static void same(const struct sql_value *a, const struct sql_value *b,
		 ssize_t n)
{
	for (ssize_t i = 0; i < n; i++)
		if (a[i].type != b[i].type || (a[i].type == SQL_TEXT &&
		    (a[i].len != b[i].len || memcmp(a[i].p, b[i].p,
						    a[i].len))))
			fuzz_fail("value %zd reads back otherwise", i);
}

/* LLVMFuzzerTestOneInput - split one line, check, write and read again */
int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sql_value v[MAXV], w[MAXV];
	char *line = malloc(size + 1), *again;
	ssize_t n, m;
	size_t len;

	if (!line)
		fuzz_fail("out of memory");
	if (size)
		memcpy(line, data, size);
	line[size] = 'x';	/* the byte of room: never read as data */
	n = pg_copy_fields(line, size, v, MAXV);
	if (n == 0 || n > MAXV)
		fuzz_fail("%zd values", n);
	check_values(line, size, v, n);
	if (n > 0) {
		if (!(again = malloc(2 * size + 3 * MAXV + 2)))
			fuzz_fail("out of memory");
		len = encode(v, (size_t)n, again);
		m = pg_copy_fields(again, len, w, MAXV);
		if (m != n)
			fuzz_fail("%zd values, then %zd", n, m);
		same(v, w, n);
		free(again);
	}
	free(line);
	return 0;
}
