/*
 * NAME
 *	mlog.c - the message log of a list: entries and the status view
 * SYNOPSIS
 *	#include "store/mlist.h"
 * DESCRIPTION
 *	T_mlog (T_digest_mlog for digests) holds one row per (listno,
 *	msgnum, done): the first entry stays and later ones are ignored,
 *	as ezmlm-idx's INSERT into its primary key does.  Codes (seed
 *	5.9): 0 arrival, 1 processed, 2 receipt received, -1 bounce; other
 *	integers are kept but the status view does not show them.
 * DIAGNOSTICS
 *	STORE_NOTFOUND for a list that does not exist.
 */
#include <stdlib.h>
#include <string.h>

#include "store/internal.h"
#include "store/mlist.h"

/* mlog_table - "T_mlog" or "T_digest_mlog" into out. */
static enum store_rc mlog_table(struct store_txn *txn, const char *root,
				bool digest, char *out, size_t outlen)
{
	if (mlist_table_name(out, outlen, root, digest, "_mlog"))
		return store_fail(txn->st, STORE_BADDATA, "list name too long");
	return STORE_OK;
}

enum store_rc mlist_mlog_add(struct store_txn *txn,
			     const struct mlist_mlog_req *req, bool *already)
{
	char table[REG_NAME_MAX + 16];
	const struct reg_table *t;
	struct store_row row;
	struct store_value kv[3] = {
		{ .kind = SV_INT, .i = req->listno },
		{ .kind = SV_INT, .i = req->msgnum },
		{ .kind = SV_INT, .i = req->done },
	};
	struct store_assign a[5] = {
		{ REG_MLOG_MSGNUM, kv[1] },
		{ REG_MLOG_LISTNO, kv[0] },
		{ REG_MLOG_DONE, kv[2] },
		{ REG_MLOG_SUBS, { .kind = SV_INT, .i = req->subs } },
		{ REG_MLOG_TAI, { .kind = SV_TEXT, .s = req->tai,
				  .len = req->tai ? strlen(req->tai) : 0 } },
	};
	enum store_rc rc;

	*already = false;
	if ((rc = mlog_table(txn, req->root, req->digest, table,
			     sizeof(table))) ||
	    (rc = store_table_find(txn, table, &t)))
		return rc;
	rc = store_get_by_key(txn, t, table, kv, &row);
	if (rc == STORE_OK) {
		*already = true;
		return STORE_OK;
	}
	if (rc != STORE_NOTFOUND)
		return rc;
	return store_set(txn, table, a, req->tai ? 5 : 4, NULL);
}

/* Status: the last N message numbers, then their entries. */

struct top_msgnums {
	int64_t *v;		/* distinct, descending */
	size_t n, max;
};

/* top_add - keep the max largest distinct message numbers seen. */
static int top_add(const struct store_row *row, void *arg)
{
	struct top_msgnums *top = arg;
	int64_t m = row->col[REG_MLOG_MSGNUM].i;
	size_t lo = 0, hi = top->n;

	if (top->n == top->max && m <= top->v[top->n - 1])
		return 0;
	while (lo < hi) {	/* the first slot not greater than m */
		size_t mid = (lo + hi) / 2;

		if (top->v[mid] > m)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < top->n && top->v[lo] == m)
		return 0;
	if (top->n < top->max)
		top->n++;
	memmove(top->v + lo + 1, top->v + lo, (top->n - lo - 1) * sizeof(m));
	top->v[lo] = m;
	return 0;
}

struct status_build {
	struct top_msgnums *top;
	struct mlist_status *rows;
	size_t n, cap;
	bool oom;
};

/*
 * status_slot - the entry for (msgnum, listno), added when new.  The scan
 *	runs in key order (listno, msgnum, done), so one message's entries
 *	for one list number are adjacent: only the last slot can match.
 */
static struct mlist_status *status_slot(struct status_build *b,
					int64_t msgnum, int64_t listno)
{
	if (b->n && b->rows[b->n - 1].msgnum == msgnum &&
	    b->rows[b->n - 1].listno == listno)
		return &b->rows[b->n - 1];
	if (b->n == b->cap) {
		size_t cap = b->cap ? 2 * b->cap : 32;
		struct mlist_status *p = realloc(b->rows, cap * sizeof(*p));

		if (!p)
			return NULL;
		b->rows = p;
		b->cap = cap;
	}
	memset(&b->rows[b->n], 0, sizeof(b->rows[0]));
	b->rows[b->n].msgnum = msgnum;
	b->rows[b->n].listno = listno;
	return &b->rows[b->n++];
}

