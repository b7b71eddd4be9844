/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * iommufd_ioas: /dev/iommu is there and answers, proven inside a guest.
 *
 * Design: the first rung of the iommufd backend's ladder, run in a QEMU
 * guest booted on the project's IOMMUFD kernel (test/vm). It needs no
 * device: an IOAS is an address space of its own. The program opens
 * /dev/iommu, allocates IOASes and checks the answers the uAPI promises
 * (distinct non-zero IDs; EOPNOTSUPP for unknown flags, EINVAL for a short
 * size; EMSGSIZE then the full list from IOAS_IOVA_RANGES; a fixed-IOVA
 * map that refuses a second map on top with EEXIST; unmap reporting the
 * bytes it removed, ENOENT for a hole; DESTROY once, then ENOENT), then
 * times IOAS_MAP/IOAS_UNMAP of one 4 KiB page (printed, never asserted).
 * With --mock (a CONFIG_IOMMUFD_TEST kernel) it also attaches a selftest
 * mock domain to the IOAS and checks, through the selftest's own
 * MD_CHECK_MAP, that IOAS maps and unmaps reach that domain.
 *
 * The uAPI structures are written here from the documented ABI (ioctl
 * type ';', command 0x80 + n, every struct opening with its u32 size) and
 * pinned with _Static_assert, so the build host's kernel headers do not
 * matter.
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
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vm_lat.h"

#define PAGE_SZ 4096u

/* --- iommufd uAPI subset (see the design paragraph) ------------------- */

#define VM_IOMMUFD_TYPE ';'
#define VM_IOMMU_DESTROY _IO(VM_IOMMUFD_TYPE, 0x80)
#define VM_IOMMU_IOAS_ALLOC _IO(VM_IOMMUFD_TYPE, 0x81)
#define VM_IOMMU_IOAS_IOVA_RANGES _IO(VM_IOMMUFD_TYPE, 0x84)
#define VM_IOMMU_IOAS_MAP _IO(VM_IOMMUFD_TYPE, 0x85)
#define VM_IOMMU_IOAS_UNMAP _IO(VM_IOMMUFD_TYPE, 0x86)
/* CONFIG_IOMMUFD_TEST only: the selftest command, 0x80 + 32. */
#define VM_IOMMU_TEST_CMD _IO(VM_IOMMUFD_TYPE, 0xa0)
#define VM_TEST_OP_MOCK_DOMAIN 2
#define VM_TEST_OP_MD_CHECK_MAP 3
/* Mock domains translate only IOVAs in [1 << 24, (1 << 31) - 1]. */
#define VM_MOCK_APERTURE_START (1ull << 24)

#define VM_IOAS_MAP_FIXED_IOVA (1u << 0)
#define VM_IOAS_MAP_WRITEABLE (1u << 1)
#define VM_IOAS_MAP_READABLE (1u << 2)

struct vm_iommu_destroy {
	uint32_t size;
	uint32_t id;
};

struct vm_iommu_ioas_alloc {
	uint32_t size;
	uint32_t flags;
	uint32_t out_ioas_id;
};

struct vm_iommu_iova_range {
	uint64_t start;
	uint64_t last; /* inclusive */
};

struct vm_iommu_ioas_iova_ranges {
	uint32_t size;
	uint32_t ioas_id;
	uint32_t num_iovas;
	uint32_t reserved;
	uint64_t allowed_iovas; /* user pointer to vm_iommu_iova_range[] */
	uint64_t out_iova_alignment;
};

struct vm_iommu_ioas_map {
	uint32_t size;
	uint32_t flags;
	uint32_t ioas_id;
	uint32_t reserved;
	uint64_t user_va;
	uint64_t length;
	uint64_t iova;
};

struct vm_iommu_ioas_unmap {
	uint32_t size;
	uint32_t ioas_id;
	uint64_t iova;
	uint64_t length;
};

/* The selftest command: a 48-byte union of per-op arguments, then the
 * u32 `last` that marks the minimum size the kernel accepts. */
struct vm_iommu_test_cmd {
	uint32_t size;
	uint32_t op;
	uint32_t id;
	uint32_t reserved;
	union {
		struct {
			uint32_t out_stdev_id;
			uint32_t out_hwpt_id;
			uint32_t out_idev_id;
		} mock_domain;
		struct {
			uint64_t iova;
			uint64_t length;
			uint64_t uptr;
		} check_map;
		uint64_t raw[6];
	};
	uint32_t last;
};

_Static_assert(sizeof(struct vm_iommu_test_cmd) == 72 &&
		       offsetof(struct vm_iommu_test_cmd, last) == 64,
	       "iommu_test_cmd ABI");
