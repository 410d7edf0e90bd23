/*
 * NAME
 *	write.c - the one write path of mq: a batch, SQL first, then the store
 * SYNOPSIS
 *	#include "sql-compat/sync.h"
 *
 *	struct sql_write *w = sql_write_new(st, flags);
 *	int i = sql_write_set(w, "capacity", assigns, n);
 *	kind = sql_write_run(w, conn);		(conn NULL: the store alone)
 *	id = sql_write_out(w, i)->id;
 *	sql_write_free(w);
 * DESCRIPTION
 *	Every writer of mq builds a batch and runs it here.  With SQL
 *	authoritative the tables are resolved and the requests checked
 *	first, then every change runs in ONE SQL transaction (write_row.c,
 *	write_sub.c, write_list.c), which commits; then ONE store
 *	transaction applies what SQL decided: the rows as SQL holds them,
 *	the addresses SQL found changed, the cookies and log entries SQL
 *	did not have.  Without SQL the same batch is one store
 *	transaction with the store's own semantics (store_set, store_sub,
 *	...), which sql_write_body() also offers to a caller that commits
 *	several batches together.
 *
 *	DDL on an engine that commits it at once (MySQL) is moved out of
 *	the transaction: new lists' tables are created before it (and
 *	dropped again when it fails), dropped lists' tables after it.
 * DIAGNOSTICS
 *	One line in sql_write_errmsg(): the table, column, reason, and in
 *	a batch of several changes "row N: " in front.  SQL failing
 *	leaves everything as it was.  The store failing after the commit
 *	is RESULT_INTERNAL with a message saying that SQL has the change
 *	and mq sync --from-sql repairs the store.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sql-compat/write_int.h"

#define RESERVE_FROM	1000	/* addresses: grow the map first */

/* sql_write_new - see sync.h */
struct sql_write *sql_write_new(struct store *st, unsigned flags)
{
	struct sql_write *w = calloc(1, sizeof(*w));

	if (w) {
		w->st = st;
		w->flags = flags;
	}
	return w;
}

/* change_free - what SQL's part of a change allocated */
static void change_free(struct wchange *c)
{
	free(c->mem);
	free(c->row);
	free(c->full);
	for (size_t i = 0; c->items && i < c->nreq; i++)
		free(c->items[i].gone);
	free(c->items);
	c->mem = NULL;
	c->row = NULL;
	c->full = NULL;
	c->items = NULL;
}

/* sql_write_free - see sync.h; the keys of new lists are wiped */
void	sql_write_free(struct sql_write *w)
{
	if (!w)
		return;
	for (size_t i = 0; i < w->n; i++) {
		change_free(&w->c[i]);
		if (w->c[i].key)
			explicit_bzero(w->c[i].key, w->c[i].keylen);
		free(w->c[i].key);
	}
	free(w->c);
	free(w->tabs);
	free(w);
}

/* add_change - a new change of kind on name; NULL: the batch is refused */
static struct wchange *add_change(struct sql_write *w, enum wkind kind,
				  const char *name)
{
	struct wchange *c;

	if (w->early)
		return NULL;
	if (w->n == w->cap) {
		size_t cap = w->cap ? 2 * w->cap : 8;

		if (!(c = realloc(w->c, cap * sizeof(*c)))) {
			w->cur = w->n;
			w->early = write_fail(w, RESULT_INTERNAL,
					      "out of memory");
			return NULL;
		}
		w->c = c;
		w->cap = cap;
	}
	c = &w->c[w->n];
	*c = (struct wchange){ .kind = kind, .same = -1 };
	c->out.failed = SIZE_MAX;
	w->cur = w->n++;
	if (strlen(name) >= sizeof(c->name)) {
		w->early = write_fail(w, RESULT_BADDATA, "%.40s...: name "
				      "longer than %zu bytes", name,
				      sizeof(c->name) - 1);
		return NULL;
	}
	memcpy(c->name, name, strlen(name) + 1);
	return c;
}

