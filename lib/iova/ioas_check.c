/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IOAS invariant checker, for tests and debugging.
 *
 * Design. ioas_check() re-derives everything the IOAS keeps incrementally
 * and compares: both trees' structure (iova_tree_check()), the area count,
 * that the covers in `used` are exactly the groups of overlapping reserved
 * ranges (each led by the group's first range), that no area touches a
 * reserved range (implied by the disjointness of `used` once covers are
 * right), that the allowed table is sorted, disjoint and clear of reserved
 * ranges, and that every area meets the IOAS alignment. It is O(n + r + a)
 * and allocates nothing; it is compiled in every build so that any test can
 * call it after each operation.
 */
#include <errno.h>
#include <stdint.h>

#include "uiommu_common.h"
#include "uiommu_config.h"

#include "ioas_private.h"

static int
fail(const char **why, const char *msg)
{
	if (why != NULL)
		*why = msg;
	return -EINVAL;
}

/* Next cover in `used` at or after n (in order), or NULL. */
static const struct iova_node *
next_cover(const struct iova_node *n)
{
	while (n != NULL && n->tag != IOAS_TAG_COVER)
		n = iova_tree_next(n);
	return n;
}

static int
check_covers(const struct uiommu_ioas *ioas, const char **why)
{
	const struct iova_node *r = iova_tree_first(&ioas->resv);
	const struct iova_node *c = next_cover(iova_tree_first(&ioas->used));

	while (r != NULL) {
		const struct ioas_resv *lead = ioas_resv_of(r);
		uint64_t gs = r->start, gl = r->last;

		if (r->tag != IOAS_TAG_RESV)
			return fail(why, "reserved node with a wrong tag");
		/* Gather the group of overlapping ranges led by r. */
		for (r = iova_tree_next(r); r != NULL && r->start <= gl;
		     r = iova_tree_next(r)) {
			if (ioas_resv_of(r)->leads_cover)
				return fail(why, "non-first range leads a cover");
			gl = RTE_MAX(gl, r->last);
		}
		if (!lead->leads_cover)
			return fail(why, "reserved group without a cover");
		if (c != &lead->cover)
			return fail(why, "covers out of step with groups");
		if (c->start != gs || c->last != gl)
			return fail(why, "cover bounds differ from its group");
		c = next_cover(iova_tree_next(c));
	}
	if (c != NULL)
		return fail(why, "cover without reserved ranges");
	return 0;
}

int
ioas_check(const struct uiommu_ioas *ioas, const char **why)
{
	const struct iova_node *n;
	uint64_t areas = 0;
	uint32_t i;
	int rc;

	if (why != NULL)
		*why = NULL;
	if (ioas == NULL)
		return fail(why, "NULL ioas");
	rc = iova_tree_check(&ioas->used, true, why);
	if (rc != 0)
		return rc;
	rc = iova_tree_check(&ioas->resv, false, why);
	if (rc != 0)
		return rc;
	if (!ioas->used.track_gaps || ioas->resv.track_gaps)
		return fail(why, "tree modes swapped");
	if (ioas->resv.count > UIOMMU_IOAS_MAX_RESERVED)
		return fail(why, "too many reserved ranges");
	if (!uiommu_is_pow2_u64(ioas->iova_alignment) ||
	    ioas->iova_alignment > UIOMMU_IOAS_PAGE_SIZE)
		return fail(why, "bad IOAS alignment");
	if (ioas->max_areas == 0 || ioas->max_areas > UIOMMU_IOAS_MAX_AREAS)
		return fail(why, "bad area limit");
	if (!uiommu_is_pow2_u64(ioas->alloc_align_max))
		return fail(why, "bad allocation alignment cap");
	for (n = iova_tree_first(&ioas->used); n != NULL;
	     n = iova_tree_next(n)) {
		const struct ioas_area *a;
		uint64_t len, blast;

		if (n->tag == IOAS_TAG_COVER)
			continue;
		if (n->tag != IOAS_TAG_AREA)
			return fail(why, "used node with a wrong tag");
		a = ioas_area_of(n);
		areas++;
		len = n->last - n->start + 1;
		if (len == 0)
			return fail(why, "area of 2^64 bytes");
		if ((a->prot & ~(uint32_t)(UIOMMU_IOAS_MAP_READABLE |
					   UIOMMU_IOAS_MAP_WRITEABLE)) != 0 ||
		    a->prot == 0)
			return fail(why, "area with bad permissions");
		if (uiommu_range_last(a->backing, len, &blast) != 0)
			return fail(why, "area backing wraps");
		if ((n->start | len | a->backing) &
		    (ioas->iova_alignment - 1))
			return fail(why, "area not aligned to the IOAS alignment");
	}
	if (areas != ioas->num_areas)
		return fail(why, "area count out of step");
	rc = check_covers(ioas, why);
	if (rc != 0)
		return rc;
	if ((ioas->allowed == NULL) != (ioas->num_allowed == 0))
		return fail(why, "allowed table and count disagree");
	if (ioas->num_allowed > UIOMMU_IOAS_MAX_ALLOWED)
		return fail(why, "too many allowed ranges");
	for (i = 0; i < ioas->num_allowed; i++) {
		const struct uiommu_range *ar = &ioas->allowed[i];

		if (ar->start >= ar->last)
			return fail(why, "allowed range with start >= last");
		if (i > 0 && ar->start <= ioas->allowed[i - 1].last)
			return fail(why, "allowed ranges unsorted or overlapping");
		if (ioas_resv_intersects(ioas, ar->start, ar->last))
			return fail(why, "allowed range over a reserved range");
	}
	return 0;
}
