/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * "list": every VM and the objects it holds, with their counters; and the
 * object snapshot other commands use to find things.
 *
 * Design. LIST returns a flat, paged list of objects; ctl_objs_load()
 * reads all pages (bounded: it stops after the manager's largest possible
 * object count) and the printers group them into a tree by vm_id and
 * parent id, so the output does not depend on the manager's ordering. The
 * counters come from one STATS request per object. A VM that disconnects
 * while we list simply disappears from later requests (-ENOENT is shown,
 * not fatal).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

/* Objects one manager can hold at most, with room to spare. */
#define OBJS_MAX (UIOMMU_MAX_VMS * (2 + UIOMMU_MAX_MEM_REGIONS + \
		  UIOMMU_MAX_VIOMMUS_PER_VM * (2 + UIOMMU_MAX_VDEVICES + \
		  UIOMMU_MAX_VCMDQS)))

const char *
ctl_kind_name(unsigned int kind)
{
	static const char *const names[UIOMMU_LIST_KIND_MAX] = {
		"vm", "mem", "viommu", "vdevice", "vcmdq", "strtab",
	};

	return kind < UIOMMU_LIST_KIND_MAX ? names[kind] : "unknown";
}

int
ctl_objs_load(struct ctl *x, uint32_t vm_id, struct ctl_objs *o)
{
	uint32_t cursor = 0;

	memset(o, 0, sizeof(*o));
	do {
		unsigned int n = UIOMMU_PROTO_MAX_LIST;
		int rc;

		if (o->n + n > o->cap) {
			unsigned int cap = o->cap + UIOMMU_PROTO_MAX_LIST;
			void *p = realloc(o->e, cap * sizeof(*o->e));

			if (p == NULL) {
				fprintf(stderr, "uiommu-ctl: out of memory\n");
				ctl_objs_free(o);
				return CTL_REFUSED;
			}
			o->e = p;
			o->cap = cap;
		}
		rc = uiommu_client_list(x->c, vm_id, 0, &cursor, o->e + o->n,
					&n, NULL);
		if (rc == -ENOENT && vm_id != 0) {
			fprintf(stderr, "uiommu-ctl: no VM with vm_id %u is "
				"connected (see \"uiommu-ctl list\")\n", vm_id);
			ctl_objs_free(o);
			return CTL_REFUSED;
		}
		if (rc != 0) {
			ctl_objs_free(o);
			return ctl_err("LIST", rc);
		}
		o->n += n;
		if (n == 0)
			break;
	} while (cursor != 0 && o->n < OBJS_MAX);
	return CTL_OK;
}

void
ctl_objs_free(struct ctl_objs *o)
{
	free(o->e);
	memset(o, 0, sizeof(*o));
}

int
ctl_find_viommu(struct ctl *x, uint32_t vm_id, uint32_t vsid,
		uint32_t *viommu_id)
{
	struct ctl_objs o;
	unsigned int found = 0;
	int rc;

	if (x->viommu >= 0) {
		*viommu_id = (uint32_t)x->viommu;
		return CTL_OK;
	}
	rc = ctl_objs_load(x, vm_id, &o);
	if (rc != CTL_OK)
		return rc;
	for (unsigned int i = 0; i < o.n; i++) {
		const struct uiommu_proto_list_entry *e = &o.e[i];

		if (e->kind == UIOMMU_LIST_VDEVICE && e->vm_id == vm_id &&
		    e->a == vsid) {
			if (found++ == 0)
				*viommu_id = e->parent;
		}
	}
	ctl_objs_free(&o);
	if (found == 0) {
		fprintf(stderr, "uiommu-ctl: VM %u has no device with vSID %u "
			"(see \"uiommu-ctl list %u\")\n", vm_id, vsid, vm_id);
		return CTL_REFUSED;
	}
	if (found > 1) {
		fprintf(stderr, "uiommu-ctl: vSID %u exists in %u vIOMMUs of "
			"VM %u: choose one with --viommu\n", vsid, found, vm_id);
		return CTL_USAGE;
	}
	return CTL_OK;
}

