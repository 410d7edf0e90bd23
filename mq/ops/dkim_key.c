/*
 * NAME
 *	dkim_key.c - read DKIM private keys, render and compare TXT records
 * SYNOPSIS
 *	#include "mq/ops/dkim_key.h"
 * DESCRIPTION
 *	OpenSSL does the key work: PEM_read_bio_PrivateKey reads PKCS#8
 *	and traditional RSA PEM alike, i2d_PUBKEY gives an RSA key's
 *	SubjectPublicKeyInfo, EVP_PKEY_get_raw_public_key an Ed25519
 *	key's 32 bytes, and EVP_PKEY_eq compares a published key with
 *	ours.  A published RSA p= is read as SubjectPublicKeyInfo (what
 *	"openssl rsa -pubout" writes and RFC 6376's example uses) or,
 *	failing that, as a bare PKCS#1 RSAPublicKey: the letter of RFC
 *	6376 section 3.6.1, which OpenDKIM rejects, so such a match
 *	carries a warning.  Like a receiver, the match honours k=
 *	(default rsa), h= (must list sha256), s= (email or *) and an
 *	empty p= (revoked); t=y is noted.
 * DIAGNOSTICS
 *	Reasons name what is wrong (type, size, encryption, tag), never
 *	the key's bytes.  OpenSSL's error queue is cleared after each
 *	failure so that one bad key does not taint the next.
 */
#include <string.h>
#include <strings.h>
#include <stdio.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "mq/ops/dkim_key.h"

#define DKIM_DER_MAX	1200	/* SubjectPublicKeyInfo of 8192-bit RSA */
#define DKIM_RSA_BITS_MIN 1024	/* RFC 8301: shorter keys are not used */
#define DNS_STRING_MAX	255	/* bytes of one TXT character-string */
#define ED25519_RAW	32

/* no_passphrase - refuse encrypted keys instead of prompting on a tty. */
static int no_passphrase(char *buf, int size, int rwflag, void *arg)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)arg;
	return -1;
}

/* key_fail - write a reason, clear OpenSSL's error queue, return -1. */
static int key_fail(char *why, size_t whylen, const char *reason)
{
	snprintf(why, whylen, "%s", reason);
	ERR_clear_error();
	return -1;
}

/* key_usable - an RSA key of a sane size or an Ed25519 key. */
static int key_usable(const EVP_PKEY *key, char *why, size_t whylen)
{
	int bits;

	switch (EVP_PKEY_get_base_id(key)) {
	case EVP_PKEY_ED25519:
		return 0;
	case EVP_PKEY_RSA:
		bits = EVP_PKEY_get_bits(key);
		if (bits < DKIM_RSA_BITS_MIN || bits > DKIM_RSA_BITS_MAX) {
			snprintf(why, whylen, "an RSA key of %d bits: DKIM "
				 "keys have %d to %d", bits, DKIM_RSA_BITS_MIN,
				 DKIM_RSA_BITS_MAX);
			return -1;
		}
		return 0;
	}
	return key_fail(why, whylen, "neither an RSA nor an Ed25519 key");
}

int dkim_key_read(const char *pem, size_t len, EVP_PKEY **out, char *why,
		  size_t whylen)
{
	BIO *bio;

	*out = NULL;
	if (len == 0)
		return key_fail(why, whylen, "no private key");
	if (len > DKIM_KEY_PEM_MAX)
		return key_fail(why, whylen, "private key longer than 64 KiB");
	if (!(bio = BIO_new_mem_buf(pem, (int)len)))
		return key_fail(why, whylen, "out of memory");
	*out = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
	BIO_free(bio);
	if (!*out) {
		if (memmem(pem, len, "ENCRYPTED", 9))
			return key_fail(why, whylen, "the private key is "
					"encrypted: store it unencrypted");
		return key_fail(why, whylen, "not a PEM private key (PKCS#8 "
				"or traditional RSA)");
	}
	if (key_usable(*out, why, whylen) < 0) {
		EVP_PKEY_free(*out);
		*out = NULL;
		ERR_clear_error();
		return -1;
	}
	return 0;
}

