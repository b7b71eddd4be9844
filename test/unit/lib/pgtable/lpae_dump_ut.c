/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tests of the LPAE range dump (fmt/arm_lpae_dump.c): against the managed
 * tables' own walk (uiommu_pgtable_walk, the reference) over random tables
 * of both stages and many input sizes, whole and paged with tiny limits;
 * on crafted hostile tables: pointers outside RAM (reported once as a
 * fault, the refused table never asked again), AF == 0, reserved types,
 * oversized addresses, a TTB outside RAM; cyclic and random garbage tables
 * (every call within its read and entry bounds, paging always progresses);
 * and argument checks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>

#include "pt_test_mem.h"
#include "uiommu_pgtable.h"
#include "uiommu_ut.h"

#define SZ_4K 0x1000ULL
#define SZ_2M 0x200000ULL
#define SZ_1G 0x40000000ULL
#define RAM_BASE 0x80000000ULL
#define RAM_PAGES 16u

#define T UIOMMU_LPAE_PTE_TYPE_TABLE
#define B UIOMMU_LPAE_PTE_TYPE_BLOCK
#define P UIOMMU_LPAE_PTE_TYPE_PAGE
#define AF UIOMMU_LPAE_PTE_AF
#define UNPRIV UIOMMU_LPAE_PTE_AP_UNPRIV

/* ---- a fake RAM read only through read_pte ------------------------------ */

struct fake_ram {
	uint64_t page[RAM_PAGES][512];
	unsigned int reads;
	unsigned int outside;   /* reads refused: outside RAM */
	uint64_t last_outside;
};

static int
ram_read(void *ctx, uint64_t table_addr, uint64_t off, uint64_t *pte)
{
	struct fake_ram *r = ctx;
	uint64_t a = table_addr + off;

	r->reads++;
	if (a < RAM_BASE || a - RAM_BASE >= RAM_PAGES * SZ_4K) {
		r->outside++;
		r->last_outside = table_addr;
		return -EFAULT;
	}
	*pte = r->page[(a - RAM_BASE) / SZ_4K][(a & 4095) / 8];
	return 0;
}

static uint64_t
pg(unsigned int n)
{
	return RAM_BASE + n * SZ_4K;
}

static unsigned int
ix(uint64_t iova, unsigned int lvl)
{
	return (unsigned int)((iova >> UIOMMU_LPAE_LVL_SHIFT(lvl)) & 511);
}

static struct fake_ram *
ram_new(void)
{
	struct fake_ram *r = calloc(1, sizeof(*r));

	UT_ASSERT_FATAL(r != NULL);
	return r;
}

static struct uiommu_lpae_walk_cfg
s1_cfg(struct fake_ram *r, unsigned int ias, uint64_t ttb)
{
	struct uiommu_lpae_walk_cfg c = {
		.stage = 1, .ias = ias, .oas = 40, .ttb = ttb,
		.sl0 = UIOMMU_LPAE_SL0_AUTO, .read_pte = ram_read, .ctx = r,
	};

	return c;
}

/* ---- collecting entries --------------------------------------------------- */

#define MAX_COLLECT 200000u

struct rec {
	unsigned int kind;   /* 1 table, 2 leaf (reference kinds), 4 fault */
	unsigned int level;
	uint64_t iova, size, oa, pte;
	unsigned int fault;
};

struct coll {
	struct rec *r;
	unsigned int n;
};

static void
coll_init(struct coll *c)
{
	c->r = calloc(MAX_COLLECT, sizeof(*c->r));
	UT_ASSERT_FATAL(c->r != NULL);
	c->n = 0;
}

