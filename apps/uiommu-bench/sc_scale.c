/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Scenario "scale" (hook, not yet implemented): p99 of one active queue
 * while the poll lcore also scans 1..256 idle queues, and while another VM
 * floods its queues. Design §7 item 5.
 *
 * Contract for the implementation (the targets below depend on it):
 *  - latency results "scale/idleN" (N idle queues), baseline "poll/rtt";
 *  - a latency result "scale/per-idle-queue" whose samples are the
 *    marginal cost of one idle queue (slope of the idle sweep), unit
 *    "queue";
 *  - "scale/quiet" (the quiet VM alone) and "scale/flood" (the same VM
 *    while another floods), both baseline "poll/rtt".
 */
#include "bench.h"

static const struct bench_target scale_targets[] = {
	{ "idle-queue cost ≤ 10 ns per queue (p50)", "scale/per-idle-queue",
	  BENCH_P50, NULL, BENCH_P50, BENCH_AT_MOST, 10.0 },
	{ "a flood raises the quiet VM's p99 by ≤ 2×", "scale/flood", BENCH_P99,
	  "scale/quiet", BENCH_P99, BENCH_AT_MOST, 2.0 },
};

static int
scale_run(struct bench_ctx *ctx)
{
	bench_set_unavailable(ctx->set, "scale", "not yet available",
			      "needs the poll engine's multi-queue scan (lib/mgr) "
			      "and the poll scenario it is compared with");
	return 0;
}

static const struct bench_scenario sc_scale = {
	.name = "scale",
	.summary = "one queue's p99 with 1..256 idle queues and under another VM's flood (baseline: poll)",
	.baseline = "poll",
	.order = 120,
	.plot = false,
	.targets = scale_targets,
	.n_targets = sizeof(scale_targets) / sizeof(scale_targets[0]),
	.run = scale_run,
};

BENCH_SCENARIO_REGISTER(sc_scale)
