/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Soft backend translation: stream table, CD cache, nested walk, IOTLB.
 *
 * Design. A device access (IOVA, read/write, optional substream) is
 * translated according to the stream's mode:
 *
 *   ABORT      terminated, no event (STE.Config = abort, or not configured)
 *   BAD_STE    C_BAD_STE (the guest's STE had V = 0)
 *   BYPASS     IOVA = guest-physical address, checked against guest RAM
 *   S2         IOVA = IPA, translated by the vIOMMU's stage 2
 *   S1         stage 1 from the guest's CD; its output is a guest-physical
 *              address (vIOMMU created with "s2=off")
 *   NESTED     stage 1, then stage 2 for every stage-1 table access, for
 *              the CD fetch and for the stage-1 output
 *
 * Stage 1: the substream selects a CD (S1CDMax, S1DSS as SMMUv3 defines
 * them); the CD is read from guest memory at S1ContextPtr + 64 * SSID, an
 * IPA translated through stage 2 in nested mode, decoded by
 * uiommu_cd_decode() and cached per stream until CFGI_CD / CFGI_CD_ALL /
 * CFGI_STE / CFGI_ALL (or a stage-2 unmap) drops it. The stage-1 tables are
 * walked by lib/pgtable's hostile walker, uiommu_lpae_walk(), whose
 * read_pte callback (soft_s1_read_pte) translates each table address through
 * stage 2 (a fault there is a stage-2 fault with CLASS = TT), checks the
 * host address lies in guest RAM and reads the descriptor once. The
 * stage-2 translations of table and CD fetches are cached in the IOTLB as
 * stage-2 entries (no ASID tag), as an SMMU caches the stage-2 part of its
 * walks; they are dropped with the VMID's entries (s2_unmap, NH_ALL). The
 * walker bounds everything: at most 4 stage-1 descriptors, each costing at
 * most a 4-level stage-2 walk, then one final stage-2 walk: 24 reads at
 * most.
 *
 * Permissions: a device access is an unprivileged data access. Stage 1
 * grants read when AP[1] (UNPRIV) is set and write when additionally AP[2]
 * (RDONLY) is clear; stage 2 grants what S2AP says. Both must allow the
 * access; a refusal is F_PERMISSION with S2 telling the stage.
 *
 * IOTLB: the final translation (host address, both stages' permissions
 * ANDed, leaf size = the smaller of the two stages' leaves) is cached
 * tagged by (VMID, ASID) for stage-1 modes and by (VMID, no ASID) for S2.
 * A hit whose permissions do not allow the access is re-walked so the fault
 * record names the right stage. Everything here runs inside an IOTLB RCU
 * reader bracket held by the caller (poll() or the translate op).
 *
 * The CD cache follows the same protocol as the IOTLB (see iotlb.c): a
 * per-slot sequence lock for readers, and an invalidation generation
 * (vi->cfg_gen) read before the CD fetch so that a fetch racing with CFGI
 * cannot leave a stale CD cached once the invalidation has completed.
 *
 * Dumps (soft_dump.c) reuse this path: soft_s1_context() selects the CD as
 * a translation would (a probe: nothing is recorded) and the dump walks
 * with soft_s1_read_pte().
 */
#include <string.h>

#include <rte_byteorder.h>
#include <rte_pause.h>

#include "soft_private.h"

_Static_assert(UIOMMU_ACCESS_READ == UIOMMU_PROT_READ &&
	       UIOMMU_ACCESS_WRITE == UIOMMU_PROT_WRITE &&
	       UIOMMU_PROT_READ == UIOMMU_IOTLB_PERM_READ &&
	       UIOMMU_PROT_WRITE == UIOMMU_IOTLB_PERM_WRITE,
	       "access, prot and IOTLB permission bits coincide");

#define CLASS_CD 0
#define CLASS_TT 1
#define CLASS_IN 2

#define CD_W0_ASID_SHIFT 48
#define CD_W0_TTB_MASK   0x0000fffffffffff0ULL
#define CD_W1_SSID_MASK  0xfffffULL
#define CD_W1_IAS_SHIFT  32
#define CD_W1_OAS_SHIFT  40
#define CD_W1_EPD0       (1ULL << 48)
#define CD_W1_AFFD       (1ULL << 49)
#define SEQ_TRIES 4

/* ---- guest RAM helpers ---- */

/* True when [hva, hva + len - 1] lies in one guest RAM region. */
static bool
hva_in_ram(const struct uiommu_gmem *gm, uint64_t hva, uint64_t len)
{
	for (uint32_t i = 0; i < gm->nr; i++) {
		uint64_t base = (uint64_t)(uintptr_t)gm->r[i].hva;

		if (hva >= base && len <= gm->r[i].size &&
		    hva - base <= gm->r[i].size - len)
			return true;
	}
	return false;
}

/* Region holding gpa, or NULL. */
static const struct uiommu_gmem_region *
gmem_region(const struct uiommu_gmem *gm, uint64_t gpa)
{
	for (uint32_t i = 0; i < gm->nr; i++)
		if (gpa >= gm->r[i].gpa && gpa <= gm->r[i].last)
			return &gm->r[i];
	return NULL;
}

/* ---- faults ---- */

static uint8_t
lpae_fault_event(enum uiommu_lpae_fault f)
{
	switch (f) {
	case UIOMMU_LPAE_FAULT_ADDR_SIZE:
		return UIOMMU_EVT_F_ADDR_SIZE;
	case UIOMMU_LPAE_FAULT_ACCESS:
		return UIOMMU_EVT_F_ACCESS;
	case UIOMMU_LPAE_FAULT_WALK_EABT:
		return UIOMMU_EVT_F_WALK_EABT;
	case UIOMMU_LPAE_FAULT_TRANSLATION:
	default:
		return UIOMMU_EVT_F_TRANSLATION;
	}
}

struct xl_req {
	struct soft_dev *dev;
	bool ssv;
	uint32_t ssid;
	uint64_t iova;
	uint32_t access;      /* READ / WRITE only */
	bool probe;           /* inspection: record no event */
	struct uiommu_event *fault;
};

/*
 * Build the fault record, push it to the event queue (unless id == 0: an
 * access terminated without an event, or a probe) and return -EFAULT.
 */
static int
xl_fault(const struct xl_req *rq, uint8_t id, bool s2, uint8_t class_,
	 uint64_t ipa)
{
	struct uiommu_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.id = id;
	ev.rnw = !(rq->access & UIOMMU_ACCESS_WRITE);
	ev.s2 = s2;
	ev.class_ = class_;
	ev.sid = rq->dev->vsid;
	ev.ssid = rq->ssv ? rq->ssid : 0;
	ev.input_addr = rq->iova;
	ev.ipa = ipa;
	if (id != 0) {
		soft_event_encode(&ev, rq->ssv);
		if (!rq->probe)
			soft_evtq_push(&rq->dev->vi->evtq, &ev);
	}
	if (rq->fault != NULL)
		*rq->fault = ev;
	return -EFAULT;
}

static inline bool
perm_ok(uint32_t perm, uint32_t access)
{
	return (access & ~perm) == 0;
}

/* ---- stage 2 ---- */

/* Stage-2 permission bits of a walk result, as UIOMMU_PROT_*. */
static inline uint32_t
s2_perm(const struct uiommu_lpae_walk_result *r)
{
	return ((r->perm & UIOMMU_LPAE_PERM_READ) ? UIOMMU_PROT_READ : 0) |
	       ((r->perm & UIOMMU_LPAE_PERM_WRITE) ? UIOMMU_PROT_WRITE : 0);
}

/*
 * Translate an IPA through the vIOMMU's stage 2 for an access needing
 * @p need. @return 0, or the event ID of the stage-2 fault.
 */
static uint8_t
s2_xlate(struct soft_viommu *vi, uint64_t ipa, uint32_t need,
	 struct uiommu_lpae_walk_result *r)
{
	if (uiommu_lpae_walk(&vi->s2_walk, ipa, r) != 0)
		return lpae_fault_event(r->fault);
	if (!perm_ok(s2_perm(r), need))
		return UIOMMU_EVT_F_PERMISSION;
	return 0;
}

/*
 * Stage-2 translation of a table or CD fetch (a read inside one 4 KiB page
 * at ipa). Served by the IOTLB's stage-2 entries (tagged with no ASID: the
 * same IPA -> host translations stage-2-only streams use) or walked and
 * cached, as an SMMU caches stage-2 translations of table walks. Cached
 * entries were bounds-checked (whole leaf in guest RAM) when inserted.
 * @return 0 with *hva set; the event ID of a stage-2 fault; or
 *         UIOMMU_EVT_F_WALK_EABT when the leaf is not guest RAM.
 */
static uint8_t
s2_fetch(struct soft_viommu *vi, uint64_t ipa, const uint64_t **hva)
{
	struct uiommu_lpae_walk_result r;
	struct uiommu_iotlb_fill fill;
	struct uiommu_iotlb_hit hit;
	uint64_t gen;
	uint8_t evt;

	if (uiommu_iotlb_lookup(vi->tlb, vi->vmid, UIOMMU_IOTLB_NO_ASID, ipa,
				&hit) && (hit.perm & UIOMMU_PROT_READ)) {
		*hva = (const uint64_t *)(uintptr_t)hit.hva;
		return 0;
	}
	/* W1: before the walk. */
	gen = uiommu_iotlb_gen(vi->tlb);
	evt = s2_xlate(vi, ipa, UIOMMU_ACCESS_READ, &r);
	if (evt != 0)
		return evt;
	if (!hva_in_ram(vi->gmem, r.leaf_oa, r.leaf_size))
		return UIOMMU_EVT_F_WALK_EABT;
	fill = (struct uiommu_iotlb_fill){
		.vmid = vi->vmid, .asid = UIOMMU_IOTLB_NO_ASID, .iova = ipa,
		.hva = r.oa, .size = r.leaf_size, .perm = s2_perm(&r),
	};
	uiommu_iotlb_insert(vi->tlb, &fill, gen);
	*hva = (const uint64_t *)(uintptr_t)r.oa;
	return 0;
}

/* ---- stage-1 table reads ---- */

int
soft_s1_read_pte(void *ctx, uint64_t table_addr, uint64_t byte_offset,
		 uint64_t *pte)
{
	struct soft_s1_walk_ctx *c = ctx;
	const uint64_t *p;
	uint64_t ipa, v;

	if (byte_offset >= UIOMMU_LPAE_GRANULE || (byte_offset & 7) ||
	    __builtin_add_overflow(table_addr, byte_offset, &ipa))
		return -EINVAL;
	c->fetch_ipa = ipa;
	if (c->nested) {
		uint8_t evt = s2_fetch(c->vi, ipa, &p);

		/* Not guest RAM after stage 2: external abort (S2 = 0). */
		if (evt == UIOMMU_EVT_F_WALK_EABT)
			return -EFAULT;
		if (evt != 0) {
			c->s2_fault = true;
			c->s2_evt = evt;
			return -EFAULT;
		}
	} else {
		p = uiommu_gmem_ptr(c->vi->gmem, ipa, 8);
		if (p == NULL)
			return -EFAULT;
	}
	/* Single-copy atomic read; acquire pairs with the guest's release
	 * store that published the table. */
	v = rte_le_to_cpu_64(__atomic_load_n(p, __ATOMIC_ACQUIRE));
	/* CD.AFFD: AF is considered set. Bit 10 is ignored in table and
	 * invalid descriptors, so setting it everywhere is exact. */
	if (c->affd)
		v |= UIOMMU_LPAE_PTE_AF;
	*pte = v;
	return 0;
}

/* ---- CD cache ---- */

static bool
cd_slot_read(struct soft_cd_slot *slot, uint32_t idx, struct soft_cd *cd)
{
	for (unsigned int t = 0; t < SEQ_TRIES; t++) {
		/* C1: pairs with the release in cd_slot_unlock(). */
		uint32_t s1 = __atomic_load_n(&slot->seq, __ATOMIC_ACQUIRE);
		uint64_t w0, w1;

		if (s1 & 1) {
			rte_pause();
			continue;
		}
		w0 = __atomic_load_n(&slot->w0, __ATOMIC_RELAXED);
		w1 = __atomic_load_n(&slot->w1, __ATOMIC_RELAXED);
		/* C2: word loads before the seq reload. */
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&slot->seq, __ATOMIC_RELAXED) != s1)
			continue;
		if (!(w1 & SOFT_CD_TAG_VALID) || (w1 & CD_W1_SSID_MASK) != idx)
			return false;
		cd->ttb0 = w0 & CD_W0_TTB_MASK;
		cd->asid = (uint16_t)(w0 >> CD_W0_ASID_SHIFT);
		cd->ias = (uint8_t)(w1 >> CD_W1_IAS_SHIFT);
		cd->oas = (uint8_t)(w1 >> CD_W1_OAS_SHIFT);
		cd->epd0 = !!(w1 & CD_W1_EPD0);
		cd->affd = !!(w1 & CD_W1_AFFD);
		return true;
	}
	return false;
}

