/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Benchmark of lib/cmdq (meson benchmark, never a pass/fail timing test).
 *
 *  1. decode: ns per uiommu_cmd_decode() over a mix of guest commands
 *     (TLBI_NH_VA range and non-range, TLBI_NH_ASID, CFGI_CD, ATC_INV,
 *     CMD_SYNC), 4096 distinct entries cycled so the table stays hot as on
 *     a busy manager lcore; reported against a baseline loop that only
 *     loads the same two words (the floor of touching the command at all).
 *  2. ring: single-thread produce + consume cost per command through a
 *     vCMDQ (write, publish, poll, peek, advance) for batches of 1, 8, 32,
 *     against a plain memcpy of the same commands in and out.
 * Each figure is the best of REPS short repetitions (least disturbed by
 * other load on a shared machine). Usage: cmdq_perf [repetitions-scale];
 * 0 runs a single repetition (smoke test).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_byteorder.h>
#include <rte_common.h>

#include "uiommu_cmd.h"
#include "uiommu_vcmdq.h"

#define NCMDS 4096
/* Many short repetitions (about 1 ms each, below a scheduler time slice):
 * the best one is the least disturbed by the other tenants of the cores. */
#define REPS 200
#define REP_ITERS 200000ULL

static double
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void
build_mix(struct uiommu_cmd *cmds, size_t n)
{
	uint64_t s = 0x1234567;

	for (size_t i = 0; i < n; i++) {
		struct uiommu_cmd_info ci = { 0 };

		switch (rnd(&s) % 6) {
		case 0:
			ci.op = UIOMMU_CMD_TLBI_NH_VA;
			ci.asid = (uint16_t)rnd(&s);
			ci.addr = (rnd(&s) >> 16) << 12;
			ci.leaf = 1;
			break;
		case 1:
			ci.op = UIOMMU_CMD_TLBI_NH_VA;
			ci.asid = (uint16_t)rnd(&s);
			ci.addr = (rnd(&s) >> 16) << 12;
			ci.tg = UIOMMU_CMD_TG_4K;
			ci.num = (uint8_t)(rnd(&s) % 32);
			ci.scale = (uint8_t)(rnd(&s) % 8);
			ci.ttl = 3;
			break;
		case 2:
			ci.op = UIOMMU_CMD_TLBI_NH_ASID;
			ci.asid = (uint16_t)rnd(&s);
			break;
		case 3:
			ci.op = UIOMMU_CMD_CFGI_CD;
			ci.sid = (uint32_t)rnd(&s);
			ci.ssid = (uint32_t)(rnd(&s) & 0xfffff);
			ci.leaf = 1;
			break;
		case 4:
			ci.op = UIOMMU_CMD_ATC_INV;
			ci.sid = (uint32_t)rnd(&s);
			ci.size = 0;
			ci.addr = (rnd(&s) >> 16) << 12;
			break;
		default:
			ci.op = UIOMMU_CMD_SYNC;
			ci.cs = UIOMMU_CMD_SYNC_CS_IRQ;
			ci.msh = 3;
			ci.msiattr = 0xf;
			ci.msiaddr = (rnd(&s) >> 16) << 4;
			break;
		}
		if (uiommu_cmd_encode(&ci, &cmds[i]) != 0) {
			fprintf(stderr, "encode failed\n");
			exit(1);
		}
	}
}

