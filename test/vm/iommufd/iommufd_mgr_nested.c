/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * iommufd_mgr_nested: guest commands reach the kernel's nested HWPTs, end
 * to end, on a CONFIG_IOMMUFD_TEST kernel (suite 'vm').
 *
 * Design. This program plays the VMM and its guest; a real uiommu-mgr
 * process (started with the integration tests' helpers, UIOMMU_MGR names
 * the binary) is the manager, on its iommufd backend. Guest RAM is a memfd
 * at GPA 16 MiB — inside the selftest mock domain's aperture, so the nest
 * parent can hold it. The device is "iommufd:mock", a selftest mock
 * device, whose nested HWPTs (IOMMU_HWPT_DATA_SELFTEST) carry a 4-slot
 * mock IOTLB that the kernel lets a test read back
 * (IOMMU_TEST_OP_MD_CHECK_IOTLB). The backend maps a one-page TLBI_NH_VA of
 * page P to slot P and TLBI_NH_ASID / _ALL to all slots; the mock kernel
 * refuses P > 3.
 *
 * To read the mock IOTLB the program needs the manager's iommufd context
 * (object IDs are per open file): it finds the manager's /dev/iommu fd in
 * /proc/PID/fd and duplicates it with pidfd_getfd() (root in the guest),
 * then finds the nested HWPT as the one object for which MD_CHECK_IOTLB
 * of a fresh IOTLB value succeeds.
 *
 * Checks, through the manager's vCMDQ (guest writes commands, bumps PROD):
 *  1. CFGI_STE of an S1 STE gives the device a nested HWPT, IOTLB fresh;
 *  2. TLBI_NH_VA(page 1) + CMD_SYNC clears exactly slot 1;
 *  3. partial failure: TLBI_NH_VA(page 2), TLBI_NH_VA(page 9: refused by
 *     the kernel), TLBI_NH_VA(page 3), CMD_SYNC: the queue stops with
 *     CERROR_ILL at the second command; slot 2 cleared, slot 3 (after the
 *     failure) untouched; the vCMDQ counted one error;
 *  4. the guest replaces the bad command (TLBI of page 0) and acknowledges
 *     GERRORN: the queue resumes there; slots 0 and 3 cleared;
 *  5. a new STE (another CD table) gives a new nested HWPT (the old one is
 *     destroyed: MD_CHECK on it fails), and TLBI_NH_ASID clears all slots;
 *  6. an abort STE blocks the device: its nested HWPT is destroyed.
 * And the stage-2 / shadow paths, with IOMMU_TEST_OP_MD_CHECK_MAP (the mock
 * domain maps an IOVA to the very page this process sees at an address):
 *  7. the nest parent maps guest RAM at IOVA = GPA (the stage-2 IOAS);
 *  8. a second vIOMMU with "nesting=off" (the fallback for IOMMUs that
 *     cannot nest): a device whose STE points at real LPAE stage-1 tables
 *     gets a shadow IOAS mapping IOVA -> the guest pages; after the guest
 *     unmaps one page and invalidates it, exactly that page is gone; after
 *     it remaps it elsewhere and invalidates, it maps the new page.
 * Exit status: 0 pass; 1 a check failed; 77 no /dev/iommu or no
 * CONFIG_IOMMUFD_TEST (skip).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "iommufd_uapi.h"
#include "it_util.h"
#include "uiommu_smmu.h"

#define SKIP 77
#define RAM_GPA    0x1000000ULL       /* mock aperture starts at 16 MiB */
#define RAM_SIZE   (4ULL << 20)
#define STRTAB_GPA (RAM_GPA + 0x0000)
#define STRTAB_LOG2 4
#define CD_GPA     (RAM_GPA + 0x1000)
#define CD2_GPA    (RAM_GPA + 0x2000)
#define TTB_GPA    (RAM_GPA + 0x10000)
#define RING_GPA   (RAM_GPA + 0x20000)
#define RING_LOG2  8
#define VSID 1
#define ASID 1
/* The shadow phase (second vIOMMU). */
#define STRTAB2_GPA (RAM_GPA + 0x3000)
#define CD3_GPA    (RAM_GPA + 0x4000)
#define RING2_GPA  (RAM_GPA + 0x30000)
#define TBL2_GPA   (RAM_GPA + 0x40000)     /* levels 1, 2, 3 */
#define DATA_GPA   (RAM_GPA + 0x100000)
#define SH_IOVA    0x2000000ULL           /* inside the mock aperture */
#define VSID2 2
#define PG 4096ULL

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

