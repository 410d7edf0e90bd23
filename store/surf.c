/*
 * NAME
 *	surf.c - SURF and SURFPCS (see surf.h)
 * DESCRIPTION
 *	Written from the published description of SURF (two passes of 16
 *	rounds over 12 words, each word mixed with its neighbour, the seed
 *	and a running sum of the golden-ratio constant) and of ezmlm-idx's
 *	surfpcs (32-byte blocks, block counter in words 8..11, the block
 *	outputs summed, then one more SURF over the sums).
 */
#include <string.h>

#include "store/surf.h"

#define SURF_DELTA	0x9e3779b9u
#define SURF_ROUNDS	16
#define SURF_PASSES	2

static uint32_t rotl(uint32_t x, unsigned b)
{
	return (x << b) | (x >> (32 - b));
}

void surf(uint32_t out[SURF_OUT_WORDS], const uint32_t in[SURF_IN_WORDS],
	  const uint32_t seed[SURF_SEED_WORDS])
{
	static const unsigned shift[4] = { 5, 7, 9, 13 };
	uint32_t t[SURF_IN_WORDS], x, sum = 0;

	for (int i = 0; i < SURF_IN_WORDS; i++)
		t[i] = in[i] ^ seed[12 + i];
	for (int i = 0; i < SURF_OUT_WORDS; i++)
		out[i] = seed[24 + i];
	x = t[SURF_IN_WORDS - 1];
	for (int pass = 0; pass < SURF_PASSES; pass++) {
		for (int r = 0; r < SURF_ROUNDS; r++) {
			sum += SURF_DELTA;
			for (int i = 0; i < SURF_IN_WORDS; i++) {
				t[i] += ((x ^ seed[i]) + sum) ^
					rotl(x, shift[i % 4]);
				x = t[i];
			}
		}
		for (int i = 0; i < SURF_OUT_WORDS; i++)
			out[i] ^= t[i + 4];
	}
}

void surfpcs_init(struct surfpcs *s, const uint32_t seed[SURF_SEED_WORDS])
{
	memcpy(s->seed, seed, sizeof(s->seed));
	memset(s->sum, 0, sizeof(s->sum));
	memset(s->in, 0, sizeof(s->in));
	s->todo = 0;
}

/* surfpcs_block - a full block: bump the 128-bit counter, add SURF. */
static void surfpcs_block(struct surfpcs *s)
{
	uint32_t out[SURF_OUT_WORDS];

	for (int i = 8; i < SURF_IN_WORDS && ++s->in[i] == 0; i++)
		;
	surf(out, s->in, s->seed);
	for (int i = 0; i < SURF_OUT_WORDS; i++)
		s->sum[i] += out[i];
	s->todo = 0;
}

void surfpcs_add(struct surfpcs *s, const void *data, size_t n)
{
	const uint8_t *p = data;

	for (size_t i = 0; i < n; i++) {
		unsigned w = s->todo / 4, b = 8 * (s->todo % 4);

		s->in[w] = (s->in[w] & ~(0xffu << b)) | (uint32_t)p[i] << b;
		if (++s->todo == 32)
			surfpcs_block(s);
	}
}

void surfpcs_out(struct surfpcs *s, uint8_t out[SURF_OUT_BYTES])
{
	uint32_t w[SURF_OUT_WORDS];
	static const uint8_t zero;

	surfpcs_add(s, ".", 1);
	while (s->todo)
		surfpcs_add(s, &zero, 1);
	memcpy(s->in, s->sum, sizeof(s->sum));
	memset(s->in + 8, 0, 4 * sizeof(s->in[0]));
	surf(w, s->in, s->seed);
	for (int i = 0; i < SURF_OUT_BYTES; i++)
		out[i] = (uint8_t)(w[i / 4] >> (8 * (i % 4)));
}
