/*
 * NAME
 *	dkim_check.h - check DKIM keys against the public keys in DNS
 * SYNOPSIS
 *	#include "mq/ops/dkim_check.h"
 *
 *	int left_out = dkim_check_all(st, mq_conf.database_threads, NULL);
 * DESCRIPTION
 *	For each dkim_keys row: an expired key is "expired"; a private key
 *	that fails dkim_key_check (does not read, encrypted, weak, or does
 *	not fit its algorithm column) is "bad-key"; a key without verify
 *	is "not-verified" (DNS is not asked); a key with verify has its
 *	TXT record at selector._domainkey.domain asked with c-ares (no
 *	glibc resolver, so the static binary works in an empty chroot) and
 *	is "verified" when the one TXT record there publishes its public
 *	key as a verifier reads it (dkim_record_match), "ambiguous" when
 *	the name has several TXT records, "mismatch" when the record holds
 *	another or a revoked key or one a verifier refuses (k=, h=, s=),
 *	"no-record" when the name has no DKIM record, "dns-error" when the
 *	query failed or timed out (SERVFAIL, REFUSED, no answer) - or
 *	"kept" instead when the key was verified before and less than
 *	dkim-verify-grace seconds ago: a temporary failure keeps the last
 *	definitive verdict.  The statuses are then written to the store in one
 *	transaction (store_dkim_status_put), where dkim() lookups read
 *	them: a lookup never waits on DNS.
 *
 *	The work is shared by `threads` threads, each with its own c-ares
 *	channel and up to DKIM_CHECK_INFLIGHT queries in flight.  A query
 *	gives up after DKIM_CHECK_TIMEOUT_MS per try, DKIM_CHECK_TRIES
 *	tries.  DNS servers: the dns-servers config key (IP[:PORT],...),
 *	or /etc/resolv.conf when it is empty.
 * DIAGNOSTICS
 *	dkim_check_all logs one warning per key left out of dkim(), naming
 *	its id, selector, domain, status and why (never key bytes), and
 *	returns how many keys are left out, or -1 after logging why the
 *	check could not run (store unreadable or unwritable, no memory,
 *	c-ares failure).
 */
#ifndef MQ_DKIM_CHECK_H
#define MQ_DKIM_CHECK_H

#include <stddef.h>

#include "store/store.h"

#define DKIM_CHECK_TIMEOUT_MS	2000
#define DKIM_CHECK_TRIES	2
#define DKIM_CHECK_INFLIGHT	32
#define DKIM_CHECK_ERR_MAX	512

/* One key's outcome, for reports. */
struct dkim_check_report {
	struct dkim_status_rec rec;
	char domain[256], selector[256];	/* cut at 255 bytes */
	bool verify;
	bool left_out;		/* not used by dkim() (expired or verify) */
};

/*
 * dkim_check_run - check every key (see above) with threads threads
 *	(0 counts as 1) against servers ("" or NULL: resolv.conf), write
 *	the statuses, and hand back one report per key in id order in
 *	*out (free it with free()).  Returns 0, or -1 with a message in
 *	err; on -1 no status was written.
 */
int dkim_check_run(struct store *st, unsigned threads, const char *servers,
		   struct dkim_check_report **out, size_t *n, char *err,
		   size_t errlen);

/*
 * dkim_check_local - write the statuses that need no DNS (a key that
 *	does not parse or fit its algorithm, an expired key), leaving the
 *	others as they were: after a load that did not start a full check
 *	(mq sync --from-sql), so that dkim() never returns such a key.
 *	0, or -1 with a message in err.
 */
int dkim_check_local(struct store *st, char *err, size_t errlen);

/*
 * dkim_put_fn - how the statuses reach the store: 0, or -1 with the
 *	reason in err.  mq serve writes them through its single writer.
 */
typedef int (*dkim_put_fn)(struct store *st, const struct dkim_status_rec *recs,
			   size_t n, char *err, size_t errlen);

/* What one dkim_check_all found. */
struct dkim_check_totals {
	size_t keys;
	size_t left_out;	/* not used by dkim() */
	size_t kept;		/* used although DNS failed (status kept) */
};

/*
 * dkim_check_all - dkim_check_run with the configured dns-servers, the
 *	statuses written by put (NULL: store_dkim_status_put), logging
 *	each key left out and each key kept; the counts into *tot (when
 *	not NULL); see DIAGNOSTICS.
 */
int dkim_check_all(struct store *st, unsigned threads, dkim_put_fn put,
		   struct dkim_check_totals *tot);

/*
 * dkim_stored_report - a dkim_keys row's status as the last check left it
 *	for the row's current data (DKIM_STATUS_NONE with a detail when the
 *	key changed since), read under txn without asking DNS, into *r.
 */
void	dkim_stored_report(struct store_txn *txn, const struct store_row *row,
			   struct dkim_check_report *r);

/*
 * dkim_stored_record - the TXT record text that publishes the public key
 *	of a dkim_keys row (dkim_key_record), into rec.  Returns 0, or -1
 *	with the reason in why.
 */
int	dkim_stored_record(const struct store_row *row, char *rec, size_t len,
			   char *why, size_t whylen);

/*
 * dkim_check_stop - the checks running give up their queries and end
 *	without writing a status, and later ones do not start: for a
 *	process that stops (mq serve), so that a silent DNS server does
 *	not hold up its exit.  Safe from any thread.
 */
void dkim_check_stop(void);

#endif
