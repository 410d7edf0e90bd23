#!/usr/bin/env bash
# NAME
#	sql_read_committed.sh - one snapshot for sync --from-sql on a
#	MariaDB whose default isolation is READ-COMMITTED
# DESCRIPTION
#	A PRIVATE MariaDB (tests/lib/servers.sh) is set to
#	tx_isolation = READ-COMMITTED for every new session (SET
#	GLOBAL), as some clusters run.  List ml has 50,000 subscribers;
#	while mq sync --from-sql reads it, another client commits pairs,
#	each one subscriber in ml and its line in ml_slog in one
#	transaction, every few milliseconds.  The store must hold as many
#	new subscribers as new slog lines: mq's session asks for
#	REPEATABLE READ and a consistent snapshot itself, so the list and
#	its log are read as of one moment.  Read at the server's default,
#	the log (read after the list) runs ahead of it.

. "$(dirname "$0")/../lib/harness.sh"
. "$REPO/tests/lib/servers.sh"

ROWS=50000

# A second try on a busy machine, where mariadb-install-db can fail once.
if ! maria_start "$TMP/maria" >"$TMP/maria.log" 2>&1 &&
	! { maria_stop "$TMP/maria"; maria_start "$TMP/maria" >>"$TMP/maria.log" 2>&1; }; then
	fail "a private mariadb starts" "$(tail -n 5 "$TMP/maria.log")"
	finish
fi
at_exit 'maria_stop "$TMP/maria"'

msql() {
	mariadb --no-defaults -h 127.0.0.1 -P "$MYSQL_PORT" -u "$TEST_DB_USER" \
		-p"$TEST_DB_PASSWORD" -N -B "$TEST_DB_NAME" "$@"
}

check "the server's isolation is READ-COMMITTED" \
	mariadb --no-defaults --socket="$MYSQL_SOCKET" -u root \
	-e "SET GLOBAL tx_isolation = 'READ-COMMITTED'"
expect_eq "a new session gets it" "READ-COMMITTED" "$(msql -e 'SELECT @@tx_isolation')"

export MQ_STORE_PATH=$TMP/mq.mdb MQ_DATABASE_ADDRESS=$MYSQL_URL
check "a list" "$MQ" list-create ml
check "its tables" "$MQ" sync --to-sql
check "$ROWS subscribers" msql -e "INSERT INTO ml (hash, address, domain)
	SELECT seq % 53, CONCAT('user', seq, '@example.org'), 'org' FROM seq_1_to_$ROWS"
check "a first load" "$MQ_STATIC" sync --from-sql
base_subs=$("$MQ_STATIC" list ml | wc -l)
base_slog=$("$MQ_STATIC" dump ml_slog | tail -n +2 | wc -l)

# pairs N - N transactions of one subscriber and its slog line
pairs() {
	for i in $(seq 1 "$1"); do
		echo "START TRANSACTION;
		      INSERT INTO ml (hash, address, domain) VALUES (7, 'w$i@example.net', 'net');
		      INSERT INTO ml_slog (tai, address, fromline, edir, etype)
		      VALUES (NOW(), 'w$i@example.net', '', '+', 'S');
		      COMMIT; DO SLEEP(0.002);"
	done
}
pairs 20000 >"$TMP/pairs.sql"
msql <"$TMP/pairs.sql" >"$TMP/writer.out" 2>&1 &
writer=$!
at_exit "kill $writer 2>/dev/null"
sleep 0.3
before=$(msql -e 'SELECT count(*) FROM ml_slog')
check "sync --from-sql while the writer commits" "$MQ_STATIC" sync --from-sql
after=$(msql -e 'SELECT count(*) FROM ml_slog')
kill "$writer" 2>/dev/null
wait "$writer" 2>/dev/null
check "the writer committed during the sync ($before, then $after slog lines)" \
	test "$after" -gt "$before"
subs=$(($("$MQ_STATIC" list ml | wc -l) - base_subs))
slog=$(($("$MQ_STATIC" dump ml_slog | tail -n +2 | wc -l) - base_slog))
check "the writer's pairs reached the store ($subs)" test "$subs" -gt 0
expect_eq "as many new slog lines as new subscribers: one snapshot" "$subs" "$slog"
finish
