/*
 * NAME
 *	sql_sqlite.c - the SQLite driver
 * SYNOPSIS
 *	#include "sql-compat/sql.h"
 *
 *	extern const struct sql_driver sql_sqlite_driver;
 * DESCRIPTION
 *	Opens the file of a sqlite:///path address.  Options (anything
 *	else is a configuration error):
 *	    mode          rwc (default: read-write, create the file, mode
 *	                  0600: it may hold DKIM private keys), rw (the
 *	                  file must exist), ro (read-only); a connection
 *	                  that must find its database (sql_connect_existing,
 *	                  mq check-database) never creates it
 *	    busy_timeout  milliseconds to wait for another writer's lock
 *	                  (default: connect_timeout, 5 s)
 *	    connect_timeout  seconds, via sql.c
 *
 *	Connecting reads the schema once, so a file that is not a
 *	database is refused at connect time rather than at first use.
 *
 *	Result columns come back as SQLite's text form of the value
 *	(sqlite3_column_text; an integer's decimal made here), NULL as
 *	SQL_NULL.  A transaction is BEGIN
 *	IMMEDIATE, so two writers wait (busy_timeout) instead of
 *	deadlocking on the upgrade from read to write.
 * DIAGNOSTICS
 *	No permission, read-only: SQL_CONFIG.  A missing file where it
 *	must exist ("database file FILE is missing"), cannot open, not a
 *	database, corrupt, busy, locked, I/O error, disk full:
 *	SQL_TEMPFAIL.  A value refused: SQL_BADDATA.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "sql-compat/sqlite_int.h"

/*
 * sqlite_classify - the failure kind of an SQLite result code.  A file
 *	that cannot be opened, is not a database or is corrupt is the
 *	server's outage, as an unreachable PostgreSQL is: try again (the
 *	API's 503), never the client's bad data.
 */
static enum sql_rc sqlite_classify(int code)
{
	switch (code & 0xff) {
	case SQLITE_PERM:
	case SQLITE_AUTH:
	case SQLITE_READONLY:
	case SQLITE_MISUSE:
		return SQL_CONFIG;
	case SQLITE_CANTOPEN:
	case SQLITE_NOTADB:
	case SQLITE_CORRUPT:
		return SQL_TEMPFAIL;
	case SQLITE_CONSTRAINT:
	case SQLITE_MISMATCH:
	case SQLITE_TOOBIG:
	case SQLITE_RANGE:
	case SQLITE_ERROR:
		return SQL_BADDATA;
	case SQLITE_NOMEM:
		return SQL_INTERNAL;
	default:
		return SQL_TEMPFAIL;
	}
}

/* sqlite_fail - record the connection's last SQLite error */
enum sql_rc sqlite_fail(struct sql_conn *conn, sqlite3 *db, const char *action)
{
	int	code = db ? sqlite3_extended_errcode(db) : SQLITE_NOMEM;

	return sql_conn_fail(conn, sqlite_classify(code), action, "%s",
			     db ? sqlite3_errmsg(db) : "out of memory");
}

/* sqlite_open_flags - the open flags for the mode option, -1 if bad */
static int sqlite_open_flags(const char *mode)
{
	if (mode == NULL || strcmp(mode, "rwc") == 0)
		return SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	if (strcmp(mode, "rw") == 0)
		return SQLITE_OPEN_READWRITE;
	if (strcmp(mode, "ro") == 0)
		return SQLITE_OPEN_READONLY;
	return -1;
}

/* sqlite_check_options - refuse options this driver does not know */
static enum sql_rc sqlite_check_options(struct sql_conn *conn, int *busy_ms)
{
	const struct sql_address *a = conn->address;

