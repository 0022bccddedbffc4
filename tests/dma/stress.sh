#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# dma_ext_stress on dma_soft: concurrent random requests on both vCPUs,
# every destination verified, without and with fault injection. Injected
# faults must show up as request errors, never as corrupt data.
. "$(dirname "$0")/../pmem/lib.sh"
. "$(dirname "$0")/lib.sh"

stress() { # expect_line_regex insmod-params...
	local want=$1 line
	shift
	dmesg -C
	insmod "$(ext_dir)/dma_ext_stress.ko" "$@" || {
		dmesg | grep dma_ext_stress; fail "dma_ext_stress $* failed"; }
	rmmod dma_ext_stress
	line=$(dmesg | grep 'dma_ext_stress: .* threads on')
	echo "$* -> ${line#*dma_ext_stress: }"
	grep -qE "$want" <<<"$line" || fail "unexpected result for $*"
}
knob() { echo "$2" > "/sys/kernel/debug/dma_soft/dma_soft/$1"; }
count() { cat "/sys/kernel/debug/dma_soft/dma_soft/$1"; }

# small max_xfer: 64 KiB requests split into many segments
load_dma channels=2 max_xfer=16384
note "no faults, native batches"
stress ' 0 errors, 0 corrupt, 0 guard' requests=1500

note "every 7th descriptor fails, out of order, 20 us latency"
knob fail_every 7; knob out_of_order 1; knob delay_us 20
stress ' 0 corrupt, 0 guard' requests=400 expect_errors=1
[ "$(count injected_errors)" -gt 0 ] || fail "no error was injected"

note "every 40th descriptor stalls: timeouts abort the channel"
knob fail_every 0; knob delay_us 0; knob stall_every 40
stress ' 0 corrupt, 0 guard.* [1-9][0-9]* timeouts' requests=100 expect_errors=1 timeout_ms=300
[ "$(count stalls)" -gt 0 ] || fail "no stall was injected"
rmmod dma_soft

note "one descriptor per segment (max_batch=1), out of order"
load_dma channels=2 max_xfer=8192 max_batch=1
knob out_of_order 1
stress ' 0 errors, 0 corrupt, 0 guard' requests=1000
knob fail_every 5
stress ' 0 corrupt, 0 guard' requests=300 expect_errors=1
rmmod dma_soft
rmmod dma_ext
echo "stress: all rounds verified, injected faults surfaced as errors"
