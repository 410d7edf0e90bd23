#!/usr/bin/env bash
# NAME
#	replication_promote.sh - mq promote of a running replica
# DESCRIPTION
#	A primary and two replicas (r1 listens for replicas of its own,
#	as a node does that may be promoted; every node lists every
#	other's key).  With the primary stopped, mq promote on r1 while
#	its mq serve runs: exit 0, a new epoch, the same process takes API
#	writes it refused a moment before (503 then, 201 after) and stops
#	naming a primary; a CLI reader of r1 never fails meanwhile.  r2,
#	pointed at r1, resyncs by snapshot (its epoch differs) and dumps
#	the same.  A second promote of r1 (a primary now) exits 75, as
#	does a promote of a serve that does not follow a primary.
. "$(dirname "$0")/../lib/harness.sh"
. "$REPO/tests/lib/cluster.sh"

P() { MQ_STORE_PATH="$TMP/p/mq.mdb" "$MQ" "$@"; }
R1() { MQ_STORE_PATH="$TMP/r1/mq.mdb" "$MQ" "$@"; }
epoch_of() { MQ_STORE_PATH="$TMP/$1/mq.mdb" "$MQ" stat | awk '$1 == "epoch" { print $2 }'; }
api_write() {	# api_write URL ADDRESS - the HTTP status of a locals row
	curl -s -o "$TMP/body" -w '%{http_code}' -X POST \
		-H "Authorization: Bearer t" "$1/v1/tables/locals" \
		-d "{\"type\":\"domain\",\"address\":\"$2\"}"
}

cluster_keys
k=$("$MQ" cluster keygen)
KEY_2=$(sed -n 's/^cluster-key: //p' <<< "$k")
PUB_2=$(sed -n 's/^public-key: //p' <<< "$k")

mkdir -p "$TMP/p"
for i in $(seq 1 200); do printf 'domain\tbulk%d.example\n' "$i"; done |
	{ printf 'type\taddress\n'; cat; } | P set locals - >/dev/null
primary_start MQ_CLUSTER_PEERS="$PUB_R $PUB_2" ||
	{ fail "primary starts"; finish; }
R1PORT=$(free_port)
replica_start r1 MQ_WWW_TOKEN=t MQ_CLUSTER_LISTEN="127.0.0.1:$R1PORT" \
	MQ_CLUSTER_PEERS="$PUB_P $PUB_2" || { fail "r1 starts"; finish; }
R1_PID=$R_PID R1_URL=$R_URL
replica_start r2 MQ_CLUSTER_KEY="$KEY_2" MQ_CLUSTER_PEERS="$PUB_P $PUB_R" ||
	{ fail "r2 starts"; finish; }
R2_PID=$R_PID
P set locals type=domain address=before.example >/dev/null
check "r1 follows the primary" wait_seq r1 "$(store_seq p)" 20
check "r2 follows the primary" wait_seq r2 "$(store_seq p)" 20
lag=$(R1 cluster status | awk '$1 == "lag-ms:" { print $2 }')
expect_eq "r1's lag counts from its start at most, not the machine's" \
	yes "$([ -n "$lag" ] && [ "$lag" -lt 60000 ] && echo yes || echo "no: $lag")"
expect_eq "r1 refuses API writes while it follows" 503 \
	"$(api_write "$R1_URL" refused.example)"

kill -TERM "$P_PID"; wait "$P_PID" 2>/dev/null
reader() {	# a CLI read of r1 in a loop; a line in reader.bad per failure
	while :; do
		R1 get locals address=bulk7.example 2>&1 | grep -q bulk7 ||
			echo "read failed" >> "$TMP/reader.bad"
	done
}
reader & RPID=$!
at_exit "kill $RPID 2>/dev/null"

epoch=$(epoch_of r1)
check "mq promote on the running r1" R1 promote
expect_grep "it names the new epoch" "promoted: epoch $((epoch + 1))" "$TMP/last.out"
expect_eq "r1's store is at the new epoch" $((epoch + 1)) "$(epoch_of r1)"
check "the same r1 process still runs" kill -0 "$R1_PID"
expect_grep "its log says it is primary" "promote: primary of epoch" "$TMP/r1.log"
expect_eq "r1 takes API writes now" 201 "$(api_write "$R1_URL" promoted.example)"
check "the row is in r1's store" R1 get locals address=promoted.example
kill "$RPID"; wait "$RPID" 2>/dev/null
expect_eq "the reader of r1 never failed" 0 \
	"$(cat "$TMP/reader.bad" 2>/dev/null | wc -l)"
sleep 1.2	# the status file is written each second
check "mq cluster status shows r1 primary" R1 cluster status
expect_grep "role: primary" "^role: primary" "$TMP/last.out"

kill -TERM "$R2_PID"; wait "$R2_PID" 2>/dev/null
CPORT=$R1PORT replica_start r2 MQ_CLUSTER_KEY="$KEY_2" \
	MQ_CLUSTER_PEERS="$PUB_P $PUB_R" || fail "r2 restarts pointed at r1"
check "r2 follows the promoted r1" wait_seq r2 "$(store_seq r1)" 20
expect_grep "by a snapshot (its epoch differs)" "snapshot at sequence [0-9]+ installed" "$TMP/r2.log"
expect_eq "r2 took the new epoch" $((epoch + 1)) "$(epoch_of r2)"
same_dump "r2 dumps the same as r1" r1 r2

expect_status "promote of a primary: exit 75" 75 R1 promote
expect_grep "it says the serve follows no primary" "does not follow a primary" "$TMP/last.out"
finish
