/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Isolation property test: several VMs on the soft backend, in process
 * through lib/core, doing random interleaved operations — map, unmap (strict
 * or lazy), invalidate, reconfigure (stage 1, bypass, abort), DMA with good
 * and wild addresses, hostile commands, disconnect and reconnect.
 *
 * Oracle:
 *  - ownership of memory: every byte of a VM's data pages carries the VM's
 *    tag in its high nibble, and DMA only ever copies a VM's own bytes, so
 *    after every step every data byte of every VM must still carry its own
 *    VM's tag: a DMA of one VM that reached another VM's RAM would show.
 *    VMs sit at different guest-physical bases with the same layout, so a
 *    confusion of guest memories would show too; all RAM lies between
 *    guard pages, and manager memory is under ASan in the asan build;
 *  - expected faults: after an unmap followed by TLBI + CMD_SYNC, after a
 *    reconfiguration to abort, or for an address outside the VM's RAM, a
 *    DMA must fail (SRC/DST fault, or no descriptor fetched at all) and
 *    change nothing; a DMA between two pages the VM maps (and has
 *    invalidated) must copy exactly; only pages unmapped or remapped
 *    without invalidation are allowed either outcome (stale IOTLB);
 *  - a hostile command stops only its own VM's queue.
 * The seed comes from UIOMMU_TEST_SEED (printed), the step count from
 * UIOMMU_PROP_STEPS (default 3000; the 'long' suite runs 100000).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <rte_common.h>
#include <rte_log.h>

#include "uiommu_cmd.h"
#include "uiommu_core.h"
#include "uiommu_pgtable.h"
#include "uiommu_smmu.h"
#include "uiommu_soft_dma.h"
#include "uiommu_ut.h"
#include "uiommu_vcmdq.h"

#define NVM        3
#define RAM_SIZE   (1ULL << 20)
#define CTL_SIZE   (512ULL << 10)     /* tables, rings, CD, STEs */
#define DATA_OFF   CTL_SIZE
#define NPAGES     ((RAM_SIZE - CTL_SIZE) / 4096)   /* 128 data pages */
#define NIOVA      96                 /* stage-1 data IOVA slots */
#define IOVA_BASE  0x4000000000ULL    /* data IOVAs: never a GPA */
#define STRTAB_OFF 0x0
#define CD_OFF     0x1000
#define RING_OFF   0x2000             /* vCMDQ, 2^8 entries */
#define DRING_OFF  0x3000             /* DMA ring, 2^4 descriptors */
#define MSI_OFF    0x4000
#define POOL_OFF   0x10000            /* stage-1 table pages */
#define VSID       1
#define DRING_LOG2 4

enum mode { M_S1, M_BYPASS, M_ABORT };

struct pvm {
	int live;
	uint8_t tag;
	uint64_t gpa;                     /* RAM base */
	uint8_t *map;                     /* guarded mapping */
	uint8_t *ram;
	struct uiommu_vm *vm;
	struct uiommu_viommu *v;
	struct uiommu_vdevice *dev;
	struct uiommu_soft_dma_regs *dregs;
	struct uiommu_vcmdq *q;
	struct uiommu_vcmdq_prod p;
	struct uiommu_pgtable *pt;
	struct uiommu_pt_mem_ops gops;
	uint64_t pool_next;
	enum mode mode;
	int map_of[NIOVA];                /* data page, or -1 */
	bool unsure[NIOVA];               /* changed without invalidation */
	uint32_t dma_prod;
	unsigned int seq;
};

static struct pvm vms[NVM];
static unsigned long long rng;
static struct {
	unsigned long ops, dma_ok, dma_fault, wild, hostile, reconnects;
} cnt;

/* ---- guest memory for stage-1 tables (addressed by GPA) -------------- */

