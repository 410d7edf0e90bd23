/*
 * NAME
 *	sql_url_test - database-address parsing, formatting and redaction
 * SYNOPSIS
 *	build/asan/tests/sql_url_test
 * DESCRIPTION
 *	Table-driven: each good address with the fields it must parse to
 *	and its redacted form, each bad address with a word its error
 *	must contain.  No error and no redacted form may hold a password.
 *	Ends with the exit-status mapping, the resolver's no-lookup
 *	cases, host names handed to the resolver set with
 *	sql_set_resolver() (or refused without one) and the dispatcher
 *	against a throwaway SQLite file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sql-compat/sql.h"
#include "tests/unit/check.h"

struct good_case {
	const char *url;
	enum sql_engine engine;
	const char *scheme, *user, *password, *host;
	unsigned port;
	const char *database, *path;
	const char *options;	/* "k=v&k=v" after decoding, "" for none */
	const char *redacted;
};

static const struct good_case good[] = {
	{"postgresql://mq:secret@127.0.0.1:5433/mq", SQL_ENGINE_PGSQL,
	 "postgresql", "mq", "secret", "127.0.0.1", 5433, "mq", NULL, "",
	 "postgresql://mq:***@127.0.0.1:5433/mq"},
	{"postgres://u@db.example.com/app", SQL_ENGINE_PGSQL,
	 "postgres", "u", NULL, "db.example.com", 0, "app", NULL, "",
	 "postgres://u@db.example.com/app"},
	{"mysql://root:p%40ss%3Aw%2Fd@[::1]:3306/my%20db?sslmode=require&charset=utf8mb4",
	 SQL_ENGINE_MYSQL, "mysql", "root", "p@ss:w/d", "::1", 3306, "my db",
	 NULL, "sslmode=require&charset=utf8mb4",
	 "mysql://root:***@[::1]:3306/my%20db?sslmode=require&charset=utf8mb4"},
	/* a bracketed host without ':' keeps its brackets when formatted */
	{"postgresql://u@[fe80%1]:5432/db", SQL_ENGINE_PGSQL,
	 "postgresql", "u", NULL, "fe80%1", 5432, "db", NULL, "",
	 "postgresql://u@[fe80%1]:5432/db"},
	/* libpq's Unix socket directory, percent-encoded as the host */
	{"postgresql://u@%2Fvar%2Frun%2Fpostgresql/db", SQL_ENGINE_PGSQL,
	 "postgresql", "u", NULL, "/var/run/postgresql", 0, "db", NULL, "",
	 "postgresql://u@%2Fvar%2Frun%2Fpostgresql/db"},
	{"postgresql://u:pw@%2ftmp:5433/db", SQL_ENGINE_PGSQL,
	 "postgresql", "u", "pw", "/tmp", 5433, "db", NULL, "",
	 "postgresql://u:***@%2Ftmp:5433/db"},
	{"mariadb://u:pw@host-1.example/db_1", SQL_ENGINE_MYSQL,
	 "mariadb", "u", "pw", "host-1.example", 0, "db_1", NULL, "",
	 "mariadb://u:***@host-1.example/db_1"},
	{"MySQL://u:p@h/d", SQL_ENGINE_MYSQL,
	 "mysql", "u", "p", "h", 0, "d", NULL, "", "mysql://u:***@h/d"},
	{"postgresql://u:p@w@host/db", SQL_ENGINE_PGSQL,
	 "postgresql", "u", "p@w", "host", 0, "db", NULL, "",
	 "postgresql://u:***@host/db"},
	{"postgresql://u:@host:65535/db", SQL_ENGINE_PGSQL,
	 "postgresql", "u", "", "host", 65535, "db", NULL, "",
	 "postgresql://u:***@host:65535/db"},
	{"postgresql://host", SQL_ENGINE_PGSQL,
	 "postgresql", NULL, NULL, "host", 0, NULL, NULL, "",
	 "postgresql://host/"},
	{"postgresql://u%20x:pw9@h/db?sslpassword=t0ps3cret&application_name=a%26b",
	 SQL_ENGINE_PGSQL, "postgresql", "u x", "pw9", "h", 0, "db", NULL,
	 "sslpassword=t0ps3cret&application_name=a&b",
	 "postgresql://u%20x:***@h/db?sslpassword=***&application_name=a%26b"},
	{"mysql://u:p@/db?socket=%2Frun%2Fmysqld%2Fmysqld.sock", SQL_ENGINE_MYSQL,
	 "mysql", "u", "p", NULL, 0, "db", NULL, "socket=/run/mysqld/mysqld.sock",
	 "mysql://u:***@/db?socket=%2Frun%2Fmysqld%2Fmysqld.sock"},
	{"sqlite:///var/lib/mq/mq.db", SQL_ENGINE_SQLITE,
	 "sqlite", NULL, NULL, NULL, 0, NULL, "/var/lib/mq/mq.db", "",
	 "sqlite:///var/lib/mq/mq.db"},
	{"sqlite:///tmp/a%20b.db?mode=ro&busy_timeout=100", SQL_ENGINE_SQLITE,
	 "sqlite", NULL, NULL, NULL, 0, NULL, "/tmp/a b.db",
	 "mode=ro&busy_timeout=100",
	 "sqlite:///tmp/a%20b.db?mode=ro&busy_timeout=100"},
	{"mysql://u:p@h/db?flag", SQL_ENGINE_MYSQL,
	 "mysql", "u", "p", "h", 0, "db", NULL, "flag=",
	 "mysql://u:***@h/db?flag="},
};

