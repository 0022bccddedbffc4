// SPDX-License-Identifier: GPL-2.0
/*
 * pmem_dma: a blk-mq persistent memory driver for libnvdimm namespaces.
 *
 * This file is the nd bus glue: it claims raw and fsdax (pfn) pmem
 * namespaces, maps them, and registers /dev/pmemN with its DAX device.
 * The in-tree nd_pmem matches the same devices; which of the two serves a
 * namespace is chosen by module load order, by the modprobe.d file this
 * project installs, or at run time with the sysfs unbind/bind files of the
 * two drivers (see docs/install.md).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/blk-mq.h>
#include <linux/blkdev.h>
#include <linux/io.h>
#include <linux/libnvdimm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/nd.h>
#include <linux/pfn_t.h>
#include <linux/slab.h>
#include <linux/sizes.h>
#include "nd.h"
#include "pfn.h"
#include "pmem_dma.h"

unsigned int pmem_dma_queue_depth;	/* 0: automatic */
unsigned int pmem_dma_hw_queues;
unsigned int pmem_dma_threshold_default[2] = { SZ_64K, SZ_64K };
unsigned int pmem_dma_nr_chans = 1;
unsigned int pmem_dma_timeout_ms = 30000;

/* A read-only unsigned module parameter with the range it must be in. */
struct pmem_dma_uint_param {
	unsigned int *val;
	unsigned int min;
	unsigned int max;	/* 0: nr_cpu_ids */
	unsigned int *also;	/* set to the same value, or NULL */
};

static int pmem_dma_param_set(const char *val, const struct kernel_param *kp)
{
	const struct pmem_dma_uint_param *p = kp->arg;
	unsigned int max = p->max ?: nr_cpu_ids;
	unsigned int v;

	if (kstrtouint(val, 0, &v) || v < p->min || v > max) {
		pr_err("%s=%s: expected an integer in %u..%u\n",
		       kp->name, val, p->min, max);
		return -EINVAL;
	}
	*p->val = v;
	if (p->also)
		*p->also = v;
	return 0;
}

static int pmem_dma_param_get(char *buf, const struct kernel_param *kp)
{
	const struct pmem_dma_uint_param *p = kp->arg;

	return sysfs_emit(buf, "%u\n", *p->val);
}

static const struct kernel_param_ops pmem_dma_uint_ops = {
	.set = pmem_dma_param_set,
	.get = pmem_dma_param_get,
};

static struct pmem_dma_uint_param pmem_dma_queue_depth_param = {
	&pmem_dma_queue_depth, 1, BLK_MQ_MAX_DEPTH,
};
module_param_cb(queue_depth, &pmem_dma_uint_ops, &pmem_dma_queue_depth_param, 0444);
MODULE_PARM_DESC(queue_depth,
		 "Requests per hardware queue, 1..10240 (default: 512 shared out over the hardware queues, 32..128 each)");

static struct pmem_dma_uint_param pmem_dma_hw_queues_param = {
	&pmem_dma_hw_queues, 0, 0,
};
module_param_cb(hw_queues, &pmem_dma_uint_ops, &pmem_dma_hw_queues_param, 0444);
MODULE_PARM_DESC(hw_queues,
		 "Hardware queues per disk, 0 = one per CPU up to 8 (default 0)");

/* reads, then writes: both for dma_threshold, which shows the write one */
static struct pmem_dma_uint_param pmem_dma_threshold_param = {
	&pmem_dma_threshold_default[1], 0, UINT_MAX, &pmem_dma_threshold_default[0],
};
module_param_cb(dma_threshold, &pmem_dma_uint_ops, &pmem_dma_threshold_param, 0444);
MODULE_PARM_DESC(dma_threshold,
		 "Initial per-disk dma_threshold in bytes, both directions: requests this large go to DMA (default 65536); dma_threshold_read/_write given after it override one direction");

static struct pmem_dma_uint_param pmem_dma_threshold_rd_param = {
	&pmem_dma_threshold_default[0], 0, UINT_MAX,
};
module_param_cb(dma_threshold_read, &pmem_dma_uint_ops, &pmem_dma_threshold_rd_param, 0444);
MODULE_PARM_DESC(dma_threshold_read,
		 "Initial per-disk dma_threshold_read in bytes: reads this large go to DMA (default 65536)");

static struct pmem_dma_uint_param pmem_dma_threshold_wr_param = {
	&pmem_dma_threshold_default[1], 0, UINT_MAX,
};
module_param_cb(dma_threshold_write, &pmem_dma_uint_ops, &pmem_dma_threshold_wr_param, 0444);
MODULE_PARM_DESC(dma_threshold_write,
		 "Initial per-disk dma_threshold_write in bytes: writes this large go to DMA (default 65536)");

