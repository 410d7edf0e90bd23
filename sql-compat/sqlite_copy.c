/*
 * NAME
 *	sqlite_copy.c - a copy of a shared SQLite file, taken without
 *	holding other writers off
 * SYNOPSIS
 *	#include "sql-compat/sqlite_int.h"
 *
 *	enum sql_rc sqlite_copy_file(struct sql_conn *conn, sqlite3 *mem,
 *				     int *tries, bool *locked,
 *				     struct sqlite_copy *copy);
 *	void sqlite_copy_release(struct sqlite_copy *copy);
 *	enum sql_rc sqlite_file_identity(struct sql_conn *conn, char *buf,
 *					 size_t len);
 * DESCRIPTION
 *	In rollback-journal mode (SQLite's default, and what ezmlm-idx's
 *	plugin makes) a reader's lock stops every other writer's commit,
 *	and a writer without a busy timeout (ezmlm-idx's) then fails at
 *	once.  A read snapshot therefore reads a copy of the file, and
 *	the copy is read without the lock: the lock is taken only for a
 *	moment before and after, to see that no writer touched the file
 *	meanwhile (copy_unlocked says why that suffices).  A copy that a
 *	writer overlapped is read again; when SQLITE_COPY_MS or
 *	SQLITE_COPY_TRIES run out (writers committing more often than
 *	the file can be read) the last is read under the lock, as a plain
 *	read transaction would, so the snapshot is always taken.
 * DIAGNOSTICS
 *	"snapshot: REASON": the file cannot be opened or read, no memory,
 *	or SQLite's error taking the lock (busy after busy_timeout).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sql-compat/sqlite_int.h"

/* The first bytes of a journal that holds a transaction's pages. */
static const unsigned char journal_magic[8] = {
	0xd9, 0xd5, 0x05, 0xf9, 0x20, 0xa1, 0x63, 0xd7
};

/* The file change counter: bytes 24..27 of the header, big-endian. */
#define COUNTER_AT 24

/* The header's read and write versions: 2 in WAL mode. */
#define VERSIONS_AT 18
#define VERSION_WAL 2

/* The byte SQLite's unix VFS locks for RESERVED (PENDING_BYTE + 1). */
#define RESERVED_BYTE 0x40000001

/* How long a read lock waits for a writer holding RESERVED to finish. */
#define WAIT_WRITER_MS 50

/*
 * The copy is read into memory mapped and populated beforehand, so that
 * reading it costs no page faults: the shorter the read, the less likely
 * a writer commits meanwhile.  MAP_POPULATE makes the pages in one call,
 * where touching them (a memset) took a fault each and wrote them once
 * more: a tenth of the CPU of a first load of a big file.
 */
struct file_copy {
	unsigned char *buf;	/* mmap: sqlite_copy_release unmaps it */
	size_t	cap, len;
};

/* What tells one state of the file from another. */
struct file_state {
	uint32_t counter;
	off_t	size;
	struct timespec mtime, ctime;
	dev_t	dev;
	ino_t	ino;
	bool	replaced;	/* the path names another file than fd */
	bool	wal;		/* commits leave the counter as it is */
};

/* copy_fail - a snapshot failure of the system's (errno) or no memory */
static enum sql_rc copy_fail(struct sql_conn *conn, int err)
{
	return sql_conn_fail(conn, err ? SQL_TEMPFAIL : SQL_INTERNAL,
			     "snapshot", "%s: %s", conn->address->path,
			     err ? strerror(err) : "out of memory");
}

/* copy_prepare - a touched buffer for the file as big as it is now */
static enum sql_rc copy_prepare(struct sql_conn *conn, struct file_copy *c)
{
	struct stat sb;

