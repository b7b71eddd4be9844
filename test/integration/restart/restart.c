/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Manager restart (doc/hardening.md §6): a manager process on the soft
 * backend is killed (SIGKILL) while a VM runs; the guest keeps queueing
 * commands and ringing its DMA engine while nobody manages it; a new
 * manager starts on the same socket and the VMM (this test) reconnects,
 * re-creates its objects over the same guest RAM and carries the queues
 * over with uiommu_client_vcmdq_restore().
 *
 * Asserted:
 *  - nothing is lost: every command queued while the manager was down is
 *    consumed by the new one, and every CMD_SYNC MSI lands;
 *  - nothing is applied twice: the new manager consumes exactly those
 *    commands (its counters), none of those the old one had consumed;
 *  - devices are blocked while nobody manages them and after the restart
 *    until configuration is replayed: the DMA queued during the outage
 *    does not run, a translation of the device faults, although the
 *    guest's STE says bypass; the VMM replays the configuration with
 *    CFGI_ALL on a queue of its own (no protocol change needed), then the
 *    held DMA runs exactly once;
 *  - a queue that was stopped on an illegal command is stopped again at
 *    the same command after the restart, and nothing after it runs until
 *    the guest fixes and acknowledges it.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rte_common.h>

#include "it_util.h"
#include "uiommu_smmu.h"
#include "uiommu_soft_dma.h"
#include "uiommu_ut.h"

#define VSID       1
#define GQ         0             /* the guest's queue */
#define VQ         1             /* the VMM's own queue (config replay) */
#define QLOG2      6
#define DRING_GPA  (IT_RAM_GPA + 0x200000)
#define SRC_GPA    (IT_RAM_GPA + 0x210000)
#define DST_GPA    (IT_RAM_GPA + 0x220000)
#define NDOWN      24             /* commands queued during the outage */

static char sock[108];
static char dir[64];

/* One incarnation of the VM on a manager, over RAM that outlives it. */
struct inc {
	struct uiommu_client *c;
	struct uiommu_client_viommu vi;
	struct uiommu_client_vdevice dev;
	struct uiommu_client_vcmdq gq, vq;
};

static const char *const mgr_args[] = { "--backend", "soft", NULL };

/* Connect and create everything over @p ram; queues disabled. */
static void
inc_up(struct inc *x, struct it_ram *ram)
{
	struct uiommu_msg_hello_reply hr;

	memset(x, 0, sizeof(*x));
	UT_ASSERT_FATAL(uiommu_client_connect(sock, IT_DEADLINE_MS, &x->c) == 0);
	UT_ASSERT_FATAL(uiommu_client_hello(x->c, 0, "restart", UIOMMU_FEAT_ALL,
					    &hr) == 0);
	UT_ASSERT_FATAL(uiommu_client_mem_add(x->c, ram->gpa, ram->size, ram->fd,
					      0) == 0);
	UT_ASSERT_FATAL(uiommu_client_viommu_create(x->c, "soft", NULL, &x->vi) == 0);
	UT_ASSERT_FATAL(uiommu_client_strtab_set(x->c, x->vi.id, IT_STRTAB_GPA,
						 IT_STRTAB_LOG2) == 0);
	UT_ASSERT_FATAL(uiommu_client_vdevice_add(x->c, x->vi.id, VSID,
						  "soft:dma0", &x->dev) == 0);
	UT_ASSERT_FATAL(x->dev.regs != NULL);
	UT_ASSERT_FATAL(uiommu_client_vcmdq_create(x->c, x->vi.id, GQ, QLOG2,
						   IT_RING_GPA(GQ), &x->gq) == 0);
	UT_ASSERT_FATAL(uiommu_client_vcmdq_create(x->c, x->vi.id, VQ, QLOG2,
						   IT_RING_GPA(VQ), &x->vq) == 0);
}

