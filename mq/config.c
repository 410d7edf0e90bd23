/*
 * NAME
 *	config.c - the key table, the config file and the MQ_* environment
 * SYNOPSIS
 *	#include "mq/config.h"
 * DESCRIPTION
 *	keys[] is the only list of keys.  Each entry names a field of struct
 *	mq_config, the kind of value it holds (a parser and a printer), its
 *	bounds, its default as text and a one-line help.  Defaults go
 *	through the same parser as file values, so the table, config_print()
 *	and docs/config.md spell each default one way.
 *
 *	A MailerQ config file loads as it is: MailerQ's keys that mq has
 *	no use for (config_mailerq.c) are listed in cfg->ignored, once
 *	each, and any other unknown key is an error.
 *
 *	File syntax, as in MailerQ: "key: value" lines, split at the first
 *	':' (values such as URLs may hold more), key and value trimmed of
 *	surrounding white space; blank lines are ignored, and a line whose
 *	first non-blank byte is '#' is a comment.  A '#' anywhere else is
 *	part of the value, because passwords inside URLs may hold one.
 *	Every length is bounded: a line holds at most CONFIG_LINE_MAX bytes
 *	and a value must fit its field.
 * DIAGNOSTICS
 *	"FILE:LINE: reason" or "MQ_VARIABLE: reason", followed by the bad
 *	value in quotes unless it is empty or secret; values longer than
 *	ECHO_MAX bytes are cut, so the reason always fits in the message.
 */
#include <arpa/inet.h>
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <search.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mq/config.h"
#include "mq/config_kind.h"
#include "sql-compat/sql.h"

#define ECHO_MAX	80	/* bytes of a bad value quoted in a message */
#define ENV_NAME_MAX	64

static const char *const role_words[] = { "primary", "replica", NULL };
static const char *const level_words[] = { "error", "warning", "info", "debug", NULL };

#define FIELD(m) .offset = offsetof(struct mq_config, m), \
		 .size = sizeof(((struct mq_config *)0)->m)

