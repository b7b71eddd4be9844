/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vfio_shadow_edu: the vfio backend's shadowing, proven with a real kernel
 * and a real DMA engine inside a QEMU guest (test/vm/vfio).
 *
 * Design. This program plays the VMM and the guest driver of one VM at
 * once, talking to a uiommu-mgr that runs in the same guest on the vfio
 * backend (test/vm/vfio/run-guest.sh starts it). It shares "guest RAM" (a
 * memfd) with the manager, creates a vfio vIOMMU and binds the edu device
 * ("vfio:<bdf>"), receiving the device fd; then, as a guest driver does, it
 * builds an AArch64 stage-1 table in that RAM (lib/pgtable over GPAs),
 * writes a CD and an STE, and drives a vCMDQ (lib/cmdq producer):
 * CFGI_STE + CMD_SYNC. From then on every check uses edu's own DMA engine,
 * programmed through the device fd (BAR0 mmap, bus mastering through the
 * config region), with IOVAs of the guest's stage 1:
 *
 *  1. data moves RAM -> device -> RAM through the mappings uiommu installed
 *     (IOVA -> GPA -> the manager's host address of the GPA);
 *  2. after the guest unmaps a page in stage 1 and sends TLBI_NH_VA +
 *     CMD_SYNC, a device write to that IOVA leaves the page untouched and
 *     a device read from an unmapped IOVA delivers none of its bytes; the
 *     kernel logs an IOMMU (DMAR) fault for each, naming the IOVA;
 *  3. remapping the IOVA onto another page + TLBI + CMD_SYNC makes the DMA
 *     land there;
 *  4. an STE switched to bypass (CFGI_STE) makes IOVA = GPA work for a
 *     RAM region placed below edu's 28-bit DMA limit.
 *
 * Last it measures, guest-side, the completion latency of a CMD_SYNC on
 * this path: alone, after a TLBI that changes nothing (shadow walk, no
 * system call), after a TLBI for a new page (one VFIO_IOMMU_MAP_DMA) and
 * for a removed page (one UNMAP_DMA), printed as UIOMMU-VM-METRIC lines.
 * These are TCG numbers: every instruction is emulated.
 *
 * Exit status: 0 all checks passed, 1 a check failed, 2 bad usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/klog.h>
#include <sys/mman.h>
#include <unistd.h>

#include "uiommu_client.h"
#include "uiommu_cmd.h"
#include "uiommu_pgtable.h"
#include "uiommu_smmu.h"
#include "uiommu_vcmdq.h"
#include "uiommu_vfio_uapi.h"
#include "vm_lat.h"

#define PG 4096ULL

/* Guest RAM: one 32 MiB region high up, one 4 MiB region below 256 MiB
 * (edu masks DMA addresses to 28 bits) for the bypass check. */
#define RAM_GPA     0x40000000ULL
#define RAM_SIZE    (32ULL << 20)
#define LOW_GPA     0x08000000ULL
#define LOW_SIZE    (4ULL << 20)
#define STRTAB_GPA  RAM_GPA                 /* 16 STEs */
#define STRTAB_LOG2 4
#define RING_GPA    (RAM_GPA + 0x10000)     /* 256 commands */
#define RING_LOG2   8
#define CD_GPA      (RAM_GPA + 0x20000)
#define POOL_GPA    (RAM_GPA + 0x100000)    /* stage-1 table pages */
#define POOL_END    (RAM_GPA + 0x800000)
#define BUF_GPA     (RAM_GPA + 0x1000000)   /* DMA buffers */
#define VSID        1
#define ASID        5

/* IOVAs of the guest's stage 1 (below edu's 28-bit limit). */
#define IOVA_A 0x100000ULL
#define IOVA_B 0x110000ULL
#define IOVA_C 0x120000ULL
#define IOVA_T 0x200000ULL    /* latency loop */

/* edu (QEMU hw/misc/edu.c): registers in BAR0, device buffer. */
#define EDU_REG_ID      0x00
#define EDU_REG_DMA_SRC 0x80
#define EDU_REG_DMA_DST 0x88
#define EDU_REG_DMA_CNT 0x90
#define EDU_REG_DMA_CMD 0x98
#define EDU_CMD_RUN     0x1u
#define EDU_CMD_TO_RAM  0x2u
#define EDU_BUF         0x40000u
/* QEMU 7.2's edu aborts on a transfer ending at its buffer's end. */
#define XFER            (4096u - 64u)
#define PCI_CMD_OFF     0x04
#define PCI_CMD_MEM     0x2u
#define PCI_CMD_MASTER  0x4u

#define SYNC_TIMEOUT_NS (20ULL * 1000000000ULL)
#define SYNC_MIN_ROUNDS 100000ul
#define DMA_TIMEOUT_NS  (10ULL * 1000000000ULL)

struct guest {
	struct uiommu_client *c;
	uint32_t viommu;
	int ram_fd, low_fd;
	uint8_t *ram, *low;
	uint64_t pool;
	struct uiommu_pgtable *pt;
	struct uiommu_vcmdq_prod q;
	int dev_fd;
	volatile uint8_t *bar0;
	uint64_t bar0_size;
};

static int failures;

static bool check(bool ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static bool
check(bool ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s: ", ok ? "ok" : "FAIL");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (!ok)
		failures++;
	return ok;
}

#define REQUIRE(cond, ...) do { \
	if (!check((cond), __VA_ARGS__)) \
		exit(1); \
} while (0)
/* The same, printing only a failure (steps repeated in loops). */
#define REQUIRE_QUIET(cond, ...) do { \
	if (!(cond)) { \
		check(false, __VA_ARGS__); \
		exit(1); \
	} \
} while (0)

