/*
 * NAME
 *	cmd_sync.c - mq sync and mq reload
 * SYNOPSIS
 *	mq sync --from-sql | --to-sql [--address URL]
 *	mq reload
 * DESCRIPTION
 *	mq sync makes the store equal to the SQL database (--from-sql, one
 *	LMDB write transaction) or the SQL database equal to the store
 *	(--to-sql, one SQL transaction), and prints what changed per
 *	table.  mq reload sends SIGHUP to the mq serve of this store,
 *	found through its pid file.
 * DIAGNOSTICS
 *	Exit 0 ok, 64 usage or no database-address, 65 bad data or
 *	schema, 70 store failure, 75 SQL unreachable; mq reload exits 1
 *	when no mq serve runs.  A failed sync leaves its target as it was.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "mq/cli.h"
#include "mq/sync_cli.h"

static const char sync_usage[] =
	"usage: mq sync --from-sql | --to-sql [--address URL]\n"
	"--from-sql makes the store equal to the SQL database of\n"
	"database-address (or URL): every MailerQ table and every list found\n"
	"in SQL (a table T with its T_slog), in one store transaction.\n"
	"--to-sql makes the SQL database equal to the store, in one SQL\n"
	"transaction, creating missing tables and columns first.  Both print\n"
	"what changed per table; an unchanged source writes nothing.  Exit 75\n"
	"when the server is unreachable; a failed sync changes nothing.\n";

static const char reload_usage[] =
	"usage: mq reload\n"
	"Make the running 'mq serve' of this store reload from\n"
	"database-address (it sends SIGHUP to the pid in <store-path>.pid).\n"
	"Exit 1 when no mq serve runs.\n";

/* sync_connect - see sync_cli.h */
int	sync_connect(const char *address, struct sql_conn **conn)
{
	struct sql_address *addr;
	char err[SQL_ERRMSG_SIZE + 256];
	enum sql_rc rc;

	*conn = NULL;
	if (!address)
		address = cli_config.database_address;
	if (!*address) {
		cli_error("no database-address: set it in the config file, "
			  "as MQ_DATABASE_ADDRESS, or give --address URL");
		return EXIT_USAGE;
	}
	if ((rc = sql_address_parse(address, &addr, err, sizeof(err)))) {
		cli_error("database-address: %s", err);
		return sql_rc_exit(rc);
	}
	rc = sql_connect(addr, conn, err, sizeof(err));
	sql_address_free(addr);
	if (rc) {
		cli_error("%s", err);
		return sql_rc_exit(rc);
	}
	return 0;
}

/* sync_flags - see sync_cli.h */
unsigned sync_flags(void)
{
	return cli_config.database_validate ? 0 : SQL_SYNC_KEEP_EXTRA;
}

/* sync_print - see sync_cli.h */
void	sync_print(const struct sql_sync_result *res, const char *what,
		   void (*line)(void *ctx, const char *text), void *ctx)
{
	char text[SQL_TABLE_NAME_MAX + 128];
	size_t changed = 0;

	for (size_t i = 0; i < res->ntables; i++) {
		const struct store_apply_counts *n = &res->tables[i].n;

		if (!n->inserted && !n->updated && !n->deleted)
			continue;
		changed++;
		snprintf(text, sizeof(text), "%s: %" PRIu64 " inserted, %"
			 PRIu64 " updated, %" PRIu64 " deleted",
			 res->tables[i].name, n->inserted, n->updated,
			 n->deleted);
		line(ctx, text);
	}
	snprintf(text, sizeof(text), "%s: %zu tables, %zu changed, %u lists "
		 "created, %u dropped%s", what, res->ntables, changed,
		 res->lists_created, res->lists_dropped,
		 changed || res->lists_created || res->lists_dropped ? ""
		 : ": nothing to do");
	line(ctx, text);
}

/* print_line - sync_print line callback: to a stdio stream */
static void print_line(void *ctx, const char *text)
{
	fprintf(ctx, "%s\n", text);
}

/* cmd_sync - mq sync --from-sql | --to-sql [--address URL] */
int	cmd_sync(int argc, char **argv)
{
	const char *address = NULL;
	struct sql_sync_result res;
	struct sql_conn *conn;
	struct store *st;
	int from = -1, ex;

	if (cli_help(argc, argv, sync_usage))
		return 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--from-sql") == 0 && from < 0)
			from = 1;
		else if (strcmp(argv[i], "--to-sql") == 0 && from < 0)
			from = 0;
		else if (strcmp(argv[i], "--address") == 0 && i + 1 < argc)
			address = argv[++i];
		else
			return cli_usage(sync_usage);
	}
	if (from < 0)
		return cli_usage(sync_usage);
	if ((ex = sync_connect(address, &conn)))
		return ex;
	if (!(st = cli_open_store(0, &ex))) {
		sql_close(conn);
		return ex;
	}
	ex = from ? sql_sync_from(conn, st, sync_flags(), &res)
		: sql_sync_to(conn, st, sync_flags(), &res);
	if (ex)
		cli_error("sync %s: %s", from ? "--from-sql" : "--to-sql",
			  res.err);
	else
/* sync_print - see sync_cli.h */
		sync_print(&res, from ? "from-sql" : "to-sql", print_line,
			   stdout);
	sql_sync_result_free(&res);
	store_close(st);
	sql_close(conn);
	return ex;
}

/* serve_pid - the pid in the pid file of a running serve, or 0. */
static pid_t serve_pid(const char *path)
{
	FILE *f = fopen(path, "r");
	long pid = 0;

	if (!f)
		return 0;
	if (fscanf(f, "%ld", &pid) != 1 || pid <= 1)
		pid = 0;
	fclose(f);
	if (pid && kill((pid_t)pid, 0) != 0 && errno == ESRCH)
		pid = 0;
	return (pid_t)pid;
}

/* cmd_reload - mq reload: SIGHUP to the running serve */
int	cmd_reload(int argc, char **argv)
{
	char path[sizeof(cli_config.store_path) + 8];
	pid_t pid;

	if (cli_help(argc, argv, reload_usage))
		return 0;
	if (argc != 1)
		return cli_usage(reload_usage);
	serve_pid_path(path, sizeof(path));
	if (!(pid = serve_pid(path))) {
		cli_error("%s: no mq serve runs for store %s", path,
			  cli_config.store_path);
		return EXIT_NOTFOUND;
	}
	if (kill(pid, SIGHUP) != 0) {
		cli_error("%s: cannot signal pid %ld: %s", path, (long)pid,
			  strerror(errno));
		return EXIT_SOFTWARE;
	}
	printf("reload: SIGHUP sent to mq serve, pid %ld\n", (long)pid);
	return 0;
}
