/*
 * apply_load_test - store_diff_apply of a list's many rows in many small
 * transactions: a first load (each transaction after the first puts its
 * index entries between the buckets the earlier ones wrote), then a
 * second load mixing inserts, updates and deletes in each transaction
 * (the apply's appends stop at the first change that is not an insert).
 * After each: the counts, the table and its index by hash (mq verify,
 * and a listing in hash then key order), one change record per change
 * for replication and the change feed, and a third difference empty.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/mlist.h"
#include "store/store.h"
#include "tests/unit/check.h"

#define LIST	"big"
#define ROWS	3000		/* rows of the first load */
#define BATCH	64		/* changes a transaction: 47 of them */

static char dir[] = "/tmp/mq-apply-load-test-XXXXXX";
static char path[256];

/*
 * A source of rows: "user<i>@x.org" for i < ROWS, each with its own
 * hash; in the second load every fifth is gone, every seventh has
 * another domain, and ROWS / 2 new ones sort between the others.
 */
struct source {
	const struct reg_table *t;
	bool second;
	int next;
	char addr[64], domain[8];
};

/* source_row - the source's row number i into row; false: none (gone) */
static bool source_row(struct source *s, int i, struct store_row *row)
{
	bool added = i >= ROWS;
	int n = added ? (i - ROWS) * 2 : i;
	int len;

	if (s->second && !added && i % 5 == 0)
		return false;
	len = snprintf(s->addr, sizeof(s->addr), "user%05d%s@x.org", n,
		       added ? "b" : "");
	snprintf(s->domain, sizeof(s->domain), "%s",
		 s->second && i % 7 == 0 ? "net" : "org");
	memset(row, 0, sizeof(*row));
	row->col[REG_ADDR_HASH] = (struct store_value){ .kind = SV_INT,
		.i = sub_hash(s->addr, (size_t)len) };
	row->col[REG_ADDR_ADDRESS] = (struct store_value){ .kind = SV_TEXT,
		.s = s->addr, .len = (size_t)len };
	row->col[REG_ADDR_DOMAIN] = (struct store_value){ .kind = SV_TEXT,
		.s = s->domain, .len = strlen(s->domain) };
	return true;
}

static enum store_rc next_row(void *arg, struct store_row *row)
{
	struct source *s = arg;
	int end = s->second ? ROWS + ROWS / 2 : ROWS;

	while (s->next < end)
		if (source_row(s, s->next++, row))
			return STORE_OK;
	return STORE_NOTFOUND;
}

static uint64_t seq_of(struct store *st)
{
	struct store_txn *t;
	struct store_meta m = { 0 };

	store_read_begin(st, &t);
	store_meta_get(t, &m);
	store_read_end(t);
	return m.seq;
}

/* load - diff LIST against the source and apply it, BATCH a transaction */
static enum store_rc load(struct store *st, bool second,
			  struct store_apply_counts *n, bool *empty)
{
	struct source s = { .second = second };
	struct store_diff *d = NULL;
	struct store_txn *txn;
	enum store_rc rc = store_read_begin(st, &txn);

	if (rc)
		return rc;
	memset(n, 0, sizeof(*n));
	if ((rc = store_table_find(txn, LIST, &s.t)) == STORE_OK &&
	    (rc = store_diff_new(txn, &d)) == STORE_OK)
		rc = store_diff_table(txn, d, LIST, next_row, &s, n);
	store_read_end(txn);
	*empty = rc == STORE_OK && store_diff_empty(d);
	if (rc == STORE_OK && !*empty)
		rc = store_diff_apply(st, d, BATCH, NULL);
	store_diff_free(d);
	return rc;
}

/* A listing by hash: its count, and whether it kept hash, then key order. */
struct listing {
	int n, hash;
	char last[64];
	bool ordered;
};

static int listed(const char *addr, size_t len, int hash, void *arg)
{
	struct listing *l = arg;
	char a[64];

	snprintf(a, sizeof(a), "%.*s", (int)len, addr);
	if (hash < l->hash || (hash == l->hash && strcmp(a, l->last) <= 0))
		l->ordered = false;
	l->hash = hash;
	memcpy(l->last, a, sizeof(a));
	l->n++;
	return 0;
}

/* Change records above a sequence: puts and deletes of LIST. */
struct records {
	int puts, dels, other;
};

