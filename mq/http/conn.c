/*
 * NAME
 *	conn.c - mq serve's HTTP/1.1 connections: reads, requests, writes
 * SYNOPSIS
 *	http_conn_accept(w, fd);	(the listener's callback)
 *	http_conn_send(c, head, len, body);	(reply.c)
 * DESCRIPTION
 *	Each connection is one socket registered once on its worker's
 *	loop, edge-triggered for reading and writing.  A read takes what
 *	the socket holds into the connection's buffer (recv until a short
 *	read), parse.c cuts the request there in place, and server.c's
 *	http_dispatch answers it: reply.c hands the answer to
 *	http_conn_send, which writes head and body with one writev when the
 *	socket takes them, and keeps the rest for when it is writable.  A
 *	lookup thus costs a recv and a writev.
 *
 *	One request is answered at a time: bytes behind it (pipelined)
 *	wait in the buffer, and the next request is taken once the answer
 *	is out, so answers leave in order.  An answer that comes later (a
 *	write, a stream) holds the connection until it is done.  HTTP/1.0
 *	closes unless it asked for keep-alive; "Connection: close" closes.
 *	A connection that closes after its answer shuts its writing side
 *	and reads what the client still sends into nothing (at most
 *	LINGER_SECONDS): closing a socket with unread bytes would reset it
 *	and destroy the answer before the client read it.
 *
 *	The rules a request meets before its body is read (gate): a body
 *	(Content-Length other than 0, or Transfer-Encoding) without the
 *	www-token is refused with 401, two Content-Length or one with
 *	Transfer-Encoding with 400, a Content-Length over HTTP_MAX_BODY with
 *	413, request line and headers over HTTP_MAX_HEADERS with 431; the
 *	connection then closes.  Over all workers (atomics): at most
 *	www-max-connections connections (one more is closed at once), at
 *	most www-max-buffered bytes of requests being received (the
 *	connection whose bytes would pass it is closed unanswered), and a
 *	request must arrive within www-request-seconds of its first byte.
 *	A connection idle, or stalled reading or writing, for
 *	HTTP_TIMEOUT_SECONDS is closed; one whose answer is being made (a
 *	write, a quiet change feed) is not.  The clocks are the worker's
 *	sweep, once a second, not a timer per connection.
 * DIAGNOSTICS
 *	A connection closed for a limit is logged at warning level, at
 *	most once a minute per limit.
 */
#include <errno.h>
#include <malloc.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <unistd.h>

#include "mq/config.h"
#include "mq/http/server.h"
#include "mq/log.h"

#define IN_FIRST	4096		/* a connection's first buffer */
#define HEAD_SCAN	(HTTP_MAX_HEADERS + 1024)	/* bytes to find a head in */
#define TRIM_BYTES	(1 << 20)	/* a buffer this large: trim after it */
#define LINGER_SECONDS	5
#define MAX_IOV		32

struct http_conn {
	struct http_worker *w;
	struct http_conn *next, **pprev;	/* the worker's list */
	evutil_socket_t fd;
	struct event *ev;		/* EV_READ | EV_WRITE, edge-triggered */
	char *in;			/* bytes read, len of cap */
	size_t len, cap;
	size_t want;			/* the request needs this many */
	struct http_head head;		/* parsed, head_len bytes; 0: not yet */
	size_t head_len;
	struct evbuffer *out;		/* what the socket has not taken */
	struct evbuffer *body;		/* the answer being made (r->out) */
	struct http_req *req;		/* being answered */
	size_t used;			/* bytes of req in the buffer */
	size_t held;			/* counted in www-max-buffered */
	time_t last, started, linger_until;
	void (*flushed)(void *);	/* once out is empty */
	void *flushed_arg;
	int major, minor;
	bool readable;			/* the socket may hold more */
	bool hup;			/* the client's FIN is in */
	bool eof;			/* the client sent its last byte */
	bool close_after;		/* close once this answer is out */
	bool keep_alive_10;		/* HTTP/1.0 asking for keep-alive */
	bool lingering;			/* closing: reading into nothing */
	bool dead;			/* closed; req still being made */
	bool failed;			/* a write failed: close */
	bool busy;			/* in conn_process */
	bool continued;			/* 100 Continue sent */
};

static atomic_uint connections;
static atomic_size_t buffered;
enum limit { LIMIT_CONNECTIONS, LIMIT_BUFFERED, LIMIT_TIME };
static atomic_llong warned[3];		/* per limit: last warning, s */

static bool conn_process(struct http_conn *c);

