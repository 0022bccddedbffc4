// SPDX-License-Identifier: GPL-2.0
/*
 * dma_soft channels: the dmaengine provider side.
 *
 * Descriptor lifecycle, each state being the list the descriptor is on:
 *   prep -> (owned by the client) -> tx_submit: submitted
 *   issue_pending: submitted -> issued, and the channel worker is kicked
 *   worker: issued -> active -> the personality's done hook:
 *     soft: callback -> freed (or unacked until the client acks it)
 *     ioat, idxd, ptdma: done, until the personality delivers it
 *           (soft_pers.c)
 *   terminate_all: submitted, issued and done are freed without
 *           callbacks, the active one is dropped by the worker when it
 *           returns
 * A descriptor of a personality with a pool (ioat, idxd) holds slots of
 * it from tx_submit until it leaves the channel (delivered or dropped).
 *
 * The soft personality runs callbacks in the worker, never under the
 * channel lock, and never in the submitter's context; where the others
 * run theirs is written in soft_pers.c.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/dma-mapping.h>
#include <linux/slab.h>
#include "soft.h"

unsigned int soft_max_batch = 256;

/* @desc leaves the engine: give back the pool slots it holds. */
static void soft_desc_release(struct soft_chan *sc, struct soft_desc *desc)
{
	unsigned long flags;
	unsigned int n;

	/* the soft and ptdma personalities have no pool */
	if (!READ_ONCE(desc->slots))
		return;
	spin_lock_irqsave(&sc->lock, flags);
	n = desc->slots;
	sc->used -= n;
	desc->slots = 0;
	spin_unlock_irqrestore(&sc->lock, flags);
	if (n)
		wake_up(&sc->pool_wq);
}

/**
 * soft_desc_drop() - free a descriptor without telling its client
 * @sc: its channel
 * @desc: the descriptor, on no list
 */
void soft_desc_drop(struct soft_chan *sc, struct soft_desc *desc)
{
	soft_desc_release(sc, desc);
	kfree(desc);
}

/**
 * soft_free_list() - drop every descriptor on a list, without callbacks
 * @sc: their channel
 * @list: a private list
 *
 * Return: how many were dropped.
 */
unsigned int soft_free_list(struct soft_chan *sc, struct list_head *list)
{
	struct soft_desc *desc, *tmp;
	unsigned int n = 0;

	list_for_each_entry_safe(desc, tmp, list, node) {
		list_del(&desc->node);
		soft_desc_drop(sc, desc);
		n++;
	}
	return n;
}

/**
 * soft_cookie_assign() - give a descriptor the channel's next cookie
 * @sc: the channel; the caller holds its lock
 * @tx: the descriptor
 *
 * Return: the cookie.
 */
dma_cookie_t soft_cookie_assign(struct soft_chan *sc, struct dma_async_tx_descriptor *tx)
{
	struct dma_chan *chan = &sc->chan;
	dma_cookie_t cookie;

	lockdep_assert_held(&sc->lock);
	cookie = chan->cookie + 1;
	if (cookie < DMA_MIN_COOKIE)
		cookie = DMA_MIN_COOKIE;
	chan->cookie = cookie;
	tx->cookie = cookie;
	return cookie;
}

static dma_cookie_t soft_tx_submit(struct dma_async_tx_descriptor *tx)
{
	struct soft_chan *sc = to_soft_chan(tx->chan);
	unsigned long flags;
	dma_cookie_t cookie;

	spin_lock_irqsave(&sc->lock, flags);
	cookie = soft_cookie_assign(sc, tx);
	list_add_tail(&to_soft_desc(tx)->node, &sc->submitted);
	spin_unlock_irqrestore(&sc->lock, flags);
	return cookie;
}

/**
 * __soft_desc_alloc() - allocate a descriptor for @nr segments
 * @sc: the channel, dead or not
 * @nr: segments
 * @flags: dmaengine prep flags
 *
 * Never sleeps (prep may be called in atomic context). The descriptor
 * submits to the submitted list; a personality may set its own tx_submit.
 *
 * Return: the descriptor, or NULL when memory is short.
 */
struct soft_desc *__soft_desc_alloc(struct soft_chan *sc, unsigned int nr,
				    unsigned long flags)
{
	struct soft_desc *desc;

	desc = kzalloc(struct_size(desc, segs, nr), GFP_NOWAIT);
	if (!desc)
		return NULL;
	dma_async_tx_descriptor_init(&desc->tx, &sc->chan);
	desc->tx.tx_submit = soft_tx_submit;
	desc->tx.flags = flags;
	INIT_LIST_HEAD(&desc->node);
	desc->nr_segs = nr;
	return desc;
}

