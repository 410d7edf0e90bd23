#!/usr/bin/env bash
# NAME
#	http_exhaustion.sh - clients cannot make mq serve hold their bytes
# DESCRIPTION
#	Against the release build (build/mq), whose resident size is what
#	an operator sees:
#	- 60 connections without the token, each sending the headers of a
#	  15 MiB POST and then its body: each is answered 401 once its
#	  headers are in, its body is never read, and the resident size
#	  stays below the baseline + 64 MB;
#	- 8 connections with the token doing the same are held up to
#	  www-max-buffered (32M here), the others closed;
#	- when they are gone, and after three whole 15 MiB requests, the
#	  size is back within 16 MB of the baseline;
#	- a POST whose headers announce 15 MiB is answered 401 at once,
#	  without a byte of body sent;
#	- a body trickled a byte a second is cut after www-request-seconds;
#	- a connection past www-max-connections is closed at once.
#	The clients are tests/integration/http_clients.py.
. "$(dirname "$0")/../lib/harness.sh"
. "$REPO/tests/lib/serve.sh"

CLIENTS=$REPO/tests/integration/http_clients.py
TOKEN=exhaustion-token-0123456789
MIB=$((1 << 20))
command -v python3 > /dev/null || { skip "http exhaustion" "python3 not installed"; finish; }

rss_kb() {
	awk '/^VmRSS:/ { print $2 }' "/proc/$SERVE_PID/status"
}

SERVE_BIN=$MQ_STATIC serve_start "$TMP/serve.log" MQ_WWW_TOKEN="$TOKEN" \
	MQ_WWW_MAX_CONNECTIONS=100 MQ_WWW_MAX_BUFFERED=32M \
	MQ_WWW_REQUEST_SECONDS=20 || exit 1
for _ in $(seq 1 20); do
	curl -s -o /dev/null "$URL/v1/tables/capacity"
done
BASE=$(rss_kb)
echo "# baseline RSS ${BASE} kB"

python3 "$CLIENTS" hold "$PORT" "$SERVE_PID" 60 $((15 * MIB)) 4 > "$TMP/hold.out"
sed 's/^/#   /' "$TMP/hold.out"
expect_eq "60 tokenless 15 MiB POSTs: all answered 401" 60 \
	"$(awk '/^answered_401/ { print $2 }' "$TMP/hold.out")"
expect_eq "and all closed" 60 "$(awk '/^closed/ { print $2 }' "$TMP/hold.out")"
PEAK=$(awk '/^peak_rss_kb/ { print $2 }' "$TMP/hold.out")
check "RSS stayed below baseline + 64 MB (peak ${PEAK} kB)" \
	test "$PEAK" -lt $((BASE + 64 * 1024))

python3 "$CLIENTS" hold "$PORT" "$SERVE_PID" 8 $((15 * MIB)) 4 "$TOKEN" \
	> "$TMP/auth.out"
sed 's/^/#   /' "$TMP/auth.out"
CLOSED=$(awk '/^closed/ { print $2 }' "$TMP/auth.out")
check "8 authorized 15 MiB bodies: at least those past www-max-buffered closed ($CLOSED)" \
	test "$CLOSED" -ge 6
PEAK=$(awk '/^peak_rss_kb/ { print $2 }' "$TMP/auth.out")
check "RSS stayed below baseline + 64 MB (peak ${PEAK} kB)" \
	test "$PEAK" -lt $((BASE + 64 * 1024))
expect_grep "the limit is logged" "www-max-buffered" "$TMP/serve.log"

head -c $((15 * MIB)) /dev/zero | tr '\0' x > "$TMP/big"
for _ in 1 2 3; do
	curl -s -o /dev/null -H "Authorization: Bearer $TOKEN" \
		--data-binary @"$TMP/big" "$URL/v1/tables/capacity"
done
sleep 1
AFTER=$(rss_kb)
check "RSS back within 16 MB of the baseline after they left (${AFTER} kB)" \
	test "$AFTER" -lt $((BASE + 16 * 1024))
req "the server still answers" GET /health 200

# A POST announcing 15 MiB and sending none of it: 401 at once.
exec 3<>"/dev/tcp/127.0.0.1/$PORT"
printf 'POST /v1/tables/capacity HTTP/1.1\r\nHost: localhost\r\nContent-Length: %d\r\n\r\n' \
	$((15 * MIB)) >&3
timeout 3 head -c 12 <&3 > "$TMP/early" 2>/dev/null
exec 3<&-
expect_eq "headers of a tokenless POST are answered 401 before any body" \
	"HTTP/1.1 401" "$(cat "$TMP/early")"
expect_status "serve stops cleanly" 0 serve_stop

SERVE_BIN=$MQ_STATIC serve_start "$TMP/serve2.log" MQ_WWW_TOKEN="$TOKEN" \
	MQ_WWW_MAX_CONNECTIONS=4 MQ_WWW_REQUEST_SECONDS=3 || exit 1
python3 "$CLIENTS" trickle "$PORT" "$TOKEN" 100 > "$TMP/trickle.out"
sed 's/^/#   /' "$TMP/trickle.out"
AFTER=$(awk '/^closed_after/ { print $2 }' "$TMP/trickle.out")
check "a body trickled a byte a second is cut after 3 s ($AFTER s)" \
	awk -v s="$AFTER" 'BEGIN { exit !(s >= 2.5 && s < 6) }'
expect_grep "unanswered" "^answered 0$" "$TMP/trickle.out"

python3 "$CLIENTS" idle "$PORT" 4 > "$TMP/idle.out"
sed 's/^/#   /' "$TMP/idle.out"
expect_grep "a fifth connection past www-max-connections 4 is closed at once" \
	"^extra closed_after" "$TMP/idle.out"
expect_grep "once one left, a new connection is answered" "^after 200$" \
	"$TMP/idle.out"
expect_status "serve stops cleanly" 0 serve_stop
finish
