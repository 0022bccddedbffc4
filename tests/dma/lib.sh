# SPDX-License-Identifier: GPL-2.0
# Helpers for the DMA test suites (run in the VM); source after pmem/lib.sh.

ext_dir() { echo "build/$(uname -r)/src/drivers/dma/ext"; }

# load_dma [dma_soft params...]: dma_ext and the software engine
load_dma() {
	grep -q '^dma_ext ' /proc/modules || insmod "$(ext_dir)/dma_ext.ko"
	insmod "$(ext_dir)/dma_soft.ko" "$@"
}

soft_dbg() { echo "/sys/kernel/debug/dma_soft/$(soft_devname)/$1"; }

soft_devname() { basename "$(readlink -f /sys/bus/platform/drivers/dma_soft/dma_soft 2>/dev/null || ls -d /sys/kernel/debug/dma_soft/* | head -n1)"; }
