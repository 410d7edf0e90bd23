/*
 * NAME
 *	damage.c - a damaged store file: refused at open, faults made errors
 * DESCRIPTION
 *	LMDB trusts its file: a file cut short makes a read of the map die
 *	of SIGBUS, a flipped bit sends it through a wild pointer (SIGSEGV)
 *	or into one of its assertions (abort).  mq turns each into a
 *	message:
 *
 *	- At open, and whenever mq serve answers /health, the two meta
 *	  pages are read with pread (never through the map) and checked:
 *	  LMDB's magic and version, the page size, roots within the last
 *	  page, and a file as long as the last page says.
 *	- A fault while reading the map goes to one handler for SIGBUS,
 *	  SIGSEGV and LMDB's assertions.  In a thread that armed a guard
 *	  while it holds a read transaction (mq serve's HTTP workers), it
 *	  jumps back to the guard, which answers and marks the store
 *	  damaged; otherwise it calls the process's fatal function (the
 *	  command line's: one line and an exit status), and without one the
 *	  signal kills the process as it would have.
 *
 *	The jump abandons the read transaction that faulted: its reader
 *	slot stays taken until the process ends, and a lock the read held
 *	(opening a database handle, building a lookup set) stays held, so
 *	a damaged store answers 503 without being read again.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/internal.h"

/* LMDB 0.9's meta page: a 16-byte page header, then MDB_meta. */
#define PAGE_FLAGS_OFF	10
#define P_META		0x08
#define META_MAGIC	0xBEEFC0DEu
#define META_VERSION	1u
#define META_PSIZE_OFF	40	/* mm_dbs[FREE_DBI].md_pad */
#define META_FREE_ROOT_OFF 80
#define META_MAIN_ROOT_OFF 128
#define META_LAST_PG_OFF 136
#define META_BYTES	152
#define PGNO_INVALID	UINT64_MAX
#define CHECK_TRIES	3	/* a meta page being written may read torn */

struct meta_page {
	uint64_t pgno, psize, last_pg, root[2];
	uint32_t magic, version;
	uint16_t flags;
};

static uint64_t get64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static bool meta_read(int fd, uint64_t off, struct meta_page *m)
{
	uint8_t b[META_BYTES];
	uint32_t u;

	if (pread(fd, b, sizeof(b), (off_t)off) != (ssize_t)sizeof(b))
		return false;
	m->pgno = get64(b);
	memcpy(&m->flags, b + PAGE_FLAGS_OFF, 2);
	memcpy(&m->magic, b + 16, 4);
	memcpy(&m->version, b + 20, 4);
	memcpy(&u, b + META_PSIZE_OFF, 4);
	m->psize = u;
	m->root[0] = get64(b + META_FREE_ROOT_OFF);
	m->root[1] = get64(b + META_MAIN_ROOT_OFF);
	m->last_pg = get64(b + META_LAST_PG_OFF);
	return true;
}