static int
g_alloc(void *ctx, size_t size, size_t align, uint64_t *addr)
{
	struct pvm *x = ctx;
	uint64_t a = RTE_ALIGN_CEIL(x->pool_next, align);

	if (a + size > x->gpa + CTL_SIZE)
		return -ENOMEM;
	x->pool_next = a + size;
	memset(x->ram + (a - x->gpa), 0, size);
	*addr = a;
	return 0;
}

static void
g_free(void *ctx, uint64_t addr, size_t size)
{
	RTE_SET_USED(ctx);
	RTE_SET_USED(addr);
	RTE_SET_USED(size);
}

static void *
g_to_ptr(void *ctx, uint64_t addr, size_t size)
{
	struct pvm *x = ctx;

	if (addr < x->gpa || addr - x->gpa > CTL_SIZE - size)
		return NULL;
	return x->ram + (addr - x->gpa);
}

static void *
gp(struct pvm *x, uint64_t gpa)
{
	return x->ram + (gpa - x->gpa);
}

/* ---- commands --------------------------------------------------------- */

static uint32_t
run_cmds(struct pvm *x, const struct uiommu_cmd *c, uint32_t n)
{
	UT_ASSERT_FATAL(uiommu_vcmdq_prod_write(&x->p, c, n) == n);
	uiommu_vcmdq_prod_publish(&x->p);
	return uiommu_vcmdq_process(x->q, 256);
}

static struct uiommu_cmd
mkc(const struct uiommu_cmd_info *ci)
{
	struct uiommu_cmd c;

	UT_ASSERT_FATAL(uiommu_cmd_encode(ci, &c) == 0);
	return c;
}

static void
sync_ok(struct pvm *x, struct uiommu_cmd first)
{
	struct uiommu_cmd_info si = {
		.op = UIOMMU_CMD_SYNC, .cs = UIOMMU_CMD_SYNC_CS_IRQ,
		.msiaddr = x->gpa + MSI_OFF, .msidata = ++x->seq,
	};
	struct uiommu_cmd c[2] = { first, mkc(&si) };

	CU_ASSERT_EQUAL(run_cmds(x, c, 2), 2);
	CU_ASSERT_EQUAL(*(volatile uint32_t *)gp(x, x->gpa + MSI_OFF), x->seq);
}

static void
write_ste(struct pvm *x, enum mode m)
{
	struct uiommu_ste_info ste = { .valid = 1 };
	struct uiommu_cmd_info ci = { .op = UIOMMU_CMD_CFGI_STE, .sid = VSID };
	uint64_t raw[8];

	ste.config = m == M_S1 ? UIOMMU_STE_CFG_S1 :
		     m == M_BYPASS ? UIOMMU_STE_CFG_BYPASS : UIOMMU_STE_CFG_ABORT;
	ste.s1ctxptr = x->gpa + CD_OFF;
	uiommu_ste_encode(&ste, raw);
	memcpy(gp(x, x->gpa + STRTAB_OFF + 64 * VSID), raw, sizeof(raw));
	sync_ok(x, mkc(&ci));
	x->mode = m;
}

static void
inv_all(struct pvm *x)
{
	struct uiommu_cmd_info ci = { .op = UIOMMU_CMD_TLBI_NH_ALL };

	sync_ok(x, mkc(&ci));
	memset(x->unsure, 0, sizeof(x->unsure));
}

/* ---- DMA -------------------------------------------------------------- */

static void
dma_restart(struct pvm *x)
{
	struct uiommu_soft_dma_regs *r = x->dregs;

	__atomic_store_n(&r->ctrl, 0, __ATOMIC_RELEASE);
	(void)uiommu_viommu_poll(x->v, 1);
	UT_ASSERT_FATAL((r->status & UIOMMU_SOFT_DMA_STATUS_ENABLED) == 0);
	r->ring_base = x->gpa + DRING_OFF;      /* identity-mapped at stage 1 */
	r->ring_log2 = DRING_LOG2;
	r->ssid = 0;
	r->cons = x->dma_prod;
	__atomic_store_n(&r->prod, x->dma_prod, __ATOMIC_RELEASE);
	__atomic_store_n(&r->ctrl, UIOMMU_SOFT_DMA_CTRL_ENABLE, __ATOMIC_RELEASE);
	(void)uiommu_viommu_poll(x->v, 1);
}

