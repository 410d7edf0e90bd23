#!/usr/bin/env bash
# NAME
#	console_tasks.sh - the console's task views in a real headless Chromium
# DESCRIPTION
#	Sets up a store to look at (capacity rows and a rule for the
#	cascade, a flood pattern, two DKIM keys published by a real nsd on
#	loopback, one the key's own record and one another key's, a split
#	list with a gap, and rows holding markup), starts mq serve against
#	that nsd, and runs tests/console/tasks.test.js: each view opens,
#	the cascade explorer names the right row or rule per limit, the
#	DKIM view shows the verified and the mismatching key with their
#	records, a pause added and resumed in the page is seen by mq lookup
#	paused, the markup renders as text.  Screenshots of each view land
#	in build/test-logs/console/VIEW.png.  GET /v1/dkim is checked with
#	curl too: never the private key.
. "$(dirname "$0")/../lib/harness.sh"
. "$REPO/tests/lib/nsd.sh"
. "$REPO/tests/lib/serve.sh"

CONSOLE=$REPO/tests/console
SHOTS=$REPO/build/test-logs/console
TOKEN=console-token-$$-$RANDOM

check "chromium is installed (build.sh deps)" test -x /usr/bin/chromium
check "node is installed (build.sh deps)" command -v node
check "nsd is installed (build.sh deps)" test -x "$NSD"
if [ ! -d "$CONSOLE/node_modules/playwright-core" ]; then
	check "npm ci installs playwright-core" \
		sh -c "cd '$CONSOLE' && npm ci --no-audit --no-fund"
fi

export MQ_STORE_PATH=$TMP/mq.mdb
# id - the id an mq set printed
id() { sed -n 's/.*id=\([0-9]*\).*/\1/p'; }

# The cascade: 192.0.2.1 + a.example.com takes domain_maxmessages from
# its pair row, domain_maxconnects from the rule's row, ip_maxmessages
# from the configured default, the rest from the built-in default.
PAIR=$($MQ set capacity localip=192.0.2.1 domain=a.example.com domain_maxmessages=10 | id)
ANY=$($MQ set capacity localip= domain= ip_maxmessages=99 | id)
RULECAP=$($MQ set capacity name=for-rule domain_maxconnects=7 | id)
RULE=$($MQ set capacity_rules "capacity=$RULECAP" 'domain=*.example.com' type=fnmatch | id)
check "a flood pattern" $MQ set flood_responses name=slow 'pattern=Try again later' \
	domain_maxmessages=5
check "a response pattern that matches" $MQ set response_patterns id=7 name=later \
	'pattern=again later' type=substr priority=1
check "a response pattern that does not" $MQ set response_patterns id=8 name=full \
	'pattern=mailbox full' type=substr priority=0
XSS_SCRIPT='<script>window.__xss=1</script>'
XSS_IMG='"><img src=x onerror="window.__xss=2">'
check "a capacity row holding markup" $MQ set capacity "name=$XSS_SCRIPT" \
	"domain=$XSS_IMG" domain_maxmessages=3
check "a flood pattern holding markup" $MQ set flood_responses "name=$XSS_IMG" \
	"pattern=$XSS_SCRIPT"

# DKIM: good is published as mq prints it, bad's name holds another key.
openssl genpkey -algorithm ed25519 -out "$TMP/good.pem" 2>/dev/null
openssl genpkey -algorithm ed25519 -out "$TMP/bad.pem" 2>/dev/null
openssl genpkey -algorithm ed25519 -out "$TMP/other.pem" 2>/dev/null
GOOD=$($MQ set dkim_keys domain=example.test selector=good algorithm=ed25519-sha256 \
	"privatekey=$(cat "$TMP/good.pem")" verify=1 | id)
BAD=$($MQ set dkim_keys domain=example.test selector=bad algorithm=ed25519-sha256 \
	"privatekey=$(cat "$TMP/bad.pem")" verify=1 | id)
