/*
 * NAME
 *	server.c - mq serve's HTTP server: workers, routing, the token, stop
 * SYNOPSIS
 *	http_start(st, nthreads, submit); ... http_stop(grace_seconds);
 * DESCRIPTION
 *	Each worker thread owns an event base, an evhttp and a listening
 *	socket bound with SO_REUSEPORT to www-ip:www-port, so the kernel
 *	spreads connections over the workers and no lock sits on the
 *	request path (LMDB readers need none).  Limits: request line and
 *	headers HTTP_MAX_HEADERS bytes, body HTTP_MAX_BODY (413 beyond),
 *	HTTP_TIMEOUT_SECONDS for an idle or stalled client; gate.c's
 *	limits (connections, bytes held, time per request, the token at
 *	the headers) before evhttp reads a request.  Every request passes
 *	req_check: the URI, the Host header, the method.  An answer made
 *	in the request callback is written from it (answer_now), not a
 *	turn of the loop later.
 *
 *	Writes run on mq serve's one writer thread (write.c hands them to
 *	the submit function given here), so a commit never holds up the
 *	lookups of a worker.
 *
 *	Stopping: each worker closes its listener, answers what is in
 *	flight (marking replies "Connection: close"), and leaves its loop
 *	when nothing is left or the grace period is over.
 * DIAGNOSTICS
 *	http_start logs and returns RESULT_INTERNAL when www-ip:www-port
 *	cannot be bound.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stdatomic.h>
#include <sys/queue.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/bufferevent.h>
#include <event2/listener.h>
#include <event2/thread.h>

#include "mq/config.h"
#include "mq/ops/ops.h"
#include "mq/http/server.h"
#include "mq/log.h"

#define MAX_WORKERS	64
#define LISTEN_BACKLOG	1024
#define MAX_PATH	2048

struct route {
	const char *prefix;	/* a path equal to it or under it */
	int route;
	void (*handle)(struct http_req *r);
};

static const struct route routes[] = {
	{ "/v1/tables", ROUTE_TABLES, http_tables_handle },
	{ "/v1/lookup", ROUTE_LOOKUP, http_lookup_handle },
	{ "/v1/lists", ROUTE_LISTS, http_lists_handle },
	{ "/v1/changes", ROUTE_CHANGES, http_changes_handle },
	/* MailerQ 5's REST resources (mailerq.c) */
	{ "/v1/pauses", ROUTE_MAILERQ, http_mailerq_handle },
	{ "/v1/errors", ROUTE_MAILERQ, http_mailerq_handle },
	{ "/v1/suppressions", ROUTE_MAILERQ, http_mailerq_handle },
	{ "/v1/pools", ROUTE_MAILERQ, http_mailerq_handle },
	{ "/v1/poolips", ROUTE_MAILERQ, http_mailerq_handle },
	{ "/v1/dkim", ROUTE_TABLES, http_dkim_handle },	/* dkim.c */
	{ "/health", ROUTE_HEALTH, http_health_handle },
	{ "/metrics", ROUTE_METRICS, http_metrics_handle },
	{ NULL, 0, NULL }
};

static struct {
	struct store *st;
	struct http_worker w[MAX_WORKERS];
	int nworkers;
	bool have_token;
	unsigned char token_hash[crypto_generichash_BYTES];
	char www_host[sizeof(mq_conf.www_ip) + 2];	/* as in Host */
} server;

uint64_t http_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

const char *http_route_name(int route)
{
	static const char *const names[ROUTE_COUNT] = {
		"tables", "lookup", "lists", "console", "health", "metrics",
		"other", "changes", "mailerq"
	};

	return route >= 0 && route < ROUTE_COUNT ? names[route] : "other";
}

/*
 * token_matches - compare hashes, so neither the content nor the length
 *	of the configured token leaks through timing.
 */
static bool token_matches(const char *presented, size_t len)
{
	unsigned char h[crypto_generichash_BYTES];

	crypto_generichash(h, sizeof(h), (const unsigned char *)presented, len,
			   NULL, 0);
	return sodium_memcmp(h, server.token_hash, sizeof(h)) == 0;
}

bool	http_bearer_ok(const char *value, size_t len)
{
	if (!server.have_token || len < 7 || strncasecmp(value, "Bearer ", 7))
		return false;
	for (value += 7, len -= 7; len && *value == ' '; len--)
		value++;
	return token_matches(value, len < 1024 ? len : 1024);
}

/* bearer_ok - Authorization: Bearer <www-token> */
static bool bearer_ok(struct evhttp_request *ev)
{
	const char *a = evhttp_find_header(evhttp_request_get_input_headers(ev),
					   "Authorization");

	return a && http_bearer_ok(a, strnlen(a, 2048));
}

