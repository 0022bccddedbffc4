#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Poison found by the engine while DMA reads are in flight. Four 1 MiB
# reads are held in dma_soft (stall_every 1); then a media error appears
# in the second MiB: dma_soft's emulated poison (its source reads there
# fail, as copy_mc_to_kernel() on real poison makes them) and the bad block
# the platform reports. Released, the read over it must fail in the engine
# (poison_reads, dma_errors) and its CPU retry must end in EIO; the other
# three read back the pattern. Afterwards 4 KiB reads of that MiB fail for
# exactly the bad range, and its neighbours read back intact.
. "$(dirname "$0")/lib.sh"

expect_driver pmem_dma
[ "$(stat_of dma_channel)" != none ] || fail "no DMA channel: guest-setup loads dma_soft"
knobs=$(soft_debugfs)
[ -e "$knobs/poison" ] || fail "dma_soft has no poison knob"
nd=$(nd_dev_of pmem0)
# the physical address of the disk's sector 0 (after the pfn info block)
base=$(cat "/sys/bus/nd/devices/$nd/resource")
[ -n "$base" ] || fail "no resource for $nd"
thr=$(stat_of dma_threshold)
[ "$thr" -le $(( 1 << 20 )) ] || fail "dma_threshold $thr: 1 MiB reads would not be DMA"

head -c 4M /dev/urandom > /tmp/pp
dd if=/tmp/pp of=/dev/pmem0 bs=1M seek=16 oflag=direct conv=fsync status=none
bad=$(( 17 * 2048 + 512 ))	# 256 KiB into the second MiB
poisoned() { printf '%#x 4096\n' $(( base + bad * 512 )); }

d0=$(stat_of dma_ios) e0=$(stat_of dma_errors) f0=$(stat_of dma_fallbacks)
echo 1 > "$knobs/stall_every"
pids=()
for i in 0 1 2 3; do
	dd if=/dev/pmem0 of=/tmp/pr$i bs=1M skip=$(( 16 + i )) count=1 iflag=direct \
		status=none 2> /tmp/pr$i.err &
	pids+=($!)
done
four_in_flight() { [ "$(stat_of dma_ios)" -ge $(( d0 + 4 )) ]; }
wait_for 30 four_in_flight || fail "the four reads did not reach the engine ($(( $(stat_of dma_ios) - d0 )))"

note "media error at sector $bad ($(poisoned)) while they are held"
poisoned > "$knobs/poison"
[ "$(cat "$knobs/poison")" = "$(poisoned)" ] ||
	fail "poison knob reads back '$(cat "$knobs/poison")'"
echo "$bad 8" > /sys/block/pmem0/badblocks
echo 0 > "$knobs/stall_every"
echo 1 > "$knobs/unstall"

for i in 0 1 2 3; do
	rc=0
	wait "${pids[$i]}" || rc=$?
	if [ "$i" = 1 ]; then
		[ "$rc" != 0 ] || fail "the read across the poison succeeded"
		grep -q "Input/output error" /tmp/pr1.err || fail "the read across the poison: $(cat /tmp/pr1.err)"
	else
		[ "$rc" = 0 ] || fail "read $i failed: $(cat /tmp/pr$i.err)"
		cmp /tmp/pr$i <(dd if=/tmp/pp bs=1M skip=$i count=1 status=none) ||
			fail "read $i returned wrong data"
	fi
done
echo "0 0" > "$knobs/poison"
pr=$(cat "$knobs/poison_reads")
[ "$pr" -ge 1 ] || fail "the engine never read the poison"
[ $(( $(stat_of dma_errors) - e0 )) = 1 ] || fail "dma_errors moved by $(( $(stat_of dma_errors) - e0 )), expected 1"
[ $(( $(stat_of dma_fallbacks) - f0 )) = 1 ] || fail "dma_fallbacks moved by $(( $(stat_of dma_fallbacks) - f0 )), expected 1"

note "4 KiB reads of the second MiB: EIO for exactly the bad range"
# one pass: a block that fails is skipped and padded with zeros (dd keeps
# its error messages only without status=none)
rc=0
dd if=/dev/pmem0 of=/tmp/blks bs=4096 skip=$(( 17 * 256 )) count=256 iflag=direct \
	conv=noerror,sync 2> /tmp/blks.err || rc=$?
[ "$rc" = 0 ] || fail "dd conv=noerror ended with $rc: $(cat /tmp/blks.err)"
n=$(grep -c "error reading.*Input/output error" /tmp/blks.err || true)
[ "$n" = 1 ] || fail "$n of the 4 KiB reads failed with EIO, expected 1: $(cat /tmp/blks.err)"
dd if=/tmp/pp of=/tmp/pp1 bs=1M skip=1 count=1 status=none
# the 4 KiB blocks that differ (cmp -l: 1 = they differ, 2 = trouble)
differ() {
	local rc=0
	cmp -l /tmp/blks /tmp/pp1 > /tmp/cmp.out || rc=$?
	[ "$rc" -le 1 ] || fail "cmp: status $rc"
	awk '{ print int(($1 - 1) / 4096) }' /tmp/cmp.out | uniq | xargs
}
failed=$(differ)
[ "$failed" = 64 ] || fail "4 KiB blocks that did not read back: '${failed:-none}', expected exactly 64"
echo "poison: the engine failed $pr source read(s) on the poison, the CPU retry gave EIO;" \
	"4 KiB reads fail at block 64 only, 3 other 1 MiB reads intact"
