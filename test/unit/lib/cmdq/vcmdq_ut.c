/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tests of lib/cmdq/vcmdq.c: the vCMDQ ring, both sides.
 *
 * Rings are allocated with exactly 2^log2size entries on the heap, so an
 * ASan build catches any read or write outside the ring. The register block
 * is heap-allocated on its own for the same reason. Single-threaded tests
 * interleave producer and consumer calls by hand (the enable handshake is
 * requested without waiting, then acknowledged by a poll); the streaming
 * test runs them on two threads.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_byteorder.h>
#include <rte_pause.h>

#include "uiommu_cmd.h"
#include "uiommu_vcmdq.h"
#include "uiommu_ut.h"

/* A queue under test: exactly sized ring, own register block, both sides. */
struct fixture {
	struct uiommu_cmd *ring;
	struct uiommu_vcmdq_regs *regs;
	struct uiommu_vcmdq_cons c;
	struct uiommu_vcmdq_prod p;
	uint32_t log2size;
};

static void
fx_init(struct fixture *fx, uint32_t log2size)
{
	memset(fx, 0, sizeof(*fx));
	fx->log2size = log2size;
	fx->ring = calloc(1u << log2size, sizeof(*fx->ring));
	fx->regs = calloc(1, sizeof(*fx->regs));
	UT_ASSERT_FATAL(fx->ring != NULL && fx->regs != NULL);
	UT_ASSERT_FATAL(uiommu_vcmdq_cons_init(&fx->c, fx->ring, log2size,
					       fx->regs) == 0);
	UT_ASSERT_FATAL(uiommu_vcmdq_prod_init(&fx->p, fx->ring, log2size,
					       fx->regs) == 0);
}

/* Enable through the handshake: request, manager poll, check. */
static void
fx_enable(struct fixture *fx)
{
	UT_ASSERT_FATAL(uiommu_vcmdq_prod_enable(&fx->p, 0) == 0);
	CU_ASSERT_FALSE(uiommu_vcmdq_prod_enabled(&fx->p));
	CU_ASSERT_EQUAL(uiommu_vcmdq_cons_poll(&fx->c, 1), 0);
	UT_ASSERT_FATAL(uiommu_vcmdq_prod_enabled(&fx->p));
}

static void
fx_fini(struct fixture *fx)
{
	free(fx->ring);
	free(fx->regs);
}

/* A command carrying a sequence number (opaque to the ring). */
static struct uiommu_cmd
seq_cmd(uint64_t seq)
{
	struct uiommu_cmd c = { .dw = { rte_cpu_to_le_64(0x12 | (seq << 32)),
					rte_cpu_to_le_64(~seq) } };

	return c;
}

static uint64_t
cmd_seq(const struct uiommu_cmd *c)
{
	return rte_le_to_cpu_64(c->dw[0]) >> 32;
}

static bool
cmd_seq_ok(const struct uiommu_cmd *c, uint64_t seq)
{
	return (rte_le_to_cpu_64(c->dw[0]) & 0xff) == 0x12 &&
	       cmd_seq(c) == (seq & 0xffffffff) &&
	       rte_le_to_cpu_64(c->dw[1]) == ~(seq & 0xffffffff);
}

static void
test_vcmdq_init_errors(void)
{
	struct uiommu_cmd ring[4] = { 0 };
	struct uiommu_vcmdq_regs regs;
	struct uiommu_vcmdq_cons c;
	struct uiommu_vcmdq_prod p;

	CU_ASSERT_EQUAL(uiommu_vcmdq_cons_init(NULL, ring, 2, &regs), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_vcmdq_cons_init(&c, NULL, 2, &regs), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_vcmdq_cons_init(&c, ring, 2, NULL), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_vcmdq_cons_init(&c, ring,
					       UIOMMU_VCMDQ_MIN_LOG2 - 1,
					       &regs), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_vcmdq_cons_init(&c, ring,
					       UIOMMU_VCMDQ_MAX_LOG2 + 1,
					       &regs), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_vcmdq_prod_init(NULL, ring, 2, &regs), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_vcmdq_prod_init(&p, NULL, 2, &regs), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_vcmdq_prod_init(&p, ring, 2, NULL), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_vcmdq_prod_init(&p, ring, 32, &regs), -EINVAL);

	/* init resets every register, reserved words included. */
	memset(&regs, 0xff, sizeof(regs));
	CU_ASSERT_EQUAL(uiommu_vcmdq_cons_init(&c, ring, 2, &regs), 0);
	for (size_t i = 0; i < sizeof(regs) / 4; i++)
		CU_ASSERT_EQUAL(((uint32_t *)&regs)[i], 0);
}

