/*
 * NAME
 *	ops.c - the operations' message sink and their SQL connection
 * DESCRIPTION
 *	See ops.h.  The sink is per thread, so mq serve's HTTP workers
 *	and its writer never see each other's messages.  The SQL
 *	connection comes from mq serve's one session when it runs
 *	(sql-compat/session.c), else from a connect per call.
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

/* ops_sql_address - parse address (NULL: the configured one) into *addr */
static enum result_kind ops_sql_address(const char *address,
					struct sql_address **addr)
{
	char err[SQL_ERRMSG_SIZE + 256];
	enum sql_rc rc;

	*addr = NULL;
	if (!address)
		address = mq_conf.database_address;
	if (!*address) {
		ops_error("no database-address: set it in the config file, "
			  "as MQ_DATABASE_ADDRESS, or give --address URL");
		return RESULT_CONFIG;
	}
	if ((rc = sql_address_parse(address, addr, err, sizeof(err)))) {
		ops_error("database-address: %s", err);
		return sql_rc_kind(rc);
	}
	return RESULT_OK;
}

/* ops_sql_connect - see ops.h */
enum result_kind ops_sql_connect(const char *address, bool must_exist,
				 struct sql_conn **conn)
{
	struct sql_address *addr;
	char err[SQL_ERRMSG_SIZE + 256];
	enum result_kind kind = ops_sql_address(address, &addr);
	enum sql_rc rc;

	*conn = NULL;
	if (kind)
		return kind;
	rc = must_exist ? sql_connect_existing(addr, conn, err, sizeof(err))
		: sql_connect(addr, conn, err, sizeof(err));
	sql_address_free(addr);
	if (rc) {
		ops_error("%s", err);
		return sql_rc_kind(rc);
	}
	return RESULT_OK;
}

/*
 * The session of mq serve, NULL in a command.  Set and cleared while
 * no other thread acquires, so it needs no lock of its own.
 */
static struct sql_session *ops_session;

/* ops_sql_session_start - see ops.h */
enum result_kind ops_sql_session_start(void)
{
	struct sql_address *addr;
	enum result_kind kind = ops_sql_address(NULL, &addr);

	if (kind)
		return kind;
	ops_sql_session_stop();
	ops_session = sql_session_new(addr, mq_conf.database_idle);
	sql_address_free(addr);
	if (!ops_session) {
		ops_error("sql session: out of memory");
		return RESULT_INTERNAL;
	}
	return RESULT_OK;
}

/* ops_sql_session_idle - see ops.h */
void	ops_sql_session_idle(void)
{
	if (ops_session)
		sql_session_idle(ops_session);
}

/* ops_sql_session_stop - see ops.h */
void	ops_sql_session_stop(void)
{
	sql_session_free(ops_session);
	ops_session = NULL;
}

/* ops_sql_acquire - see ops.h */
enum result_kind ops_sql_acquire(struct sql_conn **conn)
{
	char err[SQL_ERRMSG_SIZE + 256];
	enum sql_rc rc;

	if (!ops_session)
		return ops_sql_connect(NULL, false, conn);
	if ((rc = sql_session_get(ops_session, conn, err, sizeof(err)))) {
		ops_error("%s", err);
		return sql_rc_kind(rc);
	}
	return RESULT_OK;
}

/* ops_sql_release - see ops.h */
void	ops_sql_release(struct sql_conn *conn, enum result_kind kind)
{
	if (!ops_session) {
		sql_close(conn);
		return;
	}
	sql_session_put(ops_session, conn, kind == RESULT_TRYAGAIN
			? SQL_TEMPFAIL : kind == RESULT_INTERNAL
			? SQL_INTERNAL : SQL_OK);
}

unsigned ops_sync_flags(void)
{
	return mq_conf.database_validate ? 0 : SQL_SYNC_KEEP_EXTRA;
}

void	ops_sync_print(const struct sql_sync_result *res, const char *what,
		       void (*line)(void *ctx, bool warning, const char *text),
		       void *ctx)
{
	char text[SQL_TABLE_NAME_MAX + 640];
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
		line(ctx, false, text);
	}
	if (res->unchanged) {	/* the quick check (sync.md) */
		snprintf(text, sizeof(text), "%s: 0 changed, 0 lists created, 0 "
			 "dropped: nothing to do (SQL and the store are as the "
			 "last sync left them)", what);
		line(ctx, false, text);
		return;
	}
	snprintf(text, sizeof(text), "%s: %zu tables, %zu changed, %u lists "
		 "created, %u dropped%s", what, res->ntables, changed,
		 res->lists_created, res->lists_dropped,
		 changed || res->lists_created || res->lists_dropped ? ""
		 : ": nothing to do");
	line(ctx, false, text);
	/* Rows mq cannot hold stay as they are: said, each by its key. */
	for (const char *r = res->refused ? res->refusals : NULL; r && *r;) {
		size_t n = strcspn(r, "\n");

		snprintf(text, sizeof(text), "%s: refused, left as it is: %.*s",
			 what, (int)n, r);
		line(ctx, true, text);
		r += n + (r[n] != 0);
	}
	/* ezmlm-idx writes what it is given: kept, said once a sync. */
	if (res->odd_addresses) {
		snprintf(text, sizeof(text), "%s: %u list address%s kept as "
			 "SQL has them, though mq would refuse them; the "
			 "first: %.*s", what, res->odd_addresses,
			 res->odd_addresses == 1 ? "" : "es", 400,
			 res->odd_address);
		line(ctx, true, text);
	}
	/* A list dropped takes its secret key with it: never quietly. */
	if (res->lists_dropped) {
		snprintf(text, sizeof(text), "%s: %u list%s dropped: %.*s", what,
			 res->lists_dropped, res->lists_dropped == 1 ? "" : "s",
			 SQL_TABLE_NAME_MAX, res->dropped);
		line(ctx, true, text);
	}
}

json_t *ops_json_value(const struct store_value *v)
{
	switch (v->kind) {
	case SV_INT:
		return json_integer(v->i);
	case SV_TEXT:
		return json_stringn(v->s, v->len);
	case SV_NULL:
		break;
	}
	return json_null();
}
