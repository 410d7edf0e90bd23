#!/usr/bin/env bash
# NAME
#	version_build.sh - mq --version, and a build that prints one line a file
# DESCRIPTION
#	mq --version (and mq version) prints "mq VERSION (commit HASH)"
#	with VERSION from the VERSION file and HASH the checkout's commit,
#	then one line per library, exits 0 and needs no valid config.
#	A make of one object prints "  CC     FILE" and nothing else; V=1
#	prints the compiler's command line; the static link of build/mq
#	left no warning but glibc's expected notes in its log.

. "$(dirname "$0")/../lib/harness.sh"

want_version=$(cat "$REPO/VERSION")
expect_status "mq --version exits 0" 0 "$MQ" --version
head -1 "$TMP/last.out" >"$TMP/first"
expect_grep "first line: mq VERSION (commit HASH)" \
	"^mq $want_version \\(commit ([0-9a-f]+|unknown)\\)\$" "$TMP/first"
if commit=$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null); then
	expect_grep "the commit is the checkout's ($commit)" "(commit $commit)" "$TMP/first"
else
	skip "the commit is the checkout's" "not a git checkout"
fi
for lib in LMDB sqlite libpq libmariadb OpenSSL libevent libsodium c-ares jansson pcre2; do
	expect_grep "--version names $lib with a version" "^  $lib [0-9]" "$TMP/last.out"
done
cp "$TMP/last.out" "$TMP/dash"
expect_status "mq version exits 0" 0 "$MQ" version
cp "$TMP/last.out" "$TMP/word"
check "mq version prints the same as mq --version" cmp -s "$TMP/dash" "$TMP/word"
printf 'no-such-key: 1\n' >"$TMP/bad.conf"
expect_status "--version works with a bad config file" 0 "$MQ" --config "$TMP/bad.conf" --version
expect_status "mq version --help exits 0" 0 "$MQ" version --help
expect_grep "mq version --help describes it" 'usage: mq --version' "$TMP/last.out"
expect_status "mq version with an argument is a usage error" 64 "$MQ" version extra
expect_status "the static build prints its version" 0 "$MQ_STATIC" --version

# The build's output: one line per object, commands only with V=1.
B=$TMP/b
(cd "$REPO" && make -s B="$B" "$B/obj/store/ascii.o") >"$TMP/make.out" 2>&1
expect_eq "make of one object prints one line" "  CC     store/ascii.c" "$(cat "$TMP/make.out")"
rm -f "$B/obj/store/ascii.o"
(cd "$REPO" && make V=1 B="$B" "$B/obj/store/ascii.o") >"$TMP/make.out" 2>&1
expect_grep "V=1 prints the compiler command" 'gcc .*-c store/ascii.c' "$TMP/make.out"
if [ -f "$REPO/$MQ_BUILD/mq.link.log" ]; then
	grep -v 'in statically linked applications requires at runtime' \
		"$REPO/$MQ_BUILD/mq.link.log" | grep -vi 'in function ' >"$TMP/noise" || true
	check "the static link left only glibc's expected notes" test ! -s "$TMP/noise"
else
	fail "the static link left only glibc's expected notes" "no $MQ_BUILD/mq.link.log"
fi

finish
