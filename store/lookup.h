/*
 * NAME
 *	lookup.h - the delivery-settings lookups an MTA asks per message
 * SYNOPSIS
 *	#include "store/store.h"	(includes this header)
 *
 *	struct lookup_ctx c = { 0 };
 *	c.scratch = pattern_scratch_new();		   once per thread
 *	store_read_begin(st, &c.txn);
 *	store_lookups_renew(&c.txn, &c.set);		   the shared set
 *	store_lookup_capacity(&c, "192.0.2.1", "example.com", &lim);
 *	store_read_end(c.txn);
 *	...
 *	store_lookups_release(c.set);			   thread ends
 * DESCRIPTION
 *	A lookup_set is what the lookups precompute from one store
 *	version: every pattern of capacity_rules, locals, flood_responses,
 *	response_patterns and rewrite_triggers compiled (pattern.h), the
 *	capacity rows and rules indexed (a domain's cascade is resolved by
 *	its first lookup and kept), and the orders (priority, position,
 *	id) of dns, response and rewrite rows.  Building it reads every
 *	row of those tables and allocates; the lookups never compile and
 *	allocate only to keep a domain's resolved rules.  Threads share a
 *	set, each with its own pattern_scratch.  A set is made of parts
 *	(enum lookup_part) that later versions share while their tables
 *	do not change.
 *
 *	Keeping a set current: every write transaction that changes a
 *	MailerQ table records its sequence in the store's meta database;
 *	lookup_set_current() compares that (one read); the store's shared
 *	set (store_lookups_acquire/renew) is rebuilt when it moved, once
 *	for every thread of the process, or by the store's builder thread
 *	(store_lookups_builder_start) while readers keep answering from
 *	the newest complete set.  Lookups through a set older than
 *	the transaction's snapshot answer from the set's version for what
 *	the set holds (capacity, patterns, orders) and from the snapshot
 *	for rows.
 *
 *	Comparisons: local ips, domains, targets and tags compare
 *	ASCII-case-insensitively; an empty column in paused, errors,
 *	delegates, response_patterns and rewrite_triggers is a wildcard.
 *	Priorities: lower values come first (as MX preferences), then
 *	lower ids.  Times (expire) are UTC text compared with ctx->now: a
 *	row whose expire is NULL or empty never expires; one whose expire
 *	is at or before now does not count.
 *
 *	Lifetimes: a struct store_row filled by a lookup points into the
 *	memory map and is valid until ctx->txn ends.  Limits are copied.
 * DIAGNOSTICS
 *	Lookups return STORE_OK (found), STORE_NOTFOUND (no row applies),
 *	STORE_BADDATA (an argument longer than REG_KEY_TEXT_MAX bytes) or
 *	STORE_CORRUPT / STORE_INTERNAL from reading the store.
 *	store_lookup_capacity always finds limits (the defaults at worst).
 */
#ifndef MQ_LOOKUP_H
#define MQ_LOOKUP_H

#include <stdint.h>

#include "store/pattern.h"

struct store;
struct store_txn;
struct store_row;

/* The capacity limit columns, in the registry's order. */
enum capacity_limit {
	CAP_DOMAIN_MAXMESSAGES, CAP_DOMAIN_MAXCONNECTS,
	CAP_DOMAIN_MAXCONNECTIONS, CAP_IP_MAXMESSAGES, CAP_IP_MAXCONNECTS,
	CAP_IP_MAXCONNECTIONS, CAP_CONNECTION_MAXMESSAGES,
	CAP_CONNECTION_MAXIDLETIME, CAP_SECURE,
	CAP_NLIMITS
};

/* capacity_limit_name - the column name of limit l. */
const char *capacity_limit_name(enum capacity_limit l);

/*
 * The built-in default of every limit, used when every level of the
 * cascade says -1: 0, unlimited (and secure off).  Operators configure
 * their own defaults with the capacity row whose localip and domain are
 * both empty, which is the cascade's last level.
 */
#define CAPACITY_DEFAULT 0

