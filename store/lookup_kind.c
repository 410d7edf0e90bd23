/*
 * NAME
 *	lookup_kind.c - the lookups by kind: names, arguments, one dispatch
 * SYNOPSIS
 *	#include "store/store.h"
 *
 *	const struct lookup_kind *k = lookup_kind_find("paused");
 *	struct lookup_request q = { .kind = k,
 *				    .args = { localip, domain, ip, tag },
 *				    .fn = each_row, .fn_arg = arg };
 *	store_lookup_ask(&ctx, &q);
 * DESCRIPTION
 *	mq lookup KIND ARGS and GET /v1/lookup/KIND?PARAMS ask the same
 *	questions: the kinds, their argument names and bounds, the table
 *	whose rows answer, and the call each kind makes live here once,
 *	so the two faces only parse and print.
 * DIAGNOSTICS
 *	As the lookup asked (lookup.h, dkim.h); STORE_BADDATA for a
 *	request that lacks what its kind needs.
 */
#include <string.h>

#include "store/internal.h"

#define KEY	REG_KEY_TEXT_MAX

#define KIND(id, ...)	[id] = { id, __VA_ARGS__ }

const struct lookup_kind lookup_kinds[LOOKUP_KINDS] = {
	KIND(LOOKUP_CAPACITY, "capacity", { "localip", "domain" },
	     { KEY, KEY }, NULL),
	KIND(LOOKUP_FLOOD, "flood", { "text" }, { 0 }, "flood_responses"),
	KIND(LOOKUP_DKIM, "dkim", { "from" }, { DKIM_FROM_MAX }, "dkim_keys"),
	KIND(LOOKUP_LOCAL, "local", { "rcpt" }, { KEY }, "locals"),
	KIND(LOOKUP_DELEGATE, "delegate", { "localip", "domain" },
	     { KEY, KEY }, "delegates"),
	KIND(LOOKUP_PAUSED, "paused", { "localip", "domain", "ip", "tag" },
	     { KEY, KEY, KEY, KEY }, "paused"),
	KIND(LOOKUP_ERROR, "error", { "localip", "domain", "ip", "tag" },
	     { KEY, KEY, KEY, KEY }, "errors"),
	KIND(LOOKUP_MTANAME, "mtaname", { "localip" }, { KEY }, "mtanames"),
	KIND(LOOKUP_DNS, "dns", { "domain" }, { KEY }, "dns"),
	KIND(LOOKUP_RESPONSE, "response", { "text", "localip", "domain" },
	     { 0, KEY, KEY }, "response_actions"),
	KIND(LOOKUP_REWRITE, "rewrite", { NULL }, { 0 }, "rewrite_actions"),
	KIND(LOOKUP_SUPPRESSED, "suppressed", { "rcpt" }, { KEY },
	     "suppressions"),
	KIND(LOOKUP_POOL, "pool", { "name" }, { KEY }, "pool_ips"),
	KIND(LOOKUP_RESPONSE_PATTERN, "response_pattern",
	     { "text", "localip", "domain" }, { 0, KEY, KEY },
	     "response_patterns"),
};

const struct lookup_kind *lookup_kind_find(const char *name)
{
	for (int i = 0; i < LOOKUP_KINDS; i++)
		if (strcmp(lookup_kinds[i].name, name) == 0)
			return &lookup_kinds[i];
	return NULL;
}

/* one_row - the answer of a lookup that finds one row: fn gets it. */
static enum store_rc one_row(const struct lookup_request *q, enum store_rc rc,
			     const struct store_row *row)
{
	if (rc == STORE_OK)
		q->fn(row, q->fn_arg);
	return rc;
}

/* ask_one - the kinds answered by one row. */
static enum store_rc ask_one(const struct lookup_ctx *c,
			     const struct lookup_request *q)
{
	const char *const *a = q->args;
	struct store_row row;

	switch (q->kind->id) {
	case LOOKUP_FLOOD:
		return one_row(q, store_lookup_flood(c, a[0], &row), &row);
	case LOOKUP_LOCAL:
		return one_row(q, store_lookup_local(c, a[0], &row), &row);
	case LOOKUP_DELEGATE:
		return one_row(q, store_lookup_delegate(c, a[0], a[1], &row),
			       &row);
	case LOOKUP_PAUSED:
		return one_row(q, store_lookup_paused(c, a[0], a[1], a[2],
						      a[3], &row), &row);
	case LOOKUP_ERROR:
		return one_row(q, store_lookup_error(c, a[0], a[1], a[2],
						     a[3], &row), &row);
	case LOOKUP_MTANAME:
		return one_row(q, store_lookup_mtaname(c, a[0], &row), &row);
	case LOOKUP_SUPPRESSED:
		return one_row(q, store_lookup_suppressed(c, a[0], &row), &row);
	default:
		return store_fail(c->txn->st, STORE_BADDATA, "lookup %s: "
				  "not a kind", q->kind->name);
	}
}

/* ask_rows - the kinds that answer with any number of rows. */
static enum store_rc ask_rows(const struct lookup_ctx *c,
			      const struct lookup_request *q)
{
	const char *const *a = q->args;

	switch (q->kind->id) {
	case LOOKUP_DKIM:
		return store_lookup_dkim(q->dkim, c, a[0], q->fn, q->fn_arg);
	case LOOKUP_DNS:
		return store_lookup_dns(c, a[0], q->fn, q->fn_arg);
	case LOOKUP_POOL:
		return store_lookup_pool(c, a[0], q->fn, q->fn_arg);
	case LOOKUP_RESPONSE:
		return store_lookup_response(c, a[0], a[1], a[2], q->fn,
					     q->fn_arg);
	case LOOKUP_RESPONSE_PATTERN:
		return store_lookup_response_patterns(c, a[0], a[1], a[2],
						      q->fn, q->fn_arg);
	case LOOKUP_REWRITE:
		return store_lookup_rewrite(c, q->props, q->nprops, q->fn,
					    q->fn_arg);
	default:
		return ask_one(c, q);
	}
}

/* request_lacks - what q lacks for its kind, or NULL. */
static const char *request_lacks(const struct lookup_request *q)
{
	if (q->kind->id == LOOKUP_CAPACITY)
		return q->limits ? NULL : "a place for the limits";
	if (!q->fn)
		return "a function for the rows";
	if (q->kind->id == LOOKUP_DKIM && !q->dkim)
		return "the DKIM set";
	if (q->kind->id == LOOKUP_REWRITE && q->nprops <= 0)
		return "the message properties";
	return NULL;
}

enum store_rc store_lookup_ask(const struct lookup_ctx *c,
			       const struct lookup_request *q)
{
	const char *lacks = request_lacks(q);

	if (lacks)
		return store_fail(c->txn->st, STORE_BADDATA, "lookup %s: %s "
				  "missing", q->kind->name, lacks);
	if (q->kind->id == LOOKUP_CAPACITY)
		return store_lookup_capacity(c, q->args[0], q->args[1],
					     q->limits);
	return ask_rows(c, q);
}
