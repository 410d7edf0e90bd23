/*
 * NAME
 *	cmd_cluster.c - mq cluster keygen|status, mq promote
 * SYNOPSIS
 *	mq cluster keygen
 *	mq cluster status [--json]
 *	mq promote
 * DESCRIPTION
 *	keygen prints a new Ed25519 key pair as two lines,
 *	"cluster-key: PRIVATE" for this node's config and
 *	"public-key: PUBLIC" for its peers' cluster-peers.
 *
 *	status prints what the running mq serve's replication wrote
 *	beside the store (<store-path>.cluster, each second: role,
 *	primary, state, sequences, lag, peers); without a running
 *	replication, the store's own uuid, epoch and sequence.  Each
 *	line is "key: value"; --json prints them as one object, a value
 *	of digits as a number.
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
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "mq/cli/cli.h"
#include "mq/serve/serve.h"
#include "replicate/replicate.h"

static const char cluster_usage[] =
	"usage: mq [--config FILE] cluster keygen | status\n"
	"keygen: print a new key pair: 'cluster-key: PRIVATE' (this node's\n"
	"config) and 'public-key: PUBLIC' (the peers' cluster-peers).\n"
	"status: the running replication's role, peers, sequence and lag\n"
	"(--json: one object of the same keys).\n";

static const char promote_usage[] =
	"usage: mq [--config FILE] promote\n"
	"Start a new epoch in this (stopped) replica's store; then set\n"
	"cluster-role: primary and start mq serve.\n";

/*
 * status_put - "key: value" into the status, digits as a number; the
 *	"peer: ..." lines, one per peer, into the array "peers"
 */
static void status_put(json_t *o, const char *line)
{
	char key[64];
	const char *v = strstr(line, ": ");
	size_t vlen;
	json_t *peers;

	if (!v || (size_t)(v - line) >= sizeof(key) - 1)
		return;
	snprintf(key, sizeof(key), "%.*s", (int)(v - line), line);
	v += 2;
	vlen = strcspn(v, "\n");
	if (strcmp(key, "peer") == 0) {
		if (!(peers = json_object_get(o, "peers")))
			json_object_set_new(o, "peers", peers = json_array());
		json_array_append_new(peers, json_stringn(v, vlen));
	} else if (vlen && vlen < 19 && strspn(v, "0123456789") == vlen)
		json_object_set_new(o, key, json_integer(strtoll(v, NULL, 10)));
	else
		json_object_set_new(o, key, json_stringn(v, vlen));
}

/* status_print - the status as lines, or with json as one object */
static int status_print(json_t *o, bool json)
{
	const char *key;
	json_t *v;

	if (json)
		return cli_json_print(o);
	json_object_foreach(o, key, v) {
		size_t i;
		json_t *peer;

		if (json_is_array(v))
			json_array_foreach(v, i, peer)
				printf("peer: %s\n", json_string_value(peer));
		else if (json_is_integer(v))
			printf("%s: %" JSON_INTEGER_FORMAT "\n", key,
			       json_integer_value(v));
		else
			printf("%s: %s\n", key, json_string_value(v));
	}
	json_decref(o);
	return 0;
}

/* store_line - uuid, epoch and sequence of the configured store */
static int store_line(json_t *o)
{
	char line[REG_NAME_MAX + 4096];

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
		json_object_set_new(o, "store", json_string(store_path(st)));
		json_object_set_new(o, "uuid", json_string(uuid));
		snprintf(line, sizeof(line), "epoch: %" PRIu64, m.epoch);
		status_put(o, line);
	}
	store_read_end(txn);
	store_close(st);
	return 0;
}

static int cluster_status(bool json)
{
	char path[sizeof(mq_conf.store_path) + 16], line[512];
	json_t *o = json_object();
	FILE *f;
	int ex = o ? store_line(o) : cli_exit(RESULT_INTERNAL);

	if (ex) {
		json_decref(o);
		return ex;
	}
	config_cluster_status_path(&mq_conf, path, sizeof(path));
	if (!(f = fopen(path, "r"))) {
		json_object_set_new(o, "role", json_string(
			mq_conf.cluster_role == CLUSTER_REPLICA ? "replica"
			: "primary"));
		json_object_set_new(o, "state", json_string(
			"not running (no mq serve replicating)"));
		return status_print(o, json);
	}
	while (fgets(line, sizeof(line), f))
		status_put(o, line);
	fclose(f);
	return status_print(o, json);
}

int	cmd_cluster(int argc, char **argv)
{
	char priv[REPLICATE_KEY_TEXT], pub[REPLICATE_KEY_TEXT];
	bool json;

	if (cli_help(argc, argv, cluster_usage))
		return 0;
	json = cli_json_flag(&argc, argv);
	if (argc == 2 && strcmp(argv[1], "keygen") == 0) {
		replicate_keygen(priv, pub);
		printf("cluster-key: %s\npublic-key: %s\n", priv, pub);
		return 0;
	}
	if (argc == 2 && strcmp(argv[1], "status") == 0)
		return cluster_status(json);
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
