/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Scenario "tput": invalidations per second for a stream of TLBI_NH_VA with
 * a CMD_SYNC every N commands (N = 1, 8, 32, 256) through one vCMDQ on the
 * soft backend; the guest producing on the main lcore, the manager's poll
 * engine (lib/mgr) on the worker. Design §7 item 4.
 *
 * Set-up (bench_vm.c): one VM, one soft vIOMMU, one vCMDQ of TPUT_RING
 * entries (the raw ring baseline's size), a nested device with
 * TPUT_PAGES stage-1 pages whose IOTLB entries are warm at the start.
 *
 * The guest streams: it writes a batch of N TLBI_NH_VA (pages rotating)
 * followed by one CMD_SYNC, stores PROD once per batch, and goes on with
 * the next batch as soon as the ring has room for it; it never waits for a
 * CMD_SYNC except through the ring filling up (a guest with several CPUs
 * keeps the queue busy the same way). The manager's passes consume up to
 * the engine's budget per queue per pass; at each CMD_SYNC the batch of
 * TLBIs before it goes to the backend in one invalidate() call (one RCU
 * grace period), so N sets the backend batch size.
 *
 * One repetition sends `per_rep` TLBI_NH_VA (4 x --samples rounded down to
 * a multiple of N, at least 64 batches: as many commands as ring/bN moves
 * elements) plus per_rep / N CMD_SYNCs; it is timed on the main lcore from
 * before the first PROD store until CONS has passed the last CMD_SYNC. The
 * rate counts TLBI_NH_VA only (the CMD_SYNCs ride along), so it is
 * conservative against the raw ring, which counts every element. One
 * untimed repetition, then ctx->reps timed ones; the headline is the
 * median.
 *
 * Baseline: tput/ringN, the ring scenario's raw stream (SPSC rte_ring,
 * 16-byte elements, 4096 slots, burst N on both sides, every element
 * checked) re-run here one repetition at a time, alternating with the
 * vCMDQ's repetitions (ring, vCMDQ, ring, vCMDQ, ...), because this
 * virtual machine's vCPUs change placement during a run; tput/ringN is
 * itself compared with ring/bN of the ring scenario (the drift between the
 * two measurements). The target reads tput/sync32 against tput/ring32.
 */
#include <errno.h>
#include <stdio.h>

#include <stdalign.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_pause.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "bench.h"
#include "bench_vm.h"
#include "uiommu_cmd.h"
#include "uiommu_poll.h"

#define TPUT_RING_LOG2 12u	/* 4096 entries, as the raw ring */
#define TPUT_PAGES 64u
#define TPUT_MAX_N 256u

static const struct bench_target tput_targets[] = {
	{ "tput at CMD_SYNC every 32 ≥ 25 % of the raw ring at burst 32 (paired)",
	  "tput/sync32", BENCH_RATE, "tput/ring32", BENCH_RATE, BENCH_AT_LEAST, 0.25 },
};

/* Free entries as of the last CONS the guest read (no shared access). */
static inline uint32_t
cached_space(const struct uiommu_vcmdq_prod *p)
{
	return (1u << p->log2size) - uiommu_vcmdq_ptr_used(p->prod, p->cons, p->log2size);
}

