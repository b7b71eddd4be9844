/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of apps/uiommu-bench/hist.c: bucket geometry, nearest-rank
 * percentiles against sorting the raw samples, merge, mean, record_n.
 *
 * The reference for a percentile is the nearest rank of the sorted raw
 * samples, r = ceil(p/100 * n), computed here in integer arithmetic on p
 * given in parts per million of 100 %. The histogram's answer must lie in
 * the same bucket, be >= the reference and exceed it by less than one
 * bucket width (zero below 256, at most 1/128 of the value above).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "uiommu_ut.h"
#include "hist.h"

static unsigned long long seed;

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* Reference nearest rank for p = ppm / 10^4 percent. */
static uint64_t
ref_rank(uint64_t n, uint64_t ppm)
{
	unsigned __int128 num = (unsigned __int128)ppm * n;
	uint64_t r = (uint64_t)((num + 999999u) / 1000000u);

	return r < 1 ? 1 : r > n ? n : r;
}

/* Check one percentile of h against the sorted raw samples. */
static void
check_pct(const struct bench_hist *h, const uint64_t *sorted, uint64_t n,
	  uint64_t ppm)
{
	double p = (double)ppm / 1e4;
	uint64_t ref = sorted[ref_rank(n, ppm) - 1];
	uint64_t got = bench_hist_percentile(h, p);

	CU_ASSERT_EQUAL(bench_hist_rank(n, p), ref_rank(n, ppm));
	CU_ASSERT(got >= ref);
	CU_ASSERT_EQUAL(bench_hist_index(got), bench_hist_index(ref));
	CU_ASSERT(got <= sorted[n - 1]);
	if (ref < 2 * BENCH_HIST_SUB_COUNT) {
		CU_ASSERT_EQUAL(got, ref);
	} else {
		CU_ASSERT((unsigned __int128)(got - ref) * BENCH_HIST_SUB_COUNT <=
			  (unsigned __int128)ref);
	}
	if (got < ref || bench_hist_index(got) != bench_hist_index(ref))
		fprintf(stderr, "n=%llu p=%f ref=%llu got=%llu\n",
			(unsigned long long)n, p, (unsigned long long)ref,
			(unsigned long long)got);
}

static const uint64_t fixed_ppm[] = {
	1, 10000, 100000, 250000, 500000, 900000, 990000, 999000, 999900,
	999990, 999999, 1000000,
};

static void
check_all(const struct bench_hist *h, uint64_t *raw, uint64_t n)
{
	unsigned __int128 sum = 0;

	qsort(raw, n, sizeof(raw[0]), cmp_u64);
	CU_ASSERT_EQUAL(h->count, n);
	CU_ASSERT_EQUAL(h->min, raw[0]);
	CU_ASSERT_EQUAL(h->max, raw[n - 1]);
	CU_ASSERT_EQUAL(bench_hist_percentile(h, 0.0), raw[0]);
	CU_ASSERT_EQUAL(bench_hist_percentile(h, 100.0), raw[n - 1]);
	for (size_t k = 0; k < sizeof(fixed_ppm) / sizeof(fixed_ppm[0]); k++)
		check_pct(h, raw, n, fixed_ppm[k]);
	for (int k = 0; k < 50; k++)
		check_pct(h, raw, n, 1 + ut_rand(&seed) % 999999);
	for (uint64_t i = 0; i < n; i++)
		sum += raw[i];
	{
		double exact = (double)(sum / n) + (double)(sum % n) / (double)n;
		double got = bench_hist_mean(h);

		CU_ASSERT(got >= exact * (1 - 1e-12) && got <= exact * (1 + 1e-12));
	}
}

/* One random value of a given shape. */
static uint64_t
draw(int shape)
{
	uint64_t r = ut_rand(&seed);

	switch (shape) {
	case 0: return r % 256;				/* exact range only */
	case 1: return 100 + r % 50;			/* tight, like a floor */
	case 2: return r >> (r % 64);			/* log-uniform, full range */
	case 3: return (r % 1000 == 0) ? 1000000 + r % 5000000 : 2000 + r % 300;
	default: return r;				/* uniform 64-bit */
	}
}

