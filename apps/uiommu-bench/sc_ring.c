/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Scenario "ring": raw single-producer/single-consumer rte_ring throughput
 * of 16-byte elements between the two lcores — the baseline of the vCMDQ
 * throughput scenario (a vCMDQ command is 16 bytes too).
 *
 * The ring is rte_ring_create_elem(esize 16, 4096 slots,
 * RING_F_SP_ENQ | RING_F_SC_DEQ). The main lcore produces, the worker
 * consumes, both with the bulk calls at burst size B (1, 8, 32, 256): the
 * producer enqueues exactly B elements or retries, the consumer dequeues
 * exactly B or retries; neither pauses. The consumer checks every element
 * (sequence number and a check word), so it reads what it receives like a
 * command consumer would, and a lost or reordered element fails the run.
 *
 * One repetition moves `per_rep` elements (4 x --samples rounded down to a
 * multiple of B, at least 64 bursts) and is timed on the main lcore from
 * before the first enqueue until it sees the consumer's "done" word — the
 * same core's TSC, so the rate does not depend on cross-core TSC sync. One
 * untimed repetition warms up; then ctx->reps timed ones. The headline is
 * the median repetition, in elements per second; each burst size is
 * compared with burst 1.
 */
#include <errno.h>
#include <stdalign.h>
#include <stdio.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "bench.h"

#define RING_SLOTS 4096u
#define RING_CHECK 0x5a5aa5a5c3c33c3cULL

struct ring_elem {
	uint64_t seq;
	uint64_t check;
};

struct ring_shared {
	alignas(128) uint32_t go;	/* repetition number to run; 0 = none yet */
	alignas(128) uint32_t done;	/* last repetition fully consumed */
	alignas(128) uint32_t stop;
	struct rte_ring *ring;
	unsigned int burst;
	uint64_t per_rep;
	uint64_t timeout_cycles;
	uint64_t bad;			/* elements that failed the check */
};

static int
ring_consumer(void *arg)
{
	struct ring_shared *sh = arg;
	struct ring_elem buf[256];
	uint64_t expect = 0;
	uint32_t rep = 0;

	for (;;) {
		uint64_t t0 = rte_rdtsc();
		uint32_t go;

		/* G2: pairs with the producer's release store G1. */
		while ((go = __atomic_load_n(&sh->go, __ATOMIC_ACQUIRE)) == rep) {
			if (__atomic_load_n(&sh->stop, __ATOMIC_ACQUIRE))
				return 0;
			if (rte_rdtsc() - t0 > sh->timeout_cycles)
				return -ETIMEDOUT;
			rte_pause();
		}
		rep = go;
		t0 = rte_rdtsc();
		for (uint64_t got = 0, stall = 0; got < sh->per_rep;) {
			unsigned int n = rte_ring_sc_dequeue_bulk_elem(sh->ring, buf,
					sizeof(buf[0]), sh->burst, NULL);

			if (n == 0) {
				if ((++stall & 0xffff) == 0 &&
				    rte_rdtsc() - t0 > sh->timeout_cycles)
					return -ETIMEDOUT;
				continue;
			}
			for (unsigned int i = 0; i < n; i++, expect++)
				if (buf[i].seq != expect || buf[i].check != (expect ^ RING_CHECK))
					sh->bad++;
			got += n;
			t0 = rte_rdtsc();
		}
		/* G3: release; pairs with the producer's acquire load G4. */
		__atomic_store_n(&sh->done, rep, __ATOMIC_RELEASE);
	}
}

/* One repetition on the main lcore; returns its cycles or 0 on timeout. */
static uint64_t
ring_produce(struct ring_shared *sh, uint32_t rep, uint64_t *seq)
{
	struct ring_elem buf[256];
	uint64_t t0, t1, stall;

	t0 = bench_tsc_begin();
	/* G1: release; the consumer's acquire load G2 starts the repetition. */
	__atomic_store_n(&sh->go, rep, __ATOMIC_RELEASE);
	for (uint64_t sent = 0; sent < sh->per_rep; sent += sh->burst) {
		for (unsigned int i = 0; i < sh->burst; i++) {
			buf[i].seq = *seq + i;
			buf[i].check = (*seq + i) ^ RING_CHECK;
		}
		stall = 0;
		while (rte_ring_sp_enqueue_bulk_elem(sh->ring, buf, sizeof(buf[0]),
						     sh->burst, NULL) == 0) {
			if ((++stall & 0xffff) == 0 &&
			    rte_rdtsc() - t0 > sh->timeout_cycles * 4)
				return 0;
		}
		*seq += sh->burst;
	}
	/* G4: pairs with the consumer's release store G3. */
	while (__atomic_load_n(&sh->done, __ATOMIC_ACQUIRE) != rep) {
		if (rte_rdtsc() - t0 > sh->timeout_cycles * 4)
			return 0;
	}
	t1 = bench_tsc_end();
	return t1 - t0;
}

