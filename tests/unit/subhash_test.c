/*
 * NAME
 *	subhash_test - the hash, domain and address columns against vectors
 * SYNOPSIS
 *	subhash_test [CASES]
 * DESCRIPTION
 *	Each line of CASES (default tests/unit/subhash_cases.txt) holds an
 *	address, its hash column, its domain column, its stored form and
 *	the raw hash of "T" + the lower-cased address, all computed
 *	outside mq from ezmlm-idx 7's algorithm.  Then addresses that
 *	sub_address() must refuse.  Run from the repository root.
 * DIAGNOSTICS
 *	TAP lines through check.h and the exit status of check_done().
 */
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "check.h"

#define FIELDS 5

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

/* check_case - every column of one vector line. */
static void check_case(char **f, int lineno)
{
	char addr[512], want_stored[512], want_dom[16], got[SUB_ADDR_MAX + 1];
	char dom[SUB_DOMAIN_MAX + 1], err[256], t[600];
	size_t alen, slen, glen;

	snprintf(addr, sizeof(addr), "%s", f[0]);
	alen = unescape(addr);
	snprintf(want_dom, sizeof(want_dom), "%s",
		 strcmp(f[2], "-") ? f[2] : "");
	unescape(want_dom);
	snprintf(want_stored, sizeof(want_stored), "%s", f[3]);
	slen = unescape(want_stored);

	CHECK(sub_hash(addr, alen) == (unsigned)atoi(f[1]),
	      "line %d: hash of %s is %s (got %u)", lineno, f[0], f[1],
	      sub_hash(addr, alen));
	sub_domain(addr, alen, dom);
	CHECK(strcmp(dom, want_dom) == 0, "line %d: domain of %s is %s",
	      lineno, f[0], f[2]);
	CHECK(sub_address(addr, alen, got, &glen, err, sizeof(err)) == STORE_OK
	      && glen == slen && memcmp(got, want_stored, slen) == 0,
	      "line %d: %s is stored as %s", lineno, f[0], f[3]);
	CHECK(sub_hash(got, glen) == sub_hash(addr, alen),
	      "line %d: the stored form hashes the same", lineno);
	t[0] = 'T';
	for (size_t i = 0; i < alen; i++)
		t[i + 1] = addr[i] >= 'A' && addr[i] <= 'Z'
			? (char)(addr[i] + 32) : addr[i];
	CHECK(sub_hash_bytes(t, alen + 1) == (unsigned)atoi(f[4]),
	      "line %d: raw hash of T+%s is %s", lineno, f[0], f[4]);
}

/* check_refused - addresses that must not be stored. */
static void check_refused(void)
{
	static const char *const bad[] = {
		"", "noat", "@", "local@", "a b@c", "a@b\tc", "a@b\nc",
		"a@b\x7f",
	};
	char out[SUB_ADDR_MAX + 1], err[256], big[SUB_ADDR_MAX + 8];
	size_t n;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(sub_address(bad[i], strlen(bad[i]), out, &n, err,
				  sizeof(err)) == STORE_BADDATA && err[0],
		      "refused: case %zu (%s)", i, err);
	CHECK(sub_address("@Wild.ORG", 9, out, &n, err, sizeof(err)) ==
	      STORE_OK && n == 9 && memcmp(out, "@wild.org", 9) == 0,
	      "accepted: @domain (ezmlm's entry for a domain), lower-cased");
	CHECK(sub_address("a\0b@c", 5, out, &n, err, sizeof(err))
	      == STORE_BADDATA, "refused: NUL byte");
	memset(big, 'a', sizeof(big));
	big[1] = '@';
	CHECK(sub_address(big, SUB_ADDR_MAX + 1, out, &n, err, sizeof(err))
	      == STORE_BADDATA, "refused: %d bytes", SUB_ADDR_MAX + 1);
	CHECK(sub_address(big, SUB_ADDR_MAX, out, &n, err, sizeof(err))
	      == STORE_OK && n == SUB_ADDR_MAX, "accepted: %d bytes",
	      SUB_ADDR_MAX);
}

int main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : "tests/unit/subhash_cases.txt";
	FILE *fp = fopen(path, "r");
	char line[2048], *f[FIELDS];
	int lineno = 0, cases = 0;

	CHECK(fp != NULL, "open %s", path);
	while (fp && fgets(line, sizeof(line), fp)) {
		lineno++;
		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (!CHECK(check_split_tabs(line, f, FIELDS) == FIELDS,
			   "line %d has %d fields", lineno, FIELDS))
			continue;
		check_case(f, lineno);
		cases++;
	}
	if (fp)
		fclose(fp);
	CHECK(cases >= 15, "%d vector lines read", cases);
	check_refused();
	return check_done();
}