/* The VMM's own queue: enable it and run commands on it. */
static int
vmm_run(struct inc *x, struct it_ram *ram, const struct uiommu_cmd *c,
	uint32_t n)
{
	struct uiommu_vcmdq_prod p;
	uint32_t err = 0;
	uint64_t deadline = it_now_ms() + IT_DEADLINE_MS;

	memset(it_ram_ptr(ram, IT_RING_GPA(VQ)), 0, 16u << QLOG2);
	UT_ASSERT_FATAL(uiommu_vcmdq_prod_init(&p, it_ram_ptr(ram, IT_RING_GPA(VQ)),
					       QLOG2, x->vq.regs) == 0);
	if (!uiommu_vcmdq_prod_enabled(&p)) {
		UT_ASSERT_FATAL(uiommu_vcmdq_prod_enable(&p, 0) == 0);
		while (!uiommu_vcmdq_prod_enabled(&p))
			if (it_now_ms() > deadline)
				return -ETIMEDOUT;
	}
	UT_ASSERT_FATAL(uiommu_vcmdq_prod_write(&p, c, n) == n);
	uiommu_vcmdq_prod_publish(&p);
	return uiommu_vcmdq_prod_wait(&p, uiommu_vcmdq_prod_index(&p),
				      1ULL << 34, &err);
}

static uint64_t
gq_stat(struct inc *x, const char *name)
{
	return it_stat(x->c, UIOMMU_STATS_VCMDQ, 0, x->vi.id, GQ, name);
}

/* Translate the device's access to a GPA (the STE says bypass). */
static bool
dev_translates(struct inc *x, uint64_t gpa)
{
	struct uiommu_msg_translate_reply r;

	if (uiommu_client_translate(x->c, 0, x->vi.id, VSID, gpa,
				    UIOMMU_XLATE_READ, &r) != 0)
		return false;
	return !(r.flags & UIOMMU_XLATE_F_FAULT);
}

static void
mgr_start(struct it_mgr *m)
{
	UT_ASSERT_FATAL(it_mgr_start_at(m, sock, "0-1", mgr_args) == 0);
}

static void
dma_program(struct uiommu_soft_dma_regs *r, uint32_t cons, uint32_t prod)
{
	uint64_t deadline = it_now_ms() + IT_DEADLINE_MS;

	/* Disable and wait for the engine to see it (clears a halt). */
	__atomic_store_n(&r->ctrl, 0, __ATOMIC_RELEASE);
	while ((__atomic_load_n(&r->status, __ATOMIC_ACQUIRE) &
		(UIOMMU_SOFT_DMA_STATUS_ENABLED | UIOMMU_SOFT_DMA_STATUS_HALTED)) &&
	       it_now_ms() < deadline)
		usleep(100);
	r->ring_base = DRING_GPA;
	r->ring_log2 = 4;
	r->ssid = 0;
	r->cons = cons;
	__atomic_store_n(&r->prod, prod, __ATOMIC_RELEASE);
	__atomic_store_n(&r->ctrl, UIOMMU_SOFT_DMA_CTRL_ENABLE, __ATOMIC_RELEASE);
}

static void
dma_desc(struct it_ram *ram, uint32_t slot, uint32_t len, uint32_t off)
{
	struct uiommu_soft_dma_desc d = {
		.src = SRC_GPA + off, .dst = DST_GPA + off, .len = len,
	};

	memcpy(it_ram_ptr(ram, DRING_GPA + 64ULL * (slot & 15)), &d, sizeof(d));
}

static bool
wait_dma(struct uiommu_soft_dma_regs *r, uint32_t cons)
{
	uint64_t deadline = it_now_ms() + IT_DEADLINE_MS;

	while (__atomic_load_n(&r->cons, __ATOMIC_ACQUIRE) != cons)
		if (it_now_ms() > deadline)
			return false;
	return true;
}

static bool
wait_halted(struct uiommu_soft_dma_regs *r)
{
	uint64_t deadline = it_now_ms() + IT_DEADLINE_MS;

	while (!(__atomic_load_n(&r->status, __ATOMIC_ACQUIRE) &
		 UIOMMU_SOFT_DMA_STATUS_HALTED))
		if (it_now_ms() > deadline)
			return false;
	return true;
}

