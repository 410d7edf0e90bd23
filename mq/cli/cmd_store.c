/*
 * NAME
 *	cmd_store.c - mq tables, stat, backup, verify, list-create,
 *	list-drop, config
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mq/cli/cli.h"
#include "mq/ops/list_write.h"

static const char tables_usage[] =
	"usage: mq tables [TABLE]\n"
	"List the tables (the MailerQ tables, then each list's tables), or\n"
	"the columns of TABLE: name, type, maximum bytes of a text, key,\n"
	"NOT NULL and default.\n";

static const char stat_usage[] =
	"usage: mq stat\n"
	"Print the store file, its uuid, epoch and change sequence, file and\n"
	"map size, reader slots in use, and the row count of every table.\n";

static const char backup_usage[] =
	"usage: mq backup [--force] FILE\n"
	"Write a consistent, compacted copy of the store to FILE (mode 0600)\n"
	"while writers go on, then verify it.  An existing FILE is replaced\n"
	"only with --force.  A store copied with cp while\n"
	"mq writes to it is NOT a valid backup; with every mq process\n"
	"stopped, copying the data file is.\n";

static const char verify_usage[] =
	"usage: mq verify [FILE]\n"
	"Walk every table, the meta record and the change log of FILE (the\n"
	"configured store by default) and decode every row.  A corrupt or\n"
	"truncated file is reported (exit 65); mq itself never crashes on it.\n";

static const char list_create_usage[] =
	"usage: mq list-create T\n"
	"Create mailing list T: its tables T, T_digest, T_allow, T_deny,\n"
	"T_mod, their _slog tables, T_cookie, T_digest_cookie, T_mlog,\n"
	"T_digest_mlog, T_name and T_digest_name, and a random secret key.\n"
	"T is a lower-case letter, then lower-case letters, digits and '_'.\n";

static const char list_drop_usage[] =
	"usage: mq list-drop T\n"
	"Remove mailing list T with every row of its tables.\n";

static const char config_usage[] =
	"usage: mq config\n"
	"Print the effective configuration (defaults, the config file, then\n"
	"MQ_* environment variables), secrets shown as ***.\n";

static void print_columns(const struct reg_table *t)
{
	char max[24];

	printf("%-24s %-5s %-8s %-4s %-8s %s\n", "column", "type", "max",
	       "key", "not null", "default");
	for (int i = 0; i < t->ncols; i++) {
		const struct reg_column *c = &t->cols[i];

		snprintf(max, sizeof(max), "%zu", c->maxlen);
		printf("%-24s %-5s %-8s %-4s %-8s %s\n", c->name,
		       reg_type_name(c->type), c->type == REG_TEXT ? max : "",
		       c->flags & REG_AUTO ? "auto" :
		       c->flags & REG_PK ? "yes" : "",
		       c->flags & REG_NOTNULL ? "yes" : "",
		       c->dflt ? (*c->dflt ? c->dflt : "''") : "NULL");
	}
}

static int print_list_tables(const char *root, void *arg)
{
	(void)arg;
	for (int i = 0; reg_list[i]; i++)
		printf("%s%-*s %s\n", root,
		       (int)(32 - strlen(root) > 0 ? 32 - strlen(root) : 1),
		       reg_list[i]->name, reg_list[i]->about);
	return 0;
}

int cmd_tables(int argc, char **argv)
{
	const struct reg_table *t;
	struct store_txn *txn;
	struct store *st;
	enum store_rc rc;
	int ex = 0;

	if (cli_help(argc, argv, tables_usage))
		return 0;
	if (argc > 2)
		return cli_usage(tables_usage);
	if (!(st = cli_open_store(0, &ex)))
		return ex;
	if ((rc = store_read_begin(st, &txn)))
		ex = cli_store_fail(st, rc);
	else if (argc == 2) {
		rc = store_table_find(txn, argv[1], &t);
		if (rc == STORE_OK)
			print_columns(t);
		else {
			cli_error("%s", store_errmsg(st));
			ex = EXIT_DATAERR;
		}
	} else {
		for (int i = 0; reg_mailerq[i]; i++)
			printf("%-32s %s\n", reg_mailerq[i]->name,
			       reg_mailerq[i]->about);
		rc = store_list_each(txn, print_list_tables, NULL);
		if (rc)
			ex = cli_store_fail(st, rc);
	}
	store_read_end(txn);
	store_close(st);
	return ex;
}

struct count_ctx {
	struct store_txn *txn;
	enum store_rc rc;
};

static void print_count(struct count_ctx *c, const char *name)
{
	uint64_t n = 0;

	if (c->rc == STORE_OK)
		c->rc = store_count(c->txn, name, &n);
	printf("  %-30s %" PRIu64 "\n", name, n);
}

static int count_list(const char *root, void *arg)
{
	char name[REG_NAME_MAX];

	for (int i = 0; reg_list[i]; i++) {
		snprintf(name, sizeof(name), "%s%s", root, reg_list[i]->name);
		print_count(arg, name);
	}
	return 0;
}

int cmd_stat(int argc, char **argv)
{
	struct count_ctx c = { 0 };
	struct store_meta m;
	struct store_stat ss;
	struct store *st;
	char uuid[37];
	int ex = 0;

	if (cli_help(argc, argv, stat_usage))
		return 0;
	if (argc != 1)
		return cli_usage(stat_usage);
	if (!(st = cli_open_store(STORE_RDONLY, &ex)))
		return ex;
	c.rc = store_stat(st, &ss);
	if (c.rc == STORE_OK)
		c.rc = store_read_begin(st, &c.txn);
	if (c.rc == STORE_OK)
		c.rc = store_meta_get(c.txn, &m);
	if (c.rc == STORE_OK) {
		store_uuid_format(m.uuid, uuid);
		printf("store     %s\nuuid      %s\nepoch     %" PRIu64
		       "\nsequence  %" PRIu64 "\nfile size %" PRIu64
		       "\nmap size  %" PRIu64 "\nreaders   %u of %u\ntables:\n",
		       store_path(st), uuid, m.epoch, m.seq, ss.file_size,
		       ss.map_size, ss.num_readers, ss.max_readers);
		for (int i = 0; reg_mailerq[i]; i++)
			print_count(&c, reg_mailerq[i]->name);
		if (c.rc == STORE_OK)
			c.rc = store_list_each(c.txn, count_list, &c);
	}
	store_read_end(c.txn);
	if (c.rc)
		ex = cli_store_fail(st, c.rc);
	store_close(st);
	return ex;
}

int cmd_verify(int argc, char **argv)
{
	const char *path = argc == 2 ? argv[1] : mq_conf.store_path;
	struct store_meta m;
	char err[1024];
	uint64_t rows;
	enum store_rc rc;

	if (cli_help(argc, argv, verify_usage))
		return 0;
	if (argc > 2)
		return cli_usage(verify_usage);
	rc = store_verify_file(path, &rows, err, sizeof(err));
	if (rc) {
		cli_error("%s", err);
		return rc == STORE_CORRUPT ? EXIT_DATAERR : EXIT_SOFTWARE;
	}
	/* The format: whether a writing open has upgraded it yet. */
	if (store_file_meta(path, &m) == STORE_OK)
		printf("%s: ok, %" PRIu64 " rows, format %" PRIu64 "\n", path,
		       rows, m.format);
	else
		printf("%s: ok, %" PRIu64 " rows\n", path, rows);
	return 0;
}

