/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Scenario "scale": what other queues on the same polling lcore cost one
 * active queue. Design §7 item 5. Three parts, all with the manager's poll
 * engine (lib/mgr) on the worker lcore and the same round trip as the poll
 * scenario (TLBI_NH_VA + CMD_SYNC, bench_rtt_once) on the active queue,
 * the variants of parts 1 and 3 each measured interleaved
 * (bench_interleave(): 20 rounds of one block per variant, each block
 * starting with the other VM's queues drained):
 *
 *  1. scale/idleN, N = 1, 4, 16, 64, 256: the engine also scans N idle
 *     queues (enabled, empty; 2^4 entries each) of another VM, ceil(N/128)
 *     soft vIOMMUs. The active queue comes first in the pass; a request
 *     lands at a random point of the pass, so the expected extra wait is
 *     half a pass over the idle queues. Baseline poll/rtt.
 *
 *  2. scale/per-idle-queue: the cost of scanning one idle queue, measured
 *     on the main lcore with nobody else polling those queues: one sample
 *     is one pass of uiommu_vcmdq_process(q, budget) over all 256 idle
 *     queues, ops_per_sample = 256, so it reads in ns per queue (the pass's
 *     fixed cost, a loop and a function call, is spread over 256). The same
 *     pass over the first 1, 4, 16, 64 queues is timed too (local
 *     histograms) and the note gives the marginal cost of one more idle
 *     queue between successive points of the sweep, (p50(N2) - p50(N1)) /
 *     (N2 - N1): equal segments mean the cost grows linearly. Root
 *     baseline (the target is absolute: ≤ 10 ns per queue).
 *
 *  3. scale/quiet and scale/flood: the active (quiet) VM and a flood VM
 *     with FLOOD_QUEUES queues of 1024 entries on the same lcore, the
 *     engine's default limits (UIOMMU_POLL_BUDGET_DEFAULT per queue,
 *     UIOMMU_POLL_VM_BUDGET_DEFAULT per VM per pass). quiet: the flood
 *     VM's queues are registered but empty. flood: before each quiet round
 *     trip (untimed) the main lcore tops every flood queue up to full with
 *     TLBI_NH_VA and a CMD_SYNC every 32, so during the timed round trip
 *     each flood queue always has more than a budget of commands waiting.
 *     Both baseline poll/rtt; the target compares flood with quiet at p99.
 *     flood-vnone: the same flood without the per-VM limit (per-queue
 *     budget only: the engine's rule before the per-VM budget existed);
 *     flood-v32, flood-v16, flood-v4: per-VM budgets of 32, 16 and 4, to
 *     measure what the limit buys (the quiet VM's two commands fit all).
 *     The note of each flood variant gives the flood commands consumed per
 *     quiet round trip and the flood VM's own rate over its blocks (what
 *     the limit costs the flooding VM).
 *     The flood VM cannot run on a core of its own (the machine has two);
 *     refilling between samples makes its queues as full as a guest on a
 *     third core would.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>

#include "bench.h"
#include "bench_vm.h"
#include "uiommu_poll.h"

#define SCALE_PAGES 64u
#define SCALE_RING_LOG2 8u
#define IDLE_MAX 256u
#define IDLE_RING_LOG2 4u
#define FLOOD_QUEUES 4u
#define FLOOD_RING_LOG2 10u
#define FLOOD_SYNC_EVERY 32u

static const struct bench_target scale_targets[] = {
	{ "idle-queue cost ≤ 10 ns per queue (p50)", "scale/per-idle-queue",
	  BENCH_P50, NULL, BENCH_P50, BENCH_AT_MOST, 10.0 },
	{ "a flood raises the quiet VM's p99 by ≤ 2×", "scale/flood", BENCH_P99,
	  "scale/quiet", BENCH_P99, BENCH_AT_MOST, 2.0 },
};

struct flood {
	struct bench_vm *vm;
	struct uiommu_cmd batch[FLOOD_SYNC_EVERY + 1];
	uint64_t topped;	/* commands written by the top-ups */
	uint64_t samples;
};

/* Before each quiet round trip: fill every flood queue to the brim. */
static int
flood_topup(void *arg)
{
	struct flood *f = arg;

	for (unsigned int i = 0; i < f->vm->nq; i++) {
		struct bench_vq *vq = &f->vm->q[i];
		uint32_t space = uiommu_vcmdq_prod_space(&vq->p);
		bool wrote = false;

		while (space >= FLOOD_SYNC_EVERY + 1) {
			if (uiommu_vcmdq_prod_write(&vq->p, f->batch,
						    FLOOD_SYNC_EVERY + 1) !=
			    FLOOD_SYNC_EVERY + 1)
				return -ENOSPC;
			space -= FLOOD_SYNC_EVERY + 1;
			f->topped += FLOOD_SYNC_EVERY + 1;
			wrote = true;
		}
		if (wrote)
			uiommu_vcmdq_prod_publish(&vq->p);
		/* A flood queue that stopped on an error would stop flooding. */
		if (uiommu_vcmdq_prod_error_pending(&vq->p, NULL, NULL))
			return -EIO;
	}
	f->samples++;
	return 0;
}

/* A round-trip variant of the scale scenario, for bench_interleave(). */
struct scale_var {
	struct bench_mgr_var mv;
	struct bench_vm *other;	/* the VM whose queue count varies, or NULL */
	unsigned int other_nq;	/* its queues handed to the manager */
	/* Flood accounting over the blocks (flood VM's commands, quiet syncs,
	 * main-lcore cycles from the start of the timed part to the stop). */
	uint64_t flood_cmds, quiet_syncs, mark_flood, mark_quiet;
	uint64_t cycles, mark_tsc;
};

static uint64_t
vm_commands(const struct bench_vm *vm, bool syncs)
{
	uint64_t n = 0;

	for (unsigned int i = 0; i < vm->nq; i++) {
		struct uiommu_vcmdq_stats st;

		uiommu_vcmdq_stats_get(vm->q[i].q, &st);
		n += syncs ? st.syncs : st.commands;
	}
	return n;
}

static int
scale_start(struct bench_ctx *ctx, void *arg)
{
	struct scale_var *sv = arg;
	int rc;

	if (sv->other != NULL) {
		sv->other->mgr_nq = sv->other_nq;
		sv->mark_flood = vm_commands(sv->other, false);
	}
	sv->mark_quiet = vm_commands(sv->mv.vms[0], true);
	rc = bench_mgr_var_start(ctx, &sv->mv);
	/* Every block starts with the other VM's queues empty: what a flood
	 * block left in them is consumed before this block's warm-up. */
	for (unsigned int i = 0; sv->other != NULL && i < sv->other->nq && rc == 0; i++) {
		struct bench_vq *vq = &sv->other->q[i];

		rc = bench_vq_wait(vq, uiommu_vcmdq_prod_index(&vq->p),
				   bench_vm_timeout(ctx));
	}
	if (rc != 0)
		(void)bench_mgr_var_stop(ctx, &sv->mv);
	sv->mark_tsc = rte_rdtsc();
	return rc;
}

static int
scale_stop(struct bench_ctx *ctx, void *arg)
{
	struct scale_var *sv = arg;
	uint64_t now = rte_rdtsc();
	int rc = bench_mgr_var_stop(ctx, &sv->mv);

	sv->cycles += now - sv->mark_tsc;
	/* The manager has stopped: the counters are final for this block. */
	if (sv->other != NULL)
		sv->flood_cmds += vm_commands(sv->other, false) - sv->mark_flood;
	sv->quiet_syncs += vm_commands(sv->mv.vms[0], true) - sv->mark_quiet;
	return rc;
}

static int
scale_sample(void *arg, uint64_t *cycles)
{
	struct scale_var *sv = arg;

	return bench_rtt_once(&sv->mv.rtt, cycles);
}

/* Run nv round-trip variants interleaved; results added here. */
static int
scale_group(struct bench_ctx *ctx, struct scale_var *sv, const char *const *names,
	    unsigned int nv)
{
	struct bench_ilv v[8];
	int rc = 0;

	if (nv > 8)
		return -EINVAL;
	memset(v, 0, sizeof(v));
	for (unsigned int k = 0; k < nv && rc == 0; k++) {
		v[k] = (struct bench_ilv){
			.res = bench_set_add_latency(ctx->set, "scale", names[k], "poll/rtt",
						     "round trip", 1),
			.start = scale_start, .stop = scale_stop,
			.sample = scale_sample, .arg = &sv[k],
		};
		if (v[k].res == NULL)
			rc = -errno;
	}
	if (rc == 0)
		rc = bench_interleave(ctx, v, nv);
	/* Newest first: a drop moves the results added after it. */
	if (rc != 0)
		for (unsigned int k = nv; k-- > 0;)
			bench_set_drop(ctx->set, v[k].res);
	return rc;
}

static const struct bench_result *
scale_res(struct bench_ctx *ctx, const char *variant)
{
	char ref[BENCH_REF_MAX];

	snprintf(ref, sizeof(ref), "scale/%s", variant);
	return bench_set_find(ctx->set, ref, BENCH_P50);
}

/* Part 1: the active queue's round trip with N idle queues, interleaved. */
static int
idle_sweep(struct bench_ctx *ctx, struct bench_vm *act, struct bench_vm *idle)
{
	static const unsigned int ns[] = { 1, 4, 16, 64, 256 };
	static const char *const names[] = {
		"idle1", "idle4", "idle16", "idle64", "idle256",
	};
	const unsigned int nv = sizeof(ns) / sizeof(ns[0]);
	struct bench_vm *vms[2] = { act, idle };
	struct scale_var sv[5];
	int rc;

	memset(sv, 0, sizeof(sv));
	for (unsigned int k = 0; k < nv; k++)
		sv[k] = (struct scale_var){
			.mv = {
				.kind = BENCH_MGR_ENGINE,
				.lim = { .budget = UIOMMU_POLL_BUDGET_DEFAULT },
				.vms = vms, .nvms = 2,
				.rtt = { .vq = &act->q[0], .pages = SCALE_PAGES },
			},
			.other = idle, .other_nq = ns[k],
		};
	rc = scale_group(ctx, sv, names, nv);
	idle->mgr_nq = idle->nq;
	for (unsigned int k = 0; k < nv && rc == 0; k++) {
		struct bench_result *res = (struct bench_result *)scale_res(ctx, names[k]);

		if (res != NULL)
			snprintf(res->note, sizeof(res->note),
				 "poll's round trip; the engine also scans %u idle "
				 "queues (%u vIOMMU(s)) of another VM, budget %u", ns[k],
				 (ns[k] + UIOMMU_MAX_VCMDQS - 1) / UIOMMU_MAX_VCMDQS,
				 UIOMMU_POLL_BUDGET_DEFAULT);
	}
	return rc;
}

/* One pass over the first n idle queues on this lcore; returns cycles. */
static uint64_t
scan_pass(struct bench_vm *idle, unsigned int n)
{
	uint64_t t0, t1;
	unsigned int work = 0;

	t0 = bench_tsc_begin();
	for (unsigned int i = 0; i < n; i++)
		work += uiommu_vcmdq_process(idle->q[i].q, UIOMMU_POLL_BUDGET_DEFAULT);
	t1 = bench_tsc_end();
	return work == 0 ? t1 - t0 : 0;
}

/* Part 2: per-idle-queue cost and the linear fit of the sweep. */
static int
idle_scan(struct bench_ctx *ctx, struct bench_vm *idle)
{
	static const unsigned int ns[] = { 1, 4, 16, 64, 256 };
	const size_t nn = sizeof(ns) / sizeof(ns[0]);
	double x[5], y[5], m[4];
	struct bench_result *res;
	struct bench_hist *h;
	int rc = 0;

	res = bench_set_add_latency(ctx->set, "scale", "per-idle-queue", "",
				    "queue", IDLE_MAX);
	if (res == NULL)
		return -errno;
	h = bench_hist_alloc();
	if (h == NULL) {
		bench_set_drop(ctx->set, res);
		return -ENOMEM;
	}
	for (size_t k = 0; k < nn && rc == 0; k++) {
		struct bench_hist *dst = ns[k] == IDLE_MAX ? res->hist : h;

		bench_hist_reset(h);
		for (uint64_t i = 0; i < ctx->warmup + ctx->samples; i++) {
			uint64_t c = scan_pass(idle, ns[k]);

			if (c == 0) {	/* an idle queue had work: impossible */
				rc = -EPROTO;
				break;
			}
			if (i >= ctx->warmup)
				bench_hist_record(dst, c);
		}
		x[k] = ns[k];
		y[k] = (double)bench_hist_percentile(dst, 50.0);
	}
	bench_hist_free(h);
	if (rc != 0) {
		bench_set_drop(ctx->set, res);
		return rc;
	}
	/* Marginal cost per added queue between successive sweep points:
	 * equal segments mean the cost is linear in the number of queues. */
	for (size_t k = 1; k < nn; k++)
		m[k - 1] = bench_set_ns(ctx->set, (y[k] - y[k - 1]) / (x[k] - x[k - 1]));
	snprintf(res->note, sizeof(res->note),
		 "pass over %u idle queues, main lcore; marginal ns/queue 1-4 %.1f, "
		 "4-16 %.1f, 16-64 %.1f, 64-256 %.1f", IDLE_MAX, m[0], m[1], m[2], m[3]);
	return 0;
}

/*
 * Part 3, interleaved: the quiet VM alone (flood VM idle), under the flood
 * with the engine's default limits (the target), without the per-VM limit
 * (the per-queue budget alone, the rule before it) and with other per-VM
 * budgets (what the limit buys; the quiet VM's two commands fit all).
 */
static int
flood_pair(struct bench_ctx *ctx, struct bench_vm *act, struct bench_vm *fvm)
{
	static const unsigned int vm_budgets[] = {
		0, 0, UIOMMU_POLL_VM_BUDGET_NONE, 32, 16, 4,
	};
	static const char *const names[] = {
		"quiet", "flood", "flood-vnone", "flood-v32", "flood-v16",
		"flood-v4",
	};
	const unsigned int nv = sizeof(vm_budgets) / sizeof(vm_budgets[0]);
	struct bench_vm *vms[2] = { act, fvm };
	struct flood f = { .vm = fvm };
	struct scale_var sv[6];
	int rc = 0;

	for (unsigned int i = 0; i < FLOOD_SYNC_EVERY && rc == 0; i++)
		rc = bench_cmd_tlbi(i, SCALE_PAGES, &f.batch[i]);
	if (rc == 0)
		rc = bench_cmd_sync(&f.batch[FLOOD_SYNC_EVERY]);
	if (rc != 0)
		return rc;
	memset(sv, 0, sizeof(sv));
	for (unsigned int k = 0; k < nv; k++)
		sv[k] = (struct scale_var){
			.mv = {
				.kind = BENCH_MGR_ENGINE,
				.lim = {
					.budget = UIOMMU_POLL_BUDGET_DEFAULT,
					.vm_budget = vm_budgets[k],
				},
				.vms = vms, .nvms = 2,
				.rtt = {
					.vq = &act->q[0], .pages = SCALE_PAGES,
					.before = k == 0 ? NULL : flood_topup,
					.arg = k == 0 ? NULL : &f,
				},
			},
			.other = fvm, .other_nq = fvm->nq,
		};
	rc = scale_group(ctx, sv, names, nv);
	for (unsigned int k = 0; k < nv && rc == 0; k++) {
		struct bench_result *res = (struct bench_result *)scale_res(ctx, names[k]);
		char vmb[32];

		if (res == NULL)
			continue;
		if (vm_budgets[k] == UIOMMU_POLL_VM_BUDGET_NONE)
			snprintf(vmb, sizeof(vmb), "no VM budget");
		else
			snprintf(vmb, sizeof(vmb), "VM budget %u",
				 vm_budgets[k] != 0 ? vm_budgets[k] :
						      UIOMMU_POLL_VM_BUDGET_DEFAULT);
		if (k == 0)
			snprintf(res->note, sizeof(res->note),
				 "poll's round trip; a second VM's %u queues on the same "
				 "lcore, idle; budget %u, %s", FLOOD_QUEUES,
				 UIOMMU_POLL_BUDGET_DEFAULT, vmb);
		else
			snprintf(res->note, sizeof(res->note),
				 "other VM: %u queues kept full; %.0f flood cmds per "
				 "round trip, flood VM %.3g cmd/s; budget %u, %s",
				 FLOOD_QUEUES,
				 sv[k].quiet_syncs ? (double)sv[k].flood_cmds /
						     (double)sv[k].quiet_syncs : 0.0,
				 sv[k].cycles ? (double)sv[k].flood_cmds *
						(double)ctx->tsc_hz /
						(double)sv[k].cycles : 0.0,
				 UIOMMU_POLL_BUDGET_DEFAULT, vmb);
	}
	return rc;
}

static int
scale_run(struct bench_ctx *ctx)
{
	const struct bench_vm_conf act_conf = {
		.name = "bench-scale", .nviommus = 1, .nqueues = 1,
		.ring_log2 = SCALE_RING_LOG2, .s1_pages = SCALE_PAGES,
	};
	const struct bench_vm_conf idle_conf = {
		.name = "bench-idle", .nviommus = 2, .nqueues = IDLE_MAX,
		.ring_log2 = IDLE_RING_LOG2, .s1_pages = 0,
	};
	const struct bench_vm_conf flood_conf = {
		.name = "bench-flood", .nviommus = 1, .nqueues = FLOOD_QUEUES,
		.ring_log2 = FLOOD_RING_LOG2, .s1_pages = SCALE_PAGES,
	};
	struct bench_vm *act = NULL, *idle = NULL, *fvm = NULL;
	const char *part = "set-up";
	char why[128] = "";
	int rc;

	rc = bench_vm_create(&act_conf, &act, why, sizeof(why));
	if (rc == 0)
		rc = bench_vm_create(&idle_conf, &idle, why, sizeof(why));
	if (rc == 0)
		rc = bench_vm_create(&flood_conf, &fvm, why, sizeof(why));
	if (rc == 0) {
		part = "idle sweep";
		rc = idle_sweep(ctx, act, idle);
	}
	if (rc == 0) {
		part = "idle scan";
		rc = idle_scan(ctx, idle);
	}
	if (rc == 0) {
		part = "flood";
		rc = flood_pair(ctx, act, fvm);
	}
	bench_vm_destroy(fvm);
	bench_vm_destroy(idle);
	bench_vm_destroy(act);
	if (rc != 0)
		bench_set_failed(ctx->set, "scale", rc, "%s: %s", part,
				 why[0] != '\0' ? why :
				 rc == -ETIMEDOUT ? "the manager lcore stopped answering" :
				 rc == -EIO ? "a queue stopped on a command error" :
					      "failed");
	return rc;
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