struct bad_case {
	const char *url;
	const char *error;	/* a word the message must contain */
};

/* Every password here is "Secr3t" (or holds it) so one check finds leaks. */
static const struct bad_case bad[] = {
	{"", "empty"},
	{"ftp://u:Secr3t@h/db", "unknown scheme"},
	{"postgresql:/u:Secr3t@h/db", "scheme://"},
	{"sqlite://relative.db", "three slashes"},
	{"sqlite:///", "no file name"},
	{"sqlite:///tmp/", "no file name"},
	{"mysql://u:Secr3t@h:0/db", "port"},
	{"mysql://u:Secr3t@h:65536/db", "port"},
	{"mysql://u:Secr3t@h:12a/db", "port"},
	{"mysql://u:Secr3t@h:/db", "port"},
	{"mysql://u:Secr/3t@h/db", "%2F"},
	{"mysql://u:Secr3t@[::1/db", "']'"},
	{"sqlite:///var/lib/mq/%2F", "no file name"},
	{"mysql://u:Secr3t@[::1]x/db", "junk"},
	{"mysql://u:Secr3t@h!x/db", "host"},
	{"mysql://u:Secr3t@:5432/db", "empty host"},
	{"mysql://u:Secr3t@h/d%zzb", "percent"},
	{"mysql://u:Secr3t@h/d%4", "percent"},
	{"mysql://u:Secr3t@h/d%00b", "percent"},
	{"mysql://u:Secr3t%zz@h/db", "percent"},
	{"mysql://:Secr3t@h/db", "user"},
	{"mysql://u:Secr3t@h/db?=x", "option"},
	{"mysql://u:Secr3t@h/db?a=1&a=2", "twice"},
	{"mysql://u:Secr3t@h/db#frag", "'#'"},
	{"mysql://u:Secr3t@h o/db", "space"},
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* streq - equal strings, both NULL counting as equal */
static int streq(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

/* options_string - the options as "k=v&k=v" for comparison */
static void options_string(const struct sql_address *a, char *buf, size_t len)
{
	size_t	n = 0;

	buf[0] = 0;
	for (size_t i = 0; i < a->noptions && n < len; i++)
		n += (size_t) snprintf(buf + n, len - n, "%s%s=%s", i ? "&" : "",
				       a->options[i].key, a->options[i].value);
}

/* check_fields - every field of a parsed good case */
static void check_fields(const struct good_case *c, const struct sql_address *a)
{
	char	opts[512];

	options_string(a, opts, sizeof(opts));
	CHECK(a->engine == c->engine, "%s: engine", c->url);
	CHECK(streq(a->scheme, c->scheme), "%s: scheme %s", c->url, a->scheme);
	CHECK(streq(a->user, c->user), "%s: user", c->url);
	CHECK(streq(a->password, c->password), "%s: password", c->url);
	CHECK(streq(a->host, c->host), "%s: host", c->url);
	CHECK(a->port == c->port, "%s: port %u", c->url, a->port);
	CHECK(streq(a->database, c->database), "%s: database", c->url);
	CHECK(streq(a->path, c->path), "%s: path", c->url);
	CHECK(strcmp(opts, c->options) == 0, "%s: options \"%s\"", c->url, opts);
}

/* check_round_trip - the redacted form parses to the same address */
static void check_round_trip(const struct good_case *c,
			     const struct sql_address *a, const char *shown)
{
	struct sql_address *b;
	char	err[256], o1[512], o2[512];

	if (!CHECK(sql_address_parse(shown, &b, err, sizeof(err)) == SQL_OK,
		   "%s: redacted form parses again (%s)", c->url, err))
		return;
	options_string(a, o1, sizeof(o1));
	options_string(b, o2, sizeof(o2));
	CHECK(b->engine == a->engine && streq(b->user, a->user)
	      && streq(b->host, a->host) && b->port == a->port
	      && streq(b->database, a->database) && streq(b->path, a->path)
	      && (a->password == NULL) == (b->password == NULL)
	      && (strstr(o1, "password") || strcmp(o1, o2) == 0),
	      "%s: redacted form has the same fields", c->url);
	sql_address_free(b);
}

static void test_good(void)
{
	for (size_t i = 0; i < NELEM(good); i++) {
		const struct good_case *c = &good[i];
		struct sql_address *a;
		char	err[256], shown[512];
		size_t	n;

		if (!CHECK(sql_address_parse(c->url, &a, err, sizeof(err)) == SQL_OK,
			   "%s: parses (%s)", c->url, err))
			continue;
		check_fields(c, a);
		n = sql_address_format(shown, sizeof(shown), a);
		CHECK(strcmp(shown, c->redacted) == 0 && n == strlen(shown),
		      "%s: formats as %s (got %s)", c->url, c->redacted, shown);
		/* (one- and two-letter passwords occur in any URL) */
		CHECK(a->password == NULL || strlen(a->password) < 3
		      || strstr(shown, a->password) == NULL,
		      "%s: formatted form hides the password", c->url);
		CHECK(strstr(shown, "t0ps3cret") == NULL,
		      "%s: formatted form hides secret options", c->url);
		check_round_trip(c, a, shown);
		sql_address_free(a);
	}
}

static void test_bad(void)
{
	for (size_t i = 0; i < NELEM(bad); i++) {
		const struct bad_case *c = &bad[i];
		struct sql_address *a = (void *) 1;
		char	err[256], shown[512];
		enum sql_rc rc = sql_address_parse(c->url, &a, err, sizeof(err));

		CHECK(rc == SQL_CONFIG && a == NULL, "\"%s\" is refused", c->url);
		CHECK(strstr(err, c->error) != NULL, "\"%s\": error \"%s\" says %s",
		      c->url, err, c->error);
		CHECK(strstr(err, "Secr") == NULL && strstr(err, "3t") == NULL,
		      "\"%s\": error hides the password", c->url);
		sql_url_redact(shown, sizeof(shown), c->url);
		CHECK(strstr(shown, "Secr") == NULL, "\"%s\": redacts to \"%s\"",
		      c->url, shown);
	}
}

static void test_redact(void)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{"postgresql://mq:hunter2@h/db", "postgresql://mq:***@h/db"},
		{"mysql://u:pa/ss@h/db", "mysql://u:***@h/db"},
		{"mysql://u:p@ss@h/db", "mysql://u:***@h/db"},
		{"mysql://u@h/db", "mysql://u@h/db"},
		{"postgresql://h/db?sslpassword=abc&x=1",
		 "postgresql://h/db?sslpassword=***&x=1"},
		{"garbage", "garbage"},
		{"u:pw@host", "u:***@host"},
	};
	char	buf[256], small[10];
	size_t	n;

	for (size_t i = 0; i < NELEM(cases); i++) {
		sql_url_redact(buf, sizeof(buf), cases[i].in);
		CHECK(strcmp(buf, cases[i].out) == 0, "redact %s -> %s (got %s)",
		      cases[i].in, cases[i].out, buf);
	}
	n = sql_url_redact(small, sizeof(small), "postgresql://mq:hunter2@h/db");
	CHECK(n == strlen("postgresql://mq:***@h/db") && strlen(small) == 9,
	      "redact truncates like snprintf (%zu, \"%s\")", n, small);
}

