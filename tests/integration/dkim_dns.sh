#!/usr/bin/env bash
# NAME
#	dkim_dns.sh - DKIM keys checked against a real authoritative DNS server
# DESCRIPTION
#	Starts nsd on 127.0.0.1 and a free high port in $TMP, serving zone
#	example.test whose DKIM records are what `mq dkim-record` prints
#	for keys generated here with `openssl genpkey` (RSA in PKCS#8 and
#	traditional PEM, Ed25519).  Then, through the CLI: a matching key
#	is used by dkim(), a mismatching one and one without a record are
#	left out and reported with their id, an expired one is left out;
#	the same with database-threads: 8 and more keys; with a server
#	that never answers, lookups answer at once from the last statuses
#	while the check times out; with nsd stopped, lookups still answer
#	and the keys are reported as unverified; the static binary does
#	the check in an empty chroot (c-ares, no glibc resolver), where a
#	record reached through a CNAME verifies too; an unreadable key
#	makes dkim-record exit 65 without showing it.
. "$(dirname "$0")/../lib/harness.sh"

. "$REPO/tests/lib/nsd.sh"
if [ ! -x "$NSD" ]; then
	skip "nsd is installed" "nsd not found (build.sh installs it)"
	finish
fi

export MQ_STORE_PATH=$TMP/mq.mdb
ZONE=$TMP/nsd/example.test.zone

# add_key - a key with a substr pattern "@example.test"; prints its id
add_key() {	# SELECTOR KEYFILE VERIFY PRIORITY [col=val...]
	local sel=$1 file=$2 verify=$3 prio=$4 id
	shift 4
	id=$($MQ set dkim_keys domain=example.test "selector=$sel" \
		"privatekey=$(cat "$file")" "verify=$verify" \
		"priority=$prio" "$@" | sed -n 's/.*id=\([0-9]*\).*/\1/p')
	$MQ set dkim_patterns "dkim_key=$id" type=substr sign=@example.test \
		>/dev/null
	echo "$id"
}

# used_ids FROM - the key ids dkim(FROM) gives, in order, one line
used_ids() {
	$MQ lookup dkim "$1" 2>/dev/null | awk -F'\t' 'NR > 1 { print $1 }' |
		tr '\n' ' ' | sed 's/ $//'
}

# status_of ID - the stored status of key ID
status_of() {
	awk -F'\t' -v id="$1" '$1 == id { print $5 }' "$TMP/status.out"
}

PORT=$(free_port) || { skip "a free port" "none found"; finish; }
export MQ_DNS_SERVERS=127.0.0.1:$PORT

# Keys: RSA 2048 PKCS#8 and traditional, Ed25519; one RSA key published
# under another key's name makes a mismatch.
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
	-out rsa.pem 2>/dev/null
openssl rsa -in rsa.pem -traditional -out rsa_trad.pem 2>/dev/null
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
	-out other.pem 2>/dev/null
openssl genpkey -algorithm ed25519 -out ed.pem
check "openssl made the test keys" test -s rsa.pem -a -s rsa_trad.pem -a \
	-s other.pem -a -s ed.pem
expect_grep "the traditional key is traditional" "BEGIN RSA PRIVATE KEY" \
	rsa_trad.pem

RSA=$(add_key rsa1 rsa.pem 1 10)
ED=$(add_key ed1 ed.pem 1 5 algorithm=ed25519-sha256)
TRAD=$(add_key trad1 rsa_trad.pem 1 7)
BAD=$(add_key bad1 other.pem 1 1)
NOREC=$(add_key none1 rsa.pem 1 2)
OLD=$(add_key old1 ed.pem 1 3 algorithm=ed25519-sha256 "expire=2020-01-01 00:00:00")
PLAIN=$(add_key plain1 other.pem 0 20)
expect_eq "seven keys" "1 2 3 4 5 6 7" \
	"$RSA $ED $TRAD $BAD $NOREC $OLD $PLAIN"