/**
 * soft_desc_alloc() - __soft_desc_alloc(), refused once the channel is dead
 * @sc: the channel
 * @nr: segments
 * @flags: dmaengine prep flags
 *
 * Return: the descriptor, or NULL when the channel is dead or memory short.
 */
struct soft_desc *soft_desc_alloc(struct soft_chan *sc, unsigned int nr,
				  unsigned long flags)
{
	return READ_ONCE(sc->dead) ? NULL : __soft_desc_alloc(sc, nr, flags);
}

static struct dma_async_tx_descriptor *soft_prep_memcpy(struct dma_chan *chan,
							dma_addr_t dst,
							dma_addr_t src,
							size_t len,
							unsigned long flags)
{
	struct soft_desc *desc;

	if (!len || len > dma_get_max_seg_size(chan->device->dev))
		return NULL;
	desc = soft_desc_alloc(to_soft_chan(chan), 1, flags);
	if (!desc)
		return NULL;
	desc->segs[0].src = src;
	desc->segs[0].dst = dst;
	desc->segs[0].len = len;
	desc->total = len;
	return &desc->tx;
}

/**
 * soft_prep_batch() - dma_ext native batch: one descriptor for @nr segments
 * @chan: the channel
 * @segs: the segments, each within the engine's max segment size
 * @nr: how many, at most soft_max_batch
 * @flags: dmaengine prep flags
 *
 * Return: the descriptor, or NULL.
 */
struct dma_async_tx_descriptor *soft_prep_batch(struct dma_chan *chan,
						const struct dmaext_seg *segs,
						unsigned int nr,
						unsigned long flags)
{
	u32 max = dma_get_max_seg_size(chan->device->dev);
	struct soft_desc *desc;
	unsigned int i;

	if (!nr || nr > soft_max_batch)
		return NULL;
	for (i = 0; i < nr; i++)
		if (!segs[i].len || segs[i].len > max)
			return NULL;
	desc = soft_desc_alloc(to_soft_chan(chan), nr, flags);
	if (!desc)
		return NULL;
	memcpy(desc->segs, segs, nr * sizeof(*segs));
	for (i = 0; i < nr; i++)
		desc->total += segs[i].len;
	return &desc->tx;
}

/**
 * soft_chan_kick() - let the channel's worker look for work
 * @sc: the channel
 */
void soft_chan_kick(struct soft_chan *sc)
{
	if (!READ_ONCE(sc->dead))
		queue_work(sc->sd->wq, &sc->work);
}

static void soft_issue_pending(struct dma_chan *chan)
{
	struct soft_chan *sc = to_soft_chan(chan);
	unsigned long flags;
	bool kick;

	spin_lock_irqsave(&sc->lock, flags);
	list_splice_tail_init(&sc->submitted, &sc->issued);
	kick = !list_empty(&sc->issued) && !sc->dead;
	spin_unlock_irqrestore(&sc->lock, flags);
	if (kick)
		queue_work(sc->sd->wq, &sc->work);
}

static struct soft_desc *soft_find(struct soft_chan *sc, dma_cookie_t cookie)
{
	struct soft_desc *desc;

	lockdep_assert_held(&sc->lock);
	if (sc->active && sc->active->tx.cookie == cookie)
		return sc->active;
	list_for_each_entry(desc, &sc->issued, node)
		if (desc->tx.cookie == cookie)
			return desc;
	list_for_each_entry(desc, &sc->submitted, node)
		if (desc->tx.cookie == cookie)
			return desc;
	return NULL;
}

/*
 * A cookie is in progress while its descriptor is on one of the channel's
 * lists; once it has left them it is complete. That also holds when the
 * engine completes out of order.
 */
static enum dma_status soft_tx_status(struct dma_chan *chan, dma_cookie_t cookie,
				      struct dma_tx_state *state)
{
	struct soft_chan *sc = to_soft_chan(chan);
	enum dma_status status = DMA_COMPLETE;
	struct soft_desc *desc;
	unsigned long flags;
	u32 residue = 0;

	spin_lock_irqsave(&sc->lock, flags);
	desc = soft_find(sc, cookie);
	if (desc) {
		status = DMA_IN_PROGRESS;
		residue = desc->total - READ_ONCE(desc->done);
	}
	dma_set_tx_state(state, chan->completed_cookie, chan->cookie, residue);
	spin_unlock_irqrestore(&sc->lock, flags);
	return status;
}

