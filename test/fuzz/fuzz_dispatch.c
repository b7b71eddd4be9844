/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz targets "dispatch_mock" and "dispatch_soft": a hostile guest and a
 * hostile client against the vCMDQ consumer (lib/cmdq) and the dispatch
 * (lib/core), on the mock backend or the soft backend (FZ_BACKEND_*).
 *
 * Each input is a script. A VM is created with 64 KiB of guest RAM between
 * two guard pages (stream table at its start, the second queue's ring ends
 * at its last byte), a vIOMMU, up to 8 vDEVICEs and two vCMDQs; then the
 * input's actions run in order, acting as
 *  - the guest: write commands (raw bytes, or well-formed commands of any
 *    opcode with random fields, sometimes with one bit flipped) and
 *    publish PROD; set PROD, CONFIG, GERRORN or CONS to anything; rewrite
 *    ring slots and STEs; acknowledge errors;
 *  - the client: add and delete vDEVICEs, set and clear the stream table,
 *    destroy and re-create queues with any index, size and base, try to
 *    remove the RAM; (mock) arm backend failures;
 *  - the poller: uiommu_vcmdq_process() with any budget; read events.
 *
 * Invariants checked after every poll, against a model of the consumer
 * written from doc/guest-contract.md §2-§6 (not from the library):
 *  - at most min(budget, ring size) commands are consumed, and CONS never
 *    moves beyond PROD's valid window (a PROD behind CONS consumes none);
 *  - the queue progresses exactly to the first illegal command (bad
 *    opcode, reserved bit or encoding, a vSID the VM does not own), where
 *    it stops with CONS at that command, CONS.ERR = CERROR_ILL and GERROR
 *    toggled; nothing is consumed while disabled or stopped; GERRORN
 *    resumes it at the same slot; STATUS mirrors CONFIG.EN;
 *  - CMD_SYNC CS=IRQ writes MSIDATA exactly when [MSIADDR, +3] is RAM, and
 *    the statistics count the writes and the drops;
 *  - (mock) every invalidation entry reached the backend with the
 *    vIOMMU's VMID, never the guest's, with the device of its vSID, one
 *    entry per batchable command, batches of at most UIOMMU_BATCH_MAX;
 *  - control calls return the errno the contract gives for their
 *    arguments;
 *  - events name only vSIDs the VM owned;
 *  - a bystander VM (created once, never touched by the input) keeps
 *    working after every input, and its RAM canaries are intact; the
 *    backend holds no object of the fuzzed VM after it is destroyed.
 * Accesses outside the registered RAM hit the guard pages (or ASan).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_common.h>

#include "fuzz.h"
#include "uiommu_cmd.h"
#include "uiommu_core.h"
#include "uiommu_smmu.h"
#include "uiommu_vcmdq.h"

#if defined(FZ_BACKEND_SOFT)
#define BACKEND "soft"
#define DEV_SPEC "soft:dma%u"
#elif defined(FZ_BACKEND_MOCK)
#define BACKEND "mock"
#define DEV_SPEC "mock:%u"
#else
#error "define FZ_BACKEND_MOCK or FZ_BACKEND_SOFT"
#endif

#define RAM_GPA   0x40000000ULL
#define RAM_SIZE  0x10000ULL
#define RAM_LAST  (RAM_GPA + RAM_SIZE - 1)
#define NQ        2
#define MAX_LOG2  8                 /* ring <= 256 entries: one round */
#define MAX_DEV   8
#define MAX_ACTIONS 96
#define GUEST_VMID_BITS 0xffffULL

/* One queue and the model of its consumer. */
struct fq {
	struct uiommu_vcmdq *q;          /* NULL when not created */
	struct uiommu_vcmdq_regs *regs;
	struct uiommu_cmd *ring;
	uint32_t index, log2, size, mask;
	uint32_t prod;                   /* guest's private PROD */
	/* model */
	bool enabled, stopped;
	uint32_t cons, gerror;
};

struct fx {
	struct uiommu_vm *vm;
	struct uiommu_viommu *v;
	uint16_t vmid;
	uint8_t *ctrl;
	struct fq q[NQ];
	uint32_t vsid[MAX_DEV];          /* vsid of slot i when used */
	bool used[MAX_DEV];
	uint32_t ever[64];               /* every vsid ever bound (events) */
	unsigned int never;
	bool strtab;
	uint32_t strtab_log2;
	bool armed;                      /* a mock failure was armed */
};

static struct fz_mem ram;            /* the fuzzed VM's RAM */

/* The bystander VM. */
static struct fz_mem by_ram;
static struct uiommu_vm *by_vm;
static struct uiommu_viommu *by_v;
static struct uiommu_vcmdq *by_q;
static struct uiommu_vcmdq_prod by_p;
static uint32_t by_seq;
#define BY_RING_OFF 0x0000
#define BY_MSI_OFF  0x1000
#define BY_CANARY_OFF 0x2000
#define BY_SEED 0x5eed0f0b1a57e4ULL

/* ---- reference: what the contract says a guest may queue ------------- */

static bool
allowed_op(uint8_t op)
{
	switch (op) {
	case UIOMMU_CMD_PREFETCH_CFG: case UIOMMU_CMD_CFGI_STE:
	case UIOMMU_CMD_CFGI_ALL: case UIOMMU_CMD_CFGI_CD:
	case UIOMMU_CMD_CFGI_CD_ALL: case UIOMMU_CMD_TLBI_NH_ALL:
	case UIOMMU_CMD_TLBI_NH_ASID: case UIOMMU_CMD_TLBI_NH_VA:
	case UIOMMU_CMD_TLBI_NH_VAA: case UIOMMU_CMD_TLBI_NSNH_ALL:
	case UIOMMU_CMD_ATC_INV: case UIOMMU_CMD_SYNC:
		return true;
	default:
		return false;
	}
}

