/*
 * NAME
 *	cmd_serve.c - mq serve: its arguments and its exit status
 * SYNOPSIS
 *	mq serve [--repair-database | --purge-database]
 * DESCRIPTION
 *	Parses the arguments and runs the serve process (serve_run,
 *	mq/serve/serve.h) until SIGTERM or SIGINT.
 * DIAGNOSTICS
 *	Exit 0 after SIGTERM/SIGINT; 64 usage; 75 another mq serve holds
 *	the store's pid file (the message names its pid); 65 the store file
 *	is damaged; 70 the store, the pid file or the port cannot be
 *	opened.
 */
#include <string.h>

#include "mq/cli/cli.h"
#include "mq/serve/serve.h"

static const char serve_usage[] =
	"usage: mq serve [--config FILE] [--repair-database | --purge-database]\n"
	"Open the store (store-path, default ./var/mq.mdb; created mode 0600\n"
	"if missing) and serve it until SIGTERM or SIGINT.  With\n"
	"database-address set, load it from SQL at start and every\n"
	"database-ttl seconds, on SIGHUP and on 'mq reload'; a failed load\n"
	"keeps the last good data.  --repair-database creates missing SQL\n"
	"tables and columns first; --purge-database drops and recreates them.\n"
	"The HTTP API and console listen on www-ip:www-port (default\n"
	"127.0.0.1:8485; www-port 0 turns them off); writes need the\n"
	"www-token as 'Authorization: Bearer TOKEN'.  See docs/http.md.\n"
	"One mq serve per store: a second one exits 75 naming the first.\n";

/* cmd_serve - mq serve [--repair-database | --purge-database] */
int	cmd_serve(int argc, char **argv)
{
	enum db_action act = DB_NONE;

	if (cli_help(argc, argv, serve_usage))
		return 0;
	if (argc == 2 && strcmp(argv[1], "--repair-database") == 0)
		act = DB_REPAIR;
	else if (argc == 2 && strcmp(argv[1], "--purge-database") == 0)
		act = DB_PURGE;
	else if (argc != 1)
		return cli_usage(serve_usage);
	return cli_exit(serve_run(act));
}
