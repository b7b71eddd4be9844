/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Scenario "poll" (hook, not yet implemented): one TLBI_NH_VA + CMD_SYNC
 * through a vCMDQ, soft backend, "guest" on the main lcore and the
 * manager's poll loop on the worker lcore; one sample = the round trip from
 * writing the two commands and bumping PROD to seeing CONS pass the
 * CMD_SYNC (or its MSI write). This is design §7 item 2.
 *
 * Contract for the implementation (the targets below depend on it):
 *  - one latency result "poll/rtt", unit "round trip", baseline "floor/rtt";
 *  - the queue, control page and guest RAM come from the same allocator as
 *    the floor's line (bench_shared_alloc), so the memory kind matches;
 *  - the worker side is the manager's real poll loop, started with
 *    bench_worker_start() and stopped before run() returns.
 * Until lib/cmdq, lib/mgr and drivers/iommu/soft provide it, run() records
 * "not yet available" and no result.
 */
#include "bench.h"

static const struct bench_target poll_targets[] = {
	{ "poll p50 ≤ 2× floor p50", "poll/rtt", BENCH_P50,
	  "floor/rtt", BENCH_P50, BENCH_AT_MOST, 2.0 },
	{ "poll p99 ≤ 3× floor p99", "poll/rtt", BENCH_P99,
	  "floor/rtt", BENCH_P99, BENCH_AT_MOST, 3.0 },
	{ "poll ≥ 10× faster than trap at p50 (fastest trap variant)", "trap/*",
	  BENCH_P50, "poll/rtt", BENCH_P50, BENCH_AT_LEAST, 10.0 },
};

static int
poll_run(struct bench_ctx *ctx)
{
	bench_set_unavailable(ctx->set, "poll", "not yet available",
			      "needs the vCMDQ ring (lib/cmdq), the poll engine "
			      "(lib/mgr) and the soft backend (drivers/iommu/soft)");
	return 0;
}

static const struct bench_scenario sc_poll = {
	.name = "poll",
	.summary = "TLBI_NH_VA + CMD_SYNC round trip through a vCMDQ, soft backend (baseline: floor)",
	.baseline = "floor",
	.order = 100,
	.plot = true,
	.targets = poll_targets,
	.n_targets = sizeof(poll_targets) / sizeof(poll_targets[0]),
	.run = poll_run,
};

BENCH_SCENARIO_REGISTER(sc_poll)
