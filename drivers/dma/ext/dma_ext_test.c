// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for dma_ext.
 *
 * dmaext_split: how requests are cut into engine segments.
 * dmaext_submit: the request path against a mock dmaengine provider whose
 * descriptors the test completes by hand, in any order and with any result.
 * The mock can lack terminate/synchronize (as ioatdma and idxd do) and can
 * complete out of order (idxd's DMA_COMPLETION_NO_ORDER).
 */
#include <kunit/test.h>
#include <linux/dmaengine.h>
#include <linux/platform_device.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/workqueue.h>
#include "dma_ext.h"
#include "dma_ext_internal.h"

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

#define MAX_ENTS	8
#define MAX_SEGS	16

struct split_case {
	const char *name;
	unsigned int nsrc, ndst;
	struct { u64 addr; u32 len; } src[MAX_ENTS], dst[MAX_ENTS];
	u32 max_len;
	u32 align_mask;
	unsigned int max_segs;
	int rc;
	unsigned int nsegs;
	struct dmaext_seg want[MAX_SEGS];
};

static const struct split_case split_cases[] = {
	{ "one entry each", 1, 1, { { 0x10000, 4096 } }, { { 0x80000, 4096 } },
	  SZ_1M, 0, MAX_SEGS, 0, 1, { { 0x10000, 0x80000, 4096 } } },
	{ "split by max_len", 1, 1, { { 0x10000, 10000 } }, { { 0x80000, 10000 } },
	  4096, 0, MAX_SEGS, 0, 3,
	  { { 0x10000, 0x80000, 4096 }, { 0x11000, 0x81000, 4096 },
	    { 0x12000, 0x82000, 1808 } } },
	{ "merge contiguous", 2, 2,
	  { { 0x10000, 4096 }, { 0x11000, 4096 } },
	  { { 0x80000, 4096 }, { 0x81000, 4096 } },
	  SZ_1M, 0, MAX_SEGS, 0, 1, { { 0x10000, 0x80000, 8192 } } },
	{ "no merge when dst jumps", 2, 2,
	  { { 0x10000, 4096 }, { 0x11000, 4096 } },
	  { { 0x80000, 4096 }, { 0x90000, 4096 } },
	  SZ_1M, 0, MAX_SEGS, 0, 2,
	  { { 0x10000, 0x80000, 4096 }, { 0x11000, 0x90000, 4096 } } },
	{ "cut where either side ends", 2, 1,
	  { { 0x10000, 1000 }, { 0x30000, 3096 } }, { { 0x80000, 4096 } },
	  SZ_1M, 0, MAX_SEGS, 0, 2,
	  { { 0x10000, 0x80000, 1000 }, { 0x30000, 0x803e8, 3096 } } },
	{ "merge stops at max_len", 3, 1,
	  { { 0x0, 2048 }, { 0x800, 2048 }, { 0x1000, 2048 } }, { { 0x9000, 6144 } },
	  4096, 0, MAX_SEGS, 0, 2,
	  { { 0x0, 0x9000, 4096 }, { 0x1000, 0xa000, 2048 } } },
	{ "zero-length entries skipped", 3, 1,
	  { { 0x10000, 0 }, { 0x20000, 512 }, { 0x30000, 0 } }, { { 0x80000, 512 } },
	  SZ_1M, 0, MAX_SEGS, 0, 1, { { 0x20000, 0x80000, 512 } } },
	{ "aligned for a 4-byte engine", 1, 1, { { 0x1004, 64 } }, { { 0x2008, 64 } },
	  SZ_1M, 3, MAX_SEGS, 0, 1, { { 0x1004, 0x2008, 64 } } },
	{ "misaligned address", 1, 1, { { 0x1001, 64 } }, { { 0x2000, 64 } },
	  SZ_1M, 3, MAX_SEGS, -EINVAL },
	{ "misaligned length", 1, 1, { { 0x1000, 66 } }, { { 0x2000, 66 } },
	  SZ_1M, 3, MAX_SEGS, -EINVAL },
	{ "src longer than dst", 1, 1, { { 0x1000, 8192 } }, { { 0x9000, 4096 } },
	  SZ_1M, 0, MAX_SEGS, -EINVAL },
	{ "dst longer than src", 1, 2, { { 0x1000, 4096 } },
	  { { 0x9000, 4096 }, { 0xa000, 512 } }, SZ_1M, 0, MAX_SEGS, -EINVAL },
	{ "zero length", 1, 1, { { 0x1000, 0 } }, { { 0x9000, 0 } },
	  SZ_1M, 0, MAX_SEGS, -EINVAL },
	{ "too many segments", 1, 1, { { 0x0, 16384 } }, { { 0x80000, 16384 } },
	  4096, 0, 3, -EINVAL },
	{ "exactly max_segs", 1, 1, { { 0x0, 12288 } }, { { 0x80000, 12288 } },
	  4096, 0, 3, 0, 3,
	  { { 0x0, 0x80000, 4096 }, { 0x1000, 0x81000, 4096 }, { 0x2000, 0x82000, 4096 } } },
};

static void split_case_desc(const struct split_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(split, split_cases, split_case_desc);

static void fill_sg(struct scatterlist *sg, unsigned int n,
		    const struct split_case *c, bool src)
{
	unsigned int i;

	sg_init_table(sg, n);
	for (i = 0; i < n; i++) {
		sg_dma_address(&sg[i]) = src ? c->src[i].addr : c->dst[i].addr;
		sg_dma_len(&sg[i]) = src ? c->src[i].len : c->dst[i].len;
	}
}

static void dmaext_split_test(struct kunit *test)
{
	const struct split_case *c = test->param_value;
	struct scatterlist *src, *dst;
	struct dmaext_req *req;
	unsigned int i;

	src = kunit_kcalloc(test, MAX_ENTS, sizeof(*src), GFP_KERNEL);
	dst = kunit_kcalloc(test, MAX_ENTS, sizeof(*dst), GFP_KERNEL);
	req = kunit_kzalloc(test, dmaext_req_size(c->max_segs), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, src);
	KUNIT_ASSERT_NOT_NULL(test, dst);
	KUNIT_ASSERT_NOT_NULL(test, req);
	dmaext_req_init(req, c->max_segs);
	fill_sg(src, c->nsrc, c, true);
	fill_sg(dst, c->ndst, c, false);
	req->src = src;
	req->src_nents = c->nsrc;
	req->dst = dst;
	req->dst_nents = c->ndst;

	KUNIT_ASSERT_EQ(test, dmaext_build_segs(req, c->max_len, c->align_mask), c->rc);
	if (c->rc)
		return;
	KUNIT_ASSERT_EQ(test, req->nr_segs, c->nsegs);
	for (i = 0; i < c->nsegs; i++) {
		KUNIT_EXPECT_EQ_MSG(test, req->segs[i].src, c->want[i].src, "seg %u", i);
		KUNIT_EXPECT_EQ_MSG(test, req->segs[i].dst, c->want[i].dst, "seg %u", i);
		KUNIT_EXPECT_EQ_MSG(test, req->segs[i].len, c->want[i].len, "seg %u", i);
	}
}

static struct kunit_case dmaext_split_cases[] = {
	KUNIT_CASE_PARAM(dmaext_split_test, split_gen_params),
	{}
};

static struct kunit_suite dmaext_split_suite = {
	.name = "dmaext_split",
	.test_cases = dmaext_split_cases,
};

/* ------------------------------------------------------------------ */
/* A mock provider: the test decides when and how descriptors finish. */

#define MOCK_MAX_DESCS	64

struct mock_desc {
	struct dma_async_tx_descriptor tx;
	unsigned int nsegs;
	bool finished;
};

struct mock_dma {
	struct dma_device dma;
	struct dma_chan chan;
	struct platform_device *pdev;
	spinlock_t lock;			/* protects the fields below */
	struct mock_desc *descs[MOCK_MAX_DESCS];	/* in submission order */
	unsigned int nr_descs;
	unsigned int prepared;
	unsigned int prep_limit;		/* fail prep beyond this; 0 = never */
	unsigned int issue_pending;
	unsigned int terminated;
	dma_cookie_t completed;			/* what tx_status reports done */
};

static struct mock_dma *to_mock(struct dma_chan *chan)
{
	return container_of(chan, struct mock_dma, chan);
}

static dma_cookie_t mock_tx_submit(struct dma_async_tx_descriptor *tx)
{
	struct mock_dma *m = to_mock(tx->chan);
	unsigned long flags;

	spin_lock_irqsave(&m->lock, flags);
	tx->cookie = ++m->chan.cookie;
	m->descs[m->nr_descs++] = container_of(tx, struct mock_desc, tx);
	spin_unlock_irqrestore(&m->lock, flags);
	return tx->cookie;
}

static struct dma_async_tx_descriptor *mock_prep(struct dma_chan *chan,
						 unsigned int nsegs,
						 unsigned long flags)
{
	struct mock_dma *m = to_mock(chan);
	struct mock_desc *d;

	if (m->prep_limit && m->prepared >= m->prep_limit)
		return NULL;
	if (m->nr_descs >= MOCK_MAX_DESCS)
		return NULL;
	d = kzalloc(sizeof(*d), GFP_NOWAIT);
	if (!d)
		return NULL;
	m->prepared++;
	dma_async_tx_descriptor_init(&d->tx, chan);
	d->tx.tx_submit = mock_tx_submit;
	d->tx.flags = flags;
	d->nsegs = nsegs;
	return &d->tx;
}

static struct dma_async_tx_descriptor *mock_prep_memcpy(struct dma_chan *chan,
							dma_addr_t dst,
							dma_addr_t src,
							size_t len,
							unsigned long flags)
{
	return mock_prep(chan, 1, flags);
}

static struct dma_async_tx_descriptor *mock_prep_batch(struct dma_chan *chan,
						       const struct dmaext_seg *segs,
						       unsigned int nr,
						       unsigned long flags)
{
	return mock_prep(chan, nr, flags);
}

static void mock_issue_pending(struct dma_chan *chan)
{
	to_mock(chan)->issue_pending++;
}

static enum dma_status mock_tx_status(struct dma_chan *chan, dma_cookie_t cookie,
				      struct dma_tx_state *state)
{
	return cookie <= READ_ONCE(to_mock(chan)->completed) ? DMA_COMPLETE : DMA_IN_PROGRESS;
}

static int mock_terminate_all(struct dma_chan *chan)
{
	struct mock_dma *m = to_mock(chan);
	unsigned int i;

	m->terminated++;
	for (i = 0; i < m->nr_descs; i++)
		m->descs[i]->finished = true;	/* dropped: no callback */
	return 0;
}

static void mock_synchronize(struct dma_chan *chan)
{
}

static int mock_alloc_chan_resources(struct dma_chan *chan)
{
	return 0;
}

static void mock_free_chan_resources(struct dma_chan *chan)
{
}

static void mock_release(struct dma_device *dma)
{
	struct mock_dma *m = container_of(dma, struct mock_dma, dma);
	unsigned int i;

	for (i = 0; i < m->nr_descs; i++)
		kfree(m->descs[i]);
	kfree(m);
}

/* Finish descriptor @i with @result, as an engine interrupt would. */
static void __mock_finish(struct mock_dma *m, unsigned int i,
			  enum dmaengine_tx_result result)
{
	struct dmaengine_result res = { .result = result };
	struct mock_desc *d = m->descs[i];

	d->finished = true;
	d->tx.callback_result(d->tx.callback_param, &res);
}

static void mock_finish(struct kunit *test, struct mock_dma *m, unsigned int i,
			enum dmaengine_tx_result result)
{
	KUNIT_ASSERT_LT(test, i, m->nr_descs);
	KUNIT_ASSERT_FALSE(test, m->descs[i]->finished);
	__mock_finish(m, i, result);
}

static int mock_probe(struct platform_device *pdev)
{
	return 0;
}

static struct platform_driver mock_driver = {
	.probe = mock_probe,
	.driver = { .name = "dmaext_mock" },
};

static void mock_unregister(void *data)
{
	struct mock_dma *m = data;
	struct platform_device *pdev = m->pdev;

	dmaext_clear_model(&m->dma);
	dma_async_device_unregister(&m->dma);
	platform_device_unregister(pdev);
}

/* mock_create() capabilities */
#define MOCK_BATCH		BIT(0)	/* dma_ext native batch */
#define MOCK_NO_TERMINATE	BIT(1)	/* no terminate_all/synchronize */
#define MOCK_NO_ORDER		BIT(2)	/* DMA_COMPLETION_NO_ORDER */

/* a mock engine; @model: the driver dma_ext is to take it for, or NULL */
static struct mock_dma *mock_create_model(struct kunit *test, unsigned int caps,
					  const char *model)
{
	static const struct dmaext_provider_ops ops = {
		.prep_memcpy_batch = mock_prep_batch,
		.max_batch = 8,
	};
	struct mock_dma *m = kzalloc(sizeof(*m), GFP_KERNEL);
	struct dma_device *dma;

	KUNIT_ASSERT_NOT_NULL(test, m);
	spin_lock_init(&m->lock);
	m->pdev = platform_device_register_simple("dmaext_mock", PLATFORM_DEVID_AUTO,
						  NULL, 0);
	KUNIT_ASSERT_FALSE(test, IS_ERR(m->pdev));
	KUNIT_ASSERT_NOT_NULL(test, m->pdev->dev.driver);

	dma = &m->dma;
	dma->dev = &m->pdev->dev;
	INIT_LIST_HEAD(&dma->channels);
	dma_cap_set(DMA_MEMCPY, dma->cap_mask);
	dma_cap_set(DMA_PRIVATE, dma->cap_mask);
	dma->device_alloc_chan_resources = mock_alloc_chan_resources;
	dma->device_free_chan_resources = mock_free_chan_resources;
	dma->device_prep_dma_memcpy = mock_prep_memcpy;
	dma->device_issue_pending = mock_issue_pending;
	dma->device_tx_status = mock_tx_status;
	if (!(caps & MOCK_NO_TERMINATE)) {
		dma->device_terminate_all = mock_terminate_all;
		dma->device_synchronize = mock_synchronize;
	}
	if (caps & MOCK_NO_ORDER)
		dma_cap_set(DMA_COMPLETION_NO_ORDER, dma->cap_mask);
	dma->device_release = mock_release;
	m->chan.device = dma;
	list_add_tail(&m->chan.device_node, &dma->channels);
	if (caps & MOCK_BATCH)
		KUNIT_ASSERT_EQ(test, dmaext_register_provider(dma, &ops), 0);
	if (model)
		KUNIT_ASSERT_EQ(test, dmaext_set_model(dma, model), 0);
	KUNIT_ASSERT_EQ(test, dma_async_device_register(dma), 0);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, mock_unregister, m), 0);
	return m;
}

