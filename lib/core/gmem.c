/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Guest memory regions: add and remove on the control path.
 *
 * The array is kept sorted by GPA so dumps and the IOAS mirror read in
 * order; lookups (uiommu_gmem_ptr, inline in the header) scan it linearly
 * because it never holds more than UIOMMU_MAX_MEM_REGIONS entries. Regions
 * must be 4 KiB aligned so that stage-2 mappings of them are exact.
 */
#include <string.h>

#include "uiommu_gmem.h"

#define GMEM_ALIGN 4096ULL

int
uiommu_gmem_add(struct uiommu_gmem *gm, uint64_t gpa, uint64_t size,
		void *hva, int fd, uint64_t offset)
{
	uint64_t last;
	uint32_t pos;
	int rc;

	rc = uiommu_range_last(gpa, size, &last);
	if (rc != 0)
		return rc;
	if ((gpa | size) & (GMEM_ALIGN - 1) || hva == NULL)
		return -EINVAL;
	for (uint32_t i = 0; i < gm->nr; i++)
		if (uiommu_range_overlaps(gpa, last, gm->r[i].gpa, gm->r[i].last))
			return -EEXIST;
	if (gm->nr >= UIOMMU_MAX_MEM_REGIONS)
		return -ENOSPC;
	for (pos = 0; pos < gm->nr && gm->r[pos].gpa < gpa; pos++)
		;
	memmove(&gm->r[pos + 1], &gm->r[pos], (gm->nr - pos) * sizeof(gm->r[0]));
	gm->r[pos] = (struct uiommu_gmem_region){
		.gpa = gpa, .last = last, .hva = hva, .size = size,
		.fd = fd, .offset = offset,
	};
	gm->nr++;
	return 0;
}

int
uiommu_gmem_del(struct uiommu_gmem *gm, uint64_t gpa, uint64_t size,
		struct uiommu_gmem_region *out)
{
	for (uint32_t i = 0; i < gm->nr; i++) {
		if (gm->r[i].gpa != gpa || gm->r[i].size != size)
			continue;
		if (out != NULL)
			*out = gm->r[i];
		memmove(&gm->r[i], &gm->r[i + 1],
			(gm->nr - i - 1) * sizeof(gm->r[0]));
		gm->nr--;
		return 0;
	}
	return -ENOENT;
}
