// SPDX-License-Identifier: GPL-2.0
/*
 * dma_soft personalities: the manners of the engines our users own, so
 * that a client meets them on a test VM. A personality is never kinder
 * than the engine it stands for; every rule below names the Linux 6.12
 * function whose behaviour it follows.
 *
 *         order   callback result           where callbacks run      removal
 *   soft  FIFO*   always, with residue      worker                   dma_ext told
 *   ioat  FIFO    none on success           worker, timer or         nobody told,
 *                 (the client sees NOERROR) tx_status caller: BH     no callbacks
 *                                           off, under cleanup_lock
 *   idxd  newest  always                    worker                   wq by wq
 *   ptdma FIFO    none, failure included    worker with IRQs off,    unregistered
 *                                           or a tx_status caller    before stopping;
 *                                                                    terminate stops
 *                                                                    nothing
 *   (* newest first with the out_of_order knob)
 *
 * ioat (drivers/dma/ioat/): a ring of descs slots per channel; a memcpy
 *   takes one slot per MiB and the last slot is never handed out. prep
 *   returns with prep_lock held (bottom halves off) and tx_submit drops
 *   it; past 7 pending slots the engine starts without issue_pending.
 *   Finished descriptors are delivered, in order, when one prepared with
 *   DMA_PREP_INTERRUPT (or a failed one) interrupts, when tx_status finds
 *   its cookie incomplete, or by the 200 ms completion timer. A failure
 *   aborts everything behind it, those callbacks run under prep_lock. Two
 *   timer periods without progress reset the channel: the stuck
 *   descriptor vanishes without a callback, the rest is aborted (only
 *   while the worker is held by a stall or a delay: a worker starved of
 *   CPU is dma_soft's slowness, not the engine's). There is no
 *   terminate_all and no synchronize.
 * idxd (drivers/dma/idxd/): prep may sleep for one of the wq's descs
 *   descriptors; tx_submit hands it to the engine at once. Only a
 *   descriptor prepared with DMA_PREP_INTERRUPT is ever reported: any
 *   other is copied but never called back and keeps its descriptor until
 *   the wq is disabled. tx_status says DMA_OUT_OF_ORDER. Disabling a wq
 *   unregisters its channel without telling the client, lets the engine
 *   finish, and drops what was never reported, without callbacks. No
 *   terminate_all, no synchronize.
 * ptdma (drivers/dma/ptdma/): one descriptor at a time; the queue's
 *   interrupt enable is that of the latest prep when a descriptor starts.
 *   Without it a finished descriptor holds the queue until a tx_status
 *   poll processes it. Failures are reported as success. terminate_all
 *   frees every descriptor but does not stop the one running, and
 *   synchronize waits for nothing: that copy goes on into memory the
 *   client may have handed back, and its completion completes the
 *   descriptor started next before it is copied, and so on down the
 *   queue (the command slot pt->tdata.cmd).
 *
 * Lock order: cleanup_lock -> prep_lock -> soft_chan.lock.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/jiffies.h>
#include <linux/slab.h>
#include <linux/string.h>
#include "soft.h"

#define SOFT_IOAT_XFERCAP	SZ_1M	/* slots per MiB of a memcpy */
#define SOFT_IOAT_PENDING	7	/* ioat_pending_level */
#define SOFT_IOAT_TIMEOUT	msecs_to_jiffies(200)	/* COMPLETION_TIMEOUT */
#define SOFT_IOAT_IDLE		msecs_to_jiffies(2000)	/* IDLE_TIMEOUT */
#define SOFT_IDXD_MAX_XFER	SZ_2M	/* a wq's default max_xfer_bytes, WQ_DEFAULT_MAX_XFER */
/* the residue of a result ioat and idxd build without setting it */
#define SOFT_RESIDUE_UNSET	U32_MAX

static void soft_segs_init(struct soft_desc *desc, dma_addr_t dst,
			   dma_addr_t src, size_t len)
{
	desc->segs[0].src = src;
	desc->segs[0].dst = dst;
	desc->segs[0].len = len;
	desc->total = len;
}

/* ---- soft ---- */

/*
 * Teardown: stop producers first. dma_ext clients are told and release
 * their channels; then every channel is stopped and the device leaves
 * dmaengine.
 */
static void soft_soft_remove(struct soft_dev *sd)
{
	unsigned int i;

	dmaext_unregister_provider(&sd->dma);
	for (i = 0; i < sd->nr_chans; i++)
		soft_chan_kill(&sd->chans[i]);
	debugfs_remove_recursive(sd->debugfs);
	dma_async_device_unregister(&sd->dma);
}

/* ---- ioat ---- */

static void soft_ioat_cleanup(struct soft_chan *sc);