struct done_log {
	int calls;
	int status;
};

static void log_done(struct dmaext_req *req, int status)
{
	struct done_log *log = req->context;

	log->calls++;
	log->status = status;
}

struct submit_env {
	struct mock_dma *m;
	struct dmaext_chan *chan;
	struct dmaext_req *req;
	struct scatterlist src[1], dst[MAX_SEGS];
	struct done_log log;
	bool removed;
	bool keep_on_removed;	/* the test releases the channel itself */
	struct work_struct release_work;
};

static void env_release(void *data)
{
	struct submit_env *e = data;

	if (e->chan)
		dmaext_release_chan(e->chan);
	if (e->m)
		dmaext_unregister_provider(&e->m->dma);
}

static void env_removed(struct dmaext_chan *chan, void *context)
{
	struct submit_env *e = context;

	e->removed = true;
	if (!e->keep_on_removed)
		schedule_work(&e->release_work);
}

static void env_release_work(struct work_struct *work)
{
	struct submit_env *e = container_of(work, struct submit_env, release_work);

	dmaext_release_chan(e->chan);
	e->chan = NULL;
}

/*
 * A request of @nsegs pieces of 4 KiB (non-contiguous on the destination
 * side so they do not merge) on a fresh mock channel.
 */
/* the request copies @nsegs of the env's destination pieces */
static void env_fill_req(struct submit_env *e, unsigned int nsegs)
{
	sg_dma_len(e->src) = nsegs * 4096;
	e->req->src = e->src;
	e->req->src_nents = 1;
	e->req->dst = e->dst;
	e->req->dst_nents = nsegs;
	e->req->done = log_done;
	e->req->context = &e->log;
}

