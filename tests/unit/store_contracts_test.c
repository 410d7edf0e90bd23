/*
 * NAME
 *	store_contracts_test - what the store promises the layers above it
 * SYNOPSIS
 *	store_contracts_test
 * DESCRIPTION
 *	Through store/store.h only (black-box), in a store made in a
 *	temporary directory with changes-keep 10:
 *
 *	- the ASCII case helpers fold 'A'..'Z' and nothing else;
 *	- the registry's list column constants name the columns the
 *	  documented tables have, in SQL order;
 *	- a list created without a key gets a random one of
 *	  STORE_LIST_KEY_LEN bytes, a key passed in is kept;
 *	- the shared lookup set stays the same until a MailerQ write,
 *	  a new one comes after it, an old one stays usable while held,
 *	  an older snapshot is moved forward, and the kinds are one list;
 *	- the change reader gives three transactions' records in order,
 *	  starts after the sequence asked, reports the overflow record
 *	  of a transaction bigger than changes-keep, refuses a sequence
 *	  pruned away and tells the oldest sequence kept.
 * DIAGNOSTICS
 *	TAP lines through check.h.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store.h"
#include "tests/unit/check.h"

#define KEEP	10

static char dir[] = "/tmp/mq-contracts-test-XXXXXX";
static char path[256];
static struct store *st;

/* ---- ASCII case ---- */

static void test_fold(void)
{
	char buf[16] = "Ab@[Z`z{\xc3\x89\xc9!";
	const char want[] = "ab@[z`z{\xc3\x89\xc9!";

	CHECK(store_ascii_lower('A') == 'a' && store_ascii_lower('Z') == 'z' &&
	      store_ascii_lower('a') == 'a' && store_ascii_lower('@') == '@' &&
	      store_ascii_lower('[') == '[' && store_ascii_lower(0xc9) == 0xc9,
	      "store_ascii_lower folds A..Z only ('@', '[', 0xc9 stay)");
	store_ascii_fold(buf, buf, strlen(buf));
	CHECK(strcmp(buf, want) == 0, "store_ascii_fold in place leaves "
	      "punctuation and UTF-8 bytes as they are");
	CHECK(store_ascii_caseeq("MiXeD@Example.ORG", "mixed@example.org", 17),
	      "store_ascii_caseeq ignores ASCII case");
	CHECK(!store_ascii_caseeq("a[", "A{", 2) &&
	      !store_ascii_caseeq("\xc9", "\xe9", 1) &&
	      !store_ascii_caseeq("@", "`", 1),
	      "store_ascii_caseeq: '[' is not '{', 0xc9 not 0xe9, '@' not '`'");
	CHECK(store_ascii_caseeq("ab", "AB", 0) &&
	      !store_ascii_caseeq("abc", "abd", 3),
	      "store_ascii_caseeq compares n bytes exactly");
}

/* ---- column constants ---- */

struct col_case {
	const char *table;		/* a list table of root "t" */
	int ncols;
	const char *names[REG_MAX_COLS];	/* SQL order */
	int pos[REG_MAX_COLS];		/* the constants, in the same order */
};

static const struct col_case col_cases[] = {
	{ "t", REG_ADDR_NCOLS, { "hash", "address", "domain" },
	  { REG_ADDR_HASH, REG_ADDR_ADDRESS, REG_ADDR_DOMAIN } },
	{ "t_mod", REG_ADDR_NCOLS, { "hash", "address", "domain" },
	  { REG_ADDR_HASH, REG_ADDR_ADDRESS, REG_ADDR_DOMAIN } },
	{ "t_digest_slog", REG_SLOG_NCOLS,
	  { "tai", "address", "fromline", "edir", "etype" },
	  { REG_SLOG_TAI, REG_SLOG_ADDRESS, REG_SLOG_FROMLINE, REG_SLOG_EDIR,
	    REG_SLOG_ETYPE } },
	{ "t_cookie", REG_COOKIE_NCOLS,
	  { "msgnum", "tai", "cookie", "chunk", "bodysize" },
	  { REG_COOKIE_MSGNUM, REG_COOKIE_TAI, REG_COOKIE_COOKIE,
	    REG_COOKIE_CHUNK, REG_COOKIE_BODYSIZE } },
	{ "t_mlog", REG_MLOG_NCOLS,
	  { "msgnum", "listno", "tai", "subs", "done" },
	  { REG_MLOG_MSGNUM, REG_MLOG_LISTNO, REG_MLOG_TAI, REG_MLOG_SUBS,
	    REG_MLOG_DONE } },
	{ "t_digest_name", REG_SPLIT_NCOLS,
	  { "listno", "name", "notuse", "msgnum_lo", "msgnum_hi", "hash_lo",
	    "hash_hi", "domain" },
	  { REG_SPLIT_LISTNO, REG_SPLIT_NAME, REG_SPLIT_NOTUSE,
	    REG_SPLIT_MSGNUM_LO, REG_SPLIT_MSGNUM_HI, REG_SPLIT_HASH_LO,
	    REG_SPLIT_HASH_HI, REG_SPLIT_DOMAIN } },
};

