/*
 * NAME
 *	pidfile.h - mq serve's pid file, held with a lock
 * SYNOPSIS
 *	#include "mq/serve/pidfile.h"
 *
 *	struct pidfile pf;
 *	if ((k = pidfile_take(&pf, path)))
 *		return k;
 *	...
 *	pidfile_release(&pf);
 * DESCRIPTION
 *	The file <store-path>.pid holds the serve's pid and is locked
 *	(flock LOCK_EX) on a descriptor kept open for the life of the
 *	process, so the kernel drops the lock when the process ends, how
 *	ever it ends.  The lock decides whether a serve runs; the pid in
 *	the file only names it.  A file left by a killed serve is taken
 *	over, whatever process its pid names today.
 * DIAGNOSTICS
 *	pidfile_take reports through ops_error and returns
 *	RESULT_TRYAGAIN when another serve holds the lock (naming its
 *	pid), RESULT_INTERNAL when the file cannot be opened or written.
 */
#ifndef MQ_SERVE_PIDFILE_H
#define MQ_SERVE_PIDFILE_H

#include <sys/types.h>

#include "mq/config.h"
#include "store/store.h"

struct pidfile {
	int fd;			/* locked; -1 when not held */
	char path[sizeof(mq_conf.store_path) + 8];
};

/* pidfile_take - lock path and write this process's pid into it. */
enum result_kind pidfile_take(struct pidfile *pf, const char *path);

/* pidfile_release - remove the file, then drop the lock. */
void	pidfile_release(struct pidfile *pf);

/* pidfile_holder - the pid of the process holding path's lock, or 0. */
pid_t	pidfile_holder(const char *path);

#endif
