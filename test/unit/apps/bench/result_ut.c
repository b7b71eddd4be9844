/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of apps/uiommu-bench/result.c: adding results, metrics per
 * operation, ratios to baselines, the median of repetitions and target
 * evaluation (MET / MISSED / n.a., wildcards, absolute bounds).
 *
 * Inputs are synthetic histograms and rates chosen so that every expected
 * number follows from the inputs by hand, e.g. a baseline of constant 100
 * cycles against a subject of constant 1000 cycles is a ratio of exactly 10.
 */
#include <math.h>
#include <string.h>

#include "uiommu_ut.h"
#include "bench.h"

/* A latency result whose every sample is v cycles. */
static struct bench_result *
lat_const(struct bench_set *set, const char *sc, const char *var,
	  const char *base, uint64_t v, unsigned int ops)
{
	struct bench_result *r = bench_set_add_latency(set, sc, var, base, "op", ops);

	UT_ASSERT_FATAL(r != NULL);
	bench_hist_record_n(r->hist, v, 1000);
	return r;
}

static struct bench_result *
rate_of(struct bench_set *set, const char *sc, const char *var, const char *base,
	const double *reps, unsigned int n)
{
	struct bench_result *r = bench_set_add_rate(set, sc, var, base, "element", 100);

	UT_ASSERT_FATAL(r != NULL);
	for (unsigned int i = 0; i < n; i++)
		CU_ASSERT_EQUAL(bench_result_add_rep(r, reps[i]), 0);
	return r;
}

static void
test_result_add_errors(void)
{
	struct bench_set *set = bench_set_alloc(1000000000);
	char longname[BENCH_NAME_MAX + 4];

	UT_ASSERT_FATAL(set != NULL);
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	CU_ASSERT_PTR_NOT_NULL(bench_set_add_latency(set, "a", "b", "", "op", 1));
	errno = 0;
	CU_ASSERT_PTR_NULL(bench_set_add_latency(set, "a", "b", "", "op", 1));
	CU_ASSERT_EQUAL(errno, EEXIST);
	CU_ASSERT_PTR_NULL(bench_set_add_rate(set, "a", "b", "", "op", 5));
	CU_ASSERT_EQUAL(errno, EEXIST);
	CU_ASSERT_PTR_NULL(bench_set_add_latency(set, longname, "b", "", "op", 1));
	CU_ASSERT_EQUAL(errno, EINVAL);
	CU_ASSERT_PTR_NULL(bench_set_add_latency(set, "a/x", "b", "", "op", 1));
	CU_ASSERT_EQUAL(errno, EINVAL);
	CU_ASSERT_PTR_NULL(bench_set_add_latency(set, "a", "", "", "op", 1));
	CU_ASSERT_EQUAL(errno, EINVAL);
	CU_ASSERT_PTR_NULL(bench_set_add_latency(set, "a", "c", "", "op", 0));
	CU_ASSERT_EQUAL(errno, EINVAL);
	CU_ASSERT_PTR_NULL(bench_set_add_rate(set, "a", "c", "", "op", 0));
	CU_ASSERT_EQUAL(errno, EINVAL);
	CU_ASSERT_EQUAL(set->n_res, 1);
	for (unsigned int i = 1; i < BENCH_MAX_RESULTS; i++) {
		char v[16];

		snprintf(v, sizeof(v), "v%u", i);
		CU_ASSERT_PTR_NOT_NULL(bench_set_add_rate(set, "fill", v, "", "op", 1));
	}
	CU_ASSERT_PTR_NULL(bench_set_add_rate(set, "fill", "last", "", "op", 1));
	CU_ASSERT_EQUAL(errno, ENOSPC);
	bench_set_free(set);
	bench_set_free(NULL);
}

static void
test_result_rep_errors(void)
{
	struct bench_set *set = bench_set_alloc(1000000000);
	struct bench_result *lat, *rate;

	UT_ASSERT_FATAL(set != NULL);
	lat = bench_set_add_latency(set, "l", "x", "", "op", 1);
	rate = bench_set_add_rate(set, "r", "x", "", "op", 1);
	UT_ASSERT_FATAL(lat != NULL && rate != NULL);
	CU_ASSERT_EQUAL(bench_result_add_rep(lat, 1.0), -EINVAL);
	CU_ASSERT_EQUAL(bench_result_add_rep(rate, NAN), -EINVAL);
	CU_ASSERT_EQUAL(bench_result_add_rep(rate, 0.0), -EINVAL);
	CU_ASSERT_EQUAL(bench_result_add_rep(rate, -1.0), -EINVAL);
	CU_ASSERT_EQUAL(bench_result_add_rep(rate, INFINITY), -EINVAL);
	for (unsigned int i = 0; i < BENCH_MAX_REPS; i++)
		CU_ASSERT_EQUAL(bench_result_add_rep(rate, 1.0 + i), 0);
	CU_ASSERT_EQUAL(bench_result_add_rep(rate, 1.0), -ENOSPC);
	bench_set_free(set);
}

