#!/usr/bin/env bash
# http_load - 100 keep-alive clients for MQ_LOAD_SECONDS (default 30)
# mixing capacity lookups with API writes: zero 5xx, zero other non-2xx,
# zero socket errors, zero lost writes (the rows written equal the POSTs
# answered).  First against the sanitized build, then against the static
# release binary serving a store that also holds a 1M-subscriber list:
# its requests/s, p99 and private RSS are printed as "# figure:" lines.
# The RSS asserted (<= 30 MB) leaves out the store's pages: they live in
# the page cache, which smaps counts as private while no other process
# maps them (see private_rss).
# Last, bench/http.sh runs for 2 s, so that the benchmark never rots.
. "$(dirname "$0")/../lib/harness.sh"

SECONDS_RUN=${MQ_LOAD_SECONDS:-30}
ROWS=4000
SUBSCRIBERS=${MQ_LOAD_SUBSCRIBERS:-1000000}
RSS_LIMIT_KB=$((30 * 1024))
TOKEN=load-test-token-$$
LUA="$REPO/tests/integration/http_load.lua"
. "$REPO/tests/lib/serve.sh"
PID=

# start_serve BINARY - mq serve of $MQ_STORE_PATH on a free port
start_serve() {
	SERVE_BIN=$1 serve_start "$TMP/serve.log" \
		MQ_STORE_PATH="$MQ_STORE_PATH" MQ_WWW_TOKEN="$TOKEN" &&
		PID=$SERVE_PID
}

# stop_serve NAME - SIGTERM, and the exit status must be 0.
stop_serve() {
	kill -TERM "$PID"
	wait "$PID"
	expect_eq "$1: SIGTERM stops mq serve with status 0" 0 "$?"
	PID=
}

# capacity_rows - ROWS capacity rows as 'mq set capacity -' input.
capacity_rows() {
	printf 'localip\tdomain\tdomain_maxconnections\n'
	seq 0 $((ROWS - 1)) |
		awk '{ printf "192.0.2.%d\td%d.example\t%d\n", $1 % 250 + 1, $1, $1 % 50 + 1 }'
}

# load NAME - run wrk against the serve; its output in $TMP/NAME.wrk.
load() {
	local name=$1 post_seconds=$((SECONDS_RUN > 4 ? SECONDS_RUN - 3 : 1))
	wrk -t2 -c100 -d"${SECONDS_RUN}s" --timeout 10s -s "$LUA" \
		"http://127.0.0.1:$PORT" -- "$TOKEN" "$ROWS" "$post_seconds" \
		> "$TMP/$name.wrk" 2>&1
}

# figure NAME KEY - a number from the "load:" lines of $TMP/NAME.wrk.
figure() {
	case $2 in
	posts) awk '/^load: posts/ { print $3 }' "$TMP/$1.wrk" ;;
	errors) awk '/^load: socket errors/ { print $4 }' "$TMP/$1.wrk" ;;
	201) awk '/^load: status 201 / { n += $4 } END { print n + 0 }' "$TMP/$1.wrk" ;;
	5xx) awk '/^load: status 5/ { n += $4 } END { print n + 0 }' "$TMP/$1.wrk" ;;
	non2xx) awk '/^load: status [^2]/ { n += $4 } END { print n + 0 }' "$TMP/$1.wrk" ;;
	esac
}

# check_load NAME - the assertions on one run.
check_load() {
	local name=$1 posts rows
	check "$name: wrk ran" grep -q '^load: requests' "$TMP/$name.wrk" ||
		sed 's/^/# /' "$TMP/$name.wrk"
	expect_eq "$name: zero 5xx" 0 "$(figure "$name" 5xx)"
	expect_eq "$name: zero non-2xx answers" 0 "$(figure "$name" non2xx)"
	expect_eq "$name: zero socket errors" 0 "$(figure "$name" errors)"
	posts=$(figure "$name" posts)
	check "$name: writes were part of the load" test "${posts:-0}" -gt 0
	expect_eq "$name: every POST was answered 201 Created" "$posts" "$(figure "$name" 201)"
	rows=$("$MQ_STATIC" dump locals | cut -f3 | grep -c '^load-')
	expect_eq "$name: zero lost writes (locals rows = POSTs answered)" "$posts" "$rows"
	expect_eq "$name: every written address is there once" "$posts" \
		"$("$MQ_STATIC" dump locals | cut -f3 | grep '^load-' | sort -u | wc -l)"
	grep '^load: ' "$TMP/$name.wrk" | sed "s/^load:/# figure: $name:/"
}

