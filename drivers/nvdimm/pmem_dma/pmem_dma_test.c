// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for pmem_dma's dispatch decision and for the dma_ext
 * request it builds from a block request.
 */
#include <kunit/test.h>
#include <linux/badblocks.h>
#include <linux/blk_types.h>
#include <linux/scatterlist.h>
#include "pmem_dma.h"
#include "../../dma/ext/dma_ext_internal.h"

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

struct dispatch_case {
	const char *name;
	blk_opf_t opf;
	unsigned int bytes;
	unsigned int threshold;
	bool flush_may_sleep;
	bool bad;		/* sectors 8..15 are bad; the request starts at 0 */
	bool p2p;
	bool want;
};

static const struct dispatch_case dispatch_cases[] = {
	{ "write at threshold", REQ_OP_WRITE, 65536, 65536, false, false, false, true },
	{ "write below threshold", REQ_OP_WRITE, 65024, 65536, false, false, false, false },
	{ "read above threshold", REQ_OP_READ, SZ_1M, 65536, false, false, false, true },
	{ "threshold 0 takes 512 B", REQ_OP_READ, 512, 0, false, false, false, true },
	{ "cpu-only threshold", REQ_OP_WRITE, SZ_1M, UINT_MAX,
	  false, false, false, false },
	{ "flush never", REQ_OP_FLUSH, 0, 0, false, false, false, false },
	{ "discard never", REQ_OP_DISCARD, SZ_1M, 0, false, false, false, false },
	{ "FUA write, sync flush", REQ_OP_WRITE | REQ_FUA, SZ_1M, 0, false, false, false, true },
	{ "FUA write, sleeping flush", REQ_OP_WRITE | REQ_FUA, SZ_1M, 0,
	  true, false, false, false },
	{ "plain write, sleeping flush", REQ_OP_WRITE, SZ_1M, 0, true, false, false, true },
	{ "read over bad blocks", REQ_OP_READ, 8192, 0, false, true, false, false },
	{ "write over bad blocks", REQ_OP_WRITE, 8192, 0, false, true, false, false },
	{ "read before bad blocks", REQ_OP_READ, 4096, 0, false, true, false, true },
	{ "P2P below threshold", REQ_OP_WRITE, 4096, 65536, false, false, true, true },
	{ "P2P with cpu-only threshold", REQ_OP_READ, 512, UINT_MAX, false, false, true, true },
	{ "P2P over bad blocks", REQ_OP_READ, 8192, 0, false, true, true, false },
	{ "P2P flush never", REQ_OP_FLUSH, 0, 0, false, false, true, false },
};

static void dispatch_case_desc(const struct dispatch_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(dispatch, dispatch_cases, dispatch_case_desc);

static void pmem_dma_bb_exit(void *bb)
{
	badblocks_exit(bb);
}

static void pmem_dma_dispatch_test(struct kunit *test)
{
	const struct dispatch_case *c = test->param_value;
	struct pmem_dma_dev *pmem = kunit_kzalloc(test, sizeof(*pmem), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, pmem);
	KUNIT_ASSERT_EQ(test, badblocks_init(&pmem->bb, 1), 0);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, pmem_dma_bb_exit, &pmem->bb), 0);
	if (c->bad)
		KUNIT_ASSERT_EQ(test, badblocks_set(&pmem->bb, 8, 8, 1), 0);
	pmem->dma_threshold = c->threshold;
	pmem->flush_may_sleep = c->flush_may_sleep;
	KUNIT_EXPECT_EQ(test, pmem_dma_wants_dma(pmem, c->opf, 0, c->bytes, c->p2p),
			c->want);
}

/*
 * A 12 KiB write from three scattered pages into the namespace: the
 * namespace side is one range, so each page becomes one segment whose
 * destination continues the previous one; a read swaps the sides.
 */
static void pmem_dma_fill_req_test(struct kunit *test)
{
	static const dma_addr_t pages[] = { 0x7000, 0x3000, 0x9000 };
	struct scatterlist sg[3], pmem_sg;
	struct dmaext_req *req;
	unsigned int i;
	bool write;

	req = kunit_kzalloc(test, dmaext_req_size(8), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, req);
	sg_init_table(sg, 3);
	for (i = 0; i < 3; i++) {
		sg_dma_address(&sg[i]) = pages[i];
		sg_dma_len(&sg[i]) = 4096;
	}
	for (write = false; ; write = true) {
		dmaext_req_init(req, 8);
		pmem_dma_fill_req(req, &pmem_sg, 0x100000000ULL, 3 * 4096, sg, 3, write);
		KUNIT_ASSERT_EQ(test, dmaext_build_segs(req, SZ_1M, 0), 0);
		KUNIT_ASSERT_EQ(test, req->nr_segs, 3);
		for (i = 0; i < 3; i++) {
			dma_addr_t ns = 0x100000000ULL + i * 4096;

			KUNIT_EXPECT_EQ(test, req->segs[i].src, write ? pages[i] : ns);
			KUNIT_EXPECT_EQ(test, req->segs[i].dst, write ? ns : pages[i]);
			KUNIT_EXPECT_EQ(test, req->segs[i].len, 4096);
		}
		if (write)
			break;
	}

	/* a namespace range shorter than the pages is refused, not truncated */
	dmaext_req_init(req, 8);
	pmem_dma_fill_req(req, &pmem_sg, 0x100000000ULL, 2 * 4096, sg, 3, true);
	KUNIT_EXPECT_EQ(test, dmaext_build_segs(req, SZ_1M, 0), -EINVAL);
}

static struct kunit_case pmem_dma_cases[] = {
	KUNIT_CASE_PARAM(pmem_dma_dispatch_test, dispatch_gen_params),
	KUNIT_CASE(pmem_dma_fill_req_test),
	{}
};

static struct kunit_suite pmem_dma_suite = {
	.name = "pmem_dma_dispatch",
	.test_cases = pmem_dma_cases,
};

kunit_test_suite(pmem_dma_suite);

MODULE_DESCRIPTION("KUnit tests for pmem_dma's DMA dispatch");
MODULE_LICENSE("GPL");
