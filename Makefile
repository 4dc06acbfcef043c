# One plain Makefile for the whole tree. Explicit source lists, pkg-config,
# -MMD dependencies. SAN=1 builds with AddressSanitizer + UBSan into
# build-asan/ so a sanitizer build never mixes with the normal one.
#
# Each module compiles with its own include path, so the direction of
# dependencies is the build's to enforce: b2bua -> policy and wire,
# media-relay -> wire, policy and wire -> nothing of ours. media-relay/wire/
# holds what both programs parse off the wire (the ng codec, the SDP
# grammar guard): one library both link; neither compiles a source file
# of the other.

# `make` alone builds the programs, whatever rule comes first below.
.DEFAULT_GOAL := all

SAN ?= 0
FUZZ ?= 0
ifeq ($(FUZZ),1)
# libFuzzer build (make fuzz): clang, every object instrumented, targets
# linked with the fuzzer's main.
CC       = clang
BUILD   ?= build-fuzz
SANFLAGS = -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
FUZZDEF  = -DFUZZ_LIBFUZZER
else ifeq ($(SAN),1)
BUILD   ?= build-asan
SANFLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
else
BUILD   ?= build
SANFLAGS =
endif

CC      ?= cc
PKGS     = sofia-sip-ua libsrtp2 libpcre2-8 sqlite3 inih cunit openssl libmicrohttpd
CPPFLAGS = -D_GNU_SOURCE $(MODINC) $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
INC_POLICY = -Ipolicy
INC_WIRE   = -Imedia-relay/wire
INC_B2BUA  = -Ib2bua $(INC_POLICY) $(INC_WIRE)
INC_RELAY  = -Imedia-relay $(INC_WIRE)
CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 -Wall -Wextra -Werror -MMD -MP $(SANFLAGS)
LDFLAGS += $(SANFLAGS)

LIBS_SOFIA  = $(shell pkg-config --libs sofia-sip-ua 2>/dev/null)
LIBS_SRTP   = $(shell pkg-config --libs libsrtp2 2>/dev/null)
LIBS_PCRE   = $(shell pkg-config --libs libpcre2-8 2>/dev/null)
LIBS_SQLITE = $(shell pkg-config --libs sqlite3 2>/dev/null)
LIBS_INIH   = $(shell pkg-config --libs inih 2>/dev/null)
LIBS_CUNIT  = $(shell pkg-config --libs cunit 2>/dev/null)
# OpenSSL: tls_conf.c checks the [tls] files (Sofia links it already).
LIBS_SSL    = $(shell pkg-config --libs openssl 2>/dev/null)
LIBS_CRYPTO = $(shell pkg-config --libs libcrypto 2>/dev/null)
# libmicrohttpd: the /metrics listener of both daemons (wire/prom_http.c).
LIBS_MHD    = $(shell pkg-config --libs libmicrohttpd 2>/dev/null)

# --- policy/: SQLite snapshot, trie, CIDR, PCRE2 rules, rates, CDR store ---
POLICY_SRC = policy/policy.c policy/trie.c policy/cidr.c policy/rules.c policy/codecs.c \
             policy/rates.c policy/route_explain.c policy/db.c policy/db_init.c policy/cdr_store.c policy/cdr_query.c policy/cdr_print.c
POLICY_LIBS = $(LIBS_SQLITE) $(LIBS_PCRE)
# sql/schema.sql (migration 1) and sql/NNN_*.sql (migration NNN) are embedded
# into the binaries at build time, so a daemon brings any database up to date.
MIGRATIONS = sql/schema.sql $(sort $(wildcard sql/[0-9][0-9][0-9]_*.sql))
POLICY_OBJ = $(call obj,$(POLICY_SRC)) $(BUILD)/obj/gen/migrations.o

# --- media-relay/wire/: ng codec, SDP grammar guard and the Prometheus
# exposition (+ its HTTP listener), a library of its own ---
WIRE_SRC = media-relay/wire/bencode.c media-relay/wire/sdp_check.c media-relay/wire/prom.c \
           media-relay/wire/prom_http.c