/* added - the index of the change just added, or -1 */
static int added(const struct sql_write *w, const struct wchange *c)
{
	return c ? (int)(c - w->c) : -1;
}

/* sql_write_set - see sync.h */
int	sql_write_set(struct sql_write *w, const char *table,
		      const struct store_assign *a, int na)
{
	struct wchange *c = add_change(w, W_SET, table);

	if (c) {
		c->a = a;
		c->na = na;
	}
	return added(w, c);
}

/* sql_write_del - see sync.h */
int	sql_write_del(struct sql_write *w, const char *table,
		      const struct store_filter *f, int nf)
{
	struct wchange *c = add_change(w, W_DEL, table);

	if (c) {
		c->f = f;
		c->nf = nf;
	}
	return added(w, c);
}

/* sql_write_add - see sync.h */
int	sql_write_add(struct sql_write *w, const char *table,
		      const struct store_assign *a, int na, int same,
		      const char *conflict)
{
	struct wchange *c = add_change(w, W_ADD, table);

	if (c) {
		c->a = a;
		c->na = na;
		c->same = same;
		c->conflict = conflict;
	}
	return added(w, c);
}

/* sql_write_sub - see sync.h */
int	sql_write_sub(struct sql_write *w, const char *root,
		      enum sub_table which, bool add,
		      const struct sub_request *r, size_t n)
{
	struct wchange *c = add_change(w, W_SUB, root);

	if (c) {
		c->which = which;
		c->add = add;
		c->req = r;
		c->nreq = n;
	}
	return added(w, c);
}

/* sql_write_list_create - see sync.h */
int	sql_write_list_create(struct sql_write *w, const char *root,
			      const uint8_t *key, size_t keylen)
{
	struct wchange *c = add_change(w, W_LIST_CREATE, root);

	/* no key: store_list_create makes the list's secret */
	if (c && key && !(c->key = malloc(keylen ? keylen : 1))) {
		w->early = write_fail(w, RESULT_INTERNAL, "out of memory");
		return -1;
	}
	if (c && key) {
		if (keylen)
			memcpy(c->key, key, keylen);
		c->keylen = keylen;
	}
	return added(w, c);
}

/* sql_write_list_drop - see sync.h */
int	sql_write_list_drop(struct sql_write *w, const char *root)
{
	return added(w, add_change(w, W_LIST_DROP, root));
}

/* sql_write_rows - see sync.h */
int	sql_write_rows(struct sql_write *w, const char *table,
		       sql_write_rows_fn each, void *arg)
{
	struct wchange *c = add_change(w, W_ROWS, table);

	if (c) {
		c->each = each;
		c->each_arg = arg;
	}
	return added(w, c);
}

/* write_fail - see write_int.h */
enum result_kind write_fail(struct sql_write *w, enum result_kind kind,
			    const char *fmt, ...)
{
	size_t at = 0;
	va_list ap;

	if (w->n > 1)		/* "row N: " first, the reason after it */
		at = (size_t)snprintf(w->err, sizeof(w->err), "row %zu: ",
				      w->cur + 1);
	va_start(ap, fmt);
	vsnprintf(w->err + at, sizeof(w->err) - at, fmt, ap);
	va_end(ap);
	w->kind = kind;
	return kind;
}

/* write_sql_fail - see write_int.h */
enum result_kind write_sql_fail(struct sql_write *w, enum sql_rc rc)
{
	const char *msg = sql_errmsg(w->conn);

	return write_fail(w, sql_rc_kind(rc), "%s", *msg ? msg
			  : sql_strerror(rc));
}

/* write_now - see write_int.h */
void	write_now(char out[32])
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%d %H:%M:%S", &tm);
}

