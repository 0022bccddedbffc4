#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The engine going away while a dma_ext client holds its channels:
# rmmod dma_soft is refused while they are held; unbinding its device tells
# the client, which releases them, and then everything unloads cleanly.
. "$(dirname "$0")/../pmem/lib.sh"
. "$(dirname "$0")/lib.sh"

load_dma channels=2
dmesg -C
insmod "$(ext_dir)/dma_ext_stress.ko" requests=50 hold=1
ls /sys/kernel/debug/dma_ext | grep -q chan || fail "no dma_ext channel held"

if rmmod dma_soft 2>/tmp/err; then fail "rmmod dma_soft succeeded while its channels are held"; fi
grep -qi "in use" /tmp/err || fail "rmmod dma_soft: $(cat /tmp/err)"
note "rmmod refused while held: $(cat /tmp/err)"

echo dma_soft > /sys/bus/platform/drivers/dma_soft/unbind
grep -q "engine going away" <(dmesg) || fail "the client was not told"
# the client releases from a work item once told; the unbind does not wait
wait_for 10 test -z "$(ls /sys/kernel/debug/dma_ext)" ||
	fail "channels still held after unbind: $(ls /sys/kernel/debug/dma_ext)"
rmmod dma_soft || fail "rmmod dma_soft after unbind"
rmmod dma_ext_stress
rmmod dma_ext

note "load, use and unload 20 times"
for i in $(seq 20); do
	load_dma channels=$(( i % 4 + 1 ))
	insmod "$(ext_dir)/dma_ext_stress.ko" requests=20 threads_per_cpu=1
	rmmod dma_ext_stress dma_soft dma_ext
done
# leaks: tests/vm/init scans after the test on a kmemleak=on boot
echo "removal: rmmod refused while held, unbind released the client, 20 clean load cycles"