WIRE_LIB = $(BUILD)/libwire.a

# --- b2bua/: signalling daemon (main.c kept apart so tests can link the rest) ---
B2BUA_SRC = b2bua/config.c b2bua/log.c b2bua/call.c b2bua/call_fsm.c b2bua/call_route.c \
            b2bua/call_dialog.c b2bua/call_xfer.c b2bua/reply.c b2bua/daemon.c b2bua/guard.c b2bua/leak_guard.c b2bua/sip_read.c b2bua/sip_leg.c \
            b2bua/relay_client.c b2bua/relay_pool.c b2bua/cdr_writer.c b2bua/control.c \
            b2bua/trunk_limits.c b2bua/trunk_reg.c b2bua/clock.c b2bua/media_policy.c b2bua/tls_conf.c \
            b2bua/trunk_health.c b2bua/trunk_probe.c b2bua/tls_watch.c b2bua/sofia_log.c \
            b2bua/metrics.c b2bua/ctl_json.c b2bua/ctl_lists.c \
            b2bua/sip_trace.c b2bua/trace_block.c b2bua/hep.c
B2BUA_MAIN = b2bua/main.c
CTL_SRC    = b2bua/b2bua_ctl.c b2bua/ctl_client.c b2bua/ctl_route.c
# b2bua-ctl -c reads the b2bua's config with the b2bua's own parser, and
# writes JSON with the daemon's writer.
CTL_LINK   = b2bua/config.c b2bua/log.c b2bua/ctl_json.c

# --- media-relay/: stands alone ---
RELAY_SRC  = media-relay/ng_server.c media-relay/ng_cache.c media-relay/ng_commands.c media-relay/calls.c \
             media-relay/sdp_rewrite.c \
             media-relay/port_pool.c media-relay/stream.c media-relay/srtp_ctx.c \
             media-relay/workers.c media-relay/relay_config.c media-relay/rlog.c media-relay/metrics.c
RELAY_MAIN = media-relay/main.c
# The SRTP transforms on OpenSSL EVP: a library the relay and the SRTP
# test tools (srtp_peer, rtp_load, srtp_bench) all link.
XFORM_SRC  = media-relay/srtp_xform.c
XFORM_LIB  = $(BUILD)/libsrtpxform.a
RELAY_LIBS = $(LIBS_SOFIA) $(LIBS_SRTP) $(LIBS_CRYPTO) $(LIBS_INIH) $(LIBS_MHD) -lpthread -lm

# --- unit tests: one binary per component, suites register themselves ---
TEST_MAIN       = test/unit/main.c
TEST_POLICY_SRC = test/unit/test_trie.c test/unit/test_cidr.c test/unit/test_rules.c \
                  test/unit/test_rates.c test/unit/test_policy.c test/unit/test_cdr_store.c \
                  test/unit/test_cdr_query.c test/unit/test_fuzz_policy.c test/unit/test_route_explain.c
TEST_B2BUA_SRC  = test/unit/test_sip_read.c test/unit/test_fuzz_b2bua.c test/unit/test_leak_guard.c test/unit/test_media_policy.c test/unit/test_call.c test/unit/test_guard.c test/unit/test_cdr_writer.c test/unit/test_config.c \
                  test/unit/test_tls_conf.c test/unit/test_relay_client.c test/unit/test_relay_pool.c test/unit/test_relay_client_loop.c \
                  test/unit/test_trunk_limits.c test/unit/test_trunk_health.c test/unit/test_trunk_reg.c test/unit/test_tls_watch.c \
                  test/unit/test_metrics.c test/unit/test_ctl_json.c test/unit/test_sip_trace.c
