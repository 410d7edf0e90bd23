# NAME
#	fault_kill9.sh - kill -9 at random moments of the writers (shared part)
# SYNOPSIS
#	. "$REPO/tests/lib/fault_kill9.sh"
#	sub_kills	(or sync_kills, import_kills, serve_kills)
# DESCRIPTION
#	Each writer is killed with SIGKILL FAULT_RUNS (20) times at a random
#	moment (delays drawn from a fixed seed, between 0 and up to twice
#	one whole run as measured here first, so that kills land both
#	inside and after the commit):
#
#	- sub_kills: mq sub T - of FAULT_SUB_N (300,000) addresses, and
#	  mq unsub T - of them once they are in (one store transaction
#	  each);
#	- sync_kills: mq sync --from-sql from SQLite of a table of
#	  FAULT_SYNC_N (300,000) rows, half of them changed between two
#	  databases, towards the one the store does not equal yet;
#	- import_kills: mq import ezmlm --replace of a directory of
#	  FAULT_IMPORT_N (300,000) subscribers and a fifth as many digest
#	  subscribers, alternating with one of half that size (one store
#	  transaction);
#	- serve_kills: mq serve taking API writes from two clients (killed
#	  within 1.2 s).
#
#	After each kill the store opens, mq verify passes, and it holds a
#	whole-transaction state: the subscriber count and the _slog count
#	are both the old ones or both the new ones; each row is the old
#	or the new version of itself, never anything else (a sync is
#	applied in many short transactions, sync.md, so a mix of old and
#	new rows is what it promises), and the next sync completes it; an
#	imported list is absent, the old one or the new one, whole, and
#	every API write answered 201 before the kill is in the store.
#	The killed processes are the release build (build/mq), for speed.
#	One script per writer (tests/integration/fault_kill9_*.sh), so
#	that the four run side by side and each keeps within the runner's
#	time limit.

. "$REPO/tests/lib/serve.sh"

export LC_ALL=C
export MQ_STORE_PATH="$TMP/mq.mdb"
RUNS=${FAULT_RUNS:-20}
SUB_N=${FAULT_SUB_N:-300000}
SYNC_N=${FAULT_SYNC_N:-300000}
IMPORT_N=${FAULT_IMPORT_N:-300000}
RANDOM=14			# the fixed seed of every delay below
M=$MQ_STATIC

# count TABLE - rows of TABLE in the store (mq stat)
count() { "$M" stat | awk -v t="$1" '$1 == t { print $2 }'; }

# elapsed_ms CMD... - how long CMD takes here, in ms
elapsed_ms() {
	local t0
	t0=$(date +%s%N)
	"$@" > /dev/null 2>&1
	echo $((($(date +%s%N) - t0) / 1000000))
}

# kill_after MS PID - SIGKILL PID after MS milliseconds, and reap it
kill_after() {
	sleep "$(printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)))"
	kill -KILL "$2" 2>/dev/null
	wait "$2" 2>/dev/null
}

# delay FULL_MS [PERCENT] - a random delay in [20, FULL_MS * PERCENT / 100]
# ms (default 200%): a run takes longer at one moment than at another on a
# shared machine, and some runs should complete to test both outcomes
delay() { echo $((20 + (RANDOM * 32768 + RANDOM) % ($1 * ${2:-200} / 100 + 1))); }

# verified WHAT - mq verify passes (counted in $bad_verify)
verified() {
	if ! "$M" verify > "$TMP/verify.out" 2>&1; then
		bad_verify=$((bad_verify + 1))
		echo "# $1: verify failed: $(tail -n 2 "$TMP/verify.out")"
	fi
}

# --- mq sub T - ------------------------------------------------------------
sub_kills() {
	local i d op subs slog prev_subs prev_slog inside=0 torn=0 ops=""
	awk -v n="$SUB_N" 'BEGIN { for (i = 1; i <= n; i++)
		printf "user%d@d%d.example\n", i, i % 997 }' > "$TMP/addrs"
	"$M" list-create team > /dev/null
	full=$(elapsed_ms "$M" sub team - < "$TMP/addrs")
	"$M" unsub team - < "$TMP/addrs" > /dev/null
	echo "# sub: $SUB_N addresses take ${full} ms here"
	bad_verify=0
	for i in $(seq 1 "$RUNS"); do
		prev_subs=$(count team) prev_slog=$(count team_slog)
		op=sub
		[ "$prev_subs" = "$SUB_N" ] && op=unsub
		"$M" $op team - < "$TMP/addrs" > /dev/null 2>&1 &
		d=$(delay "$full")
		kill_after "$d" $!
		verified "sub kill $i"
		subs=$(count team) slog=$(count team_slog)
		echo "# sub kill $i: $op after $d ms: $prev_subs -> $subs subscribers, $prev_slog -> $slog slog rows"
		if [ "$subs" = "$prev_subs" ] && [ "$slog" = "$prev_slog" ]; then
			inside=$((inside + 1))
		elif [ $((subs + prev_subs)) != "$SUB_N" ] ||
			[ "$slog" != $((prev_slog + SUB_N)) ]; then
			torn=$((torn + 1))
		fi
		ops="$ops $op"
	done
	expect_eq "sub/unsub of $SUB_N addresses, $RUNS kills (release build): every store verifies" 0 "$bad_verify"
	expect_eq "sub/unsub: subscribers and slog rows are both old or both new" 0 "$torn"
	check "sub/unsub: some kills landed inside ($inside of $RUNS; the others after the commit)" test "$inside" -gt 0
	check "sub/unsub: a sub after the kills completes" "$M" sub team - < "$TMP/addrs"
	expect_eq "sub/unsub: and every address is subscribed" "$SUB_N" "$(count team)"
	"$M" list-drop team > /dev/null
}

