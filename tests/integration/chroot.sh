#!/usr/bin/env bash
# chroot - the static binary works in an empty root: no /etc, no /lib.
. "$(dirname "$0")/../lib/harness.sh"

root="$TMP/root"
mkdir -p "$root/data"
cp "$MQ_STATIC" "$root/mq"
expect_eq "the root holds only the binary and a store directory" "data mq" "$(ls "$root" | tr '\n' ' ' | sed 's/ $//')"
CHROOT=$(command -v chroot)
in_root() { env -i MQ_STORE_PATH=/data/mq.mdb "$CHROOT" "$root" /mq "$@"; }
check "set inside the chroot" in_root set capacity localip=192.0.2.1 domain=example.net domain_maxconnections=5
expect_eq "get inside the chroot" "192.0.2.1 example.net 5" \
	"$(in_root get capacity domain=example.net | awk -F'\t' 'NR == 2 { print $3, $4, $7 }')"
check "list-create inside the chroot (random key without /dev)" in_root list-create ml
check "verify inside the chroot" in_root verify
check "the store is in the store directory" test -s "$root/data/mq.mdb"
finish
