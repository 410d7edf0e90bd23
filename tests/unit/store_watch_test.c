/*
 * NAME
 *	store_watch_test - a commit by another process wakes a watcher
 * DESCRIPTION
 *	A store made in a temporary directory is watched with
 *	store_watch_open.  Without a write the fd stays quiet; a child
 *	process that opens the same file and commits one row makes it
 *	readable within a second, and the sequence read after it has
 *	grown; store_watch_drain leaves it quiet again; a file renamed
 *	over the store's name wakes it too.
 * DIAGNOSTICS
 *	TAP lines through check.h.
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store/store.h"
#include "tests/unit/check.h"

static char dir[] = "/tmp/mq-watch-test-XXXXXX";
static char path[256];

static bool readable(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, ms) == 1 && (p.revents & POLLIN);
}

static enum store_rc put_local(struct store_txn *txn, void *arg)
{
	(void)arg;
	struct store_assign a[] = {
		{ 0, { .kind = SV_INT, .i = 7 } },
		{ 1, { .kind = SV_TEXT, .s = "exact", .len = 5 } },
		{ 2, { .kind = SV_TEXT, .s = "example.org", .len = 11 } },
	};

	return store_set(txn, "locals", a, 3, NULL);
}

/* child_write - commit one row from another process; its exit status. */
static int child_write(void)
{
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		struct store *s = NULL;
		char err[512];
		int ok = store_open(path, 0, NULL, &s, err, sizeof err) ==
				 STORE_OK &&
			 store_write(s, put_local, NULL, NULL) == STORE_OK;

		_exit(ok ? 0 : 1);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static uint64_t sequence(struct store *s)
{
	struct store_txn *txn;
	struct store_meta m = { 0 };

	if (store_read_begin(s, &txn) != STORE_OK)
		return 0;
	store_meta_get(txn, &m);
	store_read_end(txn);
	return m.seq;
}

int main(void)
{
	struct store *st = NULL;
	char err[512], cmd[2048], other[300];
	int fd;
	uint64_t before;

	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof path, "%s/mq.mdb", dir);
	CHECK(store_open(path, 0, NULL, &st, err, sizeof err) == STORE_OK,
	      "store opened");
	if (!st)
		return check_done();
	fd = store_watch_open(st);
	CHECK(fd >= 0, "store_watch_open gives a descriptor");
	CHECK(!readable(fd, 100), "no commit: the descriptor stays quiet");
	before = sequence(st);
	CHECK(child_write() == 0, "another process committed a row");
	CHECK(readable(fd, 1000), "its commit woke the watcher");
	CHECK(sequence(st) > before, "the sequence read after it has grown");
	store_watch_drain(fd);
	CHECK(!readable(fd, 100), "drained: quiet again");
	snprintf(other, sizeof other, "%s/other", dir);
	snprintf(cmd, sizeof cmd, "cp %s %s && mv %s %s", path, other, other,
		 path);
	CHECK(system(cmd) == 0 && readable(fd, 1000),
	      "a file moved over the store's name woke the watcher");
	close(fd);
	store_close(st);
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		return 1;
	return check_done();
}