/* warn - log that a limit closed a connection, once a minute */
static void warn(enum limit which, const char *what)
{
	long long now = (long long)time(NULL), last = warned[which];

	if (now - last >= 60 &&
	    atomic_compare_exchange_strong(&warned[which], &last, now))
		log_warning("http: %s: connection closed (more are not "
			    "logged for a minute)", what);
}

/* trim - give the heap that large requests left back to the system */
static void trim(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	malloc_trim(0);
}

/* trim_soon - trim from the loop, once what is freed now is freed */
static void trim_soon(struct http_worker *w)
{
	static const struct timeval now = { 0, 0 };

	event_base_once(w->base, -1, EV_TIMEOUT, trim, NULL, &now);
}

/* release - n bytes c held are no longer counted */
static void release(struct http_conn *c, size_t n)
{
	if (n > c->held)
		n = c->held;
	c->held -= n;
	atomic_fetch_sub(&buffered, n);
}

/* reserve - count n more bytes held, unless that passes the limit */
static bool reserve(struct http_conn *c, size_t n)
{
	size_t was = atomic_fetch_add(&buffered, n);

	if (was + n > mq_conf.www_max_buffered) {
		atomic_fetch_sub(&buffered, n);
		return false;
	}
	c->held += n;
	return true;
}

/* conn_free - forget c and its socket */
static void conn_free(struct http_conn *c)
{
	if (c->next)
		c->next->pprev = c->pprev;
	*c->pprev = c->next;
	release(c, c->held);
	if (c->ev)
		event_free(c->ev);
	if (c->fd >= 0)
		close(c->fd);
	if (c->cap >= TRIM_BYTES)
		trim_soon(c->w);
	free(c->in);
	evbuffer_free(c->out);
	evbuffer_free(c->body);
	atomic_fetch_sub(&connections, 1);
	free(c);
}

/*
 * conn_close - the connection goes: at once, or, while a write makes
 *	its answer, when that is done (the answer goes nowhere); a stream
 *	is told its client went away.
 */
static void conn_close(struct http_conn *c)
{
	if (!c->req) {
		conn_free(c);
		return;
	}
	c->dead = true;
	event_free(c->ev);
	c->ev = NULL;
	close(c->fd);
	c->fd = -1;
	evbuffer_drain(c->out, evbuffer_get_length(c->out));
	if (c->req->stream)
		http_stream_gone(c->req->stream);
}

/* conn_fail - a write failed: close from the loop, not from a handler */
static void conn_fail(struct http_conn *c)
{
	c->failed = true;
	evbuffer_drain(c->out, evbuffer_get_length(c->out));
	event_active(c->ev, EV_READ, 0);
}

/* rebase - a pointer of the parsed head at its place in the new buffer */
static void rebase(const char **p, const char *was, const char *now)
{
	if (*p)
		*p = now + (*p - was);
}

/* grow - room for more input; false when the request may not have it */
static bool grow(struct http_conn *c)
{
	size_t limit = c->want ? c->want : HEAD_SCAN, cap;
	char *in;

	if (c->req || c->len >= limit)
		return false;
	cap = c->cap ? c->cap * 2 : IN_FIRST;
	if (cap > limit)
		cap = limit;
	if (!(in = malloc(cap)))
		return false;
	if (c->len)
		memcpy(in, c->in, c->len);
	if (c->head_len) {	/* a head waiting for its body */
		const char *target = c->head.target;

		rebase(&target, c->in, in);
		c->head.target = (char *)target;
		rebase(&c->head.host, c->in, in);
		rebase(&c->head.auth, c->in, in);
		rebase(&c->head.content_type, c->in, in);
	}
	free(c->in);
	c->in = in;
	c->cap = cap;
	return true;
}

/*
 * conn_read - what the socket holds, into the buffer: until a short
 *	read (to the end once the client has closed: hup), or the buffer is
 *	full for now (readable stays set).  False when c is gone (an
 *	error, www-max-buffered).
 */
static bool conn_read(struct http_conn *c)
{
	for (;;) {
		size_t room;
		ssize_t n;

		if (c->len == c->cap && !grow(c)) {
			c->readable = true;
			return true;
		}
		room = c->cap - c->len;
		n = recv(c->fd, c->in + c->len, room, 0);
		if (n > 0) {
			if (!reserve(c, (size_t)n)) {
				warn(LIMIT_BUFFERED, "requests being received "
				     "passed www-max-buffered");
				conn_close(c);
				return false;
			}
			c->len += (size_t)n;
			c->last = c->w->now;
			if ((size_t)n < room && !c->hup)
				break;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0)
			c->eof = true;
		else if (errno != EAGAIN && errno != EWOULDBLOCK) {
			conn_close(c);
			return false;
		}
		break;
	}
	c->readable = false;
	return true;
}

