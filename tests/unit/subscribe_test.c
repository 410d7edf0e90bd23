/*
 * NAME
 *	subscribe_test - bulk subscribe: its change records, the log's
 *	overflow record, and listing rows of every shape
 * SYNOPSIS
 *	subscribe_test
 * DESCRIPTION
 *	Opens a store in a temporary directory with changes-keep 50 and
 *	checks, reading the "changes" database directly (white-box: this
 *	test includes store/internal.h):
 *
 *	- a subscribe of 10 addresses logs the table's puts in key order,
 *	  then the slog rows in input order;
 *	- a subscribe, an unsubscribe, or any write with more changes than
 *	  changes-keep leaves exactly one overflow record (op 'O' under
 *	  (sequence, 0)) and writes every row all the same;
 *	- the writes after an overflow are logged again;
 *	- a listing gives rows of every encoded shape (an address of more
 *	  than 127 bytes, hashes 98 and 99) exactly;
 *	- the store verifies at the end.
 * DIAGNOSTICS
 *	TAP lines through check.h.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/internal.h"
#include "check.h"

#define KEEP	50
#define ROOT	"ls"

static struct store *st;

/* The change log as read: op, table name and key of each record. */
struct log {
	int n;
	char op[256];
	char what[256][300];	/* "name key" */
	uint64_t seq[256];
};

/* log_read - the whole change log (at most 256 records). */
static bool log_read(struct log *l)
{
	struct store_txn *t;
	MDB_cursor *c;
	MDB_val k, d;
	int rc;

	memset(l, 0, sizeof(*l));
	if (store_read_begin(st, &t) ||
	    mdb_cursor_open(t->txn, st->changes, &c))
		return false;
	for (rc = mdb_cursor_get(c, &k, &d, MDB_FIRST); rc == 0 && l->n < 256;
	     rc = mdb_cursor_get(c, &k, &d, MDB_NEXT)) {
		const uint8_t *p = d.mv_data;
		size_t nl = p[1], kl = (size_t)p[2] << 8 | p[3];

		l->op[l->n] = (char)p[0];
		l->seq[l->n] = (uint64_t)key_decode_int(k.mv_data);
		if (d.mv_size < 4 + nl + kl)
			return false;
		/* The key of the address table's records only: text. */
		snprintf(l->what[l->n++], 300, "%.*s %.*s", (int)nl, p + 4,
			 (int)(nl == strlen(ROOT) ? kl : 0), p + 4 + nl);
	}
	mdb_cursor_close(c);
	store_read_end(t);
	return rc == MDB_NOTFOUND;
}

struct job {
	const char *root;
	bool add;
	struct sub_request r[64];
	size_t n;
	struct sub_counts counts;
};

static enum store_rc sub_fn(struct store_txn *txn, void *arg)
{
	struct job *j = arg;

	return store_sub(txn, j->root, SUB_MAIN, j->add, j->r, j->n,
			 &j->counts, NULL);
}

/* job_make - n addresses uN@Example.ORG, in descending order. */
static void job_make(struct job *j, char text[][32], size_t n, bool add)
{
	memset(j, 0, sizeof(*j));
	j->root = ROOT;
	j->add = add;
	for (size_t i = 0; i < n; i++) {
		snprintf(text[i], 32, "u%02zu@Example.ORG", n - 1 - i);
		j->r[i] = (struct sub_request){ .addr = text[i],
			.len = strlen(text[i]), .hash = -1, .etype = 'm' };
	}
	j->n = n;
}

static enum store_rc create_fn(struct store_txn *txn, void *arg)
{
	(void)arg;
	return store_list_create(txn, ROOT, (const uint8_t *)"k", 1);
}

