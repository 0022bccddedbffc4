#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The kernel's dmatest on every dma_soft channel, several buffer sizes,
# thousands of iterations: every thread must report 0 failures.
. "$(dirname "$0")/../pmem/lib.sh"
. "$(dirname "$0")/lib.sh"

[ -n "$(modinfo -F filename dmatest 2>/dev/null)" ] || { echo "no dmatest module in this kernel"; exit 77; }
chans=2
load_dma channels=$chans
modprobe dmatest
p=/sys/module/dmatest/parameters
total=0
for size in 512 4096 65536 1048576; do
	iters=$(( size >= 1048576 ? 200 : 2000 ))
	dmesg -C
	echo 20000 > $p/timeout
	echo $iters > $p/iterations
	echo 1 > $p/threads_per_chan
	echo $size > $p/test_buf_size
	echo "" > $p/channel
	echo 1 > $p/run
	cat $p/wait >/dev/null
	sums=$(dmesg | grep 'dmatest: .*summary' || true)
	echo "$sums"
	n=$(grep -c 'summary' <<<"$sums" || true)
	[ "$n" -eq "$chans" ] || fail "test_buf_size=$size: $n thread summaries, expected $chans"
	grep -v " $iters tests, 0 failures " <<<"$sums" && fail "test_buf_size=$size: failures or missing iterations"
	total=$(( total + n * iters ))
done
rmmod dmatest
rmmod dma_soft
rmmod dma_ext
echo "dmatest: $total copies on $chans dma_soft channels, 0 failures"