/* linger_read - a closing connection: read into nothing until the end */
static void linger_read(struct http_conn *c)
{
	char buf[16384];
	ssize_t n;

	while ((n = recv(c->fd, buf, sizeof(buf), 0)) > 0 ||
	       (n < 0 && errno == EINTR))
		;
	if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
		conn_free(c);
}

/* linger - the answer is out: shut the writing side, read into nothing */
static void linger(struct http_conn *c)
{
	c->lingering = true;
	c->linger_until = c->w->now + LINGER_SECONDS;
	release(c, c->held);
	free(c->in);
	c->in = NULL;
	c->len = c->cap = 0;
	shutdown(c->fd, SHUT_WR);
	linger_read(c);
}

/* continue_100 - the client waits for "100 Continue" before its body */
static void continue_100(struct http_conn *c)
{
	static const char msg[] = "HTTP/1.1 100 Continue\r\n\r\n";

	c->continued = true;
	if (send(c->fd, msg, sizeof(msg) - 1, MSG_NOSIGNAL) < 0 &&
	    errno != EAGAIN)
		conn_fail(c);
}

/* refusal - what the gate's rules say of the head h; 0: it passes */
static int refusal(const struct http_head *h)
{
	bool body = h->encodings || (h->lengths && h->length != 0);

	if (h->lengths > 1 || (h->lengths && h->encodings))
		return REFUSE_LENGTHS;
	if (h->lengths && h->length != UINT64_MAX && h->length > HTTP_MAX_BODY)
		return REFUSE_BODY;
	if (body && !(h->auth && http_bearer_ok(h->auth, h->auth_len)))
		return REFUSE_TOKEN;
	if ((h->lengths && h->length == UINT64_MAX) ||
	    (h->encodings && !h->chunked))
		return REFUSE_MALFORMED;
	return REFUSE_NONE;
}

/*
 * body_bytes - the body of the parsed request: its bytes with framing
 *	in *used and its data in *len; 0 while incomplete, else the
 *	refusal (REFUSE_NONE: complete).
 */
static int body_bytes(struct http_conn *c, size_t *used, size_t *len)
{
	const struct http_head *h = &c->head;
	size_t have = c->len - c->head_len;
	ssize_t n;

	*used = *len = 0;
	if (h->lengths) {
		c->want = c->head_len + h->length;
		*used = *len = h->length;
		return have >= h->length ? REFUSE_NONE : -1;
	}
	if (!h->chunked)
		return REFUSE_NONE;
	c->want = c->head_len + HTTP_MAX_BODY + HTTP_MAX_BODY / 4;
	n = http_chunked_body(c->in + c->head_len, have, len);
	if (n == -1)
		return REFUSE_MALFORMED;
	if (n == -2)
		return REFUSE_BODY;
	*used = (size_t)n;
	return n ? REFUSE_NONE : -1;
}

/* start - r on c: the request's state as conn.c knows it */
static void start(struct http_conn *c, struct http_req *r, int refused)
{
	const struct http_head *h = &c->head;

	r->conn = c;
	r->w = c->w;
	r->method = h->method ? h->method : HTTP_GET;
	r->content_type = h->content_type;
	r->out = c->body;
	c->major = h->major ? h->major : 1;
	c->minor = h->major ? h->minor : 1;
	c->keep_alive_10 = c->major == 1 && c->minor == 0 && h->keep_alive;
	c->close_after = refused || h->close ||
		(c->major == 1 && c->minor == 0 && !h->keep_alive);
	c->req = r;
	c->started = 0;
	c->want = 0;
	c->continued = false;
}

/*
 * request - take the next request from the buffer and dispatch it: 1
 *	when one was taken, 0 while it is incomplete, -1 when c is gone.
 */
