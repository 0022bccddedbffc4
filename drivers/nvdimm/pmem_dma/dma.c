// SPDX-License-Identifier: GPL-2.0
/*
 * pmem_dma DMA submission: large requests go to a DMA engine as one
 * dma_ext request each.
 *
 * Mapping follows the DMA API, per request and against the engine's
 * device: the request's pages with dma_map_sgtable(), and the range of the
 * namespace it touches as pages of the namespace's memmap (fsdax), both
 * unmapped when the engine is done with the request. Behind an IOMMU the
 * engine so reaches only what it is copying, while it copies. A raw
 * namespace has no struct page: the DMA API has no correct way to map it
 * (dma_map_resource() is for MMIO), so it is copied by the CPU only, and
 * dma_channel says so. An engine that cannot address the namespace
 * without an IOMMU is not used; a request whose pages it cannot address
 * is copied by the CPU (said once per channel). The request becomes one
 * scatterlist-to-scatterlist copy. The blk-mq request completes from the
 * dma_ext callback; a request the engine fails or aborts is redone by the
 * CPU from the slow-path workqueue and only fails if that fails too.
 *
 * Durability: an engine may write into CPU caches (Intel DDIO). Unless
 * the channel's provider declares its writes durable
 * (DMAEXT_CAP_DURABLE_WRITES) or the platform says its caches are
 * persistent (nvdimm_has_cache() == 0, eADR), the written range is
 * written back with arch_wb_cache_pmem() and fenced before the request
 * completes; dma_write_durability overrides the choice for what the
 * kernel cannot see. FUA then flushes the region like the CPU path does.
 *
 * Channel lifetime: see struct pmem_dma_chan. When an engine goes away
 * dma_ext learns it (from the driver core, or from dma_soft) and calls
 * pmem_dma_chan_removed() once the engine is done with our requests, or
 * has been given up on: those it finished complete normally, those it
 * was stopped from come back with -ENODEV and are redone by the CPU, and
 * those an engine that cannot be stopped still holds complete when it
 * finishes them or loses its driver. The channel is then unpublished and
 * released from a work item on the slow-path workqueue, once the last of
 * its requests is done.
 *
 * Submission context: dmaext_submit() calls the engine's prep and submit
 * directly, and idxd's prep sleeps when its work queue is full. A
 * BLK_MQ_F_BLOCKING queue would let ->queue_rq sleep there, but blk-mq's
 * timeout work waits for every running dispatch of such a queue first, so
 * an engine that stalls with its pool exhausted would hold up the timeout
 * that is to get its requests back (seen with the idxd personality).
 * For such an engine ->queue_rq only prepares the request and queues it on
 * its channel; the channel's submit work, on the slow-path workqueue,
 * submits it and may sleep. That costs a work item hand-off per batch.
 * An engine that dma_ext says may be submitted to with preemption off
 * (DMAEXT_CAP_ATOMIC_SUBMIT: ptdma, dma_soft's soft and ptdma
 * personalities) is submitted to from ->queue_rq itself, which runs inside
 * an RCU read side with interrupts on. Every CPU may then submit to the
 * same channel at once; dma_ext and the engine lock for that.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/blk-mq.h>
#include <linux/dma-direct.h>
#include <linux/dma-mapping.h>
#include <linux/iommu.h>
#include <linux/pci.h>
#include <linux/swiotlb.h>
#include <linux/libnvdimm.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/wait_bit.h>
#include <kunit/visibility.h>
#include "pmem_dma.h"

/* The channel in slot @i, for a caller that holds dma_mutex. */
static struct pmem_dma_chan *pmem_dma_chan_locked(struct pmem_dma_dev *pmem,
						  unsigned int i)
{
	return rcu_dereference_protected(pmem->chans[i],
					 lockdep_is_held(&pmem->dma_mutex));
}

static void pmem_dma_chan_put(struct pmem_dma_chan *dc)
{
	if (atomic_dec_and_test(&dc->users))
		wake_up_var(&dc->users);
}

/*
 * Release an unpublished channel: wait for the requests still using it,
 * then give it back. Takes no lock of the device: its release work takes
 * dma_mutex, and pmem_dma_dma_exit() waits for that work.
 *
 * Return: the channel's dma_async_issue_pending() count, for the caller
 * to add to dma_retired_submits.
 */
