/*
 * NAME
 *	ascii.c - the one ASCII case rule of the store
 * SYNOPSIS
 *	#include <string.h>

#include "store/store.h"
 *
 *	store_ascii_fold(key, addr, len);
 *	if (store_ascii_caseeq(a, b, len)) ...
 *	klen = store_fold_key(key, addr, len);
 *	store_unfold_key(addr, key, len, klen);
 * DESCRIPTION
 *	Keys of REG_FOLD columns, list addresses, their hashes and the
 *	lookups' comparisons all fold 'A'..'Z' to 'a'..'z' and nothing
 *	else: a byte of UTF-8 or any other byte above 0x7f stays as it
 *	is, whatever the locale, so every process (and ezmlm-idx, which
 *	folds the same way) agrees on a key.  store_ascii_lower() is
 *	inline in store.h for loops that fold as they go.
 *
 *	A list address keeps its case: its key (store_fold_key) is the
 *	folded address, a NUL and a mask of the bytes that were capitals,
 *	so that variants in case are rows of their own (as ezmlm-idx's
 *	SQL keeps them) and lie together, the small-letter one first.
 * DIAGNOSTICS
 *	None.
 */
#include <string.h>

#include "store/store.h"

/* store_ascii_fold - n bytes of src into dst, ASCII capitals made small. */
void store_ascii_fold(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;

	for (size_t i = 0; i < n; i++)
		d[i] = (unsigned char)store_ascii_lower(s[i]);
}

/* store_ascii_caseeq - a and b (n bytes each) equal but for ASCII case? */
bool store_ascii_caseeq(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;

	for (size_t i = 0; i < n; i++)
		if (x[i] != y[i] &&
		    store_ascii_lower(x[i]) != store_ascii_lower(y[i]))
			return false;
	return true;
}

/*
 * upper_bits - 0x80 in each byte of x that is an ASCII capital: each
 *	byte's low seven bits compared with 'A' and 'Z' by adding, so
 *	no carry crosses into the next byte, and bytes >= 0x80 left out.
 */
static uint64_t upper_bits(uint64_t x)
{
	const uint64_t ones = 0x0101010101010101ULL, high = ones * 0x80;
	uint64_t low = x & ~high;

	return (low + ones * (0x80 - 'A')) & ~(low + ones * (0x80 - 'Z' - 1)) &
		~x & high;
}

/*
 * store_fold_key - the folded bytes first, eight at a time, and the
 *	mask only for an address with a capital: most have none, and the
 *	key of each of a list's million rows is made on every load from
 *	SQL.
 */
size_t store_fold_key(uint8_t *out, const void *addr, size_t len)
{
	const unsigned char *s = addr;
	uint8_t *mask = out + len + 1;
	uint64_t changed = 0, x, up;
	size_t used = 0, i = 0;

	for (; i + 8 <= len; i += 8) {
		memcpy(&x, s + i, 8);
		up = upper_bits(x);
		changed |= up;
		x |= up >> 2;		/* 0x80 >> 2: 'a' - 'A' */
		memcpy(out + i, &x, 8);
	}
	for (; i < len; i++) {
		out[i] = (uint8_t)store_ascii_lower(s[i]);
		changed |= out[i] ^ s[i];
	}
	out[len] = 0;
	for (i = 0; changed && i < len; i++) {
		if (i % 8 == 0)
			mask[i / 8] = 0;
		if (out[i] != s[i]) {
			mask[i / 8] |= (uint8_t)(0x80u >> (i % 8));
			used = i / 8 + 1;
		}
	}
	return len + 1 + used;
}

void store_unfold_key(char *out, const uint8_t *key, size_t len, size_t klen)
{
	const uint8_t *mask = key + len + 1;
	size_t used = klen - len - 1;

	memcpy(out, key, len);
	for (size_t i = 0; i < used; i++)
		for (unsigned bit = 0; mask[i] && bit < 8; bit++)
			if (mask[i] & 0x80u >> bit)
				out[8 * i + bit] -= 'a' - 'A';
}

size_t store_fold_prefix(uint8_t *out, const void *addr, size_t len)
{
	store_ascii_fold(out, addr, len);
	out[len] = 0;
	return len + 1;
}
