/*
 * NAME
 *	sql_pgsql.c - the PostgreSQL driver (libpq)
 * SYNOPSIS
 *	#include "sql-compat/sql.h"
 *
 *	extern const struct sql_driver sql_pgsql_driver;
 * DESCRIPTION
 *	Connects with PQconnectdbParams(): the host goes in as "hostaddr"
 *	(numeric, resolved by sql.c) so libpq never asks glibc's NSS;
 *	the name, when there is one, goes in as "host" for TLS
 *	verification.  Every option of the address is passed as a libpq
 *	keyword (sslmode, sslrootcert, application_name, ...); libpq
 *	refuses unknown ones.  mq's defaults, each overridden by an
 *	option of the same name: connect_timeout 5 s, gssencmode=disable
 *	(the static binary has no GSSAPI), client_encoding UTF8.  Each
 *	session runs in UTC with ISO dates, so times read back in the
 *	store's "YYYY-MM-DD HH:MM:SS" form.
 *
 *	Statements go through PQexecParams with text parameters ('?' is
 *	rewritten to $1, $2, ... outside quotes); a result is read whole
 *	and handed out row by row as text.  A table read whole (sync
 *	--from-sql, sql_read_all) streams instead, as COPY (SELECT ...)
 *	TO STDOUT in text format, in the transaction (and snapshot) of
 *	the statements before it: one line a row, no result of the whole
 *	table held, each value the text a SELECT returns (pg_copy.c).  A
 *	read snapshot reads the columns of the whole schema once, at its
 *	start, and lists a table's columns from those (pg_columns.c).
 *	Prepared statements are server-side (PQprepare) and deallocated
 *	when freed.
 * DIAGNOSTICS
 *	libpq reports connection failures as text only.  Authentication
 *	and "does not exist" failures are SQL_CONFIG; everything else
 *	(refused, unreachable, timeout, starting up, too many clients)
 *	is SQL_TEMPFAIL, so an unknown message errs toward retrying.
 *	Statement failures are classified by SQLSTATE: connection,
 *	resources, deadlock and shutdown are SQL_TEMPFAIL, privileges
 *	SQL_CONFIG, everything else SQL_BADDATA.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "sql-compat/pg_columns.h"
#include "sql-compat/pg_copy.h"
#include "sql-compat/sql.h"

/*
 * The columns of information_schema.columns c that a catalog listing
 * gives (sql_catalog.c), types with their length.  The primary key
 * comes from pg_index: information_schema's constraint views took 10 to
 * 40 ms of the server's CPU a table, pg_index a few tenths.
 */
#define PGSQL_COLUMNS "c.column_name, c.data_type || COALESCE('(' || " \
	"c.character_maximum_length || ')', ''), c.is_nullable, " \
	"c.column_default, EXISTS (SELECT 1 FROM pg_catalog.pg_index i " \
	"JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND " \
	"a.attnum = ANY (i.indkey) WHERE i.indisprimary AND i.indrelid = " \
	"to_regclass(quote_ident(c.table_schema) || '.' || " \
	"quote_ident(c.table_name)) AND a.attname = c.column_name) FROM " \
	"information_schema.columns c WHERE c.table_schema = current_schema()"

/* Keyword/value pairs for PQconnectdbParams(), NULL-terminated. */
struct pgsql_params {
	const char **keys;
	const char **values;
	size_t	n;
};

/* pgsql_param - append one keyword unless value is NULL */
static void pgsql_param(struct pgsql_params *p, const char *key,
			const char *value)
{
	if (value == NULL)
		return;
	p->keys[p->n] = key;
	p->values[p->n] = value;
	p->n++;
	p->keys[p->n] = p->values[p->n] = NULL;
}

/* pgsql_default - append mq's default for key unless the address has it */
static void pgsql_default(struct pgsql_params *p, const struct sql_address *a,
			  const char *key, const char *value)
{
	if (sql_address_option(a, key) == NULL)
		pgsql_param(p, key, value);
}

/* pgsql_is_numeric - the host is an address already (no name to verify) */
static int pgsql_is_numeric(const struct sql_conn *conn)
{
	return conn->hostaddr && strcmp(conn->hostaddr, conn->address->host) == 0;
}

