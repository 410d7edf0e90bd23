/*
 * NAME
 *	serve.c - the mq serve process: its event base, start and stop
 * SYNOPSIS
 *	#include "mq/serve/serve.h"
 *
 *	enum result_kind k = serve_run(act);
 * DESCRIPTION
 *	serve_run takes the pid file (pidfile.c), opens the store with its
 *	map reserved (the HTTP workers read while loads write: the map
 *	must not move), starts the writer (writer.c) and the store's lookup
 *	builder (store/lookup_builder.c: lookups answer from the newest
 *	complete set and never build on the request path), then lives in one
 *	libevent event base in this thread, which waits for everything:
 *	  SIGTERM, SIGINT	stop;
 *	  SIGHUP		reload from SQL (mq reload sends it);
 *	  SIGUSR1		a replica becomes primary (mq promote
 *				sends it);
 *	  a timer		reload database-ttl seconds after the last
 *				load ended;
 *	  a timer		every minute, clear the reader slots of dead
 *				processes (store_stat);
 *	  load_done, dkim_done	activated by the load and the DKIM
 *				threads (load.c) when their work ended.
 *	A reload runs on its own thread and hands only its difference to
 *	the writer, so the loop goes on answering signals and the writer
 *	API writes while it reads SQL; a reload asked for meanwhile runs
 *	after it.
 *
 *	Start: the first load (with --repair-database or --purge-database
 *	first when asked) and the ips rows, then the DKIM check, then the
 *	HTTP workers (http.h, unless www-port is 0), which hand their
 *	writes to the same writer.  The signals are blocked in every other
 *	thread, so only this loop sees them.
 *
 *	Stop: the workers stop accepting and answer what is in flight,
 *	writes included (up to HTTP_GRACE_SECONDS); the DKIM thread is
 *	joined; the writer runs what is queued; then the store is closed
 *	and the pid file removed.
 * DIAGNOSTICS
 *	See serve.h.  A load that fails is logged and the store keeps the
 *	last good data; the next one is tried at the next tick.
 */
#include <inttypes.h>
#include <malloc.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <event2/thread.h>

#include "mq/log.h"
#include "mq/ops/ops.h"
#include "mq/ops/write.h"
#include "mq/serve/service.h"
#include "mq/serve/writer.h"
#include "replicate/replicate.h"

#define HOUSEKEEPING_SECONDS 60
#define HTTP_GRACE_SECONDS 10	/* for requests in flight at SIGTERM */

void	serve_signals(bool block)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(block ? SIG_BLOCK : SIG_UNBLOCK, &set, NULL);
}

/* log_ready - the store's uuid, epoch and sequence, once at start */
static void log_ready(struct store *st)
{
	struct store_txn *txn;
	struct store_meta m;
	char uuid[37];

	if (store_read_begin(st, &txn) != STORE_OK)
		return;
	if (store_meta_get(txn, &m) == STORE_OK) {
		store_uuid_format(m.uuid, uuid);
		log_info("store %s ready: uuid %s, epoch %" PRIu64
			 ", sequence %" PRIu64, store_path(st), uuid, m.epoch,
			 m.seq);
	}
	store_read_end(txn);
}

/* open_store - the configured store, created if missing, map reserved */
static enum result_kind open_store(struct serve *s)
{
	struct store_options opt = {
		.max_size = mq_conf.store_max_size,
		.changes_keep = mq_conf.changes_keep,
	};
	char err[1024];
	enum store_rc rc;

	/* Faults are caught only in the HTTP workers' guards (server.c). */
	store_faults_catch(NULL);
	rc = store_open(mq_conf.store_path, STORE_MAP_RESERVE, &opt, &s->st,
			err, sizeof(err));
	if (rc) {
		ops_error("%s", err);
		return rc == STORE_CORRUPT ? RESULT_BADDATA : RESULT_INTERNAL;
	}
	if (*store_open_warning(s->st))
		log_warning("%s", store_open_warning(s->st));
	return RESULT_OK;
}

/* serve_dkim - check the DKIM keys, after the check that runs if any */
static void serve_dkim(struct serve *s)
{
	if (s->dkim_running) {
		s->dkim_again = true;
		return;
	}
	evtimer_del(s->dkim_ev);
	if (!dkim_thread_start(s))
		return;
	s->dkim_state.checking = true;
	http_dkim_state_set(&s->dkim_state);
}

