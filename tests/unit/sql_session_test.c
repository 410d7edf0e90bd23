/*
 * NAME
 *	sql_session_test - struct sql_session against real databases
 * SYNOPSIS
 *	MQ_TEST_PG_URL=... MQ_TEST_MYSQL_URL=... build/asan/tests/sql_session_test
 * DESCRIPTION
 *	For an SQLite file, $MQ_TEST_PG_URL and $MQ_TEST_MYSQL_URL: a
 *	connection put back is the one the next get returns (the same
 *	backend: pg_backend_pid(), CONNECTION_ID(), a TEMP table for
 *	SQLite); a get while it is out opens a second one; sql_session_idle
 *	leaves it open before idle_seconds and closes it after; a put with
 *	SQL_TEMPFAIL marks a server down (the next get fails at once with
 *	"database unreachable") and a get after the backoff connects again;
 *	a connection the server closed meanwhile is replaced unseen.
 *
 *	Then, on PostgreSQL, a session pointed at a closed port of
 *	127.0.0.1: the first get is refused, the second fails in under
 *	50 ms; against a server that accepts but never answers, the get
 *	that starts the probe waits SQL_SESSION_PROBE_WAIT_MS instead of
 *	the connect timeout and the others still fail at once; once the
 *	port forwards to the real server, a get succeeds within the
 *	longest backoff (and one probe wait).
 *	A server without its URL is a failure, not a skip.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "sql-compat/sql.h"
#include "tests/unit/check.h"

/* now_ms - the monotonic clock in milliseconds */
static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* sleep_ms - wait ms milliseconds */
static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, ms % 1000 * 1000000};

	nanosleep(&ts, NULL);
}

/* query_int - the first column of the first row of sql, or -1 */
static long long query_int(struct sql_conn *c, const char *sql)
{
	struct sql_rows *rows;
	const struct sql_value *cols;
	size_t	ncols;
	long long v = -1;

	if (sql_exec(c, sql, NULL, 0, &rows, NULL) != SQL_OK)
		return -1;
	if (sql_rows_next(c, rows, &cols, &ncols) == SQL_OK && ncols > 0
	    && cols[0].type == SQL_TEXT)
		v = strtoll(cols[0].p, NULL, 10);
	sql_rows_free(c, rows);
	return v;
}

/*
 * backend_id - which server session c is: the backend's id, or for
 *	SQLite a number kept in a TEMP table (made on first sight, so a
 *	new connection gets a new number)
 */
static long long backend_id(struct sql_conn *c)
{
	static long long next_mark = 1;
	struct sql_value v = {SQL_INT, 0, NULL, 0};
	long long id;

	switch (sql_conn_engine(c)) {
	case SQL_ENGINE_PGSQL:
		return query_int(c, "SELECT pg_backend_pid()");
	case SQL_ENGINE_MYSQL:
		return query_int(c, "SELECT CONNECTION_ID()");
	case SQL_ENGINE_SQLITE:
		break;
	}
	if ((id = query_int(c, "SELECT n FROM temp.session_mark")) >= 0)
		return id;
	v.i = next_mark++;
	if (sql_exec(c, "CREATE TEMP TABLE session_mark (n INTEGER)", NULL, 0,
		     NULL, NULL) != SQL_OK
	    || sql_exec(c, "INSERT INTO temp.session_mark VALUES (?)", &v, 1,
			NULL, NULL) != SQL_OK)
		return -1;
	return v.i;
}

/* new_session - a session for url with idle seconds, or NULL */
static struct sql_session *new_session(const char *url, unsigned idle)
{
	struct sql_address *a;
	struct sql_session *s;
	char	err[SQL_ERRMSG_SIZE];

	if (!CHECK(sql_address_parse(url, &a, err, sizeof(err)) == SQL_OK,
		   "address parses (%s)", err))
		return NULL;
	s = sql_session_new(a, idle);
	sql_address_free(a);
	return s;
}

/* get_id - get a connection and its backend id (-1 when get failed) */
static struct sql_conn *get_id(struct sql_session *s, long long *id,
			       char *err, size_t errlen)
{
	struct sql_conn *c;

	*id = -1;
	err[0] = 0;
	if (sql_session_get(s, &c, err, errlen) == SQL_OK)
		*id = backend_id(c);
	return c;
}

