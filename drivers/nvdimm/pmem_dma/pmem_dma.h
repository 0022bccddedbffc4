/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pmem_dma: private definitions shared by the files of the module.
 *
 * bus.c    nd bus driver: probe/remove, disk and dax setup
 * io.c     blk-mq queue and the CPU copy path
 * dax.c    dax_operations
 * sysfs.c  /sys/block/pmemN/pmem_dma/
 */
#ifndef _PMEM_DMA_H
#define _PMEM_DMA_H

#include <linux/badblocks.h>
#include <linux/blk-mq.h>
#include <linux/llist.h>
#include <linux/memremap.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/pfn_t.h>
#include <linux/scatterlist.h>
#include <linux/sizes.h>
#include <linux/workqueue.h>
#include "../../dma/ext/dma_ext.h"

struct nd_region;

/* Largest request the queue takes; larger IO is split by the block layer. */
#define PMEM_DMA_MAX_SECTORS	(SZ_1M >> SECTOR_SHIFT)
#define PMEM_DMA_MAX_SEGMENTS	(PMEM_DMA_MAX_SECTORS >> (PAGE_SHIFT - SECTOR_SHIFT))
/*
 * The namespace side of a DMA request, mapped per request: entries of at
 * most the engine's segment size (64 KiB on PCI) that end where the
 * request's own entries end, so that pairing the two sides cuts nowhere
 * new -- except once where the engine's segment boundary falls inside a
 * request entry. Adjacent entries hold more than 64 KiB together, hence
 * twice the 64 KiB pieces of the largest request, plus that one cut.
 */
#define PMEM_DMA_MAX_PMEM_SEGS	(2 * (PMEM_DMA_MAX_SECTORS >> (16 - SECTOR_SHIFT)) + 2)
/* engine segments per request: the request's entries, plus that one cut */
#define PMEM_DMA_MAX_DMA_SEGS	(PMEM_DMA_MAX_SEGMENTS + 1)
#define PMEM_DMA_MAX_CHANS	8

/*
 * Queue shape when the module parameters leave it to the driver: a hardware
 * queue per CPU up to one per possible channel (hardware queue i uses
 * channel slot i mod dma_channels, or the next slot that has a channel),
 * and about 512 requests per disk in all (each carries room for a 1 MiB
 * DMA request: 16 KiB), so that a disk costs the same few MiB on a
 * 256-CPU host as on a small one.
 */
#define PMEM_DMA_AUTO_HW_QUEUES	PMEM_DMA_MAX_CHANS
#define PMEM_DMA_AUTO_TAGS	512
#define PMEM_DMA_AUTO_MIN_DEPTH	32
#define PMEM_DMA_AUTO_MAX_DEPTH	128

/* Per-CPU counters; summed when read through sysfs. */
struct pmem_dma_stats {
	u64 cpu_ios;		/* requests copied by the CPU only */
	u64 cpu_bytes;
	u64 dma_ios;		/* requests handed to a DMA engine */
	u64 dma_bytes;
	u64 dma_fallbacks;	/* meant for DMA, served by the CPU */
	u64 dma_errors;		/* DMA requests the engine failed or aborted */
	u64 p2p_dma_ios;	/* requests with PCI P2P pages copied by DMA */
	u64 p2p_cpu_ios;	/* ... copied by the CPU: no engine reaches them */
	u64 dma_timeouts;	/* DMA requests that hit the blk-mq timeout */
	u64 dma_wb_bytes;	/* DMA-written bytes written back from caches */
	u64 dma_wb_ns;		/* CPU time of those writebacks */
	u64 fua_ios;		/* FUA writes served */
	u64 flushes;		/* region flushes: REQ_OP_FLUSH, after FUA */
	u64 batched_ios;	/* requests ->queue_rqs got two or more at once */
	u64 dma_wb_deferred;	/* DMA writes ended from process context: the
				 * engine called back in hard IRQ context
				 */
};

/*
 * struct pmem_dma_chan - a DMA channel serving one disk
 *
 * Published in pmem_dma_dev.chans[] under RCU. Each request that uses it
 * holds a reference in @users from ->queue_rq until its completion has
 * unmapped its buffers; the channel is released only after it was
 * unpublished and @users dropped to zero.
 *
 * ->queue_rq calls the engine only when dma_ext says submitting never
 * sleeps (@atomic_submit). Otherwise an engine's prep may sleep (idxd,
 * when its work queue is full), and a ->queue_rq that sleeps holds up
 * blk-mq's timeout handling (it waits for running dispatches), the very
 * thing that must get a stuck engine's requests back: requests are put on
 * @submit_list and @submit_work hands them to dma_ext in process context.
 */
