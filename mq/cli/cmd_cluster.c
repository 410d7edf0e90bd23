/*
 * NAME
 *	cmd_cluster.c - mq cluster keygen|status, mq promote
 * SYNOPSIS
 *	mq cluster keygen
 *	mq cluster status
 *	mq promote
 * DESCRIPTION
 *	keygen prints a new Ed25519 key pair as two lines,
 *	"cluster-key: PRIVATE" for this node's config and
 *	"public-key: PUBLIC" for its peers' cluster-peers.
 *
 *	status prints what the running mq serve's replication wrote
 *	beside the store (<store-path>.cluster, each second: role,
 *	primary, state, sequences, lag, peers); without a running
 *	replication, the store's own uuid, epoch and sequence.
 *
 *	promote starts a new epoch in a stopped replica's store, so that
 *	it can run as primary (cluster-role: primary) and its former
 *	primary's other replicas resynchronise from it.
 * DIAGNOSTICS
 *	Exit 0; 64 usage; 75 when promote finds mq serve running; store
 *	failures as their kind says.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "mq/cli/cli.h"
#include "mq/serve/serve.h"
#include "replicate/replicate.h"

static const char cluster_usage[] =
	"usage: mq [--config FILE] cluster keygen | status\n"
	"keygen: print a new key pair: 'cluster-key: PRIVATE' (this node's\n"
	"config) and 'public-key: PUBLIC' (the peers' cluster-peers).\n"
	"status: the running replication's role, peers, sequence and lag.\n";

static const char promote_usage[] =
	"usage: mq [--config FILE] promote\n"
	"Start a new epoch in this (stopped) replica's store; then set\n"
	"cluster-role: primary and start mq serve.\n";

/* store_line - uuid, epoch and sequence of the configured store */
static int store_line(void)
{
	struct store_txn *txn;
	struct store_meta m;
	char uuid[37];
	int ex;
	struct store *st = cli_open_store(STORE_RDONLY, &ex);

	if (!st)
		return ex;
	if (store_read_begin(st, &txn) == STORE_OK &&
	    store_meta_get(txn, &m) == STORE_OK) {
		store_uuid_format(m.uuid, uuid);
		printf("store: %s\nuuid: %s\nepoch: %" PRIu64 "\n",
		       store_path(st), uuid, m.epoch);
	}
	store_read_end(txn);
	store_close(st);
	return 0;
}

static int cluster_status(void)
{
	char path[sizeof(mq_conf.store_path) + 16], line[512];
	FILE *f;
	int ex = store_line();

	if (ex)
		return ex;
	config_cluster_status_path(&mq_conf, path, sizeof(path));
	if (!(f = fopen(path, "r"))) {
		printf("role: %s\nstate: not running (no mq serve "
		       "replicating)\n", mq_conf.cluster_role == CLUSTER_REPLICA
		       ? "replica" : "primary");
		return 0;
	}
	while (fgets(line, sizeof(line), f))
		fputs(line, stdout);
	fclose(f);
	return 0;
}

int	cmd_cluster(int argc, char **argv)
{
	char priv[REPLICATE_KEY_TEXT], pub[REPLICATE_KEY_TEXT];

	if (cli_help(argc, argv, cluster_usage))
		return 0;
	if (argc == 2 && strcmp(argv[1], "keygen") == 0) {
		replicate_keygen(priv, pub);
		printf("cluster-key: %s\npublic-key: %s\n", priv, pub);
		return 0;
	}
	if (argc == 2 && strcmp(argv[1], "status") == 0)
		return cluster_status();
	return cli_usage(cluster_usage);
}

int	cmd_promote(int argc, char **argv)
{
	uint64_t epoch;
	enum store_rc rc;
	struct store *st;
	int ex;

	if (cli_help(argc, argv, promote_usage))
		return 0;
	if (argc != 1)
		return cli_usage(promote_usage);
	if (serve_running_pid() > 0) {
		cli_error("promote: mq serve runs on this store: stop it, "
			  "promote, set cluster-role: primary, start it");
		return cli_exit(RESULT_TRYAGAIN);
	}
	if (!(st = cli_open_store(0, &ex)))
		return ex;
	if ((rc = store_epoch_start(st, &epoch))) {
		cli_error("promote: %s", store_errmsg(st));
		store_close(st);
		return cli_exit(store_rc_kind(rc));
	}
	printf("promoted: epoch %" PRIu64 "; set cluster-role: primary and "
	       "start mq serve\n", epoch);
	store_close(st);
	return 0;
}
