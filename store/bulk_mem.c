/*
 * NAME
 *	bulk_mem.c - memory for a bulk subscribe, in huge pages
 * SYNOPSIS
 *	#include "store/store.h"
 *
 *	p = store_bulk_alloc(size);  ...  free(p);
 *	store_sub_warm(n);
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
 *	dirty pages take, in huge pages faulted in by one call, and keeps
 *	it: LMDB's page allocations then find it ready.  It changes the
 *	process's malloc settings (the heap is no longer trimmed, blocks
 *	under 32 MB come from the heap): a choice for a program about to
 *	make one big write ("mq sub T -"), not for a library's caller.
 *	The kernel's answers are hints only: without huge pages, or on a
 *	kernel without MADV_POPULATE_WRITE, the memory is faulted in page
 *	by page as before.
 */
#include <malloc.h>
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

/* huge_hint - mark the whole huge pages within [p, p + size) */
static void huge_hint(void *p, size_t size, bool populate)
{
	uintptr_t from = ((uintptr_t)p + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
	uintptr_t to = ((uintptr_t)p + size) & ~(HUGE_PAGE - 1);

	if (to <= from)
		return;
	(void)madvise((void *)from, to - from, MADV_HUGEPAGE);
	if (populate)
		(void)madvise((void *)from, to - from, MADV_POPULATE_WRITE);
}

void *store_bulk_alloc(size_t size)
{
	void *p;

	if (size < HUGE_PAGE)
		return malloc(size ? size : 1);
	if (posix_memalign(&p, HUGE_PAGE, (size + HUGE_PAGE - 1) /
			   HUGE_PAGE * HUGE_PAGE))
		return NULL;
	huge_hint(p, size, false);
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

void store_sub_warm(size_t n)
{
	void *chunk[WARM_MAX / WARM_CHUNK];
	size_t bytes = n < WARM_MAX / WARM_EACH ? n * WARM_EACH : WARM_MAX;
	size_t k = 0;

	if (bytes < WARM_CHUNK)
		return;
	mallopt(M_TRIM_THRESHOLD, INT32_MAX);
	mallopt(M_MMAP_THRESHOLD, (int)(2 * WARM_CHUNK));
	/* Chunks one after the other at the heap's top; freed, they merge
	 * back into it, faulted in. */
	while (k * WARM_CHUNK < bytes && (chunk[k] = malloc(WARM_CHUNK)))
		k++;
	if (k && adjacent(chunk, k))
		huge_hint(chunk[0], (size_t)((uintptr_t)chunk[k - 1] -
			  (uintptr_t)chunk[0]) + WARM_CHUNK, true);
	else
		for (size_t i = 0; i < k; i++)
			huge_hint(chunk[i], WARM_CHUNK, true);
	while (k)
		free(chunk[--k]);
}
