/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Managed I/O page tables: one API over several table formats.
 *
 * A uiommu_pgtable is a radix page table in a format a walker understands
 * (first: AArch64 LPAE, 4 KiB granule, stage 1 or stage 2). Its memory comes
 * from a struct uiommu_pt_mem_ops, so the same code fills tables in manager
 * hugepage memory (lib/common uiommu_tblmem) or in a guest's RAM addressed by
 * guest-physical address (the guest simulator's stage-1 tables).
 *
 * **Sizes and ranges.** Every iova, oa and size is a multiple of 4 KiB.
 * Ranges are [iova, iova + size - 1], computed with an overflow check.
 * map() chooses the largest leaf (1 GiB, 2 MiB, 4 KiB, among the allowed
 * page sizes) that the alignment of iova and oa and the remaining length
 * allow.
 *
 * **Concurrency.** map, unmap and destroy of one table must be serialised
 * by the caller. Lookups (iova_to_phys, walk, uiommu_lpae_walk() through
 * uiommu_pgtable_read_pte) may run on other cores at the same time and never
 * see a half-built table: new tables are filled completely and then
 * published with one release store of the descriptor that points to them;
 * lookups load descriptors with acquire ordering. A lookup racing with
 * map or unmap sees either the old or the new translation of each page.
 * Tables emptied by unmap are unhooked, the flush_ops walk callback is
 * called, and only then is their memory freed: a caller with lock-free
 * walkers must make that callback wait until no walker still uses the
 * unhooked tables (e.g. an RCU-style quiescent period).
 *
 * **Errors** are negative errno values; see each function.
 */
#ifndef UIOMMU_PGTABLE_H
#define UIOMMU_PGTABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "uiommu_tblmem.h"
#include "uiommu_lpae.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Table formats. */
enum uiommu_pt_format {
	UIOMMU_PT_ARM_LPAE_S1_4K = 1, /**< AArch64 stage 1, 4 KiB granule */
	UIOMMU_PT_ARM_LPAE_S2_4K = 2, /**< AArch64 stage 2, 4 KiB granule */
};

/** @name Page sizes (uiommu_pgtable_cfg.pgsize_bitmap) */
/**@{*/
#define UIOMMU_PT_PGSIZE_4K (1ULL << 12)
#define UIOMMU_PT_PGSIZE_2M (1ULL << 21)
#define UIOMMU_PT_PGSIZE_1G (1ULL << 30)
#define UIOMMU_PT_PGSIZE_LPAE_4K \
	(UIOMMU_PT_PGSIZE_4K | UIOMMU_PT_PGSIZE_2M | UIOMMU_PT_PGSIZE_1G)
/**@}*/

/**
 * @name Protection and attribute flags
 *
 * Accepted by map(), reported by iova_to_phys() and walks.
 *
 * | flag   | stage 1                               | stage 2               |
 * |--------|---------------------------------------|-----------------------|
 * | READ   | always readable (AP has no "no read") | S2AP[0] (bit 6)       |
 * | WRITE  | AP[2] (bit 7) clear, else RDONLY set  | S2AP[1] (bit 7)       |
 * | PRIV   | AP[1] (bit 6) UNPRIV clear            | ignored, not reported |
 * | NOEXEC | XN [54:53] = 0b11                     | XN [54:53] = 0b11     |
 * | EXEC   | reported when XN == 0; no-op on map   | same                  |
 * | CACHE  | AttrIndx 1 (WBRWA), SH inner          | MemAttr 0xF, SH inner |
 * | MMIO   | AttrIndx 2 (device), SH outer         | MemAttr 0x1, SH outer |
 * | neither| AttrIndx 0 (NC), SH outer            | MemAttr 0x5, SH outer |
 *
 * Every leaf also has AF set and, at stage 1, nG set.
 */
/**@{*/
#define UIOMMU_PT_PROT_READ   (1u << 0)
#define UIOMMU_PT_PROT_WRITE  (1u << 1)
#define UIOMMU_PT_PROT_EXEC   (1u << 2)
#define UIOMMU_PT_PROT_NOEXEC (1u << 3)
#define UIOMMU_PT_PROT_PRIV   (1u << 4)
#define UIOMMU_PT_PROT_CACHE  (1u << 5)
#define UIOMMU_PT_PROT_MMIO   (1u << 6)
#define UIOMMU_PT_PROT_ALL    0x7fu /**< every defined flag */
/**@}*/

/** @name Configuration flags (uiommu_pgtable_cfg.flags) */
/**@{*/
/**
 * The hardware walker is cache-coherent: register values ask for
 * inner-shareable write-back walks (else outer-shareable non-cacheable).
 */
#define UIOMMU_PT_CFG_COHERENT_WALK (1u << 0)
/**@}*/

/**
 * Invalidation callbacks, called after the table was changed. Optional
 * (NULL ops: nothing is called). They must not call back into the table.
 */
struct uiommu_pt_flush_ops {
	/**
	 * Leaves covering [iova, iova + size - 1] were removed or replaced
	 * (a block split keeps the same translation, and is not reported).
	 * @p granule is the size of the removed leaves. Must not block.
	 */
	void (*leaf)(void *cookie, uint64_t iova, uint64_t size,
		     uint64_t granule);
	/**
	 * Tables under [iova, iova + size - 1] were unhooked and will be
	 * freed when this returns: walk caches must drop them, and lock-free
	 * walkers must no longer hold them (this callback may wait for that).
	 */
	void (*walk)(void *cookie, uint64_t iova, uint64_t size);
};

/** How to build a table. */
struct uiommu_pgtable_cfg {
	enum uiommu_pt_format format;  /**< table format */
	unsigned int ias;              /**< input address bits, 25..48 */
	unsigned int oas;              /**< output address bits, 32..48 */
	/**
	 * Leaf sizes map() may use (UIOMMU_PT_PGSIZE_*); 0 means all the
	 * format supports. Must contain 4 KiB. Splitting a block on unmap
	 * always uses next-level leaves, whatever this bitmap says.
	 */
	uint64_t pgsize_bitmap;
	const struct uiommu_pt_mem_ops *mem_ops; /**< table memory */
	void *mem_ctx;                           /**< passed to mem_ops */
	const struct uiommu_pt_flush_ops *flush_ops; /**< optional */
	void *flush_cookie;                          /**< passed to flush_ops */
	/**
	 * Flags ORed into the prot of every map() (e.g.
	 * UIOMMU_PT_PROT_CACHE for a coherent device), the attribute
	 * defaults of this table.
	 */
	uint32_t prot_default;
	uint32_t flags;                /**< UIOMMU_PT_CFG_* */
};

/** Opaque managed table. */
struct uiommu_pgtable;

/** One translation found by iova_to_phys(). */
struct uiommu_pt_leaf {
	uint64_t oa;        /**< output address of the iova asked */
	uint64_t leaf_iova; /**< first input address of the leaf */
	uint64_t leaf_oa;   /**< output address of the leaf's first byte */
	uint64_t size;      /**< leaf size: 4 KiB, 2 MiB or 1 GiB */
	uint32_t prot;      /**< UIOMMU_PT_PROT_* decoded from the leaf */
	unsigned int level; /**< level of the leaf (format-specific) */
	uint64_t pte;       /**< raw descriptor */
};

/** Facts about a table. */
struct uiommu_pgtable_info {
	enum uiommu_pt_format format;
	unsigned int ias, oas;
	uint64_t pgsize_bitmap;   /**< effective leaf sizes map() uses */
	unsigned int start_level; /**< level of the top table */
	unsigned int levels;      /**< levels walked (start_level..3) */
	unsigned int concat;      /**< concatenated top tables (1..16) */
	uint64_t top_size;        /**< bytes of the top table(s) */
	uint64_t root;            /**< table address of the top table */
	uint64_t tables;          /**< tables allocated, the top included */
};

/** What a walk visits. */
enum uiommu_pt_visit_kind {
	UIOMMU_PT_VISIT_TABLE = 1, /**< a table descriptor (before its children) */
	UIOMMU_PT_VISIT_LEAF = 2,  /**< a page or block descriptor */
};

/** One descriptor visited by uiommu_pgtable_walk(). */
struct uiommu_pt_visit {
	enum uiommu_pt_visit_kind kind;
	unsigned int level;   /**< level of the descriptor */
	uint64_t iova;        /**< first input address the descriptor covers */
	uint64_t size;        /**< bytes of input it covers */
	uint64_t pte;         /**< raw descriptor */
	uint64_t table_addr;  /**< address of the table holding it */
	unsigned int index;   /**< its index in that table (0..8191 at a
				   concatenated top) */
	uint64_t oa;          /**< leaf: output address; table: next table */
	uint32_t prot;        /**< leaf: decoded UIOMMU_PT_PROT_* */
};

/**
 * Called for each descriptor in a walk, parents before children, in
 * increasing iova order.
 * @return 0 to continue; any other value stops the walk and is returned
 *         by uiommu_pgtable_walk().
 */
typedef int (*uiommu_pt_visitor_t)(void *arg, const struct uiommu_pt_visit *v);

/**
 * Create an empty table: allocate and clear its top table.
 *
 * @param cfg  configuration (copied)
 * @param[out] out  the table
 * @return 0; -EINVAL when cfg or out is NULL, ias or oas is out of range,
 *         pgsize_bitmap lacks 4 KiB or has sizes the format does not
 *         support, prot_default has bits outside UIOMMU_PT_PROT_ALL, or
 *         mem_ops lacks a callback; -EOPNOTSUPP for an unknown format;
 *         -ENOMEM when memory for the object or the top table is missing;
 *         -EFAULT when mem_ops->to_ptr() cannot reach the new top table
 *         or mem_ops->alloc() returned a misaligned address; -ERANGE
 *         when the table address does not fit in oas bits (a walker
 *         could not reach it).
 */
int uiommu_pgtable_create(const struct uiommu_pgtable_cfg *cfg,
			  struct uiommu_pgtable **out);

/**
 * Free every table (no flush callback is called) and the object.
 * NULL is accepted. No lookup may run concurrently.
 */
void uiommu_pgtable_destroy(struct uiommu_pgtable *pt);

/**
 * Map [iova, iova + size - 1] to [oa, oa + size - 1].
 *
 * Leaves are chosen as large as the alignment of iova and oa, the
 * remaining length and pgsize_bitmap allow (a free part of a table that
 * already holds mappings gets the largest leaves that fit below it).
 * Mapping goes in increasing iova order and stops at the first error; the
 * part already mapped (*mapped bytes from iova) stays mapped and is for the
 * caller to unmap if it wants all-or-nothing. For -EEXIST, *mapped is
 * exactly the offset of the first page that was already mapped, and
 * nothing was changed from there on.
 *
 * @param pt    table
 * @param iova  first input address, 4 KiB aligned
 * @param oa    first output address, 4 KiB aligned
 * @param size  bytes, a non-zero multiple of 4 KiB
 * @param prot  UIOMMU_PT_PROT_* (ORed with cfg.prot_default)
 * @param[out] mapped  bytes mapped (may be NULL)
 * @return 0; -EINVAL for misalignment, size 0, no READ/WRITE in prot,
 *         CACHE together with MMIO, or NOEXEC together with EXEC;
 *         -EOPNOTSUPP for unknown prot bits; -EOVERFLOW when iova + size
 *         or oa + size wraps past 2^64; -ERANGE when the input range goes
 *         beyond ias bits or the output range beyond oas bits;
 *         -EEXIST when part of the range is already mapped;
 *         -ENOMEM when a table cannot be allocated; -EFAULT when
 *         mem_ops->to_ptr() cannot reach a table; -ERANGE also when a
 *         new table's address does not fit in oas bits. -EINVAL when pt
 *         is NULL.
 */
int uiommu_pgtable_map(struct uiommu_pgtable *pt, uint64_t iova, uint64_t oa,
		       uint64_t size, uint32_t prot, uint64_t *mapped);

/**
 * Unmap whatever is mapped in [iova, iova + size - 1]; holes are skipped.
 *
 * A block only partly inside the range is split into next-level leaves
 * (same output and attributes) and only the part inside is removed.
 * Tables left empty are unhooked and freed (after flush_ops->walk). The
 * top table is never freed.
 *
 * @param pt    table
 * @param iova  first input address, 4 KiB aligned
 * @param size  bytes, a non-zero multiple of 4 KiB
 * @param[out] unmapped  bytes that were mapped and are now unmapped (may be
 *             NULL); on error, those removed before the error
 * @return 0 (also when nothing was mapped: *unmapped == 0);
 *         -EINVAL for misalignment or size 0; -EOVERFLOW when iova + size
 *         wraps; -ERANGE when the range goes beyond ias bits; -ENOMEM when
 *         a block split needs a table that cannot be allocated (the block
 *         stays whole); -EFAULT when mem_ops->to_ptr() cannot reach a table;
 *         -EINVAL also when pt is NULL.
 */
int uiommu_pgtable_unmap(struct uiommu_pgtable *pt, uint64_t iova,
			 uint64_t size, uint64_t *unmapped);

/**
 * Look up one input address. Lock-free; may run concurrently with map and
 * unmap (see the file comment).
 *
 * @param pt    table
 * @param iova  any input address
 * @param[out] out  the leaf (may be NULL to only test presence)
 * @return 0; -ENOENT when iova is not mapped; -ERANGE when iova is beyond
 *         ias bits; -EFAULT when mem_ops->to_ptr() cannot reach a table;
 *         -EINVAL when pt is NULL.
 */
int uiommu_pgtable_iova_to_phys(const struct uiommu_pgtable *pt, uint64_t iova,
				struct uiommu_pt_leaf *out);

/**
 * Visit every table and leaf descriptor covering part of [first, last].
 *
 * @param pt       table
 * @param first    first input address of interest
 * @param last     last input address of interest (inclusive; clamped to
 *                 the input size)
 * @param visitor  called per descriptor
 * @param arg      passed to visitor
 * @return 0 when the walk completed; the visitor's non-zero value when it
 *         stopped the walk; -EINVAL when pt or visitor is NULL or
 *         first > last;
 *         -ERANGE when first is beyond ias bits; -EFAULT when
 *         mem_ops->to_ptr() cannot reach a table.
 */
int uiommu_pgtable_walk(const struct uiommu_pgtable *pt, uint64_t first,
			uint64_t last, uiommu_pt_visitor_t visitor, void *arg);

/**
 * Table address of the top table (the TTB value).
 * @return the address (0 when pt is NULL; 0 may also be a valid GPA).
 */
uint64_t uiommu_pgtable_root(const struct uiommu_pgtable *pt);

/**
 * Describe a table.
 *
 * @param pt   table
 * @param[out] info  facts
 */
void uiommu_pgtable_info_get(const struct uiommu_pgtable *pt,
			     struct uiommu_pgtable_info *info);

/**
 * Register values (TCR/MAIR for stage 1, VTCR for stage 2, TTB, start
 * level) of an LPAE table, for building SMMUv3 CDs and STEs.
 *
 * @param pt   table
 * @param[out] regs  values
 * @return 0; -EINVAL when pt or regs is NULL; -EOPNOTSUPP when the table
 *         is not an LPAE format.
 */
int uiommu_pgtable_lpae_regs(const struct uiommu_pgtable *pt,
			     struct uiommu_lpae_regs *regs);

/**
 * A uiommu_lpae_walk() configuration that walks this table through
 * uiommu_pgtable_read_pte(), to run the hostile walker (or a nested walk)
 * over a managed table.
 *
 * @param pt   table
 * @param[out] cfg  configuration, ctx == pt
 * @return 0; -EINVAL when pt or cfg is NULL; -EOPNOTSUPP when the table
 *         is not an LPAE format.
 */
int uiommu_pgtable_lpae_walk_cfg(const struct uiommu_pgtable *pt,
				 struct uiommu_lpae_walk_cfg *cfg);

/**
 * read_pte callback for uiommu_lpae_walk_cfg over a managed table: reads
 * through the table's mem_ops->to_ptr() with an acquire load.
 *
 * @param ctx  the struct uiommu_pgtable
 * @param table_addr  table page address
 * @param byte_offset offset of the descriptor, 8-aligned, < 4096
 * @param[out] pte  the descriptor
 * @return 0; -EINVAL for a misaligned or too large offset; -EFAULT when
 *         to_ptr() cannot reach the address.
 */
int uiommu_pgtable_read_pte(void *ctx, uint64_t table_addr,
			    uint64_t byte_offset, uint64_t *pte);

/** Short name of a format ("arm-lpae-s1-4k", ...), or "unknown". */
const char *uiommu_pt_format_str(enum uiommu_pt_format format);

#ifdef __cplusplus
}
#endif

#endif /* UIOMMU_PGTABLE_H */