static u64 pmem_dma_chan_free(struct pmem_dma_chan *dc, bool from_work)
{
	struct dmaext_chan_stats st;

	synchronize_rcu();
	wait_var_event(&dc->users, !atomic_read(&dc->users));
	dmaext_get_stats(dc->ext, &st);
	dmaext_release_chan(dc->ext);
	/* no removed() callback comes after the release to queue it again */
	if (!from_work)
		cancel_work_sync(&dc->release_work);
	kfree(dc);
	return st.submits;
}

static void pmem_dma_chan_release_work(struct work_struct *work)
{
	struct pmem_dma_chan *dc = container_of(work, struct pmem_dma_chan,
						release_work);
	struct pmem_dma_dev *pmem = dc->pmem;
	bool mine;
	u64 submits;

	mutex_lock(&pmem->dma_mutex);
	mine = rcu_access_pointer(pmem->chans[dc->slot]) == dc;
	if (mine)
		RCU_INIT_POINTER(pmem->chans[dc->slot], NULL);
	mutex_unlock(&pmem->dma_mutex);
	/* otherwise pmem_dma_dma_exit() unpublished it and frees it */
	if (!mine)
		return;
	dev_info(pmem->dev, "DMA engine went away: %s released, CPU copies its share\n",
		 dmaext_chan_name(dc->ext));
	submits = pmem_dma_chan_free(dc, true);
	mutex_lock(&pmem->dma_mutex);
	pmem->dma_retired_submits += submits;
	mutex_unlock(&pmem->dma_mutex);
}

/* The namespace side is the engine's destination for a write. */
static enum dma_data_direction pmem_dma_pmem_dir(struct request *rq)
{
	return op_is_write(req_op(rq)) ? DMA_FROM_DEVICE : DMA_TO_DEVICE;
}

/*
 * The namespace side is mapped without the CPU syncs, which are done
 * explicitly instead: blk-mq does not keep two writes to the same sectors
 * from being in flight together, and the DMA API debug code reports two
 * live device-writable mappings of one cacheline unless the mapping skips
 * the syncs (the data of such writes is undefined either way, as on any
 * disk).
 */
static int pmem_dma_map_pmem(struct pmem_dma_chan *dc, struct request *rq)
{
	struct pmem_dma_cmd *cmd = blk_mq_rq_to_pdu(rq);
	int rc;

	rc = dma_map_sgtable(dc->dma_dev, &cmd->pmem_sgt, pmem_dma_pmem_dir(rq),
			     DMA_ATTR_SKIP_CPU_SYNC);
	if (!rc)
		dma_sync_sgtable_for_device(dc->dma_dev, &cmd->pmem_sgt,
					    pmem_dma_pmem_dir(rq));
	return rc;
}

/* Undo what pmem_dma_try_dma() mapped; the engine is done with @rq. */
static void pmem_dma_unmap(struct pmem_dma_chan *dc, struct request *rq)
{
	struct pmem_dma_cmd *cmd = blk_mq_rq_to_pdu(rq);

	dma_unmap_sgtable(dc->dma_dev, &cmd->sgt, rq_dma_dir(rq), 0);
	dma_sync_sgtable_for_cpu(dc->dma_dev, &cmd->pmem_sgt, pmem_dma_pmem_dir(rq));
	dma_unmap_sgtable(dc->dma_dev, &cmd->pmem_sgt, pmem_dma_pmem_dir(rq),
			  DMA_ATTR_SKIP_CPU_SYNC);
}

/*
 * Hand one prepared request to the engine; the CPU copies it if refused,
 * from ->queue_rq (@may_sleep false: what would sleep goes to the slow
 * path) or from the submit work.
 */
static void pmem_dma_submit_one(struct pmem_dma_chan *dc, struct pmem_dma_cmd *cmd,
				bool may_sleep)
{
	struct request *rq = blk_mq_rq_from_pdu(cmd);
	struct pmem_dma_dev *pmem = dc->pmem;
	unsigned int bytes = blk_rq_bytes(rq);
	bool p2p = cmd->p2p;

	/*
	 * Counted before, from what was read before: the request may
	 * complete and be reused, and its submitter read the counters,
	 * before dmaext_submit() returns.
	 */
	this_cpu_add(pmem->stats->dma_ios, 1);
	this_cpu_add(pmem->stats->dma_bytes, bytes);
	if (p2p)
		this_cpu_add(pmem->stats->p2p_dma_ios, 1);
	if (!dmaext_submit(dc->ext, &cmd->ereq))
		return;
	this_cpu_sub(pmem->stats->dma_ios, 1);
	this_cpu_sub(pmem->stats->dma_bytes, bytes);
	if (p2p)
		this_cpu_sub(pmem->stats->p2p_dma_ios, 1);
	WRITE_ONCE(cmd->dma, false);
	pmem_dma_unmap(dc, rq);
	WRITE_ONCE(cmd->dc, NULL);
	pmem_dma_chan_put(dc);
	this_cpu_add(pmem->stats->dma_fallbacks, 1);
	if (may_sleep)
		pmem_dma_cpu_fallback(pmem, rq);
	else
		pmem_dma_cpu_issue(pmem, rq);
}

