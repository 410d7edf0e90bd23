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
 *	Speed: each worker thread holds a lookup set (shared by the
 *	workers: one build per store version), its own DKIM set and
 *	pattern scratch, and changes a set only when the store moved on
 *	(lookup_set_current: one meta read).  A request costs one read
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

#define MAX_ARGS	3
#define MAX_PROPS	64

/*
 * The workers share one lookup set per store version.  Building one costs
 * about 20 ms for 10,000 capacity rows; the first worker that needs a new
 * version builds it while the others that need it wait, instead of each
 * building its own.  A set lives while a worker holds it.
 */
struct shared_set {
	struct lookup_set *set;
	struct store_meta meta;		/* of the snapshot it was built from */
	int refs;			/* workers holding it; newest_lock */
};

static pthread_mutex_t newest_lock = PTHREAD_MUTEX_INITIALIZER;
static struct shared_set *newest;	/* the last one built, while held */

/* One worker thread's lookup state. */
struct lookup_thread {
	struct shared_set *shared;
	struct dkim_set *dkim;
	struct pattern_scratch *scratch;
};

static __thread struct lookup_thread *lookup_thread;
static pthread_key_t thread_key;
static pthread_once_t thread_key_once = PTHREAD_ONCE_INIT;

/* shared_drop - let go of s; its last holder frees it */
static void shared_drop(struct shared_set *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&newest_lock);
	if (--s->refs == 0 && newest == s)
		newest = NULL;
	if (s->refs > 0)
		s = NULL;
	pthread_mutex_unlock(&newest_lock);
	if (s) {
		lookup_set_free(s->set);
		free(s);
	}
}

/* thread_free - the thread ends: free its sets (pthread key destructor) */
static void thread_free(void *arg)
{
	struct lookup_thread *l = arg;

	shared_drop(l->shared);
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

/* meta_older - was snapshot a taken before snapshot b? */
static bool meta_older(const struct store_meta *a, const struct store_meta *b)
{
	return a->epoch < b->epoch || (a->epoch == b->epoch && a->seq < b->seq);
}

/* newest_build - (newest_lock held) a set for *txn becomes the newest */
static enum store_rc newest_build(struct store_txn *txn,
				  const struct store_meta *m)
{
	struct shared_set *s = calloc(1, sizeof(*s));
	enum store_rc rc = s ? lookup_set_build(txn, NULL, NULL, &s->set)
		: STORE_INTERNAL;

	if (rc) {
		free(s);
		return rc;
	}
	s->meta = *m;
	newest = s;	/* the one it replaces lives on while it is held */
	return STORE_OK;
}

/*
 * newest_for - (newest_lock held) make the newest set current for *txn:
 *	a snapshot older than the newest set's is renewed (a worker never
 *	goes back to an older version), for a newer one a set is built.
 */
static enum store_rc newest_for(struct store *st, struct store_txn **txn)
{
	struct store_meta m;
	bool current = false;
	enum store_rc rc;

	if (newest && (rc = lookup_set_current(newest->set, *txn, &current)))
		return rc;
	if (current)
		return STORE_OK;
	if ((rc = store_meta_get(*txn, &m)))
		return rc;
	if (newest && meta_older(&m, &newest->meta)) {
		store_read_end(*txn);
		if ((rc = store_read_begin(st, txn)) ||
		    (rc = lookup_set_current(newest->set, *txn, &current)))
			return rc;
		if (current)
			return STORE_OK;
		if ((rc = store_meta_get(*txn, &m)))
			return rc;
	}
	return newest_build(*txn, &m);
}

/*
 * lookup_set_fresh - the thread's set fits *txn's snapshot: kept if it
 *	did (one meta read), else the newest, built if need be.
 */
static enum store_rc lookup_set_fresh(struct store *st, struct lookup_thread *l,
				      struct store_txn **txn)
{
	struct shared_set *old = l->shared;
	bool current = false;
	enum store_rc rc;

	if (old && (rc = lookup_set_current(old->set, *txn, &current)))
		return rc;
	if (current)
		return STORE_OK;
	pthread_mutex_lock(&newest_lock);
	if ((rc = newest_for(st, txn)) == STORE_OK) {
		newest->refs++;
		l->shared = newest;
	}
	pthread_mutex_unlock(&newest_lock);
	if (rc == STORE_OK)
		shared_drop(old);
	return rc;
}

/* dkim_set_fresh - the same for the DKIM set */
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
	const char *arg[MAX_ARGS];
	struct lookup_prop props[MAX_PROPS];
	int nprops;
	struct http_json_rows rows;	/* the answer; never a secret */
};

