/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * IOAS: an I/O address space with iommufd's IOAS semantics.
 *
 * An IOAS is a set of disjoint **areas**, each mapping an inclusive IOVA
 * range `[iova, last]` to a caller-defined backing address (a host virtual
 * address, a file offset, ...) with READ/WRITE permissions and an opaque
 * owner cookie. Around the areas sit **reserved ranges** (never mapped,
 * never allocated; e.g. an MSI window or the part outside a domain's
 * aperture) and an optional list of **allowed ranges** (where allocated
 * IOVAs must come from). Engineers who know `IOMMU_IOAS_*` find the same
 * rules and errnos here; doc/ioas.md lists them with the few deliberate
 * differences.
 *
 * **Ranges** are inclusive, `[start, last]`. Every (address, length) pair is
 * turned into `last` with uiommu_range_last(): a length of 0 is -EINVAL and
 * a range wrapping past 2^64 - 1 is -EOVERFLOW. The last address of the
 * space, UINT64_MAX, can be mapped like any other.
 *
 * **Errors** are negative errno values with one meaning each:
 *  - -EINVAL      malformed argument: NULL pointer, zero length, unknown
 *                 protection (neither READ nor WRITE), bad alignment, a
 *                 fixed IOVA range that touches a reserved range, an allowed
 *                 range with start >= last or overlapping another
 *  - -EOVERFLOW   start + length - 1 wraps, or an allocation length >= 2^63
 *  - -EOPNOTSUPP  unknown flag bits
 *  - -EEXIST      a fixed IOVA range overlaps an existing area
 *  - -ENOENT      no area there, or a range that is not exactly covered by
 *                 whole areas (unmap) or by contiguous areas (copy)
 *  - -EADDRINUSE  reserved vs. allowed/area clash, or an alignment change
 *                 that existing areas do not meet
 *  - -ENOSPC      no free IOVA hole fits, or an area/range table is full
 *  - -ENOMEM      out of memory
 *  - -EPERM       a copy asks for WRITE on an area mapped without it
 *  - -EMSGSIZE    the caller's array is too small (count written back)
 *
 * **Complexity** (n areas, r reserved ranges, a allowed ranges): map,
 * lookup and the per-area cost of unmap are O(log n); IOVA allocation is
 * O(a log n) (it walks the allowed ranges in order); reserve and unreserve
 * are O(r log(n + r)); foreach costs O(log n) plus O(1) per area visited.
 *
 * **Threads.** An IOAS is not thread-safe: callers serialise every call on
 * one IOAS (the manager mutates IOASes on its control thread only).
 * Different IOASes are independent.
 */
#ifndef UIOMMU_IOVA_H
#define UIOMMU_IOVA_H

#include <stdint.h>

#include "uiommu_common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Map flag: *iova is an input, map exactly there. */
#define UIOMMU_IOAS_MAP_FIXED_IOVA (1u << 0)
/** Map flag / area permission: the device may write. */
#define UIOMMU_IOAS_MAP_WRITEABLE  (1u << 1)
/** Map flag / area permission: the device may read. */
#define UIOMMU_IOAS_MAP_READABLE   (1u << 2)
/** Every map flag this version understands. */
#define UIOMMU_IOAS_MAP_FLAGS_MASK (UIOMMU_IOAS_MAP_FIXED_IOVA | \
				    UIOMMU_IOAS_MAP_WRITEABLE | \
				    UIOMMU_IOAS_MAP_READABLE)

/** An I/O address space; opaque. */
struct uiommu_ioas;

/** What uiommu_ioas_lookup() and uiommu_ioas_foreach() report of an area. */
struct uiommu_ioas_area_info {
	uint64_t iova;    /**< first IOVA of the area */
	uint64_t last;    /**< last IOVA of the area, inclusive */
	uint64_t backing; /**< backing address of iova (linear over the area) */
	void *owner;      /**< cookie given to map (copies keep the source's) */
	uint32_t prot;    /**< UIOMMU_IOAS_MAP_READABLE / _WRITEABLE bits */
};

/**
 * Area visitor for uiommu_ioas_foreach().
 * @return 0 to continue; any other value stops the walk and is returned by
 *         uiommu_ioas_foreach().
 */