static void
bench_decode(uint64_t iters, int reps)
{
	static struct uiommu_cmd cmds[NCMDS];
	struct uiommu_cmd_info ci;
	double best = 1e30, base = 1e30;
	volatile uint64_t sink = 0;

	build_mix(cmds, NCMDS);
	for (int r = 0; r < reps; r++) {
		uint64_t acc = 0;
		double t0 = now_ns();

		for (uint64_t i = 0; i < iters; i++) {
			const struct uiommu_cmd *c = &cmds[i & (NCMDS - 1)];

			acc += rte_le_to_cpu_64(c->dw[0]) ^
			       rte_le_to_cpu_64(c->dw[1]);
			__asm__ volatile("" : : "r"(acc) : "memory");
		}
		base = RTE_MIN(base, (now_ns() - t0) / (double)iters);
		sink += acc;

		acc = 0;
		t0 = now_ns();
		for (uint64_t i = 0; i < iters; i++) {
			int rc = uiommu_cmd_decode(&cmds[i & (NCMDS - 1)], &ci);

			acc += (uint64_t)rc + ci.addr + ci.asid + ci.sid;
		}
		best = RTE_MIN(best, (now_ns() - t0) / (double)iters);
		sink += acc;
	}
	printf("decode:   %.2f ns/command  (load-only baseline %.2f ns, ratio %.1fx)\n",
	       best, base, best / base);
	(void)sink;
}

static void
bench_ring(uint64_t iters, uint32_t batch, int reps)
{
	const uint32_t log2 = 8;
	struct uiommu_cmd *ring = calloc(1u << log2, sizeof(*ring));
	struct uiommu_cmd in[32], out[32];
	struct uiommu_vcmdq_regs regs;
	struct uiommu_vcmdq_cons c;
	struct uiommu_vcmdq_prod p;
	double best = 1e30, base = 1e30;
	volatile uint64_t sink = 0;
	uint64_t rounds = iters / batch;

	if (ring == NULL)
		exit(1);
	build_mix(in, RTE_DIM(in));
	if (uiommu_vcmdq_cons_init(&c, ring, log2, &regs) != 0 ||
	    uiommu_vcmdq_prod_init(&p, ring, log2, &regs) != 0 ||
	    uiommu_vcmdq_prod_enable(&p, 0) != 0)
		exit(1);
	uiommu_vcmdq_cons_poll(&c, 1);

	for (int r = 0; r < reps; r++) {
		uint64_t acc = 0;
		double t0 = now_ns();

		for (uint64_t i = 0; i < rounds; i++) {
			uint32_t k;

			uiommu_vcmdq_prod_write(&p, in, batch);
			uiommu_vcmdq_prod_publish(&p);
			k = uiommu_vcmdq_cons_poll(&c, 64);
			k = uiommu_vcmdq_cons_peek(&c, out, k);
			acc += out[0].dw[0] + uiommu_vcmdq_cons_advance(&c, k);
		}
		best = RTE_MIN(best, (now_ns() - t0) / (double)(rounds * batch));
		sink += acc;

		acc = 0;
		t0 = now_ns();
		for (uint64_t i = 0; i < rounds; i++) {
			memcpy(&ring[(i * batch) & 0xff & ~31u], in,
			       batch * sizeof(in[0]));
			__asm__ volatile("" : : : "memory");
			memcpy(out, &ring[(i * batch) & 0xff & ~31u],
			       batch * sizeof(out[0]));
			acc += out[0].dw[0];
		}
		base = RTE_MIN(base, (now_ns() - t0) / (double)(rounds * batch));
		sink += acc;
	}
	printf("ring:     batch %2u: %.2f ns/command produce+consume  (memcpy in+out baseline %.2f ns, ratio %.1fx)\n",
	       batch, best, base, best / base);
	if (c.n_bad_prod != 0)
		printf("          unexpected inconsistent PROD polls: %llu\n",
		       (unsigned long long)c.n_bad_prod);
	(void)sink;
	free(ring);
}

int
main(int argc, char **argv)
{
	long scale = argc > 1 ? strtol(argv[1], NULL, 0) : 1;
	int reps = scale <= 0 ? 1 : (int)RTE_MIN(scale * REPS, 100000L);

	printf("cmdq_perf: single thread, best of %d repetitions of %llu commands\n",
	       reps, REP_ITERS);
	bench_decode(REP_ITERS, reps);
	bench_ring(REP_ITERS, 1, reps);
	bench_ring(REP_ITERS, 8, reps);
	bench_ring(REP_ITERS, 32, reps);
	return 0;
}