_Static_assert(sizeof(struct vm_iommu_destroy) == 8, "iommu_destroy ABI");
_Static_assert(sizeof(struct vm_iommu_ioas_alloc) == 12, "iommu_ioas_alloc ABI");
_Static_assert(sizeof(struct vm_iommu_iova_range) == 16, "iommu_iova_range ABI");
_Static_assert(sizeof(struct vm_iommu_ioas_iova_ranges) == 32 &&
		       offsetof(struct vm_iommu_ioas_iova_ranges, allowed_iovas) == 16,
	       "iommu_ioas_iova_ranges ABI");
_Static_assert(sizeof(struct vm_iommu_ioas_map) == 40 &&
		       offsetof(struct vm_iommu_ioas_map, user_va) == 16 &&
		       offsetof(struct vm_iommu_ioas_map, iova) == 32,
	       "iommu_ioas_map ABI");
_Static_assert(sizeof(struct vm_iommu_ioas_unmap) == 24 &&
		       offsetof(struct vm_iommu_ioas_unmap, iova) == 8,
	       "iommu_ioas_unmap ABI");

/* --- checks ----------------------------------------------------------- */

static int failures;

/* Each condition is evaluated once, before the message; a failed check
 * also prints the errno the condition left. */
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

/* ioctl wrapper: 0 or -errno. */
static int xioctl(int fd, unsigned long req, void *arg)
{
	return ioctl(fd, req, arg) ? -errno : 0;
}

static int ioas_alloc(int fd, uint32_t flags, uint32_t size, uint32_t *id)
{
	struct vm_iommu_ioas_alloc a = { .size = size, .flags = flags };
	int rc = xioctl(fd, VM_IOMMU_IOAS_ALLOC, &a);

	if (rc == 0)
		*id = a.out_ioas_id;
	return rc;
}

static int obj_destroy(int fd, uint32_t id)
{
	struct vm_iommu_destroy d = { .size = sizeof(d), .id = id };

	return xioctl(fd, VM_IOMMU_DESTROY, &d);
}

static int ioas_map(int fd, uint32_t ioas, void *va, uint64_t len,
		    uint32_t flags, uint64_t *iova)
{
	struct vm_iommu_ioas_map m = {
		.size = sizeof(m),
		.flags = flags | VM_IOAS_MAP_READABLE | VM_IOAS_MAP_WRITEABLE,
		.ioas_id = ioas,
		.user_va = (uintptr_t)va,
		.length = len,
		.iova = *iova,
	};
	int rc = xioctl(fd, VM_IOMMU_IOAS_MAP, &m);

	if (rc == 0)
		*iova = m.iova;
	return rc;
}

/* Returns the bytes unmapped or -errno. */
static int64_t ioas_unmap(int fd, uint32_t ioas, uint64_t iova, uint64_t len)
{
	struct vm_iommu_ioas_unmap u = {
		.size = sizeof(u), .ioas_id = ioas, .iova = iova, .length = len,
	};
	int rc = xioctl(fd, VM_IOMMU_IOAS_UNMAP, &u);

	return rc ? rc : (int64_t)u.length;
}

static void check_iova_ranges(int fd, uint32_t ioas)
{
	struct vm_iommu_iova_range r[8];
	struct vm_iommu_ioas_iova_ranges q = {
		.size = sizeof(q), .ioas_id = ioas, .num_iovas = 0,
	};
	uint32_t i, need;
	int rc;

	rc = xioctl(fd, VM_IOMMU_IOAS_IOVA_RANGES, &q);
	CHECK(rc == -EMSGSIZE && q.num_iovas >= 1,
	      "IOAS_IOVA_RANGES with no room: EMSGSIZE and %u range(s) needed (rc %d)",
	      q.num_iovas, rc);
	need = q.num_iovas;
	if (need == 0 || need > 8)
		return;
	memset(&q, 0, sizeof(q));
	q.size = sizeof(q);
	q.ioas_id = ioas;
	q.num_iovas = 8;
	q.allowed_iovas = (uintptr_t)r;
	rc = xioctl(fd, VM_IOMMU_IOAS_IOVA_RANGES, &q);
	CHECK(rc == 0 && q.num_iovas == need,
	      "IOAS_IOVA_RANGES: %u range(s), IOVA alignment 0x%" PRIx64,
	      q.num_iovas, q.out_iova_alignment);
	for (i = 0; rc == 0 && i < q.num_iovas && i < 8; i++)
		printf("info: usable IOVA [0x%" PRIx64 ", 0x%" PRIx64 "]\n",
		       r[i].start, r[i].last);
}

