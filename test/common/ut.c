/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * CUnit runner and EAL start-up shared by all test binaries.
 *
 * EAL is started once per process with its own file prefix (derived from
 * the pid) so that tests run in parallel by meson never share DPDK runtime
 * files. Hugepages are used when the system has free ones, which is what CI
 * does after the set-up script reserved them; otherwise the tests run with
 * --no-huge, the same code path with ordinary pages.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/Basic.h>
#include <rte_eal.h>
#include <rte_errno.h>

#include "uiommu_ut.h"

static int eal_started;
static int eal_no_huge;

int
ut_main(const char *suite, const struct ut_case *cases, int argc, char **argv)
{
	const char *only = argc > 1 ? argv[1] : NULL;
	CU_pSuite s;
	unsigned int failures;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	s = CU_add_suite(suite, NULL, NULL);
	if (s == NULL)
		return 1;
	for (const struct ut_case *c = cases; c->name != NULL; c++) {
		if (only != NULL && strcmp(only, c->name) != 0)
			continue;
		if (CU_add_test(s, c->name, c->fn) == NULL)
			return 1;
	}
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failures = CU_get_number_of_failures() +
		   CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	if (eal_started)
		rte_eal_cleanup();
	return failures > 255 ? 255 : (int)failures;
}

static int
free_hugepages(void)
{
	FILE *f = fopen("/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages", "r");
	int n = 0;

	if (f == NULL)
		return 0;
	if (fscanf(f, "%d", &n) != 1)
		n = 0;
	fclose(f);
	return n;
}

int
ut_eal_no_huge(void)
{
	return eal_no_huge;
}

int
ut_eal_init(const char *lcores)
{
	char prefix[64], lc[64];
	char *argv[16];
	int argc = 0;
	const char *env = getenv("UIOMMU_NO_HUGE");

	if (eal_started)
		return 0;
	eal_no_huge = (env != NULL && strcmp(env, "0") != 0) ||
		      free_hugepages() < 64;
	snprintf(prefix, sizeof(prefix), "--file-prefix=uiommu_ut_%d", (int)getpid());
	if (lcores == NULL)
		lcores = sysconf(_SC_NPROCESSORS_ONLN) > 1 ? "0-1" : "0";
	snprintf(lc, sizeof(lc), "-l%s", lcores);
	argv[argc++] = (char *)"uiommu_ut";
	argv[argc++] = lc;
	/* --no-huge implies legacy memory, which --in-memory refuses:
	 * without hugepages, only skip the shared config files. */
	argv[argc++] = eal_no_huge ? (char *)"--no-shconf" :
				     (char *)"--in-memory";
	argv[argc++] = (char *)"--no-pci";
	argv[argc++] = (char *)"--no-telemetry";
	argv[argc++] = (char *)"--log-level=lib.eal:error";
	argv[argc++] = prefix;
	if (eal_no_huge) {
		argv[argc++] = (char *)"--no-huge";
		argv[argc++] = (char *)"-m512";
	}
	argv[argc] = NULL;
	if (rte_eal_init(argc, argv) < 0)
		return -rte_errno;
	eal_started = 1;
	return 0;
}

unsigned long long
ut_seed(void)
{
	const char *s = getenv("UIOMMU_TEST_SEED");
	unsigned long long seed = s != NULL ? strtoull(s, NULL, 0) : 0x5eed1234abcdULL;

	if (seed == 0)
		seed = 1;
	printf("seed: 0x%llx (set UIOMMU_TEST_SEED to reproduce)\n", seed);
	return seed;
}
