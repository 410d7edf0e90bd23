#!/usr/bin/env bash
# NAME
#	serve_loop.sh - mq serve's event loop keeps taking signals while a
#	load from SQL runs
# DESCRIPTION
#	A load of 300k list rows from SQLite runs on a thread of its own and
#	hands only its difference to serve's writer, so the main loop goes
#	on meanwhile: a SIGHUP that arrives during the load is taken at
#	once (logged before the load ends) and makes exactly one more load
#	after it; an API write sent during a reload is answered; SIGTERM
#	during a reload stops serve with 0 once the load is done, the
#	store closed.

. "$(dirname "$0")/../lib/harness.sh"
. "$REPO/tests/lib/serve.sh"

ROWS=300000
export MQ_STORE_PATH=$TMP/mq.mdb MQ_WWW_TOKEN=t

# wait_log REGEX - until serve.log has a line matching (30 s)
wait_log() {
	for _ in $(seq 1 300); do
		grep -Eq -- "$1" "$TMP/serve.log" && return 0
		sleep 0.1
	done
	return 1
}

# line_of REGEX - the number of serve.log's first line matching, or 999999
line_of() {
	grep -nE -- "$1" "$TMP/serve.log" | head -n 1 | cut -d: -f1 |
		grep . || echo 999999
}

# last_line_of REGEX - the number of serve.log's last line matching, or 0
last_line_of() {
	grep -nE -- "$1" "$TMP/serve.log" | tail -n 1 | cut -d: -f1 |
		grep . || echo 0
}

"$MQ_STATIC" list-create big > /dev/null
seq 1 $ROWS | sed 's/^/u/; s/$/@example.org/' | "$MQ_STATIC" sub big - > /dev/null
export MQ_DATABASE_ADDRESS=sqlite://$TMP/db.sqlite
check "$ROWS subscribers in SQLite" "$MQ_STATIC" sync --to-sql

# The first load starts right after "ready": SIGHUP while it runs.
"$MQ" serve 2> "$TMP/serve.log" &
SERVE=$!
at_exit "kill -9 $SERVE 2>/dev/null"
check "serve opens the store" wait_log "store .* ready"
kill -HUP "$SERVE"
check "a SIGHUP during the first load is taken at once" \
	wait_log "reload \(SIGHUP\): after the load that runs"
check "the first load ends" wait_log "load: from-sql: "
check "the SIGHUP was logged before that load ended" \
	test "$(line_of 'after the load that runs')" -lt "$(line_of 'load: from-sql: ')"
check "one more load follows it" wait_log "reload \(asked for during the last one\)"
for _ in $(seq 1 300); do
	[ "$(grep -c 'load: from-sql: ' "$TMP/serve.log")" -ge 2 ] && break
	sleep 0.1
done
expect_eq "two loads in all" 2 "$(grep -c 'load: from-sql: ' "$TMP/serve.log")"
kill -TERM "$SERVE"
wait "$SERVE"
expect_eq "SIGTERM stops it with 0" 0 "$?"

# A reload, then a write and SIGTERM while it runs.
serve_start "$TMP/serve.log" MQ_DATABASE_ADDRESS="$MQ_DATABASE_ADDRESS" ||
	{ fail "mq serve starts again"; finish; }
loads=$(grep -c 'load: from-sql: ' "$TMP/serve.log")
kill -HUP "$SERVE_PID"
check "a reload starts" wait_log "reload \(SIGHUP\)$"
curl -s -o "$TMP/post.body" -w '%{http_code}' --max-time 30 \
	-H 'Authorization: Bearer t' -d '{"type":"domain","address":"during.example"}' \
	"$URL/v1/tables/locals" > "$TMP/post.code" &
curl_pid=$!
sleep 0.2
kill -TERM "$SERVE_PID"
wait "$SERVE_PID"
expect_eq "serve exits 0 after the reload" 0 "$?"
check "SIGTERM during the reload was taken before the reload ended" \
	test "$(last_line_of 'stopping on SIGTERM')" -lt "$(last_line_of 'load: from-sql: ')"
wait "$curl_pid"
expect_eq "the write sent during the reload is answered" 201 "$(cat "$TMP/post.code")"
expect_eq "the reload ran to its end first" $((loads + 1)) \
	"$(grep -c 'load: from-sql: ' "$TMP/serve.log")"
check "the store is closed" wait_log "^.*stopped$"
check "and the write is in it" "$MQ" get locals address=during.example
finish
