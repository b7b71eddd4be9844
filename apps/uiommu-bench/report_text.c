/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Human summary on stdout: conditions, a latency table in ns and one in
 * cycles (per operation), a throughput table, the headline ratio of every
 * result to its baseline, the targets and the scenarios not measured.
 *
 * The summary is meant to be pasted into doc/benchmarks.md as it is, so it
 * states the method's parameters (samples, warm-up, histogram precision,
 * percentile rank, timer overhead) next to the numbers.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "bench.h"

static const enum bench_metric cols[] = {
	BENCH_P50, BENCH_P90, BENCH_P99, BENCH_P999, BENCH_MAX, BENCH_MEAN,
};
#define N_COLS (sizeof(cols) / sizeof(cols[0]))

static void
conditions(FILE *f, const struct bench_conditions *c)
{
	fprintf(f, "uiommu-bench %s: invalidation latency and throughput baselines\n",
		c->tool_version);
	fprintf(f, "command:   %s\n", c->command_line);
	fprintf(f, "cpu:       %s; %u online CPUs; %s\n", c->cpu_model,
		c->online_cpus, c->hypervisor ? "hypervisor present (virtual machine)"
					     : "no hypervisor flag");
	fprintf(f, "lcores:    main %u on cpu %d (core %d, package %d), worker %u on cpu %d "
		"(core %d, package %d); SMT siblings: %s; %u lcore(s) in the EAL list\n",
		c->main_lcore, c->main_cpu, c->main_core_id, c->main_pkg,
		c->worker_lcore, c->worker_cpu, c->worker_core_id, c->worker_pkg,
		c->smt_siblings < 0 ? "unknown" : c->smt_siblings ? "yes" : "no",
		c->lcores_given);
	fprintf(f, "memory:    %s%s%s\n", c->hugepages ? "hugepages" :
		c->no_huge_fallback ? "no hugepages (--no-huge added: none was free)" :
				      "no hugepages (--no-huge)",
		c->eal_adjust[0] ? "; " : "", c->eal_adjust);
	fprintf(f, "dpdk:      %s\n", c->dpdk_version);
	fprintf(f, "kernel:    %s\n", c->kernel);
	fprintf(f, "date:      %s; load average %.2f at start; governor %s\n", c->date,
		c->loadavg1, c->governor[0] ? c->governor : "n/a");
	fprintf(f, "tsc:       EAL %.3f MHz, measured %.3f MHz against CLOCK_MONOTONIC_RAW "
		"over %u ms (%+.0f ppm); ns use the %s rate; invariant TSC: %s; "
		"kernel clocksource: %s\n",
		(double)c->tsc_hz_eal / 1e6, c->tsc_hz_measured / 1e6, c->calib_ms,
		c->tsc_dev_ppm, c->tsc_source, c->invariant_tsc ? "yes" : "no",
		c->clocksource[0] ? c->clocksource : "unknown");
	fprintf(f, "timer:     %llu cycles (%.1f ns) per empty timing pair, included in every sample\n",
		(unsigned long long)c->timer_overhead,
		c->tsc_hz ? (double)c->timer_overhead * 1e9 / (double)c->tsc_hz : NAN);
	fprintf(f, "samples:   %llu per latency variant after %llu warm-up; %u repetitions "
		"per rate variant%s\n", (unsigned long long)c->samples,
		(unsigned long long)c->warmup, c->reps, c->quick ? " (--quick)" : "");
	fprintf(f, "histogram: log-linear, %u sub-buckets per power of two (precision %.2f %%); "
		"pN = upper bound of the bucket holding the ceil(N/100*n)-th smallest sample\n",
		BENCH_HIST_SUB_COUNT, 100.0 / BENCH_HIST_SUB_COUNT);
}

static void
ratio_cell(FILE *f, const struct bench_set *set, const struct bench_result *res)
{
	double r50, r99;

	if (res->baseline[0] == '\0') {
		fprintf(f, "  root baseline");
		return;
	}
	if (bench_result_ratio(set, res, res->kind == BENCH_KIND_LATENCY ?
			       BENCH_P50 : BENCH_RATE, &r50) != 0) {
		fprintf(f, "  %s n.a.", res->baseline);
		return;
	}
	if (res->kind == BENCH_KIND_RATE) {
		fprintf(f, "  %.3g× %s", r50, res->baseline);
		return;
	}
	fprintf(f, "  %.3g× %s", r50, res->baseline);
	if (bench_result_ratio(set, res, BENCH_P99, &r99) == 0)
		fprintf(f, " (p99 %.3g×)", r99);
}

