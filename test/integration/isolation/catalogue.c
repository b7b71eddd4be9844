/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The malformed-input catalogue (doc/hardening.md §3), in process through
 * lib/core: one test per row of the table, each asserting the outcome the
 * guest contract gives, and that nothing leaks to another VM.
 *
 * Queue-level rows run on the "mock" backend, which records every backend
 * call (so "nothing after the bad command was applied" is checkable);
 * configuration, page-table and DMA rows run on the "soft" backend, which
 * walks guest tables and copies memory. Every VM's RAM lies between two
 * PROT_NONE guard pages, and a second VM's RAM holds canaries that are
 * checked after each row: a hostile input of one VM must not touch it.
 *
 * Each test prints how many malformed inputs it tried (the figure of
 * doc/hardening.md).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_log.h>

#include "uiommu_cmd.h"
#include "uiommu_core.h"
#include "uiommu_smmu.h"
#include "uiommu_soft_dma.h"
#include "uiommu_ut.h"
#include "uiommu_vcmdq.h"

#define RAM_SIZE   (1ULL << 20)
#define STRTAB_OFF 0x0
#define STRTAB_LOG2 4
#define RING_OFF   0x10000
#define RING_LOG2  6
#define MSI_OFF    0x20000
#define TABLES_OFF 0x40000   /* guest stage-1 tables, CDs */
#define DATA_OFF   0x80000   /* DMA buffers */
#define CANARY_SEED 0xca7a1065ULL

static unsigned long malformed_total;

/* ---- guarded RAM ------------------------------------------------------ */

struct gram {
	uint8_t *base;
	void *map;
	size_t map_len;
};

static void
gram_init(struct gram *g)
{
	g->map_len = RAM_SIZE + 2 * 4096;
	g->map = mmap(NULL, g->map_len, PROT_NONE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	UT_ASSERT_FATAL(g->map != MAP_FAILED);
	g->base = (uint8_t *)g->map + 4096;
	UT_ASSERT_FATAL(mprotect(g->base, RAM_SIZE, PROT_READ | PROT_WRITE) == 0);
}

static void
gram_fini(struct gram *g)
{
	munmap(g->map, g->map_len);
}

static void
canary_fill(uint8_t *p, size_t len, uint64_t seed)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)((seed >> (i % 8 * 8)) ^ i ^ (i >> 8));
}

static bool
canary_ok(const uint8_t *p, size_t len, uint64_t seed)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != (uint8_t)((seed >> (i % 8 * 8)) ^ i ^ (i >> 8)))
			return false;
	return true;
}

/* ---- one VM ----------------------------------------------------------- */

struct vmf {
	struct gram ram;
	uint64_t gpa;            /* RAM base GPA */
	struct uiommu_vm *vm;
	struct uiommu_viommu *v;
	uint16_t vmid;
	struct uiommu_vcmdq *q;
	struct uiommu_vcmdq_prod p;
	struct uiommu_vcmdq_regs *regs;
	uint32_t log2;
	uint32_t vsid[2];
	struct uiommu_vdevice *dev[2];
	struct uiommu_soft_dma_regs *dregs[2];
};

static void *
g(struct vmf *f, uint64_t gpa)
{
	return f->ram.base + (gpa - f->gpa);
}

/*
 * VM @p name at @p gpa with 1 MiB RAM, a vIOMMU of @p backend, vSIDs
 * vsid0 and vsid0 + 1 (devices "mock:N"/"soft:dmaN" from @p devn), a
 * stream table and one enabled queue of 2^log2 entries.
 */
static void
vm_up(struct vmf *f, const char *name, uint64_t gpa, const char *backend,
      const char *args, uint32_t vsid0, unsigned int devn, uint32_t log2)
{
	bool soft = strcmp(backend, "soft") == 0;
	uint64_t off;

	memset(f, 0, sizeof(*f));
	gram_init(&f->ram);
	f->gpa = gpa;
	f->log2 = log2;
	UT_ASSERT_FATAL(uiommu_vm_create(name, &f->vm) == 0);
	UT_ASSERT_FATAL(uiommu_vm_mem_add_hva(f->vm, gpa, RAM_SIZE,
					      f->ram.base) == 0);
	UT_ASSERT_FATAL(uiommu_viommu_create(f->vm, backend, args, &f->v) == 0);
	f->vmid = uiommu_viommu_vmid(f->v);
	UT_ASSERT_FATAL(uiommu_viommu_set_strtab(f->v, gpa + STRTAB_OFF,
						 STRTAB_LOG2) == 0);
	for (unsigned int i = 0; i < 2; i++) {
		struct uiommu_vdevice_info info;
		char spec[32];

		f->vsid[i] = vsid0 + i;
		snprintf(spec, sizeof(spec), soft ? "soft:dma%u" : "mock:%u",
			 devn + i);
		UT_ASSERT_FATAL(uiommu_vdevice_add(f->v, f->vsid[i], spec, &info,
						   &f->dev[i]) == 0);
		if (info.has_regs)
			f->dregs[i] = (struct uiommu_soft_dma_regs *)(void *)
				((uint8_t *)uiommu_viommu_ctrl_base(f->v) +
				 info.regs_offset);
	}
	UT_ASSERT_FATAL(uiommu_vcmdq_create(f->v, 0, log2, gpa + RING_OFF, &f->q,
					    &off) == 0);
	f->regs = (struct uiommu_vcmdq_regs *)(void *)
		  ((uint8_t *)uiommu_viommu_ctrl_base(f->v) + off);
	UT_ASSERT_FATAL(uiommu_vcmdq_prod_init(&f->p, g(f, gpa + RING_OFF), log2,
					       f->regs) == 0);
	UT_ASSERT_FATAL(uiommu_vcmdq_prod_enable(&f->p, 0) == 0);
	(void)uiommu_vcmdq_process(f->q, 0);
	UT_ASSERT_FATAL(uiommu_vcmdq_prod_enabled(&f->p));
}

static void
vm_down(struct vmf *f)
{
	uiommu_vm_destroy(f->vm);
	gram_fini(&f->ram);
}

static struct uiommu_cmd
enc(const struct uiommu_cmd_info *ci)
{
	struct uiommu_cmd c;

	UT_ASSERT_FATAL(uiommu_cmd_encode(ci, &c) == 0);
	return c;
}

