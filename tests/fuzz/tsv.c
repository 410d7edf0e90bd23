/*
 * NAME
 *	tsv.c - fuzz target: the TSV reader of "mq set TABLE -"
 * SYNOPSIS
 *	tests/fuzz/run.sh tsv SECONDS [LIBFUZZER-FLAG...]
 *	build/fuzz/tsv [LIBFUZZER-FLAG...] [CORPUS-DIR... | INPUT...]
 * DESCRIPTION
 *	Input: one byte choosing a table of the registry (the MailerQ
 *	tables, then the list tables), then what "mq set TABLE -" reads
 *	on stdin: a header line naming columns, then rows.
 *
 *	The reader, parse_input(), is static in mq/cli/table_io.c, and its
 *	public caller table_load_stdin() reads stdin and writes a store;
 *	so this target compiles table_io.c into itself (the library's
 *	copy is then not linked) and calls the reader on the input: it
 *	must check every line (tsv_split, store_value_parse) without
 *	reading or writing outside it.  Every value it accepts must come
 *	back unchanged through the writer: tsv_write_value(), then
 *	tsv_split() and store_value_parse() again (tsv.h: "lossless").
 */
#include "mq/cli/table_io.c"

#include "tests/fuzz/fuzz_util.h"

static const struct reg_table *tables[128];
static int ntables;

/* init - the registry's tables, in a fixed order; mq's messages muted. */
static void init(void)
{
	for (int i = 0; reg_mailerq[i] && ntables < 128; i++)
		tables[ntables++] = reg_mailerq[i];
	for (int i = 0; reg_list[i] && ntables < 128; i++)
		tables[ntables++] = reg_list[i];
	fuzz_quiet();
}

/* round_trip - value v of column c, written and read again, is v. */
static void round_trip(const struct reg_table *t, int c,
		       const struct store_value *v)
{
	struct store_value w = { .kind = SV_NULL };
	char *text = NULL, *field, err[512];
	size_t len = 0, flen;
	int bad, n;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		fuzz_fail("out of memory");
	tsv_write_value(f, v);
	fclose(f);
	n = tsv_split(text, &field, &flen, 1, &bad);
	if (n != 1)
		fuzz_fail("%s.%s: a value written as '%s' splits into %d "
			  "fields", t->name, t->cols[c].name, text, n);
	if (field && store_value_parse(t, NULL, &t->cols[c], field, flen, &w,
				       err, sizeof(err)))
		fuzz_fail("%s.%s: a value read, written and read again: %s",
			  t->name, t->cols[c].name, err);
	if (!store_value_equal(v, &w))
		fuzz_fail("%s.%s: a value changed when written as TSV and "
			  "read again", t->name, t->cols[c].name);
	free(text);
}

/* LLVMFuzzerTestOneInput - read the input as mq set's stdin */
int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct load l = { 0 };
	char *buf;

	if (!ntables)
		init();
	if (size < 1)
		return 0;
	l.t = tables[data[0] % ntables];
	l.table = l.t->name;
	/* a copy of exactly the input and its NUL, as read_stdin makes */
	if (!(buf = malloc(size)))
		fuzz_fail("out of memory");
	memcpy(buf, data + 1, size - 1);
	buf[size - 1] = 0;
	if (parse_input(&l, buf, size - 1))
		for (size_t r = 0; r < l.nrows; r++)
			for (int i = 0; i < l.ncols; i++) {
				const struct store_assign *a =
					&l.a[r * (size_t)l.ncols + (size_t)i];

				round_trip(l.t, a->col, &a->v);
			}
	free(l.a);
	free(buf);
	return 0;
}
