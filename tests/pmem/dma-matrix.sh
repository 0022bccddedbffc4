#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Size-based dispatch: fio verify with dma_threshold 0, 4 KiB, 64 KiB,
# 1 MiB and CPU only. The counters must agree with the block layer:
# dma_ios + cpu_ios = requests completed (/sys/block/pmem0/stat),
# dma_submits = dma_ios, and each threshold sends what it should to DMA.
# usage: dma-matrix.sh [THRESHOLD...]   (default: the five above)
. "$(dirname "$0")/lib.sh"

expect_driver pmem_dma
[ "$(stat_of dma_channel)" != none ] || fail "no DMA channel (dma_soft not loaded?)"
# pmem_dma starts with I/O accounting off, as nd_pmem does; the check needs it
[ "$(cat /sys/block/pmem0/queue/iostats)" = 0 ] || fail "queue/iostats is not off by default"
echo 1 > /sys/block/pmem0/queue/iostats
requests() { awk '{ print $1 + $5 }' /sys/block/pmem0/stat; }
snap() { echo "$(requests) $(stat_of cpu_ios) $(stat_of dma_ios) $(stat_of dma_submits) $(stat_of dma_fallbacks) $(stat_of dma_errors)"; }

[ $# -gt 0 ] || set -- 0 4096 65536 1048576 4294967295
for thr in "$@"; do
	[[ $thr =~ ^[0-9]+$ ]] || fail "usage: dma-matrix.sh [THRESHOLD...]"
	echo "$thr" > /sys/block/pmem0/pmem_dma/dma_threshold
	[ "$(stat_of dma_threshold)" = "$thr" ] || fail "dma_threshold did not take $thr"
	read -r r0 c0 d0 s0 f0 e0 < <(snap)
	fio --eta=never --output=/tmp/fio.log "$(dirname "$0")/dma.fio" ||
		{ cat /tmp/fio.log; fail "fio verify with dma_threshold=$thr"; }
	read -r r1 c1 d1 s1 f1 e1 < <(snap)
	req=$(( r1 - r0 )) cpu=$(( c1 - c0 )) dma=$(( d1 - d0 )) sub=$(( s1 - s0 ))
	echo "dma_threshold=$thr: $req requests: cpu_ios +$cpu, dma_ios +$dma, dma_submits +$sub, fallbacks +$(( f1 - f0 )), errors +$(( e1 - e0 ))"
	[ $(( cpu + dma )) -eq "$req" ] || fail "cpu_ios + dma_ios = $(( cpu + dma )), block layer saw $req"
	[ "$sub" -eq "$dma" ] || fail "dma_submits +$sub != dma_ios +$dma: not one submission per request"
	[ $(( e1 - e0 )) -eq 0 ] || fail "DMA errors without fault injection"
	case $thr in
	0) [ "$cpu" -eq 0 ] || fail "threshold 0 left $cpu requests to the CPU" ;;
	4294967295) [ "$dma" -eq 0 ] || fail "CPU-only threshold sent $dma requests to DMA" ;;
	*) [ "$dma" -gt 0 ] && [ "$cpu" -gt 0 ] || fail "threshold $thr: expected both paths" ;;
	esac
done
echo 65536 > /sys/block/pmem0/pmem_dma/dma_threshold
echo 0 > /sys/block/pmem0/queue/iostats
echo "dma-matrix: thresholds $* x psync/libaio/io_uring x qd 1/32, verified, counters agree"
