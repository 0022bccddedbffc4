// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for pmem_dma's dispatch decision and for the dma_ext
 * request it builds from a block request.
 */
#include <kunit/test.h>
#include <linux/badblocks.h>
#include <linux/blk_types.h>
#include <linux/prandom.h>
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
	bool w;

	KUNIT_ASSERT_NOT_NULL(test, pmem);
	KUNIT_ASSERT_EQ(test, badblocks_init(&pmem->bb, 1), 0);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, pmem_dma_bb_exit, &pmem->bb), 0);
	if (c->bad)
		KUNIT_ASSERT_EQ(test, badblocks_set(&pmem->bb, 8, 8, 1), 0);
	w = (c->opf & REQ_OP_MASK) == REQ_OP_WRITE;
	pmem->dma_threshold[w] = c->threshold;
	/* the other direction's threshold would give the opposite answer */
	pmem->dma_threshold[!w] = c->want ? UINT_MAX : 0;
	pmem->flush_may_sleep = c->flush_may_sleep;
	KUNIT_EXPECT_EQ(test, pmem_dma_wants_dma(pmem, c->opf, 0, c->bytes, c->p2p),
			c->want);
}

/* Entries of @len bytes each at the physical addresses @phys[]. */
static void pmem_dma_test_sg(struct scatterlist *sg, const phys_addr_t *phys,
			     const unsigned int *len, unsigned int n)
{
	unsigned int i;

	sg_init_table(sg, n);
	for (i = 0; i < n; i++)
		sg_set_page(&sg[i], pfn_to_page(PHYS_PFN(phys[i])), len[i],
			    offset_in_page(phys[i]));
}

/* What dma-direct without an offset would make of a built list. */
static void pmem_dma_test_map(struct scatterlist *sgl, int n)
{
	struct scatterlist *sg;
	int i;

	for_each_sg(sgl, sg, n, i) {
		sg_dma_address(sg) = sg_phys(sg);
		sg_dma_len(sg) = sg->length;
	}
}

/*
 * The engine segments of a request whose sides pmem_dma built: @write
 * picks which side is the source.
 */
static int pmem_dma_test_segs(struct dmaext_req *req, struct scatterlist *sg,
			      int nents, struct scatterlist *psg, int pents,
			      bool write)
{
	pmem_dma_test_map(sg, nents);
	pmem_dma_test_map(psg, pents);
	dmaext_req_init(req, PMEM_DMA_MAX_DMA_SEGS);
	req->src = write ? sg : psg;
	req->src_nents = write ? nents : pents;
	req->dst = write ? psg : sg;
	req->dst_nents = write ? pents : nents;
	return dmaext_build_segs(req, SZ_64K, 0);
}

/*
 * A 12 KiB write from three scattered pages into the namespace: the
 * namespace side is one entry, each page one segment whose destination
 * continues the previous one; a read swaps the sides.
 */
