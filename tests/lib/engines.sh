# NAME
#	engines.sh - a database of its own on each SQL engine, and its client
# SYNOPSIS
#	. "$REPO/tests/lib/engines.sh"	(after harness.sh)
#	DBNAME=myname_$$
#	engine_setup sqlite|pgsql|mysql && q "SELECT ..."
#	each_engine FUNCTION
# DESCRIPTION
#	engine_setup ENGINE sets ENGINE and URL (the database-address of a
#	fresh database DBNAME, dropped when the script exits; an SQLite file
#	in $TMP).  q SQL runs SQL with that engine's own command-line
#	client and prints rows as TSV, NULL as \N.  The servers are the ones
#	tests/run.sh started ($MQ_TEST_PG_*, $MQ_TEST_MYSQL_*).
#
#	each_engine FUNCTION runs FUNCTION once per engine after
#	engine_setup; an engine whose server is not there counts as a
#	failure (skip), one whose database cannot be made as another.

PW=${MQ_TEST_DB_PASSWORD:-}
DBUSER=${MQ_TEST_DB_USER:-mq}

q() {
	case $ENGINE in
	sqlite) sqlite3 -batch -noheader -separator $'\t' -nullvalue '\N' \
		"$TMP/db.sqlite" "$1" ;;
	pgsql) PGPASSWORD=$PW psql -X -q -A -t -F $'\t' -P 'null=\N' \
		-v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$MQ_TEST_PG_PORT" \
		-U "$DBUSER" -d "$DBNAME" -c "$1" ;;
	mysql) mariadb --no-defaults -h 127.0.0.1 -P "$MQ_TEST_MYSQL_PORT" \
		-u "$DBUSER" -p"$PW" -N -B "$DBNAME" -e "$1" |
		awk 'BEGIN { FS = OFS = "\t" }
		     { for (i = 1; i <= NF; i++) if ($i == "NULL") $i = "\\N"; print }' ;;
	esac
}

engine_setup() {
	ENGINE=$1
	case $ENGINE in
	sqlite) URL="sqlite://$TMP/db.sqlite" ;;
	pgsql) PGPASSWORD=$PW psql -X -q -h 127.0.0.1 -p "$MQ_TEST_PG_PORT" \
		-U "$DBUSER" -d "${MQ_TEST_DB_NAME:-mq}" -c "CREATE DATABASE $DBNAME" ||
		return 1
	       URL=$(printf '%s\n' "$MQ_TEST_PG_URL" | sed "s#/[^/]*\$#/$DBNAME#")
	       at_exit "PGPASSWORD=$PW psql -X -q -h 127.0.0.1 -p $MQ_TEST_PG_PORT -U $DBUSER -d ${MQ_TEST_DB_NAME:-mq} -c 'DROP DATABASE IF EXISTS $DBNAME' >/dev/null 2>&1" ;;
	mysql) mariadb --no-defaults -h 127.0.0.1 -P "$MQ_TEST_MYSQL_PORT" -u "$DBUSER" \
		-p"$PW" -e "CREATE DATABASE $DBNAME CHARACTER SET utf8mb4" || return 1
	       URL=$(printf '%s\n' "$MQ_TEST_MYSQL_URL" | sed "s#/[^/]*\$#/$DBNAME#")
	       at_exit "mariadb --no-defaults -h 127.0.0.1 -P $MQ_TEST_MYSQL_PORT -u $DBUSER -p$PW -e 'DROP DATABASE IF EXISTS $DBNAME' >/dev/null 2>&1" ;;
	esac
}

# each_engine FUNCTION - FUNCTION on a fresh database of every engine
each_engine() {
	local e
	for e in sqlite pgsql mysql; do
		case $e in
		pgsql) [ -n "${MQ_TEST_PG_URL:-}" ] ||
			{ skip "$e" "MQ_TEST_PG_URL not set"; continue; } ;;
		mysql) [ -n "${MQ_TEST_MYSQL_URL:-}" ] ||
			{ skip "$e" "MQ_TEST_MYSQL_URL not set"; continue; } ;;
		esac
		if engine_setup "$e"; then
			"$1"
		else
			fail "$e: create a database"
		fi
	done
}
