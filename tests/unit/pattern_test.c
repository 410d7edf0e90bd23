/*
 * NAME
 *	pattern_test - table-driven tests of store/pattern.c
 * SYNOPSIS
 *	pattern_test [CASES]
 * DESCRIPTION
 *	Each case of CASES (default tests/unit/pattern_cases.txt, format
 *	at its top) compiles one pattern into a set of its own and checks
 *	that it matches, refuses, or is refused (and reported naming the
 *	table and the row id) as the case says.  Then all the valid
 *	cases' patterns go into one mixed set, whose pattern_set_next
 *	walk must find exactly the patterns that match on their own, in
 *	order, with the refused ones skipped.
 *
 *	Run from the repository root, as tests/run.sh does.
 * DIAGNOSTICS
 *	TAP lines through check.h; exit status of check_done().
 */
#include <stdlib.h>
#include <string.h>

#include "store/pattern.h"
#include "check.h"

#define MAX_CASES 512
#define LINE_MAX_ 2048

struct pcase {
	unsigned line;
	char *type, *pattern, *subject, *expect;
	bool fold;
};

/* What the report function heard. */
struct heard {
	int lines;
	char last[512];
};

static void hear(void *arg, const char *line)
{
	struct heard *h = arg;

	h->lines++;
	snprintf(h->last, sizeof(h->last), "%s", line);
}

static int read_cases(const char *path, struct pcase *c, int max)
{
	FILE *fp = fopen(path, "r");
	char buf[LINE_MAX_], *f[6];
	unsigned line = 0;
	int n = 0;

	if (!CHECK(fp != NULL, "open %s", path))
		return 0;
	while (fgets(buf, sizeof(buf), fp) && n < max) {
		line++;
		if (buf[0] == '#' || buf[0] == '\n')
			continue;
		if (!CHECK(check_split_tabs(buf, f, 6) == 5, "%s:%u: five fields",
			   path, line))
			continue;
		c[n] = (struct pcase){ line, strdup(f[0]), strdup(f[2]),
				       strdup(f[3]), strdup(f[4]),
				       strcmp(f[1], "fold") == 0 };
		n++;
	}
	fclose(fp);
	return n;
}

/* add_case - add case c to set as row id; the pattern_set_add code. */
static enum pattern_rc add_case(struct pattern_set *set, const struct pcase *c,
				int64_t id)
{
	return pattern_set_add(set, id, c->type, strlen(c->type),
			       PATTERN_EXACT, c->pattern, strlen(c->pattern));
}

/* one_case - the case alone in a set; returns whether it matched. */
static bool one_case(const struct pcase *c, struct pattern_scratch *sc)
{
	struct heard h = { 0, "" };
	struct pattern_set *set = pattern_set_new("dkim_patterns",
		c->fold ? PATTERN_FOLD : 0, hear, &h);
	enum pattern_rc rc = add_case(set, c, 4000 + c->line);
	bool bad = strcmp(c->expect, "bad") == 0, matched = false;
	char want[64];

	pattern_set_finish(set);
	snprintf(want, sizeof(want), "dkim_patterns id %u:", 4000 + c->line);
	if (bad) {
		CHECK(rc == PATTERN_BAD && h.lines == 1 &&
		      strstr(h.last, want) && pattern_set_count(set) == 0 &&
		      pattern_set_skipped(set) == 1,
		      "line %u: %s '%s' refused and reported (%s)", c->line,
		      c->type, c->pattern, h.last);
	} else {
		matched = pattern_set_next(set, 0, c->subject,
					   strlen(c->subject), sc) == 0;
		CHECK(rc == PATTERN_OK && h.lines == 0 &&
		      matched == (strcmp(c->expect, "match") == 0) &&
		      pattern_set_match(set, 0, c->subject,
					strlen(c->subject), sc) == matched,
		      "line %u: %s%s '%s' %s '%s'", c->line, c->type,
		      c->fold ? "" : " (case)", c->pattern,
		      matched ? "matches" : "refuses", c->subject);
	}
	pattern_set_free(set);
	return matched;
}

/*
 * mixed_set - every folding case in one set, checked against each
 *	subject: the walk finds exactly the cases that match alone.
 */
static void mixed_set(const struct pcase *c, int n, struct pattern_scratch *sc)
{
	struct heard h = { 0, "" };
	struct pattern_set *set = pattern_set_new("locals", PATTERN_FOLD,
						  hear, &h);
	int index_of[MAX_CASES], nbad = 0, good = 0;

	for (int i = 0; i < n; i++) {
		index_of[i] = -1;
		if (!c[i].fold)
			continue;
		if (add_case(set, &c[i], i + 1) == PATTERN_OK)
			index_of[i] = good++;
		else
			nbad++;
	}
	pattern_set_finish(set);
	CHECK(pattern_set_count(set) == good && h.lines == nbad &&
	      nbad > 0, "mixed set: %d patterns, %d refused and reported",
	      good, nbad);
	for (int s = 0; s < n; s++) {
		const char *subj = c[s].subject;
		size_t len = strlen(subj);
		int i = pattern_set_next(set, 0, subj, len, sc), ok = 1;

		for (int k = 0; k < n && ok; k++) {
			if (index_of[k] < 0)
				continue;
			bool alone = pattern_set_match(set, index_of[k], subj,
						       len, sc);
			if (alone) {
				ok = i == index_of[k] &&
				     pattern_set_id(set, i) == k + 1;
				i = pattern_set_next(set, i + 1, subj, len,
						     sc);
			}
		}
		CHECK(ok && i == -1, "mixed set walk over '%s' finds the "
		      "matching patterns in order", subj);
	}
	pattern_set_free(set);
}

int main(int argc, char **argv)
{
	static struct pcase c[MAX_CASES];
	struct pattern_scratch *sc = pattern_scratch_new();
	int n = read_cases(argc > 1 ? argv[1] : "tests/unit/pattern_cases.txt",
			   c, MAX_CASES);
	enum pattern_type t;

	CHECK(n > 0 && sc != NULL, "%d cases read", n);
	for (int i = 0; i < n; i++)
		one_case(&c[i], sc);
	mixed_set(c, n, sc);
	CHECK(pattern_type_parse("", 0, PATTERN_SUBSTR, &t) &&
	      t == PATTERN_SUBSTR, "an empty type takes the default");
	CHECK(!pattern_type_parse("regexp", 6, PATTERN_EXACT, &t),
	      "unknown type name refused");
	for (int i = 0; i < n; i++) {
		free(c[i].type);
		free(c[i].pattern);
		free(c[i].subject);
		free(c[i].expect);
	}
	pattern_scratch_free(sc);
	return check_done();
}
