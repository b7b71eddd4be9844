/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tests of lib/iova's IOAS: every rule and errno of uiommu_iova.h.
 *
 * The directed tests mirror the iommufd selftest items that apply to an
 * IOAS without devices (reference iommufd.md §3.2 items 11-16, 21-23) and
 * add the edges of the 64-bit space. test_random_model runs 10^5 mixed
 * operations on two IOASes against a naive sorted-array model that derives
 * every result from the documented rules, comparing return codes, outputs
 * and the whole area list after each operation, plus ioas_check().
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ioas_private.h"
#include "uiommu_config.h"
#include "uiommu_fail.h"
#include "uiommu_iova.h"
#include "uiommu_ut.h"

#define PAGE UIOMMU_IOAS_PAGE_SIZE
#define RW (UIOMMU_IOAS_MAP_READABLE | UIOMMU_IOAS_MAP_WRITEABLE)
#define RO UIOMMU_IOAS_MAP_READABLE
#define FIXED UIOMMU_IOAS_MAP_FIXED_IOVA
#define BASE (1ULL << 24) /* the mock aperture start of the selftest */

#define CHECK_IOAS(ioas) do { \
	const char *why_ = NULL; \
	int rc_ = ioas_check((ioas), &why_); \
	if (rc_ != 0) \
		fprintf(stderr, "%s:%d: ioas check: %s\n", __FILE__, \
			__LINE__, why_ ? why_ : "?"); \
	UT_ASSERT_FATAL(rc_ == 0); \
} while (0)

static struct uiommu_ioas *
new_ioas(void)
{
	struct uiommu_ioas *ioas = NULL;

	UT_ASSERT_FATAL(uiommu_ioas_create(&ioas) == 0);
	UT_ASSERT_FATAL(ioas != NULL);
	return ioas;
}

static int
map_fixed(struct uiommu_ioas *ioas, uint64_t backing, uint64_t len,
	  uint64_t iova)
{
	return uiommu_ioas_map(ioas, backing, len, &iova, FIXED | RW, NULL);
}

static uint64_t
lowbit(uint64_t x)
{
	return x & -x;
}

static uint64_t
pow2_ceil(uint64_t x)
{
	uint64_t p = 1;

	while (p < x)
		p <<= 1;
	return p;
}

/* ---------------------------------------------------------------------- */

static void
test_create_destroy(void)
{
	struct uiommu_ioas *ioas;
	struct uiommu_range r = { 20 * PAGE, 30 * PAGE - 1 };

	CU_ASSERT_EQUAL(uiommu_ioas_create(NULL), -EINVAL);
	uiommu_ioas_destroy(NULL);
	ioas = new_ioas();
	CU_ASSERT_EQUAL(uiommu_ioas_num_areas(ioas), 0);
	CU_ASSERT_EQUAL(uiommu_ioas_alignment(ioas), 1);
	CHECK_IOAS(ioas);
	/* item 9: areas, reserved and allowed ranges do not block destroy */
	for (uint64_t i = 0; i < 10; i++)
		CU_ASSERT_EQUAL(map_fixed(ioas, 0, PAGE, BASE + i * PAGE), 0);
	CU_ASSERT_EQUAL(uiommu_ioas_reserve(ioas, PAGE, 2 * PAGE, NULL), 0);
	CU_ASSERT_EQUAL(uiommu_ioas_reserve(ioas, PAGE, 3 * PAGE, &r), 0);
	CU_ASSERT_EQUAL(uiommu_ioas_allow_iovas(ioas, &r, 1), 0);
	CU_ASSERT_EQUAL(uiommu_ioas_num_areas(ioas), 10);
	CHECK_IOAS(ioas);
	uiommu_ioas_destroy(ioas); /* ASan builds report any leak */
	CU_ASSERT_EQUAL(uiommu_ioas_num_areas(NULL), 0);
}

static void
test_map_args(void)
{
	struct uiommu_ioas *ioas = new_ioas();
	uint64_t iova = 0x1234;

	CU_ASSERT_EQUAL(uiommu_ioas_map(NULL, 0, PAGE, &iova, RW, NULL),
			-EINVAL);
	CU_ASSERT_EQUAL(uiommu_ioas_map(ioas, 0, PAGE, NULL, RW, NULL),
			-EINVAL);
	CU_ASSERT_EQUAL(uiommu_ioas_map(ioas, 0, PAGE, &iova, RW | (1u << 3),
					NULL), -EOPNOTSUPP);
	CU_ASSERT_EQUAL(uiommu_ioas_map(ioas, 0, PAGE, &iova, 1u << 31, NULL),
			-EOPNOTSUPP);
	CU_ASSERT_EQUAL(uiommu_ioas_map(ioas, 0, PAGE, &iova, 0, NULL),
			-EINVAL);
	CU_ASSERT_EQUAL(uiommu_ioas_map(ioas, 0, PAGE, &iova, FIXED, NULL),
			-EINVAL);
	CU_ASSERT_EQUAL(uiommu_ioas_map(ioas, 0, 0, &iova, RW, NULL), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_ioas_map(ioas, 0, 0, &iova, FIXED | RW, NULL),
			-EINVAL);
	/* backing + length - 1 wraps */
	CU_ASSERT_EQUAL(uiommu_ioas_map(ioas, UINT64_MAX - 10, 100, &iova, RW,
					NULL), -EOVERFLOW);
	/* fixed iova + length - 1 wraps */
	iova = UINT64_MAX - PAGE + 2;
	CU_ASSERT_EQUAL(uiommu_ioas_map(ioas, 0, PAGE, &iova, FIXED | RW,
					NULL), -EOVERFLOW);
	CU_ASSERT_EQUAL(iova, UINT64_MAX - PAGE + 2);
	/* allocation of >= UINT64_MAX / 2 bytes */
	iova = 0x1234;
	CU_ASSERT_EQUAL(uiommu_ioas_map(ioas, 0, UINT64_MAX / 2, &iova, RW,
					NULL), -EOVERFLOW);
	CU_ASSERT_EQUAL(uiommu_ioas_map(ioas, 0, 1ULL << 63, &iova, RW, NULL),
			-EOVERFLOW);
	/* but a fixed map of half the space is fine */
	iova = 0;
	CU_ASSERT_EQUAL(uiommu_ioas_map(ioas, 0, 1ULL << 63, &iova,
					FIXED | RO, NULL), 0);
	CU_ASSERT_EQUAL(uiommu_ioas_num_areas(ioas), 1);
	CHECK_IOAS(ioas);
	/* every error left *iova and the IOAS alone */
	iova = 0x1234;
	CU_ASSERT_EQUAL(uiommu_ioas_map(ioas, 0, 0, &iova, RW, NULL), -EINVAL);
	CU_ASSERT_EQUAL(iova, 0x1234);
	CU_ASSERT_EQUAL(uiommu_ioas_num_areas(ioas), 1);
	uiommu_ioas_destroy(ioas);
}

/* iommufd selftest item 11, "area" */
static void
test_area(void)
{
	struct uiommu_ioas *ioas = new_ioas();
	uint64_t len = 1, i, iova;

	for (i = 0; i != 10; i++) {
		CU_ASSERT_EQUAL(uiommu_ioas_unmap(ioas, i * PAGE, PAGE, &len),
				-ENOENT);
		CU_ASSERT_EQUAL(len, 0);
	}
	for (i = 0; i != 10; i++)
		CU_ASSERT_EQUAL(map_fixed(ioas, 0, PAGE, BASE + i * PAGE), 0);
	for (i = 0; i != 10; i++) {
		CU_ASSERT_EQUAL(uiommu_ioas_unmap(ioas, BASE + i * PAGE, PAGE,
						  &len), 0);
		CU_ASSERT_EQUAL(len, PAGE);
	}
	CU_ASSERT_EQUAL(uiommu_ioas_num_areas(ioas), 0);

	/* split fails, and leaves the area whole */
	CU_ASSERT_EQUAL(map_fixed(ioas, 0, 2 * PAGE, BASE + 16 * PAGE), 0);
	CU_ASSERT_EQUAL(uiommu_ioas_unmap(ioas, BASE + 16 * PAGE, PAGE, NULL),
			-ENOENT);
	CU_ASSERT_EQUAL(uiommu_ioas_unmap(ioas, BASE + 17 * PAGE, PAGE, NULL),
			-ENOENT);
	CU_ASSERT_EQUAL(uiommu_ioas_lookup(ioas, BASE + 16 * PAGE, NULL), 0);
	CU_ASSERT_EQUAL(uiommu_ioas_lookup(ioas, BASE + 18 * PAGE - 1, NULL),
			0);

	/* over-map fails: same, inside, start, end, around */
	CU_ASSERT_EQUAL(map_fixed(ioas, 0, 2 * PAGE, BASE + 16 * PAGE),
			-EEXIST);
	CU_ASSERT_EQUAL(map_fixed(ioas, 0, PAGE, BASE + 16 * PAGE), -EEXIST);
	CU_ASSERT_EQUAL(map_fixed(ioas, 0, PAGE, BASE + 17 * PAGE), -EEXIST);
	CU_ASSERT_EQUAL(map_fixed(ioas, 0, 2 * PAGE, BASE + 15 * PAGE),
			-EEXIST);
	CU_ASSERT_EQUAL(map_fixed(ioas, 0, 3 * PAGE, BASE + 15 * PAGE),
			-EEXIST);
	CU_ASSERT_EQUAL(map_fixed(ioas, 0, 1, BASE + 18 * PAGE - 1), -EEXIST);
	/* but right next to it is free */
	CU_ASSERT_EQUAL(map_fixed(ioas, 0, 1, BASE + 18 * PAGE), 0);
	CU_ASSERT_EQUAL(map_fixed(ioas, 0, 1, BASE + 16 * PAGE - 1), 0);
	CU_ASSERT_EQUAL(uiommu_ioas_num_areas(ioas), 3);
	CHECK_IOAS(ioas);

	/* unmap all works, also on an empty IOAS */
	CU_ASSERT_EQUAL(uiommu_ioas_unmap(ioas, 0, UINT64_MAX, &len), 0);
	CU_ASSERT_EQUAL(len, 2 * PAGE + 2);
	CU_ASSERT_EQUAL(uiommu_ioas_num_areas(ioas), 0);
	CU_ASSERT_EQUAL(uiommu_ioas_unmap(ioas, 0, UINT64_MAX, &len), 0);
	CU_ASSERT_EQUAL(len, 0);
	CU_ASSERT_EQUAL(uiommu_ioas_unmap_all(ioas, &len), 0);
	CU_ASSERT_EQUAL(len, 0);
	CU_ASSERT_EQUAL(uiommu_ioas_unmap_all(NULL, &len), -EINVAL);

	/* other unmap argument errors */
	CU_ASSERT_EQUAL(uiommu_ioas_unmap(NULL, 0, PAGE, NULL), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_ioas_unmap(ioas, BASE, 0, NULL), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_ioas_unmap(ioas, 2, UINT64_MAX, NULL),
			-EOVERFLOW);
	CU_ASSERT_EQUAL(uiommu_ioas_unmap(ioas, UINT64_MAX, 2, NULL),
			-EOVERFLOW);

	/* an allocated map can be unmapped by its returned IOVA */
	CU_ASSERT_EQUAL(uiommu_ioas_map(ioas, 0, PAGE, &iova, RW, NULL), 0);
	CU_ASSERT_EQUAL(uiommu_ioas_unmap(ioas, iova, PAGE, &len), 0);
	CU_ASSERT_EQUAL(len, PAGE);
	CHECK_IOAS(ioas);
	uiommu_ioas_destroy(ioas);
}

