/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * "dump": a device's page tables, descriptor by descriptor.
 *
 * Design. PT_DUMP asks the manager for the tables themselves: the guest's
 * stage-1 tables of the device's current CD (--table s1, the default;
 * --ssid for one substream), or the manager's stage-2 table of the
 * device's vIOMMU (--table s2). Each reply holds up to 1024 entries (table,
 * block, page, or fault: a descriptor or table the walk cannot use) in
 * input order, tables before what they hold, and says where to go on; this
 * file pages through the range until the manager says it is done or
 * --max-entries entries were printed (a reply always ends a whole path, so
 * the last one may carry up to 3 entries past that). The manager bounds
 * the guest descriptors it reads per reply and never discloses host
 * addresses (stage-2 outputs and tables are "hidden").
 *
 * Output: a tree indented by level (text), or one JSON document with the
 * table's context (state, TTB, ASID/VMID, sizes) and the entries.
 *
 * Fallback: a manager whose backend cannot dump (vfio/iommufd stage 2 is
 * the kernel's) or that predates PT_DUMP answers -EOPNOTSUPP; dump then
 * walks the range with one TRANSLATE per page (xlate.c), as it did before
 * PT_DUMP existed.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "uiommu_common.h"

/* Range when none is given: the fallback's historical default. */
#define FALLBACK_LEN (2ULL << 20)

static const char *
kind_str(uint8_t kind)
{
	switch (kind) {
	case UIOMMU_PT_ENTRY_TABLE: return "table";
	case UIOMMU_PT_ENTRY_BLOCK: return "block";
	case UIOMMU_PT_ENTRY_PAGE: return "page";
	case UIOMMU_PT_ENTRY_FAULT: return "fault";
	default: return "unknown";
	}
}

static const char *
fault_str(uint8_t f)
{
	switch (f) {
	case UIOMMU_PT_FAULT_TRANSLATION: return "translation";
	case UIOMMU_PT_FAULT_ADDR_SIZE: return "addr_size";
	case UIOMMU_PT_FAULT_ACCESS: return "access";
	case UIOMMU_PT_FAULT_WALK_EABT: return "walk_eabt";
	default: return "none";
	}
}

static const char *
state_str(uint8_t st)
{
	switch (st) {
	case UIOMMU_PT_STATE_TABLE: return "table";
	case UIOMMU_PT_STATE_ABORT: return "abort";
	case UIOMMU_PT_STATE_BYPASS: return "bypass";
	case UIOMMU_PT_STATE_BAD_STE: return "bad_ste";
	case UIOMMU_PT_STATE_FAULT: return "fault";
	default: return "unknown";
	}
}

static const char *
prot_rw(uint32_t p)
{
	switch (p & (UIOMMU_PT_PROT_R | UIOMMU_PT_PROT_W)) {
	case UIOMMU_PT_PROT_R: return "r-";
	case UIOMMU_PT_PROT_W: return "-w";
	case UIOMMU_PT_PROT_R | UIOMMU_PT_PROT_W: return "rw";
	default: return "--";
	}
}

static void
entry_json(struct jw *j, const struct uiommu_proto_pt_entry *e)
{
	jw_obj(j, NULL);
	jw_u64(j, "level", e->level);
	jw_str(j, "kind", kind_str(e->kind));
	jw_u64(j, "in", e->in);
	jw_u64(j, "size", e->size);
	if (e->flags & UIOMMU_PT_ENTRY_F_OUT_HIDDEN)
		jw_bool(j, "out_hidden", true);
	else
		jw_u64(j, "out", e->out);
	jw_u64(j, "pte", e->pte);
	if (e->kind == UIOMMU_PT_ENTRY_BLOCK || e->kind == UIOMMU_PT_ENTRY_PAGE) {
		jw_str(j, "prot", prot_rw(e->prot));
		jw_u64(j, "attr", e->attr);
	}
	if (e->kind == UIOMMU_PT_ENTRY_FAULT)
		jw_str(j, "fault", fault_str(e->fault));
	jw_obj_end(j);
}

static void
entry_text(const struct uiommu_proto_pt_entry *e, unsigned int start_level,
	   unsigned int stage)
{
	bool hidden = (e->flags & UIOMMU_PT_ENTRY_F_OUT_HIDDEN) != 0;
	int indent = 2 + 2 * (e->level > start_level ? e->level - start_level : 0);
	uint64_t last = e->in + (e->size - 1);

	printf("%*sL%u %-5s 0x%012" PRIx64 "-0x%012" PRIx64, indent, "",
	       e->level, kind_str(e->kind), e->in, last);
	switch (e->kind) {
	case UIOMMU_PT_ENTRY_TABLE:
		if (hidden)
			printf("  -> table in manager memory");
		else
			printf("  -> table at %s 0x%" PRIx64,
			       stage == 1 ? "IPA" : "PA", e->out);
		break;
	case UIOMMU_PT_ENTRY_BLOCK:
	case UIOMMU_PT_ENTRY_PAGE:
		if (hidden)
			printf("  -> host memory");
		else
			printf("  -> %s 0x%" PRIx64, stage == 1 ? "IPA" : "PA",
			       e->out);
		printf("  %s attr %u", prot_rw(e->prot), e->attr);
		break;
	default:
		if (e->fault == UIOMMU_PT_FAULT_WALK_EABT)
			printf("  FAULT walk_eabt: table at 0x%" PRIx64
			       " not readable (outside guest RAM or stage-2 "
			       "fault)", e->out);
		else
			printf("  FAULT %s", fault_str(e->fault));
		break;
	}
	printf("  pte 0x%016" PRIx64 "\n", e->pte);
}

static void
head_text(const struct uiommu_msg_pt_dump_reply *h)
{
	switch (h->state) {
	case UIOMMU_PT_STATE_TABLE:
		if (h->stage == 1)
			printf("  CD in force: TTB0 0x%" PRIx64 ", ASID %u, "
			       "IAS %u, OAS %u, top level %u\n", h->ttb,
			       h->tag, h->ias, h->oas, h->start_level);
		else
			printf("  stage 2 of VMID %u: table in manager memory, "
			       "IAS %u, OAS %u, top level %u\n", h->tag,
			       h->ias, h->oas, h->start_level);
		break;
	case UIOMMU_PT_STATE_ABORT:
		printf("  the device is blocked (STE abort, or not "
		       "configured): no table in force\n");
		break;
	case UIOMMU_PT_STATE_BYPASS:
		if (h->stage == 1)
			printf("  stage 1 is bypassed (STE bypass, or S1DSS "
			       "bypass): the IOVA is the IPA\n");
		else
			printf("  the vIOMMU has no stage-2 table of its own: "
			       "IPAs are checked against guest RAM\n");
		break;
	case UIOMMU_PT_STATE_BAD_STE:
		printf("  the guest's STE is invalid (C_BAD_STE on every "
		       "access)\n");
		break;
	default:
		printf("  the CD cannot be used: %s (0x%02x)\n",
		       ctl_event_name(h->event), h->event);
		break;
	}
}

static void
head_json(struct jw *j, const struct uiommu_msg_pt_dump_reply *h)
{
	jw_str(j, "state", state_str(h->state));
	jw_u64(j, "stage", h->stage);
	if (h->state == UIOMMU_PT_STATE_FAULT) {
		jw_u64(j, "event", h->event);
		jw_str(j, "event_name", ctl_event_name(h->event));
	}
	if (h->state != UIOMMU_PT_STATE_TABLE)
		return;
	if (h->flags & UIOMMU_PT_DUMP_R_TTB_HIDDEN)
		jw_bool(j, "ttb_hidden", true);
	else
		jw_u64(j, "ttb", h->ttb);
	jw_u64(j, h->stage == 1 ? "asid" : "vmid", h->tag);
	jw_u64(j, "ias", h->ias);
	jw_u64(j, "oas", h->oas);
	jw_u64(j, "start_level", h->start_level);
}

int
ctl_cmd_dump(struct ctl *x, int argc, char **argv)
{
	struct uiommu_msg_pt_dump_reply h;
	struct uiommu_msg_pt_dump req;
	struct uiommu_proto_pt_entry *ent;
	uint64_t start = 0, len = 0, last = UINT64_MAX, printed = 0;
	uint64_t requests = 0, reads = 0;
	uint32_t vm, vsid, vi;
	bool complete = false;
	int rc;

	if (argc < 2 || argc > 4 ||
	    (argc >= 3 && !ctl_parse_u64(argv[2], &start)) ||
	    (argc == 4 && (!ctl_parse_u64(argv[3], &len) || len == 0))) {
		fprintf(stderr, "uiommu-ctl: usage: dump VM VSID [ADDR [LEN]] "
			"[--table s1|s2] [--ssid N] [--max-entries N] "
			"[--viommu ID]\n");
		return CTL_USAGE;
	}
	if (x->ssv && x->table == UIOMMU_PT_DUMP_TABLE_S2) {
		fprintf(stderr, "uiommu-ctl: --ssid selects a stage-1 CD: not "
			"with --table s2\n");
		return CTL_USAGE;
	}
	rc = ctl_target(x, argv, &vm, &vsid, &vi);
	if (rc != CTL_OK)
		return rc;
	if (len != 0 && uiommu_range_last(start, len, &last) != 0)
		last = UINT64_MAX;
	ent = calloc(UIOMMU_PROTO_MAX_PT_ENTRIES, sizeof(*ent));
	if (ent == NULL) {
		fprintf(stderr, "uiommu-ctl: out of memory\n");
		return CTL_REFUSED;
	}
	memset(&req, 0, sizeof(req));
	req.vm_id = vm;
	req.viommu_id = vi;
	req.vsid = vsid;
	req.table = x->table;
	req.flags = x->ssv ? UIOMMU_PT_DUMP_F_SSV : 0;
	req.ssid = x->ssv ? x->ssid : 0;
	req.first = start;
	req.last = last;
	for (;;) {
		uint64_t left = x->max_entries - printed;

		if (left < UIOMMU_PROTO_MIN_PT_ENTRIES)
			left = UIOMMU_PROTO_MIN_PT_ENTRIES;
		if (left > UIOMMU_PROTO_MAX_PT_ENTRIES)
			left = UIOMMU_PROTO_MAX_PT_ENTRIES;
		req.max = (uint32_t)left;
		memset(&h, 0, sizeof(h));
		rc = uiommu_client_pt_dump(x->c, &req, &h, ent);
		if (rc == -EOPNOTSUPP && requests == 0) {
			free(ent);
			if (!x->json)
				fprintf(stderr, "uiommu-ctl: the manager cannot "
					"dump these tables; walking page by page "
					"with TRANSLATE\n");
			return ctl_dump_by_translate(x, vm, vi, vsid, start,
				len != 0 ? last : start + FALLBACK_LEN - 1);
		}
		if (rc != 0) {
			if (requests > 0 && x->json) {
				jw_arr_end(&x->j);
				jw_obj_end(&x->j);
				jw_done(&x->j);
			}
			free(ent);
			return ctl_err("PT_DUMP", rc);
		}
		if (requests++ == 0) {
			const char *what = x->table == UIOMMU_PT_DUMP_TABLE_S1 ?
					   "guest stage-1" : "manager stage-2";

			if (x->json) {
				jw_obj(&x->j, NULL);
				jw_u64(&x->j, "vm_id", vm);
				jw_u64(&x->j, "viommu_id", vi);
				jw_u64(&x->j, "vsid", vsid);
				jw_str(&x->j, "method", "pt_dump");
				jw_str(&x->j, "table", x->table ==
				       UIOMMU_PT_DUMP_TABLE_S1 ? "s1" : "s2");
				if (x->ssv)
					jw_u64(&x->j, "ssid", x->ssid);
				jw_u64(&x->j, "first", start);
				jw_u64(&x->j, "last", last);
				ctl_dump_config(x, vm, vi, vsid);
				head_json(&x->j, &h);
				jw_arr(&x->j, "entries");
			} else {
				printf("VM %u vIOMMU %u vSID %u, %s tables, "
				       "0x%" PRIx64 "-0x%" PRIx64 ":\n", vm, vi,
				       vsid, what, start, last);
				ctl_dump_config(x, vm, vi, vsid);
				head_text(&h);
			}
		}
		reads += h.reads;
		for (uint32_t i = 0; i < h.count; i++) {
			if (x->json)
				entry_json(&x->j, &ent[i]);
			else
				entry_text(&ent[i], h.start_level, h.stage);
		}
		printed += h.count;
		if (!(h.flags & UIOMMU_PT_DUMP_R_MORE)) {
			complete = true;
			break;
		}
		if (printed >= x->max_entries)
			break;
	}
	free(ent);
	if (x->json) {
		jw_arr_end(&x->j);
		jw_u64(&x->j, "requests", requests);
		jw_u64(&x->j, "reads", reads);
		jw_bool(&x->j, "complete", complete);
		if (!complete)
			jw_u64(&x->j, "next", req.first);
		jw_obj_end(&x->j);
		jw_done(&x->j);
	} else if (complete) {
		printf("  (%" PRIu64 " entries, %" PRIu64 " descriptors read, "
		       "%" PRIu64 " request(s))\n", printed, reads, requests);
	} else {
		printf("  (%" PRIu64 " entries, %" PRIu64 " requests; stopped "
		       "at --max-entries: go on from 0x%" PRIx64 ")\n", printed,
		       requests, req.first);
	}
	return CTL_OK;
}
