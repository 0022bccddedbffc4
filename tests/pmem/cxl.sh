#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# tests/vm/run --cxl: pmem0 is a namespace on a CXL pmem region, served by
# pmem_dma like an NFIT one (tests/pmem/bind.sh), and what differs from
# NFIT is what the code expects:
# - the region belongs to the CXL provider's nvdimm bus and is the CXL
#   region of the same id, at the same address and size;
# - its persistence domain is the memory controller (ADR), so pmem_dma
#   writes back DMA-written lines and advertises a volatile write cache;
# - no flush hints and no FUA (nvdimm_has_flush() is 0: the platform's
#   ADR makes a written-back line durable);
# - no address range scrub on that bus: badblocks stays empty (6.12 does
#   not feed a CXL device's poison list into libnvdimm's badblocks);
# - DAX on, a 2 MiB namespace alignment inside a 256 MiB-aligned region.
. "$(dirname "$0")/lib.sh"

[ "${VM_CXL:-0}" = 1 ] || fail "cxl.sh needs tests/vm/run --cxl"
bash "$(dirname "$0")/bind.sh" || fail "the CXL namespace does not look like a pmem disk"

nd=$(nd_dev_of)
region=$(basename "$(readlink -f "/sys/bus/nd/devices/$nd/..")")
case $region in region[0-9]*) ;; *) fail "$nd sits on '$region', not a region" ;; esac
rdir=/sys/bus/nd/devices/$region
bus=$(basename "$(readlink -f "$rdir/..")")
provider=$(cat "/sys/bus/nd/devices/$bus/provider")
[ "$provider" = CXL ] || fail "$region is on $bus, provider '$provider', not CXL"

# the same region as the CXL core sees it: same name (libnvdimm takes the
# CXL region's id), address and size
cxl_region=$(cxl list -R -r "$region" 2>/dev/null)
field() { sed -n "s/.*\"$1\":\"\\{0,1\\}\\([0-9a-fx]*\\)\"\\{0,1\\},\\{0,1\\}\$/\\1/p" <<<"$cxl_region" | head -n 1; }
grep -q "\"region\":\"$region\"" <<<"$cxl_region" || fail "cxl list -R has no $region: $cxl_region"
cres=$(field resource)
csize=$(field size)
[ -n "$cres" ] && [ -n "$csize" ] || fail "no resource/size in cxl list -R: $cxl_region"
nres=$(cat "$rdir/resource")
nsize=$(cat "$rdir/size")
[ $(( cres )) -eq $(( nres )) ] || fail "CXL region at $cres, nvdimm region at $nres"
[ $(( csize )) -eq $(( nsize )) ] || fail "CXL region $csize bytes, nvdimm region $nsize"
[ $(( nres % (256 << 20) )) -eq 0 ] || fail "region at $nres is not 256 MiB aligned"

pd=$(cat "$rdir/persistence_domain")
[ "$pd" = memory_controller ] || fail "$region persistence domain '$pd', a CXL pmem region's is memory_controller"
[ "$(cat /sys/block/pmem0/dax/write_cache)" = 1 ] ||
	fail "memory-controller persistence, but dax/write_cache is not 1"
[ "$(cat /sys/block/pmem0/queue/fua)" = 0 ] || fail "FUA advertised on a region without flush hints"
# deep_flush is visible whenever nvdimm_has_flush() is not negative
df=$(cat "$rdir/deep_flush" 2>&1) || df="unreadable: $df"
[ "$df" = 0 ] || fail "$region deep_flush '$df': CXL regions have no flush hints"

cmds=$(cat "/sys/bus/nd/devices/$bus/commands")
case $cmds in *ars*) fail "$bus offers address range scrub ($cmds)" ;; esac
[ -z "$(cat /sys/block/pmem0/badblocks)" ] || fail "badblocks on a fresh CXL region: $(cat /sys/block/pmem0/badblocks)"

# an fsdax disk sits on a pfn device whose 'namespace' names the namespace
ns=$nd
[ ! -r "/sys/bus/nd/devices/$nd/namespace" ] || ns=$(cat "/sys/bus/nd/devices/$nd/namespace")
align=$(ndctl list -N -n "$ns" 2>/dev/null | sed -n 's/.*"align":\([0-9]*\).*/\1/p' | head -n 1)
[ "$align" = $(( 2 << 20 )) ] || fail "$ns alignment '$align', expected 2 MiB"
ralign=$(cat "$rdir/align")

echo "cxl: /dev/pmem0 on $nd ($ns), $region (bus $bus, provider $provider) at $nres, $(( nsize >> 20 )) MiB, region align $ralign, namespace align $align, persistence $pd, no FUA, no ARS"
