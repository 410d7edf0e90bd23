/*
 * NAME
 *	config_test - table-driven tests of mq/config.c
 * SYNOPSIS
 *	config_test [CASES [DOCS]]
 * DESCRIPTION
 *	Runs each case of CASES (default tests/unit/config_cases.txt, the
 *	format is described at its top): writes the case's config file into
 *	a temporary directory, sets its environment, calls config_load() and
 *	checks the outcome, the effective values and config_print().  Every
 *	case that loads is also printed, loaded again and printed again, and
 *	the two prints must agree; every case that fails must leave the
 *	struct as it was.
 *
 *	Then checks that DOCS (default docs/config.md) has one table row per
 *	key with its default and variable, so the docs follow the key table.
 *
 *	Run from the repository root, as tests/run.sh does.
 * DIAGNOSTICS
 *	TAP lines through check.h, "# got ..." lines after a failed check,
 *	and the exit status of check_done().
 */
#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mq/config.h"
#include "check.h"

#define SENTINEL "unchanged-by-a-failed-load"

enum section { S_FILE, S_PATH, S_ENV, S_EXPECT, S_PRINT, S_ERROR, S_IGNORED,
	       NSECTIONS };

static const char *const section_names[NSECTIONS] = {
	"[file]", "[path]", "[env]", "[expect]", "[print]", "[error]",
	"[ignored]",
};

/* One case as read: each section's decoded lines, one buffer each. */
struct test_case {
	char name[256];
	unsigned line;			/* of "=== NAME" in the cases file */
	FILE *out[NSECTIONS];		/* open_memstream writers */
	char *text[NSECTIONS];
	size_t len[NSECTIONS];
};

/* slurp - the whole of a small file, NUL-terminated; NULL if unreadable */
static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r"), *out;
	char *text = NULL;
	size_t len = 0;
	int c;

	if (f == NULL)
		return NULL;
	out = open_memstream(&text, &len);
	while ((c = getc(f)) != EOF)
		putc(c, out);
	fclose(out);
	fclose(f);
	return text;
}

/* write_file - path gets exactly len bytes of text */
static int write_file(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "w");
	int rc;

	if (f == NULL)
		return -1;
	rc = fwrite(text, 1, len, f) == len ? 0 : -1;
	return fclose(f) == 0 ? rc : -1;
}

/*
 * printed - config_print's output as a malloc'd string in *text (an out
 * parameter: returning open_memstream's buffer from a local misleads
 * gcc 12's -Wdangling-pointer)
 */
static void printed(const struct mq_config *cfg, char **text)
{
	size_t len = 0;
	FILE *out = open_memstream(text, &len);

	config_print(cfg, out);
	fclose(out);
}

/* env_name - what config.c must look up for key: MQ_, upper case, '_' */
static void env_name(const char *key, char *buf, size_t len)
{
	char *p;

	snprintf(buf, len, "MQ_%s", key);
	for (p = buf; *p != '\0'; p++)
		*p = *p == '-' ? '_' : (char)toupper((unsigned char)*p);
}

/*
 * decode_line - s with its escapes undone, and a newline unless it ends
 * in \c, onto out; -1 on an unknown escape.
 */
static int decode_line(const char *s, FILE *out)
{
	static const char plain[] = "t\tr\rs \\\\0";	/* escape, byte */
	const char *hit;
	char *end;
	unsigned long n;

	for (; *s != '\0'; s++) {
		if (*s != '\\') {
			putc(*s, out);
		} else if (s[1] == 'c' && s[2] == '\0') {
			return 0;
		} else if (s[1] == '{') {
			n = strtoul(s + 2, &end, 10);
			if (*end != '}' || end[1] == '\0' || n > 100000)
				return -1;
			for (s = end + 1; n > 0; n--)
				putc(*s, out);
		} else if (s[1] != '\0' && (hit = strchr(plain, s[1])) != NULL &&
			   (hit - plain) % 2 == 0) {
			putc(hit[1], out);
			s++;
		} else {
			return -1;
		}
	}
	putc('\n', out);
	return 0;
}

/* next_line - the next line of text (cut in place at '\n'), NULL at the end */
static char *next_line(char **text)
{
	char *line = *text, *nl;

	if (line == NULL || *line == '\0')
		return NULL;
	nl = strchr(line, '\n');
	if (nl != NULL)
		*nl++ = '\0';
	*text = nl;
	return line;
}

