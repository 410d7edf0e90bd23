#!/usr/bin/env bash
# http_tables - /v1/tables over HTTP against a real mq serve: listing,
# GET with filters, POST (insert, update, arrays all or nothing), DELETE,
# the token, secret columns, errors naming the field, and the SQL
# write-through into a real SQLite file (503 and no change when locked)
# and into the PostgreSQL and MariaDB servers tests/run.sh starts.
. "$(dirname "$0")/../lib/harness.sh"
. "$REPO/tests/lib/serve.sh"

TOKEN=h7a-token-$$
AUTH="Authorization: Bearer $TOKEN"


# body_is NAME EXPECTED - the last body, exactly
body_is() {
	expect_eq "$1" "$2" "$(cat "$TMP/body")"
}

CAP_TAIL='"domain_maxconnects":-1,"domain_maxconnections":-1,"ip_maxmessages":-1,"ip_maxconnects":-1,"ip_maxconnections":-1,"connection_maxmessages":-1,"connection_maxidletime":-1'

serve_start "$TMP/serve.log" MQ_WWW_TOKEN="$TOKEN" ||
	{ fail "mq serve starts"; finish; }

# The tables.
req "GET /v1/tables answers" GET /v1/tables 200
expect_grep "listing capacity with its family" '"name":"capacity","family":"mailerq"' "$TMP/body"
expect_grep "its auto-increment key" '\{"name":"id","type":"int","key":true,"auto":true,"notnull":true,"secret":false,"default":null\}' "$TMP/body"
expect_grep "and the secret column flagged" '"name":"privatekey","type":"text","key":false,"auto":false,"notnull":false,"secret":true' "$TMP/body"
req "POST /v1/tables is 405" POST /v1/tables 405 -H "$AUTH" -d '{}'
req "an unknown table is 404" GET /v1/tables/nosuch 404
body_is "naming it" '{"error":"no table '"'"'nosuch'"'"' (GET /v1/tables lists them)"}'
req "a path below a table is 404" GET /v1/tables/capacity/1 404
req "PUT is 405" PUT /v1/tables/capacity 405 -H "$AUTH" -d '{}'
req "an empty table is []" GET /v1/tables/capacity 200
body_is "as an empty array" "[]"

# The token.
ROW='{"localip":"192.0.2.1","domain":"example.com","domain_maxmessages":5}'
req "POST without a token is 401" POST /v1/tables/capacity 401 -d "$ROW"
expect_grep "saying how to send it" "Authorization: Bearer" "$TMP/body"
req "POST with a wrong token is 401" POST /v1/tables/capacity 401 \
	-H "Authorization: Bearer wrong" -d "$ROW"
req "DELETE without a token is 401" DELETE "/v1/tables/capacity?all=1" 401
req "nothing was written" GET /v1/tables/capacity 200
body_is "the table is still empty" "[]"

# Bad bodies name what is wrong.
req "malformed JSON is 400" POST /v1/tables/capacity 400 -H "$AUTH" -d '{"domain":'
expect_grep "with jansson's position" '"error":"body: line 1 column [0-9]+: ' "$TMP/body"
req "an unknown column is 400" POST /v1/tables/capacity 400 -H "$AUTH" -d '{"domain":"a.org","nosuch":1}'
body_is "naming table and column" '{"error":"capacity: no column '"'"'nosuch'"'"'"}'
req "a non-integer in an integer column is 400" POST /v1/tables/capacity 400 \
	-H "$AUTH" -d '{"domain":"a.org","domain_maxmessages":"lots"}'
body_is "naming table, column and value" \
	'{"error":"capacity.domain_maxmessages: not an integer: '"'"'lots'"'"'"}'
req "a fraction is 400" POST /v1/tables/capacity 400 -H "$AUTH" -d '{"secure":1.5}'
expect_grep "naming the column" 'capacity.secure: expected a string, an integer or null' "$TMP/body"
req "an empty object is 400" POST /v1/tables/capacity 400 -H "$AUTH" -d '{}'
req "a text over its maximum is 400" POST /v1/tables/capacity 400 -H "$AUTH" \
	-d "{\"domain\":\"$(printf 'x%.0s' $(seq 1 300))\"}"
expect_grep "naming the column" 'capacity.domain' "$TMP/body"

# POST inserts, then updates; GET filters.
req "POST a new row is 201" POST /v1/tables/capacity 201 -H "$AUTH" -d "$ROW"
body_is "answering the stored row with its new id" \
	'{"id":1,"name":null,"localip":"192.0.2.1","domain":"example.com","domain_maxmessages":5,'"$CAP_TAIL"',"secure":-1}'
