/*
 * NAME
 *	sql_mysql.c - the MySQL/MariaDB driver (libmariadb)
 * SYNOPSIS
 *	#include "sql-compat/sql.h"
 *
 *	extern const struct sql_driver sql_mysql_driver;
 * DESCRIPTION
 *	Connects with mysql_real_connect() to the numeric address sql.c
 *	resolved (a host of "localhost" would make libmariadb use its Unix
 *	socket; sql.c has already turned it into 127.0.0.1).  No host at
 *	all means the library's default socket, or the "socket" option;
 *	so does "localhost" with a socket option, and a host that is a
 *	path ("%2Frun%2Fmysqld%2Fmysqld.sock") is the socket itself.
 *
 *	Options (anything else is a configuration error):
 *	    connect_timeout   seconds (default 5), via sql.c
 *	    read_timeout, write_timeout   seconds
 *	    charset           default utf8mb4
 *	    sslmode           disable | require | verify-ca | verify-full
 *	    sslrootcert (ssl-ca), sslcert (ssl-cert), sslkey (ssl-key),
 *	    ssl-capath, ssl-cipher, tls-version
 *	    socket            Unix socket path, when there is no host
 *	                      or it is localhost
 *
 *	The static libmariadb.a has only the built-in authentication
 *	plugins (mysql_native_password among them): an account that uses
 *	caching_sha2_password needs mysql_native_password for the static
 *	mq.
 *
 *	A statement without parameters runs over the text protocol and
 *	its rows stream (mysql_use_result: the connection is busy until
 *	they are read or freed); one with parameters is a server-side
 *	statement whose columns are fetched as strings.  Either way each
 *	value comes back as text.  Sessions run in UTC, in strict mode,
 *	with PAD_CHAR_TO_FULL_LENGTH.
 * DIAGNOSTICS
 *	Server error numbers for refused logins, unknown databases and
 *	unusable authentication plugins are SQL_CONFIG; everything else
 *	(refused, unreachable, timeout, too many connections) is
 *	SQL_TEMPFAIL.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <mysql.h>
#include <errmsg.h>
#include <mysqld_error.h>

#include "sql-compat/sql.h"

enum mysql_opt_kind {
	MYSQL_KIND_UINT,	/* unsigned int seconds */
	MYSQL_KIND_STRING,	/* passed as it is */
	MYSQL_KIND_SSLMODE,	/* mapped to enforce/verify flags */
	MYSQL_KIND_HANDLED,	/* read elsewhere (sql.c or connect) */
};

static const struct {
	const char *key;
	enum mysql_opt_kind kind;
	enum mysql_option option;
} mysql_options_table[] = {
	{"connect_timeout", MYSQL_KIND_HANDLED, 0},
	{"socket", MYSQL_KIND_HANDLED, 0},
	{"read_timeout", MYSQL_KIND_UINT, MYSQL_OPT_READ_TIMEOUT},
	{"write_timeout", MYSQL_KIND_UINT, MYSQL_OPT_WRITE_TIMEOUT},
	{"charset", MYSQL_KIND_STRING, MYSQL_SET_CHARSET_NAME},
	{"sslmode", MYSQL_KIND_SSLMODE, 0},
	{"ssl-mode", MYSQL_KIND_SSLMODE, 0},
	{"sslrootcert", MYSQL_KIND_STRING, MYSQL_OPT_SSL_CA},
	{"ssl-ca", MYSQL_KIND_STRING, MYSQL_OPT_SSL_CA},
	{"sslcert", MYSQL_KIND_STRING, MYSQL_OPT_SSL_CERT},
	{"ssl-cert", MYSQL_KIND_STRING, MYSQL_OPT_SSL_CERT},
	{"sslkey", MYSQL_KIND_STRING, MYSQL_OPT_SSL_KEY},
	{"ssl-key", MYSQL_KIND_STRING, MYSQL_OPT_SSL_KEY},
	{"ssl-capath", MYSQL_KIND_STRING, MYSQL_OPT_SSL_CAPATH},
	{"ssl-cipher", MYSQL_KIND_STRING, MYSQL_OPT_SSL_CIPHER},
	{"tls-version", MYSQL_KIND_STRING, MARIADB_OPT_TLS_VERSION},
};

