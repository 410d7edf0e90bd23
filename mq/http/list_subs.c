/*
 * NAME
 *	http_list_subs.c - /v1/lists/T/{subscribers,digest,allow,deny,mod}
 * SYNOPSIS
 *	GET    .../subscribers[?format=text][&hash=N]	  mq list T
 *	GET    .../subscribers?sublist=NAME&msgnum=N	  mq list T --sublist
 *	GET    .../subscribers?address=A		  mq issub T A
 *	POST   .../subscribers {"address"|"addresses", "hash", "from"}
 *	DELETE .../subscribers?address=A (or the same body)
 * DESCRIPTION
 *	A listing is streamed in chunks of 64 KiB.  They are cut from a
 *	batch of up to BATCH_BYTES, and each batch comes from its own
 *	short read transaction, which resumes after the last address
 *	taken (store_sub_each_after: a listing is in the order of hash,
 *	then address folded to lower case, so the store seeks straight to
 *	where the last batch stopped).  So a million-row list is never
 *	held in memory nor a snapshot held across the event loop; an
 *	address added or removed meanwhile is seen or not according to
 *	where the listing is.
 *
 *	Subscribing takes the one write path: every address is checked
 *	first (a bad one changes nothing), then the batch runs on the
 *	writer thread (http_write_batch): with a database-address set SQL
 *	first (list_sub_batch), else the store (group-committed with the
 *	other writes queued meanwhile).
 * DIAGNOSTICS
 *	400 naming the parameter, field or addresses[i]; 404 for a sublist
 *	without an active entry, an address not subscribed, or nothing to
 *	unsubscribe; 503 when SQL is unreachable (nothing changed).
 */
#include <stdlib.h>
#include <string.h>

#include "mq/http/lists.h"
#include "mq/ops/list_write.h"
#include "mq/ops/shapes.h"
#include "mq/log.h"

#define CHUNK_BYTES	(64 << 10)
#define BATCH_BYTES	(256 << 10)	/* per read transaction */
#define FROM_MAX	255	/* bytes of a from line: the slog column */

enum list_mode { MODE_ALL, MODE_HASH, MODE_SUBLIST };

/* One streamed listing: what it lists and where it is. */
struct listing {
	char root[REG_NAME_MAX];
	enum sub_table which;
	enum list_mode mode;
	int hash;
	char sublist[SUB_ADDR_MAX + 1];
	int64_t msgnum;
	bool json, started, full, finished;
	/* the last address sent, where the next batch resumes */
	bool have_last;
	int last_hash;
	char last[SUB_ADDR_MAX];
	size_t lastlen;
	struct evbuffer *batch;		/* taken, not yet sent */
	struct evbuffer *buf;		/* the chunk being sent */
};

/* json_plain - can s go into a JSON string as it is? */
static bool json_plain(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\')
			return false;
	}
	return true;
}

/* put_json_string - s as a JSON string; a byte that is not part of
 *	valid UTF-8 is written as \u00XX (format=text gives the bytes) */
static void put_json_string(struct evbuffer *b, const char *s, size_t len)
{
	json_t *valid;

	evbuffer_add(b, "\"", 1);
	if (json_plain(s, len)) {
		evbuffer_add(b, s, len);
		evbuffer_add(b, "\"", 1);
		return;
	}
	valid = json_stringn(s, len);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\')
			evbuffer_add_printf(b, "\\%c", c);
		else if (c < 0x20 || c == 0x7f || (c >= 0x80 && !valid))
			evbuffer_add_printf(b, "\\u%04x", c);
		else
			evbuffer_add(b, &s[i], 1);
	}
	evbuffer_add(b, "\"", 1);
	json_decref(valid);
}

/* put_addr - one address of the listing into the batch */
static void put_addr(struct listing *l, const char *addr, size_t len)
{
	if (!l->json) {
		evbuffer_add(l->batch, addr, len);
		evbuffer_add(l->batch, "\n", 1);
		return;
	}
	evbuffer_add(l->batch, l->started ? ",\n" : "[\n", 2);
	put_json_string(l->batch, addr, len);
	l->started = true;
}

