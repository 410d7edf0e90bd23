#!/usr/bin/env bash
# NAME
#	sql_settles.sh - a sync in each direction settles, on every engine
# DESCRIPTION
#	A store made without SQL holds what an engine may keep otherwise
#	than it was given:
#	- fractional times: paused.expire .123456 and .5, dkim_keys.expire
#	  .5, a slog tai .123456 (MariaDB's DATETIME keeps no fraction,
#	  PostgreSQL prints .500000 as .5, SQLite's INTEGER tai seconds);
#	- case variants of a list address (Carol@, carol@, CAROL@: three
#	  rows on every engine) and of a MailerQ key (mtanames Mta1. and
#	  mta1.example.com) where the engine keeps them apart (not MariaDB,
#	  whose collation takes them for one: sql_case_keys.sh);
#	- 4-byte UTF-8 (emoji) in a list address, a fromline and a hostname;
#	- values at each limit: VARCHAR(255) texts of 255 characters
#	  (a dkim_keys selector of 255 three-byte characters, a fromline of
#	  255 emoji), a 20-letter cookie of the largest msgnum and chunk
#	  the engine's column holds, mlog codes -1 and 127 with the largest
#	  subs, a time far in the future (9999-12-31 23:59:59).
#	Then sync --to-sql and --from-sql; after them a second run of each
#	reports nothing to do (no table inserted, updated or deleted, none
#	refused), and the second --from-sql writes nothing to the store (its
#	sequence stays).  The store's rows after the round trip are those
#	given, as far as the engine keeps them (the fraction MariaDB cuts).
#	Needs MQ_TEST_PG_URL and MQ_TEST_MYSQL_URL (tests/run.sh).

. "$(dirname "$0")/../lib/harness.sh"
. "$REPO/tests/lib/engines.sh"

DBNAME=sqlsettles_$$
export LC_ALL=C
EMOJI=$'\xf0\x9f\x98\x80'
openssl genpkey -algorithm ed25519 -out "$TMP/key.pem" 2>/dev/null ||
	fail "an ed25519 key for dkim_keys"

# text_of N TEXT - TEXT N times
text_of() {
	local s="" i
	for ((i = 0; i < $1; i++)); do s+=$2; done
	printf '%s' "$s"
}

# seq_of - the store's change sequence
seq_of() { "$MQ" stat | awk '$1 == "sequence" { print $2 }'; }

# dump_all - the store's rows of the tables this test fills
dump_all() {
	local t
	for t in paused dkim_keys mtanames ml ml_slog ml_mlog ml_cookie; do
		echo "== $t"
		"$MQ" dump "$t" | sort
	done
}

# fill - the store's rows, without SQL; the integer limits of $ENGINE
fill() {
	local big=4294967295 wide
	[ "$ENGINE" = pgsql ] && big=2147483647	# INT4
	wide=$(text_of 255 中)
	"$MQ" list-create ml
	local a
	for a in Carol@example.com carol@example.com CAROL@example.com "$EMOJI@example.org"; do
		"$MQ" set ml address="$a" || return 1
	done
	"$MQ" set paused localip=192.0.2.1 target=a.example tag=t \
		expire='2030-01-02 03:04:05.123456' &&
	"$MQ" set paused localip=192.0.2.2 target=b.example \
		expire='2030-01-02 03:04:05.5' &&
	"$MQ" set dkim_keys domain=example.com selector="$wide" \
		privatekey="$(cat "$TMP/key.pem")" algorithm=ed25519-sha256 \
		expire='2030-01-02 03:04:05.5' &&
	"$MQ" set mtanames localip=Mta1.example.com hostname="mx$EMOJI.example" &&
	"$MQ" set ml_slog address="$EMOJI@example.org" edir=+ \
		fromline="$(text_of 255 "$EMOJI")" tai='2026-01-02 03:04:05.123456' &&
	"$MQ" set ml_mlog msgnum=$big listno=1 done=127 subs=$big \
		tai='9999-12-31 23:59:59' &&
	"$MQ" set ml_mlog msgnum=$big listno=1 done=-1 subs=0 \
		tai='2026-01-02 03:04:05.5' &&
	"$MQ" set ml_cookie msgnum=$big cookie=abcdefghijklmnopqrst chunk=255 \
		bodysize=$big tai='9999-12-31 23:59:59' || return 1
	[ "$ENGINE" = mysql ] ||
		"$MQ" set mtanames localip=mta1.example.com hostname=lower.example
}

# settled DIR - a second sync DIR: nothing to do, nothing refused
settled() {
	check "$ENGINE: sync $1 again" "$MQ" sync "$1"
	expect_grep "$ENGINE: $1 again has nothing to do" \
		"0 changed, 0 lists created, 0 dropped: nothing to do" "$TMP/last.out"
	expect_no_grep "$ENGINE: $1 again: no table changed" \
		"[1-9][0-9]* (inserted|updated|deleted)|refused|skipped" "$TMP/last.out"
}

one_engine() {
	local seq given
	export MQ_STORE_PATH=$TMP/$ENGINE.mdb
	unset MQ_DATABASE_ADDRESS
	check "$ENGINE: the store's rows, without SQL" fill
	given=$(dump_all)
	export MQ_DATABASE_ADDRESS=$URL
	check "$ENGINE: sync --to-sql" "$MQ" sync --to-sql
	expect_no_grep "$ENGINE: --to-sql refuses nothing" "refused" "$TMP/last.out"
	settled --to-sql
	check "$ENGINE: sync --from-sql" "$MQ" sync --from-sql
	expect_no_grep "$ENGINE: --from-sql refuses nothing" "refused" "$TMP/last.out"
	seq=$(seq_of)
	settled --from-sql
	expect_eq "$ENGINE: the second --from-sql wrote nothing (sequence)" \
		"$seq" "$(seq_of)"
	settled --to-sql
	case $ENGINE in	# whole seconds: MariaDB's DATETIME, SQLite's INTEGER tai
	mysql) given=$(printf '%s\n' "$given" |
		sed -E 's/([0-9]{2}:[0-9]{2}:[0-9]{2})\.[0-9]+/\1/g') ;;
	sqlite) given=${given//2026-01-02 03:04:05.123456/2026-01-02 03:04:05} ;;
	esac
	expect_eq "$ENGINE: the store holds what was given" "$given" "$(dump_all)"
	expect_eq "$ENGINE: SQL holds the three variants" \
		"CAROL@example.com Carol@example.com carol@example.com" \
		"$(q "SELECT address FROM ml WHERE lower(address) = 'carol@example.com'" | sort | tr '\n' ' ' | sed 's/ $//')"
	expect_eq "$ENGINE: and the emoji, exactly" "F09F9880" \
		"$(q "SELECT $([ "$ENGINE" = pgsql ] && echo "upper(encode(convert_to(substr(address, 1, 1), 'UTF8'), 'hex'))" || echo "HEX(substr(address, 1, 1))") FROM ml WHERE address LIKE '%@example.org'")"
}

each_engine one_engine
finish
