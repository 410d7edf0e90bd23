/*
 * NAME
 *	dkim.h - which DKIM keys sign mail from an address, and their DNS status
 * SYNOPSIS
 *	#include "store/store.h"	(includes this header, last)
 *
 *	struct dkim_set *ds;
 *	struct lookup_ctx c = { .txn = txn, .scratch = sc };
 *	dkim_set_build(txn, report, arg, &ds);		once per version
 *	store_lookup_dkim(ds, &c, "alice@example.com", each_key, arg);
 * DESCRIPTION
 *	dkim(from): the dkim_keys rows whose dkim_patterns (type exact,
 *	substr, fnmatch or regex, pattern.h, ASCII case folded) match the
 *	domain of the from address (what follows its last '@'; the whole
 *	of a from without '@'), or, for a pattern that holds an '@', the
 *	whole from address; lowest priority first, then lowest id, each
 *	key once however many of its patterns match.  So "exact
 *	example.com" signs alice@example.com, as MailerQ's domain column
 *	does, and "exact alice@example.com" or "fnmatch *@example.com"
 *	sign by address.  Left out are keys whose
 *	expire is at or before now (NULL or empty: never expires) and keys
 *	with verify set whose last DNS check (below) is not "verified" or
 *	was made on other key data (domain, selector, privatekey or
 *	algorithm changed since).
 *
 *	A dkim_set holds what one store version needs for that: the
 *	patterns compiled, each pattern's key, the keys' order, expiry and
 *	usability.  It is built from a read transaction (reading
 *	dkim_keys, dkim_patterns and the statuses, compiling, allocating)
 *	and is read-only afterwards: threads share it, each with its own
 *	pattern_scratch.  dkim_set_current() says whether it still fits a
 *	transaction's snapshot (the MailerQ tables' sequence and the
 *	status generation: two meta reads); rebuild it when it does not.
 *
 *	Key status: the DNS checks (mq/dkim_check.h) write one status per
 *	key (verified, kept, mismatch, ambiguous, no record, dns error,
 *	expired, bad key, not checked) with the time of the check, the
 *	time the key was last verified and a digest of the key data
 *	checked, into the store's meta database, out of the change
 *	log: SQL never sees them, the replication stream does not carry
 *	them (a snapshot copy does; each host checks after its loads),
 *	and writing them does not move the store's sequence.  Each write
 *	replaces every status and moves the status generation.
 *
 *	Lifetimes: a row passed to a store_lookup_dkim callback points
 *	into the memory map and is valid until ctx->txn ends.  A dkim_set
 *	lives until dkim_set_free and does not depend on the transaction
 *	it was built from.
 * DIAGNOSTICS
 *	store_lookup_dkim returns STORE_OK when at least one key was
 *	passed to fn, STORE_NOTFOUND when none applies, STORE_BADDATA for
 *	a from address longer than DKIM_FROM_MAX bytes, or a read failure
 *	(STORE_CORRUPT, STORE_INTERNAL).  dkim_set_build returns STORE_OK,
 *	STORE_INTERNAL when out of memory, or a read failure; patterns
 *	that do not compile and patterns naming a missing key are passed
 *	to report (one line naming table and id) and skipped.
 *	store_dkim_status_put returns STORE_OK, STORE_READONLY, STORE_FULL
 *	or a write failure, with store_errmsg() set.
 */
#ifndef MQ_DKIM_H
#define MQ_DKIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/pattern.h"

struct lookup_ctx;

#define DKIM_FROM_MAX	1024	/* bytes of a from address looked up */
#define DKIM_LOOKUP_MAX	64	/* keys one lookup passes at most */
#define DKIM_DIGEST_LEN	16
#define DKIM_DETAIL_MAX	160	/* bytes of a status detail, NUL included */

/* dkim_keys columns, by registry index. */
enum dkim_key_col {
	DKIM_COL_ID, DKIM_COL_DOMAIN, DKIM_COL_SELECTOR, DKIM_COL_PRIVATEKEY,
	DKIM_COL_ALGORITHM, DKIM_COL_EXPIRE, DKIM_COL_HEADERS,
	DKIM_COL_PRIORITY, DKIM_COL_VERIFY,
};

