/*
 * NAME
 *	dkim_key.h - DKIM private keys: read, derive, render, compare
 * SYNOPSIS
 *	#include "mq/ops/dkim_key.h"
 *
 *	EVP_PKEY *key;
 *	char rec[DKIM_RECORD_MAX], why[DKIM_WHY_MAX];
 *
 *	if (dkim_key_read(pem, pemlen, &key, why, sizeof why) == 0 &&
 *	    dkim_key_record(key, rec, sizeof rec) == 0)
 *		puts(rec);
 *	EVP_PKEY_free(key);
 * DESCRIPTION
 *	Reads the privatekey column of dkim_keys with OpenSSL: PEM PKCS#8
 *	("BEGIN PRIVATE KEY") or traditional RSA ("BEGIN RSA PRIVATE KEY"),
 *	RSA or Ed25519.  Encrypted keys are refused (mq has no passphrase
 *	to give).  The public half renders as the TXT record a domain
 *	publishes at selector._domainkey.domain:
 *		v=DKIM1; k=rsa; p=<base64 of the DER SubjectPublicKeyInfo>
 *		v=DKIM1; k=ed25519; p=<base64 of the raw 32-byte key>
 *	(RFC 6376 section 3.6.1, RFC 8463 section 4).
 *
 *	Messages never quote key material, only what is wrong with it.
 *	Safe in several threads at once (each call has its own state).
 */
#ifndef MQ_DKIM_KEY_H
#define MQ_DKIM_KEY_H

#include <stddef.h>
#include <openssl/evp.h>

#define DKIM_KEY_PEM_MAX	(64u << 10)	/* bytes of a PEM key read */
#define DKIM_RSA_BITS_MAX	8192		/* larger keys are refused */
#define DKIM_RECORD_MAX		2048		/* holds any record rendered */
#define DKIM_WHY_MAX		160		/* holds any reason given */

/* What the published record says about a key. */
enum dkim_match {
	DKIM_MATCH_SAME,	/* p= is this key's public key */
	DKIM_MATCH_OTHER,	/* a DKIM record of another key */
	DKIM_MATCH_REVOKED,	/* p= is empty: the key is revoked */
	DKIM_MATCH_INVALID,	/* not a DKIM key record we can read */
};

/*
 * dkim_key_read - parse the PEM text (len bytes, need not end in NUL)
 *	into *out, which the caller frees with EVP_PKEY_free.  Returns 0,
 *	or -1 with the reason in why and *out NULL.
 */
int dkim_key_read(const char *pem, size_t len, EVP_PKEY **out, char *why,
		  size_t whylen);

/* dkim_key_type - "rsa" or "ed25519", the record's k= value. */
const char *dkim_key_type(const EVP_PKEY *key);

/*
 * dkim_key_algorithm_ok - whether the dkim_keys algorithm column
 *	(rsa-sha256, ed25519-sha256, ASCII case ignored; empty:
 *	rsa-sha256) fits the key.  An unknown value fits no key.
 */
int dkim_key_algorithm_ok(const EVP_PKEY *key, const char *alg,
			  size_t alglen);

/*
 * dkim_key_check - what a dkim_keys row's privatekey and algorithm must
 *	be to be stored and used: a known algorithm, a key that reads
 *	(dkim_key_read: not encrypted, RSA of 1024 bits or more, or
 *	Ed25519) and fits the algorithm.  Returns 0 with the key in *out
 *	(EVP_PKEY_free it), or -1 with the reason in why and *out NULL.
 *	The one rule that mq set, the API and the DNS check apply.
 */
int dkim_key_check(const char *pem, size_t pemlen, const char *alg,
		   size_t alglen, EVP_PKEY **out, char *why, size_t whylen);

/*
 * dkim_key_record - the TXT record text, one line without quotes, into
 *	buf.  Returns 0, or -1 when it does not fit in len bytes.
 */
int dkim_key_record(const EVP_PKEY *key, char *buf, size_t len);

/*
 * dkim_record_zone_line - the record as a zone-file line for name
 *	("selector._domainkey.domain."), its text split into quoted
 *	strings of at most 255 bytes as DNS needs.  Returns 0 or -1 (too
 *	long for len).
 */
int dkim_record_zone_line(const char *name, const char *record, char *buf,
			  size_t len);

/*
 * dkim_record_match - compare a published TXT record (its strings
 *	joined) with key as a verifier would: k= (default rsa) names the
 *	key's type, h= (when present) lists sha256, s= lists email or *,
 *	p= is not empty.  why says what differs for anything but
 *	DKIM_MATCH_SAME; for DKIM_MATCH_SAME it holds a warning ("" for
 *	none): p= a bare PKCS#1 key (OpenDKIM rejects it), or t=y.
 */
enum dkim_match dkim_record_match(const char *txt, size_t len,
				  const EVP_PKEY *key, char *why,
				  size_t whylen);

#endif
