/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of lib/mgr/poll.c with real core objects (mock backend) in
 * this process: inline passes, the per-queue budget, VM pause/resume,
 * retirement through the core's hooks, configuration errors, and — with a
 * worker lcore — queues added and destroyed while the lcore polls (the RCU
 * path; an ASan build turns a use-after-free there into a failure), and
 * the idle back-off.
 */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_lcore.h>

#include "uiommu_core.h"
#include "uiommu_poll.h"
#include "uiommu_ut.h"

#define RAM_GPA 0x40000000ULL
#define RAM_SIZE (1ULL << 20)
#define RING_GPA(i) (RAM_GPA + 0x10000 + (uint64_t)(i) * 0x1000)

static struct uiommu_vm *vm;
static struct uiommu_viommu *vi;
static uint8_t *ram;

static void
objects_create(void)
{
	ram = aligned_alloc(4096, RAM_SIZE);
	UT_ASSERT_FATAL(ram != NULL);
	memset(ram, 0, RAM_SIZE);
	UT_ASSERT_FATAL(uiommu_vm_create("poll_ut", &vm) == 0);
	UT_ASSERT_FATAL(uiommu_vm_mem_add_hva(vm, RAM_GPA, RAM_SIZE, ram) == 0);
	UT_ASSERT_FATAL(uiommu_viommu_create(vm, "mock", NULL, &vi) == 0);
}

static void
objects_destroy(void)
{
	uiommu_vm_destroy(vm);
	vm = NULL;
	vi = NULL;
	free(ram);
	ram = NULL;
}

/* A queue and its guest-side producer. */
struct q {
	struct uiommu_vcmdq *q;
	struct uiommu_vcmdq_prod p;
};

static void
q_create(struct q *q, uint32_t index)
{
	uint64_t off;

	UT_ASSERT_FATAL(uiommu_vcmdq_create(vi, index, 4, RING_GPA(index),
					    &q->q, &off) == 0);
	UT_ASSERT_FATAL(uiommu_vcmdq_prod_init(&q->p,
			(struct uiommu_cmd *)(ram + (RING_GPA(index) - RAM_GPA)),
			4, (struct uiommu_vcmdq_regs *)
			((uint8_t *)uiommu_viommu_ctrl_base(vi) + off)) == 0);
}

static struct uiommu_cmd
tlbi(uint64_t addr)
{
	struct uiommu_cmd_info ci = { .op = UIOMMU_CMD_TLBI_NH_VA,
				      .addr = addr };
	struct uiommu_cmd c;

	UT_ASSERT_FATAL(uiommu_cmd_encode(&ci, &c) == 0);
	return c;
}

static void
put(struct q *q, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		struct uiommu_cmd c = tlbi(0x1000ULL * (i + 1));

		UT_ASSERT_FATAL(uiommu_vcmdq_prod_write(&q->p, &c, 1) == 1);
	}
	uiommu_vcmdq_prod_publish(&q->p);
}

static struct uiommu_poll *
engine(uint32_t nb_lcores, uint32_t budget)
{
	struct uiommu_poll_conf conf = { .budget = budget };
	struct uiommu_core_hooks hooks;
	struct uiommu_poll *p;
	unsigned int l;

	RTE_LCORE_FOREACH_WORKER(l) {
		if (conf.nb_lcores < nb_lcores)
			conf.lcores[conf.nb_lcores++] = l;
	}
	if (conf.nb_lcores < nb_lcores)
		return NULL;
	UT_ASSERT_FATAL(uiommu_poll_create(&conf, &p) == 0);
	uiommu_poll_core_hooks(p, &hooks);
	uiommu_core_hooks_set(&hooks);
	return p;
}

static void
engine_destroy(struct uiommu_poll *p)
{
	uiommu_poll_destroy(p);
	uiommu_core_hooks_set(NULL);
}

