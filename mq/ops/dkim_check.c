/*
 * NAME
 *	dkim_check.c - DKIM keys against DNS: jobs, threads, c-ares queries
 * SYNOPSIS
 *	#include "mq/ops/dkim_check.h"
 * DESCRIPTION
 *	The keys are copied out of one read transaction into jobs (so no
 *	transaction stays open while DNS answers).  Their private keys are
 *	read with OpenSSL first, and what needs no DNS (bad, expired,
 *	without verify) is written at once; the jobs are then shared by
 *	the threads through an atomic counter, each sending the TXT
 *	queries of its jobs on its own c-ares channel (opened and driven
 *	by dns.c, c-ares's one owner), until every query it sent has its
 *	answer or its timeout.  The copies of the private keys are wiped
 *	before they are freed.
 * DIAGNOSTICS
 *	See dkim_check.h.
 */
#include <ares.h>
#include <arpa/nameser.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/crypto.h>

#include "mq/config.h"
#include "mq/ops/ops.h"
#include "mq/ops/dkim_check.h"
#include "mq/ops/dkim_key.h"
#include "mq/ops/dns.h"
#include "mq/log.h"

#define QNAME_MAX	600	/* selector + "._domainkey." + domain */
#define TXT_JOINED_MAX	4096	/* bytes of one record's strings joined */

struct job {
	struct dkim_check_report *rep;
	char *pem;		/* a copy of privatekey, wiped when freed */
	size_t pemlen;
	char alg[33];		/* the algorithm column (registry: 32 bytes) */
	size_t alglen;
	int64_t expire;
	struct dkim_status_rec prev;	/* the last status of this key data */
	bool has_prev;
	EVP_PKEY *key;		/* read, DNS to be asked; the query's then */
};

struct check {
	struct job *jobs;
	struct dkim_check_report *reps;
	size_t n;
	atomic_size_t next;
	const char *servers;
	int64_t now, grace;
	atomic_int failed;	/* a thread could not set up c-ares */
	char err[DKIM_CHECK_ERR_MAX];
};

/* set by dkim_check_stop: every check gives up, for good */
static atomic_bool stopping;

void dkim_check_stop(void)
{
	atomic_store(&stopping, true);
}

/* A query in flight: the job and its key, for the answer callback. */
struct query {
	struct job *job;
	EVP_PKEY *key;
	int *inflight;
};

/* set_status - a report's verdict and its reason. */
static void set_status(struct dkim_check_report *r, enum dkim_status s,
		       const char *why)
{
	r->rec.status = s;
	snprintf(r->rec.detail, sizeof(r->rec.detail), "%s", why);
}

/* copy_text - a column's text into buf (cut), NUL-terminated. */
static void copy_text(const struct store_value *v, char *buf, size_t len)
{
	size_t n = v->kind == SV_TEXT ? v->len : 0;

	if (n >= len)
		n = len - 1;
	if (n)
		memcpy(buf, v->s, n);
	buf[n] = 0;
}

struct collect {
	struct check *c;
	struct store_txn *txn;
	size_t cap;
	bool nomem;
};

/* previous - the key's last status, when it was made on this data */
static void previous(struct collect *col, struct job *j)
{
	const struct dkim_status_rec *r = &j->rep->rec;

	j->has_prev = store_dkim_status_get(col->txn, r->key_id, &j->prev)
		      == STORE_OK && !memcmp(j->prev.digest, r->digest,
					     DKIM_DIGEST_LEN);
}

/* add_job - copy one dkim_keys row into a job. */
static int add_job(const struct store_row *row, void *arg)
{
	struct collect *col = arg;
	struct check *c = col->c;
	const struct store_value *pk = &row->col[DKIM_COL_PRIVATEKEY];
	const struct store_value *vf = &row->col[DKIM_COL_VERIFY];
	struct job *j;

	if (c->n == col->cap) {
		size_t cap = col->cap ? 2 * col->cap : 64;
		struct job *jobs = realloc(c->jobs, cap * sizeof(*jobs));
		struct dkim_check_report *reps;

		if (jobs)
			c->jobs = jobs;
		reps = jobs ? realloc(c->reps, cap * sizeof(*reps)) : NULL;
		if (!reps)
			return col->nomem = true;
		c->reps = reps;
		col->cap = cap;
	}
	j = &c->jobs[c->n];
	memset(j, 0, sizeof(*j));
	memset(&c->reps[c->n], 0, sizeof(c->reps[0]));
	if (pk->kind == SV_TEXT && pk->len && !(j->pem = malloc(pk->len)))
		return col->nomem = true;
	if (j->pem)
		memcpy(j->pem, pk->s, pk->len);
	j->pemlen = j->pem ? pk->len : 0;
	j->expire = store_dkim_expire(row);
	copy_text(&row->col[DKIM_COL_ALGORITHM], j->alg, sizeof(j->alg));
	j->alglen = strlen(j->alg);
	c->reps[c->n].rec.key_id = row->col[DKIM_COL_ID].i;
	store_dkim_digest(row, c->reps[c->n].rec.digest);
	j->rep = &c->reps[c->n];	/* for now: reps may move, see below */
	previous(col, j);
	copy_text(&row->col[DKIM_COL_DOMAIN], c->reps[c->n].domain,
		  sizeof(c->reps[0].domain));
	copy_text(&row->col[DKIM_COL_SELECTOR], c->reps[c->n].selector,
		  sizeof(c->reps[0].selector));
	c->reps[c->n].verify = vf->kind == SV_INT && vf->i != 0;
	c->n++;
	return 0;
}

