# tlswatch - passive TLS / STARTTLS / cleartext session analyzer.
#
#   make            build build/tlswatch
#   make check      install missing packages, build, run every test (also under ASan/UBSan)
#   make demo       install missing packages, build, analyze the captures in pcaps/
#   make corpus     run over ../shared/corpus/ndpi when it exists
#   make bench      benchmark (never part of check)
#   make bench-live kernel drops of tlswatch -i against tcpdump -i, a capture replayed with
#                   tcpreplay onto a veth pair in a namespace of its own (root; never part of check)
#   make install    PREFIX=/usr/local DESTDIR= (binary, man page, docs in share/doc/tlswatch)

CC       ?= cc
PREFIX   ?= /usr/local
DESTDIR  ?=
BUILD    ?= build
PKGS      = libpcap libndpi ncursesw libgcrypt libcrypto hiredis
SHELL     = /bin/bash

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CMOCKA_CFLAGS := $(shell pkg-config --cflags cmocka 2>/dev/null)
CMOCKA_LIBS   := $(shell pkg-config --libs cmocka 2>/dev/null)

WARN     = -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	   -Wno-missing-field-initializers
CFLAGS  ?= -O2 -g
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE $(WARN) -Iinclude -Isrc/proto $(PKG_CFLAGS) $(CFLAGS) $(EXTRA_CFLAGS)
LDLIBS   = $(PKG_LIBS) -lm -lpthread

SRCS     := $(sort $(shell find src -name '*.c'))
LIB_SRCS := $(filter-out src/main.c,$(SRCS))
OBJS      = $(SRCS:%.c=$(BUILD)/%.o)
LIB_OBJS  = $(LIB_SRCS:%.c=$(BUILD)/%.o)
TESTS    := $(patsubst tests/unit/%.c,%,$(wildcard tests/unit/test_*.c))
TEST_BINS = $(TESTS:%=$(BUILD)/tests/%)

.PHONY: all deps check unit e2e eve docs-check test-asan demo corpus bench bench-scale bench-live install uninstall clean \
	format format-check pcaps fuzz fuzz-regress afl

all: $(BUILD)/tlswatch

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/tlswatch: $(OBJS)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $(OBJS) $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c tests/unit/case_filter.h $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(CMOCKA_CFLAGS) -Itests/unit -include tests/unit/case_filter.h \
		-o $@ $< $(LIB_OBJS) $(LDLIBS) $(CMOCKA_LIBS)

$(BUILD)/tools/pcap-mutate: tools/pcap-mutate.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $<

-include $(OBJS:.o=.d)

deps:
	@tools/install-deps.sh

# Unit tests of one build (BUILD=...). Each cmocka binary prints its own summary.
# One binary: `make unit TESTS=test_flow`; one case of it: add TEST_CASE='*udp*'.
unit: $(TEST_BINS)
	@fail=0; for t in $(TEST_BINS); do \
		echo "== $$t"; $$t || fail=1; \
	done; exit $$fail

# End-to-end golden tests over pcaps/ with one build's binary.
# One capture's golden tests only: `make e2e E2E_ONLY=smtp-starttls-tls12`.
e2e: $(BUILD)/tlswatch $(BUILD)/tools/pcap-mutate
	@BUILD_DIR=$(BUILD) tests/e2e/run.sh $(BUILD)/tlswatch $(if $(E2E_ONLY),--only $(E2E_ONLY))

# --json-style eve joined with a real Suricata's EVE records by community_id
# over every capture in pcaps/ (suricata from tools/install-deps.sh).
eve: $(BUILD)/tlswatch
	@$(WITHIN) tests/e2e/eve.sh $(BUILD)/tlswatch

# The example outputs in the README and the JSON schema are what the binary
# prints (tools/readme-check.py; --update rewrites them).
DOC_EXAMPLES = README.md docs/json-schema.md
docs-check: $(BUILD)/tlswatch
	@tools/readme-check.py $(BUILD)/tlswatch $(DOC_EXAMPLES)