static void
test_restart_nothing_lost_nothing_twice(void)
{
	struct uiommu_cmd_info cfgi = { .op = UIOMMU_CMD_CFGI_ALL, .range = 31 };
	struct uiommu_cmd c[NDOWN];
	struct it_mgr m1, m2;
	struct it_ram ram;
	struct inc a, b;
	struct uiommu_vcmdq_prod p;
	uint32_t err = 0, syncs = 0, target;
	uint8_t *src, *dst;

	UT_ASSERT_FATAL(it_ram_create(&ram, IT_RAM_GPA, IT_RAM_SIZE, true) == 0);
	src = it_ram_ptr(&ram, SRC_GPA);
	dst = it_ram_ptr(&ram, DST_GPA);
	for (unsigned int i = 0; i < 8192; i++)
		src[i] = (uint8_t)(i * 7 + 3);
	{
		struct uiommu_ste_info ste = { .valid = 1,
					       .config = UIOMMU_STE_CFG_BYPASS };
		uint64_t raw[8];

		uiommu_ste_encode(&ste, raw);
		memcpy(it_ram_ptr(&ram, IT_STRTAB_GPA + 64ULL * VSID), raw,
		       sizeof(raw));
	}

	/* Manager 1: the guest configures its device and works. */
	mgr_start(&m1);
	inc_up(&a, &ram);
	UT_ASSERT_FATAL(uiommu_vcmdq_prod_init(&p, it_ram_ptr(&ram, IT_RING_GPA(GQ)),
					       QLOG2, a.gq.regs) == 0);
	UT_ASSERT_FATAL(uiommu_vcmdq_prod_enable(&p, 1ULL << 34) == 0);
	c[0] = it_cmd(&(struct uiommu_cmd_info){ .op = UIOMMU_CMD_CFGI_STE,
						  .sid = VSID });
	c[1] = it_sync();
	c[2] = it_tlbi_va(1, 0x1000);
	c[3] = it_sync_msi(IT_MSI_GPA, 1);
	UT_ASSERT_FATAL(uiommu_vcmdq_prod_write(&p, c, 4) == 4);
	uiommu_vcmdq_prod_publish(&p);
	CU_ASSERT_EQUAL(uiommu_vcmdq_prod_wait(&p, uiommu_vcmdq_prod_index(&p),
					       1ULL << 34, &err), 0);
	CU_ASSERT(it_wait_u32(it_ram_ptr(&ram, IT_MSI_GPA), 1));
	CU_ASSERT(dev_translates(&a, SRC_GPA));
	dma_desc(&ram, 0, 4096, 0);
	dma_program(a.dev.regs, 0, 1);
	CU_ASSERT(wait_dma(a.dev.regs, 1));
	CU_ASSERT(memcmp(dst, src, 4096) == 0);

	/* The manager dies. */
	CU_ASSERT_EQUAL(it_mgr_stop(&m1, SIGKILL), 128 + SIGKILL);

	/* The guest keeps going: commands and a DMA nobody serves. */
	for (unsigned int i = 0; i < NDOWN; i++) {
		if (i % 3 == 2) {
			c[i] = it_sync_msi(IT_MSI_GPA + 4 * (i + 1), 0xc0de0000u + i);
			syncs++;
		} else {
			c[i] = it_tlbi_va(1, 0x1000ULL * (i + 1));
		}
	}
	UT_ASSERT_FATAL(uiommu_vcmdq_prod_write(&p, c, NDOWN) == NDOWN);
	uiommu_vcmdq_prod_publish(&p);
	target = uiommu_vcmdq_prod_index(&p);
	dma_desc(&ram, 1, 4096, 4096);
	__atomic_store_n(&((struct uiommu_soft_dma_regs *)a.dev.regs)->prod, 2,
			 __ATOMIC_RELEASE);
	usleep(20000);
	CU_ASSERT(dst[4096] != src[4096]);     /* no DMA without a manager */

	/* Manager 2 on the same socket; the VMM re-creates the VM. */
	mgr_start(&m2);
	inc_up(&b, &ram);
	/* Blocked until the configuration is replayed, STE or not: the
	 * engine, restarted on the held descriptor, cannot even fetch it. */
	CU_ASSERT(!dev_translates(&b, SRC_GPA));
	dma_program(b.dev.regs, ((struct uiommu_soft_dma_regs *)a.dev.regs)->cons,
		    ((struct uiommu_soft_dma_regs *)a.dev.regs)->prod);
	CU_ASSERT(wait_halted(b.dev.regs));
	CU_ASSERT(dst[4096] != src[4096]);
	/* The VMM replays the guest's configuration on its own queue. */
	{
		struct uiommu_cmd r[2] = { it_cmd(&cfgi), it_sync() };

		CU_ASSERT_EQUAL(vmm_run(&b, &ram, r, 2), 0);
	}
	CU_ASSERT(dev_translates(&b, SRC_GPA));
	/* The engine restarted: the held DMA runs, once. */
	dma_program(b.dev.regs, 1, 2);
	CU_ASSERT(wait_dma(b.dev.regs, 2));
	CU_ASSERT(memcmp(dst + 4096, src + 4096, 4096) == 0);
	CU_ASSERT_EQUAL(((struct uiommu_soft_dma_regs *)b.dev.regs)->desc_ok, 1);

	/* The guest's queue: carried over, then switched to the new page. */
	CU_ASSERT_EQUAL(uiommu_client_vcmdq_restore(b.gq.regs, a.gq.regs, QLOG2), 0);
	p.regs = b.gq.regs;
	CU_ASSERT_EQUAL(uiommu_vcmdq_prod_wait(&p, target, 1ULL << 34, &err), 0);
	for (unsigned int i = 2; i < NDOWN; i += 3)
		CU_ASSERT(it_wait_u32(it_ram_ptr(&ram, IT_MSI_GPA + 4 * (i + 1)),
				      0xc0de0000u + i));
	/* Exactly the commands queued during the outage: none lost, none
	 * of the four the first manager had applied came back. */
	CU_ASSERT_EQUAL(it_stat_eq(b.c, UIOMMU_STATS_VCMDQ, 0, b.vi.id, GQ,
				   "commands", NDOWN), NDOWN);
	CU_ASSERT_EQUAL(gq_stat(&b, "msi_writes"), syncs);
	CU_ASSERT_EQUAL(gq_stat(&b, "errors"), 0);
	/* And the queue simply goes on. */
	c[0] = it_tlbi_va(1, 0x5000);
	c[1] = it_sync_msi(IT_MSI_GPA, 2);
	UT_ASSERT_FATAL(uiommu_vcmdq_prod_write(&p, c, 2) == 2);
	uiommu_vcmdq_prod_publish(&p);
	CU_ASSERT(it_wait_u32(it_ram_ptr(&ram, IT_MSI_GPA), 2));

	uiommu_client_close(a.c);
	uiommu_client_close(b.c);
	CU_ASSERT_EQUAL(it_mgr_stop(&m2, SIGTERM), 0);
	it_ram_destroy(&ram);
}

