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
#  - dma_soft copies exactly the DMA-written bytes around the caches
#    (debugfs flushed_bytes) when it declares the capability, none when not;
#  - everything written reads back the same through DMA and the CPU, and
#    dma_soft's busy_ns (its copying time, which bench/ subtracts as the
#    engine's share) grows with the DMA writes and not with CPU reads.
. "$(dirname "$0")/lib.sh"

f=/sys/block/pmem0/pmem_dma/dma_write_durability
[ "${VM_EADR:-0}" = 0 ] || fail "needs volatile caches (no --eadr)"
expect_driver pmem_dma
[ "$(cat /sys/block/pmem0/dax/write_cache)" = 1 ] || fail "dax/write_cache is not 1"
[ "$(cat $f)" = "[auto] writeback engine" ] || fail "dma_write_durability starts as '$(cat $f)'"
echo 0 > /sys/block/pmem0/pmem_dma/dma_threshold

# write 16 MiB by DMA, check it moved by DMA and reads back by DMA and by
# the CPU; prints the bytes pmem_dma wrote back and the bytes dma_soft
# copied around the caches (flushed_bytes) meanwhile
dma_write() {
	local b0 w0 t0 b1 wb e0 e1 fl0 off=64
	head -c 16M /dev/urandom > /tmp/dur
	b0=$(stat_of dma_bytes) w0=$(stat_of dma_wb_bytes) t0=$(stat_of dma_wb_ns)
	e0=$(cat "$(soft_debugfs)/busy_ns") fl0=$(cat "$(soft_debugfs)/flushed_bytes")
	dd if=/tmp/dur of=/dev/pmem0 bs=1M seek=$off oflag=direct status=none
	b1=$(stat_of dma_bytes) wb=$(( $(stat_of dma_wb_bytes) - w0 ))
	e1=$(cat "$(soft_debugfs)/busy_ns")
	[ "$e1" -gt "$e0" ] || fail "dma_soft copied 16 MiB in no time (busy_ns $e0 -> $e1)"
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
	e0=$(cat "$(soft_debugfs)/busy_ns")
	dd if=/dev/pmem0 of=/tmp/dur.cpu bs=1M skip=$off count=16 iflag=direct status=none
	[ "$(cat "$(soft_debugfs)/busy_ns")" = "$e0" ] || fail "busy_ns moved while the CPU copied"
	echo 0 > /sys/block/pmem0/pmem_dma/dma_threshold
	cmp /tmp/dur /tmp/dur.cpu || fail "data read back by the CPU differs"
	echo "$wb $(( $(cat "$(soft_debugfs)/flushed_bytes") - fl0 ))"
}
full=$(( 16 << 20 ))
# the engine's flushing copies go with its capability, never with the mode:
# only the writes into pmem, none of the reads out of it
expect_wb() { # mode want_written_back want_flushed what
	local r wb fl
	echo "$1" > $f || fail "dma_write_durability refused $1"
	[ "$(cat $f)" = "$(sed "s/\b$1\b/[$1]/" <<<"auto writeback engine")" ] ||
		fail "dma_write_durability shows '$(cat $f)' after writing $1"
	r=$(dma_write) || exit 1
	read -r wb fl <<<"$r"
	[ "$wb" -eq "$2" ] || fail "$4, $1: $wb of $full DMA-written bytes written back, want $2"
	[ "$fl" -eq "$3" ] || fail "$4, $1: the engine copied $fl bytes around the caches, want $3"
	echo "$4, $1: $wb bytes written back, $fl copied around the caches by the engine"
}

note "dma_soft durable_writes=1 (default)"
[ "$(chan_caps)" = "durable_writes atomic_submit" ] || fail "dma_soft's channel declares '$(chan_caps)'"
expect_wb auto 0 $full "durable engine"
expect_wb writeback $full $full "durable engine"
expect_wb engine 0 $full "durable engine"

note "bad values change nothing"
for v in "" bogus Auto 1 "auto writeback" "[auto]" autox; do
	if (printf '%s\n' "$v" > $f) 2>/tmp/err; then fail "dma_write_durability accepted '$v'"; fi
	grep -q "Invalid argument" /tmp/err || fail "'$v': $(cat /tmp/err)"
	[ "$(cat $f)" = "auto writeback [engine]" ] || fail "'$v' changed it to '$(cat $f)'"
done

note "dma_soft durable_writes=0"
soft_reload durable_writes=0
[ "$(chan_caps)" = atomic_submit ] || fail "durable_writes=0: the channel declares '$(chan_caps)', want only atomic_submit"
expect_wb auto $full 0 "caching engine"
expect_wb engine 0 0 "caching engine"

note "personality ioat: no dmaengine driver declares durable writes"
soft_reload personality=ioat durable_writes=1
[ -z "$(chan_caps)" ] || fail "ioat declares '$(chan_caps)'"
expect_wb auto $full 0 "ioat"
echo "durable: ok"