/* test_logged - a small subscribe: table puts in key order, then slogs. */
static void test_logged(void)
{
	char text[64][32];
	struct job j;
	struct log l = { .n = 0 };
	bool order = true, read;

	job_make(&j, text, 10, true);
	CHECK(store_write(st, sub_fn, &j, NULL) == STORE_OK &&
	      j.counts.changed == 10, "subscribe 10: %s", store_errmsg(st));
	read = log_read(&l);
	CHECK(read && l.n == 21 && l.op[0] == CHANGE_LIST_CREATE,
	      "the log holds the create and 20 records (%d)", l.n);
	for (int i = 0; i < 10 && l.n == 21; i++) {
		char want[64];

		snprintf(want, sizeof(want), ROOT " u%02d@example.org", i);
		order = order && l.op[1 + i] == CHANGE_PUT &&
			!strcmp(l.what[1 + i], want) &&
			l.op[11 + i] == CHANGE_PUT &&
			!strncmp(l.what[11 + i], ROOT "_slog", 7);
	}
	CHECK(order, "table puts in key order, then the slog rows");
}

/* expect_overflow - the log is one overflow record of the last write. */
static void expect_overflow(const char *what, uint64_t seq)
{
	struct log l = { .n = 0 };
	bool read = log_read(&l);

	CHECK(read && l.n == 1 && l.op[0] == 'O' && l.seq[0] == seq &&
	      !strcmp(l.what[0], " "), "%s: one overflow record of sequence "
	      "%llu (%d records, op %c)", what, (unsigned long long)seq, l.n,
	      l.n ? l.op[0] : '-');
}

/* count_fn - count the listed addresses. */
static int count_fn(const char *addr, size_t len, int hash, void *arg)
{
	(void)addr;
	(void)len;
	(void)hash;
	(*(int *)arg)++;
	return 0;
}

/* listed - how many addresses store_sub_each gives for 0..52. */
static int listed(void)
{
	struct store_txn *t;
	int n = 0;

	if (store_read_begin(st, &t))
		return -1;
	if (store_sub_each(t, ROOT, SUB_MAIN, 0, SUB_HASH_MAX, false,
			   count_fn, &n))
		n = -1;
	store_read_end(t);
	return n;
}

/* set_fn - 60 rows of T_name in one transaction. */
static enum store_rc set_fn(struct store_txn *txn, void *arg)
{
	enum store_rc rc = STORE_OK;

	(void)arg;
	for (int i = 0; rc == STORE_OK && i < 60; i++) {
		char name[16];
		struct store_assign a = { 1, { .kind = SV_TEXT, .s = name } };

		a.v.len = (size_t)snprintf(name, sizeof(name), "s%d", i);
		rc = store_set(txn, ROOT "_name", &a, 1, NULL);
	}
	return rc;
}

/* test_overflow - writes larger than changes-keep, and after them. */
static void test_overflow(void)
{
	char text[64][32];
	struct job j;
	struct log l = { .n = 0 };
	uint64_t seq = 0;
	bool read;

	job_make(&j, text, 40, true);
	CHECK(store_write(st, sub_fn, &j, &seq) == STORE_OK &&
	      j.counts.changed == 30 && j.counts.unchanged == 10,
	      "subscribe 40 (30 new): %s", store_errmsg(st));
	expect_overflow("subscribe of 60 changes", seq);
	CHECK(listed() == 40, "all 40 are subscribed");
	job_make(&j, text, 1, false);
	read = store_write(st, sub_fn, &j, &seq) == STORE_OK && log_read(&l);
	CHECK(read && l.n == 3 && l.op[0] == 'O' &&
	      l.op[1] == CHANGE_DEL && l.op[2] == CHANGE_PUT &&
	      l.seq[1] == seq, "a write after it is logged (%d records)", l.n);
	job_make(&j, text, 40, false);
	CHECK(store_write(st, sub_fn, &j, &seq) == STORE_OK &&
	      j.counts.changed == 39, "unsubscribe 40 (39 there): %s",
	      store_errmsg(st));
	expect_overflow("unsubscribe of 78 changes", seq);
	CHECK(listed() == 0, "none is left");
	CHECK(store_write(st, set_fn, NULL, &seq) == STORE_OK,
	      "60 rows of T_name: %s", store_errmsg(st));
	expect_overflow("60 single puts", seq);
}

