/*
 * apply_test - store_diff_* and store_diff_apply: the cases of
 * tests/unit/apply_cases.txt (minimal diff, counts, the table equal to
 * the source afterwards, a second diff empty and writing nothing), then
 * bad rows and failing sources leaving everything as it was, then lists;
 * then rows of one key out of order (the last wins), writers that come
 * between a diff and its apply (their writes stay, the rest is exact),
 * small transactions, an unchanged source that takes no write lock, and
 * an apply that fails half way (undone).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store/store.h"
#include "tests/unit/check.h"
#include "tests/unit/store_util.h"

#define CASES	"tests/unit/apply_cases.txt"
#define MAXROWS	8

static char dir[] = "/tmp/mq-apply-test-XXXXXX";
static char path[256];

struct rows {
	const struct reg_table *t;
	struct store_row row[MAXROWS];
	char *text[MAXROWS];	/* the strings the values point into */
	int n, next;
	enum store_rc fail_at;	/* returned instead of row 1 when set */
};

/* unescape - "\s" is a space in the cases file. */
static void unescape(char *s)
{
	char *o = s;

	for (; *s; s++)
		if (s[0] == '\\' && s[1] == 's') {
			*o++ = ' ';
			s++;
		} else
			*o++ = *s;
	*o = 0;
}

/* parse_row - "col=val col=val" into a row of t; false when bad. */
static bool parse_row(const struct reg_table *t, char *text,
		      struct store_row *row)
{
	char err[256], *save, *pair;

	memset(row, 0, sizeof(*row));
	for (pair = strtok_r(text, " ", &save); pair;
	     pair = strtok_r(NULL, " ", &save)) {
		char *eq = strchr(pair, '=');
		int c;

		if (!eq)
			return false;
		*eq++ = 0;
		if ((c = reg_column_index(t, pair)) < 0)
			return false;
		unescape(eq);
		if (strcmp(eq, "\\N") == 0)
			continue;
		if (store_value_parse(t, NULL, &t->cols[c], eq, strlen(eq),
				      &row->col[c], err, sizeof(err))) {
			printf("# %s\n", err);
			return false;
		}
	}
	return true;
}

/* parse_rows - "row | row" or "-" into r; false when bad. */
static bool parse_rows(const struct reg_table *t, const char *field,
		       struct rows *r)
{
	char *copy = strdup(field), *p = copy, *bar;

	memset(r, 0, sizeof(*r));
	r->t = t;
	if (strcmp(field, "-") == 0) {
		free(copy);
		return true;
	}
	for (; p && r->n < MAXROWS; p = bar) {
		if ((bar = strstr(p, " | ")))
			*bar = 0, bar += 3;
		r->text[r->n] = strdup(p);
		if (!parse_row(t, r->text[r->n], &r->row[r->n]))
			break;
		r->n++;
	}
	free(copy);
	return p == NULL;
}

static void rows_free(struct rows *r)
{
	for (int i = 0; i < MAXROWS; i++)
		free(r->text[i]);
}

static enum store_rc next_row(void *arg, struct store_row *row)
{
	struct rows *r = arg;

	if (r->fail_at && r->next == 1)
		return r->fail_at;
	if (r->next == r->n)
		return STORE_NOTFOUND;
	*row = r->row[r->next++];
	return STORE_OK;
}

struct apply_op {
	const char *table;
	struct rows *rows;
	struct store_apply_counts n;
};

/* apply_rows - diff a table against rows under a read snapshot, apply. */
static enum store_rc apply_rows(struct store *st, struct apply_op *op,
				size_t batch, bool *empty)
{
	struct store_diff *d = NULL;
	struct store_txn *txn;
	enum store_rc rc = store_read_begin(st, &txn);

	if (rc)
		return rc;
	op->rows->next = 0;
	if ((rc = store_diff_new(txn, &d)) == STORE_OK)
		rc = store_diff_table(txn, d, op->table, next_row, op->rows,
				      &op->n);
	store_read_end(txn);
	if (empty)
		*empty = d && store_diff_empty(d);
	if (rc == STORE_OK && !store_diff_empty(d))
		rc = store_diff_apply(st, d, batch, NULL);
	store_diff_free(d);
	return rc;
}