# private_rss - of the serve $PID, in kB: RSS_ALL its Private_Clean +
#	Private_Dirty, RSS_MAP the part that is the store file's map, and
#	RSS_OWN the rest (heap, stacks, the binary).  smaps counts a page
#	of the page cache that only this process maps as private: the
#	store's pages are shared with every other process that maps it
#	and are dropped under memory pressure, so RSS_OWN is what mq
#	serve itself costs.
private_rss() {
	read -r RSS_ALL RSS_MAP < <(awk -v store="$MQ_STORE_PATH" '
		/^[0-9a-f]+-[0-9a-f]+ / { map = ($6 == store) }
		/^Private_(Clean|Dirty):/ { all += $2; if (map) mine += $2 }
		END { print all + 0, mine + 0 }' "/proc/$PID/smaps")
	RSS_OWN=$((RSS_ALL - RSS_MAP))
}

# 1. The sanitized build under the mixed load.
export MQ_STORE_PATH="$TMP/asan.mdb"
check "$ROWS capacity rows" "$MQ_STATIC" set capacity - < <(capacity_rows)
if start_serve "$MQ"; then
	ok "asan: mq serve answers"
	load asan
	check_load asan
	stop_serve asan
else
	fail "asan: mq serve answers" "$(tail -n 15 "$TMP/serve.log")"
fi

# 2. The static binary, a 1M-subscriber list in the store: the load, the
#    list streamed once, then the RSS.
export MQ_STORE_PATH="$TMP/static.mdb"
check "$ROWS capacity rows" "$MQ_STATIC" set capacity - < <(capacity_rows)
check "a list" "$MQ_STATIC" list-create big
check "$SUBSCRIBERS subscribers" "$MQ_STATIC" sub big - \
	< <(seq 1 "$SUBSCRIBERS" | sed 's/.*/user&@example.org/')
expect_eq "the list holds them" "$SUBSCRIBERS" "$("$MQ_STATIC" list big | wc -l)"
if start_serve "$MQ_STATIC"; then
	ok "static: mq serve answers"
	load static
	check_load static
	expect_eq "static: the whole list streams over HTTP" "$SUBSCRIBERS" \
		"$(curl -s --max-time 60 "http://127.0.0.1:$PORT/v1/lists/big/subscribers?format=text" | wc -l)"
	private_rss
	echo "# figure: static: private RSS after the load ${RSS_ALL} kB" \
		"(Private_Clean + Private_Dirty), of which ${RSS_MAP} kB are" \
		"store pages in the page cache mapped by no other process;" \
		"without them ${RSS_OWN} kB ($((RSS_OWN / 1024)) MB), $SUBSCRIBERS subscribers"
	check "static: private RSS but the store's page cache ${RSS_OWN} kB <= $RSS_LIMIT_KB kB" \
		test "$RSS_OWN" -le "$RSS_LIMIT_KB"
	stop_serve static
else
	fail "static: mq serve answers" "$(tail -n 15 "$TMP/serve.log")"
fi

# 3. The HTTP benchmark (bench/http.sh) runs short and mq answers no error.
mkdir "$TMP/bench"
expect_status "bench/http.sh runs for 2 s without an error from mq" 0 \
	env MQ_BENCH_SECONDS=2 MQ_BENCH_HTTP_ROWS=2000 "$REPO/bench/http.sh" "$TMP/bench"
expect_grep "and prints its ratio to nginx" '^ratio mq/nginx requests/s [0-9.]+$' "$TMP/last.out"
sed 's/^/# bench: /' "$TMP/last.out"
expect_no_grep "no error in the serve log" 'AddressSanitizer|runtime error' "$TMP/serve.log"
finish