static void test_exit_codes(void)
{
	CHECK(sql_rc_kind(SQL_OK) == RESULT_OK, "kind: ok is ok");
	CHECK(sql_rc_kind(SQL_TEMPFAIL) == RESULT_TRYAGAIN, "kind: temporary failure is tryagain");
	CHECK(sql_rc_kind(SQL_CONFIG) == RESULT_BADDATA, "kind: configuration error is baddata");
	CHECK(sql_rc_kind(SQL_BADDATA) == RESULT_BADDATA, "kind: bad data is baddata");
	CHECK(sql_rc_kind(SQL_INTERNAL) == RESULT_INTERNAL, "kind: internal error is internal");
	CHECK(sql_rc_kind(SQL_UNSUPPORTED) == RESULT_INTERNAL, "kind: unsupported is internal");
}

static int resolver_calls;

/* test_resolver - a resolver that knows one name */
static enum sql_rc test_resolver(const char *host, int timeout, char *addr,
				 size_t addrlen, char *errbuf, size_t errlen)
{
	(void) timeout;
	resolver_calls++;
	if (strcmp(host, "db.example.test") == 0) {
		snprintf(addr, addrlen, "192.0.2.7");
		return SQL_OK;
	}
	snprintf(errbuf, errlen, "%s: no such name", host);
	return SQL_CONFIG;
}

