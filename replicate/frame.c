/*
 * NAME
 *	frame.c - the replication frames and change records on the wire
 * SYNOPSIS
 *	#include "replicate/internal.h"
 *
 *	n = frame_parse(buf, len, &f);
 *	while (record_next(f.payload, f.len, &off, &c) > 0) ...
 * DESCRIPTION
 *	Every byte a peer sends passes frame_parse() before anything
 *	acts on it (tests/fuzz/repl_frame.c drives it).  The format is in
 *	internal.h.
 * DIAGNOSTICS
 *	-1 for a malformed frame or record; nothing is logged here.
 */
#include <string.h>

#include "replicate/internal.h"

uint64_t be64_get(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

void	be64_put(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static uint32_t be32_get(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static void be32_put(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

void	frame_head(uint8_t out[FRAME_HEAD], enum frame_type type,
		   uint8_t flags, uint32_t len, uint64_t seq, uint64_t counter)
{
	out[0] = FRAME_MAGIC;
	out[1] = FRAME_VERSION;
	out[2] = (uint8_t)type;
	out[3] = flags;
	be32_put(out + 4, len);
	be64_put(out + 8, seq);
	be64_put(out + 16, counter);
}

size_t	record_size(const struct store_change *c)
{
	return RECORD_HEAD + strlen(c->table) + c->keylen + c->rowlen;
}

void	record_encode(const struct store_change *c, uint8_t *out)
{
	size_t namelen = strlen(c->table);

	out[0] = (uint8_t)c->op;
	out[1] = (uint8_t)namelen;
	out[2] = (uint8_t)(c->keylen >> 8);
	out[3] = (uint8_t)c->keylen;
	be32_put(out + 4, (uint32_t)c->rowlen);
	memcpy(out + RECORD_HEAD, c->table, namelen);
	if (c->keylen)
		memcpy(out + RECORD_HEAD + namelen, c->key, c->keylen);
	if (c->rowlen)
		memcpy(out + RECORD_HEAD + namelen + c->keylen, c->row,
		       c->rowlen);
}

/* op_known - a record a replica applies (never an overflow record) */
static bool op_known(uint8_t op)
{
	return op == STORE_CHANGE_PUT || op == STORE_CHANGE_DEL ||
	       op == STORE_CHANGE_LIST_CREATE || op == STORE_CHANGE_LIST_DROP;
}

int	record_next(const uint8_t *p, size_t len, size_t *off,
		    struct store_change *c)
{
	size_t namelen, keylen, rowlen, at = *off;

	if (at == len)
		return 0;
	if (at > len || len - at < RECORD_HEAD || !op_known(p[at]))
		return -1;
	namelen = p[at + 1];
	keylen = (size_t)p[at + 2] << 8 | p[at + 3];
	rowlen = be32_get(p + at + 4);
	if (namelen == 0 || keylen > 511 || rowlen > FRAME_MAX ||
	    len - at - RECORD_HEAD < namelen + keylen + rowlen ||
	    memchr(p + at + RECORD_HEAD, 0, namelen))
		return -1;
	memset(c, 0, sizeof(*c));
	c->op = (enum store_change_op)p[at];
	memcpy(c->table, p + at + RECORD_HEAD, namelen);
	c->table[namelen] = 0;
	c->key = p + at + RECORD_HEAD + namelen;
	c->keylen = keylen;
	c->row = c->key + keylen;
	c->rowlen = rowlen;
	*off = at + RECORD_HEAD + namelen + keylen + rowlen;
	return 1;
}

/* payload_fits - the fixed payload length of each type, or its records */
static bool payload_fits(const struct frame *f)
{
	struct store_change c;
	size_t off = 0;
	int r;

	switch (f->type) {
	case F_AUTH:
		return f->len == AUTH_LEN;
	case F_HELLO:
		return f->len == HELLO_LEN && f->payload[32] <= 1;
	case F_SNAP_BEGIN:
		return f->len == SNAP_BEGIN_LEN;
	case F_SNAP_DATA:
		return f->len > 0;
	case F_SNAP_END:
	case F_PING:
	case F_ACK:
		return f->len == 0;
	case F_CHANGES:
		while ((r = record_next(f->payload, f->len, &off, &c)) > 0)
			;
		return r == 0 && f->len > 0;
	}
	return false;
}

long	frame_parse(const uint8_t *buf, size_t len, struct frame *f)
{
	if (len < FRAME_HEAD)
		return 0;
	f->type = buf[2];
	f->flags = buf[3];
	f->len = be32_get(buf + 4);
	f->seq = be64_get(buf + 8);
	f->counter = be64_get(buf + 16);
	if (buf[0] != FRAME_MAGIC || buf[1] != FRAME_VERSION ||
	    f->len > FRAME_MAX || (f->flags & ~FRAME_MORE) ||
	    (f->flags && f->type != F_CHANGES))
		return -1;
	if (len - FRAME_HEAD < f->len)
		return 0;
	f->payload = buf + FRAME_HEAD;
	return payload_fits(f) ? (long)(FRAME_HEAD + f->len) : -1;
}
