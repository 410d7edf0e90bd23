/*
 * NAME
 *	cli.c - helpers every mq command uses
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "mq/cli/cli.h"

void cli_error(const char *fmt, ...)
{
	char line[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "mq: %s\n", line);
}

int cli_exit(enum result_kind k)
{
	static const int status[] = {
		[RESULT_OK] = 0,
		[RESULT_NOTFOUND] = EXIT_NOTFOUND,
		[RESULT_BADDATA] = EXIT_DATAERR,
		[RESULT_CONFIG] = EXIT_USAGE,
		[RESULT_TRYAGAIN] = EXIT_TEMPFAIL,
		[RESULT_INTERNAL] = EXIT_SOFTWARE,
		[RESULT_NOSPACE] = EXIT_TEMPFAIL,
	};

	if ((unsigned)k < sizeof(status) / sizeof(status[0]))
		return status[k];
	return EXIT_SOFTWARE;
}

int cli_store_exit(enum store_rc rc)
{
	return cli_exit(store_rc_kind(rc));
}

int cli_store_fail(struct store *st, enum store_rc rc)
{
	const char *msg = st ? store_errmsg(st) : "";

	cli_error("%s", *msg ? msg : store_strerror(rc));
	return cli_store_exit(rc);
}

static char fault_path[4096];
static int fault_status;
static const char *input_map;	/* the command's input, mapped */
static size_t input_len;

/* put - write(2) a string, in a signal handler */
static void put(const char *s)
{
	if (write(STDERR_FILENO, s, strlen(s)) < 0)
		return;
}

/*
 * store_fault - a read of a map faulted (store/damage.c): the input's
 *	file or the store's was cut short (or the store overwritten).  One
 *	line and an exit status, no core.
 */
static void store_fault(const char *what, const void *addr)
{
	const char *a = addr;

	if (input_map && a >= input_map && a < input_map + input_len) {
		put("mq: stdin: the file was cut short while mq read it\n");
		_exit(EXIT_TEMPFAIL);
	}
	if (!fault_path[0])
		return;		/* no store open: not a fault of ours */
	put("mq: ");
	put(fault_path);
	put(": damaged store: a read of its map faulted (");
	put(what);
	put("); run 'mq verify', and restore from a backup made by "
	    "'mq backup' if it fails\n");
	_exit(fault_status);
}

void cli_fault_input(const void *map, size_t len)
{
	input_map = NULL;	/* a fault meanwhile sees one or none */
	input_len = len;
	input_map = map;
	if (map)
		store_faults_catch(store_fault);
}

struct store *cli_open_store(unsigned flags, int *exit_out)
{
	struct store_options opt = {
		.max_size = mq_conf.store_max_size,
		.changes_keep = mq_conf.changes_keep,
	};
	struct store *st;
	char err[1024];
	enum store_rc rc;

	snprintf(fault_path, sizeof(fault_path), "%s", mq_conf.store_path);
	fault_status = cli_store_exit(STORE_DAMAGED);
	store_faults_catch(store_fault);
	rc = store_open(mq_conf.store_path, flags, &opt, &st, err,
			sizeof(err));
	if (rc) {
		cli_error("%s", err);
		*exit_out = rc == STORE_CORRUPT ? EXIT_DATAERR : EXIT_SOFTWARE;
		return NULL;
	}
	if (*store_open_warning(st))
		cli_error("warning: %s", store_open_warning(st));
	return st;
}

bool cli_help(int argc, char **argv, const char *usage)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			fputs(usage, stdout);
			return true;
		}
		if (strcmp(argv[i], "-") == 0)
			break;
	}
	return false;
}

int cli_usage(const char *usage)
{
	fputs(usage, stderr);
	return EXIT_USAGE;
}

int cli_json_print(json_t *v)
{
	char *s = v ? json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER |
				 JSON_ENCODE_ANY) : NULL;

	json_decref(v);
	if (!s) {
		cli_error("out of memory");
		return EXIT_SOFTWARE;
	}
	puts(s);
	free(s);
	if (fflush(stdout) != 0) {
		cli_error("stdout: %s", strerror(errno));
		return EXIT_SOFTWARE;
	}
	return 0;
}

bool cli_json_flag(int *argc, char **argv)
{
	bool found = false;
	int j = 1, i;

	for (i = 1; i < *argc && strcmp(argv[i], "--"); i++) {
		if (strcmp(argv[i], "--json") == 0)
			found = true;
		else
			argv[j++] = argv[i];
	}
	while (i < *argc)
		argv[j++] = argv[i++];
	*argc = j;
	argv[j] = NULL;
	return found;
}

static bool progress_shown;

void cli_progress(const char *fmt, ...)
{
	va_list ap;

	if (!isatty(STDERR_FILENO))
		return;
	fputs("\r\033[K", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	progress_shown = true;
}

void cli_progress_done(void)
{
	if (progress_shown)
		fputs("\r\033[K", stderr);
	progress_shown = false;
}
