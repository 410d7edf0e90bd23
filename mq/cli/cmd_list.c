/*
 * NAME
 *	cmd_list.c - mq sub, unsub, issub, list, log: a list's subscribers
 * SYNOPSIS
 *	mq sub T [--digest|--allow|--deny|--mod] [--hash N] [--from LINE] [-n] ADDR...|-
 *	mq unsub T [--digest|--allow|--deny|--mod] [--hash N] [-n] ADDR...|-
 *	mq issub T [--digest|--allow|--deny|--mod] ADDR
 *	mq list T [--digest|--allow|--deny|--mod] [--hash N] [-n]
 *	mq list T [--digest] --sublist NAME --msgnum N [--listno] [-n]
 *	mq log T [--digest|--allow|--deny|--mod] [SEARCH]
 * DESCRIPTION
 *	The command-line face of store/subscribe.c and store/sublist.c
 *	(ezmlm-idx's ezmlm-sub, ezmlm-unsub, ezmlm-issubn, ezmlm-list and
 *	the SQL plugin's searchlog).  Addresses from stdin are read whole
 *	and checked before anything is written; all of them go into one
 *	write transaction, so bad input changes nothing.
 * DIAGNOSTICS
 *	One line "mq: ..." naming the input line or address; exit status
 *	as mq/cli.h.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mq/cli/cli.h"
#include "mq/cli/list_cli.h"
#include "mq/cli/sub_input.h"
#include "mq/ops/list_write.h"
#include "mq/ops/ops.h"
#include "mq/ops/shapes.h"

#define OUT_BUF		(1 << 20)

static const char sub_usage[] =
	"usage: mq sub T [--digest|--allow|--deny|--mod] [--hash N] "
	"[--from LINE] [-n] ADDR... | -\n"
	"Subscribe addresses to list T (or its digest, allow, deny or mod\n"
	"table); '-' reads one address a line from stdin (empty lines and\n"
	"'#' lines skipped).  With -n (ezmlm-sub -n) a line is an address,\n"
	"a space, tab or comma and its from line ('\\' keeps the next byte),\n"
	"and the arguments are ADDR FROMLINE pairs.  'Name <addr>' is taken\n"
	"as addr; an address RFC 5321 does not take is refused (exit 65).\n"
	"The domain is stored lower-cased; an address present in any case\n"
	"is left as it is.  --hash N forces the hash: 99 a sublist, 98 the\n"
	"return-receipt address, other values above 52 block the address.\n"
	"Each change writes one T_slog row (etype 'm', from line LINE); all\n"
	"are written in one transaction, or none when one is bad.\n";

static const char unsub_usage[] =
	"usage: mq unsub T [--digest|--allow|--deny|--mod] [--hash N] "
	"[--from LINE] [-n] ADDR... | -\n"
	"Unsubscribe addresses (any case) from list T.  Without --hash only\n"
	"an address with a normal hash (0..52) is removed; with --hash N\n"
	"only one whose hash is N.  Each change writes one T_slog row.\n";

static const char issub_usage[] =
	"usage: mq issub T [--digest|--allow|--deny|--mod] ADDR [--json]\n"
	"Exit 0 and print the address as stored when ADDR (any case) is a\n"
	"subscriber of T with a normal hash (0..52); exit 1 otherwise.\n"
	"--json prints {subscribed, address, hash} as the API's\n"
	"GET /v1/lists/T/TABLE?address=A (null: not present).\n";

static const char list_usage[] =
	"usage: mq list T [--digest|--allow|--deny|--mod] [--hash N] [-n] "
	"[--sort] [--json]\n"
	"       mq list T [--digest] --sublist NAME --msgnum N [--listno] "
	"[-n] [--sort] [--json]\n"
	"Print the addresses T sends to, one a line, in hash order (the\n"
	"store's index; --sort: in address order, byte by byte): hashes\n"
	"0..52, then the return-receipt addresses (hash 98).  --hash N prints those with\n"
	"hash N instead (99: the sublists).  --sublist NAME --msgnum N\n"
	"prints the addresses sublist NAME handles for message N (the\n"
	"split of T_name, or T_digest_name with --digest), receipts last;\n"
	"--listno prints only the listno it logs with.  -n prints the\n"
	"count.  --json prints a JSON array of strings, as GET\n"
	"/v1/lists/T/TABLE.  Exit 1 when the sublist has no entry active for\n"
	"N.\n";

static const char log_usage[] =
	"usage: mq log T [--digest|--allow|--deny|--mod] [SEARCH] [--json]\n"
	"Print T's subscription log (T_slog), oldest first: time (UTC),\n"
	"direction and type (+m, -p, ...), address, from line.  SEARCH\n"
	"keeps the entries whose address or from line contains it (ASCII\n"
	"case-insensitive; '_' matches any one character).  --json prints\n"
	"a JSON array of objects (tai, edir, etype, address, fromline), as\n"
	"GET /v1/lists/T/log.\n";

/* parse_sub_args - the arguments of sub and unsub; 0 or the exit status. */
static int parse_sub_args(int argc, char **argv, const char *usage,
			  struct sub_args *a)
{
	int64_t v;

