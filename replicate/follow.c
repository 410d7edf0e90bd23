/*
 * NAME
 *	follow.c - the replica side: follow the primary, apply, install
 * DESCRIPTION
 *	Connects to cluster-primary (again after 0.25 s, doubling up to
 *	5 s, whenever the link is lost), authenticates, says where its
 *	store stands (hello) and applies what comes: the transactions
 *	that arrived together (in one read: many when it is behind) in
 *	one store transaction, so one sync, each record still logged
 *	under its own transaction's sequence (store_apply_changes), or a
 *	snapshot received into a temporary
 *	file beside the store, fsynced, verified in a child process and
 *	installed into the live store (store_snapshot_install).  A link
 *	lost mid-snapshot removes the temporary file; the store keeps
 *	serving what it had.  A transaction that cannot be applied makes
 *	the next hello ask for a snapshot.  A link silent for SILENCE_MAX_S
 *	seconds (the primary pings each second) is given up.
 * DIAGNOSTICS
 *	Through repl_log.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>

#include <event2/bufferevent_ssl.h>

#include "replicate/link.h"

#define BACKOFF_FIRST_MS 250
#define BACKOFF_MAX_MS	5000
#define PENDING_MAX	(1ull << 30)	/* one transaction's records */
#define SILENCE_MAX_S	10	/* the primary pings each second */

static bool resync_asked;	/* the next hello asks for a snapshot */

static void on_retry(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	follow_connect(arg);
}

/* retry_later - connect again after the backoff, which doubles */
static void retry_later(struct repl *r)
{
	struct timeval tv;

	if (!r->backoff_ms)
		r->backoff_ms = BACKOFF_FIRST_MS;
	tv.tv_sec = r->backoff_ms / 1000;
	tv.tv_usec = (r->backoff_ms % 1000) * 1000;
	if (!r->retry_ev)
		r->retry_ev = evtimer_new(r->base, on_retry, r);
	if (r->retry_ev)
		evtimer_add(r->retry_ev, &tv);
	r->backoff_ms = r->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS
		: r->backoff_ms * 2;
}

bool	follow_start(struct repl *r, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	int sslen = sizeof(ss);

	/* snapshots a killed replica was receiving */
	store_stale_temps_remove(store_path(r->o.st), ".repl-recv.");
	if (evutil_parse_sockaddr_port(r->o.primary_addr,
				       (struct sockaddr *)&ss, &sslen) == 0)
		return true;
	snprintf(err, errlen, "cluster-primary: %s is not a numeric IP:PORT "
		 "(replication resolves no host names)", r->o.primary_addr);
	return false;
}

void	follow_connect(struct repl *r)
{
	struct sockaddr_storage ss;
	int sslen = sizeof(ss);
	SSL *ssl;
	struct bufferevent *bev = NULL;
	struct link *l;

	/* follow_start made sure it parses */
	evutil_parse_sockaddr_port(r->o.primary_addr, (struct sockaddr *)&ss,
				   &sslen);
	if ((ssl = SSL_new(r->ctx)))
		bev = bufferevent_openssl_socket_new(r->base, -1, ssl,
			BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE);
	if (!bev) {
		SSL_free(ssl);
		retry_later(r);
		return;
	}
	if (!(l = link_new(r, bev, ssl, false, r->o.primary_addr))) {
		bufferevent_free(bev);
		retry_later(r);
		return;
	}
	/* a link that stalls (a dropping middlebox) is given up */
	bufferevent_set_timeouts(bev, &(struct timeval){ SILENCE_MAX_S, 0 },
				 NULL);
	if (bufferevent_socket_connect(bev, (struct sockaddr *)&ss,
				       sslen) != 0)
		link_close(l);	/* follow_link_free retries */
}

void	follow_authed(struct link *l)
{
	struct repl *r = l->r;
	struct store_meta m;
	uint8_t hello[HELLO_LEN] = { 0 };

	repl_store_meta(r, &m);
	if (!resync_asked)
		memcpy(hello, m.uuid, 16);
	be64_put(hello + 16, m.epoch);
	be64_put(hello + 24, m.seq);
	hello[32] = r->o.primary;
	link_send(l, F_HELLO, 0, m.seq, hello, sizeof(hello));
	l->state = L_STREAM;
	r->backoff_ms = 0;
	r->connected_at = repl_now_ms();
	repl_status_refresh(r);
}

