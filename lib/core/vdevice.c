/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vDEVICE: a guest stream ID bound to a backend device.
 *
 * The vIOMMU keeps its vDEVICEs in a compact table of (vSID, vDEVICE)
 * pairs in creation order: the dispatch translates a command's vSID by a
 * linear scan of the vSID column (at most UIOMMU_MAX_VDEVICES 32-bit keys,
 * four cache lines; a handful of devices in practice, so one line), which
 * beats a hash on this size and keeps "the vSID is not ours" a plain miss.
 * The table changes only with the VM's fast path paused.
 *
 * Each vDEVICE owns one 4 KiB register page slot of the control region,
 * zeroed before it is handed to the backend; the backend reports whether
 * the device uses it (soft DMA doorbells) and the VMM learns its offset.
 *
 * A new device is blocked (abort) until the guest configures it with
 * CFGI_STE; the backend guarantees it (vdevice_alloc).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core_private.h"

/* Split "backend:device"; check the backend is the vIOMMU's. */
static int
spec_parse(const struct uiommu_viommu *v, const char *spec, const char **dev)
{
	const char *colon;
	size_t len, plen;

	if (spec == NULL)
		return -EINVAL;
	len = strnlen(spec, UIOMMU_VDEVICE_SPEC_MAX);
	if (len == 0 || len >= UIOMMU_VDEVICE_SPEC_MAX)
		return -EINVAL;
	colon = strchr(spec, ':');
	if (colon == NULL || colon[1] == '\0')
		return -EINVAL;
	plen = (size_t)(colon - spec);
	if (plen != strlen(v->ops->name) ||
	    strncmp(spec, v->ops->name, plen) != 0)
		return -EINVAL;
	*dev = colon + 1;
	return 0;
}

static int
vdev_index(const struct uiommu_viommu *v, uint32_t vsid)
{
	for (uint32_t i = 0; i < v->nr_vdev; i++)
		if (v->vdev_vsid[i] == vsid)
			return (int)i;
	return -1;
}

static void
vdevice_fill_info(const struct uiommu_vdevice *d,
		  struct uiommu_vdevice_info *info)
{
	memset(info, 0, sizeof(*info));
	info->vsid = d->vsid;
	memcpy(info->spec, d->spec, sizeof(info->spec));
	info->fd = d->fd;
	info->has_regs = d->has_regs;
	info->regs_offset = d->has_regs ? UIOMMU_CTRL_DEV_OFFSET +
		(uint64_t)d->slot * UIOMMU_CTRL_DEV_PAGE_SIZE : 0;
	info->blocked = CORE_STAT_GET(d->blocked);
	info->ste_config = CORE_STAT_GET(d->ste_config);
	info->ste_updates = CORE_STAT_GET(d->ste_updates);
	info->ste_bad = CORE_STAT_GET(d->ste_bad);
}

int
uiommu_vdevice_add(struct uiommu_viommu *v, uint32_t vsid, const char *spec,
		   struct uiommu_vdevice_info *out,
		   struct uiommu_vdevice **vdev)
{
	struct uiommu_vdevice_out bout = { .fd = -1, .regs = NULL };
	struct uiommu_vdevice *d;
	const char *devname;
	uint8_t *regs;
	uint32_t slot;
	int rc;

	if (v == NULL)
		return -EINVAL;
	rc = spec_parse(v, spec, &devname);
	if (rc != 0)
		return rc;
	if (v->ops->vdevice_alloc == NULL)
		return -EOPNOTSUPP;
	core_lock();
	if (vdev_index(v, vsid) >= 0) {
		rc = -EEXIST;
		goto out_unlock;
	}
	if (v->strtab_set && ((uint64_t)vsid >> v->strtab_log2) != 0) {
		rc = -EINVAL;
		goto out_unlock;
	}
	if (v->nr_vdev >= UIOMMU_MAX_VDEVICES) {
		rc = -ENOSPC;
		goto out_unlock;
	}
	if (uiommu_should_fail()) {
		rc = -ENOMEM;
		goto out_unlock;
	}
	d = calloc(1, sizeof(*d));
	if (d == NULL) {
		rc = -ENOMEM;
		goto out_unlock;
	}
	/* A slot is free: slots and table entries are one to one. */
	slot = (uint32_t)__builtin_ctzll(~v->slots_used);
	regs = v->ctrl + UIOMMU_CTRL_DEV_OFFSET +
	       (uint64_t)slot * UIOMMU_CTRL_DEV_PAGE_SIZE;
	memset(regs, 0, UIOMMU_CTRL_DEV_PAGE_SIZE);
	d->viommu = v;
	d->vsid = vsid;
	d->slot = slot;
	d->blocked = true;
	snprintf(d->spec, sizeof(d->spec), "%s", spec);

