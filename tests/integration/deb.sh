#!/usr/bin/env bash
# NAME
#	deb.sh - ./build.sh deb: the mq and libmq-dev Debian packages
# DESCRIPTION
#	Builds both packages, checks them with lintian (no error; the
#	static binary's tags are overridden by the package, saying why),
#	unpacks them into a throwaway root (dpkg -x) and runs mq from
#	there, checks the conffile, the unit (systemd-analyze verify in
#	that root) and the maintainer scripts, and compiles and runs
#	examples/lookup.c against the unpacked libmq-dev with pkg-config.

. "$(dirname "$0")/../lib/harness.sh"

out=$TMP/out
check "./build.sh deb builds the packages" "$REPO/build.sh" deb "$out"
ver=$(cat "$REPO/VERSION")-1
arch=$(dpkg --print-architecture)
mq_deb=$out/mq_${ver}_$arch.deb
dev_deb=$out/libmq-dev_${ver}_$arch.deb
check "mq_${ver}_$arch.deb exists" test -s "$mq_deb"
check "libmq-dev_${ver}_$arch.deb exists" test -s "$dev_deb"

if command -v lintian >/dev/null; then
	lintian "$mq_deb" "$dev_deb" >lintian.out 2>&1
	expect_no_grep "lintian reports no error" '^E: ' lintian.out
else
	skip "lintian reports no error" "lintian is not installed"
fi

root=$TMP/root
check "dpkg -x mq" dpkg -x "$mq_deb" "$root"
check "dpkg -x libmq-dev" dpkg -x "$dev_deb" "$root"
expect_status "the unpacked mq --version runs" 0 "$root/usr/bin/mq" --version
expect_grep "and names the version" "^mq $(cat "$REPO/VERSION") " "$TMP/last.out"
for f in usr/share/man/man1/mq.1.gz usr/share/man/man5/mq.conf.5.gz \
	usr/share/bash-completion/completions/mq \
	usr/share/zsh/vendor-completions/_mq usr/share/doc/mq/copyright \
	usr/share/doc/mq/changelog.Debian.gz usr/share/doc/mq/README.md \
	usr/share/doc/mq/config.md usr/share/doc/libmq-dev/copyright \
	usr/include/mq/store/store.h; do
	check "packaged: $f" test -s "$root/$f"
done

dpkg-deb -e "$mq_deb" ctl
expect_eq "/etc/mq/mq.conf is a conffile" "/etc/mq/mq.conf" "$(cat ctl/conffiles)"
expect_status "the packaged mq.conf parses" 0 \
	"$root/usr/bin/mq" --config "$root/etc/mq/mq.conf" config
expect_grep "and keeps the store in the state directory" \
	'^store-path: /var/lib/mq/mq.mdb$' "$TMP/last.out"
check "postinst is valid sh" sh -n ctl/postinst
expect_grep "postinst makes the system user mq" \
	'adduser --system --group' ctl/postinst
expect_grep "mq depends on adduser" '^Depends: adduser' ctl/control

unit=$root/lib/systemd/system/mq.service
for want in '^User=mq$' '^StateDirectory=mq$' '^StateDirectoryMode=0700$' \
	'^ProtectSystem=strict$' '^NoNewPrivileges=yes$' \
	'^ExecReload=/bin/kill -HUP \$MAINPID$' \
	'^ExecStart=/usr/bin/mq --config /etc/mq/mq.conf serve$'; do
	expect_grep "mq.service: $want" "$want" "$unit"
done
# systemd-analyze verify needs no running systemd: in the unpacked root,
# given the targets and /bin/kill the unit names.
if command -v systemd-analyze >/dev/null && [ -d /lib/systemd/system ]; then
	mkdir -p "$root/bin"
	cp /bin/kill "$root/bin/"
	cp -P /lib/systemd/system/*.target "$root/lib/systemd/system/"
	systemd-analyze verify --man=no --root="$root" mq.service >verify.out 2>&1
	check "systemd-analyze verify passes mq.service" test $? = 0
	check "and prints nothing" test ! -s verify.out
else
	skip "systemd-analyze verify passes mq.service" \
		"systemd-analyze is not installed"
fi

export PKG_CONFIG_PATH=$root/usr/lib/$(gcc -print-multiarch)/pkgconfig
# shellcheck disable=SC2046
check "examples/lookup.c builds against the unpacked libmq-dev" \
	gcc -std=gnu11 -Wall -Wextra -Werror -o lookup \
	"$root/usr/share/doc/libmq-dev/examples/lookup.c" \
	$(pkg-config --cflags --libs --static mq)
export MQ_STORE_PATH=$TMP/s.mdb
"$root/usr/bin/mq" set paused localip=192.0.2.7 target= tag= >/dev/null
echo | ./lookup s.mdb 192.0.2.7 example.com a@example.com b@example.com >answer
expect_grep "and answers from a store the packaged mq wrote" '^paused yes$' answer
finish