/* The level that gave a limit its value. */
enum capacity_level {
	CAPLVL_IP_DOMAIN,	/* the (localip, domain) row */
	CAPLVL_DOMAIN,		/* the ('', domain) row */
	CAPLVL_RULE_IP,		/* a capacity_rules row for this localip */
	CAPLVL_RULE,		/* a capacity_rules row for any localip */
	CAPLVL_IP,		/* the (localip, '') row */
	CAPLVL_ANY,		/* the ('', '') row */
	CAPLVL_DEFAULT,		/* CAPACITY_DEFAULT */
};

/* capacity_level_name - "localip+domain", "domain", "rule+localip", ... */
const char *capacity_level_name(enum capacity_level l);

struct capacity_limits {
	int64_t limit[CAP_NLIMITS];	/* -1 never: resolved; 0 unlimited */
	int64_t from_id[CAP_NLIMITS];	/* capacity (or rule) id; 0: default */
	uint8_t level[CAP_NLIMITS];	/* enum capacity_level */
};

struct lookup_set;

/* What every lookup needs; the caller fills it. */
struct lookup_ctx {
	const struct lookup_set *set;	/* built for this store version */
	struct store_txn *txn;		/* a read (or write) transaction */
	struct pattern_scratch *scratch; /* this thread's */
	int64_t now;			/* unix seconds; 0: time(NULL) */
};

/*
 * lookup_set_build - compile the patterns and resolve the capacity
 *	cascade from txn's snapshot.  Patterns that do not compile and
 *	rules naming a missing capacity row are passed to report (one
 *	line naming table and id; may be NULL) and skipped.  Returns
 *	STORE_OK, STORE_INTERNAL when out of memory, or a read failure.
 */
enum store_rc lookup_set_build(struct store_txn *txn,
			       pattern_report_fn report, void *arg,
			       struct lookup_set **out);
void lookup_set_free(struct lookup_set *ls);

/*
 * lookup_set_current - is ls built from the MailerQ tables txn sees?
 *	One meta read; *current receives the answer.
 */
enum store_rc lookup_set_current(const struct lookup_set *ls,
				 struct store_txn *txn, bool *current);

/* lookup_set_skipped - patterns and rules skipped by the build. */
int lookup_set_skipped(const struct lookup_set *ls);

/*
 * The parts of a set, each built from its own tables and shared, as it
 * is, by the sets of later versions until one of its tables changes:
 * capacity (capacity, capacity_rules), locals, flood (flood_responses),
 * dns, match (response_patterns, response_patterns_actions,
 * rewrite_triggers, rewrite_actions), suppressions, pools (pool_ips).
 * Writes to the other tables (paused, errors, delegates, ...) rebuild no
 * part: those lookups read rows.
 */
enum lookup_part {
	LOOKUP_PART_CAPACITY, LOOKUP_PART_LOCALS, LOOKUP_PART_FLOOD,
	LOOKUP_PART_DNS, LOOKUP_PART_MATCH, LOOKUP_PART_SUPPRESSIONS,
	LOOKUP_PART_POOLS,
	LOOKUP_PARTS
};

/* lookup_part_name - "capacity", "locals", "flood", "dns", "match",
 *	"suppressions", "pools". */
const char *lookup_part_name(enum lookup_part p);

/*
 * lookup_set_part - the identity of part p of ls (equal pointers: the
 *	same part, shared), for tests and statistics; never dereference.
 */
const void *lookup_set_part(const struct lookup_set *ls, enum lookup_part p);

/*
 * lookup_set_incremental - was part p of ls built over an older set's,
 *	for what changed since (the capacity part, lookup_set_update)?
 */
bool lookup_set_incremental(const struct lookup_set *ls, enum lookup_part p);

/*
 * lookup_set_update - the set of txn's snapshot, sharing with base
 *	(may be NULL) every part whose tables did not change since base
 *	was built, building the others; *built (may be NULL) receives
 *	the parts built, one bit (1 << part) each.  The result is one's
 *	own: lookup_set_free.  Returns as lookup_set_build.
 */
enum store_rc lookup_set_update(struct store_txn *txn,
				const struct lookup_set *base,
				pattern_report_fn report, void *arg,
				struct lookup_set **out, unsigned *built);

