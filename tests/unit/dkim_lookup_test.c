/*
 * NAME
 *	dkim_lookup_test - dkim(from): pattern selection, order, verify, expiry
 * SYNOPSIS
 *	dkim_lookup_test [CASES]
 * DESCRIPTION
 *	Runs tests/unit/dkim_lookup_cases.txt (or CASES) against
 *	store/dkim.c in a scratch store, then checks what the cases file
 *	cannot say: the set notices status writes and table writes, at
 *	most DKIM_LOOKUP_MAX keys come back (the best ones), an over-long
 *	from address is refused, and the statuses round-trip.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store.h"
#include "tests/unit/check.h"

#define NOW	1780315200	/* 2026-06-01 12:00:00 UTC */
#define LINE_MAX_ 1024
#define KEYS_MAX 128

static char dir[] = "/tmp/mq-dkim-lookup-XXXXXX";
static char path[256];
static struct store *st;
static struct pattern_scratch *scratch;

/* The statuses of the keys of the current case, by key. */
struct want_status {
	int64_t id;
	char status[32];
};

struct dcase {
	char name[256];
	struct want_status status[KEYS_MAX];
	int nstatus;
	int skipped;		/* -1: not checked */
	int reports;
};

static struct store_value text(const char *s)
{
	return (struct store_value){ .kind = SV_TEXT, .s = s,
				     .len = strlen(s) };
}

static struct store_value num(int64_t i)
{
	return (struct store_value){ .kind = SV_INT, .i = i };
}

/* One row to write: a table and its assignments. */
struct put {
	const char *table;
	struct store_assign a[8];
	int n;
	bool clear;
};

static enum store_rc do_put(struct store_txn *txn, void *arg)
{
	struct put *p = arg;
	enum store_rc rc = STORE_OK;

	if (p->clear) {
		rc = store_del(txn, "dkim_keys", NULL, 0, NULL);
		if (!rc)
			rc = store_del(txn, "dkim_patterns", NULL, 0, NULL);
		return rc;
	}
	return store_set(txn, p->table, p->a, p->n, NULL);
}

/* add_key - "ID PRIORITY VERIFY STATUS EXPIRE" */
static bool add_key(struct dcase *c, const char *args)
{
	char status[32], expire[32], key[32], sel[32];
	long long id, prio;
	int verify;
	struct put p = { .table = "dkim_keys" };

	if (sscanf(args, "%lld %lld %d %31s %31s", &id, &prio, &verify,
		   status, expire) != 5 || c->nstatus == KEYS_MAX)
		return false;
	snprintf(key, sizeof(key), "key material %lld", id);
	snprintf(sel, sizeof(sel), "s%lld", id);
	if (expire[0] != '-' && strlen(expire) == 19)
		expire[10] = ' ';
	p.a[p.n++] = (struct store_assign){ 0, num(id) };
	p.a[p.n++] = (struct store_assign){ 1, text("example.com") };
	p.a[p.n++] = (struct store_assign){ 2, text(sel) };
	p.a[p.n++] = (struct store_assign){ 3, text(key) };
	p.a[p.n++] = (struct store_assign){ 7, num(prio) };
	p.a[p.n++] = (struct store_assign){ 8, num(verify) };
	if (expire[0] != '-')
		p.a[p.n++] = (struct store_assign){ 5, text(expire) };
	c->status[c->nstatus].id = id;
	snprintf(c->status[c->nstatus].status, 32, "%s", status);
	c->nstatus++;
	return store_write(st, do_put, &p, NULL) == STORE_OK;
}

