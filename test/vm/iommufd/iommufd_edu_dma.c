/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * iommufd_edu_dma: a real device's DMA through the iommufd backend on an
 * IOMMU that cannot nest (QEMU's emulated VT-d), in a TCG guest.
 *
 * Design. This program is the VMM and the guest driver; a real uiommu-mgr
 * (UIOMMU_MGR) runs the iommufd backend in the same guest. The edu device
 * is bound to vfio-pci; the manager binds its VFIO cdev to its iommufd
 * ("iommufd:<bdf>") and hands the device fd over (SCM_RIGHTS). QEMU's VT-d
 * has no nesting (ECAP.NEST = 0), so the backend runs in shadow mode: the
 * guest's stage-1 (AArch64 LPAE tables written here into guest RAM, a CD
 * and an STE, CFGI_STE through the vCMDQ) becomes a shadow IOAS that the
 * device is attached to. Every check uses edu's own DMA engine, programmed
 * through the device fd (BAR0 mmap; bus mastering in the config region):
 *  1. RAM -> device -> RAM: IOVA A to the device buffer, then to IOVA B,
 *     arrives byte for byte in the guest pages the stage-1 names;
 *  2. the guest unmaps IOVA B and sends TLBI_NH_VA + CMD_SYNC: a device
 *     write to IOVA B leaves the old page untouched (the IOMMU blocks it);
 *  3. the guest maps IOVA B onto another page + TLBI: the write lands there;
 *  4. an STE switched to bypass: IOVA = GPA (the stage-2 IOAS) works.
 * edu facts relied on: DMA registers SRC/DST/CNT/CMD at 0x80/0x88/0x90/
 * 0x98 (CMD bit 0 runs, bit 1 = device to RAM), device buffer at 0x40000
 * (4 KiB; transfers stay 64 bytes short of its end, a QEMU 7.2 bound bug),
 * 28-bit DMA addresses, completion on a 100 ms virtual timer.
 * Exit status: 0 pass; 1 a check failed; 77 no edu device bound to vfio-pci.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "it_util.h"
#include "uiommu_smmu.h"
#include "uiommu_vfio_uapi.h"

#define SKIP 77
#define PG 4096ULL
#define RAM_GPA    0x1000000ULL      /* below edu's 28-bit DMA limit */
#define RAM_SIZE   (4ULL << 20)
#define STRTAB_GPA (RAM_GPA + 0x0000)
#define CD_GPA     (RAM_GPA + 0x1000)
#define RING_GPA   (RAM_GPA + 0x10000)
#define TBL_GPA    (RAM_GPA + 0x20000) /* levels 1, 2, 3 */
#define BUF_GPA    (RAM_GPA + 0x100000)
#define RING_LOG2  8
#define VSID 3
#define ASID 1
#define IOVA_A     0x400000ULL       /* two pages of the guest's stage 1 */
#define IOVA_B     (IOVA_A + PG)

#define EDU_SRC 0x80
#define EDU_DST 0x88
#define EDU_CNT 0x90
#define EDU_CMD 0x98
#define EDU_RUN 0x1u
#define EDU_TO_RAM 0x2u
#define EDU_BUF 0x40000ULL
#define XFER (PG - 64)

static int failures;

#define CHECK(cond, ...) do { \
	if (!(cond)) { \
		failures++; \
		printf("FAIL %s:%d: %s: ", __func__, __LINE__, #cond); \
		printf(__VA_ARGS__); \
		printf("\n"); \
	} else { \
		printf("ok: "); \
		printf(__VA_ARGS__); \
		printf("\n"); \
	} \
} while (0)

struct env {
	struct it_mgr m;
	struct it_vm vm;
	struct it_q q;
	int dev_fd;
	volatile uint8_t *bar0;
	size_t bar0_len;
};

static uint8_t *
gp(struct env *e, uint64_t gpa)
{
	return it_ram_ptr(&e->vm.ram, gpa);
}

static uint64_t *
l3(struct env *e)
{
	return (uint64_t *)gp(e, TBL_GPA + 2 * PG);
}

static void
s1_set(struct env *e, uint64_t iova, uint64_t gpa)
{
	uint64_t v = gpa ? (gpa | 3 | (1u << 10) | (1u << 6)) : 0;

	__atomic_store_n(&l3(e)[(iova >> 12) & 511], v, __ATOMIC_RELEASE);
}

static void
write_ste(struct env *e, uint8_t cfg)
{
	struct uiommu_ste_info ste = { .valid = 1, .config = cfg,
				       .s1ctxptr = CD_GPA };
	uint64_t raw[8];

	uiommu_ste_encode(&ste, raw);
	memcpy(gp(e, STRTAB_GPA + VSID * UIOMMU_STE_SIZE), raw, sizeof(raw));
}

static int
run_cmds(struct env *e, const struct uiommu_cmd *c, uint32_t n)
{
	uint32_t err = 0;
	int rc = it_q_run(&e->q, c, n, &err);

	if (rc != 0)
		printf("queue: rc %d CONS.ERR %u\n", rc, err);
	return rc;
}

