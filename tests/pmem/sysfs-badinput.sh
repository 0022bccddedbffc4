#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Every writable pmem_dma sysfs file rejects bad values with EINVAL and
# keeps its value; read-only files refuse writes.
. "$(dirname "$0")/lib.sh"

d=/sys/block/pmem0/pmem_dma
rejected=0
reject() { # file value
	local before
	before=$(cat "$d/$1" 2>/dev/null || true)
	if printf '%s\n' "$2" > "$d/$1" 2>/tmp/err; then
		fail "$1 accepted '$2'"
	fi
	grep -q "Invalid argument" /tmp/err || fail "$1 '$2': $(cat /tmp/err)"
	[ "$(cat "$d/$1" 2>/dev/null || true)" = "$before" ] || fail "$1 changed after '$2'"
	rejected=$(( rejected + 1 ))
}

echo 12345 > $d/dma_threshold_read
echo 23456 > $d/dma_threshold_write
for f in dma_threshold dma_threshold_read dma_threshold_write; do
	for v in -1 abc "" 4294967296 99999999999999999999 1.5 "12 34" 0x10 " " 7k; do
		reject $f "$v"
	done
done
[ "$(cat $d/dma_threshold_read) $(cat $d/dma_threshold_write)" = "12345 23456" ] ||
	fail "the thresholds lost their values"
for v in "" bogus Auto 1 "auto writeback" "[auto]"; do
	reject dma_write_durability "$v"
done
[ "$(cat $d/dma_write_durability)" = "[auto] writeback engine" ] || fail "dma_write_durability lost its value"
for v in 0 no abc "" 2; do
	reject dma_rescan "$v"
done
echo 1 > $d/dma_rescan || fail "dma_rescan 1"
# the disk is idle: a refused write leaves every value exactly as it was
for f in dma_channel cpu_ios cpu_bytes dma_ios dma_bytes dma_submits dma_fallbacks \
	 dma_errors dma_timeouts p2p_dma_ios p2p_cpu_ios dma_wb_bytes dma_wb_ns fua_ios flushes batched_ios; do
	before=$(cat $d/$f)
	if (echo 1 > "$d/$f") 2>/tmp/err; then fail "read-only $f accepted a write"; fi
	grep -q "Permission denied" /tmp/err || fail "read-only $f: $(cat /tmp/err)"
	[ "$(cat $d/$f)" = "$before" ] || fail "$f changed from $before to $(cat $d/$f) after a refused write"
	rejected=$(( rejected + 1 ))
done
echo 65536 > $d/dma_threshold

# dax/write_cache, as nd_pmem has it: a boolean, kept on bad input
d=/sys/block/pmem0/dax
[ -f $d/write_cache ] || fail "no dax/write_cache on an fsdax disk"
wc0=$(cat $d/write_cache)
for v in 0 1 n y; do
	echo $v > $d/write_cache || fail "write_cache refused '$v'"
	case $v in 0|n) want=0 ;; *) want=1 ;; esac
	[ "$(cat $d/write_cache)" = $want ] || fail "write_cache '$v' reads $(cat $d/write_cache)"
done
for v in 2 abc "" -1; do
	reject write_cache "$v"
done
echo "$wc0" > $d/write_cache
echo "sysfs-badinput: $rejected bad writes rejected, values kept"