static void
test_conf_errors(void)
{
	struct uiommu_poll_conf conf = { .budget = 0 };
	struct uiommu_poll *p = NULL;

	CU_ASSERT_EQUAL(uiommu_poll_create(&conf, &p), -EINVAL);
	conf.budget = 1u << 30;
	CU_ASSERT_EQUAL(uiommu_poll_create(&conf, &p), -EINVAL);
	conf.budget = 8;
	conf.nb_lcores = 1;
	conf.lcores[0] = rte_get_main_lcore();
	CU_ASSERT_EQUAL(uiommu_poll_create(&conf, &p), -EINVAL);
	conf.lcores[0] = RTE_MAX_LCORE - 1;
	CU_ASSERT_EQUAL(uiommu_poll_create(&conf, &p), -EINVAL);
	conf.nb_lcores = UIOMMU_MAX_POLL_LCORES + 1;
	CU_ASSERT_EQUAL(uiommu_poll_create(&conf, &p), -EINVAL);
	if (rte_lcore_count() > 1) {
		unsigned int l = rte_get_next_lcore(-1, 1, 0);

		conf.nb_lcores = 2;
		conf.lcores[0] = l;
		conf.lcores[1] = l;
		CU_ASSERT_EQUAL(uiommu_poll_create(&conf, &p), -EINVAL);
	}
	CU_ASSERT_PTR_NULL(p);
	uiommu_poll_destroy(NULL);
}

/* Inline mode: passes on this thread; budget; pause; retire. */
static void
test_inline(void)
{
	struct uiommu_poll_lcore_stats st;
	struct uiommu_poll *p = engine(0, 4);
	uint32_t lcore = 99;
	struct q q;

	objects_create();
	CU_ASSERT(uiommu_poll_is_inline(p));
	CU_ASSERT_EQUAL(uiommu_poll_nb_slots(p), 1);
	CU_ASSERT_EQUAL(uiommu_poll_start(p), 0);
	CU_ASSERT_EQUAL(uiommu_poll_viommu_add(p, vi, -1, &lcore), 0);
	CU_ASSERT_EQUAL(lcore, rte_get_main_lcore());
	CU_ASSERT_EQUAL(uiommu_poll_viommu_add(p, vi, -1, NULL), -EEXIST);
	CU_ASSERT_EQUAL(uiommu_poll_viommu_lcore(p, vi), (int)lcore);
	q_create(&q, 0);
	CU_ASSERT_EQUAL(uiommu_poll_vcmdq_add(p, q.q, NULL), 0);
	CU_ASSERT_EQUAL(uiommu_poll_vcmdq_add(p, q.q, NULL), -EEXIST);

	/* The CONFIG.EN handshake happens in a pass. */
	CU_ASSERT_EQUAL(uiommu_vcmdq_prod_enable(&q.p, 0), 0);
	CU_ASSERT_FALSE(uiommu_vcmdq_prod_enabled(&q.p));
	uiommu_poll_run_once(p);
	CU_ASSERT(uiommu_vcmdq_prod_enabled(&q.p));

	/* Ten commands, budget four: 4, 4, 2. */
	put(&q, 10);
	CU_ASSERT_EQUAL(uiommu_poll_run_once(p), 4);
	CU_ASSERT_EQUAL(uiommu_poll_run_once(p), 4);
	CU_ASSERT_EQUAL(uiommu_poll_run_once(p), 2);
	CU_ASSERT_EQUAL(uiommu_poll_run_once(p), 0);
	CU_ASSERT_EQUAL(uiommu_vcmdq_prod_wait(&q.p,
			uiommu_vcmdq_prod_index(&q.p), 1, NULL), 0);

	/* Paused: nothing moves; resumed: it does. */
	uiommu_poll_vm_pause(p, vm);
	put(&q, 3);
	CU_ASSERT_EQUAL(uiommu_poll_run_once(p), 0);
	uiommu_poll_vm_resume(p, vm);
	CU_ASSERT_EQUAL(uiommu_poll_run_once(p), 3);

	/* Removed: not polled any more. */
	uiommu_poll_vcmdq_del(p, q.q);
	put(&q, 1);
	CU_ASSERT_EQUAL(uiommu_poll_run_once(p), 0);
	CU_ASSERT_EQUAL(uiommu_poll_vcmdq_add(p, q.q, NULL), 0);
	CU_ASSERT_EQUAL(uiommu_poll_run_once(p), 1);

	CU_ASSERT_EQUAL(uiommu_poll_slot_stats(p, 0, &st), 0);
	CU_ASSERT_EQUAL(st.commands, 14);
	CU_ASSERT_EQUAL(st.nb_queues, 1);
	CU_ASSERT_EQUAL(st.nb_viommus, 1);
	CU_ASSERT(st.passes >= 8);
	CU_ASSERT(st.busy_passes == 5);
	CU_ASSERT_EQUAL(uiommu_poll_slot_stats(p, 1, &st), -ENOENT);

	/* Destroying the VM retires everything through the core's hooks. */
	objects_destroy();
	CU_ASSERT_EQUAL(uiommu_poll_viommu_lcore(p, NULL), -ENOENT);
	uiommu_poll_slot_stats(p, 0, &st);
	CU_ASSERT_EQUAL(st.nb_queues, 0);
	CU_ASSERT_EQUAL(st.nb_viommus, 0);
	engine_destroy(p);
}

