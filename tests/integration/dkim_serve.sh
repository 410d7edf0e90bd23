#!/usr/bin/env bash
# NAME
#	dkim_serve.sh - mq serve's DKIM checks: in the background, through DNS failures
# DESCRIPTION
#	Against a real nsd on loopback serving the records mq dkim-record
#	prints, without a database-address:
#	- mq serve checks the keys after start; then nsd stops, and through
#	  three mq reload (each a new check, failing) dkim() keeps
#	  returning the verified keys, over HTTP and from the CLI, their
#	  status "kept" with the last-verified time, /health and /metrics
#	  counting them; nsd comes back publishing another key for one of
#	  them, and the next check (a reload) drops that one alone;
#	- with dkim-verify-grace 0 a DNS failure drops a verified key;
#	- dkim-verify-interval re-checks without a reload;
#	- a DNS server that never answers (a UDP socket on loopback that
#	  reads nothing) and 500 keys: /health answers within 1 s of the
#	  start, saying the check is in progress, lookups answer at once
#	  throughout with the keys verified before, a bad key that came
#	  from SQL is left out at once, and mq serve stops at once on
#	  SIGTERM although the check still waits on DNS.
. "$(dirname "$0")/../lib/harness.sh"
. "$REPO/tests/lib/nsd.sh"
. "$REPO/tests/lib/serve.sh"
if [ ! -x "$NSD" ]; then
	skip "nsd is installed" "nsd not found (build.sh installs it)"
	finish
fi

export MQ_STORE_PATH=$TMP/mq.mdb
ZONE=$TMP/nsd/example.test.zone
NSPORT=$(free_port) || { skip "a free port" "none found"; finish; }
export MQ_DNS_SERVERS=127.0.0.1:$NSPORT MQ_DKIM_VERIFY_INTERVAL=0

# add_key SELECTOR KEYFILE [col=val...] - a key with an exact pattern
# SELECTOR@example.test; prints its id
add_key() {
	local sel=$1 file=$2 id
	shift 2
	id=$($MQ set dkim_keys domain=example.test "selector=$sel" \
		"privatekey=$(cat "$file")" verify=1 "$@" |
		sed -n 's/.*id=\([0-9]*\).*/\1/p')
	$MQ set dkim_patterns "dkim_key=$id" type=substr sign=@example.test \
		>/dev/null
	echo "$id"
}

# zone_head - the zone's SOA, NS and A lines
zone_head() {
	printf '%s\n' "\$ORIGIN example.test." "\$TTL 60" \
		"@ IN SOA ns.example.test. admin.example.test. 1 3600 600 86400 60" \
		"@ IN NS ns.example.test." "ns IN A 127.0.0.1"
}

# dns_start - nsd on $NSPORT with the zone as it is
dns_start() {
	PORT=$NSPORT nsd_start example.test
}

# http_ids FROM - the key ids dkim(FROM) gives over HTTP, one line
http_ids() {
	curl -s --max-time 2 "$URL/v1/lookup/dkim?from=$1" |
		grep -o '"id":[0-9]*' | cut -d: -f2 | tr '\n' ' ' | sed 's/ $//'
}

# cli_ids FROM - the same from mq lookup dkim
cli_ids() {
	$MQ lookup dkim "$1" 2>/dev/null | awk -F'\t' 'NR > 1 { print $1 }' |
		tr '\n' ' ' | sed 's/ $//'
}

# metric NAME - a value of /metrics
metric() {
	curl -s --max-time 2 "$URL/metrics" | awk -v n="$1" '$1 == n { print $2 }'
}

# checks_reach N - wait (30 s at most) until N DKIM checks ended
checks_reach() {
	for _ in $(seq 300); do
		[ "$(metric mq_dkim_checks_total)" -ge "$1" ] 2>/dev/null &&
			return 0
		sleep 0.1
	done
	return 1
}

openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
	-out rsa.pem 2>/dev/null
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
	-out other.pem 2>/dev/null
openssl genpkey -algorithm ed25519 -out ed.pem
RSA=$(add_key rsa1 rsa.pem priority=1)
ED=$(add_key ed1 ed.pem algorithm=ed25519-sha256 priority=2)
NEW=$(add_key new1 ed.pem algorithm=ed25519-sha256 priority=3)
expect_eq "three keys" "1 2 3" "$RSA $ED $NEW"
OTHER=$($MQ set dkim_keys domain=example.test selector=rsa1 \
	"privatekey=$(cat other.pem)" | sed -n 's/.*id=\([0-9]*\).*/\1/p')