static int failures;

#define CHECK(cond, ...) do { \
	if (!(cond)) { \
		failures++; \
		printf("FAIL %s:%d: %s: ", __func__, __LINE__, #cond); \
		printf(__VA_ARGS__); \
		printf("\n"); \
	} \
} while (0)

struct env {
	struct it_mgr m;
	struct it_vm vm;
	struct it_q q;
	int kfd;             /* the manager's iommufd, duplicated here */
	uint32_t nested;     /* the device's nested HWPT */
	struct uiommu_client_viommu vb;   /* the nesting=off vIOMMU */
	struct it_q qb;                   /* its queue */
};

static int
test_kernel_usable(void)
{
	uint32_t probe[2] = { 0, 0 };
	int fd = open("/dev/iommu", O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		printf("SKIP: /dev/iommu: %s\n", strerror(errno));
		return SKIP;
	}
	if (ioctl(fd, IOFD_IOCTL_TEST, probe) != 0 && errno == ENOTTY) {
		printf("SKIP: kernel without CONFIG_IOMMUFD_TEST\n");
		close(fd);
		return SKIP;
	}
	close(fd);
	return 0;
}

static int
md_check(const struct env *e, uint32_t hwpt, uint32_t slot, uint32_t val)
{
	struct iofd_test_cmd t = { .size = sizeof(t),
				   .op = IOFD_TEST_OP_MD_CHECK_IOTLB, .id = hwpt };

	t.check_iotlb.id = slot;
	t.check_iotlb.iotlb = val;
	return ioctl(e->kfd, IOFD_IOCTL_TEST, &t) == 0 ? 0 : -errno;
}

/* The 4 mock IOTLB slots must hold exactly these values. */
static void
expect_iotlb(const struct env *e, const char *step, uint32_t s0, uint32_t s1,
	     uint32_t s2, uint32_t s3)
{
	const uint32_t want[4] = { s0, s1, s2, s3 };

	for (uint32_t i = 0; i < 4; i++)
		CHECK(md_check(e, e->nested, i, want[i]) == 0,
		      "%s: slot %u is not 0x%x", step, i, want[i]);
}

/* Duplicate the manager's /dev/iommu fds into this process (at most max). */
static int
grab_manager_iommufds(const struct env *e, int *out, int max)
{
	char dir[64], link[64 + 256], target[64];
	int tfd[8], nt = 0, n = 0, pidfd;
	struct dirent *de;
	DIR *d;

	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)e->m.pid);
	d = opendir(dir);
	if (d == NULL)
		return -errno;
	while ((de = readdir(d)) != NULL && nt < 8) {
		ssize_t len;

		snprintf(link, sizeof(link), "%s/%s", dir, de->d_name);
		len = readlink(link, target, sizeof(target) - 1);
		if (len <= 0)
			continue;
		target[len] = '\0';
		if (strcmp(target, "/dev/iommu") == 0)
			tfd[nt++] = atoi(de->d_name);
	}
	closedir(d);
	pidfd = (int)syscall(SYS_pidfd_open, e->m.pid, 0);
	if (pidfd < 0)
		return -errno;
	for (int i = 0; i < nt && n < max; i++) {
		int fd = (int)syscall(SYS_pidfd_getfd, pidfd, tfd[i], 0);

		if (fd >= 0)
			out[n++] = fd;
	}
	close(pidfd);
	return n;
}

static int
grab_manager_iommufd(struct env *e)
{
	int n = grab_manager_iommufds(e, &e->kfd, 1);

	return n == 1 ? 0 : (n < 0 ? n : -ENOENT);
}

/* MD_CHECK_MAP: the mock domain hwpt maps [iova, +len) to the pages at p. */
static int
md_check_map(int fd, uint32_t hwpt, uint64_t iova, uint64_t len, const void *p)
{
	struct iofd_test_cmd t = { .size = sizeof(t),
				   .op = IOFD_TEST_OP_MD_CHECK_MAP, .id = hwpt };

	t.check_map.iova = iova;
	t.check_map.length = len;
	t.check_map.uptr = (uint64_t)(uintptr_t)p;
	return ioctl(fd, IOFD_IOCTL_TEST, &t) == 0 ? 0 : -errno;
}

