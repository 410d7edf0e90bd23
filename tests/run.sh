#!/usr/bin/env bash
# NAME
#	run.sh - run mq's unit and integration tests
# SYNOPSIS
#	tests/run.sh [REGEX]
# DESCRIPTION
#	Runs every build/asan/tests/*_test program and every
#	tests/integration/*.sh script (bash), or only those whose name
#	matches the extended regular expression REGEX, each from the
#	repository root with a 600 s timeout, under AddressSanitizer and
#	UBSan settings that make any finding fatal.
#
#	Before the tests it starts one throwaway PostgreSQL 15 and one
#	MariaDB server (tests/lib/servers.sh) and exports
#	    MQ_TEST_PG_URL     postgresql://mq:PW@127.0.0.1:PORT/mq
#	    MQ_TEST_MYSQL_URL  mysql://mq:PW@127.0.0.1:PORT/mq
#	and, for tests that drive the clients directly,
#	MQ_TEST_PG_PORT, MQ_TEST_PG_SOCKDIR, MQ_TEST_MYSQL_PORT,
#	MQ_TEST_MYSQL_SOCKET, MQ_TEST_DB_USER, MQ_TEST_DB_PASSWORD,
#	MQ_TEST_DB_NAME.  Both users may create databases.  The servers
#	are stopped and removed on exit, also after a failure or ^C.
#	MQ_TEST_NO_SERVERS=1 skips them (tests that need them then skip
#	or fail).
#
#	Each test prints TAP lines ("ok N - name", "not ok N - name");
#	they are shown prefixed with the test's name and counted.  A test
#	that prints no such line, or exits non-zero without a "not ok"
#	of its own, or exits other than 0 or 1 (crash, sanitizer,
#	timeout), counts as one more failure named after the test.  A
#	test that cannot run prints the TAP plan "1..0 # SKIP reason" and
#	no result: it is listed as "not run: NAME (reason)" before the
#	last line and counted neither way.  Full outputs are kept in
#	build/test-logs/.
#
#	The last line is "N passed, N failed"; the exit status is 1 when
#	anything failed.

set -uo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO" || exit 1
PATTERN=${1:-}
TIMEOUT=${MQ_TEST_TIMEOUT:-600}
BUILD=${MQ_BUILD:-build}
LOGS=$REPO/$BUILD/test-logs

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1

. "$REPO/tests/lib/servers.sh"

PASSED=0
FAILED=0
FAILURES=()
NOT_RUN=()
SERVERS=
CURRENT=

cleanup() {
	# A test started with & ignores SIGINT: stop its process group
	# (timeout leads one) so nothing outlives the run.
	if [ -n "$CURRENT" ]; then
		kill -TERM -- "-$CURRENT" 2>/dev/null || kill "$CURRENT" 2>/dev/null
	fi
	if [ -n "$SERVERS" ]; then
		pg_stop "$SERVERS/pg"
		maria_stop "$SERVERS/maria"
		rm -rf "$SERVERS"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# failure NAME - count one failure the runner itself found
failure() {
	FAILED=$((FAILED + 1))
	FAILURES+=("$1")
	echo "not ok - $1"
}

# start_servers - PostgreSQL and MariaDB, URLs exported
start_servers() {
	SERVERS=$(mktemp -d /tmp/mq-servers.XXXXXX) || return 1
	chmod 0711 "$SERVERS"	# the postgres user must get through
	if pg_start "$SERVERS/pg"; then
		export MQ_TEST_PG_URL=$PG_URL MQ_TEST_PG_PORT=$PG_PORT \
			MQ_TEST_PG_SOCKDIR=$PG_SOCKDIR
		echo "# postgresql at 127.0.0.1:$PG_PORT"
	else
		failure "servers: postgresql did not start"
	fi
	if maria_start "$SERVERS/maria"; then
		export MQ_TEST_MYSQL_URL=$MYSQL_URL MQ_TEST_MYSQL_PORT=$MYSQL_PORT \
			MQ_TEST_MYSQL_SOCKET=$MYSQL_SOCKET
		echo "# mariadb at 127.0.0.1:$MYSQL_PORT"
	else
		failure "servers: mariadb did not start"
	fi
	export MQ_TEST_DB_USER=$TEST_DB_USER MQ_TEST_DB_NAME=$TEST_DB_NAME \
		MQ_TEST_DB_PASSWORD=$TEST_DB_PASSWORD
}

# select_tests - the test programs and scripts matching PATTERN
select_tests() {
	local t
	for t in "$BUILD"/asan/tests/*_test tests/integration/*.sh; do
		[ -f "$t" ] || continue
		if [ -z "$PATTERN" ] || [[ $(basename "$t") =~ $PATTERN ]]; then
			echo "$t"
		fi
	done
}

# run_one FILE - run one test, echo and count its TAP lines
run_one() {
	local t=$1 name out status ok notok
	name=$(basename "$t")
	out=$LOGS/$name.out
	if [[ $t == *.sh ]]; then
		timeout -k 10 "$TIMEOUT" bash "$t" </dev/null >"$out" 2>&1 &
	else
		timeout -k 10 "$TIMEOUT" "$t" </dev/null >"$out" 2>&1 &
	fi
	CURRENT=$!
	wait "$CURRENT"
	status=$?
	CURRENT=
	sed "s/^/$name: /" "$out"
	ok=$(grep -c '^ok ' "$out")
	notok=$(grep -c '^not ok ' "$out")
	PASSED=$((PASSED + ok))
	FAILED=$((FAILED + notok))
	while IFS= read -r line; do
		FAILURES+=("$name: $line")
	done < <(grep '^not ok ' "$out")
	if [ "$status" = 124 ] || [ "$status" = 137 ]; then
		failure "$name: timed out after $TIMEOUT s"
	elif [ "$status" != 0 ] && { [ "$notok" = 0 ] || [ "$status" != 1 ]; }; then
		failure "$name: exited with status $status"
	elif [ $((ok + notok)) = 0 ] && grep -q '^1\.\.0 # SKIP' "$out"; then
		NOT_RUN+=("$name ($(sed -n 's/^1\.\.0 # SKIP *//p' "$out" | head -n 1))")
	elif [ $((ok + notok)) = 0 ]; then
		failure "$name: printed no test results"
	fi
}

main() {
	local tests t
	mkdir -p "$LOGS"
	mapfile -t tests < <(select_tests)
	if [ "${#tests[@]}" = 0 ]; then
		echo "# no tests match '${PATTERN}'"
	elif [ "${MQ_TEST_NO_SERVERS:-0}" != 1 ]; then
		start_servers
	fi
	for t in "${tests[@]}"; do
		run_one "$t"
	done
	if [ "$FAILED" != 0 ]; then
		echo "# failures:"
		for t in "${FAILURES[@]}"; do
			echo "#   $t"
		done
	fi
	for t in "${NOT_RUN[@]}"; do
		echo "not run: $t"
	done
	echo "$PASSED passed, $FAILED failed"
	[ "$FAILED" = 0 ]
}

main
