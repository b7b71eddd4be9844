/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Scenario "tput" (hook, not yet implemented): commands per second for a
 * stream of TLBI_NH_VA with a CMD_SYNC every N commands (N = 1, 8, 32, 256)
 * through one vCMDQ, soft backend; producer on the main lcore, the
 * manager's poll loop on the worker. Design §7 item 4.
 *
 * Contract for the implementation: one rate result per N named
 * "tput/syncN" (e.g. "tput/sync32"), unit "command", baseline "ring/bN"
 * (the raw SPSC ring at the same burst), repetitions recorded with
 * bench_result_add_rep() in commands per second, ctx->reps timed
 * repetitions after one warm-up, as sc_ring.c does. The target below reads
 * "tput/sync32" against "ring/b32".
 */
#include "bench.h"

static const struct bench_target tput_targets[] = {
	{ "tput at CMD_SYNC every 32 ≥ 25 % of the raw ring at burst 32",
	  "tput/sync32", BENCH_RATE, "ring/b32", BENCH_RATE, BENCH_AT_LEAST, 0.25 },
};

static int
tput_run(struct bench_ctx *ctx)
{
	bench_set_unavailable(ctx->set, "tput", "not yet available",
			      "needs the vCMDQ ring (lib/cmdq), the poll engine "
			      "(lib/mgr) and the soft backend (drivers/iommu/soft)");
	return 0;
}

static const struct bench_scenario sc_tput = {
	.name = "tput",
	.summary = "TLBI_NH_VA stream with CMD_SYNC every 1/8/32/256, commands/s (baseline: ring)",
	.baseline = "ring",
	.order = 110,
	.plot = false,
	.targets = tput_targets,
	.n_targets = sizeof(tput_targets) / sizeof(tput_targets[0]),
	.run = tput_run,
};

BENCH_SCENARIO_REGISTER(sc_tput)
