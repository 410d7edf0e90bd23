/*
 * NAME
 *	resolve.c - host names to numeric addresses, through a resolver
 *	handed in
 * SYNOPSIS
 *	#include "sql-compat/sql.h"
 *
 *	void	sql_set_resolver(sql_resolver fn);
 *	enum sql_rc sql_resolve(const char *host, int timeout, char *addr,
 *				size_t addrlen, char *errbuf, size_t errlen);
 * DESCRIPTION
 *	The static mq cannot use getaddrinfo() for names: glibc's NSS
 *	loads shared libraries at run time, which an empty container does
 *	not have.  So the SQL client libraries only ever see numeric
 *	addresses.  What needs no lookup is answered here: a numeric
 *	address is itself, and "localhost" is 127.0.0.1, so it works
 *	where there is no /etc/hosts.  Any other name goes to the
 *	resolver the program set (mq's uses c-ares and the dns-servers
 *	key); sql-compat/ keeps no DNS client of its own, so a program
 *	that links it for SQLite or numeric addresses needs none.
 * DIAGNOSTICS
 *	Without a resolver a name is SQL_CONFIG, saying to give a numeric
 *	address; otherwise the resolver's code and message.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <strings.h>

#include "sql-compat/sql.h"

/* Set once at start, read by every thread that connects. */
static _Atomic(sql_resolver) resolver;

/* sql_set_resolver - see sql.h */
void	sql_set_resolver(sql_resolver fn)
{
	atomic_store(&resolver, fn);
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

/* sql_resolve - see sql.h */
enum sql_rc sql_resolve(const char *host, int timeout, char *addr,
			size_t addrlen, char *errbuf, size_t errlen)
{
	sql_resolver fn = atomic_load(&resolver);

	if (resolve_numeric(host, addr, addrlen))
		return SQL_OK;
	if (strcasecmp(host, "localhost") == 0) {
		snprintf(addr, addrlen, "127.0.0.1");
		return SQL_OK;
	}
	if (fn)
		return fn(host, timeout, addr, addrlen, errbuf, errlen);
	snprintf(errbuf, errlen, "%s: no resolver for host names in this "
		 "program: give a numeric address", host);
	return SQL_CONFIG;
}
