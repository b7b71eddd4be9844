/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of lib/mgr/poll.c with real core objects (mock backend) in
 * this process: inline passes, the per-queue and per-VM budgets (the
 * fairness rule: rotation inside a VM, one VM alone, no limit, the time
 * slice), VM pause/resume,
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
	conf.nb_lcores = 0;
	conf.vm_slice_ns = UIOMMU_POLL_VM_SLICE_NS_MAX + 1;
	CU_ASSERT_EQUAL(uiommu_poll_create(&conf, &p), -EINVAL);
	conf.vm_slice_ns = 0;
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

/* A second VM for the fairness test: its own RAM, mock vIOMMU, queues. */
struct vm2 {
	struct uiommu_vm *vm;
	struct uiommu_viommu *vi;
	uint8_t *ram;
	struct q q[4];
	unsigned int nq;
};

static void
vm2_create(struct vm2 *v, const char *name, unsigned int nq)
{
	v->ram = aligned_alloc(4096, RAM_SIZE);
	UT_ASSERT_FATAL(v->ram != NULL);
	memset(v->ram, 0, RAM_SIZE);
	UT_ASSERT_FATAL(uiommu_vm_create(name, &v->vm) == 0);
	UT_ASSERT_FATAL(uiommu_vm_mem_add_hva(v->vm, RAM_GPA, RAM_SIZE,
					      v->ram) == 0);
	UT_ASSERT_FATAL(uiommu_viommu_create(v->vm, "mock", NULL, &v->vi) == 0);
	v->nq = nq;
	for (unsigned int i = 0; i < nq; i++) {
		uint64_t off;

		UT_ASSERT_FATAL(uiommu_vcmdq_create(v->vi, i, 4, RING_GPA(i),
						    &v->q[i].q, &off) == 0);
		UT_ASSERT_FATAL(uiommu_vcmdq_prod_init(&v->q[i].p,
				(struct uiommu_cmd *)(v->ram + (RING_GPA(i) - RAM_GPA)),
				4, (struct uiommu_vcmdq_regs *)
				((uint8_t *)uiommu_viommu_ctrl_base(v->vi) + off)) == 0);
	}
}

static void
vm2_destroy(struct vm2 *v)
{
	uiommu_vm_destroy(v->vm);
	free(v->ram);
	memset(v, 0, sizeof(*v));
}

static uint64_t
q_consumed(const struct q *q)
{
	struct uiommu_vcmdq_stats st;

	uiommu_vcmdq_stats_get(q->q, &st);
	return st.commands;
}

/* Register a VM's vIOMMU and queues, enable them in one pass. */
static void
vm2_add(struct uiommu_poll *p, struct vm2 *v)
{
	CU_ASSERT_EQUAL(uiommu_poll_viommu_add(p, v->vi, -1, NULL), 0);
	for (unsigned int i = 0; i < v->nq; i++) {
		CU_ASSERT_EQUAL(uiommu_poll_vcmdq_add(p, v->q[i].q, NULL), 0);
		CU_ASSERT_EQUAL(uiommu_vcmdq_prod_enable(&v->q[i].p, 0), 0);
	}
}

/*
 * The per-VM budget (inline mode, so every pass is deterministic): a VM
 * with four full queues shares vm_budget per pass among them in turn, a
 * second VM is served in the same pass, an lcore with one VM applies the
 * per-queue budget only, UIOMMU_POLL_VM_BUDGET_NONE turns the limit off and
 * a tiny vm_slice_ns ends a VM's turn after its first busy queue.
 */