/* One repetition; returns its cycles, or 0 with *err set. */
static uint64_t
tput_rep(struct bench_ctx *ctx, struct bench_vq *vq, const struct uiommu_cmd *batch,
	 unsigned int n, uint64_t per_rep, int *err)
{
	uint64_t t0, t1, spins;
	uint64_t bound = bench_vm_timeout(ctx);

	t0 = bench_tsc_begin();
	for (uint64_t sent = 0; sent < per_rep; sent += n) {
		spins = 0;
		/* Re-read CONS only when the space known from the last read
		 * is not enough, as a guest driver does. */
		while (cached_space(&vq->p) < n + 1 &&
		       uiommu_vcmdq_prod_space(&vq->p) < n + 1) {
			if ((++spins & 0xfff) == 0 && rte_rdtsc() - t0 > bound) {
				*err = -ETIMEDOUT;
				return 0;
			}
			rte_pause();
		}
		if (uiommu_vcmdq_prod_write(&vq->p, batch, n + 1) != n + 1) {
			*err = -ENOSPC;
			return 0;
		}
		uiommu_vcmdq_prod_publish(&vq->p);
	}
	*err = bench_vq_wait(vq, uiommu_vcmdq_prod_index(&vq->p), bench_vm_timeout(ctx));
	t1 = bench_tsc_end();
	return *err == 0 ? t1 - t0 : 0;
}

/*
 * The paired raw ring: sc_ring.c's stream (SPSC rte_ring of 16-byte
 * elements, 4096 slots, bulk B both sides, every element checked), run as
 * one repetition at a time so that its repetitions alternate with the
 * vCMDQ's: the two vCPUs of this machine change placement during a run,
 * and a ratio of rates measured minutes apart compares placements.
 */
struct pring {
	alignas(128) uint32_t done;	/* consumer: repetition consumed */
	alignas(128) struct rte_ring *ring;
	unsigned int burst;
	uint64_t per_rep;
	uint64_t timeout_cycles;
	uint64_t seq;			/* producer's next sequence number */
	uint64_t first;			/* seq at the start of a repetition */
	uint64_t bad;			/* consumer: elements failing the check */
};

struct pring_elem {
	uint64_t seq;
	uint64_t check;
};

#define PRING_CHECK 0x3c3cc3c35a5aa5a5ULL

static int
pring_consumer(void *arg)
{
	struct pring *pr = arg;
	struct pring_elem buf[TPUT_MAX_N];
	/* Copied once: the producer writes pr->seq in the same line. */
	struct rte_ring *const ring = pr->ring;
	const unsigned int burst = pr->burst;
	const uint64_t per_rep = pr->per_rep, timeout = pr->timeout_cycles;
	/* Not pr->seq: the producer may have advanced it before we ran. */
	uint64_t expect = pr->first, t0 = rte_rdtsc(), bad = 0;

	for (uint64_t got = 0, stall = 0; got < per_rep;) {
		unsigned int n = rte_ring_sc_dequeue_bulk_elem(ring, buf,
				sizeof(buf[0]), burst, NULL);

		if (n == 0) {
			if ((++stall & 0xffff) == 0 && rte_rdtsc() - t0 > timeout)
				return -ETIMEDOUT;
			continue;
		}
		for (unsigned int i = 0; i < n; i++, expect++)
			if (buf[i].seq != expect || buf[i].check != (expect ^ PRING_CHECK))
				bad++;
		got += n;
		t0 = rte_rdtsc();
	}
	pr->bad += bad;
	/* R1: release; pairs with the producer's acquire load R2. */
	__atomic_store_n(&pr->done, 1, __ATOMIC_RELEASE);
	return 0;
}

/* One repetition of the raw ring; returns its cycles, or 0 with *err. */
static uint64_t
pring_rep(struct bench_ctx *ctx, struct pring *pr, int *err)
{
	struct pring_elem buf[TPUT_MAX_N];
	uint64_t t0, t1, bound = bench_vm_timeout(ctx);

	pr->done = 0;
	pr->first = pr->seq;
	*err = bench_worker_start(ctx, pring_consumer, pr);
	if (*err != 0)
		return 0;
	t0 = bench_tsc_begin();
	for (uint64_t sent = 0; sent < pr->per_rep; sent += pr->burst) {
		uint64_t stall = 0;

		for (unsigned int i = 0; i < pr->burst; i++) {
			buf[i].seq = pr->seq + i;
			buf[i].check = (pr->seq + i) ^ PRING_CHECK;
		}
		while (rte_ring_sp_enqueue_bulk_elem(pr->ring, buf, sizeof(buf[0]),
						     pr->burst, NULL) == 0)
			if ((++stall & 0xffff) == 0 && rte_rdtsc() - t0 > bound)
				break;
		pr->seq += pr->burst;
	}
	/* R2: pairs with the consumer's release store R1. */
	while (__atomic_load_n(&pr->done, __ATOMIC_ACQUIRE) == 0)
		if (rte_rdtsc() - t0 > bound)
			break;
	t1 = bench_tsc_end();
	*err = bench_worker_wait(ctx);
	if (*err == 0 && __atomic_load_n(&pr->done, __ATOMIC_ACQUIRE) == 0)
		*err = -ETIMEDOUT;
	if (*err == 0 && pr->bad != 0)
		*err = -EPROTO;
	return *err == 0 ? t1 - t0 : 0;
}

