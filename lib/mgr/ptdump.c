/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * PT_DUMP: a device's page tables, a page of entries at a time.
 *
 * Design. The request names a device (VM, vIOMMU, vSID) and a table: the
 * guest's stage-1 tables of the device's current CD (optionally of one
 * substream) or the manager's stage-2 table of its vIOMMU. The visibility
 * rule is inspect.c's (a VM connection its own VM, an admin connection
 * any). The core and the backend do the walking (uiommu_vdevice_pt_dump,
 * uiommu_viommu_pt_dump): guest descriptors are read through guest memory
 * with bounds checks, at most UIOMMU_PT_DUMP_MAX_READS of them per request,
 * and at most the request's max entries (<= UIOMMU_PROTO_MAX_PT_ENTRIES,
 * checked at compile time to fit a reply) are written, straight into the
 * connection's transmit buffer. When the bound stops a reply early it says
 * so (UIOMMU_PT_DUMP_R_MORE) with the input address to ask for next; the
 * backend reports whole paths only, so each reply makes progress.
 *
 * Host addresses never leave the manager: the backend marks them hidden
 * (stage-2 outputs and tables) and this file writes 0 in their place.
 */
#include <string.h>

#include "mgr_private.h"

struct dump_out {
	struct uiommu_proto_pt_entry *e;
	uint32_t cap;
	uint32_t n;
};

static int
put_entry(void *arg, const struct uiommu_pt_dump_entry *de)
{
	struct dump_out *o = arg;
	struct uiommu_proto_pt_entry *p;

	if (o->n >= o->cap)
		return -EMSGSIZE;   /* never: the core bounds the backend */
	p = &o->e[o->n++];
	memset(p, 0, sizeof(*p));
	p->in = de->in;
	p->size = de->size;
	p->out = de->out_hidden ? 0 : de->out;
	p->pte = de->pte;
	if (de->prot & UIOMMU_PROT_READ)
		p->prot |= UIOMMU_PT_PROT_R;
	if (de->prot & UIOMMU_PROT_WRITE)
		p->prot |= UIOMMU_PT_PROT_W;
	p->level = de->level;
	p->kind = de->kind;
	p->attr = de->attr;
	p->fault = de->fault;
	p->flags = de->out_hidden ? UIOMMU_PT_ENTRY_F_OUT_HIDDEN : 0;
	return 0;
}

_Static_assert((int)UIOMMU_PT_ENTRY_TABLE == (int)UIOMMU_PT_DUMP_TABLE &&
	       (int)UIOMMU_PT_ENTRY_BLOCK == (int)UIOMMU_PT_DUMP_BLOCK &&
	       (int)UIOMMU_PT_ENTRY_PAGE == (int)UIOMMU_PT_DUMP_PAGE &&
	       (int)UIOMMU_PT_ENTRY_FAULT == (int)UIOMMU_PT_DUMP_FAULT,
	       "protocol and core entry kinds coincide");
_Static_assert((int)UIOMMU_PT_FAULT_TRANSLATION == (int)UIOMMU_PT_DUMP_F_TRANSLATION &&
	       (int)UIOMMU_PT_FAULT_ADDR_SIZE == (int)UIOMMU_PT_DUMP_F_ADDR_SIZE &&
	       (int)UIOMMU_PT_FAULT_ACCESS == (int)UIOMMU_PT_DUMP_F_ACCESS &&
	       (int)UIOMMU_PT_FAULT_WALK_EABT == (int)UIOMMU_PT_DUMP_F_WALK_EABT,
	       "protocol and core fault kinds coincide");
_Static_assert((int)UIOMMU_PT_STATE_TABLE == (int)UIOMMU_PT_DUMP_ST_TABLE &&
	       (int)UIOMMU_PT_STATE_ABORT == (int)UIOMMU_PT_DUMP_ST_ABORT &&
	       (int)UIOMMU_PT_STATE_BYPASS == (int)UIOMMU_PT_DUMP_ST_BYPASS &&
	       (int)UIOMMU_PT_STATE_BAD_STE == (int)UIOMMU_PT_DUMP_ST_BAD_STE &&
	       (int)UIOMMU_PT_STATE_FAULT == (int)UIOMMU_PT_DUMP_ST_FAULT,
	       "protocol and core states coincide");
_Static_assert(UIOMMU_PROTO_MIN_PT_ENTRIES == UIOMMU_PT_DUMP_MIN_ENTRIES,
	       "one whole path fits the smallest reply");

int
mgr_handle_pt_dump(struct mgr_conn *c, const void *req, const int *fds,
		   unsigned int nfds, struct mgr_reply *rep)
{
	const struct uiommu_msg_pt_dump *r = req;
	struct uiommu_msg_pt_dump_reply *h = (void *)rep->buf;
	struct dump_out o = {
		.e = (void *)(h + 1), .cap = r->max, .n = 0,
	};
	struct uiommu_pt_dump_req dreq = {
		.first = r->first, .last = r->last, .max_entries = r->max,
		.max_reads = UIOMMU_PT_DUMP_MAX_READS,
		.ssv = (r->flags & UIOMMU_PT_DUMP_F_SSV) != 0,
		.ssid = r->ssid,
	};
	struct uiommu_pt_dump_res res;
	struct uiommu_vdevice *d;
	struct mgr_viommu *mv;
	struct mgr_conn *t;
	int rc;

	RTE_SET_USED(fds);
	RTE_SET_USED(nfds);
	rc = mgr_target_conn(c, r->vm_id, &t);
	if (rc != 0)
		return rc;
	mv = mgr_viommu_lookup(t, r->viommu_id);
	if (mv == NULL)
		return -ENOENT;
	d = uiommu_vdevice_find(mv->v, r->vsid);
	if (d == NULL)
		return -ENOENT;
	if (r->table == UIOMMU_PT_DUMP_TABLE_S1)
		rc = uiommu_vdevice_pt_dump(d, &dreq, put_entry, &o, &res);
	else
		rc = uiommu_viommu_pt_dump(mv->v, &dreq, put_entry, &o, &res);
	if (rc != 0)
		return rc;
	h->count = o.n;
	if (res.more)
		h->flags |= UIOMMU_PT_DUMP_R_MORE;
	if (res.more && res.read_limit)
		h->flags |= UIOMMU_PT_DUMP_R_READ_LIMIT;
	if (res.ttb_hidden)
		h->flags |= UIOMMU_PT_DUMP_R_TTB_HIDDEN;
	h->next = res.more ? res.next : 0;
	h->ttb = res.ttb_hidden ? 0 : res.ttb;
	h->reads = res.reads;
	h->tag = res.tag;
	h->state = res.state;
	h->event = res.event;
	h->stage = res.stage != 0 ? res.stage :
		   (r->table == UIOMMU_PT_DUMP_TABLE_S1 ? 1 : 2);
	h->ias = res.ias;
	h->oas = res.oas;
	h->start_level = res.start_level;
	rep->len = sizeof(*h) + o.n * sizeof(struct uiommu_proto_pt_entry);
	return 0;
}
