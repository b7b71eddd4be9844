/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TSC calibration and timer overhead.
 *
 * Every latency is measured in TSC cycles and converted to ns once, in the
 * report. EAL's rte_get_tsc_hz() is cross-checked here against
 * CLOCK_MONOTONIC_RAW over a short interval: the TSC is read on both sides
 * of each clock read and the midpoints of the tightest brackets are used, so
 * a preemption between the two reads does not skew the result. The measured
 * rate is the one used for ns: EAL's own estimate is rounded to 10 MHz
 * when it cannot read the rate from the CPU (0.4 % at 2.6 GHz), while the
 * measured one is as good as the kernel's clock. Both are reported, with
 * their difference, and a difference above BENCH_TSC_WARN_PPM is warned
 * about. When the kernel's clocksource is the TSC itself (reported in the
 * conditions), the check compares EAL's rate with the kernel's boot-time
 * calibration of the TSC rather than with an independent oscillator.
 * Ratios, the headline numbers, do not depend on the rate at all.
 *
 * The timer overhead is the p50 of an empty bench_tsc_begin()/bench_tsc_end()
 * pair. It is included in every latency sample (not subtracted) and reported
 * so a reader can judge the smallest figures.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>

#include "bench.h"

#define BRACKET_TRIES 8
#define OVERHEAD_SAMPLES 20000u

/* Read CLOCK_MONOTONIC_RAW bracketed by two TSC reads; keep the tightest. */
static int
clock_pair(uint64_t *tsc, uint64_t *ns)
{
	uint64_t best = UINT64_MAX;
	struct timespec ts;

	for (int i = 0; i < BRACKET_TRIES; i++) {
		uint64_t a = bench_tsc_begin();

		if (clock_gettime(CLOCK_MONOTONIC_RAW, &ts) != 0)
			return -EIO;
		uint64_t b = bench_tsc_end();

		if (b - a < best) {
			best = b - a;
			*tsc = a + (b - a) / 2;
			*ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
		}
	}
	return 0;
}

static uint64_t
timer_overhead(void)
{
	struct bench_hist *h = bench_hist_alloc();
	uint64_t p50;

	if (h == NULL)
		return 0;
	for (unsigned int i = 0; i < OVERHEAD_SAMPLES; i++) {
		uint64_t t0 = bench_tsc_begin();
		uint64_t t1 = bench_tsc_end();

		bench_hist_record(h, t1 - t0);
	}
	p50 = bench_hist_percentile(h, 50.0);
	bench_hist_free(h);
	return p50;
}

int
bench_tsc_calibrate(struct bench_conditions *c, unsigned int ms)
{
	uint64_t t0, n0, t1, n1;
	struct timespec req = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	c->tsc_hz_eal = rte_get_tsc_hz();
	c->calib_ms = ms;
	if (clock_pair(&t0, &n0) != 0)
		return -EIO;
	while (nanosleep(&req, &req) != 0 && errno == EINTR)
		;
	if (clock_pair(&t1, &n1) != 0)
		return -EIO;
	if (t1 <= t0 || n1 <= n0)
		return -EIO;
	c->tsc_hz_measured = (double)(t1 - t0) * 1e9 / (double)(n1 - n0);
	if (c->tsc_hz_eal != 0)
		c->tsc_dev_ppm = (c->tsc_hz_measured - (double)c->tsc_hz_eal) /
				 (double)c->tsc_hz_eal * 1e6;
	c->tsc_hz = (uint64_t)llround(c->tsc_hz_measured);
	snprintf(c->tsc_source, sizeof(c->tsc_source), "measured");
	c->timer_overhead = timer_overhead();
	return 0;
}
