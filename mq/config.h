/*
 * NAME
 *	config.h - the mq configuration: keys, defaults, file and environment
 * SYNOPSIS
 *	#include "mq/config.h"
 *
 *	struct mq_config cfg;
 *	char err[CONFIG_ERR_MAX];
 *
 *	if (config_load(&cfg, path_or_NULL, err, sizeof err) < 0)
 *		fprintf(stderr, "mq: %s\n", err);
 * DESCRIPTION
 *	One struct holds every setting of mq serve and of the CLI commands.
 *	config_load() fills it from the built-in defaults, then the config
 *	file (MailerQ style "key: value" lines), then the environment: key
 *	store-path is also variable MQ_STORE_PATH, and the environment wins.
 *
 *	The keys live in one table in config.c (name, parser, field, default,
 *	help); docs/config.md describes the same keys and the unit test
 *	checks that the two agree.
 * DIAGNOSTICS
 *	Functions that can fail return 0 or -1 with a one-line message in
 *	err that names where the bad value came from: the file and line
 *	("mq.conf:7: unknown key 'www-prot'") or the environment variable
 *	("MQ_WWW_PORT: not a port number: 'abc'").
 */
#ifndef MQ_CONFIG_H
#define MQ_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CONFIG_DEFAULT_PATH	"/etc/mq/mq.conf"
#define CONFIG_LINE_MAX		4096	/* bytes of a line, newline excluded */
#define CONFIG_VALUE_MAX	4096	/* a buffer this big holds any value */
#define CONFIG_ERR_MAX		512	/* a buffer this big holds any message */
#define CONFIG_IGNORED_MAX	128	/* MailerQ keys listed as ignored */
#define CONFIG_KEY_MAX		32	/* bytes of a MailerQ key name + NUL */

enum log_level { LOG_LEVEL_ERROR, LOG_LEVEL_WARNING, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG };
enum cluster_role { CLUSTER_PRIMARY, CLUSTER_REPLICA };

struct mq_config {
	char store_path[4096];		/* store-path, default "./var/mq.mdb" */
	uint64_t store_max_size;	/* store-max-size, bytes, K/M/G/T suffixes (powers of 1024), default 64G, min 1M */
	uint64_t changes_keep;		/* changes-keep, change records kept, default 1000000, >= 1 */
	char database_address[4096];	/* database-address, default "" (none: the store is authoritative) */
	unsigned database_ttl;		/* database-ttl, seconds, default 600, >= 1 */
	unsigned database_idle;		/* database-idle, seconds, default 60, 0 = close after each use */
	unsigned database_threads;	/* database-threads, default 1, 1..256 */
	char dns_servers[1024];		/* dns-servers, "" or IP[:PORT],[IPv6]:PORT,... */
	unsigned dkim_verify_grace;	/* dkim-verify-grace, seconds a verified key outlives DNS failures, default 86400 */
	unsigned dkim_verify_interval;	/* dkim-verify-interval, seconds between DKIM checks in mq serve, default 3600, 0 = only after loads and reloads */
	bool database_validate;		/* database-validate, default true */
	char www_ip[64];		/* www-ip, default "127.0.0.1", a numeric IPv4/IPv6 address */
	unsigned www_port;		/* www-port, default 8485, 1..65535, 0 = disabled */
	char www_token[256];		/* www-token, default "" */
	unsigned www_feeds;		/* www-feeds, open GET /v1/changes at most, default 64, 0 = none */
	char www_hosts[1024];		/* www-hosts, more Host names the API answers, space-separated, default "" */
	unsigned www_max_connections;	/* www-max-connections, default 256, 1..1000000 */
	uint64_t www_max_buffered;	/* www-max-buffered, request bytes held over all connections, default 64M, min 1M */
	unsigned www_request_seconds;	/* www-request-seconds, a request's time from first byte to last, default 30, 1..3600 */
	enum cluster_role cluster_role;	/* cluster-role: primary|replica, default primary */
	char cluster_listen[256];	/* cluster-listen, "" or IP:PORT / [IPv6]:PORT */
	char cluster_primary[256];	/* cluster-primary, "" or HOST:PORT / [IPv6]:PORT */
	char cluster_key[4096];		/* cluster-key, the private Ed25519 key (mq cluster keygen), "" */
	char cluster_peers[4096];	/* cluster-peers, peers' public keys separated by spaces, "" */
	unsigned cluster_max_lag;	/* cluster-max-lag, seconds a replica may be disconnected, default 30 */
	enum log_level log_level;	/* log-level: error|warning|info|debug, default info */
	char path[4096];		/* the file read, "" if none */
	/* MailerQ keys of the file that mq does not use, once each */
	char ignored[CONFIG_IGNORED_MAX][CONFIG_KEY_MAX];
	unsigned ignored_line[CONFIG_IGNORED_MAX];
	int nignored;
};

/* The effective configuration, loaded by main before any command runs. */
extern struct mq_config mq_conf;

/* config_pid_path - "<store-path>.pid", where mq serve keeps its pid. */
void config_pid_path(const struct mq_config *cfg, char *buf, size_t len);

/*
 * config_cluster_status_path - "<store-path>.cluster", where mq serve's
 *	replication writes its status each second (mq cluster status).
 */
void config_cluster_status_path(const struct mq_config *cfg, char *buf,
				size_t len);

/*
 * config_mailerq_key - is name one of MailerQ's config keys that mq has no
 *	use for (config_mailerq.c)?  A file may hold them: they are listed
 *	in cfg->ignored instead of refused.
 */
bool config_mailerq_key(const char *name);

/*
 * config_ignored_report - one warning per ignored MailerQ key of cfg's
 *	file, naming the key and its line (mq serve, at start).
 */
void config_ignored_report(const struct mq_config *cfg);

/* config_defaults - set every key to its default; path becomes "" */
void config_defaults(struct mq_config *cfg);

/*
 * config_load - defaults, then the file (path NULL: CONFIG_DEFAULT_PATH if
 * it exists), then the MQ_* environment.  Only known keys are looked up
 * in the environment, so other MQ_* variables are left alone.  Returns 0,
 * or -1 with a one-line message in err; on failure cfg is unchanged, so a
 * reload that fails keeps the running configuration.
 */
int config_load(struct mq_config *cfg, const char *path, char *err, size_t errlen);

/*
 * config_set - set one key from text; origin names where it came from for
 * the error ("mq.conf:7", "MQ_WWW_PORT").  A value too long for its field
 * is an error, never truncated.  Returns 0, or -1 with err set and cfg
 * unchanged.
 */
int config_set(struct mq_config *cfg, const char *key, const char *value,
	       const char *origin, char *err, size_t errlen);

/*
 * config_get - the effective value of key as text, in the form config_set
 * accepts, secrets included.  Returns 0, or -1 for an unknown key.  A buf
 * of CONFIG_VALUE_MAX bytes always holds the value.
 */
int config_get(const struct mq_config *cfg, const char *key, char *buf, size_t len);

/*
 * config_print - write the effective configuration as key: value lines,
 * with secrets (www-token, the password inside database-address) shown as
 * ***.  The output loads back as a config file (secrets then being ***),
 * except for a value so long (from the environment) that its line
 * exceeds CONFIG_LINE_MAX.
 */
void config_print(const struct mq_config *cfg, FILE *out);

/* config_help - write each key with its variable, default and meaning */
void config_help(FILE *out);

/* config_key - the name of key number i (from 0), NULL past the last */
const char *config_key(size_t i);

#endif
