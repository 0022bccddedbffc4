/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dma_soft: a software dmaengine provider that behaves like an asynchronous
 * copy engine. Private definitions.
 *
 * soft_main.c   module, platform/PCI hosting, dma_device registration
 * soft_chan.c   channels and the descriptor lifecycle
 * soft_copy.c   the "engine": DMA addresses back to CPU mappings, copying
 * soft_fault.c  fault injection through debugfs
 */
#ifndef _DMA_SOFT_H
#define _DMA_SOFT_H

#include <linux/dmaengine.h>
#include <linux/list.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include "dma_ext.h"

struct iommu_domain;

/* One debugfs knob: its value and the largest value a write may set. */
struct soft_knob {
	u32 val;
	u32 max;
};

/*
 * Fault injection knobs (debugfs, off by default). Read by the workers
 * with READ_ONCE; counters are atomics.
 */
struct soft_fault {
	struct soft_knob fail_every;	/* fail every Nth descriptor */
	struct soft_knob stall_every;	/* stall every Nth descriptor until terminated */
	struct soft_knob delay_us;	/* latency added to each descriptor */
	struct soft_knob out_of_order;	/* complete the newest issued descriptor first */
	atomic_t seq;		/* descriptors run, for "every Nth" */
	atomic64_t injected_errors;
	atomic64_t stalls;
	atomic64_t completed;
};

/*
 * A descriptor is on exactly one of its channel's lists (or is the
 * channel's active one); its state is the list it sits on.
 */
struct soft_desc {
	struct dma_async_tx_descriptor tx;
	struct list_head node;		/* under soft_chan.lock */
	size_t total;
	size_t done;			/* bytes copied so far, for residue */
	unsigned int nr_segs;
	struct dmaext_seg segs[];
};

struct soft_chan {
	struct dma_chan chan;
	struct soft_dev *sd;
	struct work_struct work;	/* the channel's engine */
	wait_queue_head_t stall_wq;

	spinlock_t lock;		/* protects the lists and flags below */
	struct list_head submitted;	/* tx_submit()ed, not yet issued */
	struct list_head issued;	/* waiting for the worker */
	struct list_head unacked;	/* completed, client has not acked */
	struct soft_desc *active;	/* being copied by the worker */
	bool abort;			/* terminate: drop the active one */
	bool dead;			/* the device is going away */
};

struct soft_dev {
	struct dma_device dma;
	struct device *dev;
	struct iommu_domain *domain;	/* translating IOMMU in front, or NULL */
	struct workqueue_struct *wq;
	struct soft_fault fault;
	struct dentry *debugfs;
	unsigned int nr_chans;
	struct soft_chan *chans;
};

static inline struct soft_chan *to_soft_chan(struct dma_chan *chan)
{
	return container_of(chan, struct soft_chan, chan);
}

static inline struct soft_desc *to_soft_desc(struct dma_async_tx_descriptor *tx)
{
	return container_of(tx, struct soft_desc, tx);
}

extern unsigned int soft_max_batch;

/* soft_chan.c */
void soft_chan_init(struct soft_dev *sd, struct soft_chan *sc);
void soft_dev_set_ops(struct soft_dev *sd);
void soft_chan_kill(struct soft_chan *sc);
struct dma_async_tx_descriptor *soft_prep_batch(struct dma_chan *chan,
						const struct dmaext_seg *segs,
						unsigned int nr,
						unsigned long flags);

/* soft_copy.c */
enum dmaengine_tx_result soft_copy_desc(struct soft_chan *sc, struct soft_desc *desc);

/* soft_fault.c */
enum soft_fault_action { SOFT_RUN, SOFT_FAIL, SOFT_STALL };
enum soft_fault_action soft_fault_next(struct soft_fault *f);
void soft_fault_debugfs(struct soft_dev *sd, struct dentry *dir);

#endif /* _DMA_SOFT_H */