# The zone: the records mq renders; bad1 publishes rsa1's record.
{
	echo "\$ORIGIN example.test."
	echo "\$TTL 60"
	echo "@ IN SOA ns.example.test. admin.example.test. 1 3600 600 86400 60"
	echo "@ IN NS ns.example.test."
	echo "ns IN A 127.0.0.1"
	for id in "$RSA" "$ED" "$TRAD" "$OLD"; do
		$MQ dkim-record "$id"
	done
	$MQ dkim-record "$RSA" | sed 's/^rsa1\./bad1./'
	echo 'other IN TXT "v=spf1 -all"'
} >zone.txt
mkdir -p "$TMP/nsd" && cp zone.txt "$ZONE"
expect_eq "dkim-record rendered five TXT lines" 5 \
	"$(grep -c '_domainkey.example.test. IN TXT "v=DKIM1; k=' "$ZONE")"
expect_grep "the RSA record is split in 255-byte strings" \
	'^rsa1\._domainkey\.example\.test\. IN TXT "v=DKIM1; k=rsa; p=[^"]+" "' \
	"$ZONE"
expect_status "dkim-record of an unknown id exits 1" 1 $MQ dkim-record 99
expect_grep "and names the id" "dkim_keys id 99" "$TMP/last.out"

# Before any check, keys with verify are not used.
expect_eq "unchecked keys with verify are left out" "$PLAIN" \
	"$(used_ids alice@example.test)"

if ! nsd_start example.test; then
	fail "nsd starts on 127.0.0.1:$PORT" "$(tail -n 5 "$TMP/nsd/nsd.log")"
	finish
fi
ok "nsd starts on 127.0.0.1:$PORT"

expect_status "check with 1 thread: some keys left out, exit 1" 1 \
	$MQ dkim-record --check --threads 1
cp "$TMP/last.out" check1.out
$MQ dkim-record --status >"$TMP/status.out" 2>&1
expect_eq "RSA PKCS#8 key verified" verified "$(status_of "$RSA")"
expect_eq "Ed25519 key verified" verified "$(status_of "$ED")"
expect_eq "traditional RSA key verified" verified "$(status_of "$TRAD")"
expect_eq "key under another key's record: mismatch" mismatch \
	"$(status_of "$BAD")"
expect_eq "key without a record: no-record" no-record "$(status_of "$NOREC")"
expect_eq "expired key: expired" expired "$(status_of "$OLD")"
expect_eq "key without verify: not checked" not-verified \
	"$(status_of "$PLAIN")"
for id in "$BAD" "$NOREC" "$OLD"; do
	expect_grep "key $id is reported left out with its id" \
		"dkim_keys id $id \(.*\) left out" check1.out
done
expect_no_grep "no used key is reported" \
	"dkim_keys id ($RSA|$ED|$TRAD|$PLAIN) " check1.out
expect_no_grep "no private key in the report" "PRIVATE|MII" check1.out
expect_eq "dkim() gives the verified and unverified-by-choice keys by priority" \
	"$ED $TRAD $RSA $PLAIN" "$(used_ids alice@example.test)"
expect_eq "dkim() of another domain gives nothing" "" \
	"$(used_ids alice@example.org)"
check "mq verify accepts the stored statuses" $MQ verify
expect_eq "statuses are not change records: the sequence stays" \
	"$($MQ stat | grep -i sequence)" \
	"$($MQ dkim-record --check >/dev/null 2>&1; $MQ stat | grep -i sequence)"

# database-threads: 8, from the config file, with 24 more keys: every
# third one published.
cat >mq.conf <<EOF
store-path: $MQ_STORE_PATH
database-threads: 8
dns-servers: 127.0.0.1:$PORT
EOF
nsd_stop
for i in $(seq 1 24); do
	openssl genpkey -algorithm ed25519 -out "many$i.pem"
	id=$(add_key "many$i" "many$i.pem" 1 $((100 + i)) algorithm=ed25519-sha256)
	[ $((i % 3)) = 0 ] && $MQ dkim-record "$id" >>"$ZONE"
done
nsd_start example.test || fail "nsd restarts with 8 more records"
unset MQ_DNS_SERVERS
expect_status "check with database-threads: 8 exits 1" 1 \
	env -u MQ_STORE_PATH $MQ --config mq.conf dkim-record --check