/* Everything submitted goes to the engine. */
static bool __soft_ioat_issue(struct soft_chan *sc)
{
	lockdep_assert_held(&sc->lock);
	list_splice_tail_init(&sc->submitted, &sc->issued);
	sc->pending = 0;
	return !list_empty(&sc->issued);
}

static dma_cookie_t soft_ioat_tx_submit(struct dma_async_tx_descriptor *tx)
	__releases(&sc->prep_lock)
{
	struct soft_chan *sc = to_soft_chan(tx->chan);
	struct soft_desc *desc = to_soft_desc(tx);
	unsigned long flags;
	dma_cookie_t cookie;
	bool kick = false;

	spin_lock_irqsave(&sc->lock, flags);
	cookie = soft_cookie_assign(sc, tx);
	list_add_tail(&desc->node, &sc->submitted);
	sc->used += desc->slots;
	sc->pending += desc->slots;
	/* ioat_update_pending: past the high-water mark the ring starts unasked */
	if (sc->pending > SOFT_IOAT_PENDING)
		kick = __soft_ioat_issue(sc);
	spin_unlock_irqrestore(&sc->lock, flags);
	/* ioat_tx_submit_unlock: a channel turning busy starts its completion timer */
	if (!test_and_set_bit(SOFT_IOAT_ACTIVE, &sc->ioat_state))
		mod_timer(&sc->timer, jiffies + SOFT_IOAT_TIMEOUT);
	if (kick)
		soft_chan_kick(sc);
	/* ioat_tx_submit_unlock: drops the lock its prep returned with */
	spin_unlock_bh(&sc->prep_lock);
	return cookie;
}

/*
 * Returns a descriptor with prep_lock held (bottom halves off), or NULL
 * without it; the descriptor's tx_submit drops the lock.
 */
static struct dma_async_tx_descriptor *
soft_ioat_prep_memcpy(struct dma_chan *chan, dma_addr_t dst, dma_addr_t src,
		      size_t len, unsigned long flags)
	__acquires(&sc->prep_lock)
{
	struct soft_chan *sc = to_soft_chan(chan);
	unsigned int slots = DIV_ROUND_UP(len, SOFT_IOAT_XFERCAP);
	struct soft_desc *desc;
	unsigned long irqflags;
	bool room;

	/* ioat_dma_prep_memcpy_lock: a channel marked down takes nothing */
	if (!slots || READ_ONCE(sc->down))
		goto none;
	desc = soft_desc_alloc(sc, 1, flags);
	if (!desc)
		goto none;
	soft_segs_init(desc, dst, src, len);
	desc->tx.tx_submit = soft_ioat_tx_submit;

	/* ioat_check_space_lock: room only if a slot stays free, kept locked */
	spin_lock_bh(&sc->prep_lock);
	spin_lock_irqsave(&sc->lock, irqflags);
	room = !sc->down && !sc->dead && sc->sd->descs - sc->used > slots;
	spin_unlock_irqrestore(&sc->lock, irqflags);
	if (room) {
		desc->slots = slots;
		/* ioat_dma_prep_memcpy_lock: left locked for in-order submission */
		return &desc->tx;
	}
	spin_unlock_bh(&sc->prep_lock);
	atomic64_inc(&sc->sd->fault.ring_full);
	kfree(desc);
none:
	/* sparse: nothing is held, and no tx_submit follows a NULL prep */
	__acquire(&sc->prep_lock);
	return NULL;
}

/* ioat_issue_pending: under prep_lock */
static void soft_ioat_issue_pending(struct dma_chan *chan)
{
	struct soft_chan *sc = to_soft_chan(chan);
	unsigned long flags;
	bool kick;

	spin_lock_bh(&sc->prep_lock);
	spin_lock_irqsave(&sc->lock, flags);
	kick = __soft_ioat_issue(sc);
	spin_unlock_irqrestore(&sc->lock, flags);
	spin_unlock_bh(&sc->prep_lock);
	if (kick)
		soft_chan_kick(sc);
}

/*
 * ioat_abort_descs: everything still on the ring completes as aborted,
 * uncopied.
 */
static void soft_ioat_abort(struct soft_chan *sc)
{
	struct dmaengine_result res = {
		.result = DMA_TRANS_ABORTED,
		.residue = SOFT_RESIDUE_UNSET,
	};
	struct soft_desc *desc, *tmp;
	unsigned long flags;
	LIST_HEAD(ring);

	spin_lock_irqsave(&sc->lock, flags);
	list_splice_tail_init(&sc->issued, &ring);
	list_splice_tail_init(&sc->submitted, &ring);
	sc->pending = 0;
	spin_unlock_irqrestore(&sc->lock, flags);
	list_for_each_entry_safe(desc, tmp, &ring, node) {
		list_del_init(&desc->node);
		soft_deliver(sc, desc, &res);
	}
}

