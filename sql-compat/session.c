/*
 * NAME
 *	session.c - one database connection kept between uses, with backoff
 * SYNOPSIS
 *	#include "sql-compat/sql.h"
 *
 *	struct sql_session *s = sql_session_new(addr, 60);
 *
 *	if ((rc = sql_session_get(s, &conn, err, sizeof err)) == SQL_OK) {
 *		rc = ... statements on conn ...;
 *		sql_session_put(s, conn, rc);
 *	}
 *	sql_session_idle(s);		(from a timer)
 *	sql_session_free(s);
 * DESCRIPTION
 *	See sql.h.  One mutex guards the kept connection and the down
 *	state; it is never held across a connect, a ping or a close, so a
 *	caller that fails fast never waits behind one that connects.
 *
 *	A probe of a server marked down runs on a thread of its own: a
 *	server that drops packets holds the probe for the whole connect
 *	timeout, and no caller should wait that long.  The caller that
 *	starts it waits SQL_SESSION_PROBE_WAIT_MS at most; a probe that
 *	succeeds later leaves its connection kept for the next get.
 *	Times are on the monotonic clock.
 *
 *	The session connects with sql_connect_existing(): a load or a
 *	write-through of mq serve never creates a missing SQLite file
 *	(mq sync --to-sql and repair-database do), so a deleted file is an
 *	outage mq serve keeps serving the store through.
 * DIAGNOSTICS
 *	The messages are sql_connect_existing()'s, and while the server is marked
 *	down "database unreachable (retrying in N s): REASON" ("retrying
 *	now" while a probe runs), REASON being the last failure's message
 *	(address redacted).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "sql-compat/sql.h"

struct sql_session {
	pthread_mutex_t lock;
	pthread_cond_t probed;	/* a probe ended */
	struct sql_address *addr;
	long long idle_ms;	/* idle_seconds in milliseconds */
	struct sql_conn *kept;	/* the idle connection, or NULL */
	long long kept_since;	/* when kept was put back */
	long long down_until;	/* 0: not marked down */
	long long backoff_ms;	/* the last wait; 0 after a success */
	bool	probing;	/* probe_tid connects now */
	bool	joinable;	/* probe_tid has not been joined */
	pthread_t probe_tid;
	char	reason[SQL_ERRMSG_SIZE];	/* the last failure */
};

/* session_now_ms - the monotonic clock in milliseconds */
static long long session_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* sql_session_new - see sql.h */
struct sql_session *sql_session_new(const struct sql_address *addr,
				    unsigned idle_seconds)
{
	struct sql_session *s = calloc(1, sizeof(*s));
	pthread_condattr_t ca;

	if (s == NULL || (s->addr = sql_address_dup(addr)) == NULL) {
		free(s);
		return NULL;
	}
	pthread_mutex_init(&s->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->probed, &ca);
	pthread_condattr_destroy(&ca);
	s->idle_ms = (long long) idle_seconds * 1000;
	return s;
}

/*
 * session_mark_down - (lock held) the server failed with reason: wait
 *	the next backoff step before anyone connects again.  SQLite has
 *	no server to wait for.  Returns the kept connection, which is
 *	likely dead too, for the caller to close outside the lock.
 */
static struct sql_conn *session_mark_down(struct sql_session *s,
					  const char *reason)
{
	struct sql_conn *dead = s->kept;

	s->kept = NULL;
	snprintf(s->reason, sizeof(s->reason), "%s", *reason ? reason
		 : "the connection failed");
	if (s->addr->engine == SQL_ENGINE_SQLITE)
		return dead;
	s->backoff_ms = s->backoff_ms ? 2 * s->backoff_ms
		: SQL_SESSION_BACKOFF_MIN_MS;
	if (s->backoff_ms > SQL_SESSION_BACKOFF_MAX_MS)
		s->backoff_ms = SQL_SESSION_BACKOFF_MAX_MS;
	s->down_until = session_now_ms() + s->backoff_ms;
	return dead;
}

/*
 * session_outcome - (lock held) what a connect says about the server:
 *	SQL_TEMPFAIL marks it down; an answer, even a refusal of the
 *	credentials, ends the backoff.  Returns a connection to close.
 */
static struct sql_conn *session_outcome(struct sql_session *s,
					enum sql_rc rc, const char *why)
{
	if (rc == SQL_TEMPFAIL)
		return session_mark_down(s, why);
	if (rc != SQL_INTERNAL)
		s->down_until = s->backoff_ms = 0;
	return NULL;
}

/* session_probe - thread: connect once; keep the connection when it works */
static void *session_probe(void *arg)
{
	struct sql_session *s = arg;
	struct sql_conn *conn = NULL, *dead;
	char	why[SQL_ERRMSG_SIZE];
	enum sql_rc rc = sql_connect_existing(s->addr, &conn, why, sizeof(why));

	pthread_mutex_lock(&s->lock);
	dead = session_outcome(s, rc, why);
	if (conn && s->kept == NULL) {
		s->kept = conn;
		s->kept_since = session_now_ms();
		conn = NULL;
	}
	s->probing = false;
	pthread_cond_broadcast(&s->probed);
	pthread_mutex_unlock(&s->lock);
	sql_close(dead);
	sql_close(conn);
	return NULL;
}

/*
 * session_probe_start - (lock held) start a probe unless one runs; false
 *	when no thread could be had (the caller then connects itself)
 */
