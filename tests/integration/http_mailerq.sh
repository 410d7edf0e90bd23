#!/usr/bin/env bash
# http_mailerq - MailerQ 5's REST resources against a real mq serve:
# /v1/pauses, /v1/errors, /v1/suppressions, /v1/pools and /v1/poolips
# create, list and delete with JSON and with form-urlencoded bodies
# (DELETE with a body), the exclusive pairs are 400 naming both fields,
# writes without the token are 401; a pause made here is what mq lookup
# paused, mq get paused and GET /v1/lookup/paused see, and with a
# database-address (SQLite and PostgreSQL) it is in SQL.
. "$(dirname "$0")/../lib/harness.sh"
. "$REPO/tests/lib/serve.sh"

TOKEN=mqrest-$$
AUTH="Authorization: Bearer $TOKEN"
FORM="Content-Type: application/x-www-form-urlencoded"
JSON="Content-Type: application/json"
export MQ_STORE_PATH="$TMP/mq.mdb"

serve_start "$TMP/serve.log" MQ_WWW_TOKEN="$TOKEN" ||
	{ fail "mq serve starts"; finish; }

# pauses: JSON and form bodies, GET, the lookups, DELETE with a body.
req "pauses: POST JSON is 201" POST /v1/pauses 201 -H "$AUTH" -H "$JSON" \
	-d '{"domain":"hotmail.com","tag":"Campaign1"}'
expect_grep "answers the pause with its fields" '"domain":"hotmail.com"' "$TMP/body"
req "pauses: POST form is 201" POST /v1/pauses 201 -H "$AUTH" -H "$FORM" \
	-d 'mta=192.0.2.1&ip=198.51.100.7'
req "pauses: the same pause again updates it: 200" POST /v1/pauses 200 -H "$AUTH" \
	-H "$FORM" -d 'mta=192.0.2.1&ip=198.51.100.7&expire=2099-01-01+00:00:00'
req "pauses: GET lists them" GET /v1/pauses 200 -H "$AUTH"
expect_eq "two pauses" 2 "$(grep -o '"cluster":true' "$TMP/body" | wc -l)"
expect_grep "the IP pause shows mta and ip" '"mta":"192.0.2.1","ip":"198.51.100.7","expire":"2099-01-01 00:00:00"' "$TMP/body"
expect_grep "the domain pause shows domain and tag" '"domain":"hotmail.com","tag":"Campaign1"' "$TMP/body"
req "pauses: GET filters by field" GET "/v1/pauses?domain=hotmail.com" 200
expect_no_grep "only the hotmail.com pause" '198.51.100.7' "$TMP/body"

check "mq lookup paused sees the domain pause" "$MQ" lookup paused 203.0.113.5 hotmail.com '' Campaign1
check "mq lookup paused sees the IP pause for that mta" "$MQ" lookup paused 192.0.2.1 other.example 198.51.100.7 ''
expect_status "and not for another mta" 1 "$MQ" lookup paused 192.0.2.2 other.example 198.51.100.7 ''
"$MQ" get paused target=hotmail.com > "$TMP/get.out" 2>&1
expect_grep "mq get paused has the row" $'\thotmail.com\tCampaign1\t' "$TMP/get.out"
req "GET /v1/lookup/paused sees it too" GET "/v1/lookup/paused?localip=203.0.113.5&domain=hotmail.com&ip=&tag=Campaign1" 200
expect_grep "with the pause's target" '"target":"hotmail.com"' "$TMP/body"

req "pauses: mta and pool is 400" POST /v1/pauses 400 -H "$AUTH" -d '{"mta":"192.0.2.1","pool":"p"}'
expect_grep "naming both fields" 'fields mta and pool exclude each other' "$TMP/body"
req "pauses: domain and ip is 400" POST /v1/pauses 400 -H "$AUTH" -H "$FORM" -d 'domain=a.example&ip=192.0.2.9'
expect_grep "naming both fields" 'fields domain and ip exclude each other' "$TMP/body"
req "pauses: an unknown field is 400" POST /v1/pauses 400 -H "$AUTH" -d '{"domian":"x"}'
expect_grep "naming it" "no field 'domian'" "$TMP/body"
req "pauses: a bad expire is 400" POST /v1/pauses 400 -H "$AUTH" -d '{"domain":"x","expire":"soon"}'
expect_grep "naming the field" 'field expire' "$TMP/body"
req "pauses: POST without the token is 401" POST /v1/pauses 401 -d '{"domain":"x.example"}'
req "pauses: DELETE without the token is 401" DELETE /v1/pauses 401 -H "$FORM" -d 'domain=hotmail.com&tag=Campaign1'
req "pauses: DELETE with a form body" DELETE /v1/pauses 200 -H "$AUTH" -H "$FORM" -d 'domain=hotmail.com&tag=Campaign1'
expect_grep "deletes one" '"deleted":1' "$TMP/body"
expect_status "the lookup no longer sees it" 1 "$MQ" lookup paused 203.0.113.5 hotmail.com '' Campaign1
req "pauses: DELETE with a JSON body" DELETE /v1/pauses 200 -H "$AUTH" -d '{"mta":"192.0.2.1","ip":"198.51.100.7","cluster":true}'
req "pauses: DELETE of nothing is 404" DELETE /v1/pauses 404 -H "$AUTH" -d '{"domain":"none.example"}'

