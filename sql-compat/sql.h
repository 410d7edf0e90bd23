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
 *
 *	The tables mq keeps in SQL (DDL, validation, repair, grants) are
 *	declared in sql-compat/schema.h.
 * DIAGNOSTICS
 *	Functions return an enum sql_rc.  The failure kind decides what
 *	the caller does: SQL_TEMPFAIL (server unreachable, refused,
 *	timed out, overloaded: retry later), SQL_CONFIG (bad
 *	address, authentication refused, unknown database: an operator
 *	must fix the configuration), SQL_BADDATA (a statement or
 *	value the server refused).  sql_rc_kind() maps a code to
 *	mq's result kind.  The message of the last failure of a
 *	connection is sql_errmsg(): one line, no password, no newline.
 */
#ifndef MQ_SQL_H
#define MQ_SQL_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#include "store/store.h"

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
 *	about addresses that sql_address_parse() refused, and for printing
 *	a configured one (which then parses again as the same address).  Returns the
 *	length needed, like snprintf.
 */
size_t	sql_url_redact(char *buf, size_t len, const char *url);

/*
 * sql_client_version - the client library of driver i (0, 1, ...) as
 *	"libpq 15.14"; false past the last driver.
 */
bool sql_client_version(size_t i, char *buf, size_t len);

/* sql_engine_name - "sqlite", "postgresql" or "mysql". */
const char *sql_engine_name(enum sql_engine engine);

/*
 * sql_rc_kind - the result kind of a code: SQL_TEMPFAIL try again,
 *	SQL_CONFIG and SQL_BADDATA bad data,
 *	the rest internal.
 */
enum result_kind sql_rc_kind(enum sql_rc rc);

/* sql_strerror - a short name for a result code. */
const char *sql_strerror(enum sql_rc rc);

/* ---------------------------------------------------------------- */
/* values, rows and catalog entries                                  */
/* ---------------------------------------------------------------- */

enum sql_type {
	SQL_NULL,
	SQL_INT,
	SQL_TEXT,		/* bytes p[0..len), no NUL inside */
};

/*
 * One bound parameter or one column of a result row.
 *
 * Parameters: SQL_NULL, SQL_INT (i) or SQL_TEXT (p, len).  A value is
 * always bound, never pasted into the statement, so quotes,
 * backslashes and SQL fragments in it are only data.  A time column
 * takes its "YYYY-MM-DD HH:MM:SS[.ffffff]" text as SQL_TEXT.
 *
 * Result columns: every driver returns SQL_NULL or SQL_TEXT, never
 * SQL_INT: a column's value is its text form (integers in decimal,
 * times as the server prints them in a UTC session: "YYYY-MM-DD
 * HH:MM:SS[.ffffff]", "+00" after a PostgreSQL timestamptz, unix
 * seconds in an integer column), which sync_value.c turns into mq's
 * form for store_value_parse() with the registry column.  p is followed by a
 * NUL (not counted in len).  Values live until the next
 * sql_rows_next() or sql_rows_free().
 */
struct sql_value {
	enum sql_type type;
	int64_t	i;
	const char *p;
	size_t	len;
};

/*
 * One column of a table, as the catalog lists it.  The strings live
 * until the callback returns.
 */
struct sql_column_info {
	const char *name;
	const char *type;	/* as the engine spells it: "bigint",
				 * "character varying(255)", "varchar(255)",
				 * "INTEGER" */
	bool	nullable;
	bool	primary_key;
	const char *default_value;	/* the engine's text; NULL: none */
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
struct sql_stmt;

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
	bool	must_exist;	/* never create the database (SQLite) */
	void   *handle;		/* PGconn *, MYSQL *, sqlite3 * */
	void   *snapshot;	/* the driver's, during a read snapshot
				 * (SQLite: the file's handle while
				 * statements read its copy; PostgreSQL:
				 * the schema's columns, read once) */
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

	/* The client library linked in, e.g. "libpq 15.14" (mq --version). */
	void	(*client_version)(char *buf, size_t len);

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
	/* A SELECT without parameters read whole, streamed (COPY); NULL:
	 * exec serves. */
	enum sql_rc (*read_all)(struct sql_conn *conn, const char *sql,
				struct sql_rows **rows);

