/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Read-only walker for AArch64 LPAE tables that may be hostile (a guest's
 * stage-1, or any table whose content the project does not control).
 *
 * Design: the walk is a loop of at most UIOMMU_LPAE_MAX_LEVELS iterations,
 * one descriptor read per level, and the level strictly increases every
 * iteration; nothing read from memory can make it loop, recurse or index
 * outside a table. A table whose descriptor points back to itself therefore
 * ends at level 3, where the same descriptor reads as a page. All memory
 * access goes through cfg->read_pte(), which alone decides what may be
 * read; the walker computes table_addr + offset only within one 4 KiB page.
 * There is no allocation and no global state: the result is a pure function
 * of the configuration, the input address and the memory read.
 *
 * Checks follow the architecture's order for each descriptor: validity and
 * type (translation fault), then address bits (address size fault), then
 * the access flag (access flag fault). Permissions are decoded, not
 * checked: the caller knows the access.
 *
 * The geometry rule (start level, stage-2 concatenation) lives here too and
 * is shared with the managed tables (fmt/arm_lpae.c), so the writer and the
 * walker cannot disagree.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "uiommu_lpae.h"

/** Smallest alignment of a top table (TTB bits below are ignored). */
#define LPAE_MIN_TOP_ALIGN 64u

int
uiommu_lpae_walk_geometry(const struct uiommu_lpae_walk_cfg *cfg,
			  unsigned int *start_level, unsigned int *concat,
			  unsigned int *ias_out)
{
	unsigned int ias, levels, start, top_bits, n = 1;

	if (cfg == NULL || (cfg->stage != 1 && cfg->stage != 2))
		return -EINVAL;
	if (cfg->tg != UIOMMU_LPAE_TG0_4K)
		return -EOPNOTSUPP;
	if (cfg->ias != 0)
		ias = cfg->ias;
	else
		ias = cfg->t0sz < 64 ? 64 - cfg->t0sz : 0;
	if (ias < UIOMMU_LPAE_MIN_IAS || ias > UIOMMU_LPAE_MAX_IAS)
		return -EINVAL;
	if (cfg->oas < UIOMMU_LPAE_MIN_OAS || cfg->oas > 52)
		return -EINVAL;

	levels = (ias - UIOMMU_LPAE_GRANULE_SHIFT + UIOMMU_LPAE_BITS_PER_LEVEL - 1) /
		 UIOMMU_LPAE_BITS_PER_LEVEL;
	start = UIOMMU_LPAE_MAX_LEVELS - levels;

	if (cfg->stage == 2) {
		if (cfg->sl0 == UIOMMU_LPAE_SL0_AUTO) {
			/* Rule of §7.1: concatenate rather than start at L0. */
			if (start == 0 && ias - UIOMMU_LPAE_LVL_SHIFT(0) <= 4)
				start = 1;
		} else {
			/* 4 KiB granule: SL0 0 → level 2, 1 → 1, 2 → 0. */
			if (cfg->sl0 < 0 || cfg->sl0 > 2)
				return -EINVAL;
			start = 2 - (unsigned int)cfg->sl0;
		}
		top_bits = UIOMMU_LPAE_LVL_SHIFT(start) + UIOMMU_LPAE_BITS_PER_LEVEL;
		/* The start level must resolve at least one input bit... */
		if (ias <= UIOMMU_LPAE_LVL_SHIFT(start))
			return -EINVAL;
		/* ...and at most 16 tables may be concatenated. */
		if (ias > top_bits) {
			if (ias - top_bits > 4)
				return -EINVAL;
			n = 1u << (ias - top_bits);
		}
	}
	if (start_level != NULL)
		*start_level = start;
	if (concat != NULL)
		*concat = n;
	if (ias_out != NULL)
		*ias_out = ias;
	return 0;
}

const char *
uiommu_lpae_fault_str(enum uiommu_lpae_fault fault)
{
	switch (fault) {
	case UIOMMU_LPAE_FAULT_NONE:
		return "none";
	case UIOMMU_LPAE_FAULT_TRANSLATION:
		return "translation";
	case UIOMMU_LPAE_FAULT_ADDR_SIZE:
		return "addr_size";
	case UIOMMU_LPAE_FAULT_ACCESS:
		return "access";
	case UIOMMU_LPAE_FAULT_WALK_EABT:
		return "walk_eabt";
	case UIOMMU_LPAE_FAULT_CONFIG:
		return "config";
	}
	return "unknown";
}

