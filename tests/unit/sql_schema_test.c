/*
 * NAME
 *	sql_schema_test - column type checks, and validate/repair/purge on
 *	an SQLite file through the library calls
 * SYNOPSIS
 *	build/asan/tests/sql_schema_test
 * DESCRIPTION
 *	tests/unit/sql_schema_cases.txt lists column types as engines show
 *	them and whether each fits mq's column.  Then, on a new SQLite
 *	file: an empty database has every table missing; repair with
 *	given list roots creates them and the list is then found in SQL;
 *	an extra column is an issue unless SQL_SCHEMA_KEEP_EXTRA, and
 *	SQL_SCHEMA_NO_DROP keeps it; purge empties the tables.  On each
 *	engine ($MQ_TEST_PG_URL, $MQ_TEST_MYSQL_URL: required), an explicit
 *	id 100 is followed by a generated 101 (sql_schema_sync_serial), and
 *	a row of an ezmlm slog table reads back as the same text.
 *	(The other engines are exercised by tests/integration/sql_schema.sh.)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sql-compat/schema.h"
#include "tests/unit/check.h"

#define CASES	"tests/unit/sql_schema_cases.txt"

/* case_table - the registry table a case names ("-" is list T) */
static const struct reg_table *case_table(const char *name)
{
	if (name[0] != '_' && name[0] != '-')
		return reg_mailerq_find(name);
	for (int i = 0; reg_list[i]; i++)
		if (strcmp(reg_list[i]->name, name[0] == '-' ? "" : name) == 0)
			return reg_list[i];
	return NULL;
}

/* test_type_cases - the data file */
static void test_type_cases(void)
{
	char	line[256], engine[32], table[64], column[64], want[8], type[64];
	FILE   *fp = fopen(CASES, "r");
	enum sql_engine e;
	int	n = 0;

	if (!CHECK(fp != NULL, "open %s", CASES))
		return;
	while (fgets(line, sizeof(line), fp)) {
		const struct reg_table *t;
		int	col;

		if (line[0] == '#' || sscanf(line, "%31s %63s %63s %7s %63[^\n]",
					      engine, table, column, want, type) != 5)
			continue;
		e = strcmp(engine, "sqlite") == 0 ? SQL_ENGINE_SQLITE :
			strcmp(engine, "mysql") == 0 ? SQL_ENGINE_MYSQL : SQL_ENGINE_PGSQL;
		t = case_table(table);
		col = t ? reg_column_index(t, column) : -1;
		n++;
		CHECK(col >= 0 && sql_schema_type_ok(e, t, col, type)
		      == (strcmp(want, "ok") == 0), "%s %s.%s %s: %s", engine,
		      table, column, type, want);
	}
	fclose(fp);
	CHECK(n >= 20, "%d type cases", n);
}

/* count_issue - issue callback: count by kind */
static int count_issue(void *ctx, const struct sql_issue *issue, const char *text)
{
	size_t *counts = ctx;

	(void) text;
	counts[issue->kind]++;
	return 0;
}

/* issues - run the check; counts per kind, total in counts[4] */
static enum sql_rc issues(struct sql_conn *c, unsigned flags, size_t counts[5])
{
	memset(counts, 0, 5 * sizeof(*counts));
	return sql_schema_check(c, NULL, flags, count_issue, counts, &counts[4]);
}

/* rows_in - SELECT count(*) FROM table, -1 on failure */
static long rows_in(struct sql_conn *c, const char *table)
{
	struct sql_buf sql = SQL_BUF_INIT;
	const struct sql_value *v;
	struct sql_rows *rows;
	size_t	n;
	long	count = -1;

	sql_buf_add(&sql, "SELECT count(*) FROM ");
	sql_buf_ident(&sql, SQL_ENGINE_SQLITE, table);
	if (sql_exec(c, sql.p, NULL, 0, &rows, NULL) == SQL_OK) {
		if (sql_rows_next(c, rows, &v, &n) == SQL_OK && n == 1)
			count = atol(v[0].p);
		sql_rows_free(c, rows);
	}
	sql_buf_free(&sql);
	return count;
}

