/*
 * NAME
 *	mailerq_rows.c - the MailerQ resources' GET, POST and DELETE
 * SYNOPSIS
 *	http_mailerq_handle(r);		(routes /v1/pauses, /v1/errors,
 *					 /v1/suppressions, /v1/pools,
 *					 /v1/poolips)
 * DESCRIPTION
 *	A resource's key fields name the columns that select its row:
 *	a key column no field names is the empty text (any).  GET lists
 *	the rows that have not expired, each as MailerQ's fields (a
 *	localip "pool:NAME" shows as pool, a target that parses as an IP
 *	address as ip); its query parameters are fields that filter.
 *	POST sets the row its key fields select (update or insert), DELETE
 *	removes it, both through the one write path.
 * DIAGNOSTICS
 *	See mailerq.c.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>


#include "mq/http/mailerq.h"

#define TIME_TEXT	19	/* "YYYY-MM-DD HH:MM:SS" */
#define POOL_LEN	5	/* "pool:" */
#define TEXT_MAX	(REG_KEY_TEXT_MAX + 1)

/* A POST or DELETE on its way through the writer. */
struct mq_op {
	struct http_write w;
	struct sql_write *batch;
	const struct resource *rs;
	const struct reg_table *t;
	struct fields f;
	char text[REG_MAX_COLS][TEXT_MAX];	/* values the assigns name */
	struct store_assign a[REG_MAX_COLS];
	struct store_filter flt[REG_MAX_COLS];
	bool given[REG_MAX_COLS];		/* a field named the column */
	int na, nflt;
	struct table_set_row row;
	int code;			/* POST: 201 new, 200 updated */
};

/* The first row of a scan, when there is one. */
struct first {
	struct store_row *row;
	bool found;
};

static int take_first(const struct store_row *row, void *arg)
{
	struct first *f = arg;

	*f->row = *row;
	f->found = true;
	return 1;
}

/* scan_first - the first row of table matching the filters. */
static enum store_rc scan_first(struct store_txn *txn, const char *table,
				const struct store_filter *f, int nf,
				struct store_row *row)
{
	struct first first = { row, false };
	enum store_rc rc = store_scan(txn, table, f, nf, take_first, &first);

	return rc == STORE_OK && !first.found ? STORE_NOTFOUND : rc;
}

static void op_free(struct mq_op *op)
{
	sql_write_free(op->batch);
	fields_free(&op->f);
	free(op);
}

static int col_index(const struct reg_table *t, const char *name)
{
	for (int i = 0; i < t->ncols; i++)
		if (strcmp(t->cols[i].name, name) == 0)
			return i;
	return -1;
}

static bool is_ip(const char *s, size_t len)
{
	char buf[64];
	unsigned char bin[16];

	if (len >= sizeof(buf))
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	return inet_pton(AF_INET, buf, bin) == 1 ||
	       inet_pton(AF_INET6, buf, bin) == 1;
}

static bool is_pool(const char *s, size_t len)
{
	return len > POOL_LEN && memcmp(s, "pool:", POOL_LEN) == 0;
}

/* owns - does map entry m show column text (s, len) as its field? */
static bool owns(const struct field_map *m, const char *s, size_t len)
{
	switch (m->role) {
	case R_MTA:
		return !is_pool(s, len);
	case R_POOL:
		return is_pool(s, len);
	case R_DOMAIN:
		return !is_ip(s, len);
	case R_IP:
		return is_ip(s, len);
	case R_ALIAS:
		return false;
	default:
		return true;
	}
}

/* put_field - the value of column ci of row as field m of o. */
static void put_field(json_t *o, const struct field_map *m,
		      const struct store_value *v)
{
	const char *s = v->s;
	size_t len = v->len;

	if (v->kind == SV_INT) {
		json_object_set_new(o, m->field, json_integer(v->i));
		return;
	}
	if (v->kind != SV_TEXT || (m->key && (len == 0 ||
					      (len == 1 && s[0] == '*'))))
		return;
	if (!owns(m, s, len))
		return;
	if (m->role == R_POOL) {
		s += POOL_LEN;
		len -= POOL_LEN;
	}
	/* a value that is not UTF-8 has no JSON string: left out */
	json_object_set_new(o, m->field, json_stringn(s, len));
}

