# shellcheck shell=bash disable=SC2034  # PG_URL and the like are for callers
# NAME
#	servers.sh - throwaway PostgreSQL 15 and MariaDB servers for tests
# SYNOPSIS
#	. tests/lib/servers.sh
#	pg_start DIR && pg_stop DIR
#	maria_start DIR && maria_stop DIR
#	pg_down DIR && port_hang DIR && pg_up DIR
#	maria_down DIR && maria_up DIR
# DESCRIPTION
#	Each server lives in its own new directory DIR (which must not
#	exist yet, or be empty), listens on 127.0.0.1 on a free high port
#	and on a Unix socket inside DIR, and has a user "mq" with a
#	password and a database "mq".  Nothing of the machine's own
#	servers is touched: no systemd, no /etc, no default ports.
#
#	pg_start sets PG_URL, PG_PORT, PG_SOCKDIR; maria_start sets
#	MYSQL_URL, MYSQL_PORT, MYSQL_SOCKET.  The password is
#	$TEST_DB_PASSWORD (alphanumeric).
#
#	PostgreSQL refuses to run as root, so it runs as the "postgres"
#	user (runuser); DIR's parents must let that user through.
#	Password authentication over TCP is scram-sha-256.  The mq role
#	may create databases.
#
#	$MARIA_ARGS, when set, adds options to mariadbd's command line
#	(words split at spaces), for settings that are read-only at run
#	time such as --ssl-cert.
#
#	MariaDB runs as root (--user=root).  The mq accounts use
#	mysql_native_password, the plugin the static libmariadb has
#	built in, and have all privileges so tests can make databases.
#
#	A test that takes its server away for a while and brings it back
#	on the same port (its clients must find it there) uses pg_down
#	and pg_up, maria_down and maria_up.  The down one stops the
#	server at once (pg_ctl -m immediate, kill -9: as a crash) and
#	holds its port with tests/lib/port_hold.py: a connection is
#	refused as by the stopped server, and neither a server of a test
#	running beside it nor a client's connection (the kernel gives
#	any free port of 32768-60999 to outgoing connections, and one in
#	TIME_WAIT keeps it from a listener for 60 s) can take the port
#	meanwhile.  port_hang DIR makes the held port accept and never
#	answer.  The up one lets the port go just before the server
#	starts and fails, saying why, unless that server is the one
#	listening on the port.
# DIAGNOSTICS
#	A function that fails prints the server's log tail to stderr and
#	returns non-zero.

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
TEST_DB_USER=${TEST_DB_USER:-mq}
TEST_DB_NAME=${TEST_DB_NAME:-mq}
TEST_DB_PASSWORD=${TEST_DB_PASSWORD:-mqTest4711pw}
SERVERS_LIB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PORT_HOLD=$SERVERS_LIB/port_hold.py
. "$SERVERS_LIB/ports.sh"

# servers_log_tail FILE - the end of a server log, for a failure report
servers_log_tail() {
	[ -f "$1" ] && tail -n 30 "$1" | sed 's/^/#   /' >&2
	return 0
}

# pg_run CMD... - run a PostgreSQL tool as the postgres user (from /,
#	as the caller's directory may be closed to that user)
pg_run() {
	if [ "$(id -u)" = 0 ]; then
		(cd / && runuser -u postgres -- "$@")
	else
		"$@"
	fi
}

# pg_launch DIR - start DIR's server on PG_PORT
pg_launch() {
	pg_run "$PG_BIN/pg_ctl" -D "$1/data" -l "$1/server.log" -w -t 60 \
		-o "-p $PG_PORT -c listen_addresses=127.0.0.1 \
		-c unix_socket_directories=$1 -c fsync=off \
		-c synchronous_commit=off -c full_page_writes=off \
		-c max_connections=50" start >"$1/pg_ctl.log" 2>&1
}