/* The one mock paging domain (of any of fds) mapping iova -> p. */
static int
find_domain(const int *fds, int nfd, uint64_t iova, uint64_t len,
	    const void *p, int *fd_out, uint32_t *id_out)
{
	int found = 0;

	for (int f = 0; f < nfd; f++)
		for (uint32_t id = 1; id < 256; id++)
			if (md_check_map(fds[f], id, iova, len, p) == 0) {
				*fd_out = fds[f];
				*id_out = id;
				found++;
			}
	return found == 1 ? 0 : -found - 1;
}

/* The nested HWPT whose every slot still holds the fresh value. */
static int
find_fresh_nested(struct env *e, uint32_t *out)
{
	unsigned int found = 0;

	for (uint32_t id = 1; id < 256; id++) {
		bool fresh = true;

		for (uint32_t s = 0; s < 4 && fresh; s++)
			fresh = md_check(e, id, s, IOFD_TEST_IOTLB_DEFAULT) == 0;
		if (fresh) {
			*out = id;
			found++;
		}
	}
	return found == 1 ? 0 : -(int)found - 1;
}

static void
write_ste(struct env *e, uint8_t cfg, uint64_t cd_gpa)
{
	struct uiommu_ste_info ste = { .valid = 1, .config = cfg,
				       .s1ctxptr = cd_gpa };
	uint64_t raw[8];

	uiommu_ste_encode(&ste, raw);
	memcpy(it_ram_ptr(&e->vm.ram, STRTAB_GPA + VSID * UIOMMU_STE_SIZE), raw,
	       sizeof(raw));
}

static void
write_cd(struct env *e, uint64_t gpa)
{
	struct uiommu_cd_info cd = { .valid = 1, .t0sz = 16, .tg0 = 0, .ips = 5,
				     .aa64 = 1, .asid = ASID, .ttb0 = TTB_GPA };
	uint64_t raw[8];

	uiommu_cd_encode(&cd, raw);
	memcpy(it_ram_ptr(&e->vm.ram, gpa), raw, sizeof(raw));
}

static struct uiommu_cmd
cfgi_ste(uint32_t sid)
{
	struct uiommu_cmd_info ci = { .op = UIOMMU_CMD_CFGI_STE, .sid = sid,
				      .leaf = true };

	return it_cmd(&ci);
}

static struct uiommu_cmd
tlbi_asid(uint16_t asid)
{
	struct uiommu_cmd_info ci = { .op = UIOMMU_CMD_TLBI_NH_ASID,
				      .asid = asid };

	return it_cmd(&ci);
}

/* Queue 0 of a vIOMMU, ring at ring_gpa, enabled by the guest. */
static int
q_create(struct env *e, uint32_t viommu_id, uint64_t ring_gpa, struct it_q *q)
{
	uint64_t deadline = it_now_ms() + IT_DEADLINE_MS;
	int rc;

	memset(it_ram_ptr(&e->vm.ram, ring_gpa), 0, 16u << RING_LOG2);
	q->index = 0;
	rc = uiommu_client_vcmdq_create(e->vm.c, viommu_id, 0, RING_LOG2,
					ring_gpa, &q->cq);
	if (rc == 0)
		rc = uiommu_vcmdq_prod_init(&q->p, it_ram_ptr(&e->vm.ram, ring_gpa),
					    RING_LOG2, q->cq.regs);
	if (rc == 0)
		rc = uiommu_vcmdq_prod_enable(&q->p, 0);
	while (rc == 0 && !uiommu_vcmdq_prod_enabled(&q->p)) {
		if (it_now_ms() > deadline)
			rc = -ETIMEDOUT;
	}
	return rc;
}

static int
setup(struct env *e)
{
	static const char *const extra[] = { "--backend", "iommufd", NULL };
	struct uiommu_client_vdevice vd;
	int rc;

	rc = it_mgr_start(&e->m, "0-1", extra);
	if (rc != 0) {
		printf("manager start: %s\n", strerror(-rc));
		return rc;
	}
	e->vm.ram.fd = -1;
	if ((rc = uiommu_client_connect(e->m.sock, IT_DEADLINE_MS, &e->vm.c)) ||
	    (rc = uiommu_client_hello(e->vm.c, 0, "iofd-vm", UIOMMU_FEAT_ALL,
				      &e->vm.hello)) ||
	    (rc = it_ram_create(&e->vm.ram, RAM_GPA, RAM_SIZE, true)) ||
	    (rc = uiommu_client_mem_add(e->vm.c, RAM_GPA, RAM_SIZE,
					e->vm.ram.fd, 0)) ||
	    (rc = uiommu_client_viommu_create(e->vm.c, "iommufd", NULL,
					      &e->vm.vi)) ||
	    (rc = uiommu_client_strtab_set(e->vm.c, e->vm.vi.id, STRTAB_GPA,
					   STRTAB_LOG2)) ||
	    (rc = uiommu_client_vdevice_add(e->vm.c, e->vm.vi.id, VSID,
					    "iommufd:mock", &vd))) {
		printf("set-up through the manager: %s\n", strerror(-rc));
		return rc;
	}
	/* Caps at creation describe hardware seen before (none yet here). */
	printf("vIOMMU %u vmid %u caps 0x%" PRIx64 "\n", e->vm.vi.id,
	       e->vm.vi.vmid, e->vm.vi.caps);

	/* The queue, enabled by the guest. */
	rc = q_create(e, e->vm.vi.id, RING_GPA, &e->q);
	if (rc != 0)
		printf("vCMDQ: %s\n", strerror(-rc));
	return rc;
}

