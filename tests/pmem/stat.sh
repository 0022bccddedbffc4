#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# tools/pmem-dma-stat against a known load (tests/vm/run --setup): 64 MiB
# of 1 MiB direct writes (DMA at the default threshold) then 16 MiB of
# 4 KiB ones (CPU). The tool's total equals the disk's own counter deltas
# and the load's bytes, split as the threshold says; its interval lines
# show each path moving while it runs and nothing once the load is over,
# follow the thresholds as they change and name the channel. A disk that
# is not pmem_dma's, or none at all, is refused with status 2 before any
# output; a disk that goes away while watched is reported and dropped.
. "$(dirname "$0")/lib.sh"

tool=tools/pmem-dma-stat
d=/sys/block/pmem0/pmem_dma
expect_driver pmem_dma
chan=$(stat_of dma_channel)
[ "$chan" != none ] || fail "no DMA channel: guest-setup loads dma_soft"
echo 65536 > $d/dma_threshold

note "refusals"
refused() { # what args...: status 2, the message, nothing on stdout
	local what=$1 out rc=0
	shift
	out=$("$tool" -c 1 "$@" 2> /tmp/stat.err) || rc=$?
	[ $rc = 2 ] || fail "pmem-dma-stat $*: status $rc, not 2"
	[ -z "$out" ] || fail "pmem-dma-stat $*: printed '$out' before refusing"
	grep -q "$what" /tmp/stat.err || fail "pmem-dma-stat $*: said '$(cat /tmp/stat.err)', not '$what'"
}
refused "no such block device" nosuchdisk
modprobe loop 2> /dev/null || true
[ -d /sys/block/loop0 ] || fail "no loop0 to stand for a disk that is not pmem_dma's"
refused "not a pmem_dma disk" /dev/loop0
refused "not a pmem_dma disk" pmem0 loop0
refused "positive number" -i 0 pmem0
refused "positive number" -i nan pmem0

note "a known load"
counters() { echo "$(stat_of cpu_ios) $(stat_of cpu_bytes) $(stat_of dma_ios) $(stat_of dma_bytes)"; }
lines() { grep -c '^[0-9][0-9]:[0-9:]* *pmem0 ' /tmp/stat.out || true; }
lines_ge() { [ "$(lines)" -ge "$1" ]; }
"$tool" -i 0.5 pmem0 > /tmp/stat.out &
pid=$!
wait_for 20 grep -q '^time ' /tmp/stat.out || fail "no header from pmem-dma-stat"
read -r c0 cb0 d0 db0 < <(counters)
dd if=/dev/urandom of=/dev/pmem0 bs=1M count=64 oflag=direct status=none
# the line after the DMA writes ended holds the last of them: up to it,
# nothing went to the CPU
wait_for 20 lines_ge $(( $(lines) + 1 )) || fail "pmem-dma-stat stopped printing"
n_dma=$(lines)
dd if=/dev/urandom of=/dev/pmem0 bs=4k count=4096 seek=$((128 << 8)) oflag=direct status=none
read -r c1 cb1 d1 db1 < <(counters)
# two more intervals: the last load lands in one, the next is idle
wait_for 20 lines_ge $(( $(lines) + 2 )) || fail "pmem-dma-stat stopped printing"
echo 0 > $d/dma_threshold_read
echo 4294967295 > $d/dma_threshold_write
wait_for 20 lines_ge $(( $(lines) + 1 )) || fail "pmem-dma-stat stopped printing"
# TERM: a background job of a script ignores INT (and python with it)
kill -TERM $pid
wait $pid || fail "pmem-dma-stat ended with status $? on SIGTERM"
cat /tmp/stat.out

[ $((db1 - db0)) = $((64 << 20)) ] && [ $((cb1 - cb0)) = $((16 << 20)) ] ||
	fail "the load moved dma_bytes by $((db1 - db0)), cpu_bytes by $((cb1 - cb0)), not 64 MiB and 16 MiB"
total=$(grep '^total *pmem0 ' /tmp/stat.out) || fail "no total line"
want="cpu_ios=$((c1 - c0)) cpu_bytes=$((cb1 - cb0)) dma_ios=$((d1 - d0)) dma_bytes=$((db1 - db0))"
for kv in $want; do
	grep -qw "$kv" <<<"$total" || fail "total '$total' lacks $kv (the counters' deltas: $want)"
done
# the interval lines: time disk cpu/s cpuMB/s dma/s dmaMB/s fb/s err/s
# tmo/s p2p/s thr_rd thr_wr channel
ivl='$1 ~ /^[0-9][0-9]:/ && $2 == "pmem0"'
awk "$ivl && \$5 + 0 > 0" /tmp/stat.out | grep -q . || fail "no interval shows DMA requests"
awk "$ivl && \$3 + 0 > 0" /tmp/stat.out | grep -q . || fail "no interval shows CPU requests"
[ "$n_dma" -ge 1 ] || fail "no interval line before the CPU writes"
awk -v n="$n_dma" "$ivl && ++i <= n && \$3 + 0 > 0 { bad = 1 } END { exit bad }" /tmp/stat.out ||
	fail "CPU requests shown while only DMA writes ran"
last=$(grep '^[0-9][0-9]:[0-9:]* *pmem0 ' /tmp/stat.out | tail -n1)
read -r _ _ c cm dm dmb fb er tm p2 tr tw ch <<<"$last"
[ "$c $cm $dm $dmb $fb $er $tm $p2" = "0 0.0 0 0.0 0 0 0 0" ] || fail "an idle interval shows: $last"
[ "$tr $tw $ch" = "0 cpu $chan" ] || fail "last line shows thresholds '$tr $tw', channel '$ch';" \
	"want '0 cpu $chan'"
grep -q "^[0-9:]* *pmem0 .* 65536 *65536  $chan\$" /tmp/stat.out ||
	fail "no line shows the default thresholds and channel $chan"

note "-c ends by itself; a disk that goes away"
"$tool" -i 0.2 -c 2 > /tmp/stat.out || fail "pmem-dma-stat -c 2: status $?"
[ "$(lines)" = 2 ] && grep -q '^total *pmem0 ' /tmp/stat.out ||
	fail "pmem-dma-stat -c 2 printed: $(cat /tmp/stat.out)"
"$tool" -i 0.5 pmem0 > /tmp/stat.out &
pid=$!
wait_for 20 lines_ge 1 || fail "pmem-dma-stat printed no line"
nd=$(nd_dev_of pmem0)
echo "$nd" > /sys/bus/nd/drivers/pmem_dma/unbind
wait_for 20 grep -q 'pmem0 *gone' /tmp/stat.out || fail "a disk that went away is not reported"
wait $pid || fail "pmem-dma-stat ended with status $? after its only disk went away"
grep -q '^total *pmem0 ' /tmp/stat.out || fail "no total for the disk that went away"
[ -z "$(ls -d /sys/block/*/pmem_dma 2> /dev/null)" ] ||
	fail "pmem_dma disks left after unbinding pmem0: $(ls -d /sys/block/*/pmem_dma)"
refused "no disk is served by pmem_dma"
echo "$nd" > /sys/bus/nd/drivers/pmem_dma/bind
wait_for 20 test -b /dev/pmem0 || fail "pmem0 did not come back"
echo "stat: ok"
