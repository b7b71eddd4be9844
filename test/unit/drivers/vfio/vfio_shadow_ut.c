/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the vfio backend's shadowing, through its ops, against the
 * scripted kernel of vfio_mock.c.
 *
 * Most tests check the exact sequence of VFIO_IOMMU_MAP_DMA / UNMAP_DMA
 * calls (IOVA, size, host address) that a guest action causes: the first
 * shadow of a table, invalidations of one page, of ranges, of an ASID and
 * of everything, the merge of page-by-page invalidations into one call,
 * the remap of a changed leaf (and of the rest of a coalesced run, which
 * type1v2 cannot split), block splits. Every test also checks the result
 * against a reference: the kernel's mapping of each page must equal the
 * guest table's translation composed with guest RAM (env_diff), and the
 * backend's record must equal the kernel's mappings (env_records_match).
 * The limit tests check that running out of mappings or of walk budget is
 * visible three ways: the error code, an event record, a counter; and
 * that no mapping the guest removed survives. The hostile-table tests
 * fill guest tables with random descriptors and check that the backend
 * stays bounded and consistent. Randomized tests compare long random
 * sequences of guest changes + invalidations against the reference.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "uiommu_cmd.h"
#include "uiommu_ut.h"
#include "uiommu_vfio.h"
#include "vfio_env.h"
#include "vfio_private.h"

#define RW (UIOMMU_PT_PROT_READ | UIOMMU_PT_PROT_WRITE)
#define RO (UIOMMU_PT_PROT_READ)
#define F_RW (UIOMMU_VFIO_DMA_MAP_FLAG_READ | UIOMMU_VFIO_DMA_MAP_FLAG_WRITE)
#define F_RO (UIOMMU_VFIO_DMA_MAP_FLAG_READ)

/* An expected kernel call; vaddr/flags of an UNMAP are not compared. */
struct xc {
	int op;
	uint64_t iova, size, vaddr;
	uint32_t flags;
};
#define XMAP(i, s, v, f) { MOCK_OP_MAP, (i), (s), (v), (f) }
#define XUNMAP(i, s) { MOCK_OP_UNMAP, (i), (s), 0, 0 }

static void
print_calls(void)
{
	unsigned int n;
	const struct mock_call *l = mock_calls(&n);

	for (unsigned int i = 0; i < n; i++)
		printf("  call %u: %s c%d iova 0x%" PRIx64 " size 0x%" PRIx64
		       " va 0x%" PRIx64 " fl %x err %d\n", i,
		       l[i].op == MOCK_OP_MAP ? "MAP" : "UNMAP", l[i].container,
		       l[i].iova, l[i].size, l[i].vaddr, l[i].flags, l[i].err);
}

/* The log holds exactly these calls, all on container c, all accepted. */
static bool
calls_are(int c, const struct xc *x, unsigned int nx)
{
	unsigned int n;
	const struct mock_call *l = mock_calls(&n);
	bool ok = n == nx;

	for (unsigned int i = 0; ok && i < n; i++) {
		ok = l[i].op == x[i].op && l[i].container == c &&
		     l[i].iova == x[i].iova && l[i].size == x[i].size &&
		     l[i].err == 0;
		if (ok && x[i].op == MOCK_OP_MAP)
			ok = l[i].vaddr == x[i].vaddr && l[i].flags == x[i].flags;
	}
	if (!ok) {
		printf("\n  expected %u call(s), got:\n", nx);
		print_calls();
	}
	mock_calls_clear();
	return ok;
}

static unsigned int
ncalls(void)
{
	unsigned int n;

	mock_calls(&n);
	return n;
}

static const struct uiommu_vfio_stats *
stats(struct venv *e)
{
	static struct uiommu_vfio_stats st;

	UT_ASSERT_FATAL(uiommu_vfio_stats_get(e->vi, &st) == 0);
	return &st;
}

/* ------------------------------------------------------------------ */

static void
test_bind(void)
{
	struct uiommu_hw_info hw;
	struct venv e;
	struct vdev d0, d1, d2, dx;

	env_init(&e, NULL);
	CU_ASSERT_EQUAL(env_dev(&e, &d0, ENV_BDF0, ENV_GROUP0, 1), 0);
	CU_ASSERT(mock_is_device_fd(d0.fd));
	CU_ASSERT_NOT_EQUAL(env_cont(&d0), 0);
	CU_ASSERT_EQUAL(mock_nr_maps(env_cont(&d0)), 0);   /* starts blocked */
	CU_ASSERT_EQUAL(ncalls(), 0);
	/* One container per device. */
	CU_ASSERT_EQUAL(env_dev(&e, &d1, ENV_BDF1, ENV_GROUP1, 2), 0);
	CU_ASSERT_NOT_EQUAL(env_cont(&d1), env_cont(&d0));
	/* A second device of a bound group: the group is in use. */
	CU_ASSERT_EQUAL(env_dev(&e, &dx, ENV_BDF1_SAME_GROUP, ENV_GROUP1, 3),
			-EBUSY);
	/* Short form (domain 0). */
	CU_ASSERT_EQUAL(env_dev(&e, &d2, "00:06.0", ENV_GROUP2, 4), 0);
	/* Malformed specs never reach the file system. */
	CU_ASSERT_EQUAL(env_dev(&e, &dx, "zz", 0, 5), -EINVAL);
	CU_ASSERT_EQUAL(env_dev(&e, &dx, "0000:00:03", 0, 5), -EINVAL);
	CU_ASSERT_EQUAL(env_dev(&e, &dx, "0000:00:20.0", 0, 5), -EINVAL);
	CU_ASSERT_EQUAL(env_dev(&e, &dx, "0000:00:03.8", 0, 5), -EINVAL);
	CU_ASSERT_EQUAL(env_dev(&e, &dx, "../../../etc", 0, 5), -EINVAL);
	CU_ASSERT_EQUAL(env_dev(&e, &dx, "0000:00:03.0/", 0, 5), -EINVAL);
	CU_ASSERT_EQUAL(env_dev(&e, &dx, "", 0, 5), -EINVAL);
	/* A device that does not exist. */
	CU_ASSERT_EQUAL(env_dev(&e, &dx, "0000:00:09.0", 0, 5), -ENOENT);

	CU_ASSERT_EQUAL(e.ops->hw_info(&hw), 0);
	CU_ASSERT_STRING_EQUAL(hw.name, "vfio");
	CU_ASSERT(hw.caps & UIOMMU_HW_CAP_SHADOW);
	CU_ASSERT(hw.caps & UIOMMU_HW_CAP_FMT_LPAE);
	CU_ASSERT(!(hw.caps & UIOMMU_HW_CAP_NESTING));
	CU_ASSERT_EQUAL(hw.pgsize_bitmap, mock_cfg()->pgsizes);
	CU_ASSERT_EQUAL(hw.ias, 48);
	CU_ASSERT_EQUAL(hw.max_mappings, UIOMMU_VFIO_DMA_ENTRY_LIMIT_DEFAULT);

	env_dev_free(&e, &d2);
	env_dev_free(&e, &d1);
	env_dev_free(&e, &d0);
	env_fini(&e);
}

