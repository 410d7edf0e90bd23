/*
 * NAME
 *	cmd_import.c - mq import, mq export: lists from and to other formats
 * SYNOPSIS
 *	mq import ezmlm DIR [T] [--replace]
 *	mq export ezmlm T DIR
 * DESCRIPTION
 *	The formats live in import/ behind struct import_format; this file
 *	parses the command line, picks the list name, supplies a random
 *	key for a source without one, and reports what was done.  The
 *	import itself is list_import() (mq/ops/list_write.h): with a
 *	database-address set, one batch of the write path, SQL first.
 * DIAGNOSTICS
 *	Exit 0 ok; 1 no such directory (import) or list (export); 64
 *	usage; 65 a malformed or truncated file, or the list (import) or
 *	directory (export) exists already; 70 a file or the store could
 *	not be read or written.
 */
#include <stdio.h>
#include <string.h>


#include "import/import.h"
#include "mq/cli/cli.h"
#include "mq/ops/list_write.h"


static const char import_usage[] =
	"usage: mq import ezmlm DIR [T] [--replace]\n"
	"Read the ezmlm-idx list directory DIR (subscribers/, Log and key, and\n"
	"the same for digest/, allow/, deny/, mod/) into a new list T, all or\n"
	"nothing: a malformed or truncated file is reported by name and\n"
	"nothing is written.  T defaults to DIR's base name, lower-cased,\n"
	"other bytes than letters, digits and '_' made '_', and \"list_\" in\n"
	"front when it does not start with a letter.  --replace drops an\n"
	"existing list T first (in the same transaction).\n";

static const char export_usage[] =
	"usage: mq export ezmlm T DIR\n"
	"Write list T as a new ezmlm-idx list directory DIR (key, subscribers/,\n"
	"Log, digest/, allow/, deny/, mod/), modes 0700/0600, built under a\n"
	"temporary name and renamed into place: DIR appears whole or not at\n"
	"all.  DIR must not exist.  Blocked addresses (hash 53..97) have no\n"
	"place in that format and are left out (counted on stderr).\n";

static const char *const table_names[IMPORT_TABLES] = {
	"subscribers", "digest", "allow", "deny", "mod",
};

/* import_exit - the exit status of a failed load or dump, reported. */
static int import_exit(enum import_rc rc, const struct import_result *res)
{
	cli_error("%s", res->err);
	switch (rc) {
	case IMPORT_NOTFOUND:
		return EXIT_NOTFOUND;
	case IMPORT_BADDATA:
	case IMPORT_EXISTS:
		return EXIT_DATAERR;
	case IMPORT_STORE:
		return cli_store_exit(res->store_rc);
	case IMPORT_IO:
	case IMPORT_OK:
		break;
	}
	return EXIT_SOFTWARE;
}

/* print_counts - "N subscribers, N digest, ...; N Log lines". */
static void print_counts(const struct import_result *res)
{
	uint64_t lines = 0;

	for (int i = 0; i < IMPORT_TABLES; i++) {
		printf("%s%llu %s", i ? ", " : "",
		       (unsigned long long)res->addresses[i], table_names[i]);
		lines += res->log_lines[i];
	}
	printf("; %llu Log lines\n", (unsigned long long)lines);
}

/*
 * print_warnings - what an import kept as the directory has it but
 *	mq's own writes would not make: said once each, with the numbers.
 */
static void print_warnings(const struct import_result *res, const char *dir,
			   const char *root)
{
	if (res->placed_at_zero)
		cli_error("warning: %s: %llu addresses were in a subscribers/@ "
			  "file though their hash is not 0 (a hand-made "
			  "directory?): placed with hash 0, as ezmlm-idx "
			  "keeps them: it sends to them, but ezmlm-issub and "
			  "ezmlm-unsub look for each in the file of its own "
			  "hash and miss them.  To give them their own: "
			  "mq list %s --hash 0 > F; mq unsub %s --hash 0 - < F;"
			  " mq sub %s - < F", dir,
			  (unsigned long long)res->placed_at_zero, root, root,
			  root);
	if (res->odd_addresses)
		cli_error("warning: %llu addresses kept as the directory has "
			  "them, though mq sub would refuse them; the first: "
			  "%s", (unsigned long long)res->odd_addresses,
			  res->odd_address);
}