	memset(a, 0, sizeof(*a));
	a->hash = -1;
	a->addrs = calloc((size_t)argc, sizeof(char *));
	if (!a->addrs)
		return EXIT_SOFTWARE;
	for (int i = 1; i < argc; i++) {
		if (list_table_flag(argv[i], &a->which))
			continue;
		if (!strcmp(argv[i], "--hash") && i + 1 < argc) {
			if (!list_int_arg("--hash", argv[++i], 0,
					  SUB_HASH_LIMIT, &v))
				return EXIT_USAGE;
			a->hash = (int)v;
		} else if (!strcmp(argv[i], "--from") && i + 1 < argc)
			a->from = argv[++i];
		else if (!strcmp(argv[i], "-"))
			a->from_stdin = true;
		else if (!strcmp(argv[i], "-n"))
			a->names = true;
		else if (argv[i][0] == '-' && argv[i][1] == '-' && !a->root)
			return cli_usage(usage);
		else if (!a->root)
			a->root = argv[i];
		else
			a->addrs[a->naddrs++] = argv[i];
	}
	if (!a->root || (a->naddrs == 0) == !a->from_stdin)
		return cli_usage(usage);
	return list_check_root(a->root) ? 0 : EXIT_USAGE;
}

/* stdin_size - the bytes of a regular file on stdin; 0: unknown */
static uint64_t stdin_size(void)
{
	struct stat sb;

	return fstat(STDIN_FILENO, &sb) == 0 && S_ISREG(sb.st_mode)
		? (uint64_t)sb.st_size : 0;
}

/* open_read - the store and a read snapshot, or the exit status. */
static int open_read(struct store **st, struct store_txn **txn)
{
	int ex = 0;
	enum store_rc rc;

	*st = cli_open_store(STORE_RDONLY, &ex);
	if (!*st)
		return ex ? ex : EXIT_SOFTWARE;
	if ((rc = store_read_begin(*st, txn))) {
		ex = cli_store_fail(*st, rc);
		store_close(*st);
		return ex;
	}
	return 0;
}

/* list_fail - report rc of a list command; unknown lists are bad data. */
static int list_fail(struct store *st, enum store_rc rc)
{
	int ex = cli_store_fail(st, rc);

	return rc == STORE_NOTFOUND && !strncmp(store_errmsg(st), "no such "
						"list", 12) ? EXIT_DATAERR : ex;
}

struct sub_job {
	const struct sub_args *a;
	const struct sub_input *in;
	bool add;
	struct sub_counts counts;
};