/*
 * Run one copy; @return the descriptor status code, or 0 when the engine
 * could not even fetch the descriptor (it halted and is restarted).
 */
static uint32_t
dma(struct pvm *x, uint64_t src, uint64_t dst, uint32_t len, uint32_t *done)
{
	struct uiommu_soft_dma_desc d = { .src = src, .dst = dst, .len = len };
	const uint32_t slot = x->dma_prod & ((1u << DRING_LOG2) - 1);
	struct uiommu_soft_dma_desc *s = gp(x, x->gpa + DRING_OFF + 64ULL * slot);
	struct uiommu_soft_dma_regs *r = x->dregs;

	memcpy(s, &d, sizeof(d));
	x->dma_prod++;
	__atomic_store_n(&r->prod, x->dma_prod, __ATOMIC_RELEASE);
	for (int i = 0; i < 4 && r->cons != x->dma_prod; i++)
		(void)uiommu_viommu_poll(x->v, 64);
	if (r->cons != x->dma_prod) {
		UT_ASSERT_FATAL(r->status & UIOMMU_SOFT_DMA_STATUS_HALTED);
		x->dma_prod--;          /* the descriptor was not consumed */
		dma_restart(x);
		*done = 0;
		return 0;
	}
	*done = s->done;
	return UIOMMU_SOFT_DMA_ST_CODE(s->status);
}

/* ---- VM life ---------------------------------------------------------- */

static uint64_t
data_gpa(const struct pvm *x, int page)
{
	return x->gpa + DATA_OFF + 4096ULL * (uint64_t)page;
}

static void
fill_data(struct pvm *x)
{
	for (uint64_t i = 0; i < NPAGES * 4096; i++)
		x->ram[DATA_OFF + i] = (uint8_t)(x->tag << 4 | (ut_rand(&rng) & 15));
}

