// SPDX-License-Identifier: GPL-2.0
/*
 * dma_soft fault injection, set through
 * /sys/kernel/debug/dma_soft/<device>/:
 *
 *   fail_every     N: every Nth descriptor fails (DMA_TRANS_WRITE_FAILED)
 *   stall_every    N: every Nth descriptor never completes until the
 *                  channel is terminated, to exercise client timeouts
 *   delay_us       latency added to every descriptor
 *   out_of_order   1: the worker takes the newest issued descriptor first
 *   injected_errors, stalls, completed   counters (read-only)
 *
 * 0 turns a knob off; all are off by default.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include "soft.h"

/**
 * soft_fault_next() - what to do with the next descriptor
 * @f: the device's knobs
 *
 * Return: run it, fail it or stall it.
 */
enum soft_fault_action soft_fault_next(struct soft_fault *f)
{
	u32 fail = READ_ONCE(f->fail_every), stall = READ_ONCE(f->stall_every);
	u32 n;

	if (!fail && !stall)
		return SOFT_RUN;
	n = atomic_inc_return(&f->seq);
	if (fail && n % fail == 0) {
		atomic64_inc(&f->injected_errors);
		return SOFT_FAIL;
	}
	if (stall && n % stall == 0) {
		atomic64_inc(&f->stalls);
		return SOFT_STALL;
	}
	return SOFT_RUN;
}

static int soft_counter_get(void *data, u64 *val)
{
	*val = atomic64_read(data);
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(soft_counter_fops, soft_counter_get, NULL, "%llu\n");

/**
 * soft_fault_debugfs() - create the fault injection files
 * @sd: the device
 * @dir: its debugfs directory
 */
void soft_fault_debugfs(struct soft_dev *sd, struct dentry *dir)
{
	struct soft_fault *f = &sd->fault;

	debugfs_create_u32("fail_every", 0644, dir, &f->fail_every);
	debugfs_create_u32("stall_every", 0644, dir, &f->stall_every);
	debugfs_create_u32("delay_us", 0644, dir, &f->delay_us);
	debugfs_create_bool("out_of_order", 0644, dir, &f->out_of_order);
	debugfs_create_file_unsafe("injected_errors", 0444, dir,
				   &f->injected_errors, &soft_counter_fops);
	debugfs_create_file_unsafe("stalls", 0444, dir, &f->stalls,
				   &soft_counter_fops);
	debugfs_create_file_unsafe("completed", 0444, dir, &f->completed,
				   &soft_counter_fops);
}