TEST_RELAY_SRC  = test/unit/test_fuzz_relay.c test/unit/test_relay_config.c test/unit/test_bencode.c test/unit/test_sdp_check.c test/unit/test_sdp_rewrite.c test/unit/test_port_pool.c \
                  test/unit/test_srtp_ctx.c test/unit/test_srtp_xform.c test/unit/test_stream.c test/unit/test_ng_server.c \
                  test/unit/test_prom.c test/unit/test_relay_metrics.c \
                  test/unit/test_ng_cache.c
TOOLS_SRC       = test/tools/srtp_peer.c
# Fuzz targets (test/fuzz/): each is also replayed by its module's unit tests.
FUZZ_B2BUA_SRC  = test/fuzz/fuzz_sdp.c test/fuzz/fuzz_sip.c test/fuzz/fuzz_ng_reply.c
FUZZ_RELAY_SRC  = test/fuzz/fuzz_sdp_rewrite.c test/fuzz/fuzz_ng.c
FUZZ_POLICY_SRC = test/fuzz/fuzz_rules.c
FUZZ_TARGETS    = sdp sip ng_reply sdp_rewrite ng rules

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

# One version for the three programs (--version): git describe in a
# checkout with tags, else VERSION_BASE plus the commit, else VERSION_BASE
# alone (a tarball). $(BUILD)/gen/version.h changes only when it does.
VERSION_BASE = 0.1.0
ifeq ($(origin VERSION),undefined)
VERSION := $(shell [ -e .git ] && { git describe --tags --dirty 2>/dev/null || \
	{ r=$$(git rev-parse --short HEAD 2>/dev/null) && echo "$(VERSION_BASE)+g$$r"; }; } || \
	echo "$(VERSION_BASE)")
endif
MAINS = $(B2BUA_MAIN) $(RELAY_MAIN) $(CTL_SRC)
$(call obj,$(MAINS)): $(BUILD)/gen/version.h
# b2bua-ctl reads the installed config by default: its place, from the
# install variables below (make install PREFIX=/usr rebuilds it).
$(call obj,$(CTL_SRC)): $(BUILD)/gen/paths.h
$(call obj,$(filter-out $(MAINS),$(CTL_SRC))): CPPFLAGS += -I$(BUILD)/gen
$(call obj,$(MAINS)): CPPFLAGS += -I$(BUILD)/gen

# Include paths per module (and per test binary: a test sees its module).
$(call obj,$(POLICY_SRC)) $(BUILD)/obj/gen/migrations.o: MODINC = $(INC_POLICY)
$(call obj,$(WIRE_SRC)): MODINC = $(INC_WIRE)
$(call obj,$(B2BUA_SRC) $(B2BUA_MAIN) $(CTL_SRC)): MODINC = $(INC_B2BUA)
$(call obj,$(RELAY_SRC) $(RELAY_MAIN) $(XFORM_SRC)): MODINC = $(INC_RELAY)
$(call obj,$(TOOLS_SRC) test/tools/rtp_load.c test/tools/srtp_bench.c): MODINC = $(INC_RELAY)
$(call obj,test/tools/ng_load.c): MODINC =
$(call obj,$(TEST_MAIN)): MODINC = -Itest/unit
$(call obj,$(TEST_POLICY_SRC)): MODINC = -Itest/unit $(INC_POLICY)
$(call obj,$(TEST_B2BUA_SRC)): MODINC = -Itest/unit $(INC_B2BUA)
$(call obj,$(TEST_RELAY_SRC)): MODINC = -Itest/unit $(INC_RELAY)
$(call obj,$(FUZZ_B2BUA_SRC)): MODINC = -Itest/fuzz $(INC_B2BUA)
$(call obj,$(FUZZ_RELAY_SRC)): MODINC = -Itest/fuzz $(INC_RELAY)
$(call obj,$(FUZZ_POLICY_SRC)): MODINC = -Itest/fuzz $(INC_POLICY)
$(call obj,$(FUZZ_B2BUA_SRC) $(FUZZ_RELAY_SRC) $(FUZZ_POLICY_SRC)): CPPFLAGS += $(FUZZDEF)