/* sub_report - the one-line summary of what changed. */
static void sub_report(const struct sub_job *j, const char *table)
{
	const struct sub_counts *c = &j->counts;

	if (j->add)
		printf("%s: %llu subscribed, %llu already subscribed", table,
		       (unsigned long long)c->changed,
		       (unsigned long long)c->unchanged);
	else
		printf("%s: %llu unsubscribed, %llu not subscribed", table,
		       (unsigned long long)c->changed,
		       (unsigned long long)c->unchanged);
	if (c->blocked)
		printf(", %llu blocked", (unsigned long long)c->blocked);
	putchar('\n');
}

/*
 * sub_write - the requests through the write path; a refused one is
 *	reported with its input line
 */
static int sub_write(struct store *st, struct sub_job *j)
{
	char msg[1024];
	size_t bad = SIZE_MAX;
	enum result_kind k;

	ops_capture(msg, sizeof(msg));
	k = list_sub(st, j->a->root, j->a->which, j->add, j->in->req,
		     j->in->n, &j->counts, &bad);
	ops_capture_end();
	if (k && bad < j->in->n && j->in->text)
		cli_error("stdin:%zu: %s", sub_input_line(j->in, bad), msg);
	else if (k)
		cli_error("%s", msg);
	return cli_exit(k);
}

/* run_sub - sub (add) or unsub; the exit status. */
static int run_sub(int argc, char **argv, bool add, const char *usage)
{
	struct sub_args a;
	struct sub_input in;
	struct sub_job j = { .a = &a, .in = &in, .add = add };
	struct store *st = NULL;
	char table[REG_NAME_MAX + 16];
	int ex = parse_sub_args(argc, argv, usage, &a);

	bool metered = !ex && a.from_stdin;

	memset(&in, 0, sizeof(in));
	if (metered)
		cli_meter_start(add ? "sub" : "unsub", METER_READ,
				stdin_size());
	if (!ex)
		ex = sub_input_read(&a, &in);
	if (!ex && !(st = cli_open_store(0, &ex)))
		ex = ex ? ex : EXIT_SOFTWARE;
	if (!ex)
		ex = sub_write(st, &j);
	if (metered && ex)
		cli_meter_stop();
	else if (metered)
		cli_meter_end("%zu lines", in.n);
	if (!ex) {
		snprintf(table, sizeof(table), "%s%s", a.root,
			 sub_table_suffix(a.which));
		sub_report(&j, table);
	}
	if (st)
		store_close(st);
	store_sub_warm_end();
	sub_input_free(&in);
	free(a.addrs);
	return ex;
}

int cmd_sub(int argc, char **argv)
{
	if (cli_help(argc, argv, sub_usage))
		return 0;
	return run_sub(argc, argv, true, sub_usage);
}

int cmd_unsub(int argc, char **argv)
{
	if (cli_help(argc, argv, unsub_usage))
		return 0;
	return run_sub(argc, argv, false, unsub_usage);
}

/* issub_json - issub's answer as the API's, null when not present */
static void issub_json(const struct store_value *stored, int hash)
{
	if (stored)
		cli_json_print(ops_issub_json(stored, hash));
	else
		puts("null");
}

