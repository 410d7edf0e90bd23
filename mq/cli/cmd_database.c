/*
 * NAME
 *	cmd_database.c - mq check-database, repair-database, purge-database
 * SYNOPSIS
 *	mq check-database [--address URL]
 *	mq repair-database [--address URL]
 *	mq purge-database [--address URL]
 * DESCRIPTION
 *	Each works on the SQL database of URL, by default the configured
 *	database-address, over every MailerQ table and every list found
 *	in SQL (a table T with its T_slog).
 *
 *	check-database prints one line per problem: a missing table, a
 *	missing column, a column of the wrong type, and (unless
 *	database-validate is false) a column that is not mq's.
 *
 *	repair-database creates missing tables and columns and drops
 *	columns that are not mq's (not with database-validate false,
 *	which keeps them), printing each statement; then it checks
 *	again.  A column of the wrong type is reported, not changed.
 *
 *	purge-database drops every mq table and creates it empty,
 *	printing each statement.  It asks nothing: it is for scripts.
 * DIAGNOSTICS
 *	Exit 0 valid (or repaired, or purged), 65 problems remain or the
 *	address or credentials are bad, 64 usage (no database-address),
 *	75 server unreachable, 70 internal error.  Messages never hold
 *	the password.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mq/cli/cli.h"
#include "sql-compat/sql.h"

/* One of the three commands: what it runs once connected. */
struct database_command {
	const char *name;
	const char *usage;
	int	(*run)(const struct database_command *cmd, struct sql_conn *conn,
		       unsigned flags);
};

/* print_issue - one problem per line on stdout */
static int print_issue(void *ctx, const struct sql_issue *issue,
		       const char *text)
{
	(void) ctx;
	(void) issue;
	printf("%s\n", text);
	return 0;
}

/* print_statement - one statement run, as SQL, on stdout */
static void print_statement(void *ctx, const char *statement)
{
	(void) ctx;
	printf("%s;\n", statement);
}

/* database_fail - report a failed SQL operation; the exit status */
static int database_fail(const struct database_command *cmd,
			 struct sql_conn *conn, enum sql_rc rc)
{
	cli_error("%s: %s", cmd->name, sql_errmsg(conn));
	return cli_exit(sql_rc_kind(rc));
}

/* database_check - validate; 0 when valid, 65 with the report */
static int database_check(const struct database_command *cmd,
			  struct sql_conn *conn, unsigned flags)
{
	size_t	n = 0;
	enum sql_rc rc = sql_schema_check(conn, NULL, flags, print_issue, NULL, &n);

	if (rc != SQL_OK)
		return database_fail(cmd, conn, rc);
	if (n > 0) {
		cli_error("%s: %zu problem%s in the SQL tables", cmd->name, n,
			  n == 1 ? "" : "s");
		return EXIT_DATAERR;
	}
	printf("valid\n");
	return 0;
}

/* database_repair - repair, then check what is left */
static int database_repair(const struct database_command *cmd,
			   struct sql_conn *conn, unsigned flags)
{
	enum sql_rc rc = sql_schema_repair(conn, NULL, flags, print_statement, NULL);

	if (rc != SQL_OK)
		return database_fail(cmd, conn, rc);
	return database_check(cmd, conn, flags);
}

/* database_purge - drop and recreate everything */
static int database_purge(const struct database_command *cmd,
			  struct sql_conn *conn, unsigned flags)
{
	enum sql_rc rc = sql_schema_purge(conn, NULL, print_statement, NULL);

	(void) flags;
	if (rc != SQL_OK)
		return database_fail(cmd, conn, rc);
	return 0;
}

static const struct database_command check_command = {
	"check-database",
	"usage: mq check-database [--address URL]\n\n"
	"Check that the SQL database has every MailerQ table and the tables of\n"
	"every list found in it (a table T with its T_slog), with every column\n"
	"of the right type.  Prints one line per problem.  Columns that are not\n"
	"mq's are problems too, unless database-validate is false.\n"
	"URL defaults to the configured database-address.\n"
	"Exit status: 0 valid, 65 problems found or bad address/credentials,\n"
	"64 no database-address, 75 server unreachable.\n",
	database_check,
};