/* listing_addr - the store's callback: one address into the batch */
static int listing_addr(const char *addr, size_t len, int hash, void *arg)
{
	struct listing *l = arg;

	put_addr(l, addr, len);
	l->have_last = true;
	l->last_hash = hash;
	l->lastlen = len < sizeof(l->last) ? len : sizeof(l->last);
	memcpy(l->last, addr, l->lastlen);
	l->full = evbuffer_get_length(l->batch) >= BATCH_BYTES;
	return l->full;
}

/* listing_scan - one batch of the listing's store call */
static enum store_rc listing_scan(struct store_txn *txn, struct listing *l)
{
	struct sub_place at = { l->last_hash, l->last, l->lastlen };
	const struct sub_place *after = l->have_last ? &at : NULL;

	switch (l->mode) {
	case MODE_SUBLIST:
		return store_split_each_after(txn, l->root,
					      l->which == SUB_DIGEST,
					      l->sublist, l->msgnum, after,
					      listing_addr, l, NULL);
	case MODE_HASH:
		return store_sub_each_after(txn, l->root, l->which, l->hash,
					    l->hash, false, after,
					    listing_addr, l);
	case MODE_ALL:
		break;
	}
	return store_sub_each_after(txn, l->root, l->which, 0, SUB_HASH_MAX,
				    true, after, listing_addr, l);
}

/* listing_fill - the next batch, from a new read transaction */
static enum store_rc listing_fill(struct http_req *r, struct listing *l)
{
	struct store_txn *txn;
	enum store_rc rc;

	l->full = false;
	if ((rc = store_read_begin(r->st, &txn)) == STORE_OK) {
		rc = listing_scan(txn, l);
		store_read_end(txn);
	}
	if (rc == STORE_OK && !l->full) {
		l->finished = true;
		if (l->json)
			evbuffer_add(l->batch, l->started ? "\n]\n" : "[]\n",
				     3);
	}
	return rc;
}

/* listing_more - the stream's next chunk */
static void listing_more(struct http_req *r, void *arg)
{
	struct listing *l = arg;
	enum store_rc rc;

	if (!evbuffer_get_length(l->batch) && !l->finished &&
	    (rc = listing_fill(r, l))) {
		/* the list went away: the cut-off body says so */
		log_warning("http: listing %s%s stopped: %s", l->root,
			    sub_table_suffix(l->which), store_strerror(rc));
		http_stream_end(r);
		return;
	}
	if (!evbuffer_get_length(l->batch)) {
		http_stream_end(r);
		return;
	}
	evbuffer_remove_buffer(l->batch, l->buf, CHUNK_BYTES);
	http_stream_chunk(r, l->buf);
}

/* listing_free - the stream is over */
static void listing_free(void *arg)
{
	struct listing *l = arg;

	if (l->batch)
		evbuffer_free(l->batch);
	if (l->buf)
		evbuffer_free(l->buf);
	free(l);
}

/* listing_params - the query of a listing into l; false: answered 400 */
static bool listing_params(struct http_req *r, struct listing *l)
{
	const char *format = http_query(r, "format");
	const char *sublist = http_query(r, "sublist");
	bool msgnum = http_query(r, "msgnum") != NULL;
	int64_t hash, n;

	if (format && strcmp(format, "text") && strcmp(format, "json")) {
		http_reply_error(r, 400, "format: '%.40s' is not json or text",
				 format);
		return false;
	}
	l->json = !format || !strcmp(format, "json");
	if (!http_list_int(r, "hash", 0, SUB_HASH_LIMIT, -1, &hash) ||
	    !http_list_int(r, "msgnum", 0, SPLIT_MSGNUM_MAX, 0, &n))
		return false;
	if (!sublist != !msgnum) {
		http_reply_error(r, 400, "%s: needed with %s", sublist ?
				 "msgnum" : "sublist", sublist ? "sublist" :
				 "msgnum");
		return false;
	}
	if (sublist && (hash >= 0 || strlen(sublist) > SUB_ADDR_MAX ||
			(l->which != SUB_MAIN && l->which != SUB_DIGEST))) {
		http_reply_error(r, 400, "sublist: only on subscribers or "
				 "digest, without hash, at most %d bytes",
				 SUB_ADDR_MAX);
		return false;
	}
	l->mode = sublist ? MODE_SUBLIST : hash >= 0 ? MODE_HASH : MODE_ALL;
	l->hash = (int)hash;
	l->msgnum = n;
	snprintf(l->sublist, sizeof(l->sublist), "%s", sublist ? sublist : "");
	return true;
}

