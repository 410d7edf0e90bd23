/*
 * NAME
 *	store.c - the LMDB environment: open, transactions, meta, change log
 * DESCRIPTION
 *	The only file that decides how the map grows: a write transaction
 *	that meets MDB_MAP_FULL is aborted, the map doubled (up to
 *	store-max-size) and the transaction body run again; a map grown by
 *	another process (MDB_MAP_RESIZED) is adopted before retrying.
 *	Stale reader slots of dead processes are cleared at open.
 *
 *	Growing the map needs no transaction open in this process; the
 *	CLI runs one at a time.  A multi-threaded user must hold its
 *	transactions off while store_write grows the map.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sodium.h>

#include "store/internal.h"
#include "store/tagrec_int.h"

#define MAP_INITIAL	(64ull << 20)
#define MAX_SIZE_DEFAULT (64ull << 30)
#define CHANGES_KEEP_DEFAULT 1000000ull

/* the last failure's text, one per thread (see store_errbuf) */
static __thread char thread_err[STORE_ERR_MAX];

char   *store_errbuf(void)
{
	return thread_err;
}

enum store_rc store_fail(struct store *st, enum store_rc rc,
			 const char *fmt, ...)
{
	char text[STORE_ERR_MAX];	/* fmt's arguments may be thread_err */
	va_list ap;

	(void)st;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	memcpy(thread_err, text, sizeof(text));
	return rc;
}

/* store_mdb_rc - translate an LMDB error, naming what failed. */
enum store_rc store_mdb_rc(struct store *st, int rc, const char *what)
{
	switch (rc) {
	case 0:
		return STORE_OK;
	case MDB_NOTFOUND:
		return STORE_NOTFOUND;
	case MDB_MAP_FULL:
		return store_map_full(st, what);
	case MDB_CORRUPTED:
	case MDB_PAGE_NOTFOUND: {
		char why[STORE_ERR_MAX / 2];

		snprintf(why, sizeof(why), "%s: %s", what, mdb_strerror(rc));
		return store_damaged(st, why);
	}
	case MDB_INVALID:
	case MDB_VERSION_MISMATCH:
		return store_fail(st, STORE_CORRUPT, "%s: %s: %s", st->path,
				  what, mdb_strerror(rc));
	case EACCES:
	case EROFS:
		return store_fail(st, STORE_READONLY, "%s: %s: %s", st->path,
				  what, mdb_strerror(rc));
	case ENOSPC:
	case EIO:
	case EFBIG:
		if (store_nospace(st, rc))
			return STORE_NOSPACE;
		return store_fail(st, STORE_IO, "%s: %s: %s", st->path, what,
				  mdb_strerror(rc));
	}
	return store_fail(st, STORE_INTERNAL, "%s: %s: %s", st->path, what,
			  mdb_strerror(rc));
}

const char *store_strerror(enum store_rc rc)
{
	static const char *const names[] = {
		[STORE_OK] = "ok",
		[STORE_NOTFOUND] = "not found",
		[STORE_BADDATA] = "bad data",
		[STORE_EXISTS] = "exists already",
		[STORE_READONLY] = "store is read-only",
		[STORE_CORRUPT] = "store is corrupt",
		[STORE_FULL] = "store is full",
		[STORE_IO] = "input/output error",
		[STORE_INTERNAL] = "internal error",
		[STORE_DAMAGED] = "store file is damaged",
		[STORE_NOSPACE] = "no space left for the store file",
	};

	if ((unsigned)rc < sizeof(names) / sizeof(names[0]) && names[rc])
		return names[rc];
	return "unknown error";
}

enum result_kind store_rc_kind(enum store_rc rc)
{
	switch (rc) {
	case STORE_OK:
		return RESULT_OK;
	case STORE_NOTFOUND:
		return RESULT_NOTFOUND;
	case STORE_BADDATA:
	case STORE_EXISTS:
	case STORE_CORRUPT:
		return RESULT_BADDATA;
	case STORE_FULL:
	case STORE_NOSPACE:
		return RESULT_NOSPACE;
	case STORE_READONLY:
	case STORE_IO:
	case STORE_INTERNAL:
	case STORE_DAMAGED:
		break;
	}
	return RESULT_INTERNAL;
}

