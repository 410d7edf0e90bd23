/*
 * NAME
 *	list_sql_import.c - mq import with SQL authoritative
 * SYNOPSIS
 *	#include "mq/ops/list_sql.h"
 *
 *	ex = list_import_through_sql(st, f, dir, "team", &opt, &res, &lrc);
 * DESCRIPTION
 *	The format's loader reads and checks the directory into a scratch
 *	store of its own (a new directory under $TMPDIR, removed after),
 *	so that the list's rows exist before anything is written.  The
 *	list's tables are then created in SQL when missing
 *	(sql_schema_repair, dropping nothing) and, in ONE SQL transaction,
 *	emptied and filled with the scratch store's rows, every value
 *	bound.  After the commit the loader reads the directory again into
 *	the real store: the load is deterministic (hash, domain and slog
 *	rows come from the files alone; the key from the files or from
 *	opt), so the store gets the rows SQL got.
 * DIAGNOSTICS
 *	A list present in the store or in SQL is refused without
 *	--replace (exit 65).  SQL unreachable: exit 75, nothing written.
 *	A store failure after the commit says SQL has the list and that
 *	mq sync --from-sql repairs the store.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mq/config.h"
#include "mq/ops/ops.h"
#include "mq/ops/list_sql.h"
#include "mq/ops/msg_sql.h"

/* A scratch store in a directory of its own. */
struct scratch {
	char dir[512], path[600], lock[620];
	struct store *st;
};

/* scratch_open - a new empty store; 0 or the result kind, reported. */
static int scratch_open(struct scratch *s)
{
	const char *tmp = getenv("TMPDIR");
	char err[512];

	snprintf(s->dir, sizeof(s->dir), "%s/mq-import.XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(s->dir)) {
		ops_error("%s: cannot make a scratch directory", s->dir);
		s->dir[0] = 0;
		return RESULT_INTERNAL;
	}
	snprintf(s->path, sizeof(s->path), "%s/scratch.mdb", s->dir);
	snprintf(s->lock, sizeof(s->lock), "%s-lock", s->path);
	if (store_open(s->path, 0, NULL, &s->st, err, sizeof(err))) {
		ops_error("%s", err);
		return RESULT_INTERNAL;
	}
	return 0;
}

/* scratch_close - close the scratch store and remove its files. */
static void scratch_close(struct scratch *s)
{
	if (s->st)
		store_close(s->st);
	if (!s->dir[0])
		return;
	unlink(s->path);
	unlink(s->lock);
	rmdir(s->dir);
}

/* The copy of one table from the scratch store into SQL. */
struct copy {
	struct sql_conn *conn;
	const struct reg_table *t;
	const char *name;
	struct sql_stmt *ins;	/* prepared at the first row */
	enum sql_rc rc;
};

/* copy_row - insert one row of the scratch store; non-zero stops. */
static int copy_row(const struct store_row *row, void *arg)
{
	struct copy *c = arg;
	const char *cols[REG_MAX_COLS];
	struct sql_value v[REG_MAX_COLS];
	struct sql_buf b = SQL_BUF_INIT;

	for (int i = 0; i < c->t->ncols; i++) {
		cols[i] = c->t->cols[i].name;
		v[i] = msg_sql_value(&row->col[i]);
	}
	if (!c->ins) {
		msg_sql_insert_text(&b, sql_conn_engine(c->conn), c->name,
				    cols, (size_t)c->t->ncols, false);
		c->rc = b.oom ? SQL_INTERNAL : sql_prepare(c->conn, b.p,
			(size_t)c->t->ncols, &c->ins);
		sql_buf_free(&b);
	}
	if (c->rc == SQL_OK)
		c->rc = sql_stmt_exec(c->conn, c->ins, v, NULL);
	return c->rc != SQL_OK;
}

/* empty_table - "DELETE FROM name": the list is new or replaced. */
static enum sql_rc empty_table(struct sql_conn *conn, const char *name)
{
	struct sql_buf b = SQL_BUF_INIT;
	enum sql_rc rc;

	sql_buf_add(&b, "DELETE FROM ");
	sql_buf_ident(&b, sql_conn_engine(conn), name);
	rc = b.oom ? SQL_INTERNAL : sql_exec(conn, b.p, NULL, 0, NULL, NULL);
	sql_buf_free(&b);
	return rc;
}

