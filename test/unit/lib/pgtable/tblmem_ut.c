/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tests of lib/common/tblmem.c, the hugepage-backed table allocator
 * (kept with the page-table tests, its only user): sizes and alignment,
 * free-list reuse, recycling of alignment gaps, several chunks, counters,
 * concurrent use, use as the memory of a uiommu_pgtable, and - last, since
 * it starts EAL - chunks from DPDK memzones.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_lcore.h>
#include <rte_memzone.h>

#include "uiommu_pgtable.h"
#include "uiommu_tblmem.h"
#include "uiommu_ut.h"

#define SZ_4K 4096ULL

static void
test_tblmem_create_errors(void)
{
	struct uiommu_tblmem *tm = NULL;
	struct uiommu_tblmem_stats st;

	CU_ASSERT_EQUAL(uiommu_tblmem_create(NULL, -1, 0, &tm), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_tblmem_create("x", -1, 0, NULL), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_tblmem_create("x", -1, (2ULL << 30), &tm), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_tblmem_create("a-rather-long-name-is-cut", -1, 1, &tm), 0);
	/* Nothing reserved before the first allocation. */
	uiommu_tblmem_stats_get(tm, &st);
	CU_ASSERT_EQUAL(st.chunks, 0);
	CU_ASSERT_EQUAL(st.bytes_reserved, 0);
	CU_ASSERT_EQUAL(st.source, UIOMMU_TBLMEM_SRC_NONE);
	uiommu_tblmem_destroy(tm);
	uiommu_tblmem_destroy(NULL);
}

static void
test_tblmem_alloc_free(void)
{
	const struct uiommu_pt_mem_ops *ops = &uiommu_tblmem_ops;
	enum { N = 600 };
	static uint64_t addr[N];
	struct uiommu_tblmem_stats st;
	struct uiommu_tblmem *tm;
	uint64_t a;

	CU_ASSERT_EQUAL(uiommu_tblmem_create("t", -1, 0, &tm), 0);
	for (unsigned int i = 0; i < N; i++) {
		CU_ASSERT_EQUAL_FATAL(ops->alloc(tm, SZ_4K, SZ_4K, &addr[i]), 0);
		CU_ASSERT_EQUAL(addr[i] & (SZ_4K - 1), 0);
		CU_ASSERT_TRUE(uiommu_tblmem_contains(tm, addr[i], SZ_4K));
		CU_ASSERT_PTR_EQUAL(ops->to_ptr(tm, addr[i], SZ_4K),
				    (void *)(uintptr_t)addr[i]);
		/* Writable, and no block overlaps another. */
		memset((void *)(uintptr_t)addr[i], (int)(i & 0xff), SZ_4K);
	}
	for (unsigned int i = 0; i < N; i++)
		CU_ASSERT_EQUAL(((uint8_t *)(uintptr_t)addr[i])[SZ_4K - 1], i & 0xff);
	uiommu_tblmem_stats_get(tm, &st);
	CU_ASSERT_EQUAL(st.tables_in_use, N);
	CU_ASSERT_EQUAL(st.bytes_in_use, N * SZ_4K);
	/* 600 pages do not fit one 2 MiB chunk. */
	CU_ASSERT_EQUAL(st.chunks, 2);
	CU_ASSERT_EQUAL(st.bytes_reserved, 2 * (2ULL << 20));
	CU_ASSERT_TRUE(st.source == UIOMMU_TBLMEM_SRC_HUGETLB ||
		       st.source == UIOMMU_TBLMEM_SRC_ANON);
	CU_ASSERT_EQUAL(st.hugepage, st.source == UIOMMU_TBLMEM_SRC_HUGETLB);
	CU_ASSERT_FALSE(uiommu_tblmem_contains(tm, (uint64_t)(uintptr_t)&st, 8));

	for (unsigned int i = 0; i < N; i++)
		ops->free(tm, addr[i], SZ_4K);
	uiommu_tblmem_stats_get(tm, &st);
	CU_ASSERT_EQUAL(st.tables_in_use, 0);
	CU_ASSERT_EQUAL(st.bytes_in_use, 0);
	/* Freed blocks are reused (LIFO) before any new chunk. */
	CU_ASSERT_EQUAL(ops->alloc(tm, SZ_4K, SZ_4K, &a), 0);
	CU_ASSERT_EQUAL(a, addr[N - 1]);
	ops->free(tm, a, SZ_4K);
	uiommu_tblmem_stats_get(tm, &st);
	CU_ASSERT_EQUAL(st.chunks, 2);
	uiommu_tblmem_destroy(tm);
}

