/*
 * NAME
 *	shapes.h - the JSON shapes both faces print: tables, log entries,
 *	a sync's outcome
 * SYNOPSIS
 *	#include "mq/ops/shapes.h"
 * DESCRIPTION
 *	GET /v1/tables and mq tables --json, GET /v1/lists/T/log and
 *	mq log --json, mq sync --json: one function per shape, so that a
 *	field is named in one place.  Each returns a new reference, NULL
 *	when out of memory.
 */
#ifndef MQ_OPS_SHAPES_H
#define MQ_OPS_SHAPES_H

#include <jansson.h>

#include "mq/ops/dkim_check.h"
#include "sql-compat/sync.h"
#include "store/store.h"

/*
 * ops_table_json - one table: name, family ("mailerq" or "list", with
 *	"list": root), about, columns (name, type, key, auto, notnull,
 *	secret, max for text, default).  root is NULL for a MailerQ table.
 */
json_t *ops_table_json(const struct reg_table *t, const char *name,
		       const char *root);

/*
 * ops_tables_json - every MailerQ table, then every list's tables, as
 *	txn sees them; *rc receives a store failure (NULL returned).
 */
json_t *ops_tables_json(struct store_txn *txn, enum store_rc *rc);

/*
 * ops_issub_json - an issub answer: subscribed (hash 0..52), address as
 *	stored, hash; GET /v1/lists/T/TABLE?address=A and mq issub --json.
 *	NULL too when the stored address is not UTF-8.
 */
json_t *ops_issub_json(const struct store_value *stored, int hash);

/*
 * ops_dkim_report_json - one DKIM key's check: id, domain, selector,
 *	verify, status, used (by dkim() lookups), checked and verified
 *	(unix seconds, null: never), detail; mq dkim-record --json.
 */
json_t *ops_dkim_report_json(const struct dkim_check_report *r);

/* ops_slog_json - one _slog row: tai, edir, etype, address, fromline. */
json_t *ops_slog_json(const struct store_row *row);

/*
 * ops_sync_json - a sync's outcome: direction ("from-sql", "to-sql"),
 *	tables (each changed one: name, inserted, updated, deleted,
 *	skipped), tables_synced, lists_created, lists_dropped, dropped
 *	(the names).  The same facts as ops_sync_print's lines.
 */
json_t *ops_sync_json(const struct sql_sync_result *res, const char *what);

#endif
