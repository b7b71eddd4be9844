/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IOAS object: lifetime, areas (map, unmap, copy), lookup and walks.
 *
 * Design. An area is one node of the IOAS's `used` tree (ioas_private.h),
 * which also holds one cover per group of reserved ranges; helpers below
 * skip covers when walking areas. Areas never overlap and are never split:
 * like IOMMU_IOAS_UNMAP, an unmap range must be a superset of whole areas.
 *
 * Every mutating call validates everything first, then allocates, then
 * links; linking cannot fail, so an error leaves the IOAS exactly as it
 * was (this is stricter than iommufd's unmap, which may have removed the
 * areas below an offending one before returning -ENOENT). Copy allocates all
 * its new areas before inserting the first.
 *
 * Unmap checks only the first and the last intersecting area: the ones in
 * between lie inside the range by construction, so the check is O(log n)
 * and the removal O(log n) per area, in ascending IOVA order.
 *
 * Not thread-safe: the caller serialises calls on one IOAS.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>

#include <rte_log.h>

#include "uiommu_common.h"
#include "uiommu_config.h"
#include "uiommu_fail.h"
#include "uiommu_log.h"

#include "ioas_private.h"

RTE_LOG_REGISTER_SUFFIX(uiommu_logtype_iova, iova, NOTICE);

#define PROT_MASK (UIOMMU_IOAS_MAP_READABLE | UIOMMU_IOAS_MAP_WRITEABLE)

struct iova_node *
ioas_area_iter_first(const struct uiommu_ioas *ioas, uint64_t first,
		     uint64_t last)
{
	struct iova_node *n = iova_tree_iter_first(&ioas->used, first, last);

	while (n != NULL && n->tag != IOAS_TAG_AREA)
		n = iova_tree_iter_next(n, first, last);
	return n;
}

struct iova_node *
ioas_area_iter_next(const struct iova_node *n, uint64_t first, uint64_t last)
{
	struct iova_node *m = iova_tree_iter_next(n, first, last);

	while (m != NULL && m->tag != IOAS_TAG_AREA)
		m = iova_tree_iter_next(m, first, last);
	return m;
}

static inline uint64_t
area_length(const struct ioas_area *a)
{
	/* An area of 2^64 bytes cannot be created (length is a uint64_t). */
	return a->node.last - a->node.start + 1;
}

static void
area_info(const struct ioas_area *a, struct uiommu_ioas_area_info *info)
{
	info->iova = a->node.start;
	info->last = a->node.last;
	info->backing = a->backing;
	info->owner = a->owner;
	info->prot = a->prot;
}

int
uiommu_ioas_create(struct uiommu_ioas **out)
{
	struct uiommu_ioas *ioas;

	if (out == NULL)
		return -EINVAL;
	if (uiommu_should_fail())
		return -ENOMEM;
	ioas = calloc(1, sizeof(*ioas));
	if (ioas == NULL)
		return -ENOMEM;
	iova_tree_init(&ioas->used, true);
	iova_tree_init(&ioas->resv, false);
	ioas->iova_alignment = 1;
	ioas->alloc_align_max = UIOMMU_IOAS_ALLOC_ALIGN_MAX;
	ioas->max_areas = UIOMMU_IOAS_MAX_AREAS;
	*out = ioas;
	return 0;
}

static void
area_free_cb(struct iova_node *n, void *arg)
{
	RTE_SET_USED(arg);
	if (n->tag == IOAS_TAG_AREA)
		free(ioas_area_of(n));
	/* covers are freed with their reserved range */
}

void
uiommu_ioas_destroy(struct uiommu_ioas *ioas)
{
	if (ioas == NULL)
		return;
	iova_tree_drain(&ioas->used, area_free_cb, NULL);
	ioas_ranges_free(ioas);
	free(ioas);
}

/* Checks shared by map and copy on flags. */
static int
check_flags(uint32_t flags)
{
	if ((flags & ~UIOMMU_IOAS_MAP_FLAGS_MASK) != 0)
		return -EOPNOTSUPP;
	if ((flags & PROT_MASK) == 0)
		return -EINVAL;
	return 0;
}

