/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Two-lcore harness: worker launch, shared memory, the latency loop.
 *
 * Every two-core scenario runs its "answering" side on the one worker lcore
 * (rte_eal_remote_launch) and its measuring side on the main lcore, both
 * pinned by EAL to the CPUs of the -l/--lcores list. Timing is always taken
 * on the main lcore, so no figure depends on the two cores' TSCs agreeing.
 *
 * Shared lines come from rte_zmalloc on the main lcore's socket (hugepages
 * when EAL has them), aligned to at least 128 bytes so that the adjacent-line
 * prefetcher never drags a neighbour's data into a measured line; without
 * EAL heap memory they fall back to posix_memalign, and the report's
 * "hugepages" condition says which memory was used.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

#include "bench.h"

int
bench_worker_start(struct bench_ctx *ctx, int (*fn)(void *), void *arg)
{
	if (rte_eal_remote_launch(fn, arg, ctx->worker_lcore) != 0)
		return -EBUSY;
	return 0;
}

int
bench_worker_wait(struct bench_ctx *ctx)
{
	return rte_eal_wait_lcore(ctx->worker_lcore);
}

/*
 * Both kinds of memory carry a header just below the returned pointer: the
 * pointer to free and which allocator it came from.
 */
struct shared_hdr {
	void *base;
	uint64_t from_eal;
};

void *
bench_shared_alloc(size_t size, size_t align)
{
	unsigned char *base;
	struct shared_hdr *hdr;
	uint64_t from_eal = 1;

	if (align < 128)
		align = 128;
	if (size > SIZE_MAX - align)
		return NULL;
	base = rte_zmalloc_socket("uiommu_bench", size + align,
				  (unsigned int)align, (int)rte_socket_id());
	if (base == NULL) {
		from_eal = 0;
		if (posix_memalign((void **)&base, align, size + align) != 0)
			return NULL;
		memset(base, 0, size + align);
	}
	hdr = (struct shared_hdr *)(base + align) - 1;
	hdr->base = base;
	hdr->from_eal = from_eal;
	return base + align;
}

void
bench_shared_free(void *p)
{
	struct shared_hdr *hdr;

	if (p == NULL)
		return;
	hdr = (struct shared_hdr *)p - 1;
	if (hdr->from_eal)
		rte_free(hdr->base);
	else
		free(hdr->base);
}

int
bench_latency_loop(struct bench_ctx *ctx, struct bench_result *res,
		   bench_op_fn op, void *arg)
{
	int rc;

	for (uint64_t i = 0; i < ctx->warmup; i++) {
		rc = op(arg);
		if (rc != 0)
			return rc;
	}
	for (uint64_t i = 0; i < ctx->samples; i++) {
		uint64_t t0 = bench_tsc_begin();

		rc = op(arg);
		uint64_t t1 = bench_tsc_end();

		if (rc != 0)
			return rc;
		bench_hist_record(res->hist, t1 - t0);
	}
	return 0;
}
