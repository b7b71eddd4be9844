/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * iova_perf: cost of IOAS operations against the number of areas.
 *
 * For n = 10^3, 10^5 and 10^6 areas of one page it measures, in ns per
 * operation, the thread's CPU time around each whole batch
 * (CLOCK_THREAD_CPUTIME_ID: the build machines are shared, and CPU time
 * leaves out the time this thread waits for a core; cache and memory
 * effects stay in):
 *  - map_fixed:  n fixed maps at shuffled slots (every other page);
 *  - lookup:     n lookups of random addresses inside random areas, next to
 *                a baseline: binary search of the same addresses in a sorted
 *                array (the ratio is what the tree costs over a flat index);
 *  - alloc_frag: n/2 allocated maps that fill the one-page holes left
 *                between the fixed areas (lowest-hole search at full size);
 *  - unmap:      n/2 unmaps of single areas in shuffled order;
 *  - alloc_seq:  n allocated maps into an empty IOAS;
 *  - unmap_all:  one unmap of everything, per area.
 * Run: meson test -C <build> --benchmark iova_perf -v, or the binary with
 * an optional list of sizes. Numbers go to doc/ioas.md; nothing is asserted.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "uiommu_iova.h"
#include "uiommu_ut.h"

#define PAGE 4096ULL
#define RW (UIOMMU_IOAS_MAP_READABLE | UIOMMU_IOAS_MAP_WRITEABLE)

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void
shuffle(uint64_t *v, uint64_t n, unsigned long long *seed)
{
	for (uint64_t i = n - 1; i > 0; i--) {
		uint64_t j = ut_rand(seed) % (i + 1), t = v[i];

		v[i] = v[j];
		v[j] = t;
	}
}

static void
die(const char *what, int rc)
{
	fprintf(stderr, "iova_perf: %s failed: %d\n", what, rc);
	exit(1);
}

