#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Bad input to dma_soft and dma_ext_stress: every module parameter with a
# table of bad values (negative, overflow, garbage, empty, out of range)
# makes insmod fail with EINVAL and a message naming the parameter, and
# leaves the module unloaded; every writable dma_soft debugfs knob refuses
# bad values with EINVAL and keeps its value. (pmem_dma's parameters and
# sysfs files have their own tables in tests/pmem/.)
. "$(dirname "$0")/../pmem/lib.sh"
. "$(dirname "$0")/lib.sh"

ext=$(ext_dir)
grep -q '^dma_ext ' /proc/modules || insmod "$ext/dma_ext.ko"
rejected=0

# bad_param MODULE PARAM=VALUE MESSAGE-REGEX [ERROR-REGEX]
bad_param() {
	local mod=$1 p=$2 msg=$3 err=${4:-"Invalid argument|Invalid parameters"}
	dmesg -C
	if insmod "$ext/$mod.ko" "$p" 2>/tmp/err; then
		rmmod "$mod"
		fail "insmod $mod accepted $p"
	fi
	grep -qE "$err" /tmp/err || fail "insmod $mod $p: $(cat /tmp/err)"
	grep -qE "$msg" <(dmesg) || fail "insmod $mod $p: no clear message in dmesg: $(dmesg | tail -n 3)"
	! grep -q "^$mod " /proc/modules || fail "$mod loaded after bad $p"
	rejected=$(( rejected + 1 ))
}

common_bad=(-1 abc "" 4294967296 99999999999999999999 1.5 0x 7k)
for p in channels max_xfer max_batch; do
	for v in "${common_bad[@]}"; do
		bad_param dma_soft "$p=$v" "dma_soft: $p=.*expected an integer in|dma_soft: .*$p"
	done
done
for p in channels=0 channels=65 max_xfer=0 max_xfer=511 max_xfer=1073741825 \
	 max_batch=0 max_batch=4097 dma_bits=31 dma_bits=65 dma_bits=abc; do
	bad_param dma_soft "$p" "dma_soft: ${p%%=*}=.*expected an integer in"
done
for p in pci=garbage pci= pci=0000:00 pci=0000:00:1f; do
	bad_param dma_soft "$p" "dma_soft: pci=.*expected DDDD:BB:SS.F"
done
# a well-formed address of a function that does not exist
bad_param dma_soft pci=0000:ff:1f.7 "dma_soft: pci=.*no such PCI function" "No such device"

for p in requests threads_per_cpu channels timeout_ms; do
	for v in -1 abc "" 4294967296; do
		bad_param dma_ext_stress "$p=$v" "dma_ext_stress: |$p"
	done
done
for p in requests=0 requests=1000001 threads_per_cpu=0 threads_per_cpu=17 \
	 channels=0 channels=9 timeout_ms=99 timeout_ms=600001; do
	bad_param dma_ext_stress "$p" "dma_ext_stress: ${p%%=*}=.*expected an integer in"
done
for p in expect_errors=maybe hold=2; do
	bad_param dma_ext_stress "$p" "dma_ext_stress: |${p%%=*}"
done

# valid values are taken
insmod "$ext/dma_soft.ko" channels=3 max_xfer=4096 max_batch=1
[ "$(cat /sys/module/dma_soft/parameters/channels)" = 3 ] || fail "channels=3 not taken"
[ "$(ls /sys/class/dma | wc -l)" -ge 3 ] || fail "channels=3: $(ls /sys/class/dma)"

# debugfs knobs: bad writes refused, value kept
k=/sys/kernel/debug/dma_soft/dma_soft
[ -d $k ] || fail "no $k"
for f in fail_every stall_every delay_us out_of_order; do
	echo 0 > $k/$f
	case $f in
	out_of_order) bad=(2 maybe "" -1 abc) ;;
	delay_us) bad=(-1 abc "" 4294967296 99999999999999999999 10000001 1.5 "1 2") ;;
	*) bad=(-1 abc "" 4294967296 99999999999999999999 1000001 1.5 "1 2") ;;
	esac
	for v in "${bad[@]}"; do
		if printf '%s\n' "$v" > $k/$f 2>/tmp/err; then
			fail "debugfs $f accepted '$v'"
		fi
		grep -q "Invalid argument" /tmp/err || fail "debugfs $f '$v': $(cat /tmp/err)"
		[ "$(cat $k/$f)" = 0 ] || fail "debugfs $f changed to $(cat $k/$f) by '$v'"
		rejected=$(( rejected + 1 ))
	done
done
# poison: "PHYS LEN", PHYS hex; a range that wraps or anything else refused
echo "0x1000 4096" > $k/poison || fail "poison '0x1000 4096' refused"
[ "$(cat $k/poison)" = "0x1000 4096" ] || fail "poison reads back '$(cat $k/poison)'"
for v in "" abc 1 "1 2 3" "0x1000 -1" "0xffffffffffffffff 2" "0x1000 4096x" "g 1"; do
	if printf '%s\n' "$v" > $k/poison 2>/tmp/err; then
		fail "debugfs poison accepted '$v'"
	fi
	grep -q "Invalid argument" /tmp/err || fail "debugfs poison '$v': $(cat /tmp/err)"
	[ "$(cat $k/poison)" = "0x1000 4096" ] || fail "debugfs poison changed to $(cat $k/poison) by '$v'"
	rejected=$(( rejected + 1 ))
done
echo "0 0" > $k/poison
[ "$(cat $k/poison)" = "0x0 0" ] || fail "poison not cleared: $(cat $k/poison)"
for f in injected_errors stalls completed poison_reads; do
	if (echo 1 > $k/$f) 2>/dev/null; then fail "read-only $f accepted a write"; fi
	rejected=$(( rejected + 1 ))
done
echo 1000000 > $k/fail_every || fail "fail_every 1000000 refused"
echo 0 > $k/fail_every
rmmod dma_soft
echo "dma-badinput: $rejected bad parameter values and debugfs writes rejected, values kept"
