/*
 * NAME
 *	lookup_util.h - what the lookup unit tests share: a scratch store,
 *	rows written from col=val text, a lookup set rebuilt on demand
 * DESCRIPTION
 *	Included by tests/unit/lookup_*_test.c (static functions only).
 *	The store lives in a fresh temporary directory removed at the end.
 */
#ifndef MQ_LOOKUP_UTIL_H
#define MQ_LOOKUP_UTIL_H

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store.h"
#include "check.h"

/* One test store with its current lookup set. */
struct tstore {
	char dir[64], path[96];
	struct store *st;
	struct lookup_set *set;
	struct store_txn *txn;
	struct lookup_ctx c;
	char reports[8192];	/* report lines of the last build */
};

static void tstore_hear(void *arg, const char *line)
{
	struct tstore *ts = arg;
	size_t used = strlen(ts->reports);

	snprintf(ts->reports + used, sizeof(ts->reports) - used, "%s\n", line);
}

static bool tstore_open(struct tstore *ts)
{
	char err[512];

	memset(ts, 0, sizeof(*ts));
	strcpy(ts->dir, "/tmp/mq-lookup-test-XXXXXX");
	if (!mkdtemp(ts->dir))
		return false;
	snprintf(ts->path, sizeof(ts->path), "%s/mq.mdb", ts->dir);
	ts->c.scratch = pattern_scratch_new();
	return store_open(ts->path, 0, NULL, &ts->st, err, sizeof(err)) ==
	       STORE_OK && ts->c.scratch;
}

/* tstore_release - end the read transaction and drop the set. */
static void tstore_release(struct tstore *ts)
{
	lookup_set_free(ts->set);
	ts->set = NULL;
	store_read_end(ts->txn);
	ts->txn = NULL;
}

static void tstore_close(struct tstore *ts)
{
	char cmd[128];

	tstore_release(ts);
	pattern_scratch_free(ts->c.scratch);
	store_close(ts->st);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", ts->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "# could not remove %s\n", ts->dir);
}

/* tstore_ready - a read transaction and a set current for it. */
static enum store_rc tstore_ready(struct tstore *ts)
{
	enum store_rc rc;

	if (ts->set)
		return STORE_OK;
	ts->reports[0] = '\0';
	rc = store_read_begin(ts->st, &ts->txn);
	if (rc == STORE_OK)
		rc = lookup_set_build(ts->txn, tstore_hear, ts, &ts->set);
	ts->c.txn = ts->txn;
	ts->c.set = ts->set;
	return rc;
}

/* A row to write: table and col=val pairs (NULL-terminated text). */
struct trow {
	const char *table;
	char *pair[REG_MAX_COLS];
	int n;
};

/* set_row - one store_set of col=val pairs; "\N" is NULL. */
static enum store_rc set_row(struct store_txn *txn, const struct trow *r)
{
	const struct reg_table *t = reg_mailerq_find(r->table);
	struct store_assign a[REG_MAX_COLS];
	char err[256];
	int64_t id;

	if (!t)
		return STORE_NOTFOUND;
	for (int i = 0; i < r->n; i++) {
		char *eq = strchr(r->pair[i], '=');
		enum store_rc rc;
		if (!eq)
			return STORE_BADDATA;
		*eq = '\0';
		a[i].col = reg_column_index(t, r->pair[i]);
		*eq = '=';
		if (a[i].col < 0)
			return STORE_BADDATA;
		if (!strcmp(eq + 1, "\\N")) {
			a[i].v.kind = SV_NULL;
			continue;
		}
		rc = store_value_parse(t, NULL, &t->cols[a[i].col], eq + 1,
				       strlen(eq + 1), &a[i].v, err,
				       sizeof(err));
		if (rc) {
			fprintf(stderr, "# %s\n", err);
			return rc;
		}
	}
	return store_set(txn, r->table, a, r->n, &id);
}

static enum store_rc write_row(struct store_txn *txn, void *arg)
{
	return set_row(txn, arg);
}

/* tstore_set - write one row in a transaction of its own. */
static enum store_rc tstore_set(struct tstore *ts, struct trow *r)
{
	tstore_release(ts);
	return store_write(ts->st, write_row, r, NULL);
}

static enum store_rc clear_all(struct store_txn *txn, void *arg)
{
	uint64_t n;

	(void)arg;
	for (int i = 0; reg_mailerq[i]; i++) {
		enum store_rc rc = store_del(txn, reg_mailerq[i]->name, NULL,
					     0, &n);
		if (rc)
			return rc;
	}
	return STORE_OK;
}

/* tstore_clear - empty every MailerQ table. */
static enum store_rc tstore_clear(struct tstore *ts)
{
	tstore_release(ts);
	return store_write(ts->st, clear_all, NULL, NULL);
}

#endif