/*
 * pgsql_classify - SQL_CONFIG for failures an operator must fix,
 *	SQL_TEMPFAIL otherwise.  libpq gives no SQLSTATE for a failed
 *	connection, so this reads its (English) message.
 */
static enum sql_rc pgsql_classify(PGconn *pg)
{
	static const char *const config[] = {
		"authentication failed", "no pg_hba.conf entry",
		"does not exist", "invalid connection option",
		"invalid value", "invalid integer value", "invalid ",
		"not permitted to log in", "permission denied",
		"password is required", "no password supplied",
		"does not support SSL", "certificate", "unsupported",
		/* TLS settings that cannot work: sslmode=verify-full
		 * with a numeric host */
		"host name must be specified", "sslmode",
		NULL,
	};
	const char *msg = PQerrorMessage(pg);

	if (PQconnectionNeedsPassword(pg))
		return SQL_CONFIG;
	for (size_t i = 0; config[i]; i++)
		if (strstr(msg, config[i]))
			return SQL_CONFIG;
	return SQL_TEMPFAIL;
}

/* pgsql_quiet - notices ("table does not exist, skipping") are not errors */
static void pgsql_quiet(void *ctx, const char *message)
{
	(void) ctx;
	(void) message;
}

static enum sql_rc pgsql_simple(struct sql_conn *conn, const char *sql);

/*
 * pgsql_session - times in UTC and ISO form, as the store writes them,
 *	whatever the server's defaults are
 */
static enum sql_rc pgsql_session(struct sql_conn *conn)
{
	return pgsql_simple(conn, "SET TIME ZONE 'UTC'; SET DateStyle = 'ISO, YMD'");
}

/* pgsql_connect - open conn->handle */
static enum sql_rc pgsql_connect(struct sql_conn *conn)
{
	const struct sql_address *a = conn->address;
	size_t	max = 12 + a->noptions;
	const char *keys[max], *values[max];
	struct pgsql_params p = {keys, values, 0};
	char	port[16], timeout[16];
	enum sql_rc rc;
	PGconn *pg;

	snprintf(port, sizeof(port), "%u", a->port);
	snprintf(timeout, sizeof(timeout), "%d", conn->timeout);
	keys[0] = values[0] = NULL;
	pgsql_param(&p, "hostaddr", conn->hostaddr);
	pgsql_param(&p, "host", pgsql_is_numeric(conn) ? NULL : a->host);
	pgsql_param(&p, "port", a->port ? port : NULL);
	pgsql_param(&p, "user", a->user);
	pgsql_param(&p, "password", a->password);
	pgsql_param(&p, "dbname", a->database);
	pgsql_default(&p, a, "connect_timeout", timeout);
	pgsql_default(&p, a, "gssencmode", "disable");
	pgsql_default(&p, a, "client_encoding", "UTF8");
	pgsql_param(&p, "fallback_application_name", "mq");
	for (size_t i = 0; i < a->noptions; i++)
		pgsql_param(&p, a->options[i].key, a->options[i].value);

	if ((pg = PQconnectdbParams(keys, values, 0)) == NULL)
		return sql_conn_fail(conn, SQL_INTERNAL, "connect", "out of memory");
	if (PQstatus(pg) != CONNECTION_OK) {
		rc = sql_conn_fail(conn, pgsql_classify(pg), "connect", "%s",
				   PQerrorMessage(pg));
		PQfinish(pg);
		return rc;
	}
	PQsetNoticeProcessor(pg, pgsql_quiet, NULL);
	conn->handle = pg;
	return pgsql_session(conn);
}

/* pgsql_close - release the connection (and a snapshot's catalog) */
static void pgsql_close(struct sql_conn *conn)
{
	if (conn->handle)
		PQfinish(conn->handle);
	conn->handle = NULL;
	pg_columns_free(conn->snapshot);
	conn->snapshot = NULL;
}

/* pgsql_ping - one round trip: SELECT 1 */
static enum sql_rc pgsql_ping(struct sql_conn *conn)
{
	PGresult *res = PQexec(conn->handle, "SELECT 1");
	enum sql_rc rc = SQL_OK;

	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		rc = sql_conn_fail(conn, PQstatus(conn->handle) == CONNECTION_OK ?
				   SQL_BADDATA : SQL_TEMPFAIL, "ping", "%s",
				   PQerrorMessage(conn->handle));
	PQclear(res);
	return rc;
}