static int
walk_fault(struct uiommu_lpae_walk_result *res, enum uiommu_lpae_fault kind,
	   unsigned int level)
{
	res->fault = kind;
	res->level = (int)level;
	return -EFAULT;
}

/* True when an address field has bits the output size does not allow. */
static bool
addr_too_big(uint64_t pte, uint64_t oa_limit_mask)
{
	return (pte & UIOMMU_LPAE_PTE_ADDR_HI_MASK) != 0 ||
	       (pte & UIOMMU_LPAE_PTE_ADDR_MASK & ~oa_limit_mask) != 0;
}

static void
decode_leaf(const struct uiommu_lpae_walk_cfg *cfg, uint64_t pte,
	    uint64_t tbl_attrs, struct uiommu_lpae_walk_result *res)
{
	unsigned int perm = 0;

	if (cfg->stage == 1) {
		perm |= UIOMMU_LPAE_PERM_READ;
		if (!(pte & UIOMMU_LPAE_PTE_AP_RDONLY) &&
		    !(tbl_attrs & UIOMMU_LPAE_TBL_AP_RDONLY))
			perm |= UIOMMU_LPAE_PERM_WRITE;
		if ((pte & UIOMMU_LPAE_PTE_AP_UNPRIV) &&
		    !(tbl_attrs & UIOMMU_LPAE_TBL_AP_NOEL0))
			perm |= UIOMMU_LPAE_PERM_UNPRIV;
		if (!(pte & UIOMMU_LPAE_PTE_UXN) &&
		    !(tbl_attrs & UIOMMU_LPAE_TBL_UXNTABLE))
			perm |= UIOMMU_LPAE_PERM_EXEC;
		if (!(pte & UIOMMU_LPAE_PTE_PXN) &&
		    !(tbl_attrs & UIOMMU_LPAE_TBL_PXNTABLE))
			perm |= UIOMMU_LPAE_PERM_PEXEC;
		res->attr = (unsigned int)((pte & UIOMMU_LPAE_PTE_ATTRINDX_MASK) >>
					   UIOMMU_LPAE_PTE_ATTRINDX_SHIFT);
		res->ng = (pte & UIOMMU_LPAE_PTE_NG) != 0;
	} else {
		if (pte & UIOMMU_LPAE_PTE_S2AP_READ)
			perm |= UIOMMU_LPAE_PERM_READ;
		if (pte & UIOMMU_LPAE_PTE_S2AP_WRITE)
			perm |= UIOMMU_LPAE_PERM_WRITE;
		if (!(pte & UIOMMU_LPAE_PTE_XN))
			perm |= UIOMMU_LPAE_PERM_EXEC;
		res->attr = (unsigned int)((pte & UIOMMU_LPAE_PTE_MEMATTR_MASK) >>
					   UIOMMU_LPAE_PTE_MEMATTR_SHIFT);
	}
	res->perm = perm;
	res->sh = (unsigned int)((pte & UIOMMU_LPAE_PTE_SH_MASK) >>
				 UIOMMU_LPAE_PTE_SH_SHIFT);
}

int
uiommu_lpae_walk(const struct uiommu_lpae_walk_cfg *cfg, uint64_t iova,
		 struct uiommu_lpae_walk_result *res)
{
	unsigned int start, ias, oas, lvl, shift;
	uint64_t oa_mask, top_bytes, tbl, byte, tbl_attrs = 0;
	int rc;

	if (res == NULL)
		return -EINVAL;
	memset(res, 0, sizeof(*res));
	res->iova = iova;
	if (cfg == NULL || cfg->read_pte == NULL) {
		res->fault = UIOMMU_LPAE_FAULT_CONFIG;
		return -EINVAL;
	}
	rc = uiommu_lpae_walk_geometry(cfg, &start, NULL, &ias);
	if (rc != 0) {
		res->fault = UIOMMU_LPAE_FAULT_CONFIG;
		return rc;
	}
	oas = cfg->oas > UIOMMU_LPAE_MAX_OAS ? UIOMMU_LPAE_MAX_OAS : cfg->oas;
	oa_mask = (1ULL << oas) - 1;
	lvl = start;
	res->level = (int)start;

