#!/usr/bin/env bash
# NAME
#	sql_schema.sh - check-database, repair-database, purge-database and
#	"mq sql schema/grant" against SQLite, PostgreSQL and MariaDB
# DESCRIPTION
#	For each engine, in a database of its own (so other tests on the
#	shared servers are not disturbed), and looking with the engine's
#	own client (sqlite3, psql, mariadb):
#	  - the DDL of "mq sql schema --list ml" loads into the client, and
#	    the list's tables have exactly ezmlm-idx 7's columns plus the
#	    split columns (tests/integration/sql_ezmlm_columns.txt), with
#	    ezmlm-idx's types for that engine;
#	  - check-database reports the missing MailerQ tables (65);
#	    repair-database creates every table with the columns "mq tables"
#	    documents; check-database then says valid (0);
#	  - a dropped column is reported by table and column, and repair
#	    adds it back; a list found in SQL as T + T_slog is completed;
#	  - with database-validate false an extra column is no problem and
#	    survives repair; with validation on it is reported and dropped;
#	  - purge-database leaves every table there and empty;
#	  - "mq sql grant" output runs in the engine as its superuser;
#	  - a wrong password exits 65 with a clear message and without the
#	    password; no database-address at all exits 64.
#	Needs MQ_TEST_PG_URL, MQ_TEST_MYSQL_URL and the socket variables of
#	tests/run.sh; a missing server is a failure.

. "$(dirname "$0")/../lib/harness.sh"

COLUMNS_FILE=$REPO/tests/integration/sql_ezmlm_columns.txt
DB=mq_schema_$$
SQLITE_FILE=$TMP/schema.db
WRONG=WrongPw7y2z

# A store with list "ml", for "mq tables": the documented columns.
export MQ_STORE_PATH=$TMP/store.mdb
unset MQ_DATABASE_ADDRESS MQ_DATABASE_VALIDATE
"$MQ" list-create ml >/dev/null

# pg_admin SQL... - psql as the postgres superuser over the Unix socket
pg_admin() {
	(cd / && runuser -u postgres -- psql -q -v ON_ERROR_STOP=1 -At \
		-h "$MQ_TEST_PG_SOCKDIR" -p "$MQ_TEST_PG_PORT" -d "${PGDB:-mq}" "$@")
}

# my_admin ARGS... - mariadb as root over the Unix socket
my_admin() {
	mariadb -S "$MQ_TEST_MYSQL_SOCKET" -u root -N -B "$@"
}

# sqlc ENGINE SQL - run SQL with the engine's client as the mq user
sqlc() {
	case $1 in
	sqlite) sqlite3 -bail "$SQLITE_FILE" "$2" ;;
	pgsql) PGPASSWORD=$MQ_TEST_DB_PASSWORD psql -q -v ON_ERROR_STOP=1 -At \
		-h 127.0.0.1 -p "$MQ_TEST_PG_PORT" -U "$MQ_TEST_DB_USER" -d "$DB" -c "$2" ;;
	mysql) mariadb -h 127.0.0.1 -P "$MQ_TEST_MYSQL_PORT" -u "$MQ_TEST_DB_USER" \
		-p"$MQ_TEST_DB_PASSWORD" -N -B "$DB" -e "$2" ;;
	esac
}

# sqlc_stdin ENGINE - run the SQL on stdin with the engine's client
sqlc_stdin() {
	case $1 in
	sqlite) sqlite3 -bail "$SQLITE_FILE" ;;
	pgsql) PGPASSWORD=$MQ_TEST_DB_PASSWORD psql -q -v ON_ERROR_STOP=1 \
		-h 127.0.0.1 -p "$MQ_TEST_PG_PORT" -U "$MQ_TEST_DB_USER" -d "$DB" ;;
	mysql) mariadb -h 127.0.0.1 -P "$MQ_TEST_MYSQL_PORT" -u "$MQ_TEST_DB_USER" \
		-p"$MQ_TEST_DB_PASSWORD" "$DB" ;;
	esac
}

