/*
 * NAME
 *	pg_copy_test - lines of PostgreSQL's COPY text format into values
 * SYNOPSIS
 *	build/asan/tests/pg_copy_test
 * DESCRIPTION
 *	Each case is a line as COPY TO STDOUT may send it and the values
 *	pg_copy_fields() must give (NULL for \N), or a line it must
 *	refuse: more values than room, a backslash at its end, a NUL byte
 *	as it is or escaped.  sql_driver_test reads the same
 *	values back from a real server through COPY and through a SELECT.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sql-compat/pg_copy.h"
#include "tests/unit/check.h"

#define MAXV	4
#define NUL_V	((const char *)1)	/* the value is SQL NULL */

struct copy_case {
	const char *line;
	ssize_t n;			/* values, or -1: refused */
	const char *want[MAXV];
};

static const struct copy_case cases[] = {
	{ "plain\n", 1, { "plain" } },
	{ "a\tb\tc\n", 3, { "a", "b", "c" } },
	{ "no newline", 1, { "no newline" } },
	{ "\n", 1, { "" } },
	{ "\t\n", 2, { "", "" } },
	{ "\\N\t\\N\n", 2, { NUL_V, NUL_V } },
	{ "\\N\n", 1, { NUL_V } },
	{ "x\\N\t\\Ny\n", 2, { "xN", "Ny" } },
	{ "\\\\N\n", 1, { "\\N" } },
	{ "tab\\there\\nnl\\rcr\n", 1, { "tab\there\nnl\rcr" } },
	{ "\\b\\f\\v\n", 1, { "\b\f\v" } },
	{ "back\\\\slash\\\\\n", 1, { "back\\slash\\" } },
	{ "\\101\\7\\0101\n", 1, { "A\a" "\b" "1" } },
	{ "\\x41\\x4a\\xg\n", 1, { "AJxg" } },
	{ "\\q\\.\n", 1, { "q." } },
	{ "\xf0\x9f\x98\x80\t\xc3\xa9\n", 2, { "\xf0\x9f\x98\x80", "\xc3\xa9" } },
	{ "2025-11-02 05:30:00.123456+00\t\\\\x00ff\n", 2,
	  { "2025-11-02 05:30:00.123456+00", "\\x00ff" } },
	{ "a\tb\tc\td\te\n", -1, { NULL } },
	{ "ends in \\", -1, { NULL } },
	{ "nul \\0 here\n", -1, { NULL } },
	{ "nul \\x00 here\n", -1, { NULL } },
};

/* same - do the values match the case? */
static bool same(const struct copy_case *c, const struct sql_value *v)
{
	for (ssize_t i = 0; i < c->n; i++) {
		if (c->want[i] == NUL_V) {
			if (v[i].type != SQL_NULL)
				return false;
			continue;
		}
		if (v[i].type != SQL_TEXT || v[i].len != strlen(c->want[i]) ||
		    memcmp(v[i].p, c->want[i], v[i].len) != 0 ||
		    v[i].p[v[i].len] != 0)
			return false;
	}
	return true;
}

/* check_raw_nul - a NUL byte as it is (COPY never sends one): refused */
static void check_raw_nul(void)
{
	char raw[] = "raw \0 nul\n";
	struct sql_value v[MAXV];

	CHECK(pg_copy_fields(raw, sizeof(raw) - 1, v, MAXV) == -1,
	      "a NUL byte as it is: refused");
}

int main(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct copy_case *c = &cases[i];
		size_t len = strlen(c->line);
		char *line = malloc(len + 1);
		struct sql_value v[MAXV];
		ssize_t n;

		memcpy(line, c->line, len + 1);
		n = pg_copy_fields(line, len, v, MAXV);
		CHECK(n == c->n && (n < 0 || same(c, v)), "case %zu: %zd "
		      "values, want %zd", i + 1, n, c->n);
		free(line);
	}
	check_raw_nul();
	return check_done();
}
