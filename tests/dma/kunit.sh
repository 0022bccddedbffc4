#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The KUnit suites: dma_ext's (drivers/dma/ext/dma_ext_test.c) and
# pmem_dma's dispatch (drivers/nvdimm/pmem_dma/pmem_dma_test.c). Every case
# passes. Needs a kernel with KUnit booted with kunit.enable=1.
. "$(dirname "$0")/../pmem/lib.sh"
. "$(dirname "$0")/lib.sh"

ext_test=$(ext_dir)/dma_ext_test.ko
pmem_test=build/$(uname -r)/src/drivers/nvdimm/pmem_dma/pmem_dma_test.ko
[ -f "$ext_test" ] || { echo "no KUnit in this kernel: $ext_test not built"; exit 77; }
grep -q '^dma_ext ' /proc/modules || insmod "$(ext_dir)/dma_ext.ko"
insmod "$ext_test"
grep -q '^pmem_dma ' /proc/modules || { load_deps "$(pmem_dma_ko)"; insmod "$(pmem_dma_ko)"; }
insmod "$pmem_test"

rc=0
cases=0
for suite in dmaext_split dmaext_submit pmem_dma_dispatch; do
	res=/sys/kernel/debug/kunit/$suite/results
	[ -f "$res" ] || fail "suite $suite did not run"
	cat "$res"
	grep -q "^not ok" "$res" && rc=1
	grep -qE "^ok [0-9]+ $suite" "$res" || rc=1
	n=$(sed -n 's/^# Totals: pass:\([0-9]*\).*/\1/p' "$res")
	cases=$(( cases + ${n:-0} ))
done
rmmod pmem_dma_test dma_ext_test
[ $rc -eq 0 ] || fail "KUnit failures"
echo "kunit: dmaext_split, dmaext_submit and pmem_dma_dispatch, $cases cases passed"