req "GET by domain" GET "/v1/tables/capacity?domain=example.com" 200
expect_grep "shows the row" '^\[\{"id":1,.*"domain_maxmessages":5,' "$TMP/body"
req "POST with the whole key updates: 200" POST /v1/tables/capacity 200 -H "$AUTH" \
	-d '{"id":1,"domain_maxmessages":7,"name":42}'
body_is "only the columns given changed (an integer into a text column as text)" \
	'{"id":1,"name":"42","localip":"192.0.2.1","domain":"example.com","domain_maxmessages":7,'"$CAP_TAIL"',"secure":-1}'
req "POST null sets NULL" POST /v1/tables/capacity 200 -H "$AUTH" -d '{"id":1,"name":null}'
expect_grep "the name is null again" '"name":null' "$TMP/body"
req "GET with name=\\N matches NULL" GET '/v1/tables/capacity?name=%5CN' 200
expect_grep "finding the row" '"id":1,' "$TMP/body"
req "GET with an empty value matches ''" GET '/v1/tables/capacity?localip=' 200
body_is "no row has an empty localip" "[]"
req "GET ?domian= is 400" GET '/v1/tables/capacity?domian=x' 400
expect_grep "naming the parameter" "capacity: no column 'domian'" "$TMP/body"
req "GET ?domain_maxmessages=abc is 400" GET '/v1/tables/capacity?domain_maxmessages=abc' 400
expect_grep "naming the column and value" "domain_maxmessages.*'abc'" "$TMP/body"
req "GET ?all=1 is a DELETE parameter: 400" GET '/v1/tables/capacity?all=1' 400

# Arrays: all or nothing.
req "an array with one bad row is 400" POST /v1/tables/capacity 400 -H "$AUTH" \
	-d '[{"domain":"x.org"},{"domain":"y.org","secure":"on"}]'
expect_grep "naming the row" '"error":"row 2: capacity.secure: not an integer' "$TMP/body"
req "nothing of it was written" GET "/v1/tables/capacity?domain=x.org" 200
body_is "x.org is absent" "[]"
req "an array of good rows is 201" POST /v1/tables/capacity 201 -H "$AUTH" \
	-d '[{"domain":"x.org"},{"domain":"y.org","secure":1}]'
expect_grep "answering both rows with their ids" '^\[\{"id":2,.*"domain":"x.org".*\},\{"id":3,.*"domain":"y.org".*"secure":1\}\]$' "$TMP/body"
req "an empty array is 400" POST /v1/tables/capacity 400 -H "$AUTH" -d '[]'

# The CLI and the API see the same rows (one write path).
check "mq get sees the API's row" env MQ_STORE_PATH="$TMP/mq.mdb" "$MQ" get capacity domain=y.org
expect_grep "with its values" "y.org" "$TMP/last.out"
check "mq set writes a row" env MQ_STORE_PATH="$TMP/mq.mdb" "$MQ" set capacity domain=cli.org secure=0
req "GET sees the CLI's row" GET "/v1/tables/capacity?domain=cli.org" 200
expect_grep "id 4" '"id":4,' "$TMP/body"

# Texts: UTF-8 and escapes go through unchanged; bytes JSON cannot hold
# are refused with a reason rather than sent mangled.
req "POST texts with escapes and non-ASCII" POST /v1/tables/capacity 201 -H "$AUTH" \
	-d '{"domain":"utf8.org","name":"Z\u00fcrich \u2713 \ud834\udd1e \"q\" a\\b\tc\u0001"}'
expect_grep "read back the same" '"name":"Zürich ✓ 𝄞 \\"q\\" a\\\\b\\tc\\u0001"' "$TMP/body"
check "a row with a byte that is not UTF-8 (through the CLI)" \
	env MQ_STORE_PATH="$TMP/mq.mdb" "$MQ" set capacity domain=bad.org "name=$(printf 'x\xffy')"
req "GET of that row is 500" GET "/v1/tables/capacity?domain=bad.org" 500
expect_grep "saying JSON cannot hold it" "not UTF-8.*mq dump capacity" "$TMP/body"
req "the other rows still read" GET "/v1/tables/capacity?domain=utf8.org" 200
check "the bad row can be deleted" env MQ_STORE_PATH="$TMP/mq.mdb" "$MQ" del capacity domain=bad.org
check "and so can the UTF-8 one" env MQ_STORE_PATH="$TMP/mq.mdb" "$MQ" del capacity domain=utf8.org

