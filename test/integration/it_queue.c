/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Integration: one manager process (two lcores: control + one poller,
 * mock backend), one VM driven through lib/client and lib/cmdq.
 *
 * Covers set-up and teardown of every object kind, every command kind a
 * guest may queue, the batch rule (one backend call per batch, counted by
 * the mock backend and read back through STATS), the per-queue budget,
 * CMD_SYNC completion with the MSI-style write into guest RAM, the error
 * stop at an illegal command and the resume through GERRORN, and inline
 * polling on a single-lcore manager.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <rte_common.h>

#include "it_util.h"
#include "uiommu_smmu.h"
#include "uiommu_soft_dma.h"
#include "uiommu_ut.h"

static struct it_mgr mgr;
static bool mgr_up;

static void
mgr_up_or_die(void)
{
	static const char *const extra[] = { "--backend", "mock", NULL };

	if (mgr_up)
		return;
	UT_ASSERT_FATAL(it_mgr_start(&mgr, "0-1", extra) == 0);
	mgr_up = true;
}

static uint64_t
vstat(struct it_vm *vm, const char *name)
{
	return it_stat(vm->c, UIOMMU_STATS_VIOMMU, 0, vm->vi.id, 0, name);
}

static uint64_t
qstat(struct it_vm *vm, uint32_t index, const char *name)
{
	return it_stat(vm->c, UIOMMU_STATS_VCMDQ, 0, vm->vi.id, index, name);
}

/* Expected values: polled, since some counters trail CONS slightly. */
static uint64_t
vstat_eq(struct it_vm *vm, const char *name, uint64_t expect)
{
	return it_stat_eq(vm->c, UIOMMU_STATS_VIOMMU, 0, vm->vi.id, 0, name,
			  expect);
}

static uint64_t
qstat_eq(struct it_vm *vm, uint32_t index, const char *name, uint64_t expect)
{
	return it_stat_eq(vm->c, UIOMMU_STATS_VCMDQ, 0, vm->vi.id, index, name,
			  expect);
}