static bool
sid_op(uint8_t op)
{
	return op == UIOMMU_CMD_ATC_INV || op == UIOMMU_CMD_CFGI_STE ||
	       op == UIOMMU_CMD_CFGI_CD || op == UIOMMU_CMD_CFGI_CD_ALL ||
	       op == UIOMMU_CMD_PREFETCH_CFG;
}

/* Commands that reach the backend's invalidate() as one batch entry. */
static bool
batch_op(uint8_t op)
{
	return op != UIOMMU_CMD_SYNC && op != UIOMMU_CMD_PREFETCH_CFG;
}

static bool
owned(const struct fx *x, uint32_t vsid)
{
	for (unsigned int i = 0; i < MAX_DEV; i++)
		if (x->used[i] && x->vsid[i] == vsid)
			return true;
	return false;
}

static bool
ever_owned(const struct fx *x, uint32_t vsid)
{
	for (unsigned int i = 0; i < x->never; i++)
		if (x->ever[i] == vsid)
			return true;
	return false;
}

/* @return false when the contract makes the command illegal. */
static bool
ref_legal(const struct fx *x, const struct uiommu_cmd *c,
	  struct uiommu_cmd_info *ci)
{
	if (uiommu_cmd_decode(c, ci) != 0 || !allowed_op(ci->op))
		return false;
	if (sid_op(ci->op) && !owned(x, ci->sid))
		return false;
	return true;
}

static bool
msi_in_ram(uint64_t a)
{
	return a >= RAM_GPA && a <= RAM_LAST - 3;
}

/* ---- command generator ------------------------------------------------ */

static uint32_t
pick_sid(struct fz *f, const struct fx *x)
{
	unsigned int i = fz_below(f, MAX_DEV);

	if (fz_chance(f, 192) && x->used[i])
		return x->vsid[i];
	return fz_chance(f, 128) ? fz_below(f, 16) : fz_u32(f);
}

static uint64_t
pick_msi(struct fz *f)
{
	switch (fz_below(f, 6)) {
	case 0: return RAM_GPA + (fz_below(f, RAM_SIZE / 4) * 4ULL);
	case 1: return RAM_LAST - 3;
	case 2: return RAM_LAST + 1;
	case 3: return RAM_GPA - 4;
	case 4: return 0;
	default: return fz_u64(f) & 0x000ffffffffffffcULL;
	}
}

static const uint8_t ops[] = {
	UIOMMU_CMD_PREFETCH_CFG, UIOMMU_CMD_CFGI_STE, UIOMMU_CMD_CFGI_ALL,
	UIOMMU_CMD_CFGI_CD, UIOMMU_CMD_CFGI_CD_ALL, UIOMMU_CMD_TLBI_NH_ALL,
	UIOMMU_CMD_TLBI_NH_ASID, UIOMMU_CMD_TLBI_NH_VA, UIOMMU_CMD_TLBI_NH_VAA,
	UIOMMU_CMD_TLBI_EL2_ALL, UIOMMU_CMD_TLBI_EL2_ASID,
	UIOMMU_CMD_TLBI_EL2_VA, UIOMMU_CMD_TLBI_S12_VMALL,
	UIOMMU_CMD_TLBI_S2_IPA, UIOMMU_CMD_TLBI_NSNH_ALL, UIOMMU_CMD_ATC_INV,
	UIOMMU_CMD_PRI_RESP, UIOMMU_CMD_RESUME, UIOMMU_CMD_SYNC,
	/* the legal ones again, to weigh them up */
	UIOMMU_CMD_SYNC, UIOMMU_CMD_TLBI_NH_VA, UIOMMU_CMD_CFGI_STE,
	UIOMMU_CMD_CFGI_ALL, UIOMMU_CMD_ATC_INV, UIOMMU_CMD_SYNC,
	UIOMMU_CMD_TLBI_NH_VA, UIOMMU_CMD_TLBI_NH_VAA, UIOMMU_CMD_TLBI_NH_ASID,
	UIOMMU_CMD_TLBI_NH_ALL, UIOMMU_CMD_CFGI_CD, UIOMMU_CMD_SYNC,
	UIOMMU_CMD_PREFETCH_CFG, UIOMMU_CMD_CFGI_CD_ALL, UIOMMU_CMD_SYNC,
	UIOMMU_CMD_TLBI_NH_VA,
};

static void
tlbi_fields(struct fz *f, struct uiommu_cmd_info *ci, bool ipa)
{
	ci->scale = fz_below(f, 32);
	ci->num = fz_below(f, 32);
	ci->tg = fz_below(f, 4);
	ci->ttl = fz_below(f, 4);
	ci->leaf = fz_u8(f) & 1;
	ci->addr = fz_u64(f) & (ipa ? 0x000ffffffffff000ULL :
				0xfffffffffffff000ULL);
}

