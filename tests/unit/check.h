/*
 * NAME
 *	check.h - the plain unit-test runner shared by the unit tests in tests/unit/
 * DESCRIPTION
 *	CHECK(cond, fmt, ...) prints "ok N - name" or "not ok N - name" (TAP
 *	lines, which tests/run.sh counts) and never stops the test program;
 *	check_done() prints "# N passed, N failed" and returns the exit
 *	status for main().
 */
#ifndef MQ_CHECK_H
#define MQ_CHECK_H

#include <stdio.h>
#include <stdarg.h>

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

#endif