const char *result_kind_name(enum result_kind k)
{
	static const char *const names[] = {
		[RESULT_OK] = "ok",
		[RESULT_NOTFOUND] = "not found",
		[RESULT_BADDATA] = "bad data",
		[RESULT_CONFIG] = "configuration error",
		[RESULT_TRYAGAIN] = "temporary failure",
		[RESULT_INTERNAL] = "internal error",
		[RESULT_NOSPACE] = "no space",
	};

	if ((unsigned)k < sizeof(names) / sizeof(names[0]))
		return names[k];
	return "unknown result";
}

const char *store_errmsg(const struct store *st)
{
	(void)st;
	return thread_err;
}

const char *store_lmdb_version(void)
{
	return mdb_version(NULL, NULL, NULL);
}

const char *store_path(const struct store *st)
{
	return st->path;
}

/*
 * store_dbi - the handle of database dbname, opened (and with create,
 *	created) within txn on first use and remembered.  A handle opened
 *	in a write transaction is "pending" until it commits: LMDB closes
 *	it again when that transaction aborts.
 */
enum store_rc store_dbi(struct store_txn *txn, const char *dbname, bool create,
			MDB_dbi *out)
{
	return store_dbi_flags(txn, dbname, create, 0, out);
}

enum store_rc store_dbi_flags(struct store_txn *txn, const char *dbname,
			      bool create, unsigned flags, MDB_dbi *out)
{
	struct store *st = txn->st;
	enum store_rc rc = STORE_OK;
	int i, mrc;

	pthread_mutex_lock(&st->dbi_lock);
	for (i = 0; i < st->ndbis; i++)
		if (strcmp(st->dbis[i].name, dbname) == 0)
			break;
	if (i < st->ndbis) {
		*out = st->dbis[i].dbi;
		goto done;
	}
	mrc = mdb_dbi_open(txn->txn, dbname,
			   create && txn->write ? MDB_CREATE | flags : 0, out);
	if (mrc) {
		rc = store_mdb_rc(st, mrc, dbname);
		goto done;
	}
	if (st->ndbis == st->capdbis) {
		int cap = st->capdbis ? 2 * st->capdbis : 64;
		struct dbi_entry *d = realloc(st->dbis, (size_t)cap * sizeof(*d));

		if (!d) {
			rc = store_fail(st, STORE_INTERNAL, "out of memory");
			goto done;
		}
		st->dbis = d;
		st->capdbis = cap;
	}
	snprintf(st->dbis[st->ndbis].name, sizeof(st->dbis[0].name), "%s",
		 dbname);
	st->dbis[st->ndbis].dbi = *out;
	st->dbis[st->ndbis].pending = txn->write;
	st->ndbis++;
	txn->opened_dbi = true;
done:
	pthread_mutex_unlock(&st->dbi_lock);
	return rc;
}

/* store_dbi_forget_pending - after a write txn: keep or drop its opens. */
void store_dbi_forget_pending(struct store *st, bool keep)
{
	int j = 0;

	pthread_mutex_lock(&st->dbi_lock);
	for (int i = 0; i < st->ndbis; i++) {
		if (st->dbis[i].pending && !keep)
			continue;
		st->dbis[i].pending = false;
		st->dbis[j++] = st->dbis[i];
	}
	st->ndbis = j;
	pthread_mutex_unlock(&st->dbi_lock);
}

int store_meta_put_u64(struct store_txn *txn, const char *name, uint64_t v)
{
	MDB_val k = { strlen(name), (void *)name }, d = { sizeof(v), &v };

	return mdb_put(txn->txn, txn->st->meta, &k, &d, 0);
}

int store_meta_get_u64(struct store_txn *txn, const char *name, uint64_t *v)
{
	MDB_val k = { strlen(name), (void *)name }, d;
	int rc = mdb_get(txn->txn, txn->st->meta, &k, &d);

	if (rc == 0 && d.mv_size != sizeof(*v))
		return MDB_CORRUPTED;
	if (rc == 0)
		memcpy(v, d.mv_data, sizeof(*v));
	return rc;
}

enum store_rc store_format_upgrade(struct store_txn *t, uint64_t format)
{
	enum store_rc rc;

