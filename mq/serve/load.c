/*
 * NAME
 *	load.c - mq serve's loads from SQL, the ips rows, the DKIM check
 * SYNOPSIS
 *	#include "mq/serve/service.h"
 * DESCRIPTION
 *	A load runs on a thread of its own: after --repair-database or
 *	--purge-database when asked, it streams SQL's rows and computes
 *	the difference under a store read transaction (sql_sync_read),
 *	which takes seconds for a big list and holds no lock; only the
 *	difference is applied by the writer (writer.h), as one job, so API
 *	writes wait for the apply at most, never for the network.  At
 *	start the host's addresses go into ips (through SQL when a
 *	database-address is set), also a job of the writer.  A load that
 *	fails is logged and the store keeps the last good data.  Each load
 *	is counted for /health and /metrics.
 *
 *	The DKIM keys are checked against DNS on a thread of their own
 *	(after a good load, a reload, each dkim-verify-interval), so that
 *	DNS never holds up the writer nor the API, which answers from the
 *	last statuses meanwhile: only the statuses found are written, as
 *	one more writer job.
 * DIAGNOSTICS
 *	The logs never hold a password: SQL messages carry the redacted
 *	address.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mq/log.h"
#include "mq/ops/dkim_check.h"
#include "mq/ops/ops.h"
#include "mq/ops/table_write.h"
#include "mq/serve/ips.h"
#include "mq/serve/service.h"
#include "mq/serve/writer.h"

time_t	mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* log_line - sync_print line callback: to the log */
static void log_line(void *ctx, bool warning, const char *text)
{
	(void)ctx;
	if (warning)
		log_warning("load: %s", text);
	else
		log_info("load: %s", text);
}

/* log_ddl - repair/purge callback: log each statement run */
static void log_ddl(void *ctx, const char *statement)
{
	log_info("%s: %s", (const char *)ctx, statement);
}

/* schema_action - --repair-database or --purge-database before a load. */
static int schema_action(struct sql_conn *conn, enum db_action act)
{
	unsigned flags = mq_conf.database_validate ? 0
		: SQL_SCHEMA_KEEP_EXTRA;
	enum sql_rc rc = act == DB_PURGE
		? sql_schema_purge(conn, NULL, 0, log_ddl, "purge-database")
		: sql_schema_repair(conn, NULL, flags, log_ddl,
				    "repair-database");

	if (rc)
		log_error("%s: %s", act == DB_PURGE ? "purge-database"
			  : "repair-database", sql_errmsg(conn));
	return sql_rc_kind(rc);
}

/* log_issue - one validation problem, one log line */
static int log_issue(void *ctx, const struct sql_issue *issue,
		     const char *text)
{
	(void)ctx;
	(void)issue;
	log_error("database-validate: %s", text);
	return 0;
}

enum result_kind load_validate(void)
{
	struct sql_conn *conn = NULL;
	enum result_kind k;
	enum sql_rc rc;
	size_t n = 0;

	if (!mq_conf.database_validate)
		return RESULT_OK;
	if ((k = ops_sql_acquire(&conn))) {
		log_warning("database-validate: cannot reach the database "
			    "(%s): serving the store, loads will retry",
			    result_kind_name(k));
		return RESULT_OK;
	}
	rc = sql_schema_check(conn, NULL, 0, log_issue, NULL, &n);
	ops_sql_release(conn, sql_rc_kind(rc));
	if (rc) {
		log_warning("database-validate: the check failed: serving "
			    "the store, loads will retry");
		return RESULT_OK;
	}
	if (n == 0)
		return RESULT_OK;
	ops_error("database-validate: %zu problem%s in the SQL tables (logged "
		  "above): mq serve does not start; mq repair-database fixes "
		  "them, database-validate: false skips this check", n,
		  n == 1 ? "" : "s");
	return RESULT_BADDATA;	/* the data SQL holds, as MailerQ: 65 */
}

/*
 * warn_defaulted - with database-validate false, the columns SQL lacks
 *	are read as their default: said once, and again only when the set
 *	changes (the loads run one at a time, on the load thread).
 */