BINS = $(BUILD)/b2bua $(BUILD)/media-relay $(BUILD)/b2bua-ctl
TESTBINS = $(BUILD)/test_policy $(BUILD)/test_b2bua $(BUILD)/test_relay $(BUILD)/srtp_peer $(BUILD)/ng_load

.PHONY: all deps run test asan bench flood fuzz fuzz-bins clean unit integration install uninstall FORCE \
	srtp-bench
all: $(BINS)

$(BUILD)/gen/version.h: FORCE
	@mkdir -p $(dir $@)
	@echo '#define PROJECT_VERSION "$(VERSION)"' > $@.tmp
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi

$(BUILD)/gen/paths.h: FORCE
	@mkdir -p $(dir $@)
	@echo '#define DEFAULT_CONF "$(CONFDIR)/b2bua.conf"' > $@.tmp
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(BUILD)/gen/migrations.c: $(MIGRATIONS) scripts/embed_sql.sh
	@mkdir -p $(dir $@)
	scripts/embed_sql.sh $(MIGRATIONS) > $@.tmp && mv $@.tmp $@

$(BUILD)/obj/gen/migrations.o: $(BUILD)/gen/migrations.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(WIRE_LIB): $(call obj,$(WIRE_SRC))
	$(AR) rcs $@ $^

$(XFORM_LIB): $(call obj,$(XFORM_SRC))
	$(AR) rcs $@ $^

$(BUILD)/b2bua: $(call obj,$(B2BUA_MAIN) $(B2BUA_SRC)) $(POLICY_OBJ) $(WIRE_LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_SOFIA) $(LIBS_SSL) $(POLICY_LIBS) $(LIBS_INIH) $(LIBS_MHD) -lpthread -lm

