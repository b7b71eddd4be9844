/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tests of lib/core guest memory: region bookkeeping and the bounds check
 * that every guest access goes through.
 */
#include <stdlib.h>
#include <string.h>

#include "uiommu_gmem.h"
#include "uiommu_ut.h"

static uint8_t ram_a[3 * 4096] __attribute__((aligned(4096)));
static uint8_t ram_b[4096] __attribute__((aligned(4096)));

static void
test_gmem_add_errors(void)
{
	struct uiommu_gmem gm = {0};

	CU_ASSERT_EQUAL(uiommu_gmem_add(&gm, 0x1000, 0, ram_a, -1, 0), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_gmem_add(&gm, 0x1001, 4096, ram_a, -1, 0), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_gmem_add(&gm, 0x1000, 100, ram_a, -1, 0), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_gmem_add(&gm, UINT64_MAX - 4095, 8192, ram_a, -1, 0),
			-EOVERFLOW);
	CU_ASSERT_EQUAL(uiommu_gmem_add(&gm, 0x1000, 4096, NULL, -1, 0), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_gmem_add(&gm, 0x10000, sizeof(ram_a), ram_a, -1, 0), 0);
	CU_ASSERT_EQUAL(uiommu_gmem_add(&gm, 0x12000, 4096, ram_b, -1, 0), -EEXIST);
	CU_ASSERT_EQUAL(uiommu_gmem_add(&gm, 0xf000, 8192, ram_b, -1, 0), -EEXIST);
	CU_ASSERT_EQUAL(gm.nr, 1);
}

static void
test_gmem_ptr_bounds(void)
{
	struct uiommu_gmem gm = {0};
	uint64_t v = 0;

	CU_ASSERT_EQUAL(uiommu_gmem_add(&gm, 0x10000, sizeof(ram_a), ram_a, -1, 0), 0);
	CU_ASSERT_EQUAL(uiommu_gmem_add(&gm, 0x1000, 4096, ram_b, -1, 0), 0);
	CU_ASSERT_EQUAL(gm.r[0].gpa, 0x1000); /* kept sorted */
	CU_ASSERT_PTR_EQUAL(uiommu_gmem_ptr(&gm, 0x10000, 1), ram_a);
	CU_ASSERT_PTR_EQUAL(uiommu_gmem_ptr(&gm, 0x12fff, 1), ram_a + 0x2fff);
	CU_ASSERT_PTR_EQUAL(uiommu_gmem_ptr(&gm, 0x10000, sizeof(ram_a)), ram_a);
	CU_ASSERT_PTR_NULL(uiommu_gmem_ptr(&gm, 0x12fff, 2));      /* crosses the end */
	CU_ASSERT_PTR_NULL(uiommu_gmem_ptr(&gm, 0xffff, 2));       /* crosses the start */
	CU_ASSERT_PTR_NULL(uiommu_gmem_ptr(&gm, 0x1fff, 0x8002)); /* spans a hole */
	CU_ASSERT_PTR_NULL(uiommu_gmem_ptr(&gm, 0x10000, 0));
	CU_ASSERT_PTR_NULL(uiommu_gmem_ptr(&gm, UINT64_MAX, 2));   /* wraps */
	CU_ASSERT_PTR_NULL(uiommu_gmem_ptr(&gm, 0, 1));
	memset(ram_b, 0, sizeof(ram_b));
	ram_b[8] = 0x2a;
	CU_ASSERT_EQUAL(uiommu_gmem_read_u64(&gm, 0x1008, &v), 0);
	CU_ASSERT_EQUAL(v, 0x2a);
	CU_ASSERT_EQUAL(uiommu_gmem_read_u64(&gm, 0x1004, &v), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_gmem_read_u64(&gm, 0x1ffc, &v), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_gmem_read_u64(&gm, 0x2000, &v), -EFAULT);
	CU_ASSERT_EQUAL(uiommu_gmem_write(&gm, 0x1ff8, &v, 8), 0);
	CU_ASSERT_EQUAL(uiommu_gmem_write(&gm, 0x1ff9, &v, 8), -EFAULT);
}

static void
test_gmem_del(void)
{
	struct uiommu_gmem gm = {0};
	struct uiommu_gmem_region out;

	CU_ASSERT_EQUAL(uiommu_gmem_add(&gm, 0x10000, sizeof(ram_a), ram_a, -1, 0), 0);
	CU_ASSERT_EQUAL(uiommu_gmem_add(&gm, 0x1000, 4096, ram_b, -1, 0), 0);
	CU_ASSERT_EQUAL(uiommu_gmem_del(&gm, 0x10000, 4096, &out), -ENOENT);
	CU_ASSERT_EQUAL(uiommu_gmem_del(&gm, 0x10000, sizeof(ram_a), &out), 0);
	CU_ASSERT_PTR_EQUAL(out.hva, ram_a);
	CU_ASSERT_EQUAL(gm.nr, 1);
	CU_ASSERT_PTR_NULL(uiommu_gmem_ptr(&gm, 0x10000, 1));
	CU_ASSERT_PTR_EQUAL(uiommu_gmem_ptr(&gm, 0x1000, 1), ram_b);
}

static void
test_gmem_full(void)
{
	struct uiommu_gmem gm = {0};
	static uint8_t page[4096] __attribute__((aligned(4096)));
	uint32_t i;

	for (i = 0; i < UIOMMU_MAX_MEM_REGIONS; i++)
		CU_ASSERT_EQUAL(uiommu_gmem_add(&gm, 0x100000ULL * (i + 1), 4096,
						page, -1, 0), 0);
	CU_ASSERT_EQUAL(uiommu_gmem_add(&gm, 0x100000ULL * (i + 1), 4096, page, -1, 0),
			-ENOSPC);
}

static const struct ut_case cases[] = {
	UT_CASE(test_gmem_add_errors),
	UT_CASE(test_gmem_ptr_bounds),
	UT_CASE(test_gmem_del),
	UT_CASE(test_gmem_full),
	UT_END
};

int
main(int argc, char **argv)
{
	return ut_main("core_gmem", cases, argc, argv);
}
