/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tests of the soft DMA engine (the device a guest drives): byte-exact
 * copies across pages and mixed page sizes, faults in the descriptor
 * status with the partial-write rule, garbage descriptors and registers,
 * the per-poll budget, stale-TLB behaviour seen by DMA, substreams, and
 * DMA racing with invalidation on two threads.
 */
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>

#include "soft_env.h"
#include "uiommu_cmd.h"
#include "uiommu_soft_dma.h"
#include "uiommu_ut.h"

#define PT_RW (UIOMMU_PT_PROT_READ | UIOMMU_PT_PROT_WRITE)
#define VSID 0x17
#define ASID 9
#define RING_IOVA 0x1000000ULL
#define DESC_SZ sizeof(struct uiommu_soft_dma_desc)

static struct uiommu_soft_dma_regs regs_page __attribute__((aligned(4096)));

struct dctx {
	struct soft_env e;
	void *dev;
	struct uiommu_soft_dma_regs *regs;
	struct uiommu_pgtable *pt;
	uint64_t cdtab;
	uint64_t ring_gpa;
	unsigned int log2;
	uint32_t prod;
};

static void
dma_setup(struct dctx *c, unsigned int log2, uint32_t ring_prot)
{
	uint64_t ring_bytes = RTE_ALIGN_CEIL(DESC_SZ << log2, SZ_4K);

	UT_ASSERT_FATAL(env_init(&c->e, NULL) == 0);
	c->regs = &regs_page;
	c->dev = env_dev(&c->e, "dma0", VSID, c->regs);
	c->pt = env_s1_create(&c->e);
	c->cdtab = env_galloc(&c->e, 0, 64, 64);
	env_write_cd(&c->e, c->cdtab, ASID, uiommu_pgtable_root(c->pt), false);
	CU_ASSERT_EQUAL(env_set_ste_s1(&c->e, c->dev, c->cdtab, 0, 0), 0);
	c->log2 = log2;
	c->ring_gpa = env_galloc(&c->e, 0, ring_bytes, SZ_4K);
	env_s1_map(c->pt, RING_IOVA, c->ring_gpa, ring_bytes, ring_prot);
	c->prod = 0;
}

static void
dma_enable(struct dctx *c, uint64_t base, uint32_t log2, uint32_t ssid)
{
	c->regs->ctrl = 0;
	c->e.ops->poll(c->e.vi, 1); /* notices the disable */
	c->regs->ring_base = base;
	c->regs->ring_log2 = log2;
	c->regs->ssid = ssid;
	c->regs->cons = c->prod;
	c->regs->prod = c->prod;
	__atomic_store_n(&c->regs->ctrl, UIOMMU_SOFT_DMA_CTRL_ENABLE,
			 __ATOMIC_RELEASE);
}

static void
dma_teardown(struct dctx *c)
{
	c->e.ops->vdevice_free(c->dev);
	uiommu_pgtable_destroy(c->pt);
	env_fini(&c->e);
}

static struct uiommu_soft_dma_desc *
desc_at(struct dctx *c, uint32_t idx)
{
	return env_gptr(&c->e, c->ring_gpa + (idx & ((1u << c->log2) - 1)) * DESC_SZ,
			DESC_SZ);
}

/* Queue one descriptor; returns its index. */
static uint32_t
submit(struct dctx *c, uint64_t src, uint64_t dst, uint32_t len,
       uint32_t flags)
{
	struct uiommu_soft_dma_desc *d = desc_at(c, c->prod);
	uint32_t idx = c->prod;

	memset(d, 0, sizeof(*d));
	d->src = src;
	d->dst = dst;
	d->len = len;
	d->flags = flags;
	d->cookie = 0xc00c1e0000000000ULL | idx;
	c->prod++;
	/* Release: the descriptor before the doorbell. */
	__atomic_store_n(&c->regs->prod, c->prod, __ATOMIC_RELEASE);
	return idx;
}

/* Poll until the engine consumed everything or stopped making progress. */
static unsigned int
run(struct dctx *c)
{
	unsigned int total = 0, n;

	do {
		n = c->e.ops->poll(c->e.vi, 1000);
		total += n;
	} while (n != 0);
	return total;
}

static void
fill(uint8_t *p, size_t n, uint32_t seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)((i * 131 + seed * 7 + (i >> 8)) ^ seed);
}

/* ---- copies ---- */