static void
test_tblmem_sizes_and_gaps(void)
{
	const struct uiommu_pt_mem_ops *ops = &uiommu_tblmem_ops;
	struct uiommu_tblmem_stats st;
	struct uiommu_tblmem *tm;
	uint64_t a, b, c, d;

	CU_ASSERT_EQUAL(uiommu_tblmem_create("g", -1, 0, &tm), 0);
	/* Small requests take a 4 KiB block. */
	CU_ASSERT_EQUAL(ops->alloc(tm, 64, 64, &a), 0);
	uiommu_tblmem_stats_get(tm, &st);
	CU_ASSERT_EQUAL(st.bytes_in_use, SZ_4K);
	/* A 64 KiB block aligned to 64 KiB leaves a 60 KiB gap, recycled. */
	CU_ASSERT_EQUAL(ops->alloc(tm, 65536, 65536, &b), 0);
	CU_ASSERT_EQUAL(b & 65535, 0);
	uiommu_tblmem_stats_get(tm, &st);
	CU_ASSERT_EQUAL(st.bytes_free, b - a - SZ_4K);
	CU_ASSERT_EQUAL(st.bytes_in_use, SZ_4K + 65536);
	CU_ASSERT_EQUAL(ops->alloc(tm, SZ_4K, SZ_4K, &c), 0);
	if (b - a > SZ_4K)
		CU_ASSERT_TRUE(c > a && c < b);
	/* 8 KiB, aligned. */
	CU_ASSERT_EQUAL(ops->alloc(tm, 8192, 8192, &d), 0);
	CU_ASSERT_EQUAL(d & 8191, 0);
	CU_ASSERT_FALSE(d + 8192 > b && d < b + 65536);
	/* Too big, or an alignment the block size does not give. */
	CU_ASSERT_EQUAL(ops->alloc(tm, 131072, 4096, &c), -ENOMEM);
	CU_ASSERT_EQUAL(ops->alloc(tm, 4096, 8192, &c), -ENOMEM);
	CU_ASSERT_EQUAL(ops->alloc(tm, 0, 4096, &c), -ENOMEM);
	ops->free(tm, a, 64);
	ops->free(tm, b, 65536);
	ops->free(tm, d, 8192);
	uiommu_tblmem_stats_get(tm, &st);
	CU_ASSERT_EQUAL(st.tables_in_use, 1);
	uiommu_tblmem_destroy(tm);
}

struct thr {
	struct uiommu_tblmem *tm;
	unsigned int errors;
};

static void *
thr_churn(void *arg)
{
	struct thr *t = arg;
	uint64_t held[32];

	for (unsigned int round = 0; round < 200; round++) {
		for (unsigned int i = 0; i < 32; i++) {
			if (uiommu_tblmem_ops.alloc(t->tm, SZ_4K, SZ_4K, &held[i]) != 0) {
				t->errors++;
				held[i] = 0;
				continue;
			}
			/* Owned exclusively: a tag survives until freed. */
			*(uint64_t *)(uintptr_t)held[i] = held[i];
		}
		for (unsigned int i = 0; i < 32; i++) {
			if (held[i] == 0)
				continue;
			if (*(uint64_t *)(uintptr_t)held[i] != held[i])
				t->errors++;
			uiommu_tblmem_ops.free(t->tm, held[i], SZ_4K);
		}
	}
	return NULL;
}

static void
test_tblmem_threads(void)
{
	struct thr t[2];
	pthread_t th[2];
	struct uiommu_tblmem_stats st;
	struct uiommu_tblmem *tm;

	CU_ASSERT_EQUAL(uiommu_tblmem_create("mt", -1, 0, &tm), 0);
	for (unsigned int i = 0; i < 2; i++) {
		t[i].tm = tm;
		t[i].errors = 0;
		UT_ASSERT_FATAL(pthread_create(&th[i], NULL, thr_churn, &t[i]) == 0);
	}
	for (unsigned int i = 0; i < 2; i++) {
		pthread_join(th[i], NULL);
		CU_ASSERT_EQUAL(t[i].errors, 0);
	}
	uiommu_tblmem_stats_get(tm, &st);
	CU_ASSERT_EQUAL(st.tables_in_use, 0);
	CU_ASSERT_EQUAL(st.chunks, 1);
	uiommu_tblmem_destroy(tm);
}