# --- mq sync --from-sql ------------------------------------------------------
# version_check - "BAD N A B": rows of the store that are neither their A
# nor their B version (or a key twice), rows, rows as A has them, as B
version_check() {
	"$M" dump capacity | tail -n +2 > "$TMP/now.tsv"
	awk -F'\t' -v a="$TMP/A.tsv" -v b="$TMP/B.tsv" '
		FILENAME == a { inA[$0] = 1; next }
		FILENAME == b { inB[$0] = 1; next }
		{ if (!($0 in inA) && !($0 in inB)) bad++
		  if (seen[$1]++) bad++
		  n++; na += ($0 in inA); nb += ($0 in inB) }
		END { print bad + 0, n + 0, na + 0, nb + 0 }' \
		"$TMP/A.tsv" "$TMP/B.tsv" "$TMP/now.tsv"
}

sync_kills() {
	local i d src bad n na nb inside=0 part=0 wrong=0 count_bad=0
	awk -v n="$SYNC_N" 'BEGIN {
		printf "id\tname\tlocalip\tdomain\tdomain_maxmessages\n"
		for (i = 1; i <= n; i++)
			printf "%d\trow %d\t10.%d.%d.%d\td%d.example\t%d\n", i, i,
				i % 250, int(i / 250) % 250, i % 7, i, i % 1000 }' > "$TMP/rows.tsv"
	MQ_STORE_PATH=$TMP/setup.mdb "$M" set capacity - < "$TMP/rows.tsv" > /dev/null
	MQ_STORE_PATH=$TMP/setup.mdb "$M" sync --to-sql --address "sqlite://$TMP/A.sqlite" > /dev/null
	cp "$TMP/A.sqlite" "$TMP/B.sqlite"
	sqlite3 "$TMP/B.sqlite" "UPDATE capacity SET domain_maxmessages = domain_maxmessages + 100000 WHERE id % 2 = 0"
	MQ_STORE_PATH=$TMP/setup.mdb "$M" dump capacity | tail -n +2 > "$TMP/A.tsv"
	MQ_STORE_PATH=$TMP/setup.mdb "$M" sync --from-sql --address "sqlite://$TMP/B.sqlite" > /dev/null
	MQ_STORE_PATH=$TMP/setup.mdb "$M" dump capacity | tail -n +2 > "$TMP/B.tsv"
	"$M" sync --from-sql --address "sqlite://$TMP/A.sqlite" > /dev/null
	full=$(elapsed_ms "$M" sync --from-sql --address "sqlite://$TMP/B.sqlite")
	"$M" sync --from-sql --address "sqlite://$TMP/A.sqlite" > /dev/null
	echo "# sync: $SYNC_N rows, $((SYNC_N / 2)) of them changed, take ${full} ms here"
	bad_verify=0 src=B
	for i in $(seq 1 "$RUNS"); do
		"$M" sync --from-sql --address "sqlite://$TMP/$src.sqlite" > /dev/null 2>&1 &
		d=$(delay "$full" 140)
		kill_after "$d" $!
		verified "sync kill $i"
		read -r bad n na nb <<< "$(version_check)"
		[ "$bad" = 0 ] || wrong=$((wrong + 1))
		[ "$n" = "$SYNC_N" ] || count_bad=$((count_bad + 1))
		echo "# sync kill $i: from $src after $d ms: of $n rows $na as A has them, $nb as B, $bad neither"
		# a kill before the sync completed; a part applied is counted too
		[ "$src" = A ] && [ "$na" != "$SYNC_N" ] && inside=$((inside + 1))
		[ "$src" = B ] && [ "$nb" != "$SYNC_N" ] && inside=$((inside + 1))
		[ "$na" != "$SYNC_N" ] && [ "$nb" != "$SYNC_N" ] && part=$((part + 1))
		# towards the other side once one is reached, else on
		if [ "$na" = "$SYNC_N" ]; then
			src=B
		elif [ "$nb" = "$SYNC_N" ]; then
			src=A
		fi
	done
	expect_eq "sync --from-sql of $SYNC_N rows ($((SYNC_N / 2)) changed), $RUNS kills (release build): every store verifies" 0 "$bad_verify"
	expect_eq "sync: every row is its old or its new version" 0 "$wrong"
	expect_eq "sync: no row lost or doubled" 0 "$count_bad"
	check "sync: some kills landed before the sync completed ($inside of $RUNS; $part left it part applied)" test "$inside" -gt 0
	check "sync: a sync after the kills completes" "$M" sync --from-sql --address "sqlite://$TMP/B.sqlite"
	"$M" dump capacity | tail -n +2 > "$TMP/now.tsv"
	check "sync: and the store equals SQL" cmp -s "$TMP/now.tsv" "$TMP/B.tsv"
	"$M" del capacity --all > /dev/null
}