/* test_reuse - reuse, a second connection, idle close */
static void test_reuse(const char *label, struct sql_session *s)
{
	char	err[SQL_ERRMSG_SIZE];
	long long id1, id2, id3;
	struct sql_conn *c1 = get_id(s, &id1, err, sizeof(err)), *c2;

	CHECK(c1 && id1 > 0, "%s: a first get connects (%s)", label, err);
	sql_session_put(s, c1, SQL_OK);
	c1 = get_id(s, &id2, err, sizeof(err));
	CHECK(c1 && id2 == id1, "%s: the next get reuses it (%lld, %lld)",
	      label, id1, id2);
	c2 = get_id(s, &id3, err, sizeof(err));
	CHECK(c2 && id3 > 0 && id3 != id1,
	      "%s: a get while it is out opens another (%lld)", label, id3);
	sql_session_put(s, c2, SQL_OK);
	sql_session_put(s, c1, SQL_OK);
	CHECK(!sql_session_idle(s), "%s: not closed before the idle time", label);
	c1 = get_id(s, &id2, err, sizeof(err));
	CHECK(c1 && (id2 == id1 || id2 == id3),
	      "%s: and still reused after the idle check", label);
	sql_session_put(s, c1, SQL_OK);
	sleep_ms(1200);
	CHECK(sql_session_idle(s), "%s: closed once idle for 1 s", label);
	c1 = get_id(s, &id3, err, sizeof(err));
	CHECK(c1 && id3 > 0 && id3 != id2,
	      "%s: a get after that connects anew (%lld, %lld)", label, id2, id3);
	sql_session_put(s, c1, SQL_OK);
}

/* test_tempfail - a put with SQL_TEMPFAIL: down for a while, then back */
static void test_tempfail(const char *label, struct sql_session *s)
{
	char	err[SQL_ERRMSG_SIZE];
	long long id1, id2, t0;
	struct sql_conn *c = get_id(s, &id1, err, sizeof(err));
	bool	server = c && sql_conn_engine(c) != SQL_ENGINE_SQLITE;

	sql_session_put(s, c, SQL_TEMPFAIL);
	t0 = now_ms();
	c = get_id(s, &id2, err, sizeof(err));
	if (server)
		CHECK(!c && now_ms() - t0 < 50
		      && strncmp(err, "database unreachable (retrying in ", 34) == 0,
		      "%s: after a temporary failure a get fails at once (%s)",
		      label, err);
	else
		CHECK(c && id2 > 0 && id2 != id1,
		      "%s: no server to mark down: a new connection (%s)", label, err);
	sql_session_put(s, c, SQL_OK);
	sleep_ms(SQL_SESSION_BACKOFF_MIN_MS + 100);
	c = get_id(s, &id2, err, sizeof(err));
	CHECK(c && id2 > 0 && id2 != id1,
	      "%s: after the backoff a get connects again (%s)", label, err);
	sql_session_put(s, c, SQL_OK);
}

/* test_server_closed - a kept connection the server ended is replaced */
static void test_server_closed(const char *label, struct sql_session *s)
{
	char	err[SQL_ERRMSG_SIZE];
	long long id1, id2;
	struct sql_conn *c = get_id(s, &id1, err, sizeof(err));
	const char *set = c && sql_conn_engine(c) == SQL_ENGINE_PGSQL
		? "SET idle_session_timeout = 500" : "SET SESSION wait_timeout = 1";

	CHECK(c && sql_exec(c, set, NULL, 0, NULL, NULL) == SQL_OK,
	      "%s: the server is told to end the idle session", label);
	sql_session_put(s, c, SQL_OK);
	sleep_ms(2000);
	c = get_id(s, &id2, err, sizeof(err));
	CHECK(c && id2 > 0 && id2 != id1,
	      "%s: the session it ended is replaced unseen (%s)", label, err);
	sql_session_put(s, c, SQL_OK);
}

/* test_engine - the session against one database */
static void test_engine(const char *label, const char *url)
{
	struct sql_session *s;

	if (!CHECK(url && *url, "%s: database URL given", label))
		return;
	if (!CHECK((s = new_session(url, 1)) != NULL, "%s: a session", label))
		return;
	test_reuse(label, s);
	test_tempfail(label, s);
	if (strncmp(url, "sqlite:", 7) != 0)
		test_server_closed(label, s);
	sql_session_free(s);
}