static void
test_dma_copy_across_pages(void)
{
	/* Source: four 4 KiB pages scattered over the three regions, in
	 * reverse order; destination: two 2 MiB leaves in different regions. */
	const uint64_t src_iova = 0x20000000, dst_iova = 0x40000000;
	uint64_t spage[4], dleaf[2];
	uint8_t expect[4 * 4096];
	struct dctx c;
	uint32_t len = 3 * 4096 + 5, idx; /* up to the end of source page 3 */
	uint64_t src = src_iova + 0xff0, dst = dst_iova + 0x1fff00;
	struct uiommu_soft_dma_desc *d;

	dma_setup(&c, 4, PT_RW);
	spage[3] = env_galloc(&c.e, 2, SZ_4K, SZ_4K);
	spage[2] = env_galloc(&c.e, 0, SZ_4K, SZ_4K);
	spage[1] = env_galloc(&c.e, 1, SZ_4K, SZ_4K);
	spage[0] = env_galloc(&c.e, 2, SZ_4K, SZ_4K);
	for (int i = 0; i < 4; i++) {
		env_s1_map(c.pt, src_iova + i * SZ_4K, spage[i], SZ_4K,
			   UIOMMU_PT_PROT_READ);
		fill(env_gptr(&c.e, spage[i], SZ_4K), SZ_4K, (uint32_t)i + 1);
		memcpy(expect + i * 4096, env_gptr(&c.e, spage[i], SZ_4K), 4096);
	}
	dleaf[0] = ENV_RB_GPA + 8 * SZ_2M;
	dleaf[1] = ENV_RA_GPA + 32 * SZ_2M;
	env_s1_map(c.pt, dst_iova, dleaf[0], SZ_2M, PT_RW);
	env_s1_map(c.pt, dst_iova + SZ_2M, dleaf[1], SZ_2M, PT_RW);
	memset(env_gptr(&c.e, dleaf[0] + SZ_2M - SZ_4K, SZ_4K), 0xee, SZ_4K);
	memset(env_gptr(&c.e, dleaf[1], 4 * SZ_4K), 0xee, 4 * SZ_4K);

	dma_enable(&c, RING_IOVA, 4, 0);
	idx = submit(&c, src, dst, len, 0);
	CU_ASSERT_EQUAL(run(&c), 1);
	d = desc_at(&c, idx);
	if (d->status != UIOMMU_SOFT_DMA_ST_OK)
		printf("status 0x%x done %u fault 0x%" PRIx64 "\n", d->status,
		       d->done, d->fault_iova);
	CU_ASSERT_EQUAL(d->status, UIOMMU_SOFT_DMA_ST_OK);
	CU_ASSERT_EQUAL(d->done, len);
	CU_ASSERT_EQUAL(d->fault_iova, 0);
	CU_ASSERT_EQUAL(d->cookie, 0xc00c1e0000000000ULL | idx);
	CU_ASSERT_EQUAL(c.regs->cons, 1);
	CU_ASSERT_EQUAL(c.regs->desc_ok, 1);
	CU_ASSERT_EQUAL(c.regs->bytes, len);
	CU_ASSERT_EQUAL(c.regs->status, UIOMMU_SOFT_DMA_STATUS_ENABLED);
	/* Byte-exact: the first 0x100 bytes land at the end of leaf 0, the
	 * rest at the start of leaf 1; the bytes around are untouched. */
	{
		uint8_t *d0 = env_gptr(&c.e, dleaf[0] + SZ_2M - SZ_4K, SZ_4K);
		uint8_t *d1 = env_gptr(&c.e, dleaf[1], 4 * SZ_4K);

		CU_ASSERT_EQUAL(memcmp(d0 + 0xf00, expect + 0xff0, 0x100), 0);
		CU_ASSERT_EQUAL(memcmp(d1, expect + 0xff0 + 0x100, len - 0x100), 0);
		CU_ASSERT_EQUAL(d0[0xeff], 0xee);
		CU_ASSERT_EQUAL(d1[len - 0x100], 0xee);
	}
	dma_teardown(&c);
}

/* Reference of where an IOVA lives in the random test's layout: host
 * pointer and bytes contiguous from it. */
static uint8_t *
mixed_ref(struct dctx *c, uint64_t iova, uint64_t *contig)
{
	uint64_t page, gpa;

	if (iova >= 0x80000000ULL && iova < 0xc0000000ULL) { /* 1G -> A */
		*contig = 0xc0000000ULL - iova;
		return env_gptr(&c->e, ENV_RA_GPA + (iova - 0x80000000ULL), 1);
	}
	/* 4K pages at 0x30000000 -> region C pages in reverse order */
	page = (iova - 0x30000000ULL) >> 12;
	gpa = ENV_RC_GPA + ENV_POOL_SIZE + (1023 - page) * SZ_4K + (iova & 0xfff);
	*contig = SZ_4K - (iova & 0xfff);
	return env_gptr(&c->e, gpa, 1);
}

/* Copy len bytes at IOVA into (to_host) or out of a host buffer. */
static void
mixed_copy(struct dctx *c, uint64_t iova, uint8_t *buf, uint32_t len,
	   bool to_host)
{
	while (len > 0) {
		uint64_t n;
		uint8_t *p = mixed_ref(c, iova, &n);

		n = RTE_MIN(n, (uint64_t)len);
		if (to_host)
			memcpy(buf, p, n);
		else
			memcpy(p, buf, n);
		iova += n;
		buf += n;
		len -= (uint32_t)n;
	}
}

static void
test_dma_mixed_page_sizes_random(void)
{
	unsigned long long seed = ut_seed();
	static uint8_t expect[64 * 1024], got[64 * 1024];
	struct dctx c;
	int ok = 0;

	dma_setup(&c, 6, PT_RW);
	/* 1 GiB stage-1 leaf onto region A (a 1 GiB stage-2 leaf). */
	env_s1_map(c.pt, 0x80000000ULL, ENV_RA_GPA, SZ_1G, PT_RW);
	/* 1024 4 KiB pages onto region C (4 KiB stage-2 leaves). */
	for (uint64_t p = 0; p < 1024; p++)
		env_s1_map(c.pt, 0x30000000ULL + p * SZ_4K,
			   ENV_RC_GPA + ENV_POOL_SIZE + (1023 - p) * SZ_4K, SZ_4K,
			   PT_RW);
	fill(env_gptr(&c.e, ENV_RA_GPA + 64 * SZ_2M, 8 * SZ_2M), 8 * SZ_2M, 3);
	fill(env_gptr(&c.e, ENV_RC_GPA + ENV_POOL_SIZE, 1024 * SZ_4K),
	     1024 * SZ_4K, 5);
	dma_enable(&c, RING_IOVA, 6, 0);

	for (int i = 0; i < 300; i++) {
		uint32_t len = (uint32_t)(1 + ut_rand(&seed) % sizeof(expect));
		bool a_to_c = ut_rand(&seed) % 2;
		uint64_t a = 0x80000000ULL + 64 * SZ_2M +
			     ut_rand(&seed) % (8 * SZ_2M - len);
		uint64_t cc = 0x30000000ULL + ut_rand(&seed) % (1024 * SZ_4K - len);
		uint64_t src = a_to_c ? a : cc, dst = a_to_c ? cc : a;
		struct uiommu_soft_dma_desc *d;
		uint32_t idx;
		bool same = true;

		mixed_copy(&c, src, expect, len, true);
		idx = submit(&c, src, dst, len, 0);
		CU_ASSERT_EQUAL(run(&c), 1);
		d = desc_at(&c, idx);
		CU_ASSERT_EQUAL(d->status, UIOMMU_SOFT_DMA_ST_OK);
		CU_ASSERT_EQUAL(d->done, len);
		mixed_copy(&c, dst, got, len, true);
		same = memcmp(got, expect, len) == 0;
		CU_ASSERT_TRUE(same);
		ok += same;
	}
	CU_ASSERT_EQUAL(ok, 300);
	CU_ASSERT_EQUAL(c.regs->desc_ok, 300);
	dma_teardown(&c);
}