static int
wait_done(struct q *q)
{
	uint64_t tries = 0;
	int rc;

	do {
		rc = uiommu_vcmdq_prod_wait(&q->p,
					    uiommu_vcmdq_prod_index(&q->p),
					    100000, NULL);
		if (rc == -ETIMEDOUT)
			sched_yield();
	} while (rc == -ETIMEDOUT && ++tries < 20000);
	return rc;
}

static int
enable(struct q *q)
{
	uint64_t tries = 0;

	if (uiommu_vcmdq_prod_enable(&q->p, 0) != 0)
		return -EIO;
	while (!uiommu_vcmdq_prod_enabled(&q->p)) {
		if (++tries > 20000000)
			return -ETIMEDOUT;
		sched_yield();
	}
	return 0;
}

/*
 * A worker lcore polls while the control thread adds, pauses and destroys
 * queues under it: every change goes through a grace period.
 */
static void
test_worker_churn(void)
{
	struct uiommu_poll_lcore_stats st;
	struct uiommu_poll *p = engine(1, 64);
	struct q base, q;

	if (p == NULL) {
		printf("single lcore: skipped\n");
		return;
	}
	objects_create();
	CU_ASSERT_FALSE(uiommu_poll_is_inline(p));
	CU_ASSERT_EQUAL(uiommu_poll_viommu_add(p, vi, -1, NULL), 0);
	q_create(&base, 0);
	CU_ASSERT_EQUAL(uiommu_poll_vcmdq_add(p, base.q, NULL), 0);
	CU_ASSERT_EQUAL(uiommu_poll_start(p), 0);
	CU_ASSERT_EQUAL(uiommu_poll_start(p), 0);   /* idempotent */
	UT_ASSERT_FATAL(enable(&base) == 0);
	for (unsigned int i = 0; i < 200; i++) {
		uint32_t idx = 1 + i % 7;

		q_create(&q, idx);
		UT_ASSERT_FATAL(uiommu_poll_vcmdq_add(p, q.q, NULL) == 0);
		UT_ASSERT_FATAL(enable(&q) == 0);
		put(&q, 3);
		put(&base, 2);
		CU_ASSERT_EQUAL(wait_done(&q), 0);
		if (i % 10 == 0) {
			uiommu_poll_vm_pause(p, vm);
			uiommu_poll_vm_resume(p, vm);
		}
		/* The core retires it through the hook (grace period). */
		uiommu_vcmdq_destroy(q.q);
		CU_ASSERT_EQUAL(wait_done(&base), 0);
	}
	CU_ASSERT_EQUAL(uiommu_poll_slot_stats(p, 0, &st), 0);
	CU_ASSERT(st.running);
	CU_ASSERT_EQUAL(st.commands, 200 * 5);
	CU_ASSERT(st.set_updates >= 200);
	uiommu_poll_stop(p);
	uiommu_poll_slot_stats(p, 0, &st);
	CU_ASSERT_FALSE(st.running);
	/* Retire while stopped: no lcore to wait for. */
	objects_destroy();
	engine_destroy(p);
}