/* ---------------------------------------------------------------- */
/* a port that is closed, hangs, then forwards to the real server    */
/* ---------------------------------------------------------------- */

/* listen_on - a listening socket on 127.0.0.1:port (0: any), or -1 */
static int listen_on(unsigned port, unsigned *bound)
{
	struct sockaddr_in sin = {.sin_family = AF_INET,
				  .sin_port = htons((uint16_t) port)};
	socklen_t len = sizeof(sin);
	int	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), on = 1;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (fd < 0 || bind(fd, (struct sockaddr *) &sin, sizeof(sin)) < 0
	    || listen(fd, 16) < 0
	    || getsockname(fd, (struct sockaddr *) &sin, &len) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (bound)
		*bound = ntohs(sin.sin_port);
	return fd;
}

/* connect_to - a TCP connection to 127.0.0.1:port, or -1 */
static int connect_to(unsigned port)
{
	struct sockaddr_in sin = {.sin_family = AF_INET,
				  .sin_port = htons((uint16_t) port)};
	int	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && connect(fd, (struct sockaddr *) &sin, sizeof(sin)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* A forwarder from a port to the real server, one thread per link. */
struct proxy {
	int	lfd;
	unsigned upstream;
	atomic_bool stop;
	pthread_t tid;
};

/* relay - copy bytes both ways until one side closes */
static void *relay(void *arg)
{
	int    *fd = arg;
	struct pollfd p[2] = {{fd[0], POLLIN, 0}, {fd[1], POLLIN, 0}};
	char	buf[16384];

	while (poll(p, 2, -1) > 0) {
		int	from = p[0].revents ? 0 : 1;
		ssize_t	n = read(fd[from], buf, sizeof(buf));

		if (n <= 0 || write(fd[1 - from], buf, (size_t) n) != n)
			break;
	}
	close(fd[0]);
	close(fd[1]);
	free(fd);
	return NULL;
}

/* proxy_accept - accept links and start a relay for each */
static void *proxy_accept(void *arg)
{
	struct proxy *px = arg;
	struct pollfd p = {px->lfd, POLLIN, 0};
	pthread_t tid;

	while (!atomic_load(&px->stop)) {
		int    *fd;

		if (poll(&p, 1, 50) <= 0 || (fd = malloc(2 * sizeof(int))) == NULL)
			continue;
		fd[0] = accept(px->lfd, NULL, NULL);
		fd[1] = fd[0] < 0 ? -1 : connect_to(px->upstream);
		if (fd[1] < 0 || pthread_create(&tid, NULL, relay, fd) != 0) {
			if (fd[0] >= 0)
				close(fd[0]);
			free(fd);
			continue;
		}
		pthread_detach(tid);
	}
	close(px->lfd);
	return NULL;
}

/* fails_fast - a get that fails at once as "database unreachable" */
static bool fails_fast(struct sql_session *s, char *err, size_t len)
{
	struct sql_conn *c;
	long long t0 = now_ms();
	enum sql_rc rc = sql_session_get(s, &c, err, len);

	return rc == SQL_TEMPFAIL && now_ms() - t0 < 50
	    && strncmp(err, "database unreachable (retrying ", 31) == 0;
}

/*
 * test_hung_probe - a server that accepts but never answers: the get
 *	that starts the probe waits SQL_SESSION_PROBE_WAIT_MS, not the
 *	connect timeout, and the others fail at once meanwhile
 */
static void test_hung_probe(struct sql_session *s, unsigned port)
{
	char	err[SQL_ERRMSG_SIZE];
	int	silent = listen_on(port, NULL);
	struct sql_conn *c;
	long long t0, ms;
	enum sql_rc rc;

	CHECK(silent >= 0, "down: a server that accepts but never answers");
	sleep_ms(SQL_SESSION_BACKOFF_MIN_MS + 50);
	t0 = now_ms();
	rc = sql_session_get(s, &c, err, sizeof(err));
	ms = now_ms() - t0;
	CHECK(rc == SQL_TEMPFAIL && ms >= SQL_SESSION_PROBE_WAIT_MS - 50
	      && ms < 1000, "down: the get that starts a probe waits %d ms, "
	      "not the connect timeout (%lld ms, %s)", SQL_SESSION_PROBE_WAIT_MS,
	      ms, err);
	CHECK(fails_fast(s, err, sizeof(err)) && strstr(err, "retrying now"),
	      "down: while the probe runs, a get fails at once (%s)", err);
	if (silent >= 0)
		close(silent);	/* resets the probe's connection */
}

/* test_recovery - the port forwards to the server: back within the backoff */
static void test_recovery(struct sql_session *s, unsigned port, unsigned pg_port)
{
	struct proxy px = {listen_on(port, NULL), pg_port, false, 0};
	struct sql_conn *c = NULL;
	char	err[SQL_ERRMSG_SIZE];
	long long t0 = now_ms();
	enum sql_rc rc = SQL_TEMPFAIL;

	if (!CHECK(px.lfd >= 0, "down: the port now forwards to the server"))
		return;
	pthread_create(&px.tid, NULL, proxy_accept, &px);
	while (rc != SQL_OK && now_ms() - t0 < 5000) {
		if ((rc = sql_session_get(s, &c, err, sizeof(err))) != SQL_OK)
			sleep_ms(20);
	}
	CHECK(rc == SQL_OK && now_ms() - t0 <= SQL_SESSION_BACKOFF_MAX_MS
	      + SQL_SESSION_PROBE_WAIT_MS + 300,
	      "down: a get succeeds within the longest backoff (%lld ms, %s)",
	      now_ms() - t0, rc == SQL_OK ? "" : err);
	CHECK(c && query_int(c, "SELECT 41 + 1") == 42,
	      "down: and the connection works");
	sql_session_put(s, c, SQL_OK);
	sql_session_free(s);
	atomic_store(&px.stop, true);
	pthread_join(px.tid, NULL);
}

/* test_down - a session at a closed port of 127.0.0.1 (PostgreSQL) */
static void test_down(const char *pg_url)
{
	struct sql_address *a;
	struct sql_session *s;
	char	url[1024], err[SQL_ERRMSG_SIZE];
	unsigned port = 0;
	int	fd = listen_on(0, &port);
	struct sql_conn *c;

	if (!CHECK(pg_url && sql_address_parse(pg_url, &a, err, sizeof(err))
		   == SQL_OK, "down: the PostgreSQL URL parses"))
		return;
	close(fd);		/* a port that was free and is closed now */
	snprintf(url, sizeof(url), "postgresql://%s:%s@127.0.0.1:%u/%s"
		 "?connect_timeout=2", a->user, a->password, port, a->database);
	if ((s = new_session(url, 60)) == NULL) {
		sql_address_free(a);
		return;
	}
	CHECK(sql_session_get(s, &c, err, sizeof(err)) == SQL_TEMPFAIL
	      && strstr(err, "connect"), "down: a closed port is refused (%s)", err);
	CHECK(fails_fast(s, err, sizeof(err)),
	      "down: the next get fails in under 50 ms (%s)", err);
	CHECK(strstr(err, "connect") && !strstr(err, a->password),
	      "down: naming the last reason, without the password");
	test_hung_probe(s, port);
	test_recovery(s, port, a->port);
	sql_address_free(a);
}

int	main(void)
{
	char	dir[] = "/tmp/sql_session_test.XXXXXX", url[256], cmd[300];

	if (CHECK(mkdtemp(dir) != NULL, "temporary directory")) {
		/* a session never creates the file (loads must not): an
		 * empty file is an empty SQLite database */
		snprintf(cmd, sizeof(cmd), "%s/t.db", dir);
		CHECK(fclose(fopen(cmd, "w")) == 0, "an empty database file");
		snprintf(url, sizeof(url), "sqlite://%s/t.db", dir);
		test_engine("sqlite", url);
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		CHECK(system(cmd) == 0, "remove %s", dir);
	}
	test_engine("postgresql", getenv("MQ_TEST_PG_URL"));
	test_engine("mysql", getenv("MQ_TEST_MYSQL_URL"));
	test_down(getenv("MQ_TEST_PG_URL"));
	return check_done();
}
