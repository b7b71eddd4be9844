/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * iommufd backend: nested translation (the guest's stage-1 on the host's
 * stage-2) from the guest's STEs.
 *
 * Set-up (first device, iofd_nest_setup()). When the hardware can nest
 * (iommufd_hw.c) and "nesting=off" was not asked for, the stage-2 IOAS gets
 * a NEST_PARENT HWPT; for SMMUv3 a kernel vIOMMU is allocated on it
 * (IOMMU_VIOMMU_ALLOC, 6.13+), which becomes the parent of every nested
 * HWPT and the target of invalidations. A kernel that cannot do any of it
 * (ENOTTY: the ioctl is unknown; EOPNOTSUPP/EINVAL: the flag or type is)
 * is not an error: the vIOMMU falls back to shadowing (iommufd_shadow.c).
 * The presence of IOMMU_HWPT_INVALIDATE (6.8) is probed the same way, with
 * a zero-size argument (EINVAL: known; ENOTTY: unknown), since nesting
 * without invalidation would leave stale guest translations.
 *
 * Configuration (vdevice_set_ste(), on CFGI_STE / CFGI_ALL):
 *   no STE, V = 0, Config abort  -> blocked (iofd_dev_block)
 *   Config bypass or S2-only     -> attached to the nest parent: the guest
 *                                   bypasses its stage-1, stage-2 applies
 *   Config S1 or nested          -> a nested HWPT built from the STE
 * The nested HWPT's vendor data follows the hardware:
 *  - SMMUv3: STE words 0-1, reduced to the fields the kernel accepts
 *    (word 0: V, Config, S1Fmt, S1ContextPtr, S1CDMax; word 1: S1DSS,
 *    S1CIR, S1COR, S1CSH, S1STALLD, EATS), Config forced to S1-translate;
 *  - VT-d: the stage-1 root (TTB0) and width of the guest's CD 0, read from
 *    guest memory; the guest must then write x86-64 tables;
 *  - selftest: the initial value of the mock IOTLB slots.
 * Devices whose reduced STE words and vendor data are equal share one
 * nested HWPT (iofd_s1 with a reference count): they are one stage-1
 * address space, and in per-HWPT invalidation one ioctl then serves them
 * all. A configuration change attaches the new HWPT before the old one is
 * released, so the device is never briefly untranslated or blocked.
 *
 * The first nested HWPT of the vIOMMU is also used to probe the
 * invalidation data type with entry_num = 0 (the kernel's documented way);
 * a refusal blocks the device and reports the STE as unusable.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>

#include "iommufd_private.h"
#include "uiommu_fail.h"

/* Fields of STE words 0-1 the kernel accepts in IOMMU_HWPT_DATA_ARM_SMMUV3. */
#define STE0_ALLOWED (UIOMMU_STE0_V | UIOMMU_STE0_CFG_MASK | \
		      UIOMMU_STE0_S1FMT_MASK | UIOMMU_STE0_S1CTXPTR_MASK | \
		      (0x1fULL << UIOMMU_STE0_S1CDMAX_SHIFT))
#define STE1_ALLOWED (UIOMMU_STE1_S1DSS_MASK | \
		      (3ULL << UIOMMU_STE1_S1CIR_SHIFT) | \
		      (3ULL << UIOMMU_STE1_S1COR_SHIFT) | \
		      (3ULL << UIOMMU_STE1_S1CSH_SHIFT) | \
		      UIOMMU_STE1_S1STALLD | (3ULL << UIOMMU_STE1_EATS_SHIFT))

/* Probe an ioctl's existence with a zero size: EINVAL means it is known. */
static bool
ioctl_known(int fd, unsigned long req)
{
	uint32_t size0[2] = { 0, 0 };

	return iofd_ioctl(fd, req, size0) != -ENOTTY;
}

static bool
fallback_errno(int rc)
{
	return rc == -ENOTTY || rc == -EOPNOTSUPP || rc == -EINVAL;
}

