#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Unbind, rebind, rmmod and reload pmem_dma while idle; data survives each.
. "$(dirname "$0")/lib.sh"

expect_driver pmem_dma
dev=$(nd_dev_of)
head -c 16M /dev/urandom > /tmp/a
sha=$(sha256sum < /tmp/a | cut -d' ' -f1)
dd if=/tmp/a of=/dev/pmem0 bs=1M seek=10 oflag=direct conv=fsync status=none

for i in 1 2 3; do
	echo "$dev" > /sys/bus/nd/drivers/pmem_dma/unbind
	wait_for 10 test ! -e /sys/block/pmem0 || fail "pmem0 still there after unbind"
	echo "$dev" > /sys/bus/nd/drivers/pmem_dma/bind
	wait_for 10 test -b /dev/pmem0 || fail "pmem0 not back after bind"
	expect_driver pmem_dma
	[ "$(sha_of_range /dev/pmem0 10 16)" = "$sha" ] || fail "data changed across unbind/bind $i"
done

for i in 1 2 3; do
	rmmod pmem_dma || fail "rmmod pmem_dma while idle failed"
	test ! -e /sys/block/pmem0 || fail "pmem0 survived rmmod"
	insmod "$(pmem_dma_ko)"
	wait_for 10 test -b /dev/pmem0 || fail "pmem0 not back after insmod $i"
	expect_driver pmem_dma
	[ "$(sha_of_range /dev/pmem0 10 16)" = "$sha" ] || fail "data changed across reload $i"
done
echo "lifecycle: 3 unbind/bind and 3 rmmod/insmod cycles, data intact"
