#!/usr/bin/env bash
# http_lists - the list API of mq serve (/v1/lists...) against the CLI:
# lists created and dropped, subscribers added, listed (streamed),
# checked and removed in every address table, the split, status and
# log; 401 without the token on every write, 400 naming the bad field,
# 404 for an unknown list, table, address or sublist; a 200k-address
# list streamed equals mq list (JSON and text); 27, then 12 concurrent
# writes (subscribes, one with a bad address, creates that fail in the
# store, split adds, unsubscribes, split deletes) each get their own
# answer through the writer thread's group commit and leave exactly
# their changes; clients that go away mid-stream cost nothing (the sanitized build stops with status 0 and
# no leak); with an SQLite database-address a subscription is in SQL
# and the store, and an unreachable server is 503 changing nothing.
. "$(dirname "$0")/../lib/harness.sh"
. "$REPO/tests/lib/serve.sh"

TOKEN=h7b-token-$$
AUTH="Authorization: Bearer $TOKEN"
export MQ_STORE_PATH=$TMP/mq.mdb

# code_of METHOD PATH [CURL ARGS...] - the status code; the body in $TMP/body
code_of() {
	local m=$1 p=$2
	shift 2
	curl -s -o "$TMP/body" -w '%{http_code}' -X "$m" "$@" "$URL$p"
}

# expect_code NAME CODE METHOD PATH [CURL ARGS...]
expect_code() {
	local name=$1 want=$2 got
	shift 2
	got=$(code_of "$@")
	if [ "$got" = "$want" ]; then
		ok "$name"
	else
		fail "$name" "$1 $2: status $got, wanted $want" \
			"body: $(head -c 400 "$TMP/body")"
	fi
}

# body_has NAME TEXT - the last body contains TEXT (fixed string)
body_has() {
	if grep -qF -- "$2" "$TMP/body"; then
		ok "$1"
	else
		fail "$1" "wanted: $2" "body: $(head -c 400 "$TMP/body")"
	fi
}

# json EXPR [FILE] - a JavaScript expression of the parsed body j
json() {
	node -e 'const j = JSON.parse(require("fs").readFileSync(process.argv[2], "utf8")); const v = eval(process.argv[1]); console.log(typeof v === "string" ? v : JSON.stringify(v));' "$1" "${2:-$TMP/body}"
}

# lines FILE - a JSON array of strings, one a line
lines() {
	json 'j.join("\n")' "$1"
}

serve_start "$TMP/serve.log" MQ_WWW_TOKEN="$TOKEN" || { finish; exit 1; }

# ---- lists
expect_code "create without the token: 401" 401 POST /v1/lists -d '{"name":"news"}'
expect_code "create news" 201 POST /v1/lists -H "$AUTH" -d '{"name":"news"}'
expect_code "create it again: 409" 409 POST /v1/lists -H "$AUTH" -d '{"name":"news"}'
expect_code "a bad name: 400" 400 POST /v1/lists -H "$AUTH" -d '{"name":"Bad-Name"}'
body_has "naming the field" '"name: '
expect_code "malformed JSON: 400" 400 POST /v1/lists -H "$AUTH" -d '{"name":'
body_has "naming the body's line and column" 'body: line 1'
expect_code "create tmp" 201 POST /v1/lists -H "$AUTH" -d '{"name":"tmp"}'
expect_code "GET /v1/lists" 200 GET /v1/lists
expect_eq "both lists, with counts" "news 0 0|tmp 0 0" \
	"$(json 'j.map(l => l.name + " " + l.subscribers + " " + l.split).join("|")')"
expect_code "drop without the token: 401" 401 DELETE /v1/lists/tmp
expect_code "drop tmp" 200 DELETE /v1/lists/tmp -H "$AUTH"
expect_code "tmp is gone: 404" 404 GET /v1/lists/tmp
body_has "naming it" "no such list: tmp"
expect_code "drop it again: 404" 404 DELETE /v1/lists/tmp -H "$AUTH"
expect_code "PUT /v1/lists: 405" 405 PUT /v1/lists -H "$AUTH"

