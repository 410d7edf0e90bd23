#!/usr/bin/env bash
# NAME
#	stale_temps.sh - a killed mq backup or mq export ezmlm leaves a
#	temporary that the next run of the same kind removes
# DESCRIPTION
#	The temporaries carry their writer's pid (FILE.tmp.PID,
#	DIR.mq-PID-XXXXXX).  A real run is killed with SIGKILL mid-way;
#	the next run removes what it left, but never a temporary whose
#	pid still runs (a run in progress).
. "$(dirname "$0")/../lib/harness.sh"

export MQ_STORE_PATH="$TMP/mq.mdb"
"$MQ" list-create news > /dev/null
seq -f 'user%g@example.org' 1 200000 | "$MQ_STATIC" sub news - > /dev/null

# dead_pid - a pid that ran and is gone
dead_pid() {
	true &
	local p=$!
	wait "$p"
	echo "$p"
}

sleep 300 &
alive=$!
at_exit "kill $alive 2>/dev/null"

# A backup killed while it writes: retry until one is caught mid-copy.
left=
for _ in $(seq 1 20); do
	"$MQ_STATIC" backup "$TMP/b.mdb" > /dev/null 2>&1 &
	pid=$!
	sleep 0.0$((RANDOM % 9 + 1))
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	left=$(ls "$TMP" | grep -E '^b\.mdb\.tmp\.[0-9]+$')
	[ -n "$left" ] && break
	rm -f "$TMP/b.mdb"
done
[ -n "$left" ] || fail "a killed backup left a temporary (none caught in 20 tries)"
: > "$TMP/b.mdb.tmp.$(dead_pid)"
: > "$TMP/b.mdb.tmp.$alive"
: > "$TMP/b.mdb.tmp.12x"
check "mq backup runs after killed ones" "$MQ" backup "$TMP/b.mdb"
expect_eq "it removed every temporary of a process that is gone" "" \
	"$(ls "$TMP" | grep -E '^b\.mdb\.tmp\.[0-9]+$' | grep -vx "b.mdb.tmp.$alive")"
check "it kept the temporary of a process that runs" test -e "$TMP/b.mdb.tmp.$alive"
check "and a name that carries no pid" test -e "$TMP/b.mdb.tmp.12x"
check "the backup verifies" "$MQ" verify "$TMP/b.mdb"

dead=$(dead_pid)
mkdir -p "$TMP/ex.mq-$dead-abcdef/subscribers" "$TMP/ex.mq-$alive-abcdef"
: > "$TMP/ex.mq-$dead-abcdef/subscribers/A"
check "mq export ezmlm runs beside a killed export's directory" \
	"$MQ" export ezmlm news "$TMP/ex"
check "it removed the directory tree of the export that is gone" \
	test ! -e "$TMP/ex.mq-$dead-abcdef"
check "it kept the one of a process that runs" test -d "$TMP/ex.mq-$alive-abcdef"
expect_eq "its own temporary is gone: only ex and the live one remain" \
	"ex ex.mq-$alive-abcdef" "$(cd "$TMP" && echo ex ex.mq-*)"
finish
