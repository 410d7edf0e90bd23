/*
 * NAME
 *	server.c - mq serve's HTTP server: workers, routing, the token, stop
 * SYNOPSIS
 *	http_start(st, nthreads, submit); ... http_stop(grace_seconds);
 * DESCRIPTION
 *	Each worker thread owns an event base and a listening socket bound
 *	with SO_REUSEPORT to www-ip:www-port, so the kernel spreads
 *	connections over the workers and no lock sits on the request path
 *	(LMDB readers need none).  conn.c reads and writes the
 *	connections and enforces the limits (request line and headers
 *	HTTP_MAX_HEADERS bytes, body HTTP_MAX_BODY, timeouts, connections,
 *	bytes held, the token at the headers); every request it takes
 *	passes req_check here: the URI, the Host header, what conn.c
 *	refused.
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
#include <stddef.h>
#include <errno.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stdatomic.h>
#include <sys/queue.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/listener.h>
#include <event2/thread.h>

#include "mq/config.h"
#include "mq/ops/ops.h"
#include "mq/http/server.h"
#include "mq/log.h"

#define MAX_WORKERS	64
#define LISTEN_BACKLOG	1024

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

/* split_segments - decode the path below prefix into r->seg, in place. */
static bool split_segments(struct http_req *r, const char *rest)
{
	char *buf = r->segs;

	/* req_parse let no path longer than segs through */
	memcpy(buf, rest, strlen(rest) + 1);
	for (char *s = buf; *s && r->nseg < HTTP_MAX_SEGS;) {
		char *slash = strchr(s, '/');

		if (slash)
			*slash = 0;
		if (*s) {
			if (http_uri_decode(s, false) != strlen(s))
				return false;	/* an encoded NUL */
			r->seg[r->nseg++] = s;
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

/*
 * req_target - the path and query of target (origin or absolute form),
 *	cut in place; the fragment left out.
 */
static char *req_target(char *target, char **query)
{
	char *p = target, *q;

	if (*p != '/' && (q = strstr(p, "://")))	/* http://host/path */
		p = strchr(q + 3, '/') ? strchr(q + 3, '/') : (char *)"";
	if ((q = strchr(p, '#')))
		*q = 0;
	*query = NULL;
	if ((q = strchr(p, '?'))) {
		*q = 0;
		*query = q + 1;
	}
	return p;
}

/* req_parse - path, query and segments; false when the URI is bad. */
static bool req_parse(struct http_req *r, char *target, char *q,
		      const struct route **rt)
{
	const char *path = target, *rest;

	if (!*path)
		path = "/";
	if (strlen(path) >= HTTP_MAX_PATH)
		return false;
	r->path = path;
	if (q && (r->nquery = http_query_parse(q, r->query,
					       HTTP_MAX_PARAMS)) < 0)
		return false;
	*rt = find_route(path, &rest);
	if (*rt)
		r->route = (*rt)->route;
	else
		r->route = is_api(path) ? ROUTE_OTHER : ROUTE_CONSOLE;
	return split_segments(r, rest);
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
	struct store_guard g;

	if (store_route(rt) && store_is_damaged(r->st)) {
		struct store_health h;

		store_health_get(r->st, &h);
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
static bool host_ok(const char *host)
{
	static const char *const local[] = { "localhost", "127.0.0.1",
					      "[::1]" };
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
 *	the Host, and what conn.c refused at the headers.  False when it
 *	has answered.
 */
static bool req_check(struct http_req *r, char *target, const char *host,
		      const struct route **rt, int refused)
{
	char *q, *path = req_target(target, &q);

	r->path = path;
	/* it would be decoded and cut the value short there */
	if (q && strstr(q, "%00"))
		http_reply_error(r, 400, "bad request URI: an encoded NUL "
				 "(%%00) in the query");
	else if (!req_parse(r, path, q, rt))
		http_reply_error(r, 400, "bad request URI");
	else if (host && !host_ok(host))
		http_reply_error(r, 421, "Host is not a name of this server "
				 "(www-ip, localhost or www-hosts)");
	else if (refused == REFUSE_MALFORMED)
		http_reply_error(r, 400, "bad request: not an HTTP/1.x request "
				 "line and headers");
	else if (refused == REFUSE_LENGTHS)
		http_reply_error(r, 400, "refused: two Content-Length "
				 "headers, or Content-Length with "
				 "Transfer-Encoding");
	else if (refused == REFUSE_BODY)
		http_reply_error(r, 413, "body larger than %d bytes",
				 HTTP_MAX_BODY);
	else if (refused == REFUSE_HEAD)
		http_reply_error(r, 431, "request line and headers (the query "
				 "string included) longer than %d bytes",
				 HTTP_MAX_HEADERS);
	else if (refused)
		http_require_token(r);
	else
		return true;
	return false;
}

struct http_req *http_req_new(struct http_worker *w)
{
	struct http_req *r = w->spare;

	w->spare = NULL;
	if (r) {
		/* not the large arrays: each is filled before it is read */
		memset(r, 0, offsetof(struct http_req, query));
		memset(&r->nquery, 0, offsetof(struct http_req, headers) -
		       offsetof(struct http_req, nquery));
		r->headers_len = 0;
	}
	return r ? r : calloc(1, sizeof(*r));
}

void	http_dispatch(struct http_req *r, char *target, const char *host,
		      const char *auth, size_t auth_len, int refused)
{
	const struct route *rt = NULL;

	r->st = server.st;
	r->start_ns = http_now_ns();
	r->route = ROUTE_OTHER;
	r->w->inflight++;
	http_metrics_inflight(1);
	if (req_check(r, target, host, &rt, refused)) {
		r->token_ok = auth && http_bearer_ok(auth, auth_len);
		dispatch(r, rt);
	}
	/* a stream or a write finishes later, from the loop */
	if (!r->later)
		http_req_done(r);
}

void	http_req_done(struct http_req *r)
{
	struct http_worker *w = r->w;
	struct http_conn *c = r->conn;

	http_metrics_request(r->route, r->code, r->lookup_kind,
			     http_now_ns() - r->start_ns);
	if (w->spare)
		free(r);
	else
		w->spare = r;
	w->inflight--;
	http_metrics_inflight(-1);
	http_conn_request_done(c);
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
	if (w->listener)
		evconnlistener_free(w->listener);
	w->listener = NULL;
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

/* on_accept - a new connection on the worker's listener */
static void on_accept(struct evconnlistener *lev, evutil_socket_t fd,
		      struct sockaddr *sa, int len, void *arg)
{
	(void)lev;
	(void)sa;
	(void)len;
	http_conn_accept(arg, fd);
}

/* listen_socket - a listener on www-ip:www-port with SO_REUSEPORT */
static struct evconnlistener *listen_socket(struct http_worker *w)
{
	struct sockaddr_storage ss;
	socklen_t len = www_address(&ss);
	unsigned flags = LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE |
		LEV_OPT_REUSEABLE_PORT | LEV_OPT_CLOSE_ON_EXEC;

	if (!len)
		return NULL;
	return evconnlistener_new_bind(w->base, on_accept, w, flags,
				       LISTEN_BACKLOG, (struct sockaddr *)&ss,
				       (int)len);
}

/* worker_init - event base, the timeouts' sweep, the listener. */
static bool worker_init(struct http_worker *w)
{
	struct timeval second = { 1, 0 };

	w->base = event_base_new();
	w->now = time(NULL);
	w->stop_ev = w->base ? event_new(w->base, -1, 0, on_stop, w) : NULL;
	w->sweep_ev = w->base ? event_new(w->base, -1, EV_PERSIST,
					  http_conn_sweep, w) : NULL;
	if (!w->stop_ev || !w->sweep_ev || event_add(w->sweep_ev, &second))
		return false;
	return (w->listener = listen_socket(w)) != NULL;
}

static void worker_free(struct http_worker *w)
{
	if (w->drain_ev)
		event_free(w->drain_ev);
	if (w->stop_ev)
		event_free(w->stop_ev);
	if (w->sweep_ev)
		event_free(w->sweep_ev);
	if (w->listener)
		evconnlistener_free(w->listener);
	if (w->base)
		event_base_free(w->base);
	free(w->spare);
	memset(w, 0, sizeof(*w));
}

/* worker_run - the thread: the loop until http_stop, then cleanup */
static void *worker_run(void *arg)
{
	struct http_worker *w = arg;

	event_base_dispatch(w->base);
	/* the connections left close: streams see their client go away
	 * and free their state */
	http_conn_close_all(w);
	return NULL;
}

size_t	http_date(struct http_worker *w, const char **date)
{
	static const char days[][4] = { "Sun", "Mon", "Tue", "Wed", "Thu",
					"Fri", "Sat" };
	static const char months[][4] = { "Jan", "Feb", "Mar", "Apr", "May",
					  "Jun", "Jul", "Aug", "Sep", "Oct",
					  "Nov", "Dec" };
	time_t now = time(NULL);
	struct tm tm;

	/* the names are HTTP's, whatever the locale */
	if (now != w->date_at && gmtime_r(&now, &tm)) {
		w->date_len = (size_t)snprintf(w->date, sizeof(w->date),
			"Date: %s, %02d %s %d %02d:%02d:%02d GMT\r\n",
			days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon],
			tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
		w->date_at = now;
	}
	*date = w->date;
	return w->date_len;
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
	/* the answers of writes that ended after their worker's loop: each
	 * frees its request and its connection, which the client left */
	for (int i = 0; i < server.nworkers; i++)
		event_base_loop(server.w[i].base, EVLOOP_NONBLOCK);
	for (int i = 0; i < server.nworkers; i++)
		worker_free(&server.w[i]);
	server.nworkers = 0;
}