/* sublist_active - 404 unless the sublist has an entry active for msgnum */
static bool sublist_active(struct http_req *r, const struct listing *l)
{
	struct store_txn *txn;
	int64_t listno;
	enum store_rc rc = store_read_begin(r->st, &txn);

	if (rc == STORE_OK) {
		rc = store_split_listno(txn, l->root, l->which == SUB_DIGEST,
					l->sublist, l->msgnum, &listno);
		store_read_end(txn);
	}
	if (rc == STORE_NOTFOUND)
		http_reply_error(r, 404, "%s%s" REG_SPLIT_SUFFIX ": sublist '%s' "
				 "has no entry active for message %lld", l->root,
				 l->which == SUB_DIGEST ? "_digest" : "",
				 l->sublist, (long long)l->msgnum);
	else if (rc)
		http_reply_store(r, rc);
	return rc == STORE_OK;
}

/* subs_list - GET: stream the addresses */
static void subs_list(struct http_req *r, const char *root,
		      enum sub_table which)
{
	struct listing *l = calloc(1, sizeof(*l));

	if (!l || !(l->buf = evbuffer_new()) ||
	    !(l->batch = evbuffer_new())) {
		if (l)
			listing_free(l);
		http_reply_error(r, 500, "out of memory");
		return;
	}
	snprintf(l->root, sizeof(l->root), "%s", root);
	l->which = which;
	if (!listing_params(r, l) ||
	    (l->mode == MODE_SUBLIST && !sublist_active(r, l))) {
		listing_free(l);
		return;
	}
	http_stream_start(r, l->json ? "application/json" :
			  "text/plain; charset=utf-8", listing_more,
			  listing_free, l);
}

/* issub - GET ?address=A: is A a subscriber (hash 0..52)? */
static void issub(struct http_req *r, const char *root, enum sub_table which,
		  const char *given)
{
	char addr[SUB_ADDR_MAX + 1], err[512];
	struct store_value stored;
	struct store_txn *txn;
	json_t *o = NULL;
	size_t len;
	int hash = -1;
	enum store_rc rc;

	if (!list_address_stored(given, strlen(given), addr, &len, err,
				 sizeof(err))) {
		http_reply_error(r, 400, "address: %s", err);
		return;
	}
	if ((rc = store_read_begin(r->st, &txn)) == STORE_OK) {
		rc = store_issub(txn, root, which, addr, len, &hash, &stored);
		if (rc == STORE_OK)
			o = ops_issub_json(&stored, hash);
		store_read_end(txn);
	}
	if (rc == STORE_NOTFOUND || (rc == STORE_OK && hash > SUB_HASH_MAX))
		http_reply_error(r, 404, "%s: not subscribed to %s%s%s", addr,
				 root, sub_table_suffix(which),
				 rc ? "" : hash == SUB_HASH_SUBLIST ?
				 " (present as a sublist, hash 99)" :
				 hash == SUB_HASH_RECEIPT ? " (present as "
				 "the return-receipt address, hash 98)" :
				 " (present but blocked, hash above 52)");
	else if (rc)
		http_reply_store(r, rc);
	else if (!o)	/* imported bytes that are not UTF-8 */
		http_reply_error(r, 500, "%s: the stored address is not UTF-8",
				 addr);
	else {
		http_reply_json(r, 200, o);
		o = NULL;
	}
	json_decref(o);
}

