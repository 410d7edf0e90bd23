#!/usr/bin/env bash
# lookup_cli - mq lookup through the real binary: the capacity cascade in
# text and JSON, the row lookups with wildcards and expiry, an invalid
# pattern reported and skipped, usage errors, and the static build giving
# the same answers as the sanitized one.
. "$(dirname "$0")/../lib/harness.sh"

export MQ_STORE_PATH="$TMP/mq.mdb"

set_rows() {
	local table=$1 row
	shift
	for row in "$@"; do
		# shellcheck disable=SC2086
		"$MQ" set "$table" $row > /dev/null || fail "set $table $row"
	done
}

# limit_of OUT LIMIT - "value level id" of one limit in a text answer
limit_of() { awk -F'\t' -v l="$2" '$1 == l { print $2, $3, $4 }' "$1"; }

set_rows capacity \
	"id=1 localip=192.0.2.1 domain=example.com domain_maxmessages=10 domain_maxconnects=-1" \
	"id=2 localip= domain=example.com domain_maxconnects=20 ip_maxmessages=-1" \
	"id=3 localip=192.0.2.1 domain= ip_maxmessages=30" \
	"id=4 localip= domain= connection_maxidletime=40" \
	"id=5 localip= domain=rule.invalid domain_maxconnections=50"
set_rows capacity_rules \
	"id=10 capacity=5 domain=*.example.com type=fnmatch" \
	"id=11 capacity=5 domain=(unclosed type=regex"

check "capacity lookup answers" "$MQ" lookup capacity 192.0.2.1 example.com
cp "$TMP/last.out" "$TMP/cap.txt"
expect_grep "it prints a header" $'^limit\tvalue\tlevel\tid$' "$TMP/cap.txt"
expect_eq "the pair row gives domain_maxmessages" "10 localip+domain 1" "$(limit_of "$TMP/cap.txt" domain_maxmessages)"
expect_eq "-1 falls to the domain row" "20 domain 2" "$(limit_of "$TMP/cap.txt" domain_maxconnects)"
expect_eq "-1 twice falls to the localip row" "30 localip 3" "$(limit_of "$TMP/cap.txt" ip_maxmessages)"
expect_eq "the (empty, empty) row is the default" "40 any 4" "$(limit_of "$TMP/cap.txt" connection_maxidletime)"
expect_eq "nothing anywhere: built-in 0" "0 default 0" "$(limit_of "$TMP/cap.txt" secure)"
expect_grep "the invalid rule is reported with table and id" 'mq: warning: capacity_rules id 11: regex pattern "\(unclosed" skipped' "$TMP/cap.txt"

"$MQ" lookup capacity 192.0.2.7 mx.example.com > "$TMP/rule.txt" 2> /dev/null
expect_eq "an fnmatch rule applies to an unknown domain" "50 rule 10" "$(limit_of "$TMP/rule.txt" domain_maxconnections)"
"$MQ" lookup capacity 192.0.2.7 EXAMPLE.COM > "$TMP/fold.txt" 2> /dev/null
expect_eq "domains compare without case" "20 domain 2" "$(limit_of "$TMP/fold.txt" domain_maxconnects)"

"$MQ" lookup capacity 192.0.2.1 example.com --json > "$TMP/cap.json" 2> /dev/null
expect_grep "JSON has the limits as numbers" '^\{"domain_maxmessages":10,"domain_maxconnects":20,' "$TMP/cap.json"
expect_grep "JSON names each limit's level and id" '"ip_maxmessages":\{"level":"localip","id":3\}' "$TMP/cap.json"
if command -v python3 > /dev/null; then
	check "the JSON parses" python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["secure"] == 0 and d["levels"]["secure"]["level"] == "default"' "$TMP/cap.json"
else
	skip "the JSON parses" "python3 not installed"
fi
check "the invalid rule can be deleted" "$MQ" del capacity_rules id=11
expect_status "and the lookups stop reporting it" 0 "$MQ" lookup capacity 192.0.2.1 example.com
expect_no_grep "no warning left" 'warning' "$TMP/last.out"