/* A well-formed command of any opcode (fields in range, encoded). */
static struct uiommu_cmd
gen_cmd(struct fz *f, const struct fx *x)
{
	struct uiommu_cmd_info ci;
	struct uiommu_cmd c;

	if (fz_rare(f, 16)) {
		c.dw[0] = fz_u64(f);
		c.dw[1] = fz_u64(f);
		return c;
	}
	memset(&ci, 0, sizeof(ci));
	ci.op = ops[fz_below(f, RTE_DIM(ops))];
	switch (ci.op) {
	case UIOMMU_CMD_PREFETCH_CFG:
	case UIOMMU_CMD_CFGI_CD_ALL:
		ci.sid = pick_sid(f, x);
		break;
	case UIOMMU_CMD_CFGI_STE:
		ci.sid = pick_sid(f, x);
		ci.leaf = fz_u8(f) & 1;
		break;
	case UIOMMU_CMD_CFGI_ALL:
		ci.sid = pick_sid(f, x);
		ci.range = fz_below(f, 32);
		break;
	case UIOMMU_CMD_CFGI_CD:
		ci.sid = pick_sid(f, x);
		ci.ssid = fz_u32(f) & 0xfffff;
		ci.leaf = fz_u8(f) & 1;
		break;
	case UIOMMU_CMD_TLBI_NH_ALL:
	case UIOMMU_CMD_TLBI_S12_VMALL:
		ci.vmid = fz_u16(f);
		break;
	case UIOMMU_CMD_TLBI_NH_ASID:
		ci.asid = fz_u16(f);
		ci.vmid = fz_u16(f);
		break;
	case UIOMMU_CMD_TLBI_NH_VA:
		ci.asid = fz_u16(f);
		ci.vmid = fz_u16(f);
		tlbi_fields(f, &ci, false);
		break;
	case UIOMMU_CMD_TLBI_NH_VAA:
		ci.vmid = fz_u16(f);
		tlbi_fields(f, &ci, false);
		break;
	case UIOMMU_CMD_TLBI_EL2_ASID:
		ci.asid = fz_u16(f);
		break;
	case UIOMMU_CMD_TLBI_EL2_VA:
		ci.asid = fz_u16(f);
		tlbi_fields(f, &ci, false);
		break;
	case UIOMMU_CMD_TLBI_S2_IPA:
		ci.vmid = fz_u16(f);
		tlbi_fields(f, &ci, true);
		break;
	case UIOMMU_CMD_ATC_INV:
		ci.sid = pick_sid(f, x);
		ci.ssid = fz_u32(f) & 0xfffff;
		ci.ssv = fz_u8(f) & 1;
		ci.global = fz_u8(f) & 1;
		ci.size = fz_below(f, 64);
		ci.addr = fz_u64(f) & 0xfffffffffffff000ULL;
		break;
	case UIOMMU_CMD_PRI_RESP:
		ci.sid = pick_sid(f, x);
		ci.ssid = fz_u32(f) & 0xfffff;
		ci.ssv = fz_u8(f) & 1;
		ci.resp = fz_below(f, 3);
		ci.grpid = fz_below(f, 512);
		break;
	case UIOMMU_CMD_RESUME:
		ci.sid = pick_sid(f, x);
		ci.resp = fz_below(f, 3);
		ci.stag = fz_u16(f);
		break;
	case UIOMMU_CMD_SYNC:
		ci.cs = fz_below(f, 3);
		ci.msh = fz_below(f, 4);
		ci.msiattr = fz_below(f, 16);
		ci.msidata = fz_u32(f);
		ci.msiaddr = pick_msi(f);
		break;
	default:
		break;
	}
	/* Every in-range field set of a known opcode must encode. */
	FZ_CHECKF(uiommu_cmd_encode(&ci, &c) == 0, "encode op %#x", ci.op);
	if (fz_rare(f, 6)) {
		unsigned int bit = fz_below(f, 128);

		c.dw[bit / 64] ^= 1ULL << (bit % 64);
	}
	return c;
}

/* ---- fixture ---------------------------------------------------------- */

static void *
gptr(uint64_t gpa)
{
	return ram.base + (gpa - RAM_GPA);
}

/* Ring of queue slot i: q1's ring ends at the last byte of RAM. */
static uint64_t
ring_gpa(unsigned int i, uint32_t log2)
{
	const uint64_t bytes = 16ULL << log2;

	return (i == 0 ? RAM_LAST - 0x1000 : RAM_LAST) + 1 - bytes;
}

static void
fq_reset_model(struct fq *q)
{
	q->prod = 0;
	q->enabled = false;
	q->stopped = false;
	q->cons = 0;
	q->gerror = 0;
}

static int
fq_create(struct fx *x, unsigned int i, uint32_t index, uint32_t log2,
	  uint64_t base)
{
	struct fq *q = &x->q[i];
	uint64_t off = 0;
	int rc;

	rc = uiommu_vcmdq_create(x->v, index, log2, base, &q->q, &off);
	if (rc != 0) {
		q->q = NULL;
		return rc;
	}
	FZ_CHECK(off == (uint64_t)index * UIOMMU_VCMDQ_REGS_STRIDE);
	q->regs = (struct uiommu_vcmdq_regs *)(void *)(x->ctrl + off);
	q->ring = gptr(base);
	q->index = index;
	q->log2 = log2;
	q->size = 1u << log2;
	q->mask = uiommu_vcmdq_ptr_mask(log2);
	fq_reset_model(q);
	/* A new queue's registers read as disabled, no error. */
	FZ_CHECK(q->regs->cons == 0 && q->regs->prod == 0 &&
		 q->regs->config == 0 && q->regs->status == 0 &&
		 q->regs->gerror == 0 && q->regs->gerrorn == 0);
	return 0;
}

