#!/usr/bin/env bash
# config_mailerq - mq serve --config takes a MailerQ config file as it is:
# the keys mq shares with MailerQ are used, each MailerQ key mq does not
# use is one warning naming it and its line, and a key that is neither is
# still an error naming the line.
. "$(dirname "$0")/../lib/harness.sh"
. "$REPO/tests/lib/serve.sh"

export MQ_STORE_PATH="$TMP/mq.mdb"
cat > "$TMP/mailerq.conf" <<CONF
# the keys of MailerQ's docker image mailerq.config.txt
license:             /etc/mailerq/license.txt
rabbitmq-address:    amqp://guest:guest@rabbitmq/
database-address:    sqlite://$TMP/db.sqlite
www-password:        console-secret
storage-address:     sqlite:///var/lib/mailerq/storage.sql
smtp-port:           25
rabbitmq-address:    amqp://guest:guest@other/
CONF

check "the MailerQ file's database is prepared" "$MQ" --config "$TMP/mailerq.conf" repair-database
"$MQ" --config "$TMP/mailerq.conf" config > "$TMP/config.out" 2>&1
expect_grep "database-address is taken from it" "database-address: sqlite://$TMP/db.sqlite" "$TMP/config.out"
expect_no_grep "a command other than serve says nothing of MailerQ keys" "MailerQ key" "$TMP/config.out"

env MQ_WWW_PORT=0 "$MQ" --config "$TMP/mailerq.conf" serve 2> "$TMP/serve.log" &
pid=$!
at_exit "kill -9 $pid 2>/dev/null"
for _ in $(seq 1 100); do
	grep -q "smtp-port" "$TMP/serve.log" && break
	sleep 0.1
done
kill -TERM "$pid"
wait "$pid"
expect_eq "mq serve stops cleanly" 0 $?
expect_grep "license is ignored, naming its line" "mailerq.conf:2: MailerQ key 'license' is not used by mq: ignored" "$TMP/serve.log"
expect_eq "rabbitmq-address is listed once" 1 "$(grep -c "'rabbitmq-address'" "$TMP/serve.log")"
expect_grep "www-password names www-token" "'www-password' is not used by mq: ignored .the API's writes take www-token" "$TMP/serve.log"
expect_no_grep "the password is never logged" "console-secret" "$TMP/serve.log"
expect_eq "one warning per MailerQ key" 5 "$(grep -c 'MailerQ key' "$TMP/serve.log")"

printf 'rabbitmq-address: amqp://x/\nrabbitmq-adress: amqp://x/\n' > "$TMP/typo.conf"
expect_status "a key that is neither mq's nor MailerQ's: exit 64" 64 "$MQ" --config "$TMP/typo.conf" serve
expect_grep "naming the line" "typo.conf:2: unknown key 'rabbitmq-adress'" "$TMP/last.out"
finish
