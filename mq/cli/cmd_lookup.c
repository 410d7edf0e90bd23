/*
 * NAME
 *	cmd_lookup.c - mq lookup: the delivery-settings lookups from the shell
 * SYNOPSIS
 *	mq lookup KIND ARGS... [--json]
 * DESCRIPTION
 *	Builds the lookup set (store/lookup.h) of the store's current
 *	snapshot and asks one lookup, the way an MTA linking libmq.a
 *	would.  Row answers print as TSV with a header line (or a JSON
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

#define MAX_PROPS 64

static const char lookup_usage[] =
	"usage: mq lookup KIND ARGS... [--json]\n"
	"Ask one delivery-settings lookup, as an MTA would:\n"
	"  capacity LOCALIP DOMAIN       limits, column by column (cascade)\n"
	"  flood TEXT                    first flood_responses row matching\n"
	"  dkim FROM                     DKIM keys signing mail from FROM\n"
	"  local RCPT                    first locals row matching RCPT\n"
	"  delegate LOCALIP DOMAIN       the delegates row that applies\n"
	"  paused LOCALIP TARGET TAG     the paused row that applies\n"
	"  error LOCALIP DOMAIN TAG      the errors row that applies\n"
	"  mtaname LOCALIP               the mtanames row\n"
	"  dns DOMAIN                    dns rows by priority\n"
	"  response TEXT LOCALIP DOMAIN  response actions in order\n"
	"  rewrite NAME=VALUE...         rewrite actions for these message\n"
	"                                properties, in order\n"
	"Empty arguments ('') are allowed: an empty localip or domain asks\n"
	"for the rows that apply to any.  Rows print as TSV with a header\n"
	"line or, with --json, as a JSON array; capacity prints each limit\n"
	"with the level of the cascade that gave it.  Exit status 1 when\n"
	"nothing applies.  See docs/lookups.md.\n";

/* What one invocation holds open. */
struct lookup_run {
	struct store *st;
	struct lookup_ctx c;
	struct lookup_set *set;
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

static json_t *json_value(const struct store_value *v)
{
	if (v->kind == SV_INT)
		return json_integer(v->i);
	if (v->kind == SV_TEXT)
		return json_stringn(v->s, v->len);
	return json_null();
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
					    json_value(&row->col[i]));
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

/* one_row - print the single row a lookup filled in. */
static int one_row(struct lookup_run *r, const char *table, enum store_rc rc,
		   const struct store_row *row)
{
	r->t = reg_mailerq_find(table);
	if (r->json)
		fputs("[", stdout);
	if (rc == STORE_OK)
		print_row(row, r);
	return finish_rows(r, rc);
}

static int print_capacity(struct lookup_run *r, const char *ip,
			  const char *domain)
{
	struct capacity_limits lim;
	enum store_rc rc = store_lookup_capacity(&r->c, ip, domain, &lim);
	json_t *o, *lv;
	char *s;

	if (rc)
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

/* multi_rows - a lookup that calls back with each row of table. */
static int multi_rows(struct lookup_run *r, const char *table,
		      enum store_rc (*ask)(struct lookup_run *, void *),
		      void *arg)
{
	enum store_rc rc;

	r->t = reg_mailerq_find(table);
	if (r->json)
		fputs("[", stdout);
	rc = ask(r, arg);
	return finish_rows(r, rc);
}

static enum store_rc ask_dns(struct lookup_run *r, void *arg)
{
	return store_lookup_dns(&r->c, arg, print_row, r);
}

static enum store_rc ask_response(struct lookup_run *r, void *arg)
{
	char **a = arg;

	return store_lookup_response(&r->c, a[0], a[1], a[2], print_row, r);
}

/* The properties of a rewrite lookup. */
struct props {
	struct lookup_prop p[MAX_PROPS];
	int n;
};

static enum store_rc ask_rewrite(struct lookup_run *r, void *arg)
{
	struct props *p = arg;

	return store_lookup_rewrite(&r->c, p->p, p->n, print_row, r);
}

static enum store_rc ask_dkim(struct lookup_run *r, void *arg)
{
	struct dkim_set *ds;
	enum store_rc rc = dkim_set_build(r->c.txn, report_skipped, NULL, &ds);

	if (rc == STORE_OK)
		rc = store_lookup_dkim(ds, &r->c, arg, print_row, r);
	dkim_set_free(ds);
	return rc;
}

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

/* A lookup kind: its name and how many arguments it takes. */
struct kind {
	const char *name;
	int nargs;		/* -1: one or more */
};

static const struct kind kinds[] = {
	{ "capacity", 2 }, { "flood", 1 }, { "dkim", 1 }, { "local", 1 },
	{ "delegate", 2 }, { "paused", 3 }, { "error", 3 }, { "mtaname", 1 },
	{ "dns", 1 }, { "response", 3 }, { "rewrite", -1 }, { NULL, 0 },
};

/* ask - run lookup kind k with its arguments a; the exit status. */
static int ask(struct lookup_run *r, const char *k, char **a, int n)
{
	struct store_row row;
	struct props p = { .n = 0 };
	int ex;

	if (!strcmp(k, "capacity"))
		return print_capacity(r, a[0], a[1]);
	if (!strcmp(k, "flood"))
		return one_row(r, "flood_responses",
			       store_lookup_flood(&r->c, a[0], &row), &row);
	if (!strcmp(k, "local"))
		return one_row(r, "locals",
			       store_lookup_local(&r->c, a[0], &row), &row);
	if (!strcmp(k, "delegate"))
		return one_row(r, "delegates", store_lookup_delegate(&r->c,
			       a[0], a[1], &row), &row);
	if (!strcmp(k, "paused"))
		return one_row(r, "paused", store_lookup_paused(&r->c, a[0],
			       a[1], a[2], &row), &row);
	if (!strcmp(k, "error"))
		return one_row(r, "errors", store_lookup_error(&r->c, a[0],
			       a[1], a[2], &row), &row);
	if (!strcmp(k, "mtaname"))
		return one_row(r, "mtanames",
			       store_lookup_mtaname(&r->c, a[0], &row), &row);
	if (!strcmp(k, "dns"))
		return multi_rows(r, "dns", ask_dns, a[0]);
	if (!strcmp(k, "response"))
		return multi_rows(r, "response_actions", ask_response, a);
	if (!strcmp(k, "dkim"))
		return multi_rows(r, "dkim_keys", ask_dkim, a[0]);
	if ((ex = parse_props(n, a, &p)))
		return ex;
	return multi_rows(r, "rewrite_actions", ask_rewrite, &p);
}

/* parse_args - kind and arguments; --json anywhere. */
static int parse_args(int argc, char **argv, struct lookup_run *r,
		      const struct kind **k, char **a, int *n)
{
	*n = 0;
	*k = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			r->json = true;
		else if (!*k) {
			for (const struct kind *x = kinds; x->name && !*k; x++)
				if (!strcmp(x->name, argv[i]))
					*k = x;
			if (!*k) {
				cli_error("lookup: unknown kind '%s'", argv[i]);
				return cli_usage(lookup_usage);
			}
		} else if (*n < MAX_PROPS + 1)
			a[(*n)++] = argv[i];
		else
			return cli_usage(lookup_usage);
	}
	if (!*k || ((*k)->nargs >= 0 && *n != (*k)->nargs) ||
	    ((*k)->nargs < 0 && *n == 0)) {
		if (*k)
			cli_error("lookup %s: wrong number of arguments",
				  (*k)->name);
		return cli_usage(lookup_usage);
	}
	return 0;
}

int cmd_lookup(int argc, char **argv)
{
	struct lookup_run r = { 0 };
	const struct kind *k;
	char *a[MAX_PROPS + 1];
	int n, ex;
	enum store_rc rc;

	if (cli_help(argc, argv, lookup_usage))
		return 0;
	if ((ex = parse_args(argc, argv, &r, &k, a, &n)))
		return ex;
	if (!(r.st = cli_open_store(STORE_RDONLY, &ex)))
		return ex;
	rc = store_read_begin(r.st, &r.c.txn);
	if (rc == STORE_OK && !(r.c.scratch = pattern_scratch_new()))
		rc = STORE_INTERNAL;
	if (rc == STORE_OK)
		rc = lookup_set_build(r.c.txn, report_skipped, NULL, &r.set);
	if (rc == STORE_OK) {
		r.c.set = r.set;
		ex = ask(&r, k->name, a, n);
	} else
		ex = cli_store_fail(r.st, rc);
	lookup_set_free(r.set);
	pattern_scratch_free(r.c.scratch);
	store_read_end(r.c.txn);
	store_close(r.st);
	return ex;
}
