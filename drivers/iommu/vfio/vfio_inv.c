/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vfio backend: the invalidate op.
 *
 * Design. An invalidation tells the shadow which part of the guest's
 * stage 1 may have changed; the backend re-walks exactly that part and
 * applies the difference (vshadow_refresh). Which devices and which range:
 *
 *   TLBI_NH_VA  (ASID, range)  stage-1 devices whose CD has that ASID, range
 *   TLBI_NH_VAA (range)        every stage-1 device, range
 *   TLBI_NH_ASID (ASID)        stage-1 devices with that ASID, everything
 *   TLBI_NH_ALL / NSNH_ALL     every stage-1 device, everything
 *   CFGI_CD / CFGI_CD_ALL      that device: CD re-read, everything
 *   CFGI_STE / CFGI_ALL        nothing more: the core already applied the
 *                              STE through set_ste before queueing it
 *   ATC_INV                    nothing: type1 exposes no ATS
 *
 * Bypass and blocked devices have no stage 1: TLBIs do not concern them.
 *
 * Consecutive TLBI_NH_VA of one ASID (or TLBI_NH_VAA) whose ranges touch
 * are merged into one refresh, so a guest that invalidates page by page
 * (no range invalidation) still gets one MAP_DMA per contiguous run. When
 * a merged group fails, *done names its first entry: the entries before it
 * took effect; the group's own effect may be partial, which for an
 * invalidation is only ever an early invalidation.
 *
 * Every matching device is refreshed even when one fails (so no device
 * keeps a mapping its guest removed), and the first error is returned.
 * The call is synchronous: when it returns, the kernel calls are done, so
 * the CMD_SYNC that follows the batch completes after them.
 */
#include "vfio_private.h"
#include "uiommu_cmd.h"

/* Refresh [first, last] of the stage-1 devices an entry concerns. */
static int
refresh_s1(struct vfio_viommu *vi, bool any_asid, uint16_t asid,
	   uint64_t first, uint64_t last)
{
	int rc = 0, r;

	for (uint32_t i = 0; i < vi->nr_devs; i++) {
		struct vfio_dev *d = vi->devs[i];

		if (d->mode != VFIO_MODE_S1 || (!any_asid && d->s1.asid != asid))
			continue;
		r = vshadow_refresh(d, first, last);
		if (r != 0 && rc == 0)
			rc = r;
	}
	return rc;
}

/*
 * Whether the pages of [f2, l2] overlap or adjoin those of [f1, l1] (a
 * TLBI without range names one address; it stands for its page at least).
 */
static inline bool
ranges_touch(uint64_t f1, uint64_t l1, uint64_t f2, uint64_t l2)
{
	l1 |= VFIO_PAGE_MASK;
	l2 |= VFIO_PAGE_MASK;
	f1 &= ~VFIO_PAGE_MASK;
	f2 &= ~VFIO_PAGE_MASK;
	return (l1 == UINT64_MAX || f2 <= l1 + 1) &&
	       (l2 == UINT64_MAX || f1 <= l2 + 1);
}

int
vfio_invalidate(void *priv, const struct uiommu_inv *batch, unsigned int n,
		unsigned int *done)
{
	struct vfio_viommu *vi = priv;
	unsigned int i = 0, j;
	int rc = 0;

	while (i < n) {
		const struct uiommu_inv *e = &batch[i];
		uint64_t first, last;
		bool vaa;

		j = i + 1;
		switch (e->op) {
		case UIOMMU_CMD_TLBI_NH_VA:
		case UIOMMU_CMD_TLBI_NH_VAA:
			vaa = e->op == UIOMMU_CMD_TLBI_NH_VAA;
			first = e->first;
			last = e->last;
			while (j < n && batch[j].op == e->op &&
			       (vaa || batch[j].asid == e->asid) &&
			       ranges_touch(first, last, batch[j].first,
					    batch[j].last)) {
				first = RTE_MIN(first, batch[j].first);
				last = RTE_MAX(last, batch[j].last);
				j++;
			}
			rc = refresh_s1(vi, vaa, e->asid, first, last);
			break;
		case UIOMMU_CMD_TLBI_NH_ASID:
			rc = refresh_s1(vi, false, e->asid, 0, UINT64_MAX);
			break;
		case UIOMMU_CMD_TLBI_NH_ALL:
		case UIOMMU_CMD_TLBI_NSNH_ALL:
			rc = refresh_s1(vi, true, 0, 0, UINT64_MAX);
			break;
		case UIOMMU_CMD_CFGI_CD:
		case UIOMMU_CMD_CFGI_CD_ALL:
			if (e->dev != NULL && ((struct vfio_dev *)e->dev)->have_ste)
				rc = vfio_dev_apply(e->dev);
			break;
		case UIOMMU_CMD_CFGI_STE:
		case UIOMMU_CMD_CFGI_ALL:
		case UIOMMU_CMD_ATC_INV:
			break;
		default:
			rc = -EOPNOTSUPP;
			break;
		}
		if (rc != 0) {
			*done = i;
			return rc;
		}
		i = j;
	}
	*done = n;
	return 0;
}