/* collect_jobs - every dkim_keys row, copied out of one snapshot. */
static int collect_jobs(struct store *st, struct check *c)
{
	struct collect col = { c, NULL, 0, false };
	enum store_rc rc = store_read_begin(st, &col.txn);

	if (rc == STORE_OK) {
		rc = store_scan(col.txn, "dkim_keys", NULL, 0, add_job, &col);
		store_read_end(col.txn);
	}
	if (rc || col.nomem) {
		snprintf(c->err, sizeof(c->err), "%s", rc ? store_errmsg(st)
			 : "out of memory");
		return -1;
	}
	for (size_t i = 0; i < c->n; i++)
		c->jobs[i].rep = &c->reps[i];
	return 0;
}

/* join_record - the strings of the record starting at t, joined. */
static struct ares_txt_ext *join_record(struct ares_txt_ext *t, char *buf,
					size_t *len)
{
	*len = 0;
	do {
		size_t n = t->length;

		if (n > TXT_JOINED_MAX - *len)
			n = TXT_JOINED_MAX - *len;
		memcpy(buf + *len, t->txt, n);
		*len += n;
		t = t->next;
	} while (t && !t->record_start);
	return t;
}

/* skip_name - past the (compressed) name at *p; -1 when malformed */
static int skip_name(const unsigned char *abuf, int alen,
		     const unsigned char **p)
{
	char *name;
	long len;

	if (ares_expand_name(*p, abuf, alen, &name, &len) != ARES_SUCCESS)
		return -1;
	ares_free_string(name);
	*p += len;
	return 0;
}

/*
 * cname_target - the target of a CNAME in an answer without TXT
 *	records, into out; -1 when there is none.  A server that does not
 *	recurse answers a CNAME out of its zones so, and says no more.
 */
static int cname_target(const unsigned char *abuf, int alen, char *out,
			size_t outlen)
{
	const unsigned char *p = abuf + HFIXEDSZ, *end = abuf + alen;
	int qd, an;

	if (alen < HFIXEDSZ)
		return -1;
	qd = abuf[4] << 8 | abuf[5];
	an = abuf[6] << 8 | abuf[7];
	for (int i = 0; i < qd; i++)
		if (skip_name(abuf, alen, &p) < 0 || (p += QFIXEDSZ) > end)
			return -1;
	for (int i = 0; i < an; i++) {
		int type, rdlen;
		char *name;
		long len;

		if (skip_name(abuf, alen, &p) < 0 || p + RRFIXEDSZ > end)
			return -1;
		type = p[0] << 8 | p[1];
		rdlen = p[8] << 8 | p[9];
		p += RRFIXEDSZ;
		if (p + rdlen > end)
			return -1;
		if (type == ns_t_cname && ares_expand_name(p, abuf, alen, &name,
							   &len) == ARES_SUCCESS) {
			snprintf(out, outlen, "%s", name);
			ares_free_string(name);
			return 0;
		}
		p += rdlen;
	}
	return -1;
}

/* judge_no_txt - an answer that holds no TXT record: no-record, why */
static void judge_no_txt(struct dkim_check_report *r,
			 const unsigned char *abuf, int alen)
{
	char target[256], why[DKIM_DETAIL_MAX];

	if (cname_target(abuf, alen, target, sizeof(target)) < 0) {
		set_status(r, DKIM_STATUS_NORECORD, "no TXT record");
		return;
	}
	snprintf(why, sizeof(why), "a CNAME to %.70s, not followed by the "
		 "DNS server (not a recursive resolver?)", target);
	set_status(r, DKIM_STATUS_NORECORD, why);
}

