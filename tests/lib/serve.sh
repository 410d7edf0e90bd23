# shellcheck shell=bash
# NAME
#	serve.sh - start and stop mq serve on a free loopback port in a test
# SYNOPSIS
#	. "$REPO/tests/lib/serve.sh"
#	serve_start LOG [VAR=VALUE...]
#	curl -s "$URL/health"
#	serve_stop		# SIGTERM; returns serve's exit status
#	req NAME METHOD PATH WANT [CURL ARGS...]
# DESCRIPTION
#	serve_start runs "$SERVE_BIN" (default $MQ, the sanitized build)
#	as mq serve with MQ_WWW_IP=127.0.0.1 and MQ_WWW_PORT a free port
#	(free_port of ports.sh), plus the VAR=VALUE settings given
#	(MQ_STORE_PATH defaults to $TMP/mq.mdb), its stderr appended to
#	LOG.  It returns once GET /health answers, setting PORT, URL and
#	SERVE_PID; a port someone else took meanwhile is retried with
#	another, a cluster-listen port given is not.  The harness kills
#	the server at exit whatever happens.  Returns 1 (after printing
#	the log) when serve did not come up.
#
#	req asks METHOD $URL$PATH and checks the status code is WANT (one
#	harness check named NAME); the body lands in $TMP/body and is shown
#	when the code differs.

. "$REPO/tests/lib/ports.sh"

# serve_start LOG [VAR=VALUE...]
serve_start() {
	local log=$1 i _
	shift
	for _ in $(seq 1 20); do
		PORT=$(free_port) || break
		env MQ_STORE_PATH="$TMP/mq.mdb" MQ_WWW_IP=127.0.0.1 \
			MQ_WWW_PORT="$PORT" "$@" "${SERVE_BIN:-$MQ}" serve \
			2>> "$log" &
		SERVE_PID=$!
		at_exit "kill -9 $SERVE_PID 2>/dev/null; wait $SERVE_PID 2>/dev/null"
		URL=http://127.0.0.1:$PORT
		for i in $(seq 1 300); do
			if ! kill -0 "$SERVE_PID" 2>/dev/null; then
				break
			fi
			if curl -s -o /dev/null --max-time 1 "$URL/health"; then
				export PORT URL SERVE_PID
				return 0
			fi
			sleep 0.05
		done
		kill -9 "$SERVE_PID" 2>/dev/null
		wait "$SERVE_PID" 2>/dev/null
		# another try only when the API port was taken: a
		# cluster-listen port stays what the caller gave
		grep -q "http: cannot listen on 127.0.0.1 port $PORT:" "$log" ||
			break
	done
	echo "# mq serve did not come up:" >&2
	sed 's/^/#   /' "$log" >&2
	return 1
}

# serve_stop - SIGTERM, then serve's exit status
serve_stop() {
	kill -TERM "$SERVE_PID" 2>/dev/null
	wait "$SERVE_PID"
}

# req NAME METHOD PATH WANT [CURL ARGS...] - the body lands in $TMP/body
req() {
	local name=$1 method=$2 path=$3 want=$4 code
	shift 4
	code=$(curl -s -o "$TMP/body" -w '%{http_code}' --max-time 10 \
		-X "$method" "$@" "$URL$path")
	expect_eq "$name" "$want" "$code" || sed 's/^/#   body: /' "$TMP/body"
}