	if (format < 1 || format > STORE_FORMAT)
		return store_fail(t->st, STORE_CORRUPT, "store format %llu: "
				  "this mq reads format %u",
				  (unsigned long long)format, STORE_FORMAT);
	if (format == STORE_FORMAT)
		return STORE_OK;
	if ((rc = layout_open(t, true)) ||
	    (format < 3 && (rc = layout_upgrade(t, format))) ||
	    (format < 4 && (rc = layout_rekey(t))) ||
	    (rc = tag_open(t, true)) || (rc = tag_build(t)))
		return rc;
	return store_mdb_rc(t->st, store_meta_put_u64(t, "format",
						      STORE_FORMAT), DB_META);
}

enum store_rc store_meta_get(struct store_txn *txn, struct store_meta *m)
{
	MDB_val k = { 4, "uuid" }, d;
	int rc = mdb_get(txn->txn, txn->st->meta, &k, &d);

	if (rc == 0 && d.mv_size != sizeof(m->uuid))
		rc = MDB_CORRUPTED;
	if (rc == 0) {
		memcpy(m->uuid, d.mv_data, sizeof(m->uuid));
		rc = store_meta_get_u64(txn, "epoch", &m->epoch);
	}
	if (rc == 0)
		rc = store_meta_get_u64(txn, "seq", &m->seq);
	if (rc == 0)
		rc = store_meta_get_u64(txn, "format", &m->format);
	return store_mdb_rc(txn->st, rc, "meta");
}

void store_uuid_format(const uint8_t u[16], char out[37])
{
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
		 "%02x%02x%02x%02x%02x%02x", u[0], u[1], u[2], u[3], u[4],
		 u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13],
		 u[14], u[15]);
}

/* meta_init - a new store: a random uuid (RFC 4122 v4), epoch 1. */
static int meta_init(struct store_txn *txn)
{
	uint8_t uuid[16];
	MDB_val k = { 4, "uuid" }, d = { sizeof(uuid), uuid };
	uint64_t format = STORE_FORMAT;
	int rc;

	randombytes_buf(uuid, sizeof(uuid));
	uuid[6] = (uuid[6] & 0x0f) | 0x40;
	uuid[8] = (uuid[8] & 0x3f) | 0x80;
	rc = mdb_put(txn->txn, txn->st->meta, &k, &d, MDB_NOOVERWRITE);
	if (rc == MDB_KEYEXIST)
		return 0;
	if (rc == 0)
		rc = store_meta_put_u64(txn, "epoch", 1);
	if (rc == 0)
		rc = store_meta_put_u64(txn, "seq", 0);
	if (rc == 0)
		rc = store_meta_put_u64(txn, "format", format);
	return rc;
}

enum store_rc store_txn_begin(struct store *st, bool write,
			       struct store_txn *t)
{
	int rc;

	memset(t, 0, sizeof(*t));
	t->st = st;
	t->write = write;
	for (;;) {
		/* a long apply leaves the lock free only to writers that
		 * say they wait (wait.c) */
		if (write)
			store_wait_begin(st);
		rc = mdb_txn_begin(st->env, NULL, write ? 0 : MDB_RDONLY,
				   &t->txn);
		if (write)
			store_wait_end(st);
		if (rc != MDB_MAP_RESIZED)
			break;
		if (st->flags & STORE_MAP_RESERVE)
			return store_fail(st, STORE_FULL, "%s: another process "
					  "grew the map beyond store-max-size",
					  st->path);
		/* Another process grew the map: adopt its size. */
		rc = mdb_env_set_mapsize(st->env, 0);
		if (rc)
			break;
	}
	return store_mdb_rc(st, rc, write ? "begin write" : "begin read");
}

/*
 * Read transactions are recycled: mdb_txn_begin allocates and zeroes a
 * slot per possible database (STORE_MAX_DBS), which would cost a short
 * lookup more than the lookup itself.  A reset transaction is renewed
 * instead, in any thread (MDB_NOTLS).
 */
static struct store_txn *idle_reader_pop(struct store *st)
{
	struct store_txn *t = NULL;

	pthread_mutex_lock(&st->idle_lock);
	if (st->nidle > 0)
		t = st->idle[--st->nidle];
	pthread_mutex_unlock(&st->idle_lock);
	return t;
}

static bool idle_reader_push(struct store *st, struct store_txn *t)
{
	bool kept = false;

	pthread_mutex_lock(&st->idle_lock);
	if (st->nidle < STORE_IDLE_READERS) {
		st->idle[st->nidle++] = t;
		kept = true;
	}
	pthread_mutex_unlock(&st->idle_lock);
	return kept;
}

