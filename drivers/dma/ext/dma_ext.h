/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dma_ext: request-level memory-to-memory DMA on top of dmaengine.
 *
 * A client hands one copy request -- source and destination scatterlists
 * of equal length, already DMA-mapped against dmaext_dma_device() -- to
 * dmaext_submit(). dma_ext splits and merges the segments to fit the
 * engine, prepares every descriptor (or one native batch where the
 * provider registered dmaext_provider_ops), issues them with a single
 * dma_async_issue_pending() and calls the client's ->done() exactly once
 * when all of them have finished, with 0 or a negative errno.
 *
 * Nothing in the submit path allocates: the per-request state, including
 * room for the split segments, is allocated by the caller with the size
 * dmaext_req_size() gives. dma_ext holds no lock across the engine's own
 * calls, which may sleep (idxd) or take spin_lock_bh (ioatdma): see
 * dmaext_submit() for the context a caller must provide.
 *
 * dma_ext never completes a request while its engine may still write for
 * it: an engine that cannot be terminated (ioatdma, idxd), or whose
 * terminate leaves the hardware running (ptdma), is waited for,
 * and requests it does not finish stay in flight (the channel is
 * quarantined) until it does, or until its device has lost its driver.
 */
#ifndef _DMA_EXT_H
#define _DMA_EXT_H

#include <linux/dmaengine.h>
#include <linux/list.h>
#include <linux/scatterlist.h>
#include <linux/types.h>

struct dmaext_chan;
struct dmaext_req;

/**
 * struct dmaext_seg - one contiguous copy
 * @src: source DMA address
 * @dst: destination DMA address
 * @len: bytes
 */
struct dmaext_seg {
	dma_addr_t src;
	dma_addr_t dst;
	u32 len;
	/* private: which request and submission a descriptor callback is for */
	u16 idx;
	u16 gen;
} __aligned(8);	/* dma_ext keeps a submission tag in a pointer's low bits */

/**
 * typedef dmaext_done_t - request completion callback
 * @req: the request
 * @status: 0, -EIO when a descriptor failed, -ECANCELED when the request
 *	was aborted, -ENODEV when its engine went away
 *
 * Called exactly once per submitted request, from the engine's completion
 * context, from an abort or removal in process context, or from
 * dmaext_submit() itself, and never under a channel lock. The engine's
 * completion context may be hard interrupt context (ptdma calls back from
 * its IRQ handler), a softirq (ioatdma's tasklet), an IRQ thread (idxd) or
 * a worker (dma_soft); a callback with work that is long or sleeps hands
 * it to process context. Whatever the status, the engine is done
 * with the request's buffers. The request may be reused or freed from
 * within the callback.
 */
typedef void (*dmaext_done_t)(struct dmaext_req *req, int status);

/**
 * struct dmaext_req - one copy request
 * @src: DMA-mapped source scatterlist
 * @dst: DMA-mapped destination scatterlist
 * @src_nents: entries of @src as returned by dma_map_sg()
 * @dst_nents: entries of @dst as returned by dma_map_sg()
 * @done: completion callback
 * @context: for the caller
 *
 * The caller fills in the fields above; the rest is private to dma_ext.
 * Allocate dmaext_req_size() zeroed bytes (8-aligned, as kzalloc() gives)
 * and initialise with dmaext_req_init().
 */
struct dmaext_req {
	struct scatterlist *src;
	struct scatterlist *dst;
	unsigned int src_nents;
	unsigned int dst_nents;
	dmaext_done_t done;
	void *context;

	/* private: */
	struct dmaext_chan *chan;
	struct list_head node;		/* on chan->inflight, under chan->lock */
	atomic_t pending;		/* descriptors not finished + 1 */
	int status;			/* first error, set with cmpxchg */
	u16 gen;			/* submission count, never 0 once submitted */
	u8 dropped_seen;		/* passes that found it dropped, under lock */
	dma_cookie_t last_cookie;	/* of its last descriptor submitted */
	unsigned int max_segs;
	unsigned int nr_segs;
	struct dmaext_seg segs[];
};

/*
 * Capabilities of a channel (dmaext_chan_caps()), declared by its provider
 * (struct dmaext_provider_ops) and fixed for the channel's life.
 *
 * DMAEXT_CAP_DURABLE_WRITES: when a request completes with status 0, what
 * it wrote into persistent memory is in the platform's persistence domain:
 * the engine wrote around the CPU caches, or wrote them back, and fenced,
 * before ->done() was called. A client may skip its own cache writeback.
 * No dmaengine driver says this about its engine, so only a registered
 * provider can declare it; a wrong declaration loses acknowledged writes
 * at power loss.
 */