/* col_case_ok - t has exactly c's columns, each where its constant says. */
static bool col_case_ok(const struct col_case *c)
{
	char root[REG_NAME_MAX];
	const struct reg_table *t = reg_list_split(c->table, root,
						   sizeof(root));

	if (!t || t->ncols != c->ncols)
		return false;
	for (int i = 0; i < c->ncols; i++)
		if (c->pos[i] != i || strcmp(t->cols[i].name, c->names[i]) ||
		    reg_column_index(t, c->names[i]) != c->pos[i])
			return false;
	return true;
}

static void test_columns(void)
{
	for (size_t i = 0; i < sizeof(col_cases) / sizeof(col_cases[0]); i++)
		CHECK(col_case_ok(&col_cases[i]), "%s: the column constants "
		      "name its columns in SQL order", col_cases[i].table);
}

/* ---- list keys ---- */

struct list_make {
	const char *root;
	const uint8_t *key;
	size_t keylen;
};

static enum store_rc make_list(struct store_txn *txn, void *arg)
{
	struct list_make *m = arg;

	return store_list_create(txn, m->root, m->key, m->keylen);
}

/* key_of - a copy of list root's key; its length, or -1. */
static long key_of(const char *root, uint8_t out[STORE_LIST_KEY_MAX])
{
	struct store_txn *txn;
	const uint8_t *key;
	size_t len;
	long n = -1;

	if (store_read_begin(st, &txn))
		return -1;
	if (store_list_key(txn, root, &key, &len) == STORE_OK) {
		memcpy(out, key, len);
		n = (long)len;
	}
	store_read_end(txn);
	return n;
}

static void test_list_keys(void)
{
	static uint8_t a[STORE_LIST_KEY_MAX], b[STORE_LIST_KEY_MAX],
		c[STORE_LIST_KEY_MAX], zero[STORE_LIST_KEY_LEN];
	struct list_make ma = { "keya", NULL, 0 }, mb = { "keyb", NULL, 0 };
	struct list_make mc = { "keyc", (const uint8_t *)"ezmlm key\n", 10 };
	long la, lb, lc;

	CHECK(store_write(st, make_list, &ma, NULL) == STORE_OK &&
	      store_write(st, make_list, &mb, NULL) == STORE_OK &&
	      store_write(st, make_list, &mc, NULL) == STORE_OK,
	      "three lists created");
	la = key_of("keya", a);
	lb = key_of("keyb", b);
	lc = key_of("keyc", c);
	CHECK(la == STORE_LIST_KEY_LEN && lb == STORE_LIST_KEY_LEN,
	      "a list created without a key gets %d key bytes (%ld, %ld)",
	      STORE_LIST_KEY_LEN, la, lb);
	CHECK(la == lb && la > 0 && memcmp(a, b, (size_t)la) != 0 &&
	      memcmp(a, zero, sizeof(zero)) != 0,
	      "two lists' made keys differ and are not zeros");
	CHECK(lc == 10 && memcmp(c, "ezmlm key\n", 10) == 0,
	      "a key passed in (an ezmlm DIR/key) is kept as it is");
}

/* ---- the shared lookup set ---- */

struct local_row {
	int64_t id;
	const char *address;
};

static enum store_rc put_local(struct store_txn *txn, void *arg)
{
	const struct local_row *l = arg;
	struct store_assign a[] = {
		{ 0, { .kind = SV_INT, .i = l->id } },
		{ 1, { .kind = SV_TEXT, .s = "exact", .len = 5 } },
		{ 2, { .kind = SV_TEXT, .s = l->address,
		       .len = strlen(l->address) } },
	};