/* Every object kind is created, listed, and gone after destroy. */
static void
test_setup_teardown(void)
{
	struct uiommu_proto_list_entry e[32];
	struct uiommu_client_vdevice dev;
	struct uiommu_client *admin;
	unsigned int n = RTE_DIM(e);
	uint32_t cursor = 0, total = 0;
	int kinds[UIOMMU_LIST_KIND_MAX] = { 0 };
	struct it_vm vm;
	struct it_q q;

	mgr_up_or_die();
	admin = it_admin(&mgr);
	UT_ASSERT_FATAL(admin != NULL);
	CU_ASSERT_EQUAL(it_count_objects(admin), 0);
	UT_ASSERT_FATAL(it_vm_setup(&vm, &mgr, "setup", "mock") == 0);
	CU_ASSERT(vm.hello.vm_id != 0);
	CU_ASSERT_EQUAL(vm.hello.version, UIOMMU_PROTO_VERSION);
	CU_ASSERT(vm.vi.vmid != 0);
	CU_ASSERT_EQUAL(uiommu_client_vdevice_add(vm.c, vm.vi.id, 1, "mock:0",
						  &dev), 0);
	CU_ASSERT_EQUAL(dev.id, 1);
	UT_ASSERT_FATAL(it_q_create(&vm, 0, 8, &q) == 0);
	/* The register pointer lies in the region at the announced offset. */
	CU_ASSERT_EQUAL(q.cq.regs_offset % UIOMMU_VCMDQ_REGS_STRIDE, 0);
	CU_ASSERT(q.cq.regs_offset < q.cq.region_size);

	UT_ASSERT_FATAL(uiommu_client_list(admin, 0, 0, &cursor, e, &n,
					   &total) == 0);
	CU_ASSERT_EQUAL(n, total);
	CU_ASSERT_EQUAL(cursor, 0);
	for (unsigned int i = 0; i < n; i++) {
		UT_ASSERT_FATAL(e[i].kind < UIOMMU_LIST_KIND_MAX);
		kinds[e[i].kind]++;
		CU_ASSERT_EQUAL(e[i].vm_id, vm.hello.vm_id);
	}
	CU_ASSERT_EQUAL(kinds[UIOMMU_LIST_VM], 1);
	CU_ASSERT_EQUAL(kinds[UIOMMU_LIST_MEM], 1);
	CU_ASSERT_EQUAL(kinds[UIOMMU_LIST_VIOMMU], 1);
	CU_ASSERT_EQUAL(kinds[UIOMMU_LIST_STRTAB], 1);
	CU_ASSERT_EQUAL(kinds[UIOMMU_LIST_VDEVICE], 1);
	CU_ASSERT_EQUAL(kinds[UIOMMU_LIST_VCMDQ], 1);

	/* Paging: one entry at a time walks the same objects. */
	cursor = 0;
	for (unsigned int i = 0; i < total; i++) {
		struct uiommu_proto_list_entry one;
		unsigned int k = 1;

		UT_ASSERT_FATAL(uiommu_client_list(admin, 0, 0, &cursor, &one,
						   &k, NULL) == 0);
		CU_ASSERT_EQUAL(k, 1);
		CU_ASSERT_EQUAL(one.kind, e[i].kind);
		CU_ASSERT_EQUAL(one.id, e[i].id);
		CU_ASSERT_EQUAL(cursor, i + 1 < total ? i + 1 : 0);
	}

	CU_ASSERT_EQUAL(uiommu_client_vcmdq_destroy(vm.c, vm.vi.id, 0), 0);
	CU_ASSERT_EQUAL(uiommu_client_vcmdq_destroy(vm.c, vm.vi.id, 0), -ENOENT);
	CU_ASSERT_EQUAL(uiommu_client_vdevice_del(vm.c, vm.vi.id, 1), 0);
	CU_ASSERT_EQUAL(uiommu_client_vdevice_del(vm.c, vm.vi.id, 1), -ENOENT);
	CU_ASSERT_EQUAL(uiommu_client_viommu_destroy(vm.c, vm.vi.id), 0);
	CU_ASSERT_EQUAL(uiommu_client_viommu_destroy(vm.c, vm.vi.id), -ENOENT);
	CU_ASSERT_EQUAL(uiommu_client_mem_del(vm.c, IT_RAM_GPA, IT_RAM_SIZE), 0);
	CU_ASSERT_EQUAL(uiommu_client_mem_del(vm.c, IT_RAM_GPA, IT_RAM_SIZE),
			-ENOENT);
	/* Only the VM itself is left, then nothing. */
	CU_ASSERT_EQUAL(it_count_objects(admin), 1);
	it_vm_teardown(&vm);
	{
		uint64_t deadline = it_now_ms() + IT_DEADLINE_MS;

		while (it_count_objects(admin) != 0 && it_now_ms() < deadline)
			usleep(1000);
	}
	CU_ASSERT_EQUAL(it_count_objects(admin), 0);
	uiommu_client_close(admin);
}