/* lists_apply - make the lists roots, as a diff and its apply */
static enum store_rc lists_apply(struct store *st, const char *const *roots,
				 size_t n, unsigned *created,
				 unsigned *dropped)
{
	struct store_diff *d = NULL;
	struct store_txn *txn;
	enum store_rc rc = store_read_begin(st, &txn);

	if (rc)
		return rc;
	if ((rc = store_diff_new(txn, &d)) == STORE_OK)
		rc = store_diff_lists(txn, d, roots, n, created, dropped);
	store_read_end(txn);
	if (rc == STORE_OK && !store_diff_empty(d))
		rc = store_diff_apply(st, d, 0, NULL);
	store_diff_free(d);
	return rc;
}

/* match_row - count the source rows equal to a stored row. */
struct match {
	struct rows *want;
	bool used[MAXROWS];
	int rows, unmatched;
};

static int match_row(const struct store_row *row, void *arg)
{
	struct match *m = arg;

	m->rows++;
	for (int i = 0; i < m->want->n; i++)
		if (!m->used[i] && store_row_equal(m->want->t, row,
						   &m->want->row[i])) {
			m->used[i] = true;
			return 0;
		}
	m->unmatched++;
	return 0;
}

/* table_equals - does table hold exactly the rows of want? */
static bool table_equals(struct store *st, const char *table,
			 struct rows *want)
{
	struct match m = { .want = want };
	struct store_txn *t;

	store_read_begin(st, &t);
	store_scan(t, table, NULL, 0, match_row, &m);
	store_read_end(t);
	return m.rows == want->n && m.unmatched == 0;
}

static void run_case(struct store *st, int lineno, char *line)
{
	char *f[4], *save;
	const struct reg_table *t;
	struct rows before, source;
	struct apply_op op;
	struct store_txn *txn;
	unsigned long ins, upd, del;
	uint64_t seq;
	bool empty = false;
	int n = 0;

	for (char *p = strtok_r(line, "\t", &save); p && n < 4;
	     p = strtok_r(NULL, "\t", &save))
		f[n++] = p;
	store_read_begin(st, &txn);
	if (n != 4 || store_table_find(txn, f[0], &t) != STORE_OK ||
	    sscanf(f[3], "%lu %lu %lu", &ins, &upd, &del) != 3) {
		store_read_end(txn);
		CHECK(0, "%s:%d: a well-formed case", CASES, lineno);
		return;
	}
	store_read_end(txn);
	CHECK(parse_rows(t, f[1], &before) && parse_rows(t, f[2], &source),
	      "%s:%d: rows parse", CASES, lineno);
	op = (struct apply_op){ f[0], &before, { 0 } };
	CHECK(apply_rows(st, &op, 0, NULL) == STORE_OK &&
	      table_equals(st, f[0], &before), "%s:%d: %s set up", CASES,
	      lineno, f[0]);
	op.rows = &source;
	CHECK(apply_rows(st, &op, 0, NULL) == STORE_OK,
	      "%s:%d: apply: %s", CASES, lineno, store_errmsg(st));
	CHECK(op.n.inserted == ins && op.n.updated == upd &&
	      op.n.deleted == del, "%s:%d: counts %lu %lu %lu, want %s",
	      CASES, lineno, (unsigned long)op.n.inserted,
	      (unsigned long)op.n.updated, (unsigned long)op.n.deleted, f[3]);
	CHECK(table_equals(st, f[0], &source), "%s:%d: table equals source",
	      CASES, lineno);
	seq = seq_of(st);
	CHECK(apply_rows(st, &op, 0, &empty) == STORE_OK && empty &&
	      op.n.inserted + op.n.updated + op.n.deleted == 0 &&
	      seq_of(st) == seq, "%s:%d: again: an empty diff, nothing "
	      "written", CASES, lineno);
	rows_free(&before);
	rows_free(&source);
}

