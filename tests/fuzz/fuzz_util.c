/*
 * NAME
 *	fuzz_util.c - scratch directory, store, files and checks of the
 *	fuzz targets
 * SYNOPSIS
 *	#include "tests/fuzz/fuzz_util.h"
 * DESCRIPTION
 *	See fuzz_util.h.
 */
#include <ftw.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/fuzz/fuzz_util.h"

static char dir[4096];

/* fuzz_fail - report a broken property and abort */
void	fuzz_fail(const char *fmt, ...)
{
	va_list ap;

	/* file descriptor 2: fuzz_quiet() may have replaced stderr */
	dprintf(STDERR_FILENO, "fuzz: property broken: ");
	va_start(ap, fmt);
	vdprintf(STDERR_FILENO, fmt, ap);
	va_end(ap);
	dprintf(STDERR_FILENO, "\n");
	abort();
}

/* remove_one - nftw callback: unlink a file or remove an emptied dir. */
static int remove_one(const char *path, const struct stat *sb, int type,
		      struct FTW *ftw)
{
	(void)sb;
	(void)ftw;
	return type == FTW_DP ? rmdir(path) : unlink(path);
}

/* fuzz_remove_tree - remove path and all under it */
void	fuzz_remove_tree(const char *path)
{
	struct stat sb;

	if (lstat(path, &sb) == 0)
		nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* remove_dir - at exit: the scratch directory goes with the process. */
static void remove_dir(void)
{
	fuzz_remove_tree(dir);
}

/* fuzz_dir - the scratch directory, made on first use */
const char *fuzz_dir(void)
{
	struct stat sb;
	const char *base = getenv("TMPDIR");

	if (*dir)
		return dir;
	/* A store commit flushes: on tmpfs that costs nothing. */
	if (stat("/dev/shm", &sb) == 0 && S_ISDIR(sb.st_mode) &&
	    access("/dev/shm", W_OK) == 0)
		base = "/dev/shm";
	else if (!base || !*base)
		base = "/tmp";
	snprintf(dir, sizeof(dir), "%s/mq-fuzz.XXXXXX", base);
	if (!mkdtemp(dir))
		fuzz_fail("%s: cannot make a directory: %s", dir,
			  strerror(errno));
	atexit(remove_dir);
	return dir;
}

/* fuzz_store - open or create a store in the scratch directory */
struct store *fuzz_store(const char *name, unsigned flags)
{
	/* a short change log: a long run writes millions of changes */
	struct store_options opt = { .max_size = 1ull << 30,
				     .changes_keep = 1000 };
	struct store *st = NULL;
	char path[4200], err[1024];

	snprintf(path, sizeof(path), "%s/%s", fuzz_dir(), name);
	if (store_open(path, flags, &opt, &st, err, sizeof(err)) != STORE_OK)
		fuzz_fail("store: %s", err);
	return st;
}

/* fuzz_write_file - path holds exactly data[0..len) */
void	fuzz_write_file(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	const char *p = data;

	if (fd < 0)
		fuzz_fail("%s: %s", path, strerror(errno));
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			fuzz_fail("%s: write: %s", path, strerror(errno));
		p += n;
		len -= (size_t)n;
	}
	close(fd);
}

/* fuzz_quiet - mute mq's messages on stderr */
void	fuzz_quiet(void)
{
	const char *v = getenv("MQ_FUZZ_VERBOSE");
	FILE *null;

	if (v && strcmp(v, "1") == 0)
		return;
	if ((null = fopen("/dev/null", "w")))
		stderr = null;
}

/* fuzz_check_store - abort when a store call failed */
void	fuzz_check_store(struct store *st, enum store_rc rc, const char *what)
{
	if (rc != STORE_OK)
		fuzz_fail("%s: %s: %s", what, store_strerror(rc),
			  store_errmsg(st));
}