# ---- subscribers: writes
S=/v1/lists/news/subscribers
expect_code "subscribe without the token: 401" 401 POST $S -d '{"address":"a@x.org"}'
expect_code "with a wrong token: 401" 401 POST $S -H "Authorization: Bearer no" -d '{"address":"a@x.org"}'
expect_code "one bad address among good: 400" 400 POST $S -H "$AUTH" \
	-d '{"addresses":["a@x.org","not-an-address","b@y.org"]}'
body_has "naming it by index" 'addresses[1]: '
expect_code "a hash above 99: 400" 400 POST $S -H "$AUTH" -d '{"address":"a@x.org","hash":100}'
body_has "naming hash" '"hash: '
expect_code "a from line of 300 bytes: 400" 400 POST $S -H "$AUTH" \
	-d "{\"address\":\"a@x.org\",\"from\":\"$(printf '%0300d' 0)\"}"
body_has "naming from" '"from: '
expect_code "neither address nor addresses: 400" 400 POST $S -H "$AUTH" -d '{"adress":"a@x.org"}'
expect_code "an array body: 400" 400 POST $S -H "$AUTH" -d '["a@x.org"]'
expect_eq "nothing was written" "0" "$("$MQ" list news -n)"
expect_code "subscribe three" 200 POST $S -H "$AUTH" \
	-d '{"addresses":["a@x.org","B@Y.org","c@z.org"],"from":"web form"}'
expect_eq "added 3" '{"added":3,"existing":0,"blocked":0}' "$(cat "$TMP/body")"
expect_code "again, one in another case" 200 POST $S -H "$AUTH" -d '{"address":"A@X.ORG"}'
expect_eq "existing 1" '{"added":0,"existing":1,"blocked":0}' "$(cat "$TMP/body")"
expect_code "a return-receipt address (hash 98)" 200 POST $S -H "$AUTH" \
	-d '{"address":"receipt@r.org","hash":98}'
expect_code "a digest subscriber" 200 POST /v1/lists/news/digest -H "$AUTH" -d '{"address":"d@d.org"}'
expect_code "a moderator" 200 POST /v1/lists/news/mod -H "$AUTH" -d '{"address":"m@m.org"}'
expect_code "an unknown table: 404" 404 POST /v1/lists/news/moderators -H "$AUTH" -d '{"address":"m@m.org"}'
expect_code "an unknown list: 404" 404 POST /v1/lists/nope/subscribers -H "$AUTH" -d '{"address":"m@m.org"}'
body_has "naming it" "no such list: nope"

# ---- subscribers: reads
expect_code "GET subscribers" 200 GET $S
expect_eq "as mq list, receipts last" "$("$MQ" list news)" "$(lines "$TMP/body")"
expect_code "GET subscribers?format=text" 200 GET "$S?format=text"
expect_eq "exactly mq list's output" "$("$MQ" list news)" "$(cat "$TMP/body")"
expect_code "GET ?hash=98" 200 GET "$S?hash=98&format=text"
expect_eq "the receipt address" "receipt@r.org" "$(cat "$TMP/body")"
expect_code "GET digest" 200 GET /v1/lists/news/digest
expect_eq "as mq list --digest" "$("$MQ" list news --digest)" "$(lines "$TMP/body")"
expect_code "GET mod" 200 GET /v1/lists/news/mod?format=text
expect_eq "as mq list --mod" "$("$MQ" list news --mod)" "$(cat "$TMP/body")"
expect_code "GET an empty table: []" 200 GET /v1/lists/news/deny
expect_eq "an empty array" "0" "$(json 'j.length')"
expect_code "a bad format: 400" 400 GET "$S?format=xml"
body_has "naming format" '"format: '
expect_code "a bad hash: 400" 400 GET "$S?hash=x"
body_has "naming hash" '"hash: '
expect_code "an unknown list: 404" 404 GET /v1/lists/nope/subscribers
expect_code "issub b@y.org" 200 GET "$S?address=b@y.org"
expect_eq "subscribed, as stored" "true B@y.org" "$(json 'j.subscribed + " " + j.address')"
expect_code "issub of a non-subscriber: 404" 404 GET "$S?address=zz@y.org"
expect_code "issub of the receipt address: 404" 404 GET "$S?address=receipt@r.org"
body_has "saying why" "hash 98"
expect_code "issub of a bad address: 400" 400 GET "$S?address=nonsense"
body_has "naming address" '"address: '
expect_code "GET /v1/lists/news" 200 GET /v1/lists/news
expect_eq "its counts" "4 1 1" "$(json 'j.subscribers + " " + j.digest + " " + j.mod')"

