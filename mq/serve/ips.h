/*
 * NAME
 *	ips.h - write the host's interface addresses into the ips table
 * SYNOPSIS
 *	#include "mq/serve/ips.h"
 *
 *	if (ips_refresh(st) < 0)
 *		log_warning("ips: ...");
 * DESCRIPTION
 *	MailerQ keeps the host's IP addresses in table ips (ip, hostname,
 *	updated) so that other programs can see which local addresses
 *	exist; nothing else reads it.  mq serve calls ips_refresh at start.
 *
 *	The addresses come from getifaddrs(3): every IPv4 (dotted) and
 *	IPv6 (canonical text, RFC 5952, without a zone) address of every
 *	interface, loopback included, each once.  hostname is this host's
 *	name (gethostname(2): no resolver is asked) and updated the time
 *	of the refresh, UTC.  Rows of addresses the host no longer has
 *	are left alone: several mq hosts may share one ips table through
 *	SQL, and a row cannot tell which host wrote it.
 * DIAGNOSTICS
 *	ips_refresh returns the number of addresses written, or -1 after
 *	logging why (getifaddrs failed, store not writable).
 */
#ifndef MQ_IPS_H
#define MQ_IPS_H

#include "store/store.h"

#define IPS_MAX		1024	/* addresses written at most */
#define IPS_TEXT_MAX	46	/* INET6_ADDRSTRLEN */

/*
 * ips_collect - the host's addresses as text into out[0..max), each
 *	once.  Returns how many, or -1 with errno set when getifaddrs
 *	fails.
 */
int ips_collect(char (*out)[IPS_TEXT_MAX], int max);

/* ips_refresh - write the host's addresses into ips; see above. */
int ips_refresh(struct store *st);

#endif
