/*
 * store_test - the store: every table round-trips NULL, 0, -1, '',
 * UTF-8 and 64 KiB values exactly; set/del semantics; sequence and
 * change log; map growth and store-max-size; bad input changes nothing.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/store.h"
#include "tests/unit/check.h"
#include "tests/unit/store_util.h"

static char dir[] = "/tmp/mq-store-test-XXXXXX";
static char path[256];

static struct store *open_store(uint64_t max_size)
{
	struct store_options opt = { .max_size = max_size };
	struct store *st = NULL;
	char err[512];

	if (store_open(path, 0, &opt, &st, err, sizeof(err)) != STORE_OK)
		printf("# open: %s\n", err);
	return st;
}

/* Two threads fail on different tables; each must read its own text. */
struct err_thread {
	struct store *st;
	const char *table;
	int wrong;
};

static void *fail_often(void *arg)
{
	struct err_thread *e = arg;
	const struct reg_table *t;
	struct store_txn *txn;

	for (int i = 0; i < 20000; i++) {
		if (store_read_begin(e->st, &txn) != STORE_OK) {
			e->wrong++;
			continue;
		}
		if (store_table_find(txn, e->table, &t) != STORE_NOTFOUND ||
		    !strstr(store_errmsg(e->st), e->table))
			e->wrong++;
		store_read_end(txn);
	}
	return NULL;
}

static void test_errors_per_thread(struct store *st)
{
	struct err_thread a = { st, "no_such_alpha", 0 };
	struct err_thread b = { st, "no_such_bravo", 0 };
	pthread_t ta, tb;

	pthread_create(&ta, NULL, fail_often, &a);
	pthread_create(&tb, NULL, fail_often, &b);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	CHECK(a.wrong == 0 && b.wrong == 0, "two threads failing at once each "
	      "read their own error text (%d, %d wrong)", a.wrong, b.wrong);
}

/* The values a row of each table cycles through, per column type. */
static struct store_value sample(const struct reg_column *c, int variant,
				 const char *big)
{
	static const char utf8[] = "\xc3\xa9t\xc3\xa9 \xe2\x82\xac \xf0\x9f\x93\xa7 \"q\\'; DROP";
	struct store_value v = { .kind = SV_NULL };

	if (c->type == REG_INT) {
		static const int64_t ints[] = { 0, -1, 4294967295LL, -42,
						INT64_MAX, 7 };
		v.kind = SV_INT;
		v.i = ints[variant % 6];
		return v;
	}
	if (c->type == REG_TIME) {
		v.kind = SV_TEXT;
		v.s = variant % 2 ? "2026-11-24 05:21:00" : "1999-01-02 03:04:05.123456";
		v.len = strlen(v.s);
		return v;
	}
	v.kind = SV_TEXT;
	switch (variant % 4) {
	case 0:
		v.s = "";
		break;
	case 1:
		v.s = utf8;
		break;
	case 2:
		v.s = big;
		break;
	default:
		v.s = "x\ty\nz\\";
	}
	v.len = strlen(v.s);
	if (v.len > c->maxlen)
		v.len = c->maxlen;
	return v;
}

struct roundtrip {
	const char *name;
	const struct reg_table *t;
	const char *big;
	int variant;
};

/* fill_row - a row of t whose every nullable column is NULL (variant
 *	0) or a sample value; keys are unique per variant. */
static void fill_row(const struct reg_table *t, int variant, const char *big,
		     struct store_row *row)
{
	memset(row, 0, sizeof(*row));
	for (int i = 0; i < t->ncols; i++) {
		const struct reg_column *c = &t->cols[i];

		if (variant == 0 && !(c->flags & REG_NOTNULL))
			continue;
		row->col[i] = sample(c, variant + i, big);
		if (c->flags & REG_PK) {
			static char keys[8][32];
			if (c->type == REG_INT) {
				row->col[i].kind = SV_INT;
				row->col[i].i = variant + 1;
			} else {
				snprintf(keys[variant], sizeof(keys[0]),
					 "Key%d@Example.ORG", variant);
				row->col[i].s = keys[variant];
				row->col[i].len = strlen(keys[variant]);
			}
		}
		if (c->maxlen && c->maxlen < 4 && row->col[i].kind == SV_TEXT)
			row->col[i].len = row->col[i].len > c->maxlen
				? c->maxlen : row->col[i].len;
	}
	/* an address table takes only ezmlm's hashes (0..99) */
	if (reg_list_addresses(t))
		row->col[REG_ADDR_HASH] = (struct store_value){ .kind = SV_INT,
								.i = variant };
}

