/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vfio_edu_dma: VFIO type1 and a real DMA engine, proven inside a guest.
 *
 * Design: runs in a QEMU guest (test/vm) whose edu device (PCI 1234:11e8)
 * sits behind an emulated IOMMU and is bound to vfio-pci. The program is
 * the smallest honest VFIO user: container + group, VFIO_TYPE1v2_IOMMU,
 * IOVA ranges from the capability chain, the device's BAR0 mmap'ed, bus
 * mastering turned on through the config region. Every claim is checked
 * with the device's own DMA engine, never by reading back the kernel's
 * view: a buffer mapped at an IOVA receives exactly the bytes the device
 * wrote there; once unmapped, a device write to that IOVA leaves the
 * buffer untouched and a device read from it does not deliver the old
 * bytes, and each blocked access shows up as an IOMMU fault line in the
 * kernel log (VT-d: "DMAR: ... fault addr 0x<iova>"; the pattern is an
 * option for other IOMMUs). A remap afterwards must work again, so the
 * faults did not wedge the device or the domain.
 *
 * edu's DMA engine: SRC/DST/CNT/CMD registers at 0x80/0x88/0x90/0x98, a
 * 4 KiB device buffer at device address 0x40000, CMD bit 0 starts (and
 * reads 1 until done, about 100 ms of virtual time later), CMD bit 1
 * selects device buffer -> RAM (set) or RAM -> device buffer (clear). It
 * masks addresses to 28 bits, so every IOVA used here is below 256 MiB,
 * and any transfer outside its buffer aborts QEMU, so lengths are fixed.
 *
 * Last, VFIO_IOMMU_MAP_DMA / UNMAP_DMA of one 4 KiB page are timed a few
 * hundred times and reported as p50/p99 (printed, never asserted).
 *
 * Exit status: 0 all checks passed, 1 a check failed, 2 bad usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/klog.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/pci_regs.h>
#include <linux/vfio.h>

#include "vm_lat.h"

#define PAGE_SZ 4096u

/* edu BAR0 registers and constants (QEMU hw/misc/edu.c). */
#define EDU_REG_ID 0x00
#define EDU_REG_LIVENESS 0x04
#define EDU_REG_DMA_SRC 0x80
#define EDU_REG_DMA_DST 0x88
#define EDU_REG_DMA_CNT 0x90
#define EDU_REG_DMA_CMD 0x98
#define EDU_DMA_CMD_RUN 0x1u
#define EDU_DMA_CMD_TO_RAM 0x2u
#define EDU_DEV_BUF 0x40000u
#define EDU_DEV_BUF_SZ 4096u
#define EDU_DMA_LIMIT (1ull << 28)
/*
 * Bytes per transfer. QEMU 7.2's edu treats a transfer that ends exactly
 * at the end of its 4 KiB buffer as out of bounds and aborts QEMU
 * (hw_error), so transfers stop 64 bytes short of it.
 */
#define XFER (EDU_DEV_BUF_SZ - 64u)
#define EDU_DMA_TIMEOUT_NS (10ull * 1000000000ull)

/* Kernel log actions of syslog(2). */
#define KLOG_READ_ALL 3
#define KLOG_SIZE_BUFFER 10

/* Bound on capability-chain walking: the chain comes from the kernel but
 * is still walked with a limit. */
#define MAX_CAPS 64

struct edu {
	int container;
	int group;
	int device;
	volatile uint8_t *bar0;
	size_t bar0_size;
	uint64_t cfg_offset;
};

static int failures;

/* Each condition is evaluated exactly once (many are ioctls), and before
 * the message; a failed check also prints the errno the condition left. */
#define CHECK(cond, ...)                                                      \
	__extension__({                                                       \
		errno = 0;                                                    \
		bool ok_ = (cond);                                            \
		int err_ = errno;                                             \
		check_report(ok_, err_, __LINE__, __VA_ARGS__);               \
	})
#define REQUIRE(cond, ...)                                                    \
	do {                                                                  \
		if (!CHECK(cond, __VA_ARGS__))                                \
			exit(1);                                              \
	} while (0)

