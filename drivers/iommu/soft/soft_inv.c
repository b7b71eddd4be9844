/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Soft backend invalidation: apply a batch of decoded SMMUv3 invalidation
 * commands to the IOTLB and the CD caches.
 *
 * Design. Entries are applied in order. Each one removes what it covers at
 * once (new lookups miss), and the whole batch completes with a single
 * grace period (uiommu_iotlb_sync) before the call returns: that is the
 * point at which the core may report CMD_SYNC complete, and from which no
 * access uses a removed IOTLB entry or cached CD (see lib/iotlb/iotlb.c for
 * the protocol). The first entry that cannot be applied stops the batch;
 * the entries before it have taken effect and are also completed by the
 * grace period.
 *
 *   TLBI_NH_VA     [first, last] of one ASID (leaf hint: no walk cache here)
 *   TLBI_NH_VAA    [first, last] of every ASID
 *   TLBI_NH_ASID   one ASID
 *   TLBI_NH_ALL, TLBI_NSNH_ALL   every entry of the entry's VMID
 *   CFGI_CD        the CD of (device, SSID); CFGI_CD_ALL and CFGI_STE every
 *                  CD of the device; no device: every device of the vIOMMU
 *   CFGI_ALL       every CD of every device
 *   ATC_INV        counted (the model has no ATC)
 *   PREFETCH_CFG, CMD_SYNC  accepted, no effect
 *   anything else  -EOPNOTSUPP (stage-2 and EL2 TLBIs are the host's)
 * A TLBI_NH_VA[A] with first > last is -EINVAL.
 */
#include "soft_private.h"
#include "uiommu_cmd.h"

static void
cd_drop_dev(struct soft_viommu *vi, struct soft_dev *dev, bool all,
	    uint32_t ssid)
{
	soft_cd_cache_drop(vi, __atomic_load_n(&dev->cfg, __ATOMIC_ACQUIRE),
			   all, ssid);
}

static void
cd_drop_every_dev(struct soft_viommu *vi)
{
	for (unsigned int i = 0; i < UIOMMU_MAX_VDEVICES; i++) {
		struct soft_dev *dev = __atomic_load_n(&vi->devs[i],
						       __ATOMIC_ACQUIRE);

		if (dev != NULL)
			cd_drop_dev(vi, dev, true, 0);
	}
}

static int
apply_one(struct soft_viommu *vi, const struct uiommu_inv *e, bool *synced)
{
	struct soft_dev *dev = e->dev;

	switch (e->op) {
	case UIOMMU_CMD_TLBI_NH_VA:
	case UIOMMU_CMD_TLBI_NH_VAA:
		if (e->first > e->last)
			return -EINVAL;
		uiommu_iotlb_inv_va(vi->tlb, e->vmid, e->asid, e->first,
				    e->last,
				    (e->op == UIOMMU_CMD_TLBI_NH_VAA ?
				     UIOMMU_IOTLB_INV_ANY_ASID : 0) |
				    (e->leaf ? UIOMMU_IOTLB_INV_LEAF : 0));
		*synced = false;
		return 0;
	case UIOMMU_CMD_TLBI_NH_ASID:
		uiommu_iotlb_inv_asid(vi->tlb, e->vmid, e->asid);
		*synced = false;
		return 0;
	case UIOMMU_CMD_TLBI_NH_ALL:
	case UIOMMU_CMD_TLBI_NSNH_ALL:
		uiommu_iotlb_inv_vmid(vi->tlb, e->vmid);
		*synced = false;
		return 0;
	case UIOMMU_CMD_CFGI_CD:
	case UIOMMU_CMD_CFGI_CD_ALL:
	case UIOMMU_CMD_CFGI_STE:
	case UIOMMU_CMD_CFGI_ALL:
		soft_cfg_gen_bump(vi);
		if (dev == NULL || e->op == UIOMMU_CMD_CFGI_ALL)
			cd_drop_every_dev(vi);
		else
			cd_drop_dev(vi, dev, e->op != UIOMMU_CMD_CFGI_CD,
				    e->ssid);
		*synced = false;
		return 0;
	case UIOMMU_CMD_ATC_INV:
		__atomic_fetch_add(&vi->atc_inv, 1, __ATOMIC_RELAXED);
		return 0;
	case UIOMMU_CMD_PREFETCH_CFG:
		__atomic_fetch_add(&vi->prefetch, 1, __ATOMIC_RELAXED);
		return 0;
	case UIOMMU_CMD_SYNC:
		return 0;
	default:
		return -EOPNOTSUPP;
	}
}

int
soft_invalidate(void *priv, const struct uiommu_inv *batch, unsigned int n,
		unsigned int *done)
{
	struct soft_viommu *vi = priv;
	bool synced = true;
	unsigned int i;
	int rc = 0;

	if (n != 0 && batch == NULL) {
		*done = 0;
		return -EINVAL;
	}
	for (i = 0; i < n; i++) {
		rc = apply_one(vi, &batch[i], &synced);
		if (rc != 0)
			break;
	}
	if (!synced)
		uiommu_iotlb_sync(vi->tlb);
	*done = i;
	return rc;
}
