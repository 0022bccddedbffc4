#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# DMA failures never reach the data: with dma_soft failing, reordering,
# delaying and stalling descriptors, fio verify sees 0 errors; the failed
# requests were redone by the CPU (dma_fallbacks, dma_errors) and stalled
# ones were aborted by the blk-mq timeout.
. "$(dirname "$0")/lib.sh"

knob() { echo "$2" > "$(soft_debugfs)/$1"; }
count() { cat "$(soft_debugfs)/$1"; }

# reload with a short timeout so that stalls are noticed quickly
rmmod pmem_dma
insmod "$(pmem_dma_ko)" timeout_ms=1000 dma_threshold=0
wait_for 10 test -b /dev/pmem0 || fail "pmem0 did not come back"
[ "$(stat_of dma_channel)" != none ] || fail "no DMA channel"

run_fio() { # name size
	fio --eta=never --output=/tmp/fio.log --name="$1" --filename=/dev/pmem0 \
		--direct=1 --ioengine=libaio --iodepth=16 --rw=randwrite \
		--bsrange=4k-1M --size="$2" --verify=crc32c --verify_fatal=1 ||
		{ cat /tmp/fio.log; fail "fio verify under faults ($1)"; }
}

note "every 5th descriptor fails, out of order, 30 us latency"
knob fail_every 5; knob out_of_order 1; knob delay_us 30
e0=$(stat_of dma_errors) f0=$(stat_of dma_fallbacks)
i0=$(count injected_errors) r0=$(count reordered) c0=$(count completed)
run_fio errors 128M
e1=$(stat_of dma_errors) f1=$(stat_of dma_fallbacks)
i1=$(count injected_errors) r1=$(count reordered) c1=$(count completed)
echo "injected $(( i1 - i0 )) errors, reordered $(( r1 - r0 )) of $(( c1 - c0 )) descriptors:" \
	"dma_errors +$(( e1 - e0 )), dma_fallbacks +$(( f1 - f0 ))"
# each fault class of this run must really have happened in it
[ $(( i1 - i0 )) -gt 0 ] || fail "no error was injected"
[ $(( r1 - r0 )) -gt 0 ] || fail "no descriptor completed out of order"
[ $(( e1 - e0 )) -gt 0 ] || fail "injected errors did not surface as dma_errors"
[ $(( f1 - f0 )) -ge $(( e1 - e0 )) ] || fail "failed DMA requests were not all redone by the CPU"

note "every 20th descriptor stalls: the timeout aborts, the CPU redoes"
knob fail_every 0; knob delay_us 0; knob stall_every 20
dmesg -C
e0=$(stat_of dma_errors) s0=$(count stalls)
run_fio stalls 24M
e1=$(stat_of dma_errors) s1=$(count stalls)
echo "stalls +$(( s1 - s0 )): dma_errors +$(( e1 - e0 ))"
[ $(( s1 - s0 )) -gt 0 ] || fail "no stall injected"
[ $(( e1 - e0 )) -gt 0 ] || fail "stalled requests were not aborted"
grep -q "DMA request timed out" <(dmesg) || fail "no timeout was reported"
knob stall_every 0; knob out_of_order 0

note "cross-check the fault-run data through nd_pmem"
head -c 8M /dev/urandom > /tmp/a
knob fail_every 3
dd if=/tmp/a of=/dev/pmem0 bs=1M seek=700 oflag=direct conv=fsync status=none
knob fail_every 0
modprobe nd_pmem
rebind "$(nd_dev_of)" pmem_dma nd_pmem
[ "$(sha_of_range /dev/pmem0 700 8)" = "$(sha256sum < /tmp/a | cut -d' ' -f1)" ] ||
	fail "data written under DMA faults differs through nd_pmem"
echo "dma-faults: errors and stalls redone by the CPU, 0 verify errors, nd_pmem reads it back"
