/*
 * NAME
 *	pidfile.c - mq serve's pid file, held with flock
 * SYNOPSIS
 *	#include "mq/serve/pidfile.h"
 * DESCRIPTION
 *	pidfile_take opens the file (creating it mode 0600) without
 *	truncating it, takes LOCK_EX|LOCK_NB, checks that the locked file
 *	is still the one at the path (a serve that stops removes its file,
 *	perhaps just after another opened it), and only then writes the
 *	pid.  A lock found held is tried again for a moment before giving
 *	up, because mq reload probes it with a shared lock for an instant.
 *
 *	pidfile_holder probes the lock with LOCK_SH|LOCK_NB: when it can
 *	be had, no serve holds the file and the pid in it is stale.
 * DIAGNOSTICS
 *	See pidfile.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mq/ops/ops.h"
#include "mq/serve/pidfile.h"

#define TAKE_TRIES	20	/* lock attempts, TAKE_PAUSE_MS apart */
#define TAKE_PAUSE_MS	10

/* read_pid - the pid written in fd's file, or 0 */
static pid_t read_pid(int fd)
{
	char buf[32], *end;
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	long pid;

	if (n <= 0)
		return 0;
	buf[n] = 0;
	pid = strtol(buf, &end, 10);
	return pid > 1 && (*end == '\n' || *end == 0) ? (pid_t)pid : 0;
}

/* same_file - is the locked fd still the file at path? */
static bool same_file(int fd, const char *path)
{
	struct stat a, b;

	return fstat(fd, &a) == 0 && stat(path, &b) == 0 &&
	       a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* write_pid - this process's pid into the locked file, synced */
static enum result_kind write_pid(struct pidfile *pf)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());

	if (ftruncate(pf->fd, 0) != 0 || pwrite(pf->fd, buf, (size_t)n, 0) != n
	    || fchmod(pf->fd, 0600) != 0 || fsync(pf->fd) != 0) {
		ops_error("%s: %s", pf->path, strerror(errno));
		pidfile_release(pf);
		return RESULT_INTERNAL;
	}
	return RESULT_OK;
}

/* pause_briefly - TAKE_PAUSE_MS */
static void pause_briefly(void)
{
	struct timespec ts = { 0, TAKE_PAUSE_MS * 1000000L };

	nanosleep(&ts, NULL);
}

/* take_fail - report errno's reason; the file is not held */
static enum result_kind take_fail(struct pidfile *pf)
{
	ops_error("%s: %s", pf->path, strerror(errno));
	if (pf->fd >= 0)
		close(pf->fd);
	pf->fd = -1;
	return RESULT_INTERNAL;
}

enum result_kind pidfile_take(struct pidfile *pf, const char *path)
{
	pid_t holder = 0;

	snprintf(pf->path, sizeof(pf->path), "%s", path);
	for (int tries = 0; tries < TAKE_TRIES; tries++) {
		pf->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (pf->fd < 0)
			return take_fail(pf);
		if (flock(pf->fd, LOCK_EX | LOCK_NB) == 0) {
			if (same_file(pf->fd, path))
				return write_pid(pf);
		} else if (errno == EWOULDBLOCK)
			holder = read_pid(pf->fd);
		else
			return take_fail(pf);
		close(pf->fd);
		pf->fd = -1;
		pause_briefly();
	}
	if (holder)
		ops_error("%s: mq serve runs already as pid %ld", path,
			  (long)holder);
	else
		ops_error("%s: another mq serve holds it", path);
	return RESULT_TRYAGAIN;
}

void	pidfile_release(struct pidfile *pf)
{
	if (pf->fd < 0)
		return;
	/* removed while still locked: whoever opens it now finds it gone */
	unlink(pf->path);
	close(pf->fd);
	pf->fd = -1;
}

pid_t	pidfile_holder(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	pid_t pid = 0;

	if (fd < 0)
		return 0;
	if (flock(fd, LOCK_SH | LOCK_NB) == 0)
		flock(fd, LOCK_UN);	/* nobody holds it: a stale file */
	else if (errno == EWOULDBLOCK)
		pid = read_pid(fd);
	close(fd);
	return pid;
}
