/*
 * tagrec_test - the one-record check (mlist_tagger_check, over the tag
 * records of store/tagrec.c) against the straightforward two-read check
 * (a point read of the log for each done code, then the cookie row) on
 * random sequences of cookie and log writes and deletes: 100k
 * operations (MQ_TAGREC_OPS to change it) over a few hundred messages
 * of two lists (most in groups of TAG_GROUP under integer keys, some
 * about TAG_NEAR_LIMIT and some negative, whose records lie in the
 * other database), through store_set, store_del (one row, or every row of
 * a message), mlist_cookie_make and mlist_mlog_add, in the list's own
 * tables and its digest's; cookies of letters 'a'..'p', of other bytes
 * and of other lengths.  After each batch every message is checked for
 * every list number with its stored cookie and a wrong one, and at the
 * end store_verify_file must pass; then a record written wrong must
 * make it fail naming the list and the message, and a dropped list
 * must leave no record behind, and a group record cut short must make
 * a check in it and mq verify fail.  A group whose messages go one by one
 * keeps its record until the last goes.  A message done at TAG_DONE_MAX list
 * numbers takes no more: the write is refused, the store unchanged.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/tagrec_int.h"
#include "tests/unit/check.h"

#define MSGS		200	/* messages msg_of(1..MSGS) */
#define WIDE		20	/* of them about TAG_NEAR_LIMIT, and negative */
#define LISTNOS		5	/* list numbers 0..LISTNOS-1 */
#define BATCH		1000	/* operations per write transaction */
#define DONE_LO		(-1)	/* log codes written: -1..3 */
#define DONE_HI		3
#define KEY		"tagrec test key"

static const char *const roots[] = { "t", "u" };

static uint64_t rng = 0x7461677265630001ULL;

static uint64_t rnd(uint64_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng % n;
}

/*
 * msg_of - the message number of message i: i, but for the last 2 *
 *	WIDE, which straddle TAG_NEAR_LIMIT, then are negative; past
 *	MSGS + 1 (checked, never written at random): group_emptied's.
 */
static int64_t msg_of(int64_t i)
{
	if (i > MSGS + 1)
		return 1000 + (i - MSGS - 2);
	if (i <= MSGS - 2 * WIDE)
		return i;
	if (i <= MSGS - WIDE)
		return TAG_NEAR_LIMIT - WIDE / 2 + (i - (MSGS - 2 * WIDE) - 1);
	return -(i - (MSGS - WIDE));
}

/* cookie_text - mostly cookie()'s letters, now and then other bytes. */
static size_t cookie_text(char *out)
{
	size_t len = rnd(10) ? MLIST_COOKIE_LEN : 1 + rnd(MLIST_COOKIE_LEN);
	bool other = rnd(8) == 0;

	for (size_t i = 0; i < len; i++)
		out[i] = (char)(other ? 'a' + rnd(26) : 'a' + rnd(16));
	out[len] = 0;
	return len;
}

static void table(char *out, size_t len, const char *root, bool digest,
		  const char *suffix)
{
	if (mlist_table_name(out, len, root, digest, suffix))
		abort();
}

static enum store_rc put_cookie(struct store_txn *t, const char *name,
				int64_t m)
{
	char c[MLIST_COOKIE_LEN + 1];
	size_t len = cookie_text(c);
	struct store_assign a[] = {
		{ REG_COOKIE_MSGNUM, { .kind = SV_INT, .i = m } },
		{ REG_COOKIE_COOKIE, { .kind = SV_TEXT, .s = c, .len = len } },
	};

	return store_set(t, name, a, 2, NULL);
}

static enum store_rc put_mlog(struct store_txn *t, const char *name,
			      int64_t m, int64_t l, int64_t done)
{
	struct store_assign a[] = {
		{ REG_MLOG_MSGNUM, { .kind = SV_INT, .i = m } },
		{ REG_MLOG_LISTNO, { .kind = SV_INT, .i = l } },
		{ REG_MLOG_DONE, { .kind = SV_INT, .i = done } },
		{ REG_MLOG_SUBS, { .kind = SV_INT, .i = (int64_t)rnd(100) } },
	};

	return store_set(t, name, a, 4, NULL);
}

/* del - the rows of table name matching the nf filters. */
static enum store_rc del(struct store_txn *t, const char *name,
			 const struct store_filter *f, int nf)
{
	return store_del(t, name, f, nf, NULL);
}