/*
 * The shared lookup set of an open store: one per store version for
 * every thread of the process (mq lookup, mq serve's workers, an MTA
 * linking libmq.a), built by the first thread that needs that version
 * while the others that need it wait.  A set is reference-counted: a
 * thread keeps using the set it holds while a newer one is built, and
 * the last holder frees it.
 */

/*
 * store_lookups_acquire - the shared set for *txn's snapshot, one more
 *	reference to it: the newest set when it fits (one meta read and
 *	a mutex), else one built now from *txn (report, when not NULL,
 *	gets the patterns that build skips) -- in the background mode
 *	the newest set as it is, never built here.  A read transaction whose
 *	snapshot is older than the newest set is renewed in place (*txn
 *	changes; NULL when the renewal failed): a reader never goes back
 *	to an older version.  A write transaction gets a set of its own,
 *	never shared.  Returns STORE_OK, STORE_INTERNAL when out of
 *	memory, or a read failure.
 */
enum store_rc store_lookups_acquire(struct store_txn **txn,
				    pattern_report_fn report, void *arg,
				    const struct lookup_set **out);

/*
 * store_lookups_renew - keep *held when it fits *txn (one meta read, no
 *	lock), else release it and acquire the current set into *held
 *	(*held may be NULL at first).  For a thread that keeps its set
 *	from one read transaction to the next.
 */
enum store_rc store_lookups_renew(struct store_txn **txn,
				  const struct lookup_set **held);

/*
 * store_lookups_release - let go of a set store_lookups_acquire gave;
 *	NULL is ignored.  Never lookup_set_free a shared set.
 */
void store_lookups_release(const struct lookup_set *ls);

/*
 * store_lookups_background - on: a reader never builds once the store
 *	has a set; it answers from the newest set even when its snapshot
 *	is newer (store_lookups_refresh brings the next one).  Off (the
 *	default, single-shot callers): the first reader that needs a
 *	version builds it.
 */
void store_lookups_background(struct store *st, bool on);

/*
 * store_lookups_refresh - make the set of the store's newest snapshot
 *	the shared one when it moved, sharing unchanged parts; *built
 *	receives the parts built (1 << part each; 0: nothing moved).
 *	Readers are not blocked: they keep the previous set until the
 *	swap.  Returns STORE_OK or the build's failure.
 */
enum store_rc store_lookups_refresh(struct store *st, pattern_report_fn report,
				    void *arg, unsigned *built);

/*
 * store_lookups_builder_start - build the set now, then keep it
 *	current from a thread of the store's (lookup_builder.c) that
 *	wakes on every commit by any process and runs
 *	store_lookups_refresh; readers are put in the background mode.
 *	For a long-running reader (mq serve).  STORE_INTERNAL when the
 *	thread cannot start, or the first build's failure.
 */
enum store_rc store_lookups_builder_start(struct store *st,
					  pattern_report_fn report, void *arg);

/* store_lookups_builder_stop - end the thread (store_close does too). */
void store_lookups_builder_stop(struct store *st);

/* What the builder did since it started. */
struct lookup_stats {
	bool running;			/* a builder runs */
	uint64_t sets;			/* sets swapped in */
	uint64_t part_builds[LOOKUP_PARTS]; /* parts built, by part */
	uint64_t part_cpu_us[LOOKUP_PARTS]; /* the CPU they took, by part */
	uint64_t capacity_incremental;	/* capacity parts built over an
					 * older one (lookup_capinc.c) */
	uint64_t failures;		/* builds that failed */
	uint64_t last_build_us, max_build_us;	/* wall time */
	uint64_t max_build_cpu_us;		/* the builder thread's CPU */
};

/* store_lookups_stats - the builder's counters (zero without one). */
void store_lookups_stats(const struct store *st, struct lookup_stats *out);

/*
 * store_lookup_capacity - the limits for mail from localip to domain
 *	(either may be empty): DESIGN.md section 5's cascade, column by
 *	column, see docs/lookups.md.  A NULL limit counts as 0 (the
 *	seed: NULL and 0 mean the same).  Always STORE_OK unless an
 *	argument is too long.  One hash probe when the (localip, domain)
 *	pair has a row; otherwise two or three, plus the non-exact rules
 *	when the domain appears in no capacity row and no exact rule.
 */
