/*
 * NAME
 *	resolve.c - host names to numeric addresses, without glibc's NSS
 * SYNOPSIS
 *	#include "sql-compat/sql.h"
 *
 *	enum sql_rc sql_resolve(const char *host, int timeout, char *addr,
 *				size_t addrlen, char *errbuf, size_t errlen);
 * DESCRIPTION
 *	The static mq cannot use getaddrinfo() for names: glibc's NSS
 *	loads shared libraries at run time, which an empty container does
 *	not have.  So the SQL client libraries only ever see numeric
 *	addresses, and names are looked up here with c-ares, which reads
 *	/etc/hosts and /etc/resolv.conf itself.
 *
 *	"localhost" is 127.0.0.1 with no lookup at all, so it works where
 *	there is no /etc/hosts.  When a name has both IPv4 and IPv6
 *	addresses the first IPv4 one wins, as database servers are most
 *	often bound to IPv4 only.
 *
 *	The lookup waits at most timeout seconds, with poll(), so a large
 *	file descriptor number (mq serve) is fine.
 * DIAGNOSTICS
 *	SQL_CONFIG when the name does not exist, SQL_TEMPFAIL when DNS
 *	fails or times out, SQL_INTERNAL when c-ares cannot start.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <ares.h>

#include "sql-compat/sql.h"

/* The answer of one lookup, filled in by resolve_done(). */
struct resolve_state {
	int	done;
	int	status;
	char	addr[INET6_ADDRSTRLEN];
};

static pthread_once_t resolve_once = PTHREAD_ONCE_INIT;
static int resolve_init_status;

static void resolve_library_init(void)
{
	resolve_init_status = ares_library_init(ARES_LIB_INIT_ALL);
}

/* resolve_numeric - copy host when it is an IPv4 or IPv6 address */
static int resolve_numeric(const char *host, char *addr, size_t addrlen)
{
	unsigned char buf[sizeof(struct in6_addr)];

	if (inet_pton(AF_INET, host, buf) != 1
	    && inet_pton(AF_INET6, host, buf) != 1)
		return 0;
	snprintf(addr, addrlen, "%s", host);
	return 1;
}

/* resolve_done - c-ares callback: keep the first IPv4, else the first */
static void resolve_done(void *arg, int status, int timeouts,
			 struct ares_addrinfo *res)
{
	struct resolve_state *st = arg;
	struct ares_addrinfo_node *n, *pick = NULL;

	(void) timeouts;
	st->done = 1;
	st->status = status;
	for (n = res ? res->nodes : NULL; n; n = n->ai_next)
		if (pick == NULL || (n->ai_family == AF_INET
				     && pick->ai_family != AF_INET))
			pick = n;
	if (status == ARES_SUCCESS && pick == NULL)
		st->status = ARES_ENODATA;
	if (pick && pick->ai_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *) pick->ai_addr)->sin_addr,
			  st->addr, sizeof(st->addr));
	else if (pick)
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *) pick->ai_addr)->sin6_addr,
			  st->addr, sizeof(st->addr));
	if (res)
		ares_freeaddrinfo(res);
}

/* resolve_now_ms - a monotonic clock in milliseconds */
static long long resolve_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* resolve_wait - drive the channel until the answer or the deadline */
static void resolve_wait(ares_channel ch, struct resolve_state *st,
			 long long deadline)
{
	while (!st->done) {
		ares_socket_t socks[ARES_GETSOCK_MAXNUM];
		struct pollfd pfd[ARES_GETSOCK_MAXNUM];
		int	bits = ares_getsock(ch, socks, ARES_GETSOCK_MAXNUM);
		nfds_t	n = 0;
		long long left = deadline - resolve_now_ms();
		struct timeval tv, buf, *tvp;

		if (left <= 0) {
			ares_cancel(ch);	/* calls resolve_done */
			break;
		}
		for (int i = 0; i < ARES_GETSOCK_MAXNUM; i++) {
			short	ev = (short) ((ARES_GETSOCK_READABLE(bits, i) ? POLLIN : 0)
					  | (ARES_GETSOCK_WRITABLE(bits, i) ? POLLOUT : 0));

			if (ev)
				pfd[n++] = (struct pollfd) {.fd = socks[i], .events = ev};
		}
		tv = (struct timeval) {.tv_sec = left / 1000,
				       .tv_usec = (left % 1000) * 1000};
		tvp = ares_timeout(ch, &tv, &buf);
		if (poll(pfd, n, (int) (tvp->tv_sec * 1000 + tvp->tv_usec / 1000)) <= 0) {
			ares_process_fd(ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
			continue;
		}
		for (nfds_t i = 0; i < n; i++)
			if (pfd[i].revents)
				ares_process_fd(ch,
					(pfd[i].revents & (POLLIN | POLLERR | POLLHUP))
					? pfd[i].fd : ARES_SOCKET_BAD,
					(pfd[i].revents & POLLOUT)
					? pfd[i].fd : ARES_SOCKET_BAD);
	}
}

/* resolve_lookup - one c-ares getaddrinfo, answer in *st */
static int resolve_lookup(const char *host, int timeout,
			  struct resolve_state *st)
{
	struct ares_options opts = {.timeout = 2000, .tries = 2};
	struct ares_addrinfo_hints hints = {.ai_family = AF_UNSPEC};
	ares_channel ch;
	int	status;

	pthread_once(&resolve_once, resolve_library_init);
	if (resolve_init_status != ARES_SUCCESS)
		return resolve_init_status;
	status = ares_init_options(&ch, &opts, ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES);
	if (status != ARES_SUCCESS)
		return status;
	ares_getaddrinfo(ch, host, NULL, &hints, resolve_done, st);
	resolve_wait(ch, st, resolve_now_ms() + (long long) timeout * 1000);
	ares_destroy(ch);
	return ARES_SUCCESS;
}

/* sql_resolve - see sql.h */
enum sql_rc sql_resolve(const char *host, int timeout, char *addr,
			size_t addrlen, char *errbuf, size_t errlen)
{
	struct resolve_state st = {0, ARES_ETIMEOUT, ""};
	int	status;

	if (resolve_numeric(host, addr, addrlen))
		return SQL_OK;
	if (strcasecmp(host, "localhost") == 0) {
		snprintf(addr, addrlen, "127.0.0.1");
		return SQL_OK;
	}
	if ((status = resolve_lookup(host, timeout, &st)) != ARES_SUCCESS) {
		snprintf(errbuf, errlen, "%s: cannot start the resolver: %s",
			 host, ares_strerror(status));
		return SQL_INTERNAL;
	}
	if (st.status == ARES_SUCCESS) {
		snprintf(addr, addrlen, "%s", st.addr);
		return SQL_OK;
	}
	if (st.status == ARES_ECANCELLED)
		st.status = ARES_ETIMEOUT;
	snprintf(errbuf, errlen, "%s: %s", host, ares_strerror(st.status));
	switch (st.status) {
	case ARES_ENOTFOUND:
	case ARES_ENODATA:
	case ARES_ENONAME:
	case ARES_EBADNAME:
		return SQL_CONFIG;
	default:
		return SQL_TEMPFAIL;
	}
}
