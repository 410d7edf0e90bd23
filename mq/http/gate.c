/*
 * NAME
 *	gate.c - what a connection may cost before its request is known
 * SYNOPSIS
 *	evhttp_set_bevcb(http, http_gate_bev, worker);
 *	refused = http_gate_request(ev);	(in the request callback)
 * DESCRIPTION
 *	evhttp reads a whole request, body included, before the request
 *	callback sees it, and libevent 2.1 offers no hook between the
 *	headers and the body of a server's request.  So each connection's
 *	socket bufferevent is made here (evhttp's bufferevent callback),
 *	and a callback on its input buffer, which runs after each read and
 *	before evhttp parses, takes the bytes of a new request aside until
 *	its headers are in, then decides:
 *
 *	  - a request that carries a body (Content-Length other than 0, or
 *	    Transfer-Encoding) without the www-token is refused: evhttp is
 *	    handed its headers without the body's framing and with
 *	    "Connection: close", the body is discarded as it arrives, and
 *	    the request callback answers 401 (http_gate_request says so);
 *	  - two Content-Length headers, or one with Transfer-Encoding, are
 *	    refused the same way with 400: evhttp would take the first and
 *	    a proxy in front perhaps the other; a Content-Length over
 *	    HTTP_MAX_BODY with 413, in the API's JSON (evhttp's own 413
 *	    is an HTML page);
 *	  - a request line and headers over HTTP_MAX_HEADERS (a query
 *	    string too long included) with 431: evhttp is handed a bare
 *	    "GET /" asking to close in their place, so that the request
 *	    callback answers in JSON where evhttp would send an HTML page;
 *	  - anything else passes, up to www-max-buffered bytes held over
 *	    all connections, within www-request-seconds from the request's
 *	    first byte to its last.
 *
 *	Connections beyond www-max-connections are closed at once.  The
 *	limits count over all workers (atomics).  Bytes past a request
 *	(pipelined) are taken aside again when the request is complete, so
 *	each request's headers are seen here first.
 *
 *	evhttp stays the parser: this file only finds the end of the
 *	headers and reads three of them, the way evhttp does (lines ending
 *	in LF or CRLF, a name being the bytes before the first colon).
 *	The token is checked again on the parsed request.  The gate learns
 *	that a connection is gone from evhttp's close callback, which it
 *	therefore owns: a stream registers its own through
 *	http_gate_closecb().
 * DIAGNOSTICS
 *	A connection closed for a limit is logged at warning level, at
 *	most once a minute per limit.
 */
#include <errno.h>
#include <malloc.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <event2/bufferevent.h>

#include "mq/config.h"
#include "mq/http/server.h"
#include "mq/log.h"

/* how far past the header limit to look for the end of the headers */
#define GATE_HEAD_SCAN	(HTTP_MAX_HEADERS + 1024)
/* released this much at once: give the freed heap back to the system */
#define GATE_TRIM_BYTES	(1 << 20)
/* how long a refused client may go on sending before its socket closes */
#define GATE_LINGER_SECONDS 5

enum gate_state {
	GATE_HEAD,		/* taking bytes aside until the headers are in */
	GATE_PASS,		/* leaving every byte to evhttp */
	GATE_DRAIN,		/* discarding every byte: refused or closing */
};

struct gate_conn {
	struct http_worker *w;
	struct bufferevent *bev;	/* the socket's, evhttp's */
	evutil_socket_t fd;		/* its socket, -1 until gate_start */
	struct evbuffer *aside;		/* a request's first bytes */
	struct event *timer;		/* www-request-seconds */
	struct event *close_ev;		/* closes the connection */
	struct event *start_ev;		/* once evhttp has set up */
	void (*gone)(struct evhttp_connection *, void *);	/* a stream's */
	void *gone_arg;
	enum gate_state state;
	int refused;			/* the status to answer, 0: none */
	size_t held;			/* bytes left to evhttp, counted */
	bool busy;			/* in the input callback: not again */
	bool trim;			/* trim the heap once answered */
	bool over;			/* past www-max-connections */
};

static atomic_uint gate_connections;
static atomic_size_t gate_buffered;
enum gate_limit { LIMIT_CONNECTIONS, LIMIT_BUFFERED, LIMIT_TIME };
static atomic_llong gate_warned[3];	/* per limit: last warning, s */