/* one_op - a random write to a random list's cookie or log table. */
static enum store_rc one_op(struct store_txn *t)
{
	const char *root = roots[rnd(2)];
	bool digest = rnd(4) == 0;
	int64_t m = msg_of(1 + (int64_t)rnd(MSGS));
	int64_t l = (int64_t)rnd(LISTNOS);
	int64_t done = DONE_LO + (int64_t)rnd(DONE_HI - DONE_LO + 1);
	char ck[REG_NAME_MAX], ml[REG_NAME_MAX], out[MLIST_COOKIE_LEN + 1];
	struct store_filter f[3] = {
		{ REG_MLOG_MSGNUM, { .kind = SV_INT, .i = m } },
		{ REG_MLOG_LISTNO, { .kind = SV_INT, .i = l } },
		{ REG_MLOG_DONE, { .kind = SV_INT, .i = done } },
	};
	struct mlist_cookie_req cr = { root, digest, m, "a@example.org", 'm',
				       0, 0 };
	struct mlist_mlog_req mr = { root, digest, m, l, done, 1, NULL };
	bool flag;
	enum store_rc rc;

	table(ck, sizeof(ck), root, digest, "_cookie");
	table(ml, sizeof(ml), root, digest, "_mlog");
	switch (rnd(10)) {
	case 0: case 1:
		return put_cookie(t, ck, m);
	case 2:
		rc = mlist_cookie_make(t, &cr, out, &flag);
		return rc == STORE_EXISTS ? STORE_OK : rc;
	case 3:
		return del(t, ck, f, 1);
	case 4: case 5:
		return put_mlog(t, ml, m, l, done);
	case 6:
		return mlist_mlog_add(t, &mr, &flag);
	case 7: case 8:
		return del(t, ml, f, 3);
	default:	/* every entry of the message, as a purge */
		return del(t, ml, f, 1);
	}
}

struct batch {
	int n;
};

static enum store_rc batch_fn(struct store_txn *t, void *arg)
{
	struct batch *b = arg;
	enum store_rc rc = STORE_OK;

	for (int i = 0; i < b->n && rc == STORE_OK; i++)
		rc = one_op(t);
	return rc;
}

/* reference - the two-read check, from the tables' rows. */
static enum store_rc reference(struct store_txn *t, const char *root,
			       bool digest, int64_t m, const char *cookie,
			       int64_t l, enum mlist_tag *out)
{
	char ck[REG_NAME_MAX], ml[REG_NAME_MAX];
	const struct reg_table *tc, *tm;
	struct store_row row;
	struct store_value k[3] = { { .kind = SV_INT, .i = l },
				    { .kind = SV_INT, .i = m },
				    { .kind = SV_INT } };
	const struct store_value *v;
	enum store_rc rc;

	table(ck, sizeof(ck), root, digest, "_cookie");
	table(ml, sizeof(ml), root, digest, "_mlog");
	if ((rc = store_table_find(t, ck, &tc)) ||
	    (rc = store_table_find(t, ml, &tm)))
		return rc;
	for (k[2].i = 1; l >= 0 && k[2].i <= DONE_HI; k[2].i++) {
		rc = store_get_by_key(t, tm, ml, k, &row);
		if (rc == STORE_OK) {
			*out = MLIST_TAG_DONE;
			return STORE_OK;
		}
		if (rc != STORE_NOTFOUND)
			return rc;
	}
	rc = store_get_by_key(t, tc, ck, &k[1], &row);
	if (rc == STORE_NOTFOUND) {
		*out = MLIST_TAG_NOCOOKIE;
		return STORE_OK;
	}
	v = &row.col[REG_COOKIE_COOKIE];
	*out = v->kind == SV_TEXT && v->len == MLIST_COOKIE_LEN &&
		strlen(cookie) == MLIST_COOKIE_LEN &&
		memcmp(v->s, cookie, MLIST_COOKIE_LEN) == 0
		? MLIST_TAG_OK : MLIST_TAG_MISMATCH;
	return rc;
}

