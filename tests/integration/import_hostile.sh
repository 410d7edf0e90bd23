#!/usr/bin/env bash
# import_hostile - mq import ezmlm reads regular files and directories
# only: a symbolic link (key -> a file outside the list), a FIFO (which a
# plain open would wait on forever), a device node (as root), a Unix
# socket and a symlinked subdirectory are each refused with exit 65 and
# a message naming the file, and nothing of the list is imported.  Every
# import runs under timeout(1), so a regression that blocks on the FIFO
# fails here instead of hanging the suite.
. "$(dirname "$0")/../lib/harness.sh"

export MQ_STORE_PATH="$TMP/mq.mdb"
export LC_ALL=C

# fresh DIR - a small valid list directory: a key, one subscriber, a Log
fresh() {
	rm -rf "$1"
	mkdir -p "$1/subscribers" "$1/digest/subscribers"
	printf 'list key\n' > "$1/key"
	# 'T' + alice@example.org hashes to file 'c' (ezmlm_import.sh's ez_file)
	printf 'Talice@example.org\0' > "$1/subscribers/c"
	printf '1700000000 +manual alice@example.org\n' > "$1/Log"
}

# refused NAME REGEX - the import of $TMP/team exits 65 within 20 s,
# names the file (REGEX), and the store has no list team afterwards.
refused() {
	expect_status "$1: exit 65" 65 timeout 20 "$MQ" import ezmlm "$TMP/team"
	expect_grep "$1: the message names the file" "$2" "$TMP/last.out"
	expect_status "$1: nothing imported (no list team)" 65 "$MQ" get team
}

fresh "$TMP/team"
check "a valid directory imports" "$MQ" import ezmlm "$TMP/team" hostile_ok
expect_eq "its key is the key file's" "list key" "$("$MQ" export ezmlm hostile_ok "$TMP/out" >/dev/null && head -n 1 "$TMP/out/key")"

# key -> a file outside the list: read through, it became the list's key
# and went back out in an export.
printf 'not a key: a private file\n' > "$TMP/private"
fresh "$TMP/team"
rm "$TMP/team/key"
ln -s "$TMP/private" "$TMP/team/key"
refused "key is a symbolic link" "team/key: a symbolic link: refused"

fresh "$TMP/team"
rm "$TMP/team/Log"
ln -s "$TMP/private" "$TMP/team/Log"
refused "Log is a symbolic link" "team/Log: a symbolic link: refused"

fresh "$TMP/team"
printf 'Tbob@example.org\0' > "$TMP/elsewhere"
ln -s "$TMP/elsewhere" "$TMP/team/subscribers/A"
refused "a subscribers file is a symbolic link" "team/subscribers/A: a symbolic link: refused"

# A FIFO nobody writes to: open(2) without O_NONBLOCK waits for a writer.
fresh "$TMP/team"
mkfifo "$TMP/team/subscribers/B"
refused "a FIFO in subscribers/" "team/subscribers/B: a FIFO: refused"

fresh "$TMP/team"
rm "$TMP/team/key"
mkfifo "$TMP/team/key"
refused "key is a FIFO" "team/key: a FIFO: refused"

fresh "$TMP/team"
mkfifo "$TMP/team/digest/Log"
refused "digest/Log is a FIFO" "team/digest/Log: a FIFO: refused"

# A device node needs root; a Unix socket (perl-base makes one) does not.
fresh "$TMP/team"
if mknod "$TMP/team/subscribers/D" c 1 3 2>/dev/null; then
	refused "a device node (as root) in subscribers/" "team/subscribers/D: a device: refused"
else
	echo "# mknod is not permitted here: no device node test"
fi
fresh "$TMP/team"
perl -MIO::Socket::UNIX -e 'IO::Socket::UNIX->new(Type => SOCK_STREAM(),
	Local => $ARGV[0], Listen => 1) or die "$!\n"' "$TMP/team/subscribers/S"
refused "a Unix socket in subscribers/" "team/subscribers/S: a socket: refused"

# A subdirectory that is a link to another list's directory.
fresh "$TMP/other"
fresh "$TMP/team"
rm -rf "$TMP/team/digest"
ln -s "$TMP/other" "$TMP/team/digest"
refused "digest/ is a symbolic link" "team/digest: a symbolic link: refused"

fresh "$TMP/team"
rm -rf "$TMP/team/subscribers"
ln -s "$TMP/other/subscribers" "$TMP/team/subscribers"
refused "subscribers/ is a symbolic link" "team/subscribers: a symbolic link: refused"

# All or nothing with --replace too: the list imported before stays whole.
fresh "$TMP/team"
check "import team" "$MQ" import ezmlm "$TMP/team"
mkfifo "$TMP/team/allow/subscribers/E" 2>/dev/null ||
	{ mkdir -p "$TMP/team/allow/subscribers" && mkfifo "$TMP/team/allow/subscribers/E"; }
printf 'Tcarol@example.org\0' >> "$TMP/team/subscribers/c"
expect_status "--replace with a FIFO: exit 65" 65 timeout 20 "$MQ" import ezmlm "$TMP/team" --replace
expect_grep "--replace with a FIFO: named" "team/allow/subscribers/E: a FIFO: refused" "$TMP/last.out"
expect_eq "--replace refused: the list is as it was" "alice@example.org" \
	"$("$MQ" dump team | awk -F'\t' 'NR > 1 { print $2 }')"

# With SQL authoritative the directory is read into a scratch store first:
# a refused file leaves SQL without the list too.
fresh "$TMP/team"
rm "$TMP/team/key"
ln -s "$TMP/private" "$TMP/team/key"
export MQ_DATABASE_ADDRESS="sqlite://$TMP/db.sqlite"
check "SQL authoritative: repair-database" "$MQ" repair-database
expect_status "SQL authoritative: a symbolic link key: exit 65" 65 \
	timeout 20 "$MQ" import ezmlm "$TMP/team" sqlteam
expect_grep "SQL authoritative: the message names the file" "team/key: a symbolic link: refused" "$TMP/last.out"
expect_eq "SQL authoritative: SQL has no table of the list" 0 \
	"$(sqlite3 "$TMP/db.sqlite" "SELECT count(*) FROM sqlite_master WHERE name LIKE 'sqlteam%'")"
unset MQ_DATABASE_ADDRESS

finish