static enum store_rc put_variants(struct store_txn *txn, void *arg)
{
	struct roundtrip *r = arg;
	struct store_row row;
	enum store_rc rc = STORE_OK;

	for (int v = 0; v < 6 && rc == STORE_OK; v++) {
		fill_row(r->t, v, r->big, &row);
		rc = store_put_row(txn, r->name, &row);
	}
	return rc;
}

struct collect {
	const struct reg_table *t;
	const char *big;
	int n, mismatches;
};

static int compare_row(const struct store_row *row, void *arg)
{
	struct collect *c = arg;
	struct store_row want;
	int v;

	/* Rows come back in key order; rowid tables in insert order. */
	for (v = 0; v < 6; v++) {
		fill_row(c->t, v, c->big, &want);
		bool same = true;
		for (int i = 0; i < c->t->ncols; i++) {
			const struct store_value *a = &row->col[i], *b = &want.col[i];
			if (a->kind != b->kind || (a->kind == SV_INT && a->i != b->i) ||
			    (a->kind == SV_TEXT && (a->len != b->len ||
						    memcmp(a->s, b->s, a->len))))
				same = false;
		}
		if (same)
			break;
	}
	if (v == 6)
		c->mismatches++;
	c->n++;
	return 0;
}

static void test_roundtrip(struct store *st, const char *name,
			   const struct reg_table *t, const char *big)
{
	struct roundtrip r = { name, t, big, 0 };
	struct collect c = { t, big, 0, 0 };
	struct store_txn *txn;
	enum store_rc rc = store_write(st, put_variants, &r, NULL);

	CHECK(rc == STORE_OK, "%s: six rows written (%s)", name,
	      rc ? store_errmsg(st) : "ok");
	store_read_begin(st, &txn);
	store_scan(txn, name, NULL, 0, compare_row, &c);
	store_read_end(txn);
	CHECK(c.n == 6 && c.mismatches == 0,
	      "%s: NULL, 0, -1, '', UTF-8, 64 KiB read back exactly "
	      "(%d rows, %d mismatches)", name, c.n, c.mismatches);
}

struct set_args {
	const char *table;
	struct store_assign a[4];
	int n;
	int64_t id;
};

static enum store_rc set_fn(struct store_txn *txn, void *arg)
{
	struct set_args *s = arg;

	return store_set(txn, s->table, s->a, s->n, &s->id);
}

static enum store_rc noop_fn(struct store_txn *txn, void *arg)
{
	(void)txn;
	(void)arg;
	return STORE_OK;
}

static struct store_value text(const char *s)
{
	return (struct store_value){ .kind = SV_TEXT, .s = s, .len = strlen(s) };
}

static struct store_value integer(int64_t i)
{
	return (struct store_value){ .kind = SV_INT, .i = i };
}

static int count_rows(struct store *st, const char *table)
{
	struct store_txn *t;
	uint64_t n = 0;

	store_read_begin(st, &t);
	store_count(t, table, &n);
	store_read_end(t);
	return (int)n;
}

