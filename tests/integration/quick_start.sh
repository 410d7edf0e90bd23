#!/usr/bin/env bash
# NAME
#	quick_start.sh - ./build.sh run gives a first-time operator a console that writes
# DESCRIPTION
#	Runs the README's `./build.sh run` (with MQ_RUN_DIR in the test's
#	directory and a free port): without an operator's www-token it
#	makes a random one, keeps it in RUNDIR/www-token (0600), prints the
#	console link carrying it and how to use it from a shell; a write
#	with it is 200, without it 401; a second start keeps the same
#	token; a real Chromium opens the printed link and saves a row
#	(tests/console/token_link.test.js).  An operator's MQ_WWW_TOKEN
#	wins: no link with a token is printed and that token writes.

. "$(dirname "$0")/../lib/harness.sh"
. "$REPO/tests/lib/ports.sh"

RUNDIR=$TMP/var
CONSOLE=$REPO/tests/console

# start_run LOG [VAR=VALUE...] - ./build.sh run in the background; waits for /health
start_run() {
	local log=$1 i
	shift
	PORT=$(free_port)
	URL=http://127.0.0.1:$PORT
	(cd "$REPO" && exec env MQ_RUN_DIR="$RUNDIR" MQ_WWW_PORT="$PORT" "$@" \
		./build.sh run) >/dev/null 2>"$log" &
	RUN_PID=$!
	at_exit "kill -9 $RUN_PID 2>/dev/null"
	for i in $(seq 1 600); do
		curl -s -o /dev/null --max-time 1 "$URL/health" && return 0
		kill -0 "$RUN_PID" 2>/dev/null || break
		sleep 0.1
	done
	sed 's/^/#   /' "$log"
	return 1
}

stop_run() {
	kill -TERM "$RUN_PID" 2>/dev/null
	wait "$RUN_PID" 2>/dev/null
}

# write_status TOKEN - the status of a capacity write with TOKEN
write_status() {
	curl -s -o "$TMP/body" -w '%{http_code}' --max-time 5 \
		-H "Authorization: Bearer $1" \
		-d '{"localip":"192.0.2.1","domain":"example.com","domain_maxconnections":5}' \
		"$URL/v1/tables/capacity"
}

check "./build.sh run starts mq serve" start_run "$TMP/run1.log"
expect_grep "it prints the console link with the token" \
	"^build.sh: console at http://127\.0\.0\.1:$PORT/#token=[A-Za-z0-9_-]{20,}\$" "$TMP/run1.log"
expect_grep "and where the token is kept" "kept in $RUNDIR/www-token \\(mode 0600\\)" "$TMP/run1.log"
expect_grep "and how to use it from a shell" 'curl -H "Authorization: Bearer \$\(cat ' "$TMP/run1.log"
check "the token file exists" test -s "$RUNDIR/www-token"
expect_eq "the token file is mode 0600" 600 "$(stat -c %a "$RUNDIR/www-token")"
token=$(cat "$RUNDIR/www-token")
link=$(sed -n 's/^build.sh: console at //p' "$TMP/run1.log")
expect_eq "the link carries the kept token" "$URL/#token=$token" "$link"
expect_eq "a write with the token is 201 (row created)" 201 "$(write_status "$token")"
expect_eq "a write without it is 401" 401 "$(write_status wrong)"

if [ ! -d "$CONSOLE/node_modules/playwright-core" ]; then
	check "npm ci installs playwright-core" \
		sh -c "cd '$CONSOLE' && npm ci --no-audit --no-fund"
fi
MQ_LINK=$link timeout 120 node "$CONSOLE/token_link.test.js" >"$TMP/node.out" 2>&1
status=$?
sed 's/^/#   /' "$TMP/node.out"
expect_eq "Chromium opens the link and saves a row (token_link.test.js)" 0 "$status"
curl -s --max-time 5 "$URL/v1/tables/capacity?domain=quickstart.example" >"$TMP/row"
expect_grep "the row the console saved is in the store" '"domain_maxmessages":4711' "$TMP/row"
stop_run

check "a second ./build.sh run starts" start_run "$TMP/run2.log"
expect_grep "it prints the same token" "#token=$token\$" "$TMP/run2.log"
stop_run

check "with the operator's MQ_WWW_TOKEN it starts" start_run "$TMP/run3.log" MQ_WWW_TOKEN=operators-own
expect_grep "it says the configured token is used" "writes take the www-token you configured" "$TMP/run3.log"
expect_no_grep "and prints no token" "#token=" "$TMP/run3.log"
expect_eq "the operator's token writes (201)" 201 "$(write_status operators-own)"
expect_eq "the kept one does not" 401 "$(write_status "$token")"
stop_run
finish