/* mysql_drv_set_sslmode - TLS required, and whether the certificate counts */
static enum sql_rc mysql_drv_set_sslmode(struct sql_conn *conn, MYSQL *m,
				     const char *mode)
{
	my_bool	on = 1;

	if (strcasecmp(mode, "disable") == 0 || strcasecmp(mode, "disabled") == 0)
		return SQL_OK;
	if (strcasecmp(mode, "verify-ca") == 0 || strcasecmp(mode, "verify-full") == 0
	    || strcasecmp(mode, "verify_identity") == 0)
		mysql_options(m, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &on);
	else if (strcasecmp(mode, "require") != 0 && strcasecmp(mode, "required") != 0)
		return sql_conn_fail(conn, SQL_CONFIG, "connect", "bad sslmode "
				     "(expected disable, require, verify-ca or "
				     "verify-full)");
	mysql_options(m, MYSQL_OPT_SSL_ENFORCE, &on);
	return SQL_OK;
}

/* mysql_drv_set_option - apply one option of the address */
static enum sql_rc mysql_drv_set_option(struct sql_conn *conn, MYSQL *m,
				    const struct sql_option *o)
{
	size_t	i, n = sizeof(mysql_options_table) / sizeof(mysql_options_table[0]);
	unsigned int secs;
	char   *end;

	for (i = 0; i < n && strcmp(mysql_options_table[i].key, o->key); i++)
		;
	if (i == n)
		return sql_conn_fail(conn, SQL_CONFIG, "connect",
				     "unknown option \"%s\" for mysql", o->key);
	switch (mysql_options_table[i].kind) {
	case MYSQL_KIND_HANDLED:
		return SQL_OK;
	case MYSQL_KIND_SSLMODE:
		return mysql_drv_set_sslmode(conn, m, o->value);
	case MYSQL_KIND_STRING:
		mysql_options(m, mysql_options_table[i].option, o->value);
		return SQL_OK;
	case MYSQL_KIND_UINT:
		secs = (unsigned int) strtoul(o->value, &end, 10);
		if (*o->value == 0 || *end || secs == 0)
			return sql_conn_fail(conn, SQL_CONFIG, "connect",
					     "bad %s (expected seconds)", o->key);
		mysql_options(m, mysql_options_table[i].option, &secs);
		return SQL_OK;
	}
	return SQL_INTERNAL;
}

/* mysql_drv_classify - SQL_CONFIG for what an operator must fix */
static enum sql_rc mysql_drv_classify(unsigned int err)
{
	switch (err) {
	case ER_ACCESS_DENIED_ERROR:
	case ER_DBACCESS_DENIED_ERROR:
	case ER_BAD_DB_ERROR:
	case ER_ACCESS_DENIED_NO_PASSWORD_ERROR:
	case ER_NOT_SUPPORTED_AUTH_MODE:
	case ER_PASSWORD_NO_MATCH:
	case CR_AUTH_PLUGIN_CANNOT_LOAD:
	case CR_SSL_CONNECTION_ERROR:
	case CR_CANT_READ_CHARSET:
		return SQL_CONFIG;
	default:
		return SQL_TEMPFAIL;
	}
}

/* mysql_drv_setup - options before the connection; SQL_OK or failure */
static enum sql_rc mysql_drv_setup(struct sql_conn *conn, MYSQL *m)
{
	unsigned int timeout = (unsigned int) conn->timeout;
	enum sql_rc rc;

