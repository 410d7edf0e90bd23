/*
 * NAME
 *	table_io.c - printing rows and loading TSV rows for mq's commands
 * DESCRIPTION
 *	table_load_stdin() reads and checks the whole input before it
 *	writes anything, so a bad line costs nothing; the rows are then
 *	written as one batch of the write path (mq/ops/table_write.h) or
 *	in batches of N rows, each committed (a process killed between
 *	two leaves whole batches); with database-address set each batch
 *	is one SQL transaction first.
 */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "mq/cli/cli.h"
#include "mq/cli/table_io.h"
#include "mq/cli/tsv.h"
#include "mq/ops/ops.h"
#include "mq/ops/table_write.h"

#define INPUT_MAX	(16ull << 30)	/* bytes of stdin at most */

#define HIDDEN	"(hidden: mq get --secrets shows it)"

struct print_state {
	const struct reg_table *t;
	bool json, secrets;
	uint64_t rows;
	int bad;		/* a value JSON cannot hold */
};

/* print_json_row - one object; false when a text is not UTF-8. */
static bool print_json_row(const struct reg_table *t,
			   const struct store_row *row, bool first)
{
	json_t *o = json_object();
	char *s;
	bool ok = true;

	for (int i = 0; i < t->ncols && ok; i++) {
		json_t *v = ops_json_value(&row->col[i]);
		ok = v && json_object_set_new(o, t->cols[i].name, v) == 0;
	}
	for (int i = 0; i < row->nextra && ok; i++) {
		json_t *v = ops_json_value(&row->extra[i].v);
		ok = v && json_object_setn_new(o, row->extra[i].name,
					       row->extra[i].namelen, v) == 0;
	}
	if (ok && (s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER))) {
		printf("%s%s", first ? "\n" : ",\n", s);
		free(s);
	}
	json_decref(o);
	return ok;
}

/* hide_secrets - row with its secret columns' values replaced. */
static const struct store_row *hide_secrets(const struct reg_table *t,
					    const struct store_row *row,
					    struct store_row *copy)
{
	bool any = false;

	for (int i = 0; i < t->ncols; i++)
		any |= (t->cols[i].flags & REG_SECRET) &&
		       row->col[i].kind != SV_NULL;
	if (!any)
		return row;
	*copy = *row;
	for (int i = 0; i < t->ncols; i++)
		if ((t->cols[i].flags & REG_SECRET) &&
		    row->col[i].kind != SV_NULL)
			copy->col[i] = (struct store_value){ .kind = SV_TEXT,
				.s = HIDDEN, .len = sizeof(HIDDEN) - 1 };
	return copy;
}

static int print_row(const struct store_row *row, void *arg)
{
	struct print_state *p = arg;
	static struct store_row copy;	/* the CLI prints from one thread */

	if (!p->secrets)
		row = hide_secrets(p->t, row, &copy);

	if (p->json && !print_json_row(p->t, row, p->rows == 0)) {
		p->bad = 1;
		return 1;
	}
	if (!p->json) {
		if (p->rows == 0)
			tsv_write_header(stdout, p->t);
		tsv_write_row(stdout, p->t, row);
	}
	p->rows++;
	return 0;
}

int table_print(struct store *st, const char *name, const struct reg_table *t,
		const struct store_filter *f, int nf, bool json, bool secrets)
{
	struct print_state p = { t, json, secrets, 0, 0 };
	struct store_txn *txn;
	enum store_rc rc = store_read_begin(st, &txn);

	if (json)
		fputs("[", stdout);
	if (rc == STORE_OK)
		rc = store_scan(txn, name, f, nf, print_row, &p);
	store_read_end(txn);
	if (json)
		fputs(p.rows ? "\n]\n" : "]\n", stdout);
	if (!json && p.rows == 0 && rc == STORE_OK)
		tsv_write_header(stdout, t);
	if (fflush(stdout) != 0) {
		cli_error("stdout: %s", strerror(errno));
		return EXIT_SOFTWARE;
	}
	if (rc)
		return cli_store_fail(st, rc);
	if (p.bad) {
		cli_error("%s: a text value is not UTF-8; JSON cannot hold it "
			  "(the TSV output is lossless)", name);
		return EXIT_DATAERR;
	}
	return p.rows ? 0 : EXIT_NOTFOUND;
}

/* The checked input: nrows rows of ncols assignments. */
struct load {
	const char *table;
	const struct reg_table *t;
	struct store_assign *a;
	int ncols;
	size_t nrows, start, end;
	bool force_hash;	/* --hash: special hashes are meant */
};

