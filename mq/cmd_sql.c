/*
 * NAME
 *	cmd_sql.c - the "mq sql" commands
 * SYNOPSIS
 *	int cmd_sql(int argc, char **argv);	argv[0] is "sql"
 *
 *	mq sql ping [--address URL]
 *	mq sql --help | mq sql ping --help
 * DESCRIPTION
 *	"mq sql ping" connects to the database-address, makes one round
 *	trip and prints the server's product and version with the
 *	address, its password as "***":
 *
 *	    postgresql 15.18 at postgresql://mq:***@127.0.0.1:5433/mq
 *
 *	Without --address the configured database-address is used (the
 *	config file's database-address, or MQ_DATABASE_ADDRESS).
 *
 *	More "mq sql" subcommands (schema, grant) go in sql_commands[].
 * DIAGNOSTICS
 *	Exit 0 ok, 64 usage, 65 bad address or refused credentials or
 *	unknown database, 70 internal error, 75 server unreachable,
 *	refused or timed out (try again later).  Messages go to stderr and
 *	never hold the password.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mq/cli.h"
#include "sql-compat/sql.h"

/* One "mq sql" subcommand: its name, its entry and its usage text. */
struct sql_command {
	const char *name;
	int	(*run)(int argc, char **argv);
	const char *usage;
	const char *help;
};

static int sql_ping_command(int argc, char **argv);

static const struct sql_command sql_commands[] = {
	{"ping", sql_ping_command, "mq sql ping [--address URL]",
	 "Connect to the SQL database, make one round trip and print the\n"
	 "server's product and version.  URL is a database-address:\n"
	 "  sqlite:///path/file.db\n"
	 "  postgresql://user:password@host[:port]/database[?option=value]\n"
	 "  mysql://user:password@host[:port]/database[?option=value]\n"
	 "Without --address, the configured database-address is used\n"
	 "(config key database-address, or MQ_DATABASE_ADDRESS).\n"
	 "Exit status: 0 ok, 64 usage, 65 bad address or credentials,\n"
	 "75 server unreachable (try again later).\n"},
	{NULL, NULL, NULL, NULL},
};

/*
 * sql_configured_address - the database-address when no --address is
 *	given: the config's database-address (main loaded the file and
 *	the MQ_DATABASE_ADDRESS variable into cli_config), else NULL.
 */
static const char *sql_configured_address(void)
{
	const char *addr = cli_config.database_address;

	return *addr ? addr : NULL;
}

/* sql_usage - "usage: mq sql ..." with every subcommand, to fp */
static void sql_usage(FILE *fp)
{
	for (const struct sql_command *c = sql_commands; c->name; c++)
		fprintf(fp, "%s%s\n", c == sql_commands ? "usage: " : "       ",
			c->usage);
	fprintf(fp, "\n'mq sql SUBCOMMAND --help' describes a subcommand.\n");
}

/* sql_usage_error - complain about the command line; exit status 64 */
static int sql_usage_error(const struct sql_command *c, const char *what,
			   const char *arg)
{
	fprintf(stderr, "mq: sql%s%s: %s%s%s\n", c ? " " : "", c ? c->name : "",
		what, arg ? ": " : "", arg ? arg : "");
	if (c)
		fprintf(stderr, "usage: %s\n", c->usage);
	else
		sql_usage(stderr);
	return SQL_EXIT_USAGE;
}

/*
 * sql_ping_args - parse "--address URL", "--address=URL", "--help".
 *	Returns -1 to go on, else the exit status (0 after --help).
 */
static int sql_ping_args(const struct sql_command *c, int argc, char **argv,
			 const char **url)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			printf("usage: %s\n\n%s", c->usage, c->help);
			return SQL_EXIT_OK;
		} else if (strcmp(argv[i], "--address") == 0) {
			if (++i == argc)
				return sql_usage_error(c, "--address needs a URL", NULL);
			*url = argv[i];
		} else if (strncmp(argv[i], "--address=", 10) == 0) {
			*url = argv[i] + 10;
		} else {
			/* Not quoted back: it might be a mistyped password. */
			return sql_usage_error(c, argv[i][0] == '-' ?
					       "unknown option" :
					       "unexpected argument", NULL);
		}
	}
	return -1;
}

/* sql_ping_run - connect, round trip, print; the exit status */
static int sql_ping_run(const struct sql_address *addr)
{
	char	err[SQL_ERRMSG_SIZE], version[128], where[1024];
	struct sql_conn *conn;
	enum sql_rc rc;

	if ((rc = sql_connect(addr, &conn, err, sizeof(err))) != SQL_OK) {
		fprintf(stderr, "mq: sql ping: %s\n", err);
		return sql_rc_exit(rc);
	}
	if ((rc = sql_ping(conn)) == SQL_OK)
		rc = sql_server_version(conn, version, sizeof(version));
	if (rc != SQL_OK) {
		fprintf(stderr, "mq: sql ping: %s\n", sql_errmsg(conn));
	} else {
		sql_address_format(where, sizeof(where), addr);
		printf("%s at %s\n", version, where);
	}
	sql_close(conn);
	return sql_rc_exit(rc);
}

/* sql_ping_command - mq sql ping [--address URL] */
static int sql_ping_command(int argc, char **argv)
{
	const struct sql_command *c = &sql_commands[0];
	const char *url = NULL;
	char	err[256], shown[1024];
	struct sql_address *addr;
	enum sql_rc rc;
	int	status;

	if ((status = sql_ping_args(c, argc, argv, &url)) >= 0)
		return status;
	if (url == NULL && (url = sql_configured_address()) == NULL)
		return sql_usage_error(c, "no database-address: give --address "
				       "URL or configure database-address", NULL);
	if ((rc = sql_address_parse(url, &addr, err, sizeof(err))) != SQL_OK) {
		sql_url_redact(shown, sizeof(shown), url);
		fprintf(stderr, "mq: sql ping: bad database-address %s: %s\n",
			shown, err);
		return sql_rc_exit(rc);
	}
	status = sql_ping_run(addr);
	sql_address_free(addr);
	return status;
}

/* cmd_sql - dispatch "mq sql SUBCOMMAND ..." */
int	cmd_sql(int argc, char **argv)
{
	if (argc < 2)
		return sql_usage_error(NULL, "missing subcommand", NULL);
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0
	    || strcmp(argv[1], "help") == 0) {
		sql_usage(stdout);
		return SQL_EXIT_OK;
	}
	for (const struct sql_command *c = sql_commands; c->name; c++)
		if (strcmp(argv[1], c->name) == 0)
			return c->run(argc - 1, argv + 1);
	return sql_usage_error(NULL, "unknown subcommand", argv[1]);
}