enum store_rc store_read_begin(struct store *st, struct store_txn **out)
{
	struct store_txn *t = idle_reader_pop(st);
	enum store_rc rc;

	*out = NULL;
	if (t && mdb_txn_renew(t->txn) == 0) {
		*out = t;
		store_reading++;
		return STORE_OK;
	}
	if (t)		/* renew failed, e.g. MDB_MAP_RESIZED: start afresh */
		mdb_txn_abort(t->txn);
	else if (!(t = malloc(sizeof(*t))))
		return store_fail(st, STORE_INTERNAL, "out of memory");
	rc = store_txn_begin(st, false, t);
	if (rc) {
		free(t);
		return rc;
	}
	*out = t;
	store_reading++;
	return STORE_OK;
}

/*
 * store_read_end - a transaction that opened a database handle commits,
 *	which keeps the handle for the process (a reset would close it);
 *	the others are reset and kept for the next store_read_begin.
 */
void store_read_end(struct store_txn *t)
{
	if (!t)
		return;
	store_reading--;
	if (!t->opened_dbi) {
		mdb_txn_reset(t->txn);
		if (idle_reader_push(t->st, t))
			return;
		mdb_txn_abort(t->txn);
	} else
		mdb_txn_commit(t->txn);
	free(t);
}

/*
 * open_mailerq_tables - every MailerQ table exists in a writable store
 *	(a writer creates them at open); their handles are kept by index,
 *	so a lookup finds its table without a name search.
 */
static enum store_rc open_mailerq_tables(struct store_txn *t)
{
	char dbname[REG_NAME_MAX + 8];
	MDB_dbi dbi;
	enum store_rc rc;

	for (int i = 0; reg_mailerq[i]; i++) {
		snprintf(dbname, sizeof(dbname), DB_TABLE_PREFIX "%s",
			 reg_mailerq[i]->name);
		rc = store_dbi(t, dbname, true, &dbi);
		if (rc)
			return rc;
		t->st->mailerq[i] = dbi;
	}
	return STORE_OK;
}

/* open_own_dbs - meta, changes and lists; a new writable store gets meta. */
static enum store_rc open_own_dbs(struct store *st)
{
	struct store_txn t;
	bool write = !(st->flags & STORE_RDONLY);
	enum store_rc rc = store_txn_begin(st, write, &t);
	unsigned cflag = write ? MDB_CREATE : 0;
	int mrc;
	uint64_t format = 0;

	if (rc)
		return rc;
	mrc = mdb_dbi_open(t.txn, DB_META, cflag, &st->meta);
	if (mrc == 0)
		mrc = mdb_dbi_open(t.txn, DB_CHANGES, cflag, &st->changes);
	if (mrc == 0)
		mrc = mdb_dbi_open(t.txn, DB_LISTS, cflag, &st->lists);
	if (mrc == 0 && write)
		mrc = meta_init(&t);
	if (mrc == 0)
		mrc = store_meta_get_u64(&t, "format", &format);
	if (mrc == MDB_NOTFOUND) {
		mdb_txn_abort(t.txn);
		return store_fail(st, STORE_CORRUPT, "%s: not an mq store "
				  "(no meta record)", st->path);
	}
	if (mrc == 0 && format >= 1 && format < STORE_FORMAT && write) {
		if ((rc = store_format_upgrade(&t, format))) {
			mdb_txn_abort(t.txn);
			store_dbi_forget_pending(st, false);
			return rc;
		}
		format = STORE_FORMAT;
	}
	if (mrc == 0 && format >= 1 && format < STORE_FORMAT) {
		mdb_txn_abort(t.txn);
		st->needs_upgrade = true;
		return store_fail(st, STORE_READONLY, "%s: store format %llu "
				  "needs an upgrade to format %u, which needs "
				  "write access: run 'mq stat' once as a user "
				  "who may write the file", st->path,
				  (unsigned long long)format, STORE_FORMAT);
	}
	if (mrc == 0 && format != STORE_FORMAT) {
		mdb_txn_abort(t.txn);
		return store_fail(st, STORE_CORRUPT, "%s: store format %llu, "
				  "this mq reads format %u", st->path,
				  (unsigned long long)format, STORE_FORMAT);
	}
	if (mrc) {
		mdb_txn_abort(t.txn);
		return store_mdb_rc(st, mrc, "open");
	}
	rc = open_mailerq_tables(&t);
	if (rc == STORE_OK)
		rc = layout_open(&t, write);
	if (rc == STORE_OK)
		rc = tag_open(&t, write);
	if (rc) {
		mdb_txn_abort(t.txn);
		store_dbi_forget_pending(st, false);
		return rc;
	}
	rc = store_mdb_rc(st, mdb_txn_commit(t.txn), "open");
	store_dbi_forget_pending(st, rc == STORE_OK);
	return rc;
}