/*
 * Submit what ->queue_rq queued on the channel, oldest first, for an
 * engine whose prep may sleep (idxd).
 */
static void pmem_dma_submit_work(struct work_struct *work)
{
	struct pmem_dma_chan *dc = container_of(work, struct pmem_dma_chan,
						submit_work);
	struct llist_node *list = llist_reverse_order(llist_del_all(&dc->submit_list));
	struct pmem_dma_cmd *cmd, *tmp;

	llist_for_each_entry_safe(cmd, tmp, list, submit_node)
		pmem_dma_submit_one(dc, cmd, true);
}

static void pmem_dma_chan_removed(struct dmaext_chan *ext, void *context)
{
	struct pmem_dma_chan *dc = context;

	queue_work(dc->pmem->slow_wq, &dc->release_work);
}

/*
 * An IOMMU translates the DMA API's mappings for @dev: any page can be
 * mapped for it. Read once, when the channel is taken.
 */
static bool pmem_dma_translated(struct device *dev)
{
	struct iommu_domain *domain = iommu_get_domain_for_dev(dev);

	return domain && iommu_is_dma_domain(domain);
}

/*
 * The DMA API would copy through bounce buffers for @dev (forced swiotlb,
 * as in encrypted guests, or a device the IOMMU does not trust): the CPU
 * would do the copy twice, with a memcpy that does not survive poison.
 */
static bool pmem_dma_bounces(struct device *dev)
{
	return is_swiotlb_force_bounce(dev) ||
	       (dev_is_pci(dev) && to_pci_dev(dev)->untrusted);
}

/* Whether an engine without an IOMMU reaches [phys, phys + len). */
static bool pmem_dma_reaches(struct device *dev, u64 limit, phys_addr_t phys,
			     u64 len)
{
	return !limit || phys_to_dma(dev, phys + len - 1) <= limit;
}

/* A channel for slot @i, or NULL (said why) when there is none to use. */
static struct pmem_dma_chan *pmem_dma_take_chan(struct pmem_dma_dev *pmem,
						unsigned int i)
{
	struct dmaext_chan_spec spec = {
		.node = dev_to_node(pmem->dev),
		.removed = pmem_dma_chan_removed,
	};
	struct pmem_dma_chan *dc;
	bool translated;
	u32 caps;

	dc = kzalloc(sizeof(*dc), GFP_KERNEL);
	if (!dc)
		return NULL;
	spec.context = dc;
	dc->ext = dmaext_request_chan(&spec);
	if (IS_ERR(dc->ext)) {
		kfree(dc);
		return NULL;
	}
	dc->pmem = pmem;
	dc->slot = i;
	INIT_WORK(&dc->release_work, pmem_dma_chan_release_work);
	INIT_WORK(&dc->submit_work, pmem_dma_submit_work);
	init_llist_head(&dc->submit_list);
	dc->dma_dev = dmaext_dma_device(dc->ext);
	dc->max_seg = dma_get_max_seg_size(dc->dma_dev);
	dc->seg_boundary = dma_get_seg_boundary(dc->dma_dev);
	caps = dmaext_chan_caps(dc->ext);
	dc->durable = caps & DMAEXT_CAP_DURABLE_WRITES;
	dc->atomic_submit = caps & DMAEXT_CAP_ATOMIC_SUBMIT;
	dc->dma_mask = min_not_zero(dma_get_mask(dc->dma_dev),
				    dc->dma_dev->bus_dma_limit);
	/*
	 * No reach to check when an IOMMU translates (the mask then bounds
	 * only the IOVAs the DMA API hands out) or the engine takes 64 bits.
	 */
	translated = pmem_dma_translated(dc->dma_dev);
	dc->dma_limit = translated || dc->dma_mask == DMA_BIT_MASK(64) ? 0 : dc->dma_mask;
	if (pmem_dma_bounces(dc->dma_dev)) {
		dev_warn(pmem->dev, "%s: the DMA API would bounce its copies through swiotlb: not used\n",
			 dmaext_chan_name(dc->ext));
		dmaext_release_chan(dc->ext);
		kfree(dc);
		return NULL;
	}
	if (!pmem_dma_reaches(dc->dma_dev, dc->dma_limit, pmem->phys_addr,
			      pmem->size)) {
		dev_warn(pmem->dev, "%s cannot address the namespace (DMA limit %#llx, no IOMMU): not used\n",
			 dmaext_chan_name(dc->ext), dc->dma_limit);
		dmaext_release_chan(dc->ext);
		kfree(dc);
		return NULL;
	}
	dev_info(pmem->dev, "DMA channel %s%s%s, submitted %s\n", dmaext_chan_name(dc->ext),
		 translated ? ", through an IOMMU" : "",
		 dc->durable ? ", durable writes" : "",
		 dc->atomic_submit ? "from queue_rq" : "from a work item");
	if (dc->max_seg < BLK_MAX_SEGMENT_SIZE)
		dev_info(pmem->dev, "%s maps segments of at most %u bytes (the block layer builds 64 KiB): many large requests will be copied by the CPU\n",
			 dmaext_chan_name(dc->ext), dc->max_seg);
	return dc;
}

