/*
 * NAME
 *	ops.c - the operations' message sink and their SQL connection
 * DESCRIPTION
 *	See ops.h.  The sink is per thread, so mq serve's HTTP workers
 *	and its writer never see each other's messages.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "mq/config.h"
#include "mq/ops/ops.h"

static __thread char *capture_buf;
static __thread size_t capture_len;

void	ops_capture(char *buf, size_t len)
{
	capture_buf = buf;
	capture_len = len;
	if (len)
		buf[0] = 0;
}

void	ops_capture_end(void)
{
	capture_buf = NULL;
	capture_len = 0;
}

void	ops_error(const char *fmt, ...)
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

enum result_kind ops_store_fail(struct store *st, enum store_rc rc)
{
	const char *msg = st ? store_errmsg(st) : "";

	ops_error("%s", *msg ? msg : store_strerror(rc));
	return store_rc_kind(rc);
}

enum result_kind ops_sql_connect(const char *address, struct sql_conn **conn)
{
	struct sql_address *addr;
	char err[SQL_ERRMSG_SIZE + 256];
	enum sql_rc rc;

	*conn = NULL;
	if (!address)
		address = mq_conf.database_address;
	if (!*address) {
		ops_error("no database-address: set it in the config file, "
			  "as MQ_DATABASE_ADDRESS, or give --address URL");
		return RESULT_CONFIG;
	}
	if ((rc = sql_address_parse(address, &addr, err, sizeof(err)))) {
		ops_error("database-address: %s", err);
		return sql_rc_kind(rc);
	}
	rc = sql_connect(addr, conn, err, sizeof(err));
	sql_address_free(addr);
	if (rc) {
		ops_error("%s", err);
		return sql_rc_kind(rc);
	}
	return RESULT_OK;
}

unsigned ops_sync_flags(void)
{
	return mq_conf.database_validate ? 0 : SQL_SYNC_KEEP_EXTRA;
}

void	ops_sync_print(const struct sql_sync_result *res, const char *what,
		       void (*line)(void *ctx, const char *text), void *ctx)
{
	char text[SQL_TABLE_NAME_MAX + 128];
	size_t changed = 0;

	for (size_t i = 0; i < res->ntables; i++) {
		const struct store_apply_counts *n = &res->tables[i].n;

		if (!n->inserted && !n->updated && !n->deleted && !n->skipped)
			continue;
		changed++;
		snprintf(text, sizeof(text), "%s: %" PRIu64 " inserted, %"
			 PRIu64 " updated, %" PRIu64 " deleted",
			 res->tables[i].name, n->inserted, n->updated,
			 n->deleted);
		/* Rows a writer changed after the sync's snapshot (sync.md). */
		if (n->skipped)
			snprintf(text + strlen(text), sizeof(text) - strlen(text),
				 ", %" PRIu64 " skipped: written meanwhile",
				 n->skipped);
		line(ctx, text);
	}
	snprintf(text, sizeof(text), "%s: %zu tables, %zu changed, %u lists "
		 "created, %u dropped%s", what, res->ntables, changed,
		 res->lists_created, res->lists_dropped,
		 changed || res->lists_created || res->lists_dropped ? ""
		 : ": nothing to do");
	line(ctx, text);
}
