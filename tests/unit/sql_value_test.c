/*
 * NAME
 *	sql_value_test - times as the SQL engines give them, in mq's form
 * SYNOPSIS
 *	build/asan/tests/sql_value_test
 * DESCRIPTION
 *	Table-driven: each text a column may hold (PostgreSQL timestamptz
 *	with its offset, fractions of any length, 'T', unix seconds,
 *	ezmlm-idx's 'now') with the precision the column keeps, and the
 *	time mq reads, or "" when it is not a time.  Then the way back:
 *	seconds for an integer column.
 */
#include <stdio.h>
#include <string.h>

#include "sql-compat/sync_int.h"
#include "tests/unit/check.h"

struct time_case {
	const char *sql;
	int prec;
	const char *mq;		/* "": refused */
};

static const struct time_case cases[] = {
	{"2025-11-02 05:30:00", 6, "2025-11-02 05:30:00"},
	{"2025-11-02 05:30:00.123456+00", 6, "2025-11-02 05:30:00.123456"},
	{"2025-11-02 01:00:00-05", 6, "2025-11-02 06:00:00"},
	{"2025-11-02 11:00:00.5+05:30", 6, "2025-11-02 05:30:00.5"},
	{"2025-11-02T05:30:00Z", 6, "2025-11-02 05:30:00"},
	{"2025-11-02 05:30:00.500000", 6, "2025-11-02 05:30:00.5"},
	{"2025-11-02 05:30:00.000000", 6, "2025-11-02 05:30:00"},
	{"2025-11-02 05:30:00.123456", 0, "2025-11-02 05:30:00"},
	{"2025-11-02 05:30:00.123456", 3, "2025-11-02 05:30:00.123"},
	{"2025-12-31 23:30:00-01", 6, "2026-01-01 00:30:00"},
	{"1765000000", 0, "2025-12-06 05:46:40"},
	{"0", 0, "1970-01-01 00:00:00"},
	{"2040-01-01 00:00:00", 0, "2040-01-01 00:00:00"},
	{"2024-02-29 00:00:00", 6, "2024-02-29 00:00:00"},
	{"0001-01-01 00:00:00", 6, "0001-01-01 00:00:00"},
	{"0999-12-31 23:59:59+00", 6, "0999-12-31 23:59:59"},
	{"9999-12-31 23:59:59", 6, "9999-12-31 23:59:59"},
	{"now", 6, ""},
	{"", 6, ""},
	{"2025-02-30 00:00:00", 6, ""},
	{"2025-11-02 24:00:00", 6, ""},
	{"2025-11-02 05:30:00 junk", 6, ""},
	{"2025-11-02 05:30:00+99", 6, ""},
	{"12x", 0, ""},
};

int	main(void)
{
	char out[SYNC_TIME_MAX];
	int64_t secs;
	size_t n;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct time_case *c = &cases[i];
		bool ok = sync_time_canon(c->sql, strlen(c->sql), c->prec,
					  out, &n);

		if (!*c->mq)
			CHECK(!ok, "'%s' is not a time", c->sql);
		else
			CHECK(ok && n == strlen(c->mq) && !strcmp(out, c->mq),
			      "'%s' at %d digits is '%s' (got '%s')", c->sql,
			      c->prec, c->mq, ok ? out : "refused");
	}
	CHECK(sync_time_epoch("2025-12-06 05:46:40.9", 21, &secs) &&
	      secs == 1765000000, "back to seconds: %lld", (long long)secs);
	CHECK(!sync_time_epoch("now", 3, &secs), "'now' has no seconds");
	return check_done();
}
