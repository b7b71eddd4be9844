/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Page-table dumps: the core's side of PT_DUMP (uiommu-ctl dump).
 *
 * Design. A dump is an inspection: the core checks the request once (so
 * every backend sees a range with first <= last, limits that let a call
 * make progress and a read bound no larger than UIOMMU_PT_DUMP_MAX_READS),
 * zeroes the result, and calls the backend's optional op under the core
 * lock, like TRANSLATE: the lock keeps the control path (stage-2 map and
 * unmap, vDEVICE removal) away for the duration, while the fast path may go
 * on (backends walk their tables lock-free, as their translate does). The
 * backend reads the guest's tables itself, through guest memory with bounds
 * checks, and records no event. The core then checks that the backend kept
 * to the entry bound, so the caller may size its output by it.
 */
#include <string.h>

#include "core_private.h"

static int
req_check(const struct uiommu_pt_dump_req *req, uiommu_pt_dump_cb cb,
	  struct uiommu_pt_dump_res *res)
{
	if (req == NULL || cb == NULL || res == NULL)
		return -EINVAL;
	if (req->first > req->last ||
	    req->max_entries < UIOMMU_PT_DUMP_MIN_ENTRIES ||
	    req->max_reads < UIOMMU_PT_DUMP_MIN_ENTRIES ||
	    req->max_reads > UIOMMU_PT_DUMP_MAX_READS ||
	    (!req->ssv && req->ssid != 0))
		return -EINVAL;
	return 0;
}

/* Entries the backend reported, counted by the core. */
struct dump_guard {
	uiommu_pt_dump_cb cb;
	void *arg;
	uint32_t max;
	uint32_t n;
};

static int
guard_cb(void *arg, const struct uiommu_pt_dump_entry *e)
{
	struct dump_guard *g = arg;

	/* A backend past the bound is a bug: stop it, never overflow. */
	if (g->n >= g->max)
		return -EMSGSIZE;
	g->n++;
	return g->cb(g->arg, e);
}

int
uiommu_vdevice_pt_dump(struct uiommu_vdevice *d,
		       const struct uiommu_pt_dump_req *req,
		       uiommu_pt_dump_cb cb, void *arg,
		       struct uiommu_pt_dump_res *res)
{
	struct dump_guard g;
	int rc;

	if (d == NULL)
		return -EINVAL;
	rc = req_check(req, cb, res);
	if (rc != 0)
		return rc;
	memset(res, 0, sizeof(*res));
	if (d->viommu->ops->vdevice_pt_dump == NULL)
		return -EOPNOTSUPP;
	g = (struct dump_guard){ .cb = cb, .arg = arg,
				 .max = req->max_entries };
	core_lock();
	rc = d->viommu->ops->vdevice_pt_dump(d->priv, req, guard_cb, &g, res);
	core_unlock();
	res->entries = g.n;
	return rc;
}

int
uiommu_viommu_pt_dump(struct uiommu_viommu *v,
		      const struct uiommu_pt_dump_req *req,
		      uiommu_pt_dump_cb cb, void *arg,
		      struct uiommu_pt_dump_res *res)
{
	struct dump_guard g;
	int rc;

	if (v == NULL)
		return -EINVAL;
	rc = req_check(req, cb, res);
	if (rc != 0)
		return rc;
	if (req->ssv)
		return -EINVAL;
	memset(res, 0, sizeof(*res));
	if (v->ops->viommu_pt_dump == NULL)
		return -EOPNOTSUPP;
	g = (struct dump_guard){ .cb = cb, .arg = arg,
				 .max = req->max_entries };
	core_lock();
	rc = v->ops->viommu_pt_dump(v->priv, req, guard_cb, &g, res);
	core_unlock();
	res->entries = g.n;
	return rc;
}
