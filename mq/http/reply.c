/*
 * NAME
 *	reply.c - answers: JSON, errors, text, the token, streams
 * DESCRIPTION
 *	Every answer goes through reply_send, which makes the status line
 *	and headers and hands them with the body to conn.c; server.c
 *	finishes the request (metrics, in-flight count, free) when the
 *	handler returns.  A streamed answer is finished here, by
 *	http_stream_end or by its client going away.
 *
 *	The headers every answer carries, in this order: the handler's
 *	own (Allow, WWW-Authenticate, ...), Content-Type, Cache-Control:
 *	no-store, X-Content-Type-Options: nosniff, Date (HTTP/1.1),
 *	Content-Length (not on a stream, 204 or 304), and Connection:
 *	keep-alive for an HTTP/1.0 client that asked, close when the
 *	connection closes after the answer.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "mq/config.h"
#include "mq/ops/ops.h"
#include "mq/ops/write.h"
#include "mq/http/server.h"
#include "mq/log.h"

#define HEAD_ROOM	(sizeof(((struct http_req *)0)->headers) + 512)

struct http_stream {
	struct http_req *r;
	struct event *more_ev;
	http_more_fn more;
	http_done_fn done;
	void *arg;
	bool chunked;		/* HTTP/1.1: chunks; 1.0: bytes to the close */
};

/* reason - the reason phrase of a status code */
static const char *reason(int code)
{
	switch (code) {
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 410: return "Gone";
	case 413: return "Payload Too Large";
	case 421: return "Misdirected Request";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 503: return "Service Unavailable";
	}
	return code < 300 ? "OK" : code < 500 ? "Bad Request" : "Error";
}

/* put - append n bytes of s at *p */
static void put(char **p, const char *s, size_t n)
{
	memcpy(*p, s, n);
	*p += n;
}

#define PUT(p, s) put(p, s, sizeof(s) - 1)

/* put_uint - append x in decimal at *p */
static void put_uint(char **p, size_t x)
{
	char d[24], *e = d + sizeof(d), *b = e;

	do
		*--b = (char)('0' + x % 10);
	while ((x /= 10));
	put(p, b, (size_t)(e - b));
}

/* put_date - append the Date header at *p */
static void put_date(struct http_worker *w, char **p)
{
	const char *date;
	size_t n = http_date(w, &date);

	put(p, date, n);
}

/*
 * head_make - the status line and headers of r's answer into buf
 *	(HEAD_ROOM bytes); length: the body's, or (size_t)-1 for none
 *	(a stream: chunked when chunked).  Its length.
 */
static size_t head_make(struct http_req *r, int code, const char *type,
			size_t length, bool chunked, char *buf)
{
	struct http_conn *c = r->conn;
	int minor = http_conn_minor(c);
	const char *why = reason(code);
	size_t tlen = strnlen(type, 256);
	char *p = buf;

	if (r->w->stopping)
		http_conn_close_after(c);
	PUT(&p, "HTTP/1.");
	*p++ = (char)('0' + minor);
	*p++ = ' ';
	put_uint(&p, (size_t)code);
	*p++ = ' ';
	put(&p, why, strlen(why));
	PUT(&p, "\r\n");
	put(&p, r->headers, r->headers_len);
	PUT(&p, "Content-Type: ");
	put(&p, type, tlen);
	PUT(&p, "\r\nCache-Control: no-store\r\n"
	    "X-Content-Type-Options: nosniff\r\n");
	if (chunked)
		PUT(&p, "Transfer-Encoding: chunked\r\n");
	/* HEAD's length came before the date in evhttp's answers */
	if (minor >= 1 && r->method != HTTP_HEAD)
		put_date(r->w, &p);
	if (length != (size_t)-1 && code != 204 && code != 304) {
		PUT(&p, "Content-Length: ");
		put_uint(&p, length);
		PUT(&p, "\r\n");
	}
	if (minor >= 1 && r->method == HTTP_HEAD)
		put_date(r->w, &p);
	if (http_conn_closing(c))
		PUT(&p, "Connection: close\r\n");
	else if (http_conn_keep_alive_10(c))
		PUT(&p, "Connection: keep-alive\r\n");
	PUT(&p, "\r\n");
	return (size_t)(p - buf);
}

/*
 * reply_send - send r->out as the answer (once; false when r was
 *	answered already: a handler's bug, the second answer is dropped).
 *	HEAD gets the headers GET would have, its Content-Length included,
 *	and no body, so a keep-alive client reads the next answer right.
 */
static bool reply_send(struct http_req *r, int code, const char *type)
{
	char head[HEAD_ROOM];
	size_t len = evbuffer_get_length(r->out), n;

	if (r->code) {
		evbuffer_drain(r->out, len);
		return false;
	}
	r->code = code;
	if (r->method == HTTP_HEAD)
		evbuffer_drain(r->out, len);
	n = head_make(r, code, type, len, false, head);
	http_conn_send(r->conn, head, n, r->out);
	return true;
}