static void
test_vcmdq_layout(void)
{
	struct uiommu_vcmdq_page *pg = calloc(1, sizeof(*pg));
	uint8_t *base = (uint8_t *)pg;

	UT_ASSERT_FATAL(pg != NULL);
	CU_ASSERT_EQUAL(sizeof(*pg), 16384);
	CU_ASSERT_EQUAL(UIOMMU_VCMDQS_PER_4K, 32);
	/* Queue 33's GERRORN at 33 * 0x80 + 0x14. */
	CU_ASSERT_PTR_EQUAL((uint8_t *)&pg->q[33].gerrorn, base + 0x1094);
	CU_ASSERT_PTR_EQUAL((uint8_t *)&pg->q[1].cons, base + 0x80);
	CU_ASSERT_PTR_EQUAL((uint8_t *)&pg->q[0].prod, base + 0x04);
	CU_ASSERT_PTR_EQUAL((uint8_t *)&pg->q[0].config, base + 0x08);
	CU_ASSERT_PTR_EQUAL((uint8_t *)&pg->q[0].status, base + 0x0c);
	CU_ASSERT_PTR_EQUAL((uint8_t *)&pg->q[0].gerror, base + 0x10);
	free(pg);
}

static void
test_vcmdq_empty_full(void)
{
	const uint32_t log2 = 3, size = 1u << log2;
	struct uiommu_cmd in[8 + 1], out[8 + 1];
	struct fixture fx;

	fx_init(&fx, log2);
	fx_enable(&fx);
	for (uint32_t i = 0; i <= size; i++)
		in[i] = seq_cmd(i);

	CU_ASSERT_EQUAL(uiommu_vcmdq_prod_space(&fx.p), size);
	CU_ASSERT_EQUAL(uiommu_vcmdq_cons_poll(&fx.c, 64), 0);
	/* One more than fits: only size are written. */
	CU_ASSERT_EQUAL(uiommu_vcmdq_prod_write(&fx.p, in, size + 1), size);
	CU_ASSERT_EQUAL(uiommu_vcmdq_prod_space(&fx.p), 0);
	CU_ASSERT_EQUAL(uiommu_vcmdq_prod_write(&fx.p, in, 1), 0);
	/* Not published yet: nothing visible. */
	CU_ASSERT_EQUAL(uiommu_vcmdq_cons_poll(&fx.c, 64), 0);
	uiommu_vcmdq_prod_publish(&fx.p);
	/* Full: index equal, wrap different. */
	CU_ASSERT_EQUAL(fx.regs->prod, size);
	CU_ASSERT_EQUAL(fx.regs->cons, 0);
	CU_ASSERT_EQUAL(uiommu_vcmdq_cons_poll(&fx.c, 64), size);
	CU_ASSERT_EQUAL(uiommu_vcmdq_cons_peek(&fx.c, out, size + 1), size);
	for (uint32_t i = 0; i < size; i++)
		CU_ASSERT_TRUE(cmd_seq_ok(&out[i], i));
	/* Peek does not consume. */
	CU_ASSERT_EQUAL(uiommu_vcmdq_prod_space(&fx.p), 0);
	CU_ASSERT_EQUAL(uiommu_vcmdq_cons_advance(&fx.c, size + 5), size);
	CU_ASSERT_EQUAL(fx.regs->cons, size);
	CU_ASSERT_EQUAL(uiommu_vcmdq_prod_space(&fx.p), size);
	/* Empty again, with both wraps set. */
	CU_ASSERT_EQUAL(uiommu_vcmdq_cons_poll(&fx.c, 64), 0);
	CU_ASSERT_EQUAL(uiommu_vcmdq_cons_peek(&fx.c, out, 1), 0);
	CU_ASSERT_EQUAL(uiommu_vcmdq_cons_advance(&fx.c, 1), 0);
	CU_ASSERT_EQUAL(fx.c.n_consumed, size);
	fx_fini(&fx);
}