static uint64_t
q_stat(struct env *e, const char *name)
{
	return it_stat(e->vm.c, UIOMMU_STATS_VCMDQ, 0, e->vm.vi.id, 0, name);
}

static void
run_checks(struct env *e)
{
	struct uiommu_cmd c[4];
	uint32_t err = 0, cons = 0, old;
	uint64_t errors0;
	int rc;

	/* 1. S1 STE -> nested HWPT with a fresh mock IOTLB. */
	write_cd(e, CD_GPA);
	write_ste(e, UIOMMU_STE_CFG_S1, CD_GPA);
	c[0] = cfgi_ste(VSID);
	c[1] = it_sync();
	rc = it_q_run(&e->q, c, 2, &err);
	CHECK(rc == 0, "CFGI_STE: rc %d err %u", rc, err);
	rc = grab_manager_iommufd(e);
	CHECK(rc == 0, "cannot reach the manager's iommufd: %s", strerror(-rc));
	if (rc != 0)
		return;
	rc = find_fresh_nested(e, &e->nested);
	CHECK(rc == 0, "expected exactly one fresh nested HWPT (%d)", rc);
	if (rc != 0)
		return;
	printf("device vSID %u on nested HWPT %u of the manager's iommufd\n",
	       VSID, e->nested);
	expect_iotlb(e, "fresh", IOFD_TEST_IOTLB_DEFAULT, IOFD_TEST_IOTLB_DEFAULT,
		     IOFD_TEST_IOTLB_DEFAULT, IOFD_TEST_IOTLB_DEFAULT);
	/* 7. Stage 2: the nest parent maps guest RAM at IOVA = GPA. */
	{
		uint32_t parent = 0;
		int pfd = -1;

		rc = find_domain(&e->kfd, 1, RAM_GPA, RAM_SIZE,
				 it_ram_ptr(&e->vm.ram, RAM_GPA), &pfd, &parent);
		CHECK(rc == 0, "no single mock domain maps RAM at IOVA = GPA (%d)",
		      rc);
		if (rc == 0)
			printf("stage-2: HWPT %u maps guest RAM at IOVA = GPA\n",
			       parent);
	}

	/* 2. One TLBI of page 1: slot 1 only. */
	c[0] = it_tlbi_va(ASID, 0x1000);
	c[1] = it_sync();
	rc = it_q_run(&e->q, c, 2, &err);
	CHECK(rc == 0, "TLBI page 1: rc %d err %u", rc, err);
	expect_iotlb(e, "TLBI page 1", IOFD_TEST_IOTLB_DEFAULT, 0,
		     IOFD_TEST_IOTLB_DEFAULT, IOFD_TEST_IOTLB_DEFAULT);

	/* 3. Partial failure at the second command of one batch. */
	errors0 = q_stat(e, "errors");
	c[0] = it_tlbi_va(ASID, 0x2000);
	c[1] = it_tlbi_va(ASID, 0x9000);      /* the kernel refuses slot 9 */
	c[2] = it_tlbi_va(ASID, 0x3000);
	c[3] = it_sync();
	old = uiommu_vcmdq_prod_index(&e->q.p);
	rc = it_q_run(&e->q, c, 4, &err);
	CHECK(rc == -EIO && err == UIOMMU_CERROR_ILL,
	      "bad 2nd entry: rc %d err %u (want -EIO, CERROR_ILL)", rc, err);
	CHECK(uiommu_vcmdq_prod_error_pending(&e->q.p, &err, &cons),
	      "no error pending");
	CHECK(cons == old + 1, "CONS 0x%x, want 0x%x (the 2nd command)", cons,
	      old + 1);
	expect_iotlb(e, "partial", IOFD_TEST_IOTLB_DEFAULT, 0, 0,
		     IOFD_TEST_IOTLB_DEFAULT);
	CHECK(it_stat_eq(e->vm.c, UIOMMU_STATS_VCMDQ, 0, e->vm.vi.id, 0,
			 "errors", errors0 + 1) == errors0 + 1,
	      "vCMDQ error counter");

	/* 4. Fix the slot, acknowledge: the rest runs. */
	c[0] = it_tlbi_va(ASID, 0x0000);
	uiommu_vcmdq_prod_fixup(&e->q.p, cons, &c[0]);
	uiommu_vcmdq_prod_ack_error(&e->q.p);
	rc = it_q_wait(&e->q, uiommu_vcmdq_prod_index(&e->q.p), &err);
	CHECK(rc == 0, "resume: rc %d err %u", rc, err);
	expect_iotlb(e, "resumed", 0, 0, 0, 0);

	/* 5. Another CD table: a new nested HWPT; TLBI_NH_ASID clears all. */
	old = e->nested;
	write_cd(e, CD2_GPA);
	write_ste(e, UIOMMU_STE_CFG_S1, CD2_GPA);
	c[0] = cfgi_ste(VSID);
	c[1] = it_sync();
	rc = it_q_run(&e->q, c, 2, &err);
	CHECK(rc == 0, "second CFGI_STE: rc %d err %u", rc, err);
	rc = find_fresh_nested(e, &e->nested);
	CHECK(rc == 0 && e->nested != old, "new nested HWPT (%d, id %u, old %u)",
	      rc, e->nested, old);
	CHECK(md_check(e, old, 0, 0) == -ENOENT, "old HWPT %u still exists", old);
	c[0] = tlbi_asid(ASID);
	c[1] = it_sync();
	rc = it_q_run(&e->q, c, 2, &err);
	CHECK(rc == 0, "TLBI_NH_ASID: rc %d err %u", rc, err);
	expect_iotlb(e, "TLBI_NH_ASID", 0, 0, 0, 0);

	/* 6. Abort: the device is blocked, its nested HWPT destroyed. */
	write_ste(e, UIOMMU_STE_CFG_ABORT, 0);
	c[0] = cfgi_ste(VSID);
	c[1] = it_sync();
	rc = it_q_run(&e->q, c, 2, &err);
	CHECK(rc == 0, "abort CFGI_STE: rc %d err %u", rc, err);
	CHECK(md_check(e, e->nested, 0, 0) == -ENOENT,
	      "nested HWPT %u survives an abort STE", e->nested);
	printf("commands %" PRIu64 ", batches %" PRIu64 ", errors %" PRIu64 "\n",
	       q_stat(e, "commands"), q_stat(e, "batches"), q_stat(e, "errors"));
}

