/*
 * NAME
 *	address.c - list addresses as people paste them, checked as RFC 5321
 * SYNOPSIS
 *	#include "store/store.h"
 *
 *	if (addr_parse(in, len, &addr, &alen, why, sizeof(why)) < 0) ...
 *	if (!addr_check(addr, alen, true, why, sizeof(why))) ...
 * DESCRIPTION
 *	The one parser of a list's addresses, for the command line, the
 *	API, imports and loads from SQL.  addr_reduce() takes what people
 *	paste (a mail client's "Name <addr>", "\"Quoted Name\" <addr>",
 *	"<addr>", blanks around) down to the address; addr_check() holds
 *	it against RFC 5321's mailbox: a dot-atom or quoted local part of
 *	at most 64 bytes, then a domain of letter-digit-hyphen labels with
 *	at least one dot, or an address literal ([192.0.2.1], [IPv6:...]).
 *	UTF-8 is taken where RFC 6531 (SMTPUTF8) takes it: in the local
 *	part and as IDN labels; A-labels (xn--) are plain labels.  A
 *	quoted local part may hold no space: ezmlm's stdin lines and the
 *	store's addresses never do.  An
 *	entry "@domain" (no local part) is ezmlm's entry for a whole
 *	domain and stays valid when given bare.
 *
 *	Nothing is copied: the address found points into the input.
 * DIAGNOSTICS
 *	The reason is in words, naming the part that is wrong ("two @
 *	signs", "the domain has no dot", "the domain label '-bad-' starts
 *	with a hyphen").
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "store/store.h"

/* Blanks around a pasted address (a line's CR, a copied tab). */
static bool blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* trim - [*s, *s + *n) without the blanks at both ends. */
static void trim(const char **s, size_t *n)
{
	while (*n && blank(**s)) {
		(*s)++;
		(*n)--;
	}
	while (*n && blank((*s)[*n - 1]))
		(*n)--;
}

/*
 * quoted_end - the index of the '"' closing the quoted string opening
 *	at s[0], a backslash keeping the next byte; n if it is not closed.
 */
static size_t quoted_end(const char *s, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		if (s[i] == '\\')
			i++;
		else if (s[i] == '"')
			return i;
	}
	return n;
}

/* angle_open - where the '<' of "Name <addr>" is, quoted names skipped. */
static size_t angle_open(const char *s, size_t n, bool *unclosed)
{
	*unclosed = false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '"') {
			size_t q = quoted_end(s + i, n - i);

			if (q == n - i) {
				*unclosed = true;
				return n;
			}
			i += q;
		} else if (s[i] == '<')
			return i;
	}
	return n;
}

int addr_reduce(const char *in, size_t len, const char **addr, size_t *alen,
		bool *bracketed, char *why, size_t whylen)
{
	bool unclosed;
	size_t lt;

	trim(&in, &len);
	lt = angle_open(in, len, &unclosed);
	*bracketed = lt < len;
	if (lt == len) {
		/* a bare address: a quote may open its local part */
		if (!unclosed && memchr(in, '>', len)) {
			snprintf(why, whylen, "a '>' without a '<'");
			return -1;
		}
		*addr = in;
		*alen = len;
	} else if (in[len - 1] != '>') {
		snprintf(why, whylen, memchr(in + lt, '>', len - lt)
			 ? "text after the '>'" : "a '<' without a '>'");
		return -1;
	} else {
		*addr = in + lt + 1;
		*alen = len - lt - 2;
		trim(addr, alen);
	}
	if (*alen == 0) {
		snprintf(why, whylen, "the address is empty");
		return -1;
	}
	return 0;
}

/*
 * utf8_len - the length of the well-formed UTF-8 character at s (n
 *	bytes left), 0 when it is not one: no overlong form, no
 *	surrogate, nothing above U+10FFFF.
 */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t len = s[0] >= 0xF0 ? 4 : s[0] >= 0xE0 ? 3 : s[0] >= 0xC2 ? 2
		: 0;
	unsigned lo = 0x80, hi = 0xBF;

	if (len == 0 || s[0] > 0xF4 || n < len)
		return 0;
	if (s[0] == 0xE0)
		lo = 0xA0;
	else if (s[0] == 0xED)
		hi = 0x9F;
	else if (s[0] == 0xF0)
		lo = 0x90;
	else if (s[0] == 0xF4)
		hi = 0x8F;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xBF)
			return 0;
	return len;
}

