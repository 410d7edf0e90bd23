/*
 * NAME
 *	http_lookup.c - /v1/lookup/KIND: the delivery-settings lookups
 * SYNOPSIS
 *	GET /v1/lookup/capacity?localip=192.0.2.1&domain=example.com
 *	GET /v1/lookup/rewrite?NAME=VALUE...
 * DESCRIPTION
 *	The lookups of mq lookup (docs/lookups.md), with the arguments as
 *	query parameters named as there.  Each named parameter is required
 *	(it may be empty: ''); rewrite takes the message properties as its
 *	parameters.  The answers are the JSON of 'mq lookup ... --json':
 *	capacity the limits with their levels, the others an array of rows
 *	([] when nothing applies), never with a secret column.
 *
 *	The kinds, their parameters and the lookup each runs are the
 *	store's (lookup_kinds, store_lookup_ask in store/lookup.h); this
 *	file parses the query and writes the answer.
 *
 *	Speed: each worker thread holds the store's shared lookup set (one
 *	build per store version for every worker: store_lookups_renew),
 *	its own DKIM set and pattern scratch, and changes a set only when
 *	the store moved on (one meta read).  A request costs one read
 *	transaction (recycled), the lookup, and the answer written
 *	straight into the reply's buffer; a capacity answer is formatted
 *	on the stack without printf.  The thread's state is freed when the
 *	thread ends.
 * DIAGNOSTICS
 *	404 an unknown kind; 400 naming a missing, unknown or too long
 *	parameter; 500 a store failure (or a set that cannot be built).
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include "mq/http/http.h"
#include "mq/http/rows.h"

#define MAX_PROPS	64
#define KIND_NAMES	256	/* bytes of the kinds' names, joined */

/* One worker thread's lookup state. */
struct lookup_thread {
	const struct lookup_set *set;	/* the store's, held */
	struct dkim_set *dkim;
	struct pattern_scratch *scratch;
};

static __thread struct lookup_thread *lookup_thread;
static pthread_key_t thread_key;
static pthread_once_t thread_key_once = PTHREAD_ONCE_INIT;

/* thread_free - the thread ends: free its sets (pthread key destructor) */
static void thread_free(void *arg)
{
	struct lookup_thread *l = arg;

	store_lookups_release(l->set);
	dkim_set_free(l->dkim);
	pattern_scratch_free(l->scratch);
	free(l);
}

/* thread_key_create - the key whose destructor frees a thread's state */
static void thread_key_create(void)
{
	pthread_key_create(&thread_key, thread_free);
}

/* thread_state - this thread's state, created on its first lookup */
static struct lookup_thread *thread_state(void)
{
	struct lookup_thread *l = lookup_thread;

	if (l)
		return l;
	pthread_once(&thread_key_once, thread_key_create);
	if (!(l = calloc(1, sizeof(*l))) ||
	    !(l->scratch = pattern_scratch_new())) {
		free(l);
		return NULL;
	}
	pthread_setspecific(thread_key, l);
	return lookup_thread = l;
}

/* dkim_set_fresh - the thread's DKIM set, rebuilt when txn moved on */
static enum store_rc dkim_set_fresh(struct lookup_thread *l,
				    struct store_txn *txn)
{
	struct dkim_set *fresh;
	bool current = false;
	enum store_rc rc;

	if (l->dkim && (rc = dkim_set_current(l->dkim, txn, &current)))
		return rc;
	if (current)
		return STORE_OK;
	if ((rc = dkim_set_build(txn, NULL, NULL, &fresh)))
		return rc;
	dkim_set_free(l->dkim);
	l->dkim = fresh;
	return STORE_OK;
}

/* One request's lookup: the context, its arguments, its answer. */
struct ask {
	struct lookup_ctx c;
	struct lookup_thread *l;
	struct lookup_request q;
	struct lookup_prop props[MAX_PROPS];
	struct http_json_rows rows;	/* the answer; never a secret */
};

/* put_text - s at p; the end */
static char *put_text(char *p, const char *s)
{
	size_t n = strlen(s);

	memcpy(p, s, n);
	return p + n;
}

/*
 * ask_capacity - the limits and their levels, as mq lookup --json.
 *	The longest answer (20-digit numbers) is under 1300 bytes.
 */
static enum store_rc ask_capacity(struct ask *a)
{
	struct capacity_limits lim;
	char buf[2048], *p = buf;
	enum store_rc rc;

	a->q.limits = &lim;
	if ((rc = store_lookup_ask(&a->c, &a->q)))
		return rc;
	for (int i = 0; i < CAP_NLIMITS; i++) {
		p = put_text(p, i ? ",\"" : "{\"");
		p = put_text(p, capacity_limit_name(i));
		p = http_put_int(put_text(p, "\":"), lim.limit[i]);
	}
	p = put_text(p, ",\"levels\":");
	for (int i = 0; i < CAP_NLIMITS; i++) {
		p = put_text(p, i ? ",\"" : "{\"");
		p = put_text(p, capacity_limit_name(i));
		p = put_text(p, "\":{\"level\":\"");
		p = put_text(p, capacity_level_name(lim.level[i]));
		p = http_put_int(put_text(p, "\",\"id\":"), lim.from_id[i]);
		p = put_text(p, "}");
	}
	p = put_text(p, "}}");
	evbuffer_add(a->rows.out, buf, (size_t)(p - buf));
	return STORE_OK;
}

