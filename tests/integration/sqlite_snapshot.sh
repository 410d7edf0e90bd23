#!/usr/bin/env bash
# NAME
#	sqlite_snapshot.sh - a sync reads one committed state of a SQLite
#	file that another program writes all along
# DESCRIPTION
#	mq copies a shared SQLite file without its read lock and reads the
#	copy again when a writer committed meanwhile (sql-compat/
#	sqlite_copy.c; tests/unit/sqlite_copy_test.c shows the retries).
#	Here a writer adds one subscriber to list a and one to list b in
#	each transaction, in bursts, while `mq sync --from-sql` runs again
#	and again over a file of some megabytes (a filler list between
#	them): after each sync the store's a and b have as many
#	subscribers as each other (one state the writer produced), never
#	fewer than after the sync before, and a last sync with the writer
#	stopped has every row.

. "$(dirname "$0")/../lib/harness.sh"

SYNCS=6
DB=$TMP/shared.db
export MQ_STORE_PATH=$TMP/mq.mdb MQ_DATABASE_ADDRESS=sqlite://$DB

check "the tables" "$MQ" repair-database --yes
for l in a filler b; do
	check "list $l" "$MQ" list-create "$l"
done
check "their SQL tables" "$MQ" sync --to-sql
sqlite3 "$DB" "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000)
	INSERT INTO filler (hash, address, domain) SELECT i % 53, 'filler' || i || '@example.org', 'org' FROM n" ||
	fail "filler rows inserted by sqlite3"

# the writer: a pair of subscribers per transaction, 20 transactions
# back to back, then a pause, until $TMP/stop exists
python3 - "$DB" "$TMP" <<'EOF' &
import os, sqlite3, sys, time
db, tmp = sys.argv[1], sys.argv[2]
con = sqlite3.connect(db, timeout=30, isolation_level=None)
con.execute("PRAGMA synchronous = OFF")
i = 0
while not os.path.exists(tmp + "/stop"):
    for _ in range(20):
        i += 1
        con.execute("BEGIN IMMEDIATE")
        for l in ("a", "b"):
            con.execute("INSERT INTO %s (hash, address, domain) VALUES (?, ?, 'org')" % l,
                        (i % 53, "pair%d@example.org" % i))
        con.execute("COMMIT")
    open(tmp + "/pairs", "w").write(str(i))
    time.sleep(0.05)
EOF
writer=$!
for _ in $(seq 1 300); do [ -e "$TMP/pairs" ] && break; sleep 0.1; done

prev=0 differ="" fewer="" status=0
for run in $(seq 1 "$SYNCS"); do
	"$MQ_STATIC" sync --from-sql >"$TMP/sync$run.out" 2>&1 || status=$?
	na=$("$MQ_STATIC" list a | wc -l) nb=$("$MQ_STATIC" list b | wc -l)
	echo "# sync $run: a $na, b $nb"
	[ "$na" = "$nb" ] || differ="$differ $run"
	[ "$na" -ge "$prev" ] || fewer="$fewer $run"
	prev=$na
done
touch "$TMP/stop"
wait "$writer"
expect_eq "the syncs exit 0" 0 "$status"
expect_eq "after each sync, a and b agree (syncs that differ)" "" "$differ"
expect_eq "no sync has fewer pairs than the one before" "" "$fewer"
check "the writer wrote pairs while the syncs ran ($(cat "$TMP/pairs" 2>/dev/null))" \
	test "$(cat "$TMP/pairs" 2>/dev/null || echo 0)" -gt "$prev"
check "a last sync" "$MQ_STATIC" sync --from-sql
expect_eq "it holds every pair" "$(cat "$TMP/pairs")" "$("$MQ_STATIC" list b | wc -l)"
finish