/* stored_cookie - the message's cookie as stored ("" if none). */
static void stored_cookie(struct store_txn *t, const char *root, bool digest,
			  int64_t m, char *out)
{
	char ck[REG_NAME_MAX];
	const struct reg_table *tc;
	struct store_row row;
	struct store_value k = { .kind = SV_INT, .i = m };
	const struct store_value *v = &row.col[REG_COOKIE_COOKIE];

	out[0] = 0;
	table(ck, sizeof(ck), root, digest, "_cookie");
	if (store_table_find(t, ck, &tc) ||
	    store_get_by_key(t, tc, ck, &k, &row) || v->kind != SV_TEXT)
		return;
	memcpy(out, v->s, v->len);
	out[v->len] = 0;
}

/* compare_list - every check of one list's messages; the disagreements. */
static int compare_list(struct store_txn *t, const char *root, bool digest,
			uint64_t *checks)
{
	struct mlist_tagger *g;
	char c[MLIST_COOKIE_LEN + 2], wrong[MLIST_COOKIE_LEN + 2];
	enum mlist_tag got, want;
	int bad = 0;

	if (mlist_tagger_open(t, root, digest, &g))
		return 1;
	for (int64_t i = 1; i <= MSGS + 4; i++) {
		int64_t m = msg_of(i);

		stored_cookie(t, root, digest, m, c);
		snprintf(wrong, sizeof(wrong), "%s", c);
		wrong[0] = wrong[0] == 'a' ? 'b' : 'a';
		for (int64_t l = -1; l < LISTNOS; l++)
			for (int w = 0; w < 2; w++) {
				const char *ck = w ? wrong : c;

				if (mlist_tagger_check(g, m, ck, l, &got) ||
				    reference(t, root, digest, m, ck, l,
					      &want) || got != want) {
					if (bad++ < 5)
						printf("# %s%s message %"
						       PRId64 " list %" PRId64
						       " cookie '%s': %d, "
						       "want %d\n", root,
						       digest ? " digest" : "",
						       m, l, ck, got, want);
				}
				++*checks;
			}
	}
	mlist_tagger_close(g);
	return bad;
}

static int compare_all(struct store *st, uint64_t *checks)
{
	struct store_txn *t;
	int bad = 0;

	if (store_read_begin(st, &t))
		return 1;
	for (int r = 0; r < 2; r++)
		for (int d = 0; d < 2; d++)
			bad += compare_list(t, roots[r], d, checks);
	store_read_end(t);
	return bad;
}

static enum store_rc create_fn(struct store_txn *t, void *arg)
{
	enum store_rc rc = STORE_OK;

	(void)arg;
	for (int r = 0; r < 2 && rc == STORE_OK; r++)
		rc = store_list_create(t, roots[r], (const uint8_t *)KEY,
				       strlen(KEY));
	return rc;
}

static void random_ops(struct store *st, long ops)
{
	uint64_t checks = 0;
	int bad = 0;
	enum store_rc rc = STORE_OK;

	for (long done = 0; done < ops && rc == STORE_OK && bad == 0;
	     done += BATCH) {
		struct batch b = { ops - done < BATCH ? (int)(ops - done)
				   : BATCH };

		rc = store_write(st, batch_fn, &b, NULL);
		bad += compare_all(st, &checks);
	}
	CHECK(rc == STORE_OK, "%ld random writes (%s)", ops,
	      rc ? store_errmsg(st) : "ok");
	CHECK(bad == 0 && checks > 0, "%" PRIu64 " checks agree with the "
	      "two-read check (%d disagree)", checks, bad);
}

/* Message 7's record of list t written wrong, under the hood. */
static enum store_rc spoil_fn(struct store_txn *t, void *arg)
{
	const struct reg_table *tb;
	struct tdb db;
	struct tag_at at;
	uint8_t entry[1 + 8], group[TAG_ENTRY_HEAD + sizeof(entry)];
	MDB_val k, d = { 0, group };
	enum store_rc rc = table_resolve(t, "t_cookie", &tb, &db);

	(void)arg;
	if (rc)
		return rc;
	tag_locate(t->st->tag[0], t->st->tag_wide[0], tag_list_id(db.pfx), 7,
		   &at);
	entry[0] = 0;
	key_encode_int(LISTNOS + 40, entry + 1);	/* a list number never done */
	d.mv_size = tag_splice(NULL, at.slot, entry, sizeof(entry), group);
	k = (MDB_val){ at.keylen, at.key };
	if (mdb_put(t->txn, at.dbi, &k, &d, 0))
		return STORE_INTERNAL;
	/* A change of its own, without which the write is not committed. */
	return put_cookie(t, "t_cookie", MSGS + 100);
}