/* Every command kind a guest may queue is consumed and applied. */
static void
test_every_command(void)
{
	const uint32_t msidata = 0xc0ffee01;
	struct uiommu_cmd_info ci[] = {
		{ .op = UIOMMU_CMD_TLBI_NH_VA, .asid = 5, .addr = 0x1000 },
		{ .op = UIOMMU_CMD_TLBI_NH_VA, .asid = 5, .addr = 0x200000,
		  .tg = UIOMMU_CMD_TG_4K, .num = 3, .scale = 1, .ttl = 3 },
		{ .op = UIOMMU_CMD_TLBI_NH_VAA, .addr = 0x3000, .leaf = true },
		{ .op = UIOMMU_CMD_TLBI_NH_ASID, .asid = 7, .vmid = 0x99 },
		{ .op = UIOMMU_CMD_TLBI_NH_ALL, .vmid = 0x77 },
		{ .op = UIOMMU_CMD_TLBI_NSNH_ALL },
		{ .op = UIOMMU_CMD_ATC_INV, .sid = 1, .addr = 0x4000, .size = 2 },
		{ .op = UIOMMU_CMD_CFGI_CD, .sid = 1, .ssid = 0 },
		{ .op = UIOMMU_CMD_CFGI_CD_ALL, .sid = 1 },
		{ .op = UIOMMU_CMD_PREFETCH_CFG, .sid = 1 },
		{ .op = UIOMMU_CMD_SYNC },
		{ .op = UIOMMU_CMD_CFGI_STE, .sid = 1 },
		{ .op = UIOMMU_CMD_CFGI_ALL, .range = UIOMMU_CMD_CFGI_RANGE_ALL },
		{ .op = UIOMMU_CMD_SYNC, .cs = UIOMMU_CMD_SYNC_CS_SEV },
		{ .op = UIOMMU_CMD_SYNC, .cs = UIOMMU_CMD_SYNC_CS_IRQ,
		  .msiaddr = IT_MSI_GPA, .msidata = msidata },
	};
	struct uiommu_cmd cmds[RTE_DIM(ci)];
	struct uiommu_proto_list_entry e[16];
	uint64_t inv0, calls0, ste0;
	unsigned int n = RTE_DIM(e);
	uint32_t cursor = 0, err = 0;
	volatile uint32_t *msi;
	struct it_vm vm;
	struct it_q q;
	bool found = false;

	mgr_up_or_die();
	UT_ASSERT_FATAL(it_vm_setup(&vm, &mgr, "cmds", "mock") == 0);
	it_vm_ste_bypass(&vm, 1);
	UT_ASSERT_FATAL(uiommu_client_vdevice_add(vm.c, vm.vi.id, 1, "mock:0",
						  NULL) == 0);
	UT_ASSERT_FATAL(it_q_create(&vm, 0, 8, &q) == 0);
	for (unsigned int i = 0; i < RTE_DIM(ci); i++)
		cmds[i] = it_cmd(&ci[i]);
	msi = it_ram_ptr(&vm.ram, IT_MSI_GPA);
	*msi = 0;
	inv0 = vstat(&vm, "mock_inv_total");
	calls0 = vstat(&vm, "mock_invalidate_calls");
	ste0 = vstat(&vm, "mock_set_ste_calls");
	UT_ASSERT_FATAL(inv0 != UINT64_MAX && calls0 != UINT64_MAX);

	CU_ASSERT_EQUAL(it_q_run(&q, cmds, RTE_DIM(cmds), &err), 0);
	/* The MSI write follows CONS; a guest waits for it. */
	CU_ASSERT(it_wait_u32(msi, msidata));
	/* All 15 consumed; three completion barriers. */
	CU_ASSERT_EQUAL(qstat_eq(&vm, 0, "commands", RTE_DIM(cmds)),
			RTE_DIM(cmds));
	CU_ASSERT_EQUAL(qstat_eq(&vm, 0, "syncs", 3), 3);
	CU_ASSERT_EQUAL(qstat_eq(&vm, 0, "msi_writes", 1), 1);
	CU_ASSERT_EQUAL(qstat_eq(&vm, 0, "errors", 0), 0);
	/*
	 * Invalidation entries: 9 before the first sync (PREFETCH_CFG has no
	 * effect), CFGI_STE and CFGI_ALL: 11. Batches: [9] at the first sync,
	 * [CFGI_STE] flushed before CFGI_ALL, [CFGI_ALL] at the SEV sync.
	 */
	CU_ASSERT_EQUAL(vstat_eq(&vm, "mock_inv_total", inv0 + 11) - inv0, 11);
	CU_ASSERT_EQUAL(vstat_eq(&vm, "mock_invalidate_calls", calls0 + 3) -
			calls0, 3);
	CU_ASSERT_EQUAL(qstat_eq(&vm, 0, "batches", 3), 3);
	/* CFGI_STE and CFGI_ALL each re-read the one device's STE. */
	CU_ASSERT_EQUAL(vstat_eq(&vm, "mock_set_ste_calls", ste0 + 2) - ste0,
			2);
	UT_ASSERT_FATAL(uiommu_client_list(vm.c, 0, 1u << UIOMMU_LIST_VDEVICE,
					   &cursor, e, &n, NULL) == 0);
	for (unsigned int i = 0; i < n; i++) {
		if (e[i].kind != UIOMMU_LIST_VDEVICE || e[i].id != 1)
			continue;
		found = true;
		CU_ASSERT_EQUAL(e[i].b, 0);                     /* not blocked */
		CU_ASSERT_EQUAL(e[i].c, 2);                     /* STE updates */
		CU_ASSERT_EQUAL(e[i].d, UIOMMU_STE_CFG_BYPASS); /* config */
	}
	CU_ASSERT(found);
	it_vm_teardown(&vm);
}