static char *read_stdin(size_t *len)
{
	size_t cap = 1 << 20, n = 0;
	char *buf = malloc(cap + 1);

	while (buf) {
		size_t r = fread(buf + n, 1, cap - n, stdin);

		n += r;
		if (r == 0)
			break;
		if (n == cap) {
			char *b = cap * 2 > INPUT_MAX ? NULL
				: realloc(buf, cap * 2 + 1);
			if (!b)
				free(buf);
			buf = b;
			cap *= 2;
		}
	}
	if (buf && ferror(stdin)) {
		free(buf);
		return NULL;
	}
	if (buf)
		buf[n] = 0;
	*len = n;
	return buf;
}

/* parse_header - the column of each field of the header line. */
static int parse_header(struct load *l, char *line, int cols[REG_MAX_COLS])
{
	char *fields[REG_MAX_COLS];
	size_t lens[REG_MAX_COLS];
	bool seen[REG_MAX_COLS] = { 0 };
	int bad, n = tsv_split(line, fields, lens, REG_MAX_COLS, &bad);

	if (n < 0) {
		cli_error("stdin:1: bad header line (field %d)", bad);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		cols[i] = fields[i] ? reg_column_index(l->t, fields[i]) : -1;
		if (cols[i] < 0 || seen[cols[i]]) {
			cli_error("stdin:1: %s: %s column '%s'", l->table,
				  cols[i] < 0 ? "no" : "duplicate",
				  fields[i] ? fields[i] : "\\N");
			return -1;
		}
		seen[cols[i]] = true;
	}
	return n;
}

/* parse_line - one data line into row r of l. */
static bool parse_line(struct load *l, char *line, size_t lineno,
		       const int cols[REG_MAX_COLS], size_t r)
{
	char *fields[REG_MAX_COLS], err[512];
	size_t lens[REG_MAX_COLS];
	struct store_assign *a = l->a + r * (size_t)l->ncols;
	int bad, n = tsv_split(line, fields, lens, l->ncols, &bad);

	if (n != l->ncols) {
		cli_error("stdin:%zu: %d fields, the header has %d", lineno,
			  n < 0 ? l->ncols + 1 : n, l->ncols);
		return false;
	}
	for (int i = 0; i < n; i++) {
		a[i].col = cols[i];
		a[i].v = (struct store_value){ .kind = SV_NULL };
		if (fields[i] && store_value_parse(l->t, l->table,
						   &l->t->cols[cols[i]],
						   fields[i], lens[i], &a[i].v,
						   err, sizeof(err))) {
			cli_error("stdin:%zu: %s", lineno, err);
			return false;
		}
	}
	return true;
}

static size_t count_lines(const char *buf, size_t len)
{
	size_t n = 0;

	for (const char *p = buf; (p = memchr(p, '\n', len - (size_t)(p - buf)));
	     p++)
		n++;
	return n + 1;
}

/*
 * nul_free - no NUL byte in the input: the lines are C strings, and one
 *	would silently end the input there.  false after reporting its line.
 */
static bool nul_free(const char *buf, size_t len)
{
	const char *nul = memchr(buf, 0, len);

	if (!nul)
		return true;
	cli_error("stdin:%zu: a NUL byte: TSV values cannot hold one "
		  "(nothing written)", count_lines(buf, (size_t)(nul - buf)));
	return false;
}

/* parse_input - check every line of buf into l; false after reporting. */
static bool parse_input(struct load *l, char *buf, size_t len)
{
	int cols[REG_MAX_COLS];
	size_t lineno = 0;
	char *line = buf, *nl;
	size_t nlines = count_lines(buf, len);

	if (!nul_free(buf, len))
		return false;
	for (; line && *line; line = nl) {
		nl = strchr(line, '\n');
		if (nl)
			*nl++ = 0;
		if (nl && nl > line + 1 && nl[-2] == '\r')
			nl[-2] = 0;
		if (++lineno > 1) {
			if (!parse_line(l, line, lineno, cols, l->nrows++))
				return false;
			continue;
		}
		if ((l->ncols = parse_header(l, line, cols)) < 0)
			return false;
		l->a = calloc(nlines, (size_t)l->ncols * sizeof(*l->a) + 1);
		if (!l->a) {
			cli_error("out of memory");
			return false;
		}
	}
	if (lineno == 0)
		cli_error("stdin: no header line");
	return lineno > 0;
}

