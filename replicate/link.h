/*
 * NAME
 *	link.h - one authenticated connection between two nodes, and the
 *	thread that runs them all (replicate.c, primary.c, follow.c)
 */
#ifndef MQ_REPLICATE_LINK_H
#define MQ_REPLICATE_LINK_H

#include <pthread.h>

#include <event2/bufferevent.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "replicate/auth.h"

#define LINK_HIGH	(4u << 20)	/* output queued before pausing */
#define LINK_BATCH	(8u << 20)	/* changes payload before splitting */
#define SNAP_CHUNK	(1u << 20)
#define PENDING_NONE	((size_t)-1)

/* where a replica's time went: see follow.c's snap_clock_read */
struct snap_clock {
	uint64_t wall_ms;	/* monotonic */
	uint64_t cpu_ms;	/* this thread on a CPU */
	uint64_t wait_ms;	/* this thread runnable, waiting for a CPU */
	uint64_t child_ms;	/* CPU of the children reaped (the verifier) */
};

enum link_state {
	L_AUTH,		/* nothing but AUTH until the peer's verifies */
	L_HELLO,	/* primary: waiting for the replica's hello */
	L_SNAPSHOT,	/* a snapshot in flight */
	L_STREAM,	/* the change log in flight */
};

struct link {
	struct repl *r;
	struct bufferevent *bev;
	SSL *ssl;
	bool server;			/* accepted (primary side) */
	enum link_state state;
	char peer[80];
	uint8_t peer_pk[32];		/* its key, once authenticated */
	bool claimed;			/* replica: claim_check passed */
	uint64_t tx_counter, rx_counter;
	uint64_t sent;			/* primary: last sequence sent */
	uint64_t acked;			/* primary: the replica's, as acked */
	int snap_fd;			/* primary: the copy being sent;
					 * replica: the file received */
	uint64_t snap_seq;
	uint64_t snap_bytes;		/* replica: received so far */
	struct snap_clock snap_begun;	/* replica: when SNAP_BEGIN came */
	char snap_path[4200];		/* replica: the temporary file */
	uint8_t *pending;		/* replica: the group (follow.c) */
	size_t npending, cappending;
	size_t open_at;			/* replica: the open transaction's
					 * segment, or PENDING_NONE */
	uint64_t pending_seq;		/* replica: the open transaction */
	uint64_t group_seq;		/* replica: the last whole one */
	struct link *next;
};

struct repl {
	struct replicate_options o;	/* its strings point to these: */
	char listen[256], primary_addr[256], status_path[4200];
	struct auth_keys keys;
	struct event_base *base;
	SSL_CTX *ctx;
	pthread_t thread;
	struct evconnlistener *listener;
	struct event *watch_ev, *tick_ev, *stop_ev, *retry_ev, *recheck_ev;
	uint64_t woken_seq;		/* primary: the sequence at a wake */
	unsigned rechecks;
	int watch_fd;
	struct link *links;
	unsigned backoff_ms;
	uint64_t connected_at, lost_at, caught_up_at;
	pthread_mutex_t lock;		/* status */
	struct replicate_status status;
	unsigned snap_counter;
};

/* replicate.c */
void	repl_log(struct repl *r, bool error, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
uint64_t repl_now_ms(void);
/* repl_addr_format - "IP:PORT" of an IPv4 or IPv6 socket address */
void	repl_addr_format(const struct sockaddr *sa, char *out, size_t len);
struct link *link_new(struct repl *r, struct bufferevent *bev, SSL *ssl,
		      bool server, const char *peer);
/* link_refuse - log why, then close l */
void	link_refuse(struct link *l, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void	link_close(struct link *l);
bool	link_send(struct link *l, enum frame_type type, uint8_t flags,
		  uint64_t seq, const void *payload, size_t len);
size_t	link_queued(const struct link *l);
void	repl_store_meta(struct repl *r, struct store_meta *m);
/* repl_status_refresh - the status (metrics, STORE.cluster) made anew:
 *	each second, and at once when a replica's link comes or goes */
void	repl_status_refresh(struct repl *r);

/* primary.c */
bool	primary_start(struct repl *r, char *err, size_t errlen);
void	primary_frame(struct link *l, const struct frame *f);
void	primary_writable(struct link *l);
void	primary_wake(struct repl *r);
void	primary_tick(struct repl *r);
void	primary_link_free(struct link *l);

/* follow.c */
/* follow_start - remove stale snapshot files; is cluster-primary numeric? */
bool	follow_start(struct repl *r, char *err, size_t errlen);
void	follow_connect(struct repl *r);
void	follow_authed(struct link *l);
void	follow_frame(struct link *l, const struct frame *f);
bool	follow_flush(struct link *l);

/* claim_check - may this primary lead m's uuid and epoch? (claim.c) */
bool	claim_check(struct link *l, const struct store_meta *m);
void	follow_link_free(struct link *l);

#endif
