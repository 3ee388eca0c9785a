# Edge-View in C - one non-recursive Makefile.
#
#   make            build everything (MODE=release, objects under build/release/)
#   make test       install dependencies, build, run every test
#   make check      the same tests built with AddressSanitizer + UBSan (build/asan/)
#   make fuzz       libFuzzer targets (clang), each for FUZZ_SECONDS
#   make bench      benchmarks; results go to docs/BENCHMARKS.md by hand
#   make demo       install dependencies, build, run the demo on loopback
#   make deps       install the Debian packages of scripts/debian-packages.txt
#   make lint       clang-format check and banned-call grep
#   make clean
#
# V=1 shows the commands.  WERROR= turns -Werror off for local experiments.

MODE ?= release
BUILD ?= build/$(MODE)
CC ?= cc
CLANG ?= clang
FUZZ_SECONDS ?= 30
WERROR ?= -Werror

ifeq ($(V),1)
Q :=
else
Q := @
endif

PKGS := openssl jansson libssh
# libwebsockets only for the programs, never for lib/ parsers or their tests
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
# libssh is not linked: lib/ev_sshdl.c loads it on first use (memory per idle process).
PKG_LIBS := $(shell pkg-config --libs openssl jansson 2>/dev/null)
# Every program links libprotobuf-c: lib/ holds the generated device API code (proto/).
PROTOC_C ?= protoc-c
PROTO_LIBS := $(or $(shell pkg-config --libs libprotobuf-c 2>/dev/null),-lprotobuf-c)
PKG_LIBS += $(PROTO_LIBS)
CMOCKA_LIBS := $(shell pkg-config --libs cmocka 2>/dev/null)
# Unit tests may call libssh directly as an oracle for our SSH-key parsing.
TEST_LIBS := $(CMOCKA_LIBS) $(shell pkg-config --libs libssh 2>/dev/null)

WARNINGS := -Wall -Wextra $(WERROR) -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wold-style-definition -Wpointer-arith -Wformat=2 -Wformat-security \
	-Wimplicit-fallthrough -Wvla -Wundef -Wwrite-strings -Wcast-align \
	-Wmissing-declarations -Wredundant-decls -Wnested-externs
BASE_CFLAGS := -std=c11 -D_GNU_SOURCE -g -MMD -MP $(WARNINGS) -Ilib -I$(BUILD)/gen $(PKG_CFLAGS)

ifeq ($(MODE),release)
MODE_CFLAGS := -O2 -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fstack-clash-protection \
	-fcf-protection -fPIE
MODE_LDFLAGS := -pie -Wl,-z,relro,-z,now,-z,noexecstack -Wl,--as-needed
else ifeq ($(MODE),asan)
MODE_CFLAGS := -O1 -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer -DEV_SANITIZE=1
MODE_LDFLAGS := -fsanitize=address,undefined
else ifeq ($(MODE),debug)
MODE_CFLAGS := -O0
MODE_LDFLAGS :=
else
$(error MODE must be release, asan or debug)
endif

ALL_CFLAGS := $(BASE_CFLAGS) $(MODE_CFLAGS) $(CFLAGS)
ALL_LDFLAGS := $(MODE_LDFLAGS) $(LDFLAGS)

