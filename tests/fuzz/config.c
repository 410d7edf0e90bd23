/*
 * NAME
 *	config.c - fuzz target: the config file parser and config_set
 * SYNOPSIS
 *	tests/fuzz/run.sh config SECONDS [LIBFUZZER-FLAG...]
 *	build/fuzz/config [LIBFUZZER-FLAG...] [CORPUS-DIR... | INPUT...]
 * DESCRIPTION
 *	Input: a config file.  It is written to a file and loaded with
 *	config_load(), as "mq --config FILE" does; then its first line is
 *	taken as a key and the rest as a value for config_set(), as the
 *	environment's MQ_* variables are.
 *
 *	Properties (mq/config.h): a load or a set that fails leaves the
 *	configuration byte for byte as it was; a failed set of a secret
 *	key does not quote the value; what config_print() writes loads
 *	back to the same values (but for the secrets it shows as ***, and
 *	for a line that printing made longer than CONFIG_LINE_MAX), and
 *	never shows the www-token.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mq/config.h"
#include "tests/fuzz/fuzz_util.h"

static char conf_path[4200], printed_path[4200];

/* init - file names; no MQ_* variable of a key may steer the loads. */
static void init(void)
{
	char name[64];

	snprintf(conf_path, sizeof(conf_path), "%s/mq.conf", fuzz_dir());
	snprintf(printed_path, sizeof(printed_path), "%s/printed.conf",
		 fuzz_dir());
	for (size_t i = 0; config_key(i); i++) {
		snprintf(name, sizeof(name), "MQ_%s", config_key(i));
		for (char *p = name; *p; p++)
			*p = *p == '-' ? '_' : (char)(*p & ~0x20);
		unsetenv(name);
	}
}

/* printed_line - config_print's line of key in text, or NULL. */
static const char *printed_line(const char *text, const char *key)
{
	size_t n = strlen(key);
	const char *p = text;

	while (p && !(strncmp(p, key, n) == 0 && p[n] == ':')) {
		p = strchr(p, '\n');
		p = p ? p + 1 : NULL;
	}
	return p;
}

/* round_trip - cfg printed and loaded again gives the same values. */
static void round_trip(const struct mq_config *cfg)
{
	static struct mq_config again;
	static char a[CONFIG_VALUE_MAX], b[CONFIG_VALUE_MAX];
	char err[CONFIG_ERR_MAX], *text = NULL;
	const char *line;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		fuzz_fail("out of memory");
	config_print(cfg, f);
	fclose(f);
	fuzz_write_file(printed_path, text, len);
	line = printed_line(text, "www-token");
	if (cfg->www_token[0] && (!line || strncmp(line, "www-token: ***\n",
						   15)))
		fuzz_fail("config_print shows the www-token");
	if (config_load(&again, printed_path, err, sizeof(err)) < 0) {
		if (!strstr(err, "line longer than"))
			fuzz_fail("config_print's output does not load: %s",
				  err);
		free(text);
		return;
	}
	for (size_t i = 0; config_key(i); i++) {
		const char *eol;

		line = printed_line(text, config_key(i));
		eol = line ? strchr(line, '\n') : NULL;
		if (!line || !eol)
			fuzz_fail("config_print has no line for %s",
				  config_key(i));
		if (memmem(line, (size_t)(eol - line), "***", 3))
			continue;
		config_get(cfg, config_key(i), a, sizeof(a));
		config_get(&again, config_key(i), b, sizeof(b));
		if (strcmp(a, b))
			fuzz_fail("%s: '%s' printed and loaded is '%s'",
				  config_key(i), a, b);
	}
	free(text);
}

/* set_one - config_set(first line, the rest) on the defaults. */
static void set_one(const uint8_t *data, size_t size)
{
	static struct mq_config cfg, before;
	const uint8_t *nl = memchr(data, '\n', size);
	char err[CONFIG_ERR_MAX], *key, *value;
	size_t klen = nl ? (size_t)(nl - data) : size;

	key = strndup((const char *)data, klen);
	value = strndup(nl ? (const char *)nl + 1 : "",
			nl ? size - klen - 1 : 0);
	if (!key || !value)
		fuzz_fail("out of memory");
	config_defaults(&cfg);
	memcpy(&before, &cfg, sizeof(cfg));
	if (config_set(&cfg, key, value, "fuzz", err, sizeof(err)) < 0) {
		if (memcmp(&cfg, &before, sizeof(cfg)))
			fuzz_fail("a failed config_set changed the "
				  "configuration");
		/* a secret's message is fixed text and shorter than this */
		if ((!strcmp(key, "www-token") ||
		     !strcmp(key, "database-address")) && strlen(value) > 64 &&
		    memmem(err, strlen(err), value, 40))
			fuzz_fail("%s: the message quotes the secret value",
				  key);
	}
	free(key);
	free(value);
}

/* LLVMFuzzerTestOneInput - load the input as a file, then set its first line */
int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct mq_config cfg, before;
	char err[CONFIG_ERR_MAX];

	if (!*conf_path)
		init();
	fuzz_write_file(conf_path, data, size);
	config_defaults(&cfg);
	memcpy(&before, &cfg, sizeof(cfg));
	if (config_load(&cfg, conf_path, err, sizeof(err)) == 0)
		round_trip(&cfg);
	else if (memcmp(&cfg, &before, sizeof(cfg)))
		fuzz_fail("a failed config_load changed the configuration");
	set_one(data, size);
	return 0;
}
