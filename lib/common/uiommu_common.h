/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Conventions shared by every uiommu library.
 *
 * **Ranges** are inclusive: `[start, last]`. A caller that holds a length
 * computes `last` with uiommu_range_last(), which refuses `len == 0`
 * (-EINVAL) and `start + len - 1` wrapping past 2^64 (-EOVERFLOW). Code never
 * forms `start + len`, which overflows for a range that ends at 2^64 - 1.
 *
 * **Errors** are negative errno values, each with one meaning across the
 * project (doc/conventions.md has the table):
 *  - -EINVAL      an argument is malformed (zero length, bad alignment, ...)
 *  - -EOVERFLOW   arithmetic on an argument would overflow
 *  - -EEXIST      the range or ID overlaps something that exists
 *  - -ENOENT      the range or ID does not exist or is not exactly covered
 *  - -EADDRINUSE  the range clashes with a reserved range
 *  - -ENOSPC      no free IOVA hole / no free slot
 *  - -ENOMEM      out of memory
 *  - -EOPNOTSUPP  unknown flag, value or missing backend op
 *  - -EBUSY       the object is still in use
 *  - -EMSGSIZE    the caller's array is too small (count written back)
 *  - -EFAULT      an address does not lie in registered memory
 *  - -EPERM       the access needs a permission the mapping does not grant
 *  - -ERANGE      an address lies beyond an address space's size (IAS/OAS)
 *  - -E2BIG       a request exceeds a configured work bound (pages one
 *                 shadow refresh may walk)
 *
 * Pointer-returning internal helpers use UIOMMU_ERR_PTR() and friends.
 */
#ifndef UIOMMU_COMMON_H
#define UIOMMU_COMMON_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_branch_prediction.h>
#include <rte_common.h>

#include "uiommu_config.h"

#ifdef __cplusplus
extern "C" {
#endif

/** An inclusive range [start, last]. */
struct uiommu_range {
	uint64_t start; /**< first address */
	uint64_t last;  /**< last address, inclusive */
};

/**
 * Compute the last address of a range given by start and length.
 *
 * @param start  first address
 * @param len    length in bytes
 * @param[out] last  start + len - 1 on success
 * @return 0, -EINVAL if len is 0, -EOVERFLOW if the range wraps past 2^64.
 */
static inline int
uiommu_range_last(uint64_t start, uint64_t len, uint64_t *last)
{
	if (len == 0)
		return -EINVAL;
	if (__builtin_add_overflow(start, len - 1, last))
		return -EOVERFLOW;
	return 0;
}

/** True when [a_start, a_last] and [b_start, b_last] share an address. */
static inline bool
uiommu_range_overlaps(uint64_t a_start, uint64_t a_last,
		      uint64_t b_start, uint64_t b_last)
{
	return a_start <= b_last && b_start <= a_last;
}

/** True when [in_start, in_last] lies wholly inside [out_start, out_last]. */
static inline bool
uiommu_range_within(uint64_t in_start, uint64_t in_last,
		    uint64_t out_start, uint64_t out_last)
{
	return in_start >= out_start && in_last <= out_last &&
	       in_start <= in_last;
}

/** Largest errno encoded in a pointer. */
#define UIOMMU_MAX_ERRNO 4095
/** Encode a negative errno as a pointer. */
#define UIOMMU_ERR_PTR(err) ((void *)(intptr_t)(err))
/** Negative errno carried by a pointer (valid when UIOMMU_IS_ERR). */
#define UIOMMU_PTR_ERR(p) ((int)(intptr_t)(p))
/** True when a pointer carries an errno. */
#define UIOMMU_IS_ERR(p) \
	((uintptr_t)(p) >= (uintptr_t)-UIOMMU_MAX_ERRNO)

/** True when x is a power of two (0 is not). */
static inline bool
uiommu_is_pow2_u64(uint64_t x)
{
	return x != 0 && (x & (x - 1)) == 0;
}

#ifdef __cplusplus
}
#endif

#endif /* UIOMMU_COMMON_H */
