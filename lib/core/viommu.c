/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vIOMMU: one VM's slice of a backend IOMMU.
 *
 * Creation acquires, in order, each behind uiommu_should_fail(): the
 * struct, the core event ring, a VMID, the backend vIOMMU, one stage-2 map
 * per RAM region, and the control region (memfd, size, mapping). Any
 * failure unwinds exactly what was acquired, label by label, in reverse.
 * The vIOMMU becomes visible (in its VM's slot array, to iterators and to
 * MEM_ADD, which maps new regions into every published vIOMMU) only after
 * the last acquisition succeeded.
 *
 * Destruction hides the vIOMMU first, then retires and destroys its
 * vCMDQs, retires the vIOMMU itself (the poller stops calling
 * uiommu_viommu_poll), frees its vDEVICEs, unmaps its stage-2, frees the
 * backend vIOMMU and releases the VMID and the control region. Nothing in
 * it can fail.
 *
 * The control region is a memfd (MFD_CLOEXEC) of UIOMMU_CTRL_SIZE bytes:
 * the vCMDQ control page then one 4 KiB register page per vDEVICE slot
 * (layout in uiommu_core.h). Pages are allocated by the kernel on first
 * touch, so the unused device pages cost nothing.
 *
 * The stream table is only recorded here (base, log2 size), after checking
 * that it lies wholly inside one RAM region; STEs are read by the dispatch
 * on CFGI_STE / CFGI_ALL.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core_private.h"

_Static_assert(offsetof(struct uiommu_viommu, vdev_vsid) <= RTE_CACHE_LINE_SIZE,
	       "the vIOMMU's dispatch context fits one cache line");

int
viommu_s2_map(struct uiommu_viommu *v, const struct uiommu_gmem_region *r)
{
	if (uiommu_should_fail())
		return -ENOMEM;
	return v->ops->s2_map(v->priv, r->gpa, r->hva, r->size,
			      UIOMMU_PROT_READ | UIOMMU_PROT_WRITE);
}

void
viommu_s2_unmap(struct uiommu_viommu *v, const struct uiommu_gmem_region *r)
{
	if (v->ops->s2_unmap != NULL)
		v->ops->s2_unmap(v->priv, r->gpa, r->size);
}

bool
viommu_uses_range(const struct uiommu_viommu *v, uint64_t gpa, uint64_t last)
{
	if (v->strtab_set &&
	    uiommu_range_overlaps(gpa, last, v->strtab_gpa, v->strtab_gpa +
				  ((UIOMMU_STE_SIZE << v->strtab_log2) - 1)))
		return true;
	for (uint32_t i = 0; i < UIOMMU_MAX_VCMDQS; i++) {
		const struct uiommu_vcmdq *q = v->vcmdq[i];

		if (q != NULL &&
		    uiommu_range_overlaps(gpa, last, q->base_gpa, q->base_gpa +
					  (((uint64_t)UIOMMU_CMD_SIZE << q->log2size) - 1)))
			return true;
	}
	return false;
}

/* Create, size and map the control region. */
static int
ctrl_create(struct uiommu_viommu *v)
{
	char name[48];
	void *p;
	int rc;

	snprintf(name, sizeof(name), "uiommu-ctrl-vm%u-%u", v->vm->id, v->index);
	if (uiommu_should_fail())
		return -ENOMEM;
	v->ctrl_fd = memfd_create(name, MFD_CLOEXEC);
	if (v->ctrl_fd < 0)
		return -errno;
	if (uiommu_should_fail()) {
		rc = -ENOMEM;
		goto err_close;
	}
	if (ftruncate(v->ctrl_fd, (off_t)UIOMMU_CTRL_SIZE) != 0) {
		rc = -errno;
		goto err_close;
	}
	if (uiommu_should_fail()) {
		rc = -ENOMEM;
		goto err_close;
	}
	p = mmap(NULL, UIOMMU_CTRL_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
		 v->ctrl_fd, 0);
	if (p == MAP_FAILED) {
		rc = -errno;
		goto err_close;
	}
	v->ctrl = p;
	return 0;

err_close:
	close(v->ctrl_fd);
	v->ctrl_fd = -1;
	return rc;
}