/* ---- faults and the partial-write rule ---- */

static void
test_dma_faults_partial_write(void)
{
	const uint64_t s = 0x50000000, dd = 0x60000000, ro = 0x70000000;
	uint64_t sp[4], dp[4], rop;
	struct uiommu_event ev[8];
	struct uiommu_soft_dma_desc *d;
	struct dctx c;
	uint64_t lost;
	uint32_t idx;
	uint8_t *p;

	dma_setup(&c, 4, PT_RW);
	for (int i = 0; i < 4; i++) {
		sp[i] = env_galloc(&c.e, 1, SZ_4K, SZ_4K);
		dp[i] = env_galloc(&c.e, 2, SZ_4K, SZ_4K);
		fill(env_gptr(&c.e, sp[i], SZ_4K), SZ_4K, 10 + (uint32_t)i);
		memset(env_gptr(&c.e, dp[i], SZ_4K), 0xee, SZ_4K);
		if (i != 2) { /* page 2 of each range is not mapped */
			env_s1_map(c.pt, s + i * SZ_4K, sp[i], SZ_4K, PT_RW);
			env_s1_map(c.pt, dd + i * SZ_4K, dp[i], SZ_4K, PT_RW);
		}
	}
	rop = env_galloc(&c.e, 0, SZ_4K, SZ_4K);
	env_s1_map(c.pt, ro, rop, SZ_4K, UIOMMU_PT_PROT_READ);
	dma_enable(&c, RING_IOVA, 4, 0);

	/* Destination page 2 unmapped: pages 0-1 written from offset 0x100,
	 * nothing from page 2 on (page 3 keeps its 0xee). */
	idx = submit(&c, s, dd + 0x100, 3 * 4096, 0);
	CU_ASSERT_EQUAL(run(&c), 1);
	d = desc_at(&c, idx);
	CU_ASSERT_EQUAL(UIOMMU_SOFT_DMA_ST_CODE(d->status),
			UIOMMU_SOFT_DMA_ST_DST_FAULT);
	CU_ASSERT_EQUAL(UIOMMU_SOFT_DMA_ST_EVENT(d->status),
			UIOMMU_EVT_F_TRANSLATION);
	CU_ASSERT_EQUAL(d->done, 2 * 4096 - 0x100);
	CU_ASSERT_EQUAL(d->fault_iova, dd + 2 * SZ_4K);
	p = env_gptr(&c.e, dp[0], SZ_4K);
	CU_ASSERT_EQUAL(p[0xff], 0xee);
	CU_ASSERT_EQUAL(memcmp(p + 0x100, env_gptr(&c.e, sp[0], SZ_4K), 0xf00), 0);
	p = env_gptr(&c.e, dp[1], SZ_4K);
	CU_ASSERT_EQUAL(memcmp(p, (uint8_t *)env_gptr(&c.e, sp[0], SZ_4K) + 0xf00,
			       0x100), 0);
	CU_ASSERT_EQUAL(memcmp(p + 0x100, env_gptr(&c.e, sp[1], SZ_4K), 0xf00), 0);
	p = env_gptr(&c.e, dp[3], SZ_4K);
	for (int i = 0; i < 4096; i++)
		CU_ASSERT_EQUAL_FATAL(p[i], 0xee);
	CU_ASSERT_EQUAL(env_events(&c.e, ev, 8, &lost), 1);
	CU_ASSERT_EQUAL(ev[0].id, UIOMMU_EVT_F_TRANSLATION);
	CU_ASSERT_EQUAL(ev[0].input_addr, dd + 2 * SZ_4K);
	CU_ASSERT_EQUAL(ev[0].rnw, 0);
	CU_ASSERT_EQUAL(ev[0].sid, VSID);

	/* Source faulting on its first byte: nothing copied. */
	idx = submit(&c, s + 2 * SZ_4K + 0x10, dd, 64, 0);
	CU_ASSERT_EQUAL(run(&c), 1);
	d = desc_at(&c, idx);
	CU_ASSERT_EQUAL(d->status, UIOMMU_SOFT_DMA_ST_SRC_FAULT |
				   (UIOMMU_EVT_F_TRANSLATION << 8));
	CU_ASSERT_EQUAL(d->done, 0);
	CU_ASSERT_EQUAL(d->fault_iova, s + 2 * SZ_4K + 0x10);
	CU_ASSERT_EQUAL(env_events(&c.e, ev, 8, &lost), 1);
	CU_ASSERT_EQUAL(ev[0].rnw, 1);
	/* Now a pure source fault. */
	idx = submit(&c, s + SZ_4K + 0x10, dd + 3 * SZ_4K, 4096, 0);
	CU_ASSERT_EQUAL(run(&c), 1);
	d = desc_at(&c, idx);
	CU_ASSERT_EQUAL(d->status, UIOMMU_SOFT_DMA_ST_SRC_FAULT |
				   (UIOMMU_EVT_F_TRANSLATION << 8));
	CU_ASSERT_EQUAL(d->done, 4096 - 0x10);
	CU_ASSERT_EQUAL(d->fault_iova, s + 2 * SZ_4K);
	p = env_gptr(&c.e, dp[3], SZ_4K);
	CU_ASSERT_EQUAL(memcmp(p, (uint8_t *)env_gptr(&c.e, sp[1], SZ_4K) + 0x10,
			       4096 - 0x10), 0);
	for (int i = 4096 - 0x10; i < 4096; i++)
		CU_ASSERT_EQUAL(p[i], 0xee);
	CU_ASSERT_EQUAL(env_events(&c.e, ev, 8, &lost), 1);
	CU_ASSERT_EQUAL(ev[0].rnw, 1);
	CU_ASSERT_EQUAL(ev[0].input_addr, s + 2 * SZ_4K);

	/* Read-only destination: permission fault, nothing written. */
	memset(env_gptr(&c.e, rop, SZ_4K), 0x5a, SZ_4K);
	idx = submit(&c, s, ro, 64, 0);
	CU_ASSERT_EQUAL(run(&c), 1);
	d = desc_at(&c, idx);
	CU_ASSERT_EQUAL(d->status, UIOMMU_SOFT_DMA_ST_DST_FAULT |
				   (UIOMMU_EVT_F_PERMISSION << 8));
	CU_ASSERT_EQUAL(d->done, 0);
	CU_ASSERT_EQUAL(((uint8_t *)env_gptr(&c.e, rop, 1))[0], 0x5a);
	CU_ASSERT_EQUAL(c.regs->desc_err, 4);
	CU_ASSERT_EQUAL(c.regs->cons, 4);
	CU_ASSERT_EQUAL(c.regs->status, UIOMMU_SOFT_DMA_STATUS_ENABLED);
	dma_teardown(&c);
}

