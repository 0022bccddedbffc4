#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/pmem/engine.sh soft|ioat|idxd|ptdma
#
# pmem_dma and dma_ext against one dma_soft personality, each reproducing
# the contract of the real 6.12 driver it is named after (see the rules in
# drivers/dma/ext/soft*.c): ioat has no terminate, takes spin_lock_bh in
# prep/submit/issue_pending and has a bounded ring; idxd has no terminate,
# sleeps in prep when its work queue is full and completes out of order;
# ptdma completes everything, failures included, without a result; none
# of the three tells dma_ext it is going away. On the test kernel lockdep
# and DEBUG_ATOMIC_SLEEP turn a wrong submission context into a splat,
# which fails the run.
#
# Phases, each asserting what it is for:
#   verify     fio crc32c at dma_threshold 0 and 64 KiB; DMA used; the
#              engine raised one interrupt per request when it completes
#              in order, one per descriptor when not; idxd's prep never
#              slept (dma_ext's cap below the wq's size was reached
#              instead); ioat's ring ran full and those requests went to
#              the CPU
#   errors     injected failures are redone by the CPU (ptdma: they are
#              invisible, as on the real engine, and the data is wrong)
#   stalls     the blk-mq timeout aborts; an engine that cannot be
#              terminated (ioat, idxd, and ptdma, whose terminate leaves
#              the running copy going) is waited for (quarantine) until
#              it finishes
#   late write a DMA write that its engine stalls past the timeout never
#              lands after a newer write to the same range (ptdma: its
#              terminate does not stop the copy, so it is not used)
#   removal    the engine goes away (unbind; idxd: wq disable with the wq
#              at its limit) under fio with requests in flight: 0 verify
#              errors, channel released, no call into a freed channel
#   unbind     namespace unbind while the engine is being removed: both
#              finish
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../dma/lib.sh"

pers=${1:?usage: engine.sh soft|ioat|idxd|ptdma}
soft=$(soft_debugfs)
knob() { echo "$2" > "$soft/$1"; }
count() { cat "$soft/$1"; }
ext() { cat "/sys/kernel/debug/dma_ext/$ch/$1"; }
thr() { echo "$1" > /sys/block/pmem0/pmem_dma/dma_threshold; }
cpu_only=1073741824

# ------------------------------------------------------------------ setup
soft_params=(personality="$pers")
ext_params=(quiesce_timeout_ms=2000)
# a small ring, so that it runs full under fio
[ "$pers" = ioat ] && soft_params+=(descs=64)
# a wq of 128 (as large as a DSA's), and dma_ext told so: it keeps 127
# descriptors outstanding at most. A request takes one per contiguous
# piece of its pages: with the 16 of idxd's default wq the writes of the
# late-write and unbind phases would all go to the CPU; 1 MiB of scattered
# pages still does (256 pieces), so the cap is reached under fio.
[ "$pers" = idxd ] && soft_params+=(descs=128) && ext_params+=(idxd_wq_size=128)
rmmod pmem_dma dma_soft dma_ext
insmod "$(ext_dir)/dma_ext.ko" "${ext_params[@]}"
soft_insmod "${soft_params[@]}"
insmod "$(pmem_dma_ko)" timeout_ms=400 dma_threshold=0
wait_for 10 test -b /dev/pmem0 || fail "pmem0 did not come back"
[ "$(count personality)" = "$pers" ] || fail "dma_soft personality is $(count personality), not $pers"
ch=$(stat_of dma_channel)
[ "$ch" != none ] || fail "no DMA channel"
note "$pers: pmem0 on $ch"
# dma_ext treats each personality's channels as the real driver's: submit
# from ->queue_rq to ptdma (and soft), from a work item to idxd (whose prep
# sleeps: DEBUG_ATOMIC_SLEEP would catch it in ->queue_rq) and ioat (whose
# full ring runs completions under its cleanup lock)
case $pers in
soft) want_caps="durable_writes atomic_submit" how="from queue_rq" ;;
ptdma) want_caps=atomic_submit how="from queue_rq" ;;
*) want_caps="" how="from a work item" ;;
esac
[ "$(ext caps)" = "$want_caps" ] || fail "$pers: dma_ext caps '$(ext caps)', want '$want_caps'"
said=$(dmesg | grep "DMA channel $ch" | tail -n 1)
[[ $said == *", submitted $how" ]] || fail "$pers: pmem_dma does not say it submits $how: '$said'"
in_order=1
[ "$pers" = idxd ] && in_order=0