static int
dev_add(struct fx *x, unsigned int slot, uint32_t vsid)
{
	char spec[32];
	int rc;

	snprintf(spec, sizeof(spec), DEV_SPEC, slot);
	rc = uiommu_vdevice_add(x->v, vsid, spec, NULL, NULL);
	if (rc == 0) {
		x->used[slot] = true;
		x->vsid[slot] = vsid;
		if (!ever_owned(x, vsid) && x->never < RTE_DIM(x->ever))
			x->ever[x->never++] = vsid;
	}
	return rc;
}

static void
fx_setup(struct fx *x, struct fz *f)
{
	memset(x, 0, sizeof(*x));
	memset(ram.base, 0, ram.len);
	FZ_CHECK(uiommu_vm_create("fuzz", &x->vm) == 0);
	FZ_CHECK(uiommu_vm_mem_add_hva(x->vm, RAM_GPA, RAM_SIZE, ram.base) == 0);
	FZ_CHECK(uiommu_viommu_create(x->vm, BACKEND, NULL, &x->v) == 0);
	x->vmid = uiommu_viommu_vmid(x->v);
	x->ctrl = uiommu_viommu_ctrl_base(x->v);
	x->strtab_log2 = fz_below(f, 7);
	FZ_CHECK(uiommu_viommu_set_strtab(x->v, RAM_GPA, x->strtab_log2) == 0);
	x->strtab = true;
	for (unsigned int i = 0, n = 1 + fz_below(f, 4); i < n; i++) {
		uint32_t vsid = fz_below(f, 1u << x->strtab_log2);

		(void)dev_add(x, i, vsid);
	}
	for (unsigned int i = 0; i < NQ; i++) {
		uint32_t log2 = 1 + fz_below(f, MAX_LOG2);
		uint32_t index = i == 0 ? fz_below(f, 64) : 64 + fz_below(f, 64);

		FZ_CHECK(fq_create(x, i, index, log2, ring_gpa(i, log2)) == 0);
		/* Usually the guest has enabled its queues already. */
		if (fz_chance(f, 224))
			__atomic_store_n(&x->q[i].regs->config,
					 UIOMMU_VCMDQ_CONFIG_EN, __ATOMIC_RELEASE);
	}
}

/* ---- guest actions ---------------------------------------------------- */

static void
reg_store(uint32_t *reg, uint32_t v)
{
	/* P1/P4/P5: release, as the guest contract asks of a guest. */
	__atomic_store_n(reg, v, __ATOMIC_RELEASE);
}

static void
act_push(struct fz *f, struct fx *x, struct fq *q)
{
	const unsigned int n = 1 + fz_below(f, 24);

	for (unsigned int i = 0; i < n; i++) {
		struct uiommu_cmd c = gen_cmd(f, x);
		struct uiommu_cmd *s = &q->ring[q->prod & (q->size - 1)];

		__atomic_store_n(&s->dw[0], c.dw[0], __ATOMIC_RELAXED);
		__atomic_store_n(&s->dw[1], c.dw[1], __ATOMIC_RELAXED);
		q->prod = (q->prod + 1) & q->mask;
	}
	reg_store(&q->regs->prod, q->prod);
}

/* ---- the poll and its invariants ------------------------------------ */

struct before {
	struct uiommu_vcmdq_stats st;
	uint64_t inv_total, calls_inv;
	uint32_t nr_inv, nr_batches;
};

static void
snap(const struct fq *q, struct before *b)
{
	uiommu_vcmdq_stats_get(q->q, &b->st);
#ifdef FZ_BACKEND_MOCK
	{
		const struct uiommu_mock_state *ms = uiommu_mock_state();

		b->inv_total = ms->inv_total;
		b->calls_inv = ms->calls[UIOMMU_MOCK_INVALIDATE];
		b->nr_inv = ms->nr_inv;
		b->nr_batches = ms->nr_batches;
	}
#endif
}