static int
run_n(struct bench_ctx *ctx, struct bench_vm *vm, struct pring *pr, unsigned int n)
{
	static struct uiommu_cmd batch[TPUT_MAX_N + 1];
	const struct bench_mgr_lim lim = { .budget = UIOMMU_POLL_BUDGET_DEFAULT };
	char variant[BENCH_NAME_MAX], base[BENCH_REF_MAX], rvar[BENCH_NAME_MAX];
	struct uiommu_vcmdq_stats st0, st1;
	struct bench_result *res, *rres;
	struct bench_mgr *mgr;
	uint64_t per_rep, cyc, calls = 0, cmds = 0;
	int rc = 0, wrc;

	for (unsigned int i = 0; i < n && rc == 0; i++)
		rc = bench_cmd_tlbi(i, TPUT_PAGES, &batch[i]);
	if (rc == 0)
		rc = bench_cmd_sync(&batch[n]);
	if (rc != 0)
		return rc;
	per_rep = ctx->samples * 4;
	if (per_rep < 64ull * n)
		per_rep = 64ull * n;
	per_rep -= per_rep % n;
	snprintf(rvar, sizeof(rvar), "ring%u", n);
	snprintf(base, sizeof(base), "ring/b%u", n);
	rres = bench_set_add_rate(ctx->set, "tput", rvar, base, "element", per_rep);
	if (rres == NULL)
		return -errno;
	snprintf(variant, sizeof(variant), "sync%u", n);
	snprintf(base, sizeof(base), "tput/ring%u", n);
	res = bench_set_add_rate(ctx->set, "tput", variant, base, "command", per_rep);
	if (res == NULL) {
		rc = -errno;
		goto out_rres;
	}
	pr->burst = n;
	pr->per_rep = per_rep;
	pr->timeout_cycles = bench_vm_timeout(ctx);
	pr->seq = 0;
	pr->bad = 0;
	rte_ring_reset(pr->ring);
	/* Alternate: raw ring repetition, then vCMDQ repetition; the first
	 * pair warms up. */
	for (unsigned int r = 0; r <= ctx->reps && rc == 0; r++) {
		cyc = pring_rep(ctx, pr, &rc);
		if (rc == 0 && r > 0)
			rc = bench_result_add_rep(rres, (double)per_rep *
						  (double)ctx->tsc_hz / (double)cyc);
		if (rc != 0)
			break;
		rc = bench_mgr_start(ctx, BENCH_MGR_ENGINE, &lim, false, &vm, 1,
				     &mgr);
		if (rc != 0)
			break;
		uiommu_vcmdq_stats_get(vm->q[0].q, &st0);
		cyc = tput_rep(ctx, &vm->q[0], batch, n, per_rep, &rc);
		wrc = bench_mgr_stop(mgr, NULL);
		if (rc == 0)
			rc = wrc;
		uiommu_vcmdq_stats_get(vm->q[0].q, &st1);
		calls += st1.backend_calls - st0.backend_calls;
		cmds += st1.commands - st0.commands;
		if (rc == 0 && r > 0)
			rc = bench_result_add_rep(res, (double)per_rep *
						  (double)ctx->tsc_hz / (double)cyc);
	}
	if (rc != 0)
		goto out_res;
	snprintf(rres->note, sizeof(rres->note),
		 "sc_ring's stream at burst %u, its repetitions alternating with "
		 "tput/sync%u's", n, n);
	snprintf(res->note, sizeof(res->note),
		 "TLBI_NH_VA/s, CMD_SYNC every %u; %llu TLBIs per repetition; "
		 "%.1f commands per backend call; engine budget %u",
		 n, (unsigned long long)per_rep,
		 calls ? (double)cmds / (double)calls : 0.0, UIOMMU_POLL_BUDGET_DEFAULT);
	return 0;
out_res:
	bench_set_drop(ctx->set, res);
out_rres:
	bench_set_drop(ctx->set, rres);
	return rc;
}

