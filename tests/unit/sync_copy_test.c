/*
 * NAME
 *	sync_copy_test - sync --from-sql reads PostgreSQL through COPY as
 *	exactly as through a SELECT
 * SYNOPSIS
 *	MQ_TEST_PG_URL=... build/asan/tests/sync_copy_test
 * DESCRIPTION
 *	In a database of its own on $MQ_TEST_PG_URL: the tables of list
 *	"odd", rows with odd values (tabs, newlines, carriage returns,
 *	backslashes, the text \N beside NULLs, emoji, a timestamptz with
 *	an offset and a fraction), and extra columns kept with
 *	database-validate false (bytea, timestamptz, text).  The same
 *	database is synced into two new stores: by the driver as it is
 *	(COPY TO STDOUT), and by the driver without its whole-table read
 *	(a SELECT's result row by row, the path before COPY).  Every row
 *	of every table of the two stores must be the same, byte for byte,
 *	and a few values are checked as written.  Without the URL the
 *	test fails, naming why.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sql-compat/schema.h"
#include "sql-compat/sync.h"
#include "store/store.h"
#include "tests/lib/own_database.h"
#include "tests/unit/check.h"

static const char *const odd_rows[] = {
	"ALTER TABLE odd_slog ALTER COLUMN tai TYPE timestamptz",
	"ALTER TABLE odd ADD COLUMN xb bytea, ADD COLUMN xt timestamptz, "
	"ADD COLUMN xs text",
	"INSERT INTO odd_slog (tai, address, fromline, edir, etype) VALUES "
	"('2025-11-02 05:30:00.123456-05:30', 'a@example.org', "
	"E'tab\\there\\nnewline\\rcr back\\\\slash', '+', 'S'), "
	"(NULL, 'b@example.org', '\\N', '-', ' '), "
	"('2025-01-01 00:00:00+00', 'c@example.org', "
	"'\xf0\x9f\x98\x80 \xc3\xa9t\xc3\xa9', '+', 'S'), "
	"('2025-01-01 00:00:00+00', 'c@example.org', "
	"'\xf0\x9f\x98\x80 \xc3\xa9t\xc3\xa9', '+', 'S')",
	"INSERT INTO odd (hash, address, domain, xb, xt, xs) VALUES "
	"(1, 'plain@example.org', 'org', NULL, NULL, NULL), "
	"(2, E'back\\\\slash@example.org', 'org', "
	"E'\\\\x00ff5c090a'::bytea, '2025-11-02 05:30:00.5+02', "
	"E'\\\\N\\t\\\\t'), "
	"(3, '\xf0\x9f\x98\x80@example.org', 'org', ''::bytea, "
	"'1999-12-31 23:59:59.999999+00', '')",
	"INSERT INTO odd_mlog (msgnum, listno, tai, subs, done) VALUES "
	"(1, 0, '2025-11-02 05:30:00.100000', 3, 0), (2, 0, NULL, 0, 1)",
	NULL,
};

/* The driver without its whole-table read: sql_exec serves instead. */
static struct sql_driver select_driver;

/* own_conn - a new database beside url's (own_database); its connection */
static struct sql_conn *own_conn(const char *url, char *name, size_t len,
				 struct sql_address **addr)
{
	struct sql_conn *c = NULL;
	char err[512];

	if (!CHECK((*addr = own_database(url, "mq_sync_copy", name, len, err,
					 sizeof(err))) != NULL,
		   "a database of its own (%s)", err))
		return NULL;
	CHECK(sql_connect(*addr, &c, err, sizeof(err)) == SQL_OK,
	      "connect to %s (%s)", name, err);
	return c;
}

/* A dump of a store: every row of every table, as bytes. */
struct dump {
	char *p;
	size_t len;
	FILE *f;
};

/* dump_value - kind, length and bytes of a value */
static void dump_value(FILE *f, const struct store_value *v)
{
	fprintf(f, "%d:", (int)v->kind);
	if (v->kind == SV_INT)
		fprintf(f, "%" PRId64, v->i);
	else if (v->kind == SV_TEXT) {
		fprintf(f, "%zu:", v->len);
		fwrite(v->s, 1, v->len, f);
	}
	fputc('|', f);
}

/* What dump_row writes to, and the table's registry entry. */
struct dump_to {
	FILE *f;
	const struct reg_table *t;
};

/* dump_row - store_scan callback: one row into the dump */
static int dump_row(const struct store_row *row, void *arg)
{
	struct dump_to *to = arg;
	FILE *f = to->f;

	for (int i = 0; i < to->t->ncols; i++)
		dump_value(f, &row->col[i]);
	for (int i = 0; i < row->nextra; i++) {
		fprintf(f, "%.*s=", (int)row->extra[i].namelen,
			row->extra[i].name);
		dump_value(f, &row->extra[i].v);
	}
	fputc('\n', f);
	return 0;
}

