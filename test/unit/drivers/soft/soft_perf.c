/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Soft backend benchmark (meson benchmark 'soft_perf'): cost of an IOTLB
 * hit and of a nested-walk miss, in ns, against a chain of dependent loads
 * of the walk's depth measured in the same run. Numbers are reported, never
 * asserted (shared, noisy machines).
 *
 *   soft_perf [iterations]     default 2000000
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "soft_env.h"
#include "soft_private.h"
#include "uiommu_iotlb.h"

#define PT_RW (UIOMMU_PT_PROT_READ | UIOMMU_PT_PROT_WRITE)
#define NPAGES 1024u
#define ALIASES 8u

static uint8_t regs[4096] __attribute__((aligned(4096)));

static double
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/*
 * Minimum over 25 short runs of iters/25 iterations each, in ns per
 * iteration: short runs are less likely to include a preemption on a
 * shared machine.
 */
#define RUNS 25
#define BEST_OF(result, iters, body) do { \
	uint64_t n_ = (iters) / RUNS + 1; \
	double best_ = 1e30; \
	for (int run_ = 0; run_ < RUNS; run_++) { \
		double t0_ = now_ns(); \
		for (uint64_t i = 0; i < n_; i++) { body; } \
		double t_ = (now_ns() - t0_) / (double)n_; \
		if (t_ < best_) best_ = t_; \
	} \
	(result) = best_; \
} while (0)

static volatile uint64_t sink;

/* A chain of depth dependent loads through a cache-resident ring. */
static double
dependent_loads(unsigned int depth, uint64_t iters)
{
	static uintptr_t ring[4096] __attribute__((aligned(64)));
	double ns;

	/* Stride of one cache line, a permutation cycle over 512 lines. */
	for (unsigned int i = 0; i < 512; i++)
		ring[i * 8] = (uintptr_t)&ring[((i * 97 + 13) % 512) * 8];
	/* The chain continues across iterations: pure load latency. */
	uintptr_t p = (uintptr_t)&ring[0];

	BEST_OF(ns, iters, {
		for (unsigned int d = 0; d < depth; d++)
			p = *(volatile uintptr_t *)p;
	});
	sink += p;
	return ns;
}

struct bench {
	struct soft_env e;
	struct soft_dev *dev;
	struct uiommu_pgtable *pt;
	uint64_t iova;
};

/* A nested device whose stage-1 tables and data are in region C, where
 * stage 2 uses 4 KiB leaves: every walk is 4 levels at both stages. */
static void
bench_setup(struct bench *b, const char *args)
{
	uint64_t cd, data;

	if (env_init(&b->e, args) != 0) {
		fprintf(stderr, "soft_perf: cannot create a soft vIOMMU\n");
		exit(1);
	}
	b->e.table_region = 2;
	b->dev = env_dev(&b->e, "dma0", 1, regs);
	b->pt = env_s1_create(&b->e);
	cd = env_galloc(&b->e, 2, 64, 64);
	env_write_cd(&b->e, cd, 3, uiommu_pgtable_root(b->pt), false);
	if (env_set_ste_s1(&b->e, b->dev, cd, 0, 0) != 0)
		exit(1);
	data = ENV_RC_GPA + ENV_POOL_SIZE;
	b->iova = 0x7f1200000000ULL;
	env_s1_map(b->pt, b->iova, data, NPAGES * SZ_4K, PT_RW);
}

static void
bench_teardown(struct bench *b)
{
	b->e.ops->vdevice_free(b->dev);
	uiommu_pgtable_destroy(b->pt);
	env_fini(&b->e);
}