static void
test_restart_keeps_error_stop(void)
{
	struct uiommu_cmd c[3] = { it_tlbi_va(1, 0x1000), { { 0xff, 0 } },
				   it_sync_msi(IT_MSI_GPA, 7) };
	struct uiommu_cmd fix = { { UIOMMU_CMD_SYNC, 0 } };
	struct it_mgr m1, m2;
	struct it_ram ram;
	struct inc a, b;
	struct uiommu_vcmdq_prod p;
	uint32_t err = 0, cons = 0, bad;

	UT_ASSERT_FATAL(it_ram_create(&ram, IT_RAM_GPA, IT_RAM_SIZE, true) == 0);
	mgr_start(&m1);
	inc_up(&a, &ram);
	UT_ASSERT_FATAL(uiommu_vcmdq_prod_init(&p, it_ram_ptr(&ram, IT_RING_GPA(GQ)),
					       QLOG2, a.gq.regs) == 0);
	UT_ASSERT_FATAL(uiommu_vcmdq_prod_enable(&p, 1ULL << 34) == 0);
	bad = (uiommu_vcmdq_prod_index(&p) + 1) & uiommu_vcmdq_ptr_mask(QLOG2);
	UT_ASSERT_FATAL(uiommu_vcmdq_prod_write(&p, c, 3) == 3);
	uiommu_vcmdq_prod_publish(&p);
	CU_ASSERT_EQUAL(uiommu_vcmdq_prod_wait(&p, uiommu_vcmdq_prod_index(&p),
					       1ULL << 34, &err), -EIO);
	CU_ASSERT(uiommu_vcmdq_prod_error_pending(&p, &err, &cons));
	CU_ASSERT_EQUAL(cons, bad);

	CU_ASSERT_EQUAL(it_mgr_stop(&m1, SIGKILL), 128 + SIGKILL);
	mgr_start(&m2);
	inc_up(&b, &ram);
	CU_ASSERT_EQUAL(uiommu_client_vcmdq_restore(b.gq.regs, a.gq.regs, QLOG2), 0);
	p.regs = b.gq.regs;
	/* Stopped again at the same command; the MSI after it never ran. */
	CU_ASSERT_EQUAL(uiommu_vcmdq_prod_wait(&p, uiommu_vcmdq_prod_index(&p),
					       1ULL << 34, &err), -EIO);
	CU_ASSERT(uiommu_vcmdq_prod_error_pending(&p, &err, &cons));
	CU_ASSERT_EQUAL(cons, bad);
	CU_ASSERT_EQUAL(err, UIOMMU_CERROR_ILL);
	CU_ASSERT_NOT_EQUAL(*(volatile uint32_t *)it_ram_ptr(&ram, IT_MSI_GPA), 7);
	CU_ASSERT_EQUAL(gq_stat(&b, "commands"), 0);
	/* The guest fixes and acknowledges: the rest runs, once. */
	uiommu_vcmdq_prod_fixup(&p, cons, &fix);
	uiommu_vcmdq_prod_ack_error(&p);
	CU_ASSERT_EQUAL(uiommu_vcmdq_prod_wait(&p, uiommu_vcmdq_prod_index(&p),
					       1ULL << 34, &err), 0);
	CU_ASSERT(it_wait_u32(it_ram_ptr(&ram, IT_MSI_GPA), 7));
	CU_ASSERT_EQUAL(it_stat_eq(b.c, UIOMMU_STATS_VCMDQ, 0, b.vi.id, GQ,
				   "commands", 2), 2);
	/* The old registers cannot be restored onto a running queue. */
	CU_ASSERT_EQUAL(uiommu_client_vcmdq_restore(b.gq.regs, a.gq.regs, QLOG2),
			-EBUSY);
	CU_ASSERT_EQUAL(uiommu_client_vcmdq_restore(NULL, a.gq.regs, QLOG2),
			-EINVAL);

	uiommu_client_close(a.c);
	uiommu_client_close(b.c);
	CU_ASSERT_EQUAL(it_mgr_stop(&m2, SIGTERM), 0);
	it_ram_destroy(&ram);
}

int
main(int argc, char **argv)
{
	static const struct ut_case cases[] = {
		UT_CASE(test_restart_nothing_lost_nothing_twice),
		UT_CASE(test_restart_keeps_error_stop),
		UT_END
	};
	int rc;

	signal(SIGPIPE, SIG_IGN);
	snprintf(dir, sizeof(dir), "/tmp/uiommu-restart-XXXXXX");
	UT_ASSERT_FATAL(mkdtemp(dir) != NULL);
	snprintf(sock, sizeof(sock), "%s/mgr.sock", dir);
	rc = ut_main("restart", cases, argc, argv);
	unlink(sock);
	rmdir(dir);
	return rc;
}
