// SPDX-License-Identifier: GPL-2.0
/*
 * dma_ext core: request-level memcpy over dmaengine channels.
 *
 * What dma_ext relies on from an engine, and what it does not, read
 * against the 6.12 drivers it runs on:
 *   - prep, tx_submit and issue_pending may sleep (idxd allocates its
 *     descriptors blocking) or take spin_lock_bh (ioatdma, whose prep
 *     returns holding its ring lock until tx_submit). dma_ext calls them
 *     with no lock of its own held; submitters are tracked with SRCU.
 *   - device_terminate_all/device_synchronize may be missing (ioatdma,
 *     idxd), or may return while the hardware still copies (ptdma:
 *     dmaext_no_stop_drivers). Then an abort or a removal never completes
 *     a request by force: it waits for the engine's own callbacks, for at most
 *     quiesce_timeout_ms, and what is still out stays in flight
 *     ("quarantine": the channel refuses new work) until the engine
 *     finishes it or its device has lost its driver (BUS_NOTIFY_UNBOUND_
 *     DRIVER: a device without a driver does no DMA). An in-order engine
 *     that reports a request's last cookie complete while a callback is
 *     still missing dropped a descriptor (ioatdma resetting a stuck
 *     channel): that request fails instead (dmaext_reap_dropped()).
 *   - completions may come in any order (DMA_COMPLETION_NO_ORDER: idxd).
 *     DMA_PREP_INTERRUPT is left off all but the last descriptor of a
 *     request only on an engine that completes in order and has no
 *     terminate_all: of the engines we target that is ioatdma, which
 *     honours the flag per descriptor. ptdma also completes in order, but
 *     its interrupt enable is queue-wide, taken from the latest prep
 *     (pt_alloc_dma_desc), so a descriptor prepared without it can leave
 *     one already queued silent; ptdma has terminate_all, which is how
 *     dma_ext tells the two apart -- a heuristic, erring towards more
 *     interrupts.
 *   - a NULL result means success to dmaengine, which hands its callback
 *     users a NOERROR result instead (dmaengine_desc_callback_invoke).
 *     ptdma completes failed descriptors that way too, and its tx_status
 *     cannot tell either, so such failures are invisible to any client.
 *   - only dma_soft announces its removal (dmaext_unregister_provider()).
 *     Every other engine's removal is learnt from the driver core: a bus
 *     notifier sees the engine's device lose its driver before the
 *     driver's remove() runs, and a dma class interface sees a channel
 *     device go away (idxd disabling a work queue). The channel is given
 *     back to dmaengine right there, before the driver frees it.
 *
 * Locking:
 *   dmaext_mutex          the provider and channel lists, the removal
 *                         hooks' walk over them; sleeps
 *   dmaext_hook_mutex     registration of the bus notifiers and the class
 *                         interface; never taken under another lock here
 *   dmaext_dying_lock     the list of engines and channels going away
 *   dmaext_chan.srcu      read side held by each submitter across its
 *                         provider calls; quiesce waits for them
 *   dmaext_chan.quiesce_mutex  one abort or removal at a time
 *   dmaext_chan.lock      state and the in-flight list; taken in
 *                         completion context, never across provider calls
 *
 * A request is on its channel's in-flight list from submission until its
 * ->done() is called; whoever takes it off the list (the last descriptor
 * callback, or an abort/removal once the engine is known to be done with
 * it) completes it, so it completes exactly once.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/device.h>
#include <linux/dma-mapping.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/srcu.h>
#include <linux/wait.h>
#include <kunit/visibility.h>
#include "dma_ext.h"
#include "dma_ext_internal.h"

static unsigned int dmaext_quiesce_ms = 5000;

static int dmaext_set_quiesce_ms(const char *val, const struct kernel_param *kp)
{
	unsigned int v;

	if (kstrtouint(val, 0, &v) || v < 10 || v > 600000) {
		pr_err("%s=%s: expected an integer in 10..600000\n", kp->name, val);
		return -EINVAL;
	}
	*(unsigned int *)kp->arg = v;
	return 0;
}

static const struct kernel_param_ops dmaext_quiesce_ms_ops = {
	.set = dmaext_set_quiesce_ms,
	.get = param_get_uint,
};
module_param_cb(quiesce_timeout_ms, &dmaext_quiesce_ms_ops, &dmaext_quiesce_ms, 0444);
MODULE_PARM_DESC(quiesce_timeout_ms,
		 "How long an abort or removal waits for an engine that cannot be terminated to finish its requests, 10..600000 ms (default 5000)");

/*
 * idxd's prep sleeps when its work queue has no free descriptor, and a wq
 * disable does not wake it (__idxd_wq_quiesce()): a submitter asleep
 * there comes back only after idxd freed the channel. dma_ext keeps an
 * idxd channel below the wq's size so that prep never sleeps: at most
 * size - 1 descriptors outstanding (idxd frees a descriptor only after
 * its callback returned). It cannot read the size (struct idxd_wq is
 * idxd's own): the user says it.
 */
static unsigned int dmaext_idxd_wq_size = 16;

static int dmaext_set_wq_size(const char *val, const struct kernel_param *kp)
{
	unsigned int v;

	if (kstrtouint(val, 0, &v) || v < 2 || v > 65536) {
		pr_err("%s=%s: expected an integer in 2..65536\n", kp->name, val);
		return -EINVAL;
	}
	*(unsigned int *)kp->arg = v;
	return 0;
}

static const struct kernel_param_ops dmaext_wq_size_ops = {
	.set = dmaext_set_wq_size,
	.get = param_get_uint,
};
module_param_cb(idxd_wq_size, &dmaext_wq_size_ops, &dmaext_idxd_wq_size, 0444);
MODULE_PARM_DESC(idxd_wq_size,
		 "Descriptors of the idxd work queues in use (wqX.Y/size), 2..65536 (default 16): dma_ext keeps one fewer outstanding per channel, so that idxd's prep never sleeps");

static DEFINE_MUTEX(dmaext_mutex);
static LIST_HEAD(dmaext_providers);	/* of dmaext_provider, under dmaext_mutex */
static LIST_HEAD(dmaext_models);	/* of dmaext_model, under dmaext_mutex */
static LIST_HEAD(dmaext_chans);		/* of dmaext_chan, under dmaext_mutex */
static struct dentry *dmaext_debugfs;

struct dmaext_provider {
	struct list_head node;
	struct dma_device *dma;
	const struct dmaext_provider_ops *ops;
};

/* an engine that stands for another driver's (dmaext_set_model()) */
struct dmaext_model {
	struct list_head node;
	struct dma_device *dma;
	const char *driver;
};

/*
 * Channel states. DYING is sticky: nothing reopens a channel whose engine
 * is going away.
 */
