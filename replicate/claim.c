/*
 * NAME
 *	claim.c - a replica remembers which primary leads each epoch
 * SYNOPSIS
 *	#include "replicate/link.h"
 *
 *	if (!claim_check(l, &meta)) ...	 refused: two primaries
 * DESCRIPTION
 *	A store's history is named by (uuid, epoch): one primary writes
 *	it, and a new primary (mq promote, a restore) starts a new epoch.
 *	A copy of a primary's file started as a second primary keeps the
 *	uuid and epoch, and both would hand out the same sequences for
 *	different writes; a replica moved from one to the other would
 *	merge two histories without a word (resurrected deletes,
 *	clashing ids).
 *
 *	So a replica records, in STORE.primary beside its store, the
 *	uuid, epoch and public key of the primary it follows (one line:
 *	"UUID EPOCH KEY-HEX").  A primary whose key differs, offering the
 *	same uuid and epoch (a stream that continues the replica's own
 *	history, or a snapshot of it), is refused and nothing of it is
 *	applied; the operator promotes one of them (a new epoch) or
 *	restores.  Two nodes configured with the same cluster-key cannot
 *	be told apart: each node has a key of its own.
 * DIAGNOSTICS
 *	claim_check returns false after link_refuse, which logs why with
 *	the peer's address.  A record that cannot be written is logged;
 *	replication goes on.
 */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "replicate/link.h"

#define CLAIM_LINE	160

/* claim_path - STORE.primary */
static void claim_path(const struct link *l, char *out, size_t len)
{
	snprintf(out, len, "%s.primary", store_path(l->r->o.st));
}

/* claim_format - the record line of (m's uuid and epoch, pk) */
static void claim_format(const struct store_meta *m, const uint8_t pk[32],
			 char out[CLAIM_LINE])
{
	char uuid[37], hex[65];

	store_uuid_format(m->uuid, uuid);
	sodium_bin2hex(hex, sizeof(hex), pk, 32);
	snprintf(out, CLAIM_LINE, "%s %llu %s\n", uuid,
		 (unsigned long long)m->epoch, hex);
}

/* claim_read - the recorded line, "" when there is none */
static void claim_read(const char *path, char out[CLAIM_LINE])
{
	FILE *f = fopen(path, "r");

	out[0] = 0;
	if (f) {
		if (!fgets(out, CLAIM_LINE, f))
			out[0] = 0;
		fclose(f);
	}
}

static void claim_write(struct link *l, const char *path, const char *line)
{
	char tmp[4300];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (!(f = fopen(tmp, "w")) || fputs(line, f) == EOF ||
	    fclose(f) != 0 || rename(tmp, path) != 0) {
		repl_log(l->r, true, "replication: %s: cannot record the "
			 "primary", path);
		remove(tmp);
	}
}

/* same_history - do two record lines name the same uuid and epoch? */
static bool same_history(const char *a, const char *b)
{
	const char *ka = strrchr(a, ' '), *kb = strrchr(b, ' ');

	return ka && kb && ka - a == kb - b && !memcmp(a, b, (size_t)(ka - a));
}

bool	claim_check(struct link *l, const struct store_meta *m)
{
	char path[4200], had[CLAIM_LINE], now[CLAIM_LINE];

	claim_path(l, path, sizeof(path));
	claim_read(path, had);
	claim_format(m, l->peer_pk, now);
	if (!strcmp(had, now))
		return true;
	if (same_history(had, now)) {
		link_refuse(l, "two primaries: this peer offers uuid and epoch "
			    "%.*s, which another primary (key %.16s...) led; "
			    "nothing applied (mq promote one of them, or "
			    "restore: both start a new epoch)",
			    (int)(strrchr(now, ' ') - now), now,
			    strrchr(had, ' ') + 1);
		return false;
	}
	claim_write(l, path, now);
	return true;
}