static void
test_vcmdq_wrap_many_laps(void)
{
	unsigned long long seed = ut_seed();

	for (uint32_t log2 = UIOMMU_VCMDQ_MIN_LOG2; log2 <= 6; log2++) {
		const uint32_t size = 1u << log2;
		struct uiommu_cmd buf[64 + 2];
		uint64_t wseq = 0, rseq = 0;
		struct fixture fx;

		fx_init(&fx, log2);
		fx_enable(&fx);
		/* Hundreds of laps with random batch sizes on both sides. */
		for (int it = 0; it < 20000; it++) {
			uint32_t n = (uint32_t)(ut_rand(&seed) % (size + 2));
			uint32_t w, k, got;

			for (uint32_t i = 0; i < n; i++)
				buf[i] = seq_cmd(wseq + i);
			w = uiommu_vcmdq_prod_write(&fx.p, buf, n);
			CU_ASSERT_TRUE(w <= n);
			wseq += w;
			if (ut_rand(&seed) & 1)
				uiommu_vcmdq_prod_publish(&fx.p);
			k = uiommu_vcmdq_cons_poll(&fx.c,
						   (uint32_t)(ut_rand(&seed) % (size + 2)));
			CU_ASSERT_TRUE(k <= size);
			got = uiommu_vcmdq_cons_peek(&fx.c, buf, k);
			CU_ASSERT_EQUAL(got, k);
			for (uint32_t i = 0; i < got; i++)
				if (!cmd_seq_ok(&buf[i], rseq + i)) {
					CU_FAIL("out of order");
					break;
				}
			CU_ASSERT_EQUAL(uiommu_vcmdq_cons_advance(&fx.c, got), got);
			rseq += got;
			CU_ASSERT_TRUE(rseq <= wseq);
		}
		CU_ASSERT_TRUE(wseq / size > 100);
		fx_fini(&fx);
	}
}

static void
test_vcmdq_budget(void)
{
	struct uiommu_cmd in[8], out[8];
	struct fixture fx;

	fx_init(&fx, 3);
	fx_enable(&fx);
	for (uint32_t i = 0; i < 8; i++)
		in[i] = seq_cmd(i);
	CU_ASSERT_EQUAL(uiommu_vcmdq_prod_write(&fx.p, in, 8), 8);
	uiommu_vcmdq_prod_publish(&fx.p);
	CU_ASSERT_EQUAL(uiommu_vcmdq_cons_poll(&fx.c, 0), 0);
	CU_ASSERT_EQUAL(uiommu_vcmdq_cons_peek(&fx.c, out, 8), 0);
	CU_ASSERT_EQUAL(uiommu_vcmdq_cons_poll(&fx.c, 3), 3);
	/* Peek and advance stay within what the poll granted. */
	CU_ASSERT_EQUAL(uiommu_vcmdq_cons_peek(&fx.c, out, 8), 3);
	CU_ASSERT_EQUAL(uiommu_vcmdq_cons_advance(&fx.c, 2), 2);
	CU_ASSERT_EQUAL(uiommu_vcmdq_cons_peek(&fx.c, out, 8), 1);
	CU_ASSERT_TRUE(cmd_seq_ok(&out[0], 2));
	CU_ASSERT_EQUAL(uiommu_vcmdq_cons_advance(&fx.c, 8), 1);
	CU_ASSERT_EQUAL(uiommu_vcmdq_cons_poll(&fx.c, 100), 5);
	CU_ASSERT_EQUAL(uiommu_vcmdq_cons_poll(&fx.c, UINT32_MAX), 5);
	fx_fini(&fx);
}

/* Naive reference: steps from cons to prod (index+wrap), or 0 if > size. */
static uint32_t
naive_avail(uint32_t prod, uint32_t cons, uint32_t log2)
{
	uint32_t size = 1u << log2, mask = (2u << log2) - 1, n = 0;

	prod &= mask;
	while (cons != prod && n <= size) {
		cons = (cons + 1) & mask;
		n++;
	}
	return n > size ? 0 : n;
}

