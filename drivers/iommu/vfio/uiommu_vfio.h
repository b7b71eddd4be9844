/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The "vfio" backend: VFIO type1v2 containers, with the guest's stage 1
 * shadowed into them (design and rules in doc/vfio-backend.md).
 *
 * The backend is used through the backend SDK (uiommu_backend.h) by name,
 * "vfio"; devices are named "vfio:DDDD:BB:DD.F" (a PCI address bound to
 * vfio-pci). This header holds what it adds to the SDK:
 *  - its backend arguments (kvargs of VIOMMU_CREATE);
 *  - the implementation-defined event records it raises when a shadow
 *    refresh cannot be completed (SMMUv3 leaves event numbers 0xE0..0xEF
 *    to the implementation);
 *  - its counters, per vIOMMU and summed over the process (also served as
 *    the DPDK telemetry command `/uiommu/vfio`).
 *
 * **Arguments** (all optional; a value may only lower a build-time limit):
 *  - `walk_max=N`   stage-1 walker calls per refresh, 1..UIOMMU_VFIO_WALK_MAX
 *  - `max_maps=N`   mappings per container, 1..the kernel's limit
 *  - `coalesce=on|off`  merge contiguous leaves into one MAP_DMA (default on)
 */
#ifndef UIOMMU_VFIO_H
#define UIOMMU_VFIO_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** @name Implementation-defined event IDs (struct uiommu_event.id) */
/**@{*/
/**
 * A shadow mapping was refused because the container holds its maximum
 * number of mappings (the kernel's dma_entry_limit, DMA_AVAIL, or the
 * max_maps argument). input_addr = first IOVA left unmapped;
 * raw[1] = live mappings | limit << 32.
 */
#define UIOMMU_VFIO_EVT_MAP_LIMIT  0xe0
/**
 * A shadow refresh gave up after walk_max walker calls. input_addr = first
 * IOVA whose translation is unknown (left unmapped); raw[1] = walk_max.
 */
#define UIOMMU_VFIO_EVT_WALK_LIMIT 0xe1
/**
 * The kernel refused VFIO_IOMMU_MAP_DMA or UNMAP_DMA for another reason.
 * input_addr = the IOVA; raw[1] = the kernel's errno (positive).
 */
#define UIOMMU_VFIO_EVT_MAP_ERROR  0xe2
/**@}*/

/** Counters of the vfio backend (monotonic unless noted). */
struct uiommu_vfio_stats {
	uint64_t map_calls;        /**< VFIO_IOMMU_MAP_DMA that succeeded */
	uint64_t unmap_calls;      /**< VFIO_IOMMU_UNMAP_DMA that succeeded */
	uint64_t map_bytes;        /**< bytes mapped by them */
	uint64_t unmap_bytes;      /**< bytes unmapped by them */
	uint64_t live_maps;        /**< mappings held now (not monotonic) */
	uint64_t refreshes;        /**< shadow refreshes run */
	uint64_t walk_steps;       /**< stage-1 walker calls */
	uint64_t runs_kept;        /**< runs found unchanged by a refresh */
	uint64_t limit_errors;     /**< refreshes stopped by the mapping limit */
	uint64_t walk_limit_errors;/**< refreshes stopped by walk_max */
	uint64_t kernel_errors;    /**< MAP/UNMAP_DMA failures of other kinds */
	uint64_t alloc_errors;     /**< refreshes stopped by a memory shortage */
	uint64_t iova_excluded;    /**< leaves (pieces) outside the kernel's IOVA ranges */
	uint64_t s2_misses;        /**< stage-1 leaves (pieces) outside guest RAM */
	uint64_t bad_cd;           /**< CDs that were unreadable, invalid or V = 0 */
	uint64_t events;           /**< event records raised */
	uint64_t events_lost;      /**< event records dropped (ring full) */
	uint64_t map_ns;           /**< time in the MAP_DMA calls counted above */
	uint64_t unmap_ns;         /**< time in the UNMAP_DMA calls counted above */
	uint64_t refresh_ns;       /**< time in shadow refreshes (walks + calls) */
};

/**
 * Counters of one vfio vIOMMU.
 * @param viommu_priv  the private pointer viommu_alloc returned
 * @param[out] st  filled (each counter read atomically; not a snapshot)
 * @return 0; -EINVAL when an argument is NULL.
 */
int uiommu_vfio_stats_get(const void *viommu_priv,
			  struct uiommu_vfio_stats *st);

/**
 * Counters summed over every vfio vIOMMU of the process, including those
 * already freed.
 * @param[out] st  filled
 * @return 0; -EINVAL when @p st is NULL.
 */
int uiommu_vfio_stats_total(struct uiommu_vfio_stats *st);

#ifdef __cplusplus
}
#endif

#endif /* UIOMMU_VFIO_H */
