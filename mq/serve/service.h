/*
 * NAME
 *	service.h - what the files of the serve process share
 * DESCRIPTION
 *	serve.c runs the main thread: the event base with the signals and
 *	the timers, start and stop.  load.c holds what runs off it: the
 *	loads from SQL (a thread of their own, whose difference and ips
 *	rows the writer writes, writer.c) and the DKIM check after a load
 *	(a thread of its own, whose statuses go through the writer).  Each
 *	of those tells the main thread it finished by activating an event
 *	of the base.
 *
 *	Between submitting a load and its load_done event the load thread
 *	owns load_ok, act, at_start, next_load and state; the main thread
 *	reads them only after that event.
 */
#ifndef MQ_SERVE_SERVICE_H
#define MQ_SERVE_SERVICE_H

#include <pthread.h>
#include <stdbool.h>
#include <time.h>

#include <event2/event.h>

#include "mq/http/http.h"
#include "mq/ops/dkim_check.h"
#include "mq/ops/write_job.h"
#include "mq/serve/pidfile.h"
#include "mq/serve/serve.h"

struct serve {
	struct store *st;
	struct pidfile pid;
	bool sql;		/* database-address set: SQL authoritative */
	struct http_state state;	/* what /health and /metrics show */
	enum result_kind result;	/* what serve_run returns */
	/* the main thread's event base and its events */
	struct event_base *base;
	struct event *sig_term, *sig_int, *sig_hup, *sig_usr1;
	struct event *reload_ev;	/* database-ttl after a load */
	struct event *housekeeping_ev;
	struct event *sql_idle_ev;	/* each second: close an idle session */
	struct event *load_done_ev;	/* a load job finished */
	struct event *dkim_done_ev;	/* the DKIM thread finished */
	struct event *dkim_ev;		/* dkim-verify-interval after a check */
	bool started;		/* the first load is done, HTTP opened */
	bool http;		/* the HTTP workers run */
	/* the load thread */
	pthread_t load_thread;
	bool loading, reload_again;
	bool at_start;		/* the first load: ips rows after it */
	enum db_action act;
	bool load_ok;
	time_t next_load;	/* monotonic seconds */
	/* the DKIM check after a load, a reload, each interval; the DKIM
	 * thread owns dkim_tot until dkim_done_ev */
	pthread_t dkim_thread;
	bool dkim_running, dkim_again;
	struct dkim_check_totals dkim_tot;
	struct http_dkim_state dkim_state;	/* the main thread's */
	bool replicating;	/* the replication thread runs */
};

/* mono_now - seconds on the monotonic clock */
time_t	mono_now(void);

/*
 * load_validate - database-validate at start, as MailerQ does: the SQL
 *	tables are checked before the first load, and tables that do not
 *	validate stop mq serve (RESULT_BADDATA, exit 65, each problem logged).  A
 *	server that cannot be reached is no verdict: serve starts on the
 *	store and the loads retry.  RESULT_OK when validation is off.
 */
enum result_kind load_validate(void);

/*
 * load_submit - start a load (and at start, the ips rows) on the load
 *	thread; load_done_ev fires when it ended (join the thread unless
 *	loading went false at once), load_ok saying how.
 */
void	load_submit(struct serve *s);

/*
 * dkim_thread_start - check the DKIM keys on a thread of their own;
 *	dkim_done_ev fires when it ended (join it; dkim_tot holds what it
 *	found).  False when the thread could not start.
 */
bool	dkim_thread_start(struct serve *s);

/* serve_signals - block (or unblock) SIGTERM, SIGINT, SIGHUP here */
void	serve_signals(bool block);

#endif
