// SPDX-License-Identifier: GPL-2.0
/*
 * pmem_dma DAX support: filesystems mounted with -o dax map the namespace
 * directly through these operations and bypass the block queue.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/blkdev.h>
#include <linux/dax.h>
#include <linux/libnvdimm.h>
#include <linux/pfn_t.h>
#include <linux/uio.h>
#include "pmem_dma.h"

static long pmem_dma_direct_access(struct dax_device *dax_dev, pgoff_t pgoff,
				   long nr_pages, enum dax_access_mode mode,
				   void **kaddr, pfn_t *pfn)
{
	struct pmem_dma_dev *pmem = dax_get_private(dax_dev);
	phys_addr_t offset = PFN_PHYS(pgoff) + pmem->data_offset;
	sector_t sector = PFN_PHYS(pgoff) >> SECTOR_SHIFT;
	int nr_sect = min_t(u64, PFN_PHYS(nr_pages) >> SECTOR_SHIFT, INT_MAX);
	sector_t first_bad;
	int num_bad;

	if (kaddr)
		*kaddr = pmem->virt_addr + offset;
	if (pfn)
		*pfn = phys_to_pfn_t(pmem->phys_addr + offset, pmem->pfn_flags);

	if (!READ_ONCE(pmem->bb.count))
		return PHYS_PFN(pmem->size - pmem->pfn_pad - offset);

	if (!badblocks_check(&pmem->bb, sector, nr_sect, &first_bad, &num_bad))
		return nr_pages;

	if (mode != DAX_RECOVERY_WRITE)
		return -EHWPOISON;
	/*
	 * Recovery goes page by page: hand out the pages wholly before the
	 * first bad sector, or else the one page that holds it.
	 */
	return PHYS_PFN((first_bad - sector) << SECTOR_SHIFT) ?: 1;
}

static int pmem_dma_zero_page_range(struct dax_device *dax_dev, pgoff_t pgoff,
				    size_t nr_pages)
{
	struct pmem_dma_dev *pmem = dax_get_private(dax_dev);
	blk_status_t sts = BLK_STS_OK;
	size_t i;

	for (i = 0; i < nr_pages && !sts; i++)
		sts = pmem_dma_write_pages(pmem, ZERO_PAGE(0), 0,
					   PFN_PHYS(pgoff + i) >> SECTOR_SHIFT,
					   PAGE_SIZE, true);
	return blk_status_to_errno(sts);
}

/*
 * A write over poisoned pages: clear the poison, then write. Only whole,
 * page-aligned pages can be recovered; anything else writes nothing.
 */
static size_t pmem_dma_recovery_write(struct dax_device *dax_dev, pgoff_t pgoff,
				      void *addr, size_t bytes,
				      struct iov_iter *iter)
{
	struct pmem_dma_dev *pmem = dax_get_private(dax_dev);
	sector_t sector = PFN_PHYS(pgoff) >> SECTOR_SHIFT;
	size_t off = offset_in_page(addr);
	size_t len = PFN_PHYS(PFN_UP(off + bytes));
	size_t copied;
	long cleared;

	if (!pmem_dma_range_is_bad(pmem, sector, len))
		return _copy_from_iter_flushcache(addr, bytes, iter);

	if (off || !PAGE_ALIGNED(bytes)) {
		dev_dbg(pmem->dev, "poison at unaligned %p+%zu: not recoverable\n",
			addr, bytes);
		return 0;
	}

	cleared = __pmem_dma_clear_poison(pmem, pmem_dma_sector_to_offset(pmem, sector),
					  len);
	if (cleared != len) {
		dev_dbg(pmem->dev, "poison clear: %ld of %zu bytes\n", cleared, len);
		return 0;
	}

	copied = _copy_from_iter_flushcache(addr, bytes, iter);
	/* Forget the bad blocks only once the good data is in place. */
	pmem_dma_clear_bb(pmem, sector, cleared >> SECTOR_SHIFT);
	return copied;
}

static const struct dax_operations pmem_dma_dax_ops = {
	.direct_access	 = pmem_dma_direct_access,
	.zero_page_range = pmem_dma_zero_page_range,
	.recovery_write	 = pmem_dma_recovery_write,
};

static int pmem_dma_memory_failure(struct dev_pagemap *pgmap, unsigned long pfn,
				   unsigned long nr_pages, int mf_flags)
{
	struct pmem_dma_dev *pmem = container_of(pgmap, struct pmem_dma_dev, pgmap);
	u64 offset = PFN_PHYS(pfn) - pmem->phys_addr - pmem->data_offset;

	return dax_holder_notify_failure(pmem->dax_dev, offset,
					 PFN_PHYS(nr_pages), mf_flags);
}

const struct dev_pagemap_ops pmem_dma_pagemap_ops = {
	.memory_failure = pmem_dma_memory_failure,
};

/**
 * pmem_dma_add_dax() - register the DAX device of @pmem's disk
 * @pmem: the device, with its disk allocated but not yet added
 *
 * A kernel without DAX support gets no DAX device and that is not an error.
 *
 * Return: 0 or a negative errno.
 */
int pmem_dma_add_dax(struct pmem_dma_dev *pmem)
{
	struct dax_device *dax_dev;
	int rc;

	dax_dev = alloc_dax(pmem, &pmem_dma_dax_ops);
	if (IS_ERR(dax_dev)) {
		rc = PTR_ERR(dax_dev);
		return rc == -EOPNOTSUPP ? 0 : rc;
	}
	set_dax_nocache(dax_dev);
	set_dax_nomc(dax_dev);
	if (is_nvdimm_sync(pmem->region))
		set_dax_synchronous(dax_dev);
	rc = dax_add_host(dax_dev, pmem->disk);
	if (rc) {
		kill_dax(dax_dev);
		put_dax(dax_dev);
		return rc;
	}
	dax_write_cache(dax_dev, nvdimm_has_cache(pmem->region));
	pmem->dax_dev = dax_dev;
	return 0;
}

/**
 * pmem_dma_remove_dax() - undo pmem_dma_add_dax(), but for the reference
 * @pmem: the device
 *
 * DAX access ends here; the dax_device itself stays until
 * pmem_dma_put_dax(), since the disk's dax/write_cache file uses it until
 * the disk is deleted.
 */
void pmem_dma_remove_dax(struct pmem_dma_dev *pmem)
{
	if (!pmem->dax_dev)
		return;
	dax_remove_host(pmem->disk);
	kill_dax(pmem->dax_dev);
}

/**
 * pmem_dma_put_dax() - drop the dax_device, once its sysfs file is gone
 * @pmem: the device
 */
void pmem_dma_put_dax(struct pmem_dma_dev *pmem)
{
	if (!pmem->dax_dev)
		return;
	put_dax(pmem->dax_dev);
	pmem->dax_dev = NULL;
}
