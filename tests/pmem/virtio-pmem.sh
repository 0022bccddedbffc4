#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# pmem_dma on a virtio-pmem region (tests/vm/run --virtio-pmem): its flush
# is a request to the host that sleeps. FUA and the write cache must be
# advertised; FUA writes (O_DSYNC) are served by the CPU in process context
# and each is followed by a flush (fua_ios, flushes move; dma_ios does not);
# fsync sends REQ_OP_FLUSH (flushes moves, fua_ios does not); plain large
# writes and reads still go through DMA; fio crc32c verify passes for plain,
# O_SYNC and fsync-every-write runs on both sides of the threshold. DAX
# works, but MAP_SYNC is refused: CPU stores are durable only after a flush.
. "$(dirname "$0")/lib.sh"

[ "${VM_VIRTIO_PMEM:-0}" = 1 ] || fail "needs tests/vm/run --virtio-pmem"
expect_driver pmem_dma
readlink -f /sys/block/pmem0/device | grep -q '/virtio[0-9]*/' ||
	fail "pmem0 is not on the virtio-pmem region: $(readlink -f /sys/block/pmem0/device)"
[ "$(cat /sys/block/pmem0/queue/fua)" = 1 ] || fail "FUA is not advertised"
[ "$(cat /sys/block/pmem0/queue/write_cache)" = "write back" ] ||
	fail "write cache: $(cat /sys/block/pmem0/queue/write_cache)"
if dmesg | grep "pmem_dma.*unable to guarantee persistence"; then
	fail "pmem_dma says it cannot guarantee persistence on virtio-pmem"
fi
[ "$(stat_of dma_channel)" != none ] || fail "no DMA channel: guest-setup loads dma_soft"

snap() { for c in cpu_ios dma_ios fua_ios flushes; do echo -n "$(stat_of $c) "; done; }
delta() { # name before after
	local names=(cpu_ios dma_ios fua_ios flushes) i
	for i in 0 1 2 3; do
		[ "${names[$i]}" = "$1" ] || continue
		read -ra a <<<"$2"
		read -ra b <<<"$3"
		echo $(( b[i] - a[i] ))
	done
}

note "O_DSYNC writes: FUA, served by the CPU, each followed by a flush"
head -c 16M /dev/urandom > /tmp/vp
s0=$(snap)
dd if=/tmp/vp of=/dev/pmem0 bs=1M seek=32 oflag=direct,dsync status=none
s1=$(snap)
fua=$(delta fua_ios "$s0" "$s1")
[ "$fua" -ge 16 ] || fail "16 O_DSYNC writes made $fua FUA writes ($s0 -> $s1)"
[ "$(delta flushes "$s0" "$s1")" -ge "$fua" ] || fail "fewer flushes than FUA writes ($s0 -> $s1)"
[ "$(delta dma_ios "$s0" "$s1")" = 0 ] || fail "FUA writes went to DMA although the flush sleeps ($s0 -> $s1)"
[ "$(delta cpu_ios "$s0" "$s1")" -ge "$fua" ] || fail "FUA writes not counted as CPU requests ($s0 -> $s1)"
[ "$(sha_of_range /dev/pmem0 32 16)" = "$(sha256sum < /tmp/vp | cut -d' ' -f1)" ] ||
	fail "O_DSYNC data reads back wrong"

note "plain writes then fsync: DMA, then REQ_OP_FLUSH"
head -c 16M /dev/urandom > /tmp/vp
s0=$(snap)
dd if=/tmp/vp of=/dev/pmem0 bs=1M seek=64 oflag=direct conv=fsync status=none
s1=$(snap)
[ "$(delta dma_ios "$s0" "$s1")" -ge 16 ] || fail "1 MiB writes did not go through DMA ($s0 -> $s1)"
[ "$(delta flushes "$s0" "$s1")" -ge 1 ] || fail "fsync made no flush ($s0 -> $s1)"
[ "$(delta fua_ios "$s0" "$s1")" = 0 ] || fail "plain writes were FUA ($s0 -> $s1)"
[ "$(sha_of_range /dev/pmem0 64 16)" = "$(sha256sum < /tmp/vp | cut -d' ' -f1)" ] ||
	fail "DMA-written data reads back wrong"

note "fio crc32c verify: plain, O_SYNC, fsync after every write"
s0=$(snap)
for extra in "" "--sync=1" "--fsync=1"; do
	# shellcheck disable=SC2086
	fio --eta=never --name=vp --filename=/dev/pmem0 --direct=1 --ioengine=libaio \
		--iodepth=8 --rw=randwrite --bsrange=4k-1M --size=64M --offset=128M \
		--verify=crc32c --verify_fatal=1 $extra --output=/tmp/vp.log ||
		{ cat /tmp/vp.log; fail "fio verify ${extra:-plain} on virtio-pmem"; }
done
s1=$(snap)
for c in cpu_ios dma_ios fua_ios flushes; do
	[ "$(delta $c "$s0" "$s1")" -gt 0 ] || fail "the fio runs did not move $c ($s0 -> $s1)"
done
note "DAX on a region whose flush is a request: MAP_SYNC refused"
mnt=/tmp/vpmnt
mkdir -p $mnt
mkfs.ext4 -q -F -b 4096 /dev/pmem0
mount -o dax /dev/pmem0 $mnt || fail "mount -o dax failed"
rc=0
/usr/bin/python3 "$(dirname "$0")/mapsync.py" $mnt/sync 1 x > /tmp/ms.out || rc=$?
umount $mnt
[ "$rc" = 3 ] || fail "MAP_SYNC on virtio-pmem gave status $rc: $(cat /tmp/ms.out)"

echo "virtio-pmem: FUA advertised; O_DSYNC: $fua FUA writes by the CPU; fio runs:" \
	"cpu +$(delta cpu_ios "$s0" "$s1") dma +$(delta dma_ios "$s0" "$s1")" \
	"fua +$(delta fua_ios "$s0" "$s1") flushes +$(delta flushes "$s0" "$s1"), 0 verify errors"
