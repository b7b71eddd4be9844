/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Private: the IOAS object and the helpers its files share. Never installed.
 *
 * Layout of one IOAS:
 *  - `used`: a gap-tracking tree of disjoint ranges holding every area
 *    (tag IOAS_TAG_AREA) and one **cover** per connected group of
 *    overlapping reserved ranges (tag IOAS_TAG_COVER). Free holes are the
 *    gaps of this tree, so IOVA allocation sees areas and reserved ranges as
 *    one set.
 *  - `resv`: the reserved ranges themselves, which may overlap one another
 *    (interval tree, no gaps). A cover node is embedded in the reserved
 *    range that starts its group, so rebuilding covers never allocates and
 *    uiommu_ioas_unreserve() cannot fail.
 *  - `allowed`: the allowed ranges, sorted by start and disjoint.
 *
 * Invariants (checked by ioas_check()): covers are exactly the groups of
 * `resv`; no area intersects a reserved range; every area meets
 * iova_alignment in IOVA, length and backing.
 */
#ifndef UIOMMU_IOAS_PRIVATE_H
#define UIOMMU_IOAS_PRIVATE_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>

#include "iova_tree.h"
#include "uiommu_iova.h"

/** Tags of nodes in the IOAS trees. */
enum ioas_tag {
	IOAS_TAG_AREA = 1,   /**< struct ioas_area.node, in `used` */
	IOAS_TAG_COVER = 2,  /**< struct ioas_resv.cover, in `used` */
	IOAS_TAG_RESV = 3,   /**< struct ioas_resv.node, in `resv` */
};

/** One mapped area. */
struct ioas_area {
	struct iova_node node;  /**< [iova, last] in `used` */
	uint64_t backing;       /**< backing address of node.start */
	void *owner;
	uint32_t prot;          /**< UIOMMU_IOAS_MAP_READABLE/_WRITEABLE */
};

/** One reserved range. */
struct ioas_resv {
	struct iova_node node;  /**< [start, last] in `resv` */
	struct iova_node cover; /**< in `used` when leads_cover */
	void *owner;
	bool leads_cover;       /**< this range starts its group */
	struct ioas_resv *next; /**< scratch list for unreserve */
};

struct uiommu_ioas {
	struct iova_tree used;        /**< areas + covers, disjoint */
	struct iova_tree resv;        /**< reserved ranges, may overlap */
	struct uiommu_range *allowed; /**< sorted, disjoint; NULL when none */
	uint32_t num_allowed;
	uint64_t num_areas;
	uint64_t max_areas;           /**< <= UIOMMU_IOAS_MAX_AREAS */
	uint64_t iova_alignment;      /**< power of two <= PAGE */
	uint64_t alloc_align_max;     /**< power of two */
};

extern int uiommu_logtype_iova;

static inline struct ioas_area *
ioas_area_of(const struct iova_node *n)
{
	return container_of(n, struct ioas_area, node);
}

static inline struct ioas_resv *
ioas_resv_of(const struct iova_node *n)
{
	return container_of(n, struct ioas_resv, node);
}

static inline struct ioas_resv *
ioas_resv_of_cover(const struct iova_node *n)
{
	return container_of(n, struct ioas_resv, cover);
}

/* ioas.c */

/** First area intersecting [first, last], skipping covers; or NULL. */
struct iova_node *ioas_area_iter_first(const struct uiommu_ioas *ioas,
				       uint64_t first, uint64_t last);
/** Next area after n intersecting [first, last], skipping covers. */
struct iova_node *ioas_area_iter_next(const struct iova_node *n,
				      uint64_t first, uint64_t last);

/* ioas_alloc.c */

/**
 * Check a fixed IOVA range for a new area of @p length bytes.
 * @return 0 with *last set; -EINVAL (misaligned, or touches a reserved
 *         range), -EOVERFLOW, -EEXIST (overlaps an area).
 */
int ioas_check_fixed(const struct uiommu_ioas *ioas, uint64_t iova,
		     uint64_t length, uint64_t *last);

/**
 * Choose the IOVA of a new area: lowest fitting hole, see uiommu_ioas_map().
 * @return 0 with *iova set; -EOVERFLOW, -EINVAL (alignment below the IOAS
 *         alignment), -ENOSPC.
 */
int ioas_alloc_iova(const struct uiommu_ioas *ioas, uint64_t backing,
		    uint64_t length, uint64_t *iova);

/* ioas_resv.c */

/** True when a reserved range intersects [start, last]. */
bool ioas_resv_intersects(const struct uiommu_ioas *ioas, uint64_t start,
			  uint64_t last);

/**
 * Free every reserved and allowed range (destroy path). Call after the
 * `used` tree was drained: covers live inside the reserved ranges.
 */
void ioas_ranges_free(struct uiommu_ioas *ioas);

/* ioas_check.c */

/**
 * Check every invariant of @p ioas and of its trees (O(n + r + a)).
 * For tests; compiled always.
 * @param[out] why  when not NULL: static text of the first violation
 * @return 0, or -EINVAL when an invariant does not hold.
 */
int ioas_check(const struct uiommu_ioas *ioas, const char **why);

#endif /* UIOMMU_IOAS_PRIVATE_H */
