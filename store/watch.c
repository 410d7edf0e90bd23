/*
 * watch.c - notice commits to the store file, by any process
 *
 * LMDB writes a commit's pages and then its meta page with pwrite() to
 * the data file (mq never opens it MDB_WRITEMAP), so every commit, by
 * this process or another (a CLI `mq set`, an MTA tool linking
 * libmq.a), modifies the file.  An inotify watch on it therefore wakes
 * a waiter within microseconds of a commit and costs nothing while
 * nobody writes: no polling.  A wake-up says only "something may have
 * committed"; the waiter reads the sequence to learn what.
 *
 * The directory is watched too, for a file moved or written over the
 * store's name (a snapshot installed by rename): the watch on the old
 * inode then sees nothing more, and the waiter must reopen.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "store/internal.h"

static int watch_dir(int fd, const char *path)
{
	char dir[4096];
	const char *slash = strrchr(path, '/');

	if (!slash)
		return inotify_add_watch(fd, ".", IN_MOVED_TO | IN_CREATE);
	if (slash == path)
		return inotify_add_watch(fd, "/", IN_MOVED_TO | IN_CREATE);
	if ((size_t)(slash - path) >= sizeof dir) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(dir, path, (size_t)(slash - path));
	dir[slash - path] = '\0';
	return inotify_add_watch(fd, dir, IN_MOVED_TO | IN_CREATE);
}

int store_watch_open(const struct store *st)
{
	int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);

	if (fd < 0)
		return -1;
	if (inotify_add_watch(fd, st->path, IN_MODIFY | IN_ATTRIB |
			      IN_DELETE_SELF | IN_MOVE_SELF) < 0 ||
	    watch_dir(fd, st->path) < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

void store_watch_drain(int fd)
{
	char buf[16 * (sizeof(struct inotify_event) + NAME_MAX + 1)];

	while (read(fd, buf, sizeof buf) > 0)
		;
}
