#!/usr/bin/env bash
# crash - a bulk load of 100k rows in transactions of 1000, killed with
# SIGKILL at 20 random moments: each time the store opens, verifies, and
# holds a whole number of committed transactions.
. "$(dirname "$0")/../lib/harness.sh"

export MQ_STORE_PATH="$TMP/mq.mdb"
ROWS=100000 BATCH=1000

{
	printf 'name\tlocalip\tdomain\tdomain_maxmessages\tip_maxconnects\n'
	awk -v n=$ROWS 'BEGIN { for (i = 1; i <= n; i++)
		printf "row %d\t10.%d.%d.%d\td%d.example\t%d\t%s\n", i,
			i % 250, (i / 250) % 250, i % 7, i, i % 1000,
			(i % 3 ? -1 : "\\N") }'
} > "$TMP/rows.tsv"

rows_now() { "$MQ_STATIC" stat | awk '$1 == "capacity" { print $2 }'; }

# How long one whole load takes here, so kills land inside loads.
start=$(date +%s%N)
MQ_STORE_PATH="$TMP/timing.mdb" "$MQ_STATIC" set capacity - --batch $BATCH < "$TMP/rows.tsv" > /dev/null
full_ms=$(( ($(date +%s%N) - start) / 1000000 ))
echo "# one load of $ROWS rows takes ${full_ms} ms"

prev=0 inside=0 bad_verify=0 bad_boundary=0 shrank=0
for i in $(seq 1 20); do
	"$MQ_STATIC" set capacity - --batch $BATCH < "$TMP/rows.tsv" > /dev/null 2>&1 &
	pid=$!
	delay_ms=$(( RANDOM % (full_ms + 1) + 1 ))
	sleep "$(printf '0.%03d' $((delay_ms % 1000)))"
	sleep $((delay_ms / 1000))
	kill -KILL $pid 2>/dev/null
	wait $pid 2>/dev/null
	if ! "$MQ_STATIC" verify > "$TMP/verify.out" 2>&1; then
		bad_verify=$((bad_verify + 1))
		echo "# kill $i: verify failed: $(cat "$TMP/verify.out")"
	fi
	now=$(rows_now)
	added=$((now - prev))
	[ $((now % BATCH)) -eq 0 ] || { bad_boundary=$((bad_boundary + 1)); echo "# kill $i: $now rows"; }
	[ "$now" -ge "$prev" ] || shrank=$((shrank + 1))
	[ "$added" -gt 0 ] && [ "$added" -lt $ROWS ] && inside=$((inside + 1))
	echo "# kill $i after ${delay_ms} ms: $now rows (+$added)"
	prev=$now
done
expect_eq "every store verified after SIGKILL" 0 "$bad_verify"
expect_eq "every row count is a committed transaction boundary" 0 "$bad_boundary"
expect_eq "no committed rows were lost" 0 "$shrank"
check "some kills landed in the middle of a load ($inside of 20)" test "$inside" -gt 0
check "a load after the kills completes" "$MQ_STATIC" set capacity - --batch $BATCH < "$TMP/rows.tsv"
expect_eq "and adds all its rows" $((prev + ROWS)) "$(rows_now)"
check "the final store verifies" "$MQ_STATIC" verify
finish
