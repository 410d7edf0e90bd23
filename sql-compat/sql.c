/*
 * NAME
 *	sql.c - the SQL driver dispatcher
 * SYNOPSIS
 *	#include "sql-compat/sql.h"
 * DESCRIPTION
 *	Holds the list of drivers (the addresses themselves are
 *	sql_address.c's), resolves host names before a driver sees them, and
 *	turns a driver's missing operation into SQL_UNSUPPORTED.  The
 *	drivers (sql_sqlite.c, sql_pgsql.c, sql_mysql.c) only talk to
 *	their client library.
 * DIAGNOSTICS
 *	Messages name the address with its password as "***", never the
 *	password itself, not even a piece of it: a URL that does not
 *	parse is not quoted piecewise, only through sql_url_redact().
 *	Statement text is built with struct sql_buf (sql_buf.c).
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sql-compat/sql.h"

/* The registry: one entry per engine, NULL-terminated. */
static const struct sql_driver *const sql_drivers[] = {
	&sql_sqlite_driver,
	&sql_pgsql_driver,
	&sql_mysql_driver,
	NULL,
};

bool sql_client_version(size_t i, char *buf, size_t len)
{
	if (i >= sizeof(sql_drivers) / sizeof(sql_drivers[0]) - 1)
		return false;
	sql_drivers[i]->client_version(buf, len);
	return true;
}

/* sql_engine_name - the engine's name as mq prints it */
const char *sql_engine_name(enum sql_engine engine)
{
	switch (engine) {
	case SQL_ENGINE_SQLITE:
		return "sqlite";
	case SQL_ENGINE_PGSQL:
		return "postgresql";
	case SQL_ENGINE_MYSQL:
		return "mysql";
	}
	return "unknown";
}

/* sql_strerror - a short name for a result code */
const char *sql_strerror(enum sql_rc rc)
{
	switch (rc) {
	case SQL_OK:
		return "success";
	case SQL_END:
		return "no more rows";
	case SQL_TEMPFAIL:
		return "temporary failure";
	case SQL_CONFIG:
		return "configuration error";
	case SQL_BADDATA:
		return "data refused";
	case SQL_UNSUPPORTED:
		return "not supported";
	case SQL_INTERNAL:
		return "internal error";
	}
	return "unknown error";
}

/* sql_rc_kind - see sql.h */
enum result_kind sql_rc_kind(enum sql_rc rc)
{
	switch (rc) {
	case SQL_OK:
	case SQL_END:
		return RESULT_OK;
	case SQL_TEMPFAIL:
		return RESULT_TRYAGAIN;
	case SQL_CONFIG:
	case SQL_BADDATA:
		return RESULT_BADDATA;
	case SQL_UNSUPPORTED:
	case SQL_INTERNAL:
		break;
	}
	return RESULT_INTERNAL;
}

/* sql_conn_fail - see sql.h; the reason is flattened to one line */
enum sql_rc sql_conn_fail(struct sql_conn *conn, enum sql_rc rc,
			  const char *action, const char *fmt, ...)
{
	char	where[256], reason[SQL_ERRMSG_SIZE];
	va_list	ap;
	size_t	n;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	n = 0;
	for (char *p = reason; *p; p++) {	/* one line, single spaces */
		int	space = isspace((unsigned char) *p);

		if (!space || (n > 0 && reason[n - 1] != ' '))
			reason[n++] = space ? ' ' : *p;
	}
	while (n > 0 && reason[n - 1] == ' ')
		n--;
	reason[n] = 0;
	sql_address_format(where, sizeof(where), conn->address);
	/* Two steps, so a long reason is cut, not the address. */
	int	w = snprintf(conn->errmsg, sizeof(conn->errmsg), "sql:%s: %s: ",
			     where, action);
	if (w >= 0 && (size_t) w < sizeof(conn->errmsg))
		snprintf(conn->errmsg + w, sizeof(conn->errmsg) - (size_t) w,
			 "%s", reason);
	conn->last_rc = rc;
	return rc;
}