/* gate_warn - log that a limit closed a connection, once a minute */
static void gate_warn(enum gate_limit which, const char *what)
{
	long long now = (long long)time(NULL), last = gate_warned[which];

	if (now - last >= 60 &&
	    atomic_compare_exchange_strong(&gate_warned[which], &last, now))
		log_warning("http: %s: connection closed (more are not "
			    "logged for a minute)", what);
}

/* gate_trim - give the heap that large requests left back to the system */
static void gate_trim(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	malloc_trim(0);
}

/* gate_trim_soon - trim the heap from the loop, if c asked for it */
static void gate_trim_soon(struct gate_conn *c)
{
	static const struct timeval now = { 0, 0 };

	if (c->trim)
		event_base_once(c->w->base, -1, EV_TIMEOUT, gate_trim, NULL,
				&now);
	c->trim = false;
}

/*
 * gate_release - the bytes c held are no longer counted.  After a large
 *	request, once the loop has freed it (trim_now: it is being freed,
 *	else c->trim says to when it is answered), the heap is trimmed:
 *	evbuffer chains are small heap blocks, and the heap they leave
 *	would keep the process's size long after the request.
 */
static void gate_release(struct gate_conn *c, bool trim_now)
{
	size_t n = c->held;

	c->held = 0;
	atomic_fetch_sub(&gate_buffered, n);
	c->trim |= n >= GATE_TRIM_BYTES;
	if (trim_now)
		gate_trim_soon(c);
}

/* gate_reserve - count n more bytes held, unless that passes the limit */
static bool gate_reserve(struct gate_conn *c, size_t n)
{
	size_t was = atomic_fetch_add(&gate_buffered, n);

	if (was + n > mq_conf.www_max_buffered) {
		atomic_fetch_sub(&gate_buffered, n);
		return false;
	}
	c->held += n;
	return true;
}

/* line_end - the end of the line at p (its LF), or NULL */
static const char *line_end(const char *p, const char *end)
{
	return memchr(p, '\n', (size_t)(end - p));
}

/* line_len - the line's length without its LF and a CR before it */
static size_t line_len(const char *p, const char *lf)
{
	return (size_t)(lf - p) - (lf > p && lf[-1] == '\r');
}

/*
 * head_length - the bytes of the request line and headers, through the
 *	empty line that ends them; 0 while they are incomplete.
 */
static size_t head_length(const char *buf, size_t len)
{
	const char *end = buf + len, *p = buf, *lf;

	if (!(lf = line_end(p, end)))		/* the request line */
		return 0;
	for (p = lf + 1; (lf = line_end(p, end)); p = lf + 1)
		if (line_len(p, lf) == 0)
			return (size_t)(lf + 1 - buf);
	return 0;
}

/* header_is - whether the line is header name: the value, else NULL */
static const char *header_is(const char *p, size_t n, const char *name,
			     size_t *vlen)
{
	size_t k = strlen(name);

	if (n <= k || p[k] != ':' || strncasecmp(p, name, k) != 0)
		return NULL;
	p += k + 1;
	n -= k + 1;
	while (n && *p == ' ') {
		p++;
		n--;
	}
	while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
		n--;
	*vlen = n;
	return p;
}

/* What the gate reads of a request's headers. */
struct gate_head {
	int lengths, encodings;		/* Content-Length, Transfer-Encoding */
	uint64_t length;		/* the Content-Length */
	bool body;			/* a length other than 0, or encoded */
	bool token;			/* Authorization: the www-token */
};

/*
 * decimal - a Content-Length value; UINT64_MAX when it is not digits
 *	alone or too large (evhttp refuses it then, and a body is assumed)
 */
static uint64_t decimal(const char *v, size_t n)
{
	uint64_t x = 0;

	if (n == 0 || n > 19)
		return UINT64_MAX;
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return UINT64_MAX;
		x = x * 10 + (uint64_t)(v[i] - '0');
	}
	return x;
}

/* head_read - the headers of the head at buf (len bytes) */
static void head_read(const char *buf, size_t len, struct gate_head *h)
{
	const char *end = buf + len, *lf = line_end(buf, end), *p, *v;
	size_t n, vlen;

	memset(h, 0, sizeof(*h));
	/* the lines after the request line, up to the empty one */
	for (p = lf ? lf + 1 : end; (lf = line_end(p, end)) &&
	     (n = line_len(p, lf)) != 0; p = lf + 1) {
		if ((v = header_is(p, n, "Content-Length", &vlen))) {
			h->lengths++;
			h->length = decimal(v, vlen);
			h->body |= h->length != 0;
		} else if (header_is(p, n, "Transfer-Encoding", &vlen)) {
			h->encodings++;
			h->body = true;
		} else if ((v = header_is(p, n, "Authorization", &vlen))) {
			h->token = http_bearer_ok(v, vlen);
		}
	}
}

