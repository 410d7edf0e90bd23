/*
 * NAME
 *	lookup_rows.c - lookups by wildcard rows: delegate, paused, error,
 *	mtaname, dns
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
 *	id.  These tables are read in one
 *	pass over their rows, zero-copy: they are meant to stay small.
 *	mtanames is a point read; dns walks the set's (domain, priority,
 *	id) order and reads each row by id.
 * DIAGNOSTICS
 *	See lookup.h.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "store/lookup_internal.h"

#define TIME_TEXT 19		/* "YYYY-MM-DD HH:MM:SS" */

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
	char now[TIME_TEXT + 1];
	int best_spec;
	struct store_row *out;
};

bool text_is_any(const char *s, size_t len)
{
	return len == 0 || (len == 1 && s[0] == '*');
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
	rc = store_scan(c->txn, table, NULL, 0, wild_row, w);
	if (rc == STORE_OK && w->best_spec < 0)
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
			  .alt = ip, .expire_col = 4, .out = out };

	return wild_lookup(c, "paused", &w);
}

enum store_rc store_lookup_error(const struct lookup_ctx *c,
				 const char *localip, const char *domain,
				 const char *ip, const char *tag,
				 struct store_row *out)
{
	struct wild w = { .arg = { localip, domain, tag }, .col = { 1, 2, 3 },
			  .weight = { 1, 1, 1 }, .ncol = 3, .alt_col = 1,
			  .alt = ip, .expire_col = 7, .out = out };

	return wild_lookup(c, "errors", &w);
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
	const struct reg_table *t = reg_mailerq_find("dns");
	uint32_t lo = 0, hi = ls->ndns;
	bool found = false;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (dns_compare(&ls->dns[mid], &want) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < ls->ndns && text_fold_equal(ls->dns[lo].domain,
			ls->dns[lo].len, want.domain, want.len); lo++) {
		struct store_row row;
		enum store_rc rc;

		key.i = ls->dns[lo].id;
		rc = store_get_by_key(c->txn, t, "dns", &key, &row);
		if (rc == STORE_NOTFOUND)
			continue;
		if (rc)
			return rc;
		found = true;
		if (fn(&row, arg))
			break;
	}
	return found ? STORE_OK : STORE_NOTFOUND;
}
