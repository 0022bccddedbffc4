// SPDX-License-Identifier: GPL-2.0
/*
 * The dma_soft "engine": it is handed DMA addresses of its own device, as
 * a hardware engine would be, and must find the memory behind them to copy
 * with the CPU.
 *
 * Rule: translation and mapping happen only in the channel worker's
 * process context (memremap() may sleep).
 *   DMA address -> physical: dma_to_phys() for direct mapping; through the
 *     IOMMU domain (page by page) when one translates for the device.
 *     Other translations (bounce buffers, encrypted memory) are not
 *     supported: the engine is for test VMs and development machines.
 *   physical -> CPU: memory with a struct page in the direct map (RAM,
 *     fsdax pmem, P2PDMA pages) through page_address(); anything else is
 *     mapped for the copy with memremap(): write-back for persistent
 *     memory (a raw namespace), write-combining otherwise (PCI BARs).
 *   The copy routine depends on the direction, as on the CPU path of a
 *     pmem driver. Memory is System RAM (a page in the direct map that is
 *     not ZONE_DEVICE) or device memory: persistent memory (fsdax page
 *     maps, raw namespaces), P2P BARs. Out of device memory with
 *     copy_mc_to_kernel(), so that poison makes the descriptor fail with
 *     DMA_TRANS_READ_FAILED instead of a machine check (the debugfs
 *     "poison" range emulates it where the memory is not really
 *     poisoned); into device memory with memcpy_flushcache() when the
 *     device declares durable writes (personality soft, durable_writes=1)
 *     and fenced before the descriptor completes -- any device memory, so
 *     that no kind of persistent memory is missed -- and through the
 *     caches otherwise, as an engine with DDIO writes; memcpy() from RAM
 *     to RAM. A piece is judged by its first page.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/dma-direct.h>
#include <linux/io.h>
#include <linux/iommu.h>
#include <linux/ioport.h>
#include <linux/libnvdimm.h>
#include <linux/memremap.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/uaccess.h>
#include "soft.h"

/* Largest piece copied between two cond_resched() with direct mapping. */
#define SOFT_CHUNK	SZ_1M

struct soft_map {
	void *va;
	void *remapped;		/* memremap()ed, to unmap after the copy */
	bool ram;		/* System RAM, not device memory */
};

static int soft_dma_to_phys(struct soft_dev *sd, dma_addr_t addr,
			    phys_addr_t *phys)
{
	if (sd->domain) {
		*phys = iommu_iova_to_phys(sd->domain, addr);
		return *phys ? 0 : -EFAULT;
	}
	*phys = dma_to_phys(sd->dev, addr);
	return 0;
}

static bool soft_in_direct_map(phys_addr_t phys, size_t len)
{
	unsigned long pfn = PHYS_PFN(phys), last = PHYS_PFN(phys + len - 1);

	for (; pfn <= last; pfn++)
		if (!pfn_valid(pfn) || PageHighMem(pfn_to_page(pfn)))
			return false;
	return true;
}

static int soft_map(phys_addr_t phys, size_t len, struct soft_map *m)
{
	unsigned long flags = MEMREMAP_WC;

	m->remapped = NULL;
	if (soft_in_direct_map(phys, len)) {
		struct page *page = pfn_to_page(PHYS_PFN(phys));

		m->va = page_address(page) + offset_in_page(phys);
		m->ram = !is_zone_device_page(page);
		return 0;
	}
	m->ram = false;
	if (region_intersects(phys, len, IORESOURCE_MEM,
			      IORES_DESC_PERSISTENT_MEMORY) == REGION_INTERSECTS ||
	    region_intersects(phys, len, IORESOURCE_MEM,
			      IORES_DESC_PERSISTENT_MEMORY_LEGACY) == REGION_INTERSECTS)
		flags = MEMREMAP_WB;
	m->remapped = memremap(phys, len, flags);
	if (!m->remapped)
		return -ENOMEM;
	m->va = m->remapped;
	return 0;
}

static void soft_unmap(struct soft_map *m)
{
	if (m->remapped)
		memunmap(m->remapped);
}