/*
 * sync_dump - sync the database of conn into a new store at path and
 *	dump it; the sync's own message goes to the output on failure
 */
static bool sync_dump(struct sql_conn *c, const char *path, struct dump *d)
{
	struct sql_sync_result res;
	struct store_txn *t;
	struct dump_to to;
	struct store *st;
	char err[512];
	bool ok;

	unlink(path);
	if (!CHECK(store_open(path, 0, NULL, &st, err, sizeof(err)) ==
		   STORE_OK, "store %s (%s)", path, err))
		return false;
	ok = CHECK(sql_sync_from(c, st, SQL_SYNC_KEEP_EXTRA, &res) == 0,
		   "%s: sync (%s)", c->driver->read_all ? "COPY" : "SELECT",
		   res.err);
	d->f = open_memstream(&d->p, &d->len);
	for (size_t i = 0; ok && i < res.ntables; i++) {
		fprintf(d->f, "== %s\n", res.tables[i].name);
		if (!(ok = store_read_begin(st, &t) == STORE_OK))
			break;
		to.f = d->f;
		ok = store_table_find(t, res.tables[i].name, &to.t) ==
			STORE_OK && store_scan(t, res.tables[i].name, NULL, 0,
					       dump_row, &to) == STORE_OK;
		store_read_end(t);
	}
	fclose(d->f);
	sql_sync_result_free(&res);
	store_close(st);
	unlink(path);
	return ok;
}

/* has - does the dump hold text? */
static bool has(const struct dump *d, const char *text)
{
	return memmem(d->p, d->len, text, strlen(text)) != NULL;
}

/* show_difference - where two dumps part, for the test's output */
static void show_difference(const struct dump *a, const struct dump *b)
{
	size_t i = 0, from;

	while (i < a->len && i < b->len && a->p[i] == b->p[i])
		i++;
	from = i > 60 ? i - 60 : 0;
	printf("# COPY:   %.*s\n# SELECT: %.*s\n",
	       (int)((a->len - from) > 120 ? 120 : a->len - from), a->p + from,
	       (int)((b->len - from) > 120 ? 120 : b->len - from), b->p + from);
}

/* compare - the two dumps, and values as SQL holds them */
static void compare(const struct dump *copy, const struct dump *select)
{
	if (!CHECK(copy->len == select->len && memcmp(copy->p, select->p,
						      copy->len) == 0,
		   "the stores synced by COPY and by SELECT are the same "
		   "(%zu and %zu bytes)", copy->len, select->len))
		show_difference(copy, select);
	CHECK(has(copy, "tab\there\nnewline\rcr back\\slash|"),
	      "a fromline of tab, newline, CR and backslash, exactly");
	CHECK(has(copy, ":2:\\N|"), "the text \\N is not NULL");
	CHECK(has(copy, "2025-11-02 11:00:00.123456|"),
	      "a timestamptz at -05:30 in UTC, its fraction kept");
	CHECK(has(copy, "xb=2:12:\\x00ff5c090a|"), "a bytea in its hex form");
	CHECK(has(copy, "xt=2:24:2025-11-02 03:30:00.5+00|"),
	      "an extra timestamptz as the session prints it");
	CHECK(has(copy, "xs=2:5:\\N\t\\t|"), "an extra text of escapes");
	CHECK(has(copy, "\xf0\x9f\x98\x80@example.org|"), "an emoji address");
}

int main(void)
{
	const char *url = getenv("MQ_TEST_PG_URL");
	const char *roots[] = { "odd", NULL };
	char name[64], path[128];
	struct dump copy = { 0 }, select = { 0 };
	struct sql_address *a = NULL;
	struct sql_conn *c;

	if (!url || !*url) {
		CHECK(0, "skipped: $MQ_TEST_PG_URL is not set");
		return check_done();
	}
	if (!(c = own_conn(url, name, sizeof(name), &a)))
		return check_done();
	CHECK(sql_schema_repair(c, roots, 0, NULL, NULL) == SQL_OK,
	      "the tables of list odd (%s)", sql_errmsg(c));
	for (size_t i = 0; odd_rows[i]; i++)
		CHECK(sql_exec(c, odd_rows[i], NULL, 0, NULL, NULL) == SQL_OK,
		      "%.60s (%s)", odd_rows[i], sql_errmsg(c));
	snprintf(path, sizeof(path), "/tmp/sync_copy_test.%ld.mdb",
		 (long)getpid());
	if (CHECK(c->driver->read_all != NULL, "the driver reads by COPY") &&
	    sync_dump(c, path, &copy)) {
		select_driver = *c->driver;
		select_driver.read_all = NULL;
		c->driver = &select_driver;
		if (sync_dump(c, path, &select))
			compare(&copy, &select);
	}
	free(copy.p);
	free(select.p);
	snprintf(path + strlen(path), sizeof(path) - strlen(path), "-lock");
	unlink(path);
	sql_close(c);
	sql_address_free(a);
	drop_database(url, name);
	return check_done();
}