/* split_segments - decode the path below prefix into r->seg. */
static bool split_segments(struct http_req *r, const char *rest, char *buf,
			   size_t buflen)
{
	size_t n;

	snprintf(buf, buflen, "%s", rest);
	for (char *s = buf; *s && r->nseg < HTTP_MAX_SEGS;) {
		char *slash = strchr(s, '/');

		if (slash)
			*slash = 0;
		if (*s) {
			char *d = evhttp_uridecode(s, 0, &n);

			if (!d || strlen(d) != n) {	/* an encoded NUL */
				free(d);
				return false;
			}
			r->seg[r->nseg++] = d;
		}
		if (!slash)
			break;
		s = slash + 1;
	}
	return true;
}

/* is_api - under /v1: never the console's */
static bool is_api(const char *path)
{
	return strncmp(path, "/v1", 3) == 0 && (path[3] == 0 || path[3] == '/');
}

/* find_route - the route for path, and where its remainder starts. */
static const struct route *find_route(const char *path, const char **rest)
{
	for (const struct route *rt = routes; rt->prefix; rt++) {
		size_t n = strlen(rt->prefix);

		if (strncmp(path, rt->prefix, n) == 0 &&
		    (path[n] == 0 || path[n] == '/')) {
			*rest = path + n;
			return rt;
		}
	}
	*rest = path;
	return NULL;
}

/* req_parse - path, query and segments; false when the URI is bad. */
static bool req_parse(struct http_req *r, const struct route **rt)
{
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(r->ev);
	const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
	const char *q = uri ? evhttp_uri_get_query(uri) : NULL;
	const char *rest;
	char buf[MAX_PATH];

	if (!path || !*path)
		path = "/";
	if (strlen(path) >= MAX_PATH)
		return false;
	r->path = path;
	if (q && evhttp_parse_query_str(q, &r->query) != 0)
		return false;
	*rt = find_route(path, &rest);
	if (*rt)
		r->route = (*rt)->route;
	else
		r->route = is_api(path) ? ROUTE_OTHER : ROUTE_CONSOLE;
	return split_segments(r, rest, buf, sizeof(buf));
}

/* dispatch_route - the handler of the route, or the console's */
static void dispatch_route(struct http_req *r, const struct route *rt)
{
	if (rt)
		rt->handle(r);
	else if (is_api(r->path))
		http_reply_error(r, 404, "%s: no such API endpoint", r->path);
	else
		http_console_handle(r);
	if (!r->code && !r->later)
		http_reply_error(r, 500, "%s: the handler gave no answer",
				 r->path);
}

/* store_route - does the route read the store? */
static bool store_route(const struct route *rt)
{
	return rt && (rt->route == ROUTE_TABLES || rt->route == ROUTE_LOOKUP ||
		      rt->route == ROUTE_LISTS || rt->route == ROUTE_MAILERQ);
}

/*
 * dispatch - hand r to its handler; make sure it was answered.  A read
 *	of a store damaged under mq serve may fault: the guard turns that
 *	into 503 and marks the store damaged, which is then not read again
 *	(store/damage.c says what a jump leaves behind).
 */
static atomic_bool damage_logged;	/* the damage is in the log */

static void dispatch(struct http_req *r, const struct route *rt)
{
	struct store_health h;
	struct store_guard g;

	store_health_get(r->st, &h);
	if (h.damaged && store_route(rt)) {
		/* another thread (the lookup builder) may have met it */
		if (!atomic_exchange(&damage_logged, true))
			log_error("%s: damaged store: %s", store_path(r->st),
				  h.damage);
		http_reply_error(r, 503, "%s: damaged store: %s",
				 store_path(r->st), h.damage);
		return;
	}
	if (store_guard_set(&g)) {
		store_guard_fault(r->st, &g);
		atomic_store(&damage_logged, true);
		log_error("%s", store_errmsg(r->st));
		if (!r->code)
			http_reply_error(r, 503, "%s", store_errmsg(r->st));
		return;
	}
	store_guard_arm(&g);
	dispatch_route(r, rt);
	store_guard_disarm();
}

/*
 * host_name_is - whether the Host value host (name[:port]) names name:
 *	the whole value, or its name before a numeric port.
 */
static bool host_name_is(const char *host, const char *name, size_t n)
{
	size_t len = strlen(host), h = len;
	const char *colon = strrchr(host, ':'), *bracket = strrchr(host, ']');

	/* a colon inside brackets is IPv6's, not a port's */
	if (colon && (!bracket || colon > bracket) &&
	    strspn(colon + 1, "0123456789") == strlen(colon + 1))
		h = (size_t)(colon - host);
	return (n == len || n == h) && strncasecmp(host, name, n) == 0;
}

