#!/usr/bin/env bash
# NAME
#	http_strict.sh - the HTTP details: HEAD, body lengths, JSON errors,
#	%00 in a query, the Host check
# DESCRIPTION
#	- HEAD answers carry GET's headers, Content-Length included, and no
#	  body, so a keep-alive client's next answer is read right;
#	- two Content-Length headers (or one with Transfer-Encoding) are
#	  400, a body over 16 MiB 413, a method the path does not take
#	  (PATCH, TRACE, one HTTP does not define) 405 with Allow, a
#	  request line and headers over 8 KiB 431: all JSON;
#	- an encoded NUL in a query value is 400, not a value cut short;
#	- Host must be www-ip, localhost, 127.0.0.1, [::1] or a name of
#	  www-hosts (any port): otherwise 421 (DNS rebinding); no Host at
#	  all (HTTP/1.0) is accepted;
#	- a request that is not HTTP is 400 in JSON, and closes; a chunked
#	  body is read, one over 16 MiB is 413 in JSON; Expect:
#	  100-continue gets "100 Continue" before the body is sent.
. "$(dirname "$0")/../lib/harness.sh"
. "$REPO/tests/lib/serve.sh"

TOKEN=strict-token-0123456789
AUTH="Authorization: Bearer $TOKEN"
export MQ_STORE_PATH=$TMP/mq.mdb
command -v python3 > /dev/null || { skip "http strict" "python3 not installed"; finish; }

# raw BYTES - send BYTES (printf format) on one connection, print all
# that comes back within a second
raw() {
	python3 - "$PORT" "$1" <<'EOF'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(sys.argv[2].encode().decode("unicode_escape").encode("latin-1"))
s.settimeout(1)
out = b""
try:
    while True:
        d = s.recv(65536)
        if not d:
            break
        out += d
except OSError:
    pass
sys.stdout.buffer.write(out)
EOF
}

"$MQ" list-create news > /dev/null
echo a@b.org | "$MQ" sub news - > /dev/null
serve_start "$TMP/serve.log" MQ_WWW_TOKEN="$TOKEN" \
	MQ_WWW_HOSTS="mq.example.org mq-internal" || exit 1
req "a row to read" POST /v1/tables/capacity 201 -H "$AUTH" \
	-d '{"domain":"a.org","domain_maxmessages":3}'

curl -s -o "$TMP/get" "$URL/v1/tables/capacity"
raw 'HEAD /v1/tables/capacity HTTP/1.1\r\nHost: localhost\r\n\r\nGET /v1/tables/capacity HTTP/1.1\r\nHost: localhost\r\n\r\n' \
	> "$TMP/headget"
expect_grep "HEAD says GET's Content-Length" \
	"^Content-Length: $(wc -c < "$TMP/get")"$'\r'"?$" "$TMP/headget"
expect_eq "HEAD has no body: the next answer on the connection follows at once" \
	2 "$(grep -c '^HTTP/1.1 200 OK' "$TMP/headget")"
check "and that answer is GET's" cmp -s "$TMP/get" <(tail -c "$(wc -c < "$TMP/get")" "$TMP/headget")
raw 'HEAD /v1/lists/news/subscribers HTTP/1.1\r\nHost: localhost\r\n\r\nGET /health HTTP/1.1\r\nHost: localhost\r\n\r\n' \
	> "$TMP/headstream"
expect_grep "HEAD where only GET is taken is 405" "^HTTP/1.1 405" "$TMP/headstream"
expect_eq "without the error's body: the next answer follows at once" \
	"HTTP/1.1 200 OK" "$(sed '0,/^HTTP\/1.1 405/d' "$TMP/headstream" |
		grep -m 1 -a -E '^(HTTP|\{)' | tr -d '\r')"

raw 'POST /v1/tables/capacity HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer '"$TOKEN"'\r\nContent-Length: 2\r\nContent-Length: 20\r\n\r\n{}' \
	> "$TMP/dup"
expect_grep "two Content-Length headers are 400" "^HTTP/1.1 400" "$TMP/dup"
expect_grep "with a JSON error" '^\{"error":"refused: two Content-Length' "$TMP/dup"
raw 'POST /v1/tables/capacity HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer '"$TOKEN"'\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n{}' \
	> "$TMP/te"
expect_grep "Content-Length with Transfer-Encoding is 400" "^HTTP/1.1 400" "$TMP/te"

head -c $((17 << 20)) /dev/zero > "$TMP/big"
req "a body over 16 MiB is 413" POST /v1/tables/capacity 413 -H "$AUTH" \
	--data-binary @"$TMP/big"