# pools and poolips; a pause for a pool applies to its IPs.
req "pools: POST JSON" POST /v1/pools 201 -H "$AUTH" -d '{"name":"dedicated","description":"Dedicated Addresses"}'
req "pools: POST form" POST /v1/pools 201 -H "$AUTH" -H "$FORM" -d 'name=sharedpool1'
req "pools: a pool needs a name" POST /v1/pools 400 -H "$AUTH" -d '{"description":"x"}'
expect_grep "naming it" 'field name is required' "$TMP/body"
req "poolips: POST JSON with localip" POST /v1/poolips 201 -H "$AUTH" -d '{"localip":"127.0.0.1","name":"sharedpool1"}'
req "poolips: POST form with ip" POST /v1/poolips 201 -H "$AUTH" -H "$FORM" -d 'name=sharedpool1&ip=192.168.1.1'
req "poolips: localip and ip is 400" POST /v1/poolips 400 -H "$AUTH" -d '{"localip":"1.2.3.4","ip":"1.2.3.5","name":"sharedpool1"}'
expect_grep "naming both fields" 'fields localip and ip exclude each other' "$TMP/body"
req "poolips: a pool that does not exist is 404" POST /v1/poolips 404 -H "$AUTH" -d '{"localip":"1.2.3.4","name":"nopool"}'
req "pools: GET" GET /v1/pools 200
expect_grep "lists both pools" '"name":"dedicated","description":"Dedicated Addresses"' "$TMP/body"
req "poolips: GET ?name=" GET "/v1/poolips?name=sharedpool1" 200
expect_eq "the pool's IPs" '[{"name":"sharedpool1","localip":"127.0.0.1"},{"name":"sharedpool1","localip":"192.168.1.1"}]' "$(cat "$TMP/body")"
"$MQ" lookup pool sharedpool1 > "$TMP/pool.out" 2>&1
expect_eq "mq lookup pool lists them" 2 "$(grep -c '^sharedpool1' "$TMP/pool.out")"
req "pauses: a pause for a pool" POST /v1/pauses 201 -H "$AUTH" -d '{"pool":"sharedpool1","domain":"yahoo.com"}'
check "applies to an IP of the pool" "$MQ" lookup paused 192.168.1.1 yahoo.com '' ''
expect_status "and not to another" 1 "$MQ" lookup paused 192.168.1.2 yahoo.com '' ''
req "pauses: GET shows the pool" GET "/v1/pauses?pool=sharedpool1" 200
expect_grep "as pool, not mta" '"pool":"sharedpool1","domain":"yahoo.com"' "$TMP/body"
req "poolips: DELETE with a form body" DELETE /v1/poolips 200 -H "$AUTH" -H "$FORM" -d 'name=sharedpool1&ip=127.0.0.1'
req "pools: DELETE removes the pool and its IPs" DELETE /v1/pools 200 -H "$AUTH" -H "$FORM" -d 'name=sharedpool1'
req "poolips: none left" GET "/v1/poolips?name=sharedpool1" 200
expect_eq "an empty list" "[]" "$(cat "$TMP/body")"

