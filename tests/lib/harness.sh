# shellcheck shell=bash
# NAME
#	harness.sh - what every tests/integration/*.sh sources
# SYNOPSIS
#	. "$(dirname "$0")/../lib/harness.sh"
#	check NAME CMD...
#	finish
# DESCRIPTION
#	Sets REPO (the repository root), MQ (the sanitized build,
#	build/asan/mq), MQ_STATIC (the release binary, build/mq),
#	MQ_VALGRIND (build/valgrind/mq) and TMP (a new directory, removed
#	when the script exits).  The script's current directory becomes
#	TMP, so stray files never land in the repository.
#
#	Each check prints one TAP line, "ok N - NAME" or "not ok N - NAME"
#	followed by "#   " detail lines; N counts from 1 in each script.
#	tests/run.sh counts these lines.
#
#	ok NAME                    pass
#	fail NAME [DETAIL...]      fail, one detail line per argument
#	skip NAME REASON           fail, saying "skipped: REASON": a test
#	                           that could not run never counts as passed
#	check NAME CMD...          ok if CMD exits 0
#	expect_status NAME STATUS CMD...
#	                           ok if CMD exits with STATUS
#	expect_eq NAME EXPECTED ACTUAL
#	expect_grep NAME REGEX FILE       ok if an extended regex matches
#	expect_no_grep NAME REGEX FILE    ok if it matches no line
#	at_exit CMD                run CMD (a string, eval'ed) at exit,
#	                           before TMP is removed; do not set an
#	                           EXIT trap yourself
#	finish                     print "# N passed, N failed", exit 1
#	                           if any failed, else 0
#
#	check and expect_status keep the command's stdout and stderr in
#	$TMP/last.out for later greps, and show its tail on failure.
#
#	The harness sets no shell options: a script that wants set -e
#	must know that a failing check does not stop it (checks return 0
#	or 1; finish decides the exit status).

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
MQ_BUILD=${MQ_BUILD:-build}
MQ=$REPO/$MQ_BUILD/asan/mq
MQ_STATIC=$REPO/$MQ_BUILD/mq
MQ_VALGRIND=$REPO/$MQ_BUILD/valgrind/mq
TMP=$(mktemp -d "${TMPDIR:-/tmp}/mq-test.XXXXXX")
export REPO MQ_BUILD MQ MQ_STATIC MQ_VALGRIND TMP

# Sanitizer settings, for scripts run outside tests/run.sh too.
: "${ASAN_OPTIONS:=detect_leaks=1:abort_on_error=1}"
: "${UBSAN_OPTIONS:=halt_on_error=1:print_stacktrace=1}"
export ASAN_OPTIONS UBSAN_OPTIONS

HARNESS_N=0
HARNESS_PASSED=0
HARNESS_FAILED=0
HARNESS_AT_EXIT=()

# at_exit CMD - remember CMD for the exit trap
at_exit() {
	HARNESS_AT_EXIT+=("$1")
}

harness_exit() {
	local cmd
	for cmd in "${HARNESS_AT_EXIT[@]}"; do
		eval "$cmd" || true
	done
	cd / && { [ -n "${MQ_TEST_KEEP:-}" ] && echo "# kept $TMP" >&2 || rm -rf "$TMP"; }
}
trap harness_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

cd "$TMP" || exit 1

ok() {
	HARNESS_N=$((HARNESS_N + 1))
	HARNESS_PASSED=$((HARNESS_PASSED + 1))
	echo "ok $HARNESS_N - $1"
	return 0
}

fail() {
	local name=$1 line
	shift
	HARNESS_N=$((HARNESS_N + 1))
	HARNESS_FAILED=$((HARNESS_FAILED + 1))
	echo "not ok $HARNESS_N - $name"
	for line in "$@"; do
		printf '%s\n' "$line" | sed 's/^/#   /'
	done
	return 1
}

skip() {
	fail "$1" "skipped: ${2:-}"
}

# harness_tail - the last lines of $TMP/last.out, for a failure report
harness_tail() {
	tail -n 15 "$TMP/last.out" 2>/dev/null
}

check() {
	local name=$1 status
	shift
	"$@" >"$TMP/last.out" 2>&1
	status=$?
	if [ "$status" = 0 ]; then
		ok "$name"
	else
		fail "$name" "command: $*" "exit status: $status" "$(harness_tail)"
	fi
}

expect_status() {
	local name=$1 want=$2 got
	shift 2
	"$@" >"$TMP/last.out" 2>&1
	got=$?
	if [ "$got" = "$want" ]; then
		ok "$name"
	else
		fail "$name" "command: $*" "expected exit status $want, got $got" \
			"$(harness_tail)"
	fi
}

expect_eq() {
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		fail "$1" "expected: $2" "actual:   $3"
	fi
}

expect_grep() {
	if grep -Eq -- "$2" "$3" 2>/dev/null; then
		ok "$1"
	else
		fail "$1" "no line of $3 matches: $2" \
			"$(tail -n 15 "$3" 2>/dev/null)"
	fi
}

expect_no_grep() {
	local hits
	if hits=$(grep -E -- "$2" "$3" 2>/dev/null); then
		fail "$1" "a line of $3 matches: $2" "$hits"
	else
		ok "$1"
	fi
}

finish() {
	echo "# $HARNESS_PASSED passed, $HARNESS_FAILED failed"
	[ "$HARNESS_FAILED" = 0 ] && exit 0
	exit 1
}
