# shellcheck shell=bash
# NAME
#	lib.sh - what the shell benchmarks share
# SYNOPSIS
#	BENCH=NAME
#	. "$root/bench/lib.sh"
#	die MESSAGE
#	port=$(free_port)
#	wait_http URL PID
#	capacity_rows N | "$MQ" set capacity -
#	capacity_rules N ROWS | "$MQ" set capacity_rules -
# DESCRIPTION
#	die prints "bench NAME: MESSAGE" and exits 1.  free_port is the
#	tests' (tests/lib/ports.sh): a port no socket has, TCP nor UDP,
#	TIME_WAIT included; a second call gives another port once the
#	first one is bound, or when given it (free_port PORT).
#	wait_http returns 0 once URL answers, 1 when PID died or 10 s
#	passed.  capacity_rows prints N capacity rows,
#	row i for localip 192.0.2.(i % 250 + 1) and domain d<i>.example
#	with domain_maxconnections i % 50 + 1 (what bench/http_lookup.lua
#	asks and the benchmarks check); capacity_rules N ROWS prints N
#	fnmatch rules (*.z<i>.example) over those rows, a third of them
#	bound to localip 192.0.2.7, priorities 0 to 6.  Both print a
#	header line first, as 'mq set TABLE -' reads it.

. "$(dirname "${BASH_SOURCE[0]}")/../tests/lib/ports.sh"

die() {
	echo "bench $BENCH: $*" >&2
	exit 1
}

wait_http() {
	for _ in $(seq 1 100); do
		curl -s --max-time 2 -o /dev/null "$1" && return 0
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

capacity_rows() {
	printf 'localip\tdomain\tdomain_maxconnections\n'
	seq 0 $(($1 - 1)) |
		awk '{ printf "192.0.2.%d\td%d.example\t%d\n", $1 % 250 + 1, $1, $1 % 50 + 1 }'
}

capacity_rules() {
	printf 'capacity\tlocalip\tdomain\ttype\tpriority\n'
	seq 0 $(($1 - 1)) | awk -v rows="$2" '{ printf "%d\t%s\t*.z%d.example\tfnmatch\t%d\n",
		($1 * 10) % rows + 1, ($1 % 3 ? "" : "192.0.2.7"), $1, $1 % 7 }'
}
