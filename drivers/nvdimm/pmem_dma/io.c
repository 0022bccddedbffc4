// SPDX-License-Identifier: GPL-2.0
/*
 * pmem_dma IO path: the blk-mq queue and the CPU copy engine.
 *
 * ->queue_rq never sleeps. Requests of at least dma_threshold bytes go to a
 * DMA engine when the device has one (dma.c): submitted right there when
 * the engine allows it (DMAEXT_CAP_ATOMIC_SUBMIT), through a per-channel
 * submit work otherwise, since an engine's prep may sleep. A request that
 * needs process context (a write that must first clear media poison, or a
 * flush of a region whose flush sleeps) is handed to the device's slow-path
 * workqueue and completed from there; everything else is copied and completed
 * inline. A write that finds poison only part-way through is simply
 * redone from the start in process context: rewriting the same data is
 * harmless.
 *
 * Durability follows the pmem model: data goes to media with non-temporal
 * stores (memcpy_flushcache), reads use the machine-check-safe copy, and a
 * REQ_OP_FLUSH or a REQ_FUA write drains the platform write queues with
 * nvdimm_flush() (blk-mq turns REQ_PREFLUSH into a separate flush request).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/blk-mq.h>
#include <linux/highmem.h>
#include <linux/libnvdimm.h>
#include <linux/memremap.h>
#include <linux/mm.h>
#include <linux/set_memory.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <kunit/visibility.h>
#include "nd.h"
#include "pmem_dma.h"

bool pmem_dma_range_is_bad(struct pmem_dma_dev *pmem, sector_t sector,
			   unsigned int len)
{
	sector_t first_bad;
	int num_bad;

	if (!READ_ONCE(pmem->bb.count))
		return false;
	return badblocks_check(&pmem->bb, sector, DIV_ROUND_UP(len, SECTOR_SIZE),
			       &first_bad, &num_bad) != 0;
}

/* Pages of an fsdax namespace carry HWPoison; raw namespaces have no pages. */
static void pmem_dma_unpoison_pages(struct pmem_dma_dev *pmem,
				    phys_addr_t offset, unsigned long len)
{
#ifdef CONFIG_MEMORY_FAILURE
	unsigned long pfn = PHYS_PFN(pmem->phys_addr + offset);
	unsigned long end = pfn + PHYS_PFN(len);

	if (is_vmalloc_addr(pmem->virt_addr))
		return;
	for (; pfn < end; pfn++)
		if (TestClearPageHWPoison(pfn_to_page(pfn)))
			clear_mce_nospec(pfn);
#endif
}

/**
 * __pmem_dma_clear_poison() - ask the platform to clear media errors
 * @pmem: the device
 * @offset: byte offset from the start of the namespace
 * @len: bytes
 *
 * May sleep. Does not touch the badblocks list.
 *
 * Return: bytes cleared, or a negative errno.
 */
long __pmem_dma_clear_poison(struct pmem_dma_dev *pmem, phys_addr_t offset,
			     unsigned int len)
{
	long cleared;

	might_sleep();
	cleared = nvdimm_clear_poison(pmem->dev, pmem->phys_addr + offset, len);
	if (cleared > 0) {
		pmem_dma_unpoison_pages(pmem, offset, cleared);
		arch_invalidate_pmem(pmem->virt_addr + offset, len);
	}
	return cleared;
}

void pmem_dma_clear_bb(struct pmem_dma_dev *pmem, sector_t sector, long blks)
{
	if (!blks)
		return;
	badblocks_clear(&pmem->bb, sector, blks);
	if (pmem->bb_state)
		sysfs_notify_dirent(pmem->bb_state);
}

static blk_status_t pmem_dma_clear_poison(struct pmem_dma_dev *pmem,
					  phys_addr_t offset, unsigned int len)
{
	long cleared = __pmem_dma_clear_poison(pmem, offset, len);

	if (cleared < 0)
		return BLK_STS_IOERR;
	pmem_dma_clear_bb(pmem, pmem_dma_offset_to_sector(pmem, offset),
			  cleared >> SECTOR_SHIFT);
	return cleared < len ? BLK_STS_IOERR : BLK_STS_OK;
}