/* sql_conn_timeout - connect_timeout option, else the default */
static int sql_conn_timeout(const struct sql_address *a)
{
	const char *v = sql_address_option(a, "connect_timeout");
	char   *end;
	long	t;

	if (v == NULL)
		return SQL_CONNECT_TIMEOUT;
	errno = 0;
	t = strtol(v, &end, 10);
	if (errno || *end || end == v || t < 1 || t > 3600)
		return -1;
	return (int) t;
}

/* sql_conn_new - a connection for addr, not yet connected */
static enum sql_rc sql_conn_new(const struct sql_address *addr,
				struct sql_conn **out)
{
	struct sql_conn *conn = calloc(1, sizeof(*conn));

	*out = conn;
	if (conn == NULL)
		return SQL_INTERNAL;
	if ((conn->address = sql_address_dup(addr)) == NULL)
		return SQL_INTERNAL;
	for (size_t i = 0; sql_drivers[i]; i++)
		if (sql_drivers[i]->engine == addr->engine)
			conn->driver = sql_drivers[i];
	if (conn->driver == NULL)
		return sql_conn_fail(conn, SQL_INTERNAL, "connect",
				     "no driver for this engine");
	if ((conn->timeout = sql_conn_timeout(addr)) < 0)
		return sql_conn_fail(conn, SQL_CONFIG, "connect",
				     "bad connect_timeout (expected 1-3600 seconds)");
	return SQL_OK;
}

/* sql_conn_resolve - numeric address of a server engine's host */
static enum sql_rc sql_conn_resolve(struct sql_conn *conn)
{
	const char *host = conn->address->host;
	char	addr[64], why[256];
	enum sql_rc rc;

	/* a host that is a path is the directory or file of a Unix socket */
	if (conn->address->engine == SQL_ENGINE_SQLITE || host == NULL ||
	    host[0] == '/')
		return SQL_OK;
	rc = sql_resolve(host, conn->timeout, addr, sizeof(addr),
			 why, sizeof(why));
	if (rc != SQL_OK)
		return sql_conn_fail(conn, rc, "resolve", "%s", why);
	if ((conn->hostaddr = strdup(addr)) == NULL)
		return SQL_INTERNAL;
	return SQL_OK;
}

/* connect_as - sql_connect, the database created when missing or not */
static enum sql_rc connect_as(const struct sql_address *addr, bool must_exist,
			      struct sql_conn **out, char *errbuf,
			      size_t errlen)
{
	struct sql_conn *conn;
	enum sql_rc rc;

	*out = NULL;
	if ((rc = sql_conn_new(addr, &conn)) == SQL_OK
	    && (rc = sql_conn_resolve(conn)) == SQL_OK) {
		conn->must_exist = must_exist;
		rc = conn->driver->connect(conn);
	}
	if (rc == SQL_OK) {
		*out = conn;
		return SQL_OK;
	}
	if (errbuf && errlen)
		snprintf(errbuf, errlen, "%s", conn && conn->errmsg[0] ?
			 conn->errmsg : "sql: connect: out of memory");
	sql_close(conn);
	return rc;
}

/* sql_connect - see sql.h */
enum sql_rc sql_connect(const struct sql_address *addr, struct sql_conn **out,
			char *errbuf, size_t errlen)
{
	return connect_as(addr, false, out, errbuf, errlen);
}

/* sql_connect_existing - see sql.h */
enum sql_rc sql_connect_existing(const struct sql_address *addr,
				 struct sql_conn **out, char *errbuf,
				 size_t errlen)
{
	return connect_as(addr, true, out, errbuf, errlen);
}

/* sql_close - see sql.h */
void	sql_close(struct sql_conn *conn)
{
	if (conn == NULL)
		return;
	if (conn->driver && conn->driver->close)
		conn->driver->close(conn);
	sql_address_free(conn->address);
	free(conn->hostaddr);
	free(conn);
}

/* sql_conn_engine - see sql.h */
enum sql_engine sql_conn_engine(const struct sql_conn *conn)
{
	return conn->driver->engine;
}

/* sql_errmsg - see sql.h */
const char *sql_errmsg(const struct sql_conn *conn)
{
	return conn ? conn->errmsg : "";
}

/* sql_unsupported - the answer for an operation a driver lacks */
static enum sql_rc sql_unsupported(struct sql_conn *conn, const char *op)
{
	return sql_conn_fail(conn, SQL_UNSUPPORTED, op,
			     "not supported by the %s driver", conn->driver->name);
}