static void pmem_dma_pmem_sg_basic_test(struct kunit *test)
{
	static const phys_addr_t pages[] = { 0x7000, 0x3000, 0x9000 };
	static const unsigned int lens[] = { 4096, 4096, 4096 };
	const phys_addr_t ns = 0x100000000ULL;
	struct scatterlist sg[3], psg[PMEM_DMA_MAX_PMEM_SEGS];
	struct dmaext_req *req;
	unsigned int i;
	bool write;
	int pents;

	req = kunit_kzalloc(test, dmaext_req_size(PMEM_DMA_MAX_DMA_SEGS), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, req);
	sg_init_table(psg, ARRAY_SIZE(psg));
	for (write = false; ; write = true) {
		pmem_dma_test_sg(sg, pages, lens, 3);
		pents = pmem_dma_fill_pmem_sg(psg, ARRAY_SIZE(psg), ns, sg, 3,
					      SZ_64K, UINT_MAX);
		KUNIT_ASSERT_EQ(test, pents, 1);
		KUNIT_EXPECT_EQ(test, sg_phys(&psg[0]), ns);
		KUNIT_EXPECT_EQ(test, psg[0].length, 3 * 4096);
		KUNIT_EXPECT_TRUE(test, sg_is_last(&psg[0]));
		KUNIT_ASSERT_EQ(test, pmem_dma_test_segs(req, sg, 3, psg, 1, write), 0);
		KUNIT_ASSERT_EQ(test, req->nr_segs, 3);
		for (i = 0; i < 3; i++) {
			KUNIT_EXPECT_EQ(test, req->segs[i].src, write ? pages[i] : ns + i * 4096);
			KUNIT_EXPECT_EQ(test, req->segs[i].dst, write ? ns + i * 4096 : pages[i]);
			KUNIT_EXPECT_EQ(test, req->segs[i].len, 4096);
		}
		if (write)
			break;
	}
	/* no boundary at all (ULONG_MAX, a platform device's): the same */
	pmem_dma_test_sg(sg, pages, lens, 3);
	KUNIT_EXPECT_EQ(test, pmem_dma_fill_pmem_sg(psg, ARRAY_SIZE(psg), ns, sg, 3,
						    SZ_64K, ULONG_MAX), 1);
	/* too little room is refused, not truncated */
	pmem_dma_test_sg(sg, pages, lens, 3);
	KUNIT_EXPECT_EQ(test, pmem_dma_fill_pmem_sg(psg, 1, ns, sg, 3, 4096, UINT_MAX),
			-E2BIG);
}

/*
 * A request entry that straddles the engine's 4 GiB segment boundary in
 * the namespace is cut there, once; pairing the sides may join the two
 * pieces again when both continue (dma_ext merges; engines have no such
 * boundary). A second boundary inside an entry is refused.
 */
static void pmem_dma_pmem_sg_boundary_test(struct kunit *test)
{
	static const phys_addr_t pages[] = { 0x10000, 0x20000, 0x30000 };
	static const unsigned int lens[] = { 4096, 4096, 4096 };
	const phys_addr_t ns = 0x100000000ULL - 6144;
	struct scatterlist sg[3], psg[PMEM_DMA_MAX_PMEM_SEGS];
	struct dmaext_req *req;
	int pents;

	req = kunit_kzalloc(test, dmaext_req_size(PMEM_DMA_MAX_DMA_SEGS), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, req);
	sg_init_table(psg, ARRAY_SIZE(psg));
	pmem_dma_test_sg(sg, pages, lens, 3);
	pents = pmem_dma_fill_pmem_sg(psg, ARRAY_SIZE(psg), ns, sg, 3, SZ_64K,
				      0xffffffffUL);
	KUNIT_ASSERT_EQ(test, pents, 2);
	KUNIT_EXPECT_EQ(test, sg_phys(&psg[0]), ns);
	KUNIT_EXPECT_EQ(test, psg[0].length, 6144);
	KUNIT_EXPECT_EQ(test, sg_phys(&psg[1]), 0x100000000ULL);
	KUNIT_EXPECT_EQ(test, psg[1].length, 6144);
	KUNIT_ASSERT_EQ(test, pmem_dma_test_segs(req, sg, 3, psg, pents, true), 0);
	KUNIT_EXPECT_EQ(test, req->nr_segs, 3);

	/* a 64 KiB boundary inside two 4 KiB-misaligned 64 KiB entries */
	{
		static const phys_addr_t big[] = { 0x100000, 0x200000 };
		static const unsigned int blen[] = { SZ_64K, SZ_64K };

		pmem_dma_test_sg(sg, big, blen, 2);
		KUNIT_EXPECT_EQ(test, pmem_dma_fill_pmem_sg(psg, ARRAY_SIZE(psg),
							    0x1000000 + 4096, sg, 2,
							    SZ_64K, 0xffffUL),
				-E2BIG);
	}
}

/*
 * Random requests up to the queue's limits (256 entries of 512 B..64 KiB,
 * 1 MiB in all) at random namespace offsets: the namespace side fits its
 * array, no entry is longer than the engine's 64 KiB or crosses its 4 GiB
 * boundary, the lengths add up, and the engine segments fit the request's
 * room -- the sizes the PDU is built with.
 */
