/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * JSON report: one object with the run's conditions, settings, every
 * measured variant (percentiles in cycles and ns, or rates), the headline
 * ratio to its baseline, the targets and the scenarios that produced no
 * result. Schema (version 1), top-level keys:
 *
 *   tool, version, schema, command_line,
 *   conditions   {cpu_model, online_cpus, hypervisor, invariant_tsc,
 *                 lcores{main, worker, main_cpu, worker_cpu, ...},
 *                 hugepages, no_huge_fallback, eal_adjustment, dpdk_version, kernel, date,
 *                 governor, loadavg1, tsc{hz_eal, hz_measured, deviation_ppm,
 *                 hz_used, source, calibration_ms, clocksource}, timer_overhead_cycles}
 *   settings     {samples, warmup, reps, quick, histogram{sub_bucket_bits,
 *                 precision, percentile_rank}}
 *   results      [{scenario, variant, kind: "latency"|"rate", unit, note,
 *                  baseline, ratio_metric, ratio, ...}]
 *                 latency: samples, ops_per_sample, cycles{min, p50, p90, p99,
 *                          p99.9, max, mean}, ns{same}, ratio_p99
 *                 rate:    reps, ops_per_rep, rate{median, min, max, mean}
 *                          (operations/s), ns_per_op, cycles_per_op
 *   targets      [{scenario, label, status: "MET"|"MISSED"|"n.a.", value, why}]
 *   not_measured [{scenario, status, why, error}]
 *
 * A scenario that was not available is only in not_measured, never in
 * results. Numbers that do not exist are null.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <rte_common.h>

#include "bench.h"
#include "json.h"

static const struct {
	const char *key;
	enum bench_metric m;
} lat_metrics[] = {
	{ "min", BENCH_MIN }, { "p50", BENCH_P50 }, { "p90", BENCH_P90 },
	{ "p99", BENCH_P99 }, { "p99.9", BENCH_P999 }, { "max", BENCH_MAX },
	{ "mean", BENCH_MEAN },
};

static void
conditions(struct bench_json *j, const struct bench_conditions *c)
{
	bench_json_obj_begin(j, "conditions");
	bench_json_str(j, "cpu_model", c->cpu_model);
	bench_json_u64(j, "online_cpus", c->online_cpus);
	bench_json_bool(j, "hypervisor", c->hypervisor);
	bench_json_bool(j, "invariant_tsc", c->invariant_tsc);
	bench_json_obj_begin(j, "lcores");
	bench_json_u64(j, "main", c->main_lcore);
	bench_json_u64(j, "worker", c->worker_lcore);
	bench_json_i64(j, "main_cpu", c->main_cpu);
	bench_json_i64(j, "worker_cpu", c->worker_cpu);
	bench_json_i64(j, "main_core_id", c->main_core_id);
	bench_json_i64(j, "worker_core_id", c->worker_core_id);
	bench_json_i64(j, "main_package", c->main_pkg);
	bench_json_i64(j, "worker_package", c->worker_pkg);
	if (c->smt_siblings < 0)
		bench_json_null(j, "smt_siblings");
	else
		bench_json_bool(j, "smt_siblings", c->smt_siblings == 1);
	bench_json_u64(j, "in_core_list", c->lcores_given);
	bench_json_obj_end(j);
	bench_json_bool(j, "hugepages", c->hugepages);
	bench_json_bool(j, "no_huge_fallback", c->no_huge_fallback);
	bench_json_str(j, "eal_adjustment", c->eal_adjust[0] ? c->eal_adjust : NULL);
	bench_json_str(j, "dpdk_version", c->dpdk_version);
	bench_json_str(j, "kernel", c->kernel);
	bench_json_str(j, "date", c->date);
	bench_json_str(j, "governor", c->governor[0] ? c->governor : NULL);
	bench_json_num(j, "loadavg1", c->loadavg1 >= 0 ? c->loadavg1 : NAN);
	bench_json_obj_begin(j, "tsc");
	bench_json_u64(j, "hz_eal", c->tsc_hz_eal);
	bench_json_num(j, "hz_measured", c->tsc_hz_measured);
	bench_json_num(j, "deviation_ppm", c->tsc_dev_ppm);
	bench_json_u64(j, "hz_used", c->tsc_hz);
	bench_json_str(j, "source", c->tsc_source);
	bench_json_u64(j, "calibration_ms", c->calib_ms);
	bench_json_str(j, "clocksource", c->clocksource[0] ? c->clocksource : NULL);
	bench_json_obj_end(j);
	bench_json_u64(j, "timer_overhead_cycles", c->timer_overhead);
	bench_json_obj_end(j);
}

static void
settings(struct bench_json *j, const struct bench_conditions *c)
{
	bench_json_obj_begin(j, "settings");
	bench_json_u64(j, "samples", c->samples);
	bench_json_u64(j, "warmup", c->warmup);
	bench_json_u64(j, "reps", c->reps);
	bench_json_bool(j, "quick", c->quick);
	bench_json_obj_begin(j, "histogram");
	bench_json_u64(j, "sub_bucket_bits", BENCH_HIST_SUB_BITS);
	bench_json_num(j, "precision", 1.0 / BENCH_HIST_SUB_COUNT);
	bench_json_str(j, "percentile_rank",
		       "nearest rank r = ceil(p/100*n); value = upper bound of the "
		       "bucket holding the r-th smallest sample, clamped to max");
	bench_json_obj_end(j);
	bench_json_obj_end(j);
}

