/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tests of the hostile-input LPAE walker (fmt/arm_lpae_walk.c) on crafted
 * tables: self-reference, pointers outside memory, reserved bits, AF == 0,
 * blocks where none may be, reserved type at level 3, addresses beyond the
 * output size, bad configurations; random garbage (never a read outside
 * the fake RAM the read_pte callback allows, never more than 4 reads);
 * agreement with uiommu_pgtable_iova_to_phys() on random managed tables;
 * and a nested walk: a stage-1 table built in guest RAM (GPA addressed)
 * walked through a stage-2 table in manager memory (uiommu_tblmem).
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
#define RAM_PAGES 64u

#define T UIOMMU_LPAE_PTE_TYPE_TABLE
#define B UIOMMU_LPAE_PTE_TYPE_BLOCK
#define P UIOMMU_LPAE_PTE_TYPE_PAGE
#define AF UIOMMU_LPAE_PTE_AF

/* Fake RAM of RAM_PAGES pages at RAM_BASE, read only through read_pte. */
struct fake_ram {
	uint64_t page[RAM_PAGES][512];
	unsigned int reads;
	unsigned int outside;   /* reads asked outside RAM (refused) */
	unsigned int bad_args;  /* offsets not 8-aligned / crossing a page */
	int fail_errno;         /* when non-zero, every read fails with it */
};

static int
ram_read(void *ctx, uint64_t table_addr, uint64_t off, uint64_t *pte)
{
	struct fake_ram *r = ctx;
	uint64_t a;

	r->reads++;
	if ((off & 7) != 0 || off >= 4096 ||
	    (table_addr & 4095) + off >= 4096)
		r->bad_args++;
	if (r->fail_errno != 0)
		return r->fail_errno;
	a = table_addr + off;
	if (a < RAM_BASE || a - RAM_BASE >= RAM_PAGES * SZ_4K) {
		r->outside++;
		return -EFAULT;
	}
	*pte = __atomic_load_n(&r->page[(a - RAM_BASE) / SZ_4K][(a & 4095) / 8],
			       __ATOMIC_ACQUIRE);
	return 0;
}

static uint64_t
pg(unsigned int n)
{
	return RAM_BASE + n * SZ_4K;
}

static struct fake_ram *
ram_new(void)
{
	struct fake_ram *r = calloc(1, sizeof(*r));

	UT_ASSERT_FATAL(r != NULL);
	return r;
}

static struct uiommu_lpae_walk_cfg
s1_cfg(struct fake_ram *r, unsigned int ias, unsigned int oas, uint64_t ttb)
{
	struct uiommu_lpae_walk_cfg c = {
		.stage = 1, .ias = ias, .oas = oas, .ttb = ttb,
		.sl0 = UIOMMU_LPAE_SL0_AUTO, .read_pte = ram_read, .ctx = r,
	};

	return c;
}

/* Index of iova at lvl. */
static unsigned int
ix(uint64_t iova, unsigned int lvl)
{
	return (unsigned int)((iova >> UIOMMU_LPAE_LVL_SHIFT(lvl)) & 511);
}

/* A valid 4-level S1 path for iova through pages 0,1,2,3 → leaf. */
static void
build_path(struct fake_ram *r, uint64_t iova, uint64_t leaf)
{
	r->page[0][ix(iova, 0)] = pg(1) | T;
	r->page[1][ix(iova, 1)] = pg(2) | T;
	r->page[2][ix(iova, 2)] = pg(3) | T;
	r->page[3][ix(iova, 3)] = leaf;
}

static void
expect_fault(const struct uiommu_lpae_walk_cfg *c, uint64_t iova,
	     enum uiommu_lpae_fault kind, int level)
{
	struct uiommu_lpae_walk_result res;

	CU_ASSERT_EQUAL(uiommu_lpae_walk(c, iova, &res), -EFAULT);
	CU_ASSERT_EQUAL(res.fault, kind);
	CU_ASSERT_EQUAL(res.level, level);
	CU_ASSERT_EQUAL(res.iova, iova);
	CU_ASSERT_TRUE(res.nreads <= 4);
}