/* judge_answer - the status a TXT answer gives the key. */
static void judge_answer(struct dkim_check_report *r, EVP_PKEY *key,
			 const unsigned char *abuf, int alen)
{
	struct ares_txt_ext *txt = NULL, *t;
	char joined[TXT_JOINED_MAX], why[DKIM_WHY_MAX] = "";
	enum dkim_match m = DKIM_MATCH_INVALID;
	size_t len, records = 0;
	int rc = ares_parse_txt_reply_ext(abuf, alen, &txt);

	if (rc == ARES_ENODATA || (rc == ARES_SUCCESS && !txt)) {
		judge_no_txt(r, abuf, alen);
		return;
	}
	if (rc != ARES_SUCCESS) {
		set_status(r, DKIM_STATUS_DNSERROR, "unreadable TXT answer");
		return;
	}
	for (t = txt; t; records++)
		t = join_record(t, joined, &len);
	if (records == 1)
		m = dkim_record_match(joined, len, key, why, sizeof(why));
	ares_free_data(txt);
	/* OpenDKIM fails on several TXT records, dkimpy takes the first:
	 * which one a receiver uses is not ours to know. */
	if (records > 1) {
		snprintf(why, sizeof(why), "%zu TXT records at the name: "
			 "receivers use one of them or none", records);
		set_status(r, DKIM_STATUS_AMBIGUOUS, why);
	} else if (m == DKIM_MATCH_SAME)
		set_status(r, DKIM_STATUS_VERIFIED, *why ? why
			   : "DNS publishes this key");
	else if (m == DKIM_MATCH_INVALID)
		set_status(r, DKIM_STATUS_NORECORD, *why ? why
			   : "no DKIM record");
	else
		set_status(r, DKIM_STATUS_MISMATCH, why);
}

/* on_answer - c-ares callback: judge the answer, end the query. */
static void on_answer(void *arg, int status, int timeouts,
		      unsigned char *abuf, int alen)
{
	struct query *q = arg;
	struct dkim_check_report *r = q->job->rep;
	char why[DKIM_DETAIL_MAX];

	(void)timeouts;
	if (status == ARES_SUCCESS)
		judge_answer(r, q->key, abuf, alen);
	else if (status == ARES_ENODATA || status == ARES_ENOTFOUND) {
		snprintf(why, sizeof(why), "no TXT record (%s)",
			 ares_strerror(status));
		set_status(r, DKIM_STATUS_NORECORD, why);
	} else {
		snprintf(why, sizeof(why), "TXT query failed: %s",
			 ares_strerror(status));
		set_status(r, DKIM_STATUS_DNSERROR, why);
	}
	(*q->inflight)--;
	EVP_PKEY_free(q->key);
	free(q);
}

/* prepare - judge what needs no DNS; the key when DNS must be asked. */
static EVP_PKEY *prepare(struct check *c, struct job *j)
{
	struct dkim_check_report *r = j->rep;
	char why[DKIM_WHY_MAX];
	EVP_PKEY *key;

	r->rec.checked = c->now;
	if (j->expire <= c->now) {
		set_status(r, DKIM_STATUS_EXPIRED, "expire is past");
		return NULL;
	}
	if (dkim_key_check(j->pem, j->pemlen, j->alg, j->alglen, &key, why,
			   sizeof(why)) < 0) {
		set_status(r, DKIM_STATUS_BADKEY, why);
		return NULL;
	}
	if (!r->verify || !r->domain[0] || !r->selector[0]) {
		set_status(r, r->verify ? DKIM_STATUS_BADKEY
			   : DKIM_STATUS_UNCHECKED, r->verify ?
			   "domain or selector is empty" : "verify is off");
		EVP_PKEY_free(key);
		return NULL;
	}
	return key;
}

/* send_query - ask the TXT record of the job's key. */
static void send_query(ares_channel ch, struct job *j, EVP_PKEY *key,
		       int *inflight)
{
	struct dkim_check_report *r = j->rep;
	struct query *q = malloc(sizeof(*q));
	char name[QNAME_MAX];

	if (!q) {
		EVP_PKEY_free(key);
		set_status(r, DKIM_STATUS_DNSERROR, "out of memory");
		return;
	}
	*q = (struct query){ j, key, inflight };
	snprintf(name, sizeof(name), "%s._domainkey.%s", r->selector,
		 r->domain);
	(*inflight)++;
	ares_query(ch, name, ns_c_in, ns_t_txt, on_answer, q);
}

/* open_channel - a c-ares channel with mq's timeouts and servers. */
static int open_channel(struct check *c, ares_channel *ch)
{
	char err[DKIM_CHECK_ERR_MAX];

	if (dns_channel_open(ch, c->servers, DKIM_CHECK_TIMEOUT_MS,
			     DKIM_CHECK_TRIES, err, sizeof(err)) == 0)
		return 0;
	if (!atomic_exchange(&c->failed, 1))
		snprintf(c->err, sizeof(c->err), "%s", err);
	return -1;
}

