/*
 * NAME
 *	auth.c - peer keys, the TLS context, the signed exporter value
 * SYNOPSIS
 *	#include "replicate/auth.h"
 * DESCRIPTION
 *	TLS 1.3 only, with a self-signed certificate made in memory at
 *	start: TLS gives confidentiality and integrity, not identity.
 *	Identity is an Ed25519 key (libsodium): each side signs the
 *	session's exporter value (RFC 8446 section 7.5) with the side it
 *	plays ('C' client, 'S' server) and checks the other's signature
 *	against cluster-peers.  A man in the middle terminates two TLS
 *	sessions with two different exporter values, so a signature it
 *	relays does not verify; the side byte keeps a server from
 *	echoing a client's own signature back to it.
 * DIAGNOSTICS
 *	false with the reason in err.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sodium.h>

#include "replicate/auth.h"

#define EXPORTER_LABEL	"EXPORTER-mq-replication"
#define EXPORTER_LEN	32

static bool key_decode(const char *text, size_t textlen, uint8_t out[32])
{
	size_t n = 0;

	return sodium_base642bin(out, 32, text, textlen, NULL, &n, NULL,
				 sodium_base64_VARIANT_URLSAFE_NO_PADDING) == 0
	       && n == 32;
}

static void key_encode(const uint8_t in[32], char out[REPLICATE_KEY_TEXT])
{
	sodium_bin2base64(out, REPLICATE_KEY_TEXT, in, 32,
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

void	replicate_keygen(char priv[REPLICATE_KEY_TEXT],
			 char pub[REPLICATE_KEY_TEXT])
{
	uint8_t seed[32];

	randombytes_buf(seed, sizeof(seed));
	key_encode(seed, priv);
	sodium_memzero(seed, sizeof(seed));
	replicate_public_key(priv, pub);
}

bool	replicate_public_key(const char *priv, char pub[REPLICATE_KEY_TEXT])
{
	struct auth_keys k;
	char err[128];

	if (!auth_keys_load(&k, priv, "", err, sizeof(err)))
		return false;
	key_encode(k.pk, pub);
	sodium_memzero(&k, sizeof(k));
	return true;
}

bool	auth_keys_load(struct auth_keys *k, const char *priv,
		       const char *peers, char *err, size_t errlen)
{
	uint8_t seed[32];
	const char *p = peers;

	memset(k, 0, sizeof(*k));
	if (sodium_init() < 0 || !key_decode(priv, strlen(priv), seed)) {
		snprintf(err, errlen, "cluster-key: not a key made by "
			 "'mq cluster keygen'");
		return false;
	}
	crypto_sign_seed_keypair(k->pk, k->sk, seed);
	sodium_memzero(seed, sizeof(seed));
	while (*p) {
		size_t n = strcspn(p, " \t,");

		if (n && k->npeers == AUTH_MAX_PEERS) {
			snprintf(err, errlen, "cluster-peers: more than %d "
				 "keys", AUTH_MAX_PEERS);
			return false;
		}
		if (n && !key_decode(p, n, k->peers[k->npeers++])) {
			snprintf(err, errlen, "cluster-peers: key %u is not "
				 "a public key", k->npeers);
			return false;
		}
		p += n + (p[n] != 0);
	}
	return true;
}

/* self_signed - a throwaway Ed25519 certificate for TLS */
static bool self_signed(SSL_CTX *ctx)
{
	EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	X509 *x = X509_new();
	bool ok = pkey && x &&
		X509_set_version(x, 2) &&
		ASN1_INTEGER_set(X509_get_serialNumber(x), 1) &&
		X509_gmtime_adj(X509_getm_notBefore(x), -3600) &&
		X509_gmtime_adj(X509_getm_notAfter(x), 3650L * 86400) &&
		X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN",
					   MBSTRING_ASC,
					   (const unsigned char *)"mq", -1,
					   -1, 0) &&
		X509_set_issuer_name(x, X509_get_subject_name(x)) &&
		X509_set_pubkey(x, pkey) &&
		X509_sign(x, pkey, NULL) > 0 &&
		SSL_CTX_use_certificate(ctx, x) == 1 &&
		SSL_CTX_use_PrivateKey(ctx, pkey) == 1;

	X509_free(x);
	EVP_PKEY_free(pkey);
	return ok;
}

SSL_CTX *auth_tls_context(bool server, char *err, size_t errlen)
{
	SSL_CTX *ctx = SSL_CTX_new(server ? TLS_server_method()
				   : TLS_client_method());

	if (ctx && SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) &&
	    SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) &&
	    (!server || self_signed(ctx))) {
		/* identity is checked by auth_verify, not by the PKI */
		SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
		return ctx;
	}
	SSL_CTX_free(ctx);
	snprintf(err, errlen, "cannot set up TLS 1.3");
	return NULL;
}

/* exporter_message - the session's exporter value and a side byte */
static bool exporter_message(SSL *ssl, char side, uint8_t msg[33])
{
	if (SSL_version(ssl) != TLS1_3_VERSION ||
	    SSL_export_keying_material(ssl, msg, EXPORTER_LEN,
				       EXPORTER_LABEL,
				       strlen(EXPORTER_LABEL), NULL, 0,
				       0) != 1)
		return false;
	msg[EXPORTER_LEN] = (uint8_t)side;
	return true;
}

bool	auth_sign(const struct auth_keys *k, SSL *ssl, bool server,
		  uint8_t out[96])
{
	uint8_t msg[EXPORTER_LEN + 1];

	if (!exporter_message(ssl, server ? 'S' : 'C', msg))
		return false;
	memcpy(out, k->pk, 32);
	return crypto_sign_detached(out + 32, NULL, msg, sizeof(msg),
				    k->sk) == 0;
}

enum auth_result auth_verify(const struct auth_keys *k, SSL *ssl,
			     bool server, const uint8_t in[96])
{
	uint8_t msg[EXPORTER_LEN + 1];
	bool known = false;

	for (unsigned i = 0; i < k->npeers && !known; i++)
		known = sodium_memcmp(k->peers[i], in, 32) == 0;
	if (!known)
		return AUTH_UNKNOWN_KEY;
	/* the peer plays the other side */
	if (!exporter_message(ssl, server ? 'C' : 'S', msg) ||
	    crypto_sign_verify_detached(in + 32, msg, sizeof(msg), in) != 0)
		return AUTH_BAD_SIGNATURE;
	return AUTH_OK;
}
