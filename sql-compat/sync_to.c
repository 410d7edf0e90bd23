/*
 * NAME
 *	sync_to.c - mq sync --to-sql: make one SQL table equal to the store
 * SYNOPSIS
 *	#include "sql-compat/sync_int.h"
 *
 *	ex = sync_to_table(conn, st, txn, tn, cols, res, i);
 * DESCRIPTION
 *	In the open SQL transaction and against the store's read
 *	snapshot (sync_to_tables.c), the table is diffed: the SQL rows
 *	are read once into a hash table of (key, hash of the row), the
 *	store's rows are walked, and each is inserted, updated or left
 *	alone; SQL rows the store lacks are deleted.  Keys compare exactly
 *	(where_key).  Keyless (_slog) tables compare as multisets of row
 *	hashes.  Rows compare by a 64-bit hash of their values, so the SQL
 *	side costs some 40 bytes a row plus its key, never the whole row.
 *
 *	Where SQL's collation ignores case (MySQL), a store key may be
 *	another's twin to SQL (Mta1.example.com, mta1.example.com): an
 *	INSERT the key's twin refuses makes room when the twin is a row
 *	the store lacks (it would be deleted), and is otherwise refused,
 *	named with its twin, SQL keeping the twin as it is.
 *
 *	PostgreSQL's serial sequences are moved past the ids written, so
 *	that later inserts of external scripts do not collide.
 * DIAGNOSTICS
 *	See sync.h.  A failure leaves the rollback to the caller.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sql-compat/sync_int.h"

/* One SQL row: its key (values as read) and the hash of its values. */
struct entry {
	uint64_t keyhash, rowhash;
	size_t keyoff;		/* in the key arena; keyed tables */
	uint32_t count;		/* keyless tables: rows with this hash */
	bool used;
	bool seen;
	bool keep;		/* a row mq cannot hold: left as it is */
};

struct to_table {
	struct sql_conn *conn;
	struct store_txn *txn;
	enum sql_engine engine;
	const struct sync_name *tn;
	struct sync_cols *cols;
	struct entry *e;
	size_t mask, n;
	uint8_t *keys;		/* arena of encoded keys */
	size_t keylen, keycap;
	struct sql_stmt *ins, *upd, *del;
	uint8_t keyparams[REG_MAX_KEY];	/* where_key's, per key column */
	struct store_apply_counts *counts;
	struct sql_sync_result *res;
	bool reading;		/* the first pass: refusals are noted */
	char *err;
	size_t errlen;
	int fail;
};

/* key_put - append a key value: kind, then 8 bytes or length + bytes. */
static bool key_put(struct to_table *x, const struct store_value *v)
{
	size_t need = 1 + (v->kind == SV_INT ? 8 : 4 + v->len);

	if (x->keylen + need > x->keycap) {
		size_t cap = x->keycap ? x->keycap * 2 : 1 << 16;
		uint8_t *p;

		while (cap < x->keylen + need)
			cap *= 2;
		if (!(p = realloc(x->keys, cap)))
			return false;
		x->keys = p;
		x->keycap = cap;
	}
	x->keys[x->keylen++] = (uint8_t)v->kind;
	if (v->kind == SV_INT) {
		memcpy(x->keys + x->keylen, &v->i, 8);
		x->keylen += 8;
	} else {
		uint32_t len = (uint32_t)v->len;

		memcpy(x->keys + x->keylen, &len, 4);
		memcpy(x->keys + x->keylen + 4, v->s, v->len);
		x->keylen += 4 + v->len;
	}
	return true;
}

/* key_get - the key values stored at off, pointing into the arena. */
static void key_get(const struct to_table *x, size_t off,
		    struct store_value *kv)
{
	const uint8_t *p = x->keys + off;

	for (int k = 0; k < x->tn->t->nkey; k++) {
		kv[k] = (struct store_value){ .kind = (enum store_vkind)*p++ };
		if (kv[k].kind == SV_INT) {
			memcpy(&kv[k].i, p, 8);
			p += 8;
		} else {
			uint32_t len;

			memcpy(&len, p, 4);
			kv[k].s = (const char *)p + 4;
			kv[k].len = len;
			p += 4 + len;
		}
	}
}