/* iommufd selftest item 12, "unmap_fully_contained_areas" */
static void
test_unmap_fully_contained(void)
{
	struct uiommu_ioas *ioas = new_ioas();
	const uint64_t base = BASE + 4 * PAGE;
	uint64_t len = 7, i;

	for (i = 0; i != 4; i++)
		CU_ASSERT_EQUAL(map_fixed(ioas, 0, 8 * PAGE,
					  base + i * 16 * PAGE), 0);
	/* partly covered at the start or at the end */
	CU_ASSERT_EQUAL(uiommu_ioas_unmap(ioas, base - 4 * PAGE, 8 * PAGE,
					  &len), -ENOENT);
	CU_ASSERT_EQUAL(len, 0);
	CU_ASSERT_EQUAL(uiommu_ioas_unmap(ioas,
					  base + 3 * 16 * PAGE + 4 * PAGE,
					  8 * PAGE, NULL), -ENOENT);
	/* three whole areas then a partial one: nothing is removed */
	CU_ASSERT_EQUAL(uiommu_ioas_unmap(ioas, base, 3 * 16 * PAGE + PAGE,
					  &len), -ENOENT);
	CU_ASSERT_EQUAL(len, 0);
	CU_ASSERT_EQUAL(uiommu_ioas_num_areas(ioas), 4);
	/* a range in a gap */
	CU_ASSERT_EQUAL(uiommu_ioas_unmap(ioas, base + 8 * PAGE, 8 * PAGE,
					  NULL), -ENOENT);
	CHECK_IOAS(ioas);
	/* a superset of all four, with their gaps */
	CU_ASSERT_EQUAL(uiommu_ioas_unmap(ioas, base - 4 * PAGE,
					  3 * 16 * PAGE + 8 * PAGE + 4 * PAGE,
					  &len), 0);
	CU_ASSERT_EQUAL(len, 32 * PAGE);
	CU_ASSERT_EQUAL(uiommu_ioas_num_areas(ioas), 0);
	CHECK_IOAS(ioas);
	uiommu_ioas_destroy(ioas);
}

/* iommufd selftest item 13, "area_auto_iova" */
static void
test_area_auto_iova(void)
{
	struct uiommu_ioas *ioas = new_ioas();
	struct uiommu_range range;
	uint64_t iovas[10], i, len;

	for (i = 0; i != 10; i++) {
		CU_ASSERT_EQUAL(uiommu_ioas_map(ioas, 0x10000, PAGE, &iovas[i],
						RW, NULL), 0);
		CU_ASSERT_NOT_EQUAL(iovas[i], 0);
	}
	for (i = 0; i != 10; i++)
		CU_ASSERT_EQUAL(uiommu_ioas_unmap(ioas, iovas[i], PAGE, NULL),
				0);

	/* IOVAs are aligned to the length's low bit (here: its pow2 ceil) */
	for (i = 0; i != 10; i++) {
		len = PAGE * (i + 1);
		CU_ASSERT_EQUAL(uiommu_ioas_map(ioas, 1ULL << 31, len,
						&iovas[i], RW, NULL), 0);
		CU_ASSERT_EQUAL(iovas[i] % lowbit(len), 0);
		CU_ASSERT_EQUAL(iovas[i] % pow2_ceil(len), 0);
		CU_ASSERT_TRUE(iovas[i] >= PAGE);
	}
	for (i = 0; i != 10; i++)
		CU_ASSERT_EQUAL(uiommu_ioas_unmap(ioas, iovas[i],
						  PAGE * (i + 1), NULL), 0);
	CHECK_IOAS(ioas);

	/* avoids a reserved region */
	CU_ASSERT_EQUAL(uiommu_ioas_reserve(ioas, 4 * PAGE, 104 * PAGE - 1,
					    NULL), 0);
	for (i = 0; i != 10; i++) {
		len = PAGE * (i + 1);
		CU_ASSERT_EQUAL(uiommu_ioas_map(ioas, 0x40000, len, &iovas[i],
						RW, NULL), 0);
		CU_ASSERT_EQUAL(iovas[i] % lowbit(len), 0);
		CU_ASSERT_FALSE(uiommu_range_overlaps(iovas[i],
						      iovas[i] + len - 1,
						      4 * PAGE,
						      104 * PAGE - 1));
	}
	for (i = 0; i != 10; i++)
		CU_ASSERT_EQUAL(uiommu_ioas_unmap(ioas, iovas[i],
						  PAGE * (i + 1), NULL), 0);

	/* an allowed range over the reserved region is refused */
	range.start = PAGE;
	range.last = PAGE * 600;
	CU_ASSERT_EQUAL(uiommu_ioas_allow_iovas(ioas, &range, 1),
			-EADDRINUSE);

	/* allocate from an allowed region */
	range.start = PAGE * 200;
	range.last = PAGE * 600 - 1;
	CU_ASSERT_EQUAL(uiommu_ioas_allow_iovas(ioas, &range, 1), 0);
	for (i = 0; i != 10; i++) {
		len = PAGE * (i + 1);
		CU_ASSERT_EQUAL(uiommu_ioas_map(ioas, 0x40000, len, &iovas[i],
						RW, NULL), 0);
		CU_ASSERT_EQUAL(iovas[i] % lowbit(len), 0);
		CU_ASSERT_TRUE(uiommu_range_within(iovas[i],
						   iovas[i] + len - 1,
						   range.start, range.last));
	}
	CHECK_IOAS(ioas);
	uiommu_ioas_destroy(ioas);
}

/* The alignment rule, its cap, the page offset, the window edges. */
static void
test_alloc_rules(void)
{
	struct uiommu_ioas *ioas = new_ioas();
	struct uiommu_range r;
	uint64_t iova, iova2;

	/* backing's low bit limits the alignment */
	CU_ASSERT_EQUAL(map_fixed(ioas, 0, PAGE, PAGE), 0);
	CU_ASSERT_EQUAL(uiommu_ioas_map(ioas, 0x3000, 0x10000, &iova, RW,
					NULL), 0);
	CU_ASSERT_EQUAL(iova, 0x2000);
	CU_ASSERT_EQUAL(uiommu_ioas_map(ioas, 0x10000, 0x10000, &iova, RW,
					NULL), 0);
	CU_ASSERT_EQUAL(iova, 0x20000);
	/* backing 0: the length alone decides */
	CU_ASSERT_EQUAL(uiommu_ioas_map(ioas, 0, 3 * PAGE, &iova, RW, NULL),
			0);
	CU_ASSERT_EQUAL(iova, 0x14000);
	CU_ASSERT_EQUAL(uiommu_ioas_unmap_all(ioas, NULL), 0);

	/* the cap: 2 MiB by default, settable */
	CU_ASSERT_EQUAL(uiommu_ioas_map(ioas, 0, 8ULL << 20, &iova, RW, NULL),
			0);
	CU_ASSERT_EQUAL(iova, UIOMMU_IOAS_ALLOC_ALIGN_MAX);
	CU_ASSERT_EQUAL(uiommu_ioas_unmap_all(ioas, NULL), 0);
	CU_ASSERT_EQUAL(uiommu_ioas_set_alloc_align_max(ioas, PAGE), 0);
	CU_ASSERT_EQUAL(uiommu_ioas_map(ioas, 0, 8ULL << 20, &iova, RW, NULL),
			0);
	CU_ASSERT_EQUAL(iova, PAGE);
	CU_ASSERT_EQUAL(uiommu_ioas_set_alloc_align_max(ioas, 3), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_ioas_set_alloc_align_max(ioas, 0), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_ioas_set_alloc_align_max(NULL, PAGE), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_ioas_unmap_all(ioas, NULL), 0);
	/* cap below the IOAS alignment */
	CU_ASSERT_EQUAL(uiommu_ioas_set_alignment(ioas, PAGE), 0);
	CU_ASSERT_EQUAL(uiommu_ioas_set_alloc_align_max(ioas, 2048), 0);
	CU_ASSERT_EQUAL(uiommu_ioas_map(ioas, 0, PAGE, &iova, RW, NULL),
			-EINVAL);
	CU_ASSERT_EQUAL(uiommu_ioas_set_alloc_align_max(ioas,
			UIOMMU_IOAS_ALLOC_ALIGN_MAX), 0);
	CU_ASSERT_EQUAL(uiommu_ioas_set_alignment(ioas, 1), 0);

	/* the backing's offset in its page is kept */
	CU_ASSERT_EQUAL(uiommu_ioas_map(ioas, 0x1800, 0x100, &iova, RW, NULL),
			0);
	CU_ASSERT_EQUAL(iova, 0x1800);
	CU_ASSERT_EQUAL(uiommu_ioas_map(ioas, 0x5800, 0x100, &iova2, RW,
					NULL), 0);
	CU_ASSERT_EQUAL(iova2, 0x2800);
	CU_ASSERT_EQUAL(uiommu_ioas_map(ioas, 0x40, 0x10, &iova, RW, NULL), 0);
	CU_ASSERT_EQUAL(iova, 0x1040);
	CU_ASSERT_EQUAL(uiommu_ioas_unmap_all(ioas, NULL), 0);

	/* IOVA 0 is never allocated, but can be mapped fixed */
	r.start = 0;
	r.last = 2 * PAGE - 1;
	CU_ASSERT_EQUAL(uiommu_ioas_allow_iovas(ioas, &r, 1), 0);
	CU_ASSERT_EQUAL(uiommu_ioas_map(ioas, 0, PAGE, &iova, RW, NULL), 0);
	CU_ASSERT_EQUAL(iova, PAGE);
	CU_ASSERT_EQUAL(uiommu_ioas_map(ioas, 0, 1, &iova, RW, NULL), -ENOSPC);
	CU_ASSERT_EQUAL(map_fixed(ioas, 0, PAGE, 0), 0);
	CU_ASSERT_EQUAL(uiommu_ioas_unmap_all(ioas, NULL), 0);

	/* the top page is never allocated either */
	r.start = UINT64_MAX - 3 * PAGE + 1;
	r.last = UINT64_MAX;
	CU_ASSERT_EQUAL(uiommu_ioas_allow_iovas(ioas, &r, 1), 0);
	CU_ASSERT_EQUAL(uiommu_ioas_map(ioas, 0, PAGE, &iova, RW, NULL), 0);
	CU_ASSERT_EQUAL(iova, UINT64_MAX - 3 * PAGE + 1);
	CU_ASSERT_EQUAL(uiommu_ioas_map(ioas, 0, PAGE, &iova, RW, NULL), 0);
	CU_ASSERT_EQUAL(iova, UINT64_MAX - 2 * PAGE + 1);
	CU_ASSERT_EQUAL(uiommu_ioas_map(ioas, 0, PAGE, &iova, RW, NULL),
			-ENOSPC);
	CU_ASSERT_EQUAL(map_fixed(ioas, 0, PAGE, UINT64_MAX - PAGE + 1), 0);
	CU_ASSERT_EQUAL(uiommu_ioas_num_areas(ioas), 3);
	CHECK_IOAS(ioas);

	/* a window smaller than the length, and a full one */
	r.start = 0x2000;
	r.last = 0x3fff;
	CU_ASSERT_EQUAL(uiommu_ioas_allow_iovas(ioas, &r, 1), 0);
	CU_ASSERT_EQUAL(uiommu_ioas_map(ioas, 0, 0x2001, &iova, RW, NULL),
			-ENOSPC);
	CU_ASSERT_EQUAL(uiommu_ioas_map(ioas, 0, 0x2000, &iova, RW, NULL), 0);
	CU_ASSERT_EQUAL(iova, 0x2000);
	CU_ASSERT_EQUAL(uiommu_ioas_map(ioas, 0, 1, &iova, RW, NULL), -ENOSPC);
	CHECK_IOAS(ioas);
	uiommu_ioas_destroy(ioas);
}

