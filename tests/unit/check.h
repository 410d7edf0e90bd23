/*
 * NAME
 *	check.h - the plain unit-test runner shared by the unit tests in tests/unit/
 * DESCRIPTION
 *	CHECK(cond, fmt, ...) prints "ok N - name" or "not ok N - name" (TAP
 *	lines, which tests/run.sh counts) and never stops the test program;
 *	check_done() prints "# N passed, N failed" and returns the exit
 *	status for main().  check_unhex() decodes the hex of case files,
 *	check_split_tabs() cuts their lines into fields.
 */
#ifndef MQ_CHECK_H
#define MQ_CHECK_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static int check_passed, check_failed;

static inline int check_report(int ok, const char *file, int line,
			       const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", ok ? "" : "not ", check_passed + check_failed + 1);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	if (!ok)
		printf(" (%s:%d)", file, line);
	putchar('\n');
	fflush(stdout);
	if (ok)
		check_passed++;
	else
		check_failed++;
	return ok;
}

#define CHECK(cond, ...) check_report(!!(cond), __FILE__, __LINE__, __VA_ARGS__)

static inline int check_done(void)
{
	printf("# %d passed, %d failed\n", check_passed, check_failed);
	return check_failed ? 1 : 0;
}

/* check_unhex - decode hex (or "-" for nothing) into out; length or -1. */
static inline long check_unhex(const char *s, uint8_t *out, size_t max)
{
	size_t n = 0;

	if (strcmp(s, "-") == 0)
		return 0;
	for (; s[0] && s[1]; s += 2) {
		unsigned b;

		if (n >= max || sscanf(s, "%2x", &b) != 1)
			return -1;
		out[n++] = (uint8_t)b;
	}
	return *s ? -1 : (long)n;
}

/* check_split_tabs - line into at most max TAB-separated fields, in place */
static inline int check_split_tabs(char *line, char **f, int max)
{
	int n = 0;

	line[strcspn(line, "\n")] = '\0';
	while (n < max) {
		f[n++] = line;
		line = strchr(line, '\t');
		if (!line)
			break;
		*line++ = '\0';
	}
	return n;
}

#endif