static void
act_process(struct fx *x, struct fq *q, uint32_t budget)
{
	const uint32_t config = q->regs->config, gerrorn = q->regs->gerrorn;
	const uint32_t prod = q->regs->prod, cons_reg = q->regs->cons;
	uint32_t avail = 0, expect, k, ret, n_batch = 0, n_in = 0, n_out = 0;
	bool runnable = false, resumed = false, stop_expected = false;
	struct uiommu_cmd_info ci, last_msi = { 0 };
	struct uiommu_vcmdq_info info;
	bool have_last_msi = false;
	struct before b;

	/* The model of doc/guest-contract.md §2, §3, §6. */
	if (((config & UIOMMU_VCMDQ_CONFIG_EN) != 0) != q->enabled) {
		q->enabled = !q->enabled;
		if (q->enabled)
			q->cons = cons_reg & q->mask;
	}
	if (q->enabled) {
		runnable = true;
		if (q->stopped) {
			if ((gerrorn ^ q->gerror) & UIOMMU_VCMDQ_GERROR_CMDQ_ERR)
				runnable = false;
			else
				resumed = true;
		}
	}
	if (runnable) {
		uint32_t used = (prod - q->cons) & q->mask;

		if (used > q->size) {
			fz_stat("poll with PROD behind CONS or beyond the ring");
			used = 0;
		}
		avail = RTE_MIN(used, budget);
	}
	/* Walk the commands the manager will see, as the contract reads them. */
	for (k = 0; k < avail; k++) {
		const struct uiommu_cmd *c =
			&q->ring[(q->cons + k) & (q->size - 1)];

		if (!ref_legal(x, c, &ci)) {
			stop_expected = true;
			break;
		}
		if (batch_op(ci.op))
			n_batch++;
		if (ci.op == UIOMMU_CMD_SYNC && ci.cs == UIOMMU_CMD_SYNC_CS_IRQ) {
			if (msi_in_ram(ci.msiaddr)) {
				n_in++;
				last_msi = ci;
				have_last_msi = true;
			} else {
				n_out++;
			}
		}
	}
	expect = k;
	if (!q->enabled)
		fz_stat("poll while disabled");
	else if (!runnable)
		fz_stat("poll while stopped, not acknowledged");
	if (resumed)
		fz_stat("resume after GERRORN");
	if (stop_expected)
		fz_stat("illegal command (queue must stop)");
	if (n_out > 0)
		fz_stat("CMD_SYNC MSI outside RAM");
	for (uint32_t i = 0; i < k; i++)
		fz_stat("legal command judged");

	snap(q, &b);
	ret = uiommu_vcmdq_process(q->q, budget);
	FZ_CHECK(ret <= budget && ret <= q->size);
	FZ_CHECK(uiommu_vcmdq_info_get(q->q, &info) == 0);

	if (x->armed) {
		/* A scripted backend failure may stop the queue earlier. */
		FZ_CHECK(ret <= expect);
		if (ret < expect) {
			const struct uiommu_cmd *c =
				&q->ring[(q->cons + ret) & (q->size - 1)];

			FZ_CHECK(info.stopped);
			FZ_CHECK(ref_legal(x, c, &ci) && batch_op(ci.op));
			fz_stat("backend failure (queue must stop)");
			stop_expected = true;
		}
	} else {
		FZ_CHECKF(ret == expect, "consumed %u, contract says %u", ret,
			  expect);
		FZ_CHECK(info.stats.msi_writes - b.st.msi_writes == n_in);
		FZ_CHECK(info.stats.msi_dropped - b.st.msi_dropped == n_out);
		if (have_last_msi)
			FZ_CHECK(*(uint32_t *)gptr(last_msi.msiaddr) ==
				 last_msi.msidata);
#ifdef FZ_BACKEND_MOCK
		{
			const struct uiommu_mock_state *ms = uiommu_mock_state();

			FZ_CHECK(ms->inv_total - b.inv_total == n_batch);
		}
#endif
	}
	FZ_CHECK(info.stats.commands - b.st.commands == ret);
	FZ_CHECK(info.enabled == q->enabled);
	FZ_CHECK(info.stopped == ((q->stopped && !resumed) || stop_expected));
	FZ_CHECK(info.cons == ((q->cons + ret) & q->mask));
	FZ_CHECK((q->regs->status & UIOMMU_VCMDQ_STATUS_ENABLE_OK) ==
		 (q->enabled ? UIOMMU_VCMDQ_STATUS_ENABLE_OK : 0u));
	if (stop_expected) {
		FZ_CHECK(info.stats.errors - b.st.errors == 1);
		FZ_CHECK(q->regs->cons == (info.cons |
			 (UIOMMU_CERROR_ILL << UIOMMU_VCMDQ_CONS_ERR_SHIFT)));
		FZ_CHECK(q->regs->gerror == (q->gerror ^
					     UIOMMU_VCMDQ_GERROR_CMDQ_ERR));
		q->gerror ^= UIOMMU_VCMDQ_GERROR_CMDQ_ERR;
		q->stopped = true;
	} else {
		FZ_CHECK(info.stats.errors == b.st.errors);
		if (resumed)
			q->stopped = false;
		/* CONS is published whenever it moved or the queue resumed. */
		if (ret > 0 || resumed)
			FZ_CHECK(q->regs->cons == info.cons);
	}
	FZ_CHECK(q->regs->gerror == q->gerror);
#ifdef FZ_BACKEND_MOCK
	{
		const struct uiommu_mock_state *ms = uiommu_mock_state();

		/* Each entry: the vIOMMU's VMID, the device of its vSID. */
		for (uint32_t i = b.nr_inv; i < ms->nr_inv; i++) {
			const struct uiommu_inv *e = &ms->inv[i];

			FZ_CHECK(e->vmid == x->vmid);
			FZ_CHECK(e->op != UIOMMU_CMD_TLBI_NSNH_ALL);
			if (e->op == UIOMMU_CMD_TLBI_NH_ALL ||
			    e->op == UIOMMU_CMD_TLBI_NH_ASID ||
			    e->op == UIOMMU_CMD_TLBI_NH_VA ||
			    e->op == UIOMMU_CMD_TLBI_NH_VAA)
				FZ_CHECK(((e->raw[0] >> 32) & GUEST_VMID_BITS) ==
					 x->vmid);
			if (sid_op(e->op)) {
				FZ_CHECK(e->dev != NULL);
				FZ_CHECK(owned(x, e->vsid));
			}
			if (e->op == UIOMMU_CMD_TLBI_NH_VA ||
			    e->op == UIOMMU_CMD_TLBI_NH_VAA ||
			    e->op == UIOMMU_CMD_ATC_INV)
				FZ_CHECK(e->first <= e->last);
		}
		for (uint32_t i = b.nr_batches; i < ms->nr_batches &&
		     i < RTE_DIM(ms->batch_len); i++)
			FZ_CHECK(ms->batch_len[i] >= 1 &&
				 ms->batch_len[i] <= UIOMMU_BATCH_MAX);
	}
#endif
	q->cons = info.cons;
}

