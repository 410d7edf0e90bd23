/*
 * NAME
 *	sync_to_tables.c - mq sync --to-sql: the lists and every table, in
 *	one transaction
 * SYNOPSIS
 *	#include "sql-compat/sync.h"
 *
 *	ex = sql_sync_to(conn, st, flags, &res);
 * DESCRIPTION
 *	Against one read snapshot of the store: the lists SQL lacks are
 *	created and missing columns added first (sql_schema_repair,
 *	dropping nothing); then, in one SQL transaction, each table is
 *	made equal to the store's (sync_to_table, sync_to.c).  Tables of
 *	lists SQL has but the store does not are dropped: in the
 *	transaction on PostgreSQL and SQLite, after the commit on MySQL
 *	(whose DDL commits).
 * DIAGNOSTICS
 *	See sync.h.  Any failure rolls the SQL transaction back.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sql-compat/sync_int.h"

/* The store's lists, copied out of the read snapshot. */
struct roots {
	char (*name)[REG_NAME_MAX];
	const char **ptr;
	size_t n, cap;
	bool oom;
};

/* add_root - store_list_each callback: copy a root */
static int add_root(const char *root, void *arg)
{
	struct roots *r = arg;

	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 16;
		void *p = realloc(r->name, cap * sizeof(*r->name));

		if (!p) {
			r->oom = true;
			return 1;
		}
		r->name = p;
		r->cap = cap;
	}
	snprintf(r->name[r->n++], REG_NAME_MAX, "%s", root);
	return 0;
}

/* drop_stale - drop the tables of SQL's lists the store lacks. */
static int drop_stale(struct sql_conn *conn, char **sqlroots,
		      const struct roots *have, struct sql_sync_result *res)
{
	struct sql_buf b = SQL_BUF_INIT;
	enum sql_rc rc = SQL_OK;

	for (size_t i = 0; sqlroots && sqlroots[i] && !rc; i++) {
		bool keep = false;

		for (size_t j = 0; j < have->n && !keep; j++)
			keep = strcmp(have->name[j], sqlroots[i]) == 0;
		if (keep)
			continue;
		for (int k = 0; reg_list[k] && !rc; k++) {
			char name[SQL_TABLE_NAME_MAX];

			snprintf(name, sizeof(name), "%s%s", sqlroots[i],
				 reg_list[k]->name);
			sql_buf_reset(&b);
			sql_schema_drop_table(&b, sql_conn_engine(conn), name);
			rc = b.oom ? SQL_INTERNAL
				: sql_exec(conn, b.p, NULL, 0, NULL, NULL);
		}
		res->lists_dropped++;
		sync_note_dropped(res, sqlroots[i]);
	}
	sql_buf_free(&b);
	return rc ? sync_sql_fail(conn, rc, res->err, sizeof(res->err)) : 0;
}

/* to_all - the tables, in the open SQL transaction. */
static int to_all(struct sql_conn *conn, struct store *st,
		  struct store_txn *txn, const struct roots *have,
		  unsigned flags, struct sql_sync_result *res)
{
	struct sync_cols cols;
	struct sync_name *names;
	bool lists_only = false;
	enum sql_rc rc;
	size_t n;
	int ex = 0;

	if ((rc = sql_schema_lists_only(conn, &lists_only)))
		return sync_sql_fail(conn, rc, res->err, sizeof(res->err));
	if (lists_only)
		flags |= SYNC_LISTS_ONLY;
	if (!(names = sync_names(have->ptr, have->n, &n)) ||
	    !(res->tables = calloc(n ? n : 1, sizeof(*res->tables)))) {
		free(names);
		snprintf(res->err, sizeof(res->err), "out of memory");
		return RESULT_INTERNAL;
	}
	res->ntables = n;
	for (size_t i = 0; i < n && !ex; i++) {
		memcpy(res->tables[i].name, names[i].name,
		       sizeof(res->tables[i].name));
		ex = sync_columns(conn, &names[i], flags, &cols, res->err,
				  sizeof(res->err));
		if (!ex)
			ex = sync_to_table(conn, st, txn, &names[i], &cols,
					   res, i);
	}
	free(names);
	return ex;
}

/* to_transaction - repair, then the rows in one transaction. */
static int to_transaction(struct sql_conn *conn, struct store *st,
			  struct store_txn *txn, const struct roots *have,
			  unsigned flags, struct sql_sync_result *res)
{
	bool mysql = sql_conn_engine(conn) == SQL_ENGINE_MYSQL;
	unsigned rflags = SQL_SCHEMA_NO_DROP | SQL_SCHEMA_NO_OPTIONAL |
		(flags & SQL_SYNC_KEEP_EXTRA ? SQL_SCHEMA_KEEP_EXTRA : 0);
	char **sqlroots = NULL;
	enum sql_rc rc;
	int ex = 0;

	if ((rc = sync_lists_sql(conn, have->ptr, have->n, &sqlroots, res)) ||
	    (rc = sql_schema_repair(conn, have->ptr, rflags, NULL, NULL)) ||
	    (rc = sql_begin(conn)))
		ex = sync_sql_fail(conn, rc, res->err, sizeof(res->err));
	else {
		ex = to_all(conn, st, txn, have, flags, res);
		if (!ex && !mysql)
			ex = drop_stale(conn, sqlroots, have, res);
		if (!ex && (rc = sql_commit(conn)))
			ex = sync_sql_fail(conn, rc, res->err,
					   sizeof(res->err));
		if (ex)
			sql_rollback(conn);
		else if (mysql)
			ex = drop_stale(conn, sqlroots, have, res);
	}
	sql_schema_lists_free(sqlroots);
	return ex;
}

/* sql_sync_to - see sync.h */
enum result_kind sql_sync_to(struct sql_conn *conn, struct store *st, unsigned flags,
		    struct sql_sync_result *res)
{
	struct roots have = { 0 };
	struct store_txn *txn;
	enum store_rc src;
	int ex;

	memset(res, 0, sizeof(*res));
	if ((src = store_read_begin(st, &txn)))
		return sync_store_fail(st, src, res->err, sizeof(res->err));
	src = store_list_each(txn, add_root, &have);
	if (!src && !have.oom && !(have.ptr = calloc(have.n + 1,
						     sizeof(*have.ptr))))
		have.oom = true;
	for (size_t i = 0; have.ptr && i < have.n; i++)
		have.ptr[i] = have.name[i];
	if (src)
		ex = sync_store_fail(st, src, res->err, sizeof(res->err));
	else if (have.oom) {
		snprintf(res->err, sizeof(res->err), "out of memory");
		ex = RESULT_INTERNAL;
	} else
		ex = to_transaction(conn, st, txn, &have, flags, res);
	store_read_end(txn);
	free(have.ptr);
	free(have.name);
	return ex;
}
