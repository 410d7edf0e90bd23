/*
 * NAME
 *	sync_cli.h - what mq sync, mq serve and the write-through share
 * DESCRIPTION
 *	Connecting to the configured database-address with messages and
 *	exit statuses for the command line, printing a sync's result, and
 *	the pid file through which mq reload finds the running mq serve.
 */
#ifndef MQ_SYNC_CLI_H
#define MQ_SYNC_CLI_H

#include <stdio.h>

#include "sql-compat/sync.h"

/*
 * sync_connect - connect to address (NULL: the configured one).
 *	Returns 0, or after reporting: 64 (none configured), 65 (bad
 *	address, refused credentials), 75 (unreachable).
 */
int	sync_connect(const char *address, struct sql_conn **conn);

/* sync_flags - the sql_sync_* flags of the configuration. */
unsigned sync_flags(void);

/*
 * sync_print - "TABLE: N inserted, N updated, N deleted" for each table
 *	that changed, then one summary line, each through line().
 */
void	sync_print(const struct sql_sync_result *res, const char *what,
		   void (*line)(void *ctx, const char *text), void *ctx);

/* serve_pid_path - "<store-path>.pid", where mq serve writes its pid. */
void	serve_pid_path(char *buf, size_t len);

#endif