struct pmem_dma_chan {
	struct pmem_dma_dev *pmem;
	struct dmaext_chan *ext;
	struct device *dma_dev;		/* map buffers against this */
	unsigned int max_seg;		/* dma_get_max_seg_size(dma_dev) */
	unsigned long seg_boundary;	/* dma_get_seg_boundary(dma_dev) */
	/*
	 * Highest DMA address the engine reaches without an IOMMU; 0 when an
	 * IOMMU translates for it (any page can be mapped).
	 */
	u64 dma_limit;
	u64 dma_mask;			/* the device's mask and bus limit */
	unsigned long warned;		/* PMEM_DMA_WARN_*, said once each */
	bool durable;			/* DMAEXT_CAP_DURABLE_WRITES */
	bool atomic_submit;		/* DMAEXT_CAP_ATOMIC_SUBMIT: from ->queue_rq */
	atomic_t users;
	unsigned int slot;
	struct llist_head submit_list;	/* of pmem_dma_cmd, for submit_work */
	struct work_struct submit_work;	/* on slow_wq */
	struct work_struct release_work;
	struct rcu_head rcu;
};

/* bits of pmem_dma_chan.warned */
#define PMEM_DMA_WARN_REACH	0	/* a request's pages out of dma_limit */

/*
 * pmem_dma_dev.dma_durability (sysfs dma_write_durability): whether the
 * CPU caches are written back over what a DMA write wrote, before it
 * completes.
 */
enum {
	PMEM_DMA_DURABLE_AUTO,		/* unless the channel's provider declares
					 * durable writes or the caches persist
					 * (eADR, dax/write_cache 0)
					 */
	PMEM_DMA_DURABLE_WRITEBACK,	/* always */
	PMEM_DMA_DURABLE_ENGINE,	/* never: the platform makes DMA writes
					 * durable (e.g. DDIO off in firmware)
					 */
};

/*
 * struct pmem_dma_dev - one namespace served as /dev/pmemN
 *
 * Everything here is set up in probe before the disk is added and is
 * read-only afterwards, except where a field says otherwise.
 */
struct pmem_dma_dev {
	struct device *dev;		/* the nd namespace or pfn device */
	struct nd_region *region;
	phys_addr_t phys_addr;		/* start of the namespace */
	phys_addr_t data_offset;	/* non-zero when a pfn info block is hosted */
	u64 pfn_flags;
	void *virt_addr;		/* kernel mapping of phys_addr */
	size_t size;			/* namespace size */
	u32 pfn_pad;			/* trimmed for section alignment */
	/*
	 * Flushing the region may sleep (e.g. virtio-pmem): such flushes are
	 * done from the slow-path workqueue, never from ->queue_rq.
	 */
	bool flush_may_sleep;

	/* bad sectors; badblocks has its own seqlock */
	struct badblocks bb;
	struct kernfs_node *bb_state;	/* "badblocks" sysfs node to notify */

	struct dax_device *dax_dev;
	struct gendisk *disk;
	struct blk_mq_tag_set tag_set;
	struct workqueue_struct *slow_wq;
	struct pmem_dma_stats __percpu *stats;
	struct range bb_range;		/* physical range badblocks cover */

	/*
	 * DMA. dma_threshold[] (reads, writes) and dma_durability are read
	 * locklessly on every request and may change at any time. chans[]
	 * is published under RCU and changed under dma_mutex.
	 */
	unsigned int dma_threshold[2];	/* indexed by op_is_write() */
	u8 dma_durability;		/* PMEM_DMA_DURABLE_* */
	bool dma_wb_cache;		/* write back after DMA; dax/write_cache */
	struct mutex dma_mutex;
	struct pmem_dma_chan __rcu *chans[PMEM_DMA_MAX_CHANS];
	u64 dma_retired_submits;	/* of released channels, under dma_mutex */
	unsigned long dma_abort_end;	/* jiffies of the last abort, under dma_mutex */

	struct dev_pagemap pgmap;
};

/**
 * struct pmem_dma_cmd - per-request state, lives in the blk-mq PDU
 * @work: runs the request in process context when it may sleep or take
 *	long (poison clearing, flushes of an asynchronous region, the CPU
 *	retry of a DMA request that failed, the end of a DMA write that
 *	completed in hard IRQ context)
 * @submit_node: on its channel's submit_list until submit_work takes it
 * @dc: the channel a DMA request is on, until its completion
 * @dma: an engine holds the request (for the timeout handler)
 * @retry: a failed DMA request being redone by the CPU
 * @write_end: a DMA write finished in hard IRQ context, written back and
 *	completed by @work
 * @wb: a DMA write is to be written back from the CPU caches; decided
 *	once, when its engine finished it
 * @p2p: some of the request's pages are PCI peer-to-peer memory
 * @status: result handed from the DMA completion to ->complete
 * @pmem_sgt: @pmem_sg as a table, mapped for the engine per request
 * @sgt: @sg as a table, for dma_map_sgtable()
 * @pmem_sg: the namespace side of the copy, as pages of the namespace
 * @sg: the request's pages
 * @ereq: the dma_ext request; must stay last (variable size)
 */
