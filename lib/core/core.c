/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Process-wide state of the core: the lock, the poller's hooks, the VMID
 * allocator and the list of VMs.
 *
 * One recursive mutex serialises the whole control path. Control
 * operations are rare (a VM's set-up, a device hot-plug) and short, so one
 * lock costs nothing measurable and makes every object's lifetime simple:
 * an object found under the lock stays alive until the lock is dropped.
 * The lock is recursive so that iteration callbacks may call the info
 * getters. The fast path never takes it (see the threading contract in
 * uiommu_core.h).
 *
 * VMIDs are unique per manager: a 64 Ki-bit bitmap, allocated next-fit from
 * the last VMID handed out, so that a VMID just released is reused as late
 * as possible (a stale IOTLB entry tagged with an old VMID then cannot hit
 * a new VM early, which keeps such bugs visible rather than latent). VMID 0
 * is never handed out.
 */
#include <pthread.h>
#include <string.h>

#include "core_private.h"

RTE_LOG_REGISTER_SUFFIX(uiommu_logtype_core, core, NOTICE);

static pthread_mutex_t core_mutex = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;
static struct uiommu_core_hooks hooks;
static bool in_pause;

static uint64_t vmid_map[(UIOMMU_VMID_MAX + 1) / 64];
static uint32_t vmid_next = 1;

static TAILQ_HEAD(, uiommu_vm) vm_list = TAILQ_HEAD_INITIALIZER(vm_list);
static uint32_t nr_vms;
static uint32_t vm_next_id = 1;

void
core_lock(void)
{
	pthread_mutex_lock(&core_mutex);
}

void
core_unlock(void)
{
	pthread_mutex_unlock(&core_mutex);
}

int
uiommu_core_hooks_set(const struct uiommu_core_hooks *h)
{
	core_lock();
	if (h != NULL)
		hooks = *h;
	else
		memset(&hooks, 0, sizeof(hooks));
	core_unlock();
	return 0;
}

void
core_pause(struct uiommu_vm *vm)
{
	RTE_VERIFY(!in_pause);
	in_pause = true;
	if (hooks.vm_pause != NULL)
		hooks.vm_pause(hooks.arg, vm);
}

void
core_resume(struct uiommu_vm *vm)
{
	RTE_VERIFY(in_pause);
	in_pause = false;
	if (hooks.vm_resume != NULL)
		hooks.vm_resume(hooks.arg, vm);
}

void
core_retire_vcmdq(struct uiommu_vcmdq *q)
{
	if (hooks.vcmdq_retire != NULL)
		hooks.vcmdq_retire(hooks.arg, q);
}

void
core_retire_viommu(struct uiommu_viommu *v)
{
	if (hooks.viommu_retire != NULL)
		hooks.viommu_retire(hooks.arg, v);
}

static bool
vmid_test(uint32_t id)
{
	return (vmid_map[id / 64] >> (id % 64)) & 1;
}

int
core_vmid_alloc(uint16_t *vmid)
{
	uint32_t id = vmid_next;

	if (uiommu_should_fail())
		return -ENOSPC;
	for (uint32_t n = 0; n < UIOMMU_VMID_MAX; n++) {
		if (id == 0 || id > UIOMMU_VMID_MAX)
			id = 1;
		if (!vmid_test(id)) {
			vmid_map[id / 64] |= 1ULL << (id % 64);
			vmid_next = id + 1;
			*vmid = (uint16_t)id;
			return 0;
		}
		id++;
	}
	return -ENOSPC;
}

void
core_vmid_free(uint16_t vmid)
{
	RTE_VERIFY(vmid != 0 && vmid_test(vmid));
	vmid_map[vmid / 64] &= ~(1ULL << (vmid % 64));
}

int
core_vm_name_check(const char *name)
{
	struct uiommu_vm *vm;
	size_t len;

	if (name == NULL)
		return -EINVAL;
	len = strnlen(name, UIOMMU_VM_NAME_MAX);
	if (len == 0 || len >= UIOMMU_VM_NAME_MAX)
		return -EINVAL;
	TAILQ_FOREACH(vm, &vm_list, link)
		if (strcmp(vm->name, name) == 0)
			return -EEXIST;
	return 0;
}

uint32_t
core_vm_next_id(void)
{
	return vm_next_id;
}

int
core_vm_link(struct uiommu_vm *vm)
{
	if (nr_vms >= UIOMMU_MAX_VMS)
		return -ENOSPC;
	vm->id = vm_next_id++;
	if (vm_next_id == 0)
		vm_next_id = 1;
	TAILQ_INSERT_TAIL(&vm_list, vm, link);
	nr_vms++;
	return 0;
}

void
core_vm_unlink(struct uiommu_vm *vm)
{
	TAILQ_REMOVE(&vm_list, vm, link);
	nr_vms--;
}

int
uiommu_vm_foreach(uiommu_vm_iter_cb cb, void *arg)
{
	struct uiommu_vm *vm;
	int rc = 0;

	if (cb == NULL)
		return -EINVAL;
	core_lock();
	TAILQ_FOREACH(vm, &vm_list, link) {
		rc = cb(vm, arg);
		if (rc != 0)
			break;
	}
	core_unlock();
	return rc;
}
