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
#include "store/tagrec_int.h"

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
	uint64_t format;	/* 1: no indexes by hash yet; 3: shared;
				 * 4: list addresses keep their case;
				 * 5: tag records */
	uint32_t *ids;		/* format 3: the lists' ids, sorted */
	size_t nids;
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

/*
 * old_address_key - a store before format 4 keyed a list address by its
 *	folded form alone (layout.c): is k that of address a?
 */
static bool old_address_key(const struct store_value *a, const MDB_val *k)
{
	uint8_t key[STORE_KEY_MAX];

	if (a->kind != SV_TEXT || a->len != k->mv_size || a->len > sizeof(key))
		return false;
	store_ascii_fold(key, a->s, a->len);
	return memcmp(key, k->mv_data, a->len) == 0;
}

/* row_key_matches - the key a decoded row's columns give is its key. */
static bool row_key_matches(const struct verify *v, const struct reg_table *t,
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
	if (v->format < 4 && reg_list_addresses(t))
		return old_address_key(&kv[0], k);
	if (key_encode(t, kv, key, &len, err, sizeof(err)))
		return false;
	return len == k->mv_size && memcmp(key, k->mv_data, len) == 0;
}

/*
 * index_entry_matches - an index entry is the row of table db it names
 *	(k without the list id: tdb.c).
 */