	return store_set(txn, "locals", a, 3, NULL);
}

/* is_local - does set (on a fresh snapshot) find rcpt in locals? */
static bool is_local(const struct lookup_set *set, const char *rcpt)
{
	struct lookup_ctx c = { .set = set };
	struct store_row row;
	enum store_rc rc = STORE_INTERNAL;

	if (!(c.scratch = pattern_scratch_new()))
		return false;
	if (store_read_begin(st, &c.txn) == STORE_OK)
		rc = store_lookup_local(&c, rcpt, &row);
	store_read_end(c.txn);
	pattern_scratch_free(c.scratch);
	return rc == STORE_OK;
}

/* acquire - the shared set for a new read transaction, or NULL. */
static const struct lookup_set *acquire(void)
{
	const struct lookup_set *ls = NULL;
	struct store_txn *txn;

	if (store_read_begin(st, &txn) == STORE_OK)
		store_lookups_acquire(&txn, NULL, NULL, &ls);
	store_read_end(txn);
	return ls;
}

/* own_set - in a write transaction: a set not shared. */
static enum store_rc own_set(struct store_txn *txn, void *arg)
{
	const struct lookup_set **ls = arg;

	return store_lookups_acquire(&txn, NULL, NULL, ls);
}

/* test_cache_versions - same set until a write, a new one after. */
static void test_cache_versions(void)
{
	struct local_row one = { 1, "one@example.org" };
	struct local_row two = { 2, "two@example.org" };
	const struct lookup_set *a, *a2, *b, *w = NULL;

	CHECK(store_write(st, put_local, &one, NULL) == STORE_OK,
	      "locals row one written");
	a = acquire();
	a2 = acquire();
	CHECK(a && a == a2, "without a write, the same set comes back");
	CHECK(store_write(st, put_local, &two, NULL) == STORE_OK,
	      "locals row two written");
	b = acquire();
	CHECK(b && b != a, "after a MailerQ write, a new set");
	CHECK(b && is_local(b, "two@example.org"), "the new set knows row two");
	CHECK(a && is_local(a, "one@example.org") &&
	      !is_local(a, "two@example.org"), "the old set, still held, "
	      "answers from its own version");
	store_lookups_release(a);
	CHECK(a2 && is_local(a2, "one@example.org"), "released once, the old "
	      "set lives on for its other holder");
	store_lookups_release(a2);
	CHECK(store_write(st, own_set, &w, NULL) == STORE_OK && w && w != b,
	      "a write transaction gets a set of its own");
	store_lookups_release(w);
	store_lookups_release(b);
}

/* seq_of - the sequence txn sees, 0 when it cannot tell. */
static uint64_t seq_of(struct store_txn *txn)
{
	struct store_meta m = { 0 };

	return txn && store_meta_get(txn, &m) == STORE_OK ? m.seq : 0;
}

/* test_cache_renew - renew keeps a current set, an old snapshot moves. */
static void test_cache_renew(void)
{
	struct local_row three = { 3, "three@example.org" };
	const struct lookup_set *held = acquire(), *kept = held;
	const struct lookup_set *newest = NULL, *none = NULL;
	struct store_txn *old = NULL, *txn = NULL;
	uint64_t before, moved, now;

	CHECK(store_read_begin(st, &old) == STORE_OK &&
	      store_lookups_renew(&old, &held) == STORE_OK && held == kept,
	      "renew keeps the set that fits");
	before = seq_of(old);
	CHECK(store_write(st, put_local, &three, NULL) == STORE_OK &&
	      (newest = acquire()) != NULL && newest != held,
	      "a write, and another reader builds the set after it");
	CHECK(store_lookups_renew(&old, &held) == STORE_OK && held == kept,
	      "renew keeps a held set that fits the old snapshot");
	CHECK(store_lookups_renew(&old, &none) == STORE_OK && none == newest,
	      "an old snapshot asking anew gets the newest set");
	moved = seq_of(old);
	now = store_read_begin(st, &txn) == STORE_OK ? seq_of(txn) : 0;
	CHECK(moved == now && moved == before + 1, "and its snapshot moved "
	      "forward to it (%llu, was %llu)", (unsigned long long)moved,
	      (unsigned long long)before);
	store_read_end(txn);
	store_read_end(old);
	store_lookups_release(none);
	store_lookups_release(held);
	store_lookups_release(newest);
}

