/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of apps/uiommu-bench/bench_vm.c, the machinery of the uiommu
 * scenarios (never their timing):
 *  - bench_interleave(): every variant gets exactly --samples timed samples
 *    in BENCH_ILV_ROUNDS blocks, the blocks alternate between variants,
 *    each block is preceded by its warm-up, and an error in a sample or a
 *    start stops the measurement with every started side stopped;
 *  - the command encoders and the stall-tolerant timeout;
 *  - bench_vm_create() (EAL, one lcore): the nested device is configured
 *    by the guest's CFGI_STE and the IOTLB warmed, every queue is enabled,
 *    a TLBI_NH_VA + CMD_SYNC written by the guest is consumed by an inline
 *    uiommu_vcmdq_process() and CONS passes it; bad configurations and a
 *    duplicate VM name are refused and leave nothing behind.
 * The variants of the interleaver are fakes that record the calls.
 */
#include <errno.h>
#include <string.h>

#include <rte_cycles.h>

#include "uiommu_ut.h"
#include "bench.h"
#include "bench_vm.h"
#include "uiommu_cmd.h"

/* ---- fake variants ---- */

#define FK_MAX_EVENTS 4096

struct fk_log {
	char ev[FK_MAX_EVENTS];	/* 'S' start, 'X' stop, 's' sample, per variant */
	unsigned int who[FK_MAX_EVENTS];
	unsigned int n;
};

struct fk {
	struct fk_log *log;
	unsigned int id;
	unsigned int starts, stops, samples;
	unsigned int fail_sample_at;	/* 1-based sample that fails, 0 never */
	unsigned int fail_start_at;	/* 1-based start that fails, 0 never */
	int running;
};

static void
fk_note(struct fk *f, char ev)
{
	if (f->log->n < FK_MAX_EVENTS) {
		f->log->ev[f->log->n] = ev;
		f->log->who[f->log->n] = f->id;
		f->log->n++;
	}
}

static int
fk_start(struct bench_ctx *ctx, void *arg)
{
	struct fk *f = arg;

	(void)ctx;
	f->starts++;
	fk_note(f, 'S');
	if (f->fail_start_at != 0 && f->starts == f->fail_start_at)
		return -EBUSY;
	f->running = 1;
	return 0;
}

static int
fk_stop(struct bench_ctx *ctx, void *arg)
{
	struct fk *f = arg;

	(void)ctx;
	f->stops++;
	f->running = 0;
	fk_note(f, 'X');
	return 0;
}

static int
fk_sample(void *arg, uint64_t *cycles)
{
	struct fk *f = arg;

	CU_ASSERT_EQUAL(f->running, 1);
	f->samples++;
	fk_note(f, 's');
	*cycles = 100 + f->id;
	if (f->fail_sample_at != 0 && f->samples == f->fail_sample_at)
		return -EIO;
	return 0;
}

static struct bench_set *
fk_setup(struct bench_ctx *ctx, struct fk *f, struct bench_ilv *v,
	 unsigned int n, struct fk_log *log, uint64_t samples, uint64_t warmup)
{
	struct bench_set *set = bench_set_alloc(1000000000ULL);

	UT_ASSERT_FATAL(set != NULL);
	memset(ctx, 0, sizeof(*ctx));
	ctx->samples = samples;
	ctx->warmup = warmup;
	ctx->set = set;
	memset(log, 0, sizeof(*log));
	for (unsigned int k = 0; k < n; k++) {
		char name[8];

		snprintf(name, sizeof(name), "v%u", k);
		f[k] = (struct fk){ .log = log, .id = k };
		v[k] = (struct bench_ilv){
			.res = bench_set_add_latency(set, "fk", name, "", "op", 1),
			.start = fk_start, .stop = fk_stop, .sample = fk_sample,
			.arg = &f[k],
		};
		UT_ASSERT_FATAL(v[k].res != NULL);
	}
	return set;
}

