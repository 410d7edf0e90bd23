/*
 * NAME
 *	sublist_test - table-driven tests of the sublist split and its check
 * SYNOPSIS
 *	sublist_test [CASES]
 * DESCRIPTION
 *	Reads CASES (default tests/unit/sublist_cases.txt; its header
 *	describes the format).  Each case gets a fresh list in a store in
 *	a temporary directory: its T_name rows, its subscribers with
 *	forced hashes, then every "expect" is a store_split_each() call
 *	and the "gap" lines are compared with store_split_gaps().  At the
 *	end the store file must verify.  Run from the repository root.
 * DIAGNOSTICS
 *	TAP lines through check.h, "# got ..." after a failed check.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store.h"
#include "check.h"

#define MAX_WORDS	64
#define MAX_ROWS	64
#define OUT_MAX		4096

/* One case as read. */
struct tcase {
	char title[128];
	char root[16];
	char entry[MAX_ROWS][8][64];
	int nentry;
	char addr[MAX_ROWS][128];
	int hash[MAX_ROWS];
	int naddr;
	char expect[MAX_ROWS][512];	/* the expect lines, words kept */
	int nexpect;
	char gaps[MAX_ROWS][128];	/* "DOMAIN LO HI MLO MHI" */
	int ngaps;
};

static struct store *st;

static enum store_rc setup_fn(struct store_txn *txn, void *arg)
{
	const struct tcase *c = arg;
	char table[64];
	enum store_rc rc = store_list_create(txn, c->root, NULL, 0);

	snprintf(table, sizeof(table), "%s_name", c->root);
	for (int i = 0; rc == STORE_OK && i < c->nentry; i++) {
		struct store_assign a[8];

		for (int k = 0; k < 8; k++) {
			const char *w = c->entry[i][k];
			if (k == 1 || k == 7) {
				if (k == 7 && !strcmp(w, "-"))
					w = "";
				a[k] = (struct store_assign){ k, { .kind = SV_TEXT,
					.s = w, .len = strlen(w) } };
			} else
				a[k] = (struct store_assign){ k, { .kind = SV_INT,
					.i = strtoll(w, NULL, 10) } };
		}
		rc = store_set(txn, table, a, 8, NULL);
	}
	for (int i = 0; rc == STORE_OK && i < c->naddr; i++) {
		struct sub_request r = { .addr = c->addr[i],
					 .len = strlen(c->addr[i]),
					 .hash = c->hash[i], .etype = 'm' };
		rc = store_sub(txn, c->root, SUB_MAIN, true, &r, 1, NULL, NULL);
	}
	return rc;
}

static int collect(const char *addr, size_t len, int hash, void *arg)
{
	char *out = arg;
	size_t n = strlen(out);

	(void)hash;
	if (n + len + 2 < OUT_MAX)
		snprintf(out + n, OUT_MAX - n, "%s%.*s", n ? " " : "",
			 (int)len, addr);
	return 0;
}

/* run_expect - "NAME MSGNUM LISTNO ADDR..." against the split. */
static void run_expect(struct store_txn *txn, const struct tcase *c,
		       const char *line)
{
	char name[64], listno_s[32], want[OUT_MAX] = "", got[OUT_MAX] = "";
	long long msgnum;
	int64_t listno = -1;
	int off = 0;

	if (sscanf(line, "%63s %lld %31s %n", name, &msgnum, listno_s,
		   &off) < 3) {
		CHECK(0, "%s: bad expect line: %s", c->title, line);
		return;
	}
	snprintf(want, sizeof(want), "%s", line + off);
	enum store_rc rc = store_split_each(txn, c->root, false, name, msgnum,
					    collect, got, &listno);
	if (!strcmp(listno_s, "-")) {
		CHECK(rc == STORE_NOTFOUND && got[0] == 0,
		      "%s: %s has no active entry for %lld", c->title, name,
		      msgnum);
		return;
	}
	if (!CHECK(rc == STORE_OK && !strcmp(got, want), "%s: %s for %lld",
		   c->title, name, msgnum))
		printf("# got (%s) '%s', want '%s'\n", store_strerror(rc), got,
		       want);
	CHECK(listno == strtoll(listno_s, NULL, 10), "%s: %s logs as listno "
	      "%s (got %lld)", c->title, name, listno_s, (long long)listno);
}

struct gap_got {
	char lines[MAX_ROWS][128];
	int n;
};

static int collect_gap(const struct split_gap *g, void *arg)
{
	struct gap_got *gg = arg;

	if (gg->n < MAX_ROWS)
		snprintf(gg->lines[gg->n++], 128, "%s %d %d %lld %lld",
			 g->domain[0] ? g->domain : "-", g->hash_lo,
			 g->hash_hi, (long long)g->msgnum_lo,
			 (long long)g->msgnum_hi);
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(a, b);
}

