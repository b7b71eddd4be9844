/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The vfio backend under the real core, driven by a guest through a vCMDQ
 * (lib/cmdq producer on the real control region), against the mock kernel.
 *
 * This is the path a guest takes: STE/CD/tables written in guest RAM,
 * CFGI_STE + CMD_SYNC, TLBIs + CMD_SYNC. It checks that CMD_SYNC completes
 * after the kernel calls (the mappings exist when CONS passes the sync),
 * that the device fd reaches the vDEVICE info (what the manager hands to
 * the VMM), and that the mapping limit stops the queue with CERROR_ILL at
 * exactly the command that could not be applied, with a MAP_LIMIT record
 * on the vIOMMU's event queue.
 */
#include <stdlib.h>
#include <string.h>

#include "uiommu_cmd.h"
#include "uiommu_core.h"
#include "uiommu_pgtable.h"
#include "uiommu_smmu.h"
#include "uiommu_ut.h"
#include "uiommu_vcmdq.h"
#include "uiommu_vfio.h"
#include "vfio_mock.h"

#define RAM_GPA    0x80000000ULL
#define RAM_SIZE   (16ULL << 20)
#define STRTAB_GPA RAM_GPA                 /* 16 STEs */
#define RING_GPA   (RAM_GPA + 0x10000)
#define CD_GPA     (RAM_GPA + 0x20000)
#define POOL_GPA   (RAM_GPA + 0x100000)    /* guest table pages */
#define DATA_GPA   (RAM_GPA + 0x800000)    /* DMA buffers */
#define PG         4096ULL
#define VSID       1

struct gfx {
	uint8_t *ram;
	uint64_t pool;
	struct uiommu_vm *vm;
	struct uiommu_viommu *v;
	struct uiommu_vdevice *dev;
	struct uiommu_vcmdq *q;
	struct uiommu_vcmdq_prod p;
	struct uiommu_pgtable *pt;
	int devfd;
};

static void *
gptr(struct gfx *g, uint64_t gpa)
{
	return g->ram + (gpa - RAM_GPA);
}

static int
t_alloc(void *ctx, size_t size, size_t align, uint64_t *addr)
{
	struct gfx *g = ctx;
	uint64_t a = RTE_ALIGN_CEIL(g->pool, align);

	if (a + size > DATA_GPA)
		return -ENOMEM;
	g->pool = a + size;
	*addr = a;
	return 0;
}

static void
t_free(void *ctx, uint64_t addr, size_t size)
{
	RTE_SET_USED(ctx);
	RTE_SET_USED(addr);
	RTE_SET_USED(size);
}

static void *
t_to_ptr(void *ctx, uint64_t addr, size_t size)
{
	struct gfx *g = ctx;

	if (addr < RAM_GPA || addr + size > RAM_GPA + RAM_SIZE)
		return NULL;
	return gptr(g, addr);
}

static const struct uiommu_pt_mem_ops t_ops = {
	.alloc = t_alloc, .free = t_free, .to_ptr = t_to_ptr,
};

static struct uiommu_cmd
mk(const struct uiommu_cmd_info *ci)
{
	struct uiommu_cmd c;

	UT_ASSERT_FATAL(uiommu_cmd_encode(ci, &c) == 0);
	return c;
}

static struct uiommu_cmd
tlbi_va(uint16_t asid, uint64_t va)
{
	struct uiommu_cmd_info ci = {
		.op = UIOMMU_CMD_TLBI_NH_VA, .asid = asid, .addr = va,
		.leaf = true,
	};

	return mk(&ci);
}

static struct uiommu_cmd
cfgi_ste(uint32_t sid)
{
	struct uiommu_cmd_info ci = { .op = UIOMMU_CMD_CFGI_STE, .sid = sid };

	return mk(&ci);
}

static struct uiommu_cmd
sync_cmd(void)
{
	struct uiommu_cmd_info ci = { .op = UIOMMU_CMD_SYNC };

	return mk(&ci);
}

