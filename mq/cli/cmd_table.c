/*
 * NAME
 *	cmd_table.c - mq get, set, del, dump: rows of any table
 * SYNOPSIS
 *	mq get TABLE [--json] [--secrets] [col=val ...]
 *	mq set TABLE col=val ...
 *	mq set TABLE - [--batch N]		(TSV rows on stdin)
 *	mq del TABLE col=val ... | --all
 *	mq dump TABLE [--json]
 * DESCRIPTION
 *	A value "\N" is NULL; anything else is the value as typed.  Rows
 *	print as TSV with a header line (see tsv.h) or, with --json, as a
 *	JSON array of objects.
 *
 *	With database-address set, SQL is authoritative: set and del
 *	write to SQL first, then to the store; when SQL fails nothing
 *	changes anywhere.  The write path is table_write_set/_del
 *	(table_write.c), which the HTTP API shares.
 */
#include <stdlib.h>
#include <string.h>

#include "mq/cli/cli.h"
#include "mq/cli/table_io.h"
#include "mq/ops/table_write.h"

#define MAX_PAIRS REG_MAX_COLS

static const char get_usage[] =
	"usage: mq get TABLE [--json] [--secrets] [col=val ...]\n"
	"Print the rows of TABLE whose columns equal the values given (all\n"
	"rows without any), as TSV with a header line or as JSON.  A value\n"
	"\\N matches NULL.  A secret column (dkim_keys.privatekey) shows\n"
	"a placeholder unless --secrets is given ('mq dump' shows it).\n"
	"Exit status 1 when no row matches.\n";

static const char set_usage[] =
	"usage: mq set TABLE [--hash] col=val ...\n"
	"       mq set TABLE - [--hash] [--batch N]\n"
	"Insert or update one row: with the whole primary key given, the row\n"
	"with that key is updated (only the columns given change) or\n"
	"inserted; an auto-increment id left out is allocated and printed.\n"
	"Columns left out of a new row take their defaults.  A value \\N is\n"
	"NULL.  With '-', rows come from stdin as TSV (the format 'mq dump'\n"
	"writes: a header line naming the columns, \\N for NULL, \\t \\n \\r\n"
	"\\\\ escapes).  The whole input is checked before anything is\n"
	"written; it is written in one transaction, or with --batch N in\n"
	"transactions of N rows.  A list's address table (T, T_digest,\n"
	"...) gets the domain and hash computed from the address; a hash\n"
	"given must be the address's own, or with --hash a special one\n"
	"(99 a sublist, 98 the return-receipt address, 53..97 blocked).\n";

static const char del_usage[] =
	"usage: mq del TABLE col=val ... | mq del TABLE --all\n"
	"Delete the rows whose columns equal the values given (\\N matches\n"
	"NULL); --all deletes every row.  Exit status 1 when none matched.\n";

static const char dump_usage[] =
	"usage: mq dump TABLE [--json]\n"
	"Print every row of TABLE, as TSV with a header line (lossless: the\n"
	"input format of 'mq set TABLE -') or as a JSON array of objects.\n";

/* parse_pairs - col=val arguments into assignments of table t, name. */
static int parse_pairs(const struct reg_table *t, const char *name, int argc,
		       char **argv, struct store_assign *out, int *n)
{
	char err[512];

	*n = 0;
	for (int i = 0; i < argc; i++) {
		char *eq = strchr(argv[i], '=');
		int col;

		if (!eq || eq == argv[i]) {
			cli_error("%s: expected col=val", argv[i]);
			return EXIT_USAGE;
		}
		*eq = 0;
		col = reg_column_index(t, argv[i]);
		*eq = '=';
		if (col < 0) {
			cli_error("%s: no column %.*s", name,
				  (int)(eq - argv[i]), argv[i]);
			return EXIT_DATAERR;
		}
		if (*n == MAX_PAIRS) {
			cli_error("%s: too many col=val", name);
			return EXIT_USAGE;
		}
		out[*n].col = col;
		if (strcmp(eq + 1, "\\N") == 0)
			out[*n].v = (struct store_value){ .kind = SV_NULL };
		else if (store_value_parse(t, name, &t->cols[col], eq + 1,
					   strlen(eq + 1), &out[*n].v, err,
					   sizeof(err))) {
			cli_error("%s", err);
			return EXIT_DATAERR;
		}
		(*n)++;
	}
	return 0;
}

/*
 * table_args - open the store, resolve TABLE and parse col=val pairs.
 *	On success returns 0 with *st open; otherwise the exit status.
 */
static int table_args(int argc, char **argv, unsigned flags,
		      struct store **st, const struct reg_table **t,
		      struct store_assign *pairs, int *npairs)
{
	struct store_txn *txn;
	enum store_rc rc;
	int ex = 0;