static void test_set_semantics(struct store *st)
{
	struct set_args s = { "capacity", { { 3, text("example.com") } }, 1, 0 };
	struct store_txn *t;
	struct store_row row;
	struct store_value key = integer(0);
	uint64_t before;
	enum store_rc rc;

	rc = store_write(st, set_fn, &s, NULL);
	CHECK(rc == STORE_OK && s.id > 0, "set without id allocates one (%lld)",
	      (long long)s.id);
	key.i = s.id;
	store_read_begin(st, &t);
	rc = store_get_by_key(t, NULL, "capacity", &key, &row);
	CHECK(rc == STORE_OK && row.col[4].kind == SV_INT && row.col[4].i == -1,
	      "limits default to -1");
	CHECK(row.col[1].kind == SV_NULL, "name defaults to NULL");
	store_read_end(t);

	/* Update one column by key: the others stay. */
	s = (struct set_args){ "capacity", { { 0, integer(key.i) },
					     { 4, integer(100) } }, 2, 0 };
	rc = store_write(st, set_fn, &s, NULL);
	store_read_begin(st, &t);
	store_get_by_key(t, NULL, "capacity", &key, &row);
	CHECK(rc == STORE_OK && row.col[4].i == 100 && row.col[3].len == 11,
	      "set by key updates only the columns given");
	store_read_end(t);

	/* A second new row gets a larger id; ids are not reused. */
	int64_t first = key.i;
	s = (struct set_args){ "capacity", { { 3, text("b.example") } }, 1, 0 };
	store_write(st, set_fn, &s, NULL);
	CHECK(s.id == first + 1, "ids increase (%lld after %lld)",
	      (long long)s.id, (long long)first);

	/* Bad input changes nothing and does not move the sequence. */
	before = seq_of(st);
	s = (struct set_args){ "capacity", { { 4, text("abc") } }, 1, 0 };
	rc = store_write(st, set_fn, &s, NULL);
	CHECK(rc == STORE_BADDATA && strstr(store_errmsg(st), "domain_maxmessages"),
	      "text in an integer column refused, naming the column (%s)",
	      store_errmsg(st));
	s = (struct set_args){ "no_such_table", { { 0, integer(1) } }, 1, 0 };
	rc = store_write(st, set_fn, &s, NULL);
	CHECK(rc == STORE_NOTFOUND && strstr(store_errmsg(st), "no_such_table"),
	      "unknown table refused, naming it (%s)", store_errmsg(st));
	s = (struct set_args){ "response_patterns_actions",
			       { { 0, integer(1) } }, 1, 0 };
	rc = store_write(st, set_fn, &s, NULL);
	CHECK(rc == STORE_BADDATA && strstr(store_errmsg(st), "action"),
	      "composite key must be whole (%s)", store_errmsg(st));
	CHECK(seq_of(st) == before, "failed writes leave the sequence");
	rc = store_write(st, noop_fn, NULL, NULL);
	CHECK(rc == STORE_OK && seq_of(st) == before,
	      "a transaction that changes nothing writes nothing");
}

struct del_args {
	const char *table;
	struct store_filter *f;
	uint64_t n;
};

static enum store_rc del_fn(struct store_txn *txn, void *arg)
{
	struct del_args *d = arg;

	return store_del(txn, d->table, d->f, 1, &d->n);
}

static void test_list_keys(struct store *st)
{
	struct set_args s = { "ml", { { 0, integer(5) }, { 1, text("Alice@Example.COM") } },
			      2, 0 };
	struct store_filter f = { 1, text("alice@example.com") };
	struct store_txn *t;
	enum store_rc rc;

	rc = store_write(st, set_fn, &s, NULL);
	CHECK(rc == STORE_OK, "subscriber row set");
	s.a[1].v = text("ALICE@example.com");
	s.a[0].v = integer(6);
	store_write(st, set_fn, &s, NULL);
	CHECK(count_rows(st, "ml") == 2,
	      "addresses that differ only in case are two rows (as ezmlm's SQL)");
	store_read_begin(st, &t);
	struct store_row row;
	struct store_value key = text("ALICE@example.com");
	rc = store_get_by_key(t, NULL, "ml", &key, &row);
	CHECK(rc == STORE_OK && row.col[1].len == 17 &&
	      memcmp(row.col[1].s, "ALICE@example.com", 17) == 0 &&
	      row.col[0].i == 6, "a row is found by its exact address");
	key = text("alice@EXAMPLE.com");
	CHECK(store_get_by_key(t, NULL, "ml", &key, &row) == STORE_NOTFOUND,
	      "and not by another case");
	store_read_end(t);
	struct del_args d = { "ml", &f, 0 };
	rc = store_write(st, del_fn, &d, NULL);
	CHECK(rc == STORE_OK && d.n == 0 && count_rows(st, "ml") == 2,
	      "a delete by an address in another case deletes nothing");
	f.v = text("ALICE@example.com");
	rc = store_write(st, del_fn, &d, NULL);
	f.v = text("Alice@Example.COM");
	rc = rc ? rc : store_write(st, del_fn, &d, NULL);
	CHECK(rc == STORE_OK && count_rows(st, "ml") == 0,
	      "a delete by the exact address deletes its row");
}