enum dmaext_state {
	DMAEXT_OPEN,
	DMAEXT_ABORTING,	/* an abort is quiescing the engine */
	DMAEXT_QUARANTINED,	/* requests stay with an engine that cannot be stopped */
	DMAEXT_DYING,		/* the engine or the channel is going away */
};

static const char *const dmaext_state_names[] = {
	[DMAEXT_OPEN] = "open",
	[DMAEXT_ABORTING] = "aborting",
	[DMAEXT_QUARANTINED] = "quarantined",
	[DMAEXT_DYING] = "dying",
};

struct dmaext_chan {
	/*
	 * The dmaengine channel; NULL once given back at removal. Set before
	 * the channel is listed, cleared under dmaext_mutex and quiesce_mutex
	 * after every submitter has left (srcu).
	 */
	struct dma_chan *chan;
	/* what removal is matched on; compared, never dereferenced */
	const struct device *engine;		/* chan->device->dev */
	const struct dma_chan_dev *chan_dev;	/* chan->dev */
	struct device *dma_dev;			/* holds a reference */
	char name[32];
	const struct dmaext_provider_ops *ops;	/* NULL: per-segment prepare */
	u32 max_len;
	u32 align_mask;
	bool can_terminate;		/* terminate_all + synchronize stop it */
	bool in_order;			/* no DMA_COMPLETION_NO_ORDER */
	bool last_irq_only;		/* DMA_PREP_INTERRUPT on a request's last only */
	bool told;			/* removed() was called, under dmaext_mutex */
	/*
	 * Most descriptors outstanding (submitted, not called back), 0 for
	 * no limit: set where the engine's prep would sleep beyond it (idxd).
	 */
	unsigned int max_descs;
	u32 caps;			/* DMAEXT_CAP_*, from the provider */
	unsigned int quiesce_ms;
	dmaext_removed_t removed;
	void *context;
	struct list_head node;			/* on dmaext_chans */
	struct dentry *debugfs;

	struct srcu_struct srcu;		/* submitters in provider calls */
	struct mutex quiesce_mutex;		/* one abort or removal at a time */
	spinlock_t lock;			/* protects state and inflight */
	enum dmaext_state state;		/* under lock; read racily by debugfs */
	struct list_head inflight;		/* under lock */
	wait_queue_head_t idle_wq;		/* woken when inflight empties */

	atomic64_t requests;
	atomic64_t descriptors;
	atomic64_t submits;
	atomic64_t errors;
	atomic64_t interrupts;
	atomic64_t no_result;
	atomic64_t quarantines;
	atomic64_t late_callbacks;
	atomic64_t dropped;
	atomic64_t cap_refusals;
	atomic_t outstanding;		/* descriptors, counted where max_descs */
};

/* ------------------------------------------------------------------ */
/* Engines and channels going away: none of their channels is handed out. */

struct dmaext_dying {
	struct list_head node;
	const void *key;	/* an engine's struct device or a dma_chan_dev */
};

static DEFINE_SPINLOCK(dmaext_dying_lock);
static LIST_HEAD(dmaext_dying);		/* under dmaext_dying_lock */

static void dmaext_mark_dying(const void *key)
{
	struct dmaext_dying *d = kmalloc(sizeof(*d), GFP_KERNEL);

	/* without memory only the narrow request/removal race stays open */
	if (!d)
		return;
	d->key = key;
	spin_lock(&dmaext_dying_lock);
	list_add(&d->node, &dmaext_dying);
	spin_unlock(&dmaext_dying_lock);
}

static void dmaext_unmark_dying(const void *key)
{
	struct dmaext_dying *d, *tmp;

	spin_lock(&dmaext_dying_lock);
	list_for_each_entry_safe(d, tmp, &dmaext_dying, node) {
		if (d->key == key) {
			list_del(&d->node);
			kfree(d);
			break;
		}
	}
	spin_unlock(&dmaext_dying_lock);
}

static bool dmaext_chan_dying(struct dma_chan *chan)
{
	struct dmaext_dying *d;
	bool dying = false;

	spin_lock(&dmaext_dying_lock);
	list_for_each_entry(d, &dmaext_dying, node)
		if (d->key == chan->device->dev || d->key == chan->dev)
			dying = true;
	spin_unlock(&dmaext_dying_lock);
	return dying;
}

/* ------------------------------------------------------------------ */
/* Requests */

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

/* A new submission number: callbacks stamped with the old one are stray. */
static void dmaext_next_gen(struct dmaext_req *req)
{
	if (!++req->gen)
		req->gen = 1;
}

/**
 * dmaext_req_init() - initialise a request allocated with dmaext_req_size()
 * @req: the request: zeroed memory, or a request initialised before and
 *	not in flight
 * @max_segs: as passed to dmaext_req_size(), at most 65535
 *
 * Clears everything but the request's submission count, which moves on:
 * a descriptor callback left over from an earlier submission of the same
 * memory is still told apart and ignored. Once per allocation is enough
 * (dmaext_submit() resets what a submission uses); calling it again
 * between submissions is allowed.
 */
void dmaext_req_init(struct dmaext_req *req, unsigned int max_segs)
{
	u16 gen = req->gen;

	/* dmaext_seg_param() keeps a tag in the segments' alignment bits */
	WARN_ON_ONCE(!IS_ALIGNED((uintptr_t)req, __alignof__(*req)));
	memset(req, 0, sizeof(*req));
	INIT_LIST_HEAD(&req->node);
	req->max_segs = min(max_segs, U16_MAX);
	req->gen = gen;
	dmaext_next_gen(req);
}
EXPORT_SYMBOL_GPL(dmaext_req_init);

static void dmaext_set_status(struct dmaext_req *req, int status)
{
	cmpxchg(&req->status, 0, status);
}

/*
 * Take @req, which is in flight, off the list: a quarantined channel whose
 * last request left reopens. Returns whether the list is now empty, for
 * the caller to wake a waiting quiesce once it dropped the lock.
 */
static bool __dmaext_unlist(struct dmaext_chan *c, struct dmaext_req *req)
{
	lockdep_assert_held(&c->lock);
	list_del_init(&req->node);
	if (!list_empty(&c->inflight))
		return false;
	if (c->state == DMAEXT_QUARANTINED)
		c->state = DMAEXT_OPEN;
	return true;
}

static void dmaext_wake_idle(struct dmaext_chan *c)
{
	if (wq_has_sleeper(&c->idle_wq))
		wake_up_all(&c->idle_wq);
}

/* Take @req off the in-flight list if it is still there; whether it was. */
static bool dmaext_unlist(struct dmaext_chan *c, struct dmaext_req *req)
{
	unsigned long flags;
	bool idle;

	spin_lock_irqsave(&c->lock, flags);
	if (list_empty(&req->node)) {
		spin_unlock_irqrestore(&c->lock, flags);
		return false;
	}
	idle = __dmaext_unlist(c, req);
	spin_unlock_irqrestore(&c->lock, flags);
	if (idle)
		dmaext_wake_idle(c);
	return true;
}

