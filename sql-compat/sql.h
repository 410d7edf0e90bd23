/*
 * NAME
 *	sql.h - mq's SQL mirror: database-address URLs and engine drivers
 * SYNOPSIS
 *	#include "sql-compat/sql.h"
 * DESCRIPTION
 *	A database-address names one SQL database:
 *
 *	    sqlite:///absolute/path/file.db       (three slashes)
 *	    postgresql://user:password@host[:port]/database[?key=value&...]
 *	    postgres://...                        (same engine)
 *	    mysql://user:password@host[:port]/database[?key=value&...]
 *	    mariadb://...                         (same engine)
 *
 *	User, password, database and option values are percent-decoded.
 *	An IPv6 host is written in brackets: postgresql://u@[::1]/db.
 *	Options pass through to the engine (libpq keywords such as
 *	sslmode; for MySQL/MariaDB and SQLite the ones their driver
 *	lists; an unknown option is a configuration error).
 *
 *	A password never appears in anything mq prints: use
 *	sql_address_format() or sql_url_redact(), which write "***" in
 *	its place.
 *
 *	A connection is opened through one driver per engine (sql_sqlite.c,
 *	sql_pgsql.c, sql_mysql.c), each a const struct sql_driver.  The
 *	sql_*() functions below dispatch to it; an operation a driver
 *	leaves NULL fails with SQL_UNSUPPORTED.
 * DIAGNOSTICS
 *	Functions return an enum sql_rc.  The failure kind decides what
 *	the caller does: SQL_TEMPFAIL (server unreachable, refused,
 *	timed out, overloaded: retry later, exit 75), SQL_CONFIG (bad
 *	address, authentication refused, unknown database: an operator
 *	must fix the configuration, exit 65), SQL_BADDATA (a statement or
 *	value the server refused, exit 65).  sql_rc_exit() maps a code to
 *	mq's exit status.  The message of the last failure of a
 *	connection is sql_errmsg(): one line, no password, no newline.
 */
#ifndef MQ_SQL_H
#define MQ_SQL_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

enum sql_rc {
	SQL_OK = 0,
	SQL_END,		/* no more rows */
	SQL_TEMPFAIL,		/* unreachable, refused, timeout: retry */
	SQL_CONFIG,		/* bad address, auth refused, no database */
	SQL_BADDATA,		/* statement or value refused by the server */
	SQL_UNSUPPORTED,	/* the driver lacks this operation */
	SQL_INTERNAL,		/* out of memory, library misuse */
};

enum sql_engine {
	SQL_ENGINE_SQLITE,
	SQL_ENGINE_PGSQL,
	SQL_ENGINE_MYSQL,
};

/* Exit statuses (sysexits.h values, named here for mq's commands). */
#define SQL_EXIT_OK		0
#define SQL_EXIT_USAGE		64
#define SQL_EXIT_DATAERR	65
#define SQL_EXIT_SOFTWARE	70
#define SQL_EXIT_TEMPFAIL	75

/* ---------------------------------------------------------------- */
/* database-address                                                  */
/* ---------------------------------------------------------------- */

struct sql_option {
	char   *key;		/* decoded */
	char   *value;		/* decoded; "" when written without '=' */
};

struct sql_address {
	enum sql_engine engine;
	char   *scheme;		/* as written, lower case: "postgres" */
	char   *user;		/* decoded; NULL when absent */
	char   *password;	/* decoded; NULL when absent */
	char   *host;		/* NULL when absent; IPv6 without brackets */
	unsigned port;		/* 0: the engine's default */
	char   *database;	/* decoded; NULL when absent (not sqlite) */
	char   *path;		/* sqlite only: absolute file path */
	struct sql_option *options;
	size_t	noptions;
};

/*
 * sql_address_parse - parse a database-address.
 *	On success *out is a new address for sql_address_free().  On
 *	failure *out is NULL, SQL_CONFIG (bad address) or SQL_INTERNAL
 *	(no memory) is returned, and errbuf, when given, says what is
 *	wrong without quoting the password.
 */
enum sql_rc sql_address_parse(const char *url, struct sql_address **out,
			      char *errbuf, size_t errlen);