/* add_pattern - "ID KEY TYPE SIGN..." */
static bool add_pattern(const char *args)
{
	char type[32];
	long long id, key;
	int off = 0;
	struct put p = { .table = "dkim_patterns" };

	if (sscanf(args, "%lld %lld %31s %n", &id, &key, type, &off) != 3 ||
	    !off)
		return false;
	p.a[p.n++] = (struct store_assign){ 0, num(id) };
	p.a[p.n++] = (struct store_assign){ 1, num(key) };
	p.a[p.n++] = (struct store_assign){ 3, text(args + off) };
	if (strcmp(type, "-"))
		p.a[p.n++] = (struct store_assign){ 2, text(type) };
	else
		p.a[p.n++] = (struct store_assign){ 2, { .kind = SV_NULL } };
	return store_write(st, do_put, &p, NULL) == STORE_OK;
}

static int status_of(const char *name)
{
	for (int s = 0; s < DKIM_STATUS_COUNT; s++)
		if (!strcmp(dkim_status_name((enum dkim_status)s), name))
			return s;
	return !strcmp(name, "stale") ? DKIM_STATUS_VERIFIED : -1;
}

/* write_statuses - the case's statuses, digests from the rows. */
static bool write_statuses(struct dcase *c)
{
	struct dkim_status_rec recs[KEYS_MAX];
	struct store_txn *txn;
	struct store_row row;
	int n = 0;

	if (store_read_begin(st, &txn))
		return false;
	for (int i = 0; i < c->nstatus; i++) {
		struct store_value id = num(c->status[i].id);
		int s = status_of(c->status[i].status);

		if (!strcmp(c->status[i].status, "none"))
			continue;
		if (s < 0 || store_get_by_key(txn, NULL, "dkim_keys", &id,
					      &row)) {
			store_read_end(txn);
			return false;
		}
		memset(&recs[n], 0, sizeof(recs[n]));
		recs[n].key_id = c->status[i].id;
		recs[n].status = (enum dkim_status)s;
		recs[n].checked = NOW - 60;
		if (strcmp(c->status[i].status, "stale"))
			store_dkim_digest(&row, recs[n].digest);
		n++;
	}
	store_read_end(txn);
	return store_dkim_status_put(st, recs, (size_t)n) == STORE_OK;
}

static void count_report(void *arg, const char *line)
{
	(void)line;
	((struct dcase *)arg)->reports++;
}

struct ids {
	char text[512];
};

static int collect_id(const struct store_row *row, void *arg)
{
	struct ids *ids = arg;
	size_t used = strlen(ids->text);

	snprintf(ids->text + used, sizeof(ids->text) - used, "%s%lld",
		 used ? " " : "", (long long)row->col[DKIM_COL_ID].i);
	return 0;
}

/* run_lookup - "FROM => IDS" against a freshly built set. */
static void run_lookup(struct dcase *c, const char *args, bool *built)
{
	const char *arrow = strstr(args, " => ");
	char from[LINE_MAX_];
	struct store_txn *txn;
	struct dkim_set *ds;
	struct ids got = { "" };
	enum store_rc rc;

	if (!CHECK(arrow != NULL, "%s: lookup line '%s'", c->name, args))
		return;
	snprintf(from, sizeof(from), "%.*s", (int)(arrow - args), args);
	if (!*built && !CHECK(write_statuses(c), "%s: statuses written",
			      c->name))
		return;
	*built = true;
	store_read_begin(st, &txn);
	c->reports = 0;
	rc = dkim_set_build(txn, count_report, c, &ds);
	if (CHECK(rc == STORE_OK, "%s: set builds", c->name)) {
		struct lookup_ctx ctx = { .txn = txn, .scratch = scratch,
					  .now = NOW };

		rc = store_lookup_dkim(ds, &ctx, from, collect_id, &got);
		if (rc == STORE_NOTFOUND)
			strcpy(got.text, "none");
		CHECK((rc == STORE_OK || rc == STORE_NOTFOUND) &&
		      !strcmp(got.text, arrow + 4), "%s: dkim(%s) => %s (got "
		      "%s)", c->name, from, arrow + 4, got.text);
		if (c->skipped >= 0)
			CHECK(dkim_set_skipped(ds) == c->skipped &&
			      c->reports == c->skipped, "%s: %d patterns "
			      "skipped and reported (got %d, %d)", c->name,
			      c->skipped, dkim_set_skipped(ds), c->reports);
		c->skipped = -1;
		dkim_set_free(ds);
	}
	store_read_end(txn);
}