/* A page descriptor of the guest's stage-1 (unprivileged, read-write). */
static uint64_t
s1_page(uint64_t gpa)
{
	return gpa | 3 | (1u << 10) | (1u << 6);
}

/* The level-3 table of the shadow phase (IOVA SH_IOVA is index 0). */
static uint64_t *
l3_table(struct env *e)
{
	return it_ram_ptr(&e->vm.ram, TBL2_GPA + 2 * PG);
}

/* 8. The fallback for IOMMUs that cannot nest, on the same kernel. */
static void
run_shadow_checks(struct env *e)
{
	struct uiommu_client_vdevice vd;
	struct uiommu_cd_info cd = { .valid = 1, .t0sz = 25, .ips = 5,
				     .aa64 = 1, .asid = 2, .ttb0 = TBL2_GPA };
	struct uiommu_ste_info ste = { .valid = 1, .config = UIOMMU_STE_CFG_S1,
				       .s1ctxptr = CD3_GPA };
	uint64_t *l1, *l2, *l3, raw[8];
	struct uiommu_cmd c[2];
	uint32_t err = 0, dom = 0;
	int fds[4], nfd, dfd = -1, rc;

	rc = uiommu_client_viommu_create(e->vm.c, "iommufd", "nesting=off",
					 &e->vb);
	if (rc == 0)
		rc = uiommu_client_strtab_set(e->vm.c, e->vb.id, STRTAB2_GPA,
					      STRTAB_LOG2);
	if (rc == 0)
		rc = uiommu_client_vdevice_add(e->vm.c, e->vb.id, VSID2,
					       "iommufd:mock", &vd);
	if (rc == 0)
		rc = q_create(e, e->vb.id, RING2_GPA, &e->qb);
	CHECK(rc == 0, "nesting=off vIOMMU set-up: %s", strerror(-rc));
	if (rc != 0)
		return;
	/* Guest stage-1: 39-bit, pages 0..3 of SH_IOVA -> DATA_GPA + i. */
	l1 = it_ram_ptr(&e->vm.ram, TBL2_GPA);
	l2 = it_ram_ptr(&e->vm.ram, TBL2_GPA + PG);
	l3 = l3_table(e);
	memset(l1, 0, 3 * PG);
	l1[(SH_IOVA >> 30) & 511] = (TBL2_GPA + PG) | 3;
	l2[(SH_IOVA >> 21) & 511] = (TBL2_GPA + 2 * PG) | 3;
	for (unsigned int i = 0; i < 4; i++)
		l3[i] = s1_page(DATA_GPA + i * PG);
	uiommu_cd_encode(&cd, raw);
	memcpy(it_ram_ptr(&e->vm.ram, CD3_GPA), raw, sizeof(raw));
	uiommu_ste_encode(&ste, raw);
	memcpy(it_ram_ptr(&e->vm.ram, STRTAB2_GPA + VSID2 * UIOMMU_STE_SIZE),
	       raw, sizeof(raw));

	c[0] = cfgi_ste(VSID2);
	c[1] = it_sync();
	rc = it_q_run(&e->qb, c, 2, &err);
	CHECK(rc == 0, "shadow CFGI_STE: rc %d err %u", rc, err);
	nfd = grab_manager_iommufds(e, fds, 4);
	CHECK(nfd == 2, "manager has %d iommufds, want 2", nfd);
	if (nfd <= 0)
		return;
	rc = find_domain(fds, nfd, SH_IOVA, 4 * PG,
			 it_ram_ptr(&e->vm.ram, DATA_GPA), &dfd, &dom);
	CHECK(rc == 0, "no single shadow domain maps the guest's 4 pages (%d)",
	      rc);
	if (rc == 0) {
		printf("shadow: HWPT %u maps IOVA 0x%llx -> the guest's pages\n",
		       dom, (unsigned long long)SH_IOVA);
		/* The guest unmaps page 1, invalidates it: only it goes. */
		__atomic_store_n(&l3[1], 0, __ATOMIC_RELEASE);
		c[0] = it_tlbi_va(2, SH_IOVA + PG);
		rc = it_q_run(&e->qb, c, 2, &err);
		CHECK(rc == 0, "shadow TLBI: rc %d err %u", rc, err);
		CHECK(md_check_map(dfd, dom, SH_IOVA, PG,
				   it_ram_ptr(&e->vm.ram, DATA_GPA)) == 0,
		      "page 0 lost");
		CHECK(md_check_map(dfd, dom, SH_IOVA + PG, PG,
				   it_ram_ptr(&e->vm.ram, DATA_GPA + PG)) != 0,
		      "page 1 still mapped after its TLBI");
		CHECK(md_check_map(dfd, dom, SH_IOVA + 2 * PG, 2 * PG,
				   it_ram_ptr(&e->vm.ram, DATA_GPA + 2 * PG)) == 0,
		      "pages 2-3 lost");
		/* Remapped elsewhere and invalidated: the new page. */
		__atomic_store_n(&l3[1], s1_page(DATA_GPA + 16 * PG),
				 __ATOMIC_RELEASE);
		rc = it_q_run(&e->qb, c, 2, &err);
		CHECK(rc == 0, "shadow TLBI 2: rc %d err %u", rc, err);
		CHECK(md_check_map(dfd, dom, SH_IOVA + PG, PG,
				   it_ram_ptr(&e->vm.ram, DATA_GPA + 16 * PG)) == 0,
		      "page 1 not remapped to the new GPA");
	}
	for (int i = 0; i < nfd; i++)
		close(fds[i]);
}

int
main(void)
{
	struct env e;
	int rc, st;

	memset(&e, 0, sizeof(e));
	e.kfd = -1;
	setvbuf(stdout, NULL, _IOLBF, 0);
	rc = test_kernel_usable();
	if (rc != 0)
		return rc;
	if (setup(&e) != 0)
		failures++;
	else {
		run_checks(&e);
		run_shadow_checks(&e);
	}
	if (e.kfd >= 0)
		close(e.kfd);
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