static int request(struct http_conn *c)
{
	struct http_head *h = &c->head;
	static char root[] = "/";	/* a refused head's target */
	struct http_req *r;
	size_t used = 0, len = 0;
	int refused = REFUSE_NONE;
	char *target;

	if (c->len == 0)
		return 0;
	if (!c->started)
		c->started = c->w->now;
	if (!c->head_len) {
		size_t n = http_head_length(c->in, c->len < HEAD_SCAN ?
					    c->len : HEAD_SCAN);

		if (!n && c->len < HEAD_SCAN)
			return 0;
		if (!n || n > HTTP_MAX_HEADERS)
			refused = REFUSE_HEAD;
		else if (!http_head_parse(c->in, n, h))
			refused = REFUSE_MALFORMED;
		else
			refused = refusal(h);
		c->head_len = n ? n : c->len;
		if (refused == REFUSE_HEAD || refused == REFUSE_MALFORMED)
			memset(h, 0, sizeof(*h));
	}
	if (!refused && c->head.method && (refused = body_bytes(c, &used,
							       &len)) < 0) {
		if (h->expect_continue && !c->continued && h->minor >= 1)
			continue_100(c);
		return 0;
	}
	if (!(r = http_req_new(c->w))) {
		conn_close(c);
		return -1;
	}
	target = h->target ? h->target : root;
	r->body = c->in + c->head_len;
	r->body_len = refused ? 0 : len;
	c->used = c->head_len + (refused ? 0 : used);
	release(c, c->used);
	start(c, r, refused);
	http_dispatch(r, target, h->host, h->auth, h->auth_len, refused);
	return 1;
}

/*
 * settle - after the requests the buffer held: close a connection whose
 *	client is done, linger after an answer that closes.  False when c
 *	is gone.
 */
static bool settle(struct http_conn *c)
{
	if (c->failed && !c->req) {
		conn_free(c);
		return false;
	}
	if (c->req || c->lingering || evbuffer_get_length(c->out))
		return true;
	if (c->close_after) {
		linger(c);
		return false;
	}
	if (c->eof) {
		conn_free(c);
		return false;
	}
	return true;
}

/* conn_process - answer the requests the buffer holds, as far as it can */
static bool conn_process(struct http_conn *c)
{
	int got;

	c->busy = true;
	while (!c->req && !c->close_after && !c->failed &&
	       !evbuffer_get_length(c->out)) {
		size_t had = c->len;

		if ((got = request(c)) < 0)
			return false;
		if (got)
			continue;
		if (!c->readable || c->eof)
			break;
		if (!conn_read(c))
			return false;
		if (c->len == had)
			break;
	}
	c->busy = false;
	return settle(c);
}

void	http_conn_request_done(struct http_conn *c)
{
	c->req = NULL;
	if (c->dead) {
		conn_free(c);
		return;
	}
	c->len -= c->used;
	if (c->len)
		memmove(c->in, c->in + c->used, c->len);
	c->used = 0;
	c->head_len = 0;
	if (c->cap >= TRIM_BYTES && c->len < IN_FIRST) {
		free(c->in);
		c->in = NULL;
		c->cap = c->len = 0;
		trim_soon(c->w);
	}
	if (!c->busy)
		conn_process(c);
}

/* flush - write what the socket has not taken; false when c is gone */
static bool flush(struct http_conn *c)
{
	while (evbuffer_get_length(c->out)) {
		int n = evbuffer_write(c->out, c->fd);

		if (n > 0) {
			c->last = c->w->now;
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return true;
		conn_close(c);
		return false;
	}
	if (c->flushed) {
		void (*fn)(void *) = c->flushed;

		c->flushed = NULL;
		fn(c->flushed_arg);
	}
	return conn_process(c);
}

/* conn_event - the socket is readable or writable (edge-triggered) */
static void conn_event(evutil_socket_t fd, short what, void *arg)
{
	struct http_conn *c = arg;

	(void)fd;
	if (c->failed) {
		if (c->req)
			conn_close(c);
		else
			conn_free(c);
		return;
	}
	if (c->lingering) {
		linger_read(c);
		return;
	}
	if ((what & EV_WRITE) && evbuffer_get_length(c->out) && !flush(c))
		return;
	if (!(what & (EV_READ | EV_CLOSED)))
		return;
	/* EV_CLOSED: the client's FIN came, perhaps with the last bytes,
	 * and no edge will follow it: read to the end now */
	c->hup |= (what & EV_CLOSED) != 0;
	if (!conn_read(c))
		return;
	if (c->req && c->req->stream && c->eof)
		conn_close(c);		/* a stream's client went away */
	else if (!c->req)
		conn_process(c);
}

void	http_conn_accept(struct http_worker *w, evutil_socket_t fd)
{
	struct http_conn *c;

	if (atomic_fetch_add(&connections, 1) >= mq_conf.www_max_connections) {
		warn(LIMIT_CONNECTIONS, "www-max-connections reached");
		atomic_fetch_sub(&connections, 1);
		close(fd);
		return;
	}
	/* an answer or a feed's line goes out whole at once, not held by
	 * Nagle's algorithm for the client's delayed ACK */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &(int){ 1 },
			 sizeof(int));
	if (!(c = calloc(1, sizeof(*c)))) {
		atomic_fetch_sub(&connections, 1);
		close(fd);
		return;
	}
	c->w = w;
	c->fd = fd;
	c->last = w->now;
	c->out = evbuffer_new();
	c->body = evbuffer_new();
	c->ev = event_new(w->base, fd, EV_READ | EV_WRITE | EV_CLOSED | EV_ET |
			  EV_PERSIST, conn_event, c);
	c->pprev = &w->conns;
	if ((c->next = w->conns))
		c->next->pprev = &c->next;
	w->conns = c;
	if (!c->out || !c->body || !c->ev || event_add(c->ev, NULL) != 0)
		conn_free(c);
}

