/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Log-linear histogram: storage, merge and percentile queries.
 *
 * The layout and the rank definition are documented in hist.h; this file
 * keeps the two things that must not drift from that text: the integer
 * computation of the nearest rank and the walk that turns a rank into the
 * upper bound of the bucket holding it. The rank is computed on p rounded to
 * parts per million of the whole (1e-4 percent), in 128-bit integers, so that
 * a percentile such as 99.9 never rounds up to the next rank through binary
 * floating-point error.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hist.h"

/* Percentiles are resolved to 1e-4 percent: p is scaled to parts per 10^6. */
#define RANK_SCALE 1000000u

struct bench_hist *
bench_hist_alloc(void)
{
	struct bench_hist *h = malloc(sizeof(*h));

	if (h == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	bench_hist_reset(h);
	return h;
}

void
bench_hist_free(struct bench_hist *h)
{
	free(h);
}

void
bench_hist_reset(struct bench_hist *h)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

static void
add_sum(struct bench_hist *h, uint64_t lo, uint64_t hi)
{
	if (__builtin_add_overflow(h->sum_lo, lo, &h->sum_lo))
		h->sum_hi++;
	h->sum_hi += hi;
}

void
bench_hist_record_n(struct bench_hist *h, uint64_t v, uint64_t n)
{
	unsigned __int128 s;

	if (n == 0)
		return;
	h->counts[bench_hist_index(v)] += n;
	h->count += n;
	if (v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
	s = (unsigned __int128)v * n;
	add_sum(h, (uint64_t)s, (uint64_t)(s >> 64));
}

void
bench_hist_merge(struct bench_hist *dst, const struct bench_hist *src)
{
	if (src->count == 0)
		return;
	for (unsigned int i = 0; i < BENCH_HIST_BUCKETS; i++)
		dst->counts[i] += src->counts[i];
	dst->count += src->count;
	if (src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
	add_sum(dst, src->sum_lo, src->sum_hi);
}

uint64_t
bench_hist_rank(uint64_t n, double p)
{
	unsigned __int128 num;
	uint64_t scaled, r;

	if (n == 0)
		return 0;
	if (!(p > 0.0))		/* also catches NaN */
		return 1;
	if (p >= 100.0)
		return n;
	scaled = (uint64_t)llround(p * (RANK_SCALE / 100.0));
	num = (unsigned __int128)scaled * n;
	r = (uint64_t)((num + (RANK_SCALE - 1)) / RANK_SCALE);
	if (r < 1)
		r = 1;
	if (r > n)
		r = n;
	return r;
}

uint64_t
bench_hist_percentile(const struct bench_hist *h, double p)
{
	uint64_t r, seen = 0, high;

	if (h->count == 0)
		return 0;
	if (!(p > 0.0))
		return h->min;
	if (p >= 100.0)
		return h->max;
	r = bench_hist_rank(h->count, p);
	for (unsigned int i = 0; i < BENCH_HIST_BUCKETS; i++) {
		seen += h->counts[i];
		if (seen >= r) {
			high = bench_hist_bucket_high(i);
			return high < h->max ? high : h->max;
		}
	}
	return h->max;	/* not reached while counts and count agree */
}

double
bench_hist_mean(const struct bench_hist *h)
{
	unsigned __int128 sum;

	if (h->count == 0)
		return 0.0;
	sum = ((unsigned __int128)h->sum_hi << 64) | h->sum_lo;
	return (double)(sum / h->count) +
	       (double)(sum % h->count) / (double)h->count;
}

unsigned int
bench_hist_next(const struct bench_hist *h, unsigned int from)
{
	for (unsigned int i = from; i < BENCH_HIST_BUCKETS; i++)
		if (h->counts[i] != 0)
			return i;
	return BENCH_HIST_BUCKETS;
}
