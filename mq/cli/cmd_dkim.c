/*
 * NAME
 *	cmd_dkim.c - mq dkim-record: a key's TXT record, DNS checks, statuses
 * SYNOPSIS
 *	mq dkim-record ID [--text]
 *	mq dkim-record --check [--threads N] [--json]
 *	mq dkim-record --status [--json]
 * DESCRIPTION
 *	ID prints the TXT record that publishes dkim_keys row ID's public
 *	key, as a zone-file line (--text: the record's text alone).
 *	--check runs the DNS check of every key now (mq/dkim_check.h) and
 *	stores the statuses dkim() lookups use; --status prints the stored
 *	statuses without asking DNS.  Both print TSV (--json: an array of
 *	objects of the same names, mq/ops/shapes.h):
 *		id domain selector verify status used checked detail
 *	where used says whether dkim() lookups may return the key.
 * DIAGNOSTICS
 *	Exit 1 for an unknown ID, 65 for a key that does not read (the
 *	message names the id, never the key).  --check exits 0 when every
 *	key is usable, 75 when a DNS query failed, else 1 when a key is
 *	left out.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mq/cli/cli.h"
#include "mq/ops/dkim_check.h"
#include "mq/ops/dkim_key.h"
#include "mq/ops/shapes.h"

static const char dkim_usage[] =
	"usage: mq dkim-record ID [--text]\n"
	"       mq dkim-record --check [--threads N] [--json]\n"
	"       mq dkim-record --status [--json]\n"
	"Print the DNS TXT record that publishes the public key of dkim_keys\n"
	"row ID, as a zone-file line for selector._domainkey.domain (--text:\n"
	"the record's text only).  --check asks DNS (dns-servers, else\n"
	"/etc/resolv.conf) for every key with verify set, on --threads\n"
	"threads (default database-threads), stores each key's status and\n"
	"prints them; --status prints the stored statuses.  Columns: id,\n"
	"domain, selector, verify, status, used (by dkim() lookups), checked,\n"
	"detail, verified (--json: an array of objects of these names).\n"
	"Exit status: 1 unknown ID or (--check) a key left out,\n"
	"65 unreadable key, 75 (--check) a DNS query failed.\n";

/* parse_id - a positive decimal key id. */
static bool parse_id(const char *s, int64_t *id)
{
	char *end;
	long long v = strtoll(s, &end, 10);

	*id = v;
	return *s && !*end && v > 0;
}

/* format_time - unix seconds as "YYYY-MM-DD HH:MM:SS" UTC. */
static void format_time(int64_t t, char out[32])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t <= 0 || !gmtime_r(&tt, &tm))
		snprintf(out, 32, "-");
	else
		strftime(out, 32, "%Y-%m-%d %H:%M:%S", &tm);
}

/* print_record - the record of the key in row. */
static int print_record(const struct store_row *row, int64_t id, bool text)
{
	const struct store_value *dom = &row->col[DKIM_COL_DOMAIN];
	const struct store_value *sel = &row->col[DKIM_COL_SELECTOR];
	char rec[DKIM_RECORD_MAX], why[DKIM_WHY_MAX], name[600];
	char line[DKIM_RECORD_MAX + 700];

	if (dkim_stored_record(row, rec, sizeof(rec), why, sizeof(why)) < 0) {
		cli_error("dkim_keys id %" PRId64 ": privatekey: %s", id, why);
		return EXIT_DATAERR;
	}
	if (text) {
		puts(rec);
		return 0;
	}
	if (sel->kind != SV_TEXT || !sel->len || dom->kind != SV_TEXT ||
	    !dom->len || sel->len + dom->len > 500) {
		cli_error("dkim_keys id %" PRId64 ": domain or selector empty "
			  "or too long: no record name (try --text)", id);
		return EXIT_DATAERR;
	}
	snprintf(name, sizeof(name), "%.*s._domainkey.%.*s.", (int)sel->len,
		 sel->s, (int)dom->len, dom->s);
	if (dkim_record_zone_line(name, rec, line, sizeof(line)) < 0) {
		cli_error("dkim_keys id %" PRId64 ": the record does not fit",
			  id);
		return EXIT_SOFTWARE;
	}
	puts(line);
	return 0;
}

/* show_record - mq dkim-record ID. */
static int show_record(const char *arg, bool text)
{
	struct store_value key = { .kind = SV_INT };
	struct store_txn *txn;
	struct store_row row;
	struct store *st;
	enum store_rc rc;
	int ex = 0;

	if (!parse_id(arg, &key.i)) {
		cli_error("dkim-record: not a key id: '%.40s'", arg);
		return EXIT_USAGE;
	}
	if (!(st = cli_open_store(STORE_RDONLY, &ex)))
		return ex;
	if ((rc = store_read_begin(st, &txn))) {
		ex = cli_store_fail(st, rc);
		store_close(st);
		return ex;
	}
	rc = store_get_by_key(txn, NULL, "dkim_keys", &key, &row);
	if (rc == STORE_OK)
		ex = print_record(&row, key.i, text);
	else if (rc == STORE_NOTFOUND) {
		cli_error("dkim_keys id %" PRId64 ": no such key", key.i);
		ex = EXIT_NOTFOUND;
	} else
		ex = cli_store_fail(st, rc);
	store_read_end(txn);
	store_close(st);
	return ex;
}

