/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * AArch64 LPAE, 4 KiB granule: the format primitives of pt_common.h.
 *
 * Include with ARM_LPAE_STAGE defined to 1 or 2; the two stages share the
 * geometry (levels 0..3, 9 bits per level, blocks at levels 1 and 2, pages
 * at level 3) and differ only in the leaf attribute encoding:
 *
 *   stage 1: AttrIndx [4:2] (MAIR index), AP[1] UNPRIV (bit 6),
 *            AP[2] RDONLY (bit 7), SH [9:8], AF (10), nG (11), XN [54:53]
 *   stage 2: MemAttr [5:2], S2AP [7:6] (6 read, 7 write), SH [9:8],
 *            AF (10), XN [54:53]
 *
 * The geometry of one table (start level, concatenation) is computed once at
 * create time by arm_lpae_geometry() in fmt/arm_lpae.c.
 */
#ifndef FMT_ARM_LPAE_H
#define FMT_ARM_LPAE_H

#include "pt_common.h"
#include "uiommu_lpae.h"

#if !defined(ARM_LPAE_STAGE) || (ARM_LPAE_STAGE != 1 && ARM_LPAE_STAGE != 2)
#error "define ARM_LPAE_STAGE to 1 or 2 before including arm_lpae.h"
#endif

#define PT_LEAF_LEVEL 3u
#define PT_ITEMS_LG2 UIOMMU_LPAE_BITS_PER_LEVEL
#define PT_TABLE_SIZE UIOMMU_LPAE_GRANULE

/** Bits of a leaf that are neither address nor type. */
#define ARM_LPAE_LEAF_ATTR_MASK \
	(~(UIOMMU_LPAE_PTE_ADDR_MASK | UIOMMU_LPAE_PTE_ADDR_HI_MASK | \
	   UIOMMU_LPAE_PTE_TYPE_MASK))

static inline unsigned int
pt_lvl_shift(unsigned int lvl)
{
	return UIOMMU_LPAE_LVL_SHIFT(lvl);
}

static inline bool
pt_can_leaf(unsigned int lvl)
{
	return lvl >= 1 && lvl <= 3;
}

static inline bool
pt_entry_valid(uint64_t pte)
{
	return (pte & UIOMMU_LPAE_PTE_VALID) != 0;
}

static inline bool
pt_entry_is_table(uint64_t pte, unsigned int lvl)
{
	return lvl < PT_LEAF_LEVEL &&
	       (pte & UIOMMU_LPAE_PTE_TYPE_MASK) == UIOMMU_LPAE_PTE_TYPE_TABLE;
}

static inline uint64_t
pt_entry_addr(uint64_t pte)
{
	return pte & UIOMMU_LPAE_PTE_ADDR_MASK;
}

static inline uint64_t
pt_mk_table(uint64_t addr)
{
	return (addr & UIOMMU_LPAE_PTE_ADDR_MASK) | UIOMMU_LPAE_PTE_TYPE_TABLE;
}

static inline uint64_t
pt_mk_leaf(uint64_t oa, unsigned int lvl, uint64_t attrs)
{
	uint64_t type = lvl == PT_LEAF_LEVEL ? UIOMMU_LPAE_PTE_TYPE_PAGE :
					       UIOMMU_LPAE_PTE_TYPE_BLOCK;

	return (oa & UIOMMU_LPAE_PTE_ADDR_MASK) | attrs | type;
}

static inline uint64_t
pt_leaf_attrs(uint64_t pte)
{
	return pte & ARM_LPAE_LEAF_ATTR_MASK;
}

#if ARM_LPAE_STAGE == 1

static inline uint64_t
pt_prot_attrs(uint32_t prot)
{
	uint64_t pte = UIOMMU_LPAE_PTE_AF | UIOMMU_LPAE_PTE_NG;

	if (!(prot & UIOMMU_PT_PROT_WRITE))
		pte |= UIOMMU_LPAE_PTE_AP_RDONLY;
	if (!(prot & UIOMMU_PT_PROT_PRIV))
		pte |= UIOMMU_LPAE_PTE_AP_UNPRIV;
	if (prot & UIOMMU_PT_PROT_NOEXEC)
		pte |= UIOMMU_LPAE_PTE_XN;
	if (prot & UIOMMU_PT_PROT_CACHE)
		pte |= ((uint64_t)UIOMMU_LPAE_MAIR_IDX_CACHE <<
			UIOMMU_LPAE_PTE_ATTRINDX_SHIFT) | UIOMMU_LPAE_PTE_SH_IS;
	else if (prot & UIOMMU_PT_PROT_MMIO)
		pte |= ((uint64_t)UIOMMU_LPAE_MAIR_IDX_DEV <<
			UIOMMU_LPAE_PTE_ATTRINDX_SHIFT) | UIOMMU_LPAE_PTE_SH_OS;
	else
		pte |= ((uint64_t)UIOMMU_LPAE_MAIR_IDX_NC <<
			UIOMMU_LPAE_PTE_ATTRINDX_SHIFT) | UIOMMU_LPAE_PTE_SH_OS;
	return pte;
}

