#!/usr/bin/env bash
# many_lists - a store with many lists: 2,000 lists of 10 subscribers and
# one list of 100,000 (MQ_LISTS_FULL=1: 10,000 lists and 1,000,000),
# created through mq serve's API and mq sub (times printed); mq backup
# and mq verify pass; every list lists exactly its addresses and answers
# issub, the big one too; cookies and checktag on a spread of lists; half
# the lists dropped, the others unchanged, backup and verify again.
# (Before lists shared databases, a file held about 390 lists.)
. "$(dirname "$0")/../lib/harness.sh"
. "$REPO/tests/lib/serve.sh"

if [ -n "${MQ_LISTS_FULL:-}" ]; then N=10000 BIG=1000000; else N=2000 BIG=100000; fi
TOKEN=many-lists-$$
DRIVER=$REPO/tests/lib/lists_driver.py
export MQ_STORE_PATH=$TMP/mq.mdb
SERVE_BIN=$MQ_STATIC
export SERVE_BIN

drive() {	# drive COMMAND [STEP]: the driver's verdict as a check
	local out last
	out=$(python3 "$DRIVER" "$URL" "$TOKEN" "$1" "$N" "${2:-1}" 2>&1)
	echo "$out" | sed 's/^/# /'
	last=${out##*$'\n'}
	expect_eq "$1: every list as expected" ok "${last%% *}"
}

# cookie_checks WHICH: cookie and checktag of every (N/20)-th list of WHICH
# ("all" or "kept": the odd ones), each with a wrong cookie refused.
cookie_checks() {
	local k c bad=0 n=0
	for k in $(seq 1 $((N / 20)) $((N - 1))); do
		[ "$1" = kept ] && [ $((k % 2)) = 0 ] && continue
		c=$("$MQ_STATIC" cookie "l$k" 7 "sender@l$k.example") || bad=$((bad + 1))
		"$MQ_STATIC" checktag "l$k" 7 "$c" > /dev/null 2>&1 || bad=$((bad + 1))
		"$MQ_STATIC" checktag "l$k" 7 aaaaaaaaaaaaaaaaaaaa > /dev/null 2>&1 && bad=$((bad + 1))
		n=$((n + 1))
	done
	expect_eq "cookie and checktag on $n lists ($1)" 0 "$bad"
}

backup_verify() {
	rm -f "$TMP/backup.mdb"
	check "mq backup ($1)" "$MQ_STATIC" backup "$TMP/backup.mdb"
	check "mq verify ($1)" "$MQ_STATIC" verify
}

serve_start "$TMP/serve.log" MQ_WWW_TOKEN="$TOKEN" || { finish; exit 1; }
start=$(date +%s%N)
drive create
echo "# $N lists of 10 created in $(( ($(date +%s%N) - start) / 1000000 )) ms"
seq 1 "$BIG" | sed 's/.*/big&@example.org/' > "$TMP/big.txt"
check "list-create big" "$MQ_STATIC" list-create big
start=$(date +%s%N)
check "sub big: $BIG addresses" "$MQ_STATIC" sub big - < "$TMP/big.txt"
echo "# $BIG addresses subscribed in $(( ($(date +%s%N) - start) / 1000000 )) ms"
cookie_checks all
drive check
expect_eq "the big list lists $BIG" "$BIG" "$("$MQ_STATIC" list big | wc -l)"
expect_eq "issub in the big list" "big$BIG@example.org" "$("$MQ_STATIC" issub big BIG$BIG@Example.org)"
serve_stop
backup_verify "$((N + 1)) lists"

serve_start "$TMP/serve.log" MQ_WWW_TOKEN="$TOKEN" || { finish; exit 1; }
start=$(date +%s%N)
drive drop
echo "# $((N / 2)) lists dropped in $(( ($(date +%s%N) - start) / 1000000 )) ms"
drive gone
cookie_checks kept
expect_status "checktag of a dropped list: exit 1" 1 "$MQ_STATIC" checktag l0 7 aaaaaaaaaaaaaaaaaaaa
expect_eq "the big list still lists $BIG" "$BIG" "$("$MQ_STATIC" list big | wc -l)"
serve_stop
backup_verify "after the drops"
finish
