/*
 * NAME
 *	http_metrics.c - /metrics (Prometheus text) and /health
 * DESCRIPTION
 *	Counters are relaxed atomics bumped by the workers as requests
 *	finish; nothing on the request path takes a lock.  The load state
 *	(last reload time and result) is set by mq serve's main thread
 *	under a mutex and read here.
 *
 *	/health answers 200 when the store is open and sound (its meta
 *	pages are read with pread on every request, so a file cut short
 *	under mq serve is seen without reading the map) and either no SQL
 *	is configured or the last load from it succeeded, 503 otherwise;
 *	on a replica also 503 once it has been disconnected from its
 *	primary longer than cluster-max-lag.  /metrics adds mq_cluster_*
 *	figures when replication runs (replicate_status).
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>

#include "mq/config.h"
#include "mq/ops/ops.h"
#include "mq/http/server.h"
#include "replicate/replicate.h"

/* Lookups are counted by kind (store/lookup.h's list), then "other". */
#define NKINDS (LOOKUP_KINDS + 1)

/* kind_name - the name lookup counter k is shown under */
static const char *kind_name(size_t k)
{
	return k < LOOKUP_KINDS ? lookup_kinds[k].name : "other";
}

/* latency bucket bounds in seconds; the last bucket is +Inf */
static const double bounds[] = {
	0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
	0.025, 0.05, 0.1, 0.25, 1, 5
};
#define NBOUNDS (sizeof(bounds) / sizeof(bounds[0]))

static struct {
	_Atomic uint64_t requests[ROUTE_COUNT][6];	/* by code / 100 */
	_Atomic uint64_t lookups[NKINDS];
	_Atomic uint64_t latency[NBOUNDS + 1];
	_Atomic uint64_t latency_ns_sum;
	_Atomic int64_t inflight;
	_Atomic uint64_t syncs, sync_failures, sync_ns_sum;
} m;

static pthread_mutex_t state_lock = PTHREAD_MUTEX_INITIALIZER;
static struct http_state state;
static struct http_dkim_state dkim_state;

#define INC(x) atomic_fetch_add_explicit(&(x), 1, memory_order_relaxed)
#define ADD(x, n) atomic_fetch_add_explicit(&(x), (n), memory_order_relaxed)
#define GET(x) atomic_load_explicit(&(x), memory_order_relaxed)

void	http_metrics_request(int route, int code, const char *lookup_kind,
			     uint64_t ns)
{
	int cls = code / 100;
	size_t b = 0;

	INC(m.requests[route][cls >= 1 && cls <= 5 ? cls : 0]);
	if (lookup_kind) {
		const struct lookup_kind *k = lookup_kind_find(lookup_kind);

		INC(m.lookups[k ? k->id : LOOKUP_KINDS]);
	}
	while (b < NBOUNDS && (double)ns > bounds[b] * 1e9)
		b++;
	INC(m.latency[b]);
	ADD(m.latency_ns_sum, ns);
}

void	http_metrics_inflight(int delta)
{
	ADD(m.inflight, delta);
}

void	http_metric_sync(double seconds, bool ok)
{
	INC(m.syncs);
	if (!ok)
		INC(m.sync_failures);
	ADD(m.sync_ns_sum, (uint64_t)(seconds * 1e9));
}

void	http_state_set(const struct http_state *s)
{
	pthread_mutex_lock(&state_lock);
	state = *s;
	pthread_mutex_unlock(&state_lock);
}

void	http_state_get(struct http_state *s)
{
	pthread_mutex_lock(&state_lock);
	*s = state;
	pthread_mutex_unlock(&state_lock);
}

void	http_dkim_state_set(const struct http_dkim_state *d)
{
	pthread_mutex_lock(&state_lock);
	dkim_state = *d;
	pthread_mutex_unlock(&state_lock);
}

/* dkim_state_get - a copy of what the last http_dkim_state_set gave */
static void dkim_state_get(struct http_dkim_state *d)
{
	pthread_mutex_lock(&state_lock);
	*d = dkim_state;
	pthread_mutex_unlock(&state_lock);
}

/* dkim_check_word - /health's dkim_check: a check running is no failure */
static const char *dkim_check_word(const struct http_dkim_state *d)
{
	if (d->checking)
		return "dkim check in progress";
	return d->checks ? "done" : "none yet";
}

/* store_figures - the store's sequence and file figures; *h its health */
static bool store_figures(struct store *st, struct store_meta *meta,
			  struct store_stat *ss, struct store_health *h)
{
	struct store_txn *txn;
	enum store_rc rc;