/* sql_address_dup - a deep copy of addr, or NULL without memory. */
struct sql_address *sql_address_dup(const struct sql_address *addr);

/* sql_address_free - release an address; NULL is allowed. */
void	sql_address_free(struct sql_address *addr);

/*
 * sql_address_option - the decoded value of option key, or NULL when
 *	absent.  The pointer lives as long as the address.
 */
const char *sql_address_option(const struct sql_address *addr,
			       const char *key);

/*
 * sql_address_format - write addr as a URL into buf, the password as
 *	"***".  The output is re-encoded, so it parses again (to the same
 *	address, but for the password).  Returns the length the full
 *	string needs, like snprintf; buf is always NUL-terminated when
 *	len > 0.
 */
size_t	sql_address_format(char *buf, size_t len,
			   const struct sql_address *addr);

/*
 * sql_url_redact - copy a URL that may not parse into buf with the
 *	password part of its user-info replaced by "***", for messages
 *	about addresses that sql_address_parse() refused.  Returns the
 *	length needed, like snprintf.
 */
size_t	sql_url_redact(char *buf, size_t len, const char *url);

/* sql_engine_name - "sqlite", "postgresql" or "mysql". */
const char *sql_engine_name(enum sql_engine engine);

/* sql_rc_exit - mq's exit status for a result code. */
int	sql_rc_exit(enum sql_rc rc);

/* sql_strerror - a short name for a result code. */
const char *sql_strerror(enum sql_rc rc);

/* ---------------------------------------------------------------- */
/* values, rows and catalog entries (for the operations to come)     */
/* ---------------------------------------------------------------- */

enum sql_type {
	SQL_NULL,
	SQL_INT,
	SQL_TEXT,		/* not necessarily NUL-terminated */
	SQL_BLOB,
};

/*
 * One bound parameter or one column of a result row.  Values a driver
 * returns live until the next sql_rows_next() or sql_rows_free().
 */
struct sql_value {
	enum sql_type type;
	int64_t	i;
	const char *p;
	size_t	len;
};

struct sql_column_info {
	const char *name;
	const char *type;	/* as the engine spells it */
	bool	nullable;
	bool	primary_key;
	const char *default_value;	/* NULL: none */
};

/* Callbacks for the catalog listings; a non-zero return stops them. */
typedef int (*sql_table_cb)(void *ctx, const char *table);
typedef int (*sql_column_cb)(void *ctx, const struct sql_column_info *col);

/* ---------------------------------------------------------------- */
/* connections and drivers                                           */
/* ---------------------------------------------------------------- */

#define SQL_CONNECT_TIMEOUT	5	/* seconds, unless the address says */
#define SQL_ERRMSG_SIZE		512

struct sql_rows;

/*
 * struct sql_conn - one open connection.  Callers treat it as opaque;
 *	drivers read address/hostaddr/timeout and keep their library
 *	handle in handle.
 */
struct sql_conn {
	const struct sql_driver *driver;
	struct sql_address *address;	/* owned by the connection */
	char   *hostaddr;	/* numeric form of address->host, or NULL */
	int	timeout;	/* connect timeout, seconds */
	void   *handle;		/* PGconn *, MYSQL *, sqlite3 * */
	enum sql_rc last_rc;
	char	errmsg[SQL_ERRMSG_SIZE];
};

/*
 * struct sql_driver - one SQL engine.  Every function returns an enum
 *	sql_rc and, on failure, sets conn->errmsg through sql_conn_fail().
 *	A member left NULL is an operation the engine does not have yet;
 *	the dispatcher reports SQL_UNSUPPORTED.
 *
 *	Statements use '?' placeholders in every engine; a driver whose
 *	library wants another form ($1 for libpq) rewrites them.
 */
struct sql_driver {
	const char *name;		/* "postgresql" */
	enum sql_engine engine;

	/* Open conn->handle; close releases it (handle may be NULL). */
	enum sql_rc (*connect)(struct sql_conn *conn);
	void	(*close)(struct sql_conn *conn);

	/* A round trip to the server. */
	enum sql_rc (*ping)(struct sql_conn *conn);

