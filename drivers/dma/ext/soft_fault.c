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
 * 0 turns a knob off; all are off by default. fail_every and stall_every
 * take 0..SOFT_MAX_EVERY, delay_us 0..SOFT_MAX_DELAY_US, out_of_order 0 or
 * 1; anything else is refused with -EINVAL and leaves the knob as it was.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/kernel.h>
#include "soft.h"

#define SOFT_MAX_EVERY		1000000
#define SOFT_MAX_DELAY_US	1000000

/**
 * soft_fault_next() - what to do with the next descriptor
 * @f: the device's knobs
 *
 * Return: run it, fail it or stall it.
 */
enum soft_fault_action soft_fault_next(struct soft_fault *f)
{
	u32 fail = READ_ONCE(f->fail_every.val), stall = READ_ONCE(f->stall_every.val);
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

static ssize_t soft_knob_read(struct file *file, char __user *ubuf, size_t len,
			      loff_t *ppos)
{
	struct soft_knob *k = file->private_data;
	char buf[16];
	int n = scnprintf(buf, sizeof(buf), "%u\n", READ_ONCE(k->val));

	return simple_read_from_buffer(ubuf, len, ppos, buf, n);
}

/* Anything unparsable, overflowing or above the knob's max is -EINVAL. */
static ssize_t soft_knob_write(struct file *file, const char __user *ubuf,
			       size_t len, loff_t *ppos)
{
	struct soft_knob *k = file->private_data;
	u32 v;

	if (kstrtou32_from_user(ubuf, len, 0, &v) || v > k->max)
		return -EINVAL;
	WRITE_ONCE(k->val, v);
	return len;
}

static const struct file_operations soft_knob_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.read = soft_knob_read,
	.write = soft_knob_write,
	.llseek = default_llseek,
};

static void soft_knob_create(const char *name, struct dentry *dir,
			     struct soft_knob *k, u32 max)
{
	k->max = max;
	debugfs_create_file(name, 0644, dir, k, &soft_knob_fops);
}

/**
 * soft_fault_debugfs() - create the fault injection files
 * @sd: the device
 * @dir: its debugfs directory
 */
void soft_fault_debugfs(struct soft_dev *sd, struct dentry *dir)
{
	struct soft_fault *f = &sd->fault;

	soft_knob_create("fail_every", dir, &f->fail_every, SOFT_MAX_EVERY);
	soft_knob_create("stall_every", dir, &f->stall_every, SOFT_MAX_EVERY);
	soft_knob_create("delay_us", dir, &f->delay_us, SOFT_MAX_DELAY_US);
	soft_knob_create("out_of_order", dir, &f->out_of_order, 1);
	debugfs_create_file_unsafe("injected_errors", 0444, dir,
				   &f->injected_errors, &soft_counter_fops);
	debugfs_create_file_unsafe("stalls", 0444, dir, &f->stalls,
				   &soft_counter_fops);
	debugfs_create_file_unsafe("completed", 0444, dir, &f->completed,
				   &soft_counter_fops);
}
