/*
 * NAME
 *	server.h - what the HTTP server's own files share (not handlers)
 * DESCRIPTION
 *	server.c runs the workers and routes; reply.c answers and
 *	streams; metrics.c counts and answers /health and /metrics;
 *	write.c hands writes to mq serve's writer.  Handlers see only
 *	mq/http/http.h.
 */
#ifndef MQ_HTTP_INT_H
#define MQ_HTTP_INT_H

#include <pthread.h>
#include <event2/event.h>

#include "mq/http/http.h"

/* The routes, also the metrics' "route" label. */
enum http_route {
	ROUTE_TABLES, ROUTE_LOOKUP, ROUTE_LISTS, ROUTE_CONSOLE,
	ROUTE_HEALTH, ROUTE_METRICS, ROUTE_OTHER, ROUTE_CHANGES, ROUTE_MAILERQ,
	ROUTE_COUNT
};

/* One worker thread: its event base, evhttp and listening socket. */
struct http_worker {
	pthread_t thread;
	struct event_base *base;
	struct evhttp *http;
	struct evhttp_bound_socket *bound;
	struct event *stop_ev;		/* activated by http_stop */
	struct event *drain_ev;		/* polls in-flight while stopping */
	struct timespec deadline;	/* when stopping gives up waiting */
	int inflight;			/* requests not yet answered */
	bool stopping;
	struct gate_conn **gate_by_fd;	/* gate.c's: its connections */
	int gate_fds;			/* the table's length */
	struct http_req *spare;		/* an answered request, for the next */
};

/*
 * http_bearer_ok - whether an Authorization value (len bytes, not
 *	terminated) is "Bearer <www-token>"; false with no www-token.
 */
bool	http_bearer_ok(const char *value, size_t len);

/*
 * http_gate_bev - evhttp's bufferevent callback (arg: the worker): the
 *	connection's bytes pass gate.c's filter, which enforces
 *	www-max-connections, www-max-buffered and www-request-seconds and
 *	refuses a body without the token once the headers are in.
 * http_gate_request - the request ev is complete: 0, or the status it
 *	is to be refused with (401: a body without the token, 400:
 *	conflicting body lengths, 413: a body too large); its body was
 *	never read.
 */
struct bufferevent *http_gate_bev(struct event_base *base, void *arg);
int	http_gate_request(struct http_worker *w, struct evhttp_request *ev);

/*
 * http_gate_closecb - gone(conn, arg) is called when the connection of
 *	ev goes (NULL: no longer): evhttp's close callback is the gate's.
 */
void	http_gate_closecb(struct http_worker *w, struct evhttp_request *ev,
			  void (*gone)(struct evhttp_connection *, void *),
			  void *arg);

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