void	http_add_header(struct http_req *r, const char *name,
			const char *value)
{
	size_t n = strlen(name), v = strnlen(value, sizeof(r->headers));
	char *p = r->headers + r->headers_len;

	if (r->headers_len + n + v + 4 > sizeof(r->headers))
		return;
	put(&p, name, n);
	PUT(&p, ": ");
	put(&p, value, v);
	PUT(&p, "\r\n");
	r->headers_len = (size_t)(p - r->headers);
}

/* add_to_buffer - jansson's dump callback: append to an evbuffer */
static int add_to_buffer(const char *data, size_t len, void *arg)
{
	return evbuffer_add(arg, data, len);
}

void	http_reply_json(struct http_req *r, int code, json_t *body)
{
	struct evbuffer *out = r->out;

	if (r->code) {
		json_decref(body);
		return;
	}
	if (!body)
		evbuffer_add(out, "null", 4);
	else if (json_dump_callback(body, add_to_buffer, out,
				    JSON_COMPACT | JSON_PRESERVE_ORDER |
				    JSON_ENCODE_ANY) != 0)
		code = 500;
	evbuffer_add(out, "\n", 1);
	json_decref(body);
	reply_send(r, code, "application/json");
}

void	http_reply_error(struct http_req *r, int code, const char *fmt, ...)
{
	char text[1024];
	json_t *o;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	/* a message quoting client bytes may not be UTF-8: JSON cannot
	 * hold that, so say so instead of answering nothing */
	o = json_pack("{s:s}", "error", text);
	if (!o)
		o = json_pack("{s:s}", "error", "the error text is not UTF-8");
	http_reply_json(r, code, o);
}

void	http_reply_text(struct http_req *r, int code, const char *type,
			const void *body, size_t len)
{
	if (r->code)
		return;
	evbuffer_add(r->out, body, len);
	reply_send(r, code, type);
}

/* store_reply - a store failure's status code, with msg */
static void store_reply(struct http_req *r, enum store_rc rc, const char *msg)
{
	if (!msg || !*msg)
		msg = store_strerror(rc);
	switch (rc) {
	case STORE_NOTFOUND:
		http_reply_error(r, 404, "%s", msg);
		break;
	case STORE_BADDATA:
		http_reply_error(r, 400, "%s", msg);
		break;
	case STORE_EXISTS:
		http_reply_error(r, 409, "%s", msg);
		break;
	case STORE_FULL:
	case STORE_NOSPACE:
		http_reply_result(r, store_rc_kind(rc), msg);
		break;
	default:
		http_reply_error(r, rc == STORE_OK ? 200 : 500, "%s", msg);
	}
}

void	http_reply_store(struct http_req *r, enum store_rc rc)
{
	store_reply(r, rc, store_errmsg(r->st));
}

void	http_reply_write(struct http_req *r, const struct http_write *w)
{
	if (w->body)
		store_reply(r, (enum store_rc)w->status, w->err);
	else
		http_reply_result(r, (enum result_kind)w->status, w->err);
}

int	http_result_code(enum result_kind k)
{
	static const int code[] = {
		[RESULT_OK] = 200,
		[RESULT_NOTFOUND] = 404,
		[RESULT_BADDATA] = 400,
		[RESULT_CONFIG] = 500,
		[RESULT_TRYAGAIN] = 503,
		[RESULT_INTERNAL] = 500,
		[RESULT_NOSPACE] = 507,
	};

	return (unsigned)k < sizeof(code) / sizeof(code[0]) ? code[k] : 500;
}

void	http_reply_result(struct http_req *r, enum result_kind k,
			  const char *msg)
{
	/* a replica's refusal points at the primary (docs/replication.md) */
	if (k == RESULT_TRYAGAIN && ops_is_replica() &&
	    mq_conf.cluster_primary[0])
		http_add_header(r, "X-MQ-Primary", mq_conf.cluster_primary);
	http_reply_error(r, http_result_code(k), "%s",
			 msg && *msg ? msg : "failed");
}

bool	http_require_token(struct http_req *r)
{
	if (r->token_ok)
		return true;
	if (!mq_conf.www_token[0]) {
		http_reply_error(r, 403, "refused: writes and secret columns "
				 "need the www-token, and none is configured "
				 "(set www-token in the config file or "
				 "MQ_WWW_TOKEN in the environment)");
		return false;
	}
	http_add_header(r, "WWW-Authenticate", "Bearer realm=\"mq\"");
	http_reply_error(r, 401, "missing or wrong token: send "
			 "'Authorization: Bearer <www-token>'");
	return false;
}

const char *http_body(struct http_req *r, size_t *len)
{
	*len = r->body_len;
	return r->body_len ? r->body : "";
}