	*busy_ms = conn->timeout * 1000;
	for (size_t i = 0; i < a->noptions; i++) {
		const char *k = a->options[i].key, *v = a->options[i].value;
		char   *end;

		if (strcmp(k, "mode") == 0 || strcmp(k, "connect_timeout") == 0)
			continue;
		if (strcmp(k, "busy_timeout") != 0)
			return sql_conn_fail(conn, SQL_CONFIG, "connect",
					     "unknown option \"%s\" for sqlite", k);
		*busy_ms = (int) strtol(v, &end, 10);
		if (*v == 0 || *end || *busy_ms < 0)
			return sql_conn_fail(conn, SQL_CONFIG, "connect",
					     "bad busy_timeout (expected milliseconds)");
	}
	if (sqlite_open_flags(sql_address_option(a, "mode")) < 0)
		return sql_conn_fail(conn, SQL_CONFIG, "connect",
				     "bad mode (expected rwc, rw or ro)");
	return SQL_OK;
}

/*
 * sqlite_create_private - create a missing database file mode 0600
 *	before SQLite opens it: SQLite would make it 0644 (less the
 *	umask), and its journals take the file's mode.
 */
static enum sql_rc sqlite_create_private(struct sql_conn *conn,
					 const char *path)
{
	int	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

	if (fd >= 0)
		close(fd);
	else if (errno != EEXIST)
		return sql_conn_fail(conn, SQL_CONFIG, "open", "%s: %s", path,
				     strerror(errno));
	return SQL_OK;
}

/* sqlite_read_schema - fails when the file is not a database */
static enum sql_rc sqlite_read_schema(struct sql_conn *conn, const char *action)
{
	if (sqlite3_exec(conn->handle, "SELECT count(*) FROM sqlite_master",
			 NULL, NULL, NULL) != SQLITE_OK)
		return sqlite_fail(conn, conn->handle, action);
	return SQL_OK;
}

/* sqlite_connect - open conn->handle */
static enum sql_rc sqlite_connect(struct sql_conn *conn)
{
	const struct sql_address *a = conn->address;
	sqlite3 *db = NULL;
	int	busy_ms, flags;
	enum sql_rc rc;

	if ((rc = sqlite_check_options(conn, &busy_ms)) != SQL_OK)
		return rc;
	flags = sqlite_open_flags(sql_address_option(a, "mode"));
	if (conn->must_exist)
		flags &= ~SQLITE_OPEN_CREATE;
	if (!(flags & SQLITE_OPEN_CREATE) && access(a->path, F_OK) != 0
	    && errno == ENOENT)
		return sql_conn_fail(conn, SQL_TEMPFAIL, "open",
				     "database file %s is missing", a->path);
	if ((flags & SQLITE_OPEN_CREATE) &&
	    (rc = sqlite_create_private(conn, a->path)) != SQL_OK)
		return rc;
	if (sqlite3_open_v2(a->path, &db, flags, NULL) != SQLITE_OK) {
		rc = sqlite_fail(conn, db, "open");
		sqlite3_close(db);
		return rc;
	}
	sqlite3_extended_result_codes(db, 1);
	sqlite3_busy_timeout(db, busy_ms);
	conn->handle = db;
	sqlite_wait_writer(a->path);
	return sqlite_read_schema(conn, "open");
}

/* sqlite_close - release the connection (and a snapshot's copy) */
static void sqlite_close(struct sql_conn *conn)
{
	struct sqlite_snapshot *snap = conn->snapshot;

	if (conn->handle)
		sqlite3_close(conn->handle);
	if (snap) {	/* the copy's memory once nothing reads it */
		sqlite3_close(snap->file);
		sqlite_copy_release(&snap->copy);
		free(snap);
	}
	conn->handle = conn->snapshot = NULL;
}

/* sqlite_ping - reading the schema is SQLite's round trip */
static enum sql_rc sqlite_ping(struct sql_conn *conn)
{
	return sqlite_read_schema(conn, "ping");
}

/* sqlite_client_version - "sqlite 3.40.1", the library linked in */
static void sqlite_client_version(char *buf, size_t len)
{
	snprintf(buf, len, "sqlite %s", sqlite3_libversion());
}

/* sqlite_server_version - the linked library's version */
static enum sql_rc sqlite_server_version(struct sql_conn *conn, char *buf,
					 size_t len)
{
	(void) conn;
	snprintf(buf, len, "sqlite %s", sqlite3_libversion());
	return SQL_OK;
}

