#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# dma_soft hosted on a PCI function (pci=<BDF>): it binds through
# driver_override, its channels copy correctly (dmatest), and it unbinds.
# Needs a spare PCI function: tests/vm/run --device pci-testdev.
. "$(dirname "$0")/../pmem/lib.sh"
. "$(dirname "$0")/lib.sh"

bdf=
for d in /sys/bus/pci/devices/*; do
	if [ "$(cat "$d/vendor")" = 0x1b36 ] && [ "$(cat "$d/device")" = 0x0005 ]; then
		bdf=$(basename "$d")
	fi
done
[ -n "$bdf" ] || { echo "no pci-testdev function in this VM"; exit 77; }

if insmod "$(ext_dir)/dma_ext.ko" && insmod "$(ext_dir)/dma_soft.ko" pci=0000:ff:1f.7 2>/tmp/err; then
	fail "dma_soft loaded for a PCI function that does not exist"
fi
grep -q "No such device" /tmp/err || fail "bad pci=: $(cat /tmp/err)"

insmod "$(ext_dir)/dma_soft.ko" pci="$bdf" channels=1
[ "$(basename "$(readlink -f /sys/bus/pci/devices/$bdf/driver)")" = dma_soft ] ||
	fail "$bdf is not bound to dma_soft"
# the channels must be the PCI function's, not any engine's
[ -d "/sys/bus/pci/devices/$bdf/dma" ] || fail "no DMA engine under $bdf: $(ls /sys/class/dma)"
chan=$(find "/sys/bus/pci/devices/$bdf/dma" -maxdepth 1 -name 'dma*chan*' -printf '%f\n' | sort | head -n 1)
[ -n "$chan" ] || fail "no DMA channel under $bdf"
modprobe dmatest
p=/sys/module/dmatest/parameters
dmesg -C
echo 2000 > $p/iterations
echo 65536 > $p/test_buf_size
echo "$chan" > $p/channel
echo 1 > $p/run
cat $p/wait >/dev/null
sum=$(dmesg | grep 'dmatest: .*summary')
echo "$sum"
grep -q "$chan.* 2000 tests, 0 failures " <<<"$sum" || fail "dmatest on the PCI-hosted engine's $chan"
rmmod dmatest
echo "$bdf" > /sys/bus/pci/drivers/dma_soft/unbind
rmmod dma_soft dma_ext
# the next dma_soft must not bind to it unless asked to
ov=$(cat "/sys/bus/pci/devices/$bdf/driver_override")
[ "$ov" = "(null)" ] || fail "dma_soft left driver_override=$ov on $bdf"
echo "pci: dma_soft on PCI function $bdf passed dmatest, unbound and left no driver_override"
