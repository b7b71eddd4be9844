/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Scenario "translate" (hook, not yet implemented): cost of a soft IOTLB
 * hit and of a nested-walk miss (stage-1 walk with every table access
 * translated through stage-2), on the main lcore. Design §7 item 6.
 *
 * Contract for the implementation: latency results "translate/hit" and
 * "translate/miss-<levels>", unit "translation", measured like sc_chase.c
 * (32 translations per sample, ops_per_sample = 32, tables warm in cache),
 * each with the baseline "chase/l1-dN" or "chase/l2-dN" whose depth equals
 * the number of dependent loads of that path, so the headline is the
 * overhead over a bare chain of the same depth.
 */
#include "bench.h"

static int
translate_run(struct bench_ctx *ctx)
{
	bench_set_unavailable(ctx->set, "translate", "not yet available",
			      "needs the soft IOTLB (lib/iotlb) and the nested walker "
			      "(drivers/iommu/soft); its baseline, chase, is measured");
	return 0;
}

static const struct bench_scenario sc_translate = {
	.name = "translate",
	.summary = "soft IOTLB hit and nested-walk miss vs a dependent-load chain (baseline: chase)",
	.baseline = "chase",
	.order = 130,
	.plot = false,
	.run = translate_run,
};

BENCH_SCENARIO_REGISTER(sc_translate)
