/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Latency sample sets for the vm guest programs.
 *
 * Design: the guest programs time single ioctls (VFIO map/unmap, iommufd
 * IOAS map/unmap) a few hundred times; the samples go into a preallocated
 * array so that recording costs one store, and are sorted once at report
 * time. Percentiles use the nearest-rank method (p = sample at index
 * ceil(p * n) - 1), which needs no interpolation and is exact for the
 * small sample counts used here. These figures are printed, never asserted:
 * under TCG they say nothing about hardware.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "vm_lat.h"

uint64_t vm_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int vm_lat_init(struct vm_lat *lat, const char *name, size_t cap)
{
	lat->ns = calloc(cap, sizeof(*lat->ns));
	if (lat->ns == NULL)
		return -ENOMEM;
	lat->name = name;
	lat->n = 0;
	lat->cap = cap;
	return 0;
}

void vm_lat_fini(struct vm_lat *lat)
{
	if (lat == NULL)
		return;
	free(lat->ns);
	lat->ns = NULL;
	lat->n = 0;
	lat->cap = 0;
}

void vm_lat_add(struct vm_lat *lat, uint64_t ns)
{
	if (lat->n < lat->cap)
		lat->ns[lat->n++] = ns;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted samples; pct in (0, 100]. */
static double rank_us(const struct vm_lat *lat, unsigned int pct)
{
	size_t idx = (lat->n * pct + 99) / 100;

	if (idx == 0)
		idx = 1;
	return (double)lat->ns[idx - 1] / 1000.0;
}

void vm_lat_report(struct vm_lat *lat, const char *note)
{
	if (lat->n == 0) {
		printf("UIOMMU-VM-METRIC %s n=0\n", lat->name);
		return;
	}
	qsort(lat->ns, lat->n, sizeof(*lat->ns), cmp_u64);
	printf("UIOMMU-VM-METRIC %s n=%zu p50_us=%.1f p99_us=%.1f max_us=%.1f%s%s\n",
	       lat->name, lat->n, rank_us(lat, 50), rank_us(lat, 99),
	       (double)lat->ns[lat->n - 1] / 1000.0,
	       note != NULL ? " " : "", note != NULL ? note : "");
}
