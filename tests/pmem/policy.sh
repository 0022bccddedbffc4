#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The installed modprobe policy (pmem_dma.conf, as "make install" puts it)
# leaves each namespace mode with its driver: sector (BTT) with nd_pmem,
# devdax with dax_pmem, fsdax with pmem_dma. Modules are loaded the way a
# booted system loads them: by modalias (udev) and by ndctl (libkmod),
# never with insmod. Run by tests/policy, which stages "make install" in
# the share; needs a kernel with BTT (stock).
. "$(dirname "$0")/lib.sh"

krel=$(uname -r)
grep -qx 'CONFIG_BTT=y' "/lib/modules/$krel/build/.config" 2>/dev/null ||
	grep -q '/btt\.ko' "/lib/modules/$krel/modules.dep" 2>/dev/null ||
	{ echo "kernel $krel has no BTT (sector mode)"; exit 77; }
for m in pmem_dma dma_ext nd_pmem dax_pmem; do
	! grep -q "^$m " /proc/modules || fail "$m loaded before the test"
done

# "make install" as tests/policy staged it, into the VM's writable overlay
st=${VM_SHARE:?}/lib/modules/$krel
[ -f "$st/modules.dep" ] && [ -d "$st/extra" ] && [ -f "$VM_SHARE/etc/modprobe.d/pmem_dma.conf" ] ||
	fail "no staged install in the share: run this through tests/policy"
cp -r "$st/extra" "/lib/modules/$krel/"
# the indexes depmod made (the kernel's own lists are links to the originals)
find "$st" -maxdepth 1 -name 'modules.*' -type f -exec cp -t "/lib/modules/$krel/" {} +
cp "$VM_SHARE/etc/modprobe.d/pmem_dma.conf" /etc/modprobe.d/

# what udev does for every nd device that appears: load by modalias
coldplug() {
	local a
	for a in /sys/bus/nd/devices/*/modalias; do
		modprobe -q "$(cat "$a")" || true
	done
}

modprobe nfit
wait_for 20 test -e /sys/bus/nd/devices/region0 || fail "no NVDIMM region"
coldplug
wait_for 10 grep -q '^pmem_dma ' /proc/modules || fail "nd:t5 did not load pmem_dma"
grep -q '^nd_pmem ' /proc/modules || fail "pmem_dma was loaded without nd_pmem (softdep)"
note "modalias nd:t5 loaded $(grep -oE '^(pmem_dma|nd_pmem|dma_ext) ' /proc/modules | tr -d ' ' | sort | tr '\n' ' ')"

# driver_of_nd DEV: the driver an nd device is bound to, or "none"
driver_of_nd() {
	local l=/sys/bus/nd/devices/$1/driver
	if [ -e "$l" ]; then basename "$(readlink -f "$l")"; else echo none; fi
}

# make MODE: turn namespace0.0 into MODE, as a user would
make_ns() {
	ndctl create-namespace -f -e namespace0.0 -m "$1" > /tmp/ns.json ||
		{ cat /tmp/ns.json; fail "ndctl create-namespace -m $1"; }
	coldplug
}

make_ns sector
dev=$(sed -n 's/.*"blockdev":"\([^"]*\)".*/\1/p' /tmp/ns.json)
dev=${dev%%$'\n'*}
btt=$(basename "$(readlink -f "/sys/block/$dev/device")")
[ "${btt#btt}" != "$btt" ] || fail "sector namespace: /dev/$dev sits on $btt, not a btt device"
[ "$(driver_of_nd "$btt")" = nd_pmem ] ||
	fail "sector namespace: $btt is bound to $(driver_of_nd "$btt"), expected nd_pmem"
head -c 4M /dev/urandom > /tmp/p
dd if=/tmp/p of="/dev/$dev" bs=1M oflag=direct conv=fsync status=none
[ "$(sha_of_range "/dev/$dev" 0 4)" = "$(sha256sum < /tmp/p | cut -d' ' -f1)" ] ||
	fail "sector namespace: data did not read back"
note "sector: /dev/$dev on $btt, nd_pmem, 4 MiB read back"

make_ns devdax
dax=$(sed -n 's/.*"chardev":"\([^"]*\)".*/\1/p' /tmp/ns.json)
dax=${dax%%$'\n'*}
[ -n "$dax" ] && wait_for 10 test -c "/dev/$dax" || fail "devdax namespace: no /dev/$dax"
ndax=
for d in /sys/bus/nd/devices/dax*; do
	# the one that claimed the namespace (the others are idle seeds)
	if [ "$(cat "$d/namespace" 2>/dev/null)" = namespace0.0 ]; then ndax=${d##*/}; fi
done
[ -n "$ndax" ] || fail "devdax namespace: no nd dax device"
[ "$(driver_of_nd "$ndax")" = dax_pmem ] ||
	fail "devdax namespace: $ndax is bound to $(driver_of_nd "$ndax"), expected dax_pmem"
note "devdax: /dev/$dax on $ndax, dax_pmem"

make_ns fsdax
wait_for 10 test -b /dev/pmem0 || fail "fsdax namespace: no /dev/pmem0"
expect_driver pmem_dma
note "fsdax: /dev/pmem0 on $(nd_dev_of), pmem_dma"
# the tool make install puts in SBINDIR, run from there
stat_tool=$VM_SHARE/usr/local/sbin/pmem-dma-stat
[ -x "$stat_tool" ] || fail "make install did not install $stat_tool"
"$stat_tool" -i 0.2 -c 1 pmem0 > /tmp/stat.out || fail "installed pmem-dma-stat: status $?"
grep -q '^total *pmem0 ' /tmp/stat.out || fail "installed pmem-dma-stat printed: $(cat /tmp/stat.out)"
echo "policy: sector -> nd_pmem, devdax -> dax_pmem, fsdax -> pmem_dma, loaded by modalias and ndctl"