/* One backend call per batch; a flood is cut by the per-queue budget. */
static void
test_batching_and_budget(void)
{
	struct uiommu_cmd cmds[201];
	uint64_t inv0, calls0, b0;
	uint32_t err = 0, budget;
	struct it_vm vm;
	struct it_q q;

	mgr_up_or_die();
	UT_ASSERT_FATAL(it_vm_setup(&vm, &mgr, "batch", "mock") == 0);
	budget = vm.hello.poll_budget;
	UT_ASSERT_FATAL(budget > 33 && budget < 200);
	UT_ASSERT_FATAL(it_q_create(&vm, 3, 8, &q) == 0);

	/* 32 TLBIs and a sync, published at once: one call of 32 entries. */
	for (unsigned int i = 0; i < 32; i++)
		cmds[i] = it_tlbi_va(1, 0x1000ULL * (i + 1));
	cmds[32] = it_sync();
	calls0 = vstat(&vm, "mock_invalidate_calls");
	inv0 = vstat(&vm, "mock_inv_total");
	CU_ASSERT_EQUAL(it_q_run(&q, cmds, 33, &err), 0);
	CU_ASSERT_EQUAL(vstat_eq(&vm, "mock_invalidate_calls", calls0 + 1) -
			calls0, 1);
	CU_ASSERT_EQUAL(vstat_eq(&vm, "mock_inv_total", inv0 + 32) - inv0, 32);
	CU_ASSERT_EQUAL(vstat_eq(&vm, "mock_last_batch_len", 32), 32);
	CU_ASSERT_EQUAL(qstat_eq(&vm, 3, "batches", 1), 1);

	/*
	 * 200 TLBIs and a sync: no pass takes more than the budget, a batch
	 * never spans passes, so there are at least ceil(201 / budget) calls,
	 * and every entry is applied exactly once.
	 */
	for (unsigned int i = 0; i < 200; i++)
		cmds[i] = it_tlbi_va(2, 0x1000ULL * (i + 1));
	cmds[200] = it_sync();
	calls0 = vstat(&vm, "mock_invalidate_calls");
	inv0 = vstat(&vm, "mock_inv_total");
	b0 = qstat(&vm, 3, "batches");
	CU_ASSERT_EQUAL(it_q_run(&q, cmds, 201, &err), 0);
	CU_ASSERT(vstat(&vm, "mock_invalidate_calls") - calls0 >=
		  (201 + budget - 1) / budget);
	CU_ASSERT_EQUAL(vstat_eq(&vm, "mock_inv_total", inv0 + 200) - inv0,
			200);
	CU_ASSERT_EQUAL(qstat(&vm, 3, "batches") - b0,
			vstat(&vm, "mock_invalidate_calls") - calls0);
	CU_ASSERT_EQUAL(qstat_eq(&vm, 3, "commands", 33 + 201), 33 + 201);
	it_vm_teardown(&vm);
}

/*
 * CMD_SYNC with CS=IRQ: the guest waits for MSIDATA at MSIADDR; once it
 * sees it, CONS is past the sync and the commands before it took effect.
 */
static void
test_sync_msi(void)
{
	volatile uint32_t *msi;
	struct uiommu_cmd c[3];
	uint32_t err = 0;
	uint64_t inv0;
	struct it_vm vm;
	struct it_q q;

	mgr_up_or_die();
	UT_ASSERT_FATAL(it_vm_setup(&vm, &mgr, "msi", "mock") == 0);
	UT_ASSERT_FATAL(it_q_create(&vm, 1, 4, &q) == 0);
	msi = it_ram_ptr(&vm.ram, IT_MSI_GPA + 8);
	inv0 = vstat(&vm, "mock_inv_total");
	for (uint32_t round = 1; round <= 20; round++) {
		c[0] = it_tlbi_va(3, 0x5000);
		c[1] = it_sync_msi(IT_MSI_GPA + 8, round);
		UT_ASSERT_FATAL(uiommu_vcmdq_prod_write(&q.p, c, 2) == 2);
		uiommu_vcmdq_prod_publish(&q.p);
		UT_ASSERT_FATAL(it_wait_u32(msi, round));
		/* One look at CONS suffices: it was published before MSI. */
		CU_ASSERT_EQUAL(uiommu_vcmdq_prod_wait(&q.p,
				uiommu_vcmdq_prod_index(&q.p), 1, &err), 0);
	}
	CU_ASSERT_EQUAL(vstat_eq(&vm, "mock_inv_total", inv0 + 20) - inv0, 20);
	/* An MSI address outside RAM is dropped, and counted, not written. */
	c[0] = it_sync_msi(0x1000, 0xdead);
	CU_ASSERT_EQUAL(it_q_run(&q, c, 1, &err), 0);
	CU_ASSERT_EQUAL(qstat_eq(&vm, 1, "msi_dropped", 1), 1);
	CU_ASSERT_EQUAL(qstat_eq(&vm, 1, "msi_writes", 20), 20);
	CU_ASSERT_EQUAL(qstat_eq(&vm, 1, "syncs", 21), 21);
	it_vm_teardown(&vm);
}

