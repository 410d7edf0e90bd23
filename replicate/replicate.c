/*
 * NAME
 *	replicate.c - the replication thread and its connections
 * SYNOPSIS
 *	#include "replicate/replicate.h"
 * DESCRIPTION
 *	One thread, one event base (mq serve's own stays small).  Each
 *	connection (struct link) reads whole frames (frame_parse) and
 *	refuses anything before the peer's AUTH has verified, any frame
 *	whose counter is not the next one, and any malformed frame: the
 *	connection is closed and the refusal logged with the peer's
 *	address.  What a verified frame means is the role's business:
 *	primary.c sends, follow.c applies.
 *
 *	Each second the status (replicate.h) is refreshed and, when asked
 *	for, written to a small file that `mq cluster status` reads.
 * DIAGNOSTICS
 *	Lines through the options' log function.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <event2/bufferevent_ssl.h>
#include <event2/thread.h>

#include "replicate/link.h"

#define AUTH_TIMEOUT_S	10

static struct repl *running;	/* the one replication thread, or NULL */

uint64_t repl_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void	repl_addr_format(const struct sockaddr *sa, char *out, size_t len)
{
	char ip[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)sa;

		inet_ntop(AF_INET, &in->sin_addr, ip, sizeof(ip));
		port = ntohs(in->sin_port);
		snprintf(out, len, "%s:%u", ip, port);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)sa;

		inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof(ip));
		port = ntohs(in6->sin6_port);
		snprintf(out, len, "[%s]:%u", ip, port);
	} else
		snprintf(out, len, "?");
}

void	repl_log(struct repl *r, bool error, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (r->o.log)
		r->o.log(error, line);
}

void	repl_store_meta(struct repl *r, struct store_meta *m)
{
	struct store_txn *txn;

	memset(m, 0, sizeof(*m));
	if (store_read_begin(r->o.st, &txn) == STORE_OK) {
		store_meta_get(txn, m);
		store_read_end(txn);
	}
}

size_t	link_queued(const struct link *l)
{
	return evbuffer_get_length(bufferevent_get_output(l->bev));
}

bool	link_send(struct link *l, enum frame_type type, uint8_t flags,
		  uint64_t seq, const void *payload, size_t len)
{
	uint8_t head[FRAME_HEAD];
	struct evbuffer *out = bufferevent_get_output(l->bev);

	if (len > FRAME_MAX)
		return false;
	frame_head(head, type, flags, (uint32_t)len, seq, l->tx_counter++);
	return evbuffer_add(out, head, sizeof(head)) == 0 &&
	       (!len || evbuffer_add(out, payload, len) == 0);
}

void	link_close(struct link *l)
{
	struct repl *r = l->r;
	struct link **p;

	for (p = &r->links; *p && *p != l; p = &(*p)->next)
		;
	if (*p)
		*p = l->next;
	if (l->server)
		primary_link_free(l);
	else
		follow_link_free(l);
	bufferevent_free(l->bev);	/* frees the SSL and the socket */
	free(l->pending);
	free(l);
}

void	link_refuse(struct link *l, const char *fmt, ...)
{
	char why[300];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	repl_log(l->r, true, "replication: peer %s refused: %s", l->peer,
		 why);
	pthread_mutex_lock(&l->r->lock);
	l->r->status.refused++;
	pthread_mutex_unlock(&l->r->lock);
	link_close(l);
}

/* on_auth - the peer's AUTH frame: nothing else counts before it */
static void on_auth(struct link *l, const struct frame *f)
{
	static const char *const why[] = {
		[AUTH_UNKNOWN_KEY] = "its key is not in cluster-peers",
		[AUTH_BAD_SIGNATURE] = "its signature of this TLS session "
			"does not verify (a proxy in between?)",
	};
	enum auth_result a;

	if (f->type != F_AUTH) {
		link_refuse(l, "a frame before authentication");
		return;
	}
	if ((a = auth_verify(&l->r->keys, l->ssl, l->server, f->payload))) {
		link_refuse(l, "%s", why[a]);
		return;
	}
	memcpy(l->peer_pk, f->payload, sizeof(l->peer_pk));
	l->state = L_HELLO;
	if (l->server)	/* a replica may be quiet for long: no timeout */
		bufferevent_set_timeouts(l->bev, NULL, NULL);
	repl_log(l->r, false, "replication: peer %s authenticated", l->peer);
	if (!l->server)
		follow_authed(l);
}

