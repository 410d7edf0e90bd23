/*
 * NAME
 *	http_parse.c - fuzz target: mq serve's HTTP request parser
 * SYNOPSIS
 *	tests/fuzz/run.sh http_parse SECONDS [LIBFUZZER-FLAG...]
 *	build/fuzz/http_parse [LIBFUZZER-FLAG...] [CORPUS-DIR... | INPUT...]
 * DESCRIPTION
 *	Input: the bytes at the start of a connection's buffer.  The
 *	target runs what mq/http/conn.c runs on them, in process and
 *	without the server (http_request.c sends them to the real one):
 *	the end of the head (http_head_length), the head cut in place
 *	(http_head_parse), a chunked body after it (http_chunked_body),
 *	and the target's query pairs (http_query_parse).  Each works on a
 *	copy of exactly the input's bytes in its own allocation, so a read
 *	or write outside it is AddressSanitizer's finding.  What must hold:
 *	the head's length lies within the input and ends in LF; every
 *	pointer the head keeps points inside it; a chunked body takes no
 *	more bytes than it was given and decodes to fewer.
 */
#include <stdlib.h>
#include <string.h>

#include "mq/http/server.h"
#include "tests/fuzz/fuzz_util.h"

/* inside - whether p (when set) points into buf's len bytes */
static bool inside(const char *p, const char *buf, size_t len)
{
	return !p || (p >= buf && p < buf + len);
}

/* check_head - the head's pointers lie in it */
static void check_head(const struct http_head *h, const char *buf, size_t n)
{
	if (!inside(h->target, buf, n) || !inside(h->host, buf, n) ||
	    !inside(h->auth, buf, n) || !inside(h->content_type, buf, n))
		fuzz_fail("a header value points outside the head");
	if (h->auth && strlen(h->auth) != h->auth_len)
		fuzz_fail("Authorization's length is not its value's");
}

/* query - the target's query pairs, on a copy */
static void query(const char *target)
{
	struct http_param p[HTTP_MAX_PARAMS];
	const char *q = strchr(target, '?');
	char *copy = q ? strdup(q + 1) : NULL;
	int n = copy ? http_query_parse(copy, p, HTTP_MAX_PARAMS) : 0;

	for (int i = 0; i < n; i++)
		if (!*p[i].key || strlen(p[i].value) > strlen(q))
			fuzz_fail("a query pair with no name, or grown");
	free(copy);
}

/* body - a chunked body of the rest, on a copy of exactly its bytes */
static void body(const uint8_t *data, size_t len)
{
	char *b = malloc(len ? len : 1);
	size_t decoded = 0;
	ssize_t used;

	memcpy(b, data, len);
	used = http_chunked_body(b, len, &decoded);
	if (used > (ssize_t)len || (used > 0 && decoded >= (size_t)used))
		fuzz_fail("a chunked body took %zd of %zu bytes (%zu data)",
			  used, len, decoded);
	free(b);
}

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size ? size : 1);
	struct http_head h;
	size_t n;

	memcpy(buf, data, size);
	n = http_head_length(buf, size);
	if (n > size || (n && buf[n - 1] != '\n'))
		fuzz_fail("a head of %zu bytes in %zu", n, size);
	if (n && http_head_parse(buf, n, &h)) {
		check_head(&h, buf, n);
		query(h.target);
		if (h.chunked)
			body(data + n, size - n);
	}
	free(buf);
	return 0;
}