	mysql_options(m, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
	mysql_options(m, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	for (size_t i = 0; i < conn->address->noptions; i++)
		if ((rc = mysql_drv_set_option(conn, m, &conn->address->options[i])))
			return rc;
	return SQL_OK;
}

static enum sql_rc mysql_drv_simple(struct sql_conn *conn, const char *sql);

/*
 * mysql_drv_session - times in UTC as the store writes them; strict
 *	mode, so a value too long is refused rather than cut; CHAR
 *	columns read back with their trailing spaces (ezmlm's etype ' ')
 */
static enum sql_rc mysql_drv_session(struct sql_conn *conn)
{
	enum sql_rc rc = mysql_drv_simple(conn, "SET time_zone = '+00:00'");

	if (rc == SQL_OK)
		rc = mysql_drv_simple(conn, "SET SESSION sql_mode = CONCAT("
				      "@@sql_mode, ',STRICT_ALL_TABLES,"
				      "PAD_CHAR_TO_FULL_LENGTH')");
	return rc;
}

/*
 * library_init - once per process: mysql_init() initialises the client
 *	library on first use, and that first use is not thread-safe (mq
 *	serve connects from its main and writer threads).
 */
static void library_init(void)
{
	mysql_library_init(0, NULL, NULL);
}

/*
 * mysql_drv_socket - the Unix socket: a host that is a path (libpq's
 *	"%2Fpath" form), else the socket option
 */
static const char *mysql_drv_socket(const struct sql_conn *conn)
{
	const char *host = conn->address->host;

	return host && host[0] == '/' ? host
		: sql_address_option(conn->address, "socket");
}

/*
 * mysql_drv_host - the host for mysql_real_connect(): NULL (the socket)
 *	for a socket path, or for "localhost" with a socket option, as the
 *	mysql client does; else the numeric address
 */
static const char *mysql_drv_host(const struct sql_conn *conn)
{
	const char *host = conn->address->host;

	if (host && (host[0] == '/' || (strcmp(host, "localhost") == 0 &&
					sql_address_option(conn->address,
							   "socket"))))
		return NULL;
	return conn->hostaddr;
}

/* mysql_drv_connect - open conn->handle */
static enum sql_rc mysql_drv_connect(struct sql_conn *conn)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	const struct sql_address *a = conn->address;
	MYSQL  *m;
	enum sql_rc rc;

	pthread_once(&once, library_init);
	m = mysql_init(NULL);
	if (m == NULL)
		return sql_conn_fail(conn, SQL_INTERNAL, "connect", "out of memory");
	if ((rc = mysql_drv_setup(conn, m)) != SQL_OK) {
		mysql_close(m);
		return rc;
	}
	if (mysql_real_connect(m, mysql_drv_host(conn), a->user, a->password,
			       a->database, a->port, mysql_drv_socket(conn),
			       0) == NULL) {
		rc = sql_conn_fail(conn, mysql_drv_classify(mysql_errno(m)), "connect",
				   "%s", mysql_error(m));
		mysql_close(m);
		return rc;
	}
	conn->handle = m;
	return mysql_drv_session(conn);
}

/* mysql_drv_close - release the connection */
static void mysql_drv_close(struct sql_conn *conn)
{
	if (conn->handle)
		mysql_close(conn->handle);
	conn->handle = NULL;
}

/* mysql_drv_ping - one round trip (no automatic reconnect is set) */
static enum sql_rc mysql_drv_ping(struct sql_conn *conn)
{
	if (mysql_ping(conn->handle) == 0)
		return SQL_OK;
	return sql_conn_fail(conn, mysql_drv_classify(mysql_errno(conn->handle)),
			     "ping", "%s", mysql_error(conn->handle));
}

/* mysql_drv_client_version - "libmariadb 3.3.8" */
static void mysql_drv_client_version(char *buf, size_t len)
{
	snprintf(buf, len, "libmariadb %s", mysql_get_client_info());
}

/*
 * mysql_drv_server_version - "mariadb 10.11.6" or "mysql 8.0.36", from the
 *	server's banner ("10.11.6-MariaDB-0+deb12u1")
 */
static enum sql_rc mysql_drv_server_version(struct sql_conn *conn, char *buf,
					size_t len)
{
	const char *info = mysql_get_server_info(conn->handle);
	int	vlen;

	if (info == NULL)
		return sql_conn_fail(conn, SQL_INTERNAL, "version",
				     "no server version");
	vlen = (int) strcspn(info, "-");
	snprintf(buf, len, "%s %.*s", strstr(info, "MariaDB") ? "mariadb" :
		 "mysql", vlen, info);
	return SQL_OK;
}

/*
 * Result rows.  Without parameters a statement runs over the text
 * protocol and its rows stream (mysql_use_result); with parameters it
 * is a server-side statement whose columns are fetched as strings.
 */
struct sql_rows {
	struct sql_conn *conn;
	MYSQL_RES *res;		/* text protocol, or NULL */
	MYSQL_STMT *stmt;	/* binary protocol, or NULL */
	unsigned ncols;
	struct sql_value *vals;
	MYSQL_BIND *bind;	/* stmt: lengths and NULL flags only */
	unsigned long *lengths;
	my_bool *nulls;
	char  **bufs;		/* stmt: one growing buffer per column */
	size_t *caps;
};

/* A prepared statement of the server, bound anew at each run. */
struct sql_stmt {
	MYSQL_STMT *stmt;
	size_t	nparams;
};

/*
 * mysql_drv_exec_kind - the failure kind of a statement error: lost
 *	connections, shutdowns, deadlocks and lock waits are temporary,
 *	refused privileges configuration, the rest bad data.
 */
static enum sql_rc mysql_drv_exec_kind(unsigned int err)
{
	switch (err) {
	case ER_CON_COUNT_ERROR:
	case ER_SERVER_SHUTDOWN:
	case ER_LOCK_WAIT_TIMEOUT:
	case ER_LOCK_DEADLOCK:
	case ER_QUERY_INTERRUPTED:
	case ER_CONNECTION_KILLED:
		return SQL_TEMPFAIL;
	case ER_DBACCESS_DENIED_ERROR:
	case ER_ACCESS_DENIED_ERROR:
	case ER_TABLEACCESS_DENIED_ERROR:
	case ER_COLUMNACCESS_DENIED_ERROR:
		return SQL_CONFIG;
	case CR_OUT_OF_MEMORY:
	case CR_COMMANDS_OUT_OF_SYNC:
		return SQL_INTERNAL;
	}
	/* Other client errors are about the connection: retry later. */
	return err >= CR_MIN_ERROR && err <= CR_MAX_ERROR ? SQL_TEMPFAIL
		: SQL_BADDATA;
}

/* mysql_drv_fail - record the connection's last statement error */
static enum sql_rc mysql_drv_fail(struct sql_conn *conn, const char *action)
{
	MYSQL  *m = conn->handle;