static struct uiommu_cmd
op_cmd(uint8_t op)
{
	struct uiommu_cmd_info ci = { .op = op };

	return enc(&ci);
}

static struct uiommu_cmd
sid_cmd(uint8_t op, uint32_t sid)
{
	struct uiommu_cmd_info ci = { .op = op, .sid = sid };

	return enc(&ci);
}

static struct uiommu_cmd
sync_irq(uint64_t msiaddr, uint32_t data)
{
	struct uiommu_cmd_info ci = {
		.op = UIOMMU_CMD_SYNC, .cs = UIOMMU_CMD_SYNC_CS_IRQ,
		.msiaddr = msiaddr, .msidata = data,
	};

	return enc(&ci);
}

static void
push(struct vmf *f, const struct uiommu_cmd *c, uint32_t n)
{
	UT_ASSERT_FATAL(uiommu_vcmdq_prod_write(&f->p, c, n) == n);
	uiommu_vcmdq_prod_publish(&f->p);
}

static uint32_t
cons_err(struct vmf *f, uint32_t *err)
{
	uint32_t c = __atomic_load_n(&f->regs->cons, __ATOMIC_ACQUIRE);

	*err = (c & UIOMMU_VCMDQ_CONS_ERR_MASK) >> UIOMMU_VCMDQ_CONS_ERR_SHIFT;
	return c & uiommu_vcmdq_ptr_mask(f->log2);
}

static struct uiommu_vcmdq_stats
stats(struct vmf *f)
{
	struct uiommu_vcmdq_stats st;

	uiommu_vcmdq_stats_get(f->q, &st);
	return st;
}

/*
 * Queue [TLBI_NH_ALL, bad, TLBI_NH_ALL]; the queue must stop exactly at
 * the bad command with CERROR_ILL, after applying only the first command;
 * then the guest replaces the slot by a CMD_SYNC, acknowledges, and the
 * rest completes. @return true when all of that held.
 */
static bool
expect_illegal(struct vmf *f, struct uiommu_cmd bad)
{
	const struct uiommu_mock_state *ms = uiommu_mock_state();
	struct uiommu_cmd c[3] = { op_cmd(UIOMMU_CMD_TLBI_NH_ALL), bad,
				   op_cmd(UIOMMU_CMD_TLBI_NH_ALL) };
	uint32_t start = uiommu_vcmdq_prod_index(&f->p), err, cons, at;
	uint64_t inv0 = ms->inv_total, errs0 = stats(f).errors;
	struct uiommu_cmd fix = { { UIOMMU_CMD_SYNC, 0 } };
	bool ok = true;

	push(f, c, 3);
	ok &= uiommu_vcmdq_process(f->q, 64) == 1;
	cons = cons_err(f, &err);
	at = (start + 1) & uiommu_vcmdq_ptr_mask(f->log2);
	ok &= cons == at && err == UIOMMU_CERROR_ILL;
	ok &= (f->regs->gerror ^ f->regs->gerrorn) == UIOMMU_VCMDQ_GERROR_CMDQ_ERR;
	ok &= stats(f).errors == errs0 + 1;
	ok &= ms->inv_total == inv0 + 1;       /* only the command before */
	/* Stopped: nothing more until acknowledged, whatever the budget. */
	ok &= uiommu_vcmdq_process(f->q, 64) == 0;
	uiommu_vcmdq_prod_fixup(&f->p, at, &fix);
	uiommu_vcmdq_prod_ack_error(&f->p);
	ok &= uiommu_vcmdq_process(f->q, 64) == 2;
	ok &= cons_err(f, &err) == uiommu_vcmdq_prod_index(&f->p) && err == 0;
	ok &= ms->inv_total == inv0 + 2;
	malformed_total++;
	return ok;
}

/* ---- rows: commands --------------------------------------------------- */

/* Unknown opcodes and opcodes a guest may not use (EL2, stage 2, PRI). */
static void
test_illegal_opcodes(void)
{
	static const uint8_t unknown[] = { 0x00, 0x02, 0x07, 0x0f, 0x14, 0x2b,
					   0x31, 0x45, 0x47, 0x80, 0xff };
	struct uiommu_cmd_info pri = { .op = UIOMMU_CMD_PRI_RESP, .sid = 1 };
	struct uiommu_cmd_info res = { .op = UIOMMU_CMD_RESUME, .sid = 1 };
	struct uiommu_cmd_info s2 = { .op = UIOMMU_CMD_TLBI_S2_IPA,
				      .addr = 0x1000 };
	struct vmf f;
	unsigned int n = 0;

	uiommu_mock_reset();
	vm_up(&f, "cat-ops", 0x100000, "mock", NULL, 1, 0, RING_LOG2);
	for (unsigned int i = 0; i < RTE_DIM(unknown); i++, n++) {
		struct uiommu_cmd c = { { unknown[i], 0 } };

		CU_ASSERT(expect_illegal(&f, c));
	}
	CU_ASSERT(expect_illegal(&f, op_cmd(UIOMMU_CMD_TLBI_EL2_ALL)));
	CU_ASSERT(expect_illegal(&f, op_cmd(UIOMMU_CMD_TLBI_EL2_ASID)));
	CU_ASSERT(expect_illegal(&f, op_cmd(UIOMMU_CMD_TLBI_EL2_VA)));
	CU_ASSERT(expect_illegal(&f, op_cmd(UIOMMU_CMD_TLBI_S12_VMALL)));
	CU_ASSERT(expect_illegal(&f, enc(&s2)));
	CU_ASSERT(expect_illegal(&f, enc(&pri)));
	CU_ASSERT(expect_illegal(&f, enc(&res)));
	n += 7;
	vm_down(&f);
	printf("illegal opcodes: %u malformed commands\n", n);
}