static void
test_kernel_refusals(void)
{
	struct venv e;
	struct vdev d;

	/* No VFIO at all: the vIOMMU cannot be created. */
	mock_reset();
	mock_cfg()->no_vfio = true;
	CU_ASSERT_EQUAL(env_init_keep_mock(&e, NULL), -ENODEV);
	env_fini(&e);
	/* No type1v2. */
	mock_reset();
	mock_cfg()->type1v2 = false;
	CU_ASSERT_EQUAL(env_init_keep_mock(&e, NULL), -EOPNOTSUPP);
	env_fini(&e);
	/* Bad arguments. */
	mock_reset();
	CU_ASSERT_EQUAL(env_init_keep_mock(&e, "walk_max=0"), -EINVAL);
	env_fini(&e);
	mock_reset();
	CU_ASSERT_EQUAL(env_init_keep_mock(&e, "walk_max=99999999"), -EINVAL);
	env_fini(&e);
	mock_reset();
	CU_ASSERT_EQUAL(env_init_keep_mock(&e, "coalesce=maybe"), -EINVAL);
	env_fini(&e);
	mock_reset();
	CU_ASSERT_EQUAL(env_init_keep_mock(&e, "bogus=1"), -EINVAL);
	env_fini(&e);
	/* A group with a device not bound to VFIO. */
	env_init(&e, NULL);
	mock_cfg()->viable = false;
	CU_ASSERT_EQUAL(env_dev(&e, &d, ENV_BDF0, ENV_GROUP0, 1), -EBUSY);
	env_fini(&e);
	/* An IOMMU without 4 KiB pages. */
	env_init(&e, NULL);
	mock_cfg()->pgsizes = 1ULL << 16;
	CU_ASSERT_EQUAL(env_dev(&e, &d, ENV_BDF0, ENV_GROUP0, 1), -EOPNOTSUPP);
	env_fini(&e);
}

static void
test_bypass(void)
{
	struct venv e;
	struct vdev d;
	int c;

	env_init(&e, NULL);
	UT_ASSERT_FATAL(env_dev(&e, &d, ENV_BDF0, ENV_GROUP0, 1) == 0);
	c = env_cont(&d);
	CU_ASSERT_EQUAL(env_ste_cfg(&e, &d, UIOMMU_STE_CFG_BYPASS), 0);
	{
		const struct xc x[] = {
			XMAP(ENV_RA_GPA, ENV_RA_SIZE, env_hva(&e, ENV_RA_GPA), F_RW),
			XMAP(ENV_RB_GPA, ENV_RB_SIZE, env_hva(&e, ENV_RB_GPA), F_RW),
		};
		CU_ASSERT(calls_are(c, x, 2));
	}
	CU_ASSERT_EQUAL(env_diff(&e, &d, ENV_RA_GPA, ENV_RA_GPA + SZ_2M, true), 0);
	CU_ASSERT_EQUAL(env_diff(&e, &d, ENV_RB_GPA + ENV_RB_SIZE - SZ_2M,
				 ENV_RB_GPA + ENV_RB_SIZE + SZ_4K, true), 0);
	CU_ASSERT(env_records_match(&d));
	/* The same configuration again changes nothing. */
	CU_ASSERT_EQUAL(env_ste_cfg(&e, &d, UIOMMU_STE_CFG_BYPASS), 0);
	CU_ASSERT_EQUAL(ncalls(), 0);
	/* TLBIs do not concern a device without stage 1. */
	CU_ASSERT_EQUAL(env_inv(&e, UIOMMU_CMD_TLBI_NH_ALL, 0, 0, 0, NULL, NULL), 0);
	CU_ASSERT_EQUAL(ncalls(), 0);
	/* Abort: everything goes. */
	CU_ASSERT_EQUAL(env_ste_cfg(&e, &d, UIOMMU_STE_CFG_ABORT), 0);
	{
		const struct xc x[] = {
			XUNMAP(ENV_RA_GPA, ENV_RA_SIZE),
			XUNMAP(ENV_RB_GPA, ENV_RB_SIZE),
		};
		CU_ASSERT(calls_are(c, x, 2));
	}
	CU_ASSERT_EQUAL(mock_nr_maps(c), 0);
	env_dev_free(&e, &d);
	env_fini(&e);

	/* The kernel's IOVA ranges leave a hole in region A. */
	mock_reset();
	mock_add_device(ENV_BDF0, ENV_GROUP0);
	mock_cfg()->nr_ranges = 2;
	mock_cfg()->range_start[0] = 0;
	mock_cfg()->range_end[0] = ENV_RA_GPA + SZ_2M - 1;
	mock_cfg()->range_start[1] = ENV_RA_GPA + 2 * SZ_2M;
	mock_cfg()->range_end[1] = (1ULL << 48) - 1;
	UT_ASSERT_FATAL(env_init_keep_mock(&e, NULL) == 0);
	UT_ASSERT_FATAL(env_dev(&e, &d, ENV_BDF0, ENV_GROUP0, 1) == 0);
	c = env_cont(&d);
	CU_ASSERT_EQUAL(env_ste_cfg(&e, &d, UIOMMU_STE_CFG_BYPASS), 0);
	{
		const struct xc x[] = {
			XMAP(ENV_RA_GPA, SZ_2M, env_hva(&e, ENV_RA_GPA), F_RW),
			XMAP(ENV_RA_GPA + 2 * SZ_2M, ENV_RA_SIZE - 2 * SZ_2M,
			     env_hva(&e, ENV_RA_GPA + 2 * SZ_2M), F_RW),
			XMAP(ENV_RB_GPA, ENV_RB_SIZE, env_hva(&e, ENV_RB_GPA), F_RW),
		};
		CU_ASSERT(calls_are(c, x, 3));
	}
	CU_ASSERT_EQUAL(stats(&e)->iova_excluded, 1);
	CU_ASSERT(env_records_match(&d));
	env_dev_free(&e, &d);
	env_fini(&e);
}

/* dev with a 16-page run at 0x100000 -> A+2M (RW) and one RO page. */
static void
setup_s1(struct venv *e, struct vdev *d, const char *args)
{
	env_init(e, args);
	UT_ASSERT_FATAL(env_dev(e, d, ENV_BDF0, ENV_GROUP0, 1) == 0);
	env_s1_create(e, d, 7);
	env_map(d, 0x100000, ENV_RA_GPA + SZ_2M, 16 * SZ_4K, RW);
	env_map(d, 0x200000, ENV_RB_GPA + SZ_4K, SZ_4K, RO);
}

static void
test_s1_shadow_and_single_page(void)
{
	uint64_t h0;
	struct venv e;
	struct vdev d;
	int c;

	setup_s1(&e, &d, NULL);
	c = env_cont(&d);
	h0 = env_hva(&e, ENV_RA_GPA + SZ_2M);
	CU_ASSERT_EQUAL(env_ste_s1(&e, &d), 0);
	{
		/* Contiguous leaves coalesce into one call; IOVA order. */
		const struct xc x[] = {
			XMAP(0x100000, 16 * SZ_4K, h0, F_RW),
			XMAP(0x200000, SZ_4K, env_hva(&e, ENV_RB_GPA + SZ_4K), F_RO),
		};
		CU_ASSERT(calls_are(c, x, 2));
	}
	CU_ASSERT_EQUAL(env_diff(&e, &d, 0, 0x400000, false), 0);
	CU_ASSERT(env_records_match(&d));

	/* An invalidation of something unchanged costs no kernel call. */
	CU_ASSERT_EQUAL(env_inv(&e, UIOMMU_CMD_TLBI_NH_VA, 7, 0x100000, 0x100000,
				NULL, NULL), 0);
	CU_ASSERT_EQUAL(ncalls(), 0);
	CU_ASSERT(stats(&e)->runs_kept >= 1);

	/* Unmap page 5 of the run: the run cannot be split by the kernel. */
	env_unmap(&d, 0x105000, SZ_4K);
	CU_ASSERT_EQUAL(env_inv(&e, UIOMMU_CMD_TLBI_NH_VA, 7, 0x105000, 0x105000,
				NULL, NULL), 0);
	{
		const struct xc x[] = {
			XUNMAP(0x100000, 16 * SZ_4K),
			XMAP(0x100000, 5 * SZ_4K, h0, F_RW),
			XMAP(0x106000, 10 * SZ_4K, h0 + 6 * SZ_4K, F_RW),
		};
		CU_ASSERT(calls_are(c, x, 3));
	}
	CU_ASSERT_EQUAL(env_diff(&e, &d, 0, 0x400000, false), 0);
	CU_ASSERT(env_records_match(&d));

	/* Unmap the last page of the first piece: no remainder to keep. */
	env_unmap(&d, 0x104000, SZ_4K);
	CU_ASSERT_EQUAL(env_inv(&e, UIOMMU_CMD_TLBI_NH_VA, 7, 0x104000, 0x104000,
				NULL, NULL), 0);
	{
		const struct xc x[] = {
			XUNMAP(0x100000, 5 * SZ_4K),
			XMAP(0x100000, 4 * SZ_4K, h0, F_RW),
		};
		CU_ASSERT(calls_are(c, x, 2));
	}
	/* Another ASID's invalidation does not concern this device. */
	env_unmap(&d, 0x200000, SZ_4K);
	CU_ASSERT_EQUAL(env_inv(&e, UIOMMU_CMD_TLBI_NH_VA, 8, 0x200000, 0x200000,
				NULL, NULL), 0);
	CU_ASSERT_EQUAL(ncalls(), 0);
	CU_ASSERT(mock_lookup(c, 0x200000, NULL, NULL)); /* stale, as hardware */
	CU_ASSERT_EQUAL(env_inv(&e, UIOMMU_CMD_TLBI_NH_VA, 7, 0x200000, 0x200000,
				NULL, NULL), 0);
	{
		const struct xc x[] = { XUNMAP(0x200000, SZ_4K) };
		CU_ASSERT(calls_are(c, x, 1));
	}
	CU_ASSERT_EQUAL(env_diff(&e, &d, 0, 0x400000, false), 0);
	CU_ASSERT(env_records_match(&d));
	env_dev_free(&e, &d);
	env_fini(&e);
}

