#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# tests/vm/run --cxl: the CXL region under pmem0 is destroyed while the disk
# is open and fio has writes in flight. Either the CXL tool refuses and the
# disk goes on working, or the region goes away: then pmem0 goes with it,
# every opener gets errors instead of hanging, and no call blocks past a
# bound. Either way, once the region is created again over the same device
# range, the namespace comes back from its labels on pmem_dma and data
# written with fsync before the destroy reads back intact.
. "$(dirname "$0")/lib.sh"

[ "${VM_CXL:-0}" = 1 ] || fail "cxl-destroy.sh needs tests/vm/run --cxl"
expect_driver pmem_dma
nd=$(nd_dev_of)
region=$(basename "$(readlink -f "/sys/bus/nd/devices/$nd/..")")
root=$(cxl list -D -d root 2>/dev/null | sed -n 's/.*"decoder":"\(decoder[0-9.]*\)".*/\1/p' | head -n 1)
[ -n "$root" ] || fail "no CXL root decoder"

note "64 MiB at 200 MiB, written with fsync (1 MiB requests: DMA)"
head -c 64M /dev/urandom > /tmp/keep
sha=$(sha256sum < /tmp/keep | cut -d' ' -f1)
d0=$(stat_of dma_ios)
dd if=/tmp/keep of=/dev/pmem0 bs=1M seek=200 oflag=direct conv=fsync status=none
[ "$(stat_of dma_ios)" -gt "$d0" ] || fail "the 1 MiB writes did not go through DMA"

note "fio writing to the first 128 MiB, and an idle open file descriptor"
fio --name=inflight --filename=/dev/pmem0 --direct=1 --ioengine=libaio --iodepth=16 \
	--rw=randwrite --bsrange=4k-1m --size=128M --time_based --runtime=300 \
	--output=/tmp/fio-destroy.out > /dev/null 2> /tmp/fio-destroy.err &
fio_pid=$!
exec 3< /dev/pmem0
moving() { [ "$(( $(stat_of cpu_ios) + $(stat_of dma_ios) ))" -gt "$1" ]; }
n0=$(( $(stat_of cpu_ios) + $(stat_of dma_ios) ))
wait_for 30 moving $(( n0 + 200 )) || fail "fio did not start writing"

note "cxl destroy-region -f $region"
rc=0
out=$(timeout -k 10 120 cxl destroy-region -f "$region" 2>&1) || rc=$?
case $rc in 124|137) fail "cxl destroy-region hung (killed after 120 s): $out" ;; esac
echo "cxl destroy-region: status $rc: $out"

fio_gone() { ! kill -0 "$fio_pid" 2> /dev/null; }
if [ "$rc" = 0 ]; then
	note "destroyed: pmem0 must go, its opener must end with errors"
	wait_for 60 test ! -e /sys/block/pmem0 || fail "pmem0 still there after its region was destroyed"
	cxl list -R 2>/dev/null | grep -q "\"region\":\"$region\"" && fail "$region still listed"
	wait_for 60 fio_gone || fail "fio still running 60 s after the disk went away"
	frc=0
	wait "$fio_pid" || frc=$?
	[ "$frc" != 0 ] || fail "fio ended with status 0 on a disk that went away"
	grep -qE 'err= *[1-9]' /tmp/fio-destroy.out || grep -q 'error' /tmp/fio-destroy.err ||
		fail "fio ended with $frc but names no I/O error: $(cat /tmp/fio-destroy.out /tmp/fio-destroy.err)"
	# dd without if= reads its own fd 0: the descriptor opened before the
	# destroy, not a new open of a disk that is gone; O_DIRECT, as the
	# page cache may still hold what was read through it before (the
	# partition table scan at offset 0). The disk is gone: an error, or
	# end of file (its capacity is 0 now), never data and never a hang
	rrc=0
	timeout -k 5 30 dd of=/tmp/oldfd.bin bs=4k count=1 iflag=direct status=none \
		<&3 2> /tmp/dd.err || rrc=$?
	case $rrc in 124|137) fail "a read through the fd opened before the destroy hung" ;; esac
	got=$(stat -c %s /tmp/oldfd.bin)
	[ "$rrc" != 0 ] || [ "$got" = 0 ] ||
		fail "$got bytes read through the fd opened before the destroy"
	echo "old fd: dd status $rrc, $got bytes: $(cat /tmp/dd.err)"
	exec 3<&-

	note "the region again, over the same device range"
	out=$(cxl create-region -t pmem -d "$root" -m mem0 2>&1) || fail "cxl create-region: $out"
	# libnvdimm names its region after the CXL region's id (a freed id is
	# handed out again): another name would send the checks below astray
	new=$(sed -n 's/.*"region":"\(region[0-9]*\)".*/\1/p' <<<"$out" | head -n 1)
	[ "$new" = "$region" ] || fail "the region came back as '$new', not $region: $out"
	wait_for 30 test -b /dev/pmem0 || fail "pmem0 did not come back with the new region"
else
	note "refused: the disk must go on working"
	test -b /dev/pmem0 || fail "destroy-region failed with $rc, but pmem0 is gone"
	kill -0 "$fio_pid" 2> /dev/null || fail "destroy-region failed with $rc, but fio died"
	n1=$(( $(stat_of cpu_ios) + $(stat_of dma_ios) ))
	wait_for 30 moving $(( n1 + 200 )) || fail "no IO after a refused destroy"
	kill "$fio_pid"
	wait "$fio_pid" || true
	exec 3<&-
fi
expect_driver pmem_dma
[ "$(sha_of_range /dev/pmem0 200 64)" = "$sha" ] || fail "data written with fsync before the destroy differs"
echo "cxl-destroy: destroy-region status $rc, $region back, $(( 64 )) MiB written with fsync intact"