/* RES0 masks of the allowed opcodes, from doc/guest-contract.md §4.2. */
#define B(hi, lo) ((~0ULL >> (63 - (hi))) & ~((1ULL << (lo)) - 1))
static const struct {
	uint8_t op;
	uint64_t dw0, dw1;       /* field bits (the opcode byte included) */
} fields[] = {
	{ UIOMMU_CMD_PREFETCH_CFG, B(63, 32) | B(7, 0), 0 },
	{ UIOMMU_CMD_CFGI_STE, B(63, 32) | B(7, 0), B(0, 0) },
	{ UIOMMU_CMD_CFGI_ALL, B(63, 32) | B(7, 0), B(4, 0) },
	{ UIOMMU_CMD_CFGI_CD, B(63, 12) | B(7, 0), B(0, 0) },
	{ UIOMMU_CMD_CFGI_CD_ALL, B(63, 32) | B(7, 0), 0 },
	{ UIOMMU_CMD_TLBI_NH_ALL, B(47, 32) | B(7, 0), 0 },
	{ UIOMMU_CMD_TLBI_NH_ASID, B(63, 32) | B(7, 0), 0 },
	{ UIOMMU_CMD_TLBI_NH_VA, B(63, 32) | B(24, 20) | B(16, 12) | B(7, 0),
	  B(63, 8) | B(0, 0) },
	{ UIOMMU_CMD_TLBI_NH_VAA, B(47, 32) | B(24, 20) | B(16, 12) | B(7, 0),
	  B(63, 8) | B(0, 0) },
	{ UIOMMU_CMD_TLBI_NSNH_ALL, B(7, 0), 0 },
	{ UIOMMU_CMD_ATC_INV, B(63, 32) | B(31, 12) | B(11, 11) | B(9, 9) |
	  B(7, 0), B(63, 12) | B(5, 0) },
	{ UIOMMU_CMD_SYNC, B(63, 32) | B(27, 22) | B(13, 12) | B(7, 0),
	  B(51, 2) },
};

/* Every reserved bit of every allowed command, one at a time; CS = 3. */
static void
test_reserved_bits(void)
{
	struct uiommu_cmd_info cs3 = { .op = UIOMMU_CMD_SYNC };
	struct uiommu_cmd c;
	unsigned int n = 0, bad = 0;
	struct vmf f;

	uiommu_mock_reset();
	vm_up(&f, "cat-res0", 0x100000, "mock", NULL, 1, 0, RING_LOG2);
	for (unsigned int i = 0; i < RTE_DIM(fields); i++) {
		for (unsigned int bit = 0; bit < 128; bit++) {
			const uint64_t m = bit < 64 ? fields[i].dw0 : fields[i].dw1;

			if (m & (1ULL << (bit % 64)))
				continue;
			/* vSID 1 is the VM's, so only the bit is wrong. */
			c = sid_cmd(UIOMMU_CMD_PREFETCH_CFG, 1);
			c.dw[0] = (c.dw[0] & ~0xffULL) | fields[i].op;
			if (!(fields[i].dw0 & B(63, 32)))
				c.dw[0] &= 0xffffffffULL;
			c.dw[bit / 64] |= 1ULL << (bit % 64);
			if (!expect_illegal(&f, c)) {
				bad++;
				printf("op %#x bit %u accepted\n", fields[i].op, bit);
			}
			n++;
		}
	}
	c = enc(&cs3);
	c.dw[0] |= 3ULL << 12;          /* CS = 3 is reserved */
	CU_ASSERT(expect_illegal(&f, c));
	n++;
	CU_ASSERT_EQUAL(bad, 0);
	vm_down(&f);
	printf("reserved bits and encodings: %u malformed commands\n", n);
}

/* vSIDs the VM does not own, including another VM's. */
static void
test_foreign_vsid(void)
{
	const struct uiommu_mock_state *ms = uiommu_mock_state();
	static const uint8_t sid_ops[] = {
		UIOMMU_CMD_ATC_INV, UIOMMU_CMD_CFGI_STE, UIOMMU_CMD_CFGI_CD,
		UIOMMU_CMD_CFGI_CD_ALL, UIOMMU_CMD_PREFETCH_CFG,
	};
	struct uiommu_cmd_info ci;
	struct uiommu_cmd c[2];
	struct vmf a, b;
	unsigned int n = 0;

	uiommu_mock_reset();
	vm_up(&a, "cat-va", 0x100000, "mock", NULL, 1, 0, RING_LOG2);
	vm_up(&b, "cat-vb", 0x100000, "mock", NULL, 7, 2, RING_LOG2);
	for (unsigned int i = 0; i < RTE_DIM(sid_ops); i++) {
		const uint32_t sids[] = { b.vsid[0], b.vsid[1], 3, 0xffffffffu };

		for (unsigned int k = 0; k < RTE_DIM(sids); k++, n++) {
			CU_ASSERT(expect_illegal(&a, sid_cmd(sid_ops[i], sids[k])));
			/* No entry of A ever carried one of B's devices. */
			for (uint32_t e = 0; e < ms->nr_inv; e++)
				CU_ASSERT(ms->inv[e].vmid == a.vmid);
		}
	}
	/* B is untouched: its own vSID works on its own queue. */
	ci = (struct uiommu_cmd_info){ .op = UIOMMU_CMD_ATC_INV, .sid = 7 };
	c[0] = enc(&ci);
	c[1] = op_cmd(UIOMMU_CMD_SYNC);
	push(&b, c, 2);
	CU_ASSERT_EQUAL(uiommu_vcmdq_process(b.q, 64), 2);
	CU_ASSERT_EQUAL(stats(&b).errors, 0);
	CU_ASSERT_EQUAL(ms->inv[ms->nr_inv - 1].vmid, b.vmid);
	vm_down(&a);
	vm_down(&b);
	printf("foreign vSIDs: %u malformed commands\n", n);
}

/* Regression: TLBI_NSNH_ALL reaches the backend as TLBI_NH_ALL of the
 * vIOMMU's VMID, in the decoded entry and in the raw words handed to
 * pass-through backends (it used to keep the guest's NSNH_ALL there). */
