#!/usr/bin/env bash
# NAME
#	dkim_verifiers.sh - mq's DKIM verdicts against real verifiers
# DESCRIPTION
#	Table-driven: for each key type (RSA 1024 PKCS#8, RSA 2048
#	traditional PEM, RSA 4096, Ed25519) and each record variant (as
#	mq dkim-record prints it, without v=, tags reordered, t=y, h=sha1,
#	h=sha256, h=sha1:sha256, s=email, s=tls, revoked p=, without k=,
#	another key, a bare PKCS#1 p=, two TXT records, a CNAME), a key
#	row with verify is checked by mq against a real nsd, a message is
#	signed with the key by dkimpy and verified by OpenDKIM's
#	opendkim-testmsg against the same nsd.  mq uses the key (status
#	verified) exactly when OpenDKIM verifies the signature, but for
#	the bare PKCS#1 p=, which mq verifies with a warning in the status
#	and OpenDKIM rejects, and for an Ed25519 record without k=, which
#	OpenDKIM accepts and mq, like dkimpy and RFC 6376 (k= defaults to
#	rsa), refuses.  dkimpy's verdicts are printed alongside: it also
#	accepts h=sha1 and takes the first of two TXT records, where mq
#	follows OpenDKIM.
#
#	opendkim-testmsg asks the resolver of /etc/resolv.conf on port 53,
#	so the script runs in its own network and mount namespaces
#	(unshare): a loopback of its own where nsd listens on port 53, and
#	a resolv.conf of its own bind-mounted over /etc/resolv.conf.  The
#	machine's resolver and network are not touched.
if [ -z "$MQ_DKIM_NETNS" ]; then
	MQ_DKIM_NETNS=1 exec unshare -mn bash "$0" "$@"
fi
. "$(dirname "$0")/../lib/harness.sh"
. "$REPO/tests/lib/nsd.sh"

PY=/usr/bin/python3
for need in "$NSD" /usr/sbin/opendkim-testmsg; do
	[ -x "$need" ] || { skip "$need is installed" "build.sh installs it"; finish; }
done
"$PY" -c 'import dkim, nacl' 2>/dev/null ||
	{ skip "python3-dkim is installed" "build.sh installs it"; finish; }
ip link set lo up ||
	{ skip "a network namespace" "ip link set lo up failed"; finish; }
echo "nameserver 127.0.0.1" >"$TMP/resolv.conf"
mount --bind "$TMP/resolv.conf" /etc/resolv.conf ||
	{ skip "a mount namespace" "cannot bind-mount resolv.conf"; finish; }
ok "a network and mount namespace of its own"

export MQ_STORE_PATH=$TMP/mq.mdb MQ_DNS_SERVERS=127.0.0.1:53
PORT=53
ZONE=$TMP/nsd/verif.test.zone
mkdir -p "$TMP/nsd" keys

# Keys, and a second key of each type for "another key".
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 \
	-out keys/rsa1024.pem 2>/dev/null
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 2>/dev/null |
	openssl rsa -traditional -out keys/rsa2048.pem 2>/dev/null
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:4096 \
	-out keys/rsa4096.pem 2>/dev/null
openssl genpkey -algorithm ed25519 -out keys/ed25519.pem
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
	-out keys/other-rsa.pem 2>/dev/null
openssl genpkey -algorithm ed25519 -out keys/other-ed25519.pem
check "openssl made the keys" test -s keys/rsa4096.pem -a -s keys/ed25519.pem

# p_of FILE - the p= mq publishes for a key file (through a scratch row)
p_of() {
	local alg=rsa-sha256 id p
	case $1 in *ed25519*) alg=ed25519-sha256 ;; esac
	id=$(MQ_STORE_PATH=$TMP/scratch.mdb $MQ set dkim_keys domain=x \
		selector=x "privatekey=$(cat "$1")" "algorithm=$alg" |
		sed -n 's/.*id=\([0-9]*\).*/\1/p')
	p=$(MQ_STORE_PATH=$TMP/scratch.mdb $MQ dkim-record "$id" --text)
	echo "${p##*p=}"
}

# zone_txt NAME TEXT - a TXT line, TEXT cut in 255-byte strings
zone_txt() {
	printf '%s IN TXT' "$1"
	printf '%s\n' "$2" | fold -w 255 | while IFS= read -r s; do
		printf ' "%s"' "$s"
	done
	echo
}

# variant V TYPE P - the record text of variant V for a key of TYPE
variant() {
	local v=$1 k=$2 p=$3
	case $v in
	std)	echo "v=DKIM1; k=$k; p=$p" ;;
	nov)	echo "k=$k; p=$p" ;;
	order)	echo "v=DKIM1; p=$p; k=$k" ;;
	ty)	echo "v=DKIM1; k=$k; t=y; p=$p" ;;
	hsha1)	echo "v=DKIM1; k=$k; h=sha1; p=$p" ;;
	hsha256) echo "v=DKIM1; k=$k; h=sha256; p=$p" ;;
	hboth)	echo "v=DKIM1; k=$k; h=sha1:sha256; p=$p" ;;
	semail)	echo "v=DKIM1; k=$k; s=email; p=$p" ;;
	stls)	echo "v=DKIM1; k=$k; s=tls; p=$p" ;;
	revoked) echo "v=DKIM1; k=$k; p=" ;;
	nok)	echo "v=DKIM1; p=$p" ;;
	other)	echo "v=DKIM1; k=$k; p=$(p_of "keys/other-$k.pem")" ;;
	*)	echo "v=DKIM1; k=$k; p=$p" ;;	# two, cname: the record as is
	esac
}

