# shellcheck shell=bash
# NAME
#	nsd.sh - a throwaway nsd on loopback for the DNS tests
# SYNOPSIS
#	. tests/lib/nsd.sh	(after tests/lib/harness.sh)
#	PORT=$(free_port) && write "$TMP/nsd/ZONE.zone" && nsd_start ZONE
#	nsd_stop
#	silent_start || ...
# DESCRIPTION
#	nsd_start serves ZONE from the zone file "$TMP/nsd/ZONE.zone" on
#	127.0.0.1:$PORT and returns 0 once nsd says it started (10 s at
#	most); nsd_stop stops it (the script's exit stops it too).
#	NSD is nsd's path; a script skips when it is not executable.
#	free_port (a port no socket has, UDP nor TCP) is ports.sh's.
#	silent_start sets SILENT to a free port that a process (SILENT_PID,
#	killed at exit) holds bound and never reads: a DNS server that
#	never answers.  It returns 0 once the port is bound (10 s at most):
#	a port nothing bound would refuse the queries at once.

NSD=$(command -v nsd || echo /usr/sbin/nsd)
. "$REPO/tests/lib/ports.sh"

# nsd_start ZONE - nsd on 127.0.0.1:$PORT serving ZONE
nsd_start() {
	mkdir -p "$TMP/nsd"
	cat >"$TMP/nsd/nsd.conf" <<-EOC
	server:
		ip-address: 127.0.0.1
		port: $PORT
		username: ""
		chroot: ""
		zonesdir: "$TMP/nsd"
		pidfile: "$TMP/nsd/nsd.pid"
		database: ""
		zonelistfile: "$TMP/nsd/zone.list"
		xfrdfile: "$TMP/nsd/xfrd.state"
		xfrdir: "$TMP/nsd"
		logfile: "$TMP/nsd/nsd.log"
		server-count: 1
		hide-version: yes
	remote-control:
		control-enable: no
	zone:
		name: "$1"
		zonefile: "$1.zone"
	EOC
	"$NSD" -c "$TMP/nsd/nsd.conf" || return 1
	for _ in $(seq 100); do
		grep -q "nsd started" "$TMP/nsd/nsd.log" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# nsd_stop - stop the nsd nsd_start started, if it runs
nsd_stop() {
	local pid
	pid=$(cat "$TMP/nsd/nsd.pid" 2>/dev/null) || return 0
	kill "$pid" 2>/dev/null
	for _ in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	rm -f "$TMP/nsd/nsd.pid"
}
at_exit nsd_stop

# silent_start - a DNS server on 127.0.0.1:$SILENT that never answers
silent_start() {
	local _
	SILENT=$(free_port) || return 1
	python3 "$REPO/tests/lib/port_hold.py" silent "$SILENT" \
		>"$TMP/silent.out" 2>&1 &
	SILENT_PID=$!
	at_exit "kill $SILENT_PID 2>/dev/null"
	for _ in $(seq 100); do
		grep -qx bound "$TMP/silent.out" && return 0
		sleep 0.1
	done
	return 1
}
