/*
 * NAME
 *	lookup_rows_test - table-driven tests of the row lookups
 * SYNOPSIS
 *	lookup_rows_test [CASES]
 * DESCRIPTION
 *	Runs the cases of CASES (default tests/unit/lookup_cases.txt,
 *	format at its top) against a scratch store: paused, error,
 *	delegate, local, mtaname, dns, flood, response and rewrite, with
 *	wildcards, expiry, priorities, final flags and invalid patterns.
 *	Each ask compares the chosen column of the rows a lookup returns,
 *	in order, with the case's list.
 *
 *	Run from the repository root, as tests/run.sh does.
 * DIAGNOSTICS
 *	TAP lines through check.h; exit status of check_done().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lookup_util.h"

#define MAX_FIELDS 32
#define ANSWER_MAX 1024

/* The rows one ask returned: column col of each, comma-separated. */
struct answer {
	const struct reg_table *t;
	int col;
	char text[ANSWER_MAX];
	int rows;
};

static void answer_add(struct answer *a, const struct store_row *row)
{
	const struct store_value *v = &row->col[a->col];
	size_t used = strlen(a->text);
	char *p = a->text + used;
	size_t left = sizeof(a->text) - used;

	if (a->rows++)
		snprintf(p++, left--, ",");
	if (v->kind == SV_INT)
		snprintf(p, left, "%lld", (long long)v->i);
	else if (v->kind == SV_TEXT)
		snprintf(p, left, "%.*s", (int)v->len, v->s);
	else
		snprintf(p, left, "\\N");
}

static int answer_row(const struct store_row *row, void *arg)
{
	answer_add(arg, row);
	return 0;
}

/* A lookup kind: its table and argument count (-1: properties). */
struct kind {
	const char *name, *table;
	int nargs;
};

static const struct kind kinds[] = {
	{ "paused", "paused", 4 }, { "error", "errors", 4 },
	{ "delegate", "delegates", 2 }, { "local", "locals", 1 },
	{ "mtaname", "mtanames", 1 }, { "dns", "dns", 1 },
	{ "flood", "flood_responses", 1 },
	{ "response", "response_actions", 3 },
	{ "response_pattern", "response_patterns", 3 },
	{ "rewrite", "rewrite_actions", -1 },
	{ "suppressed", "suppressions", 1 }, { "pool", "pool_ips", 1 },
	{ NULL, NULL, 0 },
};

/* one_row - a single-row lookup's answer. */
static enum store_rc one_row(enum store_rc rc, const struct store_row *row,
			     struct answer *a)
{
	if (rc == STORE_OK)
		answer_add(a, row);
	return rc;
}

/* run_kind - ask lookup k with args a; fill the answer. */
static enum store_rc run_kind(struct tstore *ts, const struct kind *k,
			      char **a, int n, struct answer *ans)
{
	const struct lookup_ctx *c = &ts->c;
	struct lookup_prop props[MAX_FIELDS];
	struct store_row row;

	if (!strcmp(k->name, "paused"))
		return one_row(store_lookup_paused(c, a[0], a[1], a[2], a[3],
						   &row), &row, ans);
	if (!strcmp(k->name, "error"))
		return one_row(store_lookup_error(c, a[0], a[1], a[2], a[3],
						  &row), &row, ans);
	if (!strcmp(k->name, "delegate"))
		return one_row(store_lookup_delegate(c, a[0], a[1], &row),
			       &row, ans);
	if (!strcmp(k->name, "local"))
		return one_row(store_lookup_local(c, a[0], &row), &row, ans);
	if (!strcmp(k->name, "mtaname"))
		return one_row(store_lookup_mtaname(c, a[0], &row), &row, ans);
	if (!strcmp(k->name, "flood"))
		return one_row(store_lookup_flood(c, a[0], &row), &row, ans);
	if (!strcmp(k->name, "suppressed"))
		return one_row(store_lookup_suppressed(c, a[0], &row), &row,
			       ans);
	if (!strcmp(k->name, "pool"))
		return store_lookup_pool(c, a[0], answer_row, ans);
	if (!strcmp(k->name, "dns"))
		return store_lookup_dns(c, a[0], answer_row, ans);
	if (!strcmp(k->name, "response"))
		return store_lookup_response(c, a[0], a[1], a[2], answer_row,
					     ans);
	if (!strcmp(k->name, "response_pattern"))
		return store_lookup_response_patterns(c, a[0], a[1], a[2],
						      answer_row, ans);
	for (int i = 0; i < n; i++) {
		char *eq = strchr(a[i], '=');
		if (!eq)
			return STORE_BADDATA;
		*eq = '\0';
		props[i] = (struct lookup_prop){ a[i], eq + 1 };
	}
	return store_lookup_rewrite(c, props, n, answer_row, ans);
}

