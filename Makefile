# SPDX-License-Identifier: GPL-2.0
#
# pmem-dma top-level Makefile. See README.md.
#
#   make                 build all modules for KDIR (default: the test kernel)
#   make check           everything: lint, builds for both kernels, VM tests
#   make demo            build, boot the VM, bind, short fio with verify
#   make lint            checkpatch --strict, W=1 and sparse builds
#   make install         install modules and modprobe.d file on this host
#   make kernel          build (or find cached) the test kernel
#   make bench           benchmark in the test VM (QUICK=1 for the subset)

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

.PHONY: all modules lint check demo install kernel clean deps bench

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

demo:
	$(REPO)/tests/demo

bench:
	$(REPO)/tests/deps
	$(REPO)/bench/run $(if $(QUICK),--quick)

install: modules
	$(MAKE) -C $(KDIR) M=$(BUILD)/src KSRC=$(KSRC) INSTALL_MOD_DIR=extra modules_install
	install -D -m 0644 $(REPO)/drivers/nvdimm/pmem_dma/pmem_dma.conf $(DESTDIR)/etc/modprobe.d/pmem_dma.conf
	depmod -a $(KREL)

clean:
	rm -rf $(REPO)/build
