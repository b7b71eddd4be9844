/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Private: an augmented AVL tree of inclusive ranges `[start, last]`.
 *
 * Nodes are embedded in the caller's structures (recover them with
 * container_of()) and ordered by `start`, ties by insertion (a new node goes
 * after equal starts). Every node carries subtree summaries that the tree
 * keeps exact through insertions, removals and rotations:
 *  - `sub_last`: the largest `last` in the subtree, which makes "first range
 *    that intersects [first, last]" an O(log n) descent even when ranges
 *    overlap (the reserved-range tree);
 *  - `gap`/`sub_gap` (trees created with track_gaps only): the number of free
 *    addresses between a node and its in-order predecessor (for the first
 *    node: between 0 and its start), and the largest such gap in the subtree.
 *    They are meaningful for trees of disjoint ranges only and make the
 *    lowest free hole of a given size an O(log n) search.
 *
 * Not thread-safe: the owner serialises every call.
 */
#ifndef UIOMMU_IOVA_TREE_H
#define UIOMMU_IOVA_TREE_H

#include <stdbool.h>
#include <stdint.h>

/** One range in a tree; embed it in the object it indexes. */
struct iova_node {
	uint64_t start;            /**< first address (key) */
	uint64_t last;             /**< last address, inclusive */
	struct iova_node *left;
	struct iova_node *right;
	struct iova_node *parent;
	uint64_t sub_last;         /**< max last in this subtree */
	uint64_t gap;              /**< free addresses just before start */
	uint64_t sub_gap;          /**< max gap in this subtree */
	int32_t height;            /**< AVL height, leaf = 1 */
	uint32_t tag;              /**< free for the owner (kind of object) */
};

/** A tree; zero-initialised by iova_tree_init(). */
struct iova_tree {
	struct iova_node *root;
	uint64_t count;            /**< nodes in the tree */
	bool track_gaps;           /**< maintain gap/sub_gap (disjoint trees) */
};

/** Make @p t an empty tree. */
void iova_tree_init(struct iova_tree *t, bool track_gaps);

/**
 * Link @p n, whose start/last/tag the caller has set, into @p t.
 * O(log n). Never fails; in a gap-tracking tree the caller guarantees that
 * @p n does not overlap another node.
 */
void iova_tree_insert(struct iova_tree *t, struct iova_node *n);

/** Unlink @p n from @p t. O(log n). The node's memory stays the caller's. */
void iova_tree_remove(struct iova_tree *t, struct iova_node *n);

/** Lowest-start node, or NULL when empty. */
struct iova_node *iova_tree_first(const struct iova_tree *t);
/** Highest-start node, or NULL when empty. */
struct iova_node *iova_tree_last(const struct iova_tree *t);
/** In-order successor of @p n, or NULL. */
struct iova_node *iova_tree_next(const struct iova_node *n);
/** In-order predecessor of @p n, or NULL. */
struct iova_node *iova_tree_prev(const struct iova_node *n);

/** The last node (in order) whose start is <= @p x, or NULL. */
struct iova_node *iova_tree_floor(const struct iova_tree *t, uint64_t x);

/**
 * Lowest-start node intersecting [first, last] (first <= last), or NULL.
 * Works for overlapping ranges too. O(log n).
 */
struct iova_node *iova_tree_iter_first(const struct iova_tree *t,
				       uint64_t first, uint64_t last);

/**
 * The in-order next node after @p n that intersects [first, last], or NULL.
 * O(log n) amortised over a whole walk.
 */
struct iova_node *iova_tree_iter_next(const struct iova_node *n,
				      uint64_t first, uint64_t last);

/**
 * Lowest run of free addresses (addresses no node covers) that, clipped to
 * [from, hi], starts at or after @p from and holds at least @p need
 * addresses. Gap-tracking trees only. O(log n).
 *
 * @param t     a gap-tracking tree of disjoint ranges
 * @param from  lowest address of interest
 * @param hi    highest address of interest (from <= hi)
 * @param need  addresses required, >= 1
 * @param[out] hs  first address of the clipped run
 * @param[out] hl  last address of the clipped run
 * @return true when such a run exists.
 */
bool iova_tree_find_hole(const struct iova_tree *t, uint64_t from, uint64_t hi,
			 uint64_t need, uint64_t *hs, uint64_t *hl);

/**
 * Detach every node without rebalancing and hand each to @p fn (which may
 * free it). Leaves @p t empty. O(n).
 */
void iova_tree_drain(struct iova_tree *t,
		     void (*fn)(struct iova_node *n, void *arg), void *arg);

/**
 * Check every invariant of @p t: parent links, order, AVL heights and
 * balance, sub_last, gap and sub_gap (gap-tracking trees), node count, and
 * when @p disjoint is true that no two ranges overlap. O(n).
 *
 * @param[out] why  when not NULL, set to a static description of the first
 *                  violation found
 * @return 0, or -EINVAL when an invariant does not hold.
 */
int iova_tree_check(const struct iova_tree *t, bool disjoint,
		    const char **why);

#endif /* UIOMMU_IOVA_TREE_H */
