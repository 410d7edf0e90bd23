#!/usr/bin/env bash
# NAME
#	static_build.sh - build/mq is one static binary that needs nothing
# DESCRIPTION
#	file(1) calls build/mq statically linked, ldd(1) finds no dynamic
#	section, --help works, and the binary does its SQL work in an
#	empty root directory (as in a FROM scratch image: no shared
#	libraries, no /etc, no NSS), reaching the test servers by numeric
#	address and by "localhost".

. "$(dirname "$0")/../lib/harness.sh"

check "build/mq exists" test -x "$MQ_STATIC"
check "file says statically linked" sh -c "file -L '$MQ_STATIC' | grep -q 'statically linked'"
ldd "$MQ_STATIC" >"$TMP/ldd.out" 2>&1
expect_grep "ldd says not a dynamic executable" 'not a dynamic executable' "$TMP/ldd.out"
expect_status "mq --help exits 0" 0 "$MQ_STATIC" --help
expect_grep "mq --help names the sql command" '\bsql\b' "$TMP/last.out"
expect_status "mq sql --help exits 0" 0 "$MQ_STATIC" sql --help

# An empty root: the binary and a /tmp, nothing else.
ROOT=$TMP/root
mkdir -p "$ROOT/tmp"
cp "$MQ_STATIC" "$ROOT/mq"
if ! chroot "$ROOT" /mq --help >/dev/null 2>&1; then
	skip "empty root" "chroot is not permitted here"
	finish
fi
expect_status "empty root: sqlite" 0 chroot "$ROOT" /mq sql ping --address "sqlite:///tmp/x.db"
if [ -n "${MQ_TEST_PG_URL:-}" ]; then
	expect_status "empty root: postgresql by address" 0 \
		chroot "$ROOT" /mq sql ping --address "$MQ_TEST_PG_URL"
	expect_status "empty root: postgresql by localhost" 0 \
		chroot "$ROOT" /mq sql ping --address "${MQ_TEST_PG_URL/@127.0.0.1:/@localhost:}"
else
	skip "empty root: postgresql" "MQ_TEST_PG_URL not set"
fi
if [ -n "${MQ_TEST_MYSQL_URL:-}" ]; then
	expect_status "empty root: mariadb by address" 0 \
		chroot "$ROOT" /mq sql ping --address "$MQ_TEST_MYSQL_URL"
	expect_status "empty root: mariadb by localhost" 0 \
		chroot "$ROOT" /mq sql ping --address "${MQ_TEST_MYSQL_URL/@127.0.0.1:/@localhost:}"
else
	skip "empty root: mariadb" "MQ_TEST_MYSQL_URL not set"
fi

finish