const char *dkim_key_type(const EVP_PKEY *key)
{
	return EVP_PKEY_get_base_id(key) == EVP_PKEY_ED25519 ? "ed25519"
							     : "rsa";
}

/* known_algorithm - the key type an algorithm value names; NULL: none. */
static const char *known_algorithm(const char *alg, size_t alglen)
{
	static const char *const algs[][2] = {
		{ "rsa-sha256", "rsa" }, { "ed25519-sha256", "ed25519" },
	};

	if (alglen == 0)	/* the column's default is rsa-sha256 */
		return "rsa";
	for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++)
		if (alglen == strlen(algs[i][0]) &&
		    !strncasecmp(alg, algs[i][0], alglen))
			return algs[i][1];
	return NULL;
}

int dkim_key_algorithm_ok(const EVP_PKEY *key, const char *alg, size_t alglen)
{
	const char *type = known_algorithm(alg, alglen);

	return type && !strcmp(type, dkim_key_type(key));
}

int dkim_key_check(const char *pem, size_t pemlen, const char *alg,
		   size_t alglen, EVP_PKEY **out, char *why, size_t whylen)
{
	EVP_PKEY *key;

	*out = NULL;
	if (!known_algorithm(alg, alglen)) {
		snprintf(why, whylen, "algorithm '%.*s' is neither rsa-sha256 "
			 "nor ed25519-sha256", (int)(alglen > 32 ? 32 : alglen),
			 alg);
		return -1;
	}
	if (dkim_key_read(pem, pemlen, &key, why, whylen) < 0)
		return -1;
	if (!dkim_key_algorithm_ok(key, alg, alglen)) {
		snprintf(why, whylen, "an %s key does not fit algorithm %.*s%s",
			 strcmp(dkim_key_type(key), "rsa") ? "Ed25519" : "RSA",
			 (int)alglen, alg, alglen ? "" : "rsa-sha256 (the "
			 "default)");
		EVP_PKEY_free(key);
		return -1;
	}
	*out = key;
	return 0;
}

/* public_bytes - the bytes p= carries: SPKI DER or raw Ed25519. */
static int public_bytes(const EVP_PKEY *key, unsigned char *buf, size_t cap,
			size_t *len)
{
	unsigned char *p = buf;
	int n;

	if (EVP_PKEY_get_base_id(key) == EVP_PKEY_ED25519) {
		*len = cap;
		return EVP_PKEY_get_raw_public_key(key, buf, len) == 1 ? 0
									: -1;
	}
	n = i2d_PUBKEY(key, NULL);
	if (n <= 0 || (size_t)n > cap)
		return -1;
	if (i2d_PUBKEY(key, &p) != n)
		return -1;
	*len = (size_t)n;
	return 0;
}

int dkim_key_record(const EVP_PKEY *key, char *buf, size_t len)
{
	unsigned char der[DKIM_DER_MAX];
	char b64[(DKIM_DER_MAX + 2) / 3 * 4 + 1];
	size_t n;
	int w;

	if (public_bytes(key, der, sizeof(der), &n) < 0) {
		ERR_clear_error();
		return -1;
	}
	EVP_EncodeBlock((unsigned char *)b64, der, (int)n);
	w = snprintf(buf, len, "v=DKIM1; k=%s; p=%s", dkim_key_type(key), b64);
	return w < 0 || (size_t)w >= len ? -1 : 0;
}

int dkim_record_zone_line(const char *name, const char *record, char *buf,
			  size_t len)
{
	size_t left = strlen(record), used;
	int w = snprintf(buf, len, "%s IN TXT", name);

	if (w < 0 || (size_t)w >= len)
		return -1;
	used = (size_t)w;
	while (left > 0) {
		size_t chunk = left < DNS_STRING_MAX ? left : DNS_STRING_MAX;

		w = snprintf(buf + used, len - used, " \"%.*s\"", (int)chunk,
			     record);
		if (w < 0 || (size_t)w >= len - used)
			return -1;
		used += (size_t)w;
		record += chunk;
		left -= chunk;
	}
	return 0;
}

