/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The part of Linux's VFIO user ABI (include/uapi/linux/vfio.h) that uiommu
 * uses, written from the documented ABI so that the project builds against
 * any libc headers, old or new.
 *
 * Every ioctl number is spelled out and checked here against its documented
 * value; every structure is checked for size and field offsets. The unit
 * tests additionally compare these definitions with the build host's
 * <linux/vfio.h> when that header exists (test/unit/drivers/vfio), but
 * nothing depends on it.
 *
 * Conventions of the ABI: every structure starts with `argsz`, the size the
 * caller provides (the kernel may answer that it needs more, as
 * VFIO_IOMMU_GET_INFO does for its capability chain); IOVA ranges reported
 * by the kernel are inclusive [start, end].
 */
#ifndef UIOMMU_VFIO_UAPI_H
#define UIOMMU_VFIO_UAPI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** VFIO_API_VERSION: the only version there is. */
#define UIOMMU_VFIO_API_VERSION 0
/** VFIO_TYPE1v2_IOMMU: type1 with unmap that never splits a mapping. */
#define UIOMMU_VFIO_TYPE1V2_IOMMU 3

/**
 * VFIO ioctls are _IO(VFIO_TYPE, VFIO_BASE + n) with VFIO_TYPE ';' (0x3b)
 * and VFIO_BASE 100: direction and size bits are zero, so the number is
 * (0x3b << 8) | (100 + n).
 */
#define UIOMMU_VFIO_IO(n) ((0x3bUL << 8) | (100UL + (n)))

/** @name Container ioctls (/dev/vfio/vfio) */
/**@{*/
#define UIOMMU_VFIO_GET_API_VERSION     UIOMMU_VFIO_IO(0)  /**< 0x3b64 */
#define UIOMMU_VFIO_CHECK_EXTENSION     UIOMMU_VFIO_IO(1)  /**< 0x3b65 */
#define UIOMMU_VFIO_SET_IOMMU           UIOMMU_VFIO_IO(2)  /**< 0x3b66 */
#define UIOMMU_VFIO_IOMMU_GET_INFO      UIOMMU_VFIO_IO(12) /**< 0x3b70 */
#define UIOMMU_VFIO_IOMMU_MAP_DMA       UIOMMU_VFIO_IO(13) /**< 0x3b71 */
#define UIOMMU_VFIO_IOMMU_UNMAP_DMA     UIOMMU_VFIO_IO(14) /**< 0x3b72 */
/**@}*/
/** @name Group ioctls (/dev/vfio/N) */
/**@{*/
#define UIOMMU_VFIO_GROUP_GET_STATUS    UIOMMU_VFIO_IO(3)  /**< 0x3b67 */
#define UIOMMU_VFIO_GROUP_SET_CONTAINER UIOMMU_VFIO_IO(4)  /**< 0x3b68 */
#define UIOMMU_VFIO_GROUP_UNSET_CONTAINER UIOMMU_VFIO_IO(5) /**< 0x3b69 */
#define UIOMMU_VFIO_GROUP_GET_DEVICE_FD UIOMMU_VFIO_IO(6)  /**< 0x3b6a */
/**@}*/
/** @name Device ioctls (the fd handed to the VMM) */
/**@{*/
#define UIOMMU_VFIO_DEVICE_GET_REGION_INFO UIOMMU_VFIO_IO(8) /**< 0x3b6c */
#define UIOMMU_VFIO_DEVICE_RESET        UIOMMU_VFIO_IO(11) /**< 0x3b6f */
/**@}*/

_Static_assert(UIOMMU_VFIO_GET_API_VERSION == 0x3b64, "VFIO_GET_API_VERSION");
_Static_assert(UIOMMU_VFIO_CHECK_EXTENSION == 0x3b65, "VFIO_CHECK_EXTENSION");
_Static_assert(UIOMMU_VFIO_SET_IOMMU == 0x3b66, "VFIO_SET_IOMMU");
_Static_assert(UIOMMU_VFIO_GROUP_GET_STATUS == 0x3b67, "VFIO_GROUP_GET_STATUS");
_Static_assert(UIOMMU_VFIO_GROUP_SET_CONTAINER == 0x3b68,
	       "VFIO_GROUP_SET_CONTAINER");
_Static_assert(UIOMMU_VFIO_GROUP_UNSET_CONTAINER == 0x3b69,
	       "VFIO_GROUP_UNSET_CONTAINER");
_Static_assert(UIOMMU_VFIO_GROUP_GET_DEVICE_FD == 0x3b6a,
	       "VFIO_GROUP_GET_DEVICE_FD");
_Static_assert(UIOMMU_VFIO_DEVICE_GET_REGION_INFO == 0x3b6c,
	       "VFIO_DEVICE_GET_REGION_INFO");
