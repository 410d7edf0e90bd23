/*
 * NAME
 *	cmd_database.c - mq check-database, repair-database, purge-database
 * SYNOPSIS
 *	mq check-database [--address URL]
 *	mq repair-database [--yes] [--adopt] [--address URL]
 *	mq purge-database [--yes] [--adopt] [--address URL]
 * DESCRIPTION
 *	Each works on the SQL database of URL, by default the configured
 *	database-address, over every MailerQ table and every list found
 *	in SQL (a table T with its T_slog).  check and repair cover the
 *	store's lists too: a list made by mq list-create whose tables SQL
 *	lacks is a problem for check and created by repair.
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
 *	printing each statement.
 *
 *	Both first plan what they would run.  A plan that drops a column
 *	or a table runs only with --yes or after a "y" on a terminal;
 *	otherwise the plan is shown and nothing changes.  A table of
 *	mq's name that is another application's (sql.h) stops both with
 *	nothing changed, unless --adopt takes it over.
 * DIAGNOSTICS
 *	Exit 0 valid (or repaired, or purged), 65 problems remain or the
 *	address or credentials are bad, 64 usage (no database-address),
 *	75 server unreachable, 70 internal error.  Messages never hold
 *	the password.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mq/cli/cli.h"
#include "sql-compat/schema.h"
#include "store/store.h"

/* One of the three commands: what it runs once connected. */
struct database_command {
	const char *name;
	const char *usage;
	int	(*run)(const struct database_command *cmd, struct sql_conn *conn,
		       unsigned flags);
	bool	changes;	/* takes --yes and --adopt */
};

/* The options of a run. */
static bool opt_yes;

/* A plan: the statements repair or purge would run. */
struct plan {
	char  **v;
	size_t	n, ndestroy;
	bool	oom;
};

/* plan_add - keep one planned statement */
static void plan_add(void *ctx, const char *statement)
{
	struct plan *p = ctx;
	char  **v = p->oom ? NULL : realloc(p->v, (p->n + 1) * sizeof(*v));

	if (!v || !(v[p->n] = strdup(statement))) {
		p->oom = true;
		if (v)
			p->v = v;
		return;
	}
	p->v = v;
	p->ndestroy += sql_ddl_destroys(statement);
	p->n++;
}

static void plan_free(struct plan *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->v[i]);
	free(p->v);
}

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

/* The lists check and repair cover: SQL's and the store's, once each,
 * NULL-terminated for sql_schema_check and sql_schema_repair. */
struct roots {
	char  **v;
	size_t	n;
	bool	oom;
};
static struct roots roots;

/* root_add - store_list_each callback: keep a root not kept yet */
static int root_add(const char *root, void *arg)
{
	struct roots *r = arg;
	char  **v;

	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->v[i], root) == 0)
			return 0;
	if (!(v = realloc(r->v, (r->n + 2) * sizeof(*v)))) {
		r->oom = true;
		return 1;
	}
	r->v = v;
	v[r->n + 1] = NULL;
	if (!(v[r->n] = strdup(root))) {
		r->oom = true;
		return 1;
	}
	r->n++;
	return 0;
}

static void roots_free(struct roots *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->v[i]);
	free(r->v);
	*r = (struct roots){ 0 };
}

/* store_roots - add the store's lists, when there is a store; 0 or exit */
static int store_roots(struct roots *r)
{
	struct store *st;
	struct store_txn *txn;
	enum store_rc rc;
	int	ex = 0;

	if (access(mq_conf.store_path, F_OK) != 0)
		return 0;
	if (!(st = cli_open_store(STORE_RDONLY, &ex)))
		return ex;
	if ((rc = store_read_begin(st, &txn)) == STORE_OK) {
		rc = store_list_each(txn, root_add, r);
		store_read_end(txn);
	}
	if (rc && !r->oom)
		ex = cli_store_fail(st, rc);
	store_close(st);
	return ex;
}