/*
 * What the engine's per-VM budget costs a VM that streams alone on an
 * lcore it shares with another, idle VM. The sync-every-N stream, three
 * ways, repetitions alternating: solo (the engine serves this VM only: the
 * per-queue budget alone applies, as for sync32), shared-vnone (an idle
 * VM's queue and vIOMMU on the same lcore, no per-VM limit: the cost of
 * scanning the other VM) and shared (the same with the per-VM budget
 * UIOMMU_POLL_VM_BUDGET_DEFAULT: the cost of the fairness rule itself,
 * smaller backend batches and more passes).
 */
static int
run_shared(struct bench_ctx *ctx, struct bench_vm *vm, struct bench_vm *idle,
	   unsigned int n)
{
	static struct uiommu_cmd batch[TPUT_MAX_N + 1];
	static const unsigned int vm_budgets[3] = {
		0, UIOMMU_POLL_VM_BUDGET_NONE, 0,
	};
	static const char *const name[3] = { "solo", "shared", "shared" };
	static const char *const suffix[3] = { "", "-vnone", "" };
	struct bench_result *res[3] = { NULL, NULL, NULL };
	char variant[BENCH_NAME_MAX], base[BENCH_REF_MAX];
	uint64_t per_rep, cyc;
	int rc = 0, wrc;

	for (unsigned int i = 0; i < n && rc == 0; i++)
		rc = bench_cmd_tlbi(i, TPUT_PAGES, &batch[i]);
	if (rc == 0)
		rc = bench_cmd_sync(&batch[n]);
	if (rc != 0)
		return rc;
	per_rep = ctx->samples * 4;
	if (per_rep < 64ull * n)
		per_rep = 64ull * n;
	per_rep -= per_rep % n;
	for (unsigned int k = 0; k < 3 && rc == 0; k++) {
		snprintf(variant, sizeof(variant), "%s%u%s", name[k], n, suffix[k]);
		if (k == 0)
			snprintf(base, sizeof(base), "tput/sync%u", n);
		else
			snprintf(base, sizeof(base), "tput/solo%u", n);
		res[k] = bench_set_add_rate(ctx->set, "tput", variant, base,
					    "command", per_rep);
		if (res[k] == NULL)
			rc = -errno;
	}
	for (unsigned int r = 0; r <= ctx->reps && rc == 0; r++) {
		for (unsigned int k = 0; k < 3 && rc == 0; k++) {
			const struct bench_mgr_lim lim = {
				.budget = UIOMMU_POLL_BUDGET_DEFAULT,
				.vm_budget = vm_budgets[k],
			};
			struct bench_vm *vms[2] = { vm, idle };
			struct bench_mgr *mgr;

			rc = bench_mgr_start(ctx, BENCH_MGR_ENGINE, &lim, false, vms,
					     k == 0 ? 1 : 2, &mgr);
			if (rc != 0)
				break;
			cyc = tput_rep(ctx, &vm->q[0], batch, n, per_rep, &rc);
			wrc = bench_mgr_stop(mgr, NULL);
			if (rc == 0)
				rc = wrc;
			if (rc == 0 && r > 0)
				rc = bench_result_add_rep(res[k], (double)per_rep *
							  (double)ctx->tsc_hz /
							  (double)cyc);
		}
	}
	if (rc != 0) {
		/* Newest first: a drop moves the results added after it. */
		for (unsigned int k = 3; k-- > 0;)
			if (res[k] != NULL)
				bench_set_drop(ctx->set, res[k]);
		return rc;
	}
	snprintf(res[0]->note, sizeof(res[0]->note),
		 "sync%u's stream, the engine serving this VM alone (per-queue "
		 "budget %u only)", n, UIOMMU_POLL_BUDGET_DEFAULT);
	snprintf(res[1]->note, sizeof(res[1]->note),
		 "the same with an idle VM on the lcore, no per-VM budget");
	snprintf(res[2]->note, sizeof(res[2]->note),
		 "the same with an idle VM on the lcore, per-VM budget %u",
		 UIOMMU_POLL_VM_BUDGET_DEFAULT);
	return 0;
}

