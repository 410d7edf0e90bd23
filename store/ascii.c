/*
 * NAME
 *	ascii.c - the one ASCII case rule of the store
 * SYNOPSIS
 *	#include "store/store.h"
 *
 *	store_ascii_fold(key, addr, len);
 *	if (store_ascii_caseeq(a, b, len)) ...
 * DESCRIPTION
 *	Keys of REG_FOLD columns, list addresses, their hashes and the
 *	lookups' comparisons all fold 'A'..'Z' to 'a'..'z' and nothing
 *	else: a byte of UTF-8 or any other byte above 0x7f stays as it
 *	is, whatever the locale, so every process (and ezmlm-idx, which
 *	folds the same way) agrees on a key.  store_ascii_lower() is
 *	inline in store.h for loops that fold as they go.
 * DIAGNOSTICS
 *	None.
 */
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