typedef int (*uiommu_ioas_area_cb)(const struct uiommu_ioas_area_info *info,
				   void *arg);

/**
 * Create an empty IOAS: IOVA alignment 1, no reserved or allowed ranges,
 * allocation alignment capped at UIOMMU_IOAS_ALLOC_ALIGN_MAX.
 *
 * @param[out] out  the new IOAS
 * @return 0, -EINVAL if @p out is NULL, -ENOMEM.
 */
int uiommu_ioas_create(struct uiommu_ioas **out);

/**
 * Destroy an IOAS and free every area and reserved range in it.
 * Accepts NULL; never fails.
 *
 * @param ioas  IOAS or NULL
 */
void uiommu_ioas_destroy(struct uiommu_ioas *ioas);

/**
 * Map @p length bytes of backing starting at @p backing.
 *
 * With UIOMMU_IOAS_MAP_FIXED_IOVA the area goes exactly at *iova, which
 * must be aligned to the IOAS alignment and must not touch a reserved range
 * (allowed ranges do not restrict fixed maps, as in iommufd). Otherwise the
 * lowest fitting IOVA is chosen in [PAGE, UINT64_MAX - PAGE] (PAGE =
 * UIOMMU_IOAS_PAGE_SIZE; IOVA 0 is never returned), inside the allowed
 * ranges if any are set, avoiding areas and reserved ranges. The chosen IOVA
 * is aligned to min(roundup_pow_of_two(length), lowest set bit of
 * @p backing), capped at the allocation cap, and keeps @p backing's offset
 * within a PAGE.
 *
 * In all cases @p length and @p backing must be multiples of the IOAS
 * alignment.
 *
 * @param ioas     the IOAS
 * @param backing  backing address of the first byte
 * @param length   bytes to map, > 0
 * @param[in,out] iova  in: the IOVA (FIXED); out: the IOVA used. Left
 *                      untouched on error.
 * @param flags    UIOMMU_IOAS_MAP_* bits; READABLE and/or WRITEABLE needed
 * @param owner    opaque cookie stored with the area
 * @return 0 on success;
 *   -EOPNOTSUPP unknown flags;
 *   -EINVAL NULL @p ioas or @p iova, neither READABLE nor WRITEABLE,
 *           @p length 0, @p iova / @p length / @p backing not aligned to the
 *           IOAS alignment, allocation alignment below the IOAS alignment,
 *           fixed range overlapping a reserved range;
 *   -EOVERFLOW fixed iova + length - 1 or backing + length - 1 wraps, or
 *           allocation with length >= UINT64_MAX / 2;
 *   -EEXIST fixed range overlapping an existing area;
 *   -ENOSPC no hole fits the allocation, or the IOAS holds its maximum
 *           number of areas (uiommu_ioas_set_max_areas());
 *   -ENOMEM out of memory.
 */
int uiommu_ioas_map(struct uiommu_ioas *ioas, uint64_t backing,
		    uint64_t length, uint64_t *iova, uint32_t flags,
		    void *owner);

/**
 * Unmap every area inside [iova, iova + length - 1].
 *
 * The range must be a superset of whole areas: gaps are fine, an area that
 * sticks out at either end is not. The check is made before anything is
 * removed, so an error leaves the IOAS unchanged (iommufd may have removed
 * the areas below the offending one; areas are never split, as in
 * IOMMU_IOAS_UNMAP). Areas are removed in ascending IOVA order.
 * iova == 0 with length == UINT64_MAX unmaps everything, like
 * uiommu_ioas_unmap_all(). Reserved ranges are not affected.
 *
 * @param ioas  the IOAS
 * @param iova  first IOVA of the range
 * @param length  bytes in the range
 * @param[out] unmapped  when not NULL: bytes unmapped (saturating at
 *                       UINT64_MAX), 0 on error
 * @return 0;
 *   -EINVAL NULL @p ioas or @p length 0;
 *   -EOVERFLOW iova + length - 1 wraps;
 *   -ENOENT no area intersects the range, or an area is only partly inside
 *           it (nothing removed).
 */
int uiommu_ioas_unmap(struct uiommu_ioas *ioas, uint64_t iova, uint64_t length,
		      uint64_t *unmapped);