OTHER=$($MQ set dkim_keys domain=example.test selector=bad algorithm=ed25519-sha256 \
	"privatekey=$(cat "$TMP/other.pem")" | id)
OTHER_LINE=$($MQ dkim-record "$OTHER")
check "the other key is only for its record" $MQ del dkim_keys "id=$OTHER"
NSPORT=$(free_port) || fail "a free port for nsd"
mkdir -p "$TMP/nsd"
printf '%s\n' "\$ORIGIN example.test." "\$TTL 60" \
	"@ IN SOA ns.example.test. admin.example.test. 1 3600 600 86400 60" \
	"@ IN NS ns.example.test." "ns IN A 127.0.0.1" >"$TMP/nsd/example.test.zone"
{ $MQ dkim-record "$GOOD"; echo "$OTHER_LINE"; } >>"$TMP/nsd/example.test.zone"
PORT=$NSPORT nsd_start example.test ||
	{ fail "nsd starts" "$(tail -n 5 "$TMP/nsd/nsd.log")"; finish; }

# A list split by domain with a gap: .org hashes 0-20 and 30-52.
check "a list" $MQ list-create news
check "with a subscriber" $MQ sub news ann@example.org
check "a split entry" $MQ split add news s1 --domain org --hash-lo 0 --hash-hi 20
check "another, leaving a gap" $MQ split add news s2 --domain org --hash-lo 30 --hash-hi 52

serve_start "$TMP/serve.log" MQ_WWW_TOKEN="$TOKEN" MQ_DNS_SERVERS="127.0.0.1:$NSPORT" \
	MQ_DKIM_VERIFY_INTERVAL=0 || { fail "mq serve starts"; finish; }
for _ in $(seq 300); do
	curl -s "$URL/v1/dkim" | grep -q '"status":"mismatch"' && break
	sleep 0.1
done
curl -s "$URL/v1/dkim" >"$TMP/dkim.json"
expect_grep "GET /v1/dkim: the published key is verified" \
	"\"id\":$GOOD,[^}]*\"status\":\"verified\"" "$TMP/dkim.json"
expect_grep "the other is a mismatch" "\"id\":$BAD,[^}]*\"status\":\"mismatch\"" "$TMP/dkim.json"
expect_grep "with the record to publish" "\"record\":\"v=DKIM1; k=ed25519; p=" "$TMP/dkim.json"
expect_no_grep "and never the private key" "PRIVATE" "$TMP/dkim.json"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST --max-time 5 "$URL/v1/dkim")
expect_eq "POST /v1/dkim is refused" 405 "$code"

rm -rf "$SHOTS"
mkdir -p "$SHOTS"
MQ_URL=$URL MQ_TOKEN=$TOKEN MQ_SHOTS=$SHOTS MQ_BIN=$MQ MQ_STORE=$MQ_STORE_PATH \
	MQ_IDS="pair=$PAIR any=$ANY rule=$RULE good=$GOOD bad=$BAD" \
	MQ_XSS_SCRIPT=$XSS_SCRIPT MQ_XSS_IMG=$XSS_IMG \
	timeout 240 node "$CONSOLE/tasks.test.js" >"$TMP/node.out" 2>&1
status=$?
sed 's/^/#   /' "$TMP/node.out"
expect_eq "the Chromium test passes (tests/console/tasks.test.js)" 0 "$status"
for v in dashboard throttles dkim pauses errors patterns lists tables; do
	magic=$(head -c 8 "$SHOTS/$v.png" 2>/dev/null | od -An -tx1 | tr -d ' \n')
	expect_eq "the screenshot of $v is a PNG" 89504e470d0a1a0a "$magic"
done
serve_stop
expect_eq "mq serve stops cleanly after the session" 0 "$?"
expect_no_grep "and logged no token" "$TOKEN" "$TMP/serve.log"
finish
