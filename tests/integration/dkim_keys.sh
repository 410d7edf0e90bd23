#!/usr/bin/env bash
# NAME
#	dkim_keys.sh - what a dkim_keys row may hold, and who shows a private key
# DESCRIPTION
#	With keys made here by openssl: mq set refuses a key that does not
#	fit its algorithm (an Ed25519 key with rsa-sha256, given or by
#	default; an RSA key with ed25519-sha256), an unknown algorithm, an
#	encrypted key, a 512-bit RSA key and text that is no key, with exit
#	65 and a message that quotes no key, in one row and in a TSV batch
#	(nothing of the batch written); an update changing only the
#	algorithm is checked against the stored key.  Accepted keys are
#	used by dkim().  mq get shows the private key only with --secrets;
#	mq dump shows it and loads back unchanged.  dkim-record --text
#	prints the record as BIND's zone files take it.
. "$(dirname "$0")/../lib/harness.sh"

export MQ_STORE_PATH=$TMP/mq.mdb

openssl genpkey -algorithm ed25519 -out ed.pem
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
	-out rsa.pem 2>/dev/null
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:4096 \
	-out rsa4096.pem 2>/dev/null
openssl genrsa -traditional -out weak.pem 512 2>/dev/null
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
	-aes256 -pass pass:secret -out enc.pem 2>/dev/null
check "openssl made the keys" test -s ed.pem -a -s rsa.pem -a -s weak.pem \
	-a -s enc.pem -a -s rsa4096.pem

# refused NAME WHY KEYFILE [col=val...] - mq set refuses it with WHY
refused() {
	local name=$1 why=$2 file=$3
	shift 3
	expect_status "mq set refuses $name (65)" 65 $MQ set dkim_keys \
		domain=example.test selector=s1 "privatekey=$(cat "$file")" "$@"
	expect_grep "saying why" "^mq: dkim_keys: $why" "$TMP/last.out"
	expect_no_grep "quoting no key" "BEGIN|MII|MC4" "$TMP/last.out"
}

refused "an Ed25519 key with rsa-sha256" \
	"an Ed25519 key does not fit algorithm rsa-sha256" ed.pem \
	algorithm=rsa-sha256
refused "an Ed25519 key with the default algorithm" \
	"an Ed25519 key does not fit algorithm rsa-sha256 \(the default\)" ed.pem
refused "an RSA key with ed25519-sha256" \
	"an RSA key does not fit algorithm ed25519-sha256" rsa.pem \
	algorithm=ed25519-sha256
refused "an unknown algorithm" \
	"algorithm 'foo-bar' is neither rsa-sha256 nor ed25519-sha256" rsa.pem \
	algorithm=foo-bar
refused "an encrypted key" "the private key is encrypted" enc.pem
refused "a 512-bit RSA key" "an RSA key of 512 bits" weak.pem
printf 'not a key\n' >junk.pem
refused "text that is no key" "not a PEM private key" junk.pem
expect_eq "nothing was written" "" "$($MQ dump dkim_keys | sed 1d)"

ED=$($MQ set dkim_keys domain=example.test selector=ed1 \
	"privatekey=$(cat ed.pem)" algorithm=ed25519-sha256 |
	sed -n 's/.*id=\([0-9]*\).*/\1/p')
RSA=$($MQ set dkim_keys domain=example.test selector=rsa1 \
	"privatekey=$(cat rsa.pem)" | sed -n 's/.*id=\([0-9]*\).*/\1/p')
BIG=$($MQ set dkim_keys domain=example.test selector=big1 \
	"privatekey=$(cat rsa4096.pem)" algorithm=RSA-SHA256 |
	sed -n 's/.*id=\([0-9]*\).*/\1/p')
expect_eq "keys that fit are stored" "1 2 3" "$ED $RSA $BIG"
expect_status "an update of the algorithm alone is checked against the stored key" \
	65 $MQ set dkim_keys "id=$ED" algorithm=rsa-sha256
expect_grep "saying why" "an Ed25519 key does not fit algorithm rsa-sha256" \
	"$TMP/last.out"
