#!/usr/bin/env bash
# ezmlm_import - mq import ezmlm / mq export ezmlm: a native ezmlm-idx
# list directory written here (mixed-case, IDN and UTF-8 addresses, a
# forced hash, digest/allow/deny/mod, a Log, a key) imports with the
# right columns; export then import then export gives byte-identical
# files; a truncated or malformed file is named and nothing is imported.
. "$(dirname "$0")/../lib/harness.sh"

export MQ_STORE_PATH="$TMP/mq.mdb"
export LC_ALL=C

# ez_hash STRING - ezmlm-idx's subhashb of STRING's bytes, written here
# from its published definition: h = 5381 in 64 bits, h = (h + (h << 5))
# ^ (unsigned int)(signed char)byte, h % 53.  bash integers are signed
# 64-bit, so the unsigned remainder is taken in two halves.
ez_hash() {
	local h=5381 b
	for b in $(printf '%s' "$1" | od -An -v -tu1); do
		((b >= 128)) && b=$((b | 0xFFFFFF00))
		h=$(((h + (h << 5)) ^ b))
	done
	echo $(((((h >> 1) & 0x7FFFFFFFFFFFFFFF) % 53 * 2 + (h & 1)) % 53))
}

# ez_file ADDRESS - the subscribers/ file name: '@' + hash of "T" + lc.
ez_file() {
	local lc
	lc=$(printf '%s' "$1" | tr 'A-Z' 'a-z')
	printf "\\$(printf %o $((64 + $(ez_hash "T$lc"))))"
}

# ez_sub DIR ADDRESS - append ADDRESS as ezmlm-sub would (domain lower).
ez_sub() {
	local addr=$2 local_part domain
	local_part=${addr%@*}
	domain=$(printf '%s' "${addr##*@}" | tr 'A-Z' 'a-z')
	addr="$local_part@$domain"
	mkdir -p "$1/subscribers"
	printf 'T%s\0' "$addr" >> "$1/subscribers/$(ez_file "$addr")"
}

src=$TMP/team
mkdir -p "$src"
printf 'secret key\n' > "$src/key"
for a in Alice@Example.ORG bob@example.com Carol.Smith@Sub.Example.CO.UK \
	dave@xn--bcher-kva.example "$(printf '\xc3\xa9mile@example.fr')" \
	zed@home EVE@example.org; do
	ez_sub "$src" "$a"
done
# A forced hash (ezmlm-sub -h 7): the record sits in file '@' + 7 = 'G'.
forced=forced@example.net
[ "$(ez_file $forced)" = G ] && forced=forced2@example.net
printf 'T%s\0' "$forced" >> "$src/subscribers/G"
ez_sub "$src/digest" bob@example.com
ez_sub "$src/digest" Frank@Example.com
ez_sub "$src/allow" alias@example.org
ez_sub "$src/deny" spam@bad.example
ez_sub "$src/mod" Mod@Example.org
printf '%s\n' "1700000000 +manual Alice@example.org Alice Example <Alice@Example.ORG>" \
	"1700000100 + bob@example.com" "1700000200 -probe gone@example.net" > "$src/Log"
printf '1700000300 +manual bob@example.com\n' > "$src/digest/Log"

check "import the directory" "$MQ" import ezmlm "$src"
expect_grep "it reports the counts" "list team imported from .*: 8 subscribers, 2 digest, 1 allow, 1 deny, 1 mod; 4 Log lines" "$TMP/last.out"

# Columns: hash = subhash of the lower-cased address (no "T"), domain.
# mq get names the row by its exact address (a variant in case is
# another row).
row() { "$MQ" get "$1" address="$2" | awk -F'\t' 'NR == 2 { print $1, $2, $3 }'; }
hash_of() { ez_hash "$(printf '%s' "$1" | tr 'A-Z' 'a-z')"; }
expect_eq "mixed case: domain lower-cased, local part kept" \
	"$(hash_of Alice@example.org) Alice@example.org org" "$(row team Alice@example.org)"
expect_eq "subdomain: the last label" \
	"$(hash_of Carol.Smith@sub.example.co.uk) Carol.Smith@sub.example.co.uk uk" \
	"$(row team Carol.Smith@sub.example.co.uk)"
e=$(printf '\xc3\xa9mile@example.fr')
expect_eq "bytes >= 0x80" "$(hash_of "$e") $e fr" "$(row team "$e")"
expect_eq "three letters of the last label" "$(hash_of zed@home) zed@home hom" "$(row team zed@home)"
expect_eq "a forced hash stays" "7 $forced net" "$(row team $forced)"
expect_eq "digest" "$(hash_of frank@example.com) Frank@example.com com" "$(row team_digest Frank@example.com)"
expect_eq "mod" "$(hash_of mod@example.org) Mod@example.org org" "$(row team_mod Mod@example.org)"
"$MQ" dump team_slog > "$TMP/slog"
expect_grep "Log line -> slog row with time, fromline, edir, etype" \
	$'^2023-11-14 22:13:20\tAlice@example.org\tAlice Example <Alice@Example.ORG>\t\\+\tm$' "$TMP/slog"
expect_grep "a bare event has etype ' '" $'^2023-11-14 22:15:00\tbob@example.com\t\t\\+\t $' "$TMP/slog"
expect_eq "the slog holds the Log, nothing else" 3 "$(($(wc -l < "$TMP/slog") - 1))"
expect_eq "the key is the list's: ezmlm-idx's cookie" "cbfphbcpldmfnjcheocb" \
	"$("$MQ" cookie team 1 alice@example.org)"