/* copy_list - every table of list root from the scratch store to SQL. */
static int copy_list(struct sql_conn *conn, struct store_txn *txn,
		     const char *root)
{
	char name[SQL_TABLE_NAME_MAX];
	enum store_rc src = STORE_OK;
	enum sql_rc rc = SQL_OK;

	for (int i = 0; reg_list[i] && !rc && !src; i++) {
		struct copy c = { conn, reg_list[i], name, NULL, SQL_OK };

		snprintf(name, sizeof(name), "%s%s", root, reg_list[i]->name);
		rc = empty_table(conn, name);
		if (!rc)
			src = store_scan(txn, name, NULL, 0, copy_row, &c);
		rc = rc ? rc : c.rc;
		sql_stmt_free(conn, c.ins);
	}
	if (src) {
		ops_error("%s: scratch store: %s", name,
			  store_strerror(src));
		return RESULT_INTERNAL;
	}
	return rc ? msg_sql_fail(conn, name, rc) : 0;
}

/* sql_has_list - is root a list in SQL?  0/1, or the result kind + 1. */
static int sql_has_list(struct sql_conn *conn, const char *root, bool *has)
{
	char **roots;
	enum sql_rc rc = sql_schema_lists(conn, &roots);

	*has = false;
	if (rc)
		return msg_sql_fail(conn, "lists", rc);
	for (size_t i = 0; roots[i]; i++)
		*has = *has || !strcmp(roots[i], root);
	sql_schema_lists_free(roots);
	return 0;
}

/* to_sql - the list of the scratch store into SQL; 0 or the result kind. */
static int to_sql(struct store *scratch, const char *root, bool replace)
{
	const char *roots[2] = { root, NULL };
	struct sql_conn *conn;
	struct store_txn *txn;
	enum store_rc src;
	enum sql_rc rc;
	bool has, began = false;
	int ex = ops_sql_connect(NULL, &conn);

	if (!ex && !(ex = sql_has_list(conn, root, &has)) && has && !replace) {
		ops_error("list %s exists in SQL already (--replace drops it "
			  "first)", root);
		ex = RESULT_BADDATA;
	}
	if (!ex && (rc = sql_schema_repair(conn, roots, SQL_SCHEMA_NO_DROP,
					   NULL, NULL)))
		ex = msg_sql_fail(conn, root, rc);
	if (!ex && (rc = sql_begin(conn)))
		ex = msg_sql_fail(conn, root, rc);
	began = !ex;
	if (!ex && (src = store_read_begin(scratch, &txn)))
		ex = ops_store_fail(scratch, src);
	else if (!ex) {
		ex = copy_list(conn, txn, root);
		store_read_end(txn);
	}
	if (!ex && (rc = sql_commit(conn)))
		ex = msg_sql_fail(conn, root, rc);
	if (ex && began)
		sql_rollback(conn);
	sql_close(conn);
	return ex;
}

/* store_has_list - is root a list of st?  0 or the result kind. */
static int store_has_list(struct store *st, const char *root, bool *has)
{
	struct store_txn *txn;
	const uint8_t *key;
	size_t keylen;
	enum store_rc rc = store_read_begin(st, &txn);

	if (rc == STORE_OK) {
		rc = store_list_key(txn, root, &key, &keylen);
		store_read_end(txn);
	}
	*has = rc == STORE_OK;
	return rc == STORE_OK || rc == STORE_NOTFOUND ? 0
		: ops_store_fail(st, rc);
}

/* list_import_through_sql - see list_sql.h */
int list_import_through_sql(struct store *st, const struct import_format *f,
			    const char *path, const char *root,
			    const struct import_options *opt,
			    struct import_result *res, enum import_rc *lrc)
{
	struct import_options fresh = *opt;
	struct scratch s = { .st = NULL };
	bool has;
	int ex = store_has_list(st, root, &has);

	*lrc = IMPORT_OK;
	if (!ex && has && !opt->replace) {
		ops_error("list %s exists already (--replace drops it first)",
			  root);
		ex = RESULT_BADDATA;
	}
	fresh.replace = false;
	if (!ex && !(ex = scratch_open(&s)) &&
	    (*lrc = f->load(s.st, path, root, &fresh, res)) != IMPORT_OK)
		ex = -1;
	if (!ex)
		ex = to_sql(s.st, root, opt->replace);
	scratch_close(&s);
	if (ex)
		return ex;
	if ((*lrc = f->load(st, path, root, opt, res)) != IMPORT_OK) {
		ops_error("SQL has list %s but the store failed (mq sync "
			  "--from-sql repairs it): %s", root, res->err);
		*lrc = IMPORT_OK;
		return RESULT_INTERNAL;
	}
	return 0;
}