	return sql_conn_fail(conn, mysql_drv_exec_kind(mysql_errno(m)), action,
			     "%s", mysql_error(m));
}

/* mysql_drv_stmt_fail - record a statement handle's error */
static enum sql_rc mysql_drv_stmt_fail(struct sql_conn *conn, MYSQL_STMT *st,
				       const char *action)
{
	return sql_conn_fail(conn, mysql_drv_exec_kind(mysql_stmt_errno(st)),
			     action, "%s", mysql_stmt_error(st));
}

/* mysql_drv_stmt_run - bind and execute st; affected rows */
static enum sql_rc mysql_drv_stmt_run(struct sql_conn *conn, MYSQL_STMT *st,
				      const struct sql_value *params, size_t n,
				      uint64_t *affected)
{
	MYSQL_BIND bind[n ? n : 1];
	long long ints[n ? n : 1];

	if (mysql_stmt_param_count(st) != n)
		return sql_conn_fail(conn, SQL_INTERNAL, "bind", "statement has "
				     "%lu placeholders, %zu values given",
				     mysql_stmt_param_count(st), n);
	memset(bind, 0, sizeof(bind));
	for (size_t i = 0; i < n; i++) {
		switch (params[i].type) {
		case SQL_NULL:
			bind[i].buffer_type = MYSQL_TYPE_NULL;
			break;
		case SQL_INT:
			ints[i] = params[i].i;
			bind[i].buffer_type = MYSQL_TYPE_LONGLONG;
			bind[i].buffer = &ints[i];
			break;
		case SQL_TEXT:
			bind[i].buffer_type = MYSQL_TYPE_STRING;
			bind[i].buffer = (void *) params[i].p;
			bind[i].buffer_length = params[i].len;
			break;
		}
	}
	if (n && mysql_stmt_bind_param(st, bind))
		return mysql_drv_stmt_fail(conn, st, "bind");
	if (mysql_stmt_execute(st))
		return mysql_drv_stmt_fail(conn, st, "execute");
	if (affected)
		*affected = mysql_stmt_affected_rows(st);
	return SQL_OK;
}

/* mysql_drv_stmt_new - a server-side statement for sql */
static enum sql_rc mysql_drv_stmt_new(struct sql_conn *conn, const char *sql,
				      MYSQL_STMT **out)
{
	MYSQL_STMT *st = mysql_stmt_init(conn->handle);

	if (st == NULL)
		return sql_conn_fail(conn, SQL_INTERNAL, "prepare", "out of memory");
	if (mysql_stmt_prepare(st, sql, strlen(sql))) {
		enum sql_rc rc = mysql_drv_stmt_fail(conn, st, "prepare");

		mysql_stmt_close(st);
		return rc;
	}
	*out = st;
	return SQL_OK;
}

/* mysql_drv_rows_alloc - the per-column arrays of a result */
static bool mysql_drv_rows_alloc(struct sql_rows *r, bool stmt)
{
	size_t	n = (size_t) r->ncols + 1;

	r->vals = calloc(n, sizeof(*r->vals));
	if (!stmt)
		return r->vals != NULL;
	r->bind = calloc(n, sizeof(*r->bind));
	r->lengths = calloc(n, sizeof(*r->lengths));
	r->nulls = calloc(n, sizeof(*r->nulls));
	r->bufs = calloc(n, sizeof(*r->bufs));
	r->caps = calloc(n, sizeof(*r->caps));
	return r->vals && r->bind && r->lengths && r->nulls && r->bufs && r->caps;
}

/* mysql_drv_rows_free - release a result (unread rows are discarded) */
static void mysql_drv_rows_free(struct sql_rows *r)
{
	if (r->res)
		mysql_free_result(r->res);
	if (r->stmt)
		mysql_stmt_close(r->stmt);
	for (unsigned i = 0; r->bufs && i < r->ncols; i++)
		free(r->bufs[i]);
	free(r->vals);
	free(r->bind);
	free(r->lengths);
	free(r->nulls);
	free(r->bufs);
	free(r->caps);
	free(r);
}

/*
 * mysql_drv_rows_stmt - rows of an executed statement: each column is
 *	fetched as a string of the length the server reports
 */
static enum sql_rc mysql_drv_rows_stmt(struct sql_conn *conn, MYSQL_STMT *st,
				       struct sql_rows **out)
{
	struct sql_rows *r = calloc(1, sizeof(*r));