# columns ENGINE TABLE - "name type" per column, in table order, as the
#	engine's own catalog says (types lower-cased)
columns() {
	case $1 in
	sqlite) sqlc sqlite "SELECT name || ' ' || lower(type) FROM pragma_table_info('$2') ORDER BY cid" ;;
	pgsql) sqlc pgsql "SELECT column_name || ' ' || data_type FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = '$2' ORDER BY ordinal_position" ;;
	mysql) sqlc mysql "SELECT CONCAT(column_name, ' ', column_type) FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = '$2' ORDER BY ordinal_position" ;;
	esac
}

# column_names ENGINE TABLE - the names only, space-separated
column_names() {
	columns "$1" "$2" | awk '{ print $1 }' | paste -sd' '
}

# sorted - space-separated words in sorted order
sorted() {
	tr ' ' '\n' | sort | paste -sd' '
}

# documented TABLE - the column names "mq tables" documents
documented() {
	"$MQ" tables "$1" | awk 'NR > 1 { print $1 }' | paste -sd' '
}

# with_mq_id ENGINE TABLE NAMES - NAMES and the primary key id mq adds
# in SQL: to T_slog, and to MySQL's address tables (docs/sql.md)
with_mq_id() {
	case $2 in
	*_slog) echo "$3 id" ;;
	*) if [ "$1" = mysql ] && [ "${3%% *}" = hash ]; then echo "$3 id"; else echo "$3"; fi ;;
	esac
}

# url ENGINE [PASSWORD] - the database-address of this test's database
url() {
	local u
	case $1 in
	sqlite) echo "sqlite://$SQLITE_FILE"; return ;;
	pgsql) u=$MQ_TEST_PG_URL ;;
	mysql) u=$MQ_TEST_MYSQL_URL ;;
	esac
	u=$(printf '%s\n' "$u" | sed -E "s#/[^/?]*(\?.*)?\$#/$DB\1#")
	[ -n "${2:-}" ] && u=$(printf '%s\n' "$u" | sed -E "s#^([a-z]+://[^:/@]+):[^@]*@#\\1:$2@#")
	printf '%s\n' "$u"
}

# ezmlm_checks ENGINE - list tables against ezmlm-idx 7 (the data file)
ezmlm_checks() {
	local e=$1 kind suffix want got col type bad=0 n=0
	while read -r kind suffix want; do
		case $kind in
		columns)
			got=$(column_names "$e" "ml${suffix#-}")
			expect_eq "$e: ml${suffix#-} has ezmlm-idx 7's columns + split (+ mq's id)" \
				"$(with_mq_id "$e" "ml${suffix#-}" "$want")" "$got" ;;
		"$e")
			col=${want%% *}; type=${want#* }
			got=$(columns "$e" "ml${suffix#-}" | awk -v c="$col" '$1 == c { $1 = ""; sub(/^ /, ""); print }')
			n=$((n + 1))
			[ "$got" = "$type" ] || { bad=$((bad + 1)); echo "# ml${suffix#-}.$col: $got, expected $type"; } ;;
		esac
	done < <(grep -v '^#' "$COLUMNS_FILE")
	check "$e: $n column types are ezmlm-idx 7's for $e ($bad differ)" \
		test "$n" -gt 0 -a "$bad" = 0
}

# documented_checks ENGINE - every table with its documented columns
documented_checks() {
	local e=$1 t bad=0 n=0
	for t in $("$MQ" tables | awk '{ print $1 }'); do
		n=$((n + 1))
		if [ "$(column_names "$e" "$t")" != "$(with_mq_id "$e" "$t" "$(documented "$t")")" ]; then
			bad=$((bad + 1))
			echo "# $t: $(column_names "$e" "$t") != $(documented "$t") (+ mq's id)"
		fi
	done
	check "$e: all $n tables have the documented columns ($bad differ)" \
		test "$n" -ge 33 -a "$bad" = 0
}