/* pgsql_client_version - "libpq 15.14" (PQlibVersion: 150014) */
static void pgsql_client_version(char *buf, size_t len)
{
	int v = PQlibVersion();

	snprintf(buf, len, "libpq %d.%d", v / 10000, v % 10000);
}

/* pgsql_server_version - "postgresql 15.18" from the startup message */
static enum sql_rc pgsql_server_version(struct sql_conn *conn, char *buf,
					size_t len)
{
	int	v = PQserverVersion(conn->handle);

	if (v >= 100000)
		snprintf(buf, len, "postgresql %d.%d", v / 10000, v % 10000);
	else
		snprintf(buf, len, "postgresql %d.%d.%d", v / 10000,
			 v / 100 % 100, v % 100);
	return SQL_OK;
}

/*
 * Result rows: the whole result, read row by row; or, for a COPY (conn
 * set), its lines as they come, the current one in line.
 */
struct sql_rows {
	PGresult *res;
	int	row, nrows, ncols;
	struct sql_value *vals;
	struct sql_conn *conn;
	char   *line;
	bool	copying;	/* lines to come, or the end to read */
};

/* A statement prepared on the server under a name of its own. */
struct sql_stmt {
	char	name[32];
	size_t	nparams;
};

/* Parameters in libpq's form: text values, NULL for SQL NULL. */
struct pgsql_bind {
	const char **values;
	int    *lengths;
	char  (*ints)[24];
};

/*
 * pgsql_sqlstate_kind - the failure kind of an SQLSTATE: lost or
 *	overloaded servers, deadlocks and lock timeouts may work later;
 *	privileges are configuration; the rest is the statement or data.
 */
static enum sql_rc pgsql_sqlstate_kind(const char *state)
{
	static const char *const temp[] = {
		"08", "53", "40", "57P", "57014", "55P03", "58", NULL,
	};
	static const char *const config[] = {"28", "3D", "42501", NULL};

	if (state == NULL)
		return SQL_TEMPFAIL;
	for (size_t i = 0; temp[i]; i++)
		if (strncmp(state, temp[i], strlen(temp[i])) == 0)
			return SQL_TEMPFAIL;
	for (size_t i = 0; config[i]; i++)
		if (strncmp(state, config[i], strlen(config[i])) == 0)
			return SQL_CONFIG;
	return SQL_BADDATA;
}

/* pgsql_result_fail - record why a statement failed; consumes res */
static enum sql_rc pgsql_result_fail(struct sql_conn *conn, PGresult *res,
				     const char *action)
{
	PGconn *pg = conn->handle;
	enum sql_rc rc;

	if (PQstatus(pg) != CONNECTION_OK || res == NULL)
		rc = sql_conn_fail(conn, PQstatus(pg) != CONNECTION_OK ?
				   SQL_TEMPFAIL : SQL_INTERNAL, action, "%s",
				   PQerrorMessage(pg));
	else
		rc = sql_conn_fail(conn, pgsql_sqlstate_kind(PQresultErrorField(
				   res, PG_DIAG_SQLSTATE)), action, "%s",
				   PQresultErrorMessage(res));
	PQclear(res);
	return rc;
}

/*
 * pgsql_placeholders - sql with each '?' outside quotes written $1,
 *	$2, ...; the count goes to *n.  Malloc'd; NULL without memory.
 */
static char *pgsql_placeholders(const char *sql, size_t *n)
{
	size_t	marks = 0;
	char   *out, *o, quote = 0;

	for (const char *s = sql; *s; s++)
		marks += *s == '?';
	/* Each '?' grows to '$' and at most 20 digits. */
	if ((out = o = malloc(strlen(sql) + marks * 20 + 1)) == NULL)
		return NULL;
	*n = 0;
	for (const char *s = sql; *s; s++) {
		if (quote) {
			if (*s == quote)
				quote = 0;	/* a doubled quote reopens */
			*o++ = *s;
		} else if (*s == '\'' || *s == '"') {
			quote = *s;
			*o++ = *s;
		} else if (*s == '?') {
			o += sprintf(o, "$%zu", ++*n);
		} else {
			*o++ = *s;
		}
	}
	*o = 0;
	return out;
}