/**
 * Unmap every area. Succeeds on an empty IOAS.
 *
 * @param ioas  the IOAS
 * @param[out] unmapped  when not NULL: bytes unmapped (saturating at
 *                       UINT64_MAX)
 * @return 0, or -EINVAL if @p ioas is NULL.
 */
int uiommu_ioas_unmap_all(struct uiommu_ioas *ioas, uint64_t *unmapped);

/**
 * Map in @p dst the backing that @p src maps at
 * [src_iova, src_iova + length - 1], like IOMMU_IOAS_COPY.
 *
 * The source range must be covered by areas with no gap; it may start and
 * end inside areas. One area is created in @p dst per source area touched,
 * with the backing of the corresponding bytes and the source area's owner;
 * their permissions come from @p flags. @p dst may be @p src. The
 * destination IOVA follows uiommu_ioas_map() rules, the allocation
 * alignment being derived from the backing of the first source byte.
 *
 * @param dst  destination IOAS
 * @param src  source IOAS
 * @param src_iova  first source IOVA
 * @param length  bytes to copy
 * @param[in,out] dst_iova  as uiommu_ioas_map()'s iova
 * @param flags  UIOMMU_IOAS_MAP_* bits for the new areas
 * @return 0;
 *   -EOPNOTSUPP unknown flags;
 *   -EINVAL NULL argument, no permission, @p length 0, misalignment in
 *           @p dst (IOVA, piece lengths or backings), fixed range over a
 *           reserved range of @p dst;
 *   -EOVERFLOW a range wraps, or allocation length >= UINT64_MAX / 2;
 *   -ENOENT the source range is not fully covered by contiguous areas;
 *   -EPERM WRITEABLE requested but a source area is not writeable;
 *   -EEXIST fixed range overlapping an area of @p dst;
 *   -ENOSPC no hole in @p dst fits, or the new areas would exceed its
 *           maximum number of areas;
 *   -ENOMEM out of memory (nothing created).
 */
int uiommu_ioas_copy(struct uiommu_ioas *dst, const struct uiommu_ioas *src,
		     uint64_t src_iova, uint64_t length, uint64_t *dst_iova,
		     uint32_t flags);

/**
 * Replace the list of allowed ranges, like IOMMU_IOAS_ALLOW_IOVAS. When the
 * list is not empty, allocated IOVAs come only from inside it. The new list
 * is taken whole or not at all.
 *
 * @param ioas    the IOAS
 * @param ranges  @p num ranges in any order
 * @param num     number of ranges, 0 clears the list; at most
 *                UIOMMU_IOAS_MAX_ALLOWED
 * @return 0;
 *   -EINVAL NULL @p ioas, NULL @p ranges with @p num > 0, a range with
 *           start >= last, two ranges overlapping;
 *   -ENOSPC @p num above UIOMMU_IOAS_MAX_ALLOWED;
 *   -EADDRINUSE a range intersects a reserved range (old list kept);
 *   -ENOMEM out of memory (old list kept).
 */
int uiommu_ioas_allow_iovas(struct uiommu_ioas *ioas,
			    const struct uiommu_range *ranges, uint32_t num);

/**
 * Reserve [start, last]: it will never be mapped nor allocated. Reserved
 * ranges may overlap one another (several owners may reserve the same
 * window).
 *
 * @param ioas   the IOAS
 * @param start  first reserved address
 * @param last   last reserved address, >= start
 * @param owner  cookie that uiommu_ioas_unreserve() matches
 * @return 0;
 *   -EINVAL NULL @p ioas or start > last;
 *   -EADDRINUSE the range intersects an area or an allowed range;
 *   -ENOSPC UIOMMU_IOAS_MAX_RESERVED ranges are already reserved;
 *   -ENOMEM out of memory.
 */
int uiommu_ioas_reserve(struct uiommu_ioas *ioas, uint64_t start,
			uint64_t last, void *owner);

/**
 * Remove every reserved range of @p owner. Never fails.
 *
 * @param ioas   the IOAS (NULL: nothing happens)
 * @param owner  the cookie given to uiommu_ioas_reserve()
 * @return the number of ranges removed.
 */
unsigned int uiommu_ioas_unreserve(struct uiommu_ioas *ioas, void *owner);

