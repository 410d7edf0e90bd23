/*
 * NAME
 *	http_lists.c - /v1/lists: the mailing lists, their status and log
 * SYNOPSIS
 *	GET    /v1/lists			every list with its row counts
 *	POST   /v1/lists {"name": "T"}		mq list-create T
 *	GET    /v1/lists/T			one list's counts
 *	DELETE /v1/lists/T			mq list-drop T
 *	GET    /v1/lists/T/status?n=10&digest=1	mq status T --json
 *	GET    /v1/lists/T/log?table=&search=&limit=&format=text   mq log T
 *	/v1/lists/T/{subscribers,digest,allow,deny,mod}   http_list_subs.c
 *	/v1/lists/T/split[/check]			   http_list_split.c
 * DESCRIPTION
 *	The router of the list API and its small answers.  A path naming
 *	a list is checked once here (a list name, tables present) so the
 *	part handlers start from a list that exists.  Writes need the
 *	token; creating and dropping a list are batches of the one write
 *	path (mq/ops/list_write.h), as the CLI commands are: with a
 *	database-address set SQL first.
 * DIAGNOSTICS
 *	404 naming the list or the path part; 400 naming the field or
 *	query parameter; 401 without the token on a write; 409 when the
 *	list exists already.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mq/http/lists.h"
#include "mq/ops/list_write.h"
#include "mq/ops/msg_write.h"
#include "mq/ops/ops.h"
#include "mq/ops/shapes.h"

#define STATUS_MAX	1000	/* messages of a status, as mq status -n */
#define LOG_DEFAULT	1000	/* log entries answered by default */
#define LOG_MAX		100000	/* and at most */

static const char *const parts[] = {
	[SUB_MAIN] = "subscribers", [SUB_DIGEST] = "digest",
	[SUB_ALLOW] = "allow", [SUB_DENY] = "deny", [SUB_MOD] = "mod",
};

bool	http_list_table(const char *part, enum sub_table *which)
{
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		if (!strcmp(part, parts[i])) {
			*which = (enum sub_table)i;
			return true;
		}
	return false;
}

const char *http_list_part_name(enum sub_table which)
{
	return parts[which];
}

bool	http_list_int(struct http_req *r, const char *name, int64_t lo,
		      int64_t hi, int64_t dflt, int64_t *out)
{
	const char *s = http_query(r, name);
	char *end;
	long long v;

	if (!s) {
		*out = dflt;
		return true;
	}
	errno = 0;
	v = strtoll(s, &end, 10);
	if (!*s || *end || errno || *s == ' ' || *s == '+' || v < lo ||
	    v > hi) {
		http_reply_error(r, 400, "%s: not an integer in %lld..%lld: "
				 "'%.40s'", name, (long long)lo, (long long)hi,
				 s);
		return false;
	}
	*out = v;
	return true;
}

bool	http_list_flag(struct http_req *r, const char *name)
{
	const char *s = http_query(r, name);

	return s && (!strcmp(s, "1") || !strcmp(s, "true") ||
		     !strcmp(s, "yes"));
}

void	http_list_missing(struct http_req *r, const char *root)
{
	http_reply_error(r, 404, "no such list: %s", root);
}

/* list_counts - one list's row counts, as an object; NULL on failure. */
static json_t *list_counts(struct store_txn *txn, const char *root)
{
	static const char *const split_keys[] = { "split", "digest_split" };
	char table[REG_NAME_MAX + 16];
	json_t *o = json_pack("{s:s}", "name", root);
	uint64_t n;

	for (int i = SUB_MAIN; o && i <= SUB_MOD; i++) {
		snprintf(table, sizeof(table), "%s%s", root,
			 sub_table_suffix((enum sub_table)i));
		if (store_count(txn, table, &n) != STORE_OK)
			n = 0;
		json_object_set_new(o, parts[i], json_integer((json_int_t)n));
	}
	for (int digest = 0; o && digest < 2; digest++) {
		if (mlist_table_name(table, sizeof(table), root, digest,
				     REG_SPLIT_SUFFIX) ||
		    store_count(txn, table, &n) != STORE_OK)
			n = 0;
		json_object_set_new(o, split_keys[digest],
				    json_integer((json_int_t)n));
	}
	return o;
}

