/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tests of the dispatch (uiommu_vcmdq_process) on the "mock" backend.
 *
 * The guest side is played with lib/cmdq's producer helpers on the real
 * control region and a ring in (malloc'd) guest RAM, so every test goes
 * through the same shared-memory protocol a guest uses. The mock records
 * each backend call and batch, which is what the assertions read: one call
 * per batch, where batches were cut, the VMID and device of every entry,
 * the configuration applied by CFGI_STE; and the queue registers tell where
 * CONS stopped and with which error. One test runs the same protocol on the
 * "soft" backend, whose DMA engines make real device transactions, to check
 * what a device's invalid STE does to them.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>

#include "uiommu_cmd.h"
#include "uiommu_core.h"
#include "uiommu_smmu.h"
#include "uiommu_soft_dma.h"
#include "uiommu_ut.h"
#include "uiommu_vcmdq.h"

#define RAM_GPA    0x100000ULL
#define RAM_SIZE   (1u << 20)
#define STRTAB_GPA RAM_GPA           /* 16 STEs */
#define STRTAB_LOG2 4
#define RING_GPA   (RAM_GPA + 0x10000)
#define MSI_GPA    (RAM_GPA + 0x80000)
#define GUEST_VMID 0x1234            /* what a guest writes; must be ignored */

struct fx {
	uint8_t *ram;
	struct uiommu_vm *vm;
	struct uiommu_viommu *v;
	struct uiommu_vcmdq *q;
	struct uiommu_vcmdq_prod p;
	struct uiommu_vcmdq_regs *regs;
	struct uiommu_vdevice *dev1, *dev2;
	struct uiommu_soft_dma_regs *dregs1;  /* soft backend only */
	uint16_t vmid;
	uint32_t log2size;
};

static const struct uiommu_mock_state *ms;

static void *
gpa(struct fx *f, uint64_t a)
{
	return f->ram + (a - RAM_GPA);
}

/* VM with 1 MiB of RAM, a vIOMMU of @p be, vSIDs 1 and 2, one enabled queue. */
static void
fx_setup_be(struct fx *f, uint32_t log2size, const char *be)
{
	bool soft = strcmp(be, "soft") == 0;
	struct uiommu_vdevice_info info;
	uint64_t off;

	memset(f, 0, sizeof(*f));
	uiommu_mock_reset();
	ms = uiommu_mock_state();
	f->ram = aligned_alloc(4096, RAM_SIZE);
	UT_ASSERT_FATAL(f->ram != NULL);
	memset(f->ram, 0, RAM_SIZE);
	f->log2size = log2size;
	UT_ASSERT_FATAL(uiommu_vm_create("dispatch", &f->vm) == 0);
	UT_ASSERT_FATAL(uiommu_vm_mem_add_hva(f->vm, RAM_GPA, RAM_SIZE, f->ram) == 0);
	UT_ASSERT_FATAL(uiommu_viommu_create(f->vm, be, NULL, &f->v) == 0);
	f->vmid = uiommu_viommu_vmid(f->v);
	UT_ASSERT_FATAL(f->vmid != GUEST_VMID);
	UT_ASSERT_FATAL(uiommu_viommu_set_strtab(f->v, STRTAB_GPA, STRTAB_LOG2) == 0);
	UT_ASSERT_FATAL(uiommu_vdevice_add(f->v, 1, soft ? "soft:dma0" : "mock:0",
					   &info, &f->dev1) == 0);
	if (info.has_regs)
		f->dregs1 = (struct uiommu_soft_dma_regs *)(void *)
			((uint8_t *)uiommu_viommu_ctrl_base(f->v) +
			 info.regs_offset);
	UT_ASSERT_FATAL(uiommu_vdevice_add(f->v, 2, soft ? "soft:dma1" : "mock:1",
					   NULL, &f->dev2) == 0);
	UT_ASSERT_FATAL(uiommu_vcmdq_create(f->v, 3, log2size, RING_GPA, &f->q,
					    &off) == 0);
	f->regs = (struct uiommu_vcmdq_regs *)(void *)
		  ((uint8_t *)uiommu_viommu_ctrl_base(f->v) + off);
	UT_ASSERT_FATAL(uiommu_vcmdq_prod_init(&f->p, gpa(f, RING_GPA), log2size,
					       f->regs) == 0);
	/* Nothing is consumed before the guest enables the queue. */
	UT_ASSERT_FATAL(uiommu_vcmdq_prod_enable(&f->p, 0) == 0);
	CU_ASSERT_EQUAL(uiommu_vcmdq_process(f->q, 0), 0);
	UT_ASSERT_FATAL(uiommu_vcmdq_prod_enabled(&f->p));
}

static void
fx_setup(struct fx *f, uint32_t log2size)
{
	fx_setup_be(f, log2size, "mock");
}

static void
fx_teardown(struct fx *f)
{
	uiommu_vm_destroy(f->vm);
	CU_ASSERT_EQUAL(ms->live_viommus, 0);
	CU_ASSERT_EQUAL(ms->live_vdevices, 0);
	free(f->ram);
}

static struct uiommu_cmd
mk(const struct uiommu_cmd_info *ci)
{
	struct uiommu_cmd c;

	UT_ASSERT_FATAL(uiommu_cmd_encode(ci, &c) == 0);
	return c;
}

static struct uiommu_cmd
tlbi_va(uint16_t asid, uint64_t va)
{
	struct uiommu_cmd_info ci = {
		.op = UIOMMU_CMD_TLBI_NH_VA, .asid = asid, .addr = va,
		.vmid = GUEST_VMID, .leaf = true,
	};

	return mk(&ci);
}

static struct uiommu_cmd
op_only(uint8_t op)
{
	struct uiommu_cmd_info ci = { .op = op };

	return mk(&ci);
}

static struct uiommu_cmd
with_sid(uint8_t op, uint32_t sid)
{
	struct uiommu_cmd_info ci = { .op = op, .sid = sid };

	return mk(&ci);
}

static struct uiommu_cmd
sync_cmd(uint8_t cs, uint64_t msiaddr, uint32_t msidata)
{
	struct uiommu_cmd_info ci = {
		.op = UIOMMU_CMD_SYNC, .cs = cs, .msiaddr = msiaddr,
		.msidata = msidata,
	};

	return mk(&ci);
}

static void
push(struct fx *f, const struct uiommu_cmd *cmds, uint32_t n)
{
	UT_ASSERT_FATAL(uiommu_vcmdq_prod_write(&f->p, cmds, n) == n);
	uiommu_vcmdq_prod_publish(&f->p);
}

/* CONS as the guest sees it (without ERR), and ERR. */
static uint32_t
cons_of(struct fx *f, uint32_t *err)
{
	uint32_t c = __atomic_load_n(&f->regs->cons, __ATOMIC_ACQUIRE);

	if (err != NULL)
		*err = (c & UIOMMU_VCMDQ_CONS_ERR_MASK) >> UIOMMU_VCMDQ_CONS_ERR_SHIFT;
	return c & uiommu_vcmdq_ptr_mask(f->log2size);
}

static void
write_ste(struct fx *f, uint32_t sid, const uint64_t raw[8])
{
	memcpy(gpa(f, STRTAB_GPA + (uint64_t)sid * UIOMMU_STE_SIZE), raw,
	       UIOMMU_STE_SIZE);
}

static void
write_bypass_ste(struct fx *f, uint32_t sid)
{
	struct uiommu_ste_info ste = {
		.valid = 1, .config = UIOMMU_STE_CFG_BYPASS,
	};
	uint64_t raw[8];

	uiommu_ste_encode(&ste, raw);
	write_ste(f, sid, raw);
}

/* ---- batching -------------------------------------------------------- */

static void
test_one_backend_call_per_batch(void)
{
	struct uiommu_cmd c[11];
	struct uiommu_vcmdq_stats st;
	struct fx f;

	fx_setup(&f, 8);
	for (int i = 0; i < 10; i++)
		c[i] = tlbi_va((uint16_t)i, 0x1000ULL * (uint64_t)(i + 1));
	c[10] = sync_cmd(UIOMMU_CMD_SYNC_CS_SEV, 0, 0);
	push(&f, c, 11);
	CU_ASSERT_EQUAL(uiommu_vcmdq_process(f.q, 64), 11);
	CU_ASSERT_EQUAL(cons_of(&f, NULL), 11);
	CU_ASSERT_EQUAL(ms->calls[UIOMMU_MOCK_INVALIDATE], 1);
	CU_ASSERT_EQUAL(ms->nr_batches, 1);
	CU_ASSERT_EQUAL(ms->batch_len[0], 10);
	/* In order, each with its address and ASID. */
	for (uint32_t i = 0; i < ms->nr_inv; i++) {
		CU_ASSERT_EQUAL(ms->inv[i].op, UIOMMU_CMD_TLBI_NH_VA);
		CU_ASSERT_EQUAL(ms->inv[i].asid, i);
		CU_ASSERT_EQUAL(ms->inv[i].first, 0x1000ULL * (i + 1));
		CU_ASSERT_EQUAL(ms->inv[i].last, 0x1000ULL * (i + 1));
		CU_ASSERT_EQUAL(ms->inv[i].leaf, 1);
	}
	uiommu_vcmdq_stats_get(f.q, &st);
	CU_ASSERT_EQUAL(st.commands, 11);
	CU_ASSERT_EQUAL(st.syncs, 1);
	CU_ASSERT_EQUAL(st.batches, 1);
	CU_ASSERT_EQUAL(st.backend_calls, 1);
	CU_ASSERT_EQUAL(st.errors, 0);
	/* Nothing more to do: no further call. */
	CU_ASSERT_EQUAL(uiommu_vcmdq_process(f.q, 64), 0);
	CU_ASSERT_EQUAL(ms->calls[UIOMMU_MOCK_INVALIDATE], 1);
	fx_teardown(&f);
}

static void
test_batch_boundaries(void)
{
	struct uiommu_cmd_info cd = { .op = UIOMMU_CMD_CFGI_CD, .sid = 2, .ssid = 5 };
	struct uiommu_cmd c[16];
	uint32_t n = 0;
	struct fx f;

	fx_setup(&f, 8);
	write_bypass_ste(&f, 1);
	c[n++] = tlbi_va(1, 0x1000);
	c[n++] = tlbi_va(1, 0x2000);
	c[n++] = sync_cmd(UIOMMU_CMD_SYNC_CS_NONE, 0, 0);      /* batch [2] */
	c[n++] = tlbi_va(1, 0x3000);                            /* batch [1] */
	c[n++] = with_sid(UIOMMU_CMD_CFGI_STE, 1);              /* cut before */
	c[n++] = tlbi_va(1, 0x4000);
	c[n++] = mk(&cd);                                       /* no cut */
	c[n++] = tlbi_va(1, 0x5000);
	c[n++] = sync_cmd(UIOMMU_CMD_SYNC_CS_NONE, 0, 0);      /* [CFGI_STE,T,CD,T] */
	c[n++] = tlbi_va(1, 0x6000);                            /* end of pass [1] */
	push(&f, c, n);
	CU_ASSERT_EQUAL(uiommu_vcmdq_process(f.q, 64), n);
	CU_ASSERT_EQUAL_FATAL(ms->nr_batches, 4);
	CU_ASSERT_EQUAL(ms->batch_len[0], 2);
	CU_ASSERT_EQUAL(ms->batch_len[1], 1);
	CU_ASSERT_EQUAL(ms->batch_len[2], 4);
	CU_ASSERT_EQUAL(ms->batch_len[3], 1);
	CU_ASSERT_EQUAL(ms->calls[UIOMMU_MOCK_INVALIDATE], 4);
	/* The CFGI itself is passed on so the backend drops cached config. */
	CU_ASSERT_EQUAL(ms->inv[3].op, UIOMMU_CMD_CFGI_STE);
	CU_ASSERT_EQUAL(ms->inv[3].vsid, 1);
	CU_ASSERT_PTR_NOT_NULL(ms->inv[3].dev);
	CU_ASSERT_EQUAL(ms->inv[5].op, UIOMMU_CMD_CFGI_CD);
	CU_ASSERT_EQUAL(ms->inv[5].vsid, 2);
	CU_ASSERT_EQUAL(ms->inv[5].ssid, 5);
	CU_ASSERT_EQUAL(ms->calls[UIOMMU_MOCK_SET_STE], 1);
	fx_teardown(&f);
}

static void
test_batch_never_exceeds_max(void)
{
	const uint32_t n = UIOMMU_BATCH_MAX + 44;
	struct uiommu_cmd *c = calloc(n + 1, sizeof(*c));
	struct fx f;

	fx_setup(&f, 10);
	for (uint32_t i = 0; i < n; i++)
		c[i] = tlbi_va(1, 0x1000ULL * i);
	c[n] = sync_cmd(UIOMMU_CMD_SYNC_CS_NONE, 0, 0);
	push(&f, c, n + 1);
	CU_ASSERT_EQUAL(uiommu_vcmdq_process(f.q, 1024), n + 1);
	CU_ASSERT_EQUAL_FATAL(ms->nr_batches, 2);
	CU_ASSERT_EQUAL(ms->batch_len[0], UIOMMU_BATCH_MAX);
	CU_ASSERT_EQUAL(ms->batch_len[1], 44);
	CU_ASSERT_EQUAL(ms->inv_total, n);
	CU_ASSERT_EQUAL(cons_of(&f, NULL), n + 1);
	fx_teardown(&f);
	free(c);
}

static void
test_budget_respected(void)
{
	struct uiommu_cmd c[100];
	uint32_t total = 0, got;
	struct fx f;

	fx_setup(&f, 8);
	for (int i = 0; i < 100; i++)
		c[i] = tlbi_va(2, 0x1000);
	push(&f, c, 100);
	CU_ASSERT_EQUAL(uiommu_vcmdq_process(f.q, 0), 0);
	CU_ASSERT_EQUAL(cons_of(&f, NULL), 0);
	while ((got = uiommu_vcmdq_process(f.q, 7)) > 0) {
		CU_ASSERT(got <= 7);
		total += got;
		CU_ASSERT_EQUAL(cons_of(&f, NULL), total);
	}
	CU_ASSERT_EQUAL(total, 100);
	CU_ASSERT_EQUAL(ms->inv_total, 100);
	/* A batch never spans two passes. */
	for (uint32_t i = 0; i < ms->nr_batches; i++)
		CU_ASSERT(ms->batch_len[i] <= 7);
	fx_teardown(&f);
}

static void
test_ring_wrap(void)
{
	struct uiommu_cmd c[3];
	struct fx f;

	fx_setup(&f, 2); /* 4 entries */
	for (int round = 0; round < 20; round++) {
		c[0] = tlbi_va((uint16_t)round, 0x1000);
		c[1] = tlbi_va((uint16_t)round, 0x2000);
		c[2] = sync_cmd(UIOMMU_CMD_SYNC_CS_SEV, 0, 0);
		push(&f, c, 3);
		CU_ASSERT_EQUAL(uiommu_vcmdq_process(f.q, 64), 3);
		CU_ASSERT_EQUAL(uiommu_vcmdq_prod_wait(&f.p,
				uiommu_vcmdq_prod_index(&f.p), 1, NULL), 0);
	}
	CU_ASSERT_EQUAL(ms->inv_total, 40);
	CU_ASSERT_EQUAL(ms->nr_batches, 20);
	CU_ASSERT_EQUAL(ms->inv[39].asid, 19);
	fx_teardown(&f);
}

/* ---- ID translation -------------------------------------------------- */

static void
test_vmid_forced(void)
{
	struct uiommu_cmd_info ci;
	struct uiommu_cmd c[5];
	struct fx f;

	fx_setup(&f, 8);
	c[0] = tlbi_va(3, 0x5000);
	ci = (struct uiommu_cmd_info){ .op = UIOMMU_CMD_TLBI_NH_ASID, .asid = 3,
				       .vmid = GUEST_VMID };
	c[1] = mk(&ci);
	ci = (struct uiommu_cmd_info){ .op = UIOMMU_CMD_TLBI_NH_ALL,
				       .vmid = GUEST_VMID };
	c[2] = mk(&ci);
	ci = (struct uiommu_cmd_info){ .op = UIOMMU_CMD_TLBI_NH_VAA,
				       .vmid = GUEST_VMID, .addr = 0x7000 };
	c[3] = mk(&ci);
	c[4] = op_only(UIOMMU_CMD_TLBI_NSNH_ALL);
	push(&f, c, 5);
	CU_ASSERT_EQUAL(uiommu_vcmdq_process(f.q, 64), 5);
	CU_ASSERT_EQUAL_FATAL(ms->nr_inv, 5);
	for (int i = 0; i < 5; i++) {
		struct uiommu_cmd raw = { .dw = { ms->inv[i].raw[0], ms->inv[i].raw[1] } };
		struct uiommu_cmd_info d;

		CU_ASSERT_EQUAL(ms->inv[i].vmid, f.vmid);
		/* The raw copy handed to pass-through backends is fixed too. */
		CU_ASSERT_EQUAL_FATAL(uiommu_cmd_decode(&raw, &d), 0);
		if (i < 4)
			CU_ASSERT_EQUAL(d.vmid, f.vmid);
		CU_ASSERT_PTR_NULL(ms->inv[i].dev);
	}
	CU_ASSERT_EQUAL(ms->inv[1].op, UIOMMU_CMD_TLBI_NH_ASID);
	CU_ASSERT_EQUAL(ms->inv[1].asid, 3);
	CU_ASSERT_EQUAL(ms->inv[3].first, 0x7000);
	/* "All of the guest" is all of its VMID. */
	CU_ASSERT_EQUAL(ms->inv[4].op, UIOMMU_CMD_TLBI_NH_ALL);
	fx_teardown(&f);
}

static void
test_vsid_translated(void)
{
	struct uiommu_cmd_info atc = {
		.op = UIOMMU_CMD_ATC_INV, .sid = 2, .ssv = true, .ssid = 9,
		.addr = 0x40000, .size = 2,
	};
	struct uiommu_cmd c[4];
	struct fx f;

	fx_setup(&f, 8);
	c[0] = mk(&atc);
	c[1] = with_sid(UIOMMU_CMD_CFGI_CD_ALL, 1);
	c[2] = with_sid(UIOMMU_CMD_PREFETCH_CFG, 1); /* accepted, no effect */
	c[3] = sync_cmd(UIOMMU_CMD_SYNC_CS_NONE, 0, 0);
	push(&f, c, 4);
	CU_ASSERT_EQUAL(uiommu_vcmdq_process(f.q, 64), 4);
	CU_ASSERT_EQUAL_FATAL(ms->nr_inv, 2);
	CU_ASSERT_EQUAL(ms->inv[0].op, UIOMMU_CMD_ATC_INV);
	CU_ASSERT_EQUAL(ms->inv[0].vsid, 2);
	CU_ASSERT_EQUAL(ms->inv[0].ssid, 9);
	CU_ASSERT_EQUAL(ms->inv[0].first, 0x40000);
	CU_ASSERT_EQUAL(ms->inv[0].last, 0x40000 + 4 * 4096 - 1);
	CU_ASSERT_EQUAL(ms->inv[1].vsid, 1);
	/* Different vSIDs, different backend devices. */
	CU_ASSERT_PTR_NOT_NULL(ms->inv[0].dev);
	CU_ASSERT_PTR_NOT_NULL(ms->inv[1].dev);
	CU_ASSERT_PTR_NOT_EQUAL(ms->inv[0].dev, ms->inv[1].dev);
	fx_teardown(&f);
}

/* ---- errors ---------------------------------------------------------- */

/* The queue stopped at @p at with CERROR_ILL; GERROR toggled. */
static void
assert_stopped_at(struct fx *f, uint32_t at)
{
	uint32_t err = 0, cons = 0;

	CU_ASSERT(uiommu_vcmdq_prod_error_pending(&f->p, &err, &cons));
	CU_ASSERT_EQUAL(err, UIOMMU_CERROR_ILL);
	CU_ASSERT_EQUAL(cons, at);
}

static void
test_vsid_not_owned(void)
{
	struct uiommu_cmd c[5], fix = sync_cmd(UIOMMU_CMD_SYNC_CS_NONE, 0, 0);
	struct uiommu_vcmdq_stats st;
	struct fx f;

	fx_setup(&f, 8);
	c[0] = tlbi_va(1, 0x1000);
	c[1] = tlbi_va(1, 0x2000);
	c[2] = with_sid(UIOMMU_CMD_ATC_INV, 7);   /* not this VM's */
	c[3] = tlbi_va(1, 0x3000);
	c[4] = sync_cmd(UIOMMU_CMD_SYNC_CS_NONE, 0, 0);
	push(&f, c, 5);
	CU_ASSERT_EQUAL(uiommu_vcmdq_process(f.q, 64), 2);
	assert_stopped_at(&f, 2);
	/* What came before took effect; nothing after did. */
	CU_ASSERT_EQUAL(ms->inv_total, 2);
	/* Stopped: further passes do nothing until GERRORN. */
	CU_ASSERT_EQUAL(uiommu_vcmdq_process(f.q, 64), 0);
	CU_ASSERT_EQUAL(ms->inv_total, 2);
	uiommu_vcmdq_stats_get(f.q, &st);
	CU_ASSERT_EQUAL(st.errors, 1);
	/* The guest replaces the bad command (as Linux does) and resumes. */
	uiommu_vcmdq_prod_fixup(&f.p, 2, &fix);
	uiommu_vcmdq_prod_ack_error(&f.p);
	CU_ASSERT_EQUAL(uiommu_vcmdq_process(f.q, 64), 3);
	CU_ASSERT(!uiommu_vcmdq_prod_error_pending(&f.p, NULL, NULL));
	CU_ASSERT_EQUAL(cons_of(&f, NULL), 5);
	CU_ASSERT_EQUAL(ms->inv_total, 3);
	CU_ASSERT_EQUAL(ms->inv[2].first, 0x3000);
	/* The other vSID-carrying opcodes are checked too. */
	{
		const uint8_t ops[] = { UIOMMU_CMD_CFGI_STE, UIOMMU_CMD_CFGI_CD,
					UIOMMU_CMD_CFGI_CD_ALL, UIOMMU_CMD_PREFETCH_CFG };

		for (size_t i = 0; i < RTE_DIM(ops); i++) {
			uint32_t at = cons_of(&f, NULL);

			c[0] = with_sid(ops[i], 0xdead);
			push(&f, c, 1);
			CU_ASSERT_EQUAL(uiommu_vcmdq_process(f.q, 64), 0);
			assert_stopped_at(&f, at);
			uiommu_vcmdq_prod_fixup(&f.p, at, &fix);
			uiommu_vcmdq_prod_ack_error(&f.p);
			CU_ASSERT_EQUAL(uiommu_vcmdq_process(f.q, 64), 1);
		}
	}
	fx_teardown(&f);
}

/* Opcodes that carry a vSID the VM must own (vSID 0 is not bound here). */
static bool
needs_owned_vsid(uint8_t op)
{
	return op == UIOMMU_CMD_ATC_INV || op == UIOMMU_CMD_CFGI_STE ||
	       op == UIOMMU_CMD_CFGI_CD || op == UIOMMU_CMD_CFGI_CD_ALL ||
	       op == UIOMMU_CMD_PREFETCH_CFG;
}

static void
test_illegal_opcodes(void)
{
	struct uiommu_cmd c[3], fix = sync_cmd(UIOMMU_CMD_SYNC_CS_NONE, 0, 0);
	uint32_t legal = 0;
	struct fx f;

	fx_setup(&f, 4);
	for (unsigned int op = 0; op < 256; op++) {
		uint32_t at = cons_of(&f, NULL);
		bool want_legal = uiommu_cmd_guest_allowed((uint8_t)op) &&
				  !needs_owned_vsid((uint8_t)op);
		uint64_t before = ms->inv_total;

		c[0] = tlbi_va(1, 0x1000);
		c[1] = (struct uiommu_cmd){ .dw = { op, 0 } };
		c[2] = tlbi_va(1, 0x2000);
		push(&f, c, 3);
		if (want_legal) {
			legal++;
			CU_ASSERT_EQUAL(uiommu_vcmdq_process(f.q, 64), 3);
			CU_ASSERT(!uiommu_vcmdq_prod_error_pending(&f.p, NULL, NULL));
			continue;
		}
		CU_ASSERT_EQUAL(uiommu_vcmdq_process(f.q, 64), 1);
		assert_stopped_at(&f, (at + 1) & uiommu_vcmdq_ptr_mask(4));
		CU_ASSERT_EQUAL(ms->inv_total, before + 1);
		uiommu_vcmdq_prod_fixup(&f.p, at + 1, &fix);
		uiommu_vcmdq_prod_ack_error(&f.p);
		CU_ASSERT_EQUAL(uiommu_vcmdq_process(f.q, 64), 2);
		CU_ASSERT_EQUAL(ms->inv_total, before + 2);
	}
	/* TLBI_NH_{ALL,ASID,VA,VAA}, TLBI_NSNH_ALL, CFGI_ALL, CMD_SYNC. */
	CU_ASSERT_EQUAL(legal, 7);
	fx_teardown(&f);
}

static void
test_reserved_bits(void)
{
	struct uiommu_cmd good[3], c, fix = sync_cmd(UIOMMU_CMD_SYNC_CS_NONE, 0, 0);
	uint32_t rejected = 0;
	struct fx f;

	fx_setup(&f, 6);
	good[0] = tlbi_va(9, 0x9000);
	good[1] = op_only(UIOMMU_CMD_TLBI_NH_ALL);
	good[2] = sync_cmd(UIOMMU_CMD_SYNC_CS_IRQ, MSI_GPA, 1);
	/* Flip each bit of each good command: legal or stopped, never both. */
	for (int k = 0; k < 3; k++) {
		for (int bit = 8; bit < 128; bit++) {
			struct uiommu_cmd_info ci;
			uint32_t at = cons_of(&f, NULL), got;
			bool decodes;

			c = good[k];
			c.dw[bit / 64] ^= 1ULL << (bit % 64);
			decodes = uiommu_cmd_decode(&c, &ci) == 0;
			push(&f, &c, 1);
			got = uiommu_vcmdq_process(f.q, 64);
			if (decodes) {
				CU_ASSERT_EQUAL(got, 1);
				continue;
			}
			rejected++;
			CU_ASSERT_EQUAL(got, 0);
			assert_stopped_at(&f, at);
			uiommu_vcmdq_prod_fixup(&f.p, at, &fix);
			uiommu_vcmdq_prod_ack_error(&f.p);
			CU_ASSERT_EQUAL(uiommu_vcmdq_process(f.q, 64), 1);
		}
	}
	/* Every opcode here has reserved bits. */
	CU_ASSERT(rejected > 3);
	fx_teardown(&f);
}

static void
test_backend_failure_at_k(void)
{
	struct uiommu_cmd c[9];
	struct fx f;

	fx_setup(&f, 8);
	for (int i = 0; i < 8; i++)
		c[i] = tlbi_va(1, 0x1000ULL * (uint64_t)i);
	c[8] = sync_cmd(UIOMMU_CMD_SYNC_CS_IRQ, MSI_GPA, 0xabcd);
	push(&f, c, 9);
	/* The 5th entry fails: entries 0..3 applied, CONS at 4. */
	CU_ASSERT_EQUAL(uiommu_mock_fail(UIOMMU_MOCK_INVALIDATE, 5, -EIO), 0);
	CU_ASSERT_EQUAL(uiommu_vcmdq_process(f.q, 64), 4);
	assert_stopped_at(&f, 4);
	CU_ASSERT_EQUAL(ms->inv_total, 4);
	CU_ASSERT_EQUAL(ms->calls[UIOMMU_MOCK_INVALIDATE], 1);
	/* The SYNC did not complete: no MSI. */
	CU_ASSERT_EQUAL(*(uint32_t *)gpa(&f, MSI_GPA), 0);
	/* Acknowledged without a fix: the command is retried and succeeds. */
	uiommu_vcmdq_prod_ack_error(&f.p);
	CU_ASSERT_EQUAL(uiommu_vcmdq_process(f.q, 64), 5);
	CU_ASSERT_EQUAL(ms->inv_total, 8);
	CU_ASSERT_EQUAL(ms->inv[4].first, 0x4000);
	CU_ASSERT_EQUAL(*(uint32_t *)gpa(&f, MSI_GPA), 0xabcd);
	CU_ASSERT_EQUAL(cons_of(&f, NULL), 9);
	fx_teardown(&f);
}

static void
test_backend_failure_before_cfgi(void)
{
	struct uiommu_cmd c[4];
	struct fx f;

	fx_setup(&f, 8);
	write_bypass_ste(&f, 1);
	c[0] = tlbi_va(1, 0x1000);
	c[1] = tlbi_va(1, 0x2000);
	c[2] = with_sid(UIOMMU_CMD_CFGI_STE, 1);
	c[3] = tlbi_va(1, 0x3000);
	push(&f, c, 4);
	/* The batch flushed before the CFGI fails on its 2nd entry. */
	CU_ASSERT_EQUAL(uiommu_mock_fail(UIOMMU_MOCK_INVALIDATE, 2, -EIO), 0);
	CU_ASSERT_EQUAL(uiommu_vcmdq_process(f.q, 64), 1);
	assert_stopped_at(&f, 1);
	/* The CFGI after it was not applied. */
	CU_ASSERT_EQUAL(ms->calls[UIOMMU_MOCK_SET_STE], 0);
	uiommu_vcmdq_prod_ack_error(&f.p);
	CU_ASSERT_EQUAL(uiommu_vcmdq_process(f.q, 64), 3);
	CU_ASSERT_EQUAL(ms->calls[UIOMMU_MOCK_SET_STE], 1);
	/* A set_ste failure that is not a configuration error stops the queue
	 * at the CFGI itself. */
	c[0] = with_sid(UIOMMU_CMD_CFGI_STE, 1);
	c[1] = tlbi_va(1, 0x4000);
	push(&f, c, 2);
	CU_ASSERT_EQUAL(uiommu_mock_fail(UIOMMU_MOCK_SET_STE, 1, -ENOMEM), 0);
	CU_ASSERT_EQUAL(uiommu_vcmdq_process(f.q, 64), 0);
	assert_stopped_at(&f, 4);
	uiommu_vcmdq_prod_ack_error(&f.p);
	CU_ASSERT_EQUAL(uiommu_vcmdq_process(f.q, 64), 2);
	fx_teardown(&f);
}

/* ---- CMD_SYNC -------------------------------------------------------- */

static void
test_sync_msi(void)
{
	struct uiommu_cmd c[5];
	struct uiommu_vcmdq_stats st;
	uint32_t *msi;
	struct fx f;

	fx_setup(&f, 8);
	msi = gpa(&f, MSI_GPA);
	*msi = 0xffffffff;
	c[0] = tlbi_va(1, 0x1000);
	c[1] = sync_cmd(UIOMMU_CMD_SYNC_CS_IRQ, MSI_GPA, 0x12345678);
	/* Just past the end of RAM, just below it, far away: dropped. */
	c[2] = sync_cmd(UIOMMU_CMD_SYNC_CS_IRQ, RAM_GPA + RAM_SIZE, 1);
	c[3] = sync_cmd(UIOMMU_CMD_SYNC_CS_IRQ, RAM_GPA - 4, 1);
	c[4] = sync_cmd(UIOMMU_CMD_SYNC_CS_IRQ, (1ULL << 52) - 4, 1);
	push(&f, c, 5);
	CU_ASSERT_EQUAL(uiommu_vcmdq_process(f.q, 64), 5);
	CU_ASSERT_EQUAL(*msi, 0x12345678);
	/* Nothing written at the region's edges. */
	CU_ASSERT_EQUAL(*(uint32_t *)(void *)(f.ram + RAM_SIZE - 4), 0);
	CU_ASSERT_EQUAL(*(uint32_t *)(void *)f.ram, 0);
	uiommu_vcmdq_stats_get(f.q, &st);
	CU_ASSERT_EQUAL(st.syncs, 4);
	CU_ASSERT_EQUAL(st.msi_writes, 1);
	CU_ASSERT_EQUAL(st.msi_dropped, 3);
	/* MSIADDR pointing at the CMD_SYNC's own slot (Linux MSIPOLL). */
	{
		uint32_t slot = uiommu_vcmdq_prod_index(&f.p) & 0xff;
		uint64_t self = RING_GPA + 16ULL * slot;

		c[0] = sync_cmd(UIOMMU_CMD_SYNC_CS_IRQ, self, 0);
		push(&f, c, 1);
		CU_ASSERT_NOT_EQUAL(*(uint32_t *)gpa(&f, self), 0);
		CU_ASSERT_EQUAL(uiommu_vcmdq_process(f.q, 64), 1);
		CU_ASSERT_EQUAL(*(uint32_t *)gpa(&f, self), 0);
	}
	fx_teardown(&f);
}

/* ---- CFGI_STE -------------------------------------------------------- */

static void
test_cfgi_ste(void)
{
	struct uiommu_vdevice_info info;
	struct uiommu_event ev[4];
	struct uiommu_cmd c[2];
	uint64_t raw[8] = {0}, lost = 0;
	struct fx f;

	fx_setup(&f, 8);
	/* Valid STE: applied. */
	write_bypass_ste(&f, 1);
	c[0] = with_sid(UIOMMU_CMD_CFGI_STE, 1);
	c[1] = sync_cmd(UIOMMU_CMD_SYNC_CS_NONE, 0, 0);
	push(&f, c, 2);
	CU_ASSERT_EQUAL(uiommu_vcmdq_process(f.q, 64), 2);
	CU_ASSERT_EQUAL_FATAL(ms->nr_ste, 1);
	CU_ASSERT_EQUAL(ms->ste[0].vsid, 1);
	CU_ASSERT(!ms->ste[0].blocked);
	CU_ASSERT_EQUAL(ms->ste[0].config, UIOMMU_STE_CFG_BYPASS);
	CU_ASSERT_EQUAL(uiommu_vdevice_info_get(f.dev1, &info), 0);
	CU_ASSERT(!info.blocked);
	CU_ASSERT_EQUAL(info.ste_updates, 1);
	CU_ASSERT_EQUAL(uiommu_viommu_event_read(f.v, ev, 4, &lost), 0);

	/* Invalid STE (reserved Config): device blocked, C_BAD_STE, queue runs. */
	raw[0] = rte_cpu_to_le_64(1 | (1ULL << 1)); /* V=1, Config=0b001 */
	write_ste(&f, 1, raw);
	push(&f, c, 2);
	CU_ASSERT_EQUAL(uiommu_vcmdq_process(f.q, 64), 2);
	CU_ASSERT(!uiommu_vcmdq_prod_error_pending(&f.p, NULL, NULL));
	CU_ASSERT_EQUAL_FATAL(ms->nr_ste, 2);
	CU_ASSERT(ms->ste[1].blocked);
	/* The backend is told the guest's STE is invalid (not just "block"). */
	CU_ASSERT(ms->ste[1].invalid);
	CU_ASSERT_EQUAL(uiommu_vdevice_info_get(f.dev1, &info), 0);
	CU_ASSERT(info.blocked);
	CU_ASSERT_EQUAL(info.ste_bad, 1);
	CU_ASSERT_EQUAL_FATAL(uiommu_viommu_event_read(f.v, ev, 4, &lost), 1);
	CU_ASSERT_EQUAL(ev[0].id, UIOMMU_EVT_C_BAD_STE);
	CU_ASSERT_EQUAL(ev[0].sid, 1);
	CU_ASSERT_EQUAL(rte_le_to_cpu_64(ev[0].raw[0]),
			UIOMMU_EVT_C_BAD_STE | (1ULL << 32));

	/* V=0: the device is disabled (blocked), which is no error. */
	memset(raw, 0, sizeof(raw));
	write_ste(&f, 1, raw);
	push(&f, c, 2);
	CU_ASSERT_EQUAL(uiommu_vcmdq_process(f.q, 64), 2);
	CU_ASSERT(ms->ste[2].blocked);
	CU_ASSERT(ms->ste[2].invalid);   /* C_BAD_STE per transaction */
	CU_ASSERT_EQUAL(uiommu_viommu_event_read(f.v, ev, 4, &lost), 0);

	/* The backend refusing the configuration: blocked + C_BAD_STE. */
	write_bypass_ste(&f, 1);
	CU_ASSERT_EQUAL(uiommu_mock_fail(UIOMMU_MOCK_SET_STE, 1, -EOPNOTSUPP), 0);
	push(&f, c, 2);
	CU_ASSERT_EQUAL(uiommu_vcmdq_process(f.q, 64), 2);
	CU_ASSERT_EQUAL(uiommu_viommu_event_read(f.v, ev, 4, &lost), 1);
	CU_ASSERT_EQUAL(ev[0].id, UIOMMU_EVT_C_BAD_STE);

	/* No stream table: C_BAD_STREAMID. */
	uiommu_viommu_clear_strtab(f.v);
	push(&f, c, 2);
	CU_ASSERT_EQUAL(uiommu_vcmdq_process(f.q, 64), 2);
	CU_ASSERT_EQUAL_FATAL(uiommu_viommu_event_read(f.v, ev, 4, &lost), 1);
	CU_ASSERT_EQUAL(ev[0].id, UIOMMU_EVT_C_BAD_STREAMID);
	CU_ASSERT_EQUAL(lost, 0);
	/* No STE at all: a plain block (NULL), not an invalid guest STE. */
	CU_ASSERT_EQUAL_FATAL(ms->nr_ste, 5);
	CU_ASSERT(ms->ste[4].blocked);
	CU_ASSERT(!ms->ste[4].invalid);
	fx_teardown(&f);
}

/* ---- invalid STEs on a backend that sees transactions (soft) --------- */

#define DMA_RING_IOVA 0x40000000ULL

/*
 * One transaction of vSID 1's soft DMA engine: restart the engine and
 * submit one descriptor; fetching it from an unmapped ring is the
 * transaction the STE decides about. @return the engine's halt error.
 */
static uint32_t
dma_kick(struct fx *f)
{
	struct uiommu_soft_dma_regs *r = f->dregs1;

	__atomic_store_n(&r->ctrl, 0, __ATOMIC_RELEASE);
	(void)uiommu_viommu_poll(f->v, 64);       /* notices the disable */
	r->ring_base = DMA_RING_IOVA;
	r->ring_log2 = 2;
	r->ssid = 0;
	r->cons = 0;
	r->prod = 0;
	__atomic_store_n(&r->ctrl, UIOMMU_SOFT_DMA_CTRL_ENABLE, __ATOMIC_RELEASE);
	(void)uiommu_viommu_poll(f->v, 64);       /* latches the ring */
	__atomic_store_n(&r->prod, 1, __ATOMIC_RELEASE);
	for (unsigned int k = 0; k < 8 && uiommu_viommu_poll(f->v, 64) != 0; k++)
		;
	CU_ASSERT(r->status & UIOMMU_SOFT_DMA_STATUS_HALTED);
	return r->error;
}

/* How many events are queued, and the id of the first (0 if none). */
static unsigned int
events_pop(struct fx *f, uint8_t *id, uint32_t *sid)
{
	struct uiommu_event ev[8];
	uint64_t lost = 0;
	int n = uiommu_viommu_event_read(f->v, ev, RTE_DIM(ev), &lost);

	CU_ASSERT_EQUAL(lost, 0);
	*id = n > 0 ? ev[0].id : 0;
	*sid = n > 0 ? ev[0].sid : 0;
	return n > 0 ? (unsigned int)n : 0;
}

static void
test_invalid_ste_transactions_soft(void)
{
	struct uiommu_viommu_info vi;
	struct uiommu_xlate x;
	struct uiommu_cmd c[2];
	uint64_t raw[8] = {0};
	uint32_t sid;
	uint8_t id;
	struct fx f;

	fx_setup_be(&f, 8, "soft");
	UT_ASSERT_FATAL(f.dregs1 != NULL);
	c[0] = with_sid(UIOMMU_CMD_CFGI_STE, 1);
	c[1] = sync_cmd(UIOMMU_CMD_SYNC_CS_NONE, 0, 0);

	/* Never configured: terminated, no event (as STE.Config = abort). */
	CU_ASSERT_EQUAL(dma_kick(&f), UIOMMU_SOFT_DMA_ERR_FETCH);
	CU_ASSERT_EQUAL(events_pop(&f, &id, &sid), 0);

	/* V = 0: nothing at the CFGI, C_BAD_STE on each transaction. */
	write_ste(&f, 1, raw);
	push(&f, c, 2);
	CU_ASSERT_EQUAL(uiommu_vcmdq_process(f.q, 64), 2);
	CU_ASSERT_EQUAL(events_pop(&f, &id, &sid), 0);
	for (unsigned int k = 0; k < 2; k++) {
		CU_ASSERT_EQUAL(dma_kick(&f), UIOMMU_SOFT_DMA_ERR_FETCH);
		CU_ASSERT_EQUAL(events_pop(&f, &id, &sid), 1);
		CU_ASSERT_EQUAL(id, UIOMMU_EVT_C_BAD_STE);
		CU_ASSERT_EQUAL(sid, 1);
	}
	/* An inspection of that device reports the fault and records none. */
	CU_ASSERT_EQUAL(uiommu_vdevice_translate(f.dev1, DMA_RING_IOVA,
						 UIOMMU_ACCESS_READ, &x), -EFAULT);
	CU_ASSERT_EQUAL(x.fault.id, UIOMMU_EVT_C_BAD_STE);
	CU_ASSERT_EQUAL(events_pop(&f, &id, &sid), 0);

	/* An STE that does not decode: C_BAD_STE at the CFGI, then on each
	 * transaction. */
	raw[0] = rte_cpu_to_le_64(1 | (1ULL << 1)); /* V=1, Config=0b001 */
	write_ste(&f, 1, raw);
	push(&f, c, 2);
	CU_ASSERT_EQUAL(uiommu_vcmdq_process(f.q, 64), 2);
	CU_ASSERT_EQUAL(events_pop(&f, &id, &sid), 1);
	CU_ASSERT_EQUAL(id, UIOMMU_EVT_C_BAD_STE);
	CU_ASSERT_EQUAL(dma_kick(&f), UIOMMU_SOFT_DMA_ERR_FETCH);
	CU_ASSERT_EQUAL(events_pop(&f, &id, &sid), 1);
	CU_ASSERT_EQUAL(id, UIOMMU_EVT_C_BAD_STE);

	/* A valid STE again: the same transaction now translates (bypass, the
	 * ring is guest RAM), no event. */
	write_bypass_ste(&f, 1);
	push(&f, c, 2);
	CU_ASSERT_EQUAL(uiommu_vcmdq_process(f.q, 64), 2);
	CU_ASSERT_EQUAL(uiommu_vdevice_translate(f.dev1, RING_GPA,
						 UIOMMU_ACCESS_READ, &x), 0);
	CU_ASSERT_EQUAL(events_pop(&f, &id, &sid), 0);

	/* Blocked by the manager (no stream table: C_BAD_STREAMID at the
	 * CFGI): its transactions abort without an event. */
	uiommu_viommu_clear_strtab(f.v);
	push(&f, c, 2);
	CU_ASSERT_EQUAL(uiommu_vcmdq_process(f.q, 64), 2);
	CU_ASSERT_EQUAL(events_pop(&f, &id, &sid), 1);
	CU_ASSERT_EQUAL(id, UIOMMU_EVT_C_BAD_STREAMID);
	CU_ASSERT_EQUAL(dma_kick(&f), UIOMMU_SOFT_DMA_ERR_FETCH);
	CU_ASSERT_EQUAL(events_pop(&f, &id, &sid), 0);

	/* The vIOMMU's events counter (STATS): the core's two CFGI events
	 * and the backend's three transaction records; not the probe. */
	CU_ASSERT_EQUAL(uiommu_viommu_info_get(f.v, &vi), 0);
	CU_ASSERT_EQUAL(vi.events, 5);
	CU_ASSERT_EQUAL(vi.events_lost, 0);
	fx_teardown(&f);
}

static void
test_cfgi_all(void)
{
	struct uiommu_cmd_info ci = { .op = UIOMMU_CMD_CFGI_ALL,
				      .range = UIOMMU_CMD_CFGI_RANGE_ALL };
	struct uiommu_cmd c[2];
	struct fx f;

	fx_setup(&f, 8);
	write_bypass_ste(&f, 1);
	write_bypass_ste(&f, 2);
	c[0] = mk(&ci);
	c[1] = sync_cmd(UIOMMU_CMD_SYNC_CS_NONE, 0, 0);
	push(&f, c, 2);
	CU_ASSERT_EQUAL(uiommu_vcmdq_process(f.q, 64), 2);
	CU_ASSERT_EQUAL(ms->calls[UIOMMU_MOCK_SET_STE], 2);
	CU_ASSERT_EQUAL_FATAL(ms->nr_inv, 1);
	CU_ASSERT_EQUAL(ms->inv[0].op, UIOMMU_CMD_CFGI_ALL);
	CU_ASSERT_EQUAL(ms->inv[0].first, 0);
	CU_ASSERT_EQUAL(ms->inv[0].last, UINT32_MAX);
	/* A range of 2 SIDs starting at 2: only vSID 2. */
	ci.range = 0;
	ci.sid = 2;
	c[0] = mk(&ci);
	push(&f, c, 2);
	CU_ASSERT_EQUAL(uiommu_vcmdq_process(f.q, 64), 2);
	CU_ASSERT_EQUAL(ms->calls[UIOMMU_MOCK_SET_STE], 3);
	CU_ASSERT_EQUAL(ms->ste[2].vsid, 2);
	fx_teardown(&f);
}

static void
test_event_ring_overflow(void)
{
	struct uiommu_cmd c[UIOMMU_CORE_EVTQ_ENTRIES + 10];
	struct uiommu_event ev[UIOMMU_CORE_EVTQ_ENTRIES + 10];
	uint64_t raw[8] = {0}, lost = 0;
	struct uiommu_viommu_info info;
	const uint32_t n = UIOMMU_CORE_EVTQ_ENTRIES + 10;
	struct fx f;

	fx_setup(&f, 8);
	raw[0] = rte_cpu_to_le_64(1 | (1ULL << 1));
	write_ste(&f, 2, raw);
	for (uint32_t i = 0; i < n; i++)
		c[i] = with_sid(UIOMMU_CMD_CFGI_STE, 2);
	push(&f, c, n);
	CU_ASSERT_EQUAL(uiommu_vcmdq_process(f.q, 256), n);
	CU_ASSERT_EQUAL(uiommu_viommu_event_read(f.v, ev, n, &lost),
			UIOMMU_CORE_EVTQ_ENTRIES);
	CU_ASSERT_EQUAL(lost, 10);
	CU_ASSERT_EQUAL(uiommu_viommu_info_get(f.v, &info), 0);
	CU_ASSERT_EQUAL(info.events, UIOMMU_CORE_EVTQ_ENTRIES);
	CU_ASSERT_EQUAL(info.events_lost, 10);
	/* Room again. */
	push(&f, c, 1);
	CU_ASSERT_EQUAL(uiommu_vcmdq_process(f.q, 256), 1);
	CU_ASSERT_EQUAL(uiommu_viommu_event_read(f.v, ev, n, &lost), 1);
	CU_ASSERT_EQUAL(lost, 0);
	fx_teardown(&f);
}

/* ---- hostile queue contents ------------------------------------------ */

static void
test_random_garbage(void)
{
	unsigned long long seed = ut_seed();
	const uint32_t log2 = 6, size = 1u << log2;
	struct uiommu_cmd *ring;
	uint64_t applied = 0, ok_cmds = 0;
	struct fx f;
	struct uiommu_cmd_info atc = { .op = UIOMMU_CMD_ATC_INV, .sid = 2,
				       .size = 3, .addr = 0x8000 };
	struct uiommu_cmd valid[8];

	fx_setup(&f, log2);
	write_bypass_ste(&f, 1);
	ring = gpa(&f, RING_GPA);
	valid[0] = tlbi_va(1, 0x1000);
	valid[1] = sync_cmd(UIOMMU_CMD_SYNC_CS_IRQ, MSI_GPA, 7);
	valid[2] = with_sid(UIOMMU_CMD_CFGI_STE, 1);
	valid[3] = mk(&atc);
	valid[4] = op_only(UIOMMU_CMD_TLBI_NSNH_ALL);
	valid[5] = with_sid(UIOMMU_CMD_CFGI_CD, 2);
	valid[6] = sync_cmd(UIOMMU_CMD_SYNC_CS_IRQ, 0x10, 7);
	valid[7] = tlbi_va(2, 0xfffffffff000ULL);
	for (int iter = 0; iter < 20000; iter++) {
		uint64_t r = ut_rand(&seed);
		uint32_t budget = (uint32_t)(ut_rand(&seed) % 80), got;

		/* Random slots: random bytes, a valid command, or a valid
		 * command with one bit flipped. */
		for (int k = 0; k < 8; k++) {
			uint32_t slot = (uint32_t)(ut_rand(&seed) % size);
			uint64_t m = ut_rand(&seed);

			switch (m % 4) {
			case 0:
				ring[slot].dw[0] = ut_rand(&seed);
				ring[slot].dw[1] = ut_rand(&seed);
				break;
			default:
				ring[slot] = valid[(m >> 8) % RTE_DIM(valid)];
				if (m % 4 == 3)
					ring[slot].dw[(m >> 16) & 1] ^=
						1ULL << ((m >> 24) % 64);
				break;
			}
		}
		/* Random PROD (any 32 bits), sometimes sane. */
		if (r & 4)
			__atomic_store_n(&f.regs->prod, (uint32_t)ut_rand(&seed),
					 __ATOMIC_RELEASE);
		else
			__atomic_store_n(&f.regs->prod,
					 (cons_of(&f, NULL) + (uint32_t)(r >> 8) % (size + 1)) &
					 uiommu_vcmdq_ptr_mask(log2), __ATOMIC_RELEASE);
		/* Guest scribbles over registers it does not own. */
		if ((r & 0x70) == 0x10)
			__atomic_store_n(&f.regs->cons, (uint32_t)ut_rand(&seed),
					 __ATOMIC_RELAXED);
		if ((r & 0x380) == 0x80)
			__atomic_store_n(&f.regs->config, (uint32_t)ut_rand(&seed),
					 __ATOMIC_RELEASE);
		got = uiommu_vcmdq_process(f.q, budget);
		CU_ASSERT(got <= budget);
		CU_ASSERT(got <= size);
		ok_cmds += got;
		/* Ack errors at random. */
		if (r & 0x400)
			uiommu_vcmdq_prod_ack_error(&f.p);
		if ((r & 0x1800) == 0x800)
			__atomic_store_n(&f.regs->config, UIOMMU_VCMDQ_CONFIG_EN,
					 __ATOMIC_RELEASE);
	}
	/* Every entry the backend saw carried this vIOMMU's VMID, and only
	 * our devices. */
	for (uint32_t i = 0; i < ms->nr_inv; i++) {
		CU_ASSERT_EQUAL(ms->inv[i].vmid, f.vmid);
		if (ms->inv[i].dev != NULL)
			CU_ASSERT(ms->inv[i].vsid == 1 || ms->inv[i].vsid == 2);
		applied++;
	}
	printf("garbage: %" PRIu64 " commands consumed, %" PRIu64
	       " entries checked\n", ok_cmds, applied);
	fx_teardown(&f);
}

static const struct ut_case cases[] = {
	UT_CASE(test_one_backend_call_per_batch),
	UT_CASE(test_invalid_ste_transactions_soft),
	UT_CASE(test_batch_boundaries),
	UT_CASE(test_batch_never_exceeds_max),
	UT_CASE(test_budget_respected),
	UT_CASE(test_ring_wrap),
	UT_CASE(test_vmid_forced),
	UT_CASE(test_vsid_translated),
	UT_CASE(test_vsid_not_owned),
	UT_CASE(test_illegal_opcodes),
	UT_CASE(test_reserved_bits),
	UT_CASE(test_backend_failure_at_k),
	UT_CASE(test_backend_failure_before_cfgi),
	UT_CASE(test_sync_msi),
	UT_CASE(test_cfgi_ste),
	UT_CASE(test_cfgi_all),
	UT_CASE(test_event_ring_overflow),
	UT_CASE(test_random_garbage),
	UT_END
};

int
main(int argc, char **argv)
{
	return ut_main("core_dispatch", cases, argc, argv);
}