/* key_hash - of the key values, exact (a list address keeps its case) */
static uint64_t key_hash(const struct reg_table *t,
			 const struct store_value *kv)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (int k = 0; k < t->nkey; k++) {
		if (kv[k].kind == SV_INT)
			h = (h ^ (uint64_t)kv[k].i) * 0x100000001b3ULL;
		for (size_t i = 0; kv[k].kind == SV_TEXT && i < kv[k].len; i++)
			h = (h ^ (uint8_t)kv[k].s[i]) * 0x100000001b3ULL;
		h = (h ^ 0xff) * 0x100000001b3ULL;
	}
	return h;
}

/* key_equal - the same key, byte for byte */
static bool key_equal(const struct reg_table *t, const struct store_value *a,
		      const struct store_value *b)
{
	for (int k = 0; k < t->nkey; k++)
		if (!store_value_equal(&a[k], &b[k]))
			return false;
	return true;
}

/* find - the entry of a key (keyed) or of a row hash (keyless). */
static struct entry *find(struct to_table *x, const struct store_value *kv,
			  uint64_t h)
{
	struct store_value other[REG_MAX_KEY];

	for (size_t i = h & x->mask; x->e[i].used; i = (i + 1) & x->mask) {
		if (x->tn->t->nkey == 0 && x->e[i].rowhash == h)
			return &x->e[i];
		if (x->tn->t->nkey == 0 || x->e[i].keyhash != h)
			continue;
		key_get(x, x->e[i].keyoff, other);
		if (key_equal(x->tn->t, kv, other))
			return &x->e[i];
	}
	return NULL;
}

/* grow - double the hash table when it is half full. */
static bool grow(struct to_table *x)
{
	size_t cap = x->mask ? (x->mask + 1) * 2 : 1024;
	struct entry *e = calloc(cap, sizeof(*e)), *old = x->e;

	if (!e)
		return false;
	for (size_t i = 0; old && i <= x->mask; i++) {
		if (!old[i].used)
			continue;
		uint64_t h = x->tn->t->nkey ? old[i].keyhash : old[i].rowhash;
		size_t j = h & (cap - 1);

		while (e[j].used)
			j = (j + 1) & (cap - 1);
		e[j] = old[i];
	}
	free(old);
	x->e = e;
	x->mask = cap - 1;
	return true;
}

/* remember - note one SQL row; false without memory. */
static bool remember(struct to_table *x, const struct store_row *row)
{
	const struct reg_table *t = x->tn->t;
	struct store_value kv[REG_MAX_KEY];
	uint64_t rh = store_row_hash(t, row), h = rh;
	struct entry *e;
	size_t i;

	for (int k = 0; k < t->nkey; k++)
		kv[k] = row->col[t->key[k]];
	if (t->nkey)
		h = key_hash(t, kv);
	if ((e = find(x, kv, h))) {
		e->count++;	/* keyless duplicate; keyed: case twins */
		return true;
	}
	if ((x->n + 1) * 2 > x->mask + 1 && !grow(x))
		return false;
	for (i = h & x->mask; x->e[i].used; i = (i + 1) & x->mask)
		;
	x->e[i] = (struct entry){ .keyhash = h, .rowhash = rh,
				  .keyoff = x->keylen, .count = 1,
				  .used = true };
	x->n++;
	for (int k = 0; k < t->nkey; k++)
		if (!key_put(x, &kv[k]))
			return false;
	return true;
}

/*
 * refused - a SQL row mq cannot hold is noted and, when its key is one
 *	mq can hold, remembered as kept: neither updated nor deleted.
 */
static int refused(struct to_table *x, const struct store_row *row,
		   const struct sync_rowbuf *buf)
{
	const struct reg_table *t = x->tn->t;
	struct store_value kv[REG_MAX_KEY];
	struct entry *e;

	sync_note_refused(x->res, x->err);
	x->err[0] = 0;
	if (t->nkey == 0 || !buf->key_ok)
		return 0;
	if (!remember(x, row)) {
		snprintf(x->err, x->errlen, "out of memory");
		return RESULT_INTERNAL;
	}
	for (int k = 0; k < t->nkey; k++)
		kv[k] = row->col[t->key[k]];
	if ((e = find(x, kv, key_hash(t, kv))))
		e->keep = true;
	return 0;
}

/* row_fn - what to do with one SQL row, parsed; 0 or an exit status. */
typedef int (*row_fn)(struct to_table *x, const struct store_row *row,
		      const struct sql_value *v, size_t n, void *arg);