/* test_sqlite_schema - the library calls on one SQLite file */
static void test_sqlite_schema(struct sql_conn *c)
{
	const char *const roots[] = {"ml", NULL};
	size_t	counts[5] = {0}, ntables = 0, nmust = 0, nlist = 0;
	char  **found = NULL;

	for (int i = 0; reg_mailerq[i]; i++) {
		ntables++;
		nmust += !reg_mailerq[i]->mq_only;	/* the rest may lack */
	}
	for (int i = 0; reg_list[i]; i++)
		nlist++;
	CHECK(issues(c, 0, counts) == SQL_OK && counts[SQL_ISSUE_MISSING_TABLE]
	      == nmust && counts[4] == nmust, "empty: the %zu MailerQ tables "
	      "every database has are missing", nmust);
	CHECK(sql_schema_repair(c, roots, 0, NULL, NULL) == SQL_OK,
	      "repair with root ml (%s)", sql_errmsg(c));
	CHECK(sql_schema_lists(c, &found) == SQL_OK && found && found[0]
	      && strcmp(found[0], "ml") == 0 && found[1] == NULL,
	      "the list ml is found in SQL");
	sql_schema_lists_free(found);
	CHECK(issues(c, 0, counts) == SQL_OK && counts[4] == 0,
	      "repaired: no issue over %zu + %zu tables", ntables, nlist);

	sql_exec(c, "ALTER TABLE ml_mlog ADD COLUMN extra INTEGER", NULL, 0, NULL, NULL);
	CHECK(issues(c, 0, counts) == SQL_OK && counts[SQL_ISSUE_EXTRA_COLUMN] == 1
	      && counts[4] == 1, "an extra column is an issue");
	CHECK(issues(c, SQL_SCHEMA_KEEP_EXTRA, counts) == SQL_OK && counts[4] == 0
	      && counts[SQL_ISSUE_EXTRA_COLUMN] == 0, "not with KEEP_EXTRA");
	CHECK(sql_schema_repair(c, NULL, SQL_SCHEMA_NO_DROP, NULL, NULL) == SQL_OK
	      && issues(c, 0, counts) == SQL_OK && counts[4] == 1,
	      "NO_DROP keeps it");
	CHECK(sql_schema_repair(c, NULL, 0, NULL, NULL) == SQL_OK
	      && issues(c, 0, counts) == SQL_OK && counts[4] == 0,
	      "plain repair drops it");

	sql_exec(c, "INSERT INTO ml (hash, address) VALUES (3, 'x@y.z')", NULL, 0,
		 NULL, NULL);
	CHECK(rows_in(c, "ml") == 1, "a row in ml");
	CHECK(sql_schema_purge(c, NULL, 0, NULL, NULL) == SQL_OK && rows_in(c, "ml") == 0
	      && rows_in(c, "capacity") == 0 && issues(c, 0, counts) == SQL_OK
	      && counts[4] == 0, "purge empties ml and keeps everything valid");
}

/* max_id - SELECT max(id) of table (quoted for engine e), -1 on failure */
static long max_id(struct sql_conn *c, const char *table)
{
	struct sql_buf sql = SQL_BUF_INIT;
	const struct sql_value *v;
	struct sql_rows *rows;
	size_t	n;
	long	id = -1;

	sql_buf_add(&sql, "SELECT max(id) FROM ");
	sql_buf_ident(&sql, sql_conn_engine(c), table);
	if (sql_exec(c, sql.p, NULL, 0, &rows, NULL) == SQL_OK) {
		if (sql_rows_next(c, rows, &v, &n) == SQL_OK && v[0].type == SQL_TEXT)
			id = atol(v[0].p);
		sql_rows_free(c, rows);
	}
	sql_buf_free(&sql);
	return id;
}

/* insert - INSERT INTO table (cols) VALUES (vals), fixed text */
static enum sql_rc insert(struct sql_conn *c, const char *table,
			  const char *rest)
{
	struct sql_buf sql = SQL_BUF_INIT;
	enum sql_rc rc;

	sql_buf_add(&sql, "INSERT INTO ");
	sql_buf_ident(&sql, sql_conn_engine(c), table);
	sql_buf_add(&sql, " %s", rest);
	rc = sql_exec(c, sql.p, NULL, 0, NULL, NULL);
	sql_buf_free(&sql);
	return rc;
}

/*
 * test_slog_roundtrip - a row of an ezmlm slog table (created from the
 *	schema) reads back as the same text: the time in the store's form
 *	and UTC, the CHAR(1) etype ' ' with its space
 */
static void test_slog_roundtrip(struct sql_conn *c, const char *label,
				const char *table)
{
	static const char *const want[] = {
		"2024-02-03 04:05:06", "a'b@example.com", "", "+", " ",
	};
	struct sql_value p[5];
	struct sql_buf sql = SQL_BUF_INIT;
	const struct sql_value *v;
	struct sql_rows *rows;
	size_t	n, same = 0;

	for (int i = 0; i < 5; i++)
		p[i] = (struct sql_value) {SQL_TEXT, 0, want[i], strlen(want[i])};
	sql_buf_add(&sql, "INSERT INTO ");
	sql_buf_ident(&sql, sql_conn_engine(c), table);
	sql_buf_add(&sql, " (tai, address, fromline, edir, etype) VALUES (?, ?, ?, ?, ?)");
	if (sql_exec(c, sql.p, p, 5, NULL, NULL) == SQL_OK) {
		sql_buf_reset(&sql);
		sql_buf_add(&sql, "SELECT tai, address, fromline, edir, etype FROM ");
		sql_buf_ident(&sql, sql_conn_engine(c), table);
		if (sql_exec(c, sql.p, NULL, 0, &rows, NULL) == SQL_OK) {
			if (sql_rows_next(c, rows, &v, &n) == SQL_OK && n == 5)
				for (size_t i = 0; i < 5; i++)
					same += v[i].type == SQL_TEXT
						&& strcmp(v[i].p, want[i]) == 0;
			sql_rows_free(c, rows);
		}
	}
	CHECK(same == 5, "%s: a slog row reads back unchanged, time in UTC, "
	      "etype ' ' kept (%zu of 5; %s)", label, same, sql_errmsg(c));
	sql_buf_free(&sql);
}