/* set_env - each NAME=VALUE line of the case; unset instead when !set */
static void set_env(const struct test_case *c, bool set)
{
	char *copy = strdup(c->text[S_ENV] ? c->text[S_ENV] : ""), *rest = copy;
	char *line, *eq;

	while ((line = next_line(&rest)) != NULL) {
		eq = strchr(line, '=');
		if (eq == NULL)
			continue;
		*eq = '\0';
		if (set)
			setenv(line, eq + 1, 1);
		else
			unsetenv(line);
	}
	free(copy);
}

/* unset_config_env - no MQ_* variable of a key survives from outside */
static void unset_config_env(void)
{
	char name[64];
	const char *key;
	size_t i;

	for (i = 0; (key = config_key(i)) != NULL; i++) {
		env_name(key, name, sizeof name);
		unsetenv(name);
	}
}

/* check_values - each "key: value" line of [expect] against config_get */
static void check_values(const struct test_case *c, const struct mq_config *cfg)
{
	char *copy = strdup(c->text[S_EXPECT] ? c->text[S_EXPECT] : ""), *rest = copy;
	char *line, *colon, *want, got[CONFIG_VALUE_MAX];

	while ((line = next_line(&rest)) != NULL) {
		colon = strchr(line, ':');
		if (colon == NULL) {
			CHECK(0, "%s: expect line '%s' is key: value", c->name, line);
			continue;
		}
		*colon = '\0';
		want = colon[1] == ' ' ? colon + 2 : colon + 1;
		if (config_get(cfg, line, got, sizeof got) < 0)
			snprintf(got, sizeof got, "(unknown key)");
		if (!CHECK(strcmp(got, want) == 0, "%s: %s is '%.60s'", c->name, line, want))
			printf("# got '%s'\n", got);
	}
	free(copy);
}

/* check_ignored - the MailerQ keys listed as ignored: [ignored] "KEY LINE" */
static void check_ignored(const struct test_case *c, const struct mq_config *cfg)
{
	char *copy = strdup(c->text[S_IGNORED] ? c->text[S_IGNORED] : "");
	char *rest = copy, *line, got[64];
	int n = 0;

	while ((line = next_line(&rest)) != NULL) {
		if (n < cfg->nignored)
			snprintf(got, sizeof got, "%s %u", cfg->ignored[n],
				 cfg->ignored_line[n]);
		else
			snprintf(got, sizeof got, "(none)");
		if (!CHECK(strcmp(got, line) == 0, "%s: ignored %s", c->name, line))
			printf("# got '%s'\n", got);
		n++;
	}
	if (!CHECK(cfg->nignored == n, "%s: %d keys ignored", c->name, n))
		printf("# got %d\n", cfg->nignored);
	free(copy);
}

/* check_print - each [print] line is a whole line of config_print */
static void check_print(const struct test_case *c, const struct mq_config *cfg)
{
	char *copy = strdup(c->text[S_PRINT] ? c->text[S_PRINT] : ""), *rest = copy;
	char *out, *line, *needle;
	size_t n;

	printed(cfg, &out);
	while ((line = next_line(&rest)) != NULL) {
		n = strlen(line) + 3;
		needle = malloc(n);
		snprintf(needle, n, "\n%s\n", line);
		CHECK(strstr(out, needle) != NULL, "%s: prints '%s'", c->name, line);
		free(needle);
	}
	free(copy);
	free(out);
}

/* longest_line - the length of the longest line of text, newline excluded */
static size_t longest_line(const char *text)
{
	size_t longest = 0, n;

	for (; *text != '\0'; text += n + (text[n] == '\n')) {
		n = strcspn(text, "\n");
		if (n > longest)
			longest = n;
	}
	return longest;
}

/*
 * check_round_trip - printing cfg, loading that and printing again gives
 * the same lines (after the "# config file" line, which names the file).
 * A value near its field's size (possible from the environment) makes a
 * line longer than a file may hold; config.h says so, and there is
 * nothing to compare.
 */
static void check_round_trip(const struct test_case *c, const struct mq_config *cfg,
			     const char *dir)
{
	char path[PATH_MAX], err[CONFIG_ERR_MAX] = "";
	char *first, *second = NULL;
	struct mq_config again;

	printed(cfg, &first);
	if (longest_line(first) > CONFIG_LINE_MAX) {
		free(first);
		return;
	}
	snprintf(path, sizeof path, "%s/printed.conf", dir);
	if (write_file(path, first, strlen(first)) == 0 &&
	    config_load(&again, path, err, sizeof err) == 0)
		printed(&again, &second);
	if (!CHECK(second != NULL && strcmp(strchr(first, '\n'), strchr(second, '\n')) == 0,
		   "%s: prints a file that loads the same", c->name))
		printf("# %s\n", second == NULL ? err : "the second print differs");
	unlink(path);
	free(first);
	free(second);
}