static void
test_no_coalesce(void)
{
	struct venv e;
	struct vdev d;
	int c;

	setup_s1(&e, &d, "coalesce=off");
	c = env_cont(&d);
	CU_ASSERT_EQUAL(env_ste_s1(&e, &d), 0);
	CU_ASSERT_EQUAL(ncalls(), 17);
	CU_ASSERT_EQUAL(mock_nr_maps(c), 17);
	mock_calls_clear();
	/* One page per mapping: an unmap touches exactly that page. */
	env_unmap(&d, 0x105000, SZ_4K);
	CU_ASSERT_EQUAL(env_inv(&e, UIOMMU_CMD_TLBI_NH_VA, 7, 0x105000, 0x105000,
				NULL, NULL), 0);
	{
		const struct xc x[] = { XUNMAP(0x105000, SZ_4K) };
		CU_ASSERT(calls_are(c, x, 1));
	}
	CU_ASSERT_EQUAL(env_diff(&e, &d, 0, 0x400000, false), 0);
	CU_ASSERT(env_records_match(&d));
	env_dev_free(&e, &d);
	env_fini(&e);
}

static void
test_range_and_batch(void)
{
	struct uiommu_inv b[6];
	unsigned int done = 99;
	struct venv e;
	struct vdev d;
	int c;

	setup_s1(&e, &d, NULL);
	c = env_cont(&d);
	CU_ASSERT_EQUAL(env_ste_s1(&e, &d), 0);
	mock_calls_clear();
	/* New pages, one range invalidation: one call. */
	env_map(&d, 0x300000, ENV_RA_GPA + 0x400000, 8 * SZ_4K, RW);
	CU_ASSERT_EQUAL(env_inv(&e, UIOMMU_CMD_TLBI_NH_VA, 7, 0x300000,
				0x300000 + 8 * SZ_4K - 1, NULL, NULL), 0);
	{
		const struct xc x[] = {
			XMAP(0x300000, 8 * SZ_4K,
			     env_hva(&e, ENV_RA_GPA + 0x400000), F_RW),
		};
		CU_ASSERT(calls_are(c, x, 1));
	}
	/* Page-by-page invalidations in one batch merge into one call. */
	env_map(&d, 0x400000, ENV_RA_GPA + 0x500000, 4 * SZ_4K, RW);
	memset(b, 0, sizeof(b));
	for (unsigned int i = 0; i < 4; i++) {
		b[i].op = UIOMMU_CMD_TLBI_NH_VA;
		b[i].asid = 7;
		b[i].first = b[i].last = 0x400000 + i * SZ_4K;
	}
	/* Then a TLBI_NH_VAA and an ATC_INV, which changes nothing. */
	env_map(&d, 0x500000, ENV_RB_GPA, SZ_4K, RW);
	b[4].op = UIOMMU_CMD_TLBI_NH_VAA;
	b[4].first = b[4].last = 0x500000;
	b[5].op = UIOMMU_CMD_ATC_INV;
	b[5].dev = d.priv;
	CU_ASSERT_EQUAL(e.ops->invalidate(e.vi, b, 6, &done), 0);
	CU_ASSERT_EQUAL(done, 6);
	{
		const struct xc x[] = {
			XMAP(0x400000, 4 * SZ_4K,
			     env_hva(&e, ENV_RA_GPA + 0x500000), F_RW),
			XMAP(0x500000, SZ_4K, env_hva(&e, ENV_RB_GPA), F_RW),
		};
		CU_ASSERT(calls_are(c, x, 2));
	}
	CU_ASSERT_EQUAL(env_diff(&e, &d, 0, 0x600000, false), 0);
	CU_ASSERT(env_records_match(&d));
	env_dev_free(&e, &d);
	env_fini(&e);
}

static void
test_leaf_change(void)
{
	uint64_t h0 = 0;
	struct venv e;
	struct vdev d;
	int c;

	env_init(&e, NULL);
	UT_ASSERT_FATAL(env_dev(&e, &d, ENV_BDF0, ENV_GROUP0, 1) == 0);
	c = env_cont(&d);
	env_s1_create(&e, &d, 3);
	env_map(&d, 0x600000, ENV_RA_GPA + 0x600000, 8 * SZ_4K, RW);
	h0 = env_hva(&e, ENV_RA_GPA + 0x600000);
	CU_ASSERT_EQUAL(env_ste_s1(&e, &d), 0);
	mock_calls_clear();
	/* Page 3 now points elsewhere. */
	env_unmap(&d, 0x603000, SZ_4K);
	env_map(&d, 0x603000, ENV_RB_GPA + 0x5000, SZ_4K, RW);
	CU_ASSERT_EQUAL(env_inv(&e, UIOMMU_CMD_TLBI_NH_VA, 3, 0x603000, 0x603000,
				NULL, NULL), 0);
	{
		const struct xc x[] = {
			XUNMAP(0x600000, 8 * SZ_4K),
			XMAP(0x600000, 3 * SZ_4K, h0, F_RW),
			XMAP(0x603000, SZ_4K, env_hva(&e, ENV_RB_GPA + 0x5000), F_RW),
			XMAP(0x604000, 4 * SZ_4K, h0 + 4 * SZ_4K, F_RW),
		};
		CU_ASSERT(calls_are(c, x, 4));
	}
	/* Page 3 becomes read-only, same memory: remapped. */
	env_unmap(&d, 0x603000, SZ_4K);
	env_map(&d, 0x603000, ENV_RB_GPA + 0x5000, SZ_4K, RO);
	CU_ASSERT_EQUAL(env_inv(&e, UIOMMU_CMD_TLBI_NH_VA, 3, 0x603000, 0x603000,
				NULL, NULL), 0);
	{
		const struct xc x[] = {
			XUNMAP(0x603000, SZ_4K),
			XMAP(0x603000, SZ_4K, env_hva(&e, ENV_RB_GPA + 0x5000), F_RO),
		};
		CU_ASSERT(calls_are(c, x, 2));
	}
	/* A privileged-only page is no device mapping. */
	env_unmap(&d, 0x603000, SZ_4K);
	env_map(&d, 0x603000, ENV_RB_GPA + 0x5000, SZ_4K,
		RW | UIOMMU_PT_PROT_PRIV);
	CU_ASSERT_EQUAL(env_inv(&e, UIOMMU_CMD_TLBI_NH_VA, 3, 0x603000, 0x603000,
				NULL, NULL), 0);
	{
		const struct xc x[] = { XUNMAP(0x603000, SZ_4K) };
		CU_ASSERT(calls_are(c, x, 1));
	}
	/* A leaf pointing outside guest RAM is not mapped (and counted). */
	env_unmap(&d, 0x603000, SZ_4K);
	env_map(&d, 0x603000, ENV_HOLE_GPA, SZ_4K, RW);
	CU_ASSERT_EQUAL(env_inv(&e, UIOMMU_CMD_TLBI_NH_VA, 3, 0x603000, 0x603000,
				NULL, NULL), 0);
	CU_ASSERT_EQUAL(ncalls(), 0);
	CU_ASSERT(stats(&e)->s2_misses >= 1);
	CU_ASSERT_EQUAL(env_diff(&e, &d, 0x600000, 0x610000, false), 0);
	CU_ASSERT(env_records_match(&d));
	env_dev_free(&e, &d);
	env_fini(&e);
}