static int count_row(const struct store_row *row, void *arg)
{
	(void)row;
	(*(int *)arg)++;
	return 0;
}

/* test_kinds - one list of kinds, one dispatch. */
static void test_kinds(void)
{
	const struct lookup_kind *k = lookup_kind_find("local");
	struct lookup_request q = { .kind = k, .args = { "ONE@example.org" },
				    .fn = count_row };
	struct lookup_ctx c = { 0 };
	bool ids = true;
	int rows = 0;

	for (int i = 0; i < LOOKUP_KINDS; i++)
		ids = ids && (int)lookup_kinds[i].id == i &&
			lookup_kind_find(lookup_kinds[i].name) ==
			&lookup_kinds[i];
	CHECK(ids && !lookup_kind_find("nosuch"), "every kind is found by its "
	      "name at its id");
	q.fn_arg = &rows;
	c.scratch = pattern_scratch_new();
	CHECK(k && store_read_begin(st, &c.txn) == STORE_OK &&
	      store_lookups_acquire(&c.txn, NULL, NULL, &c.set) == STORE_OK &&
	      store_lookup_ask(&c, &q) == STORE_OK && rows == 1,
	      "store_lookup_ask local passes the one row");
	q.kind = lookup_kind_find("dkim");
	CHECK(q.kind && store_lookup_ask(&c, &q) == STORE_BADDATA,
	      "a dkim lookup without a DKIM set is refused");
	store_lookups_release(c.set);
	store_read_end(c.txn);
	pattern_scratch_free(c.scratch);
}

/* ---- the change reader ---- */

/* The records read: what a reader keeps of each. */
struct seen {
	int n, stop_at;
	uint64_t seq[64];
	uint32_t index[64];
	char op[64];
	char table[64][256];
	size_t rowlen[64];
};

static int see(const struct store_change *c, void *arg)
{
	struct seen *s = arg;

	if (s->n < 64) {
		s->seq[s->n] = c->seq;
		s->index[s->n] = c->index;
		s->op[s->n] = (char)c->op;
		snprintf(s->table[s->n], sizeof(s->table[0]), "%s", c->table);
		s->rowlen[s->n] = c->rowlen;
	}
	s->n++;
	return s->stop_at && s->n == s->stop_at;
}

/* read_after_stop - the records after seq, stopping at the stop'th. */
static enum store_rc read_after_stop(uint64_t seq, int stop, struct seen *s)
{
	struct store_txn *txn;
	enum store_rc rc;

	memset(s, 0, sizeof(*s));
	s->stop_at = stop;
	if ((rc = store_read_begin(st, &txn)))
		return rc;
	rc = store_changes_after(txn, seq, see, s);
	store_read_end(txn);
	return rc;
}

/* read_after - every record after seq; the reader's code. */
static enum store_rc read_after(uint64_t seq, struct seen *s)
{
	return read_after_stop(seq, 0, s);
}

static uint64_t oldest(void)
{
	struct store_txn *txn;
	uint64_t o = 0;

	if (store_read_begin(st, &txn) == STORE_OK)
		store_changes_oldest(txn, &o);
	store_read_end(txn);
	return o;
}

/* Rows id from..from+n-1 of locals, and a deletion. */
struct batch {
	int64_t from;
	int n;
	int64_t del;		/* > 0: delete this id */
};

static enum store_rc write_batch(struct store_txn *txn, void *arg)
{
	const struct batch *b = arg;
	enum store_rc rc = STORE_OK;
	char addr[64];

	for (int i = 0; i < b->n && rc == STORE_OK; i++) {
		struct local_row l = { b->from + i, addr };

		snprintf(addr, sizeof(addr), "r%d@example.org", (int)l.id);
		rc = put_local(txn, &l);
	}
	if (rc == STORE_OK && b->del > 0) {
		struct store_filter f = { 0, { .kind = SV_INT, .i = b->del } };

		rc = store_del(txn, "locals", &f, 1, NULL);
	}
	return rc;
}