static void run_gaps(struct store_txn *txn, struct tcase *c)
{
	struct gap_got gg = { .n = 0 };
	uint64_t entries = 0;
	bool same;
	enum store_rc rc = store_split_gaps(txn, c->root, false, collect_gap,
					    &gg, &entries);

	qsort(gg.lines, (size_t)gg.n, 128, cmp_str);
	qsort(c->gaps, (size_t)c->ngaps, 128, cmp_str);
	same = rc == STORE_OK && gg.n == c->ngaps;
	for (int i = 0; same && i < gg.n; i++)
		same = !strcmp(gg.lines[i], c->gaps[i]);
	if (!CHECK(same, "%s: check reports %d gap(s)", c->title, c->ngaps))
		for (int i = 0; i < gg.n; i++)
			printf("# got gap %s\n", gg.lines[i]);
	CHECK(entries == (uint64_t)c->nentry, "%s: %d entries counted",
	      c->title, c->nentry);
}

static void run_case(struct tcase *c, int n)
{
	struct store_txn *txn;
	enum store_rc rc;

	snprintf(c->root, sizeof(c->root), "c%d", n);
	rc = store_write(st, setup_fn, c, NULL);
	if (!CHECK(rc == STORE_OK, "%s: set up", c->title)) {
		printf("# %s\n", store_errmsg(st));
		return;
	}
	if (!CHECK(store_read_begin(st, &txn) == STORE_OK, "read"))
		return;
	for (int i = 0; i < c->nexpect; i++)
		run_expect(txn, c, c->expect[i]);
	run_gaps(txn, c);
	store_read_end(txn);
}

/* add_line - one line of the cases file into c. */
static bool add_line(struct tcase *c, char *line)
{
	char *w[MAX_WORDS];
	int n = 0;
	char copy[512];

	snprintf(copy, sizeof(copy), "%.511s", line);
	for (char *t = strtok(line, " \t"); t && n < MAX_WORDS;
	     t = strtok(NULL, " \t"))
		w[n++] = t;
	if (n == 9 && !strcmp(w[0], "entry") && c->nentry < MAX_ROWS) {
		for (int k = 0; k < 8; k++)
			snprintf(c->entry[c->nentry][k], 64, "%s", w[k + 1]);
		c->nentry++;
	} else if (n == 3 && !strcmp(w[0], "addr") && c->naddr < MAX_ROWS) {
		snprintf(c->addr[c->naddr], 128, "%s", w[1]);
		c->hash[c->naddr++] = atoi(w[2]);
	} else if (n >= 4 && !strcmp(w[0], "expect") && c->nexpect < MAX_ROWS)
		snprintf(c->expect[c->nexpect++], 512, "%s", copy + 7);
	else if (n == 6 && !strcmp(w[0], "gap") && c->ngaps < MAX_ROWS)
		snprintf(c->gaps[c->ngaps++], 128, "%s %s %s %s %s", w[1],
			 w[2], w[3], w[4], w[5]);
	else
		return false;
	return true;
}

int main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : "tests/unit/sublist_cases.txt";
	char dir[] = "/tmp/sublist_test.XXXXXX", file[64], line[1024];
	char err[512] = "";
	struct tcase *c = calloc(1, sizeof(*c));
	FILE *fp = fopen(path, "r");
	int lineno = 0, ncases = 0;
	uint64_t rows = 0;

	if (!CHECK(fp && c && mkdtemp(dir), "open %s and a directory", path))
		return check_done();
	snprintf(file, sizeof(file), "%s/mq.mdb", dir);
	if (!CHECK(store_open(file, 0, NULL, &st, err, sizeof(err)) ==
		   STORE_OK, "open store: %s", err))
		return check_done();
	while (fgets(line, sizeof(line), fp)) {
		lineno++;
		line[strcspn(line, "\n")] = 0;
		if (line[0] == '#' || line[0] == 0)
			continue;
		if (!strncmp(line, "case ", 5)) {
			if (c->title[0])
				run_case(c, ncases);
			memset(c, 0, sizeof(*c));
			snprintf(c->title, sizeof(c->title), "%.127s", line + 5);
			ncases++;
		} else if (!CHECK(c->title[0] && add_line(c, line),
				  "line %d is well-formed", lineno))
			break;
	}
	if (c->title[0])
		run_case(c, ncases);
	fclose(fp);
	CHECK(ncases >= 10, "%d cases read", ncases);
	store_close(st);
	CHECK(store_verify_file(file, &rows, err, sizeof(err)) == STORE_OK,
	      "the store verifies (%llu rows) %s", (unsigned long long)rows,
	      err);
	unlink(file);
	snprintf(line, sizeof(line), "%s-lock", file);
	unlink(line);
	rmdir(dir);
	free(c);
	return check_done();
}