/* test_resolve_names - names go to the resolver handed in, or fail */
static void test_resolve_names(void)
{
	char	addr[64] = "", err[256] = "";

	CHECK(sql_resolve("db.example.test", 2, addr, sizeof(addr), err,
			  sizeof(err)) == SQL_CONFIG
	      && strstr(err, "give a numeric address"),
	      "resolve: a name without a resolver is a config error (%s)", err);
	sql_set_resolver(test_resolver);
	CHECK(sql_resolve("db.example.test", 2, addr, sizeof(addr), err,
			  sizeof(err)) == SQL_OK && strcmp(addr, "192.0.2.7") == 0,
	      "resolve: a name goes to the resolver (%s)", addr);
	CHECK(sql_resolve("nx.example.test", 2, addr, sizeof(addr), err,
			  sizeof(err)) == SQL_CONFIG && strstr(err, "no such name"),
	      "resolve: with the resolver's code and message (%s)", err);
	resolver_calls = 0;
	CHECK(sql_resolve("127.0.0.1", 2, addr, sizeof(addr), err,
			  sizeof(err)) == SQL_OK
	      && sql_resolve("localhost", 2, addr, sizeof(addr), err,
			     sizeof(err)) == SQL_OK && resolver_calls == 0,
	      "resolve: numbers and localhost never reach it");
	sql_set_resolver(NULL);
}