static void
ctrl_destroy(struct uiommu_viommu *v)
{
	munmap(v->ctrl, UIOMMU_CTRL_SIZE);
	close(v->ctrl_fd);
}

int
uiommu_viommu_create(struct uiommu_vm *vm, const char *backend,
		     const char *args, struct uiommu_viommu **out)
{
	const struct uiommu_backend_ops *ops;
	struct uiommu_viommu_cfg cfg;
	struct uiommu_viommu *v;
	uint32_t slot, i;
	int rc;

	if (vm == NULL || backend == NULL || out == NULL)
		return -EINVAL;
	ops = uiommu_backend_find(backend);
	if (ops == NULL)
		return -ENOENT;
	if (ops->viommu_alloc == NULL || ops->s2_map == NULL)
		return -EOPNOTSUPP;
	core_lock();
	for (slot = 0; slot < UIOMMU_MAX_VIOMMUS_PER_VM; slot++)
		if (vm->viommu[slot] == NULL)
			break;
	if (slot == UIOMMU_MAX_VIOMMUS_PER_VM) {
		rc = -ENOSPC;
		goto out_unlock;
	}
	if (uiommu_should_fail()) {
		rc = -ENOMEM;
		goto out_unlock;
	}
	if (posix_memalign((void **)&v, RTE_CACHE_LINE_SIZE, sizeof(*v)) != 0) {
		rc = -ENOMEM;
		goto out_unlock;
	}
	memset(v, 0, sizeof(*v));
	v->ops = ops;
	v->gmem = &vm->gmem;
	v->vm = vm;
	v->index = slot;
	v->ctrl_fd = -1;
	v->evq = core_evq_alloc();
	if (v->evq == NULL) {
		rc = -ENOMEM;
		goto out_free;
	}
	rc = core_vmid_alloc(&v->vmid);
	if (rc != 0)
		goto out_evq;
	cfg = (struct uiommu_viommu_cfg){
		.vmid = v->vmid, .vm_id = vm->id, .gmem = &vm->gmem,
		.args = args, .socket_id = -1, /* SOCKET_ID_ANY */
	};
	if (uiommu_should_fail()) {
		rc = -ENOMEM;
		goto out_vmid;
	}
	rc = ops->viommu_alloc(&cfg, &v->priv);
	if (rc != 0)
		goto out_vmid;
	for (i = 0; i < vm->gmem.nr; i++) {
		rc = viommu_s2_map(v, &vm->gmem.r[i]);
		if (rc != 0)
			goto out_s2;
	}
	rc = ctrl_create(v);
	if (rc != 0)
		goto out_s2;
	/* Publish: nothing fails after this. */
	vm->viommu[slot] = v;
	vm->nr_viommu++;
	*out = v;
	core_unlock();
	CORE_LOG(INFO, "VM %u: vIOMMU %u on %s, VMID %u", vm->id, slot,
		 ops->name, v->vmid);
	return 0;

out_s2:
	while (i-- > 0)
		viommu_s2_unmap(v, &vm->gmem.r[i]);
	if (ops->viommu_free != NULL)
		ops->viommu_free(v->priv);
out_vmid:
	core_vmid_free(v->vmid);
out_evq:
	core_evq_free(v->evq);
out_free:
	free(v);
out_unlock:
	core_unlock();
	return rc;
}

void
viommu_destroy_locked(struct uiommu_viommu *v)
{
	struct uiommu_vm *vm = v->vm;

	/* Hide. */
	RTE_VERIFY(vm->viommu[v->index] == v);
	vm->viommu[v->index] = NULL;
	vm->nr_viommu--;
	for (uint32_t i = 0; i < UIOMMU_MAX_VCMDQS; i++)
		if (v->vcmdq[i] != NULL)
			vcmdq_destroy_locked(v->vcmdq[i]);
	core_retire_viommu(v);
	while (v->nr_vdev > 0)
		vdevice_del_locked(v->vdev[v->nr_vdev - 1], false);
	for (uint32_t i = 0; i < vm->gmem.nr; i++)
		viommu_s2_unmap(v, &vm->gmem.r[i]);
	if (v->ops->viommu_free != NULL)
		v->ops->viommu_free(v->priv);
	core_vmid_free(v->vmid);
	ctrl_destroy(v);
	core_evq_free(v->evq);
	CORE_LOG(INFO, "VM %u: vIOMMU %u destroyed", vm->id, v->index);
	free(v);
}