/* The requests of one POST or DELETE, pointing into its JSON body. */
struct sub_batch {
	json_t *body;
	struct sub_request *req;
	size_t n;
	bool many;		/* from "addresses" (else "address") */
	bool add;		/* a subscribe: addresses checked in full */
};

/* batch_request - item i (a JSON string) as a request; false: answered */
static bool batch_request(struct http_req *r, struct sub_batch *b, size_t i,
			  json_t *item, int hash, json_t *from)
{
	char addr[SUB_ADDR_MAX + 1], err[512];
	const char *s = json_string_value(item), *a = NULL;
	size_t len = s ? json_string_length(item) : 0, stored;

	/* checked here so that a bad one is named by its index */
	if (!s || !list_address(s, len, b->add, &a, &len, err, sizeof(err)) ||
	    sub_address(a, len, addr, &stored, err, sizeof(err))) {
		if (b->many)
			http_reply_error(r, 400, "addresses[%zu]: %s", i,
					 s ? err : "not a string");
		else
			http_reply_error(r, 400, "address: %s",
					 s ? err : "not a string");
		return false;
	}
	b->req[i] = (struct sub_request){
		.addr = a, .len = len, .hash = hash,
		.fromline = json_string_value(from),
		.fromlen = from ? json_string_length(from) : 0, .etype = 'm' };
	return true;
}

/* batch_options - "hash" and "from" of a body; false: answered 400 */
static bool batch_options(struct http_req *r, json_t *body, int *hash,
			  json_t **from)
{
	json_t *h = json_object_get(body, "hash");

	*from = json_object_get(body, "from");
	*hash = -1;
	if (h && (!json_is_integer(h) || json_integer_value(h) < 0 ||
		  json_integer_value(h) > SUB_HASH_LIMIT)) {
		http_reply_error(r, 400, "hash: not an integer in 0..%d",
				 SUB_HASH_LIMIT);
		return false;
	}
	if (*from && (!json_is_string(*from) ||
		      json_string_length(*from) > FROM_MAX)) {
		http_reply_error(r, 400, "from: not a string of at most %d "
				 "bytes", FROM_MAX);
		return false;
	}
	*hash = h ? (int)json_integer_value(h) : -1;
	return true;
}

/* batch_parse - the body's addresses as requests; false: answered */
static bool batch_parse(struct http_req *r, struct sub_batch *b)
{
	json_t *one, *many, *from, *item;
	int hash;
	size_t i;

	if (!(b->body = http_body_json(r, false)) ||
	    !batch_options(r, b->body, &hash, &from))
		return false;
	one = json_object_get(b->body, "address");
	many = json_object_get(b->body, "addresses");
	if (!one == !many || (many && (!json_is_array(many) ||
				       !json_array_size(many)))) {
		http_reply_error(r, 400, "address: give either \"address\" "
				 "or a non-empty array \"addresses\"");
		return false;
	}
	b->many = many != NULL;
	b->n = one ? 1 : json_array_size(many);
	if (!(b->req = calloc(b->n, sizeof(*b->req)))) {
		http_reply_error(r, 500, "out of memory");
		return false;
	}
	if (one)
		return batch_request(r, b, 0, one, hash, from);
	json_array_foreach(many, i, item)
		if (!batch_request(r, b, i, item, hash, from))
			return false;
	return true;
}

/* batch_query - DELETE ?address=A[&hash=N] as one request */
static bool batch_query(struct http_req *r, struct sub_batch *b)
{
	int64_t hash;
	json_t *item;

	if (!http_list_int(r, "hash", 0, SUB_HASH_LIMIT, -1, &hash))
		return false;
	b->n = 1;
	/* the body owns the address string, as with a JSON body */
	if (!(item = json_string(http_query(r, "address")))) {
		http_reply_error(r, 400, "address: not UTF-8");
		return false;
	}
	b->body = json_pack("{s:o}", "address", item);
	if (!b->body || !(b->req = calloc(1, sizeof(*b->req)))) {
		http_reply_error(r, 500, "out of memory");
		return false;
	}
	return batch_request(r, b, 0, item, (int)hash, NULL);
}