static bool session_probe_start(struct sql_session *s)
{
	if (s->probing)
		return true;
	if (s->joinable)	/* it has ended: probing is false */
		pthread_join(s->probe_tid, NULL);
	s->joinable = pthread_create(&s->probe_tid, NULL, session_probe, s) == 0;
	s->probing = s->joinable;
	return s->joinable;
}

/* session_probe_wait - (lock held) until the probe ends or wait_ms pass */
static void session_probe_wait(struct sql_session *s, long long wait_ms)
{
	long long deadline = session_now_ms() + wait_ms;
	struct timespec ts = {deadline / 1000, deadline % 1000 * 1000000};

	while (s->probing && session_now_ms() < deadline)
		pthread_cond_timedwait(&s->probed, &s->lock, &ts);
}

/*
 * session_down - (lock held) while the server is marked down: true with
 *	the message, at once, except for the caller whose turn it is to
 *	probe, which waits up to SQL_SESSION_PROBE_WAIT_MS for the answer.
 *	False when the caller may go on (not down, recovered, or no probe
 *	thread could be had: connect yourself).
 */
static bool session_down(struct sql_session *s, char *errbuf, size_t errlen)
{
	long long left;

	if (s->down_until == 0)
		return false;
	left = s->down_until - session_now_ms();
	if (left <= 0 && !s->probing) {
		if (!session_probe_start(s))
			return false;
		session_probe_wait(s, SQL_SESSION_PROBE_WAIT_MS);
		if (s->down_until == 0)
			return false;
		left = s->down_until - session_now_ms();
	}
	if (errbuf && errlen && !s->probing && left > 0)
		snprintf(errbuf, errlen, "database unreachable (retrying in "
			 "%.1f s): %s", (double) left / 1000, s->reason);
	else if (errbuf && errlen)
		snprintf(errbuf, errlen, "database unreachable (retrying "
			 "now): %s", s->reason);
	return true;
}

/* session_take_kept - the kept connection if it still answers, else NULL */
static struct sql_conn *session_take_kept(struct sql_session *s)
{
	struct sql_conn *conn;

	pthread_mutex_lock(&s->lock);
	conn = s->kept;
	s->kept = NULL;
	pthread_mutex_unlock(&s->lock);
	if (conn && sql_ping(conn) != SQL_OK) {
		sql_close(conn);	/* the server closed it: connect anew */
		conn = NULL;
	}
	return conn;
}

/* session_connect - a new connection; the outcome ends or starts a wait */
static enum sql_rc session_connect(struct sql_session *s,
				   struct sql_conn **conn, char *errbuf,
				   size_t errlen)
{
	char	why[SQL_ERRMSG_SIZE];
	struct sql_conn *dead;
	enum sql_rc rc = sql_connect_existing(s->addr, conn, why, sizeof(why));

	pthread_mutex_lock(&s->lock);
	dead = session_outcome(s, rc, why);
	pthread_mutex_unlock(&s->lock);
	sql_close(dead);
	if (rc != SQL_OK && errbuf && errlen)
		snprintf(errbuf, errlen, "%s", why);
	return rc;
}

/* sql_session_get - see sql.h */
enum sql_rc sql_session_get(struct sql_session *s, struct sql_conn **conn,
			    char *errbuf, size_t errlen)
{
	bool	down;

	*conn = NULL;
	pthread_mutex_lock(&s->lock);
	down = session_down(s, errbuf, errlen);
	pthread_mutex_unlock(&s->lock);
	if (down)
		return SQL_TEMPFAIL;
	if ((*conn = session_take_kept(s)) != NULL)
		return SQL_OK;
	return session_connect(s, conn, errbuf, errlen);
}

/* sql_session_put - see sql.h */
void	sql_session_put(struct sql_session *s, struct sql_conn *conn,
			enum sql_rc last_rc)
{
	struct sql_conn *close1 = NULL, *close2 = NULL;

	if (conn == NULL)
		return;
	pthread_mutex_lock(&s->lock);
	if (last_rc == SQL_TEMPFAIL) {
		close1 = session_mark_down(s, sql_errmsg(conn));
		close2 = conn;
	} else if (last_rc == SQL_INTERNAL || s->kept || s->idle_ms == 0) {
		close2 = conn;
	} else {
		s->kept = conn;
		s->kept_since = session_now_ms();
	}
	pthread_mutex_unlock(&s->lock);
	sql_close(close1);
	sql_close(close2);
}

/* sql_session_idle - see sql.h */
bool	sql_session_idle(struct sql_session *s)
{
	struct sql_conn *idle = NULL;

	pthread_mutex_lock(&s->lock);
	if (s->kept && session_now_ms() - s->kept_since >= s->idle_ms) {
		idle = s->kept;
		s->kept = NULL;
	}
	pthread_mutex_unlock(&s->lock);
	sql_close(idle);
	return idle != NULL;
}

/* sql_session_free - see sql.h; waits for a probe that still runs */
void	sql_session_free(struct sql_session *s)
{
	if (s == NULL)
		return;
	pthread_mutex_lock(&s->lock);
	while (s->probing)
		pthread_cond_wait(&s->probed, &s->lock);
	pthread_mutex_unlock(&s->lock);
	if (s->joinable)
		pthread_join(s->probe_tid, NULL);
	sql_close(s->kept);
	sql_address_free(s->addr);
	pthread_cond_destroy(&s->probed);
	pthread_mutex_destroy(&s->lock);
	free(s);
}
