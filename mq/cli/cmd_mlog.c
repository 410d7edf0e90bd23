/*
 * NAME
 *	cmd_mlog.c - mq cookie, checktag, mlog, status: a list's messages
 * SYNOPSIS
 *	mq cookie T MSGNUM SENDER [--digest] [--action C] [--chunk N]
 *		[--bodysize N]
 *	mq checktag T MSGNUM COOKIE [--listno N] [--digest]
 *	mq mlog T MSGNUM LISTNO CODE [--subs N] [--tai TIME] [--digest]
 *	mq status T [-n N] [--digest] [--json]
 * DESCRIPTION
 *	The message half of an ezmlm-idx list cluster (seed 5.8, 5.9): the
 *	main list computes and stores each message's cookie, a sublist
 *	checks it (and that it has not processed the message yet), every
 *	list logs arrival, processing, receipt and bounce, and status
 *	shows the last messages per sublist with the delays between those
 *	events.  The semantics live in store/cookie.c, store/checktag.c
 *	and store/mlog.c.  cookie and mlog write through the one write
 *	path (mq/ops/msg_write.h): with a database-address set SQL first,
 *	then the store.
 * DIAGNOSTICS
 *	Exit 0 ok; 1 no such list, or checktag refused the message (the
 *	reason on stderr); 64 usage; 65 a bad value or a message that has
 *	a different cookie already; 70 the store failed.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "mq/cli/cli.h"
#include "mq/ops/msg_write.h"
#include "store/mlist.h"

#define STATUS_DEFAULT	10
#define STATUS_MAX	1000	/* messages shown at most */

static const char cookie_usage[] =
	"usage: mq cookie T MSGNUM SENDER [--digest] [--action C] "
	"[--chunk N] [--bodysize N]\n"
	"Compute the cookie ezmlm-idx 7 gives message MSGNUM of list T from\n"
	"SENDER (\"\" for none) under the list's secret key, store it in\n"
	"T_cookie (T_digest_cookie with --digest) and print it.  The action\n"
	"byte is 'm' (a list message) unless --action says otherwise.  A\n"
	"message keeps its first cookie: computing it again prints the same\n"
	"one; another sender's cookie for the same message is refused.\n"
	"Put -- before a SENDER that starts with '-'.\n";

static const char checktag_usage[] =
	"usage: mq checktag T MSGNUM COOKIE [--listno N | --sublist NAME] "
	"[--digest]\n"
	"Exit 0 when COOKIE is the one stored for message MSGNUM of list T\n"
	"and, with --listno, the message has no T_mlog entry with done > 0\n"
	"for that list number (a sublist has not processed or received it\n"
	"yet).  --sublist NAME uses the lowest listno of NAME's split entries\n"
	"active for MSGNUM, as ezmlm-idx logs.  Otherwise exit 1, say why.\n";

static const char mlog_usage[] =
	"usage: mq mlog T MSGNUM LISTNO CODE [--subs N] [--tai TIME] "
	"[--digest]\n"
	"Log an event of message MSGNUM at list number LISTNO in T_mlog.\n"
	"CODE: 0 arrival, 1 processed, 2 receipt received, -1 bounce (any\n"
	"integer is kept).  The first entry per (LISTNO, MSGNUM, CODE) stays;\n"
	"a later one is ignored (\"already logged\", exit 0).  --tai sets the\n"
	"time (YYYY-MM-DD HH:MM:SS, UTC; default now).\n";

static const char status_usage[] =
	"usage: mq status T [-n N] [--digest] [--json]\n"
	"For the last N messages (default 10) of list T's message log, per\n"
	"list number: sublist name (T_name), arrival, processed, receipt and\n"
	"bounce times, and the delays main list processed -> arrival,\n"
	"arrival -> processed and processed -> receipt.  The main list logs\n"
	"as list number 0.\n";

/* The options a message command may take; each command allows some. */
enum { OPT_DIGEST = 1, OPT_ACTION = 2, OPT_CHUNK = 4, OPT_BODYSIZE = 8,
       OPT_LISTNO = 16, OPT_SUBS = 32, OPT_TAI = 64, OPT_N = 128,
       OPT_JSON = 256, OPT_SUBLIST = 512 };

