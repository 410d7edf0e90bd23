/*
 * NAME
 *	lookup_rows.c - lookups by wildcard rows: delegate, paused, error,
 *	suppressed, pool, mtaname, dns
 * SYNOPSIS
 *	#include "store/store.h"
 * DESCRIPTION
 *	delegates, paused and errors rows match when each of their key
 *	columns is empty or '*' (a wildcard, as MailerQ writes "any") or
 *	equal to the argument, ASCII-folded; paused's target and errors'
 *	domain hold a domain or a remote IP and match either argument;
 *	paused and errors rows whose expire time has passed do not count.
 *	Among the matching rows the most specific (most non-wildcard
 *	columns; then a domain before a remote IP) wins, then the lowest
 *	id.  A paused or errors localip "pool:NAME" (written by the
 *	MailerQ resources for a pool) matches the local IPs of pool NAME
 *	(pool_ips), as the IP itself would.  These tables are read in one
 *	pass over their rows, zero-copy: they are meant to stay small.
 *	suppressions match an address row equal to the recipient or a
 *	domain row equal to its domain (the address row first); a row
 *	naming neither does not count.  pool gives the pool_ips rows of a
 *	pool.  suppressions and pool_ips may be large: with a set that
 *	holds their parts (lookup_held.c) only the rows under the asked
 *	keys are read, judged by the same rules; a single-shot set
 *	(lookup_set_build_for) has no such part and the rows are read in
 *	one pass.  mtanames is a point read; dns walks the set's (domain,
 *	priority, id) order and reads each row by id.
 * DIAGNOSTICS
 *	See lookup.h.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "store/lookup_internal.h"

#define TIME_TEXT 19		/* "YYYY-MM-DD HH:MM:SS" */
#define POOL_PREFIX "pool:"	/* a localip column naming a pool */
#define POOL_PREFIX_LEN 5
#define MAX_POOLS 16		/* pools of one local IP that count */

/*
 * A wildcard search: the argument per key column, and the best row.  One
 * column (alt_col, -1: none) may match either of two arguments: paused's
 * target and errors' domain hold a domain or a remote IP.
 */
struct wild {
	const char *arg[3];
	int col[3];
	int weight[3];		/* specificity of a non-empty column */
	int ncol;
	int alt_col;		/* index in col whose column also matches alt */
	const char *alt;
	int expire_col;		/* -1: no expiry */
	bool named;		/* a row of wildcards only does not count */
	bool pools;		/* col[0] is a localip that may name a pool */
	bool held;		/* the set's suppressions part gives the rows */
	struct store_value pool[MAX_POOLS];	/* the pools of arg[0] */
	int npool;
	char now[TIME_TEXT + 1];
	int best_spec;
	struct store_row *out;
};

bool text_is_any(const char *s, size_t len)
{
	return len == 0 || (len == 1 && s[0] == '*');
}

void key_walk_start(struct key_walk *w, const struct lookup_ctx *c,
		    const char *table, store_row_fn fn, void *arg)
{
	*w = (struct key_walk){ .c = c, .t = reg_mailerq_find(table),
				.table = table, .fn = fn, .arg = arg };
}

bool key_walk_read(struct key_walk *w, const struct store_value *key)
{
	struct store_row row;

	w->rc = store_get_by_key(w->c->txn, w->t, w->table, key, &row);
	if (w->rc == STORE_NOTFOUND) {	/* deleted since the set was built */
		w->rc = STORE_OK;
		return true;
	}
	if (w->rc != STORE_OK)
		return false;
	w->found = true;
	return w->fn(&row, w->arg) == 0;
}

enum store_rc key_walk_end(const struct key_walk *w)
{
	return w->rc ? w->rc : w->found ? STORE_OK : STORE_NOTFOUND;
}

/* expired - has the time text (s, len) passed w->now?  Empty: never. */
static bool expired(const struct wild *w, const struct store_value *v)
{
	size_t n;

	if (v->kind != SV_TEXT || v->len == 0)
		return false;
	n = v->len < TIME_TEXT ? v->len : TIME_TEXT;
	return memcmp(v->s, w->now, n) <= 0;
}

/* in_pool - does the localip column text s (after "pool:") name a pool
 * of the localip argument? */
static bool in_pool(const struct wild *w, const char *s, size_t len)
{
	for (int i = 0; i < w->npool; i++)
		if (w->pool[i].len == len && memcmp(w->pool[i].s, s, len) == 0)
			return true;
	return false;
}