static void pmem_dma_copy_to_pmem(void *dst, struct page *page,
				  unsigned int off, unsigned int len)
{
	page += off >> PAGE_SHIFT;
	off = offset_in_page(off);
	while (len) {
		unsigned int chunk = min_t(unsigned int, len, PAGE_SIZE - off);
		void *src = kmap_local_page(page);

		memcpy_flushcache(dst, src + off, chunk);
		kunmap_local(src);
		dst += chunk;
		len -= chunk;
		off = 0;
		page++;
	}
}

static blk_status_t pmem_dma_copy_from_pmem(struct page *page, unsigned int off,
					    const void *src, unsigned int len)
{
	page += off >> PAGE_SHIFT;
	off = offset_in_page(off);
	while (len) {
		unsigned int chunk = min_t(unsigned int, len, PAGE_SIZE - off);
		void *dst = kmap_local_page(page);
		unsigned long left = copy_mc_to_kernel(dst + off, src, chunk);

		kunmap_local(dst);
		if (left)
			return BLK_STS_IOERR;
		src += chunk;
		len -= chunk;
		off = 0;
		page++;
	}
	return BLK_STS_OK;
}

/**
 * pmem_dma_write_pages() - write @len bytes from @page+@off at @sector
 * @pmem: the device
 * @page: first source page
 * @off: byte offset into @page (may exceed PAGE_SIZE)
 * @sector: destination sector, relative to the start of the data area
 * @len: bytes
 *
 * @can_sleep: the caller is in process context
 *
 * When the range has known bad blocks the poison is cleared first, which
 * sleeps: without @can_sleep nothing is written and BLK_STS_AGAIN tells the
 * caller to retry from process context.
 *
 * Return: BLK_STS_OK, BLK_STS_AGAIN, or BLK_STS_IOERR when the poison
 * could not be cleared.
 */
blk_status_t pmem_dma_write_pages(struct pmem_dma_dev *pmem, struct page *page,
				  unsigned int off, sector_t sector,
				  unsigned int len, bool can_sleep)
{
	phys_addr_t pmem_off = pmem_dma_sector_to_offset(pmem, sector);

	if (unlikely(pmem_dma_range_is_bad(pmem, sector, len))) {
		blk_status_t sts;

		if (!can_sleep)
			return BLK_STS_AGAIN;
		sts = pmem_dma_clear_poison(pmem, pmem_off, len);

		if (sts)
			return sts;
	}
	flush_dcache_page(page);
	pmem_dma_copy_to_pmem(pmem->virt_addr + pmem_off, page, off, len);
	return BLK_STS_OK;
}

static blk_status_t pmem_dma_read_pages(struct pmem_dma_dev *pmem,
					struct page *page, unsigned int off,
					sector_t sector, unsigned int len)
{
	phys_addr_t pmem_off = pmem_dma_sector_to_offset(pmem, sector);
	blk_status_t sts;

	if (unlikely(pmem_dma_range_is_bad(pmem, sector, len)))
		return BLK_STS_IOERR;
	sts = pmem_dma_copy_from_pmem(page, off, pmem->virt_addr + pmem_off, len);
	flush_dcache_page(page);
	return sts;
}

/**
 * pmem_dma_flush() - drain the region's write queues to the media
 * @pmem: the device
 *
 * Sleeps only when pmem->flush_may_sleep.
 *
 * Return: BLK_STS_OK or an error.
 */
blk_status_t pmem_dma_flush(struct pmem_dma_dev *pmem)
{
	this_cpu_add(pmem->stats->flushes, 1);
	return errno_to_blk_status(nvdimm_flush(pmem->region, NULL));
}

/**
 * pmem_dma_wb_needed() - whether a DMA write must be written back
 * @pmem: the device
 * @durable: the engine's provider declared its writes durable
 *
 * Return: true when the CPU caches may hold what the engine wrote (DDIO)
 * and dma_write_durability does not say otherwise.
 */
bool pmem_dma_wb_needed(struct pmem_dma_dev *pmem, bool durable)
{
	switch (READ_ONCE(pmem->dma_durability)) {
	case PMEM_DMA_DURABLE_WRITEBACK:
		return true;
	case PMEM_DMA_DURABLE_ENGINE:
		return false;
	default:
		return !durable && READ_ONCE(pmem->dma_wb_cache);
	}
}

/**
 * pmem_dma_finish_write() - make a DMA write of @rq persistent
 * @pmem: the device
 * @rq: the write, copied by an engine
 * @wb: pmem_dma_wb_needed() said so when the engine finished it
 *
 * An engine may have written into the CPU caches (DDIO): write the range
 * back if @wb, then fence.
 */
