#!/usr/bin/env bash
# NAME
#	replication_restore.sh - a primary restored from an older backup
# DESCRIPTION
#	The primary is backed up, takes more writes (which its replica
#	follows), and is then restored from the backup with a new epoch
#	(mq promote on the restored file).  The replica, now ahead of the
#	restored primary, is resynced by snapshot, not merged: its dump
#	equals the restored primary's, the rows written after the backup
#	are gone from it, and it carries the new epoch.
. "$(dirname "$0")/../lib/harness.sh"
. "$REPO/tests/lib/cluster.sh"

P() { MQ_STORE_PATH="$TMP/p/mq.mdb" "$MQ" "$@"; }
R() { MQ_STORE_PATH="$TMP/r/mq.mdb" "$MQ" "$@"; }

cluster_keys
mkdir -p "$TMP/p"
P set locals type=domain address=kept.example >/dev/null
primary_start || { fail "primary starts"; finish; }
replica_start r || { fail "replica starts"; finish; }
check "mq backup of the primary" P backup "$TMP/backup.mdb"
for i in 1 2 3; do P set locals type=domain address=lost$i.example >/dev/null; done
wait_seq r "$(store_seq p)" 20 || fail "the replica follows"
check "the replica has a row written after the backup" \
	grep -q lost3 <(R dump locals)

check "the primary stops, its port held" primary_down TERM
rm -f "$TMP/p/mq.mdb-lock"
cp "$TMP/backup.mdb" "$TMP/p/mq.mdb"
check "mq promote on the restored store" P promote
lines=$(wc -l < "$TMP/p.log")
primary_start || fail "the restored primary starts"
epoch=$(P stat | awk '$1 == "epoch" { print $2 }')
for i in $(seq 1 100); do
	[ "$(R stat | awk '$1 == "epoch" { print $2 }')" = "$epoch" ] && break
	sleep 0.1
done
expect_eq "the replica took the new epoch" "$epoch" \
	"$(R stat | awk '$1 == "epoch" { print $2 }')"
same_dump "its dump equals the restored primary's" p r
check "the rows written after the backup are gone from it" \
	bash -c "! MQ_STORE_PATH='$TMP/r/mq.mdb' '$MQ' dump locals | grep -q lost"
tail -n +"$((lines + 1))" "$TMP/p.log" > "$TMP/p2.log"
expect_grep "by a snapshot from the restored primary" "sending a snapshot" "$TMP/p2.log"
finish