static void
test_result_metric_per_op(void)
{
	struct bench_set *set = bench_set_alloc(2000000000);
	struct bench_result *r;
	double v = 0;

	UT_ASSERT_FATAL(set != NULL);
	r = lat_const(set, "chase", "l1-d1", "", 3200, 32);
	CU_ASSERT_EQUAL(bench_result_metric(r, BENCH_P50, &v), 0);
	CU_ASSERT_DOUBLE_EQUAL(v, 100.0, 1e-9);
	CU_ASSERT_EQUAL(bench_result_metric(r, BENCH_MEAN, &v), 0);
	CU_ASSERT_DOUBLE_EQUAL(v, 100.0, 1e-9);
	CU_ASSERT_EQUAL(bench_result_metric(r, BENCH_RATE, &v), -EINVAL);
	CU_ASSERT_DOUBLE_EQUAL(bench_set_ns(set, 100.0), 50.0, 1e-9);
	r = bench_set_add_latency(set, "e", "empty", "", "op", 1);
	UT_ASSERT_FATAL(r != NULL);
	CU_ASSERT_EQUAL(bench_result_metric(r, BENCH_P50, &v), -ENOENT);
	bench_set_free(set);
}

static void
test_result_ratio_latency(void)
{
	struct bench_set *set = bench_set_alloc(1000000000);
	struct bench_result *floor_r, *trap, *orphan, *zero_user, *cross;
	double r = 0;

	UT_ASSERT_FATAL(set != NULL);
	floor_r = lat_const(set, "floor", "rtt", "", 100, 1);
	trap = lat_const(set, "trap", "futex", "floor/rtt", 1000, 1);
	orphan = lat_const(set, "x", "y", "nothing/here", 5, 1);
	lat_const(set, "z", "zero", "", 0, 1);
	zero_user = lat_const(set, "z", "user", "z/zero", 7, 1);
	rate_of(set, "ring", "b1", "", (double[]){ 1e6 }, 1);
	cross = lat_const(set, "c", "x", "ring/b1", 7, 1);

	CU_ASSERT_EQUAL(bench_result_ratio(set, trap, BENCH_P50, &r), 0);
	CU_ASSERT_DOUBLE_EQUAL(r, 10.0, 1e-12);
	CU_ASSERT_EQUAL(bench_result_ratio(set, trap, BENCH_P99, &r), 0);
	CU_ASSERT_DOUBLE_EQUAL(r, 10.0, 1e-12);
	CU_ASSERT_EQUAL(bench_result_ratio(set, floor_r, BENCH_P50, &r), -ENOENT);
	CU_ASSERT_EQUAL(bench_result_ratio(set, orphan, BENCH_P50, &r), -ENOENT);
	CU_ASSERT_EQUAL(bench_result_ratio(set, zero_user, BENCH_P50, &r), -EDOM);
	CU_ASSERT_EQUAL(bench_result_ratio(set, cross, BENCH_P50, &r), -EINVAL);
	CU_ASSERT_EQUAL(bench_result_ratio(set, trap, BENCH_RATE, &r), -EINVAL);

	/* Dropping the baseline makes the ratio unavailable. */
	bench_set_drop(set, floor_r);
	trap = (struct bench_result *)bench_set_find(set, "trap/futex", BENCH_P50);
	UT_ASSERT_FATAL(trap != NULL);
	CU_ASSERT_EQUAL(bench_result_ratio(set, trap, BENCH_P50, &r), -ENOENT);
	bench_set_free(set);
}