# pg_start DIR - initdb, start, create the mq role and database
pg_start() {
	local dir=$1 try
	mkdir -p "$dir"
	[ "$(id -u)" = 0 ] && chown postgres: "$dir"
	chmod 0700 "$dir"
	PG_SOCKDIR=$dir
	if ! pg_run "$PG_BIN/initdb" -D "$dir/data" -U postgres -E UTF8 \
		--locale=C --auth-local=trust --auth-host=scram-sha-256 \
		>"$dir/initdb.log" 2>&1; then
		echo "servers.sh: initdb failed in $dir" >&2
		servers_log_tail "$dir/initdb.log"
		return 1
	fi
	# A port can be taken between free_port and the bind: try again.
	for try in 1 2 3; do
		PG_PORT=$(free_port) || return 1
		pg_launch "$dir" && break
		if [ "$try" = 3 ]; then
			echo "servers.sh: postgres did not start in $dir" >&2
			servers_log_tail "$dir/server.log"
			return 1
		fi
	done
	if ! pg_run "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$dir" \
		-p "$PG_PORT" -U postgres -d postgres >"$dir/setup.log" 2>&1 <<-EOF
		CREATE ROLE $TEST_DB_USER LOGIN CREATEDB PASSWORD '$TEST_DB_PASSWORD';
		CREATE DATABASE $TEST_DB_NAME OWNER $TEST_DB_USER;
		EOF
	then
		echo "servers.sh: creating the postgres role failed" >&2
		servers_log_tail "$dir/setup.log"
		return 1
	fi
	PG_URL="postgresql://$TEST_DB_USER:$TEST_DB_PASSWORD@127.0.0.1:$PG_PORT/$TEST_DB_NAME"
}

# pg_stop DIR - stop the server and remove DIR
pg_stop() {
	local dir=$1
	[ -d "$dir" ] || return 0
	port_release "$dir"
	if [ -f "$dir/data/postmaster.pid" ]; then
		pg_run "$PG_BIN/pg_ctl" -D "$dir/data" -m immediate -w -t 30 \
			stop >/dev/null 2>&1 || true
	fi
	rm -rf "$dir"
}

# maria_wait DIR - until the server answers on its socket (60 s)
maria_wait() {
	local dir=$1 i
	for i in $(seq 1 300); do
		if mariadb-admin --no-defaults --socket="$dir/mysqld.sock" \
			-u root ping >/dev/null 2>&1; then
			return 0
		fi
		if ! kill -0 "$(cat "$dir/launch.pid")" 2>/dev/null; then
			return 1	# it died: port taken, or worse
		fi
		sleep 0.2
	done
	return 1
}

# maria_launch DIR - start mariadbd in the background on MYSQL_PORT
maria_launch() {
	local dir=$1
	mariadbd --no-defaults --datadir="$dir/data" --user=root \
		--socket="$dir/mysqld.sock" --port="$MYSQL_PORT" \
		--bind-address=127.0.0.1 --pid-file="$dir/mysqld.pid" \
		--log-error="$dir/server.log" --tmpdir="$dir/tmp" \
		--skip-name-resolve --skip-log-bin --innodb-use-native-aio=0 \
		--innodb-buffer-pool-size=32M --innodb-log-file-size=16M \
		--innodb-flush-log-at-trx-commit=0 --max-connections=50 \
		${MARIA_ARGS:-} </dev/null >/dev/null 2>&1 &
	echo $! >"$dir/launch.pid"
	maria_wait "$dir"
}

# maria_start DIR - install the data directory, start, create mq user
maria_start() {
	local dir=$1 try
	mkdir -p "$dir/tmp"
	chmod 0700 "$dir"
	MYSQL_SOCKET=$dir/mysqld.sock
	if ! mariadb-install-db --no-defaults --datadir="$dir/data" \
		--user="$(id -un)" --auth-root-authentication-method=normal \
		--skip-test-db >"$dir/install.log" 2>&1; then
		echo "servers.sh: mariadb-install-db failed in $dir" >&2
		servers_log_tail "$dir/install.log"
		return 1
	fi
	for try in 1 2 3; do
		MYSQL_PORT=$(free_port) || return 1
		maria_launch "$dir" && break
		maria_kill "$dir"
		if [ "$try" = 3 ]; then
			echo "servers.sh: mariadbd did not start in $dir" >&2
			servers_log_tail "$dir/server.log"
			return 1
		fi
	done
	if ! mariadb --no-defaults --socket="$MYSQL_SOCKET" -u root \
		>"$dir/setup.log" 2>&1 <<-EOF
		CREATE USER '$TEST_DB_USER'@'127.0.0.1' IDENTIFIED VIA mysql_native_password USING PASSWORD('$TEST_DB_PASSWORD');
		CREATE USER '$TEST_DB_USER'@'%' IDENTIFIED VIA mysql_native_password USING PASSWORD('$TEST_DB_PASSWORD');
		CREATE USER '$TEST_DB_USER'@'localhost' IDENTIFIED VIA mysql_native_password USING PASSWORD('$TEST_DB_PASSWORD');
		GRANT ALL PRIVILEGES ON *.* TO '$TEST_DB_USER'@'127.0.0.1';
		GRANT ALL PRIVILEGES ON *.* TO '$TEST_DB_USER'@'%';
		GRANT ALL PRIVILEGES ON *.* TO '$TEST_DB_USER'@'localhost';
		CREATE DATABASE $TEST_DB_NAME CHARACTER SET utf8mb4;
		EOF
	then
		echo "servers.sh: creating the mariadb user failed" >&2
		servers_log_tail "$dir/setup.log"
		return 1
	fi
	MYSQL_URL="mysql://$TEST_DB_USER:$TEST_DB_PASSWORD@127.0.0.1:$MYSQL_PORT/$TEST_DB_NAME"
}

