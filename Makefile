# NAME
#	Makefile - build mq: the static release binary, the sanitized test
#	build, a valgrind build, unit tests and benchmarks
# SYNOPSIS
#	make [-j2] [all | release | asan | valgrind | unit | bench | fuzz |
#	      extras | install | clean]
# DESCRIPTION
#	Sources are found by wildcard so that files added to store/,
#	sql-compat/, import/, replicate/ and mq/ are picked up without
#	editing this file.  mq/main.c holds main(); every other source
#	goes into a library.
#
#	release   build/mq, gcc -O2 -static, plus build/libmq.a (every
#		  object but main).  sql-compat/static_stubs.c (failing
#		  gss_*/ldap_* for Debian's libpq.a) is linked only here.
#	asan      build/asan/mq, dynamic, -fsanitize=address,undefined,
#		  and build/asan/tests/NAME_test for each
#		  tests/unit/NAME_test.c.
#	valgrind  build/valgrind/mq, dynamic, -O1 -g, no sanitizers.
#	bench     build/bench/NAME for each bench/NAME.c, -O2, dynamic,
#		  linked with the release objects.
#	fuzz      build/fuzz/NAME for each fuzz target tests/fuzz/NAME.c:
#		  clang's libFuzzer with ASan and UBSan, linked with
#		  build/fuzz/libmq.a, the library compiled again by clang
#		  with coverage (gcc's objects stay as they are).  Not
#		  part of all: it needs clang (tests/fuzz/run.sh runs them).
#
#	extras    man pages, shell completion and the packaged mq.conf,
#		  generated from build/mq; install: the release build and
#		  those, with libmq.a's headers and mq.pc
#		  (packaging/install.mk says where).
#
#	The build prints one line per file ("CC store/row.c"); V=1 shows
#	the full command lines.
#
#	The static link gets glibc's notes that a few functions "require at
#	runtime the shared libraries from the glibc version used for
#	linking" (NSS and dlopen).  They are expected, kept in
#	build/mq.link.log and not shown; any other linker warning fails the
#	build.  Where they come from and why they do not bite:
#	  getaddrinfo, gethostbyname, getservbyname, getservbyport_r,
#	  getprotobynumber: libpq, libmariadb, libevent and OpenSSL's name
#	    resolvers.  mq resolves SQL host names itself (c-ares,
#	    sql-compat/session.c) and hands the clients numeric addresses,
#	    and its own listeners bind numeric addresses, so these never
#	    consult NSS.
#	  getpwuid, getpwuid_r: libpq's and libmariadb's default user name,
#	    used only when database-address names no user; a static binary
#	    then reads /etc/passwd through glibc's built-in files lookup.
#	  dlopen: libmariadb's client plugins and OpenSSL's engines; mq
#	    uses the authentication methods built into the client library
#	    and no engine.

# Plain "make" builds everything (rules for single objects come first).
.DEFAULT_GOAL := all

ifeq ($(origin CC),default)
CC	= gcc
endif

B	?= build
MQ_MAIN	?= mq/main.c
STUBS	:= sql-compat/static_stubs.c