/* pgsql_bind_params - params as libpq wants them, in b's arrays */
static void pgsql_bind_params(struct pgsql_bind *b,
			      const struct sql_value *params, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		b->lengths[i] = 0;
		switch (params[i].type) {
		case SQL_NULL:
			b->values[i] = NULL;
			break;
		case SQL_INT:
			snprintf(b->ints[i], sizeof(b->ints[i]), "%lld",
				 (long long) params[i].i);
			b->values[i] = b->ints[i];
			break;
		case SQL_TEXT:		/* pgsql_text_copy sets the value */
			b->lengths[i] = (int) params[i].len;
			break;
		}
	}
}

/*
 * pgsql_text_copy - libpq reads text parameters up to a NUL, and a
 *	value need not have one: copy every text value, NUL-terminated,
 *	into one buffer (returned, for free()); NULL without memory.
 */
static char *pgsql_text_copy(struct pgsql_bind *b,
			     const struct sql_value *params, size_t n)
{
	size_t	total = 1;
	char   *buf, *o;

	for (size_t i = 0; i < n; i++)
		if (params[i].type == SQL_TEXT)
			total += params[i].len + 1;
	if ((buf = o = malloc(total)) == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (params[i].type != SQL_TEXT)
			continue;
		memcpy(o, params[i].p, params[i].len);
		o[params[i].len] = 0;
		b->values[i] = o;
		o += params[i].len + 1;
	}
	return buf;
}

/* pgsql_rows_new - hand over a result with rows */
static enum sql_rc pgsql_rows_new(struct sql_conn *conn, PGresult *res,
				  struct sql_rows **out)
{
	struct sql_rows *r = calloc(1, sizeof(*r));

	if (r == NULL || (r->vals = calloc((size_t) PQnfields(res) + 1,
					   sizeof(*r->vals))) == NULL) {
		free(r);
		PQclear(res);
		return sql_conn_fail(conn, SQL_INTERNAL, "execute", "out of memory");
	}
	r->res = res;
	r->nrows = PQntuples(res);
	r->ncols = PQnfields(res);
	*out = r;
	return SQL_OK;
}

/* pgsql_finish - turn a statement's result into rows or a count */
static enum sql_rc pgsql_finish(struct sql_conn *conn, PGresult *res,
				struct sql_rows **rows, uint64_t *affected)
{
	ExecStatusType st = PQresultStatus(res);

	if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK)
		return pgsql_result_fail(conn, res, "execute");
	if (affected)
		*affected = strtoull(PQcmdTuples(res), NULL, 10);
	if (rows && st == PGRES_TUPLES_OK)
		return pgsql_rows_new(conn, res, rows);
	PQclear(res);
	return SQL_OK;
}

/* pgsql_exec - one statement through PQexecParams (text values) */
static enum sql_rc pgsql_exec(struct sql_conn *conn, const char *sql,
			      const struct sql_value *params, size_t nparams,
			      struct sql_rows **rows, uint64_t *affected)
{
	size_t	n = nparams ? nparams : 1, found;
	const char *values[n];
	int	lengths[n];
	char	ints[n][24], *copy, *text;
	struct pgsql_bind b = {values, lengths, ints};
	enum sql_rc rc = SQL_OK;
	PGresult *res;

	if ((text = pgsql_placeholders(sql, &found)) == NULL)
		return sql_conn_fail(conn, SQL_INTERNAL, "execute", "out of memory");
	if (found != nparams) {
		free(text);
		return sql_conn_fail(conn, SQL_INTERNAL, "bind", "statement has "
				     "%zu placeholders, %zu values given",
				     found, nparams);
	}
	pgsql_bind_params(&b, params, nparams);
	if ((copy = pgsql_text_copy(&b, params, nparams)) == NULL)
		rc = sql_conn_fail(conn, SQL_INTERNAL, "bind", "out of memory");
	if (rc == SQL_OK) {
		res = PQexecParams(conn->handle, text, (int) nparams, NULL,
				   values, lengths, NULL, 0);
		rc = pgsql_finish(conn, res, rows, affected);
	}
	free(copy);
	free(text);
	return rc;
}

/* pgsql_read_all - a SELECT read whole: COPY (sql) TO STDOUT */
static enum sql_rc pgsql_read_all(struct sql_conn *conn, const char *sql,
				  struct sql_rows **rows)
{
	struct sql_buf b = SQL_BUF_INIT;
	struct sql_rows *r;
	PGresult *res;