/* row_json - a row as the resource's fields. */
static json_t *row_json(const struct resource *rs, const struct reg_table *t,
			const struct store_row *row)
{
	json_t *o = json_object();

	if (!o)
		return NULL;
	if (t->cols[0].flags & REG_AUTO)
		json_object_set_new(o, "id", json_integer(row->col[0].i));
	for (int i = 0; i < MAX_MAP && rs->map[i].field; i++) {
		int ci = rs->map[i].column ? col_index(t, rs->map[i].column)
			: -1;
		if (ci >= 0)
			put_field(o, &rs->map[i], &row->col[ci]);
	}
	if (rs->cluster)
		json_object_set_new(o, "cluster", json_true());
	return o;
}

/* A GET's rows being gathered. */
struct listing {
	const struct resource *rs;
	const struct reg_table *t;
	int expire_col;
	char now[TIME_TEXT + 1];
	json_t *rows;
};

static int list_row(const struct store_row *row, void *arg)
{
	struct listing *l = arg;
	const struct store_value *e = l->expire_col >= 0 ?
		&row->col[l->expire_col] : NULL;

	if (e && e->kind == SV_TEXT && e->len &&
	    memcmp(e->s, l->now, e->len < TIME_TEXT ? e->len : TIME_TEXT) <= 0)
		return 0;		/* expired: not active */
	json_array_append_new(l->rows, row_json(l->rs, l->t, row));
	return 0;
}

static void format_time(time_t t, char out[TIME_TEXT + 1])
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, TIME_TEXT + 1, "%Y-%m-%d %H:%M:%S", &tm);
}

/* unix_time - digits only (unix seconds, as MailerQ may send): as UTC
 * time text in out; false otherwise. */
static bool unix_time(const char *v, char out[TEXT_MAX])
{
	size_t i = 0;

	while (v[i] && isdigit((unsigned char)v[i]))
		i++;
	if (i == 0 || v[i] || i > 11)
		return false;
	format_time((time_t)strtoll(v, NULL, 10), out);
	return true;
}

/*
 * column_value - the value of column ci from the fields (key columns no
 *	field names: ""); false: answered (a bad value), or *none when
 *	no field names a value column.
 */
static bool column_value(struct http_req *r, struct mq_op *op, int ci,
			 bool *none, struct store_value *v)
{
	const struct reg_column *c = &op->t->cols[ci];
	char err[512];
	const char *given = NULL;
	const struct field_map *m = NULL;
	char *text = op->text[ci];

	for (int i = 0; !given && i < MAX_MAP && op->rs->map[i].field; i++)
		if (op->rs->map[i].column &&
		    !strcmp(op->rs->map[i].column, c->name) &&
		    (given = field_get(&op->f, op->rs->map[i].field)))
			m = &op->rs->map[i];
	*none = !given;
	if (!given)
		return true;
	if (m->role == R_POOL && strlen(given) + POOL_LEN > c->maxlen) {
		http_reply_error(r, 400, "%s: field %s: longer than %zu bytes",
				 op->rs->name, m->field, c->maxlen - POOL_LEN);
		return false;
	}
	if (m->role == R_POOL)
		snprintf(text, TEXT_MAX, "pool:%s", given);
	else if (!(c->type == REG_TIME && unix_time(given, text)))
		text = (char *)given;
	if (store_value_parse(op->t, NULL, c, text, strlen(text), v, err,
			      sizeof(err)) == STORE_OK)
		return true;
	http_reply_error(r, 400, "%s: field %s: %s", op->rs->name, m->field,
			 err);
	return false;
}

static bool is_key_column(const struct resource *rs, const char *column)
{
	for (int i = 0; i < MAX_MAP && rs->map[i].field; i++)
		if (rs->map[i].key && rs->map[i].column &&
		    !strcmp(rs->map[i].column, column))
			return true;
	return false;
}

