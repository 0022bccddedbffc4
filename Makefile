# SPDX-License-Identifier: GPL-2.0
#
# pmem-dma top-level Makefile. See README.md.
#
#   make                 build all modules for KDIR (default: the test kernel)
#   make check           everything: lint, builds for both kernels, VM tests
#   make check-debug     the same suites on the debug kernel (KASAN, lockdep,
#                        kmemleak, DMA_API_DEBUG, fault injection)
#   make demo            build, boot the VM, bind, short fio with verify
#   make lint            checkpatch --strict, W=1 and sparse builds
#   make install         build, install the modules under extra/, the
#                        modprobe.d file and tools/pmem-dma-stat (in SBINDIR),
#                        depmod (DESTDIR= stages it all)
#   make uninstall       remove exactly those files again, depmod
#   make dkms-install    register with DKMS, build and install for
#                        DKMS_KERNEL (default: the running kernel)
#   make dkms-remove     remove it from DKMS for every kernel
#   make dkms-source     only copy the DKMS source to /usr/src/pmem-dma-VERSION
#   make kernel          build (or find cached) the test kernel
#   make deps            install the Debian packages the tests need
#   make bench           benchmark in the test VM (QUICK=1 for the subset)
#   make host-check DEV=/dev/pmemN CONFIRM=yes [REPORT=FILE]
#                        check the DMA path on this host with its engine
#                        (DESTRUCTIVE: the first 256 MiB of DEV), write a
#                        report (tools/pmem-dma-host-check)
#   make clean           remove build/
#
# Variables: KDIR (kernel build dir; for an installed Debian kernel
# /lib/modules/<release>/build), KSRC (source tree with drivers/nvdimm/nd.h,
# see scripts/nd-headers), BUILD (build directory), DESTDIR,
# INSTALL_MOD_PATH, INSTALL_MOD_DIR (default extra), SBINDIR (default
# /usr/local/sbin), DKMS_KERNEL.

SHELL := /bin/bash
REPO := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))

# The kernel to build against (its build dir) and the kernel source tree
# that provides libnvdimm's private nd.h.  Both default to the test kernel;
# they are expanded only when a recipe needs them.
KDIR ?= $(shell $(REPO)/tests/vm/build-kernel --kdir)
KSRC ?= $(shell $(REPO)/tests/vm/build-kernel --ksrc)
KREL = $(shell cat $(KDIR)/include/config/kernel.release)
# Modules are built out of the source tree, one directory per kernel.
BUILD = $(REPO)/build/$(KREL)

SOURCES := Kbuild $(shell cd $(REPO) && find drivers -name '*.[ch]' -o -name Kbuild)

# The version is kept in one place: dkms.conf.
PKG_VERSION := $(shell sed -n 's/^PACKAGE_VERSION="\(.*\)"$$/\1/p' $(REPO)/dkms.conf)

# make install: INSTALL_MOD_PATH stages the modules as in kbuild, DESTDIR
# stages everything (modules, modprobe.d file); depmod then works on the
# staged tree (depmod -b).
INSTALL_MOD_PATH ?= $(DESTDIR)
INSTALL_MOD_DIR ?= extra
MODLIB = $(INSTALL_MOD_PATH)/lib/modules/$(KREL)
MODPROBE_CONF = $(DESTDIR)/etc/modprobe.d/pmem_dma.conf
SBINDIR ?= /usr/local/sbin
STAT_TOOL = $(DESTDIR)$(SBINDIR)/pmem-dma-stat
DEPMOD = depmod $(if $(INSTALL_MOD_PATH),-b $(INSTALL_MOD_PATH)) $(KREL)
# Every module the Kbuild files can build, test modules included, as its
# path below INSTALL_MOD_DIR without suffix: what make uninstall removes.
KBUILD_DIRS = $(shell sed -n 's|^obj-m *+= *\(.*\)/$$|\1|p' $(REPO)/Kbuild)
KMODS = $(foreach d,$(KBUILD_DIRS),$(addprefix $(d)/,$(basename \
	$(shell sed -n 's/^[[:space:]]*obj-m *+= *//p' $(REPO)/$(d)/Kbuild))))

# DKMS: the source it builds from, and the kernel to install for.
DKMS_SRC = /usr/src/pmem-dma-$(PKG_VERSION)
DKMS_FILES = $(SOURCES) dkms.conf scripts/nd-headers
DKMS_KERNEL ?=

.PHONY: all modules lint check check-debug demo install uninstall kernel clean deps bench
.PHONY: host-check
.PHONY: dkms-source dkms-install dkms-remove

all: modules

