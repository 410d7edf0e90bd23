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
 *	(the static binary has no GSSAPI), client_encoding UTF8.
 * DIAGNOSTICS
 *	libpq reports connection failures as text only.  Authentication
 *	and "does not exist" failures are SQL_CONFIG; everything else
 *	(refused, unreachable, timeout, starting up, too many clients)
 *	is SQL_TEMPFAIL, so an unknown message errs toward retrying.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "sql-compat/sql.h"

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
	conn->handle = pg;
	return SQL_OK;
}

/* pgsql_close - release the connection */
static void pgsql_close(struct sql_conn *conn)
{
	if (conn->handle)
		PQfinish(conn->handle);
	conn->handle = NULL;
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

const struct sql_driver sql_pgsql_driver = {
	.name = "postgresql",
	.engine = SQL_ENGINE_PGSQL,
	.connect = pgsql_connect,
	.close = pgsql_close,
	.ping = pgsql_ping,
	.server_version = pgsql_server_version,
	.exec = NULL,
	.rows_next = NULL,
	.rows_free = NULL,
	.begin = NULL,
	.commit = NULL,
	.rollback = NULL,
	.list_tables = NULL,
	.list_columns = NULL,
};
