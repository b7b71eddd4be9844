/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Shadow translation: a device's guest stage-1 composed with the guest RAM
 * (stage-2) and kept, flattened, in an I/O address space the host IOMMU
 * can walk on its own — for backends whose IOMMU cannot nest.
 *
 * A shadow belongs to one device (one guest stage-1 context). Its owner
 * supplies the sink that realises mappings in the host IOMMU
 * (struct uiommu_shadow_ops: iommufd maps into a shadow IOAS with
 * IOMMU_IOAS_MAP/UNMAP; the vfio backend into a type1 container with
 * VFIO_IOMMU_MAP_DMA/UNMAP_DMA) and tells it what the guest configured
 * (abort, bypass, or a stage-1 table) and what the guest invalidated. The
 * shadow keeps an exact record of what it mapped (one record area per
 * sink map call), so that every sink unmap names exactly one earlier map,
 * as both kernels require, and so that a refresh of an unchanged range
 * makes no sink call at all.
 *
 * **Refresh** (uiommu_shadow_refresh(sh, first, last)): make the sink agree
 * with the guest's current translation over [first, last]:
 *  1. widen the range to whole leaves at both ends: whole old leaves (the
 *     leaf size a recorded area is made of) and whole current leaves (one
 *     walk at each end; for an unmapped end, the span of the empty entry).
 *     A TLBI by address drops every cached leaf holding the address;
 *  2. remainders: a recorded area that sticks out of the widened range (a
 *     coalesced run of several leaves) cannot be split by the sink, so its
 *     outside part is kept as it was, as a run before (or after) the
 *     desired ones; what the guest did not invalidate stays as it was;
 *  3. compute the desired runs over the widened range: the stage-1 walk
 *     (uiommu_lpae_walk, every descriptor read through guest memory with
 *     bounds checks, at most walk_max walker calls), each leaf's output
 *     GPA range turned into host ranges through the RAM regions, clipped
 *     to the sink's usable IOVA ranges (if given), and neighbours
 *     contiguous in IOVA and host address, with equal permissions, leaf
 *     size and region, coalesced (unless no_coalesce); bypass: every RAM
 *     region at IOVA = GPA; abort: nothing;
 *  4. diff with the recorded areas in the range (both sorted, disjoint):
 *     identical runs are kept, the others unmapped, the new ones mapped;
 *  5. apply unmaps first (always, even after an error: a refresh never
 *     leaves behind a translation the guest removed), then maps in IOVA
 *     order; the first failing map stops the maps.
 * When one page in the middle of a coalesced run changes, the run is
 * unmapped and mapped back as up to three runs (left remainder, new page,
 * right remainder): sinks that cannot split a mapping (VFIO type1, iommufd
 * IOAS_UNMAP of part of a map) need exactly that.
 *
 * **Permissions.** A device access is an unprivileged data access: a
 * stage-1 leaf without AP[1] (unprivileged) gives nothing; AP[2] makes it
 * read-only. Stage 2 is read-write, or what cfg.s2_prot says per region
 * (ANDed in; tables are read only from regions readable at stage 2).
 *
 * **Hostile guest.** Descriptors outside guest RAM end the walk of that
 * entry (a walk abort: the entry's span stays unmapped); a leaf whose
 * output leaves guest RAM maps only the part inside it; walk_max bounds
 * the work of one refresh; max_maps bounds the sink's mappings.
 *
 * **Visible failures.** Each refresh that stops short tells the optional
 * ops.report hook why (-ENOSPC, -E2BIG, -ENOMEM) and where, once per
 * cause, so that a backend can raise an event and count it; the errno is
 * also returned.
 *
 * **Threading.** One user at a time per shadow (backends call it from
 * set_ste and invalidate, which never run concurrently for a vIOMMU).
 * Guest memory regions must not change during a call.
 *
 * Errors: negative errno, one meaning each (uiommu_common.h).
 */
#ifndef UIOMMU_SHADOW_H
#define UIOMMU_SHADOW_H

#include <stdbool.h>
#include <stdint.h>

#include "uiommu_gmem.h"
#include "uiommu_iova.h"

#ifdef __cplusplus
extern "C" {
#endif

struct uiommu_shadow;

/** How the owner realises mappings. Both ops return 0 or a negative errno. */
struct uiommu_shadow_ops {
	/**
	 * Map [iova, iova + len - 1] to host memory [hva, hva + len - 1]
	 * with UIOMMU_PROT_* permissions (READ, WRITE bits 0 and 1). The
	 * range never overlaps a current mapping.
	 */
	int (*map)(void *ctx, uint64_t iova, uint64_t len, uint64_t hva,
		   uint32_t prot);
	/** Unmap exactly [iova, iova + len - 1], an earlier map. */
	int (*unmap)(void *ctx, uint64_t iova, uint64_t len);
	/**
	 * Optional (NULL: none). Why a refresh left the sink incomplete,
	 * called at most once per cause and refresh, after its unmaps:
	 *  - -ENOSPC: max_maps reached, or the sink's map said -ENOSPC;
	 *    iova = first IOVA left unmapped;
	 *  - -E2BIG: walk_max reached; iova = first IOVA not walked;
	 *  - -ENOMEM: no memory for the record or the scratch runs;
	 *    iova = first IOVA not described.
	 * It may call uiommu_shadow_num_maps() and uiommu_shadow_stats_get().
	 */
	void (*report)(void *ctx, int err, uint64_t iova);
};

/** Creation parameters. */
struct uiommu_shadow_cfg {
	/** Guest RAM: stage 2 and where guest tables are read. Kept. */
	const struct uiommu_gmem *gmem;
	const struct uiommu_shadow_ops *ops; /**< the sink; kept */
	void *ctx;                /**< passed to the ops */
	/** Walker calls per refresh, 1..UIOMMU_SHADOW_WALK_MAX; 0: the max. */
	uint32_t walk_max;
	/** Sink mappings held at most; 0: no limit beyond the record's. */
	uint64_t max_maps;
	/**
	 * One sink mapping per leaf: a change then touches exactly its own
	 * mapping (no remainder is ever unmapped and mapped back), at the
	 * price of more mappings.
	 */
	bool no_coalesce;
	/**
	 * Optional stage-2 permissions (UIOMMU_PROT_*), one per gmem region
	 * (same index); NULL: every region read-write. Kept, read at each
	 * refresh.
	 */
	const uint32_t *s2_prot;
	/**
	 * Optional IOVA ranges the sink accepts, sorted and disjoint; pieces
	 * outside them are left out (counted in iova_excluded). NULL or
	 * nr_iova_ranges 0: every IOVA. Kept.
	 */
	const struct uiommu_range *iova_ranges;
	uint32_t nr_iova_ranges;  /**< entries of iova_ranges */
};

/** What the guest configured. */
enum uiommu_shadow_mode {
	UIOMMU_SHADOW_ABORT = 0,  /**< nothing translates */
	UIOMMU_SHADOW_BYPASS,     /**< IOVA = GPA over every RAM region */
	UIOMMU_SHADOW_S1,         /**< guest stage-1 (AArch64 LPAE, 4 KiB) */
};

/** The stage-1 context (from the guest's CD). */
struct uiommu_shadow_s1 {
	uint64_t ttb0;   /**< GPA of the top table */
	uint8_t ias;     /**< input bits, 25..48 (64 - T0SZ) */
	uint8_t oas;     /**< output bits, 32..48 */
	bool affd;       /**< CD.AFFD: access flag faults disabled */
};

/** Counters of a shadow (monotonic). */
struct uiommu_shadow_stats {
	uint64_t refreshes;   /**< refresh calls (configure counts one) */
	uint64_t walk_steps;  /**< walker calls */
	uint64_t maps;        /**< sink maps that succeeded */
	uint64_t unmaps;      /**< sink unmaps that succeeded */
	uint64_t kept;        /**< runs found unchanged by a diff */
	uint64_t sink_errors; /**< sink calls that failed */
	uint64_t s2_misses;   /**< leaf pieces outside guest RAM (left unmapped) */
	uint64_t iova_excluded; /**< pieces cut by the sink's IOVA ranges */
};

/**
 * Create an empty shadow in mode ABORT (nothing mapped).
 * @param cfg  parameters (gmem, ops with both members, ctx)
 * @param[out] out  the shadow
 * @return 0; -EINVAL (NULL argument or op, walk_max above the limit),
 *         -ENOMEM.
 */
int uiommu_shadow_create(const struct uiommu_shadow_cfg *cfg,
			 struct uiommu_shadow **out);

/**
 * Unmap everything through the sink (errors counted, not returned) and
 * free the shadow.
 * @param sh  the shadow, or NULL (no-op)
 */
void uiommu_shadow_destroy(struct uiommu_shadow *sh);

/**
 * Apply a new guest configuration: set the mode (and stage-1 context) and
 * refresh the whole address space.
 * @param sh  the shadow
 * @param mode  what the guest configured
 * @param s1  the stage-1 context (mode S1 only; else ignored, may be NULL)
 * @return 0; -EINVAL (NULL argument, unknown mode, ias/oas outside the
 *         walker's range); else as uiommu_shadow_refresh(), the mode being
 *         set anyway (the shadow is then partial, never stale).
 */
int uiommu_shadow_configure(struct uiommu_shadow *sh,
			    enum uiommu_shadow_mode mode,
			    const struct uiommu_shadow_s1 *s1);

/**
 * Make the sink agree with the guest's translation over [first, last]
 * (widened to whole leaves and whole recorded areas).
 * @param sh  the shadow
 * @param first  first IOVA the guest invalidated
 * @param last   last IOVA, inclusive, >= first
 * @return 0; -EINVAL (NULL, first > last); -E2BIG (walk_max reached:
 *         nothing is mapped past the IOVA reached); -ENOSPC (max_maps
 *         reached); -ENOMEM; or the first sink error (unmaps all ran; the
 *         maps stopped there).
 */
int uiommu_shadow_refresh(struct uiommu_shadow *sh, uint64_t first,
			  uint64_t last);

/**
 * Unmap, through the sink, every mapping whose host memory meets
 * [hva, last] (a RAM region leaving the VM). The rest is untouched; a
 * later refresh maps what translates to the region if it comes back.
 * @param sh  the shadow
 * @param hva  first host address
 * @param last  last host address, inclusive, >= hva
 * @return 0; -EINVAL (NULL, hva > last); -ENOMEM (cannot list the
 *         mappings: nothing unmapped); or the first sink error (every
 *         other unmap still ran; the failed ones stay recorded).
 */
int uiommu_shadow_purge(struct uiommu_shadow *sh, uint64_t hva,
			uint64_t last);

/**
 * Call cb for each sink mapping meeting [first, last], in IOVA order: iova
 * and last, backing = host address, prot = UIOMMU_IOAS_MAP_READABLE /
 * WRITEABLE, owner = log2 of the guest leaf size (as a pointer-sized
 * integer). For checks and diagnostics.
 * @param sh  the shadow
 * @param first  first IOVA
 * @param last  last IOVA, inclusive
 * @param cb  called per mapping; a non-zero return stops the walk
 * @param arg  passed to cb
 * @return 0, cb's non-zero return, or -EINVAL (NULL argument).
 */
int uiommu_shadow_foreach(const struct uiommu_shadow *sh, uint64_t first,
			  uint64_t last, uiommu_ioas_area_cb cb, void *arg);

/**
 * Number of sink mappings held now.
 * @param sh  the shadow
 * @return mappings (0 for NULL).
 */
uint64_t uiommu_shadow_num_maps(const struct uiommu_shadow *sh);

/**
 * Read the counters.
 * @param sh  the shadow
 * @param[out] st  filled
 */
void uiommu_shadow_stats_get(const struct uiommu_shadow *sh,
			     struct uiommu_shadow_stats *st);

#ifdef __cplusplus
}
#endif

#endif /* UIOMMU_SHADOW_H */
