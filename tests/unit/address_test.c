/*
 * NAME
 *	address_test - the address parser against a table of cases
 * SYNOPSIS
 *	address_test [CASES]
 * DESCRIPTION
 *	Each line of CASES (default tests/unit/address_cases.txt) is what
 *	a person pastes, a tab, and either "= ADDRESS", the address
 *	addr_parse() must reduce it to, or "! REASON", the reason it must
 *	give.  A valid address must parse again to itself (the parser's
 *	output is its own input).  Run from the repository root.
 * DIAGNOSTICS
 *	TAP lines through check.h and the exit status of check_done().
 */
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "check.h"

/* unescape - decode \xNN in place; returns the new length. */
static size_t unescape(char *s)
{
	size_t o = 0;

	for (size_t i = 0; s[i]; i++) {
		if (s[i] == '\\' && s[i + 1] == 'x' && s[i + 2] && s[i + 3]) {
			char hex[3] = { s[i + 2], s[i + 3], 0 };
			s[o++] = (char)strtoul(hex, NULL, 16);
			i += 3;
		} else {
			s[o++] = s[i];
		}
	}
	s[o] = 0;
	return o;
}

/* check_valid - in reduces to want, and want parses to itself. */
static void check_valid(const char *in, size_t len, const char *want,
			size_t wlen, int lineno)
{
	char why[ADDR_WHY_MAX] = "";
	const char *a = NULL, *again = NULL;
	size_t alen = 0, againlen = 0;
	int rc = addr_parse(in, len, &a, &alen, why, sizeof(why));

	CHECK(rc == 0 && alen == wlen && memcmp(a, want, wlen) == 0,
	      "line %d: valid, reduced to %s (got %d '%.*s' %s)", lineno,
	      want, rc, rc ? 0 : (int)alen, rc ? "" : a, why);
	if (rc)
		return;
	rc = addr_parse(a, alen, &again, &againlen, why, sizeof(why));
	CHECK(rc == 0 && again == a && againlen == alen,
	      "line %d: %s parses again to itself", lineno, want);
}

/* check_invalid - in is refused with exactly the reason want. */
static void check_invalid(const char *in, size_t len, const char *want,
			  int lineno)
{
	char why[ADDR_WHY_MAX] = "";
	const char *a;
	size_t alen;
	int rc = addr_parse(in, len, &a, &alen, why, sizeof(why));

	CHECK(rc < 0 && strcmp(why, want) == 0,
	      "line %d: refused: %s (got %d: %s)", lineno, want, rc, why);
}

static void run_cases(FILE *f)
{
	char line[1024], want[1024];
	int lineno = 0;

	while (fgets(line, sizeof(line), f)) {
		char *tab = strchr(line, '\t');
		size_t len, wlen;

		lineno++;
		line[strcspn(line, "\n")] = 0;
		if (line[0] == '#' || line[0] == 0)
			continue;
		if (!tab || (tab[1] != '=' && tab[1] != '!') || tab[2] != ' ') {
			CHECK(0, "line %d: a case is INPUT<tab>= or ! WANT",
			      lineno);
			continue;
		}
		*tab = 0;
		snprintf(want, sizeof(want), "%s", tab + 3);
		wlen = unescape(want);
		len = unescape(line);
		if (tab[1] == '=')
			check_valid(line, len, want, wlen, lineno);
		else
			check_invalid(line, len, want, lineno);
	}
}

/* check_bounds - nothing read past the length given, no NUL needed. */
static void check_bounds(void)
{
	char why[ADDR_WHY_MAX];
	const char *a;
	size_t alen;

	CHECK(addr_parse("x@example.org.junk", 13, &a, &alen, why,
			 sizeof(why)) == 0 && alen == 13,
	      "only the bytes given are read");
	CHECK(addr_parse("x@example", 9, &a, &alen, why, 8) < 0 &&
	      strlen(why) == 7, "a short reason buffer is cut, terminated");
	CHECK(!addr_check("@wild.org", 9, false, why, sizeof(why)) &&
	      addr_check("@wild.org", 9, true, why, sizeof(why)),
	      "@domain only where a domain entry is meant");
}

int main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : "tests/unit/address_cases.txt";
	FILE *f = fopen(path, "r");

	if (!f) {
		printf("not ok 1 - skipped: cannot open %s\n", path);
		return 1;
	}
	run_cases(f);
	fclose(f);
	check_bounds();
	return check_done();
}
