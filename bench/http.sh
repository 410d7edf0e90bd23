#!/usr/bin/env bash
#
# NAME
#	http.sh - capacity lookups over HTTP: mq serve beside nginx
# SYNOPSIS
#	bench/http.sh [DIR]
# DESCRIPTION
#	Writes MQ_BENCH_HTTP_ROWS (default 10000) capacity rows into a
#	store in DIR (default: a new temporary directory), starts the
#	static release binary as mq serve on a free loopback port, and
#	runs wrk -t2 -c100 for MQ_BENCH_SECONDS (default 10) with
#	bench/http_lookup.lua asking /v1/lookup/capacity over all rows.
#	Then nginx (Debian's), started here with a minimal nginx.conf of
#	its own (worker_processes 2, keep-alive, no access log), serves
#	one of mq's answers as a fixed body for every path, and gets the
#	same wrk run: nginx is the floor an HTTP server reaches on this
#	machine.  Prints requests/s and p99 for both and
#	"ratio mq/nginx" lines (requests/s above 1: mq is faster; p99
#	above 1: mq is slower).  Each server's CPU time (user and system,
#	every thread and worker process, from /proc) over its run gives
#	its CPU microseconds a request, and "requests per CPU second"
#	their ratio: the figure that holds when other work shares the
#	cores and the two runs do not see the same load.
#
#	MQ_BUILD names the build directory (default build); bench/run.sh
#	runs this script after the C benchmarks.
# DIAGNOSTICS
#	Exit 0; 1 when mq answered any request with a status >= 400 or
#	a socket failed, when a sample answer is not the row's, or when
#	either server does not start.

set -u

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MQ=$root/${MQ_BUILD:-build}/mq
LUA=$root/bench/http_lookup.lua
ROWS=${MQ_BENCH_HTTP_ROWS:-10000}
SECS=${MQ_BENCH_SECONDS:-10}
dir=${1:-}
BENCH=http
. "$root/bench/lib.sh"
own_dir=
mq_pid=
nginx_pid=

