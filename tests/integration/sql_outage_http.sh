#!/usr/bin/env bash
# NAME
#	sql_outage_http.sh - a broken or missing SQLite file is an outage
# DESCRIPTION
#	mq serve with a SQLite database-address.  When the file is
#	overwritten with junk, an API write is 503 (the server's problem,
#	nothing changed), not 400 (the client's).  When the file is
#	deleted, a reload fails with "database file FILE is missing",
#	creates no file, and serve keeps answering from the store.
. "$(dirname "$0")/../lib/harness.sh"
. "$REPO/tests/lib/serve.sh"

DB=$TMP/mail.sqlite
TOKEN=outage-token-0123456789
AUTH="Authorization: Bearer $TOKEN"
export MQ_STORE_PATH=$TMP/mq.mdb

"$MQ" set capacity domain=kept.org domain_maxmessages=5 > /dev/null
check "sync --to-sql creates the mirror" \
	"$MQ" sync --to-sql --address "sqlite://$DB"

serve_start "$TMP/serve.log" MQ_DATABASE_ADDRESS="sqlite://$DB" \
	MQ_WWW_TOKEN="$TOKEN" MQ_DATABASE_IDLE=0 || exit 1
req "a write with the file intact is 201" POST /v1/tables/capacity 201 \
	-H "$AUTH" -d '{"domain":"a.org"}'

head -c 65536 /dev/urandom > "$DB"
req "a write while the file is junk is 503" POST /v1/tables/capacity 503 \
	-H "$AUTH" -d '{"domain":"b.org"}'
expect_grep "saying why" "not a database|database unreachable" "$TMP/body"
req "reads still answer from the store" GET "/v1/tables/capacity?domain=a.org" 200
expect_grep "with the row written before" '"a.org"' "$TMP/body"

rm -f "$DB"
kill -HUP "$SERVE_PID"
for _ in $(seq 1 100); do
	grep -q "is missing" "$TMP/serve.log" && break
	sleep 0.1
done
expect_grep "a reload names the missing file" \
	"database file $DB is missing" "$TMP/serve.log"
check "and creates no SQLite file" test ! -e "$DB"
req "/health says the load failed" GET /health 503
req "reads still answer" GET "/v1/tables/capacity?domain=kept.org" 200
expect_grep "from the store" '"kept.org"' "$TMP/body"
sleep 1		# past the session's backoff: the write connects again
req "a write with the file missing is 503" POST /v1/tables/capacity 503 \
	-H "$AUTH" -d '{"domain":"c.org"}'
expect_grep "naming the missing file" "is missing" "$TMP/body"
check "which creates no file either" test ! -e "$DB"
expect_status "serve stops cleanly" 0 serve_stop
finish
