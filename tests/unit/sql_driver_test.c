/*
 * NAME
 *	sql_driver_test - the three SQL drivers against real databases
 * SYNOPSIS
 *	MQ_TEST_PG_URL=... MQ_TEST_MYSQL_URL=... build/asan/tests/sql_driver_test
 * DESCRIPTION
 *	For an SQLite file, $MQ_TEST_PG_URL and $MQ_TEST_MYSQL_URL: a table
 *	whose name holds quotes, a backslash and an SQL fragment is
 *	created through quoted identifiers; the values of
 *	tests/unit/sql_driver_cases.txt (quotes, backslashes, SQL
 *	fragments, placeholders, UTF-8, NULL vs '' vs 0, 64-bit
 *	integers) go in as bound parameters, through sql_exec() and
 *	through a prepared statement, and come back byte for byte, read
 *	through sql_exec() and read whole through sql_read_all()
 *	(PostgreSQL's COPY), which, left early, leaves the connection
 *	ready for the next statement; a
 *	rollback undoes an insert, a commit keeps it; the catalog lists
 *	the table and its columns; a syntax error is SQL_BADDATA and a
 *	wrong parameter count SQL_INTERNAL; a session the server kills is
 *	SQL_TEMPFAIL.  A server without its URL is a failure, not a skip.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sql-compat/sql.h"
#include "tests/unit/check.h"

#define CASES	"tests/unit/sql_driver_cases.txt"
#define MAXCASES 64

/* The table name: a quote of each kind, a backslash, an SQL fragment. */
static const char weird_table[] = "mq t\"e`s't\\ ; DROP TABLE x; --";

/* One value case: text (or NULL) and an integer. */
struct value_case {
	char	text[256];
	bool	null;
	int64_t	n;
};

static struct value_case cases[MAXCASES];
static size_t ncases;

/* unescape - \t \n \\ \xHH in a case file field */
static void unescape(char *s)
{
	char   *o = s;

	for (; *s; s++) {
		if (*s != '\\' || s[1] == 0) {
			*o++ = *s;
			continue;
		}
		s++;
		if (*s == 'x' && s[1] && s[2]) {
			char	hex[3] = {s[1], s[2], 0};

			*o++ = (char) strtol(hex, NULL, 16);
			s += 2;
		} else {
			*o++ = *s == 't' ? '\t' : *s == 'n' ? '\n' : *s;
		}
	}
	*o = 0;
}

/* load_cases - "INTEGER<TAB>TEXT" lines, TEXT "\N" for NULL */
static void load_cases(void)
{
	FILE   *fp = fopen(CASES, "r");
	char	line[512], *tab;

	if (!CHECK(fp != NULL, "open %s", CASES))
		return;
	while (fgets(line, sizeof(line), fp) && ncases < MAXCASES) {
		line[strcspn(line, "\n")] = 0;
		if (line[0] == '#' || (tab = strchr(line, '\t')) == NULL)
			continue;
		*tab = 0;
		cases[ncases].n = strtoll(line, NULL, 10);
		cases[ncases].null = strcmp(tab + 1, "\\N") == 0;
		unescape(tab + 1);
		snprintf(cases[ncases].text, sizeof(cases[ncases].text), "%s", tab + 1);
		ncases++;
	}
	fclose(fp);
	CHECK(ncases >= 10, "%zu value cases loaded", ncases);
}

/* run - exec fixed SQL, reporting the error */
static enum sql_rc run(struct sql_conn *c, const char *sql)
{
	enum sql_rc rc = sql_exec(c, sql, NULL, 0, NULL, NULL);

	if (rc != SQL_OK)
		printf("# %s: %s\n", sql, sql_errmsg(c));
	return rc;
}

/* stmt - "PREFIX<table>SUFFIX" with the table quoted for the engine */
static char *stmt(struct sql_conn *c, const char *prefix, const char *suffix)
{
	struct sql_buf b = SQL_BUF_INIT;

	sql_buf_add(&b, "%s", prefix);
	sql_buf_ident(&b, sql_conn_engine(c), weird_table);
	sql_buf_add(&b, "%s", suffix);
	return b.p;
}

