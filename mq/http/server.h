/*
 * NAME
 *	server.h - what the HTTP server's own files share (not handlers)
 * DESCRIPTION
 *	server.c runs the workers and routes; conn.c the connections
 *	(mq's own HTTP/1.1, parse.c its parser); reply.c answers and
 *	streams; metrics.c counts and answers /health and /metrics;
 *	write.c hands writes to mq serve's writer.  Handlers see only
 *	mq/http/http.h.
 */
#ifndef MQ_HTTP_INT_H
#define MQ_HTTP_INT_H

#include <pthread.h>
#include <sys/types.h>
#include <time.h>
#include <event2/event.h>

#include "mq/http/http.h"

/* The routes, also the metrics' "route" label. */
enum http_route {
	ROUTE_TABLES, ROUTE_LOOKUP, ROUTE_LISTS, ROUTE_CONSOLE,
	ROUTE_HEALTH, ROUTE_METRICS, ROUTE_OTHER, ROUTE_CHANGES, ROUTE_MAILERQ,
	ROUTE_COUNT
};

/* One worker thread: its event base, listening socket, connections. */
struct http_worker {
	pthread_t thread;
	struct event_base *base;
	struct evconnlistener *listener;
	struct event *stop_ev;		/* activated by http_stop */
	struct event *drain_ev;		/* polls in-flight while stopping */
	struct event *sweep_ev;		/* conn.c's timeouts, once a second */
	struct timespec deadline;	/* when stopping gives up waiting */
	int inflight;			/* requests not yet answered */
	bool stopping;
	struct http_conn *conns;	/* conn.c's, all of this worker */
	time_t now;			/* the sweep's clock, seconds */
	time_t date_at;			/* the second date is of */
	char date[48];			/* "Date: ...\r\n" of date_at */
	size_t date_len;
	struct http_req *spare;		/* an answered request, for the next */
};

/*
 * http_bearer_ok - whether an Authorization value (len bytes, not
 *	terminated) is "Bearer <www-token>"; false with no www-token.
 */
bool	http_bearer_ok(const char *value, size_t len);

/*
 * Why conn.c refused a request at its headers, its body unread: the
 *	status it is answered with (server.c's req_check says the text),
 *	after the checks of every request.  The connection then closes.
 */
enum http_refusal {
	REFUSE_NONE = 0,
	REFUSE_MALFORMED = 1,	/* not an HTTP/1.x request: 400 */
	REFUSE_LENGTHS = 400,	/* two Content-Length, or one with TE */
	REFUSE_TOKEN = 401,	/* a body without the www-token */
	REFUSE_BODY = 413,	/* a Content-Length over HTTP_MAX_BODY */
	REFUSE_HEAD = 431,	/* request line and headers too long */
};

/* A request's head as parse.c cut it in the connection's buffer. */
struct http_head {
	int method;			/* enum http_method */
	int major, minor;		/* HTTP/major.minor */
	char *target;			/* as sent */
	const char *host, *auth, *content_type;	/* NULL: absent */
	size_t auth_len;
	int lengths, encodings;		/* Content-Length, Transfer-Encoding */
	uint64_t length;		/* UINT64_MAX: not a number */
	bool chunked;			/* Transfer-Encoding: chunked */
	bool close, keep_alive;		/* Connection's tokens */
	bool expect_continue;		/* Expect: 100-continue */
};

/*
 * http_head_length - the bytes of buf's request line and headers,
 *	through the empty line ending them; 0 while incomplete.
 * http_head_parse - the head of len bytes (http_head_length's), cut in
 *	place into h; false when it is not an HTTP/1.x request.
 * http_chunked_body - a chunked body at body (len bytes so far): the
 *	bytes it takes with its framing, its data joined in place at body
 *	(*decoded bytes); 0 while incomplete, -1 malformed, -2 over
 *	HTTP_MAX_BODY.
 * http_uri_decode - %XX (and '+' when plus) decoded in place; the
 *	length, which an encoded NUL makes longer than strlen's.
 */
size_t	http_head_length(const char *buf, size_t len);
bool	http_head_parse(char *buf, size_t len, struct http_head *h);
ssize_t	http_chunked_body(char *body, size_t len, size_t *decoded);
size_t	http_uri_decode(char *s, bool plus);

/*
 * conn.c: a connection on worker w, its socket fd just accepted
 *	(http_conn_accept); http_conn_send - write the answer's head and
 *	body (drained), at once if the socket takes it, the rest when it
 *	can; http_conn_request_done - r is answered: the connection goes on
 *	with its next request; http_conn_close_all - at the loop's end;
 *	http_conn_sweep - the timeouts, once a second.
 */
void	http_conn_accept(struct http_worker *w, evutil_socket_t fd);
void	http_conn_send(struct http_conn *c, const char *head, size_t len,
		       struct evbuffer *body);
void	http_conn_request_done(struct http_conn *c);
void	http_conn_close_all(struct http_worker *w);
void	http_conn_sweep(evutil_socket_t fd, short what, void *arg);

/* What the answer of a request on c must say of the connection. */
int	http_conn_minor(const struct http_conn *c);	/* HTTP/1.minor */
bool	http_conn_closing(const struct http_conn *c);	/* closes after */
bool	http_conn_keep_alive_10(const struct http_conn *c); /* 1.0 asked */
/* http_conn_pending - bytes of output the socket has not taken yet */
size_t	http_conn_pending(const struct http_conn *c);
/* http_conn_on_flushed - fn(arg) once the output is all taken, once */
void	http_conn_on_flushed(struct http_conn *c, void (*fn)(void *),
			     void *arg);
/* http_conn_close_after - the connection closes after this answer */
void	http_conn_close_after(struct http_conn *c);
/* http_conn_drop - cut the connection now (a stream's fault) */
void	http_conn_drop(struct http_conn *c);

/*
 * http_dispatch - (server.c) every request: checks, route, answer;
 *	refused as conn.c found it.  r->conn, method, path source and
 *	headers are set by conn.c; target is the request's (cut in place).
 */
void	http_dispatch(struct http_req *r, char *target, const char *host,
		      const char *auth, size_t auth_len, int refused);
/* http_req_new - the worker's spare request or a new one, NULL: no memory */
struct http_req *http_req_new(struct http_worker *w);

/* http_stream_gone - (reply.c) the stream's client went away */
void	http_stream_gone(struct http_stream *s);

/* http_date - "Date: <now>\r\n" for an answer (*date), cached a second;
 *	its length */
size_t	http_date(struct http_worker *w, const char **date);

/* http_route_name - the label of a route */
const char *http_route_name(int route);

/* http_now_ns - the monotonic clock in nanoseconds */
uint64_t http_now_ns(void);

/*
 * http_req_done - the request is answered (or its client is gone):
 *	count it, take it out of flight and free it.
 */
void	http_req_done(struct http_req *r);

/* http_metrics_request - count one answered request */
void	http_metrics_request(int route, int code, const char *lookup_kind,
			     uint64_t nanoseconds);

/* http_metrics_inflight - requests in flight over all workers */
void	http_metrics_inflight(int delta);

/* http_write_use - the writer's submit function, for http_write_submit */
void	http_write_use(write_submit_fn submit);

/*
 * http_write_idle - wait until the writer has finished every write the
 *	API handed it: after that it touches no worker's event base.
 */
void	http_write_idle(void);

void	http_health_handle(struct http_req *r);
void	http_metrics_handle(struct http_req *r);

#endif