static void
test_hist_bucket_geometry(void)
{
	for (unsigned int i = 0; i < BENCH_HIST_BUCKETS; i++) {
		uint64_t lo = bench_hist_bucket_low(i), hi = bench_hist_bucket_high(i);

		CU_ASSERT(lo <= hi);
		CU_ASSERT_EQUAL(bench_hist_index(lo), i);
		CU_ASSERT_EQUAL(bench_hist_index(hi), i);
		if (i + 1 < BENCH_HIST_BUCKETS) {
			CU_ASSERT_EQUAL(bench_hist_bucket_low(i + 1), hi + 1);
		}
		if (lo >= 2 * BENCH_HIST_SUB_COUNT) {
			CU_ASSERT((hi - lo + 1) * BENCH_HIST_SUB_COUNT <= lo);
		} else {
			CU_ASSERT_EQUAL(lo, hi);
		}
	}
	CU_ASSERT_EQUAL(bench_hist_bucket_low(0), 0);
	CU_ASSERT_EQUAL(bench_hist_bucket_high(BENCH_HIST_BUCKETS - 1), UINT64_MAX);
	CU_ASSERT_EQUAL(bench_hist_index(UINT64_MAX), BENCH_HIST_BUCKETS - 1);
}

static void
test_hist_rank_edges(void)
{
	CU_ASSERT_EQUAL(bench_hist_rank(0, 50.0), 0);
	CU_ASSERT_EQUAL(bench_hist_rank(1000, 99.9), 999);
	CU_ASSERT_EQUAL(bench_hist_rank(1000, 99.99), 1000);
	CU_ASSERT_EQUAL(bench_hist_rank(200000, 99.9), 199800);
	CU_ASSERT_EQUAL(bench_hist_rank(1, 50.0), 1);
	CU_ASSERT_EQUAL(bench_hist_rank(2, 50.0), 1);
	CU_ASSERT_EQUAL(bench_hist_rank(3, 50.0), 2);
	CU_ASSERT_EQUAL(bench_hist_rank(4, 50.0), 2);
	CU_ASSERT_EQUAL(bench_hist_rank(10, 0.0), 1);
	CU_ASSERT_EQUAL(bench_hist_rank(10, -3.0), 1);
	CU_ASSERT_EQUAL(bench_hist_rank(10, 1e-9), 1);
	CU_ASSERT_EQUAL(bench_hist_rank(10, 100.0), 10);
	CU_ASSERT_EQUAL(bench_hist_rank(10, 250.0), 10);
}

static void
test_hist_empty(void)
{
	struct bench_hist *h = bench_hist_alloc();

	UT_ASSERT_FATAL(h != NULL);
	CU_ASSERT_EQUAL(h->count, 0);
	CU_ASSERT_EQUAL(bench_hist_percentile(h, 50.0), 0);
	CU_ASSERT_EQUAL(bench_hist_percentile(h, 100.0), 0);
	CU_ASSERT_EQUAL(bench_hist_mean(h), 0.0);
	CU_ASSERT_EQUAL(bench_hist_next(h, 0), BENCH_HIST_BUCKETS);
	bench_hist_free(h);
	bench_hist_free(NULL);
}

static void
test_hist_percentile_vs_sorted(void)
{
	static const uint64_t sizes[] = { 1, 2, 3, 7, 100, 1000, 4093, 100000 };
	uint64_t *raw = malloc(100000 * sizeof(*raw));
	struct bench_hist *h = bench_hist_alloc();

	UT_ASSERT_FATAL(raw != NULL && h != NULL);
	for (int shape = 0; shape < 5; shape++) {
		for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
			bench_hist_reset(h);
			for (uint64_t i = 0; i < sizes[s]; i++) {
				raw[i] = draw(shape);
				bench_hist_record(h, raw[i]);
			}
			check_all(h, raw, sizes[s]);
		}
	}
	free(raw);
	bench_hist_free(h);
}