static uint64_t batch(int64_t from, int n, int64_t del)
{
	struct batch b = { from, n, del };
	uint64_t seq = 0;

	if (store_write(st, write_batch, &b, &seq) != STORE_OK)
		return 0;
	return seq;
}

/* test_changes_order - three transactions, in order; after a sequence. */
static uint64_t test_changes_order(void)
{
	uint64_t s1 = batch(100, 1, 0), s2 = batch(101, 2, 0),
		s3 = batch(0, 0, 100);
	struct list_make m = { "feed", NULL, 0 };
	uint64_t s4 = 0;
	enum store_rc rc;
	struct seen s;

	CHECK(s1 && s2 == s1 + 1 && s3 == s2 + 1, "three transactions "
	      "committed (%llu, %llu, %llu)", (unsigned long long)s1,
	      (unsigned long long)s2, (unsigned long long)s3);
	rc = read_after(s1 - 1, &s);
	CHECK(rc == STORE_OK && s.n == 4 &&
	      s.seq[0] == s1 && s.op[0] == 'P' && s.index[0] == 0 &&
	      s.seq[1] == s2 && s.index[1] == 0 && s.op[1] == 'P' &&
	      s.seq[2] == s2 && s.index[2] == 1 && s.op[2] == 'P' &&
	      s.seq[3] == s3 && s.op[3] == 'D' &&
	      !strcmp(s.table[0], "locals") && !strcmp(s.table[3], "locals") &&
	      s.rowlen[0] > 0 && s.rowlen[3] == 0,
	      "the records of three transactions come in order (%d)", s.n);
	CHECK(read_after(s1, &s) == STORE_OK && s.n == 3 && s.seq[0] == s2,
	      "reading starts after the sequence asked");
	CHECK(read_after(s3, &s) == STORE_OK && s.n == 0,
	      "nothing after the last sequence");
	CHECK(read_after_stop(s1 - 1, 2, &s) == STORE_OK && s.n == 2,
	      "a reader that returns non-zero stops the reading");
	CHECK(store_write(st, make_list, &m, &s4) == STORE_OK &&
	      read_after(s4 - 1, &s) == STORE_OK && s.n == 1 &&
	      s.op[0] == 'C' && !strcmp(s.table[0], "feed") &&
	      s.rowlen[0] == 1 + STORE_LIST_KEY_LEN,
	      "a list create is one record naming the root");
	return s1;
}

/* The first put's address, decoded in the reading's transaction. */
struct first_put {
	struct store_txn *txn;
	char addr[64];
};

static int decode_first(const struct store_change *c, void *arg)
{
	struct first_put *f = arg;
	const struct reg_table *t;
	struct store_row row;

	if (c->op == STORE_CHANGE_PUT &&
	    store_change_row(f->txn, c, &t, &row) == STORE_OK &&
	    !strcmp(t->name, "locals") && row.col[2].kind == SV_TEXT)
		snprintf(f->addr, sizeof(f->addr), "%.*s",
			 (int)row.col[2].len, row.col[2].s);
	return 1;
}

static void test_change_row(uint64_t s1)
{
	struct first_put f = { .addr = "" };

	if (store_read_begin(st, &f.txn) == STORE_OK)
		store_changes_after(f.txn, s1 - 1, decode_first, &f);
	store_read_end(f.txn);
	CHECK(strcmp(f.addr, "r100@example.org") == 0, "store_change_row "
	      "decodes a put's row (%s)", f.addr);
}

/* resume_at - every record from (seq, index) on. */
static enum store_rc resume_at(uint64_t seq, uint32_t index, struct seen *s)
{
	struct store_txn *txn;
	enum store_rc rc;

	memset(s, 0, sizeof(*s));
	if ((rc = store_read_begin(st, &txn)))
		return rc;
	rc = store_changes_resume(txn, seq, index, see, s);
	store_read_end(txn);
	return rc;
}

/* test_changes_resume - a reader that stopped inside a sequence. */
static void test_changes_resume(uint64_t s1)
{
	struct seen s;

	CHECK(resume_at(s1 + 1, 1, &s) == STORE_OK && s.n == 3 &&
	      s.seq[0] == s1 + 1 && s.index[0] == 1 && s.seq[1] == s1 + 2,
	      "store_changes_resume goes on from the record asked");
	CHECK(resume_at(s1, 0, &s) == STORE_OK && s.n == 5 &&
	      s.seq[0] == s1 && s.index[0] == 0,
	      "index 0 reads the whole sequence, as after seq - 1");
}