/* ... on a mock engine dma_ext takes for @model's (NULL: none) */
static struct submit_env *env_create_model(struct kunit *test, unsigned int caps,
					   const char *model, unsigned int nsegs)
{
	struct submit_env *e = kunit_kzalloc(test, sizeof(*e), GFP_KERNEL);
	struct dmaext_chan_spec spec = { .node = NUMA_NO_NODE };
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, e);
	KUNIT_ASSERT_LE(test, nsegs, ARRAY_SIZE(e->dst));
	INIT_WORK(&e->release_work, env_release_work);
	e->m = mock_create_model(test, caps, model);
	spec.name = dma_chan_name(&e->m->chan);
	spec.removed = env_removed;
	spec.context = e;
	e->chan = dmaext_request_chan(&spec);
	KUNIT_ASSERT_FALSE(test, IS_ERR(e->chan));
	KUNIT_ASSERT_PTR_EQ(test, dmaext_dma_chan(e->chan), &e->m->chan);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, env_release, e), 0);

	e->req = kunit_kzalloc(test, dmaext_req_size(MAX_SEGS), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, e->req);
	dmaext_req_init(e->req, MAX_SEGS);
	sg_init_table(e->src, 1);
	sg_dma_address(e->src) = 0x100000;
	sg_init_table(e->dst, nsegs);
	for (i = 0; i < nsegs; i++) {
		sg_dma_address(&e->dst[i]) = 0x800000 + i * 0x10000;
		sg_dma_len(&e->dst[i]) = 4096;
	}
	env_fill_req(e, nsegs);
	return e;
}