/* Deliver what the engine finished, oldest first; cleanup_lock held. */
static void __soft_ioat_cleanup(struct soft_chan *sc)
{
	struct dmaengine_result res = { .residue = SOFT_RESIDUE_UNSET };
	struct soft_desc *desc;
	bool progress = false;
	unsigned long flags;
	unsigned int used;

	lockdep_assert_held(&sc->cleanup_lock);
	for (;;) {
		spin_lock_irqsave(&sc->lock, flags);
		desc = list_first_entry_or_null(&sc->done, struct soft_desc, node);
		if (desc)
			list_del_init(&desc->node);
		spin_unlock_irqrestore(&sc->lock, flags);
		if (!desc)
			break;
		progress = true;
		if (desc->result == DMA_TRANS_NOERROR) {
			/* __ioat_cleanup: success calls back with no result */
			soft_deliver(sc, desc, NULL);
			continue;
		}
		/* ioat_eh: the failed descriptor reports its read or write error... */
		res.result = desc->result;
		soft_deliver(sc, desc, &res);
		/* ...and ioat_eh aborts the rest of the ring under prep_lock */
		spin_lock_bh(&sc->prep_lock);
		soft_ioat_abort(sc);
		spin_unlock_bh(&sc->prep_lock);
	}
	if (!progress)
		return;
	/* ioat_cleanup_preamble: progress restarts the completion timer */
	clear_bit(SOFT_IOAT_ACK, &sc->ioat_state);
	mod_timer(&sc->timer, jiffies + SOFT_IOAT_TIMEOUT);
	spin_lock_irqsave(&sc->lock, flags);
	used = sc->used;
	spin_unlock_irqrestore(&sc->lock, flags);
	/* __ioat_cleanup: with the ring empty the timer waits for idle */
	if (!used)
		mod_timer_pending(&sc->timer, jiffies + SOFT_IOAT_IDLE);
}

/* ioat_cleanup: callbacks run with bottom halves off, under cleanup_lock */
static void soft_ioat_cleanup(struct soft_chan *sc)
{
	spin_lock_bh(&sc->cleanup_lock);
	__soft_ioat_cleanup(sc);
	spin_unlock_bh(&sc->cleanup_lock);
}

/*
 * ioat_reboot_chan, from ioat_timer_event after two periods without
 * progress: the channel goes down, the descriptor at the ring's tail is
 * dropped with no callback (ioat_abort_descs skips it), the rest aborted.
 * cleanup_lock held.
 */
static void soft_ioat_reset(struct soft_chan *sc)
{
	struct soft_desc *stuck = NULL;
	unsigned long flags;
	bool dropped = true;

	lockdep_assert_held(&sc->cleanup_lock);
	spin_lock_bh(&sc->prep_lock);
	WRITE_ONCE(sc->down, true);
	spin_unlock_bh(&sc->prep_lock);

	spin_lock_irqsave(&sc->lock, flags);
	if (sc->active) {
		/* the worker drops it when it returns; its slots are free now */
		sc->abort = true;
		sc->used -= sc->active->slots;
		sc->active->slots = 0;
	} else {
		stuck = list_first_entry_or_null(&sc->issued, struct soft_desc, node);
		if (!stuck)
			stuck = list_first_entry_or_null(&sc->submitted,
							 struct soft_desc, node);
		if (stuck)
			list_del_init(&stuck->node);
		else
			dropped = false;
	}
	spin_unlock_irqrestore(&sc->lock, flags);
	wake_up_all(&sc->stall_wq);
	if (stuck)
		soft_desc_drop(sc, stuck);
	if (dropped)
		atomic64_inc(&sc->sd->fault.aborted);
	soft_ioat_abort(sc);
	dev_warn(sc->sd->dev, "channel %u: no progress in %u ms, reset\n",
		 sc->chan.chan_id, 2 * jiffies_to_msecs(SOFT_IOAT_TIMEOUT));

	spin_lock_bh(&sc->prep_lock);
	WRITE_ONCE(sc->down, false);
	spin_unlock_bh(&sc->prep_lock);
	clear_bit(SOFT_IOAT_ACK, &sc->ioat_state);
	mod_timer(&sc->timer, jiffies + SOFT_IOAT_TIMEOUT);
}

