#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Guest half of the persistence test (host half: tests/persist).
#   persist.sh write NAME OFFSET_MIB SIZE_MIB [reset]
#   persist.sh verify NAME OFFSET_MIB SIZE_MIB
# write: random data with O_DIRECT + fsync, its sha256 goes to $VM_SHARE/NAME;
# with "reset" the guest is reset at once with sysrq b, no clean shutdown.
. "$(dirname "$0")/lib.sh"

expect_driver pmem_dma
case $1 in
write)
	head -c "$(( $4 << 20 ))" /dev/urandom > /tmp/data
	dd if=/tmp/data of=/dev/pmem0 bs=1M seek="$3" oflag=direct conv=fsync status=none
	sha256sum < /tmp/data | cut -d' ' -f1 > "$VM_SHARE/$2"
	sync "$VM_SHARE/$2"
	if [ "${5:-}" = reset ]; then
		echo 1 > /proc/sys/kernel/sysrq
		echo b > /proc/sysrq-trigger
		wait_for 10 false || true	# bounded wait for the reset
		fail "sysrq b did not reset the guest"
	fi
	;;
verify)
	want=$(cat "$VM_SHARE/$2")
	[ "$(sha_of_range /dev/pmem0 "$3" "$4")" = "$want" ] || fail "$2 did not survive"
	echo "persist: $2 ($4 MiB at $3 MiB) intact"
	;;
*) fail "usage: persist.sh write|verify NAME OFFSET SIZE [reset]" ;;
esac