	if (r == NULL) {
		mysql_stmt_close(st);
		return sql_conn_fail(conn, SQL_INTERNAL, "execute", "out of memory");
	}
	r->conn = conn;
	r->stmt = st;
	r->ncols = mysql_stmt_field_count(st);
	if (!mysql_drv_rows_alloc(r, true)) {
		mysql_drv_rows_free(r);
		return sql_conn_fail(conn, SQL_INTERNAL, "execute", "out of memory");
	}
	for (unsigned i = 0; i < r->ncols; i++) {
		r->bind[i].buffer_type = MYSQL_TYPE_STRING;
		r->bind[i].length = &r->lengths[i];
		r->bind[i].is_null = &r->nulls[i];
	}
	if (mysql_stmt_bind_result(st, r->bind)) {
		enum sql_rc rc = mysql_drv_stmt_fail(conn, st, "execute");

		mysql_drv_rows_free(r);
		return rc;
	}
	*out = r;
	return SQL_OK;
}

/* mysql_drv_exec_stmt - a statement with parameters */
static enum sql_rc mysql_drv_exec_stmt(struct sql_conn *conn, const char *sql,
				       const struct sql_value *params,
				       size_t nparams, struct sql_rows **rows,
				       uint64_t *affected)
{
	MYSQL_STMT *st;
	enum sql_rc rc;

	if ((rc = mysql_drv_stmt_new(conn, sql, &st)) != SQL_OK)
		return rc;
	rc = mysql_drv_stmt_run(conn, st, params, nparams, affected);
	if (rc == SQL_OK && rows && mysql_stmt_field_count(st) > 0)
		return mysql_drv_rows_stmt(conn, st, rows);
	mysql_stmt_close(st);
	return rc;
}

/* mysql_drv_exec_text - a statement without parameters (text protocol) */
static enum sql_rc mysql_drv_exec_text(struct sql_conn *conn, const char *sql,
				       struct sql_rows **rows,
				       uint64_t *affected)
{
	MYSQL  *m = conn->handle;
	struct sql_rows *r;
	enum sql_rc rc;

	if (mysql_real_query(m, sql, strlen(sql)))
		return mysql_drv_fail(conn, "execute");
	if (mysql_field_count(m) == 0) {
		if (affected)
			*affected = mysql_affected_rows(m);
		return SQL_OK;
	}
	if (rows == NULL) {		/* rows nobody wants: read and drop */
		MYSQL_RES *res = mysql_store_result(m);

		if (res == NULL)
			return mysql_drv_fail(conn, "execute");
		mysql_free_result(res);
		return SQL_OK;
	}
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return sql_conn_fail(conn, SQL_INTERNAL, "execute", "out of memory");
	r->conn = conn;
	r->ncols = mysql_field_count(m);
	if ((r->res = mysql_use_result(m)) == NULL)
		rc = mysql_drv_fail(conn, "execute");
	else if (!mysql_drv_rows_alloc(r, false))
		rc = sql_conn_fail(conn, SQL_INTERNAL, "execute", "out of memory");
	else
		rc = SQL_OK;
	if (rc != SQL_OK)
		mysql_drv_rows_free(r);
	else
		*rows = r;
	return rc;
}

/* mysql_drv_exec - one statement, text or binary protocol */
static enum sql_rc mysql_drv_exec(struct sql_conn *conn, const char *sql,
				  const struct sql_value *params, size_t nparams,
				  struct sql_rows **rows, uint64_t *affected)
{
	if (nparams == 0)
		return mysql_drv_exec_text(conn, sql, rows, affected);
	return mysql_drv_exec_stmt(conn, sql, params, nparams, rows, affected);
}

/* mysql_drv_next_text - the next streamed row of the text protocol */
static enum sql_rc mysql_drv_next_text(struct sql_rows *r)
{
	MYSQL_ROW row = mysql_fetch_row(r->res);
	unsigned long *len;

