/*
 * NAME
 *	ezmlm_export.c - write a list as a new ezmlm-idx list directory
 * SYNOPSIS
 *	import_ezmlm.dump(st, "team", "/var/lists/team", &res);
 * DESCRIPTION
 *	Writes DIR/key (the list's secret key), and for the list and each
 *	of digest/, allow/, deny/, mod/: subscribers/C files of "T" +
 *	address + NUL records, in the store's order, and a Log made from
 *	the _slog table, in the layout of ezmlm_dir.h, so that ezmlm-idx's
 *	ezmlm-list reads the subscribers.  Everything is written into
 *	DIR.mq-PID-XXXXXX next to DIR (directories 0700, files 0600, each file
 *	fsynced), which is then renamed to DIR, refusing to replace
 *	anything: DIR appears whole or not at all.
 *
 *	A native directory has no room for mq's special hashes: a forced
 *	hash 0..52 picks the file (as ezmlm-sub -h does), sublist (99) and
 *	receipt (98) addresses go where their address hashes, being
 *	recipients in both worlds, and blocked addresses (53..97), which a
 *	native list would send to, are left out and counted.
 * DIAGNOSTICS
 *	IMPORT_EXISTS when DIR exists, IMPORT_NOTFOUND when the list does
 *	not, IMPORT_IO naming the file that could not be written.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "import/ezmlm_dir.h"
#include "store/mlist.h"

#define NFILES		(SUB_HASH_MAX + 1)

struct buf {
	char *p;
	size_t n, cap;
	bool oom;
};

struct ez_dump {
	struct import_result *res;
	struct buf file[NFILES];
	struct buf log;
	uint64_t count;
};


static void buf_add(struct buf *b, const void *p, size_t n)
{
	if (b->oom)
		return;
	if (b->n + n > b->cap) {
		size_t cap = b->cap ? 2 * b->cap : 4096;
		char *q;

		while (cap < b->n + n)
			cap *= 2;
		if (!(q = realloc(b->p, cap))) {
			b->oom = true;
			return;
		}
		b->p = q;
		b->cap = cap;
	}
	memcpy(b->p + b->n, p, n);
	b->n += n;
}

/* write_file - a new file of mode 0600 holding data, on disk. */
static enum import_rc write_file(struct import_result *res, const char *path,
				 const void *data, size_t len)
{
	const char *p = data;
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

	if (fd < 0)
		return ezmlm_fail(res, IMPORT_IO, "%s: %s", path, strerror(errno));
	while (len > 0) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		p += w;
		len -= (size_t)w;
	}
	if (len > 0 || fsync(fd) < 0) {
		int e = errno;

		close(fd);
		return ezmlm_fail(res, IMPORT_IO, "%s: %s", path, strerror(e));
	}
	if (close(fd) < 0)
		return ezmlm_fail(res, IMPORT_IO, "%s: %s", path, strerror(errno));
	return IMPORT_OK;
}

static enum import_rc make_dir(struct import_result *res, const char *path)
{
	if (mkdir(path, 0700) < 0)
		return ezmlm_fail(res, IMPORT_IO, "%s: %s", path, strerror(errno));
	return IMPORT_OK;
}

/* file_index - which subscribers/ file an address goes to; -1: none. */
static int file_index(const char *addr, size_t len, int hash)
{
	if (hash >= 0 && hash <= SUB_HASH_MAX &&
	    (unsigned)hash != sub_hash(addr, len))
		return hash;
	if (hash > SUB_HASH_MAX && hash != SUB_HASH_RECEIPT &&
	    hash != SUB_HASH_SUBLIST)
		return -1;
	return ezmlm_file_char(addr, len, true) - '@';
}

static int collect_address(const char *addr, size_t len, int hash, void *arg)
{
	struct ez_dump *d = arg;
	int i = file_index(addr, len, hash);

	if (i < 0) {
		d->res->left_out++;
		return 0;
	}
	buf_add(&d->file[i], "T", 1);
	buf_add(&d->file[i], addr, len);
	buf_add(&d->file[i], "", 1);
	d->count++;
	return 0;
}