/* ---- guest RAM and stage 1 ---- */

static void *
gptr(struct guest *g, uint64_t gpa, uint64_t len)
{
	if (gpa >= RAM_GPA && len <= RAM_SIZE && gpa - RAM_GPA <= RAM_SIZE - len)
		return g->ram + (gpa - RAM_GPA);
	if (gpa >= LOW_GPA && len <= LOW_SIZE && gpa - LOW_GPA <= LOW_SIZE - len)
		return g->low + (gpa - LOW_GPA);
	return NULL;
}

static int
pt_alloc(void *ctx, size_t size, size_t align, uint64_t *addr)
{
	struct guest *g = ctx;
	uint64_t a = (g->pool + align - 1) & ~(uint64_t)(align - 1);

	if (a + size > POOL_END)
		return -ENOMEM;
	g->pool = a + size;
	*addr = a;
	return 0;
}

static void
pt_free(void *ctx, uint64_t addr, size_t size)
{
	/* Pages are not reused during the test: nothing can walk a reused
	 * page by mistake. */
	(void)ctx;
	(void)addr;
	(void)size;
}

static void *
pt_to_ptr(void *ctx, uint64_t addr, size_t size)
{
	return gptr(ctx, addr, size);
}

static const struct uiommu_pt_mem_ops pt_ops = {
	.alloc = pt_alloc, .free = pt_free, .to_ptr = pt_to_ptr,
};

static void
s1_map(struct guest *g, uint64_t iova, uint64_t gpa)
{
	REQUIRE_QUIET(uiommu_pgtable_map(g->pt, iova, gpa, PG, UIOMMU_PT_PROT_READ |
				   UIOMMU_PT_PROT_WRITE, NULL) == 0,
		"stage 1: map IOVA 0x%" PRIx64 " -> GPA 0x%" PRIx64, iova, gpa);
}

static void
s1_unmap(struct guest *g, uint64_t iova)
{
	uint64_t un = 0;

	REQUIRE_QUIET(uiommu_pgtable_unmap(g->pt, iova, PG, &un) == 0 && un == PG,
		"stage 1: unmap IOVA 0x%" PRIx64, iova);
}

static void
write_ste(struct guest *g, uint8_t config)
{
	struct uiommu_ste_info ste;
	uint64_t raw[8];

	memset(&ste, 0, sizeof(ste));
	ste.valid = 1;
	ste.config = config;
	ste.s1ctxptr = CD_GPA;
	uiommu_ste_encode(&ste, raw);
	memcpy(gptr(g, STRTAB_GPA + VSID * UIOMMU_STE_SIZE, UIOMMU_STE_SIZE),
	       raw, sizeof(raw));
}