static struct submit_env *env_create(struct kunit *test, unsigned int caps,
				     unsigned int nsegs)
{
	return env_create_model(test, caps, NULL, nsegs);
}

static void dmaext_one_issue_per_request(struct kunit *test)
{
	struct submit_env *e = env_create(test, 0, 4);
	struct dmaext_chan_stats st;
	unsigned int i;

	KUNIT_ASSERT_EQ(test, dmaext_submit(e->chan, e->req), 0);
	KUNIT_EXPECT_EQ(test, e->m->nr_descs, 4);
	KUNIT_EXPECT_EQ(test, e->m->issue_pending, 1);
	for (i = 0; i < 4; i++) {
		KUNIT_EXPECT_EQ(test, e->log.calls, 0);
		mock_finish(test, e->m, i, DMA_TRANS_NOERROR);
	}
	KUNIT_EXPECT_EQ(test, e->log.calls, 1);
	KUNIT_EXPECT_EQ(test, e->log.status, 0);
	dmaext_get_stats(e->chan, &st);
	KUNIT_EXPECT_EQ(test, st.requests, 1);
	KUNIT_EXPECT_EQ(test, st.descriptors, 4);
	KUNIT_EXPECT_EQ(test, st.submits, 1);
	KUNIT_EXPECT_EQ(test, st.errors, 0);
}

static void dmaext_out_of_order(struct kunit *test)
{
	struct submit_env *e = env_create(test, 0, 4);
	static const unsigned int order[] = { 2, 0, 3, 1 };
	unsigned int i;

	KUNIT_ASSERT_EQ(test, dmaext_submit(e->chan, e->req), 0);
	for (i = 0; i < ARRAY_SIZE(order); i++) {
		KUNIT_EXPECT_EQ(test, e->log.calls, 0);
		mock_finish(test, e->m, order[i], DMA_TRANS_NOERROR);
	}
	KUNIT_EXPECT_EQ(test, e->log.calls, 1);
	KUNIT_EXPECT_EQ(test, e->log.status, 0);
}

static void dmaext_error_propagates(struct kunit *test)
{
	struct submit_env *e = env_create(test, 0, 3);
	struct dmaext_chan_stats st;

	KUNIT_ASSERT_EQ(test, dmaext_submit(e->chan, e->req), 0);
	mock_finish(test, e->m, 0, DMA_TRANS_NOERROR);
	mock_finish(test, e->m, 1, DMA_TRANS_WRITE_FAILED);
	KUNIT_EXPECT_EQ(test, e->log.calls, 0);
	mock_finish(test, e->m, 2, DMA_TRANS_NOERROR);
	KUNIT_EXPECT_EQ(test, e->log.calls, 1);
	KUNIT_EXPECT_EQ(test, e->log.status, -EIO);
	dmaext_get_stats(e->chan, &st);
	KUNIT_EXPECT_EQ(test, st.errors, 1);
}

static void dmaext_abort_completes_inflight(struct kunit *test)
{
	struct submit_env *e = env_create(test, 0, 3);

	KUNIT_ASSERT_EQ(test, dmaext_submit(e->chan, e->req), 0);
	mock_finish(test, e->m, 0, DMA_TRANS_NOERROR);
	KUNIT_EXPECT_EQ(test, dmaext_abort(e->chan), 0);
	KUNIT_EXPECT_EQ(test, e->m->terminated, 1);
	KUNIT_EXPECT_EQ(test, e->log.calls, 1);
	KUNIT_EXPECT_EQ(test, e->log.status, -ECANCELED);

	/* the channel takes requests again afterwards */
	e->log.calls = 0;
	KUNIT_ASSERT_EQ(test, dmaext_submit(e->chan, e->req), 0);
	mock_finish(test, e->m, 3, DMA_TRANS_NOERROR);
	mock_finish(test, e->m, 4, DMA_TRANS_NOERROR);
	mock_finish(test, e->m, 5, DMA_TRANS_NOERROR);
	KUNIT_EXPECT_EQ(test, e->log.calls, 1);
	KUNIT_EXPECT_EQ(test, e->log.status, 0);
}

static void dmaext_bad_input_submits_nothing(struct kunit *test)
{
	struct submit_env *e = env_create(test, 0, 2);

	sg_dma_len(e->src) = 4096;	/* shorter than dst */
	KUNIT_EXPECT_EQ(test, dmaext_submit(e->chan, e->req), -EINVAL);
	e->req->src_nents = 0;
	KUNIT_EXPECT_EQ(test, dmaext_submit(e->chan, e->req), -EINVAL);
	e->req->src_nents = 1;
	sg_dma_len(e->src) = 8192;
	e->req->done = NULL;
	KUNIT_EXPECT_EQ(test, dmaext_submit(e->chan, e->req), -EINVAL);
	KUNIT_EXPECT_EQ(test, e->m->prepared, 0);
	KUNIT_EXPECT_EQ(test, e->m->issue_pending, 0);
	KUNIT_EXPECT_EQ(test, e->log.calls, 0);
}

static void dmaext_engine_full(struct kunit *test)
{
	struct submit_env *e = env_create(test, 0, 3);

	/* nothing can be prepared: refused, no callback */
	e->m->prep_limit = 1;
	e->m->prepared = 1;
	KUNIT_EXPECT_EQ(test, dmaext_submit(e->chan, e->req), -EBUSY);
	KUNIT_EXPECT_EQ(test, e->log.calls, 0);

	/* runs out part-way: what went still completes, the request fails */
	e->m->prepared = 0;
	e->m->prep_limit = 2;
	KUNIT_ASSERT_EQ(test, dmaext_submit(e->chan, e->req), 0);
	KUNIT_EXPECT_EQ(test, e->m->issue_pending, 1);
	mock_finish(test, e->m, 0, DMA_TRANS_NOERROR);
	mock_finish(test, e->m, 1, DMA_TRANS_NOERROR);
	KUNIT_EXPECT_EQ(test, e->log.calls, 1);
	KUNIT_EXPECT_EQ(test, e->log.status, -EIO);
}

