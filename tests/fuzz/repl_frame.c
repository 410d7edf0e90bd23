/*
 * NAME
 *	repl_frame.c - fuzz target: the replication frame parser
 * SYNOPSIS
 *	tests/fuzz/run.sh repl_frame SECONDS [LIBFUZZER-FLAG...]
 * DESCRIPTION
 *	Input: the bytes a peer sends (replicate/internal.h describes the
 *	frames).  frame_parse() takes frames off the front until it
 *	refuses or needs more, never reading outside the input.  Each
 *	frame it accepts has a payload inside the input; the records of a
 *	CHANGES frame walk to its end exactly, and each one encodes back
 *	into the same bytes (record_size, record_encode).
 */
#include <stdlib.h>
#include <string.h>

#include "replicate/internal.h"
#include "tests/fuzz/fuzz_util.h"

/* check_records - every record re-encodes into the bytes it came from */
static void check_records(const struct frame *f)
{
	struct store_change c;
	uint8_t *again;
	size_t off = 0, at;
	int r;

	while (at = off, (r = record_next(f->payload, f->len, &off, &c)) > 0) {
		if (record_size(&c) != off - at)
			fuzz_fail("record size differs");
		if (!(again = malloc(off - at)))
			return;
		record_encode(&c, again);
		if (memcmp(again, f->payload + at, off - at))
			fuzz_fail("record re-encodes differently");
		free(again);
	}
	if (r < 0 || off != f->len)
		fuzz_fail("an accepted CHANGES frame's records do not parse");
}

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct frame f;
	long n;

	while ((n = frame_parse(data, size, &f)) > 0) {
		if ((size_t)n > size || f.payload + f.len != data + n)
			fuzz_fail("a frame outside its input");
		if (f.type == F_CHANGES)
			check_records(&f);
		data += n;
		size -= (size_t)n;
	}
	return 0;
}
