#!/usr/bin/env bash
# NAME
#	sql_ezmlm_grants.sh - mq works with an ezmlm account's minimal grants
# DESCRIPTION
#	On PostgreSQL and MariaDB, the real ezmlm-idx 7 (the peer
#	tests/lib/ezmlm_peer.sh builds into build/peers) makes a list with
#	ezmlm-make -6 and subscribes three addresses.  The servers'
#	superusers then make an account with SELECT, INSERT, UPDATE and
#	DELETE on the database's tables and nothing more (as ezmlm-grant
#	does).  With that account: mq sync --from-sql loads the list,
#	mq sub writes a subscriber through, mq sync --to-sql writes an
#	unsubscription back, ezmlm-list sees both, and the database's
#	tables and columns are as ezmlm-make left them (mq never ran
#	CREATE or ALTER: the account could not have).

. "$(dirname "$0")/../lib/harness.sh"
. "$REPO/tests/lib/ezmlm_peer.sh"
ezmlm_peer_require
. "$REPO/tests/lib/engines.sh"
DBNAME=ezgrant_$$
EZUSER=ezuser_$$
EZPW=Ez4711pw
B=$EZ/bin

# super SQL - SQL as the engine's superuser, in the test's database
super() {
	case $ENGINE in
	pgsql) psql -X -q -v ON_ERROR_STOP=1 -h "$MQ_TEST_PG_SOCKDIR" \
		-p "$MQ_TEST_PG_PORT" -U postgres -d "$DBNAME" -c "$1" ;;
	mysql) mariadb --no-defaults --socket="$MQ_TEST_MYSQL_SOCKET" -u root \
		"$DBNAME" -e "$1" ;;
	esac
}

# minimal_account - SELECT, INSERT, UPDATE, DELETE on every table
minimal_account() {
	case $ENGINE in
	pgsql) super "CREATE ROLE $EZUSER LOGIN PASSWORD '$EZPW';
		      GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO $EZUSER" &&
	       at_exit "psql -X -q -h $MQ_TEST_PG_SOCKDIR -p $MQ_TEST_PG_PORT -U postgres -d postgres -c 'DROP DATABASE IF EXISTS $DBNAME' -c 'DROP ROLE IF EXISTS $EZUSER' >/dev/null 2>&1" ;;
	mysql) super "CREATE USER '$EZUSER'@'127.0.0.1' IDENTIFIED VIA mysql_native_password USING PASSWORD('$EZPW');
		      GRANT SELECT, INSERT, UPDATE, DELETE ON $DBNAME.* TO '$EZUSER'@'127.0.0.1'" &&
	       at_exit "mariadb --no-defaults --socket=$MQ_TEST_MYSQL_SOCKET -u root -e \"DROP USER IF EXISTS '$EZUSER'@'127.0.0.1'\" >/dev/null 2>&1" ;;
	esac
}

# columns - every table's columns, as the engine lists them
columns() {
	local schema="'public'"
	[ "$ENGINE" = mysql ] && schema="'$DBNAME'"
	q "SELECT table_name, column_name FROM information_schema.columns
	   WHERE table_schema = $schema ORDER BY table_name, column_name" | tr '\n\t' ' :'
}

# sorted_list - ezmlm-list's subscribers, one line
sorted_list() {
	"$B/ezmlm-list" "$DIR" | LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//'
}

every_engine() {
	[ "$ENGINE" = sqlite ] && return	# no grants in SQLite
	export MQ_STORE_PATH=$TMP/$ENGINE.mdb
	DIR=$TMP/$ENGINE-list
	local spec host port
	case $ENGINE in
	pgsql) port=$MQ_TEST_PG_PORT ;;
	mysql) port=$MQ_TEST_MYSQL_PORT ;;
	esac
	host=127.0.0.1
	spec="$ENGINE:$host:$port:$DBUSER:$PW:$DBNAME:ezl"
	check "$ENGINE: ezmlm-make -6" "$B/ezmlm-make" -6 "$spec" "$DIR" "$TMP/$ENGINE-dot" ezl lists.example
	check "$ENGINE: ezmlm-sub" "$B/ezmlm-sub" "$DIR" a@example.org b@example.org c@example.org
	check "$ENGINE: an account with SELECT, INSERT, UPDATE, DELETE only" minimal_account
	local before url
	before=$(columns)
	url=$(printf '%s\n' "$URL" | sed "s#://[^@]*@#://$EZUSER:$EZPW@#")
	check "$ENGINE: sync --from-sql" "$MQ" sync --from-sql --address "$url"
	expect_eq "$ENGINE: mq list" "a@example.org b@example.org c@example.org" \
		"$("$MQ" list ezl | LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//')"
	check "$ENGINE: mq sub, written through" env MQ_DATABASE_ADDRESS="$url" \
		"$MQ" sub ezl d@example.org
	check "$ENGINE: mq unsub in the store" "$MQ" unsub ezl b@example.org
	check "$ENGINE: sync --to-sql" "$MQ" sync --to-sql --address "$url"
	expect_eq "$ENGINE: ezmlm-list sees mq's changes" \
		"a@example.org c@example.org d@example.org" "$(sorted_list)"
	expect_eq "$ENGINE: no table or column added or changed" "$before" "$(columns)"
	check "$ENGINE: a second sync --from-sql" "$MQ" sync --from-sql --address "$url"
	expect_grep "$ENGINE: finds nothing to do" "nothing to do" "$TMP/last.out"
}

each_engine every_engine
finish