struct index_walk {
	struct store_txn *txn;
	json_t *a;
};

/* index_one - store_list_each's callback: one list into the array */
static int index_one(const char *root, void *arg)
{
	struct index_walk *w = arg;

	return json_array_append_new(w->a, list_counts(w->txn, root)) != 0;
}

/* lists_index - GET /v1/lists */
static void lists_index(struct http_req *r)
{
	struct index_walk w = { .a = json_array() };
	enum store_rc rc = store_read_begin(r->st, &w.txn);

	if (rc == STORE_OK) {
		rc = store_list_each(w.txn, index_one, &w);
		store_read_end(w.txn);
	}
	if (rc) {
		json_decref(w.a);
		http_reply_store(r, rc);
		return;
	}
	http_reply_json(r, 200, w.a);
}

/* A list create or drop on its way through the writer. */
struct list_op {
	struct http_write w;	/* first: done() is handed &op->w */
	struct sql_write *batch;
	char root[REG_NAME_MAX];
};

/*
 * list_submit - the create or drop batch of root through the writer,
 *	done() answering; false: answered 500
 */
static bool list_submit(struct http_req *r, const char *root, bool create,
			void (*done)(struct http_req *, struct http_write *))
{
	struct list_op *op = calloc(1, sizeof(*op));

	if (op)
		op->batch = create ? list_create_batch(r->st, root)
			: list_drop_batch(r->st, root);
	if (!op || !op->batch) {
		free(op);
		http_reply_error(r, 500, "out of memory");
		return false;
	}
	snprintf(op->root, sizeof(op->root), "%s", root);
	op->w.done = done;
	http_write_batch(r, &op->w, op->batch);
	return true;
}

/* list_op_free - the op and its batch */
static void list_op_free(struct list_op *op)
{
	sql_write_free(op->batch);
	free(op);
}

/* root_ok - a list name, else 400 naming what (field or path) */
static bool root_ok(struct http_req *r, const char *what, const char *root)
{
	if (strlen(root) < REG_NAME_MAX && reg_root_valid(root))
		return true;
	http_reply_error(r, 400, "%s: '%.80s' is not a list name (a "
			 "lower-case letter, then lower-case letters, digits "
			 "and '_')", what, root);
	return false;
}

/* create_done - on the worker: answer POST /v1/lists */
static void create_done(struct http_req *r, struct http_write *w)
{
	struct list_op *op = (struct list_op *)w;

	if (w->status && sql_write_out(op->batch, 0)->exists)
		http_reply_error(r, 409, "list %s exists already", op->root);
	else if (w->status)
		http_reply_batch(r, w, op->batch);
	else
		http_reply_json(r, 201, json_pack("{s:s,s:b}", "name",
						  op->root, "created", 1));
	list_op_free(op);
}

/* lists_post - POST /v1/lists {"name": "T"} */
static void lists_post(struct http_req *r)
{
	json_t *body, *name;

	if (!http_require_token(r) || !(body = http_body_json(r, false)))
		return;
	name = json_object_get(body, "name");
	if (!json_is_string(name))
		http_reply_error(r, 400, "name: missing or not a string");
	else if (root_ok(r, "name", json_string_value(name)))
		list_submit(r, json_string_value(name), true, create_done);
	json_decref(body);
}

/* drop_done - on the worker: answer DELETE /v1/lists/T */
static void drop_done(struct http_req *r, struct http_write *w)
{
	struct list_op *op = (struct list_op *)w;

	if (w->status && sql_write_kind(op->batch) == RESULT_NOTFOUND)
		http_list_missing(r, op->root);
	else if (w->status)
		http_reply_batch(r, w, op->batch);
	else
		http_reply_json(r, 200, json_pack("{s:s,s:b}", "name",
						  op->root, "dropped", 1));
	list_op_free(op);
}

/* list_delete - DELETE /v1/lists/T */
static void list_delete(struct http_req *r, const char *root)
{
	if (http_require_token(r))
		list_submit(r, root, false, drop_done);
}

