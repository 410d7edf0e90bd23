#!/usr/bin/env bash
# NAME
#	deb.sh - build mq's Debian packages, mq and libmq-dev, with dpkg-deb
# SYNOPSIS
#	packaging/deb.sh [OUTDIR]	(./build.sh deb runs it after make)
# DESCRIPTION
#	Takes the release build (build/mq, build/libmq.a) and the files
#	generated from it (make extras: man pages, completion, mq.conf)
#	and lays out two package trees under build/deb/, then writes
#	OUTDIR/mq_VERSION_ARCH.deb and OUTDIR/libmq-dev_VERSION_ARCH.deb
#	(OUTDIR defaults to build/deb).
#
#	mq: /usr/bin/mq, /etc/mq/mq.conf (a conffile: every key commented
#	out with its default, store-path in the state directory), the
#	systemd unit mq.service (user mq, made by postinst with adduser
#	--system; StateDirectory=mq at 0700), the man pages, bash and zsh
#	completion, and /usr/share/doc/mq (README, docs, copyright,
#	changelog.Debian.gz).  The binary is static by design; the
#	lintian overrides say so.
#	libmq-dev: libmq.a, mq.pc and the headers under /usr/include/mq
#	(the tree make install writes, with PREFIX=/usr and the multiarch
#	LIBDIR), and examples/lookup.c.
#
#	DEB_MAINTAINER overrides the Maintainer field (default: the author
#	of the last commit).
set -euo pipefail
cd "$(dirname "$0")/.."

B=${B:-build}
out=${1:-$B/deb}
root=$B/deb
upstream=$(cat VERSION)
version=$upstream-1
arch=$(dpkg --print-architecture)
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null ||
	gcc -print-multiarch)
maintainer=${DEB_MAINTAINER:-$(git log -1 --format='%an <%ae>' 2>/dev/null ||
	echo 'mq developers <root@localhost>')}
date=$(git log -1 --format=%cD 2>/dev/null || date -R)

# changelog PACKAGE DOCDIR - changelog.Debian.gz, reproducible
changelog() {
	printf '%s (%s) unstable; urgency=medium\n\n  * Built from mq %s.\n\n -- %s  %s\n' \
		"$1" "$version" "$upstream" "$maintainer" "$date" |
		gzip -9n >"$2/changelog.Debian.gz"
}

# doc_dir PACKAGE TREE - copyright and changelog of a package
doc_dir() {
	local d=$2/usr/share/doc/$1
	install -d "$d"
	install -m 0644 packaging/copyright "$d/copyright"
	changelog "$1" "$d"
}

# control PACKAGE TREE DEPENDS SECTION SUMMARY DESCRIPTION
control() {
	local size
	size=$(du -sk --exclude=DEBIAN "$2" | cut -f1)
	cat >"$2/DEBIAN/control" <<-EOT
	Package: $1
	Version: $version
	Architecture: $arch
	Maintainer: $maintainer
	Installed-Size: $size
	Depends: $3
	Section: $4
	Priority: optional
	Description: $5
	$6
	EOT
	(cd "$2" && find . -path ./DEBIAN -prune -o -type f -printf '%P\n' |
		LC_ALL=C sort | xargs md5sum) >"$2/DEBIAN/md5sums"
	chmod 0644 "$2/DEBIAN/control" "$2/DEBIAN/md5sums"
}

mq_tree() {
	local t=$root/mq
	rm -rf "$t"
	install -d "$t/DEBIAN" "$t/etc/mq" "$t/lib/systemd/system" \
		"$t/usr/share/lintian/overrides"
	make -s install DESTDIR="$PWD/$t" PREFIX=/usr \
		LIBDIR=/usr/lib/"$multiarch" B="$B" >/dev/null
	# what belongs to libmq-dev
	rm -r "$t/usr/include" "$t/usr/lib"
	strip --strip-unneeded "$t/usr/bin/mq"
	gzip -9n "$t/usr/share/man/man1/mq.1" "$t/usr/share/man/man5/mq.conf.5"
	install -m 0644 "$B/mq.conf" "$t/etc/mq/mq.conf"
	install -m 0644 packaging/mq.service "$t/lib/systemd/system/mq.service"
	install -m 0644 packaging/lintian-overrides \
		"$t/usr/share/lintian/overrides/mq"
	doc_dir mq "$t"
	install -m 0644 README.md docs/*.md "$t/usr/share/doc/mq/"
	install -m 0755 packaging/postinst packaging/postrm "$t/DEBIAN/"
	echo /etc/mq/mq.conf >"$t/DEBIAN/conffiles"
	chmod 0644 "$t/DEBIAN/conffiles"
	control mq "$t" adduser net \
		"mail delivery settings and mailing lists in one LMDB store" \
		" mq keeps a mail system's delivery settings (MailerQ-style tables)
 and mailing lists' subscribers (ezmlm-style tables) in a memory-mapped
 LMDB file, mirrors them to and from SQLite, PostgreSQL or MariaDB,
 replicates between instances, and serves an HTTP API and a console.
 .
 This package holds the mq command and the mq.service systemd unit."
}

dev_tree() {
	local t=$root/libmq-dev
	rm -rf "$t"
	install -d "$t/DEBIAN"
	make -s install DESTDIR="$PWD/$t" PREFIX=/usr \
		LIBDIR=/usr/lib/"$multiarch" B="$B" >/dev/null
	# what belongs to mq
	rm -r "$t/usr/bin" "$t/usr/share"
	doc_dir libmq-dev "$t"
	install -d "$t/usr/share/doc/libmq-dev/examples"
	install -m 0644 examples/lookup.c "$t/usr/share/doc/libmq-dev/examples/"
	control libmq-dev "$t" \
		"liblmdb-dev, libpq-dev, postgresql-server-dev-15, libmariadb-dev, libc-ares-dev, libevent-dev, libjansson-dev, libpcre2-dev, libsodium-dev, libsqlite3-dev, libssl-dev, zlib1g-dev" \
		libdevel "mq's store lookups as a static library" \
		" The delivery-settings lookups of mq (capacity, dkim, local, paused
 and the others) for an MTA that asks them in-process from the store
 file mq writes: libmq.a, its headers and mq.pc for pkg-config
 (pkg-config --cflags --libs --static mq).
 /usr/share/doc/libmq-dev/examples/lookup.c shows the calls."
}

mkdir -p "$out"
mq_tree
dev_tree
for p in mq libmq-dev; do
	dpkg-deb --root-owner-group -Zxz --build "$root/$p" \
		"$out/${p}_${version}_$arch.deb" >/dev/null
	echo "$out/${p}_${version}_$arch.deb"
done