# DELETE.
req "DELETE without filters is 400" DELETE /v1/tables/capacity 400 -H "$AUTH"
expect_grep "saying how" "all=1" "$TMP/body"
req "DELETE with all=1 and filters is 400" DELETE "/v1/tables/capacity?all=1&domain=x.org" 400 -H "$AUTH"
req "DELETE naming no column is 400" DELETE "/v1/tables/capacity?nosuch=1" 400 -H "$AUTH"
req "DELETE ?domain=x.org" DELETE "/v1/tables/capacity?domain=x.org" 200 -H "$AUTH"
body_is "counts the row" '{"deleted":1}'
req "GET after DELETE" GET "/v1/tables/capacity?domain=x.org" 200
body_is "is empty" "[]"
req "DELETE again is 404" DELETE "/v1/tables/capacity?domain=x.org" 404 -H "$AUTH"
expect_grep "saying no row matches" "capacity: no row matches" "$TMP/body"
req "DELETE ?all=1" DELETE "/v1/tables/capacity?all=1" 200 -H "$AUTH"
body_is "deletes the other three" '{"deleted":3}'

# The secret column.
ED_KEY='-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g\n-----END PRIVATE KEY-----\n'
req "POST a DKIM key that does not fit its algorithm is 400" POST \
	/v1/tables/dkim_keys 400 -H "$AUTH" \
	-d '{"domain":"example.com","selector":"s1","algorithm":"rsa-sha256","privatekey":"'"$ED_KEY"'"}'
expect_grep "saying why" "dkim_keys: an Ed25519 key does not fit algorithm rsa-sha256" "$TMP/body"
expect_no_grep "without the key" "MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v" "$TMP/body"
req "POST a key that is no key is 400" POST /v1/tables/dkim_keys 400 \
	-H "$AUTH" -d '{"domain":"example.com","selector":"s1","privatekey":"PRIVATE-KEY-TEXT"}'
expect_grep "saying why" "dkim_keys: not a PEM private key" "$TMP/body"
req "POST a DKIM key" POST /v1/tables/dkim_keys 201 -H "$AUTH" \
	-d '{"domain":"example.com","selector":"s1","algorithm":"ed25519-sha256","privatekey":"'"$ED_KEY"'"}'
expect_grep "the writer sees the key it wrote" '"privatekey":"-----BEGIN PRIVATE KEY-----\\nMC4CAQAwBQYDK2VwBCIEIJ1hsZ3v' "$TMP/body"
req "GET dkim_keys without a token" GET /v1/tables/dkim_keys 200
expect_no_grep "leaves the private key out" "privatekey|PRIVATE KEY" "$TMP/body"
expect_grep "but shows the row" '"selector":"s1"' "$TMP/body"
req "asking for secrets without a token is 401" GET "/v1/tables/dkim_keys?secrets=1" 401
req "filtering on the private key without a token is 401" GET \
	"/v1/tables/dkim_keys?privatekey=PRIVATE-KEY-TEXT" 401
req "GET dkim_keys with the token" GET /v1/tables/dkim_keys 200 -H "$AUTH"
expect_grep "shows the private key" '"privatekey":"-----BEGIN PRIVATE KEY-----\\nMC4CAQAwBQYDK2VwBCIEIJ1hsZ3v' "$TMP/body"
expect_no_grep "the log never holds the key" "MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v|PRIVATE-KEY" "$TMP/serve.log"

serve_stop
expect_eq "SIGTERM stops serve with 0" 0 "$?"
expect_no_grep "no sanitizer report" "Sanitizer|runtime error" "$TMP/serve.log"

# Without a www-token, writes are refused with a hint.
serve_start "$TMP/serve-notoken.log" MQ_STORE_PATH="$TMP/notoken.mdb" ||
	fail "mq serve starts without a token"
req "POST with no www-token configured is 403" POST /v1/tables/capacity 403 -d "$ROW"
expect_grep "saying how to set one" "MQ_WWW_TOKEN" "$TMP/body"
req "asking for secrets with no www-token configured is 403" GET "/v1/tables/dkim_keys?secrets=1" 403
expect_grep "naming secret columns too" "writes and secret columns need the www-token" "$TMP/body"
serve_stop

# The write-through: SQL first, then the store.
DB=$TMP/db.sqlite
export MQ_DATABASE_ADDRESS="sqlite://$DB?busy_timeout=300"
check "the SQLite schema is created" env MQ_STORE_PATH="$TMP/sql.mdb" "$MQ" repair-database
serve_start "$TMP/serve-sql.log" MQ_STORE_PATH="$TMP/sql.mdb" MQ_WWW_TOKEN="$TOKEN" ||
	{ fail "mq serve starts with SQLite"; finish; }
req "POST with SQL is 201" POST /v1/tables/capacity 201 -H "$AUTH" -d "$ROW"
expect_grep "with the id SQL allocated" '^\{"id":1,' "$TMP/body"
expect_eq "the row is in SQLite" "1|example.com|5" \
	"$(sqlite3 "$DB" 'SELECT id, domain, domain_maxmessages FROM capacity')"
req "an update goes through SQL too" POST /v1/tables/capacity 200 -H "$AUTH" \
	-d '{"id":1,"domain_maxmessages":9}'
