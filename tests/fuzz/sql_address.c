/*
 * NAME
 *	sql_address.c - fuzz target: database-address parsing and the
 *	format/parse round trip
 * SYNOPSIS
 *	tests/fuzz/run.sh sql_address SECONDS [LIBFUZZER-FLAG...]
 *	build/fuzz/sql_address [LIBFUZZER-FLAG...] [CORPUS-DIR... | INPUT...]
 * DESCRIPTION
 *	Input: a database-address (the bytes up to the first NUL).
 *
 *	sql_address_parse() must refuse it or parse it; sql_url_redact()
 *	must copy it whatever it is.  A parsed address, written back by
 *	sql_address_format() (whole, and cut short into a smaller
 *	buffer: NUL-terminated, a prefix, the same length returned), must
 *	parse again to the same address but for the password and the
 *	values of secret options, which it writes as "***" (sql.h's
 *	promise); sql_address_dup() must format the same.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sql-compat/sql.h"
#include "tests/fuzz/fuzz_util.h"

/* same_str - two optional strings are equal (both NULL, or same text). */
static bool same_str(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

/* secret_option - an option whose value format writes as "***". */
static bool secret_option(const char *key)
{
	return strcasestr(key, "password") != NULL;
}

/* same_address - b, parsed from a's formatted text, is a. */
static const char *same_address(const struct sql_address *a,
				const struct sql_address *b)
{
	if (a->engine != b->engine || !same_str(a->scheme, b->scheme))
		return "engine or scheme";
	if (!same_str(a->user, b->user))
		return "user";
	if ((a->password == NULL) != (b->password == NULL))
		return "password";
	if (!same_str(a->host, b->host) || a->port != b->port)
		return "host or port";
	if (!same_str(a->database, b->database) || !same_str(a->path, b->path))
		return "database or path";
	if (a->noptions != b->noptions)
		return "options";
	for (size_t i = 0; i < a->noptions; i++)
		if (strcmp(a->options[i].key, b->options[i].key) ||
		    (!secret_option(a->options[i].key) &&
		     strcmp(a->options[i].value, b->options[i].value)))
			return "options";
	return NULL;
}

/* format_new - addr formatted into a new string; checks the cut form. */
static char *format_new(const struct sql_address *addr, size_t cut)
{
	size_t n = sql_address_format(NULL, 0, addr), m;
	char *s = malloc(n + 1), *part;

	if (!s)
		fuzz_fail("out of memory");
	if ((m = sql_address_format(s, n + 1, addr)) != n || strlen(s) != n)
		fuzz_fail("sql_address_format: %zu bytes, said %zu then %zu",
			  strlen(s), n, m);
	cut = cut % (n + 1) + 1;
	if (!(part = malloc(cut)))
		fuzz_fail("out of memory");
	if (sql_address_format(part, cut, addr) != n ||
	    strlen(part) != cut - 1 || memcmp(part, s, cut - 1))
		fuzz_fail("sql_address_format into %zu bytes: '%s' is not a "
			  "prefix of '%s'", cut, part, s);
	free(part);
	return s;
}

/* LLVMFuzzerTestOneInput - parse, redact and round-trip one address */
int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sql_address *a, *b, *c;
	char err[256], red[64], *url, *text, *dtext;
	const char *what;
	size_t need;

	if (!(url = strndup((const char *)data, size)))
		fuzz_fail("out of memory");
	need = sql_url_redact(red, sizeof(red), url);
	if (strlen(red) != (need < sizeof(red) ? need : sizeof(red) - 1))
		fuzz_fail("sql_url_redact: %zu bytes written, %zu needed",
			  strlen(red), need);
	if (sql_address_parse(url, &a, err, sizeof(err)) != SQL_OK) {
		free(url);
		return 0;
	}
	text = format_new(a, size);
	if (sql_address_parse(text, &b, err, sizeof(err)) != SQL_OK)
		fuzz_fail("'%s' parsed, formatted as '%s', which does not "
			  "parse: %s", url, text, err);
	if ((what = same_address(a, b)))
		fuzz_fail("'%s' parsed, formatted as '%s', parses to another "
			  "%s", url, text, what);
	if (!(c = sql_address_dup(a)))
		fuzz_fail("out of memory");
	dtext = format_new(c, 0);
	if (strcmp(text, dtext))
		fuzz_fail("a copy formats as '%s', not '%s'", dtext, text);
	free(dtext);
	sql_address_free(c);
	sql_address_free(b);
	free(text);
	sql_address_free(a);
	free(url);
	return 0;
}