static void run_cases(struct store *st)
{
	FILE *f = fopen(CASES, "r");
	char line[4096];
	int lineno = 0;

	CHECK(f != NULL, "%s opens", CASES);
	while (f && fgets(line, sizeof(line), f)) {
		lineno++;
		line[strcspn(line, "\n")] = 0;
		if (line[0] && line[0] != '#')
			run_case(st, lineno, line);
	}
	if (f)
		fclose(f);
}

/* A row that does not fit, and a failing source: nothing changes. */
static void bad_sources(struct store *st)
{
	const struct reg_table *t = NULL;
	struct store_txn *txn;
	struct rows good, bad;
	struct apply_op op = { "list", &good, { 0 } };
	uint64_t seq;

	store_read_begin(st, &txn);
	store_table_find(txn, "list", &t);
	store_read_end(txn);
	parse_rows(t, "hash=1 address=a@x domain=x | hash=2 address=b@x", &good);
	apply_rows(st, &op, 0, NULL);
	seq = seq_of(st);
	parse_rows(t, "hash=1 address=c@x | hash=\\N address=d@x", &bad);
	op.rows = &bad;
	CHECK(apply_rows(st, &op, 0, NULL) == STORE_BADDATA,
	      "a NULL in a NOT NULL column is refused");
	CHECK(strstr(store_errmsg(st), "hash") &&
	      strstr(store_errmsg(st), "address=d@x"),
	      "the message names column and key: %s", store_errmsg(st));
	CHECK(seq_of(st) == seq && table_equals(st, "list", &good),
	      "and nothing was applied");
	bad.fail_at = STORE_IO;
	CHECK(apply_rows(st, &op, 0, NULL) == STORE_IO &&
	      seq_of(st) == seq && table_equals(st, "list", &good),
	      "a source failing mid-way changes nothing");
	bad.fail_at = STORE_OK;
	rows_free(&bad);
	parse_rows(reg_mailerq_find("capacity"), "id=0 domain=x", &bad);
	op = (struct apply_op){ "capacity", &bad, { 0 } };
	CHECK(apply_rows(st, &op, 0, NULL) == STORE_BADDATA &&
	      strstr(store_errmsg(st), "positive") && seq_of(st) == seq,
	      "an auto-increment id of 0 is refused: %s", store_errmsg(st));
	rows_free(&good);
	rows_free(&bad);
}

static void lists(struct store *st)
{
	const char *const two[] = { "list", "news" }, *const one[] = { "news" };
	const uint8_t *key;
	struct store_txn *txn;
	unsigned created = 0, dropped = 0;
	size_t keylen = 0;
	uint64_t seq;

	CHECK(lists_apply(st, two, 2, &created, &dropped) == STORE_OK &&
	      created == 1 && dropped == 0, "a missing list is created");
	store_read_begin(st, &txn);
	CHECK(store_list_key(txn, "news", &key, &keylen) == STORE_OK &&
	      keylen == 32, "with a 32-byte secret key");
	store_read_end(txn);
	seq = seq_of(st);
	CHECK(lists_apply(st, two, 2, &created, &dropped) == STORE_OK &&
	      created + dropped == 0 && seq_of(st) == seq,
	      "the same lists again write nothing");
	CHECK(lists_apply(st, one, 1, &created, &dropped) == STORE_OK &&
	      dropped == 1 && created == 0, "a list not wanted is dropped");
	store_read_begin(st, &txn);
	CHECK(store_list_key(txn, "list", &key, &keylen) == STORE_NOTFOUND,
	      "and gone");
	store_read_end(txn);
}


/* table_is - does table hold exactly the rows of text? */
static bool table_is(struct store *st, const char *table, const char *text)
{
	const struct reg_table *t = NULL;
	struct store_txn *txn;
	struct rows want;
	bool same;

	store_read_begin(st, &txn);
	store_table_find(txn, table, &t);
	store_read_end(txn);
	if (!t || !parse_rows(t, text, &want))
		return false;
	same = table_equals(st, table, &want);
	rows_free(&want);
	return same;
}

