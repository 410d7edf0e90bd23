/*
 * NAME
 *	bulk_mem.c - memory for a bulk subscribe, in huge pages
 * SYNOPSIS
 *	#include "store/store.h"
 *
 *	p = store_bulk_alloc(size);  ...  free(p);
 *	store_sub_warm(n);  ...  store_sub_warm_end();
 * DESCRIPTION
 *	A million addresses from stdin make some hundreds of megabytes of
 *	fresh memory: the input, the requests, their stored forms and
 *	keys, and the pages LMDB dirties (each taken from malloc, 4 kB at
 *	a time, and written out at commit).  On this kind of machine a
 *	page fault of fresh memory costs as much as the copying that then
 *	fills the page, and in 4 kB pages a million addresses took 117,000
 *	of them.
 *
 *	store_bulk_alloc gives a large block aligned to, and marked for,
 *	the kernel's transparent huge pages (one fault per 2 MB); a small
 *	one is a plain malloc.  Either is released with free().
 *
 *	store_sub_warm grows the malloc heap once, by what n addresses'
 *	dirty pages take, marks it for huge pages and keeps it; a thread
 *	of its own then faults it in, from its start (where malloc carves
 *	first), while the caller goes on reading and checking its input:
 *	the kernel's zeroing of that memory, the largest cost of a bulk
 *	subscribe, runs beside that work instead of after it.  The caller
 *	may use the heap at once: the thread only faults pages in (a page
 *	the caller reaches first it faults itself) and never touches their
 *	bytes.  store_sub_warm_end stops the thread where it is and waits
 *	for it.  The warm changes the process's malloc settings (the heap
 *	is no longer trimmed, blocks under 32 MB come from the heap): a
 *	choice for a program about to make one big write ("mq sub T -"),
 *	not for a library's caller.  The kernel's answers are hints only:
 *	without huge pages, without a thread, or on a kernel without
 *	MADV_POPULATE_WRITE, the memory is faulted in as it is first used.
 */
#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "store/mlist_int.h"

#define HUGE_PAGE	((size_t)2 << 20)
#define WARM_CHUNK	((size_t)16 << 20)	/* under the mmap threshold */
#define WARM_MAX	((size_t)4 << 30)
/* Heap bytes an address of a bulk subscribe takes: its dirty pages
 * (table row, index entry, slog row: 250 measured), store_sub's items,
 * index streams and sort, freed before the slog's pages (a million
 * addresses of 36 bytes left 14,000 faults at 200, 1,700 at 240). */
#define WARM_EACH	260

/* The heap being faulted in: whole huge pages, one range per chunk
 * unless malloc gave them one after the other (then range[0] alone). */
struct range { uintptr_t from, to; };
static struct warm {
	pthread_t thread;
	bool running;
	atomic_bool stop;
	size_t nrange;
	struct range range[WARM_MAX / WARM_CHUNK];
} warm;

/* huge_hint - mark the whole huge pages within [p, p + size); them, or 0s */
static struct range huge_hint(void *p, size_t size)
{
	struct range r = {
		((uintptr_t)p + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1),
		((uintptr_t)p + size) & ~(HUGE_PAGE - 1),
	};

	if (r.to <= r.from)
		return (struct range){ 0, 0 };
	(void)madvise((void *)r.from, r.to - r.from, MADV_HUGEPAGE);
	return r;
}

void *store_bulk_alloc(size_t size)
{
	void *p;

	if (size < HUGE_PAGE)
		return malloc(size ? size : 1);
	if (posix_memalign(&p, HUGE_PAGE, (size + HUGE_PAGE - 1) /
			   HUGE_PAGE * HUGE_PAGE))
		return NULL;
	huge_hint(p, size);
	return p;
}

/* adjacent - did malloc give chunk after chunk at the heap's top? */
static bool adjacent(void *const *chunk, size_t k)
{
	for (size_t i = 1; i < k; i++)
		if ((uintptr_t)chunk[i] - (uintptr_t)chunk[i - 1] >
		    WARM_CHUNK + 64)
			return false;
	return true;
}

/*
 * populate - fault the ranges in, a chunk at a time so that a stop is
 *	heard soon; the memory may be in use meanwhile (the fault keeps
 *	what a page holds).
 */
static void *populate(void *arg)
{
	struct warm *w = arg;

	for (size_t i = 0; i < w->nrange; i++)
		for (uintptr_t p = w->range[i].from; p < w->range[i].to &&
		     !atomic_load_explicit(&w->stop, memory_order_relaxed);
		     p += WARM_CHUNK) {
			size_t len = w->range[i].to - p;

			(void)madvise((void *)p, len < WARM_CHUNK ? len
				      : WARM_CHUNK, MADV_POPULATE_WRITE);
		}
	return NULL;
}

void store_sub_warm(size_t n)
{
	void *chunk[WARM_MAX / WARM_CHUNK];
	size_t bytes = n < WARM_MAX / WARM_EACH ? n * WARM_EACH : WARM_MAX;
	size_t k = 0;

	store_sub_warm_end();
	if (bytes < WARM_CHUNK)
		return;
	mallopt(M_TRIM_THRESHOLD, INT32_MAX);
	mallopt(M_MMAP_THRESHOLD, (int)(2 * WARM_CHUNK));
	/* Chunks one after the other at the heap's top; freed, they merge
	 * back into it, untouched, and are never trimmed. */
	while (k * WARM_CHUNK < bytes && (chunk[k] = malloc(WARM_CHUNK)))
		k++;
	warm.nrange = 0;
	if (k && adjacent(chunk, k))
		warm.range[warm.nrange++] = huge_hint(chunk[0], (size_t)
			((uintptr_t)chunk[k - 1] - (uintptr_t)chunk[0]) +
			WARM_CHUNK);
	else
		for (size_t i = 0; i < k; i++)
			warm.range[warm.nrange++] = huge_hint(chunk[i],
							      WARM_CHUNK);
	while (k)
		free(chunk[--k]);
	atomic_store(&warm.stop, false);
	warm.running = pthread_create(&warm.thread, NULL, populate,
				      &warm) == 0;
	if (!warm.running)	/* then at once, as the caller waits */
		populate(&warm);
}

void store_sub_warm_end(void)
{
	if (!warm.running)
		return;
	atomic_store(&warm.stop, true);
	pthread_join(warm.thread, NULL);
	warm.running = false;
}
