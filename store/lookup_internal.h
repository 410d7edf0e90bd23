/*
 * NAME
 *	lookup_internal.h - what the lookup files of store/ share
 * DESCRIPTION
 *	The layout of a struct lookup_set: an arena for the strings it
 *	copies, string-keyed hash tables, the capacity cascade's
 *	precomputed parts, and per-pattern facts of the response and
 *	rewrite tables.  Only store/lookup_*.c include this header.
 */
#ifndef MQ_LOOKUP_INTERNAL_H
#define MQ_LOOKUP_INTERNAL_H

#include <time.h>

#include "store/internal.h"
#include "store/match.h"

/* Strings copied at build time, freed with the set. */
struct arena_block {
	struct arena_block *next;
	size_t used, cap;
	char data[];
};

/*
 * A string-keyed open-addressing table; a key is one string or two
 * joined by a NUL byte (localip, domain), compared ASCII-folded.
 */
struct shash_entry {
	const char *key;	/* NULL: empty slot */
	uint32_t hash;
	uint32_t klen;
	uint32_t val;		/* index into the owner's value array */
};

struct shash {
	struct shash_entry *e;
	uint32_t mask, n;
};

/* A capacity_rules row that compiled: its limits and its localip. */
struct rule_info {
	const char *localip;
	size_t iplen;
	struct capacity_limits part;	/* the rule's row, -1 unresolved */
};

struct dom_variant {
	const char *localip;
	size_t iplen;
	struct capacity_limits part;
};

/* A known domain's levels 2-4: without and with localip-specific rules. */
struct dom_rules {
	struct capacity_limits base;
	uint32_t nvariant;
	struct dom_variant variant[];
};

/* A known domain: its ('', domain) row, its rules once a lookup asked. */
struct dom_info {
	struct capacity_limits top;	/* level 2, -1 where no row */
	_Atomic(struct dom_rules *) rules;	/* NULL: not resolved yet */
};

/* A (localip, domain) row's whole cascade, once a lookup asked. */
enum { PAIR_UNRESOLVED, PAIR_WRITING, PAIR_RESOLVED };
struct pair_memo {
	_Atomic int state;			/* PAIR_* */
	struct capacity_limits resolved;	/* PAIR_RESOLVED: the answer */
};

/* A response pattern or rewrite trigger (by pattern index). */
struct match_info {
	const char *localip, *domain, *property;
	size_t iplen, domlen, proplen;
	bool final;
	uint32_t first_action, nactions;	/* into the action id array */
};

/* A dns row in (domain, priority, id) order. */
struct dns_entry {
	const char *domain;
	size_t len;
	int64_t priority, id;
};

/*
 * Rows indexed by one text column, ASCII-folded (lookup_held.c): key k
 * holds the row positions pos[start[k]] .. pos[start[k + 1] - 1], in
 * the order the rows were read (the store's key order).
 */
struct text_index {
	struct shash keys;	/* folded text -> k */
	uint32_t *start, *pos;
	uint32_t nkeys;
};

/* The rows of a table the held lookups index (lookup_held.c). */
struct held_rows {
	bool built;		/* the part is in this set */
	uint32_t n;
	int64_t *id;		/* suppressions: row position -> id */
	const char **name, **ip;	/* pool_ips: row position -> key */
	size_t *namelen, *iplen;
	struct text_index by_a, by_b;	/* suppressions: address, domain;
					 * pool_ips: name, localip */
};

/*
 * A set: its own fields, then each part's fields together, the parts in
 * enum lookup_part's order (lookup_set.c shares a part by copying them).
 */
struct lookup_set {
	uint64_t version, epoch;
	_Atomic int refs;	/* holders of a shared set (lookup_cache.c) */
	uint64_t part_version[LOOKUP_PARTS];	/* its tables' last change */
	uint64_t build_cpu_us;		/* a part set: the CPU its build took */
	struct lookup_set *part[LOOKUP_PARTS];	/* a composed set: the part
						 * sets it holds; NULL in a
						 * part set */
	int skipped;
	pattern_report_fn report;
	void *arg;
	struct arena_block *arena;

