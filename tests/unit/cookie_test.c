/*
 * cookie_test - ezmlm-idx cookies and the message log in the store:
 * the vectors of tests/unit/cookie_cases.txt (computed outside mq from
 * ezmlm-idx's published algorithm), cookies stored per message (the
 * first stays), checktag's verdicts, mlog's first-row rule and the
 * status collection.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store.h"
#include "store/mlist.h"
#include "tests/unit/check.h"

#define CASES "tests/unit/cookie_cases.txt"

static const char key1[] = "secret key\n";	/* the first case's key */

/* vectors - every case of the file; returns how many. */
static int vectors(void)
{
	char hk[512], hs[512], act[4], want[32], got[MLIST_COOKIE_LEN + 1];
	uint8_t key[256], sender[256];
	long long msgnum;
	long kn, sn;
	int line = 0, n = 0;
	char buf[2048];
	FILE *f = fopen(CASES, "r");

	if (!f)
		return 0;
	while (fgets(buf, sizeof(buf), f)) {
		line++;
		if (buf[0] == '#' || buf[0] == '\n')
			continue;
		if (sscanf(buf, "%511s %lld %511s %3s %31s", hk, &msgnum, hs,
			   act, want) != 5 ||
		    (kn = check_unhex(hk, key, sizeof(key))) < 0 ||
		    (sn = check_unhex(hs, sender, sizeof(sender) - 1)) < 0) {
			CHECK(0, "line %d: bad case", line);
			continue;
		}
		sender[sn] = 0;
		mlist_cookie_compute(got, key, (size_t)kn, msgnum,
				     (char *)sender, act[0]);
		CHECK(strcmp(got, want) == 0, "line %d: cookie %s, want %s",
		      line, got, want);
		n++;
	}
	fclose(f);
	return n;
}

struct op {
	struct mlist_cookie_req cookie;
	struct mlist_mlog_req mlog;
	char out[MLIST_COOKIE_LEN + 1];
	bool flag;
};

static enum store_rc create_fn(struct store_txn *t, void *arg)
{
	(void)arg;
	return store_list_create(t, "t", (const uint8_t *)key1,
				 strlen(key1));
}

static enum store_rc cookie_fn(struct store_txn *t, void *arg)
{
	struct op *op = arg;

	return mlist_cookie_make(t, &op->cookie, op->out, &op->flag);
}

static enum store_rc mlog_fn(struct store_txn *t, void *arg)
{
	struct op *op = arg;

	return mlist_mlog_add(t, &op->mlog, &op->flag);
}

static enum mlist_tag checktag(struct store *st, int64_t msgnum,
			       const char *cookie, int64_t listno)
{
	struct store_txn *t;
	enum mlist_tag r = MLIST_TAG_OK;

	if (store_read_begin(st, &t))
		return (enum mlist_tag)-1;
	if (mlist_checktag(t, "t", false, msgnum, cookie, listno, &r))
		r = (enum mlist_tag)-1;
	store_read_end(t);
	return r;
}

static enum store_rc mlog(struct store *st, int64_t msgnum, int64_t listno,
			  int64_t done, int64_t subs, const char *tai,
			  bool *already)
{
	struct op op = { .mlog = { "t", false, msgnum, listno, done, subs,
				   tai } };
	enum store_rc rc = store_write(st, mlog_fn, &op, NULL);

	*already = op.flag;
	return rc;
}

static void cookies(struct store *st)
{
	struct op op = { .cookie = { "t", false, 1, "alice@example.org", 'm',
				     0, 0 } };
	enum store_rc rc = store_write(st, cookie_fn, &op, NULL);

	/* The first line of the vectors: key1, message 1, alice, 'm'. */
	CHECK(rc == STORE_OK && strcmp(op.out, "cbfphbcpldmfnjcheocb") == 0,
	      "stored cookie equals the vector (%s)", op.out);
	CHECK(!op.flag, "first cookie is new");
	rc = store_write(st, cookie_fn, &op, NULL);
	CHECK(rc == STORE_OK && op.flag, "same cookie again: kept");
	op.cookie.sender = "mallory@example.org";
	rc = store_write(st, cookie_fn, &op, NULL);
	CHECK(rc == STORE_EXISTS, "another sender's cookie refused (%d)", rc);
	CHECK(checktag(st, 1, "cbfphbcpldmfnjcheocb", -1) == MLIST_TAG_OK,
	      "the first cookie stays");
	op.cookie.root = "nolist";
	rc = store_write(st, cookie_fn, &op, NULL);
	CHECK(rc == STORE_NOTFOUND, "cookie of a missing list: not found");
}

static void checktags(struct store *st)
{
	const char *c = "cbfphbcpldmfnjcheocb";
	bool already;

	CHECK(checktag(st, 1, "cbfphbcpldmfnjcheocc", -1) ==
	      MLIST_TAG_MISMATCH, "wrong cookie refused");
	CHECK(checktag(st, 1, "cbfph", -1) == MLIST_TAG_MISMATCH,
	      "short cookie refused");
	CHECK(checktag(st, 2, c, -1) == MLIST_TAG_NOCOOKIE,
	      "message without cookie refused");
	CHECK(checktag(st, 1, c, 3) == MLIST_TAG_OK, "listno 3, no log: ok");
	mlog(st, 1, 3, 0, 10, NULL, &already);
	CHECK(checktag(st, 1, c, 3) == MLIST_TAG_OK, "arrival only: ok");
	mlog(st, 1, 3, -1, 0, NULL, &already);
	CHECK(checktag(st, 1, c, 3) == MLIST_TAG_OK, "bounce only: ok");
	mlog(st, 1, 3, 1, 10, NULL, &already);
	CHECK(checktag(st, 1, c, 3) == MLIST_TAG_DONE, "processed: refused");
	CHECK(checktag(st, 1, c, 4) == MLIST_TAG_OK, "other listno: ok");
	mlog(st, 1, 5, 2, 0, NULL, &already);
	CHECK(checktag(st, 1, c, 5) == MLIST_TAG_DONE, "receipt: refused");
	mlog(st, 2, 6, 1, 0, NULL, &already);
	CHECK(checktag(st, 1, c, 6) == MLIST_TAG_OK,
	      "done entry of another message: ok");
}

