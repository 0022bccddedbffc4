#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# ext4 and XFS with -o dax on /dev/pmem0. For each: files written, a mmap
# fio job with verify, a MAP_SYNC mapping (MAP_SHARED_VALIDATE: the kernel
# refuses it unless the mapping really is DAX) written through and synced;
# unmounted, remounted, everything verified. A mount without DAX must
# refuse MAP_SYNC.
. "$(dirname "$0")/lib.sh"

expect_driver pmem_dma
mnt=/tmp/daxmnt
mkdir -p $mnt

mapsync() { /usr/bin/python3 "$(dirname "$0")/mapsync.py" "$@"; }

one_fs() { # ext4|xfs
	local fs=$1 h rc
	case $fs in
	ext4)	mkfs.ext4 -q -F -b 4096 /dev/pmem0 ;;
	# DAX and reflink exclude each other on XFS
	xfs)	mkfs.xfs -q -f -m reflink=0 /dev/pmem0 ;;
	esac
	mount -o dax /dev/pmem0 $mnt || fail "$fs: mount -o dax failed"
	grep " $mnt " /proc/mounts | grep -q dax || fail "$fs: mounted without dax: $(grep " $mnt " /proc/mounts)"

	for i in $(seq 1 12); do
		head -c $(( i * 700001 )) /dev/urandom > $mnt/f$i
	done
	fio --eta=never --name=dax-mmap --directory=$mnt --ioengine=mmap --rw=randwrite --bs=4k \
		--size=32M --verify=crc32c --verify_fatal=1 --output=/tmp/fio-dax.log ||
		{ cat /tmp/fio-dax.log; fail "$fs: fio mmap verify on the DAX filesystem"; }
	h=$(mapsync $mnt/sync 16 "$fs") || fail "$fs: MAP_SYNC write: $h"
	echo "$h  sync" > /tmp/manifest
	(cd $mnt && sha256sum f* >> /tmp/manifest)
	umount $mnt

	mount -o dax /dev/pmem0 $mnt || fail "$fs: remount -o dax failed"
	(cd $mnt && sha256sum -c --quiet /tmp/manifest) || fail "$fs: files differ after remount"
	umount $mnt

	# the same file system without DAX: page cache, so no MAP_SYNC
	mount -o dax=never /dev/pmem0 $mnt || fail "$fs: mount -o dax=never failed"
	rc=0
	mapsync $mnt/nosync 1 x > /tmp/ms.out || rc=$?
	umount $mnt
	[ "$rc" = 3 ] || fail "$fs: without DAX, MAP_SYNC gave status $rc: $(cat /tmp/ms.out)"
	echo "dax: $fs -o dax: $(wc -l < /tmp/manifest) files (one written through MAP_SYNC) and a mmap fio verify survived a remount; dax=never refuses MAP_SYNC"
}

one_fs ext4
one_fs xfs
