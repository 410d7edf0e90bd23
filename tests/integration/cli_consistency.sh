#!/usr/bin/env bash
# NAME
#	cli_consistency.sh - small promises of the command line kept
# DESCRIPTION
#	mq backup never replaces an existing file without --force, and a
#	backup into a missing directory names the file asked for, not a
#	temporary one; a database-address that does not parse, from the
#	environment or the config file, is a configuration error (64) for
#	every command, mq config included, and its password is never
#	echoed; mq verify of a missing file is an I/O error (70), not a
#	corrupt store (65).

. "$(dirname "$0")/../lib/harness.sh"

export MQ_STORE_PATH=$TMP/mq.mdb
check "a store with a row" "$MQ" set locals type=exact address=example.org

echo "precious" >"$TMP/old.mdb"
expect_status "backup onto an existing file: 65" 65 "$MQ" backup "$TMP/old.mdb"
expect_grep "saying it exists and how to replace it" "old.mdb exists; mq backup --force replaces it" "$TMP/last.out"
expect_eq "the existing file is untouched" precious "$(cat "$TMP/old.mdb")"
expect_status "backup --force replaces it" 0 "$MQ" backup --force "$TMP/old.mdb"
expect_status "and the copy verifies" 0 "$MQ" verify "$TMP/old.mdb"
expect_status "backup into a missing directory: 70" 70 "$MQ" backup "$TMP/nodir/b.mdb"
expect_grep "names the file asked for" "nodir/b.mdb: cannot create" "$TMP/last.out"
expect_no_grep "not a temporary name" '\.tmp\.' "$TMP/last.out"
expect_status "backup with an option it does not know: 64" 64 "$MQ" backup --nope "$TMP/x.mdb"

MQ_DATABASE_ADDRESS='postgresql://u:Secr3tpw@[::1/db' \
	expect_status "a malformed MQ_DATABASE_ADDRESS: 64" 64 "$MQ" get locals
expect_grep "naming the variable" '^mq: MQ_DATABASE_ADDRESS: ' "$TMP/last.out"
expect_no_grep "without the password" 'Secr3tpw' "$TMP/last.out"
MQ_DATABASE_ADDRESS='ftp://user:Secr3tpw@h/x' \
	expect_status "an unknown scheme fails mq config itself: 64" 64 "$MQ" config
expect_grep "saying so" 'unknown scheme' "$TMP/last.out"
expect_no_grep "without the password" 'Secr3tpw' "$TMP/last.out"
printf 'database-address: oracle://u@h/db\n' >"$TMP/bad.conf"
expect_status "the same in a config file: 64" 64 "$MQ" --config "$TMP/bad.conf" stat
expect_grep "naming the file and line" 'bad.conf:1: ' "$TMP/last.out"
MQ_DATABASE_ADDRESS="sqlite://$TMP/x.db" \
	expect_status "a good address is taken" 0 "$MQ" config

expect_status "verify of a missing file: 70" 70 "$MQ" verify "$TMP/none.mdb"
expect_grep "saying it is missing" 'none.mdb: No such file or directory' "$TMP/last.out"
finish
