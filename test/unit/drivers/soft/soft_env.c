/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Soft backend test environment (see soft_env.h).
 */
#include <string.h>
#include <sys/mman.h>

#include "soft_env.h"
#include "uiommu_cmd.h"
#include "uiommu_ut.h"

static const uint64_t reg_gpa[ENV_NREGIONS] = {
	ENV_RA_GPA, ENV_RB_GPA, ENV_RC_GPA,
};
static const uint64_t reg_size[ENV_NREGIONS] = {
	ENV_RA_SIZE, ENV_RB_SIZE, ENV_RC_SIZE,
};
/* Host alignment and offset: 1 GiB, 2 MiB, 2 MiB + 4 KiB. */
static const uint64_t reg_align[ENV_NREGIONS] = { SZ_1G, SZ_2M, SZ_2M };
static const uint64_t reg_off[ENV_NREGIONS] = { 0, 0, SZ_4K };

static int
g_alloc(void *ctx, size_t size, size_t align, uint64_t *addr)
{
	struct soft_env *e = ctx;

	unsigned int r = e->table_region >= 0 ? (unsigned int)e->table_region :
			 e->rr++ % ENV_NREGIONS;

	*addr = env_galloc(e, r, size, align);
	return *addr == 0 ? -ENOMEM : 0;
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
	struct soft_env *e = ctx;

	return uiommu_gmem_ptr(&e->gm, addr, size);
}

int
env_init_prot(struct soft_env *e, const char *args, const uint32_t prot[3])
{
	struct uiommu_viommu_cfg cfg;
	int rc;

	memset(e, 0, sizeof(*e));
	e->ops = uiommu_backend_find("soft");
	UT_ASSERT_FATAL(e->ops != NULL);
	for (unsigned int i = 0; i < ENV_NREGIONS; i++) {
		uint64_t len = reg_size[i] + reg_align[i] + reg_off[i];
		uint8_t *m = mmap(NULL, len, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
				  -1, 0);
		uint64_t base;

		UT_ASSERT_FATAL(m != MAP_FAILED);
		base = RTE_ALIGN_CEIL((uint64_t)(uintptr_t)m, reg_align[i]) +
		       reg_off[i];
		e->map[i] = m;
		e->map_len[i] = len;
		e->hva[i] = (uint8_t *)(uintptr_t)base;
		e->gpa[i] = reg_gpa[i];
		e->size[i] = reg_size[i];
		e->pool_next[i] = reg_gpa[i];
		e->s2prot[i] = prot != NULL ? prot[i] :
			       (UIOMMU_PROT_READ | UIOMMU_PROT_WRITE);
		UT_ASSERT_FATAL(uiommu_gmem_add(&e->gm, reg_gpa[i], reg_size[i],
						e->hva[i], -1, 0) == 0);
	}
	e->vmid = 7;
	e->table_region = -1;
	cfg = (struct uiommu_viommu_cfg){
		.vmid = e->vmid, .vm_id = 1, .gmem = &e->gm, .args = args,
		.socket_id = -1,
	};
	rc = e->ops->viommu_alloc(&cfg, &e->vi);
	if (rc != 0) {
		env_fini(e);
		return rc;
	}
	for (unsigned int i = 0; i < ENV_NREGIONS; i++) {
		rc = e->ops->s2_map(e->vi, e->gpa[i], e->hva[i], e->size[i],
				    e->s2prot[i]);
		if (rc != 0) {
			env_fini(e);
			return rc;
		}
	}
	e->gops = (struct uiommu_pt_mem_ops){
		.alloc = g_alloc, .free = g_free, .to_ptr = g_to_ptr,
	};
	return 0;
}

int
env_init(struct soft_env *e, const char *args)
{
	return env_init_prot(e, args, NULL);
}

void
env_fini(struct soft_env *e)
{
	if (e->vi != NULL) {
		for (unsigned int i = 0; i < ENV_NREGIONS; i++)
			e->ops->s2_unmap(e->vi, e->gpa[i], e->size[i]);
		e->ops->viommu_free(e->vi);
		e->vi = NULL;
	}
	for (unsigned int i = 0; i < ENV_NREGIONS; i++)
		if (e->map[i] != NULL)
			munmap(e->map[i], e->map_len[i]);
	memset(e, 0, sizeof(*e));
}

uint64_t
env_galloc(struct soft_env *e, unsigned int r, uint64_t size, uint64_t align)
{
	uint64_t a = RTE_ALIGN_CEIL(e->pool_next[r], align);

	UT_ASSERT_FATAL(a + size <= e->gpa[r] + ENV_POOL_SIZE);
	e->pool_next[r] = a + size;
	memset(env_gptr(e, a, size), 0, size);
	return a;
}

void *
env_gptr(struct soft_env *e, uint64_t gpa, uint64_t len)
{
	void *p = uiommu_gmem_ptr(&e->gm, gpa, len);

	UT_ASSERT_FATAL(p != NULL);
	return p;
}

