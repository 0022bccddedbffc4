// SPDX-License-Identifier: GPL-2.0
/*
 * dma_ext core: request-level memcpy over dmaengine channels.
 *
 * Locking:
 *   dmaext_mutex          the provider and channel lists; sleeps
 *   dmaext_chan.submit_lock  held across one request's prepare/submit/issue,
 *                         so that dmaext_abort() never races a half-built
 *                         request; never taken in completion context
 *   dmaext_chan.lock      the in-flight list; taken in completion context
 *   dmaext_chan.quiesce_mutex  one abort or removal at a time: a second
 *                         abort must not reopen the channel, nor fail
 *                         requests that were submitted after the first one
 *                         reopened it but before it terminated the engine
 *
 * A request is on its channel's in-flight list from submission until its
 * ->done() is called; whoever takes it off the list (the last descriptor
 * callback, or abort/removal after the engine is quiesced) completes it,
 * so it completes exactly once.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/dma-mapping.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <kunit/visibility.h>
#include "dma_ext.h"
#include "dma_ext_internal.h"

static DEFINE_MUTEX(dmaext_mutex);
static LIST_HEAD(dmaext_providers);	/* of dmaext_provider, under dmaext_mutex */
static LIST_HEAD(dmaext_chans);		/* of dmaext_chan, under dmaext_mutex */
static DECLARE_WAIT_QUEUE_HEAD(dmaext_release_wq);
static atomic_t dmaext_release_seq;	/* bumped by every release */
static struct dentry *dmaext_debugfs;

struct dmaext_provider {
	struct list_head node;
	struct dma_device *dma;
	const struct dmaext_provider_ops *ops;
};

struct dmaext_chan {
	struct dma_chan *chan;
	struct device *dma_dev;
	const struct dmaext_provider_ops *ops;	/* NULL: per-segment prepare */
	u32 max_len;
	u32 align_mask;
	dmaext_removed_t removed;
	void *context;
	struct list_head node;			/* on dmaext_chans */
	struct dentry *debugfs;

	spinlock_t submit_lock;			/* one request's prep..issue */
	int refuse;				/* under submit_lock: 0, or why */

	struct mutex quiesce_mutex;		/* serialises dmaext_quiesce() */
	spinlock_t lock;			/* protects inflight */
	struct list_head inflight;		/* under lock */

	atomic64_t requests;
	atomic64_t descriptors;
	atomic64_t submits;
	atomic64_t errors;
};

/**
 * dmaext_build_segs() - split and merge a request into engine segments
 * @req: the request; src/dst scatterlists must be DMA-mapped
 * @max_len: largest segment the engine takes
 * @align_mask: address and length bits that must be clear
 *
 * Walks both scatterlists together, cutting wherever either side ends or
 * @max_len is reached, and merges a piece into the previous segment when
 * both of its addresses continue it. Fills @req->segs.
 *
 * Return: 0, or -EINVAL for a zero or unequal total length, a misaligned
 * piece, or more segments than @req has room for.
 */