static void
test_interleave_blocks(void)
{
	struct bench_ctx ctx;
	struct bench_ilv v[3];
	struct fk f[3];
	static struct fk_log log;
	struct bench_set *set = fk_setup(&ctx, f, v, 3, &log, 103, 40);
	const uint64_t warm = 40 / BENCH_ILV_ROUNDS;
	unsigned int expect_who = 0, blocks = 0;

	CU_ASSERT_EQUAL(bench_interleave(&ctx, v, 3), 0);
	for (unsigned int k = 0; k < 3; k++) {
		/* Exactly --samples recorded, warm-up not recorded. */
		CU_ASSERT_EQUAL(v[k].res->hist->count, 103);
		CU_ASSERT_EQUAL(v[k].res->hist->min, 100 + k);
		CU_ASSERT_EQUAL(f[k].starts, BENCH_ILV_ROUNDS);
		CU_ASSERT_EQUAL(f[k].stops, BENCH_ILV_ROUNDS);
		CU_ASSERT_EQUAL(f[k].samples, 103 + BENCH_ILV_ROUNDS * warm);
	}
	/* Blocks alternate v0, v1, v2, v0, ... and each is S s..s X. */
	for (unsigned int i = 0; i < log.n; i++) {
		if (log.ev[i] == 'S') {
			CU_ASSERT_EQUAL(log.who[i], expect_who);
			blocks++;
		} else {
			CU_ASSERT_EQUAL(log.who[i], expect_who);
		}
		if (log.ev[i] == 'X')
			expect_who = (expect_who + 1) % 3;
	}
	CU_ASSERT_EQUAL(blocks, 3 * BENCH_ILV_ROUNDS);
	bench_set_free(set);
}

static void
test_interleave_few_samples(void)
{
	struct bench_ctx ctx;
	struct bench_ilv v[2];
	struct fk f[2];
	static struct fk_log log;
	struct bench_set *set = fk_setup(&ctx, f, v, 2, &log, 5, 0);

	/* Fewer samples than rounds: one round per sample, one warm-up each. */
	CU_ASSERT_EQUAL(bench_interleave(&ctx, v, 2), 0);
	for (unsigned int k = 0; k < 2; k++) {
		CU_ASSERT_EQUAL(v[k].res->hist->count, 5);
		CU_ASSERT_EQUAL(f[k].starts, 5);
		CU_ASSERT_EQUAL(f[k].samples, 10);
	}
	bench_set_free(set);
}

static void
test_interleave_errors(void)
{
	struct bench_ctx ctx;
	struct bench_ilv v[3];
	struct fk f[3];
	static struct fk_log log;
	struct bench_set *set = fk_setup(&ctx, f, v, 3, &log, 200, 20);

	/* A sample fails: the error comes back, its side is stopped, the
	 * variant after it never starts again. */
	f[1].fail_sample_at = 25;
	CU_ASSERT_EQUAL(bench_interleave(&ctx, v, 3), -EIO);
	for (unsigned int k = 0; k < 3; k++) {
		CU_ASSERT_EQUAL(f[k].starts, f[k].stops);
		CU_ASSERT_EQUAL(f[k].running, 0);
	}
	CU_ASSERT_EQUAL(f[1].samples, 25);
	CU_ASSERT(f[2].starts < f[0].starts);
	bench_set_free(set);

	/* A start fails: returned, not stopped (it never ran), nothing after. */
	set = fk_setup(&ctx, f, v, 3, &log, 200, 20);
	f[2].fail_start_at = 3;
	CU_ASSERT_EQUAL(bench_interleave(&ctx, v, 3), -EBUSY);
	CU_ASSERT_EQUAL(f[2].starts, 3);
	CU_ASSERT_EQUAL(f[2].stops, 2);
	CU_ASSERT_EQUAL(f[0].starts, 3);
	CU_ASSERT_EQUAL(f[0].stops, 3);
	CU_ASSERT_EQUAL(log.ev[log.n - 1], 'S');
	bench_set_free(set);
}

static void
test_commands(void)
{
	struct uiommu_cmd_info ci;
	struct uiommu_cmd c;

	CU_ASSERT_EQUAL(bench_cmd_tlbi(70, 64, &c), 0);
	CU_ASSERT_EQUAL(uiommu_cmd_decode(&c, &ci), 0);
	CU_ASSERT_EQUAL(ci.op, UIOMMU_CMD_TLBI_NH_VA);
	CU_ASSERT_EQUAL(ci.asid, BENCH_VM_ASID);
	CU_ASSERT(ci.leaf);
	CU_ASSERT_EQUAL(ci.addr, BENCH_VM_IOVA_BASE + 4096ULL * 6);
	/* pages 0 behaves as 1. */
	CU_ASSERT_EQUAL(bench_cmd_tlbi(9, 0, &c), 0);
	CU_ASSERT_EQUAL(uiommu_cmd_decode(&c, &ci), 0);
	CU_ASSERT_EQUAL(ci.addr, BENCH_VM_IOVA_BASE);
	CU_ASSERT_EQUAL(bench_cmd_sync(&c), 0);
	CU_ASSERT_EQUAL(uiommu_cmd_decode(&c, &ci), 0);
	CU_ASSERT_EQUAL(ci.op, UIOMMU_CMD_SYNC);
	CU_ASSERT_EQUAL(ci.cs, UIOMMU_CMD_SYNC_CS_NONE);
}

