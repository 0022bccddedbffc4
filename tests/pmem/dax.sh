#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# ext4 with -o dax on /dev/pmem0: files written, unmounted, remounted and
# verified; a mmap fio job with verify runs on the DAX filesystem.
. "$(dirname "$0")/lib.sh"

expect_driver pmem_dma
mnt=/tmp/daxmnt
mkdir -p $mnt
mkfs.ext4 -q -F -b 4096 /dev/pmem0
mount -o dax /dev/pmem0 $mnt || fail "mount -o dax failed"
grep " $mnt " /proc/mounts | grep -q dax || fail "mounted without dax: $(grep " $mnt " /proc/mounts)"

for i in $(seq 1 12); do
	head -c $(( i * 700001 )) /dev/urandom > $mnt/f$i
done
fio --name=dax-mmap --directory=$mnt --ioengine=mmap --rw=randwrite --bs=4k \
	--size=32M --verify=crc32c --verify_fatal=1 --output=/tmp/fio-dax.log ||
	{ cat /tmp/fio-dax.log; fail "fio mmap verify on the DAX filesystem"; }
(cd $mnt && sha256sum f* > /tmp/manifest)
umount $mnt

mount -o dax /dev/pmem0 $mnt || fail "remount -o dax failed"
(cd $mnt && sha256sum -c --quiet /tmp/manifest) || fail "files differ after remount"
umount $mnt
echo "dax: ext4 -o dax, $(wc -l < /tmp/manifest) files and a mmap fio verify survived a remount"
