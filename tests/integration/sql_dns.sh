#!/usr/bin/env bash
# NAME
#	sql_dns.sh - the host of database-address resolved through
#	dns-servers (c-ares), never glibc
# DESCRIPTION
#	Starts nsd on 127.0.0.1 and a free high port, serving zone mq.test
#	where db.mq.test is 127.0.0.1.  With dns-servers naming it,
#	"mq sql ping" reaches the shared PostgreSQL as db.mq.test (and so
#	does the static binary in an empty chroot, where glibc could not
#	resolve anything); without dns-servers the name is unknown (exit
#	65, or 75 offline; the message names the host); a name the zone
#	lacks is exit 65;
#	a DNS server that does not run is a temporary failure (75).
#	Needs MQ_TEST_PG_URL (tests/run.sh) and nsd.

. "$(dirname "$0")/../lib/harness.sh"

. "$REPO/tests/lib/nsd.sh"
if [ ! -x "$NSD" ]; then
	skip "nsd is installed" "nsd not found (build.sh installs it)"
	finish
fi
if [ -z "${MQ_TEST_PG_URL:-}" ]; then
	fail "MQ_TEST_PG_URL is set" "run through tests/run.sh"
	finish
fi

# mq_zone - the zone mq.test: db.mq.test is 127.0.0.1
mq_zone() {
	mkdir -p "$TMP/nsd"
	cat >"$TMP/nsd/mq.test.zone" <<-EOF
	\$ORIGIN mq.test.
	\$TTL 60
	@ IN SOA ns.mq.test. admin.mq.test. 1 3600 600 86400 60
	@ IN NS ns.mq.test.
	ns IN A 127.0.0.1
	db IN A 127.0.0.1
	EOF
}

# with_host URL HOST - URL with its host replaced
with_host() {
	printf '%s\n' "$1" | sed -E "s#@[^:/]+([:/])#@$2\\1#"
}

PORT=$(free_port) || { skip "a free port" "none found"; finish; }
mq_zone
check "nsd starts" nsd_start mq.test
NAMED=$(with_host "$MQ_TEST_PG_URL" db.mq.test)
unset MQ_DNS_SERVERS

expect_status "dns-servers: db.mq.test reaches postgresql" 0 \
	env MQ_DNS_SERVERS=127.0.0.1:$PORT "$MQ" sql ping --address "$NAMED"
expect_grep "and names the server" "^postgresql [0-9.]+ at postgresql://.*@db\.mq\.test:" \
	"$TMP/last.out"
expect_status "a name the zone lacks is a configuration error" 65 \
	env MQ_DNS_SERVERS=127.0.0.1:$PORT "$MQ" sql ping \
	--address "$(with_host "$MQ_TEST_PG_URL" nx.mq.test)"
expect_grep "naming the host" "nx\.mq\.test" "$TMP/last.out"
# resolv.conf's servers answer "no such name", or time out offline.
"$MQ" sql ping --address "$NAMED" > "$TMP/last.out" 2>&1
STATUS=$?
if [ "$STATUS" = 65 ] || [ "$STATUS" = 75 ]; then
	ok "without dns-servers the name is unknown ($STATUS)"
else
	fail "without dns-servers the name is unknown" "exit status $STATUS"
fi
expect_grep "naming the host" "resolve: db\.mq\.test" "$TMP/last.out"
DEAD=$(free_port)
expect_status "a DNS server that does not run is a temporary failure" 75 \
	env MQ_DNS_SERVERS=127.0.0.1:$DEAD "$MQ" sql ping --address "$NAMED"

if [ -x "$MQ_STATIC" ]; then
	root=$TMP/root
	mkdir -p "$root"
	cp "$MQ_STATIC" "$root/mq"
	expect_status "the static binary in an empty chroot reaches db.mq.test" 0 \
		env -i MQ_DNS_SERVERS=127.0.0.1:$PORT \
		"$(command -v chroot)" "$root" /mq sql ping --address "$NAMED"
else
	fail "the static binary is built" "make release first"
fi
finish
