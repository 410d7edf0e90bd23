/*
 * NAME
 *	file.c - whole-file operations: hot backup and verification
 * DESCRIPTION
 *	store_backup() writes a compacted copy from a read snapshot
 *	(mdb_env_copyfd2), so writers go on while it runs; the copy appears
 *	under its name only once it is complete and on disk.
 *
 *	store_verify_file() walks every database of a file in a child
 *	process: a corrupt file may make LMDB read wild pointers, and
 *	that must cost the child, never mq.  It checks that the file is as
 *	long as its meta page says, that every table row decodes and sits
 *	under the key its columns give, and that meta, lists and the change
 *	log are well formed.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store/internal.h"

#define VERIFY_TIMEOUT	3600	/* seconds; a cyclic tree must not hang */

static void fsync_dir_of(const char *path)
{
	char dir[4096];
	char *slash;
	int fd;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash == dir)
		slash[1] = 0;
	else if (slash)
		*slash = 0;
	else
		snprintf(dir, sizeof(dir), ".");
	fd = open(dir, O_RDONLY | O_DIRECTORY);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

/*
 * copy_adopting_growth - the copy's read snapshot meets MDB_MAP_RESIZED
 *	when a writer grew the map since this process mapped it: adopt
 *	the new size and start the copy again from the beginning.
 */
static int copy_adopting_growth(struct store *st, int fd)
{
	int rc;

	for (int tries = 0; tries < 100; tries++) {
		rc = mdb_env_copyfd2(st->env, fd, MDB_CP_COMPACT);
		if (rc != MDB_MAP_RESIZED)
			return rc;
		if ((rc = mdb_env_set_mapsize(st->env, 0)))
			return rc;
		if (ftruncate(fd, 0) != 0 || lseek(fd, 0, SEEK_SET) != 0)
			return errno;
	}
	return MDB_MAP_RESIZED;
}

enum store_rc store_snapshot_write(struct store *st, int fd)
{
	int rc = copy_adopting_growth(st, fd);

	if (rc == 0 && fsync(fd) != 0)
		rc = errno;
	return rc ? store_fail(st, STORE_IO, "%s: snapshot copy failed: %s",
			       st->path, mdb_strerror(rc)) : STORE_OK;
}

enum store_rc store_backup(struct store *st, const char *path)
{
	char tmp[4200];
	int fd, rc;

	if (strlen(path) > 4096)
		return store_fail(st, STORE_BADDATA, "backup path too long");
	store_stale_temps_remove(path, ".tmp.");
	snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return store_fail(st, STORE_IO, "%s: cannot create: %s", path,
				  strerror(errno));
	rc = copy_adopting_growth(st, fd);
	if (rc == 0 && fsync(fd) != 0)
		rc = errno;
	if (close(fd) != 0 && rc == 0)
		rc = errno;
	if (rc == 0 && rename(tmp, path) != 0)
		rc = errno;
	if (rc) {
		unlink(tmp);
		return store_fail(st, STORE_IO, "%s: backup failed: %s", path,
				  mdb_strerror(rc));
	}
	fsync_dir_of(path);
	return STORE_OK;
}

/* The verifier's state, in the child. */
struct verify {
	MDB_env *env;
	MDB_txn *txn;
	uint64_t rows;
	uint64_t seq;
	uint64_t format;	/* 1: no indexes by hash yet */
	char err[STORE_ERR_MAX];
};