/* gather_roots - SQL's lists and the store's into roots; 0 or exit */
static int gather_roots(const struct database_command *cmd,
			struct sql_conn *conn)
{
	char  **sqlroots = NULL;
	enum sql_rc rc = sql_schema_lists(conn, &sqlroots);
	int	ex;

	if (rc != SQL_OK)
		return database_fail(cmd, conn, rc);
	for (size_t i = 0; sqlroots[i] && !roots.oom; i++)
		root_add(sqlroots[i], &roots);
	sql_schema_lists_free(sqlroots);
	if ((ex = store_roots(&roots)) != 0)
		return ex;
	if (!roots.oom && !roots.v && !(roots.v = calloc(1, sizeof(char *))))
		roots.oom = true;
	if (roots.oom) {
		cli_error("%s: out of memory", cmd->name);
		return cli_exit(RESULT_INTERNAL);
	}
	return 0;
}

/* database_check - validate; 0 when valid, 65 with the report */
static int database_check(const struct database_command *cmd,
			  struct sql_conn *conn, unsigned flags)
{
	size_t	n = 0;
	bool	lists_only = false;
	enum sql_rc rc = sql_schema_check(conn, (const char *const *)roots.v,
					  flags, print_issue, NULL, &n);

	if (rc == SQL_OK)
		rc = sql_schema_lists_only(conn, &lists_only);
	if (rc != SQL_OK)
		return database_fail(cmd, conn, rc);
	if (n > 0) {
		cli_error("%s: %zu problem%s in the SQL tables", cmd->name, n,
			  n == 1 ? "" : "s");
		return EXIT_DATAERR;
	}
	printf(lists_only ? "valid: a lists-only database (no MailerQ "
	       "table: mq serves its lists, and no MailerQ data)\n"
	       : "valid\n");
	return 0;
}

/* confirmed - may a plan that drops data run?  Asks on a terminal. */
static bool confirmed(const struct database_command *cmd,
		      const struct plan *p)
{
	char	answer[16];

	if (p->ndestroy == 0 || opt_yes)
		return true;
	fprintf(stderr, "%s would run:\n", cmd->name);
	for (size_t i = 0; i < p->n; i++)
		fprintf(stderr, "  %s;%s\n", p->v[i],
			sql_ddl_destroys(p->v[i]) ? "   -- drops data" : "");
	if (!isatty(STDIN_FILENO) || !isatty(STDERR_FILENO)) {
		cli_error("%s: %zu statement%s would drop data; nothing was "
			  "changed: run it again with --yes", cmd->name,
			  p->ndestroy, p->ndestroy == 1 ? "" : "s");
		return false;
	}
	fprintf(stderr, "Run them? [y/N] ");
	if (!fgets(answer, sizeof(answer), stdin) ||
	    (answer[0] != 'y' && answer[0] != 'Y')) {
		cli_error("%s: nothing was changed", cmd->name);
		return false;
	}
	return true;
}

/* Repair or purge, as a plan or for real. */
typedef enum sql_rc (*schema_change_fn)(struct sql_conn *conn,
					unsigned flags, sql_ddl_cb cb,
					void *ctx);

static enum sql_rc repair_all(struct sql_conn *conn, unsigned flags,
			      sql_ddl_cb cb, void *ctx)
{
	return sql_schema_repair(conn, (const char *const *)roots.v, flags,
				 cb, ctx);
}

static enum sql_rc purge_all(struct sql_conn *conn, unsigned flags,
			     sql_ddl_cb cb, void *ctx)
{
	return sql_schema_purge(conn, NULL, flags, cb, ctx);
}

