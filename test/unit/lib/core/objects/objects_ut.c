/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tests of the core object model (VM, vIOMMU, vDEVICE, vCMDQ) on the
 * "mock" backend: every create path with its error cases, the cascade of
 * destroys (nothing left in the mock, no fd leaked, nothing for ASan to
 * report), VMID uniqueness, the control region, the poller hooks, the
 * iterators, and — in a -Dfault_injection=true build — a sweep that fails
 * every resource acquisition of every create path in turn.
 */
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "uiommu_core.h"
#include "uiommu_fail.h"
#include "uiommu_ut.h"

#define RAM_SIZE (1u << 20)

static const struct uiommu_mock_state *ms;

/* Open file descriptors of the process. */
static int
count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1; /* the DIR's own fd */
}

static void *
ram_alloc(size_t size)
{
	void *p = aligned_alloc(4096, size);

	UT_ASSERT_FATAL(p != NULL);
	memset(p, 0, size);
	return p;
}

static int
memfd_of(uint64_t size)
{
	int fd = memfd_create("ut-ram", MFD_CLOEXEC);

	UT_ASSERT_FATAL(fd >= 0);
	UT_ASSERT_FATAL(ftruncate(fd, (off_t)size) == 0);
	return fd;
}

static void
mock_clean(void)
{
	uiommu_mock_reset();
	ms = uiommu_mock_state();
}

static void
assert_mock_empty(void)
{
	CU_ASSERT_EQUAL(ms->live_viommus, 0);
	CU_ASSERT_EQUAL(ms->live_vdevices, 0);
	CU_ASSERT_EQUAL(ms->live_s2_maps, 0);
}

/* ---- VM -------------------------------------------------------------- */

static void
test_vm_create_errors(void)
{
	struct uiommu_vm *vm = NULL, *vm2 = NULL;
	char longname[UIOMMU_VM_NAME_MAX + 1];

	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	CU_ASSERT_EQUAL(uiommu_vm_create("x", NULL), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_vm_create(NULL, &vm), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_vm_create("", &vm), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_vm_create(longname, &vm), -EINVAL);
	longname[UIOMMU_VM_NAME_MAX - 1] = '\0'; /* longest accepted */
	CU_ASSERT_EQUAL(uiommu_vm_create(longname, &vm), 0);
	CU_ASSERT_EQUAL(uiommu_vm_create(longname, &vm2), -EEXIST);
	uiommu_vm_destroy(vm);
	CU_ASSERT_EQUAL(uiommu_vm_create(longname, &vm2), 0); /* name free again */
	uiommu_vm_destroy(vm2);
	uiommu_vm_destroy(NULL);
}

static void
test_vm_max(void)
{
	struct uiommu_vm *vms[UIOMMU_MAX_VMS + 1];
	char name[16];
	int i;

	for (i = 0; i < UIOMMU_MAX_VMS; i++) {
		snprintf(name, sizeof(name), "vm%d", i);
		CU_ASSERT_EQUAL_FATAL(uiommu_vm_create(name, &vms[i]), 0);
	}
	CU_ASSERT_EQUAL(uiommu_vm_create("one-too-many", &vms[i]), -ENOSPC);
	while (i-- > 0)
		uiommu_vm_destroy(vms[i]);
}

static void
test_vm_mem_add_hva_errors(void)
{
	struct uiommu_vm *vm;
	uint8_t *ram = ram_alloc(RAM_SIZE);
	const struct uiommu_gmem *gm;
	struct uiommu_vm_info info;
	uint32_t i;

	CU_ASSERT_EQUAL_FATAL(uiommu_vm_create("hva", &vm), 0);
	gm = uiommu_vm_gmem(vm);
	CU_ASSERT_EQUAL(uiommu_vm_mem_add_hva(NULL, 0, 4096, ram), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_vm_mem_add_hva(vm, 0, 4096, NULL), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_vm_mem_add_hva(vm, 0, 4096, ram + 1), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_vm_mem_add_hva(vm, 0, 0, ram), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_vm_mem_add_hva(vm, 0x800, 4096, ram), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_vm_mem_add_hva(vm, 0, 100, ram), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_vm_mem_add_hva(vm, UINT64_MAX - 4095, 8192, ram),
			-EOVERFLOW);
	CU_ASSERT_EQUAL(gm->nr, 0);
	CU_ASSERT_EQUAL(uiommu_vm_mem_add_hva(vm, 0x100000, RAM_SIZE / 2, ram), 0);
	CU_ASSERT_EQUAL(uiommu_vm_mem_add_hva(vm, 0x17f000, 8192, ram), -EEXIST);
	CU_ASSERT_EQUAL(uiommu_vm_mem_add_hva(vm, 0xff000, 8192, ram), -EEXIST);
	/* The last address of the space is usable. */
	CU_ASSERT_EQUAL(uiommu_vm_mem_add_hva(vm, UINT64_MAX - 4095, 4096,
					      ram + RAM_SIZE - 4096), 0);
	CU_ASSERT_PTR_EQUAL(uiommu_gmem_ptr(gm, 0x100010, 4), ram + 0x10);
	CU_ASSERT_PTR_EQUAL(uiommu_gmem_ptr(gm, UINT64_MAX, 1), ram + RAM_SIZE - 1);
	for (i = gm->nr; i < UIOMMU_MAX_MEM_REGIONS; i++)
		CU_ASSERT_EQUAL(uiommu_vm_mem_add_hva(vm, 0x10000000ULL * (i + 1),
						      4096, ram), 0);
	CU_ASSERT_EQUAL(uiommu_vm_mem_add_hva(vm, 0x10000000ULL * (i + 1), 4096,
					      ram), -ENOSPC);
	CU_ASSERT_EQUAL(uiommu_vm_info_get(vm, &info), 0);
	CU_ASSERT_EQUAL(info.nr_regions, UIOMMU_MAX_MEM_REGIONS);
	CU_ASSERT_EQUAL(info.ram_bytes, RAM_SIZE / 2 +
			(UIOMMU_MAX_MEM_REGIONS - 1) * 4096ULL);
	CU_ASSERT_STRING_EQUAL(info.name, "hva");
	/* Deletion needs the exact region. */
	CU_ASSERT_EQUAL(uiommu_vm_mem_del(vm, 0x100000, 4096), -ENOENT);
	CU_ASSERT_EQUAL(uiommu_vm_mem_del(vm, 0x101000, RAM_SIZE / 2 - 4096), -ENOENT);
	CU_ASSERT_EQUAL(uiommu_vm_mem_del(vm, 0x100000, RAM_SIZE / 2), 0);
	CU_ASSERT_EQUAL(uiommu_vm_mem_del(vm, 0x100000, RAM_SIZE / 2), -ENOENT);
	CU_ASSERT_PTR_NULL(uiommu_gmem_ptr(gm, 0x100010, 4));
	uiommu_vm_destroy(vm);
	free(ram);
}