static void dmaext_native_batch(struct kunit *test)
{
	struct submit_env *e = env_create(test, MOCK_BATCH, 5);

	KUNIT_ASSERT_EQ(test, dmaext_submit(e->chan, e->req), 0);
	KUNIT_ASSERT_EQ(test, e->m->nr_descs, 1);
	KUNIT_EXPECT_EQ(test, e->m->descs[0]->nsegs, 5);
	KUNIT_EXPECT_EQ(test, e->m->issue_pending, 1);
	mock_finish(test, e->m, 0, DMA_TRANS_NOERROR);
	KUNIT_EXPECT_EQ(test, e->log.calls, 1);
	KUNIT_EXPECT_EQ(test, e->log.status, 0);
}

static void dmaext_provider_removal(struct kunit *test)
{
	struct submit_env *e = env_create(test, MOCK_BATCH, 2);
	struct mock_dma *m = e->m;

	KUNIT_ASSERT_EQ(test, dmaext_submit(e->chan, e->req), 0);
	dmaext_unregister_provider(&m->dma);
	e->m = NULL;
	KUNIT_EXPECT_TRUE(test, e->removed);
	/* the client releases the channel from its work */
	flush_work(&e->release_work);
	KUNIT_EXPECT_NULL(test, e->chan);
	KUNIT_EXPECT_EQ(test, e->log.calls, 1);
	KUNIT_EXPECT_EQ(test, e->log.status, -ENODEV);
	KUNIT_EXPECT_EQ(test, m->terminated, 1);
}

/*
 * Only the last descriptor interrupts where the engine completes in order
 * and has no terminate (ioatdma).
 */
static void dmaext_interrupt_on_last(struct kunit *test)
{
	struct submit_env *e = env_create(test, MOCK_NO_TERMINATE, 4);
	struct dmaext_chan_stats st;
	unsigned int i;

	KUNIT_ASSERT_EQ(test, dmaext_submit(e->chan, e->req), 0);
	for (i = 0; i < 4; i++)
		KUNIT_EXPECT_EQ_MSG(test, !!(e->m->descs[i]->tx.flags & DMA_PREP_INTERRUPT),
				    i == 3, "descriptor %u", i);
	dmaext_get_stats(e->chan, &st);
	KUNIT_EXPECT_EQ(test, st.interrupts, 1);
	for (i = 0; i < 4; i++)
		mock_finish(test, e->m, i, DMA_TRANS_NOERROR);
	KUNIT_EXPECT_EQ(test, e->log.calls, 1);
}

/*
 * ... and every descriptor where it completes out of order (idxd), or in
 * order with terminate (ptdma: its interrupt enable is queue-wide).
 */
static void dmaext_interrupt_each(struct kunit *test)
{
	static const unsigned int caps[] = { MOCK_NO_ORDER | MOCK_NO_TERMINATE, 0 };
	unsigned int i, k;

	for (k = 0; k < ARRAY_SIZE(caps); k++) {
		struct submit_env *e = env_create(test, caps[k], 4);

		KUNIT_ASSERT_EQ(test, dmaext_submit(e->chan, e->req), 0);
		for (i = 0; i < 4; i++)
			KUNIT_EXPECT_TRUE_MSG(test, e->m->descs[i]->tx.flags & DMA_PREP_INTERRUPT,
					      "caps %#x, descriptor %u", caps[k], i);
		for (i = 0; i < 4; i++)
			mock_finish(test, e->m, 3 - i, DMA_TRANS_NOERROR);
		KUNIT_EXPECT_EQ(test, e->log.calls, 1);
		KUNIT_EXPECT_EQ(test, e->log.status, 0);
	}
}

/* The engine finishes the rest of a request a little later. */
struct late_finish {
	struct delayed_work work;
	struct mock_dma *m;
	unsigned int first, last;
};

/* Not the test's thread: no KUnit assertion here. */
static void late_finish_fn(struct work_struct *work)
{
	struct late_finish *lf = container_of(to_delayed_work(work), struct late_finish, work);
	unsigned int i;

	for (i = lf->first; i <= lf->last; i++)
		__mock_finish(lf->m, i, DMA_TRANS_NOERROR);
}

/*
 * An engine without terminate: an abort does not complete anything by
 * force, it waits for the engine, whose own completion (success) counts.
 */
static void dmaext_abort_waits_for_engine(struct kunit *test)
{
	struct submit_env *e = env_create(test, MOCK_NO_TERMINATE, 3);
	struct late_finish lf = { .m = e->m, .first = 1, .last = 2 };

	dmaext_set_quiesce_timeout(e->chan, 5000);
	KUNIT_ASSERT_EQ(test, dmaext_submit(e->chan, e->req), 0);
	mock_finish(test, e->m, 0, DMA_TRANS_NOERROR);
	INIT_DELAYED_WORK(&lf.work, late_finish_fn);
	schedule_delayed_work(&lf.work, msecs_to_jiffies(50));
	KUNIT_EXPECT_EQ(test, dmaext_abort(e->chan), 0);
	flush_delayed_work(&lf.work);
	KUNIT_EXPECT_EQ(test, e->m->terminated, 0);
	KUNIT_EXPECT_EQ(test, e->log.calls, 1);
	KUNIT_EXPECT_EQ(test, e->log.status, 0);
}

/*
 * ... and when the engine does not finish in time, the request stays in
 * flight (the CPU must not touch its buffers), the channel refuses new
 * work, and both end when the engine finishes.
 */
static void dmaext_abort_quarantines(struct kunit *test)
{
	struct submit_env *e = env_create(test, MOCK_NO_TERMINATE, 2);
	struct dmaext_chan_stats st;

	dmaext_set_quiesce_timeout(e->chan, 50);
	KUNIT_ASSERT_EQ(test, dmaext_submit(e->chan, e->req), 0);
	KUNIT_EXPECT_EQ(test, dmaext_abort(e->chan), -ETIMEDOUT);
	KUNIT_EXPECT_EQ(test, e->log.calls, 0);
	dmaext_get_stats(e->chan, &st);
	KUNIT_EXPECT_EQ(test, st.quarantines, 1);

	mock_finish(test, e->m, 0, DMA_TRANS_NOERROR);
	KUNIT_EXPECT_EQ(test, e->log.calls, 0);
	mock_finish(test, e->m, 1, DMA_TRANS_NOERROR);
	KUNIT_EXPECT_EQ(test, e->log.calls, 1);
	KUNIT_EXPECT_EQ(test, e->log.status, 0);

	/* the last request out reopened the channel */
	KUNIT_ASSERT_EQ(test, dmaext_submit(e->chan, e->req), 0);
	mock_finish(test, e->m, 2, DMA_TRANS_NOERROR);
	mock_finish(test, e->m, 3, DMA_TRANS_NOERROR);
	KUNIT_EXPECT_EQ(test, e->log.calls, 2);
}