	if (stat(conn->address->path, &sb) != 0)
		return copy_fail(conn, errno);
	c->cap = (size_t)sb.st_size + 4096;	/* a page more: file_read grows it */
	c->buf = mmap(NULL, c->cap, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (c->buf == MAP_FAILED) {
		c->buf = NULL;
		return copy_fail(conn, errno);
	}
	return SQL_OK;
}

/* file_read - the bytes of fd into c; 0, or -1 and errno (0: memory) */
static int file_read(int fd, struct file_copy *c)
{
	struct stat sb;
	unsigned char *more;
	ssize_t	r;

	if (fstat(fd, &sb) != 0)
		return -1;
	if ((size_t)sb.st_size > c->cap) {	/* it grew since copy_prepare */
		more = mremap(c->buf, c->cap, (size_t)sb.st_size, MREMAP_MAYMOVE);
		if (more == MAP_FAILED)
			return -1;
		c->buf = more;
		c->cap = (size_t)sb.st_size;
	}
	for (c->len = 0; c->len < (size_t)sb.st_size; c->len += (size_t)r)
		if ((r = pread(fd, c->buf + c->len, (size_t)sb.st_size - c->len,
			       (off_t)c->len)) <= 0) {
			errno = r < 0 ? errno : EIO;
			return -1;
		}
	return 0;
}

/* counter_of - the change counter in a header of len bytes */
static uint32_t counter_of(const unsigned char *h, size_t len)
{
	if (len < COUNTER_AT + 4)
		return 0;
	h += COUNTER_AT;
	return (uint32_t) h[0] << 24 | (uint32_t) h[1] << 16 |
	       (uint32_t) h[2] << 8 | h[3];
}

/* state_read - the state of the file open as fd at path; -1 and errno */
static int state_read(int fd, const char *path, struct file_state *s)
{
	unsigned char h[COUNTER_AT + 4];
	struct stat fsb, psb;
	ssize_t	r;

	if (fstat(fd, &fsb) != 0 || stat(path, &psb) != 0)
		return -1;
	if ((r = pread(fd, h, sizeof(h), 0)) < 0)
		return -1;
	s->counter = counter_of(h, (size_t)r);
	s->wal = r > VERSIONS_AT + 1 && (h[VERSIONS_AT] == VERSION_WAL ||
					  h[VERSIONS_AT + 1] == VERSION_WAL);
	s->size = fsb.st_size;
	s->mtime = fsb.st_mtim;
	s->ctime = fsb.st_ctim;
	s->dev = fsb.st_dev;
	s->ino = fsb.st_ino;
	s->replaced = fsb.st_dev != psb.st_dev || fsb.st_ino != psb.st_ino;
	return 0;
}

/* states_equal - no commit, rollback or replacement between a and b */
static bool states_equal(const struct file_state *a, const struct file_state *b)
{
	return !a->replaced && !b->replaced && a->counter == b->counter &&
	       a->size == b->size && a->dev == b->dev && a->ino == b->ino &&
	       a->mtime.tv_sec == b->mtime.tv_sec &&
	       a->mtime.tv_nsec == b->mtime.tv_nsec;
}

/*
 * state_identity - what sql_identity says of state s: "" in WAL mode;
 * else every part that a commit, a rollback or another file at the
 * path changes (a file copied over it keeps no ctime).
 */
static void state_identity(const struct file_state *s, char *buf, size_t len)
{
	if (s->wal || s->replaced) {
		buf[0] = 0;
		return;
	}
	snprintf(buf, len, "sqlite %ju:%ju size %jd counter %" PRIu32
		 " mtime %jd.%09ld ctime %jd.%09ld", (uintmax_t)s->dev,
		 (uintmax_t)s->ino, (intmax_t)s->size, s->counter,
		 (intmax_t)s->mtime.tv_sec, s->mtime.tv_nsec,
		 (intmax_t)s->ctime.tv_sec, s->ctime.tv_nsec);
}

/*
 * journal_active - does path's journal hold a transaction's pages (a
 * writer between syncing its journal and committing, or one that died
 * there: a hot journal)?  SQLite writes the magic only once the pages
 * are in the journal, before it writes the database file, and a commit
 * deletes, truncates or zeroes it.  Unsure (the name too long, an
 * error) counts as yes.
 */
static bool journal_active(const char *path)
{
	char	name[PATH_MAX];
	unsigned char head[sizeof(journal_magic)];
	int	fd, n = snprintf(name, sizeof(name), "%s-journal", path);
	ssize_t	r;

	if (n < 0 || (size_t) n >= sizeof(name))
		return true;
	if ((fd = open(name, O_RDONLY | O_CLOEXEC)) < 0)
		return errno != ENOENT;
	r = pread(fd, head, sizeof(head), 0);
	close(fd);
	return r < 0 || (r == sizeof(head) &&
			 memcmp(head, journal_magic, sizeof(head)) == 0);
}

/* read_unlock - end the read transaction on the file, if any */
static void read_unlock(struct sql_conn *conn)
{
	if (!sqlite3_get_autocommit(conn->handle))
		sqlite3_exec(conn->handle, "ROLLBACK", NULL, NULL, NULL);
}

/*
 * writer_committing - does another process hold SQLite's RESERVED lock
 * on fd's file, a writer that will want to commit?  SQLite's unix VFS
 * locks bytes of the file (fcntl, as its file format documents): the
 * RESERVED lock is a write lock on the byte after PENDING_BYTE.
 */
static bool writer_committing(int fd)
{
	struct flock fl = {
		.l_type = F_WRLCK, .l_whence = SEEK_SET,
		.l_start = RESERVED_BYTE, .l_len = 1
	};

	return fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK;
}

/* sqlite_file_wal - see sqlite_int.h */
bool	sqlite_file_wal(const char *path)
{
	unsigned char h[VERSIONS_AT + 2];
	int	fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t	r = fd < 0 ? -1 : pread(fd, h, sizeof(h), 0);

	if (fd >= 0)
		close(fd);
	return r == (ssize_t)sizeof(h) && (h[VERSIONS_AT] == VERSION_WAL ||
					   h[VERSIONS_AT + 1] == VERSION_WAL);
}

/* sqlite_wait_writer - see sqlite_int.h */
void	sqlite_wait_writer(const char *path)
{
	struct timespec ms = { 0, 1000000 };
	int	fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	for (int i = 0; i < WAIT_WRITER_MS && writer_committing(fd); i++)
		nanosleep(&ms, NULL);
	close(fd);
}

/*
 * read_lock - a read transaction on the file (fd), its SHARED lock
 * taken; taking it rolls back a hot journal first, as every SQLite
 * reader does.  A writer that meets our SHARED lock when it commits
 * fails at once if it has no busy timeout, so the lock is taken when
 * no writer holds RESERVED (waiting up to WAIT_WRITER_MS for one to
 * finish), and then waits up to busy_timeout for a commit under way.
 */
static enum sql_rc read_lock(struct sql_conn *conn, int fd)
{
	struct timespec ms = { 0, 1000000 };
	enum sql_rc rc;

