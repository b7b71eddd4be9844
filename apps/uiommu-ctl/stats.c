/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * "stats" and "events": counters of the manager, its polling lcores, a
 * VM, a vIOMMU or a vCMDQ; and the fault-record counters of every vIOMMU.
 *
 * Design. Counters are whatever STATS returns, by name, so a counter the
 * manager adds later shows up without a change here. The polling lcores
 * are found by asking STATS for each lcore id the manager could use
 * (those that are not polling answer -ENOENT). EVENTS_READ pops records
 * and is therefore refused to an admin connection: "events" shows the
 * per-vIOMMU counters STATS has instead ("events", "events_lost": the
 * records raised for the vIOMMU, by the manager core at CFGIs (C_BAD_STE,
 * C_BAD_STREAMID) and by the backend for device faults, and those
 * dropped); the records themselves belong to the VM that owns the vIOMMU.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "ctl.h"

/* Lcore ids probed for STATS LCORE (DPDK's default RTE_MAX_LCORE). */
#define LCORE_IDS 128

static int
parse_ids(int argc, char **argv, uint64_t *ids, int max, const char *usage)
{
	if (argc > max)
		goto bad;
	for (int i = 0; i < argc; i++)
		if (!ctl_parse_u64(argv[i], &ids[i]) || ids[i] > UINT32_MAX)
			goto bad;
	return 0;
bad:
	fprintf(stderr, "uiommu-ctl: usage: %s\n", usage);
	return CTL_USAGE;
}

static int
stats_manager(struct ctl *x)
{
	unsigned int nl = 0;
	int rc;

	if (x->json) {
		jw_obj(&x->j, NULL);
		rc = ctl_stats_emit(x, "manager", UIOMMU_STATS_MANAGER, 0, 0,
				    0, "");
		jw_arr(&x->j, "lcores");
	} else {
		printf("manager:\n");
		rc = ctl_stats_emit(x, NULL, UIOMMU_STATS_MANAGER, 0, 0, 0,
				    "    ");
	}
	if (rc != 0) {
		if (x->json) {
			jw_arr_end(&x->j);
			jw_obj_end(&x->j);
			jw_done(&x->j);
		}
		return ctl_err("STATS (manager)", rc);
	}
	for (uint32_t l = 0; l < LCORE_IDS; l++) {
		struct uiommu_proto_stat st[UIOMMU_PROTO_MAX_STATS];
		unsigned int n = UIOMMU_PROTO_MAX_STATS;

		rc = uiommu_client_stats(x->c, UIOMMU_STATS_LCORE, 0, 0, l, st,
					 &n);
		if (rc == -ENOENT || rc == -EINVAL)
			continue;
		if (rc != 0)
			return ctl_err("STATS (lcore)", rc);
		nl++;
		if (x->json) {
			jw_obj(&x->j, NULL);
			for (unsigned int i = 0; i < n; i++)
				jw_u64(&x->j, st[i].name, st[i].value);
			jw_obj_end(&x->j);
		} else {
			char ind[16];

			printf("polling lcore %u:\n", l);
			snprintf(ind, sizeof(ind), "    ");
			ctl_stats_emit(x, NULL, UIOMMU_STATS_LCORE, 0, 0, l,
				       ind);
		}
	}
	if (x->json) {
		jw_arr_end(&x->j);
		jw_obj_end(&x->j);
		jw_done(&x->j);
	} else if (nl == 0) {
		printf("no polling lcore (queues are polled by the main lcore "
		       "between socket events)\n");
	}
	return CTL_OK;
}