static const struct config_key keys[] = {
	{ .name = "store-path", .kind = &kind_text, FIELD(store_path),
	  .min = 1, .def = "./var/mq.mdb",
	  .help = "the LMDB data file; its lock file sits beside it" },
	{ .name = "store-max-size", .kind = &kind_size, FIELD(store_max_size),
	  .min = UINT64_C(1) << 20, .def = "64G",
	  .help = "the largest size the data file may grow to (K, M, G, T)" },
	{ .name = "changes-keep", .kind = &kind_number, FIELD(changes_keep),
	  .min = 1, .max = UINT64_MAX, .def = "1000000",
	  .help = "change records kept for replicas and incremental export" },
	{ .name = "database-address", .kind = &kind_address, FIELD(database_address),
	  .secret = SECRET_URL_PASSWORD, .def = "",
	  .help = "the SQL database mirrored; empty: the store is authoritative" },
	{ .name = "database-ttl", .kind = &kind_number, FIELD(database_ttl),
	  .min = 1, .max = UINT_MAX, .def = "600",
	  .help = "seconds between reloads from the SQL database" },
	{ .name = "database-idle", .kind = &kind_number, FIELD(database_idle),
	  .min = 0, .max = UINT_MAX, .def = "60",
	  .help = "seconds mq serve keeps an unused SQL connection open" },
	{ .name = "database-threads", .kind = &kind_number, FIELD(database_threads),
	  .min = 1, .max = 256, .def = "1",
	  .help = "threads that check DKIM keys against DNS after a load" },
	{ .name = "dns-servers", .kind = &kind_servers, FIELD(dns_servers),
	  .def = "",
	  .help = "DNS servers for DKIM checks (IP[:PORT],...); empty: resolv.conf" },
	{ .name = "dkim-verify-grace", .kind = &kind_number, FIELD(dkim_verify_grace),
	  .min = 0, .max = UINT_MAX, .def = "86400",
	  .help = "seconds a verified DKIM key stays in use while DNS fails" },
	{ .name = "dkim-verify-interval", .kind = &kind_number, FIELD(dkim_verify_interval),
	  .min = 0, .max = UINT_MAX, .def = "3600",
	  .help = "seconds between DKIM checks in mq serve; 0: after loads only" },
	{ .name = "database-validate", .kind = &kind_bool, FIELD(database_validate),
	  .def = "true",
	  .help = "check the SQL tables and columns at start" },
	{ .name = "www-ip", .kind = &kind_ip, FIELD(www_ip),
	  .def = "127.0.0.1",
	  .help = "numeric IPv4 or IPv6 address the HTTP API listens on" },
	{ .name = "www-port", .kind = &kind_port, FIELD(www_port),
	  .def = "8485",
	  .help = "port of the HTTP API; 0 turns the API off" },
	{ .name = "www-token", .kind = &kind_text, FIELD(www_token),
	  .secret = SECRET_ALL, .def = "",
	  .help = "bearer token that HTTP API writes must present" },
	{ .name = "www-feeds", .kind = &kind_number, FIELD(www_feeds),
	  .min = 0, .max = 65536, .def = "64",
	  .help = "change feeds (GET /v1/changes) open at once at most" },
	{ .name = "www-hosts", .kind = &kind_hosts, FIELD(www_hosts),
	  .def = "",
	  .help = "Host names the API answers besides www-ip and localhost" },
	{ .name = "www-max-connections", .kind = &kind_number,
	  FIELD(www_max_connections), .min = 1, .max = 1000000, .def = "256",
	  .help = "HTTP connections open at once; more are closed at once" },
	{ .name = "www-max-buffered", .kind = &kind_size, FIELD(www_max_buffered),
	  .min = UINT64_C(1) << 20, .def = "64M",
	  .help = "request bytes held over all HTTP connections (K, M, G)" },
	{ .name = "www-request-seconds", .kind = &kind_number,
	  FIELD(www_request_seconds), .min = 1, .max = 3600, .def = "30",
	  .help = "seconds a request may take from its first byte to its last" },
	{ .name = "cluster-role", .kind = &kind_word, FIELD(cluster_role),
	  .words = role_words, .def = "primary",
	  .help = "primary (takes writes) or replica (follows cluster-primary)" },
	{ .name = "cluster-listen", .kind = &kind_listen, FIELD(cluster_listen),
	  .def = "",
	  .help = "IP:PORT where this instance accepts replicas; empty: none" },
	{ .name = "cluster-primary", .kind = &kind_host_port, FIELD(cluster_primary),
	  .def = "",
	  .help = "HOST:PORT of the primary that a replica follows" },
	{ .name = "cluster-key", .kind = &kind_text, FIELD(cluster_key),
	  .secret = SECRET_ALL, .def = "",
	  .help = "this instance's private Ed25519 key (mq cluster keygen)" },
	{ .name = "cluster-peers", .kind = &kind_text, FIELD(cluster_peers),
	  .def = "",
	  .help = "the public keys of the peers allowed, separated by spaces" },
	{ .name = "cluster-max-lag", .kind = &kind_number, FIELD(cluster_max_lag),
	  .min = 1, .max = UINT_MAX, .def = "30",
	  .help = "seconds a replica may be disconnected before /health fails" },
	{ .name = "log-level", .kind = &kind_word, FIELD(log_level),
	  .words = level_words, .def = "info",
	  .help = "error, warning, info or debug" },
};

#define NKEYS (sizeof keys / sizeof keys[0])

int	config_name_cmp(const void *name, const void *entry)
{
	return strcmp(*(const char *const *)name, *(const char *const *)entry);
}

/* find_key - the table entry named name, or NULL */
static const struct config_key *find_key(const char *name)
{
	size_t n = NKEYS;

	return lfind(&name, keys, &n, sizeof keys[0], config_name_cmp);
}

/* env_name - "MQ_" + name upper-cased with '-' as '_' */
static void env_name(const char *name, char *buf, size_t len)
{
	char *p;

	snprintf(buf, len, "MQ_%s", name);
	for (p = buf; *p != '\0'; p++)
		*p = *p == '-' ? '_' : (char)toupper((unsigned char)*p);
}

/* echo - s in quotes for a message, cut after ECHO_MAX bytes */
static const char *echo(const char *s, char *buf, size_t len)
{
	bool cut = strnlen(s, ECHO_MAX + 1) > ECHO_MAX;

	snprintf(buf, len, "'%.*s%s'", ECHO_MAX, s, cut ? "..." : "");
	return buf;
}