/* each_sql_row - every SQL row of the table, parsed, handed to fn. */
static int each_sql_row(struct to_table *x, row_fn fn, void *arg)
{
	struct sql_buf b = SQL_BUF_INIT;
	struct sync_rowbuf buf;
	const struct sql_value *v;
	struct sql_rows *rows;
	struct store_row row;
	size_t n;
	enum sql_rc rc;
	int ex = 0;

	sync_select(&b, x->engine, x->tn, x->cols);
	rc = b.oom ? SQL_INTERNAL : sql_exec(x->conn, b.p, NULL, 0, &rows,
					      NULL);
	sql_buf_free(&b);
	if (rc)
		return sync_sql_fail(x->conn, rc, x->err, x->errlen);
	while (!ex && (rc = sql_rows_next(x->conn, rows, &v, &n)) == SQL_OK) {
		ex = sync_row_parse(x->tn, x->cols, v, n, &row, &buf, x->err,
				    x->errlen);
		if (ex == SYNC_ROW_REFUSED)
			ex = x->reading ? refused(x, &row, &buf) : 0;
		else if (!ex)
			ex = fn(x, &row, v, n, arg);
	}
	if (!ex && rc != SQL_END)
		ex = sync_sql_fail(x->conn, rc, x->err, x->errlen);
	sql_rows_free(x->conn, rows);
	return ex;
}

static int remember_row(struct to_table *x, const struct store_row *row,
			const struct sql_value *v, size_t n, void *arg)
{
	(void)v;
	(void)n;
	(void)arg;
	if (remember(x, row))
		return 0;
	snprintf(x->err, x->errlen, "out of memory");
	return RESULT_INTERNAL;
}

/* read_sql - every SQL row of the table into the hash table. */
static int read_sql(struct to_table *x)
{
	int ex;

	x->reading = true;
	ex = each_sql_row(x, remember_row, NULL);
	x->reading = false;
	return ex;
}

/* normalize - the store row with the extras SQL has, in SQL's order. */
static void normalize(const struct to_table *x, const struct store_row *in,
		      struct store_row *out)
{
	memcpy(out->col, in->col, sizeof(out->col));
	out->nextra = x->cols->nextra;
	for (int j = 0; j < x->cols->nextra; j++) {
		const char *name = x->cols->extra[j];
		size_t len = strlen(name);

		out->extra[j] = (struct store_extra){ name, len,
						      { .kind = SV_NULL } };
		for (int i = 0; i < in->nextra; i++)
			if (in->extra[i].namelen == len &&
			    memcmp(in->extra[i].name, name, len) == 0)
				out->extra[j].v = in->extra[i].v;
	}
}

/* key_params - the key values as where_key binds them; their count. */
static size_t key_params(const struct to_table *x,
			 const struct store_value *kv, struct sql_value *p)
{
	size_t n = 0;

	for (int k = 0; k < x->tn->t->nkey; k++)
		for (int i = 0; i < x->keyparams[k]; i++)
			p[n++] = sync_param(&kv[k]);
	return n;
}

/* row_params - every column of the row, then the key values. */
static size_t row_params(const struct to_table *x, const struct store_row *r,
			 const struct store_value *kv, struct sql_value *p)
{
	const struct reg_table *t = x->tn->t;
	size_t n = 0;

	for (int i = 0; i < t->ncols; i++)
		if (!sync_col_absent(x->cols, i))
			p[n++] = sync_param_col(x->cols, i, &r->col[i]);
	for (int j = 0; j < r->nextra; j++)
		p[n++] = sync_param(&r->extra[j].v);
	return kv ? n + key_params(x, kv, p + n) : n;
}

/* run - one prepared statement; *count one more when it ran */
static int run(struct to_table *x, struct sql_stmt *s,
	       const struct sql_value *p, uint64_t *count)
{
	enum sql_rc rc = sql_stmt_exec(x->conn, s, p, NULL);

	if (rc)
		return sync_sql_fail(x->conn, rc, x->err, x->errlen);
	(*count)++;
	return 0;
}

/*
 * twin_goes - is the twin a SQL row the store lacks (one delete_unseen
 *	would delete)?  Then it is noted as gone, to be deleted at once.
 */
