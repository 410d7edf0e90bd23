/*
 * NAME
 *	main.c - mq: command dispatch, --config and the environment
 * SYNOPSIS
 *	mq [--config FILE] COMMAND [ARGS...]
 * DESCRIPTION
 *	Loads the configuration (built-in defaults, the config file, then
 *	MQ_* environment variables), hands sql-compat/ mq's resolver for
 *	host names, and runs one command.  --config may stand anywhere
 *	before a lone "--".
 */
#include <stdio.h>
#include <string.h>

#include "mq/cli/cli.h"
#include "mq/log.h"
#include "mq/ops/dns.h"

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *about;
};

static const struct command commands[] = {
	{ "serve", cmd_serve, "run the store service until SIGTERM" },
	{ "get", cmd_get, "print the rows of a table matching col=val" },
	{ "set", cmd_set, "insert or update a row (or TSV rows from stdin)" },
	{ "del", cmd_del, "delete the rows matching col=val" },
	{ "dump", cmd_dump, "print a whole table as TSV or JSON" },
	{ "tables", cmd_tables, "list the tables and their columns" },
	{ "stat", cmd_stat, "store file, sequence, readers, row counts" },
	{ "watch", cmd_watch, "print committed changes as they happen" },
	{ "backup", cmd_backup, "write a verified hot copy of the store" },
	{ "verify", cmd_verify, "check every table of a store file" },
	{ "list-create", cmd_list_create, "create a mailing list's tables" },
	{ "list-drop", cmd_list_drop, "remove a mailing list and its rows" },
	{ "config", cmd_config, "print the effective configuration" },
	{ "sql", cmd_sql, "SQL tools: ping, schema, grant" },
	{ "sync", cmd_sync, "make the store equal to SQL, or SQL to the store" },
	{ "check-database", cmd_check_database, "validate the SQL tables" },
	{ "repair-database", cmd_repair_database,
	  "create missing SQL tables and columns, drop obsolete ones" },
	{ "purge-database", cmd_purge_database,
	  "drop and recreate every SQL table" },
	{ "reload", cmd_reload, "make the running mq serve reload, re-check DKIM keys" },
	{ "health", cmd_health, "ask the running mq serve for GET /health" },
	{ "cluster", cmd_cluster, "replication: keygen, status" },
	{ "promote", cmd_promote, "make a replica primary (new epoch)" },
	{ "lookup", cmd_lookup, "capacity, dkim, local, paused ... lookups" },
	{ "dkim-record", cmd_dkim_record, "the DNS TXT record of a DKIM key" },
	{ "sub", cmd_sub, "subscribe addresses to a list" },
	{ "unsub", cmd_unsub, "unsubscribe addresses from a list" },
	{ "issub", cmd_issub, "is an address subscribed?" },
	{ "list", cmd_list, "print a list's (or a sublist's) subscribers" },
	{ "split", cmd_split, "the sublist split: add, del, list, check" },
	{ "cookie", cmd_cookie, "the cookie of a list message" },
	{ "checktag", cmd_checktag, "check a message's cookie at a sublist" },
	{ "mlog", cmd_mlog, "log a message event" },
	{ "status", cmd_status, "recent messages per sublist" },
	{ "log", cmd_log, "search a list's subscription log" },
	{ "import", cmd_import, "import an ezmlm list directory" },
	{ "export", cmd_export, "export a list as an ezmlm directory" },
	{ "version", cmd_version, "mq's version and its libraries' (--version)" },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *out)
{
	fputs("usage: mq [--config FILE] COMMAND [ARGS...]\n\n"
	      "mq keeps a mail system's delivery settings and its mailing "
	      "lists'\nsubscribers in one LMDB file.\n\ncommands:\n", out);
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(out, "  %-15s %s\n", commands[i].name,
			commands[i].about);
	fputs("\n'mq COMMAND --help' describes a command; 'mq --version' "
	      "prints the version.\nThe config file is "
	      CONFIG_DEFAULT_PATH "\nunless --config names another; every "
	      "key may also be set as MQ_KEY_NAME.\nExit status: 0 ok, 1 "
	      "not found, 64 usage, 65 bad data, 70 internal error,\n75 "
	      "temporary failure.\n", out);
}

/* take_config - remove "--config FILE" from argv; its value or NULL. */
static const char *take_config(int *argc, char **argv, bool *bad)
{
	const char *path = NULL;
	int j = 1;

	for (int i = 1; i < *argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			while (i < *argc)
				argv[j++] = argv[i++];
			break;
		}
		if (strcmp(argv[i], "--config") == 0) {
			if (i + 1 >= *argc)
				*bad = true;
			else
				path = argv[++i];
			continue;
		}
		if (strncmp(argv[i], "--config=", 9) == 0) {
			path = argv[i] + 9;
			continue;
		}
		argv[j++] = argv[i];
	}
	*argc = j;
	argv[j] = NULL;
	return path;
}

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

int main(int argc, char **argv)
{
	const struct command *cmd;
	char err[CONFIG_ERR_MAX];
	bool bad = false;
	const char *path = take_config(&argc, argv, &bad);

	if (bad || argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "-h")) {
		if (argc > 2 && (cmd = find_command(argv[2]))) {
			char *help[] = { argv[2], "--help", NULL };
			return cmd->run(2, help);
		}
		usage(stdout);
		return 0;
	}
	cmd = find_command(strcmp(argv[1], "--version") ? argv[1] : "version");
	if (!cmd) {
		cli_error("unknown command '%s' (try 'mq --help')", argv[1]);
		return EXIT_USAGE;
	}
	/* Help and the version need no configuration: they work when the
	 * file is bad. */
	if (cmd->run == cmd_version || cli_help(argc - 1, argv + 1, ""))
		return cmd->run(argc - 1, argv + 1);
	if (config_load(&mq_conf, path, err, sizeof(err)) < 0) {
		cli_error("%s", err);
		return EXIT_USAGE;
	}
	log_set_level(mq_conf.log_level);
	if (!strcmp(cmd->name, "serve"))
		config_ignored_report(&mq_conf);
	/* SQL host names go through c-ares and dns-servers, never NSS. */
	sql_set_resolver(dns_sql_resolve);
	return cmd->run(argc - 1, argv + 1);
}
