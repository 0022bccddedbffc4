# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
# Helpers for the guest-side tests; source it. Every check that fails ends
# the test with a message and a non-zero status.
set -euo pipefail

fail() { echo "FAIL: $*" >&2; exit 1; }
note() { echo "--- $*"; }

# wait_for SECONDS CMD...: poll CMD until it succeeds or time runs out
wait_for() {
	local t=$(( $1 * 10 ))
	shift
	until "$@"; do
		t=$(( t - 1 ))
		[ $t -gt 0 ] || return 1
		sleep 0.1 # poll interval
	done
}

stat_of() { cat "/sys/block/${2:-pmem0}/pmem_dma/$1"; }

driver_of() { basename "$(readlink -f "/sys/block/${1:-pmem0}/device/driver")"; }

# the nd device (namespaceX.Y or pfnX.Y) behind a disk
nd_dev_of() { basename "$(readlink -f "/sys/block/${1:-pmem0}/device")"; }

expect_driver() {
	local d
	d=$(driver_of "${2:-pmem0}")
	[ "$d" = "$1" ] || fail "${2:-pmem0} is served by $d, expected $1"
}

# rebind DEV FROM TO: move an nd device between drivers with sysfs
rebind() {
	echo "$1" > "/sys/bus/nd/drivers/$2/unbind"
	wait_for 10 test ! -e /sys/block/pmem0 || fail "pmem0 still there after unbind from $2"
	echo "$1" > "/sys/bus/nd/drivers/$3/bind"
	wait_for 10 test -b /dev/pmem0 || fail "pmem0 did not come back with $3"
	expect_driver "$3"
}

# dma_soft's home: the PCI function tests/vm/run --iommu provides (its DMA
# is translated by the IOMMU), its own platform device otherwise.
soft_ko() { echo "build/$(uname -r)/src/drivers/dma/ext/dma_soft.ko"; }
soft_insmod() { # [dma_soft params...]
	if [ -n "${VM_SOFT_PCI:-}" ]; then
		insmod "$(soft_ko)" pci="$VM_SOFT_PCI" "$@"
	else
		insmod "$(soft_ko)" "$@"
	fi
}
# dma_soft again, with other parameters; pmem0 rescans for its channel
soft_reload() { # [dma_soft params...]
	soft_sysfs unbind
	wait_for 10 grep -qx none /sys/block/pmem0/pmem_dma/dma_channel ||
		fail "pmem0 kept its channel after the engine went away"
	rmmod dma_soft || fail "rmmod dma_soft"
	soft_insmod "$@" || fail "insmod dma_soft $*"
	echo 1 > /sys/block/pmem0/pmem_dma/dma_rescan
	[ "$(stat_of dma_channel)" != none ] || fail "no channel after reloading dma_soft $*"
}
# what dma_ext says pmem0's (single) channel guarantees
chan_caps() { cat "/sys/kernel/debug/dma_ext/$(stat_of dma_channel)/caps"; }
soft_debugfs() { echo "/sys/kernel/debug/dma_soft/${VM_SOFT_PCI:-dma_soft}"; }
soft_sysfs() { # unbind|bind: the engine's device leaves or rejoins dma_soft
	if [ -n "${VM_SOFT_PCI:-}" ]; then
		echo "$VM_SOFT_PCI" > "/sys/bus/pci/drivers/dma_soft/$1"
	else
		echo dma_soft > "/sys/bus/platform/drivers/dma_soft/$1"
	fi
}

# With --iommu: the engine's device must sit in a translating IOMMU domain
# (not identity/passthrough), or the run proves nothing about IOVAs.
check_iommu() {
	local t
	[ "${VM_IOMMU:-0}" = 1 ] || return 0
	[ -e "/sys/bus/pci/devices/$VM_SOFT_PCI/iommu_group" ] ||
		fail "--iommu: $VM_SOFT_PCI has no IOMMU group (is the IOMMU on?)"
	t=$(cat "/sys/bus/pci/devices/$VM_SOFT_PCI/iommu_group/type")
	case $t in
	DMA|DMA-FQ) ;;
	*) fail "--iommu: $VM_SOFT_PCI is in an IOMMU domain of type $t, which does not translate" ;;
	esac
	echo "iommu: $VM_SOFT_PCI in a $t domain"
}

pmem_dma_ko() { echo "build/$(uname -r)/src/drivers/nvdimm/pmem_dma/pmem_dma.ko"; }

# load_deps KO: the modules KO needs; ours come from the build directory
load_deps() {
	local dep
	for dep in $(modinfo -F depends "$1" | tr ',' ' '); do
		grep -q "^$dep " /proc/modules && continue
		case $dep in
		dma_ext) insmod "build/$(uname -r)/src/drivers/dma/ext/dma_ext.ko" ;;
		*) modprobe "$dep" ;;
		esac
	done
}

sha_of_range() { # dev offset_MiB size_MiB
	dd if="$1" bs=1M skip="$2" count="$3" iflag=direct status=none | sha256sum | cut -d' ' -f1
}
