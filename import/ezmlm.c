/*
 * NAME
 *	ezmlm.c - import an ezmlm-idx list directory into a list
 * SYNOPSIS
 *	import_ezmlm.load(st, "/var/lists/team", "team", &opt, &res);
 * DESCRIPTION
 *	Reads DIR/key, then for the list and each of digest/, allow/,
 *	deny/, mod/ its subscribers/ files and its Log (layout in
 *	ezmlm_dir.h), checks every record and line, and only then writes
 *	the list in one store transaction: the list (with DIR/key as its
 *	secret key), its subscribers through store_sub (hash and domain
 *	columns as mq computes them), and each Log as its _slog table.
 *
 *	A record found in the file its address hashes to (or, as older
 *	ezmlm-idx wrote, to the hash of the address with its local part's
 *	case kept) gets the computed hash; one in another file was put
 *	there with a forced hash (ezmlm-sub -h), and keeps it.
 * DIAGNOSTICS
 *	IMPORT_BADDATA names the file and record or line: a file that does
 *	not end with its terminator is "truncated"; anything else that is
 *	not ezmlm's format is "malformed".  Nothing is written then.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "import/ezmlm_dir.h"
#include "store/mlist.h"

#define SECS_MAX	253402300799LL	/* 9999-12-31 23:59:59 */

const char *const ezmlm_subdir[IMPORT_TABLES] = {
	"", "digest", "allow", "deny", "mod",
};

enum import_rc ezmlm_fail(struct import_result *res, enum import_rc rc,
			  const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(res->err, sizeof(res->err), fmt, ap);
	va_end(ap);
	return rc;
}

/* One Log line, pointing into its file's buffer. */
struct ez_log {
	char tai[20];
	const char *addr, *comment;
	size_t addrlen, commentlen;
	char edir, etype;
};

struct ez_table {
	struct sub_request *subs;
	size_t nsubs, capsubs;
	struct ez_log *log;
	size_t nlog, caplog;
};

struct ez_load {
	const char *dir, *root;
	const struct import_options *opt;
	struct import_result *res;
	uint8_t *key;
	size_t keylen;
	struct ez_table t[IMPORT_TABLES];
	char **bufs;		/* file contents the entries point into */
	size_t nbufs, capbufs;
};


/* grow - v with room for element n of size sz; NULL when out of memory. */
static void *grow(void *v, size_t n, size_t *cap, size_t sz)
{
	size_t c = *cap ? 2 * *cap : 64;
	void *p;

	if (n < *cap)
		return v;
	if ((p = realloc(v, c * sz)))
		*cap = c;
	return p;
}

char ezmlm_file_char(const char *addr, size_t len, bool fold_local)
{
	char buf[1 + EZ_RECORD_MAX];
	const char *at = memrchr(addr, '@', len);
	/* ezmlm folds the domain; fold_local: the whole address */
	size_t kept = fold_local ? 0 : at ? (size_t)(at - addr) + 1 : len;

	if (len >= EZ_RECORD_MAX)
		len = EZ_RECORD_MAX - 1;
	if (kept > len)
		kept = len;
	buf[0] = 'T';
	memcpy(buf + 1, addr, kept);
	store_ascii_fold(buf + 1 + kept, addr + kept, len - kept);
	return (char)('@' + sub_hash_bytes(buf, len + 1));
}

/* file_kind - what a file that is not a regular file is, for messages */
static const char *file_kind(mode_t mode)
{
	return S_ISLNK(mode) ? "a symbolic link" : S_ISFIFO(mode) ? "a FIFO"
		: S_ISCHR(mode) || S_ISBLK(mode) ? "a device"
		: S_ISDIR(mode) ? "a directory" : S_ISSOCK(mode) ? "a socket"
		: "not a regular file";
}

/*
 * open_regular - path opened for reading when it is a regular file.
 *	O_NOFOLLOW: a symbolic link (key -> /etc/passwd) is refused, not
 *	read; O_NONBLOCK: opening a FIFO does not wait for a writer.
 *	Refused: -1 with res->err naming the file, rc in *rc.
 */
static int open_regular(struct ez_load *l, const char *path, bool missing_ok,
			enum import_rc *rc)
{
	struct stat sb;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	int err = errno;