/**
 * soft_cookie_status() - a cookie's status as dma_cookie_status() tells it
 * @chan: the channel
 * @cookie: the cookie
 * @state: filled in, residue 0, if not NULL
 *
 * Complete once the channel's completed cookie has reached it, so a
 * dropped descriptor stays in progress until a later one completes.
 *
 * Return: DMA_COMPLETE or DMA_IN_PROGRESS.
 */
enum dma_status soft_cookie_status(struct dma_chan *chan, dma_cookie_t cookie,
				   struct dma_tx_state *state)
{
	struct soft_chan *sc = to_soft_chan(chan);
	dma_cookie_t last, used;
	unsigned long flags;

	spin_lock_irqsave(&sc->lock, flags);
	last = chan->completed_cookie;
	used = chan->cookie;
	spin_unlock_irqrestore(&sc->lock, flags);
	dma_set_tx_state(state, last, used, 0);
	return dma_async_is_complete(cookie, last, used);
}

/**
 * soft_chan_take_queued() - take every descriptor off the channel's lists
 * @sc: the channel; the caller holds its lock
 * @list: a private list they are moved to, oldest first
 *
 * Submitted, issued and finished-but-undelivered ones; not the active one.
 */
void soft_chan_take_queued(struct soft_chan *sc, struct list_head *list)
{
	lockdep_assert_held(&sc->lock);
	list_splice_tail_init(&sc->submitted, list);
	list_splice_tail_init(&sc->issued, list);
	list_splice_tail_init(&sc->done, list);
}

/**
 * soft_chan_drop_all() - drop what the engine holds, without callbacks
 * @sc: the channel
 * @wait: wait for the worker to let go of the active descriptor
 *
 * Submitted, issued and finished-but-undelivered descriptors are freed; the
 * active one (a stalled one too) is dropped by the worker when it returns.
 */
void soft_chan_drop_all(struct soft_chan *sc, bool wait)
{
	unsigned long flags;
	LIST_HEAD(dropped);

	spin_lock_irqsave(&sc->lock, flags);
	soft_chan_take_queued(sc, &dropped);
	sc->pending = 0;
	if (sc->active)
		sc->abort = true;
	spin_unlock_irqrestore(&sc->lock, flags);
	wake_up_all(&sc->stall_wq);
	soft_free_list(sc, &dropped);
	if (wait)
		flush_work(&sc->work);
}

/**
 * soft_terminate_all() - device_terminate_all of soft: stops the engine
 * @chan: the channel
 *
 * Return: 0.
 */
int soft_terminate_all(struct dma_chan *chan)
{
	soft_chan_drop_all(to_soft_chan(chan), false);
	return 0;
}

/**
 * soft_synchronize() - device_synchronize of soft
 * @chan: the channel
 *
 * Waits for the worker, and so for any callback it is running.
 */
void soft_synchronize(struct dma_chan *chan)
{
	flush_work(&to_soft_chan(chan)->work);
}

static int soft_alloc_chan_resources(struct dma_chan *chan)
{
	return READ_ONCE(to_soft_chan(chan)->dead) ? -ENODEV : 0;
}

/**
 * soft_free_unacked() - free the descriptors the client never acked
 * @sc: the channel
 */
void soft_free_unacked(struct soft_chan *sc)
{
	unsigned long flags;
	LIST_HEAD(unacked);

	spin_lock_irqsave(&sc->lock, flags);
	list_splice_tail_init(&sc->unacked, &unacked);
	spin_unlock_irqrestore(&sc->lock, flags);
	soft_free_list(sc, &unacked);
}

/**
 * soft_free_chan_resources() - device_free_chan_resources of soft
 * @chan: the channel
 *
 * Terminates, waits for the worker and frees the descriptors the client
 * never acked.
 */
void soft_free_chan_resources(struct dma_chan *chan)
{
	soft_terminate_all(chan);
	soft_synchronize(chan);
	soft_free_unacked(to_soft_chan(chan));
}

static struct soft_desc *soft_next(struct soft_chan *sc)
{
	const struct soft_pers *pers = sc->sd->pers;

	lockdep_assert_held(&sc->lock);
	if (list_empty(&sc->issued) || sc->dead)
		return NULL;
	if (pers->held_until_seen && !list_empty(&sc->done))
		return NULL;
	if (pers->newest_first || READ_ONCE(sc->sd->fault.out_of_order.val)) {
		if (!list_is_singular(&sc->issued))
			atomic64_inc(&sc->sd->fault.reordered);
		return list_last_entry(&sc->issued, struct soft_desc, node);
	}
	return list_first_entry(&sc->issued, struct soft_desc, node);
}

