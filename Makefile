# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# p2pkp-xdp: the p2pkp-xdp command and its test tools (one binary per tools/NAME/), BPF embedded
# as libbpf skeletons, everything built in $(BUILD).

BUILD    ?= build
CC       ?= gcc
CLANG    ?= clang
BPFTOOL  ?= bpftool
PREFIX   ?= /usr/local
DESTDIR  ?=
SBINDIR  ?= $(PREFIX)/sbin
MANDIR   ?= $(PREFIX)/share/man

# Test knobs: FUZZ_SECONDS bounds the fuzz smoke run in `make check`.
FUZZ_SECONDS ?= 60

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-9s %s\n' "$(1)" "$(2)";
endif

MULTIARCH := $(shell $(CC) -print-multiarch 2>/dev/null)
ARCH      := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')

PKGS      := libxdp libbpf libelf libmnl liburing libisal libxxhash libcrypto
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARNFLAGS := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	     -Wno-unused-parameter
CFLAGS    ?= -O2 -g
# loader/ is layered in sub-directories (docs/design.md); headers are included by bare name.
LOADER_INC := -Iloader $(patsubst %/,-I%,$(sort $(dir $(wildcard loader/*/*.h))))
ALL_CFLAGS := -std=gnu11 -D_GNU_SOURCE $(WARNFLAGS) $(CFLAGS) -Icommon $(LOADER_INC) -I$(BUILD) \
	      $(PKG_CFLAGS) -MMD -MP
LDLIBS    := $(PKG_LIBS) -lpthread

SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

BPF_CFLAGS := -O2 -g -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -Werror -Icommon \
	      $(if $(MULTIARCH),-I/usr/include/$(MULTIARCH))

COMMON_SRCS := $(wildcard common/*.c)
LOADER_SRCS := $(wildcard loader/*.c loader/*/*.c)
# Every tools/NAME/ with C sources is one binary, build/NAME, linked with the library.
TOOL_DIRS   := $(patsubst tools/%/,%,$(dir $(wildcard tools/*/*.c)))
TOOL_NAMES  := $(sort $(TOOL_DIRS))
BPF_SRCS    := $(wildcard bpf/*.bpf.c)
UNIT_SRCS   := $(wildcard tests/unit/test_*.c)
BPFT_SRCS   := $(wildcard tests/bpf/test_*.c)
FUZZ_SRCS   := $(wildcard tests/fuzz/fuzz_*.c)

BPF_OBJS  := $(patsubst bpf/%.bpf.c,$(BUILD)/bpf/%.bpf.o,$(BPF_SRCS))
SKELS     := $(patsubst bpf/%.bpf.c,$(BUILD)/%.skel.h,$(BPF_SRCS))
LIB_SRCS  := $(COMMON_SRCS) $(LOADER_SRCS)
LIB_OBJS  := $(patsubst %.c,$(BUILD)/obj/%.o,$(LIB_SRCS))
ASAN_OBJS := $(patsubst %.c,$(BUILD)/asan/%.o,$(LIB_SRCS))
LIB       := $(BUILD)/libp2pkp.a
ASAN_LIB  := $(BUILD)/libp2pkp-asan.a
BIN       := $(BUILD)/p2pkp-xdp
TOOL_BINS := $(addprefix $(BUILD)/,$(TOOL_NAMES))
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
ASAN_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/asan/%,$(UNIT_SRCS))
BPFT_BINS := $(patsubst tests/bpf/%.c,$(BUILD)/tests/bpf/%,$(BPFT_SRCS))
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRCS))
MAN_PAGES := $(wildcard docs/*.8)

.DELETE_ON_ERROR:
.SECONDARY:
.PHONY: all deps check unit mutate test-bins fuzz fuzz-smoke format fmt-check install uninstall \
	demo clean bpf-compilers vmtest bench

all: $(TOOL_BINS) test-bins

test-bins: $(UNIT_BINS) $(ASAN_BINS) $(BPFT_BINS)

deps:
	$(Q)tools/deps.sh

# --- BPF objects and skeletons ---------------------------------------------
$(BUILD)/bpf/%.bpf.o: bpf/%.bpf.c common/p2pkp_shared.h $(wildcard bpf/*.h) | $(BUILD)/bpf
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/%.skel.h: $(BUILD)/bpf/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $(subst -,_,$*) > $@

# --- userspace -----------------------------------------------------------------
$(BUILD)/obj/%.o: %.c $(SKELS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/asan/%.o: %.c $(SKELS)
	$(call msg,CC-ASAN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) -c $< -o $@

$(LIB): $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(ASAN_LIB): $(ASAN_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

define tool_rule
$(BUILD)/$(1): $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard tools/$(1)/*.c)) $(LIB)
	$$(call msg,LD,$$@)
	$$(Q)$$(CC) $$(CFLAGS) -o $$@ $$(filter %.o,$$^) $$(LIB) $$(LDLIBS)
endef
$(foreach t,$(TOOL_NAMES),$(eval $(call tool_rule,$(t))))

# --- tests -----------------------------------------------------------------------
$(BUILD)/tests/%: tests/unit/%.c $(LIB) $(SKELS)
	$(call msg,CC-TEST,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $< $(LIB) $(LDLIBS) -lcmocka

$(BUILD)/tests/asan/%: tests/unit/%.c $(ASAN_LIB) $(SKELS)
	$(call msg,CC-ASAN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) -o $@ $< $(ASAN_LIB) $(LDLIBS) -lcmocka

$(BUILD)/tests/bpf/%: tests/bpf/%.c $(LIB) $(SKELS)
	$(call msg,CC-TEST,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $< $(LIB) $(LDLIBS) -lcmocka

# Fuzzers link the common sources directly, built by clang with libFuzzer.
$(BUILD)/fuzz/%: tests/fuzz/%.c $(COMMON_SRCS) $(wildcard common/*.h)
	$(call msg,FUZZ-CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) -std=gnu11 -D_GNU_SOURCE -g -O1 -Icommon -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=all -o $@ $< $(COMMON_SRCS) -lisal -lxxhash -lcrypto

# Seed corpus: the golden vectors, hex to binary.
$(BUILD)/fuzz/seeds: $(wildcard tests/vectors/*.hex)
	$(call msg,SEEDS,$@)
	$(Q)rm -rf $@ && mkdir -p $@
	$(Q)for f in $^; do sed 's/#.*//' "$$f" | xxd -r -p > $@/$$(basename "$$f" .hex).bin; done

fuzz-smoke: $(FUZZ_BINS) $(BUILD)/fuzz/seeds
	$(Q)tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_BINS)

fuzz: $(FUZZ_BINS) $(BUILD)/fuzz/seeds
	$(Q)tests/fuzz/run.sh $(or $(SECONDS),600) $(FUZZ_BINS)

unit: $(UNIT_BINS) $(ASAN_BINS)
	$(Q)tests/run.sh unit asan

# Break the code on purpose, one promise at a time: every mutation must be caught.
mutate: all
	$(Q)BUILD=$(BUILD) tests/mutate.sh

check: all $(FUZZ_BINS) $(BUILD)/fuzz/seeds
	$(Q)BUILD=$(BUILD) FUZZ_SECONDS=$(FUZZ_SECONDS) tests/run.sh

# Every clang the project supports must build the BPF objects, and they must load.
BPF_CLANGS ?= clang-14 clang-16 clang-19
bpf-compilers: $(BPF_SRCS)
	$(Q)for c in $(BPF_CLANGS); do \
		$(MAKE) --no-print-directory BUILD=$(BUILD)/clang/$$c CLANG=$$c $(BUILD)/clang/$$c/p2pkp-xdp \
			|| exit 1; \
	done

format:
	$(Q)clang-format -i $$(git ls-files '*.c' '*.h')

fmt-check:
	$(Q)clang-format --dry-run --Werror $$(git ls-files '*.c' '*.h')

demo: $(BIN)
	$(Q)tools/demo.sh

vmtest: all
	$(Q)vmtest/vmtest.sh $(KERNELS)

# SIZE=, RUNS=, QUICK=1: see tools/bench/bench.sh --help.
bench: all
	$(Q)BUILD=$(BUILD) tools/bench/bench.sh

install: $(BIN)
	$(call msg,INSTALL,$(DESTDIR)$(SBINDIR))
	$(Q)install -D -m 0755 $(BIN) $(DESTDIR)$(SBINDIR)/p2pkp-xdp
	$(Q)for m in $(MAN_PAGES); do \
		install -D -m 0644 $$m $(DESTDIR)$(MANDIR)/man8/$$(basename $$m); done

uninstall:
	$(Q)rm -f $(DESTDIR)$(SBINDIR)/p2pkp-xdp
	$(Q)for m in $(MAN_PAGES); do rm -f $(DESTDIR)$(MANDIR)/man8/$$(basename $$m); done

$(BUILD)/bpf:
	$(Q)mkdir -p $@

clean:
	$(call msg,CLEAN,$(BUILD))
	$(Q)rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