/* The decimal text of any int64_t, its NUL included. */
#define INT_TEXT_MAX 21

/*
 * Result rows: the running statement, one value per column, and the
 * text of each column's integer, if it holds one.
 */
struct sql_rows {
	struct sql_conn *conn;
	sqlite3_stmt *st;
	struct sql_value *vals;
	char	(*ints)[INT_TEXT_MAX];
	int	ncols;
};

/* A prepared statement is SQLite's own, reset before each run. */
struct sql_stmt {
	sqlite3_stmt *st;
	size_t	nparams;
};

/* sqlite_bind - bind params to st; the text is copied when transient */
static enum sql_rc sqlite_bind(struct sql_conn *conn, sqlite3_stmt *st,
			       const struct sql_value *params, size_t n,
			       bool transient)
{
	int	rc = SQLITE_OK;

	if ((size_t) sqlite3_bind_parameter_count(st) != n)
		return sql_conn_fail(conn, SQL_INTERNAL, "bind", "statement has "
				     "%d placeholders, %zu values given",
				     sqlite3_bind_parameter_count(st), n);
	for (size_t i = 0; i < n && rc == SQLITE_OK; i++) {
		int	col = (int) i + 1;

		switch (params[i].type) {
		case SQL_NULL:
			rc = sqlite3_bind_null(st, col);
			break;
		case SQL_INT:
			rc = sqlite3_bind_int64(st, col, params[i].i);
			break;
		case SQL_TEXT:
			rc = sqlite3_bind_text64(st, col, params[i].p,
						 params[i].len, transient ?
						 SQLITE_TRANSIENT : SQLITE_STATIC,
						 SQLITE_UTF8);
			break;
		}
	}
	return rc == SQLITE_OK ? SQL_OK : sqlite_fail(conn, conn->handle, "bind");
}

/* sqlite_prepare_one - compile sql, which must be one statement */
static enum sql_rc sqlite_prepare_one(struct sql_conn *conn, const char *sql,
				      sqlite3_stmt **st)
{
	const char *tail = NULL;

	if (sqlite3_prepare_v2(conn->handle, sql, -1, st, &tail) != SQLITE_OK)
		return sqlite_fail(conn, conn->handle, "prepare");
	if (*st == NULL)
		return sql_conn_fail(conn, SQL_INTERNAL, "prepare", "empty statement");
	while (tail && (*tail == ' ' || *tail == '\n' || *tail == '\t'
			|| *tail == ';'))
		tail++;
	if (tail && *tail) {
		sqlite3_finalize(*st);
		*st = NULL;
		return sql_conn_fail(conn, SQL_INTERNAL, "prepare",
				     "more than one statement");
	}
	return SQL_OK;
}

/* sqlite_run - step st to its end; affected gets the changed rows */
static enum sql_rc sqlite_run(struct sql_conn *conn, sqlite3_stmt *st,
			      uint64_t *affected)
{
	int	rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		;
	if (rc != SQLITE_DONE)
		return sqlite_fail(conn, conn->handle, "execute");
	if (affected)
		*affected = (uint64_t) sqlite3_changes64(conn->handle);
	return SQL_OK;
}

/* sqlite_rows_new - wrap st for sqlite_rows_next */
static enum sql_rc sqlite_rows_new(struct sql_conn *conn, sqlite3_stmt *st,
				   struct sql_rows **out)
{
	struct sql_rows *r = calloc(1, sizeof(*r));
	int	n = sqlite3_column_count(st);

	if (r == NULL
	    || (r->vals = calloc((size_t) n + 1, sizeof(*r->vals))) == NULL
	    || (r->ints = calloc((size_t) n + 1, sizeof(*r->ints))) == NULL) {
		if (r)
			free(r->vals);
		free(r);
		return sql_conn_fail(conn, SQL_INTERNAL, "execute", "out of memory");
	}
	r->conn = conn;
	r->st = st;
	r->ncols = n;
	*out = r;
	return SQL_OK;
}

