/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of apps/uiommu-bench/registry.c: ordering by `order`, lookup,
 * and --scenario selection with baselines pulled in transitively.
 *
 * The scenarios here are fakes registered with the same macro the real
 * ones use, deliberately out of order; none is ever run.
 */
#include <string.h>

#include "uiommu_ut.h"
#include "bench.h"

static int fake_run(struct bench_ctx *ctx) { (void)ctx; return 0; }

static const struct bench_scenario fk_c = { .name = "c", .summary = "c",
	.baseline = "b", .order = 30, .run = fake_run };
static const struct bench_scenario fk_a = { .name = "a", .summary = "a",
	.baseline = NULL, .order = 10, .run = fake_run };
static const struct bench_scenario fk_d = { .name = "d", .summary = "d",
	.baseline = NULL, .order = 40, .run = fake_run };
static const struct bench_scenario fk_b = { .name = "b", .summary = "b",
	.baseline = "a", .order = 20, .run = fake_run };
static const struct bench_scenario fk_e = { .name = "e", .summary = "e",
	.baseline = "gone", .order = 50, .run = fake_run };

BENCH_SCENARIO_REGISTER(fk_c)
BENCH_SCENARIO_REGISTER(fk_a)
BENCH_SCENARIO_REGISTER(fk_d)
BENCH_SCENARIO_REGISTER(fk_b)
BENCH_SCENARIO_REGISTER(fk_e)

static void
test_registry_order(void)
{
	static const char *const want[] = { "a", "b", "c", "d", "e" };

	UT_ASSERT_FATAL(bench_scenario_count() == 5);
	for (unsigned int i = 0; i < 5; i++)
		CU_ASSERT_STRING_EQUAL(bench_scenario_at(i)->name, want[i]);
	CU_ASSERT_PTR_NULL(bench_scenario_at(5));
	CU_ASSERT_PTR_EQUAL(bench_scenario_find("c"), &fk_c);
	CU_ASSERT_PTR_NULL(bench_scenario_find("z"));
}

static void
test_registry_select(void)
{
	unsigned char sel[BENCH_MAX_SCENARIOS];
	char bad[16] = "";

	/* c needs b needs a: both pulled in (2), c asked for (1). */
	CU_ASSERT_EQUAL(bench_scenario_select("c", sel, sizeof(sel), bad, sizeof(bad)), 0);
	CU_ASSERT_EQUAL(sel[0], 2);
	CU_ASSERT_EQUAL(sel[1], 2);
	CU_ASSERT_EQUAL(sel[2], 1);
	CU_ASSERT_EQUAL(sel[3], 0);
	CU_ASSERT_EQUAL(sel[4], 0);
	/* Asking for a baseline too keeps it "asked for". */
	CU_ASSERT_EQUAL(bench_scenario_select("c,a", sel, sizeof(sel), NULL, 0), 0);
	CU_ASSERT_EQUAL(sel[0], 1);
	CU_ASSERT_EQUAL(sel[1], 2);
	/* A baseline that is not registered is ignored, not an error. */
	CU_ASSERT_EQUAL(bench_scenario_select("e", sel, sizeof(sel), NULL, 0), 0);
	CU_ASSERT_EQUAL(sel[4], 1);
	CU_ASSERT_EQUAL(bench_scenario_select(NULL, sel, sizeof(sel), NULL, 0), 0);
	for (unsigned int i = 0; i < 5; i++)
		CU_ASSERT_EQUAL(sel[i], 1);
	CU_ASSERT_EQUAL(bench_scenario_select("d,all", sel, sizeof(sel), NULL, 0), 0);
	CU_ASSERT_EQUAL(sel[2], 1);
	CU_ASSERT_EQUAL(bench_scenario_select("a,nope", sel, sizeof(sel), bad,
					      sizeof(bad)), -ENOENT);
	CU_ASSERT_STRING_EQUAL(bad, "nope");
	CU_ASSERT_EQUAL(bench_scenario_select("", sel, sizeof(sel), NULL, 0), -EINVAL);
	CU_ASSERT_EQUAL(bench_scenario_select(",,", sel, sizeof(sel), NULL, 0), -EINVAL);
	CU_ASSERT_EQUAL(bench_scenario_select("a", sel, 2, NULL, 0), -EINVAL);
}

int
main(int argc, char **argv)
{
	static const struct ut_case cases[] = {
		UT_CASE(test_registry_order),
		UT_CASE(test_registry_select),
		UT_END
	};

	return ut_main("bench_registry", cases, argc, argv);
}
