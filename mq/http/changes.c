/*
 * NAME
 *	changes.c - GET /v1/changes: the change feed, streamed
 * SYNOPSIS
 *	GET /v1/changes[?since=SEQ][&table=T...]
 * DESCRIPTION
 *	A long-lived chunked answer, application/x-ndjson: one JSON object
 *	a line per change record committed to the store, by any process
 *	(mq/ops/changes.c builds the line, the same as mq watch --json).
 *	With since, the records after sequence SEQ come first from the
 *	log; without it, only what commits from now on.  Like the table
 *	reads it needs no token: a secret never shows in the feed.
 *
 *	Each worker thread keeps one hub for its feeds: one watch
 *	descriptor of the store (store_watch_open) as an event on the
 *	worker's base, woken by any commit, and a tick each second that
 *	ends the feeds when the server stops.  A feed reads at most
 *	CHANGES_CHUNK bytes of the log under one read transaction and
 *	hands them over as one chunk; the next part is read only once the
 *	client has taken that chunk.  So a reader that stops reading costs
 *	at most one chunk of memory, and the server's write timeout
 *	(HTTP_TIMEOUT_SECONDS without progress) closes it.
 * DIAGNOSTICS
 *	400 a bad since or table; 405 another method than GET; 410 since
 *	older than the log, {"error": ..., "oldest": N}; 503 www-feeds
 *	feeds already open; 500 the store's watch cannot be made.  A feed
 *	that falls behind the log (pruned) gets a last line {"error":
 *	..., "oldest": N} and ends.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <unistd.h>

#include <sys/queue.h>
#include <event2/event.h>

#include "mq/config.h"
#include "mq/http/http.h"
#include "mq/log.h"
#include "mq/ops/changes.h"
#include "mq/ops/ops.h"

struct feed_hub;

/* One open feed. */
struct feed {
	struct http_req *r;
	struct feed_hub *hub;
	struct changes_pos pos;
	struct changes_filter filter;
	struct evbuffer *out;
	bool waiting;		/* nothing to send: wake on a commit */
	TAILQ_ENTRY(feed) link;
};

/* A worker thread's feeds and what wakes them. */
struct feed_hub {
	int fd;			/* store_watch_open */
	struct event *watch_ev;
	struct event *tick_ev;
	struct event *recheck_ev;	/* changes_recheck_ms after a wake */
	unsigned attempt;		/* rechecks since the last wake-up */
	bool ticking;		/* in tick(): do not free the hub */
	TAILQ_HEAD(, feed) feeds;
};

static __thread struct feed_hub *hub;	/* this worker's */
static atomic_uint feeds_open;		/* over all workers */

/* hub_free - no feed left on this worker: close the watch */
static void hub_free(struct feed_hub *h)
{
	if (h->watch_ev)
		event_free(h->watch_ev);
	if (h->tick_ev)
		event_free(h->tick_ev);
	if (h->recheck_ev)
		event_free(h->recheck_ev);
	if (h->fd >= 0)
		close(h->fd);
	free(h);
	if (hub == h)
		hub = NULL;
}

/* wake_waiting - the feeds with nothing to send read the log again */
static void wake_waiting(struct feed_hub *h)
{
	struct feed *f;

	TAILQ_FOREACH(f, &h->feeds, link)
		if (f->waiting) {
			f->waiting = false;
			http_stream_wake(f->r);
		}
}

/* recheck_after - the next read again after a wake-up, if any is due */
static void recheck_after(struct feed_hub *h)
{
	int ms = changes_recheck_ms(h->attempt);
	struct timeval tv = { ms / 1000, ms % 1000 * 1000 };

	if (ms >= 0)
		event_add(h->recheck_ev, &tv);
}

/* on_commit - the store file changed: wake, and read again shortly */
static void on_commit(evutil_socket_t fd, short what, void *arg)
{
	struct feed_hub *h = arg;

	(void)what;
	store_watch_drain(fd);
	wake_waiting(h);
	h->attempt = 0;
	recheck_after(h);
}

