#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Two namespaces under load while everything around them changes
# (tests/vm/run --nvdimms 2). For STRESS_SECONDS (default 60):
#  - pmem0 runs fio write+crc32c verify back to back: every run must pass;
#  - pmem1 does the same, but is unbound from pmem_dma and bound again now
#    and then: a run that overlaps an unbind while writing may fail, but
#    only the way I/O on a disk that goes away fails (EIO, ENOSPC, or
#    ENXIO/ENODEV/ENOENT opening it), never with a verify error; a run cut
#    in its verify pass is verified again, all of it, after the rebind;
#    every other run must pass, and data written and synced before the
#    unbind must read back the same after the rebind;
#  - a reader (readcheck.py) reads a fixed pattern on pmem1 all along,
#    unbinds included: every byte a read returns must match, and a read may
#    come back empty or failed only when its disk went away;
#  - meanwhile dma_threshold changes on both disks every tick, dma_soft
#    fails, stalls and reorders descriptors for a while, and dma_soft is
#    unbound, unloaded, reloaded and rescanned. At least one unbind, one
#    engine removal and one fault phase that really failed descriptors must
#    happen in every run.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../dma/lib.sh"

secs=${STRESS_SECONDS:-60}
[ -b /dev/pmem1 ] || fail "needs two pmem disks (tests/vm/run --nvdimms 2)"
knobs=$(soft_debugfs)
knob() { [ ! -d $knobs ] || echo "$2" > "$knobs/$1"; }

# a short timeout, so that stalled descriptors are aborted quickly
rmmod pmem_dma
insmod "$(pmem_dma_ko)" timeout_ms=1000
wait_for 10 test -b /dev/pmem0 -a -b /dev/pmem1 || fail "disks did not come back"
expect_driver pmem_dma pmem0
expect_driver pmem_dma pmem1
devb=$(nd_dev_of pmem1)

w=/tmp/stress
rm -rf $w
mkdir -p $w
echo 0 > $w/epoch
: > $w/b.excused

# allow_file_create=0: while pmem1 is unbound, fio must fail to open it,
# not create a regular file /dev/pmem1 that would hide the disk's node
fio_verify() { # disk log [offset_MiB [fio options...]]
	local d=$1 log=$2 off=${3:-$(( (RANDOM % 4) * 128 ))}
	shift 3 || shift $#
	fio --eta=never --name=stress --filename="/dev/$d" --allow_file_create=0 \
		--direct=1 --ioengine=libaio --iodepth=16 --rw=randwrite \
		--bsrange=4k-1M --size=96M --offset="${off}M" \
		--verify=crc32c --verify_fatal=1 "$@" > "$log" 2>&1
}

# pmem0: every run must pass
worker_a() {
	local n=0
	while [ ! -e $w/stop ]; do
		n=$(( n + 1 ))
		if ! fio_verify pmem0 $w/a.log; then
			cp $w/a.log $w/a.failed
			break
		fi
	done
	echo $n > $w/a.runs
}

# A run cut by an unbind fails with the errors of a disk going away: EIO
# from the dead disk, ENOSPC (del_gendisk sets its size to 0, and a write
# past the end of a block device is ENOSPC), ENXIO, ENODEV or ENOENT
# (re)opening it. A verify
# failure (fio's "verify", "crc32c", "bad magic"/"bad header" lines, err=84)
# or any other error is never excused. Prints the errors it accepted.
cut_by_unbind() { # log
	local errs e
	! grep -Eqi 'verify|crc32c|bad magic|bad header' "$1" || return 1
	# the node gone when fio opens it: fio would create a regular file
	errs=$({
		grep -Eo 'err= *[0-9]+' "$1" | tr -d ' '
		! grep -q 'file creation disallowed' "$1" || echo err=2
	} | sort -u)
	[ -n "$errs" ] || return 1
	for e in $errs; do
		case $e in
		err=2|err=5|err=6|err=19|err=28) ;;
		*) return 1 ;;
		esac
	done
	echo $errs
}

