#!/usr/bin/env bash
# ezmlm_idx7 - mq shares one SQL database with the real ezmlm-idx 7.2.2
# (its ezmlm-make, ezmlm-sub, ezmlm-unsub, ezmlm-list, ezmlm-issubn and
# ezmlm-send), on SQLite, PostgreSQL and MariaDB.  On each, ezmlm-make -6
# makes the list and its tables and ezmlm-sub fills it; mq, with no repair,
# finds a lists-only database, loads it and writes it back without DDL
# (ezmlm's tables keep their columns: SELECT/INSERT/UPDATE/DELETE do):
#	- mq list equals ezmlm-list; a second sync changes nothing;
#	- mq sub/unsub + sync --to-sql, and mq sub written through with
#	  database-address set: ezmlm-list and ezmlm-issubn agree;
#	- ezmlm-unsub + sync --from-sql: mq issub agrees;
#	- ezmlm-send -s LO:HI reaches exactly mq list --sublist of that range;
#	- sync --to-sql refuses a split SQL has no ezl_name for (exit 65);
#	- mq status shows ezmlm-send's message as sent (code 4);
#	- ezmlm's tables are as ezmlm-make left them (no column added);
#	- a SQLite database another writer holds is waited for;
#	- mq serve starts on the lists-only database and loads it.
# And the hashes ezmlm-sub writes for 10,000 random addresses (mixed
# case, UTF-8, punctuation; addresses mq sub takes, so no byte that is
# not UTF-8: tests/unit/subhash_cases.txt has those) equal mq's.  The
# 1,000 addresses end with 30 variants in case of earlier ones (ezmlm-sub
# keeps them as rows of their own, but on MariaDB, whose collation finds
# the earlier one).  @domain subscribers are left out.
#
# The peer is built into build/peers/ezmlm-idx, once
# (tests/lib/ezmlm_peer.sh).  Without its build script the test prints
# the TAP plan "1..0 # SKIP reason": not run, counted neither way.
. "$(dirname "$0")/../lib/harness.sh"
. "$REPO/tests/lib/ezmlm_peer.sh"
ezmlm_peer_require
. "$REPO/tests/lib/engines.sh"
DBNAME=ez7_$$
B=$EZ/bin
# SQLite files in memory when it can: ezmlm-sub commits (and syncs) each
# address, 40 ms each on a disk.
FAST=$(mktemp -d /dev/shm/mq-ez7.XXXXXX 2>/dev/null) || FAST=$TMP
[ "$FAST" = "$TMP" ] || at_exit "rm -rf '$FAST'"

# addresses N SEED [variants] - N random addresses mq sub takes: mixed
# case, UTF-8, ASCII punctuation in dot-atoms, domain labels without a
# hyphen at an end; with variants the last VARIANTS are earlier ones with
# their ASCII case swapped
VARIANTS=30
addresses() {
	python3 - "$1" "$2" "${3:-}" "$VARIANTS" <<'EOF'
import random, re, sys
n, seed = int(sys.argv[1]), int(sys.argv[2])
nvar = int(sys.argv[4]) if sys.argv[3] == "variants" else 0
n -= nvar
out = []
r = random.Random(seed)
local = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._+-=!#$%&'*/?^`{|}~"
odd = ["\u00e9", "\u00fc", "\u00df", "\u4e2d", "\u0416", "\U0001f600"]
seen = set()
while len(seen) < n:
    s = "".join(r.choice(local) for _ in range(r.randint(1, 20)))
    if r.random() < 0.3:
        s += r.choice(odd)
    s = re.sub(r"\.+", ".", s).strip(".") or "x"	# a dot-atom
    d = "".join(r.choice("abcdefghijklmnopqrstuvwxyz0123456789-") for _ in range(r.randint(1, 12)))
    d = d.strip("-") or "x"	# no hyphen first or last
    d += "." + r.choice(["org", "com", "example", "jp", "edu", "co.uk", "xn--p1ai", "\u00e9t\u00e9"])
    a = s.encode() + b"@" + d.encode()
    if s[0] != "#" and a.lower() not in seen:
        seen.add(a.lower())
        out.append(a)
for a in list(out):
    if nvar and a.swapcase() != a:
        out.append(a.swapcase())
        nvar -= 1
sys.stdout.buffer.write(b"".join(a + b"\n" for a in out))
EOF
}