/* A subscribe or unsubscribe on its way through the writer. */
struct sub_op {
	struct http_write w;	/* first: done() is handed &op->w */
	struct sql_write *batch;
	char root[REG_NAME_MAX];
	enum sub_table which;
	bool add;
	struct sub_batch b;
};

/* sub_op_free - the op and the request body its addresses point into */
static void sub_op_free(struct sub_op *op)
{
	sql_write_free(op->batch);
	free(op->b.req);
	json_decref(op->b.body);
	free(op);
}

/* sub_failed - the answer for a write that failed */
static void sub_failed(struct http_req *r, const struct sub_op *op)
{
	const struct sql_write_out *out = sql_write_out(op->batch, 0);
	const char *msg = sql_write_errmsg(op->batch);

	if (out->failed < op->b.n && op->b.many)
		http_reply_error(r, 400, "addresses[%zu]: %s", out->failed,
				 msg);
	else if (out->failed < op->b.n)
		http_reply_error(r, 400, "address: %s", msg);
	else if (sql_write_kind(op->batch) == RESULT_NOTFOUND)
		http_list_missing(r, op->root);
	else
		http_reply_batch(r, &op->w, op->batch);
}

/* sub_done - on the worker: answer the POST or DELETE from the op */
static void sub_done(struct http_req *r, struct http_write *w)
{
	struct sub_op *op = (struct sub_op *)w;
	const struct sub_counts *c = &sql_write_out(op->batch, 0)->counts;

	if (w->status)
		sub_failed(r, op);
	else if (op->add)
		http_reply_json(r, 200, json_pack(
			"{s:I,s:I,s:I}", "added", (json_int_t)c->changed,
			"existing", (json_int_t)c->unchanged, "blocked",
			(json_int_t)c->blocked));
	else if (c->changed)
		http_reply_json(r, 200, json_pack(
			"{s:I}", "removed", (json_int_t)c->changed));
	else
		http_reply_error(r, 404, "%s%s: none of the %zu address%s was "
				 "subscribed", op->root,
				 sub_table_suffix(op->which), op->b.n,
				 op->b.n == 1 ? "" : "es");
	sub_op_free(op);
}

/*
 * subs_write - POST subscribes, DELETE unsubscribes: the addresses are
 *	checked here, written by the writer thread (SQL first when a
 *	database-address is set, else the store), answered by sub_done.
 */
static void subs_write(struct http_req *r, const char *root,
		       enum sub_table which, bool add)
{
	bool by_query = !add && http_query(r, "address");
	struct sub_op *op;

	if (!http_require_token(r))
		return;
	if (!(op = calloc(1, sizeof(*op)))) {
		http_reply_error(r, 500, "out of memory");
		return;
	}
	snprintf(op->root, sizeof(op->root), "%s", root);
	op->which = which;
	op->add = add;
	op->b.add = add;
	if (!(by_query ? batch_query(r, &op->b) : batch_parse(r, &op->b))) {
		sub_op_free(op);
		return;
	}
	if (!(op->batch = list_sub_batch(r->st, root, which, add, op->b.req,
					 op->b.n))) {
		sub_op_free(op);
		http_reply_error(r, 500, "out of memory");
		return;
	}
	op->w.done = sub_done;
	http_write_batch(r, &op->w, op->batch);
}

void	http_list_subs(struct http_req *r, const char *root,
		       enum sub_table which)
{
	const char *addr = http_query(r, "address");

	if (r->method == HTTP_GET && addr)
		issub(r, root, which, addr);
	else if (r->method == HTTP_GET)
		subs_list(r, root, which);
	else if (r->method == HTTP_POST)
		subs_write(r, root, which, true);
	else if (r->method == HTTP_DELETE)
		subs_write(r, root, which, false);
	else
		http_method_not_allowed(r, "GET, POST, DELETE");
}