static void
test_lpae_walk_ok_s1(void)
{
	struct fake_ram *r = ram_new();
	struct uiommu_lpae_walk_cfg c = s1_cfg(r, 48, 40, pg(0));
	const uint64_t iova = 0x0000123456789abcULL;
	struct uiommu_lpae_walk_result res;

	build_path(r, iova, 0x12345000ULL | P | AF | UIOMMU_LPAE_PTE_NG |
		   UIOMMU_LPAE_PTE_AP_UNPRIV | (1ULL << 2) | UIOMMU_LPAE_PTE_SH_IS);
	CU_ASSERT_EQUAL(uiommu_lpae_walk(&c, iova, &res), 0);
	CU_ASSERT_EQUAL(res.fault, UIOMMU_LPAE_FAULT_NONE);
	CU_ASSERT_EQUAL(res.oa, 0x12345000ULL | (iova & 0xfff));
	CU_ASSERT_EQUAL(res.leaf_size, SZ_4K);
	CU_ASSERT_EQUAL(res.level, 3);
	CU_ASSERT_EQUAL(res.nreads, 4);
	CU_ASSERT_EQUAL(res.ptes[0], pg(1) | T);
	CU_ASSERT_EQUAL(res.table_addr, pg(3));
	CU_ASSERT_EQUAL(res.perm, UIOMMU_LPAE_PERM_READ | UIOMMU_LPAE_PERM_WRITE |
				  UIOMMU_LPAE_PERM_UNPRIV | UIOMMU_LPAE_PERM_EXEC |
				  UIOMMU_LPAE_PERM_PEXEC);
	CU_ASSERT_EQUAL(res.attr, 1);
	CU_ASSERT_EQUAL(res.sh, 3);
	CU_ASSERT_TRUE(res.ng);
	/* A 2M block at level 2 instead. */
	r->page[2][ix(iova, 2)] = 0x40000000ULL | B | AF | UIOMMU_LPAE_PTE_AP_RDONLY |
				  UIOMMU_LPAE_PTE_UXN;
	CU_ASSERT_EQUAL(uiommu_lpae_walk(&c, iova, &res), 0);
	CU_ASSERT_EQUAL(res.leaf_size, SZ_2M);
	CU_ASSERT_EQUAL(res.level, 2);
	CU_ASSERT_EQUAL(res.oa, 0x40000000ULL | (iova & (SZ_2M - 1)));
	CU_ASSERT_EQUAL(res.perm, UIOMMU_LPAE_PERM_READ | UIOMMU_LPAE_PERM_PEXEC);
	/* Hierarchical attributes: APTable read-only + no EL0, XN tables. */
	r->page[2][ix(iova, 2)] = pg(3) | T;
	r->page[0][ix(iova, 0)] = pg(1) | T | UIOMMU_LPAE_TBL_AP_RDONLY;
	r->page[1][ix(iova, 1)] = pg(2) | T | UIOMMU_LPAE_TBL_AP_NOEL0 |
				  UIOMMU_LPAE_TBL_UXNTABLE | UIOMMU_LPAE_TBL_PXNTABLE;
	CU_ASSERT_EQUAL(uiommu_lpae_walk(&c, iova, &res), 0);
	CU_ASSERT_EQUAL(res.perm, UIOMMU_LPAE_PERM_READ);
	CU_ASSERT_EQUAL(r->outside + r->bad_args, 0);
	free(r);
}

static void
test_lpae_walk_self_reference(void)
{
	struct fake_ram *r = ram_new();
	struct uiommu_lpae_walk_cfg c = s1_cfg(r, 48, 48, pg(0));
	struct uiommu_lpae_walk_result res;
	unsigned long long seed = ut_seed();

	/* Every entry of page 0 points back to page 0. */
	for (unsigned int i = 0; i < 512; i++)
		r->page[0][i] = pg(0) | T;
	for (unsigned int k = 0; k < 100; k++) {
		uint64_t iova = ut_rand(&seed) & ((1ULL << 48) - 1);

		r->reads = 0;
		/* At level 3 the same descriptor is a page, without AF. */
		expect_fault(&c, iova, UIOMMU_LPAE_FAULT_ACCESS, 3);
		CU_ASSERT_EQUAL(r->reads, 4);
	}
	/* With AF: the walk ends on page 0 itself, still 4 reads. */
	for (unsigned int i = 0; i < 512; i++)
		r->page[0][i] = pg(0) | T | AF;
	r->reads = 0;
	CU_ASSERT_EQUAL(uiommu_lpae_walk(&c, 0xfff, &res), 0);
	CU_ASSERT_EQUAL(res.oa, pg(0) | 0xfff);
	CU_ASSERT_EQUAL(res.level, 3);
	CU_ASSERT_EQUAL(r->reads, 4);
	/* Two tables pointing at each other: same bound. */
	for (unsigned int i = 0; i < 512; i++) {
		r->page[0][i] = pg(1) | T;
		r->page[1][i] = pg(0) | T;
	}
	r->reads = 0;
	expect_fault(&c, 0x123456789000ULL, UIOMMU_LPAE_FAULT_ACCESS, 3);
	CU_ASSERT_EQUAL(r->reads, 4);
	CU_ASSERT_EQUAL(r->outside + r->bad_args, 0);
	free(r);
}

