/*
 * NAME
 *	cli.h - what mq's command files share: exit codes, errors, the store
 * DESCRIPTION
 *	Each command lives in mq/cmd_*.c as int cmd_NAME(argc, argv), argv[0]
 *	being the command's name, and returns mq's exit status:
 *	0 ok, 1 not found / false, 64 usage, 65 bad data, 70 internal,
 *	75 temporary failure.  Errors go to stderr as one line "mq: ...".
 */
#ifndef MQ_CLI_H
#define MQ_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "mq/config.h"
#include "store/store.h"

#define EXIT_NOTFOUND	1
#define EXIT_USAGE	64
#define EXIT_DATAERR	65
#define EXIT_SOFTWARE	70
#define EXIT_TEMPFAIL	75

void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * cli_exit - the exit status of a result kind: ok 0, not found 1,
 *	bad data 65, config 64, try again 75, internal 70, no space (disk
 *	full, store-max-size) 75: the write goes through once room is
 *	made.  The only place
 *	exit statuses are made from results.
 */
int cli_exit(enum result_kind k);

/* cli_store_exit - the exit status for a store failure. */
int cli_store_exit(enum store_rc rc);

/* cli_store_fail - report the store's last error; returns the exit status. */
int cli_store_fail(struct store *st, enum store_rc rc);

/*
 * cli_fault_input - the command's input is mapped at map, len bytes
 *	(NULL: no longer): a fault reading it (the file cut short under the
 *	command) ends the process with "mq: stdin: the file was cut short
 *	while mq read it" and exit 75, before any commit, and is not taken
 *	for a damaged store.
 */
void cli_fault_input(const void *map, size_t len);

/*
 * cli_open_store - open the configured store; on failure report, NULL.
 *	A store larger than store-max-size is reported as a warning.  From
 *	then on a fault reading the store's map (a file damaged under the
 *	command) ends the process with one line and exit 70, not a core.
 */
struct store *cli_open_store(unsigned flags, int *exit_out);

/*
 * cli_help - if argv asks for help (-h, --help), print usage to stdout
 *	and return true.
 */
bool cli_help(int argc, char **argv, const char *usage);

/* cli_usage - print usage to stderr; returns EXIT_USAGE. */
int cli_usage(const char *usage);

/*
 * cli_json_print - print v (stolen; NULL: out of memory) as one line of
 *	compact JSON on stdout; returns the exit status (0, or 70 when out
 *	of memory or stdout fails).
 */
struct json_t;
int cli_json_print(struct json_t *v);

/*
 * cli_json_flag - remove every "--json" from argv (argc updated); true
 *	when there was one.  Before "--" only.
 */
bool cli_json_flag(int *argc, char **argv);

/* cli_progress - a progress line on a terminal; silent when piped. */
void cli_progress(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_progress_done(void);

/*
 * The progress meter of a long command (mq/cli/progress.c): what it
 * counts, the bytes this process has read, written, or mapped in.
 */
enum cli_meter_source { METER_READ, METER_WRITTEN, METER_MAPPED };

/*
 * cli_meter_start - count from now; on a terminal, redraw a line on
 *	stderr with rate and (with a total, 0: unknown) time left.
 */
void cli_meter_start(const char *label, enum cli_meter_source src,
		     uint64_t total);

/* cli_meter_add - count bytes done that /proc does not see (a file mapped) */
void cli_meter_add(uint64_t bytes);

/* cli_meter_end - stop, and print "mq: LABEL: WHAT, BYTES in S s (R/s)". */
void cli_meter_stop(void);	/* stop, no summary: the command failed */
void cli_meter_end(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

int cmd_serve(int argc, char **argv);
int cmd_get(int argc, char **argv);
int cmd_set(int argc, char **argv);
int cmd_del(int argc, char **argv);
int cmd_dump(int argc, char **argv);
int cmd_tables(int argc, char **argv);
int cmd_stat(int argc, char **argv);
int cmd_backup(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_list_create(int argc, char **argv);
int cmd_list_drop(int argc, char **argv);
int cmd_config(int argc, char **argv);
int cmd_sql(int argc, char **argv);
int cmd_watch(int argc, char **argv);

/* SQL mirror */
int cmd_sync(int argc, char **argv);
int cmd_check_database(int argc, char **argv);
int cmd_repair_database(int argc, char **argv);
int cmd_purge_database(int argc, char **argv);
int cmd_reload(int argc, char **argv);
int cmd_health(int argc, char **argv);
int cmd_cluster(int argc, char **argv);
int cmd_promote(int argc, char **argv);
/* delivery-settings lookups */
int cmd_lookup(int argc, char **argv);
int cmd_dkim_record(int argc, char **argv);
/* mailing lists */
int cmd_sub(int argc, char **argv);
int cmd_unsub(int argc, char **argv);
int cmd_issub(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_split(int argc, char **argv);
int cmd_cookie(int argc, char **argv);
int cmd_checktag(int argc, char **argv);
int cmd_mlog(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_log(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_version(int argc, char **argv);

#endif