static int
collect(void *arg, const struct uiommu_lpae_dump_entry *e)
{
	struct coll *c = arg;

	UT_ASSERT_FATAL(c->n < MAX_COLLECT);
	c->r[c->n++] = (struct rec){
		.kind = e->kind == UIOMMU_LPAE_DUMP_TABLE ? 1u :
			e->kind == UIOMMU_LPAE_DUMP_FAULT ? 4u : 2u,
		.level = e->level, .iova = e->iova, .size = e->size,
		.oa = e->oa, .pte = e->pte, .fault = e->fault,
	};
	/* A leaf's kind follows its level. */
	if (e->kind == UIOMMU_LPAE_DUMP_PAGE)
		CU_ASSERT_EQUAL(e->level, 3);
	if (e->kind == UIOMMU_LPAE_DUMP_BLOCK)
		CU_ASSERT_TRUE(e->level == 1 || e->level == 2);
	return 0;
}

static int
ref_visit(void *arg, const struct uiommu_pt_visit *v)
{
	struct coll *c = arg;

	UT_ASSERT_FATAL(c->n < MAX_COLLECT);
	c->r[c->n++] = (struct rec){
		.kind = v->kind == UIOMMU_PT_VISIT_TABLE ? 1u : 2u,
		.level = v->level, .iova = v->iova, .size = v->size,
		.oa = v->oa, .pte = v->pte,
	};
	return 0;
}

static bool
rec_eq(const struct rec *a, const struct rec *b)
{
	return a->kind == b->kind && a->level == b->level &&
	       a->iova == b->iova && a->size == b->size && a->oa == b->oa &&
	       a->pte == b->pte;
}

/* ---- against the managed tables' walk ------------------------------------ */

static void
random_fill(struct uiommu_pgtable *pt, unsigned int ias,
	    unsigned long long *seed)
{
	static const uint64_t sz[] = { SZ_4K, SZ_2M, SZ_1G };
	uint64_t span = 1ULL << ias, n;

	for (unsigned int k = 0; k < 120; k++) {
		uint64_t s = sz[ut_rand(seed) % 3];
		uint64_t cnt = 1 + ut_rand(seed) % 4;

		if (s * cnt >= span)
			continue;
		uiommu_pgtable_map(pt, (ut_rand(seed) % (span / s - cnt)) * s,
				   (ut_rand(seed) % ((1ULL << 40) / s - cnt)) * s,
				   s * cnt, UIOMMU_PT_PROT_READ |
				   (k & 1 ? UIOMMU_PT_PROT_WRITE : 0), &n);
		if (k % 4 == 0)
			uiommu_pgtable_unmap(pt, (ut_rand(seed) %
						  (span / SZ_4K - 8)) * SZ_4K,
					     SZ_4K * (1 + ut_rand(seed) % 8),
					     &n);
	}
}

/* One whole dump of [first, last] equals the reference walk. */
static void
check_whole(const struct uiommu_pgtable *pt,
	    const struct uiommu_lpae_walk_cfg *wc, uint64_t first,
	    uint64_t last)
{
	struct uiommu_lpae_dump_res res;
	struct coll got, ref;
	int rc;

	coll_init(&got);
	coll_init(&ref);
	CU_ASSERT_EQUAL(uiommu_pgtable_walk(pt, first, last, ref_visit, &ref), 0);
	rc = uiommu_lpae_dump(wc, first, last, MAX_COLLECT, UINT32_MAX,
			      collect, &got, &res);
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT_FALSE(res.more);
	CU_ASSERT_EQUAL(res.entries, got.n);
	CU_ASSERT_EQUAL(got.n, ref.n);
	for (unsigned int i = 0; i < RTE_MIN(got.n, ref.n); i++) {
		if (!rec_eq(&got.r[i], &ref.r[i])) {
			printf("entry %u differs: got kind %u L%u 0x%lx+0x%lx, "
			       "ref kind %u L%u 0x%lx+0x%lx\n", i,
			       got.r[i].kind, got.r[i].level,
			       (unsigned long)got.r[i].iova,
			       (unsigned long)got.r[i].size, ref.r[i].kind,
			       ref.r[i].level, (unsigned long)ref.r[i].iova,
			       (unsigned long)ref.r[i].size);
			CU_FAIL("dump differs from the reference walk");
			break;
		}
	}
	free(got.r);
	free(ref.r);
}

/*
 * Paged with small limits: every call within its bounds, next strictly
 * increasing; the leaves over all pages are exactly the reference's,
 * each once; every table of the reference appears.
 */
