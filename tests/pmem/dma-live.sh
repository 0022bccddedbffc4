#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Reconfiguration under load: dma_threshold changes continuously during a
# fio verify run, and the DMA engine is removed (unbind + rmmod dma_soft)
# and reloaded (insmod + dma_rescan) while fio runs. 0 verify errors.
# Then an engine with segments shorter than a page: nothing is mapped
# against it, the CPU serves the requests.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../dma/lib.sh"

[ "$(stat_of dma_channel)" != none ] || fail "no DMA channel"
fio --eta=never --output=/tmp/fio.log --name=live --filename=/dev/pmem0 \
	--direct=1 --ioengine=libaio --iodepth=16 --rw=randwrite --bsrange=4k-1M \
	--size=512M --verify=crc32c --verify_fatal=1 &
fio_pid=$!

# Every step waits for a condition, with fio still running: requests to
# the engine, then requests in flight on it when it goes away (it stalls
# them), then CPU progress while there is no engine. The threshold
# changes at every poll meanwhile.
changes=0
fio_running() { kill -0 $fio_pid 2>/dev/null; }
change() {
	echo $(( (RANDOM % 8) * 65536 )) > /sys/block/pmem0/pmem_dma/dma_threshold
	changes=$(( changes + 1 ))
}
# until_while_fio SECONDS CMD...: change the threshold until CMD holds;
# fail if fio ends or time runs out first
until_while_fio() {
	local t=$(( $1 * 10 ))
	shift
	until "$@"; do
		fio_running || fail "fio ended before: $*"
		t=$(( t - 1 ))
		[ $t -gt 0 ] || fail "timed out waiting for: $*"
		change
		sleep 0.1 # poll interval
	done
}
grew() { [ "$(stat_of "$1")" -ge "$2" ]; }
chan=$(stat_of dma_channel)
in_flight() { [ "$(cat "/sys/kernel/debug/dma_ext/$chan/inflight")" -gt 0 ]; }

until_while_fio 60 grew dma_ios $(( $(stat_of dma_ios) + 64 ))
# the engine now holds what it gets until it is stopped: some requests
# are surely in flight when it goes away
echo 1 > "$(soft_debugfs)/stall_every"
until_while_fio 30 in_flight
e0=$(stat_of dma_errors)
soft_sysfs unbind
wait_for 10 grep -qx none /sys/block/pmem0/pmem_dma/dma_channel ||
	fail "channel still in use after the engine went away"
e1=$(stat_of dma_errors)
# dma_soft can be stopped: what it held came back -ENODEV, the CPU redid it
[ "$e1" -gt "$e0" ] || fail "no request was in flight when the engine went away"
rmmod dma_soft
note "engine removed under load, $(( e1 - e0 )) requests in flight redone by the CPU"
until_while_fio 60 grew cpu_ios $(( $(stat_of cpu_ios) + 64 ))
soft_insmod
echo 1 > /sys/block/pmem0/pmem_dma/dma_rescan
[ "$(stat_of dma_channel)" != none ] || fail "rescan found no channel"
d_rescan=$(stat_of dma_ios)
note "engine reloaded: $(stat_of dma_channel)"
until_while_fio 60 grew dma_ios $(( d_rescan + 16 ))
# and the threshold keeps changing until fio is done
while fio_running; do change; sleep 0.1; done # poll interval
[ "$changes" -ge 10 ] || fail "only $changes threshold changes under load"
wait $fio_pid || { cat /tmp/fio.log; fail "fio verify during reconfiguration"; }
echo 65536 > /sys/block/pmem0/pmem_dma/dma_threshold

