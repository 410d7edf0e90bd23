/*
 * NAME
 *	sql_address.c - database-address URLs: parse, format, redact, copy
 * SYNOPSIS
 *	#include "sql-compat/sql.h"
 * DESCRIPTION
 *	The address half of sql.h.  Parses the URL forms sql.h lists,
 *	percent-decoding user, password, database and options, and writes
 *	addresses back with the password as "***".
 * DIAGNOSTICS
 *	A URL that does not parse is never quoted piecewise (a piece may
 *	be the password), only through sql_url_redact().
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sql-compat/sql.h"

/* The URL schemes, aliases included. */
static const struct {
	const char *scheme;
	enum sql_engine engine;
} sql_schemes[] = {
	{"sqlite", SQL_ENGINE_SQLITE},
	{"postgresql", SQL_ENGINE_PGSQL},
	{"postgres", SQL_ENGINE_PGSQL},
	{"mysql", SQL_ENGINE_MYSQL},
	{"mariadb", SQL_ENGINE_MYSQL},
};

/* ---------------------------------------------------------------- */
/* parsing                                                           */
/* ---------------------------------------------------------------- */

int sql_hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * sql_decode - percent-decode s[0..n) into a new string.  Returns NULL
 *	with errno EINVAL for a bad escape or an encoded NUL (it would cut
 *	the string short in every client library), ENOMEM without memory.
 */
static char *sql_decode(const char *s, size_t n)
{
	char   *out = malloc(n + 1), *o = out;
	size_t	i;

	if (out == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		int	hi, lo;

		if (s[i] != '%') {
			*o++ = s[i];
			continue;
		}
		if (i + 2 >= n)
			goto bad;
		hi = sql_hex_digit((unsigned char) s[i + 1]);
		lo = sql_hex_digit((unsigned char) s[i + 2]);
		if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
			goto bad;
		*o++ = (char) (hi * 16 + lo);
		i += 2;
	}
	*o = 0;
	return out;
bad:
	free(out);
	errno = EINVAL;
	return NULL;
}

/* Parser state: the address being built and where to say what failed. */
struct sql_parse {
	struct sql_address *addr;
	char   *errbuf;
	size_t	errlen;
};

/* sql_parse_fail - record why the address is refused; SQL_CONFIG */
static enum sql_rc sql_parse_fail(struct sql_parse *ps, const char *why)
{
	if (ps->errbuf && ps->errlen)
		snprintf(ps->errbuf, ps->errlen, "%s", why);
	return SQL_CONFIG;
}

/* sql_parse_decode - decode one part into *out; SQL_OK or failure */
static enum sql_rc sql_parse_decode(struct sql_parse *ps, const char *s,
				    size_t n, char **out, const char *what)
{
	char	why[128];

	if ((*out = sql_decode(s, n)) != NULL)
		return SQL_OK;
	if (errno == ENOMEM)
		return SQL_INTERNAL;
	snprintf(why, sizeof(why), "bad percent-encoding in the %s", what);
	return sql_parse_fail(ps, why);
}

/* sql_parse_scheme - engine from "scheme://"; *rest after the "//" */
static enum sql_rc sql_parse_scheme(struct sql_parse *ps, const char *url,
				    const char **rest)
{
	const char *sep = strstr(url, "://");
	size_t	n, i;

	if (sep == NULL)
		return sql_parse_fail(ps, "expected scheme://..., e.g. "
				      "postgresql://user:password@host/db");
	n = (size_t) (sep - url);
	for (i = 0; i < sizeof(sql_schemes) / sizeof(sql_schemes[0]); i++) {
		if (strlen(sql_schemes[i].scheme) == n
		    && strncasecmp(url, sql_schemes[i].scheme, n) == 0) {
			ps->addr->engine = sql_schemes[i].engine;
			ps->addr->scheme = strdup(sql_schemes[i].scheme);
			*rest = sep + 3;
			return ps->addr->scheme ? SQL_OK : SQL_INTERNAL;
		}
	}
	return sql_parse_fail(ps, "unknown scheme (expected sqlite, "
			      "postgresql, postgres, mysql or mariadb)");
}