static void
check_paged(const struct uiommu_pgtable *pt,
	    const struct uiommu_lpae_walk_cfg *wc, uint64_t first,
	    uint64_t last, unsigned long long *seed)
{
	struct coll got, ref, leaves;
	uint64_t at = first;
	unsigned int calls = 0, j = 0;

	coll_init(&got);
	coll_init(&ref);
	coll_init(&leaves);
	CU_ASSERT_EQUAL(uiommu_pgtable_walk(pt, first, last, ref_visit, &ref), 0);
	for (;;) {
		uint32_t max_e = 4 + (uint32_t)(ut_rand(seed) % 7);
		uint32_t max_r = 4 + (uint32_t)(ut_rand(seed) % 40);
		struct uiommu_lpae_dump_res res;
		unsigned int before = got.n;

		UT_ASSERT_FATAL(calls++ < 1000000);
		CU_ASSERT_EQUAL(uiommu_lpae_dump(wc, at, last, max_e, max_r,
						 collect, &got, &res), 0);
		CU_ASSERT_TRUE(got.n - before <= max_e);
		CU_ASSERT_TRUE(res.reads <= max_r);
		CU_ASSERT_EQUAL(res.entries, got.n - before);
		if (!res.more)
			break;
		UT_ASSERT_FATAL(res.next > at && res.next <= last);
		at = res.next;
	}
	for (unsigned int i = 0; i < got.n; i++)
		if (got.r[i].kind != 1)
			leaves.r[leaves.n++] = got.r[i];
	for (unsigned int i = 0; i < ref.n; i++) {
		if (ref.r[i].kind == 1) {
			bool seen = false;

			for (unsigned int k = 0; k < got.n && !seen; k++)
				seen = rec_eq(&got.r[k], &ref.r[i]);
			CU_ASSERT_TRUE(seen);
			continue;
		}
		CU_ASSERT_TRUE(j < leaves.n && rec_eq(&leaves.r[j], &ref.r[i]));
		j++;
	}
	CU_ASSERT_EQUAL(j, leaves.n);
	free(got.r);
	free(ref.r);
	free(leaves.r);
}

static void
test_dump_matches_pgtable_walk(void)
{
	unsigned long long seed = ut_seed();
	static const unsigned int ias_list[] = { 25, 32, 39, 42, 48 };

	for (unsigned int st = 1; st <= 2; st++) {
		for (unsigned int i = 0; i < RTE_DIM(ias_list); i++) {
			unsigned int ias = ias_list[i];
			struct uiommu_pgtable_cfg cfg = {
				.format = st == 1 ? UIOMMU_PT_ARM_LPAE_S1_4K :
						    UIOMMU_PT_ARM_LPAE_S2_4K,
				.ias = ias, .oas = 40,
				.mem_ops = &pt_test_mem_ops,
			};
			struct uiommu_lpae_walk_cfg wc;
			struct uiommu_pgtable *pt;
			struct pt_test_mem m;
			uint64_t top = (1ULL << ias) - 1, a, b;

			UT_ASSERT_FATAL(pt_test_mem_init(&m, 0x100000000ULL,
							 16 << 20) == 0);
			cfg.mem_ctx = &m;
			UT_ASSERT_FATAL(uiommu_pgtable_create(&cfg, &pt) == 0);
			random_fill(pt, ias, &seed);
			UT_ASSERT_FATAL(uiommu_pgtable_lpae_walk_cfg(pt, &wc) == 0);
			/* Whole space (and beyond: clamped). */
			check_whole(pt, &wc, 0, top);
			check_whole(pt, &wc, 0, UINT64_MAX);
			/* Random sub-ranges, not aligned. */
			for (unsigned int k = 0; k < 20; k++) {
				a = ut_rand(&seed) & top;
				b = ut_rand(&seed) & top;
				if (a > b) {
					uint64_t t = a;

					a = b;
					b = t;
				}
				check_whole(pt, &wc, a, b);
			}
			check_paged(pt, &wc, 0, top, &seed);
			a = ut_rand(&seed) & top;
			check_paged(pt, &wc, a, top, &seed);
			uiommu_pgtable_destroy(pt);
			pt_test_mem_fini(&m);
		}
	}
}