struct msg_opts {
	bool digest, json;
	char action;
	int64_t chunk, bodysize, listno, subs, n;
	const char *tai, *sublist;
	const char *arg[4];
	int narg;
};

/* parse_int - a whole decimal integer within [min, max]. */
static bool parse_int(const char *s, int64_t min, int64_t max, int64_t *out)
{
	char *end;
	long long v;

	if (!*s || (s[0] != '-' && (s[0] < '0' || s[0] > '9')))
		return false;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return false;
	*out = v;
	return true;
}

/* int_opt - the value of option name at argv[*i + 1], advancing *i. */
static bool int_opt(int argc, char **argv, int *i, int64_t min, int64_t max,
		    int64_t *out)
{
	const char *name = argv[*i];

	if (*i + 1 >= argc) {
		cli_error("%s: needs a value", name);
		return false;
	}
	if (!parse_int(argv[++*i], min, max, out)) {
		cli_error("%s: not an integer in %" PRId64 "..%" PRId64 ": "
			  "'%s'", name, min, max, argv[*i]);
		return false;
	}
	return true;
}

/* value_opt - the string value of the option at argv[*i], or NULL. */
static const char *value_opt(int argc, char **argv, int *i)
{
	return *i + 1 < argc ? argv[++*i] : NULL;
}

/* parse_value_option - an option with a value: see parse_option. */
static bool parse_value_option(int argc, char **argv, int *i, unsigned mask,
			       struct msg_opts *o)
{
	const char *a = argv[*i], *v;

	if ((mask & OPT_ACTION) && !strcmp(a, "--action")) {
		if (!(v = value_opt(argc, argv, i)) || strlen(v) != 1)
			return false;
		o->action = v[0];
		return true;
	}
	if ((mask & OPT_TAI) && !strcmp(a, "--tai"))
		return (o->tai = value_opt(argc, argv, i)) != NULL;
	if ((mask & OPT_SUBLIST) && !strcmp(a, "--sublist"))
		return o->listno < 0 &&
			(o->sublist = value_opt(argc, argv, i)) != NULL;
	if ((mask & OPT_CHUNK) && !strcmp(a, "--chunk"))
		return int_opt(argc, argv, i, 0, 52, &o->chunk);
	if ((mask & OPT_BODYSIZE) && !strcmp(a, "--bodysize"))
		return int_opt(argc, argv, i, 0, INT64_MAX, &o->bodysize);
	if ((mask & OPT_LISTNO) && !strcmp(a, "--listno"))
		return !o->sublist &&
			int_opt(argc, argv, i, 0, INT64_MAX, &o->listno);
	if ((mask & OPT_SUBS) && !strcmp(a, "--subs"))
		return int_opt(argc, argv, i, 0, INT64_MAX, &o->subs);
	if ((mask & OPT_N) && !strcmp(a, "-n"))
		return int_opt(argc, argv, i, 1, STATUS_MAX, &o->n);
	return false;
}

/*
 * parse_option - the option at argv[*i] (mask allowing), consuming its
 *	value: true when it was one and well-formed.
 */
static bool parse_option(int argc, char **argv, int *i, unsigned mask,
			 struct msg_opts *o)
{
	const char *a = argv[*i];

	if ((mask & OPT_DIGEST) && !strcmp(a, "--digest"))
		o->digest = true;
	else if ((mask & OPT_JSON) && !strcmp(a, "--json"))
		o->json = true;
	else
		return parse_value_option(argc, argv, i, mask, o);
	return true;
}

/*
 * parse_opts - options allowed by mask and exactly nargs positional
 *	arguments ("-1" is one; after "--" everything is); 0 or the usage
 *	exit status.
 */
static int parse_opts(int argc, char **argv, unsigned mask, int nargs,
		      const char *usage, struct msg_opts *o)
{
	bool options = true;

	memset(o, 0, sizeof(*o));
	o->action = 'm';
	o->listno = -1;
	o->n = STATUS_DEFAULT;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		bool option = options && a[0] == '-' && a[1] &&
			!(a[1] >= '0' && a[1] <= '9');

		if (option && !strcmp(a, "--"))
			options = false;
		else if (option && !parse_option(argc, argv, &i, mask, o))
			return cli_usage(usage);
		else if (!option && o->narg == nargs)
			return cli_usage(usage);
		else if (!option)
			o->arg[o->narg++] = a;
	}
	return o->narg == nargs ? 0 : cli_usage(usage);
}

