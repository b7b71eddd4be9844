/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Reserved and allowed IOVA ranges, and the usable-range report.
 *
 * Design. Reserved ranges live in their own interval tree (`resv`) because
 * they may overlap: two devices behind one IOAS can reserve the same MSI
 * window, and each removes only its own with uiommu_ioas_unreserve(owner).
 * IOVA allocation, however, needs areas and reserved ranges as one set of
 * disjoint ranges with gap summaries. So each connected group of
 * overlapping reserved ranges is mirrored in the `used` tree by one **cover**
 * node spanning the group. The cover is embedded in the group's first range
 * (lowest start), so rebuilding the covers of a region never allocates:
 * reserve allocates only the new range, and unreserve cannot fail.
 *
 * covers_rebuild(lo, hi) removes every cover that intersects [lo, hi],
 * widens the region to them, and regroups the reserved ranges that intersect
 * the region. Reserved ranges never overlap an area (checked on reserve),
 * so the region holds covers only and the walk is O(r log n) at worst.
 *
 * Allowed ranges are a sorted array of disjoint ranges, replaced whole;
 * lookups in it are binary searches. Both tables are bounded by
 * UIOMMU_IOAS_MAX_ALLOWED / UIOMMU_IOAS_MAX_RESERVED: their contents come
 * from clients.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "uiommu_common.h"
#include "uiommu_config.h"
#include "uiommu_fail.h"

#include "ioas_private.h"

bool
ioas_resv_intersects(const struct uiommu_ioas *ioas, uint64_t start,
		     uint64_t last)
{
	return iova_tree_iter_first(&ioas->resv, start, last) != NULL;
}

/* True when an allowed range intersects [start, last]. O(log a). */
static bool
allowed_intersects(const struct uiommu_ioas *ioas, uint64_t start,
		   uint64_t last)
{
	uint32_t lo = 0, hi = ioas->num_allowed;

	/* First allowed range whose last >= start (lasts ascend). */
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (ioas->allowed[mid].last < start)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < ioas->num_allowed && ioas->allowed[lo].start <= last;
}

static void
cover_insert(struct uiommu_ioas *ioas, struct ioas_resv *lead, uint64_t start,
	     uint64_t last)
{
	lead->cover.start = start;
	lead->cover.last = last;
	lead->cover.tag = IOAS_TAG_COVER;
	lead->leads_cover = true;
	iova_tree_insert(&ioas->used, &lead->cover);
}

/* Regroup the reserved ranges around [lo, hi] into covers; see the top. */
static void
covers_rebuild(struct uiommu_ioas *ioas, uint64_t lo, uint64_t hi)
{
	struct iova_node *n, *next;
	struct ioas_resv *lead = NULL;
	uint64_t cs = 0, cl = 0;

	n = iova_tree_iter_first(&ioas->used, lo, hi);
	while (n != NULL) {
		next = iova_tree_iter_next(n, lo, hi);
		if (n->tag == IOAS_TAG_COVER) {
			struct ioas_resv *r = ioas_resv_of_cover(n);

			/* Covers are disjoint: widening finds no new one. */
			lo = RTE_MIN(lo, n->start);
			hi = RTE_MAX(hi, n->last);
			iova_tree_remove(&ioas->used, n);
			r->leads_cover = false;
		}
		n = next;
	}
	for (n = iova_tree_iter_first(&ioas->resv, lo, hi); n != NULL;
	     n = iova_tree_iter_next(n, lo, hi)) {
		if (lead != NULL && n->start <= cl) {
			cl = RTE_MAX(cl, n->last);
			continue;
		}
		if (lead != NULL)
			cover_insert(ioas, lead, cs, cl);
		lead = ioas_resv_of(n);
		cs = n->start;
		cl = n->last;
	}
	if (lead != NULL)
		cover_insert(ioas, lead, cs, cl);
}

int
uiommu_ioas_reserve(struct uiommu_ioas *ioas, uint64_t start, uint64_t last,
		    void *owner)
{
	struct ioas_resv *r;

	if (ioas == NULL || start > last)
		return -EINVAL;
	if (ioas_area_iter_first(ioas, start, last) != NULL ||
	    allowed_intersects(ioas, start, last))
		return -EADDRINUSE;
	if (ioas->resv.count >= UIOMMU_IOAS_MAX_RESERVED)
		return -ENOSPC;
	if (uiommu_should_fail())
		return -ENOMEM;
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return -ENOMEM;
	r->node.start = start;
	r->node.last = last;
	r->node.tag = IOAS_TAG_RESV;
	r->owner = owner;
	iova_tree_insert(&ioas->resv, &r->node);
	covers_rebuild(ioas, start, last);
	return 0;
}