/*
 * host_ok - the Host header names this server: www-ip, localhost,
 *	127.0.0.1, [::1] or a name of www-hosts (each with any port).  A
 *	web page whose name an attacker points at 127.0.0.1 (DNS
 *	rebinding) sends its own name, and is refused.  No Host at all
 *	(HTTP/1.0) is accepted: browsers always send one.
 */
static bool host_ok(struct evhttp_request *ev)
{
	static const char *const local[] = { "localhost", "127.0.0.1",
					      "[::1]" };
	const char *host = evhttp_find_header(
		evhttp_request_get_input_headers(ev), "Host");
	const char *p = mq_conf.www_hosts;

	if (!host)
		return true;
	if (host_name_is(host, server.www_host, strlen(server.www_host)))
		return true;
	for (size_t i = 0; i < sizeof(local) / sizeof(local[0]); i++)
		if (host_name_is(host, local[i], strlen(local[i])))
			return true;
	for (size_t n; *(p += strspn(p, " ")); p += n)
		if (host_name_is(host, p, (n = strcspn(p, " "))))
			return true;
	return false;
}

/*
 * req_check - what every request must pass before its route: the URI,
 *	the Host, the method, and what the gate refused at the headers.
 *	False when it has answered.
 */
static bool req_check(struct http_req *r, const struct route **rt,
		      int refused)
{
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(r->ev);
	const char *q = uri ? evhttp_uri_get_query(uri) : NULL;

	/* evhttp would decode it and cut the value short there */
	if (q && strstr(q, "%00"))
		http_reply_error(r, 400, "bad request URI: an encoded NUL "
				 "(%%00) in the query");
	else if (!req_parse(r, rt))
		http_reply_error(r, 400, "bad request URI");
	else if (!host_ok(r->ev))
		http_reply_error(r, 421, "Host is not a name of this server "
				 "(www-ip, localhost or www-hosts)");
	else if (refused == 400)
		http_reply_error(r, 400, "refused: two Content-Length "
				 "headers, or Content-Length with "
				 "Transfer-Encoding");
	else if (refused == 413)
		http_reply_error(r, 413, "body larger than %d bytes",
				 HTTP_MAX_BODY);
	else if (refused == 431)
		http_reply_error(r, 431, "request line and headers (the query "
				 "string included) longer than %d bytes",
				 HTTP_MAX_HEADERS);
	else if (refused)
		http_require_token(r);
	else
		return true;
	return false;
}

/*
 * answer_now - write the answer evhttp has just queued, from inside the
 *	request callback, and run evhttp's "written" callback if it all
 *	went.  evhttp would otherwise turn write interest on, wait a turn
 *	of the loop for the socket to be writable, write, and turn it off:
 *	two epoll_ctl calls and a turn per request.  Done here, the
 *	changes cancel out within the turn and the answer leaves at once.
 *	A short write or an error leaves the rest to the bufferevent as
 *	before.  The connection may be freed here (an answer that closes
 *	it): nothing of it is touched after.
 */
static void answer_now(struct evhttp_connection *conn)
{
	struct bufferevent *bev = evhttp_connection_get_bufferevent(conn);
	struct evbuffer *out = bufferevent_get_output(bev);
	evutil_socket_t fd = bufferevent_getfd(bev);
	int n;

	if (fd < 0 || evbuffer_get_length(out) == 0)
		return;
	/* a socket bufferevent's output is frozen at its start except
	 * while it writes itself */
	evbuffer_unfreeze(out, 1);
	n = evbuffer_write(out, fd);
	evbuffer_freeze(out, 1);
	if (n > 0 && evbuffer_get_length(out) == 0)
		bufferevent_trigger(bev, EV_WRITE, 0);
}

/* req_new - a request's state: the worker's spare one, or a new one */
static struct http_req *req_new(struct http_worker *w)
{
	struct http_req *r = w->spare;

	w->spare = NULL;
	if (r)
		memset(r, 0, sizeof(*r));
	return r ? r : calloc(1, sizeof(*r));
}