/* parse_msgnum - a message number argument: 1 .. 2^63-1. */
static bool parse_msgnum(const char *s, int64_t *out)
{
	if (parse_int(s, 1, INT64_MAX, out))
		return true;
	cli_error("message number: not a positive integer: '%s'", s);
	return false;
}

int cmd_cookie(int argc, char **argv)
{
	struct mlist_cookie_req req;
	char out[MLIST_COOKIE_LEN + 1];
	struct msg_opts o;
	struct store *st;
	int ex;

	if (cli_help(argc, argv, cookie_usage))
		return 0;
	if ((ex = parse_opts(argc, argv, OPT_DIGEST | OPT_ACTION | OPT_CHUNK |
			     OPT_BODYSIZE, 3, cookie_usage, &o)))
		return ex;
	req = (struct mlist_cookie_req){ o.arg[0], o.digest, 0, o.arg[2],
					 o.action, o.chunk, o.bodysize };
	if (!parse_msgnum(o.arg[1], &req.msgnum))
		return EXIT_DATAERR;
	if (strlen(o.arg[2]) > MLIST_SENDER_MAX) {
		cli_error("sender longer than %d bytes", MLIST_SENDER_MAX);
		return EXIT_DATAERR;
	}
	if (!(st = cli_open_store(0, &ex)))
		return ex;
	if (!(ex = cli_exit(msg_cookie(st, &req, out))))
		printf("%s\n", out);
	store_close(st);
	return ex;
}

/* tag_reason - why checktag refused, one line. */
static void tag_reason(enum mlist_tag r, const struct msg_opts *o)
{
	const char *table = o->digest ? "_digest" : "";

	switch (r) {
	case MLIST_TAG_NOCOOKIE:
		cli_error("%s%s_cookie: no cookie stored for message %s",
			  o->arg[0], table, o->arg[1]);
		break;
	case MLIST_TAG_MISMATCH:
		cli_error("%s%s_cookie: message %s: wrong cookie", o->arg[0],
			  table, o->arg[1]);
		break;
	case MLIST_TAG_DONE:
		cli_error("%s%s_mlog: message %s already processed or received"
			  " by list number %" PRId64 " (an entry with done > 0)",
			  o->arg[0], table, o->arg[1], o->listno);
		break;
	case MLIST_TAG_OK:
		break;
	}
}

int cmd_checktag(int argc, char **argv)
{
	enum mlist_tag verdict = MLIST_TAG_OK;
	struct store_txn *txn;
	struct msg_opts o;
	struct store *st;
	enum store_rc rc;
	int64_t msgnum;
	int ex;

	if (cli_help(argc, argv, checktag_usage))
		return 0;
	if ((ex = parse_opts(argc, argv, OPT_DIGEST | OPT_LISTNO | OPT_SUBLIST,
			     3, checktag_usage, &o)))
		return ex;
	if (!parse_msgnum(o.arg[1], &msgnum))
		return EXIT_DATAERR;
	if (!(st = cli_open_store(STORE_RDONLY, &ex)))
		return ex;
	if ((rc = store_read_begin(st, &txn)) == STORE_OK) {
		if (o.sublist)	/* as ezmlm-idx logs: the lowest listno */
			rc = store_split_listno(txn, o.arg[0], o.digest,
						o.sublist, msgnum, &o.listno);
		if (rc == STORE_OK)
			rc = mlist_checktag(txn, o.arg[0], o.digest, msgnum,
					    o.arg[2], o.listno, &verdict);
		store_read_end(txn);
	}
	if (rc)
		ex = cli_store_fail(st, rc);
	else if (verdict != MLIST_TAG_OK) {
		tag_reason(verdict, &o);
		ex = EXIT_NOTFOUND;
	} else
		printf("ok\n");
	store_close(st);
	return ex;
}