static bool vfail(struct verify *v, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static bool vfail(struct verify *v, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(v->err, sizeof(v->err), fmt, ap);
	va_end(ap);
	return false;
}

/* row_key_matches - the key a decoded row's columns give is its key. */
static bool row_key_matches(const struct reg_table *t,
			    const struct store_row *row, const MDB_val *k)
{
	struct store_value kv[REG_MAX_KEY];
	uint8_t key[STORE_KEY_MAX + 1];
	char err[128];
	size_t len;

	if (t->nkey == 0)
		return k->mv_size == 8;
	for (int i = 0; i < t->nkey; i++)
		kv[i] = row->col[t->key[i]];
	if (key_encode(t, kv, key, &len, err, sizeof(err)))
		return false;
	return len == k->mv_size && memcmp(key, k->mv_data, len) == 0;
}

/* index_entry_matches - an index entry is the row of table dbi it names. */
static bool index_entry_matches(struct verify *v, const struct reg_table *t,
				MDB_dbi dbi, const MDB_val *k, const MDB_val *d)
{
	MDB_val rk = { k->mv_size - 1, (uint8_t *)k->mv_data + 1 }, rd;
	const struct store_value *addr;
	struct store_row row;
	int64_t h;

	if (k->mv_size < 2 || mdb_get(v->txn, dbi, &rk, &rd) ||
	    !row_decode(t, rd.mv_data, rd.mv_size, &row))
		return false;
	h = row.col[REG_ADDR_HASH].i;
	addr = &row.col[REG_ADDR_ADDRESS];
	if (*(const uint8_t *)k->mv_data != idx_bucket(h))
		return false;
	if (d->mv_size == 0)
		return addr->len == rk.mv_size &&
			memcmp(addr->s, rk.mv_data, rk.mv_size) == 0;
	return addr->len == d->mv_size &&
		memcmp(addr->s, d->mv_data, d->mv_size) == 0;
}

/*
 * walk_index - index x:NAME of address table t:NAME has one entry per
 *	row, each naming its row under the row's hash, with its address.
 */
static bool walk_index(struct verify *v, const char *name)
{
	char root[REG_NAME_MAX], tname[REG_NAME_MAX + 8];
	const struct reg_table *t = reg_list_split(name + 2, root,
						   sizeof(root));
	MDB_dbi x, dbi;
	MDB_stat xs, ts;
	MDB_cursor *c;
	MDB_val k, d;
	int rc;

	if (!reg_list_addresses(t))
		return vfail(v, "unknown index database %s", name);
	snprintf(tname, sizeof(tname), DB_TABLE_PREFIX "%s", name + 2);
	if ((rc = mdb_dbi_open(v->txn, name, 0, &x)) ||
	    (rc = mdb_dbi_open(v->txn, tname, 0, &dbi)) ||
	    (rc = mdb_stat(v->txn, x, &xs)) ||
	    (rc = mdb_stat(v->txn, dbi, &ts)) ||
	    (rc = mdb_cursor_open(v->txn, x, &c)))
		return vfail(v, "%s: %s", name, mdb_strerror(rc));
	for (rc = mdb_cursor_get(c, &k, &d, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(c, &k, &d, MDB_NEXT))
		if (!index_entry_matches(v, t, dbi, &k, &d))
			return vfail(v, "table %s: its index by hash has an "
				     "entry for no row, or the wrong one",
				     name + 2);
	mdb_cursor_close(c);
	if (rc != MDB_NOTFOUND)
		return vfail(v, "%s: %s", name, mdb_strerror(rc));
	if (xs.ms_entries != ts.ms_entries)
		return vfail(v, "table %s: %zu rows, %zu in its index by hash",
			     name + 2, ts.ms_entries, xs.ms_entries);
	return true;
}

/* has_index - an address table's index exists. */
static bool has_index(struct verify *v, const char *name)
{
	char xname[REG_NAME_MAX + 8];
	MDB_dbi x;

	snprintf(xname, sizeof(xname), DB_INDEX_PREFIX "%s", name + 2);
	if (mdb_dbi_open(v->txn, xname, 0, &x) == 0)
		return true;
	return vfail(v, "table %s: its index by hash (%s) is missing",
		     name + 2, xname);
}

/* walk_db - check every entry of one named database. */
static bool walk_db(struct verify *v, const char *name)
{
	const struct reg_table *t = NULL;
	char root[REG_NAME_MAX], why[96];
	struct store_change ch;
	struct store_row row;
	MDB_cursor *c;
	MDB_val k, d;
	MDB_dbi dbi;
	int rc;

	if (strncmp(name, DB_TABLE_PREFIX, 2) == 0) {
		t = reg_mailerq_find(name + 2);
		if (!t)
			t = reg_list_split(name + 2, root, sizeof(root));
		if (!t)
			return vfail(v, "unknown table database %s", name);
		if (reg_list_addresses(t) && v->format > 1 &&
		    !has_index(v, name))
			return false;
	} else if (strncmp(name, DB_INDEX_PREFIX, 2) == 0)
		return walk_index(v, name);
	else if (strcmp(name, DB_META) && strcmp(name, DB_CHANGES) &&
		   strcmp(name, DB_LISTS))
		return vfail(v, "unknown database %s", name);
	if ((rc = mdb_dbi_open(v->txn, name, 0, &dbi)) ||
	    (rc = mdb_cursor_open(v->txn, dbi, &c)))
		return vfail(v, "%s: %s", name, mdb_strerror(rc));
	for (rc = mdb_cursor_get(c, &k, &d, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(c, &k, &d, MDB_NEXT)) {
		if (t && (!row_decode(t, d.mv_data, d.mv_size, &row) ||
			  !row_key_matches(t, &row, &k)))
			return vfail(v, "table %s: a row does not decode "
				     "or sits under the wrong key", name + 2);
		if (t && reg_list_addresses(t) &&
		    !address_row_valid(&row, why, sizeof why))
			return vfail(v, "table %s: a row's %s", name + 2, why);
		if (t)
			v->rows++;
		if (!strcmp(name, DB_CHANGES) && !change_decode(&k, &d, &ch))
			return vfail(v, "change log: a bad record");
		if (!strcmp(name, DB_CHANGES) &&
		    (uint64_t)key_decode_int(k.mv_data) > v->seq)
			return vfail(v, "change log: record beyond sequence "
				     "%llu", (unsigned long long)v->seq);
	}
	mdb_cursor_close(c);
	if (rc != MDB_NOTFOUND)
		return vfail(v, "%s: %s", name, mdb_strerror(rc));
	return true;
}

static bool check_meta(struct verify *v)
{
	static const char *const keys[] = { "uuid", "epoch", "seq", "format" };
	MDB_dbi dbi;
	MDB_val k, d;
	int rc = mdb_dbi_open(v->txn, DB_META, 0, &dbi);

	if (rc)
		return vfail(v, "not an mq store: no meta database (%s)",
			     mdb_strerror(rc));
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		k.mv_size = strlen(keys[i]);
		k.mv_data = (void *)keys[i];
		rc = mdb_get(v->txn, dbi, &k, &d);
		if (rc || d.mv_size != (i == 0 ? 16u : 8u))
			return vfail(v, "meta: %s missing or malformed",
				     keys[i]);
		if (i == 2)
			memcpy(&v->seq, d.mv_data, 8);
		if (i == 3)
			memcpy(&v->format, d.mv_data, 8);
	}
	return true;
}

/* check_length - a truncated copy is refused before LMDB reads it. */
static bool check_length(struct verify *v, const char *path)
{
	MDB_envinfo info;
	MDB_stat ms;
	struct stat sb;
	uint64_t need;

	if (stat(path, &sb) != 0)
		return vfail(v, "%s", strerror(errno));
	mdb_env_info(v->env, &info);
	mdb_env_stat(v->env, &ms);
	need = ((uint64_t)info.me_last_pgno + 1) * ms.ms_psize;
	if ((uint64_t)sb.st_size < need)
		return vfail(v, "truncated: %llu bytes, its pages need %llu",
			     (unsigned long long)sb.st_size,
			     (unsigned long long)need);
	return true;
}

static bool verify_walk(struct verify *v, const char *path)
{
	char name[REG_NAME_MAX + 8];
	MDB_cursor *c;
	MDB_dbi main_dbi;
	MDB_val k, d;
	int rc;

	if (!check_length(v, path))
		return false;
	if ((rc = mdb_txn_begin(v->env, NULL, MDB_RDONLY, &v->txn)))
		return vfail(v, "%s", mdb_strerror(rc));
	if (!check_meta(v))
		return false;
	/* The unnamed database lists every named one. */
	if ((rc = mdb_dbi_open(v->txn, NULL, 0, &main_dbi)) ||
	    (rc = mdb_cursor_open(v->txn, main_dbi, &c)))
		return vfail(v, "%s", mdb_strerror(rc));
	for (rc = mdb_cursor_get(c, &k, &d, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(c, &k, &d, MDB_NEXT)) {
		if (k.mv_size == 0 || k.mv_size >= sizeof(name) ||
		    memchr(k.mv_data, 0, k.mv_size))
			return vfail(v, "a database with a bad name");
		memcpy(name, k.mv_data, k.mv_size);
		name[k.mv_size] = 0;
		if (!walk_db(v, name))
			return false;
	}
	mdb_cursor_close(c);
	if (rc != MDB_NOTFOUND)
		return vfail(v, "%s", mdb_strerror(rc));
	return true;
}

static int fault_fd = -1;

/* on_fault - a wild read in a corrupt file: say so and leave at once. */
static void on_fault(int sig)
{
	static const char msg[] = "a page points outside the file (the walk "
		"faulted)";

	(void)sig;
	if (write(fault_fd, msg, sizeof(msg) - 1) < 0)
		_exit(3);
	_exit(3);
}

static void catch_faults(int out)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_fault;
	fault_fd = out;
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
}

/* verify_child - runs in the child: 0 and the row count, or a message. */
static int verify_child(const char *path, int out)
{
	struct verify v = { 0 };
	char lock[4200];
	unsigned flags = MDB_RDONLY | MDB_NOSUBDIR;
	int rc;
	bool ok;

	alarm(VERIFY_TIMEOUT);
	catch_faults(out);
	/* Lock only when a lock file exists, i.e. the file may be in use;
	 * a backup copy is verified without leaving a lock file by it. */
	snprintf(lock, sizeof(lock), "%s-lock", path);
	if (access(lock, F_OK) != 0)
		flags |= MDB_NOLOCK;
	rc = mdb_env_create(&v.env);
	if (rc == 0)
		rc = mdb_env_set_maxdbs(v.env, STORE_MAX_DBS);
	if (rc == 0)
		rc = mdb_env_open(v.env, path, flags, 0600);
	if (rc)
		ok = vfail(&v, "%s", rc == ENOENT ? "no such file" :
			   rc == MDB_INVALID ? "not an LMDB store file" :
			   mdb_strerror(rc));
	else
		ok = verify_walk(&v, path);
	if (ok)
		dprintf(out, "%llu", (unsigned long long)v.rows);
	else
		dprintf(out, "%s", v.err);
	return ok ? 0 : 1;
}

static void read_all(int fd, char *buf, size_t len)
{
	size_t n = 0;
	ssize_t r;

	while (n + 1 < len && (r = read(fd, buf + n, len - 1 - n)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			break;
		n += (size_t)r;
	}
	buf[n] = 0;
}

enum store_rc store_verify_file(const char *path, uint64_t *rows_out,
				char *err, size_t errlen)
{
	char msg[STORE_ERR_MAX];
	int pfd[2], status;
	struct stat sb;
	pid_t pid;

	/* A file that is not there is not a corrupt one. */
	if (stat(path, &sb) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return STORE_IO;
	}
	if (pipe(pfd) != 0 || (pid = fork()) < 0) {
		snprintf(err, errlen, "%s: cannot start verifier: %s", path,
			 strerror(errno));
		return STORE_INTERNAL;
	}
	if (pid == 0) {
		close(pfd[0]);
		_exit(verify_child(path, pfd[1]));
	}
	close(pfd[1]);
	read_all(pfd[0], msg, sizeof(msg));
	close(pfd[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		if (rows_out)
			*rows_out = strtoull(msg, NULL, 10);
		return STORE_OK;
	}
	if (WIFSIGNALED(status))
		snprintf(err, errlen, "%s: corrupt: the verifier died of "
			 "signal %d (%s)", path, WTERMSIG(status),
			 strsignal(WTERMSIG(status)));
	else if (*msg)
		snprintf(err, errlen, "%s: corrupt: %s", path, msg);
	else
		snprintf(err, errlen, "%s: corrupt: the verifier failed "
			 "(exit status %d)", path, WEXITSTATUS(status));
	return STORE_CORRUPT;
}