static void
test_block_split_and_merge(void)
{
	struct venv e;
	struct vdev d;
	int c;

	env_init(&e, NULL);
	UT_ASSERT_FATAL(env_dev(&e, &d, ENV_BDF0, ENV_GROUP0, 1) == 0);
	c = env_cont(&d);
	env_s1_create(&e, &d, 4);
	/* A 2 MiB block. */
	env_map(&d, 0x40000000, ENV_RA_GPA + SZ_2M, SZ_2M, RW);
	CU_ASSERT_EQUAL(env_ste_s1(&e, &d), 0);
	{
		const struct xc x[] = {
			XMAP(0x40000000, SZ_2M, env_hva(&e, ENV_RA_GPA + SZ_2M), F_RW),
		};
		CU_ASSERT(calls_are(c, x, 1));
	}
	/*
	 * The guest replaces the block with 16 pages elsewhere and
	 * invalidates one address inside: the whole old block goes.
	 */
	env_unmap(&d, 0x40000000, SZ_2M);
	env_map(&d, 0x40000000, ENV_RB_GPA, 16 * SZ_4K, RW);
	CU_ASSERT_EQUAL(env_inv(&e, UIOMMU_CMD_TLBI_NH_VA, 4, 0x40001000,
				0x40001000, NULL, NULL), 0);
	{
		const struct xc x[] = {
			XUNMAP(0x40000000, SZ_2M),
			XMAP(0x40000000, 16 * SZ_4K, env_hva(&e, ENV_RB_GPA), F_RW),
		};
		CU_ASSERT(calls_are(c, x, 2));
	}
	CU_ASSERT_EQUAL(env_diff(&e, &d, 0x40000000, 0x40000000 + SZ_2M, false), 0);
	/*
	 * And back: pages replaced by a block; an invalidation of the block's
	 * last page covers the whole new block.
	 */
	env_unmap(&d, 0x40000000, 16 * SZ_4K);
	env_map(&d, 0x40000000, ENV_RA_GPA + 2 * SZ_2M, SZ_2M, RW);
	CU_ASSERT_EQUAL(env_inv(&e, UIOMMU_CMD_TLBI_NH_VA, 4,
				0x40000000 + SZ_2M - SZ_4K,
				0x40000000 + SZ_2M - SZ_4K, NULL, NULL), 0);
	{
		const struct xc x[] = {
			XUNMAP(0x40000000, 16 * SZ_4K),
			XMAP(0x40000000, SZ_2M,
			     env_hva(&e, ENV_RA_GPA + 2 * SZ_2M), F_RW),
		};
		CU_ASSERT(calls_are(c, x, 2));
	}
	CU_ASSERT_EQUAL(env_diff(&e, &d, 0x40000000, 0x40000000 + SZ_2M, false), 0);
	CU_ASSERT(env_records_match(&d));
	/* Blocks and pages of one run of memory stay separate mappings. */
	env_map(&d, 0x40000000 + SZ_2M, ENV_RA_GPA + 3 * SZ_2M, SZ_4K, RW);
	CU_ASSERT_EQUAL(env_inv(&e, UIOMMU_CMD_TLBI_NH_VA, 4, 0x40000000 + SZ_2M,
				0x40000000 + SZ_2M, NULL, NULL), 0);
	{
		const struct xc x[] = {
			XMAP(0x40000000 + SZ_2M, SZ_4K,
			     env_hva(&e, ENV_RA_GPA + 3 * SZ_2M), F_RW),
		};
		CU_ASSERT(calls_are(c, x, 1));
	}
	env_dev_free(&e, &d);
	env_fini(&e);
}

static void
test_asid_and_all(void)
{
	struct venv e;
	struct vdev d0, d1, d2;
	int c0, c1, c2;

	env_init(&e, NULL);
	UT_ASSERT_FATAL(env_dev(&e, &d0, ENV_BDF0, ENV_GROUP0, 1) == 0);
	UT_ASSERT_FATAL(env_dev(&e, &d1, ENV_BDF1, ENV_GROUP1, 2) == 0);
	UT_ASSERT_FATAL(env_dev(&e, &d2, ENV_BDF2, ENV_GROUP2, 3) == 0);
	c0 = env_cont(&d0);
	c1 = env_cont(&d1);
	c2 = env_cont(&d2);
	env_s1_create(&e, &d0, 1);
	env_s1_create(&e, &d1, 2);
	CU_ASSERT_EQUAL(env_ste_s1(&e, &d0), 0);
	CU_ASSERT_EQUAL(env_ste_s1(&e, &d1), 0);
	CU_ASSERT_EQUAL(env_ste_cfg(&e, &d2, UIOMMU_STE_CFG_BYPASS), 0);
	mock_calls_clear();

	/* TLBI_NH_ASID reaches only the devices of that ASID. */
	env_map(&d0, 0x700000, ENV_RA_GPA, SZ_4K, RW);
	env_map(&d1, 0x700000, ENV_RB_GPA, SZ_4K, RW);
	CU_ASSERT_EQUAL(env_inv(&e, UIOMMU_CMD_TLBI_NH_ASID, 1, 0, 0, NULL, NULL), 0);
	{
		const struct xc x[] = {
			XMAP(0x700000, SZ_4K, env_hva(&e, ENV_RA_GPA), F_RW),
		};
		CU_ASSERT(calls_are(c0, x, 1));
	}
	CU_ASSERT(!mock_lookup(c1, 0x700000, NULL, NULL));
	CU_ASSERT_EQUAL(env_inv(&e, UIOMMU_CMD_TLBI_NH_VA, 2, 0x700000, 0x700000,
				NULL, NULL), 0);
	{
		const struct xc x[] = {
			XMAP(0x700000, SZ_4K, env_hva(&e, ENV_RB_GPA), F_RW),
		};
		CU_ASSERT(calls_are(c1, x, 1));
	}
	/* TLBI_NH_VAA: every stage-1 device, whatever its ASID. */
	env_map(&d0, 0x701000, ENV_RA_GPA + 0x10000, SZ_4K, RW);
	env_map(&d1, 0x701000, ENV_RB_GPA + 0x10000, SZ_4K, RW);
	CU_ASSERT_EQUAL(env_inv(&e, UIOMMU_CMD_TLBI_NH_VAA, 0, 0x701000, 0x701000,
				NULL, NULL), 0);
	CU_ASSERT_EQUAL(ncalls(), 2);
	mock_calls_clear();
	/* TLBI_NH_ALL: every stage-1 device; the bypass device is untouched. */
	env_unmap(&d0, 0x700000, 2 * SZ_4K);
	env_unmap(&d1, 0x700000, SZ_4K);
	CU_ASSERT_EQUAL(env_inv(&e, UIOMMU_CMD_TLBI_NH_ALL, 0, 0, 0, NULL, NULL), 0);
	{
		unsigned int n;
		const struct mock_call *l = mock_calls(&n);

		CU_ASSERT_EQUAL(n, 3);
		for (unsigned int i = 0; i < n; i++) {
			CU_ASSERT_EQUAL(l[i].op, MOCK_OP_UNMAP);
			CU_ASSERT_NOT_EQUAL(l[i].container, c2);
		}
		mock_calls_clear();
	}
	CU_ASSERT_EQUAL(env_diff(&e, &d0, 0x6ff000, 0x710000, false), 0);
	CU_ASSERT_EQUAL(env_diff(&e, &d1, 0x6ff000, 0x710000, false), 0);
	CU_ASSERT_EQUAL(env_diff(&e, &d2, ENV_RA_GPA, ENV_RA_GPA + SZ_2M, true), 0);
	CU_ASSERT(env_records_match(&d0) && env_records_match(&d1) &&
		  env_records_match(&d2));
	env_dev_free(&e, &d2);
	env_dev_free(&e, &d1);
	env_dev_free(&e, &d0);
	env_fini(&e);
}