/* check_outcome - the load failed with the [error] text, or succeeded */
static void check_outcome(const struct test_case *c, int rc, const char *err,
			  const struct mq_config *cfg)
{
	char want[CONFIG_ERR_MAX];

	if (c->text[S_ERROR] == NULL) {
		if (!CHECK(rc == 0, "%s: loads", c->name))
			printf("# got: %s\n", err);
		return;
	}
	snprintf(want, sizeof want, "%.*s", (int)strcspn(c->text[S_ERROR], "\n"),
		 c->text[S_ERROR]);
	if (!CHECK(rc < 0 && strstr(err, want) != NULL, "%s: fails with '%.80s'",
		   c->name, want))
		printf("# got: %s\n", rc < 0 ? err : "success");
	CHECK(strcmp(cfg->store_path, SENTINEL) == 0, "%s: failure leaves the config as it was",
	      c->name);
}

/*
 * case_path - the path config_load gets: the [file] body written to
 * DIR/mq.conf, or what [path] names.  Sets *skip when the case cannot run
 * here (the default file exists on this machine).
 */
static const char *case_path(const struct test_case *c, const char *dir,
			     char *buf, size_t len, bool *skip)
{
	const char *kind = c->text[S_PATH] ? c->text[S_PATH] : "file\n";

	*skip = false;
	if (strcmp(kind, "default\n") == 0) {
		*skip = access(CONFIG_DEFAULT_PATH, F_OK) == 0;
		return NULL;
	}
	if (strcmp(kind, "directory\n") == 0)
		return dir;
	if (strcmp(kind, "missing\n") == 0) {
		snprintf(buf, len, "%s/absent.conf", dir);
		return buf;
	}
	if (strcmp(kind, "file\n") != 0)
		CHECK(0, "%s: [path] is default, directory or missing", c->name);
	snprintf(buf, len, "%s/mq.conf", dir);
	if (write_file(buf, c->text[S_FILE] ? c->text[S_FILE] : "", c->len[S_FILE]) < 0)
		printf("# cannot write %s\n", buf);
	return buf;
}

static void run_case(const struct test_case *c, const char *dir)
{
	char path[PATH_MAX], err[CONFIG_ERR_MAX] = "";
	struct mq_config cfg;
	const char *load_path;
	bool skip;
	int rc;

	load_path = case_path(c, dir, path, sizeof path, &skip);
	if (skip) {
		CHECK(1, "%s # SKIP %s exists here", c->name, CONFIG_DEFAULT_PATH);
		return;
	}
	set_env(c, true);
	config_defaults(&cfg);
	snprintf(cfg.store_path, sizeof cfg.store_path, "%s", SENTINEL);
	rc = config_load(&cfg, load_path, err, sizeof err);
	check_outcome(c, rc, err, &cfg);
	if (rc == 0) {
		check_values(c, &cfg);
		check_ignored(c, &cfg);
		check_print(c, &cfg);
		check_round_trip(c, &cfg, dir);
	}
	set_env(c, false);
	if (load_path == path)
		unlink(path);
}

/* case_end - close the section writers so text[] is final */
static void case_end(struct test_case *c)
{
	int i;

	for (i = 0; i < NSECTIONS; i++) {
		if (c->out[i] != NULL)
			fclose(c->out[i]);
		c->out[i] = NULL;
	}
}

static void case_free(struct test_case *c)
{
	int i;

	for (i = 0; i < NSECTIONS; i++)
		free(c->text[i]);
	memset(c, 0, sizeof *c);
}

/* section_of - the section a line opens, or -1 */
static int section_of(const char *line)
{
	int i;

	for (i = 0; i < NSECTIONS; i++)
		if (strcmp(line, section_names[i]) == 0)
			return i;
	return -1;
}

/*
 * read_line - one line of the cases file into the case being read;
 * *section is the section open (-1: none).  Returns -1 on a line that
 * fits nowhere or holds a bad escape.
 */
static int read_line(struct test_case *c, int *section, char *line)
{
	int s = section_of(line);

	if (s >= 0) {
		*section = s;
		if (c->out[s] == NULL)
			c->out[s] = open_memstream(&c->text[s], &c->len[s]);
		return 0;
	}
	if (*section != S_FILE && (line[0] == '\0' || line[0] == '#'))
		return 0;
	if (*section < 0)
		return -1;
	return decode_line(line, c->out[*section]);
}