static void
test_lpae_walk_outside_memory(void)
{
	struct fake_ram *r = ram_new();
	struct uiommu_lpae_walk_cfg c = s1_cfg(r, 48, 48, pg(0));
	const uint64_t iova = 0x40201000ULL;
	struct uiommu_lpae_walk_result res;

	/* Table pointer far outside RAM (but within oas). */
	build_path(r, iova, 0);
	r->page[1][ix(iova, 1)] = 0x0000700000000000ULL | T;
	CU_ASSERT_EQUAL(uiommu_lpae_walk(&c, iova, &res), -EFAULT);
	CU_ASSERT_EQUAL(res.fault, UIOMMU_LPAE_FAULT_WALK_EABT);
	CU_ASSERT_EQUAL(res.level, 2);
	CU_ASSERT_EQUAL(res.eabt_errno, -EFAULT);
	CU_ASSERT_EQUAL(res.table_addr, 0x0000700000000000ULL);
	CU_ASSERT_EQUAL(r->outside, 1);
	/* Just past the end of RAM. */
	r->page[1][ix(iova, 1)] = pg(RAM_PAGES) | T;
	expect_fault(&c, iova, UIOMMU_LPAE_FAULT_WALK_EABT, 2);
	/* TTB outside RAM. */
	c.ttb = 0x1000;
	expect_fault(&c, iova, UIOMMU_LPAE_FAULT_WALK_EABT, 0);
	/* The callback's own errno is reported. */
	c.ttb = pg(0);
	r->fail_errno = -EIO;
	CU_ASSERT_EQUAL(uiommu_lpae_walk(&c, iova, &res), -EFAULT);
	CU_ASSERT_EQUAL(res.fault, UIOMMU_LPAE_FAULT_WALK_EABT);
	CU_ASSERT_EQUAL(res.eabt_errno, -EIO);
	CU_ASSERT_EQUAL(res.nreads, 0);
	CU_ASSERT_EQUAL(r->bad_args, 0);
	free(r);
}

