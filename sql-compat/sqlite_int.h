/*
 * NAME
 *	sqlite_int.h - what the files of the SQLite driver share
 * SYNOPSIS
 *	#include "sql-compat/sqlite_int.h"
 * DESCRIPTION
 *	sql_sqlite.c is the driver; sqlite_copy.c takes the in-memory
 *	copy of a rollback-journal database file that a read snapshot
 *	reads.  Private to those two files and their unit test.
 */
#ifndef MQ_SQLITE_INT_H
#define MQ_SQLITE_INT_H

#include <stdbool.h>

#include <sqlite3.h>

#include "sql-compat/sql.h"

/*
 * Unlocked copies tried before the copy under the read lock: as many
 * as fit in SQLITE_COPY_MS milliseconds, at most SQLITE_COPY_TRIES.
 * Writers that commit more often than a copy takes leave no gap for
 * one, and then the sync waits no longer than that to start.
 */
#define SQLITE_COPY_TRIES 16
#define SQLITE_COPY_MS 2000

/* PRAGMA mmap_size of a copy: as much as SQLite takes (its cap). */
#define SQLITE_COPY_MAP "1099511627776"

/*
 * sqlite_fail - record db's last SQLite error on conn (action names
 * what failed) and return its failure kind (SQL_TEMPFAIL, ...)
 */
enum sql_rc sqlite_fail(struct sql_conn *conn, sqlite3 *db,
			const char *action);

/* The memory under a copy of the file, and what the copy is of. */
struct sqlite_copy {
	unsigned char *buf;	/* mmap'ed, unmapped by sqlite_copy_release */
	size_t	cap;
	char	identity[SQL_IDENTITY_MAX];	/* sql_identity's */
};

/*
 * sqlite_copy_file - the database file of conn (rollback-journal mode,
 * not inside a transaction) read into the in-memory database mem as
 * one committed state of the file, holding other writers off only for
 * moments (sqlite_copy.c says how).  *tries gets the number of copies
 * read (1 when no writer committed meanwhile), *locked whether the last
 * was read under the lock, *copy the memory mem reads (release it with
 * sqlite_copy_release once mem is closed) and the identity of the
 * state copied.  SQL_TEMPFAIL when the file cannot be read or the lock
 * not taken within busy_timeout, conn's error saying why; mem is then
 * unchanged and *copy holds nothing.
 */
enum sql_rc sqlite_copy_file(struct sql_conn *conn, sqlite3 *mem, int *tries,
			     bool *locked, struct sqlite_copy *copy);
void	sqlite_copy_release(struct sqlite_copy *copy);

/*
 * sqlite_file_wal - does the header of the file at path say WAL mode?
 * Read without its lock, as PRAGMA journal_mode would take it.
 */
bool	sqlite_file_wal(const char *path);

/*
 * sqlite_wait_writer - wait (at most 50 ms) while another process holds
 * the RESERVED lock of the file at path: a writer without a busy
 * timeout (ezmlm-idx's) fails a commit that meets a reader's lock, so
 * each statement of ours that takes it goes between writers.  Only
 * while conn holds no lock on the file: closing the descriptor it
 * opens drops the process's locks on it.
 */
void	sqlite_wait_writer(const char *path);

/*
 * sqlite_file_identity - the identity (sql_identity) of conn's file as
 * it is now, read without its lock (sqlite_copy.c says why that is
 * safe); "" in WAL mode.
 */
enum sql_rc sqlite_file_identity(struct sql_conn *conn, char *buf,
				 size_t len);

/*
 * What conn->snapshot holds while statements read a copy of the file:
 * the file's own handle, and the copy.
 */
struct sqlite_snapshot {
	sqlite3 *file;
	struct sqlite_copy copy;
};

#endif