/*
 * head_refuse - hand evhttp the head without the body's framing and
 *	asking to close, so it calls the request callback at once.
 */
static void head_refuse(const char *buf, size_t len, struct evbuffer *dst)
{
	const char *end = buf + len, *p = buf, *lf;
	size_t n, vlen;

	for (; (lf = line_end(p, end)); p = lf + 1) {
		n = line_len(p, lf);
		if (n == 0)
			break;
		if (header_is(p, n, "Content-Length", &vlen) ||
		    header_is(p, n, "Transfer-Encoding", &vlen) ||
		    header_is(p, n, "Connection", &vlen))
			continue;
		evbuffer_add(dst, p, (size_t)(lf + 1 - p));
	}
	evbuffer_add_printf(dst, "Connection: close\r\n\r\n");
}

/* gate_close_soon - close the connection from the loop, not from here */
static void gate_close_soon(struct gate_conn *c)
{
	c->state = GATE_DRAIN;
	event_active(c->close_ev, EV_TIMEOUT, 0);
}

/*
 * gate_close - evhttp is told the client failed, and frees the
 *	connection (and with it c: nothing of c is touched after).
 */
static void gate_close(evutil_socket_t fd, short what, void *arg)
{
	struct gate_conn *c = arg;

	(void)fd;
	(void)what;
	bufferevent_trigger_event(c->bev, BEV_EVENT_READING | BEV_EVENT_ERROR,
				  0);
}

/* gate_timer - the request took longer than www-request-seconds */
static void gate_timer(evutil_socket_t fd, short what, void *arg)
{
	gate_warn(LIMIT_TIME, "a request took longer than "
		  "www-request-seconds");
	gate_close(fd, what, arg);
}

/* gate_pass - count n more bytes left to evhttp, or close */
static void gate_pass(struct gate_conn *c, size_t n)
{
	if (gate_reserve(c, n))
		return;
	gate_warn(LIMIT_BUFFERED, "requests being received passed "
		  "www-max-buffered");
	evbuffer_drain(bufferevent_get_input(c->bev),
		       evbuffer_get_length(bufferevent_get_input(c->bev)));
	gate_close_soon(c);
}

/*
 * gate_decide - once the headers of the request taken aside are in:
 *	give them back to evhttp (input is empty: evhttp has parsed all it
 *	had), as they are or, refused, without the body's framing.
 */
static void gate_decide(struct gate_conn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	size_t len = evbuffer_get_length(c->aside), scan, head;
	struct evbuffer *refuse;
	struct gate_head h;
	const char *buf;

	if (len == 0)
		return;
	if (!event_pending(c->timer, EV_TIMEOUT, NULL)) {
		struct timeval tv = { (time_t)mq_conf.www_request_seconds, 0 };

		event_add(c->timer, &tv);
	}
	scan = len < GATE_HEAD_SCAN ? len : GATE_HEAD_SCAN;
	buf = (const char *)evbuffer_pullup(c->aside, (ev_ssize_t)scan);
	if (!(head = head_length(buf, scan)) && len < GATE_HEAD_SCAN)
		return;
	if (!head || head > HTTP_MAX_HEADERS)
		c->refused = 431;
	else {
		head_read(buf, head, &h);
		if (h.lengths > 1 || (h.lengths && h.encodings))
			c->refused = 400;
		else if (h.length > HTTP_MAX_BODY && h.length != UINT64_MAX)
			c->refused = 413;
		else if (h.body && !h.token)
			c->refused = 401;
	}
	if (!c->refused) {
		c->state = GATE_PASS;
		evbuffer_prepend_buffer(in, c->aside);
		gate_pass(c, len);
		return;
	}
	if ((refuse = evbuffer_new()) && c->refused == 431)
		evbuffer_add_printf(refuse, "GET / HTTP/1.1\r\n"
				    "Connection: close\r\n\r\n");
	else if (refuse)
		head_refuse(buf, head, refuse);
	if (refuse) {
		evbuffer_prepend_buffer(in, refuse);
		evbuffer_free(refuse);
	}
	evbuffer_drain(c->aside, len);
	c->state = GATE_DRAIN;
	event_del(c->timer);
}

