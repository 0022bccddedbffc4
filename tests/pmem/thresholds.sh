#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Per-direction thresholds (tests/vm/run --setup): dma_threshold_read and
# dma_threshold_write each steer their own direction, request by request;
# dma_threshold sets both and shows the write one; the module parameters
# set the initial values, a direction given after dma_threshold overriding
# it. Data reads back the same whichever path carried it.
. "$(dirname "$0")/lib.sh"

d=/sys/block/pmem0/pmem_dma
expect_driver pmem_dma
[ "$(stat_of dma_channel)" != none ] || fail "no DMA channel: guest-setup loads dma_soft"
for f in dma_threshold dma_threshold_read dma_threshold_write; do
	[ "$(cat $d/$f)" = 65536 ] || fail "$f starts at $(cat $d/$f), not 65536"
done

# 8 writes then 8 reads of 1 MiB: how many of each went to DMA and CPU
head -c 8M /dev/urandom > /tmp/thr
run() { # want: "write_dma write_cpu read_dma read_cpu"
	local c0 d0 c1 d1 c2 d2
	c0=$(stat_of cpu_ios) d0=$(stat_of dma_ios)
	dd if=/tmp/thr of=/dev/pmem0 bs=1M seek=32 oflag=direct status=none
	c1=$(stat_of cpu_ios) d1=$(stat_of dma_ios)
	dd if=/dev/pmem0 of=/tmp/thr.back bs=1M skip=32 count=8 iflag=direct status=none
	c2=$(stat_of cpu_ios) d2=$(stat_of dma_ios)
	got="$(( d1 - d0 )) $(( c1 - c0 )) $(( d2 - d1 )) $(( c2 - c1 ))"
	[ "$got" = "$1" ] || fail "read $(cat $d/dma_threshold_read) write $(cat $d/dma_threshold_write):" \
		"writes DMA/CPU, reads DMA/CPU: $got, want $1"
	cmp /tmp/thr /tmp/thr.back || fail "data read back differs (read $(cat $d/dma_threshold_read)," \
		"write $(cat $d/dma_threshold_write))"
}

echo 4294967295 > $d/dma_threshold_read
echo 0 > $d/dma_threshold_write
run "8 0 0 8"
[ "$(cat $d/dma_threshold)" = 0 ] || fail "dma_threshold shows $(cat $d/dma_threshold), not the write threshold"
echo 0 > $d/dma_threshold_read
echo 4294967295 > $d/dma_threshold_write
run "0 8 8 0"
# the cut-over is per direction: 1 MiB is DMA from 1048576 on, CPU above
echo 1048576 > $d/dma_threshold_read
echo 1048577 > $d/dma_threshold_write
run "0 8 8 0"
echo 12345 > $d/dma_threshold
[ "$(cat $d/dma_threshold_read) $(cat $d/dma_threshold_write)" = "12345 12345" ] ||
	fail "dma_threshold 12345 left read $(cat $d/dma_threshold_read), write $(cat $d/dma_threshold_write)"
run "8 0 8 0"

note "module parameters"
rmmod pmem_dma
insmod "$(pmem_dma_ko)" dma_threshold=4096 dma_threshold_read=8192
wait_for 10 test -b /dev/pmem0 || fail "pmem0 did not come back"
p=/sys/module/pmem_dma/parameters
got="$(cat $d/dma_threshold_read) $(cat $d/dma_threshold_write) $(cat $p/dma_threshold_read) $(cat $p/dma_threshold_write)"
[ "$got" = "8192 4096 8192 4096" ] ||
	fail "dma_threshold=4096 dma_threshold_read=8192: disk read/write, parameters read/write: $got"
echo "thresholds: ok"