int
iofd_nest_setup(struct iofd_viommu *vi, struct iofd_dev *d)
{
	struct iofd_hwpt_alloc ha = {
		.size = sizeof(ha), .flags = IOFD_HWPT_ALLOC_NEST_PARENT,
		.dev_id = d->dev_id, .pt_id = vi->ioas_id,
	};
	const char *why;
	int rc;

	if (vi->force_shadow) {
		why = "nesting=off";
		goto shadow;
	}
	if (!vi->hw.nesting) {
		why = "the IOMMU cannot nest";
		goto shadow;
	}
	if (!ioctl_known(vi->fd, IOFD_IOCTL_HWPT_INVALIDATE)) {
		why = "kernel without IOMMU_HWPT_INVALIDATE";
		goto shadow;
	}
	if (uiommu_should_fail())
		return -ENOMEM;
	rc = iofd_ioctl(vi->fd, IOFD_IOCTL_HWPT_ALLOC, &ha);
	if (rc != 0) {
		if (!fallback_errno(rc))
			return rc;
		why = "NEST_PARENT refused";
		goto shadow;
	}
	vi->parent_id = ha.out_hwpt_id;

	if (vi->hw.viommu_type != 0 && vi->viommu != IOFD_FEAT_NO) {
		struct iofd_viommu_alloc va = {
			.size = sizeof(va), .type = vi->hw.viommu_type,
			.dev_id = d->dev_id, .hwpt_id = vi->parent_id,
		};

		if (uiommu_should_fail()) {
			rc = -ENOMEM;
			goto err_parent;
		}
		rc = iofd_ioctl(vi->fd, IOFD_IOCTL_VIOMMU_ALLOC, &va);
		if (rc == 0) {
			vi->viommu = IOFD_FEAT_YES;
			vi->kviommu_id = va.out_viommu_id;
		} else if (fallback_errno(rc)) {
			if (rc == -ENOTTY)
				vi->viommu = IOFD_FEAT_NO;
			/* SMMUv3 nests only through a kernel vIOMMU. */
			iofd_destroy(vi->fd, vi->parent_id);
			vi->parent_id = 0;
			why = "kernel without a vIOMMU for this IOMMU";
			goto shadow;
		} else {
			goto err_parent;
		}
	}
	vi->mode = IOFD_MODE_NESTED;
	IOFD_LOG(INFO, "vmid %u: nesting: parent HWPT %" PRIu32 ", %s%" PRIu32,
		 vi->vmid, vi->parent_id,
		 vi->kviommu_id ? "kernel vIOMMU " : "per-HWPT invalidation ",
		 vi->kviommu_id);
	return 0;

err_parent:
	iofd_destroy(vi->fd, vi->parent_id);
	vi->parent_id = 0;
	return rc;

shadow:
	vi->mode = IOFD_MODE_SHADOW;
	vi->hw.nesting = false;
	vi->hw.caps = (vi->hw.caps & ~UIOMMU_HW_CAP_NESTING) |
		      UIOMMU_HW_CAP_SHADOW;
	IOFD_LOG(NOTICE, "vmid %u: shadowing stage-1 into the IOAS (%s)",
		 vi->vmid, why);
	return 0;
}

/* ---- vendor data ---- */

static int
build_vtd(const struct iofd_viommu *vi, const struct uiommu_ste_info *ste,
	  struct iofd_s1 *s1)
{
	struct iofd_hwpt_vtd_s1 v = { .flags = 0 };
	struct uiommu_cd_info cd;
	uint64_t raw[8];

	if (uiommu_gmem_read(vi->gmem, ste->s1ctxptr, raw, sizeof(raw)) != 0)
		return -EINVAL;
	if (uiommu_cd_decode(raw, &cd) != 0 || !cd.valid || cd.epd0)
		return -EINVAL;
	v.pgtbl_addr = cd.ttb0;
	v.addr_width = (64u - cd.t0sz) > 48 ? 57 : 48;
	s1->data_type = IOFD_HWPT_DATA_VTD_S1;
	s1->data_len = sizeof(v);
	memcpy(s1->data, &v, sizeof(v));
	return 0;
}

int
iofd_s1_build(const struct iofd_viommu *vi, const struct uiommu_ste_info *ste,
	      struct iofd_s1 *s1)
{
	uint64_t w0, w1;

