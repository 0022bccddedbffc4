#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# DMA channels and disks (tests/vm/run --nvdimms 3; 2 CPUs, so 2 hardware
# queues per disk). dma_ext's per-channel debugfs counters must show which
# channel carried what.
#  1. Three namespaces, two channels (guest-setup: dma_soft's 2 channels,
#     dma_channels=1): two disks get one channel each, the third none.
#     Under fio verify on all three at once, each channel's requests are
#     exactly its disk's DMA requests; the third copies with the CPU. When
#     a disk with a channel is unbound, a rescan of the third takes the
#     freed channel and it carries that disk's requests from then on; the
#     disk bound again finds none.
#  2. dma_channels=2, three engine channels: one disk gets two, and writes
#     submitted from each CPU (one per hardware queue) go to both; the disk
#     that got one sends both queues' requests to it (none to the CPU).
. "$(dirname "$0")/lib.sh"

[ -b /dev/pmem2 ] || fail "needs three pmem disks (tests/vm/run --nvdimms 3)"
[ "$(nproc)" -ge 2 ] || fail "needs 2 CPUs"
dbg=/sys/kernel/debug/dma_ext
disks="pmem0 pmem1 pmem2"
chreq() { cat "$dbg/$1/requests"; }

# fio_verify DISK LOG [fio options...]: 1 MiB..64 KiB writes + crc32c verify
fio_verify() {
	local d=$1 log=$2
	shift 2
	fio --eta=never --name=ch --filename="/dev/$d" --direct=1 --ioengine=libaio \
		--iodepth=8 --rw=randwrite --bsrange=64k-1M --size=48M \
		--verify=crc32c --verify_fatal=1 "$@" > "$log" 2>&1 ||
		{ cat "$log"; fail "fio verify on $d"; }
}

note "three namespaces, two channels"
with=() without=()
declare -A chan
for d in $disks; do
	c=$(stat_of dma_channel $d)
	case $c in
	none) without+=("$d") ;;
	*\ *) fail "$d has several channels with dma_channels=1: $c" ;;
	*) with+=("$d"); chan[$d]=$c ;;
	esac
done
[ ${#with[@]} = 2 ] && [ ${#without[@]} = 1 ] ||
	fail "with 2 channels for 3 disks: ${with[*]:-no disk} got one, ${without[*]:-none} none"
a=${with[0]} b=${with[1]} c=${without[0]}
ca=${chan[$a]} cb=${chan[$b]}
[ "$ca" != "$cb" ] || fail "$a and $b share $ca"
echo "channels: $a -> $ca, $b -> $cb, $c -> none"

declare -A d0 r0
for d in $disks; do d0[$d]=$(stat_of dma_ios $d); done
r0[$ca]=$(chreq "$ca") r0[$cb]=$(chreq "$cb")
c0=$(stat_of cpu_ios $c)
pids=()
for d in $disks; do
	fio_verify $d /tmp/ch-$d.log &
	pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || fail "fio verify failed (logs above)"; done
for x in "$a:$ca" "$b:$cb"; do
	d=${x%%:*} ch=${x#*:}
	n=$(( $(stat_of dma_ios $d) - d0[$d] ))
	m=$(( $(chreq "$ch") - r0[$ch] ))
	[ "$n" -gt 0 ] || fail "$d did no DMA"
	[ "$m" = "$n" ] || fail "$ch carried $m requests, its disk $d made $n DMA requests"
done
[ "$(stat_of dma_ios $c)" = "${d0[$c]}" ] || fail "$c has no channel but did DMA"
[ "$(stat_of cpu_ios $c)" -gt "$c0" ] || fail "$c copied nothing with the CPU"

note "unbind $a: its channel $ca goes to $c on a rescan"
nda=$(nd_dev_of $a)
echo "$nda" > /sys/bus/nd/drivers/pmem_dma/unbind
wait_for 10 test ! -e /sys/block/$a || fail "$a still there after unbind"
echo 1 > /sys/block/$c/pmem_dma/dma_rescan
[ "$(stat_of dma_channel $c)" = "$ca" ] || fail "$c took '$(stat_of dma_channel $c)' after $a freed $ca"
n0=$(stat_of dma_ios $c) m0=$(chreq "$ca")
fio_verify $c /tmp/ch-$c.log
n=$(( $(stat_of dma_ios $c) - n0 )) m=$(( $(chreq "$ca") - m0 ))
[ "$n" -gt 0 ] && [ "$m" = "$n" ] || fail "$c after the rescan: $n DMA requests, $ca carried $m"
echo "$nda" > /sys/bus/nd/drivers/pmem_dma/bind
wait_for 10 test -b /dev/$a || fail "$a did not come back"
[ "$(stat_of dma_channel $a)" = none ] || fail "$a found '$(stat_of dma_channel $a)' with both channels taken"
fio_verify $a /tmp/ch-$a.log

note "dma_channels=2 with three engine channels"
rmmod pmem_dma
rmmod dma_soft
soft_insmod channels=3
insmod "$(pmem_dma_ko)" dma_channels=2
for d in $disks; do wait_for 10 test -b /dev/$d || fail "$d did not come back"; done
two='' one=''
for d in $disks; do
	read -ra cs <<<"$(stat_of dma_channel $d)"
	case ${#cs[@]} in
	2) [ -z "$two" ] || fail "two disks with two channels from three"; two=$d; t1=${cs[0]} t2=${cs[1]} ;;
	1) [ "${cs[0]}" = none ] || { [ -z "$one" ] || fail "two disks with one channel"; one=$d; o1=${cs[0]}; } ;;
	esac
done
[ -n "$two" ] && [ -n "$one" ] || fail "channels: $(for d in $disks; do echo -n "$d: $(stat_of dma_channel $d); "; done)"
echo "channels: $two -> $t1 $t2, $one -> $o1"
# one writer per CPU: one per hardware queue; 256 KiB writes, all DMA-sized
per_cpu_verify() { # disk
	local cpu pids=()
	for cpu in 0 1; do
		fio --eta=never --name=cpu$cpu --cpus_allowed=$cpu --filename="/dev/$1" \
			--direct=1 --ioengine=libaio --iodepth=4 --rw=randwrite --bs=256k \
			--size=32M --offset=$(( cpu * 64 ))M --verify=crc32c --verify_fatal=1 \
			> /tmp/cpu$cpu.log 2>&1 &
		pids+=($!)
	done
	for cpu in 0 1; do
		wait "${pids[$cpu]}" || { cat /tmp/cpu$cpu.log; fail "fio on CPU $cpu, $1"; }
	done
}
q1=$(chreq "$t1") q2=$(chreq "$t2")
per_cpu_verify $two
q1=$(( $(chreq "$t1") - q1 )) q2=$(( $(chreq "$t2") - q2 ))
[ "$q1" -gt 0 ] && [ "$q2" -gt 0 ] || fail "$two's channels carried $q1 and $q2 requests"
u0=$(stat_of cpu_ios $one) p0=$(chreq "$o1") n0=$(stat_of dma_ios $one)
per_cpu_verify $one
[ "$(stat_of cpu_ios $one)" = "$u0" ] ||
	fail "$one has one channel of two: $(( $(stat_of cpu_ios $one) - u0 )) DMA-sized writes went to the CPU"
n=$(( $(stat_of dma_ios $one) - n0 )) m=$(( $(chreq "$o1") - p0 ))
[ "$m" = "$n" ] || fail "$o1 carried $m requests of $one's $n"
echo "channels: $two's two channels carried $q1 and $q2 requests; $one's one channel all $n of both queues"