/* list_one - GET /v1/lists/T */
static void list_one(struct http_req *r, const char *root)
{
	struct store_txn *txn;
	enum store_rc rc = store_read_begin(r->st, &txn);
	json_t *o = NULL;

	if (rc == STORE_OK) {
		o = list_counts(txn, root);
		store_read_end(txn);
	}
	if (rc)
		http_reply_store(r, rc);
	else
		http_reply_json(r, o ? 200 : 500, o);
}

/* list_status - GET /v1/lists/T/status?n=N&digest=1 */
static void list_status(struct http_req *r, const char *root)
{
	struct mlist_status *rows = NULL;
	struct store_txn *txn;
	size_t n = 0;
	int64_t nmsg;
	enum store_rc rc;

	if (!http_list_int(r, "n", 1, STATUS_MAX, 10, &nmsg))
		return;
	if ((rc = store_read_begin(r->st, &txn)) == STORE_OK) {
		rc = msg_status_read(txn, root, http_list_flag(r,
								    "digest"),
					  (size_t)nmsg, &rows, &n);
		store_read_end(txn);
	}
	if (rc == STORE_NOTFOUND)
		http_list_missing(r, root);
	else if (rc)
		http_reply_store(r, rc);
	else
		http_reply_json(r, 200, msg_status_json(rows, n));
	free(rows);
}

/* The last limit matching entries of a log, in a ring. */
struct log_walk {
	const char *search;
	size_t slen, limit, n;	/* n: entries matched so far */
	json_t **ring;
};

/* log_row - store_scan's callback: keep a matching slog row */
static int log_row(const struct store_row *row, void *arg)
{
	struct log_walk *w = arg;
	json_t *o, **slot;

	if (w->search &&
	    !ops_log_contains(&row->col[REG_SLOG_ADDRESS], w->search, w->slen) &&
	    !ops_log_contains(&row->col[REG_SLOG_FROMLINE], w->search, w->slen))
		return 0;
	if (!(o = ops_slog_json(row)))
		return 1;
	slot = &w->ring[w->n++ % w->limit];
	json_decref(*slot);
	*slot = o;
	return 0;
}

/* log_array - the ring's entries, oldest first; the ring is emptied */
static json_t *log_array(struct log_walk *w)
{
	size_t have = w->n < w->limit ? w->n : w->limit;
	size_t first = w->n < w->limit ? 0 : w->n % w->limit;
	json_t *a = json_array();

	for (size_t i = 0; i < have; i++) {
		json_t **slot = &w->ring[(first + i) % w->limit];

		json_array_append_new(a, *slot);
		*slot = NULL;
	}
	return a;
}

/* put_field - one field of a text log line; null prints nothing */
static void put_field(struct evbuffer *b, json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	if (s)
		evbuffer_add(b, s, strlen(s));
}

/* log_text - the lines of mq log for the entries of a */
static void log_text(struct http_req *r, json_t *a)
{
	struct evbuffer *b = evbuffer_new();
	size_t i;
	json_t *o;

	if (!b) {
		http_reply_error(r, 500, "out of memory");
		return;
	}
	json_array_foreach(a, i, o) {
		const char *from = json_string_value(json_object_get(o,
							"fromline"));

		put_field(b, o, "tai");
		evbuffer_add(b, " ", 1);
		put_field(b, o, "edir");
		put_field(b, o, "etype");
		evbuffer_add(b, " ", 1);
		put_field(b, o, "address");
		if (from && *from)
			evbuffer_add_printf(b, " %s", from);
		evbuffer_add(b, "\n", 1);
	}
	http_reply_text(r, 200, "text/plain; charset=utf-8",
			evbuffer_pullup(b, -1), evbuffer_get_length(b));
	evbuffer_free(b);
}

/* log_params - table, search and limit of a log request; false: answered */
static bool log_params(struct http_req *r, enum sub_table *which,
		       struct log_walk *w)
{
	const char *table = http_query(r, "table");
	int64_t limit;

	*which = SUB_MAIN;
	if (table && !http_list_table(table, which)) {
		http_reply_error(r, 400, "table: '%.40s' is not one of "
				 "subscribers, digest, allow, deny, mod",
				 table);
		return false;
	}
	w->search = http_query(r, "search");
	w->slen = w->search ? strlen(w->search) : 0;
	if (w->slen > SUB_ADDR_MAX) {
		http_reply_error(r, 400, "search: longer than %d bytes",
				 SUB_ADDR_MAX);
		return false;
	}
	if (!http_list_int(r, "limit", 1, LOG_MAX, LOG_DEFAULT, &limit))
		return false;
	w->limit = (size_t)limit;
	return true;
}