# errors and suppressions.
req "errors: POST JSON" POST /v1/errors 201 -H "$AUTH" -d '{"domain":"bad.example","code":550,"extended":"5.7.1","description":"refused"}'
req "errors: POST form for an IP" POST /v1/errors 201 -H "$AUTH" -H "$FORM" -d 'ip=198.51.100.9&code=421&description=later'
req "errors: domain and ip is 400" POST /v1/errors 400 -H "$AUTH" -d '{"domain":"a","ip":"192.0.2.1","code":421}'
expect_grep "naming both fields" 'fields domain and ip exclude each other' "$TMP/body"
req "errors: GET" GET /v1/errors 200
expect_grep "the domain error" '"domain":"bad.example","code":550,"extended":"5.7.1","description":"refused"' "$TMP/body"
expect_grep "the IP error" '"ip":"198.51.100.9","code":421' "$TMP/body"
"$MQ" lookup error 192.0.2.1 other.example 198.51.100.9 '' --json > "$TMP/err.json" 2>&1
expect_grep "mq lookup error answers for the remote IP" '"code":421' "$TMP/err.json"
req "errors: DELETE JSON" DELETE /v1/errors 200 -H "$AUTH" -d '{"domain":"bad.example"}'

req "suppressions: POST JSON" POST /v1/suppressions 201 -H "$AUTH" -d '{"address":"bob@example.com","description":"complained"}'
req "suppressions: POST form" POST /v1/suppressions 201 -H "$AUTH" -H "$FORM" -d 'domain=blocked.example&code=550'
req "suppressions: address and domain is 400" POST /v1/suppressions 400 -H "$AUTH" -d '{"address":"a@b","domain":"b"}'
expect_grep "naming both fields" 'fields address and domain exclude each other' "$TMP/body"
req "suppressions: neither is 400" POST /v1/suppressions 400 -H "$AUTH" -d '{"code":550}'
expect_grep "naming both" 'give field address or domain' "$TMP/body"
check "mq lookup suppressed: the address" "$MQ" lookup suppressed bob@example.com
check "mq lookup suppressed: the domain" "$MQ" lookup suppressed anyone@blocked.example
expect_status "mq lookup suppressed: another address" 1 "$MQ" lookup suppressed alice@example.com
req "suppressions: GET" GET /v1/suppressions 200
expect_grep "both" '"address":"bob@example.com".*"domain":"blocked.example"' "$TMP/body"
req "suppressions: DELETE form" DELETE /v1/suppressions 200 -H "$AUTH" -H "$FORM" -d 'address=bob@example.com'
expect_status "the address is no longer suppressed" 1 "$MQ" lookup suppressed bob@example.com
serve_stop

# With a database-address the resources write SQL first.
. "$REPO/tests/lib/engines.sh"
sql_pause() { # ENGINE
	local store=$TMP/$1.mdb
	export MQ_DATABASE_ADDRESS=$URL
	check "$1: the schema is created" env MQ_STORE_PATH="$store" "$MQ" repair-database
	serve_start "$TMP/serve-$1.log" MQ_STORE_PATH="$store" MQ_WWW_TOKEN="$TOKEN" ||
		{ fail "$1: mq serve starts"; return; }
	req "$1: a pause through /v1/pauses" POST /v1/pauses 201 -H "$AUTH" -H "$FORM" -d 'domain=gmail.com&tag=t1'
	expect_eq "$1: the pause is in SQL" "|gmail.com|t1" \
		"$(q "SELECT localip, target, tag FROM paused" | tr '\t' '|')"
	req "$1: a pool through /v1/pools" POST /v1/pools 201 -H "$AUTH" -d '{"name":"p1"}'
	req "$1: a suppression" POST /v1/suppressions 201 -H "$AUTH" -d '{"domain":"s.example"}'
	expect_eq "$1: pools and suppressions are in SQL" "p1 s.example" \
		"$(q "SELECT name FROM pools") $(q "SELECT domain FROM suppressions")"
	expect_status "$1: mq lookup paused sees it" 0 env MQ_STORE_PATH="$store" "$MQ" lookup paused 192.0.2.1 gmail.com '' t1
	req "$1: DELETE" DELETE /v1/pauses 200 -H "$AUTH" -d '{"domain":"gmail.com","tag":"t1"}'
	expect_eq "$1: gone from SQL" 0 "$(q "SELECT count(*) FROM paused")"
	serve_stop
	unset MQ_DATABASE_ADDRESS
}
for engine in sqlite pgsql; do
	DBNAME=mqrest_$$_$engine
	if [ "$engine" = pgsql ] && [ -z "${MQ_TEST_PG_URL:-}" ]; then
		skip "pgsql" "MQ_TEST_PG_URL not set"
		continue
	fi
	engine_setup "$engine" || { fail "$engine: a database"; continue; }
	sql_pause "$engine"
done
finish