/* control - a byte no address holds: below space, or DEL. */
static bool control(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

/*
 * say_byte - why byte c at 1-based position pos of part does not
 *	belong there; quotable: a quoted local part could hold it.
 */
static bool say_byte(const char *part, bool quotable, unsigned char c,
		     size_t pos, char *why, size_t whylen)
{
	const char *hint = quotable ? " (only a quoted local part may)" : "";

	if (control(c))
		snprintf(why, whylen, "%s holds a control byte (0x%02x) at "
			 "byte %zu", part, c, pos);
	else if (c >= 0x80)
		snprintf(why, whylen, "%s is not UTF-8 at byte %zu", part, pos);
	else if (c == ' ')
		snprintf(why, whylen, "%s holds a space%s", part, hint);
	else
		snprintf(why, whylen, "%s holds '%c'%s", part, c, hint);
	return false;
}

/* atext - RFC 5322's atom characters (RFC 6531's UTF-8 apart). */
static bool atext(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		(c >= '0' && c <= '9') || (c && strchr("!#$%&'*+-/=?^_`{|}~",
						       c));
}

/* utf8_run - the UTF-8 character at s[i], or 0 (s holds n bytes) */
static size_t utf8_run(const char *s, size_t i, size_t n)
{
	return (unsigned char)s[i] >= 0x80
		? utf8_len((const unsigned char *)s + i, n - i) : 0;
}

/* check_dot_atom - a local part of atoms joined by single dots. */
static bool check_dot_atom(const char *s, size_t n, char *why, size_t whylen)
{
	for (size_t i = 0, u; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '.' && (i == 0 || i == n - 1 || s[i - 1] == '.')) {
			snprintf(why, whylen, "the local part %s",
				 i == 0 ? "starts with a dot" : s[i - 1] == '.'
				 ? "has two dots in a row" : "ends with a dot");
			return false;
		}
		if (c == '.' || atext(c))
			continue;
		if (!(u = utf8_run(s, i, n)))
			return say_byte("the local part", true, c, i + 1, why,
					whylen);
		i += u - 1;
	}
	return true;
}

/* check_quoted - a quoted local part ("..."), s[0] and s[n-1] quotes. */
static bool check_quoted(const char *s, size_t n, char *why, size_t whylen)
{
	for (size_t i = 1, u; i + 1 < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\\' && i + 2 < n && !control((unsigned char)s[i + 1])
		    && (unsigned char)s[i + 1] < 0x80 && s[i + 1] != ' ') {
			i++;
			continue;
		}
		/* RFC's, but ezmlm's lines and files split at a space */
		if (c == ' ' || (c == '\\' && s[i + 1] == ' ')) {
			snprintf(why, whylen, "the local part holds a space, "
				 "which a list cannot hold even quoted");
			return false;
		}
		if (!control(c) && c < 0x80 && c != '\\')
			continue;
		if (!(u = utf8_run(s, i, n)))
			return say_byte("the local part", false, c, i + 1, why,
					whylen);
		i += u - 1;
	}
	return true;
}

/* printable - is every byte of s printable ASCII? */
static bool printable(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (control((unsigned char)s[i]) || (unsigned char)s[i] >= 0x80)
			return false;
	return true;
}

/* check_literal - an address literal: [IPv4] or [IPv6:...]. */
static bool check_literal(const char *d, size_t n, char *why, size_t whylen)
{
	char text[64];
	unsigned char bin[16];
	bool v6 = n >= 7 && !strncasecmp(d + 1, "IPv6:", 5);
	size_t skip = v6 ? 6 : 1;

	if (d[n - 1] != ']') {
		snprintf(why, whylen, "the address literal is not closed "
			 "with ']'");
		return false;
	}
	/* inet_pton reads up to a NUL: a literal holding one is not one */
	if (n - skip - 1 < sizeof(text) && printable(d, n)) {
		memcpy(text, d + skip, n - skip - 1);
		text[n - skip - 1] = 0;
		if (inet_pton(v6 ? AF_INET6 : AF_INET, text, bin) == 1)
			return true;
	}
	if (n <= 60 && printable(d, n))
		snprintf(why, whylen, "the address literal '%.*s' is not an "
			 "%s address", (int)n, d, v6 ? "IPv6" : "IPv4");
	else
		snprintf(why, whylen, "the address literal is not an %s "
			 "address", v6 ? "IPv6" : "IPv4");
	return false;
}

/*
 * check_label - one label of a domain name: letters, digits, hyphens
 *	(none first or last) or UTF-8 (an IDN's U-label), 1..63 bytes.
 *	A label is quoted in a message only once its bytes are known good.
 */