static void dmaext_quarantine_refuses(struct kunit *test)
{
	struct submit_env *e = env_create(test, MOCK_NO_TERMINATE, 1);
	struct dmaext_req *other = kunit_kzalloc(test, dmaext_req_size(MAX_SEGS), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, other);
	dmaext_set_quiesce_timeout(e->chan, 20);
	KUNIT_ASSERT_EQ(test, dmaext_submit(e->chan, e->req), 0);
	KUNIT_EXPECT_EQ(test, dmaext_abort(e->chan), -ETIMEDOUT);
	dmaext_req_init(other, MAX_SEGS);
	other->src = e->req->src;
	other->src_nents = 1;
	other->dst = e->req->dst;
	other->dst_nents = 1;
	other->done = log_done;
	other->context = &e->log;
	KUNIT_EXPECT_EQ(test, dmaext_submit(e->chan, other), -EBUSY);
	KUNIT_EXPECT_EQ(test, e->m->nr_descs, 1);
	mock_finish(test, e->m, 0, DMA_TRANS_NOERROR);
	KUNIT_EXPECT_EQ(test, e->log.calls, 1);
}

/*
 * An in-order engine without terminate resets a stuck channel and calls
 * back only the descriptors behind the stuck one (ioat_reboot_chan()): it
 * reports the request's last cookie complete, and dma_ext fails the
 * request instead of waiting for a callback that never comes.
 */
static void dmaext_dropped_descriptor_reaped(struct kunit *test)
{
	struct submit_env *e = env_create(test, MOCK_NO_TERMINATE, 2);
	struct dmaext_chan_stats st;

	dmaext_set_quiesce_timeout(e->chan, 2000);
	KUNIT_ASSERT_EQ(test, dmaext_submit(e->chan, e->req), 0);
	/* descriptor 0 vanishes, 1 is aborted behind it */
	e->m->descs[0]->finished = true;
	mock_finish(test, e->m, 1, DMA_TRANS_ABORTED);
	WRITE_ONCE(e->m->completed, e->m->descs[1]->tx.cookie);
	KUNIT_EXPECT_EQ(test, e->log.calls, 0);
	KUNIT_EXPECT_EQ(test, dmaext_abort(e->chan), 0);
	KUNIT_EXPECT_EQ(test, e->log.calls, 1);
	KUNIT_EXPECT_NE(test, e->log.status, 0);
	dmaext_get_stats(e->chan, &st);
	KUNIT_EXPECT_EQ(test, st.errors, 1);
	/* the channel is open again */
	KUNIT_ASSERT_EQ(test, dmaext_submit(e->chan, e->req), 0);
	mock_finish(test, e->m, 2, DMA_TRANS_NOERROR);
	mock_finish(test, e->m, 3, DMA_TRANS_NOERROR);
	KUNIT_EXPECT_EQ(test, e->log.calls, 2);
	KUNIT_EXPECT_EQ(test, e->log.status, 0);
}

/* An engine breaking its terminate contract: descriptor @i calls back. */
static void mock_stray(struct mock_dma *m, unsigned int i)
{
	struct dmaengine_result res = { .result = DMA_TRANS_NOERROR };
	struct mock_desc *d = m->descs[i];

	d->tx.callback_result(d->tx.callback_param, &res);
}

/* A callback after a terminate completed the request is ignored. */
static void dmaext_late_callback_ignored(struct kunit *test)
{
	struct submit_env *e = env_create(test, 0, 2);
	struct dmaext_chan_stats st;

	KUNIT_ASSERT_EQ(test, dmaext_submit(e->chan, e->req), 0);
	KUNIT_EXPECT_EQ(test, dmaext_abort(e->chan), 0);
	KUNIT_EXPECT_EQ(test, e->log.calls, 1);
	KUNIT_EXPECT_EQ(test, e->log.status, -ECANCELED);
	mock_stray(e->m, 0);
	mock_stray(e->m, 1);
	KUNIT_EXPECT_EQ(test, e->log.calls, 1);
	dmaext_get_stats(e->chan, &st);
	KUNIT_EXPECT_EQ(test, st.late_callbacks, 2);
}

/*
 * ... also once the request is submitted again, re-initialised first as a
 * client may do (pmem_dma once did, per submission), with as many or
 * fewer descriptors: the strays of the terminated submission must not
 * count down the new one, which would complete while the engine copies.
 */
static void dmaext_late_callback_after_resubmit(struct kunit *test)
{
	static const unsigned int again[] = { 2, 1 };
	struct submit_env *e = env_create(test, 0, 2);
	struct dmaext_chan_stats st;
	unsigned int k, first;

	for (k = 0; k < ARRAY_SIZE(again); k++) {
		first = e->m->nr_descs;
		e->log.calls = 0;
		env_fill_req(e, 2);
		KUNIT_ASSERT_EQ(test, dmaext_submit(e->chan, e->req), 0);
		KUNIT_EXPECT_EQ(test, dmaext_abort(e->chan), 0);
		KUNIT_EXPECT_EQ(test, e->log.calls, 1);

		dmaext_req_init(e->req, MAX_SEGS);
		env_fill_req(e, again[k]);
		KUNIT_ASSERT_EQ(test, dmaext_submit(e->chan, e->req), 0);
		KUNIT_ASSERT_EQ(test, e->m->nr_descs, first + 2 + again[k]);
		mock_stray(e->m, first);
		mock_stray(e->m, first + 1);
		KUNIT_EXPECT_EQ_MSG(test, e->log.calls, 1,
				    "resubmitted with %u: completed by strays", again[k]);
		mock_finish(test, e->m, first + 2, DMA_TRANS_NOERROR);
		if (again[k] == 2) {
			KUNIT_EXPECT_EQ(test, e->log.calls, 1);
			mock_finish(test, e->m, first + 3, DMA_TRANS_NOERROR);
		}
		KUNIT_EXPECT_EQ(test, e->log.calls, 2);
		KUNIT_EXPECT_EQ(test, e->log.status, 0);
	}
	dmaext_get_stats(e->chan, &st);
	KUNIT_EXPECT_EQ(test, st.late_callbacks, 4);
}