/* one_row - the answer of a lookup that fills in one row */
static enum store_rc one_row(struct ask *a, enum store_rc rc,
			     const struct store_row *row)
{
	if (rc == STORE_OK)
		http_json_rows_put(row, &a->rows);
	return rc;
}

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
	enum store_rc rc = store_lookup_capacity(&a->c, a->arg[0], a->arg[1],
						 &lim);
	char buf[2048], *p = buf;

	if (rc)
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

/*
 * ask_KIND - one lookup with the request's arguments; the row lookups
 *	write their rows with http_json_rows_put (STORE_NOTFOUND: none
 *	applies).
 */
static enum store_rc ask_flood(struct ask *a)
{
	struct store_row row;

	return one_row(a, store_lookup_flood(&a->c, a->arg[0], &row), &row);
}

static enum store_rc ask_local(struct ask *a)
{
	struct store_row row;

	return one_row(a, store_lookup_local(&a->c, a->arg[0], &row), &row);
}

static enum store_rc ask_delegate(struct ask *a)
{
	struct store_row row;

	return one_row(a, store_lookup_delegate(&a->c, a->arg[0], a->arg[1],
						&row), &row);
}

static enum store_rc ask_paused(struct ask *a)
{
	struct store_row row;

	return one_row(a, store_lookup_paused(&a->c, a->arg[0], a->arg[1],
					      a->arg[2], &row), &row);
}

static enum store_rc ask_error(struct ask *a)
{
	struct store_row row;

	return one_row(a, store_lookup_error(&a->c, a->arg[0], a->arg[1],
					     a->arg[2], &row), &row);
}

static enum store_rc ask_mtaname(struct ask *a)
{
	struct store_row row;

	return one_row(a, store_lookup_mtaname(&a->c, a->arg[0], &row), &row);
}

static enum store_rc ask_dns(struct ask *a)
{
	return store_lookup_dns(&a->c, a->arg[0], http_json_rows_put,
				&a->rows);
}

static enum store_rc ask_response(struct ask *a)
{
	return store_lookup_response(&a->c, a->arg[0], a->arg[1], a->arg[2],
				     http_json_rows_put, &a->rows);
}

static enum store_rc ask_rewrite(struct ask *a)
{
	return store_lookup_rewrite(&a->c, a->props, a->nprops,
				    http_json_rows_put, &a->rows);
}

static enum store_rc ask_dkim(struct ask *a)
{
	enum store_rc rc = dkim_set_fresh(a->l, a->c.txn);

	if (rc == STORE_OK)
		rc = store_lookup_dkim(a->l->dkim, &a->c, a->arg[0],
				       http_json_rows_put, &a->rows);
	return rc;
}

/* A lookup kind: its parameters (with their longest value) and table. */
struct kind {
	const char *name;
	const char *params[MAX_ARGS];	/* none: the properties */
	size_t max[MAX_ARGS];		/* bytes; 0: the request bounds it */
	const char *table;		/* NULL: capacity's own answer */
	enum store_rc (*ask)(struct ask *a);
};

#define KEY	REG_KEY_TEXT_MAX

static const struct kind kinds[] = {
	{ "capacity", { "localip", "domain" }, { KEY, KEY }, NULL,
	  ask_capacity },
	{ "flood", { "text" }, { 0 }, "flood_responses", ask_flood },
	{ "local", { "rcpt" }, { KEY }, "locals", ask_local },
	{ "delegate", { "localip", "domain" }, { KEY, KEY }, "delegates",
	  ask_delegate },
	{ "paused", { "localip", "target", "tag" }, { KEY, KEY, KEY },
	  "paused", ask_paused },
	{ "error", { "localip", "domain", "tag" }, { KEY, KEY, KEY },
	  "errors", ask_error },
	{ "mtaname", { "localip" }, { KEY }, "mtanames", ask_mtaname },
	{ "dns", { "domain" }, { KEY }, "dns", ask_dns },
	{ "response", { "text", "localip", "domain" }, { 0, KEY, KEY },
	  "response_actions", ask_response },
	{ "rewrite", { NULL }, { 0 }, "rewrite_actions", ask_rewrite },
	{ "dkim", { "from" }, { DKIM_FROM_MAX }, "dkim_keys", ask_dkim },
	{ NULL, { NULL }, { 0 }, NULL, NULL },
};