/* on_frame - one whole frame; false when the link was closed */
static bool on_frame(struct link *l, const struct frame *f)
{
	struct link *k;

	if (f->counter != l->rx_counter++) {
		link_refuse(l, "frame %llu where %llu was due (replayed, "
			    "dropped or reordered)",
			    (unsigned long long)f->counter,
			    (unsigned long long)(l->rx_counter - 1));
		return false;
	}
	if (l->state == L_AUTH)
		on_auth(l, f);
	else if (f->type == F_AUTH)
		link_refuse(l, "a second AUTH frame");
	else if (l->server)
		primary_frame(l, f);
	else
		follow_frame(l, f);
	for (k = running ? running->links : NULL; k && k != l; k = k->next)
		;
	return k == l;
}

static void on_read(struct bufferevent *bev, void *arg)
{
	struct link *l = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct frame f;
	size_t have;
	long n;

	while ((have = evbuffer_get_length(in)) >= FRAME_HEAD) {
		const uint8_t *p = evbuffer_pullup(in, FRAME_HEAD);
		size_t want = FRAME_HEAD + ((size_t)p[4] << 24 |
			      (size_t)p[5] << 16 | (size_t)p[6] << 8 | p[7]);

		if (want > FRAME_HEAD + FRAME_MAX) {
			link_refuse(l, "a frame longer than %u bytes",
				    FRAME_MAX);
			return;
		}
		/* nothing but an AUTH frame is buffered for a stranger */
		if (l->state == L_AUTH && want != FRAME_HEAD + AUTH_LEN) {
			link_refuse(l, "a frame before authentication");
			return;
		}
		if (have < want)
			break;
		p = evbuffer_pullup(in, (ssize_t)want);
		if ((n = frame_parse(p, want, &f)) <= 0) {
			link_refuse(l, "a malformed frame");
			return;
		}
		if (!on_frame(l, &f))
			return;
		evbuffer_drain(in, (size_t)n);
	}
	/* what came in one read is applied in one transaction */
	if (!l->server)
		follow_flush(l);
}

static void on_write(struct bufferevent *bev, void *arg)
{
	struct link *l = arg;

	(void)bev;
	if (l->server)
		primary_writable(l);
}

/*
 * link_nodelay - send each frame as it is written: a commit's frames are
 * small and nothing follows them soon, and with Nagle's algorithm a frame
 * written while the last is unacknowledged waits for the peer's delayed
 * ACK (up to 40 ms on Linux), which was the replication lag's tail.
 */
static void link_nodelay(struct bufferevent *bev)
{
	int one = 1;

	(void)setsockopt(bufferevent_getfd(bev), IPPROTO_TCP, TCP_NODELAY,
			 &one, sizeof(one));
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
	struct link *l = arg;
	uint8_t auth[AUTH_LEN];

	if (what & BEV_EVENT_CONNECTED) {
		link_nodelay(bev);
		if (!auth_sign(&l->r->keys, l->ssl, l->server, auth) ||
		    !link_send(l, F_AUTH, 0, 0, auth, sizeof(auth)))
			link_refuse(l, "not a TLS 1.3 session");
		return;
	}
	repl_log(l->r, l->state == L_AUTH, "replication: peer %s: %s",
		 l->peer, what & BEV_EVENT_EOF ? "connection closed"
		 : "connection lost (or its TLS failed)");
	link_close(l);
}