/* ---- hostile tables ------------------------------------------------------- */

static int
count_only(void *arg, const struct uiommu_lpae_dump_entry *e)
{
	unsigned int *n = arg;

	RTE_SET_USED(e);
	(*n)++;
	return 0;
}

/* A table pointer outside RAM: one fault entry, the table asked once. */
static void
test_dump_outside_ram(void)
{
	struct fake_ram *r = ram_new();
	struct uiommu_lpae_walk_cfg c = s1_cfg(r, 39, pg(0));
	const uint64_t bad = 0x700000000ULL, a = 3 * SZ_1G, b = 5 * SZ_1G;
	struct uiommu_lpae_dump_res res;
	struct coll got;

	coll_init(&got);
	/* L1[3] -> a table outside RAM; L1[5] -> L2 at page 1 whose
	 * entry 7 -> L3 at page 2 with one page; L1[6] a 1 GiB block. */
	r->page[0][ix(a, 1)] = bad | T;
	r->page[0][ix(b, 1)] = pg(1) | T;
	r->page[1][7] = pg(2) | T;
	r->page[2][9] = 0x9000000ULL | P | AF | UNPRIV;
	r->page[0][6] = 0x40000000ULL | B | AF | UNPRIV |
			UIOMMU_LPAE_PTE_AP_RDONLY;
	CU_ASSERT_EQUAL(uiommu_lpae_dump(&c, 0, UINT64_MAX, 1000, 100000,
					 collect, &got, &res), 0);
	CU_ASSERT_FALSE(res.more);
	/* The unreadable table was asked for once, its span skipped. */
	CU_ASSERT_EQUAL(r->outside, 1);
	CU_ASSERT_EQUAL(r->last_outside, bad);
	UT_ASSERT_FATAL(got.n == 6);
	/* L1 table to nowhere, then the fault covering its span. */
	CU_ASSERT_TRUE(got.r[0].kind == 1 && got.r[0].level == 1 &&
		       got.r[0].iova == a && got.r[0].size == SZ_1G &&
		       got.r[0].oa == bad);
	CU_ASSERT_TRUE(got.r[1].kind == 4 && got.r[1].level == 2 &&
		       got.r[1].iova == a && got.r[1].size == SZ_1G &&
		       got.r[1].oa == bad &&
		       got.r[1].fault == UIOMMU_LPAE_FAULT_WALK_EABT &&
		       got.r[1].pte == (bad | T));
	/* The valid path: two tables then the page. */
	CU_ASSERT_TRUE(got.r[2].kind == 1 && got.r[2].level == 1 &&
		       got.r[2].iova == b);
	CU_ASSERT_TRUE(got.r[3].kind == 1 && got.r[3].level == 2 &&
		       got.r[3].iova == b + 7 * SZ_2M && got.r[3].size == SZ_2M);
	CU_ASSERT_TRUE(got.r[4].kind == 2 && got.r[4].level == 3 &&
		       got.r[4].iova == b + 7 * SZ_2M + 9 * SZ_4K &&
		       got.r[4].oa == 0x9000000ULL);
	CU_ASSERT_TRUE(got.r[5].kind == 2 && got.r[5].level == 1 &&
		       got.r[5].iova == 6 * SZ_1G && got.r[5].size == SZ_1G);

	/* A TTB outside RAM: nothing translates; one fault, one read. */
	r->reads = r->outside = 0;
	got.n = 0;
	c.ttb = bad;
	CU_ASSERT_EQUAL(uiommu_lpae_dump(&c, 0, UINT64_MAX, 1000, 100000,
					 collect, &got, &res), 0);
	CU_ASSERT_FALSE(res.more);
	CU_ASSERT_EQUAL(r->outside, 1);
	UT_ASSERT_FATAL(got.n == 1);
	CU_ASSERT_TRUE(got.r[0].kind == 4 && got.r[0].level == 1 &&
		       got.r[0].iova == 0 && got.r[0].size == 1ULL << 39 &&
		       got.r[0].fault == UIOMMU_LPAE_FAULT_WALK_EABT &&
		       got.r[0].oa == bad && got.r[0].pte == 0);
	free(got.r);
	free(r);
}

