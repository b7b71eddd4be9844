/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Latency histogram (log-linear) and the small helpers every file uses:
 * clock, random numbers, counters.
 *
 * Design. A value v (nanoseconds) falls in bucket (e, m): e = the position
 * of its highest bit above the GHIST_SUB_BITS low bits, m = the next
 * GHIST_SUB_BITS bits below it. Values below GHIST_SUB are exact. So the
 * relative width of a bucket is at most 1/GHIST_SUB, any quantile is
 * reported within 1.6 % of the true sample, and histograms of different
 * threads and processes merge by adding buckets: the run's p50/p99 are
 * those of every sample, not an average of per-VM figures. Every
 * invalidation is recorded (no sampling is needed at this cost).
 */
#include <sched.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "guest.h"

static unsigned int
bucket_of(uint64_t v)
{
	unsigned int e;

	if (v < GHIST_SUB)
		return (unsigned int)v;
	e = 63 - (unsigned int)__builtin_clzll(v); /* >= GHIST_SUB_BITS */
	return (e - GHIST_SUB_BITS + 1) * GHIST_SUB +
	       (unsigned int)((v >> (e - GHIST_SUB_BITS)) & (GHIST_SUB - 1));
}

/* Largest value of a bucket. */
static uint64_t
bucket_top(unsigned int b)
{
	unsigned int e, m;

	if (b < GHIST_SUB)
		return b;
	e = b / GHIST_SUB + GHIST_SUB_BITS - 1;
	m = b % GHIST_SUB;
	return ((uint64_t)(GHIST_SUB + m) << (e - GHIST_SUB_BITS)) +
	       ((1ULL << (e - GHIST_SUB_BITS)) - 1);
}

void
ghist_init(struct ghist *h)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

void
ghist_add(struct ghist *h, uint64_t v)
{
	h->b[bucket_of(v)]++;
	h->count++;
	h->sum += v;
	if (v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
}

void
ghist_merge(struct ghist *dst, const struct ghist *src)
{
	for (unsigned int i = 0; i < GHIST_BUCKETS; i++)
		dst->b[i] += src->b[i];
	dst->count += src->count;
	dst->sum += src->sum;
	if (src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
}

uint64_t
ghist_quantile(const struct ghist *h, double q)
{
	uint64_t rank, seen = 0;

	if (h->count == 0)
		return 0;
	if (q <= 0)
		return h->min;
	rank = (uint64_t)(q * (double)h->count + 0.5);
	if (rank < 1)
		rank = 1;
	if (rank > h->count)
		rank = h->count;
	for (unsigned int i = 0; i < GHIST_BUCKETS; i++) {
		seen += h->b[i];
		if (seen >= rank) {
			uint64_t top = bucket_top(i);

			return top > h->max ? h->max : top;
		}
	}
	return h->max;
}

uint64_t
g_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* xorshift64*: a tiny, seedable generator (not for cryptography). */
uint64_t
g_rand(uint64_t *s)
{
	uint64_t x = *s != 0 ? *s : 0x9e3779b97f4a7c15ULL;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545f4914f6cdd1dULL;
}

void
g_fill(uint8_t *p, size_t n, uint64_t *s)
{
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		uint64_t v = g_rand(s);

		memcpy(p + i, &v, 8);
	}
	if (i < n) {
		uint64_t v = g_rand(s);

		memcpy(p + i, &v, n - i);
	}
}

/*
 * One step of waiting for the manager: yield the CPU a few times (the
 * manager's poller may share this core), then sleep for growing periods
 * up to 100 us, so that a simulator with more threads than cores does not
 * starve the very poller it waits for.
 */
void
g_wait_step(unsigned int *n)
{
	if (*n < 8)
		sched_yield();
	else
		usleep(*n < 15 ? 1u << (*n - 8) : 100);
	if (*n < 64)
		(*n)++;
}

void
gstats_add(struct gstats *dst, const struct gstats *src)
{
	const uint64_t *s = (const uint64_t *)src;
	uint64_t *d = (uint64_t *)dst;

	_Static_assert(sizeof(struct gstats) % sizeof(uint64_t) == 0,
		       "gstats holds only uint64_t counters");
	for (size_t i = 0; i < sizeof(*dst) / sizeof(uint64_t); i++)
		d[i] += s[i];
}