/* sql_parse_option - one "key=value" of the query string */
static enum sql_rc sql_parse_option(struct sql_parse *ps, const char *s,
				    size_t n)
{
	struct sql_address *a = ps->addr;
	const char *eq = memchr(s, '=', n);
	size_t	klen = eq ? (size_t) (eq - s) : n;
	struct sql_option *o, *grown;
	enum sql_rc rc;

	if (klen == 0)
		return sql_parse_fail(ps, "empty option name");
	grown = realloc(a->options, (a->noptions + 1) * sizeof(*o));
	if (grown == NULL)
		return SQL_INTERNAL;
	a->options = grown;
	o = &a->options[a->noptions];
	o->key = o->value = NULL;
	a->noptions++;
	if ((rc = sql_parse_decode(ps, s, klen, &o->key, "option name")) != SQL_OK)
		return rc;
	if (eq)
		rc = sql_parse_decode(ps, eq + 1, n - klen - 1, &o->value,
				      "option value");
	else
		rc = (o->value = strdup("")) ? SQL_OK : SQL_INTERNAL;
	if (rc != SQL_OK)
		return rc;
	for (size_t i = 0; i + 1 < a->noptions; i++)
		if (strcmp(a->options[i].key, o->key) == 0)
			return sql_parse_fail(ps, "option given twice");
	return SQL_OK;
}

/* sql_parse_query - the options after '?', separated by '&' */
static enum sql_rc sql_parse_query(struct sql_parse *ps, const char *q)
{
	enum sql_rc rc;

	while (*q) {
		size_t	n = strcspn(q, "&");

		if (n > 0 && (rc = sql_parse_option(ps, q, n)) != SQL_OK)
			return rc;
		q += n;
		if (*q == '&')
			q++;
	}
	return SQL_OK;
}

/* sql_parse_port - decimal 1..65535 */
static enum sql_rc sql_parse_port(struct sql_parse *ps, const char *s,
				  size_t n)
{
	unsigned long port = 0;
	size_t	i;

	if (n == 0 || n > 5)
		return sql_parse_fail(ps, "bad port (expected 1-65535)");
	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char) s[i]))
			return sql_parse_fail(ps, "bad port (expected 1-65535)");
		port = port * 10 + (unsigned long) (s[i] - '0');
	}
	if (port < 1 || port > 65535)
		return sql_parse_fail(ps, "bad port (expected 1-65535)");
	ps->addr->port = (unsigned) port;
	return SQL_OK;
}

/* sql_host_char_ok - a character allowed in a host name or address */
static int sql_host_char_ok(int c, int bracketed)
{
	if (isalnum(c) || c == '.' || c == '-' || c == '_')
		return 1;
	return bracketed && (c == ':' || c == '%');
}

/* sql_host_needs_brackets - a host with a character only "[...]" allows */
static int sql_host_needs_brackets(const char *host)
{
	for (; *host; host++)
		if (!sql_host_char_ok((unsigned char) *host, 0))
			return 1;
	return 0;
}

/*
 * sql_parse_socketdir - libpq's "%2Fdir[:port]": the directory of a Unix
 *	socket, percent-encoded, as the host
 */
static enum sql_rc sql_parse_socketdir(struct sql_parse *ps, const char *s,
				       size_t n)
{
	const char *colon = memchr(s, ':', n);
	size_t	hlen = colon ? (size_t) (colon - s) : n;
	enum sql_rc rc;

	if (colon && (rc = sql_parse_port(ps, colon + 1, n - hlen - 1)))
		return rc;
	return sql_parse_decode(ps, s, hlen, &ps->addr->host,
				"socket directory");
}

/* sql_is_socketdir - does the host start with an encoded '/'? */
static bool sql_is_socketdir(const char *s, size_t n)
{
	return n >= 3 && s[0] == '%' && s[1] == '2' && (s[2] == 'F' ||
							 s[2] == 'f');
}

/*
 * sql_parse_hostport - "host", "host:port", "[v6]" or "[v6]:port", or a
 *	socket directory "%2Fdir"
 */