/*
 * The group: whole transactions received and not yet applied, each a
 * segment of seq (8), length (4) and its records, then the open
 * transaction's segment (at open_at) while its frames come in.  The
 * group is applied in one store transaction when the input holds no
 * more whole frames, before any other kind of frame, or when it
 * reaches GROUP_MAX: a replica that falls behind catches up at one
 * sync per group instead of one per transaction.
 */
#define SEGMENT_HEAD	12
#define GROUP_MAX	(8u << 20)

struct records {
	const uint8_t *p;
	size_t len, off;	/* off: the next segment */
	uint64_t seq;		/* the current segment's */
	size_t rec, end;	/* its next record, its end */
};

static size_t segment_len(const uint8_t *seg)
{
	const uint8_t *p = seg + 8;

	return (size_t)p[0] << 24 | (size_t)p[1] << 16 | (size_t)p[2] << 8 |
	       p[3];
}

static void segment_len_put(uint8_t *seg, size_t len)
{
	for (int i = 0; i < 4; i++)
		seg[8 + i] = (uint8_t)(len >> (24 - 8 * i));
}

static int next_record(void *arg, bool first, struct store_change *c)
{
	struct records *rs = arg;
	int more;

	if (first)
		rs->off = rs->rec = rs->end = 0;
	while (rs->rec == rs->end) {
		if (rs->off == rs->len)
			return 0;
		rs->seq = be64_get(rs->p + rs->off);
		rs->rec = rs->off + SEGMENT_HEAD;
		rs->end = rs->rec + segment_len(rs->p + rs->off);
		rs->off = rs->end;
	}
	more = record_next(rs->p, rs->end, &rs->rec, c);
	if (more > 0)
		c->seq = rs->seq;
	return more;
}
/* primary_at - the primary's sequence, as a frame told it */
static void primary_at(struct repl *r, uint64_t seq)
{
	pthread_mutex_lock(&r->lock);
	if (seq > r->status.primary_sequence)
		r->status.primary_sequence = seq;
	pthread_mutex_unlock(&r->lock);
}

/* group_room - room for n more bytes in the group */
static bool group_room(struct link *l, size_t n)
{
	size_t cap;
	uint8_t *p;

	if (l->npending + n <= l->cappending)
		return true;
	cap = 2 * (l->npending + n);
	if (!(p = realloc(l->pending, cap)))
		return false;
	l->pending = p;
	l->cappending = cap;
	return true;
}

/*
 * follow_flush - apply the group's whole transactions in one store
 *	transaction and acknowledge the last; false when the link is
 *	refused (the next hello asks for a snapshot).
 */
bool	follow_flush(struct link *l)
{
	size_t whole = l->open_at == PENDING_NONE ? l->npending : l->open_at;
	struct records rs = { .p = l->pending, .len = whole };
	uint64_t seq = l->group_seq;

	if (!seq)
		return true;
	if (store_apply_changes(l->r->o.st, seq, next_record, &rs)) {
		resync_asked = true;
		link_refuse(l, "transaction %llu does not apply (%s): asking "
			    "for a snapshot", (unsigned long long)seq,
			    store_errmsg(l->r->o.st));
		return false;
	}
	memmove(l->pending, l->pending + whole, l->npending - whole);
	l->npending -= whole;
	if (l->open_at != PENDING_NONE)
		l->open_at = 0;
	l->group_seq = 0;
	link_send(l, F_ACK, 0, seq, NULL, 0);
	return true;
}

/* open_txn - start the segment of transaction seq */
static bool open_txn(struct link *l, uint64_t seq)
{
	if (!group_room(l, SEGMENT_HEAD))
		return false;
	l->open_at = l->npending;
	l->pending_seq = seq;
	be64_put(l->pending + l->npending, seq);
	segment_len_put(l->pending + l->npending, 0);
	l->npending += SEGMENT_HEAD;
	return true;
}