/* kind_param - the index of parameter name of k, or -1 */
static int kind_param(const struct kind *k, const char *name)
{
	for (int i = 0; i < MAX_ARGS && k->params[i]; i++)
		if (strcmp(k->params[i], name) == 0)
			return i;
	return -1;
}

/* take_props - rewrite's parameters as properties; false: answered */
static bool take_props(struct http_req *r, struct ask *a)
{
	struct evkeyval *kv;

	TAILQ_FOREACH(kv, &r->query, next) {
		if (a->nprops == MAX_PROPS) {
			http_reply_error(r, 400, "lookup rewrite: more than %d "
					 "properties", MAX_PROPS);
			return false;
		}
		a->props[a->nprops++] = (struct lookup_prop){ kv->key,
							      kv->value };
	}
	if (a->nprops == 0)
		http_reply_error(r, 400, "lookup rewrite: give the message "
				 "properties as NAME=VALUE query parameters");
	return a->nprops > 0;
}

/* take_args - the kind's parameters from the query; false: answered */
static bool take_args(struct http_req *r, const struct kind *k, struct ask *a)
{
	struct evkeyval *kv;
	int i;

	if (!k->params[0])
		return take_props(r, a);
	TAILQ_FOREACH(kv, &r->query, next) {
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
		a->arg[i] = kv->value;
	}
	for (i = 0; i < MAX_ARGS && k->params[i]; i++)
		if (!a->arg[i]) {
			http_reply_error(r, 400, "lookup %s: missing parameter "
					 "%s (it may be empty: %s=)", k->name,
					 k->params[i], k->params[i]);
			return false;
		}
	return true;
}

/* run - the lookup in one read transaction, its answer in a->rows.out */
static enum store_rc run(struct http_req *r, const struct kind *k,
			 struct ask *a)
{
	enum store_rc rc = store_read_begin(r->st, &a->c.txn);

	if (rc == STORE_OK)
		rc = lookup_set_fresh(r->st, a->l, &a->c.txn);
	if (rc == STORE_OK) {
		a->c.set = a->l->shared->set;
		a->c.scratch = a->l->scratch;
		if (k->table)
			evbuffer_add(a->rows.out, "[", 1);
		rc = k->ask(a);
		if (k->table)
			evbuffer_add(a->rows.out, "]", 1);
	}
	store_read_end(a->c.txn);
	return rc == STORE_NOTFOUND && k->table ? STORE_OK : rc;
}

/* lookup - answer kind k */
static void lookup(struct http_req *r, const struct kind *k)
{
	struct ask a = { .l = thread_state(),
			 .rows.out = http_json_begin(r) };
	enum store_rc rc;

	if (k->table)
		a.rows.t = reg_mailerq_find(k->table);
	if (!take_args(r, k, &a))
		return;
	r->lookup_kind = k->name;	/* counted: a lookup runs */
	if (!a.l) {
		http_reply_error(r, 500, "lookup %s: out of memory", k->name);
		return;
	}
	rc = run(r, k, &a);
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

void	http_lookup_handle(struct http_req *r)
{
	const struct kind *k = kinds;

	if (r->nseg != 1) {
		http_reply_error(r, 404, "%s: ask GET /v1/lookup/KIND (one of "
				 "capacity, flood, local, delegate, paused, "
				 "error, mtaname, dns, response, rewrite, "
				 "dkim)", r->path);
		return;
	}
	while (k->name && strcmp(k->name, r->seg[0]) != 0)
		k++;
	if (!k->name) {
		http_reply_error(r, 404, "no lookup '%s' (capacity, flood, "
				 "local, delegate, paused, error, mtaname, "
				 "dns, response, rewrite, dkim)", r->seg[0]);
		return;
	}
	if (r->method != EVHTTP_REQ_GET && r->method != EVHTTP_REQ_HEAD)
		http_method_not_allowed(r, "GET, HEAD");
	else
		lookup(r, k);
}