/* Copy one piece that is contiguous in physical memory on both sides. */
static enum dmaengine_tx_result soft_copy_piece(struct soft_dev *sd,
						dma_addr_t dst, dma_addr_t src,
						size_t len)
{
	enum dmaengine_tx_result res = DMA_TRANS_NOERROR;
	phys_addr_t dphys, sphys;
	struct soft_map dm, sm;

	if (soft_dma_to_phys(sd, src, &sphys) ||
	    soft_fault_poisoned(&sd->fault, sphys, len) || soft_map(sphys, len, &sm))
		return DMA_TRANS_READ_FAILED;
	if (soft_dma_to_phys(sd, dst, &dphys) || soft_map(dphys, len, &dm)) {
		soft_unmap(&sm);
		return DMA_TRANS_WRITE_FAILED;
	}
	if (!dm.ram && sd->durable) {
		if (sm.ram)
			memcpy_flushcache(dm.va, sm.va, len);
		else if (copy_mc_to_kernel(dm.va, sm.va, len))
			res = DMA_TRANS_READ_FAILED;
		else
			arch_wb_cache_pmem(dm.va, len);
		/*
		 * Durable before the worker can move to another CPU (the
		 * cond_resched() between pieces) and before the completion:
		 * a fence on the client's CPU would not order these stores.
		 */
		pmem_wmb();
		if (res == DMA_TRANS_NOERROR)
			atomic64_add(len, &sd->fault.flushed_bytes);
	} else if (!sm.ram) {
		if (copy_mc_to_kernel(dm.va, sm.va, len))
			res = DMA_TRANS_READ_FAILED;
	} else {
		memcpy(dm.va, sm.va, len);
	}
	soft_unmap(&dm);
	soft_unmap(&sm);
	return res;
}

static size_t soft_piece_len(struct soft_dev *sd, dma_addr_t dst,
			     dma_addr_t src, size_t len)
{
	/* behind an IOMMU only one IOVA page is known to be contiguous */
	if (sd->domain) {
		len = min_t(size_t, len, PAGE_SIZE - offset_in_page(src));
		return min_t(size_t, len, PAGE_SIZE - offset_in_page(dst));
	}
	return min_t(size_t, len, SOFT_CHUNK);
}

/**
 * soft_copy_desc() - execute a descriptor
 * @sc: its channel
 * @desc: the descriptor, owned by the worker
 *
 * Process context. Updates desc->done as it goes (for the residue).
 *
 * Return: the descriptor's result.
 */
enum dmaengine_tx_result soft_copy_desc(struct soft_chan *sc, struct soft_desc *desc)
{
	struct soft_dev *sd = sc->sd;
	enum dmaengine_tx_result res = DMA_TRANS_NOERROR;
	unsigned int i;
	u32 delay = READ_ONCE(sd->fault.delay_us.val);
	u64 t0, busy = 0;

	if (delay) {
		WRITE_ONCE(sc->held, true);
		usleep_range(delay, delay + delay / 8 + 1);
		WRITE_ONCE(sc->held, false);
		/* terminated or reset meanwhile: a stopped engine copies nothing */
		if (READ_ONCE(sc->abort))
			return DMA_TRANS_ABORTED;
	}

	for (i = 0; i < desc->nr_segs && res == DMA_TRANS_NOERROR; i++) {
		const struct dmaext_seg *seg = &desc->segs[i];
		size_t off = 0;

		while (off < seg->len) {
			size_t n = soft_piece_len(sd, seg->dst + off, seg->src + off,
						  seg->len - off);

			t0 = ktime_get_ns();
			res = soft_copy_piece(sd, seg->dst + off, seg->src + off, n);
			busy += ktime_get_ns() - t0;
			if (res != DMA_TRANS_NOERROR)
				break;
			off += n;
			WRITE_ONCE(desc->done, desc->done + n);
			cond_resched();
		}
	}
	/* the copies only, not cond_resched(): what hardware would take over */
	atomic64_add(busy, &sd->fault.busy_ns);
	return res;
}
