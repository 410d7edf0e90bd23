/*
 * NAME
 *	primary.c - the primary side: accept replicas, send them the log
 * DESCRIPTION
 *	After a replica's hello (uuid, epoch, sequence): when the uuid and
 *	epoch are this store's, the sequence is not ahead of it and the
 *	log still holds every change after it, the change log is sent
 *	from there, one CHANGES frame per transaction (split with
 *	FRAME_MORE past LINK_BATCH bytes); otherwise, or when an overflow
 *	record comes up, a compacted snapshot, then the log after it.
 *	Sending pauses while LINK_HIGH bytes wait for the replica and goes
 *	on when they drained (the write callback).  New commits by any
 *	process wake the thread through store_watch_open(): no polling.
 * DIAGNOSTICS
 *	Refusals and snapshot failures through repl_log.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/bufferevent_ssl.h>

#include "replicate/link.h"

static void snapshot_start(struct link *l);

/* The log being read into frames for one link. */
struct pump {
	struct link *l;
	uint64_t cur;		/* the sequence being gathered, 0: none */
	uint8_t *buf;
	size_t len, cap;
	bool resync, full, failed;
};

static bool pump_flush(struct pump *p, uint8_t flags)
{
	bool ok = link_send(p->l, F_CHANGES, flags, p->cur, p->buf, p->len);

	p->len = 0;
	return ok;
}

static bool pump_add(struct pump *p, const struct store_change *c)
{
	size_t n = record_size(c);

	if (p->len + n > p->cap) {
		size_t cap = p->len + n > 2 * p->cap ? p->len + n : 2 * p->cap;
		uint8_t *b = realloc(p->buf, cap);

		if (!b)
			return false;
		p->buf = b;
		p->cap = cap;
	}
	record_encode(c, p->buf + p->len);
	p->len += n;
	return true;
}

static int pump_record(const struct store_change *c, void *arg)
{
	struct pump *p = arg;

	if (c->op == STORE_CHANGE_OVERFLOW) {
		p->resync = true;
		return 1;
	}
	if (c->seq != p->cur && p->cur) {
		if (!pump_flush(p, 0))
			return p->failed = true;
		p->l->sent = p->cur;
		p->cur = 0;
		if (link_queued(p->l) > LINK_HIGH)
			return p->full = true;
	}
	p->cur = c->seq;
	if (p->len >= LINK_BATCH && !pump_flush(p, FRAME_MORE))
		return p->failed = true;
	if (record_size(c) > FRAME_MAX || !pump_add(p, c))
		return p->failed = true;
	return 0;
}

/* pump - send the log after l->sent, until LINK_HIGH bytes wait */
static void pump(struct link *l)
{
	struct pump p = { .l = l };
	struct store_txn *txn;
	enum store_rc rc;

	if (l->state != L_STREAM || link_queued(l) > LINK_HIGH)
		return;
	if ((rc = store_read_begin(l->r->o.st, &txn)) == STORE_OK) {
		rc = store_changes_after(txn, l->sent, pump_record, &p);
		store_read_end(txn);
	}
	if (rc == STORE_OK && p.cur && !p.resync && !p.failed) {
		if (pump_flush(&p, 0))
			l->sent = p.cur;
		else
			p.failed = true;
	}
	free(p.buf);
	if (p.failed || (rc && rc != STORE_NOTFOUND)) {
		link_refuse(l, "cannot send the change log: %s",
			    rc ? store_errmsg(l->r->o.st) : "no memory");
		return;
	}
	if (rc == STORE_NOTFOUND || p.resync)
		snapshot_start(l);
}

/* snapshot_pump - send the snapshot's next chunks, then its end */
static void snapshot_pump(struct link *l)
{
	static uint8_t chunk[SNAP_CHUNK];	/* the thread's only */
	ssize_t n;

	while (link_queued(l) <= LINK_HIGH) {
		n = read(l->snap_fd, chunk, sizeof(chunk));
		if (n < 0) {
			link_refuse(l, "reading the snapshot: %s",
				    strerror(errno));
			return;
		}
		if (n > 0) {
			link_send(l, F_SNAP_DATA, 0, l->snap_seq, chunk,
				  (size_t)n);
			continue;
		}
		close(l->snap_fd);
		l->snap_fd = -1;
		link_send(l, F_SNAP_END, 0, l->snap_seq, NULL, 0);
		l->sent = l->snap_seq;
		l->state = L_STREAM;
		pump(l);
		return;
	}
}

