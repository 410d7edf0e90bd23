#!/usr/bin/env bash
# NAME
#	build.sh - install what mq needs, build it, run it, test it
# SYNOPSIS
#	./build.sh [deps | build | run [ARGS...] | test [REGEX] | bench |
#		    fuzz [TARGET|all SECONDS [FLAGS...]] | deb [OUTDIR] | clean]
# DESCRIPTION
#	deps   install the Debian packages mq builds and tests with (only
#	       when one is missing: one apt-get update, one install);
#	       deps --build-only: only those the build needs;
#	       deps --fuzz: those and clang's libFuzzer
#	build  deps, then make -j2: build/mq (static release),
#	       build/libmq.a, build/asan/ (sanitized mq and unit tests)
#	       and build/valgrind/mq (the default)
#	run    build, then exec build/mq serve ARGS; the store defaults
#	       to ./var/mq.mdb (store-path), ./var is created 0700
#	       (MQ_RUN_DIR=DIR: DIR instead).  Without an operator's
#	       www-token a random one is made on the first start, kept
#	       in var/www-token (0600) and printed as a console link.
#	test   deps, build, the fuzz targets, then tests/run.sh [REGEX]
#	       (tests/integration/fuzz_smoke.sh runs each target briefly)
#	bench  build, build/bench/*, then bench/run.sh
#	fuzz   deps --fuzz, then make fuzz: build/fuzz/NAME for each
#	       fuzz target tests/fuzz/NAME.c; with TARGET SECONDS, run
#	       that target for SECONDS (tests/fuzz/run.sh: new inputs
#	       under build/fuzz/work, not in the tree; FLAGS go to
#	       libFuzzer); with all SECONDS, run every target in turn
#	       and fail if any crashed.  tests/README.md says more.
#	deb    deps, make release extras, then packaging/deb.sh: the
#	       Debian packages mq and libmq-dev (dpkg-deb) in build/deb
#	       or OUTDIR
#	clean  remove build/
#
#	JOBS=N overrides the parallelism of make.

set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"

JOBS=${JOBS:-2}

# What the build and its static link need.
BUILD_PACKAGES=(
	gcc make libc6-dev pkg-config file ca-certificates
	liblmdb-dev libssl-dev libsodium-dev libsqlite3-dev
	libpq-dev postgresql-server-dev-15 libmariadb-dev
	libevent-dev libjansson-dev libpcre2-dev libc-ares-dev zlib1g-dev
)
# What the tests and benchmarks run: the real servers and peers.
TEST_PACKAGES=(
	sqlite3 postgresql-15 postgresql-client-15 mariadb-server
	mariadb-client util-linux procps iproute2 coreutils valgrind nsd
	wrk nginx-light chromium nodejs curl python3 opendkim-tools python3-dkim
	python3-nacl jq zsh lintian dpkg-dev systemd strace
	libmariadb-dev-compat	# the ezmlm-idx 7 peer's MySQL plugin
)
# What the fuzz targets need: clang and its libFuzzer runtime.
FUZZ_PACKAGES=(clang libclang-rt-14-dev)
PACKAGES=("${BUILD_PACKAGES[@]}" "${TEST_PACKAGES[@]}" "${FUZZ_PACKAGES[@]}")

# missing_packages - the PACKAGES not installed, one per line
missing_packages() {
	local p
	for p in "${PACKAGES[@]}"; do
		if [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" \
			!= "install ok installed" ]; then
			echo "$p"
		fi
	done
}

deps() {
	local missing sudo=
	case ${1:-} in
	# what a build needs, not the test servers (Dockerfile)
	--build-only) PACKAGES=("${BUILD_PACKAGES[@]}") ;;
	--fuzz) PACKAGES=("${BUILD_PACKAGES[@]}" "${FUZZ_PACKAGES[@]}") ;;
	esac
	missing=$(missing_packages)
	[ -z "$missing" ] && return 0
	[ "$(id -u)" = 0 ] || sudo=sudo
	echo "build.sh: installing: ${missing//$'\n'/ }" >&2
	$sudo apt-get update -q
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q \
		--no-install-recommends $missing
}

