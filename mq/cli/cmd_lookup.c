/*
 * NAME
 *	cmd_lookup.c - mq lookup: the delivery-settings lookups from the shell
 * SYNOPSIS
 *	mq lookup KIND ARGS... [--json]
 * DESCRIPTION
 *	Builds a lookup set (store/lookup.h) of only what the one lookup
 *	needs from the current snapshot (lookup_set_build_for: for
 *	capacity, the rows and rules that can apply to the pair asked)
 *	and asks it by kind (lookup_kinds,
 *	store_lookup_ask), the way an MTA linking libmq.a would.  Row
 *	answers print as TSV with a header line (or a JSON
 *	array), in the lookup's order; capacity prints one line per limit
 *	column with its value, the cascade level that gave it and that
 *	row's id.
 * DIAGNOSTICS
 *	Patterns skipped while building the set are reported on stderr,
 *	one "mq: warning: ..." line each, and do not change the exit
 *	status.  Exit status 0 found, 1 nothing applies (not paused, not
 *	local, ...), 64 usage, 65 an argument too long, 70 internal.
 */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "mq/cli/cli.h"
#include "mq/cli/tsv.h"
#include "mq/ops/ops.h"

#define MAX_PROPS 64

static const char lookup_usage[] =
	"usage: mq lookup KIND ARGS... [--json]\n"
	"Ask one delivery-settings lookup, as an MTA would:\n"
	"  capacity LOCALIP DOMAIN       limits, column by column (cascade)\n"
	"  flood TEXT                    first flood_responses row matching\n"
	"  dkim FROM                     DKIM keys signing mail from FROM\n"
	"  local RCPT                    first locals row matching RCPT\n"
	"  delegate LOCALIP DOMAIN       the delegates row that applies\n"
	"  paused LOCALIP DOMAIN IP TAG  the paused row that applies to the\n"
	"                                domain or the remote IP\n"
	"  error LOCALIP DOMAIN IP TAG   the errors row that applies, alike\n"
	"  mtaname LOCALIP               the mtanames row\n"
	"  dns DOMAIN                    dns rows by priority\n"
	"  response TEXT LOCALIP DOMAIN  response actions in order\n"
	"  rewrite NAME=VALUE...         rewrite actions for these message\n"
	"                                properties, in order\n"
	"  suppressed RCPT               the suppressions row for RCPT\n"
	"  pool NAME                     the local IPs of pool NAME\n"
	"  response_pattern TEXT LOCALIP DOMAIN\n"
	"                                the response_patterns rows that\n"
	"                                response takes the actions of\n"
	"Empty arguments ('') are allowed: an empty localip or domain asks\n"
	"for the rows that apply to any.  Rows print as TSV with a header\n"
	"line or, with --json, as a JSON array; capacity prints each limit\n"
	"with the level of the cascade that gave it.  Exit status 1 when\n"
	"nothing applies.  See docs/lookups.md.\n";

/* What one invocation holds open. */
struct lookup_run {
	struct store *st;
	struct lookup_ctx c;
	struct lookup_request q;
	const struct reg_table *t;	/* table of the rows printed */
	bool json;
	int rows;
	bool bad_utf8;
};

/* report_skipped - a pattern or rule the set left out. */
static void report_skipped(void *arg, const char *line)
{
	(void)arg;
	cli_error("warning: %s", line);
}

/*
 * An answer never shows a secret column (a DKIM private key): the row
 * names the key by id; "mq get dkim_keys id=N" is the way to read it.
 */
static void print_tsv_header(const struct reg_table *t)
{
	const char *sep = "";

	for (int i = 0; i < t->ncols; i++)
		if (!(t->cols[i].flags & REG_SECRET)) {
			printf("%s%s", sep, t->cols[i].name);
			sep = "\t";
		}
	putchar('\n');
}

static void print_tsv_row(const struct reg_table *t, const struct store_row *row)
{
	const char *sep = "";

	for (int i = 0; i < t->ncols; i++)
		if (!(t->cols[i].flags & REG_SECRET)) {
			fputs(sep, stdout);
			tsv_write_value(stdout, &row->col[i]);
			sep = "\t";
		}
	putchar('\n');
}

