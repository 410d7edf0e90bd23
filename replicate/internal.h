/*
 * NAME
 *	internal.h - what the files of replicate/ share
 * DESCRIPTION
 *	The frame format (frame.c), keys and TLS (auth.c), the connection
 *	(link.c) and the two roles (primary.c, follow.c).
 *
 *	A frame is a 24-byte header and a payload:
 *		magic 'm' (1) version 1 (1) type (1) flags (1)
 *		length (4) sequence (8) counter (8)	all big-endian
 *	The length is at most FRAME_MAX; the sequence is the one the
 *	frame ends at; the counter numbers each side's frames from 0, so
 *	a replayed, dropped or reordered frame is refused.
 */
#ifndef MQ_REPLICATE_INTERNAL_H
#define MQ_REPLICATE_INTERNAL_H

#include "replicate/replicate.h"

#define FRAME_MAGIC	0x6d
#define FRAME_VERSION	1
#define FRAME_HEAD	24
#define FRAME_MAX	(16u << 20)
#define FRAME_MORE	0x1	/* changes: more records of this sequence */

enum frame_type {
	F_AUTH = 1,	/* public key (32), signature (64) */
	F_HELLO,	/* uuid (16), epoch (8), sequence (8), role (1) */
	F_CHANGES,	/* records of one transaction (or part of it) */
	F_SNAP_BEGIN,	/* uuid (16), epoch (8), sequence (8), size (8) */
	F_SNAP_DATA,	/* bytes of the snapshot file */
	F_SNAP_END,	/* empty; sequence: the snapshot's */
	F_PING,		/* empty; sequence: the primary's */
	F_ACK,		/* empty; sequence: the replica's */
};

#define AUTH_LEN	96
#define HELLO_LEN	33
#define SNAP_BEGIN_LEN	40

struct frame {
	uint8_t type, flags;
	uint32_t len;
	uint64_t seq, counter;
	const uint8_t *payload;
};

/*
 * frame_parse - the frame at the start of buf: its size (> 0), 0 when
 *	buf holds only part of it, -1 when it is malformed (bad magic,
 *	version, type, flags, length, or a changes payload whose records
 *	do not parse).
 */
long	frame_parse(const uint8_t *buf, size_t len, struct frame *f);
void	frame_head(uint8_t out[FRAME_HEAD], enum frame_type type,
		   uint8_t flags, uint32_t len, uint64_t seq, uint64_t counter);

/*
 * A record of a changes payload:
 *	op (1) namelen (1) keylen (2) rowlen (4) name key row
 */
#define RECORD_HEAD	8
size_t	record_size(const struct store_change *c);
void	record_encode(const struct store_change *c, uint8_t *out);
/* record_next - the record at *off of p: 1 (and *off moved), 0 at the end, -1 bad */
int	record_next(const uint8_t *p, size_t len, size_t *off,
		    struct store_change *c);

uint64_t be64_get(const uint8_t *p);
void	be64_put(uint8_t *p, uint64_t v);

#endif
