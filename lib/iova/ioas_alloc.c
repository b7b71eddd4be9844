/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Choosing the IOVA of a new area: fixed-IOVA checks and allocation.
 *
 * Design. Both follow iommufd's iopt_check_iova()/iopt_alloc_iova().
 *
 * A fixed range must be aligned to the IOAS alignment, must not wrap, must
 * not touch a reserved range (-EINVAL) nor an area (-EEXIST). Allowed
 * ranges do not constrain it.
 *
 * An allocated IOVA is the lowest address x that satisfies
 *  - x lies in a window: an allowed range (or the whole space when there
 *    are none) clipped to [PAGE, UINT64_MAX - PAGE], so 0 is never returned;
 *  - [x, x + length - 1] is free of areas and reserved ranges;
 *  - x is a multiple of align = min(roundup_pow_of_two(length),
 *    lowest set bit of backing), capped at alloc_align_max; and when the
 *    backing is not page aligned, x keeps backing's offset in the page
 *    (x % PAGE == backing % PAGE), which implies the alignment since that
 *    offset is a multiple of it. Both reduce to x % step == phase with step
 *    a power of two.
 *
 * The search asks the `used` tree (areas and reserved covers, which are
 * disjoint) for the lowest free run, clipped to the window, holding at
 * least `length` addresses. A run that long may still not fit once x is
 * aligned; the search then continues after it. Such misses are bounded: after
 * UIOMMU_IOAS_ALLOC_MISS_MAX of them the search asks for runs of at least
 * length + step - 1 addresses, which always fit. So the result is the exact
 * first fit unless more than that many too-tight holes precede it, and every
 * allocation costs O((windows + UIOMMU_IOAS_ALLOC_MISS_MAX) log n). (iommufd
 * walks every hole linearly; Linux mm's unmapped_area() always asks for the
 * padded length instead.)
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>

#include "uiommu_common.h"
#include "uiommu_config.h"
#include "uiommu_log.h"

#include "ioas_private.h"

int
ioas_check_fixed(const struct uiommu_ioas *ioas, uint64_t iova,
		 uint64_t length, uint64_t *last)
{
	int rc;

	if ((iova & (ioas->iova_alignment - 1)) != 0)
		return -EINVAL;
	rc = uiommu_range_last(iova, length, last);
	if (rc != 0)
		return rc;
	if (ioas_resv_intersects(ioas, iova, *last))
		return -EINVAL;
	if (iova_tree_iter_first(&ioas->used, iova, *last) != NULL)
		return -EEXIST;
	return 0;
}

static uint64_t
roundup_pow2(uint64_t x)
{
	/* x in [1, 2^63] */
	return x <= 1 ? 1 : 1ULL << (64 - __builtin_clzll(x - 1));
}

/* Lowest x >= hs with x % step == phase and [x, x + length - 1] <= hl. */
static bool
fit_in_run(uint64_t hs, uint64_t hl, uint64_t length, uint64_t step,
	   uint64_t phase, uint64_t *x)
{
	uint64_t add = (phase - (hs & (step - 1))) & (step - 1);
	uint64_t v;

	if (__builtin_add_overflow(hs, add, &v) || v > hl)
		return false;
	if (hl - v < length - 1)
		return false;
	*x = v;
	return true;
}

struct alloc_req {
	uint64_t length;
	uint64_t step;     /* power of two */
	uint64_t phase;    /* < step */
	unsigned int misses_left;
};

static int
alloc_in_window(const struct uiommu_ioas *ioas, struct alloc_req *rq,
		uint64_t lo, uint64_t hi, uint64_t *iova)
{
	uint64_t p = lo, hs, hl, need;

	for (;;) {
		need = rq->misses_left > 0 ? rq->length :
					     rq->length + rq->step - 1;
		if (!iova_tree_find_hole(&ioas->used, p, hi, need, &hs, &hl))
			return -ENOSPC;
		if (fit_in_run(hs, hl, rq->length, rq->step, rq->phase, iova))
			return 0;
		/* Only reachable with need == length: a padded run always fits. */
		if (rq->misses_left > 0 && --rq->misses_left == 0)
			UIOMMU_LOG(DEBUG, uiommu_logtype_iova,
				   "%u holes too tight for length 0x%" PRIx64
				   " step 0x%" PRIx64 ", padding the search",
				   UIOMMU_IOAS_ALLOC_MISS_MAX, rq->length,
				   rq->step);
		if (hl >= hi)
			return -ENOSPC;
		p = hl + 1;
	}
}

int
ioas_alloc_iova(const struct uiommu_ioas *ioas, uint64_t backing,
		uint64_t length, uint64_t *iova)
{
	const uint64_t win_lo = UIOMMU_IOAS_PAGE_SIZE;
	const uint64_t win_hi = UINT64_MAX - UIOMMU_IOAS_PAGE_SIZE;
	struct alloc_req rq = {
		.length = length,
		.misses_left = UIOMMU_IOAS_ALLOC_MISS_MAX,
	};
	uint64_t align, page_off;
	uint32_t i;

	if (length == 0 || length >= UINT64_MAX / 2)
		return -EOVERFLOW;
	align = roundup_pow2(length);
	if (backing != 0 && (backing & -backing) < align)
		align = backing & -backing;
	if (align > ioas->alloc_align_max)
		align = ioas->alloc_align_max;
	if (align < ioas->iova_alignment)
		return -EINVAL;
	page_off = backing & (UIOMMU_IOAS_PAGE_SIZE - 1);
	if (page_off != 0) {
		rq.step = UIOMMU_IOAS_PAGE_SIZE;
		rq.phase = page_off;
	} else {
		rq.step = align;
		rq.phase = 0;
	}

	if (ioas->num_allowed == 0)
		return alloc_in_window(ioas, &rq, win_lo, win_hi, iova);
	for (i = 0; i < ioas->num_allowed; i++) {
		uint64_t lo = RTE_MAX(ioas->allowed[i].start, win_lo);
		uint64_t hi = RTE_MIN(ioas->allowed[i].last, win_hi);

		if (lo > hi || hi - lo < length - 1)
			continue;
		if (alloc_in_window(ioas, &rq, lo, hi, iova) == 0)
			return 0;
	}
	return -ENOSPC;
}