cleanup() {
	[ -n "$mq_pid" ] && kill -TERM "$mq_pid" 2>/dev/null && wait "$mq_pid"
	[ -n "$nginx_pid" ] && kill -TERM "$nginx_pid" 2>/dev/null && wait "$nginx_pid"
	[ -n "$own_dir" ] && rm -rf -- "$own_dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start_mq - the store and mq serve; sets mq_port, mq_pid.
start_mq() {
	export MQ_STORE_PATH=$dir/mq.mdb MQ_WWW_IP=127.0.0.1
	capacity_rows "$ROWS" | "$MQ" set capacity - > /dev/null ||
		die "cannot write the capacity rows"
	mq_port=$(free_port) || die "no free port"
	MQ_WWW_PORT=$mq_port "$MQ" serve 2> "$dir/serve.log" &
	mq_pid=$!
	wait_http "http://127.0.0.1:$mq_port/health" "$mq_pid" ||
		die "mq serve does not answer: $(tail -n 3 "$dir/serve.log")"
}

# sample_answer - one lookup's answer into $dir/www/answer.json, checked.
sample_answer() {
	local code i=1234
	mkdir -p "$dir/www"
	code=$(curl -s --max-time 5 -o "$dir/www/answer.json" -w '%{http_code}' \
		"http://127.0.0.1:$mq_port/v1/lookup/capacity?localip=192.0.2.$((i % 250 + 1))&domain=d$i.example")
	[ "$code" = 200 ] || die "a sample lookup answered $code"
	grep -Eq "\"domain_maxconnections\":$((i % 50 + 1))[,}]" \
		"$dir/www/answer.json" || die "the sample answer is not row d$i's: \
$(head -c 300 "$dir/www/answer.json")"
}

# start_nginx - nginx serving answer.json for every path; sets nginx_port.
start_nginx() {
	local conf=$dir/nginx.conf user=
	nginx_port=$(free_port) || die "no free port"
	mkdir -p "$dir/nginx-tmp"
	# As root nginx's workers would become nobody, who cannot enter DIR.
	[ "$(id -u)" = 0 ] && user="user root;"
	cat > "$conf" <<EOF
$user
worker_processes 2;
daemon off;
pid $dir/nginx.pid;
error_log $dir/nginx-error.log;
events { worker_connections 1024; }
http {
	access_log off;
	keepalive_requests 1000000;
	client_body_temp_path $dir/nginx-tmp/body;
	proxy_temp_path $dir/nginx-tmp/proxy;
	fastcgi_temp_path $dir/nginx-tmp/fastcgi;
	uwsgi_temp_path $dir/nginx-tmp/uwsgi;
	scgi_temp_path $dir/nginx-tmp/scgi;
	open_file_cache max=16;
	server {
		listen 127.0.0.1:$nginx_port;
		root $dir/www;
		location / {
			default_type application/json;
			try_files /answer.json =404;
		}
	}
}
EOF
	nginx -e "$dir/nginx-error.log" -p "$dir" -c "$conf" &
	nginx_pid=$!
	wait_http "http://127.0.0.1:$nginx_port/" "$nginx_pid" ||
		die "nginx does not answer: $(tail -n 3 "$dir/nginx-error.log")"
}

# cpu_ticks PID... - the CPU time (user + system, clock ticks) the
#	processes have used, all their threads.
cpu_ticks() {
	local p t=0 f
	for p in "$@"; do
		read -r -a f < "/proc/$p/stat" || die "process $p is gone"
		t=$((t + f[13] + f[14]))
	done
	echo "$t"
}

# run_wrk NAME PORT PID... - wrk against one server (its processes
#	PID...); prints its figures and sets rps_NAME, p99_NAME, bad_NAME
#	and cpu_NAME (CPU microseconds a request).
run_wrk() {
	local line name=$1 port=$2 t0 t1 cpu
	shift 2
	t0=$(cpu_ticks "$@")
	line=$(wrk -t2 -c100 -d"${SECS}s" --timeout 10s -s "$LUA" \
		"http://127.0.0.1:$port" -- "$ROWS" | grep '^wrk:') ||
		die "wrk against $name failed"
	t1=$(cpu_ticks "$@")
	# wrk: R requests/s p50 A ms p99 B ms requests N status_errors S socket_errors E
	set -- "$name" $line
	cpu=$(awk -v t=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" -v n="${12}" \
		'BEGIN { printf "%.1f", (n > 0 ? t * 1e6 / hz / n : 0) }')
	printf '%-6s %8.0f requests/s  p50 %s ms  p99 %s ms  (%s requests, %s us CPU each)\n' \
		"$1" "$3" "$6" "$9" "${12}" "$cpu"
	printf -v "rps_$1" '%s' "$3"
	printf -v "p99_$1" '%s' "$9"
	printf -v "bad_$1" '%s' $((${14} + ${16}))
	printf -v "cpu_$1" '%s' "$cpu"
}

command -v wrk > /dev/null || die "wrk is not installed (./build.sh deps)"
command -v nginx > /dev/null || die "nginx is not installed (./build.sh deps)"
[ -x "$MQ" ] || die "$MQ is not built (make release)"
if [ -z "$dir" ]; then
	own_dir=$(mktemp -d "${TMPDIR:-/tmp}/mq-bench-http.XXXXXX") || exit 1
	dir=$own_dir
fi

start_mq
sample_answer
echo "$ROWS capacity rows, wrk -t2 -c100 -d${SECS}s, body $(stat -c %s "$dir/www/answer.json") bytes"
run_wrk mq "$mq_port" "$mq_pid"
start_nginx
# shellcheck disable=SC2046 # the master and its workers, one word each
run_wrk nginx "$nginx_port" "$nginx_pid" $(pgrep -P "$nginx_pid")
awk -v a="$rps_mq" -v b="$rps_nginx" -v c="$p99_mq" -v d="$p99_nginx" \
	-v e="$cpu_mq" -v f="$cpu_nginx" 'BEGIN {
	printf "ratio mq/nginx requests/s %.2f\n", (b > 0 ? a / b : 0)
	printf "ratio mq/nginx p99 %.2f\n", (d > 0 ? c / d : 0)
	printf "ratio mq/nginx requests per CPU second %.2f\n", (e > 0 ? f / e : 0) }'
[ "$bad_mq" = 0 ] || die "mq answered $bad_mq requests with errors"
exit 0