int
main(int argc, char **argv)
{
	uint64_t iters = argc > 1 ? strtoull(argv[1], NULL, 0) : 2000000;
	double raw1, raw4k, op_hit, dma_hit, miss, miss_warm, chain1, chain24;
	uint64_t hits_before;
	double hit_frac;
	struct uiommu_iotlb_hit hit;
	struct uiommu_xlate x;
	struct soft_xl xl;
	struct bench b;
	unsigned int reader;
	struct uiommu_iotlb_stats st;

	if (iters == 0)
		iters = 1;
	printf("soft_perf: %" PRIu64 " iterations, minimum of %d runs\n", iters, RUNS);

	/* IOTLB hits. */
	bench_setup(&b, NULL);
	for (unsigned int p = 0; p < NPAGES; p++)
		b.e.ops->translate(b.dev, b.iova + p * SZ_4K, UIOMMU_ACCESS_READ, &x);
	BEST_OF(raw1, iters, {
		uiommu_iotlb_lookup(b.dev->vi->tlb, b.e.vmid, 3, b.iova + 64, &hit);
		sink += hit.hva;
	});
	BEST_OF(raw4k, iters, {
		uiommu_iotlb_lookup(b.dev->vi->tlb, b.e.vmid, 3,
				    b.iova + (i % NPAGES) * SZ_4K, &hit);
		sink += hit.hva;
	});
	BEST_OF(op_hit, iters, {
		b.e.ops->translate(b.dev, b.iova + (i % NPAGES) * SZ_4K,
				   UIOMMU_ACCESS_READ, &x);
		sink += x.hva;
	});
	if (uiommu_iotlb_reader_online(b.dev->vi->tlb, &reader) != 0)
		return 1;
	BEST_OF(dma_hit, iters, {
		soft_translate(b.dev, false, 0, b.iova + (i % NPAGES) * SZ_4K,
			       UIOMMU_ACCESS_READ, &xl, NULL, NULL);
		sink += xl.hva;
	});
	uiommu_iotlb_reader_offline(b.dev->vi->tlb, reader);
	bench_teardown(&b);

	/* Misses: an IOTLB of 3 entries swept over 1024 pages. */
	bench_setup(&b, "iotlb=1");
	if (uiommu_iotlb_reader_online(b.dev->vi->tlb, &reader) != 0)
		return 1;
	BEST_OF(miss, iters / 8 + 1, {
		soft_translate(b.dev, false, 0,
			       b.iova + ((i * 7) % NPAGES) * SZ_4K,
			       UIOMMU_ACCESS_READ, &xl, NULL, NULL);
		sink += xl.hva;
	});
	uiommu_iotlb_reader_offline(b.dev->vi->tlb, reader);
	uiommu_iotlb_stats_get(b.dev->vi->tlb, &st);
	bench_teardown(&b);

	/* Misses with the default IOTLB: 8 aliases of the 1024 pages swept
	 * in a cycle (8192 IOVAs > capacity): most data translations miss
	 * while the stage-2 translations of the table pages mostly hit. */
	bench_setup(&b, NULL);
	for (uint64_t w = 1; w < ALIASES; w++)
		env_s1_map(b.pt, b.iova + w * SZ_1G, ENV_RC_GPA + ENV_POOL_SIZE,
			   NPAGES * SZ_4K, PT_RW);
	if (uiommu_iotlb_reader_online(b.dev->vi->tlb, &reader) != 0)
		return 1;
	for (uint64_t i = 0; i < ALIASES * NPAGES; i++)
		soft_translate(b.dev, false, 0, b.iova + (i / NPAGES) * SZ_1G +
			       (i % NPAGES) * SZ_4K, UIOMMU_ACCESS_READ, &xl,
			       NULL, NULL);
	hits_before = 0;
	BEST_OF(miss_warm, iters / 4 + 1, {
		uint64_t k = i % (ALIASES * NPAGES);

		soft_translate(b.dev, false, 0, b.iova + (k / NPAGES) * SZ_1G +
			       (k % NPAGES) * SZ_4K, UIOMMU_ACCESS_READ, &xl,
			       NULL, NULL);
		hits_before += xl.hit;
		sink += xl.hva;
	});
	uiommu_iotlb_reader_offline(b.dev->vi->tlb, reader);
	bench_teardown(&b);

	chain1 = dependent_loads(1, iters);
	chain24 = dependent_loads(24, iters);

	printf("IOTLB lookup, one hot entry:            %7.1f ns\n", raw1);
	printf("IOTLB lookup, 1024 pages round robin:   %7.1f ns\n", raw4k);
	printf("translate(), DMA path (reader held):    %7.1f ns\n", dma_hit);
	printf("translate op (reader online/offline):   %7.1f ns\n", op_hit);
	printf("nested walk miss, nothing cached:       %7.1f ns  (%" PRIu64
	       " inserts)\n", miss, st.inserts);
	hit_frac = (double)hits_before /
		   (double)(RUNS * ((iters / 4 + 1) / RUNS + 1));
	printf("8-alias sweep, stage-2 walks cached:    %7.1f ns  (%.0f%% hits)\n",
	       miss_warm, 100.0 * hit_frac);
	if (hit_frac < 0.99)
		printf("  => per miss, stage-2 walks cached:    %7.1f ns\n",
		       (miss_warm - hit_frac * dma_hit) / (1.0 - hit_frac));
	printf("baseline: 1 dependent load:             %7.1f ns\n", chain1);
	printf("baseline: 24 dependent loads:           %7.1f ns\n", chain24);
	printf("ratios: hit / 1 load %.1f, miss (nothing cached) / 24 loads %.1f\n",
	       dma_hit / chain1, miss / chain24);
	return 0;
}
