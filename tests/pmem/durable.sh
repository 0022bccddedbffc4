#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Who makes a DMA write durable, on a platform whose caches are volatile
# (tests/vm/run --setup, no --eadr):
#  - dma_soft durable_writes=1 (its default): the channel declares
#    durable_writes (dma_ext debugfs caps), and pmem_dma's
#    dma_write_durability, [auto], writes nothing back: dma_wb_bytes and
#    dma_wb_ns stay put while DMA writes move data;
#  - "writeback" writes back every DMA-written byte (and dma_wb_ns grows),
#    "engine" none, whatever the engine declares;
#  - dma_soft durable_writes=0, or any other personality: no capability,
#    and auto writes back exactly the DMA-written bytes;
#  - bad values are refused with EINVAL and change nothing;
#  - everything written reads back the same through DMA and the CPU.
. "$(dirname "$0")/lib.sh"

f=/sys/block/pmem0/pmem_dma/dma_write_durability
[ "${VM_EADR:-0}" = 0 ] || fail "needs volatile caches (no --eadr)"
expect_driver pmem_dma
[ "$(cat /sys/block/pmem0/dax/write_cache)" = 1 ] || fail "dax/write_cache is not 1"
[ "$(cat $f)" = "[auto] writeback engine" ] || fail "dma_write_durability starts as '$(cat $f)'"
echo 0 > /sys/block/pmem0/pmem_dma/dma_threshold

# write 16 MiB by DMA, check it moved by DMA and reads back by DMA and by
# the CPU; prints the bytes written back meanwhile
dma_write() {
	local b0 w0 t0 b1 wb off=64
	head -c 16M /dev/urandom > /tmp/dur
	b0=$(stat_of dma_bytes) w0=$(stat_of dma_wb_bytes) t0=$(stat_of dma_wb_ns)
	dd if=/tmp/dur of=/dev/pmem0 bs=1M seek=$off oflag=direct status=none
	b1=$(stat_of dma_bytes) wb=$(( $(stat_of dma_wb_bytes) - w0 ))
	[ $(( b1 - b0 )) -eq $(( 16 << 20 )) ] || fail "16 MiB of 1 MiB writes moved $(( b1 - b0 )) bytes by DMA"
	if [ "$wb" -gt 0 ]; then
		[ "$(stat_of dma_wb_ns)" -gt "$t0" ] || fail "$wb bytes written back in no time (dma_wb_ns)"
	else
		[ "$(stat_of dma_wb_ns)" = "$t0" ] || fail "dma_wb_ns moved with nothing written back"
	fi
	dd if=/dev/pmem0 of=/tmp/dur.dma bs=1M skip=$off count=16 iflag=direct status=none
	[ "$(stat_of dma_bytes)" -gt "$b1" ] || fail "the reads did not go through DMA"
	cmp /tmp/dur /tmp/dur.dma || fail "data read back by DMA differs"
	echo 4294967295 > /sys/block/pmem0/pmem_dma/dma_threshold
	dd if=/dev/pmem0 of=/tmp/dur.cpu bs=1M skip=$off count=16 iflag=direct status=none
	echo 0 > /sys/block/pmem0/pmem_dma/dma_threshold
	cmp /tmp/dur /tmp/dur.cpu || fail "data read back by the CPU differs"
	echo "$wb"
}
full=$(( 16 << 20 ))
expect_wb() { # mode want what
	local wb
	echo "$1" > $f || fail "dma_write_durability refused $1"
	[ "$(cat $f)" = "$(sed "s/\b$1\b/[$1]/" <<<"auto writeback engine")" ] ||
		fail "dma_write_durability shows '$(cat $f)' after writing $1"
	wb=$(dma_write) || exit 1
	[ "$wb" -eq "$2" ] || fail "$3, $1: $wb of $full DMA-written bytes written back, want $2"
	echo "$3, $1: $wb bytes written back"
}

note "dma_soft durable_writes=1 (default)"
[ "$(chan_caps)" = durable_writes ] || fail "dma_soft's channel declares '$(chan_caps)'"
expect_wb auto 0 "durable engine"
expect_wb writeback $full "durable engine"
expect_wb engine 0 "durable engine"

note "bad values change nothing"
for v in "" bogus Auto 1 "auto writeback" "[auto]" autox; do
	if (printf '%s\n' "$v" > $f) 2>/tmp/err; then fail "dma_write_durability accepted '$v'"; fi
	grep -q "Invalid argument" /tmp/err || fail "'$v': $(cat /tmp/err)"
	[ "$(cat $f)" = "auto writeback [engine]" ] || fail "'$v' changed it to '$(cat $f)'"
done

note "dma_soft durable_writes=0"
soft_reload durable_writes=0
[ -z "$(chan_caps)" ] || fail "durable_writes=0, but the channel declares '$(chan_caps)'"
expect_wb auto $full "caching engine"
expect_wb engine 0 "caching engine"

note "personality ioat: no dmaengine driver declares durable writes"
soft_reload personality=ioat durable_writes=1
[ -z "$(chan_caps)" ] || fail "ioat declares '$(chan_caps)'"
expect_wb auto $full "ioat"
echo "durable: ok"
