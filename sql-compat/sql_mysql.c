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
 *	all means the library's default socket, or the "socket" option.
 *
 *	Options (anything else is a configuration error):
 *	    connect_timeout   seconds (default 5), via sql.c
 *	    read_timeout, write_timeout   seconds
 *	    charset           default utf8mb4
 *	    sslmode           disable | require | verify-ca | verify-full
 *	    sslrootcert (ssl-ca), sslcert (ssl-cert), sslkey (ssl-key),
 *	    ssl-capath, ssl-cipher, tls-version
 *	    socket            Unix socket path, when there is no host
 *
 *	The static libmariadb.a has only the built-in authentication
 *	plugins (mysql_native_password among them): an account that uses
 *	caching_sha2_password needs mysql_native_password for the static
 *	mq.
 * DIAGNOSTICS
 *	Server error numbers for refused logins, unknown databases and
 *	unusable authentication plugins are SQL_CONFIG; everything else
 *	(refused, unreachable, timeout, too many connections) is
 *	SQL_TEMPFAIL.
 */
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

/* mysql_drv_connect - open conn->handle */
static enum sql_rc mysql_drv_connect(struct sql_conn *conn)
{
	const struct sql_address *a = conn->address;
	MYSQL  *m = mysql_init(NULL);
	enum sql_rc rc;

	if (m == NULL)
		return sql_conn_fail(conn, SQL_INTERNAL, "connect", "out of memory");
	if ((rc = mysql_drv_setup(conn, m)) != SQL_OK) {
		mysql_close(m);
		return rc;
	}
	if (mysql_real_connect(m, conn->hostaddr, a->user, a->password,
			       a->database, a->port,
			       sql_address_option(a, "socket"), 0) == NULL) {
		rc = sql_conn_fail(conn, mysql_drv_classify(mysql_errno(m)), "connect",
				   "%s", mysql_error(m));
		mysql_close(m);
		return rc;
	}
	conn->handle = m;
	return SQL_OK;
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

const struct sql_driver sql_mysql_driver = {
	.name = "mysql",
	.engine = SQL_ENGINE_MYSQL,
	.connect = mysql_drv_connect,
	.close = mysql_drv_close,
	.ping = mysql_drv_ping,
	.server_version = mysql_drv_server_version,
	.exec = NULL,
	.rows_next = NULL,
	.rows_free = NULL,
	.begin = NULL,
	.commit = NULL,
	.rollback = NULL,
	.list_tables = NULL,
	.list_columns = NULL,
};