busy() { [ "$(ext inflight)" -gt 0 ]; }

fio_verify() { # name size offset [fio args...]
	fio --eta=never --output="/tmp/fio-$1.log" --name="$1" --filename=/dev/pmem0 \
		--direct=1 --ioengine=libaio --iodepth=16 --rw=randwrite --bsrange=4k-1M \
		--size="$2" --offset="$3" --verify=crc32c --verify_fatal=1 "${@:4}" ||
		{ cat "/tmp/fio-$1.log"; fail "fio verify ($1)"; }
}

# ----------------------------------------------------------------- verify
# ioat: an engine slower than the submitter, so that the 64-descriptor
# ring fills whatever the kernel's speed (on the debug kernel submission
# alone was slow enough for the ring to drain: it never ran full)
[ "$pers" = ioat ] && knob delay_us 1000
for t in 0 65536; do
	thr $t
	# the engine's count of interrupts it raised; dma_soft's own
	# personality has none, there dma_ext's count of those it asked for
	irqs() { if [ "$pers" = soft ]; then ext interrupts; else count interrupts; fi; }
	r0=$(ext requests) d0=$(ext descriptors) i0=$(irqs)
	n0=$(ext no_result) io0=$(stat_of dma_ios) fb0=$(stat_of dma_fallbacks)
	e0=$(stat_of dma_errors) rf0=$(count ring_full)
	fio_verify "verify-$t" 64M $(( t ? 64 : 0 ))M
	r1=$(ext requests) d1=$(ext descriptors) i1=$(irqs)
	n1=$(ext no_result) io1=$(stat_of dma_ios) fb1=$(stat_of dma_fallbacks)
	e1=$(stat_of dma_errors) rf1=$(count ring_full)
	req=$(( r1 - r0 )) desc=$(( d1 - d0 )) irq=$(( i1 - i0 )) nores=$(( n1 - n0 ))
	errs=$(( e1 - e0 )) full=$(( rf1 - rf0 ))
	echo "threshold $t: dma_ios +$(( io1 - io0 )), fallbacks +$(( fb1 - fb0 )), errors +$errs, ring full +$full, requests +$req, descriptors +$desc, interrupts +$irq, no_result +$nores"
	[ $(( io1 - io0 )) -gt 0 ] || fail "threshold $t: no request went to DMA"
	# without fault injection a request fails only when the ring ran
	# full part-way (ioat); it is then redone by the CPU
	[ "$errs" -le "$full" ] || fail "$errs DMA errors, only $full ring-full refusals"
	if [ "$pers" != soft ]; then
		# 64 KiB engine segments: 1 MiB requests take several descriptors
		[ "$desc" -gt "$req" ] || fail "no request took more than one descriptor"
	fi
	if [ "$pers" = ioat ]; then
		# the last descriptor of a request that the ring cut short was
		# never prepared: one interrupt per complete request
		[ "$irq" -eq $(( req - errs )) ] ||
			fail "ioat: $irq interrupts for $req requests ($errs cut short)"
	else
		[ "$irq" -eq "$desc" ] || fail "$irq interrupts for $desc descriptors"
	fi
	# dmaengine hands callbacks a result even where the driver has none
	[ "$nores" -eq 0 ] || fail "$nores completions without a result"
done
knob delay_us 0
# ptdma calls back from its IRQ handler: the write-back after a DMA write
# must be done in process context, not there (lockdep would also see it)
if [ "$pers" = ptdma ]; then
	[ "$(stat_of dma_wb_deferred)" -gt 0 ] ||
		fail "ptdma: no DMA write was ended outside the IRQ handler"
else
	[ "$(stat_of dma_wb_deferred)" = 0 ] ||
		fail "$pers calls back with interrupts on, yet $(stat_of dma_wb_deferred) writes were deferred"
fi
case $pers in
idxd)	# dma_ext keeps an idxd channel below its wq's size: a prep that
	# slept could sleep through a wq disable (idxd does not wake it)
	[ "$(count prep_sleeps)" = 0 ] || fail "idxd's prep slept $(count prep_sleeps) times"
	[ "$(ext cap_refusals)" -gt 0 ] || fail "idxd: dma_ext's descriptor cap was never reached"
	note "idxd: the wq never ran dry; $(ext cap_refusals) requests over dma_ext's cap went to the CPU" ;;
