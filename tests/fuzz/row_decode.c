/*
 * NAME
 *	row_decode.c - fuzz target: the store's row decoder
 * SYNOPSIS
 *	tests/fuzz/run.sh row_decode SECONDS [LIBFUZZER-FLAG...]
 *	build/fuzz/row_decode [LIBFUZZER-FLAG...] [CORPUS-DIR... | INPUT...]
 * DESCRIPTION
 *	Input: one byte choosing a table of the registry (the MailerQ
 *	tables, then the list tables, modulo their count), then a row
 *	value as the store keeps it (store/row.c).
 *
 *	row_decode() must refuse it or decode it without reading outside
 *	it.  A decoded row must encode into exactly row_size() bytes,
 *	decode again to an equal row with an equal hash (store_row_equal,
 *	store_row_hash: what sync compares), and its key columns must
 *	encode into the key buffer or be refused, as verify does.
 */
#include <stdlib.h>
#include <string.h>

#include "store/internal.h"
#include "tests/fuzz/fuzz_util.h"

static const struct reg_table *tables[128];
static int ntables;

/* tables_init - the registry's tables, in a fixed order. */
static void tables_init(void)
{
	for (int i = 0; reg_mailerq[i] && ntables < 128; i++)
		tables[ntables++] = reg_mailerq[i];
	for (int i = 0; reg_list[i] && ntables < 128; i++)
		tables[ntables++] = reg_list[i];
}

/* check_key - the key columns of a decoded row encode, or are refused. */
static void check_key(const struct reg_table *t, const struct store_row *row)
{
	struct store_value kv[REG_MAX_KEY];
	/* exactly as large as key_encode's contract: ASan sees overruns */
	uint8_t *key = malloc(STORE_KEY_MAX);
	char err[256];
	size_t len = 0;

	if (!key)
		fuzz_fail("out of memory");
	for (int i = 0; i < t->nkey; i++)
		kv[i] = row->col[t->key[i]];
	if (t->nkey && key_encode(t, kv, key, &len, err, sizeof(err)) ==
	    STORE_OK && len > STORE_KEY_MAX)
		fuzz_fail("%s: key of %zu bytes", t->name, len);
	free(key);
}

/* LLVMFuzzerTestOneInput - decode one row value and check it */
int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct store_row row, again;
	const struct reg_table *t;
	uint8_t *enc;
	size_t n;

	if (!ntables)
		tables_init();
	if (size < 1)
		return 0;
	t = tables[data[0] % ntables];
	if (!row_decode(t, data + 1, size - 1, &row))
		return 0;
	n = row_size(t, &row);
	if (!(enc = malloc(n)))
		fuzz_fail("out of memory");
	row_encode(t, &row, enc);
	if (!row_decode(t, enc, n, &again))
		fuzz_fail("%s: a decoded row, encoded again, does not decode",
			  t->name);
	if (!store_row_equal(t, &row, &again))
		fuzz_fail("%s: a row changed through encode and decode",
			  t->name);
	if (store_row_hash(t, &row) != store_row_hash(t, &again))
		fuzz_fail("%s: equal rows hash differently", t->name);
	check_key(t, &row);
	free(enc);
	return 0;
}