/* ---- hostile descriptors and registers ---- */

static void
test_dma_garbage_descriptors(void)
{
	const uint64_t buf = 0x90000000;
	struct dctx c;
	uint64_t g;
	uint32_t first;

	dma_setup(&c, 4, PT_RW);
	g = ENV_RA_GPA + 128 * SZ_2M;
	env_s1_map(c.pt, buf, g, 4 * SZ_2M, PT_RW);
	dma_enable(&c, RING_IOVA, 4, 0);
	first = submit(&c, buf, buf + SZ_2M, 0, 0);                   /* len 0 */
	submit(&c, buf, buf + SZ_2M, UIOMMU_SOFT_DMA_MAX_LEN + 1, 0);  /* too long */
	submit(&c, buf, buf + SZ_2M, 0xffffffffu, 0);                  /* huge */
	submit(&c, buf, buf + SZ_2M, 16, 1);                           /* flags */
	submit(&c, UINT64_MAX - 10, buf, 100, 0);                      /* src wraps */
	submit(&c, buf, UINT64_MAX - 10, 100, 0);                      /* dst wraps */
	submit(&c, buf, buf + SZ_2M, UIOMMU_SOFT_DMA_MAX_LEN, 0);      /* largest */
	submit(&c, UINT64_MAX - 15, buf, 16, 0);                      /* last bytes */
	fill(env_gptr(&c.e, g, UIOMMU_SOFT_DMA_MAX_LEN), UIOMMU_SOFT_DMA_MAX_LEN, 9);
	CU_ASSERT_EQUAL(run(&c), 8);
	for (uint32_t i = 0; i < 6; i++) {
		struct uiommu_soft_dma_desc *d = desc_at(&c, first + i);

		CU_ASSERT_EQUAL(d->status, UIOMMU_SOFT_DMA_ST_BAD_DESC);
		CU_ASSERT_EQUAL(d->done, 0);
	}
	CU_ASSERT_EQUAL(desc_at(&c, first + 6)->status, UIOMMU_SOFT_DMA_ST_OK);
	CU_ASSERT_EQUAL(memcmp(env_gptr(&c.e, g, UIOMMU_SOFT_DMA_MAX_LEN),
			       env_gptr(&c.e, g + SZ_2M, UIOMMU_SOFT_DMA_MAX_LEN),
			       UIOMMU_SOFT_DMA_MAX_LEN), 0);
	/* The very last bytes of the address space: valid, unmapped. */
	CU_ASSERT_EQUAL(UIOMMU_SOFT_DMA_ST_CODE(desc_at(&c, first + 7)->status),
			UIOMMU_SOFT_DMA_ST_SRC_FAULT);
	CU_ASSERT_EQUAL(c.regs->cons, 8);
	CU_ASSERT_EQUAL(c.regs->desc_ok, 1);
	CU_ASSERT_EQUAL(c.regs->desc_err, 7);
	dma_teardown(&c);
}

static void
expect_halt(struct dctx *c, uint32_t err, uint64_t iova)
{
	CU_ASSERT_EQUAL(run(c), 0);
	CU_ASSERT_EQUAL(c->regs->status, UIOMMU_SOFT_DMA_STATUS_ENABLED |
					 UIOMMU_SOFT_DMA_STATUS_HALTED);
	CU_ASSERT_EQUAL(c->regs->error, err);
	if (iova != UINT64_MAX)
		CU_ASSERT_EQUAL(c->regs->error_iova, iova);
}