/* ioat_timer_event: the completion timer, in softirq context */
static void soft_ioat_timer(struct timer_list *t)
{
	struct soft_chan *sc = from_timer(sc, t, timer);
	bool busy, progress, unissued;
	unsigned long flags;

	spin_lock_bh(&sc->cleanup_lock);
	spin_lock_irqsave(&sc->lock, flags);
	busy = sc->used;
	progress = !list_empty(&sc->done);
	unissued = !list_empty(&sc->submitted);
	spin_unlock_irqrestore(&sc->lock, flags);

	if (!busy) {
		/* check_active: under prep_lock against a racing tx_submit */
		spin_lock_bh(&sc->prep_lock);
		if (READ_ONCE(sc->used))
			mod_timer(&sc->timer, jiffies + SOFT_IOAT_TIMEOUT);
		else
			clear_bit(SOFT_IOAT_ACTIVE, &sc->ioat_state);
		spin_unlock_bh(&sc->prep_lock);
	} else if (progress) {
		/* ioat_timer_event: the missed cleanup case */
		__soft_ioat_cleanup(sc);
	} else if (test_bit(SOFT_IOAT_ACK, &sc->ioat_state) && READ_ONCE(sc->held)) {
		soft_ioat_reset(sc);
	} else {
		/* ioat_timer_event: the missed issue_pending case */
		if (unissued) {
			dev_warn(sc->sd->dev,
				 "channel %u: completion timeout with pending descriptors\n",
				 sc->chan.chan_id);
			soft_ioat_issue_pending(&sc->chan);
		}
		/*
		 * Hardware never waits for a CPU: only a worker held by a
		 * stall or a delay counts as an engine without progress.
		 */
		if (READ_ONCE(sc->held))
			set_bit(SOFT_IOAT_ACK, &sc->ioat_state);
		else
			clear_bit(SOFT_IOAT_ACK, &sc->ioat_state);
		mod_timer(&sc->timer, jiffies + SOFT_IOAT_TIMEOUT);
	}
	spin_unlock_bh(&sc->cleanup_lock);
}

static void soft_ioat_done(struct soft_chan *sc, struct soft_desc *desc,
			   enum dmaengine_tx_result res)
{
	unsigned long flags;

	desc->result = res;
	spin_lock_irqsave(&sc->lock, flags);
	list_add_tail(&desc->node, &sc->done);
	spin_unlock_irqrestore(&sc->lock, flags);
	/* ioat_dma_prep_memcpy_lock: int_en with DMA_PREP_INTERRUPT; a halt always interrupts */
	if (res == DMA_TRANS_NOERROR && !(desc->tx.flags & DMA_PREP_INTERRUPT))
		return;
	atomic64_inc(&sc->sd->fault.interrupts);
	/* ioat_dma_do_interrupt_msix -> ioat_cleanup_event */
	soft_ioat_cleanup(sc);
}

/* ioat_tx_status: a cookie not yet complete makes the caller clean up */
static enum dma_status soft_ioat_tx_status(struct dma_chan *chan,
					   dma_cookie_t cookie,
					   struct dma_tx_state *state)
{
	enum dma_status status = soft_cookie_status(chan, cookie, state);

	if (status == DMA_COMPLETE)
		return status;
	soft_ioat_cleanup(to_soft_chan(chan));
	return soft_cookie_status(chan, cookie, state);
}

/*
 * ioat_free_chan_resources: stop the timer, deliver what finished, then
 * free the whole ring; what was still on it gets no callback.
 */
static void soft_ioat_free_chan_resources(struct dma_chan *chan)
{
	struct soft_chan *sc = to_soft_chan(chan);
	unsigned long flags;
	unsigned int n;

	timer_delete_sync(&sc->timer);
	soft_ioat_cleanup(sc);
	spin_lock_irqsave(&sc->lock, flags);
	n = sc->used;
	spin_unlock_irqrestore(&sc->lock, flags);
	if (n)
		dev_err(sc->sd->dev, "channel %u: freeing %u in use slots\n",
			chan->chan_id, n);
	soft_chan_drop_all(sc, true);
	/* the next tx_submit starts the timer afresh */
	clear_bit(SOFT_IOAT_ACTIVE, &sc->ioat_state);
	clear_bit(SOFT_IOAT_ACK, &sc->ioat_state);
	soft_free_unacked(sc);
}

static void soft_ioat_chan_init(struct soft_chan *sc)
{
	timer_setup(&sc->timer, soft_ioat_timer, 0);
}

static void soft_ioat_set_ops(struct dma_device *dma)
{
	soft_dev_set_ops(dma);
	/* ioat leaves the granularity at descriptor */
	dma->residue_granularity = DMA_RESIDUE_GRANULARITY_DESCRIPTOR;
	dma->device_prep_dma_memcpy = soft_ioat_prep_memcpy;
	dma->device_issue_pending = soft_ioat_issue_pending;
	dma->device_tx_status = soft_ioat_tx_status;
	dma->device_free_chan_resources = soft_ioat_free_chan_resources;
	/* ioat3_dma_probe: no terminate_all, no synchronize */
	dma->device_terminate_all = NULL;
	dma->device_synchronize = NULL;
}