static void
test_cfgi_cd(void)
{
	struct uiommu_pgtable *t1, *t2;
	struct uiommu_event ev[4];
	struct venv e;
	struct vdev d;
	int c, n;

	setup_s1(&e, &d, NULL);
	c = env_cont(&d);
	CU_ASSERT_EQUAL(env_ste_s1(&e, &d), 0);
	mock_calls_clear();
	/* A second table; the CD is switched to it. */
	t1 = d.pt;
	env_s1_create(&e, &d, 7);   /* new table (and a new CD) */
	t2 = d.pt;
	env_map(&d, 0x100000, ENV_RB_GPA, 2 * SZ_4K, RW);
	CU_ASSERT_EQUAL(env_ste_s1(&e, &d), 0);  /* CFGI_STE with the new CD */
	{
		const struct xc x[] = {
			XUNMAP(0x100000, 16 * SZ_4K),
			XUNMAP(0x200000, SZ_4K),
			XMAP(0x100000, 2 * SZ_4K, env_hva(&e, ENV_RB_GPA), F_RW),
		};
		CU_ASSERT(calls_are(c, x, 3));
	}
	/* CFGI_CD: the backend re-reads the CD it uses. */
	env_write_cd(&e, &d, uiommu_pgtable_root(t1), true);
	d.pt = t1;
	CU_ASSERT_EQUAL(env_inv(&e, UIOMMU_CMD_CFGI_CD, 0, 0, 0, &d, NULL), 0);
	CU_ASSERT_EQUAL(env_diff(&e, &d, 0, 0x400000, false), 0);
	CU_ASSERT(env_records_match(&d));
	mock_calls_clear();
	/* A CD with V = 0: C_BAD_CD, nothing mapped. */
	env_write_cd(&e, &d, uiommu_pgtable_root(t1), false);
	CU_ASSERT_EQUAL(env_inv(&e, UIOMMU_CMD_CFGI_CD_ALL, 0, 0, 0, &d, NULL), 0);
	CU_ASSERT_EQUAL(mock_nr_maps(c), 0);
	n = env_events(&e, ev, 4);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_EQUAL(ev[0].id, UIOMMU_EVT_C_BAD_CD);
	CU_ASSERT_EQUAL(ev[0].sid, 1);
	CU_ASSERT_EQUAL(stats(&e)->bad_cd, 1);
	uiommu_pgtable_destroy(t2);
	d.pt = t1;
	env_dev_free(&e, &d);
	env_fini(&e);
}

static void
test_bad_configs(void)
{
	struct uiommu_event ev[4];
	struct uiommu_ste_info ste;
	struct venv e;
	struct vdev d;
	int c;

	setup_s1(&e, &d, NULL);
	c = env_cont(&d);
	CU_ASSERT_EQUAL(env_ste_s1(&e, &d), 0);
	CU_ASSERT_EQUAL(mock_nr_maps(c), 2);
	/* Stage 2 belongs to the host: refused, device blocked. */
	CU_ASSERT_EQUAL(env_ste_cfg(&e, &d, UIOMMU_STE_CFG_S2), -EINVAL);
	CU_ASSERT_EQUAL(mock_nr_maps(c), 0);
	CU_ASSERT_EQUAL(env_ste_cfg(&e, &d, UIOMMU_STE_CFG_NESTED), -EINVAL);
	/* A CD outside guest RAM: F_CD_FETCH with its address. */
	memset(&ste, 0, sizeof(ste));
	ste.valid = 1;
	ste.config = UIOMMU_STE_CFG_S1;
	ste.s1ctxptr = ENV_HOLE_GPA;
	CU_ASSERT_EQUAL(e.ops->vdevice_set_ste(d.priv, &ste), 0);
	CU_ASSERT_EQUAL(mock_nr_maps(c), 0);
	CU_ASSERT_EQUAL(env_events(&e, ev, 4), 1);
	CU_ASSERT_EQUAL(ev[0].id, UIOMMU_EVT_F_CD_FETCH);
	CU_ASSERT_EQUAL(ev[0].ipa, ENV_HOLE_GPA);
	/* S1CDMax > 0: transactions without substream follow S1DSS. */
	ste.s1ctxptr = d.cd_gpa;
	ste.s1cdmax = 2;
	ste.s1dss = 1;          /* bypass */
	CU_ASSERT_EQUAL(e.ops->vdevice_set_ste(d.priv, &ste), 0);
	CU_ASSERT_EQUAL(env_diff(&e, &d, ENV_RB_GPA, ENV_RB_GPA + SZ_2M, true), 0);
	ste.s1dss = 0;          /* terminate */
	CU_ASSERT_EQUAL(e.ops->vdevice_set_ste(d.priv, &ste), 0);
	CU_ASSERT_EQUAL(mock_nr_maps(c), 0);
	ste.s1dss = 2;          /* CD 0 */
	CU_ASSERT_EQUAL(e.ops->vdevice_set_ste(d.priv, &ste), 0);
	CU_ASSERT_EQUAL(env_diff(&e, &d, 0, 0x400000, false), 0);
	/* V = 0 STE and no STE both block. */
	CU_ASSERT_EQUAL(env_ste_none(&e, &d), 0);
	CU_ASSERT_EQUAL(mock_nr_maps(c), 0);
	CU_ASSERT(env_records_match(&d));
	env_dev_free(&e, &d);
	env_fini(&e);
}

/* n pages, every other page, from iova, each onto its own RAM page. */
static void
map_sparse(struct vdev *d, uint64_t iova, unsigned int n, uint64_t gpa)
{
	for (unsigned int i = 0; i < n; i++)
		env_map(d, iova + 2 * i * SZ_4K, gpa + 3 * i * SZ_4K, SZ_4K, RW);
}

static void
test_limit_set_ste(void)
{
	struct uiommu_event ev[4];
	struct venv e;
	struct vdev d;
	int c;

	env_init(&e, "max_maps=3");
	UT_ASSERT_FATAL(env_dev(&e, &d, ENV_BDF0, ENV_GROUP0, 1) == 0);
	c = env_cont(&d);
	env_s1_create(&e, &d, 1);
	map_sparse(&d, 0x100000, 5, ENV_RA_GPA);
	/* Five runs do not fit in three mappings: visible, device blocked. */
	CU_ASSERT_EQUAL(env_ste_s1(&e, &d), -ENOSPC);
	CU_ASSERT_EQUAL(mock_nr_maps(c), 0);
	CU_ASSERT_EQUAL(stats(&e)->limit_errors, 1);
	CU_ASSERT_EQUAL(stats(&e)->live_maps, 0);
	CU_ASSERT_EQUAL(env_events(&e, ev, 4), 1);
	CU_ASSERT_EQUAL(ev[0].id, UIOMMU_VFIO_EVT_MAP_LIMIT);
	CU_ASSERT_EQUAL(ev[0].sid, 1);
	CU_ASSERT_EQUAL(ev[0].raw[1] >> 32, 3);
	CU_ASSERT(env_records_match(&d));
	env_dev_free(&e, &d);
	env_fini(&e);
}