json_t *http_body_json(struct http_req *r, bool arrays_ok)
{
	json_error_t err;
	size_t len;
	const char *body = http_body(r, &len);
	json_t *j = json_loadb(body, len, JSON_REJECT_DUPLICATES, &err);

	if (!j) {
		http_reply_error(r, 400, "body: line %d column %d: %s",
				 err.line, err.column, err.text);
		return NULL;
	}
	if (!json_is_object(j) && !(arrays_ok && json_is_array(j))) {
		json_decref(j);
		http_reply_error(r, 400, "body: expected a JSON object%s",
				 arrays_ok ? " or array" : "");
		return NULL;
	}
	return j;
}

const char *http_query(struct http_req *r, const char *name)
{
	for (int i = 0; i < r->nquery; i++)
		if (!strcmp(r->query[i].key, name))
			return r->query[i].value;
	return NULL;
}

void	http_method_not_allowed(struct http_req *r, const char *allowed)
{
	http_add_header(r, "Allow", allowed);
	http_reply_error(r, 405, "%s: method not allowed here (allowed: %s)",
			 r->path, allowed);
}

/* stream_finish - the stream is over: free its state and the request. */
static void stream_finish(struct http_stream *s)
{
	if (s->more_ev)
		event_free(s->more_ev);
	s->done(s->arg);
	http_req_done(s->r);
	free(s);
}

void	http_stream_gone(struct http_stream *s)
{
	stream_finish(s);
}

/*
 * stream_more - from the loop: ask the handler for the next chunk.  A
 *	read of a store damaged meanwhile is guarded as in dispatch
 *	(server.c); the answer is half sent, so the connection is cut: the
 *	client sees an unfinished answer, never a short list.
 */
static void stream_more(evutil_socket_t fd, short what, void *arg)
{
	struct http_stream *s = arg;
	struct store_guard g;

	(void)fd;
	(void)what;
	if (store_guard_set(&g)) {
		store_guard_fault(s->r->st, &g);
		log_error("%s", store_errmsg(s->r->st));
		http_conn_drop(s->r->conn);
		return;
	}
	store_guard_arm(&g);
	s->more(s->r, s->arg);
	store_guard_disarm();
}

/* chunk_taken - the client took the chunk: schedule the next one. */
static void chunk_taken(void *arg)
{
	struct http_stream *s = arg;

	event_active(s->more_ev, EV_TIMEOUT, 0);
}

/* stream_send - head (n bytes) and body on the stream's connection */
static void stream_send(struct http_req *r, const char *head, size_t n,
			struct evbuffer *body)
{
	http_conn_send(r->conn, head, n, body);
}

void	http_stream_start(struct http_req *r, const char *type,
			  http_more_fn more, http_done_fn done, void *arg)
{
	struct http_stream *s;
	char head[HEAD_ROOM];
	size_t n;

	if (r->method == HTTP_HEAD) {
		/* the headers only: no length known, and no body */
		done(arg);
		if (!r->code) {
			r->code = 200;
			n = head_make(r, 200, type, (size_t)-1, false, head);
			stream_send(r, head, n, r->out);
		}
		return;
	}
	s = calloc(1, sizeof(*s));
	r->later = true;
	if (s)
		s->more_ev = event_new(r->w->base, -1, 0, stream_more, s);
	if (!s || !s->more_ev) {
		free(s);
		done(arg);
		r->later = false;
		http_reply_error(r, 500, "out of memory");
		return;
	}
	*s = (struct http_stream){ r, s->more_ev, more, done, arg,
				   http_conn_minor(r->conn) >= 1 };
	if (!s->chunked)	/* HTTP/1.0: the close ends the answer */
		http_conn_close_after(r->conn);
	r->code = 200;
	r->stream = s;
	n = head_make(r, 200, type, (size_t)-1, s->chunked, head);
	stream_send(r, head, n, r->out);
	event_active(s->more_ev, EV_TIMEOUT, 0);
}

void	http_stream_chunk(struct http_req *r, struct evbuffer *buf)
{
	struct http_stream *s = r->stream;
	size_t len = evbuffer_get_length(buf);
	char head[24], *p = head;

	if (len && s->chunked) {
		static const char digit[] = "0123456789abcdef";
		int shift = 60;

		while (shift > 0 && !(len >> shift))
			shift -= 4;
		for (; shift >= 0; shift -= 4)
			*p++ = digit[(len >> shift) & 15];
		PUT(&p, "\r\n");
		evbuffer_add(buf, "\r\n", 2);
	}
	if (len)
		stream_send(r, head, (size_t)(p - head), buf);
	if (http_conn_pending(r->conn))
		http_conn_on_flushed(r->conn, chunk_taken, s);
	else
		chunk_taken(s);
}

void	http_stream_end(struct http_req *r)
{
	struct http_stream *s = r->stream;

	if (s->chunked)
		stream_send(r, "0\r\n\r\n", 5, r->out);
	http_conn_on_flushed(r->conn, NULL, NULL);
	stream_finish(s);
}

void	http_stream_wake(struct http_req *r)
{
	event_active(r->stream->more_ev, EV_TIMEOUT, 0);
}

struct event_base *http_event_base(struct http_req *r)
{
	return r->w->base;
}

bool	http_stopping(struct http_req *r)
{
	return r->w->stopping;
}