/* count_rows - SELECT count(*) of the weird table, -1 on failure */
static long count_rows(struct sql_conn *c)
{
	char   *sql = stmt(c, "SELECT count(*) FROM ", "");
	const struct sql_value *v;
	struct sql_rows *rows;
	size_t	n;
	long	count = -1;

	if (sql_exec(c, sql, NULL, 0, &rows, NULL) == SQL_OK) {
		if (sql_rows_next(c, rows, &v, &n) == SQL_OK && n == 1
		    && v[0].type == SQL_TEXT)
			count = atol(v[0].p);
		sql_rows_free(c, rows);
	}
	free(sql);
	return count;
}

/* params_of - the bound values of case i: id, text (or NULL), integer */
static void params_of(size_t i, int64_t id, struct sql_value p[3])
{
	p[0] = (struct sql_value) {SQL_INT, id, NULL, 0};
	p[1] = cases[i].null ? (struct sql_value) {SQL_NULL, 0, NULL, 0}
		: (struct sql_value) {SQL_TEXT, 0, cases[i].text, strlen(cases[i].text)};
	p[2] = (struct sql_value) {SQL_INT, cases[i].n, NULL, 0};
}

/*
 * check_back - read every row back in id order and compare: bound base
 *	through sql_exec, or, whole, base in the text through sql_read_all
 *	(PostgreSQL's COPY)
 */
static void check_back(const char *label, struct sql_conn *c, int64_t base,
		       bool whole)
{
	char	suffix[64];
	struct sql_value p = {SQL_INT, base, NULL, 0};
	const struct sql_value *v;
	struct sql_rows *rows;
	size_t	n, i = 0, bad = 0;
	enum sql_rc rc;
	char	num[32], *sql;

	snprintf(num, sizeof(num), "%" PRId64, base);
	snprintf(suffix, sizeof(suffix), " WHERE id >= %s ORDER BY id",
		 whole ? num : "?");
	sql = stmt(c, "SELECT id, t, n FROM ", suffix);
	rc = whole ? sql_read_all(c, sql, &rows)
		: sql_exec(c, sql, &p, 1, &rows, NULL);
	free(sql);
	if (!CHECK(rc == SQL_OK, "%s: select (%s)", label, sql_errmsg(c)))
		return;
	while ((rc = sql_rows_next(c, rows, &v, &n)) == SQL_OK && i < ncases) {
		snprintf(num, sizeof(num), "%" PRId64, cases[i].n);
		if (n != 3 || v[2].type != SQL_TEXT || strcmp(v[2].p, num) != 0
		    || (cases[i].null ? v[1].type != SQL_NULL
			: v[1].type != SQL_TEXT || v[1].len != strlen(cases[i].text)
			|| memcmp(v[1].p, cases[i].text, v[1].len) != 0)) {
			printf("# %s: case %zu differs: got \"%s\"\n", label, i,
			       v[1].type == SQL_NULL ? "NULL" : v[1].p);
			bad++;
		}
		i++;
	}
	CHECK(rc == SQL_END && i == ncases && bad == 0,
	      "%s: %zu of %zu values came back unchanged", label, i - bad, ncases);
	sql_rows_free(c, rows);
}

/*
 * check_left_early - rows read whole and freed after the first: the
 *	connection runs the next statement (a COPY is read to its end)
 */
static void check_left_early(const char *label, struct sql_conn *c)
{
	char   *sql = stmt(c, "SELECT t FROM ", "");
	const struct sql_value *v;
	struct sql_rows *rows;
	size_t	n;
	bool	first;

	first = sql_read_all(c, sql, &rows) == SQL_OK &&
		sql_rows_next(c, rows, &v, &n) == SQL_OK && n == 1;
	sql_rows_free(c, rows);
	free(sql);
	CHECK(first && count_rows(c) > 1, "%s: a whole read left after its "
	      "first row, then another statement (%s)", label, sql_errmsg(c));
}

/* test_values - insert through exec and through a prepared statement */
static void test_values(const char *label, struct sql_conn *c)
{
	char   *ins = stmt(c, "INSERT INTO ", " (id, t, n) VALUES (?, ?, ?)");
	struct sql_value p[3];
	struct sql_stmt *st;
	uint64_t affected = 0, total = 0;
	size_t	ok = 0;

	for (size_t i = 0; i < ncases; i++) {
		params_of(i, (int64_t) i + 1, p);
		ok += sql_exec(c, ins, p, 3, NULL, &affected) == SQL_OK;
		total += affected;
	}
	CHECK(ok == ncases && total == ncases, "%s: %zu inserts, %" PRIu64
	      " rows affected (%s)", label, ok, total, sql_errmsg(c));
	check_back(label, c, 1, false);
	check_back("read whole", c, 1, true);
	check_left_early(label, c);

	ok = 0;
	if (CHECK(sql_prepare(c, ins, 3, &st) == SQL_OK, "%s: prepare (%s)",
		  label, sql_errmsg(c))) {
		for (size_t i = 0; i < ncases; i++) {
			params_of(i, (int64_t) i + 1001, p);
			ok += sql_stmt_exec(c, st, p, &affected) == SQL_OK
				&& affected == 1;
		}
		sql_stmt_free(c, st);
	}
	CHECK(ok == ncases, "%s: %zu prepared inserts (%s)", label, ok,
	      sql_errmsg(c));
	check_back("prepared", c, 1001, false);
	free(ins);
}

