/*
 * NAME
 *	row.c - row and key encodings of the store
 * DESCRIPTION
 *	A row value is
 *
 *		0x01  varint(ncols)  value*ncols  varint(nextra)
 *		      (varint(namelen) name value)*nextra
 *
 *	and a value is one tag byte: 0 NULL; 1 integer, followed by its
 *	zigzag varint; 2 text, followed by varint(length) and the bytes.
 *	Columns are positional in registry order; a row with fewer columns
 *	than the registry (written before a column was appended) decodes
 *	with the rest NULL.  NULL, 0 and '' are three different encodings,
 *	so a round trip through the store is exact.
 *
 *	A key is the primary key columns concatenated: an integer as 8
 *	bytes big-endian with the sign bit flipped (so LMDB's memcmp order
 *	is numeric order), a text (only ever the last key column) as its
 *	bytes, or for a REG_FOLD column (a list address) as the key
 *	store_fold_key() makes of it (ascii.c: folded, NUL, case mask).  Tables
 *	without a key use a hidden row number, encoded as an integer.
 */
#include <string.h>
#include <stdio.h>

#include "store/internal.h"

#define ROW_FORMAT	0x01
enum { TAG_NULL = 0, TAG_INT = 1, TAG_TEXT = 2 };

static size_t varint_size(uint64_t v)
{
	size_t n = 1;

	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

static uint8_t *varint_put(uint8_t *p, uint64_t v)
{
	while (v >= 0x80) {
		*p++ = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	*p++ = (uint8_t)v;
	return p;
}

/* varint_get - read a varint from [*p, end); false when it runs past. */
static bool varint_get(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	uint64_t r = 0;

	for (int shift = 0; shift < 64; shift += 7) {
		if (*p >= end)
			return false;
		uint8_t b = *(*p)++;
		r |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*v = r;
			return true;
		}
	}
	return false;
}

static uint64_t zigzag(int64_t v)
{
	return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static int64_t unzigzag(uint64_t v)
{
	return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

static size_t value_size(const struct store_value *v)
{
	switch (v->kind) {
	case SV_INT:
		return 1 + varint_size(zigzag(v->i));
	case SV_TEXT:
		return 1 + varint_size(v->len) + v->len;
	case SV_NULL:
		break;
	}
	return 1;
}

static uint8_t *value_put(uint8_t *p, const struct store_value *v)
{
	switch (v->kind) {
	case SV_INT:
		*p++ = TAG_INT;
		return varint_put(p, zigzag(v->i));
	case SV_TEXT:
		*p++ = TAG_TEXT;
		p = varint_put(p, v->len);
		if (v->len)
			memcpy(p, v->s, v->len);
		return p + v->len;
	case SV_NULL:
		break;
	}
	*p++ = TAG_NULL;
	return p;
}

static bool value_get(const uint8_t **p, const uint8_t *end,
		      struct store_value *v)
{
	uint64_t u;

	if (*p >= end)
		return false;
	memset(v, 0, sizeof(*v));
	switch (*(*p)++) {
	case TAG_NULL:
		v->kind = SV_NULL;
		return true;
	case TAG_INT:
		if (!varint_get(p, end, &u))
			return false;
		v->kind = SV_INT;
		v->i = unzigzag(u);
		return true;
	case TAG_TEXT:
		if (!varint_get(p, end, &u) || u > (uint64_t)(end - *p))
			return false;
		v->kind = SV_TEXT;
		v->s = (const char *)*p;
		v->len = u;
		*p += u;
		return true;
	}
	return false;
}

size_t row_size(const struct reg_table *t, const struct store_row *row)
{
	size_t n = 1 + varint_size((uint64_t)t->ncols)
		+ varint_size((uint64_t)row->nextra);

	for (int i = 0; i < t->ncols; i++)
		n += value_size(&row->col[i]);
	for (int i = 0; i < row->nextra; i++)
		n += varint_size(row->extra[i].namelen) + row->extra[i].namelen
			+ value_size(&row->extra[i].v);
	return n;
}

void row_encode(const struct reg_table *t, const struct store_row *row,
		uint8_t *out)
{
	uint8_t *p = out;

	*p++ = ROW_FORMAT;
	p = varint_put(p, (uint64_t)t->ncols);
	for (int i = 0; i < t->ncols; i++)
		p = value_put(p, &row->col[i]);
	p = varint_put(p, (uint64_t)row->nextra);
	for (int i = 0; i < row->nextra; i++) {
		p = varint_put(p, row->extra[i].namelen);
		memcpy(p, row->extra[i].name, row->extra[i].namelen);
		p += row->extra[i].namelen;
		p = value_put(p, &row->extra[i].v);
	}
}

/*
 * row_decode - decode a row in place: text values point into data.
 *	Returns false for anything that is not a well-formed row of t.
 */
bool row_decode(const struct reg_table *t, const void *data, size_t len,
		struct store_row *out)
{
	const uint8_t *p = data, *end = p + len;
	uint64_t ncols, nextra;

	if (len < 3 || *p++ != ROW_FORMAT)
		return false;
	if (!varint_get(&p, end, &ncols) || ncols > (uint64_t)t->ncols)
		return false;
	for (int i = 0; i < t->ncols; i++) {
		if ((uint64_t)i >= ncols)
			out->col[i] = (struct store_value){ .kind = SV_NULL };
		else if (!value_get(&p, end, &out->col[i]))
			return false;
	}
	if (!varint_get(&p, end, &nextra) || nextra > STORE_MAX_EXTRA)
		return false;
	out->nextra = (int)nextra;
	for (int i = 0; i < out->nextra; i++) {
		uint64_t nl;

		if (!varint_get(&p, end, &nl) || nl == 0 ||
		    nl > (uint64_t)(end - p))
			return false;
		out->extra[i].name = (const char *)p;
		out->extra[i].namelen = nl;
		p += nl;
		if (!value_get(&p, end, &out->extra[i].v))
			return false;
	}
	return p == end;
}

static void be64_put(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

/* Row numbers are encoded like integer keys, so one decoder serves both. */
void key_encode_int(int64_t id, uint8_t out[8])
{
	be64_put(out, (uint64_t)id ^ (1ull << 63));
}

int64_t key_decode_int(const uint8_t in[8])
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = (v << 8) | in[i];
	return (int64_t)(v ^ (1ull << 63));
}

enum store_rc key_encode(const struct reg_table *t,
			 const struct store_value *keyvals, uint8_t *out,
			 size_t *len, char *err, size_t errlen)
{
	size_t n = 0;

	for (int k = 0; k < t->nkey; k++) {
		const struct reg_column *c = &t->cols[t->key[k]];
		const struct store_value *v = &keyvals[k];

		if (v->kind == SV_NULL || (v->kind == SV_TEXT && v->len == 0)) {
			snprintf(err, errlen, "%s: key column %s may not be "
				 "%s", t->name, c->name,
				 v->kind == SV_NULL ? "NULL" : "empty");
			return STORE_BADDATA;
		}
		if (v->kind == SV_INT) {
			key_encode_int(v->i, out + n);
			n += 8;
			continue;
		}
		if (n + ((c->flags & REG_FOLD) ? STORE_FOLD_KEY_MAX(v->len)
			 : v->len) > STORE_KEY_MAX) {
			snprintf(err, errlen, "%s: key column %s longer than "
				 "%d bytes", t->name, c->name, STORE_KEY_MAX);
			return STORE_BADDATA;
		}
		if ((c->flags & REG_FOLD) && memchr(v->s, 0, v->len)) {
			snprintf(err, errlen, "%s: key column %s may not hold "
				 "a NUL byte", t->name, c->name);
			return STORE_BADDATA;
		}
		if (c->flags & REG_FOLD)
			n += store_fold_key(out + n, v->s, v->len);
		else {
			memcpy(out + n, v->s, v->len);
			n += v->len;
		}
	}
	*len = n;
	return STORE_OK;
}

/* store_value_equal - see store.h */
bool store_value_equal(const struct store_value *a,
		       const struct store_value *b)
{
	if (a->kind != b->kind)
		return false;
	switch (a->kind) {
	case SV_INT:
		return a->i == b->i;
	case SV_TEXT:
		return a->len == b->len && (a->len == 0 ||
					    memcmp(a->s, b->s, a->len) == 0);
	case SV_NULL:
		break;
	}
	return true;
}
