/*
 * NAME
 *	surf.h - SURF and its keyed checksum SURFPCS, as ezmlm-idx uses them
 * SYNOPSIS
 *	#include "store/surf.h"
 * DESCRIPTION
 *	surf() is D. J. Bernstein's "Simple Unpredictable Random Function":
 *	384 input bits, a 1024-bit seed, 256 output bits.  SURFPCS feeds a
 *	byte string through SURF 32 bytes at a time (with a 128-bit block
 *	counter) and sums the outputs, which ezmlm-idx's cookie() uses to
 *	derive its seed from the list key and its cookie from the message.
 *	Only the cookie code (cookie.c) and the unit tests use this
 *	header; the rest of mq sees mlist.h.
 *
 *	Byte order is fixed, not the host's: input byte i of a block is
 *	bits 8*(i%4).. of word i/4, and output byte i is taken the same
 *	way, so results equal those of ezmlm-idx on a little-endian host.
 */
#ifndef MQ_STORE_SURF_H
#define MQ_STORE_SURF_H

#include <stddef.h>
#include <stdint.h>

#define SURF_SEED_WORDS	32
#define SURF_IN_WORDS	12
#define SURF_OUT_WORDS	8
#define SURF_OUT_BYTES	32

struct surfpcs {
	uint32_t seed[SURF_SEED_WORDS];
	uint32_t sum[SURF_OUT_WORDS];
	uint32_t in[SURF_IN_WORDS];	/* 8 words of data, 4 of counter */
	unsigned todo;			/* bytes of the block filled */
};

/* surf - one SURF evaluation: out from in under seed. */
void surf(uint32_t out[SURF_OUT_WORDS], const uint32_t in[SURF_IN_WORDS],
	  const uint32_t seed[SURF_SEED_WORDS]);

/* surfpcs_init - start a checksum under seed. */
void surfpcs_init(struct surfpcs *s, const uint32_t seed[SURF_SEED_WORDS]);

/* surfpcs_add - feed n bytes. */
void surfpcs_add(struct surfpcs *s, const void *data, size_t n);

/* surfpcs_out - finish (pad with "." and NULs) and write 32 bytes. */
void surfpcs_out(struct surfpcs *s, uint8_t out[SURF_OUT_BYTES]);

#endif