/* Descriptors the walker refuses are reported as faults, holes are not. */
static void
test_dump_bad_descriptors(void)
{
	struct fake_ram *r = ram_new();
	struct uiommu_lpae_walk_cfg c = s1_cfg(r, 39, pg(0));
	struct uiommu_lpae_dump_res res;
	struct coll got;

	coll_init(&got);
	r->page[0][1] = 0x40000000ULL | B | UNPRIV;          /* AF == 0 */
	r->page[0][2] = (1ULL << 45) | B | AF;                /* beyond OAS 40 */
	r->page[0][3] = pg(1) | T;
	r->page[1][0] = 0x200000ULL | B | AF;                 /* fine: 2 MiB */
	r->page[1][1] = pg(2) | T;
	r->page[2][0] = 0x1000ULL | B | AF;   /* type 0b01 at level 3: reserved */
	r->page[2][1] = 0x2000ULL | 2;        /* invalid (bit 0 clear): a hole */
	CU_ASSERT_EQUAL(uiommu_lpae_dump(&c, 0, UINT64_MAX, 1000, 100000,
					 collect, &got, &res), 0);
	UT_ASSERT_FATAL(got.n == 6);
	CU_ASSERT_TRUE(got.r[0].kind == 4 && got.r[0].level == 1 &&
		       got.r[0].iova == SZ_1G &&
		       got.r[0].fault == UIOMMU_LPAE_FAULT_ACCESS);
	CU_ASSERT_TRUE(got.r[1].kind == 4 && got.r[1].iova == 2 * SZ_1G &&
		       got.r[1].fault == UIOMMU_LPAE_FAULT_ADDR_SIZE);
	CU_ASSERT_TRUE(got.r[2].kind == 1 && got.r[2].iova == 3 * SZ_1G);
	CU_ASSERT_TRUE(got.r[3].kind == 2 && got.r[3].level == 2 &&
		       got.r[3].oa == 0x200000ULL);
	CU_ASSERT_TRUE(got.r[4].kind == 1 && got.r[4].level == 2 &&
		       got.r[4].iova == 3 * SZ_1G + SZ_2M);
	CU_ASSERT_TRUE(got.r[5].kind == 4 && got.r[5].level == 3 &&
		       got.r[5].iova == 3 * SZ_1G + SZ_2M &&
		       got.r[5].fault == UIOMMU_LPAE_FAULT_TRANSLATION);
	free(got.r);
	free(r);
}

/* A sparse table costs about one read per empty entry, not one walk. */
static void
test_dump_sparse_cost(void)
{
	struct fake_ram *r = ram_new();
	struct uiommu_lpae_walk_cfg c = s1_cfg(r, 48, pg(0));
	const uint64_t iova = (7ULL << 39) | (5ULL << 30) | (300ULL << 21) |
			      (77ULL << 12);
	struct uiommu_lpae_dump_res res;
	struct coll got;

	coll_init(&got);
	r->page[0][ix(iova, 0)] = pg(1) | T;
	r->page[1][ix(iova, 1)] = pg(2) | T;
	r->page[2][ix(iova, 2)] = pg(3) | T;
	r->page[3][ix(iova, 3)] = 0x5000ULL | P | AF;
	CU_ASSERT_EQUAL(uiommu_lpae_dump(&c, 0, UINT64_MAX, 100, 100000,
					 collect, &got, &res), 0);
	CU_ASSERT_FALSE(res.more);
	UT_ASSERT_FATAL(got.n == 4);
	CU_ASSERT_TRUE(got.r[3].kind == 2 && got.r[3].iova == iova);
	/* 4 tables of 512 entries, a few walks of 4 reads on top. */
	CU_ASSERT_TRUE(res.reads <= 4 * 512 + 8 * 4);
	CU_ASSERT_EQUAL(res.reads, r->reads);
	free(got.r);
	free(r);
}

