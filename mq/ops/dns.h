/*
 * NAME
 *	dns.h - mq's one owner of c-ares: set-up, channels, host names
 * SYNOPSIS
 *	#include "mq/ops/dns.h"
 *
 *	ares_channel ch;
 *
 *	if (dns_channel_open(&ch, servers, 2000, 2, err, sizeof err) == 0) {
 *		ares_query(ch, name, ns_c_in, ns_t_txt, callback, arg);
 *		while (answers_pending)
 *			dns_channel_wait(ch, 1000);
 *		ares_destroy(ch);
 *	}
 *
 *	sql_set_resolver(dns_sql_resolve);	(once, in main)
 * DESCRIPTION
 *	The static mq cannot ask glibc for names: its NSS loads shared
 *	libraries at run time, which an empty container does not have.
 *	So every DNS question of mq goes through c-ares, and only this
 *	file sets c-ares up: ares_library_init runs once per process
 *	(thread-safe), its result is checked and every later channel
 *	fails with it; each channel asks the servers it is given
 *	(IP[:PORT],... as the dns-servers key holds them), or those of
 *	/etc/resolv.conf when that is empty.
 *
 *	The DKIM checks (dkim_check.c) send their TXT queries on channels
 *	opened here; the SQL clients get their numeric server address
 *	from dns_sql_resolve(), which sql-compat/ is handed at start
 *	(sql_set_resolver) and which asks the dns-servers of the
 *	configuration.
 * DIAGNOSTICS
 *	dns_channel_open returns 0, or -1 with "DNS: reason" in err (the
 *	library did not start, no memory, a bad server list).
 *	dns_sql_resolve returns SQL_OK, SQL_CONFIG (no such name),
 *	SQL_TEMPFAIL (no answer in time, server failure) or SQL_INTERNAL
 *	(c-ares did not start), with "host: reason" in errbuf.
 */
#ifndef MQ_DNS_H
#define MQ_DNS_H

#include <stddef.h>

#include <ares.h>

#include "sql-compat/sql.h"

/*
 * dns_channel_open - a new channel in *ch for ares_destroy(): each
 *	query tries tries times, timeout_ms each, at servers (NULL or "":
 *	/etc/resolv.conf).
 */
int	dns_channel_open(ares_channel *ch, const char *servers,
			 int timeout_ms, int tries, char *err, size_t errlen);

/*
 * dns_channel_wait - wait up to max_ms for the channel's sockets, then
 *	process what they hold and the queries that timed out; the
 *	callbacks of finished queries run inside.  A caller loops until
 *	its queries are answered.
 */
/* dns_library_version - the c-ares library linked in, "1.18.1". */
const char *dns_library_version(void);
void	dns_channel_wait(ares_channel ch, int max_ms);

/*
 * dns_sql_resolve - the numeric address of host (the first IPv4 one,
 *	else the first IPv6 one) within timeout seconds, asking the
 *	configured dns-servers; an sql_resolver for sql_set_resolver().
 */
enum sql_rc dns_sql_resolve(const char *host, int timeout, char *addr,
			    size_t addrlen, char *errbuf, size_t errlen);

#endif