static void
write_cd(struct guest *g)
{
	struct uiommu_lpae_regs r;
	struct uiommu_cd_info cd;
	uint64_t raw[8];

	REQUIRE(uiommu_pgtable_lpae_regs(g->pt, &r) == 0, "stage-1 registers");
	memset(&cd, 0, sizeof(cd));
	cd.valid = 1;
	cd.t0sz = (uint8_t)r.t0sz;
	cd.tg0 = (uint8_t)r.tg0;
	cd.ips = (uint8_t)r.ips;
	cd.aa64 = 1;
	cd.asid = ASID;
	cd.ttb0 = r.ttb;
	cd.mair = r.mair;
	uiommu_cd_encode(&cd, raw);
	memcpy(gptr(g, CD_GPA, UIOMMU_CD_SIZE), raw, sizeof(raw));
}

/* ---- the command queue ---- */

static struct uiommu_cmd
cmd(const struct uiommu_cmd_info *ci)
{
	struct uiommu_cmd c;

	REQUIRE_QUIET(uiommu_cmd_encode(ci, &c) == 0, "encode %s",
		      uiommu_cmd_name(ci->op));
	return c;
}

static struct uiommu_cmd
tlbi_va(uint64_t iova)
{
	struct uiommu_cmd_info ci = {
		.op = UIOMMU_CMD_TLBI_NH_VA, .asid = ASID, .addr = iova,
		.leaf = true,
	};

	return cmd(&ci);
}

static struct uiommu_cmd
cfgi_ste(void)
{
	struct uiommu_cmd_info ci = { .op = UIOMMU_CMD_CFGI_STE, .sid = VSID };

	return cmd(&ci);
}

/*
 * Post commands followed by a CMD_SYNC and wait until CONS passes it.
 * Returns 0 (elapsed ns in *ns), or -EIO with the CONS.ERR code printed.
 */
static int
sync_after(struct guest *g, const struct uiommu_cmd *c, unsigned int n,
	   uint64_t *ns)
{
	struct uiommu_cmd_info si = { .op = UIOMMU_CMD_SYNC };
	struct uiommu_cmd all[8];
	uint64_t t0, deadline;
	uint32_t err = 0, target;
	int rc;

	if (n >= 8)
		return -EINVAL;
	memcpy(all, c, n * sizeof(*c));
	all[n] = cmd(&si);
	if (uiommu_vcmdq_prod_write(&g->q, all, n + 1) != n + 1)
		return -ENOSPC;
	target = uiommu_vcmdq_prod_index(&g->q);
	t0 = vm_now_ns();
	uiommu_vcmdq_prod_publish(&g->q);
	deadline = t0 + SYNC_TIMEOUT_NS;
	/*
	 * Bounded by time, and by a minimum number of rounds too: the TCG
	 * guest's clock has been seen to jump forward once, which must not
	 * end the wait early.
	 */
	for (unsigned long round = 0;; round++) {
		rc = uiommu_vcmdq_prod_wait(&g->q, target, 256, &err);
		if (rc != -ETIMEDOUT ||
		    (vm_now_ns() >= deadline && round >= SYNC_MIN_ROUNDS))
			break;
	}
	if (ns != NULL)
		*ns = vm_now_ns() - t0;
	if (rc == -EIO)
		printf("info: queue error CERROR %u\n", err);
	return rc;
}

/* ---- edu through the device fd ---- */

static uint64_t
edu_rd64(struct guest *g, uint32_t off)
{
	return *(volatile uint64_t *)(g->bar0 + off);
}

static void
edu_wr64(struct guest *g, uint32_t off, uint64_t v)
{
	*(volatile uint64_t *)(g->bar0 + off) = v;
}

