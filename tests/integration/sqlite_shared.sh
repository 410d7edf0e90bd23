#!/usr/bin/env bash
# NAME
#	sqlite_shared.sh - mq's sync --from-sql does not lock other writers out of SQLite
# DESCRIPTION
#	ezmlm-idx's SQLite plugin (like the sqlite3 shell here) sets no
#	busy timeout: a write that meets a lock fails at once.  With a
#	list of 200,000 subscribers in the SQLite file (MQ_TEST_SHARED_ROWS
#	sets another number: 1000000 for the figure in docs/sql.md),
#	`mq sync --from-sql` takes a second or more.  It copies the file
#	without its read lock and takes the lock only for moments, when no
#	writer is about to commit, before and after the copy
#	(sql-compat/sqlite_copy.c), so:
#	- writes by another program that does not wait, every 50 ms while
#	  a sync runs, all succeed;
#	- a writer that waits (a busy timeout) and commits every 20 ms
#	  during a sync waits at most 50 ms (for more rows, 100 ms per
#	  million) longer than its longest commit without a sync;
#	- with the ezmlm-idx 7 peer (built by ezmlm_idx7.sh into
#	  build/peers, or here), the real ezmlm-sub, run again and again
#	  from the start of a sync, subscribes each address without
#	  "database is locked";
#	- a last sync finds every row.
#	Before, the read lock was held while the whole file was read: a
#	writer was held off 125 ms (up to 988 ms under load) at 1,000,000
#	rows, and ezmlm-subs that met it failed.

. "$(dirname "$0")/../lib/harness.sh"

N=${MQ_TEST_SHARED_ROWS:-200000}
DB=$TMP/shared.db	# ezmlm-idx's SQLite plugin adds ".db" to its name
export MQ_STORE_PATH=$TMP/mq.mdb MQ_DATABASE_ADDRESS=sqlite://$DB

check "the tables" "$MQ" repair-database --yes
check "list ml" "$MQ" list-create ml
check "its SQL tables" "$MQ" sync --to-sql
sqlite3 "$DB" "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $N)
	INSERT INTO ml (hash, address, domain) SELECT i % 53, 'user' || i || '@example.org', 'org' FROM n" ||
	fail "$N subscribers inserted by sqlite3"
expect_eq "$N subscribers in SQL" "$N" "$(sqlite3 "$DB" 'SELECT count(*) FROM ml')"

# A writer that does not wait, every 50 ms while one sync runs: the
# sync holds the file's read lock only for moments when no writer is
# about to commit, so none of these writes may fail.
"$MQ_STATIC" sync --from-sql >"$TMP/sync.out" 2>&1 &
sync_pid=$!
start=$(date +%s%N)
writes=0 locked_ms=""
while kill -0 "$sync_pid" 2>/dev/null; do
	t=$((($(date +%s%N) - start) / 1000000))
	writes=$((writes + 1))
	sqlite3 "$DB" "INSERT INTO ml (hash, address, domain) VALUES (1, 'w$writes@example.org', 'org')" \
		2>/dev/null || locked_ms="$locked_ms $t"
	sleep 0.05
done
wait "$sync_pid"
expect_eq "the sync exits 0" 0 "$?"
echo "# sync took $((($(date +%s%N) - start) / 1000000)) ms; $writes writes, refused at ms:${locked_ms:- none}"
check "writes were tried while the sync ran ($writes)" test "$writes" -ge 2
expect_eq "none of them failed with 'database is locked'" "" "$locked_ms"