/* gate_input - after each read, before evhttp parses what came */
static void gate_input(struct evbuffer *in, const struct evbuffer_cb_info *info,
		       void *arg)
{
	struct gate_conn *c = arg;

	if (c->busy || info->n_added == 0)
		return;
	c->busy = true;
	switch (c->state) {
	case GATE_HEAD:
		evbuffer_remove_buffer(in, c->aside, evbuffer_get_length(in));
		gate_decide(c);
		break;
	case GATE_PASS:
		gate_pass(c, info->n_added);
		break;
	case GATE_DRAIN:
		evbuffer_drain(in, evbuffer_get_length(in));
		break;
	}
	c->busy = false;
}

/* gate_free - forget c; the connection goes or has gone */
static void gate_free(struct gate_conn *c)
{
	evbuffer_remove_cb(bufferevent_get_input(c->bev), gate_input, c);
	if (c->fd >= 0 && c->w->gate_by_fd[c->fd] == c)
		c->w->gate_by_fd[c->fd] = NULL;
	gate_release(c, true);
	atomic_fetch_sub(&gate_connections, 1);
	event_free(c->timer);
	event_free(c->close_ev);
	event_free(c->start_ev);
	evbuffer_free(c->aside);
	free(c);
}

/* A refused connection's socket, kept open a moment after evhttp closed. */
struct gate_linger {
	struct event *ev;
	int fd;
	time_t until;
};