# ---- unsubscribe
expect_code "unsubscribe without the token: 401" 401 DELETE "$S?address=c@z.org"
expect_code "unsubscribe C@Z.org" 200 DELETE "$S?address=C@Z.org" -H "$AUTH"
expect_eq "removed 1" '{"removed":1}' "$(cat "$TMP/body")"
expect_status "mq issub agrees" 1 "$MQ" issub news c@z.org
expect_code "again: 404" 404 DELETE "$S?address=c@z.org" -H "$AUTH"
expect_code "by body" 200 DELETE "$S" -H "$AUTH" -d '{"addresses":["a@x.org","zz@q.org"]}'
expect_eq "removed 1 of 2" '{"removed":1}' "$(cat "$TMP/body")"
expect_code "a bad address by query: 400" 400 DELETE "$S?address=bad" -H "$AUTH"
expect_code "PUT: 405" 405 PUT "$S" -H "$AUTH"

# ---- log
expect_code "GET log?format=text" 200 GET "/v1/lists/news/log?format=text"
expect_eq "exactly mq log's output" "$("$MQ" log news)" "$(cat "$TMP/body")"
expect_code "GET log?search=c@Z" 200 GET "/v1/lists/news/log?search=c@Z"
expect_eq "the two entries of c@z.org" "+ -" "$(json 'j.map(e => e.edir).join(" ")')"
expect_code "GET log?limit=1" 200 GET "/v1/lists/news/log?limit=1&format=text"
expect_eq "the last entry" "$("$MQ" log news | tail -n 1)" "$(cat "$TMP/body")"
expect_code "GET log?table=digest" 200 GET "/v1/lists/news/log?table=digest&format=text"
expect_eq "as mq log --digest" "$("$MQ" log news --digest)" "$(cat "$TMP/body")"
expect_code "a bad limit: 400" 400 GET "/v1/lists/news/log?limit=0"
body_has "naming limit" '"limit: '
expect_code "a bad table: 400" 400 GET "/v1/lists/news/log?table=x"
expect_code "log of an unknown list: 404" 404 GET /v1/lists/nope/log

# ---- status
"$MQ" mlog news 1 0 1 --tai "2026-01-01 10:00:00" > /dev/null
"$MQ" mlog news 1 1 0 --tai "2026-01-01 10:00:05" > /dev/null
"$MQ" mlog news 2 0 1 --tai "2026-01-01 11:00:00" > /dev/null
expect_code "GET status?n=5" 200 GET "/v1/lists/news/status?n=5"
"$MQ" status news -n 5 --json > "$TMP/status.json"
expect_eq "equals mq status --json" "$(json 'j' "$TMP/status.json")" "$(json 'j')"
expect_eq "two messages, three entries" "3" "$(json 'j.length')"
expect_code "a bad n: 400" 400 GET "/v1/lists/news/status?n=0"
body_has "naming n" '"n: '
expect_code "status of an unknown list: 404" 404 GET /v1/lists/nope/status
expect_code "POST status: 405" 405 POST /v1/lists/news/status -H "$AUTH"

# ---- split
P=/v1/lists/news/split
expect_code "split add without the token: 401" 401 POST $P -d '{"name":"s1"}'
expect_code "split add s1: hashes 0..20" 201 POST $P -H "$AUTH" -d '{"name":"s1","hash_hi":20}'
expect_eq "listno 1" "1" "$(json 'j.listno')"
expect_code "split add s2: 21..52" 201 POST $P -H "$AUTH" -d '{"name":"s2","hash_lo":21,"hash_hi":52}'
expect_code "a hash above 52: 400" 400 POST $P -H "$AUTH" -d '{"name":"s3","hash_hi":53}'
body_has "naming hash_hi" '"hash_hi: '
expect_code "lo above hi: 400" 400 POST $P -H "$AUTH" -d '{"name":"s3","hash_lo":9,"hash_hi":8}'
body_has "naming hash_lo" '"hash_lo: '
expect_code "a bad domain: 400" 400 POST $P -H "$AUTH" -d '{"name":"s3","domain":"a.b"}'
body_has "naming domain" '"domain: '
expect_code "an unknown field: 400" 400 POST $P -H "$AUTH" -d '{"name":"s3","hashlo":1}'
body_has "naming it" '"hashlo: '
expect_code "no name: 400" 400 POST $P -H "$AUTH" -d '{"hash_lo":1}'
expect_code "GET split" 200 GET $P
expect_eq "two entries" "s1 0-20|s2 21-52" \
	"$(json 'j.map(e => e.name + " " + e.hash_lo + "-" + e.hash_hi).join("|")')"
