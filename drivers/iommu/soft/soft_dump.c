/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Soft backend: page-table dumps (PT_DUMP, uiommu-ctl dump).
 *
 * Design. Two tables can be dumped:
 *
 *  - the guest's stage-1 tables of a stream (vdevice_pt_dump). The stage-1
 *    context is selected exactly as a translation selects it
 *    (soft_s1_context(): STE mode, substream, CD fetched through stage 2
 *    and decoded, as a probe that records nothing); then lib/pgtable's
 *    uiommu_lpae_dump() walks the range with the hostile walker, reading
 *    every descriptor through soft_s1_read_pte(), the read path of DMA
 *    translations: in nested mode each table address is an IPA translated
 *    by stage 2, a stage-2 fault or a host address outside guest RAM makes
 *    the read fail (reported as a WALK_EABT entry, never read). The reads
 *    are bounded by req->max_reads, the entries by req->max_entries.
 *    Stage-1 outputs are IPAs: reported as they are.
 *  - the vIOMMU's own stage-2 table (viommu_pt_dump), which the manager
 *    owns: walked with uiommu_pgtable_walk(). Its output and table
 *    addresses are host addresses: never reported (out_hidden, address
 *    bits of the raw descriptor cleared, ttb_hidden).
 *
 * Concurrency. The core calls both on the control thread under its lock,
 * so stage-2 map/unmap (control path) cannot run meanwhile; the vIOMMU's
 * lcore may go on translating and invalidating. The stage-1 dump runs
 * inside an IOTLB reader bracket like any translation (s2_fetch() may fill
 * the IOTLB with stage-2 entries of table fetches, as a DMA would) and
 * reports a quiescent state after each walk's entries, so a long dump never
 * holds up an invalidation's grace period for more than one walk: nothing
 * read by a walk is used after its entries are reported.
 */
#include <string.h>

#include "soft_private.h"

/* Stage-1 conversion state. */
struct s1_conv {
	uiommu_pt_dump_cb cb;
	void *arg;
	struct uiommu_iotlb *tlb;
	unsigned int reader;
};

static uint8_t
fault_kind(enum uiommu_lpae_fault f)
{
	switch (f) {
	case UIOMMU_LPAE_FAULT_TRANSLATION:
		return UIOMMU_PT_DUMP_F_TRANSLATION;
	case UIOMMU_LPAE_FAULT_ADDR_SIZE:
		return UIOMMU_PT_DUMP_F_ADDR_SIZE;
	case UIOMMU_LPAE_FAULT_ACCESS:
		return UIOMMU_PT_DUMP_F_ACCESS;
	case UIOMMU_LPAE_FAULT_WALK_EABT:
		return UIOMMU_PT_DUMP_F_WALK_EABT;
	default:
		return UIOMMU_PT_DUMP_F_NONE;
	}
}

static uint8_t
kind_of(enum uiommu_lpae_dump_kind k)
{
	switch (k) {
	case UIOMMU_LPAE_DUMP_TABLE:
		return UIOMMU_PT_DUMP_TABLE;
	case UIOMMU_LPAE_DUMP_BLOCK:
		return UIOMMU_PT_DUMP_BLOCK;
	case UIOMMU_LPAE_DUMP_PAGE:
		return UIOMMU_PT_DUMP_PAGE;
	default:
		return UIOMMU_PT_DUMP_FAULT;
	}
}

static int
s1_entry(void *arg, const struct uiommu_lpae_dump_entry *le)
{
	struct s1_conv *c = arg;
	struct uiommu_pt_dump_entry e = {
		.in = le->iova, .size = le->size, .out = le->oa, .pte = le->pte,
		.level = (uint8_t)le->level, .kind = kind_of(le->kind),
		.attr = (uint8_t)le->attr, .fault = fault_kind(le->fault),
	};

	/* A device access is unprivileged (see soft_xlate.c). */
	if ((e.kind == UIOMMU_PT_DUMP_BLOCK || e.kind == UIOMMU_PT_DUMP_PAGE) &&
	    (le->perm & UIOMMU_LPAE_PERM_UNPRIV)) {
		if (le->perm & UIOMMU_LPAE_PERM_READ)
			e.prot |= UIOMMU_PROT_READ;
		if (le->perm & UIOMMU_LPAE_PERM_WRITE)
			e.prot |= UIOMMU_PROT_WRITE;
	}
	/* The walk that produced this entry is over once its last entry (a
	 * leaf or fault) is out: nothing it read is used any more. */
	if (e.kind != UIOMMU_PT_DUMP_TABLE)
		uiommu_iotlb_reader_quiescent(c->tlb, c->reader);
	return c->cb(c->arg, &e);
}

int
soft_vdevice_pt_dump(void *dev_priv, const struct uiommu_pt_dump_req *req,
		     uiommu_pt_dump_cb cb, void *arg,
		     struct uiommu_pt_dump_res *res)
{
	struct soft_dev *dev = dev_priv;
	struct uiommu_lpae_dump_res lres;
	struct uiommu_lpae_walk_cfg wcfg;
	struct soft_s1_walk_ctx wctx;
	struct soft_s1_info s1;
	struct s1_conv conv;
	unsigned int reader;
	int rc;