static void
test_lpae_walk_bad_descriptors(void)
{
	struct fake_ram *r = ram_new();
	struct uiommu_lpae_walk_cfg c = s1_cfg(r, 48, 40, pg(0));
	const uint64_t iova = 0x0000008040201000ULL;
	const uint64_t good = 0x5000ULL | P | AF;

	build_path(r, iova, good);
	CU_ASSERT_EQUAL(uiommu_lpae_walk(&c, iova, &(struct uiommu_lpae_walk_result){0}), 0);

	/* Invalid descriptor at each level. */
	for (unsigned int lvl = 0; lvl < 4; lvl++) {
		uint64_t save = r->page[lvl][ix(iova, lvl)];

		r->page[lvl][ix(iova, lvl)] = save & ~1ULL;
		expect_fault(&c, iova, UIOMMU_LPAE_FAULT_TRANSLATION, (int)lvl);
		r->page[lvl][ix(iova, lvl)] = save;
	}
	/* Block at level 0 is not allowed with a 4K granule. */
	r->page[0][ix(iova, 0)] = B | AF;
	expect_fault(&c, iova, UIOMMU_LPAE_FAULT_TRANSLATION, 0);
	r->page[0][ix(iova, 0)] = pg(1) | T;
	/* Type 0b01 at level 3 is reserved. */
	r->page[3][ix(iova, 3)] = 0x5000ULL | B | AF;
	expect_fault(&c, iova, UIOMMU_LPAE_FAULT_TRANSLATION, 3);
	/* A "table" descriptor at level 3 is a page: it is not followed. */
	r->page[3][ix(iova, 3)] = pg(0) | T | AF;
	r->reads = 0;
	CU_ASSERT_EQUAL(uiommu_lpae_walk(&c, iova, &(struct uiommu_lpae_walk_result){0}), 0);
	CU_ASSERT_EQUAL(r->reads, 4);
	/* AF == 0 on a page and on a block. */
	r->page[3][ix(iova, 3)] = good & ~AF;
	expect_fault(&c, iova, UIOMMU_LPAE_FAULT_ACCESS, 3);
	r->page[3][ix(iova, 3)] = good;
	r->page[2][ix(iova, 2)] = 0x200000ULL | B;
	expect_fault(&c, iova, UIOMMU_LPAE_FAULT_ACCESS, 2);
	/* Block output address with RES0 bits below the block size. */
	r->page[2][ix(iova, 2)] = 0x201000ULL | B | AF;
	expect_fault(&c, iova, UIOMMU_LPAE_FAULT_ADDR_SIZE, 2);
	r->page[1][ix(iova, 1)] = 0x40100000ULL | B | AF;
	expect_fault(&c, iova, UIOMMU_LPAE_FAULT_ADDR_SIZE, 1);
	r->page[1][ix(iova, 1)] = pg(2) | T;
	r->page[2][ix(iova, 2)] = pg(3) | T;
	/* Output address beyond oas (40 bits) and in bits [51:48]. */
	r->page[3][ix(iova, 3)] = (1ULL << 40) | P | AF;
	expect_fault(&c, iova, UIOMMU_LPAE_FAULT_ADDR_SIZE, 3);
	r->page[3][ix(iova, 3)] = (1ULL << 48) | 0x5000 | P | AF;
	expect_fault(&c, iova, UIOMMU_LPAE_FAULT_ADDR_SIZE, 3);
	r->page[3][ix(iova, 3)] = ((1ULL << 40) - SZ_4K) | P | AF;
	CU_ASSERT_EQUAL(uiommu_lpae_walk(&c, iova, &(struct uiommu_lpae_walk_result){0}), 0);
	/* Table address beyond oas, and with bit 50 set. */
	r->page[1][ix(iova, 1)] = (1ULL << 41) | pg(2) | T;
	expect_fault(&c, iova, UIOMMU_LPAE_FAULT_ADDR_SIZE, 1);
	r->page[1][ix(iova, 1)] = (1ULL << 50) | pg(2) | T;
	expect_fault(&c, iova, UIOMMU_LPAE_FAULT_ADDR_SIZE, 1);
	r->page[1][ix(iova, 1)] = pg(2) | T;
	/* TTB beyond oas. */
	c.ttb = (1ULL << 40) | pg(0);
	r->reads = 0;
	expect_fault(&c, iova, UIOMMU_LPAE_FAULT_ADDR_SIZE, 0);
	CU_ASSERT_EQUAL(r->reads, 0);
	c.ttb = pg(0);
	/* Input beyond ias: nothing is read. */
	r->reads = 0;
	expect_fault(&c, 1ULL << 48, UIOMMU_LPAE_FAULT_TRANSLATION, 0);
	c.ias = 39;
	expect_fault(&c, 1ULL << 39, UIOMMU_LPAE_FAULT_TRANSLATION, 1);
	CU_ASSERT_EQUAL(r->reads, 0);
	CU_ASSERT_EQUAL(r->outside + r->bad_args, 0);
	free(r);
}