/* The dispatchers: each forwards to the driver or says it cannot. */
#define SQL_DISPATCH(conn, op, ...) \
	((conn)->driver->op ? (conn)->driver->op(__VA_ARGS__) \
	 : sql_unsupported((conn), #op))

enum sql_rc sql_ping(struct sql_conn *conn)
{
	return SQL_DISPATCH(conn, ping, conn);
}

enum sql_rc sql_server_version(struct sql_conn *conn, char *buf, size_t len)
{
	return SQL_DISPATCH(conn, server_version, conn, buf, len);
}

enum sql_rc sql_exec(struct sql_conn *conn, const char *sql,
		     const struct sql_value *params, size_t nparams,
		     struct sql_rows **rows, uint64_t *affected)
{
	if (rows)
		*rows = NULL;
	return SQL_DISPATCH(conn, exec, conn, sql, params, nparams, rows,
			    affected);
}

enum sql_rc sql_read_all(struct sql_conn *conn, const char *sql,
			 struct sql_rows **rows)
{
	*rows = NULL;
	if (!conn->driver->read_all)
		return sql_exec(conn, sql, NULL, 0, rows, NULL);
	return conn->driver->read_all(conn, sql, rows);
}

enum sql_rc sql_rows_next(struct sql_conn *conn, struct sql_rows *rows,
			  const struct sql_value **cols, size_t *ncols)
{
	return SQL_DISPATCH(conn, rows_next, rows, cols, ncols);
}

void	sql_rows_free(struct sql_conn *conn, struct sql_rows *rows)
{
	if (rows && conn->driver->rows_free)
		conn->driver->rows_free(rows);
}

enum sql_rc sql_prepare(struct sql_conn *conn, const char *sql,
			size_t nparams, struct sql_stmt **stmt)
{
	*stmt = NULL;
	return SQL_DISPATCH(conn, prepare, conn, sql, nparams, stmt);
}

enum sql_rc sql_stmt_exec(struct sql_conn *conn, struct sql_stmt *stmt,
			  const struct sql_value *params, uint64_t *affected)
{
	return SQL_DISPATCH(conn, stmt_exec, conn, stmt, params, affected);
}

void	sql_stmt_free(struct sql_conn *conn, struct sql_stmt *stmt)
{
	if (stmt && conn->driver->stmt_free)
		conn->driver->stmt_free(conn, stmt);
}

enum sql_rc sql_begin(struct sql_conn *conn)
{
	return SQL_DISPATCH(conn, begin, conn);
}

enum sql_rc sql_begin_snapshot(struct sql_conn *conn)
{
	return SQL_DISPATCH(conn, begin_snapshot, conn);
}

enum sql_rc sql_identity(struct sql_conn *conn, char *buf, size_t len)
{
	if (len)
		buf[0] = 0;
	return conn->driver->identity ? conn->driver->identity(conn, buf, len)
		: SQL_OK;
}

enum sql_rc sql_commit(struct sql_conn *conn)
{
	return SQL_DISPATCH(conn, commit, conn);
}

enum sql_rc sql_rollback(struct sql_conn *conn)
{
	return SQL_DISPATCH(conn, rollback, conn);
}

enum sql_rc sql_list_tables(struct sql_conn *conn, sql_table_cb cb, void *ctx)
{
	return SQL_DISPATCH(conn, list_tables, conn, cb, ctx);
}

enum sql_rc sql_list_columns(struct sql_conn *conn, const char *table,
			     sql_column_cb cb, void *ctx)
{
	return SQL_DISPATCH(conn, list_columns, conn, table, cb, ctx);
}

/* sql_insert_id - see sql.h */
enum sql_rc sql_insert_id(struct sql_conn *conn, const char *sql,
			  const struct sql_value *params, size_t nparams,
			  const char *col, int64_t *id)
{
	*id = 0;
	return SQL_DISPATCH(conn, insert_id, conn, sql, params, nparams, col,
			    id);
}

/* sql_serial_reset - see sql.h; a driver without it has nothing to do */
enum sql_rc sql_serial_reset(struct sql_conn *conn, const char *table,
			     const char *col)
{
	if (conn->driver->serial_reset == NULL)
		return SQL_OK;
	return conn->driver->serial_reset(conn, table, col);
}

/* sql_script_each - see sql.h */
enum sql_rc sql_script_each(const char *text,
			    enum sql_rc (*fn)(void *ctx, const char *statement),
			    void *ctx)
{
	enum sql_rc rc = SQL_OK;
	const char *end;

	for (; text && *text && rc == SQL_OK; text = end + 2) {
		char   *one;

		if ((end = strstr(text, ";\n")) == NULL)
			break;
		if ((one = strndup(text, (size_t) (end - text))) == NULL)
			return SQL_INTERNAL;
		rc = fn(ctx, one);
		free(one);
	}
	return rc;
}

/* What sql_exec_script hands each statement. */
struct script_run {
	struct sql_conn *conn;
	void	(*cb)(void *ctx, const char *statement);
	void   *ctx;
	bool	failed;		/* a statement failed: conn says why */
};

static enum sql_rc script_exec_one(void *ctx, const char *statement)
{
	struct script_run *r = ctx;
	enum sql_rc rc = sql_exec(r->conn, statement, NULL, 0, NULL, NULL);

	if (rc == SQL_OK && r->cb)
		r->cb(r->ctx, statement);
	r->failed = rc != SQL_OK;
	return rc;
}

/* sql_exec_script - see sql.h */
enum sql_rc sql_exec_script(struct sql_conn *conn, const char *text,
			    void (*cb)(void *ctx, const char *statement),
			    void *ctx)
{
	struct script_run r = { conn, cb, ctx, false };
	enum sql_rc rc = sql_script_each(text, script_exec_one, &r);

	if (rc != SQL_OK && !r.failed)
		return sql_conn_fail(conn, SQL_INTERNAL, "execute",
				     "out of memory");
	return rc;
}

/* sql_exec_int - see sql.h */
enum sql_rc sql_exec_int(struct sql_conn *conn, const char *sql,
			 const struct sql_value *params, size_t nparams,
			 int64_t *out)
{
	struct sql_rows *rows;
	const struct sql_value *v;
	enum sql_rc rc, end;
	size_t	n;
	char   *stop;

	rc = sql_exec(conn, sql, params, nparams, &rows, NULL);
	if (rc == SQL_OK)
		rc = sql_rows_next(conn, rows, &v, &n);
	if (rc == SQL_OK && (n < 1 || v[0].type != SQL_TEXT))
		rc = SQL_END;
	if (rc == SQL_OK) {
		errno = 0;
		*out = strtoll(v[0].p, &stop, 10);
		if (errno || *stop || stop == v[0].p)
			rc = sql_conn_fail(conn, SQL_INTERNAL, "execute",
					   "not an integer: %.40s", v[0].p);
	}
	/* the rest of the result (none expected) is read, so a streaming
	 * engine's connection is ready for the next statement */
	while (rc == SQL_OK && (end = sql_rows_next(conn, rows, &v, &n)) !=
	       SQL_END)
		rc = end;
	sql_rows_free(conn, rows);
	return rc;
}

/* sql_table_denied - see sql.h */
enum sql_rc sql_table_denied(struct sql_conn *conn, const char *name)
{
	struct sql_buf b = SQL_BUF_INIT;
	enum sql_rc rc;

	if (sql_conn_engine(conn) == SQL_ENGINE_SQLITE)
		return SQL_OK;		/* no grants: the file's mode decides */
	sql_buf_add(&b, "SELECT * FROM ");
	sql_buf_ident(&b, sql_conn_engine(conn), name);
	sql_buf_add(&b, " WHERE 1 = 0");
	rc = b.oom ? SQL_INTERNAL : sql_exec(conn, b.p, NULL, 0, NULL, NULL);
	sql_buf_free(&b);
	switch (rc) {
	case SQL_CONFIG:
		return sql_conn_fail(conn, SQL_CONFIG, name, "no permission "
				     "on table %s for user %s (mq sql grant "
				     "prints the GRANT statements)", name,
				     conn->address->user ? conn->address->user
				     : "(default)");
	case SQL_TEMPFAIL:
	case SQL_INTERNAL:
		return rc;
	default:
		return SQL_OK;	/* not there (or readable after all) */
	}
}