static void
test_vcmdq_hostile_prod(void)
{
	const uint32_t log2 = 3, size = 8;
	unsigned long long seed = ut_seed();
	struct uiommu_cmd out[8 * 4];
	struct fixture fx;

	fx_init(&fx, log2);
	fx_enable(&fx);
	/* Walk CONS through every index+wrap value. */
	for (uint32_t step = 0; step < 2 * size; step++) {
		uint32_t cons = uiommu_vcmdq_cons_index(&fx.c);
		uint64_t bad_before = fx.c.n_bad_prod;

		/* Every PROD value with low 8 bits, and garbage high bits. */
		for (uint32_t v = 0; v < 512; v++) {
			uint32_t prod = v < 256 ? v :
					(uint32_t)ut_rand(&seed);
			uint32_t want = naive_avail(prod, cons, log2);
			uint32_t k;

			__atomic_store_n(&fx.regs->prod, prod, __ATOMIC_RELEASE);
			k = uiommu_vcmdq_cons_poll(&fx.c, 4 * size);
			CU_ASSERT_EQUAL(k, want);
			CU_ASSERT_TRUE(k <= size);
			/* Peek the maximum: ASan checks we stay in the ring. */
			CU_ASSERT_EQUAL(uiommu_vcmdq_cons_peek(&fx.c, out,
							       4 * size), k);
		}
		CU_ASSERT_TRUE(fx.c.n_bad_prod > bad_before);
		/* Move CONS by one: PROD = CONS + 1, then consume it. */
		__atomic_store_n(&fx.regs->prod, (cons + 1) | 0xfff00000u,
				 __ATOMIC_RELEASE);
		CU_ASSERT_EQUAL(uiommu_vcmdq_cons_poll(&fx.c, 4), 1);
		CU_ASSERT_EQUAL(uiommu_vcmdq_cons_advance(&fx.c, 1), 1);
		CU_ASSERT_EQUAL(uiommu_vcmdq_cons_index(&fx.c),
				(cons + 1) & 15);
	}
	/* A guest scribbling over CONS and GERROR does not move the manager. */
	__atomic_store_n(&fx.regs->cons, 0x7f00000fu, __ATOMIC_RELAXED);
	__atomic_store_n(&fx.regs->gerror, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&fx.regs->prod, uiommu_vcmdq_cons_index(&fx.c) + 2,
			 __ATOMIC_RELEASE);
	CU_ASSERT_EQUAL(uiommu_vcmdq_cons_poll(&fx.c, 64), 2);
	CU_ASSERT_FALSE(uiommu_vcmdq_cons_stopped(&fx.c));
	CU_ASSERT_EQUAL(uiommu_vcmdq_cons_advance(&fx.c, 2), 2);
	CU_ASSERT_EQUAL(fx.regs->cons, uiommu_vcmdq_cons_index(&fx.c));
	fx_fini(&fx);
}