static void
test_inline_vm_fairness(void)
{
	struct uiommu_poll_conf conf = { .budget = 4, .vm_budget = 6 };
	struct uiommu_core_hooks hooks;
	struct uiommu_poll *p;
	struct vm2 a, b;
	uint64_t got[4];

	UT_ASSERT_FATAL(uiommu_poll_create(&conf, &p) == 0);
	uiommu_poll_core_hooks(p, &hooks);
	uiommu_core_hooks_set(&hooks);
	vm2_create(&a, "poll_ut_flood", 4);
	vm2_create(&b, "poll_ut_quiet", 1);
	vm2_add(p, &a);
	vm2_add(p, &b);
	CU_ASSERT_EQUAL(uiommu_poll_run_once(p), 0);   /* enable handshakes */

	/* Every flood queue holds 15 commands; the quiet one 2. */
	for (unsigned int i = 0; i < 4; i++)
		put(&a.q[i], 15);
	put(&b.q[0], 2);
	/* Pass 1: VM a takes 4 + 2 (its budget of 6), b its 2. */
	CU_ASSERT_EQUAL(uiommu_poll_run_once(p), 8);
	CU_ASSERT_EQUAL(q_consumed(&a.q[0]), 4);
	CU_ASSERT_EQUAL(q_consumed(&a.q[1]), 2);
	CU_ASSERT_EQUAL(q_consumed(&a.q[2]), 0);
	CU_ASSERT_EQUAL(q_consumed(&b.q[0]), 2);
	/* Pass 2: the turn starts after the last queue served: 2 and 3. */
	CU_ASSERT_EQUAL(uiommu_poll_run_once(p), 6);
	CU_ASSERT_EQUAL(q_consumed(&a.q[2]), 4);
	CU_ASSERT_EQUAL(q_consumed(&a.q[3]), 2);
	/* Pass 3: back to queue 0, then 1. */
	CU_ASSERT_EQUAL(uiommu_poll_run_once(p), 6);
	CU_ASSERT_EQUAL(q_consumed(&a.q[0]), 8);
	CU_ASSERT_EQUAL(q_consumed(&a.q[1]), 4);
	/* Quiet VM's work arriving now is served in the next pass. */
	put(&b.q[0], 1);
	CU_ASSERT_EQUAL(uiommu_poll_run_once(p), 7);
	CU_ASSERT_EQUAL(q_consumed(&b.q[0]), 3);

	/* Paused quiet VM: the flood VM is alone, per-queue budget only. */
	uiommu_poll_vm_pause(p, b.vm);
	for (unsigned int i = 0; i < 4; i++)
		got[i] = q_consumed(&a.q[i]);
	CU_ASSERT_EQUAL(uiommu_poll_run_once(p), 16);
	for (unsigned int i = 0; i < 4; i++)
		CU_ASSERT_EQUAL(q_consumed(&a.q[i]) - got[i], 4);
	uiommu_poll_vm_resume(p, b.vm);
	/* Drain (bounded) and refill for the next engine. */
	for (unsigned int n = 0; n < 64 && uiommu_poll_run_once(p) != 0; n++)
		;
	for (unsigned int i = 0; i < 4; i++) {
		CU_ASSERT_EQUAL(q_consumed(&a.q[i]), 15);
		CU_ASSERT_EQUAL(wait_done(&a.q[i]), 0);
	}
	uiommu_poll_destroy(p);

	/* No per-VM limit: every flood queue takes its budget. */
	conf.vm_budget = UIOMMU_POLL_VM_BUDGET_NONE;
	UT_ASSERT_FATAL(uiommu_poll_create(&conf, &p) == 0);
	uiommu_poll_core_hooks(p, &hooks);
	uiommu_core_hooks_set(&hooks);
	CU_ASSERT_EQUAL(uiommu_poll_viommu_add(p, a.vi, -1, NULL), 0);
	CU_ASSERT_EQUAL(uiommu_poll_viommu_add(p, b.vi, -1, NULL), 0);
	for (unsigned int i = 0; i < 4; i++)
		CU_ASSERT_EQUAL(uiommu_poll_vcmdq_add(p, a.q[i].q, NULL), 0);
	CU_ASSERT_EQUAL(uiommu_poll_vcmdq_add(p, b.q[0].q, NULL), 0);
	for (unsigned int i = 0; i < 4; i++)
		put(&a.q[i], 10);
	put(&b.q[0], 1);
	CU_ASSERT_EQUAL(uiommu_poll_run_once(p), 17);
	uiommu_poll_destroy(p);

	/* A 1 ns slice: each VM's turn ends after its first busy queue. */
	conf.vm_budget = 0;
	conf.vm_slice_ns = 1;
	UT_ASSERT_FATAL(uiommu_poll_create(&conf, &p) == 0);
	uiommu_poll_core_hooks(p, &hooks);
	uiommu_core_hooks_set(&hooks);
	CU_ASSERT_EQUAL(uiommu_poll_viommu_add(p, a.vi, -1, NULL), 0);
	CU_ASSERT_EQUAL(uiommu_poll_viommu_add(p, b.vi, -1, NULL), 0);
	for (unsigned int i = 0; i < 4; i++)
		CU_ASSERT_EQUAL(uiommu_poll_vcmdq_add(p, a.q[i].q, NULL), 0);
	CU_ASSERT_EQUAL(uiommu_poll_vcmdq_add(p, b.q[0].q, NULL), 0);
	for (unsigned int i = 0; i < 4; i++)
		got[i] = q_consumed(&a.q[i]);
	/* 6 left in each flood queue, one more in the quiet one. */
	put(&b.q[0], 1);
	CU_ASSERT_EQUAL(uiommu_poll_run_once(p), 5);
	CU_ASSERT_EQUAL(q_consumed(&a.q[0]) - got[0], 4);
	CU_ASSERT_EQUAL(q_consumed(&a.q[1]) - got[1], 0);
	CU_ASSERT_EQUAL(uiommu_poll_run_once(p), 4);
	CU_ASSERT_EQUAL(q_consumed(&a.q[1]) - got[1], 4);

	vm2_destroy(&a);
	vm2_destroy(&b);
	engine_destroy(p);
}

