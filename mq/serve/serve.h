/*
 * NAME
 *	serve.h - the mq serve process: run it, find the one running
 * SYNOPSIS
 *	#include "mq/serve/serve.h"
 *
 *	enum result_kind k = serve_run(DB_NONE);
 *	pid_t pid = serve_running_pid();
 * DESCRIPTION
 *	mq/serve/ is the serve process: one libevent event base in the
 *	main thread for the signals (SIGTERM and SIGINT stop, SIGHUP
 *	reloads) and the timers (a reload every database-ttl seconds,
 *	housekeeping every minute); the pid file; and the single writer
 *	(writer.h) that runs every write of the process in one order: the
 *	API's writes, the loads from SQL, the DKIM statuses after a load
 *	and the ips rows at start.  The HTTP workers (mq/http/) are
 *	started by it and hand their writes to that writer.
 *
 *	This is the room's one public header: the command line (mq serve,
 *	mq reload) calls these; nothing here prints or exits.
 * DIAGNOSTICS
 *	Messages go through ops_error (mq/ops/ops.h), the log through
 *	log.h; neither holds a password.
 */
#ifndef MQ_SERVE_H
#define MQ_SERVE_H

#include <sys/types.h>

#include "store/store.h"

/* What mq serve does to the SQL tables before its first load. */
enum db_action { DB_NONE, DB_REPAIR, DB_PURGE };

/*
 * serve_run - take the pid file, open the store, load it from SQL when
 *	a database-address is set (after act), start the HTTP workers
 *	(unless www-port is 0) and serve until SIGTERM or SIGINT; then
 *	answer what is in flight, close the store and remove the pid file.
 *	Returns RESULT_OK after a clean stop; RESULT_TRYAGAIN when another
 *	mq serve holds the store's pid file (the message names its pid);
 *	RESULT_BADDATA when the store file is damaged; RESULT_INTERNAL
 *	when the store, the pid file or the port cannot be opened.
 */
enum result_kind serve_run(enum db_action act);

/*
 * serve_running_pid - the pid of the mq serve of the configured store,
 *	or 0 when none runs.  The pid file's lock, not the pid written in
 *	it, says whether one runs: a stale file naming some other live
 *	process gives 0.
 */
pid_t	serve_running_pid(void);

#endif