# Row lookups: wildcards (empty columns) and expiry.
past=$(date -u -d '-1 hour' '+%Y-%m-%d %H:%M:%S')
future=$(date -u -d '+1 hour' '+%Y-%m-%d %H:%M:%S')
"$MQ" set paused id=1 localip=192.0.2.1 target= tag= > /dev/null
"$MQ" set paused id=2 localip=192.0.2.2 target=example.com tag= "expire=$past" > /dev/null
"$MQ" set paused id=3 localip=192.0.2.3 target=example.com tag= "expire=$future" > /dev/null
expect_status "paused: an empty target pauses every target" 0 "$MQ" lookup paused 192.0.2.1 example.org '' ''
expect_grep "the paused row is printed" $'^1\t192.0.2.1\t\t\t' "$TMP/last.out"
expect_status "paused: an expired row does not count" 1 "$MQ" lookup paused 192.0.2.2 example.com '' ''
expect_status "paused: a row expiring later does" 0 "$MQ" lookup paused 192.0.2.3 example.com '' ''
expect_status "paused: nothing applies" 1 "$MQ" lookup paused 192.0.2.9 example.com '' ''
expect_status "paused --json with nothing: exit 1" 1 "$MQ" lookup paused 192.0.2.9 example.com '' '' --json
expect_eq "and an empty JSON array" "[]" "$("$MQ" lookup paused 192.0.2.9 example.com '' '' --json)"

"$MQ" set errors id=1 localip= domain=example.com tag= code=421 description='try later' > /dev/null
"$MQ" set errors id=2 localip=192.0.2.1 domain=example.com tag= code=550 "expire=$past" > /dev/null
"$MQ" lookup error 192.0.2.1 example.com '' '' --json > "$TMP/err.json" 2>&1
expect_grep "error: the expired specific row gives way to the wildcard" '"id":1,.*"code":421' "$TMP/err.json"

# '*' means any as an empty column does; one call answers for the domain
# or the remote IP, the domain first.
"$MQ" set paused id=4 'localip=*' target=198.51.100.7 'tag=*' > /dev/null
"$MQ" set paused id=5 'localip=*' target=ip.example 'tag=*' > /dev/null
expect_status "paused: a target naming the remote IP applies" 0 "$MQ" lookup paused 192.0.2.9 other.example 198.51.100.7 bulk
expect_grep "the IP row is printed" $'^4\t\\*\t198.51.100.7' "$TMP/last.out"
expect_status "paused: the domain row comes before the IP row" 0 "$MQ" lookup paused 192.0.2.9 ip.example 198.51.100.7 bulk
expect_grep "the domain row is printed" $'^5\t' "$TMP/last.out"
expect_status "paused: neither the domain nor the IP" 1 "$MQ" lookup paused 192.0.2.9 other.example 198.51.100.8 bulk
expect_status "paused with three arguments is a usage error" 64 "$MQ" lookup paused 192.0.2.9 other.example bulk

"$MQ" set delegates id=1 localip=192.0.2.1 domain= delegate=192.0.2.99 > /dev/null
"$MQ" set delegates id=2 localip= domain=example.com delegate=192.0.2.98 > /dev/null
"$MQ" lookup delegate 192.0.2.1 example.com --json > "$TMP/del.json" 2>&1
expect_grep "delegate: a domain row beats a localip row" '"delegate":"192.0.2.98"' "$TMP/del.json"

"$MQ" set locals id=1 type=fnmatch 'address=*@lists.example.com' > /dev/null
"$MQ" set locals id=2 type=regex 'address=[broken' > /dev/null
expect_status "local: a pattern matches without case" 0 "$MQ" lookup local Bob@Lists.Example.COM
expect_grep "the invalid locals row is reported, the lookup answers" 'locals id 2: regex pattern "\[broken" skipped' "$TMP/last.out"
expect_status "local: not a local address" 1 "$MQ" lookup local bob@example.com

