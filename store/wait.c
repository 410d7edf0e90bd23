/*
 * NAME
 *	wait.c - writers that wait for the write lock, told to a long apply
 * SYNOPSIS
 *	#include "store/internal.h"
 *
 *	store_wait_begin(st); mdb_txn_begin(...); store_wait_end(st);
 *	if (store_writer_waits(st)) pause;
 * DESCRIPTION
 *	LMDB's write mutex does not queue its waiters: a large apply
 *	(apply.c) that committed and began again at once would take it
 *	again before a woken waiter runs.  So a writer says that it
 *	waits, and the apply leaves the lock free between two of its
 *	transactions only when one does (a pause costs the apply's
 *	process its length in wall time, about 40 of them in a load of a
 *	million rows).
 *
 *	Threads of this process count in st->waiting.  Other processes
 *	see one open file description lock (fcntl F_OFD_SETLK, a read
 *	lock) on a byte of the data file far beyond its end, held through
 *	LMDB's own descriptor while the count is above zero.  The kernel
 *	drops it with the last descriptor of that description, so a
 *	waiter killed (SIGKILL) leaves nobody waiting.  The apply asks
 *	with F_OFD_GETLK for a write lock, which sees every other open
 *	file description's read lock but never its own: hence the count.
 *	A forked child shares the description (even past an exec: LMDB's
 *	data descriptor is not close-on-exec): the lock is the parent's
 *	to drop, and if the parent dies while waiting it lasts until the
 *	child exits (mq forks only mq verify's child, for seconds).
 *
 *	Why not something else: LMDB takes no fcntl lock on the data
 *	file (its locks, mdb_env_excl_lock and mdb_reader_pid, are on
 *	the -lock file), so the byte is ours; a second open of the data
 *	or the -lock file would drop the process's POSIX locks, LMDB's
 *	reader-liveness locks among them, when closed; a POSIX lock
 *	would go with any close of the file in the process and is one
 *	for all its threads; a counter in shared memory stays up after a
 *	SIGKILL; a SysV semaphore with SEM_UNDO is undone by the kernel
 *	but lives in one IPC namespace (two containers on one volume
 *	would not see each other) and outlives the store; a side file
 *	locked the same way would be one more file to create and keep
 *	(a read-only user cannot make it).
 * DIAGNOSTICS
 *	None.  A probe that fails (a kernel without OFD locks, before
 *	Linux 3.15) answers that someone waits: the apply pauses after
 *	each transaction, as it did before it could ask.
 */
#include <fcntl.h>

#include "store/internal.h"

/* The byte announced: far past any data file, so nobody else's range. */
#define WAIT_BYTE	((off_t)1 << 62)

/* wait_flock - a lock of type on WAIT_BYTE, as fcntl takes it */
static struct flock wait_flock(short type)
{
	struct flock fl = { .l_type = type, .l_whence = SEEK_SET,
			    .l_start = WAIT_BYTE, .l_len = 1 };

	return fl;
}

/* announce - take (F_RDLCK) or drop (F_UNLCK) the process's lock */
static void announce(struct store *st, short type)
{
	struct flock fl = wait_flock(type);
	int fd;

	if (mdb_env_get_fd(st->env, &fd) == 0)
		(void)fcntl(fd, F_OFD_SETLK, &fl);
}

/* store_wait_begin - see internal.h */
void store_wait_begin(struct store *st)
{
	pthread_mutex_lock(&st->wait_lock);
	if (st->waiting++ == 0)
		announce(st, F_RDLCK);
	pthread_mutex_unlock(&st->wait_lock);
}

/* store_wait_end - see internal.h */
void store_wait_end(struct store *st)
{
	pthread_mutex_lock(&st->wait_lock);
	if (--st->waiting == 0)
		announce(st, F_UNLCK);
	pthread_mutex_unlock(&st->wait_lock);
}

/* store_writer_waits - see internal.h */
bool store_writer_waits(struct store *st)
{
	struct flock fl = wait_flock(F_WRLCK);
	int fd, here;

	pthread_mutex_lock(&st->wait_lock);
	here = st->waiting;
	pthread_mutex_unlock(&st->wait_lock);
	if (here > 0)
		return true;
	if (mdb_env_get_fd(st->env, &fd) != 0 ||
	    fcntl(fd, F_OFD_GETLK, &fl) != 0)
		return true;
	return fl.l_type != F_UNLCK;
}
