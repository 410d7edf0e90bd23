/*
 * NAME
 *	http_reply.c - answers: JSON, errors, text, the token, streams
 * DESCRIPTION
 *	Every answer goes through reply_send; http.c finishes the request
 *	(metrics, in-flight count, free) when the handler returns.  A
 *	streamed answer is finished here, by http_stream_end or by its
 *	client going away.
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

struct http_stream {
	struct http_req *r;
	struct evhttp_connection *conn;
	struct event *more_ev;
	http_more_fn more;
	http_done_fn done;
	void *arg;
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

/*
 * common_headers - content type and what every answer carries; false
 *	when r was answered already (a handler's bug: the second answer
 *	is dropped).
 */
static bool common_headers(struct http_req *r, const char *type)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(r->ev);

	if (r->code)
		return false;
	evhttp_add_header(h, "Content-Type", type);
	evhttp_add_header(h, "Cache-Control", "no-store");
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	if (r->w->stopping)
		evhttp_add_header(h, "Connection", "close");
	return true;
}

/*
 * head_only - the answer to HEAD: the headers GET would have, its
 *	Content-Length included, and no body (evhttp would send the body,
 *	and a keep-alive client would read it as the next answer).
 */
static void head_only(struct http_req *r)
{
	struct evbuffer *out = evhttp_request_get_output_buffer(r->ev);
	size_t len = evbuffer_get_length(out);
	char n[24];

	snprintf(n, sizeof(n), "%zu", len);
	evhttp_add_header(evhttp_request_get_output_headers(r->ev),
			  "Content-Length", n);
	evbuffer_drain(out, len);
}

/* reply_send - send the output buffer as it is (once). */
static void reply_send(struct http_req *r, int code)
{
	r->code = code;
	if (r->method == EVHTTP_REQ_HEAD)
		head_only(r);
	evhttp_send_reply(r->ev, code, reason(code), NULL);
}

/* add_to_buffer - jansson's dump callback: append to an evbuffer */
static int add_to_buffer(const char *data, size_t len, void *arg)
{
	return evbuffer_add(arg, data, len);
}

void	http_reply_json(struct http_req *r, int code, json_t *body)
{
	struct evbuffer *out = evhttp_request_get_output_buffer(r->ev);

	if (!common_headers(r, "application/json")) {
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
	reply_send(r, code);
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
	if (!common_headers(r, type))
		return;
	evbuffer_add(evhttp_request_get_output_buffer(r->ev), body, len);
	reply_send(r, code);
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
		evhttp_add_header(evhttp_request_get_output_headers(r->ev),
				  "X-MQ-Primary", mq_conf.cluster_primary);
	http_reply_error(r, http_result_code(k), "%s",
			 msg && *msg ? msg : "failed");
}

bool	http_require_token(struct http_req *r)
{
	struct evkeyvalq *h;

	if (r->token_ok)
		return true;
	if (!mq_conf.www_token[0]) {
		http_reply_error(r, 403, "refused: writes and secret columns "
				 "need the www-token, and none is configured "
				 "(set www-token in the config file or "
				 "MQ_WWW_TOKEN in the environment)");
		return false;
	}
	h = evhttp_request_get_output_headers(r->ev);
	evhttp_add_header(h, "WWW-Authenticate", "Bearer realm=\"mq\"");
	http_reply_error(r, 401, "missing or wrong token: send "
			 "'Authorization: Bearer <www-token>'");
	return false;
}

const char *http_body(struct http_req *r, size_t *len)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(r->ev);

	*len = evbuffer_get_length(in);
	if (*len == 0)
		return "";
	return (const char *)evbuffer_pullup(in, -1);
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
	return evhttp_find_header(&r->query, name);
}

void	http_method_not_allowed(struct http_req *r, const char *allowed)
{
	evhttp_add_header(evhttp_request_get_output_headers(r->ev), "Allow",
			  allowed);
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

/*
 * stream_gone - the connection closes before the stream ended.  A client
 *	that went away mid-reply has its request detached from the
 *	connection by libevent, which then leaves freeing it to us; at
 *	evhttp_free (shutdown) the request is still attached and libevent
 *	frees it with the connection.
 */
static void stream_gone(struct evhttp_connection *conn, void *arg)
{
	struct http_stream *s = arg;
	struct evhttp_request *ev = s->r->ev;
	bool detached = evhttp_request_get_connection(ev) == NULL;

	(void)conn;
	stream_finish(s);
	if (detached)
		evhttp_request_free(ev);
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
		evhttp_connection_free(s->conn);
		return;
	}
	store_guard_arm(&g);
	s->more(s->r, s->arg);
	store_guard_disarm();
}

/* chunk_taken - the client took the chunk: schedule the next one. */
static void chunk_taken(struct evhttp_connection *conn, void *arg)
{
	struct http_stream *s = arg;

	(void)conn;
	event_active(s->more_ev, EV_TIMEOUT, 0);
}

void	http_stream_start(struct http_req *r, const char *type,
			  http_more_fn more, http_done_fn done, void *arg)
{
	struct http_stream *s;

	if (r->method == EVHTTP_REQ_HEAD) {
		/* the headers only: no length known, and no body */
		done(arg);
		if (common_headers(r, type)) {
			r->code = 200;
			evhttp_send_reply(r->ev, 200, "OK", NULL);
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
	*s = (struct http_stream){ r, evhttp_request_get_connection(r->ev),
				   s->more_ev, more, done, arg };
	common_headers(r, type);
	r->code = 200;
	r->stream = s;
	evhttp_send_reply_start(r->ev, 200, "OK");
	http_gate_closecb(r->w, r->ev, stream_gone, s);
	event_active(s->more_ev, EV_TIMEOUT, 0);
}

void	http_stream_chunk(struct http_req *r, struct evbuffer *buf)
{
	evhttp_send_reply_chunk_with_cb(r->ev, buf, chunk_taken, r->stream);
}

void	http_stream_end(struct http_req *r)
{
	struct http_stream *s = r->stream;

	http_gate_closecb(r->w, r->ev, NULL, NULL);
	evhttp_send_reply_end(r->ev);
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