# held_off [SECONDS] - a writer that waits (a busy timeout) and commits
# a row every 20 ms, for SECONDS or, with none, from when it writes
# $TMP/ready until $TMP/stop exists; it writes its longest commit (ms)
# and its commits to $TMP/held
held_off() {
	python3 - "$DB" "$TMP" "${1:-0}" <<'EOF'
import os, sqlite3, sys, time
db, tmp, secs = sys.argv[1], sys.argv[2], float(sys.argv[3])
con = sqlite3.connect(db, timeout=30, isolation_level=None)
con.execute("PRAGMA synchronous = OFF")  # the lock is measured, not the disk
worst, i, begin = 0.0, 0, time.monotonic()
while not (time.monotonic() - begin >= secs if secs else os.path.exists(tmp + "/stop")):
    i += 1
    t = time.monotonic()
    con.execute("INSERT INTO ml (hash, address, domain) VALUES (2, ?, 'org')",
                ("held%s-%d@example.org" % ("alone" if secs else "", i),))
    worst = max(worst, time.monotonic() - t)
    if i == 1:
        open(tmp + "/ready", "w").close()
    time.sleep(0.02)
with open(tmp + "/held", "w") as f:
    f.write("%d %d\n" % (int(worst * 1000), i))
EOF
}
# the writer alone first: what this machine's load costs a commit now
held_off 2
read -r alone alone_commits <"$TMP/held"
rm -f "$TMP/ready" "$TMP/held"
held_off &
writer=$!
for _ in $(seq 1 300); do [ -e "$TMP/ready" ] && break; sleep 0.1; done
start=$(date +%s%N)
"$MQ_STATIC" sync --from-sql >"$TMP/sync2.out" 2>&1
expect_eq "a second sync, with a writer that waits, exits 0" 0 "$?"
took=$((($(date +%s%N) - start) / 1000000))
touch "$TMP/stop"
wait "$writer"
read -r held commits <"$TMP/held"
echo "# rows $N: sync ${took} ms; a writer's longest commit ${held} ms of $commits" \
	"during the sync ($((held * 1000000 / N)) ms per million rows), ${alone} ms of" \
	"$alone_commits alone just before"
check "the writer committed while the sync ran ($commits)" test "${commits:-0}" -gt 2
# The bound: about 100 ms per million rows (the goal), never under
# 50 ms (a busy handler's sleeps and a loaded machine's scheduling),
# over the writer's longest commit alone.  Before, the lock was held
# while the file was read: 146 ms at 200,000 rows and 568 ms at
# 1,000,000 on this machine under load.
bound=$((${alone:-0} + (N / 10000 > 50 ? N / 10000 : 50)))
check "a writer was held off ${held} ms at most (bound ${bound} ms)" \
	test "${held:-999999}" -le "$bound"

# The real ezmlm-sub, again and again while a sync runs.
. "$REPO/tests/lib/ezmlm_peer.sh"
if ezmlm_peer; then
	check "ezmlm-make -6 on the shared file" "$EZ/bin/ezmlm-make" -6 \
		"sqlite3:::::${DB%.db}:ml" "$TMP/list" "$TMP/dot" ml lists.example
	# from the start of each sync, its copy included; a sync that ends
	# before one ran is run again, up to five times
	subs=0 refused=0 runs=0 status=0
	while [ "$subs" = 0 ] && [ "$runs" -lt 5 ]; do
		runs=$((runs + 1))
		"$MQ_STATIC" sync --from-sql >"$TMP/sync3.out" 2>&1 &
		sync_pid=$!
		while kill -0 "$sync_pid" 2>/dev/null; do
			subs=$((subs + 1))
			"$EZ/bin/ezmlm-sub" "$TMP/list" "ezmlm$subs@example.org" >>"$TMP/ezsub.out" 2>&1 ||
				refused=$((refused + 1))
			sleep 0.02
		done
		wait "$sync_pid" || status=$?
	done
	expect_eq "the syncs exit 0" 0 "$status"
	check "ezmlm-sub ran while a sync ran ($subs times in $runs syncs)" test "$subs" -ge 1
	expect_eq "none failed ('database is locked')" 0 "$refused"
	expect_eq "ezmlm-sub's addresses are in SQL" "$subs" \
		"$(sqlite3 "$DB" "SELECT count(*) FROM ml WHERE address LIKE 'ezmlm%@example.org'")"
else
	skip "the real ezmlm-sub" "$EZ_ABSENT"
fi
check "a last sync" "$MQ_STATIC" sync --from-sql
"$MQ_STATIC" list ml | wc -l >"$TMP/n"
ok=$(sqlite3 "$DB" 'SELECT count(*) FROM ml')
expect_eq "the store holds every row and every write" "$ok" "$(tr -d ' ' <"$TMP/n")"
finish
