/*
 * NAME
 *	dns.c - c-ares set up once, its channels, and host names for SQL
 * SYNOPSIS
 *	#include "mq/ops/dns.h"
 * DESCRIPTION
 *	See dns.h.  A channel is driven with poll(), never select(), so
 *	mq serve's large file descriptor numbers are fine.  A host name
 *	lookup is one ares_getaddrinfo on a channel of its own with
 *	DNS_HOST_TIMEOUT_MS per try, DNS_HOST_TRIES tries, cancelled at
 *	the caller's deadline: a connect never waits on DNS longer than
 *	its own connect timeout.
 * DIAGNOSTICS
 *	See dns.h.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "mq/config.h"
#include "mq/ops/dns.h"

#define DNS_HOST_TIMEOUT_MS	2000
#define DNS_HOST_TRIES		2

static pthread_once_t dns_once = PTHREAD_ONCE_INIT;
static int dns_init_status;

/* dns_library_init - ares_library_init, its result kept for every caller */
static void dns_library_init(void)
{
	dns_init_status = ares_library_init(ARES_LIB_INIT_ALL);
}

/* dns_channel_open - see dns.h */
int	dns_channel_open(ares_channel *ch, const char *servers,
			 int timeout_ms, int tries, char *err, size_t errlen)
{
	struct ares_options o = { .timeout = timeout_ms, .tries = tries };
	int	rc;

	pthread_once(&dns_once, dns_library_init);
	if ((rc = dns_init_status) == ARES_SUCCESS)
		rc = ares_init_options(ch, &o, ARES_OPT_TIMEOUTMS |
				       ARES_OPT_TRIES);
	if (rc == ARES_SUCCESS && servers && *servers
	    && (rc = ares_set_servers_ports_csv(*ch, servers)) != ARES_SUCCESS)
		ares_destroy(*ch);
	if (rc == ARES_SUCCESS)
		return 0;
	snprintf(err, errlen, "DNS: %s", ares_strerror(rc));
	return -1;
}

/* dns_channel_wait - see dns.h */
const char *dns_library_version(void)
{
	return ares_version(NULL);
}

void	dns_channel_wait(ares_channel ch, int max_ms)
{
	ares_socket_t socks[ARES_GETSOCK_MAXNUM];
	struct pollfd pfd[ARES_GETSOCK_MAXNUM];
	struct timeval max = { max_ms / 1000, max_ms % 1000 * 1000 }, tv, *tvp;
	unsigned bits = (unsigned) ares_getsock(ch, socks, ARES_GETSOCK_MAXNUM);
	nfds_t	n = 0;

	/*
	 * Not ARES_GETSOCK_WRITABLE: for the last socket it shifts a
	 * signed 1 into the sign bit (undefined behaviour).
	 */
	for (unsigned i = 0; i < ARES_GETSOCK_MAXNUM; i++) {
		short	ev = (short) ((bits & (1u << i) ? POLLIN : 0)
				      | (bits & (1u << (i + ARES_GETSOCK_MAXNUM))
					 ? POLLOUT : 0));

		if (ev)
			pfd[n++] = (struct pollfd) { socks[i], ev, 0 };
	}
	tvp = ares_timeout(ch, &max, &tv);
	if (poll(pfd, n, (int) (tvp->tv_sec * 1000 + tvp->tv_usec / 1000)) > 0)
		for (nfds_t i = 0; i < n; i++)
			if (pfd[i].revents)
				ares_process_fd(ch, pfd[i].revents & (POLLIN |
						POLLERR | POLLHUP) ? pfd[i].fd
						: ARES_SOCKET_BAD,
						pfd[i].revents & POLLOUT
						? pfd[i].fd : ARES_SOCKET_BAD);
	ares_process_fd(ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);	/* timeouts */
}

/* The answer of one host name lookup, filled in by host_done(). */
struct host_answer {
	int	done;
	int	status;
	char	addr[INET6_ADDRSTRLEN];
};

/* host_done - c-ares callback: keep the first IPv4 address, else the first */
static void host_done(void *arg, int status, int timeouts,
		      struct ares_addrinfo *res)
{
	struct host_answer *a = arg;
	struct ares_addrinfo_node *n, *pick = NULL;

	(void) timeouts;
	a->done = 1;
	a->status = status;
	for (n = res ? res->nodes : NULL; n; n = n->ai_next)
		if (pick == NULL || (n->ai_family == AF_INET
				     && pick->ai_family != AF_INET))
			pick = n;
	if (status == ARES_SUCCESS && pick == NULL)
		a->status = ARES_ENODATA;
	if (pick && pick->ai_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *) pick->ai_addr)->sin_addr,
			  a->addr, sizeof(a->addr));
	else if (pick)
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *) pick->ai_addr)->sin6_addr,
			  a->addr, sizeof(a->addr));
	if (res)
		ares_freeaddrinfo(res);
}

/* now_ms - the monotonic clock in milliseconds */
static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* host_rc - the SQL failure kind of a lookup's c-ares status */
static enum sql_rc host_rc(int status)
{
	switch (status) {
	case ARES_ENOTFOUND:
	case ARES_ENODATA:
	case ARES_ENONAME:
	case ARES_EBADNAME:
		return SQL_CONFIG;
	default:
		return SQL_TEMPFAIL;
	}
}

/* dns_sql_resolve - see dns.h */
enum sql_rc dns_sql_resolve(const char *host, int timeout, char *addr,
			    size_t addrlen, char *errbuf, size_t errlen)
{
	struct ares_addrinfo_hints hints = { .ai_family = AF_UNSPEC };
	struct host_answer a = { 0, ARES_ETIMEOUT, "" };
	long long deadline = now_ms() + (long long) timeout * 1000;
	char	why[128];
	ares_channel ch;

	if (dns_channel_open(&ch, mq_conf.dns_servers, DNS_HOST_TIMEOUT_MS,
			     DNS_HOST_TRIES, why, sizeof(why)) < 0) {
		snprintf(errbuf, errlen, "%s: %s", host, why);
		return SQL_INTERNAL;
	}
	ares_getaddrinfo(ch, host, NULL, &hints, host_done, &a);
	while (!a.done && now_ms() < deadline)
		dns_channel_wait(ch, (int) (deadline - now_ms()));
	if (!a.done)
		ares_cancel(ch);	/* runs host_done */
	ares_destroy(ch);
	if (a.status == ARES_SUCCESS) {
		snprintf(addr, addrlen, "%s", a.addr);
		return SQL_OK;
	}
	if (a.status == ARES_ECANCELLED)
		a.status = ARES_ETIMEOUT;
	snprintf(errbuf, errlen, "%s: %s", host, ares_strerror(a.status));
	return host_rc(a.status);
}