/* print_row - one answer row, TSV or a JSON array element. */
static int print_row(const struct store_row *row, void *arg)
{
	struct lookup_run *r = arg;
	json_t *o;
	char *s = NULL;

	if (!r->json) {
		if (r->rows++ == 0)
			print_tsv_header(r->t);
		print_tsv_row(r->t, row);
		return 0;
	}
	o = json_object();
	for (int i = 0; o && i < r->t->ncols; i++)
		if (!(r->t->cols[i].flags & REG_SECRET))
			json_object_set_new(o, r->t->cols[i].name,
					    ops_json_value(&row->col[i]));
	if (o)
		s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (!s) {
		r->bad_utf8 = true;
		return 1;
	}
	printf("%s\n%s", r->rows++ ? "," : "", s);
	free(s);
	return 0;
}

/* finish_rows - close the output; the exit status of a row lookup. */
static int finish_rows(struct lookup_run *r, enum store_rc rc)
{
	if (r->json)
		fputs(r->rows ? "\n]\n" : "]\n", stdout);
	else if (r->rows == 0 && rc == STORE_NOTFOUND)
		print_tsv_header(r->t);
	if (fflush(stdout) != 0) {
		cli_error("stdout: %s", strerror(errno));
		return EXIT_SOFTWARE;
	}
	if (r->bad_utf8) {
		cli_error("lookup %s: a text value is not UTF-8; JSON cannot "
			  "hold it (the TSV output is lossless)", r->t->name);
		return EXIT_DATAERR;
	}
	if (rc == STORE_NOTFOUND)
		return EXIT_NOTFOUND;
	return rc ? cli_store_fail(r->st, rc) : 0;
}

/* print_capacity - each limit with its value, level and row id. */
static int print_capacity(struct lookup_run *r)
{
	struct capacity_limits lim;
	enum store_rc rc;
	json_t *o, *lv;
	char *s;

	r->q.limits = &lim;
	if ((rc = store_lookup_ask(&r->c, &r->q)))
		return cli_store_fail(r->st, rc);
	if (!r->json) {
		puts("limit\tvalue\tlevel\tid");
		for (int i = 0; i < CAP_NLIMITS; i++)
			printf("%s\t%lld\t%s\t%lld\n", capacity_limit_name(i),
			       (long long)lim.limit[i],
			       capacity_level_name(lim.level[i]),
			       (long long)lim.from_id[i]);
		return fflush(stdout) ? EXIT_SOFTWARE : 0;
	}
	o = json_object();
	lv = json_object();
	for (int i = 0; i < CAP_NLIMITS; i++) {
		json_object_set_new(o, capacity_limit_name(i),
				    json_integer(lim.limit[i]));
		json_object_set_new(lv, capacity_limit_name(i),
				    json_pack("{s:s,s:I}", "level",
					      capacity_level_name(lim.level[i]),
					      "id", (json_int_t)lim.from_id[i]));
	}
	json_object_set_new(o, "levels", lv);
	s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (!s)
		return EXIT_SOFTWARE;
	puts(s);
	free(s);
	return fflush(stdout) ? EXIT_SOFTWARE : 0;
}

/* print_rows - a lookup answered by rows of its kind's table. */
static int print_rows(struct lookup_run *r)
{
	struct dkim_set *ds = NULL;
	enum store_rc rc = STORE_OK;

	r->t = reg_mailerq_find(r->q.kind->table);
	if (r->q.kind->id == LOOKUP_DKIM)
		rc = dkim_set_build(r->c.txn, report_skipped, NULL, &ds);
	r->q.dkim = ds;
	r->q.fn = print_row;
	r->q.fn_arg = r;
	if (r->json)
		fputs("[", stdout);
	if (rc == STORE_OK)
		rc = store_lookup_ask(&r->c, &r->q);
	dkim_set_free(ds);
	return finish_rows(r, rc);
}