/*
 * Diagnostic: the same stream with no second core. The main lcore writes a
 * batch, publishes it and consumes it itself with uiommu_vcmdq_process()
 * (budget as the engine), so the rate is the CPU cost of producing plus
 * dispatching plus applying a TLBI, without any cache line crossing cores
 * (inline-syncN, compared with the paired ring tput/ringN). inline-dispatch32
 * sends PREFETCH_CFG (decoded, vSID checked, then dropped) instead of the
 * TLBIs: compared with inline-sync32 it splits the per-command cost into
 * the dispatch and the soft backend's invalidation.
 */
static uint64_t
inline_rep(struct bench_vm *vm, const struct uiommu_cmd *batch, unsigned int n,
	   uint64_t per_rep, int *err)
{
	struct bench_vq *vq = &vm->q[0];
	uint64_t t0, t1;

	t0 = bench_tsc_begin();
	for (uint64_t sent = 0; sent < per_rep; sent += n) {
		unsigned int rounds = 0;

		if (uiommu_vcmdq_prod_write(&vq->p, batch, n + 1) != n + 1) {
			*err = -ENOSPC;
			return 0;
		}
		uiommu_vcmdq_prod_publish(&vq->p);
		while (uiommu_vcmdq_process(vq->q, UIOMMU_POLL_BUDGET_DEFAULT) != 0)
			if (++rounds > (1u << TPUT_RING_LOG2)) {
				*err = -EPROTO;
				return 0;
			}
		if (uiommu_vcmdq_prod_wait(&vq->p, uiommu_vcmdq_prod_index(&vq->p), 0,
					   NULL) != 0) {
			*err = -EIO;
			return 0;
		}
	}
	t1 = bench_tsc_end();
	*err = 0;
	return t1 - t0;
}

