/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * What the iommufd backend adds to the backend SDK: a measurement of the
 * kernel's batched invalidation ioctl, for benchmarks (design §7 item 7).
 *
 * The backend itself is used through the SDK by name, "iommufd"
 * (doc/iommufd-backend.md). Self-contained: libc only, so that libc-only
 * guest programs (test/vm/iommufd/iommufd_inv_bench) use the same code.
 */
#ifndef UIOMMU_IOMMUFD_H
#define UIOMMU_IOMMUFD_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Cost of IOMMU_HWPT_INVALIDATE for one number of entries. */
struct uiommu_iommufd_inv_cost {
	uint32_t entry_num;  /**< entries per call (0: the call alone) */
	uint32_t iters;      /**< calls timed */
	uint64_t p50_ns;     /**< median call, nanoseconds */
	uint64_t p90_ns;     /**< 90th percentile */
	uint64_t p99_ns;     /**< 99th percentile */
	uint64_t max_ns;     /**< slowest call */
};

/** Largest entry_num uiommu_iommufd_inv_cost() accepts. */
#define UIOMMU_IOMMUFD_INV_COST_MAX_ENTRIES 256u

/**
 * Time IOMMU_HWPT_INVALIDATE on the running kernel, per entry count.
 *
 * Needs a CONFIG_IOMMUFD_TEST kernel: it builds, on a fresh open of @p dev,
 * an IOAS, a selftest mock device, a NEST_PARENT HWPT and a nested HWPT of
 * type IOMMU_HWPT_DATA_SELFTEST with the device attached. It first checks
 * the semantics the backend relies on (two entries whose second is refused:
 * EINVAL with entry_num 1, and the mock IOTLB shows exactly the first
 * applied), then for each entries[i] times @p iters calls after iters / 10
 * warm-up calls (entries {flags 0, iotlb_id k % 4}), checking each call
 * handled every entry. Everything is released (the fd is closed) before
 * returning. Runs on the calling thread; takes iters * n calls.
 *
 * @param dev  iommufd device path, NULL for /dev/iommu
 * @param entries  entry counts, each 0..UIOMMU_IOMMUFD_INV_COST_MAX_ENTRIES
 * @param n  number of counts, >= 1
 * @param iters  timed calls per count, 10..1000000
 * @param[out] out  n results, in the order of @p entries
 * @return 0; -EINVAL (bad argument); -ENOENT (no such device: no
 *         iommufd here); -ENOTTY (the kernel lacks CONFIG_IOMMUFD_TEST or
 *         an ioctl); -EIO (the kernel's answers break the documented
 *         semantics); -ENOMEM; or the errno of another failing ioctl.
 */
int uiommu_iommufd_inv_cost(const char *dev, const uint32_t *entries,
			    unsigned int n, unsigned int iters,
			    struct uiommu_iommufd_inv_cost *out);

#ifdef __cplusplus
}
#endif

#endif /* UIOMMU_IOMMUFD_H */