	core_pause(v->vm);
	if (uiommu_should_fail()) {
		rc = -ENOMEM;
		goto out_resume;
	}
	rc = v->ops->vdevice_alloc(v->priv, devname, vsid, regs, &d->priv,
				   &bout);
	if (rc != 0)
		goto out_resume;
	d->fd = bout.fd;
	d->has_regs = bout.regs != NULL;
	/* Publish. */
	v->slots_used |= 1ULL << slot;
	v->vdev_vsid[v->nr_vdev] = vsid;
	v->vdev[v->nr_vdev] = d;
	v->nr_vdev++;
	core_resume(v->vm);
	if (out != NULL)
		vdevice_fill_info(d, out);
	if (vdev != NULL)
		*vdev = d;
	core_unlock();
	CORE_LOG(INFO, "VM %u vIOMMU %u: vSID 0x%x -> %s", v->vm->id, v->index,
		 vsid, d->spec);
	return 0;

out_resume:
	core_resume(v->vm);
	free(d);
out_unlock:
	core_unlock();
	return rc;
}

void
vdevice_del_locked(struct uiommu_vdevice *d, bool pause)
{
	struct uiommu_viommu *v = d->viommu;
	int i = vdev_index(v, d->vsid);

	RTE_VERIFY(i >= 0 && v->vdev[i] == d);
	if (pause)
		core_pause(v->vm);
	memmove(&v->vdev_vsid[i], &v->vdev_vsid[i + 1],
		(v->nr_vdev - (uint32_t)i - 1) * sizeof(v->vdev_vsid[0]));
	memmove(&v->vdev[i], &v->vdev[i + 1],
		(v->nr_vdev - (uint32_t)i - 1) * sizeof(v->vdev[0]));
	v->nr_vdev--;
	if (v->ops->vdevice_free != NULL)
		v->ops->vdevice_free(d->priv);
	if (pause)
		core_resume(v->vm);
	v->slots_used &= ~(1ULL << d->slot);
	free(d);
}

int
uiommu_vdevice_del(struct uiommu_viommu *v, uint32_t vsid)
{
	int i, rc = 0;

	if (v == NULL)
		return -EINVAL;
	core_lock();
	i = vdev_index(v, vsid);
	if (i < 0)
		rc = -ENOENT;
	else
		vdevice_del_locked(v->vdev[i], true);
	core_unlock();
	return rc;
}

struct uiommu_vdevice *
uiommu_vdevice_find(const struct uiommu_viommu *v, uint32_t vsid)
{
	struct uiommu_vdevice *d = NULL;
	int i;

	if (v == NULL)
		return NULL;
	core_lock();
	i = vdev_index(v, vsid);
	if (i >= 0)
		d = v->vdev[i];
	core_unlock();
	return d;
}

int
uiommu_vdevice_info_get(const struct uiommu_vdevice *d,
			struct uiommu_vdevice_info *info)
{
	if (d == NULL || info == NULL)
		return -EINVAL;
	core_lock();
	vdevice_fill_info(d, info);
	core_unlock();
	return 0;
}

int
uiommu_vdevice_translate(struct uiommu_vdevice *d, uint64_t iova,
			 uint32_t access, struct uiommu_xlate *out)
{
	int rc;

	if (d == NULL || out == NULL || access == 0 ||
	    (access & ~(UIOMMU_ACCESS_READ | UIOMMU_ACCESS_WRITE)))
		return -EINVAL;
	if (d->viommu->ops->translate == NULL)
		return -EOPNOTSUPP;
	memset(out, 0, sizeof(*out));
	core_lock();
	/* An inspection: a fault is returned, never recorded as an event. */
	rc = d->viommu->ops->translate(d->priv, iova,
				       access | UIOMMU_ACCESS_PROBE, out);
	core_unlock();
	return rc;
}

int
uiommu_vdevice_foreach(struct uiommu_viommu *v, uiommu_vdevice_iter_cb cb,
		       void *arg)
{
	int rc = 0;

	if (v == NULL || cb == NULL)
		return -EINVAL;
	core_lock();
	for (uint32_t i = 0; i < v->nr_vdev && rc == 0; i++)
		rc = cb(v->vdev[i], arg);
	core_unlock();
	return rc;
}