static enum sql_rc sql_parse_hostport(struct sql_parse *ps, const char *s,
				      size_t n)
{
	const char *h = s, *colon = NULL;
	size_t	hlen = n, i;
	int	bracketed = n > 0 && s[0] == '[';

	if (sql_is_socketdir(s, n))
		return sql_parse_socketdir(ps, s, n);
	if (bracketed) {
		const char *end = memchr(s, ']', n);

		if (end == NULL)
			return sql_parse_fail(ps, "'[' without ']' in the host");
		h = s + 1;
		hlen = (size_t) (end - h);
		if (end + 1 < s + n) {
			if (end[1] != ':')
				return sql_parse_fail(ps, "junk after ']' in the host");
			colon = end + 1;
		}
	} else if ((colon = memchr(s, ':', n)) != NULL) {
		hlen = (size_t) (colon - s);
	}
	if (colon) {
		enum sql_rc rc = sql_parse_port(ps, colon + 1,
					(size_t) (s + n - colon - 1));

		if (rc != SQL_OK)
			return rc;
	}
	for (i = 0; i < hlen; i++)
		if (!sql_host_char_ok((unsigned char) h[i], bracketed))
			return sql_parse_fail(ps, "bad character in the host");
	if (hlen == 0 && (bracketed || colon))
		return sql_parse_fail(ps, "empty host");
	if (hlen && (ps->addr->host = strndup(h, hlen)) == NULL)
		return SQL_INTERNAL;
	return SQL_OK;
}

/* sql_parse_userinfo - "user", "user:password"; decoded */
static enum sql_rc sql_parse_userinfo(struct sql_parse *ps, const char *s,
				      size_t n)
{
	const char *colon = memchr(s, ':', n);
	size_t	ulen = colon ? (size_t) (colon - s) : n;
	enum sql_rc rc;

	if (ulen == 0)
		return sql_parse_fail(ps, "empty user name before '@'");
	rc = sql_parse_decode(ps, s, ulen, &ps->addr->user, "user name");
	if (rc != SQL_OK || colon == NULL)
		return rc;
	return sql_parse_decode(ps, colon + 1, n - ulen - 1,
				&ps->addr->password, "password");
}

/*
 * sql_parse_server - user-info, host, port, database of a server
 *	engine.  The user-info ends at the last '@' of the authority, so
 *	an unencoded '@' in a password still works.
 */
static enum sql_rc sql_parse_server(struct sql_parse *ps, const char *s)
{
	size_t	alen = strcspn(s, "/?");
	const char *at = NULL, *p, *db;
	enum sql_rc rc;

	for (p = s; p < s + alen; p++)
		if (*p == '@')
			at = p;
	if (!at && memchr(s + alen, '@', strcspn(s + alen, "?")))
		return sql_parse_fail(ps, "a '/' in the user name or password "
				      "must be percent-encoded as %2F");
	if (at) {
		rc = sql_parse_userinfo(ps, s, (size_t) (at - s));
		if (rc != SQL_OK)
			return rc;
		p = at + 1;
	} else {
		p = s;
	}
	if ((rc = sql_parse_hostport(ps, p, (size_t) (s + alen - p))) != SQL_OK)
		return rc;
	db = s + alen;
	if (*db == '/') {
		size_t	dlen = strcspn(++db, "?");

		if (dlen > 0 && (rc = sql_parse_decode(ps, db, dlen,
				 &ps->addr->database, "database")) != SQL_OK)
			return rc;
		db += dlen;
	}
	return *db == '?' ? sql_parse_query(ps, db + 1) : SQL_OK;
}

/* sql_parse_sqlite - "/absolute/path[?options]" after "sqlite://" */
static enum sql_rc sql_parse_sqlite(struct sql_parse *ps, const char *s)
{
	size_t	plen = strcspn(s, "?");
	enum sql_rc rc;

	if (s[0] != '/')
		return sql_parse_fail(ps, "sqlite needs an absolute path "
				      "after three slashes: sqlite:///path/file.db");
	rc = sql_parse_decode(ps, s, plen, &ps->addr->path, "path");
	if (rc != SQL_OK)
		return rc;
	/* the decoded path: an encoded '/' at the end names no file either */
	plen = strlen(ps->addr->path);
	if (plen < 2 || ps->addr->path[plen - 1] == '/')
		return sql_parse_fail(ps, "sqlite address has no file name");
	plen = strcspn(s, "?");
	return s[plen] == '?' ? sql_parse_query(ps, s + plen + 1) : SQL_OK;
}