static void
test_result_rate_median(void)
{
	struct bench_set *set = bench_set_alloc(1000000000);
	struct bench_result *odd, *even, *b8;
	double v = 0;

	UT_ASSERT_FATAL(set != NULL);
	odd = rate_of(set, "ring", "b1", "", (double[]){ 5e6, 1e6, 3e6 }, 3);
	even = rate_of(set, "ring", "b2", "ring/b1", (double[]){ 4e6, 1e6, 3e6, 2e6 }, 4);
	b8 = rate_of(set, "ring", "b8", "ring/b1", (double[]){ 12e6 }, 1);
	CU_ASSERT_EQUAL(bench_result_metric(odd, BENCH_RATE, &v), 0);
	CU_ASSERT_DOUBLE_EQUAL(v, 3e6, 1e-6);
	/* nearest rank: ceil(0.5 * 4) = 2nd smallest */
	CU_ASSERT_EQUAL(bench_result_metric(even, BENCH_RATE, &v), 0);
	CU_ASSERT_DOUBLE_EQUAL(v, 2e6, 1e-6);
	CU_ASSERT_EQUAL(bench_result_ratio(set, b8, BENCH_RATE, &v), 0);
	CU_ASSERT_DOUBLE_EQUAL(v, 4.0, 1e-12);
	CU_ASSERT_EQUAL(bench_result_metric(odd, BENCH_P50, &v), -EINVAL);
	bench_set_free(set);
}

static void
test_result_find_wildcard(void)
{
	struct bench_set *set = bench_set_alloc(1000000000);
	const struct bench_result *r;

	UT_ASSERT_FATAL(set != NULL);
	lat_const(set, "trap", "eventfd", "", 900, 1);
	lat_const(set, "trap", "futex", "", 700, 1);
	lat_const(set, "trapx", "fast", "", 1, 1);
	rate_of(set, "ring", "b1", "", (double[]){ 1e6 }, 1);
	rate_of(set, "ring", "b8", "", (double[]){ 8e6 }, 1);
	r = bench_set_find(set, "trap/*", BENCH_P50);
	UT_ASSERT_FATAL(r != NULL);
	CU_ASSERT_STRING_EQUAL(r->variant, "futex");
	r = bench_set_find(set, "ring/*", BENCH_RATE);
	UT_ASSERT_FATAL(r != NULL);
	CU_ASSERT_STRING_EQUAL(r->variant, "b8");
	CU_ASSERT_PTR_NULL(bench_set_find(set, "trap", BENCH_P50));
	CU_ASSERT_PTR_NULL(bench_set_find(set, "trap/none", BENCH_P50));
	CU_ASSERT_PTR_NULL(bench_set_find(set, "tra/*", BENCH_P50));
	CU_ASSERT_PTR_NULL(bench_set_find(set, "ring/*", BENCH_P50));
	bench_set_free(set);
}

