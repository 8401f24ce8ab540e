# libkrun-c: one non-recursive Makefile for the library, the guest kernel bundle,
# the guest init, the examples and the tests.
#
#   make              library, libkrunfw, examples, guest init (installs build deps via apt)
#   make check        unit tests (ASan+UBSan), then VM tests (real or emulated KVM)
#   make check T=name only the tests whose name contains "name"
#   make bench        benchmarks, side by side with a peer
#   make install      PREFIX=/usr/local DESTDIR= LIBDIR=(the distribution's)
#   make clean

PREFIX     ?= /usr/local
# LIBDIR follows the distribution's convention, so that the loader and pkg-config
# find what lands there: Debian and its derivatives use the multiarch directory
# (lib/x86_64-linux-gnu), distributions with a real /usr/lib64 (Fedora, SUSE)
# use lib64, the rest lib.
MULTIARCH  := $(shell $(or $(CC),cc) -print-multiarch 2>/dev/null)
LIBDIR     ?= $(PREFIX)/$(if $(and $(wildcard /etc/debian_version),$(MULTIARCH)),lib/$(MULTIARCH),$(if $(shell test -d /usr/lib64 -a ! -L /usr/lib64 && echo y),lib64,lib))
INCLUDEDIR ?= $(PREFIX)/include
BINDIR     ?= $(PREFIX)/bin
DESTDIR    ?=
ARCH       ?= $(shell uname -m)

B := build
# Quiet rules; V=1 shows the commands.
Q := $(if $(V),,@)
CC ?= cc
CFLAGS ?= -O2 -g

VERSION       := 1.0.0
SONAME        := libkrun.so.1
KRUNFW_SONAME := libkrunfw.so.5

WARNINGS := -Wall -Wextra -Werror -Wshadow -Wpointer-arith -Wstrict-prototypes \
	-Wmissing-prototypes -Wformat=2 -Wvla -Wundef -Wwrite-strings \
	-Wimplicit-fallthrough -Wcast-align -Wno-missing-field-initializers
BASE_CFLAGS := -std=gnu11 -D_GNU_SOURCE $(WARNINGS) -fno-strict-aliasing \
	-fstack-protector-strong -Iinclude -Isrc -MMD -MP
LIB_CFLAGS  := $(BASE_CFLAGS) -fPIC -fvisibility=hidden -D_FORTIFY_SOURCE=2
SAN_CFLAGS  := $(BASE_CFLAGS) -O1 -g -fno-omit-frame-pointer \
	-fsanitize=address,undefined -fno-sanitize-recover=all
LDFLAGS ?=
# The decompressors for compressed kernels (src/util/decompress_*.c) dlopen
# zlib, libbz2 and libzstd on first use (util/dynlib.h): only their headers
# are needed to build. Unit tests link them to make compressed test kernels.
LIB_LIBS :=
TEST_LIBS := -lz -lbz2 -lzstd

# Dependencies come from apt, through the repo's own script (see scripts/deps.sh).
DEPS := scripts/deps.sh

.PHONY: all lib examples init libkrunfw check unit-tests vm-test-progs oci-runtimes bench demo \
	install uninstall clean deps-build deps-check

all: lib libkrunfw init examples

deps-build:
	@$(DEPS) build
deps-check:
	@$(DEPS) check

