#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make host-check (tools/pmem-dma-host-check) on dma_soft (tests/vm/run
# --setup): it refuses, with status 2 and without I/O, a disk that is not
# pmem_dma's, a mounted one, one held open exclusively, and any run
# without CONFIRM=yes (and make without DEV);
# confirmed, it passes on a healthy engine with a report that names the
# engine, channel, IOMMU and persistence domain and shows DMA and the CPU
# carrying what they should; and it fails (status 1) when the engine
# fails copies, although pmem_dma's CPU retries keep the data intact.
. "$(dirname "$0")/lib.sh"

expect_driver pmem_dma
chan=$(stat_of dma_channel)
[ "$chan" != none ] || fail "no DMA channel: guest-setup loads dma_soft"
d=/sys/block/pmem0/pmem_dma
echo 32768 > $d/dma_threshold_read
echo 131072 > $d/dma_threshold_write

# a pattern over the first 256 MiB that a refused run must leave alone
dd if=/dev/urandom of=/tmp/hc.pat bs=1M count=256 status=none
dd if=/tmp/hc.pat of=/dev/pmem0 bs=1M oflag=direct status=none
want=$(sha256sum < /tmp/hc.pat | cut -d' ' -f1)
untouched() { [ "$(sha_of_range /dev/pmem0 0 256)" = "$want" ] || fail "a refused run changed the disk: $*"; }
io() { echo "$(stat_of cpu_ios) $(stat_of dma_ios)"; }
# refused what CONFIRM dev: the tool itself says status 2 and why, with no
# I/O on pmem0
refused() {
	local rc=0 io0
	io0=$(io)
	CONFIRM=$2 tools/pmem-dma-host-check "$3" > /tmp/hc.out 2>&1 || rc=$?
	[ $rc = 2 ] || fail "host-check $3 (CONFIRM=$2): status $rc, not 2: $(cat /tmp/hc.out)"
	grep -q "$1" /tmp/hc.out || fail "host-check $3 (CONFIRM=$2): said '$(cat /tmp/hc.out)', not '$1'"
	[ "$io0" = "$(io)" ] || fail "host-check $3 (CONFIRM=$2): I/O on pmem0 although refused ($io0 -> $(io))"
}

note "refusals"
rc=0
make -s host-check CONFIRM=yes > /tmp/hc.out 2>&1 || rc=$?
[ $rc = 2 ] && grep -q "usage: make host-check DEV=" /tmp/hc.out ||
	fail "make host-check without DEV: status $rc: $(cat /tmp/hc.out)"
rc=0
make -s host-check DEV=/dev/pmem0 > /tmp/hc.out 2>&1 || rc=$?
[ $rc = 2 ] && grep -q "CONFIRM=yes" /tmp/hc.out ||
	fail "make host-check without CONFIRM: status $rc: $(cat /tmp/hc.out)"
refused "CONFIRM=yes" "" /dev/pmem0
refused "CONFIRM=yes" y /dev/pmem0
modprobe loop 2> /dev/null || true
[ -b /dev/loop0 ] || fail "no /dev/loop0 to stand for a disk that is not pmem_dma's"
refused "not served by pmem_dma" yes /dev/loop0
refused "not a block device" yes /dev/nosuchdisk
# open exclusively by someone else (as a mounted file system has it)
python3 -c 'import os, sys, time; fd = os.open("/dev/pmem0", os.O_RDONLY | os.O_EXCL); print("held", flush=True); time.sleep(600)' > /tmp/hc.hold &
holder=$!
wait_for 20 grep -q held /tmp/hc.hold || fail "could not hold pmem0 exclusively"
refused "open exclusively" yes /dev/pmem0
kill $holder
wait $holder 2> /dev/null || true
untouched "the refusals above"
# mounted: a file system on the last 64 MiB through a partition would need
# a table; mount the whole disk read-only with DAX-less ext4 instead, and
# put the pattern back afterwards
mkfs.ext4 -q -F /dev/pmem0 64M
mkdir -p /tmp/hc.mnt
mount -o ro /dev/pmem0 /tmp/hc.mnt || fail "cannot mount the test file system"
refused "is mounted at /tmp/hc.mnt" yes /dev/pmem0
umount /tmp/hc.mnt
dd if=/tmp/hc.pat of=/dev/pmem0 bs=1M oflag=direct status=none

note "a healthy engine"
rc=0
make -s host-check DEV=/dev/pmem0 CONFIRM=yes REPORT=/tmp/hc.report > /tmp/hc.out 2>&1 || rc=$?
cat /tmp/hc.out
[ $rc = 0 ] || fail "make host-check on dma_soft: status $rc"
cmp -s /tmp/hc.out /tmp/hc.report || fail "the report differs from what was printed"
pd=$(cat "/sys/bus/nd/devices/$(basename "$(readlink -f /sys/block/pmem0/device/..)")/persistence_domain" \
	2> /dev/null) || pd="not stated by the platform"
for l in "^channel: *$chan\$" "^engine: *$chan: dma_soft" "^iommu: *none for the engine" \
	"^persistence: ${pd:-none} (region)" \
	"^durability: " "^dma-only: fio status 0; cpu_ios +0, dma_ios +[1-9]" \
	"^default: fio status 0; cpu_ios +[1-9][0-9]*, dma_ios +[1-9]" \
	"^calibrate: dma_threshold_read [0-9]* dma_threshold_write [0-9]*\$" "^host-check: PASS\$"; do
	grep -q "$l" /tmp/hc.report || fail "the report has no line matching '$l'"
done
[ "$(cat $d/dma_threshold_read) $(cat $d/dma_threshold_write)" = "32768 131072" ] ||
	fail "thresholds not restored: $(cat $d/dma_threshold_read) $(cat $d/dma_threshold_write)"

note "an engine that fails copies"
echo 7 > "$(soft_debugfs)/fail_every"
rc=0
# the tool itself: 1 for a failed check (make says 2 for any failure)
CONFIRM=yes tools/pmem-dma-host-check /dev/pmem0 /tmp/hc.report > /tmp/hc.out 2>&1 || rc=$?
echo 0 > "$(soft_debugfs)/fail_every"
cat /tmp/hc.out
[ $rc = 1 ] || fail "host-check with fail_every 7: status $rc, not 1"
grep -q "^host-check: FAIL" /tmp/hc.report && grep -q "the engine failed [1-9][0-9]* copies" /tmp/hc.report ||
	fail "the failing engine is not named in the report"
# pmem_dma redid the failed copies on the CPU: the data verified
grep -q "^dma-only: fio status 0;" /tmp/hc.report && grep -q "^default: fio status 0;" /tmp/hc.report ||
	fail "fio verify failed under the failing engine: the CPU retry lost data"
echo "host-check: ok"