/**
 * Report the usable IOVA ranges, like IOMMU_IOAS_IOVA_RANGES: the holes
 * between reserved ranges over [0, UINT64_MAX], intersected with the
 * allowed ranges when some are set, in ascending order.
 *
 * @param ioas  the IOAS
 * @param[out] out  array of *num entries (may be NULL when *num is 0)
 * @param[in,out] num  in: capacity of @p out; out: number of ranges (also
 *                     on -EMSGSIZE, where it is the count needed)
 * @param[out] alignment  when not NULL: the IOAS alignment (also written on
 *                        -EMSGSIZE)
 * @return 0;
 *   -EINVAL NULL @p ioas or @p num, or NULL @p out with *num > 0;
 *   -EMSGSIZE more ranges than *num: the first *num (input) entries are
 *             filled and *num holds the total.
 */
int uiommu_ioas_iova_ranges(const struct uiommu_ioas *ioas,
			    struct uiommu_range *out, uint32_t *num,
			    uint64_t *alignment);

/**
 * Set the IOVA alignment every area must meet (IOVA, length and backing),
 * as attaching a domain does in iommufd. Lowering always succeeds.
 *
 * @param ioas       the IOAS
 * @param alignment  a power of two, at most UIOMMU_IOAS_PAGE_SIZE
 * @return 0;
 *   -EINVAL NULL @p ioas, @p alignment not a power of two or above
 *           UIOMMU_IOAS_PAGE_SIZE;
 *   -EADDRINUSE an existing area is not aligned to @p alignment (the old
 *               alignment is kept).
 */
int uiommu_ioas_set_alignment(struct uiommu_ioas *ioas, uint64_t alignment);

/**
 * @param ioas  the IOAS
 * @return the IOVA alignment (1 for a new IOAS).
 */
uint64_t uiommu_ioas_alignment(const struct uiommu_ioas *ioas);

/**
 * Cap the alignment given to allocated IOVAs (THP-friendliness): 2 MiB
 * (UIOMMU_IOAS_ALLOC_ALIGN_MAX) by default; iommufd uses PAGE_SIZE without
 * THP. An allocation whose capped alignment is below the IOAS alignment
 * fails with -EINVAL.
 *
 * @param ioas  the IOAS
 * @param max   a power of two
 * @return 0, or -EINVAL for NULL @p ioas or @p max not a power of two.
 */
int uiommu_ioas_set_alloc_align_max(struct uiommu_ioas *ioas, uint64_t max);

/**
 * Bound the number of areas of @p ioas (a client's maps are hostile input).
 * The default and the ceiling is UIOMMU_IOAS_MAX_AREAS. Lowering it below
 * the current count keeps the existing areas; further maps fail.
 *
 * @param ioas  the IOAS
 * @param max   1 .. UIOMMU_IOAS_MAX_AREAS
 * @return 0, or -EINVAL for NULL @p ioas or @p max out of range.
 */
int uiommu_ioas_set_max_areas(struct uiommu_ioas *ioas, uint64_t max);

/**
 * Find the area containing @p iova. O(log n).
 *
 * @param ioas  the IOAS
 * @param iova  any address
 * @param[out] info  the area (may be NULL to test presence only)
 * @return 0, -EINVAL for NULL @p ioas, -ENOENT when no area contains
 *         @p iova.
 */
int uiommu_ioas_lookup(const struct uiommu_ioas *ioas, uint64_t iova,
		       struct uiommu_ioas_area_info *info);

/**
 * Call @p cb for each area intersecting [first, last], in ascending IOVA
 * order. The callback must not change @p ioas.
 *
 * @param ioas   the IOAS
 * @param first  first IOVA of interest
 * @param last   last IOVA of interest, >= first
 * @param cb     the visitor
 * @param arg    passed to @p cb
 * @return 0 after visiting every area, the first non-zero value returned by
 *         @p cb, or -EINVAL for NULL @p ioas / @p cb or first > last.
 */
int uiommu_ioas_foreach(const struct uiommu_ioas *ioas, uint64_t first,
			uint64_t last, uiommu_ioas_area_cb cb, void *arg);

/**
 * @param ioas  the IOAS
 * @return the number of areas mapped (0 for NULL).
 */
uint64_t uiommu_ioas_num_areas(const struct uiommu_ioas *ioas);

#ifdef __cplusplus
}
#endif

#endif /* UIOMMU_IOVA_H */
