#!/usr/bin/env bash
# NAME
#	doc_examples.sh - every command of README.md and every example of
#	docs/*.md runs as written
# DESCRIPTION
#	tests/lib/doc_examples.py reads the pages' typed code blocks
#	(```sh, ```console, ```conf; the convention is in tests/README.md)
#	and runs them in order, README.md first, in one directory holding
#	a fresh store (./var/mq.mdb, the default store-path), build/mq and
#	mq on PATH (both the sanitized build), against an mq serve this
#	script starts on a free loopback port with the token "secret".
#	Each command is one check; a console block's quoted output and a
#	marked exit status are compared.  Blocks marked skip (they need
#	systemd, a package build, a remote host) are listed with their
#	reasons and counted.

. "$(dirname "$0")/../lib/harness.sh"
. "$REPO/tests/lib/ports.sh"

WORK=$TMP/doc
mkdir -p "$WORK/build" "$WORK/var" "$TMP/bin"
ln -s "$MQ" "$WORK/build/mq"
ln -s "$MQ" "$TMP/bin/mq"
export PATH=$TMP/bin:$PATH
unset MQ_STORE_PATH MQ_DATABASE_ADDRESS MQ_WWW_TOKEN

serve_up() {
	local _
	for _ in $(seq 1 20); do
		PORT=$(free_port) || return 1
		(cd "$WORK" && exec env MQ_WWW_IP=127.0.0.1 MQ_WWW_PORT="$PORT" \
			MQ_WWW_TOKEN=secret "$MQ" serve) 2>>"$TMP/serve.log" &
		SERVE_PID=$!
		at_exit "kill -9 $SERVE_PID 2>/dev/null; wait $SERVE_PID 2>/dev/null"
		for _ in $(seq 1 300); do
			kill -0 "$SERVE_PID" 2>/dev/null || break
			curl -s -o /dev/null --max-time 1 \
				"http://127.0.0.1:$PORT/health" && return 0
			sleep 0.05
		done
		kill -9 "$SERVE_PID" 2>/dev/null
		grep -q "cannot listen" "$TMP/serve.log" || return 1
	done
	return 1
}
if ! serve_up; then
	fail "mq serve starts" "$(cat "$TMP/serve.log")"
	finish
fi
export MQ_WWW_PORT=$PORT

skipped=0
while IFS=$'\t' read -r kind name detail; do
	case $kind in
	ok) ok "$name" ;;
	fail) fail "$name" "$(printf '%b' "$detail")" ;;
	skip)
		echo "# skipped as marked: $name: $detail"
		skipped=$((skipped + 1))
		;;
	esac
done < <(python3 "$REPO/tests/lib/doc_examples.py" "$REPO" "$WORK" "$PORT" \
	"$REPO/README.md" "$REPO"/docs/*.md)
echo "# $skipped blocks skipped as marked (listed above)"
check "mq serve outlived the examples" kill -0 "$SERVE_PID"
kill -TERM "$SERVE_PID"
wait "$SERVE_PID"
expect_eq "and stops cleanly on SIGTERM" 0 "$?"
finish