ioat)	[ "$(count ring_full)" -gt 0 ] || fail "the ioat ring never ran full"
	[ "$(stat_of dma_fallbacks)" -gt 0 ] || fail "ring full, but no request went to the CPU"
	note "ioat: ring full $(count ring_full) times, $(stat_of dma_fallbacks) requests to the CPU" ;;
esac

# ----------------------------------------------------------- out of order
if [ $in_order = 1 ] && [ "$pers" != soft ]; then
	if echo 1 2>/dev/null > "$soft/out_of_order"; then
		fail "an in-order engine accepted out_of_order=1"
	fi
	[ "$(count out_of_order)" = 0 ] || fail "out_of_order changed after a refused write"
fi
[ "$pers" = soft ] && knob out_of_order 1

# ----------------------------------------------------------------- errors
thr 0
if [ "$pers" != ptdma ]; then
	e0=$(stat_of dma_errors) f0=$(stat_of dma_fallbacks) x0=$(count injected_errors)
	knob fail_every 7
	fio_verify errors 32M 128M
	knob fail_every 0
	e1=$(stat_of dma_errors) f1=$(stat_of dma_fallbacks) x1=$(count injected_errors)
	echo "errors: injected +$(( x1 - x0 )), dma_errors +$(( e1 - e0 )), fallbacks +$(( f1 - f0 ))"
	[ $(( x1 - x0 )) -gt 0 ] || fail "no error injected"
	[ $(( e1 - e0 )) -gt 0 ] || fail "injected errors did not surface as dma_errors"
	[ $(( f1 - f0 )) -ge $(( e1 - e0 )) ] || fail "failed DMA requests were not all redone by the CPU"
else
	# ptdma completes a failed copy as a success: nobody can tell
	head -c 4M /dev/urandom > /tmp/p
	e0=$(stat_of dma_errors) x0=$(count injected_errors)
	knob fail_every 3
	dd if=/tmp/p of=/dev/pmem0 bs=1M seek=128 oflag=direct status=none
	knob fail_every 0
	thr $cpu_only
	x1=$(count injected_errors)
	[ $(( x1 - x0 )) -gt 0 ] || fail "no error injected"
	[ "$(stat_of dma_errors)" = "$e0" ] || fail "ptdma personality reported a failure: kinder than ptdma"
	if [ "$(sha_of_range /dev/pmem0 128 4)" = "$(sha256sum < /tmp/p | cut -d' ' -f1)" ]; then
		fail "data intact although $(( x1 - x0 )) copies failed"
	fi
	note "ptdma: $(( x1 - x0 )) failed copies completed as successes; the data is wrong (undetectable, see docs/engines.md)"
	thr 0
fi

# ----------------------------------------------------------------- stalls
s0=$(count stalls) e0=$(stat_of dma_errors) q0=$(ext quarantines)
dmesg -C
knob stall_every 40
fio --eta=never --output=/tmp/fio-stalls.log --name=stalls --filename=/dev/pmem0 \
	--direct=1 --ioengine=libaio --iodepth=16 --rw=randwrite --bsrange=4k-1M \
	--size=16M --offset=192M --verify=crc32c --verify_fatal=1 &
fio_pid=$!
unstalls=0
recoveries=0 stalled=0 dropped=0 qseen=$q0
while kill -0 $fio_pid 2>/dev/null; do
	# idxd finishes a stalled descriptor late, once un-stuck. ioat resets
	# a channel stuck for two timer periods and drops the stuck
	# descriptor without a callback: dma_ext fails such a request when
	# the engine reports its last cookie done, and what stays stuck is
	# recovered by removing the engine.
	q=$(ext quarantines)
	if { [ $pers = idxd ] || [ $pers = ptdma ]; } && [ "$q" -gt "$qseen" ]; then
		knob unstall 1
		unstalls=$(( unstalls + 1 )) qseen=$q
	fi
	if [ $pers = ioat ] && [ "$q" -gt "$qseen" ] && [ "$(ext state)" = quarantined ]; then
		# the counters start again with the new engine and channel
		stalled=$(( stalled + $(count stalls) - s0 )) s0=0
		dropped=$(( dropped + $(ext dropped) ))
		soft_sysfs unbind
		wait_for 30 grep -qx none /sys/block/pmem0/pmem_dma/dma_channel ||
			fail "quarantined channel kept after the engine was removed"
		soft_sysfs bind
		knob stall_every 40
		echo 1 > /sys/block/pmem0/pmem_dma/dma_rescan
		ch=$(stat_of dma_channel)
		[ "$ch" != none ] || fail "rescan found no channel"
		recoveries=$(( recoveries + 1 )) qseen=0 q0=0
	fi
	sleep 0.1 # poll interval