/* set_key - parse value into k's field; on error cfg is unchanged */
static int set_key(struct mq_config *cfg, const struct config_key *k,
		   const char *value, const char *origin, char *err, size_t errlen)
{
	char why[CONFIG_ERR_MAX], quoted[ECHO_MAX + 8];

	if (k->kind->parse(k, (char *)cfg + k->offset, value, why, sizeof why) == 0)
		return 0;
	if (k->secret != SECRET_NONE || *value == '\0')
		return config_fail(err, errlen, "%s: %s", origin, why);
	return config_fail(err, errlen, "%s: %s: %s", origin, why,
		    echo(value, quoted, sizeof quoted));
}

struct mq_config mq_conf;

void config_pid_path(const struct mq_config *cfg, char *buf, size_t len)
{
	snprintf(buf, len, "%s.pid", cfg->store_path);
}

void config_cluster_status_path(const struct mq_config *cfg, char *buf,
				size_t len)
{
	snprintf(buf, len, "%s.cluster", cfg->store_path);
}

void config_defaults(struct mq_config *cfg)
{
	char err[CONFIG_ERR_MAX];
	size_t i;
	int rc;

	memset(cfg, 0, sizeof *cfg);
	for (i = 0; i < NKEYS; i++) {
		rc = set_key(cfg, &keys[i], keys[i].def, "default", err, sizeof err);
		assert(rc == 0);
		(void)rc;
	}
}

int config_set(struct mq_config *cfg, const char *key, const char *value,
	       const char *origin, char *err, size_t errlen)
{
	const struct config_key *k = find_key(key);
	char quoted[ECHO_MAX + 8];

	if (k == NULL)
		return config_fail(err, errlen, "%s: unknown key %s", origin,
			    echo(key, quoted, sizeof quoted));
	return set_key(cfg, k, value, origin, err, errlen);
}

/* trim - s without leading and trailing white space (cut in place) */
static char *trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		end--;
	*end = '\0';
	return s;
}

/* ignore_key - list a MailerQ key mq does not use, once */
static int ignore_key(struct mq_config *cfg, const char *key, unsigned lineno)
{
	for (int i = 0; i < cfg->nignored; i++)
		if (strcmp(cfg->ignored[i], key) == 0)
			return 0;
	if (cfg->nignored == CONFIG_IGNORED_MAX)
		return 0;
	snprintf(cfg->ignored[cfg->nignored], CONFIG_KEY_MAX, "%s", key);
	cfg->ignored_line[cfg->nignored++] = lineno;
	return 0;
}

/*
 * load_line - apply one line of file path; seen[i] is the line that set
 * keys[i] so far, for the duplicate message.
 */
static int load_line(struct mq_config *cfg, char *line, const char *path,
		     unsigned lineno, unsigned *seen, char *err, size_t errlen)
{
	char origin[CONFIG_VALUE_MAX + 16], quoted[ECHO_MAX + 8];
	char *key = trim(line), *colon, *value;
	const struct config_key *k;

	if (*key == '\0' || *key == '#')
		return 0;
	snprintf(origin, sizeof origin, "%s:%u", path, lineno);
	colon = strchr(key, ':');
	if (colon == NULL)
		return config_fail(err, errlen, "%s: not a 'key: value' line: %s",
			    origin, echo(key, quoted, sizeof quoted));
	*colon = '\0';
	value = trim(colon + 1);
	key = trim(key);
	k = find_key(key);
	if (k == NULL && config_mailerq_key(key))
		return ignore_key(cfg, key, lineno);
	if (k == NULL)
		return config_fail(err, errlen, "%s: unknown key %s", origin,
			    echo(key, quoted, sizeof quoted));
	if (seen[k - keys] != 0)
		return config_fail(err, errlen, "%s: duplicate key '%s' (first at line %u)",
			    origin, k->name, seen[k - keys]);
	seen[k - keys] = lineno;
	return set_key(cfg, k, value, origin, err, errlen);
}

/*
 * read_line - the next line of f, without its newline, into buf of
 * CONFIG_LINE_MAX + 1 bytes.  Returns 1, 0 at the end of the file, or -1
 * with err set for a line too long or holding a NUL byte.
 */
static int read_line(FILE *f, char *buf, const char *path, unsigned lineno,
		     char *err, size_t errlen)
{
	size_t n = 0;
	int c;

	while ((c = getc(f)) != EOF && c != '\n') {
		if (n == CONFIG_LINE_MAX)
			return config_fail(err, errlen, "%s:%u: line longer than %d bytes",
				    path, lineno, CONFIG_LINE_MAX);
		if (c == '\0')
			return config_fail(err, errlen, "%s:%u: NUL byte in line", path, lineno);
		buf[n++] = (char)c;
	}
	buf[n] = '\0';
	return c == EOF && n == 0 ? 0 : 1;
}