	sql_buf_add(&b, "COPY (%s) TO STDOUT", sql);
	if (b.oom)
		return sql_conn_fail(conn, SQL_INTERNAL, "copy", "out of memory");
	res = PQexec(conn->handle, b.p);
	sql_buf_free(&b);
	if (PQresultStatus(res) != PGRES_COPY_OUT)
		return pgsql_result_fail(conn, res, "copy");
	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    (r->vals = calloc((size_t) PQnfields(res) + 1,
			      sizeof(*r->vals))) == NULL) {
		free(r);
		PQclear(res);
		/* the connection stays in COPY: it is closed (sql.h) */
		return sql_conn_fail(conn, SQL_INTERNAL, "copy", "out of memory");
	}
	r->ncols = PQnfields(res);
	PQclear(res);
	r->conn = conn;
	r->copying = true;
	*rows = r;
	return SQL_OK;
}

/*
 * pgsql_copy_end - the result that ends a COPY: SQL_END when it
 *	succeeded, else why it failed.  got is what PQgetCopyData said.
 */
static enum sql_rc pgsql_copy_end(struct sql_rows *r, int got)
{
	PGconn *pg = r->conn->handle;
	PGresult *res = PQgetResult(pg);
	enum sql_rc rc = SQL_END;

	r->copying = false;
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		return pgsql_result_fail(r->conn, res, "copy");
	PQclear(res);
	while ((res = PQgetResult(pg)) != NULL)
		PQclear(res);
	if (got == -2)
		rc = sql_conn_fail(r->conn, SQL_TEMPFAIL, "copy", "%s",
				   PQerrorMessage(pg));
	return rc;
}

/* pgsql_copy_next - the next line of a COPY, as values */
static enum sql_rc pgsql_copy_next(struct sql_rows *r)
{
	int	n;

	PQfreemem(r->line);
	r->line = NULL;
	if (!r->copying)
		return SQL_END;
	if ((n = PQgetCopyData(r->conn->handle, &r->line, 0)) < 0)
		return pgsql_copy_end(r, n);
	/* libpq ends the line with a NUL: the one byte of room needed */
	if (pg_copy_fields(r->line, (size_t) n, r->vals,
			   (size_t) r->ncols) != r->ncols)
		return sql_conn_fail(r->conn, SQL_INTERNAL, "copy", "a line "
				     "of COPY is not %d values", r->ncols);
	return SQL_OK;
}

/* pgsql_rows_next - the next row of the result, as text */
static enum sql_rc pgsql_rows_next(struct sql_rows *r,
				   const struct sql_value **cols, size_t *ncols)
{
	enum sql_rc rc;

	if (r->conn) {
		if ((rc = pgsql_copy_next(r)) != SQL_OK)
			return rc;
		*cols = r->vals;
		*ncols = (size_t) r->ncols;
		return SQL_OK;
	}
	if (r->row >= r->nrows)
		return SQL_END;
	for (int i = 0; i < r->ncols; i++) {
		struct sql_value *v = &r->vals[i];

		if (PQgetisnull(r->res, r->row, i)) {
			*v = (struct sql_value) {SQL_NULL, 0, NULL, 0};
			continue;
		}
		v->type = SQL_TEXT;
		v->p = PQgetvalue(r->res, r->row, i);
		v->len = (size_t) PQgetlength(r->res, r->row, i);
	}
	r->row++;
	*cols = r->vals;
	*ncols = (size_t) r->ncols;
	return SQL_OK;
}

/*
 * pgsql_rows_free - release a result; a COPY left before its end is read
 *	to it (libpq has no other way back to a connection ready for the
 *	next statement but cancelling it)
 */
static void pgsql_rows_free(struct sql_rows *r)
{
	int	n;

	if (r->conn)
		PQfreemem(r->line);
	while (r->conn && r->copying &&
	       (n = PQgetCopyData(r->conn->handle, &r->line, 0)) >= 0)
		PQfreemem(r->line);
	if (r->conn && r->copying)
		pgsql_copy_end(r, 0);
	PQclear(r->res);
	free(r->vals);
	free(r);
}