/*
 * ioat_remove -> ioat_shutdown: each channel is marked down, its timer
 * stopped and the engine reset: what it held vanishes without callbacks.
 * Then ioat_dma_remove unregisters. Clients are not told.
 */
static void soft_ioat_remove(struct soft_dev *sd)
{
	unsigned int i;

	debugfs_remove_recursive(sd->debugfs);
	for (i = 0; i < sd->nr_chans; i++) {
		struct soft_chan *sc = &sd->chans[i];

		spin_lock_bh(&sc->prep_lock);
		WRITE_ONCE(sc->down, true);
		spin_unlock_bh(&sc->prep_lock);
		timer_shutdown_sync(&sc->timer);
		soft_chan_kill(sc);
	}
	dma_async_device_unregister(&sd->dma);
}

/* ---- idxd ---- */

static bool soft_idxd_can_get(struct soft_chan *sc)
{
	return READ_ONCE(sc->used) < sc->sd->descs;
}

/*
 * idxd_alloc_desc: one of the wq's descriptors; sleeps while there is none,
 * woken only by a descriptor freed (or a signal). A wq disable wakes
 * nobody (__idxd_wq_quiesce()): the sleeper gets one of the descriptors
 * idxd_flush_pending_descs() frees, after its channel was freed.
 */
static bool soft_idxd_get(struct soft_chan *sc)
{
	unsigned long flags;
	bool got;

	for (;;) {
		spin_lock_irqsave(&sc->lock, flags);
		got = sc->used < sc->sd->descs;
		if (got)
			sc->used++;
		spin_unlock_irqrestore(&sc->lock, flags);
		if (got)
			return true;
		atomic64_inc(&sc->sd->fault.prep_sleeps);
		atomic_inc(&sc->sd->fault.prep_asleep);
		/* idxd_alloc_desc: the wait is interruptible, a signal gives up */
		if (wait_event_interruptible(sc->pool_wq, soft_idxd_can_get(sc))) {
			atomic_dec(&sc->sd->fault.prep_asleep);
			return false;
		}
		atomic_dec(&sc->sd->fault.prep_asleep);
	}
}

/*
 * idxd_unregister_dma_channel() frees the channel (kfree(idxd_chan)) as
 * soon as it has left dmaengine: a client that calls into it afterwards
 * reads freed memory. dma_soft keeps the memory and says so instead.
 */
static bool soft_idxd_gone(struct soft_chan *sc, const char *op)
{
	if (!READ_ONCE(sc->gone))
		return false;
	WARN(1, "dma_soft: idxd channel %u used (%s) after idxd freed it\n",
	     sc->chan.chan_id, op);
	return true;
}

static dma_cookie_t soft_idxd_tx_submit(struct dma_async_tx_descriptor *tx)
{
	struct soft_chan *sc = to_soft_chan(tx->chan);
	struct soft_desc *desc = to_soft_desc(tx);
	unsigned long flags;
	dma_cookie_t cookie;
	int err = 0;

	if (soft_idxd_gone(sc, "tx_submit")) {
		soft_desc_drop(sc, desc);
		return -ENXIO;
	}
	spin_lock_irqsave(&sc->lock, flags);
	/* idxd_dma_tx_submit: the cookie is taken first, whatever follows */
	cookie = soft_cookie_assign(sc, tx);
	/* idxd_submit_desc: -EIO once the device goes, -ENXIO once the wq is quiesced */
	if (sc->dead)
		err = -EIO;
	else if (sc->disabled)
		err = -ENXIO;
	else
		list_add_tail(&desc->node, &sc->issued);
	spin_unlock_irqrestore(&sc->lock, flags);
	if (err) {
		/* idxd_dma_tx_submit: the refused descriptor goes back to the pool */
		soft_desc_drop(sc, desc);
		return err;
	}
	/* idxd_submit_desc: no pending list, the engine has it at once */
	soft_chan_kick(sc);
	return cookie;
}