# spec - ezmlm-make -6's plugin:host:port:user:password:database:table
spec() {
	case $ENGINE in
	sqlite) echo "sqlite3:::::$FAST/ez:ezl" ;;
	pgsql) echo "pgsql:127.0.0.1:$MQ_TEST_PG_PORT:$DBUSER:$PW:$DBNAME:ezl" ;;
	mysql) echo "mysql:127.0.0.1:$MQ_TEST_MYSQL_PORT:$DBUSER:$PW:$DBNAME:ezl" ;;
	esac
}

# same_lists WHAT - mq list ezl equals ezmlm-list (sorted)
same_lists() {
	"$MQ" list ezl | LC_ALL=C sort > "$TMP/mq.txt"
	"$B/ezmlm-list" "$DIR" | LC_ALL=C sort > "$TMP/ez.txt"
	if cmp -s "$TMP/mq.txt" "$TMP/ez.txt" && [ -s "$TMP/ez.txt" ]; then
		ok "$ENGINE: $1: mq list equals ezmlm-list ($(wc -l < "$TMP/ez.txt"))"
	else
		fail "$ENGINE: $1: mq list equals ezmlm-list" \
			"$(diff "$TMP/mq.txt" "$TMP/ez.txt" | head -n 5)"
	fi
}

# columns - the database's tables and the address table's columns, as
# the engine lists them
columns() {
	local schema="'public'"
	[ "$ENGINE" = mysql ] && schema="'$DBNAME'"
	case $ENGINE in
	sqlite) q "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
		q "SELECT name FROM pragma_table_info('ezl') ORDER BY name" ;;
	*) q "SELECT table_name FROM information_schema.tables WHERE table_schema = $schema ORDER BY table_name"
	   q "SELECT column_name FROM information_schema.columns WHERE table_name = 'ezl' AND table_schema = $schema ORDER BY column_name" ;;
	esac | tr '\n' ' '
}

# sent_to LO HI - the recipients ezmlm-send gives qmail-queue for -s LO:HI
sent_to() {
	printf 'From: poster@lists.example\nTo: ezl@lists.example\nSubject: t\n\nhello\n' |
		QMAILQUEUE=$TMP/qq SENDER=poster@lists.example \
		"$B/ezmlm-send" -s "$1:$2" "$DIR" > "$TMP/send.out" 2>&1 || return 1
	tr '\0' '\n' < "$TMP/qq.env" | sed -n 's/^T//p' | LC_ALL=C sort
}