static const struct database_command repair_command = {
	"repair-database",
	"usage: mq repair-database [--address URL]\n\n"
	"Create the missing tables and columns of the SQL database and drop the\n"
	"columns that are not mq's (kept when database-validate is false),\n"
	"printing each statement; then check again.  A column of the wrong type\n"
	"is reported, never changed.  URL defaults to database-address.\n"
	"Exit status: 0 valid afterwards, 65 problems remain, 64 no\n"
	"database-address, 75 server unreachable.\n",
	database_repair,
};

static const struct database_command purge_command = {
	"purge-database",
	"usage: mq purge-database [--address URL]\n\n"
	"Drop every MailerQ table and every table of the lists found in SQL,\n"
	"and create them empty, printing each statement.  It does not ask.\n"
	"URL defaults to database-address.\n"
	"Exit status: 0 done, 65 bad address or credentials, 64 no\n"
	"database-address, 75 server unreachable.\n",
	database_purge,
};

/* database_args - "--address URL"; -1 to go on, else the exit status */
static int database_args(const struct database_command *cmd, int argc,
			 char **argv, const char **url)
{
	if (cli_help(argc, argv, cmd->usage))
		return 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--address") == 0 && i + 1 < argc) {
			*url = argv[++i];
		} else if (strncmp(argv[i], "--address=", 10) == 0) {
			*url = argv[i] + 10;
		} else {
			/* Not quoted back: it might be a mistyped password. */
			cli_error("%s: %s", cmd->name, argv[i][0] == '-' ?
				  "unknown option or missing URL" :
				  "unexpected argument");
			return cli_usage(cmd->usage);
		}
	}
	if (*url == NULL && mq_conf.database_address[0])
		*url = mq_conf.database_address;
	if (*url == NULL) {
		cli_error("%s: no database-address: give --address URL, or set "
			  "database-address in the config file or "
			  "MQ_DATABASE_ADDRESS", cmd->name);
		return EXIT_USAGE;
	}
	return -1;
}

/* database_main - parse, connect, run the command */
static int database_main(const struct database_command *cmd, int argc,
			 char **argv)
{
	char	err[SQL_ERRMSG_SIZE], shown[1024];
	const char *url = NULL;
	struct sql_address *addr;
	struct sql_conn *conn;
	enum sql_rc rc;
	int	status;

	if ((status = database_args(cmd, argc, argv, &url)) >= 0)
		return status;
	if ((rc = sql_address_parse(url, &addr, err, sizeof(err))) != SQL_OK) {
		sql_url_redact(shown, sizeof(shown), url);
		cli_error("%s: bad database-address %s: %s", cmd->name, shown, err);
		return cli_exit(sql_rc_kind(rc));
	}
	/* a check never creates the database it looks at */
	rc = cmd == &check_command
		? sql_connect_existing(addr, &conn, err, sizeof(err))
		: sql_connect(addr, &conn, err, sizeof(err));
	sql_address_free(addr);
	if (rc != SQL_OK) {
		cli_error("%s: %s", cmd->name, err);
		return cli_exit(sql_rc_kind(rc));
	}
	status = cmd->run(cmd, conn, mq_conf.database_validate ? 0 :
			  SQL_SCHEMA_KEEP_EXTRA);
	sql_close(conn);
	return status;
}

/* cmd_check_database - mq check-database */
int	cmd_check_database(int argc, char **argv)
{
	return database_main(&check_command, argc, argv);
}

/* cmd_repair_database - mq repair-database */
int	cmd_repair_database(int argc, char **argv)
{
	return database_main(&repair_command, argc, argv);
}

/* cmd_purge_database - mq purge-database */
int	cmd_purge_database(int argc, char **argv)
{
	return database_main(&purge_command, argc, argv);
}