/* More than UIOMMU_IOAS_ALLOC_MISS_MAX too-tight holes: documented fallback. */
static void
alloc_after_tight_holes(uint64_t special, uint64_t *got, uint64_t *exact,
			uint64_t *padded)
{
	struct uiommu_ioas *ioas = new_ioas();
	const uint64_t periods = UIOMMU_IOAS_ALLOC_MISS_MAX + 10;
	const uint64_t z = BASE;  /* 2-page aligned */
	uint64_t p, iova;

	/* [PAGE, z + PAGE - 1] busy, then per 4-page period i: page 4i busy,
	 * pages 4i+1..4i+2 free (a 2-page hole at an odd page), page 4i+3
	 * busy; in period `special` the hole is at 4i+2..4i+3 instead. */
	CU_ASSERT_EQUAL(map_fixed(ioas, 0, z, PAGE), 0);
	for (p = 0; p < periods; p++) {
		uint64_t b = z + 4 * p * PAGE;

		if (p == special) {
			CU_ASSERT_EQUAL(map_fixed(ioas, 0, PAGE, b + PAGE), 0);
		} else {
			CU_ASSERT_EQUAL(map_fixed(ioas, 0, PAGE, b + 3 * PAGE),
					0);
		}
		if (p > 0)
			CU_ASSERT_EQUAL(map_fixed(ioas, 0, PAGE, b), 0);
	}
	CU_ASSERT_EQUAL(map_fixed(ioas, 0, PAGE, z + 4 * periods * PAGE), 0);
	CHECK_IOAS(ioas);
	CU_ASSERT_EQUAL(uiommu_ioas_map(ioas, 0, 2 * PAGE, &iova, RW, NULL),
			0);
	*got = iova;
	*exact = z + (4 * special + 2) * PAGE;
	*padded = z + (4 * periods + 2) * PAGE;
	uiommu_ioas_destroy(ioas);
}

static void
test_alloc_miss_budget(void)
{
	uint64_t got, exact, padded;

	alloc_after_tight_holes(3, &got, &exact, &padded);
	CU_ASSERT_EQUAL(got, exact);
	alloc_after_tight_holes(UIOMMU_IOAS_ALLOC_MISS_MAX - 1, &got, &exact,
				&padded);
	CU_ASSERT_EQUAL(got, exact);
	alloc_after_tight_holes(UIOMMU_IOAS_ALLOC_MISS_MAX, &got, &exact,
				&padded);
	CU_ASSERT_EQUAL(got, padded);
}

/* iommufd selftest item 14, "area_allowed", plus list validation */
static void
test_area_allowed(void)
{
	struct uiommu_ioas *ioas = new_ioas();
	struct uiommu_range r[3], out[4];
	uint32_t num;
	static struct uiommu_range many[UIOMMU_IOAS_MAX_ALLOWED + 1];

	/* reserved over allowed, allowed over reserved */
	r[0].start = 16 * PAGE;
	r[0].last = 32 * PAGE - 1;
	CU_ASSERT_EQUAL(uiommu_ioas_allow_iovas(ioas, r, 1), 0);
	CU_ASSERT_EQUAL(uiommu_ioas_reserve(ioas, 16 * PAGE, 16 * PAGE, NULL),
			-EADDRINUSE);
	CU_ASSERT_EQUAL(uiommu_ioas_reserve(ioas, 0, UINT64_MAX, NULL),
			-EADDRINUSE);
	CU_ASSERT_EQUAL(uiommu_ioas_reserve(ioas, 32 * PAGE, 33 * PAGE, NULL),
			0);
	CU_ASSERT_EQUAL(uiommu_ioas_reserve(ioas, 0, 16 * PAGE - 1, NULL), 0);
	CU_ASSERT_EQUAL(uiommu_ioas_unreserve(ioas, NULL), 2);
	CU_ASSERT_EQUAL(uiommu_ioas_allow_iovas(ioas, NULL, 0), 0);
	CU_ASSERT_EQUAL(uiommu_ioas_reserve(ioas, 20 * PAGE, 21 * PAGE, NULL),
			0);
	r[0].start = 18 * PAGE;
	r[0].last = 32 * PAGE - 1;
	CU_ASSERT_EQUAL(uiommu_ioas_allow_iovas(ioas, r, 1), -EADDRINUSE);

	/* a failed replacement keeps the old list */
	r[0].start = 40 * PAGE;
	r[0].last = 50 * PAGE - 1;
	CU_ASSERT_EQUAL(uiommu_ioas_allow_iovas(ioas, r, 1), 0);
	r[1].start = 45 * PAGE;
	r[1].last = 46 * PAGE;
	r[2].start = 60 * PAGE;
	r[2].last = 70 * PAGE;
	/* overlapping, given in any order */
	CU_ASSERT_EQUAL(uiommu_ioas_allow_iovas(ioas, &r[1], 2), 0);
	r[0].start = 65 * PAGE;
	r[0].last = 80 * PAGE;
	CU_ASSERT_EQUAL(uiommu_ioas_allow_iovas(ioas, r, 3), -EINVAL);
	r[0].start = 90 * PAGE;
	r[0].last = 90 * PAGE;
	CU_ASSERT_EQUAL(uiommu_ioas_allow_iovas(ioas, r, 1), -EINVAL);
	r[0].last = 90 * PAGE - 1;
	CU_ASSERT_EQUAL(uiommu_ioas_allow_iovas(ioas, r, 1), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_ioas_allow_iovas(ioas, NULL, 1), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_ioas_allow_iovas(NULL, r, 1), -EINVAL);
	for (uint32_t i = 0; i < UIOMMU_IOAS_MAX_ALLOWED + 1; i++) {
		many[i].start = (100 + 2 * (uint64_t)i) * PAGE;
		many[i].last = many[i].start + PAGE;
	}
	CU_ASSERT_EQUAL(uiommu_ioas_allow_iovas(ioas, many,
					UIOMMU_IOAS_MAX_ALLOWED + 1), -ENOSPC);
	num = 4;
	CU_ASSERT_EQUAL(uiommu_ioas_iova_ranges(ioas, out, &num, NULL), 0);
	CU_ASSERT_EQUAL(num, 2);
	CU_ASSERT_EQUAL(out[0].start, 45 * PAGE);
	CU_ASSERT_EQUAL(out[0].last, 46 * PAGE);
	CU_ASSERT_EQUAL(out[1].start, 60 * PAGE);
	CU_ASSERT_EQUAL(out[1].last, 70 * PAGE);
	CU_ASSERT_EQUAL(uiommu_ioas_allow_iovas(ioas, many,
					UIOMMU_IOAS_MAX_ALLOWED), 0);
	CHECK_IOAS(ioas);

	/* reserve over an area; fixed map over a reserved range */
	CU_ASSERT_EQUAL(uiommu_ioas_allow_iovas(ioas, NULL, 0), 0);
	CU_ASSERT_EQUAL(map_fixed(ioas, 0, PAGE, 40 * PAGE), 0);
	CU_ASSERT_EQUAL(uiommu_ioas_reserve(ioas, 41 * PAGE - 1, 41 * PAGE,
					    NULL), -EADDRINUSE);
	CU_ASSERT_EQUAL(uiommu_ioas_reserve(ioas, 41 * PAGE, 41 * PAGE, NULL),
			0);
	CU_ASSERT_EQUAL(map_fixed(ioas, 0, 2 * PAGE, 21 * PAGE), -EINVAL);
	CU_ASSERT_EQUAL(map_fixed(ioas, 0, 1, 41 * PAGE), -EINVAL);
	CU_ASSERT_EQUAL(map_fixed(ioas, 0, 1, 41 * PAGE + 1), 0);
	CU_ASSERT_EQUAL(uiommu_ioas_reserve(ioas, 5, 4, NULL), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_ioas_reserve(NULL, 4, 5, NULL), -EINVAL);
	CHECK_IOAS(ioas);
	uiommu_ioas_destroy(ioas);
}

static uint32_t
ranges_of(struct uiommu_ioas *ioas, struct uiommu_range *out, uint32_t cap)
{
	uint32_t num = cap;

	CU_ASSERT_EQUAL(uiommu_ioas_iova_ranges(ioas, out, &num, NULL), 0);
	return num;
}

/* Overlapping reserved ranges of several owners; covers split and merge. */
static void
test_reserve_owners(void)
{
	struct uiommu_ioas *ioas = new_ioas();
	struct uiommu_range out[8];
	int a, b, c, d, e;
	uint64_t iova;

	CU_ASSERT_EQUAL(uiommu_ioas_reserve(ioas, 10 * PAGE, 20 * PAGE - 1, &a),
			0);
	CU_ASSERT_EQUAL(uiommu_ioas_reserve(ioas, 15 * PAGE, 30 * PAGE - 1, &b),
			0);
	CU_ASSERT_EQUAL(uiommu_ioas_reserve(ioas, 40 * PAGE, 41 * PAGE - 1, &a),
			0);
	CU_ASSERT_EQUAL(uiommu_ioas_reserve(ioas, 25 * PAGE, 26 * PAGE, &c), 0);
	/* the same window twice is fine */
	CU_ASSERT_EQUAL(uiommu_ioas_reserve(ioas, 40 * PAGE, 41 * PAGE - 1, &d),
			0);
	CHECK_IOAS(ioas);
	CU_ASSERT_EQUAL(ranges_of(ioas, out, 8), 3);
	CU_ASSERT_EQUAL(out[0].start, 0);
	CU_ASSERT_EQUAL(out[0].last, 10 * PAGE - 1);
	CU_ASSERT_EQUAL(out[1].start, 30 * PAGE);
	CU_ASSERT_EQUAL(out[1].last, 40 * PAGE - 1);
	CU_ASSERT_EQUAL(out[2].start, 41 * PAGE);
	CU_ASSERT_EQUAL(out[2].last, UINT64_MAX);
	CU_ASSERT_EQUAL(map_fixed(ioas, 0, PAGE, 29 * PAGE), -EINVAL);
	CU_ASSERT_EQUAL(map_fixed(ioas, 0, PAGE, 30 * PAGE), 0);
	/* allocation fits below the first group, or between/past the others */
	CU_ASSERT_EQUAL(uiommu_ioas_map(ioas, 0, 2 * PAGE, &iova, RW, NULL), 0);
	CU_ASSERT_EQUAL(iova, 2 * PAGE);
	CU_ASSERT_EQUAL(uiommu_ioas_map(ioas, 0, 8 * PAGE, &iova, RW, NULL), 0);
	CU_ASSERT_EQUAL(iova, 32 * PAGE);
	CU_ASSERT_EQUAL(uiommu_ioas_map(ioas, 0, 8 * PAGE, &iova, RW, NULL), 0);
	CU_ASSERT_EQUAL(iova, 48 * PAGE);

	/* unreserve splits the first group: b and c remain */
	CU_ASSERT_EQUAL(uiommu_ioas_unreserve(ioas, &a), 2);
	CHECK_IOAS(ioas);
	CU_ASSERT_EQUAL(ranges_of(ioas, out, 8), 3);
	CU_ASSERT_EQUAL(out[0].last, 15 * PAGE - 1);
	CU_ASSERT_EQUAL(out[1].start, 30 * PAGE);
	CU_ASSERT_EQUAL(out[1].last, 40 * PAGE - 1);
	CU_ASSERT_EQUAL(out[2].start, 41 * PAGE);
	CU_ASSERT_EQUAL(uiommu_ioas_unreserve(ioas, &b), 1);
	CHECK_IOAS(ioas);
	CU_ASSERT_EQUAL(ranges_of(ioas, out, 8), 3);
	CU_ASSERT_EQUAL(out[0].last, 25 * PAGE - 1);
	CU_ASSERT_EQUAL(out[1].start, 26 * PAGE + 1);
	CU_ASSERT_EQUAL(uiommu_ioas_unreserve(ioas, &b), 0);
	CU_ASSERT_EQUAL(uiommu_ioas_unreserve(NULL, &b), 0);

	/* a group whose leader goes away: A [10, 100] over B, C, D */
	CU_ASSERT_EQUAL(uiommu_ioas_unreserve(ioas, &c), 1);
	CU_ASSERT_EQUAL(uiommu_ioas_unreserve(ioas, &d), 1);
	CU_ASSERT_EQUAL(uiommu_ioas_reserve(ioas, 100, 1000, &a), 0);
	CU_ASSERT_EQUAL(uiommu_ioas_reserve(ioas, 200, 300, &b), 0);
	CU_ASSERT_EQUAL(uiommu_ioas_reserve(ioas, 600, 700, &c), 0);
	CU_ASSERT_EQUAL(uiommu_ioas_reserve(ioas, 650, 1200, &d), 0);
	CHECK_IOAS(ioas);
	CU_ASSERT_EQUAL(ranges_of(ioas, out, 8), 2);
	CU_ASSERT_EQUAL(uiommu_ioas_unreserve(ioas, &a), 1);
	CHECK_IOAS(ioas);
	CU_ASSERT_EQUAL(ranges_of(ioas, out, 8), 3);
	CU_ASSERT_EQUAL(out[1].start, 301);
	CU_ASSERT_EQUAL(out[1].last, 599);
	CU_ASSERT_EQUAL(uiommu_ioas_reserve(ioas, 250, 650, &a), 0);
	CHECK_IOAS(ioas);
	CU_ASSERT_EQUAL(ranges_of(ioas, out, 8), 2);
	CU_ASSERT_EQUAL(out[1].start, 1201);

	/* ranges sharing one address form one group; touching ones do not */
	CU_ASSERT_EQUAL(uiommu_ioas_reserve(ioas, 5000, 5100, &e), 0);
	CU_ASSERT_EQUAL(uiommu_ioas_reserve(ioas, 5100, 5200, &e), 0);
	CU_ASSERT_EQUAL(uiommu_ioas_reserve(ioas, 5201, 5300, &e), 0);
	CHECK_IOAS(ioas);
	CU_ASSERT_EQUAL(ranges_of(ioas, out, 8), 3);
	CU_ASSERT_EQUAL(out[1].last, 4999);
	CU_ASSERT_EQUAL(out[2].start, 5301);
	CU_ASSERT_EQUAL(uiommu_ioas_unreserve(ioas, &e), 3);
	CHECK_IOAS(ioas);

	/* reserving everything leaves no range and no hole */
	CU_ASSERT_EQUAL(uiommu_ioas_unmap_all(ioas, NULL), 0);
	CU_ASSERT_EQUAL(uiommu_ioas_reserve(ioas, 0, UINT64_MAX, &d), 0);
	CHECK_IOAS(ioas);
	CU_ASSERT_EQUAL(ranges_of(ioas, out, 8), 0);
	CU_ASSERT_EQUAL(uiommu_ioas_map(ioas, 0, 1, &iova, RW, NULL), -ENOSPC);
	CU_ASSERT_EQUAL(map_fixed(ioas, 0, 1, UINT64_MAX), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_ioas_unreserve(ioas, &d), 2);
	CHECK_IOAS(ioas);

	/* the table is bounded */
	for (uint64_t i = 0; i < UIOMMU_IOAS_MAX_RESERVED - 3; i++)
		CU_ASSERT_EQUAL(uiommu_ioas_reserve(ioas, 1ULL << 40 | i,
						    1ULL << 40 | i, &d), 0);
	CU_ASSERT_EQUAL(uiommu_ioas_reserve(ioas, 1, 1, &d), -ENOSPC);
	CHECK_IOAS(ioas);
	CU_ASSERT_EQUAL(uiommu_ioas_unreserve(ioas, &d),
			UIOMMU_IOAS_MAX_RESERVED - 3);
	CHECK_IOAS(ioas);
	uiommu_ioas_destroy(ioas);
}

