#!/usr/bin/env bash
# bench_smoke - every benchmark runs small and its two sides agree (each
# benchmark checks what it read against its peer and exits 1 otherwise);
# so do bench/memory.sh and bench/lookup_change.sh, for a second each.
. "$(dirname "$0")/../lib/harness.sh"

for b in "$REPO/$MQ_BUILD"/bench/*; do
	name=$(basename "$b")
	mkdir "$TMP/$name"
	expect_status "$name runs small and agrees with its peer" 0 \
		env MQ_BENCH_ROWS=5000 MQ_BENCH_LOOKUPS=20000 "$b" "$TMP/$name"
	expect_grep "$name prints a ratio" "ratio" "$TMP/last.out"
done

# The shell benchmarks mq serve runs under (bench/http.sh runs in
# http_load.sh), small and short: each checks the answers it measured.
small="MQ_BENCH_SECONDS=1 MQ_BENCH_HTTP_ROWS=2000 MQ_BENCH_RULES=100"
mkdir "$TMP/memory.sh" "$TMP/lookup_change.sh"
expect_status "memory.sh runs small" 0 env $small MQ_BENCH_PATTERNS=100 \
	MQ_BUILD="$MQ_BUILD" "$REPO/bench/memory.sh" "$TMP/memory.sh"
expect_grep "memory.sh prints what the sets add" \
	'^the lookup sets add [0-9.]+ MB .* private after the load [0-9.]+ MB' \
	"$TMP/last.out"
expect_status "lookup_change.sh runs small" 0 env $small MQ_BENCH_TRIES=2 \
	MQ_BENCH_WRITES=10 MQ_BUILD="$MQ_BUILD" "$REPO/bench/lookup_change.sh" \
	"$TMP/lookup_change.sh"
expect_grep "lookup_change.sh prints its ratios" 'ratio' "$TMP/last.out"
finish
