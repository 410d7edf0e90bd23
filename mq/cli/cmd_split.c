/*
 * NAME
 *	cmd_split.c - mq split: the sublist split table of a list
 * SYNOPSIS
 *	mq split add T NAME [--digest] [--domain D] [--hash-lo N] [--hash-hi N]
 *		[--msgnum-lo N] [--msgnum-hi N] [--notuse]
 *	mq split del T LISTNO [--digest]
 *	mq split list T [--digest] [--json]
 *	mq split check T [--digest]
 * DESCRIPTION
 *	Edits and checks T_name (T_digest_name with --digest), the table
 *	that says which sublist sends to which addresses (seed 5.4); the
 *	split itself is "mq list T --sublist NAME --msgnum N".  add and
 *	del take the one write path (mq/ops/split_entry.h): with a
 *	database-address set SQL first.
 * DIAGNOSTICS
 *	One line "mq: ..." naming the option and value; check prints one
 *	line per gap and exits 65 when there is one.
 */
#include <stdlib.h>
#include <string.h>

#include "mq/cli/cli.h"
#include "mq/cli/list_cli.h"
#include "mq/ops/split_entry.h"
#include "mq/cli/table_io.h"

static const char split_usage[] =
	"usage: mq split add T NAME [--digest] [--domain D] [--hash-lo N] "
	"[--hash-hi N]\n"
	"                [--msgnum-lo N] [--msgnum-hi N] [--notuse]\n"
	"       mq split del T LISTNO [--digest]\n"
	"       mq split list T [--digest] [--json]\n"
	"       mq split check T [--digest]\n"
	"The sublist split of list T (T_name; T_digest_name with --digest).\n"
	"add: a new entry for sublist NAME (its listno is printed): the\n"
	"addresses of domain D (the first 3 letters of the last label of\n"
	"an address's domain: 'edu', 'jp', 'hom' for 'home'; default: every\n"
	"domain without an entry of its own) whose hash is in hash-lo..\n"
	"hash-hi (0..52), for messages msgnum-lo..msgnum-hi; --notuse adds\n"
	"it inactive.  del: remove entry LISTNO.  list: every entry.\n"
	"check: every hash range of 0..52 that no active entry covers, for\n"
	"the empty domain and each domain with an entry, per range of\n"
	"message numbers; exit 65 when there is one.\n";

/* split_name - the sublist NAME of split add; false: usage reported */
static bool split_name(struct split_add *s, const char *name)
{
	if (strlen(name) > SUB_ADDR_MAX) {
		cli_error("sublist name longer than %d bytes", SUB_ADDR_MAX);
		return false;
	}
	split_assign_text(s, REG_SPLIT_NAME, name);
	return true;
}

/* parse_add - the options of split add; 0 or the exit status. */
static int parse_add(int argc, char **argv, struct split_add *s,
		     bool *digest)
{
	char err[256];
	int64_t v;

	for (int i = 4; i < argc; i++) {
		const char *val = i + 1 < argc ? argv[i + 1] : NULL;
		size_t k;

		if (!strcmp(argv[i], "--digest")) {
			*digest = true;
			continue;
		}
		if (!strcmp(argv[i], "--notuse")) {
			split_assign_int(s, REG_SPLIT_NOTUSE, 1);
			continue;
		}
		if (!strcmp(argv[i], "--domain") && val) {
			if (!split_assign_domain(s, argv[++i], err,
						 sizeof(err))) {
				cli_error("--domain: %s", err);
				return EXIT_USAGE;
			}
			continue;
		}
		for (k = 0; k < SPLIT_INT_FIELDS; k++)
			if (!strcmp(argv[i], split_int_fields[k].opt))
				break;
		if (k == SPLIT_INT_FIELDS || !val)
			return cli_usage(split_usage);
		i++;
		if (!list_int_arg(split_int_fields[k].opt, val,
				  split_int_fields[k].lo,
				  split_int_fields[k].hi, &v))
			return EXIT_USAGE;
		split_assign_int(s, split_int_fields[k].col, v);
	}
	if (split_bounds_bad(s) >= 0) {
		cli_error("split add: a low bound above its high bound");
		return EXIT_USAGE;
	}
	return 0;
}

/* split_write - open the store, run the add or the delete; exit status */
static int split_write(const char *root, struct split_add *s,
		       struct split_del *d)
{
	int ex = 0;
	struct store *st = cli_open_store(0, &ex);

	if (!st)
		return ex ? ex : EXIT_SOFTWARE;
	ex = cli_exit(s ? split_add(st, root, s) : split_del(st, root, d));
	store_close(st);
	return ex;
}

/* run_add - mq split add T NAME [options]. */
static int run_add(int argc, char **argv)
{
	struct split_add s = { .na = 0 };
	bool digest = false;
	int ex;

	if (argc < 4 || argv[3][0] == '-')
		return cli_usage(split_usage);
	if (!split_name(&s, argv[3]))
		return EXIT_USAGE;
	if ((ex = parse_add(argc, argv, &s, &digest)))
		return ex;
	split_table_name(s.table, sizeof(s.table), argv[2], digest);
	if ((ex = split_write(argv[2], &s, NULL)))
		return ex;
	printf("%s: listno=%lld\n", s.table, (long long)s.listno);
	return 0;
}