static void
test_hist_merge_vs_sorted(void)
{
	const uint64_t n = 50000;
	uint64_t *raw = malloc(n * sizeof(*raw));
	struct bench_hist *a = bench_hist_alloc(), *b = bench_hist_alloc();
	struct bench_hist *all = bench_hist_alloc(), *empty = bench_hist_alloc();

	UT_ASSERT_FATAL(raw != NULL && a != NULL && b != NULL && all != NULL &&
			empty != NULL);
	for (int shape = 1; shape < 5; shape++) {
		bench_hist_reset(a);
		bench_hist_reset(b);
		bench_hist_reset(all);
		for (uint64_t i = 0; i < n; i++) {
			raw[i] = draw(shape);
			bench_hist_record(ut_rand(&seed) & 1 ? a : b, raw[i]);
			bench_hist_record(all, raw[i]);
		}
		bench_hist_merge(a, b);
		bench_hist_merge(a, empty);
		CU_ASSERT_EQUAL(memcmp(a->counts, all->counts, sizeof(a->counts)), 0);
		CU_ASSERT_EQUAL(a->sum_lo, all->sum_lo);
		CU_ASSERT_EQUAL(a->sum_hi, all->sum_hi);
		check_all(a, raw, n);
	}
	/* Merging into an empty histogram copies min and max. */
	bench_hist_reset(all);
	bench_hist_merge(all, a);
	CU_ASSERT_EQUAL(all->min, a->min);
	CU_ASSERT_EQUAL(all->max, a->max);
	free(raw);
	bench_hist_free(a);
	bench_hist_free(b);
	bench_hist_free(all);
	bench_hist_free(empty);
}

static void
test_hist_record_n(void)
{
	struct bench_hist *a = bench_hist_alloc(), *b = bench_hist_alloc();

	UT_ASSERT_FATAL(a != NULL && b != NULL);
	for (int k = 0; k < 200; k++) {
		uint64_t v = draw(2), n = ut_rand(&seed) % 50;

		bench_hist_record_n(a, v, n);
		for (uint64_t i = 0; i < n; i++)
			bench_hist_record(b, v);
	}
	CU_ASSERT_EQUAL(memcmp(a, b, sizeof(*a)), 0);
	bench_hist_free(a);
	bench_hist_free(b);
}

static void
test_hist_sum_overflow(void)
{
	struct bench_hist *h = bench_hist_alloc();
	uint64_t raw[4] = { UINT64_MAX, UINT64_MAX - 1, UINT64_MAX / 2, 3 };

	UT_ASSERT_FATAL(h != NULL);
	for (int i = 0; i < 4; i++)
		bench_hist_record(h, raw[i]);
	/* (2^64-1) + (2^64-2) + (2^63-1) + 3 = 2 * 2^64 + 2^63 - 1 */
	CU_ASSERT_EQUAL(h->sum_hi, 2);
	CU_ASSERT_EQUAL(h->sum_lo, (UINT64_C(1) << 63) - 1);
	check_all(h, raw, 4);
	bench_hist_free(h);
}

static void
test_hist_next_walk(void)
{
	struct bench_hist *h = bench_hist_alloc();
	uint64_t seen = 0;

	UT_ASSERT_FATAL(h != NULL);
	for (int k = 0; k < 1000; k++)
		bench_hist_record(h, draw(2));
	for (unsigned int i = bench_hist_next(h, 0); i < BENCH_HIST_BUCKETS;
	     i = bench_hist_next(h, i + 1)) {
		CU_ASSERT(h->counts[i] > 0);
		seen += h->counts[i];
	}
	CU_ASSERT_EQUAL(seen, h->count);
	bench_hist_free(h);
}

int
main(int argc, char **argv)
{
	static const struct ut_case cases[] = {
		UT_CASE(test_hist_bucket_geometry),
		UT_CASE(test_hist_rank_edges),
		UT_CASE(test_hist_empty),
		UT_CASE(test_hist_percentile_vs_sorted),
		UT_CASE(test_hist_merge_vs_sorted),
		UT_CASE(test_hist_record_n),
		UT_CASE(test_hist_sum_overflow),
		UT_CASE(test_hist_next_walk),
		UT_END
	};

	seed = ut_seed();
	return ut_main("bench_hist", cases, argc, argv);
}