/* Message 1000's group of list t written cut short, under the hood. */
static enum store_rc cut_fn(struct store_txn *t, void *arg)
{
	const struct reg_table *tb;
	struct tdb db;
	struct tag_at at;
	uint8_t group[] = { 8, 40, 0, TAG_HAS_COOKIE };	/* says 40 bytes, has 1 */
	MDB_val k, d = { sizeof(group), group };
	enum store_rc rc = table_resolve(t, "t_cookie", &tb, &db);

	(void)arg;
	if (rc)
		return rc;
	tag_locate(t->st->tag[0], t->st->tag_wide[0], tag_list_id(db.pfx),
		   1000, &at);
	k = (MDB_val){ at.keylen, at.key };
	if (mdb_put(t->txn, at.dbi, &k, &d, 0))
		return STORE_INTERNAL;
	return put_cookie(t, "t_cookie", MSGS + 101);
}

/* cut_check - the check of message 1000 after cut_fn. */
static enum store_rc cut_check(struct store *st)
{
	struct store_txn *t;
	enum mlist_tag r;
	enum store_rc rc;

	if ((rc = store_read_begin(st, &t)))
		return rc;
	rc = mlist_checktag(t, "t", false, 1000, "abcdefghijklmnopabcd", 1,
			    &r);
	store_read_end(t);
	return rc;
}

/* many_fn - message 9999 of t logged done at list numbers 0..*arg-1. */
static enum store_rc many_fn(struct store_txn *t, void *arg)
{
	int n = *(int *)arg;
	enum store_rc rc = STORE_OK;

	for (int l = 0; l < n && rc == STORE_OK; l++)
		rc = put_mlog(t, "t_mlog", 9999, l, 1);
	return rc;
}

/* seq_now - the store's sequence (UINT64_MAX if it cannot be read). */
static uint64_t seq_now(struct store *st)
{
	struct store_txn *t;
	struct store_meta m;
	uint64_t seq = UINT64_MAX;

	if (store_read_begin(st, &t))
		return seq;
	if (store_meta_get(t, &m) == STORE_OK)
		seq = m.seq;
	store_read_end(t);
	return seq;
}

static void done_limit(struct store *st)
{
	int full = TAG_DONE_MAX, over = TAG_DONE_MAX + 1;
	uint64_t seq0 = seq_now(st), seq1;
	enum store_rc rc;

	rc = store_write(st, many_fn, &over, NULL);
	seq1 = seq_now(st);
	CHECK(rc == STORE_BADDATA && seq1 == seq0 &&
	      strstr(store_errmsg(st), "t_mlog: message 9999 is done for"),
	      "a message done at %d list numbers is refused, nothing "
	      "written (%s)", over, store_errmsg(st));
	rc = store_write(st, many_fn, &full, NULL);
	CHECK(rc == STORE_OK, "at %d it is taken (%s)", full,
	      rc ? store_errmsg(st) : "ok");
}

static enum store_rc drop_fn(struct store_txn *t, void *arg)
{
	(void)arg;
	return store_list_drop(t, "u");
}

/* records - how many records each kind's database holds. */
static uint64_t records(struct store *st)
{
	struct store_txn *t;
	MDB_stat ms;
	uint64_t n = 0;

	if (store_read_begin(st, &t))
		return UINT64_MAX;
	for (int i = 0; i < TAG_KINDS; i++) {
		if (mdb_stat(t->txn, st->tag[i], &ms) == 0)
			n += ms.ms_entries;
		if (mdb_stat(t->txn, st->tag_wide[i], &ms) == 0)
			n += ms.ms_entries;
	}
	store_read_end(t);
	return n;
}

/* One step of group_emptied: a write or delete in list t's group. */
struct step {
	const char *what;
	int op;			/* 0: cookie put, 1: log put, 2: cookie del,
				 * 3: log del */
	int64_t m;
	uint64_t more;		/* group records beyond the start after it */
};

static enum store_rc step_fn(struct store_txn *t, void *arg)
{
	const struct step *s = arg;
	struct store_filter f[1] = {
		{ REG_MLOG_MSGNUM, { .kind = SV_INT, .i = s->m } },
	};

