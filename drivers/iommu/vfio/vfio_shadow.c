/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vfio backend: the shadow of a device's translation in its VFIO container.
 *
 * Design. VFIO type1 has one translation per container, IOVA -> process
 * memory, and no nesting. A device's effective translation (guest stage 1,
 * then stage 2 = guest RAM regions) is therefore flattened into the
 * container: IOVA -> host address of the guest page its stage-1 leaf names.
 * The walk, coalescing, diff and apply are lib/shadow's (the engine the
 * iommufd backend uses too; the algorithm is described in
 * uiommu_shadow.h). This file is the engine's sink and its reporting:
 *
 *  - map / unmap: VFIO_IOMMU_MAP_DMA / UNMAP_DMA on the device's container,
 *    timed and counted. The engine's record (one area per MAP_DMA) is
 *    exact, so every UNMAP_DMA names exactly one earlier mapping, which is
 *    all type1v2 can unmap. A kernel ENOSPC is the mapping limit; any
 *    other kernel error raises MAP_ERROR and becomes -EIO.
 *  - report: the engine says why a refresh stopped short. The mapping
 *    limit raises MAP_LIMIT (input_addr = first IOVA left unmapped,
 *    raw[1] = live | limit << 32), the walk budget WALK_LIMIT
 *    (input_addr = first IOVA not walked, raw[1] = walk_max); each is
 *    counted, and logged when its count reaches a power of two.
 *  - what the engine is given: the vIOMMU's RAM regions with their
 *    permissions, the container's usable IOVA ranges (the kernel's
 *    IOVA_RANGE capability: pieces outside are clipped and counted), the
 *    container's mapping budget (max_maps), walk_max and coalesce=off.
 *
 * The engine's own counters (refreshes, walker calls, kept runs, leaves
 * outside RAM, IOVA exclusions) are added to the vIOMMU's after each call
 * (vIOMMU counters are read by telemetry from other threads; the engine's
 * are plain and only read here, on the thread that calls the engine).
 * A full stage-1 refresh that met no leaf outside RAM clears the device's
 * s2_miss flag, so s2_map re-walks only the devices that may gain from it.
 */
#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "vfio_private.h"

/* Monotonic nanoseconds, for the time counters (vDSO, no system call). */
static inline uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* The kernel refused a MAP/UNMAP_DMA: event, counter, rare log; -EIO. */
static int
kernel_error(struct vfio_dev *d, const char *what, uint64_t iova,
	     uint64_t len, int rc)
{
	struct vfio_viommu *vi = d->vi;

	vfio_event_raise(vi, UIOMMU_VFIO_EVT_MAP_ERROR, d->vsid, iova,
			 (uint64_t)-rc);
	if (vfio_log_rare(VSTAT_ADD(vi, kernel_errors, 1)))
		VFIO_LOG(ERR, "%s: %s [0x%" PRIx64 ", +0x%" PRIx64 "]: %s",
			 d->bdf, what, iova, len, strerror(-rc));
	return -EIO;
}

static int
vsink_map(void *ctx, uint64_t iova, uint64_t len, uint64_t hva, uint32_t prot)
{
	struct vfio_dev *d = ctx;
	struct vfio_viommu *vi = d->vi;
	uint64_t t0 = now_ns();
	int rc;

	rc = vfio_sys_map(d->container, iova, len, hva, prot);
	if (rc == -ENOSPC)
		return rc;             /* the limit: the engine reports it */
	if (rc != 0)
		return kernel_error(d, "MAP_DMA", iova, len, rc);
	VSTAT_ADD(vi, map_calls, 1);
	VSTAT_ADD(vi, map_ns, now_ns() - t0);
	VSTAT_ADD(vi, map_bytes, len);
	VSTAT_ADD(vi, live_maps, 1);
	return 0;
}

static int
vsink_unmap(void *ctx, uint64_t iova, uint64_t len)
{
	struct vfio_dev *d = ctx;
	struct vfio_viommu *vi = d->vi;
	uint64_t un = 0, t0 = now_ns();
	int rc;

	rc = vfio_sys_unmap(d->container, iova, len, &un);
	if (rc != 0)
		return kernel_error(d, "UNMAP_DMA", iova, len, rc);
	if (un != len && vfio_log_rare(VSTAT_ADD(vi, kernel_errors, 1))) {
		/* The kernel disagrees with the record; the record goes. */
		VFIO_LOG(WARNING, "%s: UNMAP_DMA [0x%" PRIx64 ", +0x%" PRIx64
			 "] removed 0x%" PRIx64 " bytes", d->bdf, iova, len, un);
	}
	VSTAT_ADD(vi, unmap_calls, 1);
	VSTAT_ADD(vi, unmap_ns, now_ns() - t0);
	VSTAT_ADD(vi, unmap_bytes, un);
	VSTAT_SUB(vi, live_maps, 1);
	return 0;
}

