#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Allocation failures on our own paths (failslab, fail_page_alloc, with the
# stack trace filter set to the code of pmem_dma, dma_ext and dma_soft):
#  1. probe: bind with the Nth allocation failing, for every N up to
#     FAILALLOC_DENSE and a sample of the others the probe makes: the
#     disk either appears and reads back what was written before, or the
#     bind fails and leaves the namespace unbound;
#  2. channel attach: dma_rescan with the Nth allocation failing, N chosen
#     the same way: a channel or none, and the data reads back either way;
#  3. submission: every descriptor allocation of the engine fails for a
#     while under DMA-sized writes and reads: they fall back to the CPU
#     (dma_fallbacks), fio verify passes.
# Run with kmemleak=on (tests/vm/init then fails the run on any leak); a
# splat fails it anyway.
. "$(dirname "$0")/lib.sh"

fs=/sys/kernel/debug/failslab fp=/sys/kernel/debug/fail_page_alloc
[ -e $fs/require-start ] && [ -e $fp/require-start ] ||
	fail "needs FAILSLAB, FAIL_PAGE_ALLOC and FAULT_INJECTION_STACKTRACE_FILTER"
[ -e /proc/self/fail-nth ] || fail "no /proc/self/fail-nth"
expect_driver pmem_dma
[ "$(stat_of dma_channel)" != none ] || fail "no DMA channel: guest-setup loads dma_soft"
nd=$(nd_dev_of pmem0)
drv=/sys/bus/nd/drivers/pmem_dma

# the text of our three modules: one range from the lowest to the end of
# the highest (addresses are above 2^63: python, not shell arithmetic)
read -r lo hi < <(/usr/bin/python3 - <<'PY'
mods = {}
for line in open('/proc/modules'):
    f = line.split()
    if f[0] in ('pmem_dma', 'dma_ext', 'dma_soft'):
        mods[f[0]] = (int(f[5], 16), int(f[1]))
assert len(mods) == 3 and all(a for a, _ in mods.values()), mods
print(min(a for a, _ in mods.values()), max(a + s for a, s in mods.values()))
PY
)
[ -n "$hi" ] || fail "cannot find our modules' addresses in /proc/modules"
# ... but not the allocations of memremap_pages(), which the probe calls
# for the fsdax memmap: the core WARNs when one fails there (add_pages())
# and its unwind then leaves sections behind ("failed to free all reserved
# pages", the next bind fails with EEXIST); nd_pmem's probe would do the same
read -r rlo rhi < <(/usr/bin/python3 - <<'PY'
syms = sorted((int(a, 16), n) for a, t, n, *_ in
              (l.split() for l in open('/proc/kallsyms')) if t in 'Tt')
for i, (a, n) in enumerate(syms):
    if n == 'memremap_pages':
        print(a, syms[i + 1][0])
        break
PY
)
[ -n "$rhi" ] || fail "memremap_pages not in /proc/kallsyms"
for a in $fs $fp; do
	echo 0 > $a/probability
	echo 0 > $a/verbose
	echo "$lo" > $a/require-start
	echo "$hi" > $a/require-end
	echo "$rlo" > $a/reject-start
	echo "$rhi" > $a/reject-end
	echo N > $a/ignore-gfp-wait
done
echo 0 > $fp/min-order
echo N > $fp/ignore-gfp-highmem

head -c 8M /dev/urandom > /tmp/fa
dd if=/tmp/fa of=/dev/pmem0 bs=1M seek=64 oflag=direct conv=fsync status=none
want=$(sha256sum < /tmp/fa | cut -d' ' -f1)
intact() { [ "$(sha_of_range /dev/pmem0 64 8)" = "$want" ]; }

# with_nth N CMD: run the shell builtin CMD in a task whose Nth allocation
# through our code fails; prints how many of the N were left (0: injected)
with_nth() {
	bash -c 'echo "$1" > /proc/self/fail-nth; eval "$2" 2>/dev/null; read -r l < /proc/self/fail-nth; echo "$l"' \
		with_nth "$1" "$2"
}
# the Ns to try: every one up to FAILALLOC_DENSE (default 16; make
# check-debug: 64), then a random sample, sparser as N grows
dense=${FAILALLOC_DENSE:-16}
next_n() { if [ "$1" -lt "$dense" ]; then echo $(( $1 + 1 )); else echo $(( $1 + 1 + RANDOM % ($1 / 4 + 1) )); fi; }