# Export, import the export, export again: byte-identical.
check "export" "$MQ" export ezmlm team "$TMP/out1"
expect_eq "directories 0700, files 0600" "" \
	"$(find "$TMP/out1" \( -type d ! -perm 700 \) -o \( -type f ! -perm 600 \))"
check "the key is the source's" cmp "$src/key" "$TMP/out1/key"
check "the Log is the source's" cmp "$src/Log" "$TMP/out1/Log"
records() { for f in "$1"/subscribers/*; do tr '\0' '\n' < "$f" | sed "s|^|${f##*/} |"; done | sort; }
expect_eq "every record in the same file as the source" "$(records "$src")" "$(records "$TMP/out1")"
expect_eq "digest records too" "$(records "$src/digest")" "$(records "$TMP/out1/digest")"
check "import the export as team2" "$MQ" import ezmlm "$TMP/out1" team2
check "export team2" "$MQ" export ezmlm team2 "$TMP/out2"
check "export, import, export: byte-identical" diff -r "$TMP/out1" "$TMP/out2"
"$MQ" dump team > "$TMP/team.tsv"
"$MQ" dump team2 > "$TMP/team2.tsv"
check "and the same rows" cmp "$TMP/team.tsv" "$TMP/team2.tsv"

# Bad input: named, and nothing imported (mq stat unchanged).
"$MQ" stat > "$TMP/stat1"
bad() { rm -rf "$TMP/bad"; cp -r "$src" "$TMP/bad"; }
bad
f=$(cd "$TMP/bad/subscribers" && ls | head -1)
head -c -1 "$TMP/bad/subscribers/$f" > "$TMP/cut" && cat "$TMP/cut" > "$TMP/bad/subscribers/$f"
expect_status "a truncated subscribers file: exit 65" 65 "$MQ" import ezmlm "$TMP/bad"
expect_grep "it is named" "bad/subscribers/$f: truncated" "$TMP/last.out"
"$MQ" stat > "$TMP/stat2"
check "nothing imported" cmp "$TMP/stat1" "$TMP/stat2"
bad
printf 'Xnot-a-record@example.org\0' >> "$TMP/bad/digest/subscribers/A"
expect_status "a malformed record: exit 65" 65 "$MQ" import ezmlm "$TMP/bad"
expect_grep "it is named with its record" "bad/digest/subscribers/A: record [0-9]+: malformed" "$TMP/last.out"
bad
printf 'Tno-at-sign\0' >> "$TMP/bad/mod/subscribers/B"
expect_status "a record without '@': exit 65" 65 "$MQ" import ezmlm "$TMP/bad"
expect_grep "it is named" "bad/mod/subscribers/B: record 1: malformed" "$TMP/last.out"
bad
printf 'yesterday +manual x@example.org\n' >> "$TMP/bad/Log"
expect_status "a malformed Log line: exit 65" 65 "$MQ" import ezmlm "$TMP/bad"
expect_grep "it is named with its line" "bad/Log:4: malformed" "$TMP/last.out"
bad
printf '1700000400 +manual x@example.org' >> "$TMP/bad/digest/Log"
expect_status "a truncated Log: exit 65" 65 "$MQ" import ezmlm "$TMP/bad"
expect_grep "it is named" "bad/digest/Log:2: truncated" "$TMP/last.out"
"$MQ" stat > "$TMP/stat3"
check "still nothing imported" cmp "$TMP/stat1" "$TMP/stat3"
expect_status "a directory that is not a list: exit 65" 65 "$MQ" import ezmlm "$TMP/out1/digest/subscribers"
expect_status "a missing directory: exit 1" 1 "$MQ" import ezmlm "$TMP/nothere"

# Names and existing targets.
expect_status "an existing list: exit 65" 65 "$MQ" import ezmlm "$src"
expect_grep "it says so" "exists already" "$TMP/last.out"
check "--replace loads over it" "$MQ" import ezmlm "$TMP/out2" team --replace
"$MQ" dump team > "$TMP/team3.tsv"
check "and gives the same rows" cmp "$TMP/team.tsv" "$TMP/team3.tsv"
mkdir -p "$TMP/My-List.2/subscribers"
check "the base name made a list root" "$MQ" import ezmlm "$TMP/My-List.2"
expect_grep "my_list_2" "list my_list_2 imported" "$TMP/last.out"
mkdir -p "$TMP/2019/subscribers"
check "a name starting with a digit" "$MQ" import ezmlm "$TMP/2019/"
expect_grep "list_2019" "list list_2019 imported" "$TMP/last.out"
expect_grep "a directory without key gets a new key" "no key file" "$TMP/last.out"
expect_status "export to an existing directory: exit 65" 65 "$MQ" export ezmlm team "$TMP/out1"
expect_status "export of a missing list: exit 1" 1 "$MQ" export ezmlm nolist "$TMP/out9"
expect_eq "no directory left behind" "" "$(ls -d "$TMP"/out9* 2>/dev/null)"
expect_status "unknown format: usage" 64 "$MQ" import mailman "$src"

# Blocked addresses have no place in a native directory.
check "block an address" "$MQ" set team --hash hash=60 address=blocked@example.org
check "export with a blocked address" "$MQ" export ezmlm team "$TMP/out3"
expect_grep "it is counted as left out" "1 blocked addresses" "$TMP/last.out"
expect_eq "and not written" "" "$(grep -rl blocked@ "$TMP/out3/subscribers")"
for c in import export; do
	"$MQ" "$c" --help > "$TMP/help"
	expect_grep "$c --help" "^usage: mq $c" "$TMP/help"
done
finish