/* Write commands, run the manager's pass, return CONS and CONS.ERR. */
static uint32_t
run(struct gfx *g, const struct uiommu_cmd *c, uint32_t n, uint32_t *err)
{
	UT_ASSERT_FATAL(uiommu_vcmdq_prod_write(&g->p, c, n) == n);
	uiommu_vcmdq_prod_publish(&g->p);
	uiommu_vcmdq_process(g->q, 64);
	if (uiommu_vcmdq_prod_error_pending(&g->p, err, NULL))
		return __atomic_load_n(&g->p.regs->cons, __ATOMIC_ACQUIRE) &
		       uiommu_vcmdq_ptr_mask(g->p.log2size);
	*err = 0;
	return __atomic_load_n(&g->p.regs->cons, __ATOMIC_ACQUIRE) &
	       uiommu_vcmdq_ptr_mask(g->p.log2size);
}

static void
setup(struct gfx *g, const char *args)
{
	struct uiommu_vdevice_info info;
	struct uiommu_pgtable_cfg pc;
	struct uiommu_ste_info ste;
	struct uiommu_cd_info cd;
	struct uiommu_lpae_regs regs;
	uint64_t raw[8], off;

	memset(g, 0, sizeof(*g));
	mock_reset();
	mock_add_device("0000:00:03.0", 11);
	g->ram = aligned_alloc(2ULL << 20, RAM_SIZE);
	UT_ASSERT_FATAL(g->ram != NULL);
	memset(g->ram, 0, RAM_SIZE);
	g->pool = POOL_GPA;
	UT_ASSERT_FATAL(uiommu_vm_create("vfio-core", &g->vm) == 0);
	UT_ASSERT_FATAL(uiommu_vm_mem_add_hva(g->vm, RAM_GPA, RAM_SIZE, g->ram) == 0);
	UT_ASSERT_FATAL(uiommu_viommu_create(g->vm, "vfio", args, &g->v) == 0);
	UT_ASSERT_FATAL(uiommu_viommu_set_strtab(g->v, STRTAB_GPA, 4) == 0);
	UT_ASSERT_FATAL(uiommu_vdevice_add(g->v, VSID, "vfio:0000:00:03.0",
					   &info, &g->dev) == 0);
	g->devfd = info.fd;
	UT_ASSERT_FATAL(uiommu_vcmdq_create(g->v, 0, 8, RING_GPA, &g->q, &off) == 0);
	UT_ASSERT_FATAL(uiommu_vcmdq_prod_init(&g->p, gptr(g, RING_GPA), 8,
		(struct uiommu_vcmdq_regs *)(void *)
		((uint8_t *)uiommu_viommu_ctrl_base(g->v) + off)) == 0);
	UT_ASSERT_FATAL(uiommu_vcmdq_prod_enable(&g->p, 0) == 0);
	uiommu_vcmdq_process(g->q, 0);
	UT_ASSERT_FATAL(uiommu_vcmdq_prod_enabled(&g->p));

	/* The guest driver's stage 1, CD and STE, all in its RAM. */
	memset(&pc, 0, sizeof(pc));
	pc.format = UIOMMU_PT_ARM_LPAE_S1_4K;
	pc.ias = 39;
	pc.oas = 40;
	pc.mem_ops = &t_ops;
	pc.mem_ctx = g;
	UT_ASSERT_FATAL(uiommu_pgtable_create(&pc, &g->pt) == 0);
	UT_ASSERT_FATAL(uiommu_pgtable_lpae_regs(g->pt, &regs) == 0);
	memset(&cd, 0, sizeof(cd));
	cd.valid = 1;
	cd.t0sz = (uint8_t)regs.t0sz;
	cd.ips = (uint8_t)regs.ips;
	cd.aa64 = 1;
	cd.asid = 3;
	cd.ttb0 = regs.ttb;
	cd.mair = regs.mair;
	uiommu_cd_encode(&cd, raw);
	memcpy(gptr(g, CD_GPA), raw, sizeof(raw));
	memset(&ste, 0, sizeof(ste));
	ste.valid = 1;
	ste.config = UIOMMU_STE_CFG_S1;
	ste.s1ctxptr = CD_GPA;
	uiommu_ste_encode(&ste, raw);
	memcpy(gptr(g, STRTAB_GPA + VSID * UIOMMU_STE_SIZE), raw, sizeof(raw));
}

