#!/usr/bin/env bash
# damaged_store - a store file cut short, with a flipped bit or a zeroed
# page: the read commands never die of a signal; each gives a one-line
# error (exit 70 or 65) or the answer of the undamaged store.  mq serve
# whose store is damaged under it answers /health 503 and stays up.
. "$(dirname "$0")/../lib/harness.sh"
. "$REPO/tests/lib/serve.sh"

export MQ_STORE_PATH="$TMP/mq.mdb"
PAGE=4096

# A real store: MailerQ rows, a list with subscribers and a message log.
{
	printf 'type\taddress\n'
	for i in $(seq 1 2000); do printf 'address\tuser%d@d%d.example\n' "$i" $((i % 97)); done
} | "$MQ" set locals - > /dev/null
{
	printf 'localip\tdomain\tdomain_maxmessages\n'
	for i in $(seq 1 600); do printf '10.0.%d.%d\tdomain%d.example\t%d\n' $((i / 250)) $((i % 250)) "$i" "$i"; done
} | "$MQ" set capacity - > /dev/null
"$MQ" list-create news > /dev/null
seq 1 3000 | sed 's/.*/member&@list.example/' | "$MQ" sub news - > /dev/null
for m in 1 2 3; do "$MQ" mlog news "$m" 0 0 --tai "2026-01-0$m 10:00:00" > /dev/null; done
check "the store verifies" "$MQ" verify
cp "$MQ_STORE_PATH" "$TMP/good.mdb"
SIZE=$(stat -c %s "$TMP/good.mdb")
NPAGES=$((SIZE / PAGE))
echo "# store of $SIZE bytes, $NPAGES pages"

# The read commands; "stat" prints the file's figures, so only its
# sequence line is compared.
COMMANDS=(
	"stat"
	"get locals id=77"
	"dump capacity"
	"list news"
	"lookup capacity 10.0.1.20 domain270.example"
	"issub news member1234@list.example"
	"status news"
)
answer() {	# answer CMD... - stdout as compared
	if [ "$1" = stat ]; then
		"$MQ" "$@" | grep '^sequence'
		return "${PIPESTATUS[0]}"
	fi
	"$MQ" "$@"
}
for i in "${!COMMANDS[@]}"; do
	cp "$TMP/good.mdb" "$MQ_STORE_PATH"
	rm -f "$MQ_STORE_PATH-lock"
	# shellcheck disable=SC2086
	answer ${COMMANDS[$i]} > "$TMP/ref.$i" 2> /dev/null
	echo $? > "$TMP/refrc.$i"
done

# 54 variants: name and a command that damages $MQ_STORE_PATH.
VARIANTS=()
for n in 1 2 3 4 6 9 16 32; do VARIANTS+=("truncate to $n pages|truncate -s $((n * PAGE))"); done
for f in 8 4 2; do VARIANTS+=("truncate to 1/$f|truncate -s $((SIZE / f))"); done
for f in 3/4 7/8 5/8; do VARIANTS+=("truncate to $f|truncate -s $((SIZE * ${f%/*} / ${f#*/}))"); done
VARIANTS+=("truncate to 8 KiB|truncate -s 8192")
VARIANTS+=("truncate to 100 bytes|truncate -s 100")
VARIANTS+=("truncate to 6000 bytes|truncate -s 6000")
VARIANTS+=("truncate the last page|truncate -s $((SIZE - PAGE))")
VARIANTS+=("truncate one byte|truncate -s $((SIZE - 1))")
VARIANTS+=("truncate to 1/2 + 123|truncate -s $((SIZE / 2 + 123))")
flip() {	# flip OFFSET BIT - one bit of the store file
	local b
	b=$(od -An -tu1 -j "$1" -N1 "$MQ_STORE_PATH" | tr -d ' ')
	printf "$(printf '\\%03o' $((b ^ (1 << $2))))" |
		dd of="$MQ_STORE_PATH" bs=1 seek="$1" conv=notrunc status=none
}
zero() {	# zero PAGE - a page of zeros
	dd if=/dev/zero of="$MQ_STORE_PATH" bs=$PAGE seek="$1" count=1 conv=notrunc status=none
}
RANDOM=14	# a fixed seed: the same offsets every run
for n in $(seq 1 24); do
	off=$(((RANDOM * 32768 + RANDOM) % SIZE))
	VARIANTS+=("flip bit $((n % 8)) at $off|flip $off $((n % 8))")
done
for p in 0 1 2 3 4 $((NPAGES / 4)) $((NPAGES / 2)) $((NPAGES * 3 / 4)) $((NPAGES - 2)) $((NPAGES - 1)); do
	VARIANTS+=("zero page $p|zero $p")
done
expect_eq "54 damaged variants" 54 "${#VARIANTS[@]}"