static void
vm_up(struct pvm *x, unsigned int i)
{
	struct uiommu_pgtable_cfg pcfg;
	struct uiommu_vdevice_info info;
	struct uiommu_cd_info cd = {
		.valid = 1, .t0sz = 16, .ips = 5, .aa64 = 1, .epd1 = 1, .asid = 3,
	};
	char name[16];
	uint64_t raw[8], off;

	memset(x, 0, sizeof(*x));
	x->tag = (uint8_t)(i + 1);
	x->gpa = 0x80000000ULL + (uint64_t)i * 0x10000000ULL;
	x->map = mmap(NULL, RAM_SIZE + 8192, PROT_NONE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	UT_ASSERT_FATAL(x->map != MAP_FAILED);
	x->ram = x->map + 4096;
	UT_ASSERT_FATAL(mprotect(x->ram, RAM_SIZE, PROT_READ | PROT_WRITE) == 0);
	fill_data(x);
	snprintf(name, sizeof(name), "prop%u", i);
	UT_ASSERT_FATAL(uiommu_vm_create(name, &x->vm) == 0);
	UT_ASSERT_FATAL(uiommu_vm_mem_add_hva(x->vm, x->gpa, RAM_SIZE, x->ram) == 0);
	UT_ASSERT_FATAL(uiommu_viommu_create(x->vm, "soft", NULL, &x->v) == 0);
	UT_ASSERT_FATAL(uiommu_viommu_set_strtab(x->v, x->gpa + STRTAB_OFF, 2) == 0);
	UT_ASSERT_FATAL(uiommu_vdevice_add(x->v, VSID, "soft:dma0", &info,
					   &x->dev) == 0);
	x->dregs = (struct uiommu_soft_dma_regs *)(void *)
		((uint8_t *)uiommu_viommu_ctrl_base(x->v) + info.regs_offset);
	UT_ASSERT_FATAL(uiommu_vcmdq_create(x->v, 0, 8, x->gpa + RING_OFF, &x->q,
					    &off) == 0);
	UT_ASSERT_FATAL(uiommu_vcmdq_prod_init(&x->p, gp(x, x->gpa + RING_OFF), 8,
					       (struct uiommu_vcmdq_regs *)(void *)
					       ((uint8_t *)uiommu_viommu_ctrl_base(x->v) +
						off)) == 0);
	UT_ASSERT_FATAL(uiommu_vcmdq_prod_enable(&x->p, 0) == 0);
	(void)uiommu_vcmdq_process(x->q, 0);
	/* Stage 1 in guest RAM: the DMA ring identity-mapped for good. */
	x->pool_next = x->gpa + POOL_OFF;
	x->gops = (struct uiommu_pt_mem_ops){
		.alloc = g_alloc, .free = g_free, .to_ptr = g_to_ptr,
	};
	pcfg = (struct uiommu_pgtable_cfg){
		.format = UIOMMU_PT_ARM_LPAE_S1_4K, .ias = 48, .oas = 48,
		.mem_ops = &x->gops, .mem_ctx = x,
	};
	UT_ASSERT_FATAL(uiommu_pgtable_create(&pcfg, &x->pt) == 0);
	UT_ASSERT_FATAL(uiommu_pgtable_map(x->pt, x->gpa + DRING_OFF,
					   x->gpa + DRING_OFF, 4096,
					   UIOMMU_PT_PROT_READ | UIOMMU_PT_PROT_WRITE,
					   NULL) == 0);
	cd.ttb0 = uiommu_pgtable_root(x->pt);
	uiommu_cd_encode(&cd, raw);
	memcpy(gp(x, x->gpa + CD_OFF), raw, sizeof(raw));
	for (int k = 0; k < NIOVA; k++)
		x->map_of[k] = -1;
	write_ste(x, M_S1);
	dma_restart(x);
	x->live = 1;
}

static void
vm_down(struct pvm *x)
{
	uiommu_vm_destroy(x->vm);
	uiommu_pgtable_destroy(x->pt);
	munmap(x->map, RAM_SIZE + 8192);
	x->live = 0;
}

/* Every data byte of every VM still carries its own VM's tag. */
static bool
tags_ok(void)
{
	for (unsigned int i = 0; i < NVM; i++) {
		const struct pvm *x = &vms[i];
		const uint64_t want = 0x0101010101010101ULL * (uint64_t)(x->tag << 4);
		const uint64_t *w = (const uint64_t *)(const void *)(x->ram + DATA_OFF);

		if (!x->live)
			continue;
		for (uint64_t k = 0; k < NPAGES * 4096 / 8; k++)
			if ((w[k] & 0xf0f0f0f0f0f0f0f0ULL) != want) {
				printf("VM %u: word %#" PRIx64 " is %#" PRIx64 "\n",
				       i, k * 8, w[k]);
				return false;
			}
	}
	return true;
}

/* ---- operations ------------------------------------------------------- */

static void
op_map(struct pvm *x)
{
	const int k = (int)(ut_rand(&rng) % NIOVA);
	const int page = (int)(ut_rand(&rng) % NPAGES);
	const uint64_t iova = IOVA_BASE + 4096ULL * (uint64_t)k;

	if (x->map_of[k] >= 0) {
		/* Remap: unmap first; the old translation may linger. */
		UT_ASSERT_FATAL(uiommu_pgtable_unmap(x->pt, iova, 4096, NULL) == 0);
		x->unsure[k] = true;
	}
	UT_ASSERT_FATAL(uiommu_pgtable_map(x->pt, iova, data_gpa(x, page), 4096,
					   UIOMMU_PT_PROT_READ | UIOMMU_PT_PROT_WRITE,
					   NULL) == 0);
	x->map_of[k] = page;
}

static void
op_unmap(struct pvm *x, bool strict)
{
	const int k = (int)(ut_rand(&rng) % NIOVA);
	const uint64_t iova = IOVA_BASE + 4096ULL * (uint64_t)k;

	if (x->map_of[k] < 0)
		return;
	UT_ASSERT_FATAL(uiommu_pgtable_unmap(x->pt, iova, 4096, NULL) == 0);
	x->map_of[k] = -1;
	if (strict) {
		struct uiommu_cmd_info ci = {
			.op = UIOMMU_CMD_TLBI_NH_VA, .asid = 3, .addr = iova,
			.leaf = 1,
		};

		sync_ok(x, mkc(&ci));
		x->unsure[k] = false;
	} else {
		x->unsure[k] = true;
	}
}

static void
op_dma(struct pvm *x)
{
	const int ks = (int)(ut_rand(&rng) % NIOVA), kd = (int)(ut_rand(&rng) % NIOVA);
	const uint32_t so = ut_rand(&rng) % 2048, dof = ut_rand(&rng) % 2048;
	const uint32_t len = 1 + ut_rand(&rng) % 2048;
	uint64_t src, dst;
	uint8_t before[4096];
	bool expect_ok, sure = true;
	uint8_t *dp = NULL;
	const uint8_t *sp = NULL;
	uint32_t st, done;

	if (x->mode == M_BYPASS) {
		const int ps = (int)(ut_rand(&rng) % NPAGES), pd = (int)(ut_rand(&rng) % NPAGES);

		src = data_gpa(x, ps) + so;
		dst = data_gpa(x, pd) + dof;
		expect_ok = true;
		sp = gp(x, src);
		dp = gp(x, dst);
	} else {
		src = IOVA_BASE + 4096ULL * (uint64_t)ks + so;
		dst = IOVA_BASE + 4096ULL * (uint64_t)kd + dof;
		sure = !x->unsure[ks] && !x->unsure[kd];
		expect_ok = x->mode == M_S1 && x->map_of[ks] >= 0 &&
			    x->map_of[kd] >= 0;
		if (expect_ok) {
			sp = gp(x, data_gpa(x, x->map_of[ks]) + so);
			dp = gp(x, data_gpa(x, x->map_of[kd]) + dof);
		}
	}
	if (sp != NULL)
		memcpy(before, sp, len);
	st = dma(x, src, dst, len, &done);
	if (!sure)
		return;           /* a stale IOTLB entry may serve it */
	if (expect_ok) {
		CU_ASSERT_EQUAL(st, UIOMMU_SOFT_DMA_ST_OK);
		if (st == UIOMMU_SOFT_DMA_ST_OK)
			CU_ASSERT(memcmp(dp, before, len) == 0);
		cnt.dma_ok++;
	} else {
		/* Nothing reached memory: a fault before the first byte. */
		CU_ASSERT(st == 0 || st == UIOMMU_SOFT_DMA_ST_SRC_FAULT ||
			  st == UIOMMU_SOFT_DMA_ST_DST_FAULT);
		CU_ASSERT_EQUAL(done, 0);
		cnt.dma_fault++;
	}
}

/* DMA aimed anywhere: other VMs' GPAs, their data IOVAs, anything. */
static void
op_wild(struct pvm *x)
{
	const struct pvm *o = &vms[ut_rand(&rng) % NVM];
	uint64_t targets[] = {
		o->gpa + DATA_OFF + (ut_rand(&rng) % (NPAGES * 4096)),
		o->gpa + RAM_SIZE, x->gpa - 4096, ut_rand(&rng),
		IOVA_BASE + (ut_rand(&rng) % (NIOVA * 4096)),
	};
	uint64_t dst = targets[ut_rand(&rng) % RTE_DIM(targets)];
	uint32_t done;

	(void)dma(x, data_gpa(x, 0), dst, 1 + ut_rand(&rng) % 8192, &done);
	cnt.wild++;
}

/* A garbage command: this VM's queue stops; the guest recovers. */
static void
op_hostile(struct pvm *x)
{
	struct uiommu_cmd c = { { ut_rand(&rng) | 0xff, ut_rand(&rng) } };
	struct uiommu_cmd fix = { { UIOMMU_CMD_SYNC, 0 } };
	uint32_t err = 0, cons = 0;

	CU_ASSERT_EQUAL(run_cmds(x, &c, 1), 0);
	CU_ASSERT(uiommu_vcmdq_prod_error_pending(&x->p, &err, &cons));
	CU_ASSERT_EQUAL(err, UIOMMU_CERROR_ILL);
	/* Every other VM's queue is untouched. */
	for (unsigned int i = 0; i < NVM; i++)
		if (&vms[i] != x && vms[i].live)
			CU_ASSERT(!uiommu_vcmdq_prod_error_pending(&vms[i].p, NULL,
								   NULL));
	uiommu_vcmdq_prod_fixup(&x->p, cons, &fix);
	uiommu_vcmdq_prod_ack_error(&x->p);
	CU_ASSERT_EQUAL(uiommu_vcmdq_process(x->q, 64), 1);
	cnt.hostile++;
}

static void
test_random_isolation(void)
{
	unsigned long steps = 3000;
	const char *s = getenv("UIOMMU_PROP_STEPS");

	if (s != NULL)
		steps = strtoul(s, NULL, 0);
	rng = ut_seed();
	for (unsigned int i = 0; i < NVM; i++)
		vm_up(&vms[i], i);
	for (unsigned long n = 0; n < steps; n++) {
		struct pvm *x = &vms[ut_rand(&rng) % NVM];
		unsigned int r = ut_rand(&rng) % 100;

		if (!x->live) {
			vm_up(x, (unsigned int)(x - vms));
			continue;
		}
		if (r < 25)
			op_map(x);
		else if (r < 35)
			op_unmap(x, true);
		else if (r < 40)
			op_unmap(x, false);
		else if (r < 45)
			inv_all(x);
		else if (r < 75)
			op_dma(x);
		else if (r < 82)
			op_wild(x);
		else if (r < 85)
			op_hostile(x);
		else if (r < 92) {
			enum mode m = (ut_rand(&rng) % 4) == 0 ? M_ABORT :
				      (ut_rand(&rng) % 3) == 0 ? M_BYPASS : M_S1;

			/* CFGI_STE does not invalidate the IOTLB: what was
			 * unsure stays so until a TLBI. */
			write_ste(x, m);
		} else if (r < 94) {
			/* The client goes away; its VM is destroyed. */
			vm_down(x);
			cnt.reconnects++;
		} else {
			(void)uiommu_viommu_poll(x->v, 64);
		}
		cnt.ops++;
		if ((n % 8 == 0 || r >= 75) && !tags_ok()) {
			CU_FAIL("a VM's data page holds another VM's bytes");
			break;
		}
	}
	CU_ASSERT(tags_ok());
	for (unsigned int i = 0; i < NVM; i++)
		if (vms[i].live)
			vm_down(&vms[i]);
	printf("isolation: %lu ops, %lu good DMAs, %lu expected faults, %lu wild "
	       "DMAs, %lu hostile commands, %lu reconnects\n", cnt.ops,
	       cnt.dma_ok, cnt.dma_fault, cnt.wild, cnt.hostile, cnt.reconnects);
	CU_ASSERT(cnt.dma_ok > 0 && cnt.dma_fault > 0);
}

int
main(int argc, char **argv)
{
	static const struct ut_case cases[] = {
		UT_CASE(test_random_isolation),
		UT_END
	};

	rte_log_set_global_level(RTE_LOG_WARNING);
	return ut_main("isolation_property", cases, argc, argv);
}