/*
 * column_spec - the specificity column i of row r adds (0: any), or -1
 *	when it names something else.  Weights are even: the alternative
 *	column scores one more when it names the first argument (the
 *	domain) than the second (the remote IP), so a domain row comes
 *	before an IP row of the same count.
 */
static int column_spec(const struct wild *w, const struct store_row *r, int i)
{
	size_t len;
	const char *s = row_text(r, w->col[i], &len);

	if (text_is_any(s, len))
		return 0;
	if (text_fold_equal(s, len, w->arg[i], strlen(w->arg[i])))
		return 2 * w->weight[i] + (i == w->alt_col);
	if (i == 0 && w->pools && len > POOL_PREFIX_LEN &&
	    memcmp(s, POOL_PREFIX, POOL_PREFIX_LEN) == 0 &&
	    in_pool(w, s + POOL_PREFIX_LEN, len - POOL_PREFIX_LEN))
		return 2 * w->weight[i];
	if (i == w->alt_col && text_fold_equal(s, len, w->alt, strlen(w->alt)))
		return 2 * w->weight[i];
	return -1;
}

static int wild_row(const struct store_row *r, void *arg)
{
	struct wild *w = arg;
	int spec = 0;

	for (int i = 0; i < w->ncol; i++) {
		int s = column_spec(w, r, i);
		if (s < 0)
			return 0;
		spec += s;
	}
	if (w->expire_col >= 0 && expired(w, &r->col[w->expire_col]))
		return 0;
	/* Rows come in id order: only a more specific one replaces. */
	if (spec > w->best_spec) {
		w->best_spec = spec;
		*w->out = *r;
	}
	return 0;
}

/* The rows of one pool, handed on to the caller's function. */
struct pool_walk {
	store_row_fn fn;
	void *arg;
	bool found;
};

static int pool_row(const struct store_row *r, void *arg)
{
	struct pool_walk *p = arg;

	p->found = true;
	return p->fn(r, p->arg);
}

/* pool_of - collect a pool_ips row's pool name (points into the map). */
static int pool_of(const struct store_row *r, void *arg)
{
	struct wild *w = arg;
	size_t len;
	const char *s = row_text(r, 0, &len);

	if (w->npool == MAX_POOLS)
		return 1;
	w->pool[w->npool++] = (struct store_value){ .kind = SV_TEXT, .s = s,
						    .len = len };
	return 0;
}

/* find_pools - the pools the localip argument belongs to. */
static enum store_rc find_pools(const struct lookup_ctx *c, struct wild *w)
{
	struct store_filter f = { .col = 1, .v = { .kind = SV_TEXT,
		.s = w->arg[0], .len = strlen(w->arg[0]) } };

	enum store_rc rc;

	w->npool = 0;
	if (!w->pools || f.v.len == 0)
		return STORE_OK;
	if (!c->set->pools.built)
		return store_scan(c->txn, "pool_ips", &f, 1, pool_of, w);
	rc = held_pool_ips(c, false, w->arg[0], pool_of, w);
	return rc == STORE_NOTFOUND ? STORE_OK : rc;
}

/* format_now - ctx->now (or the clock) as UTC time text. */
static void format_now(const struct lookup_ctx *c, char out[TIME_TEXT + 1])
{
	time_t t = c->now ? (time_t)c->now : time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, TIME_TEXT + 1, "%Y-%m-%d %H:%M:%S", &tm);
}

/* wild_lookup - the best row of table for the arguments of w. */
static enum store_rc wild_lookup(const struct lookup_ctx *c,
				 const char *table, struct wild *w)
{
	enum store_rc rc;

	for (int i = 0; i < w->ncol; i++)
		if (strlen(w->arg[i]) > REG_KEY_TEXT_MAX ||
		    (i == w->alt_col && strlen(w->alt) > REG_KEY_TEXT_MAX))
			return store_fail(c->txn->st, STORE_BADDATA, "%s "
					  "lookup: argument longer than %d "
					  "bytes", table, REG_KEY_TEXT_MAX);
	format_now(c, w->now);
	w->best_spec = -1;
	rc = find_pools(c, w);
	if (rc == STORE_OK && w->held)	/* suppressions: arg = address, domain */
		rc = held_suppressions(c, w->arg[0], w->arg[1], wild_row, w);
	else if (rc == STORE_OK)
		rc = store_scan(c->txn, table, NULL, 0, wild_row, w);
	if (rc == STORE_OK && (w->best_spec < 0 ||
			       (w->named && w->best_spec == 0)))
		rc = STORE_NOTFOUND;
	return rc;
}

