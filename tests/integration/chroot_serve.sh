#!/usr/bin/env bash
# chroot_serve - what the FROM-scratch image holds is enough: the static
# binary serves the HTTP API from an empty root (only /mq and /data: no
# /etc, no /lib), run as the image's uid 65534, configured by MQ_*
# variables alone, driven from outside with curl; it answers its own
# health check and stops cleanly on SIGTERM.
. "$(dirname "$0")/../lib/harness.sh"
. "$REPO/tests/lib/ports.sh"

root="$TMP/root"
mkdir -p "$root"
mkdir -m 0700 "$root/data"
cp "$MQ_STATIC" "$root/mq"
# The image runs as uid/gid 65534, which owns /data.
chown 65534:65534 "$root/data"
AS_IMAGE_USER=--userspec=65534:65534
expect_eq "the root holds only the binary and a store directory" "data mq" \
	"$(ls "$root" | tr '\n' ' ' | sed 's/ $//')"
CHROOT=$(command -v chroot)
TOKEN=chroot-test-token-$$
PORT=
PID=

# in_root CMD... - run /mq in the root with the image's environment only.
in_root() {
	env -i MQ_STORE_PATH=/data/mq.mdb MQ_WWW_IP=127.0.0.1 \
		MQ_WWW_PORT="$PORT" MQ_WWW_TOKEN="$TOKEN" \
		"$CHROOT" "$AS_IMAGE_USER" "$root" /mq "$@"
}

# start_serve - mq serve in the root on a free port; 0 once /health answers.
start_serve() {
	local _
	for _ in 1 2 3 4 5; do
		PORT=$(free_port) || return 1
		# Not through in_root: $! must be mq itself (env and chroot exec).
		env -i MQ_STORE_PATH=/data/mq.mdb MQ_WWW_IP=127.0.0.1 \
			MQ_WWW_PORT="$PORT" MQ_WWW_TOKEN="$TOKEN" \
			"$CHROOT" "$AS_IMAGE_USER" "$root" /mq serve \
			> "$TMP/serve.log" 2>&1 &
		PID=$!
		for _ in $(seq 1 100); do
			curl -s --max-time 2 -o /dev/null "http://127.0.0.1:$PORT/health" && return 0
			kill -0 "$PID" 2>/dev/null || break
			sleep 0.1
		done
		kill -TERM "$PID" 2>/dev/null
		wait "$PID" 2>/dev/null
		PID=
	done
	return 1
}
at_exit '[ -n "$PID" ] && kill -KILL "$PID" 2>/dev/null'

# api METHOD PATH [CURL ARGS...] - the status code; the body in $TMP/body.
api() {
	local method=$1 path=$2
	shift 2
	curl -s --max-time 10 -o "$TMP/body" -w '%{http_code}' -X "$method" \
		"http://127.0.0.1:$PORT$path" "$@"
}

if ! start_serve; then
	fail "mq serve answers /health from the empty root" "$(tail -n 15 "$TMP/serve.log")"
	finish
fi
ok "mq serve answers /health from the empty root"
expect_eq "GET /health is 200" 200 "$(api GET /health)"
check "mq health in the root exits 0" in_root health
expect_grep "and prints the status on one line" "^health: 200 from 127.0.0.1:$PORT" "$TMP/last.out"
check "and so with the image's wildcard MQ_WWW_IP=0.0.0.0 (asks loopback)" \
	env -i MQ_WWW_IP=0.0.0.0 MQ_WWW_PORT="$PORT" \
	"$CHROOT" "$AS_IMAGE_USER" "$root" /mq health

expect_eq "before any row the capacity lookup answers" 200 \
	"$(api GET '/v1/lookup/capacity?localip=192.0.2.1&domain=example.net')"
expect_grep "with the default" '"domain_maxconnections":\{"level":"default"' "$TMP/body"
row='{"localip":"192.0.2.1","domain":"example.net","domain_maxconnections":5}'
expect_eq "POST without the token is 401" 401 \
	"$(api POST /v1/tables/capacity -H 'Content-Type: application/json' -d "$row")"
expect_eq "POST with the token creates the row: 201" 201 \
	"$(api POST /v1/tables/capacity -H "Authorization: Bearer $TOKEN" \
		-H 'Content-Type: application/json' -d "$row")"
expect_eq "GET reads it back" 200 "$(api GET '/v1/tables/capacity?domain=example.net')"
expect_grep "with its values" '"domain":"example.net".*"domain_maxconnections":5[,}]' "$TMP/body"
expect_eq "then the capacity lookup answers" 200 \
	"$(api GET '/v1/lookup/capacity?localip=192.0.2.1&domain=example.net')"
expect_grep "with the row's limit, from the row" '"domain_maxconnections":\{"level":"localip\+domain","id":1\}' "$TMP/body"
expect_grep "and its value" '"domain_maxconnections":5[,}]' "$TMP/body"
expect_eq "an unknown table is 404" 404 "$(api GET /v1/tables/no_such_table)"

kill -TERM "$PID"
wait "$PID"
expect_eq "SIGTERM stops mq serve with status 0" 0 "$?"
PID=
expect_status "mq health then cannot connect: 75" 75 in_root health
expect_eq "the store file is mode 0600, owned by the image's user" "600 65534" \
	"$(stat -c '%a %u' "$root/data/mq.mdb")"
expect_eq "the row is in the store" "192.0.2.1 example.net 5" \
	"$(in_root get capacity domain=example.net | awk -F'\t' 'NR == 2 { print $3, $4, $7 }')"
expect_eq "nothing but the store landed outside /data" "data mq" \
	"$(ls "$root" | tr '\n' ' ' | sed 's/ $//')"
finish