static void
teardown(struct gfx *g)
{
	uiommu_vm_destroy(g->vm);
	uiommu_pgtable_destroy(g->pt);
	CU_ASSERT_EQUAL(mock_open_fds(), 0);
	free(g->ram);
}

static void
map_page(struct gfx *g, uint64_t iova, uint64_t gpa)
{
	UT_ASSERT_FATAL(uiommu_pgtable_map(g->pt, iova, gpa, PG,
					   UIOMMU_PT_PROT_READ |
					   UIOMMU_PT_PROT_WRITE, NULL) == 0);
}

static void
test_cfgi_and_tlbi_through_queue(void)
{
	struct uiommu_cmd c[4];
	uint64_t va;
	uint32_t err;
	struct gfx g;
	int cont;

	setup(&g, NULL);
	CU_ASSERT(mock_is_device_fd(g.devfd));
	cont = mock_group_container(11);
	map_page(&g, 0x100000, DATA_GPA);
	map_page(&g, 0x101000, DATA_GPA + PG);
	/* Nothing before the CFGI: the device starts blocked. */
	CU_ASSERT_EQUAL(mock_nr_maps(cont), 0);
	c[0] = cfgi_ste(VSID);
	c[1] = sync_cmd();
	CU_ASSERT_EQUAL(run(&g, c, 2, &err), 2);
	CU_ASSERT_EQUAL(err, 0);
	/* When CONS passed the CMD_SYNC, the kernel held the mapping. */
	CU_ASSERT_EQUAL(mock_nr_maps(cont), 1);
	CU_ASSERT(mock_lookup(cont, 0x101000, &va, NULL));
	CU_ASSERT_EQUAL(va, (uint64_t)(uintptr_t)gptr(&g, DATA_GPA + PG));
	/* Unmap in stage 1 + TLBI_NH_VA + CMD_SYNC: gone. */
	UT_ASSERT_FATAL(uiommu_pgtable_unmap(g.pt, 0x101000, PG, NULL) == 0);
	c[0] = tlbi_va(3, 0x101000);
	c[1] = sync_cmd();
	CU_ASSERT_EQUAL(run(&g, c, 2, &err), 4);
	CU_ASSERT_EQUAL(err, 0);
	CU_ASSERT(!mock_lookup(cont, 0x101000, NULL, NULL));
	CU_ASSERT(mock_lookup(cont, 0x100000, NULL, NULL));
	teardown(&g);
}