check "an update that fits passes" $MQ set dkim_keys "id=$ED" \
	algorithm=ED25519-SHA256 priority=5

# A TSV batch with one bad row writes nothing and names the row.
pem=$(awk '{ printf "%s\\n", $0 }' ed.pem)
printf 'domain\tselector\tprivatekey\talgorithm\nexample.test\tb1\t%s\ted25519-sha256\nexample.test\tb2\t%s\trsa-sha256\n' \
	"$pem" "$pem" >batch.tsv
expect_status "mq set - with a mismatched row exits 65" 65 \
	sh -c "$MQ set dkim_keys - <batch.tsv"
expect_grep "naming the row" "row 2: dkim_keys: an Ed25519 key does not fit" \
	"$TMP/last.out"
expect_eq "and writes no row of the batch" "" \
	"$($MQ get dkim_keys selector=b1 2>/dev/null | sed 1d)"
expect_status "with --batch 1 too" 65 \
	sh -c "$MQ set dkim_keys - --batch 1 <batch.tsv"
expect_grep "naming the rows" "dkim_keys: nothing written: in rows 2-2: dkim_keys: an Ed25519 key does not fit" \
	"$TMP/last.out"
expect_eq "and the first batch is not written either" "" \
	"$($MQ get dkim_keys selector=b1 2>/dev/null | sed 1d)"

for id in "$ED" "$RSA" "$BIG"; do
	$MQ set dkim_patterns "dkim_key=$id" type=substr sign=@example.test >/dev/null
done
expect_eq "dkim() gives the keys that fit (verify off)" "$RSA $BIG $ED" \
	"$($MQ lookup dkim a@example.test | awk -F'\t' 'NR > 1 { print $1 }' |
	tr '\n' ' ' | sed 's/ $//')"

# Who shows a private key.
$MQ get dkim_keys "id=$ED" >get.out 2>&1
expect_no_grep "mq get hides the private key" "BEGIN|MC4" get.out
expect_grep "and says how to see it" "\(hidden: mq get --secrets shows it\)" get.out
$MQ get dkim_keys --json >get.json 2>&1
expect_no_grep "mq get --json hides it too" "BEGIN|MC4" get.json
$MQ get dkim_keys --secrets "id=$ED" >secrets.out 2>&1
expect_grep "mq get --secrets shows it" "BEGIN PRIVATE KEY" secrets.out
$MQ dump dkim_keys >dump.tsv
expect_grep "mq dump shows it (lossless)" "BEGIN PRIVATE KEY" dump.tsv
export MQ_STORE_PATH=$TMP/copy.mdb
check "the dump loads into another store" sh -c "$MQ set dkim_keys - <dump.tsv >/dev/null"
expect_eq "unchanged" "$(cat dump.tsv)" "$($MQ dump dkim_keys)"
export MQ_STORE_PATH=$TMP/mq.mdb

# The record of a 4096-bit key (over 700 bytes): the zone line splits
# it into strings of 255 bytes at most that the zone checker takes;
# --text prints the text alone, unquoted, for a DNS provider's form.
$MQ dkim-record "$BIG" --text >text.out
$MQ dkim-record "$BIG" >line.out
expect_grep "--text is the record alone, unquoted" '^v=DKIM1; k=rsa; p=[^" ]+$' \
	text.out
check "the zone line's strings are at most 255 bytes" sh -c \
	"grep -o '\"[^\"]*\"' line.out | awk 'length(\$0) > 257 { bad = 1 } END { exit bad }'"
expect_eq "and join to the --text record" "$(cat text.out)" \
	"$(grep -o '"[^"]*"' line.out | tr -d '"\n')"
{ printf '$ORIGIN example.test.\n$TTL 60\n@ IN SOA ns admin 1 3600 600 86400 60\n@ IN NS ns\nns IN A 127.0.0.1\n'
  cat line.out; } >check.zone
CHECKZONE=$(command -v nsd-checkzone || echo /usr/sbin/nsd-checkzone)
check "nsd-checkzone accepts the zone line" "$CHECKZONE" example.test check.zone
finish