/**
 * pmem_dma_attach_chans() - take DMA channels for the free slots
 * @pmem: the device
 *
 * Prefers channels on the device's NUMA node. A raw namespace takes none.
 * Sleeps.
 *
 * Return: the number of channels in use afterwards.
 */
int pmem_dma_attach_chans(struct pmem_dma_dev *pmem)
{
	unsigned int i;
	int used = 0;

	if (!pmem_dma_can_dma(pmem))
		return 0;
	mutex_lock(&pmem->dma_mutex);
	for (i = 0; i < pmem_dma_nr_chans; i++) {
		struct pmem_dma_chan *dc;

		if (rcu_access_pointer(pmem->chans[i])) {
			used++;
			continue;
		}
		dc = pmem_dma_take_chan(pmem, i);
		if (!dc)
			break;
		rcu_assign_pointer(pmem->chans[i], dc);
		used++;
	}
	mutex_unlock(&pmem->dma_mutex);
	return used;
}

/**
 * pmem_dma_init_cmd() - set up the DMA side of a request's PDU, once
 * @cmd: the PDU, zeroed by blk-mq
 *
 * dma_ext's request is initialised once for the life of the tag, never
 * per submission, so that a descriptor callback left over from the
 * tag's previous submission is still told apart by dma_ext.
 */
void pmem_dma_init_cmd(struct pmem_dma_cmd *cmd)
{
	dmaext_req_init(&cmd->ereq, PMEM_DMA_MAX_DMA_SEGS);
}

/**
 * pmem_dma_dma_init() - set up the DMA side of a device at probe
 * @pmem: the device
 *
 * Return: 0; running without a DMA engine is not an error.
 */
int pmem_dma_dma_init(struct pmem_dma_dev *pmem)
{
	mutex_init(&pmem->dma_mutex);
	pmem->dma_threshold[0] = pmem_dma_threshold_default[0];
	pmem->dma_threshold[1] = pmem_dma_threshold_default[1];
	/* DDIO may leave DMA writes in the CPU caches unless they persist */
	pmem->dma_wb_cache = nvdimm_has_cache(pmem->region) > 0;
	if (!pmem_dma_can_dma(pmem))
		dev_info(pmem->dev, "raw namespace: no struct page to map for a DMA engine, CPU copies only (fsdax mode has them)\n");
	else if (pmem_dma_nr_chans && !pmem_dma_attach_chans(pmem))
		dev_info(pmem->dev, "no DMA engine: CPU copies only (rescan with pmem_dma/dma_rescan)\n");
	return 0;
}

/**
 * pmem_dma_dma_exit() - release every channel; no request is in flight
 * @pmem: the device
 *
 * Unpublishes the channels under dma_mutex, then lets a release work that
 * an engine's removal queued finish, then frees what it unpublished, with
 * dma_mutex dropped: the release work takes it.
 */