static void test_resolve(void)
{
	static const struct {
		const char *host, *addr;
	} cases[] = {
		{"127.0.0.1", "127.0.0.1"},
		{"::1", "::1"},
		{"localhost", "127.0.0.1"},
		{"LocalHost", "127.0.0.1"},
	};
	char	addr[64], err[256];

	for (size_t i = 0; i < NELEM(cases); i++) {
		enum sql_rc rc = sql_resolve(cases[i].host, 2, addr, sizeof(addr),
					     err, sizeof(err));

		if (cases[i].addr)
			CHECK(rc == SQL_OK && strcmp(addr, cases[i].addr) == 0,
			      "resolve %s -> %s", cases[i].host, cases[i].addr);
		else
			CHECK(rc != SQL_OK, "resolve %s fails (%s)", cases[i].host,
			      err);
	}
}

/* connect_sqlite - connect to url; the code, and the message in err */
static enum sql_rc connect_sqlite(const char *url, struct sql_conn **conn,
				  char *err, size_t len)
{
	struct sql_address *a;
	enum sql_rc rc;

	*conn = NULL;
	if ((rc = sql_address_parse(url, &a, err, len)) != SQL_OK)
		return rc;
	rc = sql_connect(a, conn, err, len);
	sql_address_free(a);
	return rc;
}

static void test_sqlite(void)
{
	char	dir[] = "/tmp/sql_url_test.XXXXXX", url[512], err[512], v[64];
	struct sql_conn *conn;
	FILE   *fp;

	if (!CHECK(mkdtemp(dir) != NULL, "sqlite: temporary directory"))
		return;
	snprintf(url, sizeof(url), "sqlite://%s/t.db", dir);
	CHECK(connect_sqlite(url, &conn, err, sizeof(err)) == SQL_OK,
	      "sqlite: connect creates the file (%s)", err);
	CHECK(conn && sql_ping(conn) == SQL_OK, "sqlite: ping");
	CHECK(conn && sql_server_version(conn, v, sizeof(v)) == SQL_OK
	      && strncmp(v, "sqlite 3.", 9) == 0, "sqlite: version \"%s\"", v);
	CHECK(conn && sql_exec(conn, "SELECT 1", NULL, 0, NULL, NULL) == SQL_OK,
	      "sqlite: a statement runs through the dispatcher (%s)",
	      sql_errmsg(conn));
	sql_close(conn);

	snprintf(url, sizeof(url), "sqlite://%s/t.db?bogus=1", dir);
	CHECK(connect_sqlite(url, &conn, err, sizeof(err)) == SQL_CONFIG
	      && conn == NULL && strstr(err, "bogus"),
	      "sqlite: unknown option refused (%s)", err);
	snprintf(url, sizeof(url), "sqlite://%s/missing.db?mode=rw", dir);
	CHECK(connect_sqlite(url, &conn, err, sizeof(err)) == SQL_TEMPFAIL
	      && strstr(err, "is missing"),
	      "sqlite: mode=rw on a missing file is an outage, "
	      "saying so (%s)", err);
	snprintf(url, sizeof(url), "sqlite://%s/no/such/dir/t.db", dir);
	CHECK(connect_sqlite(url, &conn, err, sizeof(err)) == SQL_CONFIG,
	      "sqlite: missing directory is a config error (%s)", err);

	snprintf(url, sizeof(url), "%s/junk.db", dir);
	if ((fp = fopen(url, "w")) != NULL) {
		for (int i = 0; i < 200; i++)
			fputs("this is not an SQLite database\n", fp);
		fclose(fp);
	}
	snprintf(url, sizeof(url), "sqlite://%s/junk.db", dir);
	CHECK(connect_sqlite(url, &conn, err, sizeof(err)) == SQL_TEMPFAIL,
	      "sqlite: a file that is not a database is an outage, not "
	      "the client's fault (%s)", err);
	CHECK(strncmp(err, "sql:sqlite://", 13) == 0,
	      "sqlite: the message names the address (%s)", err);

	snprintf(url, sizeof(url), "rm -rf '%s'", dir);
	CHECK(system(url) == 0, "sqlite: clean up");
}

int	main(void)
{
	test_good();
	test_bad();
	test_redact();
	test_exit_codes();
	test_resolve();
	test_resolve_names();
	test_sqlite();
	return check_done();
}