static struct pmem_dma_uint_param pmem_dma_nr_chans_param = {
	&pmem_dma_nr_chans, 0, PMEM_DMA_MAX_CHANS,
};
module_param_cb(dma_channels, &pmem_dma_uint_ops, &pmem_dma_nr_chans_param, 0444);
MODULE_PARM_DESC(dma_channels,
		 "DMA channels per disk, 0..8, 0 = CPU only (default 1)");

static struct pmem_dma_uint_param pmem_dma_timeout_param = {
	&pmem_dma_timeout_ms, 100, 600000,
};
module_param_cb(timeout_ms, &pmem_dma_uint_ops, &pmem_dma_timeout_param, 0444);
MODULE_PARM_DESC(timeout_ms,
		 "DMA request timeout before it is aborted and redone by the CPU, 100..600000 (default 30000)");

static const struct block_device_operations pmem_dma_fops = {
	.owner = THIS_MODULE,
};

static void pmem_dma_destroy_wq(void *wq)
{
	destroy_workqueue(wq);
}

static void pmem_dma_dma_exit_action(void *pmem)
{
	pmem_dma_dma_exit(pmem);
}

static void pmem_dma_free_tag_set(void *set)
{
	blk_mq_free_tag_set(set);
}

/* Teardown of the disk, in the reverse order of pmem_dma_attach_disk(). */
static void pmem_dma_release_disk(void *data)
{
	struct pmem_dma_dev *pmem = data;

	pmem_dma_remove_dax(pmem);
	del_gendisk(pmem->disk);
	/* dax/write_cache is gone with the disk's sysfs files */
	pmem_dma_put_dax(pmem);
	/* No request is in flight any more: make everything durable. */
	nvdimm_flush(pmem->region, NULL);
	sysfs_put(pmem->bb_state);
	pmem->bb_state = NULL;
	put_disk(pmem->disk);
}

/* Map the namespace; returns its kernel address. */
static void *pmem_dma_map(struct pmem_dma_dev *pmem, struct nd_pfn *nd_pfn,
			  struct resource *res)
{
	void *addr;

	pmem->pfn_flags = PFN_DEV;
	pmem->pgmap.owner = pmem;
	if (nd_pfn) {
		/* fsdax: nvdimm_setup_pfn() sized the pgmap from the info block */
		pmem->pgmap.type = MEMORY_DEVICE_FS_DAX;
		pmem->pgmap.ops = &pmem_dma_pagemap_ops;
		addr = devm_memremap_pages(pmem->dev, &pmem->pgmap);
		pmem->data_offset = le64_to_cpu(nd_pfn->pfn_sb->dataoff);
		pmem->pfn_pad = resource_size(res) - range_len(&pmem->pgmap.range);
		pmem->pfn_flags |= PFN_MAP;
		pmem->bb_range = pmem->pgmap.range;
		pmem->bb_range.start += pmem->data_offset;
	} else if (pmem_should_map_pages(pmem->dev)) {
		pmem->pgmap.range.start = res->start;
		pmem->pgmap.range.end = res->end;
		pmem->pgmap.nr_range = 1;
		pmem->pgmap.type = MEMORY_DEVICE_FS_DAX;
		pmem->pgmap.ops = &pmem_dma_pagemap_ops;
		addr = devm_memremap_pages(pmem->dev, &pmem->pgmap);
		pmem->pfn_flags |= PFN_MAP;
		pmem->bb_range = pmem->pgmap.range;
	} else {
		/* raw: no struct pages, the range is not in the direct map */
		addr = devm_memremap(pmem->dev, pmem->phys_addr, pmem->size,
				     ARCH_MEMREMAP_PMEM);
		pmem->bb_range.start = res->start;
		pmem->bb_range.end = res->end;
	}
	return addr;
}

/*
 * blk-mq turns on I/O accounting for every queue it allocates. nd_pmem is
 * bio based and leaves it off, and on a memory-speed disk the per-request
 * clock reads and partition counters are a measurable part of a 4 KiB IO
 * (bench/overhead). Start with it off, as nd_pmem does: queue/iostats
 * turns it on.
 */
static int pmem_dma_default_iostats(struct request_queue *q)
{
	struct queue_limits lim = queue_limits_start_update(q);

	lim.features &= ~BLK_FEAT_IO_STAT;
	return queue_limits_commit_update(q, &lim);
}

