// SPDX-License-Identifier: GPL-2.0
/*
 * dma_ext_stress: a load test for dma_ext and its engine, run at insmod.
 *
 * Threads on every CPU submit requests of random length cut into random
 * scatterlists (gaps between pieces, so some merge and some do not) on
 * shared channels. Every completed request is checked byte for byte
 * against its source, and the gaps around every destination piece must
 * still hold their guard pattern. A request that fails must fail loudly:
 * an error is fine when errors are expected (fault injection), silent
 * corruption never is. insmod fails with -EIO when the run did not pass;
 * one summary line goes to the kernel log either way.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cache.h>
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/dma-mapping.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/random.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include "dma_ext.h"

#define STRESS_BUF_ORDER	6	/* 256 KiB per buffer */
#define STRESS_BUF_SIZE		(PAGE_SIZE << STRESS_BUF_ORDER)
#define STRESS_MAX_LEN		SZ_64K
#define STRESS_MAX_PIECES	8
#define STRESS_MAX_GAP		64
#define STRESS_GUARD		0xa5

/* Unparsable or overflowing values are -EINVAL; ranges are checked at init. */
static int stress_set_uint(const char *val, const struct kernel_param *kp)
{
	unsigned int v;

	if (kstrtouint(val, 0, &v))
		return -EINVAL;
	*(unsigned int *)kp->arg = v;
	return 0;
}

static const struct kernel_param_ops stress_uint_ops = {
	.set = stress_set_uint,
	.get = param_get_uint,
};

static unsigned int requests = 2000;
module_param_cb(requests, &stress_uint_ops, &requests, 0444);
MODULE_PARM_DESC(requests, "Requests per thread, 1..1000000 (default 2000)");
static unsigned int threads_per_cpu = 2;
module_param_cb(threads_per_cpu, &stress_uint_ops, &threads_per_cpu, 0444);
MODULE_PARM_DESC(threads_per_cpu, "Submitting threads per online CPU, 1..16 (default 2)");
static unsigned int channels = 2;
module_param_cb(channels, &stress_uint_ops, &channels, 0444);
MODULE_PARM_DESC(channels, "dma_ext channels to share between the threads, 1..8 (default 2)");
static bool expect_errors;
module_param(expect_errors, bool, 0444);
MODULE_PARM_DESC(expect_errors, "Fault injection is on: require failed requests (default 0)");
static bool hold;
module_param(hold, bool, 0444);
MODULE_PARM_DESC(hold, "Keep the channels after the run until rmmod or engine removal (default 0)");
static unsigned int timeout_ms = 10000;
module_param_cb(timeout_ms, &stress_uint_ops, &timeout_ms, 0444);
MODULE_PARM_DESC(timeout_ms, "Abort the channel when a request takes longer, 100..600000 (default 10000)");

/* hold=1: channels kept after the run; released on rmmod or engine removal */
static DEFINE_MUTEX(held_mutex);
static struct dmaext_chan *held[8];	/* under held_mutex */
static struct work_struct held_release_work;
static atomic_t held_removed;

static void stress_release_held(struct work_struct *work)
{
	unsigned int i;

	mutex_lock(&held_mutex);
	for (i = 0; i < ARRAY_SIZE(held); i++) {
		if (held[i])
			dmaext_release_chan(held[i]);
		held[i] = NULL;
	}
	mutex_unlock(&held_mutex);
}

static void stress_chan_removed(struct dmaext_chan *chan, void *context)
{
	atomic_inc(&held_removed);
	pr_info("engine going away: releasing %s\n", dmaext_chan_name(chan));
	schedule_work(&held_release_work);
}

struct stress_result {
	atomic_t done, errors, corrupt, guard, timeouts, setup;
};

struct stress_piece {
	unsigned int off, len;
};

struct stress_thread {
	struct task_struct *task;
	struct dmaext_chan *chan;
	struct stress_result *res;
	struct completion *finished;
	u8 *src, *dst;
	struct dmaext_req *req;
	struct completion done;
	int status;
	struct scatterlist ssg[STRESS_MAX_PIECES], dsg[STRESS_MAX_PIECES];
	struct stress_piece sp[STRESS_MAX_PIECES], dp[STRESS_MAX_PIECES];
	unsigned int ns, nd;
	u8 *expect;
};

static void stress_done(struct dmaext_req *req, int status)
{
	struct stress_thread *t = req->context;

	t->status = status;
	complete(&t->done);
}

/*
 * Cut @len into 1..STRESS_MAX_PIECES pieces of at most @max bytes (the
 * device's DMA segment limit: mapping a longer one breaks the DMA API),
 * laid out with random gaps. @len must fit: len <= STRESS_MAX_PIECES * max.
 * With @own_lines no two pieces share a cache line, as the DMA API demands
 * of buffers the device writes; a piece that ends on a line boundary may
 * still be followed by a contiguous one.
 */