	store_file_check(st, NULL);
	store_health_get(st, h);
	if (h->damaged)
		return false;
	rc = store_read_begin(st, &txn);

	if (rc == STORE_OK) {
		rc = store_meta_get(txn, meta);
		store_read_end(txn);
	}
	return rc == STORE_OK && store_stat(st, ss) == STORE_OK;
}

/* replica_lost - a replica away from its primary past cluster-max-lag? */
static bool replica_lost(const struct replicate_status *rs)
{
	return rs->running && !rs->primary &&
	       rs->disconnected_ms > (uint64_t)mq_conf.cluster_max_lag * 1000;
}

void	http_health_handle(struct http_req *r)
{
	struct replicate_status rs;
	struct http_state s;
	struct http_dkim_state d;
	struct store_meta meta;
	struct store_stat ss;
	struct store_health h;
	bool store_ok = store_figures(r->st, &meta, &ss, &h), ok;
	char uuid[37] = "";

	if (r->method != HTTP_GET && r->method != HTTP_HEAD) {
		http_method_not_allowed(r, "GET, HEAD");
		return;
	}
	http_state_get(&s);
	dkim_state_get(&d);
	replicate_status(&rs);
	ok = store_ok && !h.nospace && (!s.sql || s.last_load_ok) &&
	     !replica_lost(&rs);
	if (store_ok)
		store_uuid_format(meta.uuid, uuid);
	http_reply_json(r, ok ? 200 : 503, json_pack(
		"{s:s, s:s, s:b, s:s?, s:s?, s:I, s:s, s:I, s:I, s:b, s:o, s:I, "
		"s:f, s:I, s:I, s:s, s:I, s:I, s:I}",
		"status", ok ? "ok" : "unavailable",
		"store", store_path(r->st), "store_ok", store_ok,
		"store_damaged", h.damaged ? h.damage : NULL,
		"write_nospace", h.nospace ? h.nospace_why : NULL,
		"write_nospace_failures", (json_int_t)h.nospace_total,
		"uuid", uuid,
		"sequence", (json_int_t)(store_ok ? meta.seq : 0),
		"epoch", (json_int_t)(store_ok ? meta.epoch : 0),
		/* No SQL configured: no load to have failed or succeeded. */
		"sql", s.sql, "last_load_ok",
		s.sql ? json_boolean(s.last_load_ok) : json_null(),
		"last_load_time", (json_int_t)s.last_load_time,
		"last_load_seconds", s.last_load_seconds,
		"loads", (json_int_t)s.loads,
		"load_failures", (json_int_t)s.load_failures,
		"dkim_check", dkim_check_word(&d),
		"dkim_keys_left_out", (json_int_t)d.left_out,
		"dkim_keys_kept", (json_int_t)d.kept,
		"cluster_disconnected_ms", (json_int_t)rs.disconnected_ms));
}

/* put_requests - mq_http_requests_total by route and code class */
static void put_requests(struct evbuffer *b)
{
	static const char *const cls[6] = { "other", "1xx", "2xx", "3xx",
					    "4xx", "5xx" };

	evbuffer_add_printf(b, "# HELP mq_http_requests_total HTTP requests "
			    "answered, by route and status class.\n"
			    "# TYPE mq_http_requests_total counter\n");
	for (int rt = 0; rt < ROUTE_COUNT; rt++)
		for (int c = 0; c < 6; c++)
			if (GET(m.requests[rt][c]) || c == 2)
				evbuffer_add_printf(b, "mq_http_requests_total"
					"{route=\"%s\",code=\"%s\"} %" PRIu64
					"\n", http_route_name(rt), cls[c],
					GET(m.requests[rt][c]));
	evbuffer_add_printf(b, "# HELP mq_http_requests_in_flight Requests "
			    "being answered.\n# TYPE mq_http_requests_in_flight"
			    " gauge\nmq_http_requests_in_flight %" PRId64 "\n",
			    GET(m.inflight));
	evbuffer_add_printf(b, "# HELP mq_lookups_total Lookups answered over "
			    "HTTP, by kind.\n# TYPE mq_lookups_total counter\n");
	for (size_t k = 0; k < NKINDS; k++)
		evbuffer_add_printf(b, "mq_lookups_total{kind=\"%s\"} %" PRIu64
				    "\n", kind_name(k), GET(m.lookups[k]));
}