/* iommufd selftest item 15, "copy_area", plus the copy rules */
static void
test_copy(void)
{
	struct uiommu_ioas *src = new_ioas(), *dst = new_ioas();
	struct uiommu_ioas_area_info info;
	int own1, own2;
	uint64_t iova, d, len;

	iova = BASE;
	CU_ASSERT_EQUAL(uiommu_ioas_map(src, 0x100000, 4 * PAGE, &iova,
					FIXED | RW, &own1), 0);
	/* within one IOAS */
	CU_ASSERT_EQUAL(uiommu_ioas_copy(src, src, BASE, 4 * PAGE, &d, RO), 0);
	CU_ASSERT_EQUAL(uiommu_ioas_lookup(src, d, &info), 0);
	CU_ASSERT_EQUAL(info.iova, d);
	CU_ASSERT_EQUAL(info.last, d + 4 * PAGE - 1);
	CU_ASSERT_EQUAL(info.backing, 0x100000);
	CU_ASSERT_EQUAL(info.prot, RO);
	CU_ASSERT_PTR_EQUAL(info.owner, &own1);
	/* across IOASes, a sub-range, fixed */
	d = 7 * PAGE;
	CU_ASSERT_EQUAL(uiommu_ioas_copy(dst, src, BASE + PAGE, 2 * PAGE, &d,
					 FIXED | RW), 0);
	CU_ASSERT_EQUAL(d, 7 * PAGE);
	CU_ASSERT_EQUAL(uiommu_ioas_lookup(dst, 9 * PAGE - 1, &info), 0);
	CU_ASSERT_EQUAL(info.iova, 7 * PAGE);
	CU_ASSERT_EQUAL(info.backing, 0x100000 + PAGE);
	CU_ASSERT_EQUAL(info.prot, RW);
	/* the copy outlives its source */
	CU_ASSERT_EQUAL(uiommu_ioas_unmap(src, BASE, 4 * PAGE, &len), 0);
	CU_ASSERT_EQUAL(len, 4 * PAGE);
	CU_ASSERT_EQUAL(uiommu_ioas_lookup(dst, 7 * PAGE, NULL), 0);
	CU_ASSERT_EQUAL(uiommu_ioas_unmap_all(dst, NULL), 0);
	CU_ASSERT_EQUAL(uiommu_ioas_unmap_all(src, NULL), 0);

	/* two adjacent areas with unrelated backings: two pieces */
	iova = BASE;
	CU_ASSERT_EQUAL(uiommu_ioas_map(src, 0x100000, 2 * PAGE, &iova,
					FIXED | RW, &own1), 0);
	iova = BASE + 2 * PAGE;
	CU_ASSERT_EQUAL(uiommu_ioas_map(src, 0x900000, 2 * PAGE, &iova,
					FIXED | RO, &own2), 0);
	CU_ASSERT_EQUAL(uiommu_ioas_copy(dst, src, BASE + PAGE + 16, 2 * PAGE,
					 &d, RO), 0);
	CU_ASSERT_EQUAL(uiommu_ioas_num_areas(dst), 2);
	CU_ASSERT_EQUAL(d % PAGE, 16); /* page offset of backing 0x101010 */
	CU_ASSERT_EQUAL(uiommu_ioas_lookup(dst, d, &info), 0);
	CU_ASSERT_EQUAL(info.last, d + PAGE - 16 - 1);
	CU_ASSERT_EQUAL(info.backing, 0x100000 + PAGE + 16);
	CU_ASSERT_PTR_EQUAL(info.owner, &own1);
	CU_ASSERT_EQUAL(uiommu_ioas_lookup(dst, d + 2 * PAGE - 1, &info), 0);
	CU_ASSERT_EQUAL(info.iova, d + PAGE - 16);
	CU_ASSERT_EQUAL(info.backing, 0x900000);
	CU_ASSERT_EQUAL(info.last, d + 2 * PAGE - 1);
	CU_ASSERT_PTR_EQUAL(info.owner, &own2);
	CHECK_IOAS(dst);

	/* WRITEABLE needs writeable source areas */
	CU_ASSERT_EQUAL(uiommu_ioas_copy(dst, src, BASE, 4 * PAGE, &d, RW),
			-EPERM);
	CU_ASSERT_EQUAL(uiommu_ioas_copy(dst, src, BASE, 2 * PAGE, &d, RW), 0);
	/* gaps and holes */
	CU_ASSERT_EQUAL(uiommu_ioas_copy(dst, src, BASE - 1, 2, &d, RO),
			-ENOENT);
	CU_ASSERT_EQUAL(uiommu_ioas_copy(dst, src, BASE + 4 * PAGE - 1, 2, &d,
					 RO), -ENOENT);
	CU_ASSERT_EQUAL(uiommu_ioas_copy(dst, src, 0, PAGE, &d, RO), -ENOENT);
	CU_ASSERT_EQUAL(uiommu_ioas_reserve(src, BASE + 4 * PAGE,
					    BASE + 5 * PAGE - 1, NULL), 0);
	iova = BASE + 5 * PAGE;
	CU_ASSERT_EQUAL(uiommu_ioas_map(src, 0, PAGE, &iova, FIXED | RW, NULL),
			0);
	CU_ASSERT_EQUAL(uiommu_ioas_copy(dst, src, BASE, 6 * PAGE, &d, RO),
			-ENOENT);
	/* argument errors */
	CU_ASSERT_EQUAL(uiommu_ioas_copy(dst, src, BASE, PAGE, &d, RO | 8),
			-EOPNOTSUPP);
	CU_ASSERT_EQUAL(uiommu_ioas_copy(dst, src, BASE, PAGE, &d, FIXED),
			-EINVAL);
	CU_ASSERT_EQUAL(uiommu_ioas_copy(dst, src, BASE, 0, &d, RO), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_ioas_copy(dst, src, UINT64_MAX, 2, &d, RO),
			-EOVERFLOW);
	CU_ASSERT_EQUAL(uiommu_ioas_copy(NULL, src, BASE, PAGE, &d, RO),
			-EINVAL);
	CU_ASSERT_EQUAL(uiommu_ioas_copy(dst, NULL, BASE, PAGE, &d, RO),
			-EINVAL);
	CU_ASSERT_EQUAL(uiommu_ioas_copy(dst, src, BASE, PAGE, NULL, RO),
			-EINVAL);
	/* destination conflicts */
	len = uiommu_ioas_num_areas(dst);
	d = 7 * PAGE;
	CU_ASSERT_EQUAL(map_fixed(dst, 0, PAGE, 8 * PAGE), 0);
	CU_ASSERT_EQUAL(uiommu_ioas_copy(dst, src, BASE, 2 * PAGE, &d,
					 FIXED | RO), -EEXIST);
	CU_ASSERT_EQUAL(uiommu_ioas_reserve(dst, 6 * PAGE, 7 * PAGE - 1, NULL),
			0);
	d = 6 * PAGE;
	CU_ASSERT_EQUAL(uiommu_ioas_copy(dst, src, BASE, 2 * PAGE, &d,
					 FIXED | RO), -EINVAL);
	CU_ASSERT_EQUAL(d, 6 * PAGE);
	CU_ASSERT_EQUAL(uiommu_ioas_num_areas(dst), len + 1);
	CHECK_IOAS(dst);
	uiommu_ioas_destroy(dst);
	/* destination alignment: every piece must be aligned too */
	dst = new_ioas();
	CU_ASSERT_EQUAL(uiommu_ioas_set_alignment(dst, PAGE), 0);
	CU_ASSERT_EQUAL(uiommu_ioas_copy(dst, src, BASE + 16, PAGE, &d, RO),
			-EINVAL);
	CU_ASSERT_EQUAL(uiommu_ioas_copy(dst, src, BASE + PAGE, 2 * PAGE, &d,
					 RO), 0);
	CU_ASSERT_EQUAL(d, PAGE);
	CU_ASSERT_EQUAL(uiommu_ioas_num_areas(dst), 2);
	CHECK_IOAS(src);
	CHECK_IOAS(dst);
	uiommu_ioas_destroy(src);
	uiommu_ioas_destroy(dst);
}