deaths=0 bad=0 errors=0 right=0 differ=0 cut_differ=0
for v in "${VARIANTS[@]}"; do
	name=${v%%|*}
	for i in "${!COMMANDS[@]}"; do
		cp "$TMP/good.mdb" "$MQ_STORE_PATH"
		rm -f "$MQ_STORE_PATH-lock"
		case $v in
		truncate*) eval "${v#*|} \"\$MQ_STORE_PATH\"" ;;
		*) eval "${v#*|}" ;;
		esac
		# shellcheck disable=SC2086
		timeout 60 bash -c "$(declare -f answer); answer \"\$@\"" _ ${COMMANDS[$i]} > "$TMP/out" 2> "$TMP/err"
		rc=$?
		lines=$(wc -l < "$TMP/err")
		if [ "$rc" -gt 128 ] || [ "$rc" = 124 ]; then
			deaths=$((deaths + 1))
			echo "# $name: mq ${COMMANDS[$i]}: exit $rc: $(head -c 300 "$TMP/err")"
		elif [ "$rc" = 70 ] || [ "$rc" = 65 ]; then
			if [ "$lines" = 1 ] && grep -q '^mq: ' "$TMP/err"; then
				errors=$((errors + 1))
			else
				bad=$((bad + 1))
				echo "# $name: mq ${COMMANDS[$i]}: exit $rc, $lines lines: $(head -c 300 "$TMP/err")"
			fi
		elif [ "$rc" = "$(cat "$TMP/refrc.$i")" ] && cmp -s "$TMP/out" "$TMP/ref.$i"; then
			right=$((right + 1))
		else
			differ=$((differ + 1))
			case $name in truncate*) cut_differ=$((cut_differ + 1)) ;; esac
			echo "# $name: mq ${COMMANDS[$i]}: exit $rc, another answer: $(head -c 200 "$TMP/err")"
		fi
	done
done
echo "# $((54 * ${#COMMANDS[@]})) runs: $errors one-line errors, $right answers as before, $differ other answers, $bad bad errors, $deaths deaths"
expect_eq "no command died of a signal or hung" 0 "$deaths"
expect_eq "every error is one line with exit 70 or 65" 0 "$bad"
expect_eq "a store cut short gives an error or the answer as before" 0 "$cut_differ"
# LMDB keeps no checksums: a flipped bit or a zeroed page inside a row
# or a leaf can read as other data.  Such answers are shown above; they
# must stay rare.
if [ "$differ" -le 10 ]; then
	ok "a damaged page reads as other data in at most 10 of 378 runs ($differ)"
else
	fail "a damaged page reads as other data in at most 10 of 378 runs" "$differ"
fi

# A store truncated under mq serve: the reads of the map fault, the HTTP
# worker's guard answers 503, /health says why, and serve stays up.
# A guarded read that faulted is abandoned with what it held (its read
# transaction, the handler's memory; docs/store.md): no leak check here.
cp "$TMP/good.mdb" "$MQ_STORE_PATH"
rm -f "$MQ_STORE_PATH-lock"
if serve_start "$TMP/serve.log" ASAN_OPTIONS=detect_leaks=0:abort_on_error=1; then
	req "a list's subscribers while the store is sound" GET /v1/lists/news/subscribers 200
	truncate -s 8192 "$MQ_STORE_PATH"
	req "the same read of the store cut short under serve: 503" GET /v1/lists/news/subscribers 503
	expect_grep "its error names the fault" 'damaged store: a read of its map faulted \(SIGBUS\)' "$TMP/body"
	req "a lookup then: 503" GET '/v1/lookup/capacity?localip=10.0.1.20&domain=domain270.example' 503
	req "/health: 503" GET /health 503
	expect_grep "/health says why" '"store_damaged":"a read of its map faulted' "$TMP/body"
	expect_grep "serve logged it" 'error: .*damaged store' "$TMP/serve.log"
	check "mq serve is still running" kill -0 "$SERVE_PID"
	req "/metrics still answers" GET /metrics 200
	serve_stop
	expect_eq "mq serve stops cleanly on SIGTERM" 0 "$?"
fi

# A long listing streamed while the store is cut short under it: the
# stream's next read faults, the connection is cut (the client sees an
# unfinished answer, never a short list), and serve stays up.  The
# client reads nothing for a second, so that the listing (6 MB) waits
# for room in the socket buffers (about 4 MB) when the file is cut.
rm -f "$MQ_STORE_PATH" "$MQ_STORE_PATH-lock"
"$MQ" list-create big > /dev/null
seq 1 120000 | sed 's/.*/subscriber-with-a-long-name-&@list.example/' | "$MQ" sub big - > /dev/null
if serve_start "$TMP/serve2.log" ASAN_OPTIONS=detect_leaks=0:abort_on_error=1; then
	exec 3<> "/dev/tcp/127.0.0.1/$PORT"
	printf 'GET /v1/lists/big/subscribers HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' >&3
	sleep 1
	truncate -s 8192 "$MQ_STORE_PATH"
	timeout 30 cat <&3 > "$TMP/stream"
	exec 3<&-
	expect_grep "the listing had begun" '^HTTP/1.1 200' "$TMP/stream"
	if [ "$(tail -c 5 "$TMP/stream" | od -An -c | tr -d ' ')" != '0\r\n\r\n' ]; then
		ok "the listing cut short under it ends without the last chunk"
	else
		fail "the listing cut short under it ends without the last chunk" "$(tail -c 40 "$TMP/stream")"
	fi
	expect_no_grep "nor as a whole list would" '^\]' "$TMP/stream"
	expect_grep "serve logged the fault" 'error: .*damaged store: a read of its map faulted' "$TMP/serve2.log"
	check "mq serve is still running after the cut listing" kill -0 "$SERVE_PID"
	req "/health then: 503" GET /health 503
	serve_stop
	expect_eq "and stops cleanly" 0 "$?"
fi

# A store cut short before mq serve starts: refused with the message.
expect_status "mq serve on a store cut short: exit 70" 70 "$MQ" serve
expect_grep "one line naming the file and mq verify" "mq: $MQ_STORE_PATH: damaged store: truncated: 8192 bytes.*mq verify.*mq backup" "$TMP/last.out"
finish
