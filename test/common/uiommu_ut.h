/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Shared CUnit scaffolding for uiommu's unit and integration tests.
 *
 * Every test binary has the same main():
 *
 *     static const struct ut_case cases[] = {
 *         UT_CASE(test_ioas_map_fixed),
 *         ...
 *         UT_END
 *     };
 *     int main(int argc, char **argv) { return ut_main("ioas", cases, argc, argv); }
 *
 * ut_main() runs the suite in CUnit's basic mode and returns the number of
 * failed assertions (so meson sees a non-zero exit on any failure).
 * A test that needs DPDK's EAL calls ut_eal_init() first; it starts EAL
 * in-memory, without PCI, with a unique file prefix, and falls back to
 * --no-huge when no hugepage is free (or UIOMMU_NO_HUGE=1 is set).
 */
#ifndef UIOMMU_UT_H
#define UIOMMU_UT_H

#include <stdio.h>
#include <stdlib.h>

#include <CUnit/Basic.h>

/** One test function and its name. */
struct ut_case {
	const char *name;
	void (*fn)(void);
};

#define UT_CASE(fn) { #fn, fn }
#define UT_END { NULL, NULL }

/** Assert, and stop the whole binary if it fails (state is unusable). */
#define UT_ASSERT_FATAL(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "%s:%d: fatal assertion failed: %s\n", \
			__FILE__, __LINE__, #cond); \
		CU_ASSERT_FATAL(cond); \
		abort(); \
	} \
} while (0)

/**
 * Run one suite of cases and return the number of failures.
 * argv[1], when given, runs only the case of that name.
 */
int ut_main(const char *suite, const struct ut_case *cases, int argc,
	    char **argv);

/**
 * Start DPDK's EAL for a test process: --in-memory --no-pci, a unique file
 * prefix, lcores from the given list (NULL: "0-1" when two cores exist,
 * else "0"), --no-huge -m 512 when no hugepage is free.
 * @return 0 or a negative errno; idempotent.
 */
int ut_eal_init(const char *lcores);

/** True when EAL was started with --no-huge. */
int ut_eal_no_huge(void);

/** Deterministic xorshift64* generator for randomized tests. */
static inline unsigned long long
ut_rand(unsigned long long *state)
{
	unsigned long long x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 2685821657736338717ULL;
}

/** Seed for randomized tests: UIOMMU_TEST_SEED or a fixed default, printed. */
unsigned long long ut_seed(void);

#endif /* UIOMMU_UT_H */