	for (int i = 0; i < WAIT_WRITER_MS && writer_committing(fd); i++)
		nanosleep(&ms, NULL);
	if (sqlite3_exec(conn->handle, "BEGIN; SELECT count(*) FROM sqlite_master",
			 NULL, NULL, NULL) == SQLITE_OK)
		return SQL_OK;
	rc = sqlite_fail(conn, conn->handle, "snapshot");
	read_unlock(conn);
	return rc;
}

/* state_locked - the file's state read under its read lock */
static enum sql_rc state_locked(struct sql_conn *conn, int fd,
				struct file_state *s)
{
	enum sql_rc rc = read_lock(conn, fd);

	if (rc == SQL_OK && state_read(fd, conn->address->path, s) != 0)
		rc = copy_fail(conn, errno);
	read_unlock(conn);
	return rc;
}

/*
 * copy_unlocked - read the file into c without its lock; *consistent
 * says whether c holds one committed state of it.
 *
 * Why that holds: in rollback-journal mode a writer changes the
 * database file only while it holds the EXCLUSIVE lock, which excludes
 * our SHARED lock, so under SHARED no commit is half-written.  The
 * state (change counter, size, mtime, inode) is read under SHARED
 * before the copy (by the try before, as its state after, when there
 * was one) and again after it.  A writer that changed the file
 * in between either committed, and every commit in this mode writes a
 * new change counter; or died mid-commit, leaving a hot journal that
 * the next reader's lock rolls back.  The copy is refused when the
 * journal holds a transaction's pages after the copy (seen before our
 * second lock, which would roll it back unseen), and when anything in
 * the state differs, the mtime included: a rollback by a third process
 * between our copy and our look at the journal restores the counter
 * and the size, but writes the file.  The copy's own header and length
 * must match the state too (the file did not grow or get rewritten
 * while its first pages were read).  So a consistent copy is the file
 * as it was under the first lock.  Left open: a kernel whose file
 * times do not change within one clock tick, and a third process that
 * rolls back a journal of a writer dying within that tick of the
 * previous commit; WAL databases never come here.
 */
static enum sql_rc copy_unlocked(struct sql_conn *conn, int fd,
				 struct file_copy *c, struct file_state *before,
				 bool *consistent)
{
	struct file_state after;
	enum sql_rc rc = SQL_OK;
	bool	active;

	if (file_read(fd, c) != 0)
		rc = copy_fail(conn, errno);
	active = journal_active(conn->address->path);
	if (rc == SQL_OK)
		rc = state_locked(conn, fd, &after);
	*consistent = rc == SQL_OK && !active && states_equal(before, &after)
		&& c->len == (size_t)before->size
		&& counter_of(c->buf, c->len) == before->counter;
	if (!*consistent)	/* the next try's "before" */
		*before = after;
	return rc;
}

/*
 * copy_locked - read the file into c holding its read lock throughout.
 * Like copy_unlocked it closes fd only once the connection holds no
 * lock: closing any descriptor of a file drops the process's fcntl
 * locks on it, SQLite's included.
 */
static enum sql_rc copy_locked(struct sql_conn *conn, struct file_copy *c,
				struct file_state *s)
{
	int	fd = open(conn->address->path, O_RDONLY | O_CLOEXEC);
	enum sql_rc rc;