# ---------------------------------------------------------------------------
# libkrun.so.1: generic layers, plus the arch layer chosen by directory name.
LIB_SRCS := $(sort $(wildcard src/api/*.c src/vmm/*.c src/virtio/*.c \
	src/devices/*.c src/devices/*/*.c src/fs/*.c src/vsock/*.c src/tsi/*.c src/util/*.c \
	src/arch/$(ARCH)/*.c))
LIB_ASM  := $(sort $(wildcard src/*/*.S src/arch/$(ARCH)/*.S))
LIB_OBJS := $(LIB_SRCS:%.c=$(B)/pic/%.o) $(LIB_ASM:%.S=$(B)/pic/%.o)
SAN_OBJS := $(LIB_SRCS:%.c=$(B)/san/%.o) $(LIB_ASM:%.S=$(B)/san/%.o)

lib: $(B)/$(SONAME)

$(B)/pic/%.o: %.c
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(CC) $(CFLAGS) $(LIB_CFLAGS) -c $< -o $@

$(B)/pic/%.o: %.S
	@mkdir -p $(@D)
	@echo "  AS      $<"
	$(Q)$(CC) $(LIB_CFLAGS) -c $< -o $@

$(B)/san/%.o: %.c
	@mkdir -p $(@D)
	@echo "  CC san  $<"
	$(Q)$(CC) $(SAN_CFLAGS) -c $< -o $@

$(B)/san/%.o: %.S
	@mkdir -p $(@D)
	@echo "  AS san  $<"
	$(Q)$(CC) $(SAN_CFLAGS) -c $< -o $@

$(B)/$(SONAME): $(LIB_OBJS)
	@echo "  LD      $@"
	$(Q)$(CC) -shared -Wl,-soname,$(SONAME) -Wl,-z,relro,-z,now -Wl,--no-undefined \
		-Wl,-rpath,'$$ORIGIN' $(LDFLAGS) -o $(B)/libkrun.so.$(VERSION) $^ $(LIB_LIBS) -lpthread -ldl
	$(Q)ln -sf libkrun.so.$(VERSION) $@
	$(Q)ln -sf $(SONAME) $(B)/libkrun.so

# Unit tests link the sanitizer build of the library statically.
$(B)/libkrun-san.a: $(SAN_OBJS)
	@rm -f $@
	$(Q)ar rcs $@ $^

# ---------------------------------------------------------------------------
# Guest kernel bundle (libkrunfw.so.5). kernel/build.sh caches the kernel build
# outside the checkout; see kernel/README.md.
KRUNFW_OBJS := $(B)/krunfw/krunfw.o $(B)/krunfw/bundle.o

libkrunfw: $(B)/$(KRUNFW_SONAME)

# build.sh runs when one of its inputs is newer than kernel.bin: its own files,
# the source package's tarball and the compiler (a package upgrade renews both).
# It decides from content hashes whether anything is rebuilt (a warm key copies
# outputs in about a second), so an install from a finished tree writes nothing.
KERNEL_INPUTS := kernel/build.sh kernel/config.fragment kernel/flatten.c \
	$(wildcard kernel/patches/series kernel/patches/*.patch /usr/src/linux-source-6.1.tar.xz) \
	$(realpath $(shell command -v gcc 2>/dev/null))
$(B)/kernel/kernel.bin: $(KERNEL_INPUTS) | deps-build
	@kernel/build.sh $(B)
	@touch $@
$(B)/kernel/kernel.env: $(B)/kernel/kernel.bin ;

# KRUNFW_COW_RANGE: the image's read-mostly part (kernel/cow-range.sh).
$(B)/krunfw/krunfw.o: kernel/krunfw.c kernel/krunfw.h kernel/cow-range.sh $(B)/kernel/kernel.env
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q). $(B)/kernel/kernel.env && cow=$$(kernel/cow-range.sh $(B)/kernel/vmlinux) && \
		$(CC) $(CFLAGS) $(LIB_CFLAGS) -DKRUNFW_COW_RANGE="$$cow" \
		-DKRUNFW_LOAD_ADDR=$$KERNEL_LOAD_ADDR -DKRUNFW_ENTRY=$$KERNEL_ENTRY \
		-DKRUNFW_IMAGE_SIZE=$$KERNEL_IMAGE_SIZE -DKRUNFW_RELEASE="\"$$KERNEL_RELEASE\"" \
		-DKRUNFW_CONFIG_SHA256="\"$$KERNEL_CONFIG_SHA256\"" -c $< -o $@

$(B)/krunfw/bundle.o: kernel/bundle.S $(B)/kernel/kernel.bin
	@mkdir -p $(@D)
	@echo "  AS      $<"
	$(Q)$(CC) $(LIB_CFLAGS) -DKRUNFW_IMAGE='"$(B)/kernel/kernel.bin"' -c $< -o $@

$(B)/$(KRUNFW_SONAME): $(KRUNFW_OBJS)
	@echo "  LD      $@"
	$(Q)$(CC) -shared -Wl,-soname,$(KRUNFW_SONAME) -Wl,-z,relro,-z,now -Wl,--no-undefined \
		-Wl,-rpath,'$$ORIGIN' $(LDFLAGS) -o $@ $^
	$(Q)ln -sf $(KRUNFW_SONAME) $(B)/libkrunfw.so

.PHONY: FORCE
FORCE:

# ---------------------------------------------------------------------------
# Guest init: a static binary, embedded in libkrun.so.
# init/ shares only src/vmm/guest_abi.h with the library; init/config.c is also
# linked into its unit test. The blob's object depends on the binary, and the .S
# gets its path from KRUN_INIT_PATH.
INIT_SRCS   := $(sort $(wildcard init/*.c))
INIT_OBJS   := $(INIT_SRCS:%.c=$(B)/init/obj/%.o)
INIT_CFLAGS := $(BASE_CFLAGS) -O2 -ffunction-sections -fdata-sections -D_FORTIFY_SOURCE=2

init: $(B)/init/init

$(B)/init/obj/%.o: %.c
	@mkdir -p $(@D)
	@echo "  CC init $<"
	$(Q)$(CC) $(INIT_CFLAGS) -c $< -o $@

$(B)/init/init: $(INIT_OBJS)
	@echo "  LD      $@"
	$(Q)$(CC) -static -s -Wl,--gc-sections -o $@ $^

$(B)/pic/src/vmm/init_blob.o $(B)/san/src/vmm/init_blob.o: $(B)/init/init
$(B)/pic/src/vmm/init_blob.o: LIB_CFLAGS += -DKRUN_INIT_PATH='"$(B)/init/init"'
$(B)/san/src/vmm/init_blob.o: SAN_CFLAGS += -DKRUN_INIT_PATH='"$(B)/init/init"'

# Unit tests of init's parts that build on the host link the objects they test.
INIT_UNIT_TESTS := $(B)/tests/unit/test_guest_config $(B)/tests/unit/test_oci_config \
	$(B)/tests/unit/test_init_dhcp
$(B)/tests/unit/test_guest_config: $(B)/san/init/config.o
$(B)/tests/unit/test_oci_config: $(B)/san/init/json.o $(B)/san/init/oci_config.o \
	$(B)/san/init/config.o
$(B)/tests/unit/test_init_dhcp: $(B)/san/init/dhcp.o
$(INIT_UNIT_TESTS): $(B)/tests/unit/%: tests/unit/%.c $(B)/tests/unit/harness.o \
		$(B)/libkrun-san.a
	@mkdir -p $(@D)
	@echo "  CCLD    $@"
	$(Q)$(CC) $(SAN_CFLAGS) -Itests/unit -I. -o $@ $< $(filter $(B)/san/init/%.o,$^) \
		$(B)/tests/unit/harness.o $(B)/libkrun-san.a $(TEST_LIBS) -lpthread -ldl

# ---------------------------------------------------------------------------
# Examples.
EXAMPLES := $(patsubst examples/%.c,$(B)/examples/%,$(wildcard examples/*.c))
examples: $(EXAMPLES)

$(B)/examples/%: examples/%.c $(B)/$(SONAME)
	@mkdir -p $(@D)
	@echo "  CCLD    $@"
	$(Q)$(CC) $(CFLAGS) $(BASE_CFLAGS) -o $@ $< -L$(B) -lkrun -Wl,-rpath,'$$ORIGIN/..'

# ---------------------------------------------------------------------------
# Tests. Unit tests: tests/unit/test_*.c, one program each, ASan+UBSan.
# VM test programs: tests/vm/*.c, built plainly (they run inside KVM guests or
# the emulated machine). Runner tools: tests/runner/*.c.
UNIT_TESTS := $(patsubst tests/unit/%.c,$(B)/tests/unit/%,$(wildcard tests/unit/test_*.c))
# tests/vm/guest/*.c are static programs that run inside guests.
VM_PROGS   := $(patsubst tests/vm/%.c,$(B)/tests/vm/%,$(wildcard tests/vm/*.c)) \
	$(patsubst tests/vm/guest/%.c,$(B)/tests/vm/guest/%,$(wildcard tests/vm/guest/*.c)) \
	$(patsubst tests/runner/%.c,$(B)/tests/runner/%,$(wildcard tests/runner/*.c))

# tests/check.sh's self-test runs these purpose-made crashes through its unit stage.
CHECK_FIXTURES := $(patsubst tests/runner/fixtures/check/%.c,$(B)/tests/runner/fixtures/%,\
	$(wildcard tests/runner/fixtures/check/test_*.c))

unit-tests: $(UNIT_TESTS) $(CHECK_FIXTURES)
vm-test-progs: $(VM_PROGS)

$(B)/tests/unit/harness.o: tests/unit/harness.c tests/unit/harness.h
	@mkdir -p $(@D)
	@echo "  CC san  $<"
	$(Q)$(CC) $(SAN_CFLAGS) -c $< -o $@

$(B)/tests/unit/test_%: tests/unit/test_%.c $(B)/tests/unit/harness.o $(B)/libkrun-san.a
	@mkdir -p $(@D)
	@echo "  CCLD    $@"
	$(Q)$(CC) $(SAN_CFLAGS) -Itests/unit -o $@ $< $(B)/tests/unit/harness.o \
		$(B)/libkrun-san.a -Wl,-rpath,'$$ORIGIN/../..' $(TEST_LIBS) -lpthread -ldl

$(B)/tests/vm/%: tests/vm/%.c $(B)/$(SONAME)
	@mkdir -p $(@D)
	@echo "  CCLD    $@"
	$(Q)$(CC) $(CFLAGS) $(BASE_CFLAGS) -o $@ $< -L$(B) -Wl,-rpath,'$$ORIGIN/../..' -lkrun -lpthread

$(B)/tests/vm/guest/%: tests/vm/guest/%.c
	@mkdir -p $(@D)
	@echo "  CCLD    $@ (static)"
	$(Q)$(CC) $(CFLAGS) $(BASE_CFLAGS) -static -o $@ $<

$(B)/tests/runner/fixtures/%: tests/runner/fixtures/check/%.c $(B)/tests/unit/harness.o
	@mkdir -p $(@D)
	@echo "  CCLD    $@"
	$(Q)$(CC) $(SAN_CFLAGS) -Itests/unit -o $@ $< $(B)/tests/unit/harness.o

# The mode decision's boot probe runs a real guest through the library.
$(B)/tests/runner/boot_probe: tests/runner/boot_probe.c $(B)/$(SONAME)
	@mkdir -p $(@D)
	@echo "  CCLD    $@"
	$(Q)$(CC) $(CFLAGS) $(BASE_CFLAGS) -o $@ $< -L$(B) -Wl,-rpath,'$$ORIGIN/../..' -lkrun

$(B)/tests/runner/%: tests/runner/%.c
	@mkdir -p $(@D)
	@echo "  CCLD    $@"
	$(Q)$(CC) $(CFLAGS) $(BASE_CFLAGS) -o $@ $<

# crun with its krun handler (Debian's source, built against our header) for the
# tests/vm/oci_*.sh tests, cached outside the tree (scripts/build-crun.sh); built
# here because inside the emulated KVM machine the host's / is read-only.
oci-runtimes:
	@scripts/build-crun.sh >/dev/null

check: deps-check
	@$(MAKE) --no-print-directory all unit-tests vm-test-progs oci-runtimes
	@tests/check.sh $(T)

bench: deps-check
	@$(MAKE) --no-print-directory all vm-test-progs
	@bench/run.sh $(T)

# A busybox root run through examples/chroot_vm (emulated KVM without /dev/kvm).
demo:
	@$(DEPS) demo
	@$(MAKE) --no-print-directory all vm-test-progs
	@scripts/demo.sh

# ---------------------------------------------------------------------------
# Installed programs find libkrun.so.1 through the loader's search path when
# LIBDIR is on it (ld.so.conf), else through a RUNPATH naming LIBDIR; never the
# build tree's $ORIGIN/.. . They are linked here, straight into DESTDIR, so that
# installing from a finished (even read-only) tree writes nothing inside it.
LDSO_DIRS := /lib /usr/lib /lib64 /usr/lib64 $(if $(MULTIARCH),/lib/$(MULTIARCH) /usr/lib/$(MULTIARCH)) \
	$(shell cat /etc/ld.so.conf /etc/ld.so.conf.d/*.conf 2>/dev/null | grep '^/')
INSTALL_RPATH = $(if $(filter $(LIBDIR),$(LDSO_DIRS)),,-Wl,-rpath,$(LIBDIR))

install: all
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(LIBDIR)/pkgconfig \
		$(DESTDIR)$(BINDIR)
	install -m 0755 $(B)/libkrun.so.$(VERSION) $(DESTDIR)$(LIBDIR)/
	install -m 0755 $(B)/$(KRUNFW_SONAME) $(DESTDIR)$(LIBDIR)/
	ln -sf $(KRUNFW_SONAME) $(DESTDIR)$(LIBDIR)/libkrunfw.so
	ln -sf libkrun.so.$(VERSION) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libkrun.so
	install -m 0644 include/libkrun.h $(DESTDIR)$(INCLUDEDIR)/
	sed -e 's|@PREFIX@|$(PREFIX)|; s|@LIBDIR@|$(LIBDIR)|; s|@INCLUDEDIR@|$(INCLUDEDIR)|; s|@VERSION@|$(VERSION)|' \
		libkrun.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/libkrun.pc
	for f in $(notdir $(EXAMPLES)); do \
		$(CC) $(CFLAGS) $(BASE_CFLAGS) -MF /dev/null -o $(DESTDIR)$(BINDIR)/$$f examples/$$f.c \
			-L$(B) -lkrun $(INSTALL_RPATH) && chmod 0755 $(DESTDIR)$(BINDIR)/$$f || exit 1; \
	done
	@if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ] && command -v ldconfig >/dev/null; then \
		echo "  LDCONFIG"; ldconfig; fi

uninstall:
	rm -f $(DESTDIR)$(LIBDIR)/libkrun.so* $(DESTDIR)$(LIBDIR)/libkrunfw.so* \
		$(DESTDIR)$(INCLUDEDIR)/libkrun.h \
		$(DESTDIR)$(LIBDIR)/pkgconfig/libkrun.pc
	for f in $(notdir $(EXAMPLES)); do rm -f $(DESTDIR)$(BINDIR)/$$f; done

clean:
	rm -rf $(B)

-include $(shell find $(B) -name '*.d' 2>/dev/null)

# ---------------------------------------------------------------------------
# --- Fuzzing (fuzz/): libFuzzer targets; docs/fuzzing.md says what each drives.
#   make fuzz-build              build/fuzz/fuzz_<name> for each fuzz/fuzz_<name>.c
#   make fuzz [FUZZ_SECONDS=600] [FUZZ_TARGETS="oci fs"] [FUZZ_RUNS=N]
#                                run each in turn for FUZZ_SECONDS (0: no
#                                limit) or N executions, whichever ends first
# The library's sources (and init's parsers) are built again with clang,
# ASan+UBSan and fuzzer-no-link into build/fuzz/obj/, apart from every other
# build. A run grows its own corpus under build/fuzz/corpus/<name> (seeded
# from fuzz/corpus/<name>), leaves crashes in build/fuzz/artifacts/<name>/ and
# its scratch files (TMPDIR) in build/fuzz/tmp/<name>/: the checkout is never
# written. One libFuzzer process per target, in-process (no -jobs/-workers:
# one worker). "fs" runs twice: as the caller (root: with a tmpfs and a proc
# bind mount in the share) and with FUZZ_FS_USER=1 (privileges dropped to
# nobody after setup).
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 600
FUZZ_RUNS    ?= -1
FUZZ_B       := $(B)/fuzz
# clang's -Wcast-align warns on x86 too (gcc's does not; the tree is gcc's).
FUZZ_CFLAGS  := $(BASE_CFLAGS) -Wno-cast-align -I. -O1 -g -fno-omit-frame-pointer \
	-fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_LIB_SRCS := $(filter %.c,$(LIB_SRCS)) init/json.c init/oci_config.c init/config.c
FUZZ_LIB_OBJS := $(FUZZ_LIB_SRCS:%.c=$(FUZZ_B)/obj/%.o)
FUZZ_ALL     := $(patsubst fuzz/fuzz_%.c,%,$(wildcard fuzz/fuzz_*.c))
FUZZ_TARGETS ?= $(FUZZ_ALL)
FUZZ_BINS    := $(FUZZ_ALL:%=$(FUZZ_B)/fuzz_%)

.PHONY: fuzz fuzz-build

fuzz-build: $(FUZZ_BINS)

$(FUZZ_B)/obj/%.o: %.c
	@mkdir -p $(@D)
	@echo "  CC fuzz $<"
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(FUZZ_B)/libkrun-fuzz.a: $(FUZZ_LIB_OBJS)
	@rm -f $@
	$(Q)ar rcs $@ $^

$(FUZZ_B)/fuzz_%: fuzz/fuzz_%.c $(wildcard fuzz/*.h) $(FUZZ_B)/libkrun-fuzz.a
	@mkdir -p $(@D)
	@echo "  CCLD    $@"
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -MF $@.d -fsanitize=fuzzer -Ifuzz -o $@ $< \
		$(FUZZ_B)/libkrun-fuzz.a $(LIB_LIBS) -lpthread -ldl

# One target at a time for FUZZ_SECONDS each, then the next; any crash, leak,
# timeout or OOM stops the run with libFuzzer's report.
fuzz: fuzz-build
	@set -e; for t in $(FUZZ_TARGETS); do \
		modes=0; [ $$t = fs ] && modes="0 1"; \
		for u in $$modes; do \
			n=$$t; [ $$u = 1 ] && n=$$t-user; \
			c=$(FUZZ_B)/corpus/$$n; a=$(FUZZ_B)/artifacts/$$n; tmp=$(FUZZ_B)/tmp/$$n; \
			mkdir -p $$c $$a $$tmp; cp -n fuzz/corpus/$$t/* $$c/ 2>/dev/null || true; \
			[ $$u = 1 ] && chown -R 65534:65534 $$c $$a $$tmp 2>/dev/null || true; \
			dict=; [ -f fuzz/$$t.dict ] && dict=-dict=fuzz/$$t.dict; \
			echo "== fuzz_$$t ($$n) for $(FUZZ_SECONDS) s or $(FUZZ_RUNS) runs"; \
			FUZZ_FS_USER=$$u TMPDIR=$$PWD/$$tmp $(FUZZ_B)/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -runs=$(FUZZ_RUNS) \
				-timeout=30 -rss_limit_mb=4096 -print_final_stats=1 \
				-artifact_prefix=$$a/ $$dict $$c; \
		done; \
	done
