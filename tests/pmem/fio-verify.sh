#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# fio with crc32c verify over the engine/depth/size matrix in verify.fio:
# 0 verify errors, and pmem_dma's counters account for the traffic: every
# byte went through the CPU or the DMA path, and at the default threshold
# both paths were used (the CPU alone on a raw namespace: VM_NS_MODE=raw);
# the batched submissions of two jobs reached ->queue_rqs (batched_ios),
# which blk-mq calls only without an I/O scheduler: none for the run.
. "$(dirname "$0")/lib.sh"

expect_driver pmem_dma
snap() { echo $(( $(stat_of cpu_ios) + $(stat_of dma_ios) )) $(( $(stat_of cpu_bytes) + $(stat_of dma_bytes) )) $(stat_of dma_ios) $(stat_of cpu_ios); }
sched=/sys/block/pmem0/queue/scheduler
old_sched=$(sed 's/.*\[\(.*\)\].*/\1/' $sched)
echo none > $sched || fail "cannot set the scheduler to none"
trap 'echo "$old_sched" > $sched' EXIT
read -r ios0 bytes0 dma0 cpu0 < <(snap)
batched0=$(stat_of batched_ios)
out=/tmp/fio.json
fio --eta=never --output-format=json --output="$out" "$(dirname "$0")/verify.fio" ||
	{ cat "$out"; fail "fio reported an error"; }
read -r ios1 bytes1 dma1 cpu1 < <(snap)
chan=$(stat_of dma_channel)
if [ "${VM_NS_MODE:-fsdax}" = raw ]; then
	# no struct page to map for an engine: the CPU copies everything
	[ "$chan" = "none (raw namespace: CPU only)" ] || fail "raw namespace, dma_channel: $chan"
	[ $(( dma1 - dma0 )) -eq 0 ] || fail "raw namespace, but $(( dma1 - dma0 )) requests went to DMA"
else
	# guest-setup loads dma_soft: an engine must be there
	[ "$chan" != none ] || fail "no DMA channel"
	[ $(( dma1 - dma0 )) -gt 0 ] || fail "DMA channel $chan but no request went to DMA"
fi
# 512 B..1 MiB requests at the default 64 KiB threshold: the CPU has its share
[ $(( cpu1 - cpu0 )) -gt 0 ] || fail "no request was copied by the CPU"
# the 512 B libaio job alone submits its 16384 writes 8 at a time
batched=$(( $(stat_of batched_ios) - batched0 ))
[ $batched -ge 8192 ] || fail "batched submissions, but batched_ios only +$batched"
[ $batched -le $(( ios1 - ios0 )) ] ||
	fail "batched_ios +$batched, more than the $(( ios1 - ios0 )) requests served"
echo "dma_channel: $chan, dma_ios +$(( dma1 - dma0 )), batched_ios +$batched, fallbacks $(stat_of dma_fallbacks), errors $(stat_of dma_errors)"
[ "$(stat_of dma_errors)" = 0 ] || fail "DMA errors without fault injection"

/usr/bin/python3 - "$out" $(( ios1 - ios0 )) $(( bytes1 - bytes0 )) <<'PY'
import json, sys
text = open(sys.argv[1]).read()
# fio may put warnings in front of the JSON document
res = json.loads(text[text.index("{"):])
dios, dbytes = int(sys.argv[2]), int(sys.argv[3])
wr = rd = ios = 0
for j in res["jobs"]:
    if j["error"]:
        sys.exit("job %s: error %d" % (j["jobname"], j["error"]))
    w, r = j["write"], j["read"]
    print("%-36s write %7.1f MiB %6.1f MiB/s  read %7.1f MiB" %
          (j["jobname"], w["io_bytes"] / 2**20, w["bw_bytes"] / 2**20, r["io_bytes"] / 2**20))
    wr += w["io_bytes"]; rd += r["io_bytes"]; ios += w["total_ios"] + r["total_ios"]
print("total: %.0f MiB written, %.0f MiB read (incl. verify), %d IOs; "
      "pmem_dma cpu+dma ios +%d, bytes +%d" % (wr / 2**20, rd / 2**20, ios, dios, dbytes))
if wr < 1 << 30:
    sys.exit("only %d bytes written, expected at least 1 GiB" % wr)
# every byte fio moved went through pmem_dma's CPU or DMA path
if dbytes < wr + rd:
    sys.exit("cpu_bytes + dma_bytes moved by %d, fio moved %d" % (dbytes, wr + rd))
if dios <= 0:
    sys.exit("no request was counted")
PY