static void
test_vcmdq_error_resume(void)
{
	struct uiommu_cmd in[4], out[4];
	struct uiommu_cmd_info sync = { .op = UIOMMU_CMD_SYNC };
	struct uiommu_cmd sync_raw;
	uint32_t err = 0, cons = 0;
	struct fixture fx;

	fx_init(&fx, 2);
	fx_enable(&fx);
	for (uint32_t i = 0; i < 4; i++)
		in[i] = seq_cmd(i);
	CU_ASSERT_EQUAL(uiommu_cmd_encode(&sync, &sync_raw), 0);
	CU_ASSERT_EQUAL(uiommu_vcmdq_prod_write(&fx.p, in, 3), 3);
	uiommu_vcmdq_prod_publish(&fx.p);
	CU_ASSERT_FALSE(uiommu_vcmdq_prod_error_pending(&fx.p, &err, &cons));

	CU_ASSERT_EQUAL(uiommu_vcmdq_cons_poll(&fx.c, 8), 3);
	CU_ASSERT_EQUAL(uiommu_vcmdq_cons_advance(&fx.c, 1), 1);
	/* Command 1 is bad. */
	CU_ASSERT_EQUAL(uiommu_vcmdq_cons_error(&fx.c, 0), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_vcmdq_cons_error(&fx.c, 128), -EINVAL);
	CU_ASSERT_FALSE(uiommu_vcmdq_cons_stopped(&fx.c));
	CU_ASSERT_EQUAL(uiommu_vcmdq_cons_error(&fx.c, UIOMMU_CERROR_ILL), 0);
	CU_ASSERT_TRUE(uiommu_vcmdq_cons_stopped(&fx.c));
	CU_ASSERT_EQUAL(fx.regs->cons, 1u | (UIOMMU_CERROR_ILL << 24));
	CU_ASSERT_EQUAL(fx.regs->gerror & 1, 1);
	CU_ASSERT_EQUAL(fx.regs->gerrorn & 1, 0);
	/* A second error while stopped does not toggle again. */
	CU_ASSERT_EQUAL(uiommu_vcmdq_cons_error(&fx.c, UIOMMU_CERROR_ABT), 0);
	CU_ASSERT_EQUAL(fx.regs->gerror & 1, 1);
	CU_ASSERT_EQUAL(fx.regs->cons, 1u | (UIOMMU_CERROR_ILL << 24));
	CU_ASSERT_EQUAL(fx.c.n_errors, 1);
	/* Stopped: nothing is consumed, whatever PROD says. */
	CU_ASSERT_EQUAL(uiommu_vcmdq_cons_peek(&fx.c, out, 4), 0);
	CU_ASSERT_EQUAL(uiommu_vcmdq_cons_advance(&fx.c, 1), 0);
	CU_ASSERT_EQUAL(uiommu_vcmdq_prod_write(&fx.p, &in[3], 1), 1);
	uiommu_vcmdq_prod_publish(&fx.p);
	CU_ASSERT_EQUAL(uiommu_vcmdq_cons_poll(&fx.c, 8), 0);
	CU_ASSERT_EQUAL(uiommu_vcmdq_cons_poll(&fx.c, 8), 0);

	/* The guest sees the error at index 1. */
	CU_ASSERT_EQUAL(uiommu_vcmdq_prod_wait(&fx.p, uiommu_vcmdq_prod_index(&fx.p),
					       100, &err), -EIO);
	CU_ASSERT_EQUAL(err, UIOMMU_CERROR_ILL);
	CU_ASSERT_TRUE(uiommu_vcmdq_prod_error_pending(&fx.p, &err, &cons));
	CU_ASSERT_EQUAL(err, UIOMMU_CERROR_ILL);
	CU_ASSERT_EQUAL(cons, 1);
	/* Waiting for what was consumed before the error still succeeds. */
	CU_ASSERT_EQUAL(uiommu_vcmdq_prod_wait(&fx.p, 1, 1, NULL), 0);

	/* Linux-style: replace the bad slot with a CMD_SYNC, acknowledge. */
	uiommu_vcmdq_prod_fixup(&fx.p, cons, &sync_raw);
	uiommu_vcmdq_prod_ack_error(&fx.p);
	CU_ASSERT_FALSE(uiommu_vcmdq_prod_error_pending(&fx.p, NULL, NULL));
	CU_ASSERT_EQUAL(uiommu_vcmdq_cons_poll(&fx.c, 8), 3);
	CU_ASSERT_FALSE(uiommu_vcmdq_cons_stopped(&fx.c));
	CU_ASSERT_EQUAL(fx.regs->cons, 1);  /* ERR cleared, CONS unmoved */
	CU_ASSERT_EQUAL(uiommu_vcmdq_cons_peek(&fx.c, out, 4), 3);
	CU_ASSERT_EQUAL(memcmp(&out[0], &sync_raw, sizeof(sync_raw)), 0);
	CU_ASSERT_TRUE(cmd_seq_ok(&out[1], 2));
	CU_ASSERT_TRUE(cmd_seq_ok(&out[2], 3));
	CU_ASSERT_EQUAL(uiommu_vcmdq_cons_advance(&fx.c, 3), 3);
	CU_ASSERT_EQUAL(uiommu_vcmdq_prod_wait(&fx.p, uiommu_vcmdq_prod_index(&fx.p),
					       1, NULL), 0);

	/* A second error toggles GERROR back to 0; acked by GERRORN = 0. */
	CU_ASSERT_EQUAL(uiommu_vcmdq_prod_write(&fx.p, in, 1), 1);
	uiommu_vcmdq_prod_publish(&fx.p);
	CU_ASSERT_EQUAL(uiommu_vcmdq_cons_poll(&fx.c, 8), 1);
	CU_ASSERT_EQUAL(uiommu_vcmdq_cons_error(&fx.c, UIOMMU_CERROR_ATC_INV), 0);
	CU_ASSERT_EQUAL(fx.regs->gerror & 1, 0);
	CU_ASSERT_TRUE(uiommu_vcmdq_prod_error_pending(&fx.p, &err, &cons));
	CU_ASSERT_EQUAL(err, UIOMMU_CERROR_ATC_INV);
	CU_ASSERT_EQUAL(cons, 4);
	/* Without acknowledgement the queue stays stopped. */
	for (int i = 0; i < 10; i++)
		CU_ASSERT_EQUAL(uiommu_vcmdq_cons_poll(&fx.c, 8), 0);
	uiommu_vcmdq_prod_ack_error(&fx.p);
	CU_ASSERT_EQUAL(uiommu_vcmdq_cons_poll(&fx.c, 8), 1);
	CU_ASSERT_EQUAL(fx.regs->cons, 4);
	fx_fini(&fx);
}