int cmd_backup(int argc, char **argv)
{
	char err[1024];
	struct store *st;
	uint64_t rows;
	enum store_rc rc;
	int ex = 0;
	bool force = argc > 1 && strcmp(argv[1], "--force") == 0;

	if (cli_help(argc, argv, backup_usage))
		return 0;
	argc -= force;
	argv += force;
	if (argc != 2 || argv[1][0] == '-')
		return cli_usage(backup_usage);
	if (!force && access(argv[1], F_OK) == 0) {
		cli_error("%s exists; mq backup --force replaces it", argv[1]);
		return cli_exit(RESULT_BADDATA);
	}
	if (!(st = cli_open_store(STORE_RDONLY, &ex)))
		return ex;
	rc = store_backup(st, argv[1]);
	if (rc) {
		ex = cli_store_fail(st, rc);
		store_close(st);
		return ex;
	}
	store_close(st);
	rc = store_verify_file(argv[1], &rows, err, sizeof(err));
	if (rc) {
		cli_error("backup %s does not verify, removed: %s", argv[1],
			  err);
		unlink(argv[1]);
		return EXIT_SOFTWARE;
	}
	printf("%s: backup written and verified, %" PRIu64 " rows\n", argv[1],
	       rows);
	return 0;
}

/* list_write - list-create or list-drop through the write path */
static int list_write(int argc, char **argv, const char *usage,
		      enum result_kind (*fn)(struct store *, const char *),
		      const char *done)
{
	struct store *st;
	int ex = 0;

	if (cli_help(argc, argv, usage))
		return 0;
	if (argc != 2)
		return cli_usage(usage);
	if (!(st = cli_open_store(0, &ex)))
		return ex;
	if (!(ex = cli_exit(fn(st, argv[1]))))
		printf("list %s %s\n", argv[1], done);
	store_close(st);
	return ex;
}

int cmd_list_create(int argc, char **argv)
{
	return list_write(argc, argv, list_create_usage, list_create,
			  "created");
}

int cmd_list_drop(int argc, char **argv)
{
	return list_write(argc, argv, list_drop_usage, list_drop, "dropped");
}

int cmd_config(int argc, char **argv)
{
	if (cli_help(argc, argv, config_usage))
		return 0;
	if (argc != 1)
		return cli_usage(config_usage);
	config_print(&mq_conf, stdout);
	return 0;
}