	*rc = IMPORT_OK;
	if (fd < 0 && err == ENOENT && missing_ok)
		return -1;
	/* a link (ELOOP), a socket (ENXIO): what it is, from lstat */
	if ((fd < 0 ? lstat(path, &sb) : fstat(fd, &sb)) < 0) {
		if (fd >= 0)
			close(fd);
		*rc = ezmlm_fail(l->res, IMPORT_IO, "%s: %s", path,
				 strerror(fd < 0 ? err : errno));
		return -1;
	}
	if (fd >= 0 && S_ISREG(sb.st_mode) &&
	    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) == 0)
		return fd;
	if (fd >= 0)
		close(fd);
	*rc = S_ISREG(sb.st_mode)
		? ezmlm_fail(l->res, IMPORT_IO, "%s: %s", path, strerror(err))
		: ezmlm_fail(l->res, IMPORT_BADDATA, "%s: %s: refused, only "
			     "regular files are read", path,
			     file_kind(sb.st_mode));
	return -1;
}

/*
 * slurp - the whole of path into a buffer kept by l; *buf NULL when the
 *	file does not exist (and missing_ok).
 */
static enum import_rc slurp(struct ez_load *l, const char *path,
			    bool missing_ok, char **buf, size_t *len)
{
	struct stat sb;
	ssize_t r;
	size_t got = 0;
	enum import_rc rc;
	int fd = open_regular(l, path, missing_ok, &rc);

	*buf = NULL;
	*len = 0;
	if (fd < 0)
		return rc;
	if (fstat(fd, &sb) < 0 || (uint64_t)sb.st_size > EZ_FILE_MAX) {
		close(fd);
		return ezmlm_fail(l->res, IMPORT_BADDATA, "%s: larger than "
				  "1 GiB", path);
	}
	char **bufs = grow(l->bufs, l->nbufs, &l->capbufs, sizeof(char *));

	if (bufs)
		l->bufs = bufs;
	if (!bufs || !(*buf = malloc((size_t)sb.st_size + 1))) {
		close(fd);
		return ezmlm_fail(l->res, IMPORT_IO, "%s: out of memory", path);
	}
	l->bufs[l->nbufs++] = *buf;
	while (got < (size_t)sb.st_size &&
	       (r = read(fd, *buf + got, (size_t)sb.st_size - got)) > 0)
		got += (size_t)r;
	close(fd);
	if (got != (size_t)sb.st_size)
		return ezmlm_fail(l->res, IMPORT_IO, "%s: short read", path);
	*len = got;
	return IMPORT_OK;
}

/* add_record - check one subscribers/ record and queue it. */
static enum import_rc add_record(struct ez_load *l, int which,
				 const char *path, char name, size_t recno,
				 const char *rec, size_t len)
{
	struct ez_table *t = &l->t[which];
	char addr[SUB_ADDR_MAX + 1], why[256];
	size_t alen;
	int hash = -1;

	if (len < 2 || rec[0] != 'T' || len > EZ_RECORD_MAX)
		return ezmlm_fail(l->res, IMPORT_BADDATA, "%s: record %zu: malformed"
			    ": not 'T' + address", path, recno);
	if (sub_address(rec + 1, len - 1, addr, &alen, why, sizeof(why)))
		return ezmlm_fail(l->res, IMPORT_BADDATA, "%s: record %zu: malformed"
			    ": %s", path, recno, why);
	if (name != ezmlm_file_char(rec + 1, len - 1, true) &&
	    name != ezmlm_file_char(rec + 1, len - 1, false))
		hash = name - '@';	/* put there by a forced hash */
	if (hash == 0)		/* or by hand: everyone in subscribers/@ */
		l->res->placed_at_zero++;
	if (!addr_check(rec + 1, len - 1, true, why, sizeof(why)) &&
	    l->res->odd_addresses++ == 0)
		snprintf(l->res->odd_address, sizeof(l->res->odd_address),
			 "%.700s: record %zu: %.200s", path, recno, why);
	struct sub_request *subs = grow(t->subs, t->nsubs, &t->capsubs,
					sizeof(*t->subs));

	if (!subs)
		return ezmlm_fail(l->res, IMPORT_IO, "out of memory");
	t->subs = subs;
	t->subs[t->nsubs++] = (struct sub_request){ rec + 1, len - 1, hash,
						    NULL, 0, 'm' };
	return IMPORT_OK;
}