enum store_rc store_lookup_capacity(const struct lookup_ctx *c,
				    const char *localip, const char *domain,
				    struct capacity_limits *out);

/*
 * store_lookup_flood - the first flood_responses row (by id) whose
 *	pattern matches the response text; STORE_NOTFOUND if none.
 */
enum store_rc store_lookup_flood(const struct lookup_ctx *c,
				 const char *text, struct store_row *out);

/* store_lookup_local - the first locals row (by id) matching rcpt. */
enum store_rc store_lookup_local(const struct lookup_ctx *c,
				 const char *rcpt, struct store_row *out);

/*
 * store_lookup_delegate - the delegates row for (localip, domain): the
 *	most specific (both columns set, then domain only, then localip
 *	only, then neither), lowest id first.
 */
enum store_rc store_lookup_delegate(const struct lookup_ctx *c,
				    const char *localip, const char *domain,
				    struct store_row *out);

/*
 * store_lookup_paused - a paused row that is not expired and whose
 *	localip and tag are each a wildcard (empty or '*') or equal to the
 *	argument, and whose target is a wildcard, the domain or the remote
 *	ip (either may be empty): the most specific (most non-wildcard
 *	columns; then a target naming the domain before one naming the
 *	ip), then the lowest id.  STORE_OK means deliveries are paused.
 */
enum store_rc store_lookup_paused(const struct lookup_ctx *c,
				  const char *localip, const char *domain,
				  const char *ip, const char *tag,
				  struct store_row *out);

/*
 * store_lookup_error - as paused, on the errors table: its domain column
 *	holds the domain or the remote IP.
 */
enum store_rc store_lookup_error(const struct lookup_ctx *c,
				 const char *localip, const char *domain,
				 const char *ip, const char *tag,
				 struct store_row *out);

/*
 * store_lookup_suppressed - the suppressions row, not expired, whose
 *	address equals rcpt or whose domain equals rcpt's domain (after
 *	its last '@'; rcpt without '@' is a domain), ASCII-folded: an
 *	address row before a domain row, then the lowest id.  A row whose
 *	address and domain are both empty never counts.  STORE_OK means
 *	do not send to rcpt.
 */
enum store_rc store_lookup_suppressed(const struct lookup_ctx *c,
				      const char *rcpt, struct store_row *out);

/*
 * store_lookup_pool - call fn with each pool_ips row of the pool name
 *	(its local IPs) in key order; STORE_NOTFOUND if none.
 */
enum store_rc store_lookup_pool(const struct lookup_ctx *c, const char *name,
				store_row_fn fn, void *arg);

/* store_lookup_mtaname - the mtanames row of localip. */
enum store_rc store_lookup_mtaname(const struct lookup_ctx *c,
				   const char *localip, struct store_row *out);

/*
 * store_lookup_dns - call fn with each dns row of domain, by priority
 *	then id; fn returning non-zero stops.  STORE_NOTFOUND if none.
 */
enum store_rc store_lookup_dns(const struct lookup_ctx *c, const char *domain,
			       store_row_fn fn, void *arg);

/*
 * store_lookup_response - the response actions for an SMTP response
 *	text from localip to domain: response_patterns whose localip and
 *	domain are empty or equal and whose pattern matches, by priority
 *	then id; for each, fn gets its response_actions rows (by action
 *	id, through response_patterns_actions).  A matching pattern with
 *	final set is the last one.  STORE_NOTFOUND when no pattern
 *	matched.  fn returning non-zero stops.
 */
enum store_rc store_lookup_response(const struct lookup_ctx *c,
				    const char *text, const char *localip,
				    const char *domain, store_row_fn fn,
				    void *arg);

/*
 * store_lookup_response_patterns - the response_patterns rows that
 *	store_lookup_response takes the actions of, in the same order and
 *	up to the same final one: which patterns a response text meets.
 */
