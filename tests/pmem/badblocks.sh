#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A sector marked bad reads EIO, its neighbours still read; a write over it
# either clears the poison (and then reads back) or fails with EIO and
# leaves the bad block listed, as nd_pmem does.
. "$(dirname "$0")/lib.sh"

expect_driver pmem_dma
bb=/sys/block/pmem0/badblocks
[ -z "$(cat $bb)" ] || fail "fresh namespace has bad blocks: $(cat $bb)"
head -c 1M /dev/urandom > /tmp/p
dd if=/tmp/p of=/dev/pmem0 bs=1M seek=4 oflag=direct conv=fsync status=none

bad=$(( 4 * 2048 + 1000 ))	# a sector inside the pattern
echo "$bad 8" > $bb
grep -q "^$bad 8\$" $bb || fail "badblocks does not list $bad 8: $(cat $bb)"

rd() { dd if=/dev/pmem0 of="$2" bs=512 skip="$1" count="${3:-8}" iflag=direct status=none 2>/tmp/err; }
if rd $bad /tmp/x; then fail "read of bad sector $bad succeeded"; fi
grep -q "Input/output error" /tmp/err || fail "bad read failed without EIO: $(cat /tmp/err)"
if rd $(( bad - 4 )) /tmp/x; then fail "read overlapping the bad range succeeded"; fi

rd $(( bad - 8 )) /tmp/before || fail "neighbour before the bad range: $(cat /tmp/err)"
rd $(( bad + 8 )) /tmp/after || fail "neighbour after the bad range: $(cat /tmp/err)"
cmp /tmp/before <(dd if=/tmp/p bs=512 skip=$(( 1000 - 8 )) count=8 status=none) ||
	fail "neighbour before the bad range has wrong data"
cmp /tmp/after <(dd if=/tmp/p bs=512 skip=$(( 1000 + 8 )) count=8 status=none) ||
	fail "neighbour after the bad range has wrong data"

head -c 4096 /dev/urandom > /tmp/w
if dd if=/tmp/w of=/dev/pmem0 bs=512 seek=$bad count=8 oflag=direct conv=fsync status=none 2>/tmp/err; then
	[ -z "$(cat $bb)" ] || fail "write succeeded but bad blocks remain: $(cat $bb)"
	rd $bad /tmp/x || fail "read after clearing write failed"
	cmp /tmp/w /tmp/x || fail "cleared sectors read back wrong data"
	echo "badblocks: platform cleared the poison on write"
else
	grep -q "Input/output error" /tmp/err || fail "bad write failed without EIO: $(cat /tmp/err)"
	grep -q "^$bad 8\$" $bb || fail "failed write dropped the bad block entry"
	echo "badblocks: platform cannot clear poison; write failed with EIO, entry kept"
fi
echo "badblocks: EIO on sector $bad, neighbours intact"
