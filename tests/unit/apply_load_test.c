/*
 * apply_load_test - store_diff_apply of a list's many rows in many small
 * transactions: a first load (each transaction after the first puts its
 * index entries between the buckets the earlier ones wrote), then a
 * second load mixing inserts, updates and deletes in each transaction
 * (the apply's appends stop at the first change that is not an insert).
 * After each: the counts, the table and its index by hash (mq verify,
 * and a listing in hash then key order), one change record per change
 * for replication and the change feed, and a third difference empty.
 *
 * Then first loads of 80 MB of long addresses into new stores: one
 * outgrows the map (64 MB at first) half way, and the transaction that
 * met its end runs again in a larger one (the index entries it had
 * noted are noted anew); the other, a quarter of the rows and 60 MB of
 * capacity rows in transactions of 4000 changes into a store of 64 MB
 * at most, fills it at the capacity rows: the part applied is undone,
 * the list's rows and their index entries with it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/mlist.h"
#include "store/store.h"
#include "tests/unit/check.h"
#include "tests/unit/store_util.h"

#define LIST	"big"
#define ROWS	3000		/* rows of the first load */
#define BATCH	64		/* changes a transaction: 47 of them */
#define LONG_ROWS 80000		/* of about 1 kB each, index and log included */
#define LONG_BATCH 4000		/* changes a transaction, into 64 MB at most */

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
	int next, rows;		/* rows: of a long load, else ROWS */
	char addr[SUB_ADDR_MAX + 1], domain[8];
};

/* A domain of 187 bytes: three labels of 60 letters and "org". */
static char long_domain[3 * 61 + 4];

/* source_row - the source's row number i into row; false: none (gone) */
static bool source_row(struct source *s, int i, struct store_row *row)
{
	bool added = !s->rows && i >= ROWS;
	int n = added ? (i - ROWS) * 2 : i;
	int len;

	if (s->second && !added && i % 5 == 0)
		return false;
	if (s->rows)
		len = snprintf(s->addr, sizeof(s->addr), "user%06d@%s", n,
			       long_domain);
	else
		len = snprintf(s->addr, sizeof(s->addr), "user%05d%s@x.org",
			       n, added ? "b" : "");
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
	int end = s->rows ? s->rows : s->second ? ROWS + ROWS / 2 : ROWS;

	while (s->next < end)
		if (source_row(s, s->next++, row))
			return STORE_OK;
	return STORE_NOTFOUND;
}

/* load_from - diff LIST against s and apply it, batch a transaction */
static enum store_rc load_from(struct store *st, struct source *s,
			       size_t batch, struct store_apply_counts *n,
			       bool *empty)
{
	struct store_diff *d = NULL;
	struct store_txn *txn;
	enum store_rc rc = store_read_begin(st, &txn);

	if (rc)
		return rc;
	memset(n, 0, sizeof(*n));
	if ((rc = store_table_find(txn, LIST, &s->t)) == STORE_OK &&
	    (rc = store_diff_new(txn, &d)) == STORE_OK)
		rc = store_diff_table(txn, d, LIST, next_row, s, n);
	store_read_end(txn);
	*empty = rc == STORE_OK && store_diff_empty(d);
	if (rc == STORE_OK && !*empty)
		rc = store_diff_apply(st, d, batch, NULL);
	store_diff_free(d);
	return rc;
}

/* load - the first or second load of LIST, BATCH a transaction */
static enum store_rc load(struct store *st, bool second,
			  struct store_apply_counts *n, bool *empty)
{
	struct source s = { .second = second };

	return load_from(st, &s, BATCH, n, empty);
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

/* open_list - a new store at path with LIST created; NULL: failed */
static struct store *open_list(const struct store_options *opt)
{
	const char *roots[] = { LIST };
	struct store_diff *d = NULL;
	struct store *st = NULL;
	struct store_txn *txn;
	unsigned created = 0, dropped = 0;
	char err[512];
	enum store_rc rc;