static void
test_vcmdq_enable_disable(void)
{
	struct uiommu_cmd in[4], out[4];
	struct fixture fx;

	fx_init(&fx, 2);
	for (uint32_t i = 0; i < 4; i++)
		in[i] = seq_cmd(i);
	/* Disabled: commands are not consumed. */
	CU_ASSERT_EQUAL(uiommu_vcmdq_prod_write(&fx.p, in, 2), 2);
	uiommu_vcmdq_prod_publish(&fx.p);
	CU_ASSERT_EQUAL(uiommu_vcmdq_cons_poll(&fx.c, 8), 0);
	CU_ASSERT_EQUAL(fx.regs->status, 0);
	CU_ASSERT_EQUAL(uiommu_vcmdq_prod_enable(&fx.p, 3), -ETIMEDOUT);
	/* The manager acknowledges on its next poll (enable reset PROD). */
	CU_ASSERT_EQUAL(uiommu_vcmdq_cons_poll(&fx.c, 8), 0);
	CU_ASSERT_EQUAL(fx.regs->status, UIOMMU_VCMDQ_STATUS_ENABLE_OK);
	CU_ASSERT_EQUAL(uiommu_vcmdq_prod_enable(&fx.p, 3), -EBUSY);

	CU_ASSERT_EQUAL(uiommu_vcmdq_prod_write(&fx.p, in, 3), 3);
	uiommu_vcmdq_prod_publish(&fx.p);
	CU_ASSERT_EQUAL(uiommu_vcmdq_cons_poll(&fx.c, 1), 1);
	CU_ASSERT_EQUAL(uiommu_vcmdq_cons_advance(&fx.c, 1), 1);

	/* Disable: acknowledged with ENABLE_OK = 0, nothing more consumed. */
	CU_ASSERT_EQUAL(uiommu_vcmdq_prod_disable(&fx.p, 0), 0);
	CU_ASSERT_TRUE(uiommu_vcmdq_prod_enabled(&fx.p));
	CU_ASSERT_EQUAL(uiommu_vcmdq_cons_poll(&fx.c, 8), 0);
	CU_ASSERT_FALSE(uiommu_vcmdq_prod_enabled(&fx.p));
	CU_ASSERT_EQUAL(uiommu_vcmdq_cons_peek(&fx.c, out, 4), 0);
	CU_ASSERT_EQUAL(uiommu_vcmdq_prod_disable(&fx.p, 1), 0);
	CU_ASSERT_EQUAL(fx.regs->cons, 1);

	/* While disabled the guest may move CONS; enable adopts it. */
	__atomic_store_n(&fx.regs->cons, 2, __ATOMIC_RELAXED);
	__atomic_store_n(&fx.regs->prod, 3, __ATOMIC_RELAXED);
	__atomic_store_n(&fx.regs->config, UIOMMU_VCMDQ_CONFIG_EN,
			 __ATOMIC_RELEASE);
	CU_ASSERT_EQUAL(uiommu_vcmdq_cons_poll(&fx.c, 8), 1);
	CU_ASSERT_EQUAL(uiommu_vcmdq_cons_index(&fx.c), 2);
	CU_ASSERT_EQUAL(uiommu_vcmdq_cons_peek(&fx.c, out, 4), 1);
	CU_ASSERT_TRUE(cmd_seq_ok(&out[0], 2));
	/* CONS.ERR bits and bits above the wrap written by the guest are
	 * dropped when adopted. */
	__atomic_store_n(&fx.regs->config, 0, __ATOMIC_RELEASE);
	CU_ASSERT_EQUAL(uiommu_vcmdq_cons_poll(&fx.c, 8), 0);
	__atomic_store_n(&fx.regs->cons, 0x7f0000f1u, __ATOMIC_RELAXED);
	__atomic_store_n(&fx.regs->prod, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&fx.regs->config, UIOMMU_VCMDQ_CONFIG_EN,
			 __ATOMIC_RELEASE);
	CU_ASSERT_EQUAL(uiommu_vcmdq_cons_poll(&fx.c, 8), 0);
	CU_ASSERT_EQUAL(uiommu_vcmdq_cons_index(&fx.c), 1);

	/* Enable resets both indices through the helper. */
	CU_ASSERT_EQUAL(uiommu_vcmdq_prod_disable(&fx.p, 0), 0);
	CU_ASSERT_EQUAL(uiommu_vcmdq_cons_poll(&fx.c, 8), 0);
	CU_ASSERT_EQUAL(uiommu_vcmdq_prod_enable(&fx.p, 0), 0);
	CU_ASSERT_EQUAL(uiommu_vcmdq_cons_poll(&fx.c, 8), 0);
	CU_ASSERT_EQUAL(uiommu_vcmdq_cons_index(&fx.c), 0);
	CU_ASSERT_EQUAL(uiommu_vcmdq_prod_space(&fx.p), 4);
	fx_fini(&fx);
}