static void
test_nsnh_all_scoped_to_vmid(void)
{
	const struct uiommu_mock_state *ms = uiommu_mock_state();
	struct uiommu_cmd c = op_cmd(UIOMMU_CMD_TLBI_NSNH_ALL), raw;
	struct uiommu_cmd_info d;
	struct vmf f;

	uiommu_mock_reset();
	vm_up(&f, "cat-nsnh", 0x100000, "mock", NULL, 1, 0, RING_LOG2);
	push(&f, &c, 1);
	CU_ASSERT_EQUAL(uiommu_vcmdq_process(f.q, 64), 1);
	CU_ASSERT_EQUAL_FATAL(ms->nr_inv, 1);
	CU_ASSERT_EQUAL(ms->inv[0].op, UIOMMU_CMD_TLBI_NH_ALL);
	CU_ASSERT_EQUAL(ms->inv[0].vmid, f.vmid);
	raw.dw[0] = ms->inv[0].raw[0];
	raw.dw[1] = ms->inv[0].raw[1];
	CU_ASSERT_EQUAL_FATAL(uiommu_cmd_decode(&raw, &d), 0);
	CU_ASSERT_EQUAL(d.op, UIOMMU_CMD_TLBI_NH_ALL);
	CU_ASSERT_EQUAL(d.vmid, f.vmid);
	vm_down(&f);
}

/* ---- rows: indices ---------------------------------------------------- */

/* PROD behind CONS, beyond the ring, with high bits; wrap-bit games. */
static void
test_prod_games(void)
{
	const uint32_t size = 1u << RING_LOG2, wrap = size;
	struct uiommu_cmd fill[1u << RING_LOG2];
	struct vmf f;
	uint32_t err, n = 0;

	uiommu_mock_reset();
	vm_up(&f, "cat-prod", 0x100000, "mock", NULL, 1, 0, RING_LOG2);
	for (uint32_t i = 0; i < size; i++)
		fill[i] = op_cmd(UIOMMU_CMD_TLBI_NH_ALL);
	/* Every slot holds a legal command, so stale slots are legal too. */
	memcpy(g(&f, f.gpa + RING_OFF), fill, sizeof(fill));
	/* Five consumed: CONS = 5. */
	push(&f, fill, 5);
	CU_ASSERT_EQUAL(uiommu_vcmdq_process(f.q, 64), 5);

	/* PROD behind CONS: nothing, counted, not an error. */
	__atomic_store_n(&f.regs->prod, 3, __ATOMIC_RELEASE);
	CU_ASSERT_EQUAL(uiommu_vcmdq_process(f.q, 1000), 0);
	CU_ASSERT_EQUAL(stats(&f).bad_prod, 1);
	CU_ASSERT_EQUAL(stats(&f).errors, 0);
	n++;
	/* PROD one beyond a full ring: nothing either. */
	__atomic_store_n(&f.regs->prod, (5 + size + 1) & (2 * size - 1),
			 __ATOMIC_RELEASE);
	CU_ASSERT_EQUAL(uiommu_vcmdq_process(f.q, 1000), 0);
	CU_ASSERT_EQUAL(stats(&f).bad_prod, 2);
	n++;
	/* Bits above the wrap bit are ignored: 0xffff0000 | 7 is PROD 7. */
	__atomic_store_n(&f.regs->prod, 0xffff0000u | 7, __ATOMIC_RELEASE);
	CU_ASSERT_EQUAL(uiommu_vcmdq_process(f.q, 1000), 2);
	n++;
	/* The guest writes CONS while enabled: ignored by the manager. */
	__atomic_store_n(&f.regs->cons, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&f.regs->prod, 9, __ATOMIC_RELEASE);
	CU_ASSERT_EQUAL(uiommu_vcmdq_process(f.q, 1000), 2);
	CU_ASSERT_EQUAL(cons_err(&f, &err), 9);
	n++;
	/* Wrap toggled at the same index: a full ring, never more than it,
	 * whatever the budget (stale but legal contents are re-judged). */
	__atomic_store_n(&f.regs->prod, 9 | wrap, __ATOMIC_RELEASE);
	CU_ASSERT_EQUAL(uiommu_vcmdq_process(f.q, 100000), size);
	CU_ASSERT_EQUAL(cons_err(&f, &err), 9 | wrap);
	n++;
	/* A budget below the ring consumes the budget, then the rest. */
	__atomic_store_n(&f.regs->prod, 9, __ATOMIC_RELEASE);
	CU_ASSERT_EQUAL(uiommu_vcmdq_process(f.q, 10), 10);
	CU_ASSERT_EQUAL(uiommu_vcmdq_process(f.q, 100000), size - 10);
	CU_ASSERT_EQUAL(stats(&f).errors, 0);
	/* Disabled: PROD is not even read. */
	__atomic_store_n(&f.regs->config, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&f.regs->prod, 20, __ATOMIC_RELEASE);
	CU_ASSERT_EQUAL(uiommu_vcmdq_process(f.q, 64), 0);
	CU_ASSERT_EQUAL(f.regs->status, 0);
	n++;
	vm_down(&f);
	malformed_total += n;
	printf("PROD/CONS games: %u malformed index values\n", n);
}

/* A stopped queue stays stopped across CONFIG toggles until GERRORN. */
static void
test_stopped_until_gerrorn(void)
{
	struct uiommu_cmd c[2] = { { { 0xff, 0 } },
				   op_cmd(UIOMMU_CMD_TLBI_NH_ALL) };
	struct uiommu_cmd fix = op_cmd(UIOMMU_CMD_SYNC);
	struct vmf f;
	uint32_t err;

	uiommu_mock_reset();
	vm_up(&f, "cat-stop", 0x100000, "mock", NULL, 1, 0, RING_LOG2);
	push(&f, c, 2);
	CU_ASSERT_EQUAL(uiommu_vcmdq_process(f.q, 64), 0);
	CU_ASSERT_EQUAL(cons_err(&f, &err), 0);
	CU_ASSERT_EQUAL(err, UIOMMU_CERROR_ILL);
	/* Disable and re-enable: still stopped. */
	CU_ASSERT_EQUAL(uiommu_vcmdq_prod_disable(&f.p, 0), 0);
	(void)uiommu_vcmdq_process(f.q, 64);
	__atomic_store_n(&f.regs->config, UIOMMU_VCMDQ_CONFIG_EN, __ATOMIC_RELEASE);
	CU_ASSERT_EQUAL(uiommu_vcmdq_process(f.q, 64), 0);
	CU_ASSERT_EQUAL(f.regs->status, UIOMMU_VCMDQ_STATUS_ENABLE_OK);
	/* A second bad command cannot toggle GERROR again before the ack. */
	CU_ASSERT_EQUAL(f.regs->gerror, UIOMMU_VCMDQ_GERROR_CMDQ_ERR);
	uiommu_vcmdq_prod_fixup(&f.p, 0, &fix);
	uiommu_vcmdq_prod_ack_error(&f.p);
	CU_ASSERT_EQUAL(uiommu_vcmdq_process(f.q, 64), 2);
	CU_ASSERT_EQUAL(stats(&f).errors, 1);
	vm_down(&f);
	malformed_total += 2;
}