enum store_rc store_lookup_delegate(const struct lookup_ctx *c,
				    const char *localip, const char *domain,
				    struct store_row *out)
{
	/* A domain-only row is more specific than a localip-only one. */
	struct wild w = { .arg = { localip, domain }, .col = { 1, 2 },
			  .weight = { 1, 2 }, .ncol = 2, .alt_col = -1,
			  .expire_col = -1, .out = out };

	return wild_lookup(c, "delegates", &w);
}

enum store_rc store_lookup_paused(const struct lookup_ctx *c,
				  const char *localip, const char *domain,
				  const char *ip, const char *tag,
				  struct store_row *out)
{
	struct wild w = { .arg = { localip, domain, tag }, .col = { 1, 2, 3 },
			  .weight = { 1, 1, 1 }, .ncol = 3, .alt_col = 1,
			  .alt = ip, .expire_col = 4, .pools = true,
			  .out = out };

	return wild_lookup(c, "paused", &w);
}

enum store_rc store_lookup_error(const struct lookup_ctx *c,
				 const char *localip, const char *domain,
				 const char *ip, const char *tag,
				 struct store_row *out)
{
	struct wild w = { .arg = { localip, domain, tag }, .col = { 1, 2, 3 },
			  .weight = { 1, 1, 1 }, .ncol = 3, .alt_col = 1,
			  .alt = ip, .expire_col = 7, .pools = true,
			  .out = out };

	return wild_lookup(c, "errors", &w);
}

enum store_rc store_lookup_suppressed(const struct lookup_ctx *c,
				      const char *rcpt, struct store_row *out)
{
	const char *at = strrchr(rcpt, '@');
	/* An address row is more specific than a domain row. */
	struct wild w = { .arg = { at ? rcpt : "", at ? at + 1 : rcpt },
			  .col = { 1, 2 }, .weight = { 2, 1 }, .ncol = 2,
			  .alt_col = -1, .expire_col = 6, .named = true,
			  .held = c->set->supp.built, .out = out };

	return wild_lookup(c, "suppressions", &w);
}

enum store_rc store_lookup_pool(const struct lookup_ctx *c, const char *name,
				store_row_fn fn, void *arg)
{
	struct pool_walk p = { fn, arg, false };
	struct store_filter f = { .col = 0, .v = { .kind = SV_TEXT, .s = name,
						   .len = strlen(name) } };
	enum store_rc rc;

	if (f.v.len > REG_KEY_TEXT_MAX)
		return store_fail(c->txn->st, STORE_BADDATA, "pool lookup: "
				  "name longer than %d bytes",
				  REG_KEY_TEXT_MAX);
	if (c->set->pools.built)
		return held_pool_ips(c, true, name, fn, arg);
	rc = store_scan(c->txn, "pool_ips", &f, 1, pool_row, &p);
	return rc == STORE_OK && !p.found ? STORE_NOTFOUND : rc;
}

enum store_rc store_lookup_mtaname(const struct lookup_ctx *c,
				   const char *localip, struct store_row *out)
{
	struct store_value key = { .kind = SV_TEXT, .s = localip,
				   .len = strlen(localip) };

	if (key.len > REG_KEY_TEXT_MAX)
		return store_fail(c->txn->st, STORE_BADDATA, "mtaname lookup: "
				  "localip longer than %d bytes",
				  REG_KEY_TEXT_MAX);
	return store_get_by_key(c->txn, reg_mailerq_find("mtanames"),
				"mtanames", &key, out);
}

enum store_rc store_lookup_dns(const struct lookup_ctx *c, const char *domain,
			       store_row_fn fn, void *arg)
{
	const struct lookup_set *ls = c->set;
	struct dns_entry want = { domain, strlen(domain), INT64_MIN, 0 };
	struct store_value key = { .kind = SV_INT };
	struct key_walk w;
	uint32_t lo = 0, hi = ls->ndns;

	key_walk_start(&w, c, "dns", fn, arg);
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (dns_compare(&ls->dns[mid], &want) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < ls->ndns && text_fold_equal(ls->dns[lo].domain,
			ls->dns[lo].len, want.domain, want.len); lo++) {
		key.i = ls->dns[lo].id;
		if (!key_walk_read(&w, &key))
			break;
	}
	return key_walk_end(&w);
}
