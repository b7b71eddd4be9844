/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * iommufd backend: the no-nesting fallback (shadow mode).
 *
 * Design. When the host IOMMU cannot walk a guest stage-1 (QEMU's emulated
 * VT-d, an SMMUv3 without S1P, a kernel without IOMMU_HWPT_INVALIDATE or
 * without a vIOMMU for SMMUv3, or "nesting=off"), the vIOMMU runs in
 * shadow mode and devices attach to IOASes directly:
 *  - guest bypass: the stage-2 IOAS itself (IOVA = GPA), exact;
 *  - guest stage-1: a per-device shadow IOAS holding the composed
 *    translation IOVA -> host memory of the guest page. It is kept by the
 *    shared shadow engine (lib/shadow, the refresh/diff algorithm the vfio
 *    backend uses for its containers), whose sink here is
 *    IOMMU_IOAS_MAP / IOMMU_IOAS_UNMAP on that IOAS.
 * A new stage-1 configuration builds the whole shadow first and only then
 * attaches the device to it (replace), so the device never sees a half-
 * built translation; a changed CD (CFGI_CD) re-configures the existing
 * shadow, which changes only what differs.
 *
 * Invalidations (the batch, in order): TLBI_NH_VA[A] refreshes the range
 * on every shadowed device of the vIOMMU (TLBIs are VM-wide), TLBI_NH_ASID
 * and _ALL refresh everything, ATC_INV the range on its device, CFGI_CD[_ALL]
 * re-read the device's CD; CFGI_STE / CFGI_ALL were done by set_ste. The
 * first refresh that fails stops the batch there: *done = its index, its
 * errno returned (the queue stops with CERROR_ILL at that command).
 *
 * The guest's CD 0 gives the stage-1 context (TTB0, input size 64 - T0SZ,
 * output size from IPS, AFFD); a CD that does not decode is the guest's
 * error (-EINVAL: the core blocks the device and raises C_BAD_STE).
 *
 * Teardown destroys the shadow IOAS, which drops its mappings in one
 * kernel call; the engine's per-area unmaps are then skipped.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "iommufd_private.h"
#include "uiommu_cmd.h"
#include "uiommu_fail.h"
#include "uiommu_shadow.h"

/* A device's shadow. */
struct iofd_shadow {
	struct iofd_dev *d;
	uint32_t ioas_id;          /* kernel shadow IOAS */
	struct uiommu_shadow *sh;  /* the engine */
	uint64_t s1ctxptr;         /* CD table of the configuration in force */
	bool dying;                /* IOAS about to be destroyed: no unmaps */
};

static int
sink_map(void *ctx, uint64_t iova, uint64_t len, uint64_t hva, uint32_t prot)
{
	struct iofd_shadow *s = ctx;
	struct iofd_ioas_map m = {
		.size = sizeof(m), .flags = IOFD_IOAS_MAP_FIXED_IOVA,
		.ioas_id = s->ioas_id, .user_va = hva, .length = len,
		.iova = iova,
	};

	if (prot & UIOMMU_PROT_READ)
		m.flags |= IOFD_IOAS_MAP_READABLE;
	if (prot & UIOMMU_PROT_WRITE)
		m.flags |= IOFD_IOAS_MAP_WRITEABLE;
	return iofd_ioctl(s->d->vi->fd, IOFD_IOCTL_IOAS_MAP, &m);
}

static int
sink_unmap(void *ctx, uint64_t iova, uint64_t len)
{
	struct iofd_shadow *s = ctx;
	struct iofd_ioas_unmap u = {
		.size = sizeof(u), .ioas_id = s->ioas_id, .iova = iova,
		.length = len,
	};
	int rc;

	if (s->dying)
		return 0;
	rc = iofd_ioctl(s->d->vi->fd, IOFD_IOCTL_IOAS_UNMAP, &u);
	if (rc == 0 && u.length != len)
		rc = -EIO;    /* the kernel and the record disagree */
	return rc;
}

static const struct uiommu_shadow_ops sink_ops = {
	.map = sink_map, .unmap = sink_unmap,
};

/* The stage-1 context of the guest's CD 0. */
static int
cd_context(const struct iofd_viommu *vi, uint64_t s1ctxptr,
	   struct uiommu_shadow_s1 *s1)
{
	struct uiommu_cd_info cd;
	uint64_t raw[8];
	unsigned int oas;

	if (uiommu_gmem_read(vi->gmem, s1ctxptr, raw, sizeof(raw)) != 0 ||
	    uiommu_cd_decode(raw, &cd) != 0 || !cd.valid || cd.epd0)
		return -EINVAL;
	oas = uiommu_smmu_ips_bits(cd.ips);
	s1->ttb0 = cd.ttb0;
	s1->ias = (uint8_t)(64u - cd.t0sz);
	s1->oas = (uint8_t)(oas > 48 ? 48 : oas);
	s1->affd = cd.affd != 0;
	return 0;
}

static void
shadow_free(struct iofd_shadow *s)
{
	s->dying = true;
	uiommu_shadow_destroy(s->sh);
	iofd_destroy(s->d->vi->fd, s->ioas_id);
	free(s);
}