static int counted(const struct store_change *c, void *arg)
{
	struct records *r = arg;

	if (c->op == STORE_CHANGE_PUT && strcmp(c->table, LIST) == 0)
		r->puts++;
	else if (c->op == STORE_CHANGE_DEL && strcmp(c->table, LIST) == 0)
		r->dels++;
	else
		r->other++;
	return 0;
}

/* check_store - LIST holds rows rows, indexed, and the log every change */
static void check_store(struct store *st, const char *what, int rows,
			uint64_t since, int puts, int dels)
{
	struct listing l = { .hash = -1, .ordered = true };
	struct records r = { 0 };
	struct store_txn *t;
	uint64_t stored = 0, verified = 0;
	char err[512] = "";
	enum store_rc rc, crc;

	store_read_begin(st, &t);
	store_count(t, LIST, &stored);
	rc = store_sub_each(t, LIST, SUB_MAIN, 0, 52, false, listed, &l);
	crc = store_changes_after(t, since, counted, &r);
	store_read_end(t);
	CHECK(stored == (uint64_t)rows, "%s: %d rows stored (%llu)", what,
	      rows, (unsigned long long)stored);
	CHECK(rc == STORE_OK && l.n == rows && l.ordered, "%s: the index "
	      "lists %d of them, by hash then key (%d, %s)", what, rows, l.n,
	      l.ordered ? "ordered" : "out of order");
	CHECK(store_verify_file(path, &verified, err, sizeof(err)) ==
	      STORE_OK, "%s: the store verifies: %s", what, err);
	CHECK(crc == STORE_OK && r.puts == puts && r.dels == dels &&
	      r.other == 0, "%s: change records: %d puts, %d deletes (%d, "
	      "%d, %d other)", what, puts, dels, r.puts, r.dels, r.other);
}

static void loads(struct store *st)
{
	struct store_apply_counts n;
	uint64_t seq = seq_of(st);
	int gone = (ROWS + 4) / 5, moved = 0;
	enum store_rc rc;
	bool empty;

	rc = load(st, false, &n, &empty);
	CHECK(rc == STORE_OK && n.inserted == ROWS && n.updated == 0 &&
	      n.deleted == 0, "first load: %d inserted (%s)", ROWS,
	      rc ? store_errmsg(st) : "ok");
	CHECK(seq_of(st) - seq >= ROWS / BATCH, "in %d transactions or more "
	      "(%llu)", ROWS / BATCH, (unsigned long long)(seq_of(st) - seq));
	check_store(st, "first load", ROWS, seq, ROWS, 0);

	for (int i = 0; i < ROWS; i++)
		moved += i % 7 == 0 && i % 5 != 0;
	seq = seq_of(st);
	rc = load(st, true, &n, &empty);
	CHECK(rc == STORE_OK && n.inserted == ROWS / 2 &&
	      n.updated == (unsigned)moved && n.deleted == (unsigned)gone,
	      "second load: %d inserted, %d updated, %d deleted (%u, %u, "
	      "%u)", ROWS / 2, moved, gone, n.inserted, n.updated, n.deleted);
	check_store(st, "second load", ROWS - gone + ROWS / 2, seq,
		    ROWS / 2 + moved, gone);

	seq = seq_of(st);
	rc = load(st, true, &n, &empty);
	CHECK(rc == STORE_OK && empty && seq_of(st) == seq, "the same again: "
	      "nothing to do, nothing written");
}

int main(void)
{
	const char *roots[] = { LIST };
	struct store_diff *d = NULL;
	struct store *st = NULL;
	struct store_txn *txn;
	unsigned created = 0, dropped = 0;
	char err[512];

	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof(path), "%s/mq.mdb", dir);
	CHECK(store_open(path, 0, NULL, &st, err, sizeof(err)) == STORE_OK,
	      "store opens: %s", err);
	if (st && store_read_begin(st, &txn) == STORE_OK) {
		if (store_diff_new(txn, &d) == STORE_OK)
			store_diff_lists(txn, d, roots, 1, &created, &dropped);
		store_read_end(txn);
		CHECK(d && store_diff_apply(st, d, 0, NULL) == STORE_OK &&
		      created == 1, "list created");
		store_diff_free(d);
		loads(st);
	}
	if (st)
		store_close(st);
	unlink(path);
	snprintf(err, sizeof(err), "%s/mq.mdb-lock", dir);
	unlink(err);
	rmdir(dir);
	return check_done();
}
