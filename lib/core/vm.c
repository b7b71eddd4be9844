/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * VM: a client's guest, its RAM regions and its stage-2 IOAS.
 *
 * Guest RAM lives in three places that must agree: the region array
 * (struct uiommu_gmem, what the fast path reads through uiommu_gmem_ptr),
 * the stage-2 IOAS (lib/iova: GPA -> host VA, FIXED areas, what inspection
 * and later shadowing backends walk), and the stage-2 domain of every
 * vIOMMU of the VM (backend s2_map). A region is added to all three or to
 * none: validation first (nothing acquired), then the mapping, the IOAS
 * area, every backend's stage-2, and last the region array, which is the
 * publication — from then on the guest may point a queue at it. Removal
 * runs in the opposite order and is refused (-EBUSY) while a vCMDQ ring or
 * a stream table lies in the region, because the fast path holds plain
 * host pointers into it.
 *
 * The fast path of the VM is paused (poller hooks) around the changes to
 * the region array and the backends' stage-2, which the lcores read.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <fcntl.h>

#include "core_private.h"

#define VM_PAGE 4096ULL

int
uiommu_vm_create(const char *name, struct uiommu_vm **out)
{
	struct uiommu_vm *vm;
	int rc;

	if (out == NULL)
		return -EINVAL;
	core_lock();
	rc = core_vm_name_check(name);
	if (rc != 0)
		goto out_unlock;
	if (uiommu_should_fail()) {
		rc = -ENOMEM;
		goto out_unlock;
	}
	vm = calloc(1, sizeof(*vm));
	if (vm == NULL) {
		rc = -ENOMEM;
		goto out_unlock;
	}
	if (uiommu_should_fail()) {
		rc = -ENOMEM;
		goto out_free;
	}
	rc = uiommu_ioas_create(&vm->s2);
	if (rc != 0)
		goto out_free;
	strcpy(vm->name, name);
	/* Publish: nothing fails after this. */
	rc = core_vm_link(vm);
	if (rc != 0)
		goto out_ioas;
	*out = vm;
	core_unlock();
	CORE_LOG(INFO, "VM %u '%s' created", vm->id, vm->name);
	return 0;

out_ioas:
	uiommu_ioas_destroy(vm->s2);
out_free:
	free(vm);
out_unlock:
	core_unlock();
	return rc;
}

/* Release a region's host mapping and fd (regions we mapped have fd >= 0). */
static void
region_release(const struct uiommu_gmem_region *r)
{
	if (r->fd >= 0) {
		munmap(r->hva, r->size);
		close(r->fd);
	}
}

void
uiommu_vm_destroy(struct uiommu_vm *vm)
{
	struct uiommu_gmem_region r;

	if (vm == NULL)
		return;
	core_lock();
	core_vm_unlink(vm);
	for (uint32_t i = 0; i < UIOMMU_MAX_VIOMMUS_PER_VM; i++)
		if (vm->viommu[i] != NULL)
			viommu_destroy_locked(vm->viommu[i]);
	while (vm->gmem.nr > 0) {
		const struct uiommu_gmem_region *last = &vm->gmem.r[vm->gmem.nr - 1];

		RTE_VERIFY(uiommu_gmem_del(&vm->gmem, last->gpa, last->size,
					   &r) == 0);
		region_release(&r);
	}
	uiommu_ioas_destroy(vm->s2);
	CORE_LOG(INFO, "VM %u '%s' destroyed", vm->id, vm->name);
	free(vm);
	core_unlock();
}

/* Checks of a new region that need no resource. */
static int
region_check(const struct uiommu_vm *vm, uint64_t gpa, uint64_t size)
{
	uint64_t last;
	int rc;

	rc = uiommu_range_last(gpa, size, &last);
	if (rc != 0)
		return rc;
	if ((gpa | size) & (VM_PAGE - 1))
		return -EINVAL;
	for (uint32_t i = 0; i < vm->gmem.nr; i++)
		if (uiommu_range_overlaps(gpa, last, vm->gmem.r[i].gpa,
					  vm->gmem.r[i].last))
			return -EEXIST;
	if (vm->gmem.nr >= UIOMMU_MAX_MEM_REGIONS)
		return -ENOSPC;
	return 0;
}

/*
 * Enter a validated region everywhere: IOAS, every vIOMMU's stage-2, then
 * the region array (publication). On failure nothing is left behind; the
 * caller still owns hva and fd.
 */
static int
region_install(struct uiommu_vm *vm, uint64_t gpa, uint64_t size, void *hva,
	       int fd, uint64_t offset)
{
	struct uiommu_gmem_region r = {
		.gpa = gpa, .last = gpa + (size - 1), .hva = hva, .size = size,
		.fd = fd, .offset = offset,
	};
	uint64_t iova = gpa;
	uint32_t i;
	int rc;

	if (uiommu_should_fail())
		return -ENOMEM;
	rc = uiommu_ioas_map(vm->s2, (uint64_t)(uintptr_t)hva, size, &iova,
			     UIOMMU_IOAS_MAP_FIXED_IOVA |
			     UIOMMU_IOAS_MAP_READABLE |
			     UIOMMU_IOAS_MAP_WRITEABLE, vm);
	if (rc != 0)
		return rc;
	core_pause(vm);
	for (i = 0; i < UIOMMU_MAX_VIOMMUS_PER_VM; i++) {
		if (vm->viommu[i] == NULL)
			continue;
		rc = viommu_s2_map(vm->viommu[i], &r);
		if (rc != 0)
			goto err_undo;
	}
	/* Publish (cannot fail: region_check ran under the same lock). */
	rc = uiommu_gmem_add(&vm->gmem, gpa, size, hva, fd, offset);
	if (rc != 0)
		goto err_undo;
	core_resume(vm);
	return 0;

err_undo:
	while (i-- > 0)
		if (vm->viommu[i] != NULL)
			viommu_s2_unmap(vm->viommu[i], &r);
	core_resume(vm);
	RTE_VERIFY(uiommu_ioas_unmap(vm->s2, gpa, size, NULL) == 0);
	return rc;
}

