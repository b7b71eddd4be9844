/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The format API: the primitives each page-table format provides, documented
 * once here. A format header (fmt/<name>.h) implements them as static inline
 * functions; a small fmt/<name>_<variant>.c sets PT_NS, includes the format
 * header and then pt_impl.h, which builds map/unmap/iova_to_phys/walk from
 * the primitives. The compiler inlines every per-level step, and function
 * pointers exist only at the struct pt_fmt_ops level.
 *
 * Levels are numbered as the format numbers them; the walk goes from
 * pt->start_level (the top table) to PT_LEAF_LEVEL (the smallest pages),
 * increasing. A descriptor is a uint64_t.
 *
 * Primitives (all static inline, pure):
 *
 *  PT_NS(name)                 mangle a symbol for this instance
 *  PT_LEAF_LEVEL               the last level (pages live there)
 *  PT_ITEMS_LG2                log2 of descriptors in a (non-top) table
 *  PT_TABLE_SIZE               bytes of a (non-top) table
 *
 *  pt_lvl_shift(lvl)           log2 of the input bytes one descriptor at
 *                              lvl covers
 *  pt_can_leaf(lvl)            the format allows a leaf at lvl
 *  pt_entry_valid(pte)         the descriptor is valid (not empty)
 *  pt_entry_is_table(pte, lvl) a valid descriptor at lvl points to a table
 *                              (otherwise a valid descriptor is a leaf)
 *  pt_entry_addr(pte)          output address of a leaf / address of the
 *                              next table
 *  pt_mk_table(addr)           table descriptor pointing to addr
 *  pt_mk_leaf(oa, lvl, attrs)  leaf descriptor at lvl
 *  pt_prot_attrs(prot)         leaf attribute bits for UIOMMU_PT_PROT_*
 *                              (never address or type bits)
 *  pt_leaf_attrs(pte)          attribute bits of a leaf, so that
 *                              pt_mk_leaf(oa, lvl', pt_leaf_attrs(pte))
 *                              makes an equivalent leaf at another level
 *                              (block splitting)
 *  pt_leaf_prot(pte)           UIOMMU_PT_PROT_* decoded from a leaf
 */
#ifndef PT_COMMON_H
#define PT_COMMON_H

#include "pt_private.h"

/** Index of iova's descriptor at lvl in a table of 2^items_lg2 entries. */
#define PT_INDEX(iova, shift, nent) \
	((unsigned int)(((iova) >> (shift)) & ((uint64_t)(nent) - 1)))

#endif /* PT_COMMON_H */