/* run_del - mq split del T LISTNO [--digest]. */
static int run_del(int argc, char **argv)
{
	struct split_del d = { .f = { REG_SPLIT_LISTNO, { .kind = SV_INT } } };
	bool digest = argc == 5 && !strcmp(argv[4], "--digest");
	int ex;

	if (argc != 4 + digest)
		return cli_usage(split_usage);
	if (!list_int_arg("LISTNO", argv[3], 1, INT64_MAX, &d.f.v.i))
		return EXIT_USAGE;
	split_table_name(d.table, sizeof(d.table), argv[2], digest);
	if ((ex = split_write(argv[2], NULL, &d)))
		return ex;
	if (d.n == 0) {
		cli_error("%s: no entry with listno %lld", d.table,
			  (long long)d.f.v.i);
		return EXIT_NOTFOUND;
	}
	return 0;
}

/* split_list - mq split list T [--digest] [--json]. */
static int split_list(int argc, char **argv)
{
	char table[REG_NAME_MAX + 16];
	bool digest = false, json = false;
	const struct reg_table *t;
	struct store_txn *txn;
	struct store *st;
	int ex = 0;
	enum store_rc rc;

	for (int i = 3; i < argc; i++)
		if (!strcmp(argv[i], "--digest"))
			digest = true;
		else if (!strcmp(argv[i], "--json"))
			json = true;
		else
			return cli_usage(split_usage);
	split_table_name(table, sizeof(table), argv[2], digest);
	if (!(st = cli_open_store(STORE_RDONLY, &ex)))
		return ex ? ex : EXIT_SOFTWARE;
	rc = store_read_begin(st, &txn);
	if (rc == STORE_OK) {
		rc = store_table_find(txn, table, &t);
		store_read_end(txn);
	}
	if (rc == STORE_NOTFOUND)
		cli_error("no such list: %s", argv[2]);
	ex = rc == STORE_NOTFOUND ? EXIT_DATAERR : rc ? cli_store_fail(st, rc)
		: table_print(st, table, t, NULL, 0, json, false);
	store_close(st);
	return ex == EXIT_NOTFOUND ? 0 : ex;
}

struct gap_out {
	const char *table;
	unsigned gaps;
};

/* print_gap - one line per gap. */
static int print_gap(const struct split_gap *g, void *arg)
{
	struct gap_out *o = arg;

	printf("%s: gap: domain '%s' hash %d-%d, messages %lld-%lld\n",
	       o->table, g->domain, g->hash_lo, g->hash_hi,
	       (long long)g->msgnum_lo, (long long)g->msgnum_hi);
	o->gaps++;
	return 0;
}

/* split_check - mq split check T [--digest]. */
static int split_check(int argc, char **argv)
{
	char table[REG_NAME_MAX + 16];
	bool digest = argc == 4 && !strcmp(argv[3], "--digest");
	struct gap_out o = { .table = table };
	struct store_txn *txn;
	struct store *st;
	uint64_t entries = 0;
	int ex = 0;
	enum store_rc rc;

	if (argc != 3 + digest)
		return cli_usage(split_usage);
	split_table_name(table, sizeof(table), argv[2], digest);
	if (!(st = cli_open_store(STORE_RDONLY, &ex)))
		return ex ? ex : EXIT_SOFTWARE;
	rc = store_read_begin(st, &txn);
	if (rc == STORE_OK) {
		rc = store_split_gaps(txn, argv[2], digest, print_gap, &o,
				      &entries);
		store_read_end(txn);
	}
	if (rc == STORE_NOTFOUND)
		cli_error("no such list: %s", argv[2]);
	ex = rc == STORE_NOTFOUND ? EXIT_DATAERR : rc ? cli_store_fail(st, rc)
		: o.gaps ? EXIT_DATAERR : 0;
	if (rc == STORE_OK && entries == 0)
		printf("%s: no entries (the list is not split)\n", table);
	else if (rc == STORE_OK && o.gaps == 0)
		printf("%s: %llu entries, no gaps\n", table,
		       (unsigned long long)entries);
	store_close(st);
	return ex;
}

int cmd_split(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*run)(int argc, char **argv);
	} subs[] = {
		{ "add", run_add }, { "del", run_del },
		{ "list", split_list }, { "check", split_check },
	};

	if (cli_help(argc, argv, split_usage))
		return 0;
	if (argc < 3)
		return cli_usage(split_usage);
	if (!list_check_root(argv[2]))
		return EXIT_USAGE;
	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++)
		if (!strcmp(argv[1], subs[i].name))
			return subs[i].run(argc, argv);
	return cli_usage(split_usage);
}
