#!/usr/bin/env bash
# store_limits - the limits of a store: an auto-increment column that
# reached 2^63-1 is a clear error on the insert that needs a new id (not
# "store is full"), and stays so after the row is deleted; store-max-size
# holds below the first 64 MiB of map, leaves the store as it was, and a
# store already larger than it opens for reads with a warning.
. "$(dirname "$0")/../lib/harness.sh"

export MQ_STORE_PATH="$TMP/mq.mdb"
MAX=9223372036854775807

# Auto-increment exhaustion.
check "a row with id 2^63-1" "$MQ" set locals id=$MAX type=address address=last@example.org
expect_status "the next insert without an id: exit 65" 65 "$MQ" set locals type=address address=next@example.org
expect_grep "it says the auto-increment is exhausted" "^mq: auto-increment for locals exhausted at $MAX\$" "$TMP/last.out"
expect_no_grep "it does not claim the store is full" "full|store-max-size" "$TMP/last.out"
expect_eq "one line" 1 "$(wc -l < "$TMP/last.out")"
check "an update of that row still works" "$MQ" set locals id=$MAX address=last2@example.org
check "other tables still allocate ids" "$MQ" set capacity domain=example.org
check "the row deleted" "$MQ" del locals id=$MAX
expect_status "the counter stays: still exhausted after the delete" 65 "$MQ" set locals type=address address=next@example.org
expect_grep "with the same message" "auto-increment for locals exhausted" "$TMP/last.out"
check "an explicit id below it is still accepted" "$MQ" set locals id=5 type=address address=five@example.org

# store-max-size below the first 64 MiB: a load that does not fit fails,
# and changes nothing.
rm -f "$MQ_STORE_PATH" "$MQ_STORE_PATH-lock"
export MQ_STORE_MAX_SIZE=8M
{
	printf 'type\taddress\n'
	for i in $(seq 1 500); do printf 'address\told%d@example.org\n' "$i"; done
} > "$TMP/small.tsv"
check "500 rows fit in 8M" "$MQ" set locals - < "$TMP/small.tsv"
"$MQ" dump locals > "$TMP/before.tsv"
awk 'BEGIN { print "type\taddress"; for (i = 1; i <= 300000; i++) printf "address\tsomeone-with-a-long-name-%d@subscribers.example.org\n", i }' > "$TMP/big.tsv"
expect_status "300k rows with store-max-size 8M: exit 75" 75 "$MQ" set locals - < "$TMP/big.tsv"
expect_grep "a clear store-max-size error" "^mq: .*store is full: the write needs more than store-max-size \\(8388608 bytes\\) allows" "$TMP/last.out"
size=$(stat -c %s "$MQ_STORE_PATH")
if [ "$size" -le 8388608 ]; then
	ok "the file stays within store-max-size ($size bytes)"
else
	fail "the file stays within store-max-size" "$size bytes"
fi
check "the store verifies" "$MQ" verify
"$MQ" dump locals > "$TMP/after.tsv"
check "the rows are as they were" cmp "$TMP/before.tsv" "$TMP/after.tsv"

# A store larger than store-max-size: it opens, reads work with a
# warning naming both sizes, writes that need more room are refused.
unset MQ_STORE_MAX_SIZE
check "300k rows without the limit" "$MQ" set locals - < "$TMP/big.tsv"
used=$(stat -c %s "$MQ_STORE_PATH")
export MQ_STORE_MAX_SIZE=8M
check "reads of a store larger than store-max-size work" "$MQ" get locals id=7
expect_grep "with a warning naming both sizes" "^mq: warning: .*takes [0-9]+ bytes, more than store-max-size \\(8388608 bytes\\)" "$TMP/last.out"
expect_grep "and the row" "old7@example.org" "$TMP/last.out"
awk 'BEGIN { print "type\taddress"; for (i = 1; i <= 20000; i++) printf "address\tnewcomer-%d@subscribers.example.org\n", i }' > "$TMP/more.tsv"
expect_status "a write that needs more room: exit 75" 75 "$MQ" set locals - < "$TMP/more.tsv"
expect_grep "the same clear error" "store is full: the write needs more than store-max-size \\(8388608 bytes\\)" "$TMP/last.out"
expect_eq "the file did not grow" "$used" "$(stat -c %s "$MQ_STORE_PATH")"
unset MQ_STORE_MAX_SIZE
check "the store verifies" "$MQ" verify
finish
