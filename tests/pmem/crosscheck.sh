#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Data written through pmem_dma reads back byte-identical through nd_pmem
# after a sysfs unbind/bind, and the other way round.
. "$(dirname "$0")/lib.sh"

expect_driver pmem_dma
dev=$(nd_dev_of)
modprobe nd_pmem
grep -q '^nd_pmem ' /proc/modules || fail "nd_pmem did not load"

head -c 48M /dev/urandom > /tmp/a
head -c 40M /dev/urandom > /tmp/b
sha_a=$(sha256sum < /tmp/a | cut -d' ' -f1)
sha_b=$(sha256sum < /tmp/b | cut -d' ' -f1)

note "write A (48 MiB at 100 MiB) through pmem_dma, read it through nd_pmem"
d0=$(stat_of dma_bytes) c0=$(stat_of cpu_bytes)
dd if=/tmp/a of=/dev/pmem0 bs=1M seek=100 oflag=direct conv=fsync status=none
# 1 MiB requests: DMA when there is an engine (guest-setup loads one)
if [ "$(stat_of dma_channel)" != none ]; then
	[ $(( $(stat_of dma_bytes) - d0 )) -ge $(( 48 << 20 )) ] || fail "A did not go through DMA"
else
	[ $(( $(stat_of cpu_bytes) - c0 )) -ge $(( 48 << 20 )) ] || fail "A did not go through the CPU"
fi
rebind "$dev" pmem_dma nd_pmem
[ "$(sha_of_range /dev/pmem0 100 48)" = "$sha_a" ] || fail "A differs through nd_pmem"

note "write B (40 MiB at 300 MiB) through nd_pmem, read A and B through pmem_dma"
dd if=/tmp/b of=/dev/pmem0 bs=1M seek=300 oflag=direct conv=fsync status=none
rebind "$dev" nd_pmem pmem_dma
[ "$(sha_of_range /dev/pmem0 300 40)" = "$sha_b" ] || fail "B differs through pmem_dma"
[ "$(sha_of_range /dev/pmem0 100 48)" = "$sha_a" ] || fail "A differs after the round trip"

note "unaligned, sub-page IO through pmem_dma reads back through nd_pmem"
head -c 7680 /dev/urandom > /tmp/c
c0=$(stat_of cpu_ios)
dd if=/tmp/c of=/dev/pmem0 bs=512 seek=$(( 500 * 2048 + 3 )) oflag=direct conv=fsync status=none
[ $(( $(stat_of cpu_ios) - c0 )) -ge 15 ] || fail "the 512 B writes were not copied by the CPU"
rebind "$dev" pmem_dma nd_pmem
dd if=/dev/pmem0 of=/tmp/c2 bs=512 skip=$(( 500 * 2048 + 3 )) count=15 iflag=direct status=none
cmp /tmp/c /tmp/c2 || fail "sub-page data differs through nd_pmem"
rebind "$dev" nd_pmem pmem_dma
echo "crosscheck: pmem_dma -> nd_pmem and nd_pmem -> pmem_dma byte-identical ($dev)"
