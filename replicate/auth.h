/*
 * NAME
 *	auth.h - replicate/'s keys and TLS (auth.c)
 */
#ifndef MQ_REPLICATE_AUTH_H
#define MQ_REPLICATE_AUTH_H

#include <openssl/ssl.h>

#include "replicate/internal.h"

#define AUTH_MAX_PEERS	64

struct auth_keys {
	uint8_t pk[32], sk[64];
	uint8_t peers[AUTH_MAX_PEERS][32];
	unsigned npeers;
};

enum auth_result { AUTH_OK, AUTH_UNKNOWN_KEY, AUTH_BAD_SIGNATURE };

/* auth_keys_load - cluster-key and cluster-peers; false: see err */
bool	auth_keys_load(struct auth_keys *k, const char *priv,
		       const char *peers, char *err, size_t errlen);
/* auth_tls_context - TLS 1.3 only; a server gets a self-signed cert */
SSL_CTX *auth_tls_context(bool server, char *err, size_t errlen);
/* auth_sign - the AUTH payload: public key, signature of the exporter */
bool	auth_sign(const struct auth_keys *k, SSL *ssl, bool server,
		  uint8_t out[AUTH_LEN]);
/* auth_verify - a peer's AUTH payload against cluster-peers */
enum auth_result auth_verify(const struct auth_keys *k, SSL *ssl,
			     bool server, const uint8_t in[AUTH_LEN]);

#endif