static bool twin_goes(struct to_table *x, const struct sync_twin *tw)
{
	struct entry *e = find(x, tw->kv, key_hash(x->tn->t, tw->kv));
	struct store_row row;

	if (!e || e->seen || e->keep ||
	    store_get_by_key(x->txn, x->tn->t, x->tn->name, tw->kv, &row) !=
	    STORE_NOTFOUND)
		return false;
	e->seen = true;
	return true;
}

/*
 * insert_row - the INSERT of a store row with key kv (values p).  One
 *	its key's twin refuses (sync_key_twin) runs again once the twin is
 *	deleted when the store lacks it, else is refused and noted.
 */
static int insert_row(struct to_table *x, const struct store_value *kv,
		      const struct sql_value *p)
{
	struct sql_value tp[2 * REG_MAX_KEY];
	struct sync_twin tw;
	enum sql_rc rc = sql_stmt_exec(x->conn, x->ins, p, NULL);
	int ex;

	if (rc == SQL_OK) {
		x->counts->inserted++;
		return 0;
	}
	ex = sync_sql_fail(x->conn, rc, x->err, x->errlen);
	if (rc != SQL_BADDATA || x->tn->t->nkey == 0 ||
	    sync_key_twin(x->conn, x->tn, kv, &tw) || !tw.found)
		return ex;
	x->err[0] = 0;
	if (twin_goes(x, &tw)) {
		key_params(x, tw.kv, tp);
		ex = run(x, x->del, tp, &x->counts->deleted);
		return ex ? ex : run(x, x->ins, p, &x->counts->inserted);
	}
	sync_twin_message(x->tn, kv, &tw, x->err, x->errlen);
	sync_note_refused(x->res, x->err);
	x->err[0] = 0;
	return 0;
}

/* store_row_cb - insert or update one store row in SQL as needed. */
static int store_row_cb(const struct store_row *in, void *arg)
{
	struct to_table *x = arg;
	const struct reg_table *t = x->tn->t;
	struct sql_value p[REG_MAX_COLS + STORE_MAX_EXTRA + 2 * REG_MAX_KEY];
	struct store_value kv[REG_MAX_KEY] = { 0 }, sqlkey[REG_MAX_KEY];
	struct sync_rowbuf buf;
	struct store_row row;
	struct entry *e;
	uint64_t rh;

	normalize(x, in, &row);
	if ((x->fail = sync_row_utf8(x->tn, x->engine, &row, x->err,
				     x->errlen)))
		return x->fail;
	sync_row_fit(x->cols, t, &row, &buf);
	rh = store_row_hash(t, &row);
	for (int k = 0; k < t->nkey; k++)
		kv[k] = row.col[t->key[k]];
	e = find(x, kv, t->nkey ? key_hash(t, kv) : rh);
	if (t->nkey == 0 && e && e->count) {
		e->count--;
		return 0;
	}
	if (t->nkey && e) {
		e->seen = true;
		if (e->keep || (e->rowhash == rh && e->count == 1))
			return 0;
		key_get(x, e->keyoff, sqlkey);
		row_params(x, &row, sqlkey, p);
		x->fail = run(x, x->upd, p, &x->counts->updated);
		return x->fail;
	}
	row_params(x, &row, NULL, p);
	x->fail = insert_row(x, kv, p);
	return x->fail;
}

/* where_key - " WHERE k1 = ? AND k2 = ?" (sync_where_eq); parameters */
static size_t where_key(struct sql_buf *b, struct to_table *x)
{
	const struct reg_table *t = x->tn->t;
	size_t n = 0;

	for (int k = 0; k < t->nkey; k++) {
		sql_buf_add(b, k ? " AND " : " WHERE ");
		n += x->keyparams[k] = (uint8_t)sync_where_eq(b,
			x->conn->driver, &t->cols[t->key[k]]);
	}
	return n;
}

/* col_name - registry column i, then the extras. */
static const char *col_name(const struct to_table *x, int i)
{
	return i < x->tn->t->ncols ? x->tn->t->cols[i].name
		: x->cols->extra[i - x->tn->t->ncols];
}