/* Pick the IOVA of a new range of length bytes (fixed or allocated). */
static int
pick_iova(const struct uiommu_ioas *ioas, uint64_t backing, uint64_t length,
	  uint32_t flags, uint64_t *iova)
{
	uint64_t last;

	if (flags & UIOMMU_IOAS_MAP_FIXED_IOVA)
		return ioas_check_fixed(ioas, *iova, length, &last);
	return ioas_alloc_iova(ioas, backing, length, iova);
}

static struct ioas_area *
area_alloc(void)
{
	if (uiommu_should_fail())
		return NULL;
	return calloc(1, sizeof(struct ioas_area));
}

static void
area_link(struct uiommu_ioas *ioas, struct ioas_area *a, uint64_t iova,
	  uint64_t length, uint64_t backing, uint32_t prot, void *owner)
{
	a->node.start = iova;
	a->node.last = iova + (length - 1);
	a->node.tag = IOAS_TAG_AREA;
	a->backing = backing;
	a->owner = owner;
	a->prot = prot;
	iova_tree_insert(&ioas->used, &a->node);
	ioas->num_areas++;
}

int
uiommu_ioas_map(struct uiommu_ioas *ioas, uint64_t backing, uint64_t length,
		uint64_t *iova, uint32_t flags, void *owner)
{
	struct ioas_area *a;
	uint64_t v, blast;
	int rc;

	if (ioas == NULL || iova == NULL)
		return -EINVAL;
	rc = check_flags(flags);
	if (rc != 0)
		return rc;
	rc = uiommu_range_last(backing, length, &blast);
	if (rc != 0)
		return rc;
	if (((length | backing) & (ioas->iova_alignment - 1)) != 0)
		return -EINVAL;
	v = *iova;
	rc = pick_iova(ioas, backing, length, flags, &v);
	if (rc != 0)
		return rc;
	if (ioas->num_areas >= ioas->max_areas)
		return -ENOSPC;
	a = area_alloc();
	if (a == NULL)
		return -ENOMEM;
	area_link(ioas, a, v, length, backing, flags & PROT_MASK, owner);
	*iova = v;
	return 0;
}

static uint64_t
add_sat(uint64_t a, uint64_t b)
{
	uint64_t s;

	return __builtin_add_overflow(a, b, &s) ? UINT64_MAX : s;
}

/* Remove the areas from n on while they start at or below last. */
static uint64_t
remove_areas_from(struct uiommu_ioas *ioas, struct iova_node *n, uint64_t last)
{
	uint64_t bytes = 0;

	while (n != NULL && n->start <= last) {
		struct iova_node *next = iova_tree_next(n);

		if (n->tag == IOAS_TAG_AREA) {
			struct ioas_area *a = ioas_area_of(n);

			bytes = add_sat(bytes, area_length(a));
			iova_tree_remove(&ioas->used, n);
			ioas->num_areas--;
			free(a);
		}
		n = next;
	}
	return bytes;
}

int
uiommu_ioas_unmap_all(struct uiommu_ioas *ioas, uint64_t *unmapped)
{
	uint64_t bytes = 0;
	struct iova_node *n;

	if (unmapped != NULL)
		*unmapped = 0;
	if (ioas == NULL)
		return -EINVAL;
	if (ioas->resv.count == 0) {
		/* No covers: drop the whole tree in O(n). */
		for (n = iova_tree_first(&ioas->used); n != NULL;
		     n = iova_tree_next(n))
			bytes = add_sat(bytes, area_length(ioas_area_of(n)));
		iova_tree_drain(&ioas->used, area_free_cb, NULL);
		ioas->num_areas = 0;
	} else {
		bytes = remove_areas_from(ioas, iova_tree_first(&ioas->used),
					  UINT64_MAX);
	}
	if (unmapped != NULL)
		*unmapped = bytes;
	return 0;
}

