/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Benchmark of lib/pgtable (not a test: nothing is asserted about time).
 *
 * Reports nanoseconds per operation for map, unmap, iova_to_phys and the
 * hostile walker (uiommu_lpae_walk through uiommu_pgtable_read_pte), for
 * 4 KiB and 2 MiB leaves, on a stage-1 table with a 48-bit input (4
 * levels) in uiommu_tblmem memory, plus a baseline measured in the same
 * run: a chain of dependent loads as deep as the walk, through 4 KiB
 * tables from the same allocator (random slot at each level, about the
 * footprint of the 4K case). Each figure is the median of 5 repetitions,
 * timed with the thread's CPU clock.
 *
 *   meson test -C <build> --benchmark pgtable_perf --verbose
 *   <build>/test/unit/lib/pgtable/pgtable_perf [scale]
 *
 * scale (default 1, rounded down to a power of two) multiplies the
 * operation counts.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "uiommu_pgtable.h"
#include "uiommu_tblmem.h"

#define REPS 5
#define SZ_4K 0x1000ULL
#define SZ_2M 0x200000ULL
#define BASE_IOVA 0x0000100000000000ULL

static uint64_t
now_ns(void)
{
	struct timespec ts;

	/*
	 * CPU time of this thread: on a shared machine, time slices given to
	 * other processes are not counted (their cache pollution still is).
	 */
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
median(double *v)
{
	qsort(v, REPS, sizeof(*v), cmp_double);
	return v[REPS / 2];
}

static unsigned long long
xorshift(unsigned long long *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

/* Volatile sink so that lookups are not optimised away. */
static volatile uint64_t sink;

struct result {
	double map, unmap, lookup, walk;
};

static int
bench_leaf(struct uiommu_tblmem *tm, const struct uiommu_pt_mem_ops *ops,
	   uint64_t leaf, unsigned int n, unsigned int nlookups,
	   struct result *out)
{
	struct uiommu_pgtable_cfg cfg = {
		.format = UIOMMU_PT_ARM_LPAE_S1_4K, .ias = 48, .oas = 48,
		.mem_ops = ops, .mem_ctx = tm,
	};
	double vmap[REPS], vunmap[REPS], vlook[REPS], vwalk[REPS];
	unsigned long long seed = 0x1234567;
	/* n is a power of two: a mask, not a division, picks the iova. */
	uint64_t span_mask = (uint64_t)n * leaf - 1;

	for (unsigned int rep = 0; rep < REPS; rep++) {
		struct uiommu_lpae_walk_cfg wc;
		struct uiommu_pgtable *pt;
		uint64_t t0, acc = 0, done;
		int rc;

		rc = uiommu_pgtable_create(&cfg, &pt);
		if (rc != 0)
			return rc;
		uiommu_pgtable_lpae_walk_cfg(pt, &wc);

		t0 = now_ns();
		for (unsigned int i = 0; i < n; i++) {
			rc = uiommu_pgtable_map(pt, BASE_IOVA + i * leaf, i * leaf,
						leaf, UIOMMU_PT_PROT_READ |
						UIOMMU_PT_PROT_WRITE, &done);
			if (rc != 0)
				goto err;
		}
		vmap[rep] = (double)(now_ns() - t0) / n;

		t0 = now_ns();
		for (unsigned int i = 0; i < nlookups; i++) {
			struct uiommu_pt_leaf l;
			uint64_t iova = BASE_IOVA + (xorshift(&seed) & span_mask);

			uiommu_pgtable_iova_to_phys(pt, iova, &l);
			acc += l.oa;
		}
		vlook[rep] = (double)(now_ns() - t0) / nlookups;

		t0 = now_ns();
		for (unsigned int i = 0; i < nlookups; i++) {
			struct uiommu_lpae_walk_result r;
			uint64_t iova = BASE_IOVA + (xorshift(&seed) & span_mask);

			uiommu_lpae_walk(&wc, iova, &r);
			acc += r.oa;
		}
		vwalk[rep] = (double)(now_ns() - t0) / nlookups;
		sink = acc;

		t0 = now_ns();
		for (unsigned int i = 0; i < n; i++) {
			rc = uiommu_pgtable_unmap(pt, BASE_IOVA + i * leaf, leaf,
						  &done);
			if (rc != 0 || done != leaf)
				goto err;
		}
		vunmap[rep] = (double)(now_ns() - t0) / n;
		uiommu_pgtable_destroy(pt);
		continue;
err:
		uiommu_pgtable_destroy(pt);
		return rc != 0 ? rc : -EIO;
	}
	out->map = median(vmap);
	out->unmap = median(vunmap);
	out->lookup = median(vlook);
	out->walk = median(vwalk);
	return 0;
}

/*
 * Baseline: `depth` dependent loads through 4 KiB tables of pointers,
 * random slot at each level (the memory pattern of a walk, without the
 * decoding).
 */
static double
bench_chain(struct uiommu_tblmem *tm, unsigned int depth, unsigned int ntables,
	    unsigned int nlookups)
{
	uint64_t **tables = calloc(ntables, sizeof(*tables));
	unsigned long long seed = 0xabcdef;
	double v[REPS];

	/* Same memory as the page tables: 4 KiB blocks from tblmem. */
	for (unsigned int t = 0; t < ntables; t++) {
		uint64_t a = 0;

		if (uiommu_tblmem_ops.alloc(tm, 4096, 4096, &a) != 0)
			abort();
		tables[t] = (uint64_t *)(uintptr_t)a;
	}
	/* Each table's slots point to random tables. */
	for (unsigned int t = 0; t < ntables; t++)
		for (unsigned int i = 0; i < 512; i++)
			tables[t][i] = (uint64_t)(uintptr_t)tables[xorshift(&seed) % ntables];
	for (unsigned int rep = 0; rep < REPS; rep++) {
		uint64_t t0 = now_ns(), acc = 0;

		for (unsigned int k = 0; k < nlookups; k++) {
			uint64_t r = xorshift(&seed);
			const uint64_t *p = tables[0];

			for (unsigned int d = 0; d < depth; d++)
				p = (const uint64_t *)(uintptr_t)
					__atomic_load_n(&p[(r >> (9 * d)) & 511],
							__ATOMIC_ACQUIRE);
			acc += (uint64_t)(uintptr_t)p;
		}
		v[rep] = (double)(now_ns() - t0) / nlookups;
		sink = acc;
	}
	for (unsigned int t = 0; t < ntables; t++)
		uiommu_tblmem_ops.free(tm, (uint64_t)(uintptr_t)tables[t], 4096);
	free(tables);
	return median(v);
}

int
main(int argc, char **argv)
{
	unsigned int scale = argc > 1 ? (unsigned int)strtoul(argv[1], NULL, 0) : 1;
	struct uiommu_tblmem_stats st;
	struct uiommu_tblmem *tm;
	struct result r4k, r2m, r4k_call;
	/* The same allocator without the ADDR_IS_PTR hint: every table
	 * access goes through the to_ptr() call (as for guest memory). */
	struct uiommu_pt_mem_ops via_call = uiommu_tblmem_ops;
	double chain4;
	int rc;

	/* A power of two, so that the mapped span is one too. */
	while (scale & (scale - 1))
		scale &= scale - 1;
	if (scale == 0)
		scale = 1;
	rc = uiommu_tblmem_create("bench", -1, 0, &tm);
	if (rc != 0) {
		fprintf(stderr, "tblmem: %d\n", rc);
		return 1;
	}
	/* 64Ki 4K pages = 256 MiB of IOVA (128 L3 tables); 4Ki 2M blocks. */
	via_call.flags = 0;
	rc = bench_leaf(tm, &uiommu_tblmem_ops, SZ_4K, 65536 * scale,
			1000000 * scale, &r4k);
	if (rc == 0)
		rc = bench_leaf(tm, &uiommu_tblmem_ops, SZ_2M, 4096 * scale,
				1000000 * scale, &r2m);
	if (rc == 0)
		rc = bench_leaf(tm, &via_call, SZ_4K, 65536 * scale,
				1000000 * scale, &r4k_call);
	if (rc != 0) {
		fprintf(stderr, "benchmark failed: %d\n", rc);
		uiommu_tblmem_destroy(tm);
		return 1;
	}
	chain4 = bench_chain(tm, 4, 132, 1000000 * scale);
	uiommu_tblmem_stats_get(tm, &st);

	printf("pgtable_perf: stage-1, ias 48 (4 levels), tblmem %s pages, "
	       "median of %d runs, thread CPU ns/op\n",
	       st.hugepage ? "huge" : "4K", REPS);
	printf("%-6s %10s %10s %14s %14s\n", "leaf", "map", "unmap",
	       "iova_to_phys", "hostile_walk");
	printf("%-6s %10.1f %10.1f %14.1f %14.1f\n", "4K", r4k.map, r4k.unmap,
	       r4k.lookup, r4k.walk);
	printf("%-6s %10.1f %10.1f %14.1f %14.1f\n", "2M", r2m.map, r2m.unmap,
	       r2m.lookup, r2m.walk);
	printf("%-6s %10.1f %10.1f %14.1f %14.1f  (to_ptr() call per table)\n",
	       "4K", r4k_call.map, r4k_call.unmap, r4k_call.lookup, r4k_call.walk);
	printf("baseline: 4 dependent loads through 4K tables: %.1f ns\n", chain4);
	printf("ratios to baseline (4K leaves): iova_to_phys %.2f, hostile_walk %.2f\n",
	       r4k.lookup / chain4, r4k.walk / chain4);
	printf("{\"leaf4k\":{\"map\":%.1f,\"unmap\":%.1f,\"iova_to_phys\":%.1f,"
	       "\"walk\":%.1f},\"leaf2m\":{\"map\":%.1f,\"unmap\":%.1f,"
	       "\"iova_to_phys\":%.1f,\"walk\":%.1f},\"leaf4k_to_ptr\":{\"map\":%.1f,"
	       "\"unmap\":%.1f,\"iova_to_phys\":%.1f,\"walk\":%.1f},"
	       "\"chain4\":%.1f}\n",
	       r4k.map, r4k.unmap, r4k.lookup, r4k.walk, r2m.map, r2m.unmap,
	       r2m.lookup, r2m.walk, r4k_call.map, r4k_call.unmap,
	       r4k_call.lookup, r4k_call.walk, chain4);
	uiommu_tblmem_destroy(tm);
	return 0;
}
