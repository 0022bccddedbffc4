#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The namespace is served by pmem_dma and looks like an nd_pmem disk.
. "$(dirname "$0")/lib.sh"

expect_driver pmem_dma
ndctl list -N
ndctl list -N | grep -q '"blockdev":"pmem0"' || fail "ndctl does not list pmem0 as the namespace's blockdev"
ndctl list -N | grep -q '"mode":"fsdax"' || fail "namespace is not in fsdax mode"
grep -q '^pmem_dma ' /proc/modules || fail "pmem_dma not loaded"
grep -q '^nd_pmem ' /proc/modules && fail "nd_pmem was loaded by the setup"

# blk-mq with one hardware queue per CPU by default, not a bio driver
nq=$(ls /sys/block/pmem0/mq | wc -l)
[ "$nq" -eq "$(nproc)" ] || fail "$nq hardware queues, expected $(nproc)"
[ "$(cat /sys/block/pmem0/queue/write_cache)" = "write back" ] ||
	fail "write cache not advertised"
[ "$(cat /sys/block/pmem0/queue/dax)" = 1 ] || fail "fsdax disk without DAX"
size=$(blockdev --getsize64 /dev/pmem0)
[ "$size" -gt $(( 900 << 20 )) ] || fail "pmem0 is only $size bytes"

before=$(stat_of cpu_ios)
dd if=/dev/zero of=/dev/pmem0 bs=4k count=16 oflag=direct status=none
dd if=/dev/pmem0 of=/dev/null bs=4k count=16 iflag=direct status=none
after=$(stat_of cpu_ios)
[ $(( after - before )) -ge 32 ] || fail "cpu_ios moved by $(( after - before )), expected >= 32"
echo "pmem0: $(( size >> 20 )) MiB, $nq hw queues, served by pmem_dma"