/* CMD_SYNC MSI targets outside RAM (and inside another VM's) are dropped. */
static void
test_msi_outside_ram(void)
{
	struct vmf a, b;
	const uint64_t bad[] = {
		0x100000 + RAM_SIZE,          /* one past A's RAM */
		0x100000 - 4,                 /* just below it */
		0x900000 + MSI_OFF,           /* B's MSI word: not A's RAM */
		0x000ffffffffffffcULL,        /* top of the field */
		0,
	};
	struct uiommu_cmd c;
	unsigned int n = 0;

	uiommu_mock_reset();
	vm_up(&a, "cat-msia", 0x100000, "mock", NULL, 1, 0, RING_LOG2);
	vm_up(&b, "cat-msib", 0x900000, "mock", NULL, 1, 2, RING_LOG2);
	canary_fill(b.ram.base, RAM_SIZE, CANARY_SEED);
	for (unsigned int i = 0; i < RTE_DIM(bad); i++, n++) {
		uint64_t drop0 = stats(&a).msi_dropped;

		c = sync_irq(bad[i], 0xdeadbeef);
		push(&a, &c, 1);
		CU_ASSERT_EQUAL(uiommu_vcmdq_process(a.q, 64), 1);
		CU_ASSERT_EQUAL(stats(&a).msi_dropped, drop0 + 1);
	}
	CU_ASSERT(canary_ok(b.ram.base, RAM_SIZE, CANARY_SEED));
	/* The last word of RAM and the CMD_SYNC's own slot (MSI polling). */
	c = sync_irq(0x100000 + RAM_SIZE - 4, 0x1234);
	push(&a, &c, 1);
	CU_ASSERT_EQUAL(uiommu_vcmdq_process(a.q, 64), 1);
	CU_ASSERT_EQUAL(*(uint32_t *)g(&a, 0x100000 + RAM_SIZE - 4), 0x1234);
	{
		uint32_t slot = uiommu_vcmdq_prod_index(&a.p) &
				((1u << RING_LOG2) - 1);
		uint64_t at = 0x100000 + RING_OFF + 16ULL * slot;

		c = sync_irq(at, 0);
		push(&a, &c, 1);
		CU_ASSERT_EQUAL(uiommu_vcmdq_process(a.q, 64), 1);
		CU_ASSERT_EQUAL(*(uint32_t *)g(&a, at), 0);
	}
	CU_ASSERT_EQUAL(stats(&a).msi_writes, 2);
	CU_ASSERT_EQUAL(stats(&a).errors, 0);
	vm_down(&a);
	vm_down(&b);
	malformed_total += n;
	printf("MSI outside RAM: %u malformed addresses\n", n);
}

/* ---- rows: client set-up ---------------------------------------------- */

/* Stream table and ring pointers outside RAM, across regions, wrapping. */
static void
test_pointers_outside_ram(void)
{
	struct uiommu_vcmdq *q = NULL;
	struct gram second;
	struct vmf f;
	unsigned int n = 0;
	const uint64_t end = 0x100000 + RAM_SIZE;

	uiommu_mock_reset();
	vm_up(&f, "cat-ptr", 0x100000, "mock", NULL, 1, 0, RING_LOG2);
	/* A second region right after the first: still two regions. */
	gram_init(&second);
	CU_ASSERT_EQUAL(uiommu_vm_mem_add_hva(f.vm, end, RAM_SIZE,
					      second.base), 0);
	/* Stream table. */
	CU_ASSERT_EQUAL(uiommu_viommu_set_strtab(f.v, 0x10000000, 4), -EFAULT);
	CU_ASSERT_EQUAL(uiommu_viommu_set_strtab(f.v, end - 64 * 8, 4), -EFAULT);
	CU_ASSERT_EQUAL(uiommu_viommu_set_strtab(f.v, 0x100000 - 64, 4), -EFAULT);
	CU_ASSERT_EQUAL(uiommu_viommu_set_strtab(f.v, 0xffffffffffffffc0ULL, 4),
			-EOVERFLOW);
	CU_ASSERT_EQUAL(uiommu_viommu_set_strtab(f.v, 0x100000 + 8, 4), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_viommu_set_strtab(f.v, 0x100000, 17), -EINVAL);
	/* Too small for the bound vSIDs 1 and 2. */
	CU_ASSERT_EQUAL(uiommu_viommu_set_strtab(f.v, 0x100000, 0), -EINVAL);
	n += 7;
	/* vCMDQ ring. */
	CU_ASSERT_EQUAL(uiommu_vcmdq_create(f.v, 1, 8, 0x10000000, &q, NULL),
			-EFAULT);
	CU_ASSERT_EQUAL(uiommu_vcmdq_create(f.v, 1, 8, end - 0x800, &q, NULL),
			-EINVAL);             /* misaligned for 4 KiB */
	CU_ASSERT_EQUAL(uiommu_vcmdq_create(f.v, 1, 16, 0, &q, NULL),
			-EFAULT);             /* 1 MiB below RAM */
	CU_ASSERT_EQUAL(uiommu_vcmdq_create(f.v, 1, 19, 0xffffffffff800000ULL,
					    &q, NULL), -EFAULT);
	CU_ASSERT_EQUAL(uiommu_vcmdq_create(f.v, 128, 8, 0x100000, &q, NULL),
			-EINVAL);
	CU_ASSERT_EQUAL(uiommu_vcmdq_create(f.v, 1, 20, 0x100000, &q, NULL),
			-EINVAL);
	CU_ASSERT_EQUAL(uiommu_vcmdq_create(f.v, 0, 8, 0x100000 + 0x30000, &q,
					    NULL), -EEXIST);
	n += 7;
	/* Regions in use cannot go; a region that is not one cannot either. */
	CU_ASSERT_EQUAL(uiommu_vm_mem_del(f.vm, 0x100000, RAM_SIZE), -EBUSY);
	CU_ASSERT_EQUAL(uiommu_vm_mem_del(f.vm, end, 4096), -ENOENT);
	CU_ASSERT_EQUAL(uiommu_vm_mem_del(f.vm, end, RAM_SIZE), 0);
	n += 2;
	/* Overlapping, misaligned, wrapping RAM. */
	CU_ASSERT_EQUAL(uiommu_vm_mem_add_hva(f.vm, 0x100000 + 4096, 4096,
					      second.base), -EEXIST);
	CU_ASSERT_EQUAL(uiommu_vm_mem_add_hva(f.vm, end + 1, 4096, second.base),
			-EINVAL);
	CU_ASSERT_EQUAL(uiommu_vm_mem_add_hva(f.vm, 0xfffffffffffff000ULL, 8192,
					      second.base), -EOVERFLOW);
	CU_ASSERT_EQUAL(uiommu_vm_mem_add_hva(f.vm, end, 0, second.base), -EINVAL);
	n += 4;
	vm_down(&f);
	gram_fini(&second);
	malformed_total += n;
	printf("pointers outside RAM: %u malformed set-up calls\n", n);
}

