# NAME
#	install.mk - the files mq installs: pkg-config file, headers, man
#	pages, shell completion; make install
# SYNOPSIS
#	make [extras | install [PREFIX=/usr/local] [DESTDIR=DIR]
#	     [LIBDIR=PREFIX/lib] [SYSCONFDIR=/etc]]
# DESCRIPTION
#	Included by the Makefile.  The generated files come from the
#	release binary, so that one text serves both: the man pages from
#	"mq --help", "mq COMMAND --help" and "mq config --keys" (the
#	config key table), the completion scripts from the command table,
#	each command's usage and "mq tables" (docs/man/gen.sh).
#
#	extras    $(B)/man/mq.1, $(B)/man/mq.conf.5, $(B)/mq.conf (every
#		  key commented out with its default),
#		  $(B)/completion/mq.bash and $(B)/completion/_mq (zsh).
#	install   the release build and the extras into DESTDIR/PREFIX:
#		  bin/mq, LIBDIR/libmq.a, LIBDIR/pkgconfig/mq.pc,
#		  include/mq/store/*.h (the store's public headers: the
#		  lookups), share/man/man1 and man5, bash and zsh
#		  completion.  mq.pc names its prefix relative to itself,
#		  so a tree under DESTDIR or unpacked elsewhere is usable
#		  as it lies: PKG_CONFIG_PATH=TREE/LIBDIR/pkgconfig.

PREFIX	?= /usr/local
LIBDIR	?= $(PREFIX)/lib
INCDIR	:= $(PREFIX)/include
MANDIR	:= $(PREFIX)/share/man
BASHCOMPDIR := $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR := $(PREFIX)/share/zsh/vendor-completions

# The headers an MTA includes: store/store.h and what it includes.
PUBLIC_HEADERS := store/store.h store/registry.h store/mlist.h \
	store/lookup.h store/dkim.h store/pattern.h

MAN_PAGES := $(B)/man/mq.1 $(B)/man/mq.conf.5
COMPLETIONS := $(B)/completion/mq.bash $(B)/completion/_mq
EXTRAS := $(MAN_PAGES) $(COMPLETIONS) $(B)/mq.conf

.PHONY: extras install
extras: $(EXTRAS)

$(B)/man/mq.1: $(B)/mq docs/man/gen.sh docs/man/mq.1.in
	@mkdir -p $(@D)
	$(call say,GEN,$@)
	$(Q)docs/man/gen.sh man1 $(B)/mq > $@

$(B)/man/mq.conf.5: $(B)/mq docs/man/gen.sh docs/man/mq.conf.5.in
	@mkdir -p $(@D)
	$(call say,GEN,$@)
	$(Q)docs/man/gen.sh man5 $(B)/mq > $@

$(B)/mq.conf: $(B)/mq docs/man/gen.sh
	$(call say,GEN,$@)
	$(Q)docs/man/gen.sh conf $(B)/mq > $@

$(B)/completion/mq.bash: $(B)/mq docs/man/gen.sh
	@mkdir -p $(@D)
	$(call say,GEN,$@)
	$(Q)docs/man/gen.sh bash $(B)/mq > $@

$(B)/completion/_mq: $(B)/mq docs/man/gen.sh
	@mkdir -p $(@D)
	$(call say,GEN,$@)
	$(Q)docs/man/gen.sh zsh $(B)/mq > $@

# mq.pc: prefix=${pcfiledir}/.. as many times as LIBDIR/pkgconfig is
# deep under PREFIX.
install: release extras
	$(call say,INST,$(DESTDIR)$(PREFIX))
	$(Q)install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(LIBDIR)/pkgconfig \
		$(DESTDIR)$(INCDIR)/mq/store $(DESTDIR)$(MANDIR)/man1 \
		$(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(BASHCOMPDIR) \
		$(DESTDIR)$(ZSHCOMPDIR)
	$(Q)install -m 0755 $(B)/mq $(DESTDIR)$(PREFIX)/bin/mq
	$(Q)install -m 0644 $(B)/libmq.a $(DESTDIR)$(LIBDIR)/libmq.a
	$(Q)install -m 0644 $(PUBLIC_HEADERS) $(DESTDIR)$(INCDIR)/mq/store/
	$(Q)install -m 0644 $(B)/man/mq.1 $(DESTDIR)$(MANDIR)/man1/mq.1
	$(Q)install -m 0644 $(B)/man/mq.conf.5 $(DESTDIR)$(MANDIR)/man5/mq.conf.5
	$(Q)install -m 0644 $(B)/completion/mq.bash $(DESTDIR)$(BASHCOMPDIR)/mq
	$(Q)install -m 0644 $(B)/completion/_mq $(DESTDIR)$(ZSHCOMPDIR)/_mq
	$(Q)up=$$(echo '$(patsubst $(PREFIX)/%,%,$(LIBDIR))/pkgconfig' | \
		sed 's|[^/][^/]*|..|g'); \
	sed -e "s|@UP@|$$up|" \
	    -e 's|@LIBDIR@|$(patsubst $(PREFIX)/%,%,$(LIBDIR))|' \
	    -e 's|@INCLUDEDIR@|include|' \
	    -e "s|@VERSION@|$$(cat VERSION)|" \
	    -e 's|@LIBS_PRIVATE@|$(STATIC_LIBS)|' \
	    packaging/mq.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/mq.pc
