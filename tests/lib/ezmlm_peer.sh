# shellcheck shell=bash
# NAME
#	ezmlm_peer.sh - the real ezmlm-idx 7, a peer the ezmlm tests run
# SYNOPSIS
#	. "$REPO/tests/lib/ezmlm_peer.sh"	(after tests/lib/harness.sh)
#	ezmlm_peer_require		a script that is all about the peer
#	ezmlm_peer || skip NAME "$EZ_ABSENT"	one that has other checks
#	"$EZ/bin/ezmlm-sub" ...
# DESCRIPTION
#	The peer is built by ../shared/peers/build-ezmlm-idx.sh (relative
#	to the repository; MQ_EZMLM_PEERS names another directory) into
#	$MQ_BUILD/peers/ezmlm-idx, once: later runs find it built there.
#	Sets PEERS (the build script's directory), EZ (the peer's prefix)
#	and EZ_ABSENT (why a test of the peer did not run).
#
#	ezmlm_peer builds the peer unless it is built; it returns 0 when
#	the peer is there, 1 when the build script is absent, and 2 when
#	the build failed (a failed check naming the build's last lines).
#
#	ezmlm_peer_require does the same for a script that has nothing to
#	check without the peer: without the build script it prints the
#	TAP plan "1..0 # SKIP reason" and exits (not run, counted neither
#	way); after a failed build the script finishes.

PEERS=${MQ_EZMLM_PEERS:-$REPO/../shared/peers}
EZ=$REPO/$MQ_BUILD/peers/ezmlm-idx
EZ_ABSENT="the ezmlm-idx 7 peer is absent ($PEERS/build-ezmlm-idx.sh)"

# ezmlm_peer - the peer built into $EZ, unless it is there already
ezmlm_peer() {
	[ -x "$EZ/bin/ezmlm-sub" ] && return 0
	[ -f "$PEERS/build-ezmlm-idx.sh" ] || return 1
	bash "$PEERS/build-ezmlm-idx.sh" "$EZ" >"$TMP/peer.log" 2>&1 && return 0
	fail "build the ezmlm-idx 7 peer" "$(tail -n 5 "$TMP/peer.log")"
	return 2
}

# ezmlm_peer_require - the peer, or the script ends: not run, or failed
ezmlm_peer_require() {
	ezmlm_peer
	case $? in
	1)	echo "1..0 # SKIP $EZ_ABSENT"
		exit 0 ;;
	2)	finish ;;
	esac
}