	memset(s1, 0, sizeof(*s1));
	w0 = rte_le_to_cpu_64(ste->raw[0]) & STE0_ALLOWED;
	w1 = rte_le_to_cpu_64(ste->raw[1]) & STE1_ALLOWED;
	/* The guest owns stage 1 only: S1-translate, whatever it wrote. */
	w0 = (w0 & ~UIOMMU_STE0_CFG_MASK) |
	     ((uint64_t)UIOMMU_STE_CFG_S1 << UIOMMU_STE0_CFG_SHIFT);
	s1->key[0] = w0;
	s1->key[1] = w1;

	switch (vi->hw.hwpt_data_type) {
	case IOFD_HWPT_DATA_ARM_SMMUV3: {
		struct iofd_hwpt_arm_smmuv3 a = {
			.ste = { rte_cpu_to_le_64(w0), rte_cpu_to_le_64(w1) },
		};

		s1->data_type = IOFD_HWPT_DATA_ARM_SMMUV3;
		s1->data_len = sizeof(a);
		memcpy(s1->data, &a, sizeof(a));
		return 0;
	}
	case IOFD_HWPT_DATA_VTD_S1:
		return build_vtd(vi, ste, s1);
	case IOFD_HWPT_DATA_SELFTEST: {
		struct iofd_hwpt_selftest t = { .iotlb = IOFD_TEST_IOTLB_DEFAULT };

		s1->data_type = IOFD_HWPT_DATA_SELFTEST;
		s1->data_len = sizeof(t);
		memcpy(s1->data, &t, sizeof(t));
		return 0;
	}
	default:
		return -EOPNOTSUPP;
	}
}

static bool
s1_same(const struct iofd_s1 *a, const struct iofd_s1 *b)
{
	return a->data_type == b->data_type && a->data_len == b->data_len &&
	       a->key[0] == b->key[0] && a->key[1] == b->key[1] &&
	       memcmp(a->data, b->data, a->data_len) == 0;
}

/* Probe the invalidation type once, on the vIOMMU's first nested HWPT. */
static int
inv_probe(struct iofd_viommu *vi, uint32_t hwpt_id)
{
	struct iofd_hwpt_invalidate inv = {
		.size = sizeof(inv),
		.hwpt_id = vi->kviommu_id ? vi->kviommu_id : hwpt_id,
		.data_type = vi->hw.inv_data_type,
		.entry_len = vi->hw.inv_entry_len,
		.entry_num = 0,
	};
	int rc;

	if (vi->inv_probed)
		return 0;
	rc = iofd_ioctl(vi->fd, IOFD_IOCTL_HWPT_INVALIDATE, &inv);
	if (rc != 0) {
		IOFD_LOG(ERR, "vmid %u: invalidation type 0x%" PRIx32
			 " refused: %s", vi->vmid, vi->hw.inv_data_type,
			 strerror(-rc));
		return -EOPNOTSUPP;
	}
	vi->inv_probed = true;
	return 0;
}

/* A nested HWPT for this configuration: shared if one exists. */
static int
s1_get(struct iofd_viommu *vi, struct iofd_dev *d, const struct iofd_s1 *want,
       struct iofd_s1 **out)
{
	struct iofd_hwpt_alloc ha = {
		.size = sizeof(ha), .dev_id = d->dev_id,
		.pt_id = vi->kviommu_id ? vi->kviommu_id : vi->parent_id,
		.data_type = want->data_type, .data_len = want->data_len,
	};
	struct iofd_s1 *s1;
	int free_slot = -1;
	int rc;