static void on_changes(struct link *l, const struct frame *f)
{
	struct store_meta own;
	size_t len;

	if (!l->claimed) {	/* a stream continues the replica's history */
		repl_store_meta(l->r, &own);
		if (!claim_check(l, &own))
			return;
		l->claimed = true;
	}

	if (l->open_at != PENDING_NONE && f->seq != l->pending_seq) {
		link_refuse(l, "sequence %llu in the middle of %llu",
			    (unsigned long long)f->seq,
			    (unsigned long long)l->pending_seq);
		return;
	}
	if (f->seq <= l->group_seq) {
		link_refuse(l, "sequence %llu after %llu",
			    (unsigned long long)f->seq,
			    (unsigned long long)l->group_seq);
		return;
	}
	if (l->open_at == PENDING_NONE && !open_txn(l, f->seq)) {
		link_refuse(l, "out of memory");
		return;
	}
	len = l->npending - l->open_at - SEGMENT_HEAD + f->len;
	if (len > PENDING_MAX) {
		link_refuse(l, "a transaction larger than %llu bytes",
			    PENDING_MAX);
		return;
	}
	if (!group_room(l, f->len)) {
		link_refuse(l, "out of memory");
		return;
	}
	memcpy(l->pending + l->npending, f->payload, f->len);
	l->npending += f->len;
	segment_len_put(l->pending + l->open_at, len);
	if (f->flags & FRAME_MORE)
		return;
	l->open_at = PENDING_NONE;
	l->group_seq = f->seq;
	primary_at(l->r, f->seq);
	if (l->npending >= GROUP_MAX)
		follow_flush(l);
}

/*
 * snap_clock_read - the clocks that tell a loaded machine from mq's own
 *	cost: this thread's CPU time, and its time spent runnable but
 *	waiting for a CPU (the second figure of /proc/thread-self/schedstat;
 *	0 where the kernel keeps no such figure); what is neither is I/O.
 */
