/*
 * NAME
 *	cmd_sync.c - mq sync and mq reload
 * SYNOPSIS
 *	mq sync --from-sql | --to-sql [--address URL]
 *	mq reload
 * DESCRIPTION
 *	mq sync makes the store equal to the SQL database (--from-sql, the
 *	difference applied in short write transactions) or the SQL database equal to the store
 *	(--to-sql, one SQL transaction), and prints what changed per
 *	table.  mq reload sends SIGHUP to the mq serve of this store,
 *	found through its pid file: only while that file's lock is held,
 *	so a stale file never gets another process signalled.
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

#include "mq/cli/cli.h"
#include "mq/ops/dkim_check.h"
#include "mq/ops/write.h"
#include "mq/ops/ops.h"
#include "mq/ops/shapes.h"
#include "mq/serve/serve.h"

static const char sync_usage[] =
	"usage: mq sync --from-sql | --to-sql [--address URL] [--json]\n"
	"--from-sql makes the store equal to the SQL database of\n"
	"database-address (or URL): every MailerQ table and every list found\n"
	"in SQL (a table T with its T_slog), in short store transactions.\n"
	"--to-sql makes the SQL database equal to the store, in one SQL\n"
	"transaction, creating missing tables and columns first.  Both print\n"
	"what changed per table (--json: one object, the tables that changed\n"
	"with their counts); an unchanged source writes nothing.  Exit 75\n"
	"when the server is unreachable; a failed sync changes nothing.\n";

static const char reload_usage[] =
	"usage: mq reload\n"
	"Make the running 'mq serve' of this store reload from\n"
	"database-address, when one is set, and check the DKIM keys against\n"
	"DNS again (it sends SIGHUP to the pid in <store-path>.pid while mq\n"
	"serve holds that file's lock).  Exit 1 when no mq serve runs.\n";

/* print_line - sync_print line callback: to stdout, a warning to stderr */
static void print_line(void *ctx, bool warning, const char *text)
{
	(void)ctx;
	if (warning)
		cli_error("warning: %s", text);
	else
		printf("%s\n", text);
}

/* cmd_sync - mq sync --from-sql | --to-sql [--address URL] */
int	cmd_sync(int argc, char **argv)
{
	const char *address = NULL;
	struct sql_sync_result res;
	struct sql_conn *conn;
	struct store *st;
	int from = -1, ex;
	bool json;

	if (cli_help(argc, argv, sync_usage))
		return 0;
	json = cli_json_flag(&argc, argv);
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
	if (from && (ex = cli_exit(ops_write_refused())))
		return ex;
	/* a load only reads: it never creates a missing SQLite file */
	if ((ex = cli_exit(ops_sql_connect(address, from == 1, &conn))))
		return ex;
	if (!(st = cli_open_store(0, &ex))) {
		sql_close(conn);
		return ex;
	}
	cli_meter_start("sync", from ? METER_READ : METER_WRITTEN, 0);
	ex = cli_exit(from ? sql_sync_from(conn, st, ops_sync_flags(), &res)
		      : sql_sync_to(conn, st, ops_sync_flags(), &res));
	if (ex)
		cli_meter_stop();
	else
		cli_meter_end("%s: %zu tables", from ? "from-sql" : "to-sql",
			      res.ntables);
	if (ex)
		cli_error("sync %s: %s", from ? "--from-sql" : "--to-sql",
			  res.err);
	else if (json)
		ex = cli_json_print(ops_sync_json(&res, from ? "from-sql"
						  : "to-sql"));
	else
		ops_sync_print(&res, from ? "from-sql" : "to-sql", print_line,
			   stdout);
	/* a key from SQL that can never sign is marked before any lookup */
	if (!ex && from && dkim_check_local(st, res.err, sizeof(res.err)))
		cli_error("warning: %s", res.err);
	sql_sync_result_free(&res);
	store_close(st);
	sql_close(conn);
	return ex;
}

/* cmd_reload - mq reload: SIGHUP to the running serve */
int	cmd_reload(int argc, char **argv)
{
	char path[sizeof(mq_conf.store_path) + 8];
	pid_t pid;

	if (cli_help(argc, argv, reload_usage))
		return 0;
	if (argc != 1)
		return cli_usage(reload_usage);
	config_pid_path(&mq_conf, path, sizeof(path));
	if (!(pid = serve_running_pid())) {
		cli_error("%s: no mq serve runs for store %s", path,
			  mq_conf.store_path);
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