/* Illegal command: CONS stops at it with CERROR_ILL; GERRORN resumes. */
static void
test_error_stop_resume(void)
{
	struct uiommu_cmd_info s2 = { .op = UIOMMU_CMD_TLBI_S2_IPA,
				      .addr = 0x1000 };
	struct uiommu_cmd c[5];
	uint32_t err = 0, cons = 0, cerr = 0, base;
	uint64_t inv0;
	struct it_vm vm;
	struct it_q q;

	mgr_up_or_die();
	UT_ASSERT_FATAL(it_vm_setup(&vm, &mgr, "errors", "mock") == 0);
	UT_ASSERT_FATAL(it_q_create(&vm, 2, 4, &q) == 0);
	inv0 = vstat(&vm, "mock_inv_total");
	base = uiommu_vcmdq_prod_index(&q.p);
	c[0] = it_tlbi_va(4, 0x1000);
	c[1] = it_tlbi_va(4, 0x2000);
	c[2] = it_cmd(&s2);          /* stage-2 TLBI: illegal for a guest */
	c[3] = it_tlbi_va(4, 0x3000);
	c[4] = it_sync();
	CU_ASSERT_EQUAL(it_q_run(&q, c, 5, &err), -EIO);
	CU_ASSERT_EQUAL(err, UIOMMU_CERROR_ILL);
	CU_ASSERT(uiommu_vcmdq_prod_error_pending(&q.p, &cerr, &cons));
	CU_ASSERT_EQUAL(cerr, UIOMMU_CERROR_ILL);
	CU_ASSERT_EQUAL(cons, (base + 2) & q.p.mask);
	/* The two commands before it took effect, nothing after. */
	CU_ASSERT_EQUAL(vstat_eq(&vm, "mock_inv_total", inv0 + 2) - inv0, 2);
	CU_ASSERT_EQUAL(qstat_eq(&vm, 2, "errors", 1), 1);
	CU_ASSERT_EQUAL(qstat_eq(&vm, 2, "stopped", 1), 1);

	/* Nothing moves while the error is not acknowledged. */
	usleep(20000);
	CU_ASSERT_EQUAL(vstat(&vm, "mock_inv_total") - inv0, 2);

	/* Replace the bad slot by a sync (as Linux does) and acknowledge. */
	c[0] = it_sync();
	uiommu_vcmdq_prod_fixup(&q.p, cons, &c[0]);
	uiommu_vcmdq_prod_ack_error(&q.p);
	CU_ASSERT_EQUAL(it_q_wait(&q, uiommu_vcmdq_prod_index(&q.p), &err), 0);
	CU_ASSERT_FALSE(uiommu_vcmdq_prod_error_pending(&q.p, NULL, NULL));
	CU_ASSERT_EQUAL(vstat_eq(&vm, "mock_inv_total", inv0 + 3) - inv0, 3);
	CU_ASSERT_EQUAL(qstat_eq(&vm, 2, "stopped", 0), 0);
	CU_ASSERT_EQUAL(qstat_eq(&vm, 2, "commands", 5), 5);

	/* An unknown opcode and a reserved bit stop it the same way. */
	c[0].dw[0] = 0xff;
	c[0].dw[1] = 0;
	CU_ASSERT_EQUAL(it_q_run(&q, c, 1, &err), -EIO);
	CU_ASSERT_EQUAL(err, UIOMMU_CERROR_ILL);
	c[1] = it_sync();
	uiommu_vcmdq_prod_fixup(&q.p, uiommu_vcmdq_prod_index(&q.p) - 1, &c[1]);
	uiommu_vcmdq_prod_ack_error(&q.p);
	CU_ASSERT_EQUAL(it_q_wait(&q, uiommu_vcmdq_prod_index(&q.p), &err), 0);
	c[0] = it_sync();
	c[0].dw[1] |= 1;            /* reserved bit of CMD_SYNC's dword1 */
	CU_ASSERT_EQUAL(it_q_run(&q, c, 1, &err), -EIO);
	CU_ASSERT_EQUAL(qstat_eq(&vm, 2, "errors", 3), 3);
	it_vm_teardown(&vm);
}