/* ---- client actions --------------------------------------------------- */

static void
act_dev_add(struct fz *f, struct fx *x)
{
	unsigned int slot = fz_below(f, MAX_DEV);
	uint32_t vsid = fz_chance(f, 200) ? fz_below(f, 80) : fz_u32(f);
	bool clash = owned(x, vsid);
	bool outside = x->strtab && ((uint64_t)vsid >> x->strtab_log2) != 0;
	int rc;

	if (x->used[slot])
		return;
	rc = dev_add(x, slot, vsid);
	if (!clash && !outside)
		FZ_CHECKF(rc == 0, "vdevice_add(%u): %d", vsid, rc);
	else
		fz_stat("client: bad VDEVICE_ADD");
	if (clash || outside)
		FZ_CHECKF((clash && rc == -EEXIST) || (outside && rc == -EINVAL),
			  "vdevice_add(%u) clash %d outside %d: %d", vsid, clash,
			  outside, rc);
}

static void
act_dev_del(struct fz *f, struct fx *x)
{
	unsigned int slot = fz_below(f, MAX_DEV);
	uint32_t vsid = x->used[slot] && fz_chance(f, 200) ? x->vsid[slot] :
			fz_u32(f);
	bool own = owned(x, vsid);
	int rc = uiommu_vdevice_del(x->v, vsid);

	FZ_CHECKF(rc == (own ? 0 : -ENOENT), "vdevice_del(%u): %d", vsid, rc);
	if (!own)
		fz_stat("client: bad VDEVICE_DEL");
	if (own)
		for (unsigned int i = 0; i < MAX_DEV; i++)
			if (x->used[i] && x->vsid[i] == vsid)
				x->used[i] = false;
}

static void
act_strtab(struct fz *f, struct fx *x)
{
	uint32_t log2 = fz_below(f, 18);
	uint64_t base, last;
	bool e_inval = false, e_ovf = false, e_fault = false;
	int rc;

	switch (fz_below(f, 4)) {
	case 0: base = RAM_GPA; break;
	case 1: base = RAM_GPA + fz_below(f, RAM_SIZE); break;
	case 2: base = RAM_GPA + 64ULL * fz_below(f, RAM_SIZE / 64); break;
	default: base = fz_u64(f); break;
	}
	if (fz_rare(f, 16)) {
		uiommu_viommu_clear_strtab(x->v);
		x->strtab = false;
		return;
	}
	if ((base & 63) != 0 || log2 > UIOMMU_MAX_STRTAB_LOG2)
		e_inval = true;
	for (unsigned int i = 0; i < MAX_DEV && log2 < 32; i++)
		if (x->used[i] && ((uint64_t)x->vsid[i] >> log2) != 0)
			e_inval = true;
	if (log2 <= 32 && __builtin_add_overflow(base, (64ULL << log2) - 1,
						  &last))
		e_ovf = true;
	else if (log2 <= 32 && (base < RAM_GPA || last > RAM_LAST))
		e_fault = true;
	rc = uiommu_viommu_set_strtab(x->v, base, log2);
	if (!e_inval && !e_ovf && !e_fault) {
		FZ_CHECKF(rc == 0, "set_strtab(%#lx, %u): %d",
			  (unsigned long)base, log2, rc);
		x->strtab = true;
		x->strtab_log2 = log2;
	} else {
		fz_stat("client: bad STRTAB_SET");
		FZ_CHECKF((e_inval && rc == -EINVAL) ||
			  (e_ovf && rc == -EOVERFLOW) ||
			  (e_fault && rc == -EFAULT),
			  "set_strtab(%#lx, %u): %d (inval %d ovf %d fault %d)",
			  (unsigned long)base, log2, rc, e_inval, e_ovf, e_fault);
	}
}

static void
act_queue_recreate(struct fz *f, struct fx *x)
{
	unsigned int i = fz_below(f, NQ);
	struct fq *q = &x->q[i], *o = &x->q[1 - i];
	uint32_t log2 = fz_below(f, MAX_LOG2 + 3);   /* 0 and 9, 10: invalid */
	uint32_t index = fz_chance(f, 240) ? fz_below(f, 130) : fz_u32(f);
	uint64_t base = ring_gpa(i, log2 < 1 ? 1 : log2 > MAX_LOG2 ? MAX_LOG2 :
				    log2);
	bool e_inval, e_exist;
	int rc;

	if (fz_rare(f, 40))
		base = fz_chance(f, 128) ? base + 16 * (1 + fz_below(f, 255)) :
					   fz_u64(f);
	uiommu_vcmdq_destroy(q->q);
	q->q = NULL;
	e_inval = index >= UIOMMU_MAX_VCMDQS || log2 < UIOMMU_VCMDQ_MIN_LOG2 ||
		  log2 > UIOMMU_VCMDQ_MAX_LOG2 ||
		  (log2 <= UIOMMU_VCMDQ_MAX_LOG2 && (base & ((16ULL << log2) - 1)));
	e_exist = o->q != NULL && o->index == index;
	rc = fq_create(x, i, index, log2, base);
	if (rc == 0) {
		FZ_CHECK(!e_inval && !e_exist);
		/* The ring must lie in RAM (an index ring beyond our model is
		 * fine as long as the library accepted it only inside RAM). */
		FZ_CHECK(base >= RAM_GPA && base + (16ULL << log2) - 1 <= RAM_LAST);
		if (log2 > MAX_LOG2) {
			/* Keep the one-round model: do not use bigger rings. */
			uiommu_vcmdq_destroy(q->q);
			q->q = NULL;
		}
	} else {
		fz_stat("client: bad VCMDQ_CREATE");
		FZ_CHECKF(rc == -EINVAL || rc == -EEXIST || rc == -EFAULT ||
			  rc == -EOVERFLOW, "vcmdq_create: %d", rc);
		if (rc == -EEXIST)
			FZ_CHECK(e_exist);
		if (!e_inval && !e_exist)
			FZ_CHECK(rc == -EFAULT || rc == -EOVERFLOW);
	}
}

