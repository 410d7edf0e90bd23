#!/usr/bin/env bash
# http_lookup - /v1/lookup/KIND over HTTP against a real mq serve: every
# kind answers the same JSON as 'mq lookup ... --json', a capacity lookup
# follows a POST to capacity (on every worker), missing, unknown and too
# long parameters are 400 naming them, an unknown kind is 404, a DKIM
# answer never holds the private key, and the lookups are counted.
. "$(dirname "$0")/../lib/harness.sh"
. "$REPO/tests/lib/serve.sh"

TOKEN=h7a-lookup-$$
AUTH="Authorization: Bearer $TOKEN"
export MQ_STORE_PATH="$TMP/mq.mdb"


# post TABLE JSON - rows written through the API
post() {
	req "POST $1" POST "/v1/tables/$1" 201 -H "$AUTH" -d "$2"
}

# same_as_cli NAME KIND 'QUERY' CLI-ARGS... - HTTP and mq lookup --json agree
same_as_cli() {
	local name=$1 kind=$2 query=$3
	shift 3
	req "$name: 200" GET "/v1/lookup/$kind?$query" 200
	tr -d '\n' < "$TMP/body" > "$TMP/http.json"
	"$MQ" lookup "$kind" "$@" --json 2> /dev/null | tr -d '\n' > "$TMP/cli.json"
	expect_eq "$name: the JSON of mq lookup $kind --json" \
		"$(cat "$TMP/cli.json")" "$(cat "$TMP/http.json")"
}

serve_start "$TMP/serve.log" MQ_WWW_TOKEN="$TOKEN" ||
	{ fail "mq serve starts"; finish; }

req "capacity on an empty store" GET "/v1/lookup/capacity?localip=192.0.2.1&domain=example.com" 200
expect_grep "gives the built-in defaults" '^\{"domain_maxmessages":0,.*"levels":\{"domain_maxmessages":\{"level":"default","id":0\}' "$TMP/body"

post capacity '[
 {"id":1,"localip":"192.0.2.1","domain":"example.com","domain_maxmessages":10,"domain_maxconnects":-1},
 {"id":2,"localip":"","domain":"example.com","domain_maxconnects":20,"ip_maxmessages":-1},
 {"id":3,"localip":"192.0.2.1","domain":"","ip_maxmessages":30},
 {"id":4,"localip":"","domain":"","connection_maxidletime":40},
 {"id":5,"localip":"","domain":"rule.invalid","domain_maxconnections":50}]'
post capacity_rules '{"id":10,"capacity":5,"domain":"*.example.com","type":"fnmatch"}'
post flood_responses '{"id":1,"pattern":"too many connections","type":"substr","pause":60}'
post locals '{"id":1,"type":"fnmatch","address":"*@local.example"}'
post delegates '{"id":1,"localip":"","domain":"example.com","delegate":"relay.example.net"}'
post paused '{"id":1,"localip":"192.0.2.1","target":"example.com","tag":""}'
post errors '{"id":1,"localip":"","domain":"bad.example","tag":"","code":550,"description":"no \"such\" user"}'
post mtanames '{"localip":"192.0.2.1","hostname":"mta1.example.net"}'
post dns '[{"id":1,"domain":"example.com","ip":"192.0.2.10","priority":10},
 {"id":2,"domain":"example.com","ip":"192.0.2.11","priority":5}]'
post response_patterns '{"id":1,"pattern":"mailbox full","type":"substr","final":1}'
post response_actions '{"id":1,"action":"bounce"}'
post response_patterns_actions '{"pattern":1,"action":1}'
post rewrite_triggers '{"id":1,"property":"domain","type":"exact","pattern":"example.com"}'
post rewrite_actions '{"id":1,"rewrite_trigger":1,"action":"set","property":"x","value":"y","position":1}'
post dkim_keys '{"id":1,"domain":"example.com","selector":"s1","algorithm":"ed25519-sha256","privatekey":"-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g\n-----END PRIVATE KEY-----\n"}'
post dkim_patterns '{"id":1,"dkim_key":1,"type":"substr","sign":"example.com"}'