/* snapshot_file - a compacted copy, opened and already unlinked */
static int snapshot_file(struct link *l, struct store_meta *m)
{
	struct repl *r = l->r;
	char path[4200];
	int fd;

	snprintf(path, sizeof(path), "%s.repl-send.%ld-%u",
		 store_path(r->o.st), (long)getpid(), r->snap_counter++);
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	if (store_snapshot_write(r->o.st, fd) != STORE_OK ||
	    store_file_meta(path, m) != STORE_OK ||
	    lseek(fd, 0, SEEK_SET) != 0) {
		close(fd);
		fd = -1;
	}
	unlink(path);
	return fd;
}

static void snapshot_start(struct link *l)
{
	struct store_meta m;
	struct stat sb;
	uint8_t begin[SNAP_BEGIN_LEN];

	if ((l->snap_fd = snapshot_file(l, &m)) < 0 ||
	    fstat(l->snap_fd, &sb) != 0) {
		link_refuse(l, "cannot make a snapshot: %s",
			    store_errmsg(l->r->o.st));
		return;
	}
	memcpy(begin, m.uuid, 16);
	be64_put(begin + 16, m.epoch);
	be64_put(begin + 24, m.seq);
	be64_put(begin + 32, (uint64_t)sb.st_size);
	l->snap_seq = m.seq;
	l->state = L_SNAPSHOT;
	repl_log(l->r, false, "replication: peer %s: sending a snapshot at "
		 "sequence %llu (%lld bytes)", l->peer,
		 (unsigned long long)m.seq, (long long)sb.st_size);
	pthread_mutex_lock(&l->r->lock);
	l->r->status.snapshots++;
	pthread_mutex_unlock(&l->r->lock);
	link_send(l, F_SNAP_BEGIN, 0, m.seq, begin, sizeof(begin));
	snapshot_pump(l);
}

/* can_stream - may the replica at (uuid, epoch, seq) follow the log? */
static bool can_stream(struct link *l, const struct store_meta *own,
		       const uint8_t *uuid, uint64_t epoch, uint64_t seq)
{
	struct store_txn *txn;
	uint64_t oldest = UINT64_MAX;

	if (memcmp(uuid, own->uuid, 16) || epoch != own->epoch ||
	    seq > own->seq)
		return false;
	if (store_read_begin(l->r->o.st, &txn) == STORE_OK) {
		store_changes_oldest(txn, &oldest);
		store_read_end(txn);
	}
	return seq + 1 >= oldest;
}

static void on_hello(struct link *l, const struct frame *f)
{
	struct store_meta own;
	const uint8_t *p = f->payload;
	uint64_t epoch = be64_get(p + 16), seq = be64_get(p + 24);

	repl_store_meta(l->r, &own);
	if (p[32] == 1 && !memcmp(p, own.uuid, 16) && epoch == own.epoch) {
		link_refuse(l, "it claims to be primary of this store at the "
			    "same epoch %llu: two primaries, none followed",
			    (unsigned long long)epoch);
		return;
	}
	if (can_stream(l, &own, p, epoch, seq)) {
		repl_log(l->r, false, "replication: peer %s follows from "
			 "sequence %llu", l->peer, (unsigned long long)seq);
		l->sent = seq;
		l->state = L_STREAM;
		pump(l);
	} else
		snapshot_start(l);
}

void	primary_frame(struct link *l, const struct frame *f)
{
	if (l->state == L_HELLO && f->type == F_HELLO)
		on_hello(l, f);
	else if (l->state >= L_SNAPSHOT && f->type == F_ACK)
		l->acked = f->seq;	/* for the status file */
	else
		link_refuse(l, "an unexpected frame (type %u)", f->type);
}

