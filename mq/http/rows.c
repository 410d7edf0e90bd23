/*
 * NAME
 *	http_rows.c - store rows written as JSON straight into an evbuffer
 * SYNOPSIS
 *	#include "mq/http/rows.h"
 * DESCRIPTION
 *	See http_rows.h.  Strings are copied in runs between the bytes
 *	that need an escape; multi-byte sequences are checked to be UTF-8
 *	(no overlong forms, no surrogates, nothing above U+10FFFF) as they
 *	pass, so a value is read once.
 * DIAGNOSTICS
 *	The writers return false when a text is not UTF-8; the buffer then
 *	holds a partial answer that the caller abandons.
 */
#include <stdio.h>
#include <string.h>

#include "mq/http/http.h"
#include "mq/http/rows.h"

/* utf8_len - bytes of the valid UTF-8 sequence at s (n left); 0: bad */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	static const uint32_t min[5] = { 0, 0, 0x80, 0x800, 0x10000 };
	size_t need;
	uint32_t cp;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		need = 2;
	else if ((s[0] & 0xf0) == 0xe0)
		need = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		need = 4;
	else
		return 0;
	if (n < need)
		return 0;
	cp = s[0] & (0x7fu >> need);
	for (size_t i = 1; i < need; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3fu);
	}
	if (cp < min[need] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return need;
}

/* put_escape - the JSON escape of an ASCII byte, as jansson writes it */
static void put_escape(struct evbuffer *out, unsigned char c)
{
	char esc[8];

	switch (c) {
	case '"':
		evbuffer_add(out, "\\\"", 2);
		return;
	case '\\':
		evbuffer_add(out, "\\\\", 2);
		return;
	case '\n':
		evbuffer_add(out, "\\n", 2);
		return;
	case '\r':
		evbuffer_add(out, "\\r", 2);
		return;
	case '\t':
		evbuffer_add(out, "\\t", 2);
		return;
	case '\b':
		evbuffer_add(out, "\\b", 2);
		return;
	case '\f':
		evbuffer_add(out, "\\f", 2);
		return;
	}
	snprintf(esc, sizeof(esc), "\\u%04X", c);
	evbuffer_add(out, esc, 6);
}

bool	http_json_string(struct evbuffer *out, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, run = 0, k;

	evbuffer_add(out, "\"", 1);
	while (i < len) {
		if (p[i] >= 0x80) {
			if (!(k = utf8_len(p + i, len - i)))
				return false;
			i += k;
		} else if (p[i] < 0x20 || p[i] == '"' || p[i] == '\\') {
			evbuffer_add(out, s + run, i - run);
			put_escape(out, p[i]);
			run = ++i;
		} else
			i++;
	}
	evbuffer_add(out, s + run, len - run);
	evbuffer_add(out, "\"", 1);
	return true;
}

char	*http_put_int(char *p, int64_t v)
{
	uint64_t u = v < 0 ? -(uint64_t)v : (uint64_t)v;
	char digits[20];
	int n = 0;

	do
		digits[n++] = (char)('0' + u % 10);
	while ((u /= 10));
	if (v < 0)
		*p++ = '-';
	while (n)
		*p++ = digits[--n];
	return p;
}

bool	http_json_value(struct evbuffer *out, const struct store_value *v)
{
	char num[24];

	switch (v->kind) {
	case SV_INT:
		evbuffer_add(out, num, (size_t)(http_put_int(num, v->i) - num));
		return true;
	case SV_TEXT:
		return http_json_string(out, v->s, v->len);
	case SV_NULL:
		break;
	}
	evbuffer_add(out, "null", 4);
	return true;
}

/* put_member - ,"name":value (the first without the comma) */
static bool put_member(struct evbuffer *out, bool *first, const char *name,
		       size_t namelen, const struct store_value *v)
{
	evbuffer_add(out, *first ? "{" : ",", 1);
	*first = false;
	if (!http_json_string(out, name, namelen))
		return false;
	evbuffer_add(out, ":", 1);
	return http_json_value(out, v);
}

/* end_object - the closing brace, or {} for an object without members */
static void end_object(struct evbuffer *out, bool first)
{
	evbuffer_add(out, first ? "{}" : "}", first ? 2 : 1);
}

bool	http_json_row(struct evbuffer *out, const struct reg_table *t,
		      const struct store_row *row, bool secrets)
{
	bool first = true;

	for (int i = 0; i < t->ncols; i++) {
		const char *name = t->cols[i].name;

		if ((t->cols[i].flags & REG_SECRET) && !secrets)
			continue;
		if (!put_member(out, &first, name, strlen(name), &row->col[i]))
			return false;
	}
	for (int i = 0; i < row->nextra; i++)
		if (!put_member(out, &first, row->extra[i].name,
				row->extra[i].namelen, &row->extra[i].v))
			return false;
	end_object(out, first);
	return true;
}

int	http_json_rows_put(const struct store_row *row, void *arg)
{
	struct http_json_rows *a = arg;

	if (a->n++)
		evbuffer_add(a->out, ",", 1);
	if (!http_json_row(a->out, a->t, row, a->secrets))
		a->bad = true;
	return a->bad;
}

bool	http_json_assigns(struct evbuffer *out, const struct reg_table *t,
			  const struct store_assign *a, int n, bool secrets)
{
	bool first = true;

	for (int i = 0; i < n; i++) {
		const struct reg_column *c = &t->cols[a[i].col];

		if ((c->flags & REG_SECRET) && !secrets)
			continue;
		if (!put_member(out, &first, c->name, strlen(c->name), &a[i].v))
			return false;
	}
	end_object(out, first);
	return true;
}

struct evbuffer *http_json_begin(struct http_req *r)
{
	return r->out;
}

void	http_json_send(struct http_req *r, int code)
{
	struct evbuffer *out = r->out;

	evbuffer_add(out, "\n", 1);
	/* the body is in the output buffer already: add nothing to it */
	http_reply_text(r, code, "application/json", "", 0);
}

void	http_json_abandon(struct http_req *r)
{
	struct evbuffer *out = r->out;

	evbuffer_drain(out, evbuffer_get_length(out));
}
