/*
 * NAME
 *	tagrec_group.c - the group records of tag records: keys and entries
 * SYNOPSIS
 *	#include "store/tagrec_int.h"
 * DESCRIPTION
 *	Where the record of a message's group lives (tag_locate) and how
 *	its entries sit in it (tagrec_int.h): the one place that knows
 *	the keys and the entry layout, for the check (checktag.c), the
 *	writes (tagrec.c) and mq verify (tagrec_verify.c).
 *
 *	A check wants the fewest cycles between the key it is given and
 *	the entry: an integer key that LMDB compares without memcmp, then
 *	a short forward scan of at most TAG_GROUP entry heads.
 */
#include <string.h>

#include "store/tagrec_int.h"

void tag_locate(MDB_dbi near, MDB_dbi wide, uint32_t id, int64_t msgnum,
		struct tag_at *at)
{
	int64_t group = msgnum >> TAG_GROUP_BITS;	/* rounds down */

	at->slot = (int)(msgnum & (TAG_GROUP - 1));
	if (msgnum >= 0 && msgnum < TAG_NEAR_LIMIT) {
		uint64_t v = (uint64_t)id << 32 | (uint64_t)group;

		at->dbi = near;
		memcpy(at->key, &v, sizeof(v));
		at->keylen = sizeof(v);
		return;
	}
	at->dbi = wide;
	tdb_list_id(at->key, id);
	key_encode_int(group, at->key + LIST_ID_LEN);
	at->keylen = LIST_ID_LEN + 8;
}

uint32_t tag_list_id(const uint8_t *pfx)
{
	uint32_t id = 0;

	for (int i = 0; i < LIST_ID_LEN; i++)
		id = id << 8 | pfx[i];
	return id;
}

/* entry_len - the length in the entry head at p. */
static size_t entry_len(const uint8_t *p)
{
	return (size_t)p[1] | (size_t)p[2] << 8;
}

bool tag_entry(const MDB_val *g, int slot, MDB_val *e)
{
	const uint8_t *p = g->mv_data;
	size_t at = 0, len;

	e->mv_size = 0;
	e->mv_data = NULL;
	while (at + TAG_ENTRY_HEAD <= g->mv_size && p[at] <= slot) {
		len = entry_len(p + at);
		if (len > g->mv_size - at - TAG_ENTRY_HEAD)
			return false;
		if (p[at] == slot) {
			e->mv_size = len;
			e->mv_data = (void *)(p + at + TAG_ENTRY_HEAD);
			return true;
		}
		at += TAG_ENTRY_HEAD + len;
	}
	return at == g->mv_size || at + TAG_ENTRY_HEAD <= g->mv_size;
}

bool tag_next(const MDB_val *g, size_t *at, int *slot, MDB_val *e,
	      bool *bad)
{
	const uint8_t *p = g->mv_data;
	size_t len;

	*bad = false;
	if (*at == g->mv_size)
		return false;
	if (g->mv_size - *at < TAG_ENTRY_HEAD ||
	    (len = entry_len(p + *at)) == 0 ||
	    len > g->mv_size - *at - TAG_ENTRY_HEAD ||
	    p[*at] >= TAG_GROUP || (*at && p[*at] <= *slot)) {
		*bad = true;
		return false;
	}
	*slot = p[*at];
	e->mv_size = len;
	e->mv_data = (void *)(p + *at + TAG_ENTRY_HEAD);
	*at += TAG_ENTRY_HEAD + len;
	return true;
}

/* put_entry - slot's entry e (len bytes) at out; the bytes written. */
static size_t put_entry(uint8_t *out, int slot, const void *e, size_t len)
{
	out[0] = (uint8_t)slot;
	out[1] = (uint8_t)len;
	out[2] = (uint8_t)(len >> 8);
	memcpy(out + TAG_ENTRY_HEAD, e, len);
	return TAG_ENTRY_HEAD + len;
}

size_t tag_splice(const MDB_val *g, int slot, const uint8_t *e, size_t len,
		  uint8_t *out)
{
	MDB_val old = { 0, NULL };
	size_t at = 0, n = 0;
	int s = -1;
	bool bad, placed = len == 0;

	while (g && tag_next(g, &at, &s, &old, &bad)) {
		if (!placed && s >= slot) {
			n += put_entry(out + n, slot, e, len);
			placed = true;
		}
		if (s != slot)
			n += put_entry(out + n, s, old.mv_data, old.mv_size);
	}
	if (!placed)
		n += put_entry(out + n, slot, e, len);
	return n;
}