	*st = cli_open_store(flags, &ex);
	if (!*st)
		return ex;
	rc = store_read_begin(*st, &txn);
	if (rc == STORE_OK)
		rc = store_table_find(txn, argv[0], t);
	store_read_end(txn);
	if (rc == STORE_NOTFOUND)
		ex = EXIT_DATAERR;
	if (rc) {
		cli_error("%s (see 'mq tables')", store_errmsg(*st));
		ex = ex ? ex : cli_store_exit(rc);
	}
	if (!ex)
		ex = parse_pairs(*t, argv[0], argc - 1, argv + 1, pairs,
				 npairs);
	if (ex) {
		store_close(*st);
		*st = NULL;
	}
	return ex;
}

/* take_flag - remove flag from argv; whether it was there. */
static bool take_flag(int *argc, char **argv, const char *flag)
{
	for (int i = 1; i < *argc; i++)
		if (strcmp(argv[i], flag) == 0) {
			memmove(argv + i, argv + i + 1,
				(size_t)(*argc - i) * sizeof(*argv));
			(*argc)--;
			return true;
		}
	return false;
}

int cmd_get(int argc, char **argv)
{
	struct store_assign pairs[MAX_PAIRS];
	struct store_filter f[MAX_PAIRS];
	const struct reg_table *t;
	struct store *st;
	bool json, secrets;
	int n, ex;

	if (cli_help(argc, argv, get_usage))
		return 0;
	json = take_flag(&argc, argv, "--json");
	secrets = take_flag(&argc, argv, "--secrets");
	if (argc < 2)
		return cli_usage(get_usage);
	if ((ex = table_args(argc - 1, argv + 1, STORE_RDONLY, &st, &t, pairs,
			     &n)))
		return ex;
	for (int i = 0; i < n; i++)
		f[i] = (struct store_filter){ pairs[i].col, pairs[i].v };
	ex = table_print(st, argv[1], t, f, n, json, secrets);
	store_close(st);
	return ex;
}

int cmd_dump(int argc, char **argv)
{
	const struct reg_table *t;
	struct store *st;
	int n, ex;
	bool json;

	if (cli_help(argc, argv, dump_usage))
		return 0;
	json = take_flag(&argc, argv, "--json");
	if (argc != 2)
		return cli_usage(dump_usage);
	if ((ex = table_args(1, argv + 1, STORE_RDONLY, &st, &t, NULL, &n)))
		return ex;
	ex = table_print(st, argv[1], t, NULL, 0, json, true);	/* lossless */
	store_close(st);
	return ex == EXIT_NOTFOUND ? 0 : ex;
}

int cmd_set(int argc, char **argv)
{
	struct store_assign pairs[MAX_PAIRS];
	const struct reg_table *t;
	struct table_set_row row;
	struct store *st;
	int n, ex;
	bool force_hash;

	if (cli_help(argc, argv, set_usage))
		return 0;
	force_hash = take_flag(&argc, argv, "--hash");
	if (argc >= 3 && strcmp(argv[2], "-") == 0)
		return table_load_stdin(argc, argv, set_usage, force_hash);
	if (argc < 3)
		return cli_usage(set_usage);
	if ((ex = table_args(argc - 1, argv + 1, 0, &st, &t, pairs, &n)))
		return ex;
	row = (struct table_set_row){ .a = pairs, .n = n,
				      .force_hash = force_hash };
	ex = cli_exit(table_write_set(st, argv[1], &row, 1));
	if (!ex && row.id)
		printf("%s: id=%lld\n", argv[1], (long long)row.id);
	store_close(st);
	return ex;
}

int cmd_del(int argc, char **argv)
{
	struct store_assign pairs[MAX_PAIRS];
	struct store_filter f[MAX_PAIRS];
	const struct reg_table *t;
	uint64_t deleted;
	struct store *st;
	bool all;
	int n, ex;

	if (cli_help(argc, argv, del_usage))
		return 0;
	all = take_flag(&argc, argv, "--all");
	if (argc < 2 || (all == (argc > 2)))
		return cli_usage(del_usage);
	if ((ex = table_args(argc - 1, argv + 1, 0, &st, &t, pairs, &n)))
		return ex;
	for (int i = 0; i < n; i++)
		f[i] = (struct store_filter){ pairs[i].col, pairs[i].v };
	ex = cli_exit(table_write_del(st, argv[1], f, n, &deleted));
	if (!ex) {
		printf("%s: deleted %llu row%s\n", argv[1],
		       (unsigned long long)deleted, deleted == 1 ? "" : "s");
		ex = deleted ? 0 : EXIT_NOTFOUND;
	}
	store_close(st);
	return ex;
}