static void
test_lpae_walk_config(void)
{
	struct fake_ram *r = ram_new();
	struct uiommu_lpae_walk_cfg c = s1_cfg(r, 48, 48, pg(0));
	struct uiommu_lpae_walk_result res;
	unsigned int start = 9, concat = 9, ias = 0;

	CU_ASSERT_EQUAL(uiommu_lpae_walk(NULL, 0, &res), -EINVAL);
	CU_ASSERT_EQUAL(res.fault, UIOMMU_LPAE_FAULT_CONFIG);
	CU_ASSERT_EQUAL(uiommu_lpae_walk(&c, 0, NULL), -EINVAL);
	c.tg = UIOMMU_LPAE_TG0_64K;
	CU_ASSERT_EQUAL(uiommu_lpae_walk(&c, 0, &res), -EOPNOTSUPP);
	CU_ASSERT_EQUAL(res.fault, UIOMMU_LPAE_FAULT_CONFIG);
	c.tg = UIOMMU_LPAE_TG0_16K;
	CU_ASSERT_EQUAL(uiommu_lpae_walk(&c, 0, &res), -EOPNOTSUPP);
	c.tg = 0;
	c.stage = 3;
	CU_ASSERT_EQUAL(uiommu_lpae_walk(&c, 0, &res), -EINVAL);
	c.stage = 1;
	c.ias = 24;
	CU_ASSERT_EQUAL(uiommu_lpae_walk(&c, 0, &res), -EINVAL);
	c.ias = 49;
	CU_ASSERT_EQUAL(uiommu_lpae_walk(&c, 0, &res), -EINVAL);
	/* From T0SZ. */
	c.ias = 0;
	c.t0sz = 25;
	CU_ASSERT_EQUAL(uiommu_lpae_walk_geometry(&c, &start, &concat, &ias), 0);
	CU_ASSERT_EQUAL(ias, 39);
	CU_ASSERT_EQUAL(start, 1);
	c.t0sz = 200;
	CU_ASSERT_EQUAL(uiommu_lpae_walk(&c, 0, &res), -EINVAL);
	c.t0sz = 16;
	c.oas = 31;
	CU_ASSERT_EQUAL(uiommu_lpae_walk(&c, 0, &res), -EINVAL);
	c.oas = 53;
	CU_ASSERT_EQUAL(uiommu_lpae_walk(&c, 0, &res), -EINVAL);
	c.read_pte = NULL;
	c.oas = 48;
	CU_ASSERT_EQUAL(uiommu_lpae_walk(&c, 0, &res), -EINVAL);
	CU_ASSERT_EQUAL(res.fault, UIOMMU_LPAE_FAULT_CONFIG);
	c.read_pte = ram_read;

	/* Stage 2: SL0 against T0SZ. */
	c.stage = 2;
	c.t0sz = 0;
	c.ias = 40;
	c.sl0 = 1;  /* level 1, 2 concatenated */
	CU_ASSERT_EQUAL(uiommu_lpae_walk_geometry(&c, &start, &concat, NULL), 0);
	CU_ASSERT_EQUAL(start, 1);
	CU_ASSERT_EQUAL(concat, 2);
	c.sl0 = 2;  /* level 0, 2 entries */
	CU_ASSERT_EQUAL(uiommu_lpae_walk_geometry(&c, &start, &concat, NULL), 0);
	CU_ASSERT_EQUAL(start, 0);
	CU_ASSERT_EQUAL(concat, 1);
	c.sl0 = 0;  /* level 2 would need 1024 tables */
	CU_ASSERT_EQUAL(uiommu_lpae_walk(&c, 0, &res), -EINVAL);
	CU_ASSERT_EQUAL(res.fault, UIOMMU_LPAE_FAULT_CONFIG);
	c.sl0 = 3;
	CU_ASSERT_EQUAL(uiommu_lpae_walk(&c, 0, &res), -EINVAL);
	c.sl0 = -2;
	CU_ASSERT_EQUAL(uiommu_lpae_walk(&c, 0, &res), -EINVAL);
	c.ias = 44;
	c.sl0 = 1;  /* 32 tables: too many */
	CU_ASSERT_EQUAL(uiommu_lpae_walk(&c, 0, &res), -EINVAL);
	c.ias = 43;  /* 16: the most */
	CU_ASSERT_EQUAL(uiommu_lpae_walk_geometry(&c, &start, &concat, NULL), 0);
	CU_ASSERT_EQUAL(concat, 16);
	c.ias = 30;
	c.sl0 = 2;  /* level 0 resolves no bit of a 30-bit input */
	CU_ASSERT_EQUAL(uiommu_lpae_walk(&c, 0, &res), -EINVAL);
	c.sl0 = 0;
	CU_ASSERT_EQUAL(uiommu_lpae_walk_geometry(&c, &start, &concat, NULL), 0);
	CU_ASSERT_EQUAL(start, 2);
	CU_ASSERT_EQUAL(r->reads, 0);
	CU_ASSERT_STRING_EQUAL(uiommu_lpae_fault_str(UIOMMU_LPAE_FAULT_ADDR_SIZE),
			       "addr_size");
	free(r);
}

/* Stage 2 with concatenated top tables: the right page of the top. */
static void
test_lpae_walk_s2_concat(void)
{
	struct fake_ram *r = ram_new();
	struct uiommu_lpae_walk_cfg c = {
		.stage = 2, .ias = 42, .oas = 48, .sl0 = 1,
		.ttb = pg(16), .read_pte = ram_read, .ctx = r,
	};
	struct uiommu_lpae_walk_result res;
	const uint64_t iova = (5ULL << 39) + 3 * SZ_1G + 0x1234;

	/* 8 concatenated level-1 tables at pages 16..23: entry (5*512+3). */
	r->page[16 + 5][3] = 0x80000000ULL | B | AF | UIOMMU_LPAE_PTE_S2AP_READ |
			      (0xfULL << 2) | UIOMMU_LPAE_PTE_XN;
	CU_ASSERT_EQUAL(uiommu_lpae_walk(&c, iova, &res), 0);
	CU_ASSERT_EQUAL(res.oa, 0x80001234ULL);
	CU_ASSERT_EQUAL(res.table_addr, pg(21));
	CU_ASSERT_EQUAL(res.perm, UIOMMU_LPAE_PERM_READ);
	CU_ASSERT_EQUAL(res.attr, 0xf);
	CU_ASSERT_EQUAL(res.level, 1);
	/* A misaligned TTB is aligned down to the 32 KiB top. */
	c.ttb = pg(16) + 0x1238;
	CU_ASSERT_EQUAL(uiommu_lpae_walk(&c, iova, &res), 0);
	CU_ASSERT_EQUAL(res.table_addr, pg(21));
	/* A top whose page 5 has no RAM behind it: external abort. */
	c.ttb = RAM_BASE - 8 * SZ_4K;
	expect_fault(&c, iova, UIOMMU_LPAE_FAULT_WALK_EABT, 1);
	CU_ASSERT_EQUAL(r->bad_args, 0);
	free(r);
}