void pmem_dma_finish_write(struct pmem_dma_dev *pmem, struct request *rq,
			   bool wb)
{
	u64 t0;

	if (wb) {
		/* up to 1 MiB of cache lines: never in an IRQ handler */
		lockdep_assert_irqs_enabled();
		t0 = ktime_get_ns();
		arch_wb_cache_pmem(pmem->virt_addr +
				   pmem_dma_sector_to_offset(pmem, blk_rq_pos(rq)),
				   blk_rq_bytes(rq));
		this_cpu_add(pmem->stats->dma_wb_ns, ktime_get_ns() - t0);
		this_cpu_add(pmem->stats->dma_wb_bytes, blk_rq_bytes(rq));
	}
	pmem_wmb();
}

static blk_status_t pmem_dma_rw_cpu(struct pmem_dma_dev *pmem,
				    struct request *rq, bool can_sleep)
{
	bool write = op_is_write(req_op(rq));
	struct req_iterator iter;
	struct bio_vec bv;
	blk_status_t sts;

	rq_for_each_segment(bv, rq, iter) {
		sector_t sector = iter.iter.bi_sector;

		if (write)
			sts = pmem_dma_write_pages(pmem, bv.bv_page, bv.bv_offset,
						   sector, bv.bv_len, can_sleep);
		else
			sts = pmem_dma_read_pages(pmem, bv.bv_page, bv.bv_offset,
						  sector, bv.bv_len);
		if (sts)
			return sts;
	}
	return BLK_STS_OK;
}

static blk_status_t pmem_dma_do_request(struct pmem_dma_dev *pmem,
					struct request *rq, bool can_sleep)
{
	blk_status_t sts;

	switch (req_op(rq)) {
	case REQ_OP_FLUSH:
		return pmem_dma_flush(pmem);
	case REQ_OP_READ:
		return pmem_dma_rw_cpu(pmem, rq, can_sleep);
	case REQ_OP_WRITE:
		sts = pmem_dma_rw_cpu(pmem, rq, can_sleep);
		if (!sts && (rq->cmd_flags & REQ_FUA)) {
			sts = pmem_dma_flush(pmem);
			if (!sts)
				this_cpu_add(pmem->stats->fua_ios, 1);
		}
		return sts;
	default:
		return BLK_STS_NOTSUPP;
	}
}

static bool pmem_dma_flush_may_sleep(struct pmem_dma_dev *pmem,
				     struct request *rq)
{
	if (!pmem->flush_may_sleep)
		return false;
	return req_op(rq) == REQ_OP_FLUSH || (rq->cmd_flags & REQ_FUA);
}

/* A request served by the CPU alone is counted once, when it succeeds. */
static void pmem_dma_end_cpu(struct pmem_dma_dev *pmem, struct request *rq,
			     blk_status_t sts, bool count)
{
	struct pmem_dma_cmd *cmd = blk_mq_rq_to_pdu(rq);

	/* a DMA request redone here stays counted as DMA, P2P ones too */
	if (count && !sts && req_op(rq) != REQ_OP_FLUSH) {
		this_cpu_add(pmem->stats->cpu_ios, 1);
		this_cpu_add(pmem->stats->cpu_bytes, blk_rq_bytes(rq));
		if (cmd->p2p)
			this_cpu_add(pmem->stats->p2p_cpu_ios, 1);
	}
	blk_mq_end_request(rq, sts);
}

/*
 * Whether any page of @rq is PCI peer-to-peer memory (a BAR). The CPU
 * path copies such pages correctly too (kmap gives their uncached kernel
 * mapping), only slowly; the DMA path maps them with the P2P-aware
 * dma_map_sgtable(). Requests mixing P2P and ordinary pages are handled
 * as one request either way.
 */
static bool pmem_dma_rq_has_p2p(struct request *rq)
{
	struct req_iterator iter;
	struct bio_vec bv;

	if (!IS_ENABLED(CONFIG_PCI_P2PDMA) || !blk_rq_nr_phys_segments(rq))
		return false;
	rq_for_each_bvec(bv, rq, iter)
		if (is_pci_p2pdma_page(bv.bv_page))
			return true;
	return false;
}

/**
 * pmem_dma_cpu_fallback() - copy a request the engine refused with the CPU
 * @pmem: the device
 * @rq: the started request, no longer with DMA
 *
 * Process context; ends the request.
 */