	if (row == NULL)
		return mysql_errno(r->conn->handle) ?
			mysql_drv_fail(r->conn, "fetch") : SQL_END;
	len = mysql_fetch_lengths(r->res);
	for (unsigned i = 0; i < r->ncols; i++)
		r->vals[i] = row[i] == NULL ? (struct sql_value) {SQL_NULL, 0, NULL, 0}
			: (struct sql_value) {SQL_TEXT, 0, row[i], len[i]};
	return SQL_OK;
}

/* mysql_drv_column - fetch column i of the current row into its buffer */
static enum sql_rc mysql_drv_column(struct sql_rows *r, unsigned i)
{
	size_t	need = r->lengths[i] + 1;
	MYSQL_BIND b;

	if (r->nulls[i]) {
		r->vals[i] = (struct sql_value) {SQL_NULL, 0, NULL, 0};
		return SQL_OK;
	}
	if (need > r->caps[i]) {
		char   *p = realloc(r->bufs[i], need);

		if (p == NULL)
			return sql_conn_fail(r->conn, SQL_INTERNAL, "fetch",
					     "out of memory");
		r->bufs[i] = p;
		r->caps[i] = need;
	}
	memset(&b, 0, sizeof(b));
	b.buffer_type = MYSQL_TYPE_STRING;
	b.buffer = r->bufs[i];
	b.buffer_length = r->caps[i];
	b.length = &r->lengths[i];
	if (mysql_stmt_fetch_column(r->stmt, &b, i, 0))
		return mysql_drv_stmt_fail(r->conn, r->stmt, "fetch");
	r->bufs[i][need - 1] = 0;
	r->vals[i] = (struct sql_value) {SQL_TEXT, 0, r->bufs[i], need - 1};
	return SQL_OK;
}

/* mysql_drv_next_stmt - the next row of a statement, column by column */
static enum sql_rc mysql_drv_next_stmt(struct sql_rows *r)
{
	enum sql_rc rc = SQL_OK;
	int	f = mysql_stmt_fetch(r->stmt);