	if (dev == NULL || req == NULL || cb == NULL || res == NULL)
		return -EINVAL;
	rc = uiommu_iotlb_reader_online(dev->vi->tlb, &reader);
	if (rc != 0)
		return rc;
	res->stage = 1;
	soft_s1_context(dev, req->ssv, req->ssid, &s1);
	res->state = s1.state;
	res->event = s1.event;
	if (s1.state != UIOMMU_PT_DUMP_ST_TABLE)
		goto out;
	memset(&wcfg, 0, sizeof(wcfg));
	wcfg.stage = 1;
	wcfg.ias = s1.cd.ias;
	wcfg.tg = UIOMMU_LPAE_TG0_4K;
	wcfg.sl0 = UIOMMU_LPAE_SL0_AUTO;
	wcfg.oas = s1.cd.oas;
	wcfg.ttb = s1.cd.ttb0;
	wcfg.read_pte = soft_s1_read_pte;
	wcfg.ctx = &wctx;
	wctx = (struct soft_s1_walk_ctx){ .vi = dev->vi, .nested = s1.nested,
					  .affd = s1.cd.affd };
	conv = (struct s1_conv){ .cb = cb, .arg = arg, .tlb = dev->vi->tlb,
				 .reader = reader };
	res->tag = s1.cd.asid;
	res->ttb = s1.cd.ttb0;
	res->ias = s1.cd.ias;
	res->oas = s1.cd.oas;
	rc = uiommu_lpae_dump(&wcfg, req->first, req->last, req->max_entries,
			      req->max_reads, s1_entry, &conv, &lres);
	if (rc == -EINVAL || rc == -EOPNOTSUPP) {
		/* The walker refuses this CD's geometry: a bad CD. */
		res->state = UIOMMU_PT_DUMP_ST_FAULT;
		res->event = UIOMMU_EVT_C_BAD_CD;
		rc = 0;
		goto out;
	}
	res->start_level = (uint8_t)lres.start_level;
	res->more = lres.more;
	res->read_limit = lres.read_limit;
	res->next = lres.next;
	res->entries = lres.entries;
	res->reads = lres.reads;
out:
	uiommu_iotlb_reader_offline(dev->vi->tlb, reader);
	return rc;
}

/* Stage-2 visitor state. */
struct s2_conv {
	uiommu_pt_dump_cb cb;
	void *arg;
	uint32_t max;
	uint32_t n;
	uint32_t visits;
	bool stopped;
	uint64_t next;
};

/* Visitor return that means "the reply is full" (not an errno). */
#define S2_FULL 1

static int
s2_visit(void *arg, const struct uiommu_pt_visit *v)
{
	struct s2_conv *c = arg;
	struct uiommu_pt_dump_entry e = {
		.in = v->iova, .size = v->size, .out = 0,
		/* Host addresses (tables and leaves) are never reported. */
		.pte = v->pte & ~UIOMMU_LPAE_PTE_ADDR_MASK,
		.level = (uint8_t)v->level, .out_hidden = true,
	};

	if (c->n >= c->max) {
		c->stopped = true;
		c->next = v->iova;
		return S2_FULL;
	}
	c->visits++;
	if (v->kind == UIOMMU_PT_VISIT_TABLE) {
		e.kind = UIOMMU_PT_DUMP_TABLE;
	} else {
		e.kind = v->level == 3 ? UIOMMU_PT_DUMP_PAGE :
					 UIOMMU_PT_DUMP_BLOCK;
		e.attr = (uint8_t)((v->pte & UIOMMU_LPAE_PTE_MEMATTR_MASK) >>
				   UIOMMU_LPAE_PTE_MEMATTR_SHIFT);
		if (v->prot & UIOMMU_PT_PROT_READ)
			e.prot |= UIOMMU_PROT_READ;
		if (v->prot & UIOMMU_PT_PROT_WRITE)
			e.prot |= UIOMMU_PROT_WRITE;
	}
	c->n++;
	return c->cb(c->arg, &e);
}

int
soft_viommu_pt_dump(void *priv, const struct uiommu_pt_dump_req *req,
		    uiommu_pt_dump_cb cb, void *arg,
		    struct uiommu_pt_dump_res *res)
{
	struct soft_viommu *vi = priv;
	struct uiommu_pgtable_info info;
	struct s2_conv c;
	uint64_t last;
	int rc;

	if (vi == NULL || req == NULL || cb == NULL || res == NULL)
		return -EINVAL;
	res->stage = 2;
	res->tag = vi->vmid;
	if (!vi->s2_enabled) {
		/* "s2=off": guest-physical addresses are checked against
		 * the RAM regions, there is no table. */
		res->state = UIOMMU_PT_DUMP_ST_BYPASS;
		return 0;
	}
	uiommu_pgtable_info_get(vi->s2, &info);
	res->state = UIOMMU_PT_DUMP_ST_TABLE;
	res->ias = (uint8_t)info.ias;
	res->oas = (uint8_t)info.oas;
	res->start_level = (uint8_t)info.start_level;
	res->ttb_hidden = true;
	if (info.ias < 64 && (req->first >> info.ias) != 0)
		return 0;   /* beyond the input size: nothing there */
	last = req->last;
	c = (struct s2_conv){ .cb = cb, .arg = arg, .max = req->max_entries };
	rc = uiommu_pgtable_walk(vi->s2, req->first, last, s2_visit, &c);
	if (rc == S2_FULL)
		rc = 0;
	res->more = c.stopped;
	res->next = c.stopped ? c.next : 0;
	res->entries = c.n;
	res->reads = c.visits;
	return rc;
}