/* sqlite_exec - prepare, bind, and run or hand over the rows */
static enum sql_rc sqlite_exec(struct sql_conn *conn, const char *sql,
			       const struct sql_value *params, size_t nparams,
			       struct sql_rows **rows, uint64_t *affected)
{
	sqlite3_stmt *st;
	enum sql_rc rc;

	if ((rc = sqlite_prepare_one(conn, sql, &st)) != SQL_OK)
		return rc;
	if ((rc = sqlite_bind(conn, st, params, nparams, true)) == SQL_OK) {
		if (rows && sqlite3_column_count(st) > 0)
			rc = sqlite_rows_new(conn, st, rows);
		else
			rc = sqlite_run(conn, st, affected);
	}
	if (rc != SQL_OK || rows == NULL || *rows == NULL)
		sqlite3_finalize(st);
	return rc;
}

/*
 * int_text - the decimal text of i, as SQLite writes it, at the end of
 *	buf (INT_TEXT_MAX bytes), NUL-terminated: where it starts, its
 *	length in *len.  SQLite's own conversion (sqlite3_value_text)
 *	measured the text again with strlen and changed the value's
 *	type: 3% of the CPU of a full compare of a list's million rows.
 */
static const char *int_text(sqlite3_int64 i, char buf[INT_TEXT_MAX],
			    size_t *len)
{
	uint64_t u = i < 0 ? 0 - (uint64_t) i : (uint64_t) i;
	char   *end = buf + INT_TEXT_MAX - 1, *p = end;

	*end = 0;
	do
		*--p = (char) ('0' + u % 10);
	while ((u /= 10) != 0);
	if (i < 0)
		*--p = '-';
	*len = (size_t) (end - p);
	return p;
}

/*
 * sqlite_rows_next - step to the next row, its columns as text.  Each
 *	column is taken once (sqlite3_column_value) and read through the
 *	sqlite3_value_* calls: every sqlite3_column_* call takes the
 *	connection's mutex, which cost more than the read itself.
 */
static enum sql_rc sqlite_rows_next(struct sql_rows *r,
				    const struct sql_value **cols, size_t *ncols)
{
	int	rc = sqlite3_step(r->st);

	if (rc == SQLITE_DONE)
		return SQL_END;
	if (rc != SQLITE_ROW)
		return sqlite_fail(r->conn, r->conn->handle, "fetch");
	for (int i = 0; i < r->ncols; i++) {
		struct sql_value *v = &r->vals[i];
		sqlite3_value *c = sqlite3_column_value(r->st, i);
		int	type = sqlite3_value_type(c);

		if (type == SQLITE_NULL) {
			*v = (struct sql_value) {SQL_NULL, 0, NULL, 0};
			continue;
		}
		v->type = SQL_TEXT;
		if (type == SQLITE_INTEGER) {
			v->p = int_text(sqlite3_value_int64(c), r->ints[i],
					&v->len);
			continue;
		}
		v->p = (const char *) sqlite3_value_text(c);
		v->len = (size_t) sqlite3_value_bytes(c);
		if (v->p == NULL)
			return sql_conn_fail(r->conn, SQL_INTERNAL, "fetch",
					     "out of memory");
	}
	*cols = r->vals;
	*ncols = (size_t) r->ncols;
	return SQL_OK;
}

/* sqlite_rows_free - finalize the statement of a result */
static void sqlite_rows_free(struct sql_rows *r)
{
	sqlite3_finalize(r->st);
	free(r->vals);
	free(r->ints);
	free(r);
}

/* sqlite_prepare - compile a statement for repeated sqlite_stmt_exec */
static enum sql_rc sqlite_prepare(struct sql_conn *conn, const char *sql,
				  size_t nparams, struct sql_stmt **out)
{
	struct sql_stmt *s = calloc(1, sizeof(*s));
	enum sql_rc rc;

	if (s == NULL)
		return sql_conn_fail(conn, SQL_INTERNAL, "prepare", "out of memory");
	if ((rc = sqlite_prepare_one(conn, sql, &s->st)) == SQL_OK
	    && (size_t) sqlite3_bind_parameter_count(s->st) != nparams)
		rc = sql_conn_fail(conn, SQL_INTERNAL, "prepare", "statement has "
				   "%d placeholders, %zu expected",
				   sqlite3_bind_parameter_count(s->st), nparams);
	if (rc != SQL_OK) {
		sqlite3_finalize(s->st);
		free(s);
		return rc;
	}
	s->nparams = nparams;
	*out = s;
	return SQL_OK;
}