run_engine() {
	export MQ_STORE_PATH=$TMP/$ENGINE.mdb
	unset MQ_DATABASE_ADDRESS
	DIR=$TMP/$ENGINE-list
	[ "$ENGINE" = sqlite ] && URL="sqlite://$FAST/ez.db" &&
		ln -sf "$FAST/ez.db" "$TMP/db.sqlite"
	if ! "$B/ezmlm-make" -6 "$(spec)" "$DIR" "$TMP/$ENGINE-dot" ezl lists.example \
		> "$TMP/make.out" 2>&1; then
		fail "$ENGINE: ezmlm-make -6" "$(tail -n 3 "$TMP/make.out")"
		return
	fi
	ok "$ENGINE: ezmlm-make -6 made the list and its tables"
	before=$(columns)
	"$B/ezmlm-sub" "$DIR" < "$TMP/addrs1k" > "$TMP/sub.out" 2>&1
	want=1000
	[ "$ENGINE" = mysql ] && want=$((1000 - VARIANTS))
	expect_eq "$ENGINE: ezmlm-sub of 1,000 addresses ($VARIANTS variants in case)" \
		"$want" "$(q 'SELECT count(*) FROM ezl')"

	check "$ENGINE: check-database: valid without repair" "$MQ" check-database --address "$URL"
	expect_grep "$ENGINE: reported as a lists-only database" "lists-only" "$TMP/last.out"
	check "$ENGINE: sync --from-sql, no repair" "$MQ" sync --from-sql --address "$URL"
	same_lists "loaded"
	check "$ENGINE: a second sync" "$MQ" sync --from-sql --address "$URL"
	expect_grep "$ENGINE: it changes nothing" "nothing to do" "$TMP/last.out"

	# mq writes back; ezmlm reads it.
	gone=$(sed -n 5p "$TMP/addrs1k")
	check "$ENGINE: mq sub" "$MQ" sub ezl New.One@Mq.Example
	check "$ENGINE: mq unsub" "$MQ" unsub ezl "$gone"
	check "$ENGINE: sync --to-sql" "$MQ" sync --to-sql --address "$URL"
	same_lists "after mq sub/unsub"
	check "$ENGINE: ezmlm-issubn finds mq's subscriber" env SENDER=New.One@mq.example "$B/ezmlm-issubn" "$DIR"
	expect_status "$ENGINE: ezmlm-issubn misses mq's removal" 99 env SENDER="$gone" "$B/ezmlm-issubn" "$DIR"
	check "$ENGINE: mq sub written through to SQL" env MQ_DATABASE_ADDRESS="$URL" "$MQ" sub ezl Through@Mq.Example
	check "$ENGINE: ezmlm-issubn finds it" env SENDER=Through@mq.example "$B/ezmlm-issubn" "$DIR"
	expect_eq "$ENGINE: no table or column added to ezmlm's" "$before" "$(columns)"

	# ezmlm writes; mq reads it.
	gone=$(sed -n 9p "$TMP/addrs1k")
	"$B/ezmlm-unsub" "$DIR" "$gone" > /dev/null 2>&1
	check "$ENGINE: sync --from-sql after ezmlm-unsub" "$MQ" sync --from-sql --address "$URL"
	expect_status "$ENGINE: mq issub misses ezmlm's removal" 1 "$MQ" issub ezl "$gone"
	check "$ENGINE: mq issub finds a subscriber" "$MQ" issub ezl "$(sed -n 10p "$TMP/addrs1k")"

	if [ "$ENGINE" = sqlite ]; then
		busy
		serve_lists_only
	fi

	# ezmlm-send to a hash range reaches mq's sublist for that split.
	check "$ENGINE: a split entry in the store" "$MQ" split add ezl sub1@lists.example --hash-lo 10 --hash-hi 29
	expect_status "$ENGINE: sync --to-sql refuses a split SQL has no table for" 65 \
		"$MQ" sync --to-sql --address "$URL"
	expect_grep "$ENGINE: naming the table" "table ezl_name is missing" "$TMP/last.out"
	"$MQ" list ezl --sublist sub1@lists.example --msgnum 1 | LC_ALL=C sort > "$TMP/mqsub.txt"
	if sent_to 10 29 > "$TMP/sent.txt" && [ -s "$TMP/sent.txt" ] &&
	   cmp -s "$TMP/sent.txt" "$TMP/mqsub.txt"; then
		ok "$ENGINE: ezmlm-send -s 10:29 reaches mq's sublist ($(wc -l < "$TMP/sent.txt"))"
	else
		fail "$ENGINE: ezmlm-send -s 10:29 reaches mq's sublist" \
			"$(tail -n 2 "$TMP/send.out")" "$(diff "$TMP/sent.txt" "$TMP/mqsub.txt" | head -n 4)"
	fi
	"$MQ" split del ezl sub1@lists.example > /dev/null 2>&1
	# ezmlm-idx's SQLite plugin stores the cookie's tai as the text 'now'
	# (its tagmsg's "(?,'now',?,?,?)"): reading that value is the SQL
	# value-types work's, so the log is checked on the servers only.
	[ "$ENGINE" = sqlite ] && return
	check "$ENGINE: sync --from-sql after ezmlm-send" "$MQ" sync --from-sql --address "$URL"
	"$MQ" status ezl -n 1 > "$TMP/status"
	expect_grep "$ENGINE: mq status shows ezmlm-send's message as sent" \
		"^1 +10 +\? +- +([0-9]{4}-[0-9]{2}-[0-9]{2} |\? )" "$TMP/status"
}

