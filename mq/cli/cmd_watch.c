/*
 * NAME
 *	cmd_watch.c - mq watch: print committed changes as they happen
 * SYNOPSIS
 *	mq watch [--since SEQ] [--table T]... [--json]
 * DESCRIPTION
 *	Prints one line per change record of the store's log: with
 *	--since, the records after sequence SEQ first, then each commit
 *	by any process as it lands.  Waiting costs nothing: the command
 *	sleeps in poll() on the store's watch descriptor
 *	(store_watch_open), a signalfd for SIGINT and SIGTERM, and stdout
 *	(a pipe whose reader has gone reports an error there).  What a
 *	record shows, and that secrets never do, is mq/ops/changes.c's.
 *
 *	A part of the log is read into memory under a short read
 *	transaction and written out after it ends, so a slow reader of
 *	the output never holds the store's old pages.
 * DIAGNOSTICS
 *	Exit 0 after SIGINT, SIGTERM or the reader closing the pipe; 1
 *	when the log no longer reaches back to SEQ (the message names the
 *	oldest sequence available); 64 usage; 65 a bad SEQ or table; 70
 *	a store or output failure.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "mq/cli/cli.h"
#include "mq/cli/tsv.h"
#include "mq/ops/changes.h"
#include "mq/ops/ops.h"

static const char watch_usage[] =
	"usage: mq watch [--since SEQ] [--table T]... [--json]\n"
	"Print each change committed to the store, by any process, as it\n"
	"happens: one line per record, TSV (sequence, operation, table,\n"
	"then the row's values for a put, the key's for a del) or with\n"
	"--json one object a line:\n"
	"  {\"seq\":N,\"op\":\"put\",\"table\":\"T\",\"key\":{...},"
	"\"row\":{...}}\n"
	"Operations: put, del, list-create, list-drop, and overflow (the\n"
	"changes of that sequence were not kept: resync from a dump).\n"
	"--since SEQ first prints the changes after sequence SEQ from the\n"
	"log (exit 1 naming the oldest sequence kept when it no longer\n"
	"reaches back); without it only changes from now on.  --table T\n"
	"(repeatable) keeps the records of table or list T.  Secret\n"
	"columns (dkim_keys.privatekey) and list keys are never printed.\n"
	"Runs until SIGINT or SIGTERM, or until the reader of a pipe\n"
	"goes away; exit 0 then.\n";

struct watch_args {
	bool json;
	bool have_since;
	uint64_t since;
	struct changes_filter filter;
};

/* What waits in poll(). */
enum { WAIT_STORE, WAIT_SIGNAL, WAIT_OUTPUT, WAIT_COUNT };

/* parse_args - the options; 0 or the exit status after reporting */
static int parse_args(int argc, char **argv, struct watch_args *a)
{
	enum result_kind k = RESULT_OK;

	for (int i = 1; i < argc && k == RESULT_OK; i++) {
		const char *opt = argv[i], *val;
		size_t n = strcspn(opt, "=");

		if (!strcmp(opt, "--json")) {
			a->json = true;
			continue;
		}
		if (n != 7 || (strncmp(opt, "--since", 7) &&
			       strncmp(opt, "--table", 7)))
			return cli_usage(watch_usage);
		if (opt[n] == '=')
			val = opt + n + 1;
		else if (i + 1 < argc)
			val = argv[++i];
		else
			return cli_usage(watch_usage);
		if (opt[2] == 's') {
			a->have_since = true;
			k = changes_since_parse(val, &a->since);
		} else {
			k = changes_filter_add(&a->filter, val);
		}
	}
	return k == RESULT_OK ? 0 : cli_exit(k);
}

/* tsv_line - one record as TSV: seq, op, table, the values shown */
static void tsv_line(FILE *out, const struct change_view *v)
{
	fprintf(out, "%" PRIu64 "\t%s\t", v->seq, v->op);
	tsv_write_value(out, &(struct store_value){ .kind = SV_TEXT,
		.s = v->table, .len = strlen(v->table) });
	if (v->row)
		for (int i = 0; i < v->ncol; i++) {
			putc('\t', out);
			tsv_write_value(out, &v->row->col[v->col[i]]);
		}
	else
		for (int i = 0; i < v->nkey; i++) {
			putc('\t', out);
			tsv_write_value(out, &v->key[i]);
		}
	putc('\n', out);
}

/* One read's output, gathered in memory (open_memstream). */
struct watch_out {
	FILE *mem;
	bool json;
	bool broken;		/* no memory for a line */
};

/* show - a changes_fn: the record into the memory stream */
static size_t show(const struct change_view *v, void *arg)
{
	struct watch_out *o = arg;
	long before = ftell(o->mem);
	char *line;

	if (!strcmp(v->op, "overflow"))
		cli_error("sequence %" PRIu64 ": the changes of this "
			  "transaction were not kept: resync from a dump "
			  "('mq dump'), then watch --since its sequence",
			  v->seq);
	if (!o->json)
		tsv_line(o->mem, v);
	else if ((line = changes_json(v))) {
		fputs(line, o->mem);
		free(line);
	} else
		o->broken = true;
	return (size_t)(ftell(o->mem) - before);
}