/*
 * ptdma has terminate_all and synchronize, but its terminate leaves the
 * running command going: dma_ext must not trust it. An abort waits for
 * the engine and quarantines, as for an engine without terminate, and the
 * request completes only when the engine calls back.
 */
static void dmaext_ptdma_terminate_not_trusted(struct kunit *test)
{
	struct submit_env *e = env_create_model(test, 0, "ptdma", 2);

	dmaext_set_quiesce_timeout(e->chan, 50);
	KUNIT_ASSERT_EQ(test, dmaext_submit(e->chan, e->req), 0);
	KUNIT_EXPECT_EQ(test, dmaext_abort(e->chan), -ETIMEDOUT);
	KUNIT_EXPECT_EQ(test, e->m->terminated, 0);
	KUNIT_EXPECT_EQ(test, e->log.calls, 0);
	mock_finish(test, e->m, 0, DMA_TRANS_NOERROR);
	mock_finish(test, e->m, 1, DMA_TRANS_NOERROR);
	KUNIT_EXPECT_EQ(test, e->log.calls, 1);
	KUNIT_EXPECT_EQ(test, e->log.status, 0);

	/* a removal does not terminate it either: -ENODEV once it is unbound */
	e->keep_on_removed = true;
	KUNIT_ASSERT_EQ(test, dmaext_submit(e->chan, e->req), 0);
	device_release_driver(&e->m->pdev->dev);
	KUNIT_EXPECT_TRUE(test, e->removed);
	KUNIT_EXPECT_EQ(test, e->m->terminated, 0);
	KUNIT_EXPECT_EQ(test, e->log.calls, 2);
	KUNIT_EXPECT_EQ(test, e->log.status, -ENODEV);
	dmaext_release_chan(e->chan);
	e->chan = NULL;
}

/* No result is success to dmaengine; dma_ext counts such completions. */
static void dmaext_no_result_counted(struct kunit *test)
{
	struct submit_env *e = env_create(test, 0, 2);
	struct dmaext_chan_stats st;
	struct mock_desc *d;
	unsigned int i;

	KUNIT_ASSERT_EQ(test, dmaext_submit(e->chan, e->req), 0);
	for (i = 0; i < 2; i++) {
		d = e->m->descs[i];
		d->finished = true;
		d->tx.callback_result(d->tx.callback_param, NULL);
	}
	KUNIT_EXPECT_EQ(test, e->log.calls, 1);
	KUNIT_EXPECT_EQ(test, e->log.status, 0);
	dmaext_get_stats(e->chan, &st);
	KUNIT_EXPECT_EQ(test, st.no_result, 2);
}

/*
 * An engine that never calls dma_ext loses its driver (ioatdma, ptdma
 * unbinding): the driver core tells dma_ext, which gives the dmaengine
 * channel back before the driver's remove(), tells the client, keeps what
 * an engine without terminate still holds and completes it with -ENODEV
 * once the device has no driver. Nothing reopens the channel.
 */
static void dmaext_removal_by_driver_core(struct kunit *test)
{
	struct submit_env *e = env_create(test, MOCK_NO_TERMINATE, 2);

	e->keep_on_removed = true;
	dmaext_set_quiesce_timeout(e->chan, 20);
	KUNIT_ASSERT_EQ(test, dmaext_submit(e->chan, e->req), 0);
	mock_finish(test, e->m, 0, DMA_TRANS_NOERROR);
	device_release_driver(&e->m->pdev->dev);
	KUNIT_EXPECT_TRUE(test, e->removed);
	KUNIT_EXPECT_NULL(test, dmaext_dma_chan(e->chan));
	KUNIT_EXPECT_EQ(test, e->m->chan.client_count, 0);
	KUNIT_EXPECT_EQ(test, e->log.calls, 1);
	KUNIT_EXPECT_EQ(test, e->log.status, -ENODEV);
	/* sticky: an abort does not reopen it */
	dmaext_abort(e->chan);
	KUNIT_EXPECT_EQ(test, dmaext_submit(e->chan, e->req), -ENODEV);
	dmaext_release_chan(e->chan);
	e->chan = NULL;
}

/* Same with an engine that can be terminated (dma_soft's): -ENODEV at once. */
static void dmaext_removal_terminates(struct kunit *test)
{
	struct submit_env *e = env_create(test, 0, 2);

	e->keep_on_removed = true;
	KUNIT_ASSERT_EQ(test, dmaext_submit(e->chan, e->req), 0);
	device_release_driver(&e->m->pdev->dev);
	KUNIT_EXPECT_TRUE(test, e->removed);
	KUNIT_EXPECT_EQ(test, e->m->terminated, 1);
	KUNIT_EXPECT_EQ(test, e->log.calls, 1);
	KUNIT_EXPECT_EQ(test, e->log.status, -ENODEV);
	KUNIT_EXPECT_EQ(test, e->m->chan.client_count, 0);
	dmaext_release_chan(e->chan);
	e->chan = NULL;
}

/*
 * idxd's prep sleeps when its work queue is full and a wq disable does not
 * wake it: dma_ext keeps an idxd channel at idxd_wq_size - 1 descriptors
 * outstanding (default 16: 15) and refuses, without preparing anything,
 * a request that would go beyond; a callback makes room again.
 */