static int
cfgi_ste_sync(struct env *e)
{
	struct uiommu_cmd_info ci = { .op = UIOMMU_CMD_CFGI_STE, .sid = VSID,
				      .leaf = true };
	struct uiommu_cmd c[2] = { it_cmd(&ci), it_sync() };

	return run_cmds(e, c, 2);
}

static int
tlbi_sync(struct env *e, uint64_t iova)
{
	struct uiommu_cmd c[2] = { it_tlbi_va(ASID, iova), it_sync() };

	return run_cmds(e, c, 2);
}

/* ---- edu through the device fd ---- */

static int
region(int fd, uint32_t index, struct uiommu_vfio_region_info *ri)
{
	memset(ri, 0, sizeof(*ri));
	ri->argsz = sizeof(*ri);
	ri->index = index;
	return ioctl(fd, UIOMMU_VFIO_DEVICE_GET_REGION_INFO, ri) == 0 ? 0 : -errno;
}

static int
edu_open(struct env *e)
{
	struct uiommu_vfio_region_info bar, cfg;
	uint16_t cmd;
	void *p;

	if (region(e->dev_fd, UIOMMU_VFIO_PCI_BAR0_REGION_INDEX, &bar) != 0 ||
	    region(e->dev_fd, UIOMMU_VFIO_PCI_CONFIG_REGION_INDEX, &cfg) != 0)
		return -EIO;
	p = mmap(NULL, bar.size, PROT_READ | PROT_WRITE, MAP_SHARED, e->dev_fd,
		 (off_t)bar.offset);
	if (p == MAP_FAILED)
		return -errno;
	e->bar0 = p;
	e->bar0_len = bar.size;
	/* vfio-pci leaves bus mastering off: without it no DMA happens. */
	if (pread(e->dev_fd, &cmd, 2, (off_t)cfg.offset + 4) != 2)
		return -EIO;
	cmd |= 1u << 2;
	if (pwrite(e->dev_fd, &cmd, 2, (off_t)cfg.offset + 4) != 2)
		return -EIO;
	return 0;
}

static void
wr64(struct env *e, uint32_t off, uint64_t v)
{
	*(volatile uint64_t *)(e->bar0 + off) = v;
}

static uint64_t
rd64(struct env *e, uint32_t off)
{
	return *(volatile uint64_t *)(e->bar0 + off);
}

/* One transfer; true when the engine finished (bounded wait). */
static bool
edu_dma(struct env *e, uint64_t src, uint64_t dst, uint64_t len, bool to_ram)
{
	uint64_t deadline = it_now_ms() + 10000;

	wr64(e, EDU_SRC, src);
	wr64(e, EDU_DST, dst);
	wr64(e, EDU_CNT, len);
	wr64(e, EDU_CMD, EDU_RUN | (to_ram ? EDU_TO_RAM : 0));
	while (rd64(e, EDU_CMD) & EDU_RUN) {
		if (it_now_ms() > deadline)
			return false;
		usleep(1000);
	}
	return true;
}

static void
fill(uint8_t *p, size_t n, unsigned int seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(0x11 + (i * 7 + seed * 13) % 0xee);  /* no 0 */
}

static int
setup(struct env *e, const char *bdf)
{
	static const char *const extra[] = { "--backend", "iommufd", NULL };
	struct uiommu_cd_info cd = { .valid = 1, .t0sz = 25, .ips = 5,
				     .aa64 = 1, .asid = ASID, .ttb0 = TBL_GPA };
	struct uiommu_client_vdevice vd;
	uint64_t *l1, *l2, raw[8];
	char spec[64];
	int rc;

	rc = it_mgr_start(&e->m, "0-1", extra);
	if (rc != 0)
		return rc;
	snprintf(spec, sizeof(spec), "iommufd:%s", bdf);
	e->vm.ram.fd = -1;
	if ((rc = uiommu_client_connect(e->m.sock, IT_DEADLINE_MS, &e->vm.c)) ||
	    (rc = uiommu_client_hello(e->vm.c, 0, "iofd-edu", UIOMMU_FEAT_ALL,
				      &e->vm.hello)) ||
	    (rc = it_ram_create(&e->vm.ram, RAM_GPA, RAM_SIZE, true)) ||
	    (rc = uiommu_client_mem_add(e->vm.c, RAM_GPA, RAM_SIZE,
					e->vm.ram.fd, 0)) ||
	    (rc = uiommu_client_viommu_create(e->vm.c, "iommufd", NULL,
					      &e->vm.vi)) ||
	    (rc = uiommu_client_strtab_set(e->vm.c, e->vm.vi.id, STRTAB_GPA, 4)) ||
	    (rc = uiommu_client_vdevice_add(e->vm.c, e->vm.vi.id, VSID, spec,
					    &vd)))
		return rc;
	e->dev_fd = vd.dev_fd;
	if (e->dev_fd < 0)
		return -EBADF;
	/* Queue. */
	memset(gp(e, RING_GPA), 0, 16u << RING_LOG2);
	rc = uiommu_client_vcmdq_create(e->vm.c, e->vm.vi.id, 0, RING_LOG2,
					RING_GPA, &e->q.cq);
	if (rc == 0)
		rc = uiommu_vcmdq_prod_init(&e->q.p, (void *)gp(e, RING_GPA), RING_LOG2,
					    e->q.cq.regs);
	if (rc == 0)
		rc = uiommu_vcmdq_prod_enable(&e->q.p, 100000000);
	if (rc != 0)
		return rc;
	/* Guest stage-1: 39-bit input, levels 1-3; CD 0; STE S1. */
	l1 = (uint64_t *)gp(e, TBL_GPA);
	l2 = (uint64_t *)gp(e, TBL_GPA + PG);
	memset(l1, 0, 3 * PG);
	l1[(IOVA_A >> 30) & 511] = (TBL_GPA + PG) | 3;
	l2[(IOVA_A >> 21) & 511] = (TBL_GPA + 2 * PG) | 3;
	uiommu_cd_encode(&cd, raw);
	memcpy(gp(e, CD_GPA), raw, sizeof(raw));
	write_ste(e, UIOMMU_STE_CFG_S1);
	return edu_open(e);
}

