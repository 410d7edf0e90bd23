/*
 * NAME
 *	diff_sort.c - the source rows of a keyed table in the store's key
 *	order
 * SYNOPSIS
 *	#include "store/diff_int.h"
 *
 *	e[i] = sort_entry_make(p, i);
 *	ok = diff_sort(e, n);			(from diff_keyed.c)
 * DESCRIPTION
 *	The order is diff_key_cmp's (LMDB's: bytes, then the shorter
 *	first), rows of one key as they came.  Two ways to it, chosen by
 *	the runs of that order the rows came in:
 *
 *	few runs (a table SQL holds mostly in the store's order: rows
 *	written by sync --to-sql, then rows added after them): a merge
 *	sort of those runs, a pass for each doubling of their length;
 *
 *	many (a table in random order: PostgreSQL's heap after updates
 *	and deletes): a radix sort in place on the 16 key bytes each
 *	entry holds, most significant first (American flag sort), a
 *	byte all entries of a part share skipped with one counting pass
 *	(the addresses' "user" of the benchmark); a part of a few
 *	entries, and one whose 16 bytes are all alike (long common
 *	prefixes, a key many times over), goes to the comparisons.
 *
 *	A merge pass and a radix pass each move every 32-byte entry, but
 *	a merge of entries in random order compares where the branch
 *	cannot be predicted, twenty passes for a million.  A million of
 *	the benchmark's addresses in random order: the merge 0.154 s of
 *	CPU, the radix sort 0.061 s; in the 7 runs they come in from
 *	SQL: the merge 0.031 s, the radix sort 0.050 s.
 */
#include <stdlib.h>
#include <string.h>

#include "store/diff_int.h"

/* Runs beyond this: the radix sort (the merge would take 6+ passes). */
#define MERGE_RUNS_MAX	32
/* A part of this many entries or fewer: insertion by comparison. */
#define RADIX_SMALL	32
/* The key bytes an entry holds. */
#define HEAD_BYTES	16

/*
 * key_head - 8 bytes of a key from byte from as a number, zeros after
 *	its end
 */
static uint64_t key_head(const uint8_t *key, size_t len, size_t from)
{
	uint64_t h = 0;

	for (size_t i = from; i < from + 8; i++)
		h = h << 8 | (i < len ? key[i] : 0);
	return h;
}

/* sort_entry_make - see diff_int.h */
struct sort_entry sort_entry_make(uint8_t *p, size_t nth)
{
	uint8_t *key, *row;
	struct held h = held_at(p, &key, &row);

	return (struct sort_entry){ key_head(key, h.keylen, 0),
				    key_head(key, h.keylen, 8), p, nth };
}

/* entry_cmp - diff_sort's order: by key, then as the rows came */
static int entry_cmp(const struct sort_entry *x, const struct sort_entry *y)
{
	uint8_t *kx, *ky, *row;
	struct held hx, hy;
	int c;

	if (x->head != y->head)
		return x->head < y->head ? -1 : 1;
	if (x->head2 != y->head2)
		return x->head2 < y->head2 ? -1 : 1;
	hx = held_at(x->p, &kx, &row);
	hy = held_at(y->p, &ky, &row);
	if ((c = diff_key_cmp(kx, hx.keylen, ky, hy.keylen)))
		return c;
	return x->nth < y->nth ? -1 : x->nth > y->nth;
}

/* merge - src's sorted [lo, mid) and [mid, hi) into dst's [lo, hi) */
static void merge(const struct sort_entry *src, struct sort_entry *dst,
		  size_t lo, size_t mid, size_t hi)
{
	size_t i = lo, j = mid, k = lo;

	while (i < mid && j < hi)
		dst[k++] = entry_cmp(&src[j], &src[i]) < 0 ? src[j++]
			: src[i++];
	while (i < mid)
		dst[k++] = src[i++];
	while (j < hi)
		dst[k++] = src[j++];
}

/*
 * run_starts - where e's ascending runs start, into run (NULL: count,
 *	stopping past max)
 */
static size_t run_starts(const struct sort_entry *e, size_t n, size_t *run,
			 size_t max)
{
	size_t k = 1;

	for (size_t i = 1; i < n && (run || k <= max); i++)
		if (entry_cmp(&e[i], &e[i - 1]) < 0) {
			if (run)
				run[k] = i;
			k++;
		}
	if (run) {
		run[0] = 0;
		run[k] = n;
	}
	return k;
}