static void measure(int fd, uint32_t ioas, unsigned int iters)
{
	struct vm_lat map_lat, unmap_lat;
	uint64_t iova, t0, t1, t2;
	unsigned int i;
	int64_t un;
	void *buf;

	buf = mmap(NULL, PAGE_SZ, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	REQUIRE(buf != MAP_FAILED, "allocate a page");
	REQUIRE(vm_lat_init(&map_lat, "iommufd_ioas_map_4k", iters) == 0 &&
			vm_lat_init(&unmap_lat, "iommufd_ioas_unmap_4k", iters) == 0,
		"allocate latency samples");
	for (i = 0; i < iters; i++) {
		iova = 0x200000;
		t0 = vm_now_ns();
		if (ioas_map(fd, ioas, buf, PAGE_SZ, VM_IOAS_MAP_FIXED_IOVA, &iova)) {
			CHECK(false, "IOAS_MAP #%u", i);
			break;
		}
		t1 = vm_now_ns();
		un = ioas_unmap(fd, ioas, iova, PAGE_SZ);
		t2 = vm_now_ns();
		if (un != PAGE_SZ) {
			CHECK(false, "IOAS_UNMAP #%u returned %" PRId64, i, un);
			break;
		}
		vm_lat_add(&map_lat, t1 - t0);
		vm_lat_add(&unmap_lat, t2 - t1);
	}
	CHECK(map_lat.n == iters, "%u IOAS map/unmap pairs of one 4 KiB page", iters);
	vm_lat_report(&map_lat, "(TCG guest, IOAS without a domain, not representative of hardware)");
	vm_lat_report(&unmap_lat, "(TCG guest, IOAS without a domain, not representative of hardware)");
	vm_lat_fini(&map_lat);
	vm_lat_fini(&unmap_lat);
	munmap(buf, PAGE_SZ);
}

static int test_cmd(int fd, struct vm_iommu_test_cmd *c)
{
	c->size = sizeof(*c);
	return xioctl(fd, VM_IOMMU_TEST_CMD, c);
}

/*
 * IOMMUFD_TEST mock domain: attaches a mock device (and so a mock
 * HWPT_PAGING) to the IOAS, then checks through the selftest that an
 * IOAS_MAP reaches that domain's page table and an IOAS_UNMAP leaves it.
 */
static void check_mock_domain(int fd, uint32_t ioas)
{
	struct vm_iommu_test_cmd c = { .op = VM_TEST_OP_MOCK_DOMAIN, .id = ioas };
	uint32_t stdev, hwpt;
	uint64_t iova = VM_MOCK_APERTURE_START;
	uint8_t *buf;
	int rc;

	rc = test_cmd(fd, &c);
	REQUIRE(rc == 0 && c.mock_domain.out_stdev_id != 0 &&
			c.mock_domain.out_hwpt_id != 0,
		"IOMMU_TEST_OP_MOCK_DOMAIN: mock device %u, HWPT %u, idev %u (rc %d)",
		c.mock_domain.out_stdev_id, c.mock_domain.out_hwpt_id,
		c.mock_domain.out_idev_id, rc);
	stdev = c.mock_domain.out_stdev_id;
	hwpt = c.mock_domain.out_hwpt_id;

	buf = mmap(NULL, 4 * PAGE_SZ, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	REQUIRE(buf != MAP_FAILED, "allocate four pages");
	memset(buf, 0xa5, 4 * PAGE_SZ);
	rc = ioas_map(fd, ioas, buf, 4 * PAGE_SZ, VM_IOAS_MAP_FIXED_IOVA, &iova);
	CHECK(rc == 0, "IOAS_MAP 16 KiB at 0x%" PRIx64 " with the mock domain attached",
	      iova);

	memset(&c, 0, sizeof(c));
	c.op = VM_TEST_OP_MD_CHECK_MAP;
	c.id = hwpt;
	c.check_map.iova = VM_MOCK_APERTURE_START;
	c.check_map.length = 4 * PAGE_SZ;
	c.check_map.uptr = (uintptr_t)buf;
	rc = test_cmd(fd, &c);
	CHECK(rc == 0, "MD_CHECK_MAP: the mock domain maps the IOVAs to our pages (rc %d)",
	      rc);

	CHECK(ioas_unmap(fd, ioas, VM_MOCK_APERTURE_START, 4 * PAGE_SZ) == 4 * PAGE_SZ,
	      "IOAS_UNMAP the 16 KiB");
	memset(&c, 0, sizeof(c));
	c.op = VM_TEST_OP_MD_CHECK_MAP;
	c.id = hwpt;
	c.check_map.iova = VM_MOCK_APERTURE_START;
	c.check_map.length = PAGE_SZ;
	c.check_map.uptr = (uintptr_t)buf;
	rc = test_cmd(fd, &c);
	CHECK(rc != 0, "MD_CHECK_MAP after the unmap fails (rc %d)", rc);

	CHECK(obj_destroy(fd, ioas) == -EBUSY,
	      "IOMMU_DESTROY of the IOAS under a domain: EBUSY");
	CHECK(obj_destroy(fd, stdev) == 0, "IOMMU_DESTROY the mock device");
	munmap(buf, 4 * PAGE_SZ);
}

int main(int argc, char **argv)
{
	unsigned int iters = 500;
	bool mock = false;
	uint32_t ioas1 = 0, ioas2 = 0, dummy = 0;
	uint64_t iova, auto_iova = 0;
	struct stat st;
	void *buf;
	int fd, rc;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--mock") == 0)
			mock = true;
		else if (strcmp(argv[i], "--iters") == 0 && i + 1 < argc)
			iters = (unsigned int)strtoul(argv[++i], NULL, 0);
		else
			iters = 0;
	}
	if (iters == 0 || iters > 100000) {
		fprintf(stderr,
			"usage: %s [--iters N] [--mock]\n"
			"  --iters  map/unmap pairs to time (default 500)\n"
			"  --mock   also check an IOMMUFD_TEST mock domain\n",
			argv[0]);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);

	REQUIRE(stat("/dev/iommu", &st) == 0 && S_ISCHR(st.st_mode),
		"/dev/iommu exists and is a character device");
	fd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
	REQUIRE(fd >= 0, "open /dev/iommu");

	rc = ioas_alloc(fd, 0, sizeof(struct vm_iommu_ioas_alloc), &ioas1);
	REQUIRE(rc == 0 && ioas1 != 0, "IOMMU_IOAS_ALLOC: IOAS id %u (rc %d)",
		ioas1, rc);
	rc = ioas_alloc(fd, 0, sizeof(struct vm_iommu_ioas_alloc), &ioas2);
	CHECK(rc == 0 && ioas2 != 0 && ioas2 != ioas1,
	      "a second IOAS gets another id (%u)", ioas2);
	rc = ioas_alloc(fd, 1, sizeof(struct vm_iommu_ioas_alloc), &dummy);
	CHECK(rc == -EOPNOTSUPP, "IOAS_ALLOC with an unknown flag: EOPNOTSUPP (rc %d)", rc);
	rc = ioas_alloc(fd, 0, 4, &dummy);
	CHECK(rc == -EINVAL, "IOAS_ALLOC with a short size: EINVAL (rc %d)", rc);

	check_iova_ranges(fd, ioas1);

	buf = mmap(NULL, 2 * PAGE_SZ, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	REQUIRE(buf != MAP_FAILED, "allocate two pages");
	iova = 0x100000;
	rc = ioas_map(fd, ioas1, buf, 2 * PAGE_SZ, VM_IOAS_MAP_FIXED_IOVA, &iova);
	CHECK(rc == 0 && iova == 0x100000, "IOAS_MAP 8 KiB at fixed IOVA 0x100000");
	iova = 0x101000;
	rc = ioas_map(fd, ioas1, buf, PAGE_SZ, VM_IOAS_MAP_FIXED_IOVA, &iova);
	CHECK(rc == -EEXIST, "IOAS_MAP over a mapped IOVA: EEXIST (rc %d)", rc);
	rc = ioas_map(fd, ioas1, buf, PAGE_SZ, 0, &auto_iova);
	CHECK(rc == 0 && (auto_iova < 0x100000 || auto_iova >= 0x102000) &&
		      auto_iova % PAGE_SZ == 0,
	      "IOAS_MAP without FIXED_IOVA picks a free IOVA (0x%" PRIx64 ")",
	      auto_iova);
	CHECK(ioas_unmap(fd, ioas1, 0x100000, 2 * PAGE_SZ) == 2 * PAGE_SZ,
	      "IOAS_UNMAP returns the 8 KiB it removed");
	CHECK(ioas_unmap(fd, ioas1, 0x100000, 2 * PAGE_SZ) == -ENOENT,
	      "IOAS_UNMAP of a hole: ENOENT");
	CHECK(ioas_unmap(fd, ioas1, 0, UINT64_MAX) == PAGE_SZ,
	      "IOAS_UNMAP of everything removes the remaining 4 KiB");
	munmap(buf, 2 * PAGE_SZ);

	measure(fd, ioas1, iters);
	if (mock)
		check_mock_domain(fd, ioas1);

	CHECK(obj_destroy(fd, ioas2) == 0, "IOMMU_DESTROY the second IOAS");
	CHECK(obj_destroy(fd, ioas2) == -ENOENT, "IOMMU_DESTROY it again: ENOENT");
	CHECK(obj_destroy(fd, ioas1) == 0, "IOMMU_DESTROY the first IOAS");
	close(fd);
	printf("iommufd_ioas: %s (%d failure(s))\n", failures ? "FAIL" : "PASS",
	       failures);
	return failures ? 1 : 0;
}