$(BUILD)/media-relay: $(call obj,$(RELAY_MAIN) $(RELAY_SRC)) $(WIRE_LIB) $(XFORM_LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(RELAY_LIBS)

$(BUILD)/b2bua-ctl: $(call obj,$(CTL_SRC) $(CTL_LINK)) $(POLICY_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ $(POLICY_LIBS) $(LIBS_INIH) -lm

$(BUILD)/test_policy: $(call obj,$(TEST_MAIN) $(TEST_POLICY_SRC) $(FUZZ_POLICY_SRC)) $(POLICY_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ $(POLICY_LIBS) $(LIBS_CUNIT) -lm

$(BUILD)/test_b2bua: $(call obj,$(TEST_MAIN) $(TEST_B2BUA_SRC) $(FUZZ_B2BUA_SRC) $(B2BUA_SRC)) $(POLICY_OBJ) $(WIRE_LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_SOFIA) $(LIBS_SSL) $(POLICY_LIBS) $(LIBS_INIH) $(LIBS_MHD) $(LIBS_CUNIT) -lpthread -lm

$(BUILD)/test_relay: $(call obj,$(TEST_MAIN) $(TEST_RELAY_SRC) $(FUZZ_RELAY_SRC) $(RELAY_SRC)) $(WIRE_LIB) $(XFORM_LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(RELAY_LIBS) $(LIBS_CUNIT)

$(BUILD)/srtp_peer: $(call obj,$(TOOLS_SRC)) $(XFORM_LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_SRTP) $(LIBS_CRYPTO)

BENCH_TOOLS = $(BUILD)/rtp_load

# ng request-rate load and the relay's concurrency test driver (issue 13).
$(BUILD)/ng_load: $(call obj,test/tools/ng_load.c)
	$(CC) $(LDFLAGS) -o $@ $^ -lpthread
$(BUILD)/rtp_load: $(call obj,test/tools/rtp_load.c) $(XFORM_LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_SRTP) $(LIBS_CRYPTO)

# Micro benchmark of the SRTP transforms (make srtp-bench; not in make test).
$(BUILD)/srtp_bench: $(call obj,test/tools/srtp_bench.c) $(XFORM_LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_SRTP) $(LIBS_CRYPTO)
srtp-bench: $(BUILD)/srtp_bench

# One binary per fuzz target, each linked with the code its module's
# unit tests link.
FUZZ_BINS = $(patsubst %,$(BUILD)/fuzz_%,$(FUZZ_TARGETS))
FUZZ_LINK = -fsanitize=fuzzer $(LDFLAGS)
$(BUILD)/fuzz_sdp $(BUILD)/fuzz_sip $(BUILD)/fuzz_ng_reply: $(BUILD)/fuzz_%: $(BUILD)/obj/test/fuzz/fuzz_%.o \
		$(call obj,$(B2BUA_SRC)) $(POLICY_OBJ) $(WIRE_LIB)
	$(CC) $(FUZZ_LINK) -o $@ $^ $(LIBS_SOFIA) $(LIBS_SSL) $(POLICY_LIBS) $(LIBS_INIH) $(LIBS_MHD) -lpthread -lm
$(BUILD)/fuzz_sdp_rewrite $(BUILD)/fuzz_ng: $(BUILD)/fuzz_%: $(BUILD)/obj/test/fuzz/fuzz_%.o \
		$(call obj,$(RELAY_SRC)) $(WIRE_LIB) $(XFORM_LIB)
	$(CC) $(FUZZ_LINK) -o $@ $^ $(RELAY_LIBS)
$(BUILD)/fuzz_rules: $(BUILD)/obj/test/fuzz/fuzz_rules.o $(POLICY_OBJ)
	$(CC) $(FUZZ_LINK) -o $@ $^ $(POLICY_LIBS) -lm
fuzz-bins: $(FUZZ_BINS)

deps:
	@scripts/deps.sh

var/b2bua.db: $(MIGRATIONS) sql/sample.sql
	@mkdir -p var
	@test -f $@ || scripts/mkdb.sh $@ sql/sample.sql

# make run CONF=my.conf RELAY_CONF=my-relay.conf: other configs (the
# database a CONF names is created and migrated by the b2bua if missing).
CONF       ?= etc/b2bua.conf
RELAY_CONF ?= etc/media-relay.conf
run: deps all var/b2bua.db
	@scripts/run.sh $(BUILD) $(CONF) $(RELAY_CONF)

unit: all $(TESTBINS)
integration: all $(TESTBINS)

test: deps
	@$(MAKE) --no-print-directory all $(TESTBINS)
	@BUILD=$(BUILD) scripts/test.sh

asan:
	@$(MAKE) --no-print-directory SAN=1 test

bench: deps all $(BENCH_TOOLS)
	@scripts/deps.sh gnuplot-nox
	@scripts/bench/run.sh $(BUILD)

flood: deps all
	@scripts/flood.sh $(BUILD)

# FUZZ_SECONDS per target (default 60); FUZZ_TARGETS to pick some.
fuzz: deps
	@scripts/deps.sh clang libfuzzer-14-dev
	@$(MAKE) --no-print-directory FUZZ=1 fuzz-bins
	@scripts/fuzz.sh build-fuzz $(FUZZ_TARGETS)

clean:
	rm -rf build build-asan build-fuzz

# --- install (README, Install): Debian's places. Daemons in sbin, the tool
# for support staff in bin; configs in $(PREFIX)/etc/b2bua, or /etc/b2bua
# when PREFIX=/usr; the database and the socket in /var/lib/b2bua and
# /run/b2bua whatever PREFIX is (systemd's StateDirectory/RuntimeDirectory).
# An existing config is never overwritten. The user b2bua is created only
# when installing for real (no DESTDIR) as root.
PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
SBINDIR ?= $(PREFIX)/sbin
DATADIR ?= $(PREFIX)/share
MANDIR  ?= $(DATADIR)/man
UNITDIR ?= $(PREFIX)/lib/systemd/system
ifeq ($(PREFIX),/usr)
SYSCONFDIR ?= /etc
else
SYSCONFDIR ?= $(PREFIX)/etc
endif
CONFDIR  = $(SYSCONFDIR)/b2bua
SQLDIR   = $(DATADIR)/b2bua/sql
STATEDIR = /var/lib/b2bua
RUNDIR   = /run/b2bua
MANPAGES = b2bua.8 media-relay.8 b2bua-ctl.8
UNITS    = b2bua.service media-relay.service
SQL_INST = $(MIGRATIONS) sql/sample.sql
SUBST = sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@CONFDIR@|$(CONFDIR)|g' \
	    -e 's|@DATADIR@|$(DATADIR)|g' -e 's|@VERSION@|$(VERSION)|g'
# The sample configs with the installed places of the database and socket.
CONF_SUBST = sed -e 's|^path = var/b2bua.db|path = $(STATEDIR)/b2bua.db|' \
		 -e 's|^socket = var/b2bua.sock|socket = $(RUNDIR)/b2bua.sock|' \
		 -e 's|`make run` uses this file.|Installed by make install.|'

install: all
	@rm -rf $(BUILD)/dist && mkdir -p $(BUILD)/dist
	for f in $(MANPAGES); do $(SUBST) man/$$f > $(BUILD)/dist/$$f || exit 1; done
	for f in $(UNITS); do $(SUBST) dist/$$f > $(BUILD)/dist/$$f || exit 1; done
	for f in b2bua.conf media-relay.conf; do $(CONF_SUBST) etc/$$f > $(BUILD)/dist/$$f || exit 1; done
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(CONFDIR) $(DESTDIR)$(SQLDIR) \
		$(DESTDIR)$(DATADIR)/b2bua/scripts $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(UNITDIR)
	install -m 0755 $(BUILD)/b2bua $(BUILD)/media-relay $(DESTDIR)$(SBINDIR)/
	install -m 0755 $(BUILD)/b2bua-ctl $(DESTDIR)$(BINDIR)/
	install -m 0644 $(SQL_INST) $(DESTDIR)$(SQLDIR)/
	install -m 0755 scripts/mkdb.sh $(DESTDIR)$(DATADIR)/b2bua/scripts/
	install -m 0644 $(addprefix $(BUILD)/dist/,$(MANPAGES)) $(DESTDIR)$(MANDIR)/man8/
	install -m 0644 $(addprefix $(BUILD)/dist/,$(UNITS)) $(DESTDIR)$(UNITDIR)/
	for f in b2bua.conf media-relay.conf; do \
		if [ -e $(DESTDIR)$(CONFDIR)/$$f ]; then echo "install: keeping $(DESTDIR)$(CONFDIR)/$$f"; \
		else install -m 0644 $(BUILD)/dist/$$f $(DESTDIR)$(CONFDIR)/$$f || exit 1; fi; done
	@if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ] && ! getent passwd b2bua >/dev/null; then \
		echo "install: adding system user b2bua"; \
		useradd --system --user-group --home-dir $(STATEDIR) --no-create-home \
			--shell /usr/sbin/nologin b2bua; fi

# Configs stay (they may hold local changes), as do the user and the data.
uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/b2bua $(DESTDIR)$(SBINDIR)/media-relay $(DESTDIR)$(BINDIR)/b2bua-ctl
	rm -f $(addprefix $(DESTDIR)$(SQLDIR)/,$(notdir $(SQL_INST))) $(DESTDIR)$(DATADIR)/b2bua/scripts/mkdb.sh
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man8/,$(MANPAGES)) $(addprefix $(DESTDIR)$(UNITDIR)/,$(UNITS))
	-rmdir $(DESTDIR)$(SQLDIR) $(DESTDIR)$(DATADIR)/b2bua/scripts $(DESTDIR)$(DATADIR)/b2bua 2>/dev/null
	@echo "uninstall: kept $(DESTDIR)$(CONFDIR)/ (configs), the user b2bua and $(STATEDIR)"

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