int
uiommu_ioas_unmap(struct uiommu_ioas *ioas, uint64_t iova, uint64_t length,
		  uint64_t *unmapped)
{
	struct iova_node *first, *n;
	uint64_t last, bytes;
	int rc;

	if (unmapped != NULL)
		*unmapped = 0;
	if (ioas == NULL)
		return -EINVAL;
	if (iova == 0 && length == UINT64_MAX)
		return uiommu_ioas_unmap_all(ioas, unmapped);
	rc = uiommu_range_last(iova, length, &last);
	if (rc != 0)
		return rc;
	first = ioas_area_iter_first(ioas, iova, last);
	if (first == NULL || first->start < iova)
		return -ENOENT;
	if (first->last >= last) {
		/* first is also the last area in the range (the usual case) */
		n = first;
	} else {
		/* The last area starting at or below last; skip covers. */
		n = iova_tree_floor(&ioas->used, last);
		while (n != NULL && n->tag != IOAS_TAG_AREA)
			n = iova_tree_prev(n);
	}
	if (n == NULL || n->last > last)
		return -ENOENT;
	bytes = remove_areas_from(ioas, first, last);
	if (unmapped != NULL)
		*unmapped = bytes;
	return 0;
}

int
uiommu_ioas_copy(struct uiommu_ioas *dst, const struct uiommu_ioas *src,
		 uint64_t src_iova, uint64_t length, uint64_t *dst_iova,
		 uint32_t flags)
{
	const uint64_t amask = dst != NULL ? dst->iova_alignment - 1 : 0;
	struct ioas_area **pieces = NULL;
	const struct iova_node *n;
	uint64_t slast, expect, first_backing = 0, k = 0, i, v;
	bool covered = false, not_writeable = false, misaligned = false;
	int rc;

	if (dst == NULL || src == NULL || dst_iova == NULL)
		return -EINVAL;
	rc = check_flags(flags);
	if (rc != 0)
		return rc;
	rc = uiommu_range_last(src_iova, length, &slast);
	if (rc != 0)
		return rc;

	/* 1. The source must be covered by contiguous areas. */
	expect = src_iova;
	for (n = ioas_area_iter_first(src, src_iova, slast); n != NULL;
	     n = ioas_area_iter_next(n, src_iova, slast)) {
		const struct ioas_area *a = ioas_area_of(n);
		uint64_t ps = RTE_MAX(n->start, src_iova);
		uint64_t pl = RTE_MIN(n->last, slast);
		uint64_t pb = a->backing + (ps - n->start);

		if (n->start > expect)
			break;
		if (k == 0)
			first_backing = pb;
		if ((flags & UIOMMU_IOAS_MAP_WRITEABLE) &&
		    !(a->prot & UIOMMU_IOAS_MAP_WRITEABLE))
			not_writeable = true;
		if (((ps - src_iova) | (pl - ps + 1) | pb) & amask)
			misaligned = true;
		k++;
		if (pl == slast) {
			covered = true;
			break;
		}
		expect = pl + 1;
	}
	if (!covered)
		return -ENOENT;
	if (not_writeable)
		return -EPERM;
	if (misaligned)
		return -EINVAL;

	/* 2. Where the copy goes in dst. */
	v = *dst_iova;
	rc = pick_iova(dst, first_backing, length, flags, &v);
	if (rc != 0)
		return rc;
	if (dst->num_areas > dst->max_areas ||
	    k > dst->max_areas - dst->num_areas)
		return -ENOSPC;

	/* 3. Allocate every new area before linking any. */
	if (uiommu_should_fail())
		return -ENOMEM;
	pieces = calloc(k, sizeof(*pieces));
	if (pieces == NULL)
		return -ENOMEM;
	for (i = 0; i < k; i++) {
		pieces[i] = area_alloc();
		if (pieces[i] == NULL) {
			rc = -ENOMEM;
			goto err_pieces;
		}
	}

	/* 4. Fill from the source, then link (dst may be src). */
	i = 0;
	for (n = ioas_area_iter_first(src, src_iova, slast); n != NULL && i < k;
	     n = ioas_area_iter_next(n, src_iova, slast), i++) {
		const struct ioas_area *a = ioas_area_of(n);
		uint64_t ps = RTE_MAX(n->start, src_iova);
		uint64_t pl = RTE_MIN(n->last, slast);
		struct ioas_area *p = pieces[i];

		p->node.start = v + (ps - src_iova);
		p->node.last = v + (pl - src_iova);
		p->node.tag = IOAS_TAG_AREA;
		p->backing = a->backing + (ps - n->start);
		p->owner = a->owner;
		p->prot = flags & PROT_MASK;
	}
	for (i = 0; i < k; i++) {
		iova_tree_insert(&dst->used, &pieces[i]->node);
		dst->num_areas++;
	}
	free(pieces);
	*dst_iova = v;
	return 0;

err_pieces:
	for (i = 0; i < k; i++)
		free(pieces[i]);
	free(pieces);
	return rc;
}