/* serve_reload - a load on SIGHUP, mq reload or the ttl */
static void serve_reload(struct serve *s, const char *why)
{
	if (ops_is_replica()) {
		log_info("reload (%s): a replica follows its primary, which "
			 "alone loads from SQL: nothing to reload", why);
		return;
	}
	if (!s->sql) {
		log_info("reload: no database-address configured, the store "
			 "is authoritative: nothing to load; the DKIM keys are "
			 "checked (%s)", why);
		serve_dkim(s);
		return;
	}
	if (s->loading) {
		log_info("reload (%s): after the load that runs", why);
		s->reload_again = true;
		return;
	}
	log_info("reload (%s)", why);
	load_submit(s);
}

/* serve_open - after the first load: the HTTP workers, unless port 0 */
static void serve_open(struct serve *s)
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);

	s->started = true;
	if (!mq_conf.www_port)
		return;
	serve_signals(true);	/* the workers inherit the mask */
	s->result = http_start(s->st, cores > 0 ? (int)cores : 1,
			       writer_submit);
	serve_signals(false);
	if (s->result)
		event_base_loopbreak(s->base);
	else
		s->http = true;
}

static enum result_kind serve_replicate(struct serve *s);

/*
 * serve_promote - mq promote: the replica stops following, starts a new
 *	epoch (the history it leads from here on) and takes writes; it
 *	listens for replicas when cluster-listen is set.  Its former
 *	primary's other replicas, pointed at it, resync by snapshot as
 *	their epoch differs.
 */
static void serve_promote(struct serve *s)
{
	uint64_t epoch;

	if (!ops_is_replica()) {
		log_info("promote: this node is a primary already");
		return;
	}
	if (s->replicating)
		replicate_stop();
	s->replicating = false;
	if (store_epoch_start(s->st, &epoch) != STORE_OK) {
		log_error("promote: %s: still a replica", store_errmsg(s->st));
		serve_replicate(s);	/* its failure said by ops_error */
		return;
	}
	ops_promoted();
	log_info("promote: primary of epoch %" PRIu64 ", taking writes; "
		 "set cluster-role: primary for its next start", epoch);
	serve_replicate(s);	/* its failure said by ops_error */
}

/* on_signal - SIGHUP reloads, SIGUSR1 promotes, SIGTERM and SIGINT stop */
static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct serve *s = arg;

	(void)what;
	if (sig == SIGHUP) {
		serve_reload(s, "SIGHUP");
		return;
	}
	if (sig == SIGUSR1) {
		serve_promote(s);
		return;
	}
	log_info("stopping on %s", sig == SIGTERM ? "SIGTERM" : "SIGINT");
	event_base_loopbreak(s->base);
}

/* on_reload_timer - database-ttl seconds after the last load */
static void on_reload_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	serve_reload(arg, "database-ttl");
}

/* on_dkim_timer - dkim-verify-interval after the last check */
static void on_dkim_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	serve_dkim(arg);
}

/* on_housekeeping - every minute: clear stale reader slots */
static void on_housekeeping(evutil_socket_t fd, short what, void *arg)
{
	struct serve *s = arg;
	struct store_stat ss;

	(void)fd;
	(void)what;
	store_stat(s->st, &ss);
}

/* on_sql_idle - each second: the SQL session closes after database-idle */
static void on_sql_idle(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	ops_sql_session_idle();
}

/* on_load_done - a load ended: the next reload, the DKIM check */
static void on_load_done(evutil_socket_t fd, short what, void *arg)
{
	struct serve *s = arg;
	time_t now = mono_now();
	struct timeval ttl = { s->next_load > now ? s->next_load - now : 0, 0 };

	(void)fd;
	(void)what;
	if (s->loading)
		pthread_join(s->load_thread, NULL);
	s->loading = false;
	if (s->sql)
		evtimer_add(s->reload_ev, &ttl);
	/* the API first: it answers from the last statuses while the
	 * check runs */
	if (!s->started)
		serve_open(s);
	if (s->load_ok)
		serve_dkim(s);
	if (s->reload_again) {
		s->reload_again = false;
		serve_reload(s, "asked for during the last one");
	}
}