/* put_latency - the request latency histogram */
static void put_latency(struct evbuffer *b)
{
	uint64_t cum = 0;

	evbuffer_add_printf(b, "# HELP mq_http_request_duration_seconds Time "
			    "from request to answer.\n# TYPE mq_http_request_"
			    "duration_seconds histogram\n");
	for (size_t i = 0; i <= NBOUNDS; i++) {
		cum += GET(m.latency[i]);
		if (i < NBOUNDS)
			evbuffer_add_printf(b, "mq_http_request_duration_"
					    "seconds_bucket{le=\"%g\"} %" PRIu64
					    "\n", bounds[i], cum);
		else
			evbuffer_add_printf(b, "mq_http_request_duration_"
					    "seconds_bucket{le=\"+Inf\"} %"
					    PRIu64 "\n", cum);
	}
	evbuffer_add_printf(b, "mq_http_request_duration_seconds_sum %.9f\n"
			    "mq_http_request_duration_seconds_count %" PRIu64
			    "\n", (double)GET(m.latency_ns_sum) / 1e9, cum);
}

/* gauge - one HELP/TYPE/value triple */
static void gauge(struct evbuffer *b, const char *name, const char *type,
		  const char *help, double v)
{
	evbuffer_add_printf(b, "# HELP %s %s\n# TYPE %s %s\n%s %.17g\n", name,
			    help, name, type, name, v);
}

/* put_dkim - the DKIM checks: running, and what the last one found */
static void put_dkim(struct evbuffer *b)
{
	struct http_dkim_state d;

	dkim_state_get(&d);
	gauge(b, "mq_dkim_check_running", "gauge", "1 while a DKIM check "
	      "runs.", d.checking);
	gauge(b, "mq_dkim_checks_total", "counter", "DKIM checks finished.",
	      (double)d.checks);
	gauge(b, "mq_dkim_last_check_timestamp_seconds", "gauge", "When the "
	      "last DKIM check ended (unix time).", (double)d.last_check_time);
	gauge(b, "mq_dkim_keys_left_out", "gauge", "DKIM keys the last check "
	      "left out of dkim().", (double)d.left_out);
	gauge(b, "mq_dkim_keys_kept", "gauge", "DKIM keys verified before and "
	      "kept in use through a DNS failure at the last check.",
	      (double)d.kept);
}

/* put_lookup_sets - what the lookup builder did (store/lookup_builder.c) */
static void put_lookup_sets(struct evbuffer *b, struct store *st)
{
	struct lookup_stats ls;

	store_lookups_stats(st, &ls);
	gauge(b, "mq_lookup_sets_total", "counter", "Lookup sets built and "
	      "swapped in.", (double)ls.sets);
	evbuffer_add_printf(b, "# HELP mq_lookup_parts_built_total Parts of "
			    "lookup sets built, by part.\n# TYPE "
			    "mq_lookup_parts_built_total counter\n");
	for (int p = 0; p < LOOKUP_PARTS; p++)
		evbuffer_add_printf(b, "mq_lookup_parts_built_total{part=\"%s\""
				    "} %" PRIu64 "\n", lookup_part_name(p),
				    ls.part_builds[p]);
	evbuffer_add_printf(b, "# HELP mq_lookup_part_build_cpu_seconds_total "
			    "CPU time of the parts built, by part.\n# TYPE "
			    "mq_lookup_part_build_cpu_seconds_total counter\n");
	for (int p = 0; p < LOOKUP_PARTS; p++)
		evbuffer_add_printf(b, "mq_lookup_part_build_cpu_seconds_total"
				    "{part=\"%s\"} %.6f\n", lookup_part_name(p),
				    ls.part_cpu_us[p] / 1e6);
	gauge(b, "mq_lookup_capacity_incremental_total", "counter", "Capacity "
	      "parts built over an older one, for what changed since.",
	      (double)ls.capacity_incremental);
	gauge(b, "mq_lookup_set_build_seconds_last", "gauge", "Time the last "
	      "lookup set took to build.", ls.last_build_us / 1e6);
	gauge(b, "mq_lookup_set_build_seconds_max", "gauge", "The longest "
	      "lookup set build.", ls.max_build_us / 1e6);
	gauge(b, "mq_lookup_set_build_cpu_seconds_max", "gauge", "The most "
	      "CPU time a lookup set build took.", ls.max_build_cpu_us / 1e6);
	gauge(b, "mq_lookup_set_build_failures_total", "counter", "Lookup set "
	      "builds that failed (the lookups kept the last set).",
	      (double)ls.failures);
}