/* op_columns - the key filters and the assignments of op's fields. */
static bool op_columns(struct http_req *r, struct mq_op *op)
{
	for (int ci = 0; ci < op->t->ncols; ci++) {
		const char *name = op->t->cols[ci].name;
		bool key = is_key_column(op->rs, name), none;
		struct store_value v = { .kind = SV_TEXT, .s = "", .len = 0 };

		if (!key && !map_find(op->rs, name))
			continue;
		if (!column_value(r, op, ci, &none, &v))
			return false;
		if (none && !key)
			continue;
		op->given[ci] = !none;
		if (key)
			op->flt[op->nflt++] = (struct store_filter){ ci, v };
		op->a[op->na++] = (struct store_assign){ ci, v };
	}
	return true;
}

/* op_new - the fields of r's body checked and turned into columns. */
static struct mq_op *op_new(struct http_req *r, const struct resource *rs)
{
	struct mq_op *op = calloc(1, sizeof(*op));
	size_t len;

	if (!op) {
		http_reply_error(r, 500, "%s: out of memory", rs->name);
		return NULL;
	}
	op->rs = rs;
	op->t = reg_mailerq_find(rs->table);
	http_body(r, &len);
	if ((len == 0 ? query_fields(r, rs, r->query, r->nquery, &op->f) :
	     body_fields(r, rs, &op->f)) &&
	    fields_check(r, rs, &op->f, true) && op_columns(r, op))
		return op;
	op_free(op);
	return NULL;
}

/*
 * existing - the id of the row op's keys select (0: none), or -1 when
 *	answered; a resource with a parent (poolips) needs its row there.
 */
static int64_t existing(struct http_req *r, struct mq_op *op)
{
	const struct resource *rs = op->rs;
	struct store_txn *txn;
	struct store_row row;
	enum store_rc rc = store_read_begin(r->st, &txn);
	int64_t id = 0;

	if (rc == STORE_OK && rs->parent) {
		rc = scan_first(txn, rs->parent, op->flt, 1, &row);
		if (rc == STORE_NOTFOUND) {
			store_read_end(txn);
			http_reply_error(r, 404, "%s: no pool '%.*s'", rs->name,
					 (int)op->flt[0].v.len,
					 op->flt[0].v.s);
			return -1;
		}
	}
	if (rc == STORE_OK && (op->t->cols[0].flags & REG_AUTO)) {
		rc = scan_first(txn, rs->table, op->flt, op->nflt, &row);
		if (rc == STORE_OK)
			id = row.col[0].i;
	}
	store_read_end(txn);
	if (rc && rc != STORE_NOTFOUND) {
		http_reply_store(r, rc);
		return -1;
	}
	return id;
}

static void post_done(struct http_req *r, struct http_write *w)
{
	struct mq_op *op = (struct mq_op *)w;
	struct store_txn *txn;
	struct store_row row;
	json_t *o = NULL;

	if (w->status) {
		http_reply_batch(r, w, op->batch);
		op_free(op);
		return;
	}
	if (op->t->cols[0].flags & REG_AUTO) {
		op->flt[0] = (struct store_filter){ 0, { .kind = SV_INT,
			.i = sql_write_out(op->batch, 0)->id } };
		op->nflt = 1;
	}
	if (store_read_begin(r->st, &txn) == STORE_OK) {
		if (scan_first(txn, op->rs->table, op->flt, op->nflt,
				     &row) == STORE_OK)
			o = row_json(op->rs, op->t, &row);
		store_read_end(txn);
	}
	http_reply_json(r, op->code, o ? o : json_object());
	op_free(op);
}