# --- mq import ezmlm --replace ------------------------------------------------
# ezdir DIR N - a list directory of N subscribers and N/5 digest ones
ezdir() {
	mkdir -p "$1/subscribers" "$1/digest/subscribers"
	printf 'key of %s\n' "$1" > "$1/key"
	awk -v d="$1/subscribers" -v n="$2" 'BEGIN { for (i = 1; i <= n; i++)
		printf "Tm%d@x%d.example%c", i, i % 101, 0 > (d "/" sprintf("%c", 64 + i % 53)) }'
	awk -v d="$1/digest/subscribers" -v n=$(($2 / 5)) 'BEGIN { for (i = 1; i <= n; i++)
		printf "Td%d@y%d.example%c", i, i % 101, 0 > (d "/" sprintf("%c", 64 + i % 53)) }'
}

import_kills() {
	local i d src subs dig prev inside=0 torn=0 full
	ezdir "$TMP/big" "$IMPORT_N"
	ezdir "$TMP/small" $((IMPORT_N / 2))
	full=$(elapsed_ms "$M" import ezmlm "$TMP/big" crew)
	echo "# import: $IMPORT_N + $((IMPORT_N / 5)) digest subscribers take ${full} ms here"
	"$M" list-drop crew > /dev/null
	bad_verify=0
	for i in $(seq 1 "$RUNS"); do
		prev="$(count crew) $(count crew_digest)"
		# the other directory than the one imported last
		[ "$prev" = "$IMPORT_N $((IMPORT_N / 5))" ] && src=small || src=big
		"$M" import ezmlm "$TMP/$src" crew --replace > /dev/null 2>&1 &
		d=$(delay "$full")
		kill_after "$d" $!
		verified "import kill $i"
		subs=$(count crew) dig=$(count crew_digest)
		echo "# import kill $i: $src after $d ms: '$prev' -> '$subs $dig' (list, digest)"
		case "$subs $dig" in
		"$prev") inside=$((inside + 1)) ;;
		"$IMPORT_N $((IMPORT_N / 5))" | "$((IMPORT_N / 2)) $((IMPORT_N / 10))") ;;
		*) torn=$((torn + 1)) ;;
		esac
	done
	expect_eq "import ezmlm of $IMPORT_N + $((IMPORT_N / 5)) subscribers, $RUNS kills (release build): every store verifies" 0 "$bad_verify"
	expect_eq "import: the list is absent, or the old or the new one whole" 0 "$torn"
	check "import: some kills landed inside ($inside of $RUNS; the others after the commit)" test "$inside" -gt 0
	check "import: an import after the kills completes" "$M" import ezmlm "$TMP/big" crew --replace
	expect_eq "import: with every subscriber" "$IMPORT_N" "$(count crew)"
}

# --- mq serve under API writes ----------------------------------------------
# writer N - POST locals rows until killed; each 201 is noted in acked.N
writer() {
	local k=0 code
	while :; do
		k=$((k + 1))
		code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 \
			-X POST "$URL/v1/tables/locals" -H "Authorization: Bearer $TOKEN" \
			-H 'Content-Type: application/json' \
			-d "{\"type\":\"domain\",\"address\":\"w$1-$2-$k.example\"}")
		[ "$code" = 201 ] && echo "w$1-$2-$k.example" >> "$TMP/acked.$1"
		[ "$code" = 000 ] && return
	done
}

serve_kills() {
	local i d lost=0 acked=0 answered=0 w1 w2
	TOKEN=fault-$$
	bad_verify=0
	for i in $(seq 1 "$RUNS"); do
		if ! SERVE_BIN=$M serve_start "$TMP/serve.log" MQ_WWW_TOKEN="$TOKEN"; then
			fail "serve run $i: mq serve starts"
			return
		fi
		writer 1 "$i" & w1=$!
		writer 2 "$i" & w2=$!
		d=$(delay 1200 100)
		kill_after "$d" "$SERVE_PID"
		wait $w1 $w2 2>/dev/null
		verified "serve kill $i"
		"$M" dump locals | awk -F'\t' 'NR > 1 { print $3 }' | sort > "$TMP/have"
		cat "$TMP"/acked.* 2>/dev/null | sort > "$TMP/acked"
		acked=$(wc -l < "$TMP/acked")
		lost=$(comm -23 "$TMP/acked" "$TMP/have" | wc -l)
		echo "# serve kill $i after $d ms: $acked writes acknowledged so far, $(wc -l < "$TMP/have") rows, $lost acknowledged missing"
		[ "$lost" = 0 ] || break
	done
	expect_eq "mq serve under API writes, $RUNS kills (release build): every store verifies" 0 "$bad_verify"
	expect_eq "serve: every write answered 201 before the kill is in the store ($acked)" 0 "$lost"
	check "serve: writes were acknowledged ($acked)" test "$acked" -gt 0
}