static void
test_vm_mem_add_fd(void)
{
	int fds_before = count_fds();
	struct uiommu_vm *vm;
	int fd = memfd_of(64 * 1024), bad;
	const struct uiommu_gmem *gm;
	uint8_t *p;

	CU_ASSERT_EQUAL_FATAL(uiommu_vm_create("fd", &vm), 0);
	gm = uiommu_vm_gmem(vm);
	CU_ASSERT_EQUAL(uiommu_vm_mem_add(vm, 0x1000, 4096, -1, 0), -EBADF);
	CU_ASSERT_EQUAL(uiommu_vm_mem_add(vm, 0x1000, 4096, 1000, 0), -EBADF);
	CU_ASSERT_EQUAL(uiommu_vm_mem_add(vm, 0x1000, 4096, fd, 100), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_vm_mem_add(vm, 0x1000, 128 * 1024, fd, 0), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_vm_mem_add(vm, 0x1000, 4096, fd, 64 * 1024), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_vm_mem_add(vm, 0x1000, 1ULL << 60, fd, 0), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_vm_mem_add(vm, 0x1000, 8192, fd,
					  UINT64_MAX - 4095), -EOVERFLOW);
	bad = open("/proc/self", O_RDONLY | O_DIRECTORY);
	CU_ASSERT_EQUAL(uiommu_vm_mem_add(vm, 0x1000, 4096, bad, 0), -EINVAL);
	close(bad);
	/* Two regions from one file, the second at an offset. */
	CU_ASSERT_EQUAL(uiommu_vm_mem_add(vm, 0x100000, 32 * 1024, fd, 0), 0);
	CU_ASSERT_EQUAL(uiommu_vm_mem_add(vm, 0x200000, 32 * 1024, fd, 32 * 1024), 0);
	CU_ASSERT_EQUAL(uiommu_vm_mem_add(vm, 0x104000, 4096, fd, 0), -EEXIST);
	/* The core has its own reference: closing ours keeps the RAM. */
	close(fd);
	p = uiommu_gmem_ptr(gm, 0x100000, 64);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	memset(p, 0x5a, 64);
	/* The mapping is MAP_SHARED over the file: region 2 is not region 1. */
	p = uiommu_gmem_ptr(gm, 0x200000, 64);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_EQUAL(p[0], 0);
	CU_ASSERT_EQUAL(uiommu_vm_mem_del(vm, 0x200000, 32 * 1024), 0);
	uiommu_vm_destroy(vm);
	CU_ASSERT_EQUAL(count_fds(), fds_before);
}

static void
test_vm_mem_shared_with_file(void)
{
	struct uiommu_vm *vm;
	int fd = memfd_of(8192);
	uint8_t *mine, *core;

	mine = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	UT_ASSERT_FATAL(mine != MAP_FAILED);
	CU_ASSERT_EQUAL_FATAL(uiommu_vm_create("shared", &vm), 0);
	CU_ASSERT_EQUAL_FATAL(uiommu_vm_mem_add(vm, 0x40000000, 8192, fd, 0), 0);
	core = uiommu_gmem_ptr(uiommu_vm_gmem(vm), 0x40001000, 4);
	CU_ASSERT_PTR_NOT_NULL_FATAL(core);
	mine[4096] = 0x77;      /* the VMM writes guest RAM ... */
	CU_ASSERT_EQUAL(core[0], 0x77); /* ... the manager sees it */
	uiommu_vm_destroy(vm);
	munmap(mine, 8192);
	close(fd);
}

/* ---- vIOMMU ---------------------------------------------------------- */