_Static_assert(UIOMMU_VFIO_DEVICE_RESET == 0x3b6f, "VFIO_DEVICE_RESET");
_Static_assert(UIOMMU_VFIO_IOMMU_GET_INFO == 0x3b70, "VFIO_IOMMU_GET_INFO");
_Static_assert(UIOMMU_VFIO_IOMMU_MAP_DMA == 0x3b71, "VFIO_IOMMU_MAP_DMA");
_Static_assert(UIOMMU_VFIO_IOMMU_UNMAP_DMA == 0x3b72, "VFIO_IOMMU_UNMAP_DMA");

/** struct vfio_group_status (VFIO_GROUP_GET_STATUS). */
struct uiommu_vfio_group_status {
	uint32_t argsz;  /**< sizeof(struct uiommu_vfio_group_status) */
	uint32_t flags;  /**< UIOMMU_VFIO_GROUP_FLAGS_* (out) */
};
/** Every device of the group is bound to a VFIO driver (or none). */
#define UIOMMU_VFIO_GROUP_FLAGS_VIABLE        (1u << 0)
/** The group is attached to a container. */
#define UIOMMU_VFIO_GROUP_FLAGS_CONTAINER_SET (1u << 1)

_Static_assert(sizeof(struct uiommu_vfio_group_status) == 8,
	       "vfio_group_status size");
_Static_assert(offsetof(struct uiommu_vfio_group_status, flags) == 4,
	       "vfio_group_status.flags");

/** struct vfio_iommu_type1_info (VFIO_IOMMU_GET_INFO), fixed part. */
struct uiommu_vfio_iommu_info {
	uint32_t argsz;        /**< bytes the caller provides (in), needed (out) */
	uint32_t flags;        /**< UIOMMU_VFIO_IOMMU_INFO_* (out) */
	uint64_t iova_pgsizes; /**< bitmap of supported page sizes (out) */
	uint32_t cap_offset;   /**< offset of the first capability, 0 = none */
	uint32_t pad;          /**< reserved */
};
#define UIOMMU_VFIO_IOMMU_INFO_PGSIZES (1u << 0) /**< iova_pgsizes valid */
#define UIOMMU_VFIO_IOMMU_INFO_CAPS    (1u << 1) /**< cap_offset valid */

_Static_assert(sizeof(struct uiommu_vfio_iommu_info) == 24,
	       "vfio_iommu_type1_info size");
_Static_assert(offsetof(struct uiommu_vfio_iommu_info, iova_pgsizes) == 8,
	       "vfio_iommu_type1_info.iova_pgsizes");
_Static_assert(offsetof(struct uiommu_vfio_iommu_info, cap_offset) == 16,
	       "vfio_iommu_type1_info.cap_offset");

/** struct vfio_info_cap_header: one link of a capability chain. */
struct uiommu_vfio_cap_header {
	uint16_t id;       /**< capability ID */
	uint16_t version;  /**< its version */
	uint32_t next;     /**< offset of the next one from the info start, 0 = end */
};
_Static_assert(sizeof(struct uiommu_vfio_cap_header) == 8,
	       "vfio_info_cap_header size");
_Static_assert(offsetof(struct uiommu_vfio_cap_header, next) == 4,
	       "vfio_info_cap_header.next");

/** @name Capability IDs of VFIO_IOMMU_GET_INFO */
/**@{*/
#define UIOMMU_VFIO_IOMMU_CAP_IOVA_RANGE 1 /**< usable IOVA ranges */
#define UIOMMU_VFIO_IOMMU_CAP_MIGRATION  2 /**< dirty tracking (unused) */
#define UIOMMU_VFIO_IOMMU_CAP_DMA_AVAIL  3 /**< mappings still available */
/**@}*/

/** struct vfio_iova_range: an inclusive usable range. */
struct uiommu_vfio_iova_range {
	uint64_t start; /**< first usable IOVA */
	uint64_t end;   /**< last usable IOVA, inclusive */
};

/** struct vfio_iommu_type1_info_cap_iova_range. */
struct uiommu_vfio_cap_iova_range {
	struct uiommu_vfio_cap_header header; /**< id 1 */
	uint32_t nr_iovas;                    /**< entries that follow */
	uint32_t reserved;                    /**< padding */
	struct uiommu_vfio_iova_range iova_ranges[]; /**< nr_iovas ranges */
};
_Static_assert(sizeof(struct uiommu_vfio_cap_iova_range) == 16,
	       "vfio_iommu_type1_info_cap_iova_range size");
_Static_assert(offsetof(struct uiommu_vfio_cap_iova_range, nr_iovas) == 8,
	       "cap_iova_range.nr_iovas");
