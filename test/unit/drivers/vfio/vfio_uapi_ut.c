/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The vfio backend's own VFIO uAPI definitions (uiommu_vfio_uapi.h) against
 * the build host's <linux/vfio.h>, when the host has it. The project never
 * depends on the host header; this test only checks that both agree, field
 * by field. Without the header the test says so and checks the documented
 * values that uiommu_vfio_uapi.h already asserts at compile time.
 */
#include <stddef.h>
#include <stdio.h>

#include "uiommu_ut.h"
#include "uiommu_vfio_uapi.h"

#if defined(__has_include)
#if __has_include(<linux/vfio.h>)
#include <linux/vfio.h>
#define HAVE_LINUX_VFIO_H 1
#endif
#endif

#define SAME_FIELD(ours, theirs, f_ours, f_theirs) do { \
	CU_ASSERT_EQUAL(offsetof(struct ours, f_ours), \
			offsetof(struct theirs, f_theirs)); \
	CU_ASSERT_EQUAL(sizeof(((struct ours *)0)->f_ours), \
			sizeof(((struct theirs *)0)->f_theirs)); \
} while (0)

static void
test_against_host_header(void)
{
#ifdef HAVE_LINUX_VFIO_H
	CU_ASSERT_EQUAL(UIOMMU_VFIO_API_VERSION, VFIO_API_VERSION);
	CU_ASSERT_EQUAL(UIOMMU_VFIO_TYPE1V2_IOMMU, VFIO_TYPE1v2_IOMMU);
	CU_ASSERT_EQUAL(UIOMMU_VFIO_GET_API_VERSION, VFIO_GET_API_VERSION);
	CU_ASSERT_EQUAL(UIOMMU_VFIO_CHECK_EXTENSION, VFIO_CHECK_EXTENSION);
	CU_ASSERT_EQUAL(UIOMMU_VFIO_SET_IOMMU, VFIO_SET_IOMMU);
	CU_ASSERT_EQUAL(UIOMMU_VFIO_GROUP_GET_STATUS, VFIO_GROUP_GET_STATUS);
	CU_ASSERT_EQUAL(UIOMMU_VFIO_GROUP_SET_CONTAINER, VFIO_GROUP_SET_CONTAINER);
	CU_ASSERT_EQUAL(UIOMMU_VFIO_GROUP_UNSET_CONTAINER,
			VFIO_GROUP_UNSET_CONTAINER);
	CU_ASSERT_EQUAL(UIOMMU_VFIO_GROUP_GET_DEVICE_FD, VFIO_GROUP_GET_DEVICE_FD);
	CU_ASSERT_EQUAL(UIOMMU_VFIO_DEVICE_GET_REGION_INFO,
			VFIO_DEVICE_GET_REGION_INFO);
	CU_ASSERT_EQUAL(UIOMMU_VFIO_DEVICE_RESET, VFIO_DEVICE_RESET);
	CU_ASSERT_EQUAL(UIOMMU_VFIO_IOMMU_GET_INFO, VFIO_IOMMU_GET_INFO);
	CU_ASSERT_EQUAL(UIOMMU_VFIO_IOMMU_MAP_DMA, VFIO_IOMMU_MAP_DMA);
	CU_ASSERT_EQUAL(UIOMMU_VFIO_IOMMU_UNMAP_DMA, VFIO_IOMMU_UNMAP_DMA);
	CU_ASSERT_EQUAL(UIOMMU_VFIO_GROUP_FLAGS_VIABLE, VFIO_GROUP_FLAGS_VIABLE);
	CU_ASSERT_EQUAL(UIOMMU_VFIO_GROUP_FLAGS_CONTAINER_SET,
			VFIO_GROUP_FLAGS_CONTAINER_SET);
	CU_ASSERT_EQUAL(UIOMMU_VFIO_IOMMU_INFO_PGSIZES, VFIO_IOMMU_INFO_PGSIZES);
	CU_ASSERT_EQUAL(UIOMMU_VFIO_IOMMU_INFO_CAPS, VFIO_IOMMU_INFO_CAPS);
	CU_ASSERT_EQUAL(UIOMMU_VFIO_IOMMU_CAP_IOVA_RANGE,
			VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE);
	CU_ASSERT_EQUAL(UIOMMU_VFIO_IOMMU_CAP_DMA_AVAIL,
			VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL);
	CU_ASSERT_EQUAL(UIOMMU_VFIO_DMA_MAP_FLAG_READ, VFIO_DMA_MAP_FLAG_READ);
	CU_ASSERT_EQUAL(UIOMMU_VFIO_DMA_MAP_FLAG_WRITE, VFIO_DMA_MAP_FLAG_WRITE);
	CU_ASSERT_EQUAL(UIOMMU_VFIO_REGION_INFO_FLAG_MMAP,
			VFIO_REGION_INFO_FLAG_MMAP);
	CU_ASSERT_EQUAL(UIOMMU_VFIO_PCI_BAR0_REGION_INDEX,
			VFIO_PCI_BAR0_REGION_INDEX);
	CU_ASSERT_EQUAL(UIOMMU_VFIO_PCI_CONFIG_REGION_INDEX,
			VFIO_PCI_CONFIG_REGION_INDEX);

	CU_ASSERT_EQUAL(sizeof(struct uiommu_vfio_group_status),
			sizeof(struct vfio_group_status));
	SAME_FIELD(uiommu_vfio_group_status, vfio_group_status, flags, flags);
	CU_ASSERT_EQUAL(sizeof(struct uiommu_vfio_iommu_info),
			sizeof(struct vfio_iommu_type1_info));
	SAME_FIELD(uiommu_vfio_iommu_info, vfio_iommu_type1_info, iova_pgsizes,
		   iova_pgsizes);
	SAME_FIELD(uiommu_vfio_iommu_info, vfio_iommu_type1_info, cap_offset,
		   cap_offset);
	CU_ASSERT_EQUAL(sizeof(struct uiommu_vfio_cap_header),
			sizeof(struct vfio_info_cap_header));
	SAME_FIELD(uiommu_vfio_cap_header, vfio_info_cap_header, next, next);
	CU_ASSERT_EQUAL(sizeof(struct uiommu_vfio_cap_iova_range),
			sizeof(struct vfio_iommu_type1_info_cap_iova_range));
	SAME_FIELD(uiommu_vfio_cap_iova_range,
		   vfio_iommu_type1_info_cap_iova_range, nr_iovas, nr_iovas);
	CU_ASSERT_EQUAL(offsetof(struct uiommu_vfio_cap_iova_range, iova_ranges),
			offsetof(struct vfio_iommu_type1_info_cap_iova_range,
				 iova_ranges));
	CU_ASSERT_EQUAL(sizeof(struct uiommu_vfio_iova_range),
			sizeof(struct vfio_iova_range));
	CU_ASSERT_EQUAL(sizeof(struct uiommu_vfio_cap_dma_avail),
			sizeof(struct vfio_iommu_type1_info_dma_avail));
	SAME_FIELD(uiommu_vfio_cap_dma_avail, vfio_iommu_type1_info_dma_avail,
		   avail, avail);
	CU_ASSERT_EQUAL(sizeof(struct uiommu_vfio_dma_map),
			sizeof(struct vfio_iommu_type1_dma_map));
	SAME_FIELD(uiommu_vfio_dma_map, vfio_iommu_type1_dma_map, vaddr, vaddr);
	SAME_FIELD(uiommu_vfio_dma_map, vfio_iommu_type1_dma_map, iova, iova);
	SAME_FIELD(uiommu_vfio_dma_map, vfio_iommu_type1_dma_map, size, size);
	CU_ASSERT_EQUAL(sizeof(struct uiommu_vfio_dma_unmap),
			sizeof(struct vfio_iommu_type1_dma_unmap));
	SAME_FIELD(uiommu_vfio_dma_unmap, vfio_iommu_type1_dma_unmap, iova, iova);
	SAME_FIELD(uiommu_vfio_dma_unmap, vfio_iommu_type1_dma_unmap, size, size);
	CU_ASSERT_EQUAL(sizeof(struct uiommu_vfio_region_info),
			sizeof(struct vfio_region_info));
	SAME_FIELD(uiommu_vfio_region_info, vfio_region_info, index, index);
	SAME_FIELD(uiommu_vfio_region_info, vfio_region_info, size, size);
	SAME_FIELD(uiommu_vfio_region_info, vfio_region_info, offset, offset);
#else
	printf("  <linux/vfio.h> not present: only the compile-time checks apply\n");
	CU_ASSERT_EQUAL(UIOMMU_VFIO_IOMMU_MAP_DMA, 0x3b71);
#endif
}

int
main(int argc, char **argv)
{
	static const struct ut_case cases[] = {
		UT_CASE(test_against_host_header),
		UT_END
	};

	return ut_main("vfio_uapi", cases, argc, argv);
}
