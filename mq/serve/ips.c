/*
 * NAME
 *	ips.c - the host's interface addresses into table ips
 * SYNOPSIS
 *	#include "mq/serve/ips.h"
 * DESCRIPTION
 *	getifaddrs(3) lists the addresses; inet_ntop(3) writes IPv4 dotted
 *	and IPv6 in RFC 5952 form.  One write transaction inserts or
 *	updates a row per address.
 * DIAGNOSTICS
 *	See ips.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mq/serve/ips.h"
#include "mq/log.h"

#define HOSTNAME_MAX	256

/* address_text - an interface address as text; false for other families. */
static bool address_text(const struct sockaddr *sa, char out[IPS_TEXT_MAX])
{
	if (sa && sa->sa_family == AF_INET)
		return inet_ntop(AF_INET,
				 &((const struct sockaddr_in *)sa)->sin_addr,
				 out, IPS_TEXT_MAX) != NULL;
	if (sa && sa->sa_family == AF_INET6)
		return inet_ntop(AF_INET6,
				 &((const struct sockaddr_in6 *)sa)->sin6_addr,
				 out, IPS_TEXT_MAX) != NULL;
	return false;
}

int ips_collect(char (*out)[IPS_TEXT_MAX], int max)
{
	struct ifaddrs *all, *ifa;
	int n = 0;

	if (getifaddrs(&all) < 0)
		return -1;
	for (ifa = all; ifa && n < max; ifa = ifa->ifa_next) {
		bool seen = false;

		if (!address_text(ifa->ifa_addr, out[n]))
			continue;
		for (int i = 0; i < n && !seen; i++)
			seen = !strcmp(out[i], out[n]);
		if (!seen)
			n++;
	}
	freeifaddrs(all);
	return n;
}

struct refresh {
	char (*ips)[IPS_TEXT_MAX];
	int n;
	char host[HOSTNAME_MAX];
	char now[32];
};

/* text_value - a NUL-terminated string as a text value. */
static struct store_value text_value(const char *s)
{
	return (struct store_value){ .kind = SV_TEXT, .s = s,
				     .len = strlen(s) };
}

/* write_ips - the store_write body: one row per address. */
static enum store_rc write_ips(struct store_txn *txn, void *arg)
{
	struct refresh *r = arg;
	enum store_rc rc = STORE_OK;

	for (int i = 0; i < r->n && rc == STORE_OK; i++) {
		struct store_assign a[3] = {
			{ 0, text_value(r->ips[i]) },
			{ 1, text_value(r->host) },
			{ 2, text_value(r->now) },
		};

		rc = store_set(txn, "ips", a, 3, NULL);
	}
	return rc;
}

int ips_refresh(struct store *st)
{
	static char ips[IPS_MAX][IPS_TEXT_MAX];
	struct refresh r = { .ips = ips };
	time_t now = time(NULL);
	struct tm tm;
	enum store_rc rc;

	r.n = ips_collect(ips, IPS_MAX);
	if (r.n < 0) {
		log_error("ips: getifaddrs: %s", strerror(errno));
		return -1;
	}
	if (gethostname(r.host, sizeof(r.host)) < 0)
		r.host[0] = 0;
	r.host[sizeof(r.host) - 1] = 0;
	gmtime_r(&now, &tm);
	strftime(r.now, sizeof(r.now), "%Y-%m-%d %H:%M:%S", &tm);
	rc = store_write(st, write_ips, &r, NULL);
	if (rc) {
		log_error("ips: %s", store_errmsg(st));
		return -1;
	}
	log_info("ips: %d addresses of host %s written", r.n, r.host);
	return r.n;
}