done
wait $fio_pid || { cat /tmp/fio-stalls.log; fail "fio verify under stalls"; }
knob stall_every 0
[ "$pers" = soft ] && knob out_of_order 0
stalled=$(( stalled + $(count stalls) - s0 )) dropped=$(( dropped + $(ext dropped) ))
e1=$(stat_of dma_errors) q1=$(ext quarantines)
echo "stalls +$stalled, dma_errors +$(( e1 - e0 )), quarantines +$(( q1 - q0 )), unstalled $unstalls times, dropped $dropped, recovered by removal $recoveries times"
[ "$stalled" -gt 0 ] || fail "no stall injected"
grep -q "DMA request timed out" <(dmesg) || fail "no timeout was reported"
if [ $pers = idxd ] || [ $pers = ptdma ]; then
	# ptdma's terminate does not stop its queue: dma_ext must not use it
	[ $(( q1 - q0 )) -gt 0 ] || fail "stalled engine that cannot be stopped was not quarantined"
	[ $unstalls -gt 0 ] || fail "never saw the channel quarantined"
elif [ $pers = ioat ]; then
	# each stall ends in a channel reset: the request is failed as
	# dropped, or stays quarantined until the engine is removed
	[ $(( dropped + recoveries )) -gt 0 ] ||
		fail "stalls on ioat, but no request was failed as dropped nor recovered"
else
	[ $(( e1 - e0 )) -gt 0 ] || fail "stalled requests were not terminated and redone"
fi

# ------------------------------------------------------------- late write
# A 128 KiB DMA write whose every descriptor the engine stalls past the
# 400 ms timeout. It comes back either acknowledged (an engine that was
# really stopped, or that dropped the stuck descriptor: the CPU redid it)
# or still held by an engine that cannot be stopped (quarantine: released
# here). Then a newer 4 KiB CPU write to its first block, then the engine
# is let go of whatever it still runs, then a read once it holds nothing:
# the newer data must win. ptdma's terminate frees its descriptors but
# leaves the running copy going: trusted, it lets that copy land late.
head -c 128K /dev/urandom > /tmp/old
head -c 4K /dev/urandom > /tmp/new
{ cat /tmp/new; tail -c +4097 /tmp/old; } > /tmp/want
thr 0
t0=$(stat_of dma_timeouts) s0=$(count stalls)
knob stall_every 1
dd if=/tmp/old of=/dev/pmem0 bs=128K seek=$(( 640 * 8 )) oflag=direct status=none &
dd_pid=$!
timed_out() { [ "$(stat_of dma_timeouts)" -gt "$t0" ]; }
wait_for 30 timed_out ||
	fail "the stalled write did not time out (state $(ext state), inflight $(ext inflight), outstanding $(ext outstanding), cap_refusals $(ext cap_refusals), held $(count held), stalls +$(( $(count stalls) - s0 )))"
acked_or_held() { ! kill -0 $dd_pid 2>/dev/null || [ "$(ext state)" = quarantined ]; }
wait_for 30 acked_or_held || fail "the stalled write neither came back nor was quarantined"
knob stall_every 0
held=0
if kill -0 $dd_pid 2>/dev/null; then
	held=1
	knob unstall 1
