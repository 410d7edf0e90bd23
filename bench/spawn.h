/*
 * NAME
 *	spawn.h - benchmarks running mq itself: find it, run it, reap it
 * SYNOPSIS
 *	#define PROG "name"
 *	#include "bench/bench.h"
 *	#include "bench/spawn.h"
 * DESCRIPTION
 *	Header-only, like bench.h, for a benchmark that measures what a
 *	separate mq process costs (bench/lists.c: "mq sub T -" from a
 *	file, 12 "mq list --sublist" runs).  A child is started with
 *	posix_spawn, no shell: either its stdout is a pipe the benchmark
 *	reads, or its stdin is a file and its stdout /dev/null; its
 *	stderr and environment are the benchmark's.
 * DIAGNOSTICS
 *	Each function dies (bench.h's die(), exit 1) on failure, naming
 *	what it ran and why: the binary that cannot be run, the exit
 *	status or the signal of a child.
 */
#ifndef MQ_BENCH_SPAWN_H
#define MQ_BENCH_SPAWN_H

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/*
 * spawn_mq_path - the mq to run: $MQ_BIN, else the mq of this build
 *	(the benchmark is B/bench/NAME, mq is B/mq); dies when it cannot
 *	be executed.
 */
static inline void spawn_mq_path(char *buf, size_t len)
{
	const char *env = getenv("MQ_BIN");
	char self[4096];
	ssize_t n;

	if (env && *env)
		snprintf(buf, len, "%s", env);
	else {
		n = readlink("/proc/self/exe", self, sizeof(self) - 1);
		if (n <= 0)
			die("/proc/self/exe: %s (set $MQ_BIN)", strerror(errno));
		self[n] = 0;
		*strrchr(self, '/') = 0;
		snprintf(buf, len, "%s/../mq", self);
	}
	if (access(buf, X_OK))
		die("%s: %s (set $MQ_BIN to the mq binary)", buf,
		    strerror(errno));
}

/*
 * spawn_stdout - start argv[0] (a path, not searched) with its stdout
 *	on a pipe; the pipe's read end, which the caller closes.
 *	what names the run in messages.
 */
static inline int spawn_stdout(char *const argv[], pid_t *pid,
			       const char *what)
{
	posix_spawn_file_actions_t fa;
	int fd[2], err;

	if (pipe2(fd, O_CLOEXEC))
		die("%s: pipe: %s", what, strerror(errno));
	if (posix_spawn_file_actions_init(&fa) ||
	    posix_spawn_file_actions_adddup2(&fa, fd[1], STDOUT_FILENO))
		die("%s: posix_spawn_file_actions: out of memory", what);
	err = posix_spawn(pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(fd[1]);
	if (err)
		die("%s: %s: %s", what, argv[0], strerror(err));
	return fd[0];
}

/*
 * spawn_stdin - start argv[0] with its stdin read from the file in and
 *	its stdout on /dev/null (its stderr stays the benchmark's).
 */
static inline void spawn_stdin(char *const argv[], const char *in,
			       pid_t *pid, const char *what)
{
	posix_spawn_file_actions_t fa;
	int err;

	if (posix_spawn_file_actions_init(&fa) ||
	    posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, in, O_RDONLY,
					     0) ||
	    posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null",
					     O_WRONLY, 0))
		die("%s: posix_spawn_file_actions: out of memory", what);
	err = posix_spawn(pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (err)
		die("%s: %s: %s", what, argv[0], strerror(err));
}

/* spawn_wait - reap pid; die naming what unless it exited 0. */
static inline void spawn_wait(pid_t pid, const char *what)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			die("%s: waitpid: %s", what, strerror(errno));
	if (WIFSIGNALED(status))
		die("%s: killed by signal %d", what, WTERMSIG(status));
	if (WEXITSTATUS(status))
		die("%s: exit status %d", what, WEXITSTATUS(status));
}

#endif