	if (fd < 0)
		return copy_fail(conn, errno);
	if ((rc = read_lock(conn, fd)) == SQL_OK &&
	    (state_read(fd, conn->address->path, s) != 0 ||
	     file_read(fd, c) != 0))
		rc = copy_fail(conn, errno);
	read_unlock(conn);
	close(fd);
	return rc;
}

/* ms_since - milliseconds from t0 to now (CLOCK_MONOTONIC) */
static long ms_since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t0->tv_sec) * 1000 +
	       (now.tv_nsec - t0->tv_nsec) / 1000000;
}

/*
 * copy_tries - unlocked copies through one descriptor of the file until
 * one is consistent or the tries run out; each try's state after is the
 * next one's before.  A path that names another file is opened again.
 */
static enum sql_rc copy_tries(struct sql_conn *conn, struct file_copy *c,
			      struct file_state *s, int *tries,
			      bool *consistent)
{
	int	fd = -1;
	enum sql_rc rc = SQL_OK;
	struct timespec t0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (*tries = 0; rc == SQL_OK && !*consistent &&
	     *tries < SQLITE_COPY_TRIES &&
	     (*tries == 0 || ms_since(&t0) < SQLITE_COPY_MS); ++*tries) {
		if (fd < 0 || s->replaced) {
			if (fd >= 0)
				close(fd);
			if ((fd = open(conn->address->path,
				       O_RDONLY | O_CLOEXEC)) < 0)
				return copy_fail(conn, errno);
			if ((rc = state_locked(conn, fd, s)) != SQL_OK)
				break;
		}
		rc = copy_unlocked(conn, fd, c, s, consistent);
	}
	if (fd >= 0)
		close(fd);
	return rc;
}

enum sql_rc sqlite_copy_file(struct sql_conn *conn, sqlite3 *mem, int *tries,
			     bool *locked, struct sqlite_copy *out)
{
	struct file_copy c = { NULL, 0, 0 };
	struct file_state s;
	enum sql_rc rc = copy_prepare(conn, &c);
	bool	consistent = false;

	if (rc == SQL_OK)
		rc = copy_tries(conn, &c, &s, tries, &consistent);
	if (rc == SQL_OK && (*locked = !consistent)) {
		rc = copy_locked(conn, &c, &s);
		++*tries;
	}
	out->buf = c.buf;
	out->cap = c.cap;
	if (rc == SQL_OK && sqlite3_deserialize(mem, "main", c.buf,
						(sqlite3_int64)c.len,
						(sqlite3_int64)c.cap,
						SQLITE_DESERIALIZE_READONLY)
	    != SQLITE_OK)
		rc = sqlite_fail(conn, mem, "snapshot");
	if (rc != SQL_OK) {
		sqlite_copy_release(out);
		return rc;
	}
	state_identity(&s, out->identity, sizeof(out->identity));
	return SQL_OK;
}

/* sqlite_copy_release - see sqlite_int.h */
void	sqlite_copy_release(struct sqlite_copy *c)
{
	if (c->buf)
		munmap(c->buf, c->cap);
	c->buf = NULL;
	c->cap = 0;
}

/*
 * sqlite_file_identity - see sqlite_int.h.  No lock: each lock, however
 *	brief, is a moment in which a writer without a busy timeout (ezmlm-
 *	idx's) fails its commit, and the quick check needs none.  Read
 *	without it, the state can only err towards "changed": a commit that
 *	completed wrote a new change counter before its journal went (and
 *	the read sees the file as written); a commit under way or a writer
 *	that died mid-commit either left the counter, size and times alone,
 *	and then the file's committed state is still the one marked, or
 *	changed one of them, and then the sync reads the file in full,
 *	under the lock.
 */
enum sql_rc sqlite_file_identity(struct sql_conn *conn, char *buf, size_t len)
{
	struct file_state s;
	int	fd = open(conn->address->path, O_RDONLY | O_CLOEXEC);
	enum sql_rc rc = SQL_OK;

	if (fd < 0)
		return copy_fail(conn, errno);
	if (state_read(fd, conn->address->path, &s) != 0)
		rc = copy_fail(conn, errno);
	else
		state_identity(&s, buf, len);
	close(fd);
	return rc;
}
