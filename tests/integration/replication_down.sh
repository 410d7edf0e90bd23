#!/usr/bin/env bash
# NAME
#	replication_down.sh - a primary taken down keeps its cluster port
# DESCRIPTION
#	primary_down and primary_start of tests/lib/cluster.sh, as
#	replication_kill.sh and replication_restore.sh use them.  While
#	the primary is down (killed with its replica connected, so its
#	port has connections in TIME_WAIT) a connection to its cluster
#	port is refused, no other program can bind the port, with or
#	without SO_REUSEADDR and SO_REUSEPORT (mq sets the first on its
#	cluster port, both on its API port), and another mq serve cannot
#	listen on it.  primary_start brings the same store back on the
#	port, its replica converges, and the primary is the process
#	listening there; when another program took the port while
#	nothing held it, primary_start fails naming the port.
. "$(dirname "$0")/../lib/harness.sh"
. "$REPO/tests/lib/cluster.sh"

P() { MQ_STORE_PATH="$TMP/p/mq.mdb" "$MQ" "$@"; }

cluster_keys
mkdir -p "$TMP/p" "$TMP/o"
P set locals type=domain address=first.example >/dev/null
primary_start || { fail "primary starts"; finish; }
replica_start r || { fail "replica starts"; finish; }
check "the replica follows" wait_seq r "$(store_seq p)" 20
expect_eq "the cluster port answers" open "$("$PORT_HOLD" answer "$CPORT")"

check "primary_down kills the primary and holds its port" primary_down
expect_eq "a connection to the held port is refused" refused \
	"$("$PORT_HOLD" answer "$CPORT")"
expect_status "a bind of it without SO_REUSEADDR fails" 1 \
	"$PORT_HOLD" bind "$CPORT" 0 0
expect_status "a bind with SO_REUSEADDR fails" 1 "$PORT_HOLD" bind "$CPORT" 1 0
expect_status "a bind with SO_REUSEADDR and SO_REUSEPORT fails" 1 \
	"$PORT_HOLD" bind "$CPORT" 1 1
expect_status "another mq serve cannot listen on it" 64 timeout 20 \
	env MQ_STORE_PATH="$TMP/o/mq.mdb" MQ_WWW_IP=127.0.0.1 MQ_WWW_PORT=0 \
	MQ_CLUSTER_ROLE=primary MQ_CLUSTER_LISTEN="127.0.0.1:$CPORT" \
	MQ_CLUSTER_KEY="$KEY_P" MQ_CLUSTER_PEERS="$PUB_R" "$MQ" serve
expect_grep "saying so" "cluster-listen 127.0.0.1:$CPORT: cannot listen" "$TMP/last.out"

P set locals type=domain address=while-down.example >/dev/null
old=$P_PID
check "primary_start brings the primary back on its port" primary_start
check "a new process" test "$P_PID" != "$old"
check "it is the one listening there" port_served_by "$CPORT" "$P_PID"
check "the replica reconnects and converges" wait_seq r "$(store_seq p)" 20
same_dump "its dump equals the primary's" p r

# The port taken while nothing held it: primary_start says so.
kill -9 "$P_PID"; wait "$P_PID" 2>/dev/null
"$PORT_HOLD" take "$CPORT" > "$TMP/intruder.out" 2>&1 &
INTRUDER=$!
at_exit "kill $INTRUDER 2>/dev/null"
for _ in $(seq 1 50); do grep -q listening "$TMP/intruder.out" && break; sleep 0.1; done
expect_status "primary_start on a port another program took fails" 1 primary_start
expect_grep "naming the port" "127.0.0.1:$CPORT" "$TMP/last.out"
kill "$INTRUDER"
wait "$INTRUDER" 2>/dev/null
finish
