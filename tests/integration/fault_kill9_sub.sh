#!/usr/bin/env bash
# fault_kill9_sub - kill -9 at random moments of mq sub T - and mq unsub T -
# (the runs and what is checked after each: tests/lib/fault_kill9.sh)
. "$(dirname "$0")/../lib/harness.sh"
. "$REPO/tests/lib/fault_kill9.sh"

sub_kills
check "the final store verifies" "$M" verify
finish
