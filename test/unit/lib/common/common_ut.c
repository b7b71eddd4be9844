/* SPDX-License-Identifier: BSD-3-Clause */
/* Tests of lib/common: range arithmetic and the error-pointer helpers. */
#include <stdint.h>

#include "uiommu_common.h"
#include "uiommu_ut.h"

static void
test_range_last_ok(void)
{
	uint64_t last = 0;

	CU_ASSERT_EQUAL(uiommu_range_last(0x1000, 0x1000, &last), 0);
	CU_ASSERT_EQUAL(last, 0x1fff);
	CU_ASSERT_EQUAL(uiommu_range_last(0, UINT64_MAX, &last), 0);
	CU_ASSERT_EQUAL(last, UINT64_MAX - 1);
	CU_ASSERT_EQUAL(uiommu_range_last(UINT64_MAX, 1, &last), 0);
	CU_ASSERT_EQUAL(last, UINT64_MAX);
}

static void
test_range_last_errors(void)
{
	uint64_t last = 7;

	CU_ASSERT_EQUAL(uiommu_range_last(0x1000, 0, &last), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_range_last(UINT64_MAX, 2, &last), -EOVERFLOW);
	CU_ASSERT_EQUAL(uiommu_range_last(2, UINT64_MAX, &last), -EOVERFLOW);
	CU_ASSERT_EQUAL(uiommu_range_last(1, UINT64_MAX, &last), 0);
	CU_ASSERT_EQUAL(last, UINT64_MAX);
}

static void
test_range_overlap_within(void)
{
	CU_ASSERT_TRUE(uiommu_range_overlaps(0, 10, 10, 20));
	CU_ASSERT_FALSE(uiommu_range_overlaps(0, 9, 10, 20));
	CU_ASSERT_TRUE(uiommu_range_overlaps(0, UINT64_MAX, 5, 5));
	CU_ASSERT_TRUE(uiommu_range_within(5, 6, 0, 10));
	CU_ASSERT_FALSE(uiommu_range_within(5, 11, 0, 10));
	CU_ASSERT_FALSE(uiommu_range_within(6, 5, 0, 10));
	CU_ASSERT_TRUE(uiommu_range_within(0, UINT64_MAX, 0, UINT64_MAX));
}

static void
test_err_ptr(void)
{
	void *p = UIOMMU_ERR_PTR(-ENOMEM);
	int x;

	CU_ASSERT_TRUE(UIOMMU_IS_ERR(p));
	CU_ASSERT_EQUAL(UIOMMU_PTR_ERR(p), -ENOMEM);
	CU_ASSERT_FALSE(UIOMMU_IS_ERR(&x));
	CU_ASSERT_FALSE(UIOMMU_IS_ERR(NULL));
	CU_ASSERT_TRUE(uiommu_is_pow2_u64(1ULL << 63));
	CU_ASSERT_FALSE(uiommu_is_pow2_u64(0));
	CU_ASSERT_FALSE(uiommu_is_pow2_u64(6));
}

static const struct ut_case cases[] = {
	UT_CASE(test_range_last_ok),
	UT_CASE(test_range_last_errors),
	UT_CASE(test_range_overlap_within),
	UT_CASE(test_err_ptr),
	UT_END
};

int
main(int argc, char **argv)
{
	return ut_main("common", cases, argc, argv);
}