/* The keys of the first put and the first del, decoded. */
struct keys_seen {
	struct store_txn *txn;
	int64_t put_id, del_id;
	int nkey;
};

static int decode_keys(const struct store_change *c, void *arg)
{
	struct keys_seen *k = arg;
	const struct reg_table *t;
	struct store_value key[REG_MAX_KEY];
	int n;

	if (store_change_key(k->txn, c, &t, key, &n) != STORE_OK ||
	    strcmp(t->name, "locals") || n != 1 || key[0].kind != SV_INT)
		return 1;
	k->nkey = n;
	if (c->op == STORE_CHANGE_PUT && !k->put_id)
		k->put_id = key[0].i;
	if (c->op == STORE_CHANGE_DEL)
		k->del_id = key[0].i;
	return k->del_id != 0;
}

static void test_change_key(uint64_t s1)
{
	struct keys_seen k = { 0 };

	if (store_read_begin(st, &k.txn) == STORE_OK)
		store_changes_after(k.txn, s1 - 1, decode_keys, &k);
	store_read_end(k.txn);
	CHECK(k.nkey == 1 && k.put_id == 100 && k.del_id == 100,
	      "store_change_key decodes a put's and a del's key (%lld, %lld)",
	      (long long)k.put_id, (long long)k.del_id);
}

/* test_changes_overflow - a transaction bigger than changes-keep. */
static void test_changes_overflow(void)
{
	uint64_t before = batch(200, 1, 0), big = batch(300, KEEP + 5, 0);
	uint64_t s[4], o;
	enum store_rc rc;
	struct seen r;

	CHECK(before && big == before + 1, "a transaction of %d changes "
	      "committed", KEEP + 5);
	CHECK(read_after(before, &r) == STORE_OK && r.n == 1 &&
	      r.op[0] == 'O' && r.seq[0] == big && r.table[0][0] == 0,
	      "a reader before it gets the overflow record of its sequence");
	CHECK(read_after(before - 3, &r) == STORE_OK && r.n == 1 &&
	      r.op[0] == 'O', "so does a reader further back");
	CHECK(read_after(big, &r) == STORE_OK && r.n == 0,
	      "a reader at its sequence reads on");
	o = oldest();
	CHECK(o == big + 1, "the oldest sequence kept whole is the one after "
	      "the overflow (%llu)", (unsigned long long)o);
	/* 1 + 4 * 3 records: pruning keeps 10 and cuts s[0] short. */
	for (int i = 0; i < 4; i++)
		s[i] = batch(400 + 10 * i, 3, 0);
	o = oldest();
	CHECK(o == s[1], "after pruning, the oldest sequence kept whole is "
	      "%llu (%llu)", (unsigned long long)s[1], (unsigned long long)o);
	CHECK(read_after(big, &r) == STORE_NOTFOUND && r.n == 0,
	      "a reader the log no longer reaches is told so, with no record");
	rc = read_after(s[0], &r);
	CHECK(rc == STORE_OK && r.n == 9 && r.seq[0] == s[1] &&
	      r.index[0] == 0 && r.seq[8] == s[3],
	      "a reader at the oldest - 1 gets every record after it (%d)",
	      r.n);
}

static struct store *open_store(void)
{
	struct store_options opt = { .changes_keep = KEEP };
	struct store *s = NULL;
	char err[512];

	if (store_open(path, 0, &opt, &s, err, sizeof(err)) != STORE_OK)
		printf("# open: %s\n", err);
	return s;
}

int main(void)
{
	char cmd[300];

	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof(path), "%s/mq.mdb", dir);
	test_fold();
	test_columns();
	CHECK((st = open_store()) != NULL, "store opened");
	if (st) {
		uint64_t s1 = test_changes_order();

		test_change_row(s1);
		test_changes_resume(s1);
		test_change_key(s1);
		test_changes_overflow();
		test_list_keys();
		test_cache_versions();
		test_cache_renew();
		test_kinds();
		store_close(st);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		return 1;
	return check_done();
}