/* on_recheck - a commit the last wake-up may not have shown yet */
static void on_recheck(evutil_socket_t fd, short what, void *arg)
{
	struct feed_hub *h = arg;

	(void)fd;
	(void)what;
	wake_waiting(h);
	h->attempt++;
	recheck_after(h);
}

/* on_tick - each second: a stopping server ends its feeds */
static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct feed_hub *h = arg;
	struct feed *f = TAILQ_FIRST(&h->feeds), *next;

	(void)fd;
	(void)what;
	if (!f || !http_stopping(f->r))
		return;
	h->ticking = true;
	for (; f; f = next) {
		next = TAILQ_NEXT(f, link);
		http_stream_end(f->r);
	}
	h->ticking = false;
	if (TAILQ_EMPTY(&h->feeds))
		hub_free(h);
}

/* hub_get - this worker's hub, made with its watch on first use */
static struct feed_hub *hub_get(struct http_req *r)
{
	struct timeval second = { 1, 0 };
	struct event_base *base = http_event_base(r);
	struct feed_hub *h;

	if (hub)
		return hub;
	if (!(h = calloc(1, sizeof(*h))))
		return NULL;
	TAILQ_INIT(&h->feeds);
	h->fd = store_watch_open(r->st);
	if (h->fd >= 0)
		h->watch_ev = event_new(base, h->fd, EV_READ | EV_PERSIST,
					on_commit, h);
	h->tick_ev = event_new(base, -1, EV_PERSIST, on_tick, h);
	h->recheck_ev = evtimer_new(base, on_recheck, h);
	if (!h->watch_ev || !h->tick_ev || !h->recheck_ev ||
	    event_add(h->watch_ev, NULL) ||
	    event_add(h->tick_ev, &second)) {
		log_error("http: changes: cannot watch %s", store_path(r->st));
		hub_free(h);
		return NULL;
	}
	return hub = h;
}

/* add_line - a changes_fn: the record's JSON line into the chunk */
static size_t add_line(const struct change_view *v, void *arg)
{
	struct evbuffer *out = arg;
	char *line = changes_json(v);
	size_t len = line ? strlen(line) : 0;

	if (line)
		evbuffer_add(out, line, len);
	free(line);
	return len;
}

/* behind_line - the last line of a feed the pruned log left behind */
static void behind_line(struct evbuffer *out, const char *msg,
			uint64_t oldest)
{
	json_t *o = json_pack("{s:s,s:I}", "error", msg, "oldest",
			      (json_int_t)oldest);
	char *s = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;

	if (s)
		evbuffer_add_printf(out, "%s\n", s);
	free(s);
	json_decref(o);
}

/*
 * feed_more - the stream's more(): the next part of the log as one
 *	chunk, or wait for a commit when there is none.
 */
static void feed_more(struct http_req *r, void *arg)
{
	struct feed *f = arg;
	char msg[1024];
	uint64_t oldest = 0;
	bool more;
	enum result_kind k;

	ops_capture(msg, sizeof(msg));
	k = changes_read(r->st, &f->pos, &f->filter, CHANGES_CHUNK, add_line,
			 f->out, &more, &oldest);
	ops_capture_end();
	if (k == RESULT_NOTFOUND)
		behind_line(f->out, msg, oldest);
	else if (k != RESULT_OK)
		log_error("http: changes: %s", msg);
	if (evbuffer_get_length(f->out))
		http_stream_chunk(r, f->out);
	if (k != RESULT_OK)
		http_stream_end(r);
	else
		f->waiting = !more && evbuffer_get_length(f->out) == 0;
}

/* feed_done - the stream's done(): out of the hub, the count freed */
static void feed_done(void *arg)
{
	struct feed *f = arg;
	struct feed_hub *h = f->hub;

	TAILQ_REMOVE(&h->feeds, f, link);
	evbuffer_free(f->out);
	free(f);
	atomic_fetch_sub(&feeds_open, 1);
	if (TAILQ_EMPTY(&h->feeds) && !h->ticking)
		hub_free(h);
}