expect_code "split/check" 200 GET $P/check
expect_eq "no gaps" "2 0" "$(json 'j.entries + " " + j.gaps.length')"
for s in s1 s2; do
	expect_code "sublist $s for message 7" 200 GET "$S?sublist=$s&msgnum=7&format=text"
	expect_eq "equals mq list --sublist $s" \
		"$("$MQ" list news --sublist $s --msgnum 7)" "$(cat "$TMP/body")"
done
expect_code "sublist s1 as JSON" 200 GET "$S?sublist=s1&msgnum=7"
expect_eq "the same addresses" "$("$MQ" list news --sublist s1 --msgnum 7)" "$(lines "$TMP/body")"
expect_code "a sublist without entries: 404" 404 GET "$S?sublist=s9&msgnum=7"
body_has "naming it" "'s9'"
expect_code "sublist without msgnum: 400" 400 GET "$S?sublist=s1"
body_has "naming msgnum" '"msgnum: '
expect_code "split del without the token: 401" 401 DELETE "$P?listno=2"
expect_code "split del 2" 200 DELETE "$P?listno=2" -H "$AUTH"
expect_code "split del 2 again: 404" 404 DELETE "$P?listno=2" -H "$AUTH"
expect_code "split del without listno: 400" 400 DELETE "$P" -H "$AUTH"
expect_code "split/check" 200 GET $P/check
expect_eq "the gap 21..52" "21-52" "$(json 'j.gaps.map(g => g.hash_lo + "-" + g.hash_hi).join()')"
expect_status "mq split check agrees" 65 "$MQ" split check news
expect_code "split of an unknown list: 404" 404 GET /v1/lists/nope/split
check "mq split add with an option given 12 times" "$MQ" split add news s4 \
	$(for i in $(seq 1 12); do printf -- '--hash-lo %d ' "$i"; done)
expect_code "GET split" 200 GET $P
expect_eq "keeps the last value" "12" "$(json 'j.find(e => e.name == "s4").hash_lo')"

# ---- 200k addresses streamed
"$MQ" list-create big > /dev/null
seq 1 200000 | awk '{ printf "User%d@Dom%d.example\n", $1, $1 % 977 }' > "$TMP/big.in"
check "200k subscribers" "$MQ_STATIC" sub big - < "$TMP/big.in"
check "and receipt addresses first in key order" \
	"$MQ_STATIC" sub big --hash 98 aaa-receipt@r.example Aab-receipt@r.example
check "a split of big" "$MQ_STATIC" split add big half --hash-hi 30
"$MQ_STATIC" list big > "$TMP/big.cli"
expect_code "GET 200k as text" 200 GET "/v1/lists/big/subscribers?format=text"
check "equals mq list, in order" cmp "$TMP/body" "$TMP/big.cli"
expect_code "GET 200k as JSON" 200 GET /v1/lists/big/subscribers
lines "$TMP/body" | sort > "$TMP/big.json.sorted"
sort "$TMP/big.cli" > "$TMP/big.cli.sorted"
check "equals mq list (sorted)" cmp "$TMP/big.json.sorted" "$TMP/big.cli.sorted"
expect_eq "200002 of them" "200002" "$(wc -l < "$TMP/big.json.sorted")"
expect_code "GET a sublist of big (several batches)" 200 GET \
	"/v1/lists/big/subscribers?sublist=half&msgnum=3&format=text"
check "equals mq list --sublist, in order" cmp "$TMP/body" \
	<("$MQ_STATIC" list big --sublist half --msgnum 3)