void pmem_dma_dma_exit(struct pmem_dma_dev *pmem)
{
	struct pmem_dma_chan *dcs[PMEM_DMA_MAX_CHANS] = {};
	unsigned int i;

	mutex_lock(&pmem->dma_mutex);
	for (i = 0; i < PMEM_DMA_MAX_CHANS; i++) {
		dcs[i] = pmem_dma_chan_locked(pmem, i);
		RCU_INIT_POINTER(pmem->chans[i], NULL);
	}
	mutex_unlock(&pmem->dma_mutex);
	flush_workqueue(pmem->slow_wq);
	for (i = 0; i < PMEM_DMA_MAX_CHANS; i++)
		if (dcs[i])
			pmem_dma_chan_free(dcs[i], false);
	mutex_destroy(&pmem->dma_mutex);
}

/**
 * pmem_dma_abort_all() - abort every DMA request in flight on the device
 * @pmem: the device
 *
 * Their completions redo them with the CPU. An abort that finished less
 * than a request timeout ago covered every request that has timed out
 * since: blk-mq calls the timeout handler for each of them, and an engine
 * that cannot be stopped would make each call wait again. Sleeps.
 */
void pmem_dma_abort_all(struct pmem_dma_dev *pmem)
{
	unsigned int i;

	mutex_lock(&pmem->dma_mutex);
	if (pmem->dma_abort_end &&
	    time_before(jiffies, pmem->dma_abort_end + msecs_to_jiffies(pmem_dma_timeout_ms))) {
		mutex_unlock(&pmem->dma_mutex);
		return;
	}
	for (i = 0; i < PMEM_DMA_MAX_CHANS; i++) {
		struct pmem_dma_chan *dc = pmem_dma_chan_locked(pmem, i);

		if (dc)
			dmaext_abort(dc->ext);
	}
	pmem->dma_abort_end = jiffies ?: 1;
	mutex_unlock(&pmem->dma_mutex);
}

/**
 * pmem_dma_submits() - dma_async_issue_pending() calls made for the device
 * @pmem: the device
 *
 * Return: the count, as dma_ext measured it, over all channels ever used.
 */
u64 pmem_dma_submits(struct pmem_dma_dev *pmem)
{
	struct dmaext_chan_stats st;
	u64 sum;
	unsigned int i;

	mutex_lock(&pmem->dma_mutex);
	sum = pmem->dma_retired_submits;
	for (i = 0; i < PMEM_DMA_MAX_CHANS; i++) {
		struct pmem_dma_chan *dc = pmem_dma_chan_locked(pmem, i);

		if (!dc)
			continue;
		dmaext_get_stats(dc->ext, &st);
		sum += st.submits;
	}
	mutex_unlock(&pmem->dma_mutex);
	return sum;
}

/**
 * pmem_dma_chan_names() - the channels in use, space separated, or "none"
 * @pmem: the device
 * @buf: output
 * @len: size of @buf
 *
 * Return: bytes written, without the terminating NUL.
 */
size_t pmem_dma_chan_names(struct pmem_dma_dev *pmem, char *buf, size_t len)
{
	size_t n = 0;
	unsigned int i;

	mutex_lock(&pmem->dma_mutex);
	for (i = 0; i < PMEM_DMA_MAX_CHANS; i++) {
		struct pmem_dma_chan *dc = pmem_dma_chan_locked(pmem, i);

		if (dc)
			n += scnprintf(buf + n, len - n, "%s%s", n ? " " : "",
				       dmaext_chan_name(dc->ext));
	}
	mutex_unlock(&pmem->dma_mutex);
	if (!n)
		n = scnprintf(buf, len, "none%s", pmem_dma_can_dma(pmem) ? "" :
			      " (raw namespace: CPU only)");
	return n;
}

/**
 * pmem_dma_dma_write_end() - complete a write its engine has copied
 * @pmem: the device
 * @rq: the write, no longer with the engine
 *
 * Writes back what the engine may have left in the CPU caches, flushes
 * for FUA and completes @rq. Never from hard interrupt context: a write
 * back of up to 1 MiB does not belong in an IRQ handler.
 */
void pmem_dma_dma_write_end(struct pmem_dma_dev *pmem, struct request *rq)
{
	struct pmem_dma_cmd *cmd = blk_mq_rq_to_pdu(rq);

	cmd->status = BLK_STS_OK;
	pmem_dma_finish_write(pmem, rq, cmd->wb);
	if (rq->cmd_flags & REQ_FUA) {
		cmd->status = pmem_dma_flush(pmem);
		if (!cmd->status)
			this_cpu_add(pmem->stats->fua_ios, 1);
	}
	blk_mq_complete_request(rq);
}