int
ctl_stats_emit(struct ctl *x, const char *key, uint32_t scope,
	       uint32_t vm_id, uint32_t viommu_id, uint32_t index,
	       const char *indent)
{
	struct uiommu_proto_stat st[UIOMMU_PROTO_MAX_STATS];
	unsigned int n = UIOMMU_PROTO_MAX_STATS, col = 0;
	int rc = uiommu_client_stats(x->c, scope, vm_id, viommu_id, index, st,
				     &n);

	if (rc != 0) {
		if (x->json) {
			jw_obj(&x->j, key);
			jw_i64(&x->j, "error", rc);
			jw_str(&x->j, "message", strerror(-rc));
			jw_obj_end(&x->j);
		} else {
			printf("%s(counters unavailable: %s)\n", indent,
			       strerror(-rc));
		}
		return rc;
	}
	if (x->json) {
		jw_obj(&x->j, key);
		for (unsigned int i = 0; i < n; i++)
			jw_u64(&x->j, st[i].name, st[i].value);
		jw_obj_end(&x->j);
		return 0;
	}
	for (unsigned int i = 0; i < n; i++) {
		char item[80];
		int len = snprintf(item, sizeof(item), "%s=%" PRIu64,
				   st[i].name, st[i].value);

		if (col == 0) {
			printf("%s", indent);
			col = (unsigned int)strlen(indent);
		} else if (col + (unsigned int)len + 1 > 78) {
			printf("\n%s", indent);
			col = (unsigned int)strlen(indent);
		} else {
			putchar(' ');
			col++;
		}
		printf("%s", item);
		col += (unsigned int)len;
	}
	if (col != 0)
		putchar('\n');
	return 0;
}

static void
print_viommu(struct ctl *x, const struct ctl_objs *o,
	     const struct uiommu_proto_list_entry *vi)
{
	uint32_t vm = vi->vm_id, id = vi->id;

	if (x->json) {
		jw_obj(&x->j, NULL);
		jw_u64(&x->j, "id", id);
		jw_str(&x->j, "backend", vi->name);
		jw_u64(&x->j, "vmid", vi->a);
		jw_u64(&x->j, "caps", vi->b);
		jw_u64(&x->j, "vdevices", vi->c);
		jw_u64(&x->j, "lcore", vi->d);
		ctl_stats_emit(x, "stats", UIOMMU_STATS_VIOMMU, vm, id, 0, "");
	} else {
		printf("  vIOMMU %u: backend %s, VMID %" PRIu64 ", caps 0x%"
		       PRIx64 ", %" PRIu64 " vDEVICEs, polled by lcore %u\n",
		       id, vi->name, vi->a, vi->b, vi->c, vi->d);
		ctl_stats_emit(x, NULL, UIOMMU_STATS_VIOMMU, vm, id, 0,
			       "    ");
	}
	for (unsigned int i = 0; i < o->n; i++) {
		const struct uiommu_proto_list_entry *e = &o->e[i];

		if (e->kind != UIOMMU_LIST_STRTAB || e->vm_id != vm ||
		    e->parent != id)
			continue;
		if (x->json) {
			jw_obj(&x->j, "strtab");
			jw_u64(&x->j, "base_gpa", e->a);
			jw_u64(&x->j, "log2size", e->b);
			jw_obj_end(&x->j);
		} else {
			printf("    stream table: GPA 0x%" PRIx64 ", %llu STEs\n",
			       e->a, 1ULL << (e->b & 63));
		}
	}
	if (x->json)
		jw_arr(&x->j, "vdevices");
	for (unsigned int i = 0; i < o->n; i++) {
		const struct uiommu_proto_list_entry *e = &o->e[i];

		if (e->kind != UIOMMU_LIST_VDEVICE || e->vm_id != vm ||
		    e->parent != id)
			continue;
		if (x->json) {
			jw_obj(&x->j, NULL);
			jw_u64(&x->j, "id", e->id);
			jw_u64(&x->j, "vsid", e->a);
			jw_str(&x->j, "spec", e->name);
			jw_obj_end(&x->j);
		} else {
			printf("    vDEVICE %u: vSID %" PRIu64 " %s\n", e->id,
			       e->a, e->name);
		}
	}
	if (x->json) {
		jw_arr_end(&x->j);
		jw_arr(&x->j, "vcmdqs");
	}
	for (unsigned int i = 0; i < o->n; i++) {
		const struct uiommu_proto_list_entry *e = &o->e[i];

		if (e->kind != UIOMMU_LIST_VCMDQ || e->vm_id != vm ||
		    e->parent != id)
			continue;
		if (x->json) {
			jw_obj(&x->j, NULL);
			jw_u64(&x->j, "index", e->id);
			jw_u64(&x->j, "base_gpa", e->a);
			jw_u64(&x->j, "log2size", e->b);
			jw_u64(&x->j, "consumed", e->c);
			jw_u64(&x->j, "lcore", e->d);
			ctl_stats_emit(x, "stats", UIOMMU_STATS_VCMDQ, vm, id,
				       e->id, "");
			jw_obj_end(&x->j);
		} else {
			printf("    vCMDQ %u: ring GPA 0x%" PRIx64 ", %llu "
			       "entries, lcore %u, %" PRIu64 " commands "
			       "consumed\n", e->id, e->a, 1ULL << (e->b & 63),
			       e->d, e->c);
			ctl_stats_emit(x, NULL, UIOMMU_STATS_VCMDQ, vm, id,
				       e->id, "      ");
		}
	}
	if (x->json) {
		jw_arr_end(&x->j);
		jw_obj_end(&x->j);
	}
}

