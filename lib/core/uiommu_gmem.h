/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Guest memory: a VM's registered RAM regions and safe access to them.
 *
 * A VM's RAM is a small set of regions, each `[gpa, gpa + size - 1]` backed
 * by a host mapping of a file the VMM passed (memfd, hugetlbfs). Everything
 * the manager reads or writes in guest memory — queues, stream tables,
 * context descriptors, page tables, MSI targets, soft-DMA buffers — goes
 * through uiommu_gmem_ptr(), which returns a host pointer only when the whole
 * access lies inside one region. That is the single choke point that keeps a
 * hostile guest from making the manager touch anything else.
 *
 * The region array is tiny (at most UIOMMU_MAX_MEM_REGIONS) and read-mostly:
 * a linear scan over at most 16 entries touching two cache lines beats any
 * tree. Regions change only on the control thread (MEM_ADD/MEM_DEL), with the
 * VM's polling paused around the change (lib/core's vm_pause hook), and a
 * region that holds a live ring or stream table cannot be removed (-EBUSY);
 * so the fast path reads the array without locks.
 */
#ifndef UIOMMU_GMEM_H
#define UIOMMU_GMEM_H

#include <stdint.h>
#include <string.h>

#include "uiommu_common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** One guest RAM region. */
struct uiommu_gmem_region {
	uint64_t gpa;   /**< first guest-physical address */
	uint64_t last;  /**< last guest-physical address (inclusive) */
	uint8_t *hva;   /**< host mapping of gpa */
	uint64_t size;  /**< bytes */
	int fd;         /**< backing fd (owned), -1 for anonymous test memory */
	uint64_t offset;/**< offset of the region in fd */
};

/** A VM's guest memory. */
struct uiommu_gmem {
	uint32_t nr;                                          /**< regions in use */
	struct uiommu_gmem_region r[UIOMMU_MAX_MEM_REGIONS];  /**< sorted by gpa */
};

/**
 * Host pointer for the guest access [gpa, gpa + len - 1], or NULL when the
 * access is empty, wraps, or does not lie wholly inside one region.
 */
static inline void *
uiommu_gmem_ptr(const struct uiommu_gmem *gm, uint64_t gpa, uint64_t len)
{
	uint64_t last;

	if (unlikely(len == 0 || __builtin_add_overflow(gpa, len - 1, &last)))
		return NULL;
	for (uint32_t i = 0; i < gm->nr; i++) {
		const struct uiommu_gmem_region *r = &gm->r[i];

		if (gpa >= r->gpa && last <= r->last)
			return r->hva + (gpa - r->gpa);
	}
	return NULL;
}

/**
 * Copy len bytes of guest memory at gpa into dst.
 * @return 0, or -EFAULT when the range is not wholly inside one region.
 */
static inline int
uiommu_gmem_read(const struct uiommu_gmem *gm, uint64_t gpa, void *dst,
		 uint64_t len)
{
	const void *p = uiommu_gmem_ptr(gm, gpa, len);

	if (p == NULL)
		return -EFAULT;
	memcpy(dst, p, len);
	return 0;
}

/**
 * Copy len bytes from src into guest memory at gpa.
 * @return 0, or -EFAULT when the range is not wholly inside one region.
 */
static inline int
uiommu_gmem_write(const struct uiommu_gmem *gm, uint64_t gpa, const void *src,
		  uint64_t len)
{
	void *p = uiommu_gmem_ptr(gm, gpa, len);

	if (p == NULL)
		return -EFAULT;
	memcpy(p, src, len);
	return 0;
}

/**
 * Read one naturally aligned 64-bit little-endian word of guest memory once
 * (a single load, so a concurrent guest write is seen whole or not at all).
 * @return 0, -EFAULT outside RAM, -EINVAL when gpa is not 8-byte aligned.
 */
static inline int
uiommu_gmem_read_u64(const struct uiommu_gmem *gm, uint64_t gpa, uint64_t *val)
{
	const uint64_t *p;

	if (unlikely(gpa & 7))
		return -EINVAL;
	p = (const uint64_t *)uiommu_gmem_ptr(gm, gpa, 8);
	if (unlikely(p == NULL))
		return -EFAULT;
	*val = __atomic_load_n(p, __ATOMIC_RELAXED);
	return 0;
}

/**
 * Add a region (control path). Regions may not overlap.
 * @param gm     guest memory
 * @param gpa    first guest-physical address
 * @param size   bytes (non-zero)
 * @param hva    host mapping (the caller keeps it mapped while registered)
 * @param fd     backing fd, owned by gm from now on (-1 for none)
 * @param offset offset of the region in fd
 * @return 0, -EINVAL (size 0, unaligned to 4 KiB), -EOVERFLOW (wraps),
 *         -EEXIST (overlaps a region), -ENOSPC (UIOMMU_MAX_MEM_REGIONS reached).
 */
int uiommu_gmem_add(struct uiommu_gmem *gm, uint64_t gpa, uint64_t size,
		    void *hva, int fd, uint64_t offset);

/**
 * Remove the region that starts exactly at gpa with exactly size bytes and
 * hand back its mapping and fd (the caller unmaps and closes).
 * @return 0, or -ENOENT when no such region exists.
 */
int uiommu_gmem_del(struct uiommu_gmem *gm, uint64_t gpa, uint64_t size,
		    struct uiommu_gmem_region *out);

#ifdef __cplusplus
}
#endif

#endif /* UIOMMU_GMEM_H */
