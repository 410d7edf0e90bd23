/*
 * NAME
 *	parse.c - an HTTP/1.x request parsed in place: head, query, body
 * SYNOPSIS
 *	n = http_head_length(buf, len);  http_head_parse(buf, n, &h);
 *	http_query_parse(text, params, max);  http_chunked_body(...);
 * DESCRIPTION
 *	The connection's input buffer is parsed where it lies: the request
 *	line and the header values are cut with NUL bytes, the query's
 *	values are decoded over themselves (a decoded text is never longer),
 *	and a chunked body is joined over its own framing.  Nothing is
 *	allocated.  Lines end in LF or CRLF, a header's name is the bytes
 *	before its first colon, and the headers the server acts on are
 *	kept: Host, Authorization, Content-Type, Content-Length,
 *	Transfer-Encoding, Connection and Expect.
 *
 *	The query follows libevent's rules, which the API documents:
 *	pairs split at '&', each NAME=VALUE with a NAME, the value's '+'
 *	a space and %XX a byte (a '%' without two hex digits stays), the
 *	name as sent.
 */
#include <string.h>
#include <strings.h>

#include "mq/http/server.h"

/* line_end - the LF ending the line at p, or NULL */
static char *line_end(char *p, const char *end)
{
	return memchr(p, '\n', (size_t)(end - p));
}

/* line_cut - NUL the line at p (ending at lf) before its CR; its length */
static size_t line_cut(char *p, char *lf)
{
	size_t n = (size_t)(lf - p) - (lf > p && lf[-1] == '\r');

	p[n] = 0;
	return n;
}

size_t	http_head_length(const char *buf, size_t len)
{
	const char *end = buf + len, *p = buf, *lf;

	if (!(lf = memchr(p, '\n', len)))		/* the request line */
		return 0;
	for (p = lf + 1; (lf = memchr(p, '\n', (size_t)(end - p)));
	     p = lf + 1)
		if (lf == p || (lf == p + 1 && *p == '\r'))
			return (size_t)(lf + 1 - buf);
	return 0;
}

/* method_of - the method's token as an enum http_method */
static int method_of(const char *m, size_t n)
{
	static const struct { const char *name; int method; } known[] = {
		{ "GET", HTTP_GET }, { "POST", HTTP_POST },
		{ "HEAD", HTTP_HEAD }, { "PUT", HTTP_PUT },
		{ "DELETE", HTTP_DELETE }, { "OPTIONS", HTTP_OPTIONS },
		{ "PATCH", HTTP_PATCH },
	};

	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strlen(known[i].name) == n && !memcmp(m, known[i].name, n))
			return known[i].method;
	return HTTP_OTHER;
}

/* request_line - METHOD SP TARGET SP HTTP/d.d, cut in place */
static bool request_line(char *p, struct http_head *h)
{
	char *sp = strchr(p, ' '), *target, *version;

	if (!sp || sp == p)
		return false;
	for (char *c = p; c < sp; c++)
		if (*c <= ' ' || *c >= 127 || strchr("()<>@,;:\\\"/[]?={}", *c))
			return false;
	h->method = method_of(p, (size_t)(sp - p));
	target = sp + 1;
	if (!(sp = strchr(target, ' ')) || sp == target)
		return false;
	*sp = 0;
	version = sp + 1;
	if (strncmp(version, "HTTP/", 5) || version[5] < '0' ||
	    version[5] > '9' || version[6] != '.' || version[7] < '0' ||
	    version[7] > '9' || version[8])
		return false;
	h->major = version[5] - '0';
	h->minor = version[7] - '0';
	h->target = target;
	return h->major >= 1;
}

/* has_token - whether the comma-separated value v holds token t */
static bool has_token(const char *v, const char *t)
{
	size_t n = strlen(t);

	for (v += strspn(v, " \t,"); *v; v += strspn(v, " \t,")) {
		size_t k = strcspn(v, ",");
		size_t e = k;

		while (e && (v[e - 1] == ' ' || v[e - 1] == '\t'))
			e--;
		if (e == n && !strncasecmp(v, t, n))
			return true;
		v += k;
	}
	return false;
}

/* decimal - a Content-Length; UINT64_MAX when not digits or too large */
static uint64_t decimal(const char *v)
{
	uint64_t x = 0;
	size_t n = strlen(v);

	if (n == 0 || n > 19)
		return UINT64_MAX;
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return UINT64_MAX;
		x = x * 10 + (uint64_t)(v[i] - '0');
	}
	return x;
}