/* A vSID the VM does not own is illegal; a vSID it owns is not. */
static void
test_foreign_vsid(void)
{
	struct uiommu_cmd_info atc = { .op = UIOMMU_CMD_ATC_INV, .sid = 9 };
	struct uiommu_cmd c[2];
	uint32_t err = 0;
	struct it_vm vm;
	struct it_q q;

	mgr_up_or_die();
	UT_ASSERT_FATAL(it_vm_setup(&vm, &mgr, "vsid", "mock") == 0);
	UT_ASSERT_FATAL(uiommu_client_vdevice_add(vm.c, vm.vi.id, 9, "mock:3",
						  NULL) == 0);
	UT_ASSERT_FATAL(it_q_create(&vm, 0, 4, &q) == 0);
	c[0] = it_cmd(&atc);
	c[1] = it_sync();
	CU_ASSERT_EQUAL(it_q_run(&q, c, 2, &err), 0);
	atc.sid = 10;
	c[0] = it_cmd(&atc);
	CU_ASSERT_EQUAL(it_q_run(&q, c, 2, &err), -EIO);
	CU_ASSERT_EQUAL(err, UIOMMU_CERROR_ILL);
	it_vm_teardown(&vm);
}

/*
 * The soft backend end to end: the device's register page arrives through
 * the control region, the guest configures the device (bypass STE +
 * CFGI_STE on the queue), and the copy engine, run by the polling lcore
 * through the backend's poll(), copies guest memory; an access outside
 * RAM faults and is reported as an event.
 */
static void
test_soft_dma(void)
{
	struct uiommu_cmd_info cfgi = { .op = UIOMMU_CMD_CFGI_STE, .sid = 1 };
	const uint64_t ring = IT_RAM_GPA + 0x200000;
	const uint64_t src = IT_RAM_GPA + 0x300000, dst = src + 0x10000;
	volatile struct uiommu_soft_dma_regs *r;
	struct uiommu_msg_translate_reply tr;
	struct uiommu_client_vdevice dev;
	struct uiommu_soft_dma_desc *d;
	struct uiommu_proto_event ev[8];
	struct uiommu_cmd c[2];
	uint8_t *s8, *d8;
	unsigned int n;
	uint32_t err = 0;
	struct it_vm vm;
	struct it_q q;
	bool found = false;

	mgr_up_or_die();
	UT_ASSERT_FATAL(it_vm_setup(&vm, &mgr, "soft", "soft") == 0);
	UT_ASSERT_FATAL(uiommu_client_vdevice_add(vm.c, vm.vi.id, 1,
						  "soft:dma0", &dev) == 0);
	UT_ASSERT_FATAL(dev.regs != NULL);
	CU_ASSERT_EQUAL(dev.regs_size, 4096);
	r = dev.regs;
	CU_ASSERT_EQUAL(r->magic, UIOMMU_SOFT_DMA_MAGIC);
	CU_ASSERT_EQUAL(r->version, UIOMMU_SOFT_DMA_VERSION);
	/* Configure the stream: bypass (IOVA = guest-physical). */
	it_vm_ste_bypass(&vm, 1);
	UT_ASSERT_FATAL(it_q_create(&vm, 0, 4, &q) == 0);
	c[0] = it_cmd(&cfgi);
	c[1] = it_sync();
	UT_ASSERT_FATAL(it_q_run(&q, c, 2, &err) == 0);
	CU_ASSERT_EQUAL(uiommu_client_translate(vm.c, 0, vm.vi.id, 1,
						src + 0x10, UIOMMU_XLATE_READ,
						&tr), 0);
	CU_ASSERT_EQUAL(tr.flags & UIOMMU_XLATE_F_FAULT, 0);
	CU_ASSERT(tr.contig > 0);

	/* Program the engine: ring of 4 descriptors, then one copy. */
	s8 = it_ram_ptr(&vm.ram, src);
	d8 = it_ram_ptr(&vm.ram, dst);
	for (unsigned int i = 0; i < 4096; i++)
		s8[i] = (uint8_t)(i * 7 + 3);
	memset(d8, 0, 4096);
	d = it_ram_ptr(&vm.ram, ring);
	memset(d, 0, 4 * sizeof(*d));
	r->ring_base = ring;
	r->ring_log2 = 2;
	r->ssid = 0;
	r->prod = 0;
	r->cons = 0;
	__atomic_store_n(&r->ctrl, UIOMMU_SOFT_DMA_CTRL_ENABLE,
			 __ATOMIC_RELEASE);
	UT_ASSERT_FATAL(it_wait_u32(&r->status, UIOMMU_SOFT_DMA_STATUS_ENABLED));
	d[0].src = src;
	d[0].dst = dst;
	d[0].len = 4096;
	__atomic_store_n(&r->prod, 1, __ATOMIC_RELEASE);
	UT_ASSERT_FATAL(it_wait_u32(&r->cons, 1));
	CU_ASSERT_EQUAL(UIOMMU_SOFT_DMA_ST_CODE(d[0].status),
			UIOMMU_SOFT_DMA_ST_OK);
	CU_ASSERT_EQUAL(d[0].done, 4096);
	CU_ASSERT_EQUAL(memcmp(s8, d8, 4096), 0);

	/* A destination outside RAM faults, and nothing is written. */
	d[1].src = src;
	d[1].dst = 0x1000;
	d[1].len = 64;
	__atomic_store_n(&r->prod, 2, __ATOMIC_RELEASE);
	UT_ASSERT_FATAL(it_wait_u32(&r->cons, 2));
	CU_ASSERT_EQUAL(UIOMMU_SOFT_DMA_ST_CODE(d[1].status),
			UIOMMU_SOFT_DMA_ST_DST_FAULT);
	CU_ASSERT_EQUAL(d[1].done, 0);
	CU_ASSERT_EQUAL(d[1].fault_iova, 0x1000);
	for (uint64_t t = it_now_ms() + IT_DEADLINE_MS;
	     !found && it_now_ms() < t;) {
		n = RTE_DIM(ev);
		UT_ASSERT_FATAL(uiommu_client_events_read(vm.c, vm.vi.id, ev,
							  &n, NULL) == 0);
		for (unsigned int i = 0; i < n; i++)
			found |= ev[i].sid == 1 && ev[i].input_addr == 0x1000;
	}
	CU_ASSERT(found);
	it_vm_teardown(&vm);
}

