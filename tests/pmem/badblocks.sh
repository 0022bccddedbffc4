#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A sector marked bad reads EIO, its neighbours still read. With the
# threshold at 0 (every request DMA-sized) a read across the bad range fails
# with EIO without the engine being asked to copy anything, while a read
# beside it goes through DMA. A write over the bad range has exactly the
# outcome the platform dictates: where the bus offers clear_error the write
# clears the poison and reads back; where it does not (QEMU's NFIT) the
# write fails with EIO and the entry stays, as with nd_pmem.
. "$(dirname "$0")/lib.sh"

expect_driver pmem_dma
[ "$(stat_of dma_channel)" != none ] || fail "no DMA channel: guest-setup loads dma_soft"
bb=/sys/block/pmem0/badblocks
bus=$(readlink -f /sys/block/pmem0/device | grep -o 'ndbus[0-9]*' | head -n 1)
[ -n "$bus" ] || fail "no nd bus above pmem0"
cmds=$(cat "/sys/bus/nd/devices/$bus/commands")
echo "badblocks: $bus commands: $cmds"
[ -z "$(cat $bb)" ] || fail "fresh namespace has bad blocks: $(cat $bb)"
head -c 1M /dev/urandom > /tmp/p
dd if=/tmp/p of=/dev/pmem0 bs=1M seek=4 oflag=direct conv=fsync status=none

bad=$(( 4 * 2048 + 1000 ))	# a sector inside the pattern
echo "$bad 8" > $bb
grep -q "^$bad 8\$" $bb || fail "badblocks does not list $bad 8: $(cat $bb)"

# rd SECTOR FILE [SECTORS]: one direct read, SECTORS (8) long
rd() {
	dd if=/dev/pmem0 of="$2" bs=$(( ${3:-8} * 512 )) skip=$(( $1 * 512 )) count=1 \
		iflag=direct,skip_bytes status=none 2>/tmp/err
}
# the pattern's sectors FROM..FROM+N, as written
pat() { dd if=/tmp/p bs=512 skip=$(( $1 - 4 * 2048 )) count="$2" status=none; }
eio() { grep -q "Input/output error" /tmp/err || fail "$1 failed without EIO: $(cat /tmp/err)"; }

note "4 KiB reads (CPU path at the default threshold)"
if rd $bad /tmp/x; then fail "read of bad sector $bad succeeded"; fi
eio "bad read"
if rd $(( bad - 4 )) /tmp/x; then fail "read overlapping the bad range succeeded"; fi
eio "overlapping read"
rd $(( bad - 8 )) /tmp/before || fail "neighbour before the bad range: $(cat /tmp/err)"
rd $(( bad + 8 )) /tmp/after || fail "neighbour after the bad range: $(cat /tmp/err)"
cmp /tmp/before <(pat $(( bad - 8 )) 8) || fail "neighbour before the bad range has wrong data"
cmp /tmp/after <(pat $(( bad + 8 )) 8) || fail "neighbour after the bad range has wrong data"

note "128 KiB reads at dma_threshold 0"
echo 0 > /sys/block/pmem0/pmem_dma/dma_threshold
knobs=$(soft_debugfs)
dmas() { echo "$(stat_of dma_ios) $(stat_of dma_submits) $(stat_of dma_fallbacks) $(cat "$knobs/completed")"; }
# the 128 KiB just below the bad range: one request, through the engine
lo=$(( bad - 256 ))
s0=$(dmas) i0=$(stat_of dma_ios) c0=$(cat "$knobs/completed")
rd $lo /tmp/x 256 || fail "128 KiB read beside the bad range: $(cat /tmp/err)"
cmp /tmp/x <(pat $lo 256) || fail "128 KiB read beside the bad range has wrong data"
[ "$(stat_of dma_ios)" = $(( i0 + 1 )) ] || fail "the read beside the bad range did not go through DMA ($s0 -> $(dmas))"
[ "$(cat "$knobs/completed")" -gt "$c0" ] || fail "the engine copied nothing for it"
# 128 KiB with the bad range in its middle: EIO, and the engine not asked
mid=$(( bad - 100 ))
s0=$(dmas) u0=$(stat_of cpu_ios)
if rd $mid /tmp/x 256; then fail "128 KiB read across the bad range succeeded"; fi
eio "128 KiB read across the bad range"
[ "$(dmas)" = "$s0" ] || fail "a read across the bad range reached the DMA path ($s0 -> $(dmas))"
[ "$(stat_of cpu_ios)" = "$u0" ] || fail "a failed read was counted as served"
echo "badblocks: DMA-sized read across the bad range: EIO, DMA counters and engine unchanged ($s0)"

note "write over the bad range, bus commands: $cmds"
head -c 4096 /dev/urandom > /tmp/w
wr() { dd if=/tmp/w of=/dev/pmem0 bs=4096 seek=$(( bad * 512 )) count=1 \
	oflag=direct,seek_bytes conv=fsync status=none 2>/tmp/err; }
if grep -qw clear_error <<<"$cmds"; then
	wr || fail "write over the bad range failed although the bus can clear errors: $(cat /tmp/err)"
	[ -z "$(cat $bb)" ] || fail "write succeeded but bad blocks remain: $(cat $bb)"
	rd $bad /tmp/x || fail "read after the clearing write failed: $(cat /tmp/err)"
	cmp /tmp/w /tmp/x || fail "cleared sectors read back wrong data"
	echo "badblocks: the write cleared the poison and reads back"
else
	if wr; then fail "write over the bad range succeeded on a bus without clear_error"; fi
	eio "write over the bad range"
	grep -q "^$bad 8\$" $bb || fail "failed write dropped the bad block entry: $(cat $bb)"
	if rd $bad /tmp/x; then fail "bad sector readable after the failed write"; fi
	echo "badblocks: no clear_error on $bus: write failed with EIO, entry kept"
fi
rd $(( bad - 8 )) /tmp/before || fail "neighbour before, after the write: $(cat /tmp/err)"
cmp /tmp/before <(pat $(( bad - 8 )) 8) || fail "neighbour before the bad range changed"
echo "badblocks: EIO on sector $bad, neighbours intact"
