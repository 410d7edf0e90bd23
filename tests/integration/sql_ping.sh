#!/usr/bin/env bash
# NAME
#	sql_ping.sh - "mq sql ping" against real servers, static binary
# DESCRIPTION
#	The static build/mq reaches PostgreSQL 15, MariaDB and an SQLite
#	file and names the product and version; a wrong password is a
#	clear configuration error (65) that does not print the password;
#	a closed port (held: bound and not listening, so nothing can
#	take it meanwhile) is a temporary failure (75); a bad address
#	and a bad command line are refused.  The sanitized build runs the same
#	paths once more, so leaks in the drivers show up.
#	Needs MQ_TEST_PG_URL and MQ_TEST_MYSQL_URL (tests/run.sh).

. "$(dirname "$0")/../lib/harness.sh"
. "$REPO/tests/lib/servers.sh"

WRONG=WrongPw9x7q

# hold_closed DIR - a free port held closed for DIR, in CLOSED: a
#	connection is refused, and no server of a test beside this one
#	can listen there nor a connection be given it (mq's own could
#	otherwise connect to itself) until port_release DIR
hold_closed() {
	local _
	mkdir -p "$1"
	at_exit "port_release '$1'"
	for _ in 1 2 3 4 5; do
		CLOSED=$(free_port) || return 1
		# not held at once ("waiting"): taken since free_port
		port_hold "$1" "$CLOSED" && grep -qx held "$1/hold.out" && return 0
		port_release "$1"
	done
	return 1
}

# with_password URL PW - URL with its password replaced
with_password() {
	printf '%s\n' "$1" | sed -E "s#^([a-z]+://[^:/@]+):[^@]*@#\\1:$2@#"
}

# with_port URL PORT - URL with its port replaced
with_port() {
	printf '%s\n' "$1" | sed -E "s#@([^:/]+):[0-9]+/#@\\1:$2/#"
}

# server_checks LABEL URL PRODUCT VERSION_REGEX
server_checks() {
	local label=$1 url=$2 product=$3 version=$4 pw
	pw=$(printf '%s\n' "$url" | sed -E 's#^[a-z]+://[^:]*:([^@]*)@.*#\1#')

	expect_status "$label: static ping exits 0" 0 "$MQ_STATIC" sql ping --address "$url"
	expect_grep "$label: reports $product" "^$product $version at " "$TMP/last.out"
	expect_no_grep "$label: output hides the password" "$pw" "$TMP/last.out"
	expect_grep "$label: output shows the redacted address" ':\*\*\*@127\.0\.0\.1:' "$TMP/last.out"

	expect_status "$label: wrong password exits 65" 65 \
		"$MQ_STATIC" sql ping --address "$(with_password "$url" "$WRONG")"
	expect_grep "$label: wrong password is explained" \
		'(password authentication failed|Access denied)' "$TMP/last.out"
	expect_no_grep "$label: wrong password is not printed" "$WRONG" "$TMP/last.out"

	if hold_closed "$TMP/closed-$label"; then
		expect_status "$label: closed port exits 75" 75 \
			"$MQ_STATIC" sql ping --address "$(with_port "$url" "$CLOSED")"
		expect_no_grep "$label: closed port message hides the password" "$pw" "$TMP/last.out"
	else
		skip "$label: closed port exits 75" "no port could be held closed"
	fi
	port_release "$TMP/closed-$label"

	expect_status "$label: localhost works without NSS" 0 \
		"$MQ_STATIC" sql ping --address "$(printf '%s\n' "$url" | sed 's/@127\.0\.0\.1:/@localhost:/')"

	expect_status "$label: asan build pings" 0 "$MQ" sql ping --address "$url"
	expect_status "$label: asan build, wrong password" 65 \
		"$MQ" sql ping --address "$(with_password "$url" "$WRONG")"
}

if [ -n "${MQ_TEST_PG_URL:-}" ]; then
	server_checks postgresql "$MQ_TEST_PG_URL" postgresql '15\.[0-9]+'
	expect_status "postgresql: unknown database exits 65" 65 \
		"$MQ_STATIC" sql ping --address "${MQ_TEST_PG_URL%/*}/no_such_db"
	expect_grep "postgresql: unknown database is named" 'no_such_db.*does not exist' "$TMP/last.out"
else
	skip "postgresql" "MQ_TEST_PG_URL not set"
fi

if [ -n "${MQ_TEST_MYSQL_URL:-}" ]; then
	server_checks mariadb "$MQ_TEST_MYSQL_URL" mariadb '[0-9]+\.[0-9]+\.[0-9]+'
	expect_status "mariadb: mariadb:// scheme works" 0 \
		"$MQ_STATIC" sql ping --address "mariadb://${MQ_TEST_MYSQL_URL#mysql://}"
else
	skip "mariadb" "MQ_TEST_MYSQL_URL not set"
fi

expect_status "sqlite: static ping exits 0" 0 "$MQ_STATIC" sql ping --address "sqlite://$TMP/ping.db"
expect_grep "sqlite: reports sqlite 3" "^sqlite 3\.[0-9.]+ at sqlite://$TMP/ping\.db$" "$TMP/last.out"
check "sqlite: file created" test -f "$TMP/ping.db"
echo "not a database, not at all, not in the least; $(seq 1 200)" >"$TMP/junk.db"
expect_status "sqlite: a junk file is an outage: exits 75" 75 "$MQ_STATIC" sql ping --address "sqlite://$TMP/junk.db"
expect_status "sqlite: asan build pings" 0 "$MQ" sql ping --address "sqlite://$TMP/ping.db"

expect_status "bad address exits 65" 65 "$MQ_STATIC" sql ping --address "mysql://u:Secr3tpw@h:99999/db"
expect_grep "bad address names the problem" 'bad database-address .*port' "$TMP/last.out"
expect_no_grep "bad address hides the password" 'Secr3tpw' "$TMP/last.out"
expect_status "unknown scheme exits 65" 65 "$MQ_STATIC" sql ping --address "oracle://u@h/db"
expect_status "unknown option exits 64" 64 "$MQ_STATIC" sql ping --bogus
expect_status "--address without a value exits 64" 64 "$MQ_STATIC" sql ping --address
expect_status "unknown subcommand exits 64" 64 "$MQ_STATIC" sql frobnicate
expect_status "no address exits 64" 64 env -u MQ_DATABASE_ADDRESS "$MQ_STATIC" sql ping
expect_status "MQ_DATABASE_ADDRESS is used" 0 \
	env MQ_DATABASE_ADDRESS="sqlite://$TMP/ping.db" "$MQ_STATIC" sql ping
expect_status "sql ping --help exits 0" 0 "$MQ_STATIC" sql ping --help
expect_grep "sql ping --help shows usage" 'mq sql ping' "$TMP/last.out"
expect_status "sql --help exits 0" 0 "$MQ_STATIC" sql --help

finish