/* iommufd selftest item 16, "iova_ranges" */
static void
test_iova_ranges(void)
{
	struct uiommu_ioas *ioas = new_ioas();
	struct uiommu_range out[4], allow[2];
	uint64_t align = 0;
	uint32_t num;

	num = 1;
	CU_ASSERT_EQUAL(uiommu_ioas_iova_ranges(ioas, out, &num, &align), 0);
	CU_ASSERT_EQUAL(num, 1);
	CU_ASSERT_EQUAL(out[0].start, 0);
	CU_ASSERT_EQUAL(out[0].last, UINT64_MAX);
	CU_ASSERT_EQUAL(align, 1);
	/* num = 0: EMSGSIZE with the count */
	num = 0;
	align = 0;
	CU_ASSERT_EQUAL(uiommu_ioas_iova_ranges(ioas, NULL, &num, &align),
			-EMSGSIZE);
	CU_ASSERT_EQUAL(num, 1);
	CU_ASSERT_EQUAL(align, 1);
	/* a reserved page splits it in two */
	CU_ASSERT_EQUAL(uiommu_ioas_reserve(ioas, PAGE, 2 * PAGE - 1, NULL), 0);
	num = 4;
	CU_ASSERT_EQUAL(uiommu_ioas_iova_ranges(ioas, out, &num, NULL), 0);
	CU_ASSERT_EQUAL(num, 2);
	CU_ASSERT_EQUAL(out[0].start, 0);
	CU_ASSERT_EQUAL(out[0].last, PAGE - 1);
	CU_ASSERT_EQUAL(out[1].start, 2 * PAGE);
	CU_ASSERT_EQUAL(out[1].last, UINT64_MAX);
	/* a one-entry buffer: EMSGSIZE, entry 0 filled */
	memset(out, 0, sizeof(out));
	num = 1;
	CU_ASSERT_EQUAL(uiommu_ioas_iova_ranges(ioas, out, &num, NULL),
			-EMSGSIZE);
	CU_ASSERT_EQUAL(num, 2);
	CU_ASSERT_EQUAL(out[0].start, 0);
	CU_ASSERT_EQUAL(out[0].last, PAGE - 1);
	CU_ASSERT_EQUAL(out[1].last, 0);
	/* the top of the space */
	CU_ASSERT_EQUAL(uiommu_ioas_reserve(ioas, UINT64_MAX - PAGE + 1,
					    UINT64_MAX, NULL), 0);
	num = 4;
	CU_ASSERT_EQUAL(uiommu_ioas_iova_ranges(ioas, out, &num, NULL), 0);
	CU_ASSERT_EQUAL(num, 2);
	CU_ASSERT_EQUAL(out[1].last, UINT64_MAX - PAGE);
	/* intersected with the allowed ranges */
	allow[0].start = 20 * PAGE;
	allow[0].last = 30 * PAGE - 1;
	allow[1].start = 5 * PAGE;
	allow[1].last = 10 * PAGE - 1;
	CU_ASSERT_EQUAL(uiommu_ioas_allow_iovas(ioas, allow, 2), 0);
	num = 4;
	CU_ASSERT_EQUAL(uiommu_ioas_iova_ranges(ioas, out, &num, NULL), 0);
	CU_ASSERT_EQUAL(num, 2);
	CU_ASSERT_EQUAL(out[0].start, 5 * PAGE);
	CU_ASSERT_EQUAL(out[0].last, 10 * PAGE - 1);
	CU_ASSERT_EQUAL(out[1].start, 20 * PAGE);
	CU_ASSERT_EQUAL(out[1].last, 30 * PAGE - 1);
	/* the alignment is reported */
	CU_ASSERT_EQUAL(uiommu_ioas_set_alignment(ioas, 2048), 0);
	num = 4;
	CU_ASSERT_EQUAL(uiommu_ioas_iova_ranges(ioas, out, &num, &align), 0);
	CU_ASSERT_EQUAL(align, 2048);
	/* argument errors */
	CU_ASSERT_EQUAL(uiommu_ioas_iova_ranges(ioas, out, NULL, NULL),
			-EINVAL);
	num = 1;
	CU_ASSERT_EQUAL(uiommu_ioas_iova_ranges(ioas, NULL, &num, NULL),
			-EINVAL);
	CU_ASSERT_EQUAL(uiommu_ioas_iova_ranges(NULL, out, &num, NULL),
			-EINVAL);
	uiommu_ioas_destroy(ioas);
}

/* iommufd selftest item 21, "ioas_iova_alloc" */
static void
test_iova_alloc_lengths(void)
{
	const uint64_t aligns[] = { 1, 2048 };

	for (size_t k = 0; k < RTE_DIM(aligns); k++) {
		struct uiommu_ioas *ioas = new_ioas();
		uint64_t length, iova, len;

		CU_ASSERT_EQUAL(uiommu_ioas_set_alignment(ioas, aligns[k]), 0);
		for (length = 1; length != PAGE * 2; length++) {
			int rc = uiommu_ioas_map(ioas, 0x200000, length, &iova,
						 RW, NULL);

			if (length % aligns[k] != 0) {
				CU_ASSERT_EQUAL(rc, -EINVAL);
				continue;
			}
			CU_ASSERT_EQUAL(rc, 0);
			CU_ASSERT_EQUAL(iova % pow2_ceil(length), 0);
			CU_ASSERT_TRUE(iova >= PAGE);
			CU_ASSERT_EQUAL(uiommu_ioas_unmap(ioas, iova, length,
							  &len), 0);
			CU_ASSERT_EQUAL(len, length);
		}
		CU_ASSERT_EQUAL(uiommu_ioas_num_areas(ioas), 0);
		CHECK_IOAS(ioas);
		uiommu_ioas_destroy(ioas);
	}
}

/* iommufd selftest item 22, "ioas_align_change" */
static void
test_align_change(void)
{
	struct uiommu_ioas *ioas = new_ioas();

	CU_ASSERT_EQUAL(uiommu_ioas_set_alignment(ioas, 2048), 0);
	/* 2048-aligned but not page aligned */
	CU_ASSERT_EQUAL(map_fixed(ioas, 0, PAGE, BASE + 2048), 0);
	CU_ASSERT_EQUAL(uiommu_ioas_set_alignment(ioas, PAGE), -EADDRINUSE);
	CU_ASSERT_EQUAL(uiommu_ioas_alignment(ioas), 2048);
	CU_ASSERT_EQUAL(uiommu_ioas_unmap(ioas, BASE + 2048, PAGE, NULL), 0);
	CU_ASSERT_EQUAL(uiommu_ioas_set_alignment(ioas, PAGE), 0);
	CU_ASSERT_EQUAL(uiommu_ioas_alignment(ioas), PAGE);
	/* fixed maps must now be aligned in IOVA, length and backing */
	CU_ASSERT_EQUAL(map_fixed(ioas, 0, PAGE, BASE + 2048), -EINVAL);
	CU_ASSERT_EQUAL(map_fixed(ioas, 0, 2048, BASE), -EINVAL);
	CU_ASSERT_EQUAL(map_fixed(ioas, 2048, PAGE, BASE), -EINVAL);
	CU_ASSERT_EQUAL(map_fixed(ioas, PAGE, PAGE, BASE), 0);
	/* lowering always works; a misaligned length or backing blocks raising */
	CU_ASSERT_EQUAL(uiommu_ioas_set_alignment(ioas, 1), 0);
	CU_ASSERT_EQUAL(map_fixed(ioas, 0, PAGE + 2048, BASE + PAGE), 0);
	CU_ASSERT_EQUAL(uiommu_ioas_set_alignment(ioas, PAGE), -EADDRINUSE);
	CU_ASSERT_EQUAL(uiommu_ioas_set_alignment(ioas, 2048), 0);
	CU_ASSERT_EQUAL(uiommu_ioas_unmap(ioas, BASE + PAGE, PAGE + 2048,
					  NULL), 0);
	CU_ASSERT_EQUAL(uiommu_ioas_set_alignment(ioas, 1), 0);
	CU_ASSERT_EQUAL(map_fixed(ioas, 2048, PAGE, BASE + 4 * PAGE), 0);
	CU_ASSERT_EQUAL(uiommu_ioas_set_alignment(ioas, PAGE), -EADDRINUSE);
	CU_ASSERT_EQUAL(uiommu_ioas_alignment(ioas), 1);
	/* bad values */
	CU_ASSERT_EQUAL(uiommu_ioas_set_alignment(ioas, 0), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_ioas_set_alignment(ioas, 3), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_ioas_set_alignment(ioas, 2 * PAGE), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_ioas_set_alignment(NULL, PAGE), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_ioas_alignment(NULL), 0);
	CHECK_IOAS(ioas);
	uiommu_ioas_destroy(ioas);
}

/* iommufd selftest item 23, "copy_sweep" */
static void
test_copy_sweep(void)
{
	struct uiommu_ioas *src = new_ioas(), *dst = new_ioas();
	const uint64_t start = BASE, span = 8 * PAGE;
	const uint64_t lens[] = { 1, 511, PAGE, 3 * PAGE + 7 };
	uint64_t iova, off;

	/* two adjacent areas, to cross an area boundary */
	iova = start;
	CU_ASSERT_EQUAL(uiommu_ioas_map(src, 0x400000, span / 2, &iova,
					FIXED | RW, NULL), 0);
	iova = start + span / 2;
	CU_ASSERT_EQUAL(uiommu_ioas_map(src, 0x400000 + span / 2, span / 2,
					&iova, FIXED | RW, NULL), 0);
	for (off = start - 4 * PAGE; off < start + span + 4 * PAGE;
	     off += 511) {
		for (size_t k = 0; k < RTE_DIM(lens); k++) {
			uint64_t len = lens[k], d = 0, got;
			struct uiommu_ioas_area_info info;
			int rc = uiommu_ioas_copy(dst, src, off, len, &d, RW);

			if (off < start || off + len > start + span) {
				CU_ASSERT_EQUAL(rc, -ENOENT);
				continue;
			}
			CU_ASSERT_EQUAL(rc, 0);
			CU_ASSERT_EQUAL(uiommu_ioas_lookup(dst, d, &info), 0);
			CU_ASSERT_EQUAL(info.backing, 0x400000 + off - start);
			CU_ASSERT_EQUAL(uiommu_ioas_lookup(dst, d + len - 1,
							   &info), 0);
			CU_ASSERT_EQUAL(info.backing + (d + len - 1 - info.iova),
					0x400000 + off + len - 1 - start);
			CU_ASSERT_EQUAL(uiommu_ioas_unmap(dst, d, len, &got), 0);
			CU_ASSERT_EQUAL(got, len);
		}
	}
	CU_ASSERT_EQUAL(uiommu_ioas_num_areas(dst), 0);
	CHECK_IOAS(dst);
	uiommu_ioas_destroy(src);
	uiommu_ioas_destroy(dst);
}

/* The first and last addresses of the 64-bit space. */
static void
test_space_edges(void)
{
	struct uiommu_ioas *ioas = new_ioas();
	struct uiommu_ioas_area_info info;
	uint64_t len;

	CU_ASSERT_EQUAL(map_fixed(ioas, 0x7000, PAGE, UINT64_MAX - PAGE + 1),
			0);
	CU_ASSERT_EQUAL(uiommu_ioas_lookup(ioas, UINT64_MAX, &info), 0);
	CU_ASSERT_EQUAL(info.iova, UINT64_MAX - PAGE + 1);
	CU_ASSERT_EQUAL(info.last, UINT64_MAX);
	CU_ASSERT_EQUAL(map_fixed(ioas, 0, 1, UINT64_MAX), -EEXIST);
	CU_ASSERT_EQUAL(uiommu_ioas_unmap(ioas, UINT64_MAX - PAGE + 1, PAGE,
					  &len), 0);
	CU_ASSERT_EQUAL(len, PAGE);
	/* one byte at UINT64_MAX */
	CU_ASSERT_EQUAL(map_fixed(ioas, 0, 1, UINT64_MAX), 0);
	CU_ASSERT_EQUAL(map_fixed(ioas, 0, 2, UINT64_MAX), -EOVERFLOW);
	CU_ASSERT_EQUAL(uiommu_ioas_lookup(ioas, UINT64_MAX, &info), 0);
	CU_ASSERT_EQUAL(uiommu_ioas_lookup(ioas, UINT64_MAX - 1, NULL),
			-ENOENT);
	CU_ASSERT_EQUAL(uiommu_ioas_unmap(ioas, UINT64_MAX, 1, &len), 0);
	CU_ASSERT_EQUAL(len, 1);
	/* address 0 */
	CU_ASSERT_EQUAL(map_fixed(ioas, 0, PAGE, 0), 0);
	CU_ASSERT_EQUAL(uiommu_ioas_lookup(ioas, 0, &info), 0);
	CU_ASSERT_EQUAL(info.iova, 0);
	CU_ASSERT_EQUAL(uiommu_ioas_unmap(ioas, 0, 1, NULL), -ENOENT);
	CU_ASSERT_EQUAL(uiommu_ioas_unmap(ioas, 0, PAGE, &len), 0);
	/* the whole space in two halves: the byte count saturates */
	CU_ASSERT_EQUAL(map_fixed(ioas, 0, 1ULL << 63, 0), 0);
	CU_ASSERT_EQUAL(map_fixed(ioas, 0, 1ULL << 63, 1ULL << 63), 0);
	CU_ASSERT_EQUAL(uiommu_ioas_lookup(ioas, UINT64_MAX, NULL), 0);
	CU_ASSERT_EQUAL(uiommu_ioas_lookup(ioas, 0, NULL), 0);
	CHECK_IOAS(ioas);
	CU_ASSERT_EQUAL(uiommu_ioas_unmap_all(ioas, &len), 0);
	CU_ASSERT_EQUAL(len, UINT64_MAX);
	/* length UINT64_MAX from 0 is [0, UINT64_MAX - 1] */
	CU_ASSERT_EQUAL(map_fixed(ioas, 0, UINT64_MAX, 0), 0);
	CU_ASSERT_EQUAL(uiommu_ioas_lookup(ioas, UINT64_MAX, NULL), -ENOENT);
	CU_ASSERT_EQUAL(map_fixed(ioas, 0, 1, UINT64_MAX), 0);
	CU_ASSERT_EQUAL(uiommu_ioas_unmap(ioas, 0, UINT64_MAX, &len), 0);
	CU_ASSERT_EQUAL(len, UINT64_MAX);
	CHECK_IOAS(ioas);
	uiommu_ioas_destroy(ioas);
}

