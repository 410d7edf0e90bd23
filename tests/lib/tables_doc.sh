#!/usr/bin/env bash
# NAME
#	tables_doc.sh - write docs/tables.md from the table registry
# SYNOPSIS
#	tests/lib/tables_doc.sh MQ_BINARY > docs/tables.md
# DESCRIPTION
#	Runs "mq tables" on a scratch store holding one list named "list"
#	and renders every table's columns.  tests/integration/docs.sh runs
#	it and compares the result with docs/tables.md.
set -eu
mq=$1
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
export MQ_STORE_PATH="$scratch/mq.mdb"
"$mq" list-create list > /dev/null

about() { "$mq" tables | awk -v t="$1" '$1 == t { $1 = ""; sub(/^ /, ""); print }'; }
section() { # TITLE TABLE
	printf '\n### %s\n\n%s\n\n```\n' "$1" "$(about "$2")"
	"$mq" tables "$2"
	printf '```\n'
}

cat <<'HEAD'
# Tables

Generated from the table registry (`store/registry.c`) by
`tests/lib/tables_doc.sh build/mq > docs/tables.md`; `tests/integration/docs.sh`
checks that this page and the registry agree.

Types: `int` is a 64-bit signed integer; `text` is bytes without NUL (UTF-8 by
convention), at most `max` characters when `max` is 255 or less (SQL's
`VARCHAR(max)` counts characters) and `max` bytes above; `time` is UTC text `YYYY-MM-DD HH:MM:SS` with
an optional fraction of up to 6 digits, naming a real moment: year 0001-9999,
month 01-12, a day the month has (February 29 in leap years only), hour 00-23,
minute and second 00-59 (no leap second `:60`, which MySQL and MariaDB refuse).
One check (`store/table.c`) applies it to every write: `mq set`, `mq set T -`,
the HTTP API and a sync from SQL (`2026-13-45 99:99:99` or MySQL's zero date
`0000-00-00 00:00:00` fails a sync naming its row). Key `auto` is an auto-increment id,
allocated when left out and never reused. A default `now` is the time of the
insert.

NULL, 0 and '' are kept apart in the store, as in SQL; MailerQ's convention
that NULL and 0 mean the same belongs to the lookups, not to the store.

## MailerQ tables
HEAD
for t in $("$mq" tables | awk '$1 !~ /^list/ { print $1 }'); do
	section "$t" "$t"
done
cat <<'REST'

### The tables of MailerQ's REST resources

The seed's database has no tables for MailerQ 5's suppression list and IP
pools; mq keeps them in `suppressions`, `pools` and `pool_ips`, whose column
names are mq's (MailerQ publishes only its REST fields), mirrored to SQL like
every other table. The resources (`/v1/pauses`, `/v1/errors`,
`/v1/suppressions`, `/v1/pools`, `/v1/poolips`, [http.md](http.md)) write
these rows:

| resource field | table.column |
|---|---|
| pauses `mta` / `pool` | `paused.localip` (the IP, or `pool:NAME`) |
| pauses `domain` / `ip` | `paused.target` |
| pauses `tag`, `expire` | `paused.tag`, `paused.expire` |
| errors `mta` / `pool`, `domain` / `ip` | `errors.localip`, `errors.domain` (the domain or the remote IP) |
| errors `tag`, `code`, `extended`, `description`, `expire` | the `errors` columns of those names |
| suppressions `address` / `domain` | `suppressions.address`, `suppressions.domain` (one of them) |
| suppressions `code`, `extended`, `description`, `expire` | the `suppressions` columns of those names |
| pools `name`, `description` | `pools.name`, `pools.description` |
| poolips `name`, `localip` (or `ip`) | `pool_ips.name`, `pool_ips.localip` |

A `paused` or `errors` row whose `localip` is `pool:NAME` applies to each
local IP listed for pool NAME in `pool_ips`. In `paused`, `errors`,
`delegates` and `capacity_rules.localip`, `*` means any, as an empty column
does.
REST
cat <<'MID'

## Mailing list tables

Each list root T (created with `mq list-create T`) has the tables below, shown
for the root `list`, ezmlm-idx's default. Their columns are ezmlm-idx 7's, plus
the 3-letter `domain` of the address tables and the `_name` sublist split
tables of the ezmlm-idx SQL documentation. Address keys compare
ASCII-case-insensitively: `Alice@X` and `alice@x` are one subscriber. The
`_slog` tables have no key in SQL; the store keys their rows by an internal row
number.

Every write of an address table (T, T_digest, T_allow, T_deny, T_mod), by
`mq set`, the API or a load from SQL, keeps what ezmlm's readers rely on: a
`hash` from 0 to 99 (an int, as ezmlm-idx's SQL has it) and an `address`
without control bytes (a newline would print as two recipients); a row that
breaks either is refused naming the table and column (`ml.hash: 4096 is not
a hash (0..99)`), and `mq verify` reports such a row in a store.
MID
for t in $("$mq" tables | awk '$1 ~ /^list/ { print $1 }'); do
	section "T${t#list}" "$t"
done