static void
test_vcmdq_wait_timeout(void)
{
	struct uiommu_cmd in[2] = { seq_cmd(0), seq_cmd(1) };
	struct fixture fx;

	fx_init(&fx, 2);
	fx_enable(&fx);
	/* Waiting for nothing outstanding is immediate. */
	CU_ASSERT_EQUAL(uiommu_vcmdq_prod_wait(&fx.p, 0, 1, NULL), 0);
	CU_ASSERT_EQUAL(uiommu_vcmdq_prod_write(&fx.p, in, 2), 2);
	uiommu_vcmdq_prod_publish(&fx.p);
	CU_ASSERT_EQUAL(uiommu_vcmdq_prod_wait(&fx.p, 2, 10, NULL), -ETIMEDOUT);
	CU_ASSERT_EQUAL(uiommu_vcmdq_prod_wait(&fx.p, 1, 0, NULL), -ETIMEDOUT);
	CU_ASSERT_EQUAL(uiommu_vcmdq_cons_poll(&fx.c, 1), 1);
	CU_ASSERT_EQUAL(uiommu_vcmdq_cons_advance(&fx.c, 1), 1);
	CU_ASSERT_EQUAL(uiommu_vcmdq_prod_wait(&fx.p, 1, 1, NULL), 0);
	CU_ASSERT_EQUAL(uiommu_vcmdq_prod_wait(&fx.p, 2, 10, NULL), -ETIMEDOUT);
	CU_ASSERT_EQUAL(uiommu_vcmdq_cons_poll(&fx.c, 1), 1);
	CU_ASSERT_EQUAL(uiommu_vcmdq_cons_advance(&fx.c, 1), 1);
	CU_ASSERT_EQUAL(uiommu_vcmdq_prod_wait(&fx.p, 2, 1, NULL), 0);
	/* A target already passed counts as reached. */
	CU_ASSERT_EQUAL(uiommu_vcmdq_prod_wait(&fx.p, 1, 1, NULL), 0);
	fx_fini(&fx);
}

/* ---- two threads --------------------------------------------------- */

#define STREAM_CMDS 1000000u
#define STREAM_LOG2 6
#define STREAM_SECONDS 120

struct stream {
	struct fixture fx;
	uint64_t errors;    /* consumer: out-of-order, lost or duplicate */
	uint64_t received;  /* consumer: commands seen */
	volatile int abort; /* set by either side on timeout */
};