/* sql_address_parse - see sql.h */
enum sql_rc sql_address_parse(const char *url, struct sql_address **out,
			      char *errbuf, size_t errlen)
{
	struct sql_parse ps = {NULL, errbuf, errlen};
	const char *rest = NULL;
	enum sql_rc rc;

	*out = NULL;
	if (errbuf && errlen)
		errbuf[0] = 0;
	if ((ps.addr = calloc(1, sizeof(*ps.addr))) == NULL)
		return SQL_INTERNAL;
	if (url == NULL || *url == 0)
		rc = sql_parse_fail(&ps, "empty database-address");
	else if (strpbrk(url, "# \t\r\n"))
		rc = sql_parse_fail(&ps, "space or '#' in the address "
				    "(percent-encode it)");
	else if ((rc = sql_parse_scheme(&ps, url, &rest)) != SQL_OK)
		;
	else if (ps.addr->engine == SQL_ENGINE_SQLITE)
		rc = sql_parse_sqlite(&ps, rest);
	else
		rc = sql_parse_server(&ps, rest);
	if (rc == SQL_INTERNAL)
		sql_parse_fail(&ps, "out of memory");
	if (rc != SQL_OK) {
		sql_address_free(ps.addr);
		return rc;
	}
	*out = ps.addr;
	return SQL_OK;
}

/* sql_address_free - see sql.h */
void	sql_address_free(struct sql_address *addr)
{
	if (addr == NULL)
		return;
	for (size_t i = 0; i < addr->noptions; i++) {
		free(addr->options[i].key);
		free(addr->options[i].value);
	}
	free(addr->options);
	free(addr->scheme);
	free(addr->user);
	free(addr->password);
	free(addr->host);
	free(addr->database);
	free(addr->path);
	free(addr);
}

/* sql_address_option - see sql.h */
const char *sql_address_option(const struct sql_address *addr,
			       const char *key)
{
	for (size_t i = 0; i < addr->noptions; i++)
		if (strcmp(addr->options[i].key, key) == 0)
			return addr->options[i].value;
	return NULL;
}

/* ---------------------------------------------------------------- */
/* formatting and redaction                                          */
/* ---------------------------------------------------------------- */

/* A bounded string builder that counts what it could not store. */
struct url_out {
	char   *p;
	size_t	len;
	size_t	need;
};

static void sql_put(struct url_out *b, const char *s, size_t n)
{
	if (b->need < b->len) {
		size_t	room = b->len - b->need - 1;

		memcpy(b->p + b->need, s, n < room ? n : room);
	}
	b->need += n;
}

static void sql_puts(struct url_out *b, const char *s)
{
	sql_put(b, s, strlen(s));
}

/* sql_put_encoded - s percent-encoded; bytes in keep stay as they are */
static void sql_put_encoded(struct url_out *b, const char *s, const char *keep)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char c = (unsigned char) *s;
		char	esc[3] = {'%', hex[c >> 4], hex[c & 15]};

		if (isalnum(c) || strchr("-._~", c) || (keep && strchr(keep, c)))
			sql_put(b, s, 1);
		else
			sql_put(b, esc, 3);
	}
}

/* url_out_end - NUL-terminate and return the length needed */
static size_t url_out_end(struct url_out *b)
{
	if (b->len)
		b->p[b->need < b->len ? b->need : b->len - 1] = 0;
	return b->need;
}

/* sql_secret_key - an option whose value is a secret (sslpassword) */
static int sql_secret_key(const char *key, size_t n)
{
	static const char word[] = "password";

	for (size_t i = 0; i + sizeof(word) - 1 <= n; i++)
		if (strncasecmp(key + i, word, sizeof(word) - 1) == 0)
			return 1;
	return 0;
}

/* sql_address_format - see sql.h */
size_t	sql_address_format(char *buf, size_t len,
			   const struct sql_address *a)
{
	struct url_out b = {buf, len, 0};

	sql_puts(&b, a->scheme ? a->scheme : sql_engine_name(a->engine));
	sql_puts(&b, "://");
	if (a->engine == SQL_ENGINE_SQLITE) {
		sql_put_encoded(&b, a->path ? a->path : "", "/");
	} else {
		if (a->user) {
			sql_put_encoded(&b, a->user, NULL);
			if (a->password)
				sql_puts(&b, ":***");
			sql_puts(&b, "@");
		}
		if (a->host && a->host[0] == '/') {
			sql_put_encoded(&b, a->host, NULL);
		} else if (a->host && sql_host_needs_brackets(a->host)) {
			sql_puts(&b, "[");
			sql_puts(&b, a->host);
			sql_puts(&b, "]");
		} else if (a->host) {
			sql_puts(&b, a->host);
		}
		if (a->port) {
			char	port[16];

			snprintf(port, sizeof(port), ":%u", a->port);
			sql_puts(&b, port);
		}
		sql_puts(&b, "/");
		if (a->database)
			sql_put_encoded(&b, a->database, NULL);
	}
	for (size_t i = 0; i < a->noptions; i++) {
		const char *k = a->options[i].key;

		sql_puts(&b, i ? "&" : "?");
		sql_put_encoded(&b, k, NULL);
		sql_puts(&b, "=");
		if (sql_secret_key(k, strlen(k)))
			sql_puts(&b, "***");
		else
			sql_put_encoded(&b, a->options[i].value, NULL);
	}
	return url_out_end(&b);
}

