#!/usr/bin/env bash
# http_core - mq serve's HTTP server itself: /health, /metrics, errors,
# limits, keep-alive, a slow client, the port, SIGTERM.
. "$(dirname "$0")/../lib/harness.sh"
. "$REPO/tests/lib/serve.sh"

serve_start "$TMP/serve.log" || { fail "mq serve starts"; finish; }
req "/health answers 200" GET /health 200
expect_grep "saying ok, with the store" '"status":"ok","store":"'"$TMP"'/mq.mdb"' "$TMP/body"
workers=$(nproc)
expect_grep "one worker per core" "with $workers worker" "$TMP/serve.log"
expect_grep "without a token it says writes are refused" "no www-token: writes refused" "$TMP/serve.log"

req "an unknown API path is 404" GET /v1/nothing 404
expect_grep "with a JSON error naming it" '"error":"/v1/nothing: no such API endpoint"' "$TMP/body"
req "an encoded NUL in the path is 400" GET /v1/tables/a%00b 400
head -c $((17 << 20)) /dev/zero > "$TMP/big"
req "a body over 16 MiB is 413" POST /v1/tables/capacity 413 --data-binary @"$TMP/big"
req "a method the path does not take is 405" PATCH /health 405
req "a body without the token is refused at its headers (none configured: 403)" \
	POST /health 403 -d x
req "POST /health is 405" POST /health 405
expect_grep "naming what is allowed" 'allowed: GET, HEAD' "$TMP/body"

curl -s -v -o /dev/null -o /dev/null "$URL/health" "$URL/metrics" 2> "$TMP/keepalive"
expect_grep "two requests share one connection (keep-alive)" "Re-using existing connection" "$TMP/keepalive"

req "/metrics answers 200" GET /metrics 200
expect_grep "counting requests by route and class" '^mq_http_requests_total\{route="health",code="2xx"\} [1-9]' "$TMP/body"
expect_grep "and 4xx answers" '^mq_http_requests_total\{route="other",code="4xx"\} [1-9]' "$TMP/body"
expect_grep "with a latency histogram" '^mq_http_request_duration_seconds_bucket\{le="\+Inf"\} [1-9]' "$TMP/body"
expect_grep "the store's sequence" '^mq_store_sequence [0-9]' "$TMP/body"
expect_grep "the reader slots" '^mq_store_readers [0-9]' "$TMP/body"
expect_grep "the last reload" '^mq_last_reload_success 0' "$TMP/body"
expect_grep "lookups by kind" '^mq_lookups_total\{kind="capacity"\} 0' "$TMP/body"
before=$(grep -E '^mq_http_requests_total\{route="health",code="2xx"\}' "$TMP/body" | cut -d' ' -f2)
curl -s -o /dev/null "$URL/health"
curl -s -o "$TMP/body" "$URL/metrics"
after=$(grep -E '^mq_http_requests_total\{route="health",code="2xx"\}' "$TMP/body" | cut -d' ' -f2)
expect_eq "the health counter moves by one" "$((before + 1))" "$after"

# A client that sends half a request and stalls holds one connection;
# the others are answered meanwhile, and the stalled one is cut off.
exec 7<>"/dev/tcp/127.0.0.1/$PORT"
printf 'GET /health HTTP/1.1\r\nHost: x\r\n' >&7
start=$(date +%s%N)
req "a stalled client does not stall others" GET /health 200
took=$((($(date +%s%N) - start) / 1000000))
check "they are answered at once (${took} ms)" test "$took" -lt 1000
if timeout 20 cat <&7 > /dev/null; then
	ok "the stalled client is cut off by the server"
else
	fail "the stalled client is cut off by the server" "still open after 20 s"
fi
exec 7<&-

# SIGTERM while a write is in flight: it is answered and kept.
serve_stop
serve_start "$TMP/serve-term.log" MQ_STORE_PATH="$TMP/term.mdb" MQ_WWW_TOKEN=t ||
	fail "mq serve starts with a token"
curl -s -o /dev/null -H 'Authorization: Bearer t' -d '{"name":"big"}' "$URL/v1/lists"
seq 1 50000 | awk 'BEGIN { printf "{\"addresses\":[" }
	{ printf "%s\"u%d@example.org\"", (NR > 1 ? "," : ""), $1 }
	END { print "]}" }' > "$TMP/big.json"
curl -s -o "$TMP/term.body" -w '%{http_code}' -H 'Authorization: Bearer t' \
	--data-binary @"$TMP/big.json" "$URL/v1/lists/big/subscribers" > "$TMP/term.code" &
curl_pid=$!
in_flight=no
for _ in $(seq 1 200); do
	if curl -s "$URL/metrics" | grep -q '^mq_http_requests_in_flight [2-9]'; then
		in_flight=yes
		break
	fi
	sleep 0.01
done
serve_stop
term_status=$?
wait $curl_pid
expect_eq "SIGTERM came while the subscribe was in flight" yes "$in_flight"
expect_eq "SIGTERM during a 50k subscribe: serve exits 0" 0 "$term_status"
expect_eq "the subscribe in flight is answered 200" 200 "$(cat "$TMP/term.code")"
expect_grep "having added every address" '"added":50000' "$TMP/term.body"
expect_eq "and the store holds them" 50000 "$(MQ_STORE_PATH="$TMP/term.mdb" "$MQ" list big | wc -l)"
serve_start "$TMP/serve.log" || fail "mq serve starts again"
SERVE_PID_FIRST=$SERVE_PID
expect_status "a second serve on the same port exits 70" 70 \
	env MQ_STORE_PATH="$TMP/other.mdb" MQ_WWW_IP=127.0.0.1 MQ_WWW_PORT="$PORT" "$MQ" serve
expect_grep "saying the port cannot be bound" "cannot listen on 127.0.0.1 port $PORT" "$TMP/last.out"
req "the first serve still answers" GET /health 200

serve_stop
expect_eq "SIGTERM stops serve with 0" 0 "$?"
expect_grep "logging the stop" "stopped" "$TMP/serve.log"
expect_no_grep "no sanitizer report" "Sanitizer|runtime error" "$TMP/serve.log"
check "the port is free again" bash -c "! curl -s -o /dev/null --max-time 1 $URL/health"
[ "$SERVE_PID_FIRST" = "$SERVE_PID" ] || fail "one serve pid"

# With SQL configured and unreachable, /health says 503.
serve_start "$TMP/serve2.log" MQ_STORE_PATH="$TMP/sql.mdb" \
	MQ_DATABASE_ADDRESS="mysql://mq@127.0.0.1:1/none" ||
	fail "mq serve starts with SQL down"
req "/health is 503 while the load from SQL fails" GET /health 503
expect_grep "saying the last load failed" '"status":"unavailable".*"sql":true,"last_load_ok":false' "$TMP/body"
curl -s -o "$TMP/body" "$URL/metrics"
expect_grep "/metrics counts the failed load" '^mq_reload_failures_total 1' "$TMP/body"
serve_stop

MQ_STORE_PATH="$TMP/off.mdb" MQ_WWW_PORT=0 "$MQ" serve 2> "$TMP/off.log" &
pid=$!
for _ in $(seq 1 100); do grep -q "dkim:" "$TMP/off.log" && break; sleep 0.1; done
kill -TERM $pid
wait $pid
expect_eq "www-port 0 serves without HTTP" 0 "$?"
expect_no_grep "and opens no port" "http: listening" "$TMP/off.log"
finish