/* linger_read - discard what the client still sends; close at its end */
static void linger_read(evutil_socket_t fd, short what, void *arg)
{
	struct gate_linger *l = arg;
	char buf[16384];
	ssize_t n = 1;

	if (what & EV_READ)
		while ((n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
			;
	if (n > 0 || (n < 0 && errno == EAGAIN && time(NULL) < l->until))
		return;
	event_free(l->ev);
	close(l->fd);
	free(l);
	atomic_fetch_sub(&gate_connections, 1);
}

/*
 * gate_linger - a client refused at its headers is usually still
 *	sending its body: closing a socket with unread bytes resets it, and
 *	the reset destroys the answer (401) before the client reads it.  So
 *	the socket is kept (a dup of evhttp's descriptor; evhttp has shut
 *	its writing side) and read into nothing until the client closes,
 *	GATE_LINGER_SECONDS at most.  It still counts as a connection.
 */
static bool gate_linger(struct gate_conn *c)
{
	struct gate_linger *l = calloc(1, sizeof(*l));
	struct timeval tv = { 1, 0 };

	if (!l || (l->fd = dup(bufferevent_getfd(c->bev))) < 0) {
		free(l);
		return false;
	}
	l->until = time(NULL) + GATE_LINGER_SECONDS;
	l->ev = event_new(c->w->base, l->fd, EV_READ | EV_PERSIST,
			  linger_read, l);
	if (!l->ev || event_add(l->ev, &tv) != 0) {
		if (l->ev)
			event_free(l->ev);
		close(l->fd);
		free(l);
		return false;
	}
	return true;
}

/* gate_gone - evhttp's close callback: the connection is being freed */
static void gate_gone(struct evhttp_connection *conn, void *arg)
{
	struct gate_conn *c = arg;

	if (c->gone)
		c->gone(conn, c->gone_arg);
	if (c->refused && gate_linger(c))
		atomic_fetch_add(&gate_connections, 1);
	gate_free(c);
}

/*
 * gate_register - c is found by its socket from now on: a table indexed
 *	by descriptor, the worker's own, so that finding a request's gate
 *	costs the same with one connection or thousands.  False when the
 *	table cannot grow (memory is out).
 */
static bool gate_register(struct gate_conn *c, evutil_socket_t fd)
{
	struct http_worker *w = c->w;

	if (fd < 0)
		return false;
	if (fd >= w->gate_fds) {
		int n = fd < 64 ? 128 : fd * 2;
		struct gate_conn **t = realloc(w->gate_by_fd,
					       (size_t)n * sizeof(*t));

		if (!t)
			return false;
		memset(t + w->gate_fds, 0,
		       (size_t)(n - w->gate_fds) * sizeof(*t));
		w->gate_by_fd = t;
		w->gate_fds = n;
	}
	w->gate_by_fd[fd] = c;
	c->fd = fd;
	return true;
}

/*
 * gate_start - in the loop after the accept: evhttp has made its
 *	connection and given the bufferevent its socket, so its close
 *	callback can be set (the bufferevent's callback argument is the
 *	connection) and c found by the socket; one past the limit closes.
 */
static void gate_start(evutil_socket_t fd, short what, void *arg)
{
	struct gate_conn *c = arg;
	void *conn = NULL;
	bool known;

	(void)fd;
	(void)what;
	/* a reply or a feed's line goes out whole at once, not held by
	 * Nagle's algorithm for the client's delayed ACK */
	(void)setsockopt(bufferevent_getfd(c->bev), IPPROTO_TCP, TCP_NODELAY,
			 &(int){ 1 }, sizeof(int));
	bufferevent_getcb(c->bev, NULL, NULL, NULL, &conn);
	evhttp_connection_set_closecb(conn, gate_gone, c);
	known = gate_register(c, bufferevent_getfd(c->bev));
	if (c->over || !known)
		gate_close(-1, 0, c);
}

/* gate_new - the state of one connection, NULL when memory is out */
static struct gate_conn *gate_new(struct event_base *base,
				  struct http_worker *w)
{
	struct gate_conn *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->w = w;
	c->fd = -1;
	c->aside = evbuffer_new();
	c->timer = event_new(base, -1, 0, gate_timer, c);
	c->close_ev = event_new(base, -1, 0, gate_close, c);
	c->start_ev = event_new(base, -1, 0, gate_start, c);
	c->bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (c->aside && c->timer && c->close_ev && c->start_ev && c->bev &&
	    evbuffer_add_cb(bufferevent_get_input(c->bev), gate_input, c))
		return c;
	if (c->bev)
		bufferevent_free(c->bev);
	if (c->aside)
		evbuffer_free(c->aside);
	if (c->timer)
		event_free(c->timer);
	if (c->close_ev)
		event_free(c->close_ev);
	if (c->start_ev)
		event_free(c->start_ev);
	free(c);
	return NULL;
}

struct bufferevent *http_gate_bev(struct event_base *base, void *arg)
{
	struct gate_conn *c = gate_new(base, arg);

	/* NULL: evhttp makes a plain one, not gated; memory is out */
	if (!c)
		return NULL;
	if (atomic_fetch_add(&gate_connections, 1) >=
	    mq_conf.www_max_connections) {
		gate_warn(LIMIT_CONNECTIONS, "www-max-connections reached");
		c->over = true;
		c->state = GATE_DRAIN;
	}
	event_active(c->start_ev, EV_TIMEOUT, 0);
	return c->bev;
}

/* gate_find - the gate of the connection ev arrived on, or NULL */
static struct gate_conn *gate_find(struct http_worker *w,
				   struct evhttp_request *ev)
{
	struct evhttp_connection *conn = evhttp_request_get_connection(ev);
	struct bufferevent *bev = conn ?
		evhttp_connection_get_bufferevent(conn) : NULL;
	evutil_socket_t fd = bev ? bufferevent_getfd(bev) : -1;
	struct gate_conn *c = fd >= 0 && fd < w->gate_fds ?
		w->gate_by_fd[fd] : NULL;

	return c && c->bev == bev ? c : NULL;
}

/*
 * gate_answered - the answer is sent, and evhttp is about to read again
 *	(it reads at once what its input holds then): the bytes taken
 *	aside are looked at, as no new byte may come to do it; after a
 *	large request, freed now, the heap is trimmed.
 */
static void gate_answered(struct evhttp_request *ev, void *arg)
{
	struct gate_conn *c = arg;

	(void)ev;
	gate_trim_soon(c);
	c->busy = true;
	gate_decide(c);
	c->busy = false;
}

int	http_gate_request(struct http_worker *w, struct evhttp_request *ev)
{
	struct gate_conn *c = gate_find(w, ev);
	struct evbuffer *in;

	if (!c || c->state != GATE_PASS)
		return c ? c->refused : 0;
	event_del(c->timer);
	gate_release(c, false);
	c->state = GATE_HEAD;
	/* bytes past this request are the next one's: its headers are
	 * to be seen here before evhttp reads them */
	in = bufferevent_get_input(c->bev);
	if (evbuffer_get_length(in)) {
		c->busy = true;
		evbuffer_remove_buffer(in, c->aside, evbuffer_get_length(in));
		c->busy = false;
	}
	if (c->trim || evbuffer_get_length(c->aside))
		evhttp_request_set_on_complete_cb(ev, gate_answered, c);
	return 0;
}

void	http_gate_closecb(struct http_worker *w, struct evhttp_request *ev,
			  void (*gone)(struct evhttp_connection *, void *),
			  void *arg)
{
	struct gate_conn *c = gate_find(w, ev);

	if (!c) {
		evhttp_connection_set_closecb(evhttp_request_get_connection(ev),
					      gone, arg);
		return;
	}
	c->gone = gone;
	c->gone_arg = arg;
}