/* redact_at - url into b, the user-info's password up to at hidden */
static void redact_at(struct url_out *b, const char *url, const char *start,
		      const char *at)
{
	const char *colon = NULL, *p = url;

	if (at && at > start)
		colon = memchr(start, ':', (size_t) (at - start));
	if (colon) {
		sql_put(b, url, (size_t) (colon - url + 1));
		sql_puts(b, "***");
		p = at;
	}
	while (*p) {
		size_t	n = strcspn(p, "=");

		sql_put(b, p, n);
		p += n;
		if (*p == 0)
			break;
		sql_put(b, p++, 1);
		if (sql_secret_key(p - 1 - n, n)) {
			sql_puts(b, "***");
			p += strcspn(p, "&");
		}
	}
}

/* parses - does url parse as a database-address? */
static bool parses(const char *url)
{
	struct sql_address *a = NULL;
	bool	ok = sql_address_parse(url, &a, NULL, 0) == SQL_OK;

	sql_address_free(a);
	return ok;
}

/*
 * userinfo_at - the '@' to hide the password up to.  The last '@' of
 *	the whole string errs on the side of hiding, since a broken URL
 *	(or one whose author meant an unencoded '/' in the password) may
 *	hold more of the password after the parser's '@'.  But a URL that
 *	parses must still parse when redacted (mq config prints what mq
 *	serve reads): when the last '@' breaks it, the parser's own
 *	boundary is used, the last '@' before the first '/' or '?'.
 */
static const char *userinfo_at(const char *url, const char *start)
{
	const char *at = strrchr(url, '@'), *own = NULL;
	size_t	alen = strcspn(start, "/?"), need;
	struct url_out t = {NULL, 0, 0};
	bool	keep;

	if (!at || !parses(url))
		return at;
	redact_at(&t, url, start, at);
	need = t.need + 1;
	if (!(t.p = malloc(need)))
		return at;
	t = (struct url_out){t.p, need, 0};
	redact_at(&t, url, start, at);
	url_out_end(&t);
	keep = parses(t.p);
	free(t.p);
	if (keep)
		return at;
	for (const char *p = start; p < start + alen; p++)
		if (*p == '@')
			own = p;
	return own;
}

/* sql_url_redact - see sql.h: the password up to userinfo_at() hidden. */
size_t	sql_url_redact(char *buf, size_t len, const char *url)
{
	struct url_out b = {buf, len, 0};
	const char *sep = strstr(url, "://");
	const char *start = sep ? sep + 3 : url;

	redact_at(&b, url, start, userinfo_at(url, start));
	return url_out_end(&b);
}

/* ---------------------------------------------------------------- */
/* connections                                                       */
/* ---------------------------------------------------------------- */

/* sql_strdup_opt - strdup of a string that may be NULL; -1 on ENOMEM */
static int sql_strdup_opt(char **dst, const char *src)
{
	*dst = src ? strdup(src) : NULL;
	return src && *dst == NULL ? -1 : 0;
}

/* sql_address_dup - see sql.h */
struct sql_address *sql_address_dup(const struct sql_address *a)
{
	struct sql_address *c = calloc(1, sizeof(*c));
	int	err = 0;

	if (c == NULL)
		return NULL;
	c->engine = a->engine;
	c->port = a->port;
	err |= sql_strdup_opt(&c->scheme, a->scheme);
	err |= sql_strdup_opt(&c->user, a->user);
	err |= sql_strdup_opt(&c->password, a->password);
	err |= sql_strdup_opt(&c->host, a->host);
	err |= sql_strdup_opt(&c->database, a->database);
	err |= sql_strdup_opt(&c->path, a->path);
	if (a->noptions && (c->options = calloc(a->noptions,
						sizeof(*c->options))) == NULL)
		err = -1;
	for (size_t i = 0; err == 0 && i < a->noptions; i++) {
		c->noptions++;
		err |= sql_strdup_opt(&c->options[i].key, a->options[i].key);
		err |= sql_strdup_opt(&c->options[i].value, a->options[i].value);
	}
	if (err) {
		sql_address_free(c);
		return NULL;
	}
	return c;
}
