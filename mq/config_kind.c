/*
 * NAME
 *	config_kind.c - each kind of config value: its parser and printer
 * DESCRIPTION
 *	A parser takes the text of a value (from the file, the environment
 *	or the key's default) into its field of struct mq_config, within the
 *	key's bounds, or says why not in one line; a printer writes the
 *	field back as text that parses to the same value.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mq/config_kind.h"
#include "sql-compat/sql.h"

/* Words are stored as unsigned (the enums' type in GCC) through memcpy. */
_Static_assert(sizeof(enum log_level) == sizeof(unsigned), "enum size");
_Static_assert(sizeof(enum cluster_role) == sizeof(unsigned), "enum size");

/* fail - format a message into buf; returns -1 for the caller to pass on */
int config_fail(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	return -1;
}

/* parse_decimal - the digits at s as a number; -1 if none or on overflow */
static int parse_decimal(const char *s, const char **end, uint64_t *out)
{
	const char *p;
	uint64_t n = 0;

	for (p = s; *p >= '0' && *p <= '9'; p++) {
		unsigned digit = (unsigned)(*p - '0');

		if (n > (UINT64_MAX - digit) / 10)
			return -1;
		n = n * 10 + digit;
	}
	*end = p;
	*out = n;
	return p > s ? 0 : -1;
}

/* store_number - write n into a uint64_t or unsigned field, by its size */
static void store_number(const struct config_key *k, void *field, uint64_t n)
{
	unsigned u = (unsigned)n;

	if (k->size == sizeof(uint64_t))
		memcpy(field, &n, sizeof n);
	else
		memcpy(field, &u, sizeof u);
}

/* load_number - read a uint64_t or unsigned field, by its size */
static uint64_t load_number(const struct config_key *k, const void *field)
{
	uint64_t n;
	unsigned u;

	if (k->size == sizeof(uint64_t)) {
		memcpy(&n, field, sizeof n);
		return n;
	}
	memcpy(&u, field, sizeof u);
	return u;
}

static int parse_text(const struct config_key *k, void *field,
		      const char *value, char *why, size_t whylen)
{
	size_t n = strnlen(value, k->size);

	if (n >= k->size)
		return config_fail(why, whylen, "longer than %zu bytes", k->size - 1);
	if (n < k->min)
		return config_fail(why, whylen, "%s must not be empty", k->name);
	memcpy(field, value, n + 1);
	return 0;
}

static void format_text(const struct config_key *k, const void *field,
			char *buf, size_t len)
{
	(void)k;
	snprintf(buf, len, "%s", (const char *)field);
}

static int parse_number(const struct config_key *k, void *field,
			const char *value, char *why, size_t whylen)
{
	const char *end;
	uint64_t n;

	if (parse_decimal(value, &end, &n) < 0 || *end != '\0')
		return config_fail(why, whylen, "not a number");
	if (n < k->min)
		return config_fail(why, whylen, "below the minimum of %" PRIu64, k->min);
	if (n > k->max)
		return config_fail(why, whylen, "above the maximum of %" PRIu64, k->max);
	store_number(k, field, n);
	return 0;
}

static void format_number(const struct config_key *k, const void *field,
			  char *buf, size_t len)
{
	snprintf(buf, len, "%" PRIu64, load_number(k, field));
}

/* parse_port - like parse_number, 0..65535, with the message operators expect */
static int parse_port(const struct config_key *k, void *field,
		      const char *value, char *why, size_t whylen)
{
	const char *end;
	uint64_t n;

	if (parse_decimal(value, &end, &n) < 0 || *end != '\0' || n > 65535)
		return config_fail(why, whylen, "not a port number");
	store_number(k, field, n);
	return 0;
}

static const char size_units[] = "KMGT";	/* 1024^1 .. 1024^4 */

/* format_size_value - n with the largest suffix that divides it exactly */
static void format_size_value(uint64_t n, char *buf, size_t len)
{
	unsigned i;

	for (i = sizeof size_units - 1; i > 0; i--) {
		unsigned shift = 10 * i;

		if (n != 0 && n % (UINT64_C(1) << shift) == 0) {
			snprintf(buf, len, "%" PRIu64 "%c", n >> shift,
				 size_units[i - 1]);
			return;
		}
	}
	snprintf(buf, len, "%" PRIu64, n);
}

