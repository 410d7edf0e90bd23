/*
 * NAME
 *	replicate.h - primary/replica replication of the store over TLS
 * SYNOPSIS
 *	#include "replicate/replicate.h"
 *
 *	struct replicate_options o = { .st = st, .primary = true, ... };
 *	replicate_start(&o, err, sizeof err);
 *	replicate_status(&status);
 *	replicate_stop();
 * DESCRIPTION
 *	One thread with its own event base: a primary listens on
 *	cluster-listen and streams the change log (or a snapshot) to each
 *	replica; a replica connects to cluster-primary, authenticates,
 *	and applies what it receives (store_apply_changes,
 *	store_snapshot_install).  Peers authenticate with Ed25519 keys
 *	signed over the TLS 1.3 exporter value.  docs/replication.md
 *	describes the protocol and its guarantees.
 * DIAGNOSTICS
 *	replicate_start returns false with the reason in err.  Refused
 *	peers, lost connections and installed snapshots are reported
 *	through the options' log function, one line each.
 */
#ifndef MQ_REPLICATE_H
#define MQ_REPLICATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

/* Printable keys: base64 (URL alphabet, no padding) of 32 bytes. */
#define REPLICATE_KEY_TEXT 48

struct replicate_options {
	struct store *st;
	bool primary;		/* cluster-role */
	const char *listen;	/* primary: IP:PORT, "" for none */
	const char *primary_addr; /* replica: IP:PORT of the primary */
	const char *key;	/* cluster-key: this node's private key */
	const char *peers;	/* cluster-peers: public keys, spaces */
	const char *status_path; /* written each second; NULL: none */
	/* log - one line; error true for refusals and failures */
	void (*log)(bool error, const char *line);
};

/* replicate_start - start the replication thread; false: see err. */
bool	replicate_start(const struct replicate_options *o, char *err,
			size_t errlen);

/* replicate_stop - end the thread, close every connection. */
void	replicate_stop(void);

/* What a node knows of its replication, for status, metrics, health. */
struct replicate_status {
	bool running;
	bool primary;
	bool connected;		/* replica: authenticated to its primary */
	unsigned replicas;	/* primary: authenticated replicas */
	uint64_t sequence;	/* this store's */
	uint64_t primary_sequence; /* replica: the primary's, as last told */
	uint64_t lag_ms;	/* replica: since it was last caught up */
	uint64_t disconnected_ms; /* replica: since the link was lost */
	uint64_t snapshots;	/* snapshots sent (primary) or installed */
	uint64_t refused;	/* peers refused */
};

/* replicate_status - a copy of the running thread's figures. */
void	replicate_status(struct replicate_status *out);

/*
 * replicate_keygen - a new key pair as text: priv for cluster-key,
 *	pub for the peers' cluster-peers.
 */
void	replicate_keygen(char priv[REPLICATE_KEY_TEXT],
			 char pub[REPLICATE_KEY_TEXT]);

/* replicate_public_key - the public key of a cluster-key; false: bad. */
bool	replicate_public_key(const char *priv, char pub[REPLICATE_KEY_TEXT]);

#endif