cp "$TMP/last.out" check8.out
$MQ dkim-record --status >"$TMP/status.out" 2>&1
expect_eq "8 threads: the seven first keys judged as with 1 thread" \
	"verified verified verified mismatch no-record expired not-verified" \
	"$(for id in 1 2 3 4 5 6 7; do status_of $id; done | tr '\n' ' ' |
		sed 's/ $//')"
expect_eq "8 threads: 8 of the 24 new keys verified, 16 without record" \
	"8 16" "$(awk -F'\t' '$3 ~ /^many/ { n[$5]++ }
		END { print n["verified"] + 0, n["no-record"] + 0 }' \
		"$TMP/status.out")"
expect_eq "8 threads: 16 new keys reported left out" 16 \
	"$(grep -c 'dkim_keys id .*many.* left out: no-record' check8.out)"
expect_eq "8 threads: dkim() gives the verified keys by priority" \
	"$ED $TRAD $RSA $PLAIN 10 13 16 19 22 25 28 31" \
	"$(used_ids bob@example.test)"
export MQ_DNS_SERVERS=127.0.0.1:$PORT

# A server that never answers: the check waits for its timeout while
# lookups answer at once from the last statuses.
silent_start || fail "the silent DNS server starts"
start=$(date +%s%N)
MQ_DNS_SERVERS=127.0.0.1:$SILENT $MQ dkim-record --check >slow.out 2>&1 &
CHECK_PID=$!
sleep 1
t0=$(date +%s%N)
during=$(used_ids carol@example.test)
t1=$(date +%s%N)
expect_eq "while DNS is silent, dkim() answers from the last statuses" \
	"$ED $TRAD $RSA $PLAIN 10 13 16 19 22 25 28 31" "$during"
# Blocked on the check, it would end with it, 5 s or more later.
check "and answers in under 3 s ($(( (t1 - t0) / 1000000 )) ms)" \
	test $(( (t1 - t0) / 1000000 )) -lt 3000
check "the check was still waiting on DNS then" kill -0 "$CHECK_PID"
wait "$CHECK_PID"
status=$?
end=$(date +%s%N)
expect_eq "the check against a silent server exits 75" 75 "$status"
check "and gives up within 15 s ($(( (end - start) / 1000000 )) ms)" \
	test $(( (end - start) / 1000000 )) -lt 15000
expect_grep "verified keys are kept through the timeout" \
	"^$RSA	.*	kept	yes	.*verified .* UTC, kept: .*(imeout|contact)" \
	slow.out
kill "$SILENT_PID" 2>/dev/null

# nsd stopped: lookups still answer; verified keys are kept, and keys
# never verified stay out.
nsd_stop
MQ_DNS_SERVERS=127.0.0.1:$PORT $MQ dkim-record --check --threads 1 \
	>down.out 2>&1
expect_eq "check with nsd stopped exits 75" 75 "$?"
expect_grep "a verified key is kept, with its last-verified time" \
	"^$ED	.*	kept	yes	.*	verified [0-9-]+ [0-9:]+ UTC, kept: .*	[0-9-]+ [0-9:]+\$" \
	down.out
expect_grep "a key never verified is reported as dns-error with its id" \
	"dkim_keys id $NOREC .* left out: dns-error" down.out
expect_eq "with DNS down, dkim() still answers with the verified keys" \
	"$ED $TRAD $RSA $PLAIN 10 13 16 19 22 25 28 31" \
	"$(used_ids dave@example.test)"
expect_status "dkim() of an unmatched address still says not found" 1 \
	$MQ lookup dkim dave@example.org

# A lookup answer names keys by id and never shows a private key.
$MQ lookup dkim dave@example.test >answer.tsv 2>&1
$MQ lookup dkim dave@example.test --json >answer.json 2>&1
expect_grep "the TSV answer has the key's row" "^$PLAIN	" answer.tsv
expect_no_grep "the TSV answer holds no private key" "privatekey|PRIVATE|MII|MC4" answer.tsv
expect_no_grep "the JSON answer holds no private key" "privatekey|PRIVATE|MII|MC4" answer.json