int cmd_issub(int argc, char **argv)
{
	enum sub_table which = SUB_MAIN;
	const char *pos[2] = { NULL, NULL };
	struct store *st;
	struct store_txn *txn;
	char addr[SUB_ADDR_MAX + 1], err[512];
	struct store_value stored;
	size_t len;
	int npos = 0, hash = -1, ex;
	enum store_rc rc;
	bool json;

	if (cli_help(argc, argv, issub_usage))
		return 0;
	json = cli_json_flag(&argc, argv);
	for (int i = 1; i < argc; i++)
		if (!list_table_flag(argv[i], &which)) {
			if (npos == 2)
				return cli_usage(issub_usage);
			pos[npos++] = argv[i];
		}
	if (npos != 2)
		return cli_usage(issub_usage);
	if (!list_check_root(pos[0]))
		return EXIT_USAGE;
	if (!list_address_stored(pos[1], strlen(pos[1]), addr, &len, err,
				 sizeof(err))) {
		cli_error("%s", err);
		return EXIT_DATAERR;
	}
	if ((ex = open_read(&st, &txn)))
		return ex;
	rc = store_issub(txn, pos[0], which, addr, len, &hash, &stored);
	if (json && (rc == STORE_OK || rc == STORE_NOTFOUND))
		issub_json(rc == STORE_OK ? &stored : NULL, hash);
	else if (rc == STORE_OK && hash <= SUB_HASH_MAX)
		printf("%.*s\n", (int)stored.len, stored.s);
	else if (rc == STORE_OK)
		cli_error("%s: present with hash %d (%s), not a subscriber",
			  addr, hash, hash == SUB_HASH_SUBLIST ? "a sublist"
			  : hash == SUB_HASH_RECEIPT ? "return receipt"
			  : "blocked");
	ex = rc == STORE_OK ? (hash <= SUB_HASH_MAX ? 0 : EXIT_NOTFOUND)
		: rc == STORE_NOTFOUND && strncmp(store_errmsg(st), "no such",
						  7) ? EXIT_NOTFOUND
		: list_fail(st, rc);
	store_read_end(txn);
	store_close(st);
	return ex;
}

/* The buffered output of a listing: one write per megabyte. */
struct out {
	char *buf;
	size_t n;
	uint64_t count;
	bool count_only, failed, json, bad_utf8;
};

/* out_flush - write the buffered listing to stdout. */
static void out_flush(struct out *o)
{
	size_t off = 0;

	while (off < o->n && !o->failed) {
		ssize_t w = write(STDOUT_FILENO, o->buf + off, o->n - off);

		if (w < 0 && errno != EINTR)
			o->failed = true;
		off += w > 0 ? (size_t)w : 0;
	}
	o->n = 0;
}

/* out_json_addr - buffer one address as an element of a JSON array. */
static int out_json_addr(struct out *o, const char *addr, size_t len)
{
	json_t *s = json_stringn(addr, len);

	if (!s) {
		o->bad_utf8 = true;
		return 1;
	}
	/* at worst six bytes (\u00XX) per byte, a comma, the quotes, and
	 * room left for the closing "]\n" */
	if (o->n + 6 * len + 8 > OUT_BUF)
		out_flush(o);
	o->buf[o->n++] = o->count > 1 ? ',' : '[';
	o->n += json_dumpb(s, o->buf + o->n, OUT_BUF - o->n, JSON_ENCODE_ANY);
	json_decref(s);
	return o->failed;
}

/* out_json_end - close the array (the first address opened it). */
static void out_json_end(struct out *o)
{
	const char *end = o->count ? "]\n" : "[]\n";

	memcpy(o->buf + o->n, end, strlen(end));
	o->n += strlen(end);
}

/* out_addr - buffer one address of a listing (or just count it). */
static int out_addr(const char *addr, size_t len, int hash, void *arg)
{
	struct out *o = arg;

	(void)hash;
	o->count++;
	if (o->count_only)
		return 0;
	if (o->json)
		return out_json_addr(o, addr, len);
	if (o->n + len + 1 > OUT_BUF)
		out_flush(o);
	memcpy(o->buf + o->n, addr, len);
	o->n += len;
	o->buf[o->n++] = '\n';
	return o->failed;
}

/* The parsed arguments of list. */
struct list_args {
	const char *root, *sublist;
	enum sub_table which;
	int64_t hash, msgnum;
	bool count, listno, have_msgnum, sort;
};