static struct dma_async_tx_descriptor *
soft_idxd_prep_memcpy(struct dma_chan *chan, dma_addr_t dst, dma_addr_t src,
		      size_t len, unsigned long flags)
{
	struct soft_chan *sc = to_soft_chan(chan);
	struct soft_desc *desc;
	unsigned long irqflags;

	/* idxd_alloc_desc may sleep, so a prep must always be allowed to */
	might_sleep();
	if (soft_idxd_gone(sc, "prep"))
		return NULL;
	/* idxd_dma_submit_memcpy: nothing from a disabled wq or above its max transfer */
	if (READ_ONCE(sc->disabled) || !len || len > SOFT_IDXD_MAX_XFER)
		return NULL;
	if (!soft_idxd_get(sc))
		return NULL;
	/* idxd_dma_submit_memcpy: no second look at the wq once it has one */
	desc = __soft_desc_alloc(sc, 1, flags);
	if (!desc) {
		spin_lock_irqsave(&sc->lock, irqflags);
		sc->used--;
		spin_unlock_irqrestore(&sc->lock, irqflags);
		wake_up(&sc->pool_wq);
		return NULL;
	}
	desc->slots = 1;
	soft_segs_init(desc, dst, src, len);
	desc->tx.tx_submit = soft_idxd_tx_submit;
	return &desc->tx;
}

/* idxd_dma_issue_pending: nothing to do, tx_submit already did it */
static void soft_idxd_issue_pending(struct dma_chan *chan)
{
	soft_idxd_gone(to_soft_chan(chan), "issue_pending");
}

/* idxd_dma_tx_status: nothing to tell, and the state is left untouched */
static enum dma_status soft_idxd_tx_status(struct dma_chan *chan,
					   dma_cookie_t cookie,
					   struct dma_tx_state *state)
{
	return DMA_OUT_OF_ORDER;
}

static void soft_idxd_done(struct soft_chan *sc, struct soft_desc *desc,
			   enum dmaengine_tx_result res)
{
	struct dmaengine_result result = {
		.result = res,
		.residue = SOFT_RESIDUE_UNSET,
	};
	unsigned long flags;

	/*
	 * idxd_submit_desc: only a descriptor that asked for an interrupt
	 * goes on the list the interrupt thread completes; any other is
	 * never called back and keeps its descriptor.
	 */
	if (!(desc->tx.flags & DMA_PREP_INTERRUPT)) {
		spin_lock_irqsave(&sc->lock, flags);
		list_add_tail(&desc->node, &sc->done);
		spin_unlock_irqrestore(&sc->lock, flags);
		return;
	}
	atomic64_inc(&sc->sd->fault.interrupts);
	/* idxd_dma_complete_txd: from the threaded irq, always with a result */
	soft_deliver(sc, desc, &result);
}

/* idxd_dma_free_chan_resources: only a wq reference goes; nothing stops */
static void soft_idxd_free_chan_resources(struct dma_chan *chan)
{
	if (soft_idxd_gone(to_soft_chan(chan), "free_chan_resources"))
		return;
	soft_free_unacked(to_soft_chan(chan));
}

/**
 * soft_idxd_wq_disable() - disable the work queue behind one channel
 * @sd: the device, personality idxd
 * @idx: the channel, 0..nr_chans - 1
 *
 * In the order of idxd_dmaengine_drv_remove(): the wq stops taking
 * descriptors, a prep asleep for a descriptor sleeps on; the channel
 * leaves dmaengine, its client not told, and is freed (calls into it
 * afterwards warn); the engine finishes what it holds; what was never
 * reported is dropped with no callback, which frees descriptors a
 * sleeping prep then takes. The channel stays disabled. Sleeps.
 *
 * Return: 0, -EINVAL for no such channel, -EBUSY if it is disabled already.
 */
int soft_idxd_wq_disable(struct soft_dev *sd, unsigned int idx)
{
	struct soft_chan *sc;
	unsigned long flags;
	unsigned int n;
	LIST_HEAD(flush);

	if (idx >= sd->nr_chans)
		return -EINVAL;
	sc = &sd->chans[idx];
	spin_lock_irqsave(&sc->lock, flags);
	if (sc->disabled) {
		spin_unlock_irqrestore(&sc->lock, flags);
		return -EBUSY;
	}
	/* __idxd_wq_quiesce: no more submissions; a sleeping prep is not woken */
	sc->disabled = true;
	spin_unlock_irqrestore(&sc->lock, flags);
	wake_up_all(&sc->stall_wq);

	/* idxd_unregister_dma_channel: off dmaengine and the device's list, freed */
	dma_async_device_channel_unregister(&sd->dma, &sc->chan);
	list_del(&sc->chan.device_node);
	WRITE_ONCE(sc->gone, true);

	/* idxd_wq_drain: the engine finishes what it was given, a stuck one excepted */
	flush_work(&sc->work);

	/* idxd_flush_pending_descs: clears the callbacks, then frees what is left */
	spin_lock_irqsave(&sc->lock, flags);
	sc->dead = true;
	list_splice_tail_init(&sc->issued, &flush);
	list_splice_tail_init(&sc->done, &flush);
	spin_unlock_irqrestore(&sc->lock, flags);
	n = soft_free_list(sc, &flush);
	atomic64_add(n, &sd->fault.aborted);
	dev_info(sd->dev, "channel %u: wq disabled, %u unreported descriptors dropped\n",
		 idx, n);
	return 0;
}