/*
 * The end of a DMA request, in the engine's completion context: hard IRQ
 * for ptdma, whose handler calls back with interrupts off. What may take
 * long -- the CPU's redo of a failed request, a write's write-back and
 * flush -- goes to the slow-path workqueue, with cmd->dma cleared first:
 * no engine holds the request any more, and a timeout meanwhile must not
 * abort the channels for it.
 */
static void pmem_dma_dma_done(struct dmaext_req *req, int status)
{
	struct request *rq = req->context;
	struct pmem_dma_cmd *cmd = blk_mq_rq_to_pdu(rq);
	struct pmem_dma_dev *pmem = rq->q->queuedata;
	struct pmem_dma_chan *dc = cmd->dc;
	bool durable = dc->durable;

	pmem_dma_unmap(dc, rq);
	/* the timeout handler reads it: the engine is done with this request */
	WRITE_ONCE(cmd->dc, NULL);
	pmem_dma_chan_put(dc);

	if (status) {
		/* the engine is done with it: redo it with the CPU */
		this_cpu_add(pmem->stats->dma_errors, 1);
		this_cpu_add(pmem->stats->dma_fallbacks, 1);
		cmd->retry = true;
		WRITE_ONCE(cmd->dma, false);
		queue_work(pmem->slow_wq, &cmd->work);
		return;
	}
	if (!op_is_write(req_op(rq))) {
		cmd->status = BLK_STS_OK;
		blk_mq_complete_request(rq);
		return;
	}
	/* decided once: dma_write_durability may change meanwhile */
	cmd->wb = pmem_dma_wb_needed(pmem, durable);
	if (irqs_disabled() && (cmd->wb || (rq->cmd_flags & REQ_FUA))) {
		this_cpu_add(pmem->stats->dma_wb_deferred, 1);
		cmd->write_end = true;
		WRITE_ONCE(cmd->dma, false);
		queue_work(pmem->slow_wq, &cmd->work);
		return;
	}
	pmem_dma_dma_write_end(pmem, rq);
}

/**
 * pmem_dma_wants_dma() - the dispatch decision for one request
 * @pmem: the device: its threshold, flush behaviour and bad blocks
 * @opf: the request's operation and flags
 * @sector: its first sector
 * @bytes: its length
 * @p2p: some of its pages are PCI P2P memory: DMA whatever the size
 *
 * Return: true when the request should go to DMA if a channel is there.
 */
VISIBLE_IF_KUNIT bool pmem_dma_wants_dma(struct pmem_dma_dev *pmem, blk_opf_t opf,
					 sector_t sector, unsigned int bytes, bool p2p)
{
	enum req_op op = opf & REQ_OP_MASK;

	if (op != REQ_OP_READ && op != REQ_OP_WRITE)
		return false;
	if (!p2p && bytes < READ_ONCE(pmem->dma_threshold[op == REQ_OP_WRITE]))
		return false;
	/* a flush that sleeps cannot run from a DMA completion */
	if ((opf & REQ_FUA) && pmem->flush_may_sleep)
		return false;
	/* known bad blocks: the CPU path reports or clears them */
	return !pmem_dma_range_is_bad(pmem, sector, bytes);
}
EXPORT_SYMBOL_IF_KUNIT(pmem_dma_wants_dma);

/*
 * One entry of a list that is reused: clear what the previous request left
 * (its end mark, and the DMA flags a mapping may set and no unmap clears).
 */
static void pmem_dma_set_pmem_sg(struct scatterlist *sg, phys_addr_t phys,
				 unsigned int len)
{
	memset(sg, 0, sizeof(*sg));
	sg_set_page(sg, pfn_to_page(PHYS_PFN(phys)), len, offset_in_page(phys));
}

