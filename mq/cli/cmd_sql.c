/*
 * NAME
 *	cmd_sql.c - the "mq sql" commands
 * SYNOPSIS
 *	int cmd_sql(int argc, char **argv);	argv[0] is "sql"
 *
 *	mq sql ping [--address URL]
 *	mq sql schema [--dialect D] [--list T]...
 *	mq sql grant --user U [--host H] [--dialect D] [--list T]...
 *	mq sql --help | mq sql SUBCOMMAND --help
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
 *	"mq sql schema" prints the CREATE TABLE statements of the MailerQ
 *	tables, or with --list T those of list T (as ezmlm-mktab did), in
 *	the dialect D (sqlite, postgresql, mysql; default: the engine of
 *	database-address, else sqlite).  "mq sql grant" prints the GRANT
 *	statements that give user U the rights on them (as ezmlm-grant
 *	did).  Neither connects to a database.
 * DIAGNOSTICS
 *	Exit 0 ok, 64 usage, 65 bad address or refused credentials or
 *	unknown database, 70 internal error, 75 server unreachable,
 *	refused or timed out (try again later).  Messages go to stderr and
 *	never hold the password.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mq/cli/cli.h"
#include "sql-compat/schema.h"

/* One "mq sql" subcommand: its name, its entry and its usage text. */
struct sql_command {
	const char *name;
	int	(*run)(int argc, char **argv);
	const char *usage;
	const char *help;
};

static int sql_ping_command(int argc, char **argv);
static int sql_schema_command(int argc, char **argv);
static int sql_grant_command(int argc, char **argv);

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
	{"schema", sql_schema_command,
	 "mq sql schema [--dialect sqlite|postgresql|mysql] [--list T]...",
	 "Print the CREATE TABLE statements of the MailerQ tables or, with\n"
	 "--list T (repeatable), of list T's tables: those ezmlm-idx 7 creates\n"
	 "for the engine plus the split columns.  The dialect defaults to the\n"
	 "engine of database-address, else sqlite.  Nothing is connected.\n"
	 "Exit status: 0 ok, 64 usage or bad list name.\n"},
	{"grant", sql_grant_command,
	 "mq sql grant --user U [--host H] [--dialect D] [--list T]...",
	 "Print GRANT statements giving database user U (MySQL: at host H,\n"
	 "default '%') SELECT, INSERT, UPDATE, DELETE on the MailerQ tables or,\n"
	 "with --list T, the rights an ezmlm-idx list needs on T's tables\n"
	 "(subscriber and split tables: all four; logs and cookies: SELECT,\n"
	 "INSERT).  SQLite has no GRANT.  Nothing is connected.\n"
	 "Exit status: 0 ok, 64 usage or bad list name.\n"},
	{NULL, NULL, NULL, NULL},
};

/*
 * sql_configured_address - the database-address when no --address is
 *	given: the config's database-address (main loaded the file and
 *	the MQ_DATABASE_ADDRESS variable into mq_conf), else NULL.
 */
static const char *sql_configured_address(void)
{
	const char *addr = mq_conf.database_address;

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
	return EXIT_USAGE;
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
			return 0;
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
		return cli_exit(sql_rc_kind(rc));
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
	return cli_exit(sql_rc_kind(rc));
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
		return cli_exit(sql_rc_kind(rc));
	}
	status = sql_ping_run(addr);
	sql_address_free(addr);
	return status;
}

/* What "mq sql schema" and "mq sql grant" are asked for. */
struct sql_ddl_args {
	enum sql_engine engine;
	const char *user, *host;
	const char *lists[64];
	size_t	nlists;
};

/* sql_dialect - the engine a --dialect name means; false if unknown */
static bool sql_dialect(const char *name, enum sql_engine *engine)
{
	static const struct {
		const char *name;
		enum sql_engine engine;
	} names[] = {
		{"sqlite", SQL_ENGINE_SQLITE}, {"sqlite3", SQL_ENGINE_SQLITE},
		{"postgresql", SQL_ENGINE_PGSQL}, {"postgres", SQL_ENGINE_PGSQL},
		{"pgsql", SQL_ENGINE_PGSQL}, {"mysql", SQL_ENGINE_MYSQL},
		{"mariadb", SQL_ENGINE_MYSQL},
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(name, names[i].name) == 0) {
			*engine = names[i].engine;
			return true;
		}
	return false;
}

/* sql_default_dialect - the engine of database-address, else sqlite */
static enum sql_engine sql_default_dialect(void)
{
	const char *url = sql_configured_address();
	struct sql_address *addr;
	enum sql_engine engine = SQL_ENGINE_SQLITE;

