/*
 * NAME
 *	cli.c - helpers every mq command uses
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "mq/cli.h"

struct mq_config cli_config;

/* Where this thread's cli_error lines go instead of stderr, if set. */
static __thread char *capture_buf;
static __thread size_t capture_len;

void cli_error_capture(char *buf, size_t len)
{
	capture_buf = buf;
	capture_len = len;
	if (len)
		buf[0] = 0;
}

void cli_error_capture_end(void)
{
	capture_buf = NULL;
	capture_len = 0;
}

void cli_error(const char *fmt, ...)
{
	char line[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (capture_buf)
		snprintf(capture_buf, capture_len, "%s", line);
	else
		fprintf(stderr, "mq: %s\n", line);
}

int cli_store_exit(enum store_rc rc)
{
	switch (rc) {
	case STORE_OK:
		return 0;
	case STORE_NOTFOUND:
		return EXIT_NOTFOUND;
	case STORE_BADDATA:
	case STORE_EXISTS:
	case STORE_CORRUPT:
		return EXIT_DATAERR;
	case STORE_READONLY:
	case STORE_FULL:
	case STORE_IO:
		return EXIT_SOFTWARE;
	case STORE_INTERNAL:
		break;
	}
	return EXIT_SOFTWARE;
}

int cli_store_fail(struct store *st, enum store_rc rc)
{
	const char *msg = st ? store_errmsg(st) : "";

	cli_error("%s", *msg ? msg : store_strerror(rc));
	return cli_store_exit(rc);
}

struct store *cli_open_store(unsigned flags, int *exit_out)
{
	struct store_options opt = {
		.max_size = cli_config.store_max_size,
		.changes_keep = cli_config.changes_keep,
	};
	struct store *st;
	char err[1024];
	enum store_rc rc = store_open(cli_config.store_path, flags, &opt, &st,
				      err, sizeof(err));

	if (rc) {
		cli_error("%s", err);
		*exit_out = rc == STORE_CORRUPT ? EXIT_DATAERR : EXIT_SOFTWARE;
		return NULL;
	}
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