VISIBLE_IF_KUNIT int dmaext_build_segs(struct dmaext_req *req, u32 max_len,
				       u32 align_mask)
{
	struct scatterlist *s = req->src, *d = req->dst;
	unsigned int sn = req->src_nents, dn = req->dst_nents, nr = 0;
	dma_addr_t sa = 0, da = 0;
	u32 sl = 0, dl = 0;

	if (!s || !d || !sn || !dn || !max_len)
		return -EINVAL;
	for (;;) {
		struct dmaext_seg *prev = nr ? &req->segs[nr - 1] : NULL;
		u32 len;

		while (!sl && sn) {
			sa = sg_dma_address(s);
			sl = sg_dma_len(s);
			s = --sn ? sg_next(s) : NULL;
		}
		while (!dl && dn) {
			da = sg_dma_address(d);
			dl = sg_dma_len(d);
			d = --dn ? sg_next(d) : NULL;
		}
		if (!sl || !dl)
			break;

		len = min3(sl, dl, max_len);
		if ((sa | da | len) & align_mask)
			return -EINVAL;
		if (prev && prev->src + prev->len == sa &&
		    prev->dst + prev->len == da &&
		    (u64)prev->len + len <= max_len) {
			prev->len += len;
		} else {
			if (nr == req->max_segs)
				return -EINVAL;
			req->segs[nr].src = sa;
			req->segs[nr].dst = da;
			req->segs[nr].len = len;
			nr++;
		}
		sa += len;
		sl -= len;
		da += len;
		dl -= len;
	}
	/* one side ran out: the other must be empty too */
	if (sl || dl || !nr)
		return -EINVAL;
	req->nr_segs = nr;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(dmaext_build_segs);

/**
 * dmaext_req_size() - bytes to allocate for a request
 * @max_segs: most segments the request may need after splitting
 *
 * Return: the allocation size for struct dmaext_req.
 */
size_t dmaext_req_size(unsigned int max_segs)
{
	return struct_size_t(struct dmaext_req, segs, max_segs);
}
EXPORT_SYMBOL_GPL(dmaext_req_size);

/**
 * dmaext_req_init() - initialise a request allocated with dmaext_req_size()
 * @req: the request
 * @max_segs: as passed to dmaext_req_size()
 */
void dmaext_req_init(struct dmaext_req *req, unsigned int max_segs)
{
	memset(req, 0, sizeof(*req));
	INIT_LIST_HEAD(&req->node);
	req->max_segs = max_segs;
}
EXPORT_SYMBOL_GPL(dmaext_req_init);

static void dmaext_set_status(struct dmaext_req *req, int status)
{
	cmpxchg(&req->status, 0, status);
}

/* Complete @req if it is still in flight; returns whether it was. */
static bool dmaext_complete(struct dmaext_req *req)
{
	struct dmaext_chan *c = req->chan;
	unsigned long flags;

	spin_lock_irqsave(&c->lock, flags);
	if (list_empty(&req->node)) {
		spin_unlock_irqrestore(&c->lock, flags);
		return false;
	}
	list_del_init(&req->node);
	spin_unlock_irqrestore(&c->lock, flags);

	if (req->status)
		atomic64_inc(&c->errors);
	req->done(req, req->status);
	return true;
}

static void dmaext_put_pending(struct dmaext_req *req)
{
	if (atomic_dec_and_test(&req->pending))
		dmaext_complete(req);
}

static void dmaext_desc_done(void *param, const struct dmaengine_result *res)
{
	struct dmaext_req *req = param;

	if (res && res->result != DMA_TRANS_NOERROR)
		dmaext_set_status(req, res->result == DMA_TRANS_ABORTED ?
					-ECANCELED : -EIO);
	dmaext_put_pending(req);
}

/* Hand one prepared descriptor to the engine; false if it refused it. */
static bool dmaext_submit_tx(struct dmaext_chan *c, struct dmaext_req *req,
			     struct dma_async_tx_descriptor *tx)
{
	tx->callback_result = dmaext_desc_done;
	tx->callback_param = req;
	atomic_inc(&req->pending);
	if (dma_submit_error(dmaengine_submit(tx))) {
		atomic_dec(&req->pending);
		return false;
	}
	atomic64_inc(&c->descriptors);
	return true;
}

/*
 * Prepare and submit @req's segments: one native batch descriptor where the
 * provider has one, else one descriptor per segment. Returns false when
 * nothing was submitted. When the engine runs out part-way, what was
 * submitted still runs and the request fails with -EIO.
 */
static bool __dmaext_submit(struct dmaext_chan *c, struct dmaext_req *req)
{
	const unsigned long flags = DMA_CTRL_ACK | DMA_PREP_INTERRUPT;
	struct dma_async_tx_descriptor *tx;
	unsigned int i;

	if (c->ops && req->nr_segs <= c->ops->max_batch) {
		tx = c->ops->prep_memcpy_batch(c->chan, req->segs, req->nr_segs, flags);
		return tx && dmaext_submit_tx(c, req, tx);
	}
	for (i = 0; i < req->nr_segs; i++) {
		const struct dmaext_seg *seg = &req->segs[i];

		tx = dmaengine_prep_dma_memcpy(c->chan, seg->dst, seg->src,
					       seg->len, flags);
		if (!tx || !dmaext_submit_tx(c, req, tx)) {
			if (!i)
				return false;
			dmaext_set_status(req, -EIO);
			break;
		}
	}
	return true;
}

/**
 * dmaext_submit() - submit one copy request
 * @c: channel from dmaext_request_chan()
 * @req: the request, with src, dst, their nents and done filled in
 *
 * Never sleeps; may be called in atomic context.
 *
 * Return: 0 when the request was accepted: ->done() will be called exactly
 * once. A negative errno when nothing was submitted and ->done() will not
 * be called: -EINVAL for bad input, -EBUSY when the engine is out of
 * descriptors or the channel is being aborted, -ENODEV when its engine is
 * gone.
 */
int dmaext_submit(struct dmaext_chan *c, struct dmaext_req *req)
{
	unsigned long flags;
	int rc;

	if (!req->done)
		return -EINVAL;
	rc = dmaext_build_segs(req, c->max_len, c->align_mask);
	if (rc)
		return rc;

	req->chan = c;
	req->status = 0;
	atomic_set(&req->pending, 1);	/* held until every descriptor is out */

	spin_lock_irqsave(&c->submit_lock, flags);
	rc = c->refuse;
	if (rc)
		goto unlock;
	spin_lock(&c->lock);
	list_add_tail(&req->node, &c->inflight);
	spin_unlock(&c->lock);

	if (!__dmaext_submit(c, req)) {
		spin_lock(&c->lock);
		list_del_init(&req->node);
		spin_unlock(&c->lock);
		rc = -EBUSY;
		goto unlock;
	}
	atomic64_inc(&c->requests);
	dma_async_issue_pending(c->chan);
	atomic64_inc(&c->submits);
unlock:
	spin_unlock_irqrestore(&c->submit_lock, flags);
	if (!rc)
		dmaext_put_pending(req);
	return rc;
}
EXPORT_SYMBOL_GPL(dmaext_submit);

/*
 * Refuse new requests with @status, quiesce the engine, and complete what
 * is left in flight with @status.
 */
static int dmaext_quiesce(struct dmaext_chan *c, int status)
{
	struct dmaext_req *req;
	unsigned long flags;
	int rc;

	lockdep_assert_held(&c->quiesce_mutex);
	spin_lock_irqsave(&c->submit_lock, flags);
	c->refuse = status == -ENODEV ? -ENODEV : -EBUSY;
	spin_unlock_irqrestore(&c->submit_lock, flags);

	/* after this no descriptor callback runs or will run */
	rc = dmaengine_terminate_sync(c->chan);

	for (;;) {
		spin_lock_irqsave(&c->lock, flags);
		req = list_first_entry_or_null(&c->inflight, struct dmaext_req, node);
		spin_unlock_irqrestore(&c->lock, flags);
		if (!req)
			break;
		dmaext_set_status(req, status);
		dmaext_complete(req);
	}
	return rc;
}

/**
 * dmaext_abort() - abort everything in flight on a channel
 * @c: the channel
 *
 * Terminates the channel's descriptors and completes every request still
 * in flight with -ECANCELED; submissions racing with it fail with -EBUSY.
 * Afterwards the channel takes new requests again. Sleeps.
 *
 * Return: 0 or the error of dmaengine_terminate_sync().
 */
int dmaext_abort(struct dmaext_chan *c)
{
	unsigned long flags;
	int rc;

	mutex_lock(&c->quiesce_mutex);
	rc = dmaext_quiesce(c, -ECANCELED);
	spin_lock_irqsave(&c->submit_lock, flags);
	if (c->refuse == -EBUSY)
		c->refuse = 0;
	spin_unlock_irqrestore(&c->submit_lock, flags);
	mutex_unlock(&c->quiesce_mutex);
	return rc;
}
EXPORT_SYMBOL_GPL(dmaext_abort);

static int dmaext_stat_get(void *data, u64 *val)
{
	*val = atomic64_read(data);
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(dmaext_stat_fops, dmaext_stat_get, NULL, "%llu\n");

static void dmaext_debugfs_add(struct dmaext_chan *c)
{
	struct dentry *dir = debugfs_create_dir(dma_chan_name(c->chan), dmaext_debugfs);

	debugfs_create_file_unsafe("requests", 0444, dir, &c->requests, &dmaext_stat_fops);
	debugfs_create_file_unsafe("descriptors", 0444, dir, &c->descriptors,
				   &dmaext_stat_fops);
	debugfs_create_file_unsafe("submits", 0444, dir, &c->submits, &dmaext_stat_fops);
	debugfs_create_file_unsafe("errors", 0444, dir, &c->errors, &dmaext_stat_fops);
	c->debugfs = dir;
}

struct dmaext_filter_arg {
	const char *name;
	int node;
};

static bool dmaext_filter(struct dma_chan *chan, void *param)
{
	const struct dmaext_filter_arg *arg = param;

	if (arg->name && strcmp(dma_chan_name(chan), arg->name))
		return false;
	return arg->node == NUMA_NO_NODE || dev_to_node(chan->device->dev) == arg->node;
}

static const struct dmaext_provider_ops *dmaext_find_ops(struct dma_device *dma)
{
	struct dmaext_provider *p;

	lockdep_assert_held(&dmaext_mutex);
	list_for_each_entry(p, &dmaext_providers, node)
		if (p->dma == dma)
			return p->ops;
	return NULL;
}

/**
 * dmaext_request_chan() - get a private memcpy channel
 * @spec: which one: by name, on a preferred NUMA node, or any
 *
 * Uses dma_request_channel(), so it also finds the DMA_PRIVATE channels of
 * ioatdma, idxd and ptdma. A node preference falls back to any node. Sleeps.
 *
 * Return: the channel or an ERR_PTR(): -ENODEV when none is free.
 */
struct dmaext_chan *dmaext_request_chan(const struct dmaext_chan_spec *spec)
{
	struct dmaext_filter_arg arg = { .name = spec->name, .node = spec->node };
	struct dma_chan *chan = NULL;
	struct dmaext_chan *c;
	dma_cap_mask_t mask;

	dma_cap_zero(mask);
	dma_cap_set(DMA_MEMCPY, mask);
	if (arg.node != NUMA_NO_NODE)
		chan = dma_request_channel(mask, dmaext_filter, &arg);
	if (!chan) {
		arg.node = NUMA_NO_NODE;
		chan = dma_request_channel(mask, dmaext_filter, &arg);
	}
	if (!chan)
		return ERR_PTR(-ENODEV);

	c = kzalloc(sizeof(*c), GFP_KERNEL);
	if (!c) {
		dma_release_channel(chan);
		return ERR_PTR(-ENOMEM);
	}
	c->chan = chan;
	c->dma_dev = dmaengine_get_dma_device(chan);
	c->max_len = min_t(unsigned int, dma_get_max_seg_size(c->dma_dev), U32_MAX);
	c->align_mask = (1U << chan->device->copy_align) - 1;
	c->removed = spec->removed;
	c->context = spec->context;
	spin_lock_init(&c->submit_lock);
	mutex_init(&c->quiesce_mutex);
	spin_lock_init(&c->lock);
	INIT_LIST_HEAD(&c->inflight);

	mutex_lock(&dmaext_mutex);
	c->ops = dmaext_find_ops(chan->device);
	list_add_tail(&c->node, &dmaext_chans);
	dmaext_debugfs_add(c);
	mutex_unlock(&dmaext_mutex);
	return c;
}
EXPORT_SYMBOL_GPL(dmaext_request_chan);

/**
 * dmaext_release_chan() - give a channel back
 * @c: the channel; no request may be in flight on it
 *
 * Sleeps.
 */
void dmaext_release_chan(struct dmaext_chan *c)
{
	mutex_lock(&dmaext_mutex);
	list_del(&c->node);
	debugfs_remove_recursive(c->debugfs);
	mutex_unlock(&dmaext_mutex);
	WARN_ON(!list_empty(&c->inflight));
	dma_release_channel(c->chan);
	mutex_destroy(&c->quiesce_mutex);
	kfree(c);
	atomic_inc(&dmaext_release_seq);
	wake_up_all(&dmaext_release_wq);
}
EXPORT_SYMBOL_GPL(dmaext_release_chan);

/**
 * dmaext_dma_chan() - the dmaengine channel behind @c
 * @c: the channel
 *
 * Return: the struct dma_chan.
 */
struct dma_chan *dmaext_dma_chan(struct dmaext_chan *c)
{
	return c->chan;
}
EXPORT_SYMBOL_GPL(dmaext_dma_chan);

/**
 * dmaext_dma_device() - the device to map buffers against for @c
 * @c: the channel
 *
 * Return: dmaengine_get_dma_device() of the channel.
 */
struct device *dmaext_dma_device(struct dmaext_chan *c)
{
	return c->dma_dev;
}
EXPORT_SYMBOL_GPL(dmaext_dma_device);

/**
 * dmaext_max_seg_len() - largest segment the channel's engine copies at once
 * @c: the channel
 *
 * Return: bytes.
 */
u32 dmaext_max_seg_len(struct dmaext_chan *c)
{
	return c->max_len;
}
EXPORT_SYMBOL_GPL(dmaext_max_seg_len);

/**
 * dmaext_get_stats() - read a channel's counters
 * @c: the channel
 * @stats: filled in
 */
void dmaext_get_stats(struct dmaext_chan *c, struct dmaext_chan_stats *stats)
{
	stats->requests = atomic64_read(&c->requests);
	stats->descriptors = atomic64_read(&c->descriptors);
	stats->submits = atomic64_read(&c->submits);
	stats->errors = atomic64_read(&c->errors);
}
EXPORT_SYMBOL_GPL(dmaext_get_stats);

/**
 * dmaext_register_provider() - register a provider's native operations
 * @dma: the provider's dma_device, before dma_async_device_register()
 * @ops: its operations; must stay valid until dmaext_unregister_provider()
 *
 * Return: 0, -EINVAL for incomplete @ops, -EEXIST or -ENOMEM.
 */
int dmaext_register_provider(struct dma_device *dma,
			     const struct dmaext_provider_ops *ops)
{
	struct dmaext_provider *p;
	int rc = 0;

	if (!ops->prep_memcpy_batch || !ops->max_batch)
		return -EINVAL;
	p = kzalloc(sizeof(*p), GFP_KERNEL);
	if (!p)
		return -ENOMEM;
	p->dma = dma;
	p->ops = ops;
	mutex_lock(&dmaext_mutex);
	if (dmaext_find_ops(dma))
		rc = -EEXIST;
	else
		list_add_tail(&p->node, &dmaext_providers);
	mutex_unlock(&dmaext_mutex);
	if (rc)
		kfree(p);
	return rc;
}
EXPORT_SYMBOL_GPL(dmaext_register_provider);

static bool dmaext_device_unused(struct dma_device *dma)
{
	struct dmaext_chan *c;
	bool unused = true;

	mutex_lock(&dmaext_mutex);
	list_for_each_entry(c, &dmaext_chans, node)
		if (c->chan->device == dma)
			unused = false;
	mutex_unlock(&dmaext_mutex);
	return unused;
}

/**
 * dmaext_unregister_provider() - a provider is going away
 * @dma: its dma_device, before dma_async_device_unregister()
 *
 * Every dma_ext channel on @dma is quiesced (its requests in flight
 * complete with -ENODEV), its client's ->removed() is called, and this
 * waits until the clients have released them. Sleeps.
 */
void dmaext_unregister_provider(struct dma_device *dma)
{
	struct dmaext_provider *p, *tmp;
	struct dmaext_chan *c;
	int seq;

	mutex_lock(&dmaext_mutex);
	list_for_each_entry_safe(p, tmp, &dmaext_providers, node) {
		if (p->dma == dma) {
			list_del(&p->node);
			kfree(p);
		}
	}
	list_for_each_entry(c, &dmaext_chans, node) {
		if (c->chan->device != dma)
			continue;
		mutex_lock(&c->quiesce_mutex);
		dmaext_quiesce(c, -ENODEV);
		mutex_unlock(&c->quiesce_mutex);
		c->ops = NULL;
		if (c->removed)
			c->removed(c, c->context);
	}
	mutex_unlock(&dmaext_mutex);

	for (;;) {
		seq = atomic_read(&dmaext_release_seq);
		if (dmaext_device_unused(dma))
			break;
		if (!wait_event_timeout(dmaext_release_wq,
					atomic_read(&dmaext_release_seq) != seq, 10 * HZ))
			dev_warn(dma->dev, "waiting for dma_ext clients to release channels\n");
	}
}
EXPORT_SYMBOL_GPL(dmaext_unregister_provider);

static int __init dmaext_init(void)
{
	dmaext_debugfs = debugfs_create_dir("dma_ext", NULL);
	return 0;
}

static void __exit dmaext_exit(void)
{
	debugfs_remove_recursive(dmaext_debugfs);
}

module_init(dmaext_init);
module_exit(dmaext_exit);
MODULE_DESCRIPTION("Request-level scatter-gather memcpy over dmaengine");
MODULE_LICENSE("GPL");
