#!/usr/bin/env bash
# bench_smoke - every benchmark runs small and its two sides agree (each
# benchmark checks what it read against its peer and exits 1 otherwise).
. "$(dirname "$0")/../lib/harness.sh"

for b in "$REPO/$MQ_BUILD"/bench/*; do
	name=$(basename "$b")
	mkdir "$TMP/$name"
	expect_status "$name runs small and agrees with its peer" 0 \
		env MQ_BENCH_ROWS=5000 MQ_BENCH_LOOKUPS=20000 "$b" "$TMP/$name"
	expect_grep "$name prints a ratio" "ratio" "$TMP/last.out"
done
finish