/* --json: the reports gathered, printed at the end (else NULL) */
static json_t *reports;

/* print_header - the TSV header of --check and --status, or the array. */
static void print_header(bool json)
{
	if (json) {
		reports = json_array();
		return;
	}
	puts("id\tdomain\tselector\tverify\tstatus\tused\tchecked\tdetail\t"
	     "verified");
}

/* print_report - one key's TSV line. */
static void print_report(const struct dkim_check_report *r)
{
	char when[32], verified[32];

	if (reports) {
		json_array_append_new(reports, ops_dkim_report_json(r));
		return;
	}
	format_time(r->rec.checked, when);
	format_time(r->rec.verified, verified);
	printf("%" PRId64 "\t%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\n",
	       r->rec.key_id, r->domain, r->selector, r->verify,
	       dkim_status_name(r->rec.status), r->left_out ? "no" : "yes",
	       when, r->rec.detail, verified);
}

/* run_check - mq dkim-record --check. */
static int run_check(unsigned threads, bool json)
{
	struct dkim_check_report *reps;
	char err[DKIM_CHECK_ERR_MAX];
	bool dns_failed = false, left_out = false;
	struct store *st;
	size_t n;
	int ex = 0;

	if (!(st = cli_open_store(0, &ex)))
		return ex;
	if (dkim_check_run(st, threads, mq_conf.dns_servers, &reps, &n,
			   err, sizeof(err)) < 0) {
		cli_error("%s", err);
		store_close(st);
		return EXIT_SOFTWARE;
	}
	print_header(json);
	for (size_t i = 0; i < n; i++) {
		print_report(&reps[i]);
		dns_failed |= reps[i].rec.status == DKIM_STATUS_DNSERROR ||
			      reps[i].rec.status == DKIM_STATUS_KEPT;
		if (!reps[i].left_out)
			continue;
		left_out = true;
		cli_error("dkim_keys id %" PRId64 " (%s._domainkey.%s) left "
			  "out: %s: %s", reps[i].rec.key_id, reps[i].selector,
			  reps[i].domain, dkim_status_name(reps[i].rec.status),
			  reps[i].rec.detail);
	}
	free(reps);
	store_close(st);
	if (json && cli_json_print(reports))
		return EXIT_SOFTWARE;
	return dns_failed ? EXIT_TEMPFAIL : left_out ? EXIT_NOTFOUND : 0;
}

/* status_row - one key's stored status, as --check prints it. */
static int status_row(const struct store_row *row, void *arg)
{
	struct dkim_check_report r;

	dkim_stored_report(arg, row, &r);
	print_report(&r);
	return 0;
}

/* show_status - mq dkim-record --status. */
static int show_status(bool json)
{
	struct store_txn *txn;
	struct store *st;
	enum store_rc rc;
	int ex = 0;

	if (!(st = cli_open_store(STORE_RDONLY, &ex)))
		return ex;
	if ((rc = store_read_begin(st, &txn)) == STORE_OK) {
		print_header(json);
		rc = store_scan(txn, "dkim_keys", NULL, 0, status_row, txn);
		store_read_end(txn);
	}
	if (rc)
		ex = cli_store_fail(st, rc);
	else if (json)
		ex = cli_json_print(reports);
	store_close(st);
	return ex;
}

int cmd_dkim_record(int argc, char **argv)
{
	unsigned threads = mq_conf.database_threads;
	const char *id = NULL;
	bool text = false, check = false, status = false, json;

	if (cli_help(argc, argv, dkim_usage))
		return 0;
	json = cli_json_flag(&argc, argv);
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--text"))
			text = true;
		else if (!strcmp(argv[i], "--check"))
			check = true;
		else if (!strcmp(argv[i], "--status"))
			status = true;
		else if (!strcmp(argv[i], "--threads") && i + 1 < argc) {
			int64_t n;

			if (!parse_id(argv[++i], &n) || n > 256) {
				cli_error("dkim-record: --threads: not 1..256:"
					  " '%.20s'", argv[i]);
				return EXIT_USAGE;
			}
			threads = (unsigned)n;
		} else if (argv[i][0] != '-' && !id)
			id = argv[i];
		else
			return cli_usage(dkim_usage);
	}
	if (check + status + (id != NULL) != 1 || (text && !id) ||
	    (json && id))
		return cli_usage(dkim_usage);
	if (check)
		return run_check(threads, json);
	if (status)
		return show_status(json);
	return show_record(id, text);
}