/* ask - "ask KIND ARG... = EXPECT". */
static void ask(struct tstore *ts, unsigned line, char **f, int n)
{
	static char *empty = "";
	const struct kind *k = kinds;
	struct answer ans = { 0 };
	char *args[MAX_FIELDS], *colon;
	int eq = 2, nargs;
	enum store_rc rc;

	while (k->name && strcmp(k->name, f[1]))
		k++;
	while (eq < n && strcmp(f[eq], "="))
		eq++;
	if (!CHECK(k->name && eq == n - 2, "line %u: ask line parses", line))
		return;
	nargs = eq - 2;
	for (int i = 0; i < MAX_FIELDS; i++)
		args[i] = i < nargs ? f[2 + i] : empty;
	if (k->nargs > nargs)
		nargs = k->nargs;
	ans.t = reg_mailerq_find(k->table);
	colon = strchr(f[n - 1], ':');
	if (colon) {
		*colon = '\0';
		ans.col = reg_column_index(ans.t, f[n - 1]);
	}
	if (!CHECK(tstore_ready(ts) == STORE_OK, "line %u: set built", line) ||
	    !CHECK(!strcmp(f[n - 1], "none") || (colon && ans.col >= 0),
		   "line %u: expectation names a column", line))
		return;
	rc = run_kind(ts, k, args, nargs, &ans);
	if (!colon)
		CHECK(rc == STORE_NOTFOUND && ans.rows == 0, "line %u: %s finds "
		      "nothing (rc %s, got %s)", line, k->name,
		      store_strerror(rc), ans.text);
	else
		CHECK(rc == STORE_OK && !strcmp(ans.text, colon + 1), "line %u: "
		      "%s gives %s:%s (rc %s, got %s)", line, k->name, f[n - 1],
		      colon + 1, store_strerror(rc), ans.text);
}

/* set - "set TABLE COL=VAL...". */
static void set(struct tstore *ts, unsigned line, char **f, int n)
{
	struct trow r = { .table = f[1], .n = n - 2 };

	for (int i = 2; i < n && i - 2 < REG_MAX_COLS; i++)
		r.pair[i - 2] = f[i];
	CHECK(n >= 3 && tstore_set(ts, &r) == STORE_OK, "line %u: row of %s "
	      "written", line, f[1]);
}

static void run_line(struct tstore *ts, unsigned line, char **f, int n)
{
	if (!strcmp(f[0], "case")) {
		CHECK(tstore_clear(ts) == STORE_OK, "line %u: %s", line,
		      n > 1 ? f[1] : "");
	} else if (!strcmp(f[0], "set")) {
		set(ts, line, f, n);
	} else if (!strcmp(f[0], "now") && n == 2) {
		ts->c.now = atoll(f[1]);
	} else if (!strcmp(f[0], "ask") && n >= 4) {
		ask(ts, line, f, n);
	} else if (!strcmp(f[0], "report") && n == 2) {
		CHECK(tstore_ready(ts) == STORE_OK && strstr(ts->reports, f[1]),
		      "line %u: reported: %s", line, f[1]);
	} else
		CHECK(0, "line %u: unknown or malformed line '%s'", line, f[0]);
}

int main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : "tests/unit/lookup_cases.txt";
	FILE *fp = fopen(path, "r");
	struct tstore ts;
	char buf[4096], *f[MAX_FIELDS];
	unsigned line = 0, asks = 0;

	if (!CHECK(fp != NULL, "open %s", path) ||
	    !CHECK(tstore_open(&ts), "scratch store opened"))
		return check_done();
	while (fgets(buf, sizeof(buf), fp)) {
		int n;
		line++;
		if (buf[0] == '#' || buf[0] == '\n')
			continue;
		n = check_split_tabs(buf, f, MAX_FIELDS);
		asks += !strcmp(f[0], "ask");
		run_line(&ts, line, f, n);
	}
	fclose(fp);
	CHECK(asks >= 50, "%u asks run", asks);
	tstore_close(&ts);
	return check_done();
}