/* header - one header line (name: value), kept when the server uses it */
static void header(const char *name, size_t n, char *v, struct http_head *h)
{
	size_t len = strlen(v);

	while (len && (v[len - 1] == ' ' || v[len - 1] == '\t'))
		v[--len] = 0;
#define IS(s) (n == sizeof(s) - 1 && !strncasecmp(name, s, n))
	if (IS("Content-Length")) {
		h->lengths++;
		h->length = decimal(v);
	} else if (IS("Transfer-Encoding")) {
		h->encodings++;
		h->chunked = !strcasecmp(v, "chunked");
	} else if (IS("Host") && !h->host) {
		h->host = v;
	} else if (IS("Authorization") && !h->auth) {
		h->auth = v;
		h->auth_len = len;
	} else if (IS("Content-Type") && !h->content_type) {
		h->content_type = v;
	} else if (IS("Connection")) {
		h->close |= has_token(v, "close");
		h->keep_alive |= has_token(v, "keep-alive");
	} else if (IS("Expect")) {
		h->expect_continue = !strcasecmp(v, "100-continue");
	}
#undef IS
}

bool	http_head_parse(char *buf, size_t len, struct http_head *h)
{
	char *end = buf + len, *p = buf, *lf = line_end(p, end), *colon;

	memset(h, 0, sizeof(*h));
	if (!lf)
		return false;
	line_cut(p, lf);
	if (!request_line(p, h))
		return false;
	for (p = lf + 1; (lf = line_end(p, end)) && line_cut(p, lf) != 0;
	     p = lf + 1) {
		if (*p == ' ' || *p == '\t')	/* folded: a value's rest */
			continue;
		if (!(colon = strchr(p, ':')) || colon == p)
			return false;
		*colon = 0;
		header(p, (size_t)(colon - p), colon + 1 + strspn(colon + 1,
								   " \t"), h);
	}
	return true;
}

/* hex - the value of a hex digit, -1 if not one */
static int hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)(c | 0x20);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

size_t	http_uri_decode(char *s, bool plus)
{
	char *d = s, *start = s;

	for (; *s; s++) {
		if (*s == '%' && hex(s[1]) >= 0 && hex(s[2]) >= 0) {
			*d++ = (char)(hex(s[1]) << 4 | hex(s[2]));
			s += 2;
		} else {
			*d++ = plus && *s == '+' ? ' ' : *s;
		}
	}
	*d = 0;
	return (size_t)(d - start);
}

int	http_query_parse(char *q, struct http_param *p, int max)
{
	int n = 0;

	while (q && *q) {
		char *amp = strchr(q, '&'), *eq;

		if (amp)
			*amp = 0;
		if (!(eq = strchr(q, '=')) || eq == q || n == max)
			return -1;
		*eq = 0;
		p[n].key = q;
		p[n].value = eq + 1;
		http_uri_decode(p[n].value, true);
		n++;
		q = amp ? amp + 1 : NULL;
	}
	return n;
}

/* chunk_size - the size on the chunk line at p..lf; -1 if not hex */
static int64_t chunk_size(const char *p, const char *lf)
{
	int64_t x = 0;
	const char *s = p;

	for (; s < lf && hex(*s) >= 0; s++) {
		x = x * 16 + hex(*s);
		if (x > HTTP_MAX_BODY)
			return HTTP_MAX_BODY + 1;
	}
	if (s == p || (s < lf && *s != ';' && *s != '\r' && *s != ' '))
		return -1;
	return x;
}

/*
 * chunked_scan - walk the chunks of body (len bytes) without changing
 *	them: the bytes through the last chunk's trailer, 0 while
 *	incomplete, -1 malformed, -2 larger than HTTP_MAX_BODY.
 */
static ssize_t chunked_scan(char *body, size_t len, size_t *total)
{
	char *p = body, *end = body + len, *lf;
	int64_t n;

	*total = 0;
	for (;;) {
		if (!(lf = line_end(p, end)))
			return 0;
		if ((n = chunk_size(p, lf)) < 0)
			return -1;
		if ((*total += (size_t)n) > HTTP_MAX_BODY)
			return -2;
		p = lf + 1;
		if (n == 0)
			break;
		if ((size_t)(end - p) < (size_t)n + 1)
			return 0;
		p += n;
		p += *p == '\r';
		if (p >= end)
			return 0;
		if (*p++ != '\n')
			return -1;
	}
	/* trailers, up to the empty line */
	for (; (lf = line_end(p, end)); p = lf + 1)
		if (lf == p || (lf == p + 1 && *p == '\r'))
			return lf + 1 - body;
	return 0;
}

ssize_t	http_chunked_body(char *body, size_t len, size_t *decoded)
{
	ssize_t used = chunked_scan(body, len, decoded);
	char *p = body, *d = body, *lf;
	int64_t n;

	if (used <= 0)
		return used;
	/* complete and well formed: join the chunks over their framing */
	while ((n = chunk_size(p, (lf = line_end(p, body + used)))) > 0) {
		memmove(d, lf + 1, (size_t)n);
		d += n;
		p = lf + 1 + n;
		p += *p == '\r';
		p++;
	}
	return used;
}