/* Rows of every shape the scan reads. */
static const struct { const char *addr; int hash; } shapes[] = {
	{ "plain@example.com", -1 },
	{ NULL, -1 },			/* 200 bytes, filled in */
	{ "Receipt@Example.com", SUB_HASH_RECEIPT },
	{ "sub@example.net", SUB_HASH_SUBLIST },
	{ "blocked@example.net", 60 },
};

struct seen {
	char out[2048];
};

/* seen_fn - the listed addresses and hashes, in order. */
static int seen_fn(const char *addr, size_t len, int hash, void *arg)
{
	struct seen *s = arg;
	size_t n = strlen(s->out);

	snprintf(s->out + n, sizeof(s->out) - n, "%.*s=%d ", (int)len, addr,
		 hash);
	return 0;
}

/* test_shapes - long addresses and two-byte hashes list exactly. */
static void test_shapes(void)
{
	char longaddr[201], want[2048];
	struct job j = { .root = ROOT, .add = true };
	struct seen s = { "" }, s99 = { "" };
	struct store_txn *t;

	memset(longaddr, 'a', 200);
	memcpy(longaddr + 188, "@example.com", 13);
	for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		const char *a = shapes[i].addr ? shapes[i].addr : longaddr;

		j.r[j.n++] = (struct sub_request){ .addr = a, .len = strlen(a),
			.hash = shapes[i].hash, .etype = 'm' };
	}
	CHECK(store_write(st, sub_fn, &j, NULL) == STORE_OK, "subscribe the "
	      "shapes: %s", store_errmsg(st));
	if (store_read_begin(st, &t))
		return;
	CHECK(store_sub_each(t, ROOT, SUB_MAIN, 0, SUB_HASH_MAX, true,
			     seen_fn, &s) == STORE_OK &&
	      store_sub_each(t, ROOT, SUB_MAIN, 99, 99, false, seen_fn,
			     &s99) == STORE_OK, "list them");
	store_read_end(t);
	unsigned hl = sub_hash(longaddr, 200);
	unsigned hp = sub_hash("plain@example.com", 17);
	/* By hash, then address: "aaa..." sorts before "plain". */
	if (hl <= hp)
		snprintf(want, sizeof(want), "%s=%u plain@example.com=%u "
			 "Receipt@example.com=98 ", longaddr, hl, hp);
	else
		snprintf(want, sizeof(want), "plain@example.com=%u %s=%u "
			 "Receipt@example.com=98 ", hp, longaddr, hl);
	if (!CHECK(!strcmp(s.out, want), "0..52 then the receipt, exactly"))
		printf("# got  %s\n# want %s\n", s.out, want);
	CHECK(!strcmp(s99.out, "sub@example.net=99 "), "hash 99: %s",
	      s99.out);
}

int main(void)
{
	char dir[] = "/tmp/subscribe_test.XXXXXX", file[64], lock[80];
	char err[512] = "";
	struct store_options opt = { .changes_keep = KEEP };
	uint64_t rows = 0;

	if (!CHECK(mkdtemp(dir) != NULL, "scratch directory"))
		return check_done();
	snprintf(file, sizeof(file), "%s/mq.mdb", dir);
	snprintf(lock, sizeof(lock), "%s-lock", file);
	if (!CHECK(store_open(file, 0, &opt, &st, err, sizeof(err)) ==
		   STORE_OK && store_write(st, create_fn, NULL, NULL) ==
		   STORE_OK, "open a store, create a list: %s", err))
		return check_done();
	test_logged();
	test_overflow();
	test_shapes();
	store_close(st);
	CHECK(store_verify_file(file, &rows, err, sizeof(err)) == STORE_OK,
	      "the store verifies (%llu rows) %s", (unsigned long long)rows,
	      err);
	unlink(file);
	unlink(lock);
	rmdir(dir);
	return check_done();
}