static void
latency_tables(FILE *f, const struct bench_set *set)
{
	char name[BENCH_REF_MAX];
	unsigned int n = 0;
	double v;

	for (unsigned int i = 0; i < set->n_res; i++)
		n += set->res[i].kind == BENCH_KIND_LATENCY;
	if (n == 0)
		return;
	for (int ns = 1; ns >= 0; ns--) {
		fprintf(f, "\nLatency (%s per operation)\n", ns ? "ns" : "cycles");
		fprintf(f, "%-22s %-11s %9s %9s %9s %9s %9s %9s", "scenario/variant",
			"unit", "p50", "p90", "p99", "p99.9", "max", "mean");
		fprintf(f, ns ? "  vs baseline (p50)\n" : " %9s\n", "samples");
		for (unsigned int i = 0; i < set->n_res; i++) {
			const struct bench_result *res = &set->res[i];

			if (res->kind != BENCH_KIND_LATENCY)
				continue;
			snprintf(name, sizeof(name), "%s/%s", res->scenario, res->variant);
			fprintf(f, "%-22s %-11s", name, res->unit);
			for (size_t k = 0; k < N_COLS; k++) {
				if (bench_result_metric(res, cols[k], &v) != 0)
					v = NAN;
				fprintf(f, " %9.1f", ns ? bench_set_ns(set, v) : v);
			}
			if (ns)
				ratio_cell(f, set, res);
			else
				fprintf(f, " %9llu", (unsigned long long)res->hist->count);
			fputc('\n', f);
		}
	}
}

static void
rate_table(FILE *f, const struct bench_set *set)
{
	char name[BENCH_REF_MAX];
	unsigned int n = 0;
	double med, lo, hi;

	for (unsigned int i = 0; i < set->n_res; i++)
		n += set->res[i].kind == BENCH_KIND_RATE;
	if (n == 0)
		return;
	fprintf(f, "\nThroughput (operations per second; median, min and max of the repetitions)\n");
	fprintf(f, "%-22s %-11s %12s %12s %12s %9s %9s  vs baseline (median)\n",
		"scenario/variant", "unit", "median/s", "min/s", "max/s", "ns/op",
		"cyc/op");
	for (unsigned int i = 0; i < set->n_res; i++) {
		const struct bench_result *res = &set->res[i];

		if (res->kind != BENCH_KIND_RATE)
			continue;
		if (bench_result_metric(res, BENCH_RATE, &med) != 0)
			med = NAN;
		lo = hi = NAN;
		for (unsigned int k = 0; k < res->n_rates; k++) {
			if (k == 0 || res->rates[k] < lo)
				lo = res->rates[k];
			if (k == 0 || res->rates[k] > hi)
				hi = res->rates[k];
		}
		snprintf(name, sizeof(name), "%s/%s", res->scenario, res->variant);
		fprintf(f, "%-22s %-11s %12.4g %12.4g %12.4g %9.2f %9.2f", name,
			res->unit, med, lo, hi, 1e9 / med, (double)set->tsc_hz / med);
		ratio_cell(f, set, res);
		fputc('\n', f);
	}
}

static void
notes_for(FILE *f, const struct bench_set *set, const char *scenario)
{
	for (unsigned int i = 0; i < set->n_res; i++) {
		const struct bench_result *res = &set->res[i];

		if (strcmp(res->scenario, scenario) == 0 && res->note[0] != '\0') {
			fprintf(f, "  %s/%s: %s\n", res->scenario, res->variant, res->note);
		}
	}
}

static void
headlines(FILE *f, const struct bench_report *rep)
{
	const struct bench_set *set = rep->set;
	struct bench_target_outcome o;
	bool any = false;
	double r;

	fprintf(f, "\nHeadlines (ratio to the baseline measured in this run)\n");
	for (unsigned int i = 0; i < set->n_res; i++) {
		const struct bench_result *res = &set->res[i];
		bool lat = res->kind == BENCH_KIND_LATENCY;

		if (res->baseline[0] == '\0')
			continue;
		any = true;
		if (bench_result_ratio(set, res, lat ? BENCH_P50 : BENCH_RATE, &r) != 0)
			fprintf(f, "  %s/%s: baseline %s not measured\n", res->scenario,
				res->variant, res->baseline);
		else if (lat)
			fprintf(f, "  %s/%s p50 = %.2f× %s p50\n", res->scenario,
				res->variant, r, res->baseline);
		else
			fprintf(f, "  %s/%s rate = %.2f× %s rate\n", res->scenario,
				res->variant, r, res->baseline);
	}
	if (!any)
		fprintf(f, "  (only root baselines were measured)\n");
	for (unsigned int s = 0; s < rep->n_scenarios; s++)
		notes_for(f, set, rep->scenarios[s]->name);

	fprintf(f, "\nTargets (design §7)\n");
	any = false;
	for (unsigned int s = 0; s < rep->n_scenarios; s++) {
		const struct bench_scenario *sc = rep->scenarios[s];

		for (unsigned int t = 0; t < sc->n_targets; t++) {
			any = true;
			bench_target_eval(set, &sc->targets[t], &o);
			fprintf(f, "  target: %s — %s", sc->targets[t].label,
				bench_target_status_str(o.status));
			if (o.status == BENCH_TARGET_NA)
				fprintf(f, " (%s)\n", o.why);
			else
				fprintf(f, " (%.3g)\n", o.value);
		}
	}
	if (!any)
		fprintf(f, "  (no scenario with a target was selected)\n");
}

void
bench_report_text(FILE *f, const struct bench_report *rep)
{
	const struct bench_set *set = rep->set;

	conditions(f, rep->cond);
	latency_tables(f, set);
	rate_table(f, set);
	headlines(f, rep);
	if (set->n_notes > 0) {
		fprintf(f, "\nNot measured (no result counted)\n");
		for (unsigned int i = 0; i < set->n_notes; i++)
			fprintf(f, "  %-10s %s: %s\n", set->notes[i].scenario,
				set->notes[i].status, set->notes[i].why);
	}
}