/* fill_rows - rows start..end of l as table_set_rows */
static void fill_rows(const struct load *l, struct table_set_row *rows)
{
	for (size_t r = l->start; r < l->end; r++)
		rows[r - l->start] = (struct table_set_row){
			.a = l->a + r * (size_t)l->ncols, .n = l->ncols,
			.force_hash = l->force_hash };
}

/*
 * check_batches - table_set_check of every batch before any is
 *	written, so that --batch writes nothing of an input with a row
 *	that rule refuses (a DKIM key that does not fit its algorithm).
 */
static int check_batches(struct store *st, struct load *l, size_t batch,
			 struct table_set_row *rows)
{
	char msg[1024];
	enum result_kind k = RESULT_OK;

	for (l->start = 0; l->start < l->nrows; l->start = l->end) {
		l->end = batch && l->nrows - l->start > batch
			? l->start + batch : l->nrows;
		fill_rows(l, rows);
		ops_capture(msg, sizeof(msg));
		k = table_set_check(st, l->table, rows, l->end - l->start);
		ops_capture_end();
		if (k)
			break;
	}
	if (!k)
		return 0;
	cli_error("%s: nothing written: in rows %zu-%zu: %s", l->table,
		  l->start + 1, l->end, msg);
	return cli_exit(k);
}

/* write_one - rows start..end of l as one batch of the write path */
static int write_one(struct store *st, struct load *l,
		     struct table_set_row *rows)
{
	char msg[1024];
	enum result_kind k;

	fill_rows(l, rows);
	ops_capture(msg, sizeof(msg));
	k = table_write_set(st, l->table, rows, l->end - l->start);
	ops_capture_end();
	if (!k)
		return 0;
	cli_progress_done();
	if (l->start)
		cli_error("%s: rows 1-%zu were written; rows %zu-%zu failed",
			  l->table, l->start, l->start + 1, l->end);
	cli_error("%s", msg);
	return cli_exit(k);
}

/* write_batches - the rows in batches of batch (0: one for all) */
static int write_batches(struct store *st, struct load *l, size_t batch)
{
	struct table_set_row *rows;
	size_t txns = 0;
	int ex = 0;

	if (!(rows = calloc(batch && batch < l->nrows ? batch : l->nrows + 1,
			    sizeof(*rows)))) {
		cli_error("out of memory");
		return EXIT_SOFTWARE;
	}
	if (batch && batch < l->nrows)
		ex = check_batches(st, l, batch, rows);
	for (l->start = 0; l->start < l->nrows && !ex; l->start = l->end) {
		l->end = batch && l->nrows - l->start > batch
			? l->start + batch : l->nrows;
		if (!(ex = write_one(st, l, rows)))
			txns++;
		cli_progress("%s: %zu/%zu rows", l->table, l->end, l->nrows);
	}
	free(rows);
	if (ex)
		return ex;
	cli_progress_done();
	printf("%s: set %zu row%s in %zu transaction%s\n", l->table, l->nrows,
	       l->nrows == 1 ? "" : "s", txns, txns == 1 ? "" : "s");
	return 0;
}

int table_load_stdin(int argc, char **argv, const char *usage,
		     bool force_hash)
{
	struct load l = { .table = argv[1], .force_hash = force_hash };
	struct store_txn *txn;
	struct store *st;
	size_t batch = 0, len;
	char *buf, *end;
	enum store_rc rc;
	int ex = 0;

	if (argc == 5 && strcmp(argv[3], "--batch") == 0) {
		batch = strtoull(argv[4], &end, 10);
		if (*end || batch == 0)
			return cli_usage(usage);
	} else if (argc != 3)
		return cli_usage(usage);
	if (!(st = cli_open_store(0, &ex)))
		return ex;
	rc = store_read_begin(st, &txn);
	if (rc == STORE_OK)
		rc = store_table_find(txn, l.table, &l.t);
	store_read_end(txn);
	if (rc) {
		ex = rc == STORE_NOTFOUND ? EXIT_DATAERR : cli_store_exit(rc);
		cli_error("%s", store_errmsg(st));
	} else if (!(buf = read_stdin(&len))) {
		cli_error("stdin: %s", ferror(stdin) ? strerror(errno)
			  : "out of memory");
		ex = EXIT_SOFTWARE;
	} else {
		if (!parse_input(&l, buf, len))
			ex = EXIT_DATAERR;
		else
			ex = write_batches(st, &l, batch);
		free(buf);
	}
	free(l.a);
	store_close(st);
	return ex;
}
