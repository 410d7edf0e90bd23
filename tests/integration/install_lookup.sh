#!/usr/bin/env bash
# NAME
#	install_lookup.sh - make install, mq.pc, and examples/lookup.c
#	built against the installed tree
# DESCRIPTION
#	make install DESTDIR=... PREFIX=/usr installs the binary, libmq.a,
#	the store's headers under include/mq, mq.pc, the man pages and the
#	completion.  examples/lookup.c compiles with nothing but
#	"pkg-config --cflags --libs --static mq" pointed into that tree
#	(the installed mq.pc finds its prefix relative to itself), and
#	answers capacity, dkim, paused and local from a store the CLI
#	wrote.  Between two of its rounds the CLI changes the store: the
#	second round sees the new version (the lookup set followed it).

. "$(dirname "$0")/../lib/harness.sh"

DEST=$TMP/dest
check "make install DESTDIR PREFIX=/usr" \
	make -s -C "$REPO" B="$MQ_BUILD" install DESTDIR="$DEST" PREFIX=/usr
for f in bin/mq lib/libmq.a lib/pkgconfig/mq.pc include/mq/store/store.h \
	include/mq/store/lookup.h include/mq/store/dkim.h \
	share/man/man1/mq.1 share/man/man5/mq.conf.5 \
	share/bash-completion/completions/mq \
	share/zsh/vendor-completions/_mq; do
	check "installed: $f" test -s "$DEST/usr/$f"
done
check "the installed mq runs" "$DEST/usr/bin/mq" --version

export PKG_CONFIG_PATH=$DEST/usr/lib/pkgconfig
flags=$(pkg-config --cflags --libs --static mq)
expect_grep "pkg-config points into the installed tree" \
	"-I$DEST/usr/lib/pkgconfig/../../include/mq" <(echo "$flags")
expect_eq "mq.pc's version is the VERSION file's" "$(cat "$REPO/VERSION")" \
	"$(pkg-config --modversion mq)"
# shellcheck disable=SC2086
check "examples/lookup.c builds with pkg-config --static mq alone" \
	gcc -std=gnu11 -Wall -Wextra -Werror -o lookup \
	"$REPO/examples/lookup.c" $flags

export MQ_STORE_PATH=$TMP/s.mdb
"$MQ" set capacity localip=192.0.2.1 domain=example.com \
	domain_maxmessages=100 >/dev/null
"$MQ" set paused localip=192.0.2.1 target= tag= >/dev/null
"$MQ" set locals type=fnmatch 'address=*@example.net' >/dev/null
openssl genpkey -algorithm ed25519 -out ed.pem 2>/dev/null
key=$("$MQ" set dkim_keys domain=example.com selector=s1 \
	"privatekey=$(cat ed.pem)" algorithm=ed25519-sha256 |
	sed -n 's/.*id=\([0-9]*\).*/\1/p')
"$MQ" set dkim_patterns "dkim_key=$key" type=substr sign=@example.com >/dev/null

# rounds_done N - wait (30 s at most) until the example printed N rounds
rounds_done() {
	for _ in $(seq 300); do
		[ "$(grep -c '^end$' out)" -ge "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

mkfifo in
./lookup s.mdb 192.0.2.1 example.com alice@example.com bob@example.net \
	<in >out 2>err &
pid=$!
exec 3>in
echo >&3
check "the first round answers" rounds_done 1
sed -n '1,/^end$/p' out >round1
expect_grep "capacity from the (localip, domain) row" \
	'^capacity domain_maxmessages=100 ' round1
expect_grep "dkim: the key whose pattern matches the sender" \
	'^dkim example.com s1$' round1
expect_grep "paused: the row with an empty target applies" '^paused yes$' round1
expect_grep "local: the fnmatch row matches the recipient" '^local yes$' round1
v1=$(sed -n 's/^version //p' round1)

"$MQ" del paused localip=192.0.2.1 >/dev/null
"$MQ" set capacity id=1 domain_maxmessages=50 >/dev/null
echo >&3
check "the second round answers" rounds_done 2
sed -n '/^end$/,$p' out | sed 1d >round2
v2=$(sed -n 's/^version //p' round2)
check "the second round sees a newer store version ($v1 -> $v2)" \
	test "${v2:-0}" -gt "${v1:-0}"
expect_grep "the new capacity is answered" \
	'^capacity domain_maxmessages=50 ' round2
expect_grep "the deleted pause no longer applies" '^paused no$' round2
expect_grep "dkim still answers after the version moved" \
	'^dkim example.com s1$' round2
exec 3>&-
expect_status "the example ends cleanly at end of input" 0 wait "$pid"
check "and printed no error" test ! -s err
finish
