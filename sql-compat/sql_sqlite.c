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
 *	    mode          rwc (default: read-write, create the file),
 *	                  rw (the file must exist), ro (read-only)
 *	    busy_timeout  milliseconds to wait for another writer's lock
 *	                  (default: connect_timeout, 5 s)
 *	    connect_timeout  seconds, via sql.c
 *
 *	Connecting reads the schema once, so a file that is not a
 *	database is refused at connect time rather than at first use.
 * DIAGNOSTICS
 *	Cannot open or no permission: SQL_CONFIG.  Not a database or
 *	corrupt: SQL_BADDATA.  Busy, locked, I/O error, disk full:
 *	SQL_TEMPFAIL.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "sql-compat/sql.h"

/* sqlite_classify - the failure kind of an SQLite result code */
static enum sql_rc sqlite_classify(int code)
{
	switch (code & 0xff) {
	case SQLITE_CANTOPEN:
	case SQLITE_PERM:
	case SQLITE_AUTH:
	case SQLITE_READONLY:
	case SQLITE_MISUSE:
		return SQL_CONFIG;
	case SQLITE_NOTADB:
	case SQLITE_CORRUPT:
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
static enum sql_rc sqlite_fail(struct sql_conn *conn, sqlite3 *db,
			       const char *action)
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
	int	busy_ms;
	enum sql_rc rc;

	if ((rc = sqlite_check_options(conn, &busy_ms)) != SQL_OK)
		return rc;
	if (sqlite3_open_v2(a->path, &db, sqlite_open_flags(
			    sql_address_option(a, "mode")), NULL) != SQLITE_OK) {
		rc = sqlite_fail(conn, db, "open");
		sqlite3_close(db);
		return rc;
	}
	sqlite3_extended_result_codes(db, 1);
	sqlite3_busy_timeout(db, busy_ms);
	conn->handle = db;
	return sqlite_read_schema(conn, "open");
}

/* sqlite_close - release the connection */
static void sqlite_close(struct sql_conn *conn)
{
	if (conn->handle)
		sqlite3_close(conn->handle);
	conn->handle = NULL;
}

/* sqlite_ping - reading the schema is SQLite's round trip */
static enum sql_rc sqlite_ping(struct sql_conn *conn)
{
	return sqlite_read_schema(conn, "ping");
}

/* sqlite_server_version - the linked library's version */
static enum sql_rc sqlite_server_version(struct sql_conn *conn, char *buf,
					 size_t len)
{
	(void) conn;
	snprintf(buf, len, "sqlite %s", sqlite3_libversion());
	return SQL_OK;
}

const struct sql_driver sql_sqlite_driver = {
	.name = "sqlite",
	.engine = SQL_ENGINE_SQLITE,
	.connect = sqlite_connect,
	.close = sqlite_close,
	.ping = sqlite_ping,
	.server_version = sqlite_server_version,
	.exec = NULL,
	.rows_next = NULL,
	.rows_free = NULL,
	.begin = NULL,
	.commit = NULL,
	.rollback = NULL,
	.list_tables = NULL,
	.list_columns = NULL,
};