/* worker - take jobs until none is left and every answer is in. */
static void *worker(void *arg)
{
	struct check *c = arg;
	ares_channel ch;
	int inflight = 0;
	bool more = true;

	if (open_channel(c, &ch) < 0)
		return NULL;
	while (more || inflight > 0) {
		if (atomic_load(&stopping)) {
			ares_cancel(ch);	/* each query's callback runs */
			break;
		}
		while (more && inflight < DKIM_CHECK_INFLIGHT) {
			size_t i = atomic_fetch_add(&c->next, 1);
			EVP_PKEY *key;

			if (i >= c->n) {
				more = false;
				break;
			}
			if ((key = c->jobs[i].key)) {
				c->jobs[i].key = NULL;
				send_query(ch, &c->jobs[i], key, &inflight);
			}
		}
		if (inflight > 0)
			dns_channel_wait(ch, 1000);
	}
	ares_destroy(ch);
	return NULL;
}

/* run_threads - the workers, threads of them, to the end. */
static int run_threads(struct check *c, unsigned threads)
{
	pthread_t tid[256];
	unsigned started = 0;

	if (threads == 0)
		threads = 1;
	if (threads > sizeof(tid) / sizeof(tid[0]))
		threads = sizeof(tid) / sizeof(tid[0]);
	if (threads > c->n)
		threads = c->n ? (unsigned)c->n : 1;
	for (; started < threads; started++)
		if (pthread_create(&tid[started], NULL, worker, c))
			break;
	if (started == 0)
		worker(c);	/* no thread to be had: work here */
	for (unsigned i = 0; i < started; i++)
		pthread_join(tid[i], NULL);
	if (atomic_load(&stopping)) {
		snprintf(c->err, sizeof(c->err), "stopped before the end");
		return -1;
	}
	return atomic_load(&c->failed) ? -1 : 0;
}

/* free_jobs - wipe the private key copies and free the jobs. */
static void free_jobs(struct check *c)
{
	for (size_t i = 0; i < c->n; i++) {
		EVP_PKEY_free(c->jobs[i].key);
		if (c->jobs[i].pem) {
			OPENSSL_cleanse(c->jobs[i].pem, c->jobs[i].pemlen);
			free(c->jobs[i].pem);
		}
	}
	free(c->jobs);
}

/* store_put - the statuses straight into the store */
static int store_put(struct store *st, const struct dkim_status_rec *recs,
		     size_t n, char *err, size_t errlen)
{
	if (store_dkim_status_put(st, recs, n) == STORE_OK)
		return 0;
	snprintf(err, errlen, "%s", store_errmsg(st));
	return -1;
}

/*
 * settle - the last-verified time, and a DNS failure's verdict: a key
 *	verified before and within the grace keeps being used ("kept"),
 *	since a resolver's hiccup says nothing about the key.
 */
static void settle(const struct check *c, struct job *j)
{
	struct dkim_status_rec *r = &j->rep->rec;
	const struct dkim_status_rec *p = &j->prev;
	char was[32], why[DKIM_DETAIL_MAX];
	time_t t;
	struct tm tm;

	if (r->status == DKIM_STATUS_VERIFIED) {
		r->verified = c->now;
		return;
	}
	r->verified = j->has_prev ? p->verified : 0;
	if (r->status != DKIM_STATUS_DNSERROR || !j->has_prev ||
	    (p->status != DKIM_STATUS_VERIFIED &&
	     p->status != DKIM_STATUS_KEPT) || p->verified <= 0 ||
	    c->now - p->verified >= c->grace)
		return;
	t = (time_t)p->verified;
	gmtime_r(&t, &tm);
	strftime(was, sizeof(was), "%Y-%m-%d %H:%M:%S", &tm);
	snprintf(why, sizeof(why), "verified %s UTC, kept: %.100s", was,
		 r->detail);
	set_status(j->rep, DKIM_STATUS_KEPT, why);
}

/*
 * interim - what no DNS answer is needed for, written before asking:
 *	a bad, expired or unverified key's status takes effect at once,
 *	not after a silent DNS server's timeouts.  A key that waits for
 *	DNS keeps its last status, or has none (unverified-yet).
 */