/* feed_query - since and the tables asked for; false: answered 400 */
static bool feed_query(struct http_req *r, struct feed *f, uint64_t *since,
		       bool *have_since)
{
	char msg[1024];
	enum result_kind k = RESULT_OK;
	ops_capture(msg, sizeof(msg));
	for (int i = 0; i < r->nquery; i++) {
		const struct http_param *kv = &r->query[i];

		if (!strcmp(kv->key, "since")) {
			*have_since = true;
			k = changes_since_parse(kv->value, since);
		} else if (!strcmp(kv->key, "table")) {
			k = changes_filter_add(&f->filter, kv->value);
		} else {
			ops_error("unknown parameter '%.64s' (since, table)",
				  kv->key);
			k = RESULT_BADDATA;
		}
		if (k != RESULT_OK)
			break;
	}
	ops_capture_end();
	if (k != RESULT_OK)
		http_reply_result(r, k, msg);
	return k == RESULT_OK;
}

/* feed_position - where the feed starts; false: answered (410, ...) */
static bool feed_position(struct http_req *r, struct feed *f,
			  const uint64_t *since)
{
	char msg[1024];
	uint64_t oldest = 0;
	enum result_kind k;

	ops_capture(msg, sizeof(msg));
	k = changes_start(r->st, since, &f->pos, &oldest);
	ops_capture_end();
	if (k == RESULT_NOTFOUND)
		http_reply_json(r, 410, json_pack("{s:s,s:I}", "error", msg,
						  "oldest",
						  (json_int_t)oldest));
	else if (k != RESULT_OK)
		http_reply_result(r, k, msg);
	return k == RESULT_OK;
}

/* feed_admit - count the feed in, unless www-feeds are open already */
static bool feed_admit(struct http_req *r)
{
	unsigned cap = mq_conf.www_feeds;

	if (atomic_fetch_add(&feeds_open, 1) < cap)
		return true;
	atomic_fetch_sub(&feeds_open, 1);
	http_reply_result(r, RESULT_TRYAGAIN, cap ? "too many change feeds "
			  "open (www-feeds): try again later" : "change "
			  "feeds are turned off (www-feeds: 0)");
	return false;
}

/* feed_open - a feed for r, counted, in this worker's hub; or answered */
static struct feed *feed_open(struct http_req *r)
{
	struct feed *f;

	if (!feed_admit(r))
		return NULL;
	f = calloc(1, sizeof(*f));
	if (f && !(f->out = evbuffer_new())) {
		free(f);
		f = NULL;
	}
	if (!f || !(f->hub = hub_get(r))) {
		if (f)
			evbuffer_free(f->out);
		free(f);
		atomic_fetch_sub(&feeds_open, 1);
		http_reply_result(r, RESULT_INTERNAL, "cannot start a change "
				  "feed (see the log)");
		return NULL;
	}
	f->r = r;
	TAILQ_INSERT_TAIL(&f->hub->feeds, f, link);
	return f;
}

void	http_changes_handle(struct http_req *r)
{
	struct feed *f;
	uint64_t since = 0;
	bool have_since = false;

	if (r->nseg != 0) {
		http_reply_error(r, 404, "%s: no such API endpoint", r->path);
		return;
	}
	if (r->method != HTTP_GET) {
		http_method_not_allowed(r, "GET");
		return;
	}
	if (!(f = feed_open(r)))
		return;
	if (!feed_query(r, f, &since, &have_since) ||
	    !feed_position(r, f, have_since ? &since : NULL)) {
		feed_done(f);
		return;
	}
	/* a feed may be quiet for hours: conn.c times out a stream only
	 * while a chunk waits for the client */
	http_stream_start(r, "application/x-ndjson", feed_more, feed_done, f);
}
