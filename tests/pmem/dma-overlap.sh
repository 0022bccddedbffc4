#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Writes to the same sectors in flight together on the DMA path: two fio
# writers over one 64 MiB range at dma_threshold 0. blk-mq lets them, so
# the namespace side of both is mapped for the engine at once; the kernel
# (on the debug kernel, its DMA API checks) must have nothing to report.
# What such racing writes leave is undefined on any disk: only a single
# writer's pass afterwards is verified.
. "$(dirname "$0")/lib.sh"

expect_driver pmem_dma
[ "$(stat_of dma_channel)" != none ] || fail "no DMA channel"
echo 0 > /sys/block/pmem0/pmem_dma/dma_threshold
d0=$(stat_of dma_ios)
fio --eta=never --output=/tmp/fio.log --filename=/dev/pmem0 --direct=1 \
	--ioengine=libaio --iodepth=8 --rw=randwrite --bs=1M --offset=256M \
	--size=64M --io_size=384M --norandommap --name=a --name=b ||
	{ cat /tmp/fio.log; fail "racing writers"; }
d1=$(stat_of dma_ios)
[ $(( d1 - d0 )) -ge 768 ] || fail "only $(( d1 - d0 )) of 768 racing writes went to DMA"
fio --eta=never --output=/tmp/fio.log --filename=/dev/pmem0 --direct=1 \
	--ioengine=libaio --iodepth=8 --rw=randwrite --bs=1M --offset=256M \
	--size=64M --verify=crc32c --verify_fatal=1 --name=verify ||
	{ cat /tmp/fio.log; fail "verify after the racing writers"; }
echo 65536 > /sys/block/pmem0/pmem_dma/dma_threshold
echo "dma-overlap: $(( d1 - d0 )) DMA writes from two writers on one 64 MiB range, then verified"
