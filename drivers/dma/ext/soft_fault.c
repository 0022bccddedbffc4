// SPDX-License-Identifier: GPL-2.0
/*
 * dma_soft fault injection and counters, in
 * /sys/kernel/debug/dma_soft/<device>/:
 *
 *   fail_every     N: every Nth descriptor fails (DMA_TRANS_WRITE_FAILED;
 *                  ptdma reports it as success, ioat aborts what follows)
 *   stall_every    N: every Nth descriptor holds its channel until it is
 *                  terminated (soft; ptdma's terminate does not end it),
 *                  the wq is disabled (idxd, it
 *                  is then dropped), the channel is reset (ioat, after
 *                  two 200 ms periods without progress) or "unstall" is
 *                  written, to exercise client timeouts
 *   delay_us       latency added to every descriptor
 *   out_of_order   1: the worker takes the newest issued descriptor first;
 *                  refused (-EINVAL) by in-order personalities (ioat,
 *                  ptdma), no effect on idxd, which always does
 *   unstall        (write-only) 1: descriptors stalled now are copied and
 *                  complete, late, as on a slow engine
 *   wq_disable     (write-only, idxd only) a channel index: disable that
 *                  channel's work queue as idxd's driver does on removal;
 *                  -EINVAL for no such channel, -EBUSY if disabled already
 *   poison         "PHYS LEN": emulated media error on LEN bytes from
 *                  physical address PHYS (hex, LEN decimal): a descriptor whose source
 *                  overlaps it fails with DMA_TRANS_READ_FAILED and copies
 *                  nothing, as copy_mc_to_kernel() reading real poison
 *                  makes it; "0 0" clears it
 *   poison_reads   (read-only) descriptors failed on it
 *   personality    (read-only) soft, ioat, idxd or ptdma
 *   injected_errors, stalls, completed   counters (read-only)
 *   interrupts     completion interrupts the engine raised (ioat, idxd,
 *                  ptdma: for DMA_PREP_INTERRUPT descriptors and ioat's
 *                  errors)
 *   ring_full      ioat: preps refused because the ring was full
 *   prep_sleeps    idxd: preps that slept for a free descriptor
 *   prep_asleep    idxd: preps asleep for one now
 *   aborted        descriptors the engine gave up: ioat's aborts and
 *                  reset drops, idxd's drops on wq disable
 *   reordered      descriptors run ahead of an older issued one
 *                  (out_of_order, idxd)
 *   busy_ns        time the workers spent copying, in ns: the part of
 *                  the engine's CPU use that hardware would take over
 *                  (bench/ subtracts it from a DMA request's CPU cost)
 *   flushed_bytes  bytes copied around the CPU caches and fenced, for
 *                  the durable_writes capability
 *   early_completions  ptdma: descriptors called back before being copied
 *                  (after a terminate left the running one going)
 *   held           descriptors the engine holds now, on any of its lists
 *                  or being copied: 0 once it does nothing more
 *
 * 0 turns a knob off; all are off by default. fail_every and stall_every
 * take 0..SOFT_MAX_EVERY, delay_us 0..SOFT_MAX_DELAY_US, out_of_order 0 or
 * 1; anything else is refused with -EINVAL and leaves the knob as it was.
 * A counter a personality does not have reads 0.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/seq_file.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>
#include "soft.h"

#define SOFT_MAX_EVERY		1000000
#define SOFT_MAX_DELAY_US	10000000

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

/**
 * soft_fault_init() - set up the parts of @f that zeroing does not
 * @f: the device's knobs, zeroed
 */
void soft_fault_init(struct soft_fault *f)
{
	spin_lock_init(&f->poison_lock);
}

/**
 * soft_fault_poisoned() - whether a source read hits the emulated poison
 * @f: the device's knobs
 * @phys: first byte read
 * @len: bytes read
 *
 * Counts a hit in poison_reads.
 *
 * Return: true when [@phys, @phys + @len) overlaps the poisoned range.
 */
bool soft_fault_poisoned(struct soft_fault *f, phys_addr_t phys, size_t len)
{
	bool hit;

	/* the common case, on every piece copied: no poison, no lock */
	if (!READ_ONCE(f->poison_len))
		return false;
	spin_lock(&f->poison_lock);
	hit = f->poison_len && phys < f->poison_start + f->poison_len &&
	      f->poison_start < phys + len;
	spin_unlock(&f->poison_lock);
	if (hit)
		atomic64_inc(&f->poison_reads);
	return hit;
}