_Static_assert(offsetof(struct uiommu_vfio_cap_iova_range, iova_ranges) == 16,
	       "cap_iova_range.iova_ranges");
_Static_assert(sizeof(struct uiommu_vfio_iova_range) == 16,
	       "vfio_iova_range size");

/** struct vfio_iommu_type1_info_dma_avail. */
struct uiommu_vfio_cap_dma_avail {
	struct uiommu_vfio_cap_header header; /**< id 3 */
	uint32_t avail;    /**< DMA mappings the container may still create */
};
_Static_assert(sizeof(struct uiommu_vfio_cap_dma_avail) == 12,
	       "vfio_iommu_type1_info_dma_avail size");
_Static_assert(offsetof(struct uiommu_vfio_cap_dma_avail, avail) == 8,
	       "dma_avail.avail");

/** struct vfio_iommu_type1_dma_map (VFIO_IOMMU_MAP_DMA). */
struct uiommu_vfio_dma_map {
	uint32_t argsz;  /**< sizeof(struct uiommu_vfio_dma_map) */
	uint32_t flags;  /**< UIOMMU_VFIO_DMA_MAP_FLAG_* */
	uint64_t vaddr;  /**< process virtual address of the memory */
	uint64_t iova;   /**< device address */
	uint64_t size;   /**< bytes */
};
#define UIOMMU_VFIO_DMA_MAP_FLAG_READ  (1u << 0) /**< device may read */
#define UIOMMU_VFIO_DMA_MAP_FLAG_WRITE (1u << 1) /**< device may write */

_Static_assert(sizeof(struct uiommu_vfio_dma_map) == 32,
	       "vfio_iommu_type1_dma_map size");
_Static_assert(offsetof(struct uiommu_vfio_dma_map, vaddr) == 8,
	       "dma_map.vaddr");
_Static_assert(offsetof(struct uiommu_vfio_dma_map, iova) == 16,
	       "dma_map.iova");
_Static_assert(offsetof(struct uiommu_vfio_dma_map, size) == 24,
	       "dma_map.size");

/** struct vfio_iommu_type1_dma_unmap (VFIO_IOMMU_UNMAP_DMA), no bitmap. */
struct uiommu_vfio_dma_unmap {
	uint32_t argsz;  /**< sizeof(struct uiommu_vfio_dma_unmap) */
	uint32_t flags;  /**< 0 (no dirty bitmap, not "all", not vaddr) */
	uint64_t iova;   /**< first IOVA */
	uint64_t size;   /**< bytes (in); bytes unmapped (out) */
};
_Static_assert(sizeof(struct uiommu_vfio_dma_unmap) == 24,
	       "vfio_iommu_type1_dma_unmap size");
_Static_assert(offsetof(struct uiommu_vfio_dma_unmap, iova) == 8,
	       "dma_unmap.iova");
_Static_assert(offsetof(struct uiommu_vfio_dma_unmap, size) == 16,
	       "dma_unmap.size");

/** struct vfio_region_info (VFIO_DEVICE_GET_REGION_INFO). */
struct uiommu_vfio_region_info {
	uint32_t argsz;      /**< sizeof(struct uiommu_vfio_region_info) */
	uint32_t flags;      /**< UIOMMU_VFIO_REGION_INFO_FLAG_* (out) */
	uint32_t index;      /**< region index (in) */
	uint32_t cap_offset; /**< first capability (out) */
	uint64_t size;       /**< region size (out) */
	uint64_t offset;     /**< offset of the region in the device fd (out) */
};
#define UIOMMU_VFIO_REGION_INFO_FLAG_READ  (1u << 0) /**< pread allowed */
#define UIOMMU_VFIO_REGION_INFO_FLAG_WRITE (1u << 1) /**< pwrite allowed */
#define UIOMMU_VFIO_REGION_INFO_FLAG_MMAP  (1u << 2) /**< mmap allowed */
/** VFIO_PCI_BAR0_REGION_INDEX. */
#define UIOMMU_VFIO_PCI_BAR0_REGION_INDEX 0u
/** VFIO_PCI_CONFIG_REGION_INDEX. */
#define UIOMMU_VFIO_PCI_CONFIG_REGION_INDEX 7u

_Static_assert(sizeof(struct uiommu_vfio_region_info) == 32,
	       "vfio_region_info size");
_Static_assert(offsetof(struct uiommu_vfio_region_info, index) == 8,
	       "region_info.index");
_Static_assert(offsetof(struct uiommu_vfio_region_info, size) == 16,
	       "region_info.size");
_Static_assert(offsetof(struct uiommu_vfio_region_info, offset) == 24,
	       "region_info.offset");

#ifdef __cplusplus
}
#endif

#endif /* UIOMMU_VFIO_UAPI_H */
