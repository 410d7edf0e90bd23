#!/usr/bin/env bash
# NAME
#	addresses.sh - list addresses as people paste them, and the address
#	tables' invariants, on every path
# DESCRIPTION
#	mq sub, unsub and issub take "Name <addr>", "<addr>" and blanks as
#	the address; mq sub refuses what RFC 5321 does not take (exit 65,
#	the reason in words) and writes nothing; the API's POST answers 400
#	with the same reason and the index of the bad address.  mq set and
#	POST /v1/tables/T compute hash and domain from the address, refuse
#	a hash that is not the address's own (naming it) and take a special
#	one only with --hash (?force_hash=1).  A sync from SQL keeps what
#	SQL holds and says once how many addresses mq would refuse.  An
#	import of a hand-made ezmlm directory (everyone in subscribers/@)
#	says so once.

. "$(dirname "$0")/../lib/harness.sh"
. "$REPO/tests/lib/serve.sh"

export MQ_STORE_PATH=$TMP/mq.mdb
check "list ml" "$MQ" list-create ml

# Pasted forms are reduced to the address.
check "sub '<dave@example.org>'" "$MQ" sub ml '<dave@example.org>'
check "sub 'Carol Smith <carol@example.org>'" "$MQ" sub ml 'Carol Smith <carol@example.org>'
check "sub with blanks and a quoted name" "$MQ" sub ml '  "Eve, Q." <eve@example.org>  '
expect_eq "stored bare" "carol@example.org dave@example.org eve@example.org" \
	"$("$MQ" list ml | sort | tr '\n' ' ' | sed 's/ $//')"
expect_status "'Dave <dave@example.org>' is already subscribed" 0 \
	"$MQ" sub ml 'Dave <dave@example.org>'
expect_grep "as the same address" "0 subscribed, 1 already subscribed" "$TMP/last.out"
check "issub 'Dave <DAVE@example.org>'" "$MQ" issub ml 'Dave <DAVE@example.org>'
expect_grep "answers the stored address" '^dave@example\.org$' "$TMP/last.out"
printf 'Frank <frank@example.org>\n<grace@example.org>\n' > "$TMP/in"
check "sub - reduces each line" sh -c "'$MQ' sub ml - < '$TMP/in'"
check "unsub '<eve@example.org>'" "$MQ" unsub ml '<eve@example.org>'
expect_grep "removes eve" "1 unsubscribed" "$TMP/last.out"

# What RFC 5321 does not take is refused, in words, and nothing is written.
bad() {	# bad NAME ADDRESS REASON
	expect_status "sub $1: 65" 65 "$MQ" sub ml "$2" ok@example.org
	expect_grep "sub $1: $3" "$3" "$TMP/last.out"
}
bad "x@@example.org" 'x@@example.org' "two @ signs"
bad "x@example" 'x@example' "the domain has no dot"
bad "x@-bad-.example" 'x@-bad-.example' "the domain label '-bad-' starts with a hyphen"
bad "a..b@example.org" 'a..b@example.org' "the local part has two dots in a row"
bad "Name <@example.org>" 'Name <@example.org>' "the local part is empty"
bad "an unclosed <" 'Dave <dave@example.org' "a '<' without a '>'"
expect_status "ok@example.org was not written" 1 "$MQ" issub ml ok@example.org
printf 'h@example.org\nx@example\n' > "$TMP/in"
expect_status "sub - with a bad line: 65" 65 sh -c "'$MQ' sub ml - < '$TMP/in'"
expect_grep "naming the line" '^mq: stdin:2: .*the domain has no dot' "$TMP/last.out"
check "ezmlm's @domain entry stays valid" "$MQ" sub ml @wild.example
check "an IDN in UTF-8" "$MQ" sub ml 'ivan@пример.рф'
check "an A-label" "$MQ" sub ml 'user@xn--bcher-kva.example'
check "an address literal" "$MQ" sub ml 'root@[192.0.2.1]'

# mq set: hash and domain from the address; a wrong hash names the right one.
expect_status "set hash=7 for alice: 65" 65 "$MQ" set ml hash=7 address=alice@example.org domain=org
expect_grep "naming alice's hash" "ml\.hash: 7 is not alice@example\.org's hash \(34\)" "$TMP/last.out"
check "set without hash computes it" "$MQ" set ml address=alice@example.org
expect_eq "hash 34, domain org" "34	alice@example.org	org" \
	"$("$MQ" get ml address=alice@example.org | tail -n 1)"