unsigned int
uiommu_ioas_unreserve(struct uiommu_ioas *ioas, void *owner)
{
	struct ioas_resv *doomed = NULL, **tail = &doomed, *r;
	struct iova_node *n, *next;
	unsigned int count = 0;
	bool rebuilt = false;
	uint64_t done_last = 0;

	if (ioas == NULL)
		return 0;
	/* 1. Unlink the owner's ranges, keeping them in ascending order. */
	for (n = iova_tree_first(&ioas->resv); n != NULL; n = next) {
		next = iova_tree_next(n);
		r = ioas_resv_of(n);
		if (r->owner != owner)
			continue;
		iova_tree_remove(&ioas->resv, n);
		r->next = NULL;
		*tail = r;
		tail = &r->next;
		count++;
	}
	/*
	 * 2. Rebuild each group that lost a range, once. A range lies inside
	 * its group's cover, which is the `used` node at or below its start;
	 * ranges in a group already rebuilt start at or below done_last.
	 */
	for (r = doomed; r != NULL; r = r->next) {
		if (rebuilt && r->node.start <= done_last)
			continue;
		n = iova_tree_floor(&ioas->used, r->node.start);
		if (n == NULL || n->tag != IOAS_TAG_COVER)
			continue; /* cannot happen: checked by ioas_check() */
		done_last = n->last;
		rebuilt = true;
		covers_rebuild(ioas, n->start, n->last);
	}
	/* 3. Nothing refers to them any more. */
	while (doomed != NULL) {
		r = doomed;
		doomed = r->next;
		free(r);
	}
	return count;
}

static int
range_cmp(const void *a, const void *b)
{
	const struct uiommu_range *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return 0;
}

int
uiommu_ioas_allow_iovas(struct uiommu_ioas *ioas,
			const struct uiommu_range *ranges, uint32_t num)
{
	struct uiommu_range *copy;
	uint32_t i;

	if (ioas == NULL || (num > 0 && ranges == NULL))
		return -EINVAL;
	if (num > UIOMMU_IOAS_MAX_ALLOWED)
		return -ENOSPC;
	for (i = 0; i < num; i++)
		if (ranges[i].start >= ranges[i].last)
			return -EINVAL;
	if (num == 0) {
		free(ioas->allowed);
		ioas->allowed = NULL;
		ioas->num_allowed = 0;
		return 0;
	}
	if (uiommu_should_fail())
		return -ENOMEM;
	copy = malloc(sizeof(*copy) * num);
	if (copy == NULL)
		return -ENOMEM;
	memcpy(copy, ranges, sizeof(*copy) * num);
	qsort(copy, num, sizeof(*copy), range_cmp);
	for (i = 1; i < num; i++) {
		if (copy[i].start <= copy[i - 1].last) {
			free(copy);
			return -EINVAL;
		}
	}
	for (i = 0; i < num; i++) {
		if (ioas_resv_intersects(ioas, copy[i].start, copy[i].last)) {
			free(copy);
			return -EADDRINUSE;
		}
	}
	free(ioas->allowed);
	ioas->allowed = copy;
	ioas->num_allowed = num;
	return 0;
}

struct ranges_out {
	struct uiommu_range *out;
	uint32_t cap;
	uint64_t count;
	uint32_t next_allowed;  /* allowed ranges below it end before the hole */
};

static void
emit(struct ranges_out *o, uint64_t start, uint64_t last)
{
	if (o->count < o->cap) {
		o->out[o->count].start = start;
		o->out[o->count].last = last;
	}
	o->count++;
}

/* Report the hole [start, last], cut by the allowed ranges if any. */
static void
emit_hole(const struct uiommu_ioas *ioas, struct ranges_out *o, uint64_t start,
	  uint64_t last)
{
	uint32_t j;

	if (ioas->num_allowed == 0) {
		emit(o, start, last);
		return;
	}
	while (o->next_allowed < ioas->num_allowed &&
	       ioas->allowed[o->next_allowed].last < start)
		o->next_allowed++;
	for (j = o->next_allowed;
	     j < ioas->num_allowed && ioas->allowed[j].start <= last; j++)
		emit(o, RTE_MAX(start, ioas->allowed[j].start),
		     RTE_MIN(last, ioas->allowed[j].last));
}

int
uiommu_ioas_iova_ranges(const struct uiommu_ioas *ioas,
			struct uiommu_range *out, uint32_t *num,
			uint64_t *alignment)
{
	struct ranges_out o = { 0 };
	const struct iova_node *n;
	uint64_t pos = 0;          /* lowest address not known to be reserved */
	bool all_reserved = false;

	if (ioas == NULL || num == NULL || (out == NULL && *num > 0))
		return -EINVAL;
	o.out = out;
	o.cap = *num;
	/* Holes of the union of reserved ranges, walked in start order. */
	for (n = iova_tree_first(&ioas->resv); n != NULL;
	     n = iova_tree_next(n)) {
		if (n->start > pos)
			emit_hole(ioas, &o, pos, n->start - 1);
		if (n->last >= pos) {
			if (n->last == UINT64_MAX) {
				all_reserved = true;
				break;
			}
			pos = n->last + 1;
		}
	}
	if (!all_reserved)
		emit_hole(ioas, &o, pos, UINT64_MAX);
	if (alignment != NULL)
		*alignment = ioas->iova_alignment;
	/* count <= r + 1 + a, far below 2^32 given the table limits */
	*num = (uint32_t)o.count;
	return o.count > o.cap ? -EMSGSIZE : 0;
}

static void
resv_free(struct iova_node *n, void *arg)
{
	RTE_SET_USED(arg);
	free(ioas_resv_of(n));
}

void
ioas_ranges_free(struct uiommu_ioas *ioas)
{
	iova_tree_drain(&ioas->resv, resv_free, NULL);
	free(ioas->allowed);
	ioas->allowed = NULL;
	ioas->num_allowed = 0;
}
