#!/usr/bin/env bash
# NAME
#	dkim_domain.sh - mq lookup dkim matches patterns against the from domain
# DESCRIPTION
#	MailerQ picks a DKIM key by "the domain of the 'from' address":
#	an exact pattern example.com signs alice@example.com.  Patterns
#	holding an '@' also match the whole address, so per-address and
#	*@domain patterns keep working; a pattern without '@' no longer
#	matches the local part.
. "$(dirname "$0")/../lib/harness.sh"

export MQ_STORE_PATH=$TMP/mq.mdb

openssl genpkey -algorithm ed25519 -out ed.pem
check "openssl made the key" test -s ed.pem

# key DOMAIN SELECTOR - a new key's id
key() {
	$MQ set dkim_keys "domain=$1" "selector=$2" "privatekey=$(cat ed.pem)" \
		algorithm=ed25519-sha256 | sed -n 's/.*id=\([0-9]*\).*/\1/p'
}

# ids FROM - the key ids mq lookup dkim gives, space-separated
ids() {
	$MQ lookup dkim "$1" 2>/dev/null | awk -F'\t' 'NR > 1 { print $1 }' |
		tr '\n' ' ' | sed 's/ $//'
}

DOM=$(key example.com s1)
ADDR=$(key example.org s2)
STAR=$(key example.net s3)
SUB=$(key example.info s4)
$MQ set dkim_patterns "dkim_key=$DOM" type=exact sign=example.com >/dev/null
$MQ set dkim_patterns "dkim_key=$ADDR" type=exact sign=bob@example.org >/dev/null
$MQ set dkim_patterns "dkim_key=$STAR" type=fnmatch 'sign=*@example.net' >/dev/null
$MQ set dkim_patterns "dkim_key=$SUB" type=substr sign=carol >/dev/null

expect_eq "an exact domain pattern signs an address of that domain" \
	"$DOM" "$(ids alice@example.com)"
expect_eq "without case" "$DOM" "$(ids Alice@EXAMPLE.COM)"
expect_status "but not one of a subdomain (exit 1)" 1 \
	$MQ lookup dkim alice@mail.example.com
expect_eq "an exact address pattern still signs its address" \
	"$ADDR" "$(ids bob@example.org)"
expect_status "and no other address of the domain" 1 \
	$MQ lookup dkim alice@example.org
expect_eq "a *@domain pattern signs the domain's addresses" \
	"$STAR" "$(ids x@example.net)"
expect_status "a pattern without '@' is not matched to the local part" 1 \
	$MQ lookup dkim carol@example.info
expect_eq "but to the domain" "$SUB" "$(ids x@carol.example.info)"

$MQ lookup dkim alice@example.com --json >answer.json 2>&1
expect_grep "--json names the key's selector" '"selector": *"s1"' answer.json

finish