/* on_request - every request: parse, check, route, answer. */
static void on_request(struct evhttp_request *ev, void *arg)
{
	struct http_worker *w = arg;
	struct http_req *r = req_new(w);
	int refused = http_gate_request(w, ev);
	struct evhttp_connection *conn = evhttp_request_get_connection(ev);
	const struct route *rt = NULL;

	if (!r) {
		evhttp_send_error(ev, 500, "out of memory");
		return;
	}
	r->ev = ev;
	r->w = w;
	r->st = server.st;
	r->method = evhttp_request_get_command(ev);
	r->start_ns = http_now_ns();
	r->route = ROUTE_OTHER;
	TAILQ_INIT(&r->query);
	w->inflight++;
	http_metrics_inflight(1);
	if (req_check(r, &rt, refused)) {
		r->token_ok = bearer_ok(ev);
		dispatch(r, rt);
	}
	/* a stream or a write finishes later, from the loop */
	if (r->later)
		return;
	http_req_done(r);
	if (conn)
		answer_now(conn);
}

void	http_req_done(struct http_req *r)
{
	struct http_worker *w = r->w;

	http_metrics_request(r->route, r->code, r->lookup_kind,
			     http_now_ns() - r->start_ns);
	for (int i = 0; i < r->nseg; i++)
		free(r->seg[i]);
	evhttp_clear_headers(&r->query);
	if (w->spare)
		free(r);
	else
		w->spare = r;
	w->inflight--;
	http_metrics_inflight(-1);
}

/* drain_check - while stopping: leave the loop when nothing is in flight */
static void drain_check(evutil_socket_t fd, short what, void *arg)
{
	struct http_worker *w = arg;
	struct timespec now;
	/* answered is not yet written: the last answers get a moment to
	 * leave the connections' buffers before the loop ends */
	struct timeval flush = { 0, 250000 };

	(void)fd;
	(void)what;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (w->inflight == 0 || now.tv_sec >= w->deadline.tv_sec) {
		if (w->inflight)
			log_warning("http: %d request%s still in flight at "
				    "the end of the grace period", w->inflight,
				    w->inflight == 1 ? "" : "s");
		event_del(w->drain_ev);
		event_base_loopexit(w->base, &flush);
	}
}

/* on_stop - in the worker: close the listener, then drain. */
static void on_stop(evutil_socket_t fd, short what, void *arg)
{
	struct http_worker *w = arg;
	struct timeval every = { 0, 20000 };

	(void)fd;
	(void)what;
	w->stopping = true;
	if (w->bound)
		evhttp_del_accept_socket(w->http, w->bound);
	w->bound = NULL;
	w->drain_ev = event_new(w->base, -1, EV_PERSIST, drain_check, w);
	if (!w->drain_ev) {
		event_base_loopexit(w->base, NULL);
		return;
	}
	event_add(w->drain_ev, &every);
	drain_check(-1, 0, w);
}

/* www_address - www-ip:www-port as a socket address; 0 if not one */
static socklen_t www_address(struct sockaddr_storage *ss)
{
	struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
	socklen_t len;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, mq_conf.www_ip, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons((uint16_t)mq_conf.www_port);
		len = sizeof(*in4);
	} else if (inet_pton(AF_INET6, mq_conf.www_ip,
			     &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)mq_conf.www_port);
		len = sizeof(*in6);
	} else {
		errno = EINVAL;
		return 0;
	}
	return len;
}

/*
 * port_taken - is www-ip:www-port bound by someone else?  SO_REUSEPORT
 *	would otherwise let a second mq serve (of another store) share the
 *	port silently, each getting half of the connections.
 */
static bool port_taken(void)
{
	struct sockaddr_storage ss;
	socklen_t len = www_address(&ss);
	int one = 1, fd = len ? socket(ss.ss_family, SOCK_STREAM, 0) : -1;
	bool taken;

	if (fd < 0)
		return true;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	taken = bind(fd, (struct sockaddr *)&ss, len) != 0;
	close(fd);
	return taken;
}

/* listen_socket - a listener on www-ip:www-port with SO_REUSEPORT */
static struct evconnlistener *listen_socket(struct event_base *base)
{
	struct sockaddr_storage ss;
	socklen_t len = www_address(&ss);
	unsigned flags = LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE |
		LEV_OPT_REUSEABLE_PORT | LEV_OPT_CLOSE_ON_EXEC;

	if (!len)
		return NULL;
	return evconnlistener_new_bind(base, NULL, NULL, flags, LISTEN_BACKLOG,
				       (struct sockaddr *)&ss, (int)len);
}