fi
wait $dd_pid || fail "the stalled DMA write failed"
[ "$(count stalls)" -gt "$s0" ] || fail "no descriptor of the write stalled"
thr $cpu_only
dd if=/tmp/new of=/dev/pmem0 bs=4K seek=$(( 640 * 256 )) oflag=direct status=none
# a stalled copy an engine was never stopped from runs now
knob unstall 1
# drive the read by the engine, not by dma_ext: an engine without
# terminate must have called back or given up every descriptor it took;
# and whatever the engine was told, it must hold nothing any more
engine_idle() {
	if [ $pers = ioat ] || [ $pers = idxd ]; then
		[ $(( $(count completed) + $(count aborted) )) -ge "$(ext descriptors)" ] || return 1
	else
		[ "$(ext inflight)" = 0 ] || return 1
	fi
	[ "$(count held)" = 0 ]
}
wait_for 30 engine_idle || fail "the engine still holds descriptors"
dd if=/dev/pmem0 of=/tmp/got bs=128K skip=$(( 640 * 8 )) count=1 iflag=direct status=none
cmp -s /tmp/want /tmp/got || fail "a late engine write overwrote newer data"
note "late write: $([ $held = 1 ] && echo "held by the engine until it finished" || echo "acknowledged once the engine let go of it (stopped, or reset)"); its copy did not overwrite the newer block"
[ "$(ext late_callbacks)" = 0 ] || fail "$(ext late_callbacks) late callbacks"
if [ "$pers" = ptdma ]; then
	[ "$(count early_completions)" = 0 ] ||
		fail "ptdma completed $(count early_completions) descriptors before copying them"
fi
thr 0

# ---------------------------------------------------------------- removal
knob delay_us 3000
fio --eta=never --output=/tmp/fio-removal.log --name=removal --filename=/dev/pmem0 \
	--direct=1 --ioengine=libaio --iodepth=16 --rw=randwrite --bsrange=64k-1M \
	--size=48M --offset=256M --verify=crc32c --verify_fatal=1 &
fio_pid=$!
wait_for 30 busy || fail "no request in flight under fio"
if [ "$pers" = idxd ]; then
	# the wq at its limit: a prep asleep in it (idxd's disable does not
	# wake it), or dma_ext refusing to go further
	cr0=$(ext cap_refusals)
	at_limit() { [ "$(count prep_asleep)" -gt 0 ] || [ "$(ext cap_refusals)" -gt "$cr0" ]; }
	wait_for 30 at_limit || fail "idxd: the work queue never reached its limit under fio"
fi
inflight=$(ext inflight)
if [ "$pers" = idxd ]; then
	echo "${ch##*chan}" > "$soft/wq_disable"
	how="work queue ${ch##*chan} disabled"
else
	soft_sysfs unbind
	how="engine unbound"
fi
wait_for 30 grep -qx none /sys/block/pmem0/pmem_dma/dma_channel ||
	fail "channel still in use after: $how"
wait $fio_pid || { cat /tmp/fio-removal.log; fail "fio verify across the removal"; }
note "removal: $how with $inflight requests in flight; channel released, 0 verify errors"
if [ "$pers" = idxd ]; then
	soft_sysfs unbind
fi
soft_sysfs bind
echo 1 > /sys/block/pmem0/pmem_dma/dma_rescan
ch=$(stat_of dma_channel)
[ "$ch" != none ] || fail "rescan found no channel after the engine came back"

# ----------------------------------------------------------------- unbind
# The engine's removal waits for its requests while the namespace goes.
knob delay_us 200000
ns=$(nd_dev_of)
for i in 0 1 2 3; do
	dd if=/dev/urandom of=/dev/pmem0 bs=256K count=1 seek=$(( 3000 + i )) oflag=direct status=none 2>/dev/null &
done
wait_for 30 busy || fail "no request in flight"
soft_sysfs unbind &
engine_pid=$!
echo "$ns" > /sys/bus/nd/drivers/pmem_dma/unbind &
ns_pid=$!
gone() { ! kill -0 $engine_pid 2>/dev/null && ! kill -0 $ns_pid 2>/dev/null; }
wait_for 60 gone || fail "engine removal and namespace unbind did not both finish (deadlock?)"
wait $engine_pid || fail "engine unbind failed"
wait $ns_pid || fail "namespace unbind failed"
wait
[ ! -e /sys/block/pmem0 ] || fail "pmem0 still there after unbind"
echo "$ns" > /sys/bus/nd/drivers/pmem_dma/bind
wait_for 10 test -b /dev/pmem0 || fail "pmem0 did not come back"
[ "$(stat_of dma_channel)" = none ] || fail "a channel of the removed engine was handed out"
note "unbind: namespace unbound while its engine was being removed; both finished"
echo "engine $pers: verify, errors, stalls, late write, removal under load and unbind during removal passed"
