/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Scenario "kernel" (hook, not yet implemented): latency of the kernel's
 * invalidation ioctl (IOMMU_HWPT_INVALIDATE, per entry and per batch) and
 * of VFIO map/unmap, where /dev/iommu or /dev/vfio/vfio exist. Design §7
 * item 7.
 *
 * On a machine with neither device the scenario is "skipped" (nothing to
 * measure); with one of them it is "not yet available" until the iommufd
 * and vfio backends exist. Contract for the implementation: latency
 * results "kernel/inv1", "kernel/invN", "kernel/map", "kernel/unmap", unit
 * "ioctl", baseline "trap/futex" (the cheapest syscall hand-over measured
 * in the same run).
 */
#include <unistd.h>

#include "bench.h"

static int
kernel_run(struct bench_ctx *ctx)
{
	bool iommufd = access("/dev/iommu", F_OK) == 0;
	bool vfio = access("/dev/vfio/vfio", F_OK) == 0;

	if (!iommufd && !vfio) {
		bench_set_unavailable(ctx->set, "kernel", "skipped",
				      "neither /dev/iommu nor /dev/vfio/vfio exists here");
		return 0;
	}
	bench_set_unavailable(ctx->set, "kernel", "not yet available",
			      "%s present, but the iommufd and vfio backends "
			      "(drivers/iommu/iommufd, drivers/iommu/vfio) are not wired in yet",
			      iommufd ? "/dev/iommu" : "/dev/vfio/vfio");
	return 0;
}

static const struct bench_scenario sc_kernel = {
	.name = "kernel",
	.summary = "kernel invalidation ioctl and VFIO map/unmap latency (baseline: trap)",
	.baseline = "trap",
	.order = 140,
	.plot = false,
	.run = kernel_run,
};

BENCH_SCENARIO_REGISTER(sc_kernel)