# ---- concurrent writes through the writer thread (group commit)
# parallel REQUEST... - "METHOD PATH BODY" each, all at once; the status
# of request i in $TMP/par.i.code, its body in $TMP/par.i
parallel() {
	local i=0 req m p d pids=()
	for req in "$@"; do
		i=$((i + 1))
		read -r m p d <<< "$req"
		curl -s -o "$TMP/par.$i" -w '%{http_code}' -X "$m" -H "$AUTH" \
			${d:+-d "$d"} "$URL$p" > "$TMP/par.$i.code" &
		pids+=($!)
	done
	wait "${pids[@]}"
}

# answers I... - "code body" of the requests numbered I..., one a line
answers() {
	local i
	for i in "$@"; do
		echo "$(cat "$TMP/par.$i.code") $(cat "$TMP/par.$i")"
	done
}

expect_code "create conc" 201 POST /v1/lists -H "$AUTH" -d '{"name":"conc"}'
C=/v1/lists/conc/subscribers
reqs=()
for i in $(seq 1 20); do
	if [ "$i" = 13 ]; then
		reqs+=("POST $C {\"addresses\":[\"c13a@c.org\",\"broken-13\"]}")
	else
		reqs+=("POST $C {\"addresses\":[\"c${i}a@c.org\",\"C${i}b@C.org\"]}")
	fi
done
for i in 1 2 3; do	# bodies that fail in the store, amid the batch
	reqs+=("POST /v1/lists {\"name\":\"conc\"}")
done
for i in 1 2 3 4; do
	reqs+=("POST /v1/lists/conc/split {\"name\":\"p$i\",\"hash_lo\":$((i * 10)),\"hash_hi\":$((i * 10 + 9))}")
done
# a bulk subscribe first holds the writer, so that the others queue up
# behind it and run as batches (a failing create amid them)
seq 1 100000 | awk 'BEGIN { printf "{\"addresses\":[" }
	{ printf "%s\"bulk%d@b.org\"", (NR > 1 ? "," : ""), $1 } END { print "]}" }' > "$TMP/bulk.json"
curl -s -o "$TMP/bulk.out" -H "$AUTH" --data-binary @"$TMP/bulk.json" "$URL$C" &
bulk=$!
sleep 0.2
parallel "${reqs[@]}"
wait $bulk
expect_eq "the bulk subscribe: 100000 added" '{"added":100000,"existing":0,"blocked":0}' \
	"$(cat "$TMP/bulk.out")"
expect_eq "19 subscribes answered 200 with their own counts" \
	"$(for i in $(seq 1 19); do echo '200 {"added":2,"existing":0,"blocked":0}'; done)" \
	"$(answers $(seq 1 12) $(seq 14 20))"
expect_grep "the bad one 400, naming addresses[1]" '^400 \{"error": ?"addresses\[1\]: ' \
	<(answers 13)
expect_eq "the three creates of conc: 409 each" "409 409 409" \
	"$(answers 21 22 23 | cut -c 1-3 | paste -sd ' ')"
expect_eq "the four split adds: 201 each" "201 201 201 201" \
	"$(answers 24 25 26 27 | cut -c 1-3 | paste -sd ' ')"
expect_eq "with listnos 1..4" "1 2 3 4" \
	"$(for i in 24 25 26 27; do json 'j.listno' "$TMP/par.$i"; done | sort -n | paste -sd ' ')"
expect_eq "the list holds exactly the 38 good addresses" \
	"$(for i in $(seq 1 20); do [ "$i" = 13 ] || printf 'c%da@c.org\nC%db@c.org\n' "$i" "$i"; done | sort)" \
	"$("$MQ" list conc | grep -v '@b\.org$' | sort)"
expect_eq "each with its slog row, as the bulk ones" "100038" "$("$MQ" log conc | wc -l)"
reqs=()
for i in $(seq 1 10); do
	reqs+=("DELETE $C {\"addresses\":[\"C${i}A@c.org\",\"nobody$i@c.org\"]}")
done
reqs+=("DELETE /v1/lists/conc/split?listno=2" "DELETE /v1/lists/conc/split?listno=9")
parallel "${reqs[@]}"
expect_eq "10 unsubscribes answered 200, removed 1 each" \
	"$(for i in $(seq 1 10); do echo '200 {"removed":1}'; done)" "$(answers $(seq 1 10))"
