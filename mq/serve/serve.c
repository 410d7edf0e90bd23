/*
 * NAME
 *	cmd_serve.c - mq serve: keep the store loaded from SQL and serve it
 * SYNOPSIS
 *	mq serve [--repair-database | --purge-database]
 * DESCRIPTION
 *	Opens (creating it if need be) the configured store and writes its
 *	pid to <store-path>.pid (mode 0600; mq reload reads it).  With a
 *	database-address, it repairs or purges the SQL tables when asked,
 *	then loads the store from SQL (sql_sync_from), and loads again
 *	every database-ttl seconds, on SIGHUP and on mq reload.  A load
 *	that fails is logged and the store keeps the last good data; the
 *	next one is tried at the next tick.  After each good load the DKIM
 *	keys are checked against DNS.  Every minute stale reader slots of
 *	dead processes are cleared.
 *
 *	Unless www-port is 0, the HTTP API (http.h) runs on one worker
 *	thread per core; this thread keeps the signals and the timers.
 *	SIGTERM and SIGINT stop it cleanly: requests in flight are
 *	answered (up to HTTP_GRACE_SECONDS), then the store is closed.
 *
 *	The service is one struct serve and four steps (start, load, tick,
 *	stop) driven here by sigtimedwait; an event loop (HTTP) can drive
 *	the same steps from its timers and signal events.
 * DIAGNOSTICS
 *	Exit 0 after SIGTERM/SIGINT; 64 usage or another serve running on
 *	the store; 70 when the store or the pid file cannot be opened.
 *	The logs never hold a password: SQL messages carry the redacted
 *	address.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mq/cli/cli.h"
#include "mq/ops/dkim_check.h"
#include "mq/http/http.h"
#include "mq/serve/ips.h"
#include "mq/log.h"
#include "mq/ops/ops.h"
#include "mq/ops/table_write.h"

#define HOUSEKEEPING_SECONDS 60
#define HTTP_GRACE_SECONDS 10	/* for requests in flight at SIGTERM */

enum db_action { DB_NONE, DB_REPAIR, DB_PURGE };

struct serve {
	struct store *st;
	char pidfile[sizeof(mq_conf.store_path) + 8];
	bool sql;		/* database-address set: SQL authoritative */
	time_t next_load;	/* monotonic seconds */
	time_t next_housekeeping;
	struct http_state state;	/* what /health and /metrics show */
	bool http;			/* the HTTP workers run */
};

static const char serve_usage[] =
	"usage: mq serve [--config FILE] [--repair-database | --purge-database]\n"
	"Open the store (store-path, default ./var/mq.mdb; created mode 0600\n"
	"if missing) and serve it until SIGTERM or SIGINT.  With\n"
	"database-address set, load it from SQL at start and every\n"
	"database-ttl seconds, on SIGHUP and on 'mq reload'; a failed load\n"
	"keeps the last good data.  --repair-database creates missing SQL\n"
	"tables and columns first; --purge-database drops and recreates them.\n"
	"The HTTP API and console listen on www-ip:www-port (default\n"
	"127.0.0.1:8485; www-port 0 turns them off); writes need the\n"
	"www-token as 'Authorization: Bearer TOKEN'.  See docs/http.md.\n";

