/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target "soft": arbitrary guest RAM contents as stream table, context
 * descriptors, stage-1 tables and soft DMA descriptors, then translations
 * (uiommu_vdevice_translate), DMA (uiommu_viommu_poll on the soft backend)
 * and CFGI/TLBI handling (through a vCMDQ and lib/core's dispatch).
 *
 * Guest RAM is two regions, each between guard pages: A at GPA 0 (128 KiB;
 * stream table at 0, the vCMDQ ring in its last 4 KiB) and B at GPA 2 MiB
 * (64 KiB). Small pointers therefore land in RAM, and the input writes
 * descriptors whose next-table, CD, TTB0 and DMA addresses point at pages
 * of A or B (or anywhere). A third region, the RAM of a bystander VM on the
 * same backend, is filled with canaries and never given to the fuzzed VM.
 * The vIOMMU runs with stage 2 on (nested) or off (s2=off), per input.
 *
 * Invariants:
 *  - a translation that succeeds gives a host range [hva, hva+contig-1]
 *    inside one registered region, at the offset of its IPA (stage 2 maps
 *    RAM one to one), and translating again gives the same answer;
 *  - a translation that fails is -EFAULT with a well-formed SMMUv3 record
 *    (known event ID, the device's vSID, raw word 0 consistent); an
 *    invalid access mask is -EINVAL;
 *  - guest CFGI_STE / CFGI_ALL / CFGI_CD[_ALL] / TLBI of owned vSIDs never
 *    stop the queue, whatever the STEs and CDs hold (a bad STE blocks the
 *    device and raises C_BAD_STE instead);
 *  - a DMA poll does at most its budget of descriptors (and at most
 *    UIOMMU_SOFT_DMA_BUDGET per engine), copies at most 1 MiB per
 *    descriptor, and the engine registers stay consistent (cons moves by
 *    the descriptors completed; a halt has a reason);
 *  - events name only the VM's vSIDs and known IDs;
 *  - the bystander's canaries are intact and its queue still works after
 *    every input; guard pages catch any access just outside RAM.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_common.h>

#include "fuzz.h"
#include "uiommu_cmd.h"
#include "uiommu_core.h"
#include "uiommu_smmu.h"
#include "uiommu_soft_dma.h"
#include "uiommu_vcmdq.h"

#define A_GPA   0x0ULL
#define A_SIZE  0x20000ULL
#define B_GPA   0x200000ULL
#define B_SIZE  0x10000ULL
#define RING_GPA (A_GPA + A_SIZE - 0x1000)
#define RING_LOG2 8
#define NDEV 2
#define MAX_ACTIONS 64

static struct fz_mem ra, rb;          /* the fuzzed VM's RAM */
static struct fz_mem by_ram;          /* bystander's RAM: canaries */
static struct uiommu_vm *by_vm;
static struct uiommu_viommu *by_v;
#define BY_SEED 0xb7574d3e0a11c0deULL

struct sx {
	struct uiommu_vm *vm;
	struct uiommu_viommu *v;
	struct uiommu_vdevice *dev[NDEV];
	struct uiommu_soft_dma_regs *dregs[NDEV];
	uint32_t vsid[NDEV];
	struct uiommu_vcmdq *q;
	struct uiommu_vcmdq_prod p;
	bool b_mapped;
	bool touched[NDEV];     /* the guest rewrote cons since the last poll */
};

/* ---- guest memory ----------------------------------------------------- */

static uint8_t *
gptr(uint64_t gpa, uint64_t len)
{
	if (gpa >= A_GPA && gpa - A_GPA <= A_SIZE - len)
		return ra.base + (gpa - A_GPA);
	if (gpa >= B_GPA && gpa - B_GPA <= B_SIZE - len)
		return rb.base + (gpa - B_GPA);
	return NULL;
}

/* A page address in A or B (mostly), or anything. */
static uint64_t
gen_page(struct fz *f)
{
	unsigned int r = fz_u8(f);

	if (r < 160)
		return A_GPA + 4096ULL * (r % (A_SIZE / 4096));
	if (r < 240)
		return B_GPA + 4096ULL * (r % (B_SIZE / 4096));
	return fz_u64(f) & ~0xfffULL;
}

/* Any 64-bit value a guest might store in a table. */
static uint64_t
gen_desc(struct fz *f)
{
	const uint64_t page = gen_page(f);
	const uint64_t lo = fz_u16(f) & 0xffc;

	switch (fz_below(f, 8)) {
	case 0:
		return fz_u64(f);
	case 1:                         /* table */
		return page | 3;
	case 2:                         /* page, AF, AP unprivileged RW */
		return page | 3 | (1ULL << 10) | (1ULL << 6);
	case 3:                         /* block */
		return (page & ~0x1fffffULL) | 1 | (1ULL << 10) | (1ULL << 6);
	case 4:                         /* page with random low attributes */
		return page | 3 | lo;
	case 5:                         /* random high attributes */
		return page | 3 | (1ULL << 10) | ((uint64_t)fz_u8(f) << 51);
	case 6:                         /* read-only */
		return page | 3 | (1ULL << 10) | (1ULL << 6) | (1ULL << 7);
	default:
		return 0;
	}
}

static void
w64(uint64_t gpa, uint64_t v)
{
	uint64_t *p = (uint64_t *)(void *)gptr(gpa & ~7ULL, 8);

	if (p != NULL)
		__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

static uint64_t
gen_gpa(struct fz *f, uint64_t align)
{
	uint64_t a = fz_chance(f, 200) ? fz_below(f, A_SIZE / 8) * 8ULL :
		     B_GPA + fz_below(f, B_SIZE / 8) * 8ULL;

	return a & ~(align - 1);
}

/* ---- the guest's configuration --------------------------------------- */

static void
act_ste(struct fz *f, struct sx *s)
{
	unsigned int i = fz_below(f, NDEV);
	uint64_t raw[8];

	if (fz_rare(f, 32)) {
		fz_bytes(f, raw, sizeof(raw));
	} else {
		static const uint8_t cfgs[] = { 0, 4, 5, 5, 5, 6, 7, 2 };
		struct uiommu_ste_info ste = {
			.valid = !fz_rare(f, 16),
			.config = cfgs[fz_below(f, RTE_DIM(cfgs))],
			.s1cdmax = fz_chance(f, 160) ? 0 : fz_below(f, 12),
			.s1dss = fz_below(f, 4),
			.s1ctxptr = gen_gpa(f, 64),
		};

		uiommu_ste_encode(&ste, raw);
	}
	/* The stream table is at GPA 0, log2size 1: vSIDs 0 and 1. */
	memcpy(gptr(A_GPA + 64ULL * (s->vsid[i] & 1), 64), raw, sizeof(raw));
}

static void
act_cd(struct fz *f)
{
	uint64_t gpa = gen_gpa(f, 64);
	uint64_t raw[8];
	uint8_t *p = gptr(gpa, 64);

	if (p == NULL)
		return;
	if (fz_rare(f, 32)) {
		fz_bytes(f, raw, sizeof(raw));
	} else {
		struct uiommu_cd_info cd = {
			.valid = !fz_rare(f, 16),
			.t0sz = fz_chance(f, 200) ? 16 + fz_below(f, 24) :
						    fz_below(f, 64),
			.tg0 = fz_rare(f, 16) ? fz_below(f, 4) : 0,
			.ips = fz_chance(f, 200) ? 5 : fz_below(f, 8),
			.epd0 = fz_rare(f, 16),
			.epd1 = 1,
			.aa64 = !fz_rare(f, 8),
			.affd = fz_u8(f) & 1,
			.asid = fz_below(f, 4),
			.ttb0 = gen_page(f) | (fz_rare(f, 16) ? fz_u16(f) & 0xff0 : 0),
			.mair = fz_u64(f),
		};

		uiommu_cd_encode(&cd, raw);
	}
	memcpy(p, raw, sizeof(raw));
}

/* Queue some configuration commands and one CMD_SYNC; none may stop it. */
static void
act_cmds(struct fz *f, struct sx *s)
{
	struct uiommu_cmd c[8];
	struct uiommu_vcmdq_info info;
	unsigned int n = 1 + fz_below(f, 6), i;
	uint32_t target;

	for (i = 0; i < n; i++) {
		struct uiommu_cmd_info ci = { 0 };

		ci.sid = s->vsid[fz_below(f, NDEV)];
		switch (fz_below(f, 8)) {
		case 0: ci.op = UIOMMU_CMD_CFGI_STE; ci.leaf = 1; break;
		case 1: ci.op = UIOMMU_CMD_CFGI_ALL; ci.range = 31; ci.sid = 0; break;
		case 2: ci.op = UIOMMU_CMD_CFGI_CD; ci.ssid = fz_below(f, 4); break;
		case 3: ci.op = UIOMMU_CMD_CFGI_CD_ALL; break;
		case 4: ci.op = UIOMMU_CMD_TLBI_NH_ALL; ci.sid = 0; break;
		case 5:
			ci.op = UIOMMU_CMD_TLBI_NH_VA;
			ci.sid = 0;
			ci.asid = fz_below(f, 4);
			ci.addr = gen_page(f);
			ci.tg = fz_below(f, 4);
			ci.num = fz_below(f, 32);
			ci.scale = fz_below(f, 32);
			break;
		case 6: ci.op = UIOMMU_CMD_TLBI_NH_ASID; ci.sid = 0;
			ci.asid = fz_below(f, 4); break;
		default: ci.op = UIOMMU_CMD_TLBI_NSNH_ALL; ci.sid = 0; break;
		}
		FZ_CHECK(uiommu_cmd_encode(&ci, &c[i]) == 0);
	}
	c[i] = (struct uiommu_cmd){ { UIOMMU_CMD_SYNC, 0 } };
	FZ_CHECK(uiommu_vcmdq_prod_write(&s->p, c, n + 1) == n + 1);
	uiommu_vcmdq_prod_publish(&s->p);
	target = uiommu_vcmdq_prod_index(&s->p);
	FZ_CHECK(uiommu_vcmdq_process(s->q, 64) == n + 1);
	FZ_CHECK(uiommu_vcmdq_info_get(s->q, &info) == 0);
	FZ_CHECKF(!info.stopped, "a legal CFGI/TLBI stopped the queue");
	FZ_CHECK(uiommu_vcmdq_prod_wait(&s->p, target, 0, NULL) == 0);
	fz_stat("guest configuration commands applied");
}

/* An IOVA: a GPA-like page (bypass), a template stage-1 one, or anything. */
static uint64_t
gen_iova(struct fz *f)
{
	if (fz_rare(f, 32))
		return fz_u64(f);
	if (fz_chance(f, 128))
		return ((uint64_t)fz_below(f, 4) << 39) |
		       ((uint64_t)fz_below(f, 4) << 30) |
		       ((uint64_t)fz_below(f, 4) << 21) |
		       ((uint64_t)fz_below(f, 4) << 12) | fz_below(f, 4096);
	return gen_page(f) + fz_below(f, 4096);
}

/*
 * Templates: a working configuration for the fuzzer to start from, which the
 * other actions then corrupt. S1: CD at 0x1000, a 4-level stage-1 chain in
 * pages 0x2000..0x5000 mapping one IOVA page to a data page; or bypass.
 */
static void
act_template_cfg(struct fz *f, struct sx *s)
{
	const unsigned int i = fz_below(f, NDEV);
	const uint64_t cd_gpa = 0x1000 + 0x100ULL * i;
	const uint64_t l[4] = { 0x2000, 0x3000, 0x4000, 0x5000 };
	const uint64_t data = gen_page(f);
	unsigned int idx[4];
	struct uiommu_ste_info ste = { .valid = 1 };
	uint64_t raw[8];
	struct uiommu_cmd c[2];
	struct uiommu_cmd_info ci = { .op = UIOMMU_CMD_CFGI_STE,
				      .sid = s->vsid[i], .leaf = 1 };

	for (unsigned int k = 0; k < 4; k++)
		idx[k] = fz_below(f, 4);
	if (fz_chance(f, 160)) {
		struct uiommu_cd_info cd = {
			.valid = 1, .t0sz = 16, .ips = 5, .aa64 = 1, .epd1 = 1,
			.affd = fz_u8(f) & 1, .asid = fz_below(f, 4), .ttb0 = l[0],
		};

		for (unsigned int k = 0; k < 3; k++)
			w64(l[k] + 8ULL * idx[k], l[k + 1] | 3);
		w64(l[3] + 8ULL * idx[3], data | 3 | (1ULL << 10) | (1ULL << 6) |
		    (fz_rare(f, 64) ? (1ULL << 7) : 0));
		uiommu_cd_encode(&cd, raw);
		memcpy(gptr(cd_gpa, 64), raw, sizeof(raw));
		ste.config = UIOMMU_STE_CFG_S1;
		ste.s1ctxptr = cd_gpa;
		fz_stat("template: stage-1 chain");
	} else {
		ste.config = UIOMMU_STE_CFG_BYPASS;
		fz_stat("template: bypass");
	}
	uiommu_ste_encode(&ste, raw);
	memcpy(gptr(A_GPA + 64ULL * (s->vsid[i] & 1), 64), raw, sizeof(raw));
	FZ_CHECK(uiommu_cmd_encode(&ci, &c[0]) == 0);
	c[1] = (struct uiommu_cmd){ { UIOMMU_CMD_SYNC, 0 } };
	FZ_CHECK(uiommu_vcmdq_prod_write(&s->p, c, 2) == 2);
	uiommu_vcmdq_prod_publish(&s->p);
	FZ_CHECK(uiommu_vcmdq_process(s->q, 64) == 2);
}

/* DMA: ring at 0x8000 (IOVA = GPA under bypass), one or more copies. */
static void
act_template_dma(struct fz *f, struct sx *s)
{
	const unsigned int i = fz_below(f, NDEV);
	struct uiommu_soft_dma_regs *r = s->dregs[i];
	const uint64_t ring = 0x8000 + 0x1000ULL * i;
	const unsigned int n = 1 + fz_below(f, 8);
	uint32_t cons = fz_u8(f);

	if (fz_chance(f, 128)) {
		/* Bypass the device so that IOVA = GPA. */
		struct uiommu_ste_info ste = { .valid = 1,
					       .config = UIOMMU_STE_CFG_BYPASS };
		struct uiommu_cmd_info ci = { .op = UIOMMU_CMD_CFGI_STE,
					      .sid = s->vsid[i] };
		struct uiommu_cmd c[2];
		uint64_t raw[8];

		uiommu_ste_encode(&ste, raw);
		memcpy(gptr(A_GPA + 64ULL * (s->vsid[i] & 1), 64), raw,
		       sizeof(raw));
		FZ_CHECK(uiommu_cmd_encode(&ci, &c[0]) == 0);
		c[1] = (struct uiommu_cmd){ { UIOMMU_CMD_SYNC, 0 } };
		FZ_CHECK(uiommu_vcmdq_prod_write(&s->p, c, 2) == 2);
		uiommu_vcmdq_prod_publish(&s->p);
		FZ_CHECK(uiommu_vcmdq_process(s->q, 64) == 2);
	}
	s->touched[i] = true;
	__atomic_store_n(&r->ctrl, 0, __ATOMIC_RELEASE);
	(void)uiommu_viommu_poll(s->v, 1);
	r->ring_base = ring;
	r->ring_log2 = 4;
	r->ssid = 0;
	r->cons = cons;
	for (unsigned int k = 0; k < n; k++) {
		struct uiommu_soft_dma_desc d = {
			.src = gen_page(f) + fz_below(f, 64),
			.dst = gen_page(f) + fz_below(f, 64),
			.len = 1 + fz_below(f, 8192),
		};

		memcpy(gptr(ring + 64ULL * ((cons + k) & 15), 64), &d, sizeof(d));
	}
	__atomic_store_n(&r->prod, cons + n, __ATOMIC_RELEASE);
	__atomic_store_n(&r->ctrl, UIOMMU_SOFT_DMA_CTRL_ENABLE, __ATOMIC_RELEASE);
	fz_stat("template: DMA ring");
}

/* ---- translation ------------------------------------------------------ */

static bool
known_event(uint8_t id)
{
	switch (id) {
	case UIOMMU_EVT_C_BAD_STREAMID: case UIOMMU_EVT_C_BAD_STE:
	case UIOMMU_EVT_F_STREAM_DISABLED: case UIOMMU_EVT_C_BAD_SUBSTREAMID:
	case UIOMMU_EVT_F_CD_FETCH: case UIOMMU_EVT_C_BAD_CD:
	case UIOMMU_EVT_F_WALK_EABT: case UIOMMU_EVT_F_TRANSLATION:
	case UIOMMU_EVT_F_ADDR_SIZE: case UIOMMU_EVT_F_ACCESS:
	case UIOMMU_EVT_F_PERMISSION:
		return true;
	default:
		return false;
	}
}

static void
check_event(const struct sx *s, const struct uiommu_event *ev)
{
	bool ours = false;

	FZ_CHECKF(known_event(ev->id), "event id %#x", ev->id);
	for (unsigned int i = 0; i < NDEV; i++)
		ours |= ev->sid == s->vsid[i];
	FZ_CHECKF(ours, "event for vSID %u", ev->sid);
	FZ_CHECK(ev->rnw <= 1 && ev->s2 <= 1 && ev->class_ <= 2);
	FZ_CHECK((ev->raw[0] & 0xff) == ev->id);
	FZ_CHECK((uint32_t)(ev->raw[0] >> 32) == ev->sid);
}

/* The region holding host range [p, p + len - 1], with its GPA. */
static bool
host_in_ram(uint64_t hva, uint64_t len, uint64_t *gpa, const struct sx *s)
{
	if (fz_mem_holds(&ra, (void *)(uintptr_t)hva, len)) {
		*gpa = A_GPA + (hva - (uintptr_t)ra.base);
		return true;
	}
	if (s->b_mapped && fz_mem_holds(&rb, (void *)(uintptr_t)hva, len)) {
		*gpa = B_GPA + (hva - (uintptr_t)rb.base);
		return true;
	}
	return false;
}


static void
act_xlate(struct fz *f, struct sx *s)
{
	unsigned int i = fz_below(f, NDEV);
	uint32_t access = fz_rare(f, 8) ? fz_u8(f) : 1 + fz_below(f, 3);
	uint64_t iova = gen_iova(f), gpa, ipa;
	struct uiommu_xlate x, y;
	int rc = uiommu_vdevice_translate(s->dev[i], iova, access, &x);

	if (access == 0 || (access & ~3u)) {
		FZ_CHECKF(rc == -EINVAL, "access %#x: %d", access, rc);
		fz_stat("translate: bad access mask");
		return;
	}
	if (rc == -EFAULT && x.fault.id == 0) {
		/* Terminated without a record: a blocked or aborting stream,
		 * or (no stage 2) an address that is not RAM. */
		fz_stat("translate: aborted without event");
		return;
	}
	if (rc == -EFAULT) {
		check_event(s, &x.fault);
		FZ_CHECK(x.fault.sid == s->vsid[i]);
		fz_stat("translate: fault");
		return;
	}
	FZ_CHECKF(rc == 0, "translate: %d", rc);
	fz_stat("translate: success");
	FZ_CHECK(x.contig >= 1);
	FZ_CHECKF(host_in_ram(x.hva, x.contig, &gpa, s),
		  "translation of %#lx outside RAM (contig %#lx)",
		  (unsigned long)iova, (unsigned long)x.contig);
	/* Stage 2 maps RAM one to one: the host address is the IPA's (the
	 * stages are reported on a walk, not on an IOTLB hit). */
	ipa = x.s1.valid ? x.s1.out : iova;
	FZ_CHECKF(x.iotlb_hit || gpa == ipa, "IPA %#lx but host address of GPA %#lx",
		  (unsigned long)ipa, (unsigned long)gpa);
	/* Nothing changed: the same answer again (now or from the IOTLB). */
	FZ_CHECK(uiommu_vdevice_translate(s->dev[i], iova, access, &y) == 0);
	FZ_CHECK(y.hva == x.hva);
}

/* ---- soft DMA --------------------------------------------------------- */

static void
act_dma_setup(struct fz *f, struct sx *s)
{
	unsigned int i = fz_below(f, NDEV);
	struct uiommu_soft_dma_regs *r = s->dregs[i];
	uint32_t v;

	s->touched[i] = true;
	__atomic_store_n(&r->ctrl, 0, __ATOMIC_RELEASE);
	r->ring_base = fz_rare(f, 16) ? fz_u64(f) : gen_page(f) +
		       64ULL * fz_below(f, 64);
	r->ring_log2 = fz_rare(f, 16) ? fz_u32(f) : fz_below(f, 7);
	r->ssid = fz_chance(f, 200) ? 0 : fz_rare(f, 64) ? fz_u32(f) :
		  (UIOMMU_SOFT_DMA_SSID_SSV | fz_below(f, 4));
	v = fz_u32(f);
	r->cons = v;
	__atomic_store_n(&r->prod, v, __ATOMIC_RELEASE);
	if (!fz_rare(f, 16))
		__atomic_store_n(&r->ctrl, UIOMMU_SOFT_DMA_CTRL_ENABLE,
				 __ATOMIC_RELEASE);
}

static void
act_dma_desc(struct fz *f)
{
	struct uiommu_soft_dma_desc d = {
		.src = gen_iova(f),
		.dst = gen_iova(f),
		.len = fz_rare(f, 32) ? fz_u32(f) : 1 + fz_below(f, 9000),
		.flags = fz_rare(f, 16) ? fz_u32(f) : 0,
		.cookie = fz_u64(f),
	};
	uint8_t *p = gptr(gen_gpa(f, 64), sizeof(d));

	if (p != NULL)
		memcpy(p, &d, sizeof(d));
}

static void
act_dma_kick(struct fz *f, struct sx *s)
{
	struct uiommu_soft_dma_regs *r = s->dregs[fz_below(f, NDEV)];
	uint32_t prod = r->prod;

	prod = fz_rare(f, 16) ? fz_u32(f) : prod + 1 + fz_below(f, 8);
	__atomic_store_n(&r->prod, prod, __ATOMIC_RELEASE);
}

static void
act_poll(struct fz *f, struct sx *s)
{
	const unsigned int budget = 1 + fz_below(f, 64);
	uint64_t before[NDEV], bytes[NDEV];
	uint32_t cons[NDEV];
	unsigned int work, total = 0;

	for (unsigned int i = 0; i < NDEV; i++) {
		before[i] = s->dregs[i]->desc_ok + s->dregs[i]->desc_err;
		bytes[i] = s->dregs[i]->bytes;
		cons[i] = s->dregs[i]->cons;
	}
	work = uiommu_viommu_poll(s->v, budget);
	FZ_CHECKF(work <= budget, "poll did %u units, budget %u", work, budget);
	for (unsigned int i = 0; i < NDEV; i++) {
		const struct uiommu_soft_dma_regs *r = s->dregs[i];
		uint64_t d = r->desc_ok + r->desc_err - before[i];

		FZ_CHECK(d <= UIOMMU_SOFT_DMA_BUDGET);
		FZ_CHECK(r->bytes - bytes[i] <= d * UIOMMU_SOFT_DMA_MAX_LEN);
		if (d > 0 && !s->touched[i])
			FZ_CHECK((uint32_t)(r->cons - cons[i]) == d);
		s->touched[i] = false;
		if (r->status & UIOMMU_SOFT_DMA_STATUS_HALTED) {
			FZ_CHECK(r->error >= UIOMMU_SOFT_DMA_ERR_RING_CFG &&
				 r->error <= UIOMMU_SOFT_DMA_ERR_WRITEBACK);
			fz_stat("DMA engine halted");
		}
		FZ_CHECK(r->magic == UIOMMU_SOFT_DMA_MAGIC &&
			 r->version == UIOMMU_SOFT_DMA_VERSION);
		total += (unsigned int)d;
		for (uint64_t k = 0; k < d; k++)
			fz_stat("DMA descriptor executed");
	}
	FZ_CHECK(total <= work);
}

static void
act_events(struct sx *s)
{
	struct uiommu_event ev[32];
	uint64_t lost;
	unsigned int n = uiommu_viommu_event_read(s->v, ev, RTE_DIM(ev), &lost);

	FZ_CHECK(n <= RTE_DIM(ev));
	for (unsigned int i = 0; i < n; i++) {
		check_event(s, &ev[i]);
		fz_stat("event record checked");
	}
}

static void
act_remap_b(struct sx *s)
{
	if (s->b_mapped) {
		FZ_CHECK(uiommu_vm_mem_del(s->vm, B_GPA, B_SIZE) == 0);
		s->b_mapped = false;
	} else {
		FZ_CHECK(uiommu_vm_mem_add_hva(s->vm, B_GPA, B_SIZE, rb.base) == 0);
		s->b_mapped = true;
	}
}

/* ---- set-up ----------------------------------------------------------- */

static void
bystander_init(void)
{
	fz_mem_init(&by_ram, 0x10000, 4096);
	fz_mem_canary_fill(&by_ram, BY_SEED);
	FZ_CHECK(uiommu_vm_create("bystander", &by_vm) == 0);
	FZ_CHECK(uiommu_vm_mem_add_hva(by_vm, A_GPA, by_ram.len,
				       by_ram.base) == 0);
	FZ_CHECK(uiommu_viommu_create(by_vm, "soft", NULL, &by_v) == 0);
}

static void
sx_setup(struct sx *s, struct fz *f)
{
	const char *args = fz_chance(f, 200) ? NULL : "s2=off";
	uint64_t off;

	memset(s, 0, sizeof(*s));
	memset(ra.base, 0, ra.len);
	memset(rb.base, 0, rb.len);
	FZ_CHECK(uiommu_vm_create("fuzz-soft", &s->vm) == 0);
	FZ_CHECK(uiommu_vm_mem_add_hva(s->vm, A_GPA, A_SIZE, ra.base) == 0);
	FZ_CHECK(uiommu_vm_mem_add_hva(s->vm, B_GPA, B_SIZE, rb.base) == 0);
	s->b_mapped = true;
	FZ_CHECK(uiommu_viommu_create(s->vm, "soft", args, &s->v) == 0);
	FZ_CHECK(uiommu_viommu_set_strtab(s->v, A_GPA, 1) == 0);
	for (unsigned int i = 0; i < NDEV; i++) {
		struct uiommu_vdevice_info info;
		char spec[32];

		s->vsid[i] = i;
		snprintf(spec, sizeof(spec), "soft:dma%u", i);
		FZ_CHECK(uiommu_vdevice_add(s->v, i, spec, &info, &s->dev[i]) == 0);
		FZ_CHECK(info.has_regs);
		s->dregs[i] = (struct uiommu_soft_dma_regs *)(void *)
			((uint8_t *)uiommu_viommu_ctrl_base(s->v) + info.regs_offset);
	}
	FZ_CHECK(uiommu_vcmdq_create(s->v, 0, RING_LOG2, RING_GPA, &s->q,
				     &off) == 0);
	FZ_CHECK(uiommu_vcmdq_prod_init(&s->p, (struct uiommu_cmd *)(void *)
					gptr(RING_GPA, 16u << RING_LOG2), RING_LOG2,
					(struct uiommu_vcmdq_regs *)(void *)
					((uint8_t *)uiommu_viommu_ctrl_base(s->v) +
					 off)) == 0);
	FZ_CHECK(uiommu_vcmdq_prod_enable(&s->p, 0) == 0);
	(void)uiommu_vcmdq_process(s->q, 0);
	FZ_CHECK(uiommu_vcmdq_prod_enabled(&s->p));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool init;
	struct fz f;
	struct sx s;

	if (!init) {
		fz_quiet();
		fz_mem_init(&ra, A_SIZE, 4096);
		fz_mem_init(&rb, B_SIZE, 4096);
		bystander_init();
		init = true;
	}
	fz_init(&f, data, size);
	sx_setup(&s, &f);
	for (unsigned int n = 0; n < MAX_ACTIONS && !fz_empty(&f); n++) {
		switch (fz_below(&f, 18)) {
		case 0: case 1: case 2:
			for (unsigned int k = 0, m = 1 + fz_below(&f, 8); k < m; k++)
				w64(gen_gpa(&f, 8), gen_desc(&f));
			break;
		case 3:
			act_ste(&f, &s);
			break;
		case 4:
			act_cd(&f);
			break;
		case 5: case 6:
			act_cmds(&f, &s);
			break;
		case 7: case 8: case 9:
			act_xlate(&f, &s);
			break;
		case 10:
			act_dma_setup(&f, &s);
			break;
		case 11:
			act_dma_desc(&f);
			break;
		case 12:
			act_dma_kick(&f, &s);
			break;
		case 13:
			act_poll(&f, &s);
			break;
		case 14:
			act_events(&s);
			break;
		case 15:
			act_template_cfg(&f, &s);
			break;
		case 16:
			act_template_dma(&f, &s);
			break;
		default:
			if (fz_rare(&f, 32))
				act_remap_b(&s);
			break;
		}
	}
	act_events(&s);
	uiommu_vm_destroy(s.vm);
	FZ_CHECK(fz_mem_canary_ok(&by_ram, BY_SEED));
	/* The bystander's vIOMMU still answers: its RAM translates (bypass
	 * is not configured, so a blocked device; just poll it). */
	FZ_CHECK(uiommu_viommu_poll(by_v, 8) == 0);
	return 0;
}