/* parse_list_args - the arguments of list; 0 or the exit status. */
static int parse_list_args(int argc, char **argv, struct list_args *a)
{
	memset(a, 0, sizeof(*a));
	a->hash = -1;
	for (int i = 1; i < argc; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (list_table_flag(argv[i], &a->which))
			continue;
		if (!strcmp(argv[i], "-n") || !strcmp(argv[i], "--count"))
			a->count = true;
		else if (!strcmp(argv[i], "--listno"))
			a->listno = true;
		else if (!strcmp(argv[i], "--sort"))
			a->sort = true;
		else if (!strcmp(argv[i], "--hash") && v) {
			if (!list_int_arg("--hash", argv[++i], 0,
					  SUB_HASH_LIMIT, &a->hash))
				return EXIT_USAGE;
		} else if (!strcmp(argv[i], "--msgnum") && v) {
			if (!list_int_arg("--msgnum", argv[++i], 0,
					  SPLIT_MSGNUM_MAX, &a->msgnum))
				return EXIT_USAGE;
			a->have_msgnum = true;
		} else if (!strcmp(argv[i], "--sublist") && v)
			a->sublist = argv[++i];
		else if (argv[i][0] == '-' || a->root)
			return cli_usage(list_usage);
		else
			a->root = argv[i];
	}
	if (!a->root || (a->sublist && (!a->have_msgnum || a->hash >= 0 ||
					(a->which != SUB_MAIN &&
					 a->which != SUB_DIGEST))) ||
	    (!a->sublist && (a->have_msgnum || a->listno)))
		return cli_usage(list_usage);
	return list_check_root(a->root) ? 0 : EXIT_USAGE;
}

/* list_each - the listing the arguments ask for, to fn. */
static enum store_rc list_each(struct store_txn *txn,
			       const struct list_args *a, sub_addr_fn fn,
			       void *arg, int64_t *listno)
{
	if (a->sublist)
		return store_split_each(txn, a->root, a->which == SUB_DIGEST,
					a->sublist, a->msgnum,
					a->listno ? NULL : fn, arg, listno);
	if (a->hash >= 0)
		return store_sub_each(txn, a->root, a->which, (int)a->hash,
				      (int)a->hash, false, fn, arg);
	return store_sub_each(txn, a->root, a->which, 0, SUB_HASH_MAX, true,
			      fn, arg);
}

/* list_run - the listing into o, in address order with --sort. */
static enum store_rc list_run(struct store_txn *txn, const struct list_args *a,
			      struct out *o, int64_t *listno)
{
	struct addr_sort s = { 0 };
	enum store_rc rc;

	if (!a->sort)
		return list_each(txn, a, out_addr, o, listno);
	rc = list_each(txn, a, addr_sort_add, &s, listno);
	if (rc == STORE_OK && s.oom)
		rc = STORE_INTERNAL;
	if (rc == STORE_OK)
		addr_sort_each(&s, out_addr, o);
	addr_sort_free(&s);
	return rc;
}

int cmd_list(int argc, char **argv)
{
	struct list_args a;
	struct out o = { 0 };
	struct store *st;
	struct store_txn *txn;
	int64_t listno = 0;
	int ex = 0;
	enum store_rc rc;

	if (cli_help(argc, argv, list_usage))
		return 0;
	o.json = cli_json_flag(&argc, argv);
	if ((ex = parse_list_args(argc, argv, &a)))
		return ex;
	o.count_only = a.count;
	if (!(o.buf = malloc(OUT_BUF)))
		return EXIT_SOFTWARE;
	if ((ex = open_read(&st, &txn))) {
		free(o.buf);
		return ex;
	}
	rc = list_run(txn, &a, &o, &listno);
	if (rc == STORE_OK && a.listno)
		o.n = (size_t)snprintf(o.buf, OUT_BUF, "%lld\n",
				       (long long)listno);
	else if (rc == STORE_OK && a.count)
		o.n = (size_t)snprintf(o.buf, OUT_BUF, "%llu\n",
				       (unsigned long long)o.count);
	else if (rc == STORE_OK && o.json && !o.bad_utf8)
		out_json_end(&o);
	out_flush(&o);
	if (o.bad_utf8) {
		cli_error("list %s: an address is not UTF-8; JSON cannot hold "
			  "it (the text output is lossless)", a.root);
		ex = EXIT_DATAERR;
	} else if (rc == STORE_OK && o.failed) {
		cli_error("stdout: %s", strerror(errno));
		ex = EXIT_SOFTWARE;
	} else if (rc == STORE_NOTFOUND && a.sublist &&
		   strncmp(store_errmsg(st), "no such", 7)) {
		cli_error("%s", store_errmsg(st));
		ex = EXIT_NOTFOUND;
	} else if (rc)
		ex = list_fail(st, rc);
	store_read_end(txn);
	store_close(st);
	free(o.buf);
	return ex;
}