	/*
	 * A statement prepared once and run many times (bulk writes;
	 * no result rows).  nparams is the count of '?' placeholders.
	 */
	enum sql_rc (*prepare)(struct sql_conn *conn, const char *sql,
			       size_t nparams, struct sql_stmt **stmt);
	enum sql_rc (*stmt_exec)(struct sql_conn *conn, struct sql_stmt *stmt,
				 const struct sql_value *params,
				 uint64_t *affected);
	void	(*stmt_free)(struct sql_conn *conn, struct sql_stmt *stmt);

	enum sql_rc (*begin)(struct sql_conn *conn);
	enum sql_rc (*commit)(struct sql_conn *conn);
	enum sql_rc (*rollback)(struct sql_conn *conn);
	/*
	 * A read-only transaction in which every statement sees one
	 * snapshot of the whole database, holding other writers off as
	 * briefly as the engine allows; rollback ends it.
	 */
	enum sql_rc (*begin_snapshot)(struct sql_conn *conn);
	/* What tells one committed state of the database from every
	 * other (sql_identity); NULL: the engine cannot say. */
	enum sql_rc (*identity)(struct sql_conn *conn, char *buf, size_t len);

	/* The catalog: tables of the current database/schema, columns. */
	enum sql_rc (*list_tables)(struct sql_conn *conn, sql_table_cb cb,
				   void *ctx);
	enum sql_rc (*list_columns)(struct sql_conn *conn, const char *table,
				    sql_column_cb cb, void *ctx);

	/*
	 * The dialect: what the engines spell differently, so that the
	 * statements built elsewhere in sql-compat/ never ask which
	 * engine they talk to.
	 */
	const char *insert_new;		/* an INSERT that skips a row whose
					 * key exists, and refuses a value
					 * the column cannot hold (never
					 * MySQL's IGNORE, which stores a
					 * cut one): "INSERT INTO" */
	const char *insert_new_end;	/* after its VALUES (...): " ON
					 * CONFLICT DO NOTHING", " ON
					 * DUPLICATE KEY UPDATE" */
	bool	insert_new_noop;	/* insert_new_end wants "k = k" of
					 * the first key column (MySQL) */
	const char *null_safe_eq;	/* equal, NULL to NULL too: " IS ?",
					 * " IS NOT DISTINCT FROM ?",
					 * " <=> ?" */
	const char *insert_defaults;	/* a row of defaults only:
					 * " DEFAULT VALUES", " () VALUES ()" */
	bool	fold_collation;		/* text = compares ASCII letters in
					 * any case (MySQL's collation): no
					 * lower() around a folded column */
	bool	ddl_commits;		/* DDL commits the open transaction
					 * (MySQL): create before, drop after */