struct uiommu_pgtable *
env_s1_create(struct soft_env *e)
{
	struct uiommu_pgtable_cfg cfg = {
		.format = UIOMMU_PT_ARM_LPAE_S1_4K, .ias = 48, .oas = 48,
		.mem_ops = &e->gops, .mem_ctx = e,
	};
	struct uiommu_pgtable *pt = NULL;

	UT_ASSERT_FATAL(uiommu_pgtable_create(&cfg, &pt) == 0);
	return pt;
}

void
env_s1_map(struct uiommu_pgtable *pt, uint64_t iova, uint64_t gpa,
	   uint64_t size, uint32_t prot)
{
	UT_ASSERT_FATAL(uiommu_pgtable_map(pt, iova, gpa, size, prot, NULL) == 0);
}

struct pte_find {
	uint64_t gpa;
};

static int
pte_visit(void *arg, const struct uiommu_pt_visit *v)
{
	struct pte_find *f = arg;

	if (v->kind == UIOMMU_PT_VISIT_LEAF)
		f->gpa = v->table_addr + (uint64_t)v->index * 8;
	return 0;
}

uint64_t
env_s1_pte_gpa(struct uiommu_pgtable *pt, uint64_t iova)
{
	struct pte_find f = { 0 };

	UT_ASSERT_FATAL(uiommu_pgtable_walk(pt, iova, iova, pte_visit, &f) == 0);
	UT_ASSERT_FATAL(f.gpa != 0);
	return f.gpa;
}

void
env_write_cd(struct soft_env *e, uint64_t cd_gpa, uint16_t asid,
	     uint64_t ttb0, bool affd)
{
	struct uiommu_cd_info cd = {
		.valid = 1, .t0sz = 16, .ips = 5, .aa64 = 1, .epd1 = 1,
		.affd = affd, .asid = asid, .ttb0 = ttb0,
		.mair = UIOMMU_LPAE_MAIR_VALUE,
	};
	uint64_t raw[8];

	uiommu_cd_encode(&cd, raw);
	memcpy(env_gptr(e, cd_gpa, sizeof(raw)), raw, sizeof(raw));
}

int
env_set_ste_s1(struct soft_env *e, void *dev, uint64_t cdtab,
	       unsigned int s1cdmax, unsigned int s1dss)
{
	struct uiommu_ste_info in = {
		.valid = 1, .config = UIOMMU_STE_CFG_S1,
		.s1cdmax = (uint8_t)s1cdmax, .s1dss = (uint8_t)s1dss,
		.s1ctxptr = cdtab,
	}, out;
	uint64_t raw[8];

	uiommu_ste_encode(&in, raw);
	UT_ASSERT_FATAL(uiommu_ste_decode(raw, &out) == 0);
	return e->ops->vdevice_set_ste(dev, &out);
}

int
env_set_ste_cfg(struct soft_env *e, void *dev, unsigned int config)
{
	struct uiommu_ste_info in = { .valid = 1, .config = (uint8_t)config },
			       out;
	uint64_t raw[8];

	uiommu_ste_encode(&in, raw);
	UT_ASSERT_FATAL(uiommu_ste_decode(raw, &out) == 0);
	return e->ops->vdevice_set_ste(dev, &out);
}

void *
env_dev(struct soft_env *e, const char *spec, uint32_t vsid, void *regs)
{
	struct uiommu_vdevice_out out;
	void *dev = NULL;

	UT_ASSERT_FATAL(e->ops->vdevice_alloc(e->vi, spec, vsid, regs, &dev,
					      &out) == 0);
	return dev;
}

int
env_inv(struct soft_env *e, uint8_t op, uint16_t asid, uint64_t first,
	uint64_t last, void *dev, uint32_t ssid)
{
	struct uiommu_inv inv = {
		.op = op, .asid = asid, .vmid = e->vmid, .first = first,
		.last = last, .dev = dev, .ssid = ssid,
	};
	unsigned int done = 99;
	int rc = e->ops->invalidate(e->vi, &inv, 1, &done);

	CU_ASSERT_EQUAL(done, rc == 0 ? 1u : 0u);
	return rc;
}

int
env_xlate(struct soft_env *e, void *dev, uint64_t iova, uint32_t access,
	  struct uiommu_xlate *x)
{
	return e->ops->translate(dev, iova, access, x);
}

int
env_events(struct soft_env *e, struct uiommu_event *ev, unsigned int max,
	   uint64_t *lost)
{
	return e->ops->event_read(e->vi, ev, max, lost);
}

uint64_t
env_ref_s2(struct soft_env *e, uint64_t gpa)
{
	for (unsigned int i = 0; i < ENV_NREGIONS; i++)
		if (gpa >= e->gpa[i] && gpa - e->gpa[i] < e->size[i])
			return (uint64_t)(uintptr_t)e->hva[i] + (gpa - e->gpa[i]);
	return 0;
}