/* worker_init - event base, evhttp with its limits, the listener. */
static bool worker_init(struct http_worker *w)
{
	struct event_config *cfg = event_config_new();
	struct evconnlistener *lev;

	/* one epoll_ctl per changed fd per loop turn, not per change:
	 * evhttp toggles read and write interest on every request */
	if (cfg)
		event_config_set_flag(cfg, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
	w->base = cfg ? event_base_new_with_config(cfg) : NULL;
	if (cfg)
		event_config_free(cfg);
	w->http = w->base ? evhttp_new(w->base) : NULL;
	w->stop_ev = w->base ? event_new(w->base, -1, 0, on_stop, w) : NULL;
	if (!w->http || !w->stop_ev)
		return false;
	evhttp_set_max_headers_size(w->http, HTTP_MAX_HEADERS);
	evhttp_set_max_body_size(w->http, HTTP_MAX_BODY);
	evhttp_set_timeout(w->http, HTTP_TIMEOUT_SECONDS);
	/* every method reaches its route, which answers one it does not
	 * take (PATCH, TRACE, ...) with 405, Allow and a JSON body:
	 * evhttp's own 501 is an HTML page without Allow */
	evhttp_set_allowed_methods(w->http, 0xffff);
	evhttp_set_bevcb(w->http, http_gate_bev, w);
	evhttp_set_gencb(w->http, on_request, w);
	if (!(lev = listen_socket(w->base)))
		return false;
	if (!(w->bound = evhttp_bind_listener(w->http, lev))) {
		evconnlistener_free(lev);
		return false;
	}
	return true;
}

static void worker_free(struct http_worker *w)
{
	if (w->drain_ev)
		event_free(w->drain_ev);
	if (w->stop_ev)
		event_free(w->stop_ev);
	if (w->http)
		evhttp_free(w->http);
	if (w->base)
		event_base_free(w->base);
	free(w->gate_by_fd);
	free(w->spare);
	memset(w, 0, sizeof(*w));
}

/* worker_run - the thread: the loop until http_stop, then cleanup */
static void *worker_run(void *arg)
{
	struct http_worker *w = arg;

	event_base_dispatch(w->base);
	/* evhttp_free closes the connections left: streams see their
	 * client go away and free their state. */
	evhttp_free(w->http);
	w->http = NULL;
	return NULL;
}

/* token_setup - hash the configured www-token once. */
static void token_setup(void)
{
	size_t len = strlen(mq_conf.www_token);

	server.have_token = len > 0;
	crypto_generichash(server.token_hash, sizeof(server.token_hash),
			   (const unsigned char *)mq_conf.www_token, len,
			   NULL, 0);
}

int	http_start(struct store *st, int nthreads, write_submit_fn submit)
{
	int i;

	if (nthreads < 1)
		nthreads = 1;
	if (nthreads > MAX_WORKERS)
		nthreads = MAX_WORKERS;
	if (evthread_use_pthreads() != 0 || sodium_init() < 0) {
		log_error("http: cannot initialise threads or libsodium");
		return RESULT_INTERNAL;
	}
	server.st = st;
	token_setup();
	/* www-ip as a Host header names it: an IPv6 address in brackets */
	snprintf(server.www_host, sizeof(server.www_host),
		 strchr(mq_conf.www_ip, ':') ? "[%s]" : "%s", mq_conf.www_ip);
	i = port_taken() ? -1 : 0;
	while (i >= 0 && i < nthreads && worker_init(&server.w[i]))
		i++;
	if (i < nthreads) {
		log_error("http: cannot listen on %s port %u: %s",
			  mq_conf.www_ip, mq_conf.www_port,
			  strerror(errno));
		for (int j = 0; j <= i && j < nthreads; j++)
			worker_free(&server.w[j]);
		return RESULT_INTERNAL;
	}
	http_write_use(submit);
	for (i = 0; i < nthreads; i++)
		if (pthread_create(&server.w[i].thread, NULL, worker_run,
				   &server.w[i]) != 0)
			break;
	server.nworkers = i;
	log_info("http: listening on %s port %u with %d worker%s%s",
		 mq_conf.www_ip, mq_conf.www_port, i, i == 1 ? "" : "s",
		 server.have_token ? "" : " (no www-token: writes refused)");
	return i ? RESULT_OK : RESULT_INTERNAL;
}

void	http_stop(int grace_seconds)
{
	for (int i = 0; i < server.nworkers; i++) {
		struct http_worker *w = &server.w[i];

		clock_gettime(CLOCK_MONOTONIC, &w->deadline);
		w->deadline.tv_sec += grace_seconds;
		event_active(w->stop_ev, EV_TIMEOUT, 0);
	}
	for (int i = 0; i < server.nworkers; i++)
		pthread_join(server.w[i].thread, NULL);
	/* after the workers: they wait for their writes while draining;
	 * before freeing them: a write past the grace period may still
	 * point at their base */
	http_write_idle();
	for (int i = 0; i < server.nworkers; i++)
		worker_free(&server.w[i]);
	server.nworkers = 0;
}