static void
edu_open(struct guest *g)
{
	struct uiommu_vfio_region_info ri;
	uint16_t pcmd;
	void *p;
	int rc;

	memset(&ri, 0, sizeof(ri));
	ri.argsz = sizeof(ri);
	ri.index = UIOMMU_VFIO_PCI_BAR0_REGION_INDEX;
	rc = ioctl(g->dev_fd, UIOMMU_VFIO_DEVICE_GET_REGION_INFO, &ri);
	REQUIRE(rc == 0 && (ri.flags & UIOMMU_VFIO_REGION_INFO_FLAG_MMAP) &&
		ri.size >= 0x100,
		"BAR0 of the device fd is mappable (0x%" PRIx64 " bytes)",
		(uint64_t)ri.size);
	p = mmap(NULL, ri.size, PROT_READ | PROT_WRITE, MAP_SHARED, g->dev_fd,
		 (off_t)ri.offset);
	REQUIRE(p != MAP_FAILED, "mmap BAR0");
	g->bar0 = p;
	g->bar0_size = ri.size;
	memset(&ri, 0, sizeof(ri));
	ri.argsz = sizeof(ri);
	ri.index = UIOMMU_VFIO_PCI_CONFIG_REGION_INDEX;
	REQUIRE(ioctl(g->dev_fd, UIOMMU_VFIO_DEVICE_GET_REGION_INFO, &ri) == 0,
		"config region");
	/* vfio-pci leaves bus mastering off; edu's DMA needs it. */
	REQUIRE(pread(g->dev_fd, &pcmd, 2, (off_t)(ri.offset + PCI_CMD_OFF)) == 2,
		"read PCI command");
	pcmd |= PCI_CMD_MEM | PCI_CMD_MASTER;
	REQUIRE(pwrite(g->dev_fd, &pcmd, 2, (off_t)(ri.offset + PCI_CMD_OFF)) == 2,
		"enable bus mastering");
	REQUIRE((*(volatile uint32_t *)(g->bar0 + EDU_REG_ID) & 0xff) == 0xed,
		"edu identification register");
}

