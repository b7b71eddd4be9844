/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * iommufd_inv_bench: what one IOMMU_HWPT_INVALIDATE costs, per batch and
 * per entry, on the running kernel; prints one JSON object.
 *
 * Design. A thin front end of uiommu_iommufd_inv_cost() (the backend's
 * measurement, drivers/iommu/iommufd/iommufd_inv_cost.c, compiled into
 * this libc-only program): entry_num 0 (the call alone), 1, 8, 32 and 256
 * on a selftest nested HWPT of a CONFIG_IOMMUFD_TEST kernel, after the
 * function's check of the partial-failure semantics. Per size it prints
 * p50/p90/p99/max of one call, and per entry the p50 divided by the
 * entries and the marginal cost (p50(n) - p50(0)) / n.
 *
 * Under QEMU TCG every instruction is emulated: the numbers are TCG
 * numbers, meaningful as ratios (fixed vs per-entry cost), not as hardware
 * latencies; "label" says where they come from.
 *
 * Usage: iommufd_inv_bench [--iters N] [--label TEXT] [--dev PATH]
 * Exit status: 0 measured; 1 a check or ioctl failed; 2 usage; 77 no
 * iommufd device or no CONFIG_IOMMUFD_TEST (skip).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "uiommu_iommufd.h"

#define SKIP 77

static const uint32_t sizes[] = { 0, 1, 8, 32, 256 };
#define NSIZES (sizeof(sizes) / sizeof(sizes[0]))

int
main(int argc, char **argv)
{
	struct uiommu_iommufd_inv_cost r[NSIZES];
	const char *label = "tcg", *dev = NULL;
	unsigned int iters = 1000;
	struct utsname un;
	int rc;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--iters") == 0 && i + 1 < argc)
			iters = (unsigned int)strtoul(argv[++i], NULL, 0);
		else if (strcmp(argv[i], "--label") == 0 && i + 1 < argc)
			label = argv[++i];
		else if (strcmp(argv[i], "--dev") == 0 && i + 1 < argc)
			dev = argv[++i];
		else {
			fprintf(stderr, "usage: %s [--iters N] [--label TEXT] "
				"[--dev PATH]\n", argv[0]);
			return 2;
		}
	}
	rc = uiommu_iommufd_inv_cost(dev, sizes, NSIZES, iters, r);
	if (rc == -ENOENT || rc == -ENOTTY) {
		fprintf(stderr, "SKIP: %s\n", rc == -ENOENT ?
			"no iommufd device" : "kernel without CONFIG_IOMMUFD_TEST");
		return SKIP;
	}
	if (rc != 0) {
		fprintf(stderr, "measurement failed: %s\n", strerror(-rc));
		return rc == -EINVAL ? 2 : 1;
	}
	uname(&un);
	printf("{\"tool\":\"iommufd_inv_bench\",\"label\":\"%s\",\"kernel\":\"%s\","
	       "\"ioctl\":\"IOMMU_HWPT_INVALIDATE\",\"target\":\"selftest nested HWPT\","
	       "\"entry_len\":8,\"iters\":%u,\"results\":[",
	       label, un.release, iters);
	for (size_t k = 0; k < NSIZES; k++) {
		printf("%s{\"entry_num\":%u,\"p50_ns\":%llu,\"p90_ns\":%llu,"
		       "\"p99_ns\":%llu,\"max_ns\":%llu", k ? "," : "",
		       r[k].entry_num, (unsigned long long)r[k].p50_ns,
		       (unsigned long long)r[k].p90_ns,
		       (unsigned long long)r[k].p99_ns,
		       (unsigned long long)r[k].max_ns);
		if (r[k].entry_num > 0)
			printf(",\"per_entry_ns\":%.1f,\"marginal_ns\":%.1f",
			       (double)r[k].p50_ns / r[k].entry_num,
			       ((double)r[k].p50_ns - (double)r[0].p50_ns) /
			       r[k].entry_num);
		printf("}");
	}
	printf("]}\n");
	return 0;
}