/* read_subscribers_file - every NUL-terminated record of one file. */
static enum import_rc read_subscribers_file(struct ez_load *l, int which,
					    const char *path, char name)
{
	char *buf, *p, *end, *nul;
	size_t len, recno = 0;
	enum import_rc rc = slurp(l, path, false, &buf, &len);

	if (rc)
		return rc;
	for (p = buf, end = buf + len; p < end; p = nul + 1) {
		if (!(nul = memchr(p, 0, (size_t)(end - p))))
			return ezmlm_fail(l->res, IMPORT_BADDATA, "%s: truncated: "
				    "record %zu has no NUL at the end", path,
				    recno + 1);
		if ((rc = add_record(l, which, path, name, ++recno, p,
				     (size_t)(nul - p))))
			return rc;
	}
	return IMPORT_OK;
}

/* name_order - subscribers/ files are read in hash order. */
static int name_order(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/*
 * open_dir - *fd the directory path, not following a symbolic link; -1
 *	(and IMPORT_OK) when it does not exist and missing_ok.
 */
static enum import_rc open_dir(struct ez_load *l, const char *path,
			       bool missing_ok, int *fd)
{
	struct stat sb;

	*fd = open(path, O_RDONLY | O_CLOEXEC | O_DIRECTORY | O_NOFOLLOW |
		   O_NONBLOCK);
	if (*fd >= 0 || (errno == ENOENT && missing_ok))
		return IMPORT_OK;
	if (errno == ENOENT)
		return ezmlm_fail(l->res, IMPORT_BADDATA, "%s: %s (not an "
				  "ezmlm list directory)", path, strerror(errno));
	if ((errno != ELOOP && errno != ENOTDIR) || lstat(path, &sb) < 0)
		return ezmlm_fail(l->res, IMPORT_IO, "%s: %s", path,
				  strerror(errno));
	return ezmlm_fail(l->res, IMPORT_BADDATA, "%s: %s: refused, only "
			  "directories and regular files are read", path,
			  file_kind(sb.st_mode));
}

/* check_subdir - digest/, allow/, ...: absent, or a real directory */
static enum import_rc check_subdir(struct ez_load *l, const char *path)
{
	enum import_rc rc;
	int fd;

	if ((rc = open_dir(l, path, true, &fd)) == IMPORT_OK && fd >= 0)
		close(fd);
	return rc;
}

static enum import_rc read_subscribers(struct ez_load *l, int which,
				       const char *base)
{
	char dir[EZ_PATH + 64], path[EZ_PATH + 64 + 260];
	struct dirent **names;
	enum import_rc rc;
	int n, fd;

	snprintf(dir, sizeof(dir), "%s/subscribers", base);
	if ((rc = open_dir(l, dir, which != 0, &fd)) || fd < 0)
		return rc;
	n = scandirat(fd, ".", &names, NULL, name_order);
	close(fd);
	if (n < 0)
		return ezmlm_fail(l->res, IMPORT_IO, "%s: %s", dir,
				  strerror(errno));
	for (int i = 0; i < n; i++) {
		const char *nm = names[i]->d_name;

		if (rc == IMPORT_OK && nm[0] >= '@' && nm[0] <= '@' + 52 &&
		    nm[1] == 0) {
			snprintf(path, sizeof(path), "%s/%s", dir, nm);
			rc = read_subscribers_file(l, which, path, nm[0]);
		} else if (strcmp(nm, ".") && strcmp(nm, ".."))
			l->res->ignored_files++;
		free(names[i]);
	}
	free(names);
	return rc;
}

/* parse_secs - a Log timestamp as the _slog tai text. */
static bool parse_secs(const char *s, size_t n, char tai[20])
{
	long long v = 0;
	struct tm tm;
	time_t tt;

	if (n == 0 || n > 12)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	if (v > SECS_MAX)
		return false;
	tt = (time_t)v;
	gmtime_r(&tt, &tm);
	strftime(tai, 20, "%Y-%m-%d %H:%M:%S", &tm);
	return true;
}

/* utf8_cut - at most max bytes of s, not ending inside a character. */
static size_t utf8_cut(const char *s, size_t len, size_t max)
{
	if (len <= max)
		return len;
	while (max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80)
		max--;
	return max;
}

/* parse_log_line - "secs event address[ comment]" into e. */
static const char *parse_log_line(const char *s, size_t n, struct ez_log *e,
				  bool *cut)
{
	const char *sp1 = memchr(s, ' ', n), *ev, *sp2, *addr, *sp3;

	if (memchr(s, 0, n))
		return "a NUL byte";
	if (!sp1 || !parse_secs(s, (size_t)(sp1 - s), e->tai))
		return "no unix time at the start";
	ev = sp1 + 1;
	if (!(sp2 = memchr(ev, ' ', (size_t)(s + n - ev))) || sp2 == ev ||
	    sp2 - ev > EZ_EVENT_MAX || (*ev != '+' && *ev != '-'))
		return "no event (+... or -...) after the time";
	addr = sp2 + 1;
	sp3 = memchr(addr, ' ', (size_t)(s + n - addr));
	e->addr = addr;
	e->addrlen = (size_t)((sp3 ? sp3 : s + n) - addr);
	if (e->addrlen == 0 || e->addrlen > EZ_SLOG_TEXT_MAX)
		return "no address, or one longer than 255 bytes";
	e->edir = *ev;
	e->etype = sp2 - ev > 1 ? ev[1] : ' ';
	e->comment = sp3 ? sp3 + 1 : "";
	e->commentlen = sp3 ? (size_t)(s + n - sp3 - 1) : 0;
	*cut = e->commentlen > EZ_SLOG_TEXT_MAX;
	e->commentlen = utf8_cut(e->comment, e->commentlen, EZ_SLOG_TEXT_MAX);
	return NULL;
}

static enum import_rc read_log(struct ez_load *l, int which, const char *base)
{
	struct ez_table *t = &l->t[which];
	char path[EZ_PATH + 64], *buf, *p, *end, *nl;
	size_t len, line = 0;
	enum import_rc rc;

	snprintf(path, sizeof(path), "%s/Log", base);
	if ((rc = slurp(l, path, true, &buf, &len)) || !buf)
		return rc;
	for (p = buf, end = buf + len; p < end; p = nl + 1) {
		const char *why;
		bool cut;

		line++;
		if (!(nl = memchr(p, '\n', (size_t)(end - p))))
			return ezmlm_fail(l->res, IMPORT_BADDATA, "%s:%zu: truncated:"
				    " the last line has no newline", path, line);
		struct ez_log *log = grow(t->log, t->nlog, &t->caplog,
					  sizeof(*t->log));

		if (!log)
			return ezmlm_fail(l->res, IMPORT_IO, "out of memory");
		t->log = log;
		if ((why = parse_log_line(p, (size_t)(nl - p),
					  &t->log[t->nlog], &cut)))
			return ezmlm_fail(l->res, IMPORT_BADDATA, "%s:%zu: malformed:"
				    " %s", path, line, why);
		t->nlog++;
		l->res->cut_comments += cut;
	}
	return IMPORT_OK;
}

static enum import_rc read_key(struct ez_load *l)
{
	char path[EZ_PATH + 64], *buf;
	size_t len;
	enum import_rc rc;

	snprintf(path, sizeof(path), "%s/key", l->dir);
	if ((rc = slurp(l, path, true, &buf, &len)))
		return rc;
	if (buf && len > STORE_LIST_KEY_MAX)
		return ezmlm_fail(l->res, IMPORT_BADDATA, "%s: longer than %d bytes",
			    path, STORE_LIST_KEY_MAX);
	l->key = buf ? (uint8_t *)buf : (uint8_t *)l->opt->key;
	l->keylen = buf ? len : l->opt->keylen;
	l->res->key_generated = !buf;
	return IMPORT_OK;
}

/* read_dir - every file of the directory, checked, before any write. */
static enum import_rc read_dir(struct ez_load *l)
{
	char base[EZ_PATH + 16];
	struct stat sb;
	enum import_rc rc;

	if (strlen(l->dir) > EZ_PATH)
		return ezmlm_fail(l->res, IMPORT_BADDATA, "directory name longer "
			    "than %d bytes", EZ_PATH);
	if (stat(l->dir, &sb) < 0)
		return ezmlm_fail(l->res, errno == ENOENT ? IMPORT_NOTFOUND : IMPORT_IO,
			    "%s: %s", l->dir, strerror(errno));
	if (!S_ISDIR(sb.st_mode))
		return ezmlm_fail(l->res, IMPORT_BADDATA, "%s: not a directory",
			    l->dir);
	if ((rc = read_key(l)))
		return rc;
	for (int i = 0; i < IMPORT_TABLES; i++) {
		snprintf(base, sizeof(base), "%s%s%s", l->dir,
			 i ? "/" : "", ezmlm_subdir[i]);
		if ((i && (rc = check_subdir(l, base))) ||
		    (rc = read_subscribers(l, i, base)) ||
		    (rc = read_log(l, i, base)))
			return rc;
	}
	return IMPORT_OK;
}

/* write_log - the _slog table of table which: exactly the Log's lines. */
static enum store_rc write_log(struct store_txn *txn, struct ez_load *l,
			       int which)
{
	char name[REG_NAME_MAX + 16];
	enum store_rc rc;

	snprintf(name, sizeof(name), "%s%s_slog", l->root,
		 sub_table_suffix((enum sub_table)which));
	/* store_sub logged each subscription as of now: the Log replaces
	 * that, so the list's history is the directory's. */
	if ((rc = store_del(txn, name, NULL, 0, NULL)))
		return rc;
	for (size_t i = 0; i < l->t[which].nlog; i++) {
		const struct ez_log *e = &l->t[which].log[i];
		struct store_assign a[REG_SLOG_NCOLS] = {
			{ REG_SLOG_TAI, { SV_TEXT, 0, e->tai,
					  strlen(e->tai) } },
			{ REG_SLOG_ADDRESS, { SV_TEXT, 0, e->addr,
					      e->addrlen } },
			{ REG_SLOG_FROMLINE, { SV_TEXT, 0, e->comment,
					       e->commentlen } },
			{ REG_SLOG_EDIR, { SV_TEXT, 0, &e->edir, 1 } },
			{ REG_SLOG_ETYPE, { SV_TEXT, 0, &e->etype, 1 } },
		};

		if ((rc = store_set(txn, name, a, REG_SLOG_NCOLS, NULL)))
			return rc;
	}
	l->res->log_lines[which] = l->t[which].nlog;
	return STORE_OK;
}

/* load_fn - the write transaction; it may run again, so it resets. */
static enum store_rc load_fn(struct store_txn *txn, void *arg)
{
	struct ez_load *l = arg;
	enum store_rc rc;

	for (int i = 0; i < IMPORT_TABLES; i++)
		l->res->addresses[i] = l->res->duplicates[i] = 0;
	if (l->opt->replace && (rc = store_list_drop(txn, l->root)) &&
	    rc != STORE_NOTFOUND)
		return rc;
	if ((rc = store_list_create(txn, l->root, l->key, l->keylen)))
		return rc;
	for (int i = 0; i < IMPORT_TABLES; i++) {
		struct sub_counts c = { 0 };

		if (l->t[i].nsubs &&
		    (rc = store_sub(txn, l->root, (enum sub_table)i, true,
				    l->t[i].subs, l->t[i].nsubs, &c, NULL)))
			return rc;
		l->res->addresses[i] = c.changed;
		l->res->duplicates[i] = c.unchanged + c.blocked;
		if ((rc = write_log(txn, l, i)))
			return rc;
	}
	return STORE_OK;
}

static void load_free(struct ez_load *l)
{
	for (int i = 0; i < IMPORT_TABLES; i++) {
		free(l->t[i].subs);
		free(l->t[i].log);
	}
	for (size_t i = 0; i < l->nbufs; i++)
		free(l->bufs[i]);
	free(l->bufs);
}

static enum import_rc ezmlm_load(struct store *st, const char *path,
				 const char *root,
				 const struct import_options *opt,
				 struct import_result *res)
{
	struct ez_load l = { .dir = path, .root = root, .opt = opt,
			     .res = res };
	enum import_rc rc;
	enum store_rc src;

	memset(res, 0, sizeof(*res));
	rc = read_dir(&l);
	if (rc == IMPORT_OK && (src = store_write(st, load_fn, &l, NULL))) {
		res->store_rc = src;
		rc = src == STORE_EXISTS && !opt->replace ? IMPORT_EXISTS
			: IMPORT_STORE;
		snprintf(res->err, sizeof(res->err), "%s%s", store_errmsg(st),
			 rc == IMPORT_EXISTS ? " (--replace drops it first)" : "");
	}
	load_free(&l);
	return rc;
}

const struct import_format import_ezmlm = {
	.name = "ezmlm",
	.about = "an ezmlm-idx list directory: subscribers/, Log, key, "
		 "digest/, allow/, deny/, mod/",
	.load = ezmlm_load,
	.dump = ezmlm_dump,
};