	if (ias < 64 && (iova >> ias) != 0)
		return walk_fault(res, UIOMMU_LPAE_FAULT_TRANSLATION, start);

	/* Top table: 2^(ias - shift) descriptors, concat pages at most 16. */
	shift = UIOMMU_LPAE_LVL_SHIFT(start);
	top_bytes = 8ULL << (ias - shift);
	if (top_bytes < LPAE_MIN_TOP_ALIGN)
		top_bytes = LPAE_MIN_TOP_ALIGN;
	if ((cfg->ttb & ~oa_mask) != 0)
		return walk_fault(res, UIOMMU_LPAE_FAULT_ADDR_SIZE, start);
	tbl = cfg->ttb & ~(top_bytes - 1);
	byte = ((iova >> shift) & ((top_bytes / 8) - 1)) * 8;
	/* Never cross a page: select the concatenated table holding it. */
	tbl += byte & ~(UIOMMU_LPAE_GRANULE - 1);
	byte &= UIOMMU_LPAE_GRANULE - 1;

	/* Bounded: one descriptor per level, the level always increases. */
	for (unsigned int step = 0; step < UIOMMU_LPAE_MAX_LEVELS; step++) {
		uint64_t pte = 0, type, size, base;

		rc = cfg->read_pte(cfg->ctx, tbl, byte, &pte);
		if (rc != 0) {
			res->eabt_errno = rc < 0 ? rc : -EIO;
			res->table_addr = tbl;
			return walk_fault(res, UIOMMU_LPAE_FAULT_WALK_EABT, lvl);
		}
		res->ptes[res->nreads++] = pte;
		res->pte = pte;
		res->table_addr = tbl;

		if (!(pte & UIOMMU_LPAE_PTE_VALID))
			return walk_fault(res, UIOMMU_LPAE_FAULT_TRANSLATION, lvl);
		type = pte & UIOMMU_LPAE_PTE_TYPE_MASK;
		if (type == UIOMMU_LPAE_PTE_TYPE_TABLE && lvl < 3) {
			if (addr_too_big(pte, oa_mask))
				return walk_fault(res, UIOMMU_LPAE_FAULT_ADDR_SIZE,
						  lvl);
			if (cfg->stage == 1)
				tbl_attrs |= pte & (UIOMMU_LPAE_TBL_PXNTABLE |
						    UIOMMU_LPAE_TBL_UXNTABLE |
						    UIOMMU_LPAE_TBL_AP_NOEL0 |
						    UIOMMU_LPAE_TBL_AP_RDONLY);
			lvl++;
			tbl = pte & UIOMMU_LPAE_PTE_ADDR_MASK;
			byte = ((iova >> UIOMMU_LPAE_LVL_SHIFT(lvl)) &
				(UIOMMU_LPAE_ENTRIES - 1)) * 8;
			continue;
		}
		/* A block at level 0 or type 0b01 at level 3 is reserved. */
		if (type == UIOMMU_LPAE_PTE_TYPE_BLOCK && (lvl == 0 || lvl == 3))
			return walk_fault(res, UIOMMU_LPAE_FAULT_TRANSLATION, lvl);
		size = 1ULL << UIOMMU_LPAE_LVL_SHIFT(lvl);
		base = pte & UIOMMU_LPAE_PTE_ADDR_MASK;
		if (addr_too_big(pte, oa_mask) || (base & (size - 1)) != 0)
			return walk_fault(res, UIOMMU_LPAE_FAULT_ADDR_SIZE, lvl);
		if (!(pte & UIOMMU_LPAE_PTE_AF))
			return walk_fault(res, UIOMMU_LPAE_FAULT_ACCESS, lvl);
		res->level = (int)lvl;
		res->leaf_size = size;
		res->leaf_oa = base;
		res->oa = base | (iova & (size - 1));
		decode_leaf(cfg, pte, tbl_attrs, res);
		return 0;
	}
	/* Not reachable: at level 3 every valid descriptor is decided. */
	return walk_fault(res, UIOMMU_LPAE_FAULT_TRANSLATION, lvl);
}