/* delete_one - a DELETE of one row equal to all values (NULL-safe). */
static void delete_one(struct sql_buf *b, const struct to_table *x)
{
	const char *rowid = x->engine == SQL_ENGINE_PGSQL ? "ctid" : "rowid";

	sql_buf_add(b, "DELETE FROM ");
	sql_buf_ident(b, x->engine, x->tn->name);
	if (x->engine != SQL_ENGINE_MYSQL) {
		sql_buf_add(b, " WHERE %s = (SELECT %s FROM ", rowid, rowid);
		sql_buf_ident(b, x->engine, x->tn->name);
	}
	for (int i = 0; i < x->cols->nsel; i++) {
		sql_buf_add(b, i ? " AND " : " WHERE ");
		sql_buf_ident(b, x->engine, col_name(x, i));
		sql_buf_add(b, "%s", x->conn->driver->null_safe_eq);
	}
	sql_buf_add(b, x->engine == SQL_ENGINE_MYSQL ? " LIMIT 1" : " LIMIT 1)");
}

/* prepare - the INSERT, UPDATE and DELETE of the table. */
static int prepare(struct to_table *x)
{
	const struct reg_table *t = x->tn->t;
	struct sql_buf b = SQL_BUF_INIT;
	enum sql_rc rc;
	int n = x->cols->nsel, w = 0, nk = 0;	/* selected, written, key */

	sql_buf_add(&b, "INSERT INTO ");
	sql_buf_ident(&b, x->engine, x->tn->name);
	for (int i = 0; i < n; i++) {
		if (sync_col_absent(x->cols, i))
			continue;	/* an optional column SQL lacks */
		sql_buf_add(&b, w++ ? ", " : " (");
		sql_buf_ident(&b, x->engine, col_name(x, i));
	}
	sql_buf_add(&b, ") VALUES (");
	for (int i = 0; i < w; i++)
		sql_buf_add(&b, i ? ", ?" : "?");
	sql_buf_add(&b, ")");
	rc = b.oom ? SQL_INTERNAL : sql_prepare(x->conn, b.p, (size_t)w,
						 &x->ins);
	sql_buf_reset(&b);
	if (!rc && t->nkey) {
		sql_buf_add(&b, "UPDATE ");
		sql_buf_ident(&b, x->engine, x->tn->name);
		for (int i = 0, k = 0; i < n; i++) {
			if (sync_col_absent(x->cols, i))
				continue;
			sql_buf_add(&b, k++ ? ", " : " SET ");
			sql_buf_ident(&b, x->engine, col_name(x, i));
			sql_buf_add(&b, " = ?");
		}
		nk = (int)where_key(&b, x);
		rc = b.oom ? SQL_INTERNAL : sql_prepare(x->conn, b.p,
				(size_t)(w + nk), &x->upd);
		sql_buf_reset(&b);
		sql_buf_add(&b, "DELETE FROM ");
		sql_buf_ident(&b, x->engine, x->tn->name);
		where_key(&b, x);
	} else
		delete_one(&b, x);
	if (!rc)
		rc = b.oom ? SQL_INTERNAL : sql_prepare(x->conn, b.p,
				(size_t)(t->nkey ? nk : n), &x->del);
	sql_buf_free(&b);
	return rc ? sync_sql_fail(x->conn, rc, x->err, x->errlen) : 0;
}

/* delete_unseen - SQL rows of a keyed table the store does not have. */
static int delete_unseen(struct to_table *x)
{
	struct store_value kv[REG_MAX_KEY];
	struct sql_value p[2 * REG_MAX_KEY];
	int ex = 0;

	for (size_t i = 0; i <= x->mask && !ex && x->e; i++) {
		if (!x->e[i].used || x->e[i].seen || x->e[i].keep)
			continue;
		key_get(x, x->e[i].keyoff, kv);
		key_params(x, kv, p);
		ex = run(x, x->del, p, &x->counts->deleted);
	}
	return ex;
}

/* A SQL row to delete, copied out of the result (MySQL streams it). */
struct doomed {
	struct doomed *next;
	struct sql_value v[REG_MAX_COLS + STORE_MAX_EXTRA];
};

/* doomed_copy - a row's values copied out of the result */
static struct doomed *doomed_copy(const struct sql_value *v, size_t n)
{
	size_t bytes = sizeof(struct doomed);
	struct doomed *d;
	char *p;