/* set_rows - make table hold the rows of text, as a loader would. */
static struct store_apply_counts set_rows(struct store *st, const char *table,
					  const char *text, size_t batch,
					  enum store_rc *rc)
{
	const struct reg_table *t = NULL;
	struct store_txn *txn;
	struct rows r;
	struct apply_op op = { table, &r, { 0 } };

	store_read_begin(st, &txn);
	store_table_find(txn, table, &t);
	store_read_end(txn);
	*rc = t && parse_rows(t, text, &r) ? apply_rows(st, &op, batch, NULL)
		: STORE_BADDATA;
	if (t)
		rows_free(&r);
	return op.n;
}

struct put_op {
	const char *table;
	struct rows *rows;
};

/* put_fn - a writer's transaction: put its rows */
static enum store_rc put_fn(struct store_txn *txn, void *arg)
{
	struct put_op *p = arg;
	enum store_rc rc = STORE_OK;

	for (int i = 0; rc == STORE_OK && i < p->rows->n; i++)
		rc = store_put_row(txn, p->table, &p->rows->row[i]);
	return rc;
}

/* writer - another writer puts the rows of text into table. */
static bool writer(struct store *st, const char *table, const char *text)
{
	struct rows r;
	struct put_op op = { table, &r };
	const struct reg_table *t = NULL;
	struct store_txn *txn;
	bool ok;

	store_read_begin(st, &txn);
	store_table_find(txn, table, &t);
	store_read_end(txn);
	ok = t && parse_rows(t, text, &r) &&
		store_write(st, put_fn, &op, NULL) == STORE_OK;
	if (t)
		rows_free(&r);
	return ok;
}

/*
 * Rows of one key out of order: the last wins.  A list's address in
 * another case is a key of its own (a row ezmlm-idx's SQL holds apart).
 */
static void one_key_twice(struct store *st)
{
	struct store_apply_counts n;
	enum store_rc rc;
	uint64_t seq;

	set_rows(st, "list", "hash=5 address=alice@x.org", 0, &rc);
	n = set_rows(st, "list", "hash=1 address=Bob@y.org | hash=2 "
		     "address=alice@x.org | hash=3 address=alice@x.org", 0,
		     &rc);
	CHECK(rc == STORE_OK && n.inserted == 1 && n.updated == 1 &&
	      n.deleted == 0 && table_is(st, "list", "hash=3 address="
					 "alice@x.org | hash=1 address=Bob@y.org"),
	      "of rows with one key the last wins");
	seq = seq_of(st);
	n = set_rows(st, "list", "hash=9 address=Bob@y.org | hash=1 "
		     "address=Bob@y.org | hash=3 address=alice@x.org", 0, &rc);
	CHECK(rc == STORE_OK && n.inserted + n.updated + n.deleted == 0 &&
	      seq_of(st) == seq, "also when the last is what the store has");
	n = set_rows(st, "list", "hash=1 address=Bob@y.org | hash=3 address="
		     "alice@x.org | hash=3 address=ALICE@x.org | hash=9 "
		     "address=bob@y.org", 0, &rc);
	CHECK(rc == STORE_OK && n.inserted == 2 && n.updated == 0 &&
	      n.deleted == 0 && table_is(st, "list", "hash=1 address=Bob@y.org"
					 " | hash=3 address=alice@x.org | hash=3"
					 " address=ALICE@x.org | hash=9 "
					 "address=bob@y.org"),
	      "addresses that differ only in case are rows of their own");
}

/* add_listed - store_sub_each callback: "HASH:ADDRESS " onto a string */
static int add_listed(const char *addr, size_t len, int hash, void *arg)
{
	char *out = arg;
	size_t n = strlen(out);

	snprintf(out + n, 1024 - n, "%d:%.*s ", hash, (int)len, addr);
	return 0;
}