static void
vsink_report(void *ctx, int err, uint64_t iova)
{
	struct vfio_dev *d = ctx;
	struct vfio_viommu *vi = d->vi;
	uint64_t live;

	switch (err) {
	case -ENOSPC:
		live = uiommu_shadow_num_maps(d->shadow);
		vfio_event_raise(vi, UIOMMU_VFIO_EVT_MAP_LIMIT, d->vsid, iova,
				 live | (RTE_MIN(d->max_maps, UINT32_MAX) << 32));
		if (vfio_log_rare(VSTAT_ADD(vi, limit_errors, 1)))
			VFIO_LOG(ERR, "%s (vSID 0x%x): mapping limit %" PRIu64
				 " reached at IOVA 0x%" PRIx64, d->bdf, d->vsid,
				 d->max_maps, iova);
		break;
	case -E2BIG:
		vfio_event_raise(vi, UIOMMU_VFIO_EVT_WALK_LIMIT, d->vsid, iova,
				 vi->args.walk_max);
		if (vfio_log_rare(VSTAT_ADD(vi, walk_limit_errors, 1)))
			VFIO_LOG(ERR, "%s (vSID 0x%x): stage-1 walk stopped "
				 "after %u calls at IOVA 0x%" PRIx64, d->bdf,
				 d->vsid, vi->args.walk_max, iova);
		break;
	default:
		if (vfio_log_rare(VSTAT_ADD(vi, alloc_errors, 1)))
			VFIO_LOG(ERR, "%s: out of memory for the shadow",
				 d->bdf);
		break;
	}
}

static const struct uiommu_shadow_ops vsink_ops = {
	.map = vsink_map,
	.unmap = vsink_unmap,
	.report = vsink_report,
};

/* Add what the engine counted since the last call to the vIOMMU. */
static void
stats_sync(struct vfio_dev *d, bool full)
{
	struct vfio_viommu *vi = d->vi;
	struct uiommu_shadow_stats st;

	uiommu_shadow_stats_get(d->shadow, &st);
	VSTAT_ADD(vi, refreshes, st.refreshes - d->seen.refreshes);
	VSTAT_ADD(vi, walk_steps, st.walk_steps - d->seen.walk_steps);
	VSTAT_ADD(vi, runs_kept, st.kept - d->seen.kept);
	VSTAT_ADD(vi, iova_excluded, st.iova_excluded - d->seen.iova_excluded);
	VSTAT_ADD(vi, s2_misses, st.s2_misses - d->seen.s2_misses);
	/* A full walk tells afresh whether a leaf missed RAM. */
	if (full && d->mode == VFIO_MODE_S1)
		d->s2_miss = false;
	if (st.s2_misses != d->seen.s2_misses)
		d->s2_miss = true;
	d->seen = st;
}

int
vshadow_create(struct vfio_dev *d)
{
	struct vfio_viommu *vi = d->vi;
	struct uiommu_shadow_cfg cfg = {
		.gmem = &vi->s2,
		.ops = &vsink_ops,
		.ctx = d,
		.walk_max = vi->args.walk_max,
		.max_maps = d->max_maps,
		.no_coalesce = !vi->args.coalesce,
		.s2_prot = vi->s2_prot,
	};

	if (d->kinfo.ranges_known) {
		cfg.iova_ranges = d->kinfo.ranges;
		cfg.nr_iova_ranges = d->kinfo.nr_ranges;
	}
	memset(&d->seen, 0, sizeof(d->seen));
	return uiommu_shadow_create(&cfg, &d->shadow);
}

void
vshadow_destroy(struct vfio_dev *d)
{
	uiommu_shadow_destroy(d->shadow);
	d->shadow = NULL;
}

int
vshadow_configure(struct vfio_dev *d)
{
	struct vfio_viommu *vi = d->vi;
	struct uiommu_shadow_s1 s1 = {
		.ttb0 = d->s1.ttb0, .ias = d->s1.ias, .oas = d->s1.oas,
		.affd = d->s1.affd,
	};
	enum uiommu_shadow_mode m;
	uint64_t t0 = now_ns();
	int rc;

	switch (d->mode) {
	case VFIO_MODE_BYPASS:
		m = UIOMMU_SHADOW_BYPASS;
		break;
	case VFIO_MODE_S1:
		m = UIOMMU_SHADOW_S1;
		break;
	default:
		m = UIOMMU_SHADOW_ABORT;
		break;
	}
	rc = uiommu_shadow_configure(d->shadow, m, &s1);
	stats_sync(d, true);
	VSTAT_ADD(vi, refresh_ns, now_ns() - t0);
	return rc;
}

int
vshadow_refresh(struct vfio_dev *d, uint64_t first, uint64_t last)
{
	struct vfio_viommu *vi = d->vi;
	uint64_t t0 = now_ns();
	int rc;

	rc = uiommu_shadow_refresh(d->shadow, first, last);
	stats_sync(d, first == 0 && last == UINT64_MAX);
	VSTAT_ADD(vi, refresh_ns, now_ns() - t0);
	return rc;
}

int
vshadow_purge_hva(struct vfio_dev *d, uint64_t hva, uint64_t last)
{
	return uiommu_shadow_purge(d->shadow, hva, last);
}
