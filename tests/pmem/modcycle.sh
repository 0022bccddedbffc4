#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Module lifecycle: load and unload dma_ext, dma_soft and pmem_dma
# MODCYCLE_ROUNDS times (default 100) in random valid orders, about every
# other round with the namespace bound (pmem_dma binds it when it loads and
# takes a dma_soft channel), otherwise with the nd bus's automatic probing
# off so that pmem_dma loads without a namespace. Each round also tries
# one invalid step, which must fail and change nothing. The data on the
# namespace is checked after every round that bound it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../dma/lib.sh"

rounds=${MODCYCLE_ROUNDS:-100}
ext=$(ext_dir)
pko=$(pmem_dma_ko)
autoprobe=/sys/bus/nd/drivers_autoprobe
[ -w $autoprobe ] || fail "no $autoprobe"
trap 'echo 1 > $autoprobe' EXIT

loaded() { grep -q "^$1 " /proc/modules; }
snapshot() { { grep -E '^(dma_ext|dma_soft|pmem_dma) ' /proc/modules || true; } | cut -d' ' -f1 | sort | tr '\n' ' '; }
ko_of() { case $1 in pmem_dma) echo "$pko" ;; *) echo "$ext/$1.ko" ;; esac; }

head -c 4M /dev/urandom > /tmp/a
sha=$(sha256sum < /tmp/a | cut -d' ' -f1)
dd if=/tmp/a of=/dev/pmem0 bs=1M seek=64 oflag=direct conv=fsync status=none

# start from nothing of ours loaded
rmmod pmem_dma
rmmod dma_soft
rmmod dma_ext
[ -z "$(snapshot)" ] || fail "modules left: $(snapshot)"

invalid=0
# must_fail DESCRIPTION CMD...: CMD fails and the loaded set stays the same
must_fail() {
	local what=$1 before
	shift
	before=$(snapshot)
	if "$@" 2>/tmp/err; then
		fail "invalid step succeeded: $what"
	fi
	[ -s /tmp/err ] || fail "invalid step failed without a message: $what"
	[ "$(snapshot)" = "$before" ] || fail "invalid step changed the loaded modules: $what"
	invalid=$(( invalid + 1 ))
}

with_ns=0 without_ns=0
for r in $(seq 1 "$rounds"); do
	bound=$(( RANDOM % 2 ))
	echo $bound > $autoprobe
	if [ $bound = 1 ]; then
		with_ns=$(( with_ns + 1 ))
	else
		without_ns=$(( without_ns + 1 ))
	fi

	# before dma_ext, neither user of it can load
	case $(( RANDOM % 2 )) in
	0) must_fail "insmod dma_soft before dma_ext" insmod "$ext/dma_soft.ko" ;;
	1) must_fail "insmod pmem_dma before dma_ext" insmod "$pko" ;;
	esac
	insmod "$ext/dma_ext.ko" || fail "round $r: insmod dma_ext"
	if [ $(( RANDOM % 2 )) = 0 ]; then order="dma_soft pmem_dma"; else order="pmem_dma dma_soft"; fi
	for m in $order; do
		insmod "$(ko_of $m)" || fail "round $r: insmod $m"
	done
	must_fail "insmod a loaded module" insmod "$(ko_of pmem_dma)"
	must_fail "rmmod dma_ext while in use" rmmod dma_ext

	if [ $bound = 1 ]; then
		wait_for 10 test -b /dev/pmem0 || fail "round $r: pmem0 did not appear"
		expect_driver pmem_dma
		# a disk probed before dma_soft came picks up its channel on rescan
		echo 1 > /sys/block/pmem0/pmem_dma/dma_rescan
		[ "$(stat_of dma_channel)" != none ] || fail "round $r: no DMA channel"
		[ "$(sha_of_range /dev/pmem0 64 4)" = "$sha" ] || fail "round $r: data changed"
		must_fail "rmmod dma_soft while pmem0 holds its channel" rmmod dma_soft
	else
		test ! -e /sys/block/pmem0 || fail "round $r: pmem0 exists without probing"
	fi

	# valid unload orders: pmem_dma first, or the engine first (unbind, then rmmod)
	if [ $(( RANDOM % 2 )) = 0 ]; then
		rmmod pmem_dma || fail "round $r: rmmod pmem_dma"
		rmmod dma_soft || fail "round $r: rmmod dma_soft"
	else
		echo dma_soft > /sys/bus/platform/drivers/dma_soft/unbind
		rmmod dma_soft || fail "round $r: rmmod dma_soft after unbinding it"
		# the disk gives the channel up from a work item, not inside the unbind
		if [ $bound = 1 ]; then
			wait_for 10 grep -qx none /sys/block/pmem0/pmem_dma/dma_channel ||
				fail "round $r: channel kept after the engine left"
		fi
		rmmod pmem_dma || fail "round $r: rmmod pmem_dma"
	fi
	rmmod dma_ext || fail "round $r: rmmod dma_ext"
	[ -z "$(snapshot)" ] || fail "round $r: modules left: $(snapshot)"
done

echo 1 > $autoprobe
insmod "$ext/dma_ext.ko"
insmod "$ext/dma_soft.ko"
insmod "$pko"
wait_for 10 test -b /dev/pmem0 || fail "pmem0 did not come back"
[ "$(sha_of_range /dev/pmem0 64 4)" = "$sha" ] || fail "data changed over the rounds"
# leaks: tests/vm/init scans after the test on a kmemleak=on boot
echo "modcycle: $rounds rounds ($with_ns with the namespace bound, $without_ns without)," \
	"$invalid invalid steps refused, data intact"