#define DMAEXT_CAP_DURABLE_WRITES	BIT(0)	/* debugfs caps: durable_writes */
/*
 * DMAEXT_CAP_ATOMIC_SUBMIT: dmaext_submit() on the channel never sleeps,
 * because the engine's prep, submit and issue_pending never do. The caller
 * may then submit with preemption disabled (an RCU read side, blk-mq's
 * ->queue_rq), though still not with interrupts off or under a spinlock
 * (spinlocks taken with _bh or _irqsave). A submit may run other
 * requests' ->done() (ptdma's issue_pending completes what is finished).
 * A registered provider declares it; for a plain dmaengine channel dma_ext
 * sets it from the engine's driver: ptdma only. idxd's prep waits for a
 * free descriptor; ioatdma's prep, on a full ring, runs its cleanup --
 * other requests' callbacks -- under its cleanup_lock, so a completion
 * that resubmits synchronously to the same channel would deadlock there.
 */
#define DMAEXT_CAP_ATOMIC_SUBMIT	BIT(1)	/* debugfs caps: atomic_submit */

/**
 * struct dmaext_provider_ops - optional native operations of a provider
 * @prep_memcpy_batch: prepare ONE descriptor that copies all @nr segments;
 *	its completion reports the whole batch. May be called in atomic
 *	context; must not sleep. Return NULL when out of resources.
 * @max_batch: most segments @prep_memcpy_batch takes
 * @caps: DMAEXT_CAP_* that hold for every channel of the provider
 */
struct dmaext_provider_ops {
	struct dma_async_tx_descriptor *(*prep_memcpy_batch)(struct dma_chan *chan,
							     const struct dmaext_seg *segs,
							     unsigned int nr,
							     unsigned long flags);
	unsigned int max_batch;
	u32 caps;
};

/**
 * struct dmaext_chan_stats - counters of one channel (see debugfs)
 * @requests: requests submitted
 * @descriptors: descriptors prepared
 * @submits: dma_async_issue_pending() calls
 * @errors: requests completed with an error
 * @interrupts: descriptors prepared with DMA_PREP_INTERRUPT
 * @no_result: descriptors that completed without a result (success to
 *	dmaengine; ptdma reports its failures this way too)
 * @quarantines: aborts or removals that found requests the engine could
 *	neither be stopped from nor finished in time
 * @late_callbacks: descriptor callbacks for a submission that was already
 *	over, ignored (an engine calling back after it was stopped)
 * @cap_refusals: submissions refused because the channel's descriptor cap
 *	(idxd: idxd_wq_size - 1) would have been exceeded
 */
struct dmaext_chan_stats {
	u64 requests;
	u64 descriptors;
	u64 submits;
	u64 errors;
	u64 interrupts;
	u64 no_result;
	u64 quarantines;
	u64 late_callbacks;
	u64 cap_refusals;
};

/**
 * typedef dmaext_removed_t - the channel's engine is going away
 * @chan: the channel
 * @context: as given to dmaext_request_chan()
 *
 * Called once, in process context, when the engine's device is losing its
 * driver or the channel is being unregistered (an idxd work queue being
 * disabled), or when a provider calls dmaext_unregister_provider(). By
 * then new submissions fail with -ENODEV, dma_ext has given the dmaengine
 * channel back, and every request in flight has completed with -ENODEV
 * (engines that can be terminated) or has been finished by its engine --
 * except those an engine that cannot be terminated did not finish in
 * time: they complete when it does, or with -ENODEV once its device has
 * lost its driver. The client releases the channel with
 * dmaext_release_chan() once it has no request in flight, not from this
 * callback (dma_ext's locks are held): from a work item.
 */
typedef void (*dmaext_removed_t)(struct dmaext_chan *chan, void *context);

/**
 * struct dmaext_chan_spec - which channel to request
 * @name: dma_chan_name() to match exactly, or NULL for any
 * @node: NUMA node to prefer, or NUMA_NO_NODE
 * @removed: called when the engine goes away (may be NULL)
 * @context: passed to @removed
 */
struct dmaext_chan_spec {
	const char *name;
	int node;
	dmaext_removed_t removed;
	void *context;
};

struct dmaext_chan *dmaext_request_chan(const struct dmaext_chan_spec *spec);
void dmaext_release_chan(struct dmaext_chan *chan);
struct dma_chan *dmaext_dma_chan(struct dmaext_chan *chan);
const char *dmaext_chan_name(struct dmaext_chan *chan);
struct device *dmaext_dma_device(struct dmaext_chan *chan);
u32 dmaext_max_seg_len(struct dmaext_chan *chan);
u32 dmaext_chan_caps(struct dmaext_chan *chan);
void dmaext_get_stats(struct dmaext_chan *chan, struct dmaext_chan_stats *stats);

size_t dmaext_req_size(unsigned int max_segs);
void dmaext_req_init(struct dmaext_req *req, unsigned int max_segs);
int dmaext_submit(struct dmaext_chan *chan, struct dmaext_req *req);
int dmaext_abort(struct dmaext_chan *chan);

int dmaext_register_provider(struct dma_device *dma,
			     const struct dmaext_provider_ops *ops);
void dmaext_unregister_provider(struct dma_device *dma);
int dmaext_set_model(struct dma_device *dma, const char *driver);
void dmaext_clear_model(struct dma_device *dma);

#endif /* _DMA_EXT_H */