/* print_notes - what the user should know but did not fail. */
static void print_notes(const struct import_result *res)
{
	uint64_t dup = 0;

	for (int i = 0; i < IMPORT_TABLES; i++)
		dup += res->duplicates[i];
	if (dup)
		cli_error("note: %llu addresses given twice (whatever their "
			  "case): the first kept", (unsigned long long)dup);
	if (res->cut_comments)
		cli_error("note: %llu Log comments cut to 255 bytes",
			  (unsigned long long)res->cut_comments);
	if (res->ignored_files)
		cli_error("note: %llu files in subscribers/ directories are not"
			  " ezmlm's and were ignored",
			  (unsigned long long)res->ignored_files);
	if (res->key_generated)
		cli_error("note: no key file: the list got a new random key");
	if (res->left_out)
		cli_error("note: %llu blocked addresses (hash 53..97) left out",
			  (unsigned long long)res->left_out);
}

/* find_format - the format argv names, or report it. */
static const struct import_format *find_format(const char *name)
{
	const struct import_format *f = import_find(name);

	if (!f)
		cli_error("unknown format '%s' (known: ezmlm)", name);
	return f;
}

int cmd_import(int argc, char **argv)
{
	struct import_options opt = { 0 };
	struct import_result res;
	const struct import_format *f;
	const char *arg[3], *root;
	char made[REG_NAME_MAX];
	struct store *st;
	enum import_rc rc;
	int n = 0, ex = 0;

	if (cli_help(argc, argv, import_usage))
		return 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--replace") == 0)
			opt.replace = true;
		else if (n < 3 && (argv[i][0] != '-' || !argv[i][1]))
			arg[n++] = argv[i];
		else
			return cli_usage(import_usage);
	}
	if (n < 2)
		return cli_usage(import_usage);
	if (!(f = find_format(arg[0])))
		return EXIT_USAGE;
	root = n == 3 ? arg[2] : made;
	if (n == 2 && import_root_from_path(arg[1], made, sizeof(made))) {
		cli_error("%s: no list name comes from that directory name; "
			  "give T", arg[1]);
		return EXIT_USAGE;
	}
	if (!(st = cli_open_store(0, &ex)))
		return ex;
	cli_meter_start("import", METER_READ, 0);
	ex = list_import(st, f, arg[1], root, &opt, &res, &rc);
	ex = rc ? 0 : cli_exit(ex);
	if (rc || ex)
		cli_meter_stop();
	else
		cli_meter_end("%s into list %s", arg[1], root);
	if (rc)
		ex = import_exit(rc, &res);
	else if (!ex) {
		printf("list %s imported from %s: ", root, arg[1]);
		print_counts(&res);
		print_notes(&res);
		print_warnings(&res, arg[1], root);
	}
	store_close(st);
	return ex;
}

int cmd_export(int argc, char **argv)
{
	const struct import_format *f;
	struct import_result res;
	struct store *st;
	enum import_rc rc;
	int ex = 0;

	if (cli_help(argc, argv, export_usage))
		return 0;
	if (argc != 4)
		return cli_usage(export_usage);
	if (!(f = find_format(argv[1])))
		return EXIT_USAGE;
	if (!(st = cli_open_store(STORE_RDONLY, &ex)))
		return ex;
	cli_meter_start("export", METER_WRITTEN, 0);
	rc = f->dump(st, argv[2], argv[3], &res);
	if (rc)
		cli_meter_stop();
	else
		cli_meter_end("list %s to %s", argv[2], argv[3]);
	if (rc)
		ex = import_exit(rc, &res);
	else {
		printf("list %s exported to %s: ", argv[2], argv[3]);
		print_counts(&res);
		print_notes(&res);
	}
	store_close(st);
	return ex;
}