	switch (s->op) {
	case 0:
		return put_cookie(t, "t_cookie", s->m);
	case 1:
		return put_mlog(t, "t_mlog", s->m, 2, 1);
	case 2:
		return del(t, "t_cookie", f, 1);
	default:
		return del(t, "t_mlog", f, 1);
	}
}

/*
 * group_emptied - three messages of one group (1000..1002, group of
 *	992..1007) written, then removed one by one, middle first: the
 *	group's record stays while one of them has an entry, and every
 *	step checks as the two reads do.
 */
static void group_emptied(struct store *st)
{
	static const struct step steps[] = {
		{ "cookie 1000", 0, 1000, 1 }, { "cookie 1001", 0, 1001, 1 },
		{ "log 1001", 1, 1001, 1 }, { "cookie 1002", 0, 1002, 1 },
		{ "cookie 1001 deleted", 2, 1001, 1 },
		{ "cookie 1000 deleted", 2, 1000, 1 },
		{ "log 1001 deleted", 3, 1001, 1 },
		{ "cookie 1002 deleted", 2, 1002, 0 },
	};
	uint64_t start = records(st), checks = 0;
	int bad = 0;

	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		enum store_rc rc = store_write(st, step_fn,
					       (void *)&steps[i], NULL);

		bad = compare_all(st, &checks);
		CHECK(rc == STORE_OK && records(st) == start + steps[i].more &&
		      bad == 0, "a group's record after %s: %" PRIu64
		      " beyond the %" PRIu64 " before (want %" PRIu64 "), "
		      "%d checks disagree", steps[i].what, records(st) - start,
		      start, steps[i].more, bad);
	}
}

static void verify_and_spoil(struct store *st, const char *path)
{
	uint64_t rows = 0, before = records(st);
	char err[512] = "";
	enum store_rc rc;

	rc = store_verify_file(path, &rows, err, sizeof(err));
	CHECK(rc == STORE_OK, "the store verifies after the writes (%s)",
	      err);
	rc = store_write(st, drop_fn, NULL, NULL);
	CHECK(rc == STORE_OK && records(st) < before, "a dropped list's "
	      "records go with it (%" PRIu64 " then %" PRIu64 ")", before,
	      records(st));
	CHECK(store_verify_file(path, &rows, err, sizeof(err)) == STORE_OK,
	      "the store verifies after the drop (%s)", err);
	CHECK(store_write(st, cut_fn, NULL, NULL) == STORE_OK,
	      "a group record cut short");
	rc = cut_check(st);
	CHECK(rc == STORE_CORRUPT && strstr(store_errmsg(st), "message 1000"),
	      "a check in it is refused, naming the message (%s)",
	      store_errmsg(st));
	rc = store_verify_file(path, &rows, err, sizeof(err));
	CHECK(rc != STORE_OK && strstr(err, "list t: message 992:") &&
	      strstr(err, "does not decode"), "mq verify names the list and "
	      "the group's first message (%s)", err);
	rc = store_write(st, spoil_fn, NULL, NULL);
	CHECK(rc == STORE_OK, "a record written wrong");
	rc = store_verify_file(path, &rows, err, sizeof(err));
	CHECK(rc != STORE_OK && strstr(err, "list t: message 7:") &&
	      strstr(err, "list number 45"), "mq verify names the list, the "
	      "message and the list number (%s)", err);
}

int main(void)
{
	char dir[] = "/tmp/mq-tagrec-XXXXXX", path[128], err[512];
	const char *env = getenv("MQ_TAGREC_OPS");
	long ops = env ? atol(env) : 100000;
	struct store *st;

	if (!mkdtemp(dir)) {
		CHECK(0, "skipped: no temporary directory");
		return check_done();
	}
	snprintf(path, sizeof(path), "%s/mq.mdb", dir);
	if (store_open(path, 0, NULL, &st, err, sizeof(err))) {
		CHECK(0, "store_open: %s", err);
		return check_done();
	}
	CHECK(store_write(st, create_fn, NULL, NULL) == STORE_OK,
	      "two lists made");
	random_ops(st, ops);
	group_emptied(st);
	done_limit(st);
	verify_and_spoil(st, path);
	store_close(st);
	unlink(path);
	snprintf(path, sizeof(path), "%s/mq.mdb-lock", dir);
	unlink(path);
	rmdir(dir);
	return check_done();
}