VARIANTS="std nov order ty hsha1 hsha256 hboth semail stls revoked nok other two cname"
{
	printf '%s\n' "\$ORIGIN verif.test." "\$TTL 60" \
		"@ IN SOA ns.verif.test. admin.verif.test. 1 3600 600 86400 60" \
		"@ IN NS ns.verif.test." "ns IN A 127.0.0.1"
} >"$ZONE"
: >cases.txt
for key in rsa1024 rsa2048 rsa4096 ed25519; do
	type=rsa alg=rsa-sha256
	[ "$key" = ed25519 ] && type=ed25519 alg=ed25519-sha256
	p=$(p_of "keys/$key.pem")
	vars=$VARIANTS
	if [ "$type" = rsa ]; then
		vars="$vars pkcs1"
	fi
	for v in $vars; do
		sel=$key-$v
		id=$($MQ set dkim_keys domain=verif.test "selector=$sel" \
			"privatekey=$(cat "keys/$key.pem")" "algorithm=$alg" \
			verify=1 | sed -n 's/.*id=\([0-9]*\).*/\1/p')
		echo "$id $sel $key $alg" >>cases.txt
		name=$sel._domainkey
		case $v in
		pkcs1)	pk=$(openssl pkey -in "keys/$key.pem" -pubout \
				-outform DER 2>/dev/null |
				openssl rsa -pubin -inform DER -RSAPublicKey_out \
				-outform DER 2>/dev/null | base64 -w0)
			zone_txt "$name" "v=DKIM1; k=rsa; p=$pk" ;;
		two)	zone_txt "$name" "$(variant std "$type" "$p")"
			zone_txt "$name" "v=spf1 -all" ;;
		cname)	echo "$name IN CNAME $key-std._domainkey" ;;
		*)	zone_txt "$name" "$(variant "$v" "$type" "$p")" ;;
		esac >>"$ZONE"
	done
done
expect_eq "the table has 59 cases" 59 "$(wc -l <cases.txt)"
nsd_start verif.test ||
	{ fail "nsd starts on 127.0.0.1:53" "$(tail -n 5 "$TMP/nsd/nsd.log")"; finish; }
ok "nsd serves the records on 127.0.0.1:53"

$MQ dkim-record --check --threads 4 >check.out 2>check.err
expect_eq "mq judged every key" 59 "$(awk -F'\t' 'NR > 1' check.out | wc -l)"

# Sign each case's message with dkimpy, verify it with dkimpy too.
"$PY" - cases.txt >dkimpy.txt <<'EOF' || fail "dkimpy signs"
import base64, subprocess, sys
import dkim
for line in open(sys.argv[1]):
    kid, sel, key, alg = line.split()
    msg = ("From: a@verif.test\r\nTo: b@example.org\r\nSubject: %s\r\n"
           "Date: Sun, 06 Dec 2026 12:00:00 +0000\r\n"
           "Message-ID: <%s@verif.test>\r\n\r\nhello\r\n" % (sel, sel)).encode()
    pem = open("keys/%s.pem" % key, "rb").read()
    if alg == "ed25519-sha256":
        der = subprocess.run(["openssl", "pkey", "-outform", "DER"], input=pem,
                             capture_output=True, check=True).stdout
        pem = base64.b64encode(der[-32:])
    sig = dkim.sign(msg, sel.encode(), b"verif.test", pem,
                    signature_algorithm=alg.encode(),
                    include_headers=[b"from", b"to", b"subject"])
    open("%s.eml" % sel, "wb").write(sig + msg)
    try:
        ok = dkim.verify(sig + msg)
    except Exception:
        ok = False
    print(sel, "pass" if ok else "fail")
EOF

agree=0
while read -r id sel key alg; do
	status=$(awk -F'\t' -v id="$id" '$1 == id { print $5 }' check.out)
	detail=$(awk -F'\t' -v id="$id" '$1 == id { print $8 }' check.out)
	if /usr/sbin/opendkim-testmsg <"$sel.eml" >"$sel.opendkim" 2>&1; then
		od=pass
	else
		od=fail
	fi
	py=$(awk -v s="$sel" '$1 == s { print $2 }' dkimpy.txt)
	mq=fail
	[ "$status" = verified ] && mq=pass
	echo "# $sel: mq $status ($detail), opendkim $od, dkimpy $py"
	case $sel in
	*-pkcs1)
		check "$sel: mq verifies with a warning, OpenDKIM rejects" \
			test "$mq/$od" = pass/fail
		expect_eq "$sel: the warning names OpenDKIM" 1 \
			"$(printf '%s' "$detail" | grep -c 'OpenDKIM-based receivers reject')"
		;;
	ed25519-nok)
		# RFC 6376: k= defaults to rsa, so an Ed25519 key needs k=.
		# dkimpy refuses; OpenDKIM takes the key type from the
		# signature.  mq takes the reading that no receiver fails.
		check "$sel: mq and dkimpy refuse an Ed25519 key without k=" \
			test "$mq/$py" = fail/fail
		;;
	*)	[ "$mq" = "$od" ] && agree=$((agree + 1)) ||
			fail "$sel: mq's verdict ($status) is OpenDKIM's ($od)" \
				"$(cat "$sel.opendkim")"
		;;
	esac
done <cases.txt
expect_eq "mq agrees with OpenDKIM on the 55 other cases" 55 "$agree"
finish
