/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fault-injection sweep (built with -Dfault_injection=true only).
 *
 * For every object-creation and set-up path of lib/core — VM, guest RAM
 * (from a file and from memory, before and after a vIOMMU exists), vIOMMU,
 * vDEVICE, vCMDQ, stream table — on the mock and the soft backends, and for
 * the one allocation a guest can trigger on the fast path (the soft
 * backend's configuration object on CFGI_STE), the sweep fails the 1st,
 * 2nd, ... resource acquisition (uiommu_fail_nth_set) until the path
 * completes without reaching an injected failure. After each injected
 * failure it checks that:
 *  - the call returned a clean errno (-ENOMEM or -ENOSPC: what the failed
 *    resource means), or, on the fast path, that the queue stopped with
 *    CERROR_ILL at the CFGI and the device is blocked;
 *  - nothing changed: the same number of VMs, regions, vIOMMUs, vDEVICEs,
 *    vCMDQs, backend objects (mock counters) and open file descriptors;
 *  - the same call without injection then succeeds (no half-registered
 *    leftovers such as a name, a VMID, a device or a range still taken);
 *  - a second VM, set up before the sweep, still processes its queue
 *    (commands consumed, MSI written) after every injected failure;
 *  - under LeakSanitizer (the asan build), no memory leaked: a leak check
 *    runs after each path's sweep and at exit.
 * It prints the number of faults injected per path and in total.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_log.h>

#include "uiommu_cmd.h"
#include "uiommu_core.h"
#include "uiommu_fail.h"
#include "uiommu_smmu.h"
#include "uiommu_ut.h"
#include "uiommu_vcmdq.h"

#if defined(__SANITIZE_ADDRESS__)
#define HAVE_LSAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HAVE_LSAN 1
#endif
#endif
#ifdef HAVE_LSAN
#include <sanitizer/lsan_interface.h>
#endif

#define RAM_GPA   0x40000000ULL
#define RAM_SIZE  (2ULL << 20)
#define RING_GPA  (RAM_GPA + 0x10000)
#define MSI_GPA   (RAM_GPA + 0x20000)
#define NSWEEP_MAX 1000

static unsigned long faults_total;

/* ---- the bystander VM ------------------------------------------------- */

static struct {
	uint8_t *ram;
	struct uiommu_vm *vm;
	struct uiommu_viommu *v;
	struct uiommu_vcmdq *q;
	struct uiommu_vcmdq_prod p;
	uint32_t seq;
} by;

static void
bystander_up(void)
{
	uint64_t off;

	by.ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	UT_ASSERT_FATAL(by.ram != MAP_FAILED);
	UT_ASSERT_FATAL(uiommu_vm_create("bystander", &by.vm) == 0);
	UT_ASSERT_FATAL(uiommu_vm_mem_add_hva(by.vm, RAM_GPA, RAM_SIZE, by.ram) == 0);
	UT_ASSERT_FATAL(uiommu_viommu_create(by.vm, "soft", NULL, &by.v) == 0);
	UT_ASSERT_FATAL(uiommu_vcmdq_create(by.v, 0, 6, RING_GPA, &by.q, &off) == 0);
	UT_ASSERT_FATAL(uiommu_vcmdq_prod_init(&by.p, (struct uiommu_cmd *)(void *)
					       (by.ram + (RING_GPA - RAM_GPA)), 6,
					       (struct uiommu_vcmdq_regs *)(void *)
					       ((uint8_t *)uiommu_viommu_ctrl_base(by.v) +
						off)) == 0);
	UT_ASSERT_FATAL(uiommu_vcmdq_prod_enable(&by.p, 0) == 0);
	(void)uiommu_vcmdq_process(by.q, 0);
	UT_ASSERT_FATAL(uiommu_vcmdq_prod_enabled(&by.p));
}

/* The bystander's queue completes a TLBI and a CMD_SYNC with an MSI. */
static bool
bystander_ok(void)
{
	struct uiommu_cmd_info ti = { .op = UIOMMU_CMD_TLBI_NH_ALL };
	struct uiommu_cmd_info si = {
		.op = UIOMMU_CMD_SYNC, .cs = UIOMMU_CMD_SYNC_CS_IRQ,
		.msiaddr = MSI_GPA, .msidata = ++by.seq,
	};
	struct uiommu_cmd c[2];

	if (uiommu_cmd_encode(&ti, &c[0]) != 0 ||
	    uiommu_cmd_encode(&si, &c[1]) != 0 ||
	    uiommu_vcmdq_prod_write(&by.p, c, 2) != 2)
		return false;
	uiommu_vcmdq_prod_publish(&by.p);
	return uiommu_vcmdq_process(by.q, 64) == 2 &&
	       *(volatile uint32_t *)(by.ram + (MSI_GPA - RAM_GPA)) == by.seq;
}

static void
bystander_down(void)
{
	uiommu_vm_destroy(by.vm);
	munmap(by.ram, RAM_SIZE);
}

/* ---- what "nothing changed" means ------------------------------------- */

struct census {
	unsigned int vms, regions, viommus, vdevices, vcmdqs, fds;
	uint64_t mock_viommus, mock_vdevices, mock_s2;
};

static int
count_vm(struct uiommu_vm *vm, void *arg)
{
	struct census *c = arg;
	struct uiommu_vm_info info;

	c->vms++;
	if (uiommu_vm_info_get(vm, &info) == 0) {
		c->regions += info.nr_regions;
		c->viommus += info.nr_viommus;
	}
	return 0;
}

static int
count_viommu(struct uiommu_viommu *v, void *arg)
{
	struct census *c = arg;
	struct uiommu_viommu_info info;

	if (uiommu_viommu_info_get(v, &info) == 0) {
		c->vdevices += info.nr_vdevices;
		c->vcmdqs += info.nr_vcmdqs;
	}
	return 0;
}

static int
count_vm_viommus(struct uiommu_vm *vm, void *arg)
{
	return uiommu_viommu_foreach(vm, count_viommu, arg);
}

static unsigned int
open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	unsigned int n = 0;

	if (d == NULL)
		return 0;
	while (readdir(d) != NULL)
		n++;
	closedir(d);
	return n;
}