static void
test_target_eval(void)
{
	struct bench_set *set = bench_set_alloc(2000000000);	/* 2 cycles per ns */
	struct bench_target_outcome o;
	const struct bench_target t_met = { "poll p50 ≤ 2× floor p50", "poll/rtt",
		BENCH_P50, "floor/rtt", BENCH_P50, BENCH_AT_MOST, 2.0 };
	const struct bench_target t_edge = { "poll ≤ 1.5×", "poll/rtt",
		BENCH_P50, "floor/rtt", BENCH_P50, BENCH_AT_MOST, 1.5 };
	const struct bench_target t_missed = { "poll ≤ 1.4×", "poll/rtt",
		BENCH_P50, "floor/rtt", BENCH_P50, BENCH_AT_MOST, 1.4 };
	const struct bench_target t_faster = { "trap ≥ 10× poll", "trap/*",
		BENCH_P50, "poll/rtt", BENCH_P50, BENCH_AT_LEAST, 10.0 };
	const struct bench_target t_slow = { "trap ≥ 20× poll", "trap/*",
		BENCH_P50, "poll/rtt", BENCH_P50, BENCH_AT_LEAST, 20.0 };
	const struct bench_target t_na = { "tput ≥ 25 %", "tput/sync32",
		BENCH_RATE, "ring/b32", BENCH_RATE, BENCH_AT_LEAST, 0.25 };
	const struct bench_target t_na_ref = { "x", "poll/rtt",
		BENCH_P50, "missing/ref", BENCH_P50, BENCH_AT_MOST, 2.0 };
	const struct bench_target t_abs = { "poll ≤ 100 ns", "poll/rtt",
		BENCH_P50, NULL, BENCH_P50, BENCH_AT_MOST, 100.0 };
	const struct bench_target t_abs_missed = { "poll ≤ 50 ns", "poll/rtt",
		BENCH_P50, NULL, BENCH_P50, BENCH_AT_MOST, 50.0 };
	const struct bench_target t_wrong_metric = { "rate of a latency", "poll/rtt",
		BENCH_RATE, "floor/rtt", BENCH_P50, BENCH_AT_MOST, 2.0 };

	UT_ASSERT_FATAL(set != NULL);
	lat_const(set, "floor", "rtt", "", 100, 1);
	lat_const(set, "poll", "rtt", "floor/rtt", 150, 1);
	lat_const(set, "trap", "eventfd", "floor/rtt", 3000, 1);
	lat_const(set, "trap", "futex", "floor/rtt", 1800, 1);

	bench_target_eval(set, &t_met, &o);
	CU_ASSERT_EQUAL(o.status, BENCH_TARGET_MET);
	CU_ASSERT_DOUBLE_EQUAL(o.value, 1.5, 1e-12);
	bench_target_eval(set, &t_edge, &o);
	CU_ASSERT_EQUAL(o.status, BENCH_TARGET_MET);	/* bound is inclusive */
	bench_target_eval(set, &t_missed, &o);
	CU_ASSERT_EQUAL(o.status, BENCH_TARGET_MISSED);
	CU_ASSERT_STRING_EQUAL(bench_target_status_str(o.status), "MISSED");
	/* fastest trap variant: 1800 / 150 = 12 */
	bench_target_eval(set, &t_faster, &o);
	CU_ASSERT_EQUAL(o.status, BENCH_TARGET_MET);
	CU_ASSERT_DOUBLE_EQUAL(o.value, 12.0, 1e-12);
	bench_target_eval(set, &t_slow, &o);
	CU_ASSERT_EQUAL(o.status, BENCH_TARGET_MISSED);
	bench_target_eval(set, &t_na, &o);
	CU_ASSERT_EQUAL(o.status, BENCH_TARGET_NA);
	CU_ASSERT(isnan(o.value));
	CU_ASSERT_PTR_NOT_NULL(strstr(o.why, "tput/sync32"));
	CU_ASSERT_STRING_EQUAL(bench_target_status_str(o.status), "n.a.");
	bench_target_eval(set, &t_na_ref, &o);
	CU_ASSERT_EQUAL(o.status, BENCH_TARGET_NA);
	CU_ASSERT_PTR_NOT_NULL(strstr(o.why, "missing/ref"));
	/* 150 cycles at 2 GHz = 75 ns */
	bench_target_eval(set, &t_abs, &o);
	CU_ASSERT_EQUAL(o.status, BENCH_TARGET_MET);
	CU_ASSERT_DOUBLE_EQUAL(o.value, 75.0, 1e-9);
	bench_target_eval(set, &t_abs_missed, &o);
	CU_ASSERT_EQUAL(o.status, BENCH_TARGET_MISSED);
	bench_target_eval(set, &t_wrong_metric, &o);
	CU_ASSERT_EQUAL(o.status, BENCH_TARGET_NA);
	bench_set_free(set);
}

static void
test_notes(void)
{
	struct bench_set *set = bench_set_alloc(1);
	const struct bench_note *n;

	UT_ASSERT_FATAL(set != NULL);
	bench_set_unavailable(set, "poll", "not yet available", "needs %s", "cmdq");
	bench_set_failed(set, "ring", -ETIMEDOUT, "burst %d", 8);
	n = bench_set_note(set, "poll");
	UT_ASSERT_FATAL(n != NULL);
	CU_ASSERT_STRING_EQUAL(n->status, "not yet available");
	CU_ASSERT_STRING_EQUAL(n->why, "needs cmdq");
	CU_ASSERT_EQUAL(n->err, 0);
	n = bench_set_note(set, "ring");
	UT_ASSERT_FATAL(n != NULL);
	CU_ASSERT_STRING_EQUAL(n->status, "failed");
	CU_ASSERT_EQUAL(n->err, -ETIMEDOUT);
	CU_ASSERT_PTR_NULL(bench_set_note(set, "floor"));
	CU_ASSERT_EQUAL(set->n_res, 0);	/* notes are never results */
	bench_set_free(set);
}

int
main(int argc, char **argv)
{
	static const struct ut_case cases[] = {
		UT_CASE(test_result_add_errors),
		UT_CASE(test_result_rep_errors),
		UT_CASE(test_result_metric_per_op),
		UT_CASE(test_result_ratio_latency),
		UT_CASE(test_result_rate_median),
		UT_CASE(test_result_find_wildcard),
		UT_CASE(test_target_eval),
		UT_CASE(test_notes),
		UT_END
	};

	return ut_main("bench_result", cases, argc, argv);
}