static void
test_limit_invalidate(void)
{
	struct uiommu_inv b[3];
	struct uiommu_event ev[4];
	unsigned int done = 99;
	struct venv e;
	struct vdev d;
	int c;

	env_init(&e, "max_maps=3");
	UT_ASSERT_FATAL(env_dev(&e, &d, ENV_BDF0, ENV_GROUP0, 1) == 0);
	c = env_cont(&d);
	env_s1_create(&e, &d, 1);
	map_sparse(&d, 0x100000, 3, ENV_RA_GPA);
	CU_ASSERT_EQUAL(env_ste_s1(&e, &d), 0);
	CU_ASSERT_EQUAL(mock_nr_maps(c), 3);
	/* Remove one, add two; invalidate each: the last one cannot fit. */
	env_unmap(&d, 0x102000, SZ_4K);
	env_map(&d, 0x200000, ENV_RB_GPA, SZ_4K, RW);
	env_map(&d, 0x300000, ENV_RB_GPA + 0x10000, SZ_4K, RW);
	memset(b, 0, sizeof(b));
	b[0].op = b[1].op = b[2].op = UIOMMU_CMD_TLBI_NH_VA;
	b[0].asid = b[1].asid = b[2].asid = 1;
	b[0].first = b[0].last = 0x102000;
	b[1].first = b[1].last = 0x200000;
	b[2].first = b[2].last = 0x300000;
	CU_ASSERT_EQUAL(e.ops->invalidate(e.vi, b, 3, &done), -ENOSPC);
	CU_ASSERT_EQUAL(done, 2);
	CU_ASSERT(!mock_lookup(c, 0x102000, NULL, NULL)); /* nothing stale */
	CU_ASSERT(mock_lookup(c, 0x200000, NULL, NULL));
	CU_ASSERT(!mock_lookup(c, 0x300000, NULL, NULL));
	CU_ASSERT_EQUAL(mock_nr_maps(c), 3);
	CU_ASSERT_EQUAL(stats(&e)->limit_errors, 1);
	CU_ASSERT_EQUAL(env_events(&e, ev, 4), 1);
	CU_ASSERT_EQUAL(ev[0].id, UIOMMU_VFIO_EVT_MAP_LIMIT);
	CU_ASSERT_EQUAL(ev[0].input_addr, 0x300000);
	/* Once the guest frees a slot, the same invalidation works. */
	env_unmap(&d, 0x100000, SZ_4K);
	CU_ASSERT_EQUAL(env_inv(&e, UIOMMU_CMD_TLBI_NH_ALL, 0, 0, 0, NULL, NULL), 0);
	CU_ASSERT_EQUAL(env_diff(&e, &d, 0xff000, 0x301000, false), 0);
	CU_ASSERT(env_records_match(&d));
	env_dev_free(&e, &d);
	env_fini(&e);
}

static void
test_limit_from_kernel(void)
{
	struct uiommu_hw_info hw;
	unsigned int n;
	const struct mock_call *l;
	struct venv e;
	struct vdev d;

	/* DMA_AVAIL says 2: the third map is never attempted. */
	env_init(&e, NULL);
	mock_cfg()->entry_limit = 2;
	UT_ASSERT_FATAL(env_dev(&e, &d, ENV_BDF0, ENV_GROUP0, 1) == 0);
	env_s1_create(&e, &d, 1);
	map_sparse(&d, 0x100000, 3, ENV_RA_GPA);
	CU_ASSERT_EQUAL(env_ste_s1(&e, &d), -ENOSPC);
	l = mock_calls(&n);
	for (unsigned int i = 0; i < n; i++)
		CU_ASSERT_EQUAL(l[i].err, 0);
	CU_ASSERT_EQUAL(stats(&e)->limit_errors, 1);
	env_dev_free(&e, &d);
	env_fini(&e);

	/* No DMA_AVAIL, no sysfs file: the kernel's ENOSPC is the limit. */
	env_init(&e, NULL);
	mock_cfg()->entry_limit = 2;
	mock_cfg()->report_avail = false;
	UT_ASSERT_FATAL(env_dev(&e, &d, ENV_BDF0, ENV_GROUP0, 1) == 0);
	env_s1_create(&e, &d, 1);
	map_sparse(&d, 0x100000, 3, ENV_RA_GPA);
	CU_ASSERT_EQUAL(env_ste_s1(&e, &d), -ENOSPC);
	l = mock_calls(&n);
	CU_ASSERT(n >= 3 && l[2].op == MOCK_OP_MAP && l[2].err == ENOSPC);
	CU_ASSERT_EQUAL(stats(&e)->limit_errors, 1);
	CU_ASSERT_EQUAL(mock_nr_maps(env_cont(&d)), 0);
	CU_ASSERT(env_records_match(&d));
	env_dev_free(&e, &d);
	env_fini(&e);

	/* The module parameter, when there is no DMA_AVAIL. */
	mock_reset();
	mock_add_device(ENV_BDF0, ENV_GROUP0);
	mock_cfg()->report_avail = false;
	mock_cfg()->sysfs_limit = 2;
	UT_ASSERT_FATAL(env_init_keep_mock(&e, NULL) == 0);
	CU_ASSERT_EQUAL(e.ops->hw_info(&hw), 0);
	CU_ASSERT_EQUAL(hw.max_mappings, 2);
	UT_ASSERT_FATAL(env_dev(&e, &d, ENV_BDF0, ENV_GROUP0, 1) == 0);
	env_s1_create(&e, &d, 1);
	map_sparse(&d, 0x100000, 3, ENV_RA_GPA);
	CU_ASSERT_EQUAL(env_ste_s1(&e, &d), -ENOSPC);
	l = mock_calls(&n);
	for (unsigned int i = 0; i < n; i++)
		CU_ASSERT_EQUAL(l[i].err, 0);
	env_dev_free(&e, &d);
	env_fini(&e);
}

static void
test_walk_limit(void)
{
	struct uiommu_event ev[4];
	unsigned int done = 99;
	struct venv e;
	struct vdev d;
	int c;

	/*
	 * Budget: a full walk of a 39-bit table reads the 512 entries of each
	 * level-3 table it reaches and every other entry of the levels above
	 * (about 1535 calls with one level-3 table, 2046 with two).
	 */
	env_init(&e, "walk_max=1800");
	UT_ASSERT_FATAL(env_dev(&e, &d, ENV_BDF0, ENV_GROUP0, 1) == 0);
	c = env_cont(&d);
	env_s1_create(&e, &d, 1);
	map_sparse(&d, 0x100000, 4, ENV_RA_GPA);
	/* A small table fits the budget. */
	CU_ASSERT_EQUAL(env_ste_s1(&e, &d), 0);
	CU_ASSERT_EQUAL(mock_nr_maps(c), 4);
	/* A second level-3 table does not. */
	map_sparse(&d, 0x200000, 20, ENV_RB_GPA);
	CU_ASSERT_EQUAL(env_inv(&e, UIOMMU_CMD_TLBI_NH_ALL, 0, 0, 0, NULL, &done),
			-E2BIG);
	CU_ASSERT_EQUAL(done, 0);
	CU_ASSERT_EQUAL(stats(&e)->walk_limit_errors, 1);
	CU_ASSERT_EQUAL(env_events(&e, ev, 4), 1);
	CU_ASSERT_EQUAL(ev[0].id, UIOMMU_VFIO_EVT_WALK_LIMIT);
	/* Everything below the stop was walked: the new pages are there. */
	CU_ASSERT(ev[0].input_addr > 0x228000);
	CU_ASSERT(mock_lookup(c, 0x226000, NULL, NULL));
	CU_ASSERT(env_records_match(&d));
	/* A ranged invalidation within the budget still works. */
	CU_ASSERT_EQUAL(env_inv(&e, UIOMMU_CMD_TLBI_NH_VA, 1, 0x200000, 0x203fff,
				NULL, NULL), 0);
	CU_ASSERT(mock_lookup(c, 0x200000, NULL, NULL));
	/* And a configuration beyond it fails and blocks. */
	CU_ASSERT_EQUAL(env_ste_s1(&e, &d), -E2BIG);
	CU_ASSERT_EQUAL(mock_nr_maps(c), 0);
	env_dev_free(&e, &d);
	env_fini(&e);
}

