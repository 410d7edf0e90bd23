#!/usr/bin/env bash
# NAME
#	changes_feed.sh - GET /v1/changes: the change feed of mq serve
# DESCRIPTION
#	An open feed receives, one JSON object a line, a row set by the
#	CLI (another process) and one written through the API while the
#	request is open, and never a DKIM private key; ?table= keeps one
#	table; feeds beyond www-feeds are refused with 503; a client that
#	stops reading while a lot commits is closed by the server instead
#	of being buffered for; a since older than the pruned log answers
#	410 naming the oldest sequence; feeds open at SIGTERM end cleanly,
#	and serve (the sanitized build) exits 0: nothing leaked by the
#	clients that went away.

. "$(dirname "$0")/../lib/harness.sh"
. "$REPO/tests/lib/serve.sh"

export MQ_STORE_PATH=$TMP/mq.mdb
TOKEN=feed-test-token
KEY_TEXT=PRIVATE-KEY-TEXT-NEVER-SHOWN-4711

seq_now() {
	"$MQ" stat | awk '$1 == "sequence" { print $2 }'
}

wait_for() {
	for _ in $(seq 1 "${3:-50}"); do
		grep -Eq -- "$2" "$1" && return 0
		sleep 0.1
	done
	return 1
}

# feed_bg OUT QUERY - curl a feed in the background; its pid in FEED
feed_bg() {
	curl -sN --max-time 120 "$URL/v1/changes$2" > "$1" 2>&1 &
	FEED=$!
	at_exit "kill $FEED 2>/dev/null"
}

serve_start "$TMP/serve.log" MQ_WWW_TOKEN=$TOKEN MQ_WWW_FEEDS=3 ||
	{ fail "mq serve starts"; finish; }

START=$(seq_now)
feed_bg "$TMP/all.out" "?since=$START"
ALL=$FEED
feed_bg "$TMP/dkim.out" "?since=$START&table=dkim_keys"
DKIM=$FEED
sleep 0.5
"$MQ" set locals type=domain address=cli.example > /dev/null
check "a set by the CLI reaches an open feed within 1 s" \
	wait_for "$TMP/all.out" '"op":"put","table":"locals","key":\{"id":1\},"row":\{"id":1,"type":"domain","address":"cli.example"\}' 10
req "a write through the API" POST /v1/tables/dkim_keys 201 \
	-H "Authorization: Bearer $TOKEN" \
	-d "{\"domain\":\"example.org\",\"selector\":\"s1\",\"privatekey\":\"$KEY_TEXT\"}"
check "reaches the open feed within 1 s" \
	wait_for "$TMP/all.out" '"table":"dkim_keys","key":\{"id":1\},"row":\{"id":1,"domain":"example.org","selector":"s1"' 10
check "the table=dkim_keys feed gets it too" \
	wait_for "$TMP/dkim.out" '"table":"dkim_keys"' 10
expect_no_grep "but nothing of locals" '"table":"locals"' "$TMP/dkim.out"

feed_bg "$TMP/third.out" ""
THIRD=$FEED
sleep 0.5
req "a feed beyond www-feeds (3) is refused with 503" GET /v1/changes 503 --max-time 2
kill "$THIRD"
wait "$THIRD" 2>/dev/null
sleep 0.5
req "a feed closed by its client frees its place" GET "/v1/changes?since=$START" 200 --max-time 2
expect_grep "(that feed replayed the log)" '"table":"locals"' "$TMP/body"

req "a bad since is 400" GET "/v1/changes?since=x" 400
req "an unknown parameter is 400" GET "/v1/changes?limit=3" 400
req "another method is 405" POST /v1/changes 405 -H "Authorization: Bearer $TOKEN"

# A client that asks and never reads: the server must not buffer for it.
# Its receive buffer is kept small (perl, SO_RCVBUF before connecting), so
# the 200,000 rows (about 27 MB of lines) are more than the kernel holds
# for it and the server meets a client that takes nothing.  After 15 s it
# reads what it can: the bytes it got, and "closed" when the server
# closed the connection (end of file or reset), "open" otherwise.
perl -MSocket -e '
	socket(my $s, PF_INET, SOCK_STREAM, 0) or die "socket: $!";
	setsockopt($s, SOL_SOCKET, SO_RCVBUF, 4096) or die "rcvbuf: $!";
	connect($s, pack_sockaddr_in($ARGV[0], inet_aton("127.0.0.1")))
		or die "connect: $!";
	syswrite($s, "GET /v1/changes HTTP/1.1\r\nHost: x\r\n\r\n");
	sleep 25;
	my ($n, $got, $buf) = (0, 0);
	local $SIG{ALRM} = sub { print "$got open\n"; exit 0 };
	alarm 20;
	while (($n = sysread($s, $buf, 65536)) > 0) { $got += $n }
	print "$got closed\n";
' "$PORT" > "$TMP/slow.out" 2>&1 &
SLOW=$!
sleep 1
for n in 1 2 3 4 5; do
	awk -v n="$n" 'BEGIN { print "type\taddress";
		for (i = 0; i < 40000; i++)
			printf "domain\tslow-reader-%d-%06d.example.org\n", n, i }' |
		"$MQ_STATIC" set locals - > /dev/null
done
wait "$SLOW"
read -r BYTES STATE < "$TMP/slow.out"
expect_eq "a client that stops reading is closed by the server" closed "$STATE"
check "the feed that reads got all 200,000 rows" \
	wait_for "$TMP/all.out" '"address":"slow-reader-5-039999.example.org"' 100
SENT=$(grep -c slow-reader "$TMP/all.out")
check "before it was sent it all (it got $BYTES bytes)" \
	test "${BYTES:-0}" -lt "$(grep slow-reader "$TMP/all.out" | wc -c)"
expect_eq "(all 200,000 rows reached the reading feed)" 200000 "$SENT"
check "mq serve still answers" curl -sf --max-time 5 -o /dev/null "$URL/health"

for i in 1 2 3 4; do
	MQ_CHANGES_KEEP=2 "$MQ" set locals type=domain "address=p$i.example" > /dev/null
done
OLDEST=$(( $(seq_now) - 1 ))
req "a since older than the log is 410" GET "/v1/changes?since=0" 410
expect_grep "naming the oldest sequence available" "\"oldest\":$OLDEST\b" "$TMP/body"

kill "$DKIM"
kill -TERM "$SERVE_PID"
wait "$ALL"
expect_eq "a feed open at SIGTERM ends cleanly" 0 "$?"
wait "$SERVE_PID"
expect_eq "mq serve exits 0 (nothing leaked)" 0 "$?"
expect_no_grep "the private key never shows in the feed" "$KEY_TEXT|privatekey" "$TMP/all.out"
finish