/* test_transactions - rollback undoes, commit keeps */
static void test_transactions(const char *label, struct sql_conn *c)
{
	char   *ins = stmt(c, "INSERT INTO ", " (id, t, n) VALUES (?, 'tx', 0)");
	struct sql_value id = {SQL_INT, 5000, NULL, 0};
	long	before = count_rows(c);

	CHECK(sql_begin(c) == SQL_OK && sql_exec(c, ins, &id, 1, NULL, NULL) == SQL_OK
	      && count_rows(c) == before + 1 && sql_rollback(c) == SQL_OK
	      && count_rows(c) == before, "%s: rollback undoes an insert (%s)",
	      label, sql_errmsg(c));
	CHECK(sql_begin(c) == SQL_OK && sql_exec(c, ins, &id, 1, NULL, NULL) == SQL_OK
	      && sql_commit(c) == SQL_OK && count_rows(c) == before + 1,
	      "%s: commit keeps it (%s)", label, sql_errmsg(c));
	free(ins);
}

/* find_table - catalog callback: is it the weird table? */
static int find_table(void *ctx, const char *name)
{
	if (strcmp(name, weird_table) == 0)
		*(int *) ctx += 1;
	return 0;
}

/* collect_column - catalog callback: "name:kind," per column */
static int collect_column(void *ctx, const struct sql_column_info *col)
{
	struct sql_buf *b = ctx;

	sql_buf_add(b, "%s%s,", col->name, col->primary_key ? "*" : "");
	return 0;
}

/* test_catalog - the weird table and its columns are listed */
static void test_catalog(const char *label, struct sql_conn *c)
{
	struct sql_buf cols = SQL_BUF_INIT;
	int	found = 0;

	CHECK(sql_list_tables(c, find_table, &found) == SQL_OK && found == 1,
	      "%s: list_tables finds the quoted table (%s)", label, sql_errmsg(c));
	CHECK(sql_list_columns(c, weird_table, collect_column, &cols) == SQL_OK
	      && cols.p && strcmp(cols.p, "id*,t,n,") == 0,
	      "%s: list_columns gives id*,t,n, (%s)", label, cols.p ? cols.p : "");
	sql_buf_reset(&cols);
	CHECK(sql_list_columns(c, "no_such_table", collect_column, &cols) == SQL_OK
	      && cols.len == 0, "%s: a missing table has no columns", label);
	sql_buf_free(&cols);
}

/* test_errors - failure kinds of statements */
static void test_errors(const char *label, struct sql_conn *c)
{
	struct sql_value one = {SQL_INT, 1, NULL, 0};

	CHECK(sql_exec(c, "SELEKT 1", NULL, 0, NULL, NULL) == SQL_BADDATA,
	      "%s: syntax error is bad data (%s)", label, sql_errmsg(c));
	CHECK(sql_exec(c, "SELECT * FROM no_such_table", NULL, 0, NULL, NULL)
	      == SQL_BADDATA, "%s: unknown table is bad data", label);
	CHECK(sql_exec(c, "SELECT ?, ?", &one, 1, NULL, NULL) == SQL_INTERNAL,
	      "%s: wrong parameter count refused (%s)", label, sql_errmsg(c));
	CHECK(sql_exec(c, "SELECT '?', ?", &one, 1, NULL, NULL) == SQL_OK,
	      "%s: a quoted ? is not a placeholder (%s)", label, sql_errmsg(c));
}

/*
 * test_lost_connection - a session the server kills is a temporary
 *	failure (exit 75), for the statement after it too
 */