OTHER_LINE=$($MQ dkim-record "$OTHER")
$MQ del dkim_keys "id=$OTHER" >/dev/null
mkdir -p "$TMP/nsd"
{ zone_head; $MQ dkim-record "$RSA"; $MQ dkim-record "$ED"; } >"$ZONE"
dns_start || { fail "nsd starts" "$(tail -n 5 "$TMP/nsd/nsd.log")"; finish; }

serve_start "$TMP/serve.log" || { fail "mq serve starts"; finish; }
check "the first check ends" checks_reach 1
expect_eq "dkim() over HTTP gives the verified keys" "$RSA $ED" \
	"$(http_ids alice@example.test)"
expect_eq "mq lookup dkim too" "$RSA $ED" "$(cli_ids alice@example.test)"

# DNS goes away: three reloads, three failing checks, the keys stay.
nsd_stop
for i in 1 2 3; do
	$MQ reload >/dev/null 2>&1
	check "reload $i: its check ends" checks_reach $((1 + i))
	expect_eq "reload $i: dkim() over HTTP keeps the verified keys" \
		"$RSA $ED" "$(http_ids bob@example.test)"
	expect_eq "reload $i: mq lookup dkim keeps them" "$RSA $ED" \
		"$(cli_ids bob@example.test)"
done
$MQ dkim-record --status >status.out 2>&1
expect_grep "their status is kept, with the last-verified time" \
	"^$RSA	.*	kept	yes	.*	verified [0-9-]+ [0-9:]+ UTC, kept: .*	[0-9-]+ [0-9:]+\$" \
	status.out
expect_grep "a key never verified stays out: dns-error" \
	"^$NEW	.*	dns-error	no	" status.out
curl -s "$URL/health" >health.json
expect_grep "/health counts the kept keys" '"dkim_keys_kept": ?2' health.json
expect_grep "and says ok" '"status": ?"ok"' health.json
expect_eq "/metrics counts them" 2 "$(metric mq_dkim_keys_kept)"
expect_grep "the log says each key is kept" \
	"dkim key $ED \(ed1._domainkey.example.test\) kept through a DNS failure" \
	"$TMP/serve.log"

# DNS is back and publishes another key at rsa1: a definitive mismatch.
{ zone_head; echo "$OTHER_LINE"; $MQ dkim-record "$ED"; } >"$ZONE"
dns_start || fail "nsd restarts"
$MQ reload >/dev/null 2>&1
check "after DNS is back, the reload's check ends" checks_reach 5
expect_eq "the mismatching key is dropped, the other stays" "$ED" \
	"$(http_ids carol@example.test)"
$MQ dkim-record --status >status.out 2>&1
expect_grep "the dropped key is a mismatch" \
	"^$RSA	.*	mismatch	no	.*another key" status.out
expect_eq "/health: nothing kept any more" 0 "$(metric mq_dkim_keys_kept)"
serve_stop
expect_eq "mq serve stops with 0" 0 "$?"

# dkim-verify-grace 0: no grace, a failure drops the key.
nsd_stop
MQ_DKIM_VERIFY_GRACE=0 $MQ dkim-record --check >nograce.out 2>&1
expect_grep "with dkim-verify-grace 0 a DNS failure drops a verified key" \
	"^$ED	.*	dns-error	no	" nograce.out

# dkim-verify-interval re-checks without a reload.
dns_start || fail "nsd restarts"
serve_start "$TMP/serve2.log" MQ_DKIM_VERIFY_INTERVAL=1 ||
	{ fail "mq serve starts"; finish; }
check "dkim-verify-interval 1: three checks without a reload" checks_reach 3
expect_eq "and the key verified again is used" "$ED" \
	"$(http_ids dave@example.test)"
serve_stop
nsd_stop