static bool check_report(bool ok, int err, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static bool check_report(bool ok, int err, int line, const char *fmt, ...)
{
	va_list ap;

	if (ok) {
		printf("ok: ");
	} else {
		printf("FAIL (line %d): ", line);
		failures++;
	}
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	if (!ok && err != 0)
		printf(" [errno %d: %s]", err, strerror(err));
	printf("\n");
	fflush(stdout);
	return ok;
}

/* --- edu MMIO --------------------------------------------------------- */

static uint32_t edu_rd32(struct edu *e, uint32_t off)
{
	return *(volatile uint32_t *)(e->bar0 + off);
}

static void edu_wr32(struct edu *e, uint32_t off, uint32_t v)
{
	*(volatile uint32_t *)(e->bar0 + off) = v;
}

static uint64_t edu_rd64(struct edu *e, uint32_t off)
{
	return *(volatile uint64_t *)(e->bar0 + off);
}

static void edu_wr64(struct edu *e, uint32_t off, uint64_t v)
{
	*(volatile uint64_t *)(e->bar0 + off) = v;
}

/*
 * One edu DMA of cnt bytes: src and dst are an IOVA and a device-buffer
 * address, in the order the direction wants. Waits (bounded) for the
 * engine to clear its RUN bit. Returns 0 or -ETIMEDOUT.
 */
static int edu_dma(struct edu *e, uint64_t src, uint64_t dst, uint64_t cnt,
		   bool to_ram)
{
	uint64_t deadline = vm_now_ns() + EDU_DMA_TIMEOUT_NS;

	/* Barrier: CPU stores to the source buffer before the MMIO write that
	 * starts the engine (pairs with the device's read of guest RAM). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	edu_wr64(e, EDU_REG_DMA_SRC, src);
	edu_wr64(e, EDU_REG_DMA_DST, dst);
	edu_wr64(e, EDU_REG_DMA_CNT, cnt);
	edu_wr64(e, EDU_REG_DMA_CMD,
		 EDU_DMA_CMD_RUN | (to_ram ? EDU_DMA_CMD_TO_RAM : 0));
	while (edu_rd64(e, EDU_REG_DMA_CMD) & EDU_DMA_CMD_RUN) {
		if (vm_now_ns() > deadline)
			return -ETIMEDOUT;
		usleep(1000);
	}
	/* Barrier: the RUN bit read as clear before reading the destination
	 * buffer (pairs with the device's write of guest RAM). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return 0;
}

/* --- VFIO ------------------------------------------------------------- */

static int vfio_map(struct edu *e, void *va, uint64_t iova, uint64_t size)
{
	struct vfio_iommu_type1_dma_map m = {
		.argsz = sizeof(m),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (uintptr_t)va,
		.iova = iova,
		.size = size,
	};

	return ioctl(e->container, VFIO_IOMMU_MAP_DMA, &m) ? -errno : 0;
}

/* Returns the bytes unmapped, or a negative errno. */
static int64_t vfio_unmap(struct edu *e, uint64_t iova, uint64_t size)
{
	struct vfio_iommu_type1_dma_unmap u = {
		.argsz = sizeof(u),
		.iova = iova,
		.size = size,
	};

	if (ioctl(e->container, VFIO_IOMMU_UNMAP_DMA, &u))
		return -errno;
	return (int64_t)u.size;
}

/*
 * Reads VFIO_IOMMU_GET_INFO with its capability chain; prints the page
 * sizes, IOVA ranges and DMA mapping budget, and picks *base: the lowest
 * page-aligned IOVA >= 1 MiB inside a usable range that leaves span bytes
 * below edu's 28-bit DMA limit. Returns 0 or -ENOSPC/-errno.
 */
static int pick_iova_base(struct edu *e, uint64_t span, uint64_t *base)
{
	struct vfio_iommu_type1_info *info;
	uint32_t argsz = sizeof(*info);
	uint32_t off, ncaps = 0;
	bool have_ranges = false;
	int rc = -ENOSPC;

	info = calloc(1, argsz);
	if (info == NULL)
		return -ENOMEM;
	info->argsz = argsz;
	if (ioctl(e->container, VFIO_IOMMU_GET_INFO, info))
		goto err_errno;
	if (info->argsz > argsz) {
		argsz = info->argsz;
		free(info);
		info = calloc(1, argsz);
		if (info == NULL)
			return -ENOMEM;
		info->argsz = argsz;
		if (ioctl(e->container, VFIO_IOMMU_GET_INFO, info))
			goto err_errno;
	}
	printf("info: iova_pgsizes=0x%" PRIx64 " flags=0x%x\n",
	       (uint64_t)info->iova_pgsizes, info->flags);

	/*
	 * Capabilities are only 4-byte aligned (the 12-byte DMA_AVAIL cap
	 * shifts the ones after it), so every field is copied out with
	 * memcpy instead of being read through a struct pointer.
	 */
	off = (info->flags & VFIO_IOMMU_INFO_CAPS) ? info->cap_offset : 0;
	while (off != 0 && ncaps++ < MAX_CAPS) {
		const uint8_t *cap = (const uint8_t *)info + off;
		struct vfio_info_cap_header hdr;

		if (off < sizeof(*info) || off > argsz - sizeof(hdr))
			break;
		memcpy(&hdr, cap, sizeof(hdr));
		if (hdr.id == VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE &&
		    argsz - off >= sizeof(struct vfio_iommu_type1_info_cap_iova_range)) {
			const size_t hdr_sz =
				sizeof(struct vfio_iommu_type1_info_cap_iova_range);
			struct vfio_iova_range range;
			uint32_t i, nr, max = (uint32_t)((argsz - off - hdr_sz) /
							 sizeof(range));

			memcpy(&nr, cap + offsetof(struct vfio_iommu_type1_info_cap_iova_range,
						   nr_iovas), sizeof(nr));
			have_ranges = true;
			for (i = 0; i < nr && i < max; i++) {
				uint64_t s, l;

				memcpy(&range, cap + hdr_sz + i * sizeof(range),
				       sizeof(range));
				s = range.start;
				l = range.end;
				printf("info: iova range [0x%" PRIx64 ", 0x%" PRIx64 "]\n",
				       s, l);
				if (s < 0x100000)
					s = 0x100000;
				s = (s + PAGE_SZ - 1) & ~(uint64_t)(PAGE_SZ - 1);
				if (rc != 0 && s <= l && l - s >= span - 1 &&
				    s + span <= EDU_DMA_LIMIT) {
					*base = s;
					rc = 0;
				}
			}
		} else if (hdr.id == VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL &&
			   argsz - off >= sizeof(struct vfio_iommu_type1_info_dma_avail)) {
			uint32_t avail;

			memcpy(&avail, cap + offsetof(struct vfio_iommu_type1_info_dma_avail,
						      avail), sizeof(avail));
			printf("info: dma mappings available: %u\n", avail);
		}
		if (hdr.next != 0 && hdr.next <= off)
			break; /* chains only go forward */
		off = hdr.next;
	}
	if (!have_ranges) {
		printf("info: no IOVA range capability; assuming 1 MiB is usable\n");
		*base = 0x100000;
		rc = 0;
	}
	free(info);
	return rc;
err_errno:
	rc = -errno;
	free(info);
	return rc;
}

static void edu_open(struct edu *e, const char *bdf, const char *group)
{
	struct vfio_group_status gs = { .argsz = sizeof(gs) };
	struct vfio_device_info di = { .argsz = sizeof(di) };
	struct vfio_region_info ri = { .argsz = sizeof(ri) };
	char path[64];
	uint16_t cmd;
	void *p;

	e->container = open("/dev/vfio/vfio", O_RDWR);
	REQUIRE(e->container >= 0, "open /dev/vfio/vfio");
	REQUIRE(ioctl(e->container, VFIO_GET_API_VERSION) == VFIO_API_VERSION,
		"VFIO API version %d", VFIO_API_VERSION);
	REQUIRE(ioctl(e->container, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) == 1,
		"container supports VFIO_TYPE1v2_IOMMU");

	snprintf(path, sizeof(path), "/dev/vfio/%s", group);
	e->group = open(path, O_RDWR);
	REQUIRE(e->group >= 0, "open %s", path);
	REQUIRE(ioctl(e->group, VFIO_GROUP_GET_STATUS, &gs) == 0 &&
			(gs.flags & VFIO_GROUP_FLAGS_VIABLE),
		"group %s is viable (all its devices bound to vfio)", group);
	REQUIRE(ioctl(e->group, VFIO_GROUP_SET_CONTAINER, &e->container) == 0,
		"VFIO_GROUP_SET_CONTAINER");
	REQUIRE(ioctl(e->container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU) == 0,
		"VFIO_SET_IOMMU TYPE1v2");

	e->device = ioctl(e->group, VFIO_GROUP_GET_DEVICE_FD, bdf);
	REQUIRE(e->device >= 0, "VFIO_GROUP_GET_DEVICE_FD %s", bdf);
	REQUIRE(ioctl(e->device, VFIO_DEVICE_GET_INFO, &di) == 0 &&
			(di.flags & VFIO_DEVICE_FLAGS_PCI),
		"device is a PCI device with %u regions", di.num_regions);

	ri.index = VFIO_PCI_BAR0_REGION_INDEX;
	REQUIRE(ioctl(e->device, VFIO_DEVICE_GET_REGION_INFO, &ri) == 0 &&
			(ri.flags & VFIO_REGION_INFO_FLAG_MMAP) && ri.size >= 0x100,
		"BAR0 is mappable (size 0x%llx)", (unsigned long long)ri.size);
	p = mmap(NULL, ri.size, PROT_READ | PROT_WRITE, MAP_SHARED, e->device,
		 (off_t)ri.offset);
	REQUIRE(p != MAP_FAILED, "mmap BAR0");
	e->bar0 = p;
	e->bar0_size = ri.size;

	memset(&ri, 0, sizeof(ri));
	ri.argsz = sizeof(ri);
	ri.index = VFIO_PCI_CONFIG_REGION_INDEX;
	REQUIRE(ioctl(e->device, VFIO_DEVICE_GET_REGION_INFO, &ri) == 0,
		"config region info");
	e->cfg_offset = ri.offset;

	/* Bus mastering: vfio-pci leaves it off; without it edu's DMA is
	 * dropped by QEMU before it reaches the IOMMU. */
	REQUIRE(pread(e->device, &cmd, sizeof(cmd),
		      (off_t)(e->cfg_offset + PCI_COMMAND)) == sizeof(cmd),
		"read PCI_COMMAND");
	cmd |= PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
	REQUIRE(pwrite(e->device, &cmd, sizeof(cmd),
		       (off_t)(e->cfg_offset + PCI_COMMAND)) == sizeof(cmd),
		"enable memory decoding and bus mastering");
}

static void edu_close(struct edu *e)
{
	if (e->bar0 != NULL)
		munmap((void *)e->bar0, e->bar0_size);
	if (e->device >= 0)
		close(e->device);
	if (e->group >= 0)
		close(e->group);
	if (e->container >= 0)
		close(e->container);
}

/* --- kernel log ------------------------------------------------------- */

/* Kernel printk rate limit defaults (DEFAULT_RATELIMIT_BURST/INTERVAL). */
#define KLOG_RATELIMIT_BURST 10
#define KLOG_RATELIMIT_WAIT_US 5500000u
#define ANY_IOVA UINT64_MAX

/*
 * Counts kernel log lines that contain pattern and the IOVA written as
 * "0x<hex>" not followed by another hex digit (any address if iova is
 * ANY_IOVA). Returns the count or -1.
 */
static int count_fault_lines(const char *pattern, uint64_t iova)
{
	char addr[32], *buf, *line, *save = NULL;
	int size, n, count = 0;

	size = klogctl(KLOG_SIZE_BUFFER, NULL, 0);
	if (size <= 0)
		return -1;
	buf = malloc((size_t)size + 1);
	if (buf == NULL)
		return -1;
	n = klogctl(KLOG_READ_ALL, buf, size);
	if (n < 0) {
		free(buf);
		return -1;
	}
	buf[n] = '\0';
	snprintf(addr, sizeof(addr), "0x%" PRIx64, iova);
	for (line = strtok_r(buf, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		const char *a = strstr(line, addr);
		char next;

		if (strstr(line, pattern) == NULL)
			continue;
		if (iova == ANY_IOVA) {
			count++;
			continue;
		}
		if (a == NULL)
			continue;
		next = a[strlen(addr)];
		if ((next >= '0' && next <= '9') || (next >= 'a' && next <= 'f'))
			continue;
		count++;
	}
	free(buf);
	return count;
}

/* Waits up to ~3 s for the fault line count to exceed before. */
static int wait_fault_lines(const char *pattern, uint64_t iova, int before)
{
	int i, now = before;

	for (i = 0; i < 300 && now <= before; i++) {
		usleep(10000);
		now = count_fault_lines(pattern, iova);
	}
	return now;
}

/* --- the checks ------------------------------------------------------- */

static void fill(uint8_t *p, size_t n, unsigned int seed)
{
	size_t i;

	/* Never zero, so a buffer of zeros never matches a pattern. */
	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(((i * 131u + seed * 29u) % 255u) + 1u);
}

static size_t count_equal(const uint8_t *a, const uint8_t *b, size_t n)
{
	size_t i, eq = 0;

	for (i = 0; i < n; i++)
		eq += a[i] == b[i];
	return eq;
}

static void *alloc_page(void)
{
	void *p = mmap(NULL, PAGE_SZ, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);

	REQUIRE(p != MAP_FAILED, "allocate a page");
	return p;
}

static void measure_map_unmap(struct edu *e, uint64_t iova, unsigned int iters)
{
	struct vm_lat map_lat, unmap_lat, batch_lat;
	uint8_t *buf = alloc_page();
	unsigned int i, j;
	enum { BATCH = 64 };
	uint8_t *pages;

	REQUIRE(vm_lat_init(&map_lat, "vfio_map_dma_4k", iters) == 0 &&
			vm_lat_init(&unmap_lat, "vfio_unmap_dma_4k", iters) == 0 &&
			vm_lat_init(&batch_lat, "vfio_unmap_dma_64x4k_one_call",
				    iters / 8 + 1) == 0,
		"allocate latency samples");
	for (i = 0; i < iters; i++) {
		uint64_t t0, t1, t2;
		int64_t un;
		int rc;

		t0 = vm_now_ns();
		rc = vfio_map(e, buf, iova, PAGE_SZ);
		t1 = vm_now_ns();
		if (rc != 0) {
			CHECK(false, "map #%u [errno %d]", i, -rc);
			break;
		}
		un = vfio_unmap(e, iova, PAGE_SZ);
		t2 = vm_now_ns();
		if (un != PAGE_SZ) {
			CHECK(false, "unmap #%u returned %" PRId64, i, un);
			break;
		}
		vm_lat_add(&map_lat, t1 - t0);
		vm_lat_add(&unmap_lat, t2 - t1);
	}
	CHECK(map_lat.n == iters, "%u map/unmap pairs of one 4 KiB page", iters);

	/* 64 pages mapped one call each, then removed by one unmap call. */
	pages = mmap(NULL, BATCH * PAGE_SZ, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	REQUIRE(pages != MAP_FAILED, "allocate %d pages", BATCH);
	for (i = 0; i < iters / 8 + 1; i++) {
		uint64_t t0;
		int64_t un;

		for (j = 0; j < BATCH; j++) {
			if (vfio_map(e, pages + (size_t)j * PAGE_SZ,
				     iova + (uint64_t)j * PAGE_SZ, PAGE_SZ) != 0)
				break;
		}
		if (j != BATCH) {
			CHECK(false, "map page %u of a batch", j);
			vfio_unmap(e, iova, (uint64_t)BATCH * PAGE_SZ);
			break;
		}
		t0 = vm_now_ns();
		un = vfio_unmap(e, iova, (uint64_t)BATCH * PAGE_SZ);
		vm_lat_add(&batch_lat, vm_now_ns() - t0);
		if (un != (int64_t)BATCH * PAGE_SZ) {
			CHECK(false, "batch unmap returned %" PRId64, un);
			break;
		}
	}
	vm_lat_report(&map_lat, "(TCG guest, not representative of hardware)");
	vm_lat_report(&unmap_lat, "(TCG guest, not representative of hardware)");
	vm_lat_report(&batch_lat, "(TCG guest, not representative of hardware)");
	vm_lat_fini(&map_lat);
	vm_lat_fini(&unmap_lat);
	vm_lat_fini(&batch_lat);
	munmap(pages, BATCH * PAGE_SZ);
	munmap(buf, PAGE_SZ);
}

static void usage(const char *argv0)
{
	fprintf(stderr,
		"usage: %s [--bdf BDF] [--group N] [--fault-pattern STR] [--iters N]\n"
		"  defaults: $EDU_BDF, $EDU_GROUP, \"DMAR\", 500\n",
		argv0);
	exit(2);
}

int main(int argc, char **argv)
{
	const char *bdf = getenv("EDU_BDF"), *group = getenv("EDU_GROUP");
	const char *pattern = "DMAR";
	unsigned int iters = 500;
	struct edu e = { .container = -1, .group = -1, .device = -1 };
	uint64_t base = 0, iova_a, iova_b, iova_c;
	uint8_t *a, *b, *c, *expect;
	int i, before, any_before, after, rc;
	uint32_t v;

	for (i = 1; i < argc; i++) {
		if (i + 1 >= argc)
			usage(argv[0]);
		if (strcmp(argv[i], "--bdf") == 0)
			bdf = argv[++i];
		else if (strcmp(argv[i], "--group") == 0)
			group = argv[++i];
		else if (strcmp(argv[i], "--fault-pattern") == 0)
			pattern = argv[++i];
		else if (strcmp(argv[i], "--iters") == 0)
			iters = (unsigned int)strtoul(argv[++i], NULL, 0);
		else
			usage(argv[0]);
	}
	if (bdf == NULL || group == NULL || iters == 0 || iters > 100000)
		usage(argv[0]);
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("vfio_edu_dma: device %s, group %s\n", bdf, group);

	edu_open(&e, bdf, group);
	REQUIRE(pick_iova_base(&e, 128 * PAGE_SZ, &base) == 0,
		"an IOVA window of 128 pages below 256 MiB (base 0x%" PRIx64 ")",
		base);
	iova_a = base;
	iova_b = base + 16 * PAGE_SZ;
	iova_c = base + 32 * PAGE_SZ;

	v = edu_rd32(&e, EDU_REG_ID);
	CHECK((v & 0xff) == 0xed, "edu identification register 0x%08x", v);
	edu_wr32(&e, EDU_REG_LIVENESS, 0x12345678);
	v = edu_rd32(&e, EDU_REG_LIVENESS);
	CHECK(v == ~0x12345678u, "edu liveness register inverts (0x%08x)", v);

	a = alloc_page();
	b = alloc_page();
	c = alloc_page();
	expect = malloc(PAGE_SZ);
	REQUIRE(expect != NULL, "allocate reference buffer");

	REQUIRE(vfio_map(&e, a, iova_a, PAGE_SZ) == 0, "map A at 0x%" PRIx64, iova_a);
	REQUIRE(vfio_map(&e, b, iova_b, PAGE_SZ) == 0, "map B at 0x%" PRIx64, iova_b);
	REQUIRE(vfio_map(&e, c, iova_c, PAGE_SZ) == 0, "map C at 0x%" PRIx64, iova_c);
	CHECK(vfio_map(&e, c, iova_b, PAGE_SZ) == -EEXIST,
	      "mapping over a mapped IOVA is refused with EEXIST");

	/* 1. Round trip through the device: A -> device buffer -> B. */
	fill(a, PAGE_SZ, 1);
	memset(b, 0, PAGE_SZ);
	REQUIRE(edu_dma(&e, iova_a, EDU_DEV_BUF, XFER, false) == 0,
		"DMA A -> device completes");
	REQUIRE(edu_dma(&e, EDU_DEV_BUF, iova_b, XFER, true) == 0,
		"DMA device -> B completes");
	memset(expect, 0, PAGE_SZ);
	memcpy(expect, a, XFER);
	CHECK(memcmp(b, expect, PAGE_SZ) == 0,
	      "B holds A's first %u bytes after RAM -> device -> RAM, the rest of B untouched",
	      XFER);

	/* 2. Offsets: 200 bytes from device offset 0x100 to B + 0x300. */
	memset(b, 0xee, PAGE_SZ);
	memset(expect, 0xee, PAGE_SZ);
	memcpy(expect + 0x300, a + 0x100, 200);
	REQUIRE(edu_dma(&e, EDU_DEV_BUF + 0x100, iova_b + 0x300, 200, true) == 0,
		"partial DMA completes");
	CHECK(memcmp(b, expect, PAGE_SZ) == 0,
	      "partial DMA wrote exactly B[0x300..0x3c7]");

	/* 3. A device write to an unmapped IOVA is blocked and faults. */
	CHECK(vfio_unmap(&e, iova_b, PAGE_SZ) == PAGE_SZ, "unmap B");
	memset(b, 0x5a, PAGE_SZ);
	memset(expect, 0x5a, PAGE_SZ);
	fill(a, PAGE_SZ, 2);
	REQUIRE(edu_dma(&e, iova_a, EDU_DEV_BUF, XFER, false) == 0,
		"DMA A -> device completes");
	before = count_fault_lines(pattern, iova_b);
	any_before = count_fault_lines(pattern, ANY_IOVA);
	REQUIRE(before >= 0 && any_before >= 0, "read the kernel log");
	rc = edu_dma(&e, EDU_DEV_BUF, iova_b, XFER, true);
	CHECK(rc == 0, "DMA device -> unmapped B finishes (the engine does not hang)");
	CHECK(memcmp(b, expect, PAGE_SZ) == 0,
	      "B is untouched by the DMA to its unmapped IOVA");
	after = wait_fault_lines(pattern, iova_b, before);
	CHECK(after > before,
	      "kernel logged an IOMMU fault (\"%s\" + 0x%" PRIx64 "): %d line(s)",
	      pattern, iova_b, after - before);
	/* virtio-iommu reports every faulting 4-byte access: such a storm
	 * spends the printk rate-limit burst, and the next fault would not be
	 * logged until the 5 s window ends. */
	after = count_fault_lines(pattern, ANY_IOVA);
	if (after - any_before >= KLOG_RATELIMIT_BURST) {
		printf("info: %d fault lines; waiting out the kernel's printk rate limit\n",
		       after - any_before);
		usleep(KLOG_RATELIMIT_WAIT_US);
	}

	/* 4. A device read from an unmapped IOVA does not deliver its bytes. */
	fill(a, PAGE_SZ, 3);
	CHECK(vfio_unmap(&e, iova_a, PAGE_SZ) == PAGE_SZ, "unmap A");
	before = count_fault_lines(pattern, iova_a);
	rc = edu_dma(&e, iova_a, EDU_DEV_BUF, XFER, false);
	CHECK(rc == 0, "DMA unmapped A -> device finishes");
	memset(c, 0, PAGE_SZ);
	REQUIRE(edu_dma(&e, EDU_DEV_BUF, iova_c, XFER, true) == 0,
		"DMA device -> C completes");
	CHECK(count_equal(c, a, XFER) == 0,
	      "no byte of A reached the device through its unmapped IOVA");
	after = wait_fault_lines(pattern, iova_a, before);
	CHECK(after > before,
	      "kernel logged an IOMMU fault (\"%s\" + 0x%" PRIx64 "): %d line(s)",
	      pattern, iova_a, after - before);

	/* 5. Remapping works again after the faults. */
	REQUIRE(vfio_map(&e, b, iova_b, PAGE_SZ) == 0, "remap B");
	fill(c, PAGE_SZ, 4);
	memset(b, 0, PAGE_SZ);
	REQUIRE(edu_dma(&e, iova_c, EDU_DEV_BUF, XFER, false) == 0 &&
			edu_dma(&e, EDU_DEV_BUF, iova_b, XFER, true) == 0,
		"DMA C -> device -> B completes");
	CHECK(memcmp(b, c, XFER) == 0, "B holds C's bytes after the remap");
	CHECK(vfio_unmap(&e, iova_b, PAGE_SZ) == PAGE_SZ, "unmap B");
	CHECK(vfio_unmap(&e, iova_c, PAGE_SZ) == PAGE_SZ, "unmap C");
	CHECK(vfio_unmap(&e, iova_c, PAGE_SZ) == 0,
	      "unmapping an unmapped IOVA unmaps 0 bytes");

	/* 6. Cost of the map/unmap ioctls (reported, not asserted). */
	measure_map_unmap(&e, base + 64 * PAGE_SZ, iters);

	edu_close(&e);
	free(expect);
	printf("vfio_edu_dma: %s (%d failure(s))\n", failures ? "FAIL" : "PASS",
	       failures);
	return failures ? 1 : 0;
}