/* event_of - the status column of a done code, or -1. */
static int event_of(int64_t done)
{
	switch (done) {
	case 0:
		return MLIST_ARRIVAL;
	case 1:
		return MLIST_PROCESSED;
	case 2:
		return MLIST_RECEIPT;
	case -1:
		return MLIST_BOUNCE;
	}
	return -1;
}

/* status_note - entry i of have/tais (when in 0..n) gets the time tai. */
static void status_note(bool *have, char (*tais)[32], int64_t i, int n,
			const struct store_value *tai)
{
	size_t len = tai->kind == SV_TEXT ? tai->len : 0;

	if (i < 0 || i >= n)
		return;
	have[i] = true;
	if (len >= sizeof(tais[i]))
		len = sizeof(tais[i]) - 1;
	if (len)	/* a NULL time has no bytes to copy */
		memcpy(tais[i], tai->s, len);
	tais[i][len] = 0;
}

static int status_add(const struct store_row *row, void *arg)
{
	struct status_build *b = arg;
	int64_t m = row->col[REG_MLOG_MSGNUM].i;
	const struct store_value *tai = &row->col[REG_MLOG_TAI];
	struct mlist_status *s;
	int ev = event_of(row->col[REG_MLOG_DONE].i);

	if (b->top->n == 0 || m < b->top->v[b->top->n - 1])
		return 0;
	if (!(s = status_slot(b, m, row->col[REG_MLOG_LISTNO].i))) {
		b->oom = true;
		return 1;
	}
	status_note(s->have_code, s->code_tai,
		    row->col[REG_MLOG_DONE].i - MLIST_CODE_MIN, MLIST_NCODES,
		    tai);
	status_note(s->have, s->tai, ev, MLIST_NEVENTS, tai);
	return 0;
}

/* status_order - message numbers descending, list numbers ascending. */
static int status_order(const void *pa, const void *pb)
{
	const struct mlist_status *a = pa, *b = pb;

	if (a->msgnum != b->msgnum)
		return a->msgnum < b->msgnum ? 1 : -1;
	return (a->listno > b->listno) - (a->listno < b->listno);
}

/* status_names - each entry's sublist name from T_name. */
static enum store_rc status_names(struct store_txn *txn, const char *root,
				  bool digest, struct status_build *b)
{
	char table[REG_NAME_MAX + 16];
	const struct reg_table *t;
	struct store_row row;
	enum store_rc rc;

	if (mlist_table_name(table, sizeof(table), root, digest,
			     REG_SPLIT_SUFFIX))
		return store_fail(txn->st, STORE_BADDATA, "list name too long");
	if ((rc = store_table_find(txn, table, &t)))
		return rc;
	for (size_t i = 0; i < b->n; i++) {
		struct store_value key = { .kind = SV_INT,
					   .i = b->rows[i].listno };
		const struct store_value *v = &row.col[REG_SPLIT_NAME];

		rc = store_get_by_key(txn, t, table, &key, &row);
		if (rc == STORE_NOTFOUND)
			continue;
		if (rc)
			return rc;
		if (v->kind == SV_TEXT) {
			size_t n = v->len < MLIST_NAME_MAX ? v->len
				: MLIST_NAME_MAX;
			memcpy(b->rows[i].name, v->s, n);
			b->rows[i].name[n] = 0;
		}
	}
	return STORE_OK;
}

enum store_rc mlist_status_collect(struct store_txn *txn, const char *root,
				   bool digest, size_t nmsg,
				   struct mlist_status **out, size_t *nout)
{
	char table[REG_NAME_MAX + 16];
	struct top_msgnums top = { calloc(nmsg ? nmsg : 1, sizeof(int64_t)),
				   0, nmsg };
	struct status_build b = { .top = &top };
	enum store_rc rc;

	*out = NULL;
	*nout = 0;
	if (!top.v)
		return store_fail(txn->st, STORE_INTERNAL, "out of memory");
	if ((rc = mlog_table(txn, root, digest, table, sizeof(table))) == 0 &&
	    (rc = store_scan(txn, table, NULL, 0, top_add, &top)) == 0 &&
	    (rc = store_scan(txn, table, NULL, 0, status_add, &b)) == 0 &&
	    b.oom)
		rc = store_fail(txn->st, STORE_INTERNAL, "out of memory");
	if (rc == STORE_OK)
		rc = status_names(txn, root, digest, &b);
	free(top.v);
	if (rc) {
		free(b.rows);
		return rc;
	}
	if (b.n)	/* qsort's array may not be NULL, even for none */
		qsort(b.rows, b.n, sizeof(b.rows[0]), status_order);
	*out = b.rows;
	*nout = b.n;
	return STORE_OK;
}