static unsigned int stress_layout(struct stress_piece *p, unsigned int len,
				  unsigned int max, bool own_lines)
{
	unsigned int least = DIV_ROUND_UP(len, max);
	unsigned int n = least + get_random_u32_below(STRESS_MAX_PIECES - least + 1);
	unsigned int i, off = get_random_u32_below(STRESS_MAX_GAP) + 1;

	n = min(n, len);
	for (i = 0; i < n; i++) {
		/* the pieces after this one need 1..max bytes each */
		unsigned int rest = n - 1 - i;
		unsigned int lo = len > rest * max ? len - rest * max : 1;
		unsigned int hi = min(max, len - rest);
		unsigned int l = lo + get_random_u32_below(hi - lo + 1);

		p[i].off = off;
		p[i].len = l;
		len -= l;
		off += l;
		if (own_lines)
			off = ALIGN(off, L1_CACHE_BYTES);
		/* a zero gap makes the pieces contiguous: dma_ext may merge them */
		if (get_random_u32_below(3))
			off += get_random_u32_below(STRESS_MAX_GAP);
	}
	return n;
}

static void stress_fill_sg(struct scatterlist *sg, u8 *buf,
			   const struct stress_piece *p, unsigned int n)
{
	unsigned int i;

	sg_init_table(sg, n);
	for (i = 0; i < n; i++)
		sg_set_buf(&sg[i], buf + p[i].off, p[i].len);
}

/* Check the copied bytes and the guard bytes around the destination. */
static void stress_verify(struct stress_thread *t, unsigned int len)
{
	unsigned int i, pos = 0, off = 0, tail;
	bool ok_data = true;

	for (i = 0; i < t->nd; i++) {
		if (memchr_inv(t->dst + off, STRESS_GUARD, t->dp[i].off - off)) {
			atomic_inc(&t->res->guard);
			return;
		}
		if (!t->status && memcmp(t->dst + t->dp[i].off, t->expect + pos, t->dp[i].len))
			ok_data = false;
		pos += t->dp[i].len;
		off = t->dp[i].off + t->dp[i].len;
	}
	tail = min_t(unsigned int, STRESS_MAX_GAP, STRESS_BUF_SIZE - off);
	if (memchr_inv(t->dst + off, STRESS_GUARD, tail))
		atomic_inc(&t->res->guard);
	if (!ok_data)
		atomic_inc(&t->res->corrupt);
}

static int stress_one(struct stress_thread *t)
{
	struct device *dev = dmaext_dma_device(t->chan);
	unsigned int max = min_t(unsigned int, dma_get_max_seg_size(dev),
				 STRESS_MAX_LEN);
	unsigned int len = 1 + get_random_u32_below(min(STRESS_MAX_LEN,
							STRESS_MAX_PIECES * max));
	unsigned int i, pos = 0;
	bool submitted = false;
	int ms, md, rc;

	t->ns = stress_layout(t->sp, len, max, false);
	t->nd = stress_layout(t->dp, len, max, true);
	for (i = 0; i < t->ns; i++) {
		get_random_bytes(t->src + t->sp[i].off, t->sp[i].len);
		memcpy(t->expect + pos, t->src + t->sp[i].off, t->sp[i].len);
		pos += t->sp[i].len;
	}
	memset(t->dst, STRESS_GUARD, STRESS_BUF_SIZE);
	stress_fill_sg(t->ssg, t->src, t->sp, t->ns);
	stress_fill_sg(t->dsg, t->dst, t->dp, t->nd);

	ms = dma_map_sg(dev, t->ssg, t->ns, DMA_TO_DEVICE);
	md = dma_map_sg(dev, t->dsg, t->nd, DMA_FROM_DEVICE);
	if (!ms || !md) {
		rc = -ENOMEM;
		goto unmap;
	}
	dmaext_req_init(t->req, 64);
	t->req->src = t->ssg;
	t->req->src_nents = ms;
	t->req->dst = t->dsg;
	t->req->dst_nents = md;
	t->req->done = stress_done;
	t->req->context = t;
	reinit_completion(&t->done);
	rc = dmaext_submit(t->chan, t->req);
	if (rc == -EBUSY) {		/* engine full or being aborted: try later */
		rc = 0;
		goto unmap;
	}
	if (rc)
		goto unmap;
	submitted = true;
	if (!wait_for_completion_timeout(&t->done, msecs_to_jiffies(timeout_ms))) {
		atomic_inc(&t->res->timeouts);
		dmaext_abort(t->chan);
		wait_for_completion(&t->done);
	}
unmap:
	if (md)
		dma_unmap_sg(dev, t->dsg, t->nd, DMA_FROM_DEVICE);
	if (ms)
		dma_unmap_sg(dev, t->ssg, t->ns, DMA_TO_DEVICE);
	if (rc || !submitted)
		return rc;
	atomic_inc(&t->res->done);
	if (t->status)
		atomic_inc(&t->res->errors);
	stress_verify(t, len);
	return 0;
}

static int stress_thread_fn(void *data)
{
	struct stress_thread *t = data;
	unsigned int i;

	for (i = 0; i < requests && !kthread_should_stop(); i++) {
		if (stress_one(t)) {
			atomic_inc(&t->res->setup);
			break;
		}
		cond_resched();
	}
	complete(t->finished);
	while (!kthread_should_stop())
		schedule_timeout_interruptible(HZ / 10);
	return 0;
}