/* The properties of a rewrite lookup. */
struct props {
	struct lookup_prop p[MAX_PROPS];
	int n;
};

/* parse_props - NAME=VALUE arguments; EXIT_USAGE on a bad one. */
static int parse_props(int argc, char **argv, struct props *p)
{
	if (argc > MAX_PROPS) {
		cli_error("lookup rewrite: more than %d properties", MAX_PROPS);
		return EXIT_USAGE;
	}
	for (int i = 0; i < argc; i++) {
		char *eq = strchr(argv[i], '=');
		if (!eq || eq == argv[i]) {
			cli_error("lookup rewrite: argument %d: '%s' is not "
				  "NAME=VALUE", i + 1, argv[i]);
			return EXIT_USAGE;
		}
		*eq = '\0';
		p->p[p->n++] = (struct lookup_prop){ argv[i], eq + 1 };
	}
	return 0;
}

/* kind_nargs - the arguments kind k takes; -1: one or more properties. */
static int kind_nargs(const struct lookup_kind *k)
{
	int n = 0;

	while (n < LOOKUP_MAX_ARGS && k->params[n])
		n++;
	return n ? n : -1;
}

/* take_args - the kind's arguments into r->q; EXIT_USAGE on bad ones. */
static int take_args(struct lookup_run *r, char **a, int n, struct props *p)
{
	int ex;

	if (kind_nargs(r->q.kind) > 0) {
		for (int i = 0; i < n; i++)
			r->q.args[i] = a[i];
		return 0;
	}
	if ((ex = parse_props(n, a, p)))
		return ex;
	r->q.props = p->p;
	r->q.nprops = p->n;
	return 0;
}

/* parse_args - kind and arguments; --json anywhere. */
static int parse_args(int argc, char **argv, struct lookup_run *r,
		      char **a, int *n)
{
	const struct lookup_kind *k = NULL;
	int want;

	*n = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			r->json = true;
		else if (!k) {
			if (!(k = lookup_kind_find(argv[i]))) {
				cli_error("lookup: unknown kind '%s'", argv[i]);
				return cli_usage(lookup_usage);
			}
		} else if (*n < MAX_PROPS + 1)
			a[(*n)++] = argv[i];
		else
			return cli_usage(lookup_usage);
	}
	want = k ? kind_nargs(k) : 0;
	if (!k || (want >= 0 && *n != want) || (want < 0 && *n == 0)) {
		if (k)
			cli_error("lookup %s: wrong number of arguments",
				  k->name);
		return cli_usage(lookup_usage);
	}
	r->q.kind = k;
	return 0;
}

/* ask - the lookup with a set of only what it needs (one shot). */
static int ask(struct lookup_run *r)
{
	enum store_rc rc = store_read_begin(r->st, &r->c.txn);
	struct lookup_set *set = NULL;
	int ex;

	if (rc == STORE_OK && !(r->c.scratch = pattern_scratch_new()))
		rc = STORE_INTERNAL;
	if (rc == STORE_OK)
		rc = lookup_set_build_for(r->c.txn, &r->q, report_skipped,
					  NULL, &set);
	r->c.set = set;
	if (rc)
		ex = cli_store_fail(r->st, rc);
	else
		ex = r->q.kind->table ? print_rows(r) : print_capacity(r);
	lookup_set_free(set);
	pattern_scratch_free(r->c.scratch);
	store_read_end(r->c.txn);
	return ex;
}

int cmd_lookup(int argc, char **argv)
{
	struct lookup_run r = { 0 };
	struct props p = { .n = 0 };
	char *a[MAX_PROPS + 1];
	int n, ex;

	if (cli_help(argc, argv, lookup_usage))
		return 0;
	if ((ex = parse_args(argc, argv, &r, a, &n)) ||
	    (ex = take_args(&r, a, n, &p)))
		return ex;
	if (!(r.st = cli_open_store(STORE_RDONLY, &ex)))
		return ex;
	ex = ask(&r);
	store_close(r.st);
	return ex;
}