/* put_store - the store's size, sequence, readers and the loads */
static void put_store(struct evbuffer *b, struct store *st)
{
	struct store_meta meta;
	struct store_stat ss;
	struct store_health h;
	struct http_state s;

	if (store_figures(st, &meta, &ss, &h)) {
		gauge(b, "mq_store_file_bytes", "gauge", "Size of the store "
		      "file.", (double)ss.file_size);
		gauge(b, "mq_store_map_bytes", "gauge", "Size of the store's "
		      "memory map.", (double)ss.map_size);
		gauge(b, "mq_store_sequence", "gauge", "The store's change "
		      "sequence.", (double)meta.seq);
		gauge(b, "mq_store_readers", "gauge", "Reader slots in use.",
		      (double)ss.num_readers);
		gauge(b, "mq_store_readers_max", "gauge", "Reader slots.",
		      (double)ss.max_readers);
	}
	gauge(b, "mq_store_damaged", "gauge", "1 when the store file is found "
	      "damaged.", h.damaged);
	gauge(b, "mq_store_write_nospace", "gauge", "1 while the last write "
	      "failed for lack of room (disk full, store-max-size).",
	      h.nospace);
	gauge(b, "mq_store_write_nospace_total", "counter", "Writes that "
	      "failed for lack of room.", (double)h.nospace_total);
	http_state_get(&s);
	gauge(b, "mq_sql_configured", "gauge", "1 when a database-address is "
	      "set.", s.sql);
	gauge(b, "mq_last_reload_timestamp_seconds", "gauge", "When the last "
	      "load from SQL ended (unix time).", (double)s.last_load_time);
	gauge(b, "mq_last_reload_success", "gauge", "1 when the last load "
	      "from SQL succeeded.", s.last_load_ok);
	gauge(b, "mq_reloads_total", "counter", "Loads from SQL.",
	      (double)s.loads);
	gauge(b, "mq_reload_failures_total", "counter", "Loads from SQL that "
	      "failed.", (double)s.load_failures);
	gauge(b, "mq_last_sync_duration_seconds", "gauge", "Duration of the "
	      "last load from SQL.", s.last_load_seconds);
	put_dkim(b);
	evbuffer_add_printf(b, "# HELP mq_sync_duration_seconds Loads from SQL"
			    ".\n# TYPE mq_sync_duration_seconds summary\n"
			    "mq_sync_duration_seconds_sum %.9f\n"
			    "mq_sync_duration_seconds_count %" PRIu64 "\n",
			    (double)GET(m.sync_ns_sum) / 1e9, GET(m.syncs));
}

/* put_cluster - the replication's figures, when it runs */
static void put_cluster(struct evbuffer *b)
{
	struct replicate_status rs;

	replicate_status(&rs);
	if (!rs.running)
		return;
	gauge(b, "mq_cluster_primary", "gauge", "1 on a primary, 0 on a "
	      "replica.", rs.primary);
	gauge(b, "mq_cluster_connected", "gauge", "Replica: 1 while "
	      "authenticated to its primary.", rs.connected);
	gauge(b, "mq_cluster_replicas", "gauge", "Primary: replicas "
	      "following it.", rs.replicas);
	gauge(b, "mq_cluster_primary_sequence", "gauge", "Replica: the "
	      "primary's sequence, as last told.", (double)rs.primary_sequence);
	gauge(b, "mq_cluster_lag_records", "gauge", "Replica: sequences "
	      "behind its primary.", (double)(rs.primary_sequence > rs.sequence
	      ? rs.primary_sequence - rs.sequence : 0));
	gauge(b, "mq_cluster_lag_seconds", "gauge", "Replica: time since it "
	      "was last caught up.", (double)rs.lag_ms / 1e3);
	gauge(b, "mq_cluster_disconnected_seconds", "gauge", "Replica: time "
	      "since it lost its primary (0 while connected).",
	      (double)rs.disconnected_ms / 1e3);
	gauge(b, "mq_cluster_snapshots_total", "counter", "Snapshots sent "
	      "(primary) or installed (replica).", (double)rs.snapshots);
	gauge(b, "mq_cluster_refused_total", "counter", "Peers refused.",
	      (double)rs.refused);
}

void	http_metrics_handle(struct http_req *r)
{
	struct evbuffer *b;
	size_t len;

	if (r->method != HTTP_GET && r->method != HTTP_HEAD) {
		http_method_not_allowed(r, "GET, HEAD");
		return;
	}
	if (!(b = evbuffer_new())) {
		http_reply_error(r, 500, "out of memory");
		return;
	}
	put_requests(b);
	put_latency(b);
	put_store(b, r->st);
	put_lookup_sets(b, r->st);
	put_cluster(b);
	len = evbuffer_get_length(b);
	http_reply_text(r, 200, "text/plain; version=0.0.4",
			evbuffer_pullup(b, -1), len);
	evbuffer_free(b);
}