	/* capacity */
	struct capacity_limits any;		/* ('', '') */
	struct shash full, dom, ip;
	struct capacity_limits *pair_val;	/* level 1 of each pair */
	struct pair_memo *pair_memo;		/* touched only by lookups */
	struct capacity_limits *ip_val;
	struct dom_info *dom_val;
	struct pattern_set *rules;
	struct rule_info *rule;
	/* A full build keeps its rows (in id order) and rules (in rule
	 * order) for the incremental builds over it (lookup_capinc.c). */
	struct cap_row *cap_row;
	struct rule_row *cap_rule;
	uint32_t ncap_row, ncap_rule;
	/* An incremental part: the full build it overlays (one reference
	 * held), whose ip parts it shares and whose rules it shares unless
	 * own_rules; its own dom and full index only the domains resolved
	 * again (store_lookup_capacity asks it first). */
	struct lookup_set *cap_base;
	bool own_rules;

	struct pattern_set *locals, *flood;
	struct dns_entry *dns;
	uint32_t ndns;

	struct pattern_set *response;
	struct pattern_groups *rewrite;		/* by property (match.h) */
	struct match_info *response_info, *rewrite_info;
	int64_t *response_action, *rewrite_action;

	struct held_rows supp, pools;	/* suppressions, pool_ips */
};

/* lookup_set.c */
/* lookup_set_hold - one more reference to a set (or part set). */
void lookup_set_hold(struct lookup_set *ls);
/* lookup_version - the MailerQ tables' sequence and the epoch of txn. */
enum store_rc lookup_version(struct store_txn *txn, uint64_t *version,
			     uint64_t *epoch);