/* sqlite_stmt_exec - bind and run a prepared statement once */
static enum sql_rc sqlite_stmt_exec(struct sql_conn *conn, struct sql_stmt *s,
				    const struct sql_value *params,
				    uint64_t *affected)
{
	enum sql_rc rc;

	sqlite3_reset(s->st);
	if ((rc = sqlite_bind(conn, s->st, params, s->nparams, false)) == SQL_OK)
		rc = sqlite_run(conn, s->st, affected);
	sqlite3_reset(s->st);
	sqlite3_clear_bindings(s->st);
	return rc;
}

/* sqlite_stmt_free - finalize a prepared statement */
static void sqlite_stmt_free(struct sql_conn *conn, struct sql_stmt *s)
{
	(void) conn;
	sqlite3_finalize(s->st);
	free(s);
}

/* sqlite_simple - run a statement without parameters or rows */
static enum sql_rc sqlite_simple(struct sql_conn *conn, const char *sql)
{
	return sqlite_exec(conn, sql, NULL, 0, NULL, NULL);
}

/* sqlite_rollback_plain - end the file's transaction, if SQLite has not */
static enum sql_rc sqlite_rollback_plain(struct sql_conn *conn)
{
	if (sqlite3_get_autocommit(conn->handle))
		return SQL_OK;
	return sqlite_simple(conn, "ROLLBACK");
}

/* sqlite_begin - IMMEDIATE: take the write lock now, not at first write */
static enum sql_rc sqlite_begin(struct sql_conn *conn)
{
	return sqlite_simple(conn, "BEGIN IMMEDIATE");
}

static enum sql_rc sqlite_commit(struct sql_conn *conn)
{
	return sqlite_simple(conn, "COMMIT");
}

/*
 * sqlite_begin_snapshot - in rollback-journal mode (SQLite's default,
 * and what ezmlm-idx's plugin makes) a read transaction's lock stops
 * every other writer's commit, ezmlm-idx's included, which fail at
 * once without a busy timeout.  So statements read a copy of the file
 * in memory until rollback, a copy taken without holding the lock
 * (sqlite_copy.c).  In WAL mode readers never block writers, and a
 * plain read transaction is the snapshot.
 */
static enum sql_rc sqlite_begin_snapshot(struct sql_conn *conn)
{
	struct sqlite_snapshot *snap;
	sqlite3 *mem = NULL;
	enum sql_rc rc;
	int	tries;
	bool	locked;

	/* the header, not PRAGMA journal_mode: no lock a writer can meet */
	if (sqlite_file_wal(conn->address->path)) {
		rc = sqlite_simple(conn, "BEGIN");
		return rc ? rc : sqlite_read_schema(conn, "snapshot");
	}
	if (!(snap = calloc(1, sizeof(*snap))))
		return sql_conn_fail(conn, SQL_INTERNAL, "snapshot",
				     "out of memory");
	/* no mutex: a connection is one thread's at a time, and SQLite's
	 * serialized mode took one in every call, per value read */
	if (sqlite3_open_v2(":memory:", &mem, SQLITE_OPEN_READWRITE |
			    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		rc = sqlite_fail(conn, mem, "snapshot");
		sqlite3_close(mem);
		free(snap);
		return rc;
	}
	if ((rc = sqlite_copy_file(conn, mem, &tries, &locked,
				   &snap->copy)) != SQL_OK) {
		sqlite3_close(mem);
		free(snap);
		return rc;
	}
	sqlite3_extended_result_codes(mem, 1);
	/* the copy's pages read in place, not copied into SQLite's cache
	 * one by one: the pager fetches from memory only when mapping is
	 * on (a failure leaves the copies, as before) */
	sqlite3_exec(mem, "PRAGMA mmap_size = " SQLITE_COPY_MAP, NULL, NULL,
		     NULL);
	snap->file = conn->handle;
	conn->snapshot = snap;
	conn->handle = mem;
	return SQL_OK;
}

/* sqlite_rollback - also fine when SQLite already rolled back itself */
static enum sql_rc sqlite_rollback(struct sql_conn *conn)
{
	struct sqlite_snapshot *snap = conn->snapshot;