/* on_dkim_done - the DKIM thread ended: join it, open at start */
static void on_dkim_done(evutil_socket_t fd, short what, void *arg)
{
	struct serve *s = arg;

	(void)fd;
	(void)what;
	pthread_join(s->dkim_thread, NULL);
	s->dkim_running = false;
	s->dkim_state = (struct http_dkim_state){
		.checks = s->dkim_state.checks + 1,
		.last_check_time = (int64_t)time(NULL),
		.keys = s->dkim_tot.keys, .left_out = s->dkim_tot.left_out,
		.kept = s->dkim_tot.kept };
	http_dkim_state_set(&s->dkim_state);
	if (mq_conf.dkim_verify_interval) {
		struct timeval next = { mq_conf.dkim_verify_interval, 0 };

		evtimer_add(s->dkim_ev, &next);
	}
	if (s->dkim_again) {
		s->dkim_again = false;
		serve_dkim(s);
	}
}

/* events_new - the event base and every event of the main thread */
static bool events_new(struct serve *s)
{
	struct timeval every = { HOUSEKEEPING_SECONDS, 0 }, second = { 1, 0 };
	struct event_base *b;

	/* the writer and the DKIM thread activate events of this base */
	if (evthread_use_pthreads() != 0 || !(b = s->base = event_base_new()))
		return false;
	s->sig_term = evsignal_new(b, SIGTERM, on_signal, s);
	s->sig_int = evsignal_new(b, SIGINT, on_signal, s);
	s->sig_hup = evsignal_new(b, SIGHUP, on_signal, s);
	s->sig_usr1 = evsignal_new(b, SIGUSR1, on_signal, s);
	s->reload_ev = evtimer_new(b, on_reload_timer, s);
	s->housekeeping_ev = event_new(b, -1, EV_PERSIST, on_housekeeping, s);
	s->sql_idle_ev = event_new(b, -1, EV_PERSIST, on_sql_idle, s);
	s->load_done_ev = event_new(b, -1, 0, on_load_done, s);
	s->dkim_done_ev = event_new(b, -1, 0, on_dkim_done, s);
	s->dkim_ev = evtimer_new(b, on_dkim_timer, s);
	return s->sig_term && s->sig_int && s->sig_hup && s->sig_usr1 &&
	       s->reload_ev &&
	       s->housekeeping_ev && s->sql_idle_ev && s->load_done_ev &&
	       s->dkim_done_ev && s->dkim_ev &&
	       event_add(s->sig_term, NULL) == 0 &&
	       event_add(s->sig_int, NULL) == 0 &&
	       event_add(s->sig_hup, NULL) == 0 &&
	       event_add(s->sig_usr1, NULL) == 0 &&
	       event_add(s->housekeeping_ev, &every) == 0 &&
	       event_add(s->sql_idle_ev, &second) == 0;
}

/* events_free - after the writer and the DKIM thread have ended */
static void events_free(struct serve *s)
{
	struct event **all[] = { &s->sig_term, &s->sig_int, &s->sig_hup,
				 &s->sig_usr1,
				 &s->reload_ev, &s->housekeeping_ev, &s->sql_idle_ev,
				 &s->load_done_ev, &s->dkim_done_ev, &s->dkim_ev };

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (*all[i]) {
			event_free(*all[i]);
			*all[i] = NULL;
		}
	if (s->base)
		event_base_free(s->base);
	s->base = NULL;
}

/* replication_log - the replication thread's lines into the log */
static void replication_log(bool error, const char *line)
{
	if (error)
		log_warning("%s", line);
	else
		log_info("%s", line);
}

/*
 * serve_replicate - the replication thread: a replica always, a
 *	primary when it listens for replicas (cluster-listen).
 */
static enum result_kind serve_replicate(struct serve *s)
{
	char status[sizeof(mq_conf.store_path) + 16], err[512];
	bool replica = ops_is_replica();
	struct replicate_options o = {
		.st = s->st, .primary = !replica,
		.listen = mq_conf.cluster_listen,
		.primary_addr = mq_conf.cluster_primary,
		.key = mq_conf.cluster_key, .peers = mq_conf.cluster_peers,
		.status_path = status, .log = replication_log,
	};