/* write_list_op - see write_int.h */
bool	write_list_op(const struct sql_write *w, const struct wchange *c,
		      enum wkind kind, const char *root, bool later)
{
	const struct wchange *p = later ? c + 1 : w->c;
	const struct wchange *end = later ? w->c + w->n : c;

	for (; p < end; p++)
		if (p->kind == kind && !strcmp(p->name, root))
			return true;
	return false;
}

/*
 * resolve_table - c's registry entry: a table of the store, or of a
 *	list an earlier change of the batch creates
 */
static enum result_kind resolve_table(struct sql_write *w,
				      struct store_txn *txn, struct wchange *c)
{
	char name[SQL_TABLE_NAME_MAX], root[REG_NAME_MAX];
	const char *table = c->name;
	enum store_rc rc;

	if (c->kind == W_SUB) {
		snprintf(name, sizeof(name), "%s%s", c->name,
			 sub_table_suffix(c->which));
		table = name;
	}
	rc = store_table_find(txn, table, &c->t);
	if (rc == STORE_NOTFOUND && (c->t = reg_list_split(table, root,
							   sizeof(root))) &&
	    write_list_op(w, c, W_LIST_CREATE, root, false))
		rc = STORE_OK;
	if (rc == STORE_NOTFOUND && c->kind == W_SUB)
		return write_fail(w, RESULT_NOTFOUND, "no such list: %s",
				  c->name);
	if (rc)
		return write_fail(w, store_rc_kind(rc), "%s", *store_errmsg(
			w->st) ? store_errmsg(w->st) : store_strerror(rc));
	return c->kind == W_SUB ? write_sub_check(w, c) : RESULT_OK;
}

/* resolve - every change's table and requests, before SQL is touched */
static enum result_kind resolve(struct sql_write *w)
{
	struct store_txn *txn;
	enum result_kind k = RESULT_OK;
	enum store_rc rc = store_read_begin(w->st, &txn);

	if (rc)
		return write_fail(w, store_rc_kind(rc), "%s",
				  store_errmsg(w->st));
	for (size_t i = 0; i < w->n && !k; i++) {
		struct wchange *c = &w->c[i];

		w->cur = i;
		if (c->kind != W_LIST_CREATE && c->kind != W_LIST_DROP)
			k = resolve_table(w, txn, c);
	}
	store_read_end(txn);
	return k;
}

/* sql_part - the SQL part of change c, in the open transaction */
static enum result_kind sql_part(struct sql_write *w, struct wchange *c)
{
	static enum result_kind (*const part[])(struct sql_write *,
						struct wchange *) = {
		[W_SET] = write_sql_set, [W_DEL] = write_sql_del,
		[W_ADD] = write_sql_add, [W_SUB] = write_sql_sub,
		[W_LIST_CREATE] = write_sql_list_create,
		[W_LIST_DROP] = write_sql_list_drop, [W_ROWS] = write_sql_rows,
	};

	return part[c->kind](w, c);
}

/* rollback - undo SQL's transaction, keeping the batch's message */
static void rollback(struct sql_write *w)
{
	sql_rollback(w->conn);
	write_ddl_undo(w);
}

/* through_sql - the batch in ONE SQL transaction, committed */
static enum result_kind through_sql(struct sql_write *w)
{
	enum result_kind k = resolve(w);
	enum sql_rc rc;

	if (!k)
		k = write_ddl_before(w);
	if (k)
		return k;
	if ((rc = sql_begin(w->conn))) {
		k = write_sql_fail(w, rc);
		write_ddl_undo(w);
		return k;
	}
	for (size_t i = 0; i < w->n && !k; i++) {
		w->cur = i;
		k = sql_part(w, &w->c[i]);
	}
	w->cur = w->n ? w->n - 1 : 0;
	if (!k && (rc = sql_commit(w->conn)))
		k = write_sql_fail(w, rc);
	if (k) {
		rollback(w);
		return k;
	}
	return write_ddl_after(w);
}