/* The per-IOAS bound on areas (a client's maps are hostile input). */
static void
test_max_areas(void)
{
	struct uiommu_ioas *ioas = new_ioas();
	uint64_t iova, i;

	CU_ASSERT_EQUAL(uiommu_ioas_set_max_areas(ioas, 3), 0);
	for (i = 0; i < 3; i++)
		CU_ASSERT_EQUAL(map_fixed(ioas, 0, PAGE, (10 + i) * PAGE), 0);
	CU_ASSERT_EQUAL(map_fixed(ioas, 0, PAGE, 20 * PAGE), -ENOSPC);
	CU_ASSERT_EQUAL(uiommu_ioas_map(ioas, 0, PAGE, &iova, RW, NULL),
			-ENOSPC);
	/* other errors come first */
	CU_ASSERT_EQUAL(map_fixed(ioas, 0, PAGE, 10 * PAGE), -EEXIST);
	CU_ASSERT_EQUAL(uiommu_ioas_unmap(ioas, 10 * PAGE, PAGE, NULL), 0);
	CU_ASSERT_EQUAL(uiommu_ioas_set_max_areas(ioas, 4), 0);
	/* a copy of 2 pieces needs 2 free slots */
	CU_ASSERT_EQUAL(uiommu_ioas_copy(ioas, ioas, 11 * PAGE, 2 * PAGE,
					 &iova, RW), 0);
	CU_ASSERT_EQUAL(uiommu_ioas_copy(ioas, ioas, 11 * PAGE, 2 * PAGE,
					 &iova, RW), -ENOSPC);
	/* lowering below the count keeps the areas */
	CU_ASSERT_EQUAL(uiommu_ioas_set_max_areas(ioas, 1), 0);
	CU_ASSERT_EQUAL(uiommu_ioas_num_areas(ioas), 4);
	CU_ASSERT_EQUAL(uiommu_ioas_copy(ioas, ioas, 11 * PAGE, PAGE, &iova,
					 RW), -ENOSPC);
	CHECK_IOAS(ioas);
	CU_ASSERT_EQUAL(uiommu_ioas_set_max_areas(ioas, 0), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_ioas_set_max_areas(ioas,
					UIOMMU_IOAS_MAX_AREAS + 1), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_ioas_set_max_areas(NULL, 1), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_ioas_set_max_areas(ioas,
					UIOMMU_IOAS_MAX_AREAS), 0);
	uiommu_ioas_destroy(ioas);
}

struct walk {
	struct uiommu_ioas_area_info seen[8];
	int n;
	int stop_at;
};

static int
walk_cb(const struct uiommu_ioas_area_info *info, void *arg)
{
	struct walk *w = arg;

	if (w->n < 8)
		w->seen[w->n] = *info;
	w->n++;
	return w->n == w->stop_at ? 42 : 0;
}

static void
test_lookup_foreach(void)
{
	struct uiommu_ioas *ioas = new_ioas();
	struct uiommu_ioas_area_info info;
	struct walk w = { .n = 0 };
	int o1, o2, o3;
	uint64_t iova;

	iova = 3 * PAGE;
	CU_ASSERT_EQUAL(uiommu_ioas_map(ioas, 0xa000, PAGE, &iova, FIXED | RO,
					&o3), 0);
	iova = PAGE;
	CU_ASSERT_EQUAL(uiommu_ioas_map(ioas, 0xb000, PAGE, &iova,
					FIXED | UIOMMU_IOAS_MAP_WRITEABLE, &o1),
			0);
	iova = 2 * PAGE;
	CU_ASSERT_EQUAL(uiommu_ioas_map(ioas, 0xc000, 16, &iova, FIXED | RW,
					&o2), 0);
	CU_ASSERT_EQUAL(uiommu_ioas_reserve(ioas, 10 * PAGE, 11 * PAGE, NULL),
			0);
	CU_ASSERT_EQUAL(uiommu_ioas_lookup(ioas, 2 * PAGE + 15, &info), 0);
	CU_ASSERT_EQUAL(info.iova, 2 * PAGE);
	CU_ASSERT_EQUAL(info.last, 2 * PAGE + 15);
	CU_ASSERT_EQUAL(info.backing, 0xc000);
	CU_ASSERT_EQUAL(info.prot, RW);
	CU_ASSERT_PTR_EQUAL(info.owner, &o2);
	CU_ASSERT_EQUAL(uiommu_ioas_lookup(ioas, 2 * PAGE + 16, &info),
			-ENOENT);
	CU_ASSERT_EQUAL(uiommu_ioas_lookup(ioas, 10 * PAGE, &info), -ENOENT);
	CU_ASSERT_EQUAL(uiommu_ioas_lookup(ioas, 0, &info), -ENOENT);
	CU_ASSERT_EQUAL(uiommu_ioas_lookup(NULL, 0, &info), -EINVAL);

	CU_ASSERT_EQUAL(uiommu_ioas_foreach(ioas, 0, UINT64_MAX, walk_cb, &w),
			0);
	CU_ASSERT_EQUAL(w.n, 3);
	CU_ASSERT_EQUAL(w.seen[0].iova, PAGE);
	CU_ASSERT_EQUAL(w.seen[0].prot, UIOMMU_IOAS_MAP_WRITEABLE);
	CU_ASSERT_PTR_EQUAL(w.seen[0].owner, &o1);
	CU_ASSERT_EQUAL(w.seen[1].iova, 2 * PAGE);
	CU_ASSERT_EQUAL(w.seen[2].iova, 3 * PAGE);
	CU_ASSERT_EQUAL(w.seen[2].backing, 0xa000);
	/* partial range and early stop */
	memset(&w, 0, sizeof(w));
	CU_ASSERT_EQUAL(uiommu_ioas_foreach(ioas, 2 * PAGE - 1, 2 * PAGE,
					    walk_cb, &w), 0);
	CU_ASSERT_EQUAL(w.n, 2);
	memset(&w, 0, sizeof(w));
	w.stop_at = 2;
	CU_ASSERT_EQUAL(uiommu_ioas_foreach(ioas, 0, UINT64_MAX, walk_cb, &w),
			42);
	CU_ASSERT_EQUAL(w.n, 2);
	memset(&w, 0, sizeof(w));
	CU_ASSERT_EQUAL(uiommu_ioas_foreach(ioas, 4 * PAGE, UINT64_MAX,
					    walk_cb, &w), 0);
	CU_ASSERT_EQUAL(w.n, 0);
	CU_ASSERT_EQUAL(uiommu_ioas_foreach(ioas, 2, 1, walk_cb, &w), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_ioas_foreach(ioas, 0, 1, NULL, &w), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_ioas_foreach(NULL, 0, 1, walk_cb, &w), -EINVAL);
	uiommu_ioas_destroy(ioas);
}

#ifdef UIOMMU_FAULT_INJECTION
/* Fail each allocation in turn: -ENOMEM, nothing changed, nothing leaked. */
static void
test_fault_injection(void)
{
	struct uiommu_ioas *ioas = NULL, *src = new_ioas();
	struct uiommu_range r = { 100 * PAGE, 200 * PAGE - 1 };
	uint64_t iova, n;
	int rc;

	for (uint64_t i = 0; i < 4; i++) {
		iova = BASE + i * PAGE;
		CU_ASSERT_EQUAL(uiommu_ioas_map(src, 0, PAGE, &iova,
						FIXED | RW, NULL), 0);
	}
	uiommu_fail_nth_set(1);
	CU_ASSERT_EQUAL(uiommu_ioas_create(&ioas), -ENOMEM);
	CU_ASSERT_PTR_NULL(ioas);
	uiommu_fail_nth_set(0);
	ioas = new_ioas();
	for (n = 1;; n++) {
		uiommu_fail_nth_set(n);
		rc = uiommu_ioas_copy(ioas, src, BASE, 4 * PAGE, &iova, RW);
		if (!uiommu_fail_fired())
			break;
		CU_ASSERT_EQUAL(rc, -ENOMEM);
		CU_ASSERT_EQUAL(uiommu_ioas_num_areas(ioas), 0);
	}
	uiommu_fail_nth_set(0);
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT_EQUAL(n, 6); /* the array and four areas */
	CU_ASSERT_EQUAL(uiommu_ioas_num_areas(ioas), 4);
	uiommu_fail_nth_set(1);
	CU_ASSERT_EQUAL(uiommu_ioas_map(ioas, 0, PAGE, &iova, RW, NULL),
			-ENOMEM);
	uiommu_fail_nth_set(1);
	CU_ASSERT_EQUAL(uiommu_ioas_allow_iovas(ioas, &r, 1), -ENOMEM);
	uiommu_fail_nth_set(1);
	CU_ASSERT_EQUAL(uiommu_ioas_reserve(ioas, 0, 0, NULL), -ENOMEM);
	uiommu_fail_nth_set(0);
	CU_ASSERT_EQUAL(uiommu_ioas_num_areas(ioas), 4);
	CHECK_IOAS(ioas);
	uiommu_ioas_destroy(ioas);
	uiommu_ioas_destroy(src);
}
#endif

/* ---------------------------------------------------------------------- */
/* Naive model for the randomized test                                    */
/* ---------------------------------------------------------------------- */

struct marea {
	uint64_t start, last, backing;
	void *owner;
	uint32_t prot;
};

struct mresv {
	uint64_t start, last;
	void *owner;
};

struct mstate {
	struct uiommu_ioas *ioas;
	struct marea *a;          /* sorted by start */
	size_t n, cap;
	struct mresv r[64];
	size_t nr;
	struct uiommu_range allowed[4]; /* sorted */
	uint32_t nallowed;
	uint64_t align, amax;
};

static void
m_insert(struct mstate *m, const struct marea *x)
{
	size_t i;

	if (m->n == m->cap) {
		m->cap = m->cap ? 2 * m->cap : 256;
		m->a = realloc(m->a, m->cap * sizeof(*m->a));
		UT_ASSERT_FATAL(m->a != NULL);
	}
	for (i = m->n; i > 0 && m->a[i - 1].start > x->start; i--)
		m->a[i] = m->a[i - 1];
	m->a[i] = *x;
	m->n++;
}

static void
m_remove(struct mstate *m, size_t i)
{
	memmove(&m->a[i], &m->a[i + 1], (m->n - i - 1) * sizeof(*m->a));
	m->n--;
}

static bool
ovl(uint64_t a, uint64_t b, uint64_t c, uint64_t d)
{
	return a <= d && c <= b;
}

static bool
m_hits_area(const struct mstate *m, uint64_t s, uint64_t l)
{
	for (size_t i = 0; i < m->n; i++)
		if (ovl(s, l, m->a[i].start, m->a[i].last))
			return true;
	return false;
}

static bool
m_hits_resv(const struct mstate *m, uint64_t s, uint64_t l)
{
	for (size_t i = 0; i < m->nr; i++)
		if (ovl(s, l, m->r[i].start, m->r[i].last))
			return true;
	return false;
}

