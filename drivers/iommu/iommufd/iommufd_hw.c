/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * iommufd backend: what the IOMMU behind a device can do.
 *
 * Design. IOMMU_GET_HW_INFO answers for one bound device: a type and a
 * vendor structure (VT-d CAP/ECAP registers, SMMUv3 ID registers, or the
 * selftest mock's marker). iofd_hw_parse() turns that into the few facts
 * the backend acts on:
 *  - can the hardware walk a guest stage-1 on top of a nest parent
 *    (VT-d: ECAP.NEST with scalable mode and first-stage support; SMMUv3:
 *    IDR0.S1P and S2P; the selftest mock: always). Without it the backend
 *    shadows (iommufd_shadow.c);
 *  - the nested vendor format (IOMMU_HWPT_DATA_*), the invalidation entry
 *    format (and its size), and whether a kernel vIOMMU object is used
 *    (SMMUv3: yes, its invalidations go to the vIOMMU as raw commands);
 *  - what hw_info() reports: page sizes, address widths, table format.
 * Unknown types and short vendor data parse to "no nesting" rather than an
 * error, so a new kernel or IOMMU degrades to shadowing, never to a crash.
 *
 * hw_info() itself has no device to ask: it reports the last hardware a
 * vdevice_alloc() of this process saw (the manager drives one kind of
 * IOMMU), or a generic description before any device was bound.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "iommufd_private.h"

/* VT-d capability / extended capability bits. */
#define VTD_CAP_MGAW_SHIFT   16           /* [21:16] address width - 1 */
#define VTD_CAP_MGAW_MASK    0x3fULL
#define VTD_CAP_SLLPS_SHIFT  34           /* [37:34] 2M, 1G, ... */
#define VTD_ECAP_NEST        (1ULL << 26)
#define VTD_ECAP_SMTS        (1ULL << 43)
#define VTD_ECAP_FLTS        (1ULL << 47)

/* SMMUv3 ID register bits. */
#define SMMU_IDR0_S2P        (1u << 0)
#define SMMU_IDR0_S1P        (1u << 1)
#define SMMU_IDR3_RIL        (1u << 10)
#define SMMU_IDR5_OAS_MASK   0x7u
#define SMMU_IDR5_GRAN4K     (1u << 4)
#define SMMU_IDR5_GRAN16K    (1u << 5)
#define SMMU_IDR5_GRAN64K    (1u << 6)

#define SZ_4K   (1ULL << 12)
#define SZ_16K  (1ULL << 14)
#define SZ_64K  (1ULL << 16)
#define SZ_2M   (1ULL << 21)
#define SZ_32M  (1ULL << 25)
#define SZ_512M (1ULL << 29)
#define SZ_1G   (1ULL << 30)

static void
parse_vtd(const struct iofd_hw_info_vtd *v, struct iofd_hw *out)
{
	const uint64_t need = VTD_ECAP_NEST | VTD_ECAP_SMTS | VTD_ECAP_FLTS;
	unsigned int sllps = (unsigned int)(v->cap_reg >> VTD_CAP_SLLPS_SHIFT) & 0xf;

	out->nesting = (v->ecap_reg & need) == need;
	out->hwpt_data_type = IOFD_HWPT_DATA_VTD_S1;
	out->inv_data_type = IOFD_INV_DATA_VTD_S1;
	out->caps |= UIOMMU_HW_CAP_FMT_X86_64;
	out->pgsize_bitmap = SZ_4K | ((sllps & 1) ? SZ_2M : 0) |
			     ((sllps & 2) ? SZ_1G : 0);
	out->ias = (uint8_t)(((v->cap_reg >> VTD_CAP_MGAW_SHIFT) &
			      VTD_CAP_MGAW_MASK) + 1);
	out->oas = out->ias;
	snprintf(out->model, sizeof(out->model),
		 "iommufd on Intel VT-d (%s%s)",
		 out->nesting ? "nesting" : "no nesting: shadow",
		 (v->flags & 1) ? ", SPR17 errata" : "");
}

static void
parse_smmuv3(const struct iofd_hw_info_arm_smmuv3 *s, struct iofd_hw *out)
{
	static const uint8_t oas_bits[8] = { 32, 36, 40, 42, 44, 48, 52, 0 };
	const uint32_t idr0 = s->idr[0], idr5 = s->idr[5];

	out->nesting = (idr0 & (SMMU_IDR0_S1P | SMMU_IDR0_S2P)) ==
		       (SMMU_IDR0_S1P | SMMU_IDR0_S2P);
	out->hwpt_data_type = IOFD_HWPT_DATA_ARM_SMMUV3;
	out->inv_data_type = IOFD_INV_DATA_ARM_SMMUV3;
	out->viommu_type = IOFD_VIOMMU_TYPE_ARM_SMMUV3;
	out->caps |= UIOMMU_HW_CAP_FMT_LPAE;
	if (s->idr[3] & SMMU_IDR3_RIL)
		out->caps |= UIOMMU_HW_CAP_RANGE_INV;
	if (idr5 & SMMU_IDR5_GRAN4K)
		out->pgsize_bitmap |= SZ_4K | SZ_2M | SZ_1G;
	if (idr5 & SMMU_IDR5_GRAN16K)
		out->pgsize_bitmap |= SZ_16K | SZ_32M;
	if (idr5 & SMMU_IDR5_GRAN64K)
		out->pgsize_bitmap |= SZ_64K | SZ_512M;
	out->oas = oas_bits[idr5 & SMMU_IDR5_OAS_MASK];
	out->ias = out->oas;
	snprintf(out->model, sizeof(out->model), "iommufd on Arm SMMUv3 (%s)",
		 out->nesting ? "nesting" : "no S1P+S2P: shadow");
}

int
iofd_hw_parse(uint32_t type, const void *data, uint32_t len, uint64_t kcaps,
	      struct iofd_hw *out)
{
	union {
		struct iofd_hw_info_vtd vtd;
		struct iofd_hw_info_arm_smmuv3 smmu;
		struct iofd_hw_info_selftest test;
		uint8_t raw[IOFD_HW_INFO_DATA_MAX];
	} d;

	if (out == NULL || (data == NULL && len != 0))
		return -EINVAL;
	if (len > IOFD_HW_INFO_DATA_MAX)
		return -EOVERFLOW;
	memset(out, 0, sizeof(*out));
	memset(&d, 0, sizeof(d));
	if (len != 0)
		memcpy(d.raw, data, len);
	out->type = type;
	out->kcaps = kcaps;
	switch (type) {
	case IOFD_HW_INFO_TYPE_INTEL_VTD:
		if (len < sizeof(d.vtd))
			goto unknown;
		parse_vtd(&d.vtd, out);
		break;
	case IOFD_HW_INFO_TYPE_ARM_SMMUV3:
		if (len < sizeof(d.smmu))
			goto unknown;
		parse_smmuv3(&d.smmu, out);
		break;
	case IOFD_HW_INFO_TYPE_SELFTEST:
		if (len < sizeof(d.test))
			goto unknown;
		/* The mock nests anything; it models a 4-slot IOTLB. */
		out->nesting = true;
		out->hwpt_data_type = IOFD_HWPT_DATA_SELFTEST;
		out->inv_data_type = IOFD_INV_DATA_SELFTEST;
		out->caps |= UIOMMU_HW_CAP_FMT_LPAE;
		out->pgsize_bitmap = SZ_4K;
		out->ias = 31;   /* aperture ends at 2^31 - 1 */
		out->oas = 48;
		snprintf(out->model, sizeof(out->model),
			 "iommufd selftest mock (test_reg 0x%08" PRIx32 ")",
			 d.test.test_reg);
		break;
	default:
		goto unknown;
	}
	out->inv_entry_len = iofd_inv_entry_len(out->inv_data_type);
	out->caps |= out->nesting ? UIOMMU_HW_CAP_NESTING : UIOMMU_HW_CAP_SHADOW;
	return 0;

unknown:
	/* Nothing we can nest on: the shadow fallback still works. */
	out->nesting = false;
	out->hwpt_data_type = IOFD_HWPT_DATA_NONE;
	out->inv_data_type = 0;
	out->inv_entry_len = 0;
	out->viommu_type = 0;
	out->caps = UIOMMU_HW_CAP_SHADOW | UIOMMU_HW_CAP_FMT_LPAE;
	out->pgsize_bitmap = SZ_4K;
	snprintf(out->model, sizeof(out->model),
		 "iommufd, hw_info type 0x%" PRIx32 " (%" PRIu32
		 " bytes): shadow", type, len);
	return 0;
}

int
iofd_hw_query(int fd, uint32_t dev_id, struct iofd_hw *out)
{
	uint8_t buf[IOFD_HW_INFO_DATA_MAX];
	struct iofd_hw_info hi = {
		.size = sizeof(hi), .dev_id = dev_id, .data_len = sizeof(buf),
		.data_uptr = (uint64_t)(uintptr_t)buf,
	};
	int rc;

	memset(buf, 0, sizeof(buf));
	rc = iofd_ioctl(fd, IOFD_IOCTL_GET_HW_INFO, &hi);
	if (rc != 0)
		return rc;
	rc = iofd_hw_parse(hi.out_data_type, buf,
			   hi.data_len < sizeof(buf) ? hi.data_len : sizeof(buf),
			   hi.out_capabilities, out);
	if (rc == 0)
		out->max_pasid_log2 = hi.out_max_pasid_log2;
	return rc;
}

/* Last hardware seen by this process (control thread only). */
static struct {
	bool valid;
	bool viommu_obj;
	struct iofd_hw hw;
} g_last;

void
iofd_hw_remember(const struct iofd_hw *hw, bool viommu_obj)
{
	g_last.hw = *hw;
	g_last.viommu_obj = viommu_obj;
	g_last.valid = true;
}

int
iofd_hw_info(struct uiommu_hw_info *info)
{
	if (info == NULL)
		return -EINVAL;
	memset(info, 0, sizeof(*info));
	snprintf(info->name, sizeof(info->name), "iommufd");
	info->max_vdevices = UIOMMU_MAX_VDEVICES;
	if (!g_last.valid) {
		snprintf(info->model, sizeof(info->model),
			 "iommufd (no device bound yet)");
		info->caps = UIOMMU_HW_CAP_FMT_LPAE;
		info->pgsize_bitmap = SZ_4K;
		return 0;
	}
	snprintf(info->model, sizeof(info->model), "%s", g_last.hw.model);
	info->caps = g_last.hw.caps |
		     (g_last.viommu_obj ? UIOMMU_HW_CAP_VIOMMU_OBJ : 0);
	info->pgsize_bitmap = g_last.hw.pgsize_bitmap;
	info->ias = g_last.hw.ias;
	info->oas = g_last.hw.oas;
	info->hw_info_type = g_last.hw.type;
	return 0;
}