static void
test_timeout(void)
{
	struct bench_ctx ctx = { .tsc_hz = 1000, .timeout_cycles = 2000 };

	CU_ASSERT_EQUAL(bench_vm_timeout(&ctx), 1000ULL * BENCH_VM_STALL_S);
	ctx.timeout_cycles = 1000ULL * BENCH_VM_STALL_S + 1;
	CU_ASSERT_EQUAL(bench_vm_timeout(&ctx), ctx.timeout_cycles);
}

static void
test_vm_create(void)
{
	const struct bench_vm_conf conf = {
		.name = "ut-bench-vm", .nviommus = 2, .nqueues = 130,
		.ring_log2 = 4, .s1_pages = 8,
	};
	struct bench_vm_conf bad = conf;
	struct uiommu_vdevice_info info;
	struct uiommu_vcmdq_stats st;
	struct bench_vm *vm = NULL, *dup = NULL;
	struct uiommu_cmd cmds[2];
	char why[128];
	uint32_t target;

	UT_ASSERT_FATAL(ut_eal_init("0") == 0);
	UT_ASSERT_FATAL(bench_vm_create(&conf, &vm, why, sizeof(why)) == 0);
	CU_ASSERT_EQUAL(vm->nvi, 2);
	CU_ASSERT_EQUAL(vm->nq, 130);
	CU_ASSERT_EQUAL(vm->mgr_nq, 130);
	CU_ASSERT_EQUAL(vm->iotlb_warm, 8);
	for (unsigned int i = 0; i < vm->nq; i++)
		CU_ASSERT(uiommu_vcmdq_prod_enabled(&vm->q[i].p));
	/* Queue 128 is the first of the second vIOMMU. */
	CU_ASSERT(uiommu_vcmdq_viommu(vm->q[128].q) == vm->vi[1]);
	UT_ASSERT_FATAL(vm->dev != NULL);
	CU_ASSERT_EQUAL(uiommu_vdevice_info_get(vm->dev, &info), 0);
	CU_ASSERT(!info.blocked);
	CU_ASSERT_EQUAL(info.ste_updates, 1);

	/* The guest's round trip, answered inline. */
	CU_ASSERT_EQUAL(bench_cmd_tlbi(3, 8, &cmds[0]), 0);
	CU_ASSERT_EQUAL(bench_cmd_sync(&cmds[1]), 0);
	CU_ASSERT_EQUAL(uiommu_vcmdq_prod_write(&vm->q[0].p, cmds, 2), 2);
	target = uiommu_vcmdq_prod_index(&vm->q[0].p);
	uiommu_vcmdq_prod_publish(&vm->q[0].p);
	CU_ASSERT_EQUAL(uiommu_vcmdq_process(vm->q[0].q, 64), 2);
	CU_ASSERT_EQUAL(bench_vq_wait(&vm->q[0], target, rte_get_tsc_hz()), 0);
	uiommu_vcmdq_stats_get(vm->q[0].q, &st);
	CU_ASSERT(st.syncs >= 2);	/* the set-up's CFGI_STE sync and ours */
	CU_ASSERT_EQUAL(st.errors, 0);

	/* A second VM of the same name is refused; nothing is left of it. */
	CU_ASSERT_EQUAL(bench_vm_create(&conf, &dup, why, sizeof(why)), -EEXIST);
	CU_ASSERT(dup == NULL);
	bench_vm_destroy(vm);
	/* The name is free again once destroyed. */
	UT_ASSERT_FATAL(bench_vm_create(&conf, &vm, why, sizeof(why)) == 0);
	bench_vm_destroy(vm);

	bad.nqueues = 0;
	CU_ASSERT_EQUAL(bench_vm_create(&bad, &vm, NULL, 0), -EINVAL);
	bad = conf;
	bad.nqueues = 2 * UIOMMU_MAX_VCMDQS + 1;
	CU_ASSERT_EQUAL(bench_vm_create(&bad, &vm, NULL, 0), -EINVAL);
	bad = conf;
	bad.nviommus = UIOMMU_MAX_VIOMMUS_PER_VM + 1;
	CU_ASSERT_EQUAL(bench_vm_create(&bad, &vm, NULL, 0), -EINVAL);
	bad = conf;
	bad.ring_log2 = 0;
	CU_ASSERT_EQUAL(bench_vm_create(&bad, &vm, NULL, 0), -EINVAL);
	bench_vm_destroy(NULL);
}

int
main(int argc, char **argv)
{
	static const struct ut_case cases[] = {
		UT_CASE(test_interleave_blocks),
		UT_CASE(test_interleave_few_samples),
		UT_CASE(test_interleave_errors),
		UT_CASE(test_commands),
		UT_CASE(test_timeout),
		UT_CASE(test_vm_create),
		UT_END
	};

	return ut_main("bench_vm", cases, argc, argv);
}