int
uiommu_ioas_lookup(const struct uiommu_ioas *ioas, uint64_t iova,
		   struct uiommu_ioas_area_info *info)
{
	const struct iova_node *n;

	if (ioas == NULL)
		return -EINVAL;
	n = iova_tree_floor(&ioas->used, iova);
	if (n == NULL || n->tag != IOAS_TAG_AREA || n->last < iova)
		return -ENOENT;
	if (info != NULL)
		area_info(ioas_area_of(n), info);
	return 0;
}

int
uiommu_ioas_foreach(const struct uiommu_ioas *ioas, uint64_t first,
		    uint64_t last, uiommu_ioas_area_cb cb, void *arg)
{
	const struct iova_node *n;

	if (ioas == NULL || cb == NULL || first > last)
		return -EINVAL;
	for (n = ioas_area_iter_first(ioas, first, last); n != NULL;
	     n = ioas_area_iter_next(n, first, last)) {
		struct uiommu_ioas_area_info info;
		int rc;

		area_info(ioas_area_of(n), &info);
		rc = cb(&info, arg);
		if (rc != 0)
			return rc;
	}
	return 0;
}

uint64_t
uiommu_ioas_num_areas(const struct uiommu_ioas *ioas)
{
	return ioas != NULL ? ioas->num_areas : 0;
}

int
uiommu_ioas_set_alignment(struct uiommu_ioas *ioas, uint64_t alignment)
{
	const struct iova_node *n;

	if (ioas == NULL || !uiommu_is_pow2_u64(alignment) ||
	    alignment > UIOMMU_IOAS_PAGE_SIZE)
		return -EINVAL;
	if (alignment > ioas->iova_alignment) {
		/* O(n), as iopt_check_iova_alignment(); attach-time only. */
		for (n = iova_tree_first(&ioas->used); n != NULL;
		     n = iova_tree_next(n)) {
			const struct ioas_area *a;

			if (n->tag != IOAS_TAG_AREA)
				continue;
			a = ioas_area_of(n);
			if ((n->start | area_length(a) | a->backing) &
			    (alignment - 1)) {
				UIOMMU_LOG(DEBUG, uiommu_logtype_iova,
					   "area at 0x%" PRIx64
					   " not aligned to 0x%" PRIx64,
					   n->start, alignment);
				return -EADDRINUSE;
			}
		}
	}
	ioas->iova_alignment = alignment;
	return 0;
}

uint64_t
uiommu_ioas_alignment(const struct uiommu_ioas *ioas)
{
	return ioas != NULL ? ioas->iova_alignment : 0;
}

int
uiommu_ioas_set_max_areas(struct uiommu_ioas *ioas, uint64_t max)
{
	if (ioas == NULL || max == 0 || max > UIOMMU_IOAS_MAX_AREAS)
		return -EINVAL;
	ioas->max_areas = max;
	return 0;
}

int
uiommu_ioas_set_alloc_align_max(struct uiommu_ioas *ioas, uint64_t max)
{
	if (ioas == NULL || !uiommu_is_pow2_u64(max))
		return -EINVAL;
	ioas->alloc_align_max = max;
	return 0;
}
