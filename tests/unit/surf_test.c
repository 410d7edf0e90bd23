/*
 * surf_test - SURF and SURFPCS against the vectors of
 * tests/unit/surf_cases.txt (computed outside mq from ezmlm-idx's
 * published surf.c and surfpcs.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/surf.h"
#include "tests/unit/check.h"

#define CASES "tests/unit/surf_cases.txt"

static void words(const char *kind, uint32_t *w, int n)
{
	for (int i = 0; i < n; i++)
		w[i] = strcmp(kind, "ones") == 0 ? 0xffffffffu
			: strcmp(kind, "golden") == 0 ? (uint32_t)i * 0x9e3779b9u
			: (uint32_t)i;
}

static void surf_case(int line, char *rest)
{
	char in[16], seed[16];
	uint32_t win[SURF_IN_WORDS], wseed[SURF_SEED_WORDS],
		out[SURF_OUT_WORDS], want[SURF_OUT_WORDS];
	int used = 0;

	if (sscanf(rest, "%15s %15s%n", in, seed, &used) != 2) {
		CHECK(0, "line %d: bad surf case", line);
		return;
	}
	rest += used;
	for (int i = 0; i < SURF_OUT_WORDS; i++) {
		unsigned long v;
		int u = 0;

		if (sscanf(rest, "%lx%n", &v, &u) != 1) {
			CHECK(0, "line %d: bad output word", line);
			return;
		}
		want[i] = (uint32_t)v;
		rest += u;
	}
	words(in, win, SURF_IN_WORDS);
	words(seed, wseed, SURF_SEED_WORDS);
	surf(out, win, wseed);
	CHECK(memcmp(out, want, sizeof(out)) == 0, "line %d: surf(%s, %s)",
	      line, in, seed);
}

static void pcs_case(int line, char *rest)
{
	static uint8_t data[1024];
	char hexdata[2100], hexout[80];
	uint8_t want[SURF_OUT_BYTES], got[SURF_OUT_BYTES];
	uint32_t seed[SURF_SEED_WORDS];
	struct surfpcs s;
	long n;

	if (sscanf(rest, "%2099s %79s", hexdata, hexout) != 2 ||
	    (n = check_unhex(hexdata, data, sizeof(data))) < 0 ||
	    check_unhex(hexout, want, sizeof(want)) != SURF_OUT_BYTES) {
		CHECK(0, "line %d: bad pcs case", line);
		return;
	}
	words("count", seed, SURF_SEED_WORDS);
	surfpcs_init(&s, seed);
	/* Fed in two uneven parts: the result may not depend on the split. */
	surfpcs_add(&s, data, (size_t)n / 3);
	surfpcs_add(&s, data + n / 3, (size_t)(n - n / 3));
	surfpcs_out(&s, got);
	CHECK(memcmp(got, want, sizeof(got)) == 0, "line %d: surfpcs of %ld "
	      "bytes", line, n);
}

int main(void)
{
	FILE *f = fopen(CASES, "r");
	char *buf = NULL;
	size_t cap = 0;
	int line = 0, cases = 0;

	if (!f) {
		CHECK(0, "open %s", CASES);
		return check_done();
	}
	while (getline(&buf, &cap, f) > 0) {
		line++;
		buf[strcspn(buf, "\n")] = 0;
		if (strncmp(buf, "surf ", 5) == 0)
			surf_case(line, buf + 5), cases++;
		else if (strncmp(buf, "pcs ", 4) == 0)
			pcs_case(line, buf + 4), cases++;
		else if (buf[0] && buf[0] != '#')
			CHECK(0, "line %d: unknown case", line);
	}
	free(buf);
	fclose(f);
	CHECK(cases >= 6, "%d cases read", cases);
	return check_done();
}