static void
test_dma_garbage_registers(void)
{
	const uint64_t buf = 0xa0000000, ro_ring = 0x3000000;
	struct uiommu_event ev[8];
	uint64_t lost, g, rog;
	struct dctx c;
	uint64_t halts;

	dma_setup(&c, 4, PT_RW);
	g = env_galloc(&c.e, 0, 2 * SZ_4K, SZ_4K);
	env_s1_map(c.pt, buf, g, 2 * SZ_4K, PT_RW);
	rog = env_galloc(&c.e, 0, SZ_4K, SZ_4K);
	env_s1_map(c.pt, ro_ring, rog, SZ_4K, UIOMMU_PT_PROT_READ);

	/* Ring configuration errors. */
	dma_enable(&c, RING_IOVA, UIOMMU_SOFT_DMA_RING_MAX_LOG2 + 1, 0);
	expect_halt(&c, UIOMMU_SOFT_DMA_ERR_RING_CFG, RING_IOVA);
	dma_enable(&c, RING_IOVA + 8, 4, 0);
	expect_halt(&c, UIOMMU_SOFT_DMA_ERR_RING_CFG, RING_IOVA + 8);
	dma_enable(&c, UINT64_MAX & ~63ULL, 4, 0);
	expect_halt(&c, UIOMMU_SOFT_DMA_ERR_RING_CFG, UINT64_MAX & ~63ULL);
	dma_enable(&c, RING_IOVA, 4, 1u << 25);
	expect_halt(&c, UIOMMU_SOFT_DMA_ERR_RING_CFG, RING_IOVA);
	dma_enable(&c, RING_IOVA, 0xffffffffu, 0xffffffffu);
	expect_halt(&c, UIOMMU_SOFT_DMA_ERR_RING_CFG, RING_IOVA);
	/* Disabling clears the halt. */
	__atomic_store_n(&c.regs->ctrl, 0, __ATOMIC_RELEASE);
	CU_ASSERT_EQUAL(run(&c), 0);
	CU_ASSERT_EQUAL(c.regs->status, 0);
	CU_ASSERT_EQUAL(c.regs->error, 0);

	/* prod beyond the ring. */
	dma_enable(&c, RING_IOVA, 4, 0);
	CU_ASSERT_EQUAL(run(&c), 0);
	CU_ASSERT_EQUAL(c.regs->status, UIOMMU_SOFT_DMA_STATUS_ENABLED);
	__atomic_store_n(&c.regs->prod, c.prod + 17, __ATOMIC_RELEASE);
	expect_halt(&c, UIOMMU_SOFT_DMA_ERR_PROD, UINT64_MAX);
	CU_ASSERT_EQUAL(c.regs->cons, c.prod);
	dma_enable(&c, RING_IOVA, 4, 0);
	__atomic_store_n(&c.regs->prod, c.prod - 1, __ATOMIC_RELEASE); /* behind */
	expect_halt(&c, UIOMMU_SOFT_DMA_ERR_PROD, UINT64_MAX);

	/* Recover and work. */
	dma_enable(&c, RING_IOVA, 4, 0);
	submit(&c, buf, buf + SZ_4K, 100, 0);
	CU_ASSERT_EQUAL(run(&c), 1);
	CU_ASSERT_EQUAL(c.regs->status, UIOMMU_SOFT_DMA_STATUS_ENABLED);

	/* Ring base unmapped: the fetch faults, the engine halts there and
	 * the IOMMU records the fault. */
	halts = c.regs->halts;
	env_events(&c.e, ev, 8, &lost);
	dma_enable(&c, 0x7770000000ULL, 4, 0);
	submit(&c, buf, buf + SZ_4K, 100, 0);
	expect_halt(&c, UIOMMU_SOFT_DMA_ERR_FETCH,
		    0x7770000000ULL + ((c.prod - 1) & 15) * DESC_SZ);
	CU_ASSERT_EQUAL(c.regs->cons, c.prod - 1);
	CU_ASSERT_EQUAL(c.regs->halts, halts + 1);
	CU_ASSERT_EQUAL(env_events(&c.e, ev, 8, &lost), 1);
	CU_ASSERT_EQUAL(ev[0].id, UIOMMU_EVT_F_TRANSLATION);
	CU_ASSERT_EQUAL(ev[0].input_addr, c.regs->error_iova);
	CU_ASSERT_EQUAL(ev[0].rnw, 1);

	/* Read-only ring: the write-back slot is checked before executing. */
	{
		struct uiommu_soft_dma_desc *d = env_gptr(&c.e, rog, DESC_SZ);
		uint8_t *dst = env_gptr(&c.e, g + SZ_4K, 16);

		memset(dst, 0x11, 16);
		c.prod = 0;
		dma_enable(&c, ro_ring, 0, 0);
		memset(d, 0, sizeof(*d));
		d->src = buf;
		d->dst = buf + SZ_4K;
		d->len = 16;
		c.prod = 1;
		__atomic_store_n(&c.regs->prod, 1, __ATOMIC_RELEASE);
		expect_halt(&c, UIOMMU_SOFT_DMA_ERR_WRITEBACK,
			    ro_ring + UIOMMU_SOFT_DMA_DESC_WB_OFFSET);
		CU_ASSERT_EQUAL(dst[0], 0x11);
		CU_ASSERT_EQUAL(d->status, 0);
		CU_ASSERT_EQUAL(c.regs->cons, 0);
		CU_ASSERT_EQUAL(env_events(&c.e, ev, 8, &lost), 1);
		CU_ASSERT_EQUAL(ev[0].id, UIOMMU_EVT_F_PERMISSION);
	}
	/* A blocked device: the fetch is aborted without an event. */
	dma_enable(&c, RING_IOVA, 4, 0);
	CU_ASSERT_EQUAL(c.e.ops->vdevice_set_ste(c.dev, NULL), 0);
	submit(&c, buf, buf + SZ_4K, 16, 0);
	expect_halt(&c, UIOMMU_SOFT_DMA_ERR_FETCH, UINT64_MAX);
	CU_ASSERT_EQUAL(env_events(&c.e, ev, 8, &lost), 0);
	/* An invalid guest STE (V = 0): each transaction raises C_BAD_STE. */
	{
		struct uiommu_ste_info bad = { .valid = 0 };

		CU_ASSERT_EQUAL(c.e.ops->vdevice_set_ste(c.dev, &bad), 0);
		for (unsigned int k = 0; k < 2; k++) {
			dma_enable(&c, RING_IOVA, 4, 0);
			submit(&c, buf, buf + SZ_4K, 16, 0);
			expect_halt(&c, UIOMMU_SOFT_DMA_ERR_FETCH, UINT64_MAX);
			CU_ASSERT_EQUAL(env_events(&c.e, ev, 8, &lost), 1);
			CU_ASSERT_EQUAL(ev[0].id, UIOMMU_EVT_C_BAD_STE);
			CU_ASSERT_EQUAL(ev[0].sid, VSID);
		}
	}
	dma_teardown(&c);
}

