/*
 * NAME
 *	config_kind.h - the kinds of config values, inside mq/ only
 * DESCRIPTION
 *	Shared by config.c (the key table, files, the environment),
 *	config_kind.c (each kind's parser and printer) and config_mailerq.c
 *	(MailerQ's keys); nothing else includes it: the public interface
 *	is mq/config.h.
 */
#ifndef MQ_CONFIG_KIND_H
#define MQ_CONFIG_KIND_H

#include <stddef.h>
#include <stdint.h>

#include "mq/config.h"

struct config_key;

/* A kind of value: text to field, field to text. */
struct config_kind {
	int (*parse)(const struct config_key *k, void *field, const char *value,
		     char *why, size_t whylen);
	void (*format)(const struct config_key *k, const void *field,
		       char *buf, size_t len);
};

/* What config_print hides: the whole value, or the password in a URL. */
enum secret { SECRET_NONE, SECRET_ALL, SECRET_URL_PASSWORD };

struct config_key {
	const char *name;
	const struct config_kind *kind;
	size_t offset, size;		/* the field in struct mq_config */
	uint64_t min, max;		/* numbers: bounds; text: min length */
	const char *const *words;	/* words: the names of 0, 1, ... */
	enum secret secret;
	const char *def;		/* the default, as text */
	const char *help;
};

/*
 * config_name_cmp - lfind(3)'s comparison of a name (a const char **) with
 *	a table entry that begins with one: a struct config_key, or a name.
 */
int config_name_cmp(const void *name, const void *entry);

/* config_fail - format a message into buf; -1 for the caller to pass on */
int config_fail(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

extern const struct config_kind kind_text;
extern const struct config_kind kind_address;
extern const struct config_kind kind_number;
extern const struct config_kind kind_port;
extern const struct config_kind kind_size;
extern const struct config_kind kind_bool;
extern const struct config_kind kind_word;
extern const struct config_kind kind_ip;
extern const struct config_kind kind_listen;
extern const struct config_kind kind_host_port;
extern const struct config_kind kind_servers;
extern const struct config_kind kind_hosts;

#endif