static bool check_label(const char *l, size_t n, char *why, size_t whylen)
{
	char part[96];
	size_t shown = n;

	for (size_t i = 0, u; i < n; i++) {
		unsigned char c = (unsigned char)l[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-')
			continue;
		if ((u = utf8_run(l, i, n))) {
			i += u - 1;
			continue;
		}
		snprintf(part, sizeof(part), "the domain label '%.*s'",
			 printable(l, n) && n <= 63 ? (int)n : (int)i, l);
		return say_byte(part, false, c, i + 1, why, whylen);
	}
	if (n > 63) {
		for (shown = 20; ((unsigned char)l[shown] & 0xC0) == 0x80;)
			shown--;	/* no UTF-8 character cut */
		snprintf(why, whylen, "the domain label '%.*s...' is longer "
			 "than 63 bytes", (int)shown, l);
		return false;
	}
	if (l[0] == '-' || l[n - 1] == '-') {
		snprintf(why, whylen, "the domain label '%.*s' %s with a "
			 "hyphen", (int)n, l, l[0] == '-' ? "starts" : "ends");
		return false;
	}
	return true;
}

/* all_digits - is the label (n > 0 bytes) a number? */
static bool all_digits(const char *l, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (l[i] < '0' || l[i] > '9')
			return false;
	return true;
}

/* check_domain - a domain name of labels, at least two, or a literal. */
static bool check_domain(const char *d, size_t n, char *why, size_t whylen)
{
	const char *label = d, *end = d + n, *dot;

	if (n == 0) {
		snprintf(why, whylen, "the domain is empty");
		return false;
	}
	if (d[0] == '[')
		return check_literal(d, n, why, whylen);
	for (;; label = dot + 1) {
		dot = memchr(label, '.', (size_t)(end - label));
		if (!dot && label == d) {
			snprintf(why, whylen, "the domain has no dot");
			return false;
		}
		if ((dot ? dot : end) == label) {
			snprintf(why, whylen, "the domain %s", label == d ?
				 "starts with a dot" : !dot ? "ends with a dot"
				 : "has two dots in a row");
			return false;
		}
		if (!check_label(label, (size_t)((dot ? dot : end) - label),
				 why, whylen))
			return false;
		if (!dot)
			break;
	}
	if (all_digits(label, (size_t)(end - label))) {
		snprintf(why, whylen, "the domain's last label '%.*s' is a "
			 "number (an IP address is written [192.0.2.1])",
			 (int)(end - label > 20 ? 20 : end - label), label);
		return false;
	}
	return true;
}

/*
 * split_at - where the local part ends: after its closing quote or at
 *	the only '@'.  -1 with the reason when there is no single '@'.
 */
static int split_at(const char *s, size_t n, size_t *at, char *why,
		    size_t whylen)
{
	size_t count = 0, from = 0;

	if (s[0] == '"') {
		from = quoted_end(s, n);
		if (from == n) {
			snprintf(why, whylen, "the local part's quote is not "
				 "closed");
			return -1;
		}
		if (++from < n && s[from] != '@') {
			snprintf(why, whylen, "text between the quoted local "
				 "part and the @");
			return -1;
		}
	}
	for (const char *p = s + from; (p = memchr(p, '@', (size_t)(s + n - p)));
	     p++)
		if (count++ == 0)
			*at = (size_t)(p - s);
	if (count == 1)
		return 0;
	if (count == 0)
		snprintf(why, whylen, "no @ sign");
	else if (count == 2)
		snprintf(why, whylen, "two @ signs");
	else
		snprintf(why, whylen, "%zu @ signs", count);
	return -1;
}

bool addr_check(const char *s, size_t n, bool domain_entry, char *why,
		size_t whylen)
{
	size_t at = 0;

	if (n > SUB_PATH_MAX) {
		snprintf(why, whylen, "the address is longer than %d bytes",
			 SUB_PATH_MAX);
		return false;
	}
	if (n == 0 || split_at(s, n, &at, why, whylen) < 0) {
		if (n == 0)
			snprintf(why, whylen, "the address is empty");
		return false;
	}
	if (at == 0 && !domain_entry) {
		snprintf(why, whylen, "the local part is empty");
		return false;
	}
	if (at > ADDR_LOCAL_MAX) {
		snprintf(why, whylen, "the local part is longer than %d bytes",
			 ADDR_LOCAL_MAX);
		return false;
	}
	if (at > 0 && !(s[0] == '"' ? check_quoted(s, at, why, whylen)
			: check_dot_atom(s, at, why, whylen)))
		return false;
	return check_domain(s + at + 1, n - at - 1, why, whylen);
}

int addr_parse(const char *in, size_t len, const char **addr, size_t *alen,
	       char *why, size_t whylen)
{
	bool bracketed;

	if (addr_reduce(in, len, addr, alen, &bracketed, why, whylen) < 0)
		return -1;
	/* "Name <@domain>" is nobody's address; a bare "@domain" is ezmlm's */
	return addr_check(*addr, *alen, !bracketed, why, whylen) ? 0 : -1;
}

bool addr_row_check(const struct store_row *row, char *why, size_t whylen)
{
	const struct store_value *a = &row->col[REG_ADDR_ADDRESS];
	const struct store_value *h = &row->col[REG_ADDR_HASH];
	unsigned own;

	if (a->kind != SV_TEXT)
		return true;
	if (!addr_check(a->s, a->len, true, why, whylen))
		return false;
	own = sub_hash(a->s, a->len);
	if (h->kind == SV_INT && h->i >= 0 && h->i <= SUB_HASH_MAX &&
	    h->i != own) {
		snprintf(why, whylen, "hash %lld is not its own (%u)",
			 (long long)h->i, own);
		return false;
	}
	return true;
}