static int
run_inline(struct bench_ctx *ctx, struct bench_vm *vm, unsigned int n, bool prefetch)
{
	static struct uiommu_cmd batch[TPUT_MAX_N + 1];
	const struct uiommu_cmd_info pf = {
		.op = UIOMMU_CMD_PREFETCH_CFG, .sid = BENCH_VM_VSID,
	};
	char variant[BENCH_NAME_MAX], base[BENCH_REF_MAX];
	struct bench_result *res;
	uint64_t per_rep, cyc;
	int rc = 0;

	for (unsigned int i = 0; i < n && rc == 0; i++)
		rc = prefetch ? uiommu_cmd_encode(&pf, &batch[i]) :
				bench_cmd_tlbi(i, TPUT_PAGES, &batch[i]);
	if (rc == 0)
		rc = bench_cmd_sync(&batch[n]);
	if (rc != 0)
		return rc;
	per_rep = ctx->samples * 4;
	if (per_rep < 64ull * n)
		per_rep = 64ull * n;
	per_rep -= per_rep % n;
	snprintf(variant, sizeof(variant), "inline-%s%u", prefetch ? "dispatch" : "sync", n);
	snprintf(base, sizeof(base), prefetch ? "tput/inline-sync%u" : "tput/ring%u", n);
	res = bench_set_add_rate(ctx->set, "tput", variant, base, "command", per_rep);
	if (res == NULL)
		return -errno;
	if (prefetch)
		snprintf(res->note, sizeof(res->note),
			 "diagnostic: as inline-sync%u with PREFETCH_CFG for TLBI: decode "
			 "and vSID check only, nothing reaches the backend", n);
	else
		snprintf(res->note, sizeof(res->note),
			 "diagnostic: one lcore writes %u TLBI_NH_VA + CMD_SYNC and runs "
			 "uiommu_vcmdq_process itself: CPU cost, no transfer", n);
	for (unsigned int r = 0; r <= ctx->reps && rc == 0; r++) {
		cyc = inline_rep(vm, batch, n, per_rep, &rc);
		if (rc == 0 && r > 0)
			rc = bench_result_add_rep(res, (double)per_rep *
						  (double)ctx->tsc_hz / (double)cyc);
	}
	if (rc != 0)
		bench_set_drop(ctx->set, res);
	return rc;
}

static int
tput_run(struct bench_ctx *ctx)
{
	static const unsigned int ns[] = { 1, 8, 32, 256 };
	const struct bench_vm_conf conf = {
		.name = "bench-tput", .nviommus = 1, .nqueues = 1,
		.ring_log2 = TPUT_RING_LOG2, .s1_pages = TPUT_PAGES,
	};
	const struct bench_vm_conf idle_conf = {
		.name = "bench-tput-idle", .nviommus = 1, .nqueues = 1,
		.ring_log2 = 4, .s1_pages = 0,
	};
	struct bench_vm *vm, *idle = NULL;
	struct pring *pr;
	char why[128] = "";
	int rc;

	pr = bench_shared_alloc(sizeof(*pr), 128);
	if (pr == NULL) {
		bench_set_failed(ctx->set, "tput", -ENOMEM, "no memory");
		return -ENOMEM;
	}
	pr->ring = rte_ring_create_elem("uiommu_bench_tput", sizeof(struct pring_elem),
					1u << TPUT_RING_LOG2, ctx->socket,
					RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (pr->ring == NULL) {
		rc = -rte_errno;
		bench_shared_free(pr);
		bench_set_failed(ctx->set, "tput", rc, "rte_ring_create_elem failed");
		return rc;
	}
	rc = bench_vm_create(&conf, &vm, why, sizeof(why));
	if (rc != 0) {
		rte_ring_free(pr->ring);
		bench_shared_free(pr);
		bench_set_failed(ctx->set, "tput", rc, "set-up: %s", why);
		return rc;
	}
	for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]) && rc == 0; i++)
		rc = run_n(ctx, vm, pr, ns[i]);
	if (rc == 0) {
		rc = bench_vm_create(&idle_conf, &idle, why, sizeof(why));
		if (rc == 0)
			rc = run_shared(ctx, vm, idle, 32);
		bench_vm_destroy(idle);
	}
	for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]) && rc == 0; i++)
		rc = run_inline(ctx, vm, ns[i], false);
	if (rc == 0)
		rc = run_inline(ctx, vm, 32, true);
	bench_vm_destroy(vm);
	rte_ring_free(pr->ring);
	bench_shared_free(pr);
	if (rc != 0)
		bench_set_failed(ctx->set, "tput", rc, "%s",
				 rc == -ETIMEDOUT ? "the manager lcore stopped consuming" :
				 rc == -EIO ? "the queue stopped on a command error" :
				 rc == -EPROTO ? "raw ring elements lost or reordered" :
					      "stream failed");
	return rc;
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