static bool
deadline_passed(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec - start->tv_sec > STREAM_SECONDS;
}

/* Spin politely: the machine's cores are shared. */
static void
backoff(uint32_t *spins)
{
	if (++*spins % 64 == 0)
		sched_yield();
	else
		rte_pause();
}

static void *
stream_producer(void *arg)
{
	struct stream *s = arg;
	struct uiommu_cmd buf[16];
	struct timespec start;
	uint64_t seq = 0;
	uint32_t spins = 0;

	clock_gettime(CLOCK_MONOTONIC, &start);
	while (seq < STREAM_CMDS && !s->abort) {
		uint32_t n = (uint32_t)RTE_MIN(1 + seq % 16, STREAM_CMDS - seq);
		uint32_t w;

		for (uint32_t i = 0; i < n; i++)
			buf[i] = seq_cmd(seq + i);
		w = uiommu_vcmdq_prod_write(&s->fx.p, buf, n);
		if (w == 0) {
			backoff(&spins);
			if ((spins & 0xfff) == 0 && deadline_passed(&start))
				s->abort = 1;
			continue;
		}
		uiommu_vcmdq_prod_publish(&s->fx.p);
		seq += w;
	}
	return NULL;
}

static void *
stream_consumer(void *arg)
{
	struct stream *s = arg;
	struct uiommu_cmd buf[32];
	struct timespec start;
	uint64_t next = 0;
	uint32_t spins = 0;

	clock_gettime(CLOCK_MONOTONIC, &start);
	while (next < STREAM_CMDS && !s->abort) {
		uint32_t k = uiommu_vcmdq_cons_poll(&s->fx.c, 32);

		if (k == 0) {
			backoff(&spins);
			if ((spins & 0xfff) == 0 && deadline_passed(&start))
				s->abort = 1;
			continue;
		}
		k = uiommu_vcmdq_cons_peek(&s->fx.c, buf, k);
		for (uint32_t i = 0; i < k; i++) {
			if (!cmd_seq_ok(&buf[i], next))
				s->errors++;
			next++;
		}
		s->received += k;
		uiommu_vcmdq_cons_advance(&s->fx.c, k);
	}
	return NULL;
}

static void
test_vcmdq_two_threads_stream(void)
{
	struct stream *s = calloc(1, sizeof(*s));
	pthread_t prod, cons;

	UT_ASSERT_FATAL(s != NULL);
	fx_init(&s->fx, STREAM_LOG2);
	fx_enable(&s->fx);
	UT_ASSERT_FATAL(pthread_create(&cons, NULL, stream_consumer, s) == 0);
	UT_ASSERT_FATAL(pthread_create(&prod, NULL, stream_producer, s) == 0);
	pthread_join(prod, NULL);
	pthread_join(cons, NULL);
	CU_ASSERT_FALSE(s->abort);
	CU_ASSERT_EQUAL(s->errors, 0);
	CU_ASSERT_EQUAL(s->received, STREAM_CMDS);
	CU_ASSERT_EQUAL(s->fx.c.n_consumed, STREAM_CMDS);
	CU_ASSERT_EQUAL(s->fx.c.n_bad_prod, 0);
	/* Everything consumed: the producer sees an empty ring. */
	CU_ASSERT_EQUAL(uiommu_vcmdq_prod_space(&s->fx.p), 1u << STREAM_LOG2);
	CU_ASSERT_EQUAL(uiommu_vcmdq_cons_poll(&s->fx.c, 32), 0);
	fx_fini(&s->fx);
	free(s);
}

static const struct ut_case cases[] = {
	UT_CASE(test_vcmdq_init_errors),
	UT_CASE(test_vcmdq_layout),
	UT_CASE(test_vcmdq_empty_full),
	UT_CASE(test_vcmdq_wrap_many_laps),
	UT_CASE(test_vcmdq_budget),
	UT_CASE(test_vcmdq_hostile_prod),
	UT_CASE(test_vcmdq_error_resume),
	UT_CASE(test_vcmdq_enable_disable),
	UT_CASE(test_vcmdq_wait_timeout),
	UT_CASE(test_vcmdq_two_threads_stream),
	UT_END
};

int
main(int argc, char **argv)
{
	return ut_main("vcmdq", cases, argc, argv);
}