	CHECK(store_open(path, 0, opt, &st, err, sizeof(err)) == STORE_OK,
	      "store opens: %s", err);
	if (!st || store_read_begin(st, &txn))
		return st;
	if (store_diff_new(txn, &d) == STORE_OK)
		store_diff_lists(txn, d, roots, 1, &created, &dropped);
	store_read_end(txn);
	rc = d ? store_diff_apply(st, d, 0, NULL) : STORE_INTERNAL;
	CHECK(rc == STORE_OK && created == 1, "list created");
	store_diff_free(d);
	return st;
}

/* close_rm - close st and remove its files */
static void close_rm(struct store *st)
{
	char lock[300];

	if (st)
		store_close(st);
	unlink(path);
	snprintf(lock, sizeof(lock), "%s-lock", path);
	unlink(lock);
}

/* long_grown - 80 MB into a map of 64 MB, which grows half way */
static void long_grown(void)
{
	struct source s = { .rows = LONG_ROWS };
	struct store_apply_counts n;
	struct store_stat ss = { 0 };
	struct store *st = open_list(NULL);
	uint64_t seq = st ? seq_of(st) : 0;
	enum store_rc rc;
	bool empty;

	if (!st)
		return;
	rc = load_from(st, &s, 0, &n, &empty);
	store_stat(st, &ss);
	CHECK(rc == STORE_OK && n.inserted == LONG_ROWS &&
	      ss.map_size > (64ull << 20), "%d long rows, the map grown to "
	      "%llu MB (%s)", LONG_ROWS,
	      (unsigned long long)(ss.map_size >> 20),
	      rc ? store_errmsg(st) : "ok");
	check_store(st, "long rows, the map grown", LONG_ROWS, seq,
		    LONG_ROWS, 0);
	close_rm(st);
}

/*
 * long_full - a first load of LONG_ROWS / 4 long rows and 60 capacity
 *	rows of 1 MB, into a store of 64 MB at most: full at the capacity
 *	rows; the list's rows and their index entries, committed before,
 *	are undone with the rest.
 */
static void long_full(void)
{
	struct store_options opt = { .max_size = 64ull << 20 };
	struct source s = { .rows = LONG_ROWS / 4 };
	struct big_source b = { reg_mailerq_find("capacity"), NULL, 1 << 20,
				0, 60 };
	struct listing l = { .hash = -1, .ordered = true };
	struct store_apply_counts n;
	struct store *st = open_list(&opt);
	struct store_diff *d = NULL;
	struct store_txn *t;
	uint64_t stored = 1, big = 1, verified = 0;
	char err[512] = "";
	enum store_rc rc = STORE_INTERNAL;

	if (!st || !(b.name = malloc(1 << 20)) || store_read_begin(st, &t)) {
		close_rm(st);
		return;
	}
	memset(b.name, 'n', 1 << 20);
	if (store_table_find(t, LIST, &s.t) == STORE_OK &&
	    store_diff_new(t, &d) == STORE_OK &&
	    store_diff_table(t, d, LIST, next_row, &s, &n) == STORE_OK)
		rc = store_diff_table(t, d, "capacity", next_big, &b, &n);
	store_read_end(t);
	if (rc == STORE_OK)
		rc = store_diff_apply(st, d, LONG_BATCH, NULL);
	CHECK(rc == STORE_FULL && strstr(store_errmsg(st), "undone"),
	      "%d long rows and 60 MB into 64 MB: full, undone: %s",
	      LONG_ROWS / 4, store_errmsg(st));
	store_read_begin(st, &t);
	store_count(t, LIST, &stored);
	store_count(t, "capacity", &big);
	rc = store_sub_each(t, LIST, SUB_MAIN, 0, 52, false, listed, &l);
	store_read_end(t);
	CHECK(stored == 0 && big == 0 && rc == STORE_OK && l.n == 0, "the "
	      "tables and the index are empty again (%llu, %llu, %d)",
	      (unsigned long long)stored, (unsigned long long)big, l.n);
	CHECK(store_verify_file(path, &verified, err, sizeof(err)) ==
	      STORE_OK, "the store verifies: %s", err);
	store_diff_free(d);
	free(b.name);
	close_rm(st);
}

int main(void)
{
	struct store *st;

	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof(path), "%s/mq.mdb", dir);
	if ((st = open_list(NULL)))
		loads(st);
	close_rm(st);
	memset(long_domain, 'a', sizeof(long_domain) - 1);
	for (int i = 1; i <= 3; i++)
		long_domain[61 * i - 1] = '.';
	memcpy(long_domain + 3 * 61, "org", 4);
	long_grown();
	long_full();
	rmdir(dir);
	return check_done();
}