/* refuse - write why; false, so a check can end with its reason. */
static bool refuse(char *why, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static bool refuse(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return false;
}

/* meta_sane - meta page i of a file of size bytes; why on failure. */
static bool meta_sane(const struct meta_page *m, uint64_t i, uint64_t size,
		      char *why, size_t len)
{
	if (m->magic != META_MAGIC || m->version != META_VERSION ||
	    m->pgno != i || !(m->flags & P_META))
		return refuse(why, len, "meta page %llu is not an LMDB "
				"meta page", (unsigned long long)i);
	if (m->psize < 512 || m->psize > 65536 || (m->psize & (m->psize - 1)))
		return refuse(why, len, "meta page %llu: page size %llu",
				(unsigned long long)i,
				(unsigned long long)m->psize);
	if (m->last_pg < 1)
		return refuse(why, len, "meta page %llu: no pages",
				(unsigned long long)i);
	/*
	 * The file may end before last_pg: pages a transaction took and
	 * gave back before its commit are counted there but never
	 * written.  The roots always are, so a root beyond the end is a
	 * truncation; a cut elsewhere is a fault caught while reading.
	 */
	for (int d = 0; d < 2; d++) {
		if (m->root[d] == PGNO_INVALID)
			continue;
		if (m->root[d] < 2 || m->root[d] > m->last_pg)
			return refuse(why, len, "meta page %llu: a root "
					"beyond the last page",
					(unsigned long long)i);
		if (m->root[d] >= size / m->psize)
			return refuse(why, len, "truncated: %llu bytes, a "
					"root needs %llu",
					(unsigned long long)size,
					(unsigned long long)((m->root[d] + 1) *
							     m->psize));
	}
	return true;
}

/*
 * not_lmdb - neither meta page carries LMDB's magic (page 1 looked for
 *	at the usual 4096): some other file, which LMDB's open refuses as
 *	"not an LMDB store file" itself.
 */
static bool not_lmdb(int fd)
{
	struct meta_page m;

	for (int i = 0; i < 2; i++)
		if (meta_read(fd, (uint64_t)i * 4096, &m) &&
		    m.magic == META_MAGIC)
			return false;
	return true;
}

/* file_sane - both meta pages of the open file fd; *used the newer's. */
static bool file_sane(int fd, char *why, size_t len, uint64_t *used)
{
	struct meta_page m[2];
	struct stat sb;

	if (fstat(fd, &sb) != 0)
		return refuse(why, len, "%s", strerror(errno));
	/* an empty file is new: LMDB writes its metas */
	if (sb.st_size == 0 || not_lmdb(fd))
		return true;
	if (!meta_read(fd, 0, &m[0]) ||
	    !meta_sane(&m[0], 0, (uint64_t)sb.st_size, why, len))
		return *why ? false : refuse(why, len, "truncated: %llu "
					     "bytes", (unsigned long long)sb.st_size);
	if (!meta_read(fd, m[0].psize, &m[1]))
		return refuse(why, len, "truncated: %llu bytes",
			      (unsigned long long)sb.st_size);
	if (!meta_sane(&m[1], 1, (uint64_t)sb.st_size, why, len))
		return false;
	if (m[1].psize != m[0].psize)
		return refuse(why, len, "the meta pages disagree on the "
			      "page size");
	*used = (1 + (m[0].last_pg > m[1].last_pg ? m[0].last_pg
		      : m[1].last_pg)) * m[0].psize;
	return true;
}

enum store_rc store_file_check(struct store *st, uint64_t *used)
{
	char why[200] = "";
	uint64_t u = 0;
	bool ok = false;
	int fd = open(st->path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 && errno == ENOENT)
		return STORE_OK;	/* created by the open */
	if (fd < 0)
		return store_fail(st, STORE_IO, "%s: cannot open: %s",
				  st->path, strerror(errno));
	for (int i = 0; i < CHECK_TRIES && !ok; i++) {
		if (i)
			usleep(10000);
		why[0] = 0;
		ok = file_sane(fd, why, sizeof(why), &u);
	}
	close(fd);
	if (used)
		*used = u;
	if (ok)
		return STORE_OK;
	return store_damaged(st, why);
}

enum store_rc store_damaged(struct store *st, const char *why)
{
	pthread_mutex_lock(&st->health_lock);
	if (!st->health.damaged)
		snprintf(st->health.damage, sizeof(st->health.damage), "%s",
			 why);
	st->health.damaged = true;
	atomic_store(&st->damaged, true);
	pthread_mutex_unlock(&st->health_lock);
	return store_fail(st, STORE_DAMAGED, "%s: damaged store: %s; run "
			  "'mq verify', and restore from a backup made by "
			  "'mq backup' if it fails", st->path, why);
}

bool store_is_damaged(struct store *st)
{
	return atomic_load_explicit(&st->damaged, memory_order_relaxed);
}

void store_health_get(struct store *st, struct store_health *h)
{
	pthread_mutex_lock(&st->health_lock);
	*h = st->health;
	pthread_mutex_unlock(&st->health_lock);
}

/* The fault handling: see the top of this file. */

static store_fault_fn fatal_fn;
static __thread struct store_guard *guard;	/* armed in this thread */
__thread int store_reading;	/* read transactions open in this thread */

static const char *fault_name(int sig)
{
	return sig == SIGBUS ? "SIGBUS" : sig == SIGSEGV ? "SIGSEGV"
		: "an LMDB assertion";
}

/* fault - a guarded read jumps back; else the fatal function or death */
static void fault(int sig, const void *addr)
{
	struct store_guard *g = guard;

	if (g && store_reading > 0) {
		guard = NULL;
		store_reading = 0;
		g->sig = sig;
		siglongjmp(g->jb, 1);
	}
	if (fatal_fn)
		fatal_fn(fault_name(sig), addr);
}

static void on_signal(int sig, siginfo_t *si, void *context)
{
	(void)context;
	fault(sig, si ? si->si_addr : NULL);
	signal(sig, SIG_DFL);	/* not the store's: fault again and die */
}

void store_on_assert(MDB_env *env, const char *msg)
{
	(void)env;
	(void)msg;
	fault(-1, NULL);	/* LMDB aborts when this returns */
}

void store_faults_catch(store_fault_fn fatal)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_signal;
	sa.sa_flags = SA_NODEFER | SA_SIGINFO;
	fatal_fn = fatal;
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	signal(SIGXFSZ, SIG_IGN);
}

void store_guard_arm(struct store_guard *g)
{
	store_reading = 0;
	guard = g;
}

void store_guard_disarm(void)
{
	guard = NULL;
}

enum store_rc store_guard_fault(struct store *st, const struct store_guard *g)
{
	char why[64];

	snprintf(why, sizeof(why), "a read of its map faulted (%s)",
		 fault_name(g->sig));
	return store_damaged(st, why);
}