/*
 * test_serial - an explicit id followed by a generated one, in a table
 *	of its own shaped like capacity
 */
static void test_serial(const char *label, const char *url)
{
	const struct reg_table *t = reg_mailerq_find("capacity");
	struct sql_buf sql = SQL_BUF_INIT;
	char	err[SQL_ERRMSG_SIZE], table[64];
	struct sql_address *a;
	struct sql_conn *c = NULL;

	if (!CHECK(url && sql_address_parse(url, &a, err, sizeof(err)) == SQL_OK,
		   "%s: database URL given", label))
		return;
	CHECK(sql_connect(a, &c, err, sizeof(err)) == SQL_OK, "%s: connect (%s)",
	      label, err);
	sql_address_free(a);
	if (c == NULL)
		return;
	snprintf(table, sizeof(table), "serial_test_%ld", (long) getpid());
	sql_schema_drop_table(&sql, sql_conn_engine(c), table);
	sql.p[sql.len - 2] = 0;
	sql_exec(c, sql.p, NULL, 0, NULL, NULL);
	sql_buf_reset(&sql);
	sql_schema_create(&sql, sql_conn_engine(c), table, t);
	sql.p[sql.len - 2] = 0;		/* one statement: no index on capacity */
	CHECK(sql_exec(c, sql.p, NULL, 0, NULL, NULL) == SQL_OK
	      && insert(c, table, "(id, name) VALUES (100, 'a')") == SQL_OK
	      && sql_schema_sync_serial(c, table, t) == SQL_OK
	      && insert(c, table, "(name) VALUES ('b')") == SQL_OK
	      && max_id(c, table) == 101,
	      "%s: after an explicit id 100 the next is 101 (%s)", label,
	      sql_errmsg(c));
	sql_buf_reset(&sql);
	sql_schema_drop_table(&sql, sql_conn_engine(c), table);
	sql.p[sql.len - 2] = 0;
	CHECK(sql_exec(c, sql.p, NULL, 0, NULL, NULL) == SQL_OK, "%s: drop", label);

	snprintf(table, sizeof(table), "rt%ld_slog", (long) getpid());
	sql_buf_reset(&sql);
	sql_schema_create(&sql, sql_conn_engine(c), table, case_table("_slog"));
	CHECK(sql_exec_script(c, sql.p, NULL, NULL) == SQL_OK, "%s: create %s (%s)",
	      label, table, sql_errmsg(c));
	test_slog_roundtrip(c, label, table);
	sql_buf_reset(&sql);
	sql_schema_drop_table(&sql, sql_conn_engine(c), table);
	sql.p[sql.len - 2] = 0;
	CHECK(sql_exec(c, sql.p, NULL, 0, NULL, NULL) == SQL_OK, "%s: drop", label);
	sql_buf_free(&sql);
	sql_close(c);
}

int	main(void)
{
	char	dir[] = "/tmp/sql_schema_test.XXXXXX", url[256], err[SQL_ERRMSG_SIZE];
	struct sql_address *a;
	struct sql_conn *c = NULL;

	test_type_cases();
	if (!CHECK(mkdtemp(dir) != NULL, "temporary directory"))
		return check_done();
	snprintf(url, sizeof(url), "sqlite://%s/t.db", dir);
	if (CHECK(sql_address_parse(url, &a, err, sizeof(err)) == SQL_OK, "parse")) {
		CHECK(sql_connect(a, &c, err, sizeof(err)) == SQL_OK, "connect (%s)", err);
		sql_address_free(a);
	}
	if (c)
		test_sqlite_schema(c);
	sql_close(c);
	test_serial("sqlite", url);
	test_serial("postgresql", getenv("MQ_TEST_PG_URL"));
	test_serial("mysql", getenv("MQ_TEST_MYSQL_URL"));
	snprintf(url, sizeof(url), "%s/t.db", dir);
	unlink(url);
	CHECK(rmdir(dir) == 0, "remove %s", dir);
	return check_done();
}