static void pmem_dma_pmem_sg_random_test(struct kunit *test)
{
	struct scatterlist *sg, *psg, *s;
	phys_addr_t *phys;
	unsigned int *lens, round;
	struct dmaext_req *req;
	struct rnd_state rnd;

	sg = kunit_kcalloc(test, PMEM_DMA_MAX_SEGMENTS, sizeof(*sg), GFP_KERNEL);
	psg = kunit_kcalloc(test, PMEM_DMA_MAX_PMEM_SEGS, sizeof(*psg), GFP_KERNEL);
	phys = kunit_kcalloc(test, PMEM_DMA_MAX_SEGMENTS, sizeof(*phys), GFP_KERNEL);
	lens = kunit_kcalloc(test, PMEM_DMA_MAX_SEGMENTS, sizeof(*lens), GFP_KERNEL);
	req = kunit_kzalloc(test, dmaext_req_size(PMEM_DMA_MAX_DMA_SEGS), GFP_KERNEL);
	KUNIT_ASSERT_TRUE(test, sg && psg && phys && lens && req);
	prandom_seed_state(&rnd, 20261129);

	for (round = 0; round < 2000; round++) {
		unsigned int n = 0, total = 0, sum = 0;
		phys_addr_t ns;
		int pents, i;

		/* 4 GiB - 512 KiB .. 4 GiB + 512 KiB: some cross the boundary */
		ns = 0x100000000ULL - SZ_512K +
		     ((prandom_u32_state(&rnd) % (SZ_1M >> 9)) << 9);
		while (n < PMEM_DMA_MAX_SEGMENTS) {
			unsigned int len = ((prandom_u32_state(&rnd) % 128) + 1) << 9;

			if (round % 4 == 0)
				len = PAGE_SIZE;	/* the common case: scattered pages */
			if (total + len > SZ_1M)
				break;
			phys[n] = (u64)(prandom_u32_state(&rnd) % 4096) << 20;
			lens[n++] = len;
			total += len;
		}
		pmem_dma_test_sg(sg, phys, lens, n);
		pents = pmem_dma_fill_pmem_sg(psg, PMEM_DMA_MAX_PMEM_SEGS, ns, sg, n,
					      SZ_64K, 0xffffffffUL);
		KUNIT_ASSERT_GT_MSG(test, pents, 0, "round %u: %u entries", round, n);
		for_each_sg(psg, s, pents, i) {
			KUNIT_EXPECT_LE(test, s->length, SZ_64K);
			KUNIT_EXPECT_EQ(test, (sg_phys(s) ^ (sg_phys(s) + s->length - 1)) >> 32,
					0);
			KUNIT_EXPECT_EQ(test, sg_phys(s), ns + sum);
			sum += s->length;
		}
		KUNIT_EXPECT_EQ(test, sum, total);
		KUNIT_ASSERT_EQ_MSG(test, pmem_dma_test_segs(req, sg, n, psg, pents,
							     round & 1), 0,
				    "round %u: %u entries, %d namespace entries", round, n, pents);
		KUNIT_EXPECT_LE(test, req->nr_segs, n + 1);
	}
}

struct shape_case {
	const char *name;
	unsigned int cpus, hw_queues, depth;	/* inputs; 0 = automatic */
	unsigned int nr_hw, qd;			/* expected */
};

static const struct shape_case shape_cases[] = {
	{ "2 CPUs", 2, 0, 0, 2, 128 },
	{ "64 CPUs", 64, 0, 0, 8, 64 },
	{ "256 CPUs", 256, 0, 0, 8, 64 },
	{ "1024 CPUs", 1024, 0, 0, 8, 64 },
	{ "1 CPU", 1, 0, 0, 1, 128 },
	{ "4 CPUs", 4, 0, 0, 4, 128 },
	{ "256 CPUs, hw_queues=1", 256, 1, 0, 1, 128 },
	{ "256 CPUs, hw_queues=256", 256, 256, 0, 256, 32 },
	{ "256 CPUs, queue_depth=256", 256, 0, 256, 8, 256 },
	{ "2 CPUs, both given", 2, 2, 1000, 2, 1000 },
};