struct put_rows {
	struct store_txn *txn;
	const char *table;
	enum store_rc rc;
};

/* put_one - store_row_fn of an imported table: the row into the store */
static int put_one(const struct store_row *row, void *arg)
{
	struct put_rows *p = arg;

	p->rc = store_put_row(p->txn, p->table, row);
	return p->rc != STORE_OK;
}

/* store_rows - every row of a W_ROWS change into the store */
static enum store_rc store_rows(struct store_txn *txn, struct wchange *c)
{
	struct put_rows p = { txn, c->name, STORE_OK };
	enum store_rc rc = c->each(c->each_arg, put_one, &p);

	return rc ? rc : p.rc;
}

/* store_add - insert c's row unless one with its key is there */
static enum store_rc store_add(struct sql_write *w, struct store_txn *txn,
			       struct wchange *c)
{
	struct store_value key[REG_MAX_KEY];
	const struct reg_table *t;
	struct store_row row;
	enum store_rc rc = store_table_find(txn, c->name, &t);

	for (int k = 0; rc == STORE_OK && k < t->nkey; k++) {
		int i = 0;

		while (i < c->na && c->a[i].col != t->key[k])
			i++;
		if (i == c->na)
			return store_set(txn, c->name, c->a, c->na, NULL);
		key[k] = c->a[i].v;
	}
	if (rc == STORE_OK)
		rc = store_get_by_key(txn, t, c->name, key, &row);
	if (rc == STORE_NOTFOUND) {
		c->out.n = 1;
		return store_set(txn, c->name, c->a, c->na, NULL);
	}
	for (int i = 0; rc == STORE_OK && i < c->na; i++)
		if (c->a[i].col == c->same &&
		    !store_value_equal(&row.col[c->same], &c->a[i].v)) {
			write_fail(w, RESULT_BADDATA, "%s: %s", c->name,
				   c->conflict);
			return STORE_EXISTS;
		}
	return rc;
}

/* store_own - change c with the store's own semantics (no SQL) */
static enum store_rc store_own(struct sql_write *w, struct store_txn *txn,
			       struct wchange *c)
{
	enum store_rc rc = STORE_OK;

	c->out = (struct sql_write_out){ .failed = SIZE_MAX };
	switch (c->kind) {
	case W_SET:
		return store_set(txn, c->name, c->a, c->na, &c->out.id);
	case W_DEL:
		return store_del(txn, c->name, c->f, c->nf, &c->out.n);
	case W_ADD:
		return store_add(w, txn, c);
	case W_SUB:
		return store_sub(txn, c->name, c->which, c->add, c->req,
				 c->nreq, &c->out.counts, &c->out.failed);
	case W_LIST_CREATE:
		rc = store_list_create(txn, c->name, c->key, c->keylen);
		c->out.exists = rc == STORE_EXISTS;
		return rc;
	case W_LIST_DROP:
		rc = store_list_drop(txn, c->name);
		c->out.n = rc == STORE_OK;
		return rc;
	case W_ROWS:
		return store_rows(txn, c);
	}
	return rc;
}

/* store_decided - change c as SQL decided it (SQL has committed) */
static enum store_rc store_decided(struct sql_write *w, struct store_txn *txn,
				   struct wchange *c)
{
	enum store_rc rc;

	switch (c->kind) {
	case W_SET:
		return c->row ? store_put_row(txn, c->name, c->row)
			: store_set(txn, c->name, c->full, c->nfull, NULL);
	case W_DEL:
		return store_del(txn, c->name, c->f, c->nf, NULL);
	case W_ADD:
		return c->skip ? STORE_OK
			: store_set(txn, c->name, c->full, c->nfull, NULL);
	case W_SUB:
		return write_store_sub(txn, c);
	case W_LIST_CREATE:	/* SQL has it new and empty: so must we */
		rc = store_list_drop(txn, c->name);
		return rc && rc != STORE_NOTFOUND ? rc
			: store_list_create(txn, c->name, c->key, c->keylen);
	case W_LIST_DROP:
		rc = store_list_drop(txn, c->name);
		return rc == STORE_NOTFOUND && (c->out.n ||
			write_list_op(w, c, W_LIST_CREATE, c->name, true))
			? STORE_OK : rc;
	case W_ROWS:
		return store_rows(txn, c);
	}
	return STORE_OK;
}