expect_eq "SQLite has the new value" "9" \
	"$(sqlite3 "$DB" 'SELECT domain_maxmessages FROM capacity WHERE id = 1')"
req "an array goes through SQL" POST /v1/tables/capacity 201 -H "$AUTH" \
	-d '[{"domain":"a.org"},{"domain":"b.org"}]'
expect_eq "SQLite has three rows" "3" "$(sqlite3 "$DB" 'SELECT count(*) FROM capacity')"
req "DELETE goes through SQL" DELETE "/v1/tables/capacity?domain=a.org" 200 -H "$AUTH"
expect_eq "SQLite lost the row" "0" \
	"$(sqlite3 "$DB" "SELECT count(*) FROM capacity WHERE domain = 'a.org'")"

# Another process holds SQLite's write lock: SQL cannot be written.
(echo 'BEGIN EXCLUSIVE;'; sleep 6; echo 'COMMIT;') | sqlite3 "$DB" &
LOCKER=$!
at_exit "kill $LOCKER 2>/dev/null"
sleep 0.5
req "POST with SQL locked is 503" POST /v1/tables/capacity 503 -H "$AUTH" \
	-d '{"domain":"locked.org"}'
expect_grep "saying SQL is locked" '"error":"sql.*database is locked' "$TMP/body"
req "DELETE with SQL locked is 503" DELETE "/v1/tables/capacity?domain=b.org" 503 -H "$AUTH"
wait "$LOCKER"
req "the store did not change" GET "/v1/tables/capacity?domain=locked.org" 200
body_is "no locked.org row" "[]"
req "and kept b.org" GET "/v1/tables/capacity?domain=b.org" 200
expect_grep "b.org is there" '"domain":"b.org"' "$TMP/body"
expect_eq "SQLite did not change either" "0|1" \
	"$(sqlite3 "$DB" "SELECT sum(domain = 'locked.org'), sum(domain = 'b.org') FROM capacity")"
serve_stop
expect_eq "serve with SQL stops with 0" 0 "$?"
expect_no_grep "no sanitizer report with SQL" "Sanitizer|runtime error" "$TMP/serve-sql.log"

# The same write-through on the server engines tests/run.sh started,
# with parallel writers on both workers (each connects on its own).
. "$REPO/tests/lib/engines.sh"
for engine in pgsql mysql; do
	DBNAME=h7a_http_$$_$engine
	engine_setup "$engine" || { fail "$engine: a database"; continue; }
	export MQ_DATABASE_ADDRESS=$URL
	store=$TMP/$engine.mdb
	check "$engine: the schema is created" env MQ_STORE_PATH="$store" "$MQ" repair-database
	serve_start "$TMP/serve-$engine.log" MQ_STORE_PATH="$store" MQ_WWW_TOKEN="$TOKEN" ||
		{ fail "$engine: mq serve starts"; continue; }
	writers=()
	for i in $(seq 1 8); do
		curl -s -o "$TMP/par.$i" -w '%{http_code}\n' -H "$AUTH" \
			-d "{\"domain\":\"p$i.org\",\"secure\":$i}" \
			"$URL/v1/tables/capacity" > "$TMP/par.code.$i" &
		writers+=($!)
	done
	wait "${writers[@]}"
	expect_eq "$engine: 8 parallel POSTs are 201" "201 201 201 201 201 201 201 201" \
		"$(cat "$TMP"/par.code.* | tr '\n' ' ' | sed 's/ $//')"
	expect_eq "$engine: SQL has the 8 rows" "8 36" "$(q 'SELECT count(*), sum(secure) FROM capacity' | tr '\t' ' ')"
	req "$engine: the store has them, with SQL's ids" GET "/v1/tables/capacity?domain=p8.org" 200
	expect_grep "$engine: p8.org is in the store" '^\[\{"id":[0-9]+,.*"domain":"p8.org"' "$TMP/body"
	expect_eq "$engine: the same id as in SQL" \
		"$(q "SELECT id FROM capacity WHERE domain = 'p8.org'")" \
		"$(sed -n 's/^\[{"id":\([0-9]*\),.*/\1/p' "$TMP/body")"
	req "$engine: a bad value is 400 before SQL is asked" POST /v1/tables/capacity 400 -H "$AUTH" \
		-d '{"domain":"x.org","secure":"yes"}'
	req "$engine: DELETE through SQL" DELETE "/v1/tables/capacity?secure=1" 200 -H "$AUTH"
	expect_eq "$engine: SQL lost the row" "7" "$(q 'SELECT count(*) FROM capacity')"
	serve_stop
	expect_eq "$engine: serve stops with 0" 0 "$?"
	expect_no_grep "$engine: no sanitizer report" "Sanitizer|runtime error" "$TMP/serve-$engine.log"
done
finish