expect_grep "in JSON, not libevent's HTML" '^\{"error":"body larger than' "$TMP/body"
long=$(head -c 9000 /dev/zero | tr '\0' a)
req "a query string over 8 KiB is 431" GET "/v1/tables/capacity?domain=$long" 431
expect_grep "in JSON, not libevent's HTML" '^\{"error":"request line and headers' "$TMP/body"
req "a header over 8 KiB is 431" GET /health 431 -H "X-Long: $long"
expect_grep "in JSON too" '^\{"error":"request line and headers' "$TMP/body"
req "headers just under the limit pass" GET /health 200 -H "X-Long: ${long:0:7000}"

for m in PATCH TRACE FROB; do
	curl -s -D "$TMP/head" -o "$TMP/body" -X "$m" -H "$AUTH" \
		"$URL/v1/tables/capacity"
	expect_grep "$m is 405" '^HTTP/1.1 405' "$TMP/head"
	expect_grep "$m: Allow names the path's methods" \
		'^Allow: GET, HEAD, POST, DELETE' "$TMP/head"
	expect_grep "$m: in JSON" '^\{"error":"/v1/tables/capacity: method not allowed' \
		"$TMP/body"
done

req "%00 in a query value is 400" GET "/v1/tables/capacity?domain=a.org%00x" 400
expect_grep "naming it" '%00' "$TMP/body"
req "the value without it still matches" GET "/v1/tables/capacity?domain=a.org" 200
expect_grep "the row" '"a.org"' "$TMP/body"

req "Host: localhost with the port" GET /health 200 -H "Host: localhost:$PORT"
req "Host: 127.0.0.1 (www-ip)" GET /health 200 -H "Host: 127.0.0.1"
req "Host: [::1] with a port" GET /health 200 -H "Host: [::1]:$PORT"
req "Host: a name of www-hosts, any case and port" GET /health 200 \
	-H "Host: MQ.Example.ORG:443"
req "Host: the second name of www-hosts" GET /health 200 -H "Host: mq-internal"
req "Host: another name is 421" GET /v1/tables/capacity 421 \
	-H "Host: attacker.example"
expect_grep "with a JSON error" '^\{"error":"Host is not a name of this server' "$TMP/body"
req "Host: a name of www-hosts with more after it is 421" GET /health 421 \
	-H "Host: mq.example.org.attacker.example"
req "Host: localhost with a port that is no number is 421" GET /health 421 \
	-H "Host: localhost:80x"
raw 'GET /health HTTP/1.0\r\n\r\n' > "$TMP/nohost"
expect_grep "no Host at all (HTTP/1.0) is answered" "^HTTP/1.0 200" "$TMP/nohost"

raw 'NOT HTTP AT ALL\r\n\r\n' > "$TMP/junk"
expect_grep "a request line that is not HTTP is 400" "^HTTP/1.1 400" "$TMP/junk"
expect_grep "in JSON, not an HTML page" '^\{"error":"bad request: not an HTTP/1.x' "$TMP/junk"
expect_grep "and the connection is closed" '^Connection: close' "$TMP/junk"
raw 'POST /v1/tables/capacity HTTP/1.1\r\nHost: localhost\r\n'"$AUTH"'\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n{"domain":"c.org\r\n1a\r\n","domain_maxmessages":4}\r\n0\r\n\r\n' \
	> "$TMP/chunked"
expect_grep "a chunked body is read" "^HTTP/1.1 201" "$TMP/chunked"
req "its row is stored" GET "/v1/tables/capacity?domain=c.org" 200
expect_grep "whole" '"domain_maxmessages":4' "$TMP/body"
raw 'POST /v1/tables/capacity HTTP/1.1\r\nHost: localhost\r\n'"$AUTH"'\r\nTransfer-Encoding: chunked\r\n\r\n2000000\r\n' \
	> "$TMP/bigchunk"
expect_grep "a chunk over 16 MiB is 413" "^HTTP/1.1 413" "$TMP/bigchunk"
expect_grep "in JSON" '^\{"error":"body larger than' "$TMP/bigchunk"
raw 'POST /v1/tables/capacity HTTP/1.1\r\nHost: localhost\r\n'"$AUTH"'\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n' \
	> "$TMP/continue"
expect_grep "Expect: 100-continue is answered before the body" \
	"^HTTP/1.1 100 Continue" "$TMP/continue"
expect_status "serve stops cleanly" 0 serve_stop
finish
