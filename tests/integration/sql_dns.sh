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

NSD=$(command -v nsd || echo /usr/sbin/nsd)
if [ ! -x "$NSD" ]; then
	skip "nsd is installed" "nsd not found (build.sh installs it)"
	finish
fi
if [ -z "${MQ_TEST_PG_URL:-}" ]; then
	fail "MQ_TEST_PG_URL is set" "run through tests/run.sh"
	finish
fi

# free_port - a port on 127.0.0.1 nobody uses, for UDP nor TCP
free_port() {
	local p
	for _ in $(seq 50); do
		p=$((20000 + RANDOM % 40000))
		if ! ss -Hantu "sport = :$p" 2>/dev/null | grep -q .; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

# nsd_start - nsd on 127.0.0.1:$PORT serving mq.test; 0 once it answers
nsd_start() {
	mkdir -p "$TMP/nsd"
	cat >"$TMP/nsd/mq.test.zone" <<-EOF
	\$ORIGIN mq.test.
	\$TTL 60
	@ IN SOA ns.mq.test. admin.mq.test. 1 3600 600 86400 60
	@ IN NS ns.mq.test.
	ns IN A 127.0.0.1
	db IN A 127.0.0.1
	EOF
	cat >"$TMP/nsd/nsd.conf" <<-EOF
	server:
		ip-address: 127.0.0.1
		port: $PORT
		username: ""
		chroot: ""
		zonesdir: "$TMP/nsd"
		pidfile: "$TMP/nsd/nsd.pid"
		database: ""
		zonelistfile: "$TMP/nsd/zone.list"
		xfrdfile: "$TMP/nsd/xfrd.state"
		xfrdir: "$TMP/nsd"
		logfile: "$TMP/nsd/nsd.log"
		server-count: 1
	remote-control:
		control-enable: no
	zone:
		name: "mq.test"
		zonefile: "mq.test.zone"
	EOF
	"$NSD" -c "$TMP/nsd/nsd.conf" || return 1
	for _ in $(seq 100); do
		grep -q "nsd started" "$TMP/nsd/nsd.log" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

nsd_stop() {
	local pid
	pid=$(cat "$TMP/nsd/nsd.pid" 2>/dev/null) || return 0
	kill "$pid" 2>/dev/null
	for _ in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
}
at_exit nsd_stop

# with_host URL HOST - URL with its host replaced
with_host() {
	printf '%s\n' "$1" | sed -E "s#@[^:/]+([:/])#@$2\\1#"
}

PORT=$(free_port) || { skip "a free port" "none found"; finish; }
check "nsd starts" nsd_start
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
