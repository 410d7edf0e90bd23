#!/usr/bin/env bash
# disk_full - the store on a full file system: a large subscribe and a
# large mq set fail with "disk full" naming the file and the room left,
# exit 75, and the store opens, verifies and holds its old data; an API
# write on the full file system is answered 507, logged, and shown on
# /health (503) and /metrics until a write succeeds again.
#
# The file system is a 20 MiB tmpfs mounted here when the test may
# mount (root); otherwise the file size limit (prlimit --fsize) stands
# in for it, and the TAP lines say so.
. "$(dirname "$0")/../lib/harness.sh"
. "$REPO/tests/lib/serve.sh"

FS=$TMP/fs
mkdir -p "$FS"
if [ "$(id -u)" = 0 ] && mount -t tmpfs -o size=20m tmpfs "$FS" 2> /dev/null; then
	at_exit "umount -l '$FS'"
	MODE="a 20 MiB tmpfs"
	WANT='disk full: [^ ]*/mq\.mdb: [0-9]+ bytes free on its file system'
	limited() { "$@"; }
else
	MODE="prlimit --fsize 20 MiB"
	WANT='file size limit: [^ ]*/mq\.mdb: [0-9]+ bytes, the limit \(RLIMIT_FSIZE\) is [0-9]+'
	limited() { prlimit --fsize=$((20 << 20)) "$@"; }
fi
export MQ_STORE_PATH="$FS/mq.mdb"
echo "# the full file system: $MODE"

# make_store - a fresh store with old data to keep: a list, MailerQ rows
make_store() {
	rm -f "$FS"/*
	"$MQ" list-create news > /dev/null
	seq 1 1000 | sed 's/.*/old&@example.org/' | "$MQ" sub news - > /dev/null
	printf 'type\taddress\ndomain\texample.org\ndomain\texample.net\n' |
		"$MQ" set locals - > /dev/null
	"$MQ" list news > "$TMP/list.ref"
	"$MQ" dump locals > "$TMP/locals.ref"
}
# intact WHAT - the store opens, verifies and holds the old data
intact() {
	check "$1: the store verifies" "$MQ" verify
	"$MQ" list news > "$TMP/list.now"
	"$MQ" dump locals > "$TMP/locals.now"
	check "$1: the list is as it was" cmp "$TMP/list.ref" "$TMP/list.now"
	check "$1: the rows are as they were" cmp "$TMP/locals.ref" "$TMP/locals.now"
}

make_store
seq 1 300000 | sed 's/.*/member&@subscribers.example.org/' > "$TMP/subs"
expect_status "subscribe 300k on $MODE: exit 75" 75 limited "$MQ" sub news - < "$TMP/subs"
expect_grep "a clear one-line error" "^mq: $WANT\$" "$TMP/last.out"
expect_eq "one line" 1 "$(wc -l < "$TMP/last.out")"
intact "after the subscribe"

make_store
awk 'BEGIN { print "type\taddress"; for (i = 1; i <= 300000; i++) printf "address\tsomeone-%d@subscribers.example.org\n", i }' > "$TMP/rows.tsv"
expect_status "mq set of 300k rows on $MODE: exit 75" 75 limited "$MQ" set locals - < "$TMP/rows.tsv"
expect_grep "a clear error" "$WANT" "$TMP/last.out"
intact "after the set"

# The API on a full file system.
make_store
rows_json() {	# rows_json TAG - 10,000 locals rows, one JSON array
	awk -v tag="$1" 'BEGIN { printf "["; for (i = 1; i <= 10000; i++) printf "%s{\"type\":\"address\",\"address\":\"%s-%d-with-a-longer-local-part@subscribers.example.org\"}", (i > 1 ? "," : ""), tag, i; print "]" }'
}
rows_json first > "$TMP/first.json"
rows_json second > "$TMP/second.json"
SERVE_BIN=$MQ
if [ "$MODE" = "a 20 MiB tmpfs" ]; then
	serve_start "$TMP/serve.log" MQ_STORE_PATH="$MQ_STORE_PATH" MQ_WWW_TOKEN=secret
	# fill the file system to the last byte
	dd if=/dev/zero of="$FS/filler" bs=64k 2> /dev/null
else
	serve_start "$TMP/serve.log" MQ_STORE_PATH="$MQ_STORE_PATH" MQ_WWW_TOKEN=secret prlimit --fsize=$(($(stat -c %s "$MQ_STORE_PATH") + (256 << 10)))
fi
AUTH=(-H 'Authorization: Bearer secret' -H 'Content-Type: application/json')
req "10,000 rows posted on $MODE: 507" POST /v1/tables/locals 507 "${AUTH[@]}" --data-binary @"$TMP/first.json"
expect_grep "the answer says why" "$WANT" "$TMP/body"
req "/health: 503" GET /health 503
expect_grep "/health shows the failed write" "\"write_nospace\":\"$WANT" "$TMP/body"
req "/metrics" GET /metrics 200
expect_grep "/metrics counts it" '^mq_store_write_nospace_total 1$' "$TMP/body"
expect_grep "mq serve logged it" "error: write failed: .*$WANT" "$TMP/serve.log"
if [ "$MODE" = "a 20 MiB tmpfs" ]; then
	rm -f "$FS/filler"
	req "room made: the next write goes through" POST /v1/tables/locals 201 "${AUTH[@]}" --data-binary @"$TMP/second.json"
	req "/health: 200 again" GET /health 200
	expect_grep "no failed write shown" '"write_nospace":null' "$TMP/body"
	want_rows=10002
else
	echo "# no room can be made under a file size limit: not tried"
	want_rows=2
fi
serve_stop
expect_eq "mq serve stops cleanly" 0 "$?"
check "after the API writes: the store verifies" "$MQ" verify
"$MQ" list news > "$TMP/list.now"
check "after the API writes: the list is as it was" cmp "$TMP/list.ref" "$TMP/list.now"
expect_eq "only the write that went through is in the store" "$want_rows" "$("$MQ" dump locals | tail -n +2 | wc -l)"
finish