static void warn_defaulted(const struct sql_sync_result *res)
{
	static char said[SQL_SYNC_ERR_MAX];

	if (!strcmp(said, res->defaulted))
		return;
	snprintf(said, sizeof(said), "%s", res->defaulted);
	if (*said)
		log_warning("load: database-validate is off: column%s missing "
			    "in SQL, read as the column's default: %s (mq "
			    "repair-database adds them)",
			    strchr(said, ' ') ? "s" : "", said);
}

/* load_state - count a load and tell /health and /metrics about it. */
static void load_state(struct serve *s, bool ok, double seconds)
{
	s->state.loads++;
	s->state.load_failures += !ok;
	s->state.last_load_ok = ok;
	s->state.last_load_time = (int64_t)time(NULL);
	s->state.last_load_seconds = seconds;
	http_state_set(&s->state);
	http_metric_sync(seconds, ok);
}

/* An apply of a load's difference, as a job of the writer. */
struct load_apply {
	struct store_diff *diff;
	struct sql_sync_result *res;
};

/* apply_work - the writer job: the difference into the store */
static int apply_work(struct store *st, void *arg)
{
	struct load_apply *a = arg;

	return sql_sync_apply(st, a->diff, a->res);
}

/* load_sync - read SQL here, apply through the writer */
static int load_sync(struct serve *s, struct sql_conn *conn,
		     struct sql_sync_result *res)
{
	struct load_apply a = { NULL, res };
	struct write_job job = { .work = apply_work, .arg = &a };
	int ex = sql_sync_read(conn, s->st, ops_sync_flags(), res, &a.diff);

	return ex ? ex : writer_call(&job);
}

