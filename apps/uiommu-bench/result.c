/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Result set: storage of measured variants, ratios to baselines, targets.
 *
 * A set is one flat array of results plus notes for scenarios that produced
 * none (not available here, skipped, failed). Everything a report prints is
 * derived from it by pure functions, so the arithmetic that turns numbers
 * into headlines (ratio to the baseline, target MET/MISSED) is tested
 * without EAL or timing: see test/unit/apps/bench/result_ut.c.
 *
 * Units. A latency result keeps cycles per *sample*; a sample may time
 * several operations (ops_per_sample, e.g. 32 pointer-chase walks), so every
 * metric divides by ops_per_sample and is "cycles per operation". A rate
 * result keeps operations per second per repetition; its headline is the
 * median repetition (nearest rank, as for histograms). Ratios are unitless,
 * so the TSC rate only matters for absolute targets (ns).
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

struct bench_set *
bench_set_alloc(uint64_t tsc_hz)
{
	struct bench_set *set = calloc(1, sizeof(*set));

	if (set == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	set->tsc_hz = tsc_hz;
	return set;
}

void
bench_set_free(struct bench_set *set)
{
	if (set == NULL)
		return;
	for (unsigned int i = 0; i < set->n_res; i++)
		bench_hist_free(set->res[i].hist);
	free(set);
}

static bool
fits(const char *s, size_t max)
{
	return s != NULL && strnlen(s, max) < max;
}

static struct bench_result *
add_result(struct bench_set *set, const char *scenario, const char *variant,
	   const char *baseline, const char *unit)
{
	struct bench_result *res;

	if (!fits(scenario, BENCH_NAME_MAX) || !fits(variant, BENCH_NAME_MAX) ||
	    scenario[0] == '\0' || variant[0] == '\0' ||
	    strchr(scenario, '/') != NULL || strchr(variant, '/') != NULL ||
	    !fits(baseline, BENCH_REF_MAX) || !fits(unit, BENCH_NAME_MAX)) {
		errno = EINVAL;
		return NULL;
	}
	for (unsigned int i = 0; i < set->n_res; i++) {
		if (strcmp(set->res[i].scenario, scenario) == 0 &&
		    strcmp(set->res[i].variant, variant) == 0) {
			errno = EEXIST;
			return NULL;
		}
	}
	if (set->n_res == BENCH_MAX_RESULTS) {
		errno = ENOSPC;
		return NULL;
	}
	res = &set->res[set->n_res];
	memset(res, 0, sizeof(*res));
	strcpy(res->scenario, scenario);
	strcpy(res->variant, variant);
	strcpy(res->baseline, baseline);
	strcpy(res->unit, unit);
	return res;
}

struct bench_result *
bench_set_add_latency(struct bench_set *set, const char *scenario,
		      const char *variant, const char *baseline, const char *unit,
		      unsigned int ops_per_sample)
{
	struct bench_result *res;

	if (ops_per_sample == 0) {
		errno = EINVAL;
		return NULL;
	}
	res = add_result(set, scenario, variant, baseline, unit);
	if (res == NULL)
		return NULL;
	res->hist = bench_hist_alloc();
	if (res->hist == NULL)
		return NULL;	/* errno = ENOMEM; the slot stays unused */
	res->kind = BENCH_KIND_LATENCY;
	res->ops_per_sample = ops_per_sample;
	set->n_res++;	/* published: nothing can fail any more */
	return res;
}

struct bench_result *
bench_set_add_rate(struct bench_set *set, const char *scenario,
		   const char *variant, const char *baseline, const char *unit,
		   uint64_t ops_per_rep)
{
	struct bench_result *res;

	if (ops_per_rep == 0) {
		errno = EINVAL;
		return NULL;
	}
	res = add_result(set, scenario, variant, baseline, unit);
	if (res == NULL)
		return NULL;
	res->kind = BENCH_KIND_RATE;
	res->ops_per_rep = ops_per_rep;
	set->n_res++;
	return res;
}

int
bench_result_add_rep(struct bench_result *res, double rate)
{
	if (res->kind != BENCH_KIND_RATE || !isfinite(rate) || !(rate > 0.0))
		return -EINVAL;
	if (res->n_rates == BENCH_MAX_REPS)
		return -ENOSPC;
	res->rates[res->n_rates++] = rate;
	return 0;
}

void
bench_set_drop(struct bench_set *set, struct bench_result *res)
{
	unsigned int i;

	if (res == NULL)
		return;
	i = (unsigned int)(res - set->res);
	if (i >= set->n_res)
		return;
	bench_hist_free(res->hist);
	memmove(&set->res[i], &set->res[i + 1],
		(set->n_res - i - 1) * sizeof(set->res[0]));
	set->n_res--;
}

static void __attribute__((format(printf, 5, 0)))
add_note(struct bench_set *set, const char *scenario, const char *status,
	 int err, const char *fmt, va_list ap)
{
	struct bench_note *n;

	if (set->n_notes == BENCH_MAX_NOTES)
		return;
	n = &set->notes[set->n_notes++];
	memset(n, 0, sizeof(*n));
	snprintf(n->scenario, sizeof(n->scenario), "%s", scenario);
	snprintf(n->status, sizeof(n->status), "%s", status);
	vsnprintf(n->why, sizeof(n->why), fmt, ap);
	n->err = err;
}

void
bench_set_unavailable(struct bench_set *set, const char *scenario,
		      const char *status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	add_note(set, scenario, status, 0, fmt, ap);
	va_end(ap);
}

void
bench_set_failed(struct bench_set *set, const char *scenario, int err,
		 const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	add_note(set, scenario, "failed", err, fmt, ap);
	va_end(ap);
}

const struct bench_note *
bench_set_note(const struct bench_set *set, const char *scenario)
{
	for (unsigned int i = 0; i < set->n_notes; i++)
		if (strcmp(set->notes[i].scenario, scenario) == 0)
			return &set->notes[i];
	return NULL;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double
hist_pct(const struct bench_hist *h, double p)
{
	return (double)bench_hist_percentile(h, p);
}

int
bench_result_metric(const struct bench_result *res, enum bench_metric metric,
		    double *v)
{
	double sorted[BENCH_MAX_REPS];
	const struct bench_hist *h = res->hist;

	if (res->kind == BENCH_KIND_RATE) {
		if (metric != BENCH_RATE)
			return -EINVAL;
		if (res->n_rates == 0)
			return -ENOENT;
		memcpy(sorted, res->rates, res->n_rates * sizeof(double));
		qsort(sorted, res->n_rates, sizeof(double), cmp_double);
		*v = sorted[bench_hist_rank(res->n_rates, 50.0) - 1];
		return 0;
	}
	if (metric == BENCH_RATE)
		return -EINVAL;
	if (h == NULL || h->count == 0)
		return -ENOENT;
	switch (metric) {
	case BENCH_P50: *v = hist_pct(h, 50.0); break;
	case BENCH_P90: *v = hist_pct(h, 90.0); break;
	case BENCH_P99: *v = hist_pct(h, 99.0); break;
	case BENCH_P999: *v = hist_pct(h, 99.9); break;
	case BENCH_MAX: *v = (double)h->max; break;
	case BENCH_MIN: *v = (double)h->min; break;
	case BENCH_MEAN: *v = bench_hist_mean(h); break;
	default: return -EINVAL;
	}
	*v /= (double)res->ops_per_sample;
	return 0;
}

/* True when a is better than b for metric: lower latency, higher rate. */
static bool
better(enum bench_metric metric, double a, double b)
{
	return metric == BENCH_RATE ? a > b : a < b;
}

const struct bench_result *
bench_set_find(const struct bench_set *set, const char *ref,
	       enum bench_metric metric)
{
	const struct bench_result *best = NULL;
	const char *slash = strchr(ref, '/');
	size_t slen;
	double bv = 0.0, v;

	if (slash == NULL)
		return NULL;
	slen = (size_t)(slash - ref);
	for (unsigned int i = 0; i < set->n_res; i++) {
		const struct bench_result *r = &set->res[i];

		if (strlen(r->scenario) != slen ||
		    strncmp(r->scenario, ref, slen) != 0)
			continue;
		if (strcmp(slash + 1, "*") != 0) {
			if (strcmp(r->variant, slash + 1) == 0)
				return r;
			continue;
		}
		if (bench_result_metric(r, metric, &v) != 0)
			continue;
		if (best == NULL || better(metric, v, bv)) {
			best = r;
			bv = v;
		}
	}
	return best;
}

int
bench_result_ratio(const struct bench_set *set, const struct bench_result *res,
		   enum bench_metric metric, double *r)
{
	const struct bench_result *base;
	double a, b;
	int rc;

	if (res->baseline[0] == '\0')
		return -ENOENT;
	base = bench_set_find(set, res->baseline, metric);
	if (base == NULL)
		return -ENOENT;
	if (base->kind != res->kind)
		return -EINVAL;
	rc = bench_result_metric(res, metric, &a);
	if (rc != 0)
		return rc;
	rc = bench_result_metric(base, metric, &b);
	if (rc != 0)
		return rc;
	if (b == 0.0)
		return -EDOM;
	*r = a / b;
	return 0;
}

static bool
target_value(const struct bench_set *set, const char *ref,
	     enum bench_metric metric, double *v, char *why, size_t len)
{
	const struct bench_result *res = bench_set_find(set, ref, metric);

	if (res == NULL) {
		snprintf(why, len, "%s not measured", ref);
		return false;
	}
	if (bench_result_metric(res, metric, v) != 0) {
		snprintf(why, len, "%s has no %s", ref, bench_metric_name(metric));
		return false;
	}
	return true;
}

void
bench_target_eval(const struct bench_set *set, const struct bench_target *t,
		  struct bench_target_outcome *out)
{
	const struct bench_result *res;
	double a, b;

	memset(out, 0, sizeof(*out));
	out->status = BENCH_TARGET_NA;
	out->value = NAN;
	if (!target_value(set, t->subject, t->metric, &a, out->why, sizeof(out->why)))
		return;
	if (t->reference != NULL) {
		if (!target_value(set, t->reference, t->ref_metric, &b, out->why,
				  sizeof(out->why)))
			return;
		if (b == 0.0) {
			snprintf(out->why, sizeof(out->why), "%s is zero", t->reference);
			return;
		}
		out->value = a / b;
	} else {
		res = bench_set_find(set, t->subject, t->metric);
		out->value = res->kind == BENCH_KIND_LATENCY ? bench_set_ns(set, a) : a;
	}
	if (t->cmp == BENCH_AT_MOST)
		out->status = out->value <= t->bound ? BENCH_TARGET_MET : BENCH_TARGET_MISSED;
	else
		out->status = out->value >= t->bound ? BENCH_TARGET_MET : BENCH_TARGET_MISSED;
}

const char *
bench_target_status_str(enum bench_target_status s)
{
	switch (s) {
	case BENCH_TARGET_MET: return "MET";
	case BENCH_TARGET_MISSED: return "MISSED";
	default: return "n.a.";
	}
}

const char *
bench_metric_name(enum bench_metric m)
{
	switch (m) {
	case BENCH_P50: return "p50";
	case BENCH_P90: return "p90";
	case BENCH_P99: return "p99";
	case BENCH_P999: return "p99.9";
	case BENCH_MAX: return "max";
	case BENCH_MIN: return "min";
	case BENCH_MEAN: return "mean";
	case BENCH_RATE: return "rate";
	}
	return "?";
}

double
bench_set_ns(const struct bench_set *set, double cycles)
{
	if (set->tsc_hz == 0)
		return NAN;
	return cycles * 1e9 / (double)set->tsc_hz;
}