# An engine that maps shorter segments than the block layer builds (64
# KiB): pmem_dma must not map longer ones against it (the DMA API forbids
# it; the debug kernel checks). With 2 KiB every page-sized entry is too
# long, so every DMA-sized request goes to the CPU as a fallback.
soft_sysfs unbind
wait_for 10 grep -qx none /sys/block/pmem0/pmem_dma/dma_channel || fail "channel kept"
rmmod dma_soft
dmesg -C
soft_insmod max_xfer=2048
echo 1 > /sys/block/pmem0/pmem_dma/dma_rescan
[ "$(stat_of dma_channel)" != none ] || fail "rescan found no channel"
grep -q "maps segments of at most 2048 bytes" <(dmesg) || fail "no message about the short segments"
d0=$(stat_of dma_ios) f0=$(stat_of dma_fallbacks)
head -c 16M /dev/urandom > /tmp/short.bin
dd if=/tmp/short.bin of=/dev/pmem0 bs=1M seek=512 oflag=direct status=none || fail "write with short-segment engine"
dd if=/dev/pmem0 of=/tmp/short.back bs=1M skip=512 count=16 iflag=direct status=none || fail "read with short-segment engine"
cmp -s /tmp/short.bin /tmp/short.back || fail "data differs after the short-segment engine"
d1=$(stat_of dma_ios) f1=$(stat_of dma_fallbacks)
[ "$d1" -eq "$d0" ] || fail "$(( d1 - d0 )) requests were mapped with entries longer than the engine takes"
[ $(( f1 - f0 )) -ge 32 ] || fail "expected >= 32 fallbacks for 32 MiB in 1 MiB requests, got $(( f1 - f0 ))"
note "engine with 2 KiB segments: $(( f1 - f0 )) requests to the CPU, none mapped, data intact"
soft_sysfs unbind
wait_for 10 grep -qx none /sys/block/pmem0/pmem_dma/dma_channel || fail "channel kept"
rmmod dma_soft

# An engine with a 32-bit DMA mask, and the namespace above 4 GiB (QEMU
# puts NVDIMMs after the hotplug gap): without an IOMMU it cannot address
# the namespace and is not used; behind one it is, through IOVAs below
# 4 GiB, and the data is right.
ns_start=$(sed -n 's/^ *\([0-9a-f]*\)-[0-9a-f]* : Persistent Memory$/\1/p' /proc/iomem | head -n 1)
[ -n "$ns_start" ] || fail "no Persistent Memory range in /proc/iomem"
[ $(( 16#$ns_start )) -ge $(( 1 << 32 )) ] || fail "the NVDIMM is below 4 GiB (at 0x$ns_start): the 32-bit case proves nothing"
dmesg -C
soft_insmod dma_bits=32
echo 1 > /sys/block/pmem0/pmem_dma/dma_rescan
d0=$(stat_of dma_ios)
dd if=/tmp/short.bin of=/dev/pmem0 bs=1M seek=600 oflag=direct status=none || fail "write with a 32-bit engine"
dd if=/dev/pmem0 of=/tmp/short.back bs=1M skip=600 count=16 iflag=direct status=none || fail "read with a 32-bit engine"
cmp -s /tmp/short.bin /tmp/short.back || fail "data differs with a 32-bit engine"
d1=$(stat_of dma_ios)
if [ "${VM_IOMMU:-0}" = 1 ]; then
	[ "$(stat_of dma_channel)" != none ] || fail "a 32-bit engine behind an IOMMU was not used"
	[ $(( d1 - d0 )) -ge 32 ] || fail "a 32-bit engine behind an IOMMU got $(( d1 - d0 )) of 32 requests"
	note "32-bit engine behind the IOMMU: used, $(( d1 - d0 )) requests, data intact"
else
	[ "$(stat_of dma_channel)" = none ] || fail "a 32-bit engine was taken for a namespace at 0x$ns_start"
	grep -q "cannot address the namespace" <(dmesg) || fail "no message about the 32-bit engine"
	[ "$d1" -eq "$d0" ] || fail "$(( d1 - d0 )) requests went to a 32-bit engine"
	note "32-bit engine, namespace at 0x$ns_start: not used, said so, data intact"
fi
soft_sysfs unbind
wait_for 10 grep -qx none /sys/block/pmem0/pmem_dma/dma_channel || fail "channel kept"
rmmod dma_soft
soft_insmod
echo 1 > /sys/block/pmem0/pmem_dma/dma_rescan

echo "dma-live: $changes threshold changes, engine removed and reloaded under fio, 0 verify errors; short-segment and out-of-reach engines refused"