# The hashes: 10,000 addresses through ezmlm-sub (SQLite) and mq sub.
hashes() {
	ENGINE=sqlite
	local dir=$TMP/hash-list
	"$B/ezmlm-make" -6 "sqlite3:::::$FAST/hz:hz" "$dir" "$TMP/hash-dot" hz lists.example > /dev/null 2>&1 ||
		{ fail "hashes: ezmlm-make"; return; }
	"$B/ezmlm-sub" "$dir" < "$TMP/addrs10k" > /dev/null 2>&1
	sqlite3 -separator $'\t' "$FAST/hz.db" "SELECT hash, address FROM hz" | LC_ALL=C sort > "$TMP/ezhash.tsv"
	export MQ_STORE_PATH=$TMP/hash.mdb
	"$MQ" list-create hz > /dev/null
	"$MQ" sub hz - < "$TMP/addrs10k" > /dev/null
	"$MQ" dump hz | tail -n +2 | cut -f 1,2 | LC_ALL=C sort > "$TMP/mqhash.tsv"
	expect_eq "hashes: ezmlm-sub stored 10,000" 10000 "$(wc -l < "$TMP/ezhash.tsv")"
	if cmp -s "$TMP/ezhash.tsv" "$TMP/mqhash.tsv"; then
		ok "hashes: ezmlm-sub's hashes of 10,000 random addresses equal mq's"
	else
		fail "hashes: ezmlm-sub's hashes equal mq's" "$(diff "$TMP/ezhash.tsv" "$TMP/mqhash.tsv" | head -n 6)"
	fi
}

# A SQLite database another writer holds: mq's write waits (busy_timeout).
busy() {
	"$MQ" sub ezl busy@wait.example > /dev/null
	python3 -c '
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN IMMEDIATE"); open(sys.argv[2], "w").close(); time.sleep(2); c.execute("COMMIT")
' "$FAST/ez.db" "$TMP/locked" &
	while [ ! -e "$TMP/locked" ]; do sleep 0.1; done
	check "busy: sync --to-sql waits for the other writer" "$MQ" sync --to-sql --address "sqlite://$FAST/ez.db?busy_timeout=20000"
	wait
	expect_eq "busy: the row is in SQL" 1 "$(q "SELECT count(*) FROM ezl WHERE address = 'busy@wait.example'")"
}

# mq serve starts on a lists-only database and loads its lists.
serve_lists_only() {
	local want db=$URL	# serve_start sets URL to its own
	want=$(q "SELECT count(*) FROM ezl")
	. "$REPO/tests/lib/serve.sh"
	if serve_start "$TMP/serve.log" MQ_STORE_PATH="$TMP/serve.mdb" \
		MQ_DATABASE_ADDRESS="sqlite://$FAST/ez.db"; then
		ok "serve: mq serve starts on a lists-only database"
		serve_stop
		expect_eq "serve: it loaded ezmlm's list" "$want" \
			"$(MQ_STORE_PATH=$TMP/serve.mdb "$MQ" list ezl | wc -l)"
	else
		fail "serve: mq serve starts on a lists-only database" "$(tail -n 5 "$TMP/serve.log")"
	fi
	URL=$db
}

addresses 1000 7 variants > "$TMP/addrs1k"
addresses 10000 11 > "$TMP/addrs10k"
printf '#!/bin/sh\ncat > %s/qq.msg; cat <&1 > %s/qq.env\n' "$TMP" "$TMP" > "$TMP/qq"
chmod +x "$TMP/qq"
each_engine run_engine
hashes
finish