static void
test_limit_stops_queue(void)
{
	struct uiommu_event ev[4];
	struct uiommu_cmd c[5];
	struct uiommu_vfio_stats st;
	uint32_t err, cons;
	struct gfx g;
	int cont;
	unsigned int n;
	bool seen = false;

	setup(&g, "max_maps=2");
	cont = mock_group_container(11);
	map_page(&g, 0x100000, DATA_GPA);
	c[0] = cfgi_ste(VSID);
	c[1] = sync_cmd();
	CU_ASSERT_EQUAL(run(&g, c, 2, &err), 2);
	CU_ASSERT_EQUAL(mock_nr_maps(cont), 1);
	/* Two more separate pages: the second does not fit. */
	map_page(&g, 0x200000, DATA_GPA + 0x10000);
	map_page(&g, 0x300000, DATA_GPA + 0x20000);
	c[0] = tlbi_va(3, 0x200000);
	c[1] = tlbi_va(3, 0x300000);
	c[2] = sync_cmd();
	cons = run(&g, c, 3, &err);
	CU_ASSERT_EQUAL(err, UIOMMU_CERROR_ILL);
	CU_ASSERT_EQUAL(cons, 3);            /* at the second TLBI */
	CU_ASSERT(mock_lookup(cont, 0x200000, NULL, NULL));
	CU_ASSERT(!mock_lookup(cont, 0x300000, NULL, NULL));
	n = uiommu_viommu_event_read(g.v, ev, 4, NULL);
	for (unsigned int i = 0; i < n; i++)
		seen |= ev[i].id == UIOMMU_VFIO_EVT_MAP_LIMIT &&
			ev[i].sid == VSID && ev[i].input_addr == 0x300000;
	CU_ASSERT(seen);
	CU_ASSERT_EQUAL(uiommu_vfio_stats_total(&st), 0);
	CU_ASSERT(st.limit_errors >= 1);
	/* The vIOMMU's event counter includes the backend's records. */
	{
		struct uiommu_viommu_info vi;

		CU_ASSERT_EQUAL(uiommu_viommu_info_get(g.v, &vi), 0);
		CU_ASSERT_EQUAL(vi.events, n);
		CU_ASSERT_EQUAL(vi.events_lost, 0);
	}
	/* The guest frees a mapping, replaces the bad slot by a TLBI that
	 * covers both, acknowledges: the queue resumes. */
	UT_ASSERT_FATAL(uiommu_pgtable_unmap(g.pt, 0x100000, PG, NULL) == 0);
	{
		struct uiommu_cmd_info ci = {
			.op = UIOMMU_CMD_TLBI_NH_ASID, .asid = 3,
		};
		struct uiommu_cmd fix = mk(&ci);

		uiommu_vcmdq_prod_fixup(&g.p, 3, &fix);
	}
	uiommu_vcmdq_prod_ack_error(&g.p);
	uiommu_vcmdq_process(g.q, 64);
	CU_ASSERT(!uiommu_vcmdq_prod_error_pending(&g.p, &err, NULL));
	CU_ASSERT(mock_lookup(cont, 0x300000, NULL, NULL));
	CU_ASSERT(!mock_lookup(cont, 0x100000, NULL, NULL));
	teardown(&g);
}

static void
test_ste_config_refused(void)
{
	struct uiommu_ste_info ste;
	struct uiommu_event ev[4];
	struct uiommu_cmd c[2];
	uint64_t raw[8];
	uint32_t err;
	unsigned int n;
	struct gfx g;

	setup(&g, NULL);
	/* A stage-2 STE is the host's business: C_BAD_STE, queue goes on. */
	memset(&ste, 0, sizeof(ste));
	ste.valid = 1;
	ste.config = UIOMMU_STE_CFG_S2;
	uiommu_ste_encode(&ste, raw);
	memcpy(gptr(&g, STRTAB_GPA + VSID * UIOMMU_STE_SIZE), raw, sizeof(raw));
	c[0] = cfgi_ste(VSID);
	c[1] = sync_cmd();
	CU_ASSERT_EQUAL(run(&g, c, 2, &err), 2);
	CU_ASSERT_EQUAL(err, 0);
	n = uiommu_viommu_event_read(g.v, ev, 4, NULL);
	CU_ASSERT(n >= 1 && ev[0].id == UIOMMU_EVT_C_BAD_STE);
	CU_ASSERT_EQUAL(mock_nr_maps(mock_group_container(11)), 0);
	teardown(&g);
}

int
main(int argc, char **argv)
{
	static const struct ut_case cases[] = {
		UT_CASE(test_cfgi_and_tlbi_through_queue),
		UT_CASE(test_limit_stops_queue),
		UT_CASE(test_ste_config_refused),
		UT_END
	};

	return ut_main("vfio_core", cases, argc, argv);
}