static inline uint32_t
pt_leaf_prot(uint64_t pte)
{
	uint32_t prot = UIOMMU_PT_PROT_READ;
	unsigned int idx = (pte & UIOMMU_LPAE_PTE_ATTRINDX_MASK) >>
			   UIOMMU_LPAE_PTE_ATTRINDX_SHIFT;

	if (!(pte & UIOMMU_LPAE_PTE_AP_RDONLY))
		prot |= UIOMMU_PT_PROT_WRITE;
	if (!(pte & UIOMMU_LPAE_PTE_AP_UNPRIV))
		prot |= UIOMMU_PT_PROT_PRIV;
	prot |= (pte & UIOMMU_LPAE_PTE_XN) ? UIOMMU_PT_PROT_NOEXEC :
					     UIOMMU_PT_PROT_EXEC;
	if (idx == UIOMMU_LPAE_MAIR_IDX_CACHE)
		prot |= UIOMMU_PT_PROT_CACHE;
	else if (idx == UIOMMU_LPAE_MAIR_IDX_DEV)
		prot |= UIOMMU_PT_PROT_MMIO;
	return prot;
}

#else /* ARM_LPAE_STAGE == 2 */

static inline uint64_t
pt_prot_attrs(uint32_t prot)
{
	uint64_t pte = UIOMMU_LPAE_PTE_AF;

	if (prot & UIOMMU_PT_PROT_READ)
		pte |= UIOMMU_LPAE_PTE_S2AP_READ;
	if (prot & UIOMMU_PT_PROT_WRITE)
		pte |= UIOMMU_LPAE_PTE_S2AP_WRITE;
	if (prot & UIOMMU_PT_PROT_NOEXEC)
		pte |= UIOMMU_LPAE_PTE_XN;
	if (prot & UIOMMU_PT_PROT_CACHE)
		pte |= ((uint64_t)UIOMMU_LPAE_MEMATTR_CACHE <<
			UIOMMU_LPAE_PTE_MEMATTR_SHIFT) | UIOMMU_LPAE_PTE_SH_IS;
	else if (prot & UIOMMU_PT_PROT_MMIO)
		pte |= ((uint64_t)UIOMMU_LPAE_MEMATTR_DEV <<
			UIOMMU_LPAE_PTE_MEMATTR_SHIFT) | UIOMMU_LPAE_PTE_SH_OS;
	else
		pte |= ((uint64_t)UIOMMU_LPAE_MEMATTR_NC <<
			UIOMMU_LPAE_PTE_MEMATTR_SHIFT) | UIOMMU_LPAE_PTE_SH_OS;
	return pte;
}

static inline uint32_t
pt_leaf_prot(uint64_t pte)
{
	uint32_t prot = 0;
	unsigned int ma = (pte & UIOMMU_LPAE_PTE_MEMATTR_MASK) >>
			  UIOMMU_LPAE_PTE_MEMATTR_SHIFT;

	if (pte & UIOMMU_LPAE_PTE_S2AP_READ)
		prot |= UIOMMU_PT_PROT_READ;
	if (pte & UIOMMU_LPAE_PTE_S2AP_WRITE)
		prot |= UIOMMU_PT_PROT_WRITE;
	prot |= (pte & UIOMMU_LPAE_PTE_XN) ? UIOMMU_PT_PROT_NOEXEC :
					     UIOMMU_PT_PROT_EXEC;
	if (ma == UIOMMU_LPAE_MEMATTR_CACHE)
		prot |= UIOMMU_PT_PROT_CACHE;
	else if (ma == UIOMMU_LPAE_MEMATTR_DEV)
		prot |= UIOMMU_PT_PROT_MMIO;
	return prot;
}

#endif /* ARM_LPAE_STAGE */

#endif /* FMT_ARM_LPAE_H */