# engine_checks ENGINE - the whole sequence on one engine
engine_checks() {
	local e=$1 u
	u=$(url "$e")

	"$MQ" sql schema --dialect "$e" --list ml > "$TMP/ml.sql"
	check "$e: the client loads mq sql schema --list ml" sqlc_stdin "$e" < "$TMP/ml.sql"
	ezmlm_checks "$e"

	# as ezmlm-make leaves a list: no split tables (mq's lists have them,
	# and a database whose lists mq made is filled whole)
	sqlc "$e" "DROP TABLE ml_name"
	sqlc "$e" "DROP TABLE ml_digest_name"
	check "$e: a list and no MailerQ table: a lists-only database" \
		"$MQ" check-database --address "$u"
	expect_grep "$e: reported as such" '^valid: a lists-only database' "$TMP/last.out"
	sqlc "$e" "CREATE TABLE locals (id INTEGER PRIMARY KEY, type VARCHAR(16), address TEXT)"
	expect_status "$e: one MailerQ table: check-database finds the missing ones" 65 \
		"$MQ" check-database --address "$u"
	expect_grep "$e: the report names a missing table" '^table capacity: missing$' "$TMP/last.out"
	expect_no_grep "$e: the list ml is valid already" '^table ml' "$TMP/last.out"

	check "$e: repair-database" "$MQ" repair-database --address "$u"
	expect_grep "$e: repair prints what it creates" 'CREATE TABLE .capacity.' "$TMP/last.out"
	expect_grep "$e: repair ends valid" '^valid$' "$TMP/last.out"
	documented_checks "$e"
	expect_status "$e: check-database says valid" 0 "$MQ" check-database --address "$u"

	sqlc "$e" "ALTER TABLE capacity DROP COLUMN secure"
	sqlc "$e" "ALTER TABLE ml_slog DROP COLUMN fromline"
	expect_status "$e: a dropped column fails the check" 65 \
		"$MQ" check-database --address "$u"
	expect_grep "$e: reported by table and column" '^table capacity: column secure: missing$' "$TMP/last.out"
	expect_grep "$e: list table too" '^table ml_slog: column fromline: missing$' "$TMP/last.out"
	check "$e: repair re-adds them" "$MQ" repair-database --address "$u"
	# An added column comes last: compare the sets.
	expect_eq "$e: capacity has secure again" "$(documented capacity | sorted)" \
		"$(column_names "$e" capacity | sorted)"
	expect_eq "$e: ml_slog has fromline again" "$(with_mq_id "$e" ml_slog "$(documented ml_slog)" | sorted)" \
		"$(column_names "$e" ml_slog | sorted)"

	sqlc "$e" "CREATE TABLE part (hash INTEGER)"
	sqlc "$e" "CREATE TABLE part_slog (address VARCHAR(255))"
	check "$e: repair completes a list found as T + T_slog" "$MQ" repair-database --address "$u"
	expect_eq "$e: part_cookie created" "$(documented ml_cookie)" "$(column_names "$e" part_cookie)"
	expect_eq "$e: part got its columns" "$(with_mq_id "$e" part "$(documented ml)" | sorted)" \
		"$(column_names "$e" part | sorted)"

	sqlc "$e" "ALTER TABLE capacity ADD COLUMN note_extra VARCHAR(20)"
	MQ_DATABASE_VALIDATE=false expect_status "$e: validation off: extra column is fine" 0 \
		"$MQ" check-database --address "$u"
	MQ_DATABASE_VALIDATE=false check "$e: validation off: repair" \
		"$MQ" repair-database --address "$u"
	expect_no_grep "$e: validation off: nothing dropped" 'DROP' "$TMP/last.out"
	expect_grep "$e: validation off: the extra column survives" 'note_extra' \
		<(columns "$e" capacity)
	expect_status "$e: validation on: extra column reported" 65 \
		"$MQ" check-database --address "$u"
	expect_grep "$e: reported by name" '^table capacity: column note_extra: not one of mq' "$TMP/last.out"
	check "$e: validation on: repair drops it (--yes)" "$MQ" repair-database --yes --address "$u"
	expect_no_grep "$e: the extra column is gone" 'note_extra' <(columns "$e" capacity)

	sqlc "$e" "INSERT INTO capacity (name, domain) VALUES ('x', 'example.com')"
	sqlc "$e" "INSERT INTO ml (hash, address, domain) VALUES (1, 'a@example.com', 'com')"
	check "$e: purge-database --yes" "$MQ" purge-database --yes --address "$u"
	expect_grep "$e: purge prints what it drops" '^DROP TABLE IF EXISTS .capacity.;$' "$TMP/last.out"
	expect_eq "$e: capacity is empty" 0 "$(sqlc "$e" 'SELECT count(*) FROM capacity')"
	expect_eq "$e: ml is empty" 0 "$(sqlc "$e" 'SELECT count(*) FROM ml')"
	expect_status "$e: still valid after purge" 0 "$MQ" check-database --address "$u"
	expect_status "$e: the static binary agrees" 0 "$MQ_STATIC" check-database --address "$u"
}

