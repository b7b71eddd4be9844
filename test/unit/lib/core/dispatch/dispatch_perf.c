/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Benchmark of the dispatch (meson benchmark, never a pass/fail timing
 * test). Single thread, mock backend, so it measures the manager's own
 * per-command and per-queue work, not the cross-core transfer (that is
 * uiommu-bench's job).
 *
 *  1. idle scan: ns per uiommu_vcmdq_process() on an enabled, empty queue,
 *     scanning 1, 16 and 128 queues round-robin; against a floor loop that
 *     does the least any poller must: an acquire load of each queue's PROD
 *     and a compare with a private copy held in a separate cache line.
 *  2. busy: ns per command for passes of N TLBI_NH_VA + 1 CMD_SYNC
 *     (N = 1, 8, 32, 256), guest writes included; against the ring alone
 *     (the same writes, poll, peek and advance without decode, validation,
 *     batching or backend call).
 * Each figure is the best of REPS short repetitions (least disturbed on a
 * shared machine). Usage: dispatch_perf [scale]; 0 runs one short
 * repetition (smoke test).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_common.h>

#include "uiommu_cmd.h"
#include "uiommu_core.h"
#include "uiommu_vcmdq.h"

#define RAM_GPA 0x100000ULL
#define RAM_SIZE (4u << 20)
#define MAXQ 128

static int reps = 100;

static double
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

struct bench {
	uint8_t *ram;
	struct uiommu_vm *vm;
	struct uiommu_viommu *v;
	struct uiommu_vcmdq *q[MAXQ];
	struct uiommu_vcmdq_prod p[MAXQ];
};

static void
die(const char *what, int rc)
{
	fprintf(stderr, "dispatch_perf: %s: %d\n", what, rc);
	exit(1);
}

/* nq queues of 2^log2 entries, all enabled. */
static void
bench_setup(struct bench *b, uint32_t nq, uint32_t log2)
{
	uint64_t qsize = 16ULL << log2, off;
	int rc;

	memset(b, 0, sizeof(*b));
	b->ram = aligned_alloc(4096, RAM_SIZE);
	if (b->ram == NULL)
		die("alloc", -ENOMEM);
	memset(b->ram, 0, RAM_SIZE);
	if ((rc = uiommu_vm_create("perf", &b->vm)) != 0 ||
	    (rc = uiommu_vm_mem_add_hva(b->vm, RAM_GPA, RAM_SIZE, b->ram)) != 0 ||
	    (rc = uiommu_viommu_create(b->vm, "mock", NULL, &b->v)) != 0)
		die("setup", rc);
	for (uint32_t i = 0; i < nq; i++) {
		uint64_t base = RAM_GPA + RTE_ALIGN_CEIL(qsize, 4096) * i;

		rc = uiommu_vcmdq_create(b->v, i, log2, base, &b->q[i], &off);
		if (rc != 0)
			die("vcmdq", rc);
		rc = uiommu_vcmdq_prod_init(&b->p[i], (void *)(b->ram + (base - RAM_GPA)),
			log2, (void *)((uint8_t *)uiommu_viommu_ctrl_base(b->v) + off));
		if (rc != 0)
			die("prod", rc);
		uiommu_vcmdq_prod_enable(&b->p[i], 0);
		uiommu_vcmdq_process(b->q[i], 0);
		if (!uiommu_vcmdq_prod_enabled(&b->p[i]))
			die("enable", -EIO);
	}
}

static void
bench_teardown(struct bench *b)
{
	uiommu_vm_destroy(b->vm);
	free(b->ram);
}

/* The floor of an idle scan: one acquire load per queue, compared. */
struct floor_q {
	const uint32_t *prod;
	uint32_t seen;
} __rte_cache_aligned;

static void
idle_scan(uint32_t nq)
{
	static struct floor_q fq[MAXQ];
	const uint64_t passes = 200000 / nq;
	double best = 1e30, best_floor = 1e30;
	struct bench b;
	uint64_t sink = 0;

	bench_setup(&b, nq, 4);
	for (uint32_t i = 0; i < nq; i++) {
		fq[i].prod = &b.p[i].regs->prod;
		fq[i].seen = 0;
	}
	for (int r = 0; r < reps; r++) {
		double t0 = now_ns(), t1, t2;

		for (uint64_t k = 0; k < passes; k++)
			for (uint32_t i = 0; i < nq; i++)
				sink += uiommu_vcmdq_process(b.q[i], 64);
		t1 = now_ns();
		for (uint64_t k = 0; k < passes; k++)
			for (uint32_t i = 0; i < nq; i++)
				sink += __atomic_load_n(fq[i].prod, __ATOMIC_ACQUIRE) !=
					fq[i].seen;
		t2 = now_ns();
		best = RTE_MIN(best, (t1 - t0) / (double)(passes * nq));
		best_floor = RTE_MIN(best_floor, (t2 - t1) / (double)(passes * nq));
	}
	printf("idle scan  %3u queues: %6.2f ns/queue  (floor %5.2f ns/queue, %.1fx)%s\n",
	       nq, best, best_floor, best / best_floor, sink ? " !" : "");
	bench_teardown(&b);
}

static void
busy(uint32_t n)
{
	const uint32_t per = n + 1;
	const uint64_t passes = RTE_MAX(20000u / per, 50u);
	struct uiommu_cmd cmds[257];
	double best = 1e30, best_ring = 1e30;
	struct uiommu_vcmdq_cons rc;
	struct uiommu_cmd_info ci;
	struct uiommu_cmd copy[257];
	struct bench b;
	uint64_t consumed = 0;

	bench_setup(&b, 1, 10);
	for (uint32_t i = 0; i < n; i++) {
		ci = (struct uiommu_cmd_info){ .op = UIOMMU_CMD_TLBI_NH_VA,
			.asid = 1, .addr = 0x1000ULL * (i + 1), .leaf = true };
		uiommu_cmd_encode(&ci, &cmds[i]);
	}
	ci = (struct uiommu_cmd_info){ .op = UIOMMU_CMD_SYNC,
				       .cs = UIOMMU_CMD_SYNC_CS_SEV };
	uiommu_cmd_encode(&ci, &cmds[n]);
	for (int r = 0; r < reps; r++) {
		double t0, t1;

		uiommu_mock_reset();
		t0 = now_ns();
		for (uint64_t k = 0; k < passes; k++) {
			uiommu_vcmdq_prod_write(&b.p[0], cmds, per);
			uiommu_vcmdq_prod_publish(&b.p[0]);
			consumed += uiommu_vcmdq_process(b.q[0], 512);
		}
		t1 = now_ns();
		best = RTE_MIN(best, (t1 - t0) / (double)(passes * per));
	}
	if (consumed != (uint64_t)reps * passes * per)
		die("busy: commands lost", -EIO);
	bench_teardown(&b);

	/* The ring alone, on a private queue in plain memory. */
	{
		static struct uiommu_cmd ring[1024] __rte_cache_aligned;
		static struct uiommu_vcmdq_regs regs __rte_cache_aligned;
		struct uiommu_vcmdq_prod p;

		uiommu_vcmdq_cons_init(&rc, ring, 10, &regs);
		uiommu_vcmdq_prod_init(&p, ring, 10, &regs);
		uiommu_vcmdq_prod_enable(&p, 0);
		uiommu_vcmdq_cons_poll(&rc, 0);
		for (int r = 0; r < reps; r++) {
			double t0 = now_ns(), t1;

			for (uint64_t k = 0; k < passes; k++) {
				uint32_t got;

				uiommu_vcmdq_prod_write(&p, cmds, per);
				uiommu_vcmdq_prod_publish(&p);
				got = uiommu_vcmdq_cons_poll(&rc, 512);
				got = uiommu_vcmdq_cons_peek(&rc, copy, got);
				uiommu_vcmdq_cons_advance(&rc, got);
			}
			t1 = now_ns();
			best_ring = RTE_MIN(best_ring, (t1 - t0) / (double)(passes * per));
		}
	}
	printf("busy N=%3u + SYNC: %6.2f ns/command  (ring alone %5.2f ns, dispatch adds %5.2f ns)\n",
	       n, best, best_ring, best - best_ring);
}

int
main(int argc, char **argv)
{
	const uint32_t nqs[] = { 1, 16, 128 };
	const uint32_t ns[] = { 1, 8, 32, 256 };

	if (argc > 1)
		reps = atoi(argv[1]) <= 0 ? 1 : reps * atoi(argv[1]);
	printf("dispatch_perf: best of %d repetitions, mock backend, one thread\n",
	       reps);
	for (size_t i = 0; i < RTE_DIM(nqs); i++)
		idle_scan(nqs[i]);
	for (size_t i = 0; i < RTE_DIM(ns); i++)
		busy(ns[i]);
	return 0;
}
