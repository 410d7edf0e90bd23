# shellcheck shell=bash
# NAME
#	ports.sh - a free port of 127.0.0.1 for a test's listener
# SYNOPSIS
#	. tests/lib/ports.sh
#	PORT=$(free_port [TAKEN...]) || ...
# DESCRIPTION
#	free_port prints a port (20000-59999, from a random base) that no
#	socket has, TCP nor UDP: not only no listener, no connection
#	either, as one in TIME_WAIT that took the port as its own keeps a
#	listener off it for 60 s.  One rule for every listener a test
#	starts (mq serve, a cluster port, PostgreSQL, MariaDB, nsd on UDP
#	and TCP).  Another program may still take the port before the
#	caller binds it: a caller that can tries another.  TAKEN: ports
#	the caller picked and has not bound yet, never given again.
# DIAGNOSTICS
#	Returns 1, saying so on stderr, when 200 tries found none.

free_port() {
	local port _
	for _ in $(seq 1 200); do
		port=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
		case " $* " in *" $port "*) continue ;; esac
		if ! ss -Htuan "sport = :$port" 2>/dev/null | grep -q .; then
			echo "$port"
			return 0
		fi
	done
	echo "ports.sh: no free port found" >&2
	return 1
}