/* body_fail - the batch's message for the store's failure rc */
static enum store_rc body_fail(struct sql_write *w, enum store_rc rc)
{
	const char *msg = store_errmsg(w->st);

	if (w->kind == RESULT_OK)	/* no message of the batch's own */
		write_fail(w, store_rc_kind(rc), "%s", *msg ? msg
			   : store_strerror(rc));
	return rc;
}

/* sql_write_body - see sync.h */
enum store_rc sql_write_body(struct store_txn *txn, void *arg)
{
	struct sql_write *w = arg;
	enum store_rc rc = STORE_OK;

	if (w->early) {
		w->kind = w->early;
		return STORE_BADDATA;
	}
	w->kind = RESULT_OK;
	w->err[0] = 0;
	for (size_t i = 0; i < w->n && rc == STORE_OK; i++) {
		w->cur = i;
		rc = w->conn ? store_decided(w, txn, &w->c[i])
			: store_own(w, txn, &w->c[i]);
	}
	return rc ? body_fail(w, rc) : STORE_OK;
}

/*
 * reserve - grow the map for the addresses the batch adds, before its
 *	transaction (else the store runs a large one again per doubling)
 */
static void reserve(struct sql_write *w)
{
	size_t n = 0;

	for (size_t i = 0; i < w->n; i++)
		if (w->c[i].kind == W_SUB && w->c[i].add)
			n += w->conn ? w->c[i].out.counts.changed
				: w->c[i].nreq;
	if (n > RESERVE_FROM)
		store_sub_reserve(w->st, n);	/* if not, the write grows */
}

/* sql_write_run - see sync.h */
enum result_kind sql_write_run(struct sql_write *w, struct sql_conn *conn)
{
	char why[SQL_SYNC_ERR_MAX];
	enum result_kind k;
	enum store_rc rc;

	w->kind = w->early;
	if (w->early)
		return w->early;
	w->err[0] = 0;
	w->conn = conn;
	if (conn && (k = through_sql(w)))
		return k;
	reserve(w);
	rc = store_write(w->st, sql_write_body, w, NULL);
	if (rc == STORE_OK)
		return RESULT_OK;
	if (w->kind == RESULT_OK) {	/* the commit itself failed */
		w->kind = store_rc_kind(rc);
		snprintf(w->err, sizeof(w->err), "%s", *store_errmsg(w->st)
			 ? store_errmsg(w->st) : store_strerror(rc));
	}
	if (!conn)
		return w->kind;
	snprintf(why, sizeof(why), "%.*s", (int)sizeof(why) - 1, w->err);
	snprintf(w->err, sizeof(w->err), "SQL has the change but the store "
		 "failed (mq sync --from-sql repairs it): %.*s",
		 (int)sizeof(w->err) - 80, why);
	return w->kind = RESULT_INTERNAL;
}

/* sql_write_kind - see sync.h */
enum result_kind sql_write_kind(const struct sql_write *w)
{
	return w->kind;
}

/* sql_write_errmsg - see sync.h */
const char *sql_write_errmsg(const struct sql_write *w)
{
	return w->err;
}

/* sql_write_out - see sync.h */
const struct sql_write_out *sql_write_out(const struct sql_write *w, int i)
{
	return i >= 0 && (size_t)i < w->n ? &w->c[i].out : NULL;
}

/* sql_write_count - see sync.h */
size_t	sql_write_count(const struct sql_write *w)
{
	return w->n;
}