	if (snap) {	/* drop the copy, back to the file */
		sqlite3_close(conn->handle);
		sqlite_copy_release(&snap->copy);
		conn->handle = snap->file;
		conn->snapshot = NULL;
		free(snap);
		return SQL_OK;
	}
	return sqlite_rollback_plain(conn);
}

/*
 * sqlite_identity - of the copy a snapshot reads, else of the file now
 * (WAL mode: "", its snapshot is a plain read transaction)
 */
static enum sql_rc sqlite_identity(struct sql_conn *conn, char *buf,
				   size_t len)
{
	const struct sqlite_snapshot *snap = conn->snapshot;

	if (snap) {
		snprintf(buf, len, "%s", snap->copy.identity);
		return SQL_OK;
	}
	if (!sqlite3_get_autocommit(conn->handle))
		return SQL_OK;	/* in a WAL snapshot, or a transaction */
	return sqlite_file_identity(conn, buf, len);
}

/* sqlite_list_tables - the user tables of the main database */
static enum sql_rc sqlite_list_tables(struct sql_conn *conn, sql_table_cb cb,
				      void *ctx)
{
	return sql_catalog_tables(conn, "SELECT name FROM sqlite_schema "
				  "WHERE type = 'table' AND name NOT LIKE "
				  "'sqlite\\_%' ESCAPE '\\' ORDER BY name",
				  cb, ctx);
}

/* sqlite_list_columns - table_info as a table-valued function */
static enum sql_rc sqlite_list_columns(struct sql_conn *conn, const char *table,
				       sql_column_cb cb, void *ctx)
{
	return sql_catalog_columns(conn, "SELECT name, type, NOT \"notnull\", "
				   "dflt_value, pk > 0 FROM pragma_table_info(?) "
				   "ORDER BY cid", table, cb, ctx);
}

/* sqlite_insert_id - the INSERT, then the rowid it gave */
static enum sql_rc sqlite_insert_id(struct sql_conn *conn, const char *sql,
				    const struct sql_value *params,
				    size_t nparams, const char *col,
				    int64_t *id)
{
	enum sql_rc rc = sqlite_exec(conn, sql, params, nparams, NULL, NULL);

	(void) col;		/* the auto-increment column is the rowid */
	if (rc == SQL_OK)
		*id = sqlite3_last_insert_rowid(conn->handle);
	return rc;
}

const struct sql_driver sql_sqlite_driver = {
	.name = "sqlite",
	.engine = SQL_ENGINE_SQLITE,
	.connect = sqlite_connect,
	.close = sqlite_close,
	.ping = sqlite_ping,
	.client_version = sqlite_client_version,
	.server_version = sqlite_server_version,
	.exec = sqlite_exec,
	.rows_next = sqlite_rows_next,
	.rows_free = sqlite_rows_free,
	.prepare = sqlite_prepare,
	.stmt_exec = sqlite_stmt_exec,
	.stmt_free = sqlite_stmt_free,
	.begin = sqlite_begin,
	.begin_snapshot = sqlite_begin_snapshot,
	.identity = sqlite_identity,
	.commit = sqlite_commit,
	.rollback = sqlite_rollback,
	.list_tables = sqlite_list_tables,
	.list_columns = sqlite_list_columns,
	.insert_new = "INSERT INTO",
	.insert_new_end = " ON CONFLICT DO NOTHING",
	.null_safe_eq = " IS ?",
	.insert_defaults = " DEFAULT VALUES",
	.insert_id = sqlite_insert_id,
};