static bool index_entry_matches(struct verify *v, const struct reg_table *t,
				const struct tdb *db, const MDB_val *k,
				const MDB_val *d)
{
	MDB_val rk = { k->mv_size - 1, (uint8_t *)k->mv_data + 1 }, rd;
	const struct store_value *addr;
	struct store_row row;
	int64_t h;

	if (k->mv_size < 2 || tdb_get(v->txn, db, &rk, &rd) ||
	    !row_decode(t, rd.mv_data, rd.mv_size, &row))
		return false;
	h = row.col[REG_ADDR_HASH].i;
	addr = &row.col[REG_ADDR_ADDRESS];
	if (*(const uint8_t *)k->mv_data != idx_bucket(h))
		return false;
	/* No data: the address is the key, with its NUL from format 4 on. */
	if (d->mv_size == 0)
		return addr->len + (v->format >= 4) == rk.mv_size &&
			memcmp(addr->s, rk.mv_data, addr->len) == 0;
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
	MDB_dbi x;
	struct tdb dbi = { 0 };
	MDB_stat xs, ts;
	MDB_cursor *c;
	MDB_val k, d;
	int rc;

	if (!reg_list_addresses(t))
		return vfail(v, "unknown index database %s", name);
	snprintf(tname, sizeof(tname), DB_TABLE_PREFIX "%s", name + 2);
	if ((rc = mdb_dbi_open(v->txn, name, 0, &x)) ||
	    (rc = mdb_dbi_open(v->txn, tname, 0, &dbi.dbi)) ||
	    (rc = mdb_stat(v->txn, x, &xs)) ||
	    (rc = mdb_stat(v->txn, dbi.dbi, &ts)) ||
	    (rc = mdb_cursor_open(v->txn, x, &c)))
		return vfail(v, "%s: %s", name, mdb_strerror(rc));
	for (rc = mdb_cursor_get(c, &k, &d, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(c, &k, &d, MDB_NEXT))
		if (!index_entry_matches(v, t, &dbi, &k, &d))
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

/* ---- Format 3: every list's rows in shared databases, under its id ---- */

/* id_of - the list id of LIST_ID_LEN bytes (tdb_list_id's). */
static uint32_t id_of(const uint8_t *p)
{
	uint32_t id = 0;

	for (int i = 0; i < LIST_ID_LEN; i++)
		id = id << 8 | p[i];
	return id;
}

/* id_known - is the id a key's first LIST_ID_LEN bytes give a list's? */
static bool id_known(const struct verify *v, const MDB_val *k, uint32_t *id)
{
	size_t lo = 0, hi = v->nids;

	if (k->mv_size <= LIST_ID_LEN)
		return false;
	*id = id_of(k->mv_data);
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (v->ids[mid] == *id)
			return true;
		if (v->ids[mid] < *id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

static int id_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* load_ids - the ids of the lists database's records, each once. */
static bool load_ids(struct verify *v, MDB_dbi lists)
{
	MDB_stat ms;
	MDB_cursor *c;
	MDB_val k, d;
	int rc = mdb_stat(v->txn, lists, &ms);

	if (rc || (rc = mdb_cursor_open(v->txn, lists, &c)))
		return vfail(v, "%s: %s", DB_LISTS, mdb_strerror(rc));
	v->ids = malloc((ms.ms_entries + 1) * sizeof(*v->ids));
	if (!v->ids)
		return vfail(v, "out of memory");
	for (rc = mdb_cursor_get(c, &k, &d, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(c, &k, &d, MDB_NEXT)) {
		if (d.mv_size < 1 + LIST_ID_LEN || v->nids >= ms.ms_entries ||
		    *(uint8_t *)d.mv_data != LIST_RECORD_ID)
			return vfail(v, "list %.*s: bad record",
				     (int)(k.mv_size > 64 ? 64 : k.mv_size),
				     (char *)k.mv_data);
		v->ids[v->nids++] = id_of((uint8_t *)d.mv_data + 1);
	}
	mdb_cursor_close(c);
	qsort(v->ids, v->nids, sizeof(*v->ids), id_cmp);
	for (size_t i = 1; i < v->nids; i++)
		if (v->ids[i] == v->ids[i - 1])
			return vfail(v, "two lists have the id %u", v->ids[i]);
	return rc == MDB_NOTFOUND ? true : vfail(v, "%s", mdb_strerror(rc));
}

/* list_table_of - the list table whose suffix name is. */
static const struct reg_table *list_table_of(const char *suffix)
{
	for (int i = 0; reg_list[i]; i++)
		if (strcmp(reg_list[i]->name, suffix) == 0)
			return reg_list[i];
	return NULL;
}

/* walk_list_rows - l:SUFFIX: each row under a list's id and its key. */
static bool walk_list_rows(struct verify *v, const char *name,
			   const struct reg_table *t, MDB_cursor *c)
{
	struct store_row row;
	MDB_val k, d;
	char why[96];
	uint32_t id;
	int rc;

	for (rc = mdb_cursor_get(c, &k, &d, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(c, &k, &d, MDB_NEXT)) {
		MDB_val rk = { k.mv_size - LIST_ID_LEN,
			       (uint8_t *)k.mv_data + LIST_ID_LEN };

		if (!id_known(v, &k, &id))
			return vfail(v, "%s: a row of no list", name);
		if (!row_decode(t, d.mv_data, d.mv_size, &row) ||
		    !row_key_matches(v, t, &row, &rk))
			return vfail(v, "table T%s of list id %u: a row does "
				     "not decode or sits under the wrong key",
				     t->name, id);
		if (reg_list_addresses(t) &&
		    !address_row_valid(&row, why, sizeof why))
			return vfail(v, "table T%s of list id %u: a row's %s",
				     t->name, id, why);
		v->rows++;
	}
	return rc == MDB_NOTFOUND ? true : vfail(v, "%s: %s", name,
						  mdb_strerror(rc));
}

/* walk_list_index - y:SUFFIX: one entry per row of l:SUFFIX, each right. */
static bool walk_list_index(struct verify *v, const struct reg_table *t,
			    MDB_dbi table)
{
	char name[REG_NAME_MAX + 8];
	struct tdb db = { .dbi = table, .pfxlen = LIST_ID_LEN };
	MDB_stat xs, ts;
	MDB_cursor *c;
	MDB_dbi x;
	MDB_val k, d;
	uint32_t id;
	int rc;

	snprintf(name, sizeof(name), DB_LIST_INDEX "%s", t->name);
	if ((rc = mdb_dbi_open(v->txn, name, 0, &x)) ||
	    (rc = mdb_stat(v->txn, x, &xs)) ||
	    (rc = mdb_stat(v->txn, table, &ts)) ||
	    (rc = mdb_cursor_open(v->txn, x, &c)))
		return vfail(v, "table T%s: its index by hash (%s): %s",
			     t->name, name, mdb_strerror(rc));
	for (rc = mdb_cursor_get(c, &k, &d, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(c, &k, &d, MDB_NEXT)) {
		MDB_val ek = { k.mv_size - LIST_ID_LEN,
			       (uint8_t *)k.mv_data + LIST_ID_LEN };

		if (!id_known(v, &k, &id))
			return vfail(v, "%s: an entry of no list", name);
		memcpy(db.pfx, k.mv_data, LIST_ID_LEN);
		if (!index_entry_matches(v, t, &db, &ek, &d))
			return vfail(v, "table T%s of list id %u: its index by "
				     "hash has an entry for no row, or the "
				     "wrong one", t->name, id);
	}
	mdb_cursor_close(c);
	if (rc != MDB_NOTFOUND)
		return vfail(v, "%s: %s", name, mdb_strerror(rc));
	if (xs.ms_entries != ts.ms_entries)
		return vfail(v, "tables T%s: %zu rows, %zu in their index by "
			     "hash", t->name, ts.ms_entries, xs.ms_entries);
	return true;
}

/* walk_list_db - a list table kind's database (l:) or index (y:). */
static bool walk_list_db(struct verify *v, const char *name)
{
	const struct reg_table *t = list_table_of(name + 2);
	MDB_cursor *c;
	MDB_dbi dbi;
	int rc;

	if (!t || v->format < 3 ||
	    (name[0] == DB_LIST_INDEX[0] && !reg_list_addresses(t)))
		return vfail(v, "unknown database %s", name);
	if (name[0] == DB_LIST_INDEX[0])
		return true;	/* walked with its table */
	if ((rc = mdb_dbi_open(v->txn, name, 0, &dbi)) ||
	    (rc = mdb_cursor_open(v->txn, dbi, &c)))
		return vfail(v, "%s: %s", name, mdb_strerror(rc));
	rc = walk_list_rows(v, name, t, c);
	mdb_cursor_close(c);
	return rc && (!reg_list_addresses(t) || walk_list_index(v, t, dbi));
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
		if (v->format >= 3 && t->family == REG_LIST)
			return vfail(v, "table database %s in a store of "
				     "format %llu", name,
				     (unsigned long long)v->format);
	} else if (strncmp(name, DB_INDEX_PREFIX, 2) == 0)
		return walk_index(v, name);
	else if (strncmp(name, DB_LIST_PREFIX, 2) == 0 ||
		 strncmp(name, DB_LIST_INDEX, 2) == 0)
		return walk_list_db(v, name);
	else if (strncmp(name, DB_TAG_PREFIX, 2) == 0 && v->format >= 5)
		return true;	/* tag_verify, after the walk */
	else if (strcmp(name, DB_META) && strcmp(name, DB_CHANGES) &&
		   strcmp(name, DB_LISTS))
		return vfail(v, "unknown database %s", name);
	if ((rc = mdb_dbi_open(v->txn, name, 0, &dbi)) ||
	    (rc = mdb_cursor_open(v->txn, dbi, &c)))
		return vfail(v, "%s: %s", name, mdb_strerror(rc));
	for (rc = mdb_cursor_get(c, &k, &d, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(c, &k, &d, MDB_NEXT)) {
		if (t && (!row_decode(t, d.mv_data, d.mv_size, &row) ||
			  !row_key_matches(v, t, &row, &k)))
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
	if (v->format >= 3 &&
	    ((rc = mdb_dbi_open(v->txn, DB_LISTS, 0, &main_dbi)) ||
	     !load_ids(v, main_dbi)))
		return rc ? vfail(v, "%s: %s", DB_LISTS, mdb_strerror(rc))
			: false;
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
	return v->format < 5 || tag_verify(v->txn, v->err, sizeof(v->err));
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
	free(v.ids);
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