/* Index of the last element <= x in a sorted array, or -1. */
static int64_t
bsearch_floor(const uint64_t *v, uint64_t n, uint64_t x)
{
	uint64_t lo = 0, hi = n;

	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;

		if (v[mid] <= x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (int64_t)lo - 1;
}

static double
per_op(uint64_t t0, uint64_t t1, uint64_t n)
{
	return (double)(t1 - t0) / (double)n;
}

static void
run(uint64_t n, unsigned long long seed)
{
	struct uiommu_ioas *ioas = NULL;
	uint64_t *slot = malloc(n * sizeof(*slot));
	uint64_t *sorted = malloc(n * sizeof(*sorted));
	uint64_t *probe = malloc(n * sizeof(*probe));
	const uint64_t base = 1ULL << 32;
	double t_fixed, t_lookup, t_base, t_frag, t_unmap, t_seq, t_all;
	uint64_t t0, t1, iova, len, sink = 0;
	int rc;

	if (slot == NULL || sorted == NULL || probe == NULL)
		die("malloc", -ENOMEM);
	rc = uiommu_ioas_create(&ioas);
	if (rc != 0)
		die("create", rc);
	for (uint64_t i = 0; i < n; i++) {
		slot[i] = i;
		sorted[i] = base + 2 * i * PAGE;
	}
	shuffle(slot, n, &seed);
	for (uint64_t i = 0; i < n; i++)
		probe[i] = base + 2 * (ut_rand(&seed) % n) * PAGE +
			   ut_rand(&seed) % PAGE;

	t0 = now_ns();
	for (uint64_t i = 0; i < n; i++) {
		iova = base + 2 * slot[i] * PAGE;
		rc = uiommu_ioas_map(ioas, iova, PAGE, &iova,
				     UIOMMU_IOAS_MAP_FIXED_IOVA | RW, NULL);
		if (rc != 0)
			die("map fixed", rc);
	}
	t1 = now_ns();
	t_fixed = per_op(t0, t1, n);

	t0 = now_ns();
	for (uint64_t i = 0; i < n; i++) {
		struct uiommu_ioas_area_info info;

		rc = uiommu_ioas_lookup(ioas, probe[i], &info);
		if (rc != 0)
			die("lookup", rc);
		sink += info.backing;
	}
	t1 = now_ns();
	t_lookup = per_op(t0, t1, n);

	t0 = now_ns();
	for (uint64_t i = 0; i < n; i++)
		sink += (uint64_t)bsearch_floor(sorted, n, probe[i]);
	t1 = now_ns();
	t_base = per_op(t0, t1, n);

	/* Fill the holes below base + 2n pages: first n/2 of them. The space
	 * below base is one big hole, so reserve it away first. */
	rc = uiommu_ioas_reserve(ioas, 0, base - 1, NULL);
	if (rc != 0)
		die("reserve", rc);
	t0 = now_ns();
	for (uint64_t i = 0; i < n / 2; i++) {
		rc = uiommu_ioas_map(ioas, 0, PAGE, &iova, RW, NULL);
		if (rc != 0)
			die("alloc into holes", rc);
		if (iova != base + (2 * i + 1) * PAGE)
			die("alloc order", -EINVAL);
	}
	t1 = now_ns();
	t_frag = per_op(t0, t1, n / 2);

	t0 = now_ns();
	for (uint64_t i = 0; i < n / 2; i++) {
		rc = uiommu_ioas_unmap(ioas, base + 2 * slot[i] * PAGE, PAGE,
				       &len);
		if (rc != 0)
			die("unmap", rc);
	}
	t1 = now_ns();
	t_unmap = per_op(t0, t1, n / 2);
	uiommu_ioas_destroy(ioas);

	rc = uiommu_ioas_create(&ioas);
	if (rc != 0)
		die("create", rc);
	t0 = now_ns();
	for (uint64_t i = 0; i < n; i++) {
		rc = uiommu_ioas_map(ioas, 0, PAGE, &iova, RW, NULL);
		if (rc != 0)
			die("alloc", rc);
	}
	t1 = now_ns();
	t_seq = per_op(t0, t1, n);
	t0 = now_ns();
	rc = uiommu_ioas_unmap_all(ioas, &len);
	t1 = now_ns();
	if (rc != 0 || len != n * PAGE)
		die("unmap all", rc);
	t_all = per_op(t0, t1, n);
	uiommu_ioas_destroy(ioas);

	printf("%9" PRIu64 " | %9.1f | %7.1f | %8.1f | %5.2f | %10.1f | "
	       "%6.1f | %9.1f | %9.1f\n", n, t_fixed, t_lookup, t_base,
	       t_lookup / t_base, t_frag, t_unmap, t_seq, t_all);
	if (sink == 42)
		printf(" ");
	free(slot);
	free(sorted);
	free(probe);
}

int
main(int argc, char **argv)
{
	static const uint64_t sizes[] = { 1000, 100000, 1000000 };
	unsigned long long seed = ut_seed();
	struct timespec w0, w1;

	printf("ns/op; lookup_base = binary search in a sorted array of the "
	       "same n\n");
	printf("%9s | %9s | %7s | %8s | %5s | %10s | %6s | %9s | %9s\n",
	       "areas", "map_fixed", "lookup", "l_base", "ratio",
	       "alloc_frag", "unmap", "alloc_seq", "unmap_all");
	clock_gettime(CLOCK_MONOTONIC, &w0);
	if (argc > 1) {
		for (int i = 1; i < argc; i++)
			run(strtoull(argv[i], NULL, 0), seed);
	} else {
		for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
			run(sizes[i], seed);
	}
	clock_gettime(CLOCK_MONOTONIC, &w1);
	/* cpu/wall far below 1 means the host was busy: distrust the run */
	printf("cpu/wall: %.2f\n", (double)now_ns() /
	       ((double)(w1.tv_sec - w0.tv_sec) * 1e9 +
		(double)(w1.tv_nsec - w0.tv_nsec)));
	return 0;
}