struct link *link_new(struct repl *r, struct bufferevent *bev, SSL *ssl,
		      bool server, const char *peer)
{
	struct link *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->r = r;
	l->bev = bev;
	l->ssl = ssl;
	l->server = server;
	l->snap_fd = -1;
	l->open_at = PENDING_NONE;
	snprintf(l->peer, sizeof(l->peer), "%s", peer);
	l->next = r->links;
	r->links = l;
	bufferevent_setcb(bev, on_read, on_write, on_event, l);
	bufferevent_setwatermark(bev, EV_WRITE, LINK_HIGH / 4, 0);
	/* at most two whole frames wait in memory */
	bufferevent_setwatermark(bev, EV_READ, 0, 2 * (FRAME_HEAD + FRAME_MAX));
	/* a peer that does not authenticate within this is dropped */
	bufferevent_set_timeouts(bev, &(struct timeval){ AUTH_TIMEOUT_S, 0 },
				 NULL);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
	return l;
}

/* status_write - the figures as "key: value" lines, replaced whole */
static void status_write(struct repl *r, const struct replicate_status *s)
{
	char tmp[4200];
	FILE *f;

	if (!r->o.status_path)
		return;
	snprintf(tmp, sizeof(tmp), "%s.tmp", r->o.status_path);
	if (!(f = fopen(tmp, "w")))
		return;
	fprintf(f, "role: %s\n", s->primary ? "primary" : "replica");
	if (s->primary)
		fprintf(f, "listen: %s\nreplicas: %u\n", r->o.listen,
			s->replicas);
	else
		fprintf(f, "primary: %s\nstate: %s\n", r->o.primary_addr,
			s->connected ? "connected" : "disconnected");
	fprintf(f, "sequence: %llu\n", (unsigned long long)s->sequence);
	if (!s->primary)
		fprintf(f, "primary-sequence: %llu\nlag-records: %llu\n"
			"lag-ms: %llu\ndisconnected-ms: %llu\n",
			(unsigned long long)s->primary_sequence,
			(unsigned long long)(s->primary_sequence > s->sequence
			? s->primary_sequence - s->sequence : 0),
			(unsigned long long)s->lag_ms,
			(unsigned long long)s->disconnected_ms);
	for (struct link *l = r->links; l; l = l->next)
		if (l->server && l->state >= L_SNAPSHOT)
			fprintf(f, "peer: %s %s sent %llu acked %llu\n",
				l->peer, l->state == L_SNAPSHOT ? "snapshot"
				: "streaming", (unsigned long long)l->sent,
				(unsigned long long)l->acked);
	fprintf(f, "snapshots: %llu\nrefused: %llu\n",
		(unsigned long long)s->snapshots,
		(unsigned long long)s->refused);
	if (fclose(f) == 0)
		rename(tmp, r->o.status_path);
	else
		unlink(tmp);
}

void	repl_status_refresh(struct repl *r)
{
	struct store_meta m;
	struct replicate_status s;
	uint64_t now = repl_now_ms();
	unsigned n = 0;

	repl_store_meta(r, &m);
	for (struct link *l = r->links; l; l = l->next)
		n += l->server && l->state >= L_SNAPSHOT;
	pthread_mutex_lock(&r->lock);
	r->status.sequence = m.seq;
	r->status.replicas = n;
	if (!r->o.primary) {
		r->status.connected = r->connected_at != 0;
		r->status.disconnected_ms = r->connected_at ? 0
			: now - r->lost_at;
		if (m.seq >= r->status.primary_sequence && r->connected_at)
			r->caught_up_at = now;
		r->status.lag_ms = now - r->caught_up_at;
	}
	s = r->status;
	pthread_mutex_unlock(&r->lock);
	status_write(r, &s);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct repl *r = arg;

	(void)fd;
	(void)what;
	if (r->o.primary)
		primary_tick(r);	/* a replica reconnects on its own timer */
	repl_status_refresh(r);
}

static void on_stop(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	event_base_loopbreak(((struct repl *)arg)->base);
}