build() {
	deps
	make -j"$JOBS" all
}

# config_args ARGS... - the --config FILE of mq serve's ARGS, one a line
config_args() {
	while [ $# -gt 0 ]; do
		case $1 in
		--config) [ $# -gt 1 ] && printf '%s\n%s\n' "$1" "$2"; shift ;;
		--config=*) printf '%s\n' "$1" ;;
		esac
		shift
	done
}

# run_token RUNDIR ARGS... - make sure writes have a token: the operator's
# www-token (config file or MQ_WWW_TOKEN) wins; otherwise a random one,
# made on the first start and kept in RUNDIR/www-token (mode 0600), is
# exported as MQ_WWW_TOKEN.  Prints where the console is and how to write.
run_token() {
	local dir=$1 file=$1/www-token url conf
	shift
	mapfile -t conf < <(config_args "$@")
	url="http://$(build/mq "${conf[@]}" config | sed -n 's/^www-ip: //p'):$(
		build/mq "${conf[@]}" config | sed -n 's/^www-port: //p')"
	if build/mq "${conf[@]}" config | grep -q '^www-token: \*\*\*'; then
		echo "build.sh: console at $url/ (writes take the www-token you configured)" >&2
		return 0
	fi
	if [ ! -s "$file" ]; then
		(umask 077 && head -c 24 /dev/urandom | base64 | tr '+/' '-_' >"$file")
	fi
	MQ_WWW_TOKEN=$(cat "$file")
	export MQ_WWW_TOKEN
	cat >&2 <<-EOT
	build.sh: console at $url/#token=$MQ_WWW_TOKEN
	build.sh: that link gives the console this run's write token; the token
	build.sh: is kept in $file (mode 0600).  From a shell:
	build.sh:   curl -H "Authorization: Bearer \$(cat $file)" $url/v1/tables/locals ...
	build.sh: Set www-token in the config file to choose your own.
	EOT
}

run() {
	local dir=${MQ_RUN_DIR:-var}
	build
	# The store's default path is ./var/mq.mdb (config store-path);
	# MQ_RUN_DIR moves it and the token elsewhere.
	mkdir -p "$dir"
	chmod 0700 "$dir"
	[ "$dir" = var ] || export MQ_STORE_PATH=${MQ_STORE_PATH:-$dir/mq.mdb}
	run_token "$dir" "$@"
	exec build/mq serve "$@"
}

test_() {
	build
	make -j"$JOBS" fuzz
	exec tests/run.sh "$@"
}

bench() {
	build
	make -j"$JOBS" bench
	exec bench/run.sh "$@"
}

# fuzz_targets - the names of the fuzz targets, one per line
fuzz_targets() {
	local f
	for f in tests/fuzz/*.c; do
		f=$(basename "$f" .c)
		[ "$f" = fuzz_util ] || echo "$f"
	done
}

fuzz() {
	local t failed=0
	deps --fuzz
	make -j"$JOBS" fuzz
	[ $# = 0 ] && return 0
	if [ $# -lt 2 ]; then
		echo "usage: ./build.sh fuzz [TARGET|all SECONDS [FLAGS...]]" >&2
		exit 64
	fi
	[ "$1" != all ] && exec tests/fuzz/run.sh "$@"
	shift
	for t in $(fuzz_targets); do
		tests/fuzz/run.sh "$t" "$@" || failed=1
	done
	return "$failed"
}

deb() {
	deps
	make -j"$JOBS" release extras
	packaging/deb.sh "$@"
}

clean() {
	make clean
}

cmd=${1:-build}
[ $# -gt 0 ] && shift
case $cmd in
deps | build | run | bench | fuzz | deb | clean) "$cmd" "$@" ;;
test) test_ "$@" ;;
*)
	echo "usage: ./build.sh [deps [--build-only|--fuzz] | build | run [ARGS...] | test [REGEX] | bench | fuzz [TARGET|all SECONDS [FLAGS...]] | deb [OUTDIR] | clean]" >&2
	exit 64
	;;
esac