/* tagger - one tagger for several checks gives checktag's verdicts. */
static void tagger(struct store *st)
{
	static const struct { int64_t msgnum, listno; const char *cookie;
			      enum mlist_tag want; } cases[] = {
		{ 1, -1, "cbfphbcpldmfnjcheocb", MLIST_TAG_OK },
		{ 1, 3, "cbfphbcpldmfnjcheocb", MLIST_TAG_DONE },
		{ 1, 4, "cbfphbcpldmfnjcheocb", MLIST_TAG_OK },
		{ 1, 4, "cbfphbcpldmfnjcheocc", MLIST_TAG_MISMATCH },
		{ 2, 4, "cbfphbcpldmfnjcheocb", MLIST_TAG_NOCOOKIE },
		{ 1, 5, "cbfphbcpldmfnjcheocb", MLIST_TAG_DONE },
	};
	struct mlist_tagger *g = NULL;
	struct store_txn *t;

	store_read_begin(st, &t);
	CHECK(mlist_tagger_open(t, "t", false, &g) == STORE_OK, "tagger open");
	for (size_t i = 0; g && i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum mlist_tag r = (enum mlist_tag)-1;

		mlist_tagger_check(g, cases[i].msgnum, cases[i].cookie,
				   cases[i].listno, &r);
		CHECK(r == cases[i].want, "tagger case %zu: %d", i, r);
	}
	mlist_tagger_close(g);
	CHECK(mlist_tagger_open(t, "nolist", false, &g) == STORE_NOTFOUND,
	      "tagger of a missing list: not found");
	store_read_end(t);
}

/* subs_of - the subs column of (listno, msgnum, done), or -1. */
static int64_t subs_of(struct store *st, int64_t listno, int64_t msgnum,
		       int64_t done)
{
	struct store_value kv[3] = { { SV_INT, listno, NULL, 0 },
				     { SV_INT, msgnum, NULL, 0 },
				     { SV_INT, done, NULL, 0 } };
	const struct reg_table *tb;
	struct store_txn *t;
	struct store_row row;
	int64_t subs = -1;

	store_read_begin(st, &t);
	if (store_table_find(t, "t_mlog", &tb) == STORE_OK &&
	    store_get_by_key(t, tb, "t_mlog", kv, &row) == STORE_OK)
		subs = row.col[3].i;
	store_read_end(t);
	return subs;
}

static void first_stays(struct store *st)
{
	bool already = false;
	enum store_rc rc = mlog(st, 9, 7, 0, 100, "2026-01-01 00:00:00",
				&already);

	CHECK(rc == STORE_OK && !already, "first mlog row written");
	rc = mlog(st, 9, 7, 0, 555, "2026-01-02 00:00:00", &already);
	CHECK(rc == STORE_OK && already, "duplicate reported as logged");
	CHECK(subs_of(st, 7, 9, 0) == 100, "first row stays (subs %lld)",
	      (long long)subs_of(st, 7, 9, 0));
}

static void status(struct store *st)
{
	struct mlist_status *rows = NULL;
	struct store_txn *t;
	size_t n = 0;
	bool already;

	mlog(st, 20, 8, 0, 0, "2026-03-01 10:00:00", &already);
	mlog(st, 20, 8, 1, 0, "2026-03-01 10:00:07", &already);
	mlog(st, 20, 8, 2, 0, "2026-03-01 10:01:07", &already);
	mlog(st, 21, 8, 0, 0, "2026-03-01 11:00:00", &already);
	store_read_begin(st, &t);
	enum store_rc rc = mlist_status_collect(t, "t", false, 2, &rows, &n);
	store_read_end(t);
	CHECK(rc == STORE_OK && n == 2, "status of the last 2 messages: %zu "
	      "entries", n);
	if (n == 2) {
		CHECK(rows[0].msgnum == 21 && rows[1].msgnum == 20,
		      "newest message first");
		CHECK(rows[1].have[MLIST_ARRIVAL] && rows[1].have[MLIST_RECEIPT]
		      && !rows[1].have[MLIST_BOUNCE], "events of message 20");
		CHECK(strcmp(rows[1].tai[MLIST_PROCESSED],
			     "2026-03-01 10:00:07") == 0, "processed time %s",
		      rows[1].tai[MLIST_PROCESSED]);
	}
	free(rows);
}

int main(void)
{
	char dir[] = "/tmp/mq-cookie-test-XXXXXX", path[256];
	struct store *st = NULL;
	char err[512];

	CHECK(vectors() >= 20, "cookie vectors read");
	if (!mkdtemp(dir)) {
		CHECK(0, "mkdtemp");
		return check_done();
	}
	snprintf(path, sizeof(path), "%s/mq.mdb", dir);
	if (store_open(path, 0, NULL, &st, err, sizeof(err))) {
		CHECK(0, "open store: %s", err);
		return check_done();
	}
	CHECK(store_write(st, create_fn, NULL, NULL) == STORE_OK,
	      "list t created");
	cookies(st);
	checktags(st);
	tagger(st);
	first_stays(st);
	status(st);
	store_close(st);
	snprintf(err, sizeof(err), "%s-lock", path);
	unlink(err);
	unlink(path);
	rmdir(dir);
	return check_done();
}
