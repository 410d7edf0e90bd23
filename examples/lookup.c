/*
 * NAME
 *	lookup.c - the delivery-settings lookups of an MTA that links libmq.a
 * SYNOPSIS
 *	cc lookup.c $(pkg-config --cflags --libs --static mq) -o lookup
 *	./lookup STORE LOCALIP DOMAIN FROM RCPT < rounds
 * DESCRIPTION
 *	Opens the store read-only and, for each line read from standard
 *	input (an MTA's next message), asks capacity(LOCALIP, DOMAIN),
 *	dkim(FROM), paused(LOCALIP, DOMAIN, no remote IP, no tag) and
 *	local(RCPT), printing
 *	one line per answer and "end" after them.
 *
 *	Each round takes a new read transaction, so it sees what mq
 *	committed since.  The lookup set (compiled patterns, the capacity
 *	cascade) is kept while the store's version stays the same and
 *	swapped by store_lookups_renew when it moved; the DKIM set is
 *	rebuilt only when dkim_set_current says it no longer fits.
 *
 *	This file is the example the README points to: the calls an
 *	MTA copies, with the error handling an MTA needs and no more.
 * DIAGNOSTICS
 *	Exit status 0, 2 on a usage error, 1 when the store cannot be
 *	opened or read (the reason on stderr).
 */
#include <stdio.h>
#include <string.h>

#include "store/store.h"

/* The answer of one round, printed as lines. */
struct round {
	struct lookup_ctx c;
	struct dkim_set *dkim;
	const char *localip, *domain, *from, *rcpt;
};

/* print_text - a text column of a row, "-" when NULL. */
static void print_text(const struct store_row *row, const char *table,
		       const char *column)
{
	const struct reg_table *t = reg_mailerq_find(table);
	const struct store_value *v = &row->col[reg_column_index(t, column)];

	if (v->kind == SV_TEXT)
		printf(" %.*s", (int)v->len, v->s);
	else
		printf(" -");
}

/* print_key - one DKIM key that signs: its domain and selector. */
static int print_key(const struct store_row *row, void *arg)
{
	(void)arg;
	printf("dkim");
	print_text(row, "dkim_keys", "domain");
	print_text(row, "dkim_keys", "selector");
	printf("\n");
	return 0;
}

/* follow_version - keep the sets when they fit this snapshot. */
static enum store_rc follow_version(struct round *r)
{
	enum store_rc rc;
	bool current = r->dkim != NULL;

	if ((rc = store_lookups_renew(&r->c.txn, &r->c.set)))
		return rc;
	if (r->dkim && (rc = dkim_set_current(r->dkim, r->c.txn, &current)))
		return rc;
	if (current)
		return STORE_OK;
	dkim_set_free(r->dkim);
	r->dkim = NULL;
	return dkim_set_build(r->c.txn, NULL, NULL, &r->dkim);
}

/* ask - the four lookups an MTA makes for one message. */
static enum store_rc ask(struct round *r)
{
	struct capacity_limits lim;
	struct store_row row;
	struct store_meta meta;
	enum store_rc rc;

	if ((rc = store_meta_get(r->c.txn, &meta)))
		return rc;
	printf("version %llu\n", (unsigned long long)meta.seq);
	if ((rc = store_lookup_capacity(&r->c, r->localip, r->domain, &lim)))
		return rc;
	printf("capacity");
	for (int i = 0; i < CAP_NLIMITS; i++)
		printf(" %s=%lld", capacity_limit_name(i),
		       (long long)lim.limit[i]);
	printf("\n");
	rc = store_lookup_dkim(r->dkim, &r->c, r->from, print_key, NULL);
	if (rc == STORE_NOTFOUND)
		printf("dkim none\n");
	else if (rc)
		return rc;
	rc = store_lookup_paused(&r->c, r->localip, r->domain, "", "", &row);
	if (rc && rc != STORE_NOTFOUND)
		return rc;
	printf("paused %s\n", rc == STORE_OK ? "yes" : "no");
	rc = store_lookup_local(&r->c, r->rcpt, &row);
	if (rc && rc != STORE_NOTFOUND)
		return rc;
	printf("local %s\nend\n", rc == STORE_OK ? "yes" : "no");
	return STORE_OK;
}

/* rounds - one round per line of standard input. */
static enum store_rc rounds(struct store *st, struct round *r)
{
	char line[256];
	enum store_rc rc = STORE_OK;

	while (rc == STORE_OK && fgets(line, sizeof line, stdin)) {
		if ((rc = store_read_begin(st, &r->c.txn)))
			break;
		if ((rc = follow_version(r)) == STORE_OK)
			rc = ask(r);
		store_read_end(r->c.txn);
		r->c.txn = NULL;
		fflush(stdout);
	}
	return rc;
}

int main(int argc, char **argv)
{
	struct round r = { 0 };
	struct store *st;
	char err[512];
	enum store_rc rc;

	if (argc != 6) {
		fprintf(stderr, "usage: lookup STORE LOCALIP DOMAIN FROM RCPT\n");
		return 2;
	}
	r.localip = argv[2];
	r.domain = argv[3];
	r.from = argv[4];
	r.rcpt = argv[5];
	if (store_open(argv[1], STORE_RDONLY, NULL, &st, err, sizeof err)) {
		fprintf(stderr, "lookup: %s\n", err);
		return 1;
	}
	if (!(r.c.scratch = pattern_scratch_new()))
		rc = STORE_INTERNAL;
	else
		rc = rounds(st, &r);
	if (rc)
		fprintf(stderr, "lookup: %s: %s\n", argv[1],
			*store_errmsg(st) ? store_errmsg(st)
					  : store_strerror(rc));
	store_lookups_release(r.c.set);
	dkim_set_free(r.dkim);
	pattern_scratch_free(r.c.scratch);
	store_close(st);
	return rc ? 1 : 0;
}