/* Random garbage: bounded, never out of bounds, results self-consistent. */
static void
test_lpae_walk_garbage(void)
{
	struct fake_ram *r = ram_new();
	unsigned long long seed = ut_seed();

	for (unsigned int round = 0; round < 200; round++) {
		struct uiommu_lpae_walk_cfg c = {
			.stage = 1 + (unsigned int)(ut_rand(&seed) % 2),
			.ias = 25 + (unsigned int)(ut_rand(&seed) % 24),
			.oas = 32 + (unsigned int)(ut_rand(&seed) % 21),
			.sl0 = (int)(ut_rand(&seed) % 4) - 1,
			.read_pte = ram_read, .ctx = r,
		};

		/* Descriptors biased to point back into the fake RAM. */
		for (unsigned int p = 0; p < RAM_PAGES; p++)
			for (unsigned int i = 0; i < 512; i++) {
				uint64_t v = ut_rand(&seed);

				if ((v & 3) != 0)
					v = (v & ~UIOMMU_LPAE_PTE_ADDR_MASK) |
					    pg((unsigned int)((v >> 20) % (RAM_PAGES + 2)));
				r->page[p][i] = v;
			}
		c.ttb = pg((unsigned int)(ut_rand(&seed) % RAM_PAGES));
		for (unsigned int k = 0; k < 200; k++) {
			uint64_t iova = ut_rand(&seed) >> (ut_rand(&seed) % 40);
			struct uiommu_lpae_walk_result res;
			unsigned int before = r->reads;
			int rc = uiommu_lpae_walk(&c, iova, &res);

			CU_ASSERT_TRUE(r->reads - before <= 4);
			CU_ASSERT_TRUE(res.nreads <= 4);
			if (rc == 0) {
				CU_ASSERT_TRUE(res.leaf_size == SZ_4K ||
					       res.leaf_size == SZ_2M ||
					       res.leaf_size == SZ_1G);
				CU_ASSERT_TRUE(res.level >= 1 && res.level <= 3);
				CU_ASSERT_TRUE(res.oa >> (c.oas > 48 ? 48 : c.oas) == 0);
				CU_ASSERT_EQUAL(res.oa & (res.leaf_size - 1),
						iova & (res.leaf_size - 1));
			} else if (rc == -EFAULT) {
				CU_ASSERT_TRUE(res.fault >= UIOMMU_LPAE_FAULT_TRANSLATION &&
					       res.fault <= UIOMMU_LPAE_FAULT_WALK_EABT);
				CU_ASSERT_TRUE(res.level >= 0 && res.level <= 3);
			} else {
				CU_ASSERT_EQUAL(res.fault, UIOMMU_LPAE_FAULT_CONFIG);
				CU_ASSERT_EQUAL(r->reads, before);
			}
		}
	}
	CU_ASSERT_EQUAL(r->bad_args, 0);
	free(r);
}

/* ---- agreement with managed tables -------------------------------------- */

