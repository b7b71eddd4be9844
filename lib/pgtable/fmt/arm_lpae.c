/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * AArch64 LPAE, 4 KiB granule: what is common to both stages and not part
 * of the per-level algorithm — the geometry of a managed table (taken from
 * the walker's own rule, uiommu_lpae_walk_geometry(), so writer and walker
 * agree by construction), the register values a stream-table or context
 * descriptor needs, and the read_pte adapter that lets the hostile walker
 * run over a managed table.
 *
 * Register encodings (reference §7.1):
 *   stage 1  TCR: T0SZ = 64 - IAS, TG0 = 0 (4K), IPS from OAS,
 *            SH0/IRGN0/ORGN0 = IS/WBWA/WBWA when the walk is coherent,
 *            else OS/NC/NC; MAIR: idx0 0x44, idx1 0xff, idx2 0x04, idx3 0xf4.
 *   stage 2  VTCR: T0SZ, SL0 (4K: 0 → L2, 1 → L1, 2 → L0), TG0, PS,
 *            same SH/IRGN/ORGN rule; start level one lower with 2..16
 *            concatenated tables where the walk would start at level 0.
 */
#include <errno.h>
#include <string.h>

#include "pt_private.h"
#include "uiommu_lpae.h"

int
uiommu_lpae_bits_to_ps(unsigned int bits)
{
	static const unsigned int sizes[] = { 32, 36, 40, 42, 44, 48, 52 };

	if (bits == 0)
		return -EINVAL;
	for (unsigned int i = 0; i < RTE_DIM(sizes); i++)
		if (bits <= sizes[i])
			return (int)i;
	return -EINVAL;
}

int
uiommu_lpae_ps_to_bits(unsigned int ps)
{
	static const int sizes[] = { 32, 36, 40, 42, 44, 48, 52 };

	if (ps >= RTE_DIM(sizes))
		return -EINVAL;
	return sizes[ps];
}

static unsigned int
lpae_stage(const struct uiommu_pgtable *pt)
{
	return pt->cfg.format == UIOMMU_PT_ARM_LPAE_S2_4K ? 2 : 1;
}

static bool
lpae_format(const struct uiommu_pgtable *pt)
{
	return pt != NULL && (pt->cfg.format == UIOMMU_PT_ARM_LPAE_S1_4K ||
			      pt->cfg.format == UIOMMU_PT_ARM_LPAE_S2_4K);
}

int
arm_lpae_geometry(struct uiommu_pgtable *pt)
{
	struct uiommu_lpae_walk_cfg wc = {
		.stage = lpae_stage(pt),
		.ias = pt->cfg.ias,
		.oas = pt->cfg.oas,
		.tg = UIOMMU_LPAE_TG0_4K,
		.sl0 = UIOMMU_LPAE_SL0_AUTO,
	};
	unsigned int start, concat;
	int rc;

	rc = uiommu_lpae_walk_geometry(&wc, &start, &concat, NULL);
	if (rc != 0)
		return rc;
	pt->start_level = start;
	pt->concat = concat;
	pt->top_entries = 1u << (pt->cfg.ias - UIOMMU_LPAE_LVL_SHIFT(start));
	pt->top_size = (uint64_t)pt->top_entries * sizeof(uint64_t);
	/* A top table smaller than 64 bytes still takes 64 (TTB alignment). */
	if (pt->top_size < 64)
		pt->top_size = 64;
	return 0;
}

int
uiommu_pgtable_lpae_regs(const struct uiommu_pgtable *pt,
			 struct uiommu_lpae_regs *regs)
{
	bool coherent;

	if (!lpae_format(pt) || regs == NULL)
		return pt == NULL || regs == NULL ? -EINVAL : -EOPNOTSUPP;
	coherent = (pt->cfg.flags & UIOMMU_PT_CFG_COHERENT_WALK) != 0;
	memset(regs, 0, sizeof(*regs));
	regs->stage = lpae_stage(pt);
	regs->start_level = pt->start_level;
	regs->concat = pt->concat;
	regs->ias = pt->cfg.ias;
	regs->oas = pt->cfg.oas;
	regs->ttb = pt->root;
	regs->t0sz = 64 - pt->cfg.ias;
	regs->tg0 = UIOMMU_LPAE_TG0_4K;
	regs->sh0 = coherent ? UIOMMU_LPAE_SH_IS : UIOMMU_LPAE_SH_OS;
	regs->irgn0 = coherent ? UIOMMU_LPAE_RGN_WBWA : UIOMMU_LPAE_RGN_NC;
	regs->orgn0 = regs->irgn0;
	if (regs->stage == 1) {
		regs->ips = (unsigned int)uiommu_lpae_bits_to_ps(pt->cfg.oas);
		regs->mair = UIOMMU_LPAE_MAIR_VALUE;
	} else {
		regs->sl0 = 2 - pt->start_level;
		regs->ps = (unsigned int)uiommu_lpae_bits_to_ps(pt->cfg.oas);
	}
	return 0;
}

int
uiommu_pgtable_lpae_walk_cfg(const struct uiommu_pgtable *pt,
			     struct uiommu_lpae_walk_cfg *cfg)
{
	if (!lpae_format(pt) || cfg == NULL)
		return pt == NULL || cfg == NULL ? -EINVAL : -EOPNOTSUPP;
	memset(cfg, 0, sizeof(*cfg));
	cfg->stage = lpae_stage(pt);
	cfg->ias = pt->cfg.ias;
	cfg->tg = UIOMMU_LPAE_TG0_4K;
	/* Explicit SL0 for stage 2: exercises the register path. */
	cfg->sl0 = cfg->stage == 2 ? (int)(2 - pt->start_level) :
				     UIOMMU_LPAE_SL0_AUTO;
	cfg->oas = pt->cfg.oas;
	cfg->ttb = pt->root;
	cfg->read_pte = uiommu_pgtable_read_pte;
	/* The walker only reads through the const-correct read_pte. */
	cfg->ctx = (void *)(uintptr_t)pt;
	return 0;
}

int
uiommu_pgtable_read_pte(void *ctx, uint64_t table_addr, uint64_t byte_offset,
			uint64_t *pte)
{
	const struct uiommu_pgtable *pt = ctx;
	const uint64_t *p;
	uint64_t addr;

	if (pt == NULL || pte == NULL || (byte_offset & 7) != 0 ||
	    byte_offset >= UIOMMU_LPAE_GRANULE)
		return -EINVAL;
	if (__builtin_add_overflow(table_addr, byte_offset, &addr))
		return -EFAULT;
	p = pt_table_ptr(pt, addr, sizeof(uint64_t));
	if (p == NULL || ((uintptr_t)p & 7) != 0)
		return -EFAULT;
	*pte = pt_load(p); /* R1: pairs with W1 */
	return 0;
}