/**
 * pmem_dma_fill_pmem_sg() - the namespace side of a request, as pages
 * @psg: room for @max entries; filled in and terminated here
 * @max: entries of @psg
 * @phys: physical address of the request's first byte in the namespace
 * @sg: the request's own entries, as blk_rq_map_sg() made them
 * @nents: entries of @sg, each at most @max_seg bytes
 * @max_seg: the engine's largest DMA segment
 * @boundary: the engine's segment boundary mask
 *
 * Entries end only where a request entry ends, or at a @boundary: pairing
 * the two sides then yields at most one engine segment per request entry,
 * plus one for a boundary crossed inside a request entry. An entry takes
 * in as many whole request entries as @max_seg allows. The namespace must
 * have a memmap (fsdax).
 *
 * Return: the entries used, or -E2BIG when @max is too few, more than one
 * boundary falls inside request entries, or @nents is 0 (the CPU copies
 * such a request).
 */
VISIBLE_IF_KUNIT int pmem_dma_fill_pmem_sg(struct scatterlist *psg, unsigned int max,
					   phys_addr_t phys, struct scatterlist *sg,
					   int nents, unsigned int max_seg,
					   unsigned long boundary)
{
	phys_addr_t start = phys, at = phys;
	unsigned int len = 0, n = 0, cuts = 0;
	struct scatterlist *s;
	int i;

	for_each_sg(sg, s, nents, i) {
		unsigned int left = s->length;

		while (left) {
			unsigned int piece = left;

			/* a boundary inside this request entry: cut there */
			if ((at ^ (at + piece - 1)) & ~(phys_addr_t)boundary) {
				piece = (at | boundary) + 1 - at;
				if (++cuts > 1)
					return -E2BIG;
			}
			if (len && ((u64)len + piece > max_seg ||
				    ((start ^ (at + piece - 1)) & ~(phys_addr_t)boundary))) {
				if (n == max)
					return -E2BIG;
				pmem_dma_set_pmem_sg(&psg[n++], start, len);
				start = at;
				len = 0;
			}
			len += piece;
			at += piece;
			left -= piece;
		}
	}
	if (!len || n == max)
		return -E2BIG;
	pmem_dma_set_pmem_sg(&psg[n++], start, len);
	sg_mark_end(&psg[n - 1]);
	return n;
}
EXPORT_SYMBOL_IF_KUNIT(pmem_dma_fill_pmem_sg);

/*
 * The DMA API forbids mapping a scatterlist entry longer than the device's
 * segment limit, and blk_rq_map_sg() builds entries up to the queue's
 * (64 KiB). Engines on PCI functions take 64 KiB; one that takes less
 * only gets the requests whose entries fit it. Without an IOMMU, the
 * engine must also address every page: dma-direct would bounce the others
 * through swiotlb, which is no offload at all.
 */
static bool pmem_dma_sg_fits(struct request *rq, struct scatterlist *sgl,
			     int nents, struct pmem_dma_chan *dc)
{
	struct scatterlist *sg;
	int i;

	if (dc->max_seg >= queue_max_segment_size(rq->q) && !dc->dma_limit &&
	    dc->seg_boundary >= queue_segment_boundary(rq->q))
		return true;
	for_each_sg(sgl, sg, nents, i) {
		if (sg->length > dc->max_seg)
			return false;
		if ((sg_phys(sg) ^ (sg_phys(sg) + sg->length - 1)) &
		    ~(phys_addr_t)dc->seg_boundary)
			return false;
		if (!pmem_dma_reaches(dc->dma_dev, dc->dma_limit, sg_phys(sg),
				      sg->length)) {
			if (!test_and_set_bit(PMEM_DMA_WARN_REACH, &dc->warned))
				dev_info(dc->pmem->dev, "%s cannot address some request pages (DMA limit %#llx): the CPU copies those requests\n",
					 dmaext_chan_name(dc->ext), dc->dma_limit);
			return false;
		}
	}
	return true;
}

/*
 * P2P pages mapped by bus address bypass the IOMMU and the mask checks of
 * the DMA API: the engine must address what it was given.
 */
static bool pmem_dma_p2p_fits(struct pmem_dma_chan *dc, struct sg_table *sgt)
{
	struct scatterlist *sg;
	int i;

	if (dc->dma_mask == DMA_BIT_MASK(64))
		return true;
	for_each_sgtable_dma_sg(sgt, sg, i)
		if (sg_dma_address(sg) + sg_dma_len(sg) - 1 > dc->dma_mask)
			return false;
	return true;
}