int cmd_mlog(int argc, char **argv)
{
	struct mlist_mlog_req req;
	struct msg_opts o;
	struct store *st;
	bool already = false;
	int ex;

	if (cli_help(argc, argv, mlog_usage))
		return 0;
	if ((ex = parse_opts(argc, argv, OPT_DIGEST | OPT_SUBS | OPT_TAI, 4,
			     mlog_usage, &o)))
		return ex;
	req = (struct mlist_mlog_req){ o.arg[0], o.digest, 0, 0, 0, o.subs,
				       o.tai };
	if (!parse_msgnum(o.arg[1], &req.msgnum))
		return EXIT_DATAERR;
	if (!parse_int(o.arg[2], 0, INT64_MAX, &req.listno) ||
	    !parse_int(o.arg[3], INT32_MIN, INT32_MAX, &req.done)) {
		cli_error("LISTNO must be an integer >= 0 and CODE an integer "
			  "(0, 1, 2, -1): '%s' '%s'", o.arg[2], o.arg[3]);
		return EXIT_DATAERR;
	}
	if (!(st = cli_open_store(0, &ex)))
		return ex;
	if (!(ex = cli_exit(msg_mlog(st, &req, &already))))
		printf("%s\n", already ? "already logged" : "logged");
	store_close(st);
	return ex;
}

/* tai_seconds - a stored time as seconds since the epoch (UTC). */
static bool tai_seconds(const char *s, double *out)
{
	struct tm tm = { 0 };
	int used = 0;
	double frac = 0;

	if (sscanf(s, "%4d-%2d-%2d %2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon,
		   &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec,
		   &used) != 6)
		return false;
	if (s[used] == '.')
		frac = strtod(s + used, NULL);
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	*out = (double)timegm(&tm) + frac;
	return true;
}

/* delay - seconds from event a to event b; false when either is missing. */
static bool delay(const struct mlist_status *ra, int a,
		  const struct mlist_status *rb, int b, double *out)
{
	double ta, tb;

	if (!ra || !ra->have[a] || !rb->have[b] ||
	    !tai_seconds(ra->tai[a], &ta) || !tai_seconds(rb->tai[b], &tb))
		return false;
	*out = tb - ta;
	return true;
}

/* fmt_delay - "7s", "2m05s", "3h04m", "2d05h"; "-" when unknown. */
static const char *fmt_delay(bool have, double secs, char buf[24])
{
	long long s = (long long)secs, a = s < 0 ? -s : s;
	const char *sign = s < 0 ? "-" : "";

	if (!have)
		return "-";
	if (a < 60)
		snprintf(buf, 24, "%s%llds", sign, a);
	else if (a < 3600)
		snprintf(buf, 24, "%s%lldm%02llds", sign, a / 60, a % 60);
	else if (a < 86400)
		snprintf(buf, 24, "%s%lldh%02lldm", sign, a / 3600,
			 a % 3600 / 60);
	else
		snprintf(buf, 24, "%s%lldd%02lldh", sign, a / 86400,
			 a % 86400 / 3600);
	return buf;
}

/* main_entry - the main list's (listno 0) entry of r's message. */
static const struct mlist_status *main_entry(const struct mlist_status *rows,
					     size_t n, int64_t msgnum)
{
	for (size_t i = 0; i < n; i++)
		if (rows[i].msgnum == msgnum && rows[i].listno == 0)
			return &rows[i];
	return NULL;
}

struct delays {
	bool have[3];
	double secs[3];
};

static void row_delays(const struct mlist_status *rows, size_t n,
		       const struct mlist_status *r, struct delays *d)
{
	const struct mlist_status *m = r->listno ? main_entry(rows, n,
							      r->msgnum) : NULL;

	d->have[0] = delay(m, MLIST_PROCESSED, r, MLIST_ARRIVAL, &d->secs[0]);
	d->have[1] = delay(r, MLIST_ARRIVAL, r, MLIST_PROCESSED, &d->secs[1]);
	d->have[2] = delay(r, MLIST_PROCESSED, r, MLIST_RECEIPT, &d->secs[2]);
}

static const char *const event_names[MLIST_NEVENTS] = {
	"arrival", "processed", "receipt", "bounce",
};
static const char *const delay_names[3] = {
	"main_to_arrival", "arrival_to_processed", "processed_to_receipt",
};