expect_eq "split del 2: 200, split del 9: 404" "200 404" \
	"$(cat "$TMP/par.11.code") $(cat "$TMP/par.12.code")"
expect_eq "28 addresses left beside the bulk" "100028" "$("$MQ" list conc -n)"
expect_eq "3 split entries left" "1 3 4" \
	"$("$MQ" split list conc --json | node -e 'console.log(JSON.parse(require("fs").readFileSync(0)).map(e => e.listno).join(" "))')"

# ---- clients that go away mid-stream
for i in 1 2 3 4 5; do
	curl -s -N "$URL/v1/lists/big/subscribers?format=text" | head -c $((i * 50000)) > /dev/null
done
curl -s --max-time 0.05 "$URL/v1/lists/big/subscribers" > /dev/null
expect_code "serve still answers after 6 clients went away" 200 GET /health
expect_code "and still streams the whole list" 200 GET "/v1/lists/big/subscribers?format=text"
check "equal to mq list" cmp "$TMP/body" "$TMP/big.cli"
serve_stop
expect_eq "serve stops with status 0" "0" "$?"
expect_no_grep "no leak, no sanitizer report" "LeakSanitizer|AddressSanitizer|runtime error" "$TMP/serve.log"

# ---- write-through with SQLite
URL_SQL="sqlite://$TMP/db.sqlite"
check "news into SQLite" "$MQ" sync --to-sql --address "$URL_SQL"
serve_start "$TMP/serve-sql.log" MQ_WWW_TOKEN="$TOKEN" MQ_DATABASE_ADDRESS="$URL_SQL" || { finish; exit 1; }
expect_code "subscribe with SQL authoritative" 200 POST $S -H "$AUTH" \
	-d '{"addresses":["sql1@s.org","Sql2@S.org"],"from":"api"}'
expect_eq "added 2" '{"added":2,"existing":0,"blocked":0}' "$(cat "$TMP/body")"
expect_eq "in SQL" "Sql2@s.org|sql1@s.org" \
	"$(sqlite3 "$TMP/db.sqlite" "SELECT address FROM news WHERE address LIKE '%s.org' ORDER BY address" | paste -sd '|')"
expect_eq "with their slog rows" "2" \
	"$(sqlite3 "$TMP/db.sqlite" "SELECT COUNT(*) FROM news_slog WHERE fromline = 'api'")"
expect_code "and in the store" 200 GET "$S?address=sql1@s.org"
expect_code "unsubscribe with SQL authoritative" 200 DELETE "$S?address=sql1@s.org" -H "$AUTH"
expect_eq "gone from SQL" "0" \
	"$(sqlite3 "$TMP/db.sqlite" "SELECT COUNT(*) FROM news WHERE address = 'sql1@s.org'")"
expect_code "and from the store" 404 GET "$S?address=sql1@s.org"
expect_code "a bad address: 400 naming it" 400 POST $S -H "$AUTH" -d '{"addresses":["ok@s.org","bad"]}'
body_has "by index" 'addresses[1]'
serve_stop
expect_eq "serve (SQL) stops with status 0" "0" "$?"
expect_no_grep "no leak, no sanitizer report (SQL)" "LeakSanitizer|AddressSanitizer|runtime error" "$TMP/serve-sql.log"

# ---- SQL unreachable: 503, nothing changed
serve_start "$TMP/serve-down.log" MQ_WWW_TOKEN="$TOKEN" \
	MQ_DATABASE_ADDRESS=postgresql://mq@127.0.0.1:1/none || { finish; exit 1; }
seq_before=$("$MQ" stat | awk '$1 == "sequence" { print $2 }')
expect_code "subscribe with SQL down: 503" 503 POST $S -H "$AUTH" -d '{"address":"down@s.org"}'
expect_code "unsubscribe with SQL down: 503" 503 DELETE "$S?address=sql2@s.org" -H "$AUTH"
expect_eq "the store did not move" "$seq_before" "$("$MQ" stat | awk '$1 == "sequence" { print $2 }')"
expect_status "no down@s.org" 1 "$MQ" issub news down@s.org
serve_stop
expect_eq "serve (SQL down) stops with status 0" "0" "$?"

finish
