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
#include <linux/memremap.h>
#include <linux/percpu.h>
#include <linux/workqueue.h>

struct nd_region;

/* Per-CPU counters; summed when read through sysfs. */
struct pmem_dma_stats {
	u64 cpu_ios;
	u64 cpu_bytes;
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
	struct dev_pagemap pgmap;
};

/**
 * struct pmem_dma_cmd - per-request state, lives in the blk-mq PDU
 * @work: runs the request in process context when it may sleep
 *	(poison clearing, flushes of an asynchronous region)
 */
struct pmem_dma_cmd {
	struct work_struct work;
};

extern unsigned int pmem_dma_queue_depth;
extern unsigned int pmem_dma_hw_queues;

/* io.c */
int pmem_dma_init_tag_set(struct pmem_dma_dev *pmem);
blk_status_t pmem_dma_write_pages(struct pmem_dma_dev *pmem, struct page *page,
				  unsigned int off, sector_t sector,
				  unsigned int len, bool can_sleep);
long __pmem_dma_clear_poison(struct pmem_dma_dev *pmem, phys_addr_t offset,
			     unsigned int len);
void pmem_dma_clear_bb(struct pmem_dma_dev *pmem, sector_t sector, long blks);

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

bool pmem_dma_range_is_bad(struct pmem_dma_dev *pmem, sector_t sector,
			   unsigned int len);

/* dax.c */
extern const struct dev_pagemap_ops pmem_dma_pagemap_ops;
int pmem_dma_add_dax(struct pmem_dma_dev *pmem);
void pmem_dma_remove_dax(struct pmem_dma_dev *pmem);

/* sysfs.c */
extern const struct attribute_group *pmem_dma_disk_groups[];

#endif /* _PMEM_DMA_H */
