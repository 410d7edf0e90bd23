#!/usr/bin/env bash
# NAME
#	sync_quick.sh - sync --from-sql's quick check of an unchanged SQLite
#	file, and every change that must bring the full compare back
# DESCRIPTION
#	A sync from a SQLite file in rollback-journal mode records the
#	file's identity (device, inode, size, change counter, times) with
#	the store's state (sql-compat/sync_quick.c, store/diff_mark.c); the
#	next sync of the same file into the same unchanged store reads
#	nothing ("as the last sync left them").  Each of these must make
#	the next sync compare every row again, seen in its summary ("N
#	tables, ...") and in what it puts right: a commit to the file; a
#	write to the store alone; another database-validate (another
#	table set); another file copied over the path keeping size, change
#	counter and mtime, and one moved there; the store put back from a
#	backup, and a copy of it elsewhere (as a replica's is); MQ_SYNC_FULL=1;
#	the file in WAL mode, whose commits leave the counter as it is.

. "$(dirname "$0")/../lib/harness.sh"

DB=$TMP/list.db
export MQ_STORE_PATH=$TMP/mq.mdb MQ_DATABASE_ADDRESS=sqlite://$DB
QUICK="as the last sync left them"
FULL="from-sql: [0-9]+ tables,"

# sync NAME PATTERN - a sync --from-sql whose summary matches PATTERN
sync() {
	"$MQ" sync --from-sql >"$TMP/sync.out" 2>&1 ||
		fail "$1: sync exits 0" "$(tail -n 5 "$TMP/sync.out")"
	expect_grep "$1" "$2" "$TMP/sync.out"
}

check "the tables" "$MQ" repair-database --yes
check "list a" "$MQ" list-create a
check "its SQL tables" "$MQ" sync --to-sql
for u in p q r s; do
	check "subscriber $u, in SQL and the store" "$MQ" sub a "$u@example.org"
done

sync "the first sync compares" "$FULL"
sync "the next one finds both sides as they were" "$QUICK"
sync "and so does the one after it (the quick one wrote nothing)" "$QUICK"
# ezmlm-idx's hash of an address (store/mlist.h: sub_hash)
hash=$(python3 -c 'import sys
h = 5381
for b in sys.argv[1].lower().encode():
    h = ((h + (h << 5)) ^ (b - 256 if b > 127 else b)) & (2**64 - 1)
print(h % 53)' t@example.org)
check "a subscriber with its own ezmlm hash, as sqlite3 writes it" \
	sqlite3 "$DB" "INSERT INTO a (hash, address, domain) VALUES ($hash, 't@example.org', 'org')"
"$MQ" list a | grep -q "^t@" && fail "t is not in the store yet"
sync "a commit to the file: the full compare" "$FULL"
expect_eq "it brought the new row" 1 "$("$MQ" list a | grep -c '^t@example.org')"
sync "then quick again" "$QUICK"

MQ_DATABASE_ADDRESS= check "a subscriber in the store alone" "$MQ" sub a z@example.org
sync "a write to the store: the full compare" "$FULL"
expect_eq "which takes the store's row out again" 0 "$("$MQ" list a | grep -c '^z@')"
sync "then quick again" "$QUICK"

MQ_DATABASE_VALIDATE=false sync "another database-validate: the full compare" "$FULL"
sync "and back: the full compare" "$FULL"
sync "then quick again" "$QUICK"

# Two files alike but for one row: the same size, the same change
# counter (one commit each since the copy); the copy keeps the mtime.
cp "$DB" "$TMP/other.db"
check "p leaves the file" sqlite3 "$DB" "DELETE FROM a WHERE address = 'p@example.org'"
check "q leaves the other" sqlite3 "$TMP/other.db" "DELETE FROM a WHERE address = 'q@example.org'"
expect_eq "both files of one size" "$(stat -c %s "$DB")" "$(stat -c %s "$TMP/other.db")"
expect_eq "both of one change counter" "$(od -An -tx1 -j24 -N4 "$DB")" \
	"$(od -An -tx1 -j24 -N4 "$TMP/other.db")"
sync "p gone: the full compare" "$FULL"
sync "then quick" "$QUICK"
touch -r "$DB" "$TMP/other.db"
cp --preserve=timestamps "$TMP/other.db" "$DB"
sync "the other file copied over the path (same inode, size, counter, mtime): the full compare" "$FULL"
expect_eq "p is back, q gone" "p" "$("$MQ" list a | grep -E -o '^[pq]' | tr -d '\n')"
sync "then quick" "$QUICK"
cp "$DB" "$TMP/moved.db"
check "a row changed in the copy" sqlite3 "$TMP/moved.db" "DELETE FROM a WHERE address = 'r@example.org'"
mv "$TMP/moved.db" "$DB"
sync "another file moved to the path: the full compare" "$FULL"
expect_eq "r gone" 0 "$("$MQ" list a | grep -c '^r@')"
sync "then quick" "$QUICK"

check "a backup" "$MQ" backup "$TMP/backup.mdb"
sync "quick after the backup" "$QUICK"
cp "$TMP/backup.mdb" "$TMP/elsewhere.mdb"
MQ_STORE_PATH=$TMP/elsewhere.mdb sync "a copy of the store elsewhere (a replica's): the full compare" "$FULL"
rm -f "$MQ_STORE_PATH" "$MQ_STORE_PATH-lock"
cp "$TMP/backup.mdb" "$MQ_STORE_PATH"
sync "the store put back from the backup: the full compare" "$FULL"
sync "then quick" "$QUICK"

MQ_SYNC_FULL=1 sync "MQ_SYNC_FULL=1: the full compare" "$FULL"
sync "without it, quick again" "$QUICK"

check "the file in WAL mode" sqlite3 "$DB" "PRAGMA journal_mode = WAL"
sync "WAL mode: the full compare" "$FULL"
sync "every time" "$FULL"
finish