static void
latency(struct bench_json *j, const struct bench_set *set,
	const struct bench_result *res)
{
	double v;

	bench_json_u64(j, "samples", res->hist->count);
	bench_json_u64(j, "ops_per_sample", res->ops_per_sample);
	for (int ns = 0; ns < 2; ns++) {
		bench_json_obj_begin(j, ns ? "ns" : "cycles");
		for (size_t k = 0; k < RTE_DIM(lat_metrics); k++) {
			if (bench_result_metric(res, lat_metrics[k].m, &v) != 0)
				v = NAN;
			bench_json_num(j, lat_metrics[k].key, ns ? bench_set_ns(set, v) : v);
		}
		bench_json_obj_end(j);
	}
}

static void
rate(struct bench_json *j, const struct bench_set *set,
     const struct bench_result *res)
{
	double med = NAN, lo = NAN, hi = NAN, sum = 0.0;

	if (bench_result_metric(res, BENCH_RATE, &med) != 0)
		med = NAN;
	for (unsigned int i = 0; i < res->n_rates; i++) {
		if (i == 0 || res->rates[i] < lo)
			lo = res->rates[i];
		if (i == 0 || res->rates[i] > hi)
			hi = res->rates[i];
		sum += res->rates[i];
	}
	bench_json_u64(j, "reps", res->n_rates);
	bench_json_u64(j, "ops_per_rep", res->ops_per_rep);
	bench_json_obj_begin(j, "rate");
	bench_json_num(j, "median", med);
	bench_json_num(j, "min", lo);
	bench_json_num(j, "max", hi);
	bench_json_num(j, "mean", res->n_rates ? sum / res->n_rates : NAN);
	bench_json_obj_end(j);
	bench_json_num(j, "ns_per_op", med > 0 ? 1e9 / med : NAN);
	bench_json_num(j, "cycles_per_op", med > 0 ? (double)set->tsc_hz / med : NAN);
}

static void
results(struct bench_json *j, const struct bench_set *set)
{
	double r;

	bench_json_arr_begin(j, "results");
	for (unsigned int i = 0; i < set->n_res; i++) {
		const struct bench_result *res = &set->res[i];
		bool lat = res->kind == BENCH_KIND_LATENCY;
		enum bench_metric head = lat ? BENCH_P50 : BENCH_RATE;

		bench_json_obj_begin(j, NULL);
		bench_json_str(j, "scenario", res->scenario);
		bench_json_str(j, "variant", res->variant);
		bench_json_str(j, "kind", lat ? "latency" : "rate");
		bench_json_str(j, "unit", res->unit);
		bench_json_str(j, "note", res->note);
		bench_json_str(j, "baseline", res->baseline[0] ? res->baseline : NULL);
		bench_json_str(j, "ratio_metric", bench_metric_name(head));
		bench_json_num(j, "ratio",
			       bench_result_ratio(set, res, head, &r) == 0 ? r : NAN);
		if (lat) {
			bench_json_num(j, "ratio_p99",
				       bench_result_ratio(set, res, BENCH_P99, &r) == 0 ? r : NAN);
			latency(j, set, res);
		} else {
			rate(j, set, res);
		}
		bench_json_obj_end(j);
	}
	bench_json_arr_end(j);
}

static void
targets(struct bench_json *j, const struct bench_report *rep)
{
	struct bench_target_outcome o;

	bench_json_arr_begin(j, "targets");
	for (unsigned int s = 0; s < rep->n_scenarios; s++) {
		const struct bench_scenario *sc = rep->scenarios[s];

		for (unsigned int t = 0; t < sc->n_targets; t++) {
			bench_target_eval(rep->set, &sc->targets[t], &o);
			bench_json_obj_begin(j, NULL);
			bench_json_str(j, "scenario", sc->name);
			bench_json_str(j, "label", sc->targets[t].label);
			bench_json_str(j, "status", bench_target_status_str(o.status));
			bench_json_num(j, "value", o.value);
			bench_json_num(j, "bound", sc->targets[t].bound);
			bench_json_str(j, "why", o.why[0] ? o.why : NULL);
			bench_json_obj_end(j);
		}
	}
	bench_json_arr_end(j);
}

static void
notes(struct bench_json *j, const struct bench_set *set)
{
	bench_json_arr_begin(j, "not_measured");
	for (unsigned int i = 0; i < set->n_notes; i++) {
		const struct bench_note *n = &set->notes[i];

		bench_json_obj_begin(j, NULL);
		bench_json_str(j, "scenario", n->scenario);
		bench_json_str(j, "status", n->status);
		bench_json_str(j, "why", n->why);
		if (n->err != 0)
			bench_json_str(j, "error", strerror(-n->err));
		else
			bench_json_null(j, "error");
		bench_json_obj_end(j);
	}
	bench_json_arr_end(j);
}

int
bench_report_json(const char *path, const struct bench_report *rep)
{
	struct bench_json j;
	FILE *f = fopen(path, "w");
	int rc;

	if (f == NULL)
		return -errno;
	bench_json_init(&j, f);
	bench_json_obj_begin(&j, NULL);
	bench_json_str(&j, "tool", "uiommu-bench");
	bench_json_str(&j, "version", rep->cond->tool_version);
	bench_json_u64(&j, "schema", 1);
	bench_json_str(&j, "command_line", rep->cond->command_line);
	conditions(&j, rep->cond);
	settings(&j, rep->cond);
	results(&j, rep->set);
	targets(&j, rep);
	notes(&j, rep->set);
	bench_json_obj_end(&j);
	rc = bench_json_fini(&j);
	if (fclose(f) != 0 && rc == 0)
		rc = -EIO;
	return rc;
}
