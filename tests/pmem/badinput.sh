#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Invalid module parameters make insmod fail with a clear message and leave
# nothing behind; valid ones are taken. On a kernel with kmemleak (booted
# with kmemleak=on) the load/unload cycles must not leak.
. "$(dirname "$0")/lib.sh"

ko=$(pmem_dma_ko)
load_deps "$ko"
modprobe nfit

bad=0
for p in queue_depth=0 queue_depth=10241 queue_depth=-1 queue_depth=abc \
	 queue_depth= queue_depth=99999999999999999999 hw_queues=-1 \
	 hw_queues=100000 hw_queues=1x dma_channels=9 dma_channels=-1 \
	 timeout_ms=99 timeout_ms=600001 dma_threshold=-1 dma_threshold=4294967296 \
	 dma_threshold=64k; do
	dmesg -C
	if insmod "$ko" "$p" 2>/tmp/err; then
		rmmod pmem_dma
		fail "insmod accepted $p"
	fi
	grep -q "Invalid argument\|Invalid parameters" /tmp/err || fail "insmod $p: $(cat /tmp/err)"
	name=${p%%=*}
	grep -q "pmem_dma: $name=.*expected an integer in" <(dmesg) ||
		fail "no clear message for $p in dmesg: $(dmesg | tail -n 3)"
	grep -q '^pmem_dma ' /proc/modules && fail "pmem_dma loaded after bad $p"
	bad=$(( bad + 1 ))
done

insmod "$ko" queue_depth=64 hw_queues=1
[ "$(cat /sys/module/pmem_dma/parameters/queue_depth)" = 64 ] || fail "queue_depth not taken"
[ "$(cat /sys/module/pmem_dma/parameters/hw_queues)" = 1 ] || fail "hw_queues not taken"
rmmod pmem_dma

# kmemleak is built in but off unless booted with kmemleak=on
if grep -qw kmemleak=on /proc/cmdline; then
	for i in 1 2 3; do insmod "$ko"; rmmod pmem_dma; done
	echo clear > /sys/kernel/debug/kmemleak
	for i in 1 2 3; do
		if insmod "$ko" queue_depth=0 2>/dev/null; then fail "queue_depth=0 taken"; fi
	done
	insmod "$ko"
	wait_for 10 test -b /dev/pmem0 || fail "pmem0 did not come back"
	rmmod pmem_dma
	# tests/vm/init scans once the objects are old enough and fails the run
	note "load/unload and failed loads done: kmemleak scans after the test"
fi
echo "badinput: $bad bad parameter values rejected with a message, valid ones taken"
