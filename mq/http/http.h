/*
 * NAME
 *	http.h - mq serve's HTTP/1.1 API: server, request and reply helpers
 * SYNOPSIS
 *	#include "mq/http/http.h"
 * DESCRIPTION
 *	The server (server.c) runs one libevent event base per worker
 *	thread, each with its own listening socket on www-ip:www-port
 *	(SO_REUSEPORT: the kernel spreads connections over the workers),
 *	and its connections (conn.c: mq's own HTTP/1.1, parse.c).
 *	A request is routed by its path prefix to one handler; the handler
 *	runs in that worker's thread and must answer exactly once with one
 *	of the http_reply_* calls (or start a stream and end it later).
 *
 *	Handlers live one concern per file and see only this header:
 *	  http_tables.c   /v1/tables/NAME
 *	  http_lookup.c   /v1/lookup/KIND
 *	  http_lists.c    /v1/lists[/T[/...]]
 *	  http_console.c  / (the management console page)
 *	  changes.c       /v1/changes (the change feed)
 *	http.c itself answers /health and /metrics.
 *
 *	Status codes follow STYLE.md: 404 not found (table, list, row),
 *	400 bad input naming the field, 401 no or a wrong token, 413 body
 *	too large, 503 try again (SQL unreachable), 500 bad configuration
 *	or internal.  Every error body is {"error": "text"}.
 *
 *	The store is shared by all workers; a handler opens its own
 *	transactions with store_read_begin/store_read_end (cheap, recycled)
 *	and writes with store_write or the SQL write-through.  It never holds
 *	a read transaction across a return to the event loop.  The map of a
 *	served store is reserved at its maximum size, so it never moves
 *	under a reader.
 */
#ifndef MQ_HTTP_H
#define MQ_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/buffer.h>
#include <jansson.h>

#include "mq/ops/write_job.h"
#include "store/store.h"

#define HTTP_MAX_SEGS	8		/* path segments after the prefix */
#define HTTP_MAX_HEADERS (8 << 10)	/* bytes of request line + headers */
#define HTTP_MAX_BODY	(16 << 20)	/* bytes of a request body */
#define HTTP_TIMEOUT_SECONDS 10		/* idle or stalled client */
#define HTTP_MAX_PARAMS	512		/* query parameters */
#define HTTP_MAX_PATH	2048		/* bytes of a path */

struct http_worker;
struct http_stream;
struct http_conn;
struct event;

/* A request's method; one HTTP does not define is HTTP_OTHER. */
enum http_method {
	HTTP_GET = 1, HTTP_POST, HTTP_HEAD, HTTP_PUT, HTTP_DELETE,
	HTTP_OPTIONS, HTTP_PATCH, HTTP_OTHER
};

/* One query parameter, decoded (the name as sent). */
struct http_param {
	char *key;
	char *value;
};

/* One request as a handler sees it. */
struct http_req {
	struct http_conn *conn;		/* conn.c's */
	enum http_method method;
	const char *path;		/* the path as sent, without query */
	/* the decoded segments after the route's prefix: for
	 * "/v1/lists/news/subscribers" routed at "/v1/lists/",
	 * seg = { "news", "subscribers" }, nseg = 2 */
	char *seg[HTTP_MAX_SEGS];
	int nseg;
	struct http_param query[HTTP_MAX_PARAMS];	/* in order sent */
	int nquery;
	const char *content_type;	/* the request's, NULL: none */
	const char *body;		/* the request body, body_len bytes */
	size_t body_len;
	struct evbuffer *out;		/* the answer's body, being made */
	struct store *st;		/* the served store */
	bool token_ok;			/* Authorization: Bearer matched */
	const char *lookup_kind;	/* set by the lookup handler: metrics */
	struct http_worker *w;
	/* the core's own bookkeeping */
	uint64_t start_ns;		/* monotonic, for the latency metric */
	int route;			/* metrics label */
	int code;			/* the status answered, 0: none yet */
	bool later;			/* a stream or a write answers later */
	struct http_stream *stream;	/* its state */
	char headers[2048];		/* headers the handler added */
	size_t headers_len;
	char segs[HTTP_MAX_PATH];	/* seg's bytes */
};

