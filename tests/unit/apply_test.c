/*
 * apply_test - store_apply_table and store_apply_lists: the cases of
 * tests/unit/apply_cases.txt (minimal diff, counts, the table equal to
 * the source afterwards, a second apply writing nothing), then bad rows
 * and failing sources leaving everything as it was, then lists.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store.h"
#include "tests/unit/check.h"

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

static uint64_t seq_of(struct store *st)
{
	struct store_txn *t;
	struct store_meta m = { 0 };

	store_read_begin(st, &t);
	store_meta_get(t, &m);
	store_read_end(t);
	return m.seq;
}

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
		if (store_value_parse(t, &t->cols[c], eq, strlen(eq),
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

static enum store_rc apply_fn(struct store_txn *txn, void *arg)
{
	struct apply_op *op = arg;

	op->rows->next = 0;
	return store_apply_table(txn, op->table, next_row, op->rows, &op->n);
}

static enum store_rc make_list(struct store_txn *txn, void *arg)
{
	const char *roots[] = { "list" };
	unsigned c, d;

	(void)arg;
	return store_apply_lists(txn, roots, 1, &c, &d);
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
	CHECK(store_write(st, apply_fn, &op, NULL) == STORE_OK &&
	      table_equals(st, f[0], &before), "%s:%d: %s set up", CASES,
	      lineno, f[0]);
	op.rows = &source;
	CHECK(store_write(st, apply_fn, &op, NULL) == STORE_OK,
	      "%s:%d: apply: %s", CASES, lineno, store_errmsg(st));
	CHECK(op.n.inserted == ins && op.n.updated == upd &&
	      op.n.deleted == del, "%s:%d: counts %lu %lu %lu, want %s",
	      CASES, lineno, (unsigned long)op.n.inserted,
	      (unsigned long)op.n.updated, (unsigned long)op.n.deleted, f[3]);
	CHECK(table_equals(st, f[0], &source), "%s:%d: table equals source",
	      CASES, lineno);
	seq = seq_of(st);
	CHECK(store_write(st, apply_fn, &op, NULL) == STORE_OK &&
	      op.n.inserted + op.n.updated + op.n.deleted == 0 &&
	      seq_of(st) == seq, "%s:%d: again: nothing written", CASES,
	      lineno);
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
	store_write(st, apply_fn, &op, NULL);
	seq = seq_of(st);
	parse_rows(t, "hash=1 address=c@x | hash=\\N address=d@x", &bad);
	op.rows = &bad;
	CHECK(store_write(st, apply_fn, &op, NULL) == STORE_BADDATA,
	      "a NULL in a NOT NULL column is refused");
	CHECK(strstr(store_errmsg(st), "hash") &&
	      strstr(store_errmsg(st), "address=d@x"),
	      "the message names column and key: %s", store_errmsg(st));
	CHECK(seq_of(st) == seq && table_equals(st, "list", &good),
	      "and nothing was applied");
	bad.fail_at = STORE_IO;
	CHECK(store_write(st, apply_fn, &op, NULL) == STORE_IO &&
	      seq_of(st) == seq && table_equals(st, "list", &good),
	      "a source failing mid-way changes nothing");
	bad.fail_at = STORE_OK;
	rows_free(&bad);
	parse_rows(reg_mailerq_find("capacity"), "id=0 domain=x", &bad);
	op = (struct apply_op){ "capacity", &bad, { 0 } };
	CHECK(store_write(st, apply_fn, &op, NULL) == STORE_BADDATA &&
	      strstr(store_errmsg(st), "positive") && seq_of(st) == seq,
	      "an auto-increment id of 0 is refused: %s", store_errmsg(st));
	rows_free(&good);
	rows_free(&bad);
}

struct lists_op {
	const char *const *roots;
	size_t n;
	unsigned created, dropped;
};

static enum store_rc lists_fn(struct store_txn *txn, void *arg)
{
	struct lists_op *op = arg;

	return store_apply_lists(txn, op->roots, op->n, &op->created,
				 &op->dropped);
}

static void lists(struct store *st)
{
	const char *const two[] = { "list", "news" }, *const one[] = { "news" };
	struct lists_op op = { two, 2, 0, 0 };
	const uint8_t *key;
	struct store_txn *txn;
	size_t keylen = 0;
	uint64_t seq;

	CHECK(store_write(st, lists_fn, &op, NULL) == STORE_OK &&
	      op.created == 1 && op.dropped == 0, "a missing list is created");
	store_read_begin(st, &txn);
	CHECK(store_list_key(txn, "news", &key, &keylen) == STORE_OK &&
	      keylen == 32, "with a 32-byte secret key");
	store_read_end(txn);
	seq = seq_of(st);
	CHECK(store_write(st, lists_fn, &op, NULL) == STORE_OK &&
	      op.created + op.dropped == 0 && seq_of(st) == seq,
	      "the same lists again write nothing");
	op = (struct lists_op){ one, 1, 0, 0 };
	CHECK(store_write(st, lists_fn, &op, NULL) == STORE_OK &&
	      op.dropped == 1 && op.created == 0, "a list not wanted is "
	      "dropped");
	store_read_begin(st, &txn);
	CHECK(store_list_key(txn, "list", &key, &keylen) == STORE_NOTFOUND,
	      "and gone");
	store_read_end(txn);
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
		CHECK(store_write(st, make_list, NULL, NULL) == STORE_OK,
		      "list created");
		run_cases(st);
		bad_sources(st);
		lists(st);
		store_close(st);
	}
	unlink(path);
	snprintf(err, sizeof(err), "%s/mq.mdb-lock", dir);
	unlink(err);
	rmdir(dir);
	return check_done();
}