struct log_state {
	const char *search;
	FILE *out;
	uint64_t shown;
	json_t *json;		/* --json: the entries */
};

/* put_text - a text value as it is; NULL prints nothing. */
static void put_text(FILE *out, const struct store_value *v)
{
	if (v->kind == SV_TEXT)
		fwrite(v->s, 1, v->len, out);
}

/* log_row - one slog row as a line, if it matches the search. */
static int log_row(const struct store_row *row, void *arg)
{
	struct log_state *ls = arg;

	if (ls->search &&
	    !ops_log_contains(&row->col[REG_SLOG_ADDRESS], ls->search,
			       strlen(ls->search)) &&
	    !ops_log_contains(&row->col[REG_SLOG_FROMLINE], ls->search,
			       strlen(ls->search)))
		return 0;
	if (ls->json)
		return json_array_append_new(ls->json, ops_slog_json(row));
	put_text(ls->out, &row->col[REG_SLOG_TAI]);
	fputc(' ', ls->out);
	put_text(ls->out, &row->col[REG_SLOG_EDIR]);
	put_text(ls->out, &row->col[REG_SLOG_ETYPE]);
	fputc(' ', ls->out);
	put_text(ls->out, &row->col[REG_SLOG_ADDRESS]);
	if (row->col[REG_SLOG_FROMLINE].kind == SV_TEXT &&
	    row->col[REG_SLOG_FROMLINE].len) {
		fputc(' ', ls->out);
		put_text(ls->out, &row->col[REG_SLOG_FROMLINE]);
	}
	fputc('\n', ls->out);
	ls->shown++;
	return 0;
}

int cmd_log(int argc, char **argv)
{
	enum sub_table which = SUB_MAIN;
	struct log_state ls = { .out = stdout };
	const char *root = NULL;
	bool json;
	char table[REG_NAME_MAX + 16];
	struct store *st;
	struct store_txn *txn;
	int ex;
	enum store_rc rc;

	if (cli_help(argc, argv, log_usage))
		return 0;
	json = cli_json_flag(&argc, argv);
	for (int i = 1; i < argc; i++) {
		if (list_table_flag(argv[i], &which))
			continue;
		if (argv[i][0] == '-' && argv[i][1] == '-')
			return cli_usage(log_usage);
		if (!root)
			root = argv[i];
		else if (!ls.search)
			ls.search = argv[i];
		else
			return cli_usage(log_usage);
	}
	if (!root)
		return cli_usage(log_usage);
	if (!list_check_root(root))
		return EXIT_USAGE;
	if (ls.search && strlen(ls.search) > SUB_ADDR_MAX) {
		cli_error("search: longer than %d bytes", SUB_ADDR_MAX);
		return EXIT_USAGE;
	}
	snprintf(table, sizeof(table), "%s%s_slog", root,
		 sub_table_suffix(which));
	if ((ex = open_read(&st, &txn)))
		return ex;
	if (json && !(ls.json = json_array()))
		rc = STORE_INTERNAL;
	else
		rc = store_scan(txn, table, NULL, 0, log_row, &ls);
	if (rc == STORE_NOTFOUND)
		cli_error("no such list: %s", root);
	ex = rc == STORE_NOTFOUND ? EXIT_DATAERR : rc ? cli_store_fail(st, rc)
		: 0;
	store_read_end(txn);
	store_close(st);
	if (ls.json && !ex)
		return cli_json_print(ls.json);
	json_decref(ls.json);
	if (fflush(stdout) != 0 && !ex) {
		cli_error("stdout: %s", strerror(errno));
		ex = EXIT_SOFTWARE;
	}
	return ex;
}