static int pmem_dma_attach_disk(struct device *dev,
				struct nd_namespace_common *ndns)
{
	struct nd_namespace_io *nsio = to_nd_namespace_io(&ndns->dev);
	struct nd_region *nd_region = to_nd_region(dev->parent);
	struct queue_limits lim = {
		.logical_block_size	= pmem_sector_size(ndns),
		.physical_block_size	= PAGE_SIZE,
		.max_hw_sectors		= PMEM_DMA_MAX_SECTORS,
		.max_segments		= PMEM_DMA_MAX_SEGMENTS,
		.features		= BLK_FEAT_WRITE_CACHE,
	};
	struct resource *res = &nsio->res;
	struct nd_pfn *nd_pfn = NULL;
	struct pmem_dma_dev *pmem;
	struct gendisk *disk;
	void *addr;
	int fua, rc;

	pmem = devm_kzalloc(dev, sizeof(*pmem), GFP_KERNEL);
	if (!pmem)
		return -ENOMEM;
	pmem->dev = dev;
	pmem->region = nd_region;

	rc = devm_namespace_enable(dev, ndns, nd_info_block_reserve());
	if (rc)
		return rc;
	/* the info block is readable only while raw access is enabled */
	if (is_nd_pfn(dev)) {
		nd_pfn = to_nd_pfn(dev);
		rc = nvdimm_setup_pfn(nd_pfn, &pmem->pgmap);
		if (rc)
			return rc;
	}
	devm_namespace_disable(dev, ndns);

	dev_set_drvdata(dev, pmem);
	pmem->phys_addr = res->start;
	pmem->size = resource_size(res);
	pmem->flush_may_sleep = !is_nvdimm_sync(nd_region);

	fua = nvdimm_has_flush(nd_region);
	/*
	 * A region with its own flush has no DIMM mappings (virtio-pmem), so
	 * nvdimm_has_flush() cannot tell; but nvdimm_flush() calls that flush
	 * (virtio-pmem's asks the host to write the backing file out), which
	 * is what makes a write durable there: honour FUA with it, in process
	 * context, as REQ_OP_FLUSH is. nd_pmem warns and drops FUA instead.
	 */
	if (fua < 0 && pmem->flush_may_sleep)
		fua = 1;
	if (!IS_ENABLED(CONFIG_ARCH_HAS_UACCESS_FLUSHCACHE) || fua < 0) {
		dev_warn(dev, "unable to guarantee persistence of writes\n");
		fua = 0;
	}
	if (fua)
		lim.features |= BLK_FEAT_FUA;
	if (nd_pfn || pmem_should_map_pages(dev))
		lim.features |= BLK_FEAT_DAX;
	/* accept PCI P2P pages: the DMA path maps them, the CPU can copy them */
	if (IS_ENABLED(CONFIG_PCI_P2PDMA))
		lim.features |= BLK_FEAT_PCI_P2PDMA;

	if (!devm_request_mem_region(dev, res->start, resource_size(res),
				     dev_name(&ndns->dev))) {
		dev_warn(dev, "could not reserve region %pR\n", res);
		return -EBUSY;
	}

	addr = pmem_dma_map(pmem, nd_pfn, res);
	if (IS_ERR(addr))
		return PTR_ERR(addr);
	pmem->virt_addr = addr;

	rc = devm_init_badblocks(dev, &pmem->bb);
	if (rc)
		return rc;
	nvdimm_badblocks_populate(nd_region, &pmem->bb, &pmem->bb_range);

	pmem->stats = devm_alloc_percpu(dev, struct pmem_dma_stats);
	if (!pmem->stats)
		return -ENOMEM;

	pmem->slow_wq = alloc_workqueue("pmem_dma/%s", WQ_MEM_RECLAIM | WQ_UNBOUND,
					0, dev_name(dev));
	if (!pmem->slow_wq)
		return -ENOMEM;
	rc = devm_add_action_or_reset(dev, pmem_dma_destroy_wq, pmem->slow_wq);
	if (rc)
		return rc;

	/* channels are released after the disk is gone (devm order) */
	rc = pmem_dma_dma_init(pmem);
	if (rc)
		return rc;
	rc = devm_add_action_or_reset(dev, pmem_dma_dma_exit_action, pmem);
	if (rc)
		return rc;
	rc = pmem_dma_init_tag_set(pmem);
	if (rc)
		return rc;
	rc = devm_add_action_or_reset(dev, pmem_dma_free_tag_set, &pmem->tag_set);
	if (rc)
		return rc;