/*
 * first_load - a list's rows out of key order into an empty table (the
 *	difference is sorted, its inserts put as they are): the table and
 *	its index by hash (read hash by hash, in key order) hold them all.
 */
static void first_load(struct store *st)
{
	char listed[1024] = "";
	struct store_apply_counts n;
	struct store_txn *txn;
	char err[512] = "";
	uint64_t rows = 0;
	enum store_rc rc;

	set_rows(st, "list", "-", 0, &rc);
	n = set_rows(st, "list", "hash=2 address=zed@x.org | hash=1 "
		     "address=Carol@y.org | hash=2 address=adam@x.org | "
		     "hash=1 address=bob@y.org | hash=0 address=eve@z.org", 0,
		     &rc);
	CHECK(rc == STORE_OK && n.inserted == 5 && n.updated == 0 &&
	      n.deleted == 0, "five rows out of order inserted");
	store_read_begin(st, &txn);
	rc = store_sub_each(txn, "list", SUB_MAIN, 0, 52, false, add_listed,
			    listed);
	store_read_end(txn);
	CHECK(rc == STORE_OK && strcmp(listed, "0:eve@z.org 1:bob@y.org "
				       "1:Carol@y.org 2:adam@x.org "
				       "2:zed@x.org ") == 0,
	      "the index lists them by hash, then key: %s", listed);
	CHECK(store_verify_file(path, &rows, err, sizeof(err)) == STORE_OK,
	      "the store verifies: %s", err);
	set_rows(st, "list", "-", 0, &rc);
}

/* diff_of - the diff of table against text, under a read snapshot */
static struct store_diff *diff_of(struct store *st, const char *table,
				  struct rows *r, struct store_apply_counts *n)
{
	struct store_diff *d = NULL;
	struct store_txn *txn;
	const struct reg_table *t = NULL;

	store_read_begin(st, &txn);
	store_table_find(txn, table, &t);
	r->next = 0;
	if (store_diff_new(txn, &d) ||
	    store_diff_table(txn, d, table, next_row, r, n)) {
		store_diff_free(d);
		d = NULL;
	}
	store_read_end(txn);
	return d;
}

/* A writer between diff and apply: its rows stay, the rest is exact. */
static void racing_writer(struct store *st, const char *table,
			  const char *before, const char *source,
			  const char *between, const char *after,
			  unsigned ins, unsigned upd, unsigned del,
			  unsigned skipped)
{
	const struct reg_table *t = reg_mailerq_find(table);
	struct store_apply_counts n = { 0 };
	struct store_diff *d;
	struct rows src;
	enum store_rc rc;
	uint64_t seq;

	if (!t) {	/* a list table: the list is "list" */
		struct store_txn *txn;

		store_read_begin(st, &txn);
		store_table_find(txn, table, &t);
		store_read_end(txn);
	}
	set_rows(st, table, before, 0, &rc);
	parse_rows(t, source, &src);
	d = diff_of(st, table, &src, &n);
	CHECK(d && writer(st, between[0] == '@' ? "ips" : table,
			  between[0] == '@' ? "ip=192.0.2.9" : between),
	      "%s: a diff, then a writer: %s", table, between);
	seq = seq_of(st);
	rc = d ? store_diff_apply(st, d, 0, NULL) : STORE_INTERNAL;
	CHECK(rc == STORE_OK && n.inserted == ins && n.updated == upd &&
	      n.deleted == del && n.skipped == skipped, "%s: applied %lu %lu "
	      "%lu, skipped %lu: %s", table, (unsigned long)n.inserted,
	      (unsigned long)n.updated, (unsigned long)n.deleted,
	      (unsigned long)n.skipped, rc ? store_errmsg(st) : "");
	CHECK(table_is(st, table, after) && seq_of(st) > seq,
	      "%s: the table holds the source and the writer's rows", table);
	store_diff_free(d);
	rows_free(&src);
}

