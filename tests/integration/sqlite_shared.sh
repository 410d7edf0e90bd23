#!/usr/bin/env bash
# NAME
#	sqlite_shared.sh - mq's sync --from-sql does not lock other writers out of SQLite
# DESCRIPTION
#	ezmlm-idx's SQLite plugin (like the sqlite3 shell here) sets no
#	busy timeout: a write that meets a lock fails at once.  With a
#	list of 300,000 subscribers in the SQLite file, `mq sync
#	--from-sql` takes a second or more; it holds the file's read lock
#	only while it copies the file (tens of milliseconds), so writes by
#	another program every 50 ms from 0.5 s on all succeed, and a last
#	sync finds every row.  Before, the read lock was held for the whole
#	sync and every write during it failed.

. "$(dirname "$0")/../lib/harness.sh"

N=300000
DB=$TMP/shared.sqlite
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
check "a last sync" "$MQ_STATIC" sync --from-sql
"$MQ_STATIC" list ml | wc -l >"$TMP/n"
ok=$(sqlite3 "$DB" 'SELECT count(*) FROM ml')
expect_eq "the store holds every row and every write" "$ok" "$(tr -d ' ' <"$TMP/n")"
finish