/* pgsql_prepare - a named server-side statement (name from its address) */
static enum sql_rc pgsql_prepare(struct sql_conn *conn, const char *sql,
				 size_t nparams, struct sql_stmt **out)
{
	struct sql_stmt *s = calloc(1, sizeof(*s));
	size_t	found;
	char   *text = pgsql_placeholders(sql, &found);
	enum sql_rc rc = SQL_OK;

	if (s == NULL || text == NULL)
		rc = sql_conn_fail(conn, SQL_INTERNAL, "prepare", "out of memory");
	else if (found != nparams)
		rc = sql_conn_fail(conn, SQL_INTERNAL, "prepare", "statement has "
				   "%zu placeholders, %zu expected", found, nparams);
	if (rc == SQL_OK) {
		snprintf(s->name, sizeof(s->name), "mq_%p", (void *) s);
		s->nparams = nparams;
		rc = pgsql_finish(conn, PQprepare(conn->handle, s->name, text,
						  (int) nparams, NULL), NULL, NULL);
	}
	free(text);
	if (rc != SQL_OK)
		free(s);
	else
		*out = s;
	return rc;
}

/* pgsql_stmt_exec - run a prepared statement once */
static enum sql_rc pgsql_stmt_exec(struct sql_conn *conn, struct sql_stmt *s,
				   const struct sql_value *params,
				   uint64_t *affected)
{
	size_t	n = s->nparams ? s->nparams : 1;
	const char *values[n];
	int	lengths[n];
	char	ints[n][24], *copy;
	struct pgsql_bind b = {values, lengths, ints};
	enum sql_rc rc = SQL_OK;

	pgsql_bind_params(&b, params, s->nparams);
	if ((copy = pgsql_text_copy(&b, params, s->nparams)) == NULL)
		rc = sql_conn_fail(conn, SQL_INTERNAL, "bind", "out of memory");
	if (rc == SQL_OK)
		rc = pgsql_finish(conn, PQexecPrepared(conn->handle, s->name,
			(int) s->nparams, values, lengths, NULL, 0), NULL, affected);
	free(copy);
	return rc;
}

/* pgsql_simple - run fixed SQL without parameters */
static enum sql_rc pgsql_simple(struct sql_conn *conn, const char *sql)
{
	return pgsql_finish(conn, PQexec(conn->handle, sql), NULL, NULL);
}

/* pgsql_stmt_free - forget a prepared statement on the server too */
static void pgsql_stmt_free(struct sql_conn *conn, struct sql_stmt *s)
{
	char	sql[64];

	if (PQstatus(conn->handle) == CONNECTION_OK) {
		snprintf(sql, sizeof(sql), "DEALLOCATE \"%s\"", s->name);
		PQclear(PQexec(conn->handle, sql));
	}
	free(s);
}

static enum sql_rc pgsql_begin(struct sql_conn *conn)
{
	return pgsql_simple(conn, "BEGIN");
}

/*
 * pgsql_begin_snapshot - one snapshot of every table, its catalog read
 *	at once: every column of the schema, kept in conn->snapshot until
 *	the transaction ends (one query, not one a table)
 */
static enum sql_rc pgsql_begin_snapshot(struct sql_conn *conn)
{
	enum sql_rc rc = pgsql_simple(conn, "BEGIN ISOLATION LEVEL "
				      "REPEATABLE READ, READ ONLY");
	struct pg_columns *cols;

	if (rc == SQL_OK && (rc = pg_columns_read(conn, "SELECT "
		"c.table_name, " PGSQL_COLUMNS " ORDER BY c.table_name, "
		"c.ordinal_position", &cols)) == SQL_OK)
		conn->snapshot = cols;
	return rc;
}

/* pgsql_end - the end of a transaction, and of a snapshot's catalog */
static enum sql_rc pgsql_end(struct sql_conn *conn, const char *sql)
{
	pg_columns_free(conn->snapshot);
	conn->snapshot = NULL;
	return pgsql_simple(conn, sql);
}

static enum sql_rc pgsql_commit(struct sql_conn *conn)
{
	return pgsql_end(conn, "COMMIT");
}

static enum sql_rc pgsql_rollback(struct sql_conn *conn)
{
	return pgsql_end(conn, "ROLLBACK");
}

/* pgsql_list_tables - the base tables of the current schema */
static enum sql_rc pgsql_list_tables(struct sql_conn *conn, sql_table_cb cb,
				     void *ctx)
{
	return sql_catalog_tables(conn, "SELECT table_name FROM "
		"information_schema.tables WHERE table_schema = current_schema() "
		"AND table_type = 'BASE TABLE' ORDER BY table_name", cb, ctx);
}

