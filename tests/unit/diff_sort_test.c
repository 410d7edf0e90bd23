/*
 * NAME
 *	diff_sort_test - the source rows' sort against the compare-based
 *	order
 * SYNOPSIS
 *	build/asan/tests/diff_sort_test
 * DESCRIPTION
 *	Each case makes 100,000 keys (and a few tiny sets), holds them as
 *	diff_keyed.c does, and checks that diff_sort() puts them in the
 *	order of a qsort_r by whole keys (diff_key_cmp: bytes, then the
 *	shorter first), keys that are equal in the order they came: keys
 *	of random bytes and lengths 1..STORE_KEY_MAX, of a few byte
 *	values with NULs (so that "ab" and "ab\0" meet), the benchmark's
 *	addresses in random order, sorted and reversed, sorted with a few
 *	swapped, sharing a prefix longer than the 16 bytes an entry
 *	holds, and drawn from 50 keys.
 */
#include <stdlib.h>
#include <string.h>

#include "store/diff_int.h"
#include "tests/unit/check.h"

#define N	100000

static uint64_t rnd_state = 88172645463325252ull;

/* rnd - xorshift64: the same keys at every run */
static uint64_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

/* The keys of a case, held one after the other as diff_keyed.c does. */
struct keys {
	uint8_t *buf;
	size_t used, cap;
	struct sort_entry *e;
	size_t n;
};

/* add - hold key as the next source row (a row of no bytes) */
static void add(struct keys *k, const void *key, size_t len)
{
	struct held h = { (uint16_t)len, 0 };

	if (k->used + sizeof(h) + len > k->cap)
		abort();	/* sized by the case */
	memcpy(k->buf + k->used, &h, sizeof(h));
	memcpy(k->buf + k->used + sizeof(h), key, len);
	k->e[k->n] = sort_entry_make(k->buf + k->used, k->n);
	k->n++;
	k->used += sizeof(h) + len;
}

/* ref_cmp - the order wanted, from the whole keys alone */
static int ref_cmp(const void *a, const void *b, void *arg)
{
	const struct sort_entry *x = a, *y = b;
	uint8_t *kx, *ky, *row;
	struct held hx = held_at(x->p, &kx, &row), hy = held_at(y->p, &ky, &row);
	int c = diff_key_cmp(kx, hx.keylen, ky, hy.keylen);

	(void)arg;
	if (c)
		return c;
	return x->nth < y->nth ? -1 : x->nth > y->nth;
}

/* check_sort - diff_sort's order of k against ref_cmp's */
static void check_sort(const char *name, struct keys *k)
{
	struct sort_entry *want = malloc((k->n + 1) * sizeof(*want));
	size_t bad = k->n;
	bool ok;

	memcpy(want, k->e, k->n * sizeof(*want));
	qsort_r(want, k->n, sizeof(*want), ref_cmp, NULL);
	ok = diff_sort(k->e, k->n);
	for (size_t i = 0; i < k->n && bad == k->n; i++)
		if (k->e[i].p != want[i].p || k->e[i].nth != want[i].nth)
			bad = i;
	CHECK(ok && bad == k->n, "%s: %zu keys in order (first wrong: %zu)",
	      name, k->n, bad);
	free(want);
}

/* How addresses() leaves them. */
enum arrange { SHUFFLED, SORTED, REVERSED, SWAPPED };

/* A case: its name, the function that makes its keys and what it reads. */
struct sort_case {
	const char *name;
	void (*make)(struct keys *k, const struct sort_case *c);
	size_t n;			/* keys */
	size_t maxlen;			/* random_bytes: lengths 1..maxlen */
	const uint8_t *alphabet;	/* random_bytes: or any byte if NULL */
	size_t nalpha;
	const char *prefix;		/* addresses: before each */
	enum arrange how;		/* addresses */
};

/* random_bytes - n keys of lengths 1..maxlen, bytes of alphabet */
static void random_bytes(struct keys *k, const struct sort_case *c)
{
	uint8_t key[STORE_KEY_MAX];

	for (size_t i = 0; i < c->n; i++) {
		size_t len = 1 + rnd() % c->maxlen;

		for (size_t j = 0; j < len; j++)
			key[j] = c->alphabet ? c->alphabet[rnd() % c->nalpha]
				: (uint8_t)rnd();
		add(k, key, len);
	}
}

