/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dma_soft: a software dmaengine provider that behaves like an asynchronous
 * copy engine. Private definitions.
 *
 * soft_main.c   module, platform/PCI hosting, dma_device registration
 * soft_chan.c   channels and the descriptor lifecycle
 * soft_pers.c   personalities: the manners of ioatdma, idxd and ptdma
 * soft_copy.c   the "engine": DMA addresses back to CPU mappings, copying
 * soft_fault.c  fault injection through debugfs
 *
 * Lifetime: struct soft_dev is freed when both the bound device (probe to
 * remove) and dmaengine (register to the last client's release, see
 * soft_release()) have let go of it; a client may keep calling into a
 * channel after the device was removed.
 */
#ifndef _DMA_SOFT_H
#define _DMA_SOFT_H

#include <linux/dmaengine.h>
#include <linux/list.h>
#include <linux/refcount.h>
#include <linux/spinlock.h>
#include <linux/timer.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include "dma_ext.h"

struct iommu_domain;
struct soft_chan;
struct soft_dev;
struct soft_desc;

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
	struct soft_knob stall_every;	/* stall every Nth descriptor until released */
	struct soft_knob delay_us;	/* latency added to each descriptor */
	struct soft_knob out_of_order;	/* complete the newest issued descriptor first */
	atomic_t seq;		/* descriptors run, for "every Nth" */
	atomic_t unstall;	/* bumped by each write to "unstall" */
	atomic64_t injected_errors;
	atomic64_t stalls;
	atomic64_t completed;
	atomic64_t interrupts;	/* ioat, idxd, ptdma: completion interrupts raised */
	atomic64_t ring_full;	/* ioat: prep refused, ring full */
	atomic64_t prep_sleeps;	/* idxd: prep slept for a free descriptor */
	atomic_t prep_asleep;	/* idxd: preps asleep now */
	atomic64_t aborted;	/* ioat, idxd: given up by the engine */
	atomic64_t reordered;	/* taken ahead of an older issued descriptor */
	atomic64_t early_completions;	/* ptdma: called back before being copied */
	atomic64_t busy_ns;	/* time spent copying: what hardware would do */
	atomic64_t flushed_bytes;	/* copied around the caches (durable) */
	/* emulated media error: a source read overlapping it fails */
	spinlock_t poison_lock;
	phys_addr_t poison_start;
	u64 poison_len;		/* 0: no poison */
	atomic64_t poison_reads;
};

/*
 * The engine dma_soft stands for (module parameter personality=): which
 * operations it has, in which order it completes, and how it reports.
 */
struct soft_pers {
	const char *name;
	u32 default_descs;	/* descriptor pool when descs= is not given; 0: none */
	bool native;		/* soft: dma_ext batch, removal notice, max_xfer= */
	const char *model;	/* the real driver, for dma_ext (dmaext_set_model()) */
	bool in_order;		/* out_of_order cannot be set */
	bool newest_first;	/* the worker always takes the newest descriptor */
	bool held_until_seen;	/* a finished descriptor holds the queue until processed */
	bool has_wq;		/* idxd: channels are work queues, see wq_disable */
	/* fill in the dma_device operations and capabilities */
	void (*set_ops)(struct dma_device *dma);
	/* set up the personality's part of a channel */
	void (*chan_init)(struct soft_chan *sc);
	/* the worker finished @desc with @res; no lock held */
	void (*done)(struct soft_chan *sc, struct soft_desc *desc,
		     enum dmaengine_tx_result res);
	/* soft_remove(): stop the channels and leave dmaengine */
	void (*remove)(struct soft_dev *sd);
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
	enum dmaengine_tx_result result; /* set by the worker before it is on done */
	unsigned int slots;		/* pool slots it holds; written under soft_chan.lock */
	bool irq;			/* ptdma: it ran with the queue's interrupt on */
	/*
	 * ptdma: its completion completes the next descriptor instead of
	 * itself (a terminate freed it while it ran, or it was completed
	 * early); under soft_chan.lock
	 */
	bool shifted;
	unsigned int nr_segs;
	struct dmaext_seg segs[];
};

/* soft_chan.ioat_state bits, atomic bitops */
enum {
	SOFT_IOAT_ACTIVE,	/* the completion timer runs for this channel */
	SOFT_IOAT_ACK,		/* the timer saw no progress once */
};

struct soft_chan {
	struct dma_chan chan;
	struct soft_dev *sd;
	struct work_struct work;	/* the channel's engine */
	wait_queue_head_t stall_wq;	/* a stalled descriptor waits here */
	wait_queue_head_t pool_wq;	/* idxd: prep waits here for a free descriptor */