static int parse_size(const struct config_key *k, void *field,
		      const char *value, char *why, size_t whylen)
{
	const char *end, *unit;
	unsigned shift = 0;
	char min[32];
	uint64_t n;

	if (parse_decimal(value, &end, &n) < 0)
		return config_fail(why, whylen, "not a size (bytes, or a number with K, M, G or T)");
	if (*end != '\0') {
		unit = strchr(size_units, toupper((unsigned char)*end));
		if (unit == NULL || end[1] != '\0')
			return config_fail(why, whylen, "not a size (bytes, or a number with K, M, G or T)");
		shift = 10 * (unsigned)(unit - size_units + 1);
	}
	if (n > UINT64_MAX >> shift)
		return config_fail(why, whylen, "size too large");
	n <<= shift;
	if (n < k->min) {
		format_size_value(k->min, min, sizeof min);
		return config_fail(why, whylen, "below the minimum of %s", min);
	}
	store_number(k, field, n);
	return 0;
}

static void format_size(const struct config_key *k, const void *field,
			char *buf, size_t len)
{
	format_size_value(load_number(k, field), buf, len);
}

static int parse_bool(const struct config_key *k, void *field,
		      const char *value, char *why, size_t whylen)
{
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0" };
	bool b;
	size_t i;

	(void)k;
	for (i = 0; i < sizeof yes / sizeof yes[0]; i++) {
		if (strcasecmp(value, yes[i]) == 0)
			b = true;
		else if (strcasecmp(value, no[i]) == 0)
			b = false;
		else
			continue;
		memcpy(field, &b, sizeof b);
		return 0;
	}
	return config_fail(why, whylen, "not a boolean (true/false, yes/no, on/off, 1/0)");
}

static void format_bool(const struct config_key *k, const void *field,
			char *buf, size_t len)
{
	bool b;

	(void)k;
	memcpy(&b, field, sizeof b);
	snprintf(buf, len, "%s", b ? "true" : "false");
}

/* parse_word - one of k->words, any case; the field gets its index */
static int parse_word(const struct config_key *k, void *field,
		      const char *value, char *why, size_t whylen)
{
	size_t i, used;
	unsigned index;

	for (i = 0; k->words[i] != NULL; i++) {
		if (strcasecmp(value, k->words[i]) == 0) {
			index = (unsigned)i;
			memcpy(field, &index, sizeof index);
			return 0;
		}
	}
	used = (size_t)snprintf(why, whylen, "not one of");
	for (i = 0; k->words[i] != NULL && used < whylen; i++)
		used += (size_t)snprintf(why + used, whylen - used, "%s %s",
					 i ? "," : "", k->words[i]);
	return -1;
}

static void format_word(const struct config_key *k, const void *field,
			char *buf, size_t len)
{
	unsigned index;

	memcpy(&index, field, sizeof index);
	snprintf(buf, len, "%s", k->words[index]);
}

/* is_ip - whether s is a numeric address of family (AF_INET, AF_INET6) */
static bool is_ip(const char *s, int family)
{
	unsigned char addr[sizeof(struct in6_addr)];

	return inet_pton(family, s, addr) == 1;
}

static int parse_ip(const struct config_key *k, void *field,
		    const char *value, char *why, size_t whylen)
{
	if (!is_ip(value, AF_INET) && !is_ip(value, AF_INET6))
		return config_fail(why, whylen, "not a numeric IPv4 or IPv6 address");
	return parse_text(k, field, value, why, whylen);
}

/*
 * split_endpoint - HOST:PORT or [HOST]:PORT into host (no brackets) and
 * whether it was bracketed; the port must be 1..65535.  Returns -1 if s
 * has another shape, a host too long for host, or an empty host.
 */
static int split_endpoint(const char *s, char *host, size_t hostlen,
			  bool *bracketed)
{
	const char *start = s, *stop, *port;
	uint64_t n;

	*bracketed = s[0] == '[';
	if (*bracketed) {
		start = s + 1;
		stop = strchr(start, ']');
		if (stop == NULL || stop[1] != ':')
			return -1;
		port = stop + 2;
	} else {
		stop = strchr(s, ':');
		if (stop == NULL || strchr(stop + 1, ':') != NULL)
			return -1;
		port = stop + 1;
	}
	if (stop == start || (size_t)(stop - start) >= hostlen)
		return -1;
	if (parse_decimal(port, &port, &n) < 0 || *port != '\0' || n < 1 || n > 65535)
		return -1;
	memcpy(host, start, (size_t)(stop - start));
	host[stop - start] = '\0';
	return 0;
}

