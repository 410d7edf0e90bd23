#!/usr/bin/env bash
# console - the management console: its page and assets served from the
# binary with a strict Content-Security-Policy, and a real headless
# Chromium (tests/console/console.test.js) using it against mq serve.
# The screenshot lands in build/test-artifacts/console.png.
. "$(dirname "$0")/../lib/harness.sh"
. "$REPO/tests/lib/serve.sh"

CONSOLE=$REPO/tests/console
SHOT=$REPO/build/test-artifacts/console.png
TOKEN=console-token-$$-$RANDOM
LIST=news

# A missing browser or node is a failure: the test could not run.
check "chromium is installed (build.sh deps)" test -x /usr/bin/chromium
check "node is installed (build.sh deps)" command -v node
if [ ! -d "$CONSOLE/node_modules/playwright-core" ]; then
	check "npm ci installs playwright-core" \
		sh -c "cd '$CONSOLE' && npm ci --no-audit --no-fund"
fi

export MQ_STORE_PATH=$TMP/mq.mdb
check "a list to show" "$MQ" list-create "$LIST"
check "with two subscribers" "$MQ" sub "$LIST" ann@example.org bob@example.org
check "and a message that arrived" "$MQ" mlog "$LIST" 1 1 0
check "and was processed" "$MQ" mlog "$LIST" 1 1 1 --subs 2
serve_start "$TMP/serve.log" MQ_WWW_TOKEN="$TOKEN" ||
	{ fail "mq serve starts" "$(tail -n 5 "$TMP/serve.log")"; finish; }

# curl_head PATH - status line and headers of GET PATH into $TMP/h
curl_head() {
	curl -s -D "$TMP/h" -o "$TMP/body" --max-time 5 "$URL$1"
}

curl_head /
expect_grep "GET / is the page" "^HTTP/1.1 200" "$TMP/h"
expect_grep "as HTML" "^Content-Type: text/html" "$TMP/h"
expect_grep "with a CSP that allows only this server's script" \
	"^Content-Security-Policy: default-src 'none'; script-src 'self';" "$TMP/h"
expect_grep "and no framing" "^X-Frame-Options: DENY" "$TMP/h"
expect_no_grep "the page has no inline script" "<script>" "$TMP/body"
expect_no_grep "and no inline style" "style=|<style" "$TMP/body"
expect_no_grep "and fetches nothing from elsewhere" "(src|href)=\"(https?:)?//" "$TMP/body"
curl_head /app.js
expect_grep "GET /app.js is JavaScript" "^Content-Type: text/javascript" "$TMP/h"
check "the same bytes as mq/http/console/app.js" cmp "$TMP/body" "$REPO/mq/http/console/app.js"
curl_head /style.css
expect_grep "GET /style.css is CSS" "^Content-Type: text/css" "$TMP/h"
curl_head /nope.html
expect_grep "an unknown page is a 404" "^HTTP/1.1 404" "$TMP/h"
expect_grep "saying which" '"error":"/nope.html: no such page"' "$TMP/body"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST --max-time 5 "$URL/")
expect_eq "POST / is refused" 405 "$code"

mkdir -p "$(dirname "$SHOT")"
rm -f "$SHOT"
MQ_URL=$URL MQ_TOKEN=$TOKEN MQ_SCREENSHOT=$SHOT MQ_LIST=$LIST \
	timeout 180 node "$CONSOLE/console.test.js" > "$TMP/node.out" 2>&1
status=$?
sed 's/^/#   /' "$TMP/node.out"
expect_eq "the Chromium test passes (tests/console/console.test.js)" 0 "$status"
check "the screenshot exists" test -s "$SHOT"
magic=$(head -c 8 "$SHOT" 2>/dev/null | od -An -tx1 | tr -d ' \n')
expect_eq "and is a PNG" 89504e470d0a1a0a "$magic"

serve_stop
expect_eq "mq serve stops cleanly after the session" 0 "$?"
expect_no_grep "and logged no token" "$TOKEN" "$TMP/serve.log"

# The static release binary (the container's) embeds the same page.
SERVE_BIN=$MQ_STATIC serve_start "$TMP/static.log" ||
	{ fail "the static mq serve starts" "$(tail -n 5 "$TMP/static.log")"; finish; }
curl_head /
check "the static binary serves mq/http/console/index.html" \
	cmp "$TMP/body" "$REPO/mq/http/console/index.html"
curl_head /style.css
check "and mq/http/console/style.css" cmp "$TMP/body" "$REPO/mq/http/console/style.css"
serve_stop
expect_eq "and stops cleanly" 0 "$?"
finish