void
uiommu_viommu_destroy(struct uiommu_viommu *v)
{
	if (v == NULL)
		return;
	core_lock();
	viommu_destroy_locked(v);
	core_unlock();
}

int
uiommu_viommu_set_strtab(struct uiommu_viommu *v, uint64_t base_gpa,
			 uint32_t log2size)
{
	uint64_t last;
	int rc;

	if (v == NULL || log2size > UIOMMU_MAX_STRTAB_LOG2 ||
	    (base_gpa & (UIOMMU_STE_SIZE - 1)))
		return -EINVAL;
	rc = uiommu_range_last(base_gpa, (uint64_t)UIOMMU_STE_SIZE << log2size,
			       &last);
	if (rc != 0)
		return rc;
	core_lock();
	if (uiommu_gmem_ptr(v->gmem, base_gpa, last - base_gpa + 1) == NULL) {
		rc = -EFAULT;
		goto out_unlock;
	}
	for (uint32_t i = 0; i < v->nr_vdev; i++) {
		if ((uint64_t)v->vdev_vsid[i] >> log2size) {
			rc = -EINVAL;
			goto out_unlock;
		}
	}
	core_pause(v->vm);
	v->strtab_gpa = base_gpa;
	v->strtab_log2 = log2size;
	v->strtab_set = true;
	core_resume(v->vm);
out_unlock:
	core_unlock();
	return rc;
}

void
uiommu_viommu_clear_strtab(struct uiommu_viommu *v)
{
	if (v == NULL)
		return;
	core_lock();
	core_pause(v->vm);
	v->strtab_set = false;
	v->strtab_gpa = 0;
	v->strtab_log2 = 0;
	core_resume(v->vm);
	core_unlock();
}

int
uiommu_viommu_ctrl_fd(const struct uiommu_viommu *v, int *fd, uint64_t *size)
{
	if (v == NULL || fd == NULL || size == NULL)
		return -EINVAL;
	*fd = v->ctrl_fd;
	*size = UIOMMU_CTRL_SIZE;
	return 0;
}

void *
uiommu_viommu_ctrl_base(const struct uiommu_viommu *v)
{
	return v != NULL ? v->ctrl : NULL;
}

uint16_t
uiommu_viommu_vmid(const struct uiommu_viommu *v)
{
	return v != NULL ? v->vmid : 0;
}

struct uiommu_vm *
uiommu_viommu_vm(const struct uiommu_viommu *v)
{
	return v != NULL ? v->vm : NULL;
}

unsigned int
uiommu_viommu_poll(struct uiommu_viommu *v, unsigned int budget)
{
	if (v->ops->poll == NULL)
		return 0;
	return v->ops->poll(v->priv, budget);
}

int
uiommu_viommu_info_get(const struct uiommu_viommu *v,
		       struct uiommu_viommu_info *info)
{
	if (v == NULL || info == NULL)
		return -EINVAL;
	memset(info, 0, sizeof(*info));
	core_lock();
	info->vm_id = v->vm->id;
	info->index = v->index;
	info->vmid = v->vmid;
	snprintf(info->backend, sizeof(info->backend), "%s", v->ops->name);
	info->strtab_set = v->strtab_set;
	info->strtab_gpa = v->strtab_gpa;
	info->strtab_log2 = v->strtab_log2;
	info->nr_vdevices = v->nr_vdev;
	info->nr_vcmdqs = v->nr_vcmdq;
	info->events = CORE_STAT_GET(v->evq->raised);
	info->events_lost = CORE_STAT_GET(v->evq->lost);
	if (v->ops->event_count != NULL) {
		uint64_t rec = 0, drop = 0;

		v->ops->event_count(v->priv, &rec, &drop);
		info->events += rec;
		info->events_lost += drop;
	}
	core_unlock();
	return 0;
}