static void soft_idxd_set_ops(struct dma_device *dma)
{
	soft_dev_set_ops(dma);
	/* idxd_register_dma_device: completions come in no particular order */
	dma_cap_set(DMA_COMPLETION_NO_ORDER, dma->cap_mask);
	dma->residue_granularity = DMA_RESIDUE_GRANULARITY_DESCRIPTOR;
	dma->device_prep_dma_memcpy = soft_idxd_prep_memcpy;
	dma->device_issue_pending = soft_idxd_issue_pending;
	dma->device_tx_status = soft_idxd_tx_status;
	dma->device_free_chan_resources = soft_idxd_free_chan_resources;
	/* idxd_register_dma_device: no terminate_all, no synchronize */
	dma->device_terminate_all = NULL;
	dma->device_synchronize = NULL;
}

/* idxd_remove: each wq goes as for wq_disable, then the dma_device */
static void soft_idxd_remove(struct soft_dev *sd)
{
	unsigned int i;

	debugfs_remove_recursive(sd->debugfs);
	for (i = 0; i < sd->nr_chans; i++) {
		soft_idxd_wq_disable(sd, i);
		soft_chan_kill(&sd->chans[i]);
	}
	dma_async_device_unregister(&sd->dma);
}

/* ---- ptdma ---- */

static struct dma_async_tx_descriptor *
soft_ptdma_prep_memcpy(struct dma_chan *chan, dma_addr_t dst, dma_addr_t src,
		       size_t len, unsigned long flags)
{
	struct soft_chan *sc = to_soft_chan(chan);
	struct soft_desc *desc;

	if (!len)
		return NULL;
	desc = soft_desc_alloc(sc, 1, flags);
	if (!desc)
		return NULL;
	soft_segs_init(desc, dst, src, len);
	/* pt_alloc_dma_desc: the queue's interrupt enable follows the latest prep */
	WRITE_ONCE(sc->int_en, !!(flags & DMA_PREP_INTERRUPT));
	return &desc->tx;
}

/*
 * pt_handle_active_desc: the finished descriptor completes its cookie and
 * calls back with no result, failed or not; then the next one starts.
 */
static void soft_ptdma_process(struct soft_chan *sc)
{
	struct dma_async_tx_descriptor early = {};
	struct soft_desc *desc, *next;
	unsigned long flags;

	spin_lock_irqsave(&sc->lock, flags);
	desc = list_first_entry_or_null(&sc->done, struct soft_desc, node);
	if (desc)
		list_del_init(&desc->node);
	/*
	 * pt_do_cmd_complete: a completion calls back pt->tdata.cmd, the
	 * command started last. After a terminate freed the running one,
	 * that is the one started behind it, still to be copied: it is
	 * completed early, and its own completion does the same to the next.
	 */
	if (desc && desc->shifted) {
		next = list_first_entry_or_null(&sc->issued, struct soft_desc, node);
		/*
		 * Once unlocked, the worker may copy and drop it: what its
		 * early callback needs is taken now.
		 */
		if (next && !next->shifted) {
			next->shifted = true;
			sc->chan.completed_cookie = next->tx.cookie;
			early.callback = next->tx.callback;
			early.callback_result = next->tx.callback_result;
			early.callback_param = next->tx.callback_param;
		}
	}
	spin_unlock_irqrestore(&sc->lock, flags);
	if (!desc)
		return;
	if (!desc->shifted) {
		soft_deliver(sc, desc, NULL);
	} else {
		/* freed by the terminate, or already called back early */
		soft_desc_drop(sc, desc);
		if (early.callback || early.callback_result) {
			atomic64_inc(&sc->sd->fault.early_completions);
			soft_tx_callback(&early, NULL);
		}
	}
	soft_chan_kick(sc);
}

static void soft_ptdma_done(struct soft_chan *sc, struct soft_desc *desc,
			    enum dmaengine_tx_result res)
{
	unsigned long flags;

	/* pt_cmd_callback: an error only marks the descriptor, nobody reads it */
	spin_lock_irqsave(&sc->lock, flags);
	list_add_tail(&desc->node, &sc->done);
	spin_unlock_irqrestore(&sc->lock, flags);
	/* pt_core_perform_passthru: without int_en the command waits for a poll */
	if (!desc->irq)
		return;
	atomic64_inc(&sc->sd->fault.interrupts);
	/* pt_core_irq_handler: processed in hard interrupt context */
	local_irq_save(flags);
	soft_ptdma_process(sc);
	local_irq_restore(flags);
}

