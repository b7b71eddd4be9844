/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * CSV report: one header row, then one row per measured scenario/variant
 * (RFC 4180 quoting). Scenarios that were not measured have no row.
 *
 * Columns: scenario, variant, kind, unit, baseline, ratio_metric, ratio,
 * ratio_p99, samples, ops_per_sample, then min/p50/p90/p99/p99.9/max/mean in
 * ns and in cycles (latency rows; per operation), then reps, ops_per_rep,
 * rate_median, rate_min, rate_max (operations/s), ns_per_op, cycles_per_op
 * (rate rows). Cells that do not apply are empty.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "bench.h"

static const enum bench_metric lat_metrics[] = {
	BENCH_MIN, BENCH_P50, BENCH_P90, BENCH_P99, BENCH_P999, BENCH_MAX, BENCH_MEAN,
};
#define N_LAT (sizeof(lat_metrics) / sizeof(lat_metrics[0]))

static void
cell_str(FILE *f, const char *s, bool first)
{
	if (!first)
		fputc(',', f);
	if (strpbrk(s, ",\"\r\n") == NULL) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s != '\0'; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static void
cell_num(FILE *f, double v)
{
	fputc(',', f);
	if (isfinite(v))
		fprintf(f, "%.10g", v);
}

static void
header(FILE *f)
{
	static const char *const names[] = { "min", "p50", "p90", "p99", "p99.9",
					     "max", "mean" };

	fputs("scenario,variant,kind,unit,baseline,ratio_metric,ratio,ratio_p99,"
	      "samples,ops_per_sample", f);
	for (int ns = 1; ns >= 0; ns--)
		for (size_t k = 0; k < N_LAT; k++)
			fprintf(f, ",%s_%s", names[k], ns ? "ns" : "cycles");
	fputs(",reps,ops_per_rep,rate_median,rate_min,rate_max,ns_per_op,"
	      "cycles_per_op\n", f);
}

static void
row(FILE *f, const struct bench_set *set, const struct bench_result *res)
{
	bool lat = res->kind == BENCH_KIND_LATENCY;
	enum bench_metric head = lat ? BENCH_P50 : BENCH_RATE;
	double v, lo = NAN, hi = NAN;

	cell_str(f, res->scenario, true);
	cell_str(f, res->variant, false);
	cell_str(f, lat ? "latency" : "rate", false);
	cell_str(f, res->unit, false);
	cell_str(f, res->baseline, false);
	cell_str(f, bench_metric_name(head), false);
	cell_num(f, bench_result_ratio(set, res, head, &v) == 0 ? v : NAN);
	cell_num(f, lat && bench_result_ratio(set, res, BENCH_P99, &v) == 0 ? v : NAN);
	cell_num(f, lat ? (double)res->hist->count : NAN);
	cell_num(f, lat ? (double)res->ops_per_sample : NAN);
	for (int ns = 1; ns >= 0; ns--) {
		for (size_t k = 0; k < N_LAT; k++) {
			if (!lat || bench_result_metric(res, lat_metrics[k], &v) != 0)
				v = NAN;
			cell_num(f, ns ? bench_set_ns(set, v) : v);
		}
	}
	if (lat) {
		fputs(",,,,,,,\n", f);
		return;
	}
	for (unsigned int i = 0; i < res->n_rates; i++) {
		if (i == 0 || res->rates[i] < lo)
			lo = res->rates[i];
		if (i == 0 || res->rates[i] > hi)
			hi = res->rates[i];
	}
	if (bench_result_metric(res, BENCH_RATE, &v) != 0)
		v = NAN;
	cell_num(f, (double)res->n_rates);
	cell_num(f, (double)res->ops_per_rep);
	cell_num(f, v);
	cell_num(f, lo);
	cell_num(f, hi);
	cell_num(f, v > 0 ? 1e9 / v : NAN);
	cell_num(f, v > 0 ? (double)set->tsc_hz / v : NAN);
	fputc('\n', f);
}

int
bench_report_csv(const char *path, const struct bench_report *rep)
{
	FILE *f = fopen(path, "w");
	int rc = 0;

	if (f == NULL)
		return -errno;
	header(f);
	for (unsigned int i = 0; i < rep->set->n_res; i++)
		row(f, rep->set, &rep->set->res[i]);
	if (fflush(f) != 0 || ferror(f))
		rc = -EIO;
	if (fclose(f) != 0 && rc == 0)
		rc = -EIO;
	return rc;
}