note "probe: bind with the Nth allocation failing"
echo "$nd" > $drv/unbind
n=1 bound=0 refused=0
while :; do
	left=$(with_nth $n "echo $nd > $drv/bind")
	if [ -e $drv/$nd ]; then
		[ -e /sys/block/pmem0 ] || fail "N=$n: bound without a disk"
		wait_for 10 test -b /dev/pmem0 || fail "N=$n: no /dev/pmem0"
		intact || fail "N=$n: data differs after a probe that survived a failed allocation"
		bound=$(( bound + 1 ))
		echo "$nd" > $drv/unbind
	else
		[ ! -e /sys/block/pmem0 ] || fail "N=$n: a disk without the driver bound"
		refused=$(( refused + 1 ))
	fi
	[ "$left" = 0 ] || break
	n=$(next_n $n)
	[ "$n" -le 5000 ] || fail "the probe makes more than 5000 allocations"
done
[ "$refused" -ge 1 ] || fail "no injected failure made the probe fail"
echo "failalloc: the last probe, without a failure, made $(( n - left )) allocations through our code;" \
	"$(( bound + refused - 1 )) probes had one fail: $refused binds refused, $(( bound - 1 )) survived"
echo "$nd" > $drv/bind
wait_for 10 test -b /dev/pmem0 || fail "pmem0 did not come back"
intact || fail "data differs after the probe runs"

note "channel attach: dma_rescan with the Nth allocation failing"
n=1 got=0 none=0
while :; do
	soft_sysfs unbind
	wait_for 10 grep -qx none /sys/block/pmem0/pmem_dma/dma_channel || fail "channel kept"
	soft_sysfs bind
	left=$(with_nth $n "echo 1 > /sys/block/pmem0/pmem_dma/dma_rescan")
	if [ "$(stat_of dma_channel)" = none ]; then
		none=$(( none + 1 ))
	else
		got=$(( got + 1 ))
	fi
	intact || fail "N=$n: data differs after the rescan ($(stat_of dma_channel))"
	[ "$left" = 0 ] || break
	n=$(next_n $n)
	[ "$n" -le 200 ] || fail "an attach makes more than 200 allocations"
done
[ "$none" -ge 1 ] || fail "no injected failure kept the channel from attaching"
[ "$(stat_of dma_channel)" != none ] || fail "the last rescan, without a failure, found no channel"
echo "failalloc: the last attach, without a failure, made $(( n - left )) allocations;" \
	"$(( got + none - 1 )) attaches had one fail: $none left the disk without a channel"

note "submission: the engine's descriptor allocations fail for a while"
f0=$(stat_of dma_fallbacks) d0=$(stat_of dma_ios)
echo 100 > $fs/probability
echo 1 > $fs/interval
echo 200 > $fs/times
fio --eta=never --name=fa --filename=/dev/pmem0 --direct=1 --ioengine=libaio --iodepth=8 \
	--rw=randwrite --bsrange=64k-1M --size=64M --offset=256M --verify=crc32c \
	--verify_fatal=1 --output=/tmp/fa.log || { cat /tmp/fa.log; fail "fio verify under failing allocations"; }
left=$(cat $fs/times)
echo 0 > $fs/probability
f1=$(stat_of dma_fallbacks)
[ "$left" -lt 200 ] || fail "no allocation was failed during the fio run"
[ "$f1" -gt "$f0" ] || fail "$(( 200 - left )) failed allocations, but no request fell back to the CPU"
[ "$(stat_of dma_ios)" -gt "$d0" ] || fail "no DMA at all during the fio run"
intact || fail "data differs after the submission faults"
echo "failalloc: submission: $(( 200 - left )) failed allocations, $(( f1 - f0 )) requests fell back to the CPU, fio verify passed"