/* run_cases - read the cases file and run each case as soon as it ends */
static void run_cases(FILE *f, const char *dir)
{
	struct test_case c = { .line = 0 };
	int section = -1;
	char *line = NULL;
	size_t cap = 0;
	unsigned lineno = 0;
	ssize_t n;

	while ((n = getline(&line, &cap, f)) >= 0) {
		lineno++;
		if (n > 0 && line[n - 1] == '\n')
			line[n - 1] = '\0';
		if (strncmp(line, "=== ", 4) == 0) {
			case_end(&c);
			if (c.line != 0)
				run_case(&c, dir);
			case_free(&c);
			snprintf(c.name, sizeof c.name, "%s", line + 4);
			c.line = lineno;
			section = -1;
		} else if (c.line != 0 && read_line(&c, &section, line) < 0) {
			CHECK(0, "cases line %u is part of a section and well escaped", lineno);
		}
	}
	case_end(&c);
	if (c.line != 0)
		run_case(&c, dir);
	case_free(&c);
	free(line);
}

/* check_direct - config_set and config_get called by hand, as mq's code will */
static void check_direct(void)
{
	struct mq_config cfg;
	char err[CONFIG_ERR_MAX], value[CONFIG_VALUE_MAX];

	config_defaults(&cfg);
	CHECK(config_set(&cfg, "www-prot", "1", "mq.conf:7", err, sizeof err) < 0 &&
	      strcmp(err, "mq.conf:7: unknown key 'www-prot'") == 0,
	      "config_set names an unknown key and its origin");
	CHECK(config_set(&cfg, "www-port", "9000", "test", err, sizeof err) == 0 &&
	      cfg.www_port == 9000, "config_set sets the field");
	CHECK(config_get(&cfg, "www-prot", value, sizeof value) < 0,
	      "config_get refuses an unknown key");
	CHECK(cfg.cluster_role == CLUSTER_PRIMARY && cfg.log_level == LOG_LEVEL_INFO &&
	      cfg.store_max_size == 64ULL << 30 && cfg.database_validate &&
	      cfg.path[0] == '\0', "config_defaults fills the struct");
}

/* check_help - config_help shows every key with its variable */
static void check_help(void)
{
	char *text = NULL, name[64], want[128];
	size_t len = 0, i;
	FILE *out = open_memstream(&text, &len);
	const char *key;

	config_help(out);
	fclose(out);
	for (i = 0; (key = config_key(i)) != NULL; i++) {
		env_name(key, name, sizeof name);
		snprintf(want, sizeof want, "%s (%s, default ", key, name);
		CHECK(strstr(text, want) != NULL, "config_help shows %s", key);
	}
	free(text);
}

/* check_docs - docs has the row "| `key` | `default` | `MQ_KEY` |" per key */
static void check_docs(const char *docs_path)
{
	char *docs = slurp(docs_path), name[64], def[CONFIG_VALUE_MAX], row[CONFIG_VALUE_MAX + 256];
	struct mq_config cfg;
	const char *key;
	size_t i;

	if (!CHECK(docs != NULL, "%s can be read", docs_path))
		return;
	config_defaults(&cfg);
	for (i = 0; (key = config_key(i)) != NULL; i++) {
		env_name(key, name, sizeof name);
		config_get(&cfg, key, def, sizeof def);
		if (def[0] == '\0')
			snprintf(row, sizeof row, "| `%s` | (none) | `%s` |", key, name);
		else
			snprintf(row, sizeof row, "| `%s` | `%s` | `%s` |", key, def, name);
		CHECK(strstr(docs, row) != NULL, "docs have the row %s", row);
	}
	free(docs);
}

int main(int argc, char **argv)
{
	const char *cases_path = argc > 1 ? argv[1] : "tests/unit/config_cases.txt";
	const char *docs_path = argc > 2 ? argv[2] : "docs/config.md";
	const char *tmp = getenv("TMPDIR");
	char dir[PATH_MAX];
	FILE *f;

	snprintf(dir, sizeof dir, "%s/config_test.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!CHECK(mkdtemp(dir) != NULL, "make a temporary directory"))
		return check_done();
	unset_config_env();
	f = fopen(cases_path, "r");
	if (CHECK(f != NULL, "%s can be read", cases_path)) {
		run_cases(f, dir);
		fclose(f);
	}
	check_direct();
	check_help();
	check_docs(docs_path);
	rmdir(dir);
	return check_done();
}