static void shape_case_desc(const struct shape_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(shape, shape_cases, shape_case_desc);

/*
 * The automatic shape keeps a disk's requests -- the part of its memory
 * that grows with the queues -- within 8 MiB, whatever the CPU count.
 */
static void pmem_dma_queue_shape_test(struct kunit *test)
{
	const struct shape_case *c = test->param_value;
	size_t rq_bytes = sizeof(struct request) + offsetof(struct pmem_dma_cmd, ereq) +
			  dmaext_req_size(PMEM_DMA_MAX_DMA_SEGS);
	unsigned int nr_hw, qd;

	pmem_dma_queue_shape(c->cpus, c->hw_queues, c->depth, &nr_hw, &qd);
	KUNIT_EXPECT_EQ(test, nr_hw, c->nr_hw);
	KUNIT_EXPECT_EQ(test, qd, c->qd);
	if (!c->hw_queues && !c->depth)
		KUNIT_EXPECT_LE(test, (size_t)nr_hw * qd * rq_bytes, SZ_8M + SZ_1M);
}

/*
 * The worst case the namespace-side array is sized for: request entries
 * just over half the engine's 64 KiB, so no two share an entry, across the
 * 4 GiB boundary. It must fit PMEM_DMA_MAX_PMEM_SEGS (a bound: adjacent
 * entries hold more than 64 KiB together).
 */
static void pmem_dma_pmem_sg_worst_test(struct kunit *test)
{
	const unsigned int len = SZ_32K + 512, n = SZ_1M / len;
	struct scatterlist *sg, *psg;
	phys_addr_t *phys;
	unsigned int *lens, i;
	int pents;

	sg = kunit_kcalloc(test, n, sizeof(*sg), GFP_KERNEL);
	psg = kunit_kcalloc(test, PMEM_DMA_MAX_PMEM_SEGS, sizeof(*psg), GFP_KERNEL);
	phys = kunit_kcalloc(test, n, sizeof(*phys), GFP_KERNEL);
	lens = kunit_kcalloc(test, n, sizeof(*lens), GFP_KERNEL);
	KUNIT_ASSERT_TRUE(test, sg && psg && phys && lens);
	for (i = 0; i < n; i++) {
		phys[i] = (phys_addr_t)(i + 1) << 20;
		lens[i] = len;
	}
	/* away from the boundary: one namespace entry per request entry */
	pmem_dma_test_sg(sg, phys, lens, n);
	pents = pmem_dma_fill_pmem_sg(psg, PMEM_DMA_MAX_PMEM_SEGS, 0x40000000ULL,
				      sg, n, SZ_64K, 0xffffffffUL);
	KUNIT_EXPECT_EQ(test, pents, n);
	/* across it: at most one more (the cut pieces may join neighbours) */
	pmem_dma_test_sg(sg, phys, lens, n);
	pents = pmem_dma_fill_pmem_sg(psg, PMEM_DMA_MAX_PMEM_SEGS,
				      0x100000000ULL - SZ_512K + 512, sg, n,
				      SZ_64K, 0xffffffffUL);
	KUNIT_EXPECT_GE(test, pents, n - 1);
	KUNIT_EXPECT_LE(test, pents, n + 1);
	KUNIT_EXPECT_LE(test, pents, PMEM_DMA_MAX_PMEM_SEGS);
}

static struct kunit_case pmem_dma_cases[] = {
	KUNIT_CASE_PARAM(pmem_dma_queue_shape_test, shape_gen_params),
	KUNIT_CASE_PARAM(pmem_dma_dispatch_test, dispatch_gen_params),
	KUNIT_CASE(pmem_dma_pmem_sg_basic_test),
	KUNIT_CASE(pmem_dma_pmem_sg_boundary_test),
	KUNIT_CASE(pmem_dma_pmem_sg_random_test),
	KUNIT_CASE(pmem_dma_pmem_sg_worst_test),
	{}
};

static struct kunit_suite pmem_dma_suite = {
	.name = "pmem_dma_dispatch",
	.test_cases = pmem_dma_cases,
};

kunit_test_suite(pmem_dma_suite);

MODULE_DESCRIPTION("KUnit tests for pmem_dma's DMA dispatch");
MODULE_LICENSE("GPL");