void pmem_dma_cpu_fallback(struct pmem_dma_dev *pmem, struct request *rq)
{
	pmem_dma_end_cpu(pmem, rq, pmem_dma_do_request(pmem, rq, true), true);
}

/**
 * pmem_dma_cpu_issue() - copy a request with the CPU, from ->queue_rq
 * @pmem: the device
 * @rq: the started request, not on DMA
 *
 * Never sleeps: what would (a write that must clear poison first, a flush
 * of a region whose flush sleeps) goes to the slow-path workqueue. Also the
 * fallback for a request its engine refused in ->queue_rq.
 */
void pmem_dma_cpu_issue(struct pmem_dma_dev *pmem, struct request *rq)
{
	struct pmem_dma_cmd *cmd = blk_mq_rq_to_pdu(rq);
	blk_status_t sts = BLK_STS_AGAIN;

	if (likely(!pmem_dma_flush_may_sleep(pmem, rq)))
		sts = pmem_dma_do_request(pmem, rq, false);
	if (unlikely(sts == BLK_STS_AGAIN))
		queue_work(pmem->slow_wq, &cmd->work);
	else
		pmem_dma_end_cpu(pmem, rq, sts, true);
}

static void pmem_dma_slow_work(struct work_struct *work)
{
	struct pmem_dma_cmd *cmd = container_of(work, struct pmem_dma_cmd, work);
	struct request *rq = blk_mq_rq_from_pdu(cmd);
	struct pmem_dma_dev *pmem = rq->q->queuedata;

	/* a DMA write its engine finished in hard IRQ context */
	if (cmd->write_end) {
		pmem_dma_dma_write_end(pmem, rq);
		return;
	}
	/* a DMA request redone here was counted as a DMA request */
	pmem_dma_end_cpu(pmem, rq, pmem_dma_do_request(pmem, rq, true), !cmd->retry);
}

/* ->complete: a DMA request finished in its engine's callback. */
static void pmem_dma_complete_rq(struct request *rq)
{
	struct pmem_dma_cmd *cmd = blk_mq_rq_to_pdu(rq);

	blk_mq_end_request(rq, cmd->status);
}

/*
 * A DMA request that takes too long: abort the device's channels. An
 * engine that can be terminated is: its requests complete with -ECANCELED
 * and are redone by the CPU, this one included. One that cannot (ioatdma,
 * idxd, and ptdma, whose terminate leaves its queue running) is given
 * time to finish them, which completes them the normal way; what it still
 * holds then stays with it -- the CPU must not write the range while the
 * engine may -- and the timer is re-armed. Other requests (a CPU retry or
 * the end of a DMA write on the slow path) just wait.
 */
static enum blk_eh_timer_return pmem_dma_timeout(struct request *rq)
{
	struct pmem_dma_cmd *cmd = blk_mq_rq_to_pdu(rq);
	struct pmem_dma_dev *pmem = rq->q->queuedata;

	if (!READ_ONCE(cmd->dma))
		return BLK_EH_RESET_TIMER;
	this_cpu_add(pmem->stats->dma_timeouts, 1);
	dev_warn_ratelimited(pmem->dev, "DMA request timed out: aborting, the CPU redoes it\n");
	pmem_dma_abort_all(pmem);
	/* the DMA completion clears dc before it ends or retries the request */
	if (READ_ONCE(cmd->dc)) {
		dev_warn_ratelimited(pmem->dev, "the engine cannot be stopped and still holds a request: waiting for it\n");
		return BLK_EH_RESET_TIMER;
	}
	return BLK_EH_DONE;
}

/* Start @rq and hand it to DMA or copy it; it never comes back busy. */
static void pmem_dma_issue(struct blk_mq_hw_ctx *hctx, struct request *rq)
{
	struct pmem_dma_dev *pmem = hctx->queue->queuedata;
	struct pmem_dma_cmd *cmd = blk_mq_rq_to_pdu(rq);

	cmd->dma = false;
	cmd->retry = false;
	cmd->write_end = false;
	cmd->p2p = pmem_dma_rq_has_p2p(rq);
	blk_mq_start_request(rq);
	if (!pmem_dma_try_dma(pmem, hctx, rq))
		pmem_dma_cpu_issue(pmem, rq);
}