static void
test_dma_budget(void)
{
	const uint64_t buf = 0xb0000000;
	struct dctx c;
	uint64_t g;
	unsigned int n, total = 0;

	dma_setup(&c, 7, PT_RW);
	g = env_galloc(&c.e, 1, 2 * SZ_4K, SZ_4K);
	env_s1_map(c.pt, buf, g, 2 * SZ_4K, PT_RW);
	dma_enable(&c, RING_IOVA, 7, 0);
	for (int i = 0; i < 100; i++)
		submit(&c, buf + (uint64_t)i, buf + SZ_4K + (uint64_t)i * 8, 8, 0);
	n = c.e.ops->poll(c.e.vi, 1000);
	CU_ASSERT_EQUAL(n, UIOMMU_SOFT_DMA_BUDGET);
	total += n;
	n = c.e.ops->poll(c.e.vi, 5);
	CU_ASSERT_EQUAL(n, 5);
	total += n;
	CU_ASSERT_EQUAL(c.e.ops->poll(c.e.vi, 0), 0);
	total += run(&c);
	CU_ASSERT_EQUAL(total, 100);
	CU_ASSERT_EQUAL(c.regs->cons, 100);
	CU_ASSERT_EQUAL(c.regs->desc_ok, 100);
	/* Two engines share a poll's budget. */
	{
		static struct uiommu_soft_dma_regs regs2 __attribute__((aligned(4096)));
		void *dev2 = env_dev(&c.e, "dma1", VSID + 1, &regs2);

		CU_ASSERT_EQUAL(env_set_ste_cfg(&c.e, dev2, UIOMMU_STE_CFG_ABORT), 0);
		CU_ASSERT_EQUAL(run(&c), 0);
		c.e.ops->vdevice_free(dev2);
	}
	dma_teardown(&c);
}

/* ---- stale TLB as a device sees it ---- */

static uint32_t
dma_read_word(struct dctx *c, uint64_t src, uint64_t dst_iova, uint64_t dst_gpa,
	      uint32_t *status)
{
	uint32_t idx, v;

	memset(env_gptr(&c->e, dst_gpa, 4), 0, 4);
	idx = submit(c, src, dst_iova, 4, 0);
	CU_ASSERT_EQUAL(run(c), 1);
	*status = desc_at(c, idx)->status;
	memcpy(&v, env_gptr(&c->e, dst_gpa, 4), 4);
	return v;
}

static void
test_dma_stale_tlb(void)
{
	const uint64_t x = 0xc0000000, dsti = 0xc0100000;
	uint64_t p1, p2, dst, *pte, old;
	struct uiommu_event ev[4];
	struct dctx c;
	uint32_t st, one = 0x11111111, two = 0x22222222;
	uint64_t lost;

	dma_setup(&c, 4, PT_RW);
	p1 = env_galloc(&c.e, 0, SZ_4K, SZ_4K);
	p2 = env_galloc(&c.e, 2, SZ_4K, SZ_4K);
	dst = env_galloc(&c.e, 1, SZ_4K, SZ_4K);
	memcpy(env_gptr(&c.e, p1, 4), &one, 4);
	memcpy(env_gptr(&c.e, p2, 4), &two, 4);
	env_s1_map(c.pt, x, p1, SZ_4K, PT_RW);
	env_s1_map(c.pt, dsti, dst, SZ_4K, PT_RW);
	dma_enable(&c, RING_IOVA, 4, 0);
	CU_ASSERT_EQUAL(dma_read_word(&c, x, dsti, dst, &st), one);
	CU_ASSERT_EQUAL(st, UIOMMU_SOFT_DMA_ST_OK);

	/* Remap without invalidation: the device still reaches p1. */
	pte = env_gptr(&c.e, env_s1_pte_gpa(c.pt, x), 8);
	old = *pte;
	__atomic_store_n(pte, (old & ~UIOMMU_LPAE_PTE_ADDR_MASK) | p2,
			 __ATOMIC_RELEASE);
	CU_ASSERT_EQUAL(dma_read_word(&c, x, dsti, dst, &st), one);
	/* After TLBI_NH_VA: p2. */
	CU_ASSERT_EQUAL(env_inv(&c.e, UIOMMU_CMD_TLBI_NH_VA, ASID, x, x, NULL, 0), 0);
	CU_ASSERT_EQUAL(dma_read_word(&c, x, dsti, dst, &st), two);
	/* Unmap + invalidate: the DMA faults and the event is recorded. */
	CU_ASSERT_EQUAL(uiommu_pgtable_unmap(c.pt, x, SZ_4K, NULL), 0);
	CU_ASSERT_EQUAL(dma_read_word(&c, x, dsti, dst, &st), two);
	env_events(&c.e, ev, 4, &lost);
	CU_ASSERT_EQUAL(env_inv(&c.e, UIOMMU_CMD_TLBI_NH_VA, ASID, x, x, NULL, 0), 0);
	CU_ASSERT_EQUAL(dma_read_word(&c, x, dsti, dst, &st), 0);
	CU_ASSERT_EQUAL(st, UIOMMU_SOFT_DMA_ST_SRC_FAULT |
			    (UIOMMU_EVT_F_TRANSLATION << 8));
	CU_ASSERT_EQUAL(env_events(&c.e, ev, 4, &lost), 1);
	CU_ASSERT_EQUAL(ev[0].id, UIOMMU_EVT_F_TRANSLATION);
	CU_ASSERT_EQUAL(ev[0].input_addr, x);
	CU_ASSERT_EQUAL(ev[0].sid, VSID);
	dma_teardown(&c);
}