	for (size_t i = 0; i < n; i++)
		bytes += v[i].type == SQL_TEXT ? v[i].len + 1 : 0;
	if (!(d = calloc(1, bytes)))
		return NULL;
	p = (char *)(d + 1);
	for (size_t i = 0; i < n; i++) {
		d->v[i] = v[i];
		if (v[i].type != SQL_TEXT)
			continue;
		memcpy(p, v[i].p, v[i].len);
		d->v[i].p = p;
		p += v[i].len + 1;
	}
	return d;
}

/* doom_surplus - keep a copy of a row SQL has more often than the store. */
static int doom_surplus(struct to_table *x, const struct store_row *row,
			const struct sql_value *v, size_t n, void *arg)
{
	struct store_value nokey[REG_MAX_KEY] = { 0 };
	struct doomed **list = arg, *d;
	struct entry *e = find(x, nokey, store_row_hash(x->tn->t, row));

	if (!e || e->count == 0)
		return 0;
	e->count--;
	if (!(d = doomed_copy(v, n))) {
		snprintf(x->err, x->errlen, "out of memory");
		return RESULT_INTERNAL;
	}
	d->next = *list;
	*list = d;
	return 0;
}

/* collect_surplus - SQL rows of a keyless table beyond the store's. */
static int collect_surplus(struct to_table *x, struct doomed **list)
{
	return each_sql_row(x, doom_surplus, list);
}

/* delete_surplus - SQL rows of a keyless table beyond the store's go */
static int delete_surplus(struct to_table *x)
{
	struct doomed *list = NULL, *d;
	bool any = false;
	int ex;

	for (size_t i = 0; i <= x->mask && x->e && !any; i++)
		any = x->e[i].used && x->e[i].count;
	if (!any)
		return 0;
	ex = collect_surplus(x, &list);
	while ((d = list)) {
		if (!ex)
			ex = run(x, x->del, d->v, &x->counts->deleted);
		list = d->next;
		free(d);
	}
	return ex;
}

/* any_row - store_scan callback: there is a row; stop */
static int any_row(const struct store_row *row, void *arg)
{
	(void)row;
	*(bool *)arg = true;
	return 1;
}

/*
 * absent_table - a table SQL may lack (sync_columns: no_table) stays
 *	absent while the store has no row for it; a row is refused: only
 *	mq repair-database creates the table in such a database.
 */
static int absent_table(struct store *st, struct store_txn *txn,
			const struct sync_name *tn, struct sql_sync_result *res)
{
	bool any = false;
	enum store_rc src = store_scan(txn, tn->name, NULL, 0, any_row, &any);

	if (src && !any)
		return sync_store_fail(st, src, res->err, sizeof(res->err));
	if (!any)
		return 0;
	snprintf(res->err, sizeof(res->err), "sql: table %s is missing and "
		 "the store has rows for it (a database made by ezmlm-idx 7: "
		 "mq repair-database creates the table)", tn->name);
	return RESULT_BADDATA;
}

/* sync_to_table - see sync_int.h */
int	sync_to_table(struct sql_conn *conn, struct store *st,
		      struct store_txn *txn, const struct sync_name *tn,
		      struct sync_cols *cols, struct sql_sync_result *res,
		      size_t i)
{
	struct to_table x = { .conn = conn, .txn = txn,
			      .engine = sql_conn_engine(conn),
			      .tn = tn, .cols = cols,
			      .counts = &res->tables[i].n, .res = res,
			      .err = res->err,
			      .errlen = sizeof(res->err) };
	enum store_rc src;
	enum sql_rc rc;
	int ex;

	if (cols->no_table)
		return absent_table(st, txn, tn, res);
	ex = grow(&x) ? read_sql(&x) : RESULT_INTERNAL;

	if (!ex)
		ex = prepare(&x);
	if (!ex) {
		src = store_scan(txn, tn->name, NULL, 0, store_row_cb, &x);
		ex = x.fail ? x.fail : src ? sync_store_fail(
			st, src, res->err, sizeof(res->err)) : 0;
	}
	if (!ex)
		ex = tn->t->nkey ? delete_unseen(&x) : delete_surplus(&x);
	if (!ex && x.counts->inserted &&
	    (rc = sql_schema_sync_serial(conn, tn->name, tn->t)))
		ex = sync_sql_fail(conn, rc, res->err, sizeof(res->err));
	sql_stmt_free(conn, x.ins);
	sql_stmt_free(conn, x.upd);
	sql_stmt_free(conn, x.del);
	free(x.e);
	free(x.keys);
	return ex;
}