/* The handlers, one per file (see above). */
void	http_tables_handle(struct http_req *r);
void	http_lookup_handle(struct http_req *r);
void	http_lists_handle(struct http_req *r);
void	http_console_handle(struct http_req *r);
void	http_changes_handle(struct http_req *r);
void	http_mailerq_handle(struct http_req *r);
void	http_dkim_handle(struct http_req *r);	/* dkim.c: the console's */

/* http_reply_json - send body (stolen; NULL sends "null") with code. */
void	http_reply_json(struct http_req *r, int code, json_t *body);

/*
 * http_reply_error - {"error": "<formatted text>"} with code.  Name the
 *	field, table or list in the text: "no column 'foo' in capacity".
 */
void	http_reply_error(struct http_req *r, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* http_reply_text - a body of len bytes with its content type. */
void	http_reply_text(struct http_req *r, int code, const char *type,
			const void *body, size_t len);

/* http_reply_store - the HTTP answer for a failed store call. */
void	http_reply_store(struct http_req *r, enum store_rc rc);

/*
 * http_result_code - the status code of an operation's result kind
 *	(store/store.h): not found 404, bad data 400, try again 503,
 *	config and internal 500, no space (disk full, store-max-size) 507
 *	Insufficient Storage.  The only place a result becomes a code.
 */
int	http_result_code(enum result_kind k);

/* http_reply_result - the answer for a failed operation, with msg. */
void	http_reply_result(struct http_req *r, enum result_kind k,
			  const char *msg);

/*
 * http_require_token - true when the request carried the configured
 *	www-token.  Otherwise it has answered: 401 naming how to send the
 *	token, or 403 when no www-token is configured at all ("set
 *	www-token in the config or MQ_WWW_TOKEN") and returns false.
 */
bool	http_require_token(struct http_req *r);

/*
 * http_body_json - the request body parsed as a JSON object (or array
 *	when arrays_ok).  On a bad body it answers 400 with jansson's line,
 *	column and reason and returns NULL.  The caller owns the result.
 */
json_t *http_body_json(struct http_req *r, bool arrays_ok);

/* http_body - the raw request body; *len its size (bounded by MAX_BODY). */
const char *http_body(struct http_req *r, size_t *len);

/* http_query - the value of query parameter name, NULL if absent. */
const char *http_query(struct http_req *r, const char *name);

/*
 * http_add_header - a header of the answer (before the http_reply_*
 *	call); one that does not fit the request's room is left out.
 */
void	http_add_header(struct http_req *r, const char *name,
			const char *value);

/*
 * http_query_parse - the NAME=VALUE&... text q (changed in place) as
 *	at most max pairs into p: how many, or -1 when a pair has no '='
 *	or no name, or there are more than max.  Values are decoded ('+'
 *	a space, %XX a byte).
 */
int	http_query_parse(char *q, struct http_param *p, int max);

/* http_method_not_allowed - 405 with an Allow header listing allowed. */
void	http_method_not_allowed(struct http_req *r, const char *allowed);

/*
 * Streaming (a list of a million subscribers): http_stream_start sends
 * the status line and headers (chunked) and returns; more() is then
 * called from the event loop, and must either send one chunk with
 * http_stream_chunk (buf's contents, drained) or finish with
 * http_stream_end.  After a chunk has been taken by the client, more()
 * is called again.  A client that goes away ends the stream: more() is
 * not called again.  done(arg) frees the handler's state; it is called
 * exactly once, after http_stream_end or when the client went away.
 * After http_stream_start the handler must not touch r outside more().
 */
typedef void (*http_more_fn)(struct http_req *r, void *arg);
typedef void (*http_done_fn)(void *arg);
void	http_stream_start(struct http_req *r, const char *type,
			  http_more_fn more, http_done_fn done, void *arg);
void	http_stream_chunk(struct http_req *r, struct evbuffer *buf);
void	http_stream_end(struct http_req *r);

/*
 * A stream that waits for data (the change feed) lets more() return
 * without a chunk; when the data comes, http_stream_wake(r) has more()
 * called again from the loop.  Its own events go on the worker's base,
 * http_event_base(r).  http_stopping(r): the server is stopping, and a
 * stream that would not end by itself should end now.
 */
void	http_stream_wake(struct http_req *r);
struct event_base *http_event_base(struct http_req *r);
bool	http_stopping(struct http_req *r);

/*
 * A handler that calls an operation outside the writer wraps it in
 * ops_capture()/ops_capture_end() (mq/ops/ops.h): the error line then
 * lands in its buffer for the reply.
 */

/*
 * Writes leave the event loop: a commit waits for the disk (fdatasync)
 * and a write-through for SQL, and lookups on the same worker must not
 * wait behind them.  A handler parses and checks the request, fills a
 * struct http_write and submits it; mq serve's one writer (the submit
 * function given to http_start) runs it, then done() runs back on the
 * request's worker and answers r.
 *
 *   body	a store_write body.  Bodies queued together run in ONE
 *		write transaction (group commit: one disk flush for many
 *		requests).  When one fails, the batch is aborted and run
 *		again without it, and the failed one alone, so a bad
 *		request never costs another its write.  Like every
 *		store_write body it may run more than once.
 *   work	when body is NULL: run alone, e.g. a batch with SQL first
 *		(ops_write_work); returns an enum result_kind; its ops_error
 *		lines are captured into err.
 *
 * After done() the core frees nothing of w: done owns it.  Between
 * submit and done the handler must not touch r.
 */
struct http_write {
	store_write_fn body;
	int (*work)(struct store *st, void *arg);
	void *arg;
	void (*done)(struct http_req *r, struct http_write *w);
	int status;		/* out: body's enum store_rc, work's kind */
	char err[1024];		/* out: the reason when status != 0 */
	/* the core's own */
	struct http_req *r;
	struct event *ev;
	struct write_job job;	/* what the writer runs */
};
void	http_write_submit(struct http_req *r, struct http_write *w);

/*
 * http_write_batch - submit batch (mq/ops/write.h) through the writer
 *	as w: grouped with other writes without a database-address, a job
 *	of its own (SQL first) with one.  Set w->done first.
 * http_reply_batch - the answer for w when it failed: the batch's kind
 *	and message ("row 5: ..."), or the writer's.
 */
struct sql_write;
void	http_write_batch(struct http_req *r, struct http_write *w,
			 struct sql_write *batch);
void	http_reply_batch(struct http_req *r, const struct http_write *w,
			 const struct sql_write *batch);

/*
 * http_reply_write - the answer for a failed write (w->status != 0):
 *	a body's store_rc or a work's result kind, with w->err's text.
 */
void	http_reply_write(struct http_req *r, const struct http_write *w);

/* Metrics the handlers feed (http.c counts requests and latency). */
void	http_metric_sync(double seconds, bool ok);

/* What mq serve tells the server about loads, for /health, /metrics. */
struct http_state {
	bool sql;			/* a database-address is configured */
	bool last_load_ok;		/* the last load from SQL succeeded */
	int64_t last_load_time;		/* unix seconds; 0: none yet */
	double last_load_seconds;
	uint64_t loads, load_failures;
};
void	http_state_set(const struct http_state *s);
void	http_state_get(struct http_state *s);

/*
 * What /health and /metrics show of the DKIM checks (mq/ops/dkim_check.h):
 * whether one runs now (it runs beside the API, which answers from the
 * statuses of the last one meanwhile: not a failure) and what the last
 * one found.
 */
struct http_dkim_state {
	bool checking;			/* a check runs now */
	uint64_t checks;		/* checks finished */
	int64_t last_check_time;	/* unix seconds; 0: none yet */
	size_t keys, left_out, kept;	/* of the last check */
};
void	http_dkim_state_set(const struct http_dkim_state *d);

/*
 * http_start - bind www-ip:www-port on nthreads workers and run them;
 *	writes go to submit (mq serve's writer, which must run until
 *	http_stop has returned).  Returns RESULT_OK, or after logging the
 *	reason RESULT_INTERNAL (the port cannot be bound).  http_stop -
 *	stop accepting, let requests in flight finish, writes included (up
 *	to grace_seconds), join the workers, then wait until the writer
 *	has finished every write they handed it.
 */
int	http_start(struct store *st, int nthreads, write_submit_fn submit);
void	http_stop(int grace_seconds);

#endif