/*
 * emit - write what one read gathered to stdout.  Returns 0, 1 when
 *	the reader has gone (EPIPE: a clean end), -1 on another failure.
 */
static int emit(const char *buf, size_t len)
{
	if (len && (fwrite(buf, 1, len, stdout) != len || fflush(stdout))) {
		if (errno == EPIPE)
			return 1;
		cli_error("stdout: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * read_part - read and print one part of the log; 0 (*gone: the reader
 *	went away) or the exit status after reporting.
 */
static int read_part(struct store *st, struct changes_pos *pos,
		     const struct watch_args *a, bool *more, bool *gone)
{
	struct watch_out o = { .json = a->json };
	char *buf = NULL;
	size_t len = 0;
	uint64_t oldest;
	enum result_kind k;
	int rc;

	if (!(o.mem = open_memstream(&buf, &len)))
		return cli_exit(RESULT_INTERNAL);
	k = changes_read(st, pos, &a->filter, CHANGES_CHUNK, show, &o, more,
			 &oldest);
	fclose(o.mem);
	if (k == RESULT_OK && o.broken) {
		cli_error("out of memory");
		k = RESULT_INTERNAL;
	}
	rc = emit(buf, len);
	free(buf);
	*gone = rc == 1;
	if (k != RESULT_OK)
		return cli_exit(k);
	return rc < 0 ? cli_exit(RESULT_INTERNAL) : 0;
}

/* signals_fd - SIGINT and SIGTERM as a descriptor; SIGPIPE as EPIPE */
static int signals_fd(void)
{
	sigset_t set;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &set, NULL) != 0)
		return -1;
	return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

/*
 * wait_commit - sleep until a commit or the next recheck after one (0),
 *	a signal or the reader gone (1), or a failure (-1).  *attempt
 *	counts the rechecks since the last wake-up (changes_recheck_ms).
 */
static int wait_commit(struct pollfd *p, unsigned *attempt)
{
	int n;

	while ((n = poll(p, WAIT_COUNT, changes_recheck_ms(*attempt))) < 0)
		if (errno != EINTR)
			return -1;
	if (p[WAIT_SIGNAL].revents || p[WAIT_OUTPUT].revents)
		return 1;
	if (n == 0) {
		(*attempt)++;
		return 0;
	}
	store_watch_drain(p[WAIT_STORE].fd);
	*attempt = 0;
	return 0;
}

/* follow - print the log from pos on, waiting for commits between */
static int follow(struct store *st, struct changes_pos *pos,
		  const struct watch_args *a, struct pollfd *p)
{
	bool more = false, gone = false;
	unsigned attempt = UINT_MAX;	/* no wake-up to recheck yet */
	int rc;

	for (;;) {
		if ((rc = read_part(st, pos, a, &more, &gone)) != 0 || gone)
			return rc;
		if (more)
			continue;
		if ((rc = wait_commit(p, &attempt)) < 0) {
			cli_error("watch: poll: %s", strerror(errno));
			return cli_exit(RESULT_INTERNAL);
		}
		if (rc == 1)
			return cli_exit(RESULT_OK);
	}
}

int cmd_watch(int argc, char **argv)
{
	struct watch_args a = { 0 };
	struct pollfd p[WAIT_COUNT] = {
		[WAIT_STORE] = { .fd = -1, .events = POLLIN },
		[WAIT_SIGNAL] = { .fd = -1, .events = POLLIN },
		/* no events asked: a pipe's reader gone shows as POLLERR */
		[WAIT_OUTPUT] = { .fd = STDOUT_FILENO, .events = 0 },
	};
	struct changes_pos pos;
	struct store *st;
	uint64_t oldest;
	enum result_kind k;
	int ex = 0;

	if (cli_help(argc, argv, watch_usage))
		return 0;
	if ((ex = parse_args(argc, argv, &a)) != 0)
		return ex;
	if (!(st = cli_open_store(STORE_RDONLY, &ex)))
		return ex;
	/* the watch first: a commit after the start is then never missed */
	p[WAIT_STORE].fd = store_watch_open(st);
	p[WAIT_SIGNAL].fd = signals_fd();
	if (p[WAIT_STORE].fd < 0 || p[WAIT_SIGNAL].fd < 0) {
		cli_error("watch: %s: %s", store_path(st), strerror(errno));
		ex = cli_exit(RESULT_INTERNAL);
	} else if ((k = changes_start(st, a.have_since ? &a.since : NULL,
				      &pos, &oldest)) != RESULT_OK)
		ex = cli_exit(k);
	else
		ex = follow(st, &pos, &a, p);
	for (int i = WAIT_STORE; i <= WAIT_SIGNAL; i++)
		if (p[i].fd >= 0)
			close(p[i].fd);
	store_close(st);
	return ex;
}
