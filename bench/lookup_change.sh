#!/usr/bin/env bash
#
# NAME
#	lookup_change.sh - lookups while the settings change: mq serve
#	answering capacity lookups under API writes
# SYNOPSIS
#	bench/lookup_change.sh [DIR]
# DESCRIPTION
#	Writes MQ_BENCH_HTTP_ROWS (default 10000) capacity rows and
#	MQ_BENCH_RULES (default 1000) fnmatch capacity_rules into a store
#	in DIR (default: a new temporary directory), starts the static
#	release binary as mq serve on a free loopback port, and prints:
#	  (a) the full build of the lookup set at start (from /metrics);
#	  (b) wrk -t2 -c50 capacity lookups (bench/http_lookup.lua) for
#	      MQ_BENCH_SECONDS (default 10) without writes, then the same
#	      with MQ_BENCH_WRITES (default 50) API writes a second spread
#	      over capacity, paused and locals (bench/lookup_write.lua):
#	      requests/s and p99 of each and their ratios (goals: 0.9 or
#	      more for requests/s, 2 or less for p99), and the capacity
#	      parts built during the writes: how many, how many of them
#	      incremental (only the domains a write touched), and their
#	      mean CPU time (from /metrics);
#	  (c) write-to-visible: from the start of a write until an HTTP
#	      lookup answers the written value, for an API write and for
#	      an mq set by another process (the median and the worst of
#	      MQ_BENCH_TRIES, default 10);
#	  (d) mq lookup capacity end to end against mq stat, run in turn
#	      MQ_BENCH_TRIES times each: median wall time, mean CPU time,
#	      and their ratios.
#	Every answer checked is the written or stored value, so a run
#	that measured nothing fails.  MQ_BUILD names the build directory
#	(default build); bench/run.sh runs this script after bench/http.sh.
# DIAGNOSTICS
#	Exit 0; 1 when mq answered a request with a status >= 400, a
#	socket failed, an answer was not the value written or stored, a
#	write did not become visible within 2 s, or mq serve did not start.

set -u

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MQ=$root/${MQ_BUILD:-build}/mq
READ_LUA=$root/bench/http_lookup.lua
WRITE_LUA=$root/bench/lookup_write.lua
ROWS=${MQ_BENCH_HTTP_ROWS:-10000}
RULES=${MQ_BENCH_RULES:-1000}
SECS=${MQ_BENCH_SECONDS:-10}
WRITES=${MQ_BENCH_WRITES:-50}
TRIES=${MQ_BENCH_TRIES:-10}
WRITERS=10	# connections sharing the writes: a slow answer slows one
TOKEN=bench-lookup-change-$$
dir=${1:-}
BENCH=lookup_change
. "$root/bench/lib.sh"
own_dir=
mq_pid=

