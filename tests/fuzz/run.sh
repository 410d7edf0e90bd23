#!/usr/bin/env bash
# NAME
#	run.sh - run one fuzz target from its seed corpus for a while
# SYNOPSIS
#	tests/fuzz/run.sh TARGET SECONDS [LIBFUZZER-FLAG...]
# DESCRIPTION
#	Runs build/fuzz/TARGET (made by "make fuzz"; MQ_BUILD names
#	another build directory) for SECONDS on the corpus that earlier
#	runs grew and the seeds tests/fuzz/corpus/TARGET, with
#	tests/fuzz/TARGET.dict when there is one.  New inputs go to
#	$FUZZ_WORK/corpus/TARGET, never into the tree; a crashing input
#	is written to $FUZZ_CRASHES (FUZZ_WORK defaults to
#	build/fuzz/work, FUZZ_CRASHES to $FUZZ_WORK/crashes).  Extra
#	flags go to libFuzzer: -jobs=N -workers=N, -max_len=N, -runs=N,
#	... (tests/README.md).
#
#	The fuzzer runs in $FUZZ_WORK, its output going to
#	$FUZZ_WORK/TARGET.log (and, with -jobs, each job's to
#	fuzz-N.log there).  The last line
#	printed is "TARGET: N execs in S s, 0 crashes" (exit 0), or
#	"TARGET: N execs, crash: PATH" after the report's main lines
#	(exit 1).
#
#	Sanitizer options are set here, whatever the environment says:
#	a finding stops the run, and the leak check at exit is libFuzzer's.

set -uo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${MQ_BUILD:-build}

if [ $# -lt 2 ] || ! [[ $2 =~ ^[0-9]+$ ]]; then
	echo "usage: tests/fuzz/run.sh TARGET SECONDS [LIBFUZZER-FLAG...]" >&2
	exit 64
fi
target=$1 seconds=$2
shift 2
bin=$REPO/$BUILD/fuzz/$target
seeds=$REPO/tests/fuzz/corpus/$target
work=${FUZZ_WORK:-$REPO/$BUILD/fuzz/work}
dict=$REPO/tests/fuzz/$target.dict
crashes=${FUZZ_CRASHES:-$work/crashes}
log=$work/$target.log

if [ ! -x "$bin" ] || [ ! -d "$seeds" ]; then
	echo "$target: no such fuzz target (make fuzz builds $BUILD/fuzz/*)" >&2
	exit 64
fi
mkdir -p "$work/corpus/$target" "$crashes" || exit 70
# absolute: the fuzzer runs in $work
work=$(cd "$work" && pwd) crashes=$(cd "$crashes" && pwd) log=$work/$target.log
flags=(-max_total_time="$seconds" -print_final_stats=1 -timeout=60
	-artifact_prefix="$crashes/$target-")
[ -f "$dict" ] && flags+=(-dict="$dict")

export ASAN_OPTIONS=abort_on_error=1:detect_leaks=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1

# The first corpus directory receives the new inputs; the seeds are
# only read.  Crash files of an earlier run are not this run's.
cd "$work" || exit 70
rm -f fuzz-[0-9]*.log
started=$(date +%s)
before=$(ls "$crashes" | grep -c "^$target-")
"$bin" "${flags[@]}" "$@" "$work/corpus/$target" "$seeds" >"$log" 2>&1
status=$?
elapsed=$(($(date +%s) - started))
# one process's count, or the sum of the jobs' counts
execs=$(cat "$log" fuzz-[0-9]*.log 2>/dev/null |
	sed -n 's/^stat::number_of_executed_units: *//p' |
	awk '{ n += $1 } END { print n + 0 }')
crash=$(cat "$log" fuzz-[0-9]*.log 2>/dev/null |
	grep -ao "Test unit written to .*" | tail -n 1 |
	sed 's/^Test unit written to //')
if [ "$status" = 0 ] && [ -z "$crash" ] &&
	[ "$before" = "$(ls "$crashes" | grep -c "^$target-")" ]; then
	echo "$target: $execs execs in $elapsed s, 0 crashes"
	exit 0
fi
# the report's head, and its stack frames in mq's own sources
head="^(==[0-9]+==ERROR|SUMMARY|fuzz: |[^ ]*runtime error)"
cat "$log" fuzz-[0-9]*.log 2>/dev/null |
	grep -aE "$head|^ +#[0-9]+ .* $REPO/" | head -n 24
echo "$target: $execs execs, crash:" \
	"${crash:-none written, exit status $status; see $log}"
exit 1