static void
test_stage2_changes(void)
{
	struct venv e;
	struct vdev d, b;
	int c, cb;
	uint64_t hb;

	env_init(&e, NULL);
	UT_ASSERT_FATAL(env_dev(&e, &d, ENV_BDF0, ENV_GROUP0, 1) == 0);
	UT_ASSERT_FATAL(env_dev(&e, &b, ENV_BDF1, ENV_GROUP1, 2) == 0);
	c = env_cont(&d);
	cb = env_cont(&b);
	env_s1_create(&e, &d, 1);
	env_map(&d, 0x100000, ENV_RA_GPA, 4 * SZ_4K, RW);
	env_map(&d, 0x200000, ENV_RB_GPA, 4 * SZ_4K, RW);
	CU_ASSERT_EQUAL(env_ste_s1(&e, &d), 0);
	CU_ASSERT_EQUAL(env_ste_cfg(&e, &b, UIOMMU_STE_CFG_BYPASS), 0);
	mock_calls_clear();
	/* Region B leaves the VM: every mapping of its memory goes first. */
	hb = env_hva(&e, ENV_RB_GPA);
	e.ops->s2_unmap(e.vi, ENV_RB_GPA, ENV_RB_SIZE);
	{
		unsigned int n;
		const struct mock_call *l = mock_calls(&n);

		CU_ASSERT_EQUAL(n, 2);
		for (unsigned int i = 0; i < n; i++)
			CU_ASSERT_EQUAL(l[i].op, MOCK_OP_UNMAP);
		mock_calls_clear();
	}
	CU_ASSERT(!mock_lookup(c, 0x200000, NULL, NULL));
	CU_ASSERT(mock_lookup(c, 0x100000, NULL, NULL));
	CU_ASSERT(!mock_lookup(cb, ENV_RB_GPA, NULL, NULL));
	/* It comes back: the bypass device maps it, the stage-1 one re-walks. */
	CU_ASSERT_EQUAL(e.ops->s2_map(e.vi, ENV_RB_GPA, (void *)(uintptr_t)hb,
				      ENV_RB_SIZE, UIOMMU_PROT_READ |
				      UIOMMU_PROT_WRITE), 0);
	CU_ASSERT(mock_lookup(c, 0x200000, NULL, NULL));
	CU_ASSERT(mock_lookup(cb, ENV_RB_GPA, NULL, NULL));
	CU_ASSERT_EQUAL(ncalls(), 2);
	mock_calls_clear();
	CU_ASSERT_EQUAL(env_diff(&e, &d, 0xff000, 0x210000, false), 0);
	CU_ASSERT(env_records_match(&d) && env_records_match(&b));
	/* Overlap and argument checks of s2_map. */
	CU_ASSERT_EQUAL(e.ops->s2_map(e.vi, ENV_RB_GPA, (void *)(uintptr_t)hb,
				      SZ_4K, UIOMMU_PROT_READ), -EEXIST);
	CU_ASSERT_EQUAL(e.ops->s2_map(e.vi, ENV_HOLE_GPA + 1,
				      (void *)(uintptr_t)hb, SZ_4K,
				      UIOMMU_PROT_READ), -EINVAL);
	CU_ASSERT_EQUAL(e.ops->s2_map(e.vi, ENV_HOLE_GPA, (void *)(uintptr_t)hb,
				      SZ_4K, 0), -EINVAL);
	env_dev_free(&e, &b);
	env_dev_free(&e, &d);
	env_fini(&e);
}

/* ---- hostile tables ---- */

/* Random descriptors, biased toward ones that point back into the pool. */
static uint64_t
garbage_pte(unsigned long long *rs, const uint64_t *pages, unsigned int np,
	    unsigned int level)
{
	uint64_t r = ut_rand(rs), k = r % 8;

	switch (k) {
	case 0:
		return 0;
	case 1:
		return ut_rand(rs);                       /* anything */
	case 2:
	case 3:                                           /* table */
		return pages[ut_rand(rs) % np] | UIOMMU_LPAE_PTE_TYPE_TABLE;
	case 4:                                           /* page/block in RAM */
		return ((ENV_RA_GPA + (ut_rand(rs) % (ENV_RA_SIZE >> 21)) * SZ_2M) &
			UIOMMU_LPAE_PTE_ADDR_MASK) | (level == 3 ? 3 : 1) |
		       UIOMMU_LPAE_PTE_AF | UIOMMU_LPAE_PTE_AP_UNPRIV;
	case 5:                                           /* leaf, random addr */
		return (ut_rand(rs) & UIOMMU_LPAE_PTE_ADDR_MASK) | 3 |
		       UIOMMU_LPAE_PTE_AF | UIOMMU_LPAE_PTE_AP_UNPRIV;
	case 6:                                           /* outside RAM */
		return ENV_HOLE_GPA | 3;
	default:                                          /* page, no AF */
		return (ENV_RA_GPA & UIOMMU_LPAE_PTE_ADDR_MASK) | 3 |
		       UIOMMU_LPAE_PTE_AP_UNPRIV;
	}
}

static void
test_garbage_tables(void)
{
	unsigned long long rs = ut_seed() | 1;
	uint64_t pages[16];
	struct venv e;
	struct vdev d;
	int c;

	env_init(&e, "walk_max=200000,max_maps=4096");
	UT_ASSERT_FATAL(env_dev(&e, &d, ENV_BDF0, ENV_GROUP0, 1) == 0);
	c = env_cont(&d);
	env_s1_create(&e, &d, 1);
	for (unsigned int i = 0; i < RTE_DIM(pages); i++)
		pages[i] = env_galloc(&e, SZ_4K, SZ_4K);
	pages[0] = uiommu_pgtable_root(d.pt);
	for (unsigned int round = 0; round < 40; round++) {
		uint64_t first, last;
		int rc;

		/* Rewrite a few random descriptors of random pages. */
		for (unsigned int k = 0; k < 64; k++) {
			uint64_t *t = env_gptr(&e, pages[ut_rand(&rs) % 16], SZ_4K);

			t[ut_rand(&rs) % 512] = garbage_pte(&rs, pages, 16,
							    (unsigned int)(ut_rand(&rs) % 4));
		}
		if (round == 0)
			rc = env_ste_s1(&e, &d);
		else if (round % 3 == 0)
			rc = env_inv(&e, UIOMMU_CMD_TLBI_NH_ALL, 0, 0, 0, NULL, NULL);
		else {
			first = ut_rand(&rs) & ((1ULL << ENV_S1_IAS) - 1);
			last = first + (ut_rand(&rs) % (64ULL << 20));
			rc = env_inv(&e, UIOMMU_CMD_TLBI_NH_VA, 1, first, last,
				     NULL, NULL);
		}
		CU_ASSERT(rc == 0 || rc == -E2BIG || rc == -ENOSPC);
		CU_ASSERT(env_records_match(&d));
		/* Every mapping is guest RAM, never anything else. */
		for (unsigned int i = 0; i < mock_nr_maps(c); i++) {
			uint64_t iova, size, va;
			uint32_t fl;
			bool in = false;

			UT_ASSERT_FATAL(mock_map_at(c, i, &iova, &size, &va, &fl));
			for (unsigned int r = 0; r < 2; r++)
				in |= va >= (uint64_t)(uintptr_t)e.hva[r] &&
				      va + size <= (uint64_t)(uintptr_t)e.hva[r] +
				      (r == 0 ? ENV_RA_SIZE : ENV_RB_SIZE);
			CU_ASSERT(in);
			CU_ASSERT(iova < (1ULL << ENV_S1_IAS));
		}
		mock_calls_clear();
	}
	/* Afterwards the device can be blocked and freed cleanly. */
	CU_ASSERT_EQUAL(env_ste_none(&e, &d), 0);
	CU_ASSERT_EQUAL(mock_nr_maps(c), 0);
	env_dev_free(&e, &d);
	env_fini(&e);
}