	/*
	 * Run an INSERT into a table whose auto-increment column is col;
	 * *id gets the value SQL allocated (RETURNING, the library's last
	 * insert id).
	 */
	enum sql_rc (*insert_id)(struct sql_conn *conn, const char *sql,
				 const struct sql_value *params,
				 size_t nparams, const char *col,
				 int64_t *id);
	/*
	 * Move the auto-increment sequence of table.col past its largest
	 * value; NULL where the engine does so itself (an explicit id
	 * leaves a PostgreSQL identity sequence behind, not the others).
	 */
	enum sql_rc (*serial_reset)(struct sql_conn *conn, const char *table,
				    const char *col);
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

/*
 * sql_connect_existing - sql_connect to a database that must exist: a
 *	SQLite file that is missing is an outage (SQL_TEMPFAIL, "database
 *	file FILE is missing"), not created.  For what only reads or
 *	checks: mq check-database, loads from SQL, mq serve's session.
 */
enum sql_rc sql_connect_existing(const struct sql_address *addr,
				 struct sql_conn **out, char *errbuf,
				 size_t errlen);

/* sql_close - close and free a connection; NULL is allowed. */
void	sql_close(struct sql_conn *conn);

/* sql_errmsg - the message of the connection's last failure, or "". */
const char *sql_errmsg(const struct sql_conn *conn);

/* sql_conn_engine - the engine of a connection. */
enum sql_engine sql_conn_engine(const struct sql_conn *conn);

enum sql_rc sql_ping(struct sql_conn *conn);
enum sql_rc sql_server_version(struct sql_conn *conn, char *buf, size_t len);

/*
 * sql_exec - run one statement, '?' placeholders bound to params.
 *	With rows not NULL, a statement that returns rows (SELECT) hands
 *	them over: call sql_rows_next() until it returns SQL_END (or a
 *	failure), then sql_rows_free() in every case.  *rows is NULL
 *	after a failure.  affected, when not NULL, gets the count of rows
 *	an INSERT/UPDATE/DELETE changed (on MySQL an UPDATE that sets the
 *	values a row has already counts 0 for it).
 *	Failures: SQL_TEMPFAIL (connection lost, deadlock, lock wait,
 *	server shutting down: the statement may be retried in a new
 *	transaction), SQL_BADDATA (syntax, unknown table or column,
 *	constraint, a value the column refuses), SQL_CONFIG (permission
 *	denied).
 */
enum sql_rc sql_exec(struct sql_conn *conn, const char *sql,
		     const struct sql_value *params, size_t nparams,
		     struct sql_rows **rows, uint64_t *affected);
/*
 * sql_read_all - sql_exec of a SELECT without parameters whose rows are
 *	all read, in the engine's fastest way (PostgreSQL: COPY TO STDOUT,
 *	streamed, in the open transaction's snapshot), as the same text
 *	values.  Until the rows are freed the connection runs nothing else.
 */
enum sql_rc sql_read_all(struct sql_conn *conn, const char *sql,
			 struct sql_rows **rows);
/* sql_rows_next - the next row: SQL_OK with *cols and *ncols set, or SQL_END. */
enum sql_rc sql_rows_next(struct sql_conn *conn, struct sql_rows *rows,
			  const struct sql_value **cols, size_t *ncols);
void	sql_rows_free(struct sql_conn *conn, struct sql_rows *rows);

/*
 * sql_prepare - prepare a statement without result rows for repeated
 *	sql_stmt_exec(), each with nparams values; sql_stmt_free() (NULL
 *	allowed) before the connection closes.  Failures as sql_exec().
 */
enum sql_rc sql_prepare(struct sql_conn *conn, const char *sql,
			size_t nparams, struct sql_stmt **stmt);
enum sql_rc sql_stmt_exec(struct sql_conn *conn, struct sql_stmt *stmt,
			  const struct sql_value *params, uint64_t *affected);
void	sql_stmt_free(struct sql_conn *conn, struct sql_stmt *stmt);

/*
 * sql_insert_id - run an INSERT (sql_exec's contract, no result rows)
 *	into a table whose auto-increment column is col, and give the id
 *	SQL allocated in *id.
 */
enum sql_rc sql_insert_id(struct sql_conn *conn, const char *sql,
			  const struct sql_value *params, size_t nparams,
			  const char *col, int64_t *id);

/*
 * sql_serial_reset - make the next id SQL generates for table.col (an
 *	auto-increment column) follow its largest value, never moving it
 *	back; nothing to do but on PostgreSQL.
 */
enum sql_rc sql_serial_reset(struct sql_conn *conn, const char *table,
			     const char *col);

/*
 * sql_script_each - call fn for each statement of text, statements
 *	ended by ";\n" (as the schema renderers write them), until one
 *	returns other than SQL_OK.  SQL_INTERNAL without memory.
 */
enum sql_rc sql_script_each(const char *text,
			    enum sql_rc (*fn)(void *ctx, const char *statement),
			    void *ctx);

/*
 * sql_exec_script - run each statement of text (sql_script_each); cb
 *	(may be NULL) sees each one after it succeeded.  Stops at the
 *	first failure.
 */
enum sql_rc sql_exec_script(struct sql_conn *conn, const char *text,
			    void (*cb)(void *ctx, const char *statement),
			    void *ctx);

/*
 * sql_begin, sql_commit, sql_rollback - one transaction.  PostgreSQL
 *	and SQLite also undo DDL on rollback; MySQL commits DDL at once.
 *	sql_rollback after a lost connection returns SQL_TEMPFAIL; the
 *	server has rolled back already.
 */
enum sql_rc sql_begin(struct sql_conn *conn);
/*
 * sql_begin_snapshot - a read-only transaction seeing one snapshot of
 *	the whole database (sync --from-sql), ended by sql_rollback:
 *	PostgreSQL REPEATABLE READ; MySQL REPEATABLE READ WITH CONSISTENT
 *	SNAPSHOT whatever the server's default isolation; SQLite a copy
 *	of the database file in memory, read without the file's lock and
 *	checked under it for moments before and after (sqlite_copy.c),
 *	so that other programs writing the file (ezmlm-idx) are not held
 *	off by the sync; in WAL mode a plain read transaction.
 */
enum sql_rc sql_begin_snapshot(struct sql_conn *conn);
/*
 * sql_identity - inside a read snapshot, the identity of the state it
 *	reads; outside one, of the database now: a text that differs for
 *	every committed state (an SQLite file in rollback-journal mode:
 *	device, inode, size, change counter, times), so an equal one
 *	means an unchanged database.  "" when the engine cannot say (a
 *	server, SQLite in WAL mode, whose commits leave the file's
 *	counter as it is).  buf holds SQL_IDENTITY_MAX bytes.
 */
#define SQL_IDENTITY_MAX 160
enum sql_rc sql_identity(struct sql_conn *conn, char *buf, size_t len);
enum sql_rc sql_commit(struct sql_conn *conn);
enum sql_rc sql_rollback(struct sql_conn *conn);

/*
 * sql_list_tables - call cb with the name of each table of the
 *	database (PostgreSQL: of the current schema), sorted by name.
 * sql_list_columns - call cb for each column of table in table order;
 *	a table that does not exist lists no columns (SQL_OK).
 */
enum sql_rc sql_list_tables(struct sql_conn *conn, sql_table_cb cb, void *ctx);
enum sql_rc sql_list_columns(struct sql_conn *conn, const char *table,
			     sql_column_cb cb, void *ctx);

/*
 * sql_table_denied - is table name, which the catalog does not list,
 *	there but closed to this user?  The catalogs of PostgreSQL and
 *	MySQL hide what the user may not read; a SELECT of no row tells.
 *	SQL_CONFIG with the message "no permission on table T for user
 *	U" when it is refused so; SQL_OK when the table is not there (or
 *	SQLite); SQL_TEMPFAIL or SQL_INTERNAL as the SELECT failed.  On
 *	PostgreSQL a refused SELECT ends the transaction: probe outside
 *	one that must go on.
 */
enum sql_rc sql_table_denied(struct sql_conn *conn, const char *name);

/* ---------------------------------------------------------------- */
/* one connection kept between uses: struct sql_session (session.c)  */
/* ---------------------------------------------------------------- */

/*
 * After a failure the server is left alone this long, doubling; the
 * maximum stays under a second so that a reload every second (the
 * shortest database-ttl) is never turned away by the backoff alone.
 */
#define SQL_SESSION_BACKOFF_MIN_MS	250
#define SQL_SESSION_BACKOFF_MAX_MS	750
/* The caller that starts a probe waits this long for it at most. */
#define SQL_SESSION_PROBE_WAIT_MS	500

/*
 * struct sql_session - one database's connection kept between uses,
 *	the way Postfix's dict_pgsql keeps its: a caller takes the live
 *	connection (sql_session_get) and gives it back (sql_session_put);
 *	a connection unused for idle_seconds is closed by
 *	sql_session_idle(), which a timer calls, so none stays open
 *	between loads when nothing is written.
 *
 *	A server that fails (connect, or a statement, ends in
 *	SQL_TEMPFAIL) is marked down: for SQL_SESSION_BACKOFF_MIN_MS,
 *	doubling with each failed retry up to SQL_SESSION_BACKOFF_MAX_MS,
 *	every get fails at once with SQL_TEMPFAIL and "database
 *	unreachable (retrying in N s): <the last reason>", instead of
 *	each caller waiting for DNS and connect timeouts.  After that
 *	time the next get starts a probe (a connect on a thread of its
 *	own) and waits for it SQL_SESSION_PROBE_WAIT_MS at most, so not
 *	even that caller waits out the connect timeout of a server that
 *	drops packets; the callers that come while the probe runs fail
 *	at once.  A probe that connects ends the backoff and leaves its
 *	connection kept for the next get.  The maximum is short so that
 *	writes work again within a second of the server's return.
 *	SQLite has no server: its failures are returned but never mark
 *	it down.
 *
 *	A session keeps at most one idle connection; a get while that one
 *	is in use connects another, which put closes when the kept slot
 *	is taken.  Every function is safe to call from several threads.
 */
struct sql_session;

/*
 * sql_session_new - a session for addr (copied), not yet connected;
 *	idle_seconds 0 closes each connection when it is put back.
 *	NULL without memory.
 */
struct sql_session *sql_session_new(const struct sql_address *addr,
				    unsigned idle_seconds);

/*
 * sql_session_get - a live connection in *conn: the kept one (checked
 *	with sql_ping) or a new one.  On failure *conn is NULL and errbuf
 *	holds the message: sql_connect()'s codes, or SQL_TEMPFAIL at once
 *	while the server is marked down.  Every connection got goes back
 *	through sql_session_put(), outside any transaction.
 */
enum sql_rc sql_session_get(struct sql_session *s, struct sql_conn **conn,
			    char *errbuf, size_t errlen);

/*
 * sql_session_put - give conn back (NULL allowed) with the code its
 *	use ended with: SQL_TEMPFAIL closes it and marks the server down,
 *	SQL_INTERNAL closes it; otherwise it is kept for the next get.
 */
void	sql_session_put(struct sql_session *s, struct sql_conn *conn,
			enum sql_rc last_rc);

/*
 * sql_session_idle - close the kept connection when it has not been
 *	used for idle_seconds; true when it did.  Cheap: call it from a
 *	timer every second or so.
 */
bool	sql_session_idle(struct sql_session *s);

/*
 * sql_session_free - close the kept connection and free s (NULL
 *	allowed), after a probe that still runs has ended; every
 *	connection got must have been put back.
 */
void	sql_session_free(struct sql_session *s);

/* ---------------------------------------------------------------- */
/* statement text                                                    */
/* ---------------------------------------------------------------- */

/* sql_hex_digit - the value of hex digit c (a byte), or -1 */
int	sql_hex_digit(int c);

/*
 * struct sql_buf - a growing, NUL-terminated statement.  Start with
 *	struct sql_buf b = SQL_BUF_INIT; a failed allocation sets oom
 *	and later appends do nothing, so check once before use.
 */
struct sql_buf {
	char   *p;
	size_t	len, cap;
	bool	oom;
};
#define SQL_BUF_INIT { NULL, 0, 0, false }

/* sql_buf_add - append printf-style text. */
void	sql_buf_add(struct sql_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/*
 * sql_buf_ident - append name quoted as an identifier of engine:
 *	"name" (quotes doubled) for SQLite and PostgreSQL, `name`
 *	(backquotes doubled) for MySQL.  Identifiers never come from
 *	values; this is for table and column names only.
 */
void	sql_buf_ident(struct sql_buf *b, enum sql_engine engine,
		      const char *name);
/* sql_buf_reset - empty b, keeping its memory. */
void	sql_buf_reset(struct sql_buf *b);
/* sql_buf_free - release b's memory; b is empty after. */
void	sql_buf_free(struct sql_buf *b);

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
 * sql_exec_int - run a statement that answers one row and give its
 *	first column as an integer in *out; SQL_END when it answered no
 *	row (or NULL), SQL_INTERNAL when not an integer.
 */
enum sql_rc sql_exec_int(struct sql_conn *conn, const char *sql,
			 const struct sql_value *params, size_t nparams,
			 int64_t *out);

/*
 * sql_catalog_tables, sql_catalog_columns - run a driver's catalog
 *	query and call cb per row (sql_catalog.c describes the columns).
 */
enum sql_rc sql_catalog_tables(struct sql_conn *conn, const char *query,
			       sql_table_cb cb, void *ctx);
enum sql_rc sql_catalog_columns(struct sql_conn *conn, const char *query,
				const char *table, sql_column_cb cb,
				void *ctx);

/*
 * sql_resolver - a program's way to look a host name up: SQL_OK with
 *	the numeric address in addr, SQL_CONFIG (no such host),
 *	SQL_TEMPFAIL (DNS failed or timed out) or SQL_INTERNAL, with a
 *	one-line "host: reason" in errbuf.  It waits at most timeout
 *	seconds and must be safe to call from any thread.
 */
typedef enum sql_rc (*sql_resolver)(const char *host, int timeout,
				    char *addr, size_t addrlen,
				    char *errbuf, size_t errlen);

/*
 * sql_set_resolver - the resolver sql_connect() hands host names to;
 *	set once at start (NULL: none).  sql-compat/ has no DNS client of
 *	its own: glibc's would need shared libraries at run time, which
 *	the static mq does not have.
 */
void	sql_set_resolver(sql_resolver fn);

/*
 * sql_resolve - the numeric address of host, for the client libraries.
 *	A numeric host is copied; "localhost" is 127.0.0.1 without any
 *	lookup (it works in an empty container); another name goes to the
 *	resolver set with sql_set_resolver(), and without one is
 *	SQL_CONFIG ("give a numeric address").  Otherwise the resolver's
 *	code; errbuf says why.
 */
enum sql_rc sql_resolve(const char *host, int timeout, char *addr,
			size_t addrlen, char *errbuf, size_t errlen);

#endif