static void run_file(FILE *f)
{
	static struct dcase c;
	char line[LINE_MAX_];
	bool built = false, ok = true;

	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		if (!line[0] || line[0] == '#')
			continue;
		if (!strncmp(line, "=== ", 4)) {
			struct put clear = { .clear = true };

			memset(&c, 0, sizeof(c));
			c.skipped = -1;
			snprintf(c.name, sizeof(c.name), "%.200s", line + 4);
			built = false;
			ok = store_write(st, do_put, &clear, NULL) == STORE_OK;
		} else if (!strncmp(line, "key ", 4))
			ok = add_key(&c, line + 4);
		else if (!strncmp(line, "pattern ", 8))
			ok = add_pattern(line + 8);
		else if (!strncmp(line, "skipped ", 8))
			c.skipped = atoi(line + 8);
		else if (!strncmp(line, "lookup ", 7))
			run_lookup(&c, line + 7, &built);
		else
			ok = false;
		if (!ok) {
			CHECK(0, "%s: line '%s' applies", c.name, line);
			ok = true;
		}
	}
}

/* clear_tables - empty dkim_keys and dkim_patterns. */
static bool clear_tables(void)
{
	struct put clear = { .clear = true };

	return store_write(st, do_put, &clear, NULL) == STORE_OK;
}

/* set_is_current - build a set and ask whether a later snapshot fits it. */
static void check_current(void)
{
	struct dcase c = { .name = "freshness", .skipped = -1 };
	struct store_txn *txn;
	struct dkim_set *ds = NULL;
	bool cur = false;

	clear_tables();
	add_key(&c, "1 0 0 none -");
	store_read_begin(st, &txn);
	dkim_set_build(txn, NULL, NULL, &ds);
	store_read_end(txn);
	if (!CHECK(ds != NULL, "freshness: set builds"))
		return;
	store_read_begin(st, &txn);
	dkim_set_current(ds, txn, &cur);
	store_read_end(txn);
	CHECK(cur, "freshness: unchanged store: the set is current");
	write_statuses(&c);
	store_read_begin(st, &txn);
	dkim_set_current(ds, txn, &cur);
	store_read_end(txn);
	CHECK(!cur, "freshness: a status write makes the set old");
	dkim_set_free(ds);
	store_read_begin(st, &txn);
	dkim_set_build(txn, NULL, NULL, &ds);
	store_read_end(txn);
	add_pattern("1 1 exact a@example.com");
	store_read_begin(st, &txn);
	dkim_set_current(ds, txn, &cur);
	store_read_end(txn);
	CHECK(!cur, "freshness: a dkim_patterns write makes the set old");
	dkim_set_free(ds);
}

static int stop_at_first(const struct store_row *row, void *arg)
{
	(*(int *)arg)++;
	(void)row;
	return 1;
}