static void
test_lpae_walk_agrees_with_pgtable(void)
{
	unsigned long long seed = ut_seed();
	static const unsigned int ias_list[] = { 25, 32, 39, 40, 42, 44, 48 };

	for (unsigned int st = 1; st <= 2; st++) {
		for (unsigned int i = 0; i < RTE_DIM(ias_list); i++) {
			unsigned int ias = ias_list[i];
			struct uiommu_pgtable_cfg cfg = {
				.format = st == 1 ? UIOMMU_PT_ARM_LPAE_S1_4K :
						    UIOMMU_PT_ARM_LPAE_S2_4K,
				.ias = ias, .oas = 44,
				.mem_ops = &pt_test_mem_ops,
			};
			struct uiommu_lpae_walk_cfg wc;
			struct uiommu_pgtable *pt;
			struct pt_test_mem m;
			uint64_t span = 1ULL << ias;

			UT_ASSERT_FATAL(pt_test_mem_init(&m, 0x100000000ULL,
							 16 << 20) == 0);
			cfg.mem_ctx = &m;
			UT_ASSERT_FATAL(uiommu_pgtable_create(&cfg, &pt) == 0);
			for (unsigned int k = 0; k < 200; k++) {
				static const uint64_t sz[] = { SZ_4K, SZ_2M, SZ_1G };
				uint64_t s = sz[ut_rand(&seed) % 3], n;
				uint64_t cnt = 1 + ut_rand(&seed) % 4;

				if (s * cnt >= span)
					continue;
				uiommu_pgtable_map(pt, (ut_rand(&seed) % (span / s - cnt)) * s,
						   (ut_rand(&seed) % ((1ULL << 44) / s - cnt)) * s,
						   s * cnt, UIOMMU_PT_PROT_READ |
						   (k & 1 ? UIOMMU_PT_PROT_WRITE : 0), &n);
				if (k % 3 == 0)
					uiommu_pgtable_unmap(pt,
						(ut_rand(&seed) % (span / SZ_4K - 8)) * SZ_4K,
						SZ_4K * (1 + ut_rand(&seed) % 8), &n);
			}
			CU_ASSERT_EQUAL(uiommu_pgtable_lpae_walk_cfg(pt, &wc), 0);
			for (unsigned int k = 0; k < 2000; k++) {
				uint64_t iova = ut_rand(&seed) & (span - 1);
				struct uiommu_lpae_walk_result wr;
				struct uiommu_pt_leaf leaf;
				int rc = uiommu_pgtable_iova_to_phys(pt, iova, &leaf);
				int wrc = uiommu_lpae_walk(&wc, iova, &wr);

				if (rc == -ENOENT) {
					CU_ASSERT_EQUAL(wrc, -EFAULT);
					CU_ASSERT_EQUAL(wr.fault,
							UIOMMU_LPAE_FAULT_TRANSLATION);
					continue;
				}
				CU_ASSERT_EQUAL(rc, 0);
				CU_ASSERT_EQUAL(wrc, 0);
				CU_ASSERT_EQUAL(wr.oa, leaf.oa);
				CU_ASSERT_EQUAL(wr.leaf_size, leaf.size);
				CU_ASSERT_EQUAL((unsigned int)wr.level, leaf.level);
				CU_ASSERT_EQUAL(!!(wr.perm & UIOMMU_LPAE_PERM_WRITE),
						!!(leaf.prot & UIOMMU_PT_PROT_WRITE));
			}
			uiommu_pgtable_destroy(pt);
			CU_ASSERT_EQUAL(m.in_use, 0);
			pt_test_mem_fini(&m);
		}
	}
}

/* ---- nested: stage-1 in guest RAM over stage-2 in tblmem ---------------- */

struct nested {
	struct uiommu_lpae_walk_cfg s2;
	unsigned int s2_faults;
};

/* Stage-1 descriptor reads go through stage 2 (GPA → host VA). */
static int
nested_read(void *ctx, uint64_t table_gpa, uint64_t off, uint64_t *pte)
{
	struct nested *n = ctx;
	struct uiommu_lpae_walk_result res;

	if (uiommu_lpae_walk(&n->s2, table_gpa, &res) != 0) {
		n->s2_faults++;
		return -EFAULT;
	}
	/* res.oa is a host VA: the stage-2 output space is manager memory. */
	*pte = __atomic_load_n((uint64_t *)(uintptr_t)(res.oa + off),
			       __ATOMIC_ACQUIRE);
	return 0;
}

