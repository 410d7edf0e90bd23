#!/usr/bin/env bash
# NAME
#	sqlite_file.sh - the SQLite file mq makes is private; a check makes none
# DESCRIPTION
#	A SQLite mirror holds dkim_keys with their private keys: mq creates
#	the file mode 0600 whatever the umask, and its journal takes that
#	mode.  mq check-database only looks: on a missing file it fails
#	(exit 75: a missing database is an outage, as an unreachable
#	server is) and leaves no file behind.
. "$(dirname "$0")/../lib/harness.sh"

export MQ_STORE_PATH=$TMP/mq.mdb
umask 022
"$MQ" set dkim_keys domain=example.org selector=s1 algorithm=ed25519-sha256 \
	privatekey='-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g
-----END PRIVATE KEY-----' > /dev/null

expect_status "check-database on a missing SQLite file fails" 75 \
	"$MQ" check-database --address "sqlite://$TMP/none.db"
expect_grep "and says why" "database file .*none.db is missing" "$TMP/last.out"
check "and creates no file" test ! -e "$TMP/none.db"

check "sync --to-sql creates the SQLite file" \
	"$MQ" sync --to-sql --address "sqlite://$TMP/mirror.db"
expect_eq "mode 0600 under umask 022" 600 "$(stat -c %a "$TMP/mirror.db")"
check "it holds the key" test "$(sqlite3 "$TMP/mirror.db" \
	"SELECT count(*) FROM dkim_keys WHERE privatekey LIKE '%PRIVATE KEY%'")" = 1
check "check-database on it passes" "$MQ" check-database --address "sqlite://$TMP/mirror.db"
expect_eq "no journal left readable by others" "" \
	"$(find "$TMP" -name 'mirror.db*' -perm /077)"
finish
