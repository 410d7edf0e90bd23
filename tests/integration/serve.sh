#!/usr/bin/env bash
# serve - mq serve opens the store, answers SIGHUP, stops on SIGTERM;
# the config file and the environment.
. "$(dirname "$0")/../lib/harness.sh"

export MQ_STORE_PATH="$TMP/mq.mdb"
"$MQ" serve 2> "$TMP/serve.log" &
pid=$!
for _ in $(seq 1 100); do grep -q ready "$TMP/serve.log" && break; sleep 0.1; done
expect_grep "serve logs that the store is ready" "store $TMP/mq.mdb ready: uuid" "$TMP/serve.log"
check "the CLI writes beside a running serve" "$MQ" set mtanames localip=192.0.2.7 hostname=mx.example
kill -HUP $pid
for _ in $(seq 1 50); do grep -q reload "$TMP/serve.log" && break; sleep 0.1; done
expect_grep "SIGHUP reloads" "reload: no database-address" "$TMP/serve.log"
kill -TERM $pid
wait $pid
expect_eq "SIGTERM stops serve with status 0" 0 "$?"
expect_grep "and it says so" "stopping on SIGTERM" "$TMP/serve.log"

printf '# mq test config\nstore-path: %s/from-file.mdb\n\nwww-prot: 8485\n' "$TMP" > "$TMP/bad.conf"
expect_status "an unknown key is a usage error" 64 "$MQ" --config "$TMP/bad.conf" stat
expect_grep "naming the file and line" "bad.conf:4: unknown key 'www-prot'" "$TMP/last.out"
printf 'store-path: %s/from-file.mdb\nwww-port: 99999\n' "$TMP" > "$TMP/bad2.conf"
expect_status "a bad value is a usage error" 64 "$MQ" --config "$TMP/bad2.conf" stat
expect_grep "naming the line" "bad2.conf:2:" "$TMP/last.out"
printf 'store-path: %s/from-file.mdb\n' "$TMP" > "$TMP/good.conf"
unset MQ_STORE_PATH
check "the config file's store-path is used" "$MQ" --config "$TMP/good.conf" set mtanames localip=192.0.2.8 hostname=a
check "there" test -s "$TMP/from-file.mdb"
MQ_STORE_PATH="$TMP/from-env.mdb" "$MQ" --config "$TMP/good.conf" set mtanames localip=192.0.2.9 hostname=b > /dev/null
check "the environment wins over the file" test -s "$TMP/from-env.mdb"
expect_status "a bad environment value is a usage error" 64 env MQ_WWW_PORT=abc "$MQ" --config "$TMP/good.conf" stat
expect_grep "naming the variable" "MQ_WWW_PORT" "$TMP/last.out"
finish