/* ---- substreams ---- */

static void
test_dma_substream(void)
{
	const uint64_t buf = 0xd0000000;
	struct uiommu_pgtable *pt1;
	struct uiommu_event ev[4];
	uint64_t cdtab, g0, g1, lost;
	struct dctx c;
	uint32_t idx;

	dma_setup(&c, 4, PT_RW);
	/* CD table of 2: CD 0 = the setup's tables, CD 1 = other tables that
	 * map the same IOVAs (ring included) to other memory. */
	pt1 = env_s1_create(&c.e);
	cdtab = env_galloc(&c.e, 0, 2 * 64, 64);
	env_write_cd(&c.e, cdtab, ASID, uiommu_pgtable_root(c.pt), false);
	env_write_cd(&c.e, cdtab + 64, ASID + 1, uiommu_pgtable_root(pt1), false);
	CU_ASSERT_EQUAL(env_set_ste_s1(&c.e, c.dev, cdtab, 1, 0), 0);
	g0 = env_galloc(&c.e, 1, 2 * SZ_4K, SZ_4K);
	g1 = env_galloc(&c.e, 2, 2 * SZ_4K, SZ_4K);
	env_s1_map(c.pt, buf, g0, 2 * SZ_4K, PT_RW);
	env_s1_map(pt1, buf, g1, 2 * SZ_4K, PT_RW);
	env_s1_map(pt1, RING_IOVA, c.ring_gpa, SZ_4K, PT_RW);
	memset(env_gptr(&c.e, g0, 16), 0xa0, 16);
	memset(env_gptr(&c.e, g1, 16), 0xa1, 16);

	/* No substream with S1DSS terminate: the fetch is refused. */
	dma_enable(&c, RING_IOVA, 4, 0);
	submit(&c, buf, buf + SZ_4K, 16, 0);
	expect_halt(&c, UIOMMU_SOFT_DMA_ERR_FETCH, UINT64_MAX);
	CU_ASSERT_EQUAL(env_events(&c.e, ev, 4, &lost), 1);
	CU_ASSERT_EQUAL(ev[0].id, UIOMMU_EVT_F_STREAM_DISABLED);

	/* Substream 1: CD 1's tables. */
	c.prod--;
	dma_enable(&c, RING_IOVA, 4, UIOMMU_SOFT_DMA_SSID_SSV | 1);
	idx = submit(&c, buf, buf + SZ_4K, 16, 0);
	CU_ASSERT_EQUAL(run(&c), 1);
	CU_ASSERT_EQUAL(desc_at(&c, idx)->status, UIOMMU_SOFT_DMA_ST_OK);
	CU_ASSERT_EQUAL(((uint8_t *)env_gptr(&c.e, g1 + SZ_4K, 1))[0], 0xa1);
	CU_ASSERT_EQUAL(((uint8_t *)env_gptr(&c.e, g0 + SZ_4K, 1))[0], 0);

	/* Substream 2 is beyond S1CDMax = 1. */
	dma_enable(&c, RING_IOVA, 4, UIOMMU_SOFT_DMA_SSID_SSV | 2);
	submit(&c, buf, buf + SZ_4K, 16, 0);
	expect_halt(&c, UIOMMU_SOFT_DMA_ERR_FETCH, UINT64_MAX);
	CU_ASSERT_EQUAL(env_events(&c.e, ev, 4, &lost), 1);
	CU_ASSERT_EQUAL(ev[0].id, UIOMMU_EVT_C_BAD_SUBSTREAMID);
	CU_ASSERT_EQUAL(ev[0].ssid, 2);
	CU_ASSERT_EQUAL(ev[0].raw[0], UIOMMU_EVT_C_BAD_SUBSTREAMID | (1ULL << 11) |
				      (2ULL << 12) | ((uint64_t)VSID << 32));
	uiommu_pgtable_destroy(pt1);
	dma_teardown(&c);
}

/* ---- DMA racing with invalidation ---- */

#define RACE_PAGES 8
#define RACE_ITERS 400
/* 2 MiB pages, 1 MiB copies: a long access, so that a missing grace
 * period would let a copy overlap the reuse of its source. */
#define RACE_PAGE SZ_2M
#define RACE_LEN (1u << 20)
#define MARK_LIVE 0x4c495645ULL /* "LIVE" */
#define MARK_DEAD 0x44454144ULL /* "DEAD" */

static struct dctx race;
static uint64_t race_pages[RACE_PAGES];
static uint64_t race_dst;
static uint64_t race_completed;
static int race_stop;
static uint64_t race_dmas, race_violations, race_status_bad;

