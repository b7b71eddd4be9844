/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Scenario "chase": a chain of dependent loads, depth 1..8, over cache
 * lines that stay in L1 or in L2 — the baseline of the translate scenario
 * (an IOTLB hit or a nested page-table walk is a short chain of dependent
 * loads, so its cost is read against a bare chain of the same depth).
 *
 * The working set is an array of 64-byte lines linked into one random cycle
 * (Sattolo's shuffle, fixed seed), so hardware prefetchers cannot guess the
 * next line. A "walk" of depth d follows d links. One sample times 32 walks
 * back to back, each starting where the previous ended, so the walks are
 * fully serial and the timer's cost is spread over 32 walks; the histogram
 * is divided by 32 (ops_per_sample) and reads as cycles per walk.
 *
 * Working sets: half the L1 data cache ("l1") and half the L2 but at least
 * four L1s ("l2"), from /sys/devices/system/cpu/cpuN/cache (32 KiB and
 * 512 KiB assumed when unknown). Runs on the main lcore only. Every
 * variant is compared with l1-d1: l1-dN / l1-d1 ~ N shows that the chain
 * is serial, l2-d1 / l1-d1 is the L2-to-L1 latency ratio.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_lcore.h>

#include "bench.h"

#define CHASE_WALKS_PER_SAMPLE 32u
#define CHASE_MAX_DEPTH 8u

struct chase_line {
	struct chase_line *next;
	char pad[64 - sizeof(void *)];
};

struct chase_op {
	struct chase_line *p;
	unsigned int depth;
};

static size_t
cache_size(int cpu, int level, const char *type, size_t dflt)
{
	char path[160], buf[64];

	for (int idx = 0; idx < 8; idx++) {
		FILE *f;
		int lvl = -1;
		char ty[32] = "";
		size_t kib = 0;

		snprintf(path, sizeof(path),
			 "/sys/devices/system/cpu/cpu%d/cache/index%d/level", cpu, idx);
		f = fopen(path, "r");
		if (f == NULL)
			break;
		if (fscanf(f, "%d", &lvl) != 1)
			lvl = -1;
		fclose(f);
		snprintf(path, sizeof(path),
			 "/sys/devices/system/cpu/cpu%d/cache/index%d/type", cpu, idx);
		f = fopen(path, "r");
		if (f != NULL) {
			if (fscanf(f, "%31s", ty) != 1)
				ty[0] = '\0';
			fclose(f);
		}
		if (lvl != level || strcmp(ty, type) != 0)
			continue;
		snprintf(path, sizeof(path),
			 "/sys/devices/system/cpu/cpu%d/cache/index%d/size", cpu, idx);
		f = fopen(path, "r");
		if (f == NULL)
			continue;
		if (fgets(buf, sizeof(buf), f) != NULL)
			kib = strtoull(buf, NULL, 10);
		fclose(f);
		if (kib > 0)
			return kib * 1024;
	}
	return dflt;
}

static int
chase_walks(void *arg)
{
	struct chase_op *op = arg;
	struct chase_line *p = op->p;

	for (unsigned int w = 0; w < CHASE_WALKS_PER_SAMPLE; w++)
		for (unsigned int d = 0; d < op->depth; d++)
			p = p->next;
	op->p = p;
	return 0;
}

/* Link n lines into one random cycle (Sattolo: a single n-cycle). */
static void
link_cycle(struct chase_line *lines, size_t n, unsigned int *order)
{
	uint64_t x = 0x9e3779b97f4a7c15ULL;

	for (size_t i = 0; i < n; i++)
		order[i] = (unsigned int)i;
	for (size_t i = n - 1; i > 0; i--) {
		size_t j;
		unsigned int t;

		x ^= x >> 12;
		x ^= x << 25;
		x ^= x >> 27;
		j = (size_t)((x * 2685821657736338717ULL) % i);
		t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
	for (size_t i = 0; i < n; i++)
		lines[i].next = &lines[order[i]];
}

static int
run_set(struct bench_ctx *ctx, const char *level, size_t bytes)
{
	size_t n = bytes / sizeof(struct chase_line);
	struct chase_line *lines;
	unsigned int *order;
	struct chase_op op;
	int rc = 0;

	lines = bench_shared_alloc(n * sizeof(*lines), 4096);
	if (lines == NULL)
		return -ENOMEM;
	order = malloc(n * sizeof(*order));
	if (order == NULL) {
		rc = -ENOMEM;
		goto out_lines;
	}
	link_cycle(lines, n, order);
	free(order);
	op.p = &lines[0];
	for (unsigned int depth = 1; depth <= CHASE_MAX_DEPTH && rc == 0; depth++) {
		char variant[BENCH_NAME_MAX];
		struct bench_result *res;

		snprintf(variant, sizeof(variant), "%s-d%u", level, depth);
		res = bench_set_add_latency(ctx->set, "chase", variant,
					    strcmp(variant, "l1-d1") == 0 ? "" : "chase/l1-d1",
					    "walk", CHASE_WALKS_PER_SAMPLE);
		if (res == NULL) {
			rc = -errno;
			break;
		}
		snprintf(res->note, sizeof(res->note),
			 "%u dependent loads over %zu KiB (%zu lines, random cycle); "
			 "%u walks per sample", depth, bytes / 1024, n,
			 CHASE_WALKS_PER_SAMPLE);
		/* Touch the whole cycle so the set is resident before timing. */
		for (size_t i = 0; i < 2 * n; i++)
			op.p = op.p->next;
		op.depth = depth;
		rc = bench_latency_loop(ctx, res, chase_walks, &op);
	}
out_lines:
	bench_shared_free(lines);
	return rc;
}

static int
chase_run(struct bench_ctx *ctx)
{
	int cpu = (int)rte_lcore_to_cpu_id((int)ctx->main_lcore);
	size_t l1, l2, l1_set, l2_set;
	int rc;

	if (cpu < 0)
		cpu = 0;
	l1 = cache_size(cpu, 1, "Data", 32 * 1024);
	l2 = cache_size(cpu, 2, "Unified", 512 * 1024);
	l1_set = l1 / 2;
	l2_set = l2 / 2 > 4 * l1 ? l2 / 2 : 4 * l1;
	rc = run_set(ctx, "l1", l1_set);
	if (rc == 0)
		rc = run_set(ctx, "l2", l2_set);
	if (rc != 0)
		bench_set_failed(ctx->set, "chase", rc, "pointer chase could not run");
	return rc;
}

static const struct bench_scenario sc_chase = {
	.name = "chase",
	.summary = "dependent-load chain, depth 1..8, over lines in L1 and in L2 (root baseline)",
	.baseline = NULL,
	.order = 40,
	.plot = false,
	.run = chase_run,
};

BENCH_SCENARIO_REGISTER(sc_chase)
