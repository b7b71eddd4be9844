/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Scenario "floor": raw cache-line ping-pong between the two lcores.
 *
 * One 64-byte line (128-byte aligned, alone in its 128-byte block) holds one
 * 64-bit word. The main lcore writes an odd request value 2k+1; the worker
 * spins on the word, and when it sees a new odd value answers with 2k+2 in
 * the same word; the main lcore spins until it reads the answer. One sample
 * is that whole **round trip** (two line transfers: main→worker and
 * worker→main), timed on the main lcore. One way is about half of it.
 *
 * Neither side uses a pause instruction in its spin: this is the physical
 * limit of any shared-memory queue between these two cores (a queue needs
 * at least this to hand over a command and see its completion), and the
 * baseline of the poll scenario.
 *
 * The worker stops on the value FLOOR_STOP (odd, never a request) or after
 * ctx->timeout_cycles without a new request; the main lcore gives up a round
 * trip after the same bound. Neither can hang.
 */
#include <errno.h>
#include <stdalign.h>
#include <stdio.h>

#include <rte_cycles.h>

#include "bench.h"

#define FLOOR_STOP UINT64_MAX

struct floor_shared {
	alignas(128) uint64_t word;	/* the ping-pong line */
	alignas(128) uint64_t timeout_cycles;
	int worker_rc;
};

struct floor_op {
	struct floor_shared *sh;
	uint64_t seq;		/* requests sent */
	uint64_t timeout_cycles;
};

static int
floor_worker(void *arg)
{
	struct floor_shared *sh = arg;
	uint64_t answered = 0, v;
	uint64_t last_seen = rte_rdtsc();
	unsigned int spins = 0;

	for (;;) {
		/* F2: pairs with the main lcore's release store F1. */
		v = __atomic_load_n(&sh->word, __ATOMIC_ACQUIRE);
		if (v == FLOOR_STOP)
			return 0;
		if ((v & 1) != 0 && v != answered) {
			answered = v + 1;
			/* F3: release; pairs with the main lcore's acquire load F4. */
			__atomic_store_n(&sh->word, answered, __ATOMIC_RELEASE);
			spins = 0;
			last_seen = rte_rdtsc();
			continue;
		}
		if ((++spins & 0xffff) == 0 &&
		    rte_rdtsc() - last_seen > sh->timeout_cycles)
			return -ETIMEDOUT;
	}
}

static int
floor_roundtrip(void *arg)
{
	struct floor_op *op = arg;
	uint64_t req = 2 * ++op->seq + 1, t0 = 0;
	unsigned int spins = 0;

	/* F1: release; the worker's acquire load F2 sees the request. */
	__atomic_store_n(&op->sh->word, req, __ATOMIC_RELEASE);
	/* F4: pairs with the worker's release store F3. */
	while (__atomic_load_n(&op->sh->word, __ATOMIC_ACQUIRE) != req + 1) {
		if ((++spins & 0xffff) == 0) {
			if (t0 == 0)
				t0 = rte_rdtsc();
			else if (rte_rdtsc() - t0 > op->timeout_cycles)
				return -ETIMEDOUT;
		}
	}
	return 0;
}

static int
floor_run(struct bench_ctx *ctx)
{
	struct floor_shared *sh;
	struct bench_result *res;
	struct floor_op op;
	int rc, wrc;

	res = bench_set_add_latency(ctx->set, "floor", "rtt", "", "round trip", 1);
	if (res == NULL)
		return -errno;
	snprintf(res->note, sizeof(res->note),
		 "one 64-byte line, both sides spin without pause; one way ~ rtt/2");
	sh = bench_shared_alloc(sizeof(*sh), 128);
	if (sh == NULL) {
		rc = -ENOMEM;
		goto out_res;
	}
	sh->timeout_cycles = ctx->timeout_cycles;
	op = (struct floor_op){ .sh = sh, .timeout_cycles = ctx->timeout_cycles };
	rc = bench_worker_start(ctx, floor_worker, sh);
	if (rc != 0)
		goto out_sh;
	rc = bench_latency_loop(ctx, res, floor_roundtrip, &op);
	__atomic_store_n(&sh->word, FLOOR_STOP, __ATOMIC_RELEASE);
	wrc = bench_worker_wait(ctx);
	if (rc == 0)
		rc = wrc;
	if (rc != 0)
		goto out_sh;
	bench_shared_free(sh);
	return 0;

out_sh:
	bench_shared_free(sh);
out_res:
	bench_set_drop(ctx->set, res);
	bench_set_failed(ctx->set, "floor", rc, "ping-pong: %s",
			 rc == -ETIMEDOUT ? "the other lcore stopped answering" :
					    "could not set up");
	return rc;
}

static const struct bench_scenario sc_floor = {
	.name = "floor",
	.summary = "cache-line ping-pong round trip between the two lcores (root baseline)",
	.baseline = NULL,
	.order = 10,
	.plot = true,
	.run = floor_run,
};

BENCH_SCENARIO_REGISTER(sc_floor)