static int
run_burst(struct bench_ctx *ctx, struct ring_shared *sh, unsigned int burst)
{
	char variant[BENCH_NAME_MAX], base[BENCH_REF_MAX];
	struct bench_result *res;
	uint64_t seq = 0, cyc;
	uint32_t rep = 0;
	int rc = 0, wrc;

	snprintf(variant, sizeof(variant), "b%u", burst);
	snprintf(base, sizeof(base), "%s", burst == 1 ? "" : "ring/b1");
	sh->burst = burst;
	sh->per_rep = ctx->samples * 4;
	if (sh->per_rep < 64ull * burst)
		sh->per_rep = 64ull * burst;
	sh->per_rep -= sh->per_rep % burst;
	res = bench_set_add_rate(ctx->set, "ring", variant, base, "element", sh->per_rep);
	if (res == NULL)
		return -errno;
	snprintf(res->note, sizeof(res->note),
		 "SPSC rte_ring, 16-byte elements, %u slots, bulk %u each side; "
		 "%llu elements per repetition", RING_SLOTS, burst,
		 (unsigned long long)sh->per_rep);
	sh->go = sh->done = sh->stop = 0;
	sh->bad = 0;
	rte_ring_reset(sh->ring);
	rc = bench_worker_start(ctx, ring_consumer, sh);
	if (rc != 0)
		goto out_res;
	for (unsigned int r = 0; r <= ctx->reps && rc == 0; r++) {
		cyc = ring_produce(sh, ++rep, &seq);
		if (cyc == 0)
			rc = -ETIMEDOUT;
		else if (r > 0)	/* repetition 0 warms up */
			rc = bench_result_add_rep(res, (double)sh->per_rep *
						  (double)ctx->tsc_hz / (double)cyc);
	}
	__atomic_store_n(&sh->stop, 1, __ATOMIC_RELEASE);
	wrc = bench_worker_wait(ctx);
	if (rc == 0)
		rc = wrc;
	if (rc == 0 && sh->bad != 0)
		rc = -EPROTO;
	if (rc == 0)
		return 0;
out_res:
	bench_set_drop(ctx->set, res);
	bench_set_failed(ctx->set, "ring", rc, "burst %u: %s", burst,
			 rc == -EPROTO ? "elements lost or reordered" :
			 rc == -ETIMEDOUT ? "the other lcore stopped" : "could not run");
	return rc;
}

static int
ring_run(struct bench_ctx *ctx)
{
	static const unsigned int bursts[] = { 1, 8, 32, 256 };
	struct ring_shared *sh;
	int rc = 0;

	sh = bench_shared_alloc(sizeof(*sh), 128);
	if (sh == NULL) {
		bench_set_failed(ctx->set, "ring", -ENOMEM, "no memory");
		return -ENOMEM;
	}
	sh->timeout_cycles = ctx->timeout_cycles;
	sh->ring = rte_ring_create_elem("uiommu_bench_ring", sizeof(struct ring_elem),
					RING_SLOTS, ctx->socket,
					RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (sh->ring == NULL) {
		rc = -rte_errno;
		bench_set_failed(ctx->set, "ring", rc, "rte_ring_create_elem failed");
		goto out_sh;
	}
	for (size_t i = 0; i < sizeof(bursts) / sizeof(bursts[0]) && rc == 0; i++)
		rc = run_burst(ctx, sh, bursts[i]);
	rte_ring_free(sh->ring);
out_sh:
	bench_shared_free(sh);
	return rc;
}

static const struct bench_scenario sc_ring = {
	.name = "ring",
	.summary = "SPSC rte_ring of 16-byte elements, bursts 1/8/32/256, elements/s (root baseline)",
	.baseline = NULL,
	.order = 30,
	.plot = false,
	.run = ring_run,
};

BENCH_SCENARIO_REGISTER(sc_ring)
