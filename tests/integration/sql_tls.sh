#!/usr/bin/env bash
# NAME
#	sql_tls.sh - a TLS setting that cannot work is a configuration
#	error, never "try again"
# DESCRIPTION
#	A PRIVATE PostgreSQL (tests/lib/servers.sh) runs with ssl=on and a
#	server certificate for "localhost" (and the address 127.0.0.1)
#	signed by a CA the test makes with openssl; a second CA signs
#	nothing.  Over real TLS:
#	    sslmode=verify-full, the right CA, host localhost: connects;
#	    the wrong CA: exit 65, the message names the certificate;
#	    a certificate for another name (db.example): exit 65;
#	    verify-full with the numeric host 127.0.0.1: exit 65.
#	Each failure returns at once (no retry loop: well under the
#	connect timeout) with a message naming the problem.  A PRIVATE
#	MariaDB with the same certificate shows the wrong CA exits 65 too.

. "$(dirname "$0")/../lib/harness.sh"
. "$REPO/tests/lib/servers.sh"

chmod 0711 "$TMP"	# the postgres user must get through

# make_ca NAME - a self-signed CA, NAME.key and NAME.crt
make_ca() {
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=$1" \
		-keyout "$TMP/$1.key" -out "$TMP/$1.crt" >/dev/null 2>&1
}

# make_server NAME CA SAN - NAME.key, NAME.crt for SAN, signed by CA
make_server() {
	openssl req -newkey rsa:2048 -nodes -subj "/CN=$1" \
		-keyout "$TMP/$1.key" -out "$TMP/$1.csr" >/dev/null 2>&1 &&
	printf 'subjectAltName=%s\n' "$3" >"$TMP/$1.ext" &&
	openssl x509 -req -in "$TMP/$1.csr" -CA "$TMP/$2.crt" \
		-CAkey "$TMP/$2.key" -CAcreateserial -days 2 \
		-extfile "$TMP/$1.ext" -out "$TMP/$1.crt" >/dev/null 2>&1
}

# expect_config NAME URL REGEX - sync fails at once with 65, saying REGEX
expect_config() {
	local start ms
	start=$(date +%s%N)
	expect_status "$1: exit 65" 65 "$MQ" sync --from-sql --address "$2"
	ms=$((($(date +%s%N) - start) / 1000000))
	expect_grep "$1: the message says why" "$3" "$TMP/last.out"
	expect_no_grep "$1: not a temporary failure" "try again|temporar" "$TMP/last.out"
	check "$1: at once, no retries (${ms} ms)" test "$ms" -lt 8000
}

check "a CA" make_ca rightca
check "another CA" make_ca wrongca
check "a certificate for localhost and 127.0.0.1" \
	make_server localhost rightca "DNS:localhost,IP:127.0.0.1"
check "a certificate for db.example" make_server dbexample rightca "DNS:db.example"

if ! pg_start "$TMP/pg" >"$TMP/pg.log" 2>&1; then
	fail "a private postgresql starts" "$(tail -n 5 "$TMP/pg.log")"
	finish
fi
at_exit 'pg_stop "$TMP/pg"'

# pg_tls CERT - the server presents CERT (ssl is reloadable)
pg_tls() {
	cp "$TMP/$1.crt" "$TMP/pg/server.crt" && cp "$TMP/$1.key" "$TMP/pg/server.key" &&
	chown postgres: "$TMP/pg/server.crt" "$TMP/pg/server.key" &&
	chmod 0600 "$TMP/pg/server.key" &&
	pg_run "$PG_BIN/psql" -X -q -h "$PG_SOCKDIR" -p "$PG_PORT" -U postgres -d postgres \
		-c "ALTER SYSTEM SET ssl = on" \
		-c "ALTER SYSTEM SET ssl_cert_file = '$TMP/pg/server.crt'" \
		-c "ALTER SYSTEM SET ssl_key_file = '$TMP/pg/server.key'" \
		-c "SELECT pg_reload_conf()" >/dev/null
}

check "postgresql: TLS on" pg_tls localhost
export MQ_STORE_PATH=$TMP/mq.mdb
base="postgresql://$TEST_DB_USER:$TEST_DB_PASSWORD"
right="sslmode=verify-full&sslrootcert=$TMP/rightca.crt"
check "postgresql: verify-full, the right CA and host name connect" \
	"$MQ" sync --to-sql --address "$base@localhost:$PG_PORT/$TEST_DB_NAME?$right"
expect_config "postgresql: the wrong CA" \
	"$base@localhost:$PG_PORT/$TEST_DB_NAME?sslmode=verify-full&sslrootcert=$TMP/wrongca.crt" \
	"certificate"
expect_config "postgresql: verify-full with a numeric host" \
	"$base@127.0.0.1:$PG_PORT/$TEST_DB_NAME?$right" "host name"
check "postgresql: a certificate for db.example" pg_tls dbexample
expect_config "postgresql: the host name does not match" \
	"$base@localhost:$PG_PORT/$TEST_DB_NAME?$right" "does not match"

# MariaDB reads its certificate at start only.
MARIA_ARGS="--ssl-cert=$TMP/localhost.crt --ssl-key=$TMP/localhost.key --ssl-ca=$TMP/rightca.crt"
if ! maria_start "$TMP/maria" >"$TMP/maria.log" 2>&1; then
	fail "a private mariadb with TLS starts" "$(tail -n 5 "$TMP/maria.log")"
	finish
fi
at_exit 'maria_stop "$TMP/maria"'
mbase="mysql://$TEST_DB_USER:$TEST_DB_PASSWORD@localhost:$MYSQL_PORT/$TEST_DB_NAME"
check "mariadb: verify-full, the right CA connects" \
	"$MQ" sync --to-sql --address "$mbase?$right"
expect_config "mariadb: the wrong CA" \
	"$mbase?sslmode=verify-full&sslrootcert=$TMP/wrongca.crt" "SSL|TLS|certificate"
finish