static void mailerq_post(struct http_req *r, const struct resource *rs)
{
	struct mq_op *op = op_new(r, rs);
	int64_t id;

	if (!op)
		return;
	if ((id = existing(r, op)) < 0) {
		op_free(op);
		return;
	}
	if (id > 0)
		op->a[op->na++] = (struct store_assign){ 0, { .kind = SV_INT,
							      .i = id } };
	op->code = id > 0 ? 200 : 201;
	op->row = (struct table_set_row){ .a = op->a, .n = op->na };
	if (!(op->batch = table_set_batch(r->st, rs->table, &op->row, 1))) {
		http_reply_error(r, 500, "%s: out of memory", rs->name);
		op_free(op);
		return;
	}
	op->w.done = post_done;
	http_write_batch(r, &op->w, op->batch);
}

static void delete_done(struct http_req *r, struct http_write *w)
{
	struct mq_op *op = (struct mq_op *)w;
	uint64_t n = w->status ? 0 : sql_write_out(op->batch, 0)->n;

	if (w->status)
		http_reply_batch(r, w, op->batch);
	else if (n == 0)
		http_reply_error(r, 404, "%s: nothing matches", op->rs->name);
	else
		http_reply_json(r, 200, json_pack("{s:I}", "deleted",
						  (json_int_t)n));
	op_free(op);
}

static void mailerq_delete(struct http_req *r, const struct resource *rs)
{
	struct mq_op *op = op_new(r, rs);

	if (!op)
		return;
	op->batch = table_del_batch(r->st, rs->table, op->flt, op->nflt);
	if (op->batch && rs->cascade)
		sql_write_del(op->batch, rs->cascade, op->flt, 1);
	if (!op->batch) {
		http_reply_error(r, 500, "%s: out of memory", rs->name);
		op_free(op);
		return;
	}
	op->w.done = delete_done;
	http_write_batch(r, &op->w, op->batch);
}

static void mailerq_get(struct http_req *r, const struct resource *rs)
{
	struct mq_op *op = calloc(1, sizeof(*op));
	struct listing l = { rs, reg_mailerq_find(rs->table), -1, "", NULL };
	struct store_txn *txn = NULL;
	enum store_rc rc;

	if (!op || !(l.rows = json_array())) {
		free(op);
		http_reply_error(r, 500, "%s: out of memory", rs->name);
		return;
	}
	op->rs = rs;
	op->t = l.t;
	if (query_fields(r, rs, r->query, r->nquery, &op->f) &&
	    fields_check(r, rs, &op->f, false) && op_columns(r, op)) {
		l.expire_col = col_index(l.t, "expire");
		format_time(time(NULL), l.now);
		/* only the fields given filter: the other keys are free */
		op->nflt = 0;
		for (int i = 0; i < op->na; i++)
			if (op->given[op->a[i].col])
				op->flt[op->nflt++] = (struct store_filter){
					op->a[i].col, op->a[i].v };
		rc = store_read_begin(r->st, &txn);
		if (rc == STORE_OK)
			rc = store_scan(txn, rs->table, op->flt, op->nflt,
					list_row, &l);
		store_read_end(txn);
		if (rc)
			http_reply_store(r, rc);
		else
			http_reply_json(r, 200, json_incref(l.rows));
	}
	json_decref(l.rows);
	op_free(op);
}

/* resource_of - the resource of r's path ("/v1/NAME"), or NULL. */
static const struct resource *resource_of(const struct http_req *r)
{
	const char *name = r->path + 4;

	for (const struct resource *rs = mailerq_resources; rs->name; rs++)
		if (strcmp(rs->name, name) == 0)
			return rs;
	return NULL;
}

void	http_mailerq_handle(struct http_req *r)
{
	const struct resource *rs = resource_of(r);
	bool get = r->method == HTTP_GET || r->method == HTTP_HEAD;

	if (!rs || r->nseg > 0)
		http_reply_error(r, 404, "%s: no such API endpoint", r->path);
	else if (get)
		mailerq_get(r, rs);
	else if (r->method != HTTP_POST &&
		 r->method != HTTP_DELETE)
		http_method_not_allowed(r, "GET, HEAD, POST, DELETE");
	else if (!http_require_token(r))
		return;
	else if (r->method == HTTP_POST)
		mailerq_post(r, rs);
	else
		mailerq_delete(r, rs);
}