/* With the back-off on, an idle lcore sleeps, and still serves work. */
static void
test_worker_idle_sleep(void)
{
	struct uiommu_poll_conf conf = { .budget = 64, .idle_sleep_us = 200,
					 .idle_after_us = 0, .nb_lcores = 1 };
	struct uiommu_poll_lcore_stats st;
	struct uiommu_core_hooks hooks;
	struct uiommu_poll *p;
	struct q q;

	if (rte_lcore_count() < 2) {
		printf("single lcore: skipped\n");
		return;
	}
	conf.lcores[0] = rte_get_next_lcore(-1, 1, 0);
	UT_ASSERT_FATAL(uiommu_poll_create(&conf, &p) == 0);
	uiommu_poll_core_hooks(p, &hooks);
	uiommu_core_hooks_set(&hooks);
	objects_create();
	CU_ASSERT_EQUAL(uiommu_poll_viommu_add(p, vi,
					       (int)conf.lcores[0], NULL), 0);
	CU_ASSERT_EQUAL(uiommu_poll_viommu_add(p, vi, 0, NULL), -EEXIST);
	q_create(&q, 0);
	CU_ASSERT_EQUAL(uiommu_poll_vcmdq_add(p, q.q, NULL), 0);
	CU_ASSERT_EQUAL(uiommu_poll_start(p), 0);
	UT_ASSERT_FATAL(enable(&q) == 0);
	for (unsigned int i = 0; i < 5; i++) {
		rte_delay_us_sleep(2000);
		put(&q, 2);
		CU_ASSERT_EQUAL(wait_done(&q), 0);
	}
	uiommu_poll_slot_stats(p, 0, &st);
	CU_ASSERT(st.sleeps > 0);
	CU_ASSERT_EQUAL(st.commands, 10);
	CU_ASSERT(st.idle_cycles > 0);
	objects_destroy();
	engine_destroy(p);
}

static void
test_add_errors(void)
{
	struct uiommu_poll *p = engine(0, 8);
	struct q q;

	objects_create();
	q_create(&q, 0);
	/* The queue's vIOMMU is not registered. */
	CU_ASSERT_EQUAL(uiommu_poll_vcmdq_add(p, q.q, NULL), -ENOENT);
	/* An lcore that is not the engine's. */
	CU_ASSERT_EQUAL(uiommu_poll_viommu_add(p, vi, RTE_MAX_LCORE - 1, NULL),
			-EINVAL);
	CU_ASSERT_EQUAL(uiommu_poll_viommu_add(p, NULL, -1, NULL), -EINVAL);
	/* Unknown objects are ignored on removal. */
	uiommu_poll_vcmdq_del(p, q.q);
	uiommu_poll_viommu_del(p, vi);
	uiommu_poll_vm_resume(p, vm);
	objects_destroy();
	engine_destroy(p);
}

static const struct ut_case cases[] = {
	UT_CASE(test_conf_errors),
	UT_CASE(test_inline),
	UT_CASE(test_add_errors),
	UT_CASE(test_worker_churn),
	UT_CASE(test_worker_idle_sleep),
	UT_END
};

int
main(int argc, char **argv)
{
	if (ut_eal_init(NULL) != 0)
		return 1;
	return ut_main("mgr_poll", cases, argc, argv);
}