# Fuzzing (clang's libFuzzer): `make fuzz FUZZ_SECONDS=300` runs every target
# that long (FUZZ_TARGETS=tls for one). Seeds come from the project's own
# captures (tests/fuzz/seeds.py), dictionaries from tests/fuzz/dict/. A crash
# stops the run with its input in $(BUILD)/fuzz/crashes_<target>/; inputs that
# ever crashed are kept in tests/fuzz/regressions/<target>/ and replayed by
# every check (fuzz-regress); a target without any keeps a few hand-made
# inputs there (one per mode of its harness), so that it is replayed too.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS = session engine pcap tls tlshello cert dtls quic smtp imap pop3 ftp sieve postgres ldap nntp irc mysql http http_auth http_msg telnet telnet_login dns xmpp snmp radius diameter sip syslog stun sasl line xml xml_events proto registry others sctp decode reasm ipfrag state policy feed
FUZZ_CC = clang -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=undefined -Iinclude -Isrc/proto $(PKG_CFLAGS)

$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/*.h $(LIB_SRCS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $< $(LIB_SRCS) -o $@ $(LDLIBS)

$(BUILD)/fuzz/seeds/.done: tests/fuzz/seeds.py $(wildcard pcaps/*.pcap pcaps/*.pcapng)
	@mkdir -p $(dir $@)
	python3 tests/fuzz/seeds.py $(dir $@) $(wildcard pcaps/*.pcap pcaps/*.pcapng)
	@touch $@

fuzz: $(FUZZ_TARGETS:%=$(BUILD)/fuzz/fuzz_%) $(BUILD)/fuzz/seeds/.done
	@for t in $(FUZZ_TARGETS); do \
		c=$(BUILD)/fuzz/corpus_$$t; mkdir -p $$c $(BUILD)/fuzz/crashes_$$t; \
		cp -n tests/fuzz/regressions/$$t/* $$c/ 2>/dev/null; \
		seed=$$(case $$t in session) echo conv;; engine) echo engine;; pcap) echo pcap;; \
			tls|tlshello|smtp|imap|pop3|ftp|sieve|postgres|ldap|nntp|irc|mysql|http|telnet|dns|xmpp|syslog|stun|diameter) echo stream;; \
			snmp|radius|sip) echo dgram;; policy) echo policy;; esac); \
		[ -n "$$seed" ] && cp -n $(BUILD)/fuzz/seeds/$$seed/* $$c/ 2>/dev/null; \
		dict=; [ -f tests/fuzz/dict/$$t.dict ] && dict=-dict=tests/fuzz/dict/$$t.dict; \
		echo "== fuzz_$$t for $(FUZZ_SECONDS) s"; \
		$(BUILD)/fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -max_len=8192 -timeout=20 \
			-rss_limit_mb=2048 -print_final_stats=1 $$dict \
			-artifact_prefix=$(BUILD)/fuzz/crashes_$$t/ $$c || exit 1; \
	done

# AFL++ (Debian afl++) on the whole binary, the captures in pcaps/ as seeds:
# `make afl AFL_SECONDS=3600`. Findings land in $(BUILD)/afl/out/default/crashes/.
# nDPI's start-up (0.2 s) would run before every input (the fork server
# forks at main): AFL_ARGS leaves nDPI out unless told otherwise.
AFL_SECONDS ?= 600
AFL_ARGS ?= -q --stats --show-empty --no-ndpi --json -
afl:
	@command -v afl-clang-fast >/dev/null || { echo "make afl: install afl++ (apt-get install afl++)" >&2; exit 1; }
	$(MAKE) BUILD=$(BUILD)/afl CC=afl-clang-fast CFLAGS="-O1 -g" EXTRA_CFLAGS=-Wno-error \
		AFL_USE_ASAN=1 AFL_USE_UBSAN=1 AFL_QUIET=1 $(BUILD)/afl/tlswatch
	@mkdir -p $(BUILD)/afl/in && find pcaps -name '*.pcap*' -size -20k -exec cp -n {} $(BUILD)/afl/in/ \;
	AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1 \
		afl-fuzz -V $(AFL_SECONDS) -m none -t 5000 -i $(BUILD)/afl/in -o $(BUILD)/afl/out \
		-- $(BUILD)/afl/tlswatch $(AFL_ARGS) -r @@
	@n=$$(ls $(BUILD)/afl/out/default/crashes 2>/dev/null | grep -vc README); \
		echo "afl: $$n crashing inputs in $(BUILD)/afl/out/default/crashes"; [ "$$n" = 0 ]

$(BUILD)/tests/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/*.h $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -DFUZZ_STANDALONE -Itests/fuzz -o $@ $< $(LIB_OBJS) $(LDLIBS)

fuzz-regress: $(FUZZ_TARGETS:%=$(BUILD)/tests/fuzz_%)
	@for t in $(FUZZ_TARGETS); do \
		set -- tests/fuzz/regressions/$$t/*; [ -e "$$1" ] || continue; \
		$(BUILD)/tests/fuzz_$$t "$$@" || exit 1; \
	done

# The same suite under AddressSanitizer and UndefinedBehaviorSanitizer.
SAN_FLAGS = -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
test-asan:
	$(MAKE) BUILD=$(BUILD)/asan CFLAGS="$(SAN_FLAGS)" LDFLAGS="-fsanitize=address,undefined" unit e2e fuzz-regress

# Every script suite of check runs under a time limit (SUITE_TIMEOUT s), killed
# with its process group and failing by name past it: a hang never holds CI.
SUITE_TIMEOUT ?= 1500
WITHIN = tools/within.sh $(SUITE_TIMEOUT)
export SUITE_TIMEOUT

check: deps
	$(MAKE) all unit e2e eve docs-check
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 $(MAKE) test-asan
	ASAN_OPTIONS=detect_leaks=1 tools/corpus.sh $(BUILD)/asan/tlswatch ../shared/corpus/ndpi
	@$(WITHIN) tests/e2e/tui.sh $(BUILD)/tlswatch
	@$(WITHIN) tests/live/run.sh $(BUILD)/tlswatch
	@$(WITHIN) tests/live/privdrop.sh $(BUILD)/tlswatch
	@$(WITHIN) tests/live/cli.sh $(BUILD)/tlswatch
	@$(WITHIN) tests/live/tui.sh $(BUILD)/tlswatch
	@echo "make check: all suites passed"

demo: deps
	$(MAKE) all
	@tools/demo.sh $(BUILD)/tlswatch

corpus: $(BUILD)/tlswatch
	@tools/corpus.sh $(BUILD)/tlswatch ../shared/corpus/ndpi

bench: all
	@bench/run.sh $(BUILD)/tlswatch

# What one Redis takes from several sensors (docs/scale-out.md).
bench-scale: all
	@bench/scale-out.sh $(BUILD)/tlswatch

# Live capture: what the kernel drops for tlswatch -i and for tcpdump -i on
# the same replay (docs/performance.md, "Live capture: replay onto a veth pair").
bench-live: all
	@bench/live.sh $(BUILD)/tlswatch

pcaps:
	tools/record-pcaps.sh
	tools/record-downgrades.sh
	tools/record-ftp.sh
	tools/record-sieve-lmtp.sh
	tools/record-ldap.sh
	tools/record-postgres.sh
	tools/record-nntp.sh
	tools/record-irc.sh
	tools/record-mysql.sh
	tools/record-http.sh
	tools/record-telnet.sh
	tools/record-xmpp.sh
	tools/record-dns.sh
	tools/record-snmp.sh
	tools/record-radius.sh
	tools/record-diameter.sh
	tools/record-sip.sh
	tools/record-syslog.sh
	tools/record-stun.sh
	tools/record-dtls.sh
	tools/record-quic.sh

# The docs the man page refers to (FILES), with the service examples.
DOC_FILES = README.md $(wildcard docs/*.md) docs/tlswatch.service docs/tlswatch.logrotate \
	docs/tlswatch.default
DOCDIR   ?= $(PREFIX)/share/doc/tlswatch

install: $(BUILD)/tlswatch
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(DOCDIR)
	install -m 0755 $(BUILD)/tlswatch $(DESTDIR)$(PREFIX)/bin/tlswatch
	install -m 0644 docs/tlswatch.1 $(DESTDIR)$(PREFIX)/share/man/man1/tlswatch.1
	install -m 0644 $(DOC_FILES) $(DESTDIR)$(DOCDIR)/

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/tlswatch $(DESTDIR)$(PREFIX)/share/man/man1/tlswatch.1
	rm -f $(addprefix $(DESTDIR)$(DOCDIR)/,$(notdir $(DOC_FILES)))
	rmdir $(DESTDIR)$(DOCDIR) 2>/dev/null || true

FORMAT_FILES = $(wildcard include/*.h) $(SRCS) $(shell find src -name '*.h') $(wildcard tests/unit/*.c tests/unit/*.h tests/fuzz/*.c tests/fuzz/*.h bench/*.c tools/*.c)
format:
	clang-format -i $(FORMAT_FILES)
format-check:
	clang-format --dry-run --Werror $(FORMAT_FILES)

clean:
	rm -rf $(BUILD)