static void
test_viommu_create_errors(void)
{
	struct uiommu_vm *vm;
	struct uiommu_viommu *v[UIOMMU_MAX_VIOMMUS_PER_VM + 1];
	uint8_t *ram = ram_alloc(RAM_SIZE);
	struct uiommu_viommu_info info;
	int i;

	mock_clean();
	CU_ASSERT_EQUAL_FATAL(uiommu_vm_create("viommu", &vm), 0);
	CU_ASSERT_EQUAL(uiommu_vm_mem_add_hva(vm, 0x100000, RAM_SIZE / 2, ram), 0);
	CU_ASSERT_EQUAL(uiommu_viommu_create(NULL, "mock", NULL, &v[0]), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_viommu_create(vm, NULL, NULL, &v[0]), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_viommu_create(vm, "mock", NULL, NULL), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_viommu_create(vm, "no-such", NULL, &v[0]), -ENOENT);
	/* Backend failure: nothing stays behind. */
	CU_ASSERT_EQUAL(uiommu_mock_fail(UIOMMU_MOCK_VIOMMU_ALLOC, 1, -EIO), 0);
	CU_ASSERT_EQUAL(uiommu_viommu_create(vm, "mock", NULL, &v[0]), -EIO);
	CU_ASSERT_EQUAL(uiommu_mock_fail(UIOMMU_MOCK_S2_MAP, 1, -ENOMEM), 0);
	CU_ASSERT_EQUAL(uiommu_viommu_create(vm, "mock", NULL, &v[0]), -ENOMEM);
	assert_mock_empty();
	CU_ASSERT_EQUAL(ms->calls[UIOMMU_MOCK_VIOMMU_FREE], 1);
	for (i = 0; i < UIOMMU_MAX_VIOMMUS_PER_VM; i++)
		CU_ASSERT_EQUAL_FATAL(uiommu_viommu_create(vm, "mock", NULL, &v[i]), 0);
	CU_ASSERT_EQUAL(uiommu_viommu_create(vm, "mock", NULL, &v[i]), -ENOSPC);
	CU_ASSERT_EQUAL(ms->live_viommus, UIOMMU_MAX_VIOMMUS_PER_VM);
	/* Every vIOMMU got the region already registered. */
	CU_ASSERT_EQUAL(ms->live_s2_maps, UIOMMU_MAX_VIOMMUS_PER_VM);
	/* A new region goes to every vIOMMU, a deleted one leaves them all. */
	CU_ASSERT_EQUAL(uiommu_vm_mem_add_hva(vm, 0x400000, RAM_SIZE / 2,
					      ram + RAM_SIZE / 2), 0);
	CU_ASSERT_EQUAL(ms->live_s2_maps, 2 * UIOMMU_MAX_VIOMMUS_PER_VM);
	/* ... all or nothing: the 3rd vIOMMU's map fails, none stays. */
	CU_ASSERT_EQUAL(uiommu_mock_fail(UIOMMU_MOCK_S2_MAP, 3, -EIO), 0);
	CU_ASSERT_EQUAL(uiommu_vm_mem_add_hva(vm, 0x800000, 4096, ram), -EIO);
	CU_ASSERT_EQUAL(ms->live_s2_maps, 2 * UIOMMU_MAX_VIOMMUS_PER_VM);
	CU_ASSERT_PTR_NULL(uiommu_gmem_ptr(uiommu_vm_gmem(vm), 0x800000, 1));
	CU_ASSERT_EQUAL(uiommu_vm_mem_del(vm, 0x400000, RAM_SIZE / 2), 0);
	CU_ASSERT_EQUAL(ms->live_s2_maps, UIOMMU_MAX_VIOMMUS_PER_VM);
	CU_ASSERT_EQUAL(uiommu_viommu_info_get(v[1], &info), 0);
	CU_ASSERT_EQUAL(info.index, 1);
	CU_ASSERT_STRING_EQUAL(info.backend, "mock");
	CU_ASSERT_EQUAL(info.vmid, uiommu_viommu_vmid(v[1]));
	CU_ASSERT_PTR_EQUAL(uiommu_viommu_vm(v[1]), vm);
	uiommu_viommu_destroy(v[1]);
	uiommu_viommu_destroy(NULL);
	CU_ASSERT_EQUAL(ms->live_viommus, UIOMMU_MAX_VIOMMUS_PER_VM - 1);
	CU_ASSERT_EQUAL(ms->live_s2_maps, UIOMMU_MAX_VIOMMUS_PER_VM - 1);
	/* The freed slot is usable again. */
	CU_ASSERT_EQUAL(uiommu_viommu_create(vm, "mock", NULL, &v[1]), 0);
	uiommu_vm_destroy(vm);
	assert_mock_empty();
	free(ram);
}