# The static binary in an empty chroot asks nsd through c-ares; a key
# whose name is a CNAME to a published record is verified through it.
CNAME=$(add_key cname1 rsa.pem 1 60)
echo "cname1._domainkey IN CNAME rsa1._domainkey.example.test." >>"$ZONE"
XCNAME=$(add_key xcname1 rsa.pem 1 61)
echo "xcname1._domainkey IN CNAME rsa1._domainkey.elsewhere.test." >>"$ZONE"
if nsd_start example.test; then
	root=$TMP/root
	mkdir -p "$root/data"
	cp "$MQ_STATIC" "$root/mq"
	cp "$MQ_STORE_PATH" "$root/data/mq.mdb"
	env -i MQ_STORE_PATH=/data/mq.mdb MQ_DNS_SERVERS=127.0.0.1:$PORT \
		"$(command -v chroot)" "$root" /mq dkim-record --check \
		>chroot.out 2>&1
	expect_eq "static binary in an empty chroot: check exits 1" 1 "$?"
	expect_eq "static binary in an empty chroot: RSA key verified" \
		verified "$(awk -F'\t' -v id="$RSA" '$1 == id { print $5 }' \
		chroot.out)"
	expect_eq "a key published through a CNAME is verified" verified \
		"$(awk -F'\t' -v id="$CNAME" '$1 == id { print $5 }' chroot.out)"
	# nsd is authoritative only: it does not follow a CNAME out of
	# its zone, and the verdict says so.
	expect_grep "a CNAME to another server's zone: no-record, naming it" \
		"^$XCNAME	.*	no-record	no	.*a CNAME to rsa1\._domainkey\.elsewhere\.test, not followed by the DNS server" \
		chroot.out
else
	fail "nsd restarts for the chroot check"
fi

# An unreadable key (mq set refuses it: it comes from SQL): exit 65,
# the message names the id, never the key.
printf -- '-----BEGIN PRIVATE KEY-----\nc2VjcmV0Z2FyYmFnZQ==\n-----END PRIVATE KEY-----\n' \
	>garbage.pem
$MQ sync --to-sql --address "sqlite://$TMP/keys.db" >/dev/null 2>&1
sqlite3 "$TMP/keys.db" "INSERT INTO dkim_keys (domain, selector, privatekey,
	verify, priority) VALUES ('example.test', 'garbage1',
	CAST(readfile('garbage.pem') AS TEXT), 0, 50)"
$MQ sync --from-sql --address "sqlite://$TMP/keys.db" >/dev/null 2>&1
GARBAGE=$($MQ get dkim_keys selector=garbage1 | awk -F'\t' 'NR == 2 { print $1 }')
check "the unreadable key came in from SQL" test -n "$GARBAGE"
expect_status "dkim-record of an unreadable key exits 65" 65 \
	$MQ dkim-record "$GARBAGE"
expect_grep "the message names the id" "^mq: dkim_keys id $GARBAGE: " \
	"$TMP/last.out"
expect_no_grep "the message shows no key material" "c2VjcmV0|BEGIN" \
	"$TMP/last.out"
# Read from SQL, not refused at write time: the load itself marks it
# bad-key (no DNS needed), so dkim() leaves it out at once, although
# verify is off; the check reports it by id.
$MQ set dkim_patterns "dkim_key=$GARBAGE" type=exact sign=erin@example.test \
	>/dev/null
expect_no_grep "right after the load, dkim() does not return the bad key" \
	"^$GARBAGE	" "$($MQ lookup dkim erin@example.test >erin0.out 2>&1; echo erin0.out)"
check "the load gave it its status" \
	sh -c "$MQ dkim-record --status | grep -q '^$GARBAGE	.*bad-key'"
MQ_DNS_SERVERS=127.0.0.1:$PORT $MQ dkim-record --check >garbage.out 2>&1
expect_grep "the check reports the key from SQL by id as bad-key" \
	"dkim_keys id $GARBAGE \(garbage1\._domainkey\.example\.test\) left out: bad-key: not a PEM" \
	garbage.out
expect_no_grep "dkim() never returns a bad key, even without verify" \
	"^$GARBAGE	" "$($MQ lookup dkim erin@example.test >erin.out 2>&1; echo erin.out)"
check "dkim-record --help starts with usage: mq dkim-record" \
	sh -c "$MQ dkim-record --help | head -1 | grep -q '^usage: mq dkim-record'"

finish