/* Every table points to itself: bounded by the limits, paging progresses. */
static void
test_dump_cyclic(void)
{
	struct fake_ram *r = ram_new();
	struct uiommu_lpae_walk_cfg c = s1_cfg(r, 48, pg(0));
	struct uiommu_lpae_dump_res res;
	uint64_t at = 0;
	unsigned int n = 0;

	for (unsigned int i = 0; i < 512; i++)
		r->page[0][i] = pg(0) | T | AF | UNPRIV;
	CU_ASSERT_EQUAL(uiommu_lpae_dump(&c, 0, UINT64_MAX, 1024, 64,
					 count_only, &n, &res), 0);
	CU_ASSERT_TRUE(res.more && res.read_limit);
	CU_ASSERT_TRUE(res.reads <= 64 && r->reads <= 64);
	CU_ASSERT_TRUE(n > 0 && n <= 1024);
	CU_ASSERT_TRUE(res.next > 0);
	/* Reading the same page as every level: each 4 KiB is a page. */
	for (unsigned int k = 0; k < 1000 && res.more; k++) {
		unsigned int before_reads = r->reads, before_n = n;

		at = res.next;
		CU_ASSERT_EQUAL(uiommu_lpae_dump(&c, at, UINT64_MAX, 16, 64,
						 count_only, &n, &res), 0);
		CU_ASSERT_TRUE(r->reads - before_reads <= 64);
		CU_ASSERT_TRUE(n - before_n <= 16);
		CU_ASSERT_TRUE(!res.more || res.next > at);
	}
	CU_ASSERT_TRUE(res.more);
	free(r);
}

/* Random garbage: every call bounded, reads only through read_pte. */
static void
test_dump_garbage(void)
{
	struct fake_ram *r = ram_new();
	unsigned long long seed = ut_seed();

	for (unsigned int round = 0; round < 50; round++) {
		struct uiommu_lpae_walk_cfg c = {
			.stage = 1 + (unsigned int)(ut_rand(&seed) % 2),
			.ias = 25 + (unsigned int)(ut_rand(&seed) % 24),
			.oas = 32 + (unsigned int)(ut_rand(&seed) % 17),
			.sl0 = UIOMMU_LPAE_SL0_AUTO,
			.read_pte = ram_read, .ctx = r,
		};
		struct uiommu_lpae_dump_res res;
		uint64_t at = 0, prev_iova;
		struct coll got;

		coll_init(&got);
		for (unsigned int p = 0; p < RAM_PAGES; p++)
			for (unsigned int i = 0; i < 512; i++) {
				uint64_t v = ut_rand(&seed);

				if ((v & 3) != 0)
					v = (v & ~UIOMMU_LPAE_PTE_ADDR_MASK) |
					    pg((unsigned int)((v >> 20) %
							      (RAM_PAGES + 2)));
				r->page[p][i] = v;
			}
		c.ttb = pg((unsigned int)(ut_rand(&seed) % RAM_PAGES));
		for (unsigned int k = 0; k < 200; k++) {
			uint32_t max_e = 4 + (uint32_t)(ut_rand(&seed) % 60);
			uint32_t max_r = 4 + (uint32_t)(ut_rand(&seed) % 200);
			unsigned int reads = r->reads, before = got.n;
			int rc;

			rc = uiommu_lpae_dump(&c, at, UINT64_MAX, max_e, max_r,
					      collect, &got, &res);
			CU_ASSERT_EQUAL(rc, 0);
			CU_ASSERT_TRUE(r->reads - reads <= max_r);
			CU_ASSERT_TRUE(got.n - before <= max_e);
			if (rc != 0 || !res.more)
				break;
			CU_ASSERT_TRUE(res.next > at);
			if (res.next <= at)
				break;
			at = res.next;
		}
		/* Leaves and faults come in strictly increasing order. */
		prev_iova = 0;
		for (unsigned int i = 0, seen = 0; i < got.n; i++) {
			if (got.r[i].kind == 1)
				continue;
			CU_ASSERT_TRUE(seen == 0 || got.r[i].iova > prev_iova);
			prev_iova = got.r[i].iova;
			seen++;
		}
		free(got.r);
	}
	free(r);
}

