#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# What a disk costs in memory, measured across binds of the namespace:
# MemFree before and after, at queue depths 32 and 512 (which separates the
# per-request cost from the rest). The per-request cost must match the size
# the driver reports (its PDU plus struct request, within the slack of
# blk-mq's page allocations), and the automatic queue shape must keep a
# disk under 16 MiB on a 256-CPU host, by these measurements.
. "$(dirname "$0")/lib.sh"

expect_driver pmem_dma
dev=$(nd_dev_of)
ko=$(pmem_dma_ko)

free_kib() {
	sync
	echo 3 > /proc/sys/vm/drop_caches
	sed -n 's/^MemFree: *\([0-9]*\) kB/\1/p' /proc/meminfo
}

unbind() {
	echo "$dev" > /sys/bus/nd/drivers/pmem_dma/unbind
	wait_for 10 test ! -e /sys/block/pmem0 || fail "pmem0 still there after unbind"
}
bind() {
	echo "$dev" > /sys/bus/nd/drivers/pmem_dma/bind
	wait_for 10 test -b /dev/pmem0 || fail "pmem0 did not come back"
}

# cost HW DEPTH: KiB a bind takes with these parameters (median of 5)
cost() {
	local -a d=()
	local i f0 f1
	rmmod pmem_dma
	insmod "$ko" hw_queues="$1" queue_depth="$2"
	wait_for 10 test -b /dev/pmem0 || fail "pmem0 did not come back (hw_queues=$1 queue_depth=$2)"
	[ "$(ls /sys/block/pmem0/mq | wc -l)" = "$1" ] || fail "hw_queues=$1 not applied"
	for i in 1 2 3 4 5; do
		unbind
		f0=$(free_kib)
		bind
		f1=$(free_kib)
		d+=($(( f0 - f1 )))
	done
	printf '%s\n' "${d[@]}" | sort -n | sed -n 3p
}

# fewer pages parked on per-CPU free lists, where MemFree misses them
echo 1000000 > /proc/sys/vm/percpu_pagelist_high_fraction
c32=$(cost 2 32)
c512=$(cost 2 512)
rq_bytes=$(dmesg | sed -n 's/.*pmem0: .*, \([0-9]*\) bytes per request$/\1/p' | tail -n 1)
[ -n "$rq_bytes" ] || fail "the driver did not report its request size"
echo "bind cost with 2 hw queues: depth 32: $c32 KiB, depth 512: $c512 KiB"

# Per request from the two depths; the rest is the disk's fixed cost plus
# its two queues' (this VM cannot have more queues than its two CPUs to
# tell them apart), counted for larger hosts as if all of it grew with
# the queues: an upper bound.
per_rq=$(( (c512 - c32) * 1024 / (2 * 480) ))
rest=$(( c32 * 1024 - 2 * 32 * per_rq ))
echo "per request $per_rq B (driver: $rq_bytes B); disk and its 2 queues $(( rest >> 10 )) KiB"
# blk-mq packs requests into 64 KiB allocations: a request a little over
# 16 KiB would waste a quarter of them; measurement noise is a few percent
[ "$per_rq" -ge $(( rq_bytes * 9 / 10 )) ] || fail "a request costs less ($per_rq B) than its size ($rq_bytes B)?"
[ "$per_rq" -le $(( rq_bytes * 5 / 4 )) ] ||
	fail "a request costs $per_rq B, more than its $rq_bytes B allow"
# the rest is small (tens of KiB) next to MemFree's noise on a busy host
# (about 100 KiB): it may even come out below zero, and then counts as 0
[ "$rest" -gt -$(( 256 << 10 )) ] || fail "the disk costs $(( rest >> 10 )) KiB beyond its requests? the measurement is off"
[ "$rest" -ge 0 ] || rest=0

# The automatic shape (pmem_dma_queue_shape(), KUnit-tested) for N CPUs.
# Per possible CPU, which this VM cannot vary, a disk also has blk-mq's
# software context, a pointer in each hardware queue's map and our
# counters: under 1 KiB, counted as 1 KiB beyond the VM's two.
est() { # CPUS -> bytes per namespace
	local hw=$(( $1 < 8 ? $1 : 8 )) qd
	qd=$(( 512 / hw ))
	qd=$(( qd > 128 ? 128 : (qd < 32 ? 32 : qd) ))
	echo $(( rest * hw / 2 + hw * qd * per_rq + ($1 - 2) * 1024 ))
}
mib() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'; }
m2=$(est 2) m64=$(est 64) m256=$(est 256)
[ "$m256" -le $(( 16 << 20 )) ] || fail "a disk would take $(mib "$m256") MiB on 256 CPUs"
echo "footprint: $per_rq B per request; per namespace $(mib "$m2") MiB on 2 CPUs, $(mib "$m64") MiB on 64, $(mib "$m256") MiB on 256"