	/* Product and version, e.g. "postgresql 15.18", "mariadb 10.11.6". */
	enum sql_rc (*server_version)(struct sql_conn *conn, char *buf,
				      size_t len);

	/*
	 * Run one statement with bound parameters.  When rows is not
	 * NULL the result set is returned for rows_next()/rows_free();
	 * affected, when not NULL, gets the count of changed rows.
	 */
	enum sql_rc (*exec)(struct sql_conn *conn, const char *sql,
			    const struct sql_value *params, size_t nparams,
			    struct sql_rows **rows, uint64_t *affected);
	enum sql_rc (*rows_next)(struct sql_rows *rows,
				 const struct sql_value **cols,
				 size_t *ncols);
	void	(*rows_free)(struct sql_rows *rows);

	enum sql_rc (*begin)(struct sql_conn *conn);
	enum sql_rc (*commit)(struct sql_conn *conn);
	enum sql_rc (*rollback)(struct sql_conn *conn);

	/* The catalog: tables of the current database/schema, columns. */
	enum sql_rc (*list_tables)(struct sql_conn *conn, sql_table_cb cb,
				   void *ctx);
	enum sql_rc (*list_columns)(struct sql_conn *conn, const char *table,
				    sql_column_cb cb, void *ctx);
};

extern const struct sql_driver sql_sqlite_driver;
extern const struct sql_driver sql_pgsql_driver;
extern const struct sql_driver sql_mysql_driver;

/*
 * sql_connect - connect to the database of addr (which the connection
 *	copies).  A host name is resolved here (sql_resolve()) so that the
 *	client libraries only see numeric addresses.  On success *out is
 *	a connection for sql_close(); on failure *out is NULL and errbuf,
 *	when given, holds the message (with the redacted address).
 */
enum sql_rc sql_connect(const struct sql_address *addr, struct sql_conn **out,
			char *errbuf, size_t errlen);

/* sql_close - close and free a connection; NULL is allowed. */
void	sql_close(struct sql_conn *conn);

/* sql_errmsg - the message of the connection's last failure, or "". */
const char *sql_errmsg(const struct sql_conn *conn);

enum sql_rc sql_ping(struct sql_conn *conn);
enum sql_rc sql_server_version(struct sql_conn *conn, char *buf, size_t len);
enum sql_rc sql_exec(struct sql_conn *conn, const char *sql,
		     const struct sql_value *params, size_t nparams,
		     struct sql_rows **rows, uint64_t *affected);
enum sql_rc sql_rows_next(struct sql_conn *conn, struct sql_rows *rows,
			  const struct sql_value **cols, size_t *ncols);
void	sql_rows_free(struct sql_conn *conn, struct sql_rows *rows);
enum sql_rc sql_begin(struct sql_conn *conn);
enum sql_rc sql_commit(struct sql_conn *conn);
enum sql_rc sql_rollback(struct sql_conn *conn);
enum sql_rc sql_list_tables(struct sql_conn *conn, sql_table_cb cb, void *ctx);
enum sql_rc sql_list_columns(struct sql_conn *conn, const char *table,
			     sql_column_cb cb, void *ctx);

/* ---------------------------------------------------------------- */
/* helpers for drivers                                               */
/* ---------------------------------------------------------------- */

/*
 * sql_conn_fail - record a failure of conn as "sql:ADDRESS: action:
 *	reason" (ADDRESS redacted) and return rc.  The formatted reason
 *	is the driver's or library's text; it must not hold the password.
 */
enum sql_rc sql_conn_fail(struct sql_conn *conn, enum sql_rc rc,
			  const char *action, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/*
 * sql_resolve - the numeric address of host, for the client libraries.
 *	A numeric host is copied; "localhost" is 127.0.0.1 without any
 *	lookup (it works in an empty container); other names are looked
 *	up with c-ares (/etc/hosts, then DNS; IPv4 first), never through
 *	glibc's NSS.  Returns SQL_OK, SQL_CONFIG (no such host) or
 *	SQL_TEMPFAIL (DNS failed or timed out); errbuf says why.
 */
enum sql_rc sql_resolve(const char *host, int timeout, char *addr,
			size_t addrlen, char *errbuf, size_t errlen);

#endif