static void
act_mem_del(struct fx *x)
{
	bool busy = x->strtab || x->q[0].q != NULL || x->q[1].q != NULL;
	int rc = uiommu_vm_mem_del(x->vm, RAM_GPA, RAM_SIZE);

	FZ_CHECKF(rc == (busy ? -EBUSY : 0), "mem_del: %d", rc);
	if (busy)
		fz_stat("client: MEM_DEL of RAM in use");
	FZ_CHECK(uiommu_vm_mem_del(x->vm, RAM_GPA + 4096, 4096) == -ENOENT);
	if (rc == 0)
		FZ_CHECK(uiommu_vm_mem_add_hva(x->vm, RAM_GPA, RAM_SIZE,
					       ram.base) == 0);
}

static void
act_ste(struct fz *f, struct fx *x)
{
	uint32_t vsid = pick_sid(f, x) & 63;
	uint64_t raw[8];

	if (fz_chance(f, 128)) {
		struct uiommu_ste_info ste = {
			.valid = fz_u8(f) & 1,
			.config = (uint8_t[]){ 0, 4, 5, 6, 7, 1 }[fz_below(f, 6)],
			.s1cdmax = fz_below(f, 12),
			.s1dss = fz_below(f, 4),
			.s1ctxptr = (RAM_GPA + fz_below(f, RAM_SIZE)) & ~63ULL,
		};

		uiommu_ste_encode(&ste, raw);
	} else {
		fz_bytes(f, raw, sizeof(raw));
	}
	if (RAM_GPA + 64ULL * vsid + 63 <= RAM_LAST)
		memcpy(gptr(RAM_GPA + 64ULL * vsid), raw, sizeof(raw));
}

static void
act_events(struct fx *x)
{
	struct uiommu_event ev[16];
	uint64_t lost = 0;
	unsigned int n = uiommu_viommu_event_read(x->v, ev, RTE_DIM(ev), &lost);

	FZ_CHECK(n <= RTE_DIM(ev));
	for (unsigned int i = 0; i < n; i++) {
		FZ_CHECK(ev[i].id == UIOMMU_EVT_C_BAD_STE ||
			 ev[i].id == UIOMMU_EVT_C_BAD_STREAMID);
		FZ_CHECKF(ever_owned(x, ev[i].sid), "event for vSID %u",
			  ev[i].sid);
	}
}

#ifdef FZ_BACKEND_MOCK
static void
act_arm(struct fz *f, struct fx *x)
{
	static const int errs[] = { -EIO, -ENOMEM, -EINVAL, -EOPNOTSUPP };
	enum uiommu_mock_op op = fz_chance(f, 128) ? UIOMMU_MOCK_INVALIDATE :
						     UIOMMU_MOCK_SET_STE;

	FZ_CHECK(uiommu_mock_fail(op, 1 + fz_below(f, 16),
				  errs[fz_below(f, RTE_DIM(errs))]) == 0);
	x->armed = true;
}
#endif

/* ---- bystander -------------------------------------------------------- */

static void
bystander_init(void)
{
	uint64_t off;

	fz_mem_init(&by_ram, RAM_SIZE, 4096);
	memset(by_ram.base, 0, BY_CANARY_OFF);
	FZ_CHECK(uiommu_vm_create("bystander", &by_vm) == 0);
	FZ_CHECK(uiommu_vm_mem_add_hva(by_vm, RAM_GPA, RAM_SIZE,
				       by_ram.base) == 0);
	FZ_CHECK(uiommu_viommu_create(by_vm, BACKEND, NULL, &by_v) == 0);
	FZ_CHECK(uiommu_vcmdq_create(by_v, 0, 8, RAM_GPA + BY_RING_OFF, &by_q,
				     &off) == 0);
	FZ_CHECK(uiommu_vcmdq_prod_init(&by_p, (struct uiommu_cmd *)(void *)
					(by_ram.base + BY_RING_OFF), 8,
					(struct uiommu_vcmdq_regs *)(void *)
					((uint8_t *)uiommu_viommu_ctrl_base(by_v) +
					 off)) == 0);
	FZ_CHECK(uiommu_vcmdq_prod_enable(&by_p, 0) == 0);
	(void)uiommu_vcmdq_process(by_q, 0);
	FZ_CHECK(uiommu_vcmdq_prod_enabled(&by_p));
	{
		struct fz_mem part = {
			.base = by_ram.base + BY_CANARY_OFF,
			.len = RAM_SIZE - BY_CANARY_OFF,
		};

		fz_mem_canary_fill(&part, BY_SEED);
	}
}