/* send_rest - what writev left of head and body, kept in out */
static void send_rest(struct http_conn *c, const char *head, size_t len,
		      struct evbuffer *body, size_t sent)
{
	if (sent < len)
		evbuffer_add(c->out, head + sent, len - sent);
	else
		evbuffer_drain(body, sent - len);
	evbuffer_add_buffer(c->out, body);
}

void	http_conn_send(struct http_conn *c, const char *head, size_t len,
		       struct evbuffer *body)
{
	struct iovec iov[MAX_IOV];
	struct evbuffer_iovec v[MAX_IOV - 1];
	size_t total = len + evbuffer_get_length(body);
	int n = evbuffer_peek(body, -1, NULL, v, MAX_IOV - 1);
	ssize_t sent;

	if (c->dead || c->failed) {
		evbuffer_drain(body, evbuffer_get_length(body));
		return;
	}
	if (evbuffer_get_length(c->out) || n > MAX_IOV - 1) {
		send_rest(c, head, len, body, 0);
		return;
	}
	iov[0] = (struct iovec){ (void *)head, len };
	for (int i = 0; i < n; i++)
		iov[i + 1] = (struct iovec){ v[i].iov_base, v[i].iov_len };
	do
		sent = writev(c->fd, iov, n + 1);
	while (sent < 0 && errno == EINTR);
	if (sent < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
		evbuffer_drain(body, evbuffer_get_length(body));
		conn_fail(c);
		return;
	}
	if (sent > 0)
		c->last = c->w->now;
	if ((size_t)sent == total)
		evbuffer_drain(body, total - len);
	else
		send_rest(c, head, len, body, sent > 0 ? (size_t)sent : 0);
}

int	http_conn_minor(const struct http_conn *c)
{
	return c->minor;
}

bool	http_conn_closing(const struct http_conn *c)
{
	return c->close_after;
}

bool	http_conn_keep_alive_10(const struct http_conn *c)
{
	return c->keep_alive_10;
}

size_t	http_conn_pending(const struct http_conn *c)
{
	return c->dead || c->failed ? 0 : evbuffer_get_length(c->out);
}

void	http_conn_on_flushed(struct http_conn *c, void (*fn)(void *),
			     void *arg)
{
	c->flushed = fn;
	c->flushed_arg = arg;
}

void	http_conn_close_after(struct http_conn *c)
{
	c->close_after = true;
}

void	http_conn_drop(struct http_conn *c)
{
	conn_fail(c);
}

/* expired - whether a limit of time closes c now */
static bool expired(struct http_conn *c, time_t now)
{
	if (c->lingering)
		return now >= c->linger_until;
	if (c->started && !c->req &&
	    now - c->started >= (time_t)mq_conf.www_request_seconds) {
		warn(LIMIT_TIME, "a request took longer than "
		     "www-request-seconds");
		return true;
	}
	return (!c->req || evbuffer_get_length(c->out)) &&
		now - c->last >= HTTP_TIMEOUT_SECONDS;
}

void	http_conn_sweep(evutil_socket_t fd, short what, void *arg)
{
	struct http_worker *w = arg;
	struct http_conn *c, *next;

	(void)fd;
	(void)what;
	w->now = time(NULL);
	for (c = w->conns; c; c = next) {
		next = c->next;
		if (!c->dead && expired(c, w->now)) {
			if (c->lingering || !c->req)
				conn_free(c);
			else
				conn_close(c);
		}
	}
}

void	http_conn_close_all(struct http_worker *w)
{
	struct http_conn *c, *next;

	/* a connection whose write is with the writer stays, dead, until
	 * the write's answer runs (http_stop) and frees it */
	for (c = w->conns; c; c = next) {
		next = c->next;
		if (!c->dead)
			conn_close(c);
	}
}