static void stress_free_thread(struct stress_thread *t)
{
	kfree(t->req);
	kvfree(t->expect);
	if (t->src)
		free_pages((unsigned long)t->src, STRESS_BUF_ORDER);
	if (t->dst)
		free_pages((unsigned long)t->dst, STRESS_BUF_ORDER);
}

static bool __init stress_param_ok(const char *name, unsigned int val,
				   unsigned int min, unsigned int max)
{
	if (val >= min && val <= max)
		return true;
	pr_err("%s=%u: expected an integer in %u..%u\n", name, val, min, max);
	return false;
}

static int __init stress_init(void)
{
	struct dmaext_chan_spec spec = {
		.node = NUMA_NO_NODE,
		.removed = stress_chan_removed,
	};
	unsigned int nthreads = threads_per_cpu * num_online_cpus();
	struct dmaext_chan *chans[8] = {};
	DECLARE_COMPLETION_ONSTACK(finished);
	struct stress_result res = {};
	struct stress_thread *th;
	unsigned int i, nchans = 0;
	int rc = 0, cpu = 0;

	if (!stress_param_ok("requests", requests, 1, 1000000) ||
	    !stress_param_ok("threads_per_cpu", threads_per_cpu, 1, 16) ||
	    !stress_param_ok("channels", channels, 1, ARRAY_SIZE(chans)) ||
	    !stress_param_ok("timeout_ms", timeout_ms, 100, 600000))
		return -EINVAL;
	INIT_WORK(&held_release_work, stress_release_held);
	for (i = 0; i < channels; i++) {
		chans[i] = dmaext_request_chan(&spec);
		if (IS_ERR(chans[i])) {
			chans[i] = NULL;
			break;
		}
		nchans++;
	}
	if (!nchans) {
		pr_err("no DMA memcpy channel\n");
		return -ENODEV;
	}
	th = kcalloc(nthreads, sizeof(*th), GFP_KERNEL);
	if (!th) {
		rc = -ENOMEM;
		goto release;
	}
	for (i = 0; i < nthreads; i++) {
		struct stress_thread *t = &th[i];

		t->chan = chans[i % nchans];
		t->res = &res;
		t->finished = &finished;
		init_completion(&t->done);
		t->src = (u8 *)__get_free_pages(GFP_KERNEL, STRESS_BUF_ORDER);
		t->dst = (u8 *)__get_free_pages(GFP_KERNEL, STRESS_BUF_ORDER);
		t->expect = kvmalloc(STRESS_MAX_LEN, GFP_KERNEL);
		t->req = kzalloc(dmaext_req_size(64), GFP_KERNEL);
		if (!t->src || !t->dst || !t->expect || !t->req) {
			rc = -ENOMEM;
			goto free;
		}
	}
	for (i = 0; i < nthreads; i++) {
		struct stress_thread *t = &th[i];

		t->task = kthread_create(stress_thread_fn, t, "dma_ext_stress/%u", i);
		if (IS_ERR(t->task)) {
			rc = PTR_ERR(t->task);
			t->task = NULL;
			break;
		}
		cpu = cpumask_next(cpu, cpu_online_mask);
		if (cpu >= nr_cpu_ids)
			cpu = cpumask_first(cpu_online_mask);
		kthread_bind(t->task, cpu);
		wake_up_process(t->task);
	}
	for (i = 0; i < nthreads; i++)
		if (th[i].task)
			wait_for_completion(&finished);
	for (i = 0; i < nthreads; i++)
		if (th[i].task)
			kthread_stop(th[i].task);

	pr_info("%u threads on %u channels: %d requests, %d errors, %d corrupt, %d guard violations, %d timeouts, %d setup failures (errors %s)\n",
		nthreads, nchans, atomic_read(&res.done), atomic_read(&res.errors),
		atomic_read(&res.corrupt), atomic_read(&res.guard),
		atomic_read(&res.timeouts), atomic_read(&res.setup),
		expect_errors ? "expected" : "not expected");
	if (!rc && (atomic_read(&res.corrupt) || atomic_read(&res.guard) ||
		    atomic_read(&res.setup) || !atomic_read(&res.done) ||
		    !atomic_read(&res.errors) != !expect_errors))
		rc = -EIO;
free:
	for (i = 0; i < nthreads; i++)
		stress_free_thread(&th[i]);
	kfree(th);
release:
	mutex_lock(&held_mutex);
	for (i = 0; i < nchans; i++) {
		if (hold && !rc)
			held[i] = chans[i];
		else
			dmaext_release_chan(chans[i]);
	}
	mutex_unlock(&held_mutex);
	return rc;
}

static void __exit stress_exit(void)
{
	cancel_work_sync(&held_release_work);
	stress_release_held(NULL);
}

module_init(stress_init);
module_exit(stress_exit);
MODULE_DESCRIPTION("dma_ext stress test: concurrent random requests, verified");
MODULE_LICENSE("GPL");
