/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Scenario "poll": one TLBI_NH_VA + CMD_SYNC through a vCMDQ on the soft
 * backend, the guest on the main lcore and the manager's polling lcore on
 * the worker. Design §7 item 2.
 *
 * Set-up (bench_vm.c): one VM, one soft vIOMMU, one vCMDQ of 256 entries
 * in guest RAM, a nested soft device whose stage-1 table maps
 * POLL_PAGES pages, the IOTLB warmed with all of them. Guest RAM comes
 * from bench_shared_alloc(), the floor's allocator; the queue registers
 * live in the vIOMMU's control region (a memfd the core maps), as in the
 * manager.
 *
 * One sample = one round trip, timed on the main lcore: the guest has
 * written TLBI_NH_VA (ASID 5, leaf, one page, rotating over the POLL_PAGES
 * pages) and CMD_SYNC (CS=NONE) into the ring; the timer starts, the guest
 * stores PROD (release) and waits with the guest helper
 * uiommu_vcmdq_prod_wait() (polls CONS, pause between polls) until CONS
 * has passed the CMD_SYNC; the timer stops. On the worker, the manager's
 * pass has seen PROD, decoded both commands, handed the TLBI to the soft
 * backend's invalidate() (IOTLB probe, then one RCU grace period) at the
 * CMD_SYNC and published CONS.
 *
 * Variants, measured **interleaved** (bench_interleave(): 20 rounds, each
 * running every variant for a block of samples), because the two vCPUs of
 * this virtual machine move between faster and slower placements during a
 * run and the ratios must compare like with like:
 *  - floor: the floor scenario's cache-line ping-pong (same protocol,
 *    bench_pp), measured in the same blocks: the reference of the targets
 *    (its ratio to floor/rtt shows how much the placement moved between
 *    the floor scenario and this one);
 *  - rtt: the manager is lib/mgr's poll engine (uiommu_poll_*), exactly
 *    uiommu-mgr's polling lcore (stats, RCU quiescent state, pause after
 *    an idle pass), default budget. This is the result the targets read.
 *  - rtt-bare: a bare loop of uiommu_vcmdq_process() on the worker, no
 *    pause, no statistics, no RCU — a diagnostic: rtt - rtt-bare is what
 *    the engine's bookkeeping and idle pause add.
 *  - sync-only: the bare loop, and a CMD_SYNC alone (no TLBI: nothing
 *    reaches the backend) — a diagnostic: sync-only - floor is what the
 *    vCMDQ protocol adds to the bare line ping-pong (PROD, ring slot and
 *    CONS lines, decode), rtt-bare - sync-only what one TLBI_NH_VA adds
 *    (its dispatch and the soft backend's invalidate() with its grace
 *    period).
 *  - rtt-prefetch: the bare loop, which after an idle pass prefetches each
 *    queue's next ring line (bench_vm.c) — an experiment measuring what
 *    that change to the engine would save.
 * The bare loops also time, on the worker, each uiommu_vcmdq_process()
 * call that found work (a duration on the worker's own TSC); the note
 * gives its p50: the manager's share of the round trip. For the engine the
 * note gives its mean idle pass (its own counters): a request waits for
 * half of one on average before the pass that sees it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bench.h"
#include "bench_vm.h"

/* Pages of the nested device, all in the IOTLB; the TLBIs rotate over them. */
#define POLL_PAGES 64u
/* Ring entries (log2). */
#define POLL_RING_LOG2 8u

static const struct bench_target poll_targets[] = {
	{ "poll p50 ≤ 2× floor p50 (floor interleaved with poll)", "poll/rtt",
	  BENCH_P50, "poll/floor", BENCH_P50, BENCH_AT_MOST, 2.0 },
	{ "poll p99 ≤ 3× floor p99 (floor interleaved with poll)", "poll/rtt",
	  BENCH_P99, "poll/floor", BENCH_P99, BENCH_AT_MOST, 3.0 },
	{ "poll ≥ 10× faster than trap at p50 (fastest trap variant)", "trap/*",
	  BENCH_P50, "poll/rtt", BENCH_P50, BENCH_AT_LEAST, 10.0 },
	{ "poll ≥ 10× faster than the same commands by eventfd at p50",
	  "trap/cmdq-eventfd", BENCH_P50, "poll/rtt", BENCH_P50,
	  BENCH_AT_LEAST, 10.0 },
};

#define POLL_NVARS 5u

static int
poll_measure(struct bench_ctx *ctx, struct bench_vm *vm)
{
	static const struct {
		const char *name;
		enum bench_mgr_kind kind;
		unsigned int pages;
		const char *mgr;
	} def[POLL_NVARS - 1] = {
		{ "rtt", BENCH_MGR_ENGINE, POLL_PAGES, "lib/mgr poll engine" },
		{ "rtt-bare", BENCH_MGR_BARE, POLL_PAGES, "bare process loop, no pause" },
		{ "sync-only", BENCH_MGR_BARE, 0, "bare process loop, no pause" },
		{ "rtt-prefetch", BENCH_MGR_BARE_PREFETCH, POLL_PAGES,
		  "bare loop + next-slot prefetch" },
	};
	struct bench_mgr_var mv[POLL_NVARS - 1];
	struct bench_ilv v[POLL_NVARS];
	struct bench_pp pp = { 0 };
	int rc = 0;

	memset(mv, 0, sizeof(mv));
	memset(v, 0, sizeof(v));
	v[0] = (struct bench_ilv){
		.res = bench_set_add_latency(ctx->set, "poll", "floor", "floor/rtt",
					     "round trip", 1),
		.start = bench_pp_start, .stop = bench_pp_stop,
		.sample = bench_pp_sample, .arg = &pp,
	};
	if (v[0].res == NULL)
		return -errno;
	snprintf(v[0].res->note, sizeof(v[0].res->note),
		 "the floor's ping-pong, interleaved with the poll variants");
	for (unsigned int k = 0; k < POLL_NVARS - 1; k++) {
		mv[k] = (struct bench_mgr_var){
			.kind = def[k].kind, .lim = { .budget = UIOMMU_POLL_BUDGET_DEFAULT },
			.vms = &vm, .nvms = 1,
			.rtt = { .vq = &vm->q[0], .pages = def[k].pages },
		};
		if (def[k].kind != BENCH_MGR_ENGINE) {
			mv[k].out.work = bench_hist_alloc();
			if (mv[k].out.work == NULL) {
				rc = -ENOMEM;
				goto out;
			}
		}
		v[k + 1] = (struct bench_ilv){
			.res = bench_set_add_latency(ctx->set, "poll", def[k].name,
						     "poll/floor", "round trip", 1),
			.start = bench_mgr_var_start, .stop = bench_mgr_var_stop,
			.sample = bench_mgr_var_sample, .arg = &mv[k],
		};
		if (v[k + 1].res == NULL) {
			rc = -errno;
			goto out;
		}
	}
	rc = bench_interleave(ctx, v, POLL_NVARS);
	if (rc != 0)
		goto out;
	for (unsigned int k = 0; k < POLL_NVARS - 1; k++) {
		const struct bench_mgr_out *o = &mv[k].out;
		char work[40] = "";

		if (o->work != NULL && o->work->count != 0)
			snprintf(work, sizeof(work), "; process() p50 %.0f ns",
				 bench_set_ns(ctx->set,
					      (double)bench_hist_percentile(o->work, 50.0)));
		else if (o->idle_passes != 0)
			snprintf(work, sizeof(work), "; idle pass %.0f ns",
				 bench_set_ns(ctx->set, (double)o->idle_cycles /
							(double)o->idle_passes));
		snprintf(v[k + 1].res->note, sizeof(v[k + 1].res->note),
			 "%s, soft, %u warm IOTLB pages; manager: %s, budget %u%s",
			 def[k].pages != 0 ? "TLBI_NH_VA + CMD_SYNC" : "CMD_SYNC alone",
			 POLL_PAGES, def[k].mgr, UIOMMU_POLL_BUDGET_DEFAULT, work);
	}
out:
	for (unsigned int k = 0; k < POLL_NVARS - 1; k++)
		bench_hist_free(mv[k].out.work);
	/* Newest first: a drop moves the results added after it. */
	if (rc != 0)
		for (unsigned int k = POLL_NVARS; k-- > 0;)
			bench_set_drop(ctx->set, v[k].res);
	return rc;
}

static int
poll_run(struct bench_ctx *ctx)
{
	const struct bench_vm_conf conf = {
		.name = "bench-poll", .nviommus = 1, .nqueues = 1,
		.ring_log2 = POLL_RING_LOG2, .s1_pages = POLL_PAGES,
	};
	struct bench_vm *vm;
	char why[128] = "";
	int rc;

	rc = bench_vm_create(&conf, &vm, why, sizeof(why));
	if (rc != 0) {
		bench_set_failed(ctx->set, "poll", rc, "set-up: %s", why);
		return rc;
	}
	rc = poll_measure(ctx, vm);
	bench_vm_destroy(vm);
	if (rc != 0)
		bench_set_failed(ctx->set, "poll", rc, "%s",
				 rc == -ETIMEDOUT ? "the other lcore stopped answering" :
				 rc == -EIO ? "the queue stopped on a command error" :
					      "round trip failed");
	return rc;
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