void	primary_writable(struct link *l)
{
	if (l->state == L_SNAPSHOT)
		snapshot_pump(l);
	else
		pump(l);
}

void	primary_wake(struct repl *r)
{
	for (struct link *l = r->links, *next; l; l = next) {
		next = l->next;
		pump(l);
	}
}

void	primary_tick(struct repl *r)
{
	struct store_meta m;

	repl_store_meta(r, &m);
	for (struct link *l = r->links; l; l = l->next)
		if (l->state == L_STREAM)
			link_send(l, F_PING, 0, m.seq, NULL, 0);
	primary_wake(r);
}

void	primary_link_free(struct link *l)
{
	if (l->snap_fd >= 0)
		close(l->snap_fd);
}

/*
 * LMDB publishes a commit's transaction id in the lock file (a store to
 * shared memory, which inotify does not see) just after writing the
 * meta page that woke us: a reader woken by that write may still see
 * the transaction before.  So a wake is followed by a few re-reads,
 * 1, 2, 4, 8 and 16 ms later, stopping as soon as the sequence moved.
 */
#define RECHECKS 5

static uint64_t store_seq_now(struct repl *r)
{
	struct store_meta m;

	repl_store_meta(r, &m);
	return m.seq;
}

static void recheck_arm(struct repl *r)
{
	struct timeval tv = { 0, 1000 << r->rechecks };

	evtimer_add(r->recheck_ev, &tv);
}

static void on_recheck(evutil_socket_t fd, short what, void *arg)
{
	struct repl *r = arg;

	(void)fd;
	(void)what;
	primary_wake(r);
	if (store_seq_now(r) == r->woken_seq && ++r->rechecks < RECHECKS)
		recheck_arm(r);
}

static void on_commit(evutil_socket_t fd, short what, void *arg)
{
	struct repl *r = arg;

	(void)what;
	store_watch_drain(fd);
	r->woken_seq = store_seq_now(r);
	primary_wake(r);
	r->rechecks = 0;
	recheck_arm(r);
}

static void on_accept(struct evconnlistener *lev, evutil_socket_t fd,
		      struct sockaddr *sa, int salen, void *arg)
{
	struct repl *r = arg;
	char peer[80] = "?";
	SSL *ssl = SSL_new(r->ctx);
	struct bufferevent *bev = ssl ? bufferevent_openssl_socket_new(
		evconnlistener_get_base(lev), fd, ssl,
		BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE) : NULL;

	(void)salen;
	repl_addr_format(sa, peer, sizeof(peer));
	if (!bev) {
		SSL_free(ssl);
		evutil_closesocket(fd);
		return;
	}
	if (!link_new(r, bev, ssl, true, peer))
		bufferevent_free(bev);
}

bool	primary_start(struct repl *r, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	int sslen = sizeof(ss);

	if (!r->o.listen || !*r->o.listen)
		return true;
	/* copies a killed primary left behind */
	store_stale_temps_remove(store_path(r->o.st), ".repl-send.");
	if (evutil_parse_sockaddr_port(r->o.listen, (struct sockaddr *)&ss,
				       &sslen) != 0) {
		snprintf(err, errlen, "cluster-listen: %s is not IP:PORT",
			 r->o.listen);
		return false;
	}
	r->listener = evconnlistener_new_bind(r->base, on_accept, r,
		LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE |
		LEV_OPT_CLOSE_ON_EXEC, 64, (struct sockaddr *)&ss, sslen);
	if (!r->listener) {
		snprintf(err, errlen, "cluster-listen %s: cannot listen: %s",
			 r->o.listen, strerror(errno));
		return false;
	}
	if (!(r->recheck_ev = evtimer_new(r->base, on_recheck, r)) ||
	    (r->watch_fd = store_watch_open(r->o.st)) < 0 ||
	    !(r->watch_ev = event_new(r->base, r->watch_fd,
				      EV_READ | EV_PERSIST, on_commit, r)) ||
	    event_add(r->watch_ev, NULL) != 0) {
		snprintf(err, errlen, "replication: cannot watch the store: "
			 "%s", strerror(errno));
		return false;
	}
	return true;
}