cleanup() {
	[ -n "$mq_pid" ] && kill -TERM "$mq_pid" 2>/dev/null && wait "$mq_pid"
	[ -n "$own_dir" ] && rm -rf -- "$own_dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# store_rows - the capacity rows and rules, written with mq set.
store_rows() {
	capacity_rows "$ROWS" | "$MQ" set capacity - > /dev/null ||
		die "cannot write the capacity rows"
	capacity_rules "$RULES" "$ROWS" | "$MQ" set capacity_rules - > /dev/null ||
		die "cannot write the rules"
}

# metric NAME - one value from /metrics.
metric() {
	curl -s --max-time 5 "$url/metrics" | awk -v n="$1" '$1 == n { print $2 }'
}

# start_mq - mq serve on the store; sets url, mq_pid.
start_mq() {
	local port
	port=$(free_port) || die "no free port"
	url=http://127.0.0.1:$port
	MQ_WWW_PORT=$port MQ_WWW_TOKEN=$TOKEN "$MQ" serve 2> "$dir/serve.log" &
	mq_pid=$!
	wait_http "$url/health" "$mq_pid" ||
		die "mq serve does not answer: $(tail -n 3 "$dir/serve.log")"
}

# limit_of I FIELD - a capacity lookup of row I over HTTP: FIELD's value.
limit_of() {
	curl -s --max-time 5 "$url/v1/lookup/capacity?localip=192.0.2.$(($1 % 250 + 1))&domain=d$1.example" |
		grep -o "\"$2\":-\?[0-9]*" | head -n 1 | cut -d: -f2
}

# run_reads NAME - the lookup wrk run; sets rps_NAME, p99_NAME.
run_reads() {
	local line
	line=$(wrk -t2 -c50 -d"${SECS}s" --timeout 10s -s "$READ_LUA" "$url" -- "$ROWS" |
		grep '^wrk:') || die "wrk ($1) failed"
	set -- "$1" $line
	printf '(b) %-9s %8.0f lookups/s  p50 %s ms  p99 %s ms\n' "$1" "$3" "$6" "$9"
	printf -v "rps_$1" '%s' "$3"
	printf -v "p99_$1" '%s' "$9"
	[ $((${14} + ${16})) = 0 ] || die "$1: ${14} answers >= 400, ${16} socket errors"
}

# capacity_builds - the capacity parts built so far: count, incremental,
#	CPU seconds ("-" for a figure this mq does not give).
capacity_builds() {
	local m
	m=$(curl -s --max-time 5 "$url/metrics")
	echo "$m" | awk '
		$1 == "mq_lookup_parts_built_total{part=\"capacity\"}" { n = $2 }
		$1 == "mq_lookup_capacity_incremental_total" { i = $2 }
		$1 == "mq_lookup_part_build_cpu_seconds_total{part=\"capacity\"}" { c = $2 }
		END { print (n == "" ? "-" : n), (i == "" ? "-" : i), (c == "" ? "-" : c) }'
}

# writes_during - the writer wrk beside run_reads writes.
writes_during() {
	local out=$dir/writes.out before after
	wrk -t1 -c"$WRITERS" -d"${SECS}s" --timeout 10s -s "$WRITE_LUA" "$url" -- \
		"$TOKEN" "$ROWS" "$WRITES" "$WRITERS" > "$out" &
	local wpid=$!
	before=$(capacity_builds)
	run_reads writes
	wait "$wpid"
	after=$(capacity_builds)
	awk -v a="$before" -v b="$after" 'BEGIN { split(a, x, " "); split(b, y, " ")
		n = y[1] - x[1]
		if (y[3] == "-" || n <= 0) { printf "(b) capacity parts built during the writes: %d\n", n; exit }
		printf "(b) capacity parts built during the writes: %d (%d incremental), %.2f ms CPU each\n",
			n, y[2] - x[2], (y[3] - x[3]) * 1000 / n }'
	set -- $(grep '^wrk:' "$out")
	echo "(b) $3 writes in ${SECS}s ($(awk -v w="$3" -v s="$SECS" 'BEGIN { printf "%.1f", w / s }')/s)"
	[ $(($5 + $7)) = 0 ] || die "the writes: $5 answers >= 400, $7 socket errors"
}