static void
print_vm(struct ctl *x, const struct ctl_objs *o,
	 const struct uiommu_proto_list_entry *v)
{
	uint32_t vm = v->vm_id;

	if (x->json) {
		jw_obj(&x->j, NULL);
		jw_u64(&x->j, "vm_id", vm);
		jw_str(&x->j, "name", v->name);
		jw_u64(&x->j, "pid", v->a);
		jw_u64(&x->j, "ram_regions", v->b);
		jw_u64(&x->j, "ram_bytes", v->c);
		jw_u64(&x->j, "viommus", v->d);
		ctl_stats_emit(x, "stats", UIOMMU_STATS_VM, vm, 0, 0, "");
		jw_arr(&x->j, "mem");
	} else {
		printf("VM %u \"%s\": pid %" PRIu64 ", %" PRIu64 " RAM "
		       "region%s (%" PRIu64 " MiB), %u vIOMMU%s\n", vm,
		       v->name, v->a, v->b, v->b == 1 ? "" : "s",
		       v->c >> 20, v->d, v->d == 1 ? "" : "s");
		ctl_stats_emit(x, NULL, UIOMMU_STATS_VM, vm, 0, 0, "    ");
	}
	for (unsigned int i = 0; i < o->n; i++) {
		const struct uiommu_proto_list_entry *e = &o->e[i];

		if (e->kind != UIOMMU_LIST_MEM || e->vm_id != vm)
			continue;
		if (x->json) {
			jw_obj(&x->j, NULL);
			jw_u64(&x->j, "index", e->id);
			jw_u64(&x->j, "gpa", e->a);
			jw_u64(&x->j, "size", e->b);
			jw_u64(&x->j, "offset", e->c);
			jw_obj_end(&x->j);
		} else {
			printf("  RAM %u: GPA 0x%" PRIx64 " .. 0x%" PRIx64
			       " (%" PRIu64 " MiB, fd offset 0x%" PRIx64 ")\n",
			       e->id, e->a, e->a + e->b - 1, e->b >> 20, e->c);
		}
	}
	if (x->json) {
		jw_arr_end(&x->j);
		jw_arr(&x->j, "viommus");
	}
	for (unsigned int i = 0; i < o->n; i++)
		if (o->e[i].kind == UIOMMU_LIST_VIOMMU && o->e[i].vm_id == vm)
			print_viommu(x, o, &o->e[i]);
	if (x->json) {
		jw_arr_end(&x->j);
		jw_obj_end(&x->j);
	}
}

int
ctl_cmd_list(struct ctl *x, int argc, char **argv)
{
	struct ctl_objs o;
	uint64_t vm = 0;
	unsigned int nvm = 0;
	int rc;

	if (argc > 1 || (argc == 1 && (!ctl_parse_u64(argv[0], &vm) ||
				       vm == 0 || vm > UINT32_MAX))) {
		fprintf(stderr, "uiommu-ctl: usage: list [VM]  (VM: a vm_id "
			"> 0)\n");
		return CTL_USAGE;
	}
	rc = ctl_objs_load(x, (uint32_t)vm, &o);
	if (rc != CTL_OK)
		return rc;
	if (x->json) {
		jw_obj(&x->j, NULL);
		jw_arr(&x->j, "vms");
	}
	for (unsigned int i = 0; i < o.n; i++) {
		if (o.e[i].kind != UIOMMU_LIST_VM)
			continue;
		print_vm(x, &o, &o.e[i]);
		nvm++;
	}
	if (x->json) {
		jw_arr_end(&x->j);
		jw_u64(&x->j, "objects", o.n);
		jw_obj_end(&x->j);
		jw_done(&x->j);
	} else if (nvm == 0) {
		printf("no VM is connected to the manager\n");
	}
	ctl_objs_free(&o);
	return CTL_OK;
}