# 500 keys, verified once, then a DNS server that never answers.
{
	printf 'domain\tselector\tprivatekey\talgorithm\tverify\tpriority\n'
	pem=$(awk '{ printf "%s\\n", $0 }' ed.pem)
	for i in $(seq 1 500); do
		printf 'many.test\tm%d\t%s\ted25519-sha256\t1\t%d\n' "$i" "$pem" "$i"
	done
} >many.tsv
check "500 keys in one mq set" sh -c "$MQ set dkim_keys - <many.tsv >/dev/null"
FIRST=$($MQ get dkim_keys selector=m1 | awk -F'\t' 'NR == 2 { print $1 }')
$MQ set dkim_patterns "dkim_key=$FIRST" type=exact sign=erin@many.test >/dev/null
ED_REC=$($MQ dkim-record "$FIRST" | sed 's/^[^ ]* //')
{
	printf '%s\n' "\$ORIGIN many.test." "\$TTL 60" \
		"@ IN SOA ns.many.test. admin.many.test. 1 3600 600 86400 60" \
		"@ IN NS ns.many.test." "ns IN A 127.0.0.1"
	for i in $(seq 1 500); do
		echo "m$i._domainkey.many.test. $ED_REC"
	done
} >"$TMP/nsd/many.test.zone"
PORT=$NSPORT nsd_start many.test || fail "nsd serves many.test"
$MQ dkim-record --check --threads 4 >many.out 2>&1
expect_eq "the 500 keys are verified" 500 \
	"$(awk -F'\t' '$2 == "many.test" && $5 == "verified"' many.out | wc -l)"
nsd_stop

# A key that does not read, from SQL (mq set refuses it), without verify.
printf -- '-----BEGIN PRIVATE KEY-----\nc2VjcmV0Z2FyYmFnZQ==\n-----END PRIVATE KEY-----\n' \
	>garbage.pem
$MQ sync --to-sql --address "sqlite://$TMP/keys.db" >/dev/null 2>&1
sqlite3 "$TMP/keys.db" "INSERT INTO dkim_keys (domain, selector, privatekey,
	verify) VALUES ('many.test', 'garbage1',
	CAST(readfile('garbage.pem') AS TEXT), 0)"
$MQ sync --from-sql --address "sqlite://$TMP/keys.db" >/dev/null 2>&1
GARBAGE=$($MQ get dkim_keys selector=garbage1 | awk -F'\t' 'NR == 2 { print $1 }')
check "a bad key came in from SQL" test -n "$GARBAGE"
$MQ set dkim_patterns "dkim_key=$GARBAGE" type=exact sign=frank@many.test >/dev/null

silent_start
check "the silent DNS server listens" sh -c "ss -Hanu 'sport = :$SILENT' | grep -q ."

# The release binary: the time to answer is the product's, not the
# sanitizers' start-up.
t0=$(date +%s%N)
SERVE_BIN=$MQ_STATIC serve_start "$TMP/serve3.log" \
	MQ_DNS_SERVERS=127.0.0.1:$SILENT MQ_DKIM_VERIFY_INTERVAL=0 ||
	{ fail "mq serve starts"; finish; }
t1=$(date +%s%N)
ms=$(( (t1 - t0) / 1000000 ))
check "/health answers within 1 s of the start ($ms ms)" test "$ms" -lt 1000
curl -s "$URL/health" >health.json
expect_grep "/health says the check is in progress" \
	'"dkim_check": ?"dkim check in progress"' health.json
expect_grep "and ok" '"status": ?"ok"' health.json
slow=0
for i in $(seq 1 10); do
	a=$(date +%s%N)
	got=$(http_ids erin@many.test)
	b=$(date +%s%N)
	[ "$got" = "$FIRST" ] || fail "lookup $i during the check gives key $FIRST" "got '$got'"
	[ $(( (b - a) / 1000000 )) -lt 1000 ] || slow=$((slow + 1))
	sleep 0.3
done
expect_eq "10 lookups over 3 s during the check, each within 1 s" 0 "$slow"
expect_eq "the bad key from SQL is left out before DNS answers" "" \
	"$(http_ids frank@many.test)"
$MQ dkim-record --status >status.out 2>&1
expect_grep "its status is bad-key, written before the DNS answers" \
	"^$GARBAGE	.*	bad-key	no	" status.out
expect_grep "a key waiting for DNS keeps its last status meanwhile" \
	"^$FIRST	.*	verified	yes	" status.out
check "the check still waits on DNS" test "$(metric mq_dkim_check_running)" = 1
a=$(date +%s%N)
serve_stop
b=$(date +%s%N)
check "SIGTERM stops mq serve within 5 s mid-check ($(( (b - a) / 1000000 )) ms)" \
	test $(( (b - a) / 1000000 )) -lt 5000
expect_eq "the statuses of the last check stay" 500 \
	"$($MQ dkim-record --status | awk -F'\t' '$2 == "many.test" && $5 == "verified"' | wc -l)"
finish