/* check_parent - a clear message when the directory is missing. */
static enum store_rc check_parent(struct store *st)
{
	char dir[sizeof(st->path)];
	char *slash;
	struct stat sb;

	snprintf(dir, sizeof(dir), "%s", st->path);
	slash = strrchr(dir, '/');
	if (!slash)
		return STORE_OK;
	if (slash == dir)
		slash[1] = 0;
	else
		*slash = 0;
	if (stat(dir, &sb) != 0)
		return store_fail(st, STORE_IO, "%s: directory %s: %s",
				  st->path, dir, strerror(errno));
	if (!S_ISDIR(sb.st_mode))
		return store_fail(st, STORE_IO, "%s: %s is not a directory",
				  st->path, dir);
	return STORE_OK;
}

static enum store_rc env_open(struct store *st)
{
	unsigned mflags = MDB_NOSUBDIR | MDB_NOTLS;
	int rc, dead;

	if (st->flags & STORE_RDONLY)
		mflags |= MDB_RDONLY;
	rc = mdb_env_create(&st->env);
	if (rc == 0)
		rc = mdb_env_set_maxdbs(st->env, STORE_MAX_DBS);
	if (rc == 0)
		rc = mdb_env_set_assert(st->env, store_on_assert);
	/* LMDB raises it to what an existing file's pages take. */
	if (rc == 0)
		rc = mdb_env_set_mapsize(st->env,
					 st->flags & STORE_MAP_RESERVE ||
					 st->opt.max_size < MAP_INITIAL
					 ? st->opt.max_size : MAP_INITIAL);
	if (rc)
		return store_mdb_rc(st, rc, "create environment");
	rc = mdb_env_open(st->env, st->path, mflags, 0600);
	if (rc == ENOENT)
		return store_fail(st, STORE_IO, "%s: no such store file",
				  st->path);
	if (rc == EACCES || rc == EROFS || rc == EPERM)
		return store_fail(st, STORE_IO, "%s: cannot open: %s",
				  st->path, strerror(rc));
	if (rc == MDB_INVALID || rc == MDB_VERSION_MISMATCH)
		return store_fail(st, STORE_CORRUPT, "%s: not an LMDB store "
				  "file (%s)", st->path, mdb_strerror(rc));
	if (rc)
		return store_mdb_rc(st, rc, "open");
	/* Readers of processes that died (SIGKILL) hold old pages. */
	mdb_reader_check(st->env, &dead);
	return STORE_OK;
}

/*
 * warn_oversize - a store larger than store-max-size opens, for reads;
 *	a write that needs a page more meets the limit (txn.c).
 */
static void warn_oversize(struct store *st, uint64_t used)
{
	if (used > st->opt.max_size)
		snprintf(st->warning, sizeof(st->warning), "%s: the store "
			 "takes %llu bytes, more than store-max-size (%llu "
			 "bytes): reads work, writes that need more room are "
			 "refused", st->path, (unsigned long long)used,
			 (unsigned long long)st->opt.max_size);
}

const char *store_open_warning(const struct store *st)
{
	return st->warning;
}

/* keep_private - the store holds DKIM private keys: owner-only access. */
static void keep_private(struct store *st)
{
	char lock[sizeof(st->path) + 8];

	if (st->flags & STORE_RDONLY)
		return;
	chmod(st->path, 0600);
	snprintf(lock, sizeof(lock), "%s-lock", st->path);
	chmod(lock, 0600);
}

/*
 * open_upgraded - a read-only open of a store of an older format:
 *	upgrade it with a writing open (which needs write access), then
 *	open it read-only again.
 */