# Every kind, against the CLI on the same store.
same_as_cli "capacity" capacity "localip=192.0.2.1&domain=example.com" 192.0.2.1 example.com
expect_grep "the pair row gives domain_maxmessages" '"domain_maxmessages":\{"level":"localip\+domain","id":1\}' "$TMP/body"
same_as_cli "capacity through a rule" capacity "localip=192.0.2.7&domain=mx.example.com" 192.0.2.7 mx.example.com
expect_grep "the fnmatch rule applies" '"domain_maxconnections":\{"level":"rule","id":10\}' "$TMP/body"
same_as_cli "capacity with an empty localip" capacity "localip=&domain=EXAMPLE.COM" "" EXAMPLE.COM
same_as_cli "flood" flood "text=452+too+many+connections" "452 too many connections"
expect_grep "finds the flood row" '"pattern":"too many connections"' "$TMP/body"
same_as_cli "local" local "rcpt=alice%40local.example" alice@local.example
expect_grep "finds the locals row" '"address":"\*@local.example"' "$TMP/body"
same_as_cli "local, nothing applies" local "rcpt=alice%40elsewhere.example" alice@elsewhere.example
expect_eq "nothing applies: []" "[]" "$(cat "$TMP/body")"
same_as_cli "delegate" delegate "localip=192.0.2.1&domain=example.com" 192.0.2.1 example.com
expect_grep "finds the delegate" '"delegate":"relay.example.net"' "$TMP/body"
same_as_cli "paused" paused "localip=192.0.2.1&domain=example.com&ip=&tag=t" 192.0.2.1 example.com "" t
expect_grep "finds the paused row" '^\[\{"id":1,"localip":"192.0.2.1"' "$TMP/body"
same_as_cli "paused for the remote IP" paused "localip=192.0.2.1&domain=other.example&ip=example.com&tag=t" 192.0.2.1 other.example example.com t
expect_grep "finds the same row through ip" '^\[\{"id":1,"localip":"192.0.2.1"' "$TMP/body"
same_as_cli "error" error "localip=192.0.2.1&domain=bad.example&ip=&tag=" 192.0.2.1 bad.example "" ""
expect_grep "finds the error, escaping its quotes" '"description":"no \\"such\\" user"' "$TMP/body"
same_as_cli "mtaname" mtaname "localip=192.0.2.1" 192.0.2.1
expect_grep "finds the name" '"hostname":"mta1.example.net"' "$TMP/body"
same_as_cli "dns" dns "domain=example.com" example.com
expect_grep "by priority" '^\[\{"id":2,.*\},\{"id":1,' "$TMP/body"
same_as_cli "response" response "text=552+mailbox+full&localip=192.0.2.1&domain=example.com" \
	"552 mailbox full" 192.0.2.1 example.com
expect_grep "finds the action" '"action":"bounce"' "$TMP/body"
same_as_cli "rewrite" rewrite "domain=example.com&localip=192.0.2.1" domain=example.com localip=192.0.2.1
expect_grep "finds the rewrite action" '"value":"y"' "$TMP/body"
same_as_cli "dkim" dkim "from=alice%40example.com" alice@example.com
expect_grep "finds the key" '"selector":"s1"' "$TMP/body"
expect_no_grep "never with the private key" "privatekey|PRIVATE KEY|MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v" "$TMP/body"
req "not even with the token" GET "/v1/lookup/dkim?from=alice%40example.com" 200 -H "$AUTH"
expect_no_grep "(no private key)" "privatekey|PRIVATE KEY|MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v" "$TMP/body"

# A write moves the answer, on every worker (each keeps its own set).
req "POST an update to capacity" POST /v1/tables/capacity 200 -H "$AUTH" \
	-d '{"id":1,"domain_maxmessages":11}'
moved=0
for i in $(seq 1 8); do
	curl -s "$URL/v1/lookup/capacity?localip=192.0.2.1&domain=example.com" |
		grep -q '^{"domain_maxmessages":11,' && moved=$((moved + 1))
done
expect_eq "8 lookups on new connections all see the new limit" 8 "$moved"
req "DELETE the pair row" DELETE "/v1/tables/capacity?id=1" 200 -H "$AUTH"
same_as_cli "capacity after the DELETE" capacity "localip=192.0.2.1&domain=example.com" 192.0.2.1 example.com
expect_grep "falls through to the built-in default" '^\{"domain_maxmessages":0,.*"domain_maxmessages":\{"level":"default","id":0\}' "$TMP/body"

# Bad requests.
req "a missing parameter is 400" GET "/v1/lookup/capacity?localip=192.0.2.1" 400
expect_eq "naming it" '{"error":"lookup capacity: missing parameter domain (it may be empty: domain=)"}' "$(cat "$TMP/body")"
req "an unknown parameter is 400" GET "/v1/lookup/dns?domain=a&domian=b" 400
expect_grep "naming it" "lookup dns: no parameter 'domian'" "$TMP/body"
long=$(printf 'x%.0s' $(seq 1 300))
req "a domain over 255 bytes is 400" GET "/v1/lookup/capacity?localip=&domain=$long" 400
expect_grep "naming it" "lookup capacity: parameter domain is longer than 255 bytes" "$TMP/body"
req "rewrite without properties is 400" GET "/v1/lookup/rewrite" 400
req "an unknown kind is 404" GET "/v1/lookup/nosuch?x=1" 404
expect_grep "naming it" "no lookup 'nosuch'" "$TMP/body"
req "/v1/lookup alone is 404" GET "/v1/lookup" 404
req "POST to a lookup is 405" POST "/v1/lookup/capacity?localip=&domain=" 405 -H "$AUTH" -d x

# Metrics count the lookups by kind.
req "/metrics" GET /metrics 200
expect_grep "capacity lookups counted" '^mq_lookups_total\{kind="capacity"\} ([5-9]|[1-9][0-9]+)$' "$TMP/body"
expect_grep "dns lookups counted" '^mq_lookups_total\{kind="dns"\} [1-9]' "$TMP/body"
expect_grep "dkim lookups counted" '^mq_lookups_total\{kind="dkim"\} [1-9]' "$TMP/body"

serve_stop
expect_eq "SIGTERM stops serve with 0" 0 "$?"
expect_no_grep "no sanitizer report (the workers' sets are freed)" "Sanitizer|runtime error|leak" "$TMP/serve.log"
expect_no_grep "the log never holds the key" "PRIVATE-KEY" "$TMP/serve.log"
finish