static size_t interim(struct check *c, struct dkim_status_rec *recs)
{
	size_t asking = 0;

	for (size_t i = 0; i < c->n; i++) {
		struct job *j = &c->jobs[i];

		if (!(j->key = prepare(c, j))) {
			settle(c, j);
			recs[i] = j->rep->rec;
			continue;
		}
		asking++;
		if (j->has_prev)
			recs[i] = j->prev;
		else
			recs[i] = (struct dkim_status_rec){
				.key_id = j->rep->rec.key_id,
				.status = DKIM_STATUS_NONE,
				.detail = "its first check is in progress" };
		memcpy(recs[i].digest, j->rep->rec.digest, DKIM_DIGEST_LEN);
	}
	return asking;
}

/* check_run - dkim_check_run with the statuses written by put */
static int check_run(struct store *st, unsigned threads, const char *servers,
		     dkim_put_fn put, struct dkim_check_report **out,
		     size_t *n, char *err, size_t errlen)
{
	struct check c = { .servers = servers, .now = (int64_t)time(NULL),
			   .grace = (int64_t)mq_conf.dkim_verify_grace };
	struct dkim_status_rec *recs = NULL;
	int rc = -1;

	*out = NULL;
	*n = 0;
	if (collect_jobs(st, &c) == 0 &&
	    (recs = malloc((c.n + 1) * sizeof(*recs))) &&
	    (!interim(&c, recs) ||
	     put(st, recs, c.n, c.err, sizeof(c.err)) == 0) &&
	    run_threads(&c, threads) == 0) {
		for (size_t i = 0; i < c.n; i++) {
			struct dkim_check_report *r = &c.reps[i];

			settle(&c, &c.jobs[i]);
			recs[i] = r->rec;
			r->left_out = r->rec.status == DKIM_STATUS_EXPIRED ||
				      !dkim_status_usable(r->rec.status,
							  r->verify);
		}
		rc = put(st, recs, c.n, c.err, sizeof(c.err));
	} else if (!c.err[0])
		snprintf(c.err, sizeof(c.err), "out of memory");
	free(recs);
	free_jobs(&c);
	if (rc == 0) {
		*out = c.reps;
		*n = c.n;
	} else {
		free(c.reps);
		snprintf(err, errlen, "dkim check: %s", c.err);
	}
	return rc;
}

int dkim_check_local(struct store *st, char *err, size_t errlen)
{
	struct check c = { .now = (int64_t)time(NULL),
			   .grace = (int64_t)mq_conf.dkim_verify_grace };
	struct dkim_status_rec *recs = NULL;
	int rc = -1;

	if (collect_jobs(st, &c) == 0 &&
	    (recs = malloc((c.n + 1) * sizeof(*recs)))) {
		interim(&c, recs);
		rc = store_put(st, recs, c.n, c.err, sizeof(c.err));
	} else if (!c.err[0])
		snprintf(c.err, sizeof(c.err), "out of memory");
	free(recs);
	free_jobs(&c);
	free(c.reps);
	if (rc)
		snprintf(err, errlen, "dkim check: %s", c.err);
	return rc;
}

int dkim_check_run(struct store *st, unsigned threads, const char *servers,
		   struct dkim_check_report **out, size_t *n, char *err,
		   size_t errlen)
{
	return check_run(st, threads, servers, store_put, out, n, err, errlen);
}

int dkim_check_all(struct store *st, unsigned threads, dkim_put_fn put,
		   struct dkim_check_totals *tot)
{
	struct dkim_check_report *reps;
	char err[DKIM_CHECK_ERR_MAX];
	struct dkim_check_totals t = { 0 };
	size_t n;

	if (check_run(st, threads, mq_conf.dns_servers, put ? put : store_put,
		      &reps, &n, err, sizeof(err)) < 0) {
		log_error("%s", err);
		return -1;
	}
	t.keys = n;
	for (size_t i = 0; i < n; i++) {
		const struct dkim_check_report *r = &reps[i];

		if (r->rec.status == DKIM_STATUS_KEPT) {
			t.kept++;
			log_warning("dkim key %lld (%s._domainkey.%s) kept "
				    "through a DNS failure: %s",
				    (long long)r->rec.key_id, r->selector,
				    r->domain, r->rec.detail);
		}
		if (!r->left_out)
			continue;
		t.left_out++;
		log_warning("dkim key %lld (%s._domainkey.%s) left out: %s: "
			    "%s", (long long)r->rec.key_id, r->selector,
			    r->domain, dkim_status_name(r->rec.status),
			    r->rec.detail);
	}
	log_info("dkim: %zu keys checked, %zu left out, %zu kept through DNS "
		 "failures", n, t.left_out, t.kept);
	free(reps);
	if (tot)
		*tot = t;
	return (int)(t.left_out > INT_MAX ? INT_MAX : t.left_out);
}
