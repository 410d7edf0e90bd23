/*
 * NAME
 *	cmd_store.c - mq tables, stat, backup, verify, list-create,
 *	list-drop, config
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mq/cli/cli.h"
#include "mq/ops/list_write.h"
#include "mq/ops/shapes.h"

static const char tables_usage[] =
	"usage: mq tables [TABLE] [--json]\n"
	"List the tables (the MailerQ tables, then each list's tables), or\n"
	"the columns of TABLE: name, type, maximum bytes of a text, key,\n"
	"NOT NULL and default.  --json prints what GET /v1/tables answers\n"
	"(TABLE: that table's object).\n";

static const char stat_usage[] =
	"usage: mq stat [--json]\n"
	"Print the store file, its uuid, epoch and change sequence, file and\n"
	"map size, reader slots in use, and the row count of every table\n"
	"(--json: one object, store, uuid, epoch and sequence named as in\n"
	"GET /health, tables an object of counts).\n";

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
	"usage: mq config [--json | --keys]\n"
	"Print the effective configuration (defaults, the config file, then\n"
	"MQ_* environment variables), secrets shown as ***; --json: one\n"
	"object of key: value text.  With --keys, every key with its\n"
	"environment variable, default and meaning.\n";

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

/* tables_json - mq tables --json: every table, or the one named */
static int tables_json(struct store *st, struct store_txn *txn,
		       const char *name)
{
	const struct reg_table *t;
	char root[REG_NAME_MAX];
	enum store_rc rc;
	json_t *v;

	if (!name) {
		v = ops_tables_json(txn, &rc);
		return rc ? cli_store_fail(st, rc) : cli_json_print(v);
	}
	if (store_table_find(txn, name, &t)) {
		cli_error("%s", store_errmsg(st));
		return EXIT_DATAERR;
	}
	if (reg_mailerq_find(name))
		return cli_json_print(ops_table_json(t, name, NULL));
	reg_list_split(name, root, sizeof(root));
	return cli_json_print(ops_table_json(t, name, root));
}

int cmd_tables(int argc, char **argv)
{
	const struct reg_table *t;
	struct store_txn *txn;
	struct store *st;
	enum store_rc rc;
	int ex = 0;
	bool json;

	if (cli_help(argc, argv, tables_usage))
		return 0;
	json = cli_json_flag(&argc, argv);
	if (argc > 2)
		return cli_usage(tables_usage);
	if (!(st = cli_open_store(0, &ex)))
		return ex;
	if ((rc = store_read_begin(st, &txn)))
		ex = cli_store_fail(st, rc);
	else if (json)
		ex = tables_json(st, txn, argc == 2 ? argv[1] : NULL);
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
	json_t *json;		/* --json: the counts by table */
};

static void print_count(struct count_ctx *c, const char *name)
{
	uint64_t n = 0;

	if (c->rc == STORE_OK)
		c->rc = store_count(c->txn, name, &n);
	if (c->json)
		json_object_set_new(c->json, name, json_integer((json_int_t)n));
	else
		printf("  %-30s %" PRIu64 "\n", name, n);
}

/* stat_json - mq stat --json's object but the counts */
static json_t *stat_json(struct store *st, const struct store_meta *m,
			 const char *uuid, const struct store_stat *ss)
{
	return json_pack("{s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:I}",
			 "store", store_path(st), "uuid", uuid,
			 "epoch", (json_int_t)m->epoch,
			 "sequence", (json_int_t)m->seq,
			 "file_size", (json_int_t)ss->file_size,
			 "map_size", (json_int_t)ss->map_size,
			 "readers", (json_int_t)ss->num_readers,
			 "max_readers", (json_int_t)ss->max_readers);
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
	json_t *o = NULL;

	if (cli_help(argc, argv, stat_usage))
		return 0;
	if (cli_json_flag(&argc, argv) && !(c.json = json_object()))
		return EXIT_SOFTWARE;
	if (argc != 1) {
		json_decref(c.json);
		return cli_usage(stat_usage);
	}
	if (!(st = cli_open_store(STORE_RDONLY, &ex)))
		return ex;
	c.rc = store_stat(st, &ss);
	if (c.rc == STORE_OK)
		c.rc = store_read_begin(st, &c.txn);
	if (c.rc == STORE_OK)
		c.rc = store_meta_get(c.txn, &m);
	if (c.rc == STORE_OK && c.json) {
		store_uuid_format(m.uuid, uuid);
		o = stat_json(st, &m, uuid, &ss);
		for (int i = 0; reg_mailerq[i]; i++)
			print_count(&c, reg_mailerq[i]->name);
		if (c.rc == STORE_OK)
			c.rc = store_list_each(c.txn, count_list, &c);
	} else if (c.rc == STORE_OK) {
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
	else if (c.json) {
		json_object_set_new(o, "tables", c.json);
		c.json = NULL;
		ex = cli_json_print(o);
		o = NULL;
	}
	json_decref(o);
	json_decref(c.json);
	store_close(st);
	return ex;
}

/* file_size - the size of the file at path; 0 when it cannot be known */
static uint64_t file_size(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0 ? (uint64_t)sb.st_size : 0;
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
	cli_meter_start("verify", METER_MAPPED, file_size(path));
	rc = store_verify_file(path, &rows, err, sizeof(err));
	if (rc)
		cli_meter_stop();
	else
		cli_meter_end("%s: %" PRIu64 " rows", path, rows);
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
	cli_meter_start("backup", METER_WRITTEN, file_size(store_path(st)));
	rc = store_backup(st, argv[1]);
	if (rc) {
		cli_meter_stop();
		ex = cli_store_fail(st, rc);
		store_close(st);
		return ex;
	}
	store_close(st);
	rc = store_verify_file(argv[1], &rows, err, sizeof(err));
	if (rc)
		cli_meter_stop();
	else
		cli_meter_end("%s: %" PRIu64 " rows", argv[1], rows);
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

/*
 * config_json - mq config --json: config_print's lines (secrets masked
 *	there, in one place) as an object of key: value text
 */
static int config_json(void)
{
	char *text = NULL, *line, *save = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	json_t *o = json_object();

	if (!f || !o) {
		if (f)
			fclose(f);
		free(text);
		json_decref(o);
		return EXIT_SOFTWARE;
	}
	config_print(&mq_conf, f);
	fclose(f);
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *sep = strstr(line, ":");

		if (line[0] == '#' || !sep)
			continue;
		*sep = '\0';
		json_object_set_new(o, line, json_string(sep[1] ? sep + 2 : ""));
	}
	free(text);
	return cli_json_print(o);
}

int cmd_config(int argc, char **argv)
{
	if (cli_help(argc, argv, config_usage))
		return 0;
	if (argc == 2 && strcmp(argv[1], "--keys") == 0) {
		config_help(stdout);
		return 0;
	}
	if (argc == 2 && strcmp(argv[1], "--json") == 0)
		return config_json();
	if (argc != 1)
		return cli_usage(config_usage);
	config_print(&mq_conf, stdout);
	return 0;
}
