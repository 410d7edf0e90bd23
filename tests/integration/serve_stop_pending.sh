#!/usr/bin/env bash
# NAME
#	serve_stop_pending.sh - mq serve stops while an API write waits
# DESCRIPTION
#	mq serve with a SQLite database-address whose file another process
#	holds locked (BEGIN EXCLUSIVE), so an API write waits in the
#	writer (busy_timeout 12 s).  The client gives up and leaves; serve
#	is stopped: its HTTP workers give up draining after the 10 s grace
#	period, the write fails when the lock's wait ends, and its answer,
#	which reaches a worker whose loop has ended, still frees the
#	request and the connection: serve exits 0 with no leak reported
#	(the sanitized build's LeakSanitizer), and the row was not written.
. "$(dirname "$0")/../lib/harness.sh"
. "$REPO/tests/lib/serve.sh"

DB=$TMP/mail.sqlite
TOKEN=stop-token-0123456789
export MQ_STORE_PATH=$TMP/mq.mdb

"$MQ" set capacity domain=kept.org domain_maxmessages=5 > /dev/null
check "sync --to-sql creates the mirror" \
	"$MQ" sync --to-sql --address "sqlite://$DB"
serve_start "$TMP/serve.log" \
	MQ_DATABASE_ADDRESS="sqlite://$DB?busy_timeout=12000" \
	MQ_WWW_TOKEN="$TOKEN" MQ_DATABASE_IDLE=0 || exit 1

{ echo "BEGIN EXCLUSIVE;"; sleep 14; echo "COMMIT;"; } | sqlite3 "$DB" &
LOCK_PID=$!
at_exit "kill $LOCK_PID 2>/dev/null"
sleep 0.5
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 -X POST \
	-H "Authorization: Bearer $TOKEN" -d '{"domain":"late.org"}' \
	"$URL/v1/tables/capacity")
expect_eq "the client gives up on the waiting write" 000 "$code"
expect_status "serve stops with 0" 0 serve_stop
expect_eq "no leak reported" 0 "$(grep -c LeakSanitizer "$TMP/serve.log")"
expect_eq "the write was not made" 1 "$("$MQ" get capacity | grep -c '\.org')"
finish