/* address - the benchmark's address number i, with a prefix */
static void address(struct keys *k, const char *prefix, uint64_t i)
{
	char key[128];
	int len = snprintf(key, sizeof(key), "%suser%llu@example.org",
			   prefix, (unsigned long long)i);

	add(k, key, (size_t)len);
}

/* shuffle - e in random order */
static void shuffle(struct sort_entry *e, size_t n)
{
	for (size_t i = n; i > 1; i--) {
		size_t j = rnd() % i;
		struct sort_entry t = e[i - 1];

		e[i - 1] = e[j];
		e[j] = t;
	}
}

/* renumber - nth as the entries now stand: the order they came in */
static void renumber(struct keys *k)
{
	for (size_t i = 0; i < k->n; i++)
		k->e[i].nth = i;
}

/* addresses - the n addresses from 1, in the order asked */
static void addresses(struct keys *k, const struct sort_case *c)
{
	enum arrange how = c->how;

	for (size_t i = 1; i <= c->n; i++)
		address(k, c->prefix ? c->prefix : "", i);
	if (how == SHUFFLED)
		shuffle(k->e, k->n);
	if (how != SHUFFLED)
		qsort_r(k->e, k->n, sizeof(*k->e), ref_cmp, NULL);
	for (size_t i = 0; how == REVERSED && i < k->n / 2; i++) {
		struct sort_entry t = k->e[i];

		k->e[i] = k->e[k->n - 1 - i];
		k->e[k->n - 1 - i] = t;
	}
	for (size_t i = 0; how == SWAPPED && i < 1000; i++) {
		size_t a = rnd() % k->n, b = rnd() % k->n;
		struct sort_entry t = k->e[a];

		k->e[a] = k->e[b];
		k->e[b] = t;
	}
	renumber(k);
}

/* duplicates - n keys drawn from 50 addresses */
static void duplicates(struct keys *k, const struct sort_case *c)
{
	for (size_t i = 0; i < c->n; i++)
		address(k, "", 1 + rnd() % 50);
}

/* Four byte values with NUL among them, so that "ab" and "ab\0" meet. */
static const uint8_t few[] = { 0, 1, 'a', 0xff };

/* The cases in the order they run: each draws its keys from rnd(). */
static const struct sort_case cases[] = {
	{ "random bytes, lengths 1..max", random_bytes, .n = N,
	  .maxlen = STORE_KEY_MAX },
	{ "four byte values with NUL, lengths 1..24", random_bytes, .n = N,
	  .maxlen = 24, .alphabet = few, .nalpha = sizeof(few) },
	{ "addresses shuffled", addresses, .n = N, .how = SHUFFLED },
	{ "addresses sorted", addresses, .n = N, .how = SORTED },
	{ "addresses reversed", addresses, .n = N, .how = REVERSED },
	{ "addresses sorted, 1000 pairs swapped", addresses, .n = N,
	  .how = SWAPPED },
	{ "addresses shuffled, a common prefix of 19 bytes", addresses, .n = N,
	  .prefix = "a-prefix-of-twenty-", .how = SHUFFLED },
	{ "50 addresses, each 2,000 times", duplicates, .n = N },
	{ "tiny: few byte values", random_bytes, .n = 0,
	  .maxlen = 4, .alphabet = few, .nalpha = sizeof(few) },
	{ "tiny: few byte values", random_bytes, .n = 1,
	  .maxlen = 4, .alphabet = few, .nalpha = sizeof(few) },
	{ "tiny: few byte values", random_bytes, .n = 2,
	  .maxlen = 4, .alphabet = few, .nalpha = sizeof(few) },
	{ "tiny: few byte values", random_bytes, .n = 33,
	  .maxlen = 4, .alphabet = few, .nalpha = sizeof(few) },
	{ "tiny: few byte values", random_bytes, .n = 1000,
	  .maxlen = 4, .alphabet = few, .nalpha = sizeof(few) },
};

int main(void)
{
	size_t cap = (size_t)N * (sizeof(struct held) + STORE_KEY_MAX);
	struct keys k = { .buf = malloc(cap), .cap = cap,
			  .e = malloc(N * sizeof(*k.e)) };

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		k.n = k.used = 0;
		cases[i].make(&k, &cases[i]);
		check_sort(cases[i].name, &k);
	}
	free(k.buf);
	free(k.e);
	return check_done();
}
