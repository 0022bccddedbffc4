// SPDX-License-Identifier: GPL-2.0
/*
 * dma_soft channels: the dmaengine provider side.
 *
 * Descriptor lifecycle, each state being the list the descriptor is on:
 *   prep -> (owned by the client) -> tx_submit: submitted
 *   issue_pending: submitted -> issued, and the channel worker is kicked
 *   worker: issued -> active -> callback -> freed (or unacked until the
 *           client acks it)
 *   terminate_all: submitted and issued are freed without callbacks, the
 *           active one is dropped by the worker when it returns
 * Callbacks run in the worker, never under the channel lock, and never in
 * the submitter's context.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/dma-mapping.h>
#include <linux/slab.h>
#include "soft.h"

unsigned int soft_max_batch = 256;

static void soft_desc_free(struct soft_desc *desc)
{
	kfree(desc);
}

static void soft_free_list(struct list_head *list)
{
	struct soft_desc *desc, *tmp;

	list_for_each_entry_safe(desc, tmp, list, node) {
		list_del(&desc->node);
		soft_desc_free(desc);
	}
}

static dma_cookie_t soft_tx_submit(struct dma_async_tx_descriptor *tx)
{
	struct soft_chan *sc = to_soft_chan(tx->chan);
	struct dma_chan *chan = &sc->chan;
	unsigned long flags;
	dma_cookie_t cookie;

	spin_lock_irqsave(&sc->lock, flags);
	cookie = chan->cookie + 1;
	if (cookie < DMA_MIN_COOKIE)
		cookie = DMA_MIN_COOKIE;
	chan->cookie = cookie;
	tx->cookie = cookie;
	list_add_tail(&to_soft_desc(tx)->node, &sc->submitted);
	spin_unlock_irqrestore(&sc->lock, flags);
	return cookie;
}

static struct soft_desc *soft_desc_alloc(struct soft_chan *sc, unsigned int nr,
					 unsigned long flags)
{
	struct soft_desc *desc;

	if (READ_ONCE(sc->dead))
		return NULL;
	/* prep may be called in atomic context */
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

static int soft_terminate_all(struct dma_chan *chan)
{
	struct soft_chan *sc = to_soft_chan(chan);
	unsigned long flags;
	LIST_HEAD(dropped);

	spin_lock_irqsave(&sc->lock, flags);
	list_splice_tail_init(&sc->submitted, &dropped);
	list_splice_tail_init(&sc->issued, &dropped);
	if (sc->active)
		sc->abort = true;
	spin_unlock_irqrestore(&sc->lock, flags);
	wake_up_all(&sc->stall_wq);
	soft_free_list(&dropped);
	return 0;
}

static void soft_synchronize(struct dma_chan *chan)
{
	/* waits for the worker, and so for any callback it is running */
	flush_work(&to_soft_chan(chan)->work);
}

static int soft_alloc_chan_resources(struct dma_chan *chan)
{
	return READ_ONCE(to_soft_chan(chan)->dead) ? -ENODEV : 0;
}

static void soft_free_chan_resources(struct dma_chan *chan)
{
	struct soft_chan *sc = to_soft_chan(chan);
	unsigned long flags;
	LIST_HEAD(unacked);

	soft_terminate_all(chan);
	soft_synchronize(chan);
	spin_lock_irqsave(&sc->lock, flags);
	list_splice_tail_init(&sc->unacked, &unacked);
	spin_unlock_irqrestore(&sc->lock, flags);
	soft_free_list(&unacked);
}

static struct soft_desc *soft_next(struct soft_chan *sc)
{
	lockdep_assert_held(&sc->lock);
	if (list_empty(&sc->issued) || sc->dead)
		return NULL;
	if (READ_ONCE(sc->sd->fault.out_of_order.val))
		return list_last_entry(&sc->issued, struct soft_desc, node);
	return list_first_entry(&sc->issued, struct soft_desc, node);
}

/* Tell the client, the way its descriptor asked to be told. */
static void soft_callback(struct soft_desc *desc, const struct dmaengine_result *res)
{
	struct dma_async_tx_descriptor *tx = &desc->tx;

	if (tx->callback_result)
		tx->callback_result(tx->callback_param, res);
	else if (tx->callback)
		tx->callback(tx->callback_param);
}

static enum dmaengine_tx_result soft_run(struct soft_chan *sc, struct soft_desc *desc)
{
	switch (soft_fault_next(&sc->sd->fault)) {
	case SOFT_FAIL:
		return DMA_TRANS_WRITE_FAILED;
	case SOFT_STALL:
		wait_event(sc->stall_wq, READ_ONCE(sc->abort) || READ_ONCE(sc->dead));
		return DMA_TRANS_ABORTED;
	default:
		return soft_copy_desc(sc, desc);
	}
}

/* The channel's engine: runs issued descriptors one at a time. */
static void soft_chan_work(struct work_struct *work)
{
	struct soft_chan *sc = container_of(work, struct soft_chan, work);
	struct dmaengine_result result;
	struct soft_desc *desc;
	bool dropped;

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
		spin_unlock_irq(&sc->lock);

		result.result = soft_run(sc, desc);
		result.residue = desc->total - desc->done;

		spin_lock_irq(&sc->lock);
		sc->active = NULL;
		dropped = sc->abort;
		if (!dropped)
			sc->chan.completed_cookie = desc->tx.cookie;
		spin_unlock_irq(&sc->lock);
		if (dropped) {
			soft_desc_free(desc);
			continue;
		}

		atomic64_inc(&sc->sd->fault.completed);
		soft_callback(desc, &result);
		if (async_tx_test_ack(&desc->tx)) {
			soft_desc_free(desc);
		} else {
			spin_lock_irq(&sc->lock);
			list_add_tail(&desc->node, &sc->unacked);
			spin_unlock_irq(&sc->lock);
		}
		cond_resched();
	}
}

/**
 * soft_chan_kill() - the device is going away: stop the channel
 * @sc: the channel
 *
 * New descriptors are refused, queued ones dropped, a stalled one released.
 */
void soft_chan_kill(struct soft_chan *sc)
{
	unsigned long flags;

	spin_lock_irqsave(&sc->lock, flags);
	sc->dead = true;
	spin_unlock_irqrestore(&sc->lock, flags);
	soft_terminate_all(&sc->chan);
	flush_work(&sc->work);
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
	INIT_LIST_HEAD(&sc->submitted);
	INIT_LIST_HEAD(&sc->issued);
	INIT_LIST_HEAD(&sc->unacked);
	INIT_WORK(&sc->work, soft_chan_work);
	init_waitqueue_head(&sc->stall_wq);
	sc->chan.device = &sd->dma;
	sc->chan.cookie = DMA_MIN_COOKIE;
	sc->chan.completed_cookie = DMA_MIN_COOKIE;
	list_add_tail(&sc->chan.device_node, &sd->dma.channels);
}

/**
 * soft_dev_set_ops() - fill in the dma_device operations and capabilities
 * @sd: the device
 */
void soft_dev_set_ops(struct soft_dev *sd)
{
	struct dma_device *dma = &sd->dma;

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
