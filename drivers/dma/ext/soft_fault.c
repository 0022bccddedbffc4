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
 * 1; anything else is
 * refused with -EINVAL and leaves the knob as it was.
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

static ssize_t soft_knob_read(struct file *file, char __user *ubuf, size_t len,
			      loff_t *ppos)
{
	char buf[16];
	int n = scnprintf(buf, sizeof(buf), "%u\n", READ_ONCE(*(u32 *)file->private_data));

	return simple_read_from_buffer(ubuf, len, ppos, buf, n);
}

/* Anything unparsable, overflowing or above @max is -EINVAL, knob unchanged. */
static ssize_t soft_knob_write(struct file *file, const char __user *ubuf,
			       size_t len, u32 max)
{
	u32 v;

	if (kstrtou32_from_user(ubuf, len, 0, &v) || v > max)
		return -EINVAL;
	WRITE_ONCE(*(u32 *)file->private_data, v);
	return len;
}

static ssize_t soft_every_write(struct file *file, const char __user *ubuf,
				size_t len, loff_t *ppos)
{
	return soft_knob_write(file, ubuf, len, SOFT_MAX_EVERY);
}

static ssize_t soft_delay_write(struct file *file, const char __user *ubuf,
				size_t len, loff_t *ppos)
{
	return soft_knob_write(file, ubuf, len, SOFT_MAX_DELAY_US);
}

static ssize_t soft_flag_write(struct file *file, const char __user *ubuf,
			       size_t len, loff_t *ppos)
{
	return soft_knob_write(file, ubuf, len, 1);
}

static const struct file_operations soft_flag_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.read = soft_knob_read,
	.write = soft_flag_write,
	.llseek = default_llseek,
};

static const struct file_operations soft_every_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.read = soft_knob_read,
	.write = soft_every_write,
	.llseek = default_llseek,
};

static const struct file_operations soft_delay_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.read = soft_knob_read,
	.write = soft_delay_write,
	.llseek = default_llseek,
};

/**
 * soft_fault_debugfs() - create the fault injection files
 * @sd: the device
 * @dir: its debugfs directory
 */
void soft_fault_debugfs(struct soft_dev *sd, struct dentry *dir)
{
	struct soft_fault *f = &sd->fault;

	debugfs_create_file("fail_every", 0644, dir, &f->fail_every,
			    &soft_every_fops);
	debugfs_create_file("stall_every", 0644, dir, &f->stall_every,
			    &soft_every_fops);
	debugfs_create_file("delay_us", 0644, dir, &f->delay_us,
			    &soft_delay_fops);
	debugfs_create_file("out_of_order", 0644, dir, &f->out_of_order,
			    &soft_flag_fops);
	debugfs_create_file_unsafe("injected_errors", 0444, dir,
				   &f->injected_errors, &soft_counter_fops);
	debugfs_create_file_unsafe("stalls", 0444, dir, &f->stalls,
				   &soft_counter_fops);
	debugfs_create_file_unsafe("completed", 0444, dir, &f->completed,
				   &soft_counter_fops);
}