/* database_change - plan, confirm when it drops data, run; 0 when run */
static int database_change(const struct database_command *cmd,
			   struct sql_conn *conn, unsigned flags,
			   schema_change_fn fn)
{
	struct plan p = {0};
	enum sql_rc rc = fn(conn, flags | SQL_SCHEMA_PLAN, plan_add, &p);
	bool	go = rc == SQL_OK && !p.oom && confirmed(cmd, &p);

	plan_free(&p);
	if (rc != SQL_OK)
		return database_fail(cmd, conn, rc);
	if (p.oom) {
		cli_error("%s: out of memory", cmd->name);
		return cli_exit(RESULT_INTERNAL);
	}
	if (!go)
		return cli_exit(RESULT_BADDATA);
	if ((rc = fn(conn, flags, print_statement, NULL)) != SQL_OK)
		return database_fail(cmd, conn, rc);
	return 0;
}

/* database_repair - repair, then check what is left */
static int database_repair(const struct database_command *cmd,
			   struct sql_conn *conn, unsigned flags)
{
	int	status = database_change(cmd, conn, flags, repair_all);

	return status ? status
		      : database_check(cmd, conn, flags & ~SQL_SCHEMA_ADOPT);
}

/* database_purge - drop and recreate everything */
static int database_purge(const struct database_command *cmd,
			  struct sql_conn *conn, unsigned flags)
{
	return database_change(cmd, conn, flags, purge_all);
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
	database_check, false,
};

static const struct database_command repair_command = {
	"repair-database",
	"usage: mq repair-database [--yes] [--adopt] [--address URL]\n\n"
	"Create the missing tables and columns of the SQL database and drop the\n"
	"columns that are not mq's (kept when database-validate is false),\n"
	"printing each statement; then check again.  A column of the wrong type\n"
	"is reported, never changed.  URL defaults to database-address.\n"
	"Dropping a column runs only with --yes, or after a \"y\" on a terminal.\n"
	"A table of mq's name that is another application's (it lacks mq's key\n"
	"or most of mq's columns) stops the repair with nothing changed;\n"
	"--adopt takes such tables over as mq's (and drops their columns).\n"
	"Exit status: 0 valid afterwards, 65 problems remain or not confirmed,\n"
	"64 no database-address, 75 server unreachable.\n",
	database_repair, true,
};

static const struct database_command purge_command = {
	"purge-database",
	"usage: mq purge-database [--yes] [--adopt] [--address URL]\n\n"
	"Drop every MailerQ table and every table of the lists found in SQL,\n"
	"and create them empty, printing each statement.  It runs only with\n"
	"--yes, or after a \"y\" on a terminal.  A table of mq's name that is\n"
	"another application's stops it with nothing changed (--adopt: drop\n"
	"it too).  URL defaults to database-address.\n"
	"Exit status: 0 done, 65 not confirmed, a foreign table, or bad\n"
	"address or credentials, 64 no database-address, 75 server\n"
	"unreachable.\n",
	database_purge, true,
};

/*
 * database_args - "--address URL", and for repair and purge "--yes" and
 *	"--adopt" (into *flags); -1 to go on, else the exit status
 */
static int database_args(const struct database_command *cmd, int argc,
			 char **argv, const char **url, unsigned *flags)
{
	if (cli_help(argc, argv, cmd->usage))
		return 0;
	opt_yes = false;
	for (int i = 1; i < argc; i++) {
		if (cmd->changes && strcmp(argv[i], "--yes") == 0) {
			opt_yes = true;
		} else if (cmd->changes && strcmp(argv[i], "--adopt") == 0) {
			*flags |= SQL_SCHEMA_ADOPT;
		} else if (strcmp(argv[i], "--address") == 0 && i + 1 < argc) {
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
	unsigned flags = mq_conf.database_validate ? 0 : SQL_SCHEMA_KEEP_EXTRA;
	enum sql_rc rc;
	int	status;

	if ((status = database_args(cmd, argc, argv, &url, &flags)) >= 0)
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
	status = cmd == &purge_command ? -1 : gather_roots(cmd, conn);
	if (status <= 0)
		status = cmd->run(cmd, conn, flags);
	roots_free(&roots);
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