static void
bystander_check(void)
{
	struct uiommu_cmd_info ti = { .op = UIOMMU_CMD_TLBI_NH_ALL };
	struct uiommu_cmd_info si = {
		.op = UIOMMU_CMD_SYNC, .cs = UIOMMU_CMD_SYNC_CS_IRQ,
		.msiaddr = RAM_GPA + BY_MSI_OFF, .msidata = ++by_seq,
	};
	struct uiommu_cmd c[2];
	struct fz_mem part = {
		.base = by_ram.base + BY_CANARY_OFF,
		.len = RAM_SIZE - BY_CANARY_OFF,
	};
	uint32_t target;

	FZ_CHECK(uiommu_cmd_encode(&ti, &c[0]) == 0);
	FZ_CHECK(uiommu_cmd_encode(&si, &c[1]) == 0);
	FZ_CHECK(uiommu_vcmdq_prod_write(&by_p, c, 2) == 2);
	uiommu_vcmdq_prod_publish(&by_p);
	target = uiommu_vcmdq_prod_index(&by_p);
	FZ_CHECK(uiommu_vcmdq_process(by_q, 64) == 2);
	FZ_CHECK(uiommu_vcmdq_prod_wait(&by_p, target, 0, NULL) == 0);
	FZ_CHECK(*(uint32_t *)(void *)(by_ram.base + BY_MSI_OFF) == by_seq);
	FZ_CHECK(fz_mem_canary_ok(&part, BY_SEED));
}

/* ---- the target ------------------------------------------------------- */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool init;
	struct fz f;
	struct fx x;

	if (!init) {
		fz_quiet();
		fz_mem_init(&ram, RAM_SIZE, 4096);
		bystander_init();
		init = true;
	}
#ifdef FZ_BACKEND_MOCK
	uiommu_mock_reset();
#endif
	fz_init(&f, data, size);
	fx_setup(&x, &f);
	for (unsigned int n = 0; n < MAX_ACTIONS && !fz_empty(&f); n++) {
		unsigned int a = fz_u8(&f);
		struct fq *q = &x.q[a & 1];

		a >>= 1;
		switch (a % 20) {
		case 0: case 1: case 2: case 3:
			if (q->q != NULL)
				act_push(&f, &x, q);
			break;
		case 4: case 5: case 6: case 7:
			if (q->q != NULL)
				act_process(&x, q, fz_rare(&f, 32) ?
					    fz_below(&f, 4) : 1 + fz_below(&f, 300));
			break;
		case 8:
			if (q->q != NULL)
				reg_store(&q->regs->prod, fz_chance(&f, 128) ?
					  fz_u32(&f) : (q->prod + fz_u8(&f)));
			break;
		case 9:
			if (q->q != NULL)
				reg_store(&q->regs->config, fz_chance(&f, 200) ?
					  (q->regs->config ^ UIOMMU_VCMDQ_CONFIG_EN) :
					  fz_u32(&f));
			break;
		case 10: case 19:
			if (a % 20 == 19 && fz_rare(&f, 24)) {
#ifdef FZ_BACKEND_MOCK
				act_arm(&f, &x);
#endif
				break;
			}
			if (q->q == NULL)
				break;
			if (fz_chance(&f, 160)) {
				/* Linux: replace the bad slot by a CMD_SYNC, ack. */
				struct uiommu_cmd_info si = { .op = UIOMMU_CMD_SYNC };
				uint32_t at = q->regs->cons & (q->size - 1);

				FZ_CHECK(uiommu_cmd_encode(&si, &q->ring[at]) == 0);
			}
			reg_store(&q->regs->gerrorn, fz_chance(&f, 200) ?
				  q->regs->gerror : fz_u32(&f));
			break;
		case 11:
			if (q->q != NULL) {
				uint32_t v = fz_u32(&f);

				reg_store(&q->regs->cons, v);
				if (fz_chance(&f, 128)) {
					/* Guest resets both, as while disabled. */
					q->prod = v & q->mask;
					reg_store(&q->regs->prod, q->prod);
				}
			}
			break;
		case 12:
			if (q->q != NULL) {
				struct uiommu_cmd c = gen_cmd(&f, &x);

				q->ring[fz_below(&f, q->size)] = c;
			}
			break;
		case 13:
			act_ste(&f, &x);
			break;
		case 14:
			if (fz_chance(&f, 128))
				act_dev_add(&f, &x);
			else
				act_dev_del(&f, &x);
			break;
		case 15:
			act_strtab(&f, &x);
			break;
		case 16:
			act_queue_recreate(&f, &x);
			break;
		case 17:
			act_events(&x);
			break;
		case 18:
			if (fz_rare(&f, 32))
				act_mem_del(&x);
			break;
		default:
			break;
		}
	}
	/* Drain once more: everything the guest published is judged. */
	for (unsigned int i = 0; i < NQ; i++)
		if (x.q[i].q != NULL)
			act_process(&x, &x.q[i], 256);
	uiommu_vm_destroy(x.vm);
#ifdef FZ_BACKEND_MOCK
	{
		const struct uiommu_mock_state *ms = uiommu_mock_state();

		/* Everything the fuzzed VM had in the backend is gone. */
		FZ_CHECK(ms->live_viommus == 0 && ms->live_vdevices == 0 &&
			 ms->live_s2_maps == 0);
		(void)uiommu_mock_fail(UIOMMU_MOCK_INVALIDATE, 0, -EIO);
		(void)uiommu_mock_fail(UIOMMU_MOCK_SET_STE, 0, -EIO);
	}
#endif
	bystander_check();
	return 0;
}