/**
 * soft_tx_callback() - tell the client, the way a descriptor asked to be told
 * @tx: the descriptor, or a copy of its callback fields
 * @res: the result, or NULL: it reaches callback_result as success, as
 *	dmaengine's callback helper does
 *
 * Called without the channel lock.
 */
void soft_tx_callback(const struct dma_async_tx_descriptor *tx,
		      const struct dmaengine_result *res)
{
	static const struct dmaengine_result noerror = { .result = DMA_TRANS_NOERROR };

	if (tx->callback_result)
		tx->callback_result(tx->callback_param, res ?: &noerror);
	else if (tx->callback)
		tx->callback(tx->callback_param);
}

/* The channel's completed cookie is @desc's. */
static void soft_complete_cookie(struct soft_chan *sc, struct soft_desc *desc)
{
	unsigned long flags;

	spin_lock_irqsave(&sc->lock, flags);
	sc->chan.completed_cookie = desc->tx.cookie;
	spin_unlock_irqrestore(&sc->lock, flags);
}

/**
 * soft_deliver() - complete a descriptor and tell its client
 * @sc: its channel
 * @desc: the descriptor, on no list
 * @res: the result, or NULL for a callback that the engine gives no result
 *
 * Completes the cookie, calls back, then gives the descriptor's pool slots
 * back and frees it, or keeps it until the client acks it. Called without
 * the channel lock.
 */
void soft_deliver(struct soft_chan *sc, struct soft_desc *desc,
		  const struct dmaengine_result *res)
{
	struct soft_fault *f = &sc->sd->fault;
	unsigned long flags;

	soft_complete_cookie(sc, desc);

	if (res && res->result == DMA_TRANS_ABORTED)
		atomic64_inc(&f->aborted);
	else
		atomic64_inc(&f->completed);
	soft_tx_callback(&desc->tx, res);
	soft_desc_release(sc, desc);
	if (async_tx_test_ack(&desc->tx)) {
		kfree(desc);
	} else {
		spin_lock_irqsave(&sc->lock, flags);
		list_add_tail(&desc->node, &sc->unacked);
		spin_unlock_irqrestore(&sc->lock, flags);
	}
}

/**
 * soft_done() - the soft personality's done hook: report at once
 * @sc: the channel
 * @desc: the descriptor the worker finished
 * @res: how it went
 *
 * The callback runs in the worker, with the residue.
 */
void soft_done(struct soft_chan *sc, struct soft_desc *desc,
	       enum dmaengine_tx_result res)
{
	struct dmaengine_result result = {
		.result = res,
		.residue = desc->total - desc->done,
	};

	soft_deliver(sc, desc, &result);
}

static bool soft_stall_over(struct soft_chan *sc, int unstall)
{
	return READ_ONCE(sc->abort) || READ_ONCE(sc->dead) ||
	       READ_ONCE(sc->disabled) ||
	       atomic_read(&sc->sd->fault.unstall) != unstall;
}

/*
 * Run one descriptor: fail it, hold it or copy it. Returns false when it is
 * to be dropped: a stall ended by terminate, removal or a disabled wq. A
 * stall ended by a write to "unstall" copies, late.
 */
static bool soft_run(struct soft_chan *sc, struct soft_desc *desc,
		     enum dmaengine_tx_result *res)
{
	struct soft_fault *f = &sc->sd->fault;
	int unstall;

	switch (soft_fault_next(f)) {
	case SOFT_FAIL:
		*res = DMA_TRANS_WRITE_FAILED;
		return true;
	case SOFT_STALL:
		unstall = atomic_read(&f->unstall);
		WRITE_ONCE(sc->held, true);
		wait_event(sc->stall_wq, soft_stall_over(sc, unstall));
		WRITE_ONCE(sc->held, false);
		if (READ_ONCE(sc->abort) || READ_ONCE(sc->dead) ||
		    READ_ONCE(sc->disabled))
			return false;
		fallthrough;
	default:
		*res = soft_copy_desc(sc, desc);
		return true;
	}
}

