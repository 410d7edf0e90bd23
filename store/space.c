/*
 * NAME
 *	space.c - a write that meets a full file system or the file size limit
 * DESCRIPTION
 *	LMDB writes a transaction's pages at commit.  On a full file system
 *	the write comes back short and LMDB says EIO; past RLIMIT_FSIZE the
 *	same (with SIGXFSZ ignored, see store_faults_catch).  The store
 *	tells these apart from a failing disk by looking at the room left:
 *	less than NOSPACE_SLACK free, or a file at its size limit, is "no
 *	space" (STORE_NOSPACE, the result kind RESULT_NOSPACE: exit 75,
 *	HTTP 507).  The transaction is not committed; the pages written
 *	before the failure stay in the file, which keeps its grown size.
 *
 *	store_write notes the outcome of each write, so that mq serve shows
 *	on /health whether the last write failed for lack of room.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include "store/internal.h"

#define NOSPACE_SLACK	(1u << 20)	/* free bytes that still mean full */

/* fsize_limit - RLIMIT_FSIZE in bytes, or 0 when unlimited */
static uint64_t fsize_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_FSIZE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
		return 0;
	return (uint64_t)rl.rlim_cur;
}

bool store_nospace(struct store *st, int rc)
{
	uint64_t limit = fsize_limit(), free_bytes;
	struct statvfs vfs;
	struct stat sb;

	if (limit && stat(st->path, &sb) == 0 &&
	    (rc == EFBIG || (uint64_t)sb.st_size + NOSPACE_SLACK > limit)) {
		store_fail(st, STORE_NOSPACE, "file size limit: %s: %llu "
			   "bytes, the limit (RLIMIT_FSIZE) is %llu", st->path,
			   (unsigned long long)sb.st_size,
			   (unsigned long long)limit);
		return true;
	}
	if (statvfs(st->path, &vfs) != 0)
		return false;
	free_bytes = (uint64_t)vfs.f_bavail * vfs.f_frsize;
	if (rc != ENOSPC && free_bytes >= NOSPACE_SLACK)
		return false;
	store_fail(st, STORE_NOSPACE, "disk full: %s: %llu bytes free on its "
		   "file system", st->path, (unsigned long long)free_bytes);
	return true;
}

enum store_rc store_write_outcome(struct store *st, enum store_rc rc)
{
	if (rc != STORE_OK && rc != STORE_NOSPACE && rc != STORE_FULL)
		return rc;
	pthread_mutex_lock(&st->health_lock);
	st->health.nospace = rc != STORE_OK;
	if (rc != STORE_OK) {
		st->health.nospace_total++;
		snprintf(st->health.nospace_why,
			 sizeof(st->health.nospace_why), "%s",
			 store_errmsg(st));
	}
	pthread_mutex_unlock(&st->health_lock);
	return rc;
}
