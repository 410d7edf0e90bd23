#!/usr/bin/env bash
# NAME
#	sql_types_grant.sh - an account without rights on mq's tables is
#	told so, not that the tables are missing
# DESCRIPTION
#	On PostgreSQL and MariaDB, mq's tables are made by the test user;
#	a second account that may connect but has no right on table
#	capacity gets "no permission on table capacity for user U" from
#	mq sync --from-sql, from a write-through mq set, from
#	check-database and from repair-database (which would otherwise
#	try to create the table and fail as "already exists"), exit 65.  The
#	accounts are made by the servers' superusers over their sockets
#	(tests/lib/servers.sh).  Needs MQ_TEST_PG_URL and MQ_TEST_MYSQL_URL.

. "$(dirname "$0")/../lib/harness.sh"
. "$REPO/tests/lib/engines.sh"

DBNAME=sqltypes_grant_$$
NOGRANT=nogrant_$$
NGPW=Ng4711pw

# super SQL - SQL as the engine's superuser, in the test's database
super() {
	case $ENGINE in
	pgsql) psql -X -q -v ON_ERROR_STOP=1 -h "$MQ_TEST_PG_SOCKDIR" \
		-p "$MQ_TEST_PG_PORT" -U postgres -d "$DBNAME" -c "$1" ;;
	mysql) mariadb --no-defaults --socket="$MQ_TEST_MYSQL_SOCKET" -u root \
		"$DBNAME" -e "$1" ;;
	esac
}

every_part() {
	[ "$ENGINE" = sqlite ] && return	# no grants in SQLite
	export MQ_STORE_PATH=$TMP/$ENGINE.mdb
	check "$ENGINE: tables" "$MQ" sync --to-sql --address "$URL"
	local url
	case $ENGINE in
	pgsql) super "CREATE ROLE $NOGRANT LOGIN PASSWORD '$NGPW'" || fail "pgsql: make a role"
	       at_exit "psql -X -q -h $MQ_TEST_PG_SOCKDIR -p $MQ_TEST_PG_PORT -U postgres -d postgres -c 'DROP ROLE IF EXISTS $NOGRANT' >/dev/null 2>&1"
	       super "GRANT SELECT ON mtanames TO $NOGRANT" ;;
	mysql) super "CREATE USER '$NOGRANT'@'%' IDENTIFIED VIA mysql_native_password USING PASSWORD('$NGPW');
		      CREATE USER '$NOGRANT'@'127.0.0.1' IDENTIFIED VIA mysql_native_password USING PASSWORD('$NGPW');
		      GRANT SELECT ON $DBNAME.mtanames TO '$NOGRANT'@'%';
		      GRANT SELECT ON $DBNAME.mtanames TO '$NOGRANT'@'127.0.0.1'" ||
			fail "mysql: make an account"
	       at_exit "mariadb --no-defaults --socket=$MQ_TEST_MYSQL_SOCKET -u root -e \"DROP USER IF EXISTS '$NOGRANT'@'%', '$NOGRANT'@'127.0.0.1'\" >/dev/null 2>&1" ;;
	esac
	url=$(printf '%s\n' "$URL" | sed "s#://[^@]*@#://$NOGRANT:$NGPW@#")
	expect_status "$ENGINE: --from-sql without rights fails with 65" 65 \
		"$MQ" sync --from-sql --address "$url"
	expect_grep "$ENGINE: saying which table and user" \
		"no permission on table capacity for user $NOGRANT" "$TMP/last.out"
	expect_no_grep "$ENGINE: not that it is missing" "is missing" "$TMP/last.out"
	MQ_DATABASE_ADDRESS=$url expect_status "$ENGINE: a write-through set fails with 65" 65 \
		"$MQ" set capacity domain=x.example
	expect_grep "$ENGINE: saying so too" \
		"no permission on table capacity for user $NOGRANT" "$TMP/last.out"
	expect_status "$ENGINE: check-database without rights fails with 65" 65 \
		"$MQ" check-database --address "$url"
	expect_grep "$ENGINE: naming the table and user, not a missing table" \
		"no permission on table capacity for user $NOGRANT" "$TMP/last.out"
	expect_status "$ENGINE: repair-database without rights fails with 65" 65 \
		"$MQ" repair-database --yes --address "$url"
	expect_grep "$ENGINE: saying there is no permission" \
		"no permission on table capacity for user $NOGRANT" "$TMP/last.out"
	expect_no_grep "$ENGINE: not that the table already exists" \
		"already exists" "$TMP/last.out"
}

each_engine every_part
finish