static enum store_rc big_fn(struct store_txn *txn, void *arg)
{
	const char *big = arg;
	struct store_assign a[2] = { { 1, text(big) }, { 3, text("grow.example") } };
	enum store_rc rc = STORE_OK;

	for (int i = 0; i < 96 && rc == STORE_OK; i++)
		rc = store_set(txn, "capacity", a, 2, NULL);
	return rc;
}

static void test_growth(const char *big1m)
{
	struct store *st;
	struct stat sb;
	enum store_rc rc;

	unlink(path);
	st = open_store(0);
	rc = store_write(st, big_fn, (void *)big1m, NULL);
	CHECK(rc == STORE_OK && count_rows(st, "capacity") == 96,
	      "96 MiB in one transaction grows the 64 MiB map (%s)",
	      rc ? store_errmsg(st) : "ok");
	store_close(st);
	stat(path, &sb);
	CHECK((sb.st_mode & 0777) == 0600, "store file is mode 0600 (%o)",
	      sb.st_mode & 0777);

	unlink(path);
	st = open_store(80ull << 20);
	rc = store_write(st, big_fn, (void *)big1m, NULL);
	CHECK(rc == STORE_FULL && strstr(store_errmsg(st), "store-max-size"),
	      "store-max-size is a clear error (%s)", store_errmsg(st));
	CHECK(count_rows(st, "capacity") == 0 && seq_of(st) == 0,
	      "a transaction that did not fit left nothing");
	store_close(st);
}

static enum store_rc create_list_fn(struct store_txn *txn, void *arg)
{
	return store_list_create(txn, arg, (const uint8_t *)"k", 1);
}

int main(void)
{
	char *big = malloc(65537), *big1m = malloc((1 << 20) + 1);
	struct store *st;
	char rootname[REG_NAME_MAX];

	memset(big, 'k', 65536);
	big[65536] = 0;
	memcpy(big, "-----BEGIN PRIVATE KEY-----\n", 28);
	memset(big1m, 'm', 1 << 20);
	big1m[1 << 20] = 0;
	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof(path), "%s/mq.mdb", dir);
	st = open_store(0);
	CHECK(st != NULL, "store opens");
	if (!st)
		return check_done();
	CHECK(store_write(st, create_list_fn, "ml", NULL) == STORE_OK,
	      "list ml created");
	CHECK(store_write(st, create_list_fn, "ml", NULL) == STORE_EXISTS,
	      "list ml cannot be created twice");
	CHECK(store_write(st, create_list_fn, "ml_digest", NULL) == STORE_BADDATA,
	      "a list root ending in a list suffix is refused (%s)",
	      store_errmsg(st));
	for (int i = 0; reg_mailerq[i]; i++)
		test_roundtrip(st, reg_mailerq[i]->name, reg_mailerq[i], big);
	for (int i = 0; reg_list[i]; i++) {
		snprintf(rootname, sizeof(rootname), "ml%s", reg_list[i]->name);
		test_roundtrip(st, rootname, reg_list[i], big);
	}
	test_set_semantics(st);
	test_errors_per_thread(st);
	store_close(st);
	unlink(path);
	st = open_store(0);
	store_write(st, create_list_fn, "ml", NULL);
	test_list_keys(st);
	store_close(st);
	test_growth(big1m);
	free(big);
	free(big1m);
	unlink(path);
	{
		char lock[300];
		snprintf(lock, sizeof(lock), "%s-lock", path);
		unlink(lock);
	}
	rmdir(dir);
	return check_done();
}
