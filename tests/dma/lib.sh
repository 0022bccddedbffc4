# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
# Helpers for the DMA test suites (run in the VM); source after pmem/lib.sh.

ext_dir() { echo "build/$(uname -r)/src/drivers/dma/ext"; }

# load_dma [dma_soft params...]: dma_ext and the software engine
load_dma() {
	grep -q '^dma_ext ' /proc/modules || insmod "$(ext_dir)/dma_ext.ko"
	insmod "$(ext_dir)/dma_soft.ko" "$@"
}