enum store_rc store_lookup_response_patterns(const struct lookup_ctx *c,
					     const char *text,
					     const char *localip,
					     const char *domain,
					     store_row_fn fn, void *arg);

/* A message property for store_lookup_rewrite: name = value. */
struct lookup_prop {
	const char *name;
	const char *value;
};

/*
 * store_lookup_rewrite - the rewrite actions for a message with the
 *	given properties: rewrite_triggers by priority then id whose
 *	localip and domain are empty or equal to the properties "localip"
 *	and "domain", and whose pattern matches the value of the property
 *	the trigger names (a trigger whose property the message lacks
 *	does not fire); for each, fn gets its rewrite_actions rows by
 *	position then id.  A fired trigger with final set is the last.
 *	STORE_NOTFOUND when no trigger fired.
 */
enum store_rc store_lookup_rewrite(const struct lookup_ctx *c,
				   const struct lookup_prop *props, int nprops,
				   store_row_fn fn, void *arg);

/*
 * The lookups by kind, as mq lookup and GET /v1/lookup/KIND name them
 * (docs/lookups.md): one list that both faces read.
 */
#define LOOKUP_MAX_ARGS	4

/* The kinds, in the order of docs/lookups.md; indexes of lookup_kinds. */
enum lookup_kind_id {
	LOOKUP_CAPACITY, LOOKUP_FLOOD, LOOKUP_DKIM, LOOKUP_LOCAL,
	LOOKUP_DELEGATE, LOOKUP_PAUSED, LOOKUP_ERROR, LOOKUP_MTANAME,
	LOOKUP_DNS, LOOKUP_RESPONSE, LOOKUP_REWRITE, LOOKUP_SUPPRESSED,
	LOOKUP_POOL, LOOKUP_RESPONSE_PATTERN,
	LOOKUP_KINDS
};

struct dkim_set;

struct lookup_kind {
	enum lookup_kind_id id;
	const char *name;		/* "capacity", "flood", ... */
	const char *params[LOOKUP_MAX_ARGS]; /* argument names in order;
					 * none: NAME=VALUE properties */
	size_t max[LOOKUP_MAX_ARGS];	/* bytes an argument may have;
					 * 0: any */
	const char *table;		/* whose rows answer; NULL: capacity
					 * answers limits */
};

/* lookup_kinds - every kind, indexed by its id. */
extern const struct lookup_kind lookup_kinds[LOOKUP_KINDS];

/* lookup_kind_find - the kind called name, or NULL. */
const struct lookup_kind *lookup_kind_find(const char *name);

/* One lookup by kind: its arguments and where its answer goes. */
struct lookup_request {
	const struct lookup_kind *kind;
	const char *args[LOOKUP_MAX_ARGS];	/* the kind's params */
	const struct lookup_prop *props;	/* no params: properties */
	int nprops;
	const struct dkim_set *dkim;		/* dkim: the set to ask */
	struct capacity_limits *limits;		/* capacity: filled in */
	store_row_fn fn;			/* each row answered */
	void *fn_arg;
};

/*
 * lookup_set_build_for - a set of one's own with only what lookup q
 *	needs: its kind's part (none for the kinds that read rows), and
 *	for capacity only the rows that can apply to q's (localip,
 *	domain) and the rules for its localip or any.  For a single-shot
 *	caller (mq lookup): it builds in a fraction of a whole set's
 *	time, and answers q as the whole set would; no other lookup may
 *	use it.  Free it with lookup_set_free.  Returns as
 *	lookup_set_build.
 */
enum store_rc lookup_set_build_for(struct store_txn *txn,
				   const struct lookup_request *q,
				   pattern_report_fn report, void *arg,
				   struct lookup_set **out);

/*
 * store_lookup_ask - run q's lookup with ctx: capacity fills
 *	*q->limits, every other kind passes its rows to q->fn in the
 *	lookup's order (the one-row lookups once).  Returns what the
 *	lookup returns (STORE_NOTFOUND: nothing applies); STORE_BADDATA
 *	for a dkim lookup without a set or a rewrite without properties.
 */
enum store_rc store_lookup_ask(const struct lookup_ctx *ctx,
			       const struct lookup_request *q);

#endif
