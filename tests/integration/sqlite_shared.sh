#!/usr/bin/env bash
# NAME
#	sqlite_shared.sh - mq's sync --from-sql does not lock other writers out of SQLite
# DESCRIPTION
#	ezmlm-idx's SQLite plugin (like the sqlite3 shell here) sets no
#	busy timeout: a write that meets a lock fails at once.  With a
#	list of 200,000 subscribers in the SQLite file (MQ_TEST_SHARED_ROWS
#	sets another number: 1000000 for the figure in tests/README.md),
#	`mq sync --from-sql` takes a second or more; it holds the file's
#	read lock only while it copies the file (tens of milliseconds), so
#	writes by another program every 50 ms from 0.5 s on all succeed,
#	and a last sync finds every row.  Before, the read lock was held
#	for the whole sync and every write during it failed.
#
#	How long writers are held off is measured by a writer that waits
#	(a busy timeout) and commits a row every few milliseconds during a
#	second sync: its longest commit is printed, also per million rows,
#	and must be well under the sync's duration.  With the ezmlm-idx 7
#	peer (built by ezmlm_idx7.sh into build/peers, or here), the real
#	ezmlm-sub, run again and again into a third sync once its copy is surely taken,
#	subscribes each address without "database is locked".

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

# A writer that does not wait, every 50 ms while one sync runs.  The
# sync holds the file's read lock only while it copies the file: writes
# refused then are shown; every write from 0.5 s on must succeed.
"$MQ_STATIC" sync --from-sql >"$TMP/sync.out" 2>&1 &
sync_pid=$!
start=$(date +%s%N)
writes=0 late=0 late_locked=0 locked_ms=""
while kill -0 "$sync_pid" 2>/dev/null; do
	t=$((($(date +%s%N) - start) / 1000000))
	writes=$((writes + 1))
	if ! sqlite3 "$DB" "INSERT INTO ml (hash, address, domain) VALUES (1, 'w$writes@example.org', 'org')" \
		2>/dev/null; then
		locked_ms="$locked_ms $t"
		[ "$t" -ge 500 ] && late_locked=$((late_locked + 1))
	fi
	[ "$t" -ge 500 ] && late=$((late + 1))
	sleep 0.05
done
wait "$sync_pid"
expect_eq "the sync exits 0" 0 "$?"
echo "# sync took $((($(date +%s%N) - start) / 1000000)) ms; writes refused at ms:${locked_ms:- none}"
check "writes were tried while the sync ran past 0.5 s ($late)" test "$late" -ge 2
expect_eq "none of them failed with 'database is locked'" 0 "$late_locked"

# held_off - a writer that waits (busy timeout) and commits a row every
# few milliseconds from when it writes $TMP/ready until $TMP/stop
# exists; it writes its longest commit (ms) and its commits to $TMP/held
held_off() {
	python3 - "$DB" "$TMP" <<'EOF'
import os, sqlite3, sys, time
db, tmp = sys.argv[1], sys.argv[2]
con = sqlite3.connect(db, timeout=30, isolation_level=None)
con.execute("PRAGMA synchronous = OFF")  # the lock is measured, not the disk
worst, i = 0.0, 0
while not os.path.exists(tmp + "/stop"):
    i += 1
    t = time.monotonic()
    con.execute("INSERT INTO ml (hash, address, domain) VALUES (2, ?, 'org')",
                ("held%d@example.org" % i,))
    worst = max(worst, time.monotonic() - t)
    if i == 1:
        open(tmp + "/ready", "w").close()
    time.sleep(0.002)
with open(tmp + "/held", "w") as f:
    f.write("%d %d\n" % (int(worst * 1000), i))
EOF
}
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
echo "# rows $N: sync ${took} ms; $commits commits; the longest waited ${held} ms" \
	"($((held * 1000000 / N)) ms per million rows)"
check "the writer committed while the sync ran ($commits)" test "${commits:-0}" -gt 2
check "writers were held off ${held} ms, well under the sync's ${took} ms" \
	test "$((held * 4))" -lt "$took"

# The real ezmlm-sub, again and again while a sync runs.
. "$REPO/tests/lib/ezmlm_peer.sh"
if ezmlm_peer; then
	check "ezmlm-make -6 on the shared file" "$EZ/bin/ezmlm-make" -6 \
		"sqlite3:::::${DB%.db}:ml" "$TMP/list" "$TMP/dot" ml lists.example
	# from the moment the copy is surely taken (three times the longest
	# hold measured above): a sync faster than that is run again, up to
	# five times, until an ezmlm-sub ran while one did
	after=$((${held:-0} * 3 + 50)) subs=0 refused=0 runs=0 status=0
	while [ "$subs" = 0 ] && [ "$runs" -lt 5 ]; do
		runs=$((runs + 1))
		"$MQ_STATIC" sync --from-sql >"$TMP/sync3.out" 2>&1 &
		sync_pid=$!
		start=$(date +%s%N)
		while kill -0 "$sync_pid" 2>/dev/null; do
			if [ $((($(date +%s%N) - start) / 1000000)) -ge "$after" ]; then
				subs=$((subs + 1))
				"$EZ/bin/ezmlm-sub" "$TMP/list" "ezmlm$subs@example.org" >>"$TMP/ezsub.out" 2>&1 ||
					refused=$((refused + 1))
			fi
			sleep 0.02
		done
		wait "$sync_pid" || status=$?
	done
	expect_eq "the syncs exit 0" 0 "$status"
	check "ezmlm-sub ran while a sync ran, from $after ms on ($subs times in $runs syncs)" test "$subs" -ge 1
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