	disk = blk_mq_alloc_disk(&pmem->tag_set, &lim, pmem);
	if (IS_ERR(disk))
		return PTR_ERR(disk);
	pmem->disk = disk;
	rc = pmem_dma_default_iostats(disk->queue);
	if (rc)
		goto put_disk;
	disk->fops = &pmem_dma_fops;
	disk->private_data = pmem;
	nvdimm_namespace_disk_name(ndns, disk->disk_name);
	set_capacity(disk, (pmem->size - pmem->pfn_pad - pmem->data_offset) >>
			   SECTOR_SHIFT);
	disk->bb = &pmem->bb;

	rc = pmem_dma_add_dax(pmem);
	if (rc)
		goto put_disk;
	rc = device_add_disk(dev, disk, pmem_dma_disk_groups);
	if (rc)
		goto remove_dax;
	rc = devm_add_action_or_reset(dev, pmem_dma_release_disk, pmem);
	if (rc)
		return rc;

	nvdimm_check_and_set_ro(disk);
	pmem->bb_state = sysfs_get_dirent(disk_to_dev(disk)->kobj.sd, "badblocks");
	if (!pmem->bb_state)
		dev_warn(dev, "'badblocks' notification disabled\n");
	dev_info(dev, "%s: %llu MiB, %u hw queues of depth %u, %zu bytes per request\n",
		 disk->disk_name, get_capacity(disk) >> (20 - SECTOR_SHIFT),
		 pmem->tag_set.nr_hw_queues, pmem->tag_set.queue_depth,
		 sizeof(struct request) + pmem->tag_set.cmd_size);
	return 0;

remove_dax:
	pmem_dma_remove_dax(pmem);
	pmem_dma_put_dax(pmem);
put_disk:
	put_disk(disk);
	return rc;
}

static int pmem_dma_probe(struct device *dev)
{
	struct nd_namespace_common *ndns;
	int rc;

	ndns = nvdimm_namespace_common_probe(dev);
	if (IS_ERR(ndns))
		return PTR_ERR(ndns);

	if (is_nd_btt(dev)) {
		dev_dbg(dev, "sector mode (BTT) is served by nd_pmem\n");
		return -ENODEV;
	}
	if (is_nd_pfn(dev))
		return pmem_dma_attach_disk(dev, ndns);

	/*
	 * A namespace with a btt, pfn or dax info block is claimed by a new
	 * device of that kind, which is probed on its own: leave this one
	 * unbound. -EOPNOTSUPP means an info block this kernel cannot serve.
	 */
	rc = devm_namespace_enable(dev, ndns, nd_info_block_reserve());
	if (rc)
		return rc;
	if (nd_btt_probe(dev, ndns) == 0)
		return -ENXIO;
	rc = nd_pfn_probe(dev, ndns);
	if (rc == 0)
		return -ENXIO;
	if (rc == -EOPNOTSUPP)
		return rc;
	rc = nd_dax_probe(dev, ndns);
	if (rc == 0)
		return -ENXIO;
	if (rc == -EOPNOTSUPP)
		return rc;
	devm_namespace_disable(dev, ndns);

	return pmem_dma_attach_disk(dev, ndns);
}

static void pmem_dma_shutdown(struct device *dev)
{
	nvdimm_flush(to_nd_region(dev->parent), NULL);
}

static void pmem_dma_notify(struct device *dev, enum nvdimm_event event)
{
	struct pmem_dma_dev *pmem = dev_get_drvdata(dev);

	switch (event) {
	case NVDIMM_REVALIDATE_POISON:
		nvdimm_badblocks_populate(pmem->region, &pmem->bb, &pmem->bb_range);
		if (pmem->bb_state)
			sysfs_notify_dirent(pmem->bb_state);
		break;
	case NVDIMM_REVALIDATE_REGION:
		nvdimm_check_and_set_ro(pmem->disk);
		break;
	default:
		dev_dbg(dev, "ignoring event %d\n", event);
		break;
	}
}

static struct nd_device_driver pmem_dma_driver = {
	.probe		= pmem_dma_probe,
	.notify		= pmem_dma_notify,
	.shutdown	= pmem_dma_shutdown,
	.drv = {
		.name	= "pmem_dma",
	},
	.type		= ND_DRIVER_NAMESPACE_IO | ND_DRIVER_NAMESPACE_PMEM,
};
module_nd_driver(pmem_dma_driver);

MODULE_DESCRIPTION("Persistent memory block driver with DMA offload");
MODULE_LICENSE("GPL");