# write_to_visible HOW - TRIES writes (HOW: api, a POST; cli, an mq set by
#	another process), each timed from its start until an HTTP lookup
#	(polled over one keep-alive connection) answers the written value:
#	the median and the worst.
write_to_visible() {
	python3 - "$1" "$url" "$TOKEN" "$MQ" "$TRIES" "$ROWS" <<'PY' || die "$1 writes did not become visible"
import http.client, json, subprocess, sys, time, urllib.parse
how, url, token, mq = sys.argv[1:5]
tries, rows = int(sys.argv[5]), int(sys.argv[6])
u = urllib.parse.urlparse(url)
conn = http.client.HTTPConnection(u.hostname, u.port, timeout=5)
def limit(i):
    conn.request("GET", "/v1/lookup/capacity?localip=192.0.2.%d&domain=d%d.example"
                 % (i % 250 + 1, i))
    return json.loads(conn.getresponse().read())["domain_maxmessages"]
ms = []
for t in range(tries):
    i, v = (t * 37 + 11) % rows, 900000 + t + (1000 if how == "cli" else 0)
    t0 = time.monotonic()
    if how == "api":
        w = http.client.HTTPConnection(u.hostname, u.port, timeout=5)
        w.request("POST", "/v1/tables/capacity",
                  json.dumps({"id": i + 1, "domain_maxmessages": v}),
                  {"Authorization": "Bearer " + token,
                   "Content-Type": "application/json"})
        if w.getresponse().status >= 400:
            sys.exit("the API write failed")
    else:
        subprocess.run([mq, "set", "capacity", "id=%d" % (i + 1),
                        "domain_maxmessages=%d" % v], check=True,
                       stdout=subprocess.DEVNULL)
    while limit(i) != v:
        if time.monotonic() - t0 > 2:
            sys.exit("row %d: %d not visible after 2 s" % (i + 1, v))
        time.sleep(0.001)
    ms.append((time.monotonic() - t0) * 1000)
ms.sort()
print("(c) %s write to visible: median %.1f ms, worst %.1f ms (%d writes)"
      % (how, ms[(len(ms) - 1) // 2], ms[-1], len(ms)))
PY
}

# lookup_vs_stat - mq lookup capacity and mq stat, TRIES runs each in
#	turn (so both meet the same load): the median wall time and the
#	mean CPU time (user + system) of each, and their ratios.
lookup_vs_stat() {
	python3 - "$MQ" "$TRIES" <<'PY' || die "mq lookup capacity or mq stat failed"
import resource, statistics, subprocess, sys, time
mq, tries = sys.argv[1], int(sys.argv[2])
cmds = {"lookup": [mq, "lookup", "capacity", "192.0.2.235", "d1234.example"],
        "stat": [mq, "stat"]}
wall = {k: [] for k in cmds}
cpu = {k: 0.0 for k in cmds}
for _ in range(tries):
    for k, cmd in cmds.items():
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.monotonic()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        wall[k].append((time.monotonic() - t0) * 1000)
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu[k] += (r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime) * 1000
lw, sw = statistics.median(wall["lookup"]), statistics.median(wall["stat"])
lc, sc = cpu["lookup"] / tries, cpu["stat"] / tries
print("(d) mq lookup capacity %.1f ms (%.1f ms CPU), mq stat %.1f ms (%.1f ms CPU), "
      "ratio %.2f (CPU %.2f); medians of %d runs in turn" %
      (lw, lc, sw, sc, lw / sw if sw else 0, lc / sc if sc else 0, tries))
PY
}

command -v wrk > /dev/null || die "wrk is not installed (./build.sh deps)"
command -v python3 > /dev/null || die "python3 is not installed"
[ -x "$MQ" ] || die "$MQ is not built (make release)"
if [ -z "$dir" ]; then
	own_dir=$(mktemp -d "${TMPDIR:-/tmp}/mq-bench-lookup.XXXXXX") || exit 1
	dir=$own_dir
fi
export MQ_STORE_PATH=$dir/mq.mdb MQ_WWW_IP=127.0.0.1

store_rows
start_mq
echo "$ROWS capacity rows, $RULES fnmatch rules; wrk -t2 -c50 -d${SECS}s"
printf '(a) full build of the lookup set at start: %.1f ms (%.1f ms CPU)\n' \
	"$(metric mq_lookup_set_build_seconds_max | awk '{ print $1 * 1000 }')" \
	"$(metric mq_lookup_set_build_cpu_seconds_max | awk '{ print $1 * 1000 }')"
[ "$(limit_of 1234 domain_maxconnections)" = $((1234 % 50 + 1)) ] ||
	die "a sample lookup is not row 1234's"

run_reads nowrite
writes_during
awk -v a="$rps_writes" -v b="$rps_nowrite" -v c="$p99_writes" -v d="$p99_nowrite" 'BEGIN {
	printf "(b) ratio with/without writes: lookups/s %.2f (goal >= 0.9), p99 %.2f (goal <= 2)\n",
		(b > 0 ? a / b : 0), (d > 0 ? c / d : 0) }'
echo "(b) parts built: $(curl -s "$url/metrics" | awk '/^mq_lookup_parts_built_total/ { sub(/.*part="/, ""); sub(/"}/, ""); printf "%s=%s ", $1, $2 }')"

write_to_visible api
write_to_visible cli

"$MQ" lookup capacity 192.0.2.235 d1234.example |
	grep -q "^domain_maxconnections	$((1234 % 50 + 1))	localip+domain	1235$" ||
	die "mq lookup capacity does not answer row 1235"
lookup_vs_stat
exit 0