static void snap_clock_read(struct snap_clock *c)
{
	struct timespec ts;
	struct rusage ru;
	unsigned long long run, wait = 0;
	FILE *f = fopen("/proc/thread-self/schedstat", "r");

	if (f) {
		if (fscanf(f, "%llu %llu", &run, &wait) != 2)
			wait = 0;
		fclose(f);
	}
	c->wall_ms = repl_now_ms();
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	c->cpu_ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	c->wait_ms = wait / 1000000;
	getrusage(RUSAGE_CHILDREN, &ru);
	c->child_ms = (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000
		+ (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000;
}

static void snap_begin(struct link *l, const struct frame *f)
{
	const char *path = store_path(l->r->o.st);
	struct store_meta offered = { .epoch = be64_get(f->payload + 16) };

	if (l->snap_fd >= 0) {
		link_refuse(l, "a snapshot inside a snapshot");
		return;
	}
	memcpy(offered.uuid, f->payload, sizeof(offered.uuid));
	if (!claim_check(l, &offered))
		return;
	l->claimed = true;
	store_stale_temps_remove(path, ".repl-recv.");
	snprintf(l->snap_path, sizeof(l->snap_path), "%s.repl-recv.%ld",
		 path, (long)getpid());
	l->snap_fd = open(l->snap_path, O_WRONLY | O_CREAT | O_TRUNC |
			  O_CLOEXEC, 0600);
	if (l->snap_fd < 0) {
		link_refuse(l, "%s: cannot create: %s", l->snap_path,
			    strerror(errno));
		return;
	}
	l->snap_seq = f->seq;
	l->snap_bytes = 0;
	snap_clock_read(&l->snap_begun);
	l->state = L_SNAPSHOT;
	primary_at(l->r, f->seq);
	repl_log(l->r, false, "replication: receiving a snapshot at sequence "
		 "%llu (%llu bytes)", (unsigned long long)f->seq,
		 (unsigned long long)be64_get(f->payload + 32));
}

static void snap_data(struct link *l, const struct frame *f)
{
	size_t done = 0;
	ssize_t n;

	while (done < f->len) {
		n = write(l->snap_fd, f->payload + done, f->len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			link_refuse(l, "%s: cannot write: %s", l->snap_path,
				    strerror(errno));
			return;
		}
		done += (size_t)n;
	}
	l->snap_bytes += f->len;
}

/*
 * silence_timer_restart - a long install kept the loop from reading;
 *	the base's cached time is the one from before it, so update it
 *	first, or the timer restarts already expired
 */
static void silence_timer_restart(struct link *l)
{
	event_base_update_cache_time(l->r->base);
	bufferevent_set_timeouts(l->bev, &(struct timeval){ SILENCE_MAX_S,
				 0 }, NULL);
}

/* snap_step - one step's figures, from clock a to clock b, for the log */
static void snap_step(char *out, size_t len, const char *what,
		      const struct snap_clock *a, const struct snap_clock *b)
{
	snprintf(out, len, "%s in %llu ms (%llu on the CPU, %llu waiting for "
		 "one", what, (unsigned long long)(b->wall_ms - a->wall_ms),
		 (unsigned long long)(b->cpu_ms - a->cpu_ms),
		 (unsigned long long)(b->wait_ms - a->wait_ms));
	if (b->child_ms > a->child_ms)
		snprintf(out + strlen(out), len - strlen(out), "; the "
			 "verifier's CPU %llu ms", (unsigned long long)
			 (b->child_ms - a->child_ms));
	snprintf(out + strlen(out), len - strlen(out), ")");
}

/* snap_installed - log the install with where each step's time went */
static void snap_installed(struct link *l, uint64_t seq,
			   const struct snap_clock at[4])
{
	char rx[128], sync[128], ver[160], ins[128];

	snap_step(rx, sizeof(rx), "received", &l->snap_begun, &at[0]);
	snap_step(sync, sizeof(sync), "fsynced", &at[0], &at[1]);
	snap_step(ver, sizeof(ver), "verified", &at[1], &at[2]);
	snap_step(ins, sizeof(ins), "installed", &at[2], &at[3]);
	repl_log(l->r, false, "replication: snapshot at sequence %llu "
		 "installed (%llu bytes: %s, %s, %s, %s)",
		 (unsigned long long)seq, (unsigned long long)l->snap_bytes,
		 rx, sync, ver, ins);
}

/*
 * snap_end - fsync, verify in a child, install into the live store;
 *	the log line says how long each step took, and how much of it on
 *	the CPU (bench/replication.sh)
 */
static void snap_end(struct link *l)
{
	struct store_meta m;
	struct snap_clock at[4];	/* received, fsynced, verified, installed */
	char err[512] = "";
	bool ok;
	int rc;

	snap_clock_read(&at[0]);
	rc = fsync(l->snap_fd);
	close(l->snap_fd);
	l->snap_fd = -1;
	snap_clock_read(&at[1]);
	ok = rc == 0 && store_verify_file(l->snap_path, NULL, err,
					  sizeof(err)) == STORE_OK;
	snap_clock_read(&at[2]);
	if (!ok || store_file_meta(l->snap_path, &m) != STORE_OK ||
	    m.seq != l->snap_seq ||
	    store_snapshot_install(l->r->o.st, l->snap_path) != STORE_OK) {
		link_refuse(l, "the snapshot does not verify or install: %s",
			    *err ? err : store_errmsg(l->r->o.st));
		return;
	}
	snap_clock_read(&at[3]);
	silence_timer_restart(l);
	unlink(l->snap_path);
	l->snap_path[0] = 0;
	resync_asked = false;
	l->state = L_STREAM;
	pthread_mutex_lock(&l->r->lock);
	l->r->status.snapshots++;
	pthread_mutex_unlock(&l->r->lock);
	snap_installed(l, m.seq, at);
	link_send(l, F_ACK, 0, m.seq, NULL, 0);
}

void	follow_frame(struct link *l, const struct frame *f)
{
	bool snap = l->state == L_SNAPSHOT;

	if (f->type != F_CHANGES && !follow_flush(l))
		return;
	if (f->type == F_PING && !snap)
		primary_at(l->r, f->seq);
	else if (f->type == F_CHANGES && !snap)
		on_changes(l, f);
	else if (f->type == F_SNAP_BEGIN && !snap && !l->npending)
		snap_begin(l, f);
	else if (f->type == F_SNAP_DATA && snap && f->seq == l->snap_seq)
		snap_data(l, f);
	else if (f->type == F_SNAP_END && snap && f->seq == l->snap_seq)
		snap_end(l);
	else
		link_refuse(l, "an unexpected frame (type %u)", f->type);
}

void	follow_link_free(struct link *l)
{
	struct repl *r = l->r;

	if (l->snap_fd >= 0)
		close(l->snap_fd);
	if (l->snap_path[0]) {
		unlink(l->snap_path);
		repl_log(r, true, "replication: snapshot cut off: %s removed, "
			 "the store keeps its contents", l->snap_path);
	}
	if (r->connected_at)
		r->lost_at = repl_now_ms();
	r->connected_at = 0;
	repl_status_refresh(r);
	if (event_base_got_break(r->base) == 0)
		retry_later(r);
}