static void
census_take(struct census *c)
{
	const struct uiommu_mock_state *ms = uiommu_mock_state();

	memset(c, 0, sizeof(*c));
	(void)uiommu_vm_foreach(count_vm, c);
	(void)uiommu_vm_foreach(count_vm_viommus, c);
	c->fds = open_fds();
	c->mock_viommus = ms->live_viommus;
	c->mock_vdevices = ms->live_vdevices;
	c->mock_s2 = ms->live_s2_maps;
}

static bool
census_same(const struct census *a, const struct census *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

/* ---- the paths -------------------------------------------------------- */

enum path {
	P_VM_CREATE,
	P_MEM_ADD_FD,          /* before any vIOMMU: mmap, IOAS, region */
	P_MEM_ADD_HVA,
	P_VIOMMU_CREATE,       /* VMID, backend, stage-2 of existing RAM, memfd */
	P_MEM_ADD_S2,          /* after the vIOMMU: the backend's stage-2 too */
	P_VDEVICE_ADD,
	P_VCMDQ_CREATE,
	P_STRTAB_SET,
	P_CFGI_STE,            /* fast path: the backend applies a guest STE */
	P_NR,
};

static const char *const path_name[P_NR] = {
	"vm_create", "mem_add(fd)", "mem_add(hva)", "viommu_create",
	"mem_add after viommu", "vdevice_add", "vcmdq_create",
	"viommu_set_strtab", "CFGI_STE (set_ste)",
};

struct st {
	const char *backend;
	uint8_t *ram;
	int memfd;
	struct uiommu_vm *vm;
	struct uiommu_viommu *v;
	struct uiommu_vdevice *dev;
	struct uiommu_vcmdq *q;
	struct uiommu_vcmdq_prod p;
	struct uiommu_vcmdq_regs *regs;
};

static void
st_fini(struct st *s)
{
	uiommu_vm_destroy(s->vm);
	if (s->ram != NULL)
		munmap(s->ram, RAM_SIZE);
	if (s->memfd >= 0)
		close(s->memfd);
	memset(s, 0, sizeof(*s));
	s->memfd = -1;
}

static const char *
dev_spec(const char *backend)
{
	return strcmp(backend, "soft") == 0 ? "soft:dma0" : "mock:0";
}

/* Build the state just before path @p p (nothing injected). */
static void
st_prepare(struct st *s, enum path p, const char *backend)
{
	uint64_t off;

	memset(s, 0, sizeof(*s));
	s->memfd = -1;
	s->backend = backend;
	s->ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	UT_ASSERT_FATAL(s->ram != MAP_FAILED);
	if (p == P_MEM_ADD_FD) {
		s->memfd = memfd_create("failnth", 0);
		UT_ASSERT_FATAL(s->memfd >= 0);
		UT_ASSERT_FATAL(ftruncate(s->memfd, RAM_SIZE) == 0);
	}
	if (p == P_VM_CREATE)
		return;
	UT_ASSERT_FATAL(uiommu_vm_create("swept", &s->vm) == 0);
	if (p == P_MEM_ADD_FD || p == P_MEM_ADD_HVA)
		return;
	if (p == P_MEM_ADD_S2) {
		UT_ASSERT_FATAL(uiommu_viommu_create(s->vm, backend, NULL, &s->v) == 0);
		return;
	}
	UT_ASSERT_FATAL(uiommu_vm_mem_add_hva(s->vm, RAM_GPA, RAM_SIZE, s->ram) == 0);
	if (p == P_VIOMMU_CREATE)
		return;
	UT_ASSERT_FATAL(uiommu_viommu_create(s->vm, backend, NULL, &s->v) == 0);
	if (p == P_VDEVICE_ADD || p == P_STRTAB_SET)
		return;
	if (p == P_VCMDQ_CREATE)
		return;
	/* P_CFGI_STE: a device with a valid bypass STE, an enabled queue. */
	UT_ASSERT_FATAL(uiommu_viommu_set_strtab(s->v, RAM_GPA, 2) == 0);
	UT_ASSERT_FATAL(uiommu_vdevice_add(s->v, 1, dev_spec(backend), NULL,
					   &s->dev) == 0);
	{
		struct uiommu_ste_info ste = { .valid = 1,
					       .config = UIOMMU_STE_CFG_BYPASS };
		uint64_t raw[8];

		uiommu_ste_encode(&ste, raw);
		memcpy(s->ram + 64, raw, sizeof(raw));
	}
	UT_ASSERT_FATAL(uiommu_vcmdq_create(s->v, 0, 6, RING_GPA, &s->q, &off) == 0);
	s->regs = (struct uiommu_vcmdq_regs *)(void *)
		  ((uint8_t *)uiommu_viommu_ctrl_base(s->v) + off);
	UT_ASSERT_FATAL(uiommu_vcmdq_prod_init(&s->p, (struct uiommu_cmd *)(void *)
					       (s->ram + (RING_GPA - RAM_GPA)), 6,
					       s->regs) == 0);
	UT_ASSERT_FATAL(uiommu_vcmdq_prod_enable(&s->p, 0) == 0);
	(void)uiommu_vcmdq_process(s->q, 0);
}

/* Run path @p p once. @return its errno (CFGI_STE: see below). */
static int
st_run(struct st *s, enum path p)
{
	struct uiommu_vcmdq *q = NULL;

	switch (p) {
	case P_VM_CREATE:
		return uiommu_vm_create("swept", &s->vm);
	case P_MEM_ADD_FD:
		return uiommu_vm_mem_add(s->vm, RAM_GPA, RAM_SIZE, s->memfd, 0);
	case P_MEM_ADD_HVA:
	case P_MEM_ADD_S2:
		return uiommu_vm_mem_add_hva(s->vm, RAM_GPA, RAM_SIZE, s->ram);
	case P_VIOMMU_CREATE:
		return uiommu_viommu_create(s->vm, s->backend, NULL, &s->v);
	case P_VDEVICE_ADD:
		return uiommu_vdevice_add(s->v, 1, dev_spec(s->backend), NULL,
					  &s->dev);
	case P_VCMDQ_CREATE:
		return uiommu_vcmdq_create(s->v, 0, 6, RING_GPA, &q, NULL);
	case P_STRTAB_SET:
		return uiommu_viommu_set_strtab(s->v, RAM_GPA, 2);
	case P_CFGI_STE: {
		/*
		 * @return 0 when CFGI_STE and CMD_SYNC completed, -EIO when
		 * the queue stopped (CERROR_ILL at the CFGI), else -EPROTO.
		 */
		struct uiommu_cmd_info ci = { .op = UIOMMU_CMD_CFGI_STE, .sid = 1 };
		struct uiommu_cmd c[2] = { { { 0, 0 } }, { { UIOMMU_CMD_SYNC, 0 } } };
		uint32_t n;

		UT_ASSERT_FATAL(uiommu_cmd_encode(&ci, &c[0]) == 0);
		UT_ASSERT_FATAL(uiommu_vcmdq_prod_write(&s->p, c, 2) == 2);
		uiommu_vcmdq_prod_publish(&s->p);
		n = uiommu_vcmdq_process(s->q, 64);
		if (n == 2)
			return 0;
		return n == 0 && uiommu_vcmdq_prod_error_pending(&s->p, NULL, NULL) ?
		       -EIO : -EPROTO;
	}
	default:
		return -EINVAL;
	}
}

/* After an injected failure of CFGI_STE: device blocked, guest recovers. */
static void
cfgi_recover(struct st *s)
{
	struct uiommu_vdevice_info info;
	uint32_t err = 0, cons = 0;

	CU_ASSERT(uiommu_vcmdq_prod_error_pending(&s->p, &err, &cons));
	CU_ASSERT_EQUAL(err, UIOMMU_CERROR_ILL);
	CU_ASSERT_EQUAL(uiommu_vdevice_info_get(s->dev, &info), 0);
	CU_ASSERT(info.blocked);
	/* The guest acknowledges; the manager re-reads the same CFGI. */
	uiommu_vcmdq_prod_ack_error(&s->p);
	CU_ASSERT_EQUAL(uiommu_vcmdq_process(s->q, 64), 2);
	CU_ASSERT_EQUAL(uiommu_vdevice_info_get(s->dev, &info), 0);
	CU_ASSERT(!info.blocked);
}

static unsigned int
sweep(enum path p, const char *backend)
{
	unsigned int faults = 0;
	uint64_t n;

	for (n = 1; n <= NSWEEP_MAX; n++) {
		struct census before, after;
		struct st s;
		bool fired;
		int rc;

		st_prepare(&s, p, backend);
		census_take(&before);
		uiommu_fail_nth_set(n);
		rc = st_run(&s, p);
		fired = uiommu_fail_fired();
		uiommu_fail_nth_set(0);
		if (!fired) {
			CU_ASSERT_EQUAL(rc, 0);
			st_fini(&s);
			break;
		}
		faults++;
		if (p == P_CFGI_STE) {
			CU_ASSERT_EQUAL(rc, -EIO);
			census_take(&after);
			CU_ASSERT(census_same(&before, &after));
			cfgi_recover(&s);
		} else {
			if (rc != -ENOMEM && rc != -ENOSPC)
				printf("%s/%s: injected failure %" PRIu64
				       " returned %d\n", path_name[p], backend, n, rc);
			CU_ASSERT(rc == -ENOMEM || rc == -ENOSPC);
			if (p == P_VM_CREATE)
				s.vm = NULL;
			census_take(&after);
			if (!census_same(&before, &after))
				printf("%s/%s: failure %" PRIu64 " changed state\n",
				       path_name[p], backend, n);
			CU_ASSERT(census_same(&before, &after));
			/* The same call now succeeds: nothing was left half done. */
			CU_ASSERT_EQUAL(st_run(&s, p), 0);
		}
		CU_ASSERT(bystander_ok());
		st_fini(&s);
	}
	CU_ASSERT(n <= NSWEEP_MAX);
	printf("  %-22s %-5s %3u faults injected\n", path_name[p], backend, faults);
	faults_total += faults;
#ifdef HAVE_LSAN
	CU_ASSERT_EQUAL(__lsan_do_recoverable_leak_check(), 0);
#endif
	return faults;
}

static void
test_sweep_mock(void)
{
	for (unsigned int p = 0; p < P_NR; p++)
		CU_ASSERT(sweep(p, "mock") > 0 || p == P_STRTAB_SET ||
			  p == P_CFGI_STE);
}

static void
test_sweep_soft(void)
{
	for (unsigned int p = 0; p < P_NR; p++)
		CU_ASSERT(sweep(p, "soft") > 0 || p == P_STRTAB_SET);
}

/*
 * Backend failures on create paths (mock scripted errors): the backend's
 * errno comes back unchanged and everything acquired before — stage-2 maps
 * into earlier regions or earlier vIOMMUs included — is unwound.
 */
static void
test_backend_failures(void)
{
	static const int errs[] = { -EIO, -ENOMEM, -EBUSY };
	uint8_t *ram = mmap(NULL, 3 * RAM_SIZE, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	const struct uiommu_mock_state *ms = uiommu_mock_state();
	unsigned int faults = 0;

	UT_ASSERT_FATAL(ram != MAP_FAILED);
	for (unsigned int e = 0; e < RTE_DIM(errs); e++) {
		/* vIOMMU over three regions: alloc, then the 1st..3rd s2_map. */
		for (unsigned int nth = 0; nth <= 3; nth++) {
			struct uiommu_viommu *v = NULL;
			struct census before, after;
			struct uiommu_vm *vm;

			UT_ASSERT_FATAL(uiommu_vm_create("bk", &vm) == 0);
			for (unsigned int r = 0; r < 3; r++)
				UT_ASSERT_FATAL(uiommu_vm_mem_add_hva(vm,
					RAM_GPA + r * 2 * RAM_SIZE, RAM_SIZE,
					ram + r * RAM_SIZE) == 0);
			census_take(&before);
			if (nth == 0)
				UT_ASSERT_FATAL(uiommu_mock_fail(UIOMMU_MOCK_VIOMMU_ALLOC,
								 1, errs[e]) == 0);
			else
				UT_ASSERT_FATAL(uiommu_mock_fail(UIOMMU_MOCK_S2_MAP,
								 nth, errs[e]) == 0);
			CU_ASSERT_EQUAL(uiommu_viommu_create(vm, "mock", NULL, &v),
					errs[e]);
			census_take(&after);
			CU_ASSERT(census_same(&before, &after));
			CU_ASSERT(bystander_ok());
			faults++;
			CU_ASSERT_EQUAL(uiommu_viommu_create(vm, "mock", NULL, &v), 0);
			/* RAM added later: the 2nd vIOMMU's stage-2 map fails. */
			{
				struct uiommu_viommu *v2 = NULL;

				CU_ASSERT_EQUAL(uiommu_viommu_create(vm, "mock", NULL,
								     &v2), 0);
				census_take(&before);
				UT_ASSERT_FATAL(uiommu_mock_fail(UIOMMU_MOCK_S2_MAP, 2,
								 errs[e]) == 0);
				CU_ASSERT_EQUAL(uiommu_vm_mem_add_hva(vm,
					RAM_GPA + 6 * RAM_SIZE, RAM_SIZE, ram),
					errs[e]);
				census_take(&after);
				CU_ASSERT(census_same(&before, &after));
				faults++;
			}
			/* A device the backend refuses. */
			census_take(&before);
			UT_ASSERT_FATAL(uiommu_mock_fail(UIOMMU_MOCK_VDEVICE_ALLOC, 1,
							 errs[e]) == 0);
			CU_ASSERT_EQUAL(uiommu_vdevice_add(v, 3, "mock:5", NULL, NULL),
					errs[e]);
			census_take(&after);
			CU_ASSERT(census_same(&before, &after));
			CU_ASSERT_EQUAL(uiommu_vdevice_add(v, 3, "mock:5", NULL, NULL), 0);
			faults++;
			uiommu_vm_destroy(vm);
			CU_ASSERT_EQUAL(ms->live_viommus, 0);
			CU_ASSERT_EQUAL(ms->live_s2_maps, 0);
			CU_ASSERT_EQUAL(ms->live_vdevices, 0);
		}
	}
	munmap(ram, 3 * RAM_SIZE);
	printf("  backend errors on create paths: %u failures scripted\n", faults);
	faults_total += faults;
#ifdef HAVE_LSAN
	CU_ASSERT_EQUAL(__lsan_do_recoverable_leak_check(), 0);
#endif
}

int
main(int argc, char **argv)
{
	static const struct ut_case cases[] = {
		UT_CASE(test_sweep_mock),
		UT_CASE(test_sweep_soft),
		UT_CASE(test_backend_failures),
		UT_END
	};
	int rc;

	rte_log_set_global_level(RTE_LOG_CRIT);
	uiommu_mock_reset();
	bystander_up();
	rc = ut_main("failnth", cases, argc, argv);
	bystander_down();
	printf("faults injected: %lu\n", faults_total);
	return rc;
}