/* Complete @req if it is still in flight; returns whether it was. */
static bool dmaext_complete(struct dmaext_req *req)
{
	struct dmaext_chan *c = req->chan;

	if (!dmaext_unlist(c, req))
		return false;
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

static struct dmaext_req *dmaext_seg_req(struct dmaext_seg *seg)
{
	return container_of(seg - seg->idx, struct dmaext_req, segs[0]);
}

/*
 * A descriptor's callback parameter: its segment, with the low bits of
 * the submission number in the pointer's alignment bits. The segment's own
 * stamp is rewritten when the request is resubmitted with at least as many
 * descriptors; the parameter the engine holds is not, so a callback left
 * over from an earlier submission is still told apart unless the number
 * has moved on by a multiple of DMAEXT_GEN_TAG + 1 since: each submission
 * moves it by one, and so does each forced completion and each
 * dmaext_req_init() (an aborted use of a request counts three).
 */
#define DMAEXT_GEN_TAG	(__alignof__(struct dmaext_seg) - 1)

static void *dmaext_seg_param(struct dmaext_seg *seg, u16 gen)
{
	BUILD_BUG_ON(DMAEXT_GEN_TAG < 3);
	return (void *)((uintptr_t)seg | (gen & DMAEXT_GEN_TAG));
}

/*
 * A descriptor finished. Its callback parameter is the segment it was
 * prepared from, tagged with the low bits of the submission number
 * (dmaext_seg_param()), and the segment is stamped with the whole number:
 * a callback for a submission that is no longer the request's current one
 * (an engine calling back after it was terminated) is ignored instead of
 * completing someone else's request. Only one whose number is a multiple
 * of DMAEXT_GEN_TAG + 1 behind, for a segment the current submission uses,
 * could pass: dma_ext's defence there is that it never force-completes a
 * request unless the engine was stopped or lost its driver.
 */
static void dmaext_desc_done(void *param, const struct dmaengine_result *res)
{
	struct dmaext_seg *seg = (void *)((uintptr_t)param & ~(uintptr_t)DMAEXT_GEN_TAG);
	u16 tag = (uintptr_t)param & DMAEXT_GEN_TAG;
	struct dmaext_req *req = dmaext_seg_req(seg);
	u16 gen = READ_ONCE(seg->gen);

	if (unlikely(!gen || gen != READ_ONCE(req->gen) ||
		     tag != (gen & DMAEXT_GEN_TAG))) {
		pr_warn_ratelimited("a descriptor completed after its request did: ignored\n");
		if (req->chan)
			atomic64_inc(&req->chan->late_callbacks);
		return;
	}
	WRITE_ONCE(seg->gen, 0);
	if (req->chan->max_descs)
		atomic_dec(&req->chan->outstanding);
	if (!res)
		atomic64_inc(&req->chan->no_result);
	else if (res->result != DMA_TRANS_NOERROR)
		dmaext_set_status(req, res->result == DMA_TRANS_ABORTED ?
					-ECANCELED : -EIO);
	dmaext_put_pending(req);
}

/* Hand one prepared descriptor to the engine; false if it refused it. */
static bool dmaext_submit_tx(struct dmaext_chan *c, struct dmaext_req *req,
			     unsigned int i, struct dma_async_tx_descriptor *tx)
{
	struct dmaext_seg *seg = &req->segs[i];
	dma_cookie_t cookie;

	seg->idx = i;
	seg->gen = req->gen;
	tx->callback_result = dmaext_desc_done;
	tx->callback_param = dmaext_seg_param(seg, req->gen);
	atomic_inc(&req->pending);
	cookie = dmaengine_submit(tx);
	if (dma_submit_error(cookie)) {
		seg->gen = 0;
		atomic_dec(&req->pending);
		return false;
	}
	WRITE_ONCE(req->last_cookie, cookie);
	atomic64_inc(&c->descriptors);
	return true;
}

/*
 * An engine that completes in order has finished every descriptor of a
 * request when the last one finished: only that one needs to interrupt,
 * where the engine takes the flag per descriptor (see the top of file).
 */
static unsigned long dmaext_prep_flags(struct dmaext_chan *c, bool last)
{
	if (!last && c->last_irq_only)
		return DMA_CTRL_ACK;
	atomic64_inc(&c->interrupts);
	return DMA_CTRL_ACK | DMA_PREP_INTERRUPT;
}

/* The descriptors a submission of @req takes on @c. */
static unsigned int dmaext_nr_descs(struct dmaext_chan *c, struct dmaext_req *req)
{
	return c->ops && req->nr_segs <= c->ops->max_batch ? 1 : req->nr_segs;
}

/*
 * Room for @nr more descriptors where the channel is capped (idxd): taken
 * now, given back by each descriptor's callback or by dmaext_unreserve().
 */
static bool dmaext_reserve(struct dmaext_chan *c, unsigned int nr)
{
	if (!c->max_descs)
		return true;
	if (atomic_add_return(nr, &c->outstanding) <= c->max_descs)
		return true;
	atomic_sub(nr, &c->outstanding);
	atomic64_inc(&c->cap_refusals);
	return false;
}

static void dmaext_unreserve(struct dmaext_chan *c, unsigned int nr)
{
	if (c->max_descs && nr)
		atomic_sub(nr, &c->outstanding);
}

/*
 * Prepare and submit @req's segments: one native batch descriptor where the
 * provider has one, else one descriptor per segment. Returns how many
 * descriptors were submitted, 0 for none. When the engine runs out
 * part-way, what was submitted still runs and the request fails with -EIO.
 */
static unsigned int __dmaext_submit(struct dmaext_chan *c, struct dmaext_req *req)
{
	struct dma_async_tx_descriptor *tx;
	unsigned int i, nr = req->nr_segs;

	if (c->ops && nr <= c->ops->max_batch) {
		tx = c->ops->prep_memcpy_batch(c->chan, req->segs, nr,
					       dmaext_prep_flags(c, true));
		return tx && dmaext_submit_tx(c, req, 0, tx);
	}
	for (i = 0; i < nr; i++) {
		const struct dmaext_seg *seg = &req->segs[i];

		tx = dmaengine_prep_dma_memcpy(c->chan, seg->dst, seg->src, seg->len,
					       dmaext_prep_flags(c, i == nr - 1));
		if (!tx || !dmaext_submit_tx(c, req, i, tx)) {
			if (i)
				dmaext_set_status(req, -EIO);
			break;
		}
	}
	return i;
}

static int dmaext_state_errno(enum dmaext_state state)
{
	switch (state) {
	case DMAEXT_OPEN:
		return 0;
	case DMAEXT_DYING:
		return -ENODEV;
	default:
		return -EBUSY;
	}
}

/**
 * dmaext_submit() - submit one copy request
 * @c: channel from dmaext_request_chan()
 * @req: the request, with src, dst, their nents and done filled in
 *
 * Holds no lock of its own across the engine's prep/submit/issue calls.
 * Those may take spin_lock_bh (ioatdma) or sleep (idxd waits for a free
 * descriptor), so the caller must not hold a spinlock or have interrupts
 * off, and must be able to sleep when the engine's prep may (idxd).
 *
 * Return: 0 when the request was accepted: ->done() will be called exactly
 * once. A negative errno when nothing was submitted and ->done() will not
 * be called: -EINVAL for bad input, -EBUSY when the engine is out of
 * descriptors (or an idxd channel would exceed dma_ext's idxd_wq_size - 1
 * outstanding: its prep would sleep), or the channel is being aborted or
 * is quarantined, -ENODEV when its engine is going away.
 */
int dmaext_submit(struct dmaext_chan *c, struct dmaext_req *req)
{
	unsigned int nr, sent;
	unsigned long flags;
	int rc, idx;

	if (!req->done)
		return -EINVAL;
	rc = dmaext_build_segs(req, c->max_len, c->align_mask);
	if (rc)
		return rc;
	nr = dmaext_nr_descs(c, req);
	if (!dmaext_reserve(c, nr))
		return -EBUSY;

	req->chan = c;
	req->status = 0;
	req->dropped_seen = 0;
	req->last_cookie = 0;
	dmaext_next_gen(req);
	atomic_set(&req->pending, 1);	/* held until every descriptor is out */

	idx = srcu_read_lock(&c->srcu);
	spin_lock_irqsave(&c->lock, flags);
	rc = dmaext_state_errno(c->state);
	if (!rc)
		list_add_tail(&req->node, &c->inflight);
	spin_unlock_irqrestore(&c->lock, flags);
	if (rc) {
		dmaext_unreserve(c, nr);
		goto unlock;
	}

	sent = __dmaext_submit(c, req);
	dmaext_unreserve(c, nr - sent);
	if (!sent) {
		dmaext_unlist(c, req);
		rc = -EBUSY;
		goto unlock;
	}
	atomic64_inc(&c->requests);
	dma_async_issue_pending(c->chan);
	atomic64_inc(&c->submits);
	/* before leaving the read side: a quiesce then never sees it held */
	dmaext_put_pending(req);
unlock:
	srcu_read_unlock(&c->srcu, idx);
	return rc;
}
EXPORT_SYMBOL_GPL(dmaext_submit);

/* ------------------------------------------------------------------ */
/* Abort, quarantine and removal */

static bool dmaext_idle(struct dmaext_chan *c)
{
	unsigned long flags;
	bool idle;

	spin_lock_irqsave(&c->lock, flags);
	idle = list_empty(&c->inflight);
	spin_unlock_irqrestore(&c->lock, flags);
	return idle;
}

/* Complete everything in flight with @status: the engine is done with it. */
static void dmaext_complete_all(struct dmaext_chan *c, int status)
{
	struct dmaext_req *req;
	unsigned long flags;

	for (;;) {
		spin_lock_irqsave(&c->lock, flags);
		req = list_first_entry_or_null(&c->inflight, struct dmaext_req, node);
		/* a stray callback for this submission is now ignored */
		if (req)
			dmaext_next_gen(req);
		spin_unlock_irqrestore(&c->lock, flags);
		if (!req)
			break;
		dmaext_set_status(req, status);
		dmaext_complete(req);
	}
}

#define DMAEXT_REAP_BATCH	16
#define DMAEXT_REAP_SLICE	msecs_to_jiffies(100)

/*
 * An engine that completes in order is done with every descriptor of a
 * request once it reports the request's last cookie complete. A request
 * still waiting for callbacks then had a descriptor dropped without one:
 * ioatdma does that to the descriptor it finds stuck when it resets a
 * channel (ioat_reboot_chan() calls back only those behind it). Found so
 * on two passes a slice apart -- a callback already on its way has
 * arrived by then -- the request fails with -EIO: the reset engine no
 * longer writes for it. tx_status is called with no lock held (ioatdma's
 * runs its cleanup, which may call back into dma_ext).
 */
static void dmaext_reap_dropped(struct dmaext_chan *c)
{
	struct {
		struct dmaext_req *req;
		dma_cookie_t cookie;
		u16 gen;
	} snap[DMAEXT_REAP_BATCH];
	struct dmaext_req *req, *r;
	unsigned int n = 0, i;
	unsigned long flags;
	enum dma_status st;
	bool reap, idle;

	spin_lock_irqsave(&c->lock, flags);
	list_for_each_entry(req, &c->inflight, node) {
		if (n == ARRAY_SIZE(snap))
			break;
		if (!req->last_cookie)
			continue;
		snap[n].req = req;
		snap[n].cookie = req->last_cookie;
		snap[n].gen = req->gen;
		n++;
	}
	spin_unlock_irqrestore(&c->lock, flags);

	for (i = 0; i < n; i++) {
		st = dmaengine_tx_status(c->chan, snap[i].cookie, NULL);
		if (st != DMA_COMPLETE && st != DMA_ERROR)
			continue;
		reap = false;
		idle = false;
		spin_lock_irqsave(&c->lock, flags);
		/* only a request still listed is known to be alive */
		list_for_each_entry(r, &c->inflight, node) {
			if (r != snap[i].req || r->gen != snap[i].gen)
				continue;
			if (++r->dropped_seen >= 2) {
				reap = true;
				dmaext_next_gen(r);
				idle = __dmaext_unlist(c, r);
			}
			break;
		}
		spin_unlock_irqrestore(&c->lock, flags);
		if (!reap)
			continue;
		req = snap[i].req;
		dmaext_set_status(req, -EIO);
		atomic64_inc(&c->dropped);
		atomic64_inc(&c->errors);
		pr_warn_ratelimited("%s: the engine finished a request without calling back for all of it: failed\n",
				    c->name);
		if (idle)
			dmaext_wake_idle(c);
		req->done(req, req->status);
	}
}

/*
 * Wait up to quiesce_ms for the engine to finish what is in flight, while
 * failing what an in-order engine dropped. Returns whether it did.
 */
static bool dmaext_wait_idle(struct dmaext_chan *c)
{
	unsigned long end = jiffies + msecs_to_jiffies(c->quiesce_ms);

	for (;;) {
		long left = (long)(end - jiffies);

		if (left <= 0)
			return dmaext_idle(c);
		if (wait_event_timeout(c->idle_wq, dmaext_idle(c),
				       min_t(long, left, DMAEXT_REAP_SLICE)))
			return true;
		if (c->chan && c->in_order)
			dmaext_reap_dropped(c);
	}
}

/* Wait, at most quiesce_ms, for every submitter to leave the engine. */
static bool dmaext_wait_submitters(struct dmaext_chan *c)
{
	unsigned long cookie = start_poll_synchronize_srcu(&c->srcu);
	unsigned long end = jiffies + msecs_to_jiffies(c->quiesce_ms);

	while (!poll_state_synchronize_srcu(&c->srcu, cookie)) {
		if (time_after(jiffies, end)) {
			pr_err("%s: a submitter is stuck in the engine's prep or submit\n",
			       c->name);
			return false;
		}
		usleep_range(200, 1000);
	}
	return true;
}

/*
 * Stop @c taking requests (state @to; DYING stays DYING) and make sure its
 * engine is done with every request in flight: either it is terminated and
 * they complete here with @status, or it finishes them itself within
 * quiesce_ms (their own status, success included).
 *
 * Return: 0 when nothing is in flight any more; -ETIMEDOUT when requests
 * stay with an engine that could not be stopped (they stay in flight);
 * -EBUSY when a submitter did not even come back from the engine.
 */
static int dmaext_quiesce(struct dmaext_chan *c, enum dmaext_state to, int status)
{
	unsigned long flags;

	lockdep_assert_held(&c->quiesce_mutex);
	spin_lock_irqsave(&c->lock, flags);
	if (c->state != DMAEXT_DYING)
		c->state = to;
	spin_unlock_irqrestore(&c->lock, flags);

	if (!dmaext_wait_submitters(c)) {
		atomic64_inc(&c->quarantines);
		return -EBUSY;
	}
	/* after a successful terminate_sync no descriptor callback runs */
	if (c->chan && c->can_terminate && !dmaengine_terminate_sync(c->chan)) {
		dmaext_complete_all(c, status);
		return 0;
	}
	if (dmaext_wait_idle(c))
		return 0;
	atomic64_inc(&c->quarantines);
	pr_warn_ratelimited("%s: the engine cannot be stopped and has not finished its requests in %u ms: they stay in flight, the channel takes no new ones until it does\n",
			    c->name, c->quiesce_ms);
	return -ETIMEDOUT;
}

/**
 * dmaext_abort() - abort everything in flight on a channel
 * @c: the channel
 *
 * Where the engine can be terminated, terminates it and completes every
 * request still in flight with -ECANCELED. Where it cannot (ioatdma,
 * idxd), waits up to quiesce_timeout_ms for the engine to finish them;
 * requests it has not finished by then stay in flight and the channel is
 * quarantined (submissions fail with -EBUSY) until the last of them
 * completes. Submissions racing with the abort fail with -EBUSY. Sleeps.
 *
 * Return: 0 when nothing is in flight any more, -ETIMEDOUT when requests
 * stay in flight (quarantine), -EBUSY when a submitter is stuck in the
 * engine (quarantine too).
 */
int dmaext_abort(struct dmaext_chan *c)
{
	unsigned long flags;
	int rc;

	mutex_lock(&c->quiesce_mutex);
	rc = dmaext_quiesce(c, DMAEXT_ABORTING, -ECANCELED);
	spin_lock_irqsave(&c->lock, flags);
	if (c->state == DMAEXT_ABORTING)
		c->state = list_empty(&c->inflight) ? DMAEXT_OPEN : DMAEXT_QUARANTINED;
	spin_unlock_irqrestore(&c->lock, flags);
	mutex_unlock(&c->quiesce_mutex);
	return rc;
}
EXPORT_SYMBOL_GPL(dmaext_abort);

/* Give @c's dmaengine channel back; under quiesce_mutex, no submitter in. */
static void dmaext_put_dma_chan(struct dmaext_chan *c)
{
	struct dma_chan *chan = c->chan;

	lockdep_assert_held(&c->quiesce_mutex);
	WRITE_ONCE(c->chan, NULL);
	c->ops = NULL;
	dma_release_channel(chan);
}

/*
 * @c's engine or channel is going away: refuse work for good, quiesce,
 * give the dmaengine channel back and tell the client. Requests an engine
 * that cannot be terminated did not finish stay in flight.
 */
static void dmaext_remove_chan(struct dmaext_chan *c)
{
	struct dma_chan *chan;
	int rc;

	lockdep_assert_held(&dmaext_mutex);
	mutex_lock(&c->quiesce_mutex);
	chan = c->chan;
	rc = dmaext_quiesce(c, DMAEXT_DYING, -ENODEV);
	/*
	 * A submitter still inside the engine keeps the channel: giving it
	 * back under it would be worse than dmaengine's complaint.
	 */
	if (chan && rc != -EBUSY)
		dmaext_put_dma_chan(c);
	mutex_unlock(&c->quiesce_mutex);
	if (!c->told) {
		c->told = true;
		if (c->removed)
			c->removed(c, c->context);
	}
}

/* The engine's device lost its driver: it does no DMA any more. */
static void dmaext_engine_gone(const struct device *engine)
{
	struct dmaext_chan *c;

	mutex_lock(&dmaext_mutex);
	list_for_each_entry(c, &dmaext_chans, node)
		if (c->engine == engine && c->state == DMAEXT_DYING)
			dmaext_complete_all(c, -ENODEV);
	mutex_unlock(&dmaext_mutex);
}

/* Remove every channel of @engine that is still attached. */
static void dmaext_engine_leaving(const struct device *engine)
{
	struct dmaext_chan *c;

	mutex_lock(&dmaext_mutex);
	list_for_each_entry(c, &dmaext_chans, node)
		if (c->engine == engine && !c->told)
			dmaext_remove_chan(c);
	mutex_unlock(&dmaext_mutex);
}

static int dmaext_bus_notify(struct notifier_block *nb, unsigned long action,
			     void *data)
{
	struct device *dev = data;

	switch (action) {
	case BUS_NOTIFY_UNBIND_DRIVER:
		/* before the driver's remove(): the engine still runs */
		dmaext_mark_dying(dev);
		dmaext_engine_leaving(dev);
		break;
	case BUS_NOTIFY_UNBOUND_DRIVER:
		dmaext_engine_gone(dev);
		dmaext_unmark_dying(dev);
		break;
	}
	return NOTIFY_DONE;
}

/*
 * @c was removed while a submitter was stuck in its engine, so it kept the
 * dmaengine channel; now the channel device is being unregistered, inside
 * the driver's teardown, which has let go of the engine's descriptors by
 * then (idxd drops them when it disables the wq), so the submitter comes
 * back. Give the channel back now, while the provider still holds its own
 * reference: released after the provider's last one, dma_release_channel()
 * reads the dma_device that the provider's device_release freed (KASAN:
 * slab-use-after-free in dma_release_channel, idxd personality under a
 * stalled, full work queue).
 */
static void dmaext_give_back_late(struct dmaext_chan *c)
{
	lockdep_assert_held(&dmaext_mutex);
	mutex_lock(&c->quiesce_mutex);
	if (c->chan && dmaext_wait_submitters(c))
		dmaext_put_dma_chan(c);
	else if (c->chan)
		pr_err("%s: kept past its engine's removal for a stuck submitter: releasing it later may touch freed memory\n",
		       c->name);
	mutex_unlock(&c->quiesce_mutex);
}

/*
 * A dmaengine channel device is being unregistered: an idxd wq disable, or
 * any provider's dma_async_device_unregister().
 */
static void dmaext_chan_dev_removed(struct device *dev)
{
	struct dma_chan_dev *chan_dev = container_of(dev, struct dma_chan_dev, device);
	struct dmaext_chan *c;

	dmaext_mark_dying(chan_dev);
	mutex_lock(&dmaext_mutex);
	list_for_each_entry(c, &dmaext_chans, node) {
		if (c->chan_dev != chan_dev)
			continue;
		if (!c->told)
			dmaext_remove_chan(c);
		else
			dmaext_give_back_late(c);
	}
	mutex_unlock(&dmaext_mutex);
	dmaext_unmark_dying(chan_dev);
}

struct dmaext_bus_hook {
	struct list_head node;
	const struct bus_type *bus;
	struct notifier_block nb;
};

static DEFINE_MUTEX(dmaext_hook_mutex);
static LIST_HEAD(dmaext_bus_hooks);	/* under dmaext_hook_mutex */
static struct class_interface dmaext_class_intf = {
	.remove_dev = dmaext_chan_dev_removed,
};

/* Learn of @chan's removal from the driver core: hook its bus and class. */
static int dmaext_hook_engine(struct dma_chan *chan)
{
	const struct bus_type *bus = chan->device->dev->bus;
	struct dmaext_bus_hook *h;
	int rc = 0;

	mutex_lock(&dmaext_hook_mutex);
	if (!dmaext_class_intf.class && chan->dev->device.class) {
		dmaext_class_intf.class = chan->dev->device.class;
		rc = class_interface_register(&dmaext_class_intf);
		if (rc) {
			dmaext_class_intf.class = NULL;
			goto unlock;
		}
	}
	if (!bus)
		goto unlock;
	list_for_each_entry(h, &dmaext_bus_hooks, node)
		if (h->bus == bus)
			goto unlock;
	h = kzalloc(sizeof(*h), GFP_KERNEL);
	if (!h) {
		rc = -ENOMEM;
		goto unlock;
	}
	h->bus = bus;
	h->nb.notifier_call = dmaext_bus_notify;
	rc = bus_register_notifier(bus, &h->nb);
	if (rc)
		kfree(h);
	else
		list_add(&h->node, &dmaext_bus_hooks);
unlock:
	mutex_unlock(&dmaext_hook_mutex);
	return rc;
}

static void dmaext_unhook_all(void)
{
	struct dmaext_bus_hook *h, *tmp;

	list_for_each_entry_safe(h, tmp, &dmaext_bus_hooks, node) {
		bus_unregister_notifier(h->bus, &h->nb);
		list_del(&h->node);
		kfree(h);
	}
	if (dmaext_class_intf.class)
		class_interface_unregister(&dmaext_class_intf);
}

/* ------------------------------------------------------------------ */
/* Channels */

static int dmaext_stat_get(void *data, u64 *val)
{
	*val = atomic64_read(data);
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(dmaext_stat_fops, dmaext_stat_get, NULL, "%llu\n");

static int dmaext_state_show(struct seq_file *m, void *unused)
{
	struct dmaext_chan *c = m->private;

	seq_printf(m, "%s\n", dmaext_state_names[READ_ONCE(c->state)]);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(dmaext_state);

static int dmaext_inflight_show(struct seq_file *m, void *unused)
{
	struct dmaext_chan *c = m->private;
	struct list_head *pos;
	unsigned long flags;
	unsigned int n = 0;

	spin_lock_irqsave(&c->lock, flags);
	list_for_each(pos, &c->inflight)
		n++;
	spin_unlock_irqrestore(&c->lock, flags);
	seq_printf(m, "%u\n", n);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(dmaext_inflight);

static int dmaext_caps_show(struct seq_file *m, void *unused)
{
	static const char * const names[] = { "durable_writes", "atomic_submit" };
	struct dmaext_chan *c = m->private;
	const char *sep = "";
	unsigned int i;

	/* bit i of DMAEXT_CAP_* is names[i] */
	for (i = 0; i < ARRAY_SIZE(names); i++) {
		if (c->caps & BIT(i)) {
			seq_printf(m, "%s%s", sep, names[i]);
			sep = " ";
		}
	}
	seq_putc(m, '\n');
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(dmaext_caps);

static void dmaext_debugfs_add(struct dmaext_chan *c)
{
	static const struct {
		const char *name;
		size_t off;
	} stats[] = {
		{ "requests", offsetof(struct dmaext_chan, requests) },
		{ "descriptors", offsetof(struct dmaext_chan, descriptors) },
		{ "submits", offsetof(struct dmaext_chan, submits) },
		{ "errors", offsetof(struct dmaext_chan, errors) },
		{ "interrupts", offsetof(struct dmaext_chan, interrupts) },
		{ "no_result", offsetof(struct dmaext_chan, no_result) },
		{ "quarantines", offsetof(struct dmaext_chan, quarantines) },
		{ "late_callbacks", offsetof(struct dmaext_chan, late_callbacks) },
		{ "dropped", offsetof(struct dmaext_chan, dropped) },
		{ "cap_refusals", offsetof(struct dmaext_chan, cap_refusals) },
	};
	struct dentry *dir = debugfs_create_dir(c->name, dmaext_debugfs);
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(stats); i++)
		debugfs_create_file_unsafe(stats[i].name, 0444, dir,
					   (void *)c + stats[i].off, &dmaext_stat_fops);
	debugfs_create_file("state", 0444, dir, c, &dmaext_state_fops);
	debugfs_create_file("inflight", 0444, dir, c, &dmaext_inflight_fops);
	debugfs_create_file("caps", 0444, dir, c, &dmaext_caps_fops);
	debugfs_create_atomic_t("outstanding", 0444, dir, &c->outstanding);
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
	if (dmaext_chan_dying(chan))
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

/*
 * Engine drivers that a client may submit to with preemption off (6.12):
 * ptdma allocates its descriptor with GFP_NOWAIT and takes only
 * spin_lock_irqsave, and runs finished descriptors' callbacks with no lock
 * held. Left out: idxd, whose prep waits for a free descriptor
 * (idxd_alloc_desc(IDXD_OP_BLOCK)), and ioatdma, whose prep on a full ring
 * runs the channel's cleanup, and with it other requests' callbacks, under
 * cleanup_lock: a callback that resubmits to the channel from there (a
 * block driver's completion ending a bio whose end_io submits again)
 * would take that lock again.
 */
static const char * const dmaext_atomic_drivers[] = { "ptdma" };

/*
 * Engine drivers whose terminate_all does not stop a copy already handed to
 * the hardware (6.12): ptdma's pt_terminate_all() clears the interrupt
 * status and frees every descriptor, the one the queue is running
 * included, and pt_synchronize() waits for nothing of the hardware; the
 * queue runs on (only pt_pause() stops it), and the stale command's
 * completion later completes whatever descriptor was started next. dma_ext
 * treats their channels as engines that cannot be terminated: waited for,
 * quarantined, never force-completed while they may still write.
 */
static const char * const dmaext_no_stop_drivers[] = { "ptdma" };

/*
 * Engine drivers whose prep sleeps for a free descriptor where no wakeup
 * is promised (6.12): idxd's idxd_alloc_desc(IDXD_OP_BLOCK) waits on the
 * wq's sbitmap, which a wq disable does not wake. Their channels are kept
 * below the wq's size (idxd_wq_size).
 */
static const char * const dmaext_capped_drivers[] = { "idxd" };

/* the driver dmaext_set_model() named for @dma, or NULL */
static const char *dmaext_find_model(struct dma_device *dma)
{
	struct dmaext_model *m;

	lockdep_assert_held(&dmaext_mutex);
	list_for_each_entry(m, &dmaext_models, node)
		if (m->dma == dma)
			return m->driver;
	return NULL;
}

/* the driver @dma's channels behave like: its model, else its own */
static const char *dmaext_driver_of(struct dma_device *dma)
{
	const char *driver = dmaext_find_model(dma);

	if (!driver && dma->dev->driver)
		driver = dma->dev->driver->name;
	return driver;
}

static bool dmaext_driver_in(const char *driver, const char * const *list,
			     size_t n)
{
	return driver && match_string(list, n, driver) >= 0;
}

/* DMAEXT_CAP_* of a plain dmaengine channel on @dma, from its driver */
static u32 dmaext_driver_caps(struct dma_device *dma)
{
	if (dmaext_driver_in(dmaext_driver_of(dma), dmaext_atomic_drivers,
			     ARRAY_SIZE(dmaext_atomic_drivers)))
		return DMAEXT_CAP_ATOMIC_SUBMIT;
	return 0;
}

/*
 * Whether terminate_all + synchronize on @dma stop the engine: the
 * operations are there and the driver is not known to leave the hardware
 * running. A registered provider's terminate stops its engine.
 */
static bool dmaext_terminate_stops(struct dma_device *dma, bool provider)
{
	if (!dma->device_terminate_all || !dma->device_synchronize)
		return false;
	return provider ||
	       !dmaext_driver_in(dmaext_driver_of(dma), dmaext_no_stop_drivers,
				 ARRAY_SIZE(dmaext_no_stop_drivers));
}

static void dmaext_free_chan(struct dmaext_chan *c)
{
	if (c->chan)
		dma_release_channel(c->chan);
	put_device(c->dma_dev);
	cleanup_srcu_struct(&c->srcu);
	mutex_destroy(&c->quiesce_mutex);
	kfree(c);
}

/**
 * dmaext_request_chan() - get a private memcpy channel
 * @spec: which one: by name, on a preferred NUMA node, or any
 *
 * Uses dma_request_channel(), so it also finds the DMA_PRIVATE channels of
 * ioatdma, idxd and ptdma. A node preference falls back to any node. No
 * channel of an engine that is going away is handed out. Sleeps.
 *
 * Return: the channel or an ERR_PTR(): -ENODEV when none is free.
 */
struct dmaext_chan *dmaext_request_chan(const struct dmaext_chan_spec *spec)
{
	struct dmaext_filter_arg arg = { .name = spec->name, .node = spec->node };
	struct dma_chan *chan = NULL;
	struct dma_device *dma;
	struct dmaext_chan *c;
	dma_cap_mask_t mask;
	int rc;

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
	rc = init_srcu_struct(&c->srcu);
	if (rc) {
		kfree(c);
		dma_release_channel(chan);
		return ERR_PTR(rc);
	}
	dma = chan->device;
	c->chan = chan;
	c->engine = dma->dev;
	c->chan_dev = chan->dev;
	strscpy(c->name, dma_chan_name(chan), sizeof(c->name));
	c->dma_dev = get_device(dmaengine_get_dma_device(chan));
	c->max_len = min_t(unsigned int, dma_get_max_seg_size(c->dma_dev), U32_MAX);
	c->align_mask = (1U << dma->copy_align) - 1;
	c->in_order = !dma_has_cap(DMA_COMPLETION_NO_ORDER, dma->cap_mask);
	/* see the top of file: ioatdma, not ptdma, which has terminate_all */
	c->last_irq_only = c->in_order && !dma->device_terminate_all;
	c->quiesce_ms = dmaext_quiesce_ms;
	c->removed = spec->removed;
	c->context = spec->context;
	mutex_init(&c->quiesce_mutex);
	spin_lock_init(&c->lock);
	INIT_LIST_HEAD(&c->inflight);
	init_waitqueue_head(&c->idle_wq);

	rc = dmaext_hook_engine(chan);
	if (rc)
		goto free;
	mutex_lock(&dmaext_mutex);
	/*
	 * A removal marks its engine dying before it walks the channels under
	 * dmaext_mutex: either it sees this channel or this sees the mark.
	 */
	if (dmaext_chan_dying(chan)) {
		mutex_unlock(&dmaext_mutex);
		rc = -ENODEV;
		goto free;
	}
	c->ops = dmaext_find_ops(dma);
	c->caps = c->ops ? c->ops->caps : dmaext_driver_caps(dma);
	c->can_terminate = dmaext_terminate_stops(dma, !!c->ops);
	if (!c->ops && dmaext_driver_in(dmaext_driver_of(dma), dmaext_capped_drivers,
					ARRAY_SIZE(dmaext_capped_drivers)))
		c->max_descs = dmaext_idxd_wq_size - 1;
	list_add_tail(&c->node, &dmaext_chans);
	dmaext_debugfs_add(c);
	mutex_unlock(&dmaext_mutex);
	return c;

free:
	dmaext_free_chan(c);
	return ERR_PTR(rc);
}
EXPORT_SYMBOL_GPL(dmaext_request_chan);

/**
 * dmaext_release_chan() - give a channel back
 * @c: the channel; no request may be in flight on it
 *
 * After this no ->removed() callback is made for @c. Sleeps.
 */
void dmaext_release_chan(struct dmaext_chan *c)
{
	mutex_lock(&dmaext_mutex);
	list_del(&c->node);
	debugfs_remove_recursive(c->debugfs);
	mutex_unlock(&dmaext_mutex);
	WARN_ON(!list_empty(&c->inflight));
	/*
	 * A submitter whose request completed under it (its last descriptor
	 * called back before dmaext_submit() dropped its hold) may still be
	 * on its way out of the read side: the client's release can come
	 * from that very completion.
	 */
	synchronize_srcu(&c->srcu);
	dmaext_free_chan(c);
}
EXPORT_SYMBOL_GPL(dmaext_release_chan);

/**
 * dmaext_dma_chan() - the dmaengine channel behind @c
 * @c: the channel
 *
 * Return: the struct dma_chan, or NULL once the engine went away.
 */
struct dma_chan *dmaext_dma_chan(struct dmaext_chan *c)
{
	return READ_ONCE(c->chan);
}
EXPORT_SYMBOL_GPL(dmaext_dma_chan);

/**
 * dmaext_chan_name() - the dmaengine name of @c's channel
 * @c: the channel
 *
 * Stays valid after the engine went away, until dmaext_release_chan().
 *
 * Return: the name, e.g. "dma0chan1".
 */
const char *dmaext_chan_name(struct dmaext_chan *c)
{
	return c->name;
}
EXPORT_SYMBOL_GPL(dmaext_chan_name);

/**
 * dmaext_dma_device() - the device to map buffers against for @c
 * @c: the channel
 *
 * dma_ext holds a reference on it until dmaext_release_chan(), so buffers
 * can be unmapped after the engine went away.
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
 * dmaext_chan_caps() - what the channel's provider guarantees
 * @c: the channel
 *
 * Return: DMAEXT_CAP_* flags; the same for the channel's whole life
 * (also once its engine is gone: it then completes nothing).
 */
u32 dmaext_chan_caps(struct dmaext_chan *c)
{
	return c->caps;
}
EXPORT_SYMBOL_GPL(dmaext_chan_caps);

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
	stats->interrupts = atomic64_read(&c->interrupts);
	stats->no_result = atomic64_read(&c->no_result);
	stats->quarantines = atomic64_read(&c->quarantines);
	stats->late_callbacks = atomic64_read(&c->late_callbacks);
	stats->cap_refusals = atomic64_read(&c->cap_refusals);
}
EXPORT_SYMBOL_GPL(dmaext_get_stats);

#if IS_ENABLED(CONFIG_KUNIT)
/**
 * dmaext_set_quiesce_timeout() - how long an abort or removal waits on @c
 * @c: the channel
 * @ms: milliseconds, for an engine that cannot be terminated
 */
void dmaext_set_quiesce_timeout(struct dmaext_chan *c, unsigned int ms)
{
	c->quiesce_ms = ms;
}
EXPORT_SYMBOL_IF_KUNIT(dmaext_set_quiesce_timeout);
#endif

/* ------------------------------------------------------------------ */
/* Providers that know dma_ext */

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

/**
 * dmaext_unregister_provider() - a provider is going away
 * @dma: its dma_device, before dma_async_device_unregister()
 *
 * Forgets @dma's native operations. Every dma_ext channel on @dma that the
 * driver core has not already seen go (its device losing its driver) is
 * removed now: quiesced, given back to dmaengine, its client told through
 * ->removed(). Does not wait for the clients to release their dma_ext
 * channels. Sleeps.
 */
void dmaext_unregister_provider(struct dma_device *dma)
{
	struct dmaext_provider *p, *tmp;
	struct dmaext_chan *c;

	dmaext_mark_dying(dma->dev);
	mutex_lock(&dmaext_mutex);
	list_for_each_entry_safe(p, tmp, &dmaext_providers, node) {
		if (p->dma == dma) {
			list_del(&p->node);
			kfree(p);
		}
	}
	list_for_each_entry(c, &dmaext_chans, node)
		if (c->engine == dma->dev && !c->told)
			dmaext_remove_chan(c);
	mutex_unlock(&dmaext_mutex);
	dmaext_unmark_dying(dma->dev);
}
EXPORT_SYMBOL_GPL(dmaext_unregister_provider);

/**
 * dmaext_set_model() - treat an engine as another driver's
 * @dma: the engine's dma_device, before dma_async_device_register()
 * @driver: the name of the engine driver it behaves like ("ioatdma",
 *	"idxd", "ptdma"); must stay valid until dmaext_clear_model()
 *
 * For a software engine that stands for a real one (dma_soft's
 * personalities): its plain dmaengine channels get the capabilities dma_ext
 * gives that driver's channels. Has no effect on a registered provider.
 *
 * Return: 0, -EEXIST or -ENOMEM.
 */
int dmaext_set_model(struct dma_device *dma, const char *driver)
{
	struct dmaext_model *m;
	int rc = 0;

	m = kzalloc(sizeof(*m), GFP_KERNEL);
	if (!m)
		return -ENOMEM;
	m->dma = dma;
	m->driver = driver;
	mutex_lock(&dmaext_mutex);
	if (dmaext_find_model(dma))
		rc = -EEXIST;
	else
		list_add_tail(&m->node, &dmaext_models);
	mutex_unlock(&dmaext_mutex);
	if (rc)
		kfree(m);
	return rc;
}
EXPORT_SYMBOL_GPL(dmaext_set_model);

/**
 * dmaext_clear_model() - forget what dmaext_set_model() said of @dma
 * @dma: the engine's dma_device, after dma_async_device_unregister()
 */
void dmaext_clear_model(struct dma_device *dma)
{
	struct dmaext_model *m, *tmp;

	mutex_lock(&dmaext_mutex);
	list_for_each_entry_safe(m, tmp, &dmaext_models, node) {
		if (m->dma == dma) {
			list_del(&m->node);
			kfree(m);
		}
	}
	mutex_unlock(&dmaext_mutex);
}
EXPORT_SYMBOL_GPL(dmaext_clear_model);

static int __init dmaext_init(void)
{
	dmaext_debugfs = debugfs_create_dir("dma_ext", NULL);
	return 0;
}

static void __exit dmaext_exit(void)
{
	mutex_lock(&dmaext_hook_mutex);
	dmaext_unhook_all();
	mutex_unlock(&dmaext_hook_mutex);
	debugfs_remove_recursive(dmaext_debugfs);
}

module_init(dmaext_init);
module_exit(dmaext_exit);
MODULE_DESCRIPTION("Request-level scatter-gather memcpy over dmaengine");
MODULE_LICENSE("GPL");