# pmem1: a failing run must have overlapped an unbind. If it was cut while
# writing, it must have failed only the way I/O to a disk that goes away
# fails. If every write had completed, it was cut in its verify pass: once
# del_gendisk sets the size to 0, reads return 0 bytes and fio checks the
# stale buffer (verify errors that say nothing about the data); then the
# whole range is verified again with the disk back (no unbind meanwhile:
# $w/hold), and every byte must be there.
worker_b() {
	local ok=0 clean=0 reverified=0 e0 e1 off
	while [ ! -e $w/stop ]; do
		e0=$(cat $w/epoch)
		if [ -e $w/unbound ] || [ ! -b /dev/pmem1 ]; then
			sleep 0.1 # poll: wait for the rebind
			continue
		fi
		off=$(( (RANDOM % 4) * 128 ))
		if fio_verify pmem1 $w/b.log $off; then
			ok=$(( ok + 1 ))
			continue
		fi
		e1=$(cat $w/epoch)
		if [ "$e1" != "$e0" ] && grep -q 'WRITE: .* io=96.0MiB ' $w/b.log; then
			touch $w/hold
			until [ ! -e $w/unbound ] && [ -b /dev/pmem1 ]; do
				sleep 0.1 # poll: wait for the rebind
			done
			if ! fio_verify pmem1 $w/b2.log $off --verify_only=1; then
				{ cat $w/b.log; echo "(cut in its verify pass; verified again after the rebind:)"
				  cat $w/b2.log; } > $w/b.failed
				rm -f $w/hold
				break
			fi
			rm -f $w/hold
			reverified=$(( reverified + 1 ))
			continue
		fi
		if [ "$e1" = "$e0" ] || ! cut_by_unbind $w/b.log >> $w/b.excused; then
			cp $w/b.log $w/b.failed
			[ "$e1" = "$e0" ] || echo "(this run overlapped an unbind)" >> $w/b.failed
			break
		fi
		clean=$(( clean + 1 ))
	done
	echo "$ok $clean $reverified" > $w/b.runs
}

# the marker written before an unbind reads back the same after the bind;
# if not, say how: through the CPU and the DMA path, and how many bytes
check_marker() {
	local want got t
	want=$(sha256sum < $w/marker | cut -d' ' -f1)
	[ "$(sha_of_range /dev/pmem1 900 4)" = "$want" ] && return 0
	t=$(stat_of dma_threshold pmem1)
	for v in 4294967295 0; do
		echo $v > /sys/block/pmem1/pmem_dma/dma_threshold
		dd if=/dev/pmem1 bs=1M skip=900 count=4 iflag=direct status=none > $w/got
		got=$(cmp -l $w/marker $w/got | wc -l)
		echo "marker read with dma_threshold $v: $got bytes differ, first: $(cmp $w/marker $w/got | head -n1)"
	done
	echo "$t" > /sys/block/pmem1/pmem_dma/dma_threshold
	cat /sys/block/pmem1/pmem_dma/dma_channel /sys/block/pmem0/pmem_dma/dma_channel
	return 1
}

# a pattern that pmem1's reader checks read by read (fio stays below 480M)
head -c 16M /dev/urandom > $w/pattern
dd if=$w/pattern of=/dev/pmem1 bs=1M seek=640 oflag=direct conv=fsync status=none
/usr/bin/python3 "$(dirname "$0")/readcheck.py" /dev/pmem1 640 $w/pattern $w > $w/r.log 2>&1 &
pid_r=$!

# inflight counts only with iostats on (pmem_dma's default is off)
iostats_on() { echo 1 > /sys/block/pmem1/queue/iostats; }
reads_in_flight() { local r; read -r r _ < /sys/block/pmem1/inflight && [ "$r" -gt 0 ]; }
iostats_on

worker_a &
pid_a=$!
worker_b &
pid_b=$!