static int
cmp_range(const void *a, const void *b)
{
	const struct uiommu_range *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* Allocation as documented: windows in order, free runs in order. */
static int
m_alloc(const struct mstate *m, uint64_t backing, uint64_t length,
	uint64_t *iova)
{
	struct uiommu_range *used, win[4];
	uint64_t align, step, phase;
	unsigned int misses = UIOMMU_IOAS_ALLOC_MISS_MAX;
	size_t nu = 0, nw = 0;

	if (length >= UINT64_MAX / 2)
		return -EOVERFLOW;
	align = pow2_ceil(length);
	if (backing != 0 && lowbit(backing) < align)
		align = lowbit(backing);
	if (align > m->amax)
		align = m->amax;
	if (align < m->align)
		return -EINVAL;
	if (backing % PAGE != 0) {
		step = PAGE;
		phase = backing % PAGE;
	} else {
		step = align;
		phase = 0;
	}
	used = malloc((m->n + m->nr + 1) * sizeof(*used));
	UT_ASSERT_FATAL(used != NULL);
	for (size_t i = 0; i < m->n; i++)
		used[nu++] = (struct uiommu_range){ m->a[i].start, m->a[i].last };
	for (size_t i = 0; i < m->nr; i++)
		used[nu++] = (struct uiommu_range){ m->r[i].start, m->r[i].last };
	qsort(used, nu, sizeof(*used), cmp_range);
	if (m->nallowed == 0)
		win[nw++] = (struct uiommu_range){ PAGE, UINT64_MAX - PAGE };
	for (uint32_t i = 0; i < m->nallowed; i++) {
		uint64_t lo = m->allowed[i].start < PAGE ? PAGE :
							   m->allowed[i].start;
		uint64_t hi = m->allowed[i].last > UINT64_MAX - PAGE ?
			      UINT64_MAX - PAGE : m->allowed[i].last;

		if (lo <= hi)
			win[nw++] = (struct uiommu_range){ lo, hi };
	}
	for (size_t w = 0; w < nw; w++) {
		uint64_t lo = win[w].start, hi = win[w].last, pos = 0;
		bool pos_ok = true;

		if (hi - lo < length - 1)
			continue;
		for (size_t i = 0; i <= nu && pos_ok; i++) {
			/* the free run before used[i] (or the tail) */
			unsigned __int128 rs = pos, rl;
			uint64_t a, b, need;
			unsigned __int128 x;

			rl = i < nu ? (unsigned __int128)used[i].start - 1 :
				      UINT64_MAX;
			if (i < nu && used[i].start == 0)
				rl = 0, rs = 1;
			if (i < nu && used[i].last >= pos) {
				if (used[i].last == UINT64_MAX)
					pos_ok = false;
				else
					pos = used[i].last + 1;
			}
			if (rs > rl)
				continue;
			a = rs > lo ? (uint64_t)rs : lo;
			b = rl < hi ? (uint64_t)rl : hi;
			if (a > b)
				continue;
			need = misses > 0 ? length : length + step - 1;
			if (b - a < need - 1)
				continue;
			x = ((unsigned __int128)a / step) * step + phase;
			if (x < a)
				x += step;
			if (x <= b && (unsigned __int128)b - x >= length - 1) {
				*iova = (uint64_t)x;
				free(used);
				return 0;
			}
			if (misses > 0)
				misses--;
		}
	}
	free(used);
	return -ENOSPC;
}

static int
m_fixed(const struct mstate *m, uint64_t iova, uint64_t length)
{
	uint64_t last;

	if (iova % m->align != 0)
		return -EINVAL;
	if (__builtin_add_overflow(iova, length - 1, &last))
		return -EOVERFLOW;
	if (m_hits_resv(m, iova, last))
		return -EINVAL;
	if (m_hits_area(m, iova, last))
		return -EEXIST;
	return 0;
}

static int
m_flags(uint32_t flags)
{
	if (flags & ~(uint32_t)UIOMMU_IOAS_MAP_FLAGS_MASK)
		return -EOPNOTSUPP;
	if (!(flags & RW))
		return -EINVAL;
	return 0;
}

static int
m_map(struct mstate *m, uint64_t backing, uint64_t length, uint64_t *iova,
      uint32_t flags, void *owner)
{
	uint64_t v = *iova, tmp;
	int rc = m_flags(flags);

	if (rc != 0)
		return rc;
	if (length == 0)
		return -EINVAL;
	if (__builtin_add_overflow(backing, length - 1, &tmp))
		return -EOVERFLOW;
	if (length % m->align || backing % m->align)
		return -EINVAL;
	rc = (flags & FIXED) ? m_fixed(m, v, length) :
			       m_alloc(m, backing, length, &v);
	if (rc != 0)
		return rc;
	m_insert(m, &(struct marea){ v, v + length - 1, backing, owner,
				     flags & RW });
	*iova = v;
	return 0;
}

static uint64_t
sat_add(uint64_t a, uint64_t b)
{
	return a + b < a ? UINT64_MAX : a + b;
}

static int
m_unmap(struct mstate *m, uint64_t iova, uint64_t length, uint64_t *bytes)
{
	uint64_t last, sum = 0;
	size_t i, hits = 0;

	*bytes = 0;
	if (iova == 0 && length == UINT64_MAX) {
		for (i = 0; i < m->n; i++)
			sum = sat_add(sum, m->a[i].last - m->a[i].start + 1);
		m->n = 0;
		*bytes = sum;
		return 0;
	}
	if (length == 0)
		return -EINVAL;
	if (__builtin_add_overflow(iova, length - 1, &last))
		return -EOVERFLOW;
	for (i = 0; i < m->n; i++) {
		if (!ovl(iova, last, m->a[i].start, m->a[i].last))
			continue;
		if (m->a[i].start < iova || m->a[i].last > last)
			return -ENOENT;
		hits++;
	}
	if (hits == 0)
		return -ENOENT;
	for (i = 0; i < m->n;) {
		if (ovl(iova, last, m->a[i].start, m->a[i].last)) {
			sum = sat_add(sum, m->a[i].last - m->a[i].start + 1);
			m_remove(m, i);
		} else {
			i++;
		}
	}
	*bytes = sum;
	return 0;
}

static int
m_copy(struct mstate *dst, const struct mstate *src, uint64_t src_iova,
       uint64_t length, uint64_t *dst_iova, uint32_t flags)
{
	struct marea *pieces;
	uint64_t slast, expect = src_iova, v = *dst_iova;
	size_t k = 0;
	bool covered = false, perm = false, mis = false;
	int rc = m_flags(flags);

	if (rc != 0)
		return rc;
	if (length == 0)
		return -EINVAL;
	if (__builtin_add_overflow(src_iova, length - 1, &slast))
		return -EOVERFLOW;
	pieces = malloc((src->n + 1) * sizeof(*pieces));
	UT_ASSERT_FATAL(pieces != NULL);
	for (size_t i = 0; i < src->n && !covered; i++) {
		const struct marea *a = &src->a[i];
		uint64_t ps, pl;

		if (a->last < expect)
			continue;
		if (a->start > expect)
			break;
		ps = a->start > src_iova ? a->start : src_iova;
		pl = a->last < slast ? a->last : slast;
		pieces[k] = (struct marea){ ps - src_iova, pl - src_iova,
					    a->backing + (ps - a->start),
					    a->owner, flags & RW };
		if ((flags & UIOMMU_IOAS_MAP_WRITEABLE) &&
		    !(a->prot & UIOMMU_IOAS_MAP_WRITEABLE))
			perm = true;
		if ((ps - src_iova) % dst->align || (pl - ps + 1) % dst->align ||
		    pieces[k].backing % dst->align)
			mis = true;
		k++;
		if (pl == slast)
			covered = true;
		else
			expect = pl + 1;
	}
	if (!covered)
		rc = -ENOENT;
	else if (perm)
		rc = -EPERM;
	else if (mis)
		rc = -EINVAL;
	else if (flags & FIXED)
		rc = m_fixed(dst, v, length);
	else
		rc = m_alloc(dst, pieces[0].backing, length, &v);
	if (rc == 0) {
		for (size_t i = 0; i < k; i++) {
			pieces[i].start += v;
			pieces[i].last += v;
			m_insert(dst, &pieces[i]);
		}
		*dst_iova = v;
	}
	free(pieces);
	return rc;
}

static int
m_allow(struct mstate *m, const struct uiommu_range *r, uint32_t n)
{
	struct uiommu_range s[4];

	for (uint32_t i = 0; i < n; i++)
		if (r[i].start >= r[i].last)
			return -EINVAL;
	memcpy(s, r, n * sizeof(*r));
	qsort(s, n, sizeof(*s), cmp_range);
	for (uint32_t i = 1; i < n; i++)
		if (s[i].start <= s[i - 1].last)
			return -EINVAL;
	for (uint32_t i = 0; i < n; i++)
		if (m_hits_resv(m, s[i].start, s[i].last))
			return -EADDRINUSE;
	memcpy(m->allowed, s, n * sizeof(*s));
	m->nallowed = n;
	return 0;
}

static int
m_reserve(struct mstate *m, uint64_t s, uint64_t l, void *owner)
{
	if (s > l)
		return -EINVAL;
	if (m_hits_area(m, s, l))
		return -EADDRINUSE;
	for (uint32_t i = 0; i < m->nallowed; i++)
		if (ovl(s, l, m->allowed[i].start, m->allowed[i].last))
			return -EADDRINUSE;
	UT_ASSERT_FATAL(m->nr < RTE_DIM(m->r));
	m->r[m->nr++] = (struct mresv){ s, l, owner };
	return 0;
}

static unsigned int
m_unreserve(struct mstate *m, void *owner)
{
	unsigned int count = 0;

	for (size_t i = 0; i < m->nr;) {
		if (m->r[i].owner == owner) {
			m->r[i] = m->r[--m->nr];
			count++;
		} else {
			i++;
		}
	}
	return count;
}

static int
m_set_align(struct mstate *m, uint64_t align)
{
	if (align > m->align)
		for (size_t i = 0; i < m->n; i++)
			if (m->a[i].start % align ||
			    (m->a[i].last - m->a[i].start + 1) % align ||
			    m->a[i].backing % align)
				return -EADDRINUSE;
	m->align = align;
	return 0;
}

struct collect {
	const struct mstate *m;
	size_t i;
	int bad;
};

static int
collect_cb(const struct uiommu_ioas_area_info *info, void *arg)
{
	struct collect *c = arg;
	const struct marea *a;

	if (c->i >= c->m->n) {
		c->bad = 1;
		return 1;
	}
	a = &c->m->a[c->i++];
	if (info->iova != a->start || info->last != a->last ||
	    info->backing != a->backing || info->owner != a->owner ||
	    info->prot != a->prot)
		c->bad = 1;
	return c->bad;
}

static void
m_compare(const struct mstate *m)
{
	struct collect c = { .m = m };

	CHECK_IOAS(m->ioas);
	UT_ASSERT_FATAL(uiommu_ioas_num_areas(m->ioas) == m->n);
	CU_ASSERT_EQUAL(uiommu_ioas_foreach(m->ioas, 0, UINT64_MAX, collect_cb,
					    &c), 0);
	UT_ASSERT_FATAL(c.bad == 0 && c.i == m->n);
}

static void
m_lookup(const struct mstate *m, uint64_t iova)
{
	struct uiommu_ioas_area_info info;
	int rc = uiommu_ioas_lookup(m->ioas, iova, &info);

	for (size_t i = 0; i < m->n; i++) {
		if (m->a[i].start <= iova && iova <= m->a[i].last) {
			UT_ASSERT_FATAL(rc == 0);
			CU_ASSERT_EQUAL(info.iova, m->a[i].start);
			CU_ASSERT_EQUAL(info.backing, m->a[i].backing);
			return;
		}
	}
	UT_ASSERT_FATAL(rc == -ENOENT);
}

/* Addresses: a low region [0, 1 MiB) and a high one just below 2^64. */
static uint64_t
r_addr(unsigned long long *s)
{
	uint64_t off = ut_rand(s) % (1u << 20);
	unsigned int mode = ut_rand(s) % 16;

	if (mode < 3)
		off &= ~0xfffULL;
	else if (mode < 14)
		off &= ~0xffULL;
	if (mode == 15 || mode == 14)
		return (uint64_t)0 - (off & ~0xffULL) - 256 * (mode == 14);
	return off;
}

static uint64_t
r_len(unsigned long long *s)
{
	unsigned int mode = ut_rand(s) % 20;

	if (mode < 14)
		return (1 + ut_rand(s) % 32) * 256;
	if (mode < 17)
		return 1 + ut_rand(s) % 9000;
	if (mode < 19)
		return (1 + ut_rand(s) % 8) * 65536;
	return ut_rand(s) % 2 ? 0 : UINT64_MAX / 2 + ut_rand(s) % 4;
}

static uint64_t
r_backing(unsigned long long *s)
{
	unsigned int mode = ut_rand(s) % 20;

	if (mode < 12)
		return ut_rand(s) & 0xfffff00ULL;
	if (mode < 16)
		return ut_rand(s) & 0xffff000ULL;
	if (mode < 19)
		return ut_rand(s) & 0xffffffffULL;
	return UINT64_MAX - ut_rand(s) % 8192;
}

static uint32_t
r_flags(unsigned long long *s)
{
	static const uint32_t prot[] = { RO, UIOMMU_IOAS_MAP_WRITEABLE, RW };
	unsigned int mode = ut_rand(s) % 50;

	if (mode == 0)
		return 0;
	if (mode == 1)
		return RW | (1u << (3 + ut_rand(s) % 29));
	return prot[ut_rand(s) % 3];
}

static int owners[3];

/* Outcome counts of the random operations: [kind][errno], errno 0 = ok. */
enum { K_FIXED, K_ALLOC, K_UNMAP, K_COPY, K_OTHER, K_NUM };
static const char *const kind_name[K_NUM] = {
	"map_fixed", "map_alloc", "unmap", "copy", "other"
};
static unsigned long outcomes[K_NUM][EHWPOISON + 1];

static void
count(int kind, int rc)
{
	if (rc <= 0 && -rc <= EHWPOISON)
		outcomes[kind][-rc]++;
}

static void
random_op(struct mstate *ms, unsigned long long *s)
{
	struct mstate *m = &ms[ut_rand(s) % 2];
	unsigned int what = ut_rand(s) % 100;
	uint64_t sentinel = ut_rand(s), iova = sentinel, miova = sentinel;
	uint64_t bytes = 1, mbytes = 1;
	int rc, mrc;

	if (what < 55) {
		/* map, fixed or allocated */
		uint64_t backing = r_backing(s), len = r_len(s);
		uint32_t flags = r_flags(s);
		void *owner = &owners[ut_rand(s) % 3];

		if (what < 28) {
			flags |= FIXED;
			iova = miova = r_addr(s);
		}
		rc = uiommu_ioas_map(m->ioas, backing, len, &iova, flags,
				     owner);
		mrc = m_map(m, backing, len, &miova, flags, owner);
		count(what < 28 ? K_FIXED : K_ALLOC, rc);
		CU_ASSERT_EQUAL(rc, mrc);
		CU_ASSERT_EQUAL(iova, miova);
		if (rc != mrc || iova != miova) {
			fprintf(stderr, "map b=0x%" PRIx64 " l=0x%" PRIx64
				" f=%x: %d/%d iova 0x%" PRIx64 "/0x%" PRIx64
				"\n", backing, len, flags, rc, mrc, iova,
				miova);
			UT_ASSERT_FATAL(0);
		}
	} else if (what < 80) {
		/* unmap: whole areas, a random range, or everything */
		uint64_t start = r_addr(s), len = r_len(s);

		if (what < 70 && m->n > 0) {
			size_t i = ut_rand(s) % m->n;
			size_t j = i + ut_rand(s) % 3;

			if (j >= m->n)
				j = m->n - 1;
			start = m->a[i].start - (ut_rand(s) % 2) *
				(ut_rand(s) % 512);
			len = m->a[j].last - start + 1 +
			      (ut_rand(s) % 2) * (ut_rand(s) % 512);
			if (ut_rand(s) % 8 == 0)
				len -= 1;
		} else if (what == 79 && ut_rand(s) % 20 == 0) {
			start = 0;
			len = UINT64_MAX;
		}
		rc = uiommu_ioas_unmap(m->ioas, start, len, &bytes);
		mrc = m_unmap(m, start, len, &mbytes);
		count(K_UNMAP, rc);
		CU_ASSERT_EQUAL(rc, mrc);
		CU_ASSERT_EQUAL(bytes, mbytes);
		UT_ASSERT_FATAL(rc == mrc);
	} else if (what < 90) {
		/* copy from either IOAS to either IOAS */
		struct mstate *src = &ms[ut_rand(s) % 2];
		uint64_t sstart = r_addr(s), len = r_len(s);
		uint32_t flags = r_flags(s);

		if (src->n > 0 && ut_rand(s) % 4 != 0) {
			size_t i = ut_rand(s) % src->n;
			uint64_t alen = src->a[i].last - src->a[i].start + 1;

			sstart = src->a[i].start + ut_rand(s) % alen;
			len = 1 + ut_rand(s) % (alen < (1ULL << 62) ? 2 * alen :
							  alen);
			if (m->align > 1 && ut_rand(s) % 2) {
				sstart = src->a[i].start;
				len = alen;
			}
		}
		if (ut_rand(s) % 2) {
			flags |= FIXED;
			iova = miova = r_addr(s);
		}
		rc = uiommu_ioas_copy(m->ioas, src->ioas, sstart, len, &iova,
				      flags);
		mrc = m_copy(m, src, sstart, len, &miova, flags);
		count(K_COPY, rc);
		CU_ASSERT_EQUAL(rc, mrc);
		CU_ASSERT_EQUAL(iova, miova);
		UT_ASSERT_FATAL(rc == mrc && iova == miova);
	} else if (what < 93) {
		static const uint64_t aligns[] = { 1, 256, 2048, 4096 };
		uint64_t a = aligns[ut_rand(s) % 4];

		rc = uiommu_ioas_set_alignment(m->ioas, a);
		mrc = m_set_align(m, a);
		count(K_OTHER, rc);
		UT_ASSERT_FATAL(rc == mrc);
		if (ut_rand(s) % 4 == 0) {
			static const uint64_t caps[] = { 4096, 65536, 2 << 20 };

			m->amax = caps[ut_rand(s) % 3];
			CU_ASSERT_EQUAL(uiommu_ioas_set_alloc_align_max(
					m->ioas, m->amax), 0);
		}
	} else if (what < 95) {
		struct uiommu_range r[3];
		uint32_t n = ut_rand(s) % 4;

		for (uint32_t i = 0; i < n; i++) {
			r[i].start = r_addr(s);
			r[i].last = r[i].start + ut_rand(s) % (256 << 10);
			if (r[i].last < r[i].start)
				r[i].last = UINT64_MAX;
		}
		rc = uiommu_ioas_allow_iovas(m->ioas, r, n);
		mrc = m_allow(m, r, n);
		count(K_OTHER, rc);
		UT_ASSERT_FATAL(rc == mrc);
	} else if (what < 98) {
		uint64_t start = r_addr(s), last = start + ut_rand(s) % 8192;
		void *owner = &owners[ut_rand(s) % 3];

		if (last < start)
			last = UINT64_MAX;
		if (m->nr >= RTE_DIM(m->r) - 1)
			return;
		rc = uiommu_ioas_reserve(m->ioas, start, last, owner);
		mrc = m_reserve(m, start, last, owner);
		count(K_OTHER, rc);
		UT_ASSERT_FATAL(rc == mrc);
	} else {
		void *owner = &owners[ut_rand(s) % 3];

		UT_ASSERT_FATAL(uiommu_ioas_unreserve(m->ioas, owner) ==
				m_unreserve(m, owner));
	}
	m_compare(m);
	for (int k = 0; k < 4; k++)
		m_lookup(m, k == 0 && m->n > 0 ? m->a[ut_rand(s) % m->n].last :
						 r_addr(s));
}

static void
test_random_model(void)
{
	const char *env = getenv("UIOMMU_IOAS_RANDOM_OPS");
	unsigned long ops = env != NULL ? strtoul(env, NULL, 0) : 100000;
	unsigned long long seed = ut_seed();
	struct mstate ms[2];
	uint64_t maxn = 0;

	memset(ms, 0, sizeof(ms));
	for (int i = 0; i < 2; i++) {
		ms[i].ioas = new_ioas();
		ms[i].align = 1;
		ms[i].amax = UIOMMU_IOAS_ALLOC_ALIGN_MAX;
	}
	/* a reserved window in each, one in the high region */
	CU_ASSERT_EQUAL(uiommu_ioas_reserve(ms[0].ioas, 0x40000, 0x47fff,
					    &owners[0]), 0);
	CU_ASSERT_EQUAL(m_reserve(&ms[0], 0x40000, 0x47fff, &owners[0]), 0);
	CU_ASSERT_EQUAL(uiommu_ioas_reserve(ms[1].ioas, UINT64_MAX - 0x7fff,
					    UINT64_MAX - 0x4000, &owners[1]),
			0);
	CU_ASSERT_EQUAL(m_reserve(&ms[1], UINT64_MAX - 0x7fff,
				  UINT64_MAX - 0x4000, &owners[1]), 0);
	for (unsigned long op = 0; op < ops; op++) {
		random_op(ms, &seed);
		if (ms[0].n > maxn)
			maxn = ms[0].n;
		if (ms[1].n > maxn)
			maxn = ms[1].n;
	}
	printf("random model: %lu ops, up to %" PRIu64 " areas\n", ops, maxn);
	for (int k = 0; k < K_NUM; k++) {
		printf("  %-9s", kind_name[k]);
		for (int e = 0; e <= EHWPOISON; e++)
			if (outcomes[k][e] != 0)
				printf(" %s=%lu", e == 0 ? "ok" : strerrorname_np(e),
				       outcomes[k][e]);
		printf("\n");
	}
	/* the generator must reach every interesting outcome */
	if (ops >= 100000) {
		CU_ASSERT_TRUE(maxn > 50);
		CU_ASSERT_TRUE(outcomes[K_FIXED][0] > 1000);
		CU_ASSERT_TRUE(outcomes[K_FIXED][EEXIST] > 1000);
		CU_ASSERT_TRUE(outcomes[K_FIXED][EINVAL] > 0);
		CU_ASSERT_TRUE(outcomes[K_ALLOC][0] > 1000);
		CU_ASSERT_TRUE(outcomes[K_ALLOC][ENOSPC] > 0);
		CU_ASSERT_TRUE(outcomes[K_UNMAP][0] > 1000);
		CU_ASSERT_TRUE(outcomes[K_UNMAP][ENOENT] > 1000);
		CU_ASSERT_TRUE(outcomes[K_COPY][0] > 100);
		CU_ASSERT_TRUE(outcomes[K_COPY][ENOENT] > 100);
		CU_ASSERT_TRUE(outcomes[K_COPY][EPERM] > 0);
		CU_ASSERT_TRUE(outcomes[K_OTHER][EADDRINUSE] > 0);
	}
	for (int i = 0; i < 2; i++) {
		uiommu_ioas_destroy(ms[i].ioas);
		free(ms[i].a);
	}
}

static const struct ut_case cases[] = {
	UT_CASE(test_create_destroy),
	UT_CASE(test_map_args),
	UT_CASE(test_area),
	UT_CASE(test_unmap_fully_contained),
	UT_CASE(test_area_auto_iova),
	UT_CASE(test_alloc_rules),
	UT_CASE(test_alloc_miss_budget),
	UT_CASE(test_area_allowed),
	UT_CASE(test_reserve_owners),
	UT_CASE(test_copy),
	UT_CASE(test_iova_ranges),
	UT_CASE(test_iova_alloc_lengths),
	UT_CASE(test_align_change),
	UT_CASE(test_copy_sweep),
	UT_CASE(test_space_edges),
	UT_CASE(test_lookup_foreach),
	UT_CASE(test_max_areas),
#ifdef UIOMMU_FAULT_INJECTION
	UT_CASE(test_fault_injection),
#endif
	UT_CASE(test_random_model),
	UT_END
};

int
main(int argc, char **argv)
{
	return ut_main("ioas", cases, argc, argv);
}