/* ---- randomized against the reference ---- */

#define RW_PAGES 256
#define RW_BASE 0x10000000ULL

static void
random_run(const char *args)
{
	unsigned long long rs = ut_seed() ^ 0x5eed;
	uint64_t gpa_of[RW_PAGES] = { 0 };
	struct venv e;
	struct vdev d;

	env_init(&e, args);
	UT_ASSERT_FATAL(env_dev(&e, &d, ENV_BDF0, ENV_GROUP0, 1) == 0);
	env_s1_create(&e, &d, 5);
	CU_ASSERT_EQUAL(env_ste_s1(&e, &d), 0);
	for (unsigned int step = 0; step < 300; step++) {
		unsigned int first = (unsigned int)(ut_rand(&rs) % RW_PAGES);
		unsigned int n = 1 + (unsigned int)(ut_rand(&rs) % 8);
		unsigned int kind = (unsigned int)(ut_rand(&rs) % 4);
		uint64_t base_gpa;
		int rc;

		if (first + n > RW_PAGES)
			n = RW_PAGES - first;
		/* Mostly contiguous memory, sometimes scattered. */
		base_gpa = ((ut_rand(&rs) % 2) ? ENV_RA_GPA : ENV_RB_GPA) +
			   (ut_rand(&rs) % 2048) * SZ_4K;
		for (unsigned int i = first; i < first + n; i++) {
			uint64_t iova = RW_BASE + i * SZ_4K;

			if (gpa_of[i] != 0) {
				env_unmap(&d, iova, SZ_4K);
				gpa_of[i] = 0;
			}
			if (kind != 0) {
				gpa_of[i] = kind == 3 ?
					    ENV_RA_GPA + (ut_rand(&rs) % 4096) * SZ_4K :
					    base_gpa + (i - first) * SZ_4K;
				env_map(&d, iova, gpa_of[i], SZ_4K,
					(ut_rand(&rs) % 4) ? RW : RO);
			}
		}
		/* The guest invalidates what it changed (in some form). */
		switch (ut_rand(&rs) % 4) {
		case 0:
			rc = env_inv(&e, UIOMMU_CMD_TLBI_NH_VA, 5,
				     RW_BASE + first * SZ_4K,
				     RW_BASE + (first + n) * SZ_4K - 1, NULL, NULL);
			break;
		case 1: {
			struct uiommu_inv b[8];
			unsigned int done;

			memset(b, 0, sizeof(b));
			for (unsigned int i = 0; i < n; i++) {
				b[i].op = UIOMMU_CMD_TLBI_NH_VA;
				b[i].asid = 5;
				b[i].first = b[i].last = RW_BASE + (first + i) * SZ_4K;
			}
			rc = e.ops->invalidate(e.vi, b, n, &done);
			break;
		}
		case 2:
			rc = env_inv(&e, UIOMMU_CMD_TLBI_NH_ASID, 5, 0, 0, NULL,
				     NULL);
			break;
		default:
			rc = env_inv(&e, UIOMMU_CMD_TLBI_NH_VAA, 0,
				     RW_BASE + first * SZ_4K,
				     RW_BASE + first * SZ_4K + 1, NULL, NULL);
			/* VAA of one address covers one page only. */
			if (n > 1)
				rc |= env_inv(&e, UIOMMU_CMD_TLBI_NH_VA, 5,
					      RW_BASE + (first + 1) * SZ_4K,
					      RW_BASE + (first + n) * SZ_4K - 1,
					      NULL, NULL);
			break;
		}
		CU_ASSERT_EQUAL(rc, 0);
		if (env_diff(&e, &d, RW_BASE - SZ_4K,
			     RW_BASE + (RW_PAGES + 1) * SZ_4K, false) != 0) {
			CU_FAIL("kernel state differs from the guest table");
			printf("  step %u (seed %llu)\n", step, ut_seed());
			break;
		}
		if (!env_records_match(&d)) {
			CU_FAIL("record differs from the kernel");
			break;
		}
		mock_calls_clear();
	}
	env_dev_free(&e, &d);
	env_fini(&e);
}

static void
test_random_coalesce(void)
{
	random_run(NULL);
}

static void
test_random_no_coalesce(void)
{
	random_run("coalesce=off");
}

static void
test_event_ring_bounded(void)
{
	struct uiommu_event ev[8];
	struct uiommu_ste_info ste;
	uint64_t lost = 0;
	struct venv e;
	struct vdev d;
	int n;

	env_init(&e, NULL);
	UT_ASSERT_FATAL(env_dev(&e, &d, ENV_BDF0, ENV_GROUP0, 1) == 0);
	memset(&ste, 0, sizeof(ste));
	ste.valid = 1;
	ste.config = UIOMMU_STE_CFG_S1;
	ste.s1ctxptr = ENV_HOLE_GPA;
	for (unsigned int i = 0; i < UIOMMU_EVTQ_ENTRIES_DEFAULT + 10; i++)
		CU_ASSERT_EQUAL(e.ops->vdevice_set_ste(d.priv, &ste), 0);
	n = e.ops->event_read(e.vi, ev, 8, &lost);
	CU_ASSERT_EQUAL(n, 8);
	CU_ASSERT_EQUAL(lost, 10);
	CU_ASSERT_EQUAL(stats(&e)->events_lost, 10);
	env_dev_free(&e, &d);
	env_fini(&e);
}

#ifdef UIOMMU_FAULT_INJECTION
#include "uiommu_fail.h"

/*
 * Fail every resource acquisition of the set-up paths in turn (vIOMMU,
 * device: memory, record, container, group, device fd) and of the first
 * shadow (record areas): each failure is reported as -ENOMEM and leaves
 * no fd open (env_fini checks the mock's fds).
 */
static void
test_fail_nth(void)
{
	for (uint64_t nth = 1; nth < 64; nth++) {
		struct venv e;
		struct vdev d;
		int rc;

		mock_reset();
		mock_add_device(ENV_BDF0, ENV_GROUP0);
		uiommu_fail_nth_set(nth);
		rc = env_init_keep_mock(&e, NULL);
		if (rc == 0) {
			rc = env_dev(&e, &d, ENV_BDF0, ENV_GROUP0, 1);
			CU_ASSERT(rc == 0 || rc == -ENOMEM);
			if (rc == 0) {
				rc = env_ste_cfg(&e, &d, UIOMMU_STE_CFG_BYPASS);
				CU_ASSERT(rc == 0 || rc == -ENOMEM);
				CU_ASSERT(env_records_match(&d));
				env_dev_free(&e, &d);
			}
		} else {
			CU_ASSERT_EQUAL(rc, -ENOMEM);
		}
		env_fini(&e);
		if (!uiommu_fail_fired())
			break;
	}
	uiommu_fail_nth_set(0);
}
#endif

int
main(int argc, char **argv)
{
	static const struct ut_case cases[] = {
		UT_CASE(test_bind),
		UT_CASE(test_kernel_refusals),
		UT_CASE(test_bypass),
		UT_CASE(test_s1_shadow_and_single_page),
		UT_CASE(test_no_coalesce),
		UT_CASE(test_range_and_batch),
		UT_CASE(test_leaf_change),
		UT_CASE(test_block_split_and_merge),
		UT_CASE(test_asid_and_all),
		UT_CASE(test_cfgi_cd),
		UT_CASE(test_bad_configs),
		UT_CASE(test_limit_set_ste),
		UT_CASE(test_limit_invalidate),
		UT_CASE(test_limit_from_kernel),
		UT_CASE(test_walk_limit),
		UT_CASE(test_stage2_changes),
		UT_CASE(test_garbage_tables),
		UT_CASE(test_random_coalesce),
		UT_CASE(test_random_no_coalesce),
		UT_CASE(test_event_ring_bounded),
#ifdef UIOMMU_FAULT_INJECTION
		UT_CASE(test_fail_nth),
#endif
		UT_END
	};

	return ut_main("vfio_shadow", cases, argc, argv);
}