/*
 * time_cell - a stored time without its fraction, "-" without the
 *	event, "?" for an event logged without a time (ezmlm-idx 7's
 *	MySQL tables leave it NULL).
 */
static const char *time_cell(const struct mlist_status *r, int ev)
{
	static char buf[MLIST_NEVENTS][20];

	if (!r->have[ev])
		return "-";
	if (!r->tai[ev][0])
		return "?";
	snprintf(buf[ev], sizeof(buf[ev]), "%.19s", r->tai[ev]);
	return buf[ev];
}

static void print_table(const struct mlist_status *rows, size_t n)
{
	char b[3][24];

	printf("%-8s %-6s %-20s %-19s %-19s %-19s %-19s %-9s %-9s %s\n",
	       "msgnum", "listno", "sublist", "arrival", "processed",
	       "receipt", "bounce", "main>arr", "arr>proc", "proc>rcpt");
	for (size_t i = 0; i < n; i++) {
		const struct mlist_status *r = &rows[i];
		struct delays d;

		row_delays(rows, n, r, &d);
		printf("%-8" PRId64 " %-6" PRId64 " %-20s %-19s %-19s %-19s "
		       "%-19s %-9s %-9s %s\n", r->msgnum, r->listno,
		       r->name[0] ? r->name : (r->listno ? "?" : "(main)"),
		       time_cell(r, 0), time_cell(r, 1), time_cell(r, 2),
		       time_cell(r, 3), fmt_delay(d.have[0], d.secs[0], b[0]),
		       fmt_delay(d.have[1], d.secs[1], b[1]),
		       fmt_delay(d.have[2], d.secs[2], b[2]));
	}
}

json_t *msg_status_json(const struct mlist_status *rows, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < n; i++) {
		const struct mlist_status *r = &rows[i];
		json_t *o = json_object();
		struct delays d;

		row_delays(rows, n, r, &d);
		json_object_set_new(o, "msgnum", json_integer(r->msgnum));
		json_object_set_new(o, "listno", json_integer(r->listno));
		json_object_set_new(o, "sublist", json_string(r->name));
		for (int e = 0; e < MLIST_NEVENTS; e++)
			json_object_set_new(o, event_names[e], r->have[e] ?
					    json_string(r->tai[e]) :
					    json_null());
		for (int k = 0; k < 3; k++)
			json_object_set_new(o, delay_names[k], d.have[k] ?
					    json_real(d.secs[k]) :
					    json_null());
		json_array_append_new(a, o);
	}
	return a;
}

/* print_json - the status as a JSON array; false when a name is not UTF-8. */
static bool print_json(const struct mlist_status *rows, size_t n)
{
	json_t *a = msg_status_json(rows, n);
	char *s = a ? json_dumps(a, JSON_PRESERVE_ORDER | JSON_INDENT(1)) : NULL;

	json_decref(a);
	if (!s)
		return false;
	printf("%s\n", s);
	free(s);
	return true;
}

int cmd_status(int argc, char **argv)
{
	struct mlist_status *rows = NULL;
	struct store_txn *txn;
	struct msg_opts o;
	struct store *st;
	enum store_rc rc;
	size_t n = 0;
	int ex;

	if (cli_help(argc, argv, status_usage))
		return 0;
	if ((ex = parse_opts(argc, argv, OPT_DIGEST | OPT_N | OPT_JSON, 1,
			     status_usage, &o)))
		return ex;
	if (!(st = cli_open_store(STORE_RDONLY, &ex)))
		return ex;
	if ((rc = store_read_begin(st, &txn)) == STORE_OK) {
		rc = msg_status_read(txn, o.arg[0], o.digest,
					  (size_t)o.n, &rows, &n);
		store_read_end(txn);
	}
	if (rc)
		ex = cli_store_fail(st, rc);
	else if (o.json && !print_json(rows, n)) {
		cli_error("status: a sublist name is not UTF-8; use the table "
			  "form");
		ex = EXIT_DATAERR;
	} else if (!o.json)
		print_table(rows, n);
	free(rows);
	store_close(st);
	return ex;
}
