#!/usr/bin/env bash
# NAME
#	progress.sh - the progress meter of backup, verify, sync, import,
#	export and sub/unsub -: on a terminal only, a summary either way
# DESCRIPTION
#	script(1) gives the command a pty.  There the meter redraws one
#	line on stderr (carriage return, clear) with the bytes done, the
#	rate and, when the total is known (backup, verify), the percent
#	and the time left, at most four times a second; at the end one
#	summary line.  With stderr a file, the summary line alone.  The
#	store is large enough (300,000 subscribers: about 100 MB) that a
#	backup outlasts the meter's first half second on any machine
#	this runs on; the unsub input trickles for 1.5 s, so that meter
#	must be drawn.

. "$(dirname "$0")/../lib/harness.sh"

M=$MQ_STATIC
export MQ_STORE_PATH=$TMP/mq.mdb
"$M" list-create big >/dev/null
seq -f 'user%g@example.com' 1 300000 >addrs
"$M" sub big - <addrs >/dev/null 2>sub.err
expect_grep "sub - with stderr a file: the summary" \
	'^mq: sub: 300000 lines, [0-9.]+ [kMG]?B in [0-9.]+ s \([0-9.]+ [kMG]?B/s\)$' sub.err
expect_eq "and nothing else" 1 "$(wc -l <sub.err)"
check "no terminal control when not a terminal" \
	sh -c "! grep -q \"\$(printf '\\r')\" sub.err"

# on_pty NAME CMD - run CMD (a shell string) on a pty; its output (stdout
# and stderr, as the terminal got them) into NAME.pty, one line per redraw
on_pty() {
	script -qec "$2" /dev/null | tr '\r' '\n' | sed 's/\x1b\[K//' >"$1.pty"
}

B='[0-9.]+ [kMG]?B'
# meter_drawn NAME LABEL REGEX - NAME.pty shows the meter (REGEX) when
#	the command took 0.75 s or more; one quicker than half a second
#	shows nothing before its summary, since the meter draws nothing in
#	the first half second.  In between the meter may have drawn once
#	(at the half second): whatever it drew is the meter's line.
meter_drawn() {
	local took
	took=$(sed -n "s/^mq: $1: .* in \\([0-9.]*\\) s .*/\\1/p" "$1.pty")
	if awk -v t="${took:-0}" 'BEGIN { exit !(t >= 0.75) }'; then
		expect_grep "$1 on a terminal ($took s): $2" "$3" "$1.pty"
	elif awk -v t="${took:-0}" 'BEGIN { exit !(t < 0.5) }'; then
		check "$1 on a terminal in ${took:-?} s: nothing drawn in the first half second" \
			test "$(grep -c '%)' "$1.pty")" -eq 0
	else
		check "$1 on a terminal in $took s: a line drawn at the half second is $2" \
			test "$(grep '%)' "$1.pty" | grep -Evc "$3")" -eq 0
	fi
}

on_pty backup "'$M' backup '$TMP/b.mdb'"
meter_drawn backup "done of total, percent, rate, time left" \
	"^mq: backup: $B of $B \\([0-9]+%\\), $B/s, [0-9]+ s left, [0-9]+ s\$"
expect_grep "and the summary, rows and bytes" \
	"^mq: backup: $TMP/b.mdb: 600000 rows, $B in [0-9.]+ s \\($B/s\\)\$" backup.pty
draws=$(grep -c '^mq: backup: .* s$' backup.pty)
secs=$(sed -n 's/^mq: backup: .* in \([0-9]*\)\.[0-9]* s .*/\1/p' backup.pty)
check "at most four lines a second ($draws lines in ${secs}.x s)" \
	test "$draws" -le $((4 * (secs + 1) + 1))
check "the backup is the store's" "$M" verify "$TMP/b.mdb"

on_pty verify "'$M' verify '$TMP/b.mdb'"
meter_drawn verify "the walk's progress with percent" \
	"^mq: verify: $B of $B \\([0-9]+%\\)"
expect_grep "and the summary" "^mq: verify: $TMP/b.mdb: 600000 rows, $B in" verify.pty
"$M" verify "$TMP/b.mdb" >/dev/null 2>verify.err
expect_grep "verify with stderr a file: the summary, the bytes walked" \
	"^mq: verify: $TMP/b.mdb: 600000 rows, [1-9][0-9.]* [kMG]?B in" verify.err
expect_eq "and nothing else" 1 "$(wc -l <verify.err)"

head -c 100000 /dev/urandom >junk.mdb
expect_status "verify of a file that is no store fails" 65 "$M" verify junk.mdb
"$M" verify junk.mdb >/dev/null 2>junk.err
expect_eq "a failure prints its one error line and no summary" 1 "$(wc -l <junk.err)"
expect_no_grep "no summary line" '^mq: verify: junk.mdb:' junk.err

on_pty unsub "(seq -f 'user%g@example.com' 1 1000; sleep 1.5;
	seq -f 'user%g@example.com' 1001 2000) | '$M' unsub big -"
expect_grep "unsub - from a slow pipe: the meter, bytes read and rate" \
	"^mq: unsub: $B, $B/s, [0-9]+ s\$" unsub.pty
expect_grep "and the summary" "^mq: unsub: 2000 lines, $B in" unsub.pty

"$M" export ezmlm big "$TMP/exported" >/dev/null 2>export.err
expect_grep "export: the summary" "^mq: export: list big to $TMP/exported, $B in" export.err
"$M" import ezmlm "$TMP/exported" copy >/dev/null 2>import.err
expect_grep "import: the summary" "^mq: import: $TMP/exported into list copy, $B in" import.err
export MQ_DATABASE_ADDRESS=sqlite://$TMP/sql.db
"$M" sync --to-sql >/dev/null 2>sync.err
expect_grep "sync: the summary" "^mq: sync: to-sql: [0-9]+ tables, $B in" sync.err
"$MQ" sync --from-sql >/dev/null 2>sync2.err
expect_grep "sync --from-sql (sanitized build): the summary" \
	"^mq: sync: from-sql: [0-9]+ tables, $B in" sync2.err
finish
