#!/usr/bin/env bash
# NAME
#	replication_auth.sh - unknown keys and a man in the middle are refused
# DESCRIPTION
#	A replica whose key is not in the primary's cluster-peers, and a
#	replica that connects through a proxy terminating TLS with its own
#	certificate (tests/lib/tls_mitm.py), are refused and logged with
#	the peer's address; nothing reaches their stores (sequence 0).  The
#	same replica connecting directly with the right keys follows.  A
#	host name as cluster-primary, or a cluster-key that is not a key,
#	stops mq serve at start (exit 64), the key never printed.
. "$(dirname "$0")/../lib/harness.sh"
. "$REPO/tests/lib/cluster.sh"

P() { MQ_STORE_PATH="$TMP/p/mq.mdb" "$MQ" "$@"; }

cluster_keys
mkdir -p "$TMP/p"
P set locals type=domain address=secret.example >/dev/null
primary_start || { fail "primary starts"; finish; }

# a stranger: a key pair of its own, not in the primary's peers
stranger=$("$MQ" cluster keygen | sed -n 's/^cluster-key: //p')
replica_start x MQ_CLUSTER_KEY="$stranger" || fail "stranger starts"
sleep 1.5
expect_grep "an unknown key is refused, with the peer's address" \
	"peer 127\.0\.0\.1:[0-9]+ refused: its key is not in cluster-peers" "$TMP/p.log"
expect_eq "nothing reached the stranger" 0 "$(store_seq x)"
kill -9 "$R_PID"; wait "$R_PID" 2>/dev/null

# a man in the middle with a certificate of its own
openssl req -x509 -newkey ed25519 -nodes -subj /CN=mitm -days 1 \
	-keyout "$TMP/mitm.key" -out "$TMP/mitm.crt" 2>/dev/null
MPORT=$(free_port)
python3 "$REPO/tests/lib/tls_mitm.py" "$MPORT" "$CPORT" "$TMP/mitm.crt" \
	"$TMP/mitm.key" > "$TMP/mitm.out" 2>&1 &
MITM_PID=$!
at_exit "kill $MITM_PID 2>/dev/null"
for i in $(seq 1 50); do grep -q listening "$TMP/mitm.out" && break; sleep 0.1; done
CPORT_REAL=$CPORT CPORT=$MPORT
replica_start m || fail "replica behind the proxy starts"
sleep 1.5
expect_grep "the replica refuses the proxied primary" \
	"refused: its signature of this TLS session does not verify" "$TMP/m.log"
expect_eq "nothing reached the replica behind the proxy" 0 "$(store_seq m)"
kill -9 "$R_PID"; wait "$R_PID" 2>/dev/null

CPORT=$CPORT_REAL
replica_start m || fail "the same replica, directly"
check "with the right keys and no proxy it follows" wait_seq m "$(store_seq p)"

mkdir -p "$TMP/h"
expect_status "a host name as cluster-primary: serve refuses to start" 64 \
	env MQ_STORE_PATH="$TMP/h/mq.mdb" MQ_WWW_PORT=0 MQ_CLUSTER_ROLE=replica \
	MQ_CLUSTER_PRIMARY=localhost:1 MQ_CLUSTER_KEY="$KEY_R" \
	MQ_CLUSTER_PEERS="$PUB_P" "$MQ" serve
expect_grep "saying why" "cluster-primary: localhost:1 is not a numeric IP:PORT" "$TMP/last.out"
expect_status "a bad cluster-key: serve refuses to start" 64 \
	env MQ_STORE_PATH="$TMP/h/mq.mdb" MQ_WWW_PORT=0 MQ_CLUSTER_ROLE=replica \
	MQ_CLUSTER_PRIMARY=127.0.0.1:1 MQ_CLUSTER_KEY=nonsense \
	MQ_CLUSTER_PEERS="$PUB_P" "$MQ" serve
expect_no_grep "the bad key is not printed" "nonsense" "$TMP/last.out"
finish