"$MQ" set mtanames localip=192.0.2.1 hostname=mx1.example.com > /dev/null
check "mtaname answers" "$MQ" lookup mtaname 192.0.2.1
expect_grep "with the hostname" $'^192.0.2.1\tmx1.example.com$' "$TMP/last.out"

"$MQ" set dns id=1 domain=example.com ip=192.0.2.20 priority=20 > /dev/null
"$MQ" set dns id=2 domain=example.com ip=192.0.2.10 priority=10 > /dev/null
expect_eq "dns: rows by priority" "192.0.2.10 192.0.2.20" "$("$MQ" lookup dns example.com 2> /dev/null | awk -F'\t' 'NR > 1 { printf "%s%s", s, $3; s = " " }')"

"$MQ" set flood_responses id=1 'pattern=flood detected' pause=300 duration=600 > /dev/null
"$MQ" lookup flood '550 rejected: FLOOD DETECTED from your IP' --json > "$TMP/flood.json" 2> /dev/null
expect_grep "flood: the substr row with its pause and duration" '"id":1,.*"pause":300,"duration":600' "$TMP/flood.json"

"$MQ" set response_patterns id=1 pattern='mailbox full' priority=2 > /dev/null
"$MQ" set response_patterns id=2 pattern='^5' type=regex priority=1 final=1 > /dev/null
"$MQ" set response_actions id=7 action=bounce > /dev/null
"$MQ" set response_actions id=8 action=requeue > /dev/null
"$MQ" set response_patterns_actions pattern=1 action=8 > /dev/null
"$MQ" set response_patterns_actions pattern=2 action=7 > /dev/null
expect_eq "response: final stops after the first pattern" "bounce" "$("$MQ" lookup response '552 mailbox full' '' '' 2> /dev/null | awk -F'\t' 'NR > 1 { print $3 }')"
expect_eq "response: a 4xx skips the regex" "requeue" "$("$MQ" lookup response '452 mailbox full' '' '' 2> /dev/null | awk -F'\t' 'NR > 1 { print $3 }')"

"$MQ" set rewrite_triggers id=1 property=from type=fnmatch 'pattern=*@old.example' > /dev/null
"$MQ" set rewrite_actions id=1 rewrite_trigger=1 action=set property=from value=new position=2 > /dev/null
"$MQ" set rewrite_actions id=2 rewrite_trigger=1 action=set property=ip value=192.0.2.5 position=1 > /dev/null
expect_eq "rewrite: actions by position" "2 1" "$("$MQ" lookup rewrite from=a@old.example subject=hi 2> /dev/null | awk -F'\t' 'NR > 1 { printf "%s%s", s, $1; s = " " }')"
expect_status "rewrite: no trigger fires" 1 "$MQ" lookup rewrite from=a@new.example
expect_status "rewrite: a property must be NAME=VALUE" 64 "$MQ" lookup rewrite from

# Usage errors.
expect_status "an unknown kind: exit 64" 64 "$MQ" lookup capacities 1 2
expect_grep "naming it" "mq: lookup: unknown kind 'capacities'" "$TMP/last.out"
expect_status "a wrong argument count: exit 64" 64 "$MQ" lookup capacity 192.0.2.1
expect_status "--help: exit 0" 0 "$MQ" lookup --help
expect_grep "--help starts with the usage" '^usage: mq lookup' "$TMP/last.out"
long=$(head -c 300 /dev/zero | tr '\0' a)
expect_status "an argument too long: exit 65" 65 "$MQ" lookup capacity 192.0.2.1 "$long"

# The static build gives the same answers.
if [ -x "$MQ_STATIC" ]; then
	"$MQ_STATIC" lookup capacity 192.0.2.1 example.com --json > "$TMP/static.json" 2> /dev/null
	check "the static binary answers the same" cmp "$TMP/cap.json" "$TMP/static.json"
else
	skip "the static binary answers the same" "$MQ_STATIC not built"
fi
finish