enum dkim_status {
	DKIM_STATUS_NONE,	/* never checked (or on other key data) */
	DKIM_STATUS_VERIFIED,	/* DNS publishes this key's public key */
	DKIM_STATUS_MISMATCH,	/* DNS publishes another or a revoked key */
	DKIM_STATUS_NORECORD,	/* no DKIM record at the name */
	DKIM_STATUS_DNSERROR,	/* the query failed or timed out */
	DKIM_STATUS_EXPIRED,	/* expire is past */
	DKIM_STATUS_BADKEY,	/* the private key is unreadable */
	DKIM_STATUS_UNCHECKED,	/* verify is off: DNS not asked */
	DKIM_STATUS_KEPT,	/* verified before; DNS failed since, in grace */
	DKIM_STATUS_AMBIGUOUS,	/* several DKIM records at the name */
	DKIM_STATUS_COUNT
};

/* dkim_status_name - "verified", "mismatch", "no-record", ... */
const char *dkim_status_name(enum dkim_status s);

/* One key's last check. */
struct dkim_status_rec {
	int64_t key_id;
	enum dkim_status status;
	int64_t checked;		/* unix seconds */
	int64_t verified;		/* last verified (unix seconds); 0: never */
	uint8_t digest[DKIM_DIGEST_LEN]; /* store_dkim_digest of the row */
	char detail[DKIM_DETAIL_MAX];	/* why, NUL-terminated; never key bytes */
};

/*
 * dkim_status_usable - whether dkim() may hand out a key with this
 *	status of its current data: without verify anything but bad-key,
 *	with verify only verified or kept.  The one place this rule lives.
 */
bool dkim_status_usable(enum dkim_status s, bool verify);

/*
 * store_dkim_digest - a digest of the key data a check depends on
 *	(domain, selector, privatekey, algorithm) of a dkim_keys row.
 */
void store_dkim_digest(const struct store_row *key,
		       uint8_t out[DKIM_DIGEST_LEN]);

/*
 * store_dkim_expire - a dkim_keys row's expire as unix seconds;
 *	INT64_MAX when NULL, empty or unreadable (never expires).
 */
int64_t store_dkim_expire(const struct store_row *key);

/*
 * store_dkim_status_put - replace every key status by recs[0..n) in
 *	one write transaction of its own (not a change: the sequence
 *	stays) and move the status generation.
 */
enum store_rc store_dkim_status_put(struct store *st,
				    const struct dkim_status_rec *recs,
				    size_t n);

/*
 * store_dkim_status_get - key_id's last status; STORE_NOTFOUND when it
 *	has none.
 */
enum store_rc store_dkim_status_get(struct store_txn *txn, int64_t key_id,
				    struct dkim_status_rec *out);

/* store_dkim_status_gen - statuses written so far (0: none yet). */
enum store_rc store_dkim_status_gen(struct store_txn *txn, uint64_t *gen);

struct dkim_set;

/* dkim_set_build - the dkim() data of txn's snapshot; see above. */
enum store_rc dkim_set_build(struct store_txn *txn, pattern_report_fn report,
			     void *arg, struct dkim_set **out);
void dkim_set_free(struct dkim_set *ds);

/*
 * dkim_set_current - does ds fit txn's snapshot (same MailerQ tables'
 *	sequence, same status generation)?  *current receives it.
 */
enum store_rc dkim_set_current(const struct dkim_set *ds,
			       struct store_txn *txn, bool *current);

/* dkim_set_keys - keys in the set; dkim_set_skipped - patterns skipped. */
int dkim_set_keys(const struct dkim_set *ds);
int dkim_set_skipped(const struct dkim_set *ds);

/* dkim_set_bytes - the memory the set holds, compiled patterns included. */
size_t dkim_set_bytes(const struct dkim_set *ds);

/*
 * store_lookup_dkim - call fn with each dkim_keys row that signs mail
 *	from the address from (NUL-terminated), in order (see above), at
 *	most DKIM_LOOKUP_MAX of them; fn returning non-zero stops.  Uses
 *	ctx->txn, ctx->scratch and ctx->now (0: time(NULL)); ctx->set is
 *	not used.  Never allocates.
 */
enum store_rc store_lookup_dkim(const struct dkim_set *ds,
				const struct lookup_ctx *ctx, const char *from,
				store_row_fn fn, void *arg);

#endif