/* File descriptors of the wrong kind for RAM. */
static void
test_mem_fd_wrong_kind(void)
{
	struct uiommu_vm *vm;
	int p[2], sv[2], dir, small;
	unsigned int n = 0;

	UT_ASSERT_FATAL(uiommu_vm_create("cat-fd", &vm) == 0);
	UT_ASSERT_FATAL(pipe(p) == 0);
	UT_ASSERT_FATAL(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	dir = open("/", O_RDONLY | O_DIRECTORY);
	small = memfd_create("cat-small", 0);
	UT_ASSERT_FATAL(dir >= 0 && small >= 0);
	UT_ASSERT_FATAL(ftruncate(small, 4096) == 0);
	CU_ASSERT_EQUAL(uiommu_vm_mem_add(vm, 0, 4096, p[0], 0), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_vm_mem_add(vm, 0, 4096, sv[0], 0), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_vm_mem_add(vm, 0, 4096, dir, 0), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_vm_mem_add(vm, 0, 8192, small, 0), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_vm_mem_add(vm, 0, 4096, small, 4096), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_vm_mem_add(vm, 0, 4096, -1, 0), -EBADF);
	CU_ASSERT_EQUAL(uiommu_vm_mem_add(vm, 0, 4096, 100000, 0), -EBADF);
	n += 7;
	/* Nothing was registered, and the caller keeps its fds. */
	{
		struct uiommu_vm_info info;

		CU_ASSERT_EQUAL(uiommu_vm_info_get(vm, &info), 0);
		CU_ASSERT_EQUAL(info.nr_regions, 0);
	}
	CU_ASSERT_EQUAL(uiommu_vm_mem_add(vm, 0, 4096, small, 0), 0);
	uiommu_vm_destroy(vm);
	CU_ASSERT_EQUAL(fcntl(small, F_GETFD), 0);
	close(p[0]);
	close(p[1]);
	close(sv[0]);
	close(sv[1]);
	close(dir);
	close(small);
	malformed_total += n;
}

/* ---- rows: configuration and tables (soft backend) -------------------- */

static void
cfgi(struct vmf *f, uint32_t vsid)
{
	struct uiommu_cmd c[2] = { sid_cmd(UIOMMU_CMD_CFGI_STE, vsid),
				   op_cmd(UIOMMU_CMD_SYNC) };

	push(f, c, 2);
	/* A guest configuration error is never a command error. */
	CU_ASSERT_EQUAL(uiommu_vcmdq_process(f->q, 64), 2);
	CU_ASSERT_EQUAL(stats(f).errors, 0);
}

static void
put_ste(struct vmf *f, uint32_t vsid, const uint64_t raw[8])
{
	memcpy(g(f, f->gpa + STRTAB_OFF + 64ULL * vsid), raw, 64);
}

static void
put_ste_s1(struct vmf *f, uint32_t vsid, uint64_t cd_gpa)
{
	struct uiommu_ste_info ste = { .valid = 1, .config = UIOMMU_STE_CFG_S1,
				       .s1ctxptr = cd_gpa };
	uint64_t raw[8];

	uiommu_ste_encode(&ste, raw);
	put_ste(f, vsid, raw);
}

static void
put_cd(struct vmf *f, uint64_t cd_gpa, uint8_t t0sz, uint8_t tg0,
       uint64_t ttb0)
{
	struct uiommu_cd_info cd = {
		.valid = 1, .t0sz = t0sz, .tg0 = tg0, .ips = 5, .aa64 = 1,
		.epd1 = 1, .asid = 1, .ttb0 = ttb0,
	};
	uint64_t raw[8];

	uiommu_cd_encode(&cd, raw);
	memcpy(g(f, cd_gpa), raw, 64);
}

static void
put_pte(struct vmf *f, uint64_t gpa, uint64_t v)
{
	memcpy(g(f, gpa), &v, 8);
}

/* Pop every event; @return how many had @p id for @p vsid. */
static unsigned int
events_of(struct vmf *f, uint8_t id, uint32_t vsid)
{
	struct uiommu_event ev[64];
	unsigned int n, hits = 0;

	n = uiommu_viommu_event_read(f->v, ev, RTE_DIM(ev), NULL);
	for (unsigned int i = 0; i < n; i++) {
		CU_ASSERT(ev[i].sid == f->vsid[0] || ev[i].sid == f->vsid[1]);
		if (ev[i].id == id && ev[i].sid == vsid)
			hits++;
	}
	return hits;
}

/* Translate; a success must land in this VM's RAM. @return rc and id. */
static int
xlate(struct vmf *f, unsigned int d, uint64_t iova, uint8_t *id)
{
	struct uiommu_xlate x;
	int rc = uiommu_vdevice_translate(f->dev[d], iova, UIOMMU_ACCESS_READ, &x);

	*id = rc == -EFAULT ? x.fault.id : 0;
	if (rc == 0) {
		CU_ASSERT(x.hva >= (uintptr_t)f->ram.base &&
			  x.hva - (uintptr_t)f->ram.base < RAM_SIZE);
	}
	return rc;
}

/* STEs that do not decode, and vSIDs without a stream table. */
static void
test_bad_ste(void)
{
	uint64_t raw[8] = { 0 };
	struct vmf f;
	uint8_t id;
	unsigned int n = 0;

	vm_up(&f, "cat-ste", 0x100000, "soft", NULL, 1, 0, RING_LOG2);
	/* Reserved Config 0b001, reserved bits, S1CDMax above the limit. */
	raw[0] = 1 | (1ULL << 1);
	put_ste(&f, 1, raw);
	cfgi(&f, 1);
	CU_ASSERT_EQUAL(events_of(&f, UIOMMU_EVT_C_BAD_STE, 1), 1);
	CU_ASSERT_EQUAL(xlate(&f, 0, 0x1000, &id), -EFAULT);
	raw[0] = 1 | (5ULL << 1) | (1ULL << 55);
	put_ste(&f, 1, raw);
	cfgi(&f, 1);
	CU_ASSERT_EQUAL(events_of(&f, UIOMMU_EVT_C_BAD_STE, 1), 1);
	raw[0] = 1 | (5ULL << 1) | (31ULL << 59);
	put_ste(&f, 1, raw);
	cfgi(&f, 1);
	CU_ASSERT_EQUAL(events_of(&f, UIOMMU_EVT_C_BAD_STE, 1), 1);
	/* Stage 2 belongs to the host: a guest STE asking for it. */
	raw[0] = 1 | (6ULL << 1);
	put_ste(&f, 1, raw);
	cfgi(&f, 1);
	CU_ASSERT_EQUAL(events_of(&f, UIOMMU_EVT_C_BAD_STE, 1), 1);
	n += 4;
	/* No stream table at all. */
	uiommu_viommu_clear_strtab(f.v);
	cfgi(&f, 2);
	CU_ASSERT_EQUAL(events_of(&f, UIOMMU_EVT_C_BAD_STREAMID, 2), 1);
	n++;
	vm_down(&f);
	malformed_total += n;
}

/* CD and table pointers outside RAM, cyclic and malformed tables. */
static void
test_hostile_tables(void)
{
	const uint64_t base = 0x100000, cd = base + TABLES_OFF;
	const uint64_t l0 = cd + 0x1000, l1 = cd + 0x2000, l2 = cd + 0x3000,
		       l3 = cd + 0x4000;
	static const char *const args[] = { NULL, "s2=off" };
	unsigned int n = 0;

	for (unsigned int m = 0; m < RTE_DIM(args); m++) {
		struct vmf f;
		uint8_t id;
		int rc;

		vm_up(&f, "cat-tbl", base, "soft", args[m], 1, 0, RING_LOG2);
		/* CD pointer outside RAM. */
		put_ste_s1(&f, 1, 0x7000000000ULL);
		cfgi(&f, 1);
		CU_ASSERT_EQUAL(xlate(&f, 0, 0x1000, &id), -EFAULT);
		CU_ASSERT(id == UIOMMU_EVT_F_CD_FETCH ||
			  id == UIOMMU_EVT_F_TRANSLATION);
		n++;
		/* Over-deep / unsupported: T0SZ 8 (56 bits), 64 KiB granule. */
		put_ste_s1(&f, 1, cd);
		put_cd(&f, cd, 8, 0, l0);
		cfgi(&f, 1);
		CU_ASSERT_EQUAL(xlate(&f, 0, 0x1000, &id), -EFAULT);
		CU_ASSERT_EQUAL(id, UIOMMU_EVT_C_BAD_CD);
		put_cd(&f, cd, 16, 1, l0);
		cfgi(&f, 1);
		CU_ASSERT_EQUAL(xlate(&f, 0, 0x1000, &id), -EFAULT);
		CU_ASSERT_EQUAL(id, UIOMMU_EVT_C_BAD_CD);
		n += 2;
		/* A table pointer outside RAM at level 1. */
		put_cd(&f, cd, 16, 0, l0);
		put_pte(&f, l0, 0x7000000000ULL | 3);
		cfgi(&f, 1);
		CU_ASSERT_EQUAL(xlate(&f, 0, 0x1000, &id), -EFAULT);
		CU_ASSERT(id == UIOMMU_EVT_F_WALK_EABT ||
			  id == UIOMMU_EVT_F_TRANSLATION);
		n++;
		/* Cyclic: every level points back at the level-0 table. */
		put_pte(&f, l0, l0 | 3);
		cfgi(&f, 1);
		rc = xlate(&f, 0, 0x1000, &id);
		CU_ASSERT(rc == 0 || rc == -EFAULT);     /* and it returned */
		/* Two tables pointing at each other. */
		put_pte(&f, l0, l1 | 3);
		put_pte(&f, l1, l0 | 3);
		cfgi(&f, 1);
		rc = xlate(&f, 0, 0x1000, &id);
		CU_ASSERT(rc == 0 || rc == -EFAULT);
		n += 2;
		/* A level-0 block, a reserved level-3 type: translation faults. */
		put_pte(&f, l0, (1ULL << 39) | 1 | (1ULL << 10) | (1ULL << 6));
		cfgi(&f, 1);
		CU_ASSERT_EQUAL(xlate(&f, 0, 0x1000, &id), -EFAULT);
		CU_ASSERT_EQUAL(id, UIOMMU_EVT_F_TRANSLATION);
		put_pte(&f, l0, l1 | 3);
		put_pte(&f, l1, l2 | 3);
		put_pte(&f, l2, l3 | 3);
		put_pte(&f, l3 + 8, (base + DATA_OFF) | 1 | (1ULL << 10) |
			(1ULL << 6));
		cfgi(&f, 1);
		CU_ASSERT_EQUAL(xlate(&f, 0, 0x1000, &id), -EFAULT);
		CU_ASSERT_EQUAL(id, UIOMMU_EVT_F_TRANSLATION);
		/* Output address above the output size (bits [51:48]). */
		put_pte(&f, l3 + 8, (1ULL << 48) | 3 | (1ULL << 10) | (1ULL << 6));
		cfgi(&f, 1);
		CU_ASSERT_EQUAL(xlate(&f, 0, 0x1000, &id), -EFAULT);
		n += 3;
		/* Fixed: the same table now translates into RAM. */
		put_pte(&f, l3 + 8, (base + DATA_OFF) | 3 | (1ULL << 10) |
			(1ULL << 6));
		cfgi(&f, 1);
		CU_ASSERT_EQUAL(xlate(&f, 0, 0x1000, &id), 0);
		CU_ASSERT_EQUAL(stats(&f).errors, 0);
		vm_down(&f);
	}
	malformed_total += n;
	printf("hostile configuration/tables: %u malformed inputs\n", n);
}

/* DMA descriptors aimed outside RAM, and at another VM's RAM GPAs. */
static void
test_dma_outside_ram(void)
{
	const uint64_t base = 0x100000, ring = base + DATA_OFF;
	struct uiommu_ste_info ste = { .valid = 1,
				       .config = UIOMMU_STE_CFG_BYPASS };
	const uint64_t dsts[] = {
		base + RAM_SIZE,                 /* past the end */
		base + RAM_SIZE - 100,           /* straddling the end */
		0x900000,                        /* B's RAM GPA */
		0xffffffffffffff80ULL,           /* dst + len wraps */
	};
	struct vmf a, b;
	uint64_t raw[8];
	unsigned int n = 0;

	vm_up(&a, "cat-dmaa", base, "soft", NULL, 1, 0, RING_LOG2);
	vm_up(&b, "cat-dmab", 0x900000, "soft", NULL, 1, 0, RING_LOG2);
	canary_fill(b.ram.base, RAM_SIZE, CANARY_SEED);
	uiommu_ste_encode(&ste, raw);
	put_ste(&a, 1, raw);
	cfgi(&a, 1);
	a.dregs[0]->ring_base = ring;
	a.dregs[0]->ring_log2 = 4;
	a.dregs[0]->cons = 0;
	for (unsigned int i = 0; i < RTE_DIM(dsts); i++) {
		struct uiommu_soft_dma_desc d = {
			.src = base + DATA_OFF + 0x1000, .dst = dsts[i],
			.len = 200,
		};

		memcpy(g(&a, ring + 64ULL * i), &d, sizeof(d));
	}
	__atomic_store_n(&a.dregs[0]->prod, RTE_DIM(dsts), __ATOMIC_RELEASE);
	__atomic_store_n(&a.dregs[0]->ctrl, UIOMMU_SOFT_DMA_CTRL_ENABLE,
			 __ATOMIC_RELEASE);
	for (unsigned int pass = 0; pass < 8; pass++)
		(void)uiommu_viommu_poll(a.v, 64);
	CU_ASSERT_EQUAL(a.dregs[0]->cons, RTE_DIM(dsts));
	for (unsigned int i = 0; i < RTE_DIM(dsts); i++, n++) {
		const struct uiommu_soft_dma_desc *d = g(&a, ring + 64ULL * i);

		if (UIOMMU_SOFT_DMA_ST_CODE(d->status) != (i == 3 ?
		    UIOMMU_SOFT_DMA_ST_BAD_DESC : UIOMMU_SOFT_DMA_ST_DST_FAULT))
			printf("descriptor %u: status %#x done %u\n", i,
			       d->status, d->done);
		CU_ASSERT_EQUAL(UIOMMU_SOFT_DMA_ST_CODE(d->status),
				i == 3 ? UIOMMU_SOFT_DMA_ST_BAD_DESC :
					 UIOMMU_SOFT_DMA_ST_DST_FAULT);
		/* Straddling: exactly the bytes inside RAM were written. */
		if (i == 1)
			CU_ASSERT_EQUAL(d->done, 100);
	}
	CU_ASSERT(canary_ok(b.ram.base, RAM_SIZE, CANARY_SEED));
	vm_down(&a);
	vm_down(&b);
	malformed_total += n;
}

/* A flooding VM delays another VM's queue by at most one budget a pass. */
static void
test_queue_flood(void)
{
	const uint32_t budget = 64, flood_log2 = 10;
	struct uiommu_cmd fill[1u << 10];
	struct vmf a, b;
	uint64_t a_total = 0;

	uiommu_mock_reset();
	vm_up(&a, "cat-flood", 0x100000, "mock", NULL, 1, 0, flood_log2);
	vm_up(&b, "cat-quiet", 0x900000, "mock", NULL, 1, 2, RING_LOG2);
	for (uint32_t i = 0; i < RTE_DIM(fill); i++)
		fill[i] = op_cmd(UIOMMU_CMD_TLBI_NH_ALL);
	push(&a, fill, RTE_DIM(fill));
	for (unsigned int pass = 0; pass < 12; pass++) {
		struct uiommu_cmd c[2] = { op_cmd(UIOMMU_CMD_TLBI_NH_ALL),
					   sync_irq(0x900000 + MSI_OFF, pass + 1) };
		uint32_t got;

		push(&b, c, 2);
		/* One lcore pass: the flooder, then the quiet VM. */
		got = uiommu_vcmdq_process(a.q, budget);
		CU_ASSERT(got <= budget);
		a_total += got;
		CU_ASSERT_EQUAL(uiommu_vcmdq_process(b.q, budget), 2);
		/* The quiet VM progressed in this very pass. */
		CU_ASSERT_EQUAL(*(uint32_t *)g(&b, 0x900000 + MSI_OFF), pass + 1);
		/* The flooder refills what was consumed. */
		if (got > 0)
			push(&a, fill, got);
	}
	CU_ASSERT_EQUAL(a_total, 12ULL * budget);
	vm_down(&a);
	vm_down(&b);
}

int
main(int argc, char **argv)
{
	static const struct ut_case cases[] = {
		UT_CASE(test_illegal_opcodes),
		UT_CASE(test_reserved_bits),
		UT_CASE(test_foreign_vsid),
		UT_CASE(test_nsnh_all_scoped_to_vmid),
		UT_CASE(test_prod_games),
		UT_CASE(test_stopped_until_gerrorn),
		UT_CASE(test_msi_outside_ram),
		UT_CASE(test_pointers_outside_ram),
		UT_CASE(test_mem_fd_wrong_kind),
		UT_CASE(test_bad_ste),
		UT_CASE(test_hostile_tables),
		UT_CASE(test_dma_outside_ram),
		UT_CASE(test_queue_flood),
		UT_END
	};
	int rc;

	rte_log_set_global_level(RTE_LOG_WARNING);
	rc = ut_main("catalogue", cases, argc, argv);
	printf("malformed inputs tried: %lu\n", malformed_total);
	return rc;
}