	/*
	 * ioat: held from a prep that returns a descriptor to its tx_submit,
	 * and by issue_pending; taken before lock.
	 */
	spinlock_t prep_lock;
	/*
	 * ioat: held while completions are delivered, callbacks included, so
	 * that they are delivered in order; taken before prep_lock.
	 */
	spinlock_t cleanup_lock;
	struct timer_list timer;	/* ioat: the completion timer */
	unsigned long ioat_state;	/* ioat: SOFT_IOAT_* bits */

	spinlock_t lock;		/* protects the lists and fields below */
	struct list_head submitted;	/* tx_submit()ed, not yet issued */
	struct list_head issued;	/* waiting for the worker */
	struct list_head done;		/* finished by the engine, callback not yet delivered */
	struct list_head unacked;	/* completed, client has not acked */
	struct soft_desc *active;	/* being copied by the worker */
	unsigned int used;		/* pool slots held by descriptors (ioat, idxd) */
	unsigned int pending;		/* ioat: slots submitted, not yet issued */
	bool abort;			/* terminate: drop the active one */
	bool dead;			/* the device is going away */
	bool down;			/* ioat: prep refused while the channel resets */
	bool disabled;			/* idxd: the work queue was disabled */
	bool gone;			/* idxd: freed by its driver (dma_soft keeps it) */
	bool int_en;			/* ptdma: interrupt enable, from the last prep */
	/*
	 * The worker waits in a stall or an injected delay: the engine is
	 * slow, not starved of CPU. Written by the worker (WRITE_ONCE).
	 */
	bool held;
};

struct soft_dev {
	struct dma_device dma;
	struct device *dev;
	const struct soft_pers *pers;
	unsigned int descs;		/* descriptor pool per channel (ioat, idxd) */
	refcount_t refs;		/* the bound device's and dmaengine's */
	struct iommu_domain *domain;	/* translating IOMMU in front, or NULL */
	/* flushing copies into pmem, DMAEXT_CAP_DURABLE_WRITES declared */
	bool durable;
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
void soft_dev_set_ops(struct dma_device *dma);
void soft_chan_kill(struct soft_chan *sc);
unsigned int soft_chan_held(struct soft_chan *sc);
void soft_chan_take_queued(struct soft_chan *sc, struct list_head *list);
void soft_chan_drop_all(struct soft_chan *sc, bool wait);
void soft_chan_kick(struct soft_chan *sc);
struct dma_async_tx_descriptor *soft_prep_batch(struct dma_chan *chan,
						const struct dmaext_seg *segs,
						unsigned int nr,
						unsigned long flags);
struct soft_desc *__soft_desc_alloc(struct soft_chan *sc, unsigned int nr,
				    unsigned long flags);
struct soft_desc *soft_desc_alloc(struct soft_chan *sc, unsigned int nr,
				  unsigned long flags);
void soft_desc_drop(struct soft_chan *sc, struct soft_desc *desc);
unsigned int soft_free_list(struct soft_chan *sc, struct list_head *list);
dma_cookie_t soft_cookie_assign(struct soft_chan *sc, struct dma_async_tx_descriptor *tx);
enum dma_status soft_cookie_status(struct dma_chan *chan, dma_cookie_t cookie,
				   struct dma_tx_state *state);
void soft_tx_callback(const struct dma_async_tx_descriptor *tx,
		      const struct dmaengine_result *res);
void soft_deliver(struct soft_chan *sc, struct soft_desc *desc,
		  const struct dmaengine_result *res);
void soft_done(struct soft_chan *sc, struct soft_desc *desc,
	       enum dmaengine_tx_result res);
int soft_terminate_all(struct dma_chan *chan);
void soft_synchronize(struct dma_chan *chan);
void soft_free_unacked(struct soft_chan *sc);
void soft_free_chan_resources(struct dma_chan *chan);

/* soft_pers.c */
const struct soft_pers *soft_pers_find(const char *name);
extern const struct soft_pers soft_pers_soft;
int soft_idxd_wq_disable(struct soft_dev *sd, unsigned int idx);

/* soft_copy.c */
enum dmaengine_tx_result soft_copy_desc(struct soft_chan *sc, struct soft_desc *desc);

/* soft_fault.c */
enum soft_fault_action { SOFT_RUN, SOFT_FAIL, SOFT_STALL };
enum soft_fault_action soft_fault_next(struct soft_fault *f);
void soft_fault_init(struct soft_fault *f);
bool soft_fault_poisoned(struct soft_fault *f, phys_addr_t phys, size_t len);
void soft_fault_debugfs(struct soft_dev *sd, struct dentry *dir);

#endif /* _DMA_SOFT_H */
