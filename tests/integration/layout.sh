#!/usr/bin/env bash
# NAME
#	layout.sh - the rooms of the source tree keep to their rules
# DESCRIPTION
#	docs/architecture.md says who may include whom.  This test reads
#	every #include and every string literal of the C sources and
#	checks those rules, so a shortcut across rooms fails the suite:
#	- mq/cli/ and mq/http/ never include each other; mq/ops/ includes
#	  neither of them nor mq/serve/; mq/http/ does not include
#	  mq/serve/ (serve starts http, so that would be a circle);
#	- store/ includes only its own headers and the libraries it may
#	  use (libc, lmdb, pcre2, libsodium): no SQL, HTTP or socket header;
#	- sql-compat/ knows nothing of HTTP or of mq/; import/ nothing of
#	  SQL or of mq/;
#	- exit statuses only in mq/cli/ (and main); no SQL statement
#	  outside sql-compat/.
. "$(dirname "$0")/../lib/harness.sh"

cd "$REPO" || exit 1

# includes DIR PATTERN - the #include lines of DIR's sources matching
#	the extended regex PATTERN, as "file:line: text"
includes() {
	grep -nE "^[[:space:]]*#[[:space:]]*include[[:space:]]*[<\"]($2)" \
		"$1"/*.c "$1"/*.h 2>/dev/null
}

# none NAME OUTPUT - ok when OUTPUT is empty, else fail showing it
none() {
	if [ -z "$2" ]; then
		ok "$1"
	else
		local lines
		mapfile -t lines <<< "$2"
		fail "$1" "${lines[@]}"
	fi
}

none "mq/http/ includes nothing of mq/cli/ or mq/serve/" \
	"$(includes mq/http 'mq/cli/|mq/serve/')"
none "mq/cli/ includes nothing of mq/http/" "$(includes mq/cli 'mq/http/')"
none "mq/ops/ includes nothing of mq/cli/, mq/http/ or mq/serve/" \
	"$(includes mq/ops 'mq/cli/|mq/http/|mq/serve/')"
none "mq/serve/ includes nothing of mq/cli/" "$(includes mq/serve 'mq/cli/')"

store_ok='store/[a-z_]+\.h|arpa/inet\.h|dirent\.h|ftw\.h|lmdb\.h|pcre2\.h|sodium\.h|(assert|ctype|errno|fcntl|fnmatch|inttypes|limits|malloc|poll|pthread|sched|setjmp|signal|stdarg|stdatomic|stdbool|stddef|stdint|stdio|stdlib|string|strings|time|unistd)\.h|sys/(inotify|mman|resource|stat|statvfs|types|wait)\.h'
none "store/ includes only its own headers, libc, lmdb, pcre2 and libsodium" \
	"$(includes store '' | grep -vE "[<\"]($store_ok)[>\"]")"
none "sql-compat/ includes nothing of mq/, import/, replicate/ or HTTP" \
	"$(includes sql-compat 'mq/|import/|replicate/|event2/|jansson')"
none "import/ includes nothing of mq/ or sql-compat/" \
	"$(includes import 'mq/|sql-compat/|replicate/')"

none "exit statuses are made only in mq/cli/ and mq/main.c" \
	"$(grep -rnE '\<(EXIT_(NOTFOUND|USAGE|DATAERR|SOFTWARE|TEMPFAIL)|SQL_EXIT_[A-Z]+)\>' \
		--include='*.c' --include='*.h' store sql-compat import replicate mq |
		grep -vE '^mq/(cli/|main\.c)')"

# A statement is a string literal that begins with one; comment lines
# (which name statements in their prose) are not code.
sql='"(SELECT [^"]* FROM|INSERT (OR [A-Z]+ )?INTO|INSERT IGNORE|DELETE FROM|CREATE (TABLE|INDEX)|ALTER TABLE|DROP TABLE|UPDATE [a-z_" ]+ SET)'
none "no SQL statement outside sql-compat/" \
	"$(grep -rnE "$sql" --include='*.c' --include='*.h' store import mq replicate |
		grep -vE '^[^:]+:[0-9]+:[[:space:]]*(/?\*)')"

finish