static int load_stream(struct mq_config *cfg, FILE *f, const char *path,
		       char *err, size_t errlen)
{
	char line[CONFIG_LINE_MAX + 1];
	unsigned seen[NKEYS] = { 0 };
	unsigned lineno = 0;
	int rc;

	while ((rc = read_line(f, line, path, ++lineno, err, errlen)) > 0)
		if (load_line(cfg, line, path, lineno, seen, err, errlen) < 0)
			return -1;
	if (rc == 0 && ferror(f))
		return config_fail(err, errlen, "%s: cannot read: %s", path, strerror(errno));
	return rc;
}

/* load_file - apply path, or the default file when path is NULL and it exists */
static int load_file(struct mq_config *cfg, const char *path, char *err,
		     size_t errlen)
{
	const char *name = path != NULL ? path : CONFIG_DEFAULT_PATH;
	size_t len = strnlen(name, sizeof cfg->path);
	FILE *f;
	int rc;

	if (len >= sizeof cfg->path)
		return config_fail(err, errlen, "config file name longer than %zu bytes",
			    sizeof cfg->path - 1);
	f = fopen(name, "re");
	if (f == NULL) {
		if (path == NULL && errno == ENOENT)
			return 0;
		return config_fail(err, errlen, "%s: cannot open: %s", name, strerror(errno));
	}
	memcpy(cfg->path, name, len + 1);
	rc = load_stream(cfg, f, name, err, errlen);
	fclose(f);
	return rc;
}

/* load_env - apply MQ_* variables of known keys; others are not looked at */
static int load_env(struct mq_config *cfg, char *err, size_t errlen)
{
	char name[ENV_NAME_MAX];
	const char *value;
	size_t i;

	for (i = 0; i < NKEYS; i++) {
		env_name(keys[i].name, name, sizeof name);
		value = getenv(name);
		if (value != NULL && set_key(cfg, &keys[i], value, name, err, errlen) < 0)
			return -1;
	}
	return 0;
}

int config_load(struct mq_config *cfg, const char *path, char *err, size_t errlen)
{
	struct mq_config next;

	config_defaults(&next);
	if (load_file(&next, path, err, errlen) < 0 || load_env(&next, err, errlen) < 0)
		return -1;
	*cfg = next;
	return 0;
}

int config_get(const struct mq_config *cfg, const char *key, char *buf, size_t len)
{
	const struct config_key *k = find_key(key);

	if (k == NULL)
		return -1;
	k->kind->format(k, (const char *)cfg + k->offset, buf, len);
	return 0;
}

/*
 * print_url_masked - url with its password and password= options as ***,
 * by sql-compat's one rule for it
 */
static void print_url_masked(const char *url, FILE *out)
{
	size_t need = sql_url_redact(NULL, 0, url) + 1;
	char *buf = malloc(need);

	if (!buf) {	/* hide it all rather than show it */
		fputs("***", out);
		return;
	}
	sql_url_redact(buf, need, url);
	fputs(buf, out);
	free(buf);
}

void config_print(const struct mq_config *cfg, FILE *out)
{
	char value[CONFIG_VALUE_MAX];
	size_t i;

	fprintf(out, "# config file: %s\n", *cfg->path ? cfg->path : "none");
	for (i = 0; i < NKEYS; i++) {
		keys[i].kind->format(&keys[i], (const char *)cfg + keys[i].offset,
				     value, sizeof value);
		fprintf(out, "%s:%s", keys[i].name, *value ? " " : "");
		if (keys[i].secret == SECRET_URL_PASSWORD)
			print_url_masked(value, out);
		else
			fputs(keys[i].secret == SECRET_ALL && *value ? "***" : value, out);
		putc('\n', out);
	}
}

void config_help(FILE *out)
{
	char name[ENV_NAME_MAX];
	size_t i;

	for (i = 0; i < NKEYS; i++) {
		env_name(keys[i].name, name, sizeof name);
		fprintf(out, "%s (%s, default %s)\n\t%s\n", keys[i].name, name,
			*keys[i].def ? keys[i].def : "none", keys[i].help);
	}
}

const char *config_key(size_t i)
{
	return i < NKEYS ? keys[i].name : NULL;
}