/* One edu transfer; src/dst are an IOVA and a device-buffer address. */
static int
edu_dma(struct guest *g, uint64_t src, uint64_t dst, uint64_t cnt, bool to_ram)
{
	uint64_t deadline = vm_now_ns() + DMA_TIMEOUT_NS;

	/* Barrier: buffer stores before the doorbell (device reads RAM). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	edu_wr64(g, EDU_REG_DMA_SRC, src);
	edu_wr64(g, EDU_REG_DMA_DST, dst);
	edu_wr64(g, EDU_REG_DMA_CNT, cnt);
	edu_wr64(g, EDU_REG_DMA_CMD, EDU_CMD_RUN | (to_ram ? EDU_CMD_TO_RAM : 0));
	while (edu_rd64(g, EDU_REG_DMA_CMD) & EDU_CMD_RUN) {
		if (vm_now_ns() > deadline)
			return -ETIMEDOUT;
		usleep(1000);
	}
	/* Barrier: RUN seen clear before the CPU reads what the device wrote. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return 0;
}

/* ---- kernel log ---- */

/* Lines with "DMAR" and the IOVA as 0x<hex> (not a prefix of a longer one). */
static int
fault_lines(uint64_t iova)
{
	char want[32], *buf, *line, *save = NULL;
	int size, n, count = 0;

	size = klogctl(10, NULL, 0);
	if (size <= 0)
		return -1;
	buf = malloc((size_t)size + 1);
	if (buf == NULL)
		return -1;
	n = klogctl(3, buf, size);
	if (n < 0) {
		free(buf);
		return -1;
	}
	buf[n] = '\0';
	snprintf(want, sizeof(want), "0x%" PRIx64, iova);
	for (line = strtok_r(buf, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		const char *a = strstr(line, want);
		char next;

		if (a == NULL || strstr(line, "DMAR") == NULL)
			continue;
		next = a[strlen(want)];
		if ((next >= '0' && next <= '9') || (next >= 'a' && next <= 'f'))
			continue;
		count++;
	}
	free(buf);
	return count;
}

static int
wait_fault(uint64_t iova, int before)
{
	int now = before;

	for (int i = 0; i < 300 && now <= before; i++) {
		usleep(10000);
		now = fault_lines(iova);
	}
	return now;
}

static void
fill(uint8_t *p, size_t n, unsigned int seed)
{
	/* Never zero: a zeroed buffer never matches. */
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(((i * 131u + seed * 29u) % 255u) + 1u);
}

static size_t
count_equal(const uint8_t *a, const uint8_t *b, size_t n)
{
	size_t eq = 0;

	for (size_t i = 0; i < n; i++)
		eq += a[i] == b[i];
	return eq;
}

/* ---- set-up ---- */

static int
ram_create(const char *name, uint64_t size, uint8_t **map)
{
	int fd = uiommu_client_memfd(name, size, 0);
	void *p;

	if (fd < 0)
		return fd;
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		close(fd);
		return -errno;
	}
	memset(p, 0, size);
	*map = p;
	return fd;
}

static void
guest_setup(struct guest *g, const char *sock, const char *bdf)
{
	struct uiommu_client_viommu vo;
	struct uiommu_client_vdevice dv;
	struct uiommu_client_vcmdq qo;
	struct uiommu_pgtable_cfg pc;
	char spec[64];
	int rc;

	g->ram_fd = ram_create("guest-ram", RAM_SIZE, &g->ram);
	g->low_fd = ram_create("guest-low", LOW_SIZE, &g->low);
	REQUIRE(g->ram_fd >= 0 && g->low_fd >= 0, "guest RAM memfds");
	g->pool = POOL_GPA;
	rc = uiommu_client_connect(sock, 20000, &g->c);
	REQUIRE(rc == 0, "connect to the manager at %s (%d)", sock, rc);
	REQUIRE(uiommu_client_hello(g->c, 0, "vfio-shadow-edu",
				    UIOMMU_FEAT_VCMDQ | UIOMMU_FEAT_EVENTS,
				    NULL) == 0, "HELLO");
	REQUIRE(uiommu_client_mem_add(g->c, RAM_GPA, RAM_SIZE, g->ram_fd, 0) == 0,
		"MEM_ADD 32 MiB at GPA 0x%llx", RAM_GPA);
	REQUIRE(uiommu_client_mem_add(g->c, LOW_GPA, LOW_SIZE, g->low_fd, 0) == 0,
		"MEM_ADD 4 MiB at GPA 0x%llx", LOW_GPA);
	rc = uiommu_client_viommu_create(g->c, "vfio", NULL, &vo);
	REQUIRE(rc == 0, "VIOMMU_CREATE vfio (%d)", rc);
	check((vo.caps & (1ULL << 1)) != 0 && (vo.caps & 1ULL) == 0,
	      "vfio reports shadowing, not nesting (caps 0x%" PRIx64 ")", vo.caps);
	g->viommu = vo.id;
	REQUIRE(uiommu_client_strtab_set(g->c, g->viommu, STRTAB_GPA,
					 STRTAB_LOG2) == 0, "stream table");
	snprintf(spec, sizeof(spec), "vfio:%s", bdf);
	rc = uiommu_client_vdevice_add(g->c, g->viommu, VSID, spec, &dv);
	REQUIRE(rc == 0 && dv.dev_fd >= 0, "VDEVICE_ADD %s gives the device fd (%d)",
		spec, rc);
	g->dev_fd = dv.dev_fd;
	REQUIRE(uiommu_client_vcmdq_create(g->c, g->viommu, 0, RING_LOG2, RING_GPA,
					   &qo) == 0, "VCMDQ_CREATE");
	REQUIRE(uiommu_vcmdq_prod_init(&g->q, gptr(g, RING_GPA, 16u << RING_LOG2),
				       RING_LOG2, qo.regs) == 0, "producer");
	REQUIRE(uiommu_vcmdq_prod_enable(&g->q, 100000000) == 0, "queue enabled");

	memset(&pc, 0, sizeof(pc));
	pc.format = UIOMMU_PT_ARM_LPAE_S1_4K;
	pc.ias = 39;
	pc.oas = 40;
	pc.pgsize_bitmap = UIOMMU_PT_PGSIZE_4K;
	pc.mem_ops = &pt_ops;
	pc.mem_ctx = g;
	REQUIRE(uiommu_pgtable_create(&pc, &g->pt) == 0, "stage-1 table");
	write_cd(g);
	write_ste(g, UIOMMU_STE_CFG_S1);
}

/* ---- the checks ---- */

static void
check_dma(struct guest *g)
{
	uint8_t *a = gptr(g, BUF_GPA, PG), *b = gptr(g, BUF_GPA + PG, PG);
	uint8_t *c = gptr(g, BUF_GPA + 2 * PG, PG), *d = gptr(g, BUF_GPA + 3 * PG, PG);
	uint8_t *low = gptr(g, LOW_GPA + 0x1000, PG);
	uint8_t expect[PG];
	struct uiommu_cmd t[1];
	uint64_t ns;
	int before, after;

	s1_map(g, IOVA_A, BUF_GPA);
	s1_map(g, IOVA_B, BUF_GPA + PG);
	s1_map(g, IOVA_C, BUF_GPA + 2 * PG);
	t[0] = cfgi_ste();
	/* Not timed: the guest clock has been seen to jump during it. */
	REQUIRE(sync_after(g, t, 1, NULL) == 0,
		"CFGI_STE + CMD_SYNC: stage 1 shadowed");
	edu_open(g);

	/* 1. RAM -> device -> RAM through the shadow. */
	fill(a, PG, 1);
	memset(b, 0, PG);
	REQUIRE(edu_dma(g, IOVA_A, EDU_BUF, XFER, false) == 0 &&
		edu_dma(g, EDU_BUF, IOVA_B, XFER, true) == 0,
		"DMA IOVA A -> device -> IOVA B completes");
	memset(expect, 0, PG);
	memcpy(expect, a, XFER);
	check(memcmp(b, expect, PG) == 0,
	      "B holds A's %u bytes, the rest of B untouched: data moved through "
	      "the mappings uiommu installed", XFER);

	/* 2a. Unmap B in stage 1 + TLBI + CMD_SYNC: a device write is blocked. */
	s1_unmap(g, IOVA_B);
	t[0] = tlbi_va(IOVA_B);
	REQUIRE(sync_after(g, t, 1, &ns) == 0, "TLBI_NH_VA + CMD_SYNC (unmap)");
	memset(b, 0x5a, PG);
	memset(expect, 0x5a, PG);
	fill(a, PG, 2);
	REQUIRE(edu_dma(g, IOVA_A, EDU_BUF, XFER, false) == 0, "DMA A -> device");
	before = fault_lines(IOVA_B);
	REQUIRE(before >= 0, "read the kernel log");
	check(edu_dma(g, EDU_BUF, IOVA_B, XFER, true) == 0,
	      "DMA device -> unmapped IOVA B finishes (engine not hung)");
	check(memcmp(b, expect, PG) == 0,
	      "B is untouched: the IOMMU blocked the write to its IOVA");
	after = wait_fault(IOVA_B, before);
	check(after > before, "kernel logged a DMAR fault at IOVA 0x%llx (%d line(s))",
	      IOVA_B, after - before);

	/* 2b. A device read from an unmapped IOVA delivers nothing. */
	fill(a, PG, 3);
	s1_unmap(g, IOVA_A);
	t[0] = tlbi_va(IOVA_A);
	REQUIRE(sync_after(g, t, 1, NULL) == 0, "TLBI_NH_VA + CMD_SYNC (unmap A)");
	before = fault_lines(IOVA_A);
	check(edu_dma(g, IOVA_A, EDU_BUF, XFER, false) == 0,
	      "DMA unmapped IOVA A -> device finishes");
	memset(c, 0, PG);
	REQUIRE(edu_dma(g, EDU_BUF, IOVA_C, XFER, true) == 0, "DMA device -> C");
	check(count_equal(c, a, XFER) == 0,
	      "no byte of A reached the device through its unmapped IOVA");
	after = wait_fault(IOVA_A, before);
	check(after > before, "kernel logged a DMAR fault at IOVA 0x%llx (%d line(s))",
	      IOVA_A, after - before);

	/* 3. Remap B onto another page. */
	s1_map(g, IOVA_B, BUF_GPA + 3 * PG);
	t[0] = tlbi_va(IOVA_B);
	REQUIRE(sync_after(g, t, 1, NULL) == 0, "TLBI_NH_VA + CMD_SYNC (remap B)");
	fill(c, PG, 4);
	memset(d, 0, PG);
	REQUIRE(edu_dma(g, IOVA_C, EDU_BUF, XFER, false) == 0 &&
		edu_dma(g, EDU_BUF, IOVA_B, XFER, true) == 0,
		"DMA C -> device -> IOVA B completes");
	check(memcmp(d, c, XFER) == 0, "the remapped page D holds C's bytes");

	/* 4. Bypass: IOVA = GPA. */
	write_ste(g, UIOMMU_STE_CFG_BYPASS);
	t[0] = cfgi_ste();
	REQUIRE(sync_after(g, t, 1, &ns) == 0,
		"CFGI_STE (bypass) + CMD_SYNC (%.1f ms, TCG)", ns / 1e6);
	memset(low, 0, PG);
	REQUIRE(edu_dma(g, EDU_BUF, LOW_GPA + 0x1000, XFER, true) == 0,
		"DMA device -> GPA 0x%llx (bypass)", LOW_GPA + 0x1000);
	check(memcmp(low, c, XFER) == 0, "bypass: the bytes landed at IOVA = GPA");
	/* Back to stage 1 for the latency loop. */
	write_ste(g, UIOMMU_STE_CFG_S1);
	t[0] = cfgi_ste();
	REQUIRE(sync_after(g, t, 1, &ns) == 0,
		"CFGI_STE (back to stage 1: full walk, 2 unmaps, 2 maps) + CMD_SYNC (%.1f ms, TCG)",
		ns / 1e6);
}

static void
measure(struct guest *g, unsigned int iters)
{
	struct vm_lat l_sync, l_noop, l_map, l_unmap;
	struct uiommu_cmd t[1];
	uint64_t ns;

	REQUIRE(vm_lat_init(&l_sync, "vfio_cmd_sync_alone", iters) == 0 &&
		vm_lat_init(&l_noop, "vfio_tlbi_unchanged_sync", iters) == 0 &&
		vm_lat_init(&l_map, "vfio_map_tlbi_sync", iters) == 0 &&
		vm_lat_init(&l_unmap, "vfio_unmap_tlbi_sync", iters) == 0,
		"latency sample arrays");
	s1_map(g, IOVA_T + PG, BUF_GPA + 8 * PG);
	t[0] = tlbi_va(IOVA_T + PG);
	REQUIRE(sync_after(g, t, 1, NULL) == 0, "warm-up");
	for (unsigned int i = 0; i < iters; i++) {
		if (sync_after(g, t, 0, &ns) != 0)
			break;
		vm_lat_add(&l_sync, ns);
		t[0] = tlbi_va(IOVA_T + PG);         /* mapped, unchanged */
		if (sync_after(g, t, 1, &ns) != 0)
			break;
		vm_lat_add(&l_noop, ns);
		s1_map(g, IOVA_T, BUF_GPA + 9 * PG);
		t[0] = tlbi_va(IOVA_T);
		if (sync_after(g, t, 1, &ns) != 0)
			break;
		vm_lat_add(&l_map, ns);
		s1_unmap(g, IOVA_T);
		if (sync_after(g, t, 1, &ns) != 0)
			break;
		vm_lat_add(&l_unmap, ns);
	}
	check(l_unmap.n == iters, "%u rounds of CMD_SYNC measurements", iters);
	vm_lat_report(&l_sync, "(guest-side, TCG)");
	vm_lat_report(&l_noop, "(guest-side, TCG; shadow walk, no syscall)");
	vm_lat_report(&l_map, "(guest-side, TCG; one VFIO_IOMMU_MAP_DMA)");
	vm_lat_report(&l_unmap, "(guest-side, TCG; one VFIO_IOMMU_UNMAP_DMA)");
	vm_lat_fini(&l_sync);
	vm_lat_fini(&l_noop);
	vm_lat_fini(&l_map);
	vm_lat_fini(&l_unmap);
}

static void
usage(const char *argv0)
{
	fprintf(stderr, "usage: %s --socket PATH [--bdf BDF] [--iters N]\n"
		"  --bdf defaults to $EDU_BDF\n", argv0);
	exit(2);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "bdf", required_argument, NULL, 'b' },
		{ "iters", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	const char *sock = NULL, *bdf = getenv("EDU_BDF");
	unsigned long iters = 200;
	struct guest g;
	int o;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 's':
			sock = optarg;
			break;
		case 'b':
			bdf = optarg;
			break;
		case 'n':
			iters = strtoul(optarg, NULL, 0);
			break;
		default:
			usage(argv[0]);
		}
	}
	if (sock == NULL || bdf == NULL || iters == 0 || iters > 100000)
		usage(argv[0]);
	setvbuf(stdout, NULL, _IOLBF, 0);
	memset(&g, 0, sizeof(g));
	printf("vfio_shadow_edu: device %s, manager %s\n", bdf, sock);
	guest_setup(&g, sock, bdf);
	check_dma(&g);
	measure(&g, (unsigned int)iters);

	uiommu_vcmdq_prod_disable(&g.q, 100000000);
	munmap((void *)g.bar0, g.bar0_size);
	close(g.dev_fd);
	uiommu_pgtable_destroy(g.pt);
	uiommu_client_close(g.c);
	munmap(g.ram, RAM_SIZE);
	munmap(g.low, LOW_SIZE);
	close(g.ram_fd);
	close(g.low_fd);
	printf("vfio_shadow_edu: %s (%d failure(s))\n", failures ? "FAIL" : "PASS",
	       failures);
	return failures ? 1 : 0;
}