static enum store_rc open_upgraded(const char *path, unsigned flags,
				   const struct store_options *opt,
				   struct store **out, char *errbuf,
				   size_t errlen)
{
	struct store *w;
	char why[STORE_ERR_MAX];
	enum store_rc rc;

	snprintf(why, sizeof(why), "%s", thread_err);
	rc = store_open(path, flags & ~(unsigned)STORE_RDONLY, opt, &w,
			errbuf, errlen);
	if (rc && errbuf) {	/* say what to run, then why it failed */
		size_t n = strlen(why);

		snprintf(why + n, sizeof(why) - n, " (%s)", errbuf);
		snprintf(errbuf, errlen, "%s", why);
	}
	if (rc)
		return rc;
	store_close(w);
	return store_open(path, flags, opt, out, errbuf, errlen);
}

enum store_rc store_open(const char *path, unsigned flags,
			 const struct store_options *opt,
			 struct store **out, char *errbuf, size_t errlen)
{
	struct store *st = calloc(1, sizeof(*st));
	enum store_rc rc;
	uint64_t used = 0;

	*out = NULL;
	if (!st || sodium_init() < 0) {
		free(st);
		snprintf(errbuf, errlen, "%s: out of memory", path);
		return STORE_INTERNAL;
	}
	pthread_mutex_init(&st->dbi_lock, NULL);
	pthread_mutex_init(&st->idle_lock, NULL);
	pthread_mutex_init(&st->lookups_lock, NULL);
	pthread_mutex_init(&st->lookups_build_lock, NULL);
	pthread_mutex_init(&st->health_lock, NULL);
	pthread_mutex_init(&st->wait_lock, NULL);
	st->flags = flags;
	if (opt)
		st->opt = *opt;
	if (!st->opt.max_size)
		st->opt.max_size = MAX_SIZE_DEFAULT;
	if (!st->opt.changes_keep)
		st->opt.changes_keep = CHANGES_KEEP_DEFAULT;
	if (strlen(path) >= sizeof(st->path) || !*path)
		rc = store_fail(st, STORE_BADDATA, "store path empty or "
				"too long");
	else {
		snprintf(st->path, sizeof(st->path), "%s", path);
		rc = check_parent(st);
	}
	if (rc == STORE_OK)
		rc = store_file_check(st, &used);
	if (rc == STORE_OK)
		rc = env_open(st);
	if (rc == STORE_OK)
		rc = open_own_dbs(st);
	if (rc == STORE_OK)
		warn_oversize(st, used);
	if (rc && st->needs_upgrade) {
		store_close(st);
		return open_upgraded(path, flags, opt, out, errbuf, errlen);
	}
	if (rc) {
		if (errbuf)
			snprintf(errbuf, errlen, "%s", thread_err);
		store_close(st);
		return rc;
	}
	keep_private(st);
	*out = st;
	return STORE_OK;
}

void store_close(struct store *st)
{
	if (!st)
		return;
	store_lookups_builder_stop(st);
	for (int i = 0; i < st->nidle; i++) {
		mdb_txn_abort(st->idle[i]->txn);
		free(st->idle[i]);
	}
	if (st->env)
		mdb_env_close(st->env);
	store_lookups_release(st->lookups);
	pthread_mutex_destroy(&st->dbi_lock);
	pthread_mutex_destroy(&st->idle_lock);
	pthread_mutex_destroy(&st->lookups_lock);
	pthread_mutex_destroy(&st->lookups_build_lock);
	pthread_mutex_destroy(&st->health_lock);
	pthread_mutex_destroy(&st->wait_lock);
	free(st->dbis);
	free(st);
}

/* count_reader_line - mdb_reader_list prints a header, then a slot a line. */
static int count_reader_line(const char *msg, void *ctx)
{
	unsigned *n = ctx;

	if (strncmp(msg, "    pid", 7) != 0 && strncmp(msg, "(no active", 10))
		(*n)++;
	return 0;
}

enum store_rc store_stat(struct store *st, struct store_stat *out)
{
	MDB_envinfo info;
	MDB_stat ms;
	struct stat sb;
	int dead;

	memset(out, 0, sizeof(*out));
	mdb_reader_check(st->env, &dead);
	if (mdb_env_info(st->env, &info) || mdb_env_stat(st->env, &ms))
		return store_fail(st, STORE_INTERNAL, "%s: stat failed",
				  st->path);
	if (stat(st->path, &sb) == 0)
		out->file_size = (uint64_t)sb.st_size;
	out->map_size = info.me_mapsize;
	out->last_page = info.me_last_pgno;
	out->page_size = ms.ms_psize;
	out->max_readers = info.me_maxreaders;
	mdb_reader_list(st->env, count_reader_line, &out->num_readers);
	return STORE_OK;
}