/*
 * Worker lcore, two VMs grouped on it with a small per-VM budget: every
 * queue drains, and destroying the flooding VM while the lcore polls
 * (republished set, grace period) leaves the other VM served.
 */
static void
test_worker_two_vms(void)
{
	struct uiommu_poll_conf conf = { .budget = 4, .vm_budget = 3,
					 .nb_lcores = 1 };
	struct uiommu_poll_lcore_stats st;
	struct uiommu_core_hooks hooks;
	struct uiommu_poll *p;
	struct vm2 a, b;

	if (rte_lcore_count() < 2) {
		printf("single lcore: skipped\n");
		return;
	}
	conf.lcores[0] = rte_get_next_lcore(-1, 1, 0);
	UT_ASSERT_FATAL(uiommu_poll_create(&conf, &p) == 0);
	uiommu_poll_core_hooks(p, &hooks);
	uiommu_core_hooks_set(&hooks);
	vm2_create(&a, "poll_ut_w_flood", 4);
	vm2_create(&b, "poll_ut_w_quiet", 1);
	CU_ASSERT_EQUAL(uiommu_poll_viommu_add(p, a.vi, -1, NULL), 0);
	CU_ASSERT_EQUAL(uiommu_poll_viommu_add(p, b.vi, -1, NULL), 0);
	for (unsigned int i = 0; i < 4; i++)
		CU_ASSERT_EQUAL(uiommu_poll_vcmdq_add(p, a.q[i].q, NULL), 0);
	CU_ASSERT_EQUAL(uiommu_poll_vcmdq_add(p, b.q[0].q, NULL), 0);
	CU_ASSERT_EQUAL(uiommu_poll_start(p), 0);
	for (unsigned int i = 0; i < 4; i++)
		UT_ASSERT_FATAL(enable(&a.q[i]) == 0);
	UT_ASSERT_FATAL(enable(&b.q[0]) == 0);
	for (unsigned int round = 0; round < 20; round++) {
		for (unsigned int i = 0; i < 4; i++)
			put(&a.q[i], 15);
		put(&b.q[0], 2);
		CU_ASSERT_EQUAL(wait_done(&b.q[0]), 0);
		for (unsigned int i = 0; i < 4; i++)
			CU_ASSERT_EQUAL(wait_done(&a.q[i]), 0);
	}
	for (unsigned int i = 0; i < 4; i++)
		CU_ASSERT_EQUAL(q_consumed(&a.q[i]), 20 * 15);
	/* The flooding VM goes away under the running lcore. */
	for (unsigned int i = 0; i < 4; i++)
		put(&a.q[i], 15);
	vm2_destroy(&a);
	put(&b.q[0], 3);
	CU_ASSERT_EQUAL(wait_done(&b.q[0]), 0);
	CU_ASSERT_EQUAL(q_consumed(&b.q[0]), 20 * 2 + 3);
	uiommu_poll_slot_stats(p, 0, &st);
	CU_ASSERT_EQUAL(st.nb_queues, 1);
	CU_ASSERT(st.commands >= 20 * (4 * 15 + 2) + 3);
	vm2_destroy(&b);
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
	UT_CASE(test_inline_vm_fairness),
	UT_CASE(test_add_errors),
	UT_CASE(test_worker_churn),
	UT_CASE(test_worker_idle_sleep),
	UT_CASE(test_worker_two_vms),
	UT_END
};

int
main(int argc, char **argv)
{
	if (ut_eal_init(NULL) != 0)
		return 1;
	return ut_main("mgr_poll", cases, argc, argv);
}
