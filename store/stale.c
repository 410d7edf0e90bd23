/*
 * NAME
 *	stale.c - remove the temporary files that killed runs left behind
 * SYNOPSIS
 *	#include "store/store.h"
 *
 *	n = store_stale_temps_remove("/backups/mq.mdb", ".tmp.");
 * DESCRIPTION
 *	mq backup writes FILE.tmp.PID and mq export ezmlm DIR.mq-PID-XXXXXX
 *	beside their target, renaming it into place when complete.  A run
 *	killed before that leaves its temporary behind; the next run of
 *	the same kind removes every one whose pid no longer runs.  The pid
 *	in the name is the only evidence: a name that does not parse, or
 *	whose pid is alive (perhaps reused by an unrelated process), is
 *	left alone, so a run in progress never loses its file.
 */
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/internal.h"

/* remove_entry - nftw callback: unlink a file or remove a directory */
static int remove_entry(const char *path, const struct stat *sb, int flag,
			struct FTW *ftw)
{
	(void)sb;
	(void)ftw;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

/*
 * stale_pid - the pid that name (a temporary of base with sep) carries
 *	when that process is gone, else 0: "<base><sep><pid>" followed by
 *	nothing or by '-'.
 */
static long stale_pid(const char *name, const char *base, const char *sep)
{
	size_t bl = strlen(base), sl = strlen(sep);
	char *end;
	long pid;

	if (strncmp(name, base, bl) || strncmp(name + bl, sep, sl))
		return 0;
	name += bl + sl;
	if (*name < '1' || *name > '9')
		return 0;
	errno = 0;
	pid = strtol(name, &end, 10);
	if (errno || pid > INT_MAX || (*end && *end != '-'))
		return 0;
	if (pid == (long)getpid() || kill((pid_t)pid, 0) == 0 ||
	    errno != ESRCH)
		return 0;
	return pid;
}

int	store_stale_temps_remove(const char *path, const char *sep)
{
	char dir[4096], entry[8192];
	const char *base = strrchr(path, '/');
	struct dirent *e;
	DIR *d;
	int n = 0;

	if (base) {
		snprintf(dir, sizeof(dir), "%.*s", (int)(base - path + 1), path);
		base++;
	} else {
		snprintf(dir, sizeof(dir), ".");
		base = path;
	}
	if (!*base || !(d = opendir(dir)))
		return 0;
	while ((e = readdir(d)))
		if (stale_pid(e->d_name, base, sep) &&
		    snprintf(entry, sizeof(entry), "%s/%s", dir, e->d_name)
		    < (int)sizeof(entry) &&
		    nftw(entry, remove_entry, 16, FTW_DEPTH | FTW_PHYS) == 0)
			n++;
	closedir(d);
	return n;
}