static void dmaext_idxd_descriptor_cap(struct kunit *test)
{
	struct submit_env *e = env_create_model(test, MOCK_NO_TERMINATE | MOCK_NO_ORDER,
						"idxd", 16);
	struct dmaext_req *other = kunit_kzalloc(test, dmaext_req_size(MAX_SEGS), GFP_KERNEL);
	struct done_log log2 = {};
	struct dmaext_chan_stats st;
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, other);
	dmaext_req_init(other, MAX_SEGS);
	other->src = e->src;
	other->src_nents = 1;
	other->dst = e->dst;
	other->dst_nents = 8;
	other->done = log_done;
	other->context = &log2;

	env_fill_req(e, 8);
	KUNIT_ASSERT_EQ(test, dmaext_submit(e->chan, e->req), 0);
	KUNIT_EXPECT_EQ(test, dmaext_submit(e->chan, other), -EBUSY);
	KUNIT_EXPECT_EQ(test, e->m->prepared, 8);
	dmaext_get_stats(e->chan, &st);
	KUNIT_EXPECT_EQ(test, st.cap_refusals, 1);
	/* one callback makes room: 7 + 8 is 15 */
	mock_finish(test, e->m, 0, DMA_TRANS_NOERROR);
	KUNIT_ASSERT_EQ(test, dmaext_submit(e->chan, other), 0);
	for (i = 1; i < 16; i++)
		mock_finish(test, e->m, i, DMA_TRANS_NOERROR);
	KUNIT_EXPECT_EQ(test, e->log.calls, 1);
	KUNIT_EXPECT_EQ(test, log2.calls, 1);
	KUNIT_EXPECT_EQ(test, log2.status, 0);

	/* 16 descriptors never fit under 15: refused, even on an idle channel */
	env_fill_req(e, 16);
	KUNIT_EXPECT_EQ(test, dmaext_submit(e->chan, e->req), -EBUSY);
	dmaext_get_stats(e->chan, &st);
	KUNIT_EXPECT_EQ(test, st.cap_refusals, 2);
	KUNIT_EXPECT_EQ(test, e->m->prepared, 16);

	/* not for other engines */
	e = env_create(test, MOCK_NO_TERMINATE | MOCK_NO_ORDER, 16);
	KUNIT_ASSERT_EQ(test, dmaext_submit(e->chan, e->req), 0);
	for (i = 0; i < 16; i++)
		mock_finish(test, e->m, i, DMA_TRANS_NOERROR);
	KUNIT_EXPECT_EQ(test, e->log.calls, 1);
}

static int dmaext_submit_suite_init(struct kunit_suite *suite)
{
	return platform_driver_register(&mock_driver);
}

static void dmaext_submit_suite_exit(struct kunit_suite *suite)
{
	platform_driver_unregister(&mock_driver);
}

static void mock_forget_provider(void *dma)
{
	dmaext_unregister_provider(dma);
}

/*
 * DMAEXT_CAP_ATOMIC_SUBMIT comes from the engine's driver (ptdma),
 * or the driver a software engine stands for; never for idxd, ioatdma or
 * a driver dma_ext does not know, and a registered provider's caps are its
 * own.
 */
static void dmaext_atomic_submit_by_driver(struct kunit *test)
{
	static const struct {
		const char *model;
		unsigned int mock;
		u32 caps;
	} cases[] = {
		{ NULL, 0, 0 },
		{ "ptdma", 0, DMAEXT_CAP_ATOMIC_SUBMIT },
		{ "ioatdma", 0, 0 },
		{ "idxd", 0, 0 },
		{ "ptdma", MOCK_BATCH, 0 },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct dmaext_chan_spec spec = { .node = NUMA_NO_NODE };
		struct mock_dma *m;
		struct dmaext_chan *chan;

		m = mock_create_model(test, cases[i].mock, cases[i].model);
		if (cases[i].mock & MOCK_BATCH)
			KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, mock_forget_provider,
									&m->dma), 0);
		spec.name = dma_chan_name(&m->chan);
		chan = dmaext_request_chan(&spec);
		KUNIT_ASSERT_FALSE(test, IS_ERR(chan));
		KUNIT_EXPECT_EQ_MSG(test, dmaext_chan_caps(chan), cases[i].caps,
				    "model %s, mock caps %#x", cases[i].model ?: "none",
				    cases[i].mock);
		dmaext_release_chan(chan);
	}
}

static struct kunit_case dmaext_submit_cases[] = {
	KUNIT_CASE(dmaext_one_issue_per_request),
	KUNIT_CASE(dmaext_atomic_submit_by_driver),
	KUNIT_CASE(dmaext_out_of_order),
	KUNIT_CASE(dmaext_error_propagates),
	KUNIT_CASE(dmaext_abort_completes_inflight),
	KUNIT_CASE(dmaext_bad_input_submits_nothing),
	KUNIT_CASE(dmaext_engine_full),
	KUNIT_CASE(dmaext_native_batch),
	KUNIT_CASE(dmaext_provider_removal),
	KUNIT_CASE(dmaext_interrupt_on_last),
	KUNIT_CASE(dmaext_interrupt_each),
	KUNIT_CASE(dmaext_abort_waits_for_engine),
	KUNIT_CASE(dmaext_abort_quarantines),
	KUNIT_CASE(dmaext_quarantine_refuses),
	KUNIT_CASE(dmaext_dropped_descriptor_reaped),
	KUNIT_CASE(dmaext_late_callback_ignored),
	KUNIT_CASE(dmaext_late_callback_after_resubmit),
	KUNIT_CASE(dmaext_ptdma_terminate_not_trusted),
	KUNIT_CASE(dmaext_idxd_descriptor_cap),
	KUNIT_CASE(dmaext_no_result_counted),
	KUNIT_CASE(dmaext_removal_by_driver_core),
	KUNIT_CASE(dmaext_removal_terminates),
	{}
};

static struct kunit_suite dmaext_submit_suite = {
	.name = "dmaext_submit",
	.suite_init = dmaext_submit_suite_init,
	.suite_exit = dmaext_submit_suite_exit,
	.test_cases = dmaext_submit_cases,
};

kunit_test_suites(&dmaext_split_suite, &dmaext_submit_suite);

MODULE_DESCRIPTION("KUnit tests for dma_ext");
MODULE_LICENSE("GPL");