	for (int i = 0; i < UIOMMU_MAX_VDEVICES; i++) {
		if (vi->s1[i] == NULL) {
			if (free_slot < 0)
				free_slot = i;
			continue;
		}
		if (s1_same(vi->s1[i], want)) {
			vi->s1[i]->refs++;
			*out = vi->s1[i];
			return 0;
		}
	}
	/* At most one HWPT per device, and every device has a slot. */
	if (free_slot < 0)
		return -ENOSPC;
	if (uiommu_should_fail())
		return -ENOMEM;
	s1 = malloc(sizeof(*s1));
	if (s1 == NULL)
		return -ENOMEM;
	*s1 = *want;
	ha.data_uptr = (uint64_t)(uintptr_t)s1->data;
	rc = iofd_ioctl(vi->fd, IOFD_IOCTL_HWPT_ALLOC, &ha);
	if (rc != 0) {
		IOFD_LOG(ERR, "vsid %" PRIu32 ": nested HWPT_ALLOC (type 0x%"
			 PRIx32 "): %s", d->vsid, want->data_type, strerror(-rc));
		free(s1);
		/* The kernel refusing the guest's configuration is C_BAD_STE. */
		return rc == -EIO ? -EINVAL : rc;
	}
	s1->hwpt_id = ha.out_hwpt_id;
	rc = inv_probe(vi, s1->hwpt_id);
	if (rc != 0) {
		iofd_destroy(vi->fd, s1->hwpt_id);
		free(s1);
		return rc;
	}
	s1->refs = 1;
	vi->s1[free_slot] = s1;
	vi->st.hwpt_nested++;
	*out = s1;
	return 0;
}

void
iofd_s1_put(struct iofd_viommu *vi, struct iofd_s1 *s1)
{
	if (s1 == NULL || --s1->refs > 0)
		return;
	for (int i = 0; i < UIOMMU_MAX_VDEVICES; i++) {
		if (vi->s1[i] == s1) {
			vi->s1[i] = NULL;
			break;
		}
	}
	iofd_destroy(vi->fd, s1->hwpt_id);
	free(s1);
}

/* Attach a device to a new target, then release whatever it had. */
static int
switch_to(struct iofd_dev *d, uint32_t pt_id, enum iofd_attach kind,
	  struct iofd_s1 *s1)
{
	struct iofd_s1 *old = d->s1;
	int rc;

	rc = iofd_dev_attach(d, pt_id);
	if (rc != 0)
		return rc;
	if (d->shadow != NULL)
		iofd_shadow_detach(d);
	d->s1 = s1;
	d->attach = kind;
	if (old != NULL)
		iofd_s1_put(d->vi, old);
	return 0;
}

int
iofd_vdevice_set_ste(void *dev_priv, const struct uiommu_ste_info *ste)
{
	struct iofd_dev *d = dev_priv;
	struct iofd_viommu *vi;
	struct iofd_s1 want, *s1;
	int rc;

	if (d == NULL)
		return -EINVAL;
	vi = d->vi;
	if (ste == NULL || !ste->valid || ste->config == UIOMMU_STE_CFG_ABORT) {
		iofd_dev_block(d);
		return 0;
	}
	switch (ste->config) {
	case UIOMMU_STE_CFG_BYPASS:
	case UIOMMU_STE_CFG_S2:
		/* Stage 1 bypassed: the host's stage 2 alone translates. */
		if (d->attach == IOFD_ATTACH_S2)
			return 0;
		rc = switch_to(d, vi->mode == IOFD_MODE_NESTED ? vi->parent_id :
			       vi->ioas_id, IOFD_ATTACH_S2, NULL);
		break;
	case UIOMMU_STE_CFG_S1:
	case UIOMMU_STE_CFG_NESTED:
		if (vi->mode != IOFD_MODE_NESTED) {
			rc = iofd_shadow_attach(d, ste);
			break;
		}
		rc = iofd_s1_build(vi, ste, &want);
		if (rc != 0)
			break;
		if (d->s1 != NULL && s1_same(d->s1, &want))
			return 0;    /* unchanged: caches are invalidations' job */
		rc = s1_get(vi, d, &want, &s1);
		if (rc != 0)
			break;
		rc = switch_to(d, s1->hwpt_id, IOFD_ATTACH_NESTED, s1);
		if (rc != 0)
			iofd_s1_put(vi, s1);
		break;
	default:
		rc = -EINVAL;
		break;
	}
	if (rc != 0)
		iofd_dev_block(d);   /* never left on a stale configuration */
	return rc;
}
