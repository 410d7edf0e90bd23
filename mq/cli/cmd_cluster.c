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
 *	promote starts a new epoch in a replica's store, so that it can
 *	run as primary and its former primary's other replicas
 *	resynchronise from it.  A stopped replica's store is changed
 *	here (then start it with cluster-role: primary); a running one is
 *	asked through its mq serve (SIGUSR1), which stops following,
 *	starts the epoch and takes writes, and promote waits until the
 *	store shows the new epoch.
 * DIAGNOSTICS
 *	Exit 0; 64 usage; 75 when a running mq serve is not replicating
 *	as a replica or did not promote within PROMOTE_WAIT_S; store
 *	failures as their kind says.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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
	"Make this replica primary: a new epoch in its store.  A running\n"
	"mq serve stops following and takes writes at once; a stopped\n"
	"store then starts with cluster-role: primary.\n";

#define PROMOTE_WAIT_S	30	/* a loaded machine's serve answers late */

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

/* store_epoch - the epoch st shows now; 0 when it cannot be read */
static uint64_t store_epoch(struct store *st)
{
	struct store_txn *txn;
	struct store_meta m = { 0 };

	if (store_read_begin(st, &txn) != STORE_OK)
		return 0;
	if (store_meta_get(txn, &m) != STORE_OK)
		m.epoch = 0;
	store_read_end(txn);
	return m.epoch;
}

/* serve_follows - does the running serve's status say role: replica? */
static bool serve_follows(void)
{
	char path[sizeof(mq_conf.store_path) + 16], line[512];
	bool replica = false;
	FILE *f;

	config_cluster_status_path(&mq_conf, path, sizeof(path));
	if (!(f = fopen(path, "r")))
		return false;
	while (fgets(line, sizeof(line), f))
		replica |= strcmp(line, "role: replica\n") == 0;
	fclose(f);
	return replica;
}

/* promote_running - ask the mq serve of pid, wait for its new epoch */
static int promote_running(pid_t pid)
{
	struct timespec tick = { 0, 50 * 1000 * 1000 };
	uint64_t before, now = 0;
	struct store *st;
	int ex;

	if (!serve_follows()) {
		cli_error("promote: mq serve (pid %ld) runs on this store but "
			  "does not follow a primary (mq cluster status)",
			  (long)pid);
		return cli_exit(RESULT_TRYAGAIN);
	}
	if (!(st = cli_open_store(STORE_RDONLY, &ex)))
		return ex;
	before = store_epoch(st);
	if (kill(pid, SIGUSR1) != 0) {
		cli_error("promote: cannot signal mq serve (pid %ld): %s",
			  (long)pid, strerror(errno));
		store_close(st);
		return cli_exit(RESULT_TRYAGAIN);
	}
	for (int i = 0; i < PROMOTE_WAIT_S * 20; i++) {
		if ((now = store_epoch(st)) > before)
			break;
		nanosleep(&tick, NULL);
	}
	store_close(st);
	if (now <= before) {
		cli_error("promote: mq serve (pid %ld) started no new epoch "
			  "within %d s: see its log", (long)pid,
			  PROMOTE_WAIT_S);
		return cli_exit(RESULT_TRYAGAIN);
	}
	printf("promoted: epoch %" PRIu64 "; mq serve (pid %ld) is primary "
	       "now; set cluster-role: primary for its next start\n", now,
	       (long)pid);
	return 0;
}

int	cmd_promote(int argc, char **argv)
{
	uint64_t epoch;
	enum store_rc rc;
	struct store *st;
	pid_t pid;
	int ex;

	if (cli_help(argc, argv, promote_usage))
		return 0;
	if (argc != 1)
		return cli_usage(promote_usage);
	if ((pid = serve_running_pid()) > 0)
		return promote_running(pid);
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
