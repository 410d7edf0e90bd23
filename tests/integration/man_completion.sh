#!/usr/bin/env bash
# NAME
#	man_completion.sh - mq(1), mq.conf(5), the packaged mq.conf and the
#	bash and zsh completion, generated from the binary
# DESCRIPTION
#	docs/man/gen.sh writes each from mq's own texts.  The man pages
#	render without a warning (groff -ww, man --warnings) and hold
#	every command's usage and every config key; the commented config
#	file parses and changes nothing but store-path; the completion
#	scripts parse (bash -n, zsh -n) and bash completes command names,
#	a command's options and table names.

. "$(dirname "$0")/../lib/harness.sh"

gen=$REPO/docs/man/gen.sh
for what in man1 man5 conf bash zsh; do
	check "gen.sh $what" sh -c '"$1" "$2" "$3" > "$2.out"' _ "$gen" "$what" "$MQ"
done

for page in man1 man5; do
	groff -ww -man -z "$page.out" 2>"$page.groff"
	check "$page: groff -ww prints no warning" test ! -s "$page.groff"
	MANWIDTH=80 man --warnings -l "$page.out" >"$page.txt" 2>"$page.warn"
	check "$page: man --warnings prints no warning" test ! -s "$page.warn"
done
expect_grep "mq(1) is rendered" '^NAME' man1.txt

commands=$("$MQ" --help | awk '/^commands:/ { on = 1; next }
	on && NF { print $1 } on && !NF { exit }')
missing=
for c in $commands; do
	usage=$("$MQ" "$c" --help | head -1)
	grep -qF -- "$usage" man1.txt || missing="$missing $c"
done
expect_eq "mq(1) holds every command's usage line" "" "$missing"
missing=
for k in $("$MQ" config | sed -n 's/^\([a-z-]*\):.*/\1/p'); do
	grep -q "^       $k (MQ_" man5.txt || missing="$missing $k"
done
expect_eq "mq.conf(5) describes every key" "" "$missing"

check "the packaged mq.conf parses" "$MQ" --config conf.out config
"$MQ" --config conf.out config | sed 1d >conf.effective
"$MQ" --config /dev/null config | sed 1d >conf.defaults
expect_eq "it changes store-path only" \
	"store-path: /var/lib/mq/mq.mdb" \
	"$(diff conf.defaults conf.effective | sed -n 's/^> //p')"

check "bash completion parses (bash -n)" bash -n bash.out
if command -v zsh >/dev/null; then
	check "zsh completion parses (zsh -n)" zsh -n zsh.out
else
	skip "zsh completion parses (zsh -n)" "zsh is not installed"
fi

# complete WORDS... - what the bash completion offers for the last word
complete_words() {
	bash -c '. ./bash.out; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		_mq; printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " "' _ "$@"
}
expect_eq "complete -p registers _mq for mq" "complete -F _mq mq" \
	"$(bash -c '. ./bash.out; complete -p mq')"
expect_eq "mq lis<TAB>: the list commands" "list list-create list-drop " \
	"$(complete_words mq lis)"
expect_eq "mq --config f lo<TAB>: after --config FILE too" "log lookup " \
	"$(complete_words mq --config f lo)"
expect_eq "mq get --j<TAB>: get's --json" "--json " \
	"$(complete_words mq get --j)"
expect_eq "mq dump dkim_<TAB>: table names" "dkim_keys dkim_patterns " \
	"$(complete_words mq dump dkim_)"
finish
