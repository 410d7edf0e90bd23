#!/usr/bin/env bash
# fuzz_smoke - every fuzz target of tests/fuzz/ runs briefly from its seed
# corpus (MQ_FUZZ_SMOKE_SECONDS each, default 17) and crashes on nothing:
# one line per target with its exec count and "0 crashes".  A crash fails
# the target's line and names the input that caused it, kept under
# build/fuzz/smoke-crashes/; tests/README.md says how to reproduce it.
# The targets are made first (make fuzz), so a stale build is never run.
. "$(dirname "$0")/../lib/harness.sh"

SMOKE_SECONDS=${MQ_FUZZ_SMOKE_SECONDS:-17}
CRASHES=$REPO/$MQ_BUILD/fuzz/smoke-crashes

check "the fuzz targets build (make fuzz)" \
	make -C "$REPO" -s -j2 B="$MQ_BUILD" fuzz
for src in "$REPO"/tests/fuzz/*.c; do
	name=$(basename "$src" .c)
	[ "$name" = fuzz_util ] && continue
	# a fresh corpus each run: the smoke starts from the seeds only
	FUZZ_WORK=$TMP/work FUZZ_CRASHES=$CRASHES \
		"$REPO/tests/fuzz/run.sh" "$name" "$SMOKE_SECONDS" \
		>"$TMP/$name.out" 2>&1
	status=$?
	result=$(tail -n 1 "$TMP/$name.out")
	if [ "$status" = 0 ]; then
		ok "$result"
	else
		# the report quotes the input, which may be any bytes
		fail "$result" "$(head -n -1 "$TMP/$name.out" |
			tr -c '[:print:]\n' '?')"
	fi
done
finish
