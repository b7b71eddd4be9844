/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * "translate" and "dump": follow an IOVA through a device's current
 * configuration, stage by stage.
 *
 * Design. Both use TRANSLATE, which walks the configuration in force in
 * the manager (the STE and CD it last read, the guest's stage-1 tables,
 * the manager's stage 2) exactly as a DMA of the device would, and never
 * discloses host addresses (stage-2 output is hidden). "dump" asks for the
 * tables themselves with PT_DUMP (dump.c); only when the manager answers
 * -EOPNOTSUPP (a backend that cannot dump, or an older manager) does it
 * fall back to ctl_dump_by_translate() here, which walks a range page by
 * page: one TRANSLATE per 4 KiB page, or per contiguous run when the
 * answer says how many bytes share the translation, and prints the runs of
 * equal translation (IOVA range -> IPA range, permissions, leaf sizes) and
 * the holes. It stops after --max-pages requests.
 *
 * TRANSLATE is a probe: a translation that faults is returned, never
 * recorded in the vIOMMU's fault-record ring.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "ctl.h"
#include "uiommu_backend.h"

#define PAGE 4096ULL

static const char *
event_name(uint8_t id)
{
	switch (id) {
	case UIOMMU_EVT_C_BAD_STREAMID: return "C_BAD_STREAMID";
	case UIOMMU_EVT_C_BAD_STE: return "C_BAD_STE";
	case UIOMMU_EVT_F_STREAM_DISABLED: return "F_STREAM_DISABLED";
	case UIOMMU_EVT_C_BAD_SUBSTREAMID: return "C_BAD_SUBSTREAMID";
	case UIOMMU_EVT_F_CD_FETCH: return "F_CD_FETCH";
	case UIOMMU_EVT_C_BAD_CD: return "C_BAD_CD";
	case UIOMMU_EVT_F_WALK_EABT: return "F_WALK_EABT";
	case UIOMMU_EVT_F_TRANSLATION: return "F_TRANSLATION";
	case UIOMMU_EVT_F_ADDR_SIZE: return "F_ADDR_SIZE";
	case UIOMMU_EVT_F_ACCESS: return "F_ACCESS";
	case UIOMMU_EVT_F_PERMISSION: return "F_PERMISSION";
	case UIOMMU_EVT_F_CFG_CONFLICT: return "F_CFG_CONFLICT";
	case 0: return "terminated (no event: STE abort or not configured)";
	default: return "unknown";
	}
}

static const char *
prot_str(uint32_t prot)
{
	switch (prot & 3) {
	case 1: return "r-";
	case 2: return "-w";
	case 3: return "rw";
	default: return "--";
	}
}

static const char *
access_str(uint32_t a)
{
	return a == (UIOMMU_XLATE_READ | UIOMMU_XLATE_WRITE) ? "rw" :
	       a == UIOMMU_XLATE_WRITE ? "w" : "r";
}

/* Parse "VM VSID" and find the vIOMMU. */
int
ctl_target(struct ctl *x, char **argv, uint32_t *vm, uint32_t *vsid,
	   uint32_t *viommu)
{
	uint64_t a, b;

	if (!ctl_parse_u64(argv[0], &a) || a == 0 || a > UINT32_MAX ||
	    !ctl_parse_u64(argv[1], &b) || b > UINT32_MAX) {
		fprintf(stderr, "uiommu-ctl: VM (a vm_id > 0) and VSID must be "
			"numbers\n");
		return CTL_USAGE;
	}
	*vm = (uint32_t)a;
	*vsid = (uint32_t)b;
	return ctl_find_viommu(x, *vm, *vsid, viommu);
}

static void
stage_json(struct jw *j, const char *key,
	   const struct uiommu_proto_xlate_stage *s, bool hide_out)
{
	jw_obj(j, key);
	jw_bool(j, "valid", s->valid != 0);
	jw_u64(j, "in", s->in);
	if (hide_out)
		jw_str(j, "out", "hidden (host address)");
	else
		jw_u64(j, "out", s->out);
	jw_u64(j, "pgsize", s->pgsize);
	jw_u64(j, "level", s->level);
	jw_str(j, "prot", prot_str(s->prot));
	jw_obj_end(j);
}

int
ctl_cmd_translate(struct ctl *x, int argc, char **argv)
{
	struct uiommu_msg_translate_reply r;
	uint32_t vm, vsid, vi;
	uint64_t iova;
	bool fault, hit_only;
	int rc;

	if (argc != 3 || !ctl_parse_u64(argv[2], &iova)) {
		fprintf(stderr, "uiommu-ctl: usage: translate VM VSID IOVA "
			"[--viommu ID] [--access r|w|rw]\n");
		return CTL_USAGE;
	}
	rc = ctl_target(x, argv, &vm, &vsid, &vi);
	if (rc != CTL_OK)
		return rc;
	memset(&r, 0, sizeof(r));
	rc = uiommu_client_translate(x->c, vm, vi, vsid, iova, x->access, &r);
	if (rc != 0)
		return ctl_err("TRANSLATE", rc);
	fault = (r.flags & UIOMMU_XLATE_F_FAULT) != 0;
	hit_only = !fault && !r.s1.valid && !r.s2.valid &&
		   (r.flags & UIOMMU_XLATE_F_IOTLB_HIT);
	if (x->json) {
		jw_obj(&x->j, NULL);
		jw_u64(&x->j, "vm_id", vm);
		jw_u64(&x->j, "viommu_id", vi);
		jw_u64(&x->j, "vsid", vsid);
		jw_u64(&x->j, "iova", iova);
		jw_str(&x->j, "access", access_str(x->access));
		jw_bool(&x->j, "fault", fault);
		jw_bool(&x->j, "iotlb_hit", (r.flags & UIOMMU_XLATE_F_IOTLB_HIT) != 0);
		jw_u64(&x->j, "contig", r.contig);
		stage_json(&x->j, "s1", &r.s1, false);
		stage_json(&x->j, "s2", &r.s2, true);
		if (fault) {
			jw_obj(&x->j, "event");
			jw_u64(&x->j, "id", r.fault.id);
			jw_str(&x->j, "name", event_name(r.fault.id));
			jw_bool(&x->j, "s2", r.fault.s2 != 0);
			jw_u64(&x->j, "class", r.fault.class_);
			jw_u64(&x->j, "input_addr", r.fault.input_addr);
			jw_u64(&x->j, "ipa", r.fault.ipa);
			jw_obj_end(&x->j);
		}
		jw_obj_end(&x->j);
		jw_done(&x->j);
		return fault ? CTL_FAULT : CTL_OK;
	}
	printf("VM %u vIOMMU %u vSID %u: %s of IOVA 0x%" PRIx64 "\n", vm, vi,
	       vsid, access_str(x->access), iova);
	if (hit_only) {
		printf("  served by the IOTLB: the backend reports no stage "
		       "details for a hit\n");
	} else if (!fault) {
		if (r.s1.valid)
			printf("  stage 1: IOVA 0x%" PRIx64 " -> IPA 0x%" PRIx64
			       "  (%s, level %u leaf of %" PRIu64 " KiB)\n",
			       r.s1.in, r.s1.out, prot_str(r.s1.prot),
			       r.s1.level, r.s1.pgsize >> 10);
		else
			printf("  stage 1: bypassed (IOVA is the IPA)\n");
		if (r.s2.valid)
			printf("  stage 2: IPA 0x%" PRIx64 " -> host memory  "
			       "(%s, level %u leaf of %" PRIu64 " KiB)\n",
			       r.s2.in, prot_str(r.s2.prot), r.s2.level,
			       r.s2.pgsize >> 10);
		else
			printf("  stage 2: bypassed\n");
	}
	if (fault) {
		printf("  FAULT: %s (0x%02x) at %s, IOVA 0x%" PRIx64,
		       event_name(r.fault.id), r.fault.id,
		       r.fault.s2 ? "stage 2" : "stage 1", r.fault.input_addr);
		if (r.fault.s2)
			printf(", IPA 0x%" PRIx64, r.fault.ipa);
		printf("\n");
		return CTL_FAULT;
	}
	printf("  %" PRIu64 " bytes from here translate alike%s\n", r.contig,
	       (r.flags & UIOMMU_XLATE_F_IOTLB_HIT) ? " (IOTLB hit)" : "");
	return CTL_OK;
}

/* A run of pages that translate alike (or a hole). */
struct run {
	bool open, mapped;
	bool detail;                /* stages reported (not an IOTLB hit) */
	uint64_t iova, last, ipa;   /* ipa of the first byte */
	uint32_t prot;
	uint64_t s1_pgsize, s2_pgsize;
	uint8_t fault_id;
};

static void
run_emit(struct ctl *x, const struct run *r)
{
	if (!r->open)
		return;
	if (x->json) {
		jw_obj(&x->j, NULL);
		jw_u64(&x->j, "iova", r->iova);
		jw_u64(&x->j, "size", r->last - r->iova + 1);
		jw_bool(&x->j, "mapped", r->mapped);
		if (r->mapped && !r->detail) {
			jw_bool(&x->j, "iotlb_hit", true);
		} else if (r->mapped) {
			jw_u64(&x->j, "ipa", r->ipa);
			jw_str(&x->j, "prot", prot_str(r->prot));
			jw_u64(&x->j, "s1_pgsize", r->s1_pgsize);
			jw_u64(&x->j, "s2_pgsize", r->s2_pgsize);
		} else {
			jw_u64(&x->j, "fault", r->fault_id);
			jw_str(&x->j, "fault_name", event_name(r->fault_id));
		}
		jw_obj_end(&x->j);
		return;
	}
	if (r->mapped && !r->detail)
		printf("  0x%012" PRIx64 "-0x%012" PRIx64 " -> mapped (IOTLB "
		       "hit: the backend reports no stage details)\n", r->iova,
		       r->last);
	else if (r->mapped)
		printf("  0x%012" PRIx64 "-0x%012" PRIx64 " -> IPA 0x%012" PRIx64
		       "  %s  s1 %" PRIu64 "K s2 %" PRIu64 "K\n", r->iova,
		       r->last, r->ipa, prot_str(r->prot), r->s1_pgsize >> 10,
		       r->s2_pgsize >> 10);
	else
		printf("  0x%012" PRIx64 "-0x%012" PRIx64 "    (not mapped: "
		       "%s)\n", r->iova, r->last, event_name(r->fault_id));
}

/* Whether a mapped page at pos extends the mapped run r exactly. */
static bool
run_continues(const struct run *r, const struct uiommu_msg_translate_reply *t,
	      uint64_t pos, uint64_t ipa)
{
	uint32_t prot = t->s1.valid ? t->s1.prot : t->s2.prot;

	return r->prot == prot && r->ipa + (pos - r->iova) == ipa &&
	       r->s1_pgsize == t->s1.pgsize && r->s2_pgsize == t->s2.pgsize;
}

void
ctl_dump_config(struct ctl *x, uint32_t vm, uint32_t vi, uint32_t vsid)
{
	struct ctl_objs o;

	if (ctl_objs_load(x, vm, &o) != CTL_OK)
		return;
	for (unsigned int i = 0; i < o.n; i++) {
		const struct uiommu_proto_list_entry *e = &o.e[i];

		if (e->vm_id != vm || e->parent != vi)
			continue;
		if (e->kind == UIOMMU_LIST_VDEVICE && e->a == vsid) {
			if (x->json)
				jw_str(&x->j, "spec", e->name);
			else
				printf("  device %s, vDEVICE id %u\n", e->name,
				       e->id);
		} else if (e->kind == UIOMMU_LIST_STRTAB) {
			if (x->json) {
				jw_u64(&x->j, "strtab_gpa", e->a);
				jw_u64(&x->j, "ste_gpa", e->a + (uint64_t)64 * vsid);
			} else {
				printf("  guest STE at GPA 0x%" PRIx64 " (stream "
				       "table 0x%" PRIx64 ", %llu STEs)\n",
				       e->a + (uint64_t)64 * vsid, e->a,
				       1ULL << (e->b & 63));
			}
		}
	}
	ctl_objs_free(&o);
}

int
ctl_dump_by_translate(struct ctl *x, uint32_t vm, uint32_t vi, uint32_t vsid,
		      uint64_t start, uint64_t end)
{
	uint64_t asked = 0, pos;
	struct run r = { .open = false };
	bool complete;
	int rc;

	start &= ~(PAGE - 1);
	if (x->json) {
		jw_obj(&x->j, NULL);
		jw_u64(&x->j, "vm_id", vm);
		jw_u64(&x->j, "viommu_id", vi);
		jw_u64(&x->j, "vsid", vsid);
		jw_str(&x->j, "method", "translate");
		jw_str(&x->j, "access", access_str(x->access));
	} else {
		printf("VM %u vIOMMU %u vSID %u, %s, IOVA 0x%" PRIx64 "-0x%"
		       PRIx64 " (page by page: the manager cannot dump the "
		       "tables):\n", vm, vi, vsid, access_str(x->access),
		       start, end);
	}
	ctl_dump_config(x, vm, vi, vsid);
	if (x->json)
		jw_arr(&x->j, "runs");
	for (pos = start; pos <= end && asked < x->max_pages;) {
		struct uiommu_msg_translate_reply t;
		uint64_t step = PAGE, ipa;
		bool mapped, detail;

		memset(&t, 0, sizeof(t));
		rc = uiommu_client_translate(x->c, vm, vi, vsid, pos, x->access,
					     &t);
		asked++;
		if (rc != 0) {
			if (x->json) {
				jw_arr_end(&x->j);
				jw_obj_end(&x->j);
				jw_done(&x->j);
			}
			return ctl_err("TRANSLATE", rc);
		}
		mapped = !(t.flags & UIOMMU_XLATE_F_FAULT);
		detail = !mapped || t.s1.valid || t.s2.valid ||
			 !(t.flags & UIOMMU_XLATE_F_IOTLB_HIT);
		ipa = t.s1.valid ? t.s1.out : pos;
		if (mapped && t.contig > PAGE)
			step = t.contig & ~(PAGE - 1);
		/* Extend the run when this page continues it exactly. */
		if (r.open && r.mapped == mapped && r.detail == detail &&
		    (!mapped ? r.fault_id == t.fault.id :
		     !detail || run_continues(&r, &t, pos, ipa))) {
			r.last = pos + step - 1;
		} else {
			run_emit(x, &r);
			r.open = true;
			r.mapped = mapped;
			r.detail = detail;
			r.iova = pos;
			r.last = pos + step - 1;
			r.ipa = ipa;
			r.prot = t.s1.valid ? t.s1.prot : t.s2.prot;
			r.s1_pgsize = t.s1.pgsize;
			r.s2_pgsize = t.s2.pgsize;
			r.fault_id = t.fault.id;
		}
		if (pos + step - 1 >= end || pos + step < pos)
			break;
		pos += step;
	}
	complete = r.open && r.last >= end;
	if (r.open && r.last > end)
		r.last = end;
	run_emit(x, &r);
	if (x->json) {
		jw_arr_end(&x->j);
		jw_u64(&x->j, "translations", asked);
		jw_bool(&x->j, "complete", complete);
		jw_obj_end(&x->j);
		jw_done(&x->j);
	} else {
		printf("  (%" PRIu64 " translations%s)\n", asked, complete ?
		       "" : "; stopped at --max-pages before the end");
	}
	return CTL_OK;
}

const char *
ctl_event_name(uint8_t id)
{
	return event_name(id);
}
