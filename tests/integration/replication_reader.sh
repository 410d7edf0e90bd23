#!/usr/bin/env bash
# NAME
#	replication_reader.sh - a program linked with libmq.a reads a
#	replica in a loop while a snapshot is installed into it
# DESCRIPTION
#	tests/lib/repl_reader.c is built against the installed libmq.a
#	(make install DESTDIR, pkg-config --static mq, as an MTA builds)
#	and opens the replica's store once, read-only.  The primary keeps
#	5 change records; while the replica is stopped it commits pairs of
#	locals rows, one pair a transaction, recording its (sequence,
#	rows) after each, so the restarted replica takes a snapshot.  The
#	reader, running through the stop, the restart and the install,
#	must only ever see (sequence, rows) pairs the primary had: a store
#	seen half installed (new meta with old rows, or the reverse) shows
#	a pair it never had.  It must never fail a read, and must end on
#	the primary's last pair without reopening the store.
. "$(dirname "$0")/../lib/harness.sh"
. "$REPO/tests/lib/cluster.sh"

P() { MQ_STORE_PATH="$TMP/p/mq.mdb" MQ_CHANGES_KEEP=5 "$MQ" "$@"; }
pair() {	# pair NAME - "SEQ ROWS" of NAME's store, read by mq stat
	MQ_STORE_PATH="$TMP/$1/mq.mdb" "$MQ" stat |
		awk '$1 == "sequence" { s = $2 } $1 == "locals" { r = $2 }
		     END { print s, r }'
}

DEST=$TMP/dest
make -s -C "$REPO" B="$MQ_BUILD" install DESTDIR="$DEST" PREFIX=/usr \
	> "$TMP/install.out" 2>&1 || { fail "make install" "$(tail -5 "$TMP/install.out")"; finish; }
export PKG_CONFIG_PATH=$DEST/usr/lib/pkgconfig
# shellcheck disable=SC2046
check "repl_reader.c builds against libmq.a" gcc -std=gnu11 -Wall -Wextra \
	-Werror -o "$TMP/reader" "$REPO/tests/lib/repl_reader.c" \
	$(pkg-config --cflags --libs --static mq)
[ -x "$TMP/reader" ] || finish

cluster_keys
mkdir -p "$TMP/p"
for i in $(seq 1 2000); do printf 'domain\tbulk%d.example\n' "$i"; done |
	{ printf 'type\taddress\n'; cat; } | P set locals - >/dev/null
primary_start MQ_CHANGES_KEEP=5 || { fail "primary starts"; finish; }
replica_start r || { fail "replica starts"; finish; }
wait_seq r "$(store_seq p)" 20 || fail "first catch-up"
pair p > "$TMP/had"

"$TMP/reader" "$TMP/r/mq.mdb" locals 60 > "$TMP/seen" 2> "$TMP/reader.err" &
RD=$!
at_exit "kill $RD 2>/dev/null"
kill -TERM "$R_PID"; wait "$R_PID" 2>/dev/null
for i in $(seq 1 10); do
	printf 'type\taddress\ndomain\ta%d.example\ndomain\tb%d.example\n' "$i" "$i" |
		P set locals - >/dev/null
	pair p >> "$TMP/had"
done
n=$(installs r)
replica_start r || fail "replica restarts"
check "the replica behind the pruned log catches up" wait_seq r "$(store_seq p)" 30
check "by a snapshot" installed_after r "$n"
last=$(tail -n 1 "$TMP/had")
for _ in $(seq 1 100); do
	[ "$(tail -n 1 "$TMP/seen")" = "$last" ] && break
	sleep 0.1
done
kill "$RD" 2>/dev/null; wait "$RD" 2>/dev/null

expect_eq "the reader never failed a read" 0 "$(grep -c '^error' "$TMP/seen")"
expect_eq "it ends on the primary's last pair, without reopening" "$last" \
	"$(tail -n 1 "$TMP/seen")"
check "it saw the store before and after the install" \
	test "$(grep -c . "$TMP/seen")" -ge 2
# each pair seen: the rows the primary had at the newest sequence it
# recorded at or below the one seen (a commit of another table between
# two of its writes keeps the rows)
bad=$(awk 'NR == FNR { s[NR] = $1; r[NR] = $2; n = NR; next }
	{ want = -1
	  for (i = 1; i <= n; i++) if (s[i] <= $1) want = r[i]
	  if (want != $2) print }' "$TMP/had" "$TMP/seen")
expect_eq "every pair seen is one the primary had" "" "$bad"
echo "# pairs seen by the reader: $(tr '\n' ' ' < "$TMP/seen")"
finish