modules:
	@test -d "$(KDIR)" || { echo "KDIR=$(KDIR) is not a kernel build dir" >&2; exit 1; }
	@test -f "$(KSRC)/drivers/nvdimm/nd.h" || { echo "KSRC=$(KSRC) has no drivers/nvdimm/nd.h" >&2; exit 1; }
	@mkdir -p $(BUILD)
	@cd $(REPO) && rsync -a --relative $(SOURCES) $(BUILD)/src/
	$(MAKE) -C $(KDIR) M=$(BUILD)/src KSRC=$(KSRC) $(KFLAGS) modules
	@echo "modules for $(KREL) are in $(BUILD)/src"

kernel:
	$(REPO)/tests/vm/build-kernel

deps:
	$(REPO)/tests/deps

lint:
	$(REPO)/tests/lint

check:
	$(REPO)/tests/check

check-debug:
	CHECK_KERNELS=debug $(REPO)/tests/check

demo:
	$(REPO)/tests/demo

bench:
	$(REPO)/tests/deps
	$(REPO)/bench/run $(if $(QUICK),--quick)

host-check:
	@test -n "$(DEV)" || { echo "usage: make host-check DEV=/dev/pmemN CONFIRM=yes [REPORT=FILE]" >&2; exit 2; }
	CONFIRM="$(CONFIRM)" $(REPO)/tools/pmem-dma-host-check "$(DEV)" $(if $(REPORT),"$(REPORT)")

install: modules
	$(MAKE) -C $(KDIR) M=$(BUILD)/src KSRC=$(KSRC) INSTALL_MOD_PATH=$(INSTALL_MOD_PATH) \
		INSTALL_MOD_DIR=$(INSTALL_MOD_DIR) modules_install
	install -D -m 0644 $(REPO)/drivers/nvdimm/pmem_dma/pmem_dma.conf $(MODPROBE_CONF)
	install -D -m 0755 $(REPO)/tools/pmem-dma-stat $(STAT_TOOL)
	$(DEPMOD)

# Needs only KDIR (for the release) or KREL; builds nothing.
uninstall:
	@test -n "$(KREL)" || { echo "uninstall: no kernel release: set KDIR or KREL" >&2; exit 1; }
	@for m in $(KMODS); do \
		for f in $(MODLIB)/$(INSTALL_MOD_DIR)/$$m.ko{,.gz,.xz,.zst}; do \
			[ ! -e "$$f" ] || { rm -f "$$f" && echo "removed $$f"; }; \
		done; \
		(cd $(MODLIB)/$(INSTALL_MOD_DIR) 2>/dev/null && \
		 rmdir -p --ignore-fail-on-non-empty "$$(dirname "$$m")" 2>/dev/null); \
	done; true
	@rmdir --ignore-fail-on-non-empty $(MODLIB)/$(INSTALL_MOD_DIR) 2>/dev/null || true
	@[ ! -e $(MODPROBE_CONF) ] || { rm -f $(MODPROBE_CONF) && echo "removed $(MODPROBE_CONF)"; }
	@[ ! -e $(STAT_TOOL) ] || { rm -f $(STAT_TOOL) && echo "removed $(STAT_TOOL)"; }
	if [ -d $(MODLIB) ]; then $(DEPMOD); fi

# The files DKMS builds from, in /usr/src/pmem-dma-VERSION (DESTDIR stages).
dkms-source:
	@test -n "$(PKG_VERSION)" || { echo "no PACKAGE_VERSION in dkms.conf" >&2; exit 1; }
	rm -rf $(DESTDIR)$(DKMS_SRC)
	mkdir -p $(DESTDIR)$(DKMS_SRC)
	cd $(REPO) && cp --parents -t $(DESTDIR)$(DKMS_SRC) $(DKMS_FILES)

dkms-install:
	@test -z "$(DESTDIR)" || { echo "dkms-install works on this host only: no DESTDIR" >&2; exit 1; }
	@test -z "$$(dkms status pmem-dma/$(PKG_VERSION) 2>/dev/null)" || \
		{ echo "pmem-dma/$(PKG_VERSION) is already in DKMS: make dkms-remove first" >&2; exit 1; }
	$(MAKE) -f $(REPO)/Makefile dkms-source
	dkms add pmem-dma/$(PKG_VERSION)
	dkms install pmem-dma/$(PKG_VERSION) $(if $(DKMS_KERNEL),-k $(DKMS_KERNEL))
	install -D -m 0644 $(REPO)/drivers/nvdimm/pmem_dma/pmem_dma.conf /etc/modprobe.d/pmem_dma.conf

dkms-remove:
	@test -z "$(DESTDIR)" || { echo "dkms-remove works on this host only: no DESTDIR" >&2; exit 1; }
	if [ -n "$$(dkms status pmem-dma/$(PKG_VERSION) 2>/dev/null)" ]; then dkms remove pmem-dma/$(PKG_VERSION) --all; fi
	rm -rf $(DKMS_SRC)
	rm -f /etc/modprobe.d/pmem_dma.conf

clean:
	rm -rf $(REPO)/build