static int
cmp_u16(const void *a, const void *b)
{
	return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

static void
test_vmid_unique(void)
{
	enum { NVM = 8 };
	struct uiommu_vm *vm[NVM];
	struct uiommu_viommu *v;
	uint16_t ids[NVM * UIOMMU_MAX_VIOMMUS_PER_VM];
	uint32_t n = 0;
	char name[16];

	mock_clean();
	for (int i = 0; i < NVM; i++) {
		snprintf(name, sizeof(name), "vmid%d", i);
		CU_ASSERT_EQUAL_FATAL(uiommu_vm_create(name, &vm[i]), 0);
		for (int j = 0; j < UIOMMU_MAX_VIOMMUS_PER_VM; j++) {
			CU_ASSERT_EQUAL_FATAL(uiommu_viommu_create(vm[i], "mock",
								   NULL, &v), 0);
			ids[n] = uiommu_viommu_vmid(v);
			/* The backend is told the VMID the manager chose. */
			CU_ASSERT_EQUAL(ms->last_vmid, ids[n]);
			CU_ASSERT_NOT_EQUAL(ids[n], 0);
			n++;
		}
		/* Churn: a destroyed vIOMMU's VMID is released ... */
		uiommu_viommu_destroy(v);
		n--;
		/* ... and the replacement is still unique among live ones. */
		CU_ASSERT_EQUAL_FATAL(uiommu_viommu_create(vm[i], "mock", NULL,
							   &v), 0);
		ids[n++] = uiommu_viommu_vmid(v);
	}
	qsort(ids, n, sizeof(ids[0]), cmp_u16);
	for (uint32_t i = 1; i < n; i++)
		CU_ASSERT_NOT_EQUAL(ids[i], ids[i - 1]);
	for (int i = 0; i < NVM; i++)
		uiommu_vm_destroy(vm[i]);
	assert_mock_empty();
}

static void
test_viommu_strtab(void)
{
	struct uiommu_vm *vm;
	struct uiommu_viommu *v;
	uint8_t *ram = ram_alloc(RAM_SIZE);
	struct uiommu_viommu_info info;

	mock_clean();
	CU_ASSERT_EQUAL_FATAL(uiommu_vm_create("strtab", &vm), 0);
	/* Two adjacent regions: a table may not straddle them. */
	CU_ASSERT_EQUAL(uiommu_vm_mem_add_hva(vm, 0x100000, RAM_SIZE / 2, ram), 0);
	CU_ASSERT_EQUAL(uiommu_vm_mem_add_hva(vm, 0x180000, RAM_SIZE / 2,
					      ram + RAM_SIZE / 2), 0);
	CU_ASSERT_EQUAL_FATAL(uiommu_viommu_create(vm, "mock", NULL, &v), 0);
	CU_ASSERT_EQUAL(uiommu_viommu_set_strtab(NULL, 0x100000, 4), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_viommu_set_strtab(v, 0x100000,
						 UIOMMU_MAX_STRTAB_LOG2 + 1), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_viommu_set_strtab(v, 0x100020, 4), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_viommu_set_strtab(v, 0x0, 4), -EFAULT);
	CU_ASSERT_EQUAL(uiommu_viommu_set_strtab(v, 0x17fc00, 5), -EFAULT);
	CU_ASSERT_EQUAL(uiommu_viommu_set_strtab(v, 0x200000 - 64, 1), -EFAULT);
	CU_ASSERT_EQUAL(uiommu_viommu_set_strtab(v, UINT64_MAX - 63, 1), -EOVERFLOW);
	CU_ASSERT_EQUAL(uiommu_viommu_set_strtab(v, 0x17fc00, 4), 0);
	CU_ASSERT_EQUAL(uiommu_viommu_info_get(v, &info), 0);
	CU_ASSERT(info.strtab_set);
	CU_ASSERT_EQUAL(info.strtab_gpa, 0x17fc00);
	CU_ASSERT_EQUAL(info.strtab_log2, 4);
	/* vSIDs must fit the table ... */
	CU_ASSERT_EQUAL(uiommu_vdevice_add(v, 16, "mock:0", NULL, NULL), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_vdevice_add(v, 15, "mock:0", NULL, NULL), 0);
	/* ... and a smaller table may not orphan one. */
	CU_ASSERT_EQUAL(uiommu_viommu_set_strtab(v, 0x100000, 3), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_viommu_set_strtab(v, 0x100000, 4), 0);
	/* The region holding the table cannot go. */
	CU_ASSERT_EQUAL(uiommu_vm_mem_del(vm, 0x100000, RAM_SIZE / 2), -EBUSY);
	CU_ASSERT_EQUAL(uiommu_vm_mem_del(vm, 0x180000, RAM_SIZE / 2), 0);
	uiommu_viommu_clear_strtab(v);
	CU_ASSERT_EQUAL(uiommu_viommu_info_get(v, &info), 0);
	CU_ASSERT(!info.strtab_set);
	/* Without a table any vSID is accepted. */
	CU_ASSERT_EQUAL(uiommu_vdevice_add(v, 0xfffffff0, "mock:1", NULL, NULL), 0);
	CU_ASSERT_EQUAL(uiommu_vm_mem_del(vm, 0x100000, RAM_SIZE / 2), 0);
	uiommu_vm_destroy(vm);
	assert_mock_empty();
	free(ram);
}

static void
test_viommu_ctrl_region(void)
{
	struct uiommu_vm *vm;
	struct uiommu_viommu *v;
	uint64_t size = 0;
	struct stat stt;
	uint8_t *mine, *core;
	int fd = -1;

	CU_ASSERT_EQUAL_FATAL(uiommu_vm_create("ctrl", &vm), 0);
	CU_ASSERT_EQUAL_FATAL(uiommu_viommu_create(vm, "mock", NULL, &v), 0);
	CU_ASSERT_EQUAL(uiommu_viommu_ctrl_fd(v, NULL, &size), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_viommu_ctrl_fd(v, &fd, &size), 0);
	CU_ASSERT_EQUAL(size, UIOMMU_CTRL_SIZE);
	CU_ASSERT_EQUAL_FATAL(fstat(fd, &stt), 0);
	CU_ASSERT_EQUAL(stt.st_size, (off_t)UIOMMU_CTRL_SIZE);
	CU_ASSERT(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	/* What the VMM maps from the fd is what the manager polls. */
	mine = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	UT_ASSERT_FATAL(mine != MAP_FAILED);
	core = uiommu_viommu_ctrl_base(v);
	mine[UIOMMU_VCMDQ_REGS_STRIDE + UIOMMU_VCMDQ_REG_PROD] = 3;
	CU_ASSERT_EQUAL(core[UIOMMU_VCMDQ_REGS_STRIDE + UIOMMU_VCMDQ_REG_PROD], 3);
	core[UIOMMU_CTRL_DEV_OFFSET + 8] = 9;
	CU_ASSERT_EQUAL(mine[UIOMMU_CTRL_DEV_OFFSET + 8], 9);
	munmap(mine, size);
	uiommu_vm_destroy(vm);
}

/* ---- vDEVICE --------------------------------------------------------- */

static void
test_vdevice_add_errors(void)
{
	struct uiommu_vm *vm;
	struct uiommu_viommu *v;
	struct uiommu_vdevice_info info;
	struct uiommu_vdevice *d = NULL;
	uint8_t *regs;

	mock_clean();
	CU_ASSERT_EQUAL_FATAL(uiommu_vm_create("vdev", &vm), 0);
	CU_ASSERT_EQUAL_FATAL(uiommu_viommu_create(vm, "mock", NULL, &v), 0);
	CU_ASSERT_EQUAL(uiommu_vdevice_add(NULL, 1, "mock:0", NULL, NULL), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_vdevice_add(v, 1, NULL, NULL, NULL), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_vdevice_add(v, 1, "", NULL, NULL), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_vdevice_add(v, 1, "mock", NULL, NULL), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_vdevice_add(v, 1, "mock:", NULL, NULL), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_vdevice_add(v, 1, "soft:dma0", NULL, NULL), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_vdevice_add(v, 1, "moc:0", NULL, NULL), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_vdevice_add(v, 1, "mockk:0", NULL, NULL), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_vdevice_add(v, 1, ":0", NULL, NULL), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_vdevice_add(v, 1, "mock:999", NULL, NULL), -ENOENT);
	CU_ASSERT_EQUAL(uiommu_vdevice_add(v, 1, "mock:dma0", NULL, NULL), -ENOENT);
	CU_ASSERT_EQUAL(ms->live_vdevices, 0);
	CU_ASSERT_EQUAL(uiommu_vdevice_add(v, 7, "mock:3", &info, &d), 0);
	CU_ASSERT_PTR_NOT_NULL(d);
	CU_ASSERT_EQUAL(info.vsid, 7);
	CU_ASSERT_STRING_EQUAL(info.spec, "mock:3");
	CU_ASSERT_EQUAL(info.fd, -1);
	CU_ASSERT(info.has_regs);
	CU_ASSERT(info.blocked);
	CU_ASSERT_EQUAL(info.regs_offset, UIOMMU_CTRL_DEV_OFFSET);
	CU_ASSERT_EQUAL(uiommu_vdevice_add(v, 7, "mock:4", NULL, NULL), -EEXIST);
	CU_ASSERT_EQUAL(uiommu_vdevice_add(v, 8, "mock:3", NULL, NULL), -EBUSY);
	CU_ASSERT_EQUAL(uiommu_mock_fail(UIOMMU_MOCK_VDEVICE_ALLOC, 1, -EIO), 0);
	CU_ASSERT_EQUAL(uiommu_vdevice_add(v, 8, "mock:4", NULL, NULL), -EIO);
	CU_ASSERT_PTR_NULL(uiommu_vdevice_find(v, 8));
	CU_ASSERT_PTR_EQUAL(uiommu_vdevice_find(v, 7), d);
	/* Next device gets the next page; the page handed over is zeroed. */
	regs = (uint8_t *)uiommu_viommu_ctrl_base(v) + UIOMMU_CTRL_DEV_OFFSET +
	       UIOMMU_CTRL_DEV_PAGE_SIZE;
	memset(regs, 0xee, UIOMMU_CTRL_DEV_PAGE_SIZE);
	CU_ASSERT_EQUAL(uiommu_vdevice_add(v, 8, "mock:4", &info, NULL), 0);
	CU_ASSERT_EQUAL(info.regs_offset,
			UIOMMU_CTRL_DEV_OFFSET + UIOMMU_CTRL_DEV_PAGE_SIZE);
	CU_ASSERT_EQUAL(regs[0], 0);
	CU_ASSERT_EQUAL(regs[UIOMMU_CTRL_DEV_PAGE_SIZE - 1], 0);
	CU_ASSERT_EQUAL(uiommu_vdevice_del(v, 9), -ENOENT);
	CU_ASSERT_EQUAL(uiommu_vdevice_del(v, 7), 0);
	CU_ASSERT_EQUAL(uiommu_vdevice_del(v, 7), -ENOENT);
	CU_ASSERT_EQUAL(ms->live_vdevices, 1);
	/* The device is free to bind again, and reuses the first page. */
	CU_ASSERT_EQUAL(uiommu_vdevice_add(v, 7, "mock:3", &info, NULL), 0);
	CU_ASSERT_EQUAL(info.regs_offset, UIOMMU_CTRL_DEV_OFFSET);
	/* A backend device is bound once, across vSIDs. */
	CU_ASSERT_EQUAL(uiommu_vdevice_add(v, 100, "mock:0", NULL, NULL), 0);
	CU_ASSERT_EQUAL(uiommu_vdevice_add(v, 101, "mock:0", NULL, NULL), -EBUSY);
	uiommu_vm_destroy(vm);
	assert_mock_empty();
}

static void
test_vdevice_table_full(void)
{
	struct uiommu_vm *vm;
	struct uiommu_viommu *v;
	char spec[16];
	uint32_t i;

	mock_clean();
	CU_ASSERT_EQUAL_FATAL(uiommu_vm_create("vdev-full", &vm), 0);
	CU_ASSERT_EQUAL_FATAL(uiommu_viommu_create(vm, "mock", NULL, &v), 0);
	for (i = 0; i < UIOMMU_MAX_VDEVICES && i < UIOMMU_MOCK_MAX_DEVICES; i++) {
		snprintf(spec, sizeof(spec), "mock:%u", i);
		CU_ASSERT_EQUAL(uiommu_vdevice_add(v, i * 3, spec, NULL, NULL), 0);
	}
	if (i == UIOMMU_MAX_VDEVICES)
		CU_ASSERT_EQUAL(uiommu_vdevice_add(v, 999, "mock:0", NULL, NULL),
				-ENOSPC);
	CU_ASSERT_EQUAL(ms->live_vdevices, i);
	/* Removing from the middle keeps the others findable. */
	CU_ASSERT_EQUAL(uiommu_vdevice_del(v, 3 * 5), 0);
	for (uint32_t j = 0; j < i; j++)
		CU_ASSERT_EQUAL(uiommu_vdevice_find(v, j * 3) != NULL, j != 5);
	uiommu_viommu_destroy(v);
	assert_mock_empty();
	uiommu_vm_destroy(vm);
}

static void
test_vdevice_translate(void)
{
	struct uiommu_vm *vm;
	struct uiommu_viommu *v;
	struct uiommu_vdevice *d;
	uint8_t *ram = ram_alloc(RAM_SIZE);
	struct uiommu_xlate x;

	CU_ASSERT_EQUAL_FATAL(uiommu_vm_create("xlate", &vm), 0);
	CU_ASSERT_EQUAL(uiommu_vm_mem_add_hva(vm, 0x100000, RAM_SIZE, ram), 0);
	CU_ASSERT_EQUAL_FATAL(uiommu_viommu_create(vm, "mock", NULL, &v), 0);
	CU_ASSERT_EQUAL_FATAL(uiommu_vdevice_add(v, 1, "mock:0", NULL, &d), 0);
	CU_ASSERT_EQUAL(uiommu_vdevice_translate(d, 0x100123, 0, &x), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_vdevice_translate(d, 0x100123, 4, &x), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_vdevice_translate(d, 0x100123, UIOMMU_ACCESS_READ,
						 NULL), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_vdevice_translate(d, 0x100123, UIOMMU_ACCESS_READ,
						 &x), 0);
	CU_ASSERT_EQUAL(x.hva, (uint64_t)(uintptr_t)(ram + 0x123));
	CU_ASSERT_EQUAL(uiommu_vdevice_translate(d, 0x50, UIOMMU_ACCESS_WRITE, &x),
			-EFAULT);
	CU_ASSERT_EQUAL(x.fault.id, UIOMMU_EVT_F_TRANSLATION);
	CU_ASSERT_EQUAL(x.fault.input_addr, 0x50);
	CU_ASSERT_EQUAL(x.fault.sid, 1);
	uiommu_vm_destroy(vm);
	free(ram);
}

/* ---- vCMDQ ----------------------------------------------------------- */

static void
test_vcmdq_create_errors(void)
{
	struct uiommu_vm *vm;
	struct uiommu_viommu *v;
	struct uiommu_vcmdq *q = NULL, *q2;
	uint8_t *ram = ram_alloc(RAM_SIZE);
	struct uiommu_vcmdq_info info;
	struct uiommu_vcmdq_regs *regs;
	uint64_t off = 0;

	CU_ASSERT_EQUAL_FATAL(uiommu_vm_create("vcmdq", &vm), 0);
	CU_ASSERT_EQUAL(uiommu_vm_mem_add_hva(vm, 0x100000, RAM_SIZE, ram), 0);
	CU_ASSERT_EQUAL_FATAL(uiommu_viommu_create(vm, "mock", NULL, &v), 0);
	CU_ASSERT_EQUAL(uiommu_vcmdq_create(NULL, 0, 8, 0x100000, &q, &off), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_vcmdq_create(v, 0, 8, 0x100000, NULL, &off), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_vcmdq_create(v, UIOMMU_MAX_VCMDQS, 8, 0x100000, &q,
					    &off), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_vcmdq_create(v, 0, UIOMMU_VCMDQ_MIN_LOG2 - 1,
					    0x100000, &q, &off), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_vcmdq_create(v, 0, UIOMMU_VCMDQ_MAX_LOG2 + 1,
					    0x100000, &q, &off), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_vcmdq_create(v, 0, 32, 0, &q, &off), -EINVAL);
	/* Base aligned to the ring size (4 KiB for 2^8 entries). */
	CU_ASSERT_EQUAL(uiommu_vcmdq_create(v, 0, 8, 0x100800, &q, &off), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_vcmdq_create(v, 0, 8, 0x1000, &q, &off), -EFAULT);
	/* A ring of 2^19 entries (8 MiB) cannot fit 1 MiB of RAM. */
	CU_ASSERT_EQUAL(uiommu_vcmdq_create(v, 0, 19, 0, &q, &off), -EFAULT);
	/* Covers the region and sticks out of both ends. */
	CU_ASSERT_EQUAL(uiommu_vcmdq_create(v, 0, 17, 0, &q, &off), -EFAULT);
	CU_ASSERT_EQUAL(uiommu_vcmdq_create(v, 5, 8, 0x1ff000, &q, &off), 0);
	CU_ASSERT_EQUAL(off, 5 * UIOMMU_VCMDQ_REGS_STRIDE);
	CU_ASSERT_EQUAL(uiommu_vcmdq_create(v, 5, 8, 0x100000, &q2, NULL), -EEXIST);
	CU_ASSERT_PTR_EQUAL(uiommu_vcmdq_find(v, 5), q);
	CU_ASSERT_PTR_NULL(uiommu_vcmdq_find(v, 4));
	CU_ASSERT_PTR_EQUAL(uiommu_vcmdq_viommu(q), v);
	CU_ASSERT_EQUAL(uiommu_vcmdq_info_get(q, &info), 0);
	CU_ASSERT_EQUAL(info.index, 5);
	CU_ASSERT_EQUAL(info.log2size, 8);
	CU_ASSERT_EQUAL(info.base_gpa, 0x1ff000);
	CU_ASSERT_EQUAL(info.ctrl_offset, off);
	CU_ASSERT(!info.enabled);
	/* The ring's region is pinned while the queue lives. */
	CU_ASSERT_EQUAL(uiommu_vm_mem_del(vm, 0x100000, RAM_SIZE), -EBUSY);
	/* Destroy resets the registers to "disabled". */
	regs = (struct uiommu_vcmdq_regs *)(void *)
	       ((uint8_t *)uiommu_viommu_ctrl_base(v) + off);
	regs->status = UIOMMU_VCMDQ_STATUS_ENABLE_OK;
	regs->prod = 7;
	uiommu_vcmdq_destroy(q);
	uiommu_vcmdq_destroy(NULL);
	CU_ASSERT_EQUAL(regs->status, 0);
	CU_ASSERT_EQUAL(regs->prod, 0);
	CU_ASSERT_PTR_NULL(uiommu_vcmdq_find(v, 5));
	CU_ASSERT_EQUAL(uiommu_vm_mem_del(vm, 0x100000, RAM_SIZE), 0);
	uiommu_vm_destroy(vm);
	free(ram);
}

/* ---- hooks, cascade, iterators --------------------------------------- */

struct hook_log {
	int pauses, resumes, depth, max_depth, nested;
	int vcmdq_retired, viommu_retired;
	struct uiommu_vm *paused_vm;
};

static void
h_pause(void *arg, struct uiommu_vm *vm)
{
	struct hook_log *h = arg;

	h->pauses++;
	if (h->depth++ > 0)
		h->nested++;
	h->paused_vm = vm;
}

static void
h_resume(void *arg, struct uiommu_vm *vm)
{
	struct hook_log *h = arg;

	h->resumes++;
	h->depth--;
	CU_ASSERT_PTR_EQUAL(vm, h->paused_vm);
}

static void
h_vcmdq_retire(void *arg, struct uiommu_vcmdq *q)
{
	struct hook_log *h = arg;

	CU_ASSERT_PTR_NOT_NULL(q);
	h->vcmdq_retired++;
}

static void
h_viommu_retire(void *arg, struct uiommu_viommu *v)
{
	struct hook_log *h = arg;
	struct uiommu_viommu_info info;

	/* Its queues were retired before it. */
	CU_ASSERT_EQUAL(uiommu_viommu_info_get(v, &info), 0);
	CU_ASSERT_EQUAL(info.nr_vcmdqs, 0);
	h->viommu_retired++;
}

/* A VM with every kind of object: fd and hva RAM, 2 vIOMMUs, devices, queues. */
static struct uiommu_vm *
build_full_vm(const char *name, uint8_t *ram, int dev_base, int *nq)
{
	struct uiommu_vm *vm;
	struct uiommu_viommu *v;
	struct uiommu_vcmdq *q;
	int fd = memfd_of(RAM_SIZE);
	char spec[16];

	*nq = 0;
	CU_ASSERT_EQUAL_FATAL(uiommu_vm_create(name, &vm), 0);
	CU_ASSERT_EQUAL_FATAL(uiommu_vm_mem_add(vm, 0x100000, RAM_SIZE, fd, 0), 0);
	close(fd);
	CU_ASSERT_EQUAL_FATAL(uiommu_vm_mem_add_hva(vm, 0x40000000, RAM_SIZE, ram), 0);
	for (int i = 0; i < 2; i++) {
		CU_ASSERT_EQUAL_FATAL(uiommu_viommu_create(vm, "mock", NULL, &v), 0);
		CU_ASSERT_EQUAL_FATAL(uiommu_viommu_set_strtab(v, 0x100000, 8), 0);
		for (int j = 0; j < 3; j++) {
			snprintf(spec, sizeof(spec), "mock:%d", dev_base + 3 * i + j);
			CU_ASSERT_EQUAL_FATAL(uiommu_vdevice_add(v, (uint32_t)j, spec,
								 NULL, NULL), 0);
			CU_ASSERT_EQUAL_FATAL(uiommu_vcmdq_create(v, (uint32_t)j, 4,
				0x40000000 + 0x1000 * (uint64_t)(3 * i + j), &q, NULL), 0);
			(*nq)++;
		}
	}
	return vm;
}

static void
test_vm_destroy_releases_everything(void)
{
	struct hook_log h = {0};
	struct uiommu_core_hooks hooks = {
		.vm_pause = h_pause, .vm_resume = h_resume,
		.vcmdq_retire = h_vcmdq_retire, .viommu_retire = h_viommu_retire,
		.arg = &h,
	};
	int fds_before = count_fds(), nq;
	uint8_t *ram = ram_alloc(RAM_SIZE);
	struct uiommu_vm *vm;

	mock_clean();
	CU_ASSERT_EQUAL(uiommu_core_hooks_set(&hooks), 0);
	vm = build_full_vm("full", ram, 10, &nq);
	/* Pauses bracket MEM_ADD, SET_STRTAB and VDEVICE_ADD, never nested. */
	CU_ASSERT(h.pauses >= 2 + 2 + 6);
	CU_ASSERT_EQUAL(h.pauses, h.resumes);
	CU_ASSERT_EQUAL(h.nested, 0);
	CU_ASSERT_EQUAL(ms->live_viommus, 2);
	CU_ASSERT_EQUAL(ms->live_vdevices, 6);
	CU_ASSERT_EQUAL(ms->live_s2_maps, 4);
	uiommu_vm_destroy(vm);
	CU_ASSERT_EQUAL(h.vcmdq_retired, nq);
	CU_ASSERT_EQUAL(h.viommu_retired, 2);
	CU_ASSERT_EQUAL(h.pauses, h.resumes);
	assert_mock_empty();
	CU_ASSERT_EQUAL(count_fds(), fds_before);
	CU_ASSERT_EQUAL(uiommu_core_hooks_set(NULL), 0);
	free(ram);
}

static int
count_cb(void *obj, void *arg)
{
	RTE_SET_USED(obj);
	(*(int *)arg)++;
	return 0;
}

static int
vm_cb(struct uiommu_vm *vm, void *arg)
{
	return count_cb(vm, arg);
}

static int
viommu_cb(struct uiommu_viommu *v, void *arg)
{
	return count_cb(v, arg);
}

static int
vdev_cb(struct uiommu_vdevice *d, void *arg)
{
	struct uiommu_vdevice_info info;

	CU_ASSERT_EQUAL(uiommu_vdevice_info_get(d, &info), 0);
	return count_cb(d, arg);
}

static int
vcmdq_cb(struct uiommu_vcmdq *q, void *arg)
{
	return count_cb(q, arg);
}

struct walk {
	int viommus, vdevs, vcmdqs;
};

static int
walk_viommu(struct uiommu_viommu *v, void *arg)
{
	struct walk *w = arg;

	w->viommus++;
	uiommu_vdevice_foreach(v, vdev_cb, &w->vdevs);
	uiommu_vcmdq_foreach(v, vcmdq_cb, &w->vcmdqs);
	return 0;
}

static int
walk_vm(struct uiommu_vm *vm, void *arg)
{
	return uiommu_viommu_foreach(vm, walk_viommu, arg);
}

static int
stop_at_second(struct uiommu_vm *vm, void *arg)
{
	RTE_SET_USED(vm);
	return ++(*(int *)arg) == 2 ? 42 : 0;
}

static void
test_iterators(void)
{
	uint8_t *ram1 = ram_alloc(RAM_SIZE), *ram2 = ram_alloc(RAM_SIZE);
	struct uiommu_vm *a, *b;
	struct walk w = {0};
	int n = 0, nq;

	a = build_full_vm("it-a", ram1, 10, &nq);
	b = build_full_vm("it-b", ram2, 20, &nq);
	CU_ASSERT_EQUAL(uiommu_vm_foreach(vm_cb, &n), 0);
	CU_ASSERT_EQUAL(n, 2);
	CU_ASSERT_EQUAL(uiommu_vm_foreach(walk_vm, &w), 0);
	CU_ASSERT_EQUAL(w.viommus, 4);
	CU_ASSERT_EQUAL(w.vdevs, 12);
	CU_ASSERT_EQUAL(w.vcmdqs, 2 * nq);
	n = 0;
	CU_ASSERT_EQUAL(uiommu_vm_foreach(stop_at_second, &n), 42);
	CU_ASSERT_EQUAL(n, 2);
	n = 0;
	CU_ASSERT_EQUAL(uiommu_viommu_foreach(a, viommu_cb, &n), 0);
	CU_ASSERT_EQUAL(n, 2);
	CU_ASSERT_EQUAL(uiommu_vm_foreach(NULL, NULL), -EINVAL);
	uiommu_vm_destroy(a);
	uiommu_vm_destroy(b);
	n = 0;
	CU_ASSERT_EQUAL(uiommu_vm_foreach(vm_cb, &n), 0);
	CU_ASSERT_EQUAL(n, 0);
	free(ram1);
	free(ram2);
}

static void
test_events_backend(void)
{
	struct uiommu_vm *vm;
	struct uiommu_viommu *v;
	struct uiommu_event ev = { .id = UIOMMU_EVT_F_PERMISSION, .sid = 3 },
			    out[4];
	uint64_t lost = 1;

	CU_ASSERT_EQUAL_FATAL(uiommu_vm_create("events", &vm), 0);
	CU_ASSERT_EQUAL_FATAL(uiommu_viommu_create(vm, "mock", NULL, &v), 0);
	CU_ASSERT_EQUAL(uiommu_viommu_event_read(v, out, 4, &lost), 0);
	CU_ASSERT_EQUAL(lost, 0);
	CU_ASSERT_EQUAL(uiommu_mock_event_push(v, &ev), 0);
	ev.sid = 4;
	CU_ASSERT_EQUAL(uiommu_mock_event_push(v, &ev), 0);
	CU_ASSERT_EQUAL(uiommu_viommu_event_read(v, out, 1, NULL), 1);
	CU_ASSERT_EQUAL(out[0].sid, 3);
	CU_ASSERT_EQUAL(uiommu_viommu_event_read(v, out, 4, &lost), 1);
	CU_ASSERT_EQUAL(out[0].id, UIOMMU_EVT_F_PERMISSION);
	CU_ASSERT_EQUAL(out[0].sid, 4);
	CU_ASSERT_EQUAL(uiommu_viommu_event_read(v, out, 4, &lost), 0);
	CU_ASSERT_EQUAL(uiommu_viommu_poll(v, 8), 0);
	uiommu_vm_destroy(vm);
}

/* ---- fault injection ------------------------------------------------- */

#ifdef UIOMMU_FAULT_INJECTION
/*
 * Every create path of the core in one scenario. Stops at the first error,
 * which must be a clean negative errno; the caller tears down.
 */
static int
fi_scenario(uint8_t *ram, struct uiommu_vm **vmp)
{
	struct uiommu_viommu *v;
	struct uiommu_vcmdq *q;
	struct uiommu_vdevice_info info;
	int fd, rc;

	*vmp = NULL;
	rc = uiommu_vm_create("fi", vmp);
	if (rc != 0)
		return rc;
	fd = memfd_of(RAM_SIZE);
	rc = uiommu_vm_mem_add(*vmp, 0x100000, RAM_SIZE, fd, 0);
	close(fd);
	if (rc != 0)
		return rc;
	rc = uiommu_viommu_create(*vmp, "mock", NULL, &v);
	if (rc != 0)
		return rc;
	/* Added after the vIOMMU: maps into its stage-2. */
	rc = uiommu_vm_mem_add_hva(*vmp, 0x40000000, RAM_SIZE, ram);
	if (rc != 0)
		return rc;
	rc = uiommu_viommu_set_strtab(v, 0x100000, 6);
	if (rc != 0)
		return rc;
	rc = uiommu_vdevice_add(v, 1, "mock:1", &info, NULL);
	if (rc != 0)
		return rc;
	rc = uiommu_vcmdq_create(v, 0, 6, 0x40000000, &q, NULL);
	if (rc != 0)
		return rc;
	rc = uiommu_viommu_create(*vmp, "mock", NULL, &v);
	if (rc != 0)
		return rc;
	return uiommu_vcmdq_create(v, 1, 6, 0x40001000, &q, NULL);
}

static void
test_fault_injection_sweep(void)
{
	uint8_t *ram = ram_alloc(RAM_SIZE);
	int fds_before = count_fds();
	struct uiommu_vm *vm;
	uint64_t nth;
	int rc;

	mock_clean();
	for (nth = 1; nth < 1000; nth++) {
		uiommu_fail_nth_set(nth);
		rc = fi_scenario(ram, &vm);
		if (!uiommu_fail_fired()) {
			CU_ASSERT_EQUAL(rc, 0);
			uiommu_vm_destroy(vm);
			break;
		}
		/* An injected failure surfaces as a clean errno ... */
		CU_ASSERT(rc < 0 && rc > -UIOMMU_MAX_ERRNO);
		uiommu_fail_nth_set(0);
		uiommu_vm_destroy(vm);
		/* ... and leaves nothing behind. */
		CU_ASSERT_EQUAL(ms->live_viommus, 0);
		CU_ASSERT_EQUAL(ms->live_vdevices, 0);
		CU_ASSERT_EQUAL(ms->live_s2_maps, 0);
		CU_ASSERT_EQUAL(count_fds(), fds_before);
	}
	uiommu_fail_nth_set(0);
	printf("fault injection: %" PRIu64 " failure points swept\n", nth - 1);
	/* The scenario has many acquisition points; all were reached. */
	CU_ASSERT(nth > 20 && nth < 1000);
	assert_mock_empty();
	free(ram);
}
#endif

static const struct ut_case cases[] = {
	UT_CASE(test_vm_create_errors),
	UT_CASE(test_vm_max),
	UT_CASE(test_vm_mem_add_hva_errors),
	UT_CASE(test_vm_mem_add_fd),
	UT_CASE(test_vm_mem_shared_with_file),
	UT_CASE(test_viommu_create_errors),
	UT_CASE(test_vmid_unique),
	UT_CASE(test_viommu_strtab),
	UT_CASE(test_viommu_ctrl_region),
	UT_CASE(test_vdevice_add_errors),
	UT_CASE(test_vdevice_table_full),
	UT_CASE(test_vdevice_translate),
	UT_CASE(test_vcmdq_create_errors),
	UT_CASE(test_vm_destroy_releases_everything),
	UT_CASE(test_iterators),
	UT_CASE(test_events_backend),
#ifdef UIOMMU_FAULT_INJECTION
	UT_CASE(test_fault_injection_sweep),
#endif
	UT_END
};

int
main(int argc, char **argv)
{
	return ut_main("core_objects", cases, argc, argv);
}