static void
test_lpae_walk_nested_guest_ram(void)
{
	const uint64_t gram_gpa = 0x40000000ULL, gram_size = 8ULL << 20;
	struct uiommu_pgtable_cfg s1cfg = {
		.format = UIOMMU_PT_ARM_LPAE_S1_4K, .ias = 48, .oas = 40,
		.mem_ops = &pt_test_mem_ops,
	};
	struct uiommu_pgtable_cfg s2cfg = {
		.format = UIOMMU_PT_ARM_LPAE_S2_4K, .ias = 40, .oas = 48,
		.mem_ops = &uiommu_tblmem_ops,
	};
	struct uiommu_pgtable *s1, *s2;
	struct uiommu_tblmem *tm;
	struct uiommu_lpae_walk_cfg c1;
	struct uiommu_lpae_walk_result res;
	struct nested n = { .s2_faults = 0 };
	struct pt_test_mem g;
	uint64_t host, mapped;

	/* Guest RAM: stage-1 tables written there, addressed by GPA. */
	UT_ASSERT_FATAL(pt_test_mem_init(&g, gram_gpa, gram_size) == 0);
	s1cfg.mem_ctx = &g;
	UT_ASSERT_FATAL(uiommu_pgtable_create(&s1cfg, &s1) == 0);
	/* Stage 2 in manager memory: GPA → host VA of the guest RAM. */
	UT_ASSERT_FATAL(uiommu_tblmem_create("nest", -1, 0, &tm) == 0);
	s2cfg.mem_ctx = tm;
	UT_ASSERT_FATAL(uiommu_pgtable_create(&s2cfg, &s2) == 0);
	host = (uint64_t)(uintptr_t)g.buf;
	CU_ASSERT_EQUAL(uiommu_pgtable_map(s2, gram_gpa, host, gram_size,
					   UIOMMU_PT_PROT_READ | UIOMMU_PT_PROT_WRITE,
					   &mapped), 0);
	/* Guest maps IOVA 0x10000000 → GPA gram_gpa + 1 MiB (a data page). */
	CU_ASSERT_EQUAL(uiommu_pgtable_map(s1, 0x10000000ULL, gram_gpa + (1 << 20),
					   SZ_4K, UIOMMU_PT_PROT_READ, &mapped), 0);
	/* Every stage-1 table address is a GPA inside guest RAM. */
	CU_ASSERT_TRUE(uiommu_pgtable_root(s1) >= gram_gpa &&
		       uiommu_pgtable_root(s1) < gram_gpa + gram_size);
	CU_ASSERT_NOT_EQUAL(uiommu_pgtable_root(s1),
			    (uint64_t)(uintptr_t)pt_test_mem_ptr(&g, uiommu_pgtable_root(s1), 8));

	CU_ASSERT_EQUAL(uiommu_pgtable_lpae_walk_cfg(s2, &n.s2), 0);
	CU_ASSERT_EQUAL(uiommu_pgtable_lpae_walk_cfg(s1, &c1), 0);
	c1.read_pte = nested_read;
	c1.ctx = &n;
	CU_ASSERT_EQUAL(uiommu_lpae_walk(&c1, 0x10000abcULL, &res), 0);
	CU_ASSERT_EQUAL(res.oa, gram_gpa + (1 << 20) + 0xabc);
	CU_ASSERT_EQUAL(res.nreads, 4);
	/* Composition: stage 2 of the stage-1 output is the host byte. */
	{
		struct uiommu_pt_leaf leaf;

		CU_ASSERT_EQUAL(uiommu_pgtable_iova_to_phys(s2, res.oa, &leaf), 0);
		CU_ASSERT_EQUAL(leaf.oa, host + (1 << 20) + 0xabc);
	}
	/* Remove stage 2 of the guest RAM: the stage-1 walk now aborts. */
	CU_ASSERT_EQUAL(uiommu_pgtable_unmap(s2, gram_gpa, gram_size, &mapped), 0);
	CU_ASSERT_EQUAL(uiommu_lpae_walk(&c1, 0x10000abcULL, &res), -EFAULT);
	CU_ASSERT_EQUAL(res.fault, UIOMMU_LPAE_FAULT_WALK_EABT);
	CU_ASSERT_EQUAL(n.s2_faults, 1);

	uiommu_pgtable_destroy(s2);
	uiommu_pgtable_destroy(s1);
	{
		struct uiommu_tblmem_stats st;

		uiommu_tblmem_stats_get(tm, &st);
		CU_ASSERT_EQUAL(st.tables_in_use, 0);
	}
	uiommu_tblmem_destroy(tm);
	CU_ASSERT_EQUAL(g.in_use, 0);
	pt_test_mem_fini(&g);
}

static const struct ut_case cases[] = {
	UT_CASE(test_lpae_walk_ok_s1),
	UT_CASE(test_lpae_walk_self_reference),
	UT_CASE(test_lpae_walk_outside_memory),
	UT_CASE(test_lpae_walk_bad_descriptors),
	UT_CASE(test_lpae_walk_config),
	UT_CASE(test_lpae_walk_s2_concat),
	UT_CASE(test_lpae_walk_garbage),
	UT_CASE(test_lpae_walk_agrees_with_pgtable),
	UT_CASE(test_lpae_walk_nested_guest_ram),
	UT_END
};

int
main(int argc, char **argv)
{
	return ut_main("lpae_walk", cases, argc, argv);
}