/* The writers of racing_writer, one per kind of conflict. */
static void racing_writers(struct store *st)
{
	const char *before = "localip=a hostname=1 | localip=b hostname=1 | "
		"localip=c hostname=1 | localip=d hostname=1";
	const char *source = "localip=a hostname=2 | localip=b hostname=2 | "
		"localip=c hostname=1 | localip=e hostname=2";

	racing_writer(st, "mtanames", before, source, "@another table",
		      source, 1, 2, 1, 0);
	racing_writer(st, "mtanames", before, source, "localip=z hostname=w",
		      "localip=a hostname=2 | localip=b hostname=2 | "
		      "localip=c hostname=1 | localip=e hostname=2 | "
		      "localip=z hostname=w", 1, 2, 1, 0);
	racing_writer(st, "mtanames", before, source, "localip=b hostname=w | "
		      "localip=d hostname=w | localip=e hostname=w",
		      "localip=a hostname=2 | localip=b hostname=w | "
		      "localip=c hostname=1 | localip=d hostname=w | "
		      "localip=e hostname=w", 0, 1, 0, 3);
	racing_writer(st, "list_slog", "tai=2026-01-01\\s00:00:00 address=a "
		      "fromline= edir=+ etype=s | tai=2026-01-01\\s00:00:00 "
		      "address=b fromline= edir=+ etype=s",
		      "tai=2026-01-01\\s00:00:00 address=a fromline= edir=+ "
		      "etype=s | tai=2026-01-02\\s00:00:00 address=c fromline= "
		      "edir=- etype=s", "tai=2026-01-03\\s00:00:00 address=d "
		      "fromline= edir=+ etype=s", "tai=2026-01-01\\s00:00:00 "
		      "address=a fromline= edir=+ etype=s | "
		      "tai=2026-01-02\\s00:00:00 address=c fromline= edir=- "
		      "etype=s | tai=2026-01-03\\s00:00:00 address=d fromline= "
		      "edir=+ etype=s", 1, 0, 1, 0);
}

/* The apply of an unchanged source in a thread beside a holder: done is
 * told under the holder's mutex and condition. */
struct unchanged {
	struct holder h;
	struct apply_op op;
	enum store_rc rc;
	bool empty, done;
};

static void *unchanged_thread(void *arg)
{
	struct unchanged *u = arg;
	enum store_rc rc = apply_rows(u->h.st, &u->op, 0, &u->empty);

	pthread_mutex_lock(&u->h.m);
	u->rc = rc;
	u->done = true;
	pthread_cond_broadcast(&u->h.c);
	pthread_mutex_unlock(&u->h.m);
	return NULL;
}

/* An unchanged source while another writer holds the lock: no wait. */
static void no_write_lock(struct store *st)
{
	const char *rows = "localip=a hostname=1 | localip=b hostname=2";
	struct unchanged u = { .h = { .st = st, .m = PTHREAD_MUTEX_INITIALIZER,
				      .c = PTHREAD_COND_INITIALIZER } };
	struct rows r;
	struct timespec until;
	pthread_t other;
	enum store_rc rc;

	set_rows(st, "mtanames", rows, 0, &rc);
	parse_rows(reg_mailerq_find("mtanames"), rows, &r);
	u.op = (struct apply_op){ "mtanames", &r, { 0 } };
	hold(&u.h);
	pthread_create(&other, NULL, unchanged_thread, &u);
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 10;
	pthread_mutex_lock(&u.h.m);
	while (!u.done && pthread_cond_timedwait(&u.h.c, &u.h.m, &until) == 0)
		;
	CHECK(u.done && u.rc == STORE_OK && u.empty, "an unchanged source "
	      "is done while another writer holds the write lock");
	pthread_mutex_unlock(&u.h.m);
	let_go(&u.h);
	pthread_join(other, NULL);
	rows_free(&r);
}