/*
 * merge_sort - e's nrun runs merged, bottom up.  qsort_r moved each
 *	32-byte entry with a call to memcpy and compared through a
 *	pointer: a fifth of the CPU of a first load of a million rows.
 *	false without memory.
 */
static bool merge_sort(struct sort_entry *e, size_t n, size_t nrun)
{
	struct sort_entry *tmp = malloc(n * sizeof(*e)), *src = e, *dst = tmp,
		*swap;
	size_t *run = malloc((nrun + 1) * sizeof(*run)), m;

	if (nrun < 2 || !tmp || !run) {
		free(tmp);
		free(run);
		return nrun < 2;
	}
	run_starts(e, n, run, 0);
	for (; nrun > 1; nrun = m, swap = src, src = dst, dst = swap) {
		for (m = 0; 2 * m < nrun; m++) {
			size_t k = 2 * m;

			merge(src, dst, run[k], run[k + 1],
			      run[k + (k + 2 <= nrun ? 2 : 1)]);
			run[m] = run[k];
		}
		run[m] = n;
	}
	if (src != e)
		memcpy(e, src, n * sizeof(*e));
	free(tmp);
	free(run);
	return true;
}

/* insertion_sort - e by comparison: a part of a few entries */
static void insertion_sort(struct sort_entry *e, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		struct sort_entry v = e[i];
		size_t j = i;

		for (; j > 0 && entry_cmp(&v, &e[j - 1]) < 0; j--)
			e[j] = e[j - 1];
		e[j] = v;
	}
}

/* entry_byte - key byte d (below HEAD_BYTES) of an entry */
static inline unsigned entry_byte(const struct sort_entry *e, unsigned d)
{
	uint64_t w = d < 8 ? e->head : e->head2;

	return (unsigned)(w >> (56 - 8 * (d % 8))) & 0xff;
}

/*
 * bucket_ends - where each value of byte d ends once e is in order of
 *	it; false when every entry has the same one.
 */
static bool bucket_ends(const struct sort_entry *e, size_t n, unsigned d,
			size_t end[256])
{
	size_t sum = 0;

	memset(end, 0, 256 * sizeof(*end));
	for (size_t i = 0; i < n; i++)
		end[entry_byte(&e[i], d)]++;
	if (end[entry_byte(e, d)] == n)
		return false;
	for (unsigned b = 0; b < 256; b++)
		end[b] = sum += end[b];
	return true;
}

/*
 * permute - e in order of byte d, in place: each entry swapped straight
 *	into its bucket's next free place until the one found there
 *	belongs where the cycle started
 */
static void permute(struct sort_entry *e, unsigned d, const size_t end[256])
{
	size_t at[256];

	at[0] = 0;
	memcpy(at + 1, end, 255 * sizeof(*at));
	for (unsigned b = 0; b < 256; b++)
		while (at[b] < end[b]) {
			struct sort_entry v = e[at[b]], t;
			unsigned c;

			while ((c = entry_byte(&v, d)) != b) {
				t = e[at[c]];
				e[at[c]++] = v;
				v = t;
			}
			e[at[b]++] = v;
		}
}

/*
 * radix_sort - e, whose entries share their first d key bytes: by the
 *	next byte that differs, each part of it then on its own.  false
 *	without memory.
 */
static bool radix_sort(struct sort_entry *e, size_t n, unsigned d)
{
	size_t end[256], start = 0;

	while (n > RADIX_SMALL && d < HEAD_BYTES &&
	       !bucket_ends(e, n, d, end))
		d++;
	if (n <= RADIX_SMALL) {
		insertion_sort(e, n);
		return true;
	}
	if (d == HEAD_BYTES)
		return merge_sort(e, n, run_starts(e, n, NULL, SIZE_MAX));
	permute(e, d, end);
	for (unsigned b = 0; b < 256; start = end[b++])
		if (end[b] > start &&
		    !radix_sort(e + start, end[b] - start, d + 1))
			return false;
	return true;
}

/* diff_sort - see diff_int.h */
bool diff_sort(struct sort_entry *e, size_t n)
{
	size_t nrun = run_starts(e, n, NULL, MERGE_RUNS_MAX);

	if (nrun <= MERGE_RUNS_MAX)
		return merge_sort(e, n, nrun);
	return radix_sort(e, n, 0);
}