/* serve_load - make the store equal to SQL; false when it failed. */
static bool serve_load(struct serve *s, enum db_action act)
{
	struct sql_sync_result res = { 0 };
	struct sql_conn *conn = NULL;
	struct timespec t0, t1;
	int ex;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* the session never creates a SQLite file; --repair-database
	 * does, as mq repair-database does */
	if (act == DB_REPAIR && ops_sql_connect(NULL, false, &conn) == 0)
		sql_close(conn);
	ex = ops_sql_acquire(&conn);

	s->next_load = mono_now() + (time_t)mq_conf.database_ttl;
	/* A server already gone fails here, one that goes mid-load below:
	 * either way the log says the last good data stays. */
	if (ex)
		log_error("load from SQL failed, keeping the last good data "
			  "(%s): cannot connect", result_kind_name(ex));
	if (!ex && act != DB_NONE)
		ex = schema_action(conn, act);
	if (!ex) {
		ex = load_sync(s, conn, &res);
		if (ex)
			log_error("load from SQL failed, keeping the last "
				  "good data (%s): %s", result_kind_name(ex),
				  res.err);
		else {
			warn_defaulted(&res);
			ops_sync_print(&res, "from-sql", log_line, NULL);
		}
	}
	sql_sync_result_free(&res);
	ops_sql_release(conn, ex);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	load_state(s, ex == 0, (double)(t1.tv_sec - t0.tv_sec) +
		   (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	return ex == 0;
}

/* ips_through_sql - the host's addresses into ips: one batch, SQL first */
static void ips_through_sql(struct serve *s)
{
	const struct reg_table *t = reg_mailerq_find("ips");
	char (*ips)[IPS_TEXT_MAX] = calloc(IPS_MAX, IPS_TEXT_MAX);
	struct store_assign (*a)[3] = calloc(IPS_MAX, sizeof(*a));
	struct table_set_row *rows = calloc(IPS_MAX, sizeof(*rows));
	char host[256] = "", now[32], err[SQL_SYNC_ERR_MAX];
	time_t tt = time(NULL);
	struct tm tm;
	int n = ips && a && rows ? ips_collect(ips, IPS_MAX) : -1, ex = 0;

	gethostname(host, sizeof(host) - 1);
	gmtime_r(&tt, &tm);
	strftime(now, sizeof(now), "%Y-%m-%d %H:%M:%S", &tm);
	for (int i = 0; i < n; i++) {
		a[i][0] = (struct store_assign){ reg_column_index(t, "ip"),
			{ .kind = SV_TEXT, .s = ips[i], .len = strlen(ips[i]) } };
		a[i][1] = (struct store_assign){ reg_column_index(t, "hostname"),
			{ .kind = SV_TEXT, .s = host, .len = strlen(host) } };
		a[i][2] = (struct store_assign){ reg_column_index(t, "updated"),
			{ .kind = SV_TEXT, .s = now, .len = strlen(now) } };
		rows[i] = (struct table_set_row){ .a = a[i], .n = 3 };
	}
	ops_capture(err, sizeof(err));
	if (n > 0 && (ex = table_write_set(s->st, "ips", rows, (size_t)n)))
		log_warning("ips: %s", err);
	ops_capture_end();
	if (n < 0 || ex)
		log_warning("ips: the host's addresses were not written");
	free(rows);
	free(a);
	free(ips);
}

/* ips_work - the writer job: the host's addresses into ips */
static int ips_work(struct store *st, void *arg)
{
	struct serve *s = arg;

	(void)st;
	if (!s->sql && ips_refresh(s->st) < 0)
		log_warning("ips: the host's addresses were not written");
	else if (s->sql && s->load_ok)
		ips_through_sql(s);
	return RESULT_OK;
}

/* load_run - the load thread: a load, the ips rows at start, then tell */
static void *load_run(void *arg)
{
	struct serve *s = arg;
	struct write_job ips = { .work = ips_work, .arg = s };

	s->load_ok = !s->sql || serve_load(s, s->act);
	if (s->at_start)
		writer_call(&ips);
	s->act = DB_NONE;
	s->at_start = false;
	event_active(s->load_done_ev, EV_TIMEOUT, 0);
	return NULL;
}

void	load_submit(struct serve *s)
{
	int rc;

	s->loading = true;
	serve_signals(true);	/* the signals stay the main thread's */
	rc = pthread_create(&s->load_thread, NULL, load_run, s);
	serve_signals(false);
	if (rc != 0) {
		log_error("load: cannot start a thread: the load did not run");
		s->load_ok = false;
		s->loading = false;
		event_active(s->load_done_ev, EV_TIMEOUT, 0);
	}
}

/* The statuses of one DKIM check, for the writer. */
struct dkim_put {
	const struct dkim_status_rec *recs;
	size_t n;
};

/* dkim_put_work - the writer job: the statuses into the store */
static int dkim_put_work(struct store *st, void *arg)
{
	struct dkim_put *p = arg;
	enum store_rc rc = store_dkim_status_put(st, p->recs, p->n);

	return rc ? ops_store_fail(st, rc) : RESULT_OK;
}

/* dkim_put - dkim_check_all's status writer: through the writer */
static int dkim_put(struct store *st, const struct dkim_status_rec *recs,
		    size_t n, char *err, size_t errlen)
{
	struct dkim_put p = { recs, n };
	struct write_job job = { .work = dkim_put_work, .arg = &p,
				 .err = err, .errlen = errlen };

	(void)st;
	return writer_call(&job) ? -1 : 0;
}

/* dkim_run - the DKIM thread: check the keys, then tell the main thread */
static void *dkim_run(void *arg)
{
	struct serve *s = arg;

	if (dkim_check_all(s->st, mq_conf.database_threads, dkim_put,
			   &s->dkim_tot) < 0)
		log_warning("dkim: the keys were not checked, their last "
			    "statuses stay");
	event_active(s->dkim_done_ev, EV_TIMEOUT, 0);
	return NULL;
}

bool	dkim_thread_start(struct serve *s)
{
	int rc;

	/* the thread and the c-ares threads it starts leave the signals
	 * to the main thread's event base */
	serve_signals(true);
	rc = pthread_create(&s->dkim_thread, NULL, dkim_run, s);
	serve_signals(false);
	if (rc != 0) {
		log_warning("dkim: cannot start a thread: the keys were not "
			    "checked");
		return false;
	}
	s->dkim_running = true;
	return true;
}