	if (f == MYSQL_NO_DATA)
		return SQL_END;
	if (f != 0 && f != MYSQL_DATA_TRUNCATED)
		return mysql_drv_stmt_fail(r->conn, r->stmt, "fetch");
	for (unsigned i = 0; i < r->ncols && rc == SQL_OK; i++)
		rc = mysql_drv_column(r, i);
	return rc;
}

/* mysql_drv_rows_next - the next row, its columns as text */
static enum sql_rc mysql_drv_rows_next(struct sql_rows *r,
				       const struct sql_value **cols,
				       size_t *ncols)
{
	enum sql_rc rc = r->res ? mysql_drv_next_text(r) : mysql_drv_next_stmt(r);

	if (rc == SQL_OK) {
		*cols = r->vals;
		*ncols = r->ncols;
	}
	return rc;
}

/* mysql_drv_prepare - a statement for repeated mysql_drv_stmt_exec */
static enum sql_rc mysql_drv_prepare(struct sql_conn *conn, const char *sql,
				     size_t nparams, struct sql_stmt **out)
{
	struct sql_stmt *s = calloc(1, sizeof(*s));
	enum sql_rc rc;

	if (s == NULL)
		return sql_conn_fail(conn, SQL_INTERNAL, "prepare", "out of memory");
	if ((rc = mysql_drv_stmt_new(conn, sql, &s->stmt)) == SQL_OK
	    && mysql_stmt_param_count(s->stmt) != nparams) {
		rc = sql_conn_fail(conn, SQL_INTERNAL, "prepare", "statement has "
				   "%lu placeholders, %zu expected",
				   mysql_stmt_param_count(s->stmt), nparams);
		mysql_stmt_close(s->stmt);
	}
	if (rc != SQL_OK) {
		free(s);
		return rc;
	}
	s->nparams = nparams;
	*out = s;
	return SQL_OK;
}

/* mysql_drv_stmt_exec - run a prepared statement once */
static enum sql_rc mysql_drv_stmt_exec(struct sql_conn *conn, struct sql_stmt *s,
				       const struct sql_value *params,
				       uint64_t *affected)
{
	return mysql_drv_stmt_run(conn, s->stmt, params, s->nparams, affected);
}

/* mysql_drv_stmt_free - close a prepared statement */
static void mysql_drv_stmt_free(struct sql_conn *conn, struct sql_stmt *s)
{
	(void) conn;
	mysql_stmt_close(s->stmt);
	free(s);
}

/* mysql_drv_simple - fixed SQL without parameters or rows */
static enum sql_rc mysql_drv_simple(struct sql_conn *conn, const char *sql)
{
	return mysql_drv_exec_text(conn, sql, NULL, NULL);
}

static enum sql_rc mysql_drv_begin(struct sql_conn *conn)
{
	return mysql_drv_simple(conn, "START TRANSACTION");
}

/*
 * mysql_drv_begin_snapshot - REPEATABLE READ set for this transaction
 * alone, so that a server running READ-COMMITTED (tx_isolation) still
 * gives one snapshot for every table read
 */
static enum sql_rc mysql_drv_begin_snapshot(struct sql_conn *conn)
{
	enum sql_rc rc = mysql_drv_simple(conn, "SET TRANSACTION ISOLATION "
					  "LEVEL REPEATABLE READ");

