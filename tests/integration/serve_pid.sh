#!/usr/bin/env bash
# NAME
#	serve_pid.sh - mq serve's pid file: one serve per store, stale
#	files, mq reload
# DESCRIPTION
#	The pid file <store-path>.pid is held locked by the running serve,
#	so the lock, not the pid written in it, says whether a serve runs:
#	a second mq serve on the same store exits 75 naming the first
#	one's pid while the first keeps serving; a pid file that names a
#	live unrelated process (a sleep) does not block start-up, and
#	mq reload then signals the serve, never the sleep; without a
#	serve, mq reload exits 1 and leaves the sleep alone; a serve
#	killed with SIGKILL leaves a pid file that does not block the
#	next start.

. "$(dirname "$0")/../lib/harness.sh"
. "$REPO/tests/lib/serve.sh"

PIDFILE=$TMP/mq.mdb.pid
export MQ_STORE_PATH=$TMP/mq.mdb

# wait_log LOG REGEX - until LOG has a line matching (10 s)
wait_log() {
	for _ in $(seq 1 100); do
		grep -Eq -- "$2" "$1" && return 0
		sleep 0.1
	done
	return 1
}

serve_start "$TMP/first.log" || { fail "the first mq serve starts"; finish; }
FIRST=$SERVE_PID
check "the pid file holds its pid" grep -qx "$FIRST" "$PIDFILE"
expect_status "a second mq serve on the same store exits 75" 75 \
	env MQ_WWW_IP=127.0.0.1 MQ_WWW_PORT=$((PORT + 1)) timeout 20 "$MQ" serve
expect_grep "its message names the first one's pid" "pid $FIRST\b" "$TMP/last.out"
check "the first one keeps serving" curl -sf -o /dev/null --max-time 5 "$URL/health"
check "and the pid file still names it" grep -qx "$FIRST" "$PIDFILE"
serve_stop
expect_eq "SIGTERM stops the first with 0" 0 "$?"
check "the pid file is removed at exit" test ! -e "$PIDFILE"

sleep 300 &
SLEEPER=$!
at_exit "kill $SLEEPER 2>/dev/null"
echo "$SLEEPER" > "$PIDFILE"
expect_status "mq reload with a stale pid file and no serve exits 1" 1 "$MQ" reload
expect_grep "saying no serve runs" "no mq serve runs" "$TMP/last.out"
check "and the process the file names is not signalled" kill -0 "$SLEEPER"

serve_start "$TMP/stale.log" ||
	fail "a pid file naming a live unrelated process does not block start-up"
check "the pid file then holds the serve's pid" grep -qx "$SERVE_PID" "$PIDFILE"
check "mq reload finds the serve" "$MQ" reload
expect_grep "naming its pid" "pid $SERVE_PID\b" "$TMP/last.out"
check "the serve reloads" wait_log "$TMP/stale.log" "reload: no database-address"
check "the sleep was not signalled" kill -0 "$SLEEPER"

kill -9 "$SERVE_PID"
wait "$SERVE_PID" 2>/dev/null
check "a serve killed with SIGKILL leaves its pid file" test -e "$PIDFILE"
expect_status "mq reload then exits 1" 1 "$MQ" reload
serve_start "$TMP/after-kill.log" ||
	fail "the pid file of a killed serve does not block the next start"
check "which then runs" curl -sf -o /dev/null --max-time 5 "$URL/health"
serve_stop
expect_eq "and stops with 0" 0 "$?"
finish