# maria_kill DIR - stop mariadbd: TERM, wait up to 30 s, then KILL
maria_kill() {
	local dir=$1 pid _
	pid=$(cat "$dir/launch.pid" 2>/dev/null) || return 0
	[ -n "$pid" ] || return 0
	kill "$pid" 2>/dev/null || return 0
	for _ in $(seq 1 150); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.2
	done
	kill -9 "$pid" 2>/dev/null || true
}

# maria_stop DIR - stop the server and remove DIR
maria_stop() {
	local dir=$1
	[ -d "$dir" ] || return 0
	port_release "$dir"
	maria_kill "$dir"
	rm -rf "$dir"
}

# port_hold DIR PORT - hold PORT for DIR's server, about to stop: returns
#	once the holder tries the port, which it takes the moment the
#	server lets it go (port_wait DIR held)
port_hold() {
	python3 "$PORT_HOLD" "$2" >"$1/hold.out" 2>&1 &
	echo $! >"$1/hold.pid"
	port_wait "$1" 'waiting|held'
}

# port_wait DIR REGEX - until DIR's holder printed a line REGEX matches
#	whole (60 s)
port_wait() {
	local pid _
	pid=$(cat "$1/hold.pid")
	for _ in $(seq 1 600); do
		grep -qxE "$2" "$1/hold.out" && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	echo "servers.sh: the port of $1 is not $2: $(cat "$1/hold.out")" >&2
	return 1
}

# port_hang DIR - the held port accepts connections and never answers
port_hang() {
	kill -USR1 "$(cat "$1/hold.pid")" && port_wait "$1" listening
}

# port_release DIR - end DIR's holder, if any: the port is free
port_release() {
	local pid _
	pid=$(cat "$1/hold.pid" 2>/dev/null) || return 0
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null		# when it is this shell's child
	for _ in $(seq 1 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	rm -f "$1/hold.pid"
}

# port_served_by PORT PID - process PID listens on 127.0.0.1:PORT
port_served_by() {
	local who
	who=$(ss -Hltnp "sport = :$1" 2>&1)
	case $who in *"pid=$2,"*) return 0 ;; esac
	echo "servers.sh: 127.0.0.1:$1 is not served by process $2 but by: ${who:-nothing}" >&2
	return 1
}

# pg_down DIR - stop DIR's server at once and hold its port
pg_down() {
	port_hold "$1" "$PG_PORT" &&
		pg_run "$PG_BIN/pg_ctl" -D "$1/data" -m immediate -w stop >/dev/null &&
		port_wait "$1" held
}

# pg_up DIR - start DIR's server again on its port; fails unless its
#	postmaster is the one listening there
pg_up() {
	port_release "$1"
	if ! pg_launch "$1"; then
		echo "servers.sh: postgres did not start again on port $PG_PORT in $1" >&2
		servers_log_tail "$1/server.log"
		return 1
	fi
	port_served_by "$PG_PORT" "$(head -n 1 "$1/data/postmaster.pid")"
}

# maria_down DIR - kill DIR's mariadbd (-9) and hold its port
maria_down() {
	port_hold "$1" "$MYSQL_PORT" && kill -9 "$(cat "$1/launch.pid")" &&
		port_wait "$1" held
}

# maria_up DIR - start DIR's mariadbd again on its port; fails unless it
#	is the one listening there
maria_up() {
	port_release "$1"
	if ! maria_launch "$1"; then
		echo "servers.sh: mariadbd did not start again on port $MYSQL_PORT in $1" >&2
		servers_log_tail "$1/server.log"
		return 1
	fi
	port_served_by "$MYSQL_PORT" "$(cat "$1/launch.pid")"
}
