#!/usr/bin/env bash
#
# NAME
#	memory.sh - what the lookup sets and an HTTP load cost mq serve in
#	memory
# SYNOPSIS
#	bench/memory.sh [DIR]
# DESCRIPTION
#	Starts the static release binary as mq serve twice on a free
#	loopback port, each time once its lookup set is built (from
#	/metrics):
#	  (a) on an empty store: the baseline;
#	  (b) on a store of MQ_BENCH_HTTP_ROWS (default 10000) capacity
#	      rows, MQ_BENCH_RULES (default 1000) fnmatch capacity_rules
#	      and MQ_BENCH_PATTERNS (default 1000) dkim_patterns (exact,
#	      substr and fnmatch in turn) over 250 Ed25519 keys, after 20
#	      dkim lookups on new connections (each HTTP worker builds its
#	      DKIM set at its first), and again after wrk -t2 -c100
#	      capacity lookups (bench/http_lookup.lua) for
#	      MQ_BENCH_SECONDS (default 10).
#	For each it prints the process's anonymous memory (RssAnon: the
#	heap, the lookup sets, the threads' stacks) and its private
#	resident memory (Private_Clean + Private_Dirty of smaps_rollup:
#	the anonymous memory and the pages of the store's map that no
#	other process shares), and the difference (b) - (a) of the
#	anonymous memory, which is what the lookup sets add.  Goals
#	(issue 15): the sets add at most 20 MB; the private memory after
#	the load is at most 30 MB.  MQ_BUILD names the build directory.
# DIAGNOSTICS
#	Exit 0; 1 when mq serve did not start, a lookup answered >= 400 or
#	failed, or the store could not be written.

set -u

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MQ=$root/${MQ_BUILD:-build}/mq
READ_LUA=$root/bench/http_lookup.lua
ROWS=${MQ_BENCH_HTTP_ROWS:-10000}
RULES=${MQ_BENCH_RULES:-1000}
PATTERNS=${MQ_BENCH_PATTERNS:-1000}
SECS=${MQ_BENCH_SECONDS:-10}
KEYS=250
dir=${1:-}
BENCH=memory
. "$root/bench/lib.sh"
own_dir=
mq_pid=

cleanup() {
	stop_mq
	[ -n "$own_dir" ] && rm -rf -- "$own_dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

stop_mq() {
	[ -n "$mq_pid" ] && kill -TERM "$mq_pid" 2>/dev/null && wait "$mq_pid"
	mq_pid=
}

# settings - the capacity rows and rules, the dkim keys and patterns.
settings() {
	local key i
	capacity_rows "$ROWS" | "$MQ" set capacity - > /dev/null ||
		die "cannot write the capacity rows"
	capacity_rules "$RULES" "$ROWS" | "$MQ" set capacity_rules - > /dev/null ||
		die "cannot write the rules"
	key=$(openssl genpkey -algorithm ed25519 2> /dev/null) ||
		die "openssl cannot make an Ed25519 key"
	for i in $(seq 1 $KEYS); do
		"$MQ" set dkim_keys domain="k$i.example" selector=s1 \
			algorithm=ed25519-sha256 "privatekey=$key" > /dev/null ||
			die "cannot write dkim key $i"
	done
	{ printf 'dkim_key\ttype\tsign\n'
	  seq 0 $((PATTERNS - 1)) | awk -v keys=$KEYS '{
		k = $1 % keys + 1
		if ($1 % 3 == 0) printf "%d\texact\tp%d.example\n", k, $1
		else if ($1 % 3 == 1) printf "%d\tsubstr\tsub%d.\n", k, $1
		else printf "%d\tfnmatch\t*@f%d.example\n", k, $1 }'
	} | "$MQ" set dkim_patterns - > /dev/null || die "cannot write the dkim patterns"
}

# start_mq NAME - mq serve on $MQ_STORE_PATH, once it answers a lookup.
start_mq() {
	local port
	port=$(free_port) || die "no free port"
	url=http://127.0.0.1:$port
	MQ_WWW_IP=127.0.0.1 MQ_WWW_PORT=$port "$MQ" serve 2> "$dir/serve.$1.log" &
	mq_pid=$!
	# a lookup answers from the built set
	wait_http "$url/v1/lookup/capacity?localip=192.0.2.1&domain=d0.example" \
		"$mq_pid" ||
		die "mq serve ($1) does not answer: $(tail -n 3 "$dir/serve.$1.log")"
}

# memory_of PID - "ANON PRIVATE" in kB
memory_of() {
	local anon private
	anon=$(awk '$1 == "RssAnon:" { print $2 }' "/proc/$1/status")
	private=$(awk '$1 == "Private_Clean:" || $1 == "Private_Dirty:" { s += $2 }
		END { print s }' "/proc/$1/smaps_rollup")
	echo "$anon $private"
}

# report LABEL ANON PRIVATE
report() {
	awk -v l="$1" -v a="$2" -v p="$3" 'BEGIN {
		printf "%-34s anonymous %6.1f MB  private %6.1f MB\n", l, a / 1024, p / 1024 }'
}

command -v wrk > /dev/null || die "wrk is not installed (./build.sh deps)"
[ -x "$MQ" ] || die "$MQ is not built (make release)"
if [ -z "$dir" ]; then
	dir=$(mktemp -d) && own_dir=$dir || die "cannot make a directory"
fi

export MQ_STORE_PATH="$dir/empty.mdb"
"$MQ" stat > /dev/null 2>&1 || true
start_mq empty
set -- $(memory_of "$mq_pid")
empty_anon=$1
report "empty store" "$1" "$2"
stop_mq

export MQ_STORE_PATH="$dir/settings.mdb"
settings
start_mq settings
# each HTTP worker builds its DKIM set at its first dkim lookup: ask on
# new connections until every worker has answered one
for i in $(seq 1 20); do
	curl -s --max-time 5 "$url/v1/lookup/dkim?from=u@p$((i * 3)).example" |
		grep -q '"selector"' || die "dkim lookup $i found no key"
done
set -- $(memory_of "$mq_pid")
set_anon=$1
report "$ROWS rows, $RULES rules, $PATTERNS dkim" "$1" "$2"
line=$(wrk -t2 -c100 -d"${SECS}s" --timeout 10s -s "$READ_LUA" "$url" -- "$ROWS" |
	grep '^wrk:') || die "wrk failed"
set -- $line
[ "${13}" = 0 ] && [ "${15}" = 0 ] ||
	die "wrk: ${13} answers >= 400, ${15} socket errors"
echo "wrk -t2 -c100 -d${SECS}s: $2 requests/s"
set -- $(memory_of "$mq_pid")
report "the same after the HTTP load" "$1" "$2"
awk -v d=$((set_anon - empty_anon)) -v p="$2" 'BEGIN {
	printf "the lookup sets add %.1f MB of anonymous memory (goal 20 MB); private after the load %.1f MB (goal 30 MB)\n", d / 1024, p / 1024 }'