# ---- EVE device API: C generated from proto/ by protoc-c, never committed ----
PROTO_SRCS := $(wildcard proto/*/*.proto proto/*/*/*.proto)
PROTO_GEN_C := $(PROTO_SRCS:proto/%.proto=$(BUILD)/gen/%.pb-c.c)
PROTO_GEN_H := $(PROTO_GEN_C:%.c=%.h)
PROTO_OBJS := $(PROTO_GEN_C:%.c=%.o)

# ---- the shared library of every program ----
LIB_SRCS := $(wildcard lib/*.c)
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/%.o) $(PROTO_OBJS)
LIBEV := $(BUILD)/libevcommon.a

# ---- tests ----
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/unit/%)
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_NAMES := $(FUZZ_SRCS:tests/fuzz/fuzz_%.c=%)
REPLAY_BINS := $(FUZZ_NAMES:%=$(BUILD)/tests/fuzz/replay_%)
BENCH_SRCS := $(wildcard tests/bench/bench_*.c)
BENCH_BINS := $(BENCH_SRCS:tests/bench/%.c=$(BUILD)/tests/bench/%)
DEMO_BINS := $(BUILD)/tests/demo/demo_protocol

LWS_LIBS := $(shell pkg-config --libs libwebsockets 2>/dev/null)

# ---- programs: NAME, source directory, extra libraries ----
PROGRAMS :=
define PROGRAM
$(1)_SRCS := $$(wildcard $(2)/*.c)
$(1)_OBJS := $$($(1)_SRCS:%.c=$$(BUILD)/%.o)
$$(BUILD)/bin/$(1): $$($(1)_OBJS) $$(LIBEV)
	@mkdir -p $$(@D)
	@$$(if $$(Q),echo "  LINK    $$@")
	$$(Q)$$(CC) $$(ALL_LDFLAGS) -o $$@ $$($(1)_OBJS) $$(LIBEV) $(3) $$(PKG_LIBS)
ifneq ($$($(1)_SRCS),)
PROGRAMS += $$(BUILD)/bin/$(1)
endif
endef
$(eval $(call PROGRAM,edgeview-dispatcher,dispatcher,$(LWS_LIBS) -lev))

$(eval $(call PROGRAM,edgeview,client,$(LWS_LIBS) -lev -ledit))

# edgeviewd: everything but main.c also goes into libedgeviewd.a, so unit
# tests can call the commands directly.
EDGEVIEWD_LIBS := $(LWS_LIBS) -lev -lmnl -lz -lresolv
EDGEVIEWD_SRCS := $(wildcard edgeview/*.c)
EDGEVIEWD_LIB_OBJS := $(filter-out $(BUILD)/edgeview/main.o,$(EDGEVIEWD_SRCS:%.c=$(BUILD)/%.o))
EDGEVIEWD_LIB := $(BUILD)/libedgeviewd.a
$(EDGEVIEWD_LIB): $(EDGEVIEWD_LIB_OBJS)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^
$(BUILD)/bin/edgeviewd: $(BUILD)/edgeview/main.o $(EDGEVIEWD_LIB) $(LIBEV)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $< $(EDGEVIEWD_LIB) $(LIBEV) $(EDGEVIEWD_LIBS) $(PKG_LIBS)
ifneq ($(EDGEVIEWD_SRCS),)
PROGRAMS += $(BUILD)/bin/edgeviewd
endif
$(eval $(call PROGRAM,edgeview-bench,dispatcher/bench,$(LWS_LIBS) -lz))

# eve-agent: like edgeviewd, everything but main.c also goes into libagent.a for
# the unit tests test_ag_*.c.  The TPM identity code needs tpm2-tss (ESAPI).
# tpm2-tss is not linked: agent/tss2dl.c loads it with each TPM connection
# (private memory of every idle agent), so only its headers are needed here.
TSS2_PKGS := tss2-esys tss2-tctildr tss2-rc
TSS2_CFLAGS := $(shell pkg-config --cflags $(TSS2_PKGS) 2>/dev/null)
AGENT_LIBS := $(LWS_LIBS) -lev -lz -ldl
AGENT_SRCS := $(wildcard agent/*.c)
AGENT_LIB_OBJS := $(filter-out $(BUILD)/agent/main.o,$(AGENT_SRCS:%.c=$(BUILD)/%.o))
AGENT_LIB := $(BUILD)/libagent.a
$(BUILD)/agent/%.o: ALL_CFLAGS += $(TSS2_CFLAGS)
$(AGENT_LIB): $(AGENT_LIB_OBJS)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^
$(BUILD)/bin/eve-agent: $(BUILD)/agent/main.o $(AGENT_LIB) $(LIBEV)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $< $(AGENT_LIB) $(LIBEV) $(AGENT_LIBS) $(PKG_LIBS)
ifneq ($(wildcard agent/main.c),)
PROGRAMS += $(BUILD)/bin/eve-agent
endif

.PHONY: all proto deps test test-run check fuzz bench bench-run demo demo-run lint format clean
.DEFAULT_GOAL := all
# Keep objects that pattern rules produce on the way to a binary.
.SECONDARY:

all: $(LIBEV) $(PROGRAMS) $(UNIT_BINS) $(REPLAY_BINS) $(BENCH_BINS) $(DEMO_BINS)

# Only the generated C, e.g. for an ad-hoc compiler line: -I$(BUILD)/gen $(BUILD)/gen/*/*.c
proto: $(PROTO_GEN_C) $(PROTO_GEN_H)

deps:
	$(Q)scripts/deps.sh

# test, check, demo and bench work as the first command on a fresh machine.
test: deps
	$(Q)$(MAKE) --no-print-directory MODE=release BUILD=build/release test-run

test-run: all
	$(Q)tests/run.sh $(BUILD)

check: deps
	$(Q)$(MAKE) --no-print-directory MODE=asan BUILD=build/asan test-run

demo: deps
	$(Q)$(MAKE) --no-print-directory MODE=release demo-run

demo-run: all
	$(Q)scripts/demo.sh $(BUILD)

bench: deps
	$(Q)$(MAKE) --no-print-directory MODE=release bench-run

bench-run: all
	$(Q)scripts/bench.sh $(BUILD)

# ---- compile rules ----
# Every object waits for the generated headers (order-only); -MMD then tracks them.
$(BUILD)/%.o: %.c | $(PROTO_GEN_H)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

# One protoc-c run writes both files; its paths mirror proto/.
$(BUILD)/gen/%.pb-c.c $(BUILD)/gen/%.pb-c.h: proto/%.proto
	@mkdir -p $(@D)
	@$(if $(Q),echo "  PROTOC  $<")
	$(Q)$(PROTOC_C) -Iproto --c_out=$(BUILD)/gen $<

$(BUILD)/gen/%.o: $(BUILD)/gen/%.c | $(PROTO_GEN_H)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

$(LIBEV): $(LIB_OBJS)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^

# Unit tests find their vectors and fixtures through EV_TEST_DATA.
$(BUILD)/tests/unit/%.o: ALL_CFLAGS += -DEV_TEST_DATA='"$(CURDIR)/tests/data"' -Itests/unit

$(BUILD)/tests/unit/%: $(BUILD)/tests/unit/%.o $(BUILD)/tests/unit/ev_test.o $(LIBEV)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $(filter %.o,$^) $(LIBEV) $(PKG_LIBS) $(TEST_LIBS)

# Unit tests of the device's commands (test_ed_*.c) link libedgeviewd.a too.
$(BUILD)/tests/unit/test_ed_%.o: ALL_CFLAGS += -Iedgeview
$(BUILD)/tests/unit/test_ed_%: $(BUILD)/tests/unit/test_ed_%.o $(BUILD)/tests/unit/ev_test.o $(EDGEVIEWD_LIB) $(LIBEV)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $(filter %.o,$^) $(EDGEVIEWD_LIB) $(LIBEV) $(EDGEVIEWD_LIBS) $(PKG_LIBS) $(TEST_LIBS)

# Unit tests of the agent (test_ag_*.c) link libagent.a too.
$(BUILD)/tests/unit/test_ag_%.o: ALL_CFLAGS += -Iagent $(TSS2_CFLAGS)
$(BUILD)/tests/unit/test_ag_%: $(BUILD)/tests/unit/test_ag_%.o $(BUILD)/tests/unit/ev_test.o $(AGENT_LIB) $(LIBEV)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $(filter %.o,$^) $(AGENT_LIB) $(LIBEV) $(AGENT_LIBS) $(PKG_LIBS) $(TEST_LIBS)

$(BUILD)/tests/fuzz/replay_%: $(BUILD)/tests/fuzz/fuzz_%.o $(BUILD)/tests/fuzz/replay_main.o $(LIBEV)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $(filter %.o,$^) $(LIBEV) $(PKG_LIBS)

$(BUILD)/tests/bench/%: $(BUILD)/tests/bench/%.o $(LIBEV)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $< $(LIBEV) $(PKG_LIBS)

$(BUILD)/tests/demo/%: $(BUILD)/tests/demo/%.o $(LIBEV)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $< $(LIBEV) $(PKG_LIBS)

# ---- fuzzing: clang libFuzzer, built straight from the library sources ----
FUZZ_BUILD := build/fuzz
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE -g -O1 -Ilib -I$(BUILD)/gen $(PKG_CFLAGS) \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
FUZZ_BINS := $(FUZZ_NAMES:%=$(FUZZ_BUILD)/fuzz_%)

$(FUZZ_BUILD)/fuzz_%: tests/fuzz/fuzz_%.c $(LIB_SRCS) $(wildcard lib/*.h) $(wildcard edgeview/*.c) \
		$(PROTO_GEN_C) $(PROTO_GEN_H)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  FUZZCC  $@")
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -o $@ $< $(filter-out lib/ev_ws.c,$(LIB_SRCS)) $(PROTO_GEN_C) \
		$(PKG_LIBS)

fuzz: deps
	$(Q)$(MAKE) --no-print-directory fuzz-build
	$(Q)scripts/fuzz.sh $(FUZZ_BUILD) $(FUZZ_SECONDS) $(FUZZ_NAMES)

.PHONY: fuzz-build
fuzz-build: $(FUZZ_BINS)

# ---- style ----
C_SOURCES = $(shell git ls-files '*.c' '*.h' 2>/dev/null)
BANNED := sprintf|strcpy|strcat|strtok|atoi|gets|sscanf|strncpy|vsprintf|atol|atoll
lint:
	$(Q)clang-format --dry-run --Werror $(C_SOURCES)
	$(Q)if grep -nE '(^|[^_a-zA-Z0-9])($(BANNED))[[:space:]]*\(' $(C_SOURCES); then \
		echo "lint: banned call (see Makefile BANNED)"; exit 1; fi
	@echo "lint: ok"

format:
	$(Q)clang-format -i $(C_SOURCES)

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