static ssize_t soft_poison_read(struct file *file, char __user *ubuf,
				size_t len, loff_t *ppos)
{
	struct soft_fault *f = file->private_data;
	phys_addr_t start;
	char buf[48];
	u64 plen;
	int n;

	spin_lock(&f->poison_lock);
	start = f->poison_start;
	plen = f->poison_len;
	spin_unlock(&f->poison_lock);
	n = scnprintf(buf, sizeof(buf), "%#llx %llu\n", (u64)start, plen);
	return simple_read_from_buffer(ubuf, len, ppos, buf, n);
}

/* "PHYS LEN"; a range that wraps, or anything else, is -EINVAL. */
static ssize_t soft_poison_write(struct file *file, const char __user *ubuf,
				 size_t len, loff_t *ppos)
{
	struct soft_fault *f = file->private_data;
	char buf[48], extra;
	u64 start, plen;

	if (len >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = '\0';
	if (sscanf(buf, "%llx %llu %c", &start, &plen, &extra) != 2 ||
	    start + plen < start || start > (u64)(phys_addr_t)-1)
		return -EINVAL;
	spin_lock(&f->poison_lock);
	f->poison_start = plen ? start : 0;
	WRITE_ONCE(f->poison_len, plen);
	spin_unlock(&f->poison_lock);
	return len;
}

static const struct file_operations soft_poison_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.read = soft_poison_read,
	.write = soft_poison_write,
	.llseek = default_llseek,
};

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

static int soft_personality_show(struct seq_file *m, void *unused)
{
	struct soft_dev *sd = m->private;

	seq_printf(m, "%s\n", sd->pers->name);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(soft_personality);

static int soft_held_show(struct seq_file *m, void *unused)
{
	struct soft_dev *sd = m->private;
	unsigned int i, n = 0;

	for (i = 0; i < sd->nr_chans; i++)
		n += soft_chan_held(&sd->chans[i]);
	seq_printf(m, "%u\n", n);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(soft_held);

/* Release every stalled descriptor of the device: they run late. */
static ssize_t soft_unstall_write(struct file *file, const char __user *ubuf,
				  size_t len, loff_t *ppos)
{
	struct soft_dev *sd = file->private_data;
	unsigned int i;
	u32 v;

	if (kstrtou32_from_user(ubuf, len, 0, &v) || v != 1)
		return -EINVAL;
	atomic_inc(&sd->fault.unstall);
	for (i = 0; i < sd->nr_chans; i++)
		wake_up_all(&sd->chans[i].stall_wq);
	return len;
}

static const struct file_operations soft_unstall_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = soft_unstall_write,
	.llseek = default_llseek,
};

static ssize_t soft_wq_disable_write(struct file *file, const char __user *ubuf,
				     size_t len, loff_t *ppos)
{
	struct soft_dev *sd = file->private_data;
	unsigned int idx;
	int rc;

	if (kstrtouint_from_user(ubuf, len, 0, &idx))
		return -EINVAL;
	rc = soft_idxd_wq_disable(sd, idx);
	return rc ? rc : len;
}

static const struct file_operations soft_wq_disable_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = soft_wq_disable_write,
	.llseek = default_llseek,
};

static void soft_counter_create(const char *name, struct dentry *dir,
				atomic64_t *counter)
{
	debugfs_create_file_unsafe(name, 0444, dir, counter, &soft_counter_fops);
}

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
	/* an in-order engine cannot be made to complete out of order */
	soft_knob_create("out_of_order", dir, &f->out_of_order,
			 sd->pers->in_order ? 0 : 1);
	soft_counter_create("injected_errors", dir, &f->injected_errors);
	soft_counter_create("stalls", dir, &f->stalls);
	soft_counter_create("completed", dir, &f->completed);
	soft_counter_create("interrupts", dir, &f->interrupts);
	soft_counter_create("ring_full", dir, &f->ring_full);
	soft_counter_create("prep_sleeps", dir, &f->prep_sleeps);
	debugfs_create_atomic_t("prep_asleep", 0444, dir, &f->prep_asleep);
	soft_counter_create("aborted", dir, &f->aborted);
	soft_counter_create("reordered", dir, &f->reordered);
	soft_counter_create("early_completions", dir, &f->early_completions);
	soft_counter_create("busy_ns", dir, &f->busy_ns);
	soft_counter_create("flushed_bytes", dir, &f->flushed_bytes);
	soft_counter_create("poison_reads", dir, &f->poison_reads);
	debugfs_create_file("poison", 0644, dir, f, &soft_poison_fops);
	debugfs_create_file("personality", 0444, dir, sd, &soft_personality_fops);
	debugfs_create_file("held", 0444, dir, sd, &soft_held_fops);
	debugfs_create_file("unstall", 0200, dir, sd, &soft_unstall_fops);
	if (sd->pers->has_wq)
		debugfs_create_file("wq_disable", 0200, dir, sd, &soft_wq_disable_fops);
}