struct pmem_dma_cmd {
	struct work_struct work;
	struct llist_node submit_node;
	struct pmem_dma_chan *dc;
	bool dma;
	bool retry;
	bool write_end;
	bool wb;
	bool p2p;
	blk_status_t status;
	struct sg_table pmem_sgt;
	struct sg_table sgt;
	struct scatterlist pmem_sg[PMEM_DMA_MAX_PMEM_SEGS];
	struct scatterlist sg[PMEM_DMA_MAX_SEGMENTS];
	struct dmaext_req ereq;
};

extern unsigned int pmem_dma_queue_depth;
extern unsigned int pmem_dma_hw_queues;
extern unsigned int pmem_dma_threshold_default[2];
extern unsigned int pmem_dma_nr_chans;
extern unsigned int pmem_dma_timeout_ms;

/* io.c */
void pmem_dma_queue_shape(unsigned int cpus, unsigned int hw_queues,
			  unsigned int depth, unsigned int *nr_hw,
			  unsigned int *qd);
int pmem_dma_init_tag_set(struct pmem_dma_dev *pmem);
bool pmem_dma_wb_needed(struct pmem_dma_dev *pmem, bool durable);
void pmem_dma_finish_write(struct pmem_dma_dev *pmem, struct request *rq,
			   bool wb);
blk_status_t pmem_dma_flush(struct pmem_dma_dev *pmem);
blk_status_t pmem_dma_write_pages(struct pmem_dma_dev *pmem, struct page *page,
				  unsigned int off, sector_t sector,
				  unsigned int len, bool can_sleep);
long __pmem_dma_clear_poison(struct pmem_dma_dev *pmem, phys_addr_t offset,
			     unsigned int len);
void pmem_dma_clear_bb(struct pmem_dma_dev *pmem, sector_t sector, long blks);
void pmem_dma_cpu_fallback(struct pmem_dma_dev *pmem, struct request *rq);
void pmem_dma_cpu_issue(struct pmem_dma_dev *pmem, struct request *rq);

static inline phys_addr_t pmem_dma_sector_to_offset(struct pmem_dma_dev *pmem,
						    sector_t sector)
{
	return ((phys_addr_t)sector << SECTOR_SHIFT) + pmem->data_offset;
}

static inline sector_t pmem_dma_offset_to_sector(struct pmem_dma_dev *pmem,
						 phys_addr_t offset)
{
	return (offset - pmem->data_offset) >> SECTOR_SHIFT;
}

/* fsdax namespaces have a memmap; raw ones, copied by the CPU only, not */
static inline bool pmem_dma_can_dma(struct pmem_dma_dev *pmem)
{
	return pmem->pfn_flags & PFN_MAP;
}

bool pmem_dma_range_is_bad(struct pmem_dma_dev *pmem, sector_t sector,
			   unsigned int len);

/* dma.c */
int pmem_dma_dma_init(struct pmem_dma_dev *pmem);
void pmem_dma_dma_exit(struct pmem_dma_dev *pmem);
int pmem_dma_attach_chans(struct pmem_dma_dev *pmem);
void pmem_dma_init_cmd(struct pmem_dma_cmd *cmd);
bool pmem_dma_try_dma(struct pmem_dma_dev *pmem, struct blk_mq_hw_ctx *hctx,
		      struct request *rq);
void pmem_dma_dma_write_end(struct pmem_dma_dev *pmem, struct request *rq);
void pmem_dma_abort_all(struct pmem_dma_dev *pmem);
u64 pmem_dma_submits(struct pmem_dma_dev *pmem);
size_t pmem_dma_chan_names(struct pmem_dma_dev *pmem, char *buf, size_t len);
#if IS_ENABLED(CONFIG_KUNIT)
bool pmem_dma_wants_dma(struct pmem_dma_dev *pmem, blk_opf_t opf,
			sector_t sector, unsigned int bytes, bool p2p);
int pmem_dma_fill_pmem_sg(struct scatterlist *psg, unsigned int max,
			  phys_addr_t phys, struct scatterlist *sg, int nents,
			  unsigned int max_seg, unsigned long boundary);
#endif

/* dax.c */
extern const struct dev_pagemap_ops pmem_dma_pagemap_ops;
int pmem_dma_add_dax(struct pmem_dma_dev *pmem);
void pmem_dma_remove_dax(struct pmem_dma_dev *pmem);
void pmem_dma_put_dax(struct pmem_dma_dev *pmem);

/* sysfs.c */
extern const struct attribute_group *pmem_dma_disk_groups[];

#endif /* _PMEM_DMA_H */