static void
test_dump_args(void)
{
	struct fake_ram *r = ram_new();
	struct uiommu_lpae_walk_cfg c = s1_cfg(r, 39, pg(0));
	struct uiommu_lpae_dump_res res;
	unsigned int n = 0;

	r->page[0][0] = 0x40000000ULL | B | AF;
	CU_ASSERT_EQUAL(uiommu_lpae_dump(&c, 0, 10, 3, 100, count_only, &n,
					 &res), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_lpae_dump(&c, 0, 10, 4, 3, count_only, &n,
					 &res), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_lpae_dump(&c, 11, 10, 4, 100, count_only, &n,
					 &res), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_lpae_dump(&c, 0, 10, 4, 100, NULL, &n, &res),
			-EINVAL);
	CU_ASSERT_EQUAL(uiommu_lpae_dump(NULL, 0, 10, 4, 100, count_only, &n,
					 &res), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_lpae_dump(&c, 0, 10, 4, 100, count_only, &n,
					 NULL), -EINVAL);
	c.ias = 10;
	CU_ASSERT_EQUAL(uiommu_lpae_dump(&c, 0, 10, 4, 100, count_only, &n,
					 &res), -EINVAL);
	c.ias = 39;
	c.tg = UIOMMU_LPAE_TG0_64K;
	CU_ASSERT_EQUAL(uiommu_lpae_dump(&c, 0, 10, 4, 100, count_only, &n,
					 &res), -EOPNOTSUPP);
	c.tg = UIOMMU_LPAE_TG0_4K;
	CU_ASSERT_EQUAL(n, 0);
	CU_ASSERT_EQUAL(r->reads, 0);
	/* Beyond the input size: nothing, done. */
	CU_ASSERT_EQUAL(uiommu_lpae_dump(&c, 1ULL << 39, UINT64_MAX, 4, 100,
					 count_only, &n, &res), 0);
	CU_ASSERT_TRUE(n == 0 && !res.more && r->reads == 0);
	/* A small range inside one block: that block, whole. */
	CU_ASSERT_EQUAL(uiommu_lpae_dump(&c, 0, 10, 4, 100, count_only, &n,
					 &res), 0);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_EQUAL(res.start_level, 1);
	CU_ASSERT_EQUAL(res.ias, 39);
	free(r);
}

static int
stop_at_once(void *arg, const struct uiommu_lpae_dump_entry *e)
{
	RTE_SET_USED(arg);
	RTE_SET_USED(e);
	return -ECANCELED;
}

static void
test_dump_visitor_stops(void)
{
	struct fake_ram *r = ram_new();
	struct uiommu_lpae_walk_cfg c = s1_cfg(r, 39, pg(0));
	struct uiommu_lpae_dump_res res;

	r->page[0][0] = 0x40000000ULL | B | AF;
	r->page[0][1] = 0x80000000ULL | B | AF;
	CU_ASSERT_EQUAL(uiommu_lpae_dump(&c, 0, UINT64_MAX, 100, 100,
					 stop_at_once, NULL, &res), -ECANCELED);
	CU_ASSERT_EQUAL(res.entries, 1);
	free(r);
}

static const struct ut_case cases[] = {
	UT_CASE(test_dump_matches_pgtable_walk),
	UT_CASE(test_dump_outside_ram),
	UT_CASE(test_dump_bad_descriptors),
	UT_CASE(test_dump_sparse_cost),
	UT_CASE(test_dump_cyclic),
	UT_CASE(test_dump_garbage),
	UT_CASE(test_dump_args),
	UT_CASE(test_dump_visitor_stops),
	UT_END,
};

int
main(int argc, char **argv)
{
	return ut_main("lpae_dump", cases, argc, argv);
}