/* A single-lcore manager polls inline between socket events. */
static void
test_inline_mode(void)
{
	static const char *const extra[] = { "--backend", "mock", NULL };
	struct uiommu_cmd c[4];
	volatile uint32_t *msi;
	uint32_t err = 0;
	struct it_mgr one;
	struct it_vm vm;
	struct it_q q;

	UT_ASSERT_FATAL(it_mgr_start(&one, "0", extra) == 0);
	UT_ASSERT_FATAL(it_vm_setup(&vm, &one, "inline", "mock") == 0);
	UT_ASSERT_FATAL(it_q_create(&vm, 0, 4, &q) == 0);
	CU_ASSERT_EQUAL(q.cq.lcore, 0);
	msi = it_ram_ptr(&vm.ram, IT_MSI_GPA);
	*msi = 0;
	c[0] = it_tlbi_va(1, 0x1000);
	c[1] = it_tlbi_va(1, 0x2000);
	c[2] = it_sync_msi(IT_MSI_GPA, 77);
	CU_ASSERT_EQUAL(it_q_run(&q, c, 3, &err), 0);
	CU_ASSERT(it_wait_u32(msi, 77));
	CU_ASSERT_EQUAL(qstat_eq(&vm, 0, "commands", 3), 3);
	it_vm_teardown(&vm);
	CU_ASSERT_EQUAL(it_mgr_stop(&one, SIGTERM), 0);
}

static void
test_shutdown(void)
{
	if (!mgr_up)
		return;
	CU_ASSERT_EQUAL(it_mgr_stop(&mgr, SIGTERM), 0);
	mgr_up = false;
}

static const struct ut_case cases[] = {
	UT_CASE(test_setup_teardown),
	UT_CASE(test_every_command),
	UT_CASE(test_batching_and_budget),
	UT_CASE(test_sync_msi),
	UT_CASE(test_error_stop_resume),
	UT_CASE(test_foreign_vsid),
	UT_CASE(test_soft_dma),
	UT_CASE(test_inline_mode),
	UT_CASE(test_shutdown),
	UT_END
};

int
main(int argc, char **argv)
{
	int rc = ut_main("it_queue", cases, argc, argv);

	if (mgr_up)
		it_mgr_stop(&mgr, SIGKILL);
	return rc;
}