expect_status "set a wrong domain: 65" 65 "$MQ" set ml address=alice@example.org domain=com
expect_status "set hash=99 without --hash: 65" 65 "$MQ" set ml hash=99 address=sub@example.org
expect_grep "saying what 99 means" "99 is a special hash \(a sublist's address\)" "$TMP/last.out"
check "set --hash hash=99" "$MQ" set ml --hash hash=99 address=sub@example.org
expect_eq "a sublist" "sub@example.org" "$("$MQ" list ml --hash 99)"
check "set again without a hash keeps the sublist's 99" "$MQ" set ml address=sub@example.org
expect_eq "still a sublist" "sub@example.org" "$("$MQ" list ml --hash 99)"
expect_status "set --hash with a normal hash not its own: 65" 65 \
	"$MQ" set ml --hash hash=7 address=bob@example.org
expect_status "set an invalid address: 65" 65 "$MQ" set ml address=x@example
"$MQ" dump ml > "$TMP/dump"
check "del --all" "$MQ" del ml --all
expect_status "a dump with a sublist loads back only with --hash" 65 \
	sh -c "'$MQ' set ml - < '$TMP/dump'"
check "set - --hash" sh -c "'$MQ' set ml - --hash < '$TMP/dump'"
"$MQ" dump ml > "$TMP/dump2"
expect_eq "the same rows" "$(cat "$TMP/dump")" "$(cat "$TMP/dump2")"

# The API: the same parser, the same rules.
TOKEN=addr-$$
AUTH="Authorization: Bearer $TOKEN"
serve_start "$TMP/serve.log" MQ_WWW_TOKEN="$TOKEN" || { fail "mq serve starts"; finish; }
S=/v1/lists/ml/subscribers
req "POST 'Henry <henry@example.org>'" POST $S 200 -H "$AUTH" \
	-d '{"address":"Henry <henry@example.org>"}'
req "issub 'Henry <henry@example.org>'" GET "$S?address=Henry%20%3Chenry%40example.org%3E" 200
expect_grep "stored bare" '"address": *"henry@example.org"' "$TMP/body"
req "POST x@@example.org: 400" POST $S 400 -H "$AUTH" \
	-d '{"addresses":["ivy@example.org","x@@example.org"]}'
expect_grep "index and reason" 'addresses\[1\]: .*two @ signs' "$TMP/body"
req "ivy was not written" GET "$S?address=ivy@example.org" 404
req "POST /v1/tables/ml hash 7: 400" POST /v1/tables/ml 400 -H "$AUTH" \
	-d '{"address":"alice@example.org","hash":7}'
expect_grep "naming the right hash" "is not alice@example.org's hash \(34\)" "$TMP/body"
req "POST /v1/tables/ml hash 98 without force_hash: 400" POST /v1/tables/ml 400 -H "$AUTH" \
	-d '{"address":"rr@example.org","hash":98}'
req "POST /v1/tables/ml?force_hash=1 hash 98" POST "/v1/tables/ml?force_hash=1" 201 -H "$AUTH" \
	-d '{"address":"rr@example.org","hash":98}'
expect_grep "domain computed" '"domain": *"org"' "$TMP/body"
serve_stop

# A sync from SQL keeps what SQL has and says once what mq would refuse.
DB=$TMP/db.sqlite
MQ_DATABASE_ADDRESS=sqlite://$DB check "SQL tables" "$MQ" sync --to-sql
sqlite3 "$DB" "INSERT INTO ml (hash, address, domain) VALUES
	(3, 'y@example', 'exa'), (5, 'z@@example.org', 'org')"
MQ_DATABASE_ADDRESS=sqlite://$DB check "sync --from-sql keeps them" "$MQ" sync --from-sql
expect_grep "said once, counted" "2 list addresses kept as SQL has them" "$TMP/last.out"
expect_eq "one warning line" 1 "$(grep -c "kept as SQL has them" "$TMP/last.out")"
expect_eq "both in the store" "y@example z@@example.org" \
	"$("$MQ" list ml | grep -E '^(y|z)@' | sort | tr '\n' ' ' | sed 's/ $//')"
check "unsub takes an address SQL brought in" "$MQ" unsub ml --hash 3 y@example
expect_grep "and removes it" "1 unsubscribed" "$TMP/last.out"

# A hand-made ezmlm directory: everyone in subscribers/@.
mkdir -p "$TMP/hand/subscribers"
printf 'Talice@example.org\0Tbob@example.net\0' > "$TMP/hand/subscribers/@"
check "import a hand-made directory" "$MQ" import ezmlm "$TMP/hand" hand
expect_grep "warned, naming the directory and the count" \
	"warning: $TMP/hand: 2 addresses were in a subscribers/@ file" "$TMP/last.out"
expect_grep "saying what ezmlm-idx does" "ezmlm-unsub look for each in the file of its own hash" "$TMP/last.out"
expect_eq "placed with hash 0" 2 "$("$MQ" list hand --hash 0 | wc -l)"
finish
