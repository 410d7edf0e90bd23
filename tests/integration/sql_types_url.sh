#!/usr/bin/env bash
# NAME
#	sql_types_url.sh - Unix sockets and TLS settings in database-address
# DESCRIPTION
#	PostgreSQL: libpq's socket form postgresql://user@%2Fdir:port/db and
#	?host=/dir both connect over the socket.  MariaDB: a host of
#	localhost with ?socket= uses that socket (a port nothing listens on
#	shows it is not TCP), and so does a host that is the socket's path.
#	A TLS setting that cannot work (sslmode=verify-full with a numeric
#	host, TLS required of a server without it) is a configuration error
#	(65), never "try again" (75).  A raw '/' in a password is reported
#	as such.  Needs MQ_TEST_PG_URL and MQ_TEST_MYSQL_URL (tests/run.sh).

. "$(dirname "$0")/../lib/harness.sh"

PW=${MQ_TEST_DB_PASSWORD:-}
DBUSER=${MQ_TEST_DB_USER:-mq}
DB=${MQ_TEST_DB_NAME:-mq}

# enc PATH - PATH with each '/' as %2F
enc() {
	printf '%s' "$1" | sed 's#/#%2F#g'
}

if [ -n "${MQ_TEST_PG_SOCKDIR:-}" ]; then
	check "pgsql: the socket directory as the host" \
		"$MQ" sql ping --address "postgresql://$DBUSER:$PW@$(enc "$MQ_TEST_PG_SOCKDIR"):$MQ_TEST_PG_PORT/$DB"
	check "pgsql: ?host=/dir" \
		"$MQ" sql ping --address "postgresql://$DBUSER:$PW@/$DB?host=$MQ_TEST_PG_SOCKDIR&port=$MQ_TEST_PG_PORT"
	expect_status "pgsql: verify-full with a numeric host is a configuration error" 65 \
		"$MQ" sql ping --address "postgresql://$DBUSER:$PW@127.0.0.1:$MQ_TEST_PG_PORT/$DB?sslmode=verify-full"
else
	skip "pgsql: sockets and TLS" "MQ_TEST_PG_SOCKDIR not set"
fi

if [ -n "${MQ_TEST_MYSQL_SOCKET:-}" ]; then
	check "mysql: localhost with ?socket= uses the socket" \
		"$MQ" sql ping --address "mysql://$DBUSER:$PW@localhost:1/$DB?socket=$MQ_TEST_MYSQL_SOCKET"
	check "mysql: a host that is the socket's path" \
		"$MQ" sql ping --address "mysql://$DBUSER:$PW@$(enc "$MQ_TEST_MYSQL_SOCKET")/$DB"
	expect_status "mysql: TLS the server does not have is a configuration error" 65 \
		"$MQ" sql ping --address "mysql://$DBUSER:$PW@127.0.0.1:$MQ_TEST_MYSQL_PORT/$DB?sslmode=verify-full"
else
	skip "mysql: sockets and TLS" "MQ_TEST_MYSQL_SOCKET not set"
fi

expect_status "a raw '/' in a password is refused" 65 \
	"$MQ" sql ping --address "mysql://u:pa/ss@127.0.0.1/db"
expect_grep "saying to percent-encode it" "percent-encoded as %2F" "$TMP/last.out"

finish
