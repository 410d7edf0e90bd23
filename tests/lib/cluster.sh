# shellcheck shell=bash
# NAME
#	cluster.sh - a primary and replicas of mq serve on loopback
# SYNOPSIS
#	. "$REPO/tests/lib/cluster.sh"
#	cluster_keys			# KEY_P, PUB_P, KEY_R, PUB_R
#	primary_start			# P_PID, P_URL, CPORT, $TMP/p/mq.mdb
#	primary_down [SIGNAL]		# stop it (KILL), hold CPORT
#	replica_start NAME [VAR=VALUE...]	# R_PID, R_URL, $TMP/NAME/mq.mdb
#	wait_seq NAME SEQ [SECONDS]	# until NAME's store reaches SEQ
#	store_seq NAME			# the sequence of $TMP/NAME/mq.mdb
#	same_dump A B			# ok when every table dumps the same
# DESCRIPTION
#	Each node has a directory $TMP/NAME with its store; logs are
#	$TMP/NAME.log.  The primary listens for replicas on a free port
#	CPORT (cluster-listen 127.0.0.1:CPORT).  Built on serve.sh.
#
#	A test that stops the primary and starts it again does so with
#	primary_down and primary_start: its replicas must find it on CPORT
#	again.  primary_down holds CPORT from the moment the primary lets
#	it go with port_hold of servers.sh (tests/lib/port_hold.py: bound,
#	not listening, so a replica's connection is refused as by the
#	stopped primary, while no other program can bind the port, with or
#	without SO_REUSEADDR as mq sets it, and the kernel gives it to no
#	connection); primary_start lets it go just before mq serve starts
#	and fails, naming who has the port, unless the primary it started
#	is the one listening there.  A replica comes back on a new API
#	port and listens on no cluster port: it needs no hold.  Every
#	port a test listens on (CPORT, a proxy's, a second primary's)
#	comes from free_port: one no socket has, not even in TIME_WAIT.
. "$REPO/tests/lib/serve.sh"
. "$REPO/tests/lib/servers.sh"

cluster_keys() {
	local k
	k=$("$MQ" cluster keygen)
	KEY_P=$(sed -n 's/^cluster-key: //p' <<< "$k")
	PUB_P=$(sed -n 's/^public-key: //p' <<< "$k")
	k=$("$MQ" cluster keygen)
	KEY_R=$(sed -n 's/^cluster-key: //p' <<< "$k")
	PUB_R=$(sed -n 's/^public-key: //p' <<< "$k")
}

# primary_start [VAR=VALUE...] - reuses CPORT when set, letting go of
#	primary_down's hold; fails unless the primary listens on CPORT
primary_start() {
	mkdir -p "$TMP/p"
	[ -n "${CPORT:-}" ] || CPORT=$(free_port) || return 1
	port_release "$TMP/p"
	if ! serve_start "$TMP/p.log" MQ_STORE_PATH="$TMP/p/mq.mdb" \
		MQ_CLUSTER_ROLE=primary MQ_CLUSTER_LISTEN="127.0.0.1:$CPORT" \
		MQ_CLUSTER_KEY="$KEY_P" MQ_CLUSTER_PEERS="$PUB_R" "$@"; then
		echo "# the primary is not on 127.0.0.1:$CPORT, which has:" \
			"$(ss -Htanp "sport = :$CPORT")" >&2
		return 1
	fi
	P_PID=$SERVE_PID P_URL=$URL
	port_served_by "$CPORT" "$P_PID"
}

# primary_down [SIGNAL] - stop the primary (kill -SIGNAL, KILL when not
#	given) and hold CPORT until primary_start
primary_down() {
	at_exit "port_release '$TMP/p'"
	port_hold "$TMP/p" "$CPORT" || return 1
	kill -"${1:-KILL}" "$P_PID"
	wait "$P_PID" 2>/dev/null
	port_wait "$TMP/p" held
}

# replica_start NAME [VAR=VALUE...]
replica_start() {
	local name=$1
	shift
	mkdir -p "$TMP/$name"
	serve_start "$TMP/$name.log" MQ_STORE_PATH="$TMP/$name/mq.mdb" \
		MQ_CLUSTER_ROLE=replica \
		MQ_CLUSTER_PRIMARY="127.0.0.1:$CPORT" \
		MQ_CLUSTER_KEY="$KEY_R" MQ_CLUSTER_PEERS="$PUB_P" "$@" ||
		return 1
	R_PID=$SERVE_PID R_URL=$URL
}

store_seq() {
	MQ_STORE_PATH="$TMP/$1/mq.mdb" "$MQ" stat 2>/dev/null |
		awk '$1 == "sequence" { print $2; exit }'
}

# wait_seq NAME SEQ [SECONDS] - 0 once NAME's store is at SEQ or past it
wait_seq() {
	local i s
	for i in $(seq 1 $((${3:-10} * 20))); do
		s=$(store_seq "$1")
		[ -n "$s" ] && [ "$s" -ge "$2" ] && return 0
		sleep 0.05
	done
	echo "# $1 stayed at sequence ${s:-?}, wanted $2" >&2
	return 1
}

# installs NAME - how many snapshots NAME's log says it installed
installs() { grep -c "snapshot at sequence [0-9]* installed" "$TMP/$1.log"; }

# installed_after NAME N - 0 once NAME has logged more than N installs
#	(the line comes after the install's commit, which wait_seq sees:
#	up to 30 s)
installed_after() {
	local i
	for i in $(seq 1 600); do
		[ "$(installs "$1")" -gt "$2" ] && return 0
		sleep 0.05
	done
	echo "# $1 logged $(installs "$1") installs, wanted more than $2" >&2
	return 1
}

# node_dump NAME - every table's row count, and the rows of each table
#	that has any, as mq dump prints them (a process per table is
#	costly under the sanitizers: the empty ones are not dumped)
node_dump() {
	local t
	MQ_STORE_PATH="$TMP/$1/mq.mdb" "$MQ" stat 2>&1 |
		awk '/^tables:/ { on = 1; next } on' > "$TMP/counts.$1"
	cat "$TMP/counts.$1"
	for t in $(awk '$2 != 0 { print $1 }' "$TMP/counts.$1"); do
		echo "== $t"
		MQ_STORE_PATH="$TMP/$1/mq.mdb" "$MQ" dump "$t" 2>&1
	done
}

# same_dump NAME A B - one check: A's and B's dumps are equal
same_dump() {
	node_dump "$2" > "$TMP/dump.$2"
	node_dump "$3" > "$TMP/dump.$3"
	if cmp -s "$TMP/dump.$2" "$TMP/dump.$3" && [ -s "$TMP/dump.$2" ]; then
		ok "$1"
	else
		fail "$1" "$(diff "$TMP/dump.$2" "$TMP/dump.$3" | head -n 10)"
	fi
}
