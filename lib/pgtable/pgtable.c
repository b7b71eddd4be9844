/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Managed page tables: the public entry points.
 *
 * Design: this file owns argument checking and the object's lifetime; the
 * per-level work is done by a format instance (fmt/arm_lpae_s1.c,
 * fmt/arm_lpae_s2.c), each the generic algorithm of pt_impl.h compiled over
 * one format's primitives and reached through a const struct pt_fmt_ops.
 * Checks happen here once, in a fixed order, so every format reports the
 * same errno for the same mistake: malformed (-EINVAL), unknown flag
 * (-EOPNOTSUPP), wrap past 2^64 (-EOVERFLOW), beyond ias/oas (-ERANGE).
 *
 * Table memory comes only through cfg.mem_ops, so a table can live in
 * manager hugepages or in a guest's RAM; pt_table_alloc() is the one place
 * that allocates, clears and counts tables, and checks that a table's
 * address is one a walker can follow (aligned, within oas bits).
 *
 * The object is created hidden: it is returned only once its top table
 * exists, and destroy cannot fail.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "pt_private.h"
#include "uiommu_fail.h"
#include "uiommu_log.h"

RTE_LOG_REGISTER_SUFFIX(uiommu_logtype_pgtable, pgtable, NOTICE);

#define PT_MIN_PAGE UIOMMU_PT_PGSIZE_4K

const char *
uiommu_pt_format_str(enum uiommu_pt_format format)
{
	switch (format) {
	case UIOMMU_PT_ARM_LPAE_S1_4K:
		return "arm-lpae-s1-4k";
	case UIOMMU_PT_ARM_LPAE_S2_4K:
		return "arm-lpae-s2-4k";
	}
	return "unknown";
}

int
pt_table_alloc(struct uiommu_pgtable *pt, size_t size, uint64_t *addr,
	       uint64_t **ptr)
{
	const struct uiommu_pt_mem_ops *mo = pt->cfg.mem_ops;
	uint64_t a = 0;
	uint64_t *p;
	int rc;

	if (uiommu_should_fail())
		return -ENOMEM;
	rc = mo->alloc(pt->cfg.mem_ctx, size, size, &a);
	if (rc != 0)
		return rc < 0 ? rc : -ENOMEM;
	if ((a & (size - 1)) != 0) {
		rc = -EFAULT;
		goto err_free;
	}
	if (a > pt->oas_last || size - 1 > pt->oas_last - a) {
		rc = -ERANGE;
		goto err_free;
	}
	p = mo->to_ptr(pt->cfg.mem_ctx, a, size);
	if (p == NULL || ((uintptr_t)p & 7) != 0) {
		rc = -EFAULT;
		goto err_free;
	}
	/* Private until published by W1: plain stores are enough. */
	memset(p, 0, size);
	pt->tables++;
	*addr = a;
	*ptr = p;
	return 0;

err_free:
	mo->free(pt->cfg.mem_ctx, a, size);
	return rc;
}

void
pt_table_free(struct uiommu_pgtable *pt, uint64_t addr, size_t size)
{
	pt->cfg.mem_ops->free(pt->cfg.mem_ctx, addr, size);
	pt->tables--;
}

static int
check_cfg(const struct uiommu_pgtable_cfg *cfg, const struct pt_fmt_ops **ops,
	  uint64_t *bitmap)
{
	const struct uiommu_pt_mem_ops *mo = cfg->mem_ops;

	switch (cfg->format) {
	case UIOMMU_PT_ARM_LPAE_S1_4K:
		*ops = &arm_lpae_s1_ops;
		break;
	case UIOMMU_PT_ARM_LPAE_S2_4K:
		*ops = &arm_lpae_s2_ops;
		break;
	default:
		return -EOPNOTSUPP;
	}
	if (cfg->ias < UIOMMU_LPAE_MIN_IAS || cfg->ias > UIOMMU_LPAE_MAX_IAS ||
	    cfg->oas < UIOMMU_LPAE_MIN_OAS || cfg->oas > UIOMMU_LPAE_MAX_OAS)
		return -EINVAL;
	*bitmap = cfg->pgsize_bitmap != 0 ? cfg->pgsize_bitmap :
					    UIOMMU_PT_PGSIZE_LPAE_4K;
	if ((*bitmap & ~UIOMMU_PT_PGSIZE_LPAE_4K) != 0 ||
	    (*bitmap & UIOMMU_PT_PGSIZE_4K) == 0)
		return -EINVAL;
	if ((cfg->prot_default & ~UIOMMU_PT_PROT_ALL) != 0 ||
	    (cfg->flags & ~UIOMMU_PT_CFG_COHERENT_WALK) != 0)
		return -EINVAL;
	if (mo == NULL || mo->alloc == NULL || mo->free == NULL ||
	    mo->to_ptr == NULL)
		return -EINVAL;
	return 0;
}

int
uiommu_pgtable_create(const struct uiommu_pgtable_cfg *cfg,
		      struct uiommu_pgtable **out)
{
	const struct pt_fmt_ops *ops = NULL;
	struct uiommu_pgtable *pt;
	uint64_t bitmap = 0, *top;
	int rc;

	if (cfg == NULL || out == NULL)
		return -EINVAL;
	rc = check_cfg(cfg, &ops, &bitmap);
	if (rc != 0)
		return rc;

