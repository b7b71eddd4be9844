/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Private to lib/pgtable: the table object, the per-format ops table the
 * public functions dispatch through, and format-independent helpers that
 * every format instance uses (table memory, descriptor load/publish).
 *
 * Memory ordering of descriptors, used by every format:
 *   W1  pt_publish(): release store of a descriptor. Everything written to
 *       a new table (its descriptors) before W1 is visible to whoever
 *       observes the descriptor. Pairs with R1.
 *   R1  pt_load(): acquire load of a descriptor by a lookup; the table it
 *       points to is then read fully built. Pairs with W1.
 * The hostile walker's read_pte callbacks must load the same way (R1).
 */
#ifndef PT_PRIVATE_H
#define PT_PRIVATE_H

#include <stdint.h>
#include <string.h>

#include "uiommu_common.h"
#include "uiommu_pgtable.h"

struct uiommu_pgtable;

/**
 * Per-format implementation. The public functions have already checked
 * their arguments (alignment, ranges within ias/oas, prot bits) and
 * computed inclusive last addresses.
 */
struct pt_fmt_ops {
	/** Map [iova, last] → oa; adds the bytes mapped to *mapped. */
	int (*map)(struct uiommu_pgtable *pt, uint64_t iova, uint64_t last,
		   uint64_t oa, uint32_t prot, uint64_t *mapped);
	/** Unmap what lies in [iova, last]; adds bytes removed to *unmapped. */
	int (*unmap)(struct uiommu_pgtable *pt, uint64_t iova, uint64_t last,
		     uint64_t *unmapped);
	/** Look up iova (< 2^ias). */
	int (*iova_to_phys)(const struct uiommu_pgtable *pt, uint64_t iova,
			    struct uiommu_pt_leaf *out);
	/** Visit descriptors covering [first, last] (within 2^ias). */
	int (*walk)(const struct uiommu_pgtable *pt, uint64_t first,
		    uint64_t last, uiommu_pt_visitor_t visitor, void *arg);
	/** Free every table below the top (destroy). */
	void (*free_all)(struct uiommu_pgtable *pt);
};

/** A managed table. Fields are fixed after create except `tables`. */
struct uiommu_pgtable {
	struct uiommu_pgtable_cfg cfg;   /**< copy; pgsize_bitmap effective */
	const struct pt_fmt_ops *ops;
	uint64_t root;                   /**< table address of the top */
	uint64_t top_size;               /**< bytes allocated for the top */
	unsigned int top_entries;        /**< descriptors in the top (all concat) */
	unsigned int start_level;
	unsigned int concat;
	uint64_t ias_last;               /**< 2^ias - 1 */
	uint64_t oas_last;               /**< 2^oas - 1 */
	uint64_t tables;                 /**< tables allocated, top included */
	bool addr_is_ptr;                /**< mem_ops has UIOMMU_PT_MEM_ADDR_IS_PTR */
};

/** Host pointer of a table, or NULL. */
static inline uint64_t *
pt_table_ptr(const struct uiommu_pgtable *pt, uint64_t addr, size_t size)
{
	/* Skips an indirect call per level for manager memory (tblmem):
	 * iova_to_phys 19 -> 14 ns, doc/pgtable.md section 9. */
	if (likely(pt->addr_is_ptr))
		return (uint64_t *)(uintptr_t)addr;
	return pt->cfg.mem_ops->to_ptr(pt->cfg.mem_ctx, addr, size);
}

/** R1: acquire load of a descriptor; pairs with W1 (pt_publish). */
static inline uint64_t
pt_load(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

/**
 * W1: release store of a descriptor; pairs with R1 (pt_load and the
 * read_pte of uiommu_lpae_walk). Everything stored into the table it
 * points to happened before.
 */
static inline void
pt_publish(uint64_t *p, uint64_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

/**
 * Store into a table nobody can see yet (before W1 publishes it): plain
 * single-copy-atomic store, no ordering needed.
 */
static inline void
pt_store_private(uint64_t *p, uint64_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELAXED);
}

/**
 * Allocate and clear one table.
 * @return 0, -ENOMEM or -EFAULT (to_ptr failed; the memory is freed).
 */
int pt_table_alloc(struct uiommu_pgtable *pt, size_t size, uint64_t *addr,
		   uint64_t **ptr);

/** Free one table obtained from pt_table_alloc(). */
void pt_table_free(struct uiommu_pgtable *pt, uint64_t addr, size_t size);

/** True when none of the n descriptors is non-zero (hint: index to look
 * at first, where a neighbour of a just-cleared entry lives). */
static inline bool
pt_table_empty(const uint64_t *tbl, unsigned int n, unsigned int hint)
{
	uint64_t acc = 0;

	if (hint + 1 < n && pt_load(&tbl[hint + 1]) != 0)
		return false;
	if (hint > 0 && hint - 1 < n && pt_load(&tbl[hint - 1]) != 0)
		return false;
	/* Only the writer calls this; plain loads are enough and vectorise. */
	for (unsigned int i = 0; i < n; i++)
		acc |= tbl[i];
	return acc == 0;
}

/* Format instances (fmt/arm_lpae_s1.c, fmt/arm_lpae_s2.c). */
extern const struct pt_fmt_ops arm_lpae_s1_ops;
extern const struct pt_fmt_ops arm_lpae_s2_ops;

/** LPAE geometry of a configuration (fmt/arm_lpae.c). */
int arm_lpae_geometry(struct uiommu_pgtable *pt);

#endif /* PT_PRIVATE_H */
