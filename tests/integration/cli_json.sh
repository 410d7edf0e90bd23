#!/usr/bin/env bash
# NAME
#	cli_json.sh - --json on the commands that print data, in the HTTP
#	API's shapes
# DESCRIPTION
#	mq tables, tables TABLE, stat, config, list, issub, log, sync,
#	dkim-record --status, cluster status, health and --version take --json (anywhere among
#	their arguments) and print one JSON value that jq parses.  Where the API answers the same question, the
#	command's JSON equals the API's: GET /v1/tables, the subscribers
#	and log of a list, /health's store, uuid, epoch and sequence.

. "$(dirname "$0")/../lib/harness.sh"
. "$REPO/tests/lib/serve.sh"

export MQ_STORE_PATH=$TMP/mq.mdb
TOKEN=cj-token-$$
"$MQ" list-create foo >/dev/null
"$MQ" sub foo a@example.com '"q\"uote"@example.com' >/dev/null
"$MQ" unsub foo a@example.com >/dev/null
"$MQ" set locals type=exact address=x@example.com >/dev/null

# json NAME FILE CMD... - CMD exits 0 and its stdout (FILE) parses with jq
json() {
	local name=$1 file=$2
	shift 2
	"$@" >"$file" 2>"$file.err"
	check "$name exits 0" test $? = 0
	check "$name prints JSON jq parses" jq -e . "$file" >/dev/null
}

json "mq tables --json" tables.json "$MQ" tables --json
expect_eq "tables: capacity comes first, foo's tables are there" \
	"capacity true" \
	"$(jq -r '"\(.[0].name) \(any(.[]; .name == "foo_slog" and .list == "foo"))"' tables.json)"
json "mq tables --json locals (flag first)" locals.json "$MQ" tables --json locals
expect_eq "tables TABLE --json: that table's object of the listing" \
	"$(jq -S -c '.[] | select(.name == "locals")' tables.json)" \
	"$(jq -S -c . locals.json)"
expect_status "tables --json nosuch: exit 65" 65 "$MQ" tables nosuch --json

json "mq stat --json" stat.json "$MQ" stat --json
expect_eq "stat: row counts by table" "1 1" \
	"$(jq -r '"\(.tables.locals) \(.tables.foo)"' stat.json)"
expect_eq "stat: the store's path" "$MQ_STORE_PATH" "$(jq -r .store stat.json)"

json "mq config --json" config.json env MQ_WWW_TOKEN=s3cret "$MQ" config --json
expect_eq "config: every key of mq config" \
	"$("$MQ" config | sed -n 's/^\([a-z-]*\):.*/\1/p' | tr '\n' ' ')" \
	"$(jq -r 'keys_unsorted | join(" ")' config.json) "
expect_eq "config: the token masked" "***" "$(jq -r '."www-token"' config.json)"
check "config: the secret never printed" sh -c '! grep -q s3cret config.json'

json "mq list foo --json" list.json "$MQ" list foo --json
expect_eq "list: the subscriber, quotes escaped" '["\"q\\\"uote\"@example.com"]' \
	"$(jq -c . list.json)"
json "mq list --json of an empty hash" empty.json "$MQ" list foo --hash 7 --json
expect_eq "an empty listing is []" "[]" "$(jq -c . empty.json)"

json "mq issub foo --json" issub.json "$MQ" issub foo '"q\"uote"@example.com' --json
expect_eq "issub: subscribed, the address as stored" 'true "\"q\\\"uote\"@example.com"' \
	"$(jq -c -r '"\(.subscribed) \(.address | tojson)"' issub.json)"
"$MQ" issub foo --json a@example.com >issub0.json
status=$?
expect_eq "issub of a non-subscriber: null, exit 1" "null 1" \
	"$(jq -c . issub0.json) $status"

json "mq --version --json" version.json "$MQ" --version --json
expect_eq "version: mq's version, commit and libraries" \
	"$(sed -n 's/^mq \([^ ]*\) (commit \([^)]*\))$/\1 \2/p' <("$MQ" --version))" \
	"$(jq -r '"\(.version) \(.commit)"' version.json)"