int
ctl_cmd_stats(struct ctl *x, int argc, char **argv)
{
	uint64_t id[3] = { 0, 0, 0 };
	uint32_t scope;
	const char *what;
	int rc;

	rc = parse_ids(argc, argv, id, 3, "stats [VM [VIOMMU [QUEUE]]]");
	if (rc != 0)
		return rc;
	if (argc == 0)
		return stats_manager(x);
	if (id[0] == 0) {
		fprintf(stderr, "uiommu-ctl: VM ids start at 1 (see \"list\")\n");
		return CTL_USAGE;
	}
	scope = argc == 1 ? UIOMMU_STATS_VM : argc == 2 ? UIOMMU_STATS_VIOMMU :
		UIOMMU_STATS_VCMDQ;
	what = argc == 1 ? "STATS (VM)" : argc == 2 ? "STATS (vIOMMU)" :
	       "STATS (vCMDQ)";
	if (x->json) {
		jw_obj(&x->j, NULL);
		jw_str(&x->j, "scope", argc == 1 ? "vm" : argc == 2 ?
		       "viommu" : "vcmdq");
		jw_u64(&x->j, "vm_id", id[0]);
		if (argc >= 2)
			jw_u64(&x->j, "viommu_id", id[1]);
		if (argc >= 3)
			jw_u64(&x->j, "index", id[2]);
		rc = ctl_stats_emit(x, "stats", scope, (uint32_t)id[0],
				    (uint32_t)id[1], (uint32_t)id[2], "");
		jw_obj_end(&x->j);
		if (rc == 0)
			jw_done(&x->j);
		else
			fputc('\n', stdout);
	} else {
		printf("%s %" PRIu64, argc == 1 ? "VM" : argc == 2 ?
		       "vIOMMU of VM" : "vCMDQ of VM", id[0]);
		if (argc >= 2)
			printf(", vIOMMU %" PRIu64, id[1]);
		if (argc >= 3)
			printf(", queue %" PRIu64, id[2]);
		printf(":\n");
		rc = ctl_stats_emit(x, NULL, scope, (uint32_t)id[0],
				    (uint32_t)id[1], (uint32_t)id[2], "    ");
	}
	return rc == 0 ? CTL_OK : ctl_err(what, rc);
}

int
ctl_cmd_events(struct ctl *x, int argc, char **argv)
{
	uint64_t vm = 0;
	struct ctl_objs o;
	unsigned int nvi = 0;
	int rc;

	rc = parse_ids(argc, argv, &vm, 1, "events [VM]");
	if (rc != 0)
		return rc;
	rc = ctl_objs_load(x, (uint32_t)vm, &o);
	if (rc != CTL_OK)
		return rc;
	if (x->json) {
		jw_obj(&x->j, NULL);
		jw_arr(&x->j, "viommus");
	}
	for (unsigned int i = 0; i < o.n; i++) {
		const struct uiommu_proto_list_entry *e = &o.e[i];
		struct uiommu_proto_stat st[UIOMMU_PROTO_MAX_STATS];
		unsigned int n = UIOMMU_PROTO_MAX_STATS;
		uint64_t ev = 0, lost = 0;

		if (e->kind != UIOMMU_LIST_VIOMMU)
			continue;
		rc = uiommu_client_stats(x->c, UIOMMU_STATS_VIOMMU, e->vm_id,
					 e->id, 0, st, &n);
		if (rc == -ENOENT)
			continue; /* gone meanwhile */
		if (rc != 0) {
			ctl_objs_free(&o);
			return ctl_err("STATS (vIOMMU)", rc);
		}
		uiommu_client_stat_find(st, n, "events", &ev);
		uiommu_client_stat_find(st, n, "events_lost", &lost);
		nvi++;
		if (x->json) {
			jw_obj(&x->j, NULL);
			jw_u64(&x->j, "vm_id", e->vm_id);
			jw_u64(&x->j, "viommu_id", e->id);
			jw_u64(&x->j, "vmid", e->a);
			jw_str(&x->j, "backend", e->name);
			jw_u64(&x->j, "events", ev);
			jw_u64(&x->j, "events_lost", lost);
			jw_obj_end(&x->j);
		} else {
			printf("VM %u vIOMMU %u (%s, VMID %" PRIu64 "): %" PRIu64
			       " fault records raised, %" PRIu64
			       " lost\n", e->vm_id, e->id, e->name, e->a, ev,
			       lost);
		}
	}
	if (x->json) {
		jw_arr_end(&x->j);
		jw_str(&x->j, "note", "events/events_lost count the records "
		       "the manager core raised (C_BAD_STE, C_BAD_STREAMID on "
		       "CFGI); all records, device faults included, are read "
		       "(and removed) by the VM owning the vIOMMU");
		jw_obj_end(&x->j);
		jw_done(&x->j);
	} else if (nvi == 0) {
		printf("no vIOMMU\n");
	} else {
		printf("(counted: records the manager raised on CFGI, e.g. "
		       "C_BAD_STE; every record, device faults included, is read "
		       "and removed by the VM that owns the vIOMMU: EVENTS_READ "
		       "is refused to uiommu-ctl)\n");
	}
	ctl_objs_free(&o);
	return CTL_OK;
}
