/*
 * NAME
 *	log.c - mq's log lines on stderr
 */
#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "mq/log.h"

static enum log_level threshold = LOG_LEVEL_INFO;

void log_set_level(enum log_level level)
{
	threshold = level;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	static const char *const names[] = { "error", "warning", "info",
					     "debug" };
	char stamp[32], line[2048];
	time_t now = time(NULL);
	struct tm tm;
	va_list ap;

	if (level > threshold)
		return;
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* One write per line, so lines of threads do not interleave. */
	fprintf(stderr, "%s mq[%ld]: %s: %s\n", stamp, (long)getpid(),
		names[level], line);
}