/* tai_secs - a stored time as unix seconds; 0 when absent. */
static long long tai_secs(const struct store_value *v)
{
	char s[32];
	struct tm tm = { 0 };

	if (v->kind != SV_TEXT || v->len >= sizeof(s))
		return 0;
	memcpy(s, v->s, v->len);
	s[v->len] = 0;
	if (sscanf(s, "%4d-%2d-%2d %2d:%2d:%2d", &tm.tm_year, &tm.tm_mon,
		   &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6)
		return 0;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return (long long)timegm(&tm);
}

/* add_printable - text as ezmlm's Log writes it: other bytes as '?'. */
static void add_printable(struct buf *b, const struct store_value *v, int lo)
{
	for (size_t i = 0; v->kind == SV_TEXT && i < v->len; i++) {
		unsigned char c = (unsigned char)v->s[i];
		char out = c == '\t' && lo == ' ' ? ' '
			: c < lo || c > 126 ? '?' : (char)c;

		buf_add(b, &out, 1);
	}
}

static char text_char(const struct store_value *v, char dflt)
{
	return v->kind == SV_TEXT && v->len ? v->s[0] : dflt;
}

void ezmlm_event_word(char edir, char etype, char out[EZ_EVENT_MAX + 1])
{
	const char *word = etype == 'm' ? "manual" : etype == 'p' ? "probe"
		: NULL;

	out[0] = edir == '-' ? '-' : '+';
	if (word)
		snprintf(out + 1, EZ_EVENT_MAX, "%s", word);
	else if (etype > ' ' && etype <= '~')
		snprintf(out + 1, EZ_EVENT_MAX, "%c", etype);
	else
		out[1] = 0;
}

/* collect_log - one _slog row as a Log line. */
static int collect_log(const struct store_row *row, void *arg)
{
	struct ez_dump *d = arg;
	char head[64], event[EZ_EVENT_MAX + 1];

	const struct store_value *from = &row->col[REG_SLOG_FROMLINE];

	ezmlm_event_word(text_char(&row->col[REG_SLOG_EDIR], '+'),
			 text_char(&row->col[REG_SLOG_ETYPE], ' '), event);
	snprintf(head, sizeof(head), "%lld %s ",
		 tai_secs(&row->col[REG_SLOG_TAI]), event);
	buf_add(&d->log, head, strlen(head));
	add_printable(&d->log, &row->col[REG_SLOG_ADDRESS], '!');
	if (from->kind == SV_TEXT && from->len) {
		buf_add(&d->log, " ", 1);
		add_printable(&d->log, from, ' ');
	}
	buf_add(&d->log, "\n", 1);
	d->count++;
	return 0;
}

static enum import_rc store_failed(struct import_result *res,
				   struct store *st, enum store_rc rc)
{
	res->store_rc = rc;
	return ezmlm_fail(res, rc == STORE_NOTFOUND ? IMPORT_NOTFOUND : IMPORT_STORE,
		    "%s", store_errmsg(st));
}

/* dump_table - one address table's subscribers/ and Log under base. */
static enum import_rc dump_table(struct store *st, struct store_txn *txn,
				 const char *root, int which, const char *base,
				 struct ez_dump *d)
{
	char path[EZ_PATH + 64], slog[REG_NAME_MAX + 16];
	enum import_rc rc;
	enum store_rc src;

	snprintf(path, sizeof(path), "%s/subscribers", base);
	if (which && (rc = make_dir(d->res, base)))
		return rc;
	if ((rc = make_dir(d->res, path)))
		return rc;
	d->count = 0;
	if ((src = store_sub_each(txn, root, (enum sub_table)which, 0,
				  SUB_HASH_LIMIT, false, collect_address, d)))
		return store_failed(d->res, st, src);
	d->res->addresses[which] = d->count;
	for (int i = 0; i < NFILES; i++) {
		if (d->file[i].oom)
			return ezmlm_fail(d->res, IMPORT_IO, "out of memory");
		snprintf(path, sizeof(path), "%s/subscribers/%c", base, '@' + i);
		if (d->file[i].n &&
		    (rc = write_file(d->res, path, d->file[i].p, d->file[i].n)))
			return rc;
		d->file[i].n = 0;
	}
	snprintf(slog, sizeof(slog), "%s%s_slog", root,
		 sub_table_suffix((enum sub_table)which));
	d->count = 0;
	if ((src = store_scan(txn, slog, NULL, 0, collect_log, d)))
		return store_failed(d->res, st, src);
	d->res->log_lines[which] = d->count;
	snprintf(path, sizeof(path), "%s/Log", base);
	if (d->log.oom)
		return ezmlm_fail(d->res, IMPORT_IO, "out of memory");
	rc = d->log.n ? write_file(d->res, path, d->log.p, d->log.n) : 0;
	d->log.n = 0;
	return rc;
}

/* dump_tree - the whole directory under tmp, from one read snapshot. */
static enum import_rc dump_tree(struct store *st, const char *root,
				const char *tmp, struct ez_dump *d)
{
	char path[EZ_PATH + 32];
	const uint8_t *key;
	size_t keylen;
	struct store_txn *txn;
	enum import_rc rc = IMPORT_OK;
	enum store_rc src;

	if ((src = store_read_begin(st, &txn)))
		return store_failed(d->res, st, src);
	if ((src = store_list_key(txn, root, &key, &keylen)))
		rc = store_failed(d->res, st, src);
	snprintf(path, sizeof(path), "%s/key", tmp);
	if (rc == IMPORT_OK)
		rc = write_file(d->res, path, key, keylen);
	for (int i = 0; rc == IMPORT_OK && i < IMPORT_TABLES; i++) {
		snprintf(path, sizeof(path), "%s%s%s", tmp, i ? "/" : "",
			 ezmlm_subdir[i]);
		rc = dump_table(st, txn, root, i, path, d);
	}
	store_read_end(txn);
	return rc;
}

static int remove_entry(const char *path, const struct stat *sb, int flag,
			struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* sync_dir - make a rename in directory path durable. */
static void sync_dir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

enum import_rc ezmlm_dump(struct store *st, const char *root,
			  const char *path, struct import_result *res)
{
	struct ez_dump d = { .res = res };
	char tmp[EZ_PATH + 16], parent[EZ_PATH + 1];
	struct stat sb;
	enum import_rc rc;

	memset(res, 0, sizeof(*res));
	/* room for the temporary's ".mq-PID-XXXXXX" beside it */
	if (strlen(path) > EZ_PATH - 24)
		return ezmlm_fail(res, IMPORT_BADDATA, "directory name longer than "
			    "%d bytes", EZ_PATH - 24);
	if (lstat(path, &sb) == 0)
		return ezmlm_fail(res, IMPORT_EXISTS, "%s: exists already; export "
			    "writes a new directory", path);
	store_stale_temps_remove(path, ".mq-");
	if (snprintf(tmp, sizeof(tmp), "%s.mq-%ld-XXXXXX", path,
		     (long)getpid()) >=
	    (int)sizeof(tmp) || !mkdtemp(tmp))
		return ezmlm_fail(res, IMPORT_IO, "%s: cannot create a directory "
			    "beside it: %s", path, strerror(errno));
	rc = dump_tree(st, root, tmp, &d);
	sync_dir(tmp);
	if (rc == IMPORT_OK && renameat2(AT_FDCWD, tmp, AT_FDCWD, path,
					 RENAME_NOREPLACE) < 0)
		rc = ezmlm_fail(res, errno == EEXIST ? IMPORT_EXISTS : IMPORT_IO,
			  "%s: %s", path, strerror(errno));
	if (rc)
		nftw(tmp, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	else {
		snprintf(parent, sizeof(parent), "%s", path);
		sync_dir(dirname(parent));
	}
	for (int i = 0; i < NFILES; i++)
		free(d.file[i].p);
	free(d.log.p);
	return rc;
}
