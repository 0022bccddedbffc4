#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The post-DMA cache writeback follows the platform's persistence domain.
#   eadr.sh on   (tests/vm/run --eadr: nvdimm-persistence=cpu) the NFIT says
#                the CPU caches are persistent: DMA writes complete without
#                a writeback (dma_wb_bytes stays 0), dax/write_cache is 0;
#   eadr.sh off  (the default, nvdimm-persistence=mem-ctrl) every byte a DMA
#                write moved is written back (dma_wb_bytes grows by exactly
#                dma_bytes' write share), dax/write_cache is 1.
# Both: the data reads back, through DMA and through the CPU. The engine is
# dma_soft with durable_writes=0, which declares nothing (tests/pmem/durable.sh
# tests an engine that does): the platform alone decides.
. "$(dirname "$0")/lib.sh"

want=${1:-}
case $want in on|off) ;; *) fail "usage: eadr.sh on|off" ;; esac
[ "${VM_EADR:-0}" = "$([ "$want" = on ] && echo 1 || echo 0)" ] ||
	fail "eadr.sh $want in a VM with VM_EADR=${VM_EADR:-0}"
expect_driver pmem_dma
[ "$(stat_of dma_channel)" != none ] || fail "no DMA channel: guest-setup loads dma_soft"
wc=$(cat /sys/block/pmem0/dax/write_cache)
soft_reload durable_writes=0
[ "$(chan_caps)" = atomic_submit ] || fail "dma_soft durable_writes=0 declares '$(chan_caps)'"

head -c 32M /dev/urandom > /tmp/eadr
d0=$(stat_of dma_ios) b0=$(stat_of dma_bytes) w0=$(stat_of dma_wb_bytes)
dd if=/tmp/eadr of=/dev/pmem0 bs=1M seek=64 oflag=direct status=none
d1=$(stat_of dma_ios) b1=$(stat_of dma_bytes) w1=$(stat_of dma_wb_bytes)
[ $(( b1 - b0 )) -eq $(( 32 << 20 )) ] || fail "32 MiB of 1 MiB writes moved $(( b1 - b0 )) bytes by DMA"
wb=$(( w1 - w0 ))
if [ "$want" = on ]; then
	[ "$wc" = 0 ] || fail "dax/write_cache is $wc with persistent caches"
	[ "$wb" -eq 0 ] || fail "persistent caches, but $wb bytes were written back after DMA"
else
	[ "$wc" = 1 ] || fail "dax/write_cache is $wc with volatile caches"
	[ "$wb" -eq $(( 32 << 20 )) ] || fail "volatile caches: $wb of $(( 32 << 20 )) DMA-written bytes written back"
fi
# reads write nothing back
dd if=/dev/pmem0 of=/tmp/eadr.dma bs=1M skip=64 count=32 iflag=direct status=none
[ "$(stat_of dma_wb_bytes)" = "$w1" ] || fail "DMA reads were written back"
[ "$(stat_of dma_ios)" -gt "$d1" ] || fail "the 1 MiB reads did not go through DMA"
cmp /tmp/eadr /tmp/eadr.dma || fail "data read back by DMA differs"
echo 4294967295 > /sys/block/pmem0/pmem_dma/dma_threshold
dd if=/dev/pmem0 of=/tmp/eadr.cpu bs=1M skip=64 count=32 iflag=direct status=none
cmp /tmp/eadr /tmp/eadr.cpu || fail "data read back by the CPU differs"
echo "eadr: $want: dax/write_cache $wc, DMA writes $(( d1 - d0 )) requests, $(( b1 - b0 )) bytes, written back $wb bytes"