/* parse_listen - "" or IPv4:PORT or [IPv6]:PORT: a local address to bind */
static int parse_listen(const struct config_key *k, void *field,
			const char *value, char *why, size_t whylen)
{
	char host[CONFIG_VALUE_MAX];
	bool bracketed;

	if (*value != '\0' &&
	    (split_endpoint(value, host, sizeof host, &bracketed) < 0 ||
	     !is_ip(host, bracketed ? AF_INET6 : AF_INET)))
		return config_fail(why, whylen, "not IP:PORT or [IPv6]:PORT");
	return parse_text(k, field, value, why, whylen);
}

/* is_host_name - letters, digits, '.', '-' and '_' (container names) */
static bool is_host_name(const char *s)
{
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && strchr(".-_", *s) == NULL)
			return false;
	return true;
}

/* parse_host_port - "" or HOST:PORT or [IPv6]:PORT: a peer to connect to */
static int parse_host_port(const struct config_key *k, void *field,
			   const char *value, char *why, size_t whylen)
{
	char host[CONFIG_VALUE_MAX];
	bool bracketed;

	if (*value != '\0' &&
	    (split_endpoint(value, host, sizeof host, &bracketed) < 0 ||
	     !(bracketed ? is_ip(host, AF_INET6) : is_host_name(host))))
		return config_fail(why, whylen, "not HOST:PORT or [IPv6]:PORT");
	return parse_text(k, field, value, why, whylen);
}

/* parse_servers - "" or a comma list of IP, IP:PORT, [IPv6]:PORT */
static int parse_servers(const struct config_key *k, void *field,
			 const char *value, char *why, size_t whylen)
{
	char item[CONFIG_VALUE_MAX], host[CONFIG_VALUE_MAX];
	const char *p = value;
	size_t n;
	bool br;

	for (; *value != '\0'; p += n + 1) {
		n = strcspn(p, ",");
		snprintf(item, sizeof item, "%.*s", (int)n, p);
		if (!is_ip(item, AF_INET) && !is_ip(item, AF_INET6) &&
		    (split_endpoint(item, host, sizeof host, &br) < 0 ||
		     !is_ip(host, br ? AF_INET6 : AF_INET)))
			return config_fail(why, whylen, "not a list of IP, IP:PORT or [IPv6]:PORT");
		if (p[n] == '\0')
			break;
	}
	return parse_text(k, field, value, why, whylen);
}
/*
 * parse_hosts - www-hosts: names a Host header may carry, separated by
 *	spaces; letters, digits, '.', '-', '_', ':' and '[' ']' only, so a
 *	value can never smuggle a header or a pattern.
 */
static int parse_hosts(const struct config_key *k, void *field,
		       const char *value, char *why, size_t whylen)
{
	size_t bad = strspn(value, "abcdefghijklmnopqrstuvwxyz"
			    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_:[] ");

	if (value[bad] != '\0')
		return config_fail(why, whylen, "not a host name list (names "
			    "separated by spaces): bad byte %zu", bad + 1);
	return parse_text(k, field, value, why, whylen);
}

/*
 * parse_address - a database-address is checked when the configuration
 * is read, so a bad one is a configuration error (exit 64) for every
 * command rather than a failure of the first command that connects.
 * The parser's message never quotes the password.
 */
static int parse_address(const struct config_key *k, void *field,
			 const char *value, char *why, size_t whylen)
{
	struct sql_address *addr = NULL;
	char err[256];

	if (*value != '\0' && sql_address_parse(value, &addr, err, sizeof err))
		return config_fail(why, whylen, "%s", err);
	sql_address_free(addr);
	return parse_text(k, field, value, why, whylen);
}

const struct config_kind kind_text = { parse_text, format_text };
const struct config_kind kind_address = { parse_address, format_text };
const struct config_kind kind_number = { parse_number, format_number };
const struct config_kind kind_port = { parse_port, format_number };
const struct config_kind kind_size = { parse_size, format_size };
const struct config_kind kind_bool = { parse_bool, format_bool };
const struct config_kind kind_word = { parse_word, format_word };
const struct config_kind kind_ip = { parse_ip, format_text };
const struct config_kind kind_listen = { parse_listen, format_text };
const struct config_kind kind_host_port = { parse_host_port, format_text };
const struct config_kind kind_servers = { parse_servers, format_text };
const struct config_kind kind_hosts = { parse_hosts, format_text };