	if (!replica && !mq_conf.cluster_listen[0])
		return RESULT_OK;
	if (replica && !mq_conf.cluster_primary[0]) {
		ops_error("cluster-role replica needs cluster-primary");
		return RESULT_CONFIG;
	}
	config_cluster_status_path(&mq_conf, status, sizeof(status));
	if (!replicate_start(&o, err, sizeof(err))) {
		ops_error("%s", err);
		return RESULT_CONFIG;
	}
	s->replicating = true;
	return RESULT_OK;
}

/* serve_start - store, event base, writer, then the first load */
static enum result_kind serve_start(struct serve *s)
{
	enum result_kind k = open_store(s);

	if (k)
		return k;
	log_ready(s->st);
	/* a replica never reads SQL: its primary's loads reach it */
	s->sql = mq_conf.database_address[0] != 0 &&
		 mq_conf.cluster_role != CLUSTER_REPLICA;
	s->state.sql = s->sql;
	http_state_set(&s->state);
	if (s->sql && ops_sql_session_start() != RESULT_OK)
		log_warning("sql: no session: each use connects anew");
	/* after --repair-database the load itself finds what is left */
	if (s->sql && s->act == DB_NONE && (k = load_validate()))
		return k;
	if (!s->sql && s->act != DB_NONE)
		log_warning("--repair-database/--purge-database: no "
			    "database-address configured");
	if (!events_new(s)) {
		ops_error("serve: cannot set up the event loop");
		return RESULT_INTERNAL;
	}
	if ((k = writer_start(s->st))) {
		ops_error("serve: cannot start the writer");
		return k;
	}
	/* Lookups never build: a thread brings each version's set. */
	if (store_lookups_builder_start(s->st, NULL, NULL))
		log_warning("lookups: no builder thread (%s): each reader "
			    "builds", store_errmsg(s->st));
	if ((k = serve_replicate(s)))
		return k;
	if (mq_conf.cluster_role == CLUSTER_REPLICA)
		serve_open(s);	/* no load: the primary's data arrives */
	else
		load_submit(s);
	return RESULT_OK;
}

/* serve_stop - answer what is in flight, end the threads, close */
static void serve_stop(struct serve *s)
{
	if (s->http)
		http_stop(HTTP_GRACE_SECONDS);
	if (s->loading)		/* a reload that runs ends first */
		pthread_join(s->load_thread, NULL);
	if (s->dkim_running) {	/* gives up its DNS queries at once */
		dkim_check_stop();
		pthread_join(s->dkim_thread, NULL);
	}
	if (s->replicating)
		replicate_stop();
	writer_stop();
	ops_sql_session_stop();
	events_free(s);
	if (s->st) {
		store_close(s->st);
		log_info("stopped");
	}
	pidfile_release(&s->pid);
}

enum result_kind serve_run(enum db_action act)
{
	struct serve s = { .act = act, .at_start = true, .pid.fd = -1 };
	char path[sizeof(s.pid.path)];
	enum result_kind k;

	/* glibc gives each thread that allocates an arena of its own and
	 * keeps what is freed there: serve's threads (workers, the writer,
	 * the lookup builder, replication) share two instead: 19 MB of
	 * private RSS after http_load.sh's load where it was 31 MB */
	mallopt(M_ARENA_MAX, 2);
	/* and glibc raises its mmap threshold each time a mapped block is
	 * freed, up to 32 MB: the lookup sets' tables, rebuilt on every
	 * write, then come from the heap and leave holes in it.  Fixed at
	 * glibc's default, http_load.sh's load leaves 13-18 MB where it left
	 * 24-32 MB (the more writes, the more) */
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);
	/* blocked until the event base listens: none is lost meanwhile,
	 * and the threads started meanwhile inherit the mask */
	serve_signals(true);
	signal(SIGPIPE, SIG_IGN);	/* a client gone mid-answer */
	config_pid_path(&mq_conf, path, sizeof(path));
	if ((k = pidfile_take(&s.pid, path)))
		return k;
	if ((k = serve_start(&s)) == RESULT_OK) {
		serve_signals(false);
		event_base_dispatch(s.base);
		k = s.result;
	}
	serve_stop(&s);
	return k;
}

pid_t	serve_running_pid(void)
{
	char path[sizeof(mq_conf.store_path) + 8];

	config_pid_path(&mq_conf, path, sizeof(path));
	return pidfile_holder(path);
}