/*
 * pgsql_list_columns - a table's columns: inside a read snapshot from
 *	those read at its start (pg_columns.c), else by a query of its own
 */
static enum sql_rc pgsql_list_columns(struct sql_conn *conn, const char *table,
				      sql_column_cb cb, void *ctx)
{
	if (conn->snapshot)
		return pg_columns_each(conn->snapshot, table, cb, ctx);
	return sql_catalog_columns(conn, "SELECT " PGSQL_COLUMNS " AND "
		"c.table_name = ? ORDER BY c.ordinal_position", table, cb, ctx);
}

/* pgsql_insert_id - the INSERT with RETURNING col: the id in one trip */
static enum sql_rc pgsql_insert_id(struct sql_conn *conn, const char *sql,
				   const struct sql_value *params,
				   size_t nparams, const char *col,
				   int64_t *id)
{
	struct sql_buf b = SQL_BUF_INIT;
	enum sql_rc rc;

	sql_buf_add(&b, "%s RETURNING ", sql);
	sql_buf_ident(&b, SQL_ENGINE_PGSQL, col);
	rc = b.oom ? sql_conn_fail(conn, SQL_INTERNAL, "insert",
				   "out of memory")
		: sql_exec_int(conn, b.p, params, nparams, id);
	sql_buf_free(&b);
	return rc == SQL_END ? sql_conn_fail(conn, SQL_INTERNAL, "insert",
					     "no id returned") : rc;
}

/*
 * pgsql_serial_reset - move the identity sequence of table.col to its
 *	largest value when it is behind (rows inserted with explicit ids);
 *	a sequence ahead, or a table without rows, is left alone, so no id
 *	is used up and none handed out twice
 */
static enum sql_rc pgsql_serial_reset(struct sql_conn *conn,
				      const char *table, const char *col)
{
	struct sql_value p[2];
	struct sql_buf b = SQL_BUF_INIT;
	int64_t	v;
	enum sql_rc rc;

	p[0] = (struct sql_value) {SQL_TEXT, 0, table, strlen(table)};
	p[1] = (struct sql_value) {SQL_TEXT, 0, col, strlen(col)};
	sql_buf_add(&b, "SELECT setval(s, m) FROM (SELECT "
		    "pg_get_serial_sequence(?, ?) AS s, (SELECT MAX(");
	sql_buf_ident(&b, SQL_ENGINE_PGSQL, col);
	sql_buf_add(&b, ") FROM ");
	sql_buf_ident(&b, SQL_ENGINE_PGSQL, table);
	sql_buf_add(&b, ") AS m) x WHERE m > COALESCE("
		    "pg_sequence_last_value(s::regclass), 0)");
	rc = b.oom ? sql_conn_fail(conn, SQL_INTERNAL, "serial",
				   "out of memory")
		: sql_exec_int(conn, b.p, p, 2, &v);
	sql_buf_free(&b);
	return rc == SQL_END ? SQL_OK : rc;
}

const struct sql_driver sql_pgsql_driver = {
	.name = "postgresql",
	.engine = SQL_ENGINE_PGSQL,
	.connect = pgsql_connect,
	.close = pgsql_close,
	.ping = pgsql_ping,
	.client_version = pgsql_client_version,
	.server_version = pgsql_server_version,
	.exec = pgsql_exec,
	.rows_next = pgsql_rows_next,
	.read_all = pgsql_read_all,
	.rows_free = pgsql_rows_free,
	.prepare = pgsql_prepare,
	.stmt_exec = pgsql_stmt_exec,
	.stmt_free = pgsql_stmt_free,
	.begin = pgsql_begin,
	.begin_snapshot = pgsql_begin_snapshot,
	.commit = pgsql_commit,
	.rollback = pgsql_rollback,
	.list_tables = pgsql_list_tables,
	.list_columns = pgsql_list_columns,
	.insert_new = "INSERT INTO",
	.insert_new_end = " ON CONFLICT DO NOTHING",
	.null_safe_eq = " IS NOT DISTINCT FROM ?",
	.insert_defaults = " DEFAULT VALUES",
	.insert_id = pgsql_insert_id,
	.serial_reset = pgsql_serial_reset,
};