static void test_lost_connection(const char *label, struct sql_conn *c)
{
	const char *kill = sql_conn_engine(c) == SQL_ENGINE_PGSQL ?
		"SELECT pg_terminate_backend(pg_backend_pid())" : "KILL CONNECTION_ID()";
	enum sql_rc rc = sql_exec(c, kill, NULL, 0, NULL, NULL);

	if (rc == SQL_OK)	/* libpq may only notice at the next statement */
		rc = sql_exec(c, "SELECT 1", NULL, 0, NULL, NULL);
	CHECK(rc == SQL_TEMPFAIL, "%s: a killed session is a temporary failure (%s)",
	      label, sql_errmsg(c));
	CHECK(sql_exec(c, "SELECT 1", NULL, 0, NULL, NULL) == SQL_TEMPFAIL
	      && sql_rc_kind(SQL_TEMPFAIL) == RESULT_TRYAGAIN, "%s: and stays one: try again", label);
	CHECK(strstr(sql_errmsg(c), "***") || !strstr(sql_errmsg(c), "@"),
	      "%s: the message hides the password (%s)", label, sql_errmsg(c));
}

/* test_many_params - one INSERT of 400 rows: 1200 placeholders */
static void test_many_params(const char *label, struct sql_conn *c)
{
	enum { ROWS = 400, N = 3 * ROWS };
	static struct sql_value p[N];
	char   *sql = stmt(c, "INSERT INTO ", " (id, t, n) VALUES (?, ?, ?)");
	struct sql_buf b = SQL_BUF_INIT;
	long	before = count_rows(c);
	uint64_t affected = 0;

	sql_buf_add(&b, "%s", sql);
	for (int i = 0; i < ROWS; i++) {
		p[3 * i] = (struct sql_value) {SQL_INT, 20000 + i, NULL, 0};
		p[3 * i + 1] = (struct sql_value) {SQL_TEXT, 0, "bulk?", 5};
		p[3 * i + 2] = (struct sql_value) {SQL_INT, i, NULL, 0};
		if (i)
			sql_buf_add(&b, ", (?, ?, ?)");
	}
	CHECK(sql_exec(c, b.p, p, N, NULL, &affected) == SQL_OK && affected == ROWS
	      && count_rows(c) == before + ROWS,
	      "%s: one insert of %d rows, %d bound parameters (%s)", label, ROWS,
	      N, sql_errmsg(c));
	sql_buf_free(&b);
	free(sql);
}

/* test_engine - everything against one database */
static void test_engine(const char *label, const char *url)
{
	char	err[SQL_ERRMSG_SIZE];
	struct sql_address *a;
	struct sql_conn *c = NULL;
	char   *sql;

	if (!CHECK(url && *url, "%s: database URL given", label))
		return;
	if (!CHECK(sql_address_parse(url, &a, err, sizeof(err)) == SQL_OK,
		   "%s: address parses (%s)", label, err))
		return;
	CHECK(sql_connect(a, &c, err, sizeof(err)) == SQL_OK, "%s: connect (%s)",
	      label, err);
	sql_address_free(a);
	if (c == NULL)
		return;
	sql = stmt(c, "DROP TABLE IF EXISTS ", "");
	run(c, sql);
	free(sql);
	sql = stmt(c, "CREATE TABLE ", " (id BIGINT PRIMARY KEY, t TEXT, n BIGINT)");
	if (CHECK(run(c, sql) == SQL_OK, "%s: create a table with a hostile name",
		  label)) {
		test_values(label, c);
		test_transactions(label, c);
		test_catalog(label, c);
		test_errors(label, c);
		test_many_params(label, c);
	}
	free(sql);
	sql = stmt(c, "DROP TABLE ", "");
	CHECK(run(c, sql) == SQL_OK, "%s: drop it again", label);
	free(sql);
	if (sql_conn_engine(c) != SQL_ENGINE_SQLITE)
		test_lost_connection(label, c);
	sql_close(c);
}

int	main(void)
{
	char	dir[] = "/tmp/sql_driver_test.XXXXXX", url[256], cmd[300];

	load_cases();
	if (CHECK(mkdtemp(dir) != NULL, "temporary directory")) {
		snprintf(url, sizeof(url), "sqlite://%s/t.db", dir);
		test_engine("sqlite", url);
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		CHECK(system(cmd) == 0, "remove %s", dir);
	}
	test_engine("postgresql", getenv("MQ_TEST_PG_URL"));
	test_engine("mysql", getenv("MQ_TEST_MYSQL_URL"));
	return check_done();
}
