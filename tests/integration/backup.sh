#!/usr/bin/env bash
# backup - 20 hot backups while another process writes: every copy
# verifies, opens, and holds whole transactions.
. "$(dirname "$0")/../lib/harness.sh"

export MQ_STORE_PATH="$TMP/mq.mdb"
BATCH=500
{
	printf 'domain\tname\n'
	for i in $(seq 1 5000); do printf 'd%d.example\tbackup row %d\n' "$i" "$i"; done
} > "$TMP/rows.tsv"
"$MQ" set capacity - --batch $BATCH < "$TMP/rows.tsv" > /dev/null

(
	end=$((SECONDS + 120))
	while [ $SECONDS -lt $end ] && [ ! -e "$TMP/stop" ]; do
		"$MQ_STATIC" set capacity - --batch $BATCH < "$TMP/rows.tsv" > /dev/null || exit 1
	done
) &
writer=$!

bad_backup=0 bad_verify=0 bad_open=0 bad_count=0 counts=""
for i in $(seq 1 20); do
	b="$TMP/backup-$i.mdb"
	"$MQ_STATIC" backup "$b" > "$TMP/b.out" 2>&1 || { bad_backup=$((bad_backup + 1)); cat "$TMP/b.out"; }
	"$MQ" verify "$b" > /dev/null 2>&1 || bad_verify=$((bad_verify + 1))
	n=$(MQ_STORE_PATH="$b" "$MQ" stat 2>/dev/null | awk '$1 == "capacity" { print $2 }')
	[ -n "$n" ] || bad_open=$((bad_open + 1))
	[ -n "$n" ] && [ $((n % BATCH)) -ne 0 ] && bad_count=$((bad_count + 1))
	counts="$counts ${n:-?}"
	sleep 0.1
done
touch "$TMP/stop"
wait $writer
writer_status=$?
echo "# rows in the backups:$counts"
expect_eq "20 backups written during writes" 0 "$bad_backup"
expect_eq "every backup verifies" 0 "$bad_verify"
expect_eq "every backup opens" 0 "$bad_open"
expect_eq "every backup holds whole transactions" 0 "$bad_count"
expect_eq "the writer never failed" 0 "$writer_status"
check "the backups saw the writes go on" test "$(echo $counts | tr ' ' '\n' | sort -u | wc -l)" -gt 1
expect_eq "a backup file is mode 0600" 600 "$(stat -c %a "$TMP/backup-1.mdb")"
finish