#define RACE_X   0xe0000000ULL
#define RACE_DST 0xe0400000ULL

static void
race_mark(uint64_t gpa, uint64_t magic, uint64_t id)
{
	uint64_t *p = env_gptr(&race.e, gpa, RACE_PAGE);

	/* The whole page, so a copy torn by a reuse is visible inside. */
	for (unsigned int i = 0; i < RACE_PAGE / 8; i += 2) {
		__atomic_store_n(&p[i], magic, __ATOMIC_RELAXED);
		__atomic_store_n(&p[i + 1], id, __ATOMIC_RELAXED);
	}
}

static void *
race_dma_thread(void *arg)
{
	uint64_t *d = env_gptr(&race.e, race_dst, RACE_LEN);

	RTE_SET_USED(arg);
	while (!__atomic_load_n(&race_stop, __ATOMIC_ACQUIRE)) {
		/* Mappings invalidated before 'done' completed before this
		 * DMA starts: it may only see pages of iteration >= done. */
		uint64_t done = __atomic_load_n(&race_completed, __ATOMIC_ACQUIRE);
		uint32_t idx = submit(&race, RACE_X, RACE_DST, RACE_LEN, 0);
		bool bad = false;

		for (int spin = 0; spin < 1000000 &&
		     __atomic_load_n(&race.regs->cons, __ATOMIC_ACQUIRE) != race.prod;
		     spin++)
			race.e.ops->poll(race.e.vi, 1);
		if (desc_at(&race, idx)->status != UIOMMU_SOFT_DMA_ST_OK) {
			race_status_bad++;
			continue;
		}
		__atomic_store_n(&race_dmas, race_dmas + 1, __ATOMIC_RELEASE);
		/* Every 64 KiB: the same live identity, not older than done. */
		for (unsigned int i = 0; i < RACE_LEN / 8; i += 8192)
			bad |= d[i] != MARK_LIVE || d[i + 1] != d[1];
		if (bad || d[1] < done ||
		    d[RACE_LEN / 8 - 2] != MARK_LIVE || d[RACE_LEN / 8 - 1] != d[1])
			race_violations++;
	}
	return NULL;
}

static void
test_dma_concurrent_invalidation(void)
{
	uint64_t *pte;
	pthread_t t;

	dma_setup(&race, 4, PT_RW);
	for (int i = 0; i < RACE_PAGES; i++)
		race_pages[i] = ENV_RA_GPA + (64 + (uint64_t)i) * RACE_PAGE;
	race_dst = ENV_RA_GPA + 96 * RACE_PAGE;
	env_s1_map(race.pt, RACE_X, race_pages[0], RACE_PAGE, PT_RW);
	env_s1_map(race.pt, RACE_DST, race_dst, RACE_PAGE, PT_RW);
	race_mark(race_pages[0], MARK_LIVE, 0);
	pte = env_gptr(&race.e, env_s1_pte_gpa(race.pt, RACE_X), 8);
	race_completed = 0;
	race_stop = 0;
	race_dmas = race_violations = race_status_bad = 0;
	dma_enable(&race, RING_IOVA, 4, 0);

	UT_ASSERT_FATAL(pthread_create(&t, NULL, race_dma_thread, NULL) == 0);
	for (uint64_t k = 1; k <= RACE_ITERS; k++) {
		uint64_t page = race_pages[k % RACE_PAGES];
		uint64_t prev = race_pages[(k - 1) % RACE_PAGES];
		uint64_t seen = __atomic_load_n(&race_dmas, __ATOMIC_ACQUIRE);

		/* Let the DMA thread make progress (the machine may be
		 * loaded): a DMA completes between two invalidations. */
		for (int w = 0; w < 100000 &&
		     __atomic_load_n(&race_dmas, __ATOMIC_ACQUIRE) == seen; w++)
			sched_yield();

		/* Unmapped for 7 iterations: give it the new identity. */
		race_mark(page, MARK_LIVE, k);
		/* Switch the PTE (single-copy atomic), then invalidate. */
		__atomic_store_n(pte, (*pte & ~UIOMMU_LPAE_PTE_ADDR_MASK) | page,
				 __ATOMIC_RELEASE);
		CU_ASSERT_EQUAL(env_inv(&race.e, UIOMMU_CMD_TLBI_NH_VA, ASID,
					RACE_X, RACE_X + RACE_PAGE - 1, NULL, 0), 0);
		/* Completed: from now on nothing may reach 'prev'. */
		__atomic_store_n(&race_completed, k, __ATOMIC_RELEASE);
		race_mark(prev, MARK_DEAD, k - 1);
	}
	__atomic_store_n(&race_stop, 1, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	printf("%" PRIu64 " DMAs during %u invalidations, %" PRIu64
	       " violations\n", race_dmas, RACE_ITERS, race_violations);
	CU_ASSERT_EQUAL(race_violations, 0);
	CU_ASSERT_EQUAL(race_status_bad, 0);
	CU_ASSERT(race_dmas > 0);
	dma_teardown(&race);
}

int
main(int argc, char **argv)
{
	static const struct ut_case cases[] = {
		UT_CASE(test_dma_copy_across_pages),
		UT_CASE(test_dma_mixed_page_sizes_random),
		UT_CASE(test_dma_faults_partial_write),
		UT_CASE(test_dma_garbage_descriptors),
		UT_CASE(test_dma_garbage_registers),
		UT_CASE(test_dma_budget),
		UT_CASE(test_dma_stale_tlb),
		UT_CASE(test_dma_substream),
		UT_CASE(test_dma_concurrent_invalidation),
		UT_END
	};

	return ut_main("soft_dma", cases, argc, argv);
}