char *arena_copy(struct lookup_set *ls, const char *s, size_t len);
void lookup_report(struct lookup_set *ls, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* shash_hash - a key part's hash; shash_hash2 - a pair's from its parts'. */
uint32_t shash_hash(const char *s, size_t len);
uint32_t shash_hash2(uint32_t ha, uint32_t hb);
bool shash_init(struct shash *h, uint32_t expect);
void shash_free(struct shash *h);
/* shash_find - value of key (a) or (a NUL b) when b is not NULL, or -1. */
int64_t shash_find(const struct shash *h, const char *a, size_t alen,
		   const char *b, size_t blen);
/* shash_find_hashed - the same with the key's hash already computed. */
int64_t shash_find_hashed(const struct shash *h, uint32_t hv, const char *a,
			  size_t alen, const char *b, size_t blen);
/*
 * shash_put - add key -> val unless present; *have receives the key's
 *	value (val when added).  false when out of memory.
 */
bool shash_put(struct lookup_set *ls, struct shash *h, const char *a,
	       size_t alen, const char *b, size_t blen, uint32_t val,
	       uint32_t *have);
/* shash_add - add key -> val unless present; false when out of memory. */
bool shash_add(struct lookup_set *ls, struct shash *h, const char *a,
	       size_t alen, const char *b, size_t blen, uint32_t val);
bool text_fold_equal(const char *a, size_t alen, const char *b, size_t blen);
const char *row_text(const struct store_row *r, int col, size_t *len);
int64_t row_int(const struct store_row *r, int col);

/* dns_compare - dns_entry order: domain (folded), priority, id. */
int dns_compare(const void *pa, const void *pb);
/* match_build - response patterns and rewrite triggers (lookup_match.c). */
enum store_rc match_build(struct lookup_set *ls, struct store_txn *txn);

/* lookup_cache.c */
/*
 * store_lookups_refresh_moved - the refresh; *moved: a new version came.
 *	guarded: its reads of the map run under a store guard, so a store
 *	cut short under the builder thread is STORE_DAMAGED, not a crash.
 */
enum store_rc store_lookups_refresh_moved(struct store *st,
					  pattern_report_fn report, void *arg,
					  bool guarded, unsigned *built,
					  bool *moved);

/* lookup_builder.c */
/*
 * lookup_builder_count - a refresh built the parts built of ls in us
 *	(cpu_us of CPU).
 */
void lookup_builder_count(struct store *st, const struct lookup_set *ls,
			  unsigned built, uint64_t us, uint64_t cpu_us);
/* lookup_now_us - clock (CLOCK_MONOTONIC, ..._THREAD_CPUTIME_ID) in us. */
uint64_t lookup_now_us(clockid_t clock);

/* text_is_any - a key column meaning "any": empty or '*' (lookup_rows.c). */
bool text_is_any(const char *s, size_t len);

/*
 * A walk over rows of one table read by their keys (lookup_rows.c): the
 * set knows the keys, the snapshot has the rows.  Each row goes to fn
 * until fn returns non-zero; a key whose row is gone is passed over.
 */
struct key_walk {
	const struct lookup_ctx *c;
	const struct reg_table *t;
	const char *table;
	store_row_fn fn;
	void *arg;
	bool found;		/* a row went to fn */
	enum store_rc rc;	/* STORE_OK until a read fails */
};
/* key_walk_start - a walk over the rows of MailerQ table table, to fn. */
void key_walk_start(struct key_walk *w, const struct lookup_ctx *c,
		    const char *table, store_row_fn fn, void *arg);
/* key_walk_read - the row under key to fn; false once the walk ends. */
bool key_walk_read(struct key_walk *w, const struct store_value *key);
/* key_walk_end - a read's failure, else STORE_OK or STORE_NOTFOUND. */
enum store_rc key_walk_end(const struct key_walk *w);

/* lookup_held.c */
/* held_build - the suppressions (supp) or pool_ips (!supp) part. */
enum store_rc held_build(struct lookup_set *ls, struct store_txn *txn,
			 bool supp);
void held_free(struct held_rows *h);
/*
 * held_suppressions - to fn, in id order, the suppressions rows that may
 *	match (address addr or domain dom; "" skips that side), read by id.
 */
enum store_rc held_suppressions(const struct lookup_ctx *c, const char *addr,
				const char *dom, store_row_fn fn, void *arg);
/*
 * held_pool_ips - to fn, in key order, the pool_ips rows whose name
 *	(by_name) or localip (!by_name) is exactly text.  STORE_NOTFOUND
 *	when none.
 */
enum store_rc held_pool_ips(const struct lookup_ctx *c, bool by_name,
			    const char *text, store_row_fn fn, void *arg);

/* lookup_capacity.c */
/* The columns the builds read (the registry's order, store/registry.c). */
enum {
	CAP_COL_IP = 2, CAP_COL_DOMAIN = 3,
	RULE_COL_CAPACITY = 1, RULE_COL_IP = 2, RULE_COL_PATTERN = 3,
	RULE_COL_TYPE = 4, RULE_COL_PRIORITY = 5,
};

/* A capacity row as a build needs it. */
struct cap_row {
	int64_t id;
	bool skip;		/* outside the filter: only for rules' rows */
	const char *ip, *dom;
	size_t iplen, domlen;
	int64_t lim[CAP_NLIMITS];
};

/* A capacity_rules row before it is ordered and compiled. */
struct rule_row {
	int64_t id, capacity, priority;
	const char *ip, *pattern, *type;
	size_t iplen, patlen, typelen;
};

/* One (localip, domain) a single-shot set is built for (lookup_set_build_for). */
struct cap_filter {
	const char *ip, *dom;
	size_t iplen, domlen;
};

/* What an incremental build resolves again over its base (lookup_capinc.c). */
struct cap_delta {
	struct lookup_set *base;	/* a full build */
	const struct shash *dirty;	/* the domains, folded */
	bool rules;			/* the rules are read and compiled again */
};

/*
 * capacity_build - the capacity part: every row (filter and delta
 *	NULL), only filter's rows, or delta's domains over its base.
 */
enum store_rc capacity_build(struct lookup_set *ls, struct store_txn *txn,
			     const struct cap_filter *filter,
			     const struct cap_delta *delta);
void capacity_free(struct lookup_set *ls);

/* lookup_capinc.c */
/*
 * capacity_update - the capacity part of txn's snapshot into ls: only
 *	what changed since prev (the part of an older set of the same
 *	epoch, or NULL) when the change log names few rows, else whole.
 */
enum store_rc capacity_update(struct lookup_set *ls, struct store_txn *txn,
			      const struct lookup_set *prev);
/*
 * rules_for_domain - a single-shot build: of the n rules in rule, keep
 *	(in order) those that match domain dom and those that do not
 *	compile (to be reported); false when out of memory.
 */
bool rules_for_domain(struct rule_row *rule, size_t *n, const char *dom,
		      size_t domlen);
/* cap_row_find - the row with that id in rows (in id order), or NULL. */
const struct cap_row *cap_row_find(const struct cap_row *row, size_t n,
				   int64_t id);

#endif