d0=$(stat_of dma_ios) e0=$(stat_of dma_errors)
thr_changes=0 unbinds=0 inflight_unbinds=0 removals=0 fault_phases=0 removed=0 bind_ms=0
end=$(( $(date +%s) + secs ))
t=0
while [ "$(date +%s)" -lt $end ]; do
	t=$(( t + 1 ))
	for d in pmem0 pmem1; do
		[ -d /sys/block/$d/pmem_dma ] || continue
		echo $(( (RANDOM % 9) * 32768 )) > /sys/block/$d/pmem_dma/dma_threshold
		thr_changes=$(( thr_changes + 1 ))
	done
	case $(( t % 10 )) in
	3)	# a phase counts only with an engine there to fail
		if [ -d "$knobs" ]; then
			knob fail_every 7; knob stall_every 29; knob out_of_order 1
			fault_phases=$(( fault_phases + 1 ))
		fi ;;
	7)	knob fail_every 0; knob stall_every 0; knob out_of_order 0 ;;
	esac
	if [ $(( t % 20 )) = 12 ]; then
		soft_sysfs unbind
		for d in pmem0 pmem1; do
			wait_for 10 grep -qx none /sys/block/$d/pmem_dma/dma_channel ||
				fail "$d kept its channel after the engine went away"
		done
		rmmod dma_soft || fail "rmmod dma_soft after unbinding it"
		removed=1
		removals=$(( removals + 1 ))
	elif [ $removed = 1 ] && [ $(( t % 20 )) = 15 ]; then
		soft_insmod
		removed=0
		for d in pmem0 pmem1; do
			[ ! -d /sys/block/$d/pmem_dma ] || echo 1 > /sys/block/$d/pmem_dma/dma_rescan
		done
		[ "$(stat_of dma_channel)" != none ] || fail "rescan after reload found no channel"
	fi
	# not while pmem1's worker verifies a range again ($w/hold)
	if [ $(( t % 15 )) = 5 ] && [ ! -e $w/hold ]; then
		# data that pmem1 holds before the unbind must be there after it
		head -c 4M /dev/urandom > $w/marker
		dd if=$w/marker of=/dev/pmem1 bs=1M seek=900 oflag=direct conv=fsync status=none
		# with the reader's requests in flight, if they come
		wait_for 5 reads_in_flight && inflight_unbinds=$(( inflight_unbinds + 1 ))
		touch $w/unbound
		echo $(( $(cat $w/epoch) + 1 )) > $w/epoch
		echo "$devb" > /sys/bus/nd/drivers/pmem_dma/unbind
		wait_for 10 test ! -e /sys/block/pmem1 || fail "pmem1 still there after unbind"
		if dd if=/dev/pmem1 of=/dev/null bs=4k count=1 iflag=direct status=none 2>/dev/null; then
			fail "read from an unbound namespace succeeded"
		fi
		sleep 1 # poll: let pmem1's fio run into the missing disk
		t0=$(date +%s%N)
		echo "$devb" > /sys/bus/nd/drivers/pmem_dma/bind
		wait_for 10 test -b /dev/pmem1 || fail "pmem1 did not come back after bind"
		t1=$(( ($(date +%s%N) - t0) / 1000000 ))
		[ "$t1" -le "$bind_ms" ] || bind_ms=$t1
		expect_driver pmem_dma pmem1
		iostats_on
		check_marker || fail "pmem1 lost data across unbind/bind"
		[ $removed = 1 ] || echo 1 > /sys/block/pmem1/pmem_dma/dma_rescan
		rm -f $w/unbound
		unbinds=$(( unbinds + 1 ))
	fi
	kill -0 $pid_a 2>/dev/null || break
	kill -0 $pid_b 2>/dev/null || break
	kill -0 $pid_r 2>/dev/null || break
	sleep 1 # poll: one tick
done
knob fail_every 0; knob stall_every 0; knob out_of_order 0
if [ $removed = 1 ]; then
	soft_insmod
	echo 1 > /sys/block/pmem0/pmem_dma/dma_rescan
	echo 1 > /sys/block/pmem1/pmem_dma/dma_rescan
fi
touch $w/stop
wait $pid_a $pid_b
rc_r=0
wait $pid_r || rc_r=$?

if [ -e $w/a.failed ]; then cat $w/a.failed; fail "fio verify on pmem0 failed"; fi
if [ -e $w/b.failed ]; then
	cat $w/b.failed
	fail "fio on pmem1 failed other than by losing its disk to an unbind"
fi
if [ $rc_r != 0 ]; then
	cat $w/r.log
	fail "pmem1's reader got wrong data or an error no unbind explains"
fi
read -r reads_full _ < $w/r.log
[ "$reads_full" -ge 10 ] || { cat $w/r.log; fail "pmem1's reader did only $reads_full full reads"; }
grep -q ' [1-9][0-9]* reopens$' $w/r.log || { cat $w/r.log; fail "pmem1's reader never saw its disk go"; }
read -r runs_a < $w/a.runs
read -r ok_b clean_b rever_b < $w/b.runs
[ "$runs_a" -ge 2 ] || fail "pmem0 did only $runs_a runs"
[ $(( ok_b + rever_b )) -ge 2 ] || fail "pmem1 verified only $(( ok_b + rever_b )) runs"
# one last verify on each disk, with the engine back
fio_verify pmem0 $w/a.log || { cat $w/a.log; fail "final verify on pmem0"; }
fio_verify pmem1 $w/b.log || { cat $w/b.log; fail "final verify on pmem1"; }
[ "$unbinds" -ge 1 ] || fail "no unbind happened (STRESS_SECONDS=$secs too short)"
[ "$removals" -ge 1 ] || fail "no engine removal happened (STRESS_SECONDS=$secs too short)"
[ "$fault_phases" -ge 1 ] || fail "no fault phase happened (STRESS_SECONDS=$secs too short)"
[ "$(stat_of dma_ios)" -gt "$d0" ] || fail "no DMA on pmem0"
[ "$(stat_of dma_errors)" -gt "$e0" ] || fail "$fault_phases fault phases, but no injected DMA error reached pmem0"
excused=$(tr ' ' '\n' < $w/b.excused | sort | uniq -c | xargs)
echo "stress: ${secs}s, pmem0 $runs_a verify runs, pmem1 $ok_b passed + $clean_b cut writing" \
	"(errors: ${excused:-none}) + $rever_b cut verifying, verified again, by $unbinds unbinds," \
	"($inflight_unbinds with reads in flight), $thr_changes threshold changes, $fault_phases fault phases, $removals engine removals," \
	"slowest rebind ${bind_ms} ms, 0 verify errors; reader: $(cat $w/r.log)"