/* The channel's engine: runs issued descriptors one at a time. */
static void soft_chan_work(struct work_struct *work)
{
	struct soft_chan *sc = container_of(work, struct soft_chan, work);
	enum dmaengine_tx_result res = DMA_TRANS_NOERROR;
	struct soft_desc *desc;
	bool keep;

	for (;;) {
		spin_lock_irq(&sc->lock);
		desc = soft_next(sc);
		if (!desc) {
			spin_unlock_irq(&sc->lock);
			return;
		}
		list_del_init(&desc->node);
		sc->active = desc;
		sc->abort = false;
		/* pt_core_perform_passthru: a command starts with the queue's int_en */
		desc->irq = READ_ONCE(sc->int_en);
		spin_unlock_irq(&sc->lock);

		keep = soft_run(sc, desc, &res);

		spin_lock_irq(&sc->lock);
		sc->active = NULL;
		if (sc->abort)
			keep = false;
		spin_unlock_irq(&sc->lock);
		if (!keep) {
			/* idxd_flush_pending_descs: one stuck in a disabled wq is dropped */
			if (READ_ONCE(sc->disabled))
				atomic64_inc(&sc->sd->fault.aborted);
			soft_desc_drop(sc, desc);
			continue;
		}
		sc->sd->pers->done(sc, desc, res);
		cond_resched();
	}
}

/**
 * soft_chan_held() - descriptors the channel's engine holds
 * @sc: the channel
 *
 * Return: those on its submitted, issued and done lists and the one being
 * copied; not those completed and waiting for the client's ack.
 */
unsigned int soft_chan_held(struct soft_chan *sc)
{
	unsigned long flags;
	unsigned int n;

	spin_lock_irqsave(&sc->lock, flags);
	n = list_count_nodes(&sc->submitted) + list_count_nodes(&sc->issued) +
	    list_count_nodes(&sc->done) + !!sc->active;
	spin_unlock_irqrestore(&sc->lock, flags);
	return n;
}

/**
 * soft_chan_kill() - the device is going away: stop the channel
 * @sc: the channel
 *
 * New descriptors are refused, queued ones dropped, a stalled one released,
 * all without callbacks; returns when the worker is idle.
 */
void soft_chan_kill(struct soft_chan *sc)
{
	unsigned long flags;

	spin_lock_irqsave(&sc->lock, flags);
	sc->dead = true;
	spin_unlock_irqrestore(&sc->lock, flags);
	wake_up_all(&sc->pool_wq);
	soft_chan_drop_all(sc, true);
}

/**
 * soft_chan_init() - set up one channel and add it to the device
 * @sd: the device
 * @sc: the channel
 */
void soft_chan_init(struct soft_dev *sd, struct soft_chan *sc)
{
	sc->sd = sd;
	spin_lock_init(&sc->lock);
	spin_lock_init(&sc->prep_lock);
	spin_lock_init(&sc->cleanup_lock);
	INIT_LIST_HEAD(&sc->submitted);
	INIT_LIST_HEAD(&sc->issued);
	INIT_LIST_HEAD(&sc->done);
	INIT_LIST_HEAD(&sc->unacked);
	INIT_WORK(&sc->work, soft_chan_work);
	init_waitqueue_head(&sc->stall_wq);
	init_waitqueue_head(&sc->pool_wq);
	if (sd->pers->chan_init)
		sd->pers->chan_init(sc);
	sc->chan.device = &sd->dma;
	sc->chan.cookie = DMA_MIN_COOKIE;
	sc->chan.completed_cookie = DMA_MIN_COOKIE;
	list_add_tail(&sc->chan.device_node, &sd->dma.channels);
}

/**
 * soft_dev_set_ops() - the soft personality's operations and capabilities
 * @dma: the device
 *
 * The other personalities start from these and take away or replace.
 */
void soft_dev_set_ops(struct dma_device *dma)
{
	dma_cap_set(DMA_MEMCPY, dma->cap_mask);
	/* like the hardware engines: only dma_request_channel() hands it out */
	dma_cap_set(DMA_PRIVATE, dma->cap_mask);
	dma->copy_align = DMAENGINE_ALIGN_1_BYTE;
	dma->descriptor_reuse = false;
	dma->residue_granularity = DMA_RESIDUE_GRANULARITY_BURST;
	dma->device_alloc_chan_resources = soft_alloc_chan_resources;
	dma->device_free_chan_resources = soft_free_chan_resources;
	dma->device_prep_dma_memcpy = soft_prep_memcpy;
	dma->device_issue_pending = soft_issue_pending;
	dma->device_tx_status = soft_tx_status;
	dma->device_terminate_all = soft_terminate_all;
	dma->device_synchronize = soft_synchronize;
}
