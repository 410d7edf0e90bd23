/*
 * NAME
 *	list_import.c - mq import: a list from another format, one batch
 * SYNOPSIS
 *	#include "mq/ops/list_write.h"
 *
 *	kind = list_import(st, f, dir, "team", &opt, &res, &lrc);
 * DESCRIPTION
 *	Without a database-address the format's loader writes the list
 *	into the store in one transaction of its own.  With one, SQL is
 *	authoritative: the loader reads and checks the directory into a
 *	scratch store of its own (a new directory under $TMPDIR, removed
 *	after), so that the list's rows exist before anything is written;
 *	then one batch of the write path drops the old list (--replace),
 *	creates the list with the key the source gave and puts every row
 *	of every table: SQL first, in one transaction, then the store,
 *	from the same scratch rows.
 * DIAGNOSTICS
 *	A list present already is refused without --replace (bad data).
 *	SQL unreachable: try again, nothing written.  A store failure
 *	after the commit says SQL has the list and that mq sync --from-sql
 *	repairs the store.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mq/config.h"
#include "mq/ops/list_write.h"
#include "mq/ops/ops.h"
#include "mq/ops/write.h"

#define LIST_TABLES	32	/* reg_list's tables at most */

/* A scratch store in a directory of its own. */
struct scratch {
	char dir[512], path[600], lock[620];
	struct store *st;
	struct store_txn *txn;
};

/* One table of the scratch store, as a source of rows for the batch. */
struct scratch_table {
	struct store_txn *txn;
	char name[REG_NAME_MAX + 16];
};

/* scratch_open - a new empty store; RESULT_OK or the kind, reported */
static enum result_kind scratch_open(struct scratch *s)
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
	return RESULT_OK;
}

/* scratch_close - close the scratch store and remove its files */
static void scratch_close(struct scratch *s)
{
	if (s->txn)
		store_read_end(s->txn);
	if (s->st)
		store_close(s->st);
	if (!s->dir[0])
		return;
	unlink(s->path);
	unlink(s->lock);
	rmdir(s->dir);
}

/* scan_table - sql_write_rows_fn: every row of one scratch table */
static enum store_rc scan_table(void *arg, store_row_fn fn, void *fnarg)
{
	struct scratch_table *t = arg;

	return store_scan(t->txn, t->name, NULL, 0, fn, fnarg);
}

/* store_has_list - is root a list of st?  RESULT_OK or the kind */
static enum result_kind store_has_list(struct store *st, const char *root,
				       bool *has)
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
	return rc == STORE_OK || rc == STORE_NOTFOUND ? RESULT_OK
		: ops_store_fail(st, rc);
}

/*
 * import_batch - the batch of the scratch store's list root: drop
 *	(replace), create with its key, every table's rows
 */
static enum result_kind import_batch(struct store *st, struct scratch *s,
				     const char *root, bool replace,
				     struct scratch_table *tabs)
{
	struct sql_write *w = ops_write_new(st);
	const uint8_t *key;
	size_t keylen;
	enum store_rc rc = store_read_begin(s->st, &s->txn);
	enum result_kind k;

	if (rc == STORE_OK)
		rc = store_list_key(s->txn, root, &key, &keylen);
	if (rc || !w) {
		sql_write_free(w);
		return w ? ops_store_fail(s->st, rc) : RESULT_INTERNAL;
	}
	if (replace)
		sql_write_list_drop(w, root);
	sql_write_list_create(w, root, key, keylen);
	for (int i = 0; reg_list[i] && i < LIST_TABLES; i++) {
		tabs[i].txn = s->txn;
		snprintf(tabs[i].name, sizeof(tabs[i].name), "%s%s", root,
			 reg_list[i]->name);
		sql_write_rows(w, tabs[i].name, scan_table, &tabs[i]);
	}
	k = ops_write(w);
	sql_write_free(w);
	return k;
}

/* through_sql - the list loaded into a scratch store, then one batch */
static enum result_kind through_sql(struct store *st,
				    const struct import_format *f,
				    const char *path, const char *root,
				    const struct import_options *opt,
				    struct import_result *res,
				    enum import_rc *lrc)
{
	struct scratch_table tabs[LIST_TABLES];
	struct import_options fresh = *opt;
	struct scratch s = { .st = NULL };
	enum result_kind k = scratch_open(&s);

	fresh.replace = false;
	if (!k && (*lrc = f->load(s.st, path, root, &fresh, res)) != IMPORT_OK)
		k = RESULT_BADDATA;
	else if (!k)
		k = import_batch(st, &s, root, opt->replace, tabs);
	scratch_close(&s);
	return k;
}

enum result_kind list_import(struct store *st, const struct import_format *f,
			     const char *path, const char *root,
			     const struct import_options *opt,
			     struct import_result *res, enum import_rc *lrc)
{
	bool has = false;
	enum result_kind k;

	*lrc = IMPORT_OK;
	if (!mq_conf.database_address[0]) {
		*lrc = f->load(st, path, root, opt, res);
		return *lrc ? RESULT_BADDATA : RESULT_OK;
	}
	if ((k = store_has_list(st, root, &has)))
		return k;
	if (has && !opt->replace) {
		ops_error("list %s exists already (--replace drops it first)",
			  root);
		return RESULT_BADDATA;
	}
	return through_sql(st, f, path, root, opt, res, lrc);
}