static blk_status_t pmem_dma_queue_rq(struct blk_mq_hw_ctx *hctx,
				      const struct blk_mq_queue_data *bd)
{
	pmem_dma_issue(hctx, bd->rq);
	return BLK_STS_OK;
}

/*
 * The requests of a plug in one call, when the queue has no scheduler: in
 * 6.12 most requests, as submit_bio() plugs each bio (not flushes, nor a
 * plug flushed because its task slept or spanning several queues, nor
 * requeued ones: those come to ->queue_rq). The same per-request work
 * without blk-mq's direct issue of each (hctx and budget checks); every
 * request is taken, none is left in @rqlist. All are of one queue, but
 * not always of one hctx (the task may have moved CPU while it plugged):
 * each request goes to its own rq->mq_hctx. batched_ios counts those that
 * came with others.
 */
static void pmem_dma_queue_rqs(struct rq_list *rqlist)
{
	struct pmem_dma_dev *pmem = NULL;
	unsigned int n = 0;
	struct request *rq;

	while ((rq = rq_list_pop(rqlist))) {
		pmem = rq->q->queuedata;
		pmem_dma_issue(rq->mq_hctx, rq);
		n++;
	}
	if (n > 1)
		this_cpu_add(pmem->stats->batched_ios, n);
}

static int pmem_dma_init_request(struct blk_mq_tag_set *set, struct request *rq,
				 unsigned int hctx_idx, unsigned int numa_node)
{
	struct pmem_dma_cmd *cmd = blk_mq_rq_to_pdu(rq);

	INIT_WORK(&cmd->work, pmem_dma_slow_work);
	pmem_dma_init_cmd(cmd);
	return 0;
}

static const struct blk_mq_ops pmem_dma_mq_ops = {
	.queue_rq	= pmem_dma_queue_rq,
	.queue_rqs	= pmem_dma_queue_rqs,
	.complete	= pmem_dma_complete_rq,
	.timeout	= pmem_dma_timeout,
	.init_request	= pmem_dma_init_request,
};

/**
 * pmem_dma_queue_shape() - hardware queues and their depth for a disk
 * @cpus: possible CPUs (nr_cpu_ids)
 * @hw_queues: module parameter hw_queues, 0 = automatic
 * @depth: module parameter queue_depth, 0 = automatic
 * @nr_hw: the number of hardware queues
 * @qd: requests per hardware queue
 *
 * Automatic: one hardware queue per CPU, at most PMEM_DMA_AUTO_HW_QUEUES,
 * each with PMEM_DMA_AUTO_TAGS shared out, between PMEM_DMA_AUTO_MIN_DEPTH
 * and PMEM_DMA_AUTO_MAX_DEPTH. A value given as a parameter is taken as is.
 */
void pmem_dma_queue_shape(unsigned int cpus, unsigned int hw_queues,
			  unsigned int depth, unsigned int *nr_hw,
			  unsigned int *qd)
{
	*nr_hw = hw_queues ?: clamp(cpus, 1U, PMEM_DMA_AUTO_HW_QUEUES);
	*qd = depth ?: clamp(PMEM_DMA_AUTO_TAGS / *nr_hw, PMEM_DMA_AUTO_MIN_DEPTH,
			     PMEM_DMA_AUTO_MAX_DEPTH);
}
EXPORT_SYMBOL_IF_KUNIT(pmem_dma_queue_shape);

/**
 * pmem_dma_init_tag_set() - set up the blk-mq tag set of @pmem
 * @pmem: the device; its dev must be set
 *
 * Return: 0 or a negative errno.
 */
int pmem_dma_init_tag_set(struct pmem_dma_dev *pmem)
{
	struct blk_mq_tag_set *set = &pmem->tag_set;

	set->ops = &pmem_dma_mq_ops;
	pmem_dma_queue_shape(nr_cpu_ids, pmem_dma_hw_queues, pmem_dma_queue_depth,
			     &set->nr_hw_queues, &set->queue_depth);
	set->numa_node = dev_to_node(pmem->dev);
	set->cmd_size = offsetof(struct pmem_dma_cmd, ereq) +
			dmaext_req_size(PMEM_DMA_MAX_DMA_SEGS);
	set->timeout = msecs_to_jiffies(pmem_dma_timeout_ms);
	set->flags = BLK_MQ_F_SHOULD_MERGE;
	set->driver_data = pmem;
	return blk_mq_alloc_tag_set(set);
}
