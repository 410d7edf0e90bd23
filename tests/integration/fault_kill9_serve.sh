#!/usr/bin/env bash
# fault_kill9_serve - kill -9 at random moments of mq serve under API writes
# (the runs and what is checked after each: tests/lib/fault_kill9.sh)
. "$(dirname "$0")/../lib/harness.sh"
. "$REPO/tests/lib/fault_kill9.sh"

serve_kills
check "the final store verifies" "$M" verify
finish