/* check_cap - 70 matching keys: the 64 best, in order; stopping works. */
static void check_cap(void)
{
	static struct dcase c = { .name = "cap", .skipped = -1 };
	char line[64], big[DKIM_FROM_MAX + 8];
	struct ids got = { "" }, want = { "" };
	struct store_txn *txn;
	struct dkim_set *ds = NULL;
	int calls = 0;

	clear_tables();
	for (int id = 1; id <= 70; id++) {
		snprintf(line, sizeof(line), "%d %d 0 none -", id, 100 - id);
		add_key(&c, line);
		snprintf(line, sizeof(line), "%d %d substr @", id, id);
		add_pattern(line);
	}
	for (int id = 70; id > 70 - DKIM_LOOKUP_MAX; id--)
		snprintf(want.text + strlen(want.text), sizeof(want.text) -
			 strlen(want.text), "%s%d", id == 70 ? "" : " ", id);
	store_read_begin(st, &txn);
	dkim_set_build(txn, NULL, NULL, &ds);
	if (CHECK(ds != NULL, "cap: set builds")) {
		struct lookup_ctx ctx = { .txn = txn, .scratch = scratch };

		store_lookup_dkim(ds, &ctx, "a@example.com", collect_id, &got);
		CHECK(!strcmp(got.text, want.text), "cap: the %d best keys "
		      "of 70 (got %s)", DKIM_LOOKUP_MAX, got.text);
		CHECK(store_lookup_dkim(ds, &ctx, "a@example.com",
					stop_at_first, &calls) == STORE_OK &&
		      calls == 1, "cap: fn returning non-zero stops");
		memset(big, 'a', sizeof(big) - 1);
		big[sizeof(big) - 1] = 0;
		big[10] = '@';
		CHECK(store_lookup_dkim(ds, &ctx, big, collect_id, &got) ==
		      STORE_BADDATA, "cap: a from address over %d bytes is "
		      "refused", DKIM_FROM_MAX);
		dkim_set_free(ds);
	}
	store_read_end(txn);
}

/* check_status_store - statuses round-trip and are replaced whole. */
static void check_status_store(void)
{
	struct dkim_status_rec a = { .key_id = 7, .status =
				     DKIM_STATUS_MISMATCH, .checked = NOW,
				     .detail = "the record publishes another "
				     "key" }, b = a, got;
	struct store_txn *txn;
	struct store *ro;
	char err[512] = "";

	memset(a.digest, 0xab, sizeof(a.digest));
	b.key_id = 8;
	b.status = DKIM_STATUS_VERIFIED;
	CHECK(store_dkim_status_put(st, &a, 1) == STORE_OK, "status: put");
	store_read_begin(st, &txn);
	CHECK(store_dkim_status_get(txn, 7, &got) == STORE_OK &&
	      got.status == a.status && got.checked == a.checked &&
	      !memcmp(got.digest, a.digest, DKIM_DIGEST_LEN) &&
	      !strcmp(got.detail, a.detail), "status: read back equal");
	CHECK(store_dkim_status_get(txn, 8, &got) == STORE_NOTFOUND,
	      "status: a key without status is not found");
	store_read_end(txn);
	store_dkim_status_put(st, &b, 1);
	store_read_begin(st, &txn);
	CHECK(store_dkim_status_get(txn, 7, &got) == STORE_NOTFOUND &&
	      store_dkim_status_get(txn, 8, &got) == STORE_OK &&
	      got.status == DKIM_STATUS_VERIFIED,
	      "status: a put replaces every earlier status");
	store_read_end(txn);
	if (store_open(path, STORE_RDONLY, NULL, &ro, err, sizeof(err)) ==
	    STORE_OK) {
		CHECK(store_dkim_status_put(ro, &a, 1) == STORE_READONLY,
		      "status: a read-only store refuses a put");
		store_close(ro);
	} else
		CHECK(0, "status: read-only open (%s)", err);
}

static void check_more(void)
{
	check_current();
	check_cap();
	check_status_store();
}

int main(int argc, char **argv)
{
	const char *cases = argc > 1 ? argv[1]
				     : "tests/unit/dkim_lookup_cases.txt";
	char err[512] = "";
	FILE *f;

	if (!CHECK(mkdtemp(dir) != NULL, "scratch directory"))
		return check_done();
	snprintf(path, sizeof(path), "%s/mq.mdb", dir);
	scratch = pattern_scratch_new();
	if (CHECK(store_open(path, 0, NULL, &st, err, sizeof(err)) ==
		  STORE_OK, "store opens (%s)", err) && scratch) {
		if (CHECK((f = fopen(cases, "r")) != NULL, "%s reads", cases)) {
			run_file(f);
			fclose(f);
		}
		check_more();
		store_close(st);
	}
	pattern_scratch_free(scratch);
	unlink(path);
	snprintf(err, sizeof(err), "%s-lock", path);
	unlink(err);
	rmdir(dir);
	return check_done();
}