/**
 * pmem_dma_try_dma() - hand a request to a DMA engine
 * @pmem: the device
 * @hctx: the hardware queue, which picks the channel
 * @rq: the started request
 *
 * Never sleeps: the request is mapped and submitted right here when
 * dma_ext allows it (DMAEXT_CAP_ATOMIC_SUBMIT: ptdma, dma_soft), queued
 * for the channel's submit work otherwise (idxd, ioatdma). Submitting here
 * saves a work item's wake-up per batch.
 *
 * Return: true when the request went to DMA and will complete from the
 * DMA callback, or from the CPU if the engine refuses it (a fallback);
 * false when the caller must copy it with the CPU (below the threshold,
 * no engine, or it cannot be mapped for the engine: a fallback too).
 */
bool pmem_dma_try_dma(struct pmem_dma_dev *pmem, struct blk_mq_hw_ctx *hctx,
		      struct request *rq)
{
	struct pmem_dma_cmd *cmd = blk_mq_rq_to_pdu(rq);
	struct dmaext_req *req = &cmd->ereq;
	unsigned int bytes = blk_rq_bytes(rq);
	bool write = op_is_write(req_op(rq));
	struct pmem_dma_chan *dc = NULL;
	unsigned int i, slot;
	int nents, pents;

	if (!pmem_dma_nr_chans ||
	    !pmem_dma_wants_dma(pmem, rq->cmd_flags, blk_rq_pos(rq), bytes, cmd->p2p))
		return false;

	/*
	 * The hardware queue's own slot, or the next one that has a channel:
	 * a disk that got fewer channels than dma_channels, or lost one to
	 * an engine's removal, still sends every queue's requests to DMA.
	 */
	slot = hctx->queue_num % pmem_dma_nr_chans;
	rcu_read_lock();
	for (i = 0; i < pmem_dma_nr_chans && !dc; i++)
		dc = rcu_dereference(pmem->chans[(slot + i) % pmem_dma_nr_chans]);
	if (dc)
		atomic_inc(&dc->users);
	rcu_read_unlock();
	if (!dc)
		return false;

	sg_init_table(cmd->sg, blk_rq_nr_phys_segments(rq));
	nents = blk_rq_map_sg(rq->q, rq, cmd->sg);
	if (!nents || !pmem_dma_sg_fits(rq, cmd->sg, nents, dc))
		goto fallback;
	pents = pmem_dma_fill_pmem_sg(cmd->pmem_sg, PMEM_DMA_MAX_PMEM_SEGS,
				      pmem->phys_addr +
				      pmem_dma_sector_to_offset(pmem, blk_rq_pos(rq)),
				      cmd->sg, nents, dc->max_seg, dc->seg_boundary);
	if (pents < 0)
		goto fallback;
	cmd->sgt.sgl = cmd->sg;
	cmd->sgt.orig_nents = nents;
	cmd->pmem_sgt.sgl = cmd->pmem_sg;
	cmd->pmem_sgt.orig_nents = pents;
	/* fails with -EREMOTEIO when the engine cannot reach P2P pages */
	if (dma_map_sgtable(dc->dma_dev, &cmd->sgt, rq_dma_dir(rq), 0))
		goto fallback;
	if (cmd->p2p && !pmem_dma_p2p_fits(dc, &cmd->sgt)) {
		dma_unmap_sgtable(dc->dma_dev, &cmd->sgt, rq_dma_dir(rq), 0);
		goto fallback;
	}
	if (pmem_dma_map_pmem(dc, rq)) {
		dma_unmap_sgtable(dc->dma_dev, &cmd->sgt, rq_dma_dir(rq), 0);
		goto fallback;
	}

	/* initialised once, in pmem_dma_init_cmd(): its submission count lives on */
	req->src = write ? cmd->sgt.sgl : cmd->pmem_sgt.sgl;
	req->src_nents = write ? cmd->sgt.nents : cmd->pmem_sgt.nents;
	req->dst = write ? cmd->pmem_sgt.sgl : cmd->sgt.sgl;
	req->dst_nents = write ? cmd->pmem_sgt.nents : cmd->sgt.nents;
	req->done = pmem_dma_dma_done;
	req->context = rq;
	cmd->dc = dc;
	WRITE_ONCE(cmd->dma, true);
	if (dc->atomic_submit) {
		pmem_dma_submit_one(dc, cmd, false);
		return true;
	}
	if (llist_add(&cmd->submit_node, &dc->submit_list))
		queue_work(pmem->slow_wq, &dc->submit_work);
	return true;

fallback:
	pmem_dma_chan_put(dc);
	this_cpu_add(pmem->stats->dma_fallbacks, 1);
	return false;
}