/* A batch of 2 changes a transaction: 5 changes take 3. */
static void small_batches(struct store *st)
{
	const char *five = "localip=p hostname=1 | localip=q hostname=1 | "
		"localip=r hostname=1 | localip=s hostname=1 | "
		"localip=t hostname=1";
	enum store_rc rc;
	uint64_t seq;

	set_rows(st, "mtanames", "-", 0, &rc);
	seq = seq_of(st);
	set_rows(st, "mtanames", five, 2, &rc);
	CHECK(rc == STORE_OK && table_is(st, "mtanames", five) &&
	      seq_of(st) == seq + 3, "5 changes in batches of 2: 3 "
	      "transactions, exact (sequence %lu -> %lu)",
	      (unsigned long)seq, (unsigned long)seq_of(st));
}

/* count_of - rows in table */
static uint64_t count_of(struct store *st, const char *table)
{
	struct store_txn *t;
	uint64_t n = 0;

	store_read_begin(st, &t);
	store_count(t, table, &n);
	store_read_end(t);
	return n;
}

/*
 * An apply that fills the store (64 MB at most) half way, after it
 * created a list and replaced a row: what it committed is undone.
 */
static void full_store(void)
{
	struct store_options opt = { .max_size = 64ull << 20 };
	struct big_source b = { reg_mailerq_find("capacity"), NULL, 1000000,
				0, 80 };
	const char *roots[] = { "undo" };
	struct store_apply_counts n;
	struct store_diff *d = NULL;
	struct store *st = NULL;
	struct store_txn *txn;
	const uint8_t *key;
	char p[300], err[512];
	unsigned created, dropped;
	size_t keylen;
	enum store_rc rc;

	snprintf(p, sizeof(p), "%s/full.mdb", dir);
	if (store_open(p, 0, &opt, &st, err, sizeof(err)) ||
	    !(b.name = malloc(1000000))) {
		CHECK(0, "a store of 64 MB at most opens: %s", err);
		return;
	}
	memset(b.name, 'n', 1000000);
	set_rows(st, "capacity", "id=1 name=old | id=1000 name=keep", 0, &rc);
	store_read_begin(st, &txn);
	if (store_diff_new(txn, &d) == STORE_OK &&
	    store_diff_lists(txn, d, roots, 1, &created, &dropped) == STORE_OK)
		store_diff_table(txn, d, "capacity", next_big, &b, &n);
	store_read_end(txn);
	rc = d ? store_diff_apply(st, d, 4, NULL) : STORE_INTERNAL;
	CHECK(rc == STORE_FULL && strstr(store_errmsg(st), "undone"),
	      "80 MB into a store of 64 MB: full: %s", store_errmsg(st));
	CHECK(table_is(st, "capacity", "id=1 name=old | id=1000 name=keep"),
	      "the rows inserted are gone, the row replaced is back");
	store_read_begin(st, &txn);
	CHECK(store_list_key(txn, "undo", &key, &keylen) == STORE_NOTFOUND,
	      "the list created is dropped again");
	store_read_end(txn);
	CHECK(count_of(st, "capacity") == 2, "two rows, as before");
	store_diff_free(d);
	free(b.name);
	store_close(st);
	unlink(p);
	strcat(p, "-lock");
	unlink(p);
}

int main(void)
{
	struct store *st = NULL;
	char err[512];

	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof(path), "%s/mq.mdb", dir);
	CHECK(store_open(path, 0, NULL, &st, err, sizeof(err)) == STORE_OK,
	      "store opens");
	if (st) {
		const char *roots[] = { "list" };
		unsigned c, d;

		CHECK(lists_apply(st, roots, 1, &c, &d) == STORE_OK,
		      "list created");
		run_cases(st);
		bad_sources(st);
		one_key_twice(st);
		first_load(st);
		racing_writers(st);
		small_batches(st);
		no_write_lock(st);
		lists(st);
		store_close(st);
		full_store();
	}
	unlink(path);
	snprintf(err, sizeof(err), "%s/mq.mdb-lock", dir);
	unlink(err);
	rmdir(dir);
	return check_done();
}