static bool
cd_slot_trylock(struct soft_cd_slot *slot, uint32_t *seq)
{
	uint32_t s = __atomic_load_n(&slot->seq, __ATOMIC_RELAXED);

	if (s & 1)
		return false;
	if (!__atomic_compare_exchange_n(&slot->seq, &s, s + 1, false,
					 __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return false;
	*seq = s;
	return true;
}

static uint32_t
cd_slot_lock(struct soft_cd_slot *slot)
{
	uint32_t s;

	while (!cd_slot_trylock(slot, &s))
		rte_pause();
	return s;
}

static void
cd_slot_unlock(struct soft_cd_slot *slot, uint32_t s)
{
	/* Release: word stores before the even seq (pairs with C1). */
	__atomic_store_n(&slot->seq, s + 2, __ATOMIC_RELEASE);
}

static void
cd_slot_fill(struct soft_viommu *vi, struct soft_cd_slot *slot, uint32_t idx,
	     const struct soft_cd *cd, uint64_t gen)
{
	uint64_t w0 = (cd->ttb0 & CD_W0_TTB_MASK) |
		      ((uint64_t)cd->asid << CD_W0_ASID_SHIFT);
	uint64_t w1 = idx | SOFT_CD_TAG_VALID |
		      ((uint64_t)cd->ias << CD_W1_IAS_SHIFT) |
		      ((uint64_t)cd->oas << CD_W1_OAS_SHIFT) |
		      (cd->epd0 ? CD_W1_EPD0 : 0) | (cd->affd ? CD_W1_AFFD : 0);
	uint32_t s;

	if (!cd_slot_trylock(slot, &s))
		return;
	__atomic_store_n(&slot->w0, w0, __ATOMIC_RELAXED);
	__atomic_store_n(&slot->w1, w1, __ATOMIC_RELAXED);
	cd_slot_unlock(slot, s);
	/* W3 of the IOTLB protocol, for the CD cache: pairs with the fence in
	 * soft_cfg_gen_bump(). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (__atomic_load_n(&vi->cfg_gen, __ATOMIC_RELAXED) == gen)
		return;
	s = cd_slot_lock(slot);
	if (slot->w0 == w0 && slot->w1 == w1)
		__atomic_store_n(&slot->w1, 0, __ATOMIC_RELAXED);
	cd_slot_unlock(slot, s);
}

void
soft_cfg_gen_bump(struct soft_viommu *vi)
{
	/* I1 for the CD cache: pairs with the fence in cd_slot_fill(). */
	__atomic_fetch_add(&vi->cfg_gen, 1, __ATOMIC_SEQ_CST);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

void
soft_cd_cache_drop(struct soft_viommu *vi, struct soft_cfg *cfg, bool all,
		   uint32_t ssid)
{
	RTE_SET_USED(vi);
	if (cfg == NULL || cfg->is_static)
		return;
	for (unsigned int i = 0; i < SOFT_CD_SLOTS; i++) {
		struct soft_cd_slot *slot = &cfg->cd[i];
		uint32_t s;

		if (!all && i != (ssid & (SOFT_CD_SLOTS - 1)))
			continue;
		s = cd_slot_lock(slot);
		if (all || (slot->w1 & CD_W1_SSID_MASK) == ssid)
			__atomic_store_n(&slot->w1, 0, __ATOMIC_RELAXED);
		cd_slot_unlock(slot, s);
	}
}

/* Fetch, decode and cache the CD at index idx of the stream's CD table. */
static int
cd_get(const struct xl_req *rq, struct soft_cfg *cfg, uint32_t idx,
       struct soft_cd *cd)
{
	struct soft_viommu *vi = rq->dev->vi;
	struct soft_cd_slot *slot = &cfg->cd[idx & (SOFT_CD_SLOTS - 1)];
	struct uiommu_cd_info info;
	uint64_t raw[8], addr, gen;
	const uint64_t *p;

	if (cd_slot_read(slot, idx, cd))
		return 0;
	/* W1 for the CD cache. */
	gen = __atomic_load_n(&vi->cfg_gen, __ATOMIC_ACQUIRE);
	__atomic_fetch_add(&vi->cd_fetches, 1, __ATOMIC_RELAXED);
	/* s1ctxptr < 2^52 and idx < 2^UIOMMU_MAX_S1CDMAX: no overflow. */
	addr = cfg->s1ctxptr + (uint64_t)idx * UIOMMU_CD_SIZE;
	if (vi->s2_enabled) {
		uint8_t evt = s2_fetch(vi, addr, &p);

		if (evt == UIOMMU_EVT_F_WALK_EABT)
			return xl_fault(rq, UIOMMU_EVT_F_CD_FETCH, false,
					CLASS_CD, addr);
		if (evt != 0)
			return xl_fault(rq, evt, true, CLASS_CD, addr);
	} else {
		p = uiommu_gmem_ptr(vi->gmem, addr, UIOMMU_CD_SIZE);
		if (p == NULL)
			return xl_fault(rq, UIOMMU_EVT_F_CD_FETCH, false,
					CLASS_CD, addr);
	}
	/* A private copy: the guest may rewrite the CD while we decode. */
	for (unsigned int i = 0; i < 8; i++)
		raw[i] = __atomic_load_n(&p[i], __ATOMIC_RELAXED);
	if (uiommu_cd_decode(raw, &info) != 0 || !info.valid)
		return xl_fault(rq, UIOMMU_EVT_C_BAD_CD, false, CLASS_CD, 0);
	cd->ttb0 = info.ttb0;
	cd->asid = info.asid;
	cd->ias = (uint8_t)(64 - info.t0sz);
	cd->oas = (uint8_t)RTE_MIN(uiommu_smmu_ips_bits(info.ips), 48u);
	cd->epd0 = info.epd0;
	cd->affd = info.affd;
	cd_slot_fill(vi, slot, idx, cd, gen);
	return 0;
}

/* ---- translation by mode ---- */

static void
xl_set(struct soft_xl *xl, uint64_t hva, uint64_t iova, uint64_t size,
       uint32_t perm, bool hit)
{
	xl->hva = hva;
	xl->contig = size - (iova & (size - 1));
	xl->perm = perm;
	xl->hit = hit;
}

static int
xl_bypass(const struct xl_req *rq, struct soft_xl *xl)
{
	const struct uiommu_gmem_region *r = gmem_region(rq->dev->vi->gmem,
							 rq->iova);

	if (r == NULL)
		return xl_fault(rq, 0, false, CLASS_IN, 0);
	xl->hva = (uint64_t)(uintptr_t)r->hva + (rq->iova - r->gpa);
	xl->contig = r->last - rq->iova + 1;
	xl->perm = UIOMMU_PROT_READ | UIOMMU_PROT_WRITE;
	xl->hit = false;
	return 0;
}

static int
xl_s2only(const struct xl_req *rq, struct soft_xl *xl,
	  struct soft_xl_detail *detail)
{
	struct soft_viommu *vi = rq->dev->vi;
	struct uiommu_lpae_walk_result r;
	struct uiommu_iotlb_fill fill;
	struct uiommu_iotlb_hit hit;
	uint64_t gen;
	uint8_t evt;

	if (uiommu_iotlb_lookup(vi->tlb, vi->vmid, UIOMMU_IOTLB_NO_ASID,
				rq->iova, &hit) && perm_ok(hit.perm, rq->access)) {
		xl_set(xl, hit.hva, rq->iova, hit.size, hit.perm, true);
		return 0;
	}
	gen = uiommu_iotlb_gen(vi->tlb);
	evt = s2_xlate(vi, rq->iova, rq->access, &r);
	if (evt != 0)
		return xl_fault(rq, evt, true, CLASS_IN, rq->iova);
	if (!hva_in_ram(vi->gmem, r.leaf_oa, r.leaf_size))
		return xl_fault(rq, 0, false, CLASS_IN, 0);
	xl_set(xl, r.oa, rq->iova, r.leaf_size, s2_perm(&r), false);
	if (detail != NULL) {
		detail->s2 = (struct uiommu_xlate_stage){
			.in = rq->iova, .out = r.oa, .pgsize = r.leaf_size,
			.prot = s2_perm(&r), .level = (uint8_t)r.level,
			.valid = 1,
		};
	}
	fill = (struct uiommu_iotlb_fill){
		.vmid = vi->vmid, .asid = UIOMMU_IOTLB_NO_ASID,
		.iova = rq->iova, .hva = r.oa, .size = r.leaf_size,
		.perm = s2_perm(&r),
	};
	uiommu_iotlb_insert(vi->tlb, &fill, gen);
	return 0;
}

/*
 * Stage-1 only: the output IPA is a guest-physical address. The cached leaf
 * is the stage-1 leaf when it lies wholly in one RAM region, else 4 KiB.
 */
static int
s1_output_ram(struct soft_viommu *vi, uint64_t ipa, uint64_t s1size,
	      uint64_t *hva, uint64_t *size)
{
	const struct uiommu_gmem_region *r = gmem_region(vi->gmem, ipa);
	uint64_t block;

	if (r == NULL)
		return -EFAULT;
	*hva = (uint64_t)(uintptr_t)r->hva + (ipa - r->gpa);
	block = ipa & ~(s1size - 1);
	if (block >= r->gpa && block + (s1size - 1) <= r->last &&
	    ((*hva - (ipa - block)) & (UIOMMU_LPAE_GRANULE - 1)) == 0)
		*size = s1size;
	else
		*size = UIOMMU_LPAE_GRANULE;
	return 0;
}

static int
xl_stage1(const struct xl_req *rq, struct soft_cfg *cfg, uint32_t idx,
	  struct soft_xl *xl, struct soft_xl_detail *detail)
{
	struct soft_viommu *vi = rq->dev->vi;
	bool nested = cfg->mode == SOFT_MODE_NESTED;
	struct uiommu_lpae_walk_result r1, r2;
	struct uiommu_lpae_walk_cfg wcfg;
	struct uiommu_iotlb_fill fill;
	struct uiommu_iotlb_hit hit;
	struct soft_s1_walk_ctx wctx;
	uint64_t gen, ipa, hva, size, s2size;
	struct soft_cd cd = {0};
	uint32_t s1perm, perm;
	int rc;

	rc = cd_get(rq, cfg, idx, &cd);
	if (rc != 0)
		return rc;
	if (cd.epd0)
		return xl_fault(rq, UIOMMU_EVT_F_TRANSLATION, false, CLASS_IN, 0);
	if (uiommu_iotlb_lookup(vi->tlb, vi->vmid, cd.asid, rq->iova, &hit) &&
	    perm_ok(hit.perm, rq->access)) {
		xl_set(xl, hit.hva, rq->iova, hit.size, hit.perm, true);
		return 0;
	}

	/* W1: before any table is read. */
	gen = uiommu_iotlb_gen(vi->tlb);
	memset(&wcfg, 0, sizeof(wcfg));
	wcfg.stage = 1;
	wcfg.ias = cd.ias;
	wcfg.tg = UIOMMU_LPAE_TG0_4K;
	wcfg.sl0 = UIOMMU_LPAE_SL0_AUTO;
	wcfg.oas = cd.oas;
	wcfg.ttb = cd.ttb0;
	wcfg.read_pte = soft_s1_read_pte;
	wcfg.ctx = &wctx;
	wctx = (struct soft_s1_walk_ctx){ .vi = vi, .nested = nested,
					  .affd = cd.affd };
	if (uiommu_lpae_walk(&wcfg, rq->iova, &r1) != 0) {
		switch (r1.fault) {
		case UIOMMU_LPAE_FAULT_WALK_EABT:
			if (wctx.s2_fault)
				return xl_fault(rq, wctx.s2_evt, true, CLASS_TT,
						wctx.fetch_ipa);
			return xl_fault(rq, UIOMMU_EVT_F_WALK_EABT, false,
					CLASS_TT, wctx.fetch_ipa);
		case UIOMMU_LPAE_FAULT_CONFIG:
			return xl_fault(rq, UIOMMU_EVT_C_BAD_CD, false,
					CLASS_CD, 0);
		default:
			return xl_fault(rq, lpae_fault_event(r1.fault), false,
					CLASS_IN, 0);
		}
	}
	s1perm = 0;
	if (r1.perm & UIOMMU_LPAE_PERM_UNPRIV) {
		if (r1.perm & UIOMMU_LPAE_PERM_READ)
			s1perm |= UIOMMU_PROT_READ;
		if (r1.perm & UIOMMU_LPAE_PERM_WRITE)
			s1perm |= UIOMMU_PROT_WRITE;
	}
	if (!perm_ok(s1perm, rq->access))
		return xl_fault(rq, UIOMMU_EVT_F_PERMISSION, false, CLASS_IN, 0);
	ipa = r1.oa;

	if (nested) {
		uint8_t evt = s2_xlate(vi, ipa, rq->access, &r2);

		if (evt != 0)
			return xl_fault(rq, evt, true, CLASS_IN, ipa);
		s2size = r2.leaf_size;
		hva = r2.oa;
		perm = s1perm & s2_perm(&r2);
	} else {
		if (s1_output_ram(vi, ipa, r1.leaf_size, &hva, &s2size) != 0)
			return xl_fault(rq, 0, false, CLASS_IN, 0);
		perm = s1perm;
	}
	size = RTE_MIN(r1.leaf_size, s2size);
	/* Bounds check of the whole cached page. */
	if (!hva_in_ram(vi->gmem, hva - (rq->iova & (size - 1)), size))
		return xl_fault(rq, 0, false, CLASS_IN, 0);
	xl_set(xl, hva, rq->iova, size, perm, false);
	if (detail != NULL) {
		detail->s1 = (struct uiommu_xlate_stage){
			.in = rq->iova, .out = ipa, .pgsize = r1.leaf_size,
			.prot = s1perm, .level = (uint8_t)r1.level, .valid = 1,
		};
		if (nested)
			detail->s2 = (struct uiommu_xlate_stage){
				.in = ipa, .out = hva, .pgsize = r2.leaf_size,
				.prot = s2_perm(&r2), .level = (uint8_t)r2.level,
				.valid = 1,
			};
	}
	fill = (struct uiommu_iotlb_fill){
		.vmid = vi->vmid, .asid = cd.asid, .iova = rq->iova,
		.hva = hva, .size = size, .perm = perm,
	};
	uiommu_iotlb_insert(vi->tlb, &fill, gen);
	return 0;
}

/* Outcomes of s1_select() other than an event ID. */
#define S1_SEL_CD     0
#define S1_SEL_BYPASS (-1)

/*
 * Substream selection (STE.S1CDMax, STE.S1DSS) of a stage-1 stream.
 * @return S1_SEL_CD with *idx the CD index; S1_SEL_BYPASS (stage 1
 *         bypassed); or the event ID (> 0) of the access.
 */
static int
s1_select(const struct soft_cfg *cfg, bool ssv, uint32_t ssid, uint32_t *idx)
{
	*idx = 0;
	if (cfg->s1cdmax == 0)
		return ssv ? UIOMMU_EVT_C_BAD_SUBSTREAMID : S1_SEL_CD;
	if (!ssv) {
		switch (cfg->s1dss) {
		case 1: /* bypass stage 1 */
			return S1_SEL_BYPASS;
		case 2: /* substream 0 */
			return S1_SEL_CD;
		default: /* terminate */
			return UIOMMU_EVT_F_STREAM_DISABLED;
		}
	}
	if ((ssid >> cfg->s1cdmax) != 0 || (ssid == 0 && cfg->s1dss == 2))
		return UIOMMU_EVT_C_BAD_SUBSTREAMID;
	*idx = ssid;
	return S1_SEL_CD;
}

int
soft_translate(struct soft_dev *dev, bool ssv, uint32_t ssid, uint64_t iova,
	       uint32_t access, struct soft_xl *xl,
	       struct soft_xl_detail *detail, struct uiommu_event *fault)
{
	struct xl_req rq = {
		.dev = dev, .ssv = ssv, .ssid = ssid, .iova = iova,
		.access = access & (UIOMMU_ACCESS_READ | UIOMMU_ACCESS_WRITE),
		.probe = (access & UIOMMU_ACCESS_PROBE) != 0, .fault = fault,
	};
	/* Pairs with the release store that published the configuration. */
	struct soft_cfg *cfg = __atomic_load_n(&dev->cfg, __ATOMIC_ACQUIRE);
	uint32_t idx = 0;
	int sel;

	switch (cfg->mode) {
	case SOFT_MODE_BAD_STE:
		return xl_fault(&rq, UIOMMU_EVT_C_BAD_STE, false, CLASS_IN, 0);
	case SOFT_MODE_BYPASS:
		return xl_bypass(&rq, xl);
	case SOFT_MODE_S2:
		return xl_s2only(&rq, xl, detail);
	case SOFT_MODE_S1:
	case SOFT_MODE_NESTED:
		break;
	case SOFT_MODE_ABORT:
	default:
		return xl_fault(&rq, 0, false, CLASS_IN, 0);
	}

	sel = s1_select(cfg, ssv, ssid, &idx);
	if (sel == S1_SEL_BYPASS) {
		if (cfg->mode == SOFT_MODE_NESTED)
			return xl_s2only(&rq, xl, detail);
		return xl_bypass(&rq, xl);
	}
	if (sel != S1_SEL_CD)
		return xl_fault(&rq, (uint8_t)sel, false, CLASS_IN, 0);
	return xl_stage1(&rq, cfg, idx, xl, detail);
}

int
soft_s1_context(struct soft_dev *dev, bool ssv, uint32_t ssid,
		struct soft_s1_info *out)
{
	/* A probe: a CD that cannot be used is reported, never recorded. */
	struct uiommu_event ev;
	struct xl_req rq = {
		.dev = dev, .ssv = ssv, .ssid = ssid,
		.access = UIOMMU_ACCESS_READ, .probe = true, .fault = &ev,
	};
	/* Pairs with the release store that published the configuration. */
	struct soft_cfg *cfg = __atomic_load_n(&dev->cfg, __ATOMIC_ACQUIRE);
	uint32_t idx = 0;
	int sel;

	memset(out, 0, sizeof(*out));
	memset(&ev, 0, sizeof(ev));
	switch (cfg->mode) {
	case SOFT_MODE_BAD_STE:
		out->state = UIOMMU_PT_DUMP_ST_BAD_STE;
		return 0;
	case SOFT_MODE_BYPASS:
	case SOFT_MODE_S2:
		out->state = UIOMMU_PT_DUMP_ST_BYPASS;
		return 0;
	case SOFT_MODE_S1:
	case SOFT_MODE_NESTED:
		break;
	case SOFT_MODE_ABORT:
	default:
		out->state = UIOMMU_PT_DUMP_ST_ABORT;
		return 0;
	}
	out->nested = cfg->mode == SOFT_MODE_NESTED;
	sel = s1_select(cfg, ssv, ssid, &idx);
	if (sel == S1_SEL_BYPASS) {
		out->state = UIOMMU_PT_DUMP_ST_BYPASS;
		return 0;
	}
	if (sel != S1_SEL_CD) {
		out->state = UIOMMU_PT_DUMP_ST_FAULT;
		out->event = (uint8_t)sel;
		return 0;
	}
	if (cd_get(&rq, cfg, idx, &out->cd) != 0) {
		out->state = UIOMMU_PT_DUMP_ST_FAULT;
		out->event = ev.id;
		return 0;
	}
	if (out->cd.epd0) {
		out->state = UIOMMU_PT_DUMP_ST_FAULT;
		out->event = UIOMMU_EVT_F_TRANSLATION;
		return 0;
	}
	out->state = UIOMMU_PT_DUMP_ST_TABLE;
	return 0;
}