	return rc ? rc : mysql_drv_simple(conn, "START TRANSACTION WITH "
					  "CONSISTENT SNAPSHOT, READ ONLY");
}

static enum sql_rc mysql_drv_commit(struct sql_conn *conn)
{
	return mysql_drv_simple(conn, "COMMIT");
}

static enum sql_rc mysql_drv_rollback(struct sql_conn *conn)
{
	return mysql_drv_simple(conn, "ROLLBACK");
}

/* mysql_drv_list_tables - the base tables of the connection's database */
static enum sql_rc mysql_drv_list_tables(struct sql_conn *conn, sql_table_cb cb,
					 void *ctx)
{
	return sql_catalog_tables(conn, "SELECT table_name FROM "
		"information_schema.tables WHERE table_schema = DATABASE() "
		"AND table_type = 'BASE TABLE' ORDER BY table_name", cb, ctx);
}

/*
 * mysql_drv_list_columns - information_schema, full column types; a
 *	text column in a 3-byte UTF-8 set (no emoji) says so in its type
 */
static enum sql_rc mysql_drv_list_columns(struct sql_conn *conn,
					  const char *table, sql_column_cb cb,
					  void *ctx)
{
	return sql_catalog_columns(conn, "SELECT column_name, CONCAT("
		"column_type, IF(character_set_name IN ('utf8', 'utf8mb3'), "
		"' character set utf8mb3', '')), is_nullable, column_default, column_key = 'PRI' FROM "
		"information_schema.columns WHERE table_schema = DATABASE() "
		"AND table_name = ? ORDER BY ordinal_position", table, cb, ctx);
}

/*
 * mysql_drv_insert_id - the INSERT, then LAST_INSERT_ID(): the server's
 *	own, right for the binary protocol too
 */
static enum sql_rc mysql_drv_insert_id(struct sql_conn *conn, const char *sql,
				       const struct sql_value *params,
				       size_t nparams, const char *col,
				       int64_t *id)
{
	enum sql_rc rc = mysql_drv_exec(conn, sql, params, nparams, NULL, NULL);

	(void) col;
	if (rc == SQL_OK)
		rc = sql_exec_int(conn, "SELECT LAST_INSERT_ID()", NULL, 0, id);
	return rc == SQL_END ? sql_conn_fail(conn, SQL_INTERNAL, "insert",
					     "no id returned") : rc;
}

const struct sql_driver sql_mysql_driver = {
	.name = "mysql",
	.engine = SQL_ENGINE_MYSQL,
	.connect = mysql_drv_connect,
	.close = mysql_drv_close,
	.ping = mysql_drv_ping,
	.client_version = mysql_drv_client_version,
	.server_version = mysql_drv_server_version,
	.exec = mysql_drv_exec,
	.rows_next = mysql_drv_rows_next,
	.rows_free = mysql_drv_rows_free,
	.prepare = mysql_drv_prepare,
	.stmt_exec = mysql_drv_stmt_exec,
	.stmt_free = mysql_drv_stmt_free,
	.begin = mysql_drv_begin,
	.begin_snapshot = mysql_drv_begin_snapshot,
	.commit = mysql_drv_commit,
	.rollback = mysql_drv_rollback,
	.list_tables = mysql_drv_list_tables,
	.list_columns = mysql_drv_list_columns,
	.insert_new = "INSERT INTO",
	.insert_new_end = " ON DUPLICATE KEY UPDATE",
	.insert_new_noop = true,
	.null_safe_eq = " <=> ?",
	.insert_defaults = " () VALUES ()",
	.fold_collation = true,
	.ddl_commits = true,
	.insert_id = mysql_drv_insert_id,
};
