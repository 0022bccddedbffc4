#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# P2P between /dev/pmem0 (pmem_dma) and an NVMe CMB published as p2pmem.
#   near: dma_soft sits on a PCI function behind the CMB's switch: every
#         P2P request goes to DMA (p2p_dma_ios grows, p2p_cpu_ios does not)
#   far:  dma_soft cannot reach the CMB: the CPU copies (p2p_cpu_ios grows)
# Both directions, sizes 4 KiB to the CMB's free size, verified by p2p-io,
# while fio verify runs on another range of the disk.
# Needs tests/vm/run --nvme-cmb [--p2p-engine far] on a PCI_P2PDMA kernel.
. "$(dirname "$0")/../pmem/lib.sh"
. "$(dirname "$0")/../dma/lib.sh"

mode=${1:?near or far}
tool=tests/p2p/p2p-io
[ -x $tool ] || fail "$tool not built (make -C tests/p2p)"
cmb=
for d in /sys/bus/pci/devices/*; do [ -d "$d/p2pmem" ] && cmb=$(basename "$d"); done
[ -n "$cmb" ] || { echo "no p2pmem in this VM (kernel without PCI_P2PDMA, or no --nvme-cmb)"; exit 77; }
eng=
for d in /sys/bus/pci/devices/*; do
	[ "$(cat "$d/vendor"):$(cat "$d/device")" = 0x1b36:0x0005 ] && eng=$(basename "$d")
done
[ -n "$eng" ] || fail "no pci-testdev for the engine"

# the engine on the PCI function, then the disk
rmmod pmem_dma
grep -q '^dma_soft ' /proc/modules && rmmod dma_soft
insmod "$(ext_dir)/dma_soft.ko" pci="$eng"
insmod "$(pmem_dma_ko)"
wait_for 10 test -b /dev/pmem0 || fail "pmem0 did not come back"
echo "p2pmem on $cmb ($(( $(cat /sys/bus/pci/devices/$cmb/p2pmem/available) >> 20 )) MiB free), engine on $eng ($mode), DMA: $(stat_of dma_channel)"

fio --eta=never --output=/tmp/fio.log --name=bg --filename=/dev/pmem0 --direct=1 \
	--ioengine=libaio --iodepth=8 --rw=randwrite --bsrange=4k-1M --offset=512M \
	--size=256M --verify=crc32c --verify_fatal=1 &
fio_pid=$!

avail=$(cat /sys/bus/pci/devices/$cmb/p2pmem/available)
d0=$(stat_of p2p_dma_ios) c0=$(stat_of p2p_cpu_ios)
for size in 4096 65536 1048576 4194304 $(( avail & ~(1048576 - 1) )); do
	$tool --dev /dev/pmem0 --p2pmem "$cmb" --size "$size" --offset 8M --iterations 2 ||
		fail "p2p-io size $size"
done
wait $fio_pid || { cat /tmp/fio.log; fail "fio verify next to P2P traffic"; }
d1=$(stat_of p2p_dma_ios) c1=$(stat_of p2p_cpu_ios)
echo "p2p_dma_ios +$(( d1 - d0 )), p2p_cpu_ios +$(( c1 - c0 ))"
case $mode in
near)	[ $(( d1 - d0 )) -gt 0 ] || fail "no P2P request went to DMA"
	[ $(( c1 - c0 )) -eq 0 ] || fail "P2P requests fell back to the CPU with a reachable engine" ;;
far)	[ $(( c1 - c0 )) -gt 0 ] || fail "no P2P request was copied by the CPU"
	[ $(( d1 - d0 )) -eq 0 ] || fail "P2P requests went to an engine that cannot reach them" ;;
esac
echo "p2p ($mode): pmem <-> CMB verified from 4 KiB to $(( avail >> 20 )) MiB, fio verify alongside"
