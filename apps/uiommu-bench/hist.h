/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Log-linear ("HDR-style") histogram of unsigned 64-bit values (cycles).
 *
 * **Buckets.** With S = 2^BENCH_HIST_SUB_BITS sub-buckets (S = 128):
 *  - values 0 .. 2S-1 (0 .. 255) each have their own bucket (exact);
 *  - every higher power-of-two range [2^m, 2^(m+1)) is split into S
 *    buckets of equal width 2^(m - BENCH_HIST_SUB_BITS).
 * A bucket is therefore at most 1/S = 0.78 % of its lowest value wide: that
 * is the histogram's precision. The whole 64-bit range fits in
 * BENCH_HIST_BUCKETS counters, so no value is ever clamped or dropped.
 *
 * **Percentiles (exact rank semantics).** For n recorded values and a
 * percentile p in (0, 100), the rank is the nearest rank
 *
 *     r = ceil(p / 100 * n)        (1-based, clamped to [1, n])
 *
 * computed in integer arithmetic on p rounded to 1e-4 percent (so 99.9 % of
 * 1000 samples is rank 999, not 1000). bench_hist_percentile() returns the
 * highest value of the bucket that holds the r-th smallest recorded value,
 * clamped to the largest value recorded. With v_r the r-th smallest value:
 *
 *     v_r <= result <= min(bucket_high(v_r), max)
 *
 * so the result never understates a latency and overstates it by less than
 * one bucket width (exact below 256, < 0.78 % above). p <= 0 returns the
 * minimum, p >= 100 the maximum, both exact. An empty histogram returns 0.
 *
 * **Mean, min, max, count** are exact (the sum is kept in 128 bits).
 *
 * Not thread-safe: one writer, readers after the writer is done.
 */
#ifndef BENCH_HIST_H
#define BENCH_HIST_H

#include <stdint.h>

/** log2 of the sub-buckets per power of two: precision 1/128 = 0.78 %. */
#define BENCH_HIST_SUB_BITS 7
/** Sub-buckets per power-of-two range. */
#define BENCH_HIST_SUB_COUNT (1u << BENCH_HIST_SUB_BITS)
/** Buckets needed to cover every uint64_t value. */
#define BENCH_HIST_BUCKETS ((64u - BENCH_HIST_SUB_BITS + 1u) * BENCH_HIST_SUB_COUNT)

/** A histogram; allocate with bench_hist_alloc() (it is ~58 KiB). */
struct bench_hist {
	uint64_t count;   /**< values recorded */
	uint64_t min;     /**< smallest value (UINT64_MAX when empty) */
	uint64_t max;     /**< largest value (0 when empty) */
	uint64_t sum_lo;  /**< low 64 bits of the sum of all values */
	uint64_t sum_hi;  /**< high 64 bits of the sum of all values */
	uint64_t counts[BENCH_HIST_BUCKETS]; /**< per-bucket counts */
};

/**
 * Bucket index of a value.
 * @param v  any value
 * @return an index < BENCH_HIST_BUCKETS.
 */
static inline unsigned int
bench_hist_index(uint64_t v)
{
	unsigned int m, e;

	if (v < 2u * BENCH_HIST_SUB_COUNT)
		return (unsigned int)v;
	m = 63u - (unsigned int)__builtin_clzll(v);
	e = m - BENCH_HIST_SUB_BITS;
	return BENCH_HIST_SUB_COUNT * e + (unsigned int)(v >> e);
}

/**
 * Smallest value that falls into bucket i.
 * @param i  a bucket index < BENCH_HIST_BUCKETS
 * @return the bucket's lowest value.
 */
static inline uint64_t
bench_hist_bucket_low(unsigned int i)
{
	unsigned int e;

	if (i < BENCH_HIST_SUB_COUNT)
		return i;
	e = i / BENCH_HIST_SUB_COUNT - 1u;
	return (uint64_t)(i - BENCH_HIST_SUB_COUNT * e) << e;
}

/**
 * Largest value that falls into bucket i.
 * @param i  a bucket index < BENCH_HIST_BUCKETS
 * @return the bucket's highest value.
 */
static inline uint64_t
bench_hist_bucket_high(unsigned int i)
{
	unsigned int e;

	if (i < BENCH_HIST_SUB_COUNT)
		return i;
	e = i / BENCH_HIST_SUB_COUNT - 1u;
	return bench_hist_bucket_low(i) + ((UINT64_C(1) << e) - 1u);
}

/**
 * Record one value. Hot path: a count-leading-zeros and three stores.
 * @param h  histogram
 * @param v  value
 */
static inline void
bench_hist_record(struct bench_hist *h, uint64_t v)
{
	h->counts[bench_hist_index(v)]++;
	h->count++;
	if (v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
	if (__builtin_add_overflow(h->sum_lo, v, &h->sum_lo))
		h->sum_hi++;
}

/**
 * Allocate an empty histogram.
 * @return the histogram, or NULL with errno = ENOMEM.
 */
struct bench_hist *bench_hist_alloc(void);

/**
 * Free a histogram.
 * @param h  histogram or NULL (then nothing happens)
 */
void bench_hist_free(struct bench_hist *h);

/**
 * Forget every recorded value.
 * @param h  histogram
 */
void bench_hist_reset(struct bench_hist *h);

/**
 * Record the same value n times (n = 0 records nothing).
 * @param h  histogram
 * @param v  value
 * @param n  repetitions
 */
void bench_hist_record_n(struct bench_hist *h, uint64_t v, uint64_t n);

/**
 * Add every value of src to dst, as if each had been recorded in dst.
 * @param dst  histogram that receives
 * @param src  histogram read (unchanged); may be empty
 */
void bench_hist_merge(struct bench_hist *dst, const struct bench_hist *src);

/**
 * The 1-based rank that a percentile selects (see the file comment).
 * @param n  number of values
 * @param p  percentile in percent
 * @return r in [1, n]; 0 when n is 0.
 */
uint64_t bench_hist_rank(uint64_t n, double p);

/**
 * Value at a percentile (see the file comment for the exact semantics).
 * @param h  histogram
 * @param p  percentile in percent: 50, 99.9, ...
 * @return the value; 0 for an empty histogram.
 */
uint64_t bench_hist_percentile(const struct bench_hist *h, double p);

/**
 * Exact arithmetic mean of the recorded values.
 * @param h  histogram
 * @return the mean; 0 for an empty histogram.
 */
double bench_hist_mean(const struct bench_hist *h);

/**
 * Next bucket holding at least one value.
 * @param h     histogram
 * @param from  first index to look at
 * @return the index of the first non-empty bucket >= from, or
 *         BENCH_HIST_BUCKETS when there is none.
 */
unsigned int bench_hist_next(const struct bench_hist *h, unsigned int from);

#endif /* BENCH_HIST_H */