/* pt_tx_status: the poll processes a finished command, in the caller's context */
static enum dma_status soft_ptdma_tx_status(struct dma_chan *chan,
					    dma_cookie_t cookie,
					    struct dma_tx_state *state)
{
	soft_ptdma_process(to_soft_chan(chan));
	return soft_cookie_status(chan, cookie, state);
}

/*
 * pt_terminate_all: clears the queue's interrupt status and frees every
 * descriptor, the one the queue is running included. Nothing stops the
 * queue: that command is copied to the end, and its completion completes
 * whatever was started after it (soft_ptdma_process()). A stalled one
 * stays stalled.
 */
static int soft_ptdma_terminate_all(struct dma_chan *chan)
{
	struct soft_chan *sc = to_soft_chan(chan);
	unsigned long flags;
	LIST_HEAD(dropped);

	spin_lock_irqsave(&sc->lock, flags);
	soft_chan_take_queued(sc, &dropped);
	if (sc->active)
		sc->active->shifted = true;
	spin_unlock_irqrestore(&sc->lock, flags);
	soft_free_list(sc, &dropped);
	return 0;
}

/*
 * pt_synchronize is vchan_synchronize(): it waits for the virt-dma
 * tasklet, which ptdma does not complete from, and for nothing of the
 * hardware queue.
 */
static void soft_ptdma_synchronize(struct dma_chan *chan)
{
}

/* pt_free_chan_resources: vchan_free_chan_resources(), the queue runs on */
static void soft_ptdma_free_chan_resources(struct dma_chan *chan)
{
	soft_ptdma_terminate_all(chan);
	soft_free_unacked(to_soft_chan(chan));
}

static void soft_ptdma_set_ops(struct dma_device *dma)
{
	soft_dev_set_ops(dma);
	/* pt_dmaengine_register */
	dma->residue_granularity = DMA_RESIDUE_GRANULARITY_DESCRIPTOR;
	dma->device_prep_dma_memcpy = soft_ptdma_prep_memcpy;
	dma->device_tx_status = soft_ptdma_tx_status;
	dma->device_terminate_all = soft_ptdma_terminate_all;
	dma->device_synchronize = soft_ptdma_synchronize;
	dma->device_free_chan_resources = soft_ptdma_free_chan_resources;
}

/* pt_core_destroy: pt_dmaengine_unregister first, the queue stopped after */
static void soft_ptdma_remove(struct soft_dev *sd)
{
	unsigned int i;

	debugfs_remove_recursive(sd->debugfs);
	dma_async_device_unregister(&sd->dma);
	for (i = 0; i < sd->nr_chans; i++)
		soft_chan_kill(&sd->chans[i]);
}

/* ---- the table ---- */

const struct soft_pers soft_pers_soft = {
	.name = "soft",
	.native = true,
	.set_ops = soft_dev_set_ops,
	.done = soft_done,
	.remove = soft_soft_remove,
};

static const struct soft_pers soft_pers_ioat = {
	.name = "ioat",
	.model = "ioatdma",
	.default_descs = 1 << 16,	/* ioat_alloc_chan_resources: 1 << IOAT_MAX_ORDER */
	.in_order = true,
	.set_ops = soft_ioat_set_ops,
	.chan_init = soft_ioat_chan_init,
	.done = soft_ioat_done,
	.remove = soft_ioat_remove,
};

static const struct soft_pers soft_pers_idxd = {
	.name = "idxd",
	.model = "idxd",
	.default_descs = 16,		/* idxd_wq_config_write: WQ_DEFAULT_QUEUE_DEPTH */
	.newest_first = true,
	.has_wq = true,
	.set_ops = soft_idxd_set_ops,
	.done = soft_idxd_done,
	.remove = soft_idxd_remove,
};

static const struct soft_pers soft_pers_ptdma = {
	.name = "ptdma",
	.model = "ptdma",
	.in_order = true,
	.held_until_seen = true,
	.set_ops = soft_ptdma_set_ops,
	.done = soft_ptdma_done,
	.remove = soft_ptdma_remove,
};

static const struct soft_pers *const soft_perses[] = {
	&soft_pers_soft, &soft_pers_ioat, &soft_pers_idxd, &soft_pers_ptdma,
};

/**
 * soft_pers_find() - look a personality up by name
 * @name: as given to the module parameter (a trailing newline is fine)
 *
 * Return: the personality, or NULL.
 */
const struct soft_pers *soft_pers_find(const char *name)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(soft_perses); i++)
		if (sysfs_streq(name, soft_perses[i]->name))
			return soft_perses[i];
	return NULL;
}
