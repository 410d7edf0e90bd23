#!/usr/bin/env bash
# docs - the reference pages agree with the code.
. "$(dirname "$0")/../lib/harness.sh"

"$REPO/tests/lib/tables_doc.sh" "$MQ" > "$TMP/tables.md"
check "docs/tables.md matches the registry (regenerate: tests/lib/tables_doc.sh build/mq > docs/tables.md)" \
	diff -u "$REPO/docs/tables.md" "$TMP/tables.md"
for cmd in $("$MQ" --help | awk '/^commands:/ { on = 1; next } on && NF { print $1 } on && !NF { exit }'); do
	expect_grep "docs/commands.md describes mq $cmd" "^## mq $cmd" "$REPO/docs/commands.md"
done
finish