int
uiommu_vm_mem_add(struct uiommu_vm *vm, uint64_t gpa, uint64_t size, int fd,
		  uint64_t offset)
{
	struct stat st;
	uint64_t flast;
	void *hva;
	int rc, dfd;

	if (vm == NULL)
		return -EINVAL;
	core_lock();
	rc = region_check(vm, gpa, size);
	if (rc != 0)
		goto out_unlock;
	if (offset & (VM_PAGE - 1)) {
		rc = -EINVAL;
		goto out_unlock;
	}
	rc = uiommu_range_last(offset, size, &flast);
	if (rc != 0)
		goto out_unlock;
	if (fd < 0 || fstat(fd, &st) != 0) {
		rc = -EBADF;
		goto out_unlock;
	}
	if (!S_ISREG(st.st_mode) || st.st_size < 0 ||
	    flast >= (uint64_t)st.st_size) {
		rc = -EINVAL;
		goto out_unlock;
	}
	if (uiommu_should_fail()) {
		rc = -ENOMEM;
		goto out_unlock;
	}
	dfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (dfd < 0) {
		rc = -errno;
		goto out_unlock;
	}
	if (uiommu_should_fail()) {
		rc = -ENOMEM;
		goto out_close;
	}
	hva = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, dfd,
		   (off_t)offset);
	if (hva == MAP_FAILED) {
		rc = -errno;
		goto out_close;
	}
	rc = region_install(vm, gpa, size, hva, dfd, offset);
	if (rc != 0)
		goto out_unmap;
	core_unlock();
	CORE_LOG(INFO, "VM %u: RAM [0x%" PRIx64 ", 0x%" PRIx64 "] added",
		 vm->id, gpa, gpa + (size - 1));
	return 0;

out_unmap:
	munmap(hva, size);
out_close:
	close(dfd);
out_unlock:
	core_unlock();
	return rc;
}

int
uiommu_vm_mem_add_hva(struct uiommu_vm *vm, uint64_t gpa, uint64_t size,
		      void *hva)
{
	int rc;

	if (vm == NULL || hva == NULL || ((uintptr_t)hva & (VM_PAGE - 1)))
		return -EINVAL;
	core_lock();
	rc = region_check(vm, gpa, size);
	if (rc == 0)
		rc = region_install(vm, gpa, size, hva, -1, 0);
	core_unlock();
	return rc;
}

int
uiommu_vm_mem_del(struct uiommu_vm *vm, uint64_t gpa, uint64_t size)
{
	struct uiommu_gmem_region r;
	const struct uiommu_gmem_region *found = NULL;
	int rc;

	if (vm == NULL)
		return -EINVAL;
	core_lock();
	for (uint32_t i = 0; i < vm->gmem.nr; i++)
		if (vm->gmem.r[i].gpa == gpa && vm->gmem.r[i].size == size)
			found = &vm->gmem.r[i];
	if (found == NULL) {
		rc = -ENOENT;
		goto out_unlock;
	}
	for (uint32_t i = 0; i < UIOMMU_MAX_VIOMMUS_PER_VM; i++) {
		if (vm->viommu[i] != NULL &&
		    viommu_uses_range(vm->viommu[i], found->gpa, found->last)) {
			rc = -EBUSY;
			goto out_unlock;
		}
	}
	core_pause(vm);
	RTE_VERIFY(uiommu_gmem_del(&vm->gmem, gpa, size, &r) == 0);
	for (uint32_t i = 0; i < UIOMMU_MAX_VIOMMUS_PER_VM; i++)
		if (vm->viommu[i] != NULL)
			viommu_s2_unmap(vm->viommu[i], &r);
	core_resume(vm);
	RTE_VERIFY(uiommu_ioas_unmap(vm->s2, gpa, size, NULL) == 0);
	region_release(&r);
	rc = 0;
	CORE_LOG(INFO, "VM %u: RAM [0x%" PRIx64 ", 0x%" PRIx64 "] removed",
		 vm->id, r.gpa, r.last);
out_unlock:
	core_unlock();
	return rc;
}

const struct uiommu_gmem *
uiommu_vm_gmem(const struct uiommu_vm *vm)
{
	return vm != NULL ? &vm->gmem : NULL;
}

int
uiommu_vm_info_get(const struct uiommu_vm *vm, struct uiommu_vm_info *info)
{
	if (vm == NULL || info == NULL)
		return -EINVAL;
	memset(info, 0, sizeof(*info));
	core_lock();
	info->id = vm->id;
	memcpy(info->name, vm->name, sizeof(info->name));
	info->nr_regions = vm->gmem.nr;
	for (uint32_t i = 0; i < vm->gmem.nr; i++)
		info->ram_bytes += vm->gmem.r[i].size;
	info->nr_viommus = vm->nr_viommu;
	core_unlock();
	return 0;
}

int
uiommu_viommu_foreach(struct uiommu_vm *vm, uiommu_viommu_iter_cb cb,
		      void *arg)
{
	int rc = 0;

	if (vm == NULL || cb == NULL)
		return -EINVAL;
	core_lock();
	for (uint32_t i = 0; i < UIOMMU_MAX_VIOMMUS_PER_VM && rc == 0; i++)
		if (vm->viommu[i] != NULL)
			rc = cb(vm->viommu[i], arg);
	core_unlock();
	return rc;
}