expect_eq "version: one library per line of the text" \
	"$("$MQ" --version | grep -c '^  ')" "$(jq '.libraries | length' version.json)"

json "mq cluster status --json" cluster.json "$MQ" cluster status --json
expect_eq "cluster status: the store's uuid and epoch, the role" \
	"$(jq -r '"\(.uuid) \(.epoch)"' stat.json) primary" \
	"$(jq -r '"\(.uuid) \(.epoch) \(.role)"' cluster.json)"

openssl genpkey -algorithm ed25519 -out k.pem 2>/dev/null
"$MQ" set dkim_keys domain=example.com selector=s1 algorithm=ed25519-sha256 \
	"privatekey=$(cat k.pem)" >/dev/null
json "mq dkim-record --status --json" dkim.json "$MQ" dkim-record --status --json
expect_eq "dkim-record: the key by id, domain and selector, never checked" \
	"$("$MQ" dkim-record --status | awk -F'\t' 'NR == 2 { print $1, $2, $3, $5 }') null" \
	"$(jq -r '.[0] | "\(.id) \(.domain) \(.selector) \(.status) \(.checked)"' dkim.json)"

json "mq log foo --json" log.json "$MQ" log foo --json
expect_eq "log: three entries, oldest first" "+ + - " \
	"$(jq -r '.[].edir' log.json | tr '\n' ' ')"
json "mq log foo SEARCH --json" logq.json "$MQ" log foo uote --json
expect_eq "log: the search applies" '"\"q\\\"uote\"@example.com"' \
	"$(jq -c '[.[].address] | unique | .[0]' logq.json)"

export MQ_DATABASE_ADDRESS=sqlite://$TMP/sql.db
json "mq sync --to-sql --json" sync.json "$MQ" sync --to-sql --json
expect_eq "sync: locals inserted into SQL" "to-sql 1" \
	"$(jq -r '"\(.direction) \(.tables[] | select(.name == "locals") | .inserted)"' sync.json)"
json "mq sync --from-sql --json, nothing to do" sync2.json "$MQ" sync --json --from-sql
expect_eq "sync: no table changed" "from-sql 0" \
	"$(jq -r '"\(.direction) \(.tables | length)"' sync2.json)"
unset MQ_DATABASE_ADDRESS

# The same questions asked of the API.
serve_start "$TMP/serve.log" MQ_WWW_TOKEN="$TOKEN" ||
	{ fail "mq serve starts"; finish; }
req "GET /v1/tables" GET /v1/tables 200
expect_eq "mq tables --json is GET /v1/tables" \
	"$(jq -S -c . "$TMP/body")" "$(jq -S -c . tables.json)"
req "GET /v1/lists/foo/subscribers" GET /v1/lists/foo/subscribers 200
expect_eq "mq list --json is GET /v1/lists/T/subscribers" \
	"$(jq -c . "$TMP/body")" "$(jq -c . list.json)"
req "GET /v1/lists/foo/log" GET /v1/lists/foo/log 200
expect_eq "mq log --json is GET /v1/lists/T/log" \
	"$(jq -S -c . "$TMP/body")" "$(jq -S -c . log.json)"
req "GET /health" GET /health 200
MQ_WWW_PORT=$PORT json "mq health --json" health.json "$MQ" health --json
expect_eq "mq health --json is GET /health's object" \
	"$(jq -S -c '{status, store, uuid, sql}' "$TMP/body")" \
	"$(jq -S -c '{status, store, uuid, sql}' health.json)"
"$MQ" stat --json >stat2.json
expect_eq "mq stat --json names store, uuid and epoch as /health" \
	"$(jq -c '{store, uuid, epoch}' "$TMP/body")" \
	"$(jq -c '{store, uuid, epoch}' stat2.json)"
expect_eq "and the sequence, a number in both" "number number" \
	"$(jq -r '.sequence | type' "$TMP/body") $(jq -r '.sequence | type' stat2.json)"
serve_stop
finish