/* mono_now - seconds on the monotonic clock */
static time_t mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* pid_write - the pid file; refused while another serve is alive. */
static int pid_write(struct serve *s)
{
	char buf[32];
	long other = 0;
	int fd, n;
	FILE *f;

	config_pid_path(&mq_conf, s->pidfile, sizeof(s->pidfile));
	if ((f = fopen(s->pidfile, "r"))) {
		if (fscanf(f, "%ld", &other) != 1)
			other = 0;
		fclose(f);
	}
	if (other > 1 && other != (long)getpid() &&
	    (kill((pid_t)other, 0) == 0 || errno == EPERM)) {
		cli_error("%s: mq serve runs already as pid %ld", s->pidfile,
			  other);
		return EXIT_USAGE;
	}
	fd = open(s->pidfile, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (fd < 0 || write(fd, buf, (size_t)n) != n || fsync(fd) != 0) {
		cli_error("%s: %s", s->pidfile, strerror(errno));
		if (fd >= 0)
			close(fd);
		return EXIT_SOFTWARE;
	}
	fchmod(fd, 0600);
	close(fd);
	return 0;
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

/* log_line - sync_print line callback: to the log */
static void log_line(void *ctx, const char *text)
{
	(void)ctx;
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
		? sql_schema_purge(conn, NULL, log_ddl, "purge-database")
		: sql_schema_repair(conn, NULL, flags, log_ddl,
				    "repair-database");

	if (rc)
		log_error("%s: %s", act == DB_PURGE ? "purge-database"
			  : "repair-database", sql_errmsg(conn));
	return sql_rc_kind(rc);
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

/* serve_load - make the store equal to SQL; false when it failed. */
static bool serve_load(struct serve *s, enum db_action act)
{
	struct sql_sync_result res = { 0 };
	struct sql_conn *conn = NULL;
	struct timespec t0, t1;
	int ex;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	ex = ops_sql_connect(NULL, &conn);

	s->next_load = mono_now() + (time_t)mq_conf.database_ttl;
	/* A server already gone fails here, one that goes mid-load below:
	 * either way the log says the last good data stays. */
	if (ex)
		log_error("load from SQL failed, keeping the last good data "
			  "(%s): cannot connect", result_kind_name(ex));
	if (!ex && act != DB_NONE)
		ex = schema_action(conn, act);
	if (!ex) {
		ex = sql_sync_from(conn, s->st, ops_sync_flags(), &res);
		if (ex)
			log_error("load from SQL failed, keeping the last "
				  "good data (%s): %s", result_kind_name(ex),
				  res.err);
		else
			ops_sync_print(&res, "from-sql", log_line, NULL);
	}
	sql_sync_result_free(&res);
	sql_close(conn);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	load_state(s, ex == 0, (double)(t1.tv_sec - t0.tv_sec) +
		   (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	return ex == 0;
}

/* serve_after_load - work that follows each good load. */
static void serve_after_load(struct serve *s)
{
	if (dkim_check_all(s->st, mq_conf.database_threads) < 0)
		log_warning("dkim: the keys were not checked");
}

/* serve_reload - a load on SIGHUP, mq reload or the ttl. */
static void serve_reload(struct serve *s, const char *why)
{
	if (!s->sql) {
		log_info("reload: no database-address configured, the store "
			 "is authoritative: nothing to reload");
		return;
	}
	log_info("reload (%s)", why);
	if (serve_load(s, DB_NONE))
		serve_after_load(s);
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
		rows[i] = (struct table_set_row){ a[i], 3, 0 };
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

/* serve_http - the HTTP workers, one per core. */
static int serve_http(struct serve *s)
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	int ex = http_start(s->st, cores > 0 ? (int)cores : 1);

	if (ex) {
		store_close(s->st);
		unlink(s->pidfile);
		return ex;
	}
	s->http = true;
	return 0;
}

/* serve_start - pid file, store, first load, the HTTP workers. */
static int serve_start(struct serve *s, enum db_action act)
{
	int ex = pid_write(s);
	bool loaded;

	if (ex)
		return ex;
	/* The HTTP workers read while loads write: the map must not move. */
	if (!(s->st = cli_open_store(STORE_MAP_RESERVE, &ex))) {
		unlink(s->pidfile);
		return ex;
	}
	log_ready(s->st);
	s->sql = mq_conf.database_address[0] != 0;
	s->state.sql = s->sql;
	http_state_set(&s->state);
	s->next_housekeeping = mono_now() + HOUSEKEEPING_SECONDS;
	if (!s->sql && act != DB_NONE)
		log_warning("--repair-database/--purge-database: no "
			    "database-address configured");
	loaded = !s->sql || serve_load(s, act);
	if (!s->sql && ips_refresh(s->st) < 0)
		log_warning("ips: the host's addresses were not written");
	else if (s->sql && loaded)
		ips_through_sql(s);
	if (loaded)
		serve_after_load(s);
	return mq_conf.www_port ? serve_http(s) : 0;
}

/* serve_tick - the timers: reload after database-ttl, housekeeping. */
static void serve_tick(struct serve *s)
{
	struct store_stat ss;
	time_t now = mono_now();

	if (s->sql && now >= s->next_load)
		serve_reload(s, "database-ttl");
	if (now >= s->next_housekeeping) {
		store_stat(s->st, &ss);	/* clears stale readers */
		s->next_housekeeping = now + HOUSEKEEPING_SECONDS;
	}
}

static void serve_stop(struct serve *s)
{
	if (s->http)
		http_stop(HTTP_GRACE_SECONDS);
	store_close(s->st);
	unlink(s->pidfile);
	log_info("stopped");
}

/* wait_for_stop - signals and timers until SIGTERM or SIGINT. */
static void wait_for_stop(struct serve *s, const sigset_t *set)
{
	for (;;) {
		time_t now = mono_now(), next = s->next_housekeeping;
		struct timespec wait = { 0, 0 };
		int sig;

		if (s->sql && s->next_load < next)
			next = s->next_load;
		wait.tv_sec = next > now ? next - now : 0;
		if (wait.tv_sec == 0)
			wait.tv_nsec = 1000000;
		sig = sigtimedwait(set, NULL, &wait);
		if (sig == SIGTERM || sig == SIGINT) {
			log_info("stopping on %s", sig == SIGTERM ? "SIGTERM"
				 : "SIGINT");
			return;
		}
		if (sig == SIGHUP)
			serve_reload(s, "SIGHUP");
		serve_tick(s);
	}
}

int cmd_serve(int argc, char **argv)
{
	struct serve s = { 0 };
	enum db_action act = DB_NONE;
	sigset_t set;
	int ex;

	if (cli_help(argc, argv, serve_usage))
		return 0;
	if (argc == 2 && strcmp(argv[1], "--repair-database") == 0)
		act = DB_REPAIR;
	else if (argc == 2 && strcmp(argv[1], "--purge-database") == 0)
		act = DB_PURGE;
	else if (argc != 1)
		return cli_usage(serve_usage);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	/* blocked before any thread starts, so only sigtimedwait sees them */
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);	/* a client gone mid-answer */
	if ((ex = serve_start(&s, act)))
		return ex;
	wait_for_stop(&s, &set);
	serve_stop(&s);
	return 0;
}