	if (url && sql_address_parse(url, &addr, NULL, 0) == SQL_OK) {
		engine = addr->engine;
		sql_address_free(addr);
	}
	return engine;
}

/*
 * sql_ddl_option - take one option of schema/grant at argv[*i];
 *	returns NULL, or what is wrong
 */
static const char *sql_ddl_option(struct sql_ddl_args *a, int argc, char **argv,
				  int *i, bool grant)
{
	const char *opt = argv[*i], *val = *i + 1 < argc ? argv[*i + 1] : NULL;

	if (strcmp(opt, "--dialect") && strcmp(opt, "--list")
	    && (!grant || (strcmp(opt, "--user") && strcmp(opt, "--host"))))
		return opt[0] == '-' ? "unknown option" : "unexpected argument";
	if (val == NULL)
		return "option needs a value";
	++*i;
	if (strcmp(opt, "--dialect") == 0)
		return sql_dialect(val, &a->engine) ? NULL :
			"unknown dialect (sqlite, postgresql or mysql)";
	if (strcmp(opt, "--user") == 0)
		a->user = val;
	else if (strcmp(opt, "--host") == 0)
		a->host = val;
	else if (!reg_root_valid(val))
		return "bad list name (a-z first, then a-z, 0-9, _)";
	else if (a->nlists + 1 >= sizeof(a->lists) / sizeof(a->lists[0]))
		return "too many lists";
	else
		a->lists[a->nlists++] = val;
	return NULL;
}

/* sql_ddl_args - parse; -1 to go on, else the exit status */
static int sql_ddl_args(const struct sql_command *c, int argc, char **argv,
			struct sql_ddl_args *a, bool grant)
{
	const char *why;

	memset(a, 0, sizeof(*a));
	a->engine = sql_default_dialect();
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			printf("usage: %s\n\n%s", c->usage, c->help);
			return 0;
		}
		if ((why = sql_ddl_option(a, argc, argv, &i, grant)) != NULL)
			return sql_usage_error(c, why, argv[i]);
	}
	if (grant && a->user == NULL)
		return sql_usage_error(c, "--user is required", NULL);
	return -1;
}

/* sql_print - write the statements; 70 when memory ran out */
static int sql_print(const char *name, struct sql_buf *b)
{
	int	status = 0;

	if (b->oom) {
		fprintf(stderr, "mq: sql %s: out of memory\n", name);
		status = EXIT_SOFTWARE;
	} else if (b->p) {
		fputs(b->p, stdout);
	}
	sql_buf_free(b);
	return status;
}

/* sql_schema_command - mq sql schema [--dialect D] [--list T]... */
static int sql_schema_command(int argc, char **argv)
{
	struct sql_buf b = SQL_BUF_INIT;
	char	name[SQL_TABLE_NAME_MAX];
	struct sql_ddl_args a;
	int	status;

	if ((status = sql_ddl_args(&sql_commands[1], argc, argv, &a, false)) >= 0)
		return status;
	for (int i = 0; a.nlists == 0 && reg_mailerq[i]; i++)
		sql_schema_create(&b, a.engine, reg_mailerq[i]->name, reg_mailerq[i]);
	for (size_t l = 0; l < a.nlists; l++)
		for (int i = 0; reg_list[i]; i++) {
			snprintf(name, sizeof(name), "%s%s", a.lists[l],
				 reg_list[i]->name);
			sql_schema_create(&b, a.engine, name, reg_list[i]);
		}
	return sql_print("schema", &b);
}

/* sql_grant_command - mq sql grant --user U [--host H] [--list T]... */
static int sql_grant_command(int argc, char **argv)
{
	struct sql_buf b = SQL_BUF_INIT;
	struct sql_ddl_args a;
	int	status;

	if ((status = sql_ddl_args(&sql_commands[2], argc, argv, &a, true)) >= 0)
		return status;
	sql_schema_grant(&b, a.engine, a.user, a.host, a.lists, a.nlists == 0);
	return sql_print("grant", &b);
}

/* cmd_sql - dispatch "mq sql SUBCOMMAND ..." */
int	cmd_sql(int argc, char **argv)
{
	if (argc < 2)
		return sql_usage_error(NULL, "missing subcommand", NULL);
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0
	    || strcmp(argv[1], "help") == 0) {
		sql_usage(stdout);
		return 0;
	}
	for (const struct sql_command *c = sql_commands; c->name; c++)
		if (strcmp(argv[1], c->name) == 0)
			return c->run(argc - 1, argv + 1);
	return sql_usage_error(NULL, "unknown subcommand", argv[1]);
}