static void *repl_thread(void *arg)
{
	struct repl *r = arg;

	r->caught_up_at = repl_now_ms();	/* no lag counted before */
	repl_status_refresh(r);	/* mq promote reads the role from the start */
	if (r->o.primary)
		primary_wake(r);
	else
		follow_connect(r);
	event_base_dispatch(r->base);
	return NULL;
}

static void repl_free(struct repl *r)
{
	while (r->links)
		link_close(r->links);
	if (r->listener)
		evconnlistener_free(r->listener);
	struct event *all[] = { r->watch_ev, r->tick_ev, r->stop_ev,
				r->retry_ev, r->recheck_ev };
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (all[i])
			event_free(all[i]);
	if (r->watch_fd >= 0)
		close(r->watch_fd);
	if (r->base)
		event_base_free(r->base);
	SSL_CTX_free(r->ctx);
	if (r->o.status_path)
		unlink(r->o.status_path);
	pthread_mutex_destroy(&r->lock);
	free(r);
}

/* repl_events - the base, the tick, the stop event, the role's parts */
static bool repl_events(struct repl *r, char *err, size_t errlen)
{
	struct timeval second = { 1, 0 };

	if (evthread_use_pthreads() != 0 || !(r->base = event_base_new()) ||
	    !(r->tick_ev = event_new(r->base, -1, EV_PERSIST, on_tick, r)) ||
	    !(r->stop_ev = event_new(r->base, -1, 0, on_stop, r)) ||
	    event_add(r->tick_ev, &second) != 0) {
		snprintf(err, errlen, "replication: cannot set up its "
			 "event loop");
		return false;
	}
	if (!(r->ctx = auth_tls_context(r->o.primary, err, errlen)))
		return false;
	return r->o.primary ? primary_start(r, err, errlen)
		: follow_start(r, err, errlen);
}

bool	replicate_start(const struct replicate_options *o, char *err,
			size_t errlen)
{
	struct repl *r = calloc(1, sizeof(*r));

	if (!r) {
		snprintf(err, errlen, "out of memory");
		return false;
	}
	r->o = *o;
	snprintf(r->listen, sizeof(r->listen), "%s", o->listen ? o->listen : "");
	snprintf(r->primary_addr, sizeof(r->primary_addr), "%s",
		 o->primary_addr ? o->primary_addr : "");
	snprintf(r->status_path, sizeof(r->status_path), "%s",
		 o->status_path ? o->status_path : "");
	r->o.listen = r->listen;
	r->o.primary_addr = r->primary_addr;
	r->o.status_path = o->status_path ? r->status_path : NULL;
	r->o.key = r->o.peers = NULL;	/* read once, below */
	r->watch_fd = -1;
	r->lost_at = repl_now_ms();
	r->status.running = true;
	r->status.primary = o->primary;
	pthread_mutex_init(&r->lock, NULL);
	if (!auth_keys_load(&r->keys, o->key ? o->key : "",
			    o->peers ? o->peers : "", err, errlen) ||
	    !repl_events(r, err, errlen)) {
		repl_free(r);
		return false;
	}
	running = r;
	if (pthread_create(&r->thread, NULL, repl_thread, r) != 0) {
		running = NULL;
		repl_free(r);
		snprintf(err, errlen, "replication: cannot start its thread");
		return false;
	}
	return true;
}

void	replicate_stop(void)
{
	struct repl *r = running;

	if (!r)
		return;
	event_active(r->stop_ev, EV_READ, 0);
	pthread_join(r->thread, NULL);
	pthread_mutex_lock(&r->lock);
	running = NULL;
	pthread_mutex_unlock(&r->lock);
	repl_free(r);
}

void	replicate_status(struct replicate_status *out)
{
	struct repl *r = running;

	memset(out, 0, sizeof(*out));
	if (!r)
		return;
	pthread_mutex_lock(&r->lock);
	*out = r->status;
	pthread_mutex_unlock(&r->lock);
}