static void
run_checks(struct env *e)
{
	uint8_t *a = gp(e, BUF_GPA), *b = gp(e, BUF_GPA + PG);
	uint8_t *c = gp(e, BUF_GPA + 2 * PG), *d = gp(e, BUF_GPA + 3 * PG);
	uint8_t keep[PG];

	/* 1. RAM -> device -> RAM through the shadowed stage 1. */
	s1_set(e, IOVA_A, BUF_GPA);
	s1_set(e, IOVA_B, BUF_GPA + PG);
	CHECK(cfgi_ste_sync(e) == 0, "CFGI_STE (S1) completed");
	fill(a, PG, 1);
	memset(b, 0, PG);
	CHECK(edu_dma(e, IOVA_A, EDU_BUF, XFER, false) &&
	      edu_dma(e, EDU_BUF, IOVA_B, XFER, true),
	      "DMA IOVA A -> device -> IOVA B finished");
	CHECK(memcmp(a, b, XFER) == 0 && b[XFER] == 0,
	      "IOVA B's guest page holds exactly the %llu bytes of IOVA A's",
	      (unsigned long long)XFER);

	/* 2. Unmapped + invalidated: the device cannot write there. */
	s1_set(e, IOVA_B, 0);
	CHECK(tlbi_sync(e, IOVA_B) == 0, "TLBI_NH_VA(IOVA B) completed");
	memcpy(keep, b, PG);
	fill(a, PG, 2);
	CHECK(edu_dma(e, IOVA_A, EDU_BUF, XFER, false), "DMA to the device");
	(void)edu_dma(e, EDU_BUF, IOVA_B, XFER, true);
	CHECK(memcmp(keep, b, PG) == 0,
	      "after the TLBI a device write to IOVA B leaves the old page as it was");

	/* 3. Remapped elsewhere + invalidated: it lands in the new page. */
	memset(c, 0, PG);
	s1_set(e, IOVA_B, BUF_GPA + 2 * PG);
	CHECK(tlbi_sync(e, IOVA_B) == 0, "TLBI_NH_VA(IOVA B) completed");
	CHECK(edu_dma(e, EDU_BUF, IOVA_B, XFER, true) &&
	      memcmp(a, c, XFER) == 0 && memcmp(keep, b, PG) == 0,
	      "IOVA B remapped: the DMA lands in the new page only");

	/* 4. Guest bypass: IOVA = GPA through the stage-2 IOAS. */
	write_ste(e, UIOMMU_STE_CFG_BYPASS);
	CHECK(cfgi_ste_sync(e) == 0, "CFGI_STE (bypass) completed");
	memset(d, 0, PG);
	CHECK(edu_dma(e, EDU_BUF, BUF_GPA + 3 * PG, XFER, true) &&
	      memcmp(a, d, XFER) == 0, "bypass: DMA to GPA lands at that GPA");
}

int
main(void)
{
	const char *bdf = getenv("EDU_BDF");
	struct env e;
	int rc, st;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (bdf == NULL || bdf[0] == '\0') {
		printf("SKIP: no edu device bound to vfio-pci (EDU_BDF unset)\n");
		return SKIP;
	}
	memset(&e, 0, sizeof(e));
	e.dev_fd = -1;
	rc = setup(&e, bdf);
	if (rc != 0) {
		printf("FAIL: set-up: %s\n", strerror(rc < 0 ? -rc : rc));
		failures++;
	} else {
		run_checks(&e);
	}
	if (e.bar0 != NULL)
		munmap((void *)e.bar0, e.bar0_len);
	if (e.dev_fd >= 0)
		close(e.dev_fd);
	if (e.vm.c != NULL)
		uiommu_client_close(e.vm.c);
	if (e.vm.ram.hva != NULL)
		it_ram_destroy(&e.vm.ram);
	if (e.m.pid > 0) {
		st = it_mgr_stop(&e.m, SIGTERM);
		CHECK(st == 0, "manager exit status %d", st);
	}
	printf("%s: %d failure(s)\n", failures ? "FAIL" : "PASS", failures);
	return failures ? 1 : 0;
}
