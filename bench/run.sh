#!/usr/bin/env bash
#
# NAME
#	run.sh - run mq's benchmarks and print their figures
# SYNOPSIS
#	bench/run.sh [NAME...]
# DESCRIPTION
#	Runs every benchmark built into build/bench/, then the scripts
#	bench/http.sh (mq serve beside nginx over HTTP),
#	bench/lookup_change.sh (lookups while the settings change) and
#	bench/memory.sh (what the lookup sets cost mq serve), or those
#	NAMEd ("http", "lookup_change" and "memory" name the scripts), one
#	after the other, each in a fresh
#	temporary directory that it gets both as its first argument and
#	as $MQ_BENCH_DIR, and as its working directory.  The directory is
#	removed afterwards.  Each benchmark prints its own figures; this
#	script adds a "== NAME" line before and a summary line at the end.
#
#	$MQ_BENCH_TIMEOUT (seconds, default 300) bounds each benchmark.
#	Benchmarks with SQL peers read $MQ_TEST_PG_URL / $MQ_TEST_MYSQL_URL;
#	when neither is set, throwaway PostgreSQL and MariaDB servers are
#	started on loopback for the run (tests/lib/servers.sh) and stopped
#	after it, unless MQ_BENCH_NO_SERVERS=1.
#	$MQ_BENCH_ROWS, $MQ_BENCH_LOOKUPS and the like pass through to the
#	benchmarks unchanged; $MQ_BENCH_SECONDS (default 10) is how long
#	bench/http.sh runs wrk against each server.
# DIAGNOSTICS
#	Exit 0 when every benchmark exited 0, 1 otherwise (a timeout
#	counts as a failure), 64 for a NAME that is not built.

set -u

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bindir="$root/${MQ_BUILD:-build}/bench"
limit=${MQ_BENCH_TIMEOUT:-300}
tmp=""

servers=""

cleanup() {
	[ -n "$tmp" ] && rm -rf -- "$tmp"
	tmp=""
}

stop_servers() {
	[ -n "$servers" ] || return 0
	pg_stop "$servers/pg"
	maria_stop "$servers/maria"
	rm -rf -- "$servers"
	servers=""
}
trap 'cleanup; stop_servers' EXIT
trap 'exit 130' INT TERM

# start_servers - throwaway PostgreSQL and MariaDB for the SQL peers,
#	unless the caller gave URLs or MQ_BENCH_NO_SERVERS=1.
start_servers() {
	[ -n "${MQ_TEST_PG_URL:-}${MQ_TEST_MYSQL_URL:-}" ] && return 0
	[ "${MQ_BENCH_NO_SERVERS:-0}" = 1 ] && return 0
	. "$root/tests/lib/servers.sh"
	servers=$(mktemp -d /tmp/mq-bench-servers.XXXXXX) || return 0
	chmod 0711 "$servers"
	if pg_start "$servers/pg" >/dev/null 2>&1; then
		export MQ_TEST_PG_URL=$PG_URL MQ_TEST_PG_PORT=$PG_PORT \
			MQ_TEST_PG_SOCKDIR=$PG_SOCKDIR
	fi
	if maria_start "$servers/maria" >/dev/null 2>&1; then
		export MQ_TEST_MYSQL_URL=$MYSQL_URL MQ_TEST_MYSQL_PORT=$MYSQL_PORT \
			MQ_TEST_MYSQL_SOCKET=$MYSQL_SOCKET
	fi
	export MQ_TEST_DB_USER=$TEST_DB_USER MQ_TEST_DB_NAME=$TEST_DB_NAME \
		MQ_TEST_DB_PASSWORD=$TEST_DB_PASSWORD
}

# benchmarks - the benchmark binaries to run, one per line.
benchmarks() {
	local name f
	if [ $# -eq 0 ]; then
		for f in "$bindir"/*; do
			name=${f##*/}
			case $name in *.*) continue ;; esac
			[ -f "$f" ] && [ -x "$f" ] && printf '%s\n' "$f"
		done
		printf '%s\n' "$root/bench/http.sh" "$root/bench/lookup_change.sh" \
			"$root/bench/memory.sh"
		return 0
	fi
	for name in "$@"; do
		name=${name##*/}
		name=${name%.c}
		name=${name%.sh}
		if [ "$name" = http ] || [ "$name" = lookup_change ] ||
		   [ "$name" = memory ]; then
			printf '%s\n' "$root/bench/$name.sh"
			continue
		fi
		if [ ! -x "$bindir/$name" ]; then
			echo "bench: $name: not built (make bench builds build/bench/$name)" >&2
			return 64
		fi
		printf '%s\n' "$bindir/$name"
	done
}

# run_one - run benchmark $1 in a fresh temporary directory.
run_one() {
	local bin=$1 rc
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/mq-bench.XXXXXX") || return 1
	echo "== ${bin##*/}"
	(cd "$tmp" && MQ_BENCH_DIR=$tmp timeout "$limit" "$bin" "$tmp")
	rc=$?
	[ $rc -eq 124 ] && echo "bench: ${bin##*/}: killed after ${limit}s" >&2
	[ $rc -ne 0 ] && echo "bench: ${bin##*/}: exit $rc" >&2
	cleanup
	return $rc
}

list=$(benchmarks "$@") || exit $?
if [ -z "$list" ]; then
	echo "bench: nothing built in build/bench" >&2
	exit 1
fi
start_servers
ran=0 failed=0
while IFS= read -r bin; do
	ran=$((ran + 1))
	run_one "$bin" || failed=$((failed + 1))
done <<<"$list"
echo "bench: $ran run, $failed failed"
[ $failed -eq 0 ]
