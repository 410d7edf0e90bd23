#!/usr/bin/env bash
#
# NAME
#	run.sh - run mq's benchmarks and print their figures
# SYNOPSIS
#	bench/run.sh [NAME...]
# DESCRIPTION
#	Runs every benchmark built into build/bench/ (or those NAMEd), one
#	after the other, each in a fresh temporary directory that it gets
#	both as its first argument and as $MQ_BENCH_DIR, and as its
#	working directory.  The directory is removed afterwards.  Each
#	benchmark prints its own figures; this script adds a "== NAME"
#	line before and a summary line at the end.
#
#	$MQ_BENCH_TIMEOUT (seconds, default 300) bounds each benchmark.
#	$MQ_BENCH_ROWS, $MQ_BENCH_LOOKUPS and the like pass through to the
#	benchmarks unchanged.
# DIAGNOSTICS
#	Exit 0 when every benchmark exited 0, 1 otherwise (a timeout
#	counts as a failure), 64 for a NAME that is not built.

set -u

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bindir="$root/${MQ_BUILD:-build}/bench"
limit=${MQ_BENCH_TIMEOUT:-300}
tmp=""

cleanup() {
	[ -n "$tmp" ] && rm -rf -- "$tmp"
	tmp=""
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT TERM

# benchmarks - the benchmark binaries to run, one per line.
benchmarks() {
	local name f
	if [ $# -eq 0 ]; then
		for f in "$bindir"/*; do
			name=${f##*/}
			case $name in *.*) continue ;; esac
			[ -f "$f" ] && [ -x "$f" ] && printf '%s\n' "$f"
		done
		return 0
	fi
	for name in "$@"; do
		name=${name##*/}
		name=${name%.c}
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
ran=0 failed=0
while IFS= read -r bin; do
	ran=$((ran + 1))
	run_one "$bin" || failed=$((failed + 1))
done <<<"$list"
echo "bench: $ran run, $failed failed"
[ $failed -eq 0 ]
