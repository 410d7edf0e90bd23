/*
 * NAME
 *	address.c - fuzz target: list addresses as people paste them, and
 *	the parse round trip
 * SYNOPSIS
 *	tests/fuzz/run.sh address SECONDS [LIBFUZZER-FLAG...]
 *	build/fuzz/address [LIBFUZZER-FLAG...] [CORPUS-DIR... | INPUT...]
 * DESCRIPTION
 *	Input: any bytes, as pasted (no NUL needed: the parser reads only
 *	the length given, so the input is copied to a buffer of exactly
 *	that size, where ASan sees a read past it).
 *
 *	addr_parse() must refuse it with a reason or find an address
 *	inside it; an address found must parse again to itself (the same
 *	bytes, nothing reduced further), pass addr_check(), fit the
 *	store's column (SUB_ADDR_MAX bytes, no control byte) and be
 *	taken by sub_address(), the store's form of it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "tests/fuzz/fuzz_util.h"

/* round_trip - the properties of an address addr_parse found. */
static void round_trip(const char *a, size_t alen)
{
	char why[ADDR_WHY_MAX], stored[SUB_ADDR_MAX + 1];
	const char *again;
	size_t againlen, slen;

	if (addr_parse(a, alen, &again, &againlen, why, sizeof(why)) < 0)
		fuzz_fail("'%.*s' parsed, but not again: %s", (int)alen, a,
			  why);
	if (again != a || againlen != alen)
		fuzz_fail("'%.*s' parsed again to '%.*s'", (int)alen, a,
			  (int)againlen, again);
	if (!addr_check(a, alen, true, why, sizeof(why)))
		fuzz_fail("'%.*s' parsed, addr_check refuses it: %s",
			  (int)alen, a, why);
	if (sub_address(a, alen, stored, &slen, why, sizeof(why)))
		fuzz_fail("'%.*s' parsed, the store refuses it: %s",
			  (int)alen, a, why);
}

/* LLVMFuzzerTestOneInput - parse one pasted address, round-trip it */
int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char why[ADDR_WHY_MAX];
	const char *a;
	size_t alen;
	char *in = malloc(size ? size : 1);

	if (!in)
		fuzz_fail("out of memory");
	if (size)
		memcpy(in, data, size);
	if (addr_parse(in, size, &a, &alen, why, sizeof(why)) == 0)
		round_trip(a, alen);
	else if (!why[0] || strlen(why) >= sizeof(why))
		fuzz_fail("refused without a reason");
	free(in);
	return 0;
}