/* A tag=value of a record, trimmed, pointing into the text. */
struct tag {
	const char *name, *value;
	size_t namelen, valuelen;
};

/* is_wsp - folding white space of a tag list (RFC 6376 3.2). */
static int is_wsp(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* trim - drop white space at both ends of [*s, *s + *n). */
static void trim(const char **s, size_t *n)
{
	while (*n > 0 && is_wsp(**s)) {
		(*s)++;
		(*n)--;
	}
	while (*n > 0 && is_wsp((*s)[*n - 1]))
		(*n)--;
}

/* find_tag - the value of tag name in the record; 0 if found, else -1. */
static int find_tag(const char *txt, size_t len, const char *name,
		    struct tag *out)
{
	const char *end = txt + len;

	while (txt < end) {
		const char *semi = memchr(txt, ';', (size_t)(end - txt));
		const char *stop = semi ? semi : end;
		const char *eq = memchr(txt, '=', (size_t)(stop - txt));

		if (eq) {
			out->name = txt;
			out->namelen = (size_t)(eq - txt);
			out->value = eq + 1;
			out->valuelen = (size_t)(stop - eq - 1);
			trim(&out->name, &out->namelen);
			trim(&out->value, &out->valuelen);
			if (out->namelen == strlen(name) &&
			    !memcmp(out->name, name, out->namelen))
				return 0;
		}
		txt = stop + 1;
	}
	return -1;
}

/* decode_p - base64 of p= (folding white space allowed) into buf. */
static int decode_p(const struct tag *p, unsigned char *buf, size_t cap,
		    size_t *len)
{
	char clean[(DKIM_DER_MAX + 2) / 3 * 4 + 8];
	size_t n = 0, pad = 0;
	int out;

	for (size_t i = 0; i < p->valuelen; i++) {
		if (is_wsp(p->value[i]))
			continue;
		if (n == sizeof(clean) - 1)
			return -1;
		clean[n++] = p->value[i];
	}
	if (n % 4 != 0 || n / 4 * 3 > cap)
		return -1;
	while (pad < 2 && pad < n && clean[n - 1 - pad] == '=')
		pad++;
	out = EVP_DecodeBlock(buf, (unsigned char *)clean, (int)n);
	if (out < 0)
		return -1;
	*len = (size_t)out - pad;
	return 0;
}

/* list_has - whether a colon-separated tag value lists word. */
static int list_has(const struct tag *t, const char *word)
{
	const char *p = t->value, *end = t->value + t->valuelen;

	while (p <= end) {
		const char *colon = memchr(p, ':', (size_t)(end - p));
		const char *stop = colon ? colon : end;
		const char *w = p;
		size_t n = (size_t)(stop - p);

		trim(&w, &n);
		if (n == strlen(word) && !strncasecmp(w, word, n))
			return 1;
		p = stop + 1;
	}
	return 0;
}

/*
 * published_key - the key p= holds, read as the record's k= says;
 *	*pkcs1 tells an RSA key published as a bare RSAPublicKey.
 */
static EVP_PKEY *published_key(const unsigned char *der, size_t len,
			       int ed25519, int *pkcs1)
{
	const unsigned char *p = der;
	EVP_PKEY *pub;

	*pkcs1 = 0;
	if (ed25519)
		return len == ED25519_RAW ? EVP_PKEY_new_raw_public_key(
			EVP_PKEY_ED25519, NULL, der, len) : NULL;
	if ((pub = d2i_PUBKEY(NULL, &p, (long)len)))
		return pub;
	p = der;
	*pkcs1 = 1;
	return d2i_PublicKey(EVP_PKEY_RSA, NULL, &p, (long)len);
}

/* match_fail - a verdict with its reason, OpenSSL's queue cleared. */
static enum dkim_match match_fail(enum dkim_match m, char *why, size_t whylen,
				  const char *reason)
{
	snprintf(why, whylen, "%s", reason);
	ERR_clear_error();
	return m;
}

/*
 * usable_tags - what a verifier refuses before it looks at p=: a hash
 *	list (h=) without sha256, which both algorithms use, and a
 *	service list (s=) without email or *.  0, or -1 with the reason.
 */
static int usable_tags(const char *txt, size_t len, char *why, size_t whylen)
{
	struct tag t;

	if (!find_tag(txt, len, "h", &t) && !list_has(&t, "sha256")) {
		snprintf(why, whylen, "the record's h=%.*s excludes sha256",
			 (int)(t.valuelen > 32 ? 32 : t.valuelen), t.value);
		return -1;
	}
	if (!find_tag(txt, len, "s", &t) && !list_has(&t, "email") &&
	    !list_has(&t, "*")) {
		snprintf(why, whylen, "the record's s=%.*s excludes email",
			 (int)(t.valuelen > 32 ? 32 : t.valuelen), t.value);
		return -1;
	}
	return 0;
}

/* same_note - a match, with the warnings a receiver might raise in why */
static enum dkim_match same_note(const char *txt, size_t len, int pkcs1,
				 char *why, size_t whylen)
{
	static const char pkcs1_note[] = "warning: p= is a bare PKCS#1 "
		"RSAPublicKey, which OpenDKIM-based receivers reject; publish "
		"the record mq dkim-record prints";
	static const char testing_note[] = "warning: t=y: the domain is "
		"testing DKIM, receivers may ignore signatures";
	struct tag t;
	int testing = !find_tag(txt, len, "t", &t) && list_has(&t, "y");

	/* the PKCS#1 warning matters more: it is the one that fails mail */
	snprintf(why, whylen, "%s", pkcs1 ? pkcs1_note
		 : testing ? testing_note : "");
	ERR_clear_error();
	return DKIM_MATCH_SAME;
}

enum dkim_match dkim_record_match(const char *txt, size_t len,
				  const EVP_PKEY *key, char *why,
				  size_t whylen)
{
	unsigned char der[DKIM_DER_MAX];
	const char *type = dkim_key_type(key);
	struct tag v, k, p;
	EVP_PKEY *pub;
	size_t n;
	int same, pkcs1;

	if (!find_tag(txt, len, "v", &v) &&
	    (v.valuelen != 5 || memcmp(v.value, "DKIM1", 5)))
		return match_fail(DKIM_MATCH_INVALID, why, whylen,
				  "the record's v= is not DKIM1");
	if (find_tag(txt, len, "p", &p))
		return match_fail(DKIM_MATCH_INVALID, why, whylen,
				  "the record has no p= tag");
	if (p.valuelen == 0)
		return match_fail(DKIM_MATCH_REVOKED, why, whylen,
				  "the record's p= is empty: key revoked");
	if (find_tag(txt, len, "k", &k)) {
		k.value = "rsa";	/* RFC 6376: k= defaults to rsa */
		k.valuelen = 3;
	}
	if (k.valuelen != strlen(type) || strncasecmp(k.value, type,
						      k.valuelen)) {
		snprintf(why, whylen, "the record is for k=%.*s, the key is %s",
			 (int)(k.valuelen > 16 ? 16 : k.valuelen), k.value,
			 type);
		return DKIM_MATCH_OTHER;
	}
	if (usable_tags(txt, len, why, whylen) < 0)
		return DKIM_MATCH_OTHER;
	if (decode_p(&p, der, sizeof(der), &n) < 0)
		return match_fail(DKIM_MATCH_INVALID, why, whylen,
				  "the record's p= is not base64 of a key");
	pub = published_key(der, n, !strcmp(type, "ed25519"), &pkcs1);
	if (!pub)
		return match_fail(DKIM_MATCH_INVALID, why, whylen,
				  "the record's p= is not a public key");
	same = EVP_PKEY_eq(pub, key) == 1;
	EVP_PKEY_free(pub);
	if (!same)
		return match_fail(DKIM_MATCH_OTHER, why, whylen,
				  "the record publishes another key");
	return same_note(txt, len, pkcs1, why, whylen);
}