	if (uiommu_should_fail())
		return -ENOMEM;
	pt = calloc(1, sizeof(*pt));
	if (pt == NULL)
		return -ENOMEM;
	pt->cfg = *cfg;
	pt->cfg.pgsize_bitmap = bitmap;
	pt->ops = ops;
	pt->addr_is_ptr = (cfg->mem_ops->flags & UIOMMU_PT_MEM_ADDR_IS_PTR) != 0;
	pt->ias_last = (1ULL << cfg->ias) - 1;
	pt->oas_last = (1ULL << cfg->oas) - 1;
	rc = arm_lpae_geometry(pt);
	if (rc != 0)
		goto err_free_pt;
	rc = pt_table_alloc(pt, pt->top_size, &pt->root, &top);
	if (rc != 0)
		goto err_free_pt;

	UIOMMU_LOG(DEBUG, uiommu_logtype_pgtable,
		   "%s ias %u oas %u start level %u concat %u root 0x%" PRIx64,
		   uiommu_pt_format_str(cfg->format), cfg->ias, cfg->oas,
		   pt->start_level, pt->concat, pt->root);
	*out = pt;
	return 0;

err_free_pt:
	free(pt);
	return rc;
}

void
uiommu_pgtable_destroy(struct uiommu_pgtable *pt)
{
	if (pt == NULL)
		return;
	pt->ops->free_all(pt);
	pt_table_free(pt, pt->root, pt->top_size);
	if (pt->tables != 0)
		UIOMMU_LOG(ERR, uiommu_logtype_pgtable,
			   "table count %" PRIu64 " after destroy", pt->tables);
	free(pt);
}

/* Common checks of an input range; *last receives its inclusive end. */
static int
check_iova_range(const struct uiommu_pgtable *pt, uint64_t iova, uint64_t size,
		 uint64_t *last)
{
	int rc;

	if (size == 0 || ((iova | size) & (PT_MIN_PAGE - 1)) != 0)
		return -EINVAL;
	rc = uiommu_range_last(iova, size, last);
	if (rc != 0)
		return rc;
	if (*last > pt->ias_last)
		return -ERANGE;
	return 0;
}

int
uiommu_pgtable_map(struct uiommu_pgtable *pt, uint64_t iova, uint64_t oa,
		   uint64_t size, uint32_t prot, uint64_t *mapped)
{
	uint64_t last, oa_last, done = 0;
	int rc;

	if (mapped != NULL)
		*mapped = 0;
	if (pt == NULL)
		return -EINVAL;
	if ((prot & ~UIOMMU_PT_PROT_ALL) != 0)
		return -EOPNOTSUPP;
	prot |= pt->cfg.prot_default;
	if (!(prot & (UIOMMU_PT_PROT_READ | UIOMMU_PT_PROT_WRITE)) ||
	    ((prot & UIOMMU_PT_PROT_CACHE) && (prot & UIOMMU_PT_PROT_MMIO)) ||
	    ((prot & UIOMMU_PT_PROT_EXEC) && (prot & UIOMMU_PT_PROT_NOEXEC)))
		return -EINVAL;
	if ((oa & (PT_MIN_PAGE - 1)) != 0)
		return -EINVAL;
	rc = check_iova_range(pt, iova, size, &last);
	if (rc != 0)
		return rc;
	rc = uiommu_range_last(oa, size, &oa_last);
	if (rc != 0)
		return rc;
	if (oa_last > pt->oas_last)
		return -ERANGE;

	rc = pt->ops->map(pt, iova, last, oa, prot, &done);
	if (mapped != NULL)
		*mapped = done;
	return rc;
}

int
uiommu_pgtable_unmap(struct uiommu_pgtable *pt, uint64_t iova, uint64_t size,
		     uint64_t *unmapped)
{
	uint64_t last, done = 0;
	int rc;

	if (unmapped != NULL)
		*unmapped = 0;
	if (pt == NULL)
		return -EINVAL;
	rc = check_iova_range(pt, iova, size, &last);
	if (rc != 0)
		return rc;
	rc = pt->ops->unmap(pt, iova, last, &done);
	if (unmapped != NULL)
		*unmapped = done;
	return rc;
}

int
uiommu_pgtable_iova_to_phys(const struct uiommu_pgtable *pt, uint64_t iova,
			    struct uiommu_pt_leaf *out)
{
	if (pt == NULL)
		return -EINVAL;
	if (iova > pt->ias_last)
		return -ERANGE;
	return pt->ops->iova_to_phys(pt, iova, out);
}

int
uiommu_pgtable_walk(const struct uiommu_pgtable *pt, uint64_t first,
		    uint64_t last, uiommu_pt_visitor_t visitor, void *arg)
{
	if (pt == NULL || visitor == NULL || first > last)
		return -EINVAL;
	if (first > pt->ias_last)
		return -ERANGE;
	if (last > pt->ias_last)
		last = pt->ias_last;
	return pt->ops->walk(pt, first, last, visitor, arg);
}

uint64_t
uiommu_pgtable_root(const struct uiommu_pgtable *pt)
{
	return pt != NULL ? pt->root : 0;
}

void
uiommu_pgtable_info_get(const struct uiommu_pgtable *pt,
			struct uiommu_pgtable_info *info)
{
	if (info == NULL)
		return;
	memset(info, 0, sizeof(*info));
	if (pt == NULL)
		return;
	info->format = pt->cfg.format;
	info->ias = pt->cfg.ias;
	info->oas = pt->cfg.oas;
	info->pgsize_bitmap = pt->cfg.pgsize_bitmap;
	info->start_level = pt->start_level;
	info->levels = 4 - pt->start_level;
	info->concat = pt->concat;
	info->top_size = pt->top_size;
	info->root = pt->root;
	info->tables = pt->tables;
}
