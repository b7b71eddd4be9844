/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Latency samples for the vm guest programs: a fixed array of nanosecond
 * samples, sorted once to report percentiles. Guest programs only (no
 * DPDK, no libuiommu), so they run in a bare busybox initramfs.
 */
#ifndef UIOMMU_VM_LAT_H
#define UIOMMU_VM_LAT_H

#include <stddef.h>
#include <stdint.h>

/** Monotonic clock in nanoseconds. */
uint64_t vm_now_ns(void);

/** A set of latency samples. */
struct vm_lat {
	const char *name; /**< what was measured, for the report line */
	uint64_t *ns;     /**< samples, nanoseconds */
	size_t n;         /**< samples recorded */
	size_t cap;       /**< capacity of ns[] */
};

/**
 * Allocate room for cap samples.
 * @param lat    set to initialise
 * @param name   label printed by vm_lat_report() (not copied)
 * @param cap    capacity, > 0
 * @return 0, or -ENOMEM.
 */
int vm_lat_init(struct vm_lat *lat, const char *name, size_t cap);

/** Free the samples; accepts a zeroed or already finalised set. */
void vm_lat_fini(struct vm_lat *lat);

/** Record one sample; samples past the capacity are dropped. */
void vm_lat_add(struct vm_lat *lat, uint64_t ns);

/**
 * Print `UIOMMU-VM-METRIC name n=N p50_us=.. p99_us=.. max_us=..` on stdout
 * (sorts the samples).
 * @param lat    set with at least one sample
 * @param note   free text appended to the line (may be NULL)
 */
void vm_lat_report(struct vm_lat *lat, const char *note);

#endif /* UIOMMU_VM_LAT_H */