# server_only_checks ENGINE - password and grants (servers only)
server_only_checks() {
	local e=$1 role=mq_grant_$$
	expect_status "$e: wrong password exits 65" 65 \
		"$MQ" check-database --address "$(url "$e" "$WRONG")"
	expect_grep "$e: wrong password is explained" \
		'(password authentication failed|Access denied)' "$TMP/last.out"
	expect_no_grep "$e: wrong password is not printed" "$WRONG" "$TMP/last.out"
	expect_no_grep "$e: real password is not printed" "$MQ_TEST_DB_PASSWORD" "$TMP/last.out"

	"$MQ" sql grant --dialect "$e" --user "$role" --list ml > "$TMP/grant.sql"
	"$MQ" sql grant --dialect "$e" --user "$role" >> "$TMP/grant.sql"
	if [ "$e" = pgsql ]; then
		pg_admin -c "CREATE ROLE $role"
		at_exit "pg_admin -c 'DROP ROLE IF EXISTS $role'"  # after the database: its grants are gone
		PGDB=$DB check "$e: grants run" pg_admin < "$TMP/grant.sql"
		expect_eq "$e: ml_slog rights" "INSERT SELECT" "$(PGDB=$DB pg_admin -c \
			"SELECT privilege_type FROM information_schema.role_table_grants WHERE grantee = '$role' AND table_name = 'ml_slog' ORDER BY 1" | paste -sd' ')"
	else
		my_admin -e "CREATE USER '$role'@'%'"
		at_exit "my_admin -e \"DROP USER '$role'@'%'\""
		check "$e: grants run" my_admin "$DB" < "$TMP/grant.sql"
		expect_grep "$e: capacity rights" "GRANT SELECT, INSERT, UPDATE, DELETE ON .$DB.\\..capacity." \
			<(my_admin -e "SHOW GRANTS FOR '$role'@'%'")
	fi
}

if [ -z "${MQ_TEST_PG_URL:-}" ] || [ -z "${MQ_TEST_MYSQL_URL:-}" ]; then
	fail "servers: MQ_TEST_PG_URL and MQ_TEST_MYSQL_URL are needed (tests/run.sh)"
fi

engine_checks sqlite
"$MQ" sql grant --dialect sqlite --user x > "$TMP/grant.sql"
expect_grep "sqlite: grant says SQLite has none" '^-- SQLite has no users' "$TMP/grant.sql"

if [ -n "${MQ_TEST_PG_URL:-}" ]; then
	pg_admin -c "CREATE DATABASE $DB OWNER $MQ_TEST_DB_USER"
	at_exit "pg_admin -c 'DROP DATABASE IF EXISTS $DB'"
	engine_checks pgsql
	server_only_checks pgsql
fi
if [ -n "${MQ_TEST_MYSQL_URL:-}" ]; then
	my_admin -e "CREATE DATABASE $DB"
	at_exit "my_admin -e 'DROP DATABASE IF EXISTS $DB'"
	engine_checks mysql
	server_only_checks mysql
fi

expect_status "no database-address: usage error" 64 "$MQ" check-database
expect_grep "no database-address: says how to set one" 'database-address' "$TMP/last.out"
expect_status "schema: a bad list name is refused" 64 "$MQ" sql schema --list 'x;drop'
expect_status "schema: a bad dialect is refused" 64 "$MQ" sql schema --dialect oracle
expect_status "grant: --user is required" 64 "$MQ" sql grant
for c in check-database repair-database purge-database; do
	"$MQ" "$c" --help > "$TMP/help.out"
	expect_grep "$c --help" "^usage: mq $c" "$TMP/help.out"
done

finish