/* Manager tables in tblmem: table address == host VA; counts return. */
static void
test_tblmem_pgtable(void)
{
	struct uiommu_pgtable_cfg cfg = {
		.format = UIOMMU_PT_ARM_LPAE_S2_4K, .ias = 42, .oas = 48,
		.mem_ops = &uiommu_tblmem_ops,
	};
	struct uiommu_tblmem_stats st;
	struct uiommu_pgtable_info info;
	struct uiommu_tblmem *tm;
	struct uiommu_pgtable *pt;
	struct uiommu_pt_leaf leaf;
	uint64_t n;

	CU_ASSERT_EQUAL(uiommu_tblmem_create("pt", -1, 0, &tm), 0);
	cfg.mem_ctx = tm;
	CU_ASSERT_EQUAL_FATAL(uiommu_pgtable_create(&cfg, &pt), 0);
	uiommu_pgtable_info_get(pt, &info);
	/* 8 concatenated tables: one 32 KiB block, aligned. */
	CU_ASSERT_EQUAL(info.top_size, 32768);
	CU_ASSERT_EQUAL(info.root & 32767, 0);
	CU_ASSERT_TRUE(uiommu_tblmem_contains(tm, info.root, 32768));
	for (unsigned int i = 0; i < 100; i++)
		CU_ASSERT_EQUAL(uiommu_pgtable_map(pt, (uint64_t)i * 0x40201000ULL,
						   0x1000, SZ_4K, UIOMMU_PT_PROT_READ,
						   &n), 0);
	CU_ASSERT_EQUAL(uiommu_pgtable_iova_to_phys(pt, 99 * 0x40201000ULL + 5,
						    &leaf), 0);
	CU_ASSERT_EQUAL(leaf.oa, 0x1005);
	uiommu_tblmem_stats_get(tm, &st);
	uiommu_pgtable_info_get(pt, &info);
	CU_ASSERT_EQUAL(st.tables_in_use, info.tables);
	CU_ASSERT_EQUAL(uiommu_pgtable_unmap(pt, 0, 1ULL << 42, &n), 0);
	CU_ASSERT_EQUAL(n, 100 * SZ_4K);
	uiommu_tblmem_stats_get(tm, &st);
	CU_ASSERT_EQUAL(st.tables_in_use, 1);
	uiommu_pgtable_destroy(pt);
	uiommu_tblmem_stats_get(tm, &st);
	CU_ASSERT_EQUAL(st.tables_in_use, 0);
	CU_ASSERT_EQUAL(st.bytes_in_use, 0);
	uiommu_tblmem_destroy(tm);
}

static void
count_mz(const struct rte_memzone *mz, void *arg)
{
	RTE_SET_USED(mz);
	(*(unsigned int *)arg)++;
}

/* With EAL running, chunks are memzones on the asked socket. */
static void
test_tblmem_memzone(void)
{
	struct uiommu_tblmem_stats st;
	struct uiommu_tblmem *tm;
	unsigned int before = 0, during = 0, after = 0;
	uint64_t a;

	UT_ASSERT_FATAL(ut_eal_init(NULL) == 0);
	rte_memzone_walk(count_mz, &before);
	CU_ASSERT_EQUAL(uiommu_tblmem_create("mz", (int)rte_socket_id(), 0, &tm), 0);
	CU_ASSERT_EQUAL(uiommu_tblmem_ops.alloc(tm, SZ_4K, SZ_4K, &a), 0);
	uiommu_tblmem_stats_get(tm, &st);
	CU_ASSERT_EQUAL(st.source, UIOMMU_TBLMEM_SRC_MEMZONE);
	CU_ASSERT_EQUAL(st.chunks, 1);
	CU_ASSERT_EQUAL(st.hugepage, !ut_eal_no_huge());
	rte_memzone_walk(count_mz, &during);
	CU_ASSERT_EQUAL(during, before + 1);
	memset((void *)(uintptr_t)a, 0x11, SZ_4K);
	uiommu_tblmem_ops.free(tm, a, SZ_4K);
	uiommu_tblmem_destroy(tm);
	rte_memzone_walk(count_mz, &after);
	CU_ASSERT_EQUAL(after, before);
}

static const struct ut_case cases[] = {
	UT_CASE(test_tblmem_create_errors),
	UT_CASE(test_tblmem_alloc_free),
	UT_CASE(test_tblmem_sizes_and_gaps),
	UT_CASE(test_tblmem_threads),
	UT_CASE(test_tblmem_pgtable),
	/* Last: starts EAL, after which every chunk is a memzone. */
	UT_CASE(test_tblmem_memzone),
	UT_END
};

int
main(int argc, char **argv)
{
	return ut_main("tblmem", cases, argc, argv);
}