int
iofd_shadow_attach(struct iofd_dev *d, const struct uiommu_ste_info *ste)
{
	struct iofd_viommu *vi = d->vi;
	struct iofd_ioas_alloc ia = { .size = sizeof(ia) };
	struct uiommu_shadow_cfg cfg = { .gmem = vi->gmem, .ops = &sink_ops };
	struct uiommu_shadow_s1 s1;
	struct iofd_shadow *s;
	int rc;

	rc = cd_context(vi, ste->s1ctxptr, &s1);
	if (rc != 0)
		return rc;
	if (d->shadow != NULL) {
		/* Same device, new context: only the differences change. */
		s = d->shadow;
		s->s1ctxptr = ste->s1ctxptr;
		return uiommu_shadow_configure(s->sh, UIOMMU_SHADOW_S1, &s1);
	}
	if (uiommu_should_fail())
		return -ENOMEM;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return -ENOMEM;
	s->d = d;
	s->s1ctxptr = ste->s1ctxptr;
	if (uiommu_should_fail()) {
		rc = -ENOMEM;
		goto err_free;
	}
	rc = iofd_ioctl(vi->fd, IOFD_IOCTL_IOAS_ALLOC, &ia);
	if (rc != 0)
		goto err_free;
	s->ioas_id = ia.out_ioas_id;
	cfg.ctx = s;
	rc = uiommu_shadow_create(&cfg, &s->sh);
	if (rc != 0)
		goto err_ioas;
	rc = uiommu_shadow_configure(s->sh, UIOMMU_SHADOW_S1, &s1);
	if (rc != 0)
		goto err_shadow;
	/* Complete: switch the device over, then drop what it had. */
	rc = iofd_dev_attach(d, s->ioas_id);
	if (rc != 0)
		goto err_shadow;
	if (d->s1 != NULL) {
		iofd_s1_put(vi, d->s1);
		d->s1 = NULL;
	}
	d->shadow = s;
	d->attach = IOFD_ATTACH_SHADOW;
	return 0;

err_shadow:
	s->dying = true;
	uiommu_shadow_destroy(s->sh);
err_ioas:
	iofd_destroy(vi->fd, s->ioas_id);
err_free:
	free(s);
	return rc;
}

void
iofd_shadow_detach(struct iofd_dev *d)
{
	if (d->shadow == NULL)
		return;
	shadow_free(d->shadow);
	d->shadow = NULL;
}

/* Re-read a device's CD and reconfigure its shadow (CFGI_CD). */
static int
shadow_recd(struct iofd_shadow *s)
{
	struct uiommu_shadow_s1 s1;
	int rc = cd_context(s->d->vi, s->s1ctxptr, &s1);

	/* A CD the guest broke: nothing translates until it is fixed. */
	if (rc != 0)
		return uiommu_shadow_configure(s->sh, UIOMMU_SHADOW_ABORT, NULL);
	return uiommu_shadow_configure(s->sh, UIOMMU_SHADOW_S1, &s1);
}

int
iofd_shadow_invalidate(struct iofd_viommu *vi, const struct uiommu_inv *batch,
		       unsigned int n, unsigned int *done)
{
	for (unsigned int i = 0; i < n; i++) {
		const struct uiommu_inv *e = &batch[i];
		const struct iofd_dev *ed = e->dev;
		uint64_t first = 0, last = UINT64_MAX;
		bool one_dev = false;
		int rc = 0;

		switch (e->op) {
		case UIOMMU_CMD_TLBI_NH_VA:
		case UIOMMU_CMD_TLBI_NH_VAA:
			first = e->first;
			last = e->last;
			break;
		case UIOMMU_CMD_TLBI_NH_ASID:
		case UIOMMU_CMD_TLBI_NH_ALL:
		case UIOMMU_CMD_TLBI_NSNH_ALL:
			break;
		case UIOMMU_CMD_ATC_INV:
			first = e->first;
			last = e->last;
			one_dev = true;
			break;
		case UIOMMU_CMD_CFGI_CD:
		case UIOMMU_CMD_CFGI_CD_ALL:
			if (ed != NULL && ed->shadow != NULL)
				rc = shadow_recd(ed->shadow);
			if (rc != 0) {
				*done = i;
				return rc;
			}
			continue;
		default:
			continue;       /* CFGI_STE / CFGI_ALL: set_ste did it */
		}
		if (one_dev) {
			if (ed != NULL && ed->shadow != NULL)
				rc = uiommu_shadow_refresh(
					((struct iofd_shadow *)ed->shadow)->sh,
					first, last);
		} else {
			for (unsigned int k = 0; k < UIOMMU_MAX_VDEVICES && rc == 0; k++) {
				const struct iofd_dev *d = vi->dev[k];

				if (d != NULL && d->shadow != NULL)
					rc = uiommu_shadow_refresh(
						((struct iofd_shadow *)d->shadow)->sh,
						first, last);
			}
		}
		if (rc != 0) {
			*done = i;
			return rc;
		}
	}
	*done = n;
	return 0;
}