SRCS	:= $(wildcard store/*.c sql-compat/*.c import/*.c replicate/*.c mq/*.c mq/*/*.c)
LIBSRCS	:= $(filter-out $(MQ_MAIN) $(STUBS),$(SRCS))
UNITSRC	:= $(wildcard tests/unit/*_test.c)
BENCHSRC := $(wildcard bench/*.c)
# Helpers linked into every unit test and benchmark.
TESTLIB	:= tests/lib/own_database.c

PG_LIBDIR := /usr/lib/postgresql/15/lib

WARN	:= -Wall -Wextra -Wformat-security -Werror
BASEFLAGS := -std=gnu11 -I. -I$(B)/gen -I/usr/include/postgresql -I/usr/include/mariadb \
	-D_GNU_SOURCE -MMD -MP $(WARN)

REL_CFLAGS	:= $(BASEFLAGS) -O2
ASAN_FLAGS	:= -fsanitize=address,undefined -fno-omit-frame-pointer
ASAN_CFLAGS	:= $(BASEFLAGS) -O1 -g $(ASAN_FLAGS)
VG_CFLAGS	:= $(BASEFLAGS) -O1 -g

# Link order matters for the static archives: libevent's extra, openssl
# and pthreads parts before its core, libpq before pgcommon/pgport.
STATIC_LIBS := -llmdb -L$(PG_LIBDIR) -lpq -lpgcommon -lpgport -lmariadb \
	-lcares -levent_openssl -levent_extra -levent_pthreads -levent_core \
	-ljansson -lpcre2-8 -lsodium -lsqlite3 -lssl -lcrypto -lz -lm -ldl \
	-pthread
DYN_LIBS := -llmdb -lpq -lmariadb -lcares -levent_openssl -levent_extra \
	-levent_pthreads -levent_core -ljansson -lpcre2-8 -lsodium -lsqlite3 \
	-lssl -lcrypto -lz -lm -ldl -pthread

# Lines of the static link that are expected and not an error.
EXPECTED_LINK_NOISE := in statically linked applications requires at runtime

# Quiet by default: one line per step; V=1 prints the commands.
V	?= 0
ifeq ($(V),1)
Q	:=
say	= @:
else
Q	:= @
say	= @printf '  %-6s %s\n' '$(1)' '$(2)'
endif

obj	= $(patsubst %.c,$(1)/obj/%.o,$(2))

# The console's files are assembled into http_console.o (.incbin): a
# change to one of them rebuilds it.
CONSOLE_FILES := $(wildcard mq/http/console/*)
$(call obj,$(B),mq/http/console.c) $(call obj,$(B)/asan,mq/http/console.c) \
$(call obj,$(B)/valgrind,mq/http/console.c): $(CONSOLE_FILES)

# build/gen/version.h: the VERSION file and the commit built.  Rewritten
# only when either changed, so that only what includes it is rebuilt.
VERSION_H := $(B)/gen/version.h
$(VERSION_H): FORCE
	@mkdir -p $(@D)
	@{ printf '#define MQ_VERSION "%s"\n' "$$(cat VERSION)"; \
	  printf '#define MQ_COMMIT "%s"\n' \
		"$$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"; \
	} > $@.tmp && if cmp -s $@.tmp $@; then rm $@.tmp; else mv $@.tmp $@; fi
.PHONY: FORCE
FORCE:
$(call obj,$(B),mq/cli/cmd_version.c) $(call obj,$(B)/asan,mq/cli/cmd_version.c) \
$(call obj,$(B)/valgrind,mq/cli/cmd_version.c) \
$(call obj,$(B)/fuzz,mq/cli/cmd_version.c): $(VERSION_H)

REL_OBJS	:= $(call obj,$(B),$(LIBSRCS))
ASAN_OBJS	:= $(call obj,$(B)/asan,$(LIBSRCS))
VG_OBJS		:= $(call obj,$(B)/valgrind,$(LIBSRCS))
STUB_OBJ	:= $(call obj,$(B),$(STUBS))
REL_MAIN	:= $(call obj,$(B),$(MQ_MAIN))
ASAN_MAIN	:= $(call obj,$(B)/asan,$(MQ_MAIN))
VG_MAIN		:= $(call obj,$(B)/valgrind,$(MQ_MAIN))
UNIT_BINS	:= $(patsubst tests/unit/%.c,$(B)/asan/tests/%,$(UNITSRC))
UNIT_OBJS	:= $(call obj,$(B)/asan,$(UNITSRC))
BENCH_BINS	:= $(patsubst bench/%.c,$(B)/bench/%,$(BENCHSRC))
BENCH_OBJS	:= $(call obj,$(B),$(BENCHSRC))

.PHONY: all release asan valgrind unit bench clean
.DELETE_ON_ERROR:
# Keep the objects of tests and benchmarks, which make would otherwise
# delete as intermediate files after each link.
.SECONDARY:

# Benchmarks are built with everything, so they never rot unbuilt;
# tests/integration/bench_smoke.sh runs them small.
all: release asan valgrind bench extras

release: $(B)/mq $(B)/libmq.a
asan: $(B)/asan/mq unit
valgrind: $(B)/valgrind/mq

unit: $(UNIT_BINS)
bench: $(BENCH_BINS) $(B)/mq

# Objects.  One pattern rule per flavour; the directory tree under
# build/*/obj mirrors the source tree.
$(B)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(call say,CC,$<)
	$(Q)$(CC) $(REL_CFLAGS) -c $< -o $@

$(B)/asan/obj/%.o: %.c
	@mkdir -p $(@D)
	$(call say,CC,$< [asan])
	$(Q)$(CC) $(ASAN_CFLAGS) -c $< -o $@

$(B)/valgrind/obj/%.o: %.c
	@mkdir -p $(@D)
	$(call say,CC,$< [valgrind])
	$(Q)$(CC) $(VG_CFLAGS) -c $< -o $@

# Archives: a test or benchmark pulls in only the objects it needs.
# Remove first so that objects of deleted sources do not linger.
$(B)/libmq.a: $(REL_OBJS)
	@mkdir -p $(@D)
	$(call say,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(B)/asan/libmq.a: $(ASAN_OBJS)
	@mkdir -p $(@D)
	$(call say,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(B)/valgrind/libmq.a: $(VG_OBJS)
	@mkdir -p $(@D)
	$(call say,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

# The static release binary.  The link's stderr is kept; the expected
# glibc notes are shown but filtered before deciding whether any other
# warning remains.
$(B)/mq: $(REL_MAIN) $(REL_OBJS) $(STUB_OBJ)
	@mkdir -p $(@D)
	$(call say,LINK,$@ [static])
	$(Q)$(CC) -static -O2 -o $@ $^ $(STATIC_LIBS) 2> $@.link.log; \
	rc=$$?; \
	if [ $$rc -ne 0 ]; then cat $@.link.log >&2; rm -f $@; exit $$rc; fi; \
	if grep -vE "$(EXPECTED_LINK_NOISE)|: in function " $@.link.log \
		| grep -qi warning; then cat $@.link.log >&2; \
	echo "error: unexpected warning in static link of $@" >&2; \
	rm -f $@; exit 1; fi

$(B)/asan/mq: $(ASAN_MAIN) $(ASAN_OBJS)
	@mkdir -p $(@D)
	$(call say,LINK,$@)
	$(Q)$(CC) $(ASAN_FLAGS) -o $@ $^ $(DYN_LIBS)

$(B)/valgrind/mq: $(VG_MAIN) $(VG_OBJS)
	@mkdir -p $(@D)
	$(call say,LINK,$@)
	$(Q)$(CC) -o $@ $^ $(DYN_LIBS)

$(B)/asan/tests/%: $(B)/asan/obj/tests/unit/%.o $(call obj,$(B)/asan,$(TESTLIB)) $(B)/asan/libmq.a
	@mkdir -p $(@D)
	$(call say,LINK,$@)
	$(Q)$(CC) $(ASAN_FLAGS) -o $@ $< $(call obj,$(B)/asan,$(TESTLIB)) $(B)/asan/libmq.a $(DYN_LIBS)

$(B)/bench/%: $(B)/obj/bench/%.o $(call obj,$(B),$(TESTLIB)) $(B)/libmq.a
	@mkdir -p $(@D)
	$(call say,LINK,$@)
	$(Q)$(CC) -O2 -o $@ $< $(call obj,$(B),$(TESTLIB)) $(B)/libmq.a $(DYN_LIBS)

# Fuzz targets.  Every tests/fuzz/*.c but the shared fuzz_util.c is one
# libFuzzer program; the library's objects get coverage instrumentation
# (fuzzer-no-link), the programs libFuzzer's main.  UBSan findings stop
# the run, as ASan's do, so that libFuzzer keeps the input.
FUZZ_CC		?= clang
FUZZ_UTILSRC	:= tests/fuzz/fuzz_util.c
FUZZSRC		:= $(filter-out $(FUZZ_UTILSRC),$(wildcard tests/fuzz/*.c))
FUZZ_SAN	:= -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
FUZZ_CFLAGS	:= $(BASEFLAGS) -O1 -g $(FUZZ_SAN) -fsanitize=fuzzer-no-link
FUZZ_OBJS	:= $(call obj,$(B)/fuzz,$(LIBSRCS))
FUZZ_UTIL	:= $(call obj,$(B)/fuzz,$(FUZZ_UTILSRC))
FUZZ_TOBJS	:= $(call obj,$(B)/fuzz,$(FUZZSRC))
FUZZ_BINS	:= $(patsubst tests/fuzz/%.c,$(B)/fuzz/%,$(FUZZSRC))

.PHONY: fuzz
fuzz: $(FUZZ_BINS)

$(call obj,$(B)/fuzz,mq/http/console.c): $(CONSOLE_FILES)

$(B)/fuzz/obj/%.o: %.c
	@mkdir -p $(@D)
	$(call say,CC,$< [fuzz])
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -c $< -o $@

$(B)/fuzz/libmq.a: $(FUZZ_OBJS)
	@mkdir -p $(@D)
	$(call say,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(FUZZ_BINS): $(B)/fuzz/%: $(B)/fuzz/obj/tests/fuzz/%.o $(FUZZ_UTIL) \
		$(B)/fuzz/libmq.a
	$(call say,LINK,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $< $(FUZZ_UTIL) \
		$(B)/fuzz/libmq.a $(DYN_LIBS)

-include $(patsubst %.o,%.d,$(FUZZ_OBJS) $(FUZZ_UTIL) $(FUZZ_TOBJS))

clean:
	rm -rf $(B)

# make install, the man pages, completion and mq.pc
include packaging/install.mk

-include $(patsubst %.o,%.d,$(REL_OBJS) $(ASAN_OBJS) $(VG_OBJS) $(STUB_OBJ) \
	$(REL_MAIN) $(ASAN_MAIN) $(VG_MAIN) $(UNIT_OBJS) $(BENCH_OBJS) \
	$(call obj,$(B),$(TESTLIB)) $(call obj,$(B)/asan,$(TESTLIB)))