/* ask_rows - a lookup answered by rows, written as a JSON array */
static enum store_rc ask_rows(struct ask *a)
{
	enum store_rc rc = STORE_OK;

	if (a->q.kind->id == LOOKUP_DKIM) {
		rc = dkim_set_fresh(a->l, a->c.txn);
		a->q.dkim = a->l->dkim;
	}
	a->q.fn = http_json_rows_put;
	a->q.fn_arg = &a->rows;
	evbuffer_add(a->rows.out, "[", 1);
	if (rc == STORE_OK)
		rc = store_lookup_ask(&a->c, &a->q);
	evbuffer_add(a->rows.out, "]", 1);
	return rc == STORE_NOTFOUND ? STORE_OK : rc;
}

/* kind_param - the index of parameter name of k, or -1 */
static int kind_param(const struct lookup_kind *k, const char *name)
{
	for (int i = 0; i < LOOKUP_MAX_ARGS && k->params[i]; i++)
		if (strcmp(k->params[i], name) == 0)
			return i;
	return -1;
}

/* take_props - rewrite's parameters as properties; false: answered */
static bool take_props(struct http_req *r, struct ask *a)
{
	for (int i = 0; i < r->nquery; i++) {
		const struct http_param *kv = &r->query[i];

		if (a->q.nprops == MAX_PROPS) {
			http_reply_error(r, 400, "lookup rewrite: more than %d "
					 "properties", MAX_PROPS);
			return false;
		}
		a->props[a->q.nprops++] = (struct lookup_prop){ kv->key,
								kv->value };
	}
	a->q.props = a->props;
	if (a->q.nprops == 0)
		http_reply_error(r, 400, "lookup rewrite: give the message "
				 "properties as NAME=VALUE query parameters");
	return a->q.nprops > 0;
}

/* take_args - the kind's parameters from the query; false: answered */
static bool take_args(struct http_req *r, struct ask *a)
{
	const struct lookup_kind *k = a->q.kind;
	int i;

	if (!k->params[0])
		return take_props(r, a);
	for (int n = 0; n < r->nquery; n++) {
		const struct http_param *kv = &r->query[n];

		if ((i = kind_param(k, kv->key)) < 0) {
			http_reply_error(r, 400, "lookup %s: no parameter '%s'",
					 k->name, kv->key);
			return false;
		}
		if (k->max[i] && strlen(kv->value) > k->max[i]) {
			http_reply_error(r, 400, "lookup %s: parameter %s is "
					 "longer than %zu bytes", k->name,
					 kv->key, k->max[i]);
			return false;
		}
		a->q.args[i] = kv->value;
	}
	for (i = 0; i < LOOKUP_MAX_ARGS && k->params[i]; i++)
		if (!a->q.args[i]) {
			http_reply_error(r, 400, "lookup %s: missing parameter "
					 "%s (it may be empty: %s=)", k->name,
					 k->params[i], k->params[i]);
			return false;
		}
	return true;
}

/* run - the lookup in one read transaction, its answer in a->rows.out */
static enum store_rc run(struct http_req *r, struct ask *a)
{
	enum store_rc rc = store_read_begin(r->st, &a->c.txn);

	if (rc == STORE_OK)
		rc = store_lookups_renew(&a->c.txn, &a->l->set);
	if (rc == STORE_OK) {
		a->c.set = a->l->set;
		a->c.scratch = a->l->scratch;
		rc = a->q.kind->table ? ask_rows(a) : ask_capacity(a);
	}
	store_read_end(a->c.txn);
	return rc;
}

/* lookup - answer kind k */
static void lookup(struct http_req *r, const struct lookup_kind *k)
{
	struct ask a = { .l = thread_state(), .q.kind = k,
			 .rows.out = http_json_begin(r) };
	enum store_rc rc;

	if (k->table)
		a.rows.t = reg_mailerq_find(k->table);
	if (!take_args(r, &a))
		return;
	r->lookup_kind = k->name;	/* counted: a lookup runs */
	if (!a.l) {
		http_reply_error(r, 500, "lookup %s: out of memory", k->name);
		return;
	}
	rc = run(r, &a);
	if (a.rows.bad || rc)
		http_json_abandon(r);
	if (a.rows.bad)
		http_reply_error(r, 500, "lookup %s: a stored text is not "
				 "UTF-8, which JSON cannot hold", k->name);
	else if (rc)
		http_reply_store(r, rc);
	else
		http_json_send(r, 200);
}

/* kind_names - "capacity, flood, ..." into out */
static void kind_names(char out[KIND_NAMES])
{
	size_t n = 0;

	out[0] = 0;
	for (int i = 0; i < LOOKUP_KINDS && n < KIND_NAMES; i++)
		n += (size_t)snprintf(out + n, KIND_NAMES - n, "%s%s",
				      i ? ", " : "", lookup_kinds[i].name);
}

void	http_lookup_handle(struct http_req *r)
{
	const struct lookup_kind *k;
	char names[KIND_NAMES];

	if (r->nseg != 1 || !(k = lookup_kind_find(r->seg[0]))) {
		kind_names(names);
		if (r->nseg != 1)
			http_reply_error(r, 404, "%s: ask GET /v1/lookup/KIND "
					 "(one of %s)", r->path, names);
		else
			http_reply_error(r, 404, "no lookup '%s' (%s)",
					 r->seg[0], names);
		return;
	}
	if (r->method != HTTP_GET && r->method != HTTP_HEAD)
		http_method_not_allowed(r, "GET, HEAD");
	else
		lookup(r, k);
}