/* list_log - GET /v1/lists/T/log: the last entries of T_slog */
static void list_log(struct http_req *r, const char *root)
{
	struct log_walk w = { 0 };
	struct store_txn *txn;
	enum sub_table which;
	char table[REG_NAME_MAX + 16];
	enum store_rc rc;
	const char *format = http_query(r, "format");
	json_t *a;

	if (!log_params(r, &which, &w))
		return;
	if (!(w.ring = calloc(w.limit, sizeof(*w.ring)))) {
		http_reply_error(r, 500, "out of memory");
		return;
	}
	snprintf(table, sizeof(table), "%s%s_slog", root,
		 sub_table_suffix(which));
	if ((rc = store_read_begin(r->st, &txn)) == STORE_OK) {
		rc = store_scan(txn, table, NULL, 0, log_row, &w);
		store_read_end(txn);
	}
	a = log_array(&w);
	for (size_t i = 0; i < w.limit; i++)
		json_decref(w.ring[i]);
	free(w.ring);
	if (rc == STORE_NOTFOUND)
		http_list_missing(r, root);
	else if (rc)
		http_reply_store(r, rc);
	else if (format && !strcmp(format, "text"))
		log_text(r, a);
	else {
		http_reply_json(r, 200, a);
		return;
	}
	json_decref(a);
}

/* list_exists - do list root's tables exist? */
static bool list_exists(struct http_req *r, const char *root)
{
	const struct reg_table *t;
	struct store_txn *txn;
	enum store_rc rc = store_read_begin(r->st, &txn);

	if (rc == STORE_OK) {
		rc = store_table_find(txn, root, &t);
		store_read_end(txn);
	}
	if (rc == STORE_NOTFOUND)
		http_list_missing(r, root);
	else if (rc)
		http_reply_store(r, rc);
	return rc == STORE_OK;
}

/* get_only - run fn for a GET, else answer 405 */
static void get_only(struct http_req *r, const char *root,
		     void (*fn)(struct http_req *r, const char *root))
{
	if (r->method == HTTP_GET)
		fn(r, root);
	else
		http_method_not_allowed(r, "GET");
}

/* list_part - /v1/lists/T/PART[/...] of a list that exists */
static void list_part(struct http_req *r, const char *root, const char *part)
{
	enum sub_table which;

	if (http_list_table(part, &which) && r->nseg == 2)
		http_list_subs(r, root, which);
	else if (!strcmp(part, "split") && (r->nseg == 2 ||
		 (r->nseg == 3 && !strcmp(r->seg[2], "check"))))
		http_list_split(r, root);
	else if (!strcmp(part, "status") && r->nseg == 2)
		get_only(r, root, list_status);
	else if (!strcmp(part, "log") && r->nseg == 2)
		get_only(r, root, list_log);
	else
		http_reply_error(r, 404, "%s: no such list endpoint (list %s "
				 "has subscribers, digest, allow, deny, mod, "
				 "split, split/check, status, log)", r->path,
				 root);
}

/* list_root - /v1/lists/T: the list itself */
static void list_root(struct http_req *r, const char *root)
{
	if (r->method == HTTP_DELETE)
		list_delete(r, root);
	else if (r->method != HTTP_GET)
		http_method_not_allowed(r, "GET, DELETE");
	else if (list_exists(r, root))
		list_one(r, root);
}

void	http_lists_handle(struct http_req *r)
{
	const char *root = r->nseg ? r->seg[0] : NULL;

	if (!root && r->method == HTTP_GET)
		lists_index(r);
	else if (!root && r->method == HTTP_POST)
		lists_post(r);
	else if (!root)
		http_method_not_allowed(r, "GET, POST");
	else if (strlen(root) >= REG_NAME_MAX || !reg_root_valid(root))
		http_list_missing(r, root);
	else if (r->nseg == 1)
		list_root(r, root);
	else if (list_exists(r, root))
		list_part(r, root, r->seg[1]);
}
