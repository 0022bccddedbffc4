#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# dma_ext's KUnit suites (drivers/dma/ext/dma_ext_test.c): every case passes.
. "$(dirname "$0")/../pmem/lib.sh"
. "$(dirname "$0")/lib.sh"

ko=$(ext_dir)/dma_ext_test.ko
[ -f "$ko" ] || { echo "no KUnit in this kernel: $ko not built"; exit 77; }
grep -q '^dma_ext ' /proc/modules || insmod "$(ext_dir)/dma_ext.ko"
insmod "$ko"
rc=0
cases=0
for suite in dmaext_split dmaext_submit; do
	res=/sys/kernel/debug/kunit/$suite/results
	[ -f "$res" ] || fail "suite $suite did not run"
	cat "$res"
	grep -q "^not ok" "$res" && rc=1
	grep -qE "^ok [0-9]+ $suite" "$res" || rc=1
	n=$(sed -n 's/^# Totals: pass:\([0-9]*\).*/\1/p' "$res")
	cases=$(( cases + ${n:-0} ))
done
rmmod dma_ext_test
[ $rc -eq 0 ] || fail "KUnit failures"
echo "kunit: dmaext_split and dmaext_submit, $cases cases passed"
